// Position events: published by the ExecutionEngine after each fill changes a position.
// Each carries a full snapshot of the position's figures at that moment.
#pragma once

#include <optional>
#include <variant>

#include "model/position.h"

namespace nacre {

struct PositionEventBase {
  TraderId trader_id;
  StrategyId strategy_id;
  InstrumentId instrument_id;
  PositionId position_id;
  AccountId account_id;
  ClientOrderId opening_order_id;
  ClientOrderId closing_order_id;
  PositionSide side = PositionSide::kFlat;
  std::int64_t signed_qty_raw = 0;
  Quantity quantity;
  Quantity peak_qty;
  Quantity last_qty;
  Price last_px;
  Price avg_px_open;
  std::optional<Price> avg_px_close;
  Money realized_pnl;
  Money unrealized_pnl;  // at the last fill price
  Money commissions;
  UnixNanos ts_opened;
  UnixNanos ts_closed;
  Uuid4 event_id;
  UnixNanos ts_event;
  UnixNanos ts_init;
};

struct PositionOpened : PositionEventBase {};
struct PositionChanged : PositionEventBase {};
struct PositionClosed : PositionEventBase {
  DurationNs duration = 0;
};

using PositionEvent = std::variant<PositionOpened, PositionChanged, PositionClosed>;

inline const PositionEventBase& BaseOf(const PositionEvent& e) {
  return std::visit([](const auto& ev) -> const PositionEventBase& { return ev; }, e);
}

// Fills a PositionEventBase from the position after `fill` was applied.
PositionEventBase MakePositionEventBase(const Position& p, const OrderFilled& fill,
                                        const Uuid4& event_id, UnixNanos ts_init);

}  // namespace nacre
