#include "apps/spreads/spread_planner.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>

#include "apps/spreads/listed_chains.h"
#include "pricing/black.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::Px;

class PlannerTest : public ::testing::Test {
 protected:
  PlannerTest() {
    for (int k = 23500; k <= 24500; k += 50) {
      for (OptionKind kind : {OptionKind::kCall, OptionKind::kPut}) {
        const Instrument ins = testkit::NiftyOption(kind, std::to_string(k).c_str());
        cache_.AddInstrument(ins);
        const double mid = pricing::Black76Price(kind, 24010, k, T(), 0.13, 0.065);
        QuoteTick q;
        q.instrument_id = ins.id;
        const double bid = std::max(0.05, std::round((mid - 0.10) / 0.05) * 0.05);
        q.bid_price = Price::FromDouble(bid, 2);
        q.ask_price = Price::FromDouble(bid + 0.20, 2);
        q.bid_size = q.ask_size = Quantity::FromInt(650);
        q.ts_event = q.ts_init = now_;
        cache_.AddQuote(q);
      }
    }
    rules_.underlying = MustInstrumentId("NIFTY 50.NSE");
  }
  double T() const {
    return static_cast<double>(FromIst(2026, 1, 6, 15, 30) - now_) /
           static_cast<double>(365 * kNanosPerDay);
  }
  UnixNanos now_ = FromIst(2026, 1, 5, 10, 0);
  Cache cache_;
  EntryRules rules_;
};

TEST_F(PlannerTest, BullPutByDeltaAndCondorByPoints) {
  SpreadPlanner planner(rules_);
  auto plan = planner.Plan(cache_, now_, SpreadKind::kBullPut);
  ASSERT_TRUE(plan.ok()) << plan.error();
  EXPECT_NEAR(plan->forward, 24010, 0.5);
  ASSERT_EQ(plan->legs.size(), 2u);
  // The short put is the OTM put whose |delta| is nearest 0.20; check against its neighbours.
  const double k = plan->instruments[0].strike.AsDouble();
  auto delta = [&](double strike) {
    return std::abs(
        pricing::Black76Greeks(OptionKind::kPut, 24010, strike, T(), 0.13, 0.065).delta);
  };
  EXPECT_LE(std::abs(delta(k) - 0.2), std::abs(delta(k - 50) - 0.2) + 1e-3);
  EXPECT_LE(std::abs(delta(k) - 0.2), std::abs(delta(k + 50) - 0.2) + 1e-3);
  EXPECT_EQ(plan->instruments[1].strike.raw(), plan->instruments[0].strike.raw() - Px("100").raw());
  EXPECT_EQ(plan->legs[0].side, OrderSide::kSell);
  // Limit credit = mid credit − 2 ticks, on the tick grid.
  // floor((mid − 0.10) / tick) × tick: within one tick below mid − 2 ticks.
  EXPECT_LE(plan->limit_credit.raw(), plan->credit_mid.raw() - Px("0.10").raw());
  EXPECT_GT(plan->limit_credit.raw(), plan->credit_mid.raw() - Px("0.15").raw());
  EXPECT_EQ(plan->limit_credit.raw() % Px("0.05").raw(), 0);

  EntryRules points = rules_;
  points.short_delta = 0;
  points.short_otm_points = Px("200");
  auto condor = SpreadPlanner(points).Plan(cache_, now_, SpreadKind::kIronCondor);
  ASSERT_TRUE(condor.ok()) << condor.error();
  ASSERT_EQ(condor->legs.size(), 4u);
  EXPECT_EQ(condor->short_strikes[0], Px("23800"));  // nearest listed to 24010 − 200
  EXPECT_EQ(condor->short_strikes[1], Px("24200"));  // nearest listed to 24010 + 200
}

TEST_F(PlannerTest, NoPlanReasonsAreClear) {
  EntryRules far = rules_;
  far.min_dte = 10;
  far.max_dte = 20;
  auto none = SpreadPlanner(far).Plan(cache_, now_, SpreadKind::kBullPut);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().find("10 to 20 days"), std::string::npos) << none.error();
  EntryRules wide = rules_;
  wide.wing_width = Px("2000");
  auto wing = SpreadPlanner(wide).Plan(cache_, now_, SpreadKind::kBearCall);
  ASSERT_FALSE(wing.ok());
  EXPECT_NE(wing.error().find("wing strike"), std::string::npos) << wing.error();
  EntryRules greedy = rules_;
  greedy.min_credit = Px("500");
  auto small = SpreadPlanner(greedy).Plan(cache_, now_, SpreadKind::kBullPut);
  ASSERT_FALSE(small.ok());
  EXPECT_NE(small.error().find("below the minimum"), std::string::npos) << small.error();
}

TEST_F(PlannerTest, NseMarginGivesTheWingItsHedgeBenefit) {
  auto plan = SpreadPlanner(rules_).Plan(cache_, now_, SpreadKind::kBullPut);
  ASSERT_TRUE(plan.ok());
  NseSpanMarginModel nse;
  auto spread = nse.MarginPerLot(*plan, cache_, now_);
  ASSERT_TRUE(spread.ok()) << spread.error();
  EntryPlan naked = *plan;
  naked.legs.pop_back();
  naked.instruments.pop_back();
  naked.leg_iv.pop_back();
  naked.leg_mid.pop_back();
  auto alone = nse.MarginPerLot(naked, cache_, now_);
  ASSERT_TRUE(alone.ok()) << alone.error();
  EXPECT_LT(*spread, *alone);
  EXPECT_GT(spread->raw(), 0);
  // The max-loss estimate: width × lot − credit.
  auto ml = MaxLossMarginModel().MarginPerLot(*plan, cache_, now_);
  ASSERT_TRUE(ml.ok());
  EXPECT_EQ(*ml, Money::Notional(Px("100"), Quantity::FromInt(65), 1) -
                     Money::Notional(plan->limit_credit, Quantity::FromInt(65), 1));
}

// The planner reads the chains from the cache's option index: the nearest expiry within the
// days-to-expiry rules among contracts listed now (activated, not expired), and only that
// expiry's chain, the same chain a full listing gives.
TEST(ListedChainsTest, ChainsComeFromTheIndexOfListedContracts) {
  Cache cache;
  const InstrumentId nifty = MustInstrumentId("NIFTY 50.NSE");
  const UnixNanos now = FromIst(2026, 1, 5, 10, 0);
  auto add = [&](int day, int strike, OptionKind kind, UnixNanos activation) {
    InstrumentSpec s;
    s.id = MustInstrumentId(fmt::format("NIFTY2601{:02}{}{}.NFO", day, strike,
                                        kind == OptionKind::kCall ? "CE" : "PE"));
    s.lot_size = Quantity::FromInt(65);
    cache.AddInstrument(*MakeOption(s, nifty, kind, Price::Raw(strike * kFixedScale, 2),
                                    activation, FromIst(2026, 1, day, 15, 30)));
  };
  const UnixNanos listed = now - 10 * kNanosPerDay;
  // Added out of order; the 2nd expired, the 20th not listed until tomorrow.
  for (int day : {13, 2, 6, 20}) {
    for (int strike : {24100, 23900, 24000}) {
      for (OptionKind kind : {OptionKind::kPut, OptionKind::kCall}) {
        add(day, strike, kind, day == 20 ? now + kNanosPerDay : listed);
      }
    }
  }
  const auto all = ListedChains(cache, nifty, now);
  ASSERT_EQ(all.size(), 2u);  // the 6th and the 13th
  EXPECT_EQ(all.begin()->first, FromIst(2026, 1, 6, 15, 30));
  for (const auto& [expiry, chain] : all) {
    const ListedChain one = ListedChainOf(cache, nifty, expiry, now);
    ASSERT_EQ(one.size(), 3u);
    auto it = chain.begin();
    for (const auto& [strike, pair] : one) {
      EXPECT_EQ(strike, it->first);
      EXPECT_EQ(pair.call, it->second.call);
      EXPECT_EQ(pair.put, it->second.put);
      ASSERT_NE(pair.call, nullptr);
      EXPECT_EQ(pair.call->option_kind, OptionKind::kCall);
      EXPECT_EQ(pair.put->strike.raw(), strike);
      ++it;
    }
  }
  EXPECT_TRUE(ListedChainOf(cache, nifty, FromIst(2026, 1, 2, 15, 30), now).empty());
  EXPECT_TRUE(ListedChainOf(cache, nifty, FromIst(2026, 1, 20, 15, 30), now).empty());
  EntryRules rules;
  rules.underlying = nifty;
  rules.min_dte = 0;
  rules.max_dte = 7;
  EXPECT_EQ(SpreadPlanner(rules).ChooseExpiry(cache, now), FromIst(2026, 1, 6, 15, 30));
  rules.min_dte = 2;
  rules.max_dte = 9;
  EXPECT_EQ(SpreadPlanner(rules).ChooseExpiry(cache, now), FromIst(2026, 1, 13, 15, 30));
  rules.min_dte = 9;
  rules.max_dte = 20;  // the 20th is not listed yet
  EXPECT_EQ(SpreadPlanner(rules).ChooseExpiry(cache, now), std::nullopt);
  // Tomorrow it is.
  EXPECT_EQ(SpreadPlanner(rules).ChooseExpiry(cache, now + kNanosPerDay),
            FromIst(2026, 1, 20, 15, 30));
}

}  // namespace
}  // namespace nacre
