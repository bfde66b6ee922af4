#include "adapters/zerodha/kite_json.h"

#include <fmt/format.h>

#include <cmath>

#include "core/fixed.h"

namespace nacre {

Result<Price> KitePrice(const nlohmann::json& v, std::string_view field, int precision) {
  if (v.is_number_integer() || v.is_number_unsigned()) {
    // At most 9e9 rupees: times the fixed-point scale (1e9) it still fits 64 bits.
    constexpr std::int64_t kMax = 9'000'000'000LL;
    const bool in_range = v.is_number_unsigned() ? v.get<std::uint64_t>() <= kMax
                                                 : v.get<std::int64_t>() >= 0 &&
                                                       v.get<std::int64_t>() <= kMax;
    const std::int64_t i = in_range ? v.get<std::int64_t>() : 0;
    if (!in_range) {
      return MakeError(ErrorCode::kInvalidInput,
                       fmt::format("{}: price {} negative or out of range", field, v.dump()));
    }
    return Price::Raw(i * kFixedScale, precision);
  }
  if (!v.is_number_float()) {
    return MakeError(ErrorCode::kInvalidInput,
                     fmt::format("{}: expected a number, got {}", field, v.dump()));
  }
  const double d = v.get<double>();
  if (!std::isfinite(d) || d < 0) {
    return MakeError(ErrorCode::kInvalidInput, fmt::format("{}: bad price {}", field, v.dump()));
  }
  // The documented conversion point: round at `precision` decimals, and refuse a number that
  // was not on that grid to begin with (more than a millionth of a unit away).
  const double scale = std::pow(10.0, precision);
  const double units = std::round(d * scale);
  if (std::fabs(d * scale - units) > 1e-6 || units > 9.2e18 / static_cast<double>(kFixedScale)) {
    return MakeError(ErrorCode::kInvalidInput,
                     fmt::format("{}: {} has more than {} decimals", field, v.dump(), precision));
  }
  return Price::Raw(static_cast<std::int64_t>(units) * (kFixedScale / Pow10(precision)), precision);
}

nlohmann::json KitePriceJson(const Price& p) {
  if (p.raw() % kFixedScale == 0) return p.raw() / kFixedScale;
  return std::stod(FormatFixedRaw(p.raw(), p.precision()));  // shortest double of the decimal
}

Result<UnixNanos> ParseKiteTime(std::string_view text) {
  // Exactly "YYYY-MM-DD HH:MM:SS": no zone (IST), no fraction.
  if (text.size() != 19 || text[10] != ' ') {
    return MakeError(ErrorCode::kInvalidInput,
                     fmt::format("kite time '{}': expected YYYY-MM-DD HH:MM:SS (IST)", text));
  }
  auto t = ParseDateTime(text, kIstOffset);
  if (!t.ok()) {
    return MakeError(ErrorCode::kInvalidInput, fmt::format("kite time '{}': {}", text, t.error()));
  }
  return *t;
}

std::string KiteTimeText(UnixNanos t) {
  std::string s = FormatIst(t);  // "2021-07-05 10:41:27 IST": Kite's form without the zone
  s.resize(s.size() - 4);
  return s;
}

Result<UnixNanos> ParseKiteCandleTime(std::string_view text) {
  if (text.size() != 24 || text[10] != 'T' || text.substr(19) != "+0530") {
    return MakeError(ErrorCode::kInvalidInput,
                     fmt::format("kite candle time '{}': expected YYYY-MM-DDTHH:MM:SS+0530", text));
  }
  auto t = ParseDateTime(text, kIstOffset);
  if (!t.ok()) {
    return MakeError(ErrorCode::kInvalidInput,
                     fmt::format("kite candle time '{}': {}", text, t.error()));
  }
  return *t;
}

std::string KiteCandleTimeText(UnixNanos t) {
  const CivilDateTime c = ToUtc(t + kIstOffset);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+0530", c.date.year, c.date.month,
                     c.date.day, c.hour, c.minute, c.second);
}

}  // namespace nacre
