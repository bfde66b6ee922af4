// Position: NETTING position of one (instrument, strategy) built from fills. Tracks signed
// quantity, average open/close prices, realized P&L net of commissions and the commissions
// themselves. A fill that would flip the position must be split first (SplitFlipFill); the
// ExecutionEngine does that and snapshots a closed position before it reopens.
// Single-threaded (kernel thread).
#pragma once

#include <optional>
#include <utility>
#include <vector>

#include "model/events.h"
#include "model/instrument.h"

namespace nacre {

PositionId NettingPositionId(const InstrumentId& instrument, const StrategyId& strategy);

class Position {
 public:
  Position(const Instrument& instrument, const OrderFilled& opening_fill);

  // Applies a fill that does not flip the position (checked: returns an error if it would,
  // or if the instrument differs).
  Status Apply(const OrderFilled& fill);

  const PositionId& id() const { return id_; }
  const InstrumentId& instrument_id() const { return instrument_id_; }
  const StrategyId& strategy_id() const { return strategy_id_; }
  const TraderId& trader_id() const { return trader_id_; }
  const AccountId& account_id() const { return account_id_; }
  PositionSide side() const { return side_; }
  // Signed quantity as raw fixed point (+ long, - short).
  std::int64_t signed_qty_raw() const { return signed_qty_raw_; }
  Quantity quantity() const { return Quantity::Raw(std::abs(signed_qty_raw_), size_precision_); }
  Quantity peak_qty() const { return peak_qty_; }
  std::int64_t multiplier() const { return multiplier_; }
  Price avg_px_open() const { return avg_px_open_; }
  std::optional<Price> avg_px_close() const { return avg_px_close_; }
  Money realized_pnl() const { return realized_pnl_; }
  Money commissions() const { return commissions_; }
  Money Unrealized(Price mark) const;
  Money TotalPnl(Price mark) const { return realized_pnl_ + Unrealized(mark); }
  // |qty| x multiplier x mark.
  Money Notional(Price mark) const;
  bool is_open() const { return side_ != PositionSide::kFlat; }
  bool is_closed() const { return side_ == PositionSide::kFlat; }
  const ClientOrderId& opening_order_id() const { return opening_order_id_; }
  const ClientOrderId& closing_order_id() const { return closing_order_id_; }
  UnixNanos ts_opened() const { return ts_opened_; }
  UnixNanos ts_closed() const { return ts_closed_; }
  UnixNanos ts_last() const { return ts_last_; }
  const std::vector<OrderFilled>& fills() const { return fills_; }
  std::size_t event_count() const { return fills_.size(); }
  // The side a fill on this position would reduce it with.
  OrderSide ClosingSide() const {
    return side_ == PositionSide::kLong
               ? OrderSide::kSell
               : (side_ == PositionSide::kShort ? OrderSide::kBuy : OrderSide::kNoSide);
  }
  // Would the fill (side, qty) flip this position through flat?
  bool WouldFlip(OrderSide side, Quantity qty) const;

 private:
  void ApplyUnchecked(const OrderFilled& fill);

  PositionId id_;
  InstrumentId instrument_id_;
  StrategyId strategy_id_;
  TraderId trader_id_;
  AccountId account_id_;
  std::int64_t multiplier_ = 1;
  int size_precision_ = 0;
  int price_precision_ = 2;
  Currency currency_ = Currency::INR();
  PositionSide side_ = PositionSide::kFlat;
  std::int64_t signed_qty_raw_ = 0;
  Quantity peak_qty_;
  Price avg_px_open_;
  std::optional<Price> avg_px_close_;
  std::int64_t closed_qty_raw_ = 0;  // total quantity closed so far (for avg_px_close)
  // Gross realized P&L at scale 10^9, summed before rounding to the currency: realized_pnl_
  // is this rounded once, less commissions, so a cycle closed in parts realizes exactly the
  // cash it moved (its fills' premiums), not the sum of per-fill roundings.
  std::int64_t realized_gross_raw_ = 0;
  Money realized_pnl_;
  Money commissions_;
  ClientOrderId opening_order_id_;
  ClientOrderId closing_order_id_;
  UnixNanos ts_opened_;
  UnixNanos ts_closed_;
  UnixNanos ts_last_;
  std::vector<OrderFilled> fills_;
};

// Splits a flipping fill into (closing part of `close_qty`, opening remainder); the
// commission and its breakdown are split pro rata and the two parts sum to the original.
std::pair<OrderFilled, OrderFilled> SplitFlipFill(const OrderFilled& fill, Quantity close_qty);

}  // namespace nacre
