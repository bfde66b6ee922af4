#include "pricing/black.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace nacre::pricing {
namespace {

constexpr double kDaysPerYear = 365.0;
constexpr double kPoint = 0.01;

bool IsCall(OptionKind k) { return k == OptionKind::kCall; }

// Undiscounted Black price on a forward with total standard deviation s = vol * sqrt(T) > 0.
double UndiscountedBlack(bool call, double f, double k, double s) {
  return UndiscountedBlack76(call, f, k, std::log(f / k), s);
}

std::string Fmt(double v) { return fmt::format("{:.10g}", v); }

Status CheckInputs(double price, double underlying, double strike, double t_years, double rate,
                   const char* underlying_name) {
  if (!std::isfinite(price) || !std::isfinite(underlying) || !std::isfinite(strike) ||
      !std::isfinite(t_years) || !std::isfinite(rate)) {
    return MakeError("implied vol: inputs must be finite numbers");
  }
  if (underlying <= 0) {
    return MakeError(
        fmt::format("implied vol: {} must be positive, got {}", underlying_name, Fmt(underlying)));
  }
  if (strike <= 0)
    return MakeError(fmt::format("implied vol: strike must be positive, got {}", Fmt(strike)));
  if (t_years <= 0) {
    return MakeError(
        fmt::format("implied vol: time to expiry must be positive, got {} years", Fmt(t_years)));
  }
  if (price <= 0)
    return MakeError(fmt::format("implied vol: price must be positive, got {}", Fmt(price)));
  return Status::Ok();
}

// Solves for vol given an undiscounted price on a forward. The price is first turned into the
// out-of-the-money option's price by put-call parity (the time value), then Newton's method
// runs on log(price) in total-deviation space, guarded by a bisection bracket: log-price is
// close to linear in s far out of the money, where price itself is flat.
Result<double> SolveUndiscounted(bool call, double p, double f, double k, double t_years,
                                 double discount, const char* underlying_name,
                                 double guess_vol = std::numeric_limits<double>::quiet_NaN()) {
  const double intrinsic = call ? std::max(f - k, 0.0) : std::max(k - f, 0.0);
  const double upper = call ? f : k;
  if (p >= upper) {
    return MakeError(fmt::format(
        "implied vol: price {} is at or above the no-arbitrage upper bound {} (the discounted {})",
        Fmt(p * discount), Fmt(upper * discount), call ? underlying_name : "strike"));
  }
  const double tv = p - intrinsic;  // time value = price of the OTM option by parity
  if (!(tv > 0)) {
    return MakeError(fmt::format(
        "implied vol: price {} is at or below the discounted intrinsic value {}: no time value "
        "to invert",
        Fmt(p * discount), Fmt(intrinsic * discount)));
  }
  // The OTM side: a call when k >= f, else a put.
  const bool otm_call = k >= f;
  if (tv >= (otm_call ? f : k)) {
    return MakeError(
        fmt::format("implied vol: time value {} exceeds its upper bound", Fmt(tv * discount)));
  }
  const double log_tv = std::log(tv);
  // log(f/k) is the same at every step: taken once (the same value the price would take).
  const double log_fk = std::log(f / k);
  auto value = [&](double s) { return UndiscountedBlack76(otm_call, f, k, log_fk, s); };

  double lo = 0.0;
  double hi = 1.0;
  while (value(hi) < tv) {
    lo = hi;
    hi *= 2.0;
    if (hi > 64.0) {
      return MakeError(fmt::format("implied vol: price {} implies a volatility above {}% a year",
                                   Fmt(p * discount), Fmt(100.0 * 64.0 / std::sqrt(t_years))));
    }
  }
  // Start from the caller's guess (a neighbouring strike's vol: a few Newton steps), else near
  // the money from the Brenner-Subrahmanyam approximation, else mid-bracket.
  double s = guess_vol * std::sqrt(t_years);
  if (!(s > lo && s < hi)) s = std::sqrt(2.0 * std::numbers::pi) * tv / f;
  if (!(s > lo && s < hi)) s = 0.5 * (lo + hi);
  for (int i = 0; i < 300; ++i) {
    const double v = value(s);
    double next;
    if (!(v > 0)) {  // underflow: far below the root
      lo = s;
      next = 0.5 * (lo + hi);
    } else {
      const double g = std::log(v) - log_tv;
      if (g == 0) break;
      if (g < 0) {
        lo = s;
      } else {
        hi = s;
      }
      const double d1 = log_fk / s + 0.5 * s;
      const double dv = f * NormPdf(d1);
      next = s - g * v / dv;
      if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    }
    // Newton converges quadratically: after a step under 1e-12 the next would be under
    // 1e-24, far below rounding, so the root is taken (chasing rounding noise to 4e-16 cost
    // twice the evaluations for nothing).
    if (std::abs(next - s) <= 1e-12 * s || hi - lo <= 4e-16 * hi) {
      s = next;
      break;
    }
    s = next;
  }
  return s / std::sqrt(t_years);
}

}  // namespace

double NormCdf(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }

double NormPdf(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi); }

double UndiscountedBlack76(bool call, double forward, double strike, double log_fk, double s) {
  const double d1 = log_fk / s + 0.5 * s;
  const double d2 = d1 - s;
  if (call) return forward * NormCdf(d1) - strike * NormCdf(d2);
  return strike * NormCdf(-d2) - forward * NormCdf(-d1);
}

double Black76Price(OptionKind kind, double forward, double strike, double t_years, double vol,
                    double rate) {
  const double t = std::max(t_years, 0.0);
  const double df = std::exp(-rate * t);
  const bool call = IsCall(kind);
  if (t <= 0 || vol <= 0) {
    return df * (call ? std::max(forward - strike, 0.0) : std::max(strike - forward, 0.0));
  }
  return df * UndiscountedBlack(call, forward, strike, vol * std::sqrt(t));
}

Greeks Black76Greeks(OptionKind kind, double forward, double strike, double t_years, double vol,
                     double rate) {
  Greeks g;
  const bool call = IsCall(kind);
  const double t = std::max(t_years, 0.0);
  const double df = std::exp(-rate * t);
  g.price = Black76Price(kind, forward, strike, t, vol, rate);
  if (t <= 0 || vol <= 0) {
    const bool itm = call ? forward > strike : strike > forward;
    g.delta = itm ? (call ? df : -df) : 0.0;
    if (t > 0) {
      g.theta = rate * g.price / kDaysPerYear;
      g.rho = -t * g.price * kPoint;
    }
    return g;
  }
  const double sq = std::sqrt(t);
  const double s = vol * sq;
  const double d1 = std::log(forward / strike) / s + 0.5 * s;
  const double pdf = NormPdf(d1);
  g.delta = call ? df * NormCdf(d1) : -df * NormCdf(-d1);
  g.gamma = df * pdf / (forward * s);
  g.vega = df * forward * pdf * sq * kPoint;
  // dV/dT with the forward fixed is -rV + df*F*n(d1)*vol/(2 sqrt T); theta is its negative.
  g.theta = (rate * g.price - df * forward * pdf * vol / (2.0 * sq)) / kDaysPerYear;
  g.rho = -t * g.price * kPoint;
  return g;
}

double BlackScholesPrice(OptionKind kind, double spot, double strike, double t_years, double vol,
                         double rate, double div_yield) {
  const double t = std::max(t_years, 0.0);
  const double forward = spot * std::exp((rate - div_yield) * t);
  return Black76Price(kind, forward, strike, t, vol, rate);
}

Greeks BlackScholesGreeks(OptionKind kind, double spot, double strike, double t_years, double vol,
                          double rate, double div_yield) {
  Greeks g;
  const bool call = IsCall(kind);
  const double t = std::max(t_years, 0.0);
  const double df = std::exp(-rate * t);
  const double qf = std::exp(-div_yield * t);
  g.price = BlackScholesPrice(kind, spot, strike, t, vol, rate, div_yield);
  if (t <= 0 || vol <= 0) {
    const double forward = spot * qf / df;
    const bool itm = call ? forward > strike : strike > forward;
    if (itm) {
      const double sign = call ? 1.0 : -1.0;
      g.delta = sign * qf;
      if (t > 0) {
        g.theta = sign * (div_yield * spot * qf - rate * strike * df) / kDaysPerYear;
        g.rho = sign * strike * t * df * kPoint;
      }
    }
    return g;
  }
  const double sq = std::sqrt(t);
  const double s = vol * sq;
  const double d1 = (std::log(spot / strike) + (rate - div_yield) * t) / s + 0.5 * s;
  const double d2 = d1 - s;
  const double pdf = NormPdf(d1);
  const double decay = -spot * qf * pdf * vol / (2.0 * sq);
  if (call) {
    g.delta = qf * NormCdf(d1);
    g.theta = (decay - rate * strike * df * NormCdf(d2) + div_yield * spot * qf * NormCdf(d1)) /
              kDaysPerYear;
    g.rho = strike * t * df * NormCdf(d2) * kPoint;
  } else {
    g.delta = -qf * NormCdf(-d1);
    g.theta = (decay + rate * strike * df * NormCdf(-d2) - div_yield * spot * qf * NormCdf(-d1)) /
              kDaysPerYear;
    g.rho = -strike * t * df * NormCdf(-d2) * kPoint;
  }
  g.gamma = qf * pdf / (spot * s);
  g.vega = spot * qf * pdf * sq * kPoint;
  return g;
}

Result<double> ImpliedVolBlack76(OptionKind kind, double price, double forward, double strike,
                                 double t_years, double rate, double guess_vol) {
  if (Status st = CheckInputs(price, forward, strike, t_years, rate, "forward"); !st) {
    return MakeError(st.error());
  }
  const double df = std::exp(-rate * t_years);
  return SolveUndiscounted(IsCall(kind), price / df, forward, strike, t_years, df, "forward",
                           guess_vol);
}

Result<double> ImpliedVolBlackScholes(OptionKind kind, double price, double spot, double strike,
                                      double t_years, double rate, double div_yield) {
  if (Status st = CheckInputs(price, spot, strike, t_years, rate, "spot"); !st) {
    return MakeError(st.error());
  }
  if (!std::isfinite(div_yield)) return MakeError("implied vol: dividend yield must be finite");
  const double df = std::exp(-rate * t_years);
  const double forward = spot * std::exp((rate - div_yield) * t_years);
  return SolveUndiscounted(IsCall(kind), price / df, forward, strike, t_years, df,
                           "forward (spot grown at r - q)");
}

double ParityForward(double call_price, double put_price, double strike, double t_years,
                     double rate) {
  return strike + (call_price - put_price) * std::exp(rate * t_years);
}

}  // namespace nacre::pricing
