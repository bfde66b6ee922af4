#include "nse/expiry.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace nacre {

namespace {

CivilDate LastDayOfMonth(int year, int month) {
  const CivilDate next = month == 12 ? CivilDate{year + 1, 1, 1} : CivilDate{year, month + 1, 1};
  return AddDays(next, -1);
}

}  // namespace

CivilDate MondayOf(const CivilDate& date) { return AddDays(date, -Weekday(date)); }

Result<ExpiryRules> ExpiryRules::Make(std::string underlying, std::vector<ExpiryRule> rules) {
  if (underlying.empty()) return MakeError("expiry rules: empty underlying");
  if (rules.empty()) return MakeError(fmt::format("expiry rules {}: no rules", underlying));
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const ExpiryRule& r = rules[i];
    const std::string where =
        fmt::format("expiry rules {}: rule {} ({})", underlying, i, FormatDate(r.effective));
    if (!IsValidDate(r.effective)) return MakeError(where + ": invalid date");
    if (r.monthly_weekday < 0 || r.monthly_weekday > 6)
      return MakeError(where + ": monthly weekday outside 0 (Monday)..6");
    if (r.weekly_weekday && (*r.weekly_weekday < 0 || *r.weekly_weekday > 6))
      return MakeError(where + ": weekly weekday outside 0 (Monday)..6");
    if (i > 0 && !(MondayOf(rules[i - 1].effective) < MondayOf(r.effective)))
      return MakeError(where + ": must start in a later week than the rule before");
  }
  return ExpiryRules(std::move(underlying), std::move(rules));
}

ExpiryRules ExpiryRules::Nifty() {
  return *Make("NIFTY", {
                            {{2000, 1, 1}, std::nullopt, kThursday},
                            {{2019, 2, 11}, kThursday, kThursday},
                            {{2025, 9, 1}, kTuesday, kTuesday},
                        });
}

const ExpiryRule& ExpiryRules::RuleFor(const CivilDate& date) const {
  const CivilDate monday = MondayOf(date);
  const ExpiryRule* rule = &rules_.front();
  for (const ExpiryRule& r : rules_) {
    if (MondayOf(r.effective) <= monday) rule = &r;
  }
  return *rule;
}

std::optional<CivilDate> ExpiryRules::WeekliesSince(const CivilDate& date) const {
  const CivilDate monday = MondayOf(date);
  std::size_t i = rules_.size();
  while (i > 0 && monday < MondayOf(rules_[i - 1].effective)) --i;
  // rules_[i - 1] is in force (or, before every rule, the first rule extends backwards).
  std::size_t in_force = i == 0 ? 0 : i - 1;
  if (!rules_[in_force].weekly_weekday) return std::nullopt;
  while (in_force > 0 && rules_[in_force - 1].weekly_weekday) --in_force;
  if (in_force == 0) return std::nullopt;  // weeklies as far back as the rules go
  return MondayOf(rules_[in_force].effective);
}

CivilDate ExpiryRules::NominalMonthlyExpiry(int year, int month) const {
  // Within the last 7 days of the month each weekday occurs once; the rule is looked up per
  // day because a weekday change can fall in the month's last week.
  CivilDate d = LastDayOfMonth(year, month);
  for (int i = 0; i < 7; ++i, d = AddDays(d, -1)) {
    if (Weekday(d) == RuleFor(d).monthly_weekday) return d;
  }
  // Only reachable when a change moves the weekday past the days already scanned.
  for (;; d = AddDays(d, -1)) {
    if (Weekday(d) == RuleFor(d).monthly_weekday) return d;
  }
}

CivilDate ExpiryRules::MonthlyExpiry(int year, int month, const NseCalendar& calendar) const {
  return calendar.OnOrBeforeTradingDay(NominalMonthlyExpiry(year, month));
}

std::optional<Expiry> ExpiryRules::ExpiryOfWeek(const CivilDate& date,
                                                const NseCalendar& calendar) const {
  const CivilDate monday = MondayOf(date);
  const CivilDate sunday = AddDays(monday, 6);
  // The week can touch two months; a monthly expiry inside it replaces the weekly.
  for (const CivilDate& in_month : {monday, sunday}) {
    const CivilDate monthly = NominalMonthlyExpiry(in_month.year, in_month.month);
    if (monday <= monthly && monthly <= sunday)
      return Expiry{calendar.OnOrBeforeTradingDay(monthly), ExpiryKind::kMonthly};
  }
  const ExpiryRule& rule = RuleFor(monday);
  if (!rule.weekly_weekday) return std::nullopt;
  return Expiry{calendar.OnOrBeforeTradingDay(AddDays(monday, *rule.weekly_weekday)),
                ExpiryKind::kWeekly};
}

std::vector<Expiry> ExpiryRules::WeeklyExpiries(const CivilDate& from, const CivilDate& to,
                                                const NseCalendar& calendar) const {
  std::vector<Expiry> out;
  // A holiday shift moves an expiry back by days, possibly into the week before: look one week
  // past `to` too.
  for (CivilDate week = MondayOf(from); week <= AddDays(to, 7); week = AddDays(week, 7)) {
    auto e = ExpiryOfWeek(week, calendar);
    if (e && from <= e->date && e->date <= to) out.push_back(*e);
  }
  std::sort(out.begin(), out.end(),
            [](const Expiry& a, const Expiry& b) { return a.date < b.date; });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<CivilDate> ExpiryRules::MonthlyExpiries(const CivilDate& from, const CivilDate& to,
                                                    const NseCalendar& calendar) const {
  std::vector<CivilDate> out;
  int year = from.year;
  int month = from.month;
  while (CivilDate{year, month, 1} <= to) {
    const CivilDate e = MonthlyExpiry(year, month, calendar);
    if (from <= e && e <= to) out.push_back(e);
    if (++month > 12) {
      month = 1;
      ++year;
    }
  }
  return out;
}

bool ExpiryRules::IsMonthlyExpiry(const CivilDate& date, const NseCalendar& calendar) const {
  return MonthlyExpiry(date.year, date.month, calendar) == date;
}

bool ExpiryRules::IsExpiry(const CivilDate& date, const NseCalendar& calendar) const {
  // The expiry on `date` belongs to its own week or, after a holiday shift, the next one.
  for (const CivilDate& week : {date, AddDays(date, 7)}) {
    auto e = ExpiryOfWeek(week, calendar);
    if (e && e->date == date) return true;
  }
  return false;
}

std::optional<Expiry> ExpiryRules::NextExpiry(const CivilDate& date, const NseCalendar& calendar,
                                              std::optional<ExpiryKind> kind) const {
  constexpr std::int64_t kLookAheadDays = 2 * 366;
  const CivilDate last = AddDays(date, kLookAheadDays);
  for (CivilDate week = MondayOf(date); week <= last; week = AddDays(week, 7)) {
    auto e = ExpiryOfWeek(week, calendar);
    if (e && date <= e->date && (!kind || e->kind == *kind)) return e;
  }
  return std::nullopt;
}

}  // namespace nacre
