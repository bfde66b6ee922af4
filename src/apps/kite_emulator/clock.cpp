#include "apps/kite_emulator/clock.h"

#include <cmath>

#include "adapters/zerodha/kite_json.h"

namespace nacre::kite_emu {

VirtualClock::VirtualClock(UnixNanos start, double speed, Wall wall, bool paused)
    : start_(start),
      speed_(std::isfinite(speed) && speed > 1e-9 ? speed : 1e-9),
      wall_(std::move(wall)),
      base_virtual_(start),
      base_wall_(wall_()),
      paused_(paused) {}

UnixNanos VirtualClock::Now() const {
  if (paused_) return base_virtual_;
  const DurationNs elapsed = wall_() - base_wall_;
  if (elapsed <= 0) return base_virtual_;  // a wall clock stepping back never runs time back
  const long double v = static_cast<long double>(elapsed) * speed_;
  return base_virtual_ + static_cast<DurationNs>(v);
}

void VirtualClock::Pause() {
  if (paused_) return;
  base_virtual_ = Now();
  paused_ = true;
}

void VirtualClock::Resume() {
  if (!paused_) return;
  base_wall_ = wall_();
  paused_ = false;
}

Status VirtualClock::Step(DurationNs d) {
  if (!paused_) return Error{"the replay is running: pause it before stepping"};
  if (d <= 0) return Error{"a step must move time forward"};
  base_virtual_ += d;
  return Status::Ok();
}

Status VirtualClock::StepTo(UnixNanos t) {
  if (!paused_) return Error{"the replay is running: pause it before stepping"};
  if (t > base_virtual_) base_virtual_ = t;
  return Status::Ok();
}

nlohmann::json VirtualClock::ToJson() const {
  const UnixNanos now = Now();
  return nlohmann::json{{"now", KiteTimeText(now)}, {"now_ns", now.value},
                        {"start", KiteTimeText(start_)}, {"start_ns", start_.value},
                        {"speed", speed_}, {"paused", paused_}};
}

}  // namespace nacre::kite_emu
