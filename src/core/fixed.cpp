#include "core/fixed.h"

#include <fmt/format.h>

#include <limits>

namespace nacre {

namespace {

// The general parser: any length, every error spelled out.
Result<std::int64_t> ParseFixedRawSlow(std::string_view text, int* decimals) {
  const std::string_view original = text;
  auto fail = [&](std::string_view why) {
    return MakeError(fmt::format("invalid decimal '{}': {}", original, why));
  };
  if (text.empty()) return fail("empty");
  bool negative = false;
  if (text[0] == '-' || text[0] == '+') {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return fail("no digits");
  Int128 value = 0;
  int frac_digits = 0;
  bool seen_point = false;
  bool seen_digit = false;
  for (char c : text) {
    if (c == '.') {
      if (seen_point) return fail("more than one decimal point");
      seen_point = true;
      continue;
    }
    if (c < '0' || c > '9') return fail(fmt::format("unexpected character '{}'", c));
    seen_digit = true;
    if (seen_point) {
      if (++frac_digits > kFixedPrecision) return fail("more than 9 decimal places");
    }
    value = value * 10 + (c - '0');
    if (value > static_cast<Int128>(std::numeric_limits<std::int64_t>::max()) * 10)
      return fail("out of range");
  }
  if (!seen_digit) return fail("no digits");
  value *= Pow10(kFixedPrecision - frac_digits);
  if (value > std::numeric_limits<std::int64_t>::max()) return fail("out of range");
  if (decimals != nullptr) *decimals = frac_digits;
  return static_cast<std::int64_t>(negative ? -value : value);
}

}  // namespace

Result<std::int64_t> ParseFixedRaw(std::string_view text, int* decimals) {
  // Fast path for the common case (plain digits with at most one point, up to 18 digits):
  // 64-bit accumulation, one range check. Anything else takes the general parser, which
  // gives the same value or the same error.
  std::size_t i = 0;
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    i = 1;
  }
  std::uint64_t value = 0;
  int digits = 0;
  int frac_digits = 0;
  bool seen_point = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      if (++digits > 18) return ParseFixedRawSlow(text, decimals);
      value = value * 10 + static_cast<std::uint64_t>(c - '0');
      if (seen_point) ++frac_digits;
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      return ParseFixedRawSlow(text, decimals);
    }
  }
  if (digits == 0 || frac_digits > kFixedPrecision) return ParseFixedRawSlow(text, decimals);
  const Int128 scaled = static_cast<Int128>(value) * Pow10(kFixedPrecision - frac_digits);
  if (scaled > std::numeric_limits<std::int64_t>::max()) return ParseFixedRawSlow(text, decimals);
  if (decimals != nullptr) *decimals = frac_digits;
  const auto v = static_cast<std::int64_t>(scaled);
  return negative ? -v : v;
}

std::string FormatFixedRaw(std::int64_t raw, int precision) {
  const std::int64_t rounded = RoundRaw(raw, precision);
  if (precision >= 1 && precision <= kFixedPrecision) {
    // Every price, amount and size written to a results file: digits laid out by hand, the
    // same text as the general form below.
    const bool negative = rounded < 0;
    const std::uint64_t mag = negative ? std::uint64_t{0} - static_cast<std::uint64_t>(rounded)
                                       : static_cast<std::uint64_t>(rounded);
    std::uint64_t whole = mag / static_cast<std::uint64_t>(kFixedScale);
    std::uint64_t shown = (mag % static_cast<std::uint64_t>(kFixedScale)) /
                          static_cast<std::uint64_t>(Pow10(kFixedPrecision - precision));
    char buf[32];  // sign, 20 digits, the point, 9 decimals
    char* p = buf + sizeof(buf);
    for (int i = 0; i < precision; ++i) {
      *--p = static_cast<char>('0' + shown % 10);
      shown /= 10;
    }
    *--p = '.';
    do {
      *--p = static_cast<char>('0' + whole % 10);
      whole /= 10;
    } while (whole != 0);
    if (negative) *--p = '-';
    return std::string(p, static_cast<std::size_t>(buf + sizeof(buf) - p));
  }
  const bool negative = rounded < 0;
  const UInt128 mag = negative ? static_cast<UInt128>(-static_cast<Int128>(rounded))
                               : static_cast<UInt128>(rounded);
  const auto whole = static_cast<std::uint64_t>(mag / kFixedScale);
  const auto frac = static_cast<std::uint64_t>(mag % kFixedScale);
  if (precision <= 0) return fmt::format("{}{}", negative ? "-" : "", whole);
  const std::uint64_t shown = frac / static_cast<std::uint64_t>(Pow10(kFixedPrecision - precision));
  return fmt::format("{}{}.{:0{}}", negative ? "-" : "", whole, shown, precision);
}

bool MulRaw(std::int64_t a, std::int64_t b, std::int64_t* out) {
  const Int128 r = DivRound(static_cast<Int128>(a) * b, kFixedScale);
  if (r > std::numeric_limits<std::int64_t>::max() || r < std::numeric_limits<std::int64_t>::min())
    return false;
  *out = static_cast<std::int64_t>(r);
  return true;
}

}  // namespace nacre
