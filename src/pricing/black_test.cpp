#include "pricing/black.h"

#include <gtest/gtest.h>

#include <limits>

#include <cmath>
#include <vector>

#ifdef NACRE_HAVE_QUANTLIB
#include <ql/pricingengines/blackcalculator.hpp>
#include <ql/pricingengines/blackformula.hpp>
#include <ql/pricingengines/blackscholescalculator.hpp>
#endif

namespace nacre::pricing {
namespace {

constexpr double kHour = 1.0 / (365.0 * 24.0);

struct Case {
  OptionKind kind;
  double moneyness;  // strike / forward
  double t;
  double vol;
  double rate;
};

std::vector<Case> Grid() {
  std::vector<Case> out;
  for (OptionKind kind : {OptionKind::kCall, OptionKind::kPut}) {
    for (double m : {0.7, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.3}) {
      for (double t : {kHour, 6 * kHour, 1.0 / 365, 7.0 / 365, 30.0 / 365, 0.25, 1.0}) {
        for (double vol : {0.05, 0.12, 0.25, 0.5, 1.0, 1.5}) {
          for (double r : {0.0, 0.065}) out.push_back({kind, m, t, vol, r});
        }
      }
    }
  }
  return out;
}

// Relative agreement with an absolute floor of 1e-12 of the underlying: a value below that
// is not a tradable price, and two correct erfc implementations may differ there.
void ExpectClose(double ours, double ref, double scale, const char* what, const Case& c) {
  const double tol = std::max(1e-8 * std::abs(ref), 1e-12 * scale);
  EXPECT_NEAR(ours, ref, tol) << what << " kind=" << static_cast<int>(c.kind)
                              << " m=" << c.moneyness << " t=" << c.t << " vol=" << c.vol
                              << " r=" << c.rate;
}

TEST(Black, NormCdfTailsAndSymmetry) {
  EXPECT_DOUBLE_EQ(NormCdf(0), 0.5);
  EXPECT_NEAR(NormCdf(1.959963984540054), 0.975, 1e-15);
  EXPECT_NEAR(NormCdf(-10) / 7.619853024160527e-24, 1.0, 1e-12);  // tail stays relative
  EXPECT_NEAR(NormCdf(-3) + NormCdf(3), 1.0, 1e-16);
  EXPECT_NEAR(NormPdf(0), 0.3989422804014327, 1e-16);
}

TEST(Black, PutCallParityAndBounds) {
  for (const Case& c : Grid()) {
    const double f = 24000, k = f * c.moneyness;
    const double call = Black76Price(OptionKind::kCall, f, k, c.t, c.vol, c.rate);
    const double put = Black76Price(OptionKind::kPut, f, k, c.t, c.vol, c.rate);
    const double df = std::exp(-c.rate * c.t);
    EXPECT_NEAR(call - put, df * (f - k), 1e-9 * f);
    EXPECT_GE(call, df * std::max(f - k, 0.0) - 1e-9);
    EXPECT_LT(call, df * f);
    EXPECT_NEAR(ParityForward(call, put, k, c.t, c.rate), f, 1e-8 * f);
  }
}

TEST(Black, ExpiryAndZeroVolLimits) {
  EXPECT_DOUBLE_EQ(Black76Price(OptionKind::kCall, 24100, 24000, 0, 0.2, 0.07), 100);
  EXPECT_DOUBLE_EQ(Black76Price(OptionKind::kPut, 24100, 24000, 0, 0.2, 0.07), 0);
  EXPECT_DOUBLE_EQ(Black76Price(OptionKind::kPut, 23900, 24000, -0.1, 0.2, 0.0), 100);
  const Greeks g = Black76Greeks(OptionKind::kPut, 23900, 24000, 0, 0.2, 0.0);
  EXPECT_DOUBLE_EQ(g.delta, -1.0);
  EXPECT_DOUBLE_EQ(g.gamma, 0.0);
  const Greeks otm = Black76Greeks(OptionKind::kCall, 23900, 24000, 0, 0.2, 0.0);
  EXPECT_DOUBLE_EQ(otm.delta, 0.0);
  EXPECT_DOUBLE_EQ(otm.price, 0.0);
}

TEST(Black, GreeksMatchFiniteDifferences) {
  // Independent of QuantLib: central differences of our own price.
  const double f = 24000, k = 24500, t = 10.0 / 365, vol = 0.14, r = 0.065;
  for (OptionKind kind : {OptionKind::kCall, OptionKind::kPut}) {
    const Greeks g = Black76Greeks(kind, f, k, t, vol, r);
    const double h = 0.01;
    auto p = [&](double ff, double tt, double vv, double rr) {
      return Black76Price(kind, ff, k, tt, vv, rr);
    };
    EXPECT_NEAR(g.delta, (p(f + h, t, vol, r) - p(f - h, t, vol, r)) / (2 * h), 1e-6);
    EXPECT_NEAR(g.gamma, (p(f + 1, t, vol, r) - 2 * p(f, t, vol, r) + p(f - 1, t, vol, r)), 1e-7);
    EXPECT_NEAR(g.vega, (p(f, t, vol + 1e-5, r) - p(f, t, vol - 1e-5, r)) / 2e-5 * 0.01, 1e-6);
    const double day = 1.0 / 365;
    EXPECT_NEAR(g.theta, (p(f, t - 1e-3 * day, vol, r) - p(f, t + 1e-3 * day, vol, r)) / 2e-3,
                1e-5);
    EXPECT_NEAR(g.rho, (p(f, t, vol, r + 1e-6) - p(f, t, vol, r - 1e-6)) / 2e-6 * 0.01, 1e-6);
  }
}

#ifdef NACRE_HAVE_QUANTLIB
namespace ql = QuantLib;

ql::Option::Type QlType(OptionKind k) {
  return k == OptionKind::kCall ? ql::Option::Call : ql::Option::Put;
}

TEST(BlackVsQuantLib, Black76PriceAndGreeks) {
  for (const Case& c : Grid()) {
    const double f = 24000, k = f * c.moneyness;
    const double df = std::exp(-c.rate * c.t);
    const double sd = c.vol * std::sqrt(c.t);
    ql::BlackCalculator ref(QlType(c.kind), k, f, sd, df);
    const Greeks g = Black76Greeks(c.kind, f, k, c.t, c.vol, c.rate);
    ExpectClose(g.price, ref.value(), f, "price", c);
    ExpectClose(g.price, ql::blackFormula(QlType(c.kind), k, f, sd, df), f, "blackFormula", c);
    ExpectClose(g.delta, ref.deltaForward(), 1.0, "delta", c);
    ExpectClose(g.gamma, ref.gammaForward(), 1.0 / f, "gamma", c);
    ExpectClose(g.vega, ref.vega(c.t) * 0.01, f, "vega", c);
    // Black-76 theta and rho hold the forward fixed: dV/dT = -rV + vega-like term, dV/dr = -TV.
    // QuantLib's calculator exposes dV/dsigma; derive the fixed-forward theta from it.
    const double dvdt = -c.rate * ref.value() + ref.vega(c.t) * c.vol / (2 * c.t);
    ExpectClose(g.theta, -dvdt / 365.0, f, "theta", c);
    ExpectClose(g.rho, -c.t * ref.value() * 0.01, f, "rho", c);
  }
}

TEST(BlackVsQuantLib, BlackScholesPriceAndGreeks) {
  for (const Case& c : Grid()) {
    const double s = 24000, q = 0.012, k = s * c.moneyness;
    const double df = std::exp(-c.rate * c.t);
    const double growth = std::exp(-q * c.t);
    const double sd = c.vol * std::sqrt(c.t);
    ql::BlackScholesCalculator ref(QlType(c.kind), k, s, growth, sd, df);
    const Greeks g = BlackScholesGreeks(c.kind, s, k, c.t, c.vol, c.rate, q);
    ExpectClose(g.price, ref.value(), s, "price", c);
    ExpectClose(g.delta, ref.delta(), 1.0, "delta", c);
    ExpectClose(g.gamma, ref.gamma(), 1.0 / s, "gamma", c);
    ExpectClose(g.vega, ref.vega(c.t) * 0.01, s, "vega", c);
    ExpectClose(g.theta, ref.thetaPerDay(c.t), s, "theta", c);
    ExpectClose(g.rho, ref.rho(c.t) * 0.01, s, "rho", c);
  }
}

TEST(BlackVsQuantLib, ImpliedVolAgrees) {
  int compared = 0;
  for (const Case& c : Grid()) {
    const double f = 24000, k = f * c.moneyness;
    const double df = std::exp(-c.rate * c.t);
    const double price = Black76Price(c.kind, f, k, c.t, c.vol, c.rate);
    const double otm =
        Black76Price(k >= f ? OptionKind::kCall : OptionKind::kPut, f, k, c.t, c.vol, c.rate);
    if (otm < 1e-6 * f || (price - otm) > 0) continue;  // QuantLib's solver needs a clear price
    const double ref_sd = ql::blackFormulaImpliedStdDev(QlType(c.kind), k, f, price, df, 0.0,
                                                        ql::Null<ql::Real>(), 1e-14, 1000);
    auto iv = ImpliedVolBlack76(c.kind, price, f, k, c.t, c.rate);
    ASSERT_TRUE(iv.ok()) << iv.error();
    ExpectClose(*iv, ref_sd / std::sqrt(c.t), 1.0, "iv", c);
    ++compared;
  }
  EXPECT_GT(compared, 300);
}
#endif

// Round trips over moneyness 0.7-1.3, one hour to one year, vol 5%-150%. The solver must
// recover the vol to 1e-8 relative wherever the out-of-the-money price carries the
// information (at least 1e-12 of the forward: below that no real quote exists); deep
// in-the-money prices lose their time value to cancellation first, so they are checked where
// the time value is at least 1e-7 of the forward.
TEST(Black, ImpliedVolRoundTripGrid) {
  int checked = 0;
  for (const Case& c : Grid()) {
    for (double f : {100.0, 24000.0}) {
      const double k = f * c.moneyness;
      const double price = Black76Price(c.kind, f, k, c.t, c.vol, c.rate);
      const double df = std::exp(-c.rate * c.t);
      const bool call = c.kind == OptionKind::kCall;
      const double tv = price / df - (call ? std::max(f - k, 0.0) : std::max(k - f, 0.0));
      const bool itm = call ? f > k : k > f;
      if (tv < (itm ? 1e-7 : 1e-12) * f) continue;
      auto iv = ImpliedVolBlack76(c.kind, price, f, k, c.t, c.rate);
      ASSERT_TRUE(iv.ok()) << iv.error() << " m=" << c.moneyness << " t=" << c.t;
      EXPECT_NEAR(*iv, c.vol, 1e-8 * c.vol)
          << "kind=" << static_cast<int>(c.kind) << " m=" << c.moneyness << " t=" << c.t
          << " vol=" << c.vol << " r=" << c.rate << " f=" << f;
      auto iv_bs =
          ImpliedVolBlackScholes(c.kind, BlackScholesPrice(c.kind, f, k, c.t, c.vol, c.rate, 0.01),
                                 f, k, c.t, c.rate, 0.01);
      ASSERT_TRUE(iv_bs.ok()) << iv_bs.error();
      EXPECT_NEAR(*iv_bs, c.vol, 1e-7 * c.vol);
      ++checked;
    }
  }
  EXPECT_GT(checked, 1500);  // of 3024; the rest have no representable time value
}

// A guess only moves where the search starts: good, far off, or not a vol at all, the vol
// comes back as accurately as without one (on the round-trip grid's invertible prices).
TEST(Black, ImpliedVolIsTheSameRootWhateverTheGuess) {
  int checked = 0;
  for (const Case& c : Grid()) {
    const double f = 24000.0;
    const double k = f * c.moneyness;
    const double price = Black76Price(c.kind, f, k, c.t, c.vol, c.rate);
    const bool call = c.kind == OptionKind::kCall;
    const double tv = price / std::exp(-c.rate * c.t) -
                      (call ? std::max(f - k, 0.0) : std::max(k - f, 0.0));
    if (tv < ((call ? f > k : k > f) ? 1e-7 : 1e-12) * f) continue;
    auto plain = ImpliedVolBlack76(c.kind, price, f, k, c.t, c.rate);
    ASSERT_TRUE(plain.ok()) << plain.error();
    for (double guess : {c.vol * 1.01, c.vol * 0.5, c.vol * 40, 1e-9, 0.0, -0.2, 1e300,
                         std::numeric_limits<double>::infinity()}) {
      auto iv = ImpliedVolBlack76(c.kind, price, f, k, c.t, c.rate, guess);
      ASSERT_TRUE(iv.ok()) << iv.error() << " guess " << guess;
      EXPECT_NEAR(*iv, c.vol, 1e-8 * c.vol)
          << "guess " << guess << " m=" << c.moneyness << " t=" << c.t << " vol=" << c.vol;
      EXPECT_NEAR(*iv, *plain, 2e-8 * c.vol) << "guess " << guess;
    }
    ++checked;
  }
  EXPECT_GT(checked, 700);
}

TEST(Black, ImpliedVolRejectsPricesOutsideBounds) {
  const double f = 24000, t = 7.0 / 365, r = 0.065;
  const double df = std::exp(-r * t);
  // Below intrinsic.
  auto below = ImpliedVolBlack76(OptionKind::kCall, 0.99 * df * 500, f, 23500, t, r);
  ASSERT_FALSE(below.ok());
  EXPECT_NE(below.error().find("intrinsic"), std::string::npos) << below.error();
  // Exactly intrinsic: no time value.
  EXPECT_FALSE(ImpliedVolBlack76(OptionKind::kPut, df * 500, f, 24500, t, r).ok());
  // At the upper bound (the discounted forward for a call, the discounted strike for a put).
  auto above = ImpliedVolBlack76(OptionKind::kCall, df * f, f, 24000, t, r);
  ASSERT_FALSE(above.ok());
  EXPECT_NE(above.error().find("upper bound"), std::string::npos) << above.error();
  EXPECT_FALSE(ImpliedVolBlack76(OptionKind::kPut, df * 25000, f, 25000, t, r).ok());
  // Bad inputs.
  EXPECT_FALSE(ImpliedVolBlack76(OptionKind::kCall, 0.0, f, 24000, t, r).ok());
  EXPECT_FALSE(ImpliedVolBlack76(OptionKind::kCall, 100, f, 24000, 0.0, r).ok());
  EXPECT_FALSE(ImpliedVolBlack76(OptionKind::kCall, 100, -f, 24000, t, r).ok());
  EXPECT_FALSE(ImpliedVolBlack76(OptionKind::kCall, NAN, f, 24000, t, r).ok());
  auto neg_strike = ImpliedVolBlack76(OptionKind::kCall, 100, f, -5, t, r);
  ASSERT_FALSE(neg_strike.ok());
  EXPECT_NE(neg_strike.error().find("strike"), std::string::npos);
}

TEST(Black, ImpliedVolExtremeButValid) {
  // Minutes to expiry, far OTM, a price of one tick.
  const double f = 24000, t = 10.0 / (365 * 24 * 60);
  auto iv = ImpliedVolBlack76(OptionKind::kCall, 0.05, f, 24100, t, 0.065);
  ASSERT_TRUE(iv.ok()) << iv.error();
  EXPECT_NEAR(Black76Price(OptionKind::kCall, f, 24100, t, *iv, 0.065), 0.05, 1e-12);
  // Very high vol, long dated.
  auto hi = ImpliedVolBlack76(OptionKind::kPut, 20000, f, 24000, 1.0, 0.0);
  ASSERT_TRUE(hi.ok()) << hi.error();
  EXPECT_NEAR(Black76Price(OptionKind::kPut, f, 24000, 1.0, *hi, 0.0), 20000, 1e-8);
  EXPECT_GT(*hi, 2.0);
}

}  // namespace
}  // namespace nacre::pricing
