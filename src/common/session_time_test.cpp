#include "common/session_time.h"

#include <gtest/gtest.h>

#include "common/clock.h"

namespace nacre {
namespace {

constexpr DurationNs kMin = kNanosPerMinute;
constexpr DurationNs kHour = kNanosPerHour;
constexpr DurationNs kSession = 6 * kHour + 15 * kMin;  // 09:15-15:30

// Fri 3 Jan 2025, Mon 6 Jan 2025 (the demo week's Monday), and so on.
UnixNanos At(int day, int h, int m) { return FromIst(2025, 1, day, h, m); }

TEST(TradingSessions, InsideASessionTimeRunsAsIs) {
  const TradingSessions s;
  EXPECT_EQ(s.NextOpen(At(6, 10, 0)), At(6, 10, 0));
  EXPECT_EQ(s.Advance(At(6, 10, 0), 90 * kMin), At(6, 11, 30));
  EXPECT_EQ(s.SessionTimeBetween(At(6, 10, 0), At(6, 11, 30)), 90 * kMin);
  EXPECT_EQ(s.Advance(At(6, 10, 0), -5), At(6, 10, 0));
  EXPECT_EQ(s.SessionTimeBetween(At(6, 11, 0), At(6, 10, 0)), 0);
}

TEST(TradingSessions, AClosedHourStandsForTheNextOpen) {
  const TradingSessions s;
  EXPECT_EQ(s.NextOpen(At(6, 9, 0)), At(6, 9, 15));   // before the open
  EXPECT_EQ(s.NextOpen(At(6, 15, 30)), At(7, 9, 15));  // the close belongs to the night
  EXPECT_EQ(s.NextOpen(At(6, 23, 59)), At(7, 9, 15));
  EXPECT_EQ(s.NextOpen(At(7, 2, 0)), At(7, 9, 15));    // after midnight IST (20:30 UTC before)
  EXPECT_EQ(s.NextOpen(At(3, 15, 45)), At(6, 9, 15));  // Friday evening: Monday
  EXPECT_EQ(s.NextOpen(At(4, 12, 0)), At(6, 9, 15));   // Saturday
  EXPECT_EQ(s.NextOpen(At(5, 12, 0)), At(6, 9, 15));   // Sunday
}

TEST(TradingSessions, TimeJumpsFromACloseToTheNextOpen) {
  const TradingSessions s;
  // Reaching the close is being at the next open.
  EXPECT_EQ(s.Advance(At(6, 15, 0), 30 * kMin), At(7, 9, 15));
  EXPECT_EQ(s.Advance(At(6, 15, 0), 30 * kMin - 1), At(6, 15, 30) - 1);
  EXPECT_EQ(s.Advance(At(6, 15, 0), 40 * kMin), At(7, 9, 25));
  // Friday's close to Monday's open over the weekend.
  EXPECT_EQ(s.Advance(At(3, 15, 20), 15 * kMin), At(6, 9, 20));
  // The demo week: five sessions from Monday's open end at the next Monday's open.
  EXPECT_EQ(s.Advance(At(6, 9, 15), 5 * kSession), At(13, 9, 15));
  EXPECT_EQ(s.SessionTimeBetween(At(6, 9, 15), At(10, 15, 30)), 5 * kSession);
  // From a closed hour the count starts at the open.
  EXPECT_EQ(s.Advance(At(5, 20, 0), kHour), At(6, 10, 15));
  EXPECT_EQ(s.SessionTimeBetween(At(5, 20, 0), At(6, 10, 15)), kHour);
}

TEST(TradingSessions, ANightsInstantIsReachedAtTheJump) {
  const TradingSessions s;
  // A timer at 20:00 on Monday: the session time to it is Monday's rest; a clock on the
  // mapping gets there when it jumps to Tuesday's open, together with one at 03:00.
  const DurationNs to_night = s.SessionTimeBetween(At(6, 15, 0), At(6, 20, 0));
  EXPECT_EQ(to_night, 30 * kMin);
  EXPECT_EQ(s.SessionTimeBetween(At(6, 15, 0), At(7, 3, 0)), 30 * kMin);
  EXPECT_EQ(s.Advance(At(6, 15, 0), to_night), At(7, 9, 15));
  EXPECT_GT(s.Advance(At(6, 15, 0), to_night), At(7, 3, 0));
}

TEST(TradingSessions, AdvanceIsAdditive) {
  const TradingSessions s;
  const UnixNanos a = At(6, 9, 0);
  for (DurationNs x : {DurationNs{0}, 5 * kMin, 6 * kHour, kSession, 3 * kSession + 7}) {
    for (DurationNs y : {DurationNs{0}, kMin, 15 * kMin, 2 * kSession + kHour}) {
      EXPECT_EQ(s.Advance(s.Advance(a, x), y), s.Advance(a, x + y)) << x << " + " << y;
    }
  }
}

TEST(TradingSessions, HolidaysDoNotTrade) {
  auto s = TradingSessions::FromTexts("09:15", "15:30", {"2025-01-07"});
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_FALSE(s->TradesOn(DaysFromCivil({2025, 1, 7})));
  EXPECT_EQ(s->Advance(At(6, 15, 0), 30 * kMin), At(8, 9, 15));
  EXPECT_EQ(s->OpenText(), "09:15");
  EXPECT_EQ(s->CloseText(), "15:30");
  EXPECT_EQ(s->HolidayTexts(), std::vector<std::string>{"2025-01-07"});
  auto back = TradingSessions::FromTexts(s->OpenText(), s->CloseText(), s->HolidayTexts());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, *s);
}

TEST(TradingSessions, BadTextsAreNamed) {
  auto a = TradingSessions::FromTexts("9:15", "15:30", {});
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().find("open: \"9:15\" is not HH:MM"), std::string::npos) << a.error();
  auto b = TradingSessions::FromTexts("15:30", "09:15", {});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().find("open must come before the close"), std::string::npos) << b.error();
  auto c = TradingSessions::FromTexts("09:15", "15:30", {"7-Jan-2025"});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().find("holiday"), std::string::npos) << c.error();
}

// The node's clock on the same mapping: a scaled clock through the sessions, whose wall wait
// for a night's timer ends at the jump, and whose timers there fire in time order.
TEST(TradingSessions, AScaledClockSkipsTheNightAndFiresItsTimersAtTheJump) {
  std::int64_t wall = 0;
  ScaledClock c(At(6, 15, 29), 60, [&wall] { return UnixNanos(wall); }, TradingSessions{});
  EXPECT_EQ(c.Now(), At(6, 15, 29));
  // One market minute to the close: a wall second at 60x, whatever the night's length.
  EXPECT_EQ(c.WallUntil(At(6, 22, 0)), kNanosPerSecond);
  EXPECT_EQ(c.WallUntil(At(7, 9, 16)), 2 * kNanosPerSecond);
  std::vector<std::string> fired;
  auto log = [&fired](const TimeEvent& e) { fired.push_back(e.name); };
  ASSERT_TRUE(c.SetTimeAlert("tue-03:00", At(7, 3, 0), log).ok());
  ASSERT_TRUE(c.SetTimeAlert("mon-20:00", At(6, 20, 0), log).ok());
  ASSERT_TRUE(c.SetTimeAlert("tue-09:16", At(7, 9, 16), log).ok());
  wall = kNanosPerSecond - 1;
  EXPECT_LT(c.Now(), At(6, 15, 30));
  while (c.FireNext(c.Now())) {
  }
  EXPECT_TRUE(fired.empty());
  wall = kNanosPerSecond;  // the close: the clock is at Tuesday's open
  EXPECT_EQ(c.Now(), At(7, 9, 15));
  while (c.FireNext(c.Now())) {
  }
  EXPECT_EQ(fired, (std::vector<std::string>{"mon-20:00", "tue-03:00"}));
  wall = 2 * kNanosPerSecond;
  while (c.FireNext(c.Now())) {
  }
  EXPECT_EQ(fired.back(), "tue-09:16");
  // Continued from an earlier wall anchor (the emulator's clock read before the node started).
  c.Reanchor(At(6, 15, 29), UnixNanos(0));
  EXPECT_EQ(c.Now(), At(7, 9, 16));
}

}  // namespace
}  // namespace nacre
