#include "common/session_time.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

namespace nacre {
namespace {

constexpr DurationNs kDay = 24 * kNanosPerHour;

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}
// The IST day of `t` and the instant its midnight is.
std::int64_t IstDay(UnixNanos t) { return FloorDiv(t.value + kIstOffset, kDay); }
UnixNanos Midnight(std::int64_t day) { return UnixNanos(day * kDay - kIstOffset); }

std::string HhMm(DurationNs d) {
  return fmt::format("{:02d}:{:02d}", d / kNanosPerHour, d % kNanosPerHour / kNanosPerMinute);
}

Result<DurationNs> ParseHhMm(const std::string& s) {
  int h = -1, m = -1;
  char colon = 0;
  if (s.size() != 5 || std::sscanf(s.c_str(), "%2d%c%2d", &h, &colon, &m) != 3 || colon != ':' ||
      h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0)) {
    return MakeError(ErrorCode::kInvalidInput, fmt::format("\"{}\" is not HH:MM", s));
  }
  return h * kNanosPerHour + m * kNanosPerMinute;
}

}  // namespace

Status TradingSessions::Validate() const {
  if (open < 0 || close > kDay || open >= close) {
    return MakeError(ErrorCode::kInvalidInput,
                     fmt::format("trading sessions {}-{}: the open must come before the close "
                                 "within the day",
                                 HhMm(open), HhMm(close)));
  }
  return Status::Ok();
}

bool TradingSessions::TradesOn(std::int64_t ist_day) const {
  return Weekday(CivilFromDays(ist_day)) < 5 && holidays.count(ist_day) == 0;
}

UnixNanos TradingSessions::NextOpen(UnixNanos t) const {
  std::int64_t day = IstDay(t);
  const DurationNs local = t - Midnight(day);
  if (TradesOn(day) && local < close) return local >= open ? t : Midnight(day) + open;
  // Weekends and holidays: a year of closed days at most (a calendar that never trades has
  // no next open; time then stands at the year's end rather than loop for ever).
  for (int i = 0; i < 366; ++i) {
    ++day;
    if (TradesOn(day)) break;
  }
  return Midnight(day) + open;
}

UnixNanos TradingSessions::Advance(UnixNanos from, DurationNs d) const {
  UnixNanos v = NextOpen(from);
  for (d = std::max<DurationNs>(d, 0);;) {
    const UnixNanos session_close = Midnight(IstDay(v)) + close;
    const DurationNs left = session_close - v;
    if (d < left) return v + d;
    d -= left;
    v = NextOpen(session_close);
  }
}

DurationNs TradingSessions::SessionTimeBetween(UnixNanos from, UnixNanos to) const {
  DurationNs total = 0;
  for (UnixNanos v = NextOpen(from); v < to;) {
    const UnixNanos session_close = Midnight(IstDay(v)) + close;
    total += std::min(session_close, to) - v;
    v = NextOpen(session_close);
  }
  return total;
}

std::string TradingSessions::OpenText() const { return HhMm(open); }
std::string TradingSessions::CloseText() const { return HhMm(close); }

std::vector<std::string> TradingSessions::HolidayTexts() const {
  std::vector<std::string> out;
  for (const std::int64_t day : holidays) {
    out.push_back(FormatDate(CivilFromDays(day)));
  }
  return out;
}

Result<TradingSessions> TradingSessions::FromTexts(const std::string& open,
                                                   const std::string& close,
                                                   const std::vector<std::string>& holidays) {
  TradingSessions s;
  auto o = ParseHhMm(open);
  if (!o) return MakeError(o.code(), "open: " + o.error());
  auto c = ParseHhMm(close);
  if (!c) return MakeError(c.code(), "close: " + c.error());
  s.open = *o;
  s.close = *c;
  if (Status st = s.Validate(); !st) return MakeError(st.code(), st.error());
  for (const std::string& h : holidays) {
    auto d = ParseDate(h);
    if (!d) return MakeError(ErrorCode::kInvalidInput, "holiday: " + d.error());
    s.holidays.insert(DaysFromCivil(*d));
  }
  return s;
}

}  // namespace nacre
