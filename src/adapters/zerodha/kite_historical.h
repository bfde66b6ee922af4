// Kite's historical candles for warming up bar indicators at start (KITE_CONNECT.md §2):
// GET /instruments/historical/:token/:interval?from=..&to=..[&oi=1], one request per window
// within Kite's span limit for the interval (minute 60 days; 3/5/10minute 100; 15/30minute
// 200; 60minute 400; day 2000), a longer range split into consecutive windows and the candles
// merged in time order (a candle on a window boundary kept once). Candle times are ISO with
// +0530 (ParseKiteCandleTime); prices become exact Prices (KitePrice). The request goes
// through `send` (net::HttpClient directly, or a REST client that rate limits historical
// requests to Kite's 3/s): nothing here paces or retries. Pure apart from `send`; any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "model/data.h"
#include "model/money.h"
#include "net/http.h"

namespace nacre {

struct KiteCandle {
  UnixNanos time;  // the candle's open
  Price open, high, low, close;
  std::int64_t volume = 0;
  std::optional<std::int64_t> oi;
};

// Kite's longest span in days for one request of `interval`, or nullopt for an unknown interval.
std::optional<int> KiteCandleSpanDays(std::string_view interval);
// The request windows covering [from, to] (inclusive), each within the interval's span; the
// next window starts one second after the previous ends. An unknown interval or to < from is
// an error naming it.
Result<std::vector<std::pair<UnixNanos, UnixNanos>>> KiteCandleWindows(std::string_view interval,
                                                                       UnixNanos from,
                                                                       UnixNanos to);
// The `data` of a historical answer ({"candles":[[ts, o, h, l, c, v(, oi)], ...]}); errors name
// `source` and the candle's index.
Result<std::vector<KiteCandle>> ParseKiteCandles(const nlohmann::json& data,
                                                 std::string_view source, int precision = 2);

using KiteSend = std::function<Result<net::HttpResponse>(const net::HttpRequest&)>;

struct KiteCandleRequest {
  std::string api_key;
  std::string access_token;  // secret (sent in the Authorization header only)
  std::uint32_t instrument_token = 0;
  std::string interval = "minute";
  UnixNanos from, to;
  bool oi = false;
  int precision = 2;
};

// Every candle of the range, fetching window by window; the first failure is returned (an
// error names the window and the status; Kite's message is kept, the token never shown).
Result<std::vector<KiteCandle>> FetchCandles(const KiteSend& send, const KiteCandleRequest& r);

// Candles as Nacre bars of `bar_type` (ts_event the open, ts_init = open + the bar type's
// interval, as Nacre stamps a bar at its close). An invalid candle (high below open, ...) is an
// error naming its time.
Result<std::vector<Bar>> KiteCandlesToBars(const std::vector<KiteCandle>& candles,
                                           const BarType& bar_type);

}  // namespace nacre
