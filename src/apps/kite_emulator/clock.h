// The emulator's virtual market clock (LIVE.md §10): v = start + speed × (wall − wall at
// start), so a replayed market runs at `speed` (1 = real time, 60 = an hour a minute). It can
// be paused (time stands still), stepped while paused (a test releases the market one piece
// at a time) and resumed (time runs on from where it stood, never jumping). The wall clock is
// injected, so tests drive it by hand. With `sessions` (the config's skip_closed) virtual time
// runs only through trading sessions, jumping from a close to the next open:
// v = sessions.Advance(base, speed × elapsed wall) (common/session_time.h), so a week of
// market data takes its 31¼ session hours, not 120. Published as /__emu/clock (with the
// sessions) so a node under test runs the same virtual time by the same function. Pause and
// step move the stored instant itself (a step may land in a closed hour; the clock stands
// there while paused and, once resumed, goes on from the next open). I/O thread only (the
// thread that serves the emulator).
#pragma once

#include <functional>
#include <optional>

#include <nlohmann/json.hpp>

#include "common/session_time.h"
#include "core/result.h"
#include "core/time.h"

namespace nacre::kite_emu {

class VirtualClock {
 public:
  using Wall = std::function<UnixNanos()>;
  // `speed` must be positive (checked by the config schema; clamped to a tiny positive value
  // here so a bad call can never run time backwards).
  VirtualClock(UnixNanos start, double speed, Wall wall, bool paused = false,
               std::optional<TradingSessions> sessions = std::nullopt);
  UnixNanos Now() const;
  UnixNanos start() const { return start_; }
  double speed() const { return speed_; }
  bool paused() const { return paused_; }
  const std::optional<TradingSessions>& sessions() const { return sessions_; }
  void Pause();
  void Resume();
  // Moves a paused clock forward by `d` (> 0); refused when running or for d ≤ 0.
  Status Step(DurationNs d);
  // Moves a paused clock to `t` when it is later; refused when running.
  Status StepTo(UnixNanos t);
  // {"now": "YYYY-MM-DD HH:MM:SS" IST, "now_ns", "start", "start_ns", "speed", "paused",
  //  "skip_closed"}, and with skip_closed "sessions": {"open": "09:15", "close": "15:30",
  //  "holidays": ["YYYY-MM-DD", ...]}.
  nlohmann::json ToJson() const;

 private:
  UnixNanos start_;
  double speed_;
  Wall wall_;
  // v = base_virtual_ + speed × (wall − base_wall_) while running; frozen at base_virtual_.
  UnixNanos base_virtual_;
  UnixNanos base_wall_;
  bool paused_ = false;
  std::optional<TradingSessions> sessions_;
};

}  // namespace nacre::kite_emu
