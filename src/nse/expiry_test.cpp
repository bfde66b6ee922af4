#include "nse/expiry.h"

#include <gtest/gtest.h>

#include "nse/test_calendars.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

constexpr CivilDate D(int y, int m, int d) { return {y, m, d}; }
constexpr auto kW = ExpiryKind::kWeekly;
constexpr auto kM = ExpiryKind::kMonthly;

// The holidays these tests depend on (a subset of the NSE F&O lists).
NseCalendar InlineHolidays() {
  return nse_test::InlineCalendar(
      "26-Jan-2024\n11-Apr-2024\n15-Aug-2024\n10-Apr-2025\n01-May-2025\n27-Aug-2025\n"
      "21-Oct-2025\n03-Mar-2026\n31-Mar-2026\n24-Nov-2026\n");
}

// Checks that hold with the inline list and with the real files.
void CheckHolidayShifts(const NseCalendar& cal) {
  const ExpiryRules nifty = ExpiryRules::Nifty();
  // Thursday 11-Apr-2024 (Id-ul-Fitr) -> Wednesday 10-Apr-2024.
  EXPECT_EQ(nifty.ExpiryOfWeek(D(2024, 4, 8), cal), (Expiry{D(2024, 4, 10), kW}));
  // Thursday 15-Aug-2024 -> Wednesday 14-Aug-2024.
  EXPECT_EQ(nifty.ExpiryOfWeek(D(2024, 8, 15), cal), (Expiry{D(2024, 8, 14), kW}));
  // Thursday 10-Apr-2025 -> 9-Apr-2025; Thursday 1-May-2025 -> 30-Apr-2025 (previous week).
  EXPECT_EQ(nifty.ExpiryOfWeek(D(2025, 4, 10), cal), (Expiry{D(2025, 4, 9), kW}));
  EXPECT_EQ(nifty.ExpiryOfWeek(D(2025, 5, 1), cal), (Expiry{D(2025, 4, 30), kW}));
  // Tuesday 21-Oct-2025 (Diwali) -> Monday 20-Oct-2025.
  EXPECT_EQ(nifty.ExpiryOfWeek(D(2025, 10, 21), cal), (Expiry{D(2025, 10, 20), kW}));
  // Monthly: last Tuesday of Mar-2026 is the 31st, a holiday -> Monday 30-Mar-2026;
  // Nov-2026: Tuesday 24th is a holiday -> Monday 23rd.
  EXPECT_EQ(nifty.MonthlyExpiry(2026, 3, cal), D(2026, 3, 30));
  EXPECT_EQ(nifty.MonthlyExpiry(2026, 11, cal), D(2026, 11, 23));
  EXPECT_TRUE(nifty.IsMonthlyExpiry(D(2026, 3, 30), cal));
  EXPECT_FALSE(nifty.IsMonthlyExpiry(D(2026, 3, 31), cal));
  EXPECT_TRUE(nifty.IsExpiry(D(2025, 4, 30), cal));
  EXPECT_FALSE(nifty.IsExpiry(D(2025, 5, 1), cal));
  // The weeks around 1-May-2025 list each expiry once, in order.
  EXPECT_EQ(nifty.WeeklyExpiries(D(2025, 4, 21), D(2025, 5, 11), cal),
            (std::vector<Expiry>{{D(2025, 4, 24), kM}, {D(2025, 4, 30), kW}, {D(2025, 5, 8), kW}}));
}

TEST(ExpiryTest, MonthlyIsLastThursdayBeforeSwitch) {
  const NseCalendar cal = InlineHolidays();
  const ExpiryRules nifty = ExpiryRules::Nifty();
  EXPECT_EQ(nifty.MonthlyExpiry(2024, 1, cal), D(2024, 1, 25));
  EXPECT_EQ(Weekday(D(2024, 1, 25)), kThursday);
  EXPECT_EQ(nifty.MonthlyExpiry(2024, 2, cal), D(2024, 2, 29));  // leap day, a Thursday
  EXPECT_EQ(nifty.MonthlyExpiry(2024, 12, cal), D(2024, 12, 26));
  EXPECT_EQ(nifty.MonthlyExpiry(2025, 8, cal), D(2025, 8, 28));
  EXPECT_TRUE(nifty.IsMonthlyExpiry(D(2024, 1, 25), cal));
  EXPECT_FALSE(nifty.IsMonthlyExpiry(D(2024, 1, 18), cal));
}

TEST(ExpiryTest, January2024Expiries) {
  const NseCalendar cal = InlineHolidays();
  const ExpiryRules nifty = ExpiryRules::Nifty();
  EXPECT_EQ(
      nifty.WeeklyExpiries(D(2024, 1, 1), D(2024, 1, 31), cal),
      (std::vector<Expiry>{
          {D(2024, 1, 4), kW}, {D(2024, 1, 11), kW}, {D(2024, 1, 18), kW}, {D(2024, 1, 25), kM}}));
  // Bounds are inclusive.
  EXPECT_EQ(nifty.WeeklyExpiries(D(2024, 1, 11), D(2024, 1, 18), cal).size(), 2u);
  EXPECT_EQ(
      nifty.MonthlyExpiries(D(2024, 1, 1), D(2024, 4, 30), cal),
      (std::vector<CivilDate>{D(2024, 1, 25), D(2024, 2, 29), D(2024, 3, 28), D(2024, 4, 25)}));
}

TEST(ExpiryTest, TuesdayFromSeptember2025) {
  const NseCalendar cal = InlineHolidays();
  const ExpiryRules nifty = ExpiryRules::Nifty();
  EXPECT_EQ(nifty.WeeklyExpiries(D(2025, 8, 18), D(2025, 9, 30), cal),
            (std::vector<Expiry>{{D(2025, 8, 21), kW},
                                 {D(2025, 8, 28), kM},  // the last Thursday expiry
                                 {D(2025, 9, 2), kW},   // the first Tuesday weekly
                                 {D(2025, 9, 9), kW},
                                 {D(2025, 9, 16), kW},
                                 {D(2025, 9, 23), kW},
                                 {D(2025, 9, 30), kM}}));
  EXPECT_EQ(Weekday(D(2025, 9, 2)), kTuesday);
  EXPECT_EQ(nifty.NextExpiry(D(2025, 8, 29), cal), (Expiry{D(2025, 9, 2), kW}));
  EXPECT_EQ(nifty.NextExpiry(D(2025, 8, 29), cal, kM), (Expiry{D(2025, 9, 30), kM}));
  EXPECT_EQ(nifty.MonthlyExpiry(2025, 10, cal), D(2025, 10, 28));
  EXPECT_EQ(nifty.MonthlyExpiry(2025, 12, cal), D(2025, 12, 30));
  EXPECT_EQ(nifty.RuleFor(D(2025, 8, 31)).weekly_weekday, kThursday);
  EXPECT_EQ(nifty.RuleFor(D(2025, 9, 1)).weekly_weekday, kTuesday);
}

TEST(ExpiryTest, NextExpiryIsOnOrAfter) {
  const NseCalendar cal = InlineHolidays();
  const ExpiryRules nifty = ExpiryRules::Nifty();
  EXPECT_EQ(nifty.NextExpiry(D(2024, 1, 25), cal), (Expiry{D(2024, 1, 25), kM}));
  EXPECT_EQ(nifty.NextExpiry(D(2024, 1, 26), cal), (Expiry{D(2024, 2, 1), kW}));
  EXPECT_EQ(nifty.NextExpiry(D(2024, 1, 26), cal, kM), (Expiry{D(2024, 2, 29), kM}));
  EXPECT_EQ(nifty.NextExpiry(D(2024, 1, 19), cal, kW), (Expiry{D(2024, 2, 1), kW}));
  // Thursday 11-Apr-2024 is a holiday: on 10-Apr the week's expiry is that day.
  EXPECT_EQ(nifty.NextExpiry(D(2024, 4, 10), cal), (Expiry{D(2024, 4, 10), kW}));
  EXPECT_EQ(nifty.NextExpiry(D(2024, 4, 11), cal), (Expiry{D(2024, 4, 18), kW}));
}

TEST(ExpiryTest, HolidayShiftsInlineList) { CheckHolidayShifts(InlineHolidays()); }

TEST(ExpiryTest, HolidayShiftsRealFiles) {
  NSE_SKIP_WITHOUT_REAL_HOLIDAYS();
  const NseCalendar cal = nse_test::RealCalendar();
  CheckHolidayShifts(cal);
  const ExpiryRules nifty = ExpiryRules::Nifty();
  // 2025: Thursday weeks through 28-Aug (35 weeks: 2-Jan .. 28-Aug), Tuesday weeks from 2-Sep
  // (18 weeks: 2-Sep .. 30-Dec) = 53 expiries, 12 of them monthly.
  const std::vector<Expiry> all = nifty.WeeklyExpiries(D(2025, 1, 1), D(2025, 12, 31), cal);
  EXPECT_EQ(all.size(), 53u);
  int monthly = 0;
  for (const Expiry& e : all) {
    EXPECT_TRUE(cal.IsTradingDay(e.date)) << FormatDate(e.date);
    if (e.kind == kM) ++monthly;
  }
  EXPECT_EQ(monthly, 12);
  EXPECT_EQ(all.front(), (Expiry{D(2025, 1, 2), kW}));
  EXPECT_EQ(all.back(), (Expiry{D(2025, 12, 30), kM}));
  // 2026: Tuesday 14-Apr (Ambedkar Jayanti) -> 13-Apr; 20-Oct -> 19-Oct; 10-Nov -> 9-Nov.
  EXPECT_EQ(nifty.ExpiryOfWeek(D(2026, 4, 14), cal), (Expiry{D(2026, 4, 13), kW}));
  EXPECT_EQ(nifty.ExpiryOfWeek(D(2026, 10, 20), cal), (Expiry{D(2026, 10, 19), kW}));
  EXPECT_EQ(nifty.ExpiryOfWeek(D(2026, 11, 10), cal), (Expiry{D(2026, 11, 9), kW}));
}

TEST(ExpiryTest, MonthlyOnlyRules) {
  // BANKNIFTY-like after weeklies ended: monthly only, last Tuesday.
  auto rules = ExpiryRules::Make("BANKNIFTY", {{D(2000, 1, 1), std::nullopt, kTuesday}});
  ASSERT_TRUE(rules.ok()) << rules.error();
  const NseCalendar cal = InlineHolidays();
  EXPECT_EQ(
      rules->WeeklyExpiries(D(2026, 1, 1), D(2026, 3, 31), cal),
      (std::vector<Expiry>{{D(2026, 1, 27), kM}, {D(2026, 2, 24), kM}, {D(2026, 3, 30), kM}}));
  EXPECT_EQ(rules->ExpiryOfWeek(D(2026, 1, 6), cal), std::nullopt);
  EXPECT_EQ(rules->NextExpiry(D(2026, 1, 28), cal), (Expiry{D(2026, 2, 24), kM}));
  EXPECT_EQ(rules->NextExpiry(D(2026, 1, 28), cal, kW), std::nullopt);
}

TEST(ExpiryTest, RejectsBadRules) {
  EXPECT_FALSE(ExpiryRules::Make("NIFTY", {}).ok());
  EXPECT_EQ(ExpiryRules::Make("NIFTY", {{D(2024, 1, 1), 7, kThursday}}).error(),
            "expiry rules NIFTY: rule 0 (2024-01-01): weekly weekday outside 0 (Monday)..6");
  EXPECT_EQ(ExpiryRules::Make("NIFTY", {{D(2025, 9, 1), kTuesday, kTuesday},
                                        {D(2025, 9, 3), kThursday, kThursday}})
                .error(),
            "expiry rules NIFTY: rule 1 (2025-09-03): must start in a later week than the rule "
            "before");
}

}  // namespace
}  // namespace nacre

namespace nacre {
namespace {

TEST(ExpiryRulesWeekliesSince, NiftyWeekliesBeganOnTheEleventhOfFebruary2019) {
  const ExpiryRules nifty = ExpiryRules::Nifty();
  EXPECT_EQ(nifty.WeekliesSince({2018, 6, 14}), std::nullopt);  // monthly-only era
  EXPECT_EQ(nifty.WeekliesSince({2019, 2, 8}), std::nullopt);
  EXPECT_EQ(nifty.WeekliesSince({2019, 2, 14}), (CivilDate{2019, 2, 11}));
  // The Tuesday switch of Sep-2025 continues the same weeklies: still since Feb-2019.
  EXPECT_EQ(nifty.WeekliesSince({2025, 9, 2}), (CivilDate{2019, 2, 11}));
  EXPECT_EQ(nifty.WeekliesSince({2026, 1, 6}), (CivilDate{2019, 2, 11}));
  // Weeklies that end and come back start afresh.
  auto r = ExpiryRules::Make("X", {{{2000, 1, 1}, kThursday, kThursday},
                                   {{2020, 1, 6}, std::nullopt, kThursday},
                                   {{2021, 1, 4}, kWednesday, kWednesday}});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->WeekliesSince({2019, 5, 2}), std::nullopt);  // back to the first rule
  EXPECT_EQ(r->WeekliesSince({2020, 5, 7}), std::nullopt);  // none that week
  EXPECT_EQ(r->WeekliesSince({2021, 3, 3}), (CivilDate{2021, 1, 4}));
}

}  // namespace
}  // namespace nacre
