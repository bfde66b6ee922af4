#include "backtest/backtest_config.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>

#include "backtest/sweep.h"
#include "common/config.h"
#include "nse/calendar_config.h"
#include "persistence/bar_csv.h"
#include "persistence/catalog.h"
#include "persistence/random_walk.h"

namespace nacre {

namespace {

std::int64_t RatioRaw(const ConfigTable& t, const std::string& key) {
  if (!t.Has(key)) return 0;
  const Price p = t.GetPrice(key);  // exact decimal
  if (p.raw() < 0) t.Fail(key, "must not be negative");
  return p.raw();
}

Instrument ParseInstrument(const ConfigTable& t) {
  auto id = InstrumentId::Parse(t.GetString("id"));
  if (!id) t.Fail("id", id.error());
  const std::string kind = t.GetString("kind");
  const Price tick = t.Has("tick_size") ? t.GetPrice("tick_size") : *Price::Parse("0.05");
  const int precision = t.GetInt32("price_precision", tick.precision());
  if (kind == "index") {
    auto inst = MakeIndex(*id, precision, tick);
    if (!inst) t.Fail("id", inst.error());
    t.Finish();
    return *inst;
  }
  InstrumentSpec spec;
  spec.id = *id;
  spec.raw_symbol = Symbol(t.GetString("raw_symbol", id->symbol().value()));
  spec.price_precision = precision;
  spec.tick_size = tick;
  const std::int64_t lot = t.GetInt("lot_size", 1);
  if (lot <= 0) t.Fail("lot_size", "must be positive");
  spec.lot_size = Quantity::FromInt(lot);
  spec.multiplier = t.GetInt("multiplier", 1);
  if (t.Has("freeze_quantity"))
    spec.freeze_quantity = Quantity::FromInt(t.GetInt("freeze_quantity"));
  spec.margin_init_raw = RatioRaw(t, "margin_init");
  spec.margin_maint_raw = RatioRaw(t, "margin_maint");
  auto underlying = InstrumentId::Parse(t.GetString("underlying"));
  if (!underlying) t.Fail("underlying", underlying.error());
  const UnixNanos expiry = t.GetTime("expiry", kIstOffset);
  const UnixNanos activation =
      t.Has("activation") ? t.GetTime("activation", kIstOffset) : UnixNanos(0);
  Result<Instrument> inst = MakeIndex(*id, precision, tick);
  if (kind == "future") {
    inst = MakeFuture(spec, *underlying, activation, expiry);
  } else if (kind == "option") {
    const std::string ok = t.GetString("option_kind");
    if (ok != "CALL" && ok != "PUT") t.Fail("option_kind", "expected CALL or PUT");
    inst = MakeOption(spec, *underlying, ok == "CALL" ? OptionKind::kCall : OptionKind::kPut,
                      t.GetPrice("strike"), activation, expiry);
  } else {
    t.Fail("kind", fmt::format("unknown instrument kind '{}' (index, future, option)", kind));
  }
  if (!inst) t.Fail("id", inst.error());
  t.Finish();
  return *inst;
}

std::string ResolvePath(const std::string& base_dir, const std::string& p);

// The NSE exchange keys of a [[venues]] table with model = "nse" (see docs/architecture.md).
SimulatedExchangeConfig ParseExchange(const ConfigTable& v, const std::string& base_dir,
                                      BarFillMode bar_fill) {
  SimulatedExchangeConfig c;
  c.fill.bar_fill = bar_fill;
  const std::int64_t walk = v.GetInt("walk_ticks", c.fill.walk_ticks);
  if (walk < 0 || walk > 1000) v.Fail("walk_ticks", "must be between 0 and 1000");
  c.fill.walk_ticks = static_cast<int>(walk);
  if (v.Has("size_step")) {
    const std::int64_t step = v.GetInt("size_step");
    if (step <= 0) v.Fail("size_step", "must be positive");
    c.fill.size_step = Quantity::FromInt(step);
  }
  c.fill.limit_touch_probability = v.GetDouble("limit_touch_probability", 1.0);
  c.fill.queue_position = v.GetBool("queue_position", false);
  if (!(c.fill.limit_touch_probability >= 0 && c.fill.limit_touch_probability <= 1)) {
    v.Fail("limit_touch_probability", "must be between 0 and 1");
  }
  const std::string trig = v.GetString("stop_trigger", "bid_ask");
  if (trig != "bid_ask" && trig != "last") v.Fail("stop_trigger", "expected bid_ask or last");
  c.fill.stop_trigger = trig == "last" ? StopTriggerSource::kLast : StopTriggerSource::kBidAsk;
  const std::int64_t seed = v.GetInt("seed", 1);
  if (seed < 0) v.Fail("seed", "must not be negative");
  c.fill.seed = static_cast<std::uint64_t>(seed);
  auto ms = [&](const char* key) {
    const std::int64_t x = v.GetInt(key, 0);
    if (x < 0 || x > 3'600'000) v.Fail(key, "must be between 0 and 3600000 ms");
    return x * kNanosPerMilli;
  };
  c.latency.submit = ms("latency_submit_ms");
  c.latency.modify = ms("latency_modify_ms");
  c.latency.cancel = ms("latency_cancel_ms");
  c.latency.response = ms("latency_response_ms");
  c.charges = v.GetBool("charges", true);
  if (v.Has("charges_file")) {
    if (!c.charges) v.Fail("charges_file", "given while charges = false");
    const std::string path = ResolvePath(base_dir, v.GetString("charges_file"));
    if (!std::filesystem::exists(path)) {
      v.Fail("charges_file", fmt::format("file not found: {}", path));
    }
    c.schedule = std::make_shared<const ChargeSchedule>(ChargeSchedule::LoadFile(path));
  }
  if (v.Has("market_protection")) {
    // Percent, exact decimal: "2" or "2.5" (Kite market_protection).
    const Price pct = v.GetPrice("market_protection");
    if (pct.raw() < 0 || pct.raw() > 100 * kFixedScale) {
      v.Fail("market_protection", "must be a percentage between 0 and 100");
    }
    c.market_protection_pct_raw = pct.raw();
  }
  const std::string stop_ref = v.GetString("stop_protection", "trigger");
  if (stop_ref != "trigger" && stop_ref != "market") {
    v.Fail("stop_protection", "expected trigger or market");
  }
  c.stop_protection =
      stop_ref == "market" ? StopProtectionReference::kMarket : StopProtectionReference::kTrigger;
  c.require_market_protection = v.GetBool("require_market_protection", true);
  c.lpp = v.GetBool("lpp", true);
  c.margin_check = v.GetBool("margin", true);
  c.margin_default_vol = v.GetDouble("margin_default_vol", c.margin_default_vol);
  if (!(c.margin_default_vol > 0 && c.margin_default_vol < 5)) {
    v.Fail("margin_default_vol", "must be an annual vol between 0 and 5 (0.15 = 15%)");
  }
  c.underlying_vol = v.GetDouble("underlying_vol", 0.0);
  if (!(c.underlying_vol >= 0 && c.underlying_vol < 5)) {
    v.Fail("underlying_vol", "must be an annual vol between 0 and 5");
  }
  return c;
}

std::string ResolvePath(const std::string& base_dir, const std::string& p) {
  std::filesystem::path path(p);
  if (path.is_absolute() || base_dir.empty()) return path.lexically_normal().string();
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

std::vector<Bar> LoadData(const ConfigTable& t, const std::string& base_dir, BacktestEngine& engine,
                          const Cache& cache) {
  const std::string format = t.GetString("format");
  auto bt = BarType::Parse(t.GetString("bar_type"));
  if (!bt) t.Fail("bar_type", bt.error());
  const Instrument* inst = cache.instrument(bt->instrument_id());
  if (inst == nullptr) {
    t.Fail("bar_type", fmt::format("instrument {} is not defined in [[instruments]]",
                                   bt->instrument_id().value()));
  }
  if (format == "random_walk") {
    RandomWalkConfig c;
    c.bar_type = *bt;
    c.tick_size = inst->tick_size;
    if (t.Has("start_date")) {
      auto d = ParseDate(t.GetString("start_date"));
      if (!d) t.Fail("start_date", d.error());
      c.start_date = *d;
    }
    c.days = t.GetInt32("days", 250);
    if (c.days <= 0) t.Fail("days", "must be positive");
    if (t.Has("start_price")) {
      const Price p = t.GetPrice("start_price");
      auto fitted = Price::FromRaw(p.raw(), inst->price_precision);
      if (!fitted || !p.is_positive() || !inst->OnTickGrid(*fitted)) {
        t.Fail("start_price", fmt::format("must be positive and on the {} tick grid of {}",
                                          inst->tick_size.ToString(), inst->id.value()));
      }
      c.start_price = *fitted;
    } else {
      c.start_price = Price::Raw(c.start_price.raw(), inst->price_precision);
    }
    c.ticks_per_step = t.GetInt32("ticks_per_step", c.ticks_per_step);
    c.seed = static_cast<std::uint64_t>(t.GetInt("seed", 7));
    if (bt->spec().aggregation != BarAggregation::kMinute) {
      t.Fail("bar_type", "random_walk generates MINUTE bars");
    }
    t.Finish();
    return GenerateRandomWalkBars(c);
  }
  BarCsvOptions opt;
  opt.bar_type = *bt;
  opt.price_precision = inst->price_precision;
  if (format == "nse_index_1min") {
    opt.format = BarCsvFormat::kNseIndex1Min;
    if (bt->spec().Interval() != kNanosPerMinute) {
      t.Fail("bar_type", "nse_index_1min files hold 1-MINUTE bars");
    }
  } else if (format == "ohlcv_csv") {
    opt.format = BarCsvFormat::kGenericOhlcv;
    const std::string tz = t.GetString("utc_offset", "+05:30");
    auto parsed = ParseDateTime("2000-01-01T00:00" + tz, 0);
    if (!parsed || (tz.size() != 6 && tz != "Z")) {
      t.Fail("utc_offset", fmt::format("invalid UTC offset '{}' (e.g. +05:30, Z)", tz));
    }
    opt.utc_offset = -(parsed->value - FromUtc(2000, 1, 1, 0, 0).value);
    const std::string stamp = t.GetString("timestamp", "open");
    if (stamp != "open" && stamp != "close") t.Fail("timestamp", "expected 'open' or 'close'");
    opt.timestamp = stamp == "open" ? BarTimestamp::kOpen : BarTimestamp::kClose;
  } else {
    t.Fail("format", fmt::format("unknown data format '{}' (nse_index_1min, ohlcv_csv, "
                                 "random_walk)",
                                 format));
  }
  const std::string path = ResolvePath(base_dir, t.GetString("path"));
  t.Finish();
  // Streamed in blocks during the run (memory stays flat). Opening checks the file and its
  // header now; a bad row later stops the run with the file, line and column.
  auto probe = OpenBarsCsvStream(path, opt);
  if (!probe) throw ConfigError(fmt::format("{}: {}", t.Where("path"), probe.error()));
  // One bar type; its range is learnt from the stream's first bar in the run.
  DataSeries series{DataSeriesKind::kBars, bt->ToString(), UnixNanos(), UnixNanos(), false, false};
  engine.AddStream([path, opt]() { return OpenBarsCsvStream(path, opt); },
                   std::vector<DataSeries>{series});
  return {};
}

// [[data]] catalog = "dir", type = "quote"|"trade"|"bar", instruments = "NIFTY*.NFO" (or an
// array), optional start/end (IST unless an offset is given). Instrument definitions the
// catalog holds for the matching ids are added to the engine (config [[instruments]] win).
void AddCatalogStream(const ConfigTable& t, const std::string& base_dir, BacktestEngine& engine) {
  const std::string root = ResolvePath(base_dir, t.GetString("catalog"));
  CatalogQuery q;
  auto type = ParseCatalogDataType(t.GetString("type", "quote"));
  if (!type) t.Fail("type", type.error());
  q.type = *type;
  if (t.Has("instruments")) {
    std::string one;
    try {
      one = t.GetString("instruments");
    } catch (const ConfigError&) {
      q.instruments = t.GetStringArray("instruments");
    }
    if (!one.empty()) q.instruments.push_back(one);
  }
  if (t.Has("start")) q.start = t.GetTime("start", kIstOffset);
  if (t.Has("end")) q.end = t.GetTime("end", kIstOffset);
  if (q.start && q.end && *q.start >= *q.end) {
    t.Fail("end", fmt::format("must be after start ({})", FormatIst(*q.start)));
  }
  const std::int64_t threads = t.GetInt("threads", 0);
  if (threads < 0 || threads > 64) t.Fail("threads", "must be 0 (DuckDB's default) to 64");
  q.threads = static_cast<int>(threads);
  const std::int64_t memory = t.GetInt("memory_limit_mb", 0);
  if (memory < 0 || memory > (1 << 20)) {
    t.Fail("memory_limit_mb", "must be 0 (DuckDB's default) to 1048576");
  }
  q.memory_limit_mb = static_cast<int>(memory);
  q.prefetch = t.GetBool("prefetch", true);
  t.Finish();
  if (!std::filesystem::is_directory(root + "/data")) {
    t.Fail("catalog", fmt::format("{} is not a catalog (no data/ folder)", root));
  }
  auto catalog = Catalog::Open(root);
  if (!catalog) t.Fail("catalog", catalog.error());
  auto files = (*catalog)->Files(q.type, q.instruments);
  if (!files) t.Fail("catalog", files.error());
  if (files->empty()) {
    t.Fail("instruments", fmt::format("no {} data in {} matches", CatalogDirName(q.type), root));
  }
  auto defs = (*catalog)->Instruments(q.instruments);
  if (!defs) t.Fail("catalog", defs.error());
  for (const Instrument& i : *defs) {
    if (engine.kernel().cache().instrument(i.id) == nullptr) engine.AddInstrument(i);
  }
  // What the stream holds, from the file names ({start}_{end}.parquet), inside start/end.
  const DataSeriesKind kind = q.type == CatalogDataType::kQuote   ? DataSeriesKind::kQuotes
                              : q.type == CatalogDataType::kTrade ? DataSeriesKind::kTrades
                                                                  : DataSeriesKind::kBars;
  std::map<std::string, DataSeries> by_id;
  for (const CatalogFile& f : *files) {
    const UnixNanos first = q.start ? std::max(f.start, *q.start) : f.start;
    const UnixNanos last = q.end ? std::min(f.end, *q.end) : f.end;
    if (first > last) continue;
    auto [it, added] =
        by_id.try_emplace(f.identifier, DataSeries{kind, f.identifier, first, last, true, false});
    if (!added) {
      it->second.first = std::min(it->second.first, first);
      it->second.last = std::max(it->second.last, last);
    }
  }
  std::vector<DataSeries> contents;
  contents.reserve(by_id.size());
  for (auto& [id, series] : by_id) contents.push_back(std::move(series));
  std::shared_ptr<Catalog> shared(std::move(*catalog));
  engine.AddStream([shared, q]() { return shared->Read(q); }, std::move(contents));
}

LoadedBacktest Build(const toml::table& root, const std::string& name, const std::string& base_dir,
                     const ComponentRegistry& registry, std::FILE* log_sink) {
  ConfigTable cfg(root, name, "");
  KernelConfig kc;
  kc.log_sink = log_sink;
  std::string range_note;
  LoadedBacktest out;
  out.config_path = name;
  if (auto e = cfg.GetOptionalTable("engine")) {
    kc.trader_id = TraderId(e->GetString("trader_id", "TRADER-001"));
    kc.seed = static_cast<std::uint64_t>(e->GetInt("seed", 42));
    auto lvl = ParseLogLevel(e->GetString("log_level", "WARN"));
    if (!lvl) e->Fail("log_level", lvl.error());
    kc.log_level = *lvl;
    const std::string fmt_name = e->GetString("log_format", "text");
    if (fmt_name != "text" && fmt_name != "json") e->Fail("log_format", "expected text or json");
    kc.log_format = fmt_name == "json" ? LogFormat::kJson : LogFormat::kText;
    const std::string zone = e->GetString("log_time_zone", "IST");
    if (zone != "IST" && zone != "UTC") e->Fail("log_time_zone", "expected IST or UTC");
    kc.log_time_zone = zone == "UTC" ? LogTimeZone::kUtc : LogTimeZone::kIst;
    if (e->Has("start")) out.start = e->GetTime("start", kIstOffset);
    if (e->Has("end")) out.end = e->GetTime("end", kIstOffset);
    if (out.start && out.end && *out.start >= *out.end) {
      e->Fail("end", fmt::format("must be after start ({})", FormatIst(*out.start)));
    }
    // Start checks name where the run's range was set (common/data_coverage.h).
    std::vector<std::string> where;
    if (out.start) where.push_back(fmt::format("{}: '{}'", e->Where("start"), e->KeyPath("start")));
    if (out.end) where.push_back(fmt::format("{}: '{}'", e->Where("end"), e->KeyPath("end")));
    range_note = fmt::format("{}", fmt::join(where, ", "));
    if (e->Has("bar_origin")) {
      // "HH:MM" IST boundary origin for internally aggregated time bars.
      const std::string o = e->GetString("bar_origin");
      auto t = ParseDateTime("2000-01-01T" + o, kIstOffset);
      if (!t) e->Fail("bar_origin", "expected HH:MM (IST)");
      kc.data_engine.time_bars_origin = (t->value - FromUtc(2000, 1, 1, 0, 0).value) % kNanosPerDay;
      if (kc.data_engine.time_bars_origin < 0) kc.data_engine.time_bars_origin += kNanosPerDay;
    }
    // How many recent quotes / trades per instrument and bars per bar type the cache keeps
    // (memory on large option chains: 22,906 instruments × 100 quotes ≈ 240 MB).
    auto capacity = [&](const char* key, std::size_t& field) {
      if (!e->Has(key)) return;
      const std::int64_t n = e->GetInt(key);
      if (n < 1 || n > 1'000'000) e->Fail(key, "must be between 1 and 1000000");
      field = static_cast<std::size_t>(n);
    };
    capacity("cache_quotes", kc.cache.quote_capacity);
    capacity("cache_trades", kc.cache.trade_capacity);
    capacity("cache_bars", kc.cache.bar_capacity);
    e->Finish();
  } else {
    kc.log_level = LogLevel::kWarning;
  }
  if (auto o = cfg.GetOptionalTable("output")) {
    // Results folder (the CLI's --out wins); relative to the config's folder like data paths.
    const std::string dir = o->GetString("dir");
    if (dir.empty()) o->Fail("dir", "must not be empty");
    out.output_dir = ResolvePath(base_dir, dir);
    o->Finish();
  }
  if (auto r = cfg.GetOptionalTable("risk")) {
    kc.risk_engine.bypass = r->GetBool("bypass", false);
    // 0 = unlimited; negative or absurd values are mistakes, not "unlimited".
    auto rate = [&](const char* key, int def) {
      const std::int64_t v = r->GetInt(key, def);
      if (v < 0 || v > 1'000'000) r->Fail(key, "must be between 0 (unlimited) and 1000000");
      return static_cast<int>(v);
    };
    kc.risk_engine.max_submit_per_second = rate("max_submit_per_second", 10);
    kc.risk_engine.max_submit_per_minute = rate("max_submit_per_minute", 400);
    kc.risk_engine.max_modify_per_second = rate("max_modify_per_second", 10);
    kc.risk_engine.max_modify_per_minute = rate("max_modify_per_minute", 400);
    kc.risk_engine.max_notional_per_order = r->GetOptionalMoney("max_notional_per_order");
    kc.risk_engine.check_margin = r->GetBool("check_margin", true);
    kc.risk_engine.pre_trade_nse_margin = r->GetBool("pre_trade_margin", false);
    r->Finish();
  }
  out.engine = std::make_unique<BacktestEngine>(kc);
  BacktestEngine& engine = *out.engine;
  engine.SetRangeNote(range_note);
  if (auto cal = cfg.GetOptionalTable("calendar")) {
    // NSE trading days and session hours: orders outside them are denied (MARKET_CLOSED).
    engine.SetMarketHours(std::make_unique<NseCalendar>(LoadNseCalendar(*cal, base_dir)));
  }
  const auto venues = cfg.GetTableArray("venues");
  if (venues.empty()) cfg.Fail("venues", "at least one [[venues]] table is required");
  for (const ConfigTable& v : venues) {
    BacktestVenueConfig vc;
    vc.venue.venue = Venue(v.GetString("name"));
    vc.venue.account_id = AccountId(v.GetString("account_id", vc.venue.venue.value() + "-001"));
    const std::string type = v.GetString("account_type", "MARGIN");
    auto at = ParseEnum<AccountType>(type);
    if (!at) v.Fail("account_type", "expected CASH or MARGIN");
    vc.account_type = *at;
    vc.starting_balance = v.GetMoney("starting_balance");
    if (vc.starting_balance <= Money::Zero(vc.starting_balance.currency())) {
      v.Fail("starting_balance", "must be positive");
    }
    const std::string fill = v.GetString("bar_fill", "next_open");
    if (fill != "next_open" && fill != "current_close") {
      v.Fail("bar_fill", "expected next_open or current_close");
    }
    vc.venue.bar_fill = fill == "next_open" ? BarFillMode::kNextOpen : BarFillMode::kCurrentClose;
    const std::string model = v.GetString("model", "simple");
    if (model == "nse") {
      vc.exchange = ParseExchange(v, base_dir, vc.venue.bar_fill);
    } else if (model != "simple") {
      v.Fail("model", fmt::format("unknown venue model '{}' (simple, nse)", model));
    }
    v.Finish();
    if (Status s = engine.AddVenue(vc); !s) v.Fail("name", s.error());
  }
  for (const ConfigTable& t : cfg.GetTableArray("instruments")) {
    const Instrument inst = ParseInstrument(t);
    bool venue_known = false;
    for (const ConfigTable& v : venues)
      venue_known |= v.GetString("name") == inst.id.venue().value();
    if (!venue_known && inst.is_tradable()) {
      t.Fail("id", fmt::format("venue '{}' of {} has no [[venues]] entry", inst.id.venue().value(),
                               inst.id.value()));
    }
    engine.AddInstrument(inst);
  }
  for (const ConfigTable& t : cfg.GetTableArray("data")) {
    if (t.Has("catalog")) {
      AddCatalogStream(t, base_dir, engine);
      continue;
    }
    engine.AddBars(LoadData(t, base_dir, engine, engine.kernel().cache()));
  }
  for (const ConfigTable& t : cfg.GetTableArray("actors")) {
    const std::string type = t.GetString("type");
    const std::string id = t.GetString("id", type);
    auto params = t.GetOptionalTable("params");
    static const toml::table kEmpty;
    auto actor = registry.CreateActor(
        type, id, params ? *params : ConfigTable(kEmpty, name, t.KeyPath("params")));
    t.Finish();
    if (Status s = engine.AddActor(std::move(actor)); !s) t.Fail("id", s.error());
  }
  const auto strategies = cfg.GetTableArray("strategies");
  for (const ConfigTable& t : strategies) {
    const std::string type = t.GetString("type");
    const StrategyId id(t.GetString("id", type + "-001"));
    auto params = t.GetOptionalTable("params");
    static const toml::table kEmpty;
    auto strategy = registry.CreateStrategy(
        type, id, params ? *params : ConfigTable(kEmpty, name, t.KeyPath("params")));
    t.Finish();
    if (Status s = engine.AddStrategy(std::move(strategy)); !s) t.Fail("id", s.error());
  }
  cfg.Finish();
  return out;
}

}  // namespace

LoadedBacktest LoadBacktestConfig(const std::string& path, const ComponentRegistry& registry,
                                  std::FILE* log_sink) {
  if (!std::filesystem::exists(path)) {
    throw ConfigError(fmt::format("{}: config file not found", path));
  }
  auto root = ConfigTable::ParseFile(path);
  const std::string base = std::filesystem::path(path).parent_path().string();
  return Build(*root, path, base, registry, log_sink);
}

LoadedBacktest LoadBacktestConfig(
    const std::string& path, const ComponentRegistry& registry, std::FILE* log_sink,
    const std::vector<std::pair<std::string, std::string>>& overrides) {
  if (!std::filesystem::exists(path)) {
    throw ConfigError(fmt::format("{}: config file not found", path));
  }
  auto root = ConfigTable::ParseFile(path);
  for (const auto& o : overrides) {
    ApplyConfigOverride(*root, o, fmt::format("--set {}={}", o.first, o.second));
  }
  const std::string base = std::filesystem::path(path).parent_path().string();
  return Build(*root, path, base, registry, log_sink);
}

LoadedBacktest LoadBacktestConfigString(std::string_view text, const std::string& name,
                                        const std::string& base_dir,
                                        const ComponentRegistry& registry, std::FILE* log_sink) {
  auto root = ConfigTable::ParseString(text, name);
  return Build(*root, name, base_dir, registry, log_sink);
}

}  // namespace nacre
