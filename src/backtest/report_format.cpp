#include "backtest/report_format.h"

#include <fmt/format.h>

#include <cmath>

#include "core/fixed.h"

namespace nacre {

namespace {

// "12345.60" (no sign) -> "₹12,345.60".
std::string Rupees(std::string_view unsigned_decimal) {
  return "\u20b9" + GroupIndian(unsigned_decimal);
}

bool AllZeroDigits(std::string_view s) {
  for (char c : s) {
    if (c >= '1' && c <= '9') return false;
  }
  return true;
}

}  // namespace

std::string FormatInr(const Money& m) {
  const std::string s = m.ToString();
  if (!s.empty() && s[0] == '-') return std::string(kMinus) + Rupees(std::string_view(s).substr(1));
  return Rupees(s);
}

std::string FormatInrSigned(const Money& m) {
  if (m.raw() > 0) return "+" + FormatInr(m);
  return FormatInr(m);
}

std::string FormatInrApprox(double rupees) {
  if (!std::isfinite(rupees)) return std::string(kDash);
  const std::string s = fmt::format("{:.2f}", std::abs(rupees));
  if (rupees < 0 && !AllZeroDigits(s)) return std::string(kMinus) + Rupees(s);
  return Rupees(s);
}

std::string FormatSignedPct(double pct, int decimals) {
  if (!std::isfinite(pct)) return std::string(kDash);
  const std::string s = fmt::format("{:.{}f}", std::abs(pct), decimals);
  if (AllZeroDigits(s)) return s + "%";
  return (pct < 0 ? std::string(kMinus) : std::string("+")) + s + "%";
}

std::string FormatPct(double pct, int decimals) {
  if (!std::isfinite(pct)) return std::string(kDash);
  const std::string s = fmt::format("{:.{}f}", std::abs(pct), decimals);
  if (pct < 0 && !AllZeroDigits(s)) return std::string(kMinus) + s + "%";
  return s + "%";
}

std::string FormatRatio(double v, int decimals) {
  if (!std::isfinite(v)) return std::string(kDash);
  const std::string s = fmt::format("{:.{}f}", std::abs(v), decimals);
  if (v < 0 && !AllZeroDigits(s)) return std::string(kMinus) + s;
  return s;
}

std::string FormatPrice(const Price& p, int precision) {
  const int digits = precision < 0 ? 0 : precision > kFixedPrecision ? kFixedPrecision : precision;
  const std::string s = FormatFixedRaw(RoundRaw(p.raw(), digits), digits);
  if (!s.empty() && s[0] == '-') return std::string(kMinus) + s.substr(1);
  return s;
}

std::string FormatIstMinute(UnixNanos t) {
  const CivilDateTime c = ToIst(t);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02} IST", c.date.year, c.date.month, c.date.day,
                     c.hour, c.minute);
}

std::string FormatIstDate(UnixNanos t) { return FormatDate(IstDate(t)); }

std::string InstrumentLabel(const InstrumentId& id) {
  const std::string& v = id.value();
  const auto dot = v.rfind('.');
  return dot == std::string::npos ? v : v.substr(0, dot);
}

std::string HtmlEscape(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

std::string Humanize(std::string_view key) {
  std::string o(key);
  for (char& c : o) {
    if (c == '_') c = ' ';
  }
  if (!o.empty() && o[0] >= 'a' && o[0] <= 'z') o[0] = static_cast<char>(o[0] - 'a' + 'A');
  return o;
}

}  // namespace nacre
