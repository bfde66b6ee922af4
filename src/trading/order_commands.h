// Commands about orders, built the way a strategy sends them: used by Strategy and by code
// that acts on any strategy's orders (the live kill switch), so both put the same header,
// pending state and ids on them. Kernel thread only.
#pragma once

#include "common/clock.h"
#include "common/message_bus.h"
#include "core/result.h"
#include "core/uuid.h"
#include "model/commands.h"
#include "model/order.h"

namespace nacre {

CommandHeader MakeCommandHeader(const TraderId& trader, const StrategyId& strategy,
                                const ClientId& client, UuidGenerator& uuids, const Clock& clock);
// OrderPendingCancel (`cancel`) or OrderPendingUpdate for `order`, applied at once through the
// execution engine (local bookkeeping, not a command).
Status EmitPendingState(MessageBus& bus, UuidGenerator& uuids, const Clock& clock,
                        const Order& order, bool cancel);
// A cancel of `order` under `header`.
CancelOrder MakeCancelCommand(const CommandHeader& header, const Order& order);

}  // namespace nacre
