// WebSocket server and client (RFC 6455 over TCP, plain or TLS; Beast behind these plain
// interfaces).
//
// WsServer: accepts on 127.0.0.1 (or a given address), asks `on_handshake` whether to accept a
// request target (e.g. "/?api_key=..&access_token=..": refuse with an HTTP status and body, as
// Kite refuses a bad token with 403), then reports opens, messages and closes per connection
// id. Send/Close/Drop are thread-safe (posted to the I/O thread); Drop cuts the TCP connection
// without a close frame (a network fault, for tests and the emulator's fault plan). With
// `tls.enabled` it serves wss:// (the TLS handshake first, then the same WebSocket session).
//
// WsClient: connects to ws://host:port/target (wss:// with `tls.enabled`) and keeps the connection
// alive the way the Kite ticker clients do: no message for `read_timeout` (5 s; Kite sends a
// heartbeat every second) means the connection is dead; it is closed and a new one opened after a
// backoff of initial × 2^attempt (capped at `max_delay`) with ± `jitter` (a seeded generator, so
// runs repeat), the attempt count reset by a successful open. A handshake refused with an HTTP
// status is reported and, unless `reconnect_after_refusal`, not retried (a 403 token error
// needs a new login, not a flood of handshakes). Over TLS the server's certificate is verified
// against the system's CAs (or `tls.ca_file`) and must name `host` (RFC 2818; SNI is sent); a
// certificate that fails verification is reported ("TLS handshake failed: the server's
// certificate did not pass verification: <OpenSSL's reason> ...") and treated like a refusal:
// retried (after the backoff) only with `reconnect_after_refusal`, since another handshake
// with the same certificate fails the same way. Never a silent fallback to plain text.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "core/result.h"
#include "core/time.h"
#include "net/io_thread.h"

namespace nacre::net {

struct WsMessage {
  bool binary = false;
  std::string data;
};

struct WsRefusal {
  int status = 403;
  std::string body;
};

// A server certificate (PEM chain, leaf first) and its private key (PEM); Start() fails naming
// the file that cannot be loaded.
struct WsServerTls {
  bool enabled = false;
  std::string cert_file;
  std::string key_file;
};

struct WsServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;
  WsServerTls tls;
};

class WsServer {
 public:
  struct Handlers {
    // nullopt: accept; else the HTTP refusal sent instead of the upgrade.
    std::function<std::optional<WsRefusal>(const std::string& target)> on_handshake;
    std::function<void(std::uint64_t conn, const std::string& target)> on_open;
    std::function<void(std::uint64_t conn, const WsMessage& message)> on_message;
    std::function<void(std::uint64_t conn)> on_close;
  };
  WsServer(IoThread& io, Handlers handlers, WsServerOptions options = {});
  ~WsServer();
  WsServer(const WsServer&) = delete;
  WsServer& operator=(const WsServer&) = delete;

  Status Start();
  void Stop();
  std::uint16_t port() const;
  void Send(std::uint64_t conn, WsMessage message);
  void Close(std::uint64_t conn);
  void Drop(std::uint64_t conn);
  // Messages waiting to be written to `conn` (a slow reader's backlog; 0 when unknown). I/O
  // thread only.
  std::size_t Queued(std::uint64_t conn) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The reconnect delay before attempt `attempt` (0-based): initial × 2^attempt capped at
// `max_delay`, times a factor uniform in [1 − jitter, 1 + jitter].
DurationNs BackoffDelay(int attempt, DurationNs initial, DurationNs max_delay, double jitter,
                        std::mt19937_64& rng);

// wss://: the server's certificate is verified against the system's CAs (or `ca_file`) and
// must name the host. A CA file that cannot be loaded is reported by on_down at Start(), not
// retried.
struct WsClientTls {
  bool enabled = false;
  std::string ca_file;  // PEM; empty: the system's CA store
};

struct WsClientOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string target = "/";
  WsClientTls tls;
  DurationNs read_timeout = 5 * kNanosPerSecond;
  DurationNs initial_backoff = kNanosPerSecond;
  DurationNs max_backoff = 60 * kNanosPerSecond;
  double jitter = 0.1;
  std::uint64_t seed = 1;
  bool reconnect_after_refusal = false;
};

class WsClient {
 public:
  struct Handlers {
    std::function<void(int connection_number)> on_open;  // 1 for the first, 2 after a reconnect
    std::function<void(const WsMessage& message)> on_message;
    // Why a connection ended or could not be made ("refused: 403 ...", "no message for 5 s",
    // "closed by the server", "TLS handshake failed: ...", ...), and whether a reconnect is
    // scheduled.
    std::function<void(const std::string& reason, bool reconnecting)> on_down;
  };
  WsClient(IoThread& io, Handlers handlers, WsClientOptions options);
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  void Start();
  // Sends a text message on the open connection (dropped, and said so by on_down, when none).
  void SendText(std::string text);
  // Closes and stops reconnecting; blocks until the I/O thread has done it.
  void Stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace nacre::net
