#include "backtest/risk_config.h"

#include <fmt/format.h>

#include "backtest/config_schema.h"

namespace nacre {

void ParseLiveRisk(const Params& risk, RiskEngineConfig& out) {
  if (!risk.Has("live")) return;
  const ConfigTable table = risk.GetTable("live");
  const Params p(table, LiveRiskSchema());
  LiveRiskLimits& live = out.live;
  auto money = [&p](const char* key) -> std::optional<Money> {
    return p.Has(key) ? std::optional<Money>(p.GetMoney(key)) : std::nullopt;
  };
  auto count = [&p](const char* key) -> std::optional<std::int64_t> {
    return p.Has(key) ? std::optional<std::int64_t>(p.GetInt(key)) : std::nullopt;
  };
  live.capital_cap = money("capital_cap");
  live.max_lots_per_order = count("max_lots_per_order");
  live.max_lots_per_spread = count("max_lots_per_spread");
  live.max_open_spreads = count("max_open_spreads");
  live.max_orders_per_day = count("max_orders_per_day");
  live.daily_loss_soft = money("daily_loss_soft");
  live.daily_loss_hard = money("daily_loss_hard");
  if (live.daily_loss_soft && live.daily_loss_hard &&
      *live.daily_loss_soft > *live.daily_loss_hard) {
    p.Fail("daily_loss_soft",
           fmt::format("{} is above daily_loss_hard {}: the soft limit (REDUCING) must come first",
                       live.daily_loss_soft->ToString(), live.daily_loss_hard->ToString()));
  }
  live.loss_check_interval = p.GetInt("loss_check_secs") * kNanosPerSecond;
  table.Finish();
}

}  // namespace nacre
