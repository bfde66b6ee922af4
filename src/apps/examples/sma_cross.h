// SmaCross: the first example strategy. Enters long when the fast simple moving average of
// closes crosses above the slow one, exits when it crosses below; one order in flight at a time. Averages are kept as
// exact integer sums of raw prices, so the crossing decision has no rounding ambiguity.
#pragma once

#include <deque>

#include "trading/registry.h"
#include "trading/strategy.h"

namespace nacre {

struct SmaCrossConfig {
  BarType bar_type;
  int fast_period = 10;
  int slow_period = 50;
  Quantity trade_size = Quantity::FromInt(1);
};

class SmaCross final : public Strategy {
 public:
  SmaCross(const StrategyId& id, const SmaCrossConfig& config);
  // Its parameters (checked by the registry before FromParams runs, and documented).
  static ParamSchema Schema();
  static std::unique_ptr<Strategy> FromParams(const StrategyId& id, const Params& params);
  // FromParams on `table` checked against Schema().
  static std::unique_ptr<Strategy> FromConfig(const StrategyId& id, const ConfigTable& table);

  std::uint64_t bars_seen() const { return bars_seen_; }
  // Its bar type must have bars in the run (when the data is described).
  Status CheckRequirements() const override;

 protected:
  void OnStart() override;
  void OnBar(const Bar& bar) override;
  void OnReset() override;
  SavedState OnSave() override;
  void OnLoad(const SavedState& state) override;

 private:
  // Sign of (fast - slow) for the window, or 0 while warming up or when they are equal.
  int Signal() const;

  // What the last crossover asks for, until it is done (or found already done): a crossover
  // seen while an order is still working is acted on once that order has finished.
  enum class Pending { kNone, kEnter, kExit };

  SmaCrossConfig config_;
  std::deque<std::int64_t> closes_;  // raw prices, newest at back, up to slow_period
  Int128 fast_sum_ = 0;
  Int128 slow_sum_ = 0;
  std::uint64_t bars_seen_ = 0;
  int regime_ = 0;  // the last non-zero Signal(): +1 fast above slow, -1 below, 0 not yet known
  Pending pending_ = Pending::kNone;
  PositionId position_id_;  // the netting position, interned once
};

// Registers the example strategies and actors by type name.
void RegisterExampleComponents(ComponentRegistry& registry);

}  // namespace nacre
