#include "nse/symbols.h"

#include <fmt/format.h>

namespace nacre {

namespace {

constexpr std::string_view kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                            "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr char kWeeklyMonthCodes[] = "123456789OND";

bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// "21500" for a whole strike, "12.5" otherwise.
std::string StrikeText(Price strike) {
  std::string text = FormatFixedRaw(strike.raw(), kMaxPrecision);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

}  // namespace

Result<std::string> FormatOptionSymbol(const OptionSymbol& s) {
  if (s.underlying.empty()) return MakeError("option symbol: empty underlying");
  for (char c : s.underlying) {
    if (!IsUpper(c) && !IsDigit(c))
      return MakeError(fmt::format("option symbol: bad underlying '{}'", s.underlying));
  }
  if (!IsValidDate(s.expiry) || s.expiry.year < 2000 || s.expiry.year > 2099) {
    return MakeError(fmt::format("option symbol {}: expiry {} outside 2000-2099", s.underlying,
                                 FormatDate(s.expiry)));
  }
  if (!s.strike.is_positive()) {
    return MakeError(fmt::format("option symbol {}: strike {} must be positive", s.underlying,
                                 s.strike.ToString()));
  }
  const char* right = s.option_kind == OptionKind::kCall ? "CE" : "PE";
  const int yy = s.expiry.year % 100;
  if (s.expiry_kind == ExpiryKind::kMonthly) {
    return fmt::format("{}{:02}{}{}{}", s.underlying, yy, kMonthNames[s.expiry.month - 1],
                       StrikeText(s.strike), right);
  }
  return fmt::format("{}{:02}{}{:02}{}{}", s.underlying, yy, kWeeklyMonthCodes[s.expiry.month - 1],
                     s.expiry.day, StrikeText(s.strike), right);
}

Result<SymbolParts> ParseSymbolParts(std::string_view symbol, std::string_view underlying) {
  auto fail = [&](std::string_view why) {
    return MakeError(fmt::format("bad option symbol '{}': {}", symbol, why));
  };
  SymbolParts p;
  std::string_view rest = symbol;
  if (rest.size() < 2) return fail("expected a CE or PE suffix");
  const std::string_view right = rest.substr(rest.size() - 2);
  if (right == "CE") {
    p.option_kind = OptionKind::kCall;
  } else if (right == "PE") {
    p.option_kind = OptionKind::kPut;
  } else {
    return fail("expected a CE or PE suffix");
  }
  rest.remove_suffix(2);

  if (!underlying.empty()) {
    if (rest.substr(0, underlying.size()) != underlying)
      return fail(fmt::format("expected underlying {}", underlying));
    p.underlying = std::string(underlying);
  } else {
    std::size_t n = 0;
    while (n < rest.size() && IsUpper(rest[n])) ++n;
    if (n == 0) return fail("expected an upper-case underlying");
    p.underlying = std::string(rest.substr(0, n));
  }
  rest.remove_prefix(p.underlying.size());

  if (rest.size() < 2 || !IsDigit(rest[0]) || !IsDigit(rest[1]))
    return fail("expected a two-digit year after the underlying");
  p.year = 2000 + (rest[0] - '0') * 10 + (rest[1] - '0');
  rest.remove_prefix(2);

  if (rest.size() >= 3 && IsUpper(rest[0]) && IsUpper(rest[1]) && IsUpper(rest[2])) {
    const std::string_view mon = rest.substr(0, 3);
    for (int i = 0; i < 12; ++i) {
      if (kMonthNames[i] == mon) p.month = i + 1;
    }
    if (p.month == 0) return fail(fmt::format("unknown month '{}' (expected JAN..DEC)", mon));
    rest.remove_prefix(3);
  } else {
    if (rest.size() < 3) return fail("expected a month and day (weekly) or a month (monthly)");
    const std::string_view codes(kWeeklyMonthCodes);
    const std::size_t m = codes.find(rest[0]);
    if (m == std::string_view::npos)
      return fail(fmt::format("unknown weekly month code '{}' (expected 1-9, O, N, D)", rest[0]));
    p.month = static_cast<int>(m) + 1;
    if (!IsDigit(rest[1]) || !IsDigit(rest[2])) return fail("expected a two-digit day");
    p.day = (rest[1] - '0') * 10 + (rest[2] - '0');
    if (!IsValidDate({p.year, p.month, *p.day})) {
      return fail(fmt::format("no such date {:04}-{:02}-{:02}", p.year, p.month, *p.day));
    }
    rest.remove_prefix(3);
  }

  if (rest.empty()) return fail("missing strike");
  for (char c : rest) {
    if (!IsDigit(c) && c != '.') return fail(fmt::format("bad strike '{}'", rest));
  }
  auto strike = Price::Parse(rest);
  if (!strike || !strike->is_positive()) return fail(fmt::format("bad strike '{}'", rest));
  p.strike = strike->precision() < 2 ? Price::Raw(strike->raw(), 2) : *strike;
  return p;
}

Result<OptionSymbol> ParseOptionSymbol(std::string_view symbol, const ExpiryRules& rules,
                                       const NseCalendar& calendar) {
  auto parts = ParseSymbolParts(symbol, rules.underlying());
  if (!parts) return std::move(parts).take_error();
  OptionSymbol out{parts->underlying, {}, parts->expiry_kind(), parts->strike, parts->option_kind};
  if (!parts->day) {
    out.expiry = rules.MonthlyExpiry(parts->year, parts->month, calendar);
    return out;
  }
  out.expiry = CivilDate{parts->year, parts->month, *parts->day};
  const std::string date = FormatDate(out.expiry);
  if (rules.IsMonthlyExpiry(out.expiry, calendar)) {
    return MakeError(
        fmt::format("bad option symbol '{}': {} is the {} monthly expiry, written "
                    "in the monthly form ({}{:02}{}...)",
                    symbol, date, rules.underlying(), rules.underlying(), parts->year % 100,
                    kMonthNames[parts->month - 1]));
  }
  if (!rules.IsExpiry(out.expiry, calendar)) {
    return MakeError(fmt::format("bad option symbol '{}': {} is not a {} weekly expiry", symbol,
                                 date, rules.underlying()));
  }
  return out;
}

}  // namespace nacre
