// NSE trading session times. F&O normal market: 09:15-15:30 IST (index options have no
// pre-open). Session times are values, not constants, so a calendar can hold special
// sessions (e.g. a Saturday session or a shortened day) with their own hours.
#pragma once

#include "core/time.h"

namespace nacre {

struct SessionHours {
  int open_minute = 9 * 60 + 15;    // minutes after 00:00 IST
  int close_minute = 15 * 60 + 30;  // exclusive end of continuous trading

  friend bool operator==(const SessionHours&, const SessionHours&) = default;
};

inline constexpr SessionHours kNseFnoHours{};

// The session's [open, close) instants on an IST date.
UnixNanos SessionOpen(const CivilDate& ist_date, const SessionHours& hours = kNseFnoHours);
UnixNanos SessionClose(const CivilDate& ist_date, const SessionHours& hours = kNseFnoHours);
// Minutes after 00:00 IST of an instant (0..1439).
int IstMinuteOfDay(UnixNanos t);

}  // namespace nacre
