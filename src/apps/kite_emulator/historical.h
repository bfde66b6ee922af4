// Kite's historical candles (GET /instruments/historical/:token/:interval, KITE_CONNECT.md §2)
// answered from a Nacre catalog, pure: the route parses the path and query and passes the
// instrument, the strings as received and the emulator's virtual time.
//
// Protocol decisions:
// - Intervals: minute, 3minute, 5minute, 10minute, 15minute, 30minute, 60minute, day; anything
//   else is 400 InputException "invalid interval".
// - `from` and `to` are "yyyy-mm-dd hh:mm:ss" in IST, or "yyyy-mm-dd" (a bare `from` is the
//   day's first instant, a bare `to` runs through the whole day). Unparseable: 400
//   InputException "invalid from date" / "invalid to date" (with the text and the expected
//   form); `from` after `to`: 400 InputException "from date cannot be after to date".
// - Span limits, in calendar days between the IST dates of `from` and `to`: minute 60;
//   3/5/10minute 100; 15/30minute 200; 60minute 400; day 2000. Beyond: 400 InputException
//   "interval exceeds max limit: N days" (Kite's documented limits; the wording is ours, as
//   the exact text Kite sends could not be confirmed). So 2024-01-01 → 2024-03-01 (60 days)
//   passes for minute candles and 2024-01-01 → 2024-03-02 is refused.
// - Buckets follow NSE's session: intraday candles are aligned to 09:15 IST (60minute candles
//   start 09:15, 10:15, …; data before 09:15 falls in buckets counted back from 09:15); day
//   candles are one per IST calendar day stamped at its 00:00 IST, as Kite stamps them.
//   A candle is returned when its start lies in [from, to] (day candles: when its date lies
//   between the dates of `from` and `to`).
// - Nothing after `now` is used: only data with ts_init ≤ now (a bar's ts_init is its close),
//   so the candle in progress shows what is known so far, as Kite's live candle does.
// - The source is the first of these the catalog holds for the instrument in the window:
//   1. bars: of the instrument's bar types whose length divides the interval (for day: any
//      intraday or daily bar), the finest (ties: LAST, then MID, BID, ASK prices); a bar falls
//      in the bucket of its open time (ts_event); volume is the bars' volume summed;
//   2. trade ticks: prices and sizes, bucketed by ts_init;
//   3. quote ticks only: candles of the quote mids (QuoteTick::Mid(), exact, one decimal finer
//      than the quotes) with volume 0.
//   o = first open, h = max high, l = min low, c = last close; prices are compared as fixed
//   point, never as doubles, and written with KitePriceJson (integer when whole, else the
//   shortest float of the exact decimal). Volume is an integer (a fractional volume is written
//   as the float of its exact decimal).
// - `oi`: each candle gets a 7th element, the open interest; the catalog holds none, so 0.
// - An empty window answers {"candles": []} (Kite does the same for days without trading).
// - A catalog read failure is 500 GeneralException naming the error.
// - `continuous` is not handled here (the route may refuse or ignore it).
#pragma once

#include <optional>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "apps/kite_emulator/sessions.h"
#include "core/time.h"
#include "model/instrument.h"
#include "persistence/catalog.h"

namespace nacre::kite_emu {

// A refusal Kite would send: HTTP status, error_type and message (the sessions' shape, so a
// route answers every refusal the same way).
using KiteRefusal = SessionRefusal;

// One Kite candle interval: its name, its length (0 for "day") and its span limit in days.
struct KiteInterval {
  std::string_view name;
  DurationNs length = 0;  // 0: one candle per IST day
  int max_days = 0;
};
// The interval named `name`, or nullopt.
std::optional<KiteInterval> ParseKiteInterval(std::string_view name);

// The response's `data` ({"candles": [...]}) or the refusal.
std::variant<nlohmann::json, KiteRefusal> HistoricalCandles(const Catalog& catalog,
                                                            const Instrument& instrument,
                                                            std::string_view interval,
                                                            std::string_view from,
                                                            std::string_view to, bool oi,
                                                            UnixNanos now);

}  // namespace nacre::kite_emu
