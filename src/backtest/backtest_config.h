// Backtest configuration from TOML: engine settings, risk limits, venues, instruments, data
// sources and the strategies/actors to create by type name. Every table rejects unknown keys
// and every bad value is a ConfigError naming the file, line and key. Relative data paths
// are resolved against the config file's folder.
#pragma once

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "backtest/backtest_engine.h"
#include "backtest/results_recorder.h"
#include "trading/registry.h"

namespace nacre {

struct LoadedBacktest {
  std::unique_ptr<BacktestEngine> engine;
  std::optional<UnixNanos> start;
  std::optional<UnixNanos> end;
  std::string config_path;
  std::string output_dir;  // [output] dir, resolved; empty when not set
  ResultsRecorderConfig recorder;  // [output] equity_interval_secs
};

// Throws ConfigError on any problem; nothing is run.
LoadedBacktest LoadBacktestConfig(const std::string& path, const ComponentRegistry& registry,
                                  std::FILE* log_sink);
// Same with settings replaced first (`nacre backtest --set key=value`, sweeps); see
// backtest/sweep.h for the key syntax.
LoadedBacktest LoadBacktestConfig(
    const std::string& path, const ComponentRegistry& registry, std::FILE* log_sink,
    const std::vector<std::pair<std::string, std::string>>& overrides);
// Same from TOML text (`name` appears in error messages; relative paths resolve against
// `base_dir`).
LoadedBacktest LoadBacktestConfigString(std::string_view text, const std::string& name,
                                        const std::string& base_dir,
                                        const ComponentRegistry& registry, std::FILE* log_sink);

}  // namespace nacre
