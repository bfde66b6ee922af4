// Black-76 (options on a forward or future) and Black-Scholes (options on spot with a
// continuous dividend yield) prices, greeks and implied volatility. Pure functions of doubles:
// pricing models are the one place floating point belongs; amounts that reach orders, fills
// or margin are converted to fixed point by the caller.
//
// Conventions (all functions):
// - t_years: time to expiry in years (ACT/365 from the caller's clock); vol and rates are
//   annualised decimals (0.14 = 14%), rates continuously compounded.
// - Greeks: delta per unit of the underlying (the forward for Black-76, the spot for
//   Black-Scholes); gamma per unit squared; vega per one vol point (0.01); theta per calendar
//   day (the change in value as one day passes, usually negative); rho per one percentage
//   point of the rate (0.01). For Black-76 the forward is held fixed when the rate moves.
// - At expiry (t_years <= 0) or zero vol, prices are the discounted intrinsic value and
//   greeks are their limits (delta 0 or ±1, the rest 0).
#pragma once

#include <limits>
#include <span>
#include <string>

#include "core/result.h"
#include "model/enums.h"

namespace nacre::pricing {

struct Greeks {
  double price = 0;
  double delta = 0;
  double gamma = 0;
  double vega = 0;   // per vol point
  double theta = 0;  // per calendar day
  double rho = 0;    // per rate percentage point
};

// Standard normal cumulative distribution and density, accurate in the tails (erfc based).
double NormCdf(double x);
double NormPdf(double x);

double Black76Price(OptionKind kind, double forward, double strike, double t_years, double vol,
                    double rate);
// The undiscounted Black-76 price with log(forward / strike) and the total standard deviation
// s = vol × √T > 0 given: for a caller valuing one contract on one forward at several vols
// (the margin scenarios), which takes the log once. With log_fk = std::log(forward / strike)
// it is exactly Black76Price at rate 0.
double UndiscountedBlack76(bool call, double forward, double strike, double log_fk, double s);
Greeks Black76Greeks(OptionKind kind, double forward, double strike, double t_years, double vol,
                     double rate);

double BlackScholesPrice(OptionKind kind, double spot, double strike, double t_years, double vol,
                         double rate, double div_yield = 0.0);
Greeks BlackScholesGreeks(OptionKind kind, double spot, double strike, double t_years, double vol,
                          double rate, double div_yield = 0.0);

// Implied volatility of a discounted option price. Fails with a readable message when the
// price is outside the no-arbitrage bounds (below discounted intrinsic value, at or above the
// discounted forward for a call or the discounted strike for a put), when an input is not
// finite or not positive, or when the price carries no time value to invert. Converges to
// full double precision across deep in/out of the money, minutes to expiry and high vol.
// `guess_vol` (optional, e.g. a neighbouring strike's vol) is where the search starts: a good
// guess takes about a third of the price evaluations; the answer is the same root either way.
Result<double> ImpliedVolBlack76(OptionKind kind, double price, double forward, double strike,
                                 double t_years, double rate,
                                 double guess_vol = std::numeric_limits<double>::quiet_NaN());
Result<double> ImpliedVolBlackScholes(OptionKind kind, double price, double spot, double strike,
                                      double t_years, double rate, double div_yield = 0.0);

// Forward implied by put-call parity from a call and put price at the same strike:
// F = K + (C - P) * exp(rT).
double ParityForward(double call_price, double put_price, double strike, double t_years,
                     double rate);

}  // namespace nacre::pricing
