// Throttler: a sliding-window rate limit (at most `limit` events in any `window`), counted
// with kernel-clock timestamps so backtests behave exactly like live. Kernel thread only.
#pragma once

#include <deque>

#include "core/time.h"

namespace nacre {

class Throttler {
 public:
  Throttler(int limit, DurationNs window) : limit_(limit), window_(window) {}
  // Records and allows the event if under the limit; otherwise refuses without recording.
  bool TryAcquire(UnixNanos now);
  int limit() const { return limit_; }
  DurationNs window() const { return window_; }
  int used(UnixNanos now);

 private:
  void Expire(UnixNanos now);
  int limit_;
  DurationNs window_;
  std::deque<UnixNanos> stamps_;
};

}  // namespace nacre
