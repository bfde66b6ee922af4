#include "adapters/zerodha/kite_historical.h"

#include <fmt/format.h>

#include <algorithm>

#include "adapters/zerodha/kite_errors.h"
#include "adapters/zerodha/kite_json.h"
#include "core/secrets.h"

namespace nacre {

std::optional<int> KiteCandleSpanDays(std::string_view interval) {
  if (interval == "minute") return 60;
  if (interval == "3minute" || interval == "5minute" || interval == "10minute") return 100;
  if (interval == "15minute" || interval == "30minute") return 200;
  if (interval == "60minute") return 400;
  if (interval == "day") return 2000;
  return std::nullopt;
}

Result<std::vector<std::pair<UnixNanos, UnixNanos>>> KiteCandleWindows(std::string_view interval,
                                                                       UnixNanos from,
                                                                       UnixNanos to) {
  const std::optional<int> days = KiteCandleSpanDays(interval);
  if (!days) {
    return MakeError(fmt::format(
        "historical: unknown interval '{}' (expected minute, 3minute, 5minute, 10minute, "
        "15minute, 30minute, 60minute or day)",
        interval));
  }
  if (to < from) {
    return MakeError(
        fmt::format("historical: to {} is before from {}", KiteTimeText(to), KiteTimeText(from)));
  }
  std::vector<std::pair<UnixNanos, UnixNanos>> out;
  const DurationNs span = static_cast<DurationNs>(*days) * kNanosPerDay;
  for (UnixNanos start = from; start <= to;) {
    const UnixNanos end = to - start > span ? start + span : to;
    out.emplace_back(start, end);
    start = end + kNanosPerSecond;
  }
  return out;
}

Result<std::vector<KiteCandle>> ParseKiteCandles(const nlohmann::json& data,
                                                 std::string_view source, int precision) {
  if (!data.is_object() || !data.contains("candles") || !data["candles"].is_array()) {
    return MakeError(fmt::format("{}: no `candles` array", source));
  }
  std::vector<KiteCandle> out;
  const nlohmann::json& candles = data["candles"];
  for (std::size_t i = 0; i < candles.size(); ++i) {
    const nlohmann::json& c = candles[i];
    auto where = [&](std::string_view what) {
      return fmt::format("{}: candle {}: {}", source, i, what);
    };
    if (!c.is_array() || c.size() < 6 || c.size() > 7 || !c[0].is_string()) {
      return MakeError(where("expected [time, open, high, low, close, volume(, oi)]"));
    }
    KiteCandle k;
    auto t = ParseKiteCandleTime(c[0].get<std::string>());
    if (!t) return MakeError(where(t.error()));
    k.time = *t;
    Price* fields[] = {&k.open, &k.high, &k.low, &k.close};
    const char* names[] = {"open", "high", "low", "close"};
    for (int f = 0; f < 4; ++f) {
      auto p = KitePrice(c[static_cast<std::size_t>(f) + 1], names[f], precision);
      if (!p) return MakeError(where(p.error()));
      *fields[f] = *p;
    }
    if (!c[5].is_number_integer() || c[5].get<std::int64_t>() < 0) {
      return MakeError(where("volume is not a non-negative integer"));
    }
    k.volume = c[5].get<std::int64_t>();
    if (c.size() == 7) {
      if (!c[6].is_number_integer()) return MakeError(where("oi is not an integer"));
      k.oi = c[6].get<std::int64_t>();
    }
    out.push_back(k);
  }
  return out;
}

Result<std::vector<KiteCandle>> FetchCandles(const KiteSend& send, const KiteCandleRequest& r) {
  RegisterSecret(r.access_token);
  auto windows = KiteCandleWindows(r.interval, r.from, r.to);
  if (!windows) return std::move(windows).take_error();
  std::vector<KiteCandle> all;
  for (const auto& [from, to] : *windows) {
    auto text = [](UnixNanos t) {
      std::string s = KiteTimeText(t);
      std::replace(s.begin(), s.end(), ' ', '+');  // form-encoded, as the official clients send
      return s;
    };
    net::HttpRequest req;
    req.method = "GET";
    req.target = fmt::format("/instruments/historical/{}/{}?from={}&to={}&oi={}",
                             r.instrument_token, r.interval, text(from), text(to), r.oi ? 1 : 0);
    req.headers = {{"X-Kite-Version", "3"},
                   {"Authorization", fmt::format("token {}:{}", r.api_key, r.access_token)}};
    const std::string window = fmt::format("historical {} {} {} to {}", r.instrument_token,
                                           r.interval, KiteTimeText(from), KiteTimeText(to));
    auto resp = send(req);
    if (!resp) return MakeError(Redact(fmt::format("{}: {}", window, resp.error())));
    auto reply = ParseKiteEnvelope(resp->status, resp->Header("Content-Type"), resp->body);
    if (!reply) return MakeError(Redact(fmt::format("{}: {}", window, reply.error())));
    auto candles = ParseKiteCandles(reply->data, window, r.precision);
    if (!candles) return std::move(candles).take_error();
    for (KiteCandle& c : *candles) {
      // A candle on a window boundary comes once.
      if (!all.empty() && c.time <= all.back().time) continue;
      all.push_back(c);
    }
  }
  return all;
}

Result<std::vector<Bar>> KiteCandlesToBars(const std::vector<KiteCandle>& candles,
                                           const BarType& bar_type) {
  std::vector<Bar> out;
  out.reserve(candles.size());
  const DurationNs interval = bar_type.spec().Interval();
  for (const KiteCandle& c : candles) {
    Bar b{bar_type, c.open,           c.high, c.low, c.close, Quantity::FromInt(c.volume),
          c.time,   c.time + interval};
    if (Status s = ValidateBar(b); !s) {
      return MakeError(fmt::format("candle at {}: {}", KiteCandleTimeText(c.time), s.error()));
    }
    out.push_back(b);
  }
  return out;
}

}  // namespace nacre
