#include "core/time.h"

#include <fmt/format.h>

#include <charconv>

namespace nacre {

// Civil-calendar conversion by era (400-year cycles), valid for the proleptic Gregorian
// calendar; see Howard Hinnant's "chrono-Compatible Low-Level Date Algorithms" for the math.
std::int64_t DaysFromCivil(const CivilDate& d) {
  const std::int64_t y = d.year - (d.month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t mp = (d.month + 9) % 12;
  const std::int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate CivilFromDays(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return CivilDate{static_cast<int>(year), static_cast<int>(month), static_cast<int>(day)};
}

bool IsValidDate(const CivilDate& d) {
  if (d.month < 1 || d.month > 12 || d.day < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (d.year % 4 == 0 && d.year % 100 != 0) || d.year % 400 == 0;
  const int max_day = d.month == 2 && leap ? 29 : kDays[d.month - 1];
  return d.day <= max_day;
}

int Weekday(const CivilDate& d) {
  const std::int64_t days = DaysFromCivil(d);  // 1970-01-01 was a Thursday (3).
  return static_cast<int>(((days % 7) + 7 + 3) % 7);
}

UnixNanos FromUtc(const CivilDateTime& t) {
  const std::int64_t days = DaysFromCivil(t.date);
  return UnixNanos(days * kNanosPerDay + t.hour * kNanosPerHour + t.minute * kNanosPerMinute +
                   t.second * kNanosPerSecond + t.nanos);
}

UnixNanos FromIst(const CivilDateTime& t) { return FromUtc(t) - kIstOffset; }

CivilDateTime ToUtc(UnixNanos t) {
  std::int64_t days = t.value / kNanosPerDay;
  std::int64_t rem = t.value % kNanosPerDay;
  if (rem < 0) {
    rem += kNanosPerDay;
    --days;
  }
  CivilDateTime out;
  out.date = CivilFromDays(days);
  out.hour = static_cast<int>(rem / kNanosPerHour);
  out.minute = static_cast<int>(rem % kNanosPerHour / kNanosPerMinute);
  out.second = static_cast<int>(rem % kNanosPerMinute / kNanosPerSecond);
  out.nanos = rem % kNanosPerSecond;
  return out;
}

CivilDateTime ToIst(UnixNanos t) { return ToUtc(t + kIstOffset); }

CivilDate IstDate(UnixNanos t) { return ToIst(t).date; }

std::string FormatIsoUtc(UnixNanos t) {
  const CivilDateTime c = ToUtc(t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", c.date.year, c.date.month,
                     c.date.day, c.hour, c.minute, c.second, c.nanos);
}

std::string FormatIsoIst(UnixNanos t) {
  const CivilDateTime c = ToIst(t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}+05:30", c.date.year, c.date.month,
                     c.date.day, c.hour, c.minute, c.second, c.nanos);
}

std::string FormatIst(UnixNanos t) {
  const CivilDateTime c = ToIst(t);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02} IST", c.date.year, c.date.month,
                     c.date.day, c.hour, c.minute, c.second);
}

std::string FormatIstExact(UnixNanos t) {
  const CivilDateTime c = ToIst(t);
  std::string frac;
  if (c.nanos != 0) {
    frac = fmt::format(".{:09}", c.nanos);
    while (frac.back() == '0') frac.pop_back();
  }
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}{} IST", c.date.year, c.date.month,
                     c.date.day, c.hour, c.minute, c.second, frac);
}

Result<UnixNanos> ParseIstBound(std::string_view s, RangeBound bound) {
  if (s.size() == 10) {
    auto d = ParseDate(s);
    if (!d) return MakeError(d.error());
    if (bound == RangeBound::kStart) return FromIst(CivilDateTime{*d, 0, 0, 0, 0});
    return FromIst(CivilDateTime{*d, 0, 0, 0, 0}) + (kNanosPerDay - 1);
  }
  return ParseDateTime(s, kIstOffset);
}

std::string FormatDate(const CivilDate& d) {
  return fmt::format("{:04}-{:02}-{:02}", d.year, d.month, d.day);
}

namespace {

bool ParseFixedDigits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

Result<CivilDate> ParseDate(std::string_view s) {
  CivilDate d;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !ParseFixedDigits(s, 0, 4, d.year) ||
      !ParseFixedDigits(s, 5, 2, d.month) || !ParseFixedDigits(s, 8, 2, d.day)) {
    return MakeError(fmt::format("invalid date '{}': expected YYYY-MM-DD", s));
  }
  if (!IsValidDate(d)) return MakeError(fmt::format("invalid date '{}': no such day", s));
  return d;
}

Result<UnixNanos> ParseDateTime(std::string_view s, DurationNs default_offset) {
  auto fail = [&](std::string_view why) {
    return MakeError(fmt::format("invalid timestamp '{}': {}", s, why));
  };
  if (s.size() < 16) return fail("expected YYYY-MM-DD HH:MM[:SS[.fff]][Z|+HH:MM]");
  auto date = ParseDate(s.substr(0, 10));
  if (!date) return fail("bad date");
  if (s[10] != 'T' && s[10] != ' ') return fail("expected 'T' or ' ' after the date");
  CivilDateTime t;
  t.date = *date;
  if (!ParseFixedDigits(s, 11, 2, t.hour) || s[13] != ':' || !ParseFixedDigits(s, 14, 2, t.minute))
    return fail("bad HH:MM");
  size_t pos = 16;
  if (pos < s.size() && s[pos] == ':') {
    if (!ParseFixedDigits(s, pos + 1, 2, t.second)) return fail("bad seconds");
    pos += 3;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      std::int64_t frac = 0;
      int digits = 0;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (digits < 9) {
          frac = frac * 10 + (s[pos] - '0');
          ++digits;
        }
        ++pos;
      }
      if (digits == 0) return fail("empty fraction");
      for (int i = digits; i < 9; ++i) frac *= 10;
      t.nanos = frac;
    }
  }
  if (t.hour > 23 || t.minute > 59 || t.second > 60) return fail("time out of range");
  DurationNs offset = default_offset;
  if (pos < s.size()) {
    const char c = s[pos];
    if (c == 'Z' && pos + 1 == s.size()) {
      offset = 0;
    } else if (c == '+' || c == '-') {
      int oh = 0;
      int om = 0;
      const std::string_view rest = s.substr(pos + 1);
      bool okay = false;
      if (rest.size() == 5 && rest[2] == ':') {
        okay = ParseFixedDigits(rest, 0, 2, oh) && ParseFixedDigits(rest, 3, 2, om);
      } else if (rest.size() == 4) {
        okay = ParseFixedDigits(rest, 0, 2, oh) && ParseFixedDigits(rest, 2, 2, om);
      }
      if (!okay || oh > 23 || om > 59) return fail("bad UTC offset");
      offset = (c == '+' ? 1 : -1) * (oh * kNanosPerHour + om * kNanosPerMinute);
    } else {
      return fail("unexpected trailing characters");
    }
  }
  return FromUtc(t) - offset;
}

}  // namespace nacre
