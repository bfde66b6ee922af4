#include "risk/throttler.h"

namespace nacre {

void Throttler::Expire(UnixNanos now) {
  while (!stamps_.empty() && now - stamps_.front() >= window_) stamps_.pop_front();
}

bool Throttler::TryAcquire(UnixNanos now) {
  if (limit_ <= 0) return true;  // unlimited
  Expire(now);
  if (static_cast<int>(stamps_.size()) >= limit_) return false;
  stamps_.push_back(now);
  return true;
}

int Throttler::used(UnixNanos now) {
  Expire(now);
  return static_cast<int>(stamps_.size());
}

}  // namespace nacre
