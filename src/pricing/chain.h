// Chain-wide analysis from quotes alone: the forward implied by put-call parity near the
// money, the ATM strike, and per strike the implied vol (from the out-of-the-money side, the
// liquid one) with Black-76 greeks for the call and the put. Used by the Greeks actor, the
// `nacre options chain` command and tests. Doubles throughout (a model, not money).
#pragma once

#include <cmath>
#include <cstdint>
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

// A quote a trader would not trust, found by CheckChainQuotes: which row and field, and why.
enum class ChainField : std::uint8_t { kStrike, kCallBid, kCallAsk, kPutBid, kPutAsk };
struct ChainQuoteProblem {
  std::size_t index = 0;  // into the quotes given
  ChainField field = ChainField::kStrike;
  std::string why;
  std::optional<std::size_t> earlier;  // a repeated strike: the row it repeats
};

// The forward the quotes themselves suggest for plausibility checks: the median over strikes
// with a two-sided call and put of strike + call mid − put mid (undiscounted parity; a few bad
// rows cannot move a median). Empty when no strike has both.
std::optional<double> RoughParityForward(std::span<const ChainQuote> quotes);

// Checks every row before anything is computed from it, in row order, and returns the first
// problem: a strike that is not a positive finite number or repeats an earlier one; a price
// that is infinite, negative or zero (a missing side is NaN, kNoQuote); a crossed side
// (bid above ask); a put priced above its strike. Then, against `forward` (or, when not given,
// RoughParityForward; skipped when neither exists): a call priced above the forward, and a
// time value (price less undiscounted intrinsic) above half the forward, which no listed index
// option carries (NIFTY's weekly ATM time value is ~1% of the index). Deep in-the-money
// prices above half the underlying are real and pass.
std::optional<ChainQuoteProblem> CheckChainQuotes(std::span<const ChainQuote> quotes,
                                                  std::optional<double> forward = {});

// Which strikes get an implied vol and greeks: every strike (the default), or only the
// out-of-the-money puts (strikes below the forward), calls (above it) or both, each with its
// own side's greeks only: what a planner choosing a short strike on one side needs, at half
// the work or less. A strike outside the scope keeps its mids, a NaN iv and iv_error "outside
// the scope asked"; the forward and the ATM strike are found as with every strike (the ATM
// iv is NaN when the ATM strike is outside the scope).
enum class ChainScope : std::uint8_t { kAll, kOtmPuts, kOtmCalls, kOtmBoth };

// Fails when quotes are empty, a strike is not positive or repeated, t_years is not
// positive, or (without a given forward) no strike has both a call and a put mid.
Result<ChainAnalysis> AnalyzeChain(std::span<const ChainQuote> quotes, double t_years, double rate,
                                   std::optional<double> forward = {},
                                   ChainScope scope = ChainScope::kAll);

}  // namespace nacre::pricing
