// Fixed-point value types: Price, Quantity, Money (with Currency). Each holds a raw int64 at
// scale 10^9 plus a display precision; the raw value always fits that precision (checked
// construction enforces it, arithmetic keeps it). No doubles in any order, fill, fee, margin
// or P&L path: doubles enter only through explicitly named As/FromDouble helpers used for
// statistics and signals.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/fixed.h"
#include "core/result.h"

namespace nacre {

inline constexpr int kMaxPrecision = kFixedPrecision;

class Price {
 public:
  constexpr Price() = default;
  // Checked: precision in [0, 9], raw fits precision.
  static Result<Price> FromRaw(std::int64_t raw, int precision);
  // "21727.75" -> precision 2; the precision is the number of decimals written.
  static Result<Price> Parse(std::string_view text);
  // Parses then requires at most `precision` decimals, and widens to exactly `precision`.
  static Result<Price> Parse(std::string_view text, int precision);
  // Nearest value at `precision` decimals (half away from zero), for signals/tests only.
  static Price FromDouble(double v, int precision);
  // Unchecked raw construction for hot paths where raw is known to fit.
  static constexpr Price Raw(std::int64_t raw, int precision) { return Price(raw, precision); }

  constexpr std::int64_t raw() const { return raw_; }
  constexpr int precision() const { return precision_; }
  double AsDouble() const { return static_cast<double>(raw_) / kFixedScale; }
  std::string ToString() const { return FormatFixedRaw(raw_, precision_); }
  constexpr bool is_positive() const { return raw_ > 0; }

  constexpr Price operator+(Price o) const { return Price(raw_ + o.raw_, MaxP(o)); }
  constexpr Price operator-(Price o) const { return Price(raw_ - o.raw_, MaxP(o)); }
  constexpr Price operator-() const { return Price(-raw_, precision_); }
  // Equality and order compare values, not precision (100.0 == 100.00).
  friend constexpr bool operator==(Price a, Price b) { return a.raw_ == b.raw_; }
  friend constexpr auto operator<=>(Price a, Price b) { return a.raw_ <=> b.raw_; }

 private:
  constexpr Price(std::int64_t raw, int precision)
      : raw_(raw), precision_(static_cast<std::uint8_t>(precision)) {}
  constexpr int MaxP(Price o) const {
    return precision_ > o.precision_ ? precision_ : o.precision_;
  }
  std::int64_t raw_ = 0;
  std::uint8_t precision_ = 0;
};

class Quantity {
 public:
  constexpr Quantity() = default;
  // Checked: non-negative, precision in [0, 9], raw fits precision.
  static Result<Quantity> FromRaw(std::int64_t raw, int precision);
  static Result<Quantity> Parse(std::string_view text);
  static constexpr Quantity Raw(std::int64_t raw, int precision) {
    return Quantity(raw, precision);
  }
  static constexpr Quantity FromInt(std::int64_t units) { return Quantity(units * kFixedScale, 0); }
  static constexpr Quantity Zero(int precision = 0) { return Quantity(0, precision); }

  constexpr std::int64_t raw() const { return raw_; }
  constexpr int precision() const { return precision_; }
  constexpr bool is_zero() const { return raw_ == 0; }
  double AsDouble() const { return static_cast<double>(raw_) / kFixedScale; }
  std::string ToString() const { return FormatFixedRaw(raw_, precision_); }

  constexpr Quantity operator+(Quantity o) const { return Quantity(raw_ + o.raw_, MaxP(o)); }
  // Saturates at zero: quantities are never negative.
  constexpr Quantity operator-(Quantity o) const {
    return Quantity(raw_ > o.raw_ ? raw_ - o.raw_ : 0, MaxP(o));
  }
  Quantity& operator+=(Quantity o) { return *this = *this + o; }
  friend constexpr bool operator==(Quantity a, Quantity b) { return a.raw_ == b.raw_; }
  friend constexpr auto operator<=>(Quantity a, Quantity b) { return a.raw_ <=> b.raw_; }

 private:
  constexpr Quantity(std::int64_t raw, int precision)
      : raw_(raw), precision_(static_cast<std::uint8_t>(precision)) {}
  constexpr int MaxP(Quantity o) const {
    return precision_ > o.precision_ ? precision_ : o.precision_;
  }
  std::int64_t raw_ = 0;
  std::uint8_t precision_ = 0;
};

struct Currency {
  char code[4] = {'I', 'N', 'R', '\0'};
  std::uint8_t precision = 2;

  static constexpr Currency INR() { return Currency{{'I', 'N', 'R', '\0'}, 2}; }
  static constexpr Currency USD() { return Currency{{'U', 'S', 'D', '\0'}, 2}; }
  static Result<Currency> FromCode(std::string_view code);
  std::string_view Code() const { return std::string_view(code, 3); }
  friend bool operator==(const Currency& a, const Currency& b) {
    return a.Code() == b.Code() && a.precision == b.precision;
  }
};

// An amount of a currency, always rounded to the currency's precision (paise for INR) with
// half-away-from-zero rounding. Adding different currencies is a programming error (checked).
class Money {
 public:
  constexpr Money() = default;
  static Money Zero(Currency c = Currency::INR()) { return Money(0, c); }
  // Rounds raw (scale 10^9) to the currency precision.
  static Money FromRaw(std::int64_t raw, Currency c = Currency::INR()) {
    return Money(RoundRaw(raw, c.precision), c);
  }
  // Exact: rejects more decimals than the currency has.
  static Result<Money> Parse(std::string_view text, Currency c = Currency::INR());
  static Money FromInt(std::int64_t units, Currency c = Currency::INR()) {
    return Money(units * kFixedScale, c);
  }
  // value = price x quantity x multiplier, rounded once to the currency precision. Aborts on
  // overflow (Money holds +/- 9.2 billion rupees): use CheckedNotional on untrusted sizes.
  static Money Notional(Price px, Quantity qty, std::int64_t multiplier,
                        Currency c = Currency::INR());
  // As Notional, but nullopt when the value does not fit.
  static std::optional<Money> CheckedNotional(Price px, Quantity qty, std::int64_t multiplier,
                                              Currency c = Currency::INR());

  std::int64_t raw() const { return raw_; }
  const Currency& currency() const { return currency_; }
  bool is_zero() const { return raw_ == 0; }
  double AsDouble() const { return static_cast<double>(raw_) / kFixedScale; }
  // "12345.60"
  std::string ToString() const { return FormatFixedRaw(raw_, currency_.precision); }
  // "₹12,345.60" with Indian digit grouping (lakh, crore).
  std::string ToDisplay() const;

  // Inline (every fill, fee, margin and account sum): the checks stay, their failures out of
  // line.
  Money operator+(const Money& o) const {
    std::int64_t out = 0;
    if (!(currency_ == o.currency_)) [[unlikely]] Fail("Money: adding different currencies");
    if (__builtin_add_overflow(raw_, o.raw_, &out)) [[unlikely]] Fail("Money: overflow");
    return Money(out, currency_);
  }
  Money operator-(const Money& o) const {
    std::int64_t out = 0;
    if (!(currency_ == o.currency_)) [[unlikely]] Fail("Money: subtracting different currencies");
    if (__builtin_sub_overflow(raw_, o.raw_, &out)) [[unlikely]] Fail("Money: overflow");
    return Money(out, currency_);
  }
  Money operator-() const { return Money(-raw_, currency_); }
  Money& operator+=(const Money& o) { return *this = *this + o; }
  Money& operator-=(const Money& o) { return *this = *this - o; }
  // Multiplies by a ratio num/den, rounding once (pro-rata commission splits).
  Money MulRatio(std::int64_t num, std::int64_t den) const;
  friend bool operator==(const Money& a, const Money& b) { return a.raw_ == b.raw_; }
  friend auto operator<=>(const Money& a, const Money& b) { return a.raw_ <=> b.raw_; }

 private:
  Money(std::int64_t raw, Currency c) : raw_(raw), currency_(c) {}
  [[noreturn]] static void Fail(const char* what);
  std::int64_t raw_ = 0;
  Currency currency_ = Currency::INR();
};

// Indian digit grouping of a decimal string: "1234567.50" -> "12,34,567.50".
std::string GroupIndian(std::string_view decimal);

}  // namespace nacre
