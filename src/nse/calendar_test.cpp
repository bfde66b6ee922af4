#include "nse/calendar.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "nse/calendar_config.h"
#include "nse/test_calendars.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

using nse_test::InlineCalendar;

constexpr CivilDate D(int y, int m, int d) { return {y, m, d}; }

// Holy week 2024: Holi Monday 25-Mar and Good Friday 29-Mar.
NseCalendar March2024() { return InlineCalendar("25-Mar-2024\n29-Mar-2024\n"); }

TEST(NseCalendarTest, ParsesHolidayDates) {
  EXPECT_EQ(*ParseDdMonYyyy("25-Mar-2024"), D(2024, 3, 25));
  EXPECT_EQ(*ParseDdMonYyyy("01-dec-2026"), D(2026, 12, 1));
  EXPECT_EQ(ParseDdMonYyyy("2024-03-25").error(),
            "invalid date '2024-03-25' (expected DD-Mon-YYYY)");
  EXPECT_FALSE(ParseDdMonYyyy("30-Feb-2024").ok());
  EXPECT_FALSE(ParseDdMonYyyy("25-Mar-24").ok());
  EXPECT_FALSE(ParseDdMonYyyy("25-Mrz-2024").ok());
}

TEST(NseCalendarTest, ToleratesCrlfAndBlankLines) {
  NseCalendar cal;
  ASSERT_TRUE(
      cal.LoadHolidays("22-Jan-2024\r\n\r\n26-Jan-2024\r\n   \n 08-Mar-2024 ", "h.csv").ok());
  EXPECT_TRUE(cal.IsHoliday(D(2024, 1, 22)));
  EXPECT_TRUE(cal.IsHoliday(D(2024, 1, 26)));
  EXPECT_TRUE(cal.IsHoliday(D(2024, 3, 8)));
  EXPECT_FALSE(cal.IsHoliday(D(2024, 1, 23)));
}

TEST(NseCalendarTest, BadLineNamesFileAndLineAndAddsNothing) {
  NseCalendar cal;
  const Status s = cal.LoadHolidays("22-Jan-2024\r\n\r\n2024-01-26\r\n", "holidays.csv");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error(), "holidays.csv:3: invalid date '2024-01-26' (expected DD-Mon-YYYY)");
  EXPECT_FALSE(cal.IsHoliday(D(2024, 1, 22)));
}

TEST(NseCalendarTest, BadLineInFileAndMissingFile) {
  const auto path = std::filesystem::temp_directory_path() / "nacre_nse_bad_holidays.csv";
  {
    std::ofstream out(path, std::ios::binary);
    out << "26-Jan-2025\n26/02/2025\n";
  }
  NseCalendar cal;
  const Status s = cal.LoadHolidayFile(path.string());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error(), path.string() + ":2: invalid date '26/02/2025' (expected DD-Mon-YYYY)");
  std::filesystem::remove(path);
  const Status missing = cal.LoadHolidayFile("/nonexistent/nse_holidays.csv");
  EXPECT_EQ(missing.error(), "/nonexistent/nse_holidays.csv: cannot open holiday file");
}

TEST(NseCalendarTest, TradingDaysAreWeekdaysMinusHolidaysPlusSpecialSessions) {
  NseCalendar cal = March2024();
  EXPECT_TRUE(cal.IsTradingDay(D(2024, 3, 26)));   // Tuesday
  EXPECT_FALSE(cal.IsTradingDay(D(2024, 3, 25)));  // Holi
  EXPECT_FALSE(cal.IsTradingDay(D(2024, 3, 23)));  // Saturday
  EXPECT_FALSE(cal.IsTradingDay(D(2024, 3, 24)));  // Sunday
  EXPECT_FALSE(cal.IsTradingDay(D(2024, 1, 20)));  // a Saturday, until the session is added
  ASSERT_TRUE(cal.AddSpecialSession(D(2024, 1, 20), kNseFnoHours).ok());
  EXPECT_TRUE(cal.IsTradingDay(D(2024, 1, 20)));
  // A special session on a holiday (e.g. Muhurat trading) makes it trade.
  ASSERT_TRUE(cal.AddSpecialSession(D(2024, 3, 25), {18 * 60, 19 * 60}).ok());
  EXPECT_TRUE(cal.IsTradingDay(D(2024, 3, 25)));
  EXPECT_EQ(cal.SessionFor(D(2024, 3, 25)), (SessionHours{18 * 60, 19 * 60}));
}

TEST(NseCalendarTest, HolidayAddedInCode) {
  NseCalendar cal;
  EXPECT_TRUE(cal.IsTradingDay(D(2024, 11, 20)));
  cal.AddHoliday(D(2024, 11, 20));  // Maharashtra election
  EXPECT_FALSE(cal.IsTradingDay(D(2024, 11, 20)));
  EXPECT_TRUE(cal.HasHolidayListFor(2024));
  EXPECT_FALSE(cal.HasHolidayListFor(2023));
  EXPECT_FALSE(cal.HasHolidayListFor(2025));
}

TEST(NseCalendarTest, NextAndPreviousTradingDaySkipWeekendsAndHolidays) {
  const NseCalendar cal = March2024();
  EXPECT_EQ(cal.NextTradingDay(D(2024, 3, 22)), D(2024, 3, 26));      // Fri -> Tue (Holi Mon)
  EXPECT_EQ(cal.PreviousTradingDay(D(2024, 3, 26)), D(2024, 3, 22));  // Tue -> Fri
  EXPECT_EQ(cal.NextTradingDay(D(2024, 3, 28)), D(2024, 4, 1));       // Good Friday, weekend
  EXPECT_EQ(cal.PreviousTradingDay(D(2024, 4, 1)), D(2024, 3, 28));
  EXPECT_EQ(cal.NextTradingDay(D(2024, 3, 26)), D(2024, 3, 27));
  EXPECT_EQ(cal.OnOrBeforeTradingDay(D(2024, 3, 27)), D(2024, 3, 27));
  EXPECT_EQ(cal.OnOrBeforeTradingDay(D(2024, 3, 31)), D(2024, 3, 28));
}

TEST(NseCalendarTest, TradingDaysBetweenIsInclusive) {
  const NseCalendar cal = March2024();
  const std::vector<CivilDate> expected = {D(2024, 3, 18), D(2024, 3, 19), D(2024, 3, 20),
                                           D(2024, 3, 21), D(2024, 3, 22), D(2024, 3, 26),
                                           D(2024, 3, 27), D(2024, 3, 28)};
  EXPECT_EQ(cal.TradingDaysBetween(D(2024, 3, 18), D(2024, 3, 31)), expected);
  EXPECT_EQ(cal.CountTradingDays(D(2024, 3, 18), D(2024, 3, 31)), 8);
  EXPECT_EQ(cal.CountTradingDays(D(2024, 3, 18), D(2024, 3, 18)), 1);
  EXPECT_EQ(cal.CountTradingDays(D(2024, 3, 19), D(2024, 3, 18)), 0);
  EXPECT_TRUE(cal.TradingDaysBetween(D(2024, 3, 23), D(2024, 3, 25)).empty());
}

TEST(NseCalendarTest, ClosedReasonsThroughMarketHours) {
  NseCalendar cal = March2024();
  const MarketHours& hours = cal;
  const Instrument option = testkit::NiftyOption();
  EXPECT_EQ(hours.ClosedReason(option, FromIst(2024, 3, 25, 10, 0)),
            "2024-03-25 is an NSE holiday");
  EXPECT_EQ(hours.ClosedReason(option, FromIst(2024, 3, 23, 10, 0)), "2024-03-23 is a weekend");
  EXPECT_EQ(hours.ClosedReason(option, FromIst(2024, 3, 26, 9, 10)),
            "09:10 IST is outside the 09:15-15:30 IST session");
  EXPECT_EQ(hours.ClosedReason(option, FromIst(2024, 3, 26, 9, 15)), "");
  EXPECT_EQ(hours.ClosedReason(option, FromIst(2024, 3, 26, 15, 29, 59)), "");
  EXPECT_EQ(hours.ClosedReason(option, FromIst(2024, 3, 26, 15, 30)),
            "15:30 IST is outside the 09:15-15:30 IST session");
  // 03:44 UTC is 09:14 IST (closed), 03:45 UTC is 09:15 IST (open).
  EXPECT_FALSE(cal.IsOpen(FromUtc(2024, 3, 26, 3, 44)));
  EXPECT_TRUE(cal.IsOpen(FromUtc(2024, 3, 26, 3, 45)));
  // 19:00 UTC on the 24th is 00:30 IST on Monday the 25th, the holiday.
  EXPECT_EQ(cal.ClosedReason(FromUtc(2024, 3, 24, 19, 0)), "2024-03-25 is an NSE holiday");
}

TEST(NseCalendarTest, SaturdaySessionsWithSegments) {
  NseCalendar cal;
  ASSERT_TRUE(AddNse2024SaturdaySessions(cal).ok());
  EXPECT_EQ(cal.SessionFor(D(2024, 1, 20)), kNseFnoHours);
  EXPECT_EQ(cal.SessionFor(D(2024, 3, 2)), (SessionHours{9 * 60 + 15, 12 * 60 + 30}));
  EXPECT_EQ(cal.SessionsFor(D(2024, 5, 18)).size(), 2u);
  EXPECT_EQ(cal.SessionFor(D(2024, 3, 9)), std::nullopt);  // an ordinary Saturday
  EXPECT_TRUE(cal.IsOpen(FromIst(2024, 3, 2, 9, 30)));
  EXPECT_TRUE(cal.IsOpen(FromIst(2024, 3, 2, 11, 45)));
  EXPECT_EQ(cal.ClosedReason(FromIst(2024, 3, 2, 11, 0)),
            "11:00 IST is outside the special session 09:15-10:00, 11:30-12:30 IST on "
            "2024-03-02");
  EXPECT_EQ(cal.ClosedReason(FromIst(2024, 1, 20, 15, 0)), "");
  // The Saturday sessions count as trading days: 18-May-2024 sits between Fri 17 and Mon 20.
  EXPECT_EQ(cal.NextTradingDay(D(2024, 5, 17)), D(2024, 5, 18));
}

TEST(NseCalendarTest, DayCloseIsTheCloseOfTheDaysLastSession) {
  NseCalendar cal = March2024();
  ASSERT_TRUE(AddNse2024SaturdaySessions(cal).ok());
  // An early close on a weekday replaces the normal hours.
  ASSERT_TRUE(cal.AddSpecialSession(D(2024, 3, 27), SessionHours{9 * 60 + 15, 13 * 60}).ok());
  const MarketHours& hours = cal;
  const Instrument option = testkit::NiftyOption();
  EXPECT_EQ(hours.DayClose(option, FromIst(2024, 3, 26, 10, 0)), FromIst(2024, 3, 26, 15, 30));
  EXPECT_EQ(hours.DayClose(option, FromIst(2024, 3, 27, 10, 0)), FromIst(2024, 3, 27, 13, 0));
  EXPECT_EQ(hours.DayClose(option, FromIst(2024, 3, 2, 9, 30)), FromIst(2024, 3, 2, 12, 30));
  EXPECT_EQ(hours.DayClose(option, FromIst(2024, 3, 25, 10, 0)), std::nullopt);  // holiday
  EXPECT_EQ(hours.DayClose(option, FromIst(2024, 3, 23, 10, 0)), std::nullopt);  // weekend
  EXPECT_EQ(cal.ClosedReason(FromIst(2024, 3, 27, 13, 0)),
            "13:00 IST is outside the special session 09:15-13:00 IST on 2024-03-27");
}

TEST(NseCalendarTest, NamedSpecialSessionOnAHolidayIsNamedInClosedReasons) {
  NseCalendar cal;
  cal.AddHoliday(D(2024, 11, 1));
  ASSERT_TRUE(
      cal.AddSpecialSession(D(2024, 11, 1), SessionHours{18 * 60, 19 * 60}, "Muhurat trading")
          .ok());
  EXPECT_EQ(cal.SpecialSessionName(D(2024, 11, 1)), "Muhurat trading");
  EXPECT_EQ(cal.SpecialSessionName(D(2024, 11, 4)), "");
  EXPECT_TRUE(cal.IsOpen(FromIst(2024, 11, 1, 18, 30)));
  EXPECT_EQ(cal.ClosedReason(FromIst(2024, 11, 1, 10, 0)),
            "10:00 IST is outside the Muhurat trading session 18:00-19:00 IST on 2024-11-01");
  EXPECT_EQ(cal.DayClose(FromIst(2024, 11, 1, 18, 30)), FromIst(2024, 11, 1, 19, 0));
  // A second segment may repeat the name but not change it.
  EXPECT_TRUE(
      cal.AddSpecialSession(D(2024, 11, 1), SessionHours{19 * 60, 19 * 60 + 15}, "Muhurat trading")
          .ok());
  const Status renamed =
      cal.AddSpecialSession(D(2024, 11, 1), SessionHours{20 * 60, 21 * 60}, "Diwali");
  ASSERT_FALSE(renamed.ok());
  EXPECT_EQ(renamed.error(), "special session 2024-11-01: named 'Muhurat trading' and 'Diwali'");
  EXPECT_EQ(cal.SessionsFor(D(2024, 11, 1)).size(), 2u);  // the refused segment is not added
}

TEST(NseCalendarTest, RejectsBadSpecialSessions) {
  NseCalendar cal;
  EXPECT_FALSE(cal.AddSpecialSession(D(2024, 2, 30), kNseFnoHours).ok());
  EXPECT_EQ(cal.AddSpecialSession(D(2024, 3, 2), {10 * 60, 10 * 60}).error(),
            "special session 2024-03-02: hours 10:00-10:00 must satisfy 00:00 <= open < close "
            "<= 24:00");
  ASSERT_TRUE(cal.AddSpecialSession(D(2024, 3, 2), {9 * 60 + 15, 10 * 60}).ok());
  EXPECT_EQ(cal.AddSpecialSession(D(2024, 3, 2), {9 * 60 + 45, 11 * 60}).error(),
            "special session 2024-03-02: 09:45-11:00 overlaps 09:15-10:00");
  EXPECT_EQ(cal.SessionsFor(D(2024, 3, 2)).size(), 1u);
}

TEST(NseCalendarTest, RealHolidayFiles) {
  NSE_SKIP_WITHOUT_REAL_HOLIDAYS();
  const NseCalendar cal = nse_test::RealCalendar();
  // 262 weekdays in 2024 less 16 weekday holidays; 2025: 261 less 14; 2026: 261 less 16.
  EXPECT_EQ(cal.CountTradingDays(D(2024, 1, 1), D(2024, 12, 31)), 246);
  EXPECT_EQ(cal.CountTradingDays(D(2025, 1, 1), D(2025, 12, 31)), 247);
  EXPECT_EQ(cal.CountTradingDays(D(2026, 1, 1), D(2026, 12, 31)), 245);
  EXPECT_FALSE(cal.IsTradingDay(D(2024, 1, 22)));  // declared holiday (Ayodhya)
  EXPECT_FALSE(cal.IsTradingDay(D(2025, 10, 21)));
  EXPECT_TRUE(cal.IsTradingDay(D(2025, 10, 20)));
  EXPECT_FALSE(cal.IsTradingDay(D(2026, 3, 31)));
  EXPECT_EQ(cal.ClosedReason(FromIst(2024, 8, 15, 11, 0)), "2024-08-15 is an NSE holiday");
  // A holiday on a Sunday reads as a weekend.
  EXPECT_EQ(cal.ClosedReason(FromIst(2024, 4, 14, 11, 0)), "2024-04-14 is a weekend");
  EXPECT_TRUE(cal.HasHolidayListFor(2026));
  EXPECT_FALSE(cal.HasHolidayListFor(2027));
}

// ---- config ----

class CalendarConfig {
 public:
  explicit CalendarConfig(std::string_view text)
      : table_(ConfigTable::ParseString(text, "test.toml")) {}
  NseCalendar Load(const std::string& base_dir = "") const {
    return LoadNseCalendar(ConfigTable(*table_, "test.toml", "calendar"), base_dir);
  }

 private:
  std::shared_ptr<toml::table> table_;
};

std::string ConfigErrorOf(const CalendarConfig& cfg, const std::string& base_dir = "") {
  try {
    cfg.Load(base_dir);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(NseCalendarConfigTest, HolidaysAndSpecialSessionsFromConfig) {
  const CalendarConfig cfg(R"(
holidays = ["2024-01-22", "26-Jan-2024"]
[[special_sessions]]
date = "2024-01-20"
[[special_sessions]]
date = "2024-03-02"
open = "09:15"
close = "10:00"
[[special_sessions]]
date = "2024-03-02"
open = "11:30"
close = "12:30"
[[special_sessions]]
date = "2024-11-01"
open = "18:00"
close = "19:00"
name = "Muhurat trading"
)");
  const NseCalendar cal = cfg.Load();
  EXPECT_EQ(cal.SpecialSessionName(D(2024, 11, 1)), "Muhurat trading");
  EXPECT_EQ(cal.DayClose(FromIst(2024, 11, 1, 18, 0)), FromIst(2024, 11, 1, 19, 0));
  EXPECT_FALSE(cal.IsTradingDay(D(2024, 1, 22)));
  EXPECT_FALSE(cal.IsTradingDay(D(2024, 1, 26)));
  EXPECT_EQ(cal.SessionFor(D(2024, 1, 20)), kNseFnoHours);
  EXPECT_EQ(cal.SessionsFor(D(2024, 3, 2)), (std::vector<SessionHours>{{555, 600}, {690, 750}}));
}

TEST(NseCalendarConfigTest, ErrorsNameFileLineAndKey) {
  EXPECT_EQ(ConfigErrorOf(CalendarConfig("[[special_sessions]]\ndate = \"2024-03-02\"\n"
                                         "open = \"9:15\"\n")),
            "test.toml:3: 'calendar.special_sessions[0].open': invalid time '9:15' "
            "(expected HH:MM, 00:00-24:00)");
  EXPECT_EQ(ConfigErrorOf(CalendarConfig("holidays = [\"2024/01/22\"]\n")),
            "test.toml:1: 'calendar.holidays': invalid date '2024/01/22' (expected YYYY-MM-DD "
            "or DD-Mon-YYYY)");
  EXPECT_EQ(ConfigErrorOf(CalendarConfig("holiday = [\"2024-01-22\"]\n")),
            "test.toml:1: unknown key 'calendar.holiday' (known: holiday_files, holidays, "
            "normal_open, normal_close, special_sessions)");
  EXPECT_EQ(ConfigErrorOf(CalendarConfig("[[special_sessions]]\ndate = \"2024-03-02\"\n"
                                         "close = \"09:00\"\n")),
            "test.toml:2: 'calendar.special_sessions[0].date': special session 2024-03-02: "
            "hours 09:15-09:00 must satisfy 00:00 <= open < close <= 24:00");
}

TEST(NseCalendarConfigTest, HolidayFilesRelativeToBaseDir) {
  const auto dir = std::filesystem::temp_directory_path() / "nacre_nse_cal_cfg";
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "good.csv", std::ios::binary) << "25-Mar-2024\r\n";
    std::ofstream(dir / "bad.csv", std::ios::binary) << "25-Mar-2024\nMar 29 2024\n";
  }
  const NseCalendar cal = CalendarConfig("holiday_files = [\"good.csv\"]\n").Load(dir.string());
  EXPECT_FALSE(cal.IsTradingDay(D(2024, 3, 25)));
  EXPECT_EQ(ConfigErrorOf(CalendarConfig("holiday_files = [\"bad.csv\"]\n"), dir.string()),
            "test.toml:1: 'calendar.holiday_files': " + (dir / "bad.csv").string() +
                ":2: invalid date 'Mar 29 2024' (expected DD-Mon-YYYY)");
  std::filesystem::remove_all(dir);
}

TEST(NseCalendarConfigTest, RealHolidayFilesFromConfig) {
  NSE_SKIP_WITHOUT_REAL_HOLIDAYS();
  const NseCalendar cal = CalendarConfig("holiday_files = [\"nse_fo_holidays_2024.csv\"]\n")
                              .Load(nse_test::RealDataDir().string());
  EXPECT_EQ(cal.CountTradingDays(D(2024, 1, 1), D(2024, 12, 31)), 246);
}

}  // namespace
}  // namespace nacre
