// The matching core alone: no clock, no cache, no kernel. Each rule is a pure decision on the
// book and one order.
#include "venue/matching_core.h"

#include <gtest/gtest.h>

#include <vector>

#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::Px;
using testkit::Qty;

MatchOrder Buy(std::int64_t qty, std::optional<Price> limit = {}) {
  MatchOrder o;
  o.side = OrderSide::kBuy;
  o.type = limit ? OrderType::kLimit : OrderType::kMarket;
  o.leaves_raw = Qty(qty).raw();
  o.price = limit;
  return o;
}

const MatchingCore::Touch kAlways = [] { return true; };
const MatchingCore::Touch kNever = [] { return false; };

class MatchingCoreTest : public ::testing::Test {
 protected:
  FillModel model_;
  MatchingCore core_{model_, Px("0.05"), 2};
};

TEST_F(MatchingCoreTest, AnArrivingOrderTakesTheDisplayedSizeThenWalksByTicks) {
  core_.OnQuote(Px("100"), Px("101"), Qty(65), Qty(65));
  MatchState s;
  const auto take = core_.TakeBook(Buy(195), s, true);
  ASSERT_EQ(take.fills.size(), 3u);
  EXPECT_EQ(take.fills[0].px, Px("101"));
  EXPECT_EQ(take.fills[1].px, Px("101.05"));
  EXPECT_EQ(take.fills[2].px, Px("101.10"));
  for (const Execution& e : take.fills) {
    EXPECT_EQ(e.qty_raw, Qty(65).raw());
    EXPECT_EQ(e.liquidity, LiquiditySide::kTaker);
  }
  EXPECT_TRUE(take.done);
}

TEST_F(MatchingCoreTest, MarketProtectionStopsTheWalkAtItsBand) {
  core_.OnQuote(Px("100"), Px("100"), Qty(65), Qty(65));
  MatchOrder o = Buy(650);
  o.protection_raw = 2 * kFixedScale / 10;  // 0.2% of 100 = 0.20: four ticks above
  MatchState s;
  const auto take = core_.TakeBook(o, s, true);
  ASSERT_TRUE(s.protection_limit);
  EXPECT_EQ(*s.protection_limit, Px("100.20"));
  ASSERT_EQ(take.fills.size(), 5u);  // 100, 100.05, ... 100.20
  EXPECT_EQ(take.fills.back().px, Px("100.20"));
  EXPECT_FALSE(take.done);  // the rest rests at the band
}

TEST_F(MatchingCoreTest, RestingLimitsShareTheDisplayedSizeAtTheirOwnLimit) {
  core_.OnQuote(Px("100.40"), Px("100.50"), Qty(100), Qty(100));
  const MatchOrder first = Buy(65, Px("101"));
  const MatchOrder second = Buy(65, Px("101"));
  const MatchState s;
  const auto a = core_.CrossedByQuote(first, s);
  const auto b = core_.CrossedByQuote(second, s);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->px, Px("101"));  // its own limit, never the better ask
  EXPECT_EQ(a->liquidity, LiquiditySide::kMaker);
  EXPECT_EQ(a->qty_raw, Qty(65).raw());
  EXPECT_EQ(b->qty_raw, Qty(35).raw());  // what was left of the 100 displayed
  EXPECT_FALSE(core_.CrossedByQuote(second, s));
}

TEST_F(MatchingCoreTest, StopsOnBarsTriggerAtTheTriggerOrTheGappedOpen) {
  MatchOrder stop;
  stop.side = OrderSide::kBuy;
  stop.type = OrderType::kStopMarket;
  stop.trigger = Px("105");
  stop.leaves_raw = Qty(1).raw();
  const Bar touched = testkit::MakeBar(testkit::MakeBarType(testkit::NiftyFuture().id), "103",
                                       "106", "102", "104", 10, UnixNanos(1));
  const Bar gapped = testkit::MakeBar(testkit::MakeBarType(testkit::NiftyFuture().id), "107",
                                      "108", "106", "107", 10, UnixNanos(2));
  EXPECT_EQ(core_.BarTrigger(stop, touched), Px("105"));
  EXPECT_EQ(core_.BarTrigger(stop, gapped), Px("107"));
  const auto e = core_.AfterBarTrigger(stop, MatchState{}, gapped, Px("107"), kNever);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->px, Px("107"));
  EXPECT_EQ(e->liquidity, LiquiditySide::kTaker);
  // A resting limit on a bar fills at its limit as maker; a touch depends on the touch draw.
  const MatchOrder limit = Buy(1, Px("102"));
  EXPECT_EQ(core_.OnBarResting(limit, MatchState{}, touched, kNever)->px, Px("102"));
  const MatchOrder at_low = Buy(1, Px("102"));
  const Bar low_touch = testkit::MakeBar(testkit::MakeBarType(testkit::NiftyFuture().id), "103",
                                         "104", "102", "103", 10, UnixNanos(3));
  EXPECT_FALSE(core_.OnBarResting(at_low, MatchState{}, low_touch, kNever));
  EXPECT_TRUE(core_.OnBarResting(at_low, MatchState{}, low_touch, kAlways));
}

TEST_F(MatchingCoreTest, QueuePositionIsUsedUpByTradesAtThePrice) {
  model_.queue_position = true;
  core_.OnQuote(Px("100"), Px("101"), Qty(130), Qty(65));
  const MatchOrder o = Buy(65, Px("100"));
  MatchState s;
  core_.UpdateQueue(o, s);
  ASSERT_EQ(s.queue_ahead, Qty(130).raw());
  EXPECT_FALSE(core_.AtTrade(o, s, Px("100"), Qty(100).raw(), kAlways));
  EXPECT_EQ(s.queue_ahead, Qty(30).raw());
  const auto e = core_.AtTrade(o, s, Px("100"), Qty(50).raw(), kAlways);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->qty_raw, Qty(20).raw());
  // A trade through the price fills regardless of the queue.
  MatchState behind;
  behind.queue_ahead = Qty(1000).raw();
  EXPECT_TRUE(core_.AtTrade(o, behind, Px("99.95"), Qty(10).raw(), kNever));
}

TEST_F(MatchingCoreTest, MarksAndTheLppReferenceFollowTheDocumentedOrder) {
  EXPECT_FALSE(core_.Mark());
  core_.OnTrade(Px("99"));
  core_.OnQuote(Px("100"), Px("101"), Qty(1), Qty(1));
  EXPECT_EQ(core_.Mark(), Px("100.5"));          // quote mid first
  EXPECT_EQ(core_.LppReference(), Px("99"));      // the last trade first
  core_.OnBar(Px("102"));                         // a bar drops the old quote
  EXPECT_EQ(core_.Mark(), Px("102"));
}

}  // namespace
}  // namespace nacre
