// ExecutionClient: the interface the ExecutionEngine routes trading commands to. A
// simulated venue, the sandbox and the Zerodha adapter all implement it. Commands are
// asynchronous: the client acknowledges later by emitting events (submitted, accepted,
// transient pending states, fills...) into its ExecutionEventSink on the kernel thread.
// Status, fill and position reports support reconciliation with the venue's own records.
#pragma once

#include <memory>
#include <vector>

#include "common/clock.h"
#include "core/uuid.h"
#include "execution/reports.h"
#include "model/account.h"
#include "model/commands.h"
#include "model/order.h"

namespace nacre {

class ExecutionEventSink {
 public:
  virtual ~ExecutionEventSink() = default;
  virtual void OnOrderEvent(const OrderEvent& event) = 0;
  virtual void OnAccountState(const AccountState& state) = 0;
  // A venue's answer about one order (a QueryOrder, a post-reconnect pass): reconciled into
  // the order like start-up reconciliation does. `reporter` is the client that sent it (a
  // broker's client answers for every exchange it reaches).
  virtual void OnOrderStatusReport(const OrderStatusReport& /*report*/,
                                   const std::vector<FillReport>& /*fills*/,
                                   const ClientId& /*reporter*/) {}
};

class ChargeCalculator;
class EventLoop;

// What a client needs to speak about an order: its ids and what a fill carries. Built from a
// cached Order (RefOf) or from the venue's own payload, for an order the cache lacks (placed
// before a restart, or outside Nacre): events built from it reach the ExecutionEngine, whose
// reconciliation adopts or records such orders.
struct OrderRef {
  TraderId trader_id;
  StrategyId strategy_id;
  InstrumentId instrument_id;
  ClientOrderId client_order_id;
  VenueOrderId venue_order_id;
  PositionId position_id;
  OrderSide side = OrderSide::kBuy;
  OrderType order_type = OrderType::kMarket;
};
OrderRef RefOf(const Order& order);

// The one builder of venue events from ids, shared by clients, reconciliation and settlement:
// header, venue order id (when the event has one) and account.
template <typename E>
E MakeVenueEvent(const OrderRef& o, const AccountId& account, const Uuid4& event_id,
                 UnixNanos ts_event, UnixNanos ts_init) {
  E e;
  e.trader_id = o.trader_id;
  e.strategy_id = o.strategy_id;
  e.instrument_id = o.instrument_id;
  e.client_order_id = o.client_order_id;
  e.event_id = event_id;
  e.ts_event = ts_event;
  e.ts_init = ts_init;
  if constexpr (requires { e.venue_order_id; }) e.venue_order_id = o.venue_order_id;
  e.account_id = account;
  return e;
}
// A fill of `o`: its side, type and position from the ref; commission = the charges' total.
OrderFilled MakeFill(const OrderRef& o, const AccountId& account, const Uuid4& event_id,
                     UnixNanos ts_event, UnixNanos ts_init, const TradeId& trade_id, Quantity qty,
                     Price px, const ChargeBreakdown& charges, LiquiditySide liquidity);

class ExecutionClient {
 public:
  ExecutionClient(ClientId id, Venue venue, AccountId account_id);
  virtual ~ExecutionClient();
  ExecutionClient(const ExecutionClient&) = delete;
  ExecutionClient& operator=(const ExecutionClient&) = delete;

  // Called by the ExecutionEngine when the client is registered.
  void Bind(ExecutionEventSink* sink, const Clock* clock, UuidGenerator* uuids);

  const ClientId& id() const { return id_; }
  const Venue& venue() const { return venue_; }
  const AccountId& account_id() const { return account_id_; }

  virtual void Connect() {}
  virtual void Disconnect() {}
  virtual bool is_connected() const { return true; }

  virtual void SubmitOrder(const SubmitOrder& cmd, const Order& order) = 0;
  // Default: submits each order of the list in order.
  virtual void SubmitOrderList(const SubmitOrderList& cmd, const std::vector<const Order*>& orders);
  virtual void ModifyOrder(const ModifyOrder& cmd, const Order& order) = 0;
  virtual void CancelOrder(const CancelOrder& cmd, const Order& order) = 0;
  // Default: cancels each open order given.
  virtual void CancelAllOrders(const CancelAllOrders& cmd, const std::vector<const Order*>& open);
  virtual void QueryOrder(const QueryOrder& /*cmd*/, const Order& /*order*/) {}

  virtual std::vector<OrderStatusReport> GenerateOrderStatusReports(const ReportQuery& /*q*/) {
    return {};
  }
  virtual std::vector<FillReport> GenerateFillReports(const ReportQuery& /*q*/) { return {}; }
  virtual std::vector<PositionStatusReport> GeneratePositionStatusReports(
      const ReportQuery& /*q*/) {
    return {};
  }
  // Everything the venue reports now, for start-up reconciliation (default: the three
  // Generate*Reports above with an empty query).
  virtual Result<ExecutionMassStatus> GenerateMassStatus();
  // Whether GenerateOrderStatusReports lists every order of the day and whether the client
  // reports net positions (ExecutionMassStatus::orders_complete / positions_reported).
  virtual bool ReportsAllOrders() const { return false; }
  virtual bool ReportsPositions() const { return false; }

  // Expiry settlement (execution/expiry_settlement.h) books an expired option's cash
  // settlement through the kernel; the charges on it are the venue's: by default Zerodha's
  // index-option schedule (STT on an exercised long ITM option, nothing else) on the client's
  // own contract notes. A simulated venue charges on its own notes, so a day adds up to the
  // paisa.
  virtual ChargeBreakdown ExpiryCharges(const CivilDate& trade_date, PositionSide side,
                                        Money intrinsic_value);
  // The charges a fill the reconciliation infers for `order` carries (`qty` at `px` at `ts`:
  // the venue reports more filled than the trades it lists; a broker's trade book lagging its
  // order book), so P&L does not leave them out. The trades listed later are what it stood
  // for and are not applied again. Default: none (a venue that always lists its trades, as
  // the simulated exchange does, never has a fill inferred).
  virtual ChargeBreakdown InferredFillCharges(const Order& /*order*/, Quantity /*qty*/,
                                              Price /*px*/, UnixNanos /*ts*/) {
    return {};
  }
  // A position in `instrument` was settled at expiry at `intrinsic` (a simulated venue settles
  // its own ledger there and releases its margin).
  virtual void OnPositionSettled(const InstrumentId& /*instrument*/, Price /*intrinsic*/) {}

  // Events made but still waiting out the response delay (only their deliveries are pending).
  std::size_t delayed_pending() const { return delayed_.size() - delayed_free_.size(); }

 protected:
  // A status report of an order as this venue/account holds it (for GenerateOrderStatusReports).
  OrderStatusReport StatusReportOf(const Order& order) const;
  UnixNanos Now() const { return clock_->Now(); }
  // An event about `o` as this client's account reports it, stamped now.
  template <typename E>
  E Event(const OrderRef& o, UnixNanos ts_event) {
    return MakeVenueEvent<E>(o, account_id_, uuids_->Next(), ts_event, Now());
  }
  void Emit(const OrderEvent& e) {
    if (response_delay_ > 0) return Delay(OrderEvent(e));
    sink_->OnOrderEvent(e);
  }
  void Emit(OrderEvent&& e) {
    if (response_delay_ > 0) return Delay(std::move(e));
    sink_->OnOrderEvent(e);
  }
  // Forgets the events still waiting out the response delay: for a reset that also drops the
  // loop's scheduled work (their deliveries, if they ever ran, do nothing).
  void DropDelayed() {
    delayed_.clear();
    delayed_free_.clear();
    ++delayed_epoch_;
  }
  void EmitReport(const OrderStatusReport& r, const std::vector<FillReport>& fills = {});
  void EmitAccountState(const AccountState& s);
  // A simulated venue's response latency: from now on its events, account states and reports
  // reach the sink `delay` after they were made, through `loop` (ts_init: the delivery time);
  // 0 or no loop: at once.
  void SetResponseDelay(EventLoop* loop, DurationNs delay) {
    delay_loop_ = loop;
    response_delay_ = loop != nullptr ? delay : 0;
  }

  // Event builders keyed by ids (OrderRef); the Order overloads take the ids from the cache.
  void GenerateOrderSubmitted(const OrderRef& o, UnixNanos ts);
  void GenerateOrderAccepted(const OrderRef& o, const VenueOrderId& venue_id, UnixNanos ts);
  void GenerateOrderRejected(const OrderRef& o, const std::string& reason, UnixNanos ts);
  void GenerateOrderCanceled(const OrderRef& o, UnixNanos ts);
  void GenerateOrderExpired(const OrderRef& o, UnixNanos ts);
  void GenerateOrderTriggered(const OrderRef& o, UnixNanos ts);
  void GenerateOrderPendingUpdate(const OrderRef& o, UnixNanos ts);
  void GenerateOrderPendingCancel(const OrderRef& o, UnixNanos ts);
  // `refused`: the change the modify asked for (quantity, price, trigger), carried on the event.
  struct ModifyRequest {
    std::optional<Quantity> quantity;
    std::optional<Price> price;
    std::optional<Price> trigger_price;
  };
  void GenerateOrderModifyRejected(const OrderRef& o, const std::string& reason, UnixNanos ts,
                                   const ModifyRequest& refused = {});
  void GenerateOrderCancelRejected(const OrderRef& o, const std::string& reason, UnixNanos ts);
  void GenerateOrderUpdated(const OrderRef& o, Quantity qty, std::optional<Price> price,
                            std::optional<Price> trigger, UnixNanos ts);
  void GenerateOrderFilled(const OrderRef& o, const TradeId& trade_id, Quantity qty, Price px,
                           const ChargeBreakdown& charges, LiquiditySide liquidity, UnixNanos ts);

  void GenerateOrderSubmitted(const Order& order, UnixNanos ts) {
    GenerateOrderSubmitted(RefOf(order), ts);
  }
  void GenerateOrderAccepted(const Order& order, const VenueOrderId& venue_id, UnixNanos ts) {
    GenerateOrderAccepted(RefOf(order), venue_id, ts);
  }
  void GenerateOrderRejected(const Order& order, const std::string& reason, UnixNanos ts) {
    GenerateOrderRejected(RefOf(order), reason, ts);
  }
  void GenerateOrderCanceled(const Order& order, UnixNanos ts) {
    GenerateOrderCanceled(RefOf(order), ts);
  }
  void GenerateOrderExpired(const Order& order, UnixNanos ts) {
    GenerateOrderExpired(RefOf(order), ts);
  }
  void GenerateOrderTriggered(const Order& order, UnixNanos ts) {
    GenerateOrderTriggered(RefOf(order), ts);
  }
  void GenerateOrderPendingUpdate(const Order& order, UnixNanos ts) {
    GenerateOrderPendingUpdate(RefOf(order), ts);
  }
  void GenerateOrderPendingCancel(const Order& order, UnixNanos ts) {
    GenerateOrderPendingCancel(RefOf(order), ts);
  }
  void GenerateOrderModifyRejected(const Order& order, const std::string& reason, UnixNanos ts,
                                   const ModifyRequest& refused = {}) {
    GenerateOrderModifyRejected(RefOf(order), reason, ts, refused);
  }
  void GenerateOrderCancelRejected(const Order& order, const std::string& reason, UnixNanos ts) {
    GenerateOrderCancelRejected(RefOf(order), reason, ts);
  }
  void GenerateOrderUpdated(const Order& order, Quantity qty, std::optional<Price> price,
                            std::optional<Price> trigger, UnixNanos ts) {
    GenerateOrderUpdated(RefOf(order), qty, price, trigger, ts);
  }
  void GenerateOrderFilled(const Order& order, const TradeId& trade_id, Quantity qty, Price px,
                           const ChargeBreakdown& charges, LiquiditySide liquidity, UnixNanos ts) {
    GenerateOrderFilled(RefOf(order), trade_id, qty, px, charges, liquidity, ts);
  }

  UuidGenerator& uuids() { return *uuids_; }

 private:
  ClientId id_;
  Venue venue_;
  AccountId account_id_;
  ExecutionEventSink* sink_ = nullptr;
  std::unique_ptr<ChargeCalculator> expiry_charges_;  // default ExpiryCharges, made on use
  const Clock* clock_ = nullptr;
  UuidGenerator* uuids_ = nullptr;
  void Delay(OrderEvent&& e);
  EventLoop* delay_loop_ = nullptr;
  DurationNs response_delay_ = 0;
  // Events waiting out the response delay, in slots used again once delivered: the loop's task
  // holds only the slot's number (no allocation per delayed event, which is most of a
  // simulated venue's events).
  std::vector<OrderEvent> delayed_;
  std::vector<std::uint32_t> delayed_free_;
  std::uint32_t delayed_epoch_ = 0;  // bumped by DropDelayed: older tasks deliver nothing
};

}  // namespace nacre
