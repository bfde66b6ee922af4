#include "model/money.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <utility>

namespace nacre {

namespace {

Status CheckPrecision(std::int64_t raw, int precision, std::string_view what) {
  if (precision < 0 || precision > kMaxPrecision)
    return MakeError(
        fmt::format("{} precision {} outside [0, {}]", what, precision, kMaxPrecision));
  if (!FitsPrecision(raw, precision))
    return MakeError(fmt::format("{} {} has more than {} decimals", what,
                                 FormatFixedRaw(raw, kMaxPrecision), precision));
  return Status::Ok();
}

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "fatal: %s\n", what);
  std::abort();
}

}  // namespace

Result<Price> Price::FromRaw(std::int64_t raw, int precision) {
  if (Status s = CheckPrecision(raw, precision, "price"); !s) return MakeError(s.error());
  return Price(raw, precision);
}

Result<Price> Price::Parse(std::string_view text) {
  int decimals = 0;
  auto raw = ParseFixedRaw(text, &decimals);
  if (!raw) return MakeError(fmt::format("invalid price: {}", raw.error()));
  return Price(*raw, decimals);
}

Result<Price> Price::Parse(std::string_view text, int precision) {
  auto p = Parse(text);
  if (!p) return p;
  if (p->precision() > precision)
    return MakeError(
        fmt::format("invalid price '{}': more than {} decimal places", text, precision));
  return FromRaw(p->raw(), precision);
}

Price Price::FromDouble(double v, int precision) {
  const double scaled = std::round(v * static_cast<double>(Pow10(precision)));
  return Price(static_cast<std::int64_t>(scaled) * Pow10(kMaxPrecision - precision), precision);
}

Result<Quantity> Quantity::FromRaw(std::int64_t raw, int precision) {
  if (raw < 0)
    return MakeError(fmt::format("quantity {} is negative", FormatFixedRaw(raw, kMaxPrecision)));
  if (Status s = CheckPrecision(raw, precision, "quantity"); !s) return MakeError(s.error());
  return Quantity(raw, precision);
}

Result<Quantity> Quantity::Parse(std::string_view text) {
  int decimals = 0;
  auto raw = ParseFixedRaw(text, &decimals);
  if (!raw) return MakeError(fmt::format("invalid quantity: {}", raw.error()));
  return FromRaw(*raw, decimals);
}

Result<Currency> Currency::FromCode(std::string_view code) {
  if (code == "INR") return INR();
  if (code == "USD") return USD();
  return MakeError(fmt::format("unsupported currency '{}' (supported: INR, USD)", code));
}

Result<Money> Money::Parse(std::string_view text, Currency c) {
  int decimals = 0;
  auto raw = ParseFixedRaw(text, &decimals);
  if (!raw) return MakeError(fmt::format("invalid amount: {}", raw.error()));
  if (decimals > c.precision)
    return MakeError(
        fmt::format("invalid amount '{}': {} has {} decimals", text, c.Code(), c.precision));
  return Money(*raw, c);
}

std::optional<Money> Money::CheckedNotional(Price px, Quantity qty, std::int64_t multiplier,
                                            Currency c) {
  // A price on the currency's grid times whole units (every order's risk check): the amount
  // is exact in 64 bits, with no rounding and no 128-bit division; else the general way.
  const std::int64_t grid = Pow10(kFixedPrecision - c.precision);
  if (px.raw() % grid == 0 && qty.raw() % kFixedScale == 0) {
    std::int64_t units = 0;
    std::int64_t raw = 0;
    if (!__builtin_mul_overflow(px.raw() / grid, qty.raw() / kFixedScale, &units) &&
        !__builtin_mul_overflow(units, multiplier, &units) &&
        !__builtin_mul_overflow(units, grid, &raw)) {
      return Money::FromRaw(raw, c);
    }
  }
  const Int128 v = static_cast<Int128>(px.raw()) * qty.raw();
  // |px.raw * qty.raw| < 2^126 always; guard the multiplier step and the final range.
  const Int128 m = multiplier < 0 ? -static_cast<Int128>(multiplier) : multiplier;
  const Int128 limit = (static_cast<Int128>(1) << 125) / (m > 1 ? m : 1);
  if (v > limit || v < -limit) return std::nullopt;
  const Int128 r = DivRound(v * multiplier, static_cast<Int128>(kFixedScale) * grid) * grid;
  if (r > std::numeric_limits<std::int64_t>::max() || r < std::numeric_limits<std::int64_t>::min())
    return std::nullopt;
  return Money::FromRaw(static_cast<std::int64_t>(r), c);
}

Money Money::Notional(Price px, Quantity qty, std::int64_t multiplier, Currency c) {
  const Int128 v = static_cast<Int128>(px.raw()) * qty.raw() * multiplier;
  const Int128 unit = static_cast<Int128>(kFixedScale) * Pow10(kFixedPrecision - c.precision);
  const Int128 r = DivRound(v, unit) * Pow10(kFixedPrecision - c.precision);
  if (r > std::numeric_limits<std::int64_t>::max() || r < std::numeric_limits<std::int64_t>::min())
    Die("Money::Notional overflow");
  return Money(static_cast<std::int64_t>(r), c);
}

void Money::Fail(const char* what) { Die(what); }

Money Money::MulRatio(std::int64_t num, std::int64_t den) const {
  assert(den > 0);
  // One rounding, straight to the currency precision (rounding to 10^-9 first and then to
  // paise could cross a half-paise boundary).
  const Int128 unit = Pow10(kFixedPrecision - currency_.precision);
  const Int128 v =
      DivRound(static_cast<Int128>(raw_) * num, static_cast<Int128>(den) * unit) * unit;
  return Money(static_cast<std::int64_t>(v), currency_);
}

namespace {
// Appends `decimal` (digits, then optionally '.' and the fraction; no sign) with the whole part
// grouped the Indian way: the last three digits, then pairs.
void AppendGroupedIndian(std::string& out, std::string_view decimal) {
  const std::size_t dot = std::min(decimal.find('.'), decimal.size());
  const std::string_view whole = decimal.substr(0, dot);
  if (whole.size() <= 3) {
    out.append(whole);
  } else {
    const std::size_t head = whole.size() - 3;  // digits before the last three
    std::size_t at = head % 2 == 0 ? 2 : 1;     // the first group: what pairs leave over
    out.append(whole.substr(0, at));
    for (; at < head; at += 2) {
      out.push_back(',');
      out.append(whole.substr(at, 2));
    }
    out.push_back(',');
    out.append(whole.substr(head));
  }
  out.append(decimal.substr(dot));
}

// The unsigned part of `decimal`, and whether it had a '-'.
std::pair<std::string_view, bool> Unsigned(std::string_view decimal) {
  if (!decimal.empty() && decimal[0] == '-') return {decimal.substr(1), true};
  return {decimal, false};
}
}  // namespace

std::string GroupIndian(std::string_view decimal) {
  const auto [digits, neg] = Unsigned(decimal);
  std::string out;
  out.reserve(decimal.size() + decimal.size() / 2 + 1);
  if (neg) out.push_back('-');
  AppendGroupedIndian(out, digits);
  return out;
}

// One string, no intermediate ones: denial and rejection messages format amounts per order.
std::string Money::ToDisplay() const {
  const std::string s = ToString();
  const auto [digits, neg] = Unsigned(s);
  const std::string_view symbol = currency_.Code() == "INR" ? "₹" : currency_.Code();
  std::string out;
  out.reserve(1 + symbol.size() + digits.size() + digits.size() / 2 + 1);
  if (neg) out.push_back('-');
  out.append(symbol);
  AppendGroupedIndian(out, digits);
  return out;
}

}  // namespace nacre
