#include "trading/order_factory.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::Px;
using testkit::Qty;

class OrderFactoryTest : public ::testing::Test {
 protected:
  OrderFactoryTest()
      : clock_(FromUtc(2024, 1, 1, 3, 45)),
        uuids_(7),
        factory_(TraderId("TRADER-001"), StrategyId("S-001"), clock_, uuids_) {}

  const InstrumentId fut_ = testkit::NiftyFuture().id;
  TestClock clock_;
  UuidGenerator uuids_;
  OrderFactory factory_;
};

TEST_F(OrderFactoryTest, ClientOrderIdsAreTimeStampedTaggedAndCounted) {
  EXPECT_EQ(factory_.NextClientOrderId(), ClientOrderId("O-20240101-034500-001-001-1"));
  EXPECT_EQ(factory_.NextClientOrderId(), ClientOrderId("O-20240101-034500-001-001-2"));
  EXPECT_EQ(factory_.count(), 2u);
  // The time part follows the clock (UTC); the counter keeps going.
  clock_.AdvanceTime(FromUtc(2024, 1, 1, 9, 59, 58));
  EXPECT_EQ(factory_.NextClientOrderId(), ClientOrderId("O-20240101-095958-001-001-3"));
  clock_.AdvanceTime(FromUtc(2024, 12, 31, 23, 5, 9));
  EXPECT_EQ(factory_.NextClientOrderId(), ClientOrderId("O-20241231-230509-001-001-4"));
}

TEST_F(OrderFactoryTest, TheTimePartFollowsEverySecondEitherWayAndAcrossTheEpoch) {
  // The text before the number is kept per clock second: within one second it is reused, at
  // the next (a nanosecond on) it is new, and a clock set back (a backtest rerun) gets its own.
  clock_.AdvanceTime(FromUtc(2024, 1, 1, 3, 45, 59) + (kNanosPerSecond - 1));
  EXPECT_EQ(factory_.NextClientOrderId(), ClientOrderId("O-20240101-034559-001-001-1"));
  clock_.AdvanceTime(FromUtc(2024, 1, 1, 3, 46));
  EXPECT_EQ(factory_.NextClientOrderId(), ClientOrderId("O-20240101-034600-001-001-2"));
  clock_.SetTime(FromUtc(2024, 1, 1, 3, 45, 59));
  EXPECT_EQ(factory_.NextClientOrderId(), ClientOrderId("O-20240101-034559-001-001-3"));
  // Just before and at the epoch (a second on each side of zero).
  clock_.SetTime(UnixNanos(-1));
  EXPECT_EQ(factory_.NextClientOrderId(), ClientOrderId("O-19691231-235959-001-001-4"));
  clock_.SetTime(UnixNanos(0));
  EXPECT_EQ(factory_.NextClientOrderId(), ClientOrderId("O-19700101-000000-001-001-5"));
}

TEST_F(OrderFactoryTest, RestoredCounterNeverRepeatsIds) {
  factory_.set_count(41);
  EXPECT_EQ(factory_.NextClientOrderId(), ClientOrderId("O-20240101-034500-001-001-42"));
  EXPECT_EQ(factory_.count(), 42u);
}

TEST_F(OrderFactoryTest, OrderListIdsHaveTheirOwnCounter) {
  factory_.NextClientOrderId();
  EXPECT_EQ(factory_.NextOrderListId(), OrderListId("OL-20240101-034500-001-001-1"));
  EXPECT_EQ(factory_.NextOrderListId(), OrderListId("OL-20240101-034500-001-001-2"));
  EXPECT_EQ(factory_.NextClientOrderId(), ClientOrderId("O-20240101-034500-001-001-2"));
}

TEST_F(OrderFactoryTest, TagsAreTheTextAfterTheLastDash) {
  OrderFactory f(TraderId("DESK-A-07"), StrategyId("SmaCross"), clock_, uuids_);
  EXPECT_EQ(f.NextClientOrderId(), ClientOrderId("O-20240101-034500-07-SmaCross-1"));
  // Each factory counts on its own.
  EXPECT_EQ(factory_.NextClientOrderId(), ClientOrderId("O-20240101-034500-001-001-1"));
}

TEST_F(OrderFactoryTest, MarketOrder) {
  OrderOptions opt;
  opt.time_in_force = TimeInForce::kIoc;
  opt.reduce_only = true;
  opt.tags = "exit";
  opt.market_protection_pct_raw = 2'000'000'000;
  auto o = factory_.Market(fut_, OrderSide::kSell, Qty(75), opt);
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->client_order_id(), ClientOrderId("O-20240101-034500-001-001-1"));
  EXPECT_EQ(o->trader_id(), TraderId("TRADER-001"));
  EXPECT_EQ(o->strategy_id(), StrategyId("S-001"));
  EXPECT_EQ(o->instrument_id(), fut_);
  EXPECT_EQ(o->order_type(), OrderType::kMarket);
  EXPECT_EQ(o->side(), OrderSide::kSell);
  EXPECT_EQ(o->quantity(), Qty(75));
  EXPECT_FALSE(o->price().has_value());
  EXPECT_FALSE(o->trigger_price().has_value());
  EXPECT_EQ(o->time_in_force(), TimeInForce::kIoc);
  EXPECT_TRUE(o->reduce_only());
  EXPECT_EQ(o->tags(), "exit");
  EXPECT_EQ(o->market_protection_pct_raw(), 2'000'000'000);
  EXPECT_EQ(o->status(), OrderStatus::kInitialized);
  EXPECT_EQ(o->ts_init(), clock_.Now());
  EXPECT_EQ(o->init().ts_event, clock_.Now());
  EXPECT_TRUE(o->order_list_id().empty());
  EXPECT_EQ(o->contingency(), ContingencyType::kNone);
}

TEST_F(OrderFactoryTest, LimitStopMarketAndStopLimitOrders) {
  OrderOptions gtd;
  gtd.time_in_force = TimeInForce::kGtd;
  gtd.expire_time = FromUtc(2024, 1, 1, 10, 0);
  auto limit = factory_.Limit(fut_, OrderSide::kBuy, Qty(50), Px("21000.05"), gtd);
  EXPECT_EQ(limit->order_type(), OrderType::kLimit);
  EXPECT_EQ(limit->price(), Px("21000.05"));
  EXPECT_FALSE(limit->trigger_price().has_value());
  EXPECT_EQ(limit->time_in_force(), TimeInForce::kGtd);
  EXPECT_EQ(limit->expire_time(), FromUtc(2024, 1, 1, 10, 0));
  EXPECT_FALSE(limit->reduce_only());

  auto stop = factory_.StopMarket(fut_, OrderSide::kSell, Qty(50), Px("20900"));
  EXPECT_EQ(stop->order_type(), OrderType::kStopMarket);
  EXPECT_EQ(stop->trigger_price(), Px("20900"));
  EXPECT_FALSE(stop->price().has_value());
  EXPECT_EQ(stop->time_in_force(), TimeInForce::kDay);

  auto stop_limit = factory_.StopLimit(fut_, OrderSide::kSell, Qty(50), Px("20890"), Px("20900"));
  EXPECT_EQ(stop_limit->order_type(), OrderType::kStopLimit);
  EXPECT_EQ(stop_limit->price(), Px("20890"));
  EXPECT_EQ(stop_limit->trigger_price(), Px("20900"));

  EXPECT_EQ(stop_limit->client_order_id(), ClientOrderId("O-20240101-034500-001-001-3"));
  // Every OrderInitialized gets its own event id.
  std::set<std::string> ids{limit->init().event_id.ToString(), stop->init().event_id.ToString(),
                            stop_limit->init().event_id.ToString()};
  EXPECT_EQ(ids.size(), 3u);
}

TEST_F(OrderFactoryTest, SameSeedAndClockGiveTheSameOrders) {
  TestClock clock(FromUtc(2024, 1, 1, 3, 45));
  UuidGenerator uuids(7);
  OrderFactory twin(TraderId("TRADER-001"), StrategyId("S-001"), clock, uuids);
  auto a = factory_.Market(fut_, OrderSide::kBuy, Qty(1));
  auto b = twin.Market(fut_, OrderSide::kBuy, Qty(1));
  EXPECT_EQ(a->client_order_id(), b->client_order_id());
  EXPECT_EQ(a->init().event_id, b->init().event_id);
}

}  // namespace
}  // namespace nacre

namespace nacre {
namespace {

TEST(OrderFactoryIds, IssuedNumberRecognisesOnlyItsOwnShape) {
  TestClock clock(FromIst(2025, 1, 6, 9, 15));
  UuidGenerator uuids(1);
  OrderFactory f(TraderId("TRADER-001"), StrategyId("PLAN-002"), clock, uuids);
  const ClientOrderId first = f.NextClientOrderId();
  const ClientOrderId second = f.NextClientOrderId();
  EXPECT_EQ(f.IssuedNumber(first), 1u);
  EXPECT_EQ(f.IssuedNumber(second), 2u);
  EXPECT_EQ(f.IssuedNumber(ClientOrderId("O-20250106-034500-001-002-17")), 17u);
  EXPECT_EQ(f.IssuedNumber(ClientOrderId("O-20250106-034500-001-003-17")), 0u) << "another strategy";
  EXPECT_EQ(f.IssuedNumber(ClientOrderId("O-20250106-034500-002-002-17")), 0u) << "another trader";
  EXPECT_EQ(f.IssuedNumber(ClientOrderId("ADOPTED-123456")), 0u);
  EXPECT_EQ(f.IssuedNumber(ClientOrderId("O-20250106-034500-001-002-1x")), 0u);
}

}  // namespace
}  // namespace nacre
