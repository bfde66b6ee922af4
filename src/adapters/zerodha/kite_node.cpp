#include "adapters/zerodha/kite_node.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <set>

#include "adapters/zerodha/kite_bar_feed.h"
#include "adapters/zerodha/kite_data_client.h"
#include "adapters/zerodha/kite_execution_client.h"
#include "adapters/zerodha/kite_instrument_map.h"
#include "adapters/zerodha/kite_instruments.h"
#include "adapters/zerodha/kite_rest_client.h"
#include "adapters/zerodha/kite_session.h"
#include "adapters/zerodha/kite_supervisor.h"
#include "backtest/config_sections.h"
#include "core/secrets.h"
#include "live/kill_switch.h"
#include "live/node_config.h"
#include "net/http_client.h"
#include "net/io_thread.h"

namespace nacre {
namespace {


struct EmulatorClock {
  UnixNanos now;
  UnixNanos wall;  // SteadyNow() when `now` held (the middle of the request's round trip)
  double speed = 1;
  bool paused = false;
  std::optional<TradingSessions> sessions;  // skip_closed: the sessions time runs through
};

// GET /__emu/clock: the emulator's virtual time and speed (its control plane, not Kite's).
Result<EmulatorClock> ReadEmulatorClock(const KiteUrl& base) {
  net::HttpClient http(base.host, base.port);
  net::HttpRequest req;
  req.target = "/__emu/clock";
  const UnixNanos sent = SteadyNow();
  auto res = http.Send(req, 5 * kNanosPerSecond);
  const UnixNanos got = SteadyNow();
  if (!res) return MakeError(res.code(), "reading the emulator's clock: " + res.error());
  const nlohmann::json j = nlohmann::json::parse(res->body, nullptr, false);
  if (res->status != 200 || j.is_discarded() || !j.contains("data") ||
      !j["data"].contains("now_ns") || !j["data"].contains("speed")) {
    return MakeError(ErrorCode::kInvalidInput,
                     fmt::format("{}/__emu/clock answered HTTP {}: not the Kite emulator's clock",
                                 base.Text(), res->status));
  }
  EmulatorClock c;
  c.now = UnixNanos(j["data"]["now_ns"].get<std::int64_t>());
  c.speed = j["data"]["speed"].get<double>();
  c.paused = j["data"].value("paused", false);
  c.wall = UnixNanos(sent.value + (got - sent) / 2);
  if (j["data"].value("skip_closed", false)) {
    // The emulator's clock skips closed hours: the node's runs through the same sessions.
    const nlohmann::json& ss = j["data"].value("sessions", nlohmann::json::object());
    std::vector<std::string> holidays;
    if (ss.contains("holidays") && ss["holidays"].is_array()) {
      for (const auto& h : ss["holidays"]) holidays.push_back(h.is_string() ? h.get<std::string>() : "?");
    }
    auto sessions = TradingSessions::FromTexts(ss.value("open", ""), ss.value("close", ""), holidays);
    if (!sessions) {
      return MakeError(ErrorCode::kInvalidInput,
                       fmt::format("{}/__emu/clock: skip_closed with bad sessions: {}",
                                   base.Text(), sessions.error()));
    }
    c.sessions = std::move(*sessions);
  }
  return c;
}

void Prepare(const Params& p, const std::string& base_dir, NodeSettings& s) {
  const KiteCredentials c = LoadKiteCredentials(p.table(), base_dir);
  const bool loopback = c.base_url.loopback() && c.ticker_url.loopback();
  if (!loopback && !p.GetBool("allow_real_money")) {
    p.Fail("base_url",
           fmt::format("{} is not 127.0.0.1: a live node there places real orders with real "
                       "money; set allow_real_money = true in [kite] to mean it",
                       c.base_url.Text()));
  }
  if (p.GetBool("clock_from_emulator")) {
    if (!loopback) p.Fail("clock_from_emulator", "only with the Kite emulator on 127.0.0.1");
    auto ec = ReadEmulatorClock(c.base_url);
    if (!ec) p.Fail("clock_from_emulator", ec.error());
    if (ec->paused) {
      p.Fail("clock_from_emulator",
             "the emulator's clock is paused (start it without `paused`, or resume it)");
    }
    s.clock = NodeSettings::ClockMode::kScaled;
    s.start = ec->now;
    s.start_wall = ec->wall;
    s.speed = ec->speed;
    s.sessions = ec->sessions;
  }
  if (s.clock == NodeSettings::ClockMode::kReplay) {
    p.Fail("base_url",
           "[node] clock = \"replay\" takes time from replayed data; a live node runs on the "
           "real clock, or on the emulator's (clock_from_emulator = true)");
  }
  if (!loopback && s.clock != NodeSettings::ClockMode::kReal) {
    p.Fail("base_url", "a scaled clock is only for the Kite emulator on 127.0.0.1");
  }
  if (p.GetString("market_protection") == "0") {
    p.Fail("market_protection", "0 means unprotected: Kite rejects such market orders");
  }
  // A stop waits for what is in flight: an order whose send went unanswered just before the
  // stop is settled only after a request's deadline (7 s) and the ambiguity window (10 s), so
  // the wait is never shorter than that (stop_wait_secs may make it longer).
  s.stop_wait = std::max<DurationNs>(s.stop_wait, 20 * kNanosPerSecond);
}

// What the node owns for the adapter: the REST client the clients share, the I/O thread the
// ticker and the token watch run on, and the token recovery's state.
struct KiteGlue {
  std::shared_ptr<KiteRestClient> rest;
  std::unique_ptr<net::IoThread> io;
  std::string token_file;
  std::string api_key;
  // Kernel thread only.
  bool token_halt = false;
  std::string token_halt_reason;  // what its halt through the kill switch said
  std::optional<KiteSessionWatcher> watcher;
  std::uint64_t watch_timer = 0;
  // The chain the ticker streams whatever the strategies subscribe (kernel thread).
  std::set<InstrumentId> chain;
  std::int64_t chain_day = -1;
  // The session in use ends at 06:00 IST (its expires_at, node clock); past it the token file
  // is read (at most every 200 ms of wall time, less on a faster clock) for the next login
  // (kernel thread).
  UnixNanos session_expires;
  // The ticker's reconnect watch (owned by the node): a new session after a refusal owes it a
  // pass, which also acts on the contingent lists Kite's refusals left (kernel thread).
  std::weak_ptr<KiteReconnectWatch> reconnect;
  UnixNanos session_next_look;
  // Open positions priced from GET /quote (SeedPrices): when each was last asked (wall time;
  // kernel thread) and whether a read is out (its answer comes on a REST lane).
  std::map<InstrumentId, UnixNanos> seed_asked;
  std::atomic<bool> seed_in_flight{false};
  // The instrument map the node runs on, refreshed once a day (kernel thread); what a rebuild
  // needs (read on a REST lane, never changed after attach).
  std::shared_ptr<const KiteInstrumentMap> map;
  KiteInstrumentMapConfig map_config;
  std::string map_source;
  std::int64_t instruments_day = 0;  // KiteInstrumentDay of the map's dump
  int stale_dump_reads = 0;          // reads in a row that got an earlier day's dump
  bool instruments_refreshing = false;
  UnixNanos instruments_retry;  // after a failed refresh, not before
  ~KiteGlue() {
    if (io) io->Stop();  // before the REST client (no timer posts to it any more)
  }
};

// A period the node's I/O thread keeps that is about the market, not Kite's servers: `real`
// of wall time at real speed, shrunk by a faster clock's rate (to 10 ms at least), so the
// emulator at 300x does not leave the node minutes of market time behind. (Kite's limits, the
// ambiguity window and the REST retries stay in wall time: they are about Kite's servers.)
DurationNs MarketPeriod(const Clock& clock, DurationNs real) {
  const double rate = clock.rate() > 1 ? clock.rate() : 1.0;
  return std::max<DurationNs>(static_cast<DurationNs>(static_cast<double>(real) / rate),
                              10 * kNanosPerMilli);
}

void Log(TradingNode& node, LogLevel level, const std::string& text) {
  node.kernel().logger().Log(level, "Kite", text);
}

// Open positions with no price yet (kernel thread). Kite's ticker sends an instrument's
// packet when it changes, so a quiet contract (a far strike; one the market stopped quoting)
// can leave a restarted node without the price its portfolio check waits for, and its
// strategy without a mark. Their top of book is read from GET /quote (one read at a time, each
// contract at most every 5 wall seconds, within the quote class's 1/s) and fed in as quotes,
// only while the cache still has none (a ticker quote always wins).
void SeedPrices(TradingNode& node, const std::shared_ptr<KiteGlue>& glue,
                const std::shared_ptr<const KiteInstrumentMap>& map) {
  const Cache& cache = node.kernel().cache();
  if (glue->seed_in_flight.load()) return;
  const UnixNanos wall = SystemNow();
  KiteCall call;
  call.path = "/quote";
  call.budget = 3 * kNanosPerSecond;
  for (const Position* p : cache.PositionsOpen()) {
    const InstrumentId& id = p->instrument_id();
    if (cache.quote(id) != nullptr || call.params.size() >= 500) continue;
    const KiteInstrumentRef* ref = map->RefOf(id);
    if (ref == nullptr) continue;
    auto [asked, fresh] = glue->seed_asked.try_emplace(id, wall);
    if (!fresh && wall - asked->second < 5 * kNanosPerSecond) continue;
    asked->second = wall;
    call.params.emplace_back("i", ref->Key());
  }
  if (call.params.empty()) return;
  glue->seed_in_flight = true;
  Inbox* inbox = &node.inbox();
  const Clock* clock = &node.clock();
  TradingNode* n = &node;
  std::weak_ptr<KiteGlue> weak = glue;
  glue->rest->Post(std::move(call), [inbox, clock, n, weak, map](KiteOutcome out) {
    auto g = weak.lock();
    if (!g) return;
    g->seed_in_flight = false;
    std::string problem;
    if (!out.ok()) {
      problem = out.message;  // asked again at the next round
    } else if (auto tops = ParseKiteQuoteTops(out.data); !tops) {
      problem = tops.error();
    } else {
      for (const auto& [key, t] : *tops) {
        const auto id = map->ByKey(key);
        if (!id || !t.two_sided()) continue;
        const UnixNanos now = clock->Now();
        inbox->PushData(QuoteTick{*id, t.bid, t.ask, Quantity::FromInt(t.bid_quantity),
                                  Quantity::FromInt(t.ask_quantity),
                                  t.timestamp.is_zero() ? now : t.timestamp, now});
      }
    }
    if (!problem.empty()) {
      inbox->PushExec(clock->Now(), KernelTask{"KITE quote", [n, weak, problem] {
                                                 if (weak.lock()) {
                                                   Log(*n, LogLevel::kWarning,
                                                       "pricing open positions from /quote: " +
                                                           problem);
                                                 }
                                               }});
    }
  });
}

// A new session arrived (kernel thread): both clients take it, the Kite day is reconciled, and
// a clean reconciliation lifts the halt the token set.
void WatchTokenFile(TradingNode& node, const std::shared_ptr<KiteGlue>& glue,
                    KiteExecutionClient* exec, ZerodhaDataClient* data,
                    const std::string& refused);

void Resume(TradingNode& node, const std::shared_ptr<KiteGlue>& g, KiteExecutionClient& exec,
            ZerodhaDataClient& data, const KiteSessionFile& session) {
  KiteGlue& glue = *g;
  glue.session_expires = session.expires_at;
  glue.rest->SetAccessToken(session.access_token);
  data.Reconnect(session.access_token);
  auto ms = exec.GenerateMassStatus();
  if (!ms) {
    Log(node, LogLevel::kError,
        "new Kite session for " + session.user_id + ", but the Kite day could not be read: " +
            ms.error() + "; trading stays HALTED (nacre ctl reconcile to retry, or a new login)");
    // The session taken may be the refused one still in the file (the user's new login not
    // written yet): watch again, skipping it, so the next login is taken when it comes.
    WatchTokenFile(node, g, &exec, &data, session.access_token);
    return;
  }
  const ReconcileResult r = node.kernel().exec_engine().Reconcile(*ms);
  // The session works either way: Kite's next refusal halts and watches the file again, and
  // the next morning's login is taken (TakeNextSession).
  glue.token_halt = false;
  if (!r.ok()) {
    // Halted as `nacre ctl reconcile` halts on a mismatch: a fault, lifted by a restart once
    // someone has looked, not by the next session or a resume. Set before the token's halt is
    // withdrawn, so trading is never ACTIVE between the two.
    const std::string why = "new Kite session for " + session.user_id +
                            ": reconciliation found a mismatch: " + r.ToStatus().error();
    node.kernel().HaltOnFault(why);
    if (KillSwitch* ks = node.kill_switch()) (void)ks->Withdraw(glue.token_halt_reason);
    Log(node, LogLevel::kError, why + "; trading HALTED until the node is restarted");
    return;
  }
  // The ticker reconnects with the new session after this read: the reconnect watch reads the
  // day again once it can have (what Kite sent in between is not replayed).
  if (auto w = glue.reconnect.lock()) w->Owe("new Kite session");
  if (KillSwitch* ks = node.kill_switch()) {
    // Kite's own halt only: waiting, forgotten, or lifted as a resume would.
    auto withdrawn = ks->Withdraw(glue.token_halt_reason);
    const RiskEngine& risk = node.kernel().risk_engine();
    const bool active = risk.trading_state() != TradingState::kHalted;
    Log(node, active ? LogLevel::kWarning : LogLevel::kError,
        active ? "new Kite session for " + session.user_id +
                     ": reconciled clean, trading resumed"
               : "new Kite session, reconciled clean, but trading stays HALTED (" +
                     risk.trading_state_reason() + ")" +
                     (withdrawn ? std::string() : ": " + withdrawn.error()));
  }
  // A cancel or reduction Kite refused with the ended session (an OCO peer of a fill) is acted
  // on as its list calls for now, not left working until the watch's pass. (An OTO child whose
  // parent the reconciliation above found filled was held under Kite's halt, and went out as
  // the halt was withdrawn, unless trading stays HALTED for another reason.)
  ActOnListsKiteLeft(node.kernel(), "new Kite session for " + session.user_id);
}

// Past the session's expiry (Kite ends every session at 06:00 IST), a login already in the
// token file is taken at once, before Kite's first refusal would halt trading (kernel thread);
// true when one was taken (the new Kite day is then owed a reconciliation). None yet: nothing
// happens here; the first 403 halts and the token watch waits for it.
bool TakeNextSession(TradingNode& node, KiteGlue& glue, ZerodhaDataClient& data) {
  const UnixNanos now = node.clock().Now();
  if (glue.token_halt || glue.session_expires.is_zero() || now < glue.session_expires) {
    return false;
  }
  const UnixNanos wall = SystemNow();
  if (wall < glue.session_next_look) return false;
  // Every 200 ms of market time at real speed (10 ms of wall at least): on a fast clock the
  // morning's login is taken before Kite's first refusal halts trading.
  glue.session_next_look = wall + MarketPeriod(node.clock(), 200 * kNanosPerMilli);
  auto next = ReadKiteSessionFile(glue.token_file, now, glue.api_key);
  if (!next || next->expires_at <= glue.session_expires) return false;
  Log(node, LogLevel::kInfo,
      fmt::format("the Kite session ended at {}; the new login in {} is taken (until {})",
                  FormatIst(glue.session_expires), glue.token_file, FormatIst(next->expires_at)));
  glue.session_expires = next->expires_at;
  glue.rest->SetAccessToken(next->access_token);
  data.Reconnect(next->access_token);
  return true;
}

// Watches the token file on the I/O thread (file reads only) for a valid session other than
// `refused`; it comes back to the kernel thread through the inbox (Resume). After Kite's first
// refusal nothing is skipped: the refusal may belong to a call still made with the session
// before the morning's, while the file already holds the new one.
void WatchTokenFile(TradingNode& node, const std::shared_ptr<KiteGlue>& glue,
                    KiteExecutionClient* exec, ZerodhaDataClient* data,
                    const std::string& refused) {
  glue->watcher.emplace(glue->token_file, glue->api_key, refused);
  std::weak_ptr<KiteGlue> weak = glue;
  Inbox* inbox = &node.inbox();
  TradingNode* n = &node;
  const Clock* clock = &node.clock();
  glue->watch_timer = glue->io->Every(MarketPeriod(*clock, 2 * kNanosPerSecond),
                                      [weak, inbox, n, exec, data, clock] {
    auto g = weak.lock();
    if (!g || !g->watcher) return;
    std::optional<KiteSessionFile> fresh = g->watcher->Poll(clock->Now());
    if (!fresh) return;
    g->io->Cancel(g->watch_timer);
    g->watcher.reset();
    inbox->PushExec(clock->Now(), KernelTask{"KITE new session", [weak, n, exec, data, s = *fresh] {
                                               if (auto gg = weak.lock()) Resume(*n, gg, *exec, *data, s);
                                             }});
  });
}

void OnTokenRefused(TradingNode& node, const std::shared_ptr<KiteGlue>& glue,
                    KiteExecutionClient* exec, ZerodhaDataClient* data, const std::string& why) {
  if (glue->token_halt) return;
  glue->token_halt = true;
  const std::string reason =
      "Kite session refused (TokenException): trading HALTED until `nacre kite login` writes "
      "a new session to " + glue->token_file;
  Log(node, LogLevel::kError, reason + " (" + why + ")");
  glue->token_halt_reason = reason;
  if (KillSwitch* ks = node.kill_switch()) (void)ks->Halt(reason);
  WatchTokenFile(node, glue, exec, data, "");
}

// The underlying's chain in the ticker (kernel thread): every listed contract expiring within
// `days` of the node's clock, and the index. A backtest and the sandbox hand every quote of the
// catalog to the data engine, so strategies read option quotes from the cache without
// subscribing to each; Kite streams only subscribed tokens, so the node subscribes the chain
// it would read. Refreshed when the IST day changes: new listings in, expired contracts out.
void RefreshChain(TradingNode& node, KiteGlue& glue, const KiteInstrumentMap& map,
                  ZerodhaDataClient& data, DurationNs days) {
  const UnixNanos now = node.clock().Now();
  const std::int64_t day = IstDayNumber(now);
  if (day == glue.chain_day) return;
  glue.chain_day = day;
  std::set<InstrumentId> want;
  for (const Instrument& i : map.instruments()) {
    if (!i.has_expiry() || (!i.IsExpired(now) && i.expiration - now <= days && i.activation <= now + days)) {
      want.insert(i.id);
    }
  }
  std::size_t added = 0, removed = 0;
  for (const InstrumentId& id : want) {
    if (glue.chain.insert(id).second) {
      DataSubscription cmd;
      cmd.kind = DataKind::kQuotes;
      cmd.instrument_id = id;
      data.Subscribe(cmd);
      ++added;
    }
  }
  for (auto it = glue.chain.begin(); it != glue.chain.end();) {
    if (want.count(*it) == 0) {
      DataSubscription cmd;
      cmd.kind = DataKind::kQuotes;
      cmd.instrument_id = *it;
      cmd.subscribe = false;
      data.Unsubscribe(cmd);
      it = glue.chain.erase(it);
      ++removed;
    } else {
      ++it;
    }
  }
  if (added + removed > 0) {
    fmt::print(stderr, "kite: ticker chain for {}: {} instruments (+{}, -{})\n",
               FormatIst(now).substr(0, 10), glue.chain.size(), added, removed);
  }
}

// Reads of an earlier day's dump (5 minutes apart) before it is taken all the same.
constexpr int kStaleDumpReads = 12;

// What an earlier day's dump is, for the node's log: "Kite's instruments dump is not DAY's yet
// (it still lists ID, expired DATE" (the caller closes the parenthesis).
std::string StaleDumpText(std::int64_t day, const Instrument& expired) {
  return fmt::format("Kite's instruments dump is not {}'s yet (it still lists {}, expired {}",
                     FormatDate(CivilFromDays(day)), expired.id.value(),
                     FormatIst(expired.expiration).substr(0, 10));
}

// The day's new dump (kernel thread, applied): new listings into the cache, the execution
// client and the ticker's map; contracts gone from the dump dropped, except those the account
// holds (a position or a working order), which are kept and reported.
void ApplyInstruments(TradingNode& node, KiteGlue& glue, KiteExecutionClient& exec,
                      ZerodhaDataClient& data, std::int64_t day,
                      Result<KiteInstrumentMap> built) {
  glue.instruments_refreshing = false;
  const UnixNanos now = node.clock().Now();
  if (!built) {
    glue.instruments_retry = now + 5 * kNanosPerMinute;
    Log(node, LogLevel::kError,
        "daily instrument refresh: " + built.error() + "; running on the previous map, retried "
        "in 5 minutes");
    return;
  }
  // Kite replaces the dump each morning: one that still lists a contract expired before today
  // is an earlier day's. Its new listings would be missed for the whole day, so it is not
  // taken: the previous map stays and the dump is read again.
  // Bounded: after an hour of such reads the dump is taken all the same (Kite listing an
  // expired row for good must not stop every later listing), with an ERROR naming the row.
  if (const Instrument* expired = FirstExpiredBefore(*built, day)) {
    const std::string what = StaleDumpText(day, *expired);
    if (++glue.stale_dump_reads < kStaleDumpReads) {
      glue.instruments_retry = now + 5 * kNanosPerMinute;
      if (glue.stale_dump_reads == 1) {
        Log(node, LogLevel::kWarning,
            fmt::format("daily instrument refresh: {}); running on the previous map, read again "
                        "in 5 minutes",
                        what));
      }
      return;
    }
    Log(node, LogLevel::kError,
        fmt::format("daily instrument refresh: {}, on {} reads over an hour); taken all the "
                    "same: check the contract at Kite",
                    what, glue.stale_dump_reads));
  }
  glue.stale_dump_reads = 0;
  std::set<InstrumentId> held;
  for (const Position* pos : node.kernel().cache().PositionsOpen()) held.insert(pos->instrument_id());
  for (const Order* o : node.kernel().cache().OrdersOpen()) held.insert(o->instrument_id());
  KiteInstrumentRefresh r = RefreshKiteInstrumentMap(*glue.map, std::move(*built), held);
  std::vector<KiteSymbol> symbols;
  for (const Instrument& i : r.added) {
    node.AddInstrument(i);
    const KiteInstrumentRef* ref = r.map.RefOf(i.id);
    if (ref == nullptr || ref->exchange != "NFO") continue;
    symbols.push_back(KiteSymbol{i.id, ref->exchange, ref->tradingsymbol, ref->token,
                                 i.price_precision, i.multiplier});
  }
  exec.AddSymbols(symbols);
  for (const InstrumentId& id : r.kept) {
    Log(node, LogLevel::kWarning,
        fmt::format("instrument {} is gone from Kite's instruments dump while the account holds "
                    "a position or a working order in it: KEPT (expired and not yet settled, or "
                    "delisted? check it at Kite)",
                    id.value()));
  }
  // Each mismatch with Nacre's NSE rules into the node's log (the first ten; then a count).
  const std::size_t shown = std::min<std::size_t>(r.findings.size(), 10);
  for (std::size_t i = 0; i < shown; ++i) {
    Log(node, LogLevel::kWarning, "daily instrument refresh: " + r.findings[i]);
  }
  if (r.findings.size() > shown) {
    Log(node, LogLevel::kWarning,
        fmt::format("daily instrument refresh: {} more mismatches with Nacre's NSE rules",
                    r.findings.size() - shown));
  }
  glue.map = std::make_shared<const KiteInstrumentMap>(std::move(r.map));
  data.SetInstrumentMap(glue.map);
  glue.instruments_day = day;
  glue.chain_day = -1;  // the ticker's chain follows the new listings
  Log(node, LogLevel::kInfo,
      fmt::format("instruments refreshed for {}: {} contracts (+{} listed, -{} gone, {} kept "
                  "while held), {} mismatches with Nacre's NSE rules",
                  FormatIst(now).substr(0, 10), glue.map->size(), r.added.size(),
                  r.dropped.size(), r.kept.size(), r.findings.size()));
}

// Once per IST day (from 08:30 on the node's clock): the dump is read on the REST client's data
// lane and built there; the result comes back to the kernel thread.
void MaybeRefreshInstruments(TradingNode& node, const std::shared_ptr<KiteGlue>& glue,
                             KiteExecutionClient* exec, ZerodhaDataClient* data) {
  const UnixNanos now = node.clock().Now();
  const std::int64_t day = KiteInstrumentDay(now);
  if (day == glue->instruments_day || glue->instruments_refreshing || now < glue->instruments_retry) {
    return;
  }
  glue->instruments_refreshing = true;
  KiteCall dump;
  dump.path = "/instruments";
  dump.decode_envelope = false;
  dump.deadline = 60 * kNanosPerSecond;
  dump.budget = 60 * kNanosPerSecond;
  dump.resend_reads = false;  // a failed read is retried in 5 minutes (ApplyInstruments)
  std::weak_ptr<KiteGlue> weak = glue;
  Inbox* inbox = &node.inbox();
  TradingNode* n = &node;
  const Clock* clock = &node.clock();
  glue->rest->Post(dump, [weak, inbox, n, clock, exec, data, day](KiteOutcome got) {
    auto g = weak.lock();
    if (!g) return;
    Result<KiteInstrumentMap> built = MakeError(ErrorCode::kUnavailable, "no dump");
    if (!got.ok()) {
      built = MakeError(ErrorCode::kUnavailable, "reading Kite's instruments dump: " + got.message);
    } else if (auto rows = ParseKiteInstrumentsCsv(got.body, g->map_source); !rows) {
      built = MakeError(ErrorCode::kInvalidInput, rows.error());
    } else {
      built = KiteInstrumentMap::Build(*rows, g->map_source, g->map_config);
    }
    auto shared = std::make_shared<Result<KiteInstrumentMap>>(std::move(built));
    inbox->PushExec(clock->Now(), KernelTask{"KITE instruments", [weak, n, exec, data, day, shared] {
                                               if (auto gg = weak.lock()) {
                                                 ApplyInstruments(*n, *gg, *exec, *data, day,
                                                                  std::move(*shared));
                                               }
                                             }});
  });
}

// The adapter's once-a-second work on the kernel thread: the day's instruments and the
// ticker's chain, the ticker's notices, a token refusal, and the reconciliation a ticker
// reconnect owes (not while a token refusal holds trading: the new session reconciles).
void EverySecond(TradingNode& node, const std::shared_ptr<KiteGlue>& glue,
                 KiteExecutionClient& exec, ZerodhaDataClient& data, DurationNs chain_days,
                 KiteReconnectWatch& watch) {
  if (TakeNextSession(node, *glue, data)) watch.Owe("new Kite session taken");
  if (!glue->token_halt) MaybeRefreshInstruments(node, glue, &exec, &data);
  if (chain_days > 0) RefreshChain(node, *glue, *glue->map, data, chain_days);
  SeedPrices(node, glue, glue->map);
  for (const std::string& t : data.TakeNotices()) Log(node, LogLevel::kWarning, "ticker: " + t);
  if (data.stats().token_refused) {
    OnTokenRefused(node, glue, &exec, &data, "the ticker's handshake got 403");
  } else if (!glue->token_halt) {
    watch.Tick();
  }
}

void Attach(const Params& p, const std::string& base_dir, const NodeSettings& s,
            TradingNode& node) {
  const KiteCredentials c = LoadKiteCredentials(p.table(), base_dir);
  // The emulator's sessions carry its virtual times: the node's clock judges them.
  const UnixNanos now = s.clock == NodeSettings::ClockMode::kReal ? SystemNow() : s.start;
  auto session = ReadKiteSessionFile(c.token_file, now, c.api_key);
  if (!session) p.Fail("token_file", session.error());

  const bool loopback = c.base_url.loopback() && c.ticker_url.loopback();
  fmt::print(stderr, "kite: {} and {} ({}), user {}, session until {}\n", c.base_url.Text(),
             c.ticker_url.Text(),
             loopback ? "127.0.0.1: the Kite emulator" : "ZERODHA: REAL ORDERS, REAL MONEY",
             session->user_id, FormatIst(session->expires_at));
  auto glue = std::make_shared<KiteGlue>();
  glue->session_expires = session->expires_at;
  glue->token_file = c.token_file;
  glue->api_key = c.api_key;
  KiteRestClient::Options ro;
  ro.base_url = c.base_url;
  ro.api_key = c.api_key;
  ro.access_token = session->access_token;
  const std::string ca_file =
      p.Has("ca_file") ? ResolveConfigPath(base_dir, p.GetString("ca_file")) : std::string();
  ro.ca_file = ca_file;
  glue->rest = std::make_shared<KiteRestClient>(ro);
  glue->io = std::make_unique<net::IoThread>();
  node.Own(glue);
  // The glue's I/O thread runs timers that read the kernel's clock (the market notices, the
  // token watch): it stops before the kernel is destroyed, not after with the glue. The
  // ticker and the bar feed on it find it stopped when the kernel takes them apart (their
  // waits on it return at once; what was queued is dropped with the glue).
  node.OnTeardown([w = std::weak_ptr<KiteGlue>(glue)] {
    if (auto g = w.lock(); g && g->io) g->io->Stop();
  });

  // Instruments: the dump, the underlying's contracts, cross-checked.
  KiteCall dump;
  dump.path = "/instruments";
  dump.decode_envelope = false;
  dump.deadline = 60 * kNanosPerSecond;
  dump.budget = 60 * kNanosPerSecond;
  KiteOutcome got = glue->rest->Call(dump);
  if (!got.ok()) p.Fail("base_url", "reading Kite's instruments dump: " + got.message);
  const std::string source = c.base_url.Text() + "/instruments";
  auto rows = ParseKiteInstrumentsCsv(got.body, source);
  if (!rows) p.Fail("base_url", rows.error());
  KiteInstrumentMapConfig mc;
  mc.underlyings = {OptionUniverse::Nifty()};
  if (p.Has("holidays")) {
    const std::string f = ResolveConfigPath(base_dir, p.GetString("holidays"));
    if (Status st = mc.calendar.LoadHolidayFile(f); !st) p.Fail("holidays", st.error());
  }
  auto built = KiteInstrumentMap::Build(*rows, source, mc);
  if (!built) p.Fail("base_url", built.error());
  auto map = std::make_shared<const KiteInstrumentMap>(std::move(*built));
  glue->map = map;
  glue->map_config = mc;
  glue->map_source = source;
  glue->instruments_day = KiteInstrumentDay(now);  // the day's first attach is its refresh
  // An earlier day's dump (read before Kite replaced it): run on it, and read the day's again
  // through the daily refresh (which keeps the map until it gets the day's).
  if (const Instrument* expired = FirstExpiredBefore(*map, glue->instruments_day)) {
    fmt::print(stderr, "kite: instruments: {}); running on it, read again in 5 minutes\n",
               StaleDumpText(glue->instruments_day, *expired));
    --glue->instruments_day;
    glue->instruments_retry = now + 5 * kNanosPerMinute;
  }
  if (map->instruments().empty()) {
    p.Fail("underlying", fmt::format("Kite's instruments dump ({} rows) lists no {} contracts",
                                     rows->size(), p.GetString("underlying")));
  }
  const std::size_t shown = std::min<std::size_t>(map->findings().size(), 10);
  for (std::size_t i = 0; i < shown; ++i) {
    fmt::print(stderr, "kite: instruments: {}\n", map->findings()[i]);
  }
  if (map->findings().size() > shown) {
    fmt::print(stderr, "kite: instruments: {} more mismatches with Nacre's NSE rules\n",
               map->findings().size() - shown);
  }
  for (const Instrument& i : map->instruments()) node.AddInstrument(i);

  // The execution client and its account.
  KiteExecConfig ec;
  ec.venue = Venue("NFO");
  ec.account_id = AccountId(p.GetString("account_id"));
  ec.product = p.GetString("product");
  ec.default_market_protection = p.GetString("market_protection");
  ec.orphan_policy = p.GetString("orphan_policy");
  ec.ambiguity_window = static_cast<DurationNs>(p.GetNumber("ambiguity_window_secs") * 1e9);
  ec.orders_poll = static_cast<DurationNs>(p.GetNumber("orders_poll_secs") * 1e9);
  ec.account_poll = static_cast<DurationNs>(p.GetNumber("account_poll_secs") * 1e9);
  ec.account_tolerance = p.GetMoney("account_tolerance");
  ec.positions_poll = static_cast<DurationNs>(p.GetNumber("positions_poll_secs") * 1e9);
  ec.basket_margin_check = p.GetBool("basket_margin_check");
  ec.basket_deadline = static_cast<DurationNs>(p.GetNumber("basket_deadline_secs") * 1e9);
  for (const Instrument& i : map->instruments()) {
    const KiteInstrumentRef* ref = map->RefOf(i.id);
    if (ref == nullptr || ref->exchange != "NFO") continue;
    ec.symbols.push_back(KiteSymbol{i.id, ref->exchange, ref->tradingsymbol, ref->token,
                                    i.price_precision, i.multiplier});
  }
  Money starting = Money::Zero();
  if (p.Has("starting_balance")) {
    starting = p.GetMoney("starting_balance");
  } else {
    KiteCall margins;
    margins.path = "/user/margins";
    margins.budget = 10 * kNanosPerSecond;
    KiteOutcome m = glue->rest->Call(margins);
    if (!m.ok()) p.Fail("starting_balance", "reading Kite's /user/margins: " + m.message);
    auto seg = ParseKiteMarginSegment(m.data);
    if (!seg) p.Fail("starting_balance", seg.error());
    // Kite's total as the execution client reports it (what is free plus what is blocked), so
    // Nacre's books start where Kite's account is.
    starting = seg->net + seg->span + seg->exposure;
  }
  // In-flight orders (SUBMITTED or PENDING_* silent for 5 s of wall time) are asked about every
  // 2 s of wall time (LIVE.md §8 rule 6): on the node's clock, scaled by its rate.
  const double rate = node.clock().rate() > 0 ? node.clock().rate() : 1.0;
  if (Status st = node.kernel().exec_engine().EnableInflightCheck(
          static_cast<DurationNs>(2e9 * rate), static_cast<DurationNs>(5e9 * rate));
      !st) {
    p.Fail("base_url", "in-flight check: " + st.error());
  }
  auto exec = std::make_unique<KiteExecutionClient>(ec, *glue->rest, node.inbox());
  KiteExecutionClient* exec_ptr = exec.get();
  exec->SetBooks(KernelKiteBooks(node.kernel(), ec.account_id, ec.venue));
  if (Status st = node.AddExecutionClient(std::move(exec), AccountType::kMargin, starting); !st) {
    p.Fail("account_id", st.error());
  }

  // The ticker.
  ZerodhaDataConfig dc;
  dc.venue = Venue("NFO");
  dc.host = c.ticker_url.host;
  dc.port = c.ticker_url.port;
  dc.tls = c.ticker_url.tls();
  dc.path = c.ticker_url.path.empty() ? "/" : c.ticker_url.path;
  dc.api_key = c.api_key;
  dc.access_token = session->access_token;
  dc.instruments = map;
  dc.ca_file = ca_file;
  if (Status st = ZerodhaDataClient::Validate(dc); !st) p.Fail("ticker_url", st.error());
  auto data = std::make_unique<ZerodhaDataClient>(dc, node.clock(), node.inbox(), *glue->io);
  ZerodhaDataClient* data_ptr = data.get();
  data->SetOrderUpdateHandler(exec_ptr->OrderUpdateSink());
  node.AddDataClient(std::move(data));
  // Kite replays no order update missed while the ticker was down: each reconnect reconciles.
  auto reconnect_watch = std::make_shared<KiteReconnectWatch>(node.kernel(), *exec_ptr, *data_ptr);
  node.Own(reconnect_watch);
  glue->reconnect = reconnect_watch;
  const DurationNs chain_days = p.GetInt("chain_days") * 86'400 * kNanosPerSecond;
  if (chain_days > 0) RefreshChain(node, *glue, *map, *data_ptr, chain_days);
  // The index's venue: EXTERNAL bars from Kite's candles, the rest to the ticker.
  KiteBarFeedConfig bc;
  bc.warmup_bars = static_cast<int>(p.GetInt("warmup_bars"));
  node.AddDataClient(std::make_unique<KiteBarFeed>(bc, *glue->rest, map, data_ptr, node.clock(),
                                                   node.inbox(), *glue->io));

  // Alerts (kernel thread) and the ticker's notices (taken on the kernel thread each second).
  TradingNode* n = &node;
  std::weak_ptr<KiteGlue> weak = glue;
  exec_ptr->SetAlertHandler([n, weak, exec_ptr, data_ptr](KiteExecutionClient::AlertKind kind,
                                                          const std::string& text) {
    auto g = weak.lock();
    if (!g) return;
    switch (kind) {
      case KiteExecutionClient::AlertKind::kToken:
        OnTokenRefused(*n, g, exec_ptr, data_ptr, text);
        break;
      case KiteExecutionClient::AlertKind::kInfo:
        Log(*n, LogLevel::kInfo, text);
        break;
      case KiteExecutionClient::AlertKind::kWarn:
        Log(*n, LogLevel::kWarning, text);
        break;
      default:
        Log(*n, LogLevel::kError, text);
        break;
    }
  });
  Inbox* inbox = &node.inbox();
  const Clock* clock = &node.clock();
  std::weak_ptr<KiteReconnectWatch> watch = reconnect_watch;
  // About the market's day (the chain changes when the IST day does) and the session's: once
  // a second of the node's clock at real speed, faster on a faster clock.
  glue->io->Every(MarketPeriod(*clock, kNanosPerSecond),
                  [inbox, clock, n, weak, exec_ptr, data_ptr, chain_days, watch] {
    inbox->PushExec(clock->Now(),
                    KernelTask{"KITE notices", [n, weak, exec_ptr, data_ptr, chain_days, watch] {
                                 auto g = weak.lock();
                                 auto w = watch.lock();
                                 if (g && w) EverySecond(*n, g, *exec_ptr, *data_ptr, chain_days, *w);
                               }});
  });
}

}  // namespace

void RegisterKiteLiveAdapter() {
  LiveAdapter a;
  a.table = "kite";
  a.schema = [] { return KiteSchema(); };
  a.prepare = [](const Params& p, const std::string& base_dir, NodeSettings& s) {
    Prepare(p, base_dir, s);
  };
  a.attach = [](const Params& p, const std::string& base_dir, const NodeSettings& s,
                TradingNode& node) { Attach(p, base_dir, s, node); };
  RegisterLiveAdapter(std::move(a));
}

}  // namespace nacre
