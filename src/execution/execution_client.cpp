#include "execution/execution_client.h"

#include "common/event_loop.h"
#include "nse/charges.h"

namespace nacre {

ExecutionClient::ExecutionClient(ClientId id, Venue venue, AccountId account_id)
    : id_(std::move(id)), venue_(std::move(venue)), account_id_(std::move(account_id)) {}

void ExecutionClient::Bind(ExecutionEventSink* sink, const Clock* clock, UuidGenerator* uuids) {
  sink_ = sink;
  clock_ = clock;
  uuids_ = uuids;
}

void ExecutionClient::SubmitOrderList(const nacre::SubmitOrderList& cmd,
                                      const std::vector<const Order*>& orders) {
  for (const Order* o : orders) {
    nacre::SubmitOrder sub;
    static_cast<CommandHeader&>(sub) = cmd;
    sub.instrument_id = o->instrument_id();
    sub.client_order_id = o->client_order_id();
    sub.position_id = o->position_id();
    SubmitOrder(sub, *o);
  }
}

void ExecutionClient::CancelAllOrders(const nacre::CancelAllOrders& cmd,
                                      const std::vector<const Order*>& open) {
  for (const Order* o : open) {
    nacre::CancelOrder c;
    static_cast<CommandHeader&>(c) = cmd;
    c.instrument_id = o->instrument_id();
    c.client_order_id = o->client_order_id();
    c.venue_order_id = o->venue_order_id();
    CancelOrder(c, *o);
  }
}

OrderRef RefOf(const Order& o) {
  OrderRef r;
  r.trader_id = o.trader_id();
  r.strategy_id = o.strategy_id();
  r.instrument_id = o.instrument_id();
  r.client_order_id = o.client_order_id();
  r.venue_order_id = o.venue_order_id();
  r.position_id = o.position_id();
  r.side = o.side();
  r.order_type = o.order_type();
  return r;
}

OrderFilled MakeFill(const OrderRef& o, const AccountId& account, const Uuid4& event_id,
                     UnixNanos ts_event, UnixNanos ts_init, const TradeId& trade_id, Quantity qty,
                     Price px, const ChargeBreakdown& charges, LiquiditySide liquidity) {
  auto e = MakeVenueEvent<OrderFilled>(o, account, event_id, ts_event, ts_init);
  e.trade_id = trade_id;
  e.position_id = o.position_id;
  e.order_side = o.side;
  e.order_type = o.order_type;
  e.last_qty = qty;
  e.last_px = px;
  e.charges = charges;
  e.commission = charges.Total();
  e.liquidity_side = liquidity;
  return e;
}

// Submitted and the pending states are the client's own (the command left, kernel side): never
// delayed by a venue's response latency.
void ExecutionClient::GenerateOrderSubmitted(const OrderRef& o, UnixNanos ts) {
  sink_->OnOrderEvent(Event<OrderSubmitted>(o, ts));
}
void ExecutionClient::GenerateOrderAccepted(const OrderRef& o, const VenueOrderId& venue_id,
                                            UnixNanos ts) {
  auto e = Event<OrderAccepted>(o, ts);
  e.venue_order_id = venue_id;
  Emit(std::move(e));
}
void ExecutionClient::GenerateOrderRejected(const OrderRef& o, const std::string& reason,
                                            UnixNanos ts) {
  auto e = Event<OrderRejected>(o, ts);
  e.reason = reason;
  Emit(std::move(e));
}
void ExecutionClient::GenerateOrderCanceled(const OrderRef& o, UnixNanos ts) {
  Emit(Event<OrderCanceled>(o, ts));
}
void ExecutionClient::GenerateOrderExpired(const OrderRef& o, UnixNanos ts) {
  Emit(Event<OrderExpired>(o, ts));
}
void ExecutionClient::GenerateOrderTriggered(const OrderRef& o, UnixNanos ts) {
  Emit(Event<OrderTriggered>(o, ts));
}
void ExecutionClient::GenerateOrderPendingUpdate(const OrderRef& o, UnixNanos ts) {
  sink_->OnOrderEvent(Event<OrderPendingUpdate>(o, ts));
}
void ExecutionClient::GenerateOrderPendingCancel(const OrderRef& o, UnixNanos ts) {
  sink_->OnOrderEvent(Event<OrderPendingCancel>(o, ts));
}
void ExecutionClient::GenerateOrderModifyRejected(const OrderRef& o, const std::string& reason,
                                                  UnixNanos ts, const ModifyRequest& refused) {
  auto e = Event<OrderModifyRejected>(o, ts);
  e.reason = reason;
  e.quantity = refused.quantity;
  e.price = refused.price;
  e.trigger_price = refused.trigger_price;
  Emit(std::move(e));
}
void ExecutionClient::GenerateOrderCancelRejected(const OrderRef& o, const std::string& reason,
                                                  UnixNanos ts) {
  auto e = Event<OrderCancelRejected>(o, ts);
  e.reason = reason;
  Emit(std::move(e));
}
void ExecutionClient::GenerateOrderUpdated(const OrderRef& o, Quantity qty,
                                           std::optional<Price> price, std::optional<Price> trigger,
                                           UnixNanos ts) {
  auto e = Event<OrderUpdated>(o, ts);
  e.quantity = qty;
  e.price = price;
  e.trigger_price = trigger;
  Emit(std::move(e));
}
void ExecutionClient::GenerateOrderFilled(const OrderRef& o, const TradeId& trade_id,
                                          Quantity qty, Price px, const ChargeBreakdown& charges,
                                          LiquiditySide liquidity, UnixNanos ts) {
  Emit(MakeFill(o, account_id_, uuids_->Next(), ts, Now(), trade_id, qty, px, charges, liquidity));
}

ExecutionClient::~ExecutionClient() = default;

void ExecutionClient::Delay(OrderEvent&& e) {
  std::uint32_t slot = 0;
  if (delayed_free_.empty()) {
    slot = static_cast<std::uint32_t>(delayed_.size());
    delayed_.push_back(std::move(e));
  } else {
    slot = delayed_free_.back();
    delayed_free_.pop_back();
    delayed_[slot] = std::move(e);
  }
  delay_loop_->Schedule(Now() + response_delay_, [this, slot, epoch = delayed_epoch_] {
    if (epoch != delayed_epoch_) return;
    // Out of its slot first: the sink's handlers may delay more events (and grow the slots).
    OrderEvent ev = std::move(delayed_[slot]);
    delayed_free_.push_back(slot);
    std::visit([&](auto& x) { x.ts_init = Now(); }, ev);
    sink_->OnOrderEvent(ev);
  });
}

void ExecutionClient::EmitReport(const OrderStatusReport& r, const std::vector<FillReport>& fills) {
  if (response_delay_ <= 0) {
    sink_->OnOrderStatusReport(r, fills, id());
    return;
  }
  delay_loop_->Schedule(Now() + response_delay_,
                        [this, r, fills] { sink_->OnOrderStatusReport(r, fills, id()); });
}

void ExecutionClient::EmitAccountState(const AccountState& s) {
  if (response_delay_ <= 0) {
    sink_->OnAccountState(s);
    return;
  }
  delay_loop_->Schedule(Now() + response_delay_, [this, st = AccountState(s)]() mutable {
    st.ts_init = Now();
    sink_->OnAccountState(st);
  });
}

ChargeBreakdown ExecutionClient::ExpiryCharges(const CivilDate& trade_date, PositionSide side,
                                               Money intrinsic_value) {
  static const ChargeSchedule kZerodha = ChargeSchedule::ZerodhaIndexOptions();
  if (!expiry_charges_) expiry_charges_ = std::make_unique<ChargeCalculator>(kZerodha);
  return expiry_charges_->OnExpiry(trade_date, side, intrinsic_value);
}

Result<ExecutionMassStatus> ExecutionClient::GenerateMassStatus() {
  ExecutionMassStatus ms;
  ms.client_id = id_;
  ms.venue = venue_;
  ms.account_id = account_id_;
  ms.ts = Now();
  ms.orders_complete = ReportsAllOrders();
  ms.positions_reported = ReportsPositions();
  const ReportQuery q;
  ms.orders = GenerateOrderStatusReports(q);
  ms.fills = GenerateFillReports(q);
  ms.positions = GeneratePositionStatusReports(q);
  return ms;
}

OrderStatusReport ExecutionClient::StatusReportOf(const Order& o) const {
  OrderStatusReport r;
  r.account_id = account_id();
  r.instrument_id = o.instrument_id();
  r.client_order_id = o.client_order_id();
  r.venue_order_id = o.venue_order_id();
  r.tag = o.venue_tag();
  r.side = o.side();
  r.order_type = o.order_type();
  r.time_in_force = o.time_in_force();
  r.status = o.status();
  r.quantity = o.quantity();
  r.filled_qty = o.filled_qty();
  r.leaves_qty = o.is_closed() ? Quantity::Zero(o.quantity().precision()) : o.leaves_qty();
  r.cancelled_qty = (o.status() == OrderStatus::kCanceled || o.status() == OrderStatus::kExpired)
                        ? o.leaves_qty()
                        : Quantity::Zero(o.quantity().precision());
  r.triggered = o.is_triggered();
  r.price = o.price();
  r.trigger_price = o.trigger_price();
  r.avg_px = o.avg_px();
  r.ts_last = o.ts_last();
  return r;
}

}  // namespace nacre
