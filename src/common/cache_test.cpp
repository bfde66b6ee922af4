#include "common/cache.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::Inr;
using testkit::MakeEvent;
using testkit::MakeFill;
using testkit::MakeInit;
using testkit::Px;
using testkit::Qty;

const Instrument& Fut() {
  static const Instrument kInst = testkit::NiftyFuture();
  return kInst;
}
const Instrument& Opt() {
  static const Instrument kInst = testkit::NiftyOption();
  return kInst;
}
const Instrument& Index() {
  static const Instrument kInst = testkit::NiftyIndex();
  return kInst;
}

QuoteTick Quote(const InstrumentId& id, const char* bid, const char* ask, std::int64_t ts = 1) {
  QuoteTick q;
  q.instrument_id = id;
  q.bid_price = Px(bid);
  q.ask_price = Px(ask);
  q.bid_size = Qty(10);
  q.ask_size = Qty(10);
  q.ts_event = UnixNanos(ts);
  q.ts_init = UnixNanos(ts);
  return q;
}

TradeTick Trade(const InstrumentId& id, const char* px, std::int64_t ts = 1) {
  TradeTick t;
  t.instrument_id = id;
  t.price = Px(px);
  t.size = Qty(1);
  t.trade_id = TradeId("T-" + std::to_string(ts));
  t.ts_event = UnixNanos(ts);
  t.ts_init = UnixNanos(ts);
  return t;
}

BarType MinuteBars(const InstrumentId& id, int step = 1) {
  return BarType(id, BarSpecification{step, BarAggregation::kMinute, PriceType::kLast},
                 AggregationSource::kExternal);
}

Bar MakeBarClose(const BarType& type, const char* close, std::int64_t ts = 1) {
  Bar b;
  b.bar_type = type;
  b.open = Px(close);
  b.high = Px(close);
  b.low = Px(close);
  b.close = Px(close);
  b.volume = Qty(1);
  b.ts_event = UnixNanos(ts);
  b.ts_init = UnixNanos(ts);
  return b;
}

std::vector<std::string> Ids(const std::vector<const Order*>& orders) {
  std::vector<std::string> out;
  for (const Order* o : orders) out.push_back(o->client_order_id().value());
  return out;
}

std::vector<std::string> Ids(const std::vector<const Position*>& positions) {
  std::vector<std::string> out;
  for (const Position* p : positions) out.push_back(p->id().value());
  return out;
}

std::vector<std::string> Ids(const std::vector<const Instrument*>& instruments) {
  std::vector<std::string> out;
  for (const Instrument* i : instruments) out.push_back(i->id.value());
  return out;
}

// --- Instruments and market data ---------------------------------------------------------------

TEST(CacheInstrumentTest, InstrumentsAreSortedByIdAndFilteredByVenue) {
  Cache cache;
  cache.AddInstrument(Opt());
  cache.AddInstrument(Index());
  cache.AddInstrument(Fut());
  EXPECT_EQ(Ids(cache.Instruments()), (std::vector<std::string>{"NIFTY 50.NSE", "NIFTY24JANFUT.NFO",
                                                                "NIFTY2610624000CE.NFO"}));
  EXPECT_EQ(Ids(cache.Instruments(Venue("NFO"))),
            (std::vector<std::string>{"NIFTY24JANFUT.NFO", "NIFTY2610624000CE.NFO"}));
  EXPECT_EQ(Ids(cache.Instruments(Venue("NSE"))), (std::vector<std::string>{"NIFTY 50.NSE"}));
  EXPECT_TRUE(cache.Instruments(Venue("BSE")).empty());
  ASSERT_NE(cache.instrument(Fut().id), nullptr);
  EXPECT_EQ(cache.instrument(Fut().id)->lot_size, Qty(1));
  EXPECT_EQ(cache.instrument(MustInstrumentId("UNKNOWN.NFO")), nullptr);
}

TEST(CacheInstrumentTest, AddingAgainReplacesTheDefinition) {
  Cache cache;
  cache.AddInstrument(testkit::NiftyFuture(50));
  cache.AddInstrument(testkit::NiftyFuture(75));
  EXPECT_EQ(cache.Instruments().size(), 1u);
  EXPECT_EQ(cache.instrument(Fut().id)->lot_size, Qty(75));
}

TEST(CacheMarketDataTest, QuotesAreARingBufferNewestFirst) {
  CacheConfig config;
  config.quote_capacity = 3;
  Cache cache(config);
  EXPECT_EQ(cache.quote(Fut().id), nullptr);
  EXPECT_EQ(cache.quote_count(Fut().id), 0u);
  const char* bids[] = {"100.00", "101.00", "102.00", "103.00", "104.00"};
  for (int i = 0; i < 5; ++i) {
    cache.AddQuote(Quote(Fut().id, bids[i], "200.00", i + 1));
    EXPECT_EQ(cache.quote(Fut().id)->bid_price, Px(bids[i])) << "after quote " << i;
    EXPECT_EQ(cache.quote_count(Fut().id), static_cast<std::size_t>(i < 3 ? i + 1 : 3));
  }
  EXPECT_EQ(cache.quote(Fut().id, 0)->bid_price, Px("104.00"));
  EXPECT_EQ(cache.quote(Fut().id, 1)->bid_price, Px("103.00"));
  EXPECT_EQ(cache.quote(Fut().id, 2)->bid_price, Px("102.00"));
  EXPECT_EQ(cache.quote(Fut().id, 2)->ts_init, UnixNanos(3));
  EXPECT_EQ(cache.quote(Fut().id, 3), nullptr);
  // Other instruments keep their own buffer.
  EXPECT_EQ(cache.quote(Opt().id), nullptr);
  cache.AddQuote(Quote(Opt().id, "5.00", "5.10"));
  EXPECT_EQ(cache.quote_count(Opt().id), 1u);
  EXPECT_EQ(cache.quote_count(Fut().id), 3u);
}

TEST(CacheMarketDataTest, RingBufferWrapsManyTimes) {
  CacheConfig config;
  config.quote_capacity = 4;
  Cache cache(config);
  for (int i = 1; i <= 23; ++i) cache.AddQuote(Quote(Fut().id, "1.00", "2.00", i));
  ASSERT_EQ(cache.quote_count(Fut().id), 4u);
  for (std::size_t k = 0; k < 4; ++k) {
    EXPECT_EQ(cache.quote(Fut().id, k)->ts_init, UnixNanos(23 - static_cast<std::int64_t>(k)));
  }
}

TEST(CacheMarketDataTest, ZeroCapacityKeepsTheLatest) {
  CacheConfig config;
  config.quote_capacity = 0;
  Cache cache(config);
  cache.AddQuote(Quote(Fut().id, "1.00", "2.00", 1));
  cache.AddQuote(Quote(Fut().id, "3.00", "4.00", 2));
  EXPECT_EQ(cache.quote_count(Fut().id), 1u);
  EXPECT_EQ(cache.quote(Fut().id)->bid_price, Px("3.00"));
}

TEST(CacheMarketDataTest, TradesUseTheirOwnCapacity) {
  CacheConfig config;
  config.quote_capacity = 10;
  config.trade_capacity = 2;
  Cache cache(config);
  cache.AddTrade(Trade(Fut().id, "10.00", 1));
  cache.AddTrade(Trade(Fut().id, "11.00", 2));
  cache.AddTrade(Trade(Fut().id, "12.00", 3));
  EXPECT_EQ(cache.trade(Fut().id, 0)->price, Px("12.00"));
  EXPECT_EQ(cache.trade(Fut().id, 1)->price, Px("11.00"));
  EXPECT_EQ(cache.trade(Fut().id, 2), nullptr);
  EXPECT_EQ(cache.trade(Opt().id), nullptr);
}

TEST(CacheMarketDataTest, BarsAreBoundedPerBarType) {
  CacheConfig config;
  config.bar_capacity = 2;
  Cache cache(config);
  const BarType one = MinuteBars(Fut().id, 1);
  const BarType five = MinuteBars(Fut().id, 5);
  cache.AddBar(MakeBarClose(one, "1.00", 1));
  cache.AddBar(MakeBarClose(one, "2.00", 2));
  cache.AddBar(MakeBarClose(five, "50.00", 3));
  cache.AddBar(MakeBarClose(one, "3.00", 4));
  EXPECT_EQ(cache.bar_count(one), 2u);
  EXPECT_EQ(cache.bar_count(five), 1u);
  EXPECT_EQ(cache.bar(one, 0)->close, Px("3.00"));
  EXPECT_EQ(cache.bar(one, 1)->close, Px("2.00"));
  EXPECT_EQ(cache.bar(one, 2), nullptr);
  EXPECT_EQ(cache.bar(five)->close, Px("50.00"));
  EXPECT_EQ(cache.bar_count(MinuteBars(Opt().id)), 0u);
  EXPECT_EQ(cache.bar(MinuteBars(Opt().id)), nullptr);
}

TEST(CacheMarkPriceTest, PrecedenceQuoteThenTradeThenBar) {
  Cache cache;
  const InstrumentId id = Fut().id;
  EXPECT_FALSE(cache.MarkPrice(id, PositionSide::kLong).has_value());

  cache.AddBar(MakeBarClose(MinuteBars(id, 1), "90.00", 1));
  cache.AddBar(MakeBarClose(MinuteBars(id, 5), "91.00", 2));  // latest bar of any type
  EXPECT_EQ(cache.MarkPrice(id, PositionSide::kLong), Px("91.00"));
  EXPECT_EQ(cache.MarkPrice(id, PositionSide::kShort), Px("91.00"));

  cache.AddTrade(Trade(id, "95.00", 3));
  EXPECT_EQ(cache.MarkPrice(id, PositionSide::kLong), Px("95.00"));
  cache.AddBar(MakeBarClose(MinuteBars(id, 1), "92.00", 4));  // a newer bar does not beat trades
  EXPECT_EQ(cache.MarkPrice(id, PositionSide::kLong), Px("95.00"));

  cache.AddQuote(Quote(id, "99.95", "100.05", 5));
  EXPECT_EQ(cache.MarkPrice(id, PositionSide::kLong), Px("99.95"));    // exit a long at the bid
  EXPECT_EQ(cache.MarkPrice(id, PositionSide::kShort), Px("100.05"));  // cover a short at the ask
  cache.AddTrade(Trade(id, "101.00", 6));
  EXPECT_EQ(cache.MarkPrice(id, PositionSide::kLong), Px("99.95"));

  // Data for another instrument never leaks in.
  EXPECT_FALSE(cache.MarkPrice(Opt().id, PositionSide::kLong).has_value());
}

// --- Orders ------------------------------------------------------------------------------------

std::unique_ptr<Order> NewOrder(const Instrument& inst, const char* id,
                                OrderSide side = OrderSide::kBuy, const char* strategy = "S-001") {
  OrderInitialized init = MakeInit(inst, id, side, 10, "100.00");
  init.strategy_id = StrategyId(strategy);
  return std::make_unique<Order>(init);
}

// Applies an event to the cached order and re-indexes it, as the execution engine does.
template <typename E>
void ApplyAndUpdate(Cache& cache, const Instrument& inst, const char* id) {
  Order* o = cache.mutable_order(ClientOrderId(id));
  ASSERT_NE(o, nullptr);
  ASSERT_TRUE(o->Apply(MakeEvent<E>(inst, id)));
  cache.UpdateOrder(*o);
}

TEST(CacheOrderTest, AddAndDuplicateRefused) {
  Cache cache;
  ASSERT_TRUE(cache.AddOrder(NewOrder(Fut(), "O-1")));
  EXPECT_TRUE(cache.order_exists(ClientOrderId("O-1")));
  EXPECT_FALSE(cache.order_exists(ClientOrderId("O-2")));
  const Order* original = cache.order(ClientOrderId("O-1"));
  ASSERT_NE(original, nullptr);

  const Status dup = cache.AddOrder(NewOrder(Fut(), "O-1", OrderSide::kSell));
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().find("O-1"), std::string::npos) << dup.error();
  EXPECT_EQ(cache.orders_total(), 1u);
  EXPECT_EQ(cache.order(ClientOrderId("O-1")), original);
  EXPECT_EQ(original->side(), OrderSide::kBuy);
  EXPECT_EQ(cache.Orders().size(), 1u);
  EXPECT_EQ(cache.order(ClientOrderId("O-2")), nullptr);
  EXPECT_EQ(cache.mutable_order(ClientOrderId("O-2")), nullptr);
}

TEST(CacheOrderTest, AddOrderWithPositionIdSetsIt) {
  Cache cache;
  ASSERT_TRUE(cache.AddOrder(NewOrder(Fut(), "O-1"), PositionId("P-1")));
  ASSERT_TRUE(cache.AddOrder(NewOrder(Fut(), "O-2")));
  EXPECT_EQ(cache.order(ClientOrderId("O-1"))->position_id(), PositionId("P-1"));
  EXPECT_TRUE(cache.order(ClientOrderId("O-2"))->position_id().empty());
}

TEST(CacheOrderTest, IndexesFollowTheOrderLifecycle) {
  Cache cache;
  const ClientOrderId id("O-1");
  ASSERT_TRUE(cache.AddOrder(NewOrder(Fut(), "O-1")));
  auto in = [&](const std::vector<const Order*>& v) {
    return !v.empty() && v[0]->client_order_id() == id;
  };
  // INITIALIZED: neither open, closed nor in flight.
  EXPECT_FALSE(in(cache.OrdersOpen()));
  EXPECT_FALSE(in(cache.OrdersClosed()));
  EXPECT_FALSE(in(cache.OrdersInflight()));

  ApplyAndUpdate<OrderSubmitted>(cache, Fut(), "O-1");
  EXPECT_FALSE(in(cache.OrdersOpen()));
  EXPECT_TRUE(in(cache.OrdersInflight()));
  EXPECT_EQ(cache.orders_inflight_count(), 1u);
  EXPECT_EQ(cache.orders_open_count(), 0u);
  EXPECT_EQ(cache.OrderByVenueId(VenueOrderId("V-O-1")), nullptr);

  ApplyAndUpdate<OrderAccepted>(cache, Fut(), "O-1");
  EXPECT_TRUE(in(cache.OrdersOpen()));
  EXPECT_FALSE(in(cache.OrdersInflight()));
  EXPECT_FALSE(in(cache.OrdersClosed()));
  EXPECT_EQ(cache.orders_open_count(), 1u);
  EXPECT_EQ(cache.OrderByVenueId(VenueOrderId("V-O-1")), cache.order(id));

  ApplyAndUpdate<OrderPendingCancel>(cache, Fut(), "O-1");
  EXPECT_TRUE(in(cache.OrdersOpen()));
  EXPECT_TRUE(in(cache.OrdersInflight()));

  ApplyAndUpdate<OrderCanceled>(cache, Fut(), "O-1");
  EXPECT_FALSE(in(cache.OrdersOpen()));
  EXPECT_FALSE(in(cache.OrdersInflight()));
  EXPECT_EQ(cache.orders_inflight_count(), 0u);
  EXPECT_TRUE(in(cache.OrdersClosed()));
  EXPECT_EQ(cache.orders_open_count(), 0u);
  EXPECT_EQ(cache.Orders().size(), 1u);
}

TEST(CacheOrderTest, FilledOrderMovesFromOpenToClosed) {
  Cache cache;
  ASSERT_TRUE(cache.AddOrder(NewOrder(Fut(), "O-1")));
  ApplyAndUpdate<OrderSubmitted>(cache, Fut(), "O-1");
  ApplyAndUpdate<OrderAccepted>(cache, Fut(), "O-1");
  Order* o = cache.mutable_order(ClientOrderId("O-1"));
  ASSERT_TRUE(o->Apply(MakeFill(Fut(), "O-1", "T-1", OrderSide::kBuy, 4, "100.00")));
  cache.UpdateOrder(*o);
  EXPECT_EQ(Ids(cache.OrdersOpen()), (std::vector<std::string>{"O-1"}));  // partially filled
  ASSERT_TRUE(o->Apply(MakeFill(Fut(), "O-1", "T-2", OrderSide::kBuy, 6, "100.00")));
  // Not re-indexed yet: the indexes reflect the last UpdateOrder.
  EXPECT_EQ(cache.OrdersOpen().size(), 1u);
  cache.UpdateOrder(*o);
  EXPECT_TRUE(cache.OrdersOpen().empty());
  EXPECT_EQ(Ids(cache.OrdersClosed()), (std::vector<std::string>{"O-1"}));
}

TEST(CacheOrderTest, UpdateOrderForUnknownOrderIsIgnored) {
  Cache cache;
  Order stray(MakeInit(Fut(), "STRAY", OrderSide::kBuy, 1));
  cache.UpdateOrder(stray);
  EXPECT_TRUE(cache.Orders().empty());
  EXPECT_TRUE(cache.OrdersOpen().empty());
}

TEST(CacheOrderTest, QueriesFilterAndKeepCreationOrder) {
  Cache cache;
  // Created in an order that is neither alphabetical nor hash order.
  ASSERT_TRUE(cache.AddOrder(NewOrder(Fut(), "O-3", OrderSide::kBuy, "S-A")));
  ASSERT_TRUE(cache.AddOrder(NewOrder(Opt(), "O-1", OrderSide::kSell, "S-B")));
  ASSERT_TRUE(cache.AddOrder(NewOrder(Index(), "O-9", OrderSide::kSell, "S-A")));
  ASSERT_TRUE(cache.AddOrder(NewOrder(Fut(), "O-2", OrderSide::kSell, "S-A")));
  ASSERT_TRUE(cache.AddOrder(NewOrder(Opt(), "O-0", OrderSide::kBuy, "S-A")));

  EXPECT_EQ(Ids(cache.Orders()), (std::vector<std::string>{"O-3", "O-1", "O-9", "O-2", "O-0"}));
  OrderQuery by_strategy;
  by_strategy.strategy_id = StrategyId("S-A");
  EXPECT_EQ(Ids(cache.Orders(by_strategy)), (std::vector<std::string>{"O-3", "O-9", "O-2", "O-0"}));
  OrderQuery by_instrument;
  by_instrument.instrument_id = Opt().id;
  EXPECT_EQ(Ids(cache.Orders(by_instrument)), (std::vector<std::string>{"O-1", "O-0"}));
  OrderQuery by_venue;
  by_venue.venue = Venue("NFO");
  EXPECT_EQ(Ids(cache.Orders(by_venue)), (std::vector<std::string>{"O-3", "O-1", "O-2", "O-0"}));
  OrderQuery by_side;
  by_side.side = OrderSide::kSell;
  EXPECT_EQ(Ids(cache.Orders(by_side)), (std::vector<std::string>{"O-1", "O-9", "O-2"}));
  OrderQuery combined;
  combined.strategy_id = StrategyId("S-A");
  combined.venue = Venue("NFO");
  combined.side = OrderSide::kBuy;
  EXPECT_EQ(Ids(cache.Orders(combined)), (std::vector<std::string>{"O-3", "O-0"}));
  OrderQuery nothing;
  nothing.strategy_id = StrategyId("S-NONE");
  EXPECT_TRUE(cache.Orders(nothing).empty());

  // Open orders keep creation order too, whatever order they were accepted in.
  for (const char* id : {"O-0", "O-2", "O-3", "O-1"}) {
    const Instrument& inst = (std::string(id) == "O-0" || std::string(id) == "O-1") ? Opt() : Fut();
    ApplyAndUpdate<OrderSubmitted>(cache, inst, id);
    ApplyAndUpdate<OrderAccepted>(cache, inst, id);
  }
  EXPECT_EQ(Ids(cache.OrdersOpen()), (std::vector<std::string>{"O-3", "O-1", "O-2", "O-0"}));
  EXPECT_EQ(Ids(cache.OrdersOpen(by_strategy)), (std::vector<std::string>{"O-3", "O-2", "O-0"}));
  EXPECT_EQ(cache.orders_open_count(by_instrument), 2u);
  ApplyAndUpdate<OrderCanceled>(cache, Fut(), "O-2");
  EXPECT_EQ(Ids(cache.OrdersOpen(by_strategy)), (std::vector<std::string>{"O-3", "O-0"}));
  EXPECT_EQ(Ids(cache.OrdersClosed(by_strategy)), (std::vector<std::string>{"O-2"}));
  EXPECT_TRUE(cache.OrdersClosed(by_instrument).empty());
}

TEST(CacheOrderTest, VenueOrderIdLookup) {
  Cache cache;
  ASSERT_TRUE(cache.AddOrder(NewOrder(Fut(), "O-1")));
  ASSERT_TRUE(cache.AddOrder(NewOrder(Fut(), "O-2")));
  EXPECT_EQ(cache.OrderByVenueId(VenueOrderId("V-O-2")), nullptr);
  ApplyAndUpdate<OrderSubmitted>(cache, Fut(), "O-2");
  ApplyAndUpdate<OrderAccepted>(cache, Fut(), "O-2");
  const Order* o2 = cache.OrderByVenueId(VenueOrderId("V-O-2"));
  ASSERT_NE(o2, nullptr);
  EXPECT_EQ(o2->client_order_id(), ClientOrderId("O-2"));
  EXPECT_EQ(cache.OrderByVenueId(VenueOrderId("V-O-1")), nullptr);
  EXPECT_EQ(cache.OrderByVenueId(VenueOrderId("nope")), nullptr);
}

TEST(CacheOrderTest, OrderListsKeepSubmissionOrder) {
  Cache cache;
  auto listed = [](const char* id, const char* list) {
    OrderInitialized init = MakeInit(Fut(), id, OrderSide::kBuy, 1, "100.00");
    init.order_list_id = OrderListId(list);
    return std::make_unique<Order>(init);
  };
  ASSERT_TRUE(cache.AddOrder(listed("O-B", "L-1")));
  ASSERT_TRUE(cache.AddOrder(listed("O-X", "L-2")));
  ASSERT_TRUE(cache.AddOrder(NewOrder(Fut(), "O-free")));
  ASSERT_TRUE(cache.AddOrder(listed("O-A", "L-1")));
  EXPECT_EQ(Ids(cache.OrdersForList(OrderListId("L-1"))), (std::vector<std::string>{"O-B", "O-A"}));
  EXPECT_EQ(Ids(cache.OrdersForList(OrderListId("L-2"))), (std::vector<std::string>{"O-X"}));
  EXPECT_TRUE(cache.OrdersForList(OrderListId("L-none")).empty());
  EXPECT_TRUE(cache.OrdersForList(OrderListId()).empty());  // unlisted orders form no list
  // A refused duplicate does not join the list twice.
  EXPECT_FALSE(cache.AddOrder(listed("O-A", "L-1")));
  EXPECT_EQ(cache.OrdersForList(OrderListId("L-1")).size(), 2u);
}

// --- Positions ---------------------------------------------------------------------------------

std::unique_ptr<Position> NewPosition(const Instrument& inst, const char* order_id, OrderSide side,
                                      std::int64_t qty, const char* px,
                                      const char* strategy = "S-001") {
  OrderFilled fill =
      MakeFill(inst, order_id, (std::string("T-") + order_id).c_str(), side, qty, px);
  fill.strategy_id = StrategyId(strategy);
  return std::make_unique<Position>(inst, fill);
}

TEST(CachePositionTest, AddQueryAndOpenClosedSplit) {
  Cache cache;
  Position* fut = cache.AddPosition(NewPosition(Fut(), "O-1", OrderSide::kBuy, 2, "100.00", "S-B"));
  Position* opt =
      cache.AddPosition(NewPosition(Opt(), "O-2", OrderSide::kSell, 65, "50.00", "S-A"));
  ASSERT_NE(fut, nullptr);
  ASSERT_NE(opt, nullptr);
  const PositionId fut_id = NettingPositionId(Fut().id, StrategyId("S-B"));
  const PositionId opt_id = NettingPositionId(Opt().id, StrategyId("S-A"));
  EXPECT_EQ(cache.position(fut_id), fut);
  EXPECT_EQ(cache.mutable_position(opt_id), opt);
  EXPECT_EQ(cache.position(PositionId("nope")), nullptr);
  // Creation order, not id order ("NIFTY24..." sorts before "NIFTY26...", S-A before S-B).
  EXPECT_EQ(Ids(cache.Positions()), (std::vector<std::string>{fut_id.value(), opt_id.value()}));
  EXPECT_EQ(cache.PositionsOpen().size(), 2u);
  EXPECT_TRUE(cache.PositionsClosed().empty());

  ASSERT_TRUE(fut->Apply(MakeFill(Fut(), "O-3", "T-3", OrderSide::kSell, 2, "110.00")));
  cache.UpdatePosition(*fut);
  EXPECT_EQ(Ids(cache.PositionsOpen()), (std::vector<std::string>{opt_id.value()}));
  EXPECT_EQ(Ids(cache.PositionsClosed()), (std::vector<std::string>{fut_id.value()}));

  OrderQuery q;
  q.strategy_id = StrategyId("S-A");
  EXPECT_EQ(Ids(cache.Positions(q)), (std::vector<std::string>{opt_id.value()}));
  OrderQuery qi;
  qi.instrument_id = Fut().id;
  EXPECT_EQ(Ids(cache.Positions(qi)), (std::vector<std::string>{fut_id.value()}));
  EXPECT_TRUE(cache.PositionsOpen(qi).empty());
  OrderQuery qv;
  qv.venue = Venue("NSE");
  EXPECT_TRUE(cache.Positions(qv).empty());
  qv.venue = Venue("NFO");
  EXPECT_EQ(cache.Positions(qv).size(), 2u);
}

TEST(CachePositionTest, AddPositionWithExistingIdKeepsTheAddress) {
  Cache cache;
  Position* first = cache.AddPosition(NewPosition(Fut(), "O-1", OrderSide::kBuy, 2, "100.00"));
  cache.AddPosition(NewPosition(Opt(), "O-9", OrderSide::kBuy, 65, "10.00"));
  const Position* held = first;  // someone else holds this reference
  Position* second = cache.AddPosition(NewPosition(Fut(), "O-2", OrderSide::kSell, 3, "120.00"));
  EXPECT_EQ(second, first);
  EXPECT_EQ(cache.position(first->id()), held);
  EXPECT_EQ(held->side(), PositionSide::kShort);  // the new content is visible through it
  EXPECT_EQ(held->quantity(), Qty(3));
  EXPECT_EQ(held->avg_px_open(), Px("120.00"));
  EXPECT_EQ(cache.Positions().size(), 2u);
  EXPECT_EQ(cache.Positions()[0], held);  // keeps its place in creation order
}

TEST(CachePositionTest, SnapshotsAreCopiesKeptPerId) {
  Cache cache;
  Position* p = cache.AddPosition(NewPosition(Fut(), "O-1", OrderSide::kBuy, 2, "100.00"));
  ASSERT_TRUE(p->Apply(MakeFill(Fut(), "O-2", "T-2", OrderSide::kSell, 2, "110.00")));
  ASSERT_TRUE(p->is_closed());
  const Money realized = p->realized_pnl();
  EXPECT_EQ(realized, Inr("20.00"));
  cache.SnapshotPosition(*p);
  EXPECT_TRUE(cache.PositionSnapshots(PositionId("nope")).empty());

  // The live position reopens; the snapshot is unaffected.
  ASSERT_TRUE(p->Apply(MakeFill(Fut(), "O-3", "T-3", OrderSide::kBuy, 5, "90.00")));
  ASSERT_TRUE(p->Apply(MakeFill(Fut(), "O-4", "T-4", OrderSide::kSell, 5, "91.00")));
  cache.SnapshotPosition(*p);
  const auto& snaps = cache.PositionSnapshots(p->id());
  ASSERT_EQ(snaps.size(), 2u);
  EXPECT_EQ(snaps[0].realized_pnl(), Inr("20.00"));
  EXPECT_EQ(snaps[0].event_count(), 2u);
  EXPECT_EQ(snaps[1].event_count(), 4u);
  EXPECT_NE(&snaps[0], p);

  Position* other = cache.AddPosition(NewPosition(Opt(), "O-5", OrderSide::kBuy, 65, "10.00"));
  ASSERT_TRUE(other->Apply(MakeFill(Opt(), "O-6", "T-6", OrderSide::kSell, 65, "11.00")));
  cache.SnapshotPosition(*other);
  const std::vector<const Position*> all = cache.AllPositionSnapshots();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]->id(), p->id());  // grouped by id, in id order
  EXPECT_EQ(all[1]->id(), p->id());
  EXPECT_EQ(all[2]->id(), other->id());
}

// --- Accounts, orphan fills, reset -------------------------------------------------------------

TEST(CacheAccountTest, AccountsByIdAndVenue) {
  Cache cache;
  Account* nfo =
      cache.AddAccount(std::make_unique<Account>(AccountId("SIM-002"), AccountType::kMargin,
                                                 Inr("100000"), UnixNanos()),
                       Venue("NFO"));
  Account* nse = cache.AddAccount(
      std::make_unique<Account>(AccountId("SIM-001"), AccountType::kCash, Inr("5000"), UnixNanos()),
      Venue("NSE"));
  EXPECT_EQ(cache.AccountForVenue(Venue("NFO")), nfo);
  EXPECT_EQ(cache.MutableAccountForVenue(Venue("NSE")), nse);
  EXPECT_EQ(cache.AccountForVenue(Venue("BSE")), nullptr);
  EXPECT_EQ(cache.MutableAccountForVenue(Venue("BSE")), nullptr);
  EXPECT_EQ(cache.account(AccountId("SIM-001")), nse);
  EXPECT_EQ(cache.mutable_account(AccountId("SIM-002")), nfo);
  EXPECT_EQ(cache.account(AccountId("SIM-404")), nullptr);
  const std::vector<const Account*> all = cache.Accounts();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0], nse);  // id order
  EXPECT_EQ(all[1], nfo);
  nfo->AdjustBalance(Inr("-100"));
  EXPECT_EQ(cache.AccountForVenue(Venue("NFO"))->balance_total(), Inr("99900"));
}

TEST(CacheAccountTest, OrphanFillsAreKeptInArrivalOrder) {
  Cache cache;
  cache.AddOrphanFill(MakeFill(Fut(), "X-2", "T-2", OrderSide::kBuy, 1, "10.00"));
  cache.AddOrphanFill(MakeFill(Fut(), "X-1", "T-1", OrderSide::kSell, 1, "11.00"));
  ASSERT_EQ(cache.orphan_fills().size(), 2u);
  EXPECT_EQ(cache.orphan_fills()[0].client_order_id, ClientOrderId("X-2"));
  EXPECT_EQ(cache.orphan_fills()[1].last_px, Px("11.00"));
  EXPECT_FALSE(cache.order_exists(ClientOrderId("X-2")));
}

TEST(CacheResetTest, ResetClearsStateButKeepsInstruments) {
  Cache cache;
  cache.AddInstrument(Fut());
  cache.AddQuote(Quote(Fut().id, "1.00", "2.00"));
  cache.AddTrade(Trade(Fut().id, "1.50"));
  cache.AddBar(MakeBarClose(MinuteBars(Fut().id), "1.25"));
  OrderInitialized listed = MakeInit(Fut(), "O-1", OrderSide::kBuy, 1, "100.00");
  listed.order_list_id = OrderListId("L-1");
  ASSERT_TRUE(cache.AddOrder(std::make_unique<Order>(listed)));
  ApplyAndUpdate<OrderSubmitted>(cache, Fut(), "O-1");
  ApplyAndUpdate<OrderAccepted>(cache, Fut(), "O-1");
  Position* p = cache.AddPosition(NewPosition(Fut(), "O-1", OrderSide::kBuy, 1, "100.00"));
  cache.SnapshotPosition(*p);
  cache.AddAccount(std::make_unique<Account>(AccountId("SIM-001"), AccountType::kMargin,
                                             Inr("1000"), UnixNanos()),
                   Venue("NFO"));
  cache.AddOrphanFill(MakeFill(Fut(), "X-1", "T-9", OrderSide::kBuy, 1, "10.00"));

  cache.Reset();

  // Reference data survives an engine reset (the backtest engine re-runs on the same
  // instruments); everything stateful is gone.
  EXPECT_NE(cache.instrument(Fut().id), nullptr);
  EXPECT_EQ(cache.quote(Fut().id), nullptr);
  EXPECT_EQ(cache.trade(Fut().id), nullptr);
  EXPECT_EQ(cache.bar(MinuteBars(Fut().id)), nullptr);
  EXPECT_FALSE(cache.MarkPrice(Fut().id, PositionSide::kLong).has_value());
  EXPECT_EQ(cache.orders_total(), 0u);
  EXPECT_TRUE(cache.Orders().empty());
  EXPECT_TRUE(cache.OrdersOpen().empty());
  EXPECT_TRUE(cache.OrdersClosed().empty());
  EXPECT_TRUE(cache.OrdersInflight().empty());
  EXPECT_EQ(cache.OrderByVenueId(VenueOrderId("V-O-1")), nullptr);
  EXPECT_TRUE(cache.OrdersForList(OrderListId("L-1")).empty());
  EXPECT_TRUE(cache.Positions().empty());
  EXPECT_TRUE(cache.AllPositionSnapshots().empty());
  EXPECT_TRUE(cache.Accounts().empty());
  EXPECT_EQ(cache.AccountForVenue(Venue("NFO")), nullptr);
  EXPECT_TRUE(cache.orphan_fills().empty());

  // And the cache is fully usable again, with the same ids.
  ASSERT_TRUE(cache.AddOrder(NewOrder(Fut(), "O-1")));
  ASSERT_TRUE(cache.AddOrder(NewOrder(Fut(), "O-0")));
  EXPECT_EQ(Ids(cache.Orders()), (std::vector<std::string>{"O-1", "O-0"}));
  EXPECT_NE(cache.AddPosition(NewPosition(Fut(), "O-1", OrderSide::kBuy, 1, "100.00")), nullptr);
  EXPECT_EQ(cache.Positions().size(), 1u);
}

// --- Option chains and memory ------------------------------------------------------------------

Instrument WeeklyOption(OptionKind kind, std::int64_t strike, UnixNanos expiry,
                        const char* underlying = "NIFTY 50.NSE") {
  InstrumentSpec s;
  s.id = MustInstrumentId(fmt::format("NIFTY{}{}{}.NFO", expiry.value / kNanosPerDay, strike,
                                      kind == OptionKind::kCall ? "CE" : "PE"));
  s.lot_size = Qty(65);
  return *MakeOption(s, MustInstrumentId(underlying), kind, Price::Raw(strike * kFixedScale, 2),
                     expiry - 30 * kNanosPerDay, expiry);
}

std::vector<std::string> Keys(const OptionIndex& index) {
  std::vector<std::string> out;
  for (const auto& [key, ins] : index) {
    out.push_back(fmt::format("{} {} {}", IstDate(key.expiry).day, key.strike_raw / kFixedScale,
                              ins->id.value()));
  }
  return out;
}

TEST(CacheOptionIndexTest, OptionsAreIndexedByUnderlyingExpiryThenStrike) {
  Cache cache;
  const UnixNanos e1 = FromIst(2026, 1, 6, 15, 30);
  const UnixNanos e2 = FromIst(2026, 1, 13, 15, 30);
  const Instrument late = WeeklyOption(OptionKind::kCall, 24000, e2);
  const Instrument put = WeeklyOption(OptionKind::kPut, 24100, e1);
  const Instrument call = WeeklyOption(OptionKind::kCall, 23900, e1);
  const Instrument other = WeeklyOption(OptionKind::kCall, 52000, e1, "NIFTY BANK.NSE");
  for (const Instrument& i : {late, put, call, other, Fut(), Index()}) cache.AddInstrument(i);
  const auto& nifty = cache.OptionsOf(Index().id);
  ASSERT_EQ(nifty.size(), 3u);  // futures and the index are not option contracts
  EXPECT_EQ(Keys(nifty), (std::vector<std::string>{
                             fmt::format("6 23900 {}", call.id.value()),
                             fmt::format("6 24100 {}", put.id.value()),
                             fmt::format("13 24000 {}", late.id.value())}));
  EXPECT_EQ(nifty.begin()->second, cache.instrument(call.id));
  EXPECT_EQ(cache.OptionsOf(MustInstrumentId("NIFTY BANK.NSE")).size(), 1u);
  EXPECT_TRUE(cache.OptionsOf(MustInstrumentId("NONE.NSE")).empty());
  // A definition added again with another strike moves in the index; the pointer stays.
  Instrument moved = call;
  moved.strike = Px("24300");
  cache.AddInstrument(moved);
  EXPECT_EQ(Keys(nifty), (std::vector<std::string>{
                             fmt::format("6 24100 {}", put.id.value()),
                             fmt::format("6 24300 {}", call.id.value()),
                             fmt::format("13 24000 {}", late.id.value())}));
  EXPECT_EQ(std::next(nifty.begin())->second, cache.instrument(call.id));
}

TEST(CacheMemoryTest, AnOptionKeepsItsLatestQuoteUnlessAComponentAsksForMore) {
  CacheConfig config;
  config.quote_capacity = 5;
  Cache cache(config);  // option_quote_capacity 1 by default
  cache.AddInstrument(Fut());
  cache.AddInstrument(Opt());
  for (int i = 1; i <= 4; ++i) {
    cache.AddQuote(Quote(Opt().id, "5.00", "5.10", i));
    cache.AddQuote(Quote(Fut().id, "100.00", "100.10", i));
  }
  EXPECT_EQ(cache.QuoteCapacity(Opt().id), 1u);
  EXPECT_EQ(cache.quote_count(Opt().id), 1u);
  EXPECT_EQ(cache.quote(Opt().id)->ts_init, UnixNanos(4));
  EXPECT_EQ(cache.quote(Opt().id, 1), nullptr);
  EXPECT_EQ(cache.quote_count(Fut().id), 4u);
  // A strategy reading three quotes of the contract asks for them: what is held stays.
  cache.KeepQuotes(Opt().id, 3);
  EXPECT_EQ(cache.QuoteCapacity(Opt().id), 3u);
  for (int i = 5; i <= 8; ++i) cache.AddQuote(Quote(Opt().id, "5.00", "5.10", i));
  ASSERT_EQ(cache.quote_count(Opt().id), 3u);
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(cache.quote(Opt().id, k)->ts_init, UnixNanos(8 - static_cast<std::int64_t>(k)));
  }
  // A smaller request never shrinks it; a larger one keeps the history in order.
  cache.KeepQuotes(Opt().id, 2);
  EXPECT_EQ(cache.QuoteCapacity(Opt().id), 3u);
  cache.KeepQuotes(Opt().id, 6);
  cache.AddQuote(Quote(Opt().id, "5.00", "5.10", 9));
  ASSERT_EQ(cache.quote_count(Opt().id), 4u);
  for (std::size_t k = 0; k < 4; ++k) {
    EXPECT_EQ(cache.quote(Opt().id, k)->ts_init, UnixNanos(9 - static_cast<std::int64_t>(k)));
  }
  // Asked before its first quote: the buffer is made that deep.
  const Instrument put = testkit::NiftyOption(OptionKind::kPut);
  cache.AddInstrument(put);
  cache.KeepQuotes(put.id, 2);
  for (int i = 1; i <= 3; ++i) cache.AddQuote(Quote(put.id, "7.00", "7.10", i));
  EXPECT_EQ(cache.quote_count(put.id), 2u);
}

TEST(CacheMemoryTest, ExpiredContractsReleaseTheirMarketDataButNotTheirDefinitionsOrPositions) {
  Cache cache;
  const UnixNanos e1 = FromIst(2026, 1, 6, 15, 30);
  const UnixNanos e2 = FromIst(2026, 1, 13, 15, 30);
  const Instrument a = WeeklyOption(OptionKind::kCall, 24000, e1);
  const Instrument held = WeeklyOption(OptionKind::kPut, 24000, e1);
  const Instrument b = WeeklyOption(OptionKind::kCall, 24000, e2);
  for (const Instrument& i : {a, held, b, Index()}) {
    cache.AddInstrument(i);
    cache.AddQuote(Quote(i.id, "5.00", "5.10"));
    cache.AddTrade(Trade(i.id, "5.05"));
    cache.AddBar(MakeBarClose(MinuteBars(i.id), "5.05"));
  }
  cache.AddPosition(NewPosition(held, "O-1", OrderSide::kSell, 65, "5.00"));
  // Not a full day after the first expiry: nothing goes.
  EXPECT_EQ(cache.ReleaseExpired(e1 + kNanosPerDay - 1, kNanosPerDay), 0u);
  EXPECT_NE(cache.quote(a.id), nullptr);
  EXPECT_EQ(cache.ReleaseExpired(e1 + kNanosPerDay, kNanosPerDay), 1u);
  EXPECT_EQ(cache.quote(a.id), nullptr);
  EXPECT_EQ(cache.trade(a.id), nullptr);
  EXPECT_EQ(cache.bar(MinuteBars(a.id)), nullptr);
  EXPECT_FALSE(cache.MarkPrice(a.id, PositionSide::kLong).has_value());
  EXPECT_NE(cache.instrument(a.id), nullptr);  // the definition stays
  EXPECT_EQ(cache.OptionsOf(Index().id).size(), 3u);
  // An open position keeps its contract's marks; the next series and the index keep theirs.
  EXPECT_NE(cache.quote(held.id), nullptr);
  EXPECT_TRUE(cache.MarkPrice(held.id, PositionSide::kShort).has_value());
  EXPECT_NE(cache.quote(b.id), nullptr);
  EXPECT_NE(cache.quote(Index().id), nullptr);
  EXPECT_EQ(cache.PositionsOpen().size(), 1u);
  // Once the position is closed its data goes too.
  Position* p = cache.mutable_position(cache.PositionsOpen().front()->id());
  OrderFilled close = MakeFill(held, "O-2", "T-O-2", OrderSide::kBuy, 65, "1.00");
  ASSERT_TRUE(p->Apply(close).ok());
  cache.UpdatePosition(*p);
  EXPECT_EQ(cache.ReleaseExpired(e1 + 2 * kNanosPerDay, kNanosPerDay), 1u);
  EXPECT_EQ(cache.quote(held.id), nullptr);
  EXPECT_NE(cache.quote(b.id), nullptr);
  // An engine reset starts the next run with every contract releasable again.
  cache.Reset();
  cache.AddQuote(Quote(a.id, "5.00", "5.10"));
  EXPECT_EQ(cache.ReleaseExpired(e2 + kNanosPerDay, kNanosPerDay), 1u);
  EXPECT_EQ(cache.quote(a.id), nullptr);
}

}  // namespace
}  // namespace nacre
