#include "synth/path.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>

#include "persistence/bar_csv.h"

namespace nacre::synth {

namespace {

std::uint64_t SplitMix(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::uint64_t Rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

constexpr std::int64_t kTickRaw = 5 * Pow10(kFixedPrecision - 2);  // ₹0.05

// Nearest ₹0.05 (at least one tick) as a precision-2 Price.
Price IndexPrice(double v) {
  auto ticks = static_cast<std::int64_t>(std::llround(v * 20.0));
  if (ticks < 1) ticks = 1;
  return Price::Raw(ticks * kTickRaw, 2);
}

class SimulatedPath : public UnderlyingPath {
 public:
  SimulatedPath(const PathConfig& config, const NseCalendar& calendar, CivilDate start,
                CivilDate end, int interval_minutes, const BarType& bar_type, std::uint64_t seed)
      : config_(config),
        calendar_(calendar),
        days_(calendar.TradingDaysBetween(start, end)),
        interval_(interval_minutes),
        bar_type_(bar_type),
        rng_(seed ^ 0x5EED0F1A7Bull),
        price_(config.start_price) {
    const double steps_per_year = 252.0 * (375.0 / interval_minutes);
    const double jump_var = config.jump_prob_per_day * 252.0 * config.jump_vol * config.jump_vol;
    const double gap_var = 252.0 * config.overnight_vol * config.overnight_vol;
    const double total = config.annual_vol * config.annual_vol;
    const double intraday = std::max(total - jump_var - gap_var, total * 0.25);
    base_var_ = intraday / steps_per_year;
    var_ = base_var_;
    drift_ = config.annual_drift / steps_per_year;
    for (const CivilDate& d : days_) total_ += SessionSteps(calendar_, d, interval_).size();
  }

  std::uint64_t TotalSteps() const override { return total_; }

  Result<std::optional<PathStep>> Next() override {
    while (step_ >= steps_.size()) {
      if (day_ >= days_.size()) return std::optional<PathStep>();
      steps_ = SessionSteps(calendar_, days_[day_++], interval_);
      step_ = 0;
      first_ = true;
    }
    const std::size_t n = steps_.size();
    const double x = n > 1 ? static_cast<double>(step_) / static_cast<double>(n - 1) : 0.5;
    const double edge = (2 * x - 1) * (2 * x - 1);
    const double shape = (1 + config_.u_shape * edge) / (1 + config_.u_shape / 3.0);

    double open = price_;
    if (first_ && started_) {
      open *= std::exp(config_.overnight_vol * rng_.Normal());
      if (rng_.Uniform() < config_.jump_prob_per_day) {
        open *= std::exp(config_.jump_vol * rng_.Normal());
      }
    }
    const double z = rng_.Normal();
    const double shock = std::sqrt(var_) * z;
    double ret = drift_ + std::sqrt(shape) * shock;
    // An intraday jump now and then (a tenth of the jumps happen in session).
    if (rng_.Uniform() < config_.jump_prob_per_day * 0.1 / static_cast<double>(n)) {
      ret += config_.jump_vol * rng_.Normal();
    }
    var_ = (1 - config_.garch_alpha - config_.garch_beta) * base_var_ +
           config_.garch_alpha * shock * shock + config_.garch_beta * var_;
    const double close = open * std::exp(ret);
    const double step_sd = std::sqrt(var_ * shape);
    const double high = std::max(open, close) * std::exp(std::fabs(rng_.Normal()) * step_sd * 0.5);
    const double low = std::min(open, close) * std::exp(-std::fabs(rng_.Normal()) * step_sd * 0.5);
    price_ = close;
    started_ = true;

    PathStep out;
    out.first_of_day = first_;
    first_ = false;
    out.bar.bar_type = bar_type_;
    out.bar.open = IndexPrice(open);
    out.bar.close = IndexPrice(close);
    out.bar.high = std::max({IndexPrice(high), out.bar.open, out.bar.close});
    out.bar.low = std::min({IndexPrice(low), out.bar.open, out.bar.close});
    out.bar.volume = Quantity::Zero();
    out.bar.ts_event = steps_[step_];
    out.bar.ts_init = steps_[step_] + interval_ * kNanosPerMinute;
    ++step_;
    return std::optional<PathStep>(out);
  }

 private:
  PathConfig config_;
  const NseCalendar& calendar_;
  std::vector<CivilDate> days_;
  int interval_;
  BarType bar_type_;
  Rng rng_;
  double price_;
  double base_var_ = 0;
  double var_ = 0;
  double drift_ = 0;
  std::uint64_t total_ = 0;
  std::size_t day_ = 0;
  std::vector<UnixNanos> steps_;
  std::size_t step_ = 0;
  bool first_ = true;
  bool started_ = false;
};

class FileBarPath : public UnderlyingPath {
 public:
  explicit FileBarPath(std::vector<PathStep> steps) : steps_(std::move(steps)) {}
  std::uint64_t TotalSteps() const override { return steps_.size(); }
  Result<std::optional<PathStep>> Next() override {
    if (next_ >= steps_.size()) return std::optional<PathStep>();
    return std::optional<PathStep>(steps_[next_++]);
  }

 private:
  std::vector<PathStep> steps_;
  std::size_t next_ = 0;
};

}  // namespace

Rng::Rng(std::uint64_t seed) {
  std::uint64_t x = seed;
  for (std::uint64_t& s : s_) s = SplitMix(x);
}

std::uint64_t Rng::Next() {
  const std::uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

double Rng::Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

double Rng::Normal() {
  double u1 = Uniform();
  while (u1 <= 0.0) u1 = Uniform();
  const double u2 = Uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

std::vector<UnixNanos> SessionSteps(const NseCalendar& calendar, const CivilDate& date,
                                    int interval_minutes) {
  std::vector<UnixNanos> out;
  for (const SessionHours& s : calendar.SessionsFor(date)) {
    const UnixNanos open = SessionOpen(date, s);
    for (int m = s.open_minute; m + interval_minutes <= s.close_minute; m += interval_minutes) {
      out.push_back(open + static_cast<DurationNs>(m - s.open_minute) * kNanosPerMinute);
    }
  }
  return out;
}

std::unique_ptr<UnderlyingPath> MakeSimulatedPath(const PathConfig& config,
                                                  const NseCalendar& calendar, CivilDate start,
                                                  CivilDate end, int interval_minutes,
                                                  const BarType& bar_type, std::uint64_t seed) {
  return std::make_unique<SimulatedPath>(config, calendar, start, end, interval_minutes, bar_type,
                                         seed);
}

Result<std::unique_ptr<UnderlyingPath>> MakeFilePath(const std::string& csv_path,
                                                     const NseCalendar& calendar, CivilDate start,
                                                     CivilDate end, int interval_minutes,
                                                     const BarType& bar_type) {
  BarCsvOptions options;
  options.format = BarCsvFormat::kNseIndex1Min;
  options.bar_type = bar_type;
  auto loaded = LoadBarsCsv(csv_path, options);
  if (!loaded.ok()) return MakeError(loaded.error());
  std::map<std::int64_t, const Bar*> by_open;
  for (const Bar& b : *loaded) by_open[b.ts_event.value] = &b;

  std::vector<PathStep> steps;
  for (const CivilDate& d : calendar.TradingDaysBetween(start, end)) {
    bool first = true;
    for (UnixNanos t : SessionSteps(calendar, d, interval_minutes)) {
      const UnixNanos t_end = t + interval_minutes * kNanosPerMinute;
      auto it = by_open.lower_bound(t.value);
      std::optional<Bar> agg;
      for (; it != by_open.end() && it->first < t_end.value; ++it) {
        const Bar& b = *it->second;
        if (!agg) {
          agg = b;
        } else {
          agg->high = std::max(agg->high, b.high);
          agg->low = std::min(agg->low, b.low);
          agg->close = b.close;
        }
      }
      if (!agg) continue;
      agg->ts_event = t;
      agg->ts_init = t_end;
      agg->volume = Quantity::Zero();
      steps.push_back(PathStep{*agg, first});
      first = false;
    }
  }
  if (steps.empty()) {
    return MakeError(csv_path + ": no bars between " + FormatDate(start) + " and " +
                     FormatDate(end) + " on the calendar's sessions");
  }
  return std::unique_ptr<UnderlyingPath>(std::make_unique<FileBarPath>(std::move(steps)));
}

}  // namespace nacre::synth
