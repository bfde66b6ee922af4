#include "trading/order_commands.h"

#include "common/topics.h"

namespace nacre {

CommandHeader MakeCommandHeader(const TraderId& trader, const StrategyId& strategy,
                                const ClientId& client, UuidGenerator& uuids, const Clock& clock) {
  CommandHeader h;
  h.trader_id = trader;
  h.strategy_id = strategy;
  h.client_id = client;
  h.command_id = uuids.Next();
  h.ts_init = clock.Now();
  return h;
}

Status EmitPendingState(MessageBus& bus, UuidGenerator& uuids, const Clock& clock,
                        const Order& order, bool cancel) {
  const UnixNanos now = clock.Now();
  OrderEvent e;
  if (cancel) {
    OrderPendingCancel p;
    static_cast<OrderEventHeader&>(p) = MakeOrderEventHeader(order, uuids.Next(), now, now);
    p.venue_order_id = order.venue_order_id();
    p.account_id = order.account_id();
    e = p;
  } else {
    OrderPendingUpdate p;
    static_cast<OrderEventHeader&>(p) = MakeOrderEventHeader(order, uuids.Next(), now, now);
    p.venue_order_id = order.venue_order_id();
    p.account_id = order.account_id();
    e = p;
  }
  return bus.SendNow(topics::kExecEngineProcess, e);
}

CancelOrder MakeCancelCommand(const CommandHeader& header, const Order& order) {
  CancelOrder cmd;
  static_cast<CommandHeader&>(cmd) = header;
  cmd.instrument_id = order.instrument_id();
  cmd.client_order_id = order.client_order_id();
  cmd.venue_order_id = order.venue_order_id();
  return cmd;
}

}  // namespace nacre
