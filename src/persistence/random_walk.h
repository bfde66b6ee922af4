// Seeded random-walk bar generator for demos and tests: 1-minute (or any minute step) bars
// over NSE-like sessions (09:15-15:30 IST, Monday to Friday), moving in whole ticks with
// integer-only arithmetic so the same seed gives the same bars on every machine.
#pragma once

#include <vector>

#include "model/data.h"

namespace nacre {

struct RandomWalkConfig {
  BarType bar_type;
  CivilDate start_date{2024, 1, 1};
  int days = 20;  // trading days (weekdays) to generate
  Price start_price = Price::Raw(21700 * kFixedScale, 2);
  Price tick_size = Price::Raw(5 * Pow10(kFixedPrecision - 2), 2);
  int ticks_per_step = 40;  // scale of one sub-step move, in ticks (~volatility)
  int steps_per_bar = 4;    // sub-steps per bar (shape of high/low)
  std::uint64_t seed = 7;
};

std::vector<Bar> GenerateRandomWalkBars(const RandomWalkConfig& config);

}  // namespace nacre
