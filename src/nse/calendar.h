// NseCalendar: which IST dates the NSE F&O segment trades on, and during which hours.
// A trading day is a weekday that is not a holiday, or any date given a special session
// (a Saturday session such as 20-Jan-2024, a Muhurat session on a holiday); a special session
// replaces the normal 09:15-15:30 hours on its date and may have several segments (the DR-drill
// sessions of 2-Mar-2024 and 18-May-2024 had a break). Holidays come from the NSE F&O holiday
// files (one DD-Mon-YYYY per line) or are added in code; a date outside every loaded holiday
// list is simply a weekday, so load the years you simulate (HasHolidayListFor tells).
// Invariants: special-session segments on a date are sorted, non-empty and do not overlap.
// Thread contract: build on one thread; afterwards every const method is safe to call from
// any thread (nothing mutates).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/market_hours.h"
#include "core/result.h"
#include "core/time.h"
#include "nse/session.h"

namespace nacre {

// The date `days` days after `d` (negative for before).
CivilDate AddDays(const CivilDate& d, std::int64_t days);
// Parses the holiday-file format "25-Mar-2024" (month name case-insensitive).
Result<CivilDate> ParseDdMonYyyy(std::string_view text);

class NseCalendar : public MarketHours {
 public:
  // An empty calendar: every weekday trades 09:15-15:30 IST.
  NseCalendar() = default;
  explicit NseCalendar(SessionHours normal_hours) : normal_hours_(normal_hours) {}

  // Adds the holidays of a file: one DD-Mon-YYYY per line; CRLF line ends, surrounding spaces
  // and blank lines are tolerated. A bad line fails with
  // "{file}:{line}: invalid date '{text}' (expected DD-Mon-YYYY)"; a missing file names it.
  // On failure nothing is added.
  Status LoadHolidayFile(const std::string& path);
  // The same for text already in memory; `name` stands for the file in messages.
  Status LoadHolidays(std::string_view text, std::string_view name);
  void AddHoliday(const CivilDate& date);
  // Adds a session segment on `date`, trading even if the date is a weekend or holiday (or
  // replacing the normal hours of a weekday, e.g. an early close). Call again for a second
  // segment. `name` (e.g. "Muhurat trading") names the day's session in closed reasons; the
  // segments of one date share it. Fails on an invalid date, hours outside 00:00-24:00 or
  // open >= close, a segment overlapping one already on that date, or a second, different name.
  Status AddSpecialSession(const CivilDate& date, const SessionHours& hours,
                           std::string_view name = {});

  bool IsHoliday(const CivilDate& date) const;
  static bool IsWeekend(const CivilDate& date);
  bool HasSpecialSession(const CivilDate& date) const;
  // The name given to the special session on `date` (empty when none or unnamed).
  std::string SpecialSessionName(const CivilDate& date) const;
  // True when some holiday of `year` is loaded (a hint that the year's list is present).
  bool HasHolidayListFor(int year) const;
  const SessionHours& normal_hours() const { return normal_hours_; }

  bool IsTradingDay(const CivilDate& date) const;
  // The session on a trading day (for a multi-segment special session, first open to last
  // close); nullopt when the date does not trade.
  std::optional<SessionHours> SessionFor(const CivilDate& date) const;
  // The segments of the session on `date` (one for a normal day, empty when closed).
  std::vector<SessionHours> SessionsFor(const CivilDate& date) const;
  // The first trading day strictly after / before `date`.
  CivilDate NextTradingDay(const CivilDate& date) const;
  CivilDate PreviousTradingDay(const CivilDate& date) const;
  // `date` itself when it trades, else the previous trading day.
  CivilDate OnOrBeforeTradingDay(const CivilDate& date) const;
  // Trading days d with from <= d <= to, ascending (empty when to < from).
  std::vector<CivilDate> TradingDaysBetween(const CivilDate& from, const CivilDate& to) const;
  // The number of trading days d with from <= d <= to.
  int CountTradingDays(const CivilDate& from, const CivilDate& to) const;

  // True when `t` falls inside a session segment [open, close) of its IST date.
  bool IsOpen(UnixNanos t) const;
  // MarketHours: empty when open; otherwise "2024-03-25 is an NSE holiday",
  // "2024-03-23 is a weekend", "09:10 IST is outside the 09:15-15:30 IST session" or, on a
  // special day, "17:00 IST is outside the Muhurat trading session 18:00-19:00 IST on
  // 2024-11-01" ("the special session ..." when unnamed). The same calendar serves every
  // NSE/NFO instrument, so the instrument is not consulted.
  std::string ClosedReason(const Instrument& instrument, UnixNanos t) const override;
  std::string ClosedReason(UnixNanos t) const;
  // MarketHours: the close of the last segment of the session on t's IST date.
  std::optional<UnixNanos> DayClose(const Instrument& instrument, UnixNanos t) const override;
  std::optional<UnixNanos> DayClose(UnixNanos t) const;

 private:
  // The segments of `date` without copying (IsOpen and ClosedReason run per order submission
  // and must not allocate when open).
  std::span<const SessionHours> SegmentsOf(const CivilDate& date) const;

  SessionHours normal_hours_ = kNseFnoHours;
  std::set<std::int64_t> holidays_;  // days since epoch
  std::map<std::int64_t, std::vector<SessionHours>> special_;
  std::map<std::int64_t, std::string> special_names_;  // days since epoch -> session name
};

// "09:15" for minutes after midnight.
std::string FormatMinuteOfDay(int minute);
// Parses "HH:MM" (00:00-24:00) into minutes after midnight.
Result<int> ParseMinuteOfDay(std::string_view text);

// The special sessions NSE held on Saturdays in 2024, for callers that want them without a
// config file. Unverified times (from NSE circulars as remembered): 20-Jan-2024 a full
// 09:15-15:30 session (22-Jan-2024 was declared a holiday instead); 2-Mar-2024 and
// 18-May-2024 DR-site drills with segments 09:15-10:00 and 11:30-12:30.
Status AddNse2024SaturdaySessions(NseCalendar& calendar);

}  // namespace nacre
