// Zerodha's charge schedule for NSE index options, and the contract-note accumulator that turns
// fills into itemised charges (ChargeBreakdown) that match the broker's contract note to the
// paisa.
//
// Rates. Every rate is a Schedule: a list of (effective_from, value) steps keyed by the IST
// trade date, never a constant, so a backtest over 2016..2026 pays the rates of each day. A
// step is in force from its date until the next step's date; the first step also covers every
// earlier date. Rates are exact decimal fractions (ChargeRate, fixed point at scale 10^9), never
// doubles. ChargeSchedule::ZerodhaIndexOptions() is the built-in schedule (see charges.cpp for
// each step and its source); FromConfig/LoadFile override it from TOML:
//
//   [[stt_sell]]                  # keys: brokerage (amount), stt_sell, stt_exercise,
//   from = "2026-04-01"           #       exchange, ipft, sebi, stamp, gst (rate)
//   rate = "0.0015"               # exact decimal string, or "0.15%"; optional to = last day
//
// A file's steps for a key replace the built-in steps from the file's first `from` onward; the
// built-in history before that date is kept (start the list at an early date to replace all).
//
// Rounding policy (what reproduces a Zerodha contract note to the paisa). A contract note covers
// one account's trades of one IST trade date; the broker computes each charge once on the day's
// exact totals and rounds it once (half away from zero, to paise). GST is 18% of the exact
// (unrounded) sum brokerage + exchange charge + IPFT + SEBI fee, also rounded once. ContractNote
// keeps the day's exact bases (buy premium, sell premium, exercised intrinsic value, executed
// orders) and, for every fill, allocates to each component
//     round(component(cumulative after the fill)) - round(component(cumulative before)),
// so the per-fill breakdowns of a day always sum to exactly the contract-note totals, and a
// fill's breakdown depends only on the fills before it that day (deterministic, streamable).
// Consequences: a single fill may carry 0.00 SEBI fee while a later one carries 0.01; the same
// trades split over two days may cost a paisa more or less than on one day (rounding is per
// day). Brokerage is ₹20 per executed order: the caller flags the first fill of each order.
// STT on exercise is due only on long in-the-money options settled at expiry (OnExercise /
// OnExpiry); shorts and OTM expiries pay nothing, and exercise carries no other charge.
//
// Thread contract: ChargeRate, Schedule and ChargeSchedule are immutable values after
// construction and may be read from any thread. ContractNote and ChargeCalculator are mutable
// single-threaded values owned by one account's fee model on the kernel thread. Amounts are
// INR Money; a negative amount or a non-INR currency is a programming error (aborts).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/config.h"
#include "common/params.h"
#include "core/result.h"
#include "core/time.h"
#include "model/enums.h"
#include "model/events.h"
#include "model/money.h"

namespace nacre {

// An exact non-negative fraction in [0, 1] at scale 10^9: 0.15% = 0.0015 = raw 1'500'000.
class ChargeRate {
 public:
  constexpr ChargeRate() = default;
  static constexpr ChargeRate Raw(std::int64_t raw) { return ChargeRate(raw); }
  // "0.0015" (a fraction) or "0.15%" (a percentage); at most 9 decimals as a fraction.
  static Result<ChargeRate> Parse(std::string_view text);

  constexpr std::int64_t raw() const { return raw_; }
  constexpr bool is_zero() const { return raw_ == 0; }
  // "0.15%", "0.03503%", "18%" (no trailing zeros).
  std::string ToPercent() const;
  // Rupees per crore of turnover: "50" for 0.0005%, "0.01" for 0.0000001%.
  std::string PerCrore() const;
  friend constexpr bool operator==(ChargeRate a, ChargeRate b) { return a.raw_ == b.raw_; }
  friend constexpr auto operator<=>(ChargeRate a, ChargeRate b) { return a.raw_ <=> b.raw_; }

 private:
  constexpr explicit ChargeRate(std::int64_t raw) : raw_(raw) {}
  std::int64_t raw_ = 0;
};

// The date a single-step schedule starts from (the first step covers earlier dates anyway).
inline constexpr CivilDate kScheduleStart{1900, 1, 1};

template <typename T>
struct ScheduleStep {
  CivilDate from;  // first IST trade date the value is in force
  T value;
};

// Values by trade date. Invariant: at least one step, `from` strictly increasing.
template <typename T>
class Schedule {
 public:
  // One value for every date.
  explicit Schedule(T value) : steps_{{kScheduleStart, std::move(value)}} {}
  static Result<Schedule> Create(std::vector<ScheduleStep<T>> steps) {
    if (steps.empty()) return MakeError("a schedule needs at least one step");
    for (std::size_t i = 1; i < steps.size(); ++i) {
      if (!(steps[i - 1].from < steps[i].from)) {
        return MakeError("schedule steps must be in strictly increasing date order, " +
                         FormatDate(steps[i].from) + " follows " + FormatDate(steps[i - 1].from));
      }
    }
    return Schedule(std::move(steps));
  }

  // The value in force on `date` (the first step's value before the first step).
  const T& At(const CivilDate& date) const {
    std::size_t i = steps_.size() - 1;
    while (i > 0 && date < steps_[i].from) --i;
    return steps_[i].value;
  }
  // This schedule's steps before `later`'s first date, then all of `later`'s steps.
  Schedule ReplacedFrom(const Schedule& later) const {
    std::vector<ScheduleStep<T>> out;
    for (const ScheduleStep<T>& s : steps_) {
      if (s.from < later.steps_.front().from) out.push_back(s);
    }
    out.insert(out.end(), later.steps_.begin(), later.steps_.end());
    return Schedule(std::move(out));
  }
  const std::vector<ScheduleStep<T>>& steps() const { return steps_; }

 private:
  explicit Schedule(std::vector<ScheduleStep<T>> steps) : steps_(std::move(steps)) {}
  std::vector<ScheduleStep<T>> steps_;
};

// Every rate in force on one trade date.
struct ChargeRates {
  CivilDate date;
  Money brokerage_per_order;  // per executed order
  ChargeRate stt_sell;        // of premium, sell side
  ChargeRate stt_exercise;    // of intrinsic value, long ITM options exercised at expiry
  ChargeRate exchange;        // NSE transaction charge, of premium, both sides
  ChargeRate ipft;            // NSE Investor Protection Fund Trust, of premium, both sides
  ChargeRate sebi;            // SEBI turnover fee, of premium, both sides
  ChargeRate stamp;           // stamp duty, of premium, buy side
  ChargeRate gst;             // of brokerage + exchange + IPFT + SEBI
};

// The schedule of every charge component. Immutable value; see the file comment.
class ChargeSchedule {
 public:
  struct Parts {
    Schedule<Money> brokerage;
    Schedule<ChargeRate> stt_sell;
    Schedule<ChargeRate> stt_exercise;
    Schedule<ChargeRate> exchange;
    Schedule<ChargeRate> ipft;
    Schedule<ChargeRate> sebi;
    Schedule<ChargeRate> stamp;
    Schedule<ChargeRate> gst;
  };

  explicit ChargeSchedule(Parts parts) : parts_(std::move(parts)) {}
  // Zerodha's charges for NSE index options, 2016 to 2026 (sources in charges.cpp).
  static ChargeSchedule ZerodhaIndexOptions();
  // `base` with the schedules of `table` (keys as in the file comment) laid over it. Unknown
  // keys, bad dates or rates, unsorted, overlapping or gapped steps throw ConfigError naming
  // the file, line and key. Calls table.Finish().
  static ChargeSchedule FromConfig(const ConfigTable& table, const ChargeSchedule& base);
  static ChargeSchedule FromConfig(const ConfigTable& table) {
    return FromConfig(table, ZerodhaIndexOptions());
  }
  // ZerodhaIndexOptions() overridden by a TOML file whose root holds the schedules.
  static ChargeSchedule LoadFile(const std::string& path);

  ChargeRates At(const CivilDate& date) const;
  // A short human table of the rates in force on `date`, one component a line.
  std::string Describe(const CivilDate& date) const;
  const Parts& parts() const { return parts_; }

 private:
  Parts parts_;
};

// Adds b to a component by component.
void Accumulate(ChargeBreakdown& into, const ChargeBreakdown& b);

// One account's charges for one IST trade date, as on the broker's contract note. Allocates
// each fill round(cumulative after) - round(cumulative before) per component. Invariant: the sum
// of every breakdown returned equals Totals(). Single-threaded value; allocates nothing.
class ContractNote {
 public:
  // `rates` must be the schedule's rates for `trade_date`.
  ContractNote(const CivilDate& trade_date, const ChargeRates& rates);

  // A fill of `premium` (price x quantity, >= 0). Brokerage is charged when
  // `first_fill_of_order` is true (once per executed order, not per partial fill).
  ChargeBreakdown OnFill(OrderSide side, Money premium, bool first_fill_of_order);
  // Cash settlement of a long in-the-money option at expiry: STT on `intrinsic_value` (>= 0,
  // settlement intrinsic x quantity) and nothing else.
  ChargeBreakdown OnExercise(Money intrinsic_value);

  // The contract-note figures so far: every component rounded once on the day's totals.
  ChargeBreakdown Totals() const;
  const CivilDate& trade_date() const { return trade_date_; }
  const ChargeRates& rates() const { return rates_; }
  Money buy_premium() const;
  Money sell_premium() const;
  Money exercised_intrinsic() const;
  std::int64_t executed_orders() const { return orders_; }

 private:
  ChargeBreakdown AllocateDelta();

  CivilDate trade_date_;
  ChargeRates rates_;
  // Exact day totals in paise.
  std::int64_t buy_paise_ = 0;
  std::int64_t sell_paise_ = 0;
  std::int64_t exercise_paise_ = 0;
  std::int64_t orders_ = 0;
  ChargeBreakdown allocated_;  // = Totals() after every call
};

// One account's running charges: a ContractNote per IST trade date, opened when the date
// changes. Trade dates must not go backwards (a programming error: aborts). The schedule must
// outlive the calculator. Single-threaded; allocates nothing per fill.
class ChargeCalculator {
 public:
  explicit ChargeCalculator(const ChargeSchedule& schedule) : schedule_(schedule) {}

  ChargeBreakdown OnFill(const CivilDate& trade_date, OrderSide side, Money premium,
                         bool first_fill_of_order);
  // STT on a long ITM option exercised at expiry (see ContractNote::OnExercise).
  ChargeBreakdown OnExercise(const CivilDate& trade_date, Money intrinsic_value);
  // An option position settled at expiry: STT when `side` is long and `intrinsic_value` > 0;
  // zero for shorts, flat positions and options that expire out of the money.
  ChargeBreakdown OnExpiry(const CivilDate& trade_date, PositionSide side, Money intrinsic_value);

  // The open day's note, if any fill or exercise was seen.
  const std::optional<ContractNote>& note() const { return note_; }
  // Sum of every breakdown returned since construction, over all days.
  const ChargeBreakdown& total() const { return total_; }

 private:
  ContractNote& NoteFor(const CivilDate& trade_date);

  const ChargeSchedule& schedule_;
  std::optional<ContractNote> note_;
  ChargeBreakdown total_;
};

// One chargeable event for the list form.
struct ChargeableTrade {
  enum class Kind : std::uint8_t { kFill, kExercise };
  CivilDate trade_date;
  Kind kind = Kind::kFill;
  OrderSide side = OrderSide::kBuy;  // fills only
  Money amount;                      // premium of a fill, intrinsic value of an exercise
  bool first_fill_of_order = true;   // fills only
};

// The charges of a whole list of events, one breakdown per event in input order. Events are
// grouped by trade date (one contract note per date, any date order), in list order within a
// date, so the breakdowns of a date sum to that date's contract note.
std::vector<ChargeBreakdown> AllocateCharges(const ChargeSchedule& schedule,
                                             std::span<const ChargeableTrade> trades);

// The charges overlay file (a venue's charges_file) for people and checks: ChargesFileSchema()
// is its root, one array of step tables per schedule; ChargeStepSchema(value_key) the keys of
// one step ("amount" for brokerage, "rate" for the others). FromConfig refuses any schedule
// the root schema does not list (naming the known ones); `nacre components` and
// docs/config.md print both schemas. A step's dates may also be TOML dates and a rate an
// integer (0 or 1); FromConfig parses the values itself (exact decimals, never doubles).
ParamSchema ChargesFileSchema();
ParamSchema ChargeStepSchema(const std::string& value_key);

}  // namespace nacre
