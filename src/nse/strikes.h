// StrikeGrid: which strikes an index option series lists around the money. Strikes are
// multiples of `step` within `near_width` of the at-the-money strike and multiples of
// `far_step` beyond it (NSE lists wider steps far out). All arithmetic is on fixed-point raw
// values; no doubles. NIFTY defaults: step 50; far_step 100 beyond 2,000 points from ATM
// (the far band is unverified: a configurable parameter).
// Invariants: step > 0; far_step a positive multiple of step; near_width >= 0.
// Immutable value; thread-safe.
#pragma once

#include <optional>
#include <vector>

#include "core/result.h"
#include "model/money.h"

namespace nacre {

class StrikeGrid {
 public:
  static Result<StrikeGrid> Make(Price step, Price far_step, Price near_width);
  // A uniform grid: every multiple of `step`.
  static Result<StrikeGrid> Uniform(Price step);
  static StrikeGrid Nifty();

  Price step() const { return step_; }
  Price far_step() const { return far_step_; }
  Price near_width() const { return near_width_; }

  // The multiple of `step` nearest `spot`; a spot exactly between two strikes rounds up.
  Price AtmStrike(Price spot) const;
  // True when `strike` is listed on a grid centred on `atm`.
  bool IsStrike(Price strike, Price atm) const;
  // The next listed strike above / below `strike` (nullopt below the first positive strike).
  Price NextStrike(Price strike, Price atm) const;
  std::optional<Price> PreviousStrike(Price strike, Price atm) const;
  // Listed strikes k with low <= k <= high on a grid centred on `atm`, ascending.
  std::vector<Price> StrikesBetween(Price low, Price high, Price atm) const;
  // The ATM strike of `spot` and `n` listed strikes on each side, ascending (fewer below when
  // the grid reaches zero).
  std::vector<Price> StrikesAround(Price spot, int n) const;

 private:
  StrikeGrid(Price step, Price far_step, Price near_width)
      : step_(step), far_step_(far_step), near_width_(near_width) {}

  Price step_;
  Price far_step_;
  Price near_width_;
};

}  // namespace nacre
