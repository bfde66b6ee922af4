#include "apps/kite_emulator/clock.h"

#include <gtest/gtest.h>

#include "common/clock.h"

namespace nacre::kite_emu {
namespace {

UnixNanos At(int day, int h, int m) { return FromIst(2025, 1, day, h, m); }

class SkipClosedClock : public ::testing::Test {
 protected:
  std::int64_t wall_ = 1'000'000'000;
  VirtualClock::Wall Wall() {
    return [this] { return UnixNanos(wall_); };
  }
};

TEST_F(SkipClosedClock, RunsThroughSessionsOnlyAndJumpsTheNightAndTheWeekend) {
  // Friday 15:00 at 60x: half an hour of market is 30 wall seconds.
  VirtualClock c(At(3, 15, 0), 60, Wall(), false, TradingSessions{});
  wall_ += 30 * kNanosPerSecond - 1;
  EXPECT_LT(c.Now(), At(3, 15, 30));
  wall_ += 1;
  EXPECT_EQ(c.Now(), At(6, 9, 15));  // Friday's close is Monday's open
  wall_ += 60 * kNanosPerSecond;
  EXPECT_EQ(c.Now(), At(6, 10, 15));
  // Without skip_closed the same wall time is Friday evening.
  VirtualClock plain(At(3, 15, 0), 60, Wall());
  EXPECT_EQ(plain.Now(), At(3, 15, 0));
}

TEST_F(SkipClosedClock, AStartBeforeTheOpenRunsFromTheOpen) {
  VirtualClock c(At(6, 9, 0), 60, Wall(), false, TradingSessions{});
  EXPECT_EQ(c.Now(), At(6, 9, 15));
  wall_ += kNanosPerSecond;
  EXPECT_EQ(c.Now(), At(6, 9, 16));
}

TEST_F(SkipClosedClock, PauseStepAndResume) {
  VirtualClock c(At(6, 15, 20), 60, Wall(), false, TradingSessions{});
  wall_ += 5 * kNanosPerSecond;
  c.Pause();
  EXPECT_EQ(c.Now(), At(6, 15, 25));
  wall_ += 3600 * kNanosPerSecond;  // paused: time stands
  EXPECT_EQ(c.Now(), At(6, 15, 25));
  // A step moves the instant itself, into the night if it goes there; paused, it stays there.
  ASSERT_TRUE(c.Step(10 * kNanosPerMinute).ok());
  EXPECT_EQ(c.Now(), At(6, 15, 35));
  // Resumed, time goes on from the next open.
  c.Resume();
  EXPECT_EQ(c.Now(), At(7, 9, 15));
  wall_ += 60 * kNanosPerSecond;
  EXPECT_EQ(c.Now(), At(7, 10, 15));
  EXPECT_FALSE(c.Step(kNanosPerSecond).ok());  // running: refused
  c.Pause();
  ASSERT_TRUE(c.StepTo(At(7, 11, 0)).ok());
  ASSERT_TRUE(c.StepTo(At(7, 10, 0)).ok());  // never back
  EXPECT_EQ(c.Now(), At(7, 11, 0));
}

// What /__emu/clock publishes is enough for the node to build the same clock: a ScaledClock
// over the published sessions, anchored where the emulator's stood, agrees with it at every
// wall instant, across the night.
TEST_F(SkipClosedClock, ThePublishedClockIsTheNodesClock) {
  VirtualClock emu(At(6, 15, 0), 300, Wall(), false, TradingSessions{});
  wall_ += 2 * kNanosPerSecond;
  const nlohmann::json j = emu.ToJson();
  EXPECT_TRUE(j["skip_closed"].get<bool>());
  EXPECT_EQ(j["sessions"]["open"], "09:15");
  EXPECT_EQ(j["sessions"]["close"], "15:30");
  EXPECT_TRUE(j["sessions"]["holidays"].empty());
  auto sessions = TradingSessions::FromTexts(j["sessions"]["open"], j["sessions"]["close"],
                                             j["sessions"]["holidays"]);
  ASSERT_TRUE(sessions.ok()) << sessions.error();
  ScaledClock node(UnixNanos(j["now_ns"].get<std::int64_t>()), j["speed"].get<double>(),
                   [this] { return UnixNanos(wall_); }, *sessions);
  for (int i = 0; i < 20; ++i) {
    wall_ += 777 * kNanosPerMilli;
    EXPECT_EQ(node.Now(), emu.Now()) << i;
  }
  EXPECT_GT(emu.Now(), At(7, 9, 15));
  EXPECT_FALSE(VirtualClock(At(6, 15, 0), 1, Wall()).ToJson().contains("sessions"));
}

}  // namespace
}  // namespace nacre::kite_emu
