// The running emulator: one I/O thread serving the REST API and the ticker, the virtual clock,
// the market replay and (when present) the order side, all on that one thread so nothing needs
// a lock. Every `pump_period` of wall time, and before every request, Advance() brings the
// market to the clock's time: items due are released in time order, and the ticker sends each
// connection one frame of the tokens that changed (the latest state per token: a slow
// consumer gets conflated ticks, never a backlog).
//
// The control plane (not Kite's) lives under /__emu/: health, clock, pause, resume, step
// (?seconds=N, or to the next data item without it; the answer lists the tokens it
// released), ticks (the last tick sent per token and
// mode, in the decoded field names), subscriptions, drop_ws (cuts every ticker connection
// without a close frame), message (?text=: a `message` frame to every ticker connection),
// expire_token (every access token refused from now on), faults (GET:
// the plan, its counters and the log of every fault fired; POST a JSON plan to replace it).
// Each answers in Kite's envelope.
//
// The fault plan (faults.h) is consulted where each fault happens: every Kite route before it
// is processed (5xx_before, 5xx_after, drop_after, stall, 429_burst, 403_now; subject: the
// form's or query's tradingsymbol), every market item released (gap: no ticks for N virtual
// seconds; duplicate_ticks: the token's packet twice; stale: the token's ticks stop for N
// seconds; subject: "EXCHANGE:SYMBOL"), in the ticker (ticker.h) and in the OMS (oms.h: the
// `oms` stream's stuck_open_pending, cancel_loses_race, partial_fills, reject_rms, trades_lag,
// with the same plan and log). visibility_delay is counted only on POST /orders/:variety (the
// one route that places an order): the request is processed and answered, and the order it
// created is
// hidden from the order book's reads for delay_ms of virtual time (Oms::HideOrder; why
// virtual and what "hidden" covers: oms.h). A 5xx carries Kite's
// envelope with the error type Kite's clients give that status (500 GeneralException, 502
// DataException, 503/504 NetworkException). Every fault fired is logged to stderr with its
// rule and kept in the plan's log.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>

#include "adapters/zerodha/kite_session.h"
#include "apps/kite_emulator/clock.h"
#include "apps/kite_emulator/config.h"
#include "apps/kite_emulator/emulator.h"
#include "apps/kite_emulator/faults.h"
#include "apps/kite_emulator/market.h"
#include "apps/kite_emulator/oms.h"
#include "nse/calendar.h"
#include "apps/kite_emulator/ticker.h"
#include "net/http_server.h"
#include "net/io_thread.h"

namespace nacre {
class Catalog;
}

namespace nacre::kite_emu {

struct RuntimeOptions {
  DurationNs pump_period = 20 * kNanosPerMilli;  // wall time between replay steps
  VirtualClock::Wall wall;                       // none: the system clock
  bool log_faults = true;  // each fault fired on stderr (the plan's log keeps them anyway)
};

class Runtime {
 public:
  explicit Runtime(LoadedEmulatorConfig config, RuntimeOptions options = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
  // Opens the catalog's data, binds the REST and ticker ports, starts the replay timer. An
  // error names what failed (the catalog, a port).
  Status Start();
  void Stop();
  std::uint16_t http_port() const { return http_->port(); }
  std::uint16_t ticker_port() const { return ticker_->port(); }
  // Runs `fn` on the I/O thread and waits (tests read the emulator's state this way).
  void OnIoThread(const std::function<void()>& fn) { io_.PostAndWait(fn); }
  // I/O thread only. Returns the tokens that changed (in the order they first did).
  std::vector<std::uint32_t> Advance();
  VirtualClock& clock() { return *clock_; }
  Market* market() { return market_.get(); }
  Oms* oms() { return oms_.get(); }
  KiteEmulator& emulator() { return *emulator_; }
  Ticker& ticker() { return *ticker_; }
  // I/O thread only: the fault plan (its counters and log), or a new one in its place, as
  // POST /__emu/faults does (no burst, gap or stale token of the old plan goes on).
  const FaultPlan& faults() const { return faults_; }
  void ReplaceFaults(FaultPlan plan);

 private:
  net::HttpResponse Serve(const net::HttpRequest& request);
  std::optional<net::HttpResponse> Control(const net::HttpRequest& request,
                                           const std::string& path, const std::string& query);
  // The route's HTTP fault, if the plan fires one, performed around the emulator's answer.
  std::optional<net::HttpResponse> HttpFault(const net::HttpRequest& request,
                                             const std::string& path);
  void Fired(const FiredFault& f);

  LoadedEmulatorConfig config_;
  RuntimeOptions options_;
  VirtualClock::Wall elapsed_wall_;  // what the virtual clock's elapsed time is read from
  net::IoThread io_;
  std::unique_ptr<VirtualClock> clock_;
  std::unique_ptr<Market> market_;
  std::unique_ptr<Catalog> catalog_;  // the replay's streams read from it
  std::unique_ptr<Catalog> history_;  // historical candles (its own DuckDB connection)
  std::unique_ptr<NseCalendar> calendar_;
  std::unique_ptr<Oms> oms_;
  std::unique_ptr<KiteEmulator> emulator_;
  std::unique_ptr<net::HttpServer> http_;
  std::unique_ptr<Ticker> ticker_;
  std::uint64_t pump_timer_ = 0;
  FaultPlan faults_;
  std::map<std::string, UnixNanos> burst_until_;  // route → wall time (429_burst)
  UnixNanos market_gap_until_;                     // virtual time (gap)
  std::map<std::uint32_t, UnixNanos> stale_until_;  // token → virtual time (stale)
  bool started_ = false;
  bool market_error_logged_ = false;
};

// A user's login at the emulator's virtual now, as the browser flow and `nacre kite login` end
// (for tests and the fault drill): the session a token file holds (its expiry by Kite's 06:00
// rule) and the request token it was exchanged from. Any thread but the emulator's.
struct EmulatedLogin {
  KiteSessionFile session;
  std::string request_token;
};
EmulatedLogin LoginAtNow(Runtime& rt, const std::string& api_key, const std::string& api_secret,
                         const std::string& user_id);

}  // namespace nacre::kite_emu
