// The emulator's virtual market clock (LIVE.md §10): v = start + speed × (wall − wall at
// start), so a replayed market runs at `speed` (1 = real time, 60 = an hour a minute). It can
// be paused (time stands still), stepped while paused (a test releases the market one piece
// at a time) and resumed (time runs on from where it stood, never jumping). The wall clock is
// injected, so tests drive it by hand. Published as /__emu/clock so a node under test can run
// the same virtual time. I/O thread only (the thread that serves the emulator).
#pragma once

#include <functional>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "core/time.h"

namespace nacre::kite_emu {

class VirtualClock {
 public:
  using Wall = std::function<UnixNanos()>;
  // `speed` must be positive (checked by the config schema; clamped to a tiny positive value
  // here so a bad call can never run time backwards).
  VirtualClock(UnixNanos start, double speed, Wall wall, bool paused = false);
  UnixNanos Now() const;
  UnixNanos start() const { return start_; }
  double speed() const { return speed_; }
  bool paused() const { return paused_; }
  void Pause();
  void Resume();
  // Moves a paused clock forward by `d` (> 0); refused when running or for d ≤ 0.
  Status Step(DurationNs d);
  // Moves a paused clock to `t` when it is later; refused when running.
  Status StepTo(UnixNanos t);
  // {"now": "YYYY-MM-DD HH:MM:SS" IST, "now_ns", "start", "start_ns", "speed", "paused"}.
  nlohmann::json ToJson() const;

 private:
  UnixNanos start_;
  double speed_;
  Wall wall_;
  // v = base_virtual_ + speed × (wall − base_wall_) while running; frozen at base_virtual_.
  UnixNanos base_virtual_;
  UnixNanos base_wall_;
  bool paused_ = false;
};

}  // namespace nacre::kite_emu
