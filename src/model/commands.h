// Commands: requests from strategies and actors to the engines. Trading commands flow
// Strategy -> RiskEngine -> ExecutionEngine -> ExecutionClient; data commands flow
// Actor -> DataEngine -> DataClient. Orders themselves live in the Cache; commands carry ids.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/time.h"
#include "core/uuid.h"
#include "model/data.h"
#include "model/identifiers.h"
#include "model/money.h"

namespace nacre {

struct CommandHeader {
  friend bool operator==(const CommandHeader&, const CommandHeader&) = default;
  TraderId trader_id;
  StrategyId strategy_id;
  ClientId client_id;  // optional explicit routing; empty = route by venue
  Uuid4 command_id;
  UnixNanos ts_init;
};

struct SubmitOrder : CommandHeader {
  friend bool operator==(const SubmitOrder&, const SubmitOrder&) = default;
  InstrumentId instrument_id;
  ClientOrderId client_order_id;
  PositionId position_id;
};
struct SubmitOrderList : CommandHeader {
  friend bool operator==(const SubmitOrderList&, const SubmitOrderList&) = default;
  InstrumentId instrument_id;  // of the first order (lists may span instruments)
  OrderListId order_list_id;
  std::vector<ClientOrderId> client_order_ids;
};
struct ModifyOrder : CommandHeader {
  friend bool operator==(const ModifyOrder&, const ModifyOrder&) = default;
  InstrumentId instrument_id;
  ClientOrderId client_order_id;
  VenueOrderId venue_order_id;
  std::optional<Quantity> quantity;
  std::optional<Price> price;
  std::optional<Price> trigger_price;
};
struct CancelOrder : CommandHeader {
  friend bool operator==(const CancelOrder&, const CancelOrder&) = default;
  InstrumentId instrument_id;
  ClientOrderId client_order_id;
  VenueOrderId venue_order_id;
};
struct CancelAllOrders : CommandHeader {
  friend bool operator==(const CancelAllOrders&, const CancelAllOrders&) = default;
  InstrumentId instrument_id;
  OrderSide side = OrderSide::kNoSide;  // kNoSide = both sides
};
struct QueryOrder : CommandHeader {
  friend bool operator==(const QueryOrder&, const QueryOrder&) = default;
  InstrumentId instrument_id;
  ClientOrderId client_order_id;
  VenueOrderId venue_order_id;
};

using TradingCommand = std::variant<SubmitOrder, SubmitOrderList, ModifyOrder, CancelOrder,
                                    CancelAllOrders, QueryOrder>;

enum class DataKind : std::uint8_t { kQuotes, kTrades, kBars, kInstrument };

struct DataSubscription {
  DataKind kind = DataKind::kQuotes;
  InstrumentId instrument_id;  // quotes, trades, instrument
  BarType bar_type;            // bars
  ClientId client_id;
  bool subscribe = true;  // false = unsubscribe
  UnixNanos ts_init;
};

}  // namespace nacre
