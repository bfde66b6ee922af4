#include "nse/margin.h"

#include <gtest/gtest.h>

#include <cmath>

#include "pricing/black.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::Inr;

MarginLeg Option(OptionKind kind, double strike, std::int64_t qty, double t_years = 0,
                 double vol = 0.15, double price = 0) {
  MarginLeg l;
  l.kind = MarginLegKind::kOption;
  l.option_kind = kind;
  l.strike = strike;
  l.quantity = qty;
  l.t_years = t_years;
  l.vol = vol;
  l.price = Price::FromDouble(price, 2);
  return l;
}

MarginInput At(double underlying, std::vector<MarginLeg> legs, double annual_vol = 0) {
  MarginInput in;
  in.underlying = Price::FromDouble(underlying, 2);
  in.annual_vol = annual_vol;
  in.legs = std::move(legs);
  return in;
}

TEST(NseMargin, CeilToPaisaRoundsUpOnly) {
  EXPECT_EQ(CeilToPaisa(10.001), Inr("10.01"));
  EXPECT_EQ(CeilToPaisa(10.01), Inr("10.01"));
  EXPECT_EQ(CeilToPaisa(0.0), Inr("0"));
  EXPECT_EQ(CeilToPaisa(-5.0), Inr("0"));
}

TEST(NseMargin, ShortFutureLosesTheFullPriceScanOnTheWorstSide) {
  MarginLeg f;
  f.kind = MarginLegKind::kFuture;
  f.price = Price::FromDouble(20000, 2);
  f.quantity = -75;
  auto r = ComputeMargin(At(20000, {f}));
  ASSERT_TRUE(r.ok()) << r.error();
  // PSR floor 9.3% of 20,000 = 1,860 points; the +1 × PSR scenario loses 1,860 × 75 (the +2×
  // extreme counts only 35%: 3,720 × 75 × 0.35 = 97,650 < 139,500).
  EXPECT_DOUBLE_EQ(r->price_scan, 1860.0);
  EXPECT_EQ(r->span, Inr("139500.00"));
  EXPECT_EQ(r->exposure, Inr("30000.00"));  // 2% of 15,00,000
  EXPECT_EQ(r->premium, Inr("0"));
  EXPECT_EQ(r->total, Inr("169500.00"));
  EXPECT_EQ(r->worst_scenario, 10);  // +1 × PSR, vol up
}

TEST(NseMargin, PriceScanUsesSigmaWhenAboveTheFloor) {
  MarginLeg f;
  f.kind = MarginLegKind::kFuture;
  f.price = Price::FromDouble(20000, 2);
  f.quantity = 75;
  auto r = ComputeMargin(At(20000, {f}, 0.30));
  ASSERT_TRUE(r.ok());
  const double expect = 20000 * 6 * std::sqrt(2.0) * 0.30 / std::sqrt(365.0);
  EXPECT_NEAR(r->price_scan, expect, 1e-9);
  EXPECT_GT(r->price_scan, 1860.0);
  EXPECT_NEAR(r->vol_scan, 0.075, 1e-12);  // 25% of 30 vol points
  auto low = ComputeMargin(At(20000, {f}, 0.08));
  EXPECT_NEAR(low->vol_scan, 0.04, 1e-12);  // min 4 vol points
}

TEST(NseMargin, NakedShortOptionAtExpiryIsChargedItsScenarioLossPlusElm) {
  auto r = ComputeMargin(At(20000, {Option(OptionKind::kCall, 20000, -75)}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->span, Inr("139500.00"));
  EXPECT_EQ(r->exposure, Inr("30000.00"));
  EXPECT_EQ(r->hedge_benefit, Inr("0"));
  EXPECT_EQ(r->naked_span, r->span);
}

TEST(NseMargin, VerticalSpreadSpanIsCappedAtTheWidthAndShowsTheHedgeBenefit) {
  // Short 20000 call, long 20100 call, 75 each: the worst loss is the 100-point width.
  auto r = ComputeMargin(
      At(20000, {Option(OptionKind::kCall, 20000, -75), Option(OptionKind::kCall, 20100, 75)}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->span, Inr("7500.00"));
  EXPECT_EQ(r->naked_span, Inr("139500.00"));
  EXPECT_EQ(r->hedge_benefit, Inr("132000.00"));
  EXPECT_EQ(r->exposure, Inr("30000.00"));  // ELM on the short leg only
}

TEST(NseMargin, LongOptionPaysPremiumAndItsSpanNeverExceedsItsValue) {
  const MarginLeg l = Option(OptionKind::kPut, 20000, 75, 7.0 / 365, 0.14, 180.0);
  auto r = ComputeMargin(At(20000, {l}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->premium, Inr("13500.00"));  // 180 × 75
  EXPECT_EQ(r->exposure, Inr("0"));
  const double theo = pricing::Black76Price(OptionKind::kPut, 20000, 20000, 7.0 / 365, 0.14, 0);
  EXPECT_LE(r->span.AsDouble(), theo * 75 + 0.01);
  EXPECT_GT(r->span, Inr("0"));
}

TEST(NseMargin, ExpiryDayAddsExtraElmOnShortsEvenWhenHedged) {
  MarginLeg shrt = Option(OptionKind::kPut, 20000, -75);
  MarginLeg lng = Option(OptionKind::kPut, 19900, 75);
  auto normal = ComputeMargin(At(20000, {shrt, lng}));
  shrt.expires_today = true;
  lng.expires_today = true;
  auto expiry = ComputeMargin(At(20000, {shrt, lng}));
  ASSERT_TRUE(normal.ok() && expiry.ok());
  EXPECT_EQ(normal->expiry_elm, Inr("0"));
  EXPECT_EQ(expiry->expiry_elm, Inr("30000.00"));
  EXPECT_EQ(expiry->total - normal->total, Inr("30000.00"));
}

// Premium and exposure are exact Price × units sums: a premium of ₹0.05 × 1,800 units is
// ₹90.00 exactly, and 2% ELM of 24,321.35 × 1,800 is ₹8,75,568.60 exactly (no float residue
// pushing either up a paisa).
TEST(NseMargin, MoneyPartsAreExactFixedPoint) {
  MarginLeg lng = Option(OptionKind::kCall, 26000, 1800, 1.0 / 365, 0.12, 0.05);
  MarginLeg shrt = Option(OptionKind::kCall, 25000, -1800, 1.0 / 365, 0.12, 0);
  shrt.price = Price::Raw(0, 2);
  MarginInput in = At(0, {lng, shrt});
  in.underlying = *Price::Parse("24321.35");
  auto r = ComputeMargin(in);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->premium, Inr("90.00"));
  EXPECT_EQ(r->exposure, Inr("875568.60"));
  // A thousandth of a paisa above rounds up to the next paisa.
  lng.price = Price::Raw(50'000'001, 9);  // 0.050000001
  in.legs[0] = lng;
  auto up = ComputeMargin(in);
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->premium, Inr("90.01"));
}

TEST(NseMargin, BadInputsAreRefusedWithTheField) {
  auto r = ComputeMargin(At(0, {}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("underlying"), std::string::npos);
  auto leg = ComputeMargin(At(20000, {Option(OptionKind::kCall, -5, 75)}));
  ASSERT_FALSE(leg.ok());
  EXPECT_NE(leg.error().find("leg 0"), std::string::npos);
  auto nan = ComputeMargin(At(20000, {Option(OptionKind::kCall, 20000, 75, NAN)}));
  EXPECT_FALSE(nan.ok());
}

TEST(NseMargin, SixteenScenarios) {
  EXPECT_EQ(ScenarioLosses(At(20000, {Option(OptionKind::kCall, 20000, -75)})).size(), 16u);
}

}  // namespace
}  // namespace nacre
