// Parameter sweeps over a backtest config. A grid file lists values per setting:
//
//   strategies.fast_period = [5, 10, 20]
//   strategies.slow_period = [50, 100]
//
// A key is a dotted path into the backtest config. An index picks one entry of an array of
// tables (`strategies.1.fast_period`); without one, an array with a single entry is entered;
// a strategy's or actor's `params` table is searched when the key is not found directly.
// Every key must name a setting that exists in the config, and every value must have its
// TOML type (integers may stand for floats): typos fail before anything runs. The runs are
// the cartesian product in key order, the last key varying fastest.
#pragma once

#include <toml++/toml.h>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace nacre {

// One setting: dotted key and its value as TOML text ("5", "\"abc\"", "0.5").
using ConfigOverride = std::pair<std::string, std::string>;

// Sets `key` to `value` in a parsed config. Throws ConfigError naming `where` (the grid file
// and line, or the --set option) when the key does not resolve or the type differs.
void ApplyConfigOverride(toml::table& root, const std::string& key, const toml::node& value,
                         const std::string& where);
// Same with the value as TOML text.
void ApplyConfigOverride(toml::table& root, const ConfigOverride& o, const std::string& where);

// "key=value" from the command line (value is TOML: 5, 0.5, "text", true).
ConfigOverride ParseOverrideOption(const std::string& option);

struct SweepGrid {
  std::vector<std::string> keys;
  std::vector<std::vector<std::string>> values;  // TOML text per key, in file order
  std::vector<std::string> where;                // "grid.toml:3" per key
};

// Reads and checks a grid file against the config (ConfigError on any problem).
SweepGrid LoadSweepGrid(const std::string& grid_path, const std::string& config_path);

// The cartesian product: one vector of overrides per run.
std::vector<std::vector<ConfigOverride>> ExpandGrid(const SweepGrid& grid);

// One line of stats.json as written by StatisticsJson: ordered (key, value text) pairs.
std::vector<std::pair<std::string, std::string>> ParseStatsJson(const std::string& text);

struct SweepRun {
  std::vector<ConfigOverride> params;
  std::string folder;
  int exit_code = 0;
  bool ok = false;
  std::string error;                                       // failing runs: last stderr line
  std::vector<std::pair<std::string, std::string>> stats;  // from stats.json
};

// The last non-empty line of `text` ("" when none).
std::string LastLine(const std::string& text);

// A finished run's row, the same whichever engine ran it: ok when the backtest exited 0 and
// wrote stats.json (its text in `stats_json`); otherwise the error is the last line of its
// stderr, or "exit code N".
void FinishSweepRun(SweepRun& run, int exit_code, const std::optional<std::string>& stats_json,
                    const std::string& stderr_text);

// sweep.csv text: run, params, status, exit code, statistics, folder, error; rows in run
// order.
std::string SweepCsv(const SweepGrid& grid, const std::vector<SweepRun>& runs);
// Converts sweep.csv to Parquet through DuckDB (money columns as DECIMAL(18,2)).
Status WriteSweepParquet(const std::string& csv_path, const std::string& parquet_path);

}  // namespace nacre
