// OrderFactory: builds orders for one strategy with deterministic client order ids
// "O-{YYYYMMDD}-{HHMMSS}-{trader_tag}-{strategy_tag}-{n}" (UTC from the kernel clock; tags
// are the text after the last '-' of the trader and strategy ids). The counter can be
// restored on restart so ids never repeat. Kernel thread only.
#pragma once

#include <fmt/format.h>

#include <memory>
#include <optional>
#include <string>

#include "common/clock.h"
#include "core/uuid.h"
#include "model/order.h"

namespace nacre {

struct OrderOptions {
  TimeInForce time_in_force = TimeInForce::kDay;
  UnixNanos expire_time;  // GTD
  bool reduce_only = false;
  std::string tags;
  // Kite market_protection percentage for MARKET / STOP_MARKET (raw, scale 10^9).
  std::int64_t market_protection_pct_raw = 0;
};

class OrderFactory {
 public:
  OrderFactory(TraderId trader_id, StrategyId strategy_id, const Clock& clock,
               UuidGenerator& uuids);

  // The tag an id contributes to client order ids: the text after its last '-'.
  static std::string TagOf(const std::string& id);

  const StrategyId& strategy_id() const { return strategy_id_; }
  ClientOrderId NextClientOrderId();
  OrderListId NextOrderListId();
  std::uint64_t count() const { return count_; }
  void set_count(std::uint64_t n) { count_ = n; }
  // The running number of `id` when this factory's shape issued it ("...-{trader_tag}-
  // {strategy_tag}-{n}"), whoever owns the order now (reconciliation adopts our orders under
  // its own strategy); 0 otherwise.
  std::uint64_t IssuedNumber(const ClientOrderId& id) const;
  void Reset() {
    count_ = 0;
    list_count_ = 0;
  }

  std::unique_ptr<Order> Market(const InstrumentId& id, OrderSide side, Quantity qty,
                                const OrderOptions& opt = {});
  std::unique_ptr<Order> Limit(const InstrumentId& id, OrderSide side, Quantity qty, Price price,
                               const OrderOptions& opt = {});
  std::unique_ptr<Order> StopMarket(const InstrumentId& id, OrderSide side, Quantity qty,
                                    Price trigger, const OrderOptions& opt = {});
  std::unique_ptr<Order> StopLimit(const InstrumentId& id, OrderSide side, Quantity qty,
                                   Price price, Price trigger, const OrderOptions& opt = {});

 private:
  OrderInitialized Base(const InstrumentId& id, OrderSide side, Quantity qty, OrderType type,
                        const OrderOptions& opt);

  TraderId trader_id_;
  StrategyId strategy_id_;
  std::string trader_tag_;
  std::string strategy_tag_;
  const Clock& clock_;
  UuidGenerator& uuids_;
  std::uint64_t count_ = 0;
  std::uint64_t list_count_ = 0;
  // NextClientOrderId's text up to the number, for the clock's second `prefix_second_`.
  fmt::memory_buffer prefix_;
  std::int64_t prefix_second_ = 0;
};

}  // namespace nacre
