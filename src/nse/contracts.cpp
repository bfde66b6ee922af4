#include "nse/contracts.h"

#include <fmt/format.h>

#include <algorithm>

namespace nacre {

namespace {

// How far back or ahead to look for series before giving up (rules without weeklies).
constexpr int kMaxWeeksScanned = 160;

SessionHours HoursOn(const CivilDate& date, const NseCalendar& calendar) {
  return calendar.SessionFor(date).value_or(calendar.normal_hours());
}

void AddMonths(int* year, int* month, int delta) {
  const int index = *year * 12 + (*month - 1) + delta;
  *year = index / 12;
  *month = index % 12 + 1;
}

}  // namespace

OptionUniverse OptionUniverse::Nifty() {
  OptionUniverse u;
  u.underlying = "NIFTY";
  u.underlying_id = InstrumentId(Symbol("NIFTY 50"), Venue("NSE"));
  u.freeze_quantity = 1800;
  return u;
}

CivilDate ListingDate(const Expiry& expiry, const OptionUniverse& universe,
                      const NseCalendar& calendar) {
  const ExpiryRules& rules = universe.expiry_rules;
  if (expiry.kind == ExpiryKind::kMonthly) {
    int year = expiry.date.year;
    int month = expiry.date.month;
    AddMonths(&year, &month, -universe.listing.monthly_count);
    return calendar.NextTradingDay(rules.MonthlyExpiry(year, month, calendar));
  }
  // The weekly listed `weekly_count` weeklies earlier; its expiry frees the slot. Never before
  // weeklies existed: the first ones were all listed on the launch day.
  const std::optional<CivilDate> launch = rules.WeekliesSince(expiry.date);
  const CivilDate first_day = launch ? (calendar.IsTradingDay(*launch)
                                            ? *launch
                                            : calendar.NextTradingDay(*launch))
                                     : CivilDate{};
  // Scanning starts with the expiry's own week: an expiry moved back from the next week leaves
  // this week's own expiry before it.
  int found = 0;
  CivilDate week = MondayOf(expiry.date);
  for (int i = 0; i < kMaxWeeksScanned; ++i, week = AddDays(week, -7)) {
    if (launch && week < MondayOf(*launch)) return first_day;
    auto e = rules.ExpiryOfWeek(week, calendar);
    if (e && e->kind == ExpiryKind::kWeekly && e->date < expiry.date &&
        ++found == universe.listing.weekly_count) {
      const CivilDate listed = calendar.NextTradingDay(e->date);
      return launch && listed < first_day ? first_day : listed;
    }
  }
  return calendar.NextTradingDay(week);  // weeklies began less than weekly_count weeks before
}

Result<std::vector<ListedSeries>> SeriesOn(const CivilDate& date, const OptionUniverse& universe,
                                           const NseCalendar& calendar) {
  const ExpiryRules& rules = universe.expiry_rules;
  const ListingRules& listing = universe.listing;
  if (listing.weekly_count < 0 || listing.monthly_count < 0) {
    return MakeError(
        fmt::format("{} listing: weekly_count {} and monthly_count {} must not be "
                    "negative",
                    universe.underlying, listing.weekly_count, listing.monthly_count));
  }
  std::vector<Expiry> expiries;
  int weeklies = 0;
  CivilDate week = MondayOf(date);
  for (int i = 0; i < kMaxWeeksScanned && weeklies < listing.weekly_count; ++i) {
    auto e = rules.ExpiryOfWeek(week, calendar);
    if (e && e->kind == ExpiryKind::kWeekly && date <= e->date) {
      expiries.push_back(*e);
      ++weeklies;
    }
    week = AddDays(week, 7);
  }
  int year = date.year;
  int month = date.month;
  for (int monthlies = 0; monthlies < listing.monthly_count; AddMonths(&year, &month, 1)) {
    const CivilDate e = rules.MonthlyExpiry(year, month, calendar);
    if (date <= e) {
      expiries.push_back({e, ExpiryKind::kMonthly});
      ++monthlies;
    }
  }
  std::sort(expiries.begin(), expiries.end(),
            [](const Expiry& a, const Expiry& b) { return a.date < b.date; });

  std::vector<ListedSeries> out;
  for (const Expiry& e : expiries) {
    const CivilDate listed = ListingDate(e, universe, calendar);
    // A weekly whose listing is still ahead (before NIFTY weeklies began in Feb-2019, none is
    // listed at all) is not on the board yet.
    if (e.kind == ExpiryKind::kWeekly && date < listed) continue;
    auto lot = universe.lot_sizes.LotSize(universe.underlying, e.date, e.kind, listed);
    if (!lot) return std::move(lot).take_error();
    out.push_back({e, listed, *lot});
  }
  return out;
}

std::vector<Price> SelectStrikes(const StrikeSelection& selection, const StrikeGrid& grid) {
  std::vector<Price> out = grid.StrikesAround(selection.spot_low, selection.strikes_each_side);
  const std::vector<Price> high =
      grid.StrikesAround(selection.spot_high, selection.strikes_each_side);
  out.insert(out.end(), high.begin(), high.end());
  // Every near step between the two ATM strikes: all were at the money at some point.
  const Price atm_high = grid.AtmStrike(selection.spot_high);
  for (Price k = grid.AtmStrike(selection.spot_low); k < atm_high; k = k + grid.step()) {
    if (k.is_positive()) out.push_back(k);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<Instrument> MakeOptionContract(const OptionUniverse& universe, const ListedSeries& series,
                                      Price strike, OptionKind kind, const NseCalendar& calendar) {
  auto symbol = FormatOptionSymbol(
      {universe.underlying, series.expiry.date, series.expiry.kind, strike, kind});
  if (!symbol) return std::move(symbol).take_error();
  if (!FitsPrecision(strike.raw(), universe.price_precision)) {
    return MakeError(fmt::format("{}: strike {} finer than price precision {}", *symbol,
                                 strike.ToString(), universe.price_precision));
  }
  InstrumentSpec spec;
  spec.id = InstrumentId(Symbol(*symbol), universe.venue);
  spec.raw_symbol = Symbol(*symbol);
  spec.price_precision = universe.price_precision;
  spec.tick_size = universe.tick_size;
  spec.lot_size = Quantity::FromInt(series.lot);
  spec.multiplier = 1;
  if (universe.freeze_quantity) spec.freeze_quantity = Quantity::FromInt(*universe.freeze_quantity);
  const UnixNanos activation = SessionOpen(series.listing, HoursOn(series.listing, calendar));
  const UnixNanos expiration =
      SessionClose(series.expiry.date, HoursOn(series.expiry.date, calendar));
  return MakeOption(spec, universe.underlying_id, kind,
                    Price::Raw(strike.raw(), universe.price_precision), activation, expiration);
}

Result<std::vector<Instrument>> ContractsOn(const CivilDate& date, const StrikeSelection& selection,
                                            const OptionUniverse& universe,
                                            const NseCalendar& calendar) {
  if (!selection.spot_low.is_positive() || selection.spot_high < selection.spot_low) {
    return MakeError(
        fmt::format("{} contracts on {}: spot range {}..{} must be positive and "
                    "ascending",
                    universe.underlying, FormatDate(date), selection.spot_low.ToString(),
                    selection.spot_high.ToString()));
  }
  if (selection.strikes_each_side < 0) {
    return MakeError(fmt::format("{} contracts on {}: strikes_each_side {} is negative",
                                 universe.underlying, FormatDate(date),
                                 selection.strikes_each_side));
  }
  auto series = SeriesOn(date, universe, calendar);
  if (!series) return std::move(series).take_error();
  const std::vector<Price> strikes = SelectStrikes(selection, universe.strikes);
  std::vector<Instrument> out;
  out.reserve(series->size() * strikes.size() * 2);
  for (const ListedSeries& s : *series) {
    for (const Price& k : strikes) {
      for (OptionKind kind : {OptionKind::kCall, OptionKind::kPut}) {
        auto inst = MakeOptionContract(universe, s, k, kind, calendar);
        if (!inst) return std::move(inst).take_error();
        out.push_back(std::move(inst).value());
      }
    }
  }
  return out;
}

}  // namespace nacre
