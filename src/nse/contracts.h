// The option contracts of an index that exist on a date, as Instrument values.
// Listing model (defaults unverified, hence configurable in ListingRules): at any time the
// next `weekly_count` weekly expiries (weeks whose expiry is not the monthly one) and the next
// `monthly_count` monthly expiries are listed; an expiring series is replaced by a new one at
// the far end on the next trading day, so a series is listed on the trading day after the
// expiry `weekly_count` weeklies (or `monthly_count` months) before its own. Quarterly and
// half-yearly long-dated contracts are not modelled. Strikes come from the StrikeGrid around
// the spot range the caller gives (the grid NSE adds to as the market moves is approximated by
// the range's strikes). Each instrument: id "{symbol}.NFO", raw_symbol the Zerodha symbol,
// lot from the LotSizeTable by the contract's expiry and listing, tick 0.05, freeze quantity
// (NIFTY 1,800 units), multiplier 1, activation at the listing day's open, expiration at the
// close (15:30 IST) of the expiry day.
// Output order is deterministic: expiry, strike, then CE before PE. Pure functions of their
// inputs; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "model/instrument.h"
#include "nse/calendar.h"
#include "nse/expiry.h"
#include "nse/lot_size.h"
#include "nse/strikes.h"
#include "nse/symbols.h"

namespace nacre {

struct ListingRules {
  int weekly_count = 4;   // serial weekly series listed at a time, monthly weeks excluded
  int monthly_count = 3;  // serial monthly series listed at a time
};

// Everything needed to list one underlying's options.
struct OptionUniverse {
  std::string underlying = "NIFTY";  // symbol prefix and lot table key
  InstrumentId underlying_id;        // the index, e.g. "NIFTY 50.NSE"
  Venue venue{"NFO"};
  int price_precision = 2;
  Price tick_size = Price::Raw(5 * Pow10(kFixedPrecision - 2), 2);  // ₹0.05
  std::optional<std::int64_t> freeze_quantity;                      // units per order
  ExpiryRules expiry_rules = ExpiryRules::Nifty();
  LotSizeTable lot_sizes = LotSizeTable::NseDefaults();
  StrikeGrid strikes = StrikeGrid::Nifty();
  ListingRules listing;

  // NIFTY options on NFO over "NIFTY 50.NSE", freeze quantity 1,800 units.
  static OptionUniverse Nifty();
};

// Which strikes to list: the strikes around every spot in [spot_low, spot_high]: the grid's
// strikes from `strikes_each_side` listed strikes below ATM(spot_low) to as many above
// ATM(spot_high).
struct StrikeSelection {
  Price spot_low;
  Price spot_high;
  int strikes_each_side = 20;

  static StrikeSelection AroundSpot(Price spot, int each_side) { return {spot, spot, each_side}; }
};

// One listed expiry series of an underlying.
struct ListedSeries {
  Expiry expiry;
  CivilDate listing;
  std::int64_t lot = 0;
};

// The day a series expiring on `expiry` was listed (see the listing model above).
CivilDate ListingDate(const Expiry& expiry, const OptionUniverse& universe,
                      const NseCalendar& calendar);
// The series listed on `date` (expiring on or after it), ascending by expiry, with lots.
Result<std::vector<ListedSeries>> SeriesOn(const CivilDate& date, const OptionUniverse& universe,
                                           const NseCalendar& calendar);
// The strikes listed for a selection, ascending.
std::vector<Price> SelectStrikes(const StrikeSelection& selection, const StrikeGrid& grid);

// One option contract as an Instrument (the expiry kind decides the symbol's form).
Result<Instrument> MakeOptionContract(const OptionUniverse& universe, const ListedSeries& series,
                                      Price strike, OptionKind kind, const NseCalendar& calendar);
// Every option contract that exists on `date` for the selected strikes.
Result<std::vector<Instrument>> ContractsOn(const CivilDate& date, const StrikeSelection& selection,
                                            const OptionUniverse& universe,
                                            const NseCalendar& calendar);

}  // namespace nacre
