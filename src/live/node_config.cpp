#include "live/node_config.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <optional>

#include "backtest/config_schema.h"
#include "backtest/config_sections.h"
#include "backtest/sweep.h"
#include "common/config.h"
#include "persistence/tick_csv.h"

namespace nacre {

namespace {

using P = ParamSpec;

ParamSpec ReplayClientSpec() {
  return P::Choice("client", "replay", {"replay"})
      .Doc("replay: a Nacre catalog at the clock's pace (the Zerodha ticker comes with the "
           "adapter)");
}

ParamSpec SandboxClientSpec() {
  return P::Choice("client", "sandbox", {"sandbox"})
      .Doc("sandbox: the simulated exchange fed by the node's data (Zerodha comes with the "
           "adapter)");
}

std::vector<LiveAdapter>& Adapters() {
  static std::vector<LiveAdapter> adapters;
  return adapters;
}

std::string HashText(std::string_view text) {
  // FNV-1a 64: identifies the config a run started with (not a security hash).
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", h);
}

LoadedNode Build(const toml::table& root, const std::string& name, const std::string& base_dir,
                 const ComponentRegistry& registry, std::FILE* log_sink,
                 const std::string& config_hash) {
  const ConfigTable root_table(root, name, "");
  const Params cfg(root_table, NodeRootSchema());
  if (!cfg.Has("node")) cfg.Fail("node", "a node config needs a [node] table");
  const ConfigTable node_table = cfg.GetTable("node");
  const Params n(node_table, NodeSchema());
  NodeSettings s;
  s.environment = n.GetString("environment");
  const bool live = s.environment == "live";
  const LiveAdapter* adapter = nullptr;
  if (live) {
    for (const LiveAdapter& a : Adapters()) {
      if (cfg.Has(a.table)) adapter = &a;
    }
    if (adapter == nullptr) {
      n.Fail("environment", Adapters().empty()
                                ? "\"live\" needs a broker adapter, and none is built into this "
                                  "program"
                                : fmt::format("\"live\" needs the broker's table ([{}])",
                                              Adapters().front().table));
    }
  } else {
    for (const LiveAdapter& a : Adapters()) {
      if (cfg.Has(a.table)) {
        cfg.Fail(a.table, fmt::format("[{}] is for environment = \"live\" (this node is \"{}\")",
                                      a.table, s.environment));
      }
    }
  }
  s.state_dir = ResolveConfigPath(base_dir, n.GetString("state_dir"));
  // A live node runs on real time unless told otherwise (or its broker adapter sets the
  // clock: the Kite emulator's).
  const std::string clock = live && !n.Has("clock") ? "real" : n.GetString("clock");
  s.clock = clock == "replay"   ? NodeSettings::ClockMode::kReplay
            : clock == "scaled" ? NodeSettings::ClockMode::kScaled
                                : NodeSettings::ClockMode::kReal;
  const bool virtual_time = s.clock != NodeSettings::ClockMode::kReal;
  if (virtual_time) {
    if (!n.Has("start")) n.Fail("start", fmt::format("a {} clock needs the market time it starts at", clock));
    s.start = n.GetTime("start", kIstOffset);
    s.speed = n.GetNumber("speed");
    if (s.speed == 0 && s.clock == NodeSettings::ClockMode::kScaled) {
      n.Fail("speed", "0 (as fast as it goes) is for clock = \"replay\" only");
    }
  } else if (n.Has("start") || n.Has("speed")) {
    n.Fail(n.Has("start") ? "start" : "speed", "only with clock = \"replay\" or \"scaled\"");
  }
  if (n.Has("end")) {
    s.end = n.GetEndTime("end", kIstOffset);
    if (virtual_time && *s.end <= s.start) {
      n.Fail("end", fmt::format("must be after start ({})", FormatIst(s.start)));
    }
  }
  s.stop_when_data_ends = n.GetBool("stop_when_data_ends");
  const std::string on_stop = n.GetString("on_stop");
  s.on_stop = on_stop == "cancel"  ? NodeSettings::OnStop::kCancel
              : on_stop == "leave" ? NodeSettings::OnStop::kLeave
                                   : NodeSettings::OnStop::kFlatten;
  s.stop_wait = n.GetInt("stop_wait_secs") * kNanosPerSecond;
  s.snapshot_interval = n.GetInt("snapshot_interval_secs") * kNanosPerSecond;
  s.results_interval = n.GetInt("results_interval_secs") * kNanosPerSecond;
  s.journal_sync = n.GetString("journal_sync") == "normal" ? JournalSync::kNormal : JournalSync::kFull;
  s.config_hash = config_hash;
  if (n.Has("timeouts")) {
    const ConfigTable timeouts = n.GetTable("timeouts");
    const Params t(timeouts, NodeTimeoutsSchema());
    s.connect_timeout = static_cast<DurationNs>(t.GetNumber("connect_secs") * 1e9);
    s.portfolio_timeout = static_cast<DurationNs>(t.GetNumber("portfolio_secs") * 1e9);
    timeouts.Finish();
  }
  node_table.Finish();

  EngineSection engine = ParseEngineSection(
      cfg, log_sink, /*allow_range=*/false,
      "a node's times are [node] start and end (its data clients' start/end narrow the replay)");
  if (cfg.Has("output")) {
    const ConfigTable output_table = cfg.GetTable("output");
    const Params o(output_table, OutputSchema());
    const std::string dir = o.GetString("dir");
    if (dir.empty()) o.Fail("dir", "must not be empty");
    s.results_dir = ResolveConfigPath(base_dir, dir);
    s.results.equity_interval = o.GetInt("equity_interval_secs") * kNanosPerSecond;
    output_table.Finish();
  }
  ParseRiskSection(cfg, engine.kernel.risk_engine);

  // The broker's table is read before the node is made (its clock may come from the broker).
  std::optional<ConfigTable> broker_table;
  std::optional<Params> broker_params;
  if (live) {
    broker_table.emplace(cfg.GetTable(adapter->table));
    broker_params.emplace(*broker_table, adapter->schema());
    if (adapter->prepare) adapter->prepare(*broker_params, base_dir, s);
  }

  LoadedNode out;
  out.config_path = name;
  out.node = std::make_unique<TradingNode>(s, engine.kernel);
  TradingNode& node = *out.node;
  if (auto hours = ParseCalendarSection(cfg, base_dir)) node.SetMarketHours(std::move(hours));

  if (live) {
    // The broker's instruments, execution and data clients come from its adapter; a
    // [[exec_clients]] or [[data_clients]] table would be a second, simulated path.
    for (const char* key : {"exec_clients", "data_clients"}) {
      if (!cfg.GetTableList(key).empty()) {
        cfg.Fail(key, fmt::format("a live node's clients come from [{}]; remove [[{}]]",
                                  adapter->table, key));
      }
    }
    adapter->attach(*broker_params, base_dir, s, node);
    broker_table->Finish();
    for (const ConfigTable& t : cfg.GetTableList("instruments")) node.AddInstrument(ParseInstrumentTable(t));
    CreateComponents(
        cfg, name, registry, [&](std::unique_ptr<Actor> a) { return node.AddActor(std::move(a)); },
        [&](std::unique_ptr<Strategy> st) { return node.AddStrategy(std::move(st)); });
    root_table.Finish();
    return out;
  }
  const auto execs = cfg.GetTableList("exec_clients");
  if (execs.empty()) cfg.Fail("exec_clients", "at least one [[exec_clients]] table is required");
  std::vector<std::string> venue_names;
  for (const ConfigTable& t : execs) {
    const BacktestVenueConfig vc = ParseVenueTable(
        t, base_dir, {SandboxClientSpec()});
    if (Status st = node.AddSandboxVenue(vc); !st) t.Fail("name", st.error());
    venue_names.push_back(vc.venue.venue.value());
  }
  for (const ConfigTable& t : cfg.GetTableList("instruments")) {
    const Instrument inst = ParseInstrumentTable(t);
    if (inst.is_tradable() &&
        std::find(venue_names.begin(), venue_names.end(), inst.id.venue().value()) ==
            venue_names.end()) {
      t.Fail("id", fmt::format("venue '{}' of {} has no [[exec_clients]] entry",
                               inst.id.venue().value(), inst.id.value()));
    }
    node.AddInstrument(inst);
  }
  // Replay clients: one per catalog, its entries merged in time order by one feeder.
  const auto datas = cfg.GetTableList("data_clients");
  if (datas.empty()) cfg.Fail("data_clients", "at least one [[data_clients]] table is required");
  std::map<std::string, ReplayDataConfig> by_catalog;
  std::vector<std::string> order;
  for (const ConfigTable& t : datas) {
    std::string catalog_root;
    const CatalogQuery q = ParseCatalogQueryTable(
        t, base_dir, catalog_root,
        {ReplayClientSpec()});
    auto catalog = Catalog::Open(catalog_root);
    if (!catalog) t.Fail("catalog", catalog.error());
    auto files = (*catalog)->Files(q.type, q.instruments, q.binary_cache);
    if (!files) t.Fail("catalog", files.error());
    if (files->empty()) {
      t.Fail("instruments",
             fmt::format("no {} data in {} matches", CatalogDirName(q.type), catalog_root));
    }
    auto defs = (*catalog)->Instruments(q.instruments);
    if (!defs) t.Fail("catalog", defs.error());
    for (const Instrument& i : *defs) node.AddInstrument(i);
    auto [it, added] = by_catalog.try_emplace(catalog_root);
    if (added) {
      order.push_back(catalog_root);
      it->second.catalog = catalog_root;
      it->second.id = ClientId(by_catalog.size() == 1 ? "REPLAY"
                                                      : fmt::format("REPLAY-{}", by_catalog.size()));
      it->second.venue = Venue(venue_names.front());
    }
    it->second.queries.push_back(q);
  }
  for (const std::string& r : order) node.AddReplayClient(by_catalog[r]);
  CreateComponents(
      cfg, name, registry, [&](std::unique_ptr<Actor> a) { return node.AddActor(std::move(a)); },
      [&](std::unique_ptr<Strategy> st) { return node.AddStrategy(std::move(st)); });
  root_table.Finish();
  return out;
}

}  // namespace

ParamSchema NodeRootSchema() {
  return {"top level",
          "the sections of a node config (`nacre run`)",
          {
              P::Table("node"),
              P::Table("engine"),
              P::Table("output"),
              P::Table("risk"),
              P::Table("calendar"),
              P::TableList("data_clients"),
              P::TableList("exec_clients"),
              P::TableList("instruments"),
              P::TableList("actors"),
              P::TableList("strategies"),
              P::Table("kite").Doc("environment = \"live\": the Zerodha Kite Connect adapter "
                                   "(its keys below)"),
          }};
}

void RegisterLiveAdapter(LiveAdapter adapter) {
  for (LiveAdapter& a : Adapters()) {
    if (a.table == adapter.table) {
      a = std::move(adapter);
      return;
    }
  }
  Adapters().push_back(std::move(adapter));
}

std::vector<ParamSchema> LiveAdapterSchemas() {
  std::vector<ParamSchema> out;
  for (const LiveAdapter& a : Adapters()) out.push_back(a.schema());
  return out;
}

ParamSchema NodeSchema() {
  return {
      "[node]",
      "the trading node (`nacre run`): environment, state, clock and stop",
      {
          P::Choice("environment", "sandbox", {"sandbox", "live"})
              .Doc("sandbox: live or replayed data, simulated fills; live: real orders (with "
                   "the Zerodha adapter)"),
          P::String("state_dir", "state")
              .Doc("the journal and the sandbox venue's ledger go in {state_dir}/{trader_id}/"),
          P::Choice("clock", "replay", {"replay", "scaled", "real"})
              .Doc("replay: the replayed data's own time (timers and latencies fall as in a "
                   "backtest), paced at `speed`; scaled: a live clock `speed` times faster than "
                   "the wall from `start`; real: the system clock (the default of a live node)"),
          P::Time("start").Doc("market time a fresh node's scaled clock starts at (IST unless "
                               "an offset is given); a restarted node resumes where it stopped"),
          P::Number("speed", 1.0)
              .AtLeast(0)
              .AtMost(1'000'000)
              .Doc("market seconds per wall second (replay: 0 runs as fast as it goes)"),
          P::Time("end").Doc("the node stops when its clock reaches this time"),
          P::Bool("stop_when_data_ends", true)
              .Doc("stop when every replay client has sent all its data"),
          P::Choice("on_stop", "cancel", {"cancel", "leave", "flatten"})
              .Doc("at stop: working orders cancelled (waiting for the venue) or left working; "
                   "flatten: cancelled, then every position closed by the kill switch's "
                   "flatten (shorts bought back before longs are sold)"),
          P::Int("stop_wait_secs", 10)
              .Range(0, 600)
              .Doc("wall time the stop waits for cancels (and a flatten's fills); with [kite] "
                   "at least 20 s (an unanswered send is settled by Kite's order book)"),
          P::Int("snapshot_interval_secs", 300)
              .Range(0, 86'400)
              .Doc("clock time between state snapshots besides those after order activity (0: "
                   "only those and at stop)"),
          P::Int("results_interval_secs", 0)
              .Range(0, 86'400)
              .Doc("clock time between updates of the results folder while running (0: at "
                   "stop only)"),
          P::Choice("journal_sync", "full", {"full", "normal"})
              .Doc("full: fsync every commit (the only safe setting with money); normal: "
                   "faster, not power-loss safe"),
          P::Table("timeouts").Doc("[node.timeouts]: the start's waits, below"),
      }};
}

ParamSchema NodeTimeoutsSchema() {
  return {"[node.timeouts]",
          "how long the node's start waits (wall seconds) before it gives up on a phase",
          {
              P::Number("connect_secs", 60)
                  .AtLeast(0.01)
                  .AtMost(3600)
                  .Doc("every data and execution client connected; past it the node exits "
                       "non-zero naming the clients still down"),
              P::Number("portfolio_secs", 10)
                  .AtLeast(0.01)
                  .AtMost(3600)
                  .Doc("a price for every open position (a restart with positions); past it "
                       "trading stays HALTED with the instruments named, data keeps flowing "
                       "and `nacre ctl reconcile` retries"),
          }};
}

ParamSchema ReplayDataClientSchema() {
  ParamSchema s = CatalogDataSchema();
  s.params.insert(s.params.begin(), ReplayClientSpec());
  s.name = "[[data_clients]]";
  s.summary =
      "client = \"replay\": a catalog streamed at the clock's pace (the keys of a catalog "
      "[[data]] entry)";
  return s;
}

ParamSchema SandboxExecClientSchema() {
  ParamSchema s = VenueSchema();
  s.name = "[[exec_clients]]";
  s.summary =
      "client = \"sandbox\": a simulated venue fed by the node's data (the keys of a [[venues]] "
      "entry)";
  s.params.insert(s.params.begin(), SandboxClientSpec());
  return s;
}

std::vector<ParamSchema> NodeConfigSections() {
  return {NodeSchema(), NodeTimeoutsSchema(), ReplayDataClientSchema(), SandboxExecClientSchema()};
}

LoadedNode LoadNodeConfig(const std::string& path, const ComponentRegistry& registry,
                          std::FILE* log_sink,
                          const std::vector<std::pair<std::string, std::string>>& overrides) {
  if (!std::filesystem::exists(path)) {
    throw ConfigError(fmt::format("{}: config file not found", path));
  }
  auto root = ConfigTable::ParseFile(path);
  auto read = ReadWholeFile(path);
  if (!read) throw ConfigError(read.error());
  std::string text = std::move(*read);
  for (const auto& o : overrides) {
    ApplyConfigOverride(*root, o, fmt::format("--set {}={}", o.first, o.second));
    text += "\n" + o.first + "=" + o.second;
  }
  const std::string base = std::filesystem::path(path).parent_path().string();
  return Build(*root, path, base, registry, log_sink, HashText(text));
}

LoadedNode LoadNodeConfigString(std::string_view text, const std::string& name,
                                const std::string& base_dir, const ComponentRegistry& registry,
                                std::FILE* log_sink) {
  auto root = ConfigTable::ParseString(text, name);
  return Build(*root, name, base_dir, registry, log_sink, HashText(text));
}

}  // namespace nacre
