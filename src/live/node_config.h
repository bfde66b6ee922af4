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
