// KiteRestClient (LIVE.md §7, KITE_CONNECT.md §2-§3): Kite Connect's REST API over keep-alive
// HTTP/1.1 (net::HttpClient: deadlines, TLS verified), with Kite's rate limits kept on our side
// and every outcome classified so that no order placement is ever retried blindly.
//
// Lanes. Requests run on worker threads ("lanes"), each with its own connection: order
// commands (place, modify, cancel) on one, the order book and account reads on another, and
// quotes, historical candles and the instruments dump on a third, so a slow candle download
// never delays a cancel and a placement never waits behind a poll. Within a lane requests run
// in the order posted. Results come back through the caller's callback on the lane's thread
// (the adapter hands them to the kernel through its inbox) or, for Call(), to the caller.
//
// Rate limits, per API key, by endpoint class (net/rate_limiter.h): orders 10/s + 400/min +
// 5,000/day (placements, modifications and cancellations), quotes 1/s, historical 3/s,
// everything else 10/s. A request waits in its lane for its class's limiter (queueing, never
// refusing early) up to its `budget`; past it the outcome is kRateLimited. A 429 from Kite
// means "not processed": the request is sent again after a backoff (250 ms doubling, jittered)
// while the budget lasts.
//
// Outcomes. Kite answered success → kOk (data: the envelope's `data`). Kite answered with a
// definitive error (4xx with an error type) → kRefused with Kite's error type and message.
// 403 TokenException → kTokenExpired; from then on every request fails fast with
// kTokenExpired until SetAccessToken gives a new token (the node halts and waits for a login).
// The connection failed before a byte was written → nothing reached Kite: sent again while the
// budget lasts, else kNotSent. Anything after the request left (a timeout, a reset, a 5xx, a
// body that is not Kite's envelope) → kAmbiguous for POST/PUT/DELETE: the caller must find out
// (for a placement, by its tag in the order book) and never resend on its own. GETs change
// nothing, so an ambiguous GET is simply sent again while the budget lasts.
//
// Secrets: the access token (and anything secret-named) never appears in an outcome's message:
// every message is redacted (core/secrets.h), and the token is registered as a secret here.
// Thread contract: Post, Call, SetAccessToken, token_expired, stats from any thread; the
// callbacks run on lane threads and must not touch kernel objects (post to the inbox).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/zerodha/kite_errors.h"
#include "adapters/zerodha/kite_url.h"
#include "core/result.h"
#include "core/time.h"

namespace nacre {

enum class KiteRateClass : std::uint8_t { kOrders, kQuote, kHistorical, kOther };
std::string_view ToString(KiteRateClass c);
// The class Kite counts a request against: order commands (POST/PUT/DELETE /orders/...),
// /quote*, /instruments/historical/..., else other.
KiteRateClass KiteRateClassOf(std::string_view method, std::string_view path);

using KiteParams = std::vector<std::pair<std::string, std::string>>;

struct KiteCall {
  std::string method = "GET";  // GET, POST, PUT, DELETE
  std::string path;            // "/orders/regular", "/orders/123/trades"
  KiteParams params;           // the query (GET, DELETE) or the form body (POST, PUT)
  std::string json_body;       // a JSON body instead of a form (the margin calculators)
  DurationNs deadline = 7 * kNanosPerSecond;  // one attempt: connect, write, read
  // The whole request's time: rate-limit queueing, 429 backoffs and resends of what did not
  // reach Kite. Past it the outcome says why it gave up.
  DurationNs budget = 3 * kNanosPerSecond;
  bool decode_envelope = true;  // false: the raw body (the instruments CSV)
  // A GET whose answer was lost or was a 5xx is sent again while the budget lasts; false: the
  // caller retries on its own schedule (the daily instrument refresh), the outcome is kAmbiguous.
  bool resend_reads = true;
};

struct KiteOutcome {
  enum class Kind : std::uint8_t {
    kOk,            // Kite answered success
    kRefused,       // Kite answered a definitive error: the request did not take effect
    kTokenExpired,  // 403 TokenException (or an earlier one not yet cleared by a new token)
    kRateLimited,   // never processed: rate-limited past the budget
    kNotSent,       // never processed: no connection could be made within the budget
    kAmbiguous,     // may have taken effect: the caller must look before acting again
  };
  Kind kind = Kind::kOk;
  int http_status = 0;
  nlohmann::json data;  // kOk: the envelope's data
  std::string body;     // kOk with decode_envelope = false: the raw (decompressed) body
  std::string content_type;
  KiteError error;      // kRefused, kTokenExpired: Kite's error type and message
  std::string message;  // not ok: what happened (redacted; names the method and path)
  int attempts = 0;     // requests actually written
  int rate_limited = 0; // 429 answers received
  bool ok() const { return kind == Kind::kOk; }
  // kRefused/kTokenExpired/kRateLimited/kNotSent: the request certainly did not take effect.
  bool definitely_not_processed() const { return kind != Kind::kOk && kind != Kind::kAmbiguous; }
};
std::string_view ToString(KiteOutcome::Kind k);

struct KiteRestStats {
  std::uint64_t requests = 0;       // attempts written
  std::uint64_t ok = 0;
  std::uint64_t refused = 0;
  std::uint64_t ambiguous = 0;
  std::uint64_t rate_limited_429 = 0;
  std::uint64_t gave_up_rate = 0;   // kRateLimited outcomes
  std::uint64_t not_sent = 0;
  std::uint64_t token_expired = 0;
  std::uint64_t resent_reads = 0;   // GETs sent again after an ambiguous answer
  std::uint64_t queued_ns = 0;      // total time spent waiting for a rate limiter
};

class KiteRestClient {
 public:
  struct Options {
    KiteUrl base_url;     // scheme, host, port; a path is a prefix of every route (a proxy)
    std::string ca_file;  // PEM CAs for TLS; empty: the system's store
    std::string api_key;
    std::string access_token;  // registered as a secret
    std::string user_agent = "nacre-kite/1";
    std::uint64_t seed = 1;  // the 429 backoff's jitter
  };
  explicit KiteRestClient(Options options);
  ~KiteRestClient();  // stops the lanes; queued requests complete with kNotSent
  KiteRestClient(const KiteRestClient&) = delete;
  KiteRestClient& operator=(const KiteRestClient&) = delete;

  using Done = std::function<void(KiteOutcome)>;
  // Queues `call` on its lane; `done` runs on that lane's thread.
  void Post(KiteCall call, Done done);
  // Posts and waits for the outcome (not from a lane's own callback).
  KiteOutcome Call(KiteCall call);
  // Stops the lanes: what is queued completes as kNotSent ("stopping"), a request in flight
  // finishes first; later posts complete at once as kNotSent. Blocks until the lanes ended.
  // Owners of callbacks call it before they go (an execution client's destructor).
  void Stop();
  // A new session's token: clears the expired state.
  void SetAccessToken(std::string token);
  bool token_expired() const;
  KiteRestStats stats() const;
  const KiteUrl& base_url() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nacre
