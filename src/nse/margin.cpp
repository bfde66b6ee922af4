#include "nse/margin.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "core/fixed.h"
#include "pricing/black.h"

namespace nacre {

namespace {

struct Scenario {
  double move;    // multiple of the price scan range
  int vol_sign;   // +1 up, -1 down, 0 unchanged
  double weight;  // share of the loss that counts
};

// SPAN's 16 risk-array scenarios.
constexpr std::size_t kScenarios = kMarginScenarios;
using Scenarios16 = std::array<Scenario, kScenarios>;
using PnlRow = ScenarioRow;

Scenarios16 Scenarios(const MarginParams& p) {
  Scenarios16 s{};
  std::size_t n = 0;
  for (double m : {0.0, 1.0 / 3, -1.0 / 3, 2.0 / 3, -2.0 / 3, 1.0, -1.0}) {
    s[n++] = {m, +1, 1.0};
    s[n++] = {m, -1, 1.0};
  }
  s[n++] = {p.extreme_multiple, 0, p.extreme_weight};
  s[n++] = {-p.extreme_multiple, 0, p.extreme_weight};
  return s;
}

struct Scan {
  double price = 0;
  double vol = 0;
};

Scan ScanRanges(const MarginInput& in, const MarginParams& p) {
  const double daily = in.annual_vol > 0 ? in.annual_vol / std::sqrt(365.0) : 0.0;
  Scan s;
  s.price = in.underlying.AsDouble() * std::max(p.scan_sigma_multiple * daily, p.min_scan_fraction);
  s.vol = std::max(p.vol_scan_fraction * in.annual_vol, p.min_vol_scan);
  return s;
}

// One leg's P&L in every scenario, unweighted: quantity × (revalued − current), or quantity ×
// the leg's cached per-unit P&L.
void LegPnl(const MarginLeg& leg, double underlying, const Scan& scan, const MarginParams& p,
            const Scenarios16& scenarios, PnlRow& out) {
  const double qty = static_cast<double>(leg.quantity);
  if (leg.unit_pnl != nullptr) {
    for (std::size_t i = 0; i < kScenarios; ++i) out[i] = qty * (*leg.unit_pnl)[i];
    return;
  }
  if (leg.kind == MarginLegKind::kFuture) {
    for (std::size_t i = 0; i < kScenarios; ++i) {
      const double s = underlying + scenarios[i].move * scan.price;
      out[i] = qty * (std::max(s, 0.0) - underlying);
    }
    return;
  }
  // Black-76 at rate 0 (its discount factor is exactly 1), with √T taken once and log(F/K)
  // once per forward (the scenarios come in pairs on one forward): the same values as
  // Black76Price at every scenario.
  const bool call = leg.option_kind == OptionKind::kCall;
  const double t = std::max(leg.t_years, 0.0);
  const double sqrt_t = std::sqrt(t);
  double last_f = std::numeric_limits<double>::quiet_NaN();
  double log_fk = 0;
  auto value = [&](double f, double vol) {
    if (t <= 0 || vol <= 0) {
      return call ? std::max(f - leg.strike, 0.0) : std::max(leg.strike - f, 0.0);
    }
    if (!(f == last_f)) {
      log_fk = std::log(f / leg.strike);
      last_f = f;
    }
    return pricing::UndiscountedBlack76(call, f, leg.strike, log_fk, vol * sqrt_t);
  };
  const double base = value(underlying, leg.vol);
  for (std::size_t i = 0; i < kScenarios; ++i) {
    const Scenario& sc = scenarios[i];
    const double s = underlying + sc.move * scan.price;
    const double vol = std::max(leg.vol + sc.vol_sign * scan.vol, p.min_vol);
    const double moved = value(std::max(s, 0.0), vol);
    out[i] = qty * (moved - base);
  }
}

// Weighted loss of the legs' P&L rows in every scenario (positive = loss), the legs added in
// order.
PnlRow Losses(const PnlRow* pnls, std::size_t legs, const Scenarios16& scenarios) {
  PnlRow out{};
  for (std::size_t i = 0; i < kScenarios; ++i) {
    double pnl = 0;
    for (std::size_t l = 0; l < legs; ++l) pnl += pnls[l][i];
    out[i] = -pnl * scenarios[i].weight;
  }
  return out;
}

// The weighted loss of one leg alone in every scenario.
PnlRow LegLosses(const PnlRow& pnl, const Scenarios16& scenarios) {
  PnlRow out{};
  for (std::size_t i = 0; i < kScenarios; ++i) out[i] = -pnl[i] * scenarios[i].weight;
  return out;
}

// Every leg's P&L rows: in `small` (no allocation) for up to 8 legs, else in `big`.
struct LegRows {
  std::array<PnlRow, 8> small;
  std::vector<PnlRow> big;
  PnlRow* Make(const std::vector<MarginLeg>& legs, double underlying, const Scan& scan,
               const MarginParams& p, const Scenarios16& scenarios) {
    PnlRow* rows = small.data();
    if (legs.size() > small.size()) {
      big.resize(legs.size());
      rows = big.data();
    }
    for (std::size_t l = 0; l < legs.size(); ++l) {
      LegPnl(legs[l], underlying, scan, p, scenarios, rows[l]);
    }
    return rows;
  }
};

double WorstLoss(const PnlRow& losses, int* worst) {
  double w = 0;
  if (worst != nullptr) *worst = -1;
  for (std::size_t i = 0; i < losses.size(); ++i) {
    if (losses[i] > w) {
      w = losses[i];
      if (worst != nullptr) *worst = static_cast<int>(i);
    }
  }
  return w;
}

bool Finite(double v) { return std::isfinite(v); }

// A fraction (e.g. 0.02) at kFixedScale: 9 decimals, exact for the configured values.
Int128 FractionRaw(double f) { return static_cast<Int128>(std::llround(f * kFixedScale)); }


}  // namespace

Money CeilToPaisa(double rupees) {
  if (!(rupees > 0)) return Money::Zero();
  // A hair of tolerance so that exact paise computed in floating point are not bumped up.
  const double paise = std::ceil(rupees * 100.0 - 1e-6);
  return Money::FromRaw(static_cast<std::int64_t>(paise) * (kFixedScale / 100));
}

Money CeilRawToPaisa(Int128 raw, Int128 divisor) {
  // raw / divisor is rupees at kFixedScale; one paisa is kFixedScale / 100 of it.
  const Int128 paisa = divisor * (kFixedScale / 100);
  if (raw <= 0) return Money::Zero();
  const Int128 paise = (raw + paisa - 1) / paisa;
  return Money::FromRaw(static_cast<std::int64_t>(paise * (kFixedScale / 100)));
}

ScenarioRow UnitScenarioPnl(const MarginLeg& leg, const MarginInput& input,
                            const MarginParams& params) {
  MarginLeg unit = leg;
  unit.quantity = 1;
  unit.unit_pnl = nullptr;
  PnlRow row{};
  LegPnl(unit, input.underlying.AsDouble(), ScanRanges(input, params), params, Scenarios(params),
         row);
  return row;
}

std::vector<double> ScenarioLosses(const MarginInput& input, const MarginParams& params) {
  const Scenarios16 scenarios = Scenarios(params);
  LegRows rows;
  const PnlRow losses = Losses(rows.Make(input.legs, input.underlying.AsDouble(),
                                         ScanRanges(input, params), params, scenarios),
                               input.legs.size(), scenarios);
  return {losses.begin(), losses.end()};
}

Result<MarginResult> ComputeMargin(const MarginInput& input, const MarginParams& p) {
  if (input.underlying.raw() <= 0) {
    return MakeError(
        fmt::format("margin: underlying must be positive, got {}", input.underlying.ToString()));
  }
  if (!Finite(input.annual_vol) || input.annual_vol < 0) {
    return MakeError(fmt::format("margin: annual vol must be >= 0, got {}", input.annual_vol));
  }
  for (std::size_t i = 0; i < input.legs.size(); ++i) {
    const MarginLeg& l = input.legs[i];
    if (l.kind == MarginLegKind::kOption &&
        (!Finite(l.strike) || l.strike <= 0 || !Finite(l.t_years) || l.t_years < 0 ||
         !Finite(l.vol) || l.vol < 0 || l.price.raw() < 0)) {
      return MakeError(fmt::format(
          "margin: leg {} needs strike > 0, t_years >= 0, vol >= 0 and price >= 0 (got strike "
          "{}, t {}, vol {}, price {})",
          i, l.strike, l.t_years, l.vol, l.price.ToString()));
    }
    if (l.kind == MarginLegKind::kFuture && l.price.raw() <= 0) {
      return MakeError(fmt::format("margin: future leg {} needs a positive price", i));
    }
  }
  const double underlying = input.underlying.AsDouble();
  const Scan scan = ScanRanges(input, p);
  MarginResult r;
  r.price_scan = scan.price;
  r.vol_scan = scan.vol;
  const Scenarios16 scenarios = Scenarios(p);
  LegRows rows;
  const PnlRow* pnls = rows.Make(input.legs, underlying, scan, p, scenarios);
  const std::size_t n = input.legs.size();
  // The scenario losses are the only doubles: converted to Money here, once, rounded up.
  const double span = WorstLoss(Losses(pnls, n, scenarios), &r.worst_scenario);
  double naked = 0;
  // Money parts in fixed point: raw rupees at kFixedScale (Price raw × units), fractions at
  // kFixedScale (9 decimals).
  Int128 elm = 0;
  Int128 expiry_elm = 0;
  Int128 premium = 0;
  const Int128 short_elm = FractionRaw(p.short_elm_fraction);
  const Int128 expiry_elm_f = FractionRaw(p.expiry_day_elm_fraction);
  const Int128 future_elm = FractionRaw(p.future_elm_fraction);
  const Int128 u = input.underlying.raw();
  for (std::size_t l = 0; l < input.legs.size(); ++l) {
    const MarginLeg& leg = input.legs[l];
    if (leg.quantity == 0) continue;
    naked += WorstLoss(LegLosses(pnls[l], scenarios), nullptr);
    const Int128 units = leg.quantity < 0 ? -static_cast<Int128>(leg.quantity) : leg.quantity;
    if (leg.kind == MarginLegKind::kFuture) {
      elm += static_cast<Int128>(leg.price.raw()) * units * future_elm;
      continue;
    }
    if (leg.quantity < 0) {
      elm += u * units * short_elm;
      if (leg.expires_today) expiry_elm += u * units * expiry_elm_f;
    } else {
      premium += static_cast<Int128>(leg.price.raw()) * units;
    }
  }
  r.span = CeilToPaisa(span);
  r.naked_span = CeilToPaisa(naked);
  r.hedge_benefit = r.naked_span > r.span ? r.naked_span - r.span : Money::Zero();
  r.expiry_elm = CeilRawToPaisa(expiry_elm, kFixedScale);
  r.exposure = CeilRawToPaisa(elm, kFixedScale) + r.expiry_elm;
  r.premium = CeilRawToPaisa(premium, 1);
  r.total = r.span + r.exposure + r.premium;
  return r;
}

}  // namespace nacre
