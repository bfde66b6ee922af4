#include "net/http_server.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <map>
#include <optional>

#include "net/acceptor.h"
#include "net/asio.h"

namespace nacre::net {

namespace {

HttpRequest FromBeast(const http::request<http::string_body>& req) {
  HttpRequest r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  for (const auto& f : req) r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  r.body = req.body();
  return r;
}

http::response<http::string_body> ToBeast(const HttpResponse& resp, unsigned version,
                                          bool keep_alive) {
  http::response<http::string_body> out{static_cast<http::status>(resp.status), version};
  for (const auto& [k, v] : resp.headers) out.set(k, v);
  out.body() = resp.body;
  // The handler may end the connection ("Connection: close"); otherwise the client decides.
  out.keep_alive(keep_alive && resp.Header("Connection") != "close");
  out.prepare_payload();
  return out;
}

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(IoThread& io_thread, Handler h, HttpServerOptions o)
      : io(io_thread),
        ctx(*static_cast<asio::io_context*>(io_thread.context())),
        handler(std::move(h)),
        options(std::move(o)),
        acceptor(ctx) {}

  struct Session : std::enable_shared_from_this<Session> {
    Session(std::shared_ptr<Impl> s, tcp::socket socket)
        : server(std::move(s)), stream(std::move(socket)) {}
    void Read() {
      request = {};
      parser.emplace();
      parser->body_limit(server->options.max_body_bytes);
      stream.expires_after(std::chrono::nanoseconds(server->options.idle_timeout));
      http::async_read(stream, buffer, *parser,
                       [self = shared_from_this()](beast::error_code ec, std::size_t) {
                         self->OnRead(ec);
                       });
    }
    void OnRead(beast::error_code ec) {
      if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
          ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
        Close();
        return;
      }
      if (ec) {
        // Not HTTP (or too large): say so and close.
        const int status = ec == http::error::body_limit ? 413 : 400;
        Write(ToBeast(server->ErrorAnswer(status, fmt::format("bad request: {}", ec.message())), 11,
                      false));
        return;
      }
      request = parser->release();
      HttpResponse resp;
      try {
        resp = server->handler(FromBeast(request));
      } catch (const std::exception& e) {
        resp = server->ErrorAnswer(500, fmt::format("internal error: {}", e.what()));
      }
      if (resp.drop) {
        // A reset, not an orderly close: linger 0 makes close() send RST.
        beast::error_code ignored;
        stream.socket().set_option(asio::socket_base::linger(true, 0), ignored);
        stream.close();
        server->sessions.erase(this);
        return;
      }
      auto out = ToBeast(resp, request.version(), request.keep_alive());
      if (resp.delay_ns > 0) {
        stall.expires_after(std::chrono::nanoseconds(resp.delay_ns));
        stall.async_wait([self = shared_from_this(), out = std::move(out)](beast::error_code waited) mutable {
          if (waited) return;  // the server stopped
          self->Write(std::move(out));
        });
        return;
      }
      Write(std::move(out));
    }
    void Write(http::response<http::string_body> resp) {
      response = std::make_shared<http::response<http::string_body>>(std::move(resp));
      stream.expires_after(std::chrono::nanoseconds(server->options.idle_timeout));
      http::async_write(stream, *response,
                        [self = shared_from_this()](beast::error_code ec, std::size_t) {
                          if (!ec) ++self->server->sent;
                          if (ec || !self->response->keep_alive()) {
                            self->Close();
                            return;
                          }
                          self->Read();
                        });
    }
    void Close() {
      stall.cancel();
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      stream.close();
      server->sessions.erase(this);
    }

    std::shared_ptr<Impl> server;
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    std::optional<http::request_parser<http::string_body>> parser;
    http::request<http::string_body> request;
    std::shared_ptr<http::response<http::string_body>> response;
    asio::steady_timer stall{stream.get_executor()};
  };

  void Accept() {
    acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
      if (ec) return;  // stopped
      ++self->accepted;
      auto session = std::make_shared<Session>(self, std::move(socket));
      self->sessions[session.get()] = session;
      session->Read();
      self->Accept();
    });
  }

  HttpResponse ErrorAnswer(int status, const std::string& message) const {
    if (options.error_answer) return options.error_answer(status, message);
    HttpResponse r;
    r.status = status;
    r.headers = {{"Content-Type", "text/plain"}};
    r.body = message + "\n";
    return r;
  }

  IoThread& io;
  asio::io_context& ctx;
  Handler handler;
  HttpServerOptions options;
  tcp::acceptor acceptor;
  std::atomic<std::uint16_t> bound_port{0};
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> sent{0};
  std::map<Session*, std::weak_ptr<Session>> sessions;  // I/O thread only
};

HttpServer::HttpServer(IoThread& io, Handler handler, HttpServerOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(handler), std::move(options))) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  Status result = MakeError(ErrorCode::kUnavailable, "http server: the I/O thread has stopped");
  impl_->io.PostAndWait([&] {
    result = OpenAcceptor(impl_->acceptor, impl_->options.address, impl_->options.port,
                          "http server");
    if (!result) return;
    impl_->bound_port = impl_->acceptor.local_endpoint().port();
    impl_->Accept();
  });
  return result;
}

void HttpServer::Stop() {
  if (!impl_ || impl_->io.InThread()) return;
  impl_->io.PostAndWait([impl = impl_] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
    auto sessions = impl->sessions;
    for (auto& [raw, weak] : sessions) {
      if (auto s = weak.lock()) s->Close();
    }
  });
}

std::uint16_t HttpServer::port() const { return impl_->bound_port; }
std::uint64_t HttpServer::connections_accepted() const { return impl_->accepted; }
std::uint64_t HttpServer::responses_sent() const { return impl_->sent; }

}  // namespace nacre::net
