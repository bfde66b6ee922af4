// ZerodhaDataClient: the Kite ticker (KITE_CONNECT.md §4) as a Nacre DataClient.
//
// Threads. Subscribe, Unsubscribe, Connect, Disconnect and Reconnect are called on the kernel
// thread (never on the I/O thread: they wait for it). Everything a socket does runs on the
// net::IoThread given: frames are decoded there (DecodeKiteFrame) into immutable QuoteTick and
// TradeTick values pushed into the kernel's Inbox; nothing calls into kernel objects. ts_init
// is the injected Clock's Now() (const and thread-safe for LiveClock and ScaledClock), ts_event
// the packet's exchange timestamp (last trade time for trades) when it has one. Stats(),
// is_connected() and TakeNotices() are safe from any thread (one mutex).
//
// Sharding. A subscribed instrument's token goes to the first connection with room (at most
// `max_tokens_per_connection`, 3,000, each; at most `max_connections`, 3, per api_key); a
// token that fits nowhere is not subscribed, counted (ZerodhaDataStats::unfitted) and reported in a
// notice naming how many did not fit. Each connection subscribes its tokens
// ({"a":"subscribe","v":[...]}) and sets them to full mode ({"a":"mode","v":["full",[...]]}:
// depth for options, the 32-byte packet for indices) whenever it opens, so a reconnect
// resubscribes with modes by itself. Subscriptions made in a row are sent together (one
// subscribe and one mode message per connection when the I/O thread next runs). Quotes and
// trades of one instrument share its token, which is unsubscribed when neither is wanted.
//
// Conversion. A full packet gives a QuoteTick from depth[0] (bid = buy[0], ask = sell[0],
// sizes their quantities in units); a side with price 0 (no bids or no offers) gives no quote
// (counted: one_sided). An index packet gives a QuoteTick with bid = ask = last price and zero
// sizes (as the catalog stores index quotes and the replay client feeds them). A TradeTick
// comes when an instrument's cumulative volume grew since its previous packet: price = last
// price, size = last_quantity, aggressor unknown, trade id "{token}-{volume}" (the same trade
// always gets the same id). The first packet of an instrument is its baseline (the last trade
// it shows happened before we looked); the volume is remembered across reconnects, so trades
// during a gap show as one trade. Kite conflates: several trades between two packets show
// as one (the last), so trade ticks are a sample, not the tape.
//
// Liveness (net::WsClient): no message (Kite sends a heartbeat each second) for
// `read_timeout` means dead; the connection is closed and reopened after a backoff with
// seeded jitter. Every drop is counted; the gap (wall time from the last sign of life before
// the drop, a message or the open, to the first message after the reopen) is counted and its
// total and maximum kept (and a notice names it). A handshake refused with 403 means the
// access token expired: that connection stops (no reconnect flood), token_refused is set in
// the stats and a notice says so; the node halts and, after a new login, calls
// Reconnect(new_access_token).
//
// Text frames: {"type":"order",...} is handed whole (the frame's text) to the handler set by
// SetOrderUpdateHandler, on the I/O thread (the execution client interprets it); "error" and
// "message" frames are counted and kept as notices.
//
// Secrets: the access token is registered (RegisterSecret) and goes only into the handshake's
// target; every notice passes through Redact().
//
// TLS. `tls = true` (Kite's wss://ws.kite.trade) verifies the server's certificate against the
// system's CAs or `ca_file` and checks that it names `host` (net::WsClient). A certificate that
// fails verification stops that connection like a refused handshake (a notice gives OpenSSL's
// reason; no reconnect flood: another handshake would meet the same certificate); Reconnect
// starts it again. `tls = false` is plain ws:// (the Kite emulator).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "adapters/zerodha/kite_codec.h"
#include "adapters/zerodha/kite_instrument_map.h"
#include "common/clock.h"
#include "common/inbox.h"
#include "core/result.h"
#include "data/data_client.h"
#include "net/io_thread.h"
#include "net/ws.h"

namespace nacre {

// Decoded packets → market data, as described above. Keeps each token's last cumulative volume
// (trade detection); one thread at a time.
class KiteTickConverter {
 public:
  struct Output {
    std::optional<QuoteTick> quote;
    std::optional<TradeTick> trade;
    bool one_sided = false;  // a full packet without a bid or an ask
  };
  Output Convert(const KiteTick& tick, const InstrumentId& id, UnixNanos ts_init);
  // The quote alone (no state).
  static std::optional<QuoteTick> ToQuote(const KiteTick& tick, const InstrumentId& id,
                                          UnixNanos ts_init, bool* one_sided = nullptr);

 private:
  std::unordered_map<std::uint32_t, std::uint32_t> volume_;
};

struct ZerodhaDataConfig {
  ClientId id{"ZERODHA"};
  Venue venue{"NFO"};
  std::string host = "ws.kite.trade";
  std::uint16_t port = 443;
  bool tls = true;         // wss:// (Kite); false: ws:// (the emulator)
  std::string ca_file;     // PEM CAs for tls; empty: the system's CA store
  std::string path = "/";  // the handshake target is path + "?api_key=..&access_token=.."
  std::string api_key;
  std::string access_token;  // secret
  std::shared_ptr<const KiteInstrumentMap> instruments;
  std::size_t max_tokens_per_connection = 3000;
  std::size_t max_connections = 3;
  DurationNs read_timeout = 5 * kNanosPerSecond;
  DurationNs initial_backoff = kNanosPerSecond;
  DurationNs max_backoff = 60 * kNanosPerSecond;
  double jitter = 0.1;
  std::uint64_t seed = 1;
  // Wall time for gap measurement (a network measure, not trading time); none: steady clock.
  std::function<UnixNanos()> wall;
};

struct ZerodhaDataStats {
  std::uint64_t connections = 0;   // handshakes accepted (opens, first and later)
  std::uint64_t reconnects = 0;    // drops after which a reconnect was scheduled
  std::uint64_t resubscribes = 0;  // reopens that resubscribed a connection's tokens
  std::uint64_t frames = 0;        // binary frames with packets
  std::uint64_t heartbeats = 0;    // 1-byte frames
  std::uint64_t ticks = 0;         // packets decoded
  std::uint64_t quotes = 0;        // QuoteTicks pushed
  std::uint64_t trades = 0;        // TradeTicks pushed
  std::uint64_t one_sided = 0;     // full packets without a bid or an ask (no quote)
  std::uint64_t unknown_tokens = 0;
  std::uint64_t decode_errors = 0;
  std::uint64_t order_updates = 0;
  std::uint64_t error_messages = 0;  // {"type":"error"}
  std::uint64_t info_messages = 0;   // {"type":"message"}
  std::uint64_t refused_handshakes = 0;
  std::uint64_t gaps = 0;
  DurationNs gap_total = 0;
  DurationNs gap_max = 0;
  std::uint64_t unfitted = 0;  // subscriptions that fit no connection
  bool token_refused = false;  // a handshake got 403: a new login is needed
};

class ZerodhaDataClient final : public DataClient {
 public:
  ZerodhaDataClient(ZerodhaDataConfig config, const Clock& clock, Inbox& inbox, net::IoThread& io);
  ~ZerodhaDataClient() override;
  ZerodhaDataClient(const ZerodhaDataClient&) = delete;
  ZerodhaDataClient& operator=(const ZerodhaDataClient&) = delete;

  // A config error (TLS, no instrument map, no api_key or token, zero limits), naming the field.
  static Status Validate(const ZerodhaDataConfig& config);

  const ClientId& id() const override { return config_.id; }
  const Venue& venue() const override { return config_.venue; }
  // Opens the first connection (and every connection that has tokens).
  void Connect() override;
  void Disconnect() override;
  // Every connection that has tokens is open (before any subscription: the first one).
  bool is_connected() const override;
  void Subscribe(const DataSubscription& cmd) override;
  void Unsubscribe(const DataSubscription& cmd) override;

  // Resumes after a token refusal with a fresh access token: every connection is replaced by
  // one with the new token and resubscribes its tokens. Kernel thread.
  void Reconnect(const std::string& new_access_token);
  // The execution client's hook for {"type":"order"} frames (called on the I/O thread with the
  // frame's whole text). Set before Connect.
  void SetOrderUpdateHandler(std::function<void(std::string json)> handler);

  ZerodhaDataStats stats() const;
  // The day's refreshed instrument map (kernel thread; the I/O thread decodes with it from its
  // next frame): tokens of new listings become subscribable.
  void SetInstrumentMap(std::shared_ptr<const KiteInstrumentMap> map);
  // Notices since the last call (token refused, sharding overflow, error/message frames,
  // unsupported subscriptions), redacted; the kernel logs or alerts them.
  std::vector<std::string> TakeNotices();
  // Tokens per connection (index = connection), for tests and status.
  std::vector<std::vector<std::uint32_t>> Shards() const;

 private:
  struct Shard {
    std::set<std::uint32_t> tokens;
    std::unique_ptr<net::WsClient> client;
    bool open = false;
    bool stopped = false;       // refused (or never started): no reconnect pending
    bool awaiting_gap = false;  // dropped: the next message closes a gap
    UnixNanos last_message;     // wall time of the last sign of life (a message or the open)
    int opens = 0;              // opens of this connection (any client, any token)
    // Changes since the last flush to the I/O thread (one message for many subscriptions).
    std::vector<std::uint32_t> pending_subscribe, pending_unsubscribe;
    int number = 0;  // index, for messages
  };
  struct Wanted {
    bool quotes = false;
    bool trades = false;
    std::size_t shard = 0;
  };

  std::string Target() const;
  // Creates (not starts) shard `i`'s WsClient with the current token. mu_ held.
  void MakeClient(std::size_t i);
  void StartShard(std::size_t i);  // mu_ not held
  void SendTokens(std::size_t i, const char* action, const std::vector<std::uint32_t>& tokens);
  void PostFlush();               // mu_ held
  void Flush();                   // I/O thread
  void Notice(std::string text);  // mu_ held

  // I/O thread.
  void OnOpen(std::size_t shard, int connection_number);
  void OnMessage(std::size_t shard, const net::WsMessage& m);
  void OnDown(std::size_t shard, const std::string& reason, bool reconnecting);
  void OnFrame(const std::string& data);
  void OnText(const std::string& text);
  UnixNanos Wall() const;

  ZerodhaDataConfig config_;
  const Clock& clock_;
  Inbox& inbox_;
  net::IoThread& io_;
  bool connected_ = false;  // Connect called (kernel thread)

  mutable std::mutex mu_;
  std::string access_token_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::unordered_map<std::uint32_t, Wanted> wanted_;  // token → what is subscribed
  ZerodhaDataStats stats_;
  std::vector<std::string> notices_;
  std::function<void(std::string)> order_handler_;
  bool flush_posted_ = false;

  KiteTickConverter converter_;  // I/O thread (under mu_)
};

}  // namespace nacre
