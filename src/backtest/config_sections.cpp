#include "backtest/config_sections.h"

#include <fmt/format.h>

#include <filesystem>

#include "backtest/config_schema.h"
#include "backtest/risk_config.h"
#include "nse/calendar_config.h"

namespace nacre {

namespace {

std::int64_t RatioRaw(const Params& t, const std::string& key) {
  return t.Has(key) ? t.GetDecimal(key).raw() : 0;  // exact decimal, never negative
}

}  // namespace

Instrument ParseInstrumentTable(const ConfigTable& table) {
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

std::string ResolveConfigPath(const std::string& base_dir, const std::string& p) {
  std::filesystem::path path(p);
  if (path.is_absolute() || base_dir.empty()) return path.lexically_normal().string();
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

namespace {

ParamSchema WithExtra(ParamSchema schema, const std::vector<ParamSpec>& extra) {
  for (const ParamSpec& p : extra) schema.params.push_back(p);
  return schema;
}

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
    const std::string path = ResolveConfigPath(base_dir, v.GetString("charges_file"));
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

}  // namespace

EngineSection ParseEngineSection(const Params& cfg, std::FILE* log_sink, bool allow_range,
                                 const std::string& range_hint) {
  EngineSection out;
  KernelConfig& kc = out.kernel;
  kc.log_sink = log_sink;
  if (!cfg.Has("engine")) {
    kc.log_level = LogLevel::kWarning;
    return out;
  }
  const ConfigTable engine_table = cfg.GetTable("engine");
  const Params e(engine_table, EngineSchema());
  kc.trader_id = TraderId(e.GetString("trader_id"));
  kc.seed = static_cast<std::uint64_t>(e.GetInt("seed"));
  auto lvl = ParseLogLevel(e.GetString("log_level"));
  if (!lvl) e.Fail("log_level", lvl.error());
  kc.log_level = *lvl;
  kc.log_format = e.GetString("log_format") == "json" ? LogFormat::kJson : LogFormat::kText;
  const std::string zone = e.GetString("log_time_zone");
  kc.log_time_zone = zone == "UTC" ? LogTimeZone::kUtc : LogTimeZone::kIst;
  if (!allow_range) {
    for (const char* key : {"start", "end"}) {
      if (e.Has(key)) e.Fail(key, fmt::format("not used here: {}", range_hint));
    }
  }
  if (e.Has("start")) out.start = e.GetTime("start", kIstOffset);
  if (e.Has("end")) out.end = e.GetEndTime("end", kIstOffset);
  if (out.start && out.end && *out.start >= *out.end) {
    e.Fail("end", fmt::format("must be after start ({})", FormatIst(*out.start)));
  }
  // Start checks name where the run's range was set (common/data_coverage.h).
  std::vector<std::string> where;
  if (out.start) where.push_back(fmt::format("{}: '{}'", e.table().Where("start"), e.table().KeyPath("start")));
  if (out.end) where.push_back(fmt::format("{}: '{}'", e.table().Where("end"), e.table().KeyPath("end")));
  out.range_note = fmt::format("{}", fmt::join(where, ", "));
  if (e.Has("bar_origin")) {
    // "HH:MM" IST boundary origin for internally aggregated time bars.
    const std::string o = e.GetString("bar_origin");
    auto t = ParseDateTime("2000-01-01T" + o, kIstOffset);
    if (!t) e.Fail("bar_origin", "expected HH:MM (IST)");
    kc.data_engine.time_bars_origin = (t->value - FromUtc(2000, 1, 1, 0, 0).value) % kNanosPerDay;
    if (kc.data_engine.time_bars_origin < 0) kc.data_engine.time_bars_origin += kNanosPerDay;
  }
  // How many recent quotes / trades per instrument and bars per bar type the cache keeps
  // (memory on large option chains: an option contract keeps its latest quote only).
  kc.cache.quote_capacity = static_cast<std::size_t>(e.GetInt("cache_quotes"));
  kc.cache.option_quote_capacity = static_cast<std::size_t>(e.GetInt("cache_option_quotes"));
  kc.data_engine.release_expired_after = e.GetInt("release_expired_after_days") * kNanosPerDay;
  kc.cache.trade_capacity = static_cast<std::size_t>(e.GetInt("cache_trades"));
  kc.cache.bar_capacity = static_cast<std::size_t>(e.GetInt("cache_bars"));
  engine_table.Finish();
  return out;
}

void ParseRiskSection(const Params& cfg, RiskEngineConfig& risk) {
  if (!cfg.Has("risk")) return;
  const ConfigTable risk_table = cfg.GetTable("risk");
  const Params r(risk_table, RiskSchema());
  risk.bypass = r.GetBool("bypass");
  // 0 = unlimited; negative or absurd values are refused by the schema.
  risk.max_submit_per_second = r.GetInt32("max_submit_per_second");
  risk.max_submit_per_minute = r.GetInt32("max_submit_per_minute");
  risk.max_modify_per_second = r.GetInt32("max_modify_per_second");
  risk.max_modify_per_minute = r.GetInt32("max_modify_per_minute");
  if (r.Has("max_notional_per_order")) {
    risk.max_notional_per_order = r.GetMoney("max_notional_per_order");
  }
  risk.check_margin = r.GetBool("check_margin");
  risk.pre_trade_nse_margin = r.GetBool("pre_trade_margin");
  ParseLiveRisk(r, risk);  // [risk.live]
  risk_table.Finish();
}

std::unique_ptr<MarketHours> ParseCalendarSection(const Params& cfg, const std::string& base_dir) {
  if (!cfg.Has("calendar")) return nullptr;
  // NSE trading days and session hours: orders outside them are denied (MARKET_CLOSED).
  return std::make_unique<NseCalendar>(LoadNseCalendar(cfg.GetTable("calendar"), base_dir));
}

BacktestVenueConfig ParseVenueTable(const ConfigTable& venue_table, const std::string& base_dir,
                                    const std::vector<ParamSpec>& extra) {
  const Params v(venue_table, WithExtra(VenueSchema(), extra));
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
  return vc;
}

CatalogQuery ParseCatalogQueryTable(const ConfigTable& table, const std::string& base_dir,
                                    std::string& root, const std::vector<ParamSpec>& extra) {
  const Params t(table, WithExtra(CatalogDataSchema(), extra));
  root = ResolveConfigPath(base_dir, t.GetString("catalog"));
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
  q.binary_cache = t.GetBool("binary_cache");
  table.Finish();
  if (!std::filesystem::is_directory(root + "/data")) {
    t.Fail("catalog", fmt::format("{} is not a catalog (no data/ folder)", root));
  }
  return q;
}

void CreateComponents(const Params& cfg, const std::string& name,
                      const ComponentRegistry& registry,
                      const std::function<Status(std::unique_ptr<Actor>)>& add_actor,
                      const std::function<Status(std::unique_ptr<Strategy>)>& add_strategy) {
  static const toml::table kEmpty;
  for (const ConfigTable& entry : cfg.GetTableList("actors")) {
    const Params t(entry, ComponentEntrySchema("actors"));
    const std::string type = t.GetString("type");
    const std::string id = t.Has("id") ? t.GetString("id") : type;
    auto actor = registry.CreateActor(
        type, id,
        t.Has("params") ? t.GetTable("params") : ConfigTable(kEmpty, name, entry.KeyPath("params")));
    entry.Finish();
    if (Status s = add_actor(std::move(actor)); !s) t.Fail("id", s.error());
  }
  for (const ConfigTable& entry : cfg.GetTableList("strategies")) {
    const Params t(entry, ComponentEntrySchema("strategies"));
    const std::string type = t.GetString("type");
    const StrategyId id(t.Has("id") ? t.GetString("id") : type + "-001");
    auto strategy = registry.CreateStrategy(
        type, id,
        t.Has("params") ? t.GetTable("params") : ConfigTable(kEmpty, name, entry.KeyPath("params")));
    entry.Finish();
    if (Status s = add_strategy(std::move(strategy)); !s) t.Fail("id", s.error());
  }
}

}  // namespace nacre
