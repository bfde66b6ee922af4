// Historical candles: Kite's span limits split a long range into windows; Zerodha's own
// historical answers parse to exact prices; candles become bars. Fetching from the emulator
// over 127.0.0.1: tests/live/kite_data_client_test.cpp.
#include "adapters/zerodha/kite_historical.h"

#include <gtest/gtest.h>

#include "adapters/zerodha/kite_mocks_test_util.h"

namespace nacre {
namespace {

Price Px(const char* s) { return *Price::Parse(s); }

TEST(KiteHistorical, SpanLimitsPerInterval) {
  EXPECT_EQ(KiteCandleSpanDays("minute"), 60);
  EXPECT_EQ(KiteCandleSpanDays("5minute"), 100);
  EXPECT_EQ(KiteCandleSpanDays("30minute"), 200);
  EXPECT_EQ(KiteCandleSpanDays("60minute"), 400);
  EXPECT_EQ(KiteCandleSpanDays("day"), 2000);
  EXPECT_FALSE(KiteCandleSpanDays("2minute"));
}

TEST(KiteHistorical, ALongRangeIsSplitIntoWindowsWithinTheSpan) {
  const UnixNanos from = FromIst(2025, 1, 1, 9, 15);
  const UnixNanos to = from + 150 * kNanosPerDay;
  auto w = KiteCandleWindows("minute", from, to);
  ASSERT_TRUE(w.ok()) << w.error();
  ASSERT_EQ(w->size(), 3u);
  EXPECT_EQ((*w)[0].first, from);
  EXPECT_EQ((*w)[0].second, from + 60 * kNanosPerDay);
  EXPECT_EQ((*w)[1].first, from + 60 * kNanosPerDay + kNanosPerSecond);
  EXPECT_EQ((*w)[2].second, to);
  for (const auto& [a, b] : *w) EXPECT_LE(b - a, 60 * kNanosPerDay);
  // Within one span: one window.
  w = KiteCandleWindows("day", from, to);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->size(), 1u);
  EXPECT_EQ(KiteCandleWindows("2minute", from, to).error(),
            "historical: unknown interval '2minute' (expected minute, 3minute, 5minute, "
            "10minute, 15minute, 30minute, 60minute or day)");
  EXPECT_FALSE(KiteCandleWindows("minute", to, from).ok());
}

TEST(KiteHistorical, ZerodhasAnswersParseExactly) {
  const nlohmann::json minute = kite_mocks::Data("historical_minute.json");
  if (minute.is_null()) GTEST_SKIP() << "kite mocks not present (../shared)";
  auto c = ParseKiteCandles(minute, "historical_minute.json");
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_FALSE(c->empty());
  EXPECT_EQ((*c)[0].time, FromIst(2017, 12, 15, 9, 15));
  EXPECT_EQ((*c)[0].open, Px("1704.5"));
  EXPECT_EQ((*c)[0].high, Px("1705"));  // an integer in the JSON
  EXPECT_EQ((*c)[0].low, Px("1699.25"));
  EXPECT_EQ((*c)[0].close, Px("1702.8"));
  EXPECT_EQ((*c)[0].volume, 2499);
  EXPECT_FALSE((*c)[0].oi);
  const nlohmann::json oi = kite_mocks::Data("historical_oi.json");
  auto o = ParseKiteCandles(oi, "historical_oi.json");
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ((*o)[0].oi, 13667775);

  auto bars = KiteCandlesToBars(*c, *BarType::Parse("INFY.NSE-1-MINUTE-LAST-EXTERNAL"));
  ASSERT_TRUE(bars.ok()) << bars.error();
  ASSERT_EQ(bars->size(), c->size());
  EXPECT_EQ((*bars)[0].ts_event, FromIst(2017, 12, 15, 9, 15));
  EXPECT_EQ((*bars)[0].ts_init, FromIst(2017, 12, 15, 9, 16));
  EXPECT_EQ((*bars)[0].volume, Quantity::FromInt(2499));
}

TEST(KiteHistorical, BadCandlesAreErrorsNamingTheCandle) {
  auto c = ParseKiteCandles(nlohmann::json::parse(R"({"candles": [
      ["2017-12-15T09:15:00+0530", 1, 2, 0.5, 1.5, 10],
      ["2017-12-15 09:16:00", 1, 2, 0.5, 1.5, 10]]})"),
                            "answer");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().rfind("answer: candle 1: ", 0), 0u) << c.error();
  c = ParseKiteCandles(
      nlohmann::json::parse(R"({"candles": [["2017-12-15T09:15:00+0530", 1, 2]]})"), "answer");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(), "answer: candle 0: expected [time, open, high, low, close, volume(, oi)]");
  EXPECT_FALSE(ParseKiteCandles(nlohmann::json::object(), "answer").ok());
  // A candle whose high is below its open is no bar.
  auto bad = ParseKiteCandles(
      nlohmann::json::parse(R"({"candles": [["2017-12-15T09:15:00+0530", 3, 2, 0.5, 1.5, 10]]})"),
      "answer");
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE(KiteCandlesToBars(*bad, *BarType::Parse("INFY.NSE-1-MINUTE-LAST-EXTERNAL")).ok());
}

}  // namespace
}  // namespace nacre
