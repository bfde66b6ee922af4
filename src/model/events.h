// Order events: immutable facts about an order, applied in sequence by Order::Apply and
// published on the bus as the OrderEvent variant. Every event carries the order's identity
// and two timestamps: ts_event (when it happened at the source) and ts_init (when the kernel
// created the message).
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/time.h"
#include "core/uuid.h"
#include "model/data.h"
#include "model/enums.h"
#include "model/identifiers.h"
#include "model/money.h"

namespace nacre {

struct OrderEventHeader {
  friend bool operator==(const OrderEventHeader&, const OrderEventHeader&) = default;
  TraderId trader_id;
  StrategyId strategy_id;
  InstrumentId instrument_id;
  ClientOrderId client_order_id;
  Uuid4 event_id;
  UnixNanos ts_event;
  UnixNanos ts_init;
};

struct OrderInitialized : OrderEventHeader {
  friend bool operator==(const OrderInitialized&, const OrderInitialized&) = default;
  OrderSide side = OrderSide::kBuy;
  OrderType order_type = OrderType::kMarket;
  Quantity quantity;
  std::optional<Price> price;
  std::optional<Price> trigger_price;
  TimeInForce time_in_force = TimeInForce::kDay;
  UnixNanos expire_time;  // GTD only
  bool reduce_only = false;
  // Kite market_protection percentage for MARKET / STOP_MARKET (0 = none).
  std::int64_t market_protection_pct_raw = 0;
  OrderListId order_list_id;
  ContingencyType contingency = ContingencyType::kNone;
  std::vector<ClientOrderId> linked_order_ids;
  ClientOrderId parent_order_id;
  std::string tags;
  // The order's tag at the venue (Kite's `tag`: at most 20 alphanumerics), unique per trader
  // and mapped to the client order id; assigned by the Cache when the order is added.
  std::string venue_tag;
};

struct OrderDenied : OrderEventHeader {
  friend bool operator==(const OrderDenied&, const OrderDenied&) = default;
  std::string reason_code;  // e.g. "QUANTITY_EXCEEDS_FREEZE"
  std::string message;      // e.g. "quantity=1950 freeze=1800"
};
struct OrderSubmitted : OrderEventHeader {
  friend bool operator==(const OrderSubmitted&, const OrderSubmitted&) = default;
  AccountId account_id;
};
struct OrderAccepted : OrderEventHeader {
  friend bool operator==(const OrderAccepted&, const OrderAccepted&) = default;
  VenueOrderId venue_order_id;
  AccountId account_id;
};
struct OrderRejected : OrderEventHeader {
  friend bool operator==(const OrderRejected&, const OrderRejected&) = default;
  AccountId account_id;
  std::string reason;
};
struct OrderCanceled : OrderEventHeader {
  friend bool operator==(const OrderCanceled&, const OrderCanceled&) = default;
  VenueOrderId venue_order_id;
  AccountId account_id;
};
struct OrderExpired : OrderEventHeader {
  friend bool operator==(const OrderExpired&, const OrderExpired&) = default;
  VenueOrderId venue_order_id;
  AccountId account_id;
};
struct OrderTriggered : OrderEventHeader {
  friend bool operator==(const OrderTriggered&, const OrderTriggered&) = default;
  VenueOrderId venue_order_id;
  AccountId account_id;
};
struct OrderPendingUpdate : OrderEventHeader {
  friend bool operator==(const OrderPendingUpdate&, const OrderPendingUpdate&) = default;
  VenueOrderId venue_order_id;
  AccountId account_id;
};
struct OrderPendingCancel : OrderEventHeader {
  friend bool operator==(const OrderPendingCancel&, const OrderPendingCancel&) = default;
  VenueOrderId venue_order_id;
  AccountId account_id;
};
struct OrderModifyRejected : OrderEventHeader {
  friend bool operator==(const OrderModifyRejected&, const OrderModifyRejected&) = default;
  VenueOrderId venue_order_id;
  AccountId account_id;
  std::string reason;
  // The change that was refused, as requested (unset: not changed, or not known), so a sender
  // with several modifies in flight can tell which one this answers.
  std::optional<Quantity> quantity;
  std::optional<Price> price;
  std::optional<Price> trigger_price;
};
struct OrderCancelRejected : OrderEventHeader {
  friend bool operator==(const OrderCancelRejected&, const OrderCancelRejected&) = default;
  VenueOrderId venue_order_id;
  AccountId account_id;
  std::string reason;
};
struct OrderUpdated : OrderEventHeader {
  friend bool operator==(const OrderUpdated&, const OrderUpdated&) = default;
  VenueOrderId venue_order_id;
  AccountId account_id;
  Quantity quantity;
  std::optional<Price> price;
  std::optional<Price> trigger_price;
};

// Itemised charges of one fill (the NSE schedule fills these in; zero by default).
struct ChargeBreakdown {
  friend bool operator==(const ChargeBreakdown&, const ChargeBreakdown&) = default;
  Money brokerage;
  Money stt;
  Money exchange;
  Money sebi;
  Money ipft;
  Money stamp;
  Money gst;
  Money Total() const { return brokerage + stt + exchange + sebi + ipft + stamp + gst; }
};

struct OrderFilled : OrderEventHeader {
  friend bool operator==(const OrderFilled&, const OrderFilled&) = default;
  VenueOrderId venue_order_id;
  AccountId account_id;
  TradeId trade_id;
  PositionId position_id;
  OrderSide order_side = OrderSide::kBuy;
  OrderType order_type = OrderType::kMarket;
  Quantity last_qty;
  Price last_px;
  Currency currency = Currency::INR();
  Money commission;  // total charges of this fill (= charges.Total() when itemised)
  ChargeBreakdown charges;
  LiquiditySide liquidity_side = LiquiditySide::kTaker;
};

using OrderEvent = std::variant<OrderInitialized, OrderDenied, OrderSubmitted, OrderAccepted,
                                OrderRejected, OrderCanceled, OrderExpired, OrderTriggered,
                                OrderPendingUpdate, OrderPendingCancel, OrderModifyRejected,
                                OrderCancelRejected, OrderUpdated, OrderFilled>;

// The kind of an event, for the state-transition table.
enum class OrderEventKind : std::uint8_t {
  kInitialized,
  kDenied,
  kSubmitted,
  kAccepted,
  kRejected,
  kCanceled,
  kExpired,
  kTriggered,
  kPendingUpdate,
  kPendingCancel,
  kModifyRejected,
  kCancelRejected,
  kUpdated,
  kFilled,
};
inline constexpr int kOrderEventKindCount = 14;

inline OrderEventKind KindOf(const OrderEvent& e) { return static_cast<OrderEventKind>(e.index()); }
std::string_view EventName(OrderEventKind k);
inline const OrderEventHeader& HeaderOf(const OrderEvent& e) {
  return std::visit([](const auto& ev) -> const OrderEventHeader& { return ev; }, e);
}

}  // namespace nacre
