// Chain-wide analysis from quotes alone: the forward implied by put-call parity near the
// money, the ATM strike, and per strike the implied vol (from the out-of-the-money side, the
// liquid one) with Black-76 greeks for the call and the put. Used by the Greeks actor, the
// `nacre options chain` command and tests. Doubles throughout (a model, not money).
#pragma once

#include <cmath>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "pricing/black.h"

namespace nacre::pricing {

inline constexpr double kNoQuote = std::numeric_limits<double>::quiet_NaN();

// One strike's quotes; NaN (kNoQuote) where a side is missing.
struct ChainQuote {
  double strike = 0;
  double call_bid = kNoQuote;
  double call_ask = kNoQuote;
  double put_bid = kNoQuote;
  double put_ask = kNoQuote;
};

struct ChainPoint {
  double strike = 0;
  double call_mid = kNoQuote;
  double put_mid = kNoQuote;
  double iv = kNoQuote;  // NaN when no side could be inverted (iv_error says why)
  std::string iv_error;
  Greeks call;
  Greeks put;
};

struct ChainAnalysis {
  double forward = 0;
  double atm_strike = 0;
  double atm_iv = kNoQuote;
  double t_years = 0;
  double rate = 0;
  std::vector<ChainPoint> points;  // sorted by strike
};

// Mid of a two-sided quote; NaN unless both sides are present, positive and not crossed.
double QuoteMid(double bid, double ask);

// Fails when quotes are empty, a strike is not positive or repeated, t_years is not
// positive, or (without a given forward) no strike has both a call and a put mid.
Result<ChainAnalysis> AnalyzeChain(std::span<const ChainQuote> quotes, double t_years, double rate,
                                   std::optional<double> forward = {});

}  // namespace nacre::pricing
