// The Kite Connect emulator's REST side (issue 13; LIVE.md §10), growing route by route. So far:
// login redirect, session token exchange and logout, profile, margins (cash only until orders
// exist), and the control plane's health. Every answer uses Kite's envelope, content type and
// error types (adapters/zerodha/kite_errors.h). Handle() runs on the I/O thread that serves it;
// time is the injected clock's (the emulator's virtual market time).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/zerodha/kite_instruments.h"
#include "apps/kite_emulator/sessions.h"
#include "model/money.h"
#include "net/http.h"
#include "net/rate_limiter.h"

namespace nacre {
class Catalog;
}

namespace nacre::kite_emu {

class Market;
class Oms;

struct EmulatorConfig {
  KiteUser user;
  // Where /connect/login sends the browser, with ?request_token=…&action=login&status=success.
  std::string redirect_url = "http://127.0.0.1/kite-redirect";
  std::uint64_t seed = 1;
  Money cash = Money::FromInt(400'000);  // the equity segment's opening balance
  // The instruments dump (instruments.h, from the catalog). GET /instruments serves the
  // dump of the Kite day (KiteInstrumentDay: Kite publishes each day's before 08:30 IST):
  // the rows listed by then (listed_from: tradingsymbol → the catalog instrument's
  // activation; a row not there is always listed) and not yet expired (expiry on or after
  // that day), as Kite's dump lists contracts from their listing to their expiry day.
  std::vector<KiteInstrumentRow> instruments;
  std::map<std::string, UnixNanos> listed_from;
};

// For `GET /instruments` and `GET /instruments/:exchange` (the instruments dump), the exchange
// asked for ("" for every exchange); nullopt for any other route.
std::optional<std::string> InstrumentsDumpExchange(std::string_view method,
                                                   std::string_view path);

class KiteEmulator {
 public:
  KiteEmulator(EmulatorConfig config, std::function<UnixNanos()> clock);
  net::HttpResponse Handle(const net::HttpRequest& request);
  SessionStore& sessions() { return sessions_; }
  // The control plane's /__emu/subscriptions answer (the ticker's connections and their
  // tokens and modes), given by whoever runs the ticker.
  // The replayed market the quote routes read (null: no market; quotes are empty).
  void SetMarket(const Market* market) { market_ = market; }
  // The order side (orders, trades, positions, margins, charges; null: those routes are 404
  // and /user/margins shows the opening cash).
  void SetOms(Oms* oms) { oms_ = oms; }
  // The catalog historical candles are read from (null: none).
  void SetCatalog(const Catalog* catalog) { catalog_ = catalog; }
  // The clock rate limits run on: wall time, as Kite's limits are (default: the market clock).
  // A paused or fast replay must not change what a client may send per second.
  void SetLimitClock(std::function<UnixNanos()> clock) { limit_clock_ = std::move(clock); }
  // The instruments dump of `exchange` ("" for all; InstrumentsDumpExchange) of the Kite day
  // `days_back` days before the current one: the fault plan's old_dump (a dump read before
  // Kite replaced it). The caller has had the request through Handle (auth, limits).
  net::HttpResponse InstrumentsOfDay(const net::HttpRequest& request, const std::string& exchange,
                                     std::int64_t days_back) const;
  void SetSubscriptionsView(std::function<nlohmann::json()> view) {
    subscriptions_view_ = std::move(view);
  }

 private:
  net::HttpResponse Login(const std::string& query);
  net::HttpResponse SessionToken(const net::HttpRequest& request);
  net::HttpResponse Logout(const std::string& query);
  net::HttpResponse Profile() const;
  net::HttpResponse Margins(const std::string& segment) const;
  net::HttpResponse Instruments(const net::HttpRequest& request, const std::string& exchange,
                                std::int64_t day) const;
  // /instruments/historical/:token/:interval (from the catalog, Kite's span limits).
  net::HttpResponse Historical(const std::string& path, const std::string& query) const;
  // /quote (≤ 500 instruments), /quote/ohlc and /quote/ltp (≤ 1,000).
  net::HttpResponse Quote(const std::string& path, const std::string& query) const;

  EmulatorConfig config_;
  std::function<UnixNanos()> clock_;
  std::function<UnixNanos()> limit_clock_;
  SessionStore sessions_;
  // Kite's per-key rate limits (orders and quotes get theirs with their routes); past them a
  // request is answered 429 NetworkException and not processed.
  net::RateLimiter other_limit_ = net::KiteOtherLimiter();
  net::RateLimiter quote_limit_ = net::KiteQuoteLimiter();
  net::RateLimiter historical_limit_ = net::KiteHistoricalLimiter();
  const Catalog* catalog_ = nullptr;
  Oms* oms_ = nullptr;
  net::RateLimiter order_limit_ = net::KiteOrderLimiter();
  const Market* market_ = nullptr;
  std::function<nlohmann::json()> subscriptions_view_;
};

// "a=1&b=x%20y" → {{"a","1"},{"b","x y"}} (+ is a space; %XX decoded); a repeated key keeps
// its last value (adapters/zerodha/kite_url.h's ParseFormFields, the client's decoding too).
std::map<std::string, std::string> ParseForm(std::string_view text);
// Every value of `key` in order ("i=NSE:A&i=NFO:B" → {"NSE:A", "NFO:B"}).
std::vector<std::string> FormValues(std::string_view text, std::string_view key);

}  // namespace nacre::kite_emu
