#include "apps/kite_emulator/emulator.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "adapters/zerodha/kite_errors.h"
#include "adapters/zerodha/kite_instrument_map.h"
#include "adapters/zerodha/kite_json.h"
#include "adapters/zerodha/kite_url.h"
#include "apps/kite_emulator/answers.h"
#include "apps/kite_emulator/historical.h"
#include "apps/kite_emulator/market.h"
#include "apps/kite_emulator/oms.h"
#include "net/gzip.h"

namespace nacre::kite_emu {

namespace {

using nlohmann::json;

net::HttpResponse Failure(const SessionRefusal& r) {
  return KiteFailure(r.status, r.error_type, r.message);
}

// The user fields the profile and the session answer share.
json UserFields(const KiteUser& u) {
  return json{{"user_id", u.user_id},
              {"user_type", "individual"},
              {"email", u.email},
              {"user_name", u.user_name},
              {"user_shortname", u.user_shortname},
              {"broker", "ZERODHA"},
              {"exchanges", {"NSE", "NFO", "BSE", "BFO", "CDS", "MCX", "BCD", "MF"}},
              {"products", {"CNC", "NRML", "MIS", "BO", "CO"}},
              {"order_types", {"MARKET", "LIMIT", "SL", "SL-M"}},
              {"meta", {{"demat_consent", "physical"}}}};
}


}  // namespace

std::map<std::string, std::string> ParseForm(std::string_view text) {
  return ParseFormFields(text);
}

std::vector<std::string> FormValues(std::string_view text, std::string_view key) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('&', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view pair = text.substr(start, end - start);
    const std::size_t eq = pair.find('=');
    if (!pair.empty() && PercentDecode(pair.substr(0, eq)) == key) {
      out.push_back(eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1)));
    }
    start = end + 1;
  }
  return out;
}

KiteEmulator::KiteEmulator(EmulatorConfig config, std::function<UnixNanos()> clock)
    : config_(std::move(config)), clock_(std::move(clock)), sessions_(config_.user, config_.seed) {}

net::HttpResponse KiteEmulator::Handle(const net::HttpRequest& request) {
  const std::string& target = request.target;
  const std::size_t q = target.find('?');
  const std::string path = target.substr(0, q);
  const std::string query = q == std::string::npos ? "" : target.substr(q + 1);
  const std::string& m = request.method;
  if (path == "/__emu/health") return KiteSuccess(json{{"ok", true}});
  if (path == "/__emu/subscriptions") {
    return KiteSuccess(subscriptions_view_ ? subscriptions_view_() : json::array());
  }
  if (m == "GET" && path == "/connect/login") return Login(query);
  if (m == "POST" && path == "/session/token") return SessionToken(request);
  if (m == "DELETE" && path == "/session/token") return Logout(query);
  if (m == "POST" && path == "/session/refresh_token") {
    // Kite issues refresh tokens only to approved platforms; like Kite for an individual
    // user, the emulator's sessions carry an empty refresh_token, so a renewal is refused
    // (after the same field checks as the token exchange).
    const auto form = ParseForm(request.body);
    for (const char* k : {"api_key", "refresh_token", "checksum"}) {
      if (FormField(form, k).empty()) {
        return KiteFailure(400, "InputException", std::string("Missing `") + k + "`.");
      }
    }
    return KiteFailure(403, "TokenException", "Invalid `refresh_token`.");
  }
  // Everything else needs "Authorization: token api_key:access_token".
  const std::string auth = request.Header("Authorization");
  const std::size_t colon = auth.find(':');
  if (auth.rfind("token ", 0) != 0 || colon == std::string::npos) {
    return KiteFailure(403, "TokenException", "Missing or invalid `Authorization` header.");
  }
  const UnixNanos now = clock_();
  if (auto refused = sessions_.Check(auth.substr(6, colon - 6), auth.substr(colon + 1), now)) {
    return Failure(*refused);
  }
  // Kite's per-key limits by route class: quotes 1/s, everything else here 10/s combined.
  const bool quote = path == "/quote" || path.rfind("/quote/", 0) == 0;
  const bool historical = path.rfind("/instruments/historical/", 0) == 0;
  // Order placement, modification and cancellation: 10/s, 400/min, 5,000/day.
  const bool order = (m == "POST" || m == "PUT" || m == "DELETE") && path.rfind("/orders/", 0) == 0;
  const UnixNanos wall = limit_clock_ ? limit_clock_() : now;
  net::RateLimiter& limit = quote        ? quote_limit_
                            : historical ? historical_limit_
                            : order      ? order_limit_
                                         : other_limit_;
  if (!limit.TryAcquire(wall)) return KiteFailure(429, "NetworkException", "Too many requests");
  if (m == "GET" && historical) return Historical(path, query);
  if (m == "GET" && quote) return Quote(path, query);
  if (oms_ != nullptr) {
    if (auto r = oms_->Handle(request, path, query, now)) return *r;
  }
  if (m == "GET" && path == "/user/profile") return Profile();
  if (m == "GET" && path == "/user/margins") return Margins("");
  if (auto exchange = InstrumentsDumpExchange(m, path)) {
    return Instruments(request, *exchange, KiteInstrumentDay(now));
  }
  if (m == "GET" && path.rfind("/user/margins/", 0) == 0) return Margins(path.substr(14));
  return KiteFailure(404, "GeneralException", "Route not found");
}

net::HttpResponse KiteEmulator::Login(const std::string& query) {
  const auto form = ParseForm(query);
  const auto key = form.find("api_key");
  auto token = sessions_.Login(key == form.end() ? "" : key->second, clock_());
  if (const auto* refused = std::get_if<SessionRefusal>(&token)) return Failure(*refused);
  net::HttpResponse r;
  r.status = 302;
  const char sep = config_.redirect_url.find('?') == std::string::npos ? '?' : '&';
  r.headers = {{"Location", config_.redirect_url + sep + "request_token=" +
                                std::get<std::string>(token) + "&action=login&status=success"}};
  return r;
}

net::HttpResponse KiteEmulator::SessionToken(const net::HttpRequest& request) {
  const auto form = ParseForm(request.body);
  auto get = [&](const char* k) { return FormField(form, k); };
  for (const char* k : {"api_key", "request_token", "checksum"}) {
    if (get(k).empty()) return KiteFailure(400, "InputException", std::string("Missing `") + k + "`.");
  }
  const UnixNanos now = clock_();
  auto access = sessions_.Exchange(get("api_key"), get("request_token"), get("checksum"), now);
  if (const auto* refused = std::get_if<SessionRefusal>(&access)) return Failure(*refused);
  json data = UserFields(sessions_.user());
  data["avatar_url"] = "abc";
  data["api_key"] = sessions_.user().api_key;
  data["access_token"] = std::get<std::string>(access);
  data["public_token"] = std::get<std::string>(access).substr(0, 16);
  data["enctoken"] = "";
  data["refresh_token"] = "";
  data["silo"] = "";
  data["login_time"] = KiteTimeText(now);
  return KiteSuccess(data);
}

net::HttpResponse KiteEmulator::Logout(const std::string& query) {
  const auto form = ParseForm(query);
  auto get = [&](const char* k) { return FormField(form, k); };
  if (auto refused = sessions_.Logout(get("api_key"), get("access_token"), clock_())) {
    return Failure(*refused);
  }
  return KiteSuccess(true);
}

net::HttpResponse KiteEmulator::Profile() const {
  json data = UserFields(sessions_.user());
  data["avatar_url"] = nullptr;
  return KiteSuccess(data);
}

net::HttpResponse KiteEmulator::Margins(const std::string& segment) const {
  auto one = [](const Money& cash) {
    return json{{"enabled", true},
                {"net", KiteMoneyJson(cash)},
                {"available",
                 {{"adhoc_margin", 0},
                  {"cash", KiteMoneyJson(cash)},
                  {"opening_balance", KiteMoneyJson(cash)},
                  {"live_balance", KiteMoneyJson(cash)},
                  {"collateral", 0},
                  {"intraday_payin", 0}}},
                {"utilised",
                 {{"debits", 0}, {"exposure", 0}, {"m2m_realised", 0}, {"m2m_unrealised", 0},
                  {"option_premium", 0}, {"payout", 0}, {"span", 0}, {"holding_sales", 0},
                  {"turnover", 0}, {"liquid_collateral", 0}, {"stock_collateral", 0},
                  {"delivery", 0}}}};
  };
  const json equity = oms_ != nullptr ? oms_->EquityMargins() : one(config_.cash);
  const json commodity = one(Money::Zero());
  if (segment.empty()) return KiteSuccess(json{{"equity", equity}, {"commodity", commodity}});
  if (segment == "equity") return KiteSuccess(equity);
  if (segment == "commodity") return KiteSuccess(commodity);
  return KiteFailure(400, "InputException", "Invalid segment `" + segment + "`.");
}

net::HttpResponse KiteEmulator::Quote(const std::string& path, const std::string& query) const {
  enum { kFull, kOhlc, kLtp } kind;
  if (path == "/quote") {
    kind = kFull;
  } else if (path == "/quote/ohlc") {
    kind = kOhlc;
  } else if (path == "/quote/ltp") {
    kind = kLtp;
  } else {
    return KiteFailure(404, "GeneralException", "Route not found");
  }
  const std::vector<std::string> keys = FormValues(query, "i");
  if (keys.empty()) return KiteFailure(400, "InputException", "No instruments (`i`) given.");
  const std::size_t limit = kind == kFull ? 500 : 1000;
  if (keys.size() > limit) {
    return KiteFailure(400, "InputException",
                   fmt::format("Too many instruments: {} given, at most {} allowed.", keys.size(),
                               limit));
  }
  json data = json::object();
  for (const std::string& key : keys) {
    // "EXCHANGE:SYMBOL"; an instrument token alone is accepted too, as Kite does.
    const TokenState* s = nullptr;
    if (market_ != nullptr) {
      s = market_->ByKey(key);
      if (s == nullptr && !key.empty() && key.find_first_not_of("0123456789") == std::string::npos &&
          key.size() < 10) {
        s = market_->ByToken(static_cast<std::uint32_t>(std::stoul(key)));
      }
    }
    if (s == nullptr || !s->seen()) continue;  // unknown, or no data yet: absent, as Kite does
    data[key] = kind == kFull ? market_->QuoteJson(*s)
                : kind == kOhlc ? market_->OhlcJson(*s)
                                : market_->LtpJson(*s);
  }
  return KiteSuccess(data);
}

net::HttpResponse KiteEmulator::Historical(const std::string& path,
                                           const std::string& query) const {
  // /instruments/historical/:token/:interval
  const std::string rest = path.substr(std::string_view("/instruments/historical/").size());
  const std::size_t slash = rest.find('/');
  const std::string token_text = rest.substr(0, slash);
  const std::string interval = slash == std::string::npos ? "" : rest.substr(slash + 1);
  const TokenState* s = nullptr;
  if (market_ != nullptr && !token_text.empty() && token_text.size() < 11 &&
      token_text.find_first_not_of("0123456789") == std::string::npos) {
    const unsigned long long t = std::stoull(token_text);
    if (t <= UINT32_MAX) s = market_->ByToken(static_cast<std::uint32_t>(t));
  }
  if (s == nullptr) {
    return KiteFailure(400, "InputException", "invalid token `" + token_text + "`");
  }
  const auto form = ParseForm(query);
  if (FormField(form, "continuous") == "1" &&
      s->instrument->instrument_class != InstrumentClass::kFuture) {
    return KiteFailure(400, "InputException", "continuous data is available only for futures");
  }
  if (catalog_ == nullptr) return KiteSuccess(json{{"candles", json::array()}});
  auto out = HistoricalCandles(*catalog_, *s->instrument, interval, FormField(form, "from"),
                               FormField(form, "to"), FormField(form, "oi") == "1", clock_());
  if (const auto* refused = std::get_if<KiteRefusal>(&out)) return Failure(*refused);
  return KiteSuccess(std::get<json>(out));
}

std::optional<std::string> InstrumentsDumpExchange(std::string_view method,
                                                   std::string_view path) {
  if (method != "GET") return std::nullopt;
  if (path == "/instruments") return std::string();
  constexpr std::string_view kPrefix = "/instruments/";
  if (path.rfind(kPrefix, 0) != 0 || path == "/instruments/historical") return std::nullopt;
  const std::string_view exchange = path.substr(kPrefix.size());
  if (exchange.find('/') != std::string_view::npos) return std::nullopt;
  return std::string(exchange);
}

net::HttpResponse KiteEmulator::InstrumentsOfDay(const net::HttpRequest& request,
                                                 const std::string& exchange,
                                                 std::int64_t days_back) const {
  return Instruments(request, exchange, KiteInstrumentDay(clock_()) - days_back);
}

net::HttpResponse KiteEmulator::Instruments(const net::HttpRequest& request,
                                            const std::string& exchange, std::int64_t day) const {
  // The Kite day's dump: listed by that day, not expired before it.
  const CivilDate date = CivilFromDays(day);
  const std::string today = fmt::format("{:04}-{:02}-{:02}", date.year, date.month, date.day);
  std::vector<KiteInstrumentRow> rows;
  for (const KiteInstrumentRow& r : config_.instruments) {
    if (!exchange.empty() && r.exchange != exchange) continue;
    if (!r.expiry.empty() && r.expiry < today) continue;
    const auto listed = config_.listed_from.find(r.tradingsymbol);
    if (listed != config_.listed_from.end() && IstDayNumber(listed->second) > day) continue;
    rows.push_back(r);
  }
  net::HttpResponse out;
  // Exactly text/csv: the JS client parses the dump only with this content type.
  out.headers = {{"Content-Type", "text/csv"}};
  out.body = WriteKiteInstrumentsCsv(rows);
  // Kite sends the dump gzip-encoded; here only to a client that says it accepts gzip.
  if (net::AcceptsGzip(request)) {
    out.body = net::GzipCompress(out.body);
    out.headers.emplace_back("Content-Encoding", "gzip");
  }
  return out;
}

}  // namespace nacre::kite_emu
