#include "nse/strikes.h"

#include <fmt/format.h>

#include <optional>

namespace nacre {

namespace {

// Strikes carry the step's precision (at least 2, the NSE price precision).
int StrikePrecision(Price step) { return step.precision() > 2 ? step.precision() : 2; }

}  // namespace

Result<StrikeGrid> StrikeGrid::Make(Price step, Price far_step, Price near_width) {
  if (!step.is_positive())
    return MakeError(fmt::format("strike grid: step {} must be positive", step.ToString()));
  if (!far_step.is_positive() || far_step.raw() % step.raw() != 0) {
    return MakeError(fmt::format("strike grid: far step {} must be a positive multiple of {}",
                                 far_step.ToString(), step.ToString()));
  }
  if (near_width.raw() < 0)
    return MakeError(fmt::format("strike grid: near width {} is negative", near_width.ToString()));
  return StrikeGrid(step, far_step, near_width);
}

Result<StrikeGrid> StrikeGrid::Uniform(Price step) { return Make(step, step, Price::Raw(0, 0)); }

StrikeGrid StrikeGrid::Nifty() {
  return *Make(Price::Raw(50 * kFixedScale, 0), Price::Raw(100 * kFixedScale, 0),
               Price::Raw(2000 * kFixedScale, 0));
}

Price StrikeGrid::AtmStrike(Price spot) const {
  const std::int64_t s = step_.raw();
  std::int64_t q = spot.raw() / s;
  if (spot.raw() % s != 0 && 2 * (spot.raw() - q * s) >= s) ++q;
  return Price::Raw(q * s, StrikePrecision(step_));
}

bool StrikeGrid::IsStrike(Price strike, Price atm) const {
  const std::int64_t k = strike.raw();
  if (k <= 0 || k % step_.raw() != 0) return false;
  const std::int64_t distance = k > atm.raw() ? k - atm.raw() : atm.raw() - k;
  return distance <= near_width_.raw() || k % far_step_.raw() == 0;
}

Price StrikeGrid::NextStrike(Price strike, Price atm) const {
  // The first multiple of step above strike, then onwards until it is listed (at most
  // far_step / step tries).
  const std::int64_t s = step_.raw();
  std::int64_t k = (strike.raw() >= 0 ? strike.raw() / s + 1 : strike.raw() / s) * s;
  while (!IsStrike(Price::Raw(k, 0), atm)) k += s;
  return Price::Raw(k, StrikePrecision(step_));
}

std::optional<Price> StrikeGrid::PreviousStrike(Price strike, Price atm) const {
  const std::int64_t s = step_.raw();
  std::int64_t k = strike.raw() % s == 0 ? strike.raw() - s : strike.raw() / s * s;
  while (k > 0 && !IsStrike(Price::Raw(k, 0), atm)) k -= s;
  if (k <= 0) return std::nullopt;
  return Price::Raw(k, StrikePrecision(step_));
}

std::vector<Price> StrikeGrid::StrikesBetween(Price low, Price high, Price atm) const {
  std::vector<Price> out;
  if (high < low) return out;
  Price k = NextStrike(low - Price::Raw(1, 0), atm);  // the first listed strike >= low
  for (; k <= high; k = NextStrike(k, atm)) out.push_back(k);
  return out;
}

std::vector<Price> StrikeGrid::StrikesAround(Price spot, int n) const {
  const Price atm = AtmStrike(spot);
  std::vector<Price> below;
  Price k = atm;
  for (int i = 0; i < n; ++i) {
    auto prev = PreviousStrike(k, atm);
    if (!prev) break;
    below.push_back(*prev);
    k = *prev;
  }
  std::vector<Price> out(below.rbegin(), below.rend());
  if (atm.is_positive()) out.push_back(atm);
  k = atm;
  for (int i = 0; i < n; ++i) {
    k = NextStrike(k, atm);
    out.push_back(k);
  }
  return out;
}

}  // namespace nacre
