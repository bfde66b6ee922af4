// Market time that runs only through trading sessions: the Kite emulator's `skip_closed`
// clock and the node's clock that follows it (LIVE.md §10) map elapsed market time to an
// instant with these same functions, so the two agree without talking again. A session is
// [open, close) IST on a trading day (a weekday that is not a listed holiday); an instant in
// a closed hour (a night, a weekend, a holiday) stands for the next open, so time reaching a
// close jumps straight to the next open, and anything scheduled in between falls due at the
// jump, in time order. Pure functions of the value; any thread.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"

namespace nacre {

struct TradingSessions {
  DurationNs open = 9 * kNanosPerHour + 15 * kNanosPerMinute;    // after 00:00 IST
  DurationNs close = 15 * kNanosPerHour + 30 * kNanosPerMinute;  // exclusive
  std::set<std::int64_t> holidays;  // IST dates (DaysFromCivil) that do not trade

  // Open before close, both within the day.
  Status Validate() const;
  bool TradesOn(std::int64_t ist_day) const;
  // `t` itself when it lies in a session, else the next session's open.
  UnixNanos NextOpen(UnixNanos t) const;
  // The instant reached from `from` after `d` of session time (d ≤ 0: NextOpen(from)). Always
  // in a session. Additive: Advance(Advance(a, x), y) == Advance(a, x + y).
  UnixNanos Advance(UnixNanos from, DurationNs d) const;
  // The session time in [from, to) (0 when to ≤ from). For t in a closed hour,
  // Advance(from, SessionTimeBetween(from, t)) is the open after t: when a clock on this
  // mapping reaches t.
  DurationNs SessionTimeBetween(UnixNanos from, UnixNanos to) const;

  // "09:15" / "15:30" and "YYYY-MM-DD" holidays, as /__emu/clock publishes them.
  std::string OpenText() const;
  std::string CloseText() const;
  std::vector<std::string> HolidayTexts() const;
  // Back from those texts; an error names the bad text.
  static Result<TradingSessions> FromTexts(const std::string& open, const std::string& close,
                                           const std::vector<std::string>& holidays);

  friend bool operator==(const TradingSessions&, const TradingSessions&) = default;
};

}  // namespace nacre
