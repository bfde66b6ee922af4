#include "net/ws.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <deque>
#include <map>
#include <optional>

#include "net/acceptor.h"
#include "net/asio.h"

namespace nacre::net {

DurationNs BackoffDelay(int attempt, DurationNs initial, DurationNs max_delay, double jitter,
                        std::mt19937_64& rng) {
  DurationNs d = initial;
  for (int i = 0; i < attempt && d < max_delay; ++i) d *= 2;
  d = std::min(d, max_delay);
  std::uniform_real_distribution<double> u(1.0 - jitter, 1.0 + jitter);
  return static_cast<DurationNs>(std::llround(static_cast<double>(d) * u(rng)));
}

// ---------------------------------------------------------------------------------------------
// Server

struct WsServer::Impl : std::enable_shared_from_this<WsServer::Impl> {
  Impl(IoThread& io_thread, Handlers h, WsServerOptions o)
      : io(io_thread),
        ctx(*static_cast<asio::io_context*>(io_thread.context())),
        handlers(std::move(h)),
        options(std::move(o)),
        acceptor(ctx) {}

  struct Session : std::enable_shared_from_this<Session> {
    Session(std::shared_ptr<Impl> s, std::uint64_t i, tcp::socket socket)
        : server(std::move(s)), id(i), ws(std::move(socket)) {}

    void ReadRequest() {
      http::async_read(ws.next_layer(), buffer, request,
                       [self = shared_from_this()](beast::error_code ec, std::size_t) {
                         self->OnRequest(ec);
                       });
    }
    void OnRequest(beast::error_code ec) {
      if (ec) return Gone();
      target = std::string(request.target());
      std::optional<WsRefusal> refusal;
      if (!websocket::is_upgrade(request)) {
        refusal = WsRefusal{400, "not a WebSocket upgrade\n"};
      } else if (server->handlers.on_handshake) {
        refusal = server->handlers.on_handshake(target);
      }
      if (refusal) {
        auto res = std::make_shared<http::response<http::string_body>>(
            static_cast<http::status>(refusal->status), request.version());
        res->set(http::field::content_type, "application/json");
        res->body() = refusal->body;
        res->keep_alive(false);
        res->prepare_payload();
        http::async_write(ws.next_layer(), *res,
                          [self = shared_from_this(), res](beast::error_code, std::size_t) {
                            beast::error_code ignored;
                            self->ws.next_layer().socket().shutdown(tcp::socket::shutdown_send,
                                                                    ignored);
                            self->Gone();
                          });
        return;
      }
      ws.async_accept(request, [self = shared_from_this()](beast::error_code e) {
        if (e) return self->Gone();
        self->open = true;
        if (self->server->handlers.on_open) self->server->handlers.on_open(self->id, self->target);
        self->Read();
      });
    }
    void Read() {
      read_buffer.clear();
      ws.async_read(read_buffer, [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec) return self->Gone();
        WsMessage m;
        m.binary = self->ws.got_binary();
        m.data = beast::buffers_to_string(self->read_buffer.data());
        if (self->server->handlers.on_message) self->server->handlers.on_message(self->id, m);
        self->Read();
      });
    }
    void Send(WsMessage m) {
      if (!open) return;
      queue.push_back(std::move(m));
      if (queue.size() == 1) WriteNext();
    }
    void WriteNext() {
      ws.binary(queue.front().binary);
      ws.async_write(asio::buffer(queue.front().data),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return self->Gone();
                       self->queue.pop_front();
                       if (!self->queue.empty()) self->WriteNext();
                     });
    }
    void Close() {
      if (!open) return;
      ws.async_close(websocket::close_code::normal,
                     [self = shared_from_this()](beast::error_code) {});
    }
    void Drop() {
      beast::error_code ignored;
      ws.next_layer().socket().close(ignored);
      Gone();
    }
    void Gone() {
      const bool was_open = open;
      open = false;
      queue.clear();
      if (server->sessions.erase(id) > 0 && was_open && server->handlers.on_close) {
        server->handlers.on_close(id);
      }
    }

    std::shared_ptr<Impl> server;
    std::uint64_t id;
    websocket::stream<beast::tcp_stream> ws;
    beast::flat_buffer buffer;
    beast::flat_buffer read_buffer;
    http::request<http::string_body> request;
    std::string target;
    std::deque<WsMessage> queue;
    bool open = false;
  };

  void Accept() {
    acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      const std::uint64_t id = ++self->next_id;
      auto s = std::make_shared<Session>(self, id, std::move(socket));
      self->sessions[id] = s;
      s->ReadRequest();
      self->Accept();
    });
  }
  std::shared_ptr<Session> Find(std::uint64_t id) {
    auto it = sessions.find(id);
    return it == sessions.end() ? nullptr : it->second;
  }

  IoThread& io;
  asio::io_context& ctx;
  Handlers handlers;
  WsServerOptions options;
  tcp::acceptor acceptor;
  std::uint64_t next_id = 0;
  std::atomic<std::uint16_t> bound_port{0};
  std::map<std::uint64_t, std::shared_ptr<Session>> sessions;  // I/O thread only
};

WsServer::WsServer(IoThread& io, Handlers handlers, WsServerOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(handlers), std::move(options))) {}

WsServer::~WsServer() { Stop(); }

Status WsServer::Start() {
  Status result = MakeError(ErrorCode::kUnavailable, "websocket server: the I/O thread has stopped");
  impl_->io.PostAndWait([&] {
    result = OpenAcceptor(impl_->acceptor, impl_->options.address, impl_->options.port,
                          "websocket server");
    if (!result) return;
    impl_->bound_port = impl_->acceptor.local_endpoint().port();
    impl_->Accept();
  });
  return result;
}

void WsServer::Stop() {
  if (!impl_ || impl_->io.InThread()) return;
  impl_->io.PostAndWait([impl = impl_] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
    auto sessions = impl->sessions;
    for (auto& [id, s] : sessions) s->Drop();
  });
}

std::uint16_t WsServer::port() const { return impl_->bound_port; }

void WsServer::Send(std::uint64_t conn, WsMessage message) {
  impl_->io.Post([impl = impl_, conn, m = std::move(message)]() mutable {
    if (auto s = impl->Find(conn)) s->Send(std::move(m));
  });
}
void WsServer::Close(std::uint64_t conn) {
  impl_->io.Post([impl = impl_, conn] {
    if (auto s = impl->Find(conn)) s->Close();
  });
}
std::size_t WsServer::Queued(std::uint64_t conn) const {
  auto s = impl_->Find(conn);
  return s ? s->queue.size() : 0;
}

void WsServer::Drop(std::uint64_t conn) {
  impl_->io.Post([impl = impl_, conn] {
    if (auto s = impl->Find(conn)) s->Drop();
  });
}

// ---------------------------------------------------------------------------------------------
// Client

struct WsClient::Impl : std::enable_shared_from_this<WsClient::Impl> {
  Impl(IoThread& io_thread, Handlers h, WsClientOptions o)
      : io(io_thread),
        ctx(*static_cast<asio::io_context*>(io_thread.context())),
        handlers(std::move(h)),
        options(std::move(o)),
        rng(options.seed),
        resolver(ctx),
        retry(ctx) {}

  void Connect() {
    if (stopped) return;
    const std::uint64_t gen = ++generation;
    ws.emplace(ctx);
    response.emplace();
    resolver.async_resolve(
        options.host, std::to_string(options.port),
        [self = shared_from_this(), gen](beast::error_code ec, tcp::resolver::results_type r) {
          if (self->Stale(gen)) return;
          if (ec) return self->Down("cannot resolve: " + ec.message(), true);
          beast::get_lowest_layer(*self->ws).expires_after(std::chrono::seconds(7));
          beast::get_lowest_layer(*self->ws).async_connect(
              r, [self, gen](beast::error_code e, const tcp::endpoint&) {
                if (self->Stale(gen)) return;
                if (e) return self->Down("cannot connect: " + e.message(), true);
                self->Handshake(gen);
              });
        });
  }
  void Handshake(std::uint64_t gen) {
    beast::get_lowest_layer(*ws).expires_never();
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(7);
    t.idle_timeout = std::chrono::nanoseconds(options.read_timeout);
    t.keep_alive_pings = false;  // silence itself is the signal, as the Kite clients treat it
    ws->set_option(t);
    ws->async_handshake(*response, options.host, options.target,
                        [self = shared_from_this(), gen](beast::error_code ec) {
                          if (self->Stale(gen)) return;
                          if (ec == websocket::error::upgrade_declined) {
                            const int status = static_cast<int>(self->response->result_int());
                            self->Down(fmt::format("refused: {} {}", status, self->response->body()),
                                       self->options.reconnect_after_refusal);
                            return;
                          }
                          if (ec) return self->Down("handshake failed: " + ec.message(), true);
                          self->open = true;
                          self->attempt = 0;
                          ++self->opens;
                          if (self->handlers.on_open) self->handlers.on_open(self->opens);
                          self->Read(gen);
                        });
  }
  void Read(std::uint64_t gen) {
    buffer.clear();
    ws->async_read(buffer, [self = shared_from_this(), gen](beast::error_code ec, std::size_t) {
      if (self->Stale(gen)) return;
      if (ec == beast::error::timeout) {
        return self->Down(fmt::format("no message for {} ms: connection taken as dead",
                                      self->options.read_timeout / kNanosPerMilli),
                          true);
      }
      if (ec == websocket::error::closed) return self->Down("closed by the server", true);
      if (ec) return self->Down("connection lost: " + ec.message(), true);
      WsMessage m;
      m.binary = self->ws->got_binary();
      m.data = beast::buffers_to_string(self->buffer.data());
      if (self->handlers.on_message) self->handlers.on_message(m);
      self->Read(gen);
    });
  }
  void Send(std::string text) {
    if (!open) {
      if (handlers.on_down) handlers.on_down("not connected: message not sent", !stopped);
      return;
    }
    queue.push_back(std::move(text));
    if (queue.size() == 1) WriteNext(generation);
  }
  void WriteNext(std::uint64_t gen) {
    ws->text(true);
    ws->async_write(asio::buffer(queue.front()),
                    [self = shared_from_this(), gen](beast::error_code ec, std::size_t) {
                      if (self->Stale(gen)) return;
                      if (ec) return self->Down("send failed: " + ec.message(), true);
                      self->queue.pop_front();
                      if (!self->queue.empty()) self->WriteNext(gen);
                    });
  }
  // The connection of generation `gen` has been replaced or stopped.
  bool Stale(std::uint64_t gen) const { return stopped || gen != generation; }
  void Down(const std::string& reason, bool reconnect) {
    ++generation;  // callbacks of this connection are stale from now on
    open = false;
    queue.clear();
    if (ws) {
      beast::error_code ignored;
      beast::get_lowest_layer(*ws).socket().close(ignored);
    }
    const bool again = reconnect && !stopped;
    if (handlers.on_down) handlers.on_down(reason, again);
    if (!again) return;
    const DurationNs delay =
        BackoffDelay(attempt++, options.initial_backoff, options.max_backoff, options.jitter, rng);
    retry.expires_after(std::chrono::nanoseconds(delay));
    retry.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->Connect();
    });
  }

  IoThread& io;
  asio::io_context& ctx;
  Handlers handlers;
  WsClientOptions options;
  std::mt19937_64 rng;
  tcp::resolver resolver;
  asio::steady_timer retry;
  std::optional<websocket::stream<beast::tcp_stream>> ws;
  std::optional<http::response<http::string_body>> response;
  beast::flat_buffer buffer;
  std::deque<std::string> queue;
  std::uint64_t generation = 0;
  int attempt = 0;
  int opens = 0;
  bool open = false;
  bool stopped = false;
};

WsClient::WsClient(IoThread& io, Handlers handlers, WsClientOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(handlers), std::move(options))) {}

WsClient::~WsClient() { Stop(); }

void WsClient::Start() {
  impl_->io.Post([impl = impl_] { impl->Connect(); });
}

void WsClient::SendText(std::string text) {
  impl_->io.Post([impl = impl_, t = std::move(text)]() mutable { impl->Send(std::move(t)); });
}

void WsClient::Stop() {
  if (!impl_ || impl_->io.InThread()) return;
  impl_->io.PostAndWait([impl = impl_] {
    if (!impl->stopped) {
      impl->stopped = true;
      ++impl->generation;
      impl->retry.cancel();
      impl->resolver.cancel();
      if (impl->ws) {
        beast::error_code ignored;
        beast::get_lowest_layer(*impl->ws).socket().close(ignored);
      }
      impl->open = false;
    }
  });
}

}  // namespace nacre::net
