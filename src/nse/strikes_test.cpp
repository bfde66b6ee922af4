#include "nse/strikes.h"

#include <gtest/gtest.h>

#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::Px;

std::vector<Price> Pxs(std::initializer_list<const char*> texts) {
  std::vector<Price> out;
  for (const char* t : texts) out.push_back(Px(t));
  return out;
}

TEST(StrikeGridTest, AtmRoundsToNearestStepHalfUp) {
  const StrikeGrid g = StrikeGrid::Nifty();
  EXPECT_EQ(g.AtmStrike(Px("24012.35")), Px("24000"));
  EXPECT_EQ(g.AtmStrike(Px("24024.95")), Px("24000"));
  EXPECT_EQ(g.AtmStrike(Px("24025")), Px("24050"));
  EXPECT_EQ(g.AtmStrike(Px("24074.99")), Px("24050"));
  EXPECT_EQ(g.AtmStrike(Px("24075.00")), Px("24100"));
  EXPECT_EQ(g.AtmStrike(Px("24000")), Px("24000"));
  EXPECT_EQ(g.AtmStrike(Px("24000")).ToString(), "24000.00");
}

TEST(StrikeGridTest, StrikesAroundSpotNearTheMoney) {
  const StrikeGrid g = StrikeGrid::Nifty();
  EXPECT_EQ(g.StrikesAround(Px("24012.35"), 2), Pxs({"23900", "23950", "24000", "24050", "24100"}));
  EXPECT_EQ(g.StrikesAround(Px("21713.60"), 0), Pxs({"21700"}));
  EXPECT_EQ(g.StrikesAround(Px("24000"), 20).size(), 41u);
  EXPECT_EQ(g.StrikesAround(Px("24000"), 20).front(), Px("23000"));
  EXPECT_EQ(g.StrikesAround(Px("24000"), 20).back(), Px("25000"));
}

TEST(StrikeGridTest, WiderStepsBeyondTheNearBand) {
  auto g = StrikeGrid::Make(Px("50"), Px("100"), Px("200"));
  ASSERT_TRUE(g.ok()) << g.error();
  EXPECT_EQ(g->StrikesAround(Px("24000"), 6),
            Pxs({"23600", "23700", "23800", "23850", "23900", "23950", "24000", "24050", "24100",
                 "24150", "24200", "24300", "24400"}));
  EXPECT_EQ(g->StrikesBetween(Px("23500"), Px("24500"), Px("24000")),
            Pxs({"23500", "23600", "23700", "23800", "23850", "23900", "23950", "24000", "24050",
                 "24100", "24150", "24200", "24300", "24400", "24500"}));
  EXPECT_EQ(g->StrikesBetween(Px("23810"), Px("23890"), Px("24000")), Pxs({"23850"}));
  EXPECT_TRUE(g->StrikesBetween(Px("24500"), Px("23500"), Px("24000")).empty());
  EXPECT_TRUE(g->IsStrike(Px("23800"), Px("24000")));
  EXPECT_FALSE(g->IsStrike(Px("23750"), Px("24000")));
  EXPECT_FALSE(g->IsStrike(Px("24025"), Px("24000")));
  EXPECT_EQ(g->NextStrike(Px("24200"), Px("24000")), Px("24300"));
  EXPECT_EQ(g->PreviousStrike(Px("23800"), Px("24000")), Px("23700"));
  // The NIFTY default keeps 50-point steps within 2,000 points of ATM.
  EXPECT_EQ(StrikeGrid::Nifty().NextStrike(Px("25950"), Px("24000")), Px("26000"));
  EXPECT_EQ(StrikeGrid::Nifty().NextStrike(Px("26000"), Px("24000")), Px("26100"));
}

TEST(StrikeGridTest, StopsAtZero) {
  auto g = StrikeGrid::Uniform(Px("50"));
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->StrikesAround(Px("100"), 3), Pxs({"50", "100", "150", "200", "250"}));
  EXPECT_EQ(g->PreviousStrike(Px("50"), Px("100")), std::nullopt);
}

TEST(StrikeGridTest, FractionalSteps) {
  auto g = StrikeGrid::Uniform(Px("2.5"));
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->AtmStrike(Px("13.70")), Px("12.5"));
  EXPECT_EQ(g->AtmStrike(Px("13.75")), Px("15"));
  EXPECT_EQ(g->StrikesAround(Px("13.70"), 1), Pxs({"10", "12.5", "15"}));
}

TEST(StrikeGridTest, RejectsBadGrids) {
  EXPECT_EQ(StrikeGrid::Make(Px("0"), Px("100"), Px("0")).error(),
            "strike grid: step 0 must be positive");
  EXPECT_EQ(StrikeGrid::Make(Px("50"), Px("75"), Px("0")).error(),
            "strike grid: far step 75 must be a positive multiple of 50");
  EXPECT_FALSE(StrikeGrid::Make(Px("50"), Px("100"), Px("-1")).ok());
}

}  // namespace
}  // namespace nacre
