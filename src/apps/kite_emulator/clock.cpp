#include "apps/kite_emulator/clock.h"

#include <algorithm>
#include <cmath>

#include "adapters/zerodha/kite_json.h"

namespace nacre::kite_emu {

VirtualClock::VirtualClock(UnixNanos start, double speed, Wall wall, bool paused,
                           std::optional<TradingSessions> sessions)
    : start_(start),
      speed_(std::isfinite(speed) && speed > 1e-9 ? speed : 1e-9),
      wall_(std::move(wall)),
      base_virtual_(start),
      base_wall_(wall_()),
      paused_(paused),
      sessions_(std::move(sessions)) {}

UnixNanos VirtualClock::Now() const {
  if (paused_) return base_virtual_;
  // A wall clock stepping back never runs time back.
  const DurationNs elapsed = std::max<DurationNs>(wall_() - base_wall_, 0);
  const auto v = static_cast<DurationNs>(static_cast<long double>(elapsed) * speed_);
  return sessions_ ? sessions_->Advance(base_virtual_, v) : base_virtual_ + v;
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
  nlohmann::json out{{"now", KiteTimeText(now)}, {"now_ns", now.value},
                     {"start", KiteTimeText(start_)}, {"start_ns", start_.value},
                     {"speed", speed_}, {"paused", paused_},
                     {"skip_closed", sessions_.has_value()}};
  if (sessions_) {
    out["sessions"] = {{"open", sessions_->OpenText()},
                       {"close", sessions_->CloseText()},
                       {"holidays", sessions_->HolidayTexts()}};
  }
  return out;
}

}  // namespace nacre::kite_emu
