#include "trading/spread.h"

#include <algorithm>

namespace nacre {

std::string_view ToString(SpreadState s) {
  switch (s) {
    case SpreadState::kOpening:
      return "OPENING";
    case SpreadState::kOpen:
      return "OPEN";
    case SpreadState::kClosing:
      return "CLOSING";
    case SpreadState::kClosed:
      return "CLOSED";
    case SpreadState::kUnwinding:
      return "UNWINDING";
    case SpreadState::kFailed:
      return "FAILED";
  }
  return "?";
}

std::string_view ToString(SpreadEventKind k) {
  switch (k) {
    case SpreadEventKind::kOpened:
      return "OPENED";
    case SpreadEventKind::kChanged:
      return "CHANGED";
    case SpreadEventKind::kClosed:
      return "CLOSED";
    case SpreadEventKind::kLegRisk:
      return "LEG_RISK";
    case SpreadEventKind::kFailed:
      return "FAILED";
  }
  return "?";
}

SpreadPosition::SpreadPosition(SpreadId id, StrategyId strategy, std::vector<SpreadLeg> legs,
                               std::vector<Instrument> instruments, std::uint32_t lots,
                               UnixNanos ts)
    : id_(std::move(id)),
      strategy_id_(std::move(strategy)),
      legs_(std::move(legs)),
      instruments_(std::move(instruments)),
      legs_pos_(legs_.size()),
      lots_(lots),
      ts_created_(ts),
      net_premium_(Money::Zero()) {}

Quantity SpreadPosition::TargetQty(std::size_t leg) const {
  const Instrument& ins = instruments_[leg];
  const std::int64_t units = static_cast<std::int64_t>(lots_) * legs_[leg].ratio;
  return Quantity::Raw(ins.lot_size.raw() * units, ins.size_precision);
}

void SpreadPosition::ApplyFill(std::size_t leg, const OrderFilled& fill, bool opening) {
  OrderFilled own = fill;
  own.position_id = PositionId(id_.value() + "-L" + std::to_string(leg + 1));
  if (!legs_pos_[leg]) {
    legs_pos_[leg].emplace(instruments_[leg], own);
  } else if (Status st = legs_pos_[leg]->Apply(own); !st) {
    // Only a venue overfill past flat can get here; the leg keeps its last consistent state
    // and the anomaly is reported on the next spread event.
    anomaly_ = st.error();
  }
  if (opening) {
    const Money notional =
        Money::Notional(fill.last_px, fill.last_qty, instruments_[leg].multiplier);
    net_premium_ =
        fill.order_side == OrderSide::kSell ? net_premium_ + notional : net_premium_ - notional;
  }
}

std::int64_t SpreadPosition::LegSignedQtyRaw(std::size_t leg) const {
  return legs_pos_[leg] ? legs_pos_[leg]->signed_qty_raw() : 0;
}

bool SpreadPosition::AnyLegOpen() const {
  return std::any_of(legs_pos_.begin(), legs_pos_.end(),
                     [](const auto& p) { return p && p->is_open(); });
}

bool SpreadPosition::AllLegsAtTarget() const {
  for (std::size_t i = 0; i < legs_.size(); ++i) {
    const std::int64_t target = TargetQty(i).raw();
    const std::int64_t want = legs_[i].side == OrderSide::kBuy ? target : -target;
    if (LegSignedQtyRaw(i) != want) return false;
  }
  return true;
}

Money SpreadPosition::charges() const {
  Money total = Money::Zero();
  for (const auto& p : legs_pos_) {
    if (p) total += p->commissions();
  }
  return total;
}

Money SpreadPosition::realized_pnl() const {
  Money total = Money::Zero();
  for (const auto& p : legs_pos_) {
    if (p) total += p->realized_pnl();
  }
  return total;
}

Money SpreadPosition::Unrealized(const std::vector<std::optional<Price>>& marks) const {
  Money total = Money::Zero();
  for (std::size_t i = 0; i < legs_pos_.size() && i < marks.size(); ++i) {
    if (legs_pos_[i] && marks[i]) total += legs_pos_[i]->Unrealized(*marks[i]);
  }
  return total;
}

std::optional<Money> SpreadPosition::MaxLoss() const {
  // Payoff at expiry is piecewise linear in the underlying with kinks at the strikes, so its
  // minimum over [0, ∞) is at zero, at a strike, or unbounded when the slope past the highest
  // strike is negative.
  std::vector<Price> points{Price::Raw(0, 2)};
  std::int64_t slope_raw = 0;  // Σ calls signed qty × multiplier, per unit of the underlying
  for (std::size_t i = 0; i < legs_.size(); ++i) {
    const Instrument& ins = instruments_[i];
    if (ins.instrument_class != InstrumentClass::kOption) return std::nullopt;
    points.push_back(ins.strike);
    if (ins.option_kind == OptionKind::kCall) {
      const std::int64_t q = TargetQty(i).raw() / kFixedScale * ins.multiplier;
      slope_raw += legs_[i].side == OrderSide::kBuy ? q : -q;
    }
  }
  if (slope_raw < 0) return std::nullopt;
  Money worst = Money::Zero();
  bool first = true;
  for (const Price& s : points) {
    Money payoff = net_premium_;
    for (std::size_t i = 0; i < legs_.size(); ++i) {
      const Instrument& ins = instruments_[i];
      const std::int64_t diff = ins.option_kind == OptionKind::kCall ? s.raw() - ins.strike.raw()
                                                                     : ins.strike.raw() - s.raw();
      if (diff <= 0) continue;
      const Money value =
          Money::Notional(Price::Raw(diff, std::max(s.precision(), ins.strike.precision())),
                          TargetQty(i), ins.multiplier);
      payoff = legs_[i].side == OrderSide::kBuy ? payoff + value : payoff - value;
    }
    if (first || payoff < worst) worst = payoff;
    first = false;
  }
  return worst < Money::Zero() ? -worst : Money::Zero();
}

SpreadEvent SpreadPosition::MakeEvent(SpreadEventKind kind, UnixNanos ts,
                                      std::string message) const {
  SpreadEvent e;
  e.kind = kind;
  e.spread_id = id_;
  e.strategy_id = strategy_id_;
  e.ts = ts;
  e.state = state_;
  e.lots = lots_;
  e.net_premium = net_premium_;
  e.realized_pnl = realized_pnl();
  e.charges = charges();
  e.max_loss = MaxLoss();
  e.tags = tags_;
  e.planned_net = planned_net_;
  e.exit_reason = exit_reason_;
  e.ts_opened = ts_opened_;
  e.ts_closed = ts_closed_;
  e.legs.reserve(legs_.size());
  for (std::size_t i = 0; i < legs_.size(); ++i) {
    SpreadLegState leg;
    leg.instrument = legs_[i].instrument;
    leg.side = legs_[i].side;
    leg.ratio = legs_[i].ratio;
    if (legs_pos_[i]) {
      leg.signed_qty_raw = legs_pos_[i]->signed_qty_raw();
      leg.avg_px_open = legs_pos_[i]->avg_px_open();
      leg.avg_px_close = legs_pos_[i]->avg_px_close();
    }
    e.legs.push_back(leg);
  }
  e.message = anomaly_.empty() ? std::move(message) : message + " [" + anomaly_ + "]";
  return e;
}

}  // namespace nacre
