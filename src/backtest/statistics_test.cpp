// Statistics against hand-computed series: drawdown in rupees, percent and duration (with and
// without recovery), CAGR and Calmar over an exact two-year span, Sharpe/Sortino on daily
// returns, per-trade figures, and the empty cases (no trades, no days) giving nulls.
#include "backtest/statistics.h"

#include <gtest/gtest.h>

#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::Inr;

DailyPnl Day(int y, int m, int d, const char* equity) {
  DailyPnl p;
  p.date = CivilDate{y, m, d};
  p.equity = Inr(equity);
  return p;
}

// Equity 1,00,000 -> 1,10,000 (peak 01-01) -> 99,000 (-10%) -> 1,04,500 -> 1,10,000 (recovered
// 01-10: 9 days) -> 1,05,000 -> 1,05,000 (still under water on 01-15: 4 days).
StatisticsInput Series() {
  StatisticsInput in;
  in.starting_balance = Inr("100000");
  in.start = FromIst(2024, 1, 1, 9, 15);
  in.end = in.start + static_cast<DurationNs>(2 * 365.25 * 24) * kNanosPerHour;  // two years
  in.days = {Day(2024, 1, 1, "110000"),  Day(2024, 1, 2, "99000"),   Day(2024, 1, 5, "104500"),
             Day(2024, 1, 10, "110000"), Day(2024, 1, 11, "105000"), Day(2024, 1, 15, "105000")};
  in.days[0].realized = Inr("10010");
  in.total_charges = Inr("10");
  return in;
}

TEST(Statistics, DrawdownRupeesPercentAndDuration) {
  const Statistics s = ComputeStatistics(Series());
  EXPECT_EQ(s.max_drawdown, Inr("11000"));
  EXPECT_DOUBLE_EQ(s.max_drawdown_pct, 10.0);
  EXPECT_EQ(s.max_drawdown_duration_days, 9);  // 2024-01-01 peak, recovered 2024-01-10
  EXPECT_EQ(s.final_equity, Inr("105000"));
}

TEST(Statistics, MaxDrawdownComesFromTheMarkedSeriesAndTheDailyCloseFigureIsKeptApart) {
  StatisticsInput in = Series();
  // Intraday on 01-02 the marks went 12,500 (12.5 %) below the 1,10,000 peak before closing at
  // 99,000: the headline is the marked figure, the daily-close one stays as computed.
  in.marked_max_drawdown = std::make_pair(Inr("12500"), 12.5);
  const Statistics s = ComputeStatistics(in);
  EXPECT_EQ(s.max_drawdown, Inr("12500"));
  EXPECT_DOUBLE_EQ(s.max_drawdown_pct, 12.5);
  EXPECT_EQ(s.max_drawdown_daily_close, Inr("11000"));
  EXPECT_DOUBLE_EQ(s.max_drawdown_daily_close_pct, 10.0);
  ASSERT_TRUE(s.calmar.has_value());
  EXPECT_NEAR(*s.calmar, 0.02469507659595993 / 0.125, 1e-11);  // CAGR / the marked 12.5 %
  const std::string json = StatisticsJson(s);
  EXPECT_NE(json.find("\"max_drawdown\": 12500.00,"), std::string::npos) << json;
  EXPECT_NE(json.find("\"max_drawdown_daily_close\": 11000.00,"), std::string::npos) << json;
}

TEST(Statistics, UnrecoveredDrawdownRunsToTheLastDay) {
  StatisticsInput in = Series();
  in.days = {Day(2024, 1, 1, "100000"), Day(2024, 1, 2, "95000"), Day(2024, 1, 31, "97000")};
  const Statistics s = ComputeStatistics(in);
  EXPECT_EQ(s.max_drawdown, Inr("5000"));
  EXPECT_DOUBLE_EQ(s.max_drawdown_pct, 5.0);
  EXPECT_EQ(s.max_drawdown_duration_days, 30);  // peak on 01-01 (equal to start), never regained
}

TEST(Statistics, LossOnTheFirstDayCountsFromTheStartingBalance) {
  StatisticsInput in = Series();
  in.days = {Day(2024, 1, 1, "98000"), Day(2024, 1, 3, "100000")};
  const Statistics s = ComputeStatistics(in);
  EXPECT_EQ(s.max_drawdown, Inr("2000"));
  EXPECT_EQ(s.max_drawdown_duration_days, 3);  // start counts as 2023-12-31's close
}

TEST(Statistics, CagrAndCalmar) {
  const Statistics s = ComputeStatistics(Series());
  ASSERT_TRUE(s.cagr.has_value());
  EXPECT_NEAR(*s.cagr, 0.02469507659595993, 1e-12);  // sqrt(1.05) - 1
  ASSERT_TRUE(s.calmar.has_value());
  EXPECT_NEAR(*s.calmar, 0.2469507659595993, 1e-11);  // CAGR / 10 %
}

TEST(Statistics, SharpeAndSortinoOnDailyReturns) {
  const Statistics s = ComputeStatistics(Series());
  EXPECT_EQ(s.days, 6u);
  EXPECT_NEAR(s.returns_avg, 0.010455431508063107, 1e-15);
  EXPECT_NEAR(s.returns_volatility, 1.17228102535398, 1e-12);
  ASSERT_TRUE(s.sharpe.has_value());
  EXPECT_NEAR(*s.sharpe, 2.2475572691593406, 1e-12);
  ASSERT_TRUE(s.sortino.has_value());
  EXPECT_NEAR(*s.sortino, 3.701128078431992, 1e-12);
}

TEST(Statistics, PerTradeFigures) {
  StatisticsInput in = Series();
  in.trade_pnls = {Inr("300"), Inr("-100"), Inr("200"), Inr("-50"), Inr("0")};
  in.long_trades = 3;
  const Statistics s = ComputeStatistics(in);
  EXPECT_EQ(s.trades, 5u);
  EXPECT_EQ(s.winners, 2u);
  EXPECT_EQ(s.losers, 2u);     // a zero P&L is neither a win nor a loss
  EXPECT_EQ(s.breakeven, 1u);
  EXPECT_EQ(s.pnl_total, Inr("350"));
  EXPECT_DOUBLE_EQ(s.pnl_pct, 0.35);
  ASSERT_TRUE(s.win_rate && s.profit_factor && s.expectancy && s.long_ratio);
  EXPECT_DOUBLE_EQ(*s.win_rate, 0.4);
  EXPECT_DOUBLE_EQ(*s.profit_factor, 500.0 / 150.0);
  EXPECT_DOUBLE_EQ(*s.expectancy, 250 * 0.4 + -75 * 0.4);  // = 350 / 5 per trade
  EXPECT_DOUBLE_EQ(*s.long_ratio, 0.6);
  EXPECT_EQ(s.max_winner, Inr("300"));
  EXPECT_EQ(s.min_winner, Inr("200"));
  EXPECT_EQ(s.avg_winner, Inr("250"));
  EXPECT_EQ(s.max_loser, Inr("-100"));
  EXPECT_EQ(s.min_loser, Inr("-50"));
  EXPECT_EQ(s.avg_loser, Inr("-75"));
  EXPECT_EQ(s.total_charges, Inr("10"));
  ASSERT_TRUE(s.charges_pct_of_gross.has_value());
  EXPECT_DOUBLE_EQ(*s.charges_pct_of_gross, 10.0 / 10010.0 * 100.0);
}

// Annualised figures need at least a month: a 5-minute run with a 1% gain has no CAGR.
TEST(Statistics, NoCagrForRunsShorterThanAMonth) {
  StatisticsInput in = Series();
  in.end = in.start + 5 * kNanosPerMinute;
  EXPECT_FALSE(ComputeStatistics(in).cagr.has_value());
  EXPECT_FALSE(ComputeStatistics(in).calmar.has_value());
  in.end = in.start + 29 * kNanosPerDay;
  EXPECT_FALSE(ComputeStatistics(in).cagr.has_value());
  in.end = in.start + 30 * kNanosPerDay;
  EXPECT_TRUE(ComputeStatistics(in).cagr.has_value());
}

TEST(Statistics, NoLosersMeansNoProfitFactor) {
  StatisticsInput in = Series();
  in.trade_pnls = {Inr("1")};
  const Statistics s = ComputeStatistics(in);
  EXPECT_FALSE(s.profit_factor.has_value());
  EXPECT_DOUBLE_EQ(*s.win_rate, 1.0);
}

TEST(Statistics, EmptyRunGivesNullRatios) {
  StatisticsInput in;
  in.starting_balance = Inr("100000");
  const Statistics s = ComputeStatistics(in);
  EXPECT_EQ(s.trades, 0u);
  EXPECT_FALSE(s.win_rate.has_value());
  EXPECT_FALSE(s.sharpe.has_value());
  EXPECT_FALSE(s.sortino.has_value());
  EXPECT_FALSE(s.cagr.has_value());
  EXPECT_FALSE(s.calmar.has_value());
  EXPECT_EQ(s.max_drawdown, Money());
  EXPECT_EQ(s.final_equity, Inr("100000"));
  const std::string json = StatisticsJson(s);
  EXPECT_NE(json.find("\"sharpe\": null"), std::string::npos) << json;
  EXPECT_NE(json.find("\"starting_balance\": 100000.00"), std::string::npos) << json;
}

TEST(Statistics, FlatEquityHasNoSharpe) {
  StatisticsInput in = Series();
  in.days = {Day(2024, 1, 1, "100000"), Day(2024, 1, 2, "100000")};
  const Statistics s = ComputeStatistics(in);
  EXPECT_FALSE(s.sharpe.has_value());
  EXPECT_FALSE(s.sortino.has_value());
  EXPECT_FALSE(s.calmar.has_value());  // no drawdown
  EXPECT_EQ(s.max_drawdown_duration_days, 0);
}

TEST(Statistics, FillDrawdownsFromRunningPeak) {
  std::vector<DailyPnl> days = Series().days;
  FillDrawdowns(Inr("100000"), days);
  EXPECT_EQ(days[0].drawdown, Money());
  EXPECT_EQ(days[1].drawdown, Inr("11000"));
  EXPECT_DOUBLE_EQ(days[1].drawdown_pct, 10.0);
  EXPECT_EQ(days[4].drawdown, Inr("5000"));
}

}  // namespace
}  // namespace nacre
