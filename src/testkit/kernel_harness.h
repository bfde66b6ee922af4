// Kernel-level test fixtures: a Kernel on a TestClock, bus recorders, and small execution and
// data clients that record what the engines routed to them (and let a test emit venue events).
// Header-only on purpose: nacre_testkit itself links only nacre_model, so include this header
// only from test targets that also link nacre_trading (TEST_DEPS nacre_trading).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "testkit/testkit.h"
#include "trading/kernel.h"

namespace nacre::testkit {

// 2024-01-01 09:15:00 IST = 03:45:00 UTC (a Monday; the NIFTY future is live, the option too).
inline UnixNanos DefaultStart() { return FromIst(2024, 1, 1, 9, 15); }

// A kernel config that logs nowhere (warnings and errors are still counted by the logger).
inline KernelConfig QuietKernelConfig() {
  KernelConfig c;
  c.log_sink = nullptr;
  return c;
}

// A Kernel built on a TestClock the test can drive.
class TestKernel {
 public:
  explicit TestKernel(KernelConfig config = QuietKernelConfig(), UnixNanos start = DefaultStart()) {
    auto clock = std::make_unique<TestClock>(start);
    clock_ = clock.get();
    kernel_ = std::make_unique<Kernel>(config, std::move(clock));
  }

  Kernel& kernel() { return *kernel_; }
  Kernel* operator->() { return kernel_.get(); }
  TestClock& clock() { return *clock_; }
  UnixNanos now() const { return clock_->Now(); }
  // Runs venue deliveries and timers due through the kernel's event loop (in its tie-break
  // order) and moves the clock forward by `d`.
  void Advance(DurationNs d) { kernel_->loop().AdvanceTo(clock_->Now() + d); }
  void AdvanceTo(UnixNanos t) { kernel_->loop().AdvanceTo(t); }

 private:
  TestClock* clock_ = nullptr;
  std::unique_ptr<Kernel> kernel_;
};

// Gives every execution client whose account the cache lacks a margin account (₹1 crore), as
// a node loads each venue's account before the kernel's portfolio phase (Kernel::Start fails
// without one).
inline void AddMissingAccounts(Kernel& k, UnixNanos ts = DefaultStart()) {
  for (ExecutionClient* c : k.exec_engine().clients()) {
    if (k.cache().account(c->account_id()) != nullptr) continue;
    k.cache().AddAccount(std::make_unique<Account>(c->account_id(), AccountType::kMargin,
                                                   Money::FromInt(10'000'000), ts),
                         c->venue());
  }
}

// Records every message of type T published on topics matching `pattern`.
template <typename T>
class BusRecorder {
 public:
  BusRecorder(MessageBus& bus, std::string_view pattern, int priority = 0) : bus_(bus) {
    id_ = bus_.Subscribe<T>(
        pattern, [this](const T& m) { items_.push_back(m); }, priority);
  }
  ~BusRecorder() { bus_.Unsubscribe(id_); }
  BusRecorder(const BusRecorder&) = delete;
  BusRecorder& operator=(const BusRecorder&) = delete;

  const std::vector<T>& items() const { return items_; }
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const T& back() const { return items_.back(); }
  const T& operator[](std::size_t i) const { return items_[i]; }
  void clear() { items_.clear(); }

  // For variant messages (OrderEvent, PositionEvent): the alternatives of type E, in order.
  template <typename E>
  std::vector<E> Of() const {
    std::vector<E> out;
    for (const T& m : items_) {
      if (const auto* e = std::get_if<E>(&m)) out.push_back(*e);
    }
    return out;
  }

 private:
  MessageBus& bus_;
  SubscriptionId id_ = 0;
  std::vector<T> items_;
};

// Names of the alternatives of recorded order events, e.g. {"OrderSubmitted", ...}.
inline std::vector<std::string> EventNames(const std::vector<OrderEvent>& events) {
  std::vector<std::string> out;
  for (const OrderEvent& e : events) out.emplace_back(EventName(KindOf(e)));
  return out;
}

// An execution client that records the commands routed to it and lets the test emit the
// venue's events through the engine's sink (the same path a real adapter uses).
class RecordingExecClient final : public ExecutionClient {
 public:
  RecordingExecClient(const char* client_id, const char* venue, const char* account_id = "SIM-001")
      : ExecutionClient(ClientId(client_id), Venue(venue), AccountId(account_id)) {}

  void SubmitOrder(const nacre::SubmitOrder& cmd, const Order& /*order*/) override {
    submits.push_back(cmd);
  }
  void SubmitOrderList(const nacre::SubmitOrderList& cmd,
                       const std::vector<const Order*>& orders) override {
    lists.push_back(cmd);
    std::vector<ClientOrderId> ids;
    for (const Order* o : orders) ids.push_back(o->client_order_id());
    list_orders.push_back(ids);
  }
  void ModifyOrder(const nacre::ModifyOrder& cmd, const Order& /*order*/) override {
    modifies.push_back(cmd);
  }
  void CancelOrder(const nacre::CancelOrder& cmd, const Order& /*order*/) override {
    cancels.push_back(cmd);
  }
  void CancelAllOrders(const nacre::CancelAllOrders& cmd,
                       const std::vector<const Order*>& open) override {
    cancel_alls.push_back(cmd);
    std::vector<ClientOrderId> ids;
    for (const Order* o : open) ids.push_back(o->client_order_id());
    cancel_all_orders.push_back(ids);
  }
  void QueryOrder(const nacre::QueryOrder& cmd, const Order& /*order*/) override {
    queries.push_back(cmd);
  }
  // Charges of an inferred fill: `inferred_fee_bp` basis points of its value as brokerage
  // (0: none), recorded.
  ChargeBreakdown InferredFillCharges(const Order& order, Quantity qty, Price px,
                                      UnixNanos /*ts*/) override {
    inferred_charge_asks.push_back({order.client_order_id(), qty});
    ChargeBreakdown b;
    b.brokerage = Money::Notional(px, qty, 1).MulRatio(inferred_fee_bp, 10'000);
    return b;
  }
  std::int64_t inferred_fee_bp = 0;
  std::vector<std::pair<ClientOrderId, Quantity>> inferred_charge_asks;

  std::size_t command_count() const {
    return submits.size() + lists.size() + modifies.size() + cancels.size() + cancel_alls.size() +
           queries.size();
  }

  // What the "venue" reports at reconciliation (empty by default) and whether it connects.
  bool is_connected() const override { return connected; }
  Result<ExecutionMassStatus> GenerateMassStatus() override {
    if (!mass_status_error.empty()) return MakeError(ErrorCode::kTimeout, mass_status_error);
    ExecutionMassStatus ms = mass_status;
    ms.orders_complete = ms.positions_reported = true;  // the script is the whole truth
    ms.client_id = id();
    ms.venue = venue();
    ms.account_id = account_id();
    return ms;
  }
  bool connected = true;
  ExecutionMassStatus mass_status;
  std::string mass_status_error;

  // Venue events, emitted synchronously into the ExecutionEngine.
  void Submitted(const Order& o) { GenerateOrderSubmitted(o, Now()); }
  void PendingCancel(const Order& o) { GenerateOrderPendingCancel(o, Now()); }
  void PendingUpdate(const Order& o) { GenerateOrderPendingUpdate(o, Now()); }
  void Accepted(const Order& o) {
    GenerateOrderAccepted(o, VenueOrderId("V-" + o.client_order_id().value()), Now());
  }
  void Rejected(const Order& o, const std::string& reason) {
    GenerateOrderRejected(o, reason, Now());
  }
  void Canceled(const Order& o) { GenerateOrderCanceled(o, Now()); }
  void Triggered(const Order& o) { GenerateOrderTriggered(o, Now()); }
  void Updated(const Order& o, Quantity qty, std::optional<Price> px = {}) {
    GenerateOrderUpdated(o, qty, px ? px : o.price(), o.trigger_price(), Now());
  }
  // `refused_price`: the price the refused modify asked for (carried on the event).
  void ModifyRejected(const Order& o, const std::string& reason,
                      std::optional<Price> refused_price = {}) {
    GenerateOrderModifyRejected(o, reason, Now(), ModifyRequest{{}, refused_price, {}});
  }
  void CancelRejected(const Order& o, const std::string& reason) {
    GenerateOrderCancelRejected(o, reason, Now());
  }
  // Events built from ids alone (the venue's payload), as for an order the cache lacks.
  void AcceptedById(const OrderRef& r, const char* venue_id) {
    GenerateOrderAccepted(r, VenueOrderId(venue_id), Now());
  }
  void FilledById(const OrderRef& r, const char* trade, std::int64_t qty, const char* px) {
    GenerateOrderFilled(r, TradeId(trade), Qty(qty), Px(px), ChargeBreakdown{},
                        LiquiditySide::kTaker, Now());
  }
  // The venue's answer about one order (to a QueryOrder).
  void Report(const OrderStatusReport& r, const std::vector<FillReport>& fills = {}) {
    EmitReport(r, fills);
  }
  void Filled(const Order& o, std::int64_t qty, const char* px, const char* commission = "0") {
    ChargeBreakdown charges;
    charges.brokerage = Inr(commission);
    GenerateOrderFilled(o, TradeId(fmt::format("T-{}", ++trade_seq_)), Qty(qty), Px(px), charges,
                        LiquiditySide::kTaker, Now());
  }

  std::vector<nacre::SubmitOrder> submits;
  std::vector<nacre::SubmitOrderList> lists;
  std::vector<std::vector<ClientOrderId>> list_orders;
  std::vector<nacre::ModifyOrder> modifies;
  std::vector<nacre::CancelOrder> cancels;
  std::vector<nacre::CancelAllOrders> cancel_alls;
  std::vector<std::vector<ClientOrderId>> cancel_all_orders;
  std::vector<nacre::QueryOrder> queries;

 private:
  int trade_seq_ = 0;
};

// A data client that records the subscriptions routed to it.
class RecordingDataClient final : public DataClient {
 public:
  RecordingDataClient(const char* client_id, const char* venue) : id_(client_id), venue_(venue) {}
  const ClientId& id() const override { return id_; }
  const Venue& venue() const override { return venue_; }
  void Subscribe(const DataSubscription& cmd) override { subscribed.push_back(cmd); }
  void Unsubscribe(const DataSubscription& cmd) override { unsubscribed.push_back(cmd); }

  std::vector<DataSubscription> subscribed;
  std::vector<DataSubscription> unsubscribed;

 private:
  ClientId id_;
  Venue venue_;
};

// Adds an order built from `init` to the kernel's cache and returns it.
inline const Order* AddOrder(Kernel& k, const OrderInitialized& init,
                             const PositionId& position_id = {}) {
  Status s = k.cache().AddOrder(std::make_unique<Order>(init), position_id);
  EXPECT_TRUE(s.ok()) << s.error();
  return k.cache().order(init.client_order_id);
}

// A SubmitOrder command for an order already in the cache (testkit trader/strategy).
inline nacre::SubmitOrder SubmitCommand(const Order& order, const ClientId& client = {}) {
  nacre::SubmitOrder cmd;
  cmd.trader_id = order.trader_id();
  cmd.strategy_id = order.strategy_id();
  cmd.client_id = client;
  cmd.instrument_id = order.instrument_id();
  cmd.client_order_id = order.client_order_id();
  cmd.position_id = order.position_id();
  return cmd;
}

inline nacre::CancelOrder CancelCommand(const Order& order, const ClientId& client = {}) {
  nacre::CancelOrder cmd;
  cmd.trader_id = order.trader_id();
  cmd.strategy_id = order.strategy_id();
  cmd.client_id = client;
  cmd.instrument_id = order.instrument_id();
  cmd.client_order_id = order.client_order_id();
  cmd.venue_order_id = order.venue_order_id();
  return cmd;
}

inline nacre::ModifyOrder ModifyCommand(const Order& order, std::optional<Quantity> qty,
                                        std::optional<Price> price = {},
                                        std::optional<Price> trigger = {}) {
  nacre::ModifyOrder cmd;
  cmd.trader_id = order.trader_id();
  cmd.strategy_id = order.strategy_id();
  cmd.instrument_id = order.instrument_id();
  cmd.client_order_id = order.client_order_id();
  cmd.venue_order_id = order.venue_order_id();
  cmd.quantity = qty;
  cmd.price = price;
  cmd.trigger_price = trigger;
  return cmd;
}

// Opens (or changes) the testkit strategy's NETTING position by pushing an order through
// Submitted, Accepted and one complete fill in the ExecutionEngine, as a venue would.
inline const Order* FillThroughEngine(Kernel& k, const Instrument& inst, const char* coid,
                                      OrderSide side, std::int64_t qty, const char* px,
                                      const char* commission = "0") {
  const Order* order = AddOrder(k, MakeInit(inst, coid, side, qty));
  const std::int64_t ts = k.clock().Now().value;
  k.exec_engine().Process(MakeEvent<OrderSubmitted>(inst, coid, ts));
  k.exec_engine().Process(MakeEvent<OrderAccepted>(inst, coid, ts));
  const std::string trade_id = std::string("T-") + coid;
  k.exec_engine().Process(MakeFill(inst, coid, trade_id.c_str(), side, qty, px, commission, ts));
  return order;
}

}  // namespace nacre::testkit
