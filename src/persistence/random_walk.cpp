#include "persistence/random_walk.h"

#include <algorithm>
#include <random>

namespace nacre {

namespace {

// Approximately normal integer in units of 1/1000, from the sum of 12 uniform draws
// (Irwin-Hall): mean 0, standard deviation 1000. Integer-only, so portable.
std::int64_t NormalMilli(std::mt19937_64& rng) {
  std::int64_t sum = 0;
  for (int i = 0; i < 12; ++i) sum += static_cast<std::int64_t>(rng() % 1000);
  return sum - 5994;  // centre: 12 draws of mean 499.5
}

}  // namespace

std::vector<Bar> GenerateRandomWalkBars(const RandomWalkConfig& c) {
  std::vector<Bar> bars;
  std::mt19937_64 rng(c.seed);
  const std::int64_t tick = c.tick_size.raw();
  const int precision = c.start_price.precision();
  std::int64_t price = c.start_price.raw() / tick;  // in ticks
  const DurationNs interval = c.bar_type.spec().Interval();
  const std::int64_t session_bars = (6 * 60 + 15) * kNanosPerMinute / interval;  // 09:15-15:30
  std::int64_t day = DaysFromCivil(c.start_date);
  int generated_days = 0;
  bars.reserve(static_cast<std::size_t>(c.days * session_bars));
  while (generated_days < c.days) {
    const CivilDate date = CivilFromDays(day++);
    if (Weekday(date) >= 5) continue;
    ++generated_days;
    // Overnight gap: a larger move at the open.
    price += NormalMilli(rng) * c.ticks_per_step * 3 / 1000;
    const UnixNanos open_time = FromIst(CivilDateTime{date, 9, 15, 0, 0});
    for (std::int64_t k = 0; k < session_bars; ++k) {
      const std::int64_t open = std::max<std::int64_t>(price, 1);
      std::int64_t hi = open;
      std::int64_t lo = open;
      std::int64_t p = open;
      for (int s = 0; s < c.steps_per_bar; ++s) {
        p += NormalMilli(rng) * c.ticks_per_step / 1000;
        p = std::max<std::int64_t>(p, 1);
        hi = std::max(hi, p);
        lo = std::min(lo, p);
      }
      price = p;
      const UnixNanos ts = open_time + k * interval;
      bars.push_back(Bar{c.bar_type, Price::Raw(open * tick, precision),
                         Price::Raw(hi * tick, precision), Price::Raw(lo * tick, precision),
                         Price::Raw(p * tick, precision), Quantity::FromInt(0), ts, ts + interval});
    }
  }
  return bars;
}

}  // namespace nacre
