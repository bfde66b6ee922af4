#include "pricing/chain.h"

#include <gtest/gtest.h>

#include <limits>

namespace nacre::pricing {
namespace {

// A chain priced from a known smile, quoted a little wide around the model mid.
std::vector<ChainQuote> SmileChain(double f, double t, double r, double half_spread) {
  std::vector<ChainQuote> out;
  for (int i = -10; i <= 10; ++i) {
    const double k = 24000 + 50.0 * i;
    const double m = std::log(k / f);
    const double vol = 0.13 - 0.25 * m + 1.5 * m * m;  // put skew and a smile
    const double c = Black76Price(OptionKind::kCall, f, k, t, vol, r);
    const double p = Black76Price(OptionKind::kPut, f, k, t, vol, r);
    out.push_back({k, c - half_spread, c + half_spread, p - half_spread, p + half_spread});
  }
  return out;
}

TEST(Chain, RecoversForwardAtmAndSmile) {
  const double f = 24037.5, t = 6.0 / 365, r = 0.065;
  const auto quotes = SmileChain(f, t, r, 0.0);
  // Shuffle order: the analysis sorts by strike.
  std::vector<ChainQuote> shuffled(quotes.rbegin(), quotes.rend());
  auto chain = AnalyzeChain(shuffled, t, r);
  ASSERT_TRUE(chain.ok()) << chain.error();
  EXPECT_NEAR(chain->forward, f, 1e-6);
  EXPECT_EQ(chain->atm_strike, 24050);
  ASSERT_EQ(chain->points.size(), 21u);
  for (const ChainPoint& p : chain->points) {
    const double m = std::log(p.strike / f);
    EXPECT_NEAR(p.iv, 0.13 - 0.25 * m + 1.5 * m * m, 1e-7) << p.strike;
    EXPECT_NEAR(p.call.delta - p.put.delta, std::exp(-r * t), 1e-12);  // parity of deltas
  }
  EXPECT_LT(chain->points.front().strike, chain->points.back().strike);
}

// A scope computes what the whole chain gives for the strikes in it (the same vol and that
// side's greeks, to rounding: each search starts from the last strike solved, which differs),
// nothing for the others, and finds the same forward and ATM strike.
TEST(Chain, AScopeGivesTheWholeChainsFiguresForItsStrikesAndNoneElsewhere) {
  const double f = 24037.5, t = 6.0 / 365, r = 0.065;
  const auto quotes = SmileChain(f, t, r, 0.5);
  auto all = AnalyzeChain(quotes, t, r);
  ASSERT_TRUE(all.ok()) << all.error();
  for (ChainScope scope : {ChainScope::kOtmPuts, ChainScope::kOtmCalls, ChainScope::kOtmBoth}) {
    auto part = AnalyzeChain(quotes, t, r, std::nullopt, scope);
    ASSERT_TRUE(part.ok()) << part.error();
    EXPECT_EQ(part->forward, all->forward);
    EXPECT_EQ(part->atm_strike, all->atm_strike);
    ASSERT_EQ(part->points.size(), all->points.size());
    std::size_t puts = 0, calls = 0;
    for (std::size_t i = 0; i < all->points.size(); ++i) {
      const ChainPoint& a = all->points[i];
      const ChainPoint& p = part->points[i];
      EXPECT_EQ(p.call_mid, a.call_mid);
      EXPECT_EQ(p.put_mid, a.put_mid);
      const bool put_side = a.strike < all->forward && scope != ChainScope::kOtmCalls;
      const bool call_side = a.strike > all->forward && scope != ChainScope::kOtmPuts;
      if (put_side) {
        ++puts;
        EXPECT_NEAR(p.iv, a.iv, 1e-12 * a.iv) << a.strike;
        EXPECT_NEAR(p.put.delta, a.put.delta, 1e-12) << a.strike;
        EXPECT_NEAR(p.put.vega, a.put.vega, 1e-9) << a.strike;
        EXPECT_EQ(p.call.delta, 0) << a.strike;  // the other side's greeks are not computed
      } else if (call_side) {
        ++calls;
        EXPECT_NEAR(p.iv, a.iv, 1e-12 * a.iv) << a.strike;
        EXPECT_NEAR(p.call.delta, a.call.delta, 1e-12) << a.strike;
        EXPECT_NEAR(p.call.gamma, a.call.gamma, 1e-12) << a.strike;
        EXPECT_EQ(p.put.delta, 0) << a.strike;
      } else {
        EXPECT_TRUE(std::isnan(p.iv)) << a.strike;
        EXPECT_EQ(p.iv_error, "outside the scope asked") << a.strike;
      }
    }
    // The forward sits between 24000 and 24050: 11 strikes below it (23500 up) and 10 above.
    EXPECT_EQ(puts, scope == ChainScope::kOtmCalls ? 0u : 11u);
    EXPECT_EQ(calls, scope == ChainScope::kOtmPuts ? 0u : 10u);
    // The ATM strike (24050) is a call-side strike: its iv only where calls are in scope.
    EXPECT_EQ(std::isnan(part->atm_iv), scope == ChainScope::kOtmPuts);
  }
}

TEST(Chain, UsesOtherSideWhenOtmSideMissingAndReportsUninvertible) {
  const double f = 24000, t = 10.0 / 365, r = 0.0;
  auto quotes = SmileChain(f, t, r, 0.0);
  quotes[15].call_bid = kNoQuote;  // strike 24250: OTM call missing, ITM put used
  quotes[3] = {23650, kNoQuote, kNoQuote, kNoQuote, kNoQuote};
  quotes[4].put_bid = 0.0;                        // one-sided: no mid
  quotes[4].call_bid = quotes[4].call_ask = 300;  // below intrinsic (forward - strike = 300)
  auto chain = AnalyzeChain(quotes, t, r, f);
  ASSERT_TRUE(chain.ok()) << chain.error();
  const ChainPoint& k24250 = chain->points[15];
  EXPECT_TRUE(std::isnan(k24250.call_mid));
  EXPECT_FALSE(std::isnan(k24250.iv));
  EXPECT_TRUE(std::isnan(chain->points[3].iv));
  EXPECT_EQ(chain->points[3].iv_error, "no two-sided quote");
  EXPECT_TRUE(std::isnan(chain->points[4].iv));
  EXPECT_NE(chain->points[4].iv_error.find("intrinsic"), std::string::npos)
      << chain->points[4].iv_error;
}

TEST(Chain, RejectsBadInput) {
  EXPECT_FALSE(AnalyzeChain({}, 0.1, 0.0).ok());
  std::vector<ChainQuote> q{{24000, 100, 101, 90, 91}, {24000, 100, 101, 90, 91}};
  auto dup = AnalyzeChain(q, 0.1, 0.0);
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().find("twice"), std::string::npos);
  std::vector<ChainQuote> calls_only{{24000, 100, 101, kNoQuote, kNoQuote}};
  auto no_fwd = AnalyzeChain(calls_only, 0.1, 0.0);
  ASSERT_FALSE(no_fwd.ok());
  EXPECT_NE(no_fwd.error().find("forward"), std::string::npos);
  EXPECT_FALSE(AnalyzeChain(calls_only, 0.0, 0.0, 24000.0).ok());
  EXPECT_TRUE(std::isnan(QuoteMid(101, 100)));  // crossed
}

TEST(Chain, CheckQuotesAcceptsAGoodChainAndDeepInTheMoneyPrices) {
  const double f = 24037.5, t = 6.0 / 365, r = 0.065;
  auto quotes = SmileChain(f, t, r, 0.0);
  EXPECT_FALSE(CheckChainQuotes(quotes).has_value());
  EXPECT_FALSE(CheckChainQuotes(quotes, f).has_value());
  auto rough = RoughParityForward(quotes);
  ASSERT_TRUE(rough.has_value());
  EXPECT_NEAR(*rough, f, 5.0);  // undiscounted parity: within a few points at 6 days
  // NSE's export of 29-Jun-2026: the 12,000 call at 11,143.70 / 12,364.25 with the index
  // near 23,950 is more than half the underlying, but nearly all of it is intrinsic value.
  quotes.push_back({12000, 11143.70, 12364.25, 0.15, 0.30});
  EXPECT_FALSE(CheckChainQuotes(quotes).has_value());
}

TEST(Chain, CheckQuotesNamesTheRowAndFieldOfEachKindOfBadQuote) {
  const double f = 24000, t = 6.0 / 365, r = 0.0;
  const auto good = SmileChain(f, t, r, 0.0);
  struct Case {
    const char* name;
    std::size_t row;
    double ChainQuote::*field;
    double value;
    ChainField expect;
    const char* why;
  };
  const double inf = std::numeric_limits<double>::infinity();
  const Case cases[] = {
      {"zero strike", 2, &ChainQuote::strike, 0, ChainField::kStrike, "positive"},
      {"nan strike", 2, &ChainQuote::strike, kNoQuote, ChainField::kStrike, "positive"},
      {"repeated strike", 3, &ChainQuote::strike, 23600, ChainField::kStrike, "appears twice"},
      {"infinite bid", 4, &ChainQuote::call_bid, inf, ChainField::kCallBid, "finite"},
      {"negative ask", 5, &ChainQuote::put_ask, -1, ChainField::kPutAsk, "negative"},
      {"zero bid", 6, &ChainQuote::put_bid, 0, ChainField::kPutBid, "zero price"},
      {"crossed call", 7, &ChainQuote::call_bid, 1e4, ChainField::kCallAsk, "(crossed)"},
      {"put above strike", 8, &ChainQuote::put_ask, 30000, ChainField::kPutAsk, "above the strike"},
      {"absurd time value", 18, &ChainQuote::call_ask, 13000, ChainField::kCallAsk,
       "over half the underlying"},
  };
  for (const Case& c : cases) {
    auto quotes = good;
    quotes[c.row].*c.field = c.value;
    if (c.expect == ChainField::kCallAsk && c.field == &ChainQuote::call_bid) {
      quotes[c.row].call_ask = c.value - 1;
    }
    const auto p = CheckChainQuotes(quotes);
    ASSERT_TRUE(p.has_value()) << c.name;
    EXPECT_EQ(p->index, c.row) << c.name;
    EXPECT_EQ(p->field, c.expect) << c.name;
    EXPECT_NE(p->why.find(c.why), std::string::npos) << c.name << ": " << p->why;
  }
  auto repeated = good;
  repeated[3].strike = repeated[2].strike;
  const auto twice = CheckChainQuotes(repeated);
  ASSERT_TRUE(twice.has_value());
  EXPECT_EQ(twice->earlier, std::optional<std::size_t>(2));
  // A call above the given forward.
  auto quotes = good;
  quotes[0].call_ask = 24500;
  const auto above = CheckChainQuotes(quotes, f);
  ASSERT_TRUE(above.has_value());
  EXPECT_EQ(above->field, ChainField::kCallAsk);
  EXPECT_NE(above->why.find("above the underlying (given forward 24000.00)"), std::string::npos)
      << above->why;
  // Missing sides (NaN) are not problems.
  quotes = good;
  quotes[1].call_bid = quotes[1].put_ask = kNoQuote;
  EXPECT_FALSE(CheckChainQuotes(quotes).has_value());
}

}  // namespace
}  // namespace nacre::pricing
