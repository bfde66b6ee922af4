// The config sections a backtest and a trading node share, parsed the same way for both
// (backtest/backtest_config.cpp builds a BacktestEngine from them, live/node_config.cpp a
// TradingNode): [engine], [risk], [calendar], [[venues]] (a node's sandbox execution clients
// take the same keys), [[instruments]], catalog [[data]] queries, and the [[actors]] and
// [[strategies]] created from the component registry. So a strategy's or an actor's block
// copied from a backtest config means the same in a node config. Every function checks its
// table against its schema (config_schema.h) and throws ConfigError naming the file, line
// and key at fault; nothing is built before the whole table is checked.
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "backtest/backtest_engine.h"
#include "common/config.h"
#include "common/market_hours.h"
#include "common/params.h"
#include "persistence/catalog.h"
#include "trading/kernel.h"
#include "trading/registry.h"

namespace nacre {

// A path from a config, relative to the config file's folder unless absolute.
std::string ResolveConfigPath(const std::string& base_dir, const std::string& p);

// [engine]: kernel settings. With `allow_range` its start/end are the run's range (a
// backtest); otherwise they are refused, naming `range_hint` (where a node sets its times).
struct EngineSection {
  KernelConfig kernel;
  std::optional<UnixNanos> start;
  std::optional<UnixNanos> end;
  std::string range_note;  // where start/end were set, for start checks
};
EngineSection ParseEngineSection(const Params& root, std::FILE* log_sink, bool allow_range,
                                 const std::string& range_hint = "");

// [risk] into `out` (absent: unchanged).
void ParseRiskSection(const Params& root, RiskEngineConfig& out);

// [calendar]: NSE trading days and hours; nullptr when the section is absent.
std::unique_ptr<MarketHours> ParseCalendarSection(const Params& root, const std::string& base_dir);

// One [[venues]] table (or a node's sandbox [[exec_clients]] table with `extra` keys, e.g.
// "type", allowed beside the venue's). Finishes the table.
BacktestVenueConfig ParseVenueTable(const ConfigTable& table, const std::string& base_dir,
                                    const std::vector<ParamSpec>& extra = {});

// One [[instruments]] table. Finishes the table.
Instrument ParseInstrumentTable(const ConfigTable& table);

// A catalog query from a table with CatalogDataSchema's keys (plus `extra`); `root` receives
// the resolved catalog folder. Checks the folder is a catalog. Finishes the table.
CatalogQuery ParseCatalogQueryTable(const ConfigTable& table, const std::string& base_dir,
                                    std::string& root, const std::vector<ParamSpec>& extra = {});

// [[actors]] then [[strategies]], created by type name from `registry` and handed to the
// adders (whose refusal, e.g. a duplicate id, is reported at the entry's id).
void CreateComponents(const Params& root, const std::string& config_name,
                      const ComponentRegistry& registry,
                      const std::function<Status(std::unique_ptr<Actor>)>& add_actor,
                      const std::function<Status(std::unique_ptr<Strategy>)>& add_strategy);

}  // namespace nacre
