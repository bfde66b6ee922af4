// Order: the state of one order, changed only by applying OrderEvents in sequence. The state
// machine is TRADING_SEMANTICS.md's table; an event not allowed in the current state is
// refused with an error and leaves the order untouched (the caller logs it). Owned by the
// Cache; single-threaded (kernel thread).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "model/events.h"

// 1 when orders come from the pool (order.cpp); 0 under AddressSanitizer, where they come
// from the heap so that a use after free is caught.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_HWADDRESS__)
#define NACRE_ORDER_POOL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(hwaddress_sanitizer)
#define NACRE_ORDER_POOL 0
#endif
#endif
#ifndef NACRE_ORDER_POOL
#define NACRE_ORDER_POOL 1
#endif

namespace nacre {

// The state an event moves an order to, or nullopt when the event is not allowed in `from`.
// `previous` is the state before the current pending state (restored by ModifyRejected,
// Updated and CancelRejected); `fill_completes` says whether a fill brings filled_qty to the
// order quantity.
std::optional<OrderStatus> NextOrderStatus(OrderStatus from, OrderEventKind event,
                                           OrderStatus previous, bool fill_completes);

class Order;

// The identity part of an event about `order` (ids, a fresh event id, timestamps).
OrderEventHeader MakeOrderEventHeader(const Order& order, const Uuid4& event_id, UnixNanos ts_event,
                                      UnixNanos ts_init);

class Order {
 public:
  explicit Order(const OrderInitialized& init);
  explicit Order(OrderInitialized&& init);  // the factory's: its strings and lists moved in

  // Orders are made from a pool of blocks carved from slabs (order.cpp): a strategy can create
  // tens of thousands of orders a run, more than malloc's per-thread cache keeps of a size, and
  // each one past it was a trip through malloc's bins.
  static void* operator new(std::size_t size);
  static void operator delete(void* p, std::size_t size) noexcept;

  // Applies the event; on an illegal transition or mismatched identity returns an error and
  // changes nothing.
  Status Apply(const OrderEvent& event);

  const TraderId& trader_id() const { return init_.trader_id; }
  const StrategyId& strategy_id() const { return init_.strategy_id; }
  const InstrumentId& instrument_id() const { return init_.instrument_id; }
  const ClientOrderId& client_order_id() const { return init_.client_order_id; }
  const VenueOrderId& venue_order_id() const { return venue_order_id_; }
  const AccountId& account_id() const { return account_id_; }
  const PositionId& position_id() const { return position_id_; }
  void set_position_id(const PositionId& id) { position_id_ = id; }
  OrderSide side() const { return init_.side; }
  OrderType order_type() const { return init_.order_type; }
  TimeInForce time_in_force() const { return init_.time_in_force; }
  UnixNanos expire_time() const { return init_.expire_time; }
  bool reduce_only() const { return init_.reduce_only; }
  std::int64_t market_protection_pct_raw() const { return init_.market_protection_pct_raw; }
  const OrderListId& order_list_id() const { return init_.order_list_id; }
  ContingencyType contingency() const { return init_.contingency; }
  const std::vector<ClientOrderId>& linked_order_ids() const { return init_.linked_order_ids; }
  const ClientOrderId& parent_order_id() const { return init_.parent_order_id; }
  const std::string& tags() const { return init_.tags; }
  const std::string& venue_tag() const { return init_.venue_tag; }
  const OrderInitialized& init() const { return init_; }
  // Sets the venue tag before submission (INITIALIZED and no tag yet; false otherwise).
  bool AssignVenueTag(std::string tag) {
    if (status_ != OrderStatus::kInitialized || !init_.venue_tag.empty()) return false;
    init_.venue_tag = std::move(tag);
    return true;
  }
  // Joins an order list before submission (INITIALIZED only; returns false otherwise).
  bool AssignToList(const OrderListId& list, ContingencyType contingency,
                    std::vector<ClientOrderId> linked, const ClientOrderId& parent);

  OrderStatus status() const { return status_; }
  Quantity quantity() const { return quantity_; }
  Quantity filled_qty() const { return filled_qty_; }
  Quantity leaves_qty() const { return quantity_ - filled_qty_; }
  // Quantity filled beyond the order quantity (recorded, never dropped).
  Quantity overfill_qty() const { return filled_qty_ - quantity_; }
  const std::optional<Price>& price() const { return price_; }
  const std::optional<Price>& trigger_price() const { return trigger_price_; }
  // Quantity-weighted average fill price at full (9 decimal) precision.
  std::optional<Price> avg_px() const { return avg_px_; }
  Money commission() const { return commission_; }
  bool is_triggered() const { return triggered_; }
  const std::vector<TradeId>& trade_ids() const { return trade_ids_; }
  std::size_t event_count() const { return event_count_; }
  UnixNanos ts_init() const { return init_.ts_init; }
  UnixNanos ts_last() const { return ts_last_; }

  bool is_open() const;
  bool is_closed() const { return IsTerminal(status_); }
  bool is_inflight() const {
    return status_ == OrderStatus::kSubmitted || status_ == OrderStatus::kPendingUpdate ||
           status_ == OrderStatus::kPendingCancel;
  }
  bool is_buy() const { return init_.side == OrderSide::kBuy; }
  // Signed quantity (+ buy, - sell) as raw fixed-point.
  std::int64_t SignedRaw(Quantity q) const { return is_buy() ? q.raw() : -q.raw(); }

 private:
  void ApplyFill(const OrderFilled& fill);

  OrderInitialized init_;
  OrderStatus status_ = OrderStatus::kInitialized;
  OrderStatus previous_status_ = OrderStatus::kInitialized;
  VenueOrderId venue_order_id_;
  AccountId account_id_;
  PositionId position_id_;
  Quantity quantity_;
  Quantity filled_qty_;
  std::optional<Price> price_;
  std::optional<Price> trigger_price_;
  std::optional<Price> avg_px_;
  Money commission_;
  bool triggered_ = false;
  std::vector<TradeId> trade_ids_;
  std::size_t event_count_ = 1;
  UnixNanos ts_last_;
};

}  // namespace nacre
