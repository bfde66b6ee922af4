// The report's computations on crafted series with hand-computed answers: marked drawdown (₹
// and % from the running peak, the starting balance the first peak), the worst drawdown
// episodes (start at the last sample at the peak, trough, recovery, length, ranking),
// monthly and yearly returns (a month without trading days absent), daily returns, rolling
// Sharpe and the histogram of returns.
#include "backtest/report_analytics.h"

#include <gtest/gtest.h>

#include <cmath>

#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::Inr;

EquitySample At(int day, int hour, int minute, const char* equity) {
  return EquitySample{FromIst(2024, 1, day, hour, minute), Inr(equity), Money(), Money()};
}

// 1,00,000 twice (the peak's last sample is 09:20) -> 90,000 (−10%) -> 95,000 -> 1,00,000
// (recovered on day 3) -> 1,10,000 -> 1,04,500 (−5%) -> 1,10,000 (day 5) -> 99,000 (−10%,
// ₹11,000) -> 1,10,000 (day 7) -> 88,000 (−20%, day 8, never recovered).
std::vector<EquitySample> Series() {
  return {At(1, 9, 15, "100000"), At(1, 9, 20, "100000"), At(1, 10, 0, "90000"),
          At(2, 10, 0, "95000"),  At(3, 10, 0, "100000"), At(3, 11, 0, "110000"),
          At(4, 10, 0, "104500"), At(5, 10, 0, "110000"), At(6, 10, 0, "99000"),
          At(7, 10, 0, "110000"), At(8, 10, 0, "88000")};
}

TEST(ReportAnalytics, MarkedDrawdownIsFromTheRunningPeak) {
  const MarkedDrawdown dd = MaxMarkedDrawdown(Inr("100000"), Series());
  EXPECT_EQ(dd.amount, Inr("22000"));
  EXPECT_DOUBLE_EQ(dd.pct, 20.0);
  EXPECT_EQ(dd.pct_at, FromIst(2024, 1, 8, 10, 0));

  const std::vector<double> pct = DrawdownPctSeries(Inr("100000"), Series());
  ASSERT_EQ(pct.size(), 11u);
  EXPECT_DOUBLE_EQ(pct[0], 0.0);
  EXPECT_DOUBLE_EQ(pct[2], -10.0);
  EXPECT_DOUBLE_EQ(pct[3], -5.0);
  EXPECT_DOUBLE_EQ(pct[6], -5.0);
  EXPECT_DOUBLE_EQ(pct[8], -10.0);
  EXPECT_DOUBLE_EQ(pct[10], -20.0);

  // The starting balance is the first peak: a run that starts below it is in drawdown.
  const std::vector<EquitySample> below = {At(1, 9, 15, "95000"), At(1, 9, 20, "97500")};
  const MarkedDrawdown b = MaxMarkedDrawdown(Inr("100000"), below);
  EXPECT_EQ(b.amount, Inr("5000"));
  EXPECT_DOUBLE_EQ(b.pct, 5.0);
}

TEST(ReportAnalytics, WorstDrawdownsRankedByDepth) {
  const std::vector<DrawdownEpisode> w = WorstDrawdowns(Inr("100000"), Series(), 3);
  ASSERT_EQ(w.size(), 3u);
  // The deepest: from the day-7 peak, not recovered; length to the last sample.
  EXPECT_EQ(w[0].start, FromIst(2024, 1, 7, 10, 0));
  EXPECT_EQ(w[0].trough, FromIst(2024, 1, 8, 10, 0));
  EXPECT_FALSE(w[0].recovery.has_value());
  EXPECT_EQ(w[0].peak, Inr("110000"));
  EXPECT_EQ(w[0].depth, Inr("22000"));
  EXPECT_DOUBLE_EQ(w[0].depth_pct, 20.0);
  EXPECT_EQ(w[0].length_days, 1);
  // Two at 10%: the larger in rupees first.
  EXPECT_EQ(w[1].start, FromIst(2024, 1, 5, 10, 0));
  EXPECT_EQ(w[1].trough, FromIst(2024, 1, 6, 10, 0));
  EXPECT_EQ(w[1].recovery, FromIst(2024, 1, 7, 10, 0));
  EXPECT_EQ(w[1].depth, Inr("11000"));
  EXPECT_DOUBLE_EQ(w[1].depth_pct, 10.0);
  EXPECT_EQ(w[1].length_days, 2);
  // The first: starts at the last sample at the peak (09:20), recovers on day 3.
  EXPECT_EQ(w[2].start, FromIst(2024, 1, 1, 9, 20));
  EXPECT_EQ(w[2].trough, FromIst(2024, 1, 1, 10, 0));
  EXPECT_EQ(w[2].recovery, FromIst(2024, 1, 3, 10, 0));
  EXPECT_EQ(w[2].depth, Inr("10000"));
  EXPECT_DOUBLE_EQ(w[2].depth_pct, 10.0);
  EXPECT_EQ(w[2].length_days, 2);
  // All four with a larger n; the 5% one last.
  const std::vector<DrawdownEpisode> all = WorstDrawdowns(Inr("100000"), Series(), 5);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[3].depth, Inr("5500"));
  EXPECT_DOUBLE_EQ(all[3].depth_pct, 5.0);
  EXPECT_TRUE(WorstDrawdowns(Inr("100000"), {}, 5).empty());
  // A series that never falls below its peak has no drawdown.
  EXPECT_TRUE(
      WorstDrawdowns(Inr("100000"), {At(1, 9, 15, "100000"), At(1, 9, 20, "101000")}, 5).empty());
}

DailyPnl Day(int y, int m, int d, const char* equity) {
  DailyPnl p;
  p.date = CivilDate{y, m, d};
  p.equity = Inr(equity);
  return p;
}

TEST(ReportAnalytics, MonthlyAndYearlyReturnsFromMonthEndEquity) {
  // Jan-24 ends at 1,02,000 (+2%), Feb-24 at 96,900 (−5% on 1,02,000), no March, Apr-24 at
  // 1,01,745 (+5% on 96,900), Jan-25 at 50,872.50 (−50%). 2024: +1.745%; 2025: −50%.
  const std::vector<DailyPnl> days = {Day(2024, 1, 2, "101000"),  Day(2024, 1, 31, "102000"),
                                      Day(2024, 2, 1, "100000"),  Day(2024, 2, 29, "96900"),
                                      Day(2024, 4, 15, "101745"), Day(2025, 1, 10, "50872.50")};
  const MonthlyReturns r = ComputeMonthlyReturns(Inr("100000"), days);
  ASSERT_EQ(r.months.size(), 4u);
  EXPECT_EQ(r.months[0].year, 2024);
  EXPECT_EQ(r.months[0].month, 1);
  EXPECT_NEAR(r.months[0].pct, 2.0, 1e-9);
  EXPECT_EQ(r.months[1].month, 2);
  EXPECT_NEAR(r.months[1].pct, -5.0, 1e-9);
  EXPECT_EQ(r.months[2].month, 4);
  EXPECT_NEAR(r.months[2].pct, 5.0, 1e-9);
  EXPECT_EQ(r.months[3].year, 2025);
  EXPECT_EQ(r.months[3].month, 1);
  EXPECT_NEAR(r.months[3].pct, -50.0, 1e-9);
  ASSERT_EQ(r.years.size(), 2u);
  EXPECT_EQ(r.years[0].year, 2024);
  EXPECT_NEAR(r.years[0].pct, 1.745, 1e-9);
  EXPECT_EQ(r.years[1].year, 2025);
  EXPECT_NEAR(r.years[1].pct, -50.0, 1e-9);
  EXPECT_TRUE(ComputeMonthlyReturns(Inr("100000"), {}).months.empty());
}

TEST(ReportAnalytics, DailyReturnsAndRollingSharpe) {
  const std::vector<double> r =
      DailyReturns(Inr("100000"), {Day(2024, 1, 1, "101000"), Day(2024, 1, 2, "99990")});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_NEAR(r[0], 0.01, 1e-12);
  EXPECT_NEAR(r[1], -0.01, 1e-12);

  // Window 2 over 1%, 3%, 2%: mean 2% with deviation √2 % -> √2·√252; then mean 2.5% with
  // deviation √2/2 % -> 2.5·√2·√252.
  const std::vector<std::optional<double>> s = RollingSharpe({0.01, 0.03, 0.02}, 2);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_FALSE(s[0].has_value());
  ASSERT_TRUE(s[1].has_value());
  EXPECT_NEAR(*s[1], std::sqrt(2.0) * std::sqrt(252.0), 1e-9);
  ASSERT_TRUE(s[2].has_value());
  EXPECT_NEAR(*s[2], 2.5 * std::sqrt(2.0) * std::sqrt(252.0), 1e-9);
  // No deviation, no ratio; a window longer than the series, nothing.
  const auto flat = RollingSharpe({0.01, 0.01, 0.01}, 2);
  EXPECT_FALSE(flat[1].has_value());
  EXPECT_FALSE(flat[2].has_value());
  for (const auto& v : RollingSharpe({0.01, 0.02}, 63)) EXPECT_FALSE(v.has_value());
}

TEST(ReportAnalytics, HistogramBins) {
  const Histogram h = MakeHistogram({0, 1, 2, 3, 4, 5, 6, 7, 8}, 40);  // √9 = 3 bins
  EXPECT_DOUBLE_EQ(h.lo, 0.0);
  EXPECT_DOUBLE_EQ(h.width, 8.0 / 3.0);
  EXPECT_EQ(h.counts, (std::vector<std::size_t>{3, 3, 3}));
  const Histogram two = MakeHistogram({0, 1, 2, 3, 4, 5, 6, 7, 8}, 2);
  EXPECT_DOUBLE_EQ(two.width, 4.0);
  EXPECT_EQ(two.counts, (std::vector<std::size_t>{4, 5}));  // the maximum in the last bin
  const Histogram same = MakeHistogram({2, 2}, 40);
  EXPECT_NEAR(same.lo, 1.95, 1e-12);
  EXPECT_EQ(same.counts, (std::vector<std::size_t>{2}));
  EXPECT_TRUE(MakeHistogram({}, 40).counts.empty());
}

}  // namespace
}  // namespace nacre
