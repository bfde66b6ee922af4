#include "apps/kite_emulator/historical.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <vector>

#include "adapters/zerodha/kite_json.h"
#include "core/fixed.h"

namespace nacre::kite_emu {

namespace {

using nlohmann::json;

constexpr DurationNs kSessionOpen = 9 * kNanosPerHour + 15 * kNanosPerMinute;  // 09:15 IST

constexpr std::array<KiteInterval, 8> kIntervals = {{
    {"minute", 1 * kNanosPerMinute, 60},
    {"3minute", 3 * kNanosPerMinute, 100},
    {"5minute", 5 * kNanosPerMinute, 100},
    {"10minute", 10 * kNanosPerMinute, 100},
    {"15minute", 15 * kNanosPerMinute, 200},
    {"30minute", 30 * kNanosPerMinute, 200},
    {"60minute", 60 * kNanosPerMinute, 400},
    {"day", 0, 2000},
}};

KiteRefusal Input(std::string message) { return KiteRefusal{400, "InputException", std::move(message)}; }

UnixNanos IstMidnight(const CivilDate& d) { return FromIst(CivilDateTime{d, 0, 0, 0, 0}); }

// "yyyy-mm-dd hh:mm:ss" (IST) or "yyyy-mm-dd": its first instant, or for an end bound its
// last (through the whole day).
std::optional<UnixNanos> ParseBound(std::string_view text, bool end) {
  if (text.size() == 10) {
    auto d = ParseDate(text);
    if (!d.ok()) return std::nullopt;
    const UnixNanos midnight = IstMidnight(*d);
    return end ? midnight + (kNanosPerDay - 1) : midnight;
  }
  auto t = ParseKiteTime(text);
  if (!t.ok()) return std::nullopt;
  return *t;
}

// The start of the candle holding instant `t`: 09:15 IST plus a whole number of intervals
// (floored, so earlier data counts back from 09:15), or the IST day's midnight for "day".
std::int64_t BucketStart(UnixNanos t, const KiteInterval& iv) {
  const UnixNanos midnight = IstMidnight(IstDate(t));
  if (iv.length == 0) return midnight.value;
  const DurationNs off = t - (midnight + kSessionOpen);
  DurationNs q = off / iv.length;
  if (off % iv.length < 0) --q;
  return (midnight + kSessionOpen).value + q * iv.length;
}

struct Candle {
  Price open;
  Price high;
  Price low;
  Price close;
  Int128 volume = 0;  // raw at kFixedScale
};
using Candles = std::map<std::int64_t, Candle>;  // by start

void Add(Candles& candles, std::int64_t start, Price o, Price h, Price l, Price c,
         std::int64_t volume_raw) {
  auto [it, fresh] = candles.try_emplace(start, Candle{o, h, l, c, volume_raw});
  if (fresh) return;
  Candle& k = it->second;
  if (h > k.high) k.high = h;
  if (l < k.low) k.low = l;
  k.close = c;
  k.volume += volume_raw;
}

json VolumeJson(Int128 raw) {
  if (raw % kFixedScale == 0) return static_cast<std::int64_t>(raw / kFixedScale);
  const auto whole = static_cast<std::int64_t>(raw / kFixedScale);
  const auto frac = static_cast<std::int64_t>(raw % kFixedScale);
  return std::stod(fmt::format("{}.{:09}", whole, frac));  // the exact decimal's float
}

// Rank of a bar type among eligible ones: finer first, then LAST, MID, BID, ASK.
std::pair<DurationNs, int> BarRank(const BarType& t) {
  static constexpr std::array<int, 4> kByPriceType = {2, 3, 1, 0};  // kBid, kAsk, kMid, kLast
  return {t.spec().Interval(), kByPriceType[static_cast<std::size_t>(t.spec().price_type)]};
}

bool BarFits(const BarType& t, const KiteInterval& iv) {
  const DurationNs len = t.spec().Interval();
  if (len <= 0) return false;
  if (iv.length == 0) return len <= kNanosPerDay;
  return iv.length % len == 0;
}

// The window of candle starts to return and of data to read.
struct Window {
  std::int64_t first_start;  // candles start at or after
  std::int64_t last_start;   // and at or before
  UnixNanos read_from;       // data ts_init range (inclusive)
  UnixNanos read_to;
  UnixNanos now;
};

class Reader {
 public:
  Reader(const Catalog& catalog, const Instrument& instrument, const Window& w)
      : catalog_(catalog), id_(instrument.id.value()), w_(w) {}

  // Calls `f` with every item of `type` in the window, in ts_init order.
  template <typename F>
  std::optional<KiteRefusal> Each(CatalogDataType type, F&& f) const {
    CatalogQuery q;
    q.type = type;
    q.instruments = {id_};
    q.start = w_.read_from;
    q.end = w_.read_to;
    q.prefetch = false;
    auto stream = catalog_.Read(q);
    if (!stream.ok()) return Failed(stream.error());
    std::vector<MarketData> buf;
    for (;;) {
      const Status st = (*stream)->Next(buf, 4096);
      if (!st.ok()) return Failed(st.error());
      if (buf.empty()) return std::nullopt;
      for (const MarketData& d : buf) {
        if (TsInitOf(d) > w_.now) continue;
        f(d);
      }
    }
  }
  bool InWindow(std::int64_t start) const {
    return start >= w_.first_start && start <= w_.last_start;
  }

 private:
  static KiteRefusal Failed(const std::string& why) {
    return KiteRefusal{500, "GeneralException", "historical data unavailable: " + why};
  }
  const Catalog& catalog_;
  std::string id_;
  Window w_;
};

}  // namespace

std::optional<KiteInterval> ParseKiteInterval(std::string_view name) {
  for (const KiteInterval& iv : kIntervals) {
    if (iv.name == name) return iv;
  }
  return std::nullopt;
}

std::variant<json, KiteRefusal> HistoricalCandles(const Catalog& catalog,
                                                  const Instrument& instrument,
                                                  std::string_view interval,
                                                  std::string_view from, std::string_view to,
                                                  bool oi, UnixNanos now) {
  const std::optional<KiteInterval> iv = ParseKiteInterval(interval);
  if (!iv) return Input("invalid interval");
  const std::optional<UnixNanos> t0 = ParseBound(from, false);
  if (!t0) {
    return Input(fmt::format("invalid from date `{}` (expected yyyy-mm-dd hh:mm:ss)", from));
  }
  const std::optional<UnixNanos> t1 = ParseBound(to, true);
  if (!t1) return Input(fmt::format("invalid to date `{}` (expected yyyy-mm-dd hh:mm:ss)", to));
  if (*t0 > *t1) return Input("from date cannot be after to date");
  const std::int64_t days = IstDayNumber(*t1) - IstDayNumber(*t0);
  if (days > iv->max_days) {
    return Input(fmt::format("interval exceeds max limit: {} days", iv->max_days));
  }

  Window w{};
  w.now = now;
  if (iv->length == 0) {
    w.first_start = IstMidnight(IstDate(*t0)).value;
    w.last_start = IstMidnight(IstDate(*t1)).value;
    w.read_from = UnixNanos(w.first_start);
    w.read_to = UnixNanos(w.last_start + kNanosPerDay);
  } else {
    w.first_start = t0->value;
    w.last_start = BucketStart(*t1, *iv);
    w.read_from = *t0;
    w.read_to = UnixNanos(w.last_start + iv->length);  // the last bar closes here
  }
  w.read_to = std::min(w.read_to, now);
  json candles = json::array();
  if (w.read_to < w.read_from) return json{{"candles", candles}};
  const Reader reader(catalog, instrument, w);

  // 1. Bars, per bar type; the best eligible type with data wins.
  std::map<BarType, Candles> by_type;
  if (auto failed = reader.Each(CatalogDataType::kBar, [&](const MarketData& d) {
        const Bar* b = std::get_if<Bar>(&d);
        if (b == nullptr || !BarFits(b->bar_type, *iv)) return;
        const std::int64_t start = BucketStart(b->ts_event, *iv);
        if (!reader.InWindow(start)) return;
        Add(by_type[b->bar_type], start, b->open, b->high, b->low, b->close, b->volume.raw());
      })) {
    return *failed;
  }
  const Candles* chosen = nullptr;
  const BarType* chosen_type = nullptr;
  for (const auto& [type, c] : by_type) {
    if (chosen_type == nullptr || BarRank(type) < BarRank(*chosen_type)) {
      chosen_type = &type;
      chosen = &c;
    }
  }
  Candles ticks;
  // 2. Trades, else 3. quote mids.
  if (chosen == nullptr) {
    if (auto failed = reader.Each(CatalogDataType::kTrade, [&](const MarketData& d) {
          const TradeTick* t = std::get_if<TradeTick>(&d);
          if (t == nullptr) return;
          const std::int64_t start = BucketStart(t->ts_init, *iv);
          if (!reader.InWindow(start)) return;
          Add(ticks, start, t->price, t->price, t->price, t->price, t->size.raw());
        })) {
      return *failed;
    }
    if (ticks.empty()) {
      if (auto failed = reader.Each(CatalogDataType::kQuote, [&](const MarketData& d) {
            const QuoteTick* q = std::get_if<QuoteTick>(&d);
            if (q == nullptr) return;
            const std::int64_t start = BucketStart(q->ts_init, *iv);
            if (!reader.InWindow(start)) return;
            const Price mid = q->Mid();
            Add(ticks, start, mid, mid, mid, mid, 0);
          })) {
        return *failed;
      }
    }
    chosen = &ticks;
  }
  for (const auto& [start, k] : *chosen) {
    json row = json::array({KiteCandleTimeText(UnixNanos(start)), KitePriceJson(k.open),
                            KitePriceJson(k.high), KitePriceJson(k.low), KitePriceJson(k.close),
                            VolumeJson(k.volume)});
    if (oi) row.push_back(0);
    candles.push_back(std::move(row));
  }
  return json{{"candles", std::move(candles)}};
}

}  // namespace nacre::kite_emu
