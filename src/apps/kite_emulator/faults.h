// The Kite emulator's fault plan (LIVE.md §10 "Fault plan"): rules that make the emulator
// misbehave on purpose, deterministically, so a client's handling of Kite's failures can be
// tested. The emulator asks Check() at each point where a fault could happen (an HTTP route
// about to be processed, a WebSocket frame or order update about to be sent, a market data
// item about to be released, an order about to move through the OMS) and does what the fired
// fault says; this unit only decides and records, it performs nothing.
//
// A plan is TOML (loaded at start) or JSON (POSTed to /__emu/faults at run time), same fields:
//
//   seed = 7                      # seeds the probability rules (default 1)
//   [[rule]]
//   route = "POST /orders/regular"  # HTTP: "METHOD /path", a glob ('*', '?', '[...]');
//                                   # no method ("/orders/*") means any method
//   # or: stream = "ws" | "market" | "oms"
//   match = "NIFTY*CE"            # optional glob on the event's subject (a tradingsymbol,
//                                 # a token, an order id: whatever the call site passes)
//   action = "drop_after"
//   nth = 3                       # exactly one trigger: nth | every | probability
//   count = 1                     # optional: at most this many fires
//   delay_ms / status / trades / seconds   # the action's parameters, where it takes them
//
// Actions by area, with their parameters and defaults:
//   HTTP (route):   5xx_before (status 500-599, default 503: not processed), 5xx_after (status,
//                   default 503: processed, error returned), drop_after (processed, connection
//                   closed without a response), stall (delay_ms, default 10000: answer held
//                   past a client's timeout), 429_burst (delay_ms, default 1000: answer 429
//                   to the route for that long), 403_now (sessions end: 403 TokenException),
//                   visibility_delay (delay_ms, default 2000: an order placed is absent from
//                   /orders for that long), garble (processed, answered 200 with the body's
//                   last line cut in half: a malformed instruments dump or JSON), old_dump
//                   (GET /instruments[/:exchange] only: the previous Kite day's dump, as
//                   read before Kite replaced it in the morning)
//   ws:             drop (TCP abort), stall (delay_ms, default 10000: no frames, no
//                   heartbeats), delay (delay_ms, default 1000: an order update held back),
//                   duplicate, reorder (COMPLETE before OPEN), omit, error_frame
//   market:         gap (seconds, default 60: data skipped), duplicate_ticks, stale (seconds,
//                   default 60: one token frozen)
//   oms:            stuck_open_pending (delay_ms, default 0 = until cancelled),
//                   cancel_loses_race (fills while cancel pending), partial_fills (trades ≥ 2,
//                   default 2), reject_rms, trades_lag (delay_ms, default 5000: the order's
//                   trades missing from the trade book for that long after each is made)
// A parameter the action does not take is refused, as is an action of another area.
//
// Triggers count the rule's matching events: an event matches a rule when its area, key
// (route or stream) and subject match and, when the call site passes the actions it can
// perform, the rule's action is one of them (so "nth = 3" on a ws `delay` rule counts order
// updates, not every frame). `nth = n` fires on the n-th matching event only; `every = k` on
// the k-th, 2k-th, …; `probability = p` draws a uniform number in [0, 1) per matching event
// from the rule's own generator (SplitMix64 seeded from the plan seed and the rule's index,
// so the same plan and the same events fire the same faults, independent of other rules) and
// fires when it is below p. `count` caps the fires of every and probability rules (with nth
// it is refused: an nth rule fires once).
//
// One event fires at most one fault: rules are evaluated in order, every matching rule counts
// the event (and a probability rule draws), and the first that decides to fire is returned;
// a later rule that would also have fired is shadowed (not logged, not counted in its fires).
// Every fire is logged: rule index, action, key, subject and the emulator's time (the last
// kLogLimit of them; a long soak's log does not grow without end).
//
// Errors name the file (or the JSON's name), the line when TOML, and the key: "faults.toml:4:
// 'rule[0].action': unknown action "drop" for route rules (expected 5xx_before, …)". A missing
// or double trigger, route and stream both or neither, a probability outside [0, 1], and
// count/nth/every below 1 are refused the same way.
//
// Thread-safe: Check() may run on the REST and ticker I/O threads at once (one mutex).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "core/time.h"

namespace nacre {
class ConfigTable;
}

namespace nacre::kite_emu {

enum class FaultArea : std::uint8_t { kHttp, kWs, kMarket, kOms };

enum class FaultAction : std::uint8_t {
  // HTTP
  k5xxBefore, k5xxAfter, kDropAfter, kHttpStall, k429Burst, k403Now, kVisibilityDelay, kGarble,
  kOldDump,
  // WebSocket
  kWsDrop, kWsStall, kWsDelay, kWsDuplicate, kWsReorder, kWsOmit, kWsErrorFrame,
  // market data
  kGap, kDuplicateTicks, kStale,
  // OMS
  kStuckOpenPending, kCancelLosesRace, kPartialFills, kRejectRms, kTradesLag,
};

// "http", "ws", "market", "oms".
std::string_view FaultAreaName(FaultArea area);
// The name written in plans ("5xx_before", "stall", …; stall is the same word in two areas).
std::string_view FaultActionName(FaultAction action);
FaultArea AreaOf(FaultAction action);

struct FiredFault {
  std::size_t rule = 0;  // index in the plan
  FaultAction action = FaultAction::k5xxBefore;
  // The action's parameters, defaults applied; 0 where the action takes none.
  std::int64_t delay_ms = 0;
  int status = 0;
  int trades = 0;
  std::int64_t seconds = 0;
  std::string key;
  std::string subject;
  UnixNanos time;
  std::uint64_t n = 0;  // the plan's fire number, from 1
};

class FaultPlan {
 public:
  // An empty plan: nothing ever fires.
  FaultPlan();
  ~FaultPlan();
  FaultPlan(FaultPlan&&) noexcept;
  FaultPlan& operator=(FaultPlan&&) noexcept;

  // A TOML file with `seed` and `[[rule]]` tables; an error names the file, line and key.
  static Result<FaultPlan> Load(const std::string& path);
  // The same from TOML text (`name` stands for the file in messages).
  static Result<FaultPlan> FromToml(std::string_view text, const std::string& name);
  // A checked table (e.g. a section of the emulator's config file).
  static Result<FaultPlan> FromTable(const ConfigTable& table);
  // JSON with the same fields: {"seed": 7, "rule": [{"route": "…", "action": "…", …}]}.
  static Result<FaultPlan> FromJson(const nlohmann::json& body,
                                    const std::string& name = "fault plan JSON");

  // Counts the event against every matching rule and returns the fault that fires, if any.
  // `key`: "METHOD /path" for kHttp (query string excluded), the stream's name ("ws",
  // "market", "oms") for the others. `can`: the actions this call site can perform (empty:
  // any of the area's).
  std::optional<FiredFault> Check(FaultArea area, std::string_view key, std::string_view subject,
                                  UnixNanos now, std::span<const FaultAction> can = {});

  bool empty() const;
  // The fired faults, in order: [{"n" (the fire's number, from 1), "rule", "action", "area",
  // "key", "subject", "time" (IST, "YYYY-MM-DD HH:MM:SS"), "ts" (ns)}]. The last kLogLimit
  // fires only (a first "n" above 1 says how many went before); Counters() counts them all.
  static constexpr std::size_t kLogLimit = 10'000;
  nlohmann::json Log() const;
  // The plan as FromJson reads it (defaults applied), so it round-trips.
  nlohmann::json ToJson() const;
  // Per rule: [{"rule", "matched", "fired"}].
  nlohmann::json Counters() const;

 private:
  struct Rule;
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace nacre::kite_emu
