#include "nse/margin.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

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
std::vector<Scenario> Scenarios(const MarginParams& p) {
  std::vector<Scenario> s;
  for (double m : {0.0, 1.0 / 3, -1.0 / 3, 2.0 / 3, -2.0 / 3, 1.0, -1.0}) {
    s.push_back({m, +1, 1.0});
    s.push_back({m, -1, 1.0});
  }
  s.push_back({p.extreme_multiple, 0, p.extreme_weight});
  s.push_back({-p.extreme_multiple, 0, p.extreme_weight});
  return s;
}

double LegValue(const MarginLeg& leg, double underlying, double vol) {
  if (leg.kind == MarginLegKind::kFuture) return underlying;
  return pricing::Black76Price(leg.option_kind, underlying, leg.strike, leg.t_years, vol, 0.0);
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

// Each leg's P&L in every scenario, unweighted: pnl[leg][scenario] = quantity × (revalued −
// current). Every leg is revalued once per scenario (the portfolio and the naked legs share it).
std::vector<std::vector<double>> LegPnls(const std::vector<MarginLeg>& legs, double underlying,
                                         const Scan& scan, const MarginParams& p,
                                         const std::vector<Scenario>& scenarios) {
  std::vector<std::vector<double>> out(legs.size(), std::vector<double>(scenarios.size()));
  for (std::size_t l = 0; l < legs.size(); ++l) {
    const MarginLeg& leg = legs[l];
    const double qty = static_cast<double>(leg.quantity);
    if (leg.unit_pnl != nullptr && leg.unit_pnl->size() == scenarios.size()) {
      for (std::size_t i = 0; i < scenarios.size(); ++i) out[l][i] = qty * (*leg.unit_pnl)[i];
      continue;
    }
    const double base = LegValue(leg, underlying, leg.vol);
    for (std::size_t i = 0; i < scenarios.size(); ++i) {
      const Scenario& sc = scenarios[i];
      const double s = underlying + sc.move * scan.price;
      const double vol = std::max(leg.vol + sc.vol_sign * scan.vol, p.min_vol);
      const double moved = LegValue(leg, std::max(s, 0.0), vol);
      out[l][i] = qty * (moved - base);
    }
  }
  return out;
}

// Weighted loss of the legs in `pnls` (all when `only` is npos) in every scenario (positive =
// loss).
std::vector<double> Losses(const std::vector<std::vector<double>>& pnls,
                           const std::vector<Scenario>& scenarios,
                           std::size_t only = static_cast<std::size_t>(-1)) {
  std::vector<double> out;
  out.reserve(scenarios.size());
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    double pnl = 0;
    for (std::size_t l = 0; l < pnls.size(); ++l) {
      if (only == static_cast<std::size_t>(-1) || only == l) pnl += pnls[l][i];
    }
    out.push_back(-pnl * scenarios[i].weight);
  }
  return out;
}

double WorstLoss(const std::vector<double>& losses, int* worst) {
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

std::vector<double> UnitScenarioPnl(const MarginLeg& leg, const MarginInput& input,
                                    const MarginParams& params) {
  MarginLeg unit = leg;
  unit.quantity = 1;
  unit.unit_pnl = nullptr;
  const std::vector<Scenario> scenarios = Scenarios(params);
  return LegPnls({unit}, input.underlying.AsDouble(), ScanRanges(input, params), params,
                 scenarios)[0];
}

std::vector<double> ScenarioLosses(const MarginInput& input, const MarginParams& params) {
  const std::vector<Scenario> scenarios = Scenarios(params);
  return Losses(LegPnls(input.legs, input.underlying.AsDouble(), ScanRanges(input, params), params,
                        scenarios),
                scenarios);
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
  const std::vector<Scenario> scenarios = Scenarios(p);
  const std::vector<std::vector<double>> pnls =
      LegPnls(input.legs, underlying, scan, p, scenarios);
  // The scenario losses are the only doubles: converted to Money here, once, rounded up.
  const double span = WorstLoss(Losses(pnls, scenarios), &r.worst_scenario);
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
    naked += WorstLoss(Losses(pnls, scenarios, l), nullptr);
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
