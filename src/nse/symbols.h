// Zerodha (Kite) trading symbols of NSE index options, formatted and parsed.
//   weekly:  {UNDERLYING}{YY}{M}{DD}{strike}{CE|PE}  M = 1..9, O, N, D   NIFTY2610624000CE
//   monthly: {UNDERLYING}{YY}{MON}{strike}{CE|PE}    MON = JAN..DEC       NIFTY24JAN21500PE
// A contract expiring on the month's monthly expiry always uses the monthly form. A monthly
// symbol carries no day, so turning it into an expiry date needs the expiry rules and the
// calendar (ParseOptionSymbol); ParseSymbolParts reads the text alone.
// Strikes are written without a decimal point when whole ("21500"), else with their decimals
// ("12.5"). Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "model/enums.h"
#include "model/money.h"
#include "nse/calendar.h"
#include "nse/expiry.h"

namespace nacre {

// A contract as its trading symbol names it.
struct OptionSymbol {
  std::string underlying;  // "NIFTY"
  CivilDate expiry;
  ExpiryKind expiry_kind = ExpiryKind::kWeekly;  // kMonthly selects the monthly form
  Price strike;
  OptionKind option_kind = OptionKind::kCall;
  friend bool operator==(const OptionSymbol&, const OptionSymbol&) = default;
};

// The text of a symbol, before any calendar is consulted. `day` is empty for monthly symbols.
struct SymbolParts {
  std::string underlying;
  int year = 0;
  int month = 0;
  std::optional<int> day;
  Price strike;
  OptionKind option_kind = OptionKind::kCall;
  ExpiryKind expiry_kind() const { return day ? ExpiryKind::kWeekly : ExpiryKind::kMonthly; }
};

// Fails on an empty or non-alphabetic underlying, a year outside 2000-2099, or a strike that
// is not positive.
Result<std::string> FormatOptionSymbol(const OptionSymbol& symbol);
// Splits a symbol. Without `underlying` the underlying is the leading run of letters (enough
// for NIFTY, BANKNIFTY, FINNIFTY, MIDCPNIFTY); give it for names with digits (NIFTYNXT50).
Result<SymbolParts> ParseSymbolParts(std::string_view symbol, std::string_view underlying = {});
// Parses a symbol of `rules.underlying()` and resolves its expiry: a monthly symbol to the
// month's monthly expiry; a weekly symbol must name a weekly expiry date of the rules (a
// monthly expiry written in weekly form, or a day that is no expiry, is an error).
Result<OptionSymbol> ParseOptionSymbol(std::string_view symbol, const ExpiryRules& rules,
                                       const NseCalendar& calendar);

}  // namespace nacre
