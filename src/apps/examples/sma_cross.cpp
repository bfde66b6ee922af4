#include "apps/examples/sma_cross.h"

#include <fmt/format.h>

namespace nacre {

SmaCross::SmaCross(const StrategyId& id, const SmaCrossConfig& config)
    : Strategy(id), config_(config) {}

ParamSchema SmaCross::Schema() {
  return {"SmaCross",
          "example: long one trade_size when the fast SMA of closes crosses above the slow one, "
          "flat when it crosses below",
          {
              ParamSpec::String("bar_type")
                  .Required()
                  .Doc("bars whose closes are averaged and traded, e.g. "
                       "\"NIFTY 50.NSE-1-MINUTE-LAST-EXTERNAL\""),
              ParamSpec::Int("fast_period", 10).Range(1, 1'000'000).Doc("bars in the fast average"),
              ParamSpec::Int("slow_period", 50)
                  .Range(2, 1'000'000)
                  .Doc("bars in the slow average; must be greater than fast_period"),
              ParamSpec::Int("trade_size", 1)
                  .Range(1, 1'000'000'000)
                  .Doc("units bought on an upward crossover"),
          }};
}

std::unique_ptr<Strategy> SmaCross::FromParams(const StrategyId& id, const Params& p) {
  SmaCrossConfig c;
  auto bt = BarType::Parse(p.GetString("bar_type"));
  if (!bt) p.Fail("bar_type", bt.error());
  c.bar_type = *bt;
  c.fast_period = p.GetInt32("fast_period");
  c.slow_period = p.GetInt32("slow_period");
  if (c.slow_period <= c.fast_period) {
    p.Fail("slow_period", fmt::format("must be greater than fast_period ({})", c.fast_period));
  }
  c.trade_size = Quantity::FromInt(p.GetInt("trade_size"));
  auto strategy = std::make_unique<SmaCross>(id, c);
  strategy->SetConfigKeyLocation("bar_type", p.table().Locate("bar_type"));
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

std::unique_ptr<Strategy> SmaCross::FromConfig(const StrategyId& id, const ConfigTable& table) {
  return FromParams(id, Params(table, Schema()));
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
  registry.RegisterStrategy("SmaCross", SmaCross::Schema(), &SmaCross::FromParams);
}

}  // namespace nacre
