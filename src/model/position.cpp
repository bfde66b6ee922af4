#include "model/position.h"

#include <fmt/format.h>

#include <cstdint>
#include <cstdlib>
#include <unordered_map>

namespace nacre {

PositionId NettingPositionId(const InstrumentId& instrument, const StrategyId& strategy) {
  // Asked on every fill and position event: the ids made so far are remembered by the two
  // interned numbers (per thread: no lock; an id is the same string from any thread), so the
  // string is built and interned once per pair.
  thread_local std::unordered_map<std::uint64_t, PositionId> made;
  const std::uint64_t key =
      (static_cast<std::uint64_t>(instrument.intern_index()) << 32) | strategy.intern_index();
  if (auto it = made.find(key); it != made.end()) return it->second;
  PositionId id(instrument.value() + "-" + strategy.value());
  made.emplace(key, id);
  return id;
}

Position::Position(const Instrument& instrument, const OrderFilled& fill)
    : id_(fill.position_id.empty() ? NettingPositionId(fill.instrument_id, fill.strategy_id)
                                   : fill.position_id),
      instrument_id_(instrument.id),
      strategy_id_(fill.strategy_id),
      trader_id_(fill.trader_id),
      account_id_(fill.account_id),
      multiplier_(instrument.multiplier),
      size_precision_(instrument.size_precision),
      price_precision_(instrument.price_precision),
      currency_(instrument.currency),
      peak_qty_(Quantity::Zero(instrument.size_precision)),
      realized_pnl_(Money::Zero(instrument.currency)),
      commissions_(Money::Zero(instrument.currency)),
      ts_opened_(fill.ts_event) {
  ApplyUnchecked(fill);
}

bool Position::WouldFlip(OrderSide side, Quantity qty) const {
  const std::int64_t delta = side == OrderSide::kBuy ? qty.raw() : -qty.raw();
  const std::int64_t after = signed_qty_raw_ + delta;
  return (signed_qty_raw_ > 0 && after < 0) || (signed_qty_raw_ < 0 && after > 0);
}

Status Position::Apply(const OrderFilled& fill) {
  if (fill.instrument_id != instrument_id_) {
    return MakeError(
        fmt::format("fill for {} applied to position {}", fill.instrument_id.value(), id_.value()));
  }
  if (WouldFlip(fill.order_side, fill.last_qty)) {
    return MakeError(fmt::format("fill {} would flip position {}; split it first",
                                 fill.trade_id.value(), id_.value()));
  }
  ApplyUnchecked(fill);
  return Status::Ok();
}

void Position::ApplyUnchecked(const OrderFilled& fill) {
  const std::int64_t qty = fill.last_qty.raw();
  const std::int64_t delta = fill.order_side == OrderSide::kBuy ? qty : -qty;
  if (signed_qty_raw_ == 0) {
    // (Re)opening from flat.
    avg_px_open_ = Price::Raw(fill.last_px.raw(), kMaxPrecision);
    opening_order_id_ = fill.client_order_id;
    if (fills_.empty()) ts_opened_ = fill.ts_event;
    signed_qty_raw_ = delta;
  } else if ((signed_qty_raw_ > 0) == (delta > 0)) {
    // Adding: avg_px_open = (avg*|q| + px*fill_qty) / (|q| + fill_qty).
    const std::int64_t abs_q = std::abs(signed_qty_raw_);
    const Int128 num = static_cast<Int128>(avg_px_open_.raw()) * abs_q +
                       static_cast<Int128>(fill.last_px.raw()) * qty;
    avg_px_open_ = Price::Raw(static_cast<std::int64_t>(DivRound(num, abs_q + qty)), kMaxPrecision);
    signed_qty_raw_ += delta;
  } else {
    // Reducing: realized += closed x multiplier x (px - avg_open), sign flipped for shorts
    // (rounded to the currency only as a running total, below).
    const std::int64_t closed = std::min(qty, std::abs(signed_qty_raw_));
    const std::int64_t diff = signed_qty_raw_ > 0 ? fill.last_px.raw() - avg_px_open_.raw()
                                                  : avg_px_open_.raw() - fill.last_px.raw();
    const Int128 pnl_scaled = static_cast<Int128>(diff) * closed * multiplier_;
    realized_gross_raw_ += static_cast<std::int64_t>(DivRound(pnl_scaled, kFixedScale));
    const Int128 close_num =
        (avg_px_close_ ? static_cast<Int128>(avg_px_close_->raw()) * closed_qty_raw_ : 0) +
        static_cast<Int128>(fill.last_px.raw()) * closed;
    closed_qty_raw_ += closed;
    avg_px_close_ =
        Price::Raw(static_cast<std::int64_t>(DivRound(close_num, closed_qty_raw_)), kMaxPrecision);
    signed_qty_raw_ += delta;
    closing_order_id_ = fill.client_order_id;
  }
  commissions_ += fill.commission;
  realized_pnl_ = Money::FromRaw(realized_gross_raw_, currency_) - commissions_;
  const std::int64_t abs_now = std::abs(signed_qty_raw_);
  if (abs_now > peak_qty_.raw()) peak_qty_ = Quantity::Raw(abs_now, size_precision_);
  side_ = signed_qty_raw_ > 0 ? PositionSide::kLong
                              : (signed_qty_raw_ < 0 ? PositionSide::kShort : PositionSide::kFlat);
  if (side_ == PositionSide::kFlat) ts_closed_ = fill.ts_event;
  if (account_id_.empty()) account_id_ = fill.account_id;
  ts_last_ = fill.ts_event;
  fills_.push_back(fill);
}

Money Position::Unrealized(Price mark) const {
  if (signed_qty_raw_ == 0) return Money::Zero(currency_);
  const Int128 v =
      static_cast<Int128>(mark.raw() - avg_px_open_.raw()) * signed_qty_raw_ * multiplier_;
  return Money::FromRaw(static_cast<std::int64_t>(DivRound(v, kFixedScale)), currency_);
}

Money Position::Notional(Price mark) const {
  return Money::Notional(mark, quantity(), multiplier_, currency_);
}

std::pair<OrderFilled, OrderFilled> SplitFlipFill(const OrderFilled& fill, Quantity close_qty) {
  OrderFilled close = fill;
  OrderFilled open = fill;
  const std::int64_t total = fill.last_qty.raw();
  close.last_qty = Quantity::Raw(close_qty.raw(), fill.last_qty.precision());
  open.last_qty = fill.last_qty - close.last_qty;
  auto split = [&](const Money& m, Money* a, Money* b) {
    *a = m.MulRatio(close_qty.raw(), total);
    *b = m - *a;
  };
  split(fill.charges.brokerage, &close.charges.brokerage, &open.charges.brokerage);
  split(fill.charges.stt, &close.charges.stt, &open.charges.stt);
  split(fill.charges.exchange, &close.charges.exchange, &open.charges.exchange);
  split(fill.charges.sebi, &close.charges.sebi, &open.charges.sebi);
  split(fill.charges.ipft, &close.charges.ipft, &open.charges.ipft);
  split(fill.charges.stamp, &close.charges.stamp, &open.charges.stamp);
  split(fill.charges.gst, &close.charges.gst, &open.charges.gst);
  if (fill.commission == fill.charges.Total()) {
    // Itemised: each part's commission is exactly the sum of its own charge lines.
    close.commission = close.charges.Total();
    open.commission = fill.commission - close.commission;
  } else {
    split(fill.commission, &close.commission, &open.commission);
  }
  return {close, open};
}

}  // namespace nacre

#include "model/position_events.h"

namespace nacre {

PositionEventBase MakePositionEventBase(const Position& p, const OrderFilled& fill,
                                        const Uuid4& event_id, UnixNanos ts_init) {
  PositionEventBase e;
  e.trader_id = p.trader_id();
  e.strategy_id = p.strategy_id();
  e.instrument_id = p.instrument_id();
  e.position_id = p.id();
  e.account_id = p.account_id();
  e.opening_order_id = p.opening_order_id();
  e.closing_order_id = p.closing_order_id();
  e.side = p.side();
  e.signed_qty_raw = p.signed_qty_raw();
  e.quantity = p.quantity();
  e.peak_qty = p.peak_qty();
  e.last_qty = fill.last_qty;
  e.last_px = fill.last_px;
  e.avg_px_open = p.avg_px_open();
  e.avg_px_close = p.avg_px_close();
  e.realized_pnl = p.realized_pnl();
  e.unrealized_pnl = p.Unrealized(fill.last_px);
  e.commissions = p.commissions();
  e.ts_opened = p.ts_opened();
  e.ts_closed = p.ts_closed();
  e.event_id = event_id;
  e.ts_event = fill.ts_event;
  e.ts_init = ts_init;
  return e;
}

}  // namespace nacre
