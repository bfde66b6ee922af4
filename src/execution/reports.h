// Execution reports: what a venue says about orders, fills and positions, independent of
// our own records. Used for live reconciliation at start-up and for in-flight order checks.
#pragma once

#include <optional>
#include <string>

#include "model/events.h"

namespace nacre {

struct OrderStatusReport {
  AccountId account_id;
  InstrumentId instrument_id;
  ClientOrderId client_order_id;  // empty for orders placed outside this node
  VenueOrderId venue_order_id;
  OrderSide side = OrderSide::kBuy;
  OrderType order_type = OrderType::kMarket;
  TimeInForce time_in_force = TimeInForce::kDay;
  OrderStatus status = OrderStatus::kAccepted;
  Quantity quantity;
  Quantity filled_qty;
  std::optional<Price> price;
  std::optional<Price> trigger_price;
  std::optional<Price> avg_px;
  std::string reason;  // rejection / status message
  UnixNanos ts_accepted;
  UnixNanos ts_last;
};

struct FillReport {
  AccountId account_id;
  InstrumentId instrument_id;
  VenueOrderId venue_order_id;
  TradeId trade_id;
  OrderSide side = OrderSide::kBuy;
  Quantity last_qty;
  Price last_px;
  Money commission;
  UnixNanos ts_event;
};

struct PositionStatusReport {
  AccountId account_id;
  InstrumentId instrument_id;
  std::int64_t signed_qty_raw = 0;
  std::optional<Price> avg_px_open;
  UnixNanos ts_last;
};

struct ReportQuery {
  std::optional<InstrumentId> instrument_id;
  UnixNanos since;
  bool open_only = false;
};

}  // namespace nacre
