#include "backtest/backtest_config.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <memory>

#include "backtest/config_schema.h"
#include "backtest/config_sections.h"
#include "backtest/sweep.h"
#include "common/config.h"
#include "nse/calendar_config.h"
#include "persistence/bar_csv.h"
#include "persistence/catalog.h"
#include "persistence/random_walk.h"

namespace nacre {

namespace {

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
  const std::string path = ResolveConfigPath(base_dir, t.GetString("path"));
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
// `opened`: the catalogs earlier sections opened, by root (one DuckDB instance per catalog).
void AddCatalogStream(const ConfigTable& table, const std::string& base_dir,
                      BacktestEngine& engine,
                      std::map<std::string, std::shared_ptr<Catalog>>& opened) {
  std::string root;
  const CatalogQuery q = ParseCatalogQueryTable(table, base_dir, root);
  const ConfigTable& t = table;
  std::shared_ptr<Catalog>& catalog = opened[root];
  if (catalog == nullptr) {
    auto c = Catalog::Open(root);
    if (!c) t.Fail("catalog", c.error());
    catalog = std::move(*c);
  }
  auto files = catalog->Files(q.type, q.instruments, q.binary_cache);
  if (!files) t.Fail("catalog", files.error());
  if (files->empty()) {
    t.Fail("instruments", fmt::format("no {} data in {} matches", CatalogDirName(q.type), root));
  }
  auto defs = catalog->Instruments(q.instruments);
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
  // The stream reads what was listed here (its contents above), not a second listing.
  engine.AddStream([shared = catalog, q, listed = std::move(*files)]() {
    return shared->Read(q, listed);
  }, std::move(contents));
}

LoadedBacktest Build(const toml::table& root, const std::string& name, const std::string& base_dir,
                     const ComponentRegistry& registry, std::FILE* log_sink) {
  const ConfigTable root_table(root, name, "");
  const Params cfg(root_table, BacktestRootSchema());
  LoadedBacktest out;
  out.config_path = name;
  EngineSection engine_section = ParseEngineSection(cfg, log_sink, /*allow_range=*/true);
  KernelConfig& kc = engine_section.kernel;
  out.start = engine_section.start;
  out.end = engine_section.end;
  if (cfg.Has("output")) {
    const ConfigTable output_table = cfg.GetTable("output");
    const Params o(output_table, OutputSchema());
    // Results folder (the CLI's --out wins); relative to the config's folder like data paths.
    const std::string dir = o.GetString("dir");
    if (dir.empty()) o.Fail("dir", "must not be empty");
    out.output_dir = ResolveConfigPath(base_dir, dir);
    out.recorder.equity_interval = o.GetInt("equity_interval_secs") * kNanosPerSecond;
    output_table.Finish();
  }
  ParseRiskSection(cfg, kc.risk_engine);
  out.engine = std::make_unique<BacktestEngine>(kc);
  BacktestEngine& engine = *out.engine;
  engine.SetRangeNote(engine_section.range_note);
  if (auto hours = ParseCalendarSection(cfg, base_dir)) engine.SetMarketHours(std::move(hours));
  const auto venues = cfg.GetTableList("venues");
  if (venues.empty()) cfg.Fail("venues", "at least one [[venues]] table is required");
  for (const ConfigTable& venue_table : venues) {
    const BacktestVenueConfig vc = ParseVenueTable(venue_table, base_dir);
    if (Status s = engine.AddVenue(vc); !s) venue_table.Fail("name", s.error());
  }
  for (const ConfigTable& t : cfg.GetTableList("instruments")) {
    const Instrument inst = ParseInstrumentTable(t);
    bool venue_known = false;
    for (const ConfigTable& v : venues)
      venue_known |= v.GetString("name") == inst.id.venue().value();
    if (!venue_known && inst.is_tradable()) {
      t.Fail("id", fmt::format("venue '{}' of {} has no [[venues]] entry", inst.id.venue().value(),
                               inst.id.value()));
    }
    engine.AddInstrument(inst);
  }
  std::map<std::string, std::shared_ptr<Catalog>> catalogs;
  for (const ConfigTable& t : cfg.GetTableList("data")) {
    if (t.raw().contains("catalog")) {
      AddCatalogStream(t, base_dir, engine, catalogs);
      continue;
    }
    engine.AddBars(LoadData(t, base_dir, engine, engine.kernel().cache()));
  }
  CreateComponents(
      cfg, name, registry,
      [&](std::unique_ptr<Actor> a) { return engine.AddActor(std::move(a)); },
      [&](std::unique_ptr<Strategy> s) { return engine.AddStrategy(std::move(s)); });
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
