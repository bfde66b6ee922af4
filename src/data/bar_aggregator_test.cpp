#include "data/bar_aggregator.h"

#include <gtest/gtest.h>

#include <vector>

#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::MakeBarType;
using testkit::MakeQuote;
using testkit::MakeTrade;
using testkit::Px;
using testkit::Qty;

constexpr DurationNs kNseOrigin = 3 * kNanosPerHour + 45 * kNanosPerMinute;  // 09:15 IST

const InstrumentId& Fut() {
  static const InstrumentId kId = MustInstrumentId("NIFTY24JANFUT.NFO");
  return kId;
}

TEST(TimeBarAggregatorTest, NextBoundaryIsStrictlyAfterNowOnTheOriginGrid) {
  TimeBarAggregator hourly(MakeBarType(Fut(), 1, BarAggregation::kHour), kNseOrigin,
                           [](const Bar&) {});
  EXPECT_EQ(hourly.interval(), kNanosPerHour);
  // Exactly on a boundary: the next one.
  EXPECT_EQ(hourly.NextBoundary(FromIst(2024, 1, 1, 9, 15)), FromIst(2024, 1, 1, 10, 15));
  EXPECT_EQ(hourly.NextBoundary(FromIst(2024, 1, 1, 9, 47)), FromIst(2024, 1, 1, 10, 15));
  EXPECT_EQ(hourly.NextBoundary(FromIst(2024, 1, 1, 10, 14, 59)), FromIst(2024, 1, 1, 10, 15));
  EXPECT_EQ(hourly.NextBoundary(FromIst(2024, 1, 1, 15, 29)), FromIst(2024, 1, 1, 16, 15));

  TimeBarAggregator utc(MakeBarType(Fut(), 1, BarAggregation::kHour), 0, [](const Bar&) {});
  EXPECT_EQ(utc.NextBoundary(FromIst(2024, 1, 1, 9, 15)), FromIst(2024, 1, 1, 9, 30));

  TimeBarAggregator five(MakeBarType(Fut(), 5, BarAggregation::kMinute), kNseOrigin,
                         [](const Bar&) {});
  EXPECT_EQ(five.NextBoundary(FromIst(2024, 1, 1, 9, 16)), FromIst(2024, 1, 1, 9, 20));
}

TEST(TimeBarAggregatorTest, NextBoundaryBeforeTheOrigin) {
  TimeBarAggregator agg(MakeBarType(Fut(), 1, BarAggregation::kHour), kNseOrigin,
                        [](const Bar&) {});
  // Times before the origin offset (00:00-03:45 UTC on the epoch day) still land on the grid.
  EXPECT_EQ(agg.NextBoundary(UnixNanos(0)), UnixNanos(45 * kNanosPerMinute));
  EXPECT_EQ(agg.NextBoundary(UnixNanos(45 * kNanosPerMinute)), UnixNanos(105 * kNanosPerMinute));
}

TEST(TimeBarAggregatorTest, BuildsOhlcvFromTradesAndResetsAfterClose) {
  std::vector<Bar> bars;
  const BarType type = MakeBarType(Fut(), 5, BarAggregation::kMinute, PriceType::kLast,
                                   AggregationSource::kInternal);
  TimeBarAggregator agg(type, kNseOrigin, [&](const Bar& b) { bars.push_back(b); });
  const UnixNanos t = FromIst(2024, 1, 1, 9, 16);
  agg.HandleTrade(MakeTrade(Fut(), "100.00", 10, t));
  agg.HandleTrade(MakeTrade(Fut(), "104.50", 5, t + kNanosPerMinute));
  agg.HandleTrade(MakeTrade(Fut(), "98.25", 7, t + 2 * kNanosPerMinute));
  agg.HandleTrade(MakeTrade(Fut(), "101.00", 3, t + 3 * kNanosPerMinute));
  agg.Close(FromIst(2024, 1, 1, 9, 20));
  ASSERT_EQ(bars.size(), 1u);
  EXPECT_EQ(bars[0].bar_type, type);
  EXPECT_EQ(bars[0].open, Px("100"));
  EXPECT_EQ(bars[0].high, Px("104.5"));
  EXPECT_EQ(bars[0].low, Px("98.25"));
  EXPECT_EQ(bars[0].close, Px("101"));
  EXPECT_EQ(bars[0].volume, Qty(25));
  EXPECT_EQ(bars[0].ts_event, FromIst(2024, 1, 1, 9, 15));
  EXPECT_EQ(bars[0].ts_init, FromIst(2024, 1, 1, 9, 20));

  // Nothing since the last close: no bar.
  agg.Close(FromIst(2024, 1, 1, 9, 25));
  EXPECT_EQ(bars.size(), 1u);

  // The next bar starts from scratch.
  agg.HandleTrade(MakeTrade(Fut(), "99.00", 2, FromIst(2024, 1, 1, 9, 26)));
  agg.Close(FromIst(2024, 1, 1, 9, 30));
  ASSERT_EQ(bars.size(), 2u);
  EXPECT_EQ(bars[1].open, Px("99"));
  EXPECT_EQ(bars[1].high, Px("99"));
  EXPECT_EQ(bars[1].low, Px("99"));
  EXPECT_EQ(bars[1].volume, Qty(2));
}

TEST(TimeBarAggregatorTest, QuoteBarsUseTheirPriceTypeAndSize) {
  std::vector<Bar> bid_bars;
  std::vector<Bar> ask_bars;
  std::vector<Bar> mid_bars;
  auto spec = [](PriceType p) {
    return MakeBarType(Fut(), 1, BarAggregation::kMinute, p, AggregationSource::kInternal);
  };
  TimeBarAggregator bid(spec(PriceType::kBid), 0, [&](const Bar& b) { bid_bars.push_back(b); });
  TimeBarAggregator ask(spec(PriceType::kAsk), 0, [&](const Bar& b) { ask_bars.push_back(b); });
  TimeBarAggregator mid(spec(PriceType::kMid), 0, [&](const Bar& b) { mid_bars.push_back(b); });
  const UnixNanos t = FromIst(2024, 1, 1, 9, 15, 10);
  for (const QuoteTick& q : {MakeQuote(Fut(), "100.00", "100.50", t, 10, 20),
                             MakeQuote(Fut(), "101.00", "101.20", t + 1, 30, 40)}) {
    bid.HandleQuote(q);
    ask.HandleQuote(q);
    mid.HandleQuote(q);
  }
  const UnixNanos boundary = FromIst(2024, 1, 1, 9, 16);
  bid.Close(boundary);
  ask.Close(boundary);
  mid.Close(boundary);
  ASSERT_EQ(bid_bars.size(), 1u);
  EXPECT_EQ(bid_bars[0].open, Px("100"));
  EXPECT_EQ(bid_bars[0].close, Px("101"));
  EXPECT_EQ(bid_bars[0].volume, Qty(40));
  ASSERT_EQ(ask_bars.size(), 1u);
  EXPECT_EQ(ask_bars[0].open, Px("100.5"));
  EXPECT_EQ(ask_bars[0].high, Px("101.2"));
  EXPECT_EQ(ask_bars[0].volume, Qty(60));
  ASSERT_EQ(mid_bars.size(), 1u);
  EXPECT_EQ(mid_bars[0].open, Px("100.25"));
  EXPECT_EQ(mid_bars[0].close, Px("101.1"));
  EXPECT_EQ(mid_bars[0].low, Px("100.25"));
  EXPECT_EQ(mid_bars[0].high, Px("101.1"));
}

}  // namespace
}  // namespace nacre
