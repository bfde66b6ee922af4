#include "nse/charges.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/fixed.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::Inr;

constexpr CivilDate D(int y, int m, int d) { return CivilDate{y, m, d}; }

// Component by component, so a failure names the component.
void ExpectBreakdown(const ChargeBreakdown& b, const char* brokerage, const char* stt,
                     const char* exchange, const char* ipft, const char* sebi, const char* stamp,
                     const char* gst, const char* total) {
  EXPECT_EQ(b.brokerage, Inr(brokerage)) << "brokerage";
  EXPECT_EQ(b.stt, Inr(stt)) << "stt";
  EXPECT_EQ(b.exchange, Inr(exchange)) << "exchange";
  EXPECT_EQ(b.ipft, Inr(ipft)) << "ipft";
  EXPECT_EQ(b.sebi, Inr(sebi)) << "sebi";
  EXPECT_EQ(b.stamp, Inr(stamp)) << "stamp";
  EXPECT_EQ(b.gst, Inr(gst)) << "gst";
  EXPECT_EQ(b.Total(), Inr(total)) << "total";
}

ChargeBreakdown Sum(const std::vector<ChargeBreakdown>& v) {
  ChargeBreakdown s;
  for (const ChargeBreakdown& b : v) Accumulate(s, b);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Rates and schedules

TEST(ChargeRateTest, ParsesFractionsAndPercentagesExactly) {
  EXPECT_EQ(ChargeRate::Parse("0.0015")->raw(), 1'500'000);
  EXPECT_EQ(ChargeRate::Parse("0.15%")->raw(), 1'500'000);
  EXPECT_EQ(ChargeRate::Parse("0.03503%")->raw(), 350'300);
  EXPECT_EQ(ChargeRate::Parse("18%")->raw(), 180'000'000);
  EXPECT_EQ(ChargeRate::Parse("0")->raw(), 0);
  EXPECT_EQ(ChargeRate::Parse("1")->raw(), 1'000'000'000);
  EXPECT_EQ(ChargeRate::Parse("0.000000001")->raw(), 1);
  EXPECT_FALSE(ChargeRate::Parse("0.0000000001"));  // 10 decimals
  EXPECT_FALSE(ChargeRate::Parse("0.000000001%"));  // 11 decimals as a fraction
  EXPECT_FALSE(ChargeRate::Parse("-0.001"));
  EXPECT_FALSE(ChargeRate::Parse("1.01"));
  EXPECT_FALSE(ChargeRate::Parse("abc"));
  EXPECT_FALSE(ChargeRate::Parse("1e-3"));
}

TEST(ChargeRateTest, FormatsPercentAndPerCrore) {
  EXPECT_EQ(ChargeRate::Raw(1'500'000).ToPercent(), "0.15%");
  EXPECT_EQ(ChargeRate::Raw(350'300).ToPercent(), "0.03503%");
  EXPECT_EQ(ChargeRate::Raw(180'000'000).ToPercent(), "18%");
  EXPECT_EQ(ChargeRate::Raw(0).ToPercent(), "0%");
  EXPECT_EQ(ChargeRate::Raw(5'000).PerCrore(), "50");      // IPFT
  EXPECT_EQ(ChargeRate::Raw(1'000).PerCrore(), "10");      // SEBI
  EXPECT_EQ(ChargeRate::Raw(1).PerCrore(), "0.01");        // old IPFT
  EXPECT_EQ(ChargeRate::Raw(350'300).PerCrore(), "3503");  // ₹35.03 per lakh
}

TEST(ChargeScheduleStepsTest, LooksUpStepsAndRejectsUnsorted) {
  auto s = Schedule<int>::Create({{D(2020, 1, 1), 1}, {D(2021, 1, 1), 2}, {D(2022, 6, 15), 3}});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->At(D(2019, 12, 31)), 1);  // the first step covers earlier dates
  EXPECT_EQ(s->At(D(2020, 12, 31)), 1);
  EXPECT_EQ(s->At(D(2021, 1, 1)), 2);
  EXPECT_EQ(s->At(D(2022, 6, 14)), 2);
  EXPECT_EQ(s->At(D(2022, 6, 15)), 3);
  EXPECT_EQ(s->At(D(2099, 1, 1)), 3);

  const auto later = Schedule<int>::Create({{D(2021, 6, 1), 7}, {D(2023, 1, 1), 8}});
  const Schedule<int> merged = s->ReplacedFrom(*later);
  EXPECT_EQ(merged.steps().size(), 4u);  // 2020, 2021 kept; 2022 dropped; two new
  EXPECT_EQ(merged.At(D(2021, 5, 31)), 2);
  EXPECT_EQ(merged.At(D(2022, 6, 15)), 7);
  EXPECT_EQ(merged.At(D(2023, 1, 1)), 8);

  EXPECT_FALSE((Schedule<int>::Create({{D(2021, 1, 1), 1}, {D(2020, 1, 1), 2}})));
  EXPECT_FALSE((Schedule<int>::Create({{D(2021, 1, 1), 1}, {D(2021, 1, 1), 2}})));
  EXPECT_FALSE((Schedule<int>::Create({})));
}

TEST(ChargeScheduleTest, ZerodhaRatesChangeOnTheirDates) {
  const ChargeSchedule s = ChargeSchedule::ZerodhaIndexOptions();
  const auto stt = [&](CivilDate d) { return s.At(d).stt_sell.ToPercent(); };
  EXPECT_EQ(stt(D(2015, 1, 1)), "0.017%");
  EXPECT_EQ(stt(D(2016, 5, 31)), "0.017%");
  EXPECT_EQ(stt(D(2016, 6, 1)), "0.05%");
  EXPECT_EQ(stt(D(2023, 3, 31)), "0.05%");
  EXPECT_EQ(stt(D(2023, 4, 1)), "0.0625%");
  EXPECT_EQ(stt(D(2024, 9, 30)), "0.0625%");
  EXPECT_EQ(stt(D(2024, 10, 1)), "0.1%");
  EXPECT_EQ(stt(D(2026, 3, 31)), "0.1%");
  EXPECT_EQ(stt(D(2026, 4, 1)), "0.15%");

  EXPECT_EQ(s.At(D(2026, 3, 31)).stt_exercise.ToPercent(), "0.125%");
  EXPECT_EQ(s.At(D(2026, 4, 1)).stt_exercise.ToPercent(), "0.15%");

  const auto exch = [&](CivilDate d) { return s.At(d).exchange.ToPercent(); };
  EXPECT_EQ(exch(D(2021, 6, 1)), "0.053%");
  EXPECT_EQ(exch(D(2023, 3, 31)), "0.053%");
  EXPECT_EQ(exch(D(2023, 4, 1)), "0.05%");
  EXPECT_EQ(exch(D(2024, 9, 30)), "0.05%");
  EXPECT_EQ(exch(D(2024, 10, 1)), "0.03503%");

  EXPECT_EQ(s.At(D(2023, 3, 31)).ipft.PerCrore(), "0.01");
  EXPECT_EQ(s.At(D(2023, 4, 1)).ipft.PerCrore(), "50");

  const ChargeRates r = s.At(D(2026, 4, 15));
  EXPECT_EQ(r.brokerage_per_order, Inr("20"));
  EXPECT_EQ(r.sebi.PerCrore(), "10");
  EXPECT_EQ(r.stamp.ToPercent(), "0.003%");
  EXPECT_EQ(r.gst.ToPercent(), "18%");
  EXPECT_EQ(r.date, D(2026, 4, 15));
}

TEST(ChargeScheduleTest, DescribeListsTheRatesInForce) {
  const ChargeSchedule s = ChargeSchedule::ZerodhaIndexOptions();
  EXPECT_EQ(s.Describe(D(2026, 4, 15)),
            "Charges in force on 2026-04-15 (NSE index options)\n"
            "  brokerage        ₹20.00 per executed order\n"
            "  STT on sale      0.15% of premium, sell side\n"
            "  STT on exercise  0.15% of intrinsic value, long ITM at expiry\n"
            "  exchange txn     0.03503% of premium, both sides\n"
            "  IPFT             0.0005% of premium (₹50 / crore), both sides\n"
            "  SEBI fee         0.0001% of premium (₹10 / crore), both sides\n"
            "  stamp duty       0.003% of premium, buy side\n"
            "  GST              18% of brokerage + exchange txn + IPFT + SEBI fee\n");
  const std::string old = s.Describe(D(2023, 6, 15));
  EXPECT_NE(old.find("0.0625% of premium, sell side"), std::string::npos) << old;
  EXPECT_NE(old.find("0.125% of intrinsic value"), std::string::npos) << old;
  EXPECT_NE(old.find("0.05% of premium"), std::string::npos) << old;
}

// ---------------------------------------------------------------------------------------------
// The worked round trip: sell 1 lot (65) at ₹100, buy back at ₹80 the same day. Premiums
// 6,500 (sell) and 5,200 (buy), turnover 11,700. The lot size is kept at 65 in every era so
// that only the rates differ.

struct RoundTrip {
  ChargeBreakdown sell;
  ChargeBreakdown buy;
  ChargeBreakdown totals;
};

RoundTrip SellThenBuyBack(const CivilDate& day) {
  const ChargeSchedule schedule = ChargeSchedule::ZerodhaIndexOptions();
  ContractNote note(day, schedule.At(day));
  RoundTrip rt;
  rt.sell = note.OnFill(OrderSide::kSell, Inr("6500"), true);
  rt.buy = note.OnFill(OrderSide::kBuy, Inr("5200"), true);
  rt.totals = note.Totals();
  return rt;
}

TEST(ChargeContractNoteTest, WorkedRoundTripAfterApril2026) {
  // Rates: STT 0.15%, exchange 0.03503%, IPFT 0.0005%, SEBI 0.0001%, stamp 0.003%, GST 18%.
  // Day totals (NSE_FNO.md):
  //   brokerage 2 x 20 = 40.00
  //   STT 6500 x 0.0015 = 9.75
  //   exchange 11700 x 0.0003503 = 4.09851 -> 4.10
  //   IPFT 11700 x 0.000005 = 0.0585 -> 0.06
  //   SEBI 11700 x 0.000001 = 0.0117 -> 0.01
  //   stamp 5200 x 0.00003 = 0.156 -> 0.16
  //   GST 0.18 x (40 + 4.09851 + 0.0585 + 0.0117) = 0.18 x 44.16871 = 7.9503678 -> 7.95
  //   total 62.03
  const RoundTrip rt = SellThenBuyBack(D(2026, 4, 15));
  ExpectBreakdown(rt.totals, "40.00", "9.75", "4.10", "0.06", "0.01", "0.16", "7.95", "62.03");
  // The sell alone: exchange 6500 x 0.0003503 = 2.27695 -> 2.28; IPFT 0.0325 -> 0.03;
  // SEBI 0.0065 -> 0.01; GST 0.18 x (20 + 2.27695 + 0.0325 + 0.0065) = 4.016871 -> 4.02.
  ExpectBreakdown(rt.sell, "20.00", "9.75", "2.28", "0.03", "0.01", "0.00", "4.02", "36.09");
  // The buy gets the rest: exchange 4.10 - 2.28, IPFT 0.06 - 0.03, SEBI 0.01 - 0.01,
  // GST 7.95 - 4.02.
  ExpectBreakdown(rt.buy, "20.00", "0.00", "1.82", "0.03", "0.00", "0.16", "3.93", "25.94");
}

TEST(ChargeContractNoteTest, SameRoundTripMid2023) {
  // 15-Jun-2023: STT 0.0625%, exchange 0.05%, IPFT 0.0005%.
  //   STT 6500 x 0.000625 = 4.0625 -> 4.06
  //   exchange 11700 x 0.0005 = 5.85
  //   IPFT 0.0585 -> 0.06; SEBI 0.0117 -> 0.01; stamp 0.156 -> 0.16
  //   GST 0.18 x (40 + 5.85 + 0.0585 + 0.0117) = 0.18 x 45.9202 = 8.265636 -> 8.27
  //   total 40 + 4.06 + 5.85 + 0.06 + 0.01 + 0.16 + 8.27 = 58.41
  // Sell alone: exchange 6500 x 0.0005 = 3.25; IPFT 0.0325 -> 0.03; SEBI 0.0065 -> 0.01;
  //   GST 0.18 x (20 + 3.25 + 0.0325 + 0.0065) = 0.18 x 23.289 = 4.19202 -> 4.19.
  // The buy gets the rest: exchange 5.85 - 3.25, IPFT 0.06 - 0.03, GST 8.27 - 4.19.
  const RoundTrip rt = SellThenBuyBack(D(2023, 6, 15));
  ExpectBreakdown(rt.totals, "40.00", "4.06", "5.85", "0.06", "0.01", "0.16", "8.27", "58.41");
  ExpectBreakdown(rt.sell, "20.00", "4.06", "3.25", "0.03", "0.01", "0.00", "4.19", "31.54");
  ExpectBreakdown(rt.buy, "20.00", "0.00", "2.60", "0.03", "0.00", "0.16", "4.08", "26.87");
}

TEST(ChargeContractNoteTest, SameRoundTripMid2025) {
  // 15-Jul-2025: STT 0.1%, exchange 0.03503%, exercise STT still 0.125% (unused here).
  //   STT 6500 x 0.001 = 6.50; exchange 4.09851 -> 4.10; IPFT 0.06; SEBI 0.01; stamp 0.16
  //   GST as in 2026: 0.18 x 44.16871 = 7.9503678 -> 7.95
  //   total 40 + 6.50 + 4.10 + 0.06 + 0.01 + 0.16 + 7.95 = 58.78
  const RoundTrip rt = SellThenBuyBack(D(2025, 7, 15));
  ExpectBreakdown(rt.totals, "40.00", "6.50", "4.10", "0.06", "0.01", "0.16", "7.95", "58.78");
  ExpectBreakdown(rt.sell, "20.00", "6.50", "2.28", "0.03", "0.01", "0.00", "4.02", "32.84");
}

TEST(ChargeContractNoteTest, SameRoundTripBeforeApril2023) {
  // 15-Mar-2023: STT 0.05%, exchange 0.053%, IPFT ₹0.01 per crore.
  //   STT 6500 x 0.0005 = 3.25; exchange 11700 x 0.00053 = 6.201 -> 6.20
  //   IPFT 11700 x 0.000000001 = 0.0000117 -> 0.00; SEBI 0.01; stamp 0.16
  //   GST 0.18 x (40 + 6.201 + 0.0000117 + 0.0117) = 8.318288... -> 8.32
  //   total 40 + 3.25 + 6.20 + 0 + 0.01 + 0.16 + 8.32 = 57.94
  const RoundTrip rt = SellThenBuyBack(D(2023, 3, 15));
  ExpectBreakdown(rt.totals, "40.00", "3.25", "6.20", "0.00", "0.01", "0.16", "8.32", "57.94");
}

TEST(ChargeContractNoteTest, SttStepOfJune2016RoundsHalfAwayFromZero) {
  const ChargeSchedule s = ChargeSchedule::ZerodhaIndexOptions();
  // 6500 x 0.00017 = 1.105 exactly -> 1.11 (half away from zero).
  ContractNote before(D(2016, 5, 31), s.At(D(2016, 5, 31)));
  EXPECT_EQ(before.OnFill(OrderSide::kSell, Inr("6500"), true).stt, Inr("1.11"));
  ContractNote after(D(2016, 6, 1), s.At(D(2016, 6, 1)));
  EXPECT_EQ(after.OnFill(OrderSide::kSell, Inr("6500"), true).stt, Inr("3.25"));
  // Buys pay no STT, sells no stamp duty.
  EXPECT_TRUE(after.OnFill(OrderSide::kBuy, Inr("6500"), true).stt.is_zero());
  EXPECT_EQ(after.Totals().stamp, Inr("0.20"));  // 6500 x 0.00003 = 0.195 -> 0.20
}

// ---------------------------------------------------------------------------------------------
// Rounding policy

TEST(ChargeContractNoteTest, BrokerageOncePerOrderAcrossPartialFills) {
  const ChargeSchedule s = ChargeSchedule::ZerodhaIndexOptions();
  const CivilDate day = D(2026, 4, 15);
  ContractNote note(day, s.At(day));
  // One sell order of 2 lots filled 65 + 65 at ₹100.
  const ChargeBreakdown a = note.OnFill(OrderSide::kSell, Inr("6500"), true);
  const ChargeBreakdown b = note.OnFill(OrderSide::kSell, Inr("6500"), false);
  EXPECT_EQ(a.brokerage, Inr("20"));
  EXPECT_TRUE(b.brokerage.is_zero());
  // Cumulative rounding, not per fill: exchange 2.27695 -> 2.28, then 4.5539 -> 4.55, so the
  // second fill gets 2.27 (per-fill rounding would charge 4.56 in all).
  EXPECT_EQ(a.exchange, Inr("2.28"));
  EXPECT_EQ(b.exchange, Inr("2.27"));
  // IPFT 0.0325 -> 0.03, 0.065 -> 0.07; SEBI 0.0065 -> 0.01, 0.013 -> 0.01.
  EXPECT_EQ(b.ipft, Inr("0.04"));
  EXPECT_TRUE(b.sebi.is_zero());
  EXPECT_EQ(b.stt, Inr("9.75"));
  // GST 0.18 x (20 + 4.5539 + 0.065 + 0.013) = 0.18 x 24.6319 = 4.433742 -> 4.43; 4.43 - 4.02.
  EXPECT_EQ(a.gst, Inr("4.02"));
  EXPECT_EQ(b.gst, Inr("0.41"));
  // A second order (the buy back, one fill) pays its own brokerage.
  EXPECT_EQ(note.OnFill(OrderSide::kBuy, Inr("13000"), true).brokerage, Inr("20"));
  EXPECT_EQ(note.executed_orders(), 2);
  EXPECT_EQ(note.Totals().brokerage, Inr("40"));
  EXPECT_EQ(note.sell_premium(), Inr("13000"));
  EXPECT_EQ(note.buy_premium(), Inr("13000"));
}

TEST(ChargeCalculatorTest, RoundsPerTradeDate) {
  const ChargeSchedule s = ChargeSchedule::ZerodhaIndexOptions();
  ChargeCalculator calc(s);
  // The worked round trip split over two days: sold on 15-Apr, bought back on 16-Apr.
  const ChargeBreakdown day1 = calc.OnFill(D(2026, 4, 15), OrderSide::kSell, Inr("6500"), true);
  ExpectBreakdown(day1, "20.00", "9.75", "2.28", "0.03", "0.01", "0.00", "4.02", "36.09");
  // Day 2 is a new contract note: exchange 5200 x 0.0003503 = 1.82156 -> 1.82; IPFT 0.026 ->
  // 0.03; SEBI 0.0052 -> 0.01 (not 0.00 as on a shared day); stamp 0.156 -> 0.16;
  // GST 0.18 x (20 + 1.82156 + 0.026 + 0.0052) = 3.9334968 -> 3.93.
  const ChargeBreakdown day2 = calc.OnFill(D(2026, 4, 16), OrderSide::kBuy, Inr("5200"), true);
  ExpectBreakdown(day2, "20.00", "0.00", "1.82", "0.03", "0.01", "0.16", "3.93", "25.95");
  ASSERT_TRUE(calc.note().has_value());
  EXPECT_EQ(calc.note()->trade_date(), D(2026, 4, 16));
  EXPECT_EQ(calc.note()->Totals().Total(), Inr("25.95"));
  EXPECT_EQ(calc.total().Total(), Inr("62.04"));  // a paisa more than on one day
}

TEST(ChargeCalculatorTest, ExerciseSttOnlyForLongInTheMoney) {
  const ChargeSchedule s = ChargeSchedule::ZerodhaIndexOptions();
  ChargeCalculator calc(s);
  // Short positions and OTM expiries pay nothing and open no contract note.
  EXPECT_EQ(calc.OnExpiry(D(2026, 4, 30), PositionSide::kShort, Inr("6500")).Total(), Inr("0"));
  EXPECT_EQ(calc.OnExpiry(D(2026, 4, 30), PositionSide::kLong, Inr("0")).Total(), Inr("0"));
  EXPECT_FALSE(calc.note().has_value());
  // Long 65 x 24000 CE settled at 24100: intrinsic 100 x 65 = 6500; 0.15% = 9.75, no other
  // component (no brokerage, exchange charge or GST on exercise).
  const ChargeBreakdown itm = calc.OnExpiry(D(2026, 4, 30), PositionSide::kLong, Inr("6500"));
  ExpectBreakdown(itm, "0", "9.75", "0", "0", "0", "0", "0", "9.75");
  EXPECT_EQ(calc.note()->exercised_intrinsic(), Inr("6500"));

  ChargeCalculator old(s);
  // Under the 0.125% rate: 6500 x 0.00125 = 8.125 -> 8.13.
  EXPECT_EQ(old.OnExercise(D(2026, 3, 31), Inr("6500")).stt, Inr("8.13"));
  EXPECT_EQ(old.OnExercise(D(2026, 4, 1), Inr("6500")).stt, Inr("9.75"));
}

TEST(ChargeCalculatorTest, ExerciseSttSharesTheDaysRoundingWithSales) {
  const ChargeSchedule s = ChargeSchedule::ZerodhaIndexOptions();
  ChargeCalculator calc(s);
  const CivilDate day = D(2025, 7, 31);
  // Sale STT 1234.55 x 0.001 = 1.23455 -> 1.23.
  EXPECT_EQ(calc.OnFill(day, OrderSide::kSell, Inr("1234.55"), true).stt, Inr("1.23"));
  // Exercise STT 4321.15 x 0.00125 = 5.4014375; the day's STT 6.6359875 -> 6.64, so the
  // exercise is allocated 6.64 - 1.23 = 5.41 (rounded alone it would be 5.40).
  const ChargeBreakdown ex = calc.OnExercise(day, Inr("4321.15"));
  ExpectBreakdown(ex, "0", "5.41", "0", "0", "0", "0", "0", "5.41");
  EXPECT_EQ(calc.note()->Totals().stt, Inr("6.64"));
}

// Independent check: the day's totals from integer paise and rational rates (not the
// fixed-point ChargeRate), rounded half up, must equal the sum of the per-fill allocations.
std::int64_t RoundFrac(Int128 num, Int128 den) {
  return static_cast<std::int64_t>((2 * num + den) / (2 * den));
}

TEST(ChargeContractNoteTest, FillAllocationsSumToTheContractNote) {
  const ChargeSchedule s = ChargeSchedule::ZerodhaIndexOptions();
  const CivilDate day = D(2026, 4, 15);
  std::mt19937_64 rng(20260415);
  for (int round = 0; round < 50; ++round) {
    ContractNote note(day, s.At(day));
    std::vector<ChargeBreakdown> fills;
    std::int64_t buy = 0;  // paise
    std::int64_t sell = 0;
    std::int64_t orders = 0;
    const int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      const std::int64_t paise = static_cast<std::int64_t>(rng() % 5'000'000);  // < ₹50,000
      const bool is_buy = rng() % 2 == 0;
      const bool first = rng() % 3 != 0;
      (is_buy ? buy : sell) += paise;
      orders += first ? 1 : 0;
      fills.push_back(note.OnFill(is_buy ? OrderSide::kBuy : OrderSide::kSell,
                                  Money::FromRaw(paise * 10'000'000), first));
    }
    const ChargeBreakdown sum = Sum(fills);
    const ChargeBreakdown totals = note.Totals();
    EXPECT_EQ(sum.Total(), totals.Total());
    const Int128 turnover = buy + sell;
    const auto paise = [](std::int64_t p) { return Money::FromRaw(p * 10'000'000); };
    EXPECT_EQ(sum.brokerage, paise(orders * 2000));
    EXPECT_EQ(sum.stt, paise(RoundFrac(sell * 15, 10'000)));                 // 15 / 10^4
    EXPECT_EQ(sum.exchange, paise(RoundFrac(turnover * 3503, 10'000'000)));  // 3503 / 10^7
    EXPECT_EQ(sum.ipft, paise(RoundFrac(turnover * 5, 1'000'000)));          // 5 / 10^6
    EXPECT_EQ(sum.sebi, paise(RoundFrac(turnover, 1'000'000)));              // 1 / 10^6
    EXPECT_EQ(sum.stamp, paise(RoundFrac(buy * 3, 100'000)));                // 3 / 10^5
    // GST base in units of 10^-7 paise: brokerage + turnover x (3503 + 50 + 10) / 10^7.
    const Int128 base = static_cast<Int128>(orders) * 2000 * 10'000'000 + turnover * 3563;
    EXPECT_EQ(sum.gst, paise(RoundFrac(base * 18, static_cast<Int128>(100) * 10'000'000)));
  }
}

TEST(AllocateChargesTest, ListMatchesTheCalculatorAndGroupsByDate) {
  const ChargeSchedule s = ChargeSchedule::ZerodhaIndexOptions();
  using K = ChargeableTrade::Kind;
  // Day 2 listed first: the list form groups by date, so the result is the same as feeding
  // the calculator day by day.
  const std::vector<ChargeableTrade> trades = {
      {D(2026, 4, 16), K::kFill, OrderSide::kBuy, Inr("5200"), true},
      {D(2026, 4, 15), K::kFill, OrderSide::kSell, Inr("6500"), true},
      {D(2026, 4, 16), K::kExercise, OrderSide::kNoSide, Inr("6500"), false},
      {D(2026, 4, 15), K::kFill, OrderSide::kBuy, Inr("5200"), true},
  };
  const std::vector<ChargeBreakdown> out = AllocateCharges(s, trades);
  ASSERT_EQ(out.size(), 4u);
  // 15-Apr is the worked round trip: 36.09 + 25.94.
  EXPECT_EQ(out[1].Total(), Inr("36.09"));
  EXPECT_EQ(out[3].Total(), Inr("25.94"));
  // 16-Apr: the buy alone (25.95), then exercise STT 9.75.
  EXPECT_EQ(out[0].Total(), Inr("25.95"));
  EXPECT_EQ(out[2].Total(), Inr("9.75"));
  EXPECT_EQ(Sum(out).Total(), Inr("97.73"));

  ChargeCalculator calc(s);
  calc.OnFill(D(2026, 4, 15), OrderSide::kSell, Inr("6500"), true);
  calc.OnFill(D(2026, 4, 15), OrderSide::kBuy, Inr("5200"), true);
  calc.OnFill(D(2026, 4, 16), OrderSide::kBuy, Inr("5200"), true);
  calc.OnExercise(D(2026, 4, 16), Inr("6500"));
  EXPECT_EQ(calc.total().Total(), Sum(out).Total());
}

TEST(ChargeCalculatorDeathTest, TradeDatesMustNotGoBackwards) {
  const ChargeSchedule s = ChargeSchedule::ZerodhaIndexOptions();
  ChargeCalculator calc(s);
  calc.OnFill(D(2026, 4, 16), OrderSide::kBuy, Inr("100"), true);
  EXPECT_DEATH(calc.OnFill(D(2026, 4, 15), OrderSide::kBuy, Inr("100"), true),
               "before the open contract note");
  EXPECT_DEATH(calc.OnFill(D(2026, 4, 16), OrderSide::kBuy, Inr("-1"), true), "negative");
}

// ---------------------------------------------------------------------------------------------
// TOML overrides

class Doc {
 public:
  explicit Doc(std::string_view text) : table_(ConfigTable::ParseString(text, "test.toml")) {}
  ConfigTable Root() const { return ConfigTable(*table_, "test.toml", ""); }

 private:
  std::shared_ptr<toml::table> table_;
};

std::string ErrorOf(std::string_view toml) {
  try {
    const Doc doc(toml);
    ChargeSchedule::FromConfig(doc.Root());
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(ChargeScheduleConfigTest, OverrideKeepsEarlierHistory) {
  const Doc doc(R"(
[[stt_sell]]
from = "2026-04-01"
rate = "0.002"
)");
  const ChargeSchedule s = ChargeSchedule::FromConfig(doc.Root());
  EXPECT_EQ(s.At(D(2026, 4, 15)).stt_sell.ToPercent(), "0.2%");
  EXPECT_EQ(s.At(D(2026, 3, 31)).stt_sell.ToPercent(), "0.1%");      // built-in kept
  EXPECT_EQ(s.At(D(2023, 6, 15)).stt_sell.ToPercent(), "0.0625%");   // built-in kept
  EXPECT_EQ(s.At(D(2026, 4, 15)).exchange.ToPercent(), "0.03503%");  // other keys untouched
  // The worked round trip at 0.2% STT: 6500 x 0.002 = 13.00, 3.25 more than at 0.15%.
  ContractNote note(D(2026, 4, 15), s.At(D(2026, 4, 15)));
  note.OnFill(OrderSide::kSell, Inr("6500"), true);
  note.OnFill(OrderSide::kBuy, Inr("5200"), true);
  EXPECT_EQ(note.Totals().Total(), Inr("65.28"));
}

TEST(ChargeScheduleConfigTest, StepsPercentagesDatesAndBrokerage) {
  const Doc doc(R"(
gst = [{ from = "2000-01-01", rate = 0 }]

[[exchange]]
from = "2020-01-01"
to = "2027-12-31"
rate = "0.04%"

[[exchange]]
from = 2028-01-01
rate = "0.0003"

[[brokerage]]
from = "2027-01-01"
amount = "15"
)");
  const ChargeSchedule s = ChargeSchedule::FromConfig(doc.Root());
  EXPECT_EQ(s.At(D(2019, 6, 1)).exchange.ToPercent(), "0.053%");  // before the file's steps
  EXPECT_EQ(s.At(D(2024, 6, 1)).exchange.ToPercent(), "0.04%");
  EXPECT_EQ(s.At(D(2028, 1, 1)).exchange.ToPercent(), "0.03%");
  EXPECT_EQ(s.At(D(2026, 12, 31)).brokerage_per_order, Inr("20"));
  EXPECT_EQ(s.At(D(2027, 1, 1)).brokerage_per_order, Inr("15"));
  EXPECT_EQ(s.At(D(1999, 12, 31)).gst.ToPercent(), "18%");  // built-in history before 2000
  EXPECT_TRUE(s.At(D(2000, 1, 1)).gst.is_zero());
  EXPECT_TRUE(s.At(D(2026, 1, 1)).gst.is_zero());
}

TEST(ChargeScheduleConfigTest, LoadFileReadsTheFile) {
  const std::string path = testing::TempDir() + "nacre_charges_test.toml";
  {
    std::ofstream f(path);
    f << "[[stamp]]\nfrom = \"2026-01-01\"\nrate = \"0.00005\"\n";
  }
  const ChargeSchedule s = ChargeSchedule::LoadFile(path);
  EXPECT_EQ(s.At(D(2026, 1, 1)).stamp.ToPercent(), "0.005%");
  EXPECT_EQ(s.At(D(2025, 12, 31)).stamp.ToPercent(), "0.003%");
  std::remove(path.c_str());
  EXPECT_THROW(ChargeSchedule::LoadFile(path), ConfigError);  // missing file
}

// The schedules the root schema declares, as the unknown-key message lists them.
std::string KnownSchedules() {
  std::string out;
  for (const std::string& k : ChargesFileSchema().Keys()) out += (out.empty() ? "" : ", ") + k;
  return out;
}

// docs/config.md documents the overlay file from ChargesFileSchema and ChargeStepSchema: every
// schedule it lists, with every key of its step, is accepted and changes that component, and
// the step keys are exactly those the reader accepts (one more is refused).
TEST(ChargeScheduleConfigTest, TheDocumentedKeysAreTheAcceptedOnes) {
  const std::vector<std::string> schedules = ChargesFileSchema().Keys();
  ASSERT_FALSE(schedules.empty());
  for (const std::string& key : schedules) {
    const std::string value_key = key == "brokerage" ? "amount" : "rate";
    const std::vector<std::string> step_keys = ChargeStepSchema(value_key).Keys();
    ASSERT_NE(std::find(step_keys.begin(), step_keys.end(), value_key), step_keys.end()) << key;
    // Two steps: the first uses every documented key (to = the day before the second's from).
    std::string text = "[[" + key + "]]\n";
    for (const std::string& k : step_keys) {
      if (k == "from") text += "from = \"2030-01-01\"\n";
      if (k == "to") text += "to = \"2030-06-30\"\n";
      if (k == value_key) text += k + " = \"0.5\"\n";
    }
    text += "[[" + key + "]]\nfrom = \"2030-07-01\"\n" + value_key + " = \"0.25\"\n";
    const Doc doc(text);
    ChargeSchedule s = ChargeSchedule::ZerodhaIndexOptions();
    ASSERT_NO_THROW(s = ChargeSchedule::FromConfig(doc.Root())) << text;
    const ChargeRates before = ChargeSchedule::ZerodhaIndexOptions().At(D(2030, 3, 1));
    const ChargeRates mid = s.At(D(2030, 3, 1));
    const ChargeRates late = s.At(D(2030, 8, 1));
    // Exactly one component differs from the built-in rates: the one named by `key`.
    const auto differs = [](const ChargeRates& a, const ChargeRates& b) {
      return std::vector<bool>{a.brokerage_per_order != b.brokerage_per_order,
                               a.stt_sell != b.stt_sell,
                               a.stt_exercise != b.stt_exercise,
                               a.exchange != b.exchange,
                               a.ipft != b.ipft,
                               a.sebi != b.sebi,
                               a.stamp != b.stamp,
                               a.gst != b.gst};
    };
    const std::vector<bool> changed = differs(before, mid);
    EXPECT_EQ(std::count(changed.begin(), changed.end(), true), 1) << key;
    const auto it = std::find(schedules.begin(), schedules.end(), key);
    EXPECT_TRUE(changed[static_cast<std::size_t>(it - schedules.begin())]) << key;
    EXPECT_NE(differs(mid, late), std::vector<bool>(changed.size(), false)) << key;

    const std::string extra =
        "[[" + key + "]]\nfrom = \"2030-01-01\"\n" + value_key + " = \"0.5\"\nnote = \"x\"\n";
    EXPECT_NE(ErrorOf(extra).find("unknown key '" + key + "[0].note'"), std::string::npos)
        << ErrorOf(extra);
  }
  EXPECT_NE(ErrorOf("[[stt_buy]]\nfrom = \"2030-01-01\"\nrate = \"0.5\"\n")
                .find("unknown key 'stt_buy' (known: " + KnownSchedules() + ")"),
            std::string::npos);
}

TEST(ChargeScheduleConfigTest, ErrorsNameFileLineAndKey) {
  // Unknown schedule.
  EXPECT_EQ(ErrorOf(R"(
[[stt_sell]]
from = "2026-04-01"
rate = "0.002"

[[stt_buy]]
from = "2026-04-01"
rate = "0.001"
)"),
            "test.toml:6: unknown key 'stt_buy' (known: " + KnownSchedules() + ")");
  // Unknown key inside a step.
  EXPECT_EQ(ErrorOf(R"(
[[stt_sell]]
from = "2026-04-01"
rate = "0.002"
rte = "0.002"
)"),
            "test.toml:5: unknown key 'stt_sell[0].rte'");
  // No such day.
  EXPECT_EQ(ErrorOf(R"(
[[ipft]]
from = "2026-02-30"
rate = "0.000005"
)"),
            "test.toml:3: 'ipft[0].from': invalid date '2026-02-30': no such day");
  // Not a date.
  EXPECT_EQ(ErrorOf(R"(
[[sebi]]
from = "1-Apr-2026"
rate = "0.000001"
)"),
            "test.toml:3: 'sebi[0].from': invalid date '1-Apr-2026': expected YYYY-MM-DD");
  // Unsorted.
  EXPECT_EQ(ErrorOf(R"(
[[stt_sell]]
from = "2026-04-01"
rate = "0.0015"
[[stt_sell]]
from = "2024-10-01"
rate = "0.001"
)"),
            "test.toml:6: 'stt_sell[1].from': steps must be in increasing date order: "
            "2024-10-01 is before the previous step's 2026-04-01");
  // Same start date twice.
  EXPECT_EQ(ErrorOf(R"(
[[stt_exercise]]
from = "2026-04-01"
rate = "0.0015"
[[stt_exercise]]
from = "2026-04-01"
rate = "0.002"
)"),
            "test.toml:6: 'stt_exercise[1].from': overlaps the previous step: both start on "
            "2026-04-01");
  // A step that ends after the next one starts.
  EXPECT_EQ(ErrorOf(R"(
[[exchange]]
from = "2024-10-01"
to = "2026-04-05"
rate = "0.0003503"
[[exchange]]
from = "2026-04-01"
rate = "0.0003"
)"),
            "test.toml:4: 'exchange[0].to': overlaps the next step: ends 2026-04-05, the next "
            "step starts 2026-04-01");
  // A gap between steps.
  EXPECT_EQ(ErrorOf(R"(
[[exchange]]
from = "2024-10-01"
to = "2026-03-30"
rate = "0.0003503"
[[exchange]]
from = "2026-04-01"
rate = "0.0003"
)"),
            "test.toml:4: 'exchange[0].to': leaves a gap before the next step, which starts "
            "2026-04-01 ('to' must be 2026-03-31 or omitted)");
  // The last step may not end.
  EXPECT_EQ(ErrorOf(R"(
[[stamp]]
from = "2026-04-01"
to = "2026-12-31"
rate = "0.00003"
)"),
            "test.toml:4: 'stamp[0].to': the last step cannot end: a schedule must cover every "
            "later date (remove 'to')");
  // Ends before it starts.
  EXPECT_EQ(ErrorOf(R"(
[[stamp]]
from = "2026-04-01"
to = "2026-03-01"
rate = "0.00003"
[[stamp]]
from = "2026-03-02"
rate = "0.00003"
)"),
            "test.toml:4: 'stamp[0].to': ends (2026-03-01) before it starts (2026-04-01)");
  // Floats are inexact.
  EXPECT_EQ(ErrorOf(R"(
[[gst]]
from = "2026-04-01"
rate = 0.18
)"),
            "test.toml:4: 'gst[0].rate': write the rate as an exact decimal string, e.g. rate "
            "= \"0.0015\" or \"0.15%\"");
  // Out of range and malformed rates.
  EXPECT_EQ(ErrorOf(R"(
[[gst]]
from = "2026-04-01"
rate = "-0.18"
)"),
            "test.toml:4: 'gst[0].rate': invalid rate '-0.18': negative");
  EXPECT_EQ(ErrorOf(R"(
[[gst]]
from = "2026-04-01"
rate = "118%"
)"),
            "test.toml:4: 'gst[0].rate': invalid rate '118%': above 100%");
  EXPECT_NE(ErrorOf(R"(
[[gst]]
from = "2026-04-01"
rate = "eighteen"
)")
                .find("test.toml:4: 'gst[0].rate': invalid rate 'eighteen'"),
            std::string::npos);
  // Missing keys and empty schedules.
  EXPECT_EQ(ErrorOf(R"(
[[sebi]]
from = "2026-04-01"
)"),
            "test.toml:2: missing required key 'sebi[0].rate'");
  EXPECT_EQ(ErrorOf(R"(
[[sebi]]
rate = "0.000001"
)"),
            "test.toml:2: missing required key 'sebi[0].from'");
  EXPECT_EQ(ErrorOf("\nsebi = []\n"),
            "test.toml:2: 'sebi': needs at least one step ([[sebi]] from, rate)");
  // Brokerage is an amount in rupees and paise.
  EXPECT_EQ(ErrorOf(R"(
[[brokerage]]
from = "2026-04-01"
amount = "20.005"
)"),
            "test.toml:4: 'brokerage[0].amount': invalid amount '20.005': INR has 2 decimals");
  EXPECT_EQ(ErrorOf(R"(
[[brokerage]]
from = "2026-04-01"
rate = "20"
)"),
            "test.toml:2: missing required key 'brokerage[0].amount'");
}

}  // namespace
}  // namespace nacre
