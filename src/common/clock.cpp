#include "common/clock.h"

#include <cmath>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace nacre {

Status Clock::SetTimeAlert(const std::string& name, UnixNanos at, TimeEventHandler handler) {
  if (name.empty()) return MakeError("time alert name is empty");
  if (timers_.count(name)) return MakeError(fmt::format("timer '{}' already exists", name));
  if (at < Now()) {
    return MakeError(fmt::format("time alert '{}' at {} is in the past (now {})", name,
                                 FormatIsoUtc(at), FormatIsoUtc(Now())));
  }
  Add(name, Timer{0, at, UnixNanos(0), next_seq_++,
                  std::make_shared<Fire>(Fire{std::move(handler), TimeEvent{name, {}, {}}})});
  return Status::Ok();
}

void Clock::Add(const std::string& name, Timer timer) {
  Timer& t = timers_.emplace(name, std::move(timer)).first->second;
  due_.insert(&t);
  RecomputeNextDue();
}

Status Clock::SetTimer(const std::string& name, DurationNs interval, UnixNanos start,
                       UnixNanos stop, TimeEventHandler handler, bool fire_immediately) {
  if (name.empty()) return MakeError("timer name is empty");
  if (interval <= 0) return MakeError(fmt::format("timer '{}' interval must be positive", name));
  if (timers_.count(name)) return MakeError(fmt::format("timer '{}' already exists", name));
  if (start.is_zero()) start = Now();
  const UnixNanos first = fire_immediately ? start : start + interval;
  if (!stop.is_zero() && stop < first) {
    return MakeError(fmt::format("timer '{}' stop time is before its first fire", name));
  }
  Add(name, Timer{interval, first, stop, next_seq_++,
                  std::make_shared<Fire>(Fire{std::move(handler), TimeEvent{name, {}, {}}})});
  return Status::Ok();
}

void Clock::CancelTimer(const std::string& name) {
  auto it = timers_.find(name);
  if (it == timers_.end()) return;
  due_.erase(&it->second);
  timers_.erase(it);
  RecomputeNextDue();
}

void Clock::CancelTimers() {
  due_.clear();
  timers_.clear();
  RecomputeNextDue();
}

std::vector<std::string> Clock::TimerNames() const {
  std::vector<std::string> names;
  for (const auto& [name, t] : timers_) names.push_back(name);
  return names;
}

void Clock::RecomputeNextDue() {
  next_due_ = due_.empty() ? UnixNanos(INT64_MAX) : (*due_.begin())->next_time;
}

std::size_t Clock::FireDueUntil(UnixNanos until, bool move_time, std::size_t max_events) {
  std::size_t fired = 0;
  while (next_due_ <= until && fired < max_events) {
    // The earliest (time, sequence) timer.
    Timer* due = *due_.begin();
    const UnixNanos at = due->next_time;
    const std::shared_ptr<Fire> fire = due->fire;  // survives cancellation inside the handler
    auto node = due_.extract(due_.begin());
    if (due->interval == 0 ||
        (!due->stop_time.is_zero() && due->next_time + due->interval > due->stop_time)) {
      timers_.erase(fire->event.name);
    } else {
      due->next_time += due->interval;
      due->seq = next_seq_++;
      due_.insert(std::move(node));  // the same node, reordered: no allocation
    }
    RecomputeNextDue();
    if (move_time) SetTimeForEvent(at);
    ++fired;
    if (fire->firing) {  // a fire of this timer from inside its own handler: an event of its own
      fire->handler(TimeEvent{fire->event.name, at, at});
      continue;
    }
    fire->event.ts_event = at;
    fire->event.ts_init = at;
    fire->firing = true;
    struct Done {
      Fire& f;
      ~Done() { f.firing = false; }
    } done{*fire};
    fire->handler(fire->event);
  }
  return fired;
}

std::size_t TestClock::AdvanceTime(UnixNanos to) {
  if (to < now_) return 0;
  const std::size_t fired = FireDueUntil(to, true);
  now_ = to;
  return fired;
}

UnixNanos SteadyNow() {
  const auto d = std::chrono::steady_clock::now().time_since_epoch();
  return UnixNanos(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
}

DurationNs Clock::WallUntil(UnixNanos t) const {
  const UnixNanos now = Now();
  if (t <= now) return 0;
  return static_cast<DurationNs>(static_cast<long double>(t - now) / rate());
}

ScaledClock::ScaledClock(UnixNanos anchor, double rate, Wall wall,
                         std::optional<TradingSessions> sessions)
    : anchor_(anchor),
      rate_(std::isfinite(rate) && rate > 0 ? rate : 1.0),
      wall_(wall ? std::move(wall) : Wall(SteadyNow)),
      wall_anchor_(wall_()),
      sessions_(std::move(sessions)) {}

void ScaledClock::Reanchor(UnixNanos anchor, std::optional<UnixNanos> wall_anchor) {
  anchor_ = anchor;
  wall_anchor_ = wall_anchor ? *wall_anchor : wall_();
}

UnixNanos ScaledClock::Now() const {
  const DurationNs elapsed = std::max<DurationNs>(wall_() - wall_anchor_, 0);
  const auto market = static_cast<DurationNs>(static_cast<long double>(elapsed) * rate_);
  return sessions_ ? sessions_->Advance(anchor_, market) : anchor_ + market;
}

DurationNs ScaledClock::WallUntil(UnixNanos t) const {
  if (!sessions_) return Clock::WallUntil(t);
  const DurationNs market = sessions_->SessionTimeBetween(Now(), t);
  return static_cast<DurationNs>(static_cast<long double>(market) / rate_);
}

UnixNanos SystemNow() {
  const auto d = std::chrono::system_clock::now().time_since_epoch();
  return UnixNanos(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
}

UnixNanos LiveClock::Now() const { return SystemNow(); }

}  // namespace nacre
