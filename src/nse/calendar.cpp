#include "nse/calendar.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace nacre {

namespace {

constexpr std::string_view kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                            "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool ParseDigits(std::string_view s, int* out) {
  if (s.empty()) return false;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

std::string SessionText(std::span<const SessionHours> segments) {
  std::string out;
  for (const SessionHours& h : segments) {
    if (!out.empty()) out += ", ";
    out += FormatMinuteOfDay(h.open_minute) + "-" + FormatMinuteOfDay(h.close_minute);
  }
  return out;
}

}  // namespace

CivilDate AddDays(const CivilDate& d, std::int64_t days) {
  return CivilFromDays(DaysFromCivil(d) + days);
}

Result<CivilDate> ParseDdMonYyyy(std::string_view text) {
  auto fail = [&] {
    return MakeError(fmt::format("invalid date '{}' (expected DD-Mon-YYYY)", text));
  };
  if (text.size() != 11 || text[2] != '-' || text[6] != '-') return fail();
  CivilDate d;
  if (!ParseDigits(text.substr(0, 2), &d.day) || !ParseDigits(text.substr(7, 4), &d.year))
    return fail();
  std::string mon(text.substr(3, 3));
  for (char& c : mon) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  d.month = 0;
  for (int i = 0; i < 12; ++i) {
    if (kMonthNames[i] == mon) d.month = i + 1;
  }
  if (d.month == 0 || !IsValidDate(d)) return fail();
  return d;
}

std::string FormatMinuteOfDay(int minute) {
  return fmt::format("{:02}:{:02}", minute / 60, minute % 60);
}

Result<int> ParseMinuteOfDay(std::string_view text) {
  int h = 0;
  int m = 0;
  if (text.size() != 5 || text[2] != ':' || !ParseDigits(text.substr(0, 2), &h) ||
      !ParseDigits(text.substr(3, 2), &m) || m > 59 || h * 60 + m > 24 * 60) {
    return MakeError(fmt::format("invalid time '{}' (expected HH:MM, 00:00-24:00)", text));
  }
  return h * 60 + m;
}

Status NseCalendar::LoadHolidayFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(fmt::format("{}: cannot open holiday file", path));
  std::ostringstream text;
  text << in.rdbuf();
  return LoadHolidays(text.str(), path);
}

Status NseCalendar::LoadHolidays(std::string_view text, std::string_view name) {
  std::vector<std::int64_t> parsed;
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    line = Trim(line);  // also drops the '\r' of CRLF files
    if (line.empty()) continue;
    auto d = ParseDdMonYyyy(line);
    if (!d) return MakeError(fmt::format("{}:{}: {}", name, line_no, d.error()));
    parsed.push_back(DaysFromCivil(*d));
  }
  holidays_.insert(parsed.begin(), parsed.end());
  return Status::Ok();
}

void NseCalendar::AddHoliday(const CivilDate& date) { holidays_.insert(DaysFromCivil(date)); }

Status NseCalendar::AddSpecialSession(const CivilDate& date, const SessionHours& hours,
                                      std::string_view name) {
  if (!IsValidDate(date))
    return MakeError(fmt::format("special session: invalid date {}", FormatDate(date)));
  if (hours.open_minute < 0 || hours.close_minute > 24 * 60 ||
      hours.open_minute >= hours.close_minute) {
    return MakeError(
        fmt::format("special session {}: hours {}-{} must satisfy "
                    "00:00 <= open < close <= 24:00",
                    FormatDate(date), FormatMinuteOfDay(hours.open_minute),
                    FormatMinuteOfDay(hours.close_minute)));
  }
  const std::int64_t day = DaysFromCivil(date);
  name = Trim(name);
  if (auto it = special_names_.find(day);
      it != special_names_.end() && !name.empty() && it->second != name) {
    return MakeError(
        fmt::format("special session {}: named '{}' and '{}'", FormatDate(date), it->second, name));
  }
  if (auto it = special_.find(day); it != special_.end()) {
    for (const SessionHours& s : it->second) {
      if (hours.open_minute < s.close_minute && s.open_minute < hours.close_minute) {
        return MakeError(fmt::format("special session {}: {} overlaps {}", FormatDate(date),
                                     SessionText({&hours, 1}), SessionText({&s, 1})));
      }
    }
  }
  if (!name.empty()) special_names_[day] = std::string(name);
  std::vector<SessionHours>& segments = special_[day];
  segments.push_back(hours);
  std::sort(segments.begin(), segments.end(), [](const SessionHours& a, const SessionHours& b) {
    return a.open_minute < b.open_minute;
  });
  return Status::Ok();
}

bool NseCalendar::IsHoliday(const CivilDate& date) const {
  return holidays_.count(DaysFromCivil(date)) > 0;
}

bool NseCalendar::IsWeekend(const CivilDate& date) { return Weekday(date) >= 5; }

bool NseCalendar::HasSpecialSession(const CivilDate& date) const {
  return special_.count(DaysFromCivil(date)) > 0;
}

std::string NseCalendar::SpecialSessionName(const CivilDate& date) const {
  const auto it = special_names_.find(DaysFromCivil(date));
  return it == special_names_.end() ? std::string() : it->second;
}

bool NseCalendar::HasHolidayListFor(int year) const {
  const auto it = holidays_.lower_bound(DaysFromCivil({year, 1, 1}));
  return it != holidays_.end() && *it <= DaysFromCivil({year, 12, 31});
}

bool NseCalendar::IsTradingDay(const CivilDate& date) const {
  if (HasSpecialSession(date)) return true;
  return !IsWeekend(date) && !IsHoliday(date);
}

std::span<const SessionHours> NseCalendar::SegmentsOf(const CivilDate& date) const {
  if (auto it = special_.find(DaysFromCivil(date)); it != special_.end()) return it->second;
  if (IsWeekend(date) || IsHoliday(date)) return {};
  return {&normal_hours_, 1};
}

std::vector<SessionHours> NseCalendar::SessionsFor(const CivilDate& date) const {
  const std::span<const SessionHours> segments = SegmentsOf(date);
  return {segments.begin(), segments.end()};
}

std::optional<SessionHours> NseCalendar::SessionFor(const CivilDate& date) const {
  const std::span<const SessionHours> segments = SegmentsOf(date);
  if (segments.empty()) return std::nullopt;
  return SessionHours{segments.front().open_minute, segments.back().close_minute};
}

// Both loops end: holidays are finite, so some weekday ahead (or behind) is not one.
CivilDate NseCalendar::NextTradingDay(const CivilDate& date) const {
  CivilDate d = AddDays(date, 1);
  while (!IsTradingDay(d)) d = AddDays(d, 1);
  return d;
}

CivilDate NseCalendar::PreviousTradingDay(const CivilDate& date) const {
  CivilDate d = AddDays(date, -1);
  while (!IsTradingDay(d)) d = AddDays(d, -1);
  return d;
}

CivilDate NseCalendar::OnOrBeforeTradingDay(const CivilDate& date) const {
  return IsTradingDay(date) ? date : PreviousTradingDay(date);
}

std::vector<CivilDate> NseCalendar::TradingDaysBetween(const CivilDate& from,
                                                       const CivilDate& to) const {
  std::vector<CivilDate> out;
  for (std::int64_t day = DaysFromCivil(from); day <= DaysFromCivil(to); ++day) {
    const CivilDate d = CivilFromDays(day);
    if (IsTradingDay(d)) out.push_back(d);
  }
  return out;
}

int NseCalendar::CountTradingDays(const CivilDate& from, const CivilDate& to) const {
  int n = 0;
  for (std::int64_t day = DaysFromCivil(from); day <= DaysFromCivil(to); ++day) {
    if (IsTradingDay(CivilFromDays(day))) ++n;
  }
  return n;
}

bool NseCalendar::IsOpen(UnixNanos t) const { return ClosedReason(t).empty(); }

std::string NseCalendar::ClosedReason(const Instrument& /*instrument*/, UnixNanos t) const {
  return ClosedReason(t);
}

std::string NseCalendar::ClosedReason(UnixNanos t) const {
  const CivilDate date = IstDate(t);
  const std::span<const SessionHours> segments = SegmentsOf(date);
  if (segments.empty()) {
    if (IsWeekend(date)) return fmt::format("{} is a weekend", FormatDate(date));
    return fmt::format("{} is an NSE holiday", FormatDate(date));
  }
  for (const SessionHours& h : segments) {
    if (t >= SessionOpen(date, h) && t < SessionClose(date, h)) return {};
  }
  const CivilDateTime ist = ToIst(t);
  const std::int64_t day = DaysFromCivil(date);
  if (special_.count(day)) {
    const auto name = special_names_.find(day);
    return fmt::format("{:02}:{:02} IST is outside the {} session {} IST on {}", ist.hour,
                       ist.minute, name == special_names_.end() ? "special" : name->second,
                       SessionText(segments), FormatDate(date));
  }
  return fmt::format("{:02}:{:02} IST is outside the {} IST session", ist.hour, ist.minute,
                     SessionText(segments));
}

std::optional<UnixNanos> NseCalendar::DayClose(const Instrument& /*instrument*/,
                                               UnixNanos t) const {
  return DayClose(t);
}

std::optional<UnixNanos> NseCalendar::DayClose(UnixNanos t) const {
  const CivilDate date = IstDate(t);
  const std::span<const SessionHours> segments = SegmentsOf(date);
  if (segments.empty()) return std::nullopt;
  return SessionClose(date, segments.back());
}

Status AddNse2024SaturdaySessions(NseCalendar& calendar) {
  const SessionHours full{9 * 60 + 15, 15 * 60 + 30};
  const SessionHours primary{9 * 60 + 15, 10 * 60};
  const SessionHours disaster_recovery{11 * 60 + 30, 12 * 60 + 30};
  for (const auto& [date, hours] : {std::pair{CivilDate{2024, 1, 20}, full},
                                    {CivilDate{2024, 3, 2}, primary},
                                    {CivilDate{2024, 3, 2}, disaster_recovery},
                                    {CivilDate{2024, 5, 18}, primary},
                                    {CivilDate{2024, 5, 18}, disaster_recovery}}) {
    if (Status s = calendar.AddSpecialSession(date, hours); !s) return s;
  }
  return Status::Ok();
}

}  // namespace nacre
