// Trading node configuration from TOML (`nacre run CONFIG.toml`): the sections a backtest
// config has ([engine] without start/end, [risk], [calendar], [[instruments]], [[actors]],
// [[strategies]], [output]) read by the same code (backtest/config_sections.h), so a block
// copied from a backtest config works unchanged, plus:
//   [node]            environment ("sandbox"), state folder, clock (scaled: start and speed),
//                     end, what happens at stop, snapshot and results intervals
//   [node.timeouts]   the start's waits: clients connected, prices for open positions
//   [[data_clients]]  type = "replay": a catalog read like a backtest's catalog [[data]] entry
//                     (type, instruments, DuckDB threads), streamed at the clock's pace
//   [[exec_clients]]  type = "sandbox": a simulated venue with a backtest [[venues]] entry's
//                     keys (model = "nse": latency, fills, charges, margin)
// Every table rejects unknown keys and every bad value is a ConfigError naming the file, line
// and key, before anything runs. Relative paths resolve against the config file's folder.
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/params.h"
#include "live/trading_node.h"
#include "trading/registry.h"

namespace nacre {

ParamSchema NodeRootSchema();
ParamSchema NodeSchema();
ParamSchema NodeTimeoutsSchema();
ParamSchema ReplayDataClientSchema();
ParamSchema SandboxExecClientSchema();
// The node-only sections, in the order docs/config.md lists them.
std::vector<ParamSchema> NodeConfigSections();

// The live environment's broker adapter (LIVE.md §3: adapters register here, the live module
// never links them). A config with environment = "live" has the adapter's table (`[kite]`)
// instead of [[exec_clients]] and [[data_clients]]: `attach` reads that table (throwing a
// ConfigError that names the file and key, before anything runs) and adds the adapter's
// instruments, execution client and data client to the node.
struct LiveAdapter {
  std::string table;  // "kite"
  std::function<ParamSchema()> schema;
  // Before the node is made: the adapter may set the node's clock (a scaled clock anchored to
  // the Kite emulator's virtual clock) and refuse settings it cannot run with.
  std::function<void(const Params& table, const std::string& base_dir, NodeSettings& node)>
      prepare;
  std::function<void(const Params& table, const std::string& base_dir, const NodeSettings& node,
                     TradingNode& target)>
      attach;
};
void RegisterLiveAdapter(LiveAdapter adapter);
// The registered adapters' schemas (docs/config.md).
std::vector<ParamSchema> LiveAdapterSchemas();

struct LoadedNode {
  std::unique_ptr<TradingNode> node;
  std::string config_path;
};

// Throws ConfigError on any problem; nothing runs. `overrides`: `--set key=value` pairs.
LoadedNode LoadNodeConfig(const std::string& path, const ComponentRegistry& registry,
                          std::FILE* log_sink,
                          const std::vector<std::pair<std::string, std::string>>& overrides = {});
LoadedNode LoadNodeConfigString(std::string_view text, const std::string& name,
                                const std::string& base_dir, const ComponentRegistry& registry,
                                std::FILE* log_sink);

}  // namespace nacre
