#include "common/clock.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "testkit/testkit.h"

namespace nacre {
namespace {

constexpr DurationNs kSec = kNanosPerSecond;

// Seconds after a fixed, non-zero origin (zero start means "now" to SetTimer).
UnixNanos T(std::int64_t seconds) { return UnixNanos(1'700'000'000 * kSec + seconds * kSec); }

// One fired event as the handler saw it.
struct Fired {
  std::string name;
  UnixNanos ts_event;
  UnixNanos now;  // clock time inside the handler
  bool operator==(const Fired&) const = default;
};

void PrintTo(const Fired& f, std::ostream* os) {
  *os << "{" << f.name << " ev=" << f.ts_event.value << " now=" << f.now.value << "}";
}

class TestClockTest : public ::testing::Test {
 protected:
  TimeEventHandler Record() {
    return [this](const TimeEvent& e) { fired_.push_back({e.name, e.ts_event, clock_.Now()}); };
  }

  TestClock clock_{T(0)};
  std::vector<Fired> fired_;
};

TEST_F(TestClockTest, StartsAtGivenTimeAndSetTimeDoesNotFire) {
  EXPECT_EQ(clock_.Now(), T(0));
  ASSERT_TRUE(clock_.SetTimeAlert("a", T(5), Record()));
  clock_.SetTime(T(10));
  EXPECT_EQ(clock_.Now(), T(10));
  EXPECT_TRUE(fired_.empty());
  EXPECT_TRUE(clock_.HasTimer("a"));
}

TEST_F(TestClockTest, AdvanceTimeFiresInTimeOrderAndMovesClockToEachEvent) {
  ASSERT_TRUE(clock_.SetTimeAlert("late", T(7), Record()));
  ASSERT_TRUE(clock_.SetTimeAlert("early", T(3), Record()));
  ASSERT_TRUE(clock_.SetTimer("rep", 2 * kSec, T(0), {}, Record()));  // 2, 4, 6, 8, ...

  EXPECT_EQ(clock_.AdvanceTime(T(7)), 5u);
  const std::vector<Fired> expected = {
      {"rep", T(2), T(2)}, {"early", T(3), T(3)}, {"rep", T(4), T(4)},
      {"rep", T(6), T(6)}, {"late", T(7), T(7)},
  };
  EXPECT_EQ(fired_, expected);
  EXPECT_EQ(clock_.Now(), T(7));
  EXPECT_FALSE(clock_.HasTimer("late"));
  EXPECT_FALSE(clock_.HasTimer("early"));
  EXPECT_TRUE(clock_.HasTimer("rep"));
  EXPECT_EQ(clock_.NextDue(), T(8));
}

TEST_F(TestClockTest, EventsAtTheSameTimeFireInCreationOrderNotNameOrder) {
  ASSERT_TRUE(clock_.SetTimeAlert("zulu", T(5), Record()));
  ASSERT_TRUE(clock_.SetTimeAlert("alpha", T(5), Record()));
  ASSERT_TRUE(clock_.SetTimer("mike", 5 * kSec, T(0), {}, Record()));
  ASSERT_TRUE(clock_.SetTimeAlert("bravo", T(5), Record()));

  EXPECT_EQ(clock_.AdvanceTime(T(5)), 4u);
  ASSERT_EQ(fired_.size(), 4u);
  EXPECT_EQ(fired_[0].name, "zulu");
  EXPECT_EQ(fired_[1].name, "alpha");
  EXPECT_EQ(fired_[2].name, "mike");
  EXPECT_EQ(fired_[3].name, "bravo");
  for (const Fired& f : fired_) EXPECT_EQ(f.now, T(5));
}

TEST_F(TestClockTest, RescheduledRepeatingTimerQueuesBehindEarlierCreatedAlert) {
  // The timer's second fire (T4) is scheduled when it first fires at T2, after "alert" (T4)
  // was created, so at T4 the alert goes first.
  ASSERT_TRUE(clock_.SetTimer("timer", 2 * kSec, T(0), {}, Record()));
  ASSERT_TRUE(clock_.SetTimeAlert("alert", T(4), Record()));
  clock_.AdvanceTime(T(4));
  ASSERT_EQ(fired_.size(), 3u);
  EXPECT_EQ(fired_[0], (Fired{"timer", T(2), T(2)}));
  EXPECT_EQ(fired_[1], (Fired{"alert", T(4), T(4)}));
  EXPECT_EQ(fired_[2], (Fired{"timer", T(4), T(4)}));
}

TEST_F(TestClockTest, AdvanceInStepsFiresEachEventOnce) {
  ASSERT_TRUE(clock_.SetTimer("rep", 10 * kSec, T(0), {}, Record()));
  EXPECT_EQ(clock_.AdvanceTime(T(9)), 0u);
  EXPECT_EQ(clock_.AdvanceTime(T(10)), 1u);
  EXPECT_EQ(clock_.AdvanceTime(T(10)), 0u);
  EXPECT_EQ(clock_.AdvanceTime(T(19)), 0u);
  EXPECT_EQ(clock_.AdvanceTime(T(35)), 2u);
  ASSERT_EQ(fired_.size(), 3u);
  EXPECT_EQ(fired_[0].ts_event, T(10));
  EXPECT_EQ(fired_[1].ts_event, T(20));
  EXPECT_EQ(fired_[2].ts_event, T(30));
  EXPECT_EQ(clock_.Now(), T(35));
}

TEST_F(TestClockTest, RepeatingTimerWithStopFiresUpToAndIncludingStop) {
  ASSERT_TRUE(clock_.SetTimer("rep", 10 * kSec, T(0), T(30), Record()));
  EXPECT_EQ(clock_.AdvanceTime(T(100)), 3u);
  ASSERT_EQ(fired_.size(), 3u);
  EXPECT_EQ(fired_[0].ts_event, T(10));
  EXPECT_EQ(fired_[1].ts_event, T(20));
  EXPECT_EQ(fired_[2].ts_event, T(30));
  EXPECT_FALSE(clock_.HasTimer("rep"));
  EXPECT_EQ(clock_.TimerCount(), 0u);
  EXPECT_EQ(clock_.NextDue(), UnixNanos(INT64_MAX));
}

TEST_F(TestClockTest, RepeatingTimerWithStopBetweenFiresStopsBeforeIt) {
  ASSERT_TRUE(clock_.SetTimer("rep", 10 * kSec, T(0), T(25), Record()));
  EXPECT_EQ(clock_.AdvanceTime(T(20)), 2u);
  // Removed as soon as its last fire (T20) ran: the next (T30) is past the stop.
  EXPECT_FALSE(clock_.HasTimer("rep"));
  EXPECT_EQ(clock_.AdvanceTime(T(100)), 0u);
  EXPECT_EQ(fired_.size(), 2u);
}

TEST_F(TestClockTest, ExplicitStartOffsetsTheSchedule) {
  ASSERT_TRUE(clock_.SetTimer("rep", 10 * kSec, T(5), {}, Record()));
  EXPECT_EQ(clock_.NextDue(), T(15));
  clock_.AdvanceTime(T(30));
  ASSERT_EQ(fired_.size(), 2u);
  EXPECT_EQ(fired_[0].ts_event, T(15));
  EXPECT_EQ(fired_[1].ts_event, T(25));
}

TEST_F(TestClockTest, ZeroStartMeansNow) {
  clock_.SetTime(T(3));
  ASSERT_TRUE(clock_.SetTimer("rep", 10 * kSec, UnixNanos(0), {}, Record()));
  EXPECT_EQ(clock_.NextDue(), T(13));
}

TEST_F(TestClockTest, FireImmediatelyFiresAtStart) {
  ASSERT_TRUE(clock_.SetTimer("rep", 10 * kSec, T(0), {}, Record(), /*fire_immediately=*/true));
  EXPECT_EQ(clock_.NextDue(), T(0));
  EXPECT_EQ(clock_.AdvanceTime(T(0)), 1u);
  EXPECT_EQ(clock_.AdvanceTime(T(20)), 2u);
  ASSERT_EQ(fired_.size(), 3u);
  EXPECT_EQ(fired_[0].ts_event, T(0));
  EXPECT_EQ(fired_[1].ts_event, T(10));
  EXPECT_EQ(fired_[2].ts_event, T(20));
}

TEST_F(TestClockTest, FireImmediatelyWithStopAtStartFiresOnce) {
  ASSERT_TRUE(clock_.SetTimer("once", 10 * kSec, T(0), T(0), Record(), true));
  EXPECT_EQ(clock_.AdvanceTime(T(50)), 1u);
  EXPECT_FALSE(clock_.HasTimer("once"));
}

TEST_F(TestClockTest, InvalidTimersAreRefused) {
  EXPECT_FALSE(clock_.SetTimer("", kSec, T(0), {}, Record()));
  EXPECT_FALSE(clock_.SetTimer("zero", 0, T(0), {}, Record()));
  EXPECT_FALSE(clock_.SetTimer("negative", -kSec, T(0), {}, Record()));
  const Status stop = clock_.SetTimer("stop", 10 * kSec, T(0), T(5), Record());
  ASSERT_FALSE(stop);
  EXPECT_NE(stop.error().find("stop"), std::string::npos) << stop.error();
  EXPECT_FALSE(clock_.SetTimeAlert("", T(5), Record()));
  EXPECT_EQ(clock_.TimerCount(), 0u);
}

TEST_F(TestClockTest, DuplicateNamesAreRefusedAcrossTimersAndAlerts) {
  ASSERT_TRUE(clock_.SetTimer("x", 10 * kSec, T(0), {}, Record()));
  const Status dup_timer = clock_.SetTimer("x", kSec, T(0), {}, Record());
  ASSERT_FALSE(dup_timer);
  EXPECT_NE(dup_timer.error().find("'x' already exists"), std::string::npos) << dup_timer.error();
  EXPECT_FALSE(clock_.SetTimeAlert("x", T(1), Record()));
  ASSERT_TRUE(clock_.SetTimeAlert("y", T(1), Record()));
  EXPECT_FALSE(clock_.SetTimer("y", kSec, T(0), {}, Record()));
  // The originals are untouched.
  clock_.AdvanceTime(T(10));
  ASSERT_EQ(fired_.size(), 2u);
  EXPECT_EQ(fired_[0], (Fired{"y", T(1), T(1)}));
  EXPECT_EQ(fired_[1], (Fired{"x", T(10), T(10)}));
  // A fired alert's name can be reused.
  EXPECT_TRUE(clock_.SetTimeAlert("y", T(11), Record()));
}

TEST_F(TestClockTest, AlertInThePastIsRefusedAndAtNowIsAllowed) {
  clock_.SetTime(T(10));
  const Status past = clock_.SetTimeAlert("past", T(9), Record());
  ASSERT_FALSE(past);
  EXPECT_NE(past.error().find("in the past"), std::string::npos) << past.error();
  EXPECT_FALSE(clock_.HasTimer("past"));
  EXPECT_FALSE(clock_.SetTimeAlert("one_ns_ago", T(10) - 1, Record()));
  ASSERT_TRUE(clock_.SetTimeAlert("now", T(10), Record()));
  EXPECT_EQ(clock_.AdvanceTime(T(10)), 1u);
  EXPECT_EQ(fired_.at(0), (Fired{"now", T(10), T(10)}));
}

TEST_F(TestClockTest, CancelInsideHandlerStopsOtherAndSelf) {
  int self_fires = 0;
  ASSERT_TRUE(clock_.SetTimer("self", kSec, T(0), {}, [&](const TimeEvent&) {
    if (++self_fires == 2) clock_.CancelTimer("self");
  }));
  ASSERT_TRUE(clock_.SetTimeAlert("killer", T(5), [&](const TimeEvent& e) {
    fired_.push_back({e.name, e.ts_event, clock_.Now()});
    clock_.CancelTimer("victim");
  }));
  ASSERT_TRUE(clock_.SetTimeAlert("victim", T(5), Record()));  // same time, created later
  clock_.AdvanceTime(T(10));
  EXPECT_EQ(self_fires, 2);
  EXPECT_FALSE(clock_.HasTimer("self"));
  ASSERT_EQ(fired_.size(), 1u);
  EXPECT_EQ(fired_[0].name, "killer");
  EXPECT_EQ(clock_.TimerCount(), 0u);
}

// A fire reuses its timer's event; a handler that advances the clock into its own timer's
// next fires gets those as events of their own, and its own event keeps its time.
TEST_F(TestClockTest, AHandlerThatFiresItsOwnTimerAgainKeepsItsOwnEvent) {
  std::vector<UnixNanos> seen;
  ASSERT_TRUE(clock_.SetTimer("tick", kSec, T(0), T(3), [&](const TimeEvent& e) {
    seen.push_back(e.ts_event);
    if (seen.size() == 1) {
      clock_.AdvanceTime(T(3));  // fires ticks 2 and 3 inside tick 1
      seen.push_back(e.ts_event);
      EXPECT_EQ(e.name, "tick");
    }
  }));
  clock_.AdvanceTime(T(1));
  EXPECT_EQ(seen, (std::vector<UnixNanos>{T(1), T(2), T(3), T(1)}));
  EXPECT_FALSE(clock_.HasTimer("tick"));
}

// A one-shot's name is free in its own handler (an actor re-arms an alert under one name), and
// timers cancelled or cancelling inside handlers leave the firing order of the rest intact.
TEST_F(TestClockTest, HandlersRearmTheirNameAndCancelOthersWithoutDisturbingTheOrder) {
  std::vector<std::string> seen;
  int rearmed = 0;
  ASSERT_TRUE(clock_.SetTimer("every", kSec, T(0), UnixNanos(0), [&](const TimeEvent& e) {
    seen.push_back(fmt::format("{}@{}", e.name, (e.ts_event - T(0)) / kSec));
  }));
  std::function<void(const TimeEvent&)> again = [&](const TimeEvent& e) {
    seen.push_back(fmt::format("{}@{}", e.name, (e.ts_event - T(0)) / kSec));
    if (++rearmed < 3) {
      ASSERT_TRUE(clock_.SetTimeAlert("alert", e.ts_event + 2 * kSec, again));
    }
  };
  ASSERT_TRUE(clock_.SetTimeAlert("alert", T(2), again));
  ASSERT_TRUE(clock_.SetTimeAlert("doomed", T(5), [&](const TimeEvent&) { seen.push_back("x"); }));
  ASSERT_TRUE(clock_.SetTimeAlert("killer", T(3), [&](const TimeEvent& e) {
    seen.push_back(fmt::format("{}@{}", e.name, (e.ts_event - T(0)) / kSec));
    clock_.CancelTimer("doomed");
    clock_.CancelTimer("every");
  }));
  clock_.AdvanceTime(T(7));
  // Equal times fire in sequence order, and a repeating timer takes a new sequence each time
  // it is rescheduled: at 2 "alert" (set before "every" fired at 1) goes first, at 3 "killer"
  // does, and cancels "every" and "doomed".
  EXPECT_EQ(seen, (std::vector<std::string>{"every@1", "alert@2", "every@2", "killer@3",
                                            "alert@4", "alert@6"}));
  EXPECT_EQ(clock_.TimerCount(), 0u);
  EXPECT_EQ(clock_.NextDue(), UnixNanos(INT64_MAX));
}

TEST_F(TestClockTest, HandlerCanScheduleAnEventInsideTheSameAdvance) {
  ASSERT_TRUE(clock_.SetTimeAlert("first", T(2), [&](const TimeEvent& e) {
    fired_.push_back({e.name, e.ts_event, clock_.Now()});
    ASSERT_TRUE(clock_.SetTimeAlert("chained", clock_.Now() + 3 * kSec, Record()));
    // In the past relative to the handler's Now(): refused even though AdvanceTime's target
    // is later.
    EXPECT_FALSE(clock_.SetTimeAlert("stale", T(1), Record()));
  }));
  ASSERT_TRUE(clock_.SetTimeAlert("later", T(6), Record()));
  EXPECT_EQ(clock_.AdvanceTime(T(10)), 3u);
  ASSERT_EQ(fired_.size(), 3u);
  EXPECT_EQ(fired_[0], (Fired{"first", T(2), T(2)}));
  EXPECT_EQ(fired_[1], (Fired{"chained", T(5), T(5)}));
  EXPECT_EQ(fired_[2], (Fired{"later", T(6), T(6)}));
}

TEST_F(TestClockTest, NextDueTracksEarliestTimer) {
  EXPECT_EQ(clock_.NextDue(), UnixNanos(INT64_MAX));
  ASSERT_TRUE(clock_.SetTimeAlert("b", T(20), Record()));
  EXPECT_EQ(clock_.NextDue(), T(20));
  ASSERT_TRUE(clock_.SetTimer("a", 5 * kSec, T(0), {}, Record()));
  EXPECT_EQ(clock_.NextDue(), T(5));
  clock_.CancelTimer("a");
  EXPECT_EQ(clock_.NextDue(), T(20));
  clock_.CancelTimer("unknown");  // no-op
  EXPECT_EQ(clock_.NextDue(), T(20));
  clock_.AdvanceTime(T(20));
  EXPECT_EQ(clock_.NextDue(), UnixNanos(INT64_MAX));
}

TEST_F(TestClockTest, TimerNamesAreSortedAndCancelTimersClearsAll) {
  ASSERT_TRUE(clock_.SetTimeAlert("c", T(3), Record()));
  ASSERT_TRUE(clock_.SetTimeAlert("a", T(1), Record()));
  ASSERT_TRUE(clock_.SetTimer("b", kSec, T(0), {}, Record()));
  EXPECT_EQ(clock_.TimerNames(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(clock_.TimerCount(), 3u);
  clock_.CancelTimers();
  EXPECT_EQ(clock_.TimerCount(), 0u);
  EXPECT_TRUE(clock_.TimerNames().empty());
  EXPECT_EQ(clock_.NextDue(), UnixNanos(INT64_MAX));
  EXPECT_EQ(clock_.AdvanceTime(T(100)), 0u);
  EXPECT_TRUE(fired_.empty());
}

TEST_F(TestClockTest, NeverMovesBackwards) {
  ASSERT_TRUE(clock_.SetTimeAlert("a", T(15), Record()));
  clock_.AdvanceTime(T(10));
  EXPECT_EQ(clock_.AdvanceTime(T(5)), 0u);
  EXPECT_EQ(clock_.Now(), T(10));
  EXPECT_TRUE(fired_.empty());
  EXPECT_TRUE(clock_.HasTimer("a"));
}

TEST_F(TestClockTest, OverdueTimerFiresWithoutMovingTheClockBackwards) {
  clock_.SetTime(T(100));
  // Start in the past: the schedule (T10, T20, ...) is already overdue.
  ASSERT_TRUE(clock_.SetTimer("overdue", 10 * kSec, T(0), T(30), Record()));
  clock_.AdvanceTime(T(101));
  ASSERT_EQ(fired_.size(), 3u);
  UnixNanos last = T(100);
  for (const Fired& f : fired_) {
    EXPECT_GE(f.now, last) << f.name << " moved the clock back to " << f.now.value;
    last = f.now;
  }
  EXPECT_EQ(fired_[0].ts_event, T(10));  // the event keeps its scheduled time
  EXPECT_EQ(clock_.Now(), T(101));
}

TEST_F(TestClockTest, HandlerSeesItsOwnScheduledTimeAsTimeEventFields) {
  TimeEvent seen;
  ASSERT_TRUE(clock_.SetTimeAlert("x", T(4), [&](const TimeEvent& e) { seen = e; }));
  clock_.AdvanceTime(T(9));
  EXPECT_EQ(seen.name, "x");
  EXPECT_EQ(seen.ts_event, T(4));
  EXPECT_EQ(seen.ts_init, T(4));
}

TEST(LiveClockTest, NowIsRecentAndNonDecreasing) {
  LiveClock clock;
  const UnixNanos a = clock.Now();
  const UnixNanos b = clock.Now();
  EXPECT_GT(a, FromUtc(2020, 1, 1, 0, 0));
  EXPECT_LT(a, FromUtc(2200, 1, 1, 0, 0));
  EXPECT_GE(b, a);
}

TEST(LiveClockTest, FireDueFiresOnlyDueTimers) {
  LiveClock clock;
  int fired = 0;
  ASSERT_TRUE(clock.SetTimeAlert("soon", clock.Now() + 20 * kNanosPerMilli,
                                 [&](const TimeEvent&) { ++fired; }));
  ASSERT_TRUE(
      clock.SetTimeAlert("far", clock.Now() + 3600 * kSec, [&](const TimeEvent&) { ++fired; }));
  // Poll as the live loop would (generous deadline: the machine may be busy).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::size_t total = 0;
  while (fired == 0 && std::chrono::steady_clock::now() < deadline) {
    total += clock.FireDue();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(total, 1u);
  EXPECT_EQ(fired, 1);
  EXPECT_FALSE(clock.HasTimer("soon"));
  EXPECT_TRUE(clock.HasTimer("far"));
  EXPECT_EQ(clock.FireDue(), 0u);
}

TEST(ScaledClock, RunsAtItsRateFromItsAnchor) {
  std::int64_t wall = 1'000'000;
  const UnixNanos anchor = FromIst(2026, 5, 4, 9, 15);
  ScaledClock c(anchor, 60.0, [&] { return UnixNanos(wall); });
  EXPECT_EQ(c.Now(), anchor);
  wall += kNanosPerSecond;
  EXPECT_EQ(c.Now(), anchor + kNanosPerMinute);  // a wall second is a virtual minute
  EXPECT_DOUBLE_EQ(c.rate(), 60.0);
  wall -= 2 * kNanosPerSecond;  // a wall clock stepping back never runs time back
  EXPECT_EQ(c.Now(), anchor);
  ScaledClock bad(anchor, -5.0, [&] { return UnixNanos(wall); });
  EXPECT_DOUBLE_EQ(bad.rate(), 1.0);
}

}  // namespace
}  // namespace nacre
