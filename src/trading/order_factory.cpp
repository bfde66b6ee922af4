#include "trading/order_factory.h"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <iterator>

namespace nacre {

std::string OrderFactory::TagOf(const std::string& id) {
  const auto dash = id.rfind('-');
  return dash == std::string::npos ? id : id.substr(dash + 1);
}

OrderFactory::OrderFactory(TraderId trader_id, StrategyId strategy_id, const Clock& clock,
                           UuidGenerator& uuids)
    : trader_id_(std::move(trader_id)),
      strategy_id_(std::move(strategy_id)),
      trader_tag_(TagOf(trader_id_.value())),
      strategy_tag_(TagOf(strategy_id_.value())),
      clock_(clock),
      uuids_(uuids) {}

ClientOrderId OrderFactory::NextClientOrderId() {
  // "O-{date}-{time}-{trader}-{strategy}-" is formatted again only when the clock's second
  // changed; the number is appended on the stack and the id interned from there: no string is
  // allocated for an id.
  const UnixNanos now = clock_.Now();
  const std::int64_t second = now.value >= 0 ? now.value / kNanosPerSecond
                                              : (now.value + 1) / kNanosPerSecond - 1;
  if (prefix_.size() == 0 || second != prefix_second_) {
    const CivilDateTime t = ToUtc(now);
    prefix_.clear();
    fmt::format_to(std::back_inserter(prefix_),
                   FMT_COMPILE("O-{:04}{:02}{:02}-{:02}{:02}{:02}-{}-{}-"), t.date.year,
                   t.date.month, t.date.day, t.hour, t.minute, t.second, trader_tag_,
                   strategy_tag_);
    prefix_second_ = second;
  }
  fmt::memory_buffer text;
  text.append(prefix_.data(), prefix_.data() + prefix_.size());
  const fmt::format_int n(++count_);
  text.append(n.data(), n.data() + n.size());
  ClientOrderId id(std::string_view(text.data(), text.size()));
  // The next id, if it comes within this second: its slot in the intern table is loaded while
  // the strategy and the engine handle this order (a strategy that churns orders spent about
  // 6% of its run waiting for that slot).
  text.resize(prefix_.size());
  const fmt::format_int next(count_ + 1);
  text.append(next.data(), next.data() + next.size());
  PrefetchIntern(std::string_view(text.data(), text.size()));
  return id;
}

std::uint64_t OrderFactory::IssuedNumber(const ClientOrderId& id) const {
  const std::string& v = id.value();
  const std::string mid = fmt::format("-{}-{}-", trader_tag_, strategy_tag_);
  if (v.rfind("O-", 0) != 0) return 0;
  const auto at = v.rfind(mid);
  if (at == std::string::npos || at + mid.size() >= v.size()) return 0;
  std::uint64_t n = 0;
  for (std::size_t i = at + mid.size(); i < v.size(); ++i) {
    if (v[i] < '0' || v[i] > '9') return 0;
    n = n * 10 + static_cast<std::uint64_t>(v[i] - '0');
  }
  return n;
}

OrderListId OrderFactory::NextOrderListId() {
  const CivilDateTime t = ToUtc(clock_.Now());
  return OrderListId(fmt::format("OL-{:04}{:02}{:02}-{:02}{:02}{:02}-{}-{}-{}", t.date.year,
                                 t.date.month, t.date.day, t.hour, t.minute, t.second, trader_tag_,
                                 strategy_tag_, ++list_count_));
}

OrderInitialized OrderFactory::Base(const InstrumentId& id, OrderSide side, Quantity qty,
                                    OrderType type, const OrderOptions& opt) {
  OrderInitialized e;
  e.trader_id = trader_id_;
  e.strategy_id = strategy_id_;
  e.instrument_id = id;
  e.client_order_id = NextClientOrderId();
  e.event_id = uuids_.Next();
  e.ts_event = clock_.Now();
  e.ts_init = e.ts_event;
  e.side = side;
  e.order_type = type;
  e.quantity = qty;
  e.time_in_force = opt.time_in_force;
  e.expire_time = opt.expire_time;
  e.reduce_only = opt.reduce_only;
  e.tags = opt.tags;
  e.market_protection_pct_raw = opt.market_protection_pct_raw;
  return e;
}

std::unique_ptr<Order> OrderFactory::Market(const InstrumentId& id, OrderSide side, Quantity qty,
                                            const OrderOptions& opt) {
  return std::make_unique<Order>(Base(id, side, qty, OrderType::kMarket, opt));
}

std::unique_ptr<Order> OrderFactory::Limit(const InstrumentId& id, OrderSide side, Quantity qty,
                                           Price price, const OrderOptions& opt) {
  OrderInitialized e = Base(id, side, qty, OrderType::kLimit, opt);
  e.price = price;
  return std::make_unique<Order>(std::move(e));
}

std::unique_ptr<Order> OrderFactory::StopMarket(const InstrumentId& id, OrderSide side,
                                                Quantity qty, Price trigger,
                                                const OrderOptions& opt) {
  OrderInitialized e = Base(id, side, qty, OrderType::kStopMarket, opt);
  e.trigger_price = trigger;
  return std::make_unique<Order>(std::move(e));
}

std::unique_ptr<Order> OrderFactory::StopLimit(const InstrumentId& id, OrderSide side, Quantity qty,
                                               Price price, Price trigger,
                                               const OrderOptions& opt) {
  OrderInitialized e = Base(id, side, qty, OrderType::kStopLimit, opt);
  e.price = price;
  e.trigger_price = trigger;
  return std::make_unique<Order>(std::move(e));
}

}  // namespace nacre
