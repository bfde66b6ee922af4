// Display formatting for what a person reads in report.html: rupees with Indian digit grouping
// (₹3,69,863.09), percents with a sign and unit (+7.53%, −7.53%), ratios, prices at an
// instrument's precision, IST times and HTML escaping. Negative numbers use the Unicode minus
// sign (U+2212), as typeset figures do. Money is formatted from its fixed-point value; only
// figures that are already doubles (ratios, statistics) are formatted from doubles. Pure
// functions, deterministic.
#pragma once

#include <string>
#include <string_view>

#include "core/time.h"
#include "model/identifiers.h"
#include "model/money.h"

namespace nacre {

inline constexpr std::string_view kMinus = "\u2212";
inline constexpr std::string_view kDash = "\u2014";  // a figure that does not exist

// "₹3,69,863.09", "−₹7,000.00", "₹0.00".
std::string FormatInr(const Money& m);
// As FormatInr with a "+" on gains: "+₹1,120.93", "−₹707.02", "₹0.00".
std::string FormatInrSigned(const Money& m);
// A rupee amount that is already a double (an expectancy, an average from statistics),
// rounded to the paisa: "−₹76.30". Not finite: "—".
std::string FormatInrApprox(double rupees);
// `pct` in percent units: +7.53%, −7.53%; a value that rounds to zero is "0.00%".
// Not finite: "—".
std::string FormatSignedPct(double pct, int decimals = 2);
// A share or level in percent units, without "+": "42.46%", "−3.10%". Not finite: "—".
std::string FormatPct(double pct, int decimals = 2);
// A plain ratio (Sharpe, profit factor): "1.71", "−1.71". Not finite: "—".
std::string FormatRatio(double v, int decimals = 2);
// A price at `precision` decimals, rounded half away from zero: (28.175, 2) -> "28.18".
std::string FormatPrice(const Price& p, int precision);
// "2025-01-02 10:30 IST".
std::string FormatIstMinute(UnixNanos t);
// "2025-01-02".
std::string FormatIstDate(UnixNanos t);
// An instrument without its venue: "NIFTY2510223750CE.NFO" -> "NIFTY2510223750CE".
std::string InstrumentLabel(const InstrumentId& id);
// Text for HTML element content and attribute values.
std::string HtmlEscape(std::string_view s);
// "client_order_id" -> "Client order id" (for a key without a label of its own).
std::string Humanize(std::string_view key);

}  // namespace nacre
