// The emulator's ticker (KITE_CONNECT.md §4): a WebSocket on `/` taking api_key and
// access_token in the query (a bad or expired token is refused at the handshake with 403 and
// Kite's error body; a fourth connection of a key with 429); text messages
// {"a":"subscribe"|"unsubscribe"|"mode","v":…} (a plain subscribe is quote mode); at most 3,000
// instruments per connection (more gets an error frame and is not subscribed); a 1-byte
// heartbeat to every connection each second. Market data: Publish sends each connection the
// packets of the tokens it subscribed, in its mode, as one frame per replay step (Kite batches
// packets the same way); SendOrder sends an order update as a text message
// {"type":"order","data":…} to every connection of the user's api_key.
// Everything runs on the I/O thread it is given (the same one as the REST server, which
// shares the session store).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "adapters/zerodha/kite_codec.h"
#include "apps/kite_emulator/faults.h"
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
  // A connection with more frames than this waiting to be written (a slow reader) gets no new
  // frame: its changed tokens are kept and sent, at their latest state, once it has caught up.
  std::size_t max_backlog_frames = 64;
  // Wall time, for the fault plan's stalls and delays (default: the ticker's clock).
  std::function<UnixNanos()> wall;
};

class Ticker {
 public:
  Ticker(net::IoThread& io, SessionStore& sessions, std::function<UnixNanos()> clock,
         TickerOptions options = {});
  ~Ticker();
  Status Start();
  void Stop();
  std::uint16_t port() const;
  // The fault plan consulted before each market frame (drop, stall, error_frame; subject: the
  // connection id) and each order update (delay, duplicate, reorder, omit; subject: the order
  // id); `fired` hears every fault that fires (I/O thread).
  void SetFaults(FaultPlan* plan, std::function<void(const FiredFault&)> fired) {
    faults_ = plan;
    fired_ = std::move(fired);
  }
  // Sends every connection the packets of the updated tokens it subscribed (I/O thread).
  // `tick(token, mode)` gives the packet's contents.
  void Publish(const std::vector<std::uint32_t>& tokens,
               const std::function<KiteTick(std::uint32_t token, KiteMode mode)>& tick);
  // An order update (postback format) to every connection of `api_key` (I/O thread).
  void SendOrder(const std::string& api_key, const std::string& order_id,
                 const std::string& order_json);
  // A `message` text frame {"type":"message","data":text} to every connection (Kite's
  // informational messages; clients show or ignore them). Returns how many got it.
  std::size_t Broadcast(const std::string& text);
  // Drops every connection without a close frame (the control plane's drop_ws); returns how
  // many (I/O thread).
  std::size_t DropAll();
  // The last tick sent per token and mode, for /__emu/ticks (I/O thread).
  const std::map<std::pair<std::uint32_t, KiteMode>, KiteTick>& last_sent() const {
    return last_sent_;
  }
  std::uint64_t packets_sent() const { return packets_sent_; }
  std::uint64_t frames_sent() const { return frames_sent_; }
  std::uint64_t heartbeats_sent() const { return heartbeats_sent_; }
  // Frames held back from slow readers (their tokens sent later at their latest state).
  std::uint64_t frames_deferred() const { return frames_deferred_; }
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
  std::map<std::pair<std::uint32_t, KiteMode>, KiteTick> last_sent_;
  UnixNanos Wall() const { return options_.wall ? options_.wall() : clock_(); }
  std::optional<FiredFault> Fault(std::string_view subject, std::span<const FaultAction> can);
  void Deliver(const std::string& api_key, const std::string& text);
  FaultPlan* faults_ = nullptr;
  std::function<void(const FiredFault&)> fired_;
  std::map<std::uint64_t, UnixNanos> stalled_until_;        // connection → wall time
  struct Held {
    std::string api_key, text;
    std::uint64_t seq = 0;  // which hold (a timer releases only its own)
  };
  std::map<std::string, Held> held_;  // order id → the update held back by `reorder`
  std::uint64_t next_hold_ = 0;
  std::uint64_t packets_sent_ = 0, frames_sent_ = 0, heartbeats_sent_ = 0, frames_deferred_ = 0;
  std::map<std::uint64_t, std::set<std::uint32_t>> deferred_;  // connection → tokens
};

}  // namespace nacre::kite_emu
