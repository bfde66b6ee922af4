#include "net/rate_limiter.h"

#include <algorithm>

namespace nacre::net {

TokenBucket::TokenBucket(std::int64_t capacity, DurationNs period)
    : capacity_(capacity), period_(period), units_(static_cast<Int128>(capacity) * period) {}

void TokenBucket::Refill(UnixNanos now) {
  if (!started_) {
    started_ = true;
    last_ = now;
    return;
  }
  if (now <= last_) return;  // time never runs backwards for a bucket
  const Int128 full = static_cast<Int128>(capacity_) * period_;
  units_ = std::min(full, units_ + static_cast<Int128>(now - last_) * capacity_);
  last_ = now;
}

bool TokenBucket::TryTake(UnixNanos now) {
  Refill(now);
  if (units_ < period_) return false;
  units_ -= period_;
  return true;
}

DurationNs TokenBucket::Wait(UnixNanos now) {
  Refill(now);
  if (units_ >= period_) return 0;
  const Int128 missing = period_ - units_;
  // ceil(missing / capacity) ns of refill.
  return static_cast<DurationNs>((missing + capacity_ - 1) / capacity_);
}

RateLimiter::RateLimiter(std::string name, std::vector<RateLimit> limits,
                         std::optional<std::int64_t> per_ist_day)
    : name_(std::move(name)), per_day_(per_ist_day) {
  for (const RateLimit& l : limits) buckets_.emplace_back(l.count, l.period);
}

void RateLimiter::RollDay(UnixNanos now) {
  const std::int64_t day = (now.value + kIstOffset) / kNanosPerDay;
  if (day != day_) {
    day_ = day;
    used_today_ = 0;
  }
}

std::optional<DurationNs> RateLimiter::Wait(UnixNanos now) {
  RollDay(now);
  if (per_day_ && used_today_ >= *per_day_) return std::nullopt;
  DurationNs wait = 0;
  for (TokenBucket& b : buckets_) wait = std::max(wait, b.Wait(now));
  return wait;
}

bool RateLimiter::TryAcquire(UnixNanos now) {
  const std::optional<DurationNs> wait = Wait(now);
  if (!wait || *wait > 0) return false;
  for (TokenBucket& b : buckets_) (void)b.TryTake(now);  // each has a token (Wait was 0)
  ++used_today_;
  return true;
}

RateLimiter KiteOrderLimiter() {
  return RateLimiter("orders", {{10, kNanosPerSecond}, {400, 60 * kNanosPerSecond}}, 5'000);
}
RateLimiter KiteQuoteLimiter() { return RateLimiter("quote", {{1, kNanosPerSecond}}); }
RateLimiter KiteHistoricalLimiter() { return RateLimiter("historical", {{3, kNanosPerSecond}}); }
RateLimiter KiteOtherLimiter() { return RateLimiter("other", {{10, kNanosPerSecond}}); }

}  // namespace nacre::net
