// Rate limits as a client must keep them (Kite: orders 10/s, 400/min and 5,000/day; quotes
// 1/s; historical 3/s; others 10/s). Pure and clock-free: every call takes the time, so the
// I/O thread passes its clock and tests pass any time they like.
//
// TokenBucket: `capacity` tokens, refilled continuously at `capacity / period`; a request takes
// one. RateLimiter: several buckets (per second, per minute) and an optional per-day quota that
// resets at IST midnight; a request is admitted only when every one of them has a token, and
// then takes one from each (all or none). When refused, Wait() says how long until it would
// be admitted (for queueing, never for blind retries).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/fixed.h"
#include "core/time.h"

namespace nacre::net {

class TokenBucket {
 public:
  // `capacity` requests per `period`, starting full.
  TokenBucket(std::int64_t capacity, DurationNs period);
  bool TryTake(UnixNanos now);
  // Time until a token is available (0 if one is now).
  DurationNs Wait(UnixNanos now);
  std::int64_t capacity() const { return capacity_; }
  DurationNs period() const { return period_; }

 private:
  void Refill(UnixNanos now);
  std::int64_t capacity_;
  DurationNs period_;
  // Tokens scaled by `period_` (a token = period_ units; refill adds elapsed ns × capacity), so
  // refilling is exact integer arithmetic with no drift.
  Int128 units_;
  UnixNanos last_;
  bool started_ = false;
};

struct RateLimit {
  std::int64_t count = 0;
  DurationNs period = 0;
};

class RateLimiter {
 public:
  RateLimiter(std::string name, std::vector<RateLimit> limits,
              std::optional<std::int64_t> per_ist_day = std::nullopt);
  // Admits the request and takes its tokens, or refuses and takes nothing.
  bool TryAcquire(UnixNanos now);
  // How long until TryAcquire would succeed; nullopt when today's quota is spent (until the
  // next IST day).
  std::optional<DurationNs> Wait(UnixNanos now);
  const std::string& name() const { return name_; }
  std::int64_t used_today() const { return used_today_; }

 private:
  void RollDay(UnixNanos now);
  std::string name_;
  std::vector<TokenBucket> buckets_;
  std::optional<std::int64_t> per_day_;
  std::int64_t used_today_ = 0;
  std::int64_t day_ = -1;  // IST day number of used_today_
};

// Kite Connect's documented limits per API key, by endpoint class.
RateLimiter KiteOrderLimiter();       // 10/s, 400/min, 5,000/day
RateLimiter KiteQuoteLimiter();       // 1/s
RateLimiter KiteHistoricalLimiter();  // 3/s
RateLimiter KiteOtherLimiter();       // 10/s

}  // namespace nacre::net
