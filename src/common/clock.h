// Clock: the kernel's only source of time, with named timers and one-shot time alerts.
// TestClock is driven by the backtest (AdvanceTime fires every due timer in (time, creation)
// order, moving the clock to each event's time first). LiveClock reads the system clock and
// fires due timers when the live loop calls FireDue. Not thread-safe: kernel thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <optional>

#include "common/session_time.h"
#include "core/result.h"
#include "core/time.h"

namespace nacre {

struct TimeEvent {
  std::string name;
  UnixNanos ts_event;  // the scheduled time
  UnixNanos ts_init;
};

using TimeEventHandler = std::function<void(const TimeEvent&)>;

class Clock {
 public:
  Clock() = default;
  // Its firing order points into its own timers: not copyable or movable.
  Clock(const Clock&) = delete;
  Clock& operator=(const Clock&) = delete;
  virtual ~Clock() = default;
  virtual UnixNanos Now() const = 0;

  // One-shot alert at `at`. Names are unique across timers and alerts.
  Status SetTimeAlert(const std::string& name, UnixNanos at, TimeEventHandler handler);
  // Repeating timer: first fire at start + interval (or at start when fire_immediately),
  // then every interval; stops after `stop` when stop is non-zero.
  Status SetTimer(const std::string& name, DurationNs interval, UnixNanos start, UnixNanos stop,
                  TimeEventHandler handler, bool fire_immediately = false);
  void CancelTimer(const std::string& name);
  void CancelTimers();
  bool HasTimer(const std::string& name) const { return timers_.count(name) != 0; }
  std::vector<std::string> TimerNames() const;
  std::size_t TimerCount() const { return timers_.size(); }
  // Next scheduled time of any timer (UnixNanos max when none).
  UnixNanos NextDue() const { return next_due_; }
  // Fires the one earliest timer due at or before `until` (a simulated clock first moves to
  // its time); returns false when none is due. The EventLoop calls it once per handler, so
  // each timer's handler is a handler of its own.
  bool FireNext(UnixNanos until) { return FireDueUntil(until, true, 1) == 1; }
  // A simulated clock moves forward to `t` (never backwards) without firing timers; a live
  // clock ignores it.
  virtual void AdvanceSimTime(UnixNanos /*t*/) {}
  // Clock nanoseconds per wall nanosecond (1 for real time; a scaled clock's speed): the live
  // loop divides a wait for the next timer by it.
  virtual double rate() const { return 1.0; }
  // The wall time until the clock reaches `t` (0 when it has): the live loop waits this long
  // for its next timer. A clock that skips closed hours reaches a time in them at the jump.
  virtual DurationNs WallUntil(UnixNanos t) const;

 protected:
  // Fires every timer due at or before `until` in (time, sequence) order. When `move_time`,
  // the clock is set to each event's time before its handler runs. Returns events fired.
  std::size_t FireDueUntil(UnixNanos until, bool move_time,
                           std::size_t max_events = static_cast<std::size_t>(-1));
  virtual void SetTimeForEvent(UnixNanos /*t*/) {}

 private:
  // What a fire hands its handler: shared, so the handler survives its own cancellation and a
  // fire copies a pointer, not the handler and the name (no allocation per fire). `event` is
  // reused by each fire unless a fire of the same timer is still running (`firing`).
  struct Fire {
    TimeEventHandler handler;
    TimeEvent event;
    bool firing = false;
  };
  struct Timer {
    DurationNs interval = 0;  // 0 = one-shot alert
    UnixNanos next_time;
    UnixNanos stop_time;
    std::uint64_t seq = 0;
    std::shared_ptr<Fire> fire;  // its event carries the timer's name
  };
  // The firing order: (next time, sequence), unique per timer. A timer's time and sequence
  // change only while it is out of due_ (FireDueUntil takes it out first).
  struct EarlierDue {
    bool operator()(const Timer* a, const Timer* b) const {
      return a->next_time < b->next_time || (a->next_time == b->next_time && a->seq < b->seq);
    }
  };
  void Add(const std::string& name, Timer timer);
  void RecomputeNextDue();

  std::map<std::string, Timer> timers_;  // by name (nodes never move: due_ points at them)
  std::set<Timer*, EarlierDue> due_;     // every timer, earliest first
  std::uint64_t next_seq_ = 0;
  UnixNanos next_due_{INT64_MAX};
};

class TestClock final : public Clock {
 public:
  explicit TestClock(UnixNanos start = UnixNanos(0)) : now_(start) {}
  UnixNanos Now() const override { return now_; }
  // Sets the time without firing timers (used at engine start/reset).
  void SetTime(UnixNanos t) { now_ = t; }
  void AdvanceSimTime(UnixNanos t) override {
    if (t > now_) now_ = t;
  }
  // Fires due timers in order then sets the time to `to` (never moves backwards).
  std::size_t AdvanceTime(UnixNanos to);

 private:
  // An overdue event (a timer started in the past) fires at the current time: the clock
  // never moves backwards, even inside a handler.
  void SetTimeForEvent(UnixNanos t) override {
    if (t > now_) now_ = t;
  }
  UnixNanos now_;
};

// ScaledClock: a live clock running `rate` times real time from `anchor` (now = anchor + rate
// × (wall − wall at construction)), for demos and tests on replayed or emulated data (the
// emulator publishes the same anchor and rate at /__emu/clock). With `sessions` (the
// emulator's skip_closed clock) the elapsed market time runs only through trading sessions:
// now = sessions.Advance(anchor, rate × elapsed wall), the emulator's own function. Now() is
// const and reads only immutable anchors and the wall clock, so an I/O thread may stamp
// messages with it; timers stay on the kernel thread.
class ScaledClock final : public Clock {
 public:
  using Wall = std::function<UnixNanos()>;
  // `rate` must be positive (a non-positive or non-finite rate is taken as 1). `wall`: the
  // elapsed-time source, the steady clock unless a test gives its own.
  ScaledClock(UnixNanos anchor, double rate, Wall wall = {},
              std::optional<TradingSessions> sessions = std::nullopt);
  UnixNanos Now() const override;
  double rate() const override { return rate_; }
  DurationNs WallUntil(UnixNanos t) const override;
  UnixNanos anchor() const { return anchor_; }
  const std::optional<TradingSessions>& sessions() const { return sessions_; }
  // Restarts the clock at `anchor` from the wall's present, or from `wall_anchor` (the wall
  // time at which `anchor` held, e.g. when the emulator's clock was read: the clock then
  // continues that one instead of starting late by the node's start-up). Not thread-safe:
  // call before any other thread reads the clock.
  void Reanchor(UnixNanos anchor, std::optional<UnixNanos> wall_anchor = std::nullopt);

 private:
  UnixNanos anchor_;
  double rate_;
  Wall wall_;
  UnixNanos wall_anchor_;
  std::optional<TradingSessions> sessions_;
};

// The steady clock's time (a scaled clock's default wall: a system clock step never moves it).
UnixNanos SteadyNow();

// The system clock's time: for I/O threads' network chores (rate limits, token files), never
// for the kernel, whose time comes from its injected Clock.
UnixNanos SystemNow();

class LiveClock final : public Clock {
 public:
  UnixNanos Now() const override;
  // Fires timers due by the current system time; called by the live event loop.
  std::size_t FireDue() { return FireDueUntil(Now(), false); }
};

}  // namespace nacre
