#include "net/http_client.h"

#include <fmt/format.h>

#include <chrono>
#include <optional>

#include "net/asio.h"

namespace nacre::net {

namespace {

using Clock = std::chrono::steady_clock;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

enum class Stage { kWrite, kRead, kDone };

struct Exchange {
  Stage stage = Stage::kWrite;
  beast::error_code ec;
  std::size_t written = 0;
  http::response<http::string_body> res;
};

// Writes `req` and reads the answer on `stream` (already connected), running `ctx` until done.
template <typename Stream>
Exchange RunExchange(asio::io_context& ctx, Stream& stream, beast::flat_buffer& buffer,
                     http::request<http::string_body>& req) {
  Exchange x;
  ctx.restart();
  http::async_write(stream, req, [&](beast::error_code e, std::size_t n) {
    x.ec = e;
    x.written = n;
    if (e) return;
    x.stage = Stage::kRead;
    http::async_read(stream, buffer, x.res, [&](beast::error_code e2, std::size_t) {
      x.ec = e2;
      if (!e2) x.stage = Stage::kDone;
    });
  });
  ctx.run();
  return x;
}

std::string TlsReason(const beast::error_code& ec) {
  std::string r = ec.message();
  if (ec.category() == asio::error::get_ssl_category()) {
    r += " (the server's certificate was not trusted or does not name the host)";
  }
  return r;
}

}  // namespace

struct HttpClient::Impl {
  Impl(std::string h, std::uint16_t p, HttpClientTls t)
      : host(std::move(h)), port(p), tls(std::move(t)), ssl(asio::ssl::context::tls_client) {}
  std::string host;
  std::uint16_t port;
  HttpClientTls tls;
  asio::io_context ctx;
  asio::ssl::context ssl;
  std::string ssl_setup_error;  // set when the TLS context could not be prepared
  std::optional<PlainStream> plain;
  std::optional<TlsStream> secure;
  beast::flat_buffer buffer;
  std::uint64_t opened = 0;

  bool connected() const { return plain.has_value() || secure.has_value(); }
  beast::tcp_stream& lowest() { return plain ? *plain : beast::get_lowest_layer(*secure); }

  void Drop() {
    beast::error_code ignored;
    if (plain) {
      plain->socket().shutdown(tcp::socket::shutdown_both, ignored);
      plain->close();
    }
    if (secure) beast::get_lowest_layer(*secure).close();
    plain.reset();
    secure.reset();
    buffer.clear();
  }

  // Opens the connection (and the TLS session) by `until`.
  Status Connect(Clock::time_point until, const std::string& where) {
    beast::error_code ec;
    tcp::resolver resolver(ctx);
    const tcp::resolver::results_type endpoints =
        resolver.resolve(host, std::to_string(port), ec);
    if (ec) {
      return MakeError(ErrorCode::kUnavailable,
                       fmt::format("{}: cannot resolve: {}", where, ec.message()));
    }
    if (tls.enabled) {
      if (!ssl_setup_error.empty()) {
        return MakeError(ErrorCode::kInvalidInput, fmt::format("{}: {}", where, ssl_setup_error));
      }
      secure.emplace(ctx, ssl);
    } else {
      plain.emplace(ctx);
    }
    lowest().expires_at(until);
    ctx.restart();
    lowest().async_connect(endpoints,
                           [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    ctx.run();
    if (ec) {
      const bool timed_out = ec == beast::error::timeout;
      Drop();
      return MakeError(timed_out ? ErrorCode::kTimeout : ErrorCode::kUnavailable,
                       fmt::format("{}: cannot connect: {}", where,
                                   timed_out ? "deadline passed" : ec.message()));
    }
    if (secure) {
      // SNI and RFC 2818 host name verification.
      if (!SSL_set_tlsext_host_name(secure->native_handle(), host.c_str())) {
        Drop();
        return MakeError(ErrorCode::kInvalidInput,
                         fmt::format("{}: cannot set the TLS server name", where));
      }
      secure->set_verify_mode(asio::ssl::verify_peer);
      secure->set_verify_callback(asio::ssl::host_name_verification(host));
      ctx.restart();
      secure->async_handshake(asio::ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
      ctx.run();
      if (ec) {
        const bool timed_out = ec == beast::error::timeout;
        Drop();
        return MakeError(timed_out ? ErrorCode::kTimeout : ErrorCode::kUnavailable,
                         fmt::format("{}: TLS handshake failed: {}", where,
                                     timed_out ? "deadline passed" : TlsReason(ec)));
      }
    }
    ++opened;
    return Status::Ok();
  }
};

HttpClient::HttpClient(std::string host, std::uint16_t port, HttpClientTls tls)
    : impl_(std::make_unique<Impl>(std::move(host), port, std::move(tls))) {
  if (!impl_->tls.enabled) return;
  beast::error_code ec;
  if (impl_->tls.ca_file.empty()) {
    impl_->ssl.set_default_verify_paths(ec);
  } else {
    impl_->ssl.load_verify_file(impl_->tls.ca_file, ec);
  }
  if (ec) {
    impl_->ssl_setup_error =
        fmt::format("cannot load the CA certificates{}: {}",
                    impl_->tls.ca_file.empty() ? "" : " from " + impl_->tls.ca_file, ec.message());
  }
}

HttpClient::~HttpClient() { impl_->Drop(); }

std::uint64_t HttpClient::connections_opened() const { return impl_->opened; }

Result<HttpResponse> HttpClient::Send(const HttpRequest& request, DurationNs deadline) {
  Impl& c = *impl_;
  const std::string where = fmt::format("{} {}://{}:{}{}", request.method,
                                        c.tls.enabled ? "https" : "http", c.host, c.port,
                                        request.target);
  const auto verb = http::string_to_verb(request.method);
  if (verb == http::verb::unknown) {
    return MakeError(ErrorCode::kInvalidInput, fmt::format("{}: unknown method", where));
  }
  http::request<http::string_body> req{verb, request.target, 11};
  req.set(http::field::host, c.host);
  for (const auto& [k, v] : request.headers) req.set(k, v);
  req.body() = request.body;
  req.keep_alive(true);
  req.prepare_payload();

  // One deadline for the whole exchange; a reused connection the server already closed is
  // detected on write (nothing reached the server) and reopened once.
  const auto until = Clock::now() + std::chrono::nanoseconds(deadline);
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = c.connected();
    if (!reused) {
      if (Status s = c.Connect(until, where); !s) return Error{s.error(), s.code()};
    }
    c.lowest().expires_at(until);
    Exchange x = c.secure ? RunExchange(c.ctx, *c.secure, c.buffer, req)
                          : RunExchange(c.ctx, *c.plain, c.buffer, req);
    if (x.stage == Stage::kDone) {
      HttpResponse out;
      out.status = static_cast<int>(x.res.result_int());
      for (const auto& f : x.res) {
        out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      }
      out.body = std::move(x.res.body());
      if (!x.res.keep_alive()) c.Drop();
      return out;
    }
    const bool timed_out = x.ec == beast::error::timeout;
    c.Drop();
    if (x.stage == Stage::kWrite && x.written == 0 && reused && !timed_out && attempt == 0) {
      continue;  // the kept-alive connection was closed by the server: nothing was sent
    }
    if (x.stage == Stage::kWrite && !timed_out && x.written == 0) {
      return MakeError(ErrorCode::kUnavailable,
                       fmt::format("{}: send failed: {}", where, x.ec.message()));
    }
    // The request (or part of it) went out and no whole answer came back: the server may have
    // acted on it. Say so; never resend here.
    return MakeError(ErrorCode::kAmbiguous,
                     fmt::format("{}: {} after the request was sent; the server may have "
                                 "processed it",
                                 where,
                                 timed_out ? "no answer within the deadline" : x.ec.message()));
  }
  return MakeError(ErrorCode::kUnavailable, fmt::format("{}: connection closed", where));
}

}  // namespace nacre::net
