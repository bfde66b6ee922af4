#include "backtest/report_analytics.h"

#include <algorithm>
#include <cmath>

namespace nacre {

namespace {

double Ratio(const Money& a, const Money& b) {
  return static_cast<double>(a.raw()) / static_cast<double>(b.raw());
}

double PctOf(const Money& part, const Money& whole) {
  return whole.raw() > 0 ? Ratio(part, whole) * 100.0 : 0.0;
}

std::int64_t IstDays(UnixNanos from, UnixNanos to) {
  return IstDayNumber(to) - IstDayNumber(from);
}

}  // namespace

MarkedDrawdown MaxMarkedDrawdown(Money starting_balance, const std::vector<EquitySample>& equity) {
  MarkedDrawdown out;
  Money peak = starting_balance;
  for (const EquitySample& s : equity) {
    const Money e = s.equity();
    if (e > peak) peak = e;
    const Money dd = peak - e;
    if (dd > out.amount) out.amount = dd;
    const double pct = PctOf(dd, peak);
    if (pct > out.pct) {
      out.pct = pct;
      out.pct_at = s.ts;
    }
  }
  return out;
}

std::vector<double> DrawdownPctSeries(Money starting_balance,
                                      const std::vector<EquitySample>& equity) {
  std::vector<double> out;
  out.reserve(equity.size());
  Money peak = starting_balance;
  for (const EquitySample& s : equity) {
    const Money e = s.equity();
    if (e > peak) peak = e;
    out.push_back(-PctOf(peak - e, peak));
  }
  return out;
}

std::vector<DrawdownEpisode> WorstDrawdowns(Money starting_balance,
                                            const std::vector<EquitySample>& equity,
                                            std::size_t n) {
  std::vector<DrawdownEpisode> all;
  if (equity.empty()) return all;
  Money peak = starting_balance;
  UnixNanos peak_ts = equity.front().ts;
  std::optional<DrawdownEpisode> open;
  for (const EquitySample& s : equity) {
    const Money e = s.equity();
    if (e >= peak) {
      if (open) {
        open->recovery = s.ts;
        open->length_days = IstDays(open->start, s.ts);
        all.push_back(*open);
        open.reset();
      }
      peak = e;
      peak_ts = s.ts;
      continue;
    }
    const Money depth = peak - e;
    if (!open) {
      open = DrawdownEpisode{peak_ts, s.ts, std::nullopt, peak, depth, PctOf(depth, peak), 0};
    } else if (depth > open->depth) {
      open->trough = s.ts;
      open->depth = depth;
      open->depth_pct = PctOf(depth, peak);
    }
  }
  if (open) {
    open->length_days = IstDays(open->start, equity.back().ts);
    all.push_back(*open);
  }
  std::stable_sort(all.begin(), all.end(), [](const DrawdownEpisode& a, const DrawdownEpisode& b) {
    if (a.depth_pct != b.depth_pct) return a.depth_pct > b.depth_pct;
    if (a.depth != b.depth) return a.depth > b.depth;
    return a.start < b.start;
  });
  if (all.size() > n) all.resize(n);
  return all;
}

MonthlyReturns ComputeMonthlyReturns(Money starting_balance, const std::vector<DailyPnl>& days) {
  MonthlyReturns out;
  Money month_open = starting_balance;
  Money year_open = starting_balance;
  for (std::size_t i = 0; i < days.size(); ++i) {
    const DailyPnl& d = days[i];
    const bool last_of_month = i + 1 == days.size() || days[i + 1].date.month != d.date.month ||
                               days[i + 1].date.year != d.date.year;
    if (!last_of_month) continue;
    const double m = month_open.raw() > 0 ? (Ratio(d.equity, month_open) - 1.0) * 100.0 : 0.0;
    out.months.push_back(MonthReturn{d.date.year, d.date.month, m});
    month_open = d.equity;
    const bool last_of_year = i + 1 == days.size() || days[i + 1].date.year != d.date.year;
    if (!last_of_year) continue;
    const double y = year_open.raw() > 0 ? (Ratio(d.equity, year_open) - 1.0) * 100.0 : 0.0;
    out.years.push_back(YearReturn{d.date.year, y});
    year_open = d.equity;
  }
  return out;
}

std::vector<double> DailyReturns(Money starting_balance, const std::vector<DailyPnl>& days) {
  std::vector<double> r;
  r.reserve(days.size());
  Money prev = starting_balance;
  for (const DailyPnl& d : days) {
    r.push_back(prev.raw() > 0 ? Ratio(d.equity - prev, prev) : 0.0);
    prev = d.equity;
  }
  return r;
}

std::vector<std::optional<double>> RollingSharpe(const std::vector<double>& returns,
                                                 std::size_t window) {
  std::vector<std::optional<double>> out(returns.size());
  if (window < 2) return out;
  for (std::size_t i = window - 1; i < returns.size(); ++i) {
    double sum = 0;
    for (std::size_t k = i + 1 - window; k <= i; ++k) sum += returns[k];
    const double mean = sum / static_cast<double>(window);
    double ss = 0;
    for (std::size_t k = i + 1 - window; k <= i; ++k) {
      ss += (returns[k] - mean) * (returns[k] - mean);
    }
    const double sd = std::sqrt(ss / static_cast<double>(window - 1));
    if (sd > 0) out[i] = mean / sd * std::sqrt(252.0);
  }
  return out;
}

Histogram MakeHistogram(const std::vector<double>& values, std::size_t max_bins) {
  Histogram h;
  if (values.empty() || max_bins == 0) return h;
  const auto [mn, mx] = std::minmax_element(values.begin(), values.end());
  if (*mx - *mn <= 0) {
    h.lo = *mn - 0.05;
    h.width = 0.1;
    h.counts.assign(1, values.size());
    return h;
  }
  const auto want =
      static_cast<std::size_t>(std::ceil(std::sqrt(static_cast<double>(values.size()))));
  const std::size_t bins = std::clamp<std::size_t>(want, 1, max_bins);
  h.lo = *mn;
  h.width = (*mx - *mn) / static_cast<double>(bins);
  h.counts.assign(bins, 0);
  for (double v : values) {
    auto b = static_cast<std::size_t>((v - h.lo) / h.width);
    if (b >= bins) b = bins - 1;
    ++h.counts[b];
  }
  return h;
}

}  // namespace nacre
