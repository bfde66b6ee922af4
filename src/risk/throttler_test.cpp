#include "risk/throttler.h"

#include <gtest/gtest.h>

namespace nacre {
namespace {

constexpr UnixNanos kT0(1'700'000'000 * kNanosPerSecond);

TEST(ThrottlerTest, AllowsUpToLimitWithinWindowThenRefuses) {
  Throttler t(3, kNanosPerSecond);
  EXPECT_EQ(t.limit(), 3);
  EXPECT_EQ(t.window(), kNanosPerSecond);
  EXPECT_TRUE(t.TryAcquire(kT0));
  EXPECT_TRUE(t.TryAcquire(kT0 + 100 * kNanosPerMilli));
  EXPECT_TRUE(t.TryAcquire(kT0 + 200 * kNanosPerMilli));
  EXPECT_EQ(t.used(kT0 + 200 * kNanosPerMilli), 3);
  EXPECT_FALSE(t.TryAcquire(kT0 + 300 * kNanosPerMilli));
  EXPECT_FALSE(t.TryAcquire(kT0 + kNanosPerSecond - 1));
}

TEST(ThrottlerTest, RefusedAttemptIsNotRecorded) {
  Throttler t(2, kNanosPerSecond);
  ASSERT_TRUE(t.TryAcquire(kT0));
  ASSERT_TRUE(t.TryAcquire(kT0));
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(t.TryAcquire(kT0 + 10));
  EXPECT_EQ(t.used(kT0 + 10), 2);
  // Had the refusals been recorded, the window would still be full here.
  EXPECT_TRUE(t.TryAcquire(kT0 + kNanosPerSecond));
  EXPECT_TRUE(t.TryAcquire(kT0 + kNanosPerSecond));
  EXPECT_FALSE(t.TryAcquire(kT0 + kNanosPerSecond));
}

TEST(ThrottlerTest, WindowSlidesOneStampAtATime) {
  Throttler t(3, kNanosPerSecond);
  ASSERT_TRUE(t.TryAcquire(kT0));
  ASSERT_TRUE(t.TryAcquire(kT0 + 500 * kNanosPerMilli));
  ASSERT_TRUE(t.TryAcquire(kT0 + 900 * kNanosPerMilli));
  EXPECT_FALSE(t.TryAcquire(kT0 + 999 * kNanosPerMilli));
  // Exactly one window after the first stamp, that stamp has expired (and only that one).
  EXPECT_EQ(t.used(kT0 + kNanosPerSecond), 2);
  EXPECT_TRUE(t.TryAcquire(kT0 + kNanosPerSecond));
  EXPECT_FALSE(t.TryAcquire(kT0 + kNanosPerSecond + 1));
  EXPECT_EQ(t.used(kT0 + 1500 * kNanosPerMilli), 2);
  EXPECT_EQ(t.used(kT0 + 10 * kNanosPerSecond), 0);
}

TEST(ThrottlerTest, PerMinuteWindow) {
  Throttler t(2, kNanosPerMinute);
  ASSERT_TRUE(t.TryAcquire(kT0));
  ASSERT_TRUE(t.TryAcquire(kT0 + 30 * kNanosPerSecond));
  EXPECT_FALSE(t.TryAcquire(kT0 + 59 * kNanosPerSecond));
  EXPECT_TRUE(t.TryAcquire(kT0 + 60 * kNanosPerSecond));
  EXPECT_FALSE(t.TryAcquire(kT0 + 89 * kNanosPerSecond));
  EXPECT_TRUE(t.TryAcquire(kT0 + 90 * kNanosPerSecond));
}

TEST(ThrottlerTest, NonPositiveLimitMeansUnlimited) {
  Throttler zero(0, kNanosPerSecond);
  Throttler negative(-1, kNanosPerSecond);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(zero.TryAcquire(kT0));
    ASSERT_TRUE(negative.TryAcquire(kT0));
  }
  EXPECT_EQ(zero.used(kT0), 0);
}

}  // namespace
}  // namespace nacre
