// CapitalUpdated: published by the capital owner of a trading book (the spreads app's
// CapitalManager) after every capital change, on topics::kCapital. It lives in trading so
// observers such as the backtest ResultsRecorder can subscribe without depending on an app.
#pragma once

#include <string>

#include "core/time.h"
#include "model/identifiers.h"
#include "model/money.h"

namespace nacre {

namespace topics {
inline constexpr const char* kCapital = "events.capital";
}  // namespace topics

struct CapitalUpdated {
  UnixNanos ts;
  std::string trade_id;  // spread id or position id
  StrategyId strategy_id;
  Money previous_capital;
  Money trade_pnl;  // realized, net of charges
  Money new_capital;
};

}  // namespace nacre
