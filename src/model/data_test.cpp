#include "model/data.h"

#include <gtest/gtest.h>

#include <string>
#include <type_traits>

#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::Px;
using testkit::Qty;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// ---------------------------------------------------------------------------------------------
// BarType

TEST(BarType, ParsesTheDocumentedExample) {
  auto bt = BarType::Parse("NIFTY 50.NSE-1-HOUR-LAST-EXTERNAL");
  ASSERT_TRUE(bt.ok()) << bt.error();
  EXPECT_EQ(bt->instrument_id(), MustInstrumentId("NIFTY 50.NSE"));
  EXPECT_EQ(bt->instrument_id().symbol().value(), "NIFTY 50");
  EXPECT_EQ(bt->spec().step, 1);
  EXPECT_EQ(bt->spec().aggregation, BarAggregation::kHour);
  EXPECT_EQ(bt->spec().price_type, PriceType::kLast);
  EXPECT_EQ(bt->source(), AggregationSource::kExternal);
  EXPECT_EQ(bt->ToString(), "NIFTY 50.NSE-1-HOUR-LAST-EXTERNAL");
  const BarType built(MustInstrumentId("NIFTY 50.NSE"),
                      {1, BarAggregation::kHour, PriceType::kLast}, AggregationSource::kExternal);
  EXPECT_EQ(*bt, built);
  EXPECT_EQ(built.ToString(), "NIFTY 50.NSE-1-HOUR-LAST-EXTERNAL");
}

TEST(BarType, InstrumentIdsMayContainDashes) {
  auto bt = BarType::Parse("BAJAJ-AUTO-EQ.NSE-5-MINUTE-MID-INTERNAL");
  ASSERT_TRUE(bt.ok()) << bt.error();
  EXPECT_EQ(bt->instrument_id().value(), "BAJAJ-AUTO-EQ.NSE");
  EXPECT_EQ(bt->instrument_id().symbol().value(), "BAJAJ-AUTO-EQ");
  EXPECT_EQ(bt->spec().step, 5);
  EXPECT_EQ(bt->spec().aggregation, BarAggregation::kMinute);
  EXPECT_EQ(bt->spec().price_type, PriceType::kMid);
  EXPECT_EQ(bt->source(), AggregationSource::kInternal);
}

TEST(BarType, RoundTripsEveryValidForm) {
  const char* texts[] = {
      "NIFTY2610624000CE.NFO-1-MINUTE-LAST-EXTERNAL",
      "NIFTY2610624000CE.NFO-3-MINUTE-BID-INTERNAL",
      "X.NSE-15-MINUTE-ASK-EXTERNAL",
      "X.NSE-60-MINUTE-MID-INTERNAL",
      "X.NSE-1-SECOND-LAST-INTERNAL",
      "X.NSE-30-SECOND-LAST-EXTERNAL",
      "X.NSE-2-HOUR-LAST-EXTERNAL",
      "X.NSE-8-HOUR-LAST-EXTERNAL",
      "X.NSE-24-HOUR-LAST-EXTERNAL",
      "X.NSE-1-DAY-LAST-EXTERNAL",
      "M-M.NSE-1-DAY-LAST-INTERNAL",
      "A-B-C.NFO-12-MINUTE-LAST-EXTERNAL",
  };
  for (const char* t : texts) {
    auto bt = BarType::Parse(t);
    ASSERT_TRUE(bt.ok()) << t << ": " << bt.error();
    EXPECT_EQ(bt->ToString(), t);
    auto again = BarType::Parse(bt->ToString());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *bt);
  }
}

TEST(BarType, RejectsWithReason) {
  struct Case {
    const char* text;
    const char* reason;
  };
  const Case cases[] = {
      {"X.NSE-0-MINUTE-LAST-EXTERNAL", "step must be positive"},
      {"X.NSE-abc-MINUTE-LAST-EXTERNAL", "step 'abc' is not an integer"},
      {"X.NSE-1.5-MINUTE-LAST-EXTERNAL", "step '1.5' is not an integer"},
      {"X.NSE--MINUTE-LAST-EXTERNAL", "step '' is not an integer"},
      {"X.NSE-7-MINUTE-LAST-EXTERNAL", "step 7 of MINUTE does not divide its parent unit (60)"},
      {"X.NSE-45-SECOND-LAST-EXTERNAL", "step 45 of SECOND does not divide its parent unit (60)"},
      {"X.NSE-5-HOUR-LAST-EXTERNAL", "step 5 of HOUR does not divide its parent unit (24)"},
      {"X.NSE-2-DAY-LAST-EXTERNAL", "step 2 of DAY does not divide its parent unit (1)"},
      {"X.NSE-1-TICK-LAST-EXTERNAL", "aggregation 'TICK' not supported"},
      {"X.NSE-1-WEEK-LAST-EXTERNAL", "aggregation 'WEEK' not supported"},
      {"X.NSE-1-minute-LAST-EXTERNAL", "aggregation 'minute' not supported"},
      {"X.NSE-1-MINUTE-CLOSE-EXTERNAL", "price type 'CLOSE' unknown"},
      {"X.NSE-1-MINUTE-LAST-VENUE", "source 'VENUE' unknown"},
      {"X.NSE-1-MINUTE-LAST",
       "expected {instrument_id}-{step}-{aggregation}-{price_type}-{source}"},
      {"", "expected {instrument_id}"},
      {"NOVENUE-1-MINUTE-LAST-EXTERNAL", "expected SYMBOL.VENUE"},
      {"-1-MINUTE-LAST-EXTERNAL", "expected SYMBOL.VENUE"},
      {".NSE-1-MINUTE-LAST-EXTERNAL", "empty symbol"},
  };
  for (const Case& c : cases) {
    auto r = BarType::Parse(c.text);
    ASSERT_FALSE(r.ok()) << c.text << " parsed as " << r->ToString();
    EXPECT_TRUE(Contains(r.error(), std::string("invalid bar type '") + c.text + "'")) << r.error();
    EXPECT_TRUE(Contains(r.error(), c.reason)) << c.text << ": " << r.error();
  }
}

TEST(BarType, ValidateSpecAcceptsOnlyDivisorsOfTheParentUnit) {
  // Minute and second steps must divide 60, hour steps 24, and a day bar is a single day.
  auto divides = [](int unit, int step) { return unit % step == 0; };
  for (int step = 1; step <= 61; ++step) {
    EXPECT_EQ(BarType::ValidateSpec({step, BarAggregation::kMinute, PriceType::kLast}).ok(),
              divides(60, step))
        << step << "-MINUTE";
    EXPECT_EQ(BarType::ValidateSpec({step, BarAggregation::kSecond, PriceType::kLast}).ok(),
              divides(60, step))
        << step << "-SECOND";
    EXPECT_EQ(BarType::ValidateSpec({step, BarAggregation::kHour, PriceType::kLast}).ok(),
              divides(24, step))
        << step << "-HOUR";
    EXPECT_EQ(BarType::ValidateSpec({step, BarAggregation::kDay, PriceType::kLast}).ok(), step == 1)
        << step << "-DAY";
  }
  auto neg = BarType::ValidateSpec({-5, BarAggregation::kMinute, PriceType::kLast});
  ASSERT_FALSE(neg.ok());
  EXPECT_TRUE(Contains(neg.error(), "step must be positive, got -5")) << neg.error();
}

TEST(BarType, EqualityCoversEveryPart) {
  const BarType base = *BarType::Parse("X.NSE-5-MINUTE-LAST-EXTERNAL");
  EXPECT_EQ(base, *BarType::Parse("X.NSE-5-MINUTE-LAST-EXTERNAL"));
  EXPECT_NE(base, *BarType::Parse("Y.NSE-5-MINUTE-LAST-EXTERNAL"));
  EXPECT_NE(base, *BarType::Parse("X.NSE-1-MINUTE-LAST-EXTERNAL"));
  EXPECT_NE(base, *BarType::Parse("X.NSE-5-SECOND-LAST-EXTERNAL"));
  EXPECT_NE(base, *BarType::Parse("X.NSE-5-MINUTE-BID-EXTERNAL"));
  EXPECT_NE(base, *BarType::Parse("X.NSE-5-MINUTE-LAST-INTERNAL"));
}

TEST(BarSpecification, Interval) {
  EXPECT_EQ((BarSpecification{1, BarAggregation::kSecond, PriceType::kLast}).Interval(),
            1'000'000'000LL);
  EXPECT_EQ((BarSpecification{15, BarAggregation::kSecond, PriceType::kLast}).Interval(),
            15'000'000'000LL);
  EXPECT_EQ((BarSpecification{5, BarAggregation::kMinute, PriceType::kLast}).Interval(),
            300'000'000'000LL);
  EXPECT_EQ((BarSpecification{1, BarAggregation::kHour, PriceType::kMid}).Interval(),
            3'600'000'000'000LL);
  EXPECT_EQ((BarSpecification{24, BarAggregation::kHour, PriceType::kMid}).Interval(),
            86'400'000'000'000LL);
  EXPECT_EQ((BarSpecification{1, BarAggregation::kDay, PriceType::kLast}).Interval(),
            86'400'000'000'000LL);
}

// ---------------------------------------------------------------------------------------------
// QuoteTick

QuoteTick Quote(const char* bid, const char* ask) {
  QuoteTick q;
  q.instrument_id = MustInstrumentId("NIFTY2610624000CE.NFO");
  q.bid_price = Px(bid);
  q.ask_price = Px(ask);
  q.bid_size = Qty(65);
  q.ask_size = Qty(130);
  return q;
}

TEST(QuoteTick, MidIsExactWithOneMoreDecimal) {
  const Price mid = Quote("100.05", "100.10").Mid();
  EXPECT_EQ(mid.raw(), 100'075'000'000);  // 100.075
  EXPECT_EQ(mid.precision(), 3);
  EXPECT_EQ(mid.ToString(), "100.075");
  EXPECT_EQ(Quote("100.00", "100.10").Mid().ToString(), "100.050");
  EXPECT_EQ(Quote("99", "100").Mid().ToString(), "99.5");
  EXPECT_EQ(Quote("-1.25", "-1.20").Mid().ToString(), "-1.225");
}

TEST(QuoteTick, MidUsesTheFinerPrecisionOfBidAndAsk) {
  // 100.0 and 100.05: the mid 100.025 needs 3 decimals even though the bid has 1.
  const Price mid = Quote("100.0", "100.05").Mid();
  EXPECT_EQ(mid.raw(), 100'025'000'000);
  EXPECT_EQ(mid.precision(), 3);
  EXPECT_EQ(Quote("100.05", "100.1").Mid().raw(), 100'075'000'000);
}

TEST(QuoteTick, MidAtNineDecimalsRoundsHalfAwayFromZero) {
  // (0.000000001 + 0.000000002) / 2 = 0.0000000015 -> 0.000000002.
  EXPECT_EQ(Quote("0.000000001", "0.000000002").Mid().raw(), 2);
  EXPECT_EQ(Quote("-0.000000002", "-0.000000001").Mid().raw(), -2);
  EXPECT_EQ(Quote("0.000000001", "0.000000002").Mid().precision(), 9);
  // 8 decimals: the mid fits 9 decimals exactly.
  EXPECT_EQ(Quote("0.00000001", "0.00000002").Mid().raw(), 15);
}

TEST(QuoteTick, Extract) {
  const QuoteTick q = Quote("100.05", "100.10");
  EXPECT_EQ(q.Extract(PriceType::kBid), Px("100.05"));
  EXPECT_EQ(q.Extract(PriceType::kAsk), Px("100.10"));
  EXPECT_EQ(q.Extract(PriceType::kMid), Px("100.075"));
}

// ---------------------------------------------------------------------------------------------
// Bar

Bar MakeBar(const char* o, const char* h, const char* l, const char* c) {
  Bar b;
  b.bar_type = *BarType::Parse("NIFTY 50.NSE-1-MINUTE-LAST-EXTERNAL");
  b.open = Px(o);
  b.high = Px(h);
  b.low = Px(l);
  b.close = Px(c);
  b.volume = Qty(1000);
  b.ts_event = FromIst(2024, 1, 1, 9, 15);
  b.ts_init = FromIst(2024, 1, 1, 9, 16);
  return b;
}

TEST(ValidateBar, AcceptsConsistentBars) {
  EXPECT_TRUE(ValidateBar(MakeBar("100", "105", "95", "102")).ok());
  EXPECT_TRUE(ValidateBar(MakeBar("100", "100", "100", "100")).ok());  // doji
  EXPECT_TRUE(ValidateBar(MakeBar("100", "100", "90", "90")).ok());    // high=open, low=close
  Bar same_ts = MakeBar("100", "105", "95", "102");
  same_ts.ts_init = same_ts.ts_event;
  EXPECT_TRUE(ValidateBar(same_ts).ok());
}

TEST(ValidateBar, RejectsInconsistentBars) {
  struct Case {
    const char* o;
    const char* h;
    const char* l;
    const char* c;
    const char* reason;
  };
  const Case cases[] = {
      {"106", "105", "95", "102", "high 105 below"},     // high below open
      {"100", "105", "95", "105.05", "high 105 below"},  // high below close
      {"100", "100", "100.5", "100", "high 100 below"},  // high below low
      {"94.95", "105", "95", "102", "low 95 above"},     // low above open
      {"100", "105", "95", "94", "low 95 above"},        // low above close
  };
  for (const Case& c : cases) {
    const Status s = ValidateBar(MakeBar(c.o, c.h, c.l, c.c));
    ASSERT_FALSE(s.ok()) << c.o << " " << c.h << " " << c.l << " " << c.c;
    EXPECT_TRUE(Contains(s.error(), c.reason)) << s.error();
  }
  Bar backwards = MakeBar("100", "105", "95", "102");
  backwards.ts_init = backwards.ts_event - 1;
  const Status s = ValidateBar(backwards);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s.error(), "ts_init before ts_event")) << s.error();
}

// ---------------------------------------------------------------------------------------------
// TradeId

TEST(TradeId, StoresInlineWithoutAllocation) {
  static_assert(std::is_trivially_copyable_v<TradeId>);
  static_assert(sizeof(TradeId) <= 40);
  const TradeId id("T-000123");
  EXPECT_EQ(id.value(), "T-000123");
  EXPECT_FALSE(id.empty());
  const TradeId copy = id;
  EXPECT_EQ(copy, id);
  EXPECT_NE(copy.value().data(), id.value().data());  // its own buffer, not shared storage
  EXPECT_TRUE(TradeId().empty());
  EXPECT_EQ(TradeId().value(), "");
}

TEST(TradeId, KeepsThirtySixCharactersAndTruncatesBeyond) {
  const std::string uuid = "123e4567-e89b-12d3-a456-426614174000";  // 36 characters
  ASSERT_EQ(uuid.size(), 36u);
  EXPECT_EQ(TradeId(uuid).value(), uuid);
  EXPECT_EQ(TradeId(uuid + "-extra").value(), uuid);
}

TEST(TradeId, ComparesByText) {
  EXPECT_EQ(TradeId("A1"), TradeId(std::string("A") + "1"));
  EXPECT_NE(TradeId("A1"), TradeId("A10"));
  EXPECT_LT(TradeId("A1"), TradeId("A10"));
  EXPECT_LT(TradeId("A10"), TradeId("B"));
  EXPECT_LT(TradeId(""), TradeId("0"));
}

}  // namespace
}  // namespace nacre
