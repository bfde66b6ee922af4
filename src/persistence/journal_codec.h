// The journal's codec: Nacre's order events (model/events.h) and trading commands
// (model/commands.h) to JSON text and back, exactly: decoding an encoded value gives an equal
// value with the same precisions, and encoding is deterministic (keys sorted, one byte string
// per value). Conventions, shared with SimulatedExchange::SaveState:
//   - Price and Quantity: [raw, precision], raw the int64 at scale 10^9 (never a double);
//   - Money: [raw, "INR"], raw at scale 10^9 and a multiple of the currency's unit;
//   - timestamps: int64 nanoseconds since the epoch; ids: strings ("" when unset);
//   - enums: their canonical names ("BUY", "STOP_LIMIT"); optionals: null when unset;
//   - the body holds the fields only; its type is the entry's `kind` (EventName, CommandName).
// Decoding is strict: a missing, extra or ill-typed field is an error naming the kind and the
// field. The one lossy case is text that is not UTF-8 (reasons, tags), which is written with
// U+FFFD in place of the bad bytes. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "model/commands.h"
#include "model/events.h"
#include "persistence/journal_entry.h"

namespace nacre {

// "SubmitOrder", "SubmitOrderList", "ModifyOrder", "CancelOrder", "CancelAllOrders",
// "QueryOrder".
std::string_view CommandName(const TradingCommand& c);

bool IsOrderEventKind(std::string_view kind);
bool IsCommandKind(std::string_view kind);

std::string EncodeOrderEvent(const OrderEvent& e);
Result<OrderEvent> DecodeOrderEvent(std::string_view kind, std::string_view body);
std::string EncodeCommand(const TradingCommand& c);
Result<TradingCommand> DecodeCommand(std::string_view kind, std::string_view body);

// Journal entries for an event or command: kind, body and the searchable ids (client order id,
// venue order id when the type carries one, trade id of a fill).
JournalEntry EventEntry(const OrderEvent& e, UnixNanos ts_wall);
JournalEntry CommandEntry(const TradingCommand& c, UnixNanos ts_wall);

}  // namespace nacre
