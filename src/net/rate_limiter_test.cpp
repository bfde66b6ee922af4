#include "net/rate_limiter.h"

#include <gtest/gtest.h>

namespace nacre::net {
namespace {

constexpr DurationNs kMs = kNanosPerMilli;

TEST(RateLimiter, TenOrdersASecondThenTheEleventhWaitsATenthOfASecond) {
  RateLimiter orders = KiteOrderLimiter();
  const UnixNanos t0 = FromIst(2026, 1, 5, 9, 15);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(orders.TryAcquire(t0)) << i;
  EXPECT_FALSE(orders.TryAcquire(t0));
  EXPECT_EQ(*orders.Wait(t0), 100 * kMs);  // one token per 100 ms
  EXPECT_FALSE(orders.TryAcquire(t0 + 99 * kMs));
  EXPECT_TRUE(orders.TryAcquire(t0 + 100 * kMs));
  EXPECT_EQ(orders.used_today(), 11);
}

TEST(RateLimiter, ASteadyTenASecondRunsIntoTheMinuteLimit) {
  // 400 a minute refills a token every 150 ms: at one request per 100 ms the minute bucket
  // loses a third of a token per request. Before request n (at (n-1) x 100 ms) it holds
  // 400 - (n-1)/3 tokens, so 1,198 pass and the 1,199th (at 119.8 s, 2/3 of a token) waits
  // the missing third: 50 ms.
  RateLimiter orders = KiteOrderLimiter();
  const UnixNanos t0 = FromIst(2026, 1, 5, 9, 15);
  int admitted = 0;
  UnixNanos t = t0;
  while (orders.TryAcquire(t)) {
    ++admitted;
    t = t + 100 * kMs;
  }
  EXPECT_EQ(admitted, 1198);
  EXPECT_EQ(*orders.Wait(t), 50 * kMs);
  EXPECT_TRUE(orders.TryAcquire(t + 50 * kMs));
}

TEST(RateLimiter, TheDailyQuotaHoldsUntilTheNextIstDay) {
  RateLimiter orders = KiteOrderLimiter();
  UnixNanos t = FromIst(2026, 1, 5, 9, 15);
  for (int i = 0; i < 5'000; ++i) {
    ASSERT_TRUE(orders.TryAcquire(t)) << i;
    t = t + kNanosPerSecond;  // well inside the per-second and per-minute limits
  }
  EXPECT_FALSE(orders.TryAcquire(t));
  EXPECT_FALSE(orders.Wait(t).has_value()) << "spent for the day: no wait would do";
  const UnixNanos midnight = FromIst(2026, 1, 6, 0, 0);
  EXPECT_FALSE(orders.TryAcquire(midnight - 1));
  EXPECT_TRUE(orders.TryAcquire(midnight));
  EXPECT_EQ(orders.used_today(), 1);
}

TEST(RateLimiter, ARefusedRequestTakesNothing) {
  // Quotes: 1 a second. A refusal must not consume the token that arrives later.
  RateLimiter quotes = KiteQuoteLimiter();
  const UnixNanos t0 = FromIst(2026, 1, 5, 9, 15);
  EXPECT_TRUE(quotes.TryAcquire(t0));
  for (int i = 1; i < 10; ++i) EXPECT_FALSE(quotes.TryAcquire(t0 + i * 100 * kMs));
  EXPECT_TRUE(quotes.TryAcquire(t0 + kNanosPerSecond));
  EXPECT_EQ(quotes.used_today(), 2);
}

TEST(TokenBucket, TimeGoingBackwardsAddsNothing) {
  TokenBucket b(3, kNanosPerSecond);
  const UnixNanos t0(1'000'000'000'000);
  EXPECT_TRUE(b.TryTake(t0));
  EXPECT_TRUE(b.TryTake(t0));
  EXPECT_TRUE(b.TryTake(t0));
  EXPECT_FALSE(b.TryTake(t0 - kNanosPerSecond));
  EXPECT_EQ(b.Wait(t0), kNanosPerSecond / 3 + 1);  // ceil(1e9 / 3)
}

}  // namespace
}  // namespace nacre::net
