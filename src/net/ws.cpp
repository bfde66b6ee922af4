#include "net/ws.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <deque>
#include <map>
#include <optional>
#include <type_traits>

#include "net/acceptor.h"
#include "net/asio.h"

namespace nacre::net {

namespace {

// Both ends run one session code path over either stream; the TLS steps are `if constexpr`.
using PlainWs = websocket::stream<beast::tcp_stream>;
using TlsWs = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;
template <typename Ws>
constexpr bool kIsTls = std::is_same_v<Ws, TlsWs>;

constexpr auto kHandshakeTimeout = std::chrono::seconds(7);

template <typename Ws>
void CloseSocket(Ws& ws) {
  beast::error_code ignored;
  beast::get_lowest_layer(ws).socket().close(ignored);
}

}  // namespace

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

  // What the server needs of a connection, whatever its stream.
  struct SessionBase {
    virtual ~SessionBase() = default;
    virtual void Begin() = 0;
    virtual void Send(WsMessage m) = 0;
    virtual void Close() = 0;
    virtual void Drop() = 0;
    virtual std::size_t queued() const = 0;
  };

  template <typename Ws>
  struct Session : SessionBase, std::enable_shared_from_this<Session<Ws>> {
    template <typename... StreamArgs>
    Session(std::shared_ptr<Impl> s, std::uint64_t i, StreamArgs&&... args)
        : server(std::move(s)), id(i), ws(std::forward<StreamArgs>(args)...) {}

    void Begin() override {
      if constexpr (kIsTls<Ws>) {
        // The TLS handshake, bounded like the WebSocket one, before the upgrade request.
        beast::get_lowest_layer(ws).expires_after(kHandshakeTimeout);
        ws.next_layer().async_handshake(asio::ssl::stream_base::server,
                                        [self = this->shared_from_this()](beast::error_code ec) {
                                          if (ec) return self->Gone();
                                          beast::get_lowest_layer(self->ws).expires_never();
                                          self->ReadRequest();
                                        });
      } else {
        ReadRequest();
      }
    }
    void ReadRequest() {
      http::async_read(ws.next_layer(), buffer, request,
                       [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
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
                          [self = this->shared_from_this(), res](beast::error_code, std::size_t) {
                            beast::error_code ignored;
                            beast::get_lowest_layer(self->ws).socket().shutdown(
                                tcp::socket::shutdown_send, ignored);
                            self->Gone();
                          });
        return;
      }
      ws.async_accept(request, [self = this->shared_from_this()](beast::error_code e) {
        if (e) return self->Gone();
        self->open = true;
        if (self->server->handlers.on_open) self->server->handlers.on_open(self->id, self->target);
        self->Read();
      });
    }
    void Read() {
      read_buffer.clear();
      ws.async_read(read_buffer,
                    [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                      if (ec) return self->Gone();
                      WsMessage m;
                      m.binary = self->ws.got_binary();
                      m.data = beast::buffers_to_string(self->read_buffer.data());
                      if (self->server->handlers.on_message) {
                        self->server->handlers.on_message(self->id, m);
                      }
                      self->Read();
                    });
    }
    void Send(WsMessage m) override {
      if (!open) return;
      queue.push_back(std::move(m));
      if (queue.size() == 1) WriteNext();
    }
    // The queue's front is the message being written (its bytes are the write's buffer): it
    // stays there until the write's handler, even when the session is gone meanwhile.
    void WriteNext() {
      ws.binary(queue.front().binary);
      ws.async_write(asio::buffer(queue.front().data),
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) {
                         self->queue.clear();  // no write in progress now: all forgotten
                         return self->Gone();
                       }
                       self->queue.pop_front();
                       // A drop may have come between the write and this handler (the write
                       // succeeded): the session is gone and writes nothing more.
                       if (self->open && !self->queue.empty()) self->WriteNext();
                     });
    }
    void Close() override {
      if (!open) return;
      ws.async_close(websocket::close_code::normal,
                     [self = this->shared_from_this()](beast::error_code) {});
    }
    void Drop() override {
      CloseSocket(ws);
      Gone();
    }
    std::size_t queued() const override { return queue.size(); }
    void Gone() {
      const bool was_open = open;
      open = false;
      // Unsent messages are forgotten, but not one being written: its handler pops it.
      if (!queue.empty()) queue.erase(queue.begin() + 1, queue.end());
      if (server->sessions.erase(id) > 0 && was_open && server->handlers.on_close) {
        server->handlers.on_close(id);
      }
    }

    std::shared_ptr<Impl> server;
    std::uint64_t id;
    Ws ws;
    beast::flat_buffer buffer;
    beast::flat_buffer read_buffer;
    http::request<http::string_body> request;
    std::string target;
    std::deque<WsMessage> queue;
    bool open = false;
  };

  // Loads the certificate and key for wss://; the error names the file.
  Status PrepareTls() {
    ssl.emplace(asio::ssl::context::tls_server);
    ssl->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1);
    beast::error_code ec;
    ssl->use_certificate_chain_file(options.tls.cert_file, ec);
    if (ec) {
      return MakeError(ErrorCode::kInvalidInput,
                       fmt::format("websocket server: cannot load the certificate {}: {}",
                                   options.tls.cert_file, ec.message()));
    }
    ssl->use_private_key_file(options.tls.key_file, asio::ssl::context::pem, ec);
    if (ec) {
      return MakeError(ErrorCode::kInvalidInput,
                       fmt::format("websocket server: cannot load the private key {}: {}",
                                   options.tls.key_file, ec.message()));
    }
    return Status::Ok();
  }

  void Accept() {
    acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      const std::uint64_t id = ++self->next_id;
      std::shared_ptr<SessionBase> s;
      if (self->ssl) {
        s = std::make_shared<Session<TlsWs>>(self, id, std::move(socket), *self->ssl);
      } else {
        s = std::make_shared<Session<PlainWs>>(self, id, std::move(socket));
      }
      self->sessions[id] = s;
      s->Begin();
      self->Accept();
    });
  }
  std::shared_ptr<SessionBase> Find(std::uint64_t id) {
    auto it = sessions.find(id);
    return it == sessions.end() ? nullptr : it->second;
  }

  IoThread& io;
  asio::io_context& ctx;
  Handlers handlers;
  WsServerOptions options;
  std::optional<asio::ssl::context> ssl;  // set by Start() with tls.enabled
  tcp::acceptor acceptor;
  std::uint64_t next_id = 0;
  std::atomic<std::uint16_t> bound_port{0};
  std::map<std::uint64_t, std::shared_ptr<SessionBase>> sessions;  // I/O thread only
};

WsServer::WsServer(IoThread& io, Handlers handlers, WsServerOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(handlers), std::move(options))) {}

WsServer::~WsServer() { Stop(); }

Status WsServer::Start() {
  Status result =
      MakeError(ErrorCode::kUnavailable, "websocket server: the I/O thread has stopped");
  impl_->io.PostAndWait([&] {
    if (impl_->options.tls.enabled) {
      result = impl_->PrepareTls();
      if (!result) return;
    }
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
  return s ? s->queued() : 0;
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
        retry(ctx) {
    if (options.tls.enabled) PrepareTls();
  }

  // The client context: TLS 1.2 or later, the peer verified against the CAs.
  void PrepareTls() {
    ssl.emplace(asio::ssl::context::tls_client);
    ssl->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1);
    ssl->set_verify_mode(asio::ssl::verify_peer);
    beast::error_code ec;
    if (options.tls.ca_file.empty()) {
      ssl->set_default_verify_paths(ec);
    } else {
      ssl->load_verify_file(options.tls.ca_file, ec);
    }
    if (ec) {
      ssl_setup_error = fmt::format(
          "cannot load the CA certificates{}: {}",
          options.tls.ca_file.empty() ? "" : " from " + options.tls.ca_file, ec.message());
    }
  }

  // Calls f with the current connection's stream (none before the first Connect).
  template <typename F>
  void WithWs(F&& f) {
    if (secure) {
      f(*secure);
    } else if (plain) {
      f(*plain);
    }
  }

  void Connect() {
    if (stopped) return;
    const std::uint64_t gen = ++generation;
    plain.reset();
    secure.reset();
    if (options.tls.enabled) {
      // A CA file that cannot be read stays unreadable: said once, not retried.
      if (!ssl_setup_error.empty()) return Down(ssl_setup_error, false);
      secure.emplace(ctx, *ssl);
    } else {
      plain.emplace(ctx);
    }
    response.emplace();
    resolver.async_resolve(
        options.host, std::to_string(options.port),
        [self = shared_from_this(), gen](beast::error_code ec, tcp::resolver::results_type r) {
          if (self->Stale(gen)) return;
          if (ec) return self->Down("cannot resolve: " + ec.message(), true);
          self->WithWs([&](auto& ws) { self->TcpConnect(ws, r, gen); });
        });
  }
  template <typename Ws>
  void TcpConnect(Ws& ws, const tcp::resolver::results_type& r, std::uint64_t gen) {
    beast::get_lowest_layer(ws).expires_after(kHandshakeTimeout);
    beast::get_lowest_layer(ws).async_connect(
        r, [self = shared_from_this(), gen, &ws](beast::error_code e, const tcp::endpoint&) {
          if (self->Stale(gen)) return;  // not stale: `ws` is still this connection's stream
          if (e) return self->Down("cannot connect: " + e.message(), true);
          if constexpr (kIsTls<Ws>) {
            self->TlsHandshake(ws, gen);
          } else {
            self->Handshake(ws, gen);
          }
        });
  }
  // SNI, the host name check (OpenSSL's, so a mismatch has its own reason) and the handshake.
  void TlsHandshake(TlsWs& ws, std::uint64_t gen) {
    SSL* native = ws.next_layer().native_handle();
    beast::error_code not_ip;
    asio::ip::make_address(options.host, not_ip);
    const bool named = not_ip.failed();
    const bool set =
        named ? SSL_set_tlsext_host_name(native, options.host.c_str()) == 1 &&
                    SSL_set1_host(native, options.host.c_str()) == 1
              : X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(native), options.host.c_str()) == 1;
    if (!set) return Down("cannot set the TLS server name " + options.host, false);
    ws.next_layer().async_handshake(asio::ssl::stream_base::client, [self = shared_from_this(), gen,
                                                                     &ws](beast::error_code ec) {
      if (self->Stale(gen)) return;
      if (!ec) return self->Handshake(ws, gen);
      if (ec == beast::error::timeout) {
        return self->Down("TLS handshake failed: no answer within 7 s", true);
      }
      const long verify = SSL_get_verify_result(ws.next_layer().native_handle());
      if (verify != X509_V_OK) {
        // The same certificate fails the same way: a refusal, not a network fault.
        return self->Down(
            fmt::format(
                "TLS handshake failed: the server's certificate did not pass "
                "verification: {} (host {}, CAs from {})",
                X509_verify_cert_error_string(verify), self->options.host,
                self->options.tls.ca_file.empty() ? "the system store" : self->options.tls.ca_file),
            self->options.reconnect_after_refusal);
      }
      self->Down("TLS handshake failed: " + ec.message(), true);
    });
  }
  template <typename Ws>
  void Handshake(Ws& ws, std::uint64_t gen) {
    beast::get_lowest_layer(ws).expires_never();
    websocket::stream_base::timeout t{};
    t.handshake_timeout = kHandshakeTimeout;
    t.idle_timeout = std::chrono::nanoseconds(options.read_timeout);
    t.keep_alive_pings = false;  // silence itself is the signal, as the Kite clients treat it
    ws.set_option(t);
    ws.async_handshake(*response, options.host, options.target,
                       [self = shared_from_this(), gen, &ws](beast::error_code ec) {
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
                         self->Read(ws, gen);
                       });
  }
  template <typename Ws>
  void Read(Ws& ws, std::uint64_t gen) {
    buffer.clear();
    ws.async_read(buffer, [self = shared_from_this(), gen, &ws](beast::error_code ec, std::size_t) {
      if (self->Stale(gen)) return;
      if (ec == beast::error::timeout) {
        return self->Down(fmt::format("no message for {} ms: connection taken as dead",
                                      self->options.read_timeout / kNanosPerMilli),
                          true);
      }
      if (ec == websocket::error::closed) return self->Down("closed by the server", true);
      if (ec) return self->Down("connection lost: " + ec.message(), true);
      WsMessage m;
      m.binary = ws.got_binary();
      m.data = beast::buffers_to_string(self->buffer.data());
      if (self->handlers.on_message) self->handlers.on_message(m);
      self->Read(ws, gen);
    });
  }
  void Send(std::string text) {
    if (!open) {
      if (handlers.on_down) handlers.on_down("not connected: message not sent", !stopped);
      return;
    }
    queue.push_back(std::move(text));
    if (queue.size() == 1) WithWs([&](auto& ws) { WriteNext(ws, generation); });
  }
  template <typename Ws>
  void WriteNext(Ws& ws, std::uint64_t gen) {
    // The handler owns the text being written: a drop (Down) forgets the queue while the write
    // of a long message (masked in chunks) may still read it. Its empty place at the front
    // marks the write in progress.
    auto text = std::make_shared<const std::string>(std::move(queue.front()));
    ws.text(true);
    ws.async_write(asio::buffer(*text),
                   [self = shared_from_this(), gen, &ws, text](beast::error_code ec, std::size_t) {
                     if (self->Stale(gen)) return;
                     if (ec) return self->Down("send failed: " + ec.message(), true);
                     self->queue.pop_front();
                     if (!self->queue.empty()) self->WriteNext(ws, gen);
                   });
  }
  // The connection of generation `gen` has been replaced or stopped.
  bool Stale(std::uint64_t gen) const { return stopped || gen != generation; }
  void Down(const std::string& reason, bool reconnect) {
    ++generation;  // callbacks of this connection are stale from now on
    open = false;
    queue.clear();
    WithWs([](auto& ws) { CloseSocket(ws); });
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
  std::optional<asio::ssl::context> ssl;  // with tls.enabled
  std::string ssl_setup_error;            // the CA certificates could not be loaded
  // The current connection: one of the two, by tls.enabled.
  std::optional<PlainWs> plain;
  std::optional<TlsWs> secure;
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
      impl->WithWs([](auto& ws) { CloseSocket(ws); });
      impl->open = false;
    }
  });
}

}  // namespace nacre::net
