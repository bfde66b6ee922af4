// Execution reports: what a venue says about orders, fills and positions, independent of
// our own records. Used for live reconciliation at start-up and for in-flight order checks.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/enums.h"
#include "model/events.h"

namespace nacre {

struct OrderStatusReport {
  AccountId account_id;
  InstrumentId instrument_id;
  ClientOrderId client_order_id;  // empty when the venue does not know ours
  VenueOrderId venue_order_id;
  std::string tag;      // the venue tag (Kite `tag`): maps to our client order id
  std::string product;  // Kite product (NRML, MIS), empty when not applicable
  OrderSide side = OrderSide::kBuy;
  OrderType order_type = OrderType::kMarket;
  TimeInForce time_in_force = TimeInForce::kDay;
  OrderStatus status = OrderStatus::kAccepted;
  Quantity quantity;
  Quantity filled_qty;     // cumulative
  Quantity leaves_qty;     // still working (zero once terminal)
  Quantity cancelled_qty;  // canceled or expired part
  std::optional<Price> price;
  std::optional<Price> trigger_price;
  std::optional<Price> avg_px;
  bool triggered = false;
  std::string reason;  // rejection / status message
  UnixNanos ts_accepted;
  UnixNanos ts_last;
};

struct FillReport {
  AccountId account_id;
  InstrumentId instrument_id;
  ClientOrderId client_order_id;  // empty when the venue does not know ours
  VenueOrderId venue_order_id;
  TradeId trade_id;
  OrderSide side = OrderSide::kBuy;
  Quantity last_qty;
  Price last_px;
  Money commission;
  ChargeBreakdown charges;
  LiquiditySide liquidity_side = LiquiditySide::kTaker;
  UnixNanos ts_event;
};

// A net position as the venue holds it (Kite: /portfolio/positions "net").
struct PositionStatusReport {
  AccountId account_id;
  InstrumentId instrument_id;
  std::string product;
  PositionSide side = PositionSide::kFlat;
  Quantity quantity;            // net, unsigned (side says which way)
  Quantity overnight_quantity;  // carried from the previous day (Kite overnight_quantity)
  std::optional<Price> avg_px_open;
  UnixNanos ts_last;
  std::int64_t signed_qty_raw() const {
    return side == PositionSide::kShort ? -quantity.raw() : quantity.raw();
  }
};

// Everything one execution client reports about its account at a moment: what start-up
// reconciliation (ExecutionEngine::Reconcile) compares with the kernel's own records.
struct ExecutionMassStatus {
  ClientId client_id;
  Venue venue;
  AccountId account_id;
  UnixNanos ts;
  // What the lists can be trusted for: `orders_complete`, every order of the day is listed
  // (so an order open here and absent there is a mismatch); `positions_reported`, the venue
  // reports its net positions (so they are compared). A client that cannot say either leaves
  // them false and those checks are skipped, never guessed.
  bool orders_complete = false;
  bool positions_reported = false;
  // Where the venue's lists begin when its orders all end with their trading day (Kite: DAY or
  // IOC orders, an order book that starts empty each IST day); zero when they do not. With
  // `orders_complete`, an order of ours created before it and not listed is a previous day's,
  // ended with its day: expired, not a mismatch (any fill it had shows in the position check).
  UnixNanos day_start;
  std::vector<OrderStatusReport> orders;
  std::vector<FillReport> fills;
  std::vector<PositionStatusReport> positions;
};

struct ReportQuery {
  std::optional<InstrumentId> instrument_id;
  UnixNanos since;
  bool open_only = false;
};

}  // namespace nacre
