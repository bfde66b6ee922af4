// CapitalUpdated: published by the capital owner of a trading book (the spreads app's
// CapitalManager) after every capital change, on topics::kCapital. It lives in trading so
// observers such as the backtest ResultsRecorder can subscribe without depending on an app.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/time.h"
#include "model/identifiers.h"
#include "model/money.h"

namespace nacre {

namespace topics {
inline constexpr const char* kCapital = "events.capital";
}  // namespace topics

// How a trade was sized when it was entered: the two per-lot figures the strategy supplied, the
// budgets they were divided into, and the lots each allowed. lots = min(by risk, by deployment,
// max_lots), or one lot by the floor rule (the risk budget allows none but one lot fits the
// deployment limit).
struct TradeSizing {
  std::uint32_t lots = 0;
  Money risk_per_lot;       // the most one lot can lose, net of credit (undefined risk: margin)
  Money margin_per_lot;     // margin one lot blocks
  Money risk_budget;        // capital x risk_per_trade_pct
  Money deployment_free;    // capital x max_deployment_pct - capital deployed, at entry
  std::int64_t lots_by_risk = 0;
  std::int64_t lots_by_deployment = 0;
  std::uint32_t max_lots = 0;
  bool one_lot_floor = false;  // lots is 1 only by the floor rule
};

struct CapitalUpdated {
  UnixNanos ts;
  std::string trade_id;  // spread id or position id
  StrategyId strategy_id;
  Money previous_capital;
  Money trade_pnl;  // realized, net of charges
  Money new_capital;
  std::optional<TradeSizing> sizing;  // how the trade was sized, when its owner sized it
};

}  // namespace nacre
