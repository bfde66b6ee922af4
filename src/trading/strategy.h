// Strategy: an Actor that trades. It creates orders through its OrderFactory, submits them
// (through the RiskEngine), modifies, cancels and closes positions, and receives its own
// order and position events. It reads the Cache and the Portfolio but never learns which
// environment it runs in. Kernel thread only.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "common/actor.h"
#include "model/position_events.h"
#include "portfolio/portfolio.h"
#include "trading/order_factory.h"
#include "trading/spread_executor.h"

namespace nacre {

class Strategy : public Actor {
 public:
  explicit Strategy(const StrategyId& id);

  const StrategyId& strategy_id() const { return strategy_id_; }
  // Called by the Trader: wires the actor context and the portfolio.
  void RegisterStrategy(const ActorContext& ctx, const Portfolio& portfolio);
  // Restarts client order id numbering (backtest reset, so a rerun issues the same ids).
  // Also forgets spreads (their orders are gone with the reset).
  void ResetOrderIds() {
    if (factory_) factory_->Reset();
    if (spreads_) spreads_->Reset();
  }
  ~Strategy() override;

  // After a restart: client order ids continue past `count` (the highest number this
  // strategy's journaled orders used), so none is ever reissued.
  void ContinueOrderIds(std::uint64_t count) {
    if (factory_ && factory_->count() < count) factory_->set_count(count);
  }
  // The running number of `id` if this strategy's factory issued it (OrderFactory::
  // IssuedNumber), else 0.
  std::uint64_t IssuedOrderNumber(const ClientOrderId& id) const {
    return factory_ ? factory_->IssuedNumber(id) : 0;
  }

  // The spread books across a restart (SpreadExecutor::SaveBook/LoadBook; the Trader keeps
  // them beside the strategy's own saved state). Empty when the strategy has no spreads.
  std::string SaveSpreadBook() const { return spreads_ ? spreads_->SaveBook() : std::string(); }
  Status LoadSpreadBook(const std::string& text);
  // Once started after a LoadSpreadBook: spreads that were working are resolved.
  void ResumeLoadedSpreads() {
    if (spreads_) spreads_->ResumeLoaded();
  }

  // After a resume: the spread executor arms again what the stop cancelled (Trader calls it).
  void RearmSpreads() {
    if (spreads_) spreads_->OnStrategyResumed();
  }

  // The strategy's spreads (read only: the node reports those in flight at its stop).
  const SpreadPosition* spread(const SpreadId& id) const;
  std::vector<const SpreadPosition*> spreads() const;         // creation order
  std::vector<const SpreadPosition*> active_spreads() const;  // not closed or failed

 protected:
  OrderFactory& order_factory() { return *factory_; }
  const Portfolio& portfolio() const { return *portfolio_; }

  // Adds the order to the cache and sends it to the RiskEngine. Returns the cached order.
  const Order* SubmitOrder(std::unique_ptr<Order> order, const PositionId& position_id = {},
                           const ClientId& client_id = {});
  // Submits orders as one list. OTO: the first order is the parent and the rest are released
  // when it fills. OCO: a fill cancels the others. OUO: fills reduce the others.
  std::vector<const Order*> SubmitOrderList(std::vector<std::unique_ptr<Order>> orders,
                                            ContingencyType contingency = ContingencyType::kNone,
                                            const ClientId& client_id = {});
  void ModifyOrder(const Order& order, std::optional<Quantity> quantity, std::optional<Price> price,
                   std::optional<Price> trigger_price = {});
  void CancelOrder(const Order& order);
  void CancelAllOrders(const InstrumentId& instrument, OrderSide side = OrderSide::kNoSide);
  // Market order, reduce-only, for the whole open quantity.
  const Order* ClosePosition(const Position& position, const std::string& tags = "");
  void CloseAllPositions(const std::optional<InstrumentId>& instrument = {});

  // Multi-leg spreads (trading/spread_executor.h for the execution policy). Spread events are
  // published on topics::SpreadEvents(strategy_id()) and then passed to OnSpreadEvent.
  Result<SpreadId> SubmitSpread(const SpreadOrderSpec& spec);
  // `reason` says why (reports group spreads by it).
  Status CloseSpread(const SpreadId& id, std::optional<Price> net_limit = {},
                     const SpreadExecPolicy& policy = {}, std::string reason = {});
  virtual void OnSpreadEvent(const SpreadEvent&) {}

  // Event handlers (the specific one first, then OnOrderEvent / OnPositionEvent).
  virtual void OnOrderInitialized(const OrderInitialized&) {}
  virtual void OnOrderDenied(const OrderDenied&) {}
  virtual void OnOrderSubmitted(const OrderSubmitted&) {}
  virtual void OnOrderAccepted(const OrderAccepted&) {}
  virtual void OnOrderRejected(const OrderRejected&) {}
  virtual void OnOrderCanceled(const OrderCanceled&) {}
  virtual void OnOrderExpired(const OrderExpired&) {}
  virtual void OnOrderTriggered(const OrderTriggered&) {}
  virtual void OnOrderPendingUpdate(const OrderPendingUpdate&) {}
  virtual void OnOrderPendingCancel(const OrderPendingCancel&) {}
  virtual void OnOrderModifyRejected(const OrderModifyRejected&) {}
  virtual void OnOrderCancelRejected(const OrderCancelRejected&) {}
  virtual void OnOrderUpdated(const OrderUpdated&) {}
  virtual void OnOrderFilled(const OrderFilled&) {}
  virtual void OnOrderEvent(const OrderEvent&) {}
  virtual void OnPositionOpened(const PositionOpened&) {}
  virtual void OnPositionChanged(const PositionChanged&) {}
  virtual void OnPositionClosed(const PositionClosed&) {}
  virtual void OnPositionEvent(const PositionEvent&) {}

 private:
  void DispatchOrderEvent(const OrderEvent& e);
  void DispatchPositionEvent(const PositionEvent& e);
  CommandHeader MakeHeader(const ClientId& client_id);
  // OrderPendingUpdate / OrderPendingCancel for `order`, through the execution engine.
  void EmitPending(const Order& order, bool cancel);
  void SendCommand(const TradingCommand& cmd, bool via_risk);
  // This strategy's order-events topic, resolved once per bus (topic handles live as long as it).
  MessageBus::TopicHandle OrderEventsTopic();

  class SpreadPort;
  SpreadExecutor& Spreads();

  StrategyId strategy_id_;
  std::unique_ptr<OrderFactory> factory_;
  std::unique_ptr<SpreadPort> spread_port_;
  std::unique_ptr<SpreadExecutor> spreads_;
  const Portfolio* portfolio_ = nullptr;
  const MessageBus* order_topic_bus_ = nullptr;
  MessageBus::TopicHandle order_topic_;
  // The engines' command endpoints, resolved once per bus (a command per order).
  MessageBus::EndpointMemo risk_memo_;
  MessageBus::EndpointMemo exec_memo_;
};

}  // namespace nacre
