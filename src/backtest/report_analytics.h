// The figures report.html draws, computed from the recorder's series: the marked equity's
// drawdown (₹ and %), its worst drawdown episodes, monthly and yearly returns from end-of-day
// equity, daily returns, their distribution and a rolling Sharpe ratio. Money comparisons stay
// fixed point; returns and percentages are doubles (ratios of fixed-point values). Pure
// functions of their inputs, deterministic.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "backtest/results_recorder.h"
#include "backtest/statistics.h"

namespace nacre {

// Largest drawdown of the marked equity series (every sample the equity chart draws), the
// running peak starting at the starting balance. ₹ and % are separate maxima (they can come
// from different episodes, as in stats.json).
struct MarkedDrawdown {
  Money amount;      // largest peak − equity
  double pct = 0;    // largest (peak − equity) / peak × 100
  UnixNanos pct_at;  // sample of the largest % drawdown
};
MarkedDrawdown MaxMarkedDrawdown(Money starting_balance, const std::vector<EquitySample>& equity);

// Drawdown of each sample in percent of the running peak, ≤ 0 (−8.5 = 8.5% below the peak).
std::vector<double> DrawdownPctSeries(Money starting_balance,
                                      const std::vector<EquitySample>& equity);

// One drawdown: from the last sample at the peak to the first sample back at or above it.
struct DrawdownEpisode {
  UnixNanos start;                    // last sample at the peak (run start for the balance)
  UnixNanos trough;                   // deepest sample
  std::optional<UnixNanos> recovery;  // first sample ≥ the peak again; empty: not recovered
  Money peak;
  Money depth;           // peak − trough equity, > 0
  double depth_pct = 0;  // depth / peak × 100
  // IST calendar days from the start's date to the recovery's (or the last sample's) date.
  std::int64_t length_days = 0;
};
// The `n` deepest episodes by depth in % (ties: larger ₹ depth, then earlier start), deepest
// first. The run start (first sample's time) counts as a peak at the starting balance.
std::vector<DrawdownEpisode> WorstDrawdowns(Money starting_balance,
                                            const std::vector<EquitySample>& equity, std::size_t n);

// Month return = the month's last end-of-day equity / the previous month's (the starting
// balance for the first month) − 1, in percent; a year's return likewise from year-end
// equities. Months without a trading day are absent.
struct MonthReturn {
  int year = 0;
  int month = 0;  // 1..12
  double pct = 0;
};
struct YearReturn {
  int year = 0;
  double pct = 0;
};
struct MonthlyReturns {
  std::vector<MonthReturn> months;  // in date order
  std::vector<YearReturn> years;    // in date order
};
MonthlyReturns ComputeMonthlyReturns(Money starting_balance, const std::vector<DailyPnl>& days);

// r_i = E_i / E_{i−1} − 1 (fractions), E_0 the starting balance; one per day (a day after a
// zero or negative equity counts 0).
std::vector<double> DailyReturns(Money starting_balance, const std::vector<DailyPnl>& days);

// Sharpe over the `window` returns ending at each index (sample standard deviation, × √252);
// empty before the window is full and where the window's deviation is zero.
std::vector<std::optional<double>> RollingSharpe(const std::vector<double>& returns,
                                                 std::size_t window);

// Equal-width bins over [min, max] of `values`: ceil(√n) bins, at least 1 and at most
// `max_bins`; the maximum falls in the last bin. All values equal: one bin of width 0.1
// centred on them. No values: no bins.
struct Histogram {
  double lo = 0;
  double width = 0;
  std::vector<std::size_t> counts;
};
Histogram MakeHistogram(const std::vector<double>& values, std::size_t max_bins);

}  // namespace nacre
