// The [risk.live] table of a config (the live risk limits, risk/risk_engine.h LiveRiskLimits),
// read the same way by the backtest loader and the live node's. Config-time only.
#pragma once

#include "common/params.h"
#include "risk/risk_engine.h"

namespace nacre {

// Reads the [risk.live] sub-table of a checked [risk] table, when given, into `out.live`
// (every limit off when unset; the table is finished here). Throws ConfigError naming file,
// line and key for a bad value (negative or zero amounts and counts are refused by the
// schema) or for daily_loss_soft above daily_loss_hard.
void ParseLiveRisk(const Params& risk, RiskEngineConfig& out);

}  // namespace nacre
