// Entry planning for OptionsSpreadStrategy (its EntryManager): choose the expiry by days to
// expiry, analyse that chain from quotes (forward, IVs, deltas), pick the short strike by target
// delta or distance out of the money, the wing by width, and price the spread at mid minus an
// edge. Also the margin estimate used to size it. Pure functions of the cache and clock: no
// orders are sent here. Kernel thread only.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/cache.h"
#include "nse/margin.h"
#include "pricing/chain.h"
#include "trading/spread.h"

namespace nacre {

enum class SpreadKind : std::uint8_t { kBullPut, kBearCall, kIronCondor };
std::string_view ToString(SpreadKind k);
std::optional<SpreadKind> ParseSpreadKind(std::string_view s);

struct EntryRules {
  InstrumentId underlying;
  double short_delta = 0.20;              // |delta| of the short leg; 0: use short_otm_points
  std::optional<Price> short_otm_points;  // distance of the short strike from the forward
  Price wing_width = Price::Raw(100 * kFixedScale, 0);
  int min_dte = 0;  // calendar days from today (IST) to the expiry date
  int max_dte = 7;
  std::int64_t entry_edge_ticks = 2;                  // limit credit = mid credit − edge
  Price min_credit = Price::Raw(5 * kFixedScale, 0);  // per unit, at mid
  double rate = 0.065;
};

struct EntryPlan {
  SpreadKind kind = SpreadKind::kBullPut;
  UnixNanos expiry;
  double forward = 0;
  std::vector<SpreadLeg> legs;
  std::vector<Instrument> instruments;
  Price credit_mid;    // per unit
  Price limit_credit;  // per unit, after the edge
  std::vector<Price> short_strikes;
  std::vector<double> leg_iv;   // implied vol per leg (the chain's smile at its strike)
  std::vector<double> leg_mid;  // mid price per leg
  double t_years = 0;
  std::string description;
};

class SpreadPlanner {
 public:
  explicit SpreadPlanner(EntryRules rules) : rules_(std::move(rules)) {}
  const EntryRules& rules() const { return rules_; }

  // The nearest listed expiry of the underlying whose days to expiry are within the rules.
  std::optional<UnixNanos> ChooseExpiry(const Cache& cache, UnixNanos now) const;
  // A plan, or the reason there is none (no expiry, no quotes, credit too small, ...).
  Result<EntryPlan> Plan(const Cache& cache, UnixNanos now, SpreadKind kind) const;

 private:
  EntryRules rules_;
};

// The most one lot of the planned spread can lose at expiry, net of the planned (limit) credit:
// empty when the loss is unbounded (a naked short leg); an error when the plan has no risk at
// all (a credit at or above the widest wing: crossed or stale quotes, never a real trade).
Result<std::optional<Money>> MaxLossPerLot(const EntryPlan& plan, UnixNanos now);

// Margin to block for one lot of a spread: the deployment side of sizing.
class SpreadMarginModel {
 public:
  virtual ~SpreadMarginModel() = default;
  virtual Result<Money> MarginPerLot(const EntryPlan& plan, const Cache& cache,
                                     UnixNanos now) const = 0;
};

// Defined-risk estimate: the spread's maximum loss for one lot at the planned credit (what a
// fully hedged spread can lose, and close to what NSE blocks for it after hedge benefit).
class MaxLossMarginModel final : public SpreadMarginModel {
 public:
  Result<Money> MarginPerLot(const EntryPlan& plan, const Cache& cache,
                             UnixNanos now) const override;
};

// NSE scenario SPAN + exposure margin (nse/margin.h) for one lot of the planned legs together,
// so the long wing's hedge benefit counts; plus the premium paid for long legs.
class NseSpanMarginModel final : public SpreadMarginModel {
 public:
  explicit NseSpanMarginModel(MarginParams params = {}) : params_(params) {}
  Result<Money> MarginPerLot(const EntryPlan& plan, const Cache& cache,
                             UnixNanos now) const override;

 private:
  MarginParams params_;
};

}  // namespace nacre
