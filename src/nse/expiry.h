// ExpiryRules: the expiry dates of an underlying's index options, as a schedule by date.
// Each rule row says, from the week containing its `effective` date onwards, on which weekday
// weekly contracts expire (or that none are listed) and on which weekday the monthly contract
// expires (the last such weekday of the month). A week that holds the monthly expiry has no
// separate weekly: the monthly is that week's expiry. When the nominal day is not a trading
// day the expiry moves to the previous trading day of the calendar. Contracts listed before a
// weekday change that expire after it are re-dated, as NSE did in Sep-2025, so every date is
// computed with the rule of its own week.
// Invariants: at least one row; rows strictly ascending by effective date; weekdays 0..6
// (0 = Monday). Rows extend backwards: weeks before the first row use the first row.
// Immutable once made; const methods are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "nse/calendar.h"

namespace nacre {

enum class ExpiryKind : std::uint8_t { kWeekly, kMonthly };

inline constexpr int kMonday = 0;
inline constexpr int kTuesday = 1;
inline constexpr int kWednesday = 2;
inline constexpr int kThursday = 3;
inline constexpr int kFriday = 4;

struct ExpiryRule {
  CivilDate effective;                // applies from the week (Mon-Sun) containing this date
  std::optional<int> weekly_weekday;  // nullopt: no weekly contracts
  int monthly_weekday = kThursday;
};

// An expiry date and whether it is the month's (monthly) contract.
struct Expiry {
  CivilDate date;
  ExpiryKind kind = ExpiryKind::kWeekly;
  friend bool operator==(const Expiry&, const Expiry&) = default;
};

class ExpiryRules {
 public:
  static Result<ExpiryRules> Make(std::string underlying, std::vector<ExpiryRule> rules);
  // NIFTY: monthly only (last Thursday) before weekly options; weekly and monthly on Thursday
  // from the week of 11-Feb-2019 (NIFTY weekly options began trading on 11-Feb-2019, the
  // first weekly expiring on Thursday 14-Feb-2019) up to the 28-Aug-2025 expiry; Tuesday from
  // 2-Sep-2025 (the week of 1-Sep-2025).
  static ExpiryRules Nifty();

  const std::string& underlying() const { return underlying_; }
  const std::vector<ExpiryRule>& rules() const { return rules_; }
  // The rule in force for the week containing `date`.
  const ExpiryRule& RuleFor(const CivilDate& date) const;
  // When weekly contracts of the run of weekly rules holding `date`'s week began: the Monday
  // of the first such rule's week (NIFTY: 11-Feb-2019). nullopt when that week has no weeklies
  // or they run back to the first rule (no known start). No weekly is listed before it.
  std::optional<CivilDate> WeekliesSince(const CivilDate& date) const;

  // The last monthly weekday of the month, before any holiday shift.
  CivilDate NominalMonthlyExpiry(int year, int month) const;
  CivilDate MonthlyExpiry(int year, int month, const NseCalendar& calendar) const;
  // The expiry belonging to the week (Mon-Sun) containing `date`, after the holiday shift
  // (so it may fall in the previous week); nullopt when that week has none.
  std::optional<Expiry> ExpiryOfWeek(const CivilDate& date, const NseCalendar& calendar) const;
  // Every expiry date (weeklies and monthlies) d with from <= d <= to, ascending.
  std::vector<Expiry> WeeklyExpiries(const CivilDate& from, const CivilDate& to,
                                     const NseCalendar& calendar) const;
  // Only the monthly expiries with from <= d <= to, ascending.
  std::vector<CivilDate> MonthlyExpiries(const CivilDate& from, const CivilDate& to,
                                         const NseCalendar& calendar) const;
  bool IsMonthlyExpiry(const CivilDate& date, const NseCalendar& calendar) const;
  // True when some contract (weekly or monthly) expires on `date`.
  bool IsExpiry(const CivilDate& date, const NseCalendar& calendar) const;
  // The first expiry on or after `date` (an expiry day still trades until 15:30), of the
  // given kind or of either kind; nullopt if none within two years.
  std::optional<Expiry> NextExpiry(const CivilDate& date, const NseCalendar& calendar,
                                   std::optional<ExpiryKind> kind = std::nullopt) const;

 private:
  ExpiryRules(std::string underlying, std::vector<ExpiryRule> rules)
      : underlying_(std::move(underlying)), rules_(std::move(rules)) {}

  std::string underlying_;
  std::vector<ExpiryRule> rules_;
};

// The Monday of the week containing `date`.
CivilDate MondayOf(const CivilDate& date);

}  // namespace nacre
