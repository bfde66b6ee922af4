#include "trading/strategy.h"

#include "trading/order_commands.h"

namespace nacre {

void Strategy::RegisterStrategy(const ActorContext& ctx, const Portfolio& portfolio) {
  portfolio_ = &portfolio;
  order_topic_bus_ = nullptr;  // a new bus may sit where an old one was
  factory_ = std::make_unique<OrderFactory>(ctx.trader_id, strategy_id_, *ctx.clock, *ctx.uuids);
  Register(ctx);
  AddSubscription<OrderEvent>(
      topics::OrderEvents(strategy_id_), [this](const OrderEvent& e) { DispatchOrderEvent(e); }, 0,
      true);
  AddSubscription<PositionEvent>(
      topics::PositionEvents(strategy_id_),
      [this](const PositionEvent& e) { DispatchPositionEvent(e); }, 0, true);
}

void Strategy::DispatchOrderEvent(const OrderEvent& e) {
  if (spreads_) spreads_->OnOrderEvent(e);
  std::visit(
      [this](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, OrderInitialized>) OnOrderInitialized(ev);
        if constexpr (std::is_same_v<T, OrderDenied>) OnOrderDenied(ev);
        if constexpr (std::is_same_v<T, OrderSubmitted>) OnOrderSubmitted(ev);
        if constexpr (std::is_same_v<T, OrderAccepted>) OnOrderAccepted(ev);
        if constexpr (std::is_same_v<T, OrderRejected>) OnOrderRejected(ev);
        if constexpr (std::is_same_v<T, OrderCanceled>) OnOrderCanceled(ev);
        if constexpr (std::is_same_v<T, OrderExpired>) OnOrderExpired(ev);
        if constexpr (std::is_same_v<T, OrderTriggered>) OnOrderTriggered(ev);
        if constexpr (std::is_same_v<T, OrderPendingUpdate>) OnOrderPendingUpdate(ev);
        if constexpr (std::is_same_v<T, OrderPendingCancel>) OnOrderPendingCancel(ev);
        if constexpr (std::is_same_v<T, OrderModifyRejected>) OnOrderModifyRejected(ev);
        if constexpr (std::is_same_v<T, OrderCancelRejected>) OnOrderCancelRejected(ev);
        if constexpr (std::is_same_v<T, OrderUpdated>) OnOrderUpdated(ev);
        if constexpr (std::is_same_v<T, OrderFilled>) OnOrderFilled(ev);
      },
      e);
  OnOrderEvent(e);
}

void Strategy::DispatchPositionEvent(const PositionEvent& e) {
  std::visit(
      [this](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, PositionOpened>) OnPositionOpened(ev);
        if constexpr (std::is_same_v<T, PositionChanged>) OnPositionChanged(ev);
        if constexpr (std::is_same_v<T, PositionClosed>) OnPositionClosed(ev);
      },
      e);
  OnPositionEvent(e);
}

CommandHeader Strategy::MakeHeader(const ClientId& client_id) {
  return MakeCommandHeader(trader_id(), strategy_id_, client_id, uuids(), clock());
}

void Strategy::SendCommand(const TradingCommand& cmd, bool via_risk) {
  const char* endpoint = via_risk ? topics::kRiskEngineExecute : topics::kExecEngineExecute;
  if (Status s = msgbus().Send(endpoint, cmd, via_risk ? risk_memo_ : exec_memo_); !s) {
    log().Error("command not sent: {}", s.error());
  }
}

MessageBus::TopicHandle Strategy::OrderEventsTopic() {
  if (order_topic_bus_ != &msgbus()) {
    order_topic_ = msgbus().Topic(topics::OrderEvents(strategy_id_));
    order_topic_bus_ = &msgbus();
  }
  return order_topic_;
}

const Order* Strategy::SubmitOrder(std::unique_ptr<Order> order, const PositionId& position_id,
                                   const ClientId& client_id) {
  Order* raw = order.get();
  if (Status s = cache().AddOrder(std::move(order), position_id); !s) {
    log().Error("submit refused: {}", s.error());
    return nullptr;
  }
  msgbus().Publish(OrderEventsTopic(), OrderEvent(raw->init()));
  nacre::SubmitOrder cmd;
  static_cast<CommandHeader&>(cmd) = MakeHeader(client_id);
  cmd.instrument_id = raw->instrument_id();
  cmd.client_order_id = raw->client_order_id();
  cmd.position_id = raw->position_id();
  SendCommand(cmd, true);
  return raw;
}

std::vector<const Order*> Strategy::SubmitOrderList(std::vector<std::unique_ptr<Order>> orders,
                                                    ContingencyType contingency,
                                                    const ClientId& client_id) {
  std::vector<const Order*> out;
  if (orders.empty()) return out;
  const OrderListId list_id = order_factory().NextOrderListId();
  std::vector<ClientOrderId> ids;
  for (const auto& o : orders) ids.push_back(o->client_order_id());
  for (std::size_t i = 0; i < orders.size(); ++i) {
    std::vector<ClientOrderId> linked;
    ClientOrderId parent;
    if (contingency == ContingencyType::kOto) {
      if (i == 0) {
        linked.assign(ids.begin() + 1, ids.end());
      } else {
        parent = ids[0];
      }
    } else if (contingency != ContingencyType::kNone) {
      for (std::size_t j = 0; j < ids.size(); ++j) {
        if (j != i) linked.push_back(ids[j]);
      }
    }
    orders[i]->AssignToList(
        list_id,
        i == 0 || contingency != ContingencyType::kOto ? contingency : ContingencyType::kNone,
        linked, parent);
  }
  for (auto& o : orders) {
    Order* raw = o.get();
    if (Status s = cache().AddOrder(std::move(o)); !s) {
      log().Error("order list refused: {}", s.error());
      return {};
    }
    out.push_back(raw);
    msgbus().Publish(OrderEventsTopic(), OrderEvent(raw->init()));
  }
  nacre::SubmitOrderList cmd;
  static_cast<CommandHeader&>(cmd) = MakeHeader(client_id);
  cmd.instrument_id = out.front()->instrument_id();
  cmd.order_list_id = list_id;
  cmd.client_order_ids = ids;
  SendCommand(cmd, true);
  return out;
}

void Strategy::EmitPending(const Order& order, bool cancel) {
  // Applied at once (local bookkeeping, not a command), so a cancel that follows a modify in
  // the same handler already sees PENDING_UPDATE.
  if (Status s = EmitPendingState(msgbus(), uuids(), clock(), order, cancel); !s) {
    log().Error("pending state not sent: {}", s.error());
  }
}

void Strategy::ModifyOrder(const Order& order, std::optional<Quantity> quantity,
                           std::optional<Price> price, std::optional<Price> trigger_price) {
  if (order.is_closed()) {
    // The order ended before the strategy asked (e.g. a fill and a re-price timer at one
    // time): nothing to modify, and nothing is sent.
    log().Info("modify of {} not sent: order already {}", order.client_order_id().value(),
               ToString(order.status()));
    return;
  }
  // PENDING_UPDATE from the moment the request leaves; the venue's Updated or a
  // ModifyRejected (venue or risk engine) restores the previous state.
  if (order.status() != OrderStatus::kInitialized && order.status() != OrderStatus::kPendingCancel) {
    EmitPending(order, false);
  }
  nacre::ModifyOrder cmd;
  static_cast<CommandHeader&>(cmd) = MakeHeader({});
  cmd.instrument_id = order.instrument_id();
  cmd.client_order_id = order.client_order_id();
  cmd.venue_order_id = order.venue_order_id();
  cmd.quantity = quantity;
  cmd.price = price;
  cmd.trigger_price = trigger_price;
  SendCommand(cmd, true);
}

void Strategy::CancelOrder(const Order& order) {
  if (order.is_closed()) {
    log().Info("cancel of {} not sent: order already {}", order.client_order_id().value(),
               ToString(order.status()));
    return;
  }
  if (order.status() != OrderStatus::kInitialized) EmitPending(order, true);
  SendCommand(MakeCancelCommand(MakeHeader({}), order), true);
}

void Strategy::CancelAllOrders(const InstrumentId& instrument, OrderSide side) {
  nacre::CancelAllOrders cmd;
  static_cast<CommandHeader&>(cmd) = MakeHeader({});
  cmd.instrument_id = instrument;
  cmd.side = side;
  SendCommand(cmd, true);
}

const Order* Strategy::ClosePosition(const Position& position, const std::string& tags) {
  if (position.is_closed()) return nullptr;
  OrderOptions opt;
  opt.reduce_only = true;
  opt.tags = tags;
  return SubmitOrder(order_factory().Market(position.instrument_id(), position.ClosingSide(),
                                            position.quantity(), opt),
                     position.id());
}

void Strategy::CloseAllPositions(const std::optional<InstrumentId>& instrument) {
  OrderQuery q;
  q.strategy_id = strategy_id_;
  q.instrument_id = instrument;
  for (const Position* p : cache().PositionsOpen(q)) ClosePosition(*p);
}

}  // namespace nacre

namespace nacre {

class Strategy::SpreadPort final : public SpreadOrderPort {
 public:
  explicit SpreadPort(Strategy& s) : s_(s) {}
  OrderFactory& Factory() override { return s_.order_factory(); }
  const Order* Submit(std::unique_ptr<Order> order) override {
    return s_.SubmitOrder(std::move(order));
  }
  void Modify(const Order& order, Price price) override { s_.ModifyOrder(order, {}, price); }
  void Cancel(const Order& order) override { s_.CancelOrder(order); }
  const Cache& CacheRef() const override { return s_.cache(); }
  Clock& ClockRef() override { return s_.clock(); }
  void Emit(const SpreadEvent& event) override {
    s_.msgbus().Publish(topics::SpreadEvents(s_.strategy_id()), event);
    if (s_.is_running()) s_.OnSpreadEvent(event);
  }
  Status SetAlert(const std::string& name, UnixNanos at, std::function<void()> fn) override {
    return s_.SetTimeAlert(name, at, [f = std::move(fn)](const TimeEvent&) { f(); });
  }
  void CancelAlert(const std::string& name) override { s_.CancelTimer(name); }
  std::string ClosedReason(const InstrumentId& id) const override {
    return s_.MarketClosedReason(id);
  }

 private:
  Strategy& s_;
};

Strategy::Strategy(const StrategyId& id) : Actor(id.value()), strategy_id_(id) {}
Strategy::~Strategy() = default;

SpreadExecutor& Strategy::Spreads() {
  if (!spreads_) {
    spread_port_ = std::make_unique<SpreadPort>(*this);
    spreads_ = std::make_unique<SpreadExecutor>(*spread_port_, strategy_id_.value());
  }
  return *spreads_;
}

Status Strategy::LoadSpreadBook(const std::string& text) {
  if (text.empty()) return Status::Ok();
  return Spreads().LoadBook(text);
}

Result<SpreadId> Strategy::SubmitSpread(const SpreadOrderSpec& spec) {
  return Spreads().Open(spec);
}

Status Strategy::CloseSpread(const SpreadId& id, std::optional<Price> net_limit,
                             const SpreadExecPolicy& policy, std::string reason) {
  return Spreads().Close(id, net_limit, policy, std::move(reason));
}

const SpreadPosition* Strategy::spread(const SpreadId& id) const {
  return spreads_ ? spreads_->Find(id) : nullptr;
}

std::vector<const SpreadPosition*> Strategy::spreads() const {
  return spreads_ ? spreads_->All() : std::vector<const SpreadPosition*>{};
}

std::vector<const SpreadPosition*> Strategy::active_spreads() const {
  return spreads_ ? spreads_->Active() : std::vector<const SpreadPosition*>{};
}

}  // namespace nacre
