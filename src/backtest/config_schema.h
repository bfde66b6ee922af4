// The keys of every section of the backtest config (common/params.h schemas). The loader
// (backtest_config.cpp) checks each table against its schema before reading it and takes
// its defaults from it; `nacre components` and docs/config.md print the same schemas.
#pragma once

#include <string>
#include <vector>

#include "common/params.h"

namespace nacre {

ParamSchema BacktestRootSchema();
ParamSchema EngineSchema();
ParamSchema OutputSchema();
ParamSchema RiskSchema();
// [risk.live], a sub-table of [risk] (read by ParseLiveRisk, backtest_config.h).
ParamSchema LiveRiskSchema();
// [[venues]]: the simple venue's keys and, with model = "nse", the NSE exchange's.
ParamSchema VenueSchema();
// [[instruments]]: variant key `kind` (index, future, option).
ParamSchema InstrumentSchema();
// [[data]] read from a file or generated: variant key `format`.
ParamSchema DataSchema();
// [[data]] streamed from a Parquet catalog (`catalog` given).
ParamSchema CatalogDataSchema();
// [[strategies]] and [[actors]] entries (`section` is "strategies" or "actors").
ParamSchema ComponentEntrySchema(const std::string& section);

// Every section in the order docs/config.md lists them (including [calendar]).
std::vector<ParamSchema> BacktestConfigSections();

}  // namespace nacre
