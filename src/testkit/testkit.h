// Shared test fixtures: instruments and event builders used by unit and integration tests.
#pragma once

#include <ostream>
#include <string>

#include "model/events.h"
#include "model/instrument.h"

namespace nacre {

// GoogleTest printers (found by ADL) so failed expectations show values, not bytes.
inline void PrintTo(const Price& v, std::ostream* os) { *os << v.ToString(); }
inline void PrintTo(const Quantity& v, std::ostream* os) { *os << v.ToString(); }
inline void PrintTo(const Money& v, std::ostream* os) {
  *os << v.ToString() << " " << v.currency().Code();
}
inline void PrintTo(const Currency& v, std::ostream* os) { *os << v.Code(); }
inline void PrintTo(const InstrumentId& v, std::ostream* os) { *os << v.value(); }
template <typename Tag>
void PrintTo(const Identifier<Tag>& v, std::ostream* os) {
  *os << '"' << v.value() << '"';
}
inline void PrintTo(const UnixNanos& v, std::ostream* os) { *os << v.value << "ns"; }
inline void PrintTo(const CivilDate& v, std::ostream* os) { *os << FormatDate(v); }
inline void PrintTo(const TradeId& v, std::ostream* os) { *os << v.value(); }
inline void PrintTo(const Uuid4& v, std::ostream* os) { *os << v.ToString(); }
inline void PrintTo(OrderStatus v, std::ostream* os) { *os << ToString(v); }
inline void PrintTo(PositionSide v, std::ostream* os) { *os << ToString(v); }
inline void PrintTo(OrderSide v, std::ostream* os) { *os << ToString(v); }

}  // namespace nacre

namespace nacre::testkit {

inline Price Px(const char* s) { return *Price::Parse(s); }
inline Quantity Qty(std::int64_t units) { return Quantity::FromInt(units); }
inline Money Inr(const char* s) { return *Money::Parse(s); }

// NIFTY 50.NSE index (not tradable).
Instrument NiftyIndex();
// A NIFTY future "NIFTY24JANFUT.NFO", lot 1 unless given, multiplier 1, tick 0.05,
// expiring 2024-01-25 15:30 IST.
Instrument NiftyFuture(std::int64_t lot = 1);
// A weekly NIFTY option, lot 65, freeze 1800, tick 0.05, expiring 2026-01-06 15:30 IST.
Instrument NiftyOption(OptionKind kind = OptionKind::kCall, const char* strike = "24000");

// An OrderInitialized for a MARKET (or LIMIT when price given) order.
OrderInitialized MakeInit(const Instrument& inst, const char* client_order_id, OrderSide side,
                          std::int64_t qty, const char* price = nullptr,
                          TimeInForce tif = TimeInForce::kDay);

// A bare order event of type E (OrderSubmitted, OrderAccepted, ...) for the order, with the
// testkit trader/strategy, venue order id "V-{client_order_id}" and account "SIM-001" where E
// carries them. Type-specific fields (OrderUpdated::quantity, reasons) are left to the caller.
template <typename E>
E MakeEvent(const Instrument& inst, const char* client_order_id, std::int64_t ts = 1) {
  E e;
  e.trader_id = TraderId("TRADER-001");
  e.strategy_id = StrategyId("S-001");
  e.instrument_id = inst.id;
  e.client_order_id = ClientOrderId(client_order_id);
  if constexpr (requires { e.venue_order_id; }) {
    e.venue_order_id = VenueOrderId(std::string("V-") + client_order_id);
  }
  if constexpr (requires { e.account_id; }) e.account_id = AccountId("SIM-001");
  e.ts_event = UnixNanos(ts);
  e.ts_init = UnixNanos(ts);
  return e;
}

// An OrderFilled with trade id, px, qty and commission.
OrderFilled MakeFill(const Instrument& inst, const char* client_order_id, const char* trade_id,
                     OrderSide side, std::int64_t qty, const char* px, const char* commission = "0",
                     std::int64_t ts = 1);

// A quote (sizes default to 100 each) with ts_event = ts_init = ts.
QuoteTick MakeQuote(const InstrumentId& id, const char* bid, const char* ask, UnixNanos ts,
                    std::int64_t bid_size = 100, std::int64_t ask_size = 100);
// A trade with ts_event = ts_init = ts.
TradeTick MakeTrade(const InstrumentId& id, const char* px, std::int64_t size, UnixNanos ts,
                    const char* trade_id = "T-1", OrderSide aggressor = OrderSide::kBuy);
// A bar closing at `close_time` (ts_init) and opening one interval earlier (ts_event).
Bar MakeBar(const BarType& type, const char* open, const char* high, const char* low,
            const char* close, std::int64_t volume, UnixNanos close_time);
// An EXTERNAL (or given source) LAST bar type for an instrument, e.g. 1-MINUTE.
BarType MakeBarType(const InstrumentId& id, int step = 1,
                    BarAggregation aggregation = BarAggregation::kMinute,
                    PriceType price_type = PriceType::kLast,
                    AggregationSource source = AggregationSource::kExternal);

}  // namespace nacre::testkit
