// Kite JSON values as Nacre reads and writes them (KITE_CONNECT.md §2): prices arrive as JSON
// integers or floats (1704.5, 1705) and become exact fixed-point Prices here, the one place a
// double from Kite is converted (rounded at the price precision, refused when the number has
// more decimals than that); order, quote and trade times are "YYYY-MM-DD HH:MM:SS" in IST with
// no zone; candle times are ISO with a +0530 offset.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "core/time.h"
#include "model/money.h"

namespace nacre {

// `v` (an integer or a float) as a Price of `precision` decimals; an error naming `field` for
// anything else, a negative price, or a value off the precision's grid.
Result<Price> KitePrice(const nlohmann::json& v, std::string_view field, int precision = 2);
// The JSON number Kite would send for `p`: an integer when whole, else a float.
nlohmann::json KitePriceJson(const Price& p);

// "2021-07-05 10:41:27" (IST) ↔ UnixNanos; an error quotes the text.
Result<UnixNanos> ParseKiteTime(std::string_view text);
std::string KiteTimeText(UnixNanos t);
// "2017-12-15T09:15:00+0530" ↔ UnixNanos.
Result<UnixNanos> ParseKiteCandleTime(std::string_view text);
std::string KiteCandleTimeText(UnixNanos t);

}  // namespace nacre
