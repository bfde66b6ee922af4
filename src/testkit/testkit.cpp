#include "testkit/testkit.h"

namespace nacre::testkit {

Instrument NiftyIndex() { return *MakeIndex(MustInstrumentId("NIFTY 50.NSE"), 2, Px("0.05")); }

Instrument NiftyFuture(std::int64_t lot) {
  InstrumentSpec s;
  s.id = MustInstrumentId("NIFTY24JANFUT.NFO");
  s.lot_size = Qty(lot);
  s.tick_size = Px("0.05");
  return *MakeFuture(s, MustInstrumentId("NIFTY 50.NSE"), FromIst(2023, 10, 27, 9, 15),
                     FromIst(2024, 1, 25, 15, 30));
}

Instrument NiftyOption(OptionKind kind, const char* strike) {
  InstrumentSpec s;
  s.id = MustInstrumentId(std::string("NIFTY26106") + strike +
                          (kind == OptionKind::kCall ? "CE" : "PE") + ".NFO");
  s.lot_size = Qty(65);
  s.freeze_quantity = Qty(1800);
  s.tick_size = Px("0.05");
  return *MakeOption(s, MustInstrumentId("NIFTY 50.NSE"), kind, Px(strike),
                     FromIst(2025, 12, 1, 9, 15), FromIst(2026, 1, 6, 15, 30));
}

OrderInitialized MakeInit(const Instrument& inst, const char* client_order_id, OrderSide side,
                          std::int64_t qty, const char* price, TimeInForce tif) {
  OrderInitialized e;
  e.trader_id = TraderId("TRADER-001");
  e.strategy_id = StrategyId("S-001");
  e.instrument_id = inst.id;
  e.client_order_id = ClientOrderId(client_order_id);
  e.side = side;
  e.order_type = price ? OrderType::kLimit : OrderType::kMarket;
  e.quantity = Qty(qty);
  if (price) e.price = Px(price);
  e.time_in_force = tif;
  return e;
}

OrderFilled MakeFill(const Instrument& inst, const char* client_order_id, const char* trade_id,
                     OrderSide side, std::int64_t qty, const char* px, const char* commission,
                     std::int64_t ts) {
  OrderFilled f;
  f.trader_id = TraderId("TRADER-001");
  f.strategy_id = StrategyId("S-001");
  f.instrument_id = inst.id;
  f.client_order_id = ClientOrderId(client_order_id);
  f.venue_order_id = VenueOrderId(std::string("V-") + client_order_id);
  f.account_id = AccountId("SIM-001");
  f.trade_id = TradeId(trade_id);
  f.order_side = side;
  f.last_qty = Qty(qty);
  f.last_px = Px(px);
  f.commission = Inr(commission);
  f.ts_event = UnixNanos(ts);
  f.ts_init = UnixNanos(ts);
  return f;
}

QuoteTick MakeQuote(const InstrumentId& id, const char* bid, const char* ask, UnixNanos ts,
                    std::int64_t bid_size, std::int64_t ask_size) {
  QuoteTick q;
  q.instrument_id = id;
  q.bid_price = Px(bid);
  q.ask_price = Px(ask);
  q.bid_size = Qty(bid_size);
  q.ask_size = Qty(ask_size);
  q.ts_event = ts;
  q.ts_init = ts;
  return q;
}

TradeTick MakeTrade(const InstrumentId& id, const char* px, std::int64_t size, UnixNanos ts,
                    const char* trade_id, OrderSide aggressor) {
  TradeTick t;
  t.instrument_id = id;
  t.price = Px(px);
  t.size = Qty(size);
  t.aggressor_side = aggressor;
  t.trade_id = TradeId(trade_id);
  t.ts_event = ts;
  t.ts_init = ts;
  return t;
}

Bar MakeBar(const BarType& type, const char* open, const char* high, const char* low,
            const char* close, std::int64_t volume, UnixNanos close_time) {
  Bar b;
  b.bar_type = type;
  b.open = Px(open);
  b.high = Px(high);
  b.low = Px(low);
  b.close = Px(close);
  b.volume = Qty(volume);
  b.ts_event = close_time - type.spec().Interval();
  b.ts_init = close_time;
  return b;
}

BarType MakeBarType(const InstrumentId& id, int step, BarAggregation aggregation,
                    PriceType price_type, AggregationSource source) {
  return BarType(id, BarSpecification{step, aggregation, price_type}, source);
}

}  // namespace nacre::testkit
