// Fixed-point decimal arithmetic shared by Price, Quantity and Money: a signed 64-bit raw
// integer at a fixed scale of 10^9 (kFixedPrecision decimals), whatever the value's display
// precision. Products use 128-bit intermediates. Rounding is half away from zero, the
// commercial rule used for rupee amounts. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace nacre {

__extension__ typedef __int128 Int128;            // NOLINT
__extension__ typedef unsigned __int128 UInt128;  // NOLINT

inline constexpr int kFixedPrecision = 9;
inline constexpr std::int64_t kFixedScale = 1'000'000'000;

constexpr std::int64_t Pow10(int n) {
  std::int64_t v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}

// a / b rounded half away from zero (b > 0). Operands that fit in 64 bits (nearly all: a
// price, an amount, a unit) are divided in 64 bits, the same result without the library's
// 128-bit division.
constexpr Int128 DivRound(Int128 a, Int128 b) {
  if (a >= INT64_MIN && a <= INT64_MAX && b > 0 && b <= INT64_MAX) {
    const auto a64 = static_cast<std::int64_t>(a);
    const auto b64 = static_cast<std::int64_t>(b);
    const std::int64_t q = a64 / b64;  // b > 0: no INT64_MIN / -1
    const std::int64_t r = a64 % b64;
    if (r == 0) return q;
    const std::int64_t m = r < 0 ? -r : r;  // 0 < m < b
    if (m >= b64 - m) return a64 < 0 ? q - 1 : q + 1;  // 2m >= b without overflow
    return q;
  }
  const Int128 q = a / b;
  const Int128 r = a % b;
  if (r == 0) return q;
  const Int128 twice = (r < 0 ? -r : r) * 2;
  if (twice >= b) return a < 0 ? q - 1 : q + 1;
  return q;
}

// Rounds a raw value (scale 10^9) to `precision` decimals.
constexpr std::int64_t RoundRaw(std::int64_t raw, int precision) {
  if (precision >= kFixedPrecision) return raw;
  const std::int64_t unit = Pow10(kFixedPrecision - precision);
  return static_cast<std::int64_t>(DivRound(raw, unit) * unit);
}

// True when raw has no digits beyond `precision` decimals.
constexpr bool FitsPrecision(std::int64_t raw, int precision) {
  return precision >= kFixedPrecision || raw % Pow10(kFixedPrecision - precision) == 0;
}

// Exact decimal parse of "[-]digits[.digits]" into a raw value. `decimals` receives the
// number of digits after the point. Rejects more than 9 decimals, exponents and overflow.
Result<std::int64_t> ParseFixedRaw(std::string_view text, int* decimals);

// Formats raw with exactly `precision` decimals (raw must fit that precision; extra digits
// are rounded).
std::string FormatFixedRaw(std::int64_t raw, int precision);

// raw * raw / scale, rounded, with overflow detection; false on overflow.
bool MulRaw(std::int64_t a, std::int64_t b, std::int64_t* out);

}  // namespace nacre
