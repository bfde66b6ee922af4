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
  std::optional<KiteSessionWatcher> watcher;
  std::uint64_t watch_timer = 0;
  // The chain the ticker streams whatever the strategies subscribe (kernel thread).
  std::set<InstrumentId> chain;
  std::int64_t chain_day = -1;
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

// A new session arrived (kernel thread): both clients take it, the Kite day is reconciled, and
// a clean reconciliation lifts the halt the token set.
void Resume(TradingNode& node, KiteGlue& glue, KiteExecutionClient& exec, ZerodhaDataClient& data,
            const KiteSessionFile& session) {
  glue.rest->SetAccessToken(session.access_token);
  data.Reconnect(session.access_token);
  auto ms = exec.GenerateMassStatus();
  if (!ms) {
    Log(node, LogLevel::kError,
        "new Kite session for " + session.user_id + ", but the Kite day could not be read: " +
            ms.error() + "; trading stays HALTED (nacre ctl reconcile to retry)");
    return;
  }
  const ReconcileResult r = node.kernel().exec_engine().Reconcile(*ms);
  if (!r.ok()) {
    Log(node, LogLevel::kError,
        "new Kite session, but reconciliation found mismatches; trading stays HALTED: " +
            r.ToStatus().error());
    return;
  }
  glue.token_halt = false;
  if (KillSwitch* ks = node.kill_switch()) {
    auto resumed = ks->Resume();
    Log(node, resumed ? LogLevel::kWarning : LogLevel::kError,
        resumed ? "new Kite session for " + session.user_id +
                      ": reconciled clean, trading resumed"
                : "new Kite session, reconciled clean, but trading stays halted: " +
                      resumed.error());
  }
}

void OnTokenRefused(TradingNode& node, const std::shared_ptr<KiteGlue>& glue,
                    KiteExecutionClient* exec, ZerodhaDataClient* data, const std::string& why) {
  if (glue->token_halt) return;
  glue->token_halt = true;
  const std::string reason =
      "Kite session refused (TokenException): trading HALTED until `nacre kite login` writes "
      "a new session to " + glue->token_file;
  Log(node, LogLevel::kError, reason + " (" + why + ")");
  if (KillSwitch* ks = node.kill_switch()) (void)ks->Halt(reason);
  // Watch the token file on the I/O thread (file reads only); a new session comes back to
  // the kernel thread through the inbox.
  glue->watcher.emplace(glue->token_file, glue->api_key, "");
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
                                               if (auto gg = weak.lock()) Resume(*n, *gg, *exec, *data, s);
                                             }});
  });
}

// The underlying's chain in the ticker (kernel thread): every listed contract expiring within
// `days` of the node's clock, and the index. A backtest and the sandbox hand every quote of the
// catalog to the data engine, so strategies read option quotes from the cache without
// subscribing to each; Kite streams only subscribed tokens, so the node subscribes the chain
// it would read. Refreshed when the IST day changes: new listings in, expired contracts out.
void RefreshChain(TradingNode& node, KiteGlue& glue, const KiteInstrumentMap& map,
                  ZerodhaDataClient& data, DurationNs days) {
  const UnixNanos now = node.clock().Now();
  const std::int64_t day = DaysFromCivil(IstDate(now));
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
    starting = seg->net;
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
      default:
        Log(*n, LogLevel::kError, text);
        break;
    }
  });
  Inbox* inbox = &node.inbox();
  const Clock* clock = &node.clock();
  // About the market's day (the chain changes when the IST day does) and the session's: once
  // a second of the node's clock at real speed, faster on a faster clock.
  glue->io->Every(MarketPeriod(*clock, kNanosPerSecond),
                  [inbox, clock, n, weak, exec_ptr, data_ptr, map, chain_days] {
    inbox->PushExec(clock->Now(), KernelTask{"KITE notices", [n, weak, exec_ptr, data_ptr, map,
                                                              chain_days] {
                                               auto g = weak.lock();
                                               if (!g) return;
                                               if (chain_days > 0) {
                                                 RefreshChain(*n, *g, *map, *data_ptr, chain_days);
                                               }
                                               for (const std::string& t : data_ptr->TakeNotices()) {
                                                 Log(*n, LogLevel::kWarning, "ticker: " + t);
                                               }
                                               if (data_ptr->stats().token_refused) {
                                                 OnTokenRefused(*n, g, exec_ptr, data_ptr,
                                                                "the ticker's handshake got 403");
                                               }
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
