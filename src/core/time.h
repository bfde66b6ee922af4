// UnixNanos: nanoseconds since the Unix epoch (UTC), the only timestamp type in the kernel.
// Also civil-date helpers and IST (UTC+05:30, no daylight saving) conversion. Pure functions,
// thread-safe. Nothing here reads the system clock: time comes from the injected Clock.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace nacre {

using DurationNs = std::int64_t;

inline constexpr DurationNs kNanosPerMicro = 1'000;
inline constexpr DurationNs kNanosPerMilli = 1'000'000;
inline constexpr DurationNs kNanosPerSecond = 1'000'000'000;
inline constexpr DurationNs kNanosPerMinute = 60 * kNanosPerSecond;
inline constexpr DurationNs kNanosPerHour = 60 * kNanosPerMinute;
inline constexpr DurationNs kNanosPerDay = 24 * kNanosPerHour;
// India Standard Time is a fixed UTC+05:30.
inline constexpr DurationNs kIstOffset = 5 * kNanosPerHour + 30 * kNanosPerMinute;

struct UnixNanos {
  std::int64_t value = 0;

  constexpr UnixNanos() = default;
  constexpr explicit UnixNanos(std::int64_t ns) : value(ns) {}

  constexpr bool is_zero() const { return value == 0; }
  constexpr auto operator<=>(const UnixNanos&) const = default;
  constexpr UnixNanos operator+(DurationNs d) const { return UnixNanos(value + d); }
  constexpr UnixNanos operator-(DurationNs d) const { return UnixNanos(value - d); }
  constexpr DurationNs operator-(UnixNanos o) const { return value - o.value; }
  constexpr UnixNanos& operator+=(DurationNs d) {
    value += d;
    return *this;
  }
};

struct CivilDate {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  constexpr auto operator<=>(const CivilDate&) const = default;
};

struct CivilDateTime {
  CivilDate date;
  int hour = 0;
  int minute = 0;
  int second = 0;
  std::int64_t nanos = 0;
};

// Days since 1970-01-01 for a proleptic Gregorian date, and back.
std::int64_t DaysFromCivil(const CivilDate& d);
CivilDate CivilFromDays(std::int64_t days);
bool IsValidDate(const CivilDate& d);
// 0 = Monday ... 6 = Sunday.
int Weekday(const CivilDate& d);

UnixNanos FromUtc(const CivilDateTime& t);
UnixNanos FromIst(const CivilDateTime& t);
CivilDateTime ToUtc(UnixNanos t);
CivilDateTime ToIst(UnixNanos t);
inline UnixNanos FromIst(int y, int mo, int d, int h, int mi, int s = 0) {
  return FromIst(CivilDateTime{{y, mo, d}, h, mi, s, 0});
}
inline UnixNanos FromUtc(int y, int mo, int d, int h, int mi, int s = 0) {
  return FromUtc(CivilDateTime{{y, mo, d}, h, mi, s, 0});
}
// The IST calendar date of an instant (trading days are IST days).
CivilDate IstDate(UnixNanos t);
// The number of the IST day of an instant (days since 1970-01-01 IST, floored): two instants
// share an IST date exactly when they share this number, without building either date.
inline std::int64_t IstDayNumber(UnixNanos t) {
  const std::int64_t local = t.value + kIstOffset;
  return local / kNanosPerDay - (local % kNanosPerDay < 0 ? 1 : 0);
}

// "2024-01-01T03:45:00.000000000Z"
std::string FormatIsoUtc(UnixNanos t);
// "2024-01-01T09:15:00.000000000+05:30": ISO 8601 in IST with its offset
std::string FormatIsoIst(UnixNanos t);
// "2024-01-01 09:15:00 IST" (seconds resolution)
std::string FormatIst(UnixNanos t);
// "2024-01-01 09:15:00 IST", with the fraction when there is one: "2024-01-01 09:15:00.25 IST"
std::string FormatIstExact(UnixNanos t);
// "2024-01-01"
std::string FormatDate(const CivilDate& d);
// Parses "YYYY-MM-DD".
Result<CivilDate> ParseDate(std::string_view s);
// Parses "YYYY-MM-DD[T| ]HH:MM[:SS[.fffffffff]]" with optional "Z" or "+05:30"/"+0530" offset.
// A string without an offset is read in the zone whose offset from UTC is default_offset.
Result<UnixNanos> ParseDateTime(std::string_view s, DurationNs default_offset);

enum class RangeBound : std::uint8_t { kStart, kEnd };
// A command-line range bound: a date alone ("2025-01-02") is the IST day, so a start is its
// first instant (00:00 IST) and an (inclusive) end its last (23:59:59.999999999 IST); anything
// else is ParseDateTime with naive times in IST.
Result<UnixNanos> ParseIstBound(std::string_view s, RangeBound bound);

}  // namespace nacre
