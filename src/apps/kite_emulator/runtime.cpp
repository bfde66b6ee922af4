#include "apps/kite_emulator/runtime.h"

#include <chrono>
#include <set>

#include <fmt/format.h>

#include "adapters/zerodha/kite_auth.h"
#include "adapters/zerodha/kite_errors.h"
#include "adapters/zerodha/kite_json.h"
#include "apps/kite_emulator/answers.h"
#include "net/gzip.h"
#include "persistence/catalog.h"

namespace nacre::kite_emu {

namespace {

using nlohmann::json;

// How far before a given start the replay reads to warm the market up (a long weekend).
constexpr DurationNs kWarmUp = 5 * kNanosPerDay;

UnixNanos SteadyWall() {
  return UnixNanos(std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::steady_clock::now().time_since_epoch())
                       .count());
}

UnixNanos SystemWall() {
  return UnixNanos(std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count());
}


json TickJson(const KiteTick& t) {
  auto px = [](const Price& p) { return KitePriceJson(p); };
  json j{{"instrument_token", t.instrument_token}, {"mode", std::string(ToString(t.mode))},
         {"tradable", t.tradable}, {"last_price", px(t.last_price)}};
  if (t.mode == KiteMode::kLtp) return j;
  j["ohlc"] = {{"open", px(t.open)}, {"high", px(t.high)}, {"low", px(t.low)}, {"close", px(t.close)}};
  if (!t.tradable) {
    if (t.mode == KiteMode::kFull) j["exchange_timestamp"] = t.exchange_timestamp;
    return j;
  }
  j["last_traded_quantity"] = t.last_quantity;
  j["average_traded_price"] = px(t.average_price);
  j["volume_traded"] = t.volume;
  j["total_buy_quantity"] = t.buy_quantity;
  j["total_sell_quantity"] = t.sell_quantity;
  if (t.mode == KiteMode::kQuote) return j;
  j["last_trade_time"] = t.last_trade_time;
  j["exchange_timestamp"] = t.exchange_timestamp;
  j["oi"] = t.oi;
  auto side = [&](const std::array<KiteDepthLevel, 5>& levels) {
    json a = json::array();
    for (const KiteDepthLevel& l : levels) {
      a.push_back({{"quantity", l.quantity}, {"price", px(l.price)}, {"orders", l.orders}});
    }
    return a;
  };
  j["depth"] = {{"buy", side(t.buy)}, {"sell", side(t.sell)}};
  return j;
}

}  // namespace

Runtime::Runtime(LoadedEmulatorConfig config, RuntimeOptions options)
    : config_(std::move(config)), options_(std::move(options)) {
  // Wall time: the system clock for Kite's per-second and per-day limits and the faults' wall
  // durations; the virtual clock runs on the steady clock's elapsed time, so a system clock
  // step never moves market time. A test gives one hand-driven wall for both.
  elapsed_wall_ = options_.wall ? options_.wall : VirtualClock::Wall(SteadyWall);
  if (!options_.wall) options_.wall = SystemWall;
}

Runtime::~Runtime() { Stop(); }

Status Runtime::Start() {
  if (started_) return Status::Ok();
  // The market: the catalog's quotes and trades, and bars of instruments that have neither.
  std::optional<UnixNanos> first;
  std::unique_ptr<Catalog> catalog;
  if (!config_.catalog_dir.empty()) {
    auto opened = Catalog::Open(config_.catalog_dir);
    if (!opened.ok()) return Error{"catalog " + config_.catalog_dir + ": " + opened.error()};
    catalog = std::move(*opened);
    market_ = std::make_unique<Market>(config_.instruments, config_.emulator.instruments);
    // Read from a few days before `start`: the market is warmed up to it (previous close, the
    // last touch) without sending anything, so the first ticks carry the day's close.
    const std::optional<UnixNanos> read_from =
        config_.start ? std::optional<UnixNanos>(*config_.start - kWarmUp) : std::nullopt;
    std::set<std::string> ticked;
    for (CatalogDataType type : {CatalogDataType::kQuote, CatalogDataType::kTrade}) {
      auto files = catalog->Files(type);
      if (!files.ok()) return Error{"catalog " + config_.catalog_dir + ": " + files.error()};
      if (files->empty()) continue;
      for (const CatalogFile& f : *files) ticked.insert(f.identifier);
      CatalogQuery q;
      q.type = type;
      q.start = read_from;
      auto stream = catalog->Read(q);
      if (!stream.ok()) return Error{"catalog " + config_.catalog_dir + ": " + stream.error()};
      market_->AddSource(std::move(*stream));
    }
    auto bars = catalog->Files(CatalogDataType::kBar);
    if (!bars.ok()) return Error{"catalog " + config_.catalog_dir + ": " + bars.error()};
    CatalogQuery bq;
    bq.type = CatalogDataType::kBar;
    bq.start = read_from;
    std::set<std::string> barred;
    for (const CatalogFile& f : *bars) {
      const std::string id = f.identifier.substr(0, f.identifier.find('-'));
      if (ticked.count(id) != 0 || !barred.insert(id).second) continue;
      bq.instruments.push_back(f.identifier);  // the first bar type of each such instrument
    }
    if (!bq.instruments.empty()) {
      auto stream = catalog->Read(bq);
      if (!stream.ok()) return Error{"catalog " + config_.catalog_dir + ": " + stream.error()};
      market_->AddSource(std::move(*stream));
    }
    auto history = Catalog::Open(config_.catalog_dir);
    if (!history.ok()) return Error{"catalog " + config_.catalog_dir + ": " + history.error()};
    history_ = std::move(*history);
    if (config_.start) {
      // The market only (the order side starts at `start`).
      if (Status w = market_->PumpTo(*config_.start - 1, nullptr); !w.ok()) return w;
    }
    first = market_->NextTs();
    if (!market_->status().ok()) return market_->status();
  }
  if (!config_.faults_path.empty()) {
    auto plan = FaultPlan::Load(config_.faults_path);
    if (!plan.ok()) return Error{plan.error()};
    faults_ = std::move(*plan);
  }
  const UnixNanos start = config_.start ? *config_.start : first.value_or(options_.wall());
  // Orders: Nacre's simulated NSE exchange behind Kite's order life cycle, on the NSE
  // calendar's weekdays and session hours; skip_closed runs the clock through those sessions.
  calendar_ = std::make_unique<NseCalendar>();
  std::optional<TradingSessions> sessions;
  if (config_.skip_closed) {
    sessions.emplace();
    sessions->open = calendar_->normal_hours().open_minute * kNanosPerMinute;
    sessions->close = calendar_->normal_hours().close_minute * kNanosPerMinute;
  }
  clock_ = std::make_unique<VirtualClock>(start, config_.speed, elapsed_wall_, config_.paused,
                                          std::move(sessions));
  OmsConfig oc;
  oc.user = config_.emulator.user;
  oc.cash = config_.emulator.cash;
  oc.seed = config_.emulator.seed;
  oc.hours = calendar_.get();
  oms_ = std::make_unique<Oms>(oc, config_.instruments, config_.emulator.instruments, start);
  // The dump lists each catalog contract from its listing day (its activation).
  for (const Instrument& ins : config_.instruments) {
    const std::string sym =
        ins.raw_symbol.value().empty() ? ins.id.symbol().value() : ins.raw_symbol.value();
    if (!ins.activation.is_zero()) config_.emulator.listed_from.emplace(sym, ins.activation);
  }
  emulator_ = std::make_unique<KiteEmulator>(config_.emulator, [this] { return clock_->Now(); });
  emulator_->SetOms(oms_.get());
  emulator_->SetMarket(market_.get());
  emulator_->SetCatalog(history_.get());
  emulator_->SetLimitClock(options_.wall);
  // Everything is wired before anything listens: the first request may come at once.
  TickerOptions to;
  to.address = config_.address;
  to.port = config_.ticker_port;
  to.heartbeat = config_.heartbeat;
  to.wall = options_.wall;
  ticker_ = std::make_unique<Ticker>(io_, emulator_->sessions(), [this] { return clock_->Now(); }, to);
  oms_->SetOrderUpdateSink([this](const json& order) {
    ticker_->SendOrder(config_.emulator.user.api_key, order.value("order_id", ""), order.dump());
  });
  ticker_->SetFaults(&faults_, [this](const FiredFault& f) { Fired(f); });
  oms_->SetFaults(&faults_, [this](const FiredFault& f) { Fired(f); });
  emulator_->SetSubscriptionsView([this] {
    json out = json::array();
    for (const auto& [conn, tokens] : ticker_->Subscriptions()) {
      json t = json::object();
      for (const auto& [token, mode] : tokens) t[std::to_string(token)] = ToString(mode);
      out.push_back({{"connection", conn}, {"tokens", t}});
    }
    return out;
  });
  net::HttpServerOptions ho;
  ho.address = config_.address;
  ho.port = config_.port;
  ho.error_answer = [](int status, const std::string& message) {
    return KiteFailure(status, status >= 500 ? "GeneralException" : "InputException", message);
  };
  http_ = std::make_unique<net::HttpServer>(
      io_, [this](const net::HttpRequest& r) { return Serve(r); }, ho);
  started_ = true;  // from here Stop() tears down whatever was started
  if (Status s = ticker_->Start(); !s) {
    Stop();
    return s;
  }
  if (Status s = http_->Start(); !s) {
    Stop();
    return s;
  }
  catalog_ = std::move(catalog);
  pump_timer_ = io_.Every(options_.pump_period, [this] { (void)Advance(); });
  return Status::Ok();
}

void Runtime::Stop() {
  if (!started_) return;
  started_ = false;
  if (pump_timer_ != 0) io_.Cancel(pump_timer_);
  pump_timer_ = 0;
  if (ticker_) ticker_->Stop();
  if (http_) http_->Stop();
  io_.Stop();
}

std::vector<std::uint32_t> Runtime::Advance() {
  const UnixNanos now = clock_->Now();
  if (market_ == nullptr) {
    oms_->AdvanceTo(now);
    return {};
  }
  std::vector<std::uint32_t> changed;
  std::set<std::uint32_t> seen;
  std::vector<std::uint32_t> twice;
  const Status s = market_->PumpTo(now, [&](const MarketData& item, const TokenState& state) {
    const UnixNanos ts = TsInitOf(item);
    oms_->OnData(item);  // the exchange matches against it before anyone sees it
    if (!faults_.empty()) {
      if (auto f = faults_.Check(FaultArea::kMarket, "market", state.key, ts)) {
        Fired(*f);
        if (f->action == FaultAction::kGap) market_gap_until_ = ts + f->seconds * kNanosPerSecond;
        if (f->action == FaultAction::kStale) {
          stale_until_[state.token] = ts + f->seconds * kNanosPerSecond;
        }
        if (f->action == FaultAction::kDuplicateTicks) twice.push_back(state.token);
      }
    }
    // The state moves on (the exchange keeps trading); only the feed misses it.
    if (ts < market_gap_until_) return;
    if (auto st = stale_until_.find(state.token); st != stale_until_.end() && ts < st->second) {
      return;
    }
    if (seen.insert(state.token).second) changed.push_back(state.token);
  });
  for (std::uint32_t t : twice) {
    if (seen.count(t) != 0) changed.push_back(t);  // a duplicate packet in the same frame
  }
  oms_->AdvanceTo(now);
  if (!s.ok() && !market_error_logged_) {
    // The replay stops here (the feed freezes while heartbeats go on): say so once, loudly;
    // /__emu/health shows it too.
    market_error_logged_ = true;
    fmt::print(stderr, "kite-emu: the market replay stopped at {}: {}\n", KiteTimeText(now),
               s.error());
  }
  ticker_->Publish(changed, [this](std::uint32_t token, KiteMode mode) {
    return market_->Tick(*market_->ByToken(token), mode);
  });
  return changed;
}

net::HttpResponse Runtime::Serve(const net::HttpRequest& request) {
  (void)Advance();
  const std::size_t q = request.target.find('?');
  const std::string path = request.target.substr(0, q);
  const std::string query = q == std::string::npos ? "" : request.target.substr(q + 1);
  if (path.rfind("/__emu/", 0) == 0) {
    if (auto r = Control(request, path, query)) return *r;
    return emulator_->Handle(request);
  }
  if (auto r = HttpFault(request, path)) return *r;
  return emulator_->Handle(request);
}

void Runtime::Fired(const FiredFault& f) {
  if (!options_.log_faults) return;
  fmt::print(stderr, "kite-emu fault: rule {} {} on {} {} at {}\n", f.rule,
             FaultActionName(f.action), f.key, f.subject, KiteTimeText(f.time));
}

std::optional<net::HttpResponse> Runtime::HttpFault(const net::HttpRequest& request,
                                                    const std::string& path) {
  const std::string key = request.method + " " + path;
  const UnixNanos wall = options_.wall();
  if (auto b = burst_until_.find(key); b != burst_until_.end()) {
    if (wall < b->second) {
      return KiteAnswer(429, KiteErrorBody("NetworkException", "Too many requests"));
    }
    burst_until_.erase(b);
  }
  if (faults_.empty()) return std::nullopt;
  const std::size_t q = request.target.find('?');
  std::string symbol = ParseForm(request.body)["tradingsymbol"];
  if (symbol.empty() && q != std::string::npos) {
    symbol = ParseForm(std::string_view(request.target).substr(q + 1))["tradingsymbol"];
  }
  // visibility_delay only where an order is placed (POST /orders/:variety): elsewhere it has
  // nothing to hide, and such a request is not counted against its rules.
  static constexpr FaultAction kCan[] = {FaultAction::k5xxBefore, FaultAction::k5xxAfter,
                                         FaultAction::kDropAfter, FaultAction::kHttpStall,
                                         FaultAction::k429Burst,  FaultAction::k403Now,
                                         FaultAction::kGarble};
  static constexpr FaultAction kCanPlace[] = {
      FaultAction::k5xxBefore, FaultAction::k5xxAfter, FaultAction::kDropAfter,
      FaultAction::kHttpStall, FaultAction::k429Burst, FaultAction::k403Now,
      FaultAction::kVisibilityDelay};
  // old_dump only where the instruments dump is read.
  static constexpr FaultAction kCanDump[] = {FaultAction::k5xxBefore, FaultAction::k5xxAfter,
                                             FaultAction::kDropAfter, FaultAction::kHttpStall,
                                             FaultAction::k429Burst,  FaultAction::k403Now,
                                             FaultAction::kGarble,    FaultAction::kOldDump};
  const bool place = request.method == "POST" && path.rfind("/orders/", 0) == 0 &&
                     path.find('/', 8) == std::string::npos && path.size() > 8;
  const std::optional<std::string> dump = InstrumentsDumpExchange(request.method, path);
  const std::optional<FiredFault> f =
      place  ? faults_.Check(FaultArea::kHttp, key, symbol, clock_->Now(), kCanPlace)
      : dump ? faults_.Check(FaultArea::kHttp, key, symbol, clock_->Now(), kCanDump)
             : faults_.Check(FaultArea::kHttp, key, symbol, clock_->Now(), kCan);
  if (!f) return std::nullopt;
  Fired(*f);
  auto gateway = [&] {
    const int st = f->status;
    const char* type = st == 500 ? "GeneralException" : st == 502 ? "DataException" : "NetworkException";
    return KiteAnswer(st, KiteErrorBody(type, fmt::format("Gateway error {} (emulated)", st)));
  };
  switch (f->action) {
    case FaultAction::k5xxBefore:
      return gateway();
    case FaultAction::k5xxAfter:
      (void)emulator_->Handle(request);  // processed; the answer is lost
      return gateway();
    case FaultAction::kDropAfter: {
      net::HttpResponse r = emulator_->Handle(request);
      r.drop = true;
      return r;
    }
    case FaultAction::kHttpStall: {
      net::HttpResponse r = emulator_->Handle(request);
      r.delay_ns = f->delay_ms * kNanosPerMilli;
      return r;
    }
    case FaultAction::k429Burst:
      burst_until_[key] = wall + f->delay_ms * kNanosPerMilli;
      return KiteAnswer(429, KiteErrorBody("NetworkException", "Too many requests"));
    case FaultAction::k403Now:
      emulator_->sessions().ExpireAll();
      return KiteAnswer(403, KiteErrorBody("TokenException", "Incorrect `api_key` or `access_token`."));
    case FaultAction::kGarble: {
      // The answer as processed, its last line cut in half (a gzip body is garbled inside).
      net::HttpResponse r = emulator_->Handle(request);
      const bool gz = r.Header("Content-Encoding") == "gzip";
      std::string body = r.body;
      if (gz) {
        auto plain = net::GzipDecompress(body);
        if (plain.ok()) body = std::move(*plain);
      }
      while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
      const std::size_t last = body.rfind('\n');
      const std::size_t from = last == std::string::npos ? 0 : last + 1;
      body.resize(from + (body.size() - from) / 2);
      r.body = gz ? net::GzipCompress(body) : body;
      return r;
    }
    case FaultAction::kOldDump: {
      // Through the route as usual (session, limits); a dump it answers is the previous day's.
      net::HttpResponse r = emulator_->Handle(request);
      if (r.status != 200) return r;
      return emulator_->InstrumentsOfDay(request, *dump, 1);
    }
    case FaultAction::kVisibilityDelay: {
      // Placed and answered; the order book shows the order only after delay_ms of virtual
      // time (oms.h). A refused placement created nothing to hide.
      net::HttpResponse r = emulator_->Handle(request);
      if (r.status == 200) {
        const json body = json::parse(r.body, nullptr, false);
        if (!body.is_discarded() && body.contains("data") && body["data"].is_object() &&
            body["data"].contains("order_id") && body["data"]["order_id"].is_string()) {
          (void)oms_->HideOrder(body["data"]["order_id"].get<std::string>(),
                                clock_->Now() + f->delay_ms * kNanosPerMilli);
        }
      }
      return r;
    }
    default:
      return std::nullopt;
  }
}

void Runtime::ReplaceFaults(FaultPlan plan) {
  faults_ = std::move(plan);
  // A new plan starts clean: no burst, gap or stale token of the old one goes on.
  burst_until_.clear();
  market_gap_until_ = UnixNanos();
  stale_until_.clear();
}

std::optional<net::HttpResponse> Runtime::Control(const net::HttpRequest& request,
                                                   const std::string& path,
                                                   const std::string& query) {
  const auto form = ParseForm(query);
  auto field = [&](const char* k) {
    auto it = form.find(k);
    return it == form.end() ? std::string() : it->second;
  };
  if (path == "/__emu/health") {
    json h{{"ok", market_ == nullptr || market_->status().ok()},
           {"clock", clock_->ToJson()},
           {"market", market_ == nullptr ? json(nullptr)
                                         : json{{"instruments", market_->instruments().size()},
                                                {"released", market_->released()},
                                                {"error", market_->status().ok()
                                                              ? json(nullptr)
                                                              : json(market_->status().error())}}},
           {"ticker", {{"packets", ticker_->packets_sent()}, {"frames", ticker_->frames_sent()},
                       {"heartbeats", ticker_->heartbeats_sent()},
                       {"deferred", ticker_->frames_deferred()}}}};
    return KiteSuccess(h);
  }
  if (path == "/__emu/clock") return KiteSuccess(clock_->ToJson());
  if (path == "/__emu/pause") {
    clock_->Pause();
    return KiteSuccess(clock_->ToJson());
  }
  if (path == "/__emu/resume") {
    clock_->Resume();
    return KiteSuccess(clock_->ToJson());
  }
  if (path == "/__emu/step") {
    Status s = Status::Ok();
    const std::string seconds = field("seconds");
    if (!seconds.empty()) {
      char* end = nullptr;
      const double secs = std::strtod(seconds.c_str(), &end);
      if (end == seconds.c_str() || *end != '\0' || !(secs > 0) || secs > 86400.0 * 366) {
        return KiteInputError("step: `seconds` must be a positive number of seconds, got `" + seconds + "`");
      }
      s = clock_->Step(static_cast<DurationNs>(secs * static_cast<double>(kNanosPerSecond)));
    } else {
      const std::optional<UnixNanos> next = market_ ? market_->NextTs() : std::nullopt;
      if (!next) return KiteInputError("step: no more market data to step to");
      s = clock_->StepTo(*next);
    }
    if (!s.ok()) return KiteInputError("step: " + s.error());
    json out = clock_->ToJson();
    out["tokens"] = Advance();
    return KiteSuccess(out);
  }
  if (path == "/__emu/ticks") {
    json out = json::object();
    for (const auto& [key, tick] : ticker_->last_sent()) {
      out[std::to_string(key.first)][std::string(ToString(key.second))] = TickJson(tick);
    }
    return KiteSuccess(out);
  }
  if (path == "/__emu/faults") {
    if (request.method == "POST" || request.method == "PUT") {
      const json body = json::parse(request.body, nullptr, false);
      if (body.is_discarded()) return KiteInputError("faults: the body is not JSON");
      auto plan = FaultPlan::FromJson(body);
      if (!plan.ok()) return KiteInputError(plan.error());
      ReplaceFaults(std::move(*plan));
    }
    return KiteSuccess(json{{"plan", faults_.ToJson()}, {"counters", faults_.Counters()}, {"log", faults_.Log()}});
  }
  if (path == "/__emu/ledger") return KiteSuccess(oms_->Ledger());
  if (path == "/__emu/message") {
    const std::string text = field("text");
    if (text.empty()) return KiteInputError("message: `text` is required");
    return KiteSuccess(json{{"sent", ticker_->Broadcast(text)}});
  }
  if (path == "/__emu/drop_ws") return KiteSuccess(json{{"dropped", ticker_->DropAll()}});
  if (path == "/__emu/expire_token") {
    emulator_->sessions().ExpireAll();
    return KiteSuccess(json{{"expired", true}});
  }
  return std::nullopt;  // the emulator's own (/__emu/subscriptions) or 404
}

EmulatedLogin LoginAtNow(Runtime& rt, const std::string& api_key, const std::string& api_secret,
                         const std::string& user_id) {
  EmulatedLogin out;
  rt.OnIoThread([&] {
    SessionStore& s = rt.emulator().sessions();
    const UnixNanos now = rt.clock().Now();
    out.request_token = std::get<std::string>(s.Login(api_key, now));
    out.session.access_token = std::get<std::string>(s.Exchange(
        api_key, out.request_token, KiteChecksum(api_key, out.request_token, api_secret), now));
    out.session.login_time = now;
  });
  out.session.api_key = api_key;
  out.session.user_id = user_id;
  out.session.expires_at = KiteSessionExpiry(out.session.login_time);
  return out;
}

}  // namespace nacre::kite_emu
