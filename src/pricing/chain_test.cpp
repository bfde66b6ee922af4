#include "pricing/chain.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace nacre::pricing
