#include "backtest/backtest_config.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>

#include "backtest/config_schema.h"
#include "backtest/risk_config.h"
#include "backtest/sweep.h"
#include "common/config.h"
#include "nse/calendar_config.h"
#include "persistence/bar_csv.h"
#include "persistence/catalog.h"
#include "persistence/random_walk.h"

namespace nacre {

namespace {

std::int64_t RatioRaw(const Params& t, const std::string& key) {
  return t.Has(key) ? t.GetDecimal(key).raw() : 0;  // exact decimal, never negative
}

Instrument ParseInstrument(const ConfigTable& table) {
  const Params t(table, InstrumentSchema());
  auto id = InstrumentId::Parse(t.GetString("id"));
  if (!id) t.Fail("id", id.error());
  const std::string kind = t.GetString("kind");
  const Price tick = t.GetDecimal("tick_size");
  const int precision =
      t.Has("price_precision") ? t.GetInt32("price_precision") : tick.precision();
  if (kind == "index") {
    auto inst = MakeIndex(*id, precision, tick);
    if (!inst) t.Fail("id", inst.error());
    table.Finish();
    return *inst;
  }
  InstrumentSpec spec;
  spec.id = *id;
  spec.price_precision = precision;
  spec.tick_size = tick;
  spec.raw_symbol =
      Symbol(t.Has("raw_symbol") ? t.GetString("raw_symbol") : id->symbol().value());
  spec.lot_size = Quantity::FromInt(t.GetInt("lot_size"));
  spec.multiplier = t.GetInt("multiplier");
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
    inst = MakeOption(spec, *underlying, ok == "CALL" ? OptionKind::kCall : OptionKind::kPut,
                      t.GetDecimal("strike"), activation, expiry);
  }
  if (!inst) t.Fail("id", inst.error());
  table.Finish();
  return *inst;
}

std::string ResolvePath(const std::string& base_dir, const std::string& p);

// The NSE exchange keys of a [[venues]] table with model = "nse" (see docs/config.md).
SimulatedExchangeConfig ParseExchange(const Params& v, const std::string& base_dir,
                                      BarFillMode bar_fill) {
  SimulatedExchangeConfig c;
  c.fill.bar_fill = bar_fill;
  c.fill.walk_ticks = v.GetInt32("walk_ticks");
  if (v.Has("size_step")) c.fill.size_step = Quantity::FromInt(v.GetInt("size_step"));
  c.fill.limit_touch_probability = v.GetNumber("limit_touch_probability");
  c.fill.queue_position = v.GetBool("queue_position");
  c.fill.stop_trigger = v.GetString("stop_trigger") == "last" ? StopTriggerSource::kLast
                                                              : StopTriggerSource::kBidAsk;
  c.fill.seed = static_cast<std::uint64_t>(v.GetInt("seed"));
  c.latency.submit = v.GetInt("latency_submit_ms") * kNanosPerMilli;
  c.latency.modify = v.GetInt("latency_modify_ms") * kNanosPerMilli;
  c.latency.cancel = v.GetInt("latency_cancel_ms") * kNanosPerMilli;
  c.latency.response = v.GetInt("latency_response_ms") * kNanosPerMilli;
  c.charges = v.GetBool("charges");
  if (v.Has("charges_file")) {
    if (!c.charges) v.Fail("charges_file", "given while charges = false");
    const std::string path = ResolvePath(base_dir, v.GetString("charges_file"));
    if (!std::filesystem::exists(path)) {
      v.Fail("charges_file", fmt::format("file not found: {}", path));
    }
    c.schedule = std::make_shared<const ChargeSchedule>(ChargeSchedule::LoadFile(path));
  }
  // Percent, exact decimal: "2" or "2.5" (Kite market_protection).
  if (v.Has("market_protection")) c.market_protection_pct_raw = v.GetDecimal("market_protection").raw();
  c.stop_protection = v.GetString("stop_protection") == "market"
                          ? StopProtectionReference::kMarket
                          : StopProtectionReference::kTrigger;
  c.require_market_protection = v.GetBool("require_market_protection");
  c.lpp = v.GetBool("lpp");
  c.margin_check = v.GetBool("margin");
  c.margin_default_vol = v.GetNumber("margin_default_vol");
  c.underlying_vol = v.GetNumber("underlying_vol");
  return c;
}

std::string ResolvePath(const std::string& base_dir, const std::string& p) {
  std::filesystem::path path(p);
  if (path.is_absolute() || base_dir.empty()) return path.lexically_normal().string();
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

std::vector<Bar> LoadData(const ConfigTable& table, const std::string& base_dir,
                          BacktestEngine& engine, const Cache& cache) {
  const Params t(table, DataSchema());
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
    auto d = ParseDate(t.GetString("start_date"));
    if (!d) t.Fail("start_date", d.error());
    c.start_date = *d;
    c.days = t.GetInt32("days");
    const Price p = t.GetDecimal("start_price");
    auto fitted = Price::FromRaw(p.raw(), inst->price_precision);
    if (!fitted || !inst->OnTickGrid(*fitted)) {
      t.Fail("start_price", fmt::format("must be on the {} tick grid of {}",
                                        inst->tick_size.ToString(), inst->id.value()));
    }
    c.start_price = *fitted;
    c.ticks_per_step = t.GetInt32("ticks_per_step");
    c.seed = static_cast<std::uint64_t>(t.GetInt("seed"));
    if (bt->spec().aggregation != BarAggregation::kMinute) {
      t.Fail("bar_type", "random_walk generates MINUTE bars");
    }
    table.Finish();
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
    const std::string tz = t.GetString("utc_offset");
    auto parsed = ParseDateTime("2000-01-01T00:00" + tz, 0);
    if (!parsed || (tz.size() != 6 && tz != "Z")) {
      t.Fail("utc_offset", fmt::format("invalid UTC offset '{}' (e.g. +05:30, Z)", tz));
    }
    opt.utc_offset = -(parsed->value - FromUtc(2000, 1, 1, 0, 0).value);
    const std::string stamp = t.GetString("timestamp");
    opt.timestamp = stamp == "open" ? BarTimestamp::kOpen : BarTimestamp::kClose;
  }
  const std::string path = ResolvePath(base_dir, t.GetString("path"));
  table.Finish();
  // Streamed in blocks during the run (memory stays flat). Opening checks the file and its
  // header now; a bad row later stops the run with the file, line and column.
  auto probe = OpenBarsCsvStream(path, opt);
  if (!probe) throw ConfigError(fmt::format("{}: {}", table.Where("path"), probe.error()));
  // One bar type; its range is learnt from the stream's first bar in the run.
  DataSeries series{DataSeriesKind::kBars, bt->ToString(), UnixNanos(), UnixNanos(), false, false};
  engine.AddStream([path, opt]() { return OpenBarsCsvStream(path, opt); },
                   std::vector<DataSeries>{series});
  return {};
}

// [[data]] catalog = "dir", type = "quote"|"trade"|"bar", instruments = "NIFTY*.NFO" (or an
// array), optional start/end (IST unless an offset is given). Instrument definitions the
// catalog holds for the matching ids are added to the engine (config [[instruments]] win).
void AddCatalogStream(const ConfigTable& table, const std::string& base_dir,
                      BacktestEngine& engine) {
  const Params t(table, CatalogDataSchema());
  const std::string root = ResolvePath(base_dir, t.GetString("catalog"));
  CatalogQuery q;
  auto type = ParseCatalogDataType(t.GetString("type"));
  if (!type) t.Fail("type", type.error());
  q.type = *type;
  for (std::string& one : t.GetStrings("instruments")) {
    if (!one.empty()) q.instruments.push_back(std::move(one));
  }
  if (t.Has("start")) q.start = t.GetTime("start", kIstOffset);
  if (t.Has("end")) q.end = t.GetEndTime("end", kIstOffset);
  if (q.start && q.end && *q.start >= *q.end) {
    t.Fail("end", fmt::format("must be after start ({})", FormatIst(*q.start)));
  }
  q.threads = t.GetInt32("threads");
  q.memory_limit_mb = t.GetInt32("memory_limit_mb");
  q.prefetch = t.GetBool("prefetch");
  table.Finish();
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
  const ConfigTable root_table(root, name, "");
  const Params cfg(root_table, BacktestRootSchema());
  KernelConfig kc;
  kc.log_sink = log_sink;
  std::string range_note;
  LoadedBacktest out;
  out.config_path = name;
  if (cfg.Has("engine")) {
    const ConfigTable engine_table = cfg.GetTable("engine");
    const Params engine_params(engine_table, EngineSchema());
    const Params* e = &engine_params;
    kc.trader_id = TraderId(e->GetString("trader_id"));
    kc.seed = static_cast<std::uint64_t>(e->GetInt("seed"));
    auto lvl = ParseLogLevel(e->GetString("log_level"));
    if (!lvl) e->Fail("log_level", lvl.error());
    kc.log_level = *lvl;
    kc.log_format = e->GetString("log_format") == "json" ? LogFormat::kJson : LogFormat::kText;
    const std::string zone = e->GetString("log_time_zone");
    kc.log_time_zone = zone == "UTC" ? LogTimeZone::kUtc : LogTimeZone::kIst;
    if (e->Has("start")) out.start = e->GetTime("start", kIstOffset);
    if (e->Has("end")) out.end = e->GetEndTime("end", kIstOffset);
    if (out.start && out.end && *out.start >= *out.end) {
      e->Fail("end", fmt::format("must be after start ({})", FormatIst(*out.start)));
    }
    // Start checks name where the run's range was set (common/data_coverage.h).
    std::vector<std::string> where;
    if (out.start) where.push_back(fmt::format("{}: '{}'", e->table().Where("start"), e->table().KeyPath("start")));
    if (out.end) where.push_back(fmt::format("{}: '{}'", e->table().Where("end"), e->table().KeyPath("end")));
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
    kc.cache.quote_capacity = static_cast<std::size_t>(e->GetInt("cache_quotes"));
    kc.cache.trade_capacity = static_cast<std::size_t>(e->GetInt("cache_trades"));
    kc.cache.bar_capacity = static_cast<std::size_t>(e->GetInt("cache_bars"));
    engine_table.Finish();
  } else {
    kc.log_level = LogLevel::kWarning;
  }
  if (cfg.Has("output")) {
    const ConfigTable output_table = cfg.GetTable("output");
    const Params o(output_table, OutputSchema());
    // Results folder (the CLI's --out wins); relative to the config's folder like data paths.
    const std::string dir = o.GetString("dir");
    if (dir.empty()) o.Fail("dir", "must not be empty");
    out.output_dir = ResolvePath(base_dir, dir);
    output_table.Finish();
  }
  if (cfg.Has("risk")) {
    const ConfigTable risk_table = cfg.GetTable("risk");
    const Params r(risk_table, RiskSchema());
    kc.risk_engine.bypass = r.GetBool("bypass");
    // 0 = unlimited; negative or absurd values are refused by the schema.
    kc.risk_engine.max_submit_per_second = r.GetInt32("max_submit_per_second");
    kc.risk_engine.max_submit_per_minute = r.GetInt32("max_submit_per_minute");
    kc.risk_engine.max_modify_per_second = r.GetInt32("max_modify_per_second");
    kc.risk_engine.max_modify_per_minute = r.GetInt32("max_modify_per_minute");
    if (r.Has("max_notional_per_order")) {
      kc.risk_engine.max_notional_per_order = r.GetMoney("max_notional_per_order");
    }
    kc.risk_engine.check_margin = r.GetBool("check_margin");
    kc.risk_engine.pre_trade_nse_margin = r.GetBool("pre_trade_margin");
    ParseLiveRisk(r, kc.risk_engine);
    risk_table.Finish();
  }
  out.engine = std::make_unique<BacktestEngine>(kc);
  BacktestEngine& engine = *out.engine;
  engine.SetRangeNote(range_note);
  if (cfg.Has("calendar")) {
    // NSE trading days and session hours: orders outside them are denied (MARKET_CLOSED).
    engine.SetMarketHours(
        std::make_unique<NseCalendar>(LoadNseCalendar(cfg.GetTable("calendar"), base_dir)));
  }
  const auto venues = cfg.GetTableList("venues");
  if (venues.empty()) cfg.Fail("venues", "at least one [[venues]] table is required");
  for (const ConfigTable& venue_table : venues) {
    const Params v(venue_table, VenueSchema());
    BacktestVenueConfig vc;
    vc.venue.venue = Venue(v.GetString("name"));
    vc.venue.account_id = AccountId(v.Has("account_id") ? v.GetString("account_id")
                                                        : vc.venue.venue.value() + "-001");
    auto at = ParseEnum<AccountType>(v.GetString("account_type"));
    if (!at) v.Fail("account_type", "expected CASH or MARGIN");
    vc.account_type = *at;
    vc.starting_balance = v.GetMoney("starting_balance");
    vc.venue.bar_fill = v.GetString("bar_fill") == "next_open" ? BarFillMode::kNextOpen
                                                               : BarFillMode::kCurrentClose;
    if (v.GetString("model") == "nse") {
      vc.exchange = ParseExchange(v, base_dir, vc.venue.bar_fill);
    }
    venue_table.Finish();
    if (Status s = engine.AddVenue(vc); !s) v.Fail("name", s.error());
  }
  for (const ConfigTable& t : cfg.GetTableList("instruments")) {
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
  for (const ConfigTable& t : cfg.GetTableList("data")) {
    if (t.raw().contains("catalog")) {
      AddCatalogStream(t, base_dir, engine);
      continue;
    }
    engine.AddBars(LoadData(t, base_dir, engine, engine.kernel().cache()));
  }
  static const toml::table kEmpty;
  for (const ConfigTable& entry : cfg.GetTableList("actors")) {
    const Params t(entry, ComponentEntrySchema("actors"));
    const std::string type = t.GetString("type");
    const std::string id = t.Has("id") ? t.GetString("id") : type;
    auto actor = registry.CreateActor(
        type, id,
        t.Has("params") ? t.GetTable("params") : ConfigTable(kEmpty, name, entry.KeyPath("params")));
    entry.Finish();
    if (Status s = engine.AddActor(std::move(actor)); !s) t.Fail("id", s.error());
  }
  for (const ConfigTable& entry : cfg.GetTableList("strategies")) {
    const Params t(entry, ComponentEntrySchema("strategies"));
    const std::string type = t.GetString("type");
    const StrategyId id(t.Has("id") ? t.GetString("id") : type + "-001");
    auto strategy = registry.CreateStrategy(
        type, id,
        t.Has("params") ? t.GetTable("params") : ConfigTable(kEmpty, name, entry.KeyPath("params")));
    entry.Finish();
    if (Status s = engine.AddStrategy(std::move(strategy)); !s) t.Fail("id", s.error());
  }
  root_table.Finish();
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
