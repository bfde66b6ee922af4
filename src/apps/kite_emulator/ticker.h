// The emulator's ticker (KITE_CONNECT.md §4): a WebSocket on `/` taking api_key and
// access_token in the query (a bad or expired token is refused at the handshake with 403 and
// Kite's error body; a fourth connection of a key with 429); text messages
// {"a":"subscribe"|"unsubscribe"|"mode","v":…} (a plain subscribe is quote mode); at most 3,000
// instruments per connection (more gets an error frame and is not subscribed); a 1-byte
// heartbeat to every connection each second. Market data comes with the replay (not yet).
// Everything runs on the I/O thread it is given (the same one as the REST server, which
// shares the session store).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "adapters/zerodha/kite_codec.h"
#include "apps/kite_emulator/sessions.h"
#include "core/result.h"
#include "net/io_thread.h"
#include "net/ws.h"

namespace nacre::kite_emu {

struct TickerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;
  DurationNs heartbeat = kNanosPerSecond;
  std::size_t max_tokens_per_connection = 3000;
  std::size_t max_connections_per_key = 3;
};

class Ticker {
 public:
  Ticker(net::IoThread& io, SessionStore& sessions, std::function<UnixNanos()> clock,
         TickerOptions options = {});
  ~Ticker();
  Status Start();
  void Stop();
  std::uint16_t port() const;
  // Each open connection's subscriptions (token → mode), read on the I/O thread.
  std::map<std::uint64_t, std::map<std::uint32_t, KiteMode>> Subscriptions();

 private:
  struct Conn {
    std::string api_key;
    std::map<std::uint32_t, KiteMode> tokens;
  };
  static std::string ApiKeyOf(const std::string& target);
  std::optional<net::WsRefusal> Handshake(const std::string& target);
  void OnMessage(std::uint64_t conn, const net::WsMessage& m);
  void Error(std::uint64_t conn, const std::string& text);

  net::IoThread& io_;
  SessionStore& sessions_;
  std::function<UnixNanos()> clock_;
  TickerOptions options_;
  std::map<std::uint64_t, Conn> conns_;  // I/O thread only
  std::unique_ptr<net::WsServer> server_;
  std::uint64_t heartbeat_ = 0;
};

}  // namespace nacre::kite_emu
