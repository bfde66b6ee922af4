#include "adapters/zerodha/kite_rest_client.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include "common/clock.h"
#include "core/secrets.h"
#include "net/gzip.h"
#include "net/http_client.h"
#include "net/rate_limiter.h"

namespace nacre {

std::string_view ToString(KiteRateClass c) {
  switch (c) {
    case KiteRateClass::kOrders: return "orders";
    case KiteRateClass::kQuote: return "quote";
    case KiteRateClass::kHistorical: return "historical";
    case KiteRateClass::kOther: return "other";
  }
  return "?";
}

KiteRateClass KiteRateClassOf(std::string_view method, std::string_view path) {
  if (method != "GET" && path.rfind("/orders/", 0) == 0) return KiteRateClass::kOrders;
  if (path == "/quote" || path.rfind("/quote/", 0) == 0) return KiteRateClass::kQuote;
  if (path.rfind("/instruments/historical/", 0) == 0) return KiteRateClass::kHistorical;
  return KiteRateClass::kOther;
}

std::string_view ToString(KiteOutcome::Kind k) {
  switch (k) {
    case KiteOutcome::Kind::kOk: return "ok";
    case KiteOutcome::Kind::kRefused: return "refused";
    case KiteOutcome::Kind::kTokenExpired: return "token expired";
    case KiteOutcome::Kind::kRateLimited: return "rate limited";
    case KiteOutcome::Kind::kNotSent: return "not sent";
    case KiteOutcome::Kind::kAmbiguous: return "ambiguous";
  }
  return "?";
}

namespace {

using Steady = std::chrono::steady_clock;


constexpr std::size_t kLanes = 3;
constexpr std::array<std::string_view, kLanes> kLaneNames = {"orders", "reads", "data"};

std::size_t LaneOf(const KiteCall& call) {
  const KiteRateClass c = KiteRateClassOf(call.method, call.path);
  if (c == KiteRateClass::kOrders) return 0;
  if (c == KiteRateClass::kQuote || c == KiteRateClass::kHistorical ||
      call.path.rfind("/instruments", 0) == 0) {
    return 2;
  }
  return 1;
}

}  // namespace

struct KiteRestClient::Impl {
  Options options;
  // Shared by the lanes.
  mutable std::mutex mu;
  std::condition_variable cv;  // stop and new work
  bool stopping = false;
  std::string access_token;
  bool token_expired = false;
  KiteRestStats stats;
  std::mt19937_64 rng;
  net::RateLimiter orders = net::KiteOrderLimiter();
  net::RateLimiter quote = net::KiteQuoteLimiter();
  net::RateLimiter historical = net::KiteHistoricalLimiter();
  net::RateLimiter other = net::KiteOtherLimiter();

  struct Lane {
    std::deque<std::pair<KiteCall, Done>> queue;
    std::unique_ptr<net::HttpClient> http;
    std::thread thread;
  };
  std::array<Lane, kLanes> lanes;

  explicit Impl(Options o) : options(std::move(o)), rng(options.seed) {
    access_token = options.access_token;
    RegisterSecret(access_token);
    for (std::size_t i = 0; i < kLanes; ++i) {
      net::HttpClientTls tls;
      tls.enabled = options.base_url.tls();
      tls.ca_file = options.ca_file;
      lanes[i].http = std::make_unique<net::HttpClient>(options.base_url.host,
                                                        options.base_url.port, tls);
    }
    for (std::size_t i = 0; i < kLanes; ++i) {
      lanes[i].thread = std::thread([this, i] { RunLane(i); });
    }
  }

  ~Impl() { Stop(); }

  void Stop() {
    {
      std::lock_guard lock(mu);
      stopping = true;
    }
    cv.notify_all();
    for (Lane& l : lanes) {
      if (l.thread.joinable() && l.thread.get_id() != std::this_thread::get_id()) l.thread.join();
    }
  }

  net::RateLimiter& LimiterOf(KiteRateClass c) {
    switch (c) {
      case KiteRateClass::kOrders: return orders;
      case KiteRateClass::kQuote: return quote;
      case KiteRateClass::kHistorical: return historical;
      case KiteRateClass::kOther: return other;
    }
    return other;
  }

  void RunLane(std::size_t i) {
    Lane& lane = lanes[i];
    for (;;) {
      std::pair<KiteCall, Done> job;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return stopping || !lane.queue.empty(); });
        if (lane.queue.empty()) return;  // stopping with nothing left
        job = std::move(lane.queue.front());
        lane.queue.pop_front();
      }
      KiteOutcome out = Execute(*lane.http, job.first);
      if (job.second) job.second(std::move(out));
    }
  }

  // Sleeps until `until` or a stop; false when stopping.
  bool SleepUntil(Steady::time_point until) {
    std::unique_lock lock(mu);
    cv.wait_until(lock, until, [&] { return stopping; });
    return !stopping;
  }

  DurationNs Backoff(int n) {
    std::lock_guard lock(mu);
    const DurationNs base = 250 * kNanosPerMilli << std::min(n, 4);
    std::uniform_real_distribution<double> jitter(0.8, 1.2);
    return static_cast<DurationNs>(static_cast<double>(base) * jitter(rng));
  }

  KiteOutcome Execute(net::HttpClient& http, const KiteCall& call) {
    KiteOutcome out;
    const std::string what = fmt::format("Kite {} {}", call.method, call.path);
    const Steady::time_point give_up = Steady::now() + std::chrono::nanoseconds(call.budget);
    const bool idempotent = call.method == "GET" && call.resend_reads;
    const KiteRateClass rate_class = KiteRateClassOf(call.method, call.path);
    auto finish = [&](KiteOutcome::Kind kind, std::string message) {
      out.kind = kind;
      out.message = Redact(message);
      std::lock_guard lock(mu);
      switch (kind) {
        case KiteOutcome::Kind::kOk: ++stats.ok; break;
        case KiteOutcome::Kind::kRefused: ++stats.refused; break;
        case KiteOutcome::Kind::kTokenExpired: ++stats.token_expired; break;
        case KiteOutcome::Kind::kRateLimited: ++stats.gave_up_rate; break;
        case KiteOutcome::Kind::kNotSent: ++stats.not_sent; break;
        case KiteOutcome::Kind::kAmbiguous: ++stats.ambiguous; break;
      }
      return std::move(out);
    };
    int retries = 0;
    for (;;) {
      std::string token;
      bool stop_now = false;
      bool expired = false;
      {
        std::lock_guard lock(mu);
        stop_now = stopping;
        expired = token_expired;
        token = access_token;
      }
      if (stop_now) return finish(KiteOutcome::Kind::kNotSent, what + ": the client is stopping");
      if (expired) {
        return finish(KiteOutcome::Kind::kTokenExpired,
                      what + ": not sent: the Kite session expired (TokenException); waiting "
                             "for a new login (nacre kite login)");
      }
      // The class's rate limiter: wait for a token while the budget lasts.
      for (;;) {
        std::optional<DurationNs> wait;
        {
          std::lock_guard lock(mu);
          net::RateLimiter& limiter = LimiterOf(rate_class);
          const UnixNanos now = SystemNow();
          if (limiter.TryAcquire(now)) break;
          wait = limiter.Wait(now);
        }
        if (!wait) {
          return finish(KiteOutcome::Kind::kRateLimited,
                        fmt::format("{}: not sent: Kite's daily {} request quota is spent", what,
                                    ToString(rate_class)));
        }
        const auto until = Steady::now() + std::chrono::nanoseconds(std::max<DurationNs>(*wait, 1));
        if (until > give_up) {
          return finish(KiteOutcome::Kind::kRateLimited,
                        fmt::format("{}: not sent: Kite's {} rate limit would hold it past its "
                                    "{} ms budget",
                                    what, ToString(rate_class), call.budget / kNanosPerMilli));
        }
        const auto t0 = Steady::now();
        if (!SleepUntil(until)) {
          return finish(KiteOutcome::Kind::kNotSent, what + ": the client is stopping");
        }
        std::lock_guard lock(mu);
        stats.queued_ns += static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(Steady::now() - t0).count());
      }

      net::HttpRequest req;
      req.method = call.method;
      req.target = options.base_url.path + call.path;  // a base URL's path is a prefix
      const std::string form = FormEncode(call.params);
      const bool in_query = call.method == "GET" || call.method == "DELETE";
      if (in_query && !form.empty()) req.target += "?" + form;
      req.headers = {{"X-Kite-Version", "3"},
                     {"Authorization", fmt::format("token {}:{}", options.api_key, token)},
                     {"User-Agent", options.user_agent},
                     {"Accept-Encoding", "gzip"}};
      if (!call.json_body.empty()) {
        req.headers.emplace_back("Content-Type", "application/json");
        req.body = call.json_body;
      } else if (!in_query) {
        req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
        req.body = form;
      }
      Result<net::HttpResponse> res = http.Send(req, call.deadline);
      const bool time_left = Steady::now() < give_up;
      if (!res) {
        const ErrorCode code = res.code();
        const bool not_sent = code == ErrorCode::kUnavailable || code == ErrorCode::kTimeout ||
                              code == ErrorCode::kInvalidInput;
        if (not_sent) {
          if (time_left && code != ErrorCode::kInvalidInput) {
            if (!SleepUntil(std::min(give_up, Steady::now() + std::chrono::nanoseconds(
                                                                  Backoff(retries++))))) {
              return finish(KiteOutcome::Kind::kNotSent, what + ": the client is stopping");
            }
            continue;
          }
          return finish(KiteOutcome::Kind::kNotSent,
                        fmt::format("{}: not sent: {}", what, res.error()));
        }
        {
          std::lock_guard lock(mu);
          ++stats.requests;
        }
        ++out.attempts;
        if (idempotent && time_left) {
          std::lock_guard lock(mu);
          ++stats.resent_reads;
          continue;
        }
        return finish(KiteOutcome::Kind::kAmbiguous,
                      fmt::format("{}: outcome unknown: {}", what, res.error()));
      }
      {
        std::lock_guard lock(mu);
        ++stats.requests;
      }
      ++out.attempts;
      net::HttpResponse& r = *res;
      out.http_status = r.status;
      out.content_type = r.Header("Content-Type");
      if (r.Header("Content-Encoding") == "gzip") {
        Result<std::string> plain = net::GzipDecompress(r.body);
        if (!plain) {
          if (idempotent && time_left) continue;
          return finish(KiteOutcome::Kind::kAmbiguous,
                        fmt::format("{}: HTTP {} with a bad gzip body: {}", what, r.status,
                                    plain.error()));
        }
        r.body = std::move(*plain);
      }
      if (r.status == 429) {
        ++out.rate_limited;
        {
          std::lock_guard lock(mu);
          ++stats.rate_limited_429;
        }
        const auto next = Steady::now() + std::chrono::nanoseconds(Backoff(retries++));
        if (next < give_up) {
          if (!SleepUntil(next)) {
            return finish(KiteOutcome::Kind::kNotSent, what + ": the client is stopping");
          }
          continue;
        }
        out.error = ClassifyKiteError(429, "NetworkException", "Too many requests");
        return finish(KiteOutcome::Kind::kRateLimited,
                      fmt::format("{}: not processed: Kite answered 429 (too many requests) "
                                  "{} time(s) within the {} ms budget",
                                  what, out.rate_limited, call.budget / kNanosPerMilli));
      }
      if (!call.decode_envelope && r.status == 200) {
        out.body = std::move(r.body);
        return finish(KiteOutcome::Kind::kOk, "");
      }
      KiteError err;
      Result<KiteReply> reply = ParseKiteEnvelope(r.status, out.content_type, r.body, &err);
      if (reply) {
        out.data = std::move(reply->data);
        return finish(KiteOutcome::Kind::kOk, "");
      }
      out.error = err;
      if (err.code == ErrorCode::kToken) {
        {
          std::lock_guard lock(mu);
          token_expired = true;
        }
        return finish(KiteOutcome::Kind::kTokenExpired,
                      fmt::format("{}: {}: the Kite session is no longer valid; log in again "
                                  "(nacre kite login)",
                                  what, reply.error()));
      }
      if (err.definitive) {
        return finish(KiteOutcome::Kind::kRefused, fmt::format("{}: {}", what, reply.error()));
      }
      if (idempotent && time_left) {
        std::lock_guard lock(mu);
        ++stats.resent_reads;
        continue;
      }
      return finish(KiteOutcome::Kind::kAmbiguous, fmt::format("{}: {}", what, reply.error()));
    }
  }
};

KiteRestClient::KiteRestClient(Options options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

KiteRestClient::~KiteRestClient() = default;

void KiteRestClient::Post(KiteCall call, Done done) {
  const std::size_t lane = LaneOf(call);
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping) {
      KiteOutcome out;
      out.kind = KiteOutcome::Kind::kNotSent;
      out.message = fmt::format("Kite {} {}: the client is stopping", call.method, call.path);
      if (done) done(std::move(out));
      return;
    }
    impl_->lanes[lane].queue.emplace_back(std::move(call), std::move(done));
  }
  impl_->cv.notify_all();
}

KiteOutcome KiteRestClient::Call(KiteCall call) {
  std::mutex m;
  std::condition_variable cv;
  std::optional<KiteOutcome> result;
  Post(std::move(call), [&](KiteOutcome o) {
    std::lock_guard lock(m);
    result = std::move(o);
    cv.notify_all();
  });
  std::unique_lock lock(m);
  cv.wait(lock, [&] { return result.has_value(); });
  return std::move(*result);
}

void KiteRestClient::Stop() { impl_->Stop(); }

void KiteRestClient::SetAccessToken(std::string token) {
  RegisterSecret(token);
  std::lock_guard lock(impl_->mu);
  impl_->access_token = std::move(token);
  impl_->token_expired = false;
}

bool KiteRestClient::token_expired() const {
  std::lock_guard lock(impl_->mu);
  return impl_->token_expired;
}

KiteRestStats KiteRestClient::stats() const {
  std::lock_guard lock(impl_->mu);
  return impl_->stats;
}

const KiteUrl& KiteRestClient::base_url() const { return impl_->options.base_url; }

}  // namespace nacre
