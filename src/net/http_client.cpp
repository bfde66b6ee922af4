#include "net/http_client.h"

#include <fmt/format.h>

#include <chrono>
#include <optional>

#include "net/asio.h"

namespace nacre::net {

struct HttpClient::Impl {
  Impl(std::string h, std::uint16_t p) : host(std::move(h)), port(p) {}
  std::string host;
  std::uint16_t port;
  asio::io_context ctx;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  std::uint64_t opened = 0;

  void Drop() {
    if (!stream) return;
    beast::error_code ignored;
    stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream->close();
    stream.reset();
    buffer.clear();
  }
};

HttpClient::HttpClient(std::string host, std::uint16_t port)
    : impl_(std::make_unique<Impl>(std::move(host), port)) {}

HttpClient::~HttpClient() { impl_->Drop(); }

std::uint64_t HttpClient::connections_opened() const { return impl_->opened; }

Result<HttpResponse> HttpClient::Send(const HttpRequest& request, DurationNs deadline) {
  Impl& c = *impl_;
  const std::string where = fmt::format("{} http://{}:{}{}", request.method, c.host, c.port,
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
  const auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(deadline);
  enum class Stage { kConnect, kWrite, kRead, kDone };
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = c.stream.has_value();
    Stage stage = Stage::kConnect;
    beast::error_code ec;
    http::response<http::string_body> res;
    c.ctx.restart();
    if (!c.stream) {
      c.stream.emplace(c.ctx);
      c.stream->expires_at(until);
      tcp::resolver resolver(c.ctx);
      tcp::resolver::results_type endpoints = resolver.resolve(c.host, std::to_string(c.port), ec);
      if (ec) {
        c.Drop();
        return MakeError(ErrorCode::kUnavailable,
                         fmt::format("{}: cannot resolve: {}", where, ec.message()));
      }
      c.stream->async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) {
        ec = e;
        if (!e) stage = Stage::kWrite;
      });
      c.ctx.run();
      c.ctx.restart();
      if (ec) {
        const bool timed_out = ec == beast::error::timeout;
        c.Drop();
        return MakeError(timed_out ? ErrorCode::kTimeout : ErrorCode::kUnavailable,
                         fmt::format("{}: cannot connect: {}", where,
                                     timed_out ? "deadline passed" : ec.message()));
      }
      ++c.opened;
    }
    stage = Stage::kWrite;
    c.stream->expires_at(until);
    std::size_t written = 0;
    http::async_write(*c.stream, req, [&](beast::error_code e, std::size_t n) {
      ec = e;
      written = n;
      if (e) return;
      stage = Stage::kRead;
      http::async_read(*c.stream, c.buffer, res, [&](beast::error_code e2, std::size_t) {
        ec = e2;
        if (!e2) stage = Stage::kDone;
      });
    });
    c.ctx.run();
    if (stage == Stage::kDone) {
      HttpResponse out;
      out.status = static_cast<int>(res.result_int());
      for (const auto& f : res) {
        out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      }
      out.body = std::move(res.body());
      if (!res.keep_alive()) c.Drop();
      return out;
    }
    const bool timed_out = ec == beast::error::timeout;
    c.Drop();
    if (stage == Stage::kWrite && written == 0 && reused && !timed_out && attempt == 0) {
      continue;  // the kept-alive connection was closed by the server: nothing was sent
    }
    if (stage == Stage::kWrite && !timed_out && written == 0) {
      return MakeError(ErrorCode::kUnavailable,
                       fmt::format("{}: send failed: {}", where, ec.message()));
    }
    // The request (or part of it) went out and no whole answer came back: the server may have
    // acted on it. Say so; never resend here.
    return MakeError(ErrorCode::kAmbiguous,
                     fmt::format("{}: {} after the request was sent; the server may have "
                                 "processed it",
                                 where, timed_out ? "no answer within the deadline" : ec.message()));
  }
  return MakeError(ErrorCode::kUnavailable, fmt::format("{}: connection closed", where));
}

}  // namespace nacre::net
