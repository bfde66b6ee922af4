#include "apps/examples/sma_cross.h"

#include <fmt/format.h>

namespace nacre {

SmaCross::SmaCross(const StrategyId& id, const SmaCrossConfig& config)
    : Strategy(id), config_(config) {}

std::unique_ptr<Strategy> SmaCross::FromConfig(const StrategyId& id, const ConfigTable& p) {
  SmaCrossConfig c;
  auto bt = BarType::Parse(p.GetString("bar_type"));
  if (!bt) p.Fail("bar_type", bt.error());
  c.bar_type = *bt;
  c.fast_period = p.GetInt32("fast_period", 10);
  c.slow_period = p.GetInt32("slow_period", 50);
  if (c.fast_period <= 0) p.Fail("fast_period", "must be positive");
  if (c.slow_period <= c.fast_period) {
    p.Fail("slow_period", fmt::format("must be greater than fast_period ({})", c.fast_period));
  }
  const std::int64_t size = p.GetInt("trade_size", 1);
  if (size <= 0) p.Fail("trade_size", "must be positive");
  c.trade_size = Quantity::FromInt(size);
  auto strategy = std::make_unique<SmaCross>(id, c);
  strategy->SetConfigKeyLocation("bar_type", p.Locate("bar_type"));
  return strategy;
}

Status SmaCross::CheckRequirements() const {
  // Without its bars it would run and never trade: refuse to start, naming the key and what
  // data there is (when the environment can say).
  const DataCoverage* data = data_coverage();
  if (data == nullptr || data->CanServeBars(config_.bar_type)) return Status::Ok();
  return MakeError(fmt::format("{}: {} = \"{}\": {} {}, so it would never trade; the data holds {}",
                               strategy_id().value(), ConfigKeyText("bar_type"),
                               config_.bar_type.ToString(),
                               config_.bar_type.source() == AggregationSource::kExternal
                                   ? "no such bars"
                                   : "no quotes or trades to aggregate these bars from",
                               data->RangeText(), data->Describe()));
}

void SmaCross::OnStart() { SubscribeBars(config_.bar_type); }

void SmaCross::OnReset() {
  closes_.clear();
  fast_sum_ = 0;
  slow_sum_ = 0;
  bars_seen_ = 0;
  regime_ = 0;
  pending_ = Pending::kNone;
}

int SmaCross::Signal() const {
  if (static_cast<int>(closes_.size()) < config_.slow_period) return 0;
  // fast_sum/fast_n vs slow_sum/slow_n, compared exactly.
  const Int128 lhs = fast_sum_ * config_.slow_period;
  const Int128 rhs = slow_sum_ * config_.fast_period;
  return lhs > rhs ? 1 : (lhs < rhs ? -1 : 0);
}

void SmaCross::OnBar(const Bar& bar) {
  ++bars_seen_;
  const std::int64_t px = bar.close.raw();
  closes_.push_back(px);
  fast_sum_ += px;
  slow_sum_ += px;
  const auto n = static_cast<int>(closes_.size());
  if (n > config_.fast_period)
    fast_sum_ -= closes_[static_cast<std::size_t>(n - 1 - config_.fast_period)];
  if (n > config_.slow_period) {
    slow_sum_ -= closes_.front();
    closes_.pop_front();
  }
  // A crossover is a change of regime: the first regime known after warm-up is not one (fast
  // may already be above slow on the first bar where both exist), and a bar where the two are
  // equal keeps the regime it had.
  const int signal = Signal();
  if (signal != 0) {
    if (regime_ != 0 && signal != regime_) pending_ = signal > 0 ? Pending::kEnter : Pending::kExit;
    regime_ = signal;
  }
  if (pending_ == Pending::kNone) return;
  const InstrumentId& id = config_.bar_type.instrument_id();
  OrderQuery q;
  q.strategy_id = strategy_id();
  q.instrument_id = id;
  if (cache().orders_open_count(q) > 0 || cache().orders_inflight_count(q) > 0) return;
  if (position_id_.empty()) position_id_ = NettingPositionId(id, strategy_id());
  const Position* pos = cache().position(position_id_);
  const bool flat = pos == nullptr || pos->is_closed();
  if (pending_ == Pending::kEnter && flat) {
    SubmitOrder(order_factory().Market(id, OrderSide::kBuy, config_.trade_size));
  } else if (pending_ == Pending::kExit && !flat) {
    CloseAllPositions(id);
  }
  pending_ = Pending::kNone;
}

SavedState SmaCross::OnSave() { return {{"bars_seen", std::to_string(bars_seen_)}}; }

void SmaCross::OnLoad(const SavedState& state) {
  auto it = state.find("bars_seen");
  if (it != state.end()) bars_seen_ = std::stoull(it->second);
}

void RegisterExampleComponents(ComponentRegistry& registry) {
  registry.RegisterStrategy("SmaCross", &SmaCross::FromConfig);
}

}  // namespace nacre
