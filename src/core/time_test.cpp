#include "core/time.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace nacre {
namespace {

// Independent reference for the Gregorian calendar, written from the rules rather than from
// the era arithmetic in time.cpp.
bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

CivilDate NextDay(CivilDate d) {
  if (d.day < DaysInMonth(d.year, d.month)) return {d.year, d.month, d.day + 1};
  if (d.month < 12) return {d.year, d.month + 1, 1};
  return {d.year + 1, 1, 1};
}

// 2024-01-01T00:00:00Z in seconds since the epoch (a well-known constant).
constexpr std::int64_t kJan2024Seconds = 1'704'067'200;

TEST(CivilDays, KnownAnchors) {
  EXPECT_EQ(DaysFromCivil({1970, 1, 1}), 0);
  EXPECT_EQ(DaysFromCivil({1970, 1, 2}), 1);
  EXPECT_EQ(DaysFromCivil({1969, 12, 31}), -1);
  EXPECT_EQ(DaysFromCivil({2024, 1, 1}), kJan2024Seconds / 86'400);  // 19723
  // 30 years of 365 days plus the 7 leap days 1972..1996, then January and a leap February.
  EXPECT_EQ(DaysFromCivil({2000, 3, 1}), 30 * 365 + 7 + 31 + 29);
  EXPECT_EQ(DaysFromCivil({2024, 2, 29}), 19'723 + 31 + 28);
  // 1900-01-01: 70 years back, 17 leap days (1904..1968); 1900 itself is not leap.
  EXPECT_EQ(DaysFromCivil({1900, 1, 1}), -(70 * 365 + 17));
  EXPECT_EQ(DaysFromCivil({1900, 3, 1}) - DaysFromCivil({1900, 2, 28}), 1);
  EXPECT_EQ(DaysFromCivil({2000, 3, 1}) - DaysFromCivil({2000, 2, 28}), 2);
  EXPECT_EQ(DaysFromCivil({2100, 3, 1}) - DaysFromCivil({2100, 2, 28}), 1);
}

TEST(CivilDays, ConsecutiveDaysFollowTheCalendarAcrossCenturies) {
  // About 2200 years either side of the epoch: negative years, 1900/2000/2100/2400 rules.
  constexpr std::int64_t kSpan = 800'000;
  CivilDate expected = CivilFromDays(-kSpan);
  ASSERT_TRUE(IsValidDate(expected));
  for (std::int64_t d = -kSpan; d <= kSpan; ++d) {
    const CivilDate got = CivilFromDays(d);
    ASSERT_EQ(got, expected) << "day " << d;
    ASSERT_EQ(DaysFromCivil(got), d) << FormatDate(got);
    expected = NextDay(expected);
  }
}

TEST(CivilDays, NegativeDaysAndYears) {
  EXPECT_EQ(CivilFromDays(-1), (CivilDate{1969, 12, 31}));
  EXPECT_EQ(CivilFromDays(-365), (CivilDate{1969, 1, 1}));
  EXPECT_EQ(CivilFromDays(-366), (CivilDate{1968, 12, 31}));
  const CivilDate year0_leap{0, 2, 29};  // proleptic year 0 is divisible by 400
  EXPECT_TRUE(IsValidDate(year0_leap));
  EXPECT_EQ(CivilFromDays(DaysFromCivil(year0_leap)), year0_leap);
  const CivilDate bc{-1, 12, 31};
  EXPECT_EQ(DaysFromCivil({0, 1, 1}) - DaysFromCivil(bc), 1);
}

TEST(CivilDays, IsValidDate) {
  EXPECT_TRUE(IsValidDate({2024, 2, 29}));
  EXPECT_FALSE(IsValidDate({2023, 2, 29}));
  EXPECT_TRUE(IsValidDate({2000, 2, 29}));
  EXPECT_FALSE(IsValidDate({1900, 2, 29}));
  EXPECT_FALSE(IsValidDate({2100, 2, 29}));
  EXPECT_TRUE(IsValidDate({2024, 12, 31}));
  EXPECT_FALSE(IsValidDate({2024, 4, 31}));
  EXPECT_FALSE(IsValidDate({2024, 13, 1}));
  EXPECT_FALSE(IsValidDate({2024, 0, 1}));
  EXPECT_FALSE(IsValidDate({2024, 1, 0}));
  EXPECT_FALSE(IsValidDate({2024, 1, 32}));
}

TEST(Weekday, KnownDates) {
  EXPECT_EQ(Weekday({1970, 1, 1}), 3);    // Thursday
  EXPECT_EQ(Weekday({1969, 12, 31}), 2);  // Wednesday (negative day count)
  EXPECT_EQ(Weekday({1969, 12, 28}), 6);  // Sunday
  EXPECT_EQ(Weekday({2024, 1, 1}), 0);    // Monday
  EXPECT_EQ(Weekday({2000, 2, 29}), 1);   // Tuesday
  EXPECT_EQ(Weekday({2026, 1, 6}), 1);    // Tuesday: a NIFTY weekly expiry
  EXPECT_EQ(Weekday({2024, 1, 25}), 3);   // Thursday: the old NIFTY monthly expiry
  EXPECT_EQ(Weekday({1900, 1, 1}), 0);    // Monday
}

TEST(Weekday, AdvancesByOneEachDayIncludingBeforeTheEpoch) {
  int prev = Weekday(CivilFromDays(-1000));
  for (std::int64_t d = -999; d <= 1000; ++d) {
    const int w = Weekday(CivilFromDays(d));
    ASSERT_GE(w, 0);
    ASSERT_LE(w, 6);
    ASSERT_EQ(w, (prev + 1) % 7) << "day " << d;
    prev = w;
  }
}

TEST(IstUtc, MarketOpenIsQuarterToFourUtc) {
  const UnixNanos open_ist = FromIst(2024, 1, 1, 9, 15);
  EXPECT_EQ(open_ist, FromUtc(2024, 1, 1, 3, 45));
  EXPECT_EQ(open_ist.value, (kJan2024Seconds + 3 * 3600 + 45 * 60) * kNanosPerSecond);
  EXPECT_EQ(FormatIsoUtc(open_ist), "2024-01-01T03:45:00.000000000Z");
  EXPECT_EQ(FormatIst(open_ist), "2024-01-01 09:15:00 IST");
  EXPECT_EQ(kIstOffset, (5 * 60 + 30) * 60 * kNanosPerSecond);
}

TEST(IstUtc, IstDateCanBeAheadOfTheUtcDate) {
  // 02:00 IST on New Year's day is still 20:30 on New Year's Eve in UTC.
  const UnixNanos t = FromIst(2024, 1, 1, 2, 0);
  EXPECT_EQ(t, FromUtc(2023, 12, 31, 20, 30));
  EXPECT_EQ(IstDate(t), (CivilDate{2024, 1, 1}));
  EXPECT_EQ(ToUtc(t).date, (CivilDate{2023, 12, 31}));
  const CivilDateTime ist = ToIst(t);
  EXPECT_EQ(ist.hour, 2);
  EXPECT_EQ(ist.minute, 0);
}

TEST(IstUtc, IstDayNumberIsTheIstDatesDayNumberAroundEveryMidnight) {
  // Either side of IST midnight (18:30 UTC), before and after the epoch.
  for (int y : {1965, 1969, 1970, 2026}) {
    const UnixNanos midnight = FromIst(y, 1, 1, 0, 0);
    for (DurationNs d : {-kNanosPerDay, DurationNs{-1}, DurationNs{0}, DurationNs{1},
                         kNanosPerDay - 1, kNanosPerDay}) {
      const UnixNanos t(midnight.value + d);
      EXPECT_EQ(IstDayNumber(t), DaysFromCivil(IstDate(t))) << y << " " << d;
    }
  }
  EXPECT_EQ(IstDayNumber(UnixNanos(0)), 0);  // 05:30 IST on 1970-01-01
  EXPECT_EQ(IstDayNumber(UnixNanos(-kIstOffset)), 0);
  EXPECT_EQ(IstDayNumber(UnixNanos(-kIstOffset - 1)), -1);
  const std::int64_t lowest = std::numeric_limits<std::int64_t>::min();
  EXPECT_EQ(IstDayNumber(UnixNanos(lowest)), (lowest + kIstOffset) / kNanosPerDay - 1);
}

TEST(IstUtc, ToUtcHandlesInstantsBeforeTheEpoch) {
  const CivilDateTime c = ToUtc(UnixNanos(-1));
  EXPECT_EQ(c.date, (CivilDate{1969, 12, 31}));
  EXPECT_EQ(c.hour, 23);
  EXPECT_EQ(c.minute, 59);
  EXPECT_EQ(c.second, 59);
  EXPECT_EQ(c.nanos, 999'999'999);
  EXPECT_EQ(FormatIsoUtc(UnixNanos(-1)), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(FormatIsoUtc(UnixNanos(-kNanosPerDay)), "1969-12-31T00:00:00.000000000Z");
}

TEST(IstUtc, FromUtcInvertsToUtcAndFromIstInvertsToIst) {
  // A deterministic spread of instants from about 1685 to 2255, both signs.
  std::uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < 20'000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    // Uniform in [-9e18, 9e18), computed without signed overflow.
    constexpr std::uint64_t kHalf = 9'000'000'000'000'000'000ULL;
    const std::uint64_t r = x % (2 * kHalf);
    const std::int64_t v =
        r >= kHalf ? static_cast<std::int64_t>(r - kHalf) : -static_cast<std::int64_t>(kHalf - r);
    const UnixNanos t(v);
    ASSERT_EQ(FromUtc(ToUtc(t)), t) << v;
    ASSERT_EQ(FromIst(ToIst(t)), t) << v;
    const CivilDateTime c = ToUtc(t);
    ASSERT_TRUE(IsValidDate(c.date));
    ASSERT_TRUE(c.hour >= 0 && c.hour < 24 && c.minute >= 0 && c.minute < 60 && c.second >= 0 &&
                c.second < 60 && c.nanos >= 0 && c.nanos < kNanosPerSecond)
        << v;
  }
}

TEST(Format, IsoUtcShowsNanosecondsAndIstTruncatesToSeconds) {
  const UnixNanos t = FromUtc(2024, 2, 29, 23, 59, 59) + 123'456'789;
  EXPECT_EQ(FormatIsoUtc(t), "2024-02-29T23:59:59.123456789Z");
  EXPECT_EQ(FormatIst(t), "2024-03-01 05:29:59 IST");
  EXPECT_EQ(FormatDate({2024, 3, 1}), "2024-03-01");
  EXPECT_EQ(FormatDate({987, 1, 2}), "0987-01-02");
}

TEST(Format, IstExactShowsTheZoneAndAnyFraction) {
  EXPECT_EQ(FormatIstExact(FromUtc(2025, 1, 1, 3, 45)), "2025-01-01 09:15:00 IST");
  EXPECT_EQ(FormatIstExact(FromUtc(2025, 1, 1, 3, 45) + DurationNs(250'000'000)),
            "2025-01-01 09:15:00.25 IST");
  EXPECT_EQ(FormatIstExact(FromUtc(2025, 1, 1, 3, 45) + DurationNs(1)),
            "2025-01-01 09:15:00.000000001 IST");
}

TEST(ParseIstBound, ADateAloneIsTheWholeIstDay) {
  auto s = ParseIstBound("2025-01-02", RangeBound::kStart);
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(*s, FromIst(2025, 1, 2, 0, 0));
  EXPECT_EQ(*s, FromUtc(2025, 1, 1, 18, 30));
  auto e = ParseIstBound("2025-01-02", RangeBound::kEnd);
  ASSERT_TRUE(e.ok()) << e.error();
  EXPECT_EQ(*e, FromIst(2025, 1, 3, 0, 0) - DurationNs(1));
  // Times are IST unless they carry an offset; the bound kind does not move them.
  EXPECT_EQ(*ParseIstBound("2025-01-02 15:30", RangeBound::kEnd), FromIst(2025, 1, 2, 15, 30));
  EXPECT_EQ(*ParseIstBound("2025-01-02T10:00Z", RangeBound::kStart), FromUtc(2025, 1, 2, 10, 0));
  EXPECT_FALSE(ParseIstBound("2025-02-30", RangeBound::kStart).ok());
  EXPECT_FALSE(ParseIstBound("02-01-2025", RangeBound::kStart).ok());
}

TEST(ParseDate, ValidDates) {
  auto d = ParseDate("2024-02-29");
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(*d, (CivilDate{2024, 2, 29}));
  auto e = ParseDate("1999-12-31");
  ASSERT_TRUE(e.ok()) << e.error();
  EXPECT_EQ(*e, (CivilDate{1999, 12, 31}));
}

TEST(ParseDate, RejectsWithReason) {
  struct Case {
    const char* text;
    const char* reason;
  };
  const Case cases[] = {
      {"2023-02-29", "no such day"},         {"2024-04-31", "no such day"},
      {"2024-13-01", "no such day"},         {"2024-00-10", "no such day"},
      {"2024-1-01", "expected YYYY-MM-DD"},  {"2024/01/01", "expected YYYY-MM-DD"},
      {"", "expected YYYY-MM-DD"},           {"2024-01-01x", "expected YYYY-MM-DD"},
      {"20a4-01-01", "expected YYYY-MM-DD"}, {"2024-01-1 ", "expected YYYY-MM-DD"},
  };
  for (const Case& c : cases) {
    auto r = ParseDate(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.error().find(std::string("'") + c.text + "'"), std::string::npos) << r.error();
    EXPECT_NE(r.error().find(c.reason), std::string::npos) << r.error();
  }
}

UnixNanos MustParse(const char* text, DurationNs default_offset) {
  auto r = ParseDateTime(text, default_offset);
  EXPECT_TRUE(r.ok()) << text << ": " << r.error();
  return r.ok() ? *r : UnixNanos(-42);
}

TEST(ParseDateTime, OffsetsAndDefaults) {
  const UnixNanos expected = FromUtc(2024, 1, 1, 3, 45);
  // An explicit zone wins over the default.
  EXPECT_EQ(MustParse("2024-01-01T03:45:00Z", kIstOffset), expected);
  EXPECT_EQ(MustParse("2024-01-01T03:45Z", kIstOffset), expected);
  EXPECT_EQ(MustParse("2024-01-01T09:15:00+05:30", 0), expected);
  EXPECT_EQ(MustParse("2024-01-01 09:15:00+0530", 0), expected);
  EXPECT_EQ(MustParse("2024-01-01T09:15+05:30", 0), expected);
  EXPECT_EQ(MustParse("2023-12-31T22:15:00-05:30", kIstOffset), expected);
  EXPECT_EQ(MustParse("2024-01-01T03:45:00+00:00", kIstOffset), expected);
  // Without a zone the default offset applies.
  EXPECT_EQ(MustParse("2024-01-01 09:15", kIstOffset), expected);
  EXPECT_EQ(MustParse("2024-01-01T09:15:00", kIstOffset), expected);
  EXPECT_EQ(MustParse("2024-01-01 03:45:00", 0), expected);
}

TEST(ParseDateTime, Fractions) {
  const UnixNanos base = FromUtc(2024, 1, 1, 3, 45);
  EXPECT_EQ(MustParse("2024-01-01T03:45:00.5Z", 0), base + 500 * kNanosPerMilli);
  EXPECT_EQ(MustParse("2024-01-01T03:45:00.123Z", 0), base + 123 * kNanosPerMilli);
  EXPECT_EQ(MustParse("2024-01-01T03:45:00.000001Z", 0), base + kNanosPerMicro);
  EXPECT_EQ(MustParse("2024-01-01T03:45:00.000000001Z", 0), base + 1);
  EXPECT_EQ(MustParse("2024-01-01T03:45:00.123456789Z", 0), base + 123'456'789);
  EXPECT_EQ(MustParse("2024-01-01T09:15:00.25+05:30", 0), base + 250 * kNanosPerMilli);
  EXPECT_EQ(MustParse("2024-01-01 09:15:00.75", kIstOffset), base + 750 * kNanosPerMilli);
  // Digits below a nanosecond cannot be represented and are dropped.
  EXPECT_EQ(MustParse("2024-01-01T03:45:00.1234567899Z", 0), base + 123'456'789);
}

TEST(ParseDateTime, RoundTripsFormatIsoUtc) {
  const UnixNanos samples[] = {UnixNanos(0), UnixNanos(-1), FromIst(2026, 1, 6, 15, 30) + 7,
                               FromUtc(2000, 2, 29, 12, 0) + 999'999'999,
                               FromUtc(1960, 6, 15, 1, 2, 3) + 4};
  for (UnixNanos t : samples) {
    const std::string s = FormatIsoUtc(t);
    EXPECT_EQ(MustParse(s.c_str(), kIstOffset), t) << s;
  }
}

TEST(ParseDateTime, RejectsBadInputWithReason) {
  struct Case {
    const char* text;
    const char* reason;
  };
  const Case cases[] = {
      {"2024-01-01", "expected YYYY-MM-DD HH:MM"},
      {"", "expected YYYY-MM-DD HH:MM"},
      {"2024-13-01T00:00", "bad date"},
      {"2023-02-29 10:00", "bad date"},
      {"2024-01-01X09:15", "expected 'T' or ' ' after the date"},
      {"2024-01-01T9:15:00", "bad HH:MM"},
      {"2024-01-01T09-15:00", "bad HH:MM"},
      {"2024-01-01T24:00", "time out of range"},
      {"2024-01-01T09:60", "time out of range"},
      {"2024-01-01T09:15:61", "time out of range"},
      {"2024-01-01T09:15:0", "bad seconds"},
      {"2024-01-01T09:15:ab", "bad seconds"},
      {"2024-01-01T09:15:00.", "empty fraction"},
      {"2024-01-01T09:15:00.Z", "empty fraction"},
      {"2024-01-01T09:15:00+5:30", "bad UTC offset"},
      {"2024-01-01T09:15:00+05:3", "bad UTC offset"},
      {"2024-01-01T09:15:00+05", "bad UTC offset"},
      {"2024-01-01T09:15:00+05:30:00", "bad UTC offset"},
      {"2024-01-01T09:15:00+05:75", "bad UTC offset"},
      {"2024-01-01T09:15:00+24:00", "bad UTC offset"},
      {"2024-01-01T09:15:00 IST", "unexpected trailing characters"},
      {"2024-01-01T09:15:00Zjunk", "unexpected trailing characters"},
      {"2024-01-01T09:15x", "unexpected trailing characters"},
  };
  for (const Case& c : cases) {
    auto r = ParseDateTime(c.text, kIstOffset);
    ASSERT_FALSE(r.ok()) << c.text << " parsed as " << FormatIsoUtc(*r);
    EXPECT_NE(r.error().find(std::string("invalid timestamp '") + c.text + "'"), std::string::npos)
        << r.error();
    EXPECT_NE(r.error().find(c.reason), std::string::npos) << c.text << ": " << r.error();
  }
}

TEST(UnixNanosOps, ArithmeticAndOrdering) {
  const UnixNanos a(1'000);
  EXPECT_EQ((a + 500).value, 1'500);
  EXPECT_EQ((a - 1'500).value, -500);
  EXPECT_EQ(UnixNanos(3'000) - a, 2'000);
  UnixNanos b = a;
  b += kNanosPerSecond;
  EXPECT_EQ(b.value, 1'000 + 1'000'000'000);
  EXPECT_LT(a, b);
  EXPECT_TRUE(UnixNanos().is_zero());
  EXPECT_FALSE(a.is_zero());
  EXPECT_EQ(kNanosPerDay, 86'400LL * 1'000'000'000LL);
}

}  // namespace
}  // namespace nacre
