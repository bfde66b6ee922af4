// ZerodhaDataClient against the running Kite emulator over real sockets: subscriptions in full
// mode, the replay's quotes and trades arriving in the kernel's Inbox exactly as the catalog
// holds them; a dropped connection reconnects and resubscribes (gap counted); a stalled one
// is declared dead by the read timeout; an expired token is refused at the handshake with
// 403, stops the reconnects and resumes with a new login's token. Over TLS (wss://, as Kite's
// ws.kite.trade): through a TLS front (a WsServer with a certificate from a throwaway CA, each
// connection relayed to the emulator's ticker as a load balancer terminating TLS would) the
// same quotes arrive and a drop reconnects; a certificate for another host stops the
// connection with the verification failure named.
#include "adapters/zerodha/kite_data_client.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>

#include "adapters/zerodha/kite_historical.h"
#include "core/secrets.h"
#include "emulator_fixture.h"
#include "net/tls_test_certs.h"
#include "net/ws.h"

namespace nacre::live_test {
namespace {

// A TLS front for the emulator's ticker: each wss:// connection it accepts gets a ws://
// connection to the emulator with the same target; frames pass both ways untouched, and a
// drop of either side drops the other. Its own I/O threads (the front's and the upstream
// clients'), so stopping an upstream client from a front handler never waits on itself.
class TlsFront {
 public:
  TlsFront(std::uint16_t upstream_port, std::string cert_file, std::string key_file)
      : upstream_port_(upstream_port) {
    net::WsServer::Handlers h;
    h.on_open = [this](std::uint64_t conn, const std::string& target) { Open(conn, target); };
    h.on_message = [this](std::uint64_t conn, const net::WsMessage& m) {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = links_.find(conn);
      if (it == links_.end()) return;
      if (it->second->open) {
        it->second->up->SendText(m.data);
      } else {
        it->second->pending.push_back(m.data);
      }
    };
    h.on_close = [this](std::uint64_t conn) { Forget(conn); };
    net::WsServerOptions o;
    o.tls = net::WsServerTls{true, std::move(cert_file), std::move(key_file)};
    server_ = std::make_unique<net::WsServer>(front_io_, std::move(h), o);
  }
  ~TlsFront() {
    server_->Stop();
    std::map<std::uint64_t, std::shared_ptr<Link>> links;
    {
      std::lock_guard<std::mutex> lock(mu_);
      links.swap(links_);
    }
    links.clear();  // the upstream clients stop here
  }
  Status Start() { return server_->Start(); }
  std::uint16_t port() const { return server_->port(); }

 private:
  struct Link {
    std::unique_ptr<net::WsClient> up;
    bool open = false;
    std::vector<std::string> pending;  // client messages sent before the upstream opened
  };
  void Open(std::uint64_t conn, const std::string& target) {
    auto link = std::make_shared<Link>();
    net::WsClientOptions o;
    o.port = upstream_port_;
    o.target = target;
    o.initial_backoff = 60 * kNanosPerSecond;  // an upstream drop ends the pair instead
    net::WsClient::Handlers h;
    h.on_open = [this, conn](int) {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = links_.find(conn);
      if (it == links_.end()) return;
      it->second->open = true;
      for (std::string& m : it->second->pending) it->second->up->SendText(std::move(m));
      it->second->pending.clear();
    };
    h.on_message = [this, conn](const net::WsMessage& m) { server_->Send(conn, m); };
    h.on_down = [this, conn](const std::string&, bool) { server_->Drop(conn); };
    link->up = std::make_unique<net::WsClient>(up_io_, std::move(h), o);
    {
      std::lock_guard<std::mutex> lock(mu_);
      links_[conn] = link;
    }
    link->up->Start();
  }
  void Forget(std::uint64_t conn) {
    std::shared_ptr<Link> link;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = links_.find(conn);
      if (it == links_.end()) return;
      link = std::move(it->second);
      links_.erase(it);
    }
    link.reset();  // outside the lock: the upstream client's Stop waits for its thread
  }

  std::uint16_t upstream_port_;
  net::IoThread up_io_;
  net::IoThread front_io_;
  std::mutex mu_;
  std::map<std::uint64_t, std::shared_ptr<Link>> links_;
  std::unique_ptr<net::WsServer> server_;
};

class DataClientTest : public EmulatorTest {
 protected:
  void SetUp() override {
    EmulatorTest::SetUp();
    if (HasFatalFailure()) return;
    map_ = Map();
    ASSERT_NE(map_, nullptr);
    // The previous day's quotes are released before anyone subscribes, so the first ticks are
    // the replayed day's; the replay waits one second before 10:00, and the session is the
    // morning's (a token of the previous day expires at 06:00 IST, and a reconnect needs a
    // valid one, as with Kite).
    Get("/__emu/step?seconds=" + std::to_string((t0_ - d0_) / kNanosPerSecond - 1));
    Login();
  }
  void TearDown() override {
    client_.reset();
    io_.Stop();
    EmulatorTest::TearDown();
  }
  ZerodhaDataConfig Config() {
    ZerodhaDataConfig c;
    c.host = "127.0.0.1";
    c.port = rt_->ticker_port();
    c.tls = false;
    c.api_key = "k";
    c.access_token = access_;
    c.instruments = map_;
    c.read_timeout = 2 * kNanosPerSecond;
    c.initial_backoff = 20 * kNanosPerMilli;
    c.max_backoff = 200 * kNanosPerMilli;
    return c;
  }
  void Start(ZerodhaDataConfig c, std::size_t connections = 1) {
    client_ = std::make_unique<ZerodhaDataClient>(std::move(c), clock_, inbox_, io_);
    client_->SetOrderUpdateHandler([this](std::string text) {
      std::lock_guard<std::mutex> lock(mu_);
      orders_.push_back(std::move(text));
    });
    client_->Connect();
    ASSERT_TRUE(WaitFor([&] { return client_->is_connected(); })) << Notices();
    for (const Instrument* i : {&index_, &call_, &put_}) {
      DataSubscription s;
      s.instrument_id = i->id;
      client_->Subscribe(s);
    }
    DataSubscription t;
    t.kind = DataKind::kTrades;
    t.instrument_id = put_.id;
    client_->Subscribe(t);
    ASSERT_TRUE(Subscribed(connections)) << Notices();
  }
  // The emulator holds our three tokens in full mode on one connection (or, with
  // `connections` = 3, one on each).
  bool Subscribed(std::size_t connections = 1) {
    const std::map<std::uint32_t, KiteMode> want{{256265, KiteMode::kFull},
                                                 {*map_->TokenOf(call_.id), KiteMode::kFull},
                                                 {*map_->TokenOf(put_.id), KiteMode::kFull}};
    return WaitFor([&] {
      const auto subs = TickerSubscriptions();
      if (subs.size() != connections) return false;
      std::map<std::uint32_t, KiteMode> all;
      for (const auto& [conn, tokens] : subs) {
        if (tokens.size() != 3 / connections) return false;
        all.insert(tokens.begin(), tokens.end());
      }
      return all == want;
    });
  }
  std::string Notices() {
    std::string out;
    for (const std::string& n : client_->TakeNotices()) out += n + "\n";
    return out;
  }
  // Takes market data from the inbox until `n` items came or the deadline passed.
  std::vector<MarketData> Take(std::size_t n) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (got_.size() < n && inbox_.WaitUntil(until)) {
      std::vector<ExecItem> exec;
      std::vector<MarketData> data;
      inbox_.Take(exec, data, 1000);
      got_.insert(got_.end(), data.begin(), data.end());
    }
    std::vector<MarketData> out;
    out.swap(got_);
    return out;
  }
  // Quotes without ts_init (the client stamps it with its clock).
  static std::vector<QuoteTick> Quotes(const std::vector<MarketData>& data) {
    std::vector<QuoteTick> out;
    for (const MarketData& d : data) {
      if (const auto* q = std::get_if<QuoteTick>(&d)) {
        QuoteTick c = *q;
        c.ts_init = c.ts_event;
        out.push_back(c);
      }
    }
    std::sort(out.begin(), out.end(), [](const QuoteTick& a, const QuoteTick& b) {
      return a.instrument_id < b.instrument_id;
    });
    return out;
  }
  static void ExpectQuotes(const std::vector<QuoteTick>& got, const std::vector<QuoteTick>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      SCOPED_TRACE(want[i].instrument_id.value());
      EXPECT_EQ(got[i].instrument_id, want[i].instrument_id);
      EXPECT_EQ(got[i].bid_price, want[i].bid_price);
      EXPECT_EQ(got[i].ask_price, want[i].ask_price);
      EXPECT_EQ(got[i].bid_size, want[i].bid_size);
      EXPECT_EQ(got[i].ask_size, want[i].ask_size);
      EXPECT_EQ(got[i].ts_event, want[i].ts_event);
    }
  }
  // The replay's 10:00 quotes, sorted by instrument id as Quotes() sorts.
  std::vector<QuoteTick> TenOClock() {
    std::vector<QuoteTick> want{Q(call_, "100.00", "100.10", 130, 195, t0_),
                                Q(put_, "50.00", "50.10", 65, 65, t0_),
                                Q(index_, "24001.25", "24001.25", 0, 0, t0_)};
    std::sort(want.begin(), want.end(), [](const QuoteTick& a, const QuoteTick& b) {
      return a.instrument_id < b.instrument_id;
    });
    return want;
  }

  LiveClock clock_;
  Inbox inbox_;
  net::IoThread io_;
  std::shared_ptr<const KiteInstrumentMap> map_;
  std::unique_ptr<ZerodhaDataClient> client_;
  std::vector<MarketData> got_;
  std::mutex mu_;
  std::vector<std::string> orders_;
};

TEST_F(DataClientTest, QuotesAndTradesOfTheReplayReachTheInbox) {
  Start(Config());
  Get("/__emu/step");  // 10:00: call, put and index quotes
  ExpectQuotes(Quotes(Take(3)), TenOClock());
  // Two seconds on: the put's two trades go out in one frame (Kite conflates), so one trade
  // tick, the last (130 @ 50.50), with the day's volume in its id; the put's touch is unchanged.
  Get("/__emu/step?seconds=2");
  const std::vector<MarketData> data = Take(2);
  std::vector<TradeTick> trades;
  for (const MarketData& d : data) {
    if (const auto* t = std::get_if<TradeTick>(&d)) trades.push_back(*t);
  }
  ASSERT_EQ(trades.size(), 1u);
  EXPECT_EQ(trades[0].instrument_id, put_.id);
  EXPECT_EQ(trades[0].price, Px("50.50"));
  EXPECT_EQ(trades[0].size, Qty(130));
  EXPECT_EQ(trades[0].aggressor_side, OrderSide::kNoSide);
  EXPECT_EQ(trades[0].trade_id.value(), std::to_string(*map_->TokenOf(put_.id)) + "-195");
  EXPECT_EQ(trades[0].ts_event, t0_ + 2 * kNanosPerSecond);
  ExpectQuotes(Quotes(data), {Q(put_, "50.00", "50.10", 65, 65, t0_ + 2 * kNanosPerSecond)});
  // Five minutes on: the call's next quote only.
  Get("/__emu/step?seconds=298");
  ExpectQuotes(Quotes(Take(1)),
               {Q(call_, "101.00", "101.20", 65, 130, t0_ + 300 * kNanosPerSecond)});

  // A `message` frame is counted and kept as a notice; an unsubscribed instrument's ticks
  // stop.
  Get("/__emu/message?text=hello");
  ASSERT_TRUE(WaitFor([&] { return client_->stats().info_messages == 1; }));
  EXPECT_NE(Notices().find("ticker message: \"hello\""), std::string::npos);
  DataSubscription off;
  off.instrument_id = call_.id;
  off.subscribe = false;
  client_->Unsubscribe(off);
  ASSERT_TRUE(WaitFor([&] {
    const auto subs = TickerSubscriptions();
    return subs.size() == 1 && subs.begin()->second.count(*map_->TokenOf(call_.id)) == 0;
  }));
  const ZerodhaDataStats st = client_->stats();
  EXPECT_EQ(st.connections, 1u);
  EXPECT_EQ(st.reconnects, 0u);
  EXPECT_EQ(st.quotes, 5u);
  EXPECT_EQ(st.trades, 1u);
  EXPECT_EQ(st.decode_errors, 0u);
  EXPECT_EQ(st.unknown_tokens, 0u);
  EXPECT_GT(st.heartbeats, 0u);
}

TEST_F(DataClientTest, ADroppedConnectionReconnectsResubscribesAndCountsTheGap) {
  Start(Config());
  const auto dropped = Get("/__emu/drop_ws");
  EXPECT_EQ(dropped["data"]["dropped"], 1);
  ASSERT_TRUE(WaitFor([&] { return client_->stats().resubscribes == 1; })) << Notices();
  ASSERT_TRUE(Subscribed());  // the new connection holds every token in full mode again
  Get("/__emu/step");
  ExpectQuotes(Quotes(Take(3)), TenOClock());
  ASSERT_TRUE(WaitFor([&] { return client_->stats().gaps == 1; }));
  const ZerodhaDataStats st = client_->stats();
  EXPECT_EQ(st.connections, 2u);
  EXPECT_EQ(st.reconnects, 1u);
  EXPECT_GT(st.gap_max, 0);
  EXPECT_EQ(st.gap_total, st.gap_max);
  EXPECT_FALSE(st.token_refused);
  EXPECT_TRUE(client_->is_connected());
  const std::string notices = Notices();
  EXPECT_NE(notices.find("ticker connection 1 down"), std::string::npos) << notices;
  EXPECT_NE(notices.find("ticker connection 1 back after a gap of "), std::string::npos) << notices;
}

TEST_F(DataClientTest, AStalledConnectionIsDeadAfterTheReadTimeout) {
  ZerodhaDataConfig c = Config();
  c.read_timeout = 500 * kNanosPerMilli;  // heartbeats come every 50 ms
  Start(c);
  // The next market frame stalls the connection: no frames, no heartbeats, for as long as the
  // emulator's (hand-driven) wall clock stands still.
  LoadFaults(json::parse(
      R"({"rule": [{"stream": "ws", "action": "stall", "nth": 1, "delay_ms": 60000}]})"));
  Get("/__emu/step");
  ASSERT_TRUE(WaitFor([&] { return client_->stats().resubscribes == 1; })) << Notices();
  const std::string notices = Notices();
  EXPECT_NE(notices.find("no message for 500 ms"), std::string::npos) << notices;
  ASSERT_TRUE(Subscribed());
  EXPECT_EQ(client_->stats().reconnects, 1u);
  // Market data flows again on the new connection: to 10:05, the put (its trades at 10:00:01
  // and :02 changed it; the 10:00 frame was lost in the stall, so this first packet is the
  // put's baseline and no trade tick) and the call's 10:05 quote.
  Get("/__emu/step?seconds=300");
  ExpectQuotes(Quotes(Take(2)),
               {Q(put_, "50.00", "50.10", 65, 65, t0_ + 2 * kNanosPerSecond),
                Q(call_, "101.00", "101.20", 65, 130, t0_ + 300 * kNanosPerSecond)});
  EXPECT_GE(client_->stats().gap_max, 250 * kNanosPerMilli);  // about the read timeout
}

TEST_F(DataClientTest, TokensShardedOverThreeConnectionsAllResubscribeAfterADrop) {
  ZerodhaDataConfig c = Config();
  c.max_tokens_per_connection = 1;  // three instruments: three connections, Kite's maximum
  Start(c, 3);
  EXPECT_EQ(client_->Shards().size(), 3u);
  Get("/__emu/step");
  ExpectQuotes(Quotes(Take(3)), TenOClock());
  EXPECT_EQ(Get("/__emu/drop_ws")["data"]["dropped"], 3);
  ASSERT_TRUE(WaitFor([&] { return client_->stats().resubscribes == 3; })) << Notices();
  ASSERT_TRUE(Subscribed(3));
  ASSERT_TRUE(WaitFor([&] { return client_->is_connected(); }));
  // To 10:05: the put (its trades at 10:00:01 and :02 show as one trade tick, its volume
  // remembered across the reconnect) and the call's 10:05 quote.
  Get("/__emu/step?seconds=300");
  const std::vector<MarketData> data = Take(3);
  ExpectQuotes(Quotes(data), {Q(put_, "50.00", "50.10", 65, 65, t0_ + 2 * kNanosPerSecond),
                              Q(call_, "101.00", "101.20", 65, 130, t0_ + 300 * kNanosPerSecond)});
  EXPECT_EQ(data.size(), 3u);
  const ZerodhaDataStats st = client_->stats();
  EXPECT_EQ(st.connections, 6u);
  EXPECT_EQ(st.reconnects, 3u);
  EXPECT_EQ(st.trades, 1u);
  EXPECT_EQ(st.unfitted, 0u);
}

TEST_F(DataClientTest, OrderUpdatesGoWholeToTheExecutionClientsHandler) {
  Start(Config());
  Get("/__emu/step");  // 10:00: the call is offered at 100.10
  const std::string symbol = map_->RefOf(call_.id)->tradingsymbol;
  auto placed = Send("POST", "/orders/regular",
                     "variety=regular&exchange=NFO&tradingsymbol=" + symbol +
                         "&transaction_type=BUY&order_type=LIMIT&quantity=65&product=NRML"
                         "&price=100.10");
  ASSERT_TRUE(placed.ok()) << placed.error();
  ASSERT_EQ(placed->status, 200) << placed->body;
  Get("/__emu/step?seconds=1");  // the OMS's transient statuses take virtual time
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& o : orders_) {
      if (o.find("COMPLETE") != std::string::npos) return true;
    }
    return false;
  })) << Notices();
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& o : orders_) {
    const json j = json::parse(o);
    EXPECT_EQ(j["type"], "order");
    EXPECT_EQ(j["data"]["tradingsymbol"], symbol);
  }
  EXPECT_EQ(client_->stats().order_updates, orders_.size());
}

TEST_F(DataClientTest, SubscriptionsBeforeConnectAreSentOnOpenAndSurviveADisconnect) {
  client_ = std::make_unique<ZerodhaDataClient>(Config(), clock_, inbox_, io_);
  for (const Instrument* i : {&index_, &call_, &put_}) {
    DataSubscription s;
    s.instrument_id = i->id;
    client_->Subscribe(s);
  }
  EXPECT_FALSE(client_->is_connected());
  EXPECT_TRUE(TickerSubscriptions().empty());  // nothing connects before Connect
  client_->Connect();
  ASSERT_TRUE(Subscribed()) << Notices();
  ASSERT_TRUE(WaitFor([&] { return client_->is_connected(); }));
  // A deliberate disconnect is no drop: no reconnect, no gap; Connect again resubscribes.
  client_->Disconnect();
  EXPECT_FALSE(client_->is_connected());
  ASSERT_TRUE(WaitFor([&] { return TickerSubscriptions().empty(); }));
  client_->Connect();
  ASSERT_TRUE(Subscribed()) << Notices();
  Get("/__emu/step");
  ExpectQuotes(Quotes(Take(3)), TenOClock());
  const ZerodhaDataStats st = client_->stats();
  EXPECT_EQ(st.connections, 2u);
  EXPECT_EQ(st.resubscribes, 1u);
  EXPECT_EQ(st.reconnects, 0u);
  EXPECT_EQ(st.gaps, 0u);
}

TEST_F(DataClientTest, AnExpiredTokenIsRefusedOnceAndANewLoginResumes) {
  ClearSecretsForTest();
  Start(Config());
  const std::string old_token = access_;
  Get("/__emu/expire_token");
  Get("/__emu/drop_ws");
  ASSERT_TRUE(WaitFor([&] { return client_->stats().token_refused; })) << Notices();
  ZerodhaDataStats st = client_->stats();
  EXPECT_EQ(st.refused_handshakes, 1u);
  EXPECT_EQ(st.reconnects, 1u);  // the drop; the refusal schedules no reconnect
  EXPECT_FALSE(client_->is_connected());
  const std::string notices = Notices();
  EXPECT_NE(notices.find("token_refused"), std::string::npos) << notices;
  EXPECT_EQ(notices.find(old_token), std::string::npos) << "the token must never be shown";

  // A new login; the node hands its token over and the data flows again.
  Login();
  client_->Reconnect(access_);
  ASSERT_TRUE(WaitFor([&] { return client_->is_connected(); })) << Notices();
  ASSERT_TRUE(Subscribed());
  Get("/__emu/step");
  ExpectQuotes(Quotes(Take(3)), TenOClock());
  st = client_->stats();
  EXPECT_FALSE(st.token_refused);
  EXPECT_EQ(st.refused_handshakes, 1u);  // no handshake flood while waiting for the login
  EXPECT_EQ(st.connections, 2u);
  EXPECT_EQ(st.resubscribes, 1u);
  EXPECT_EQ(st.gaps, 1u);
  EXPECT_TRUE(ContainsSecret(access_));
  for (const std::string& n : client_->TakeNotices()) {
    EXPECT_FALSE(ContainsSecret(n)) << n;
  }
  ClearSecretsForTest();
}

// Reconnect replaces live connections while frames flow (heartbeats every 50 ms, text frames,
// drops by the server): the replaced clients end quietly on the I/O thread, and one
// connection with every token remains and carries the replay.
TEST_F(DataClientTest, ReconnectsInARowWhileFramesFlowLeaveOneWorkingConnection) {
  Start(Config());
  for (int i = 0; i < 10; ++i) {
    Get("/__emu/message?text=hello");
    if (i % 3 == 0) Get("/__emu/drop_ws");
    client_->Reconnect(access_);
    if (i % 2 == 0) {
      ASSERT_TRUE(WaitFor([&] { return client_->is_connected(); })) << Notices();
    }
  }
  ASSERT_TRUE(WaitFor([&] { return client_->is_connected(); })) << Notices();
  ASSERT_TRUE(Subscribed()) << Notices();  // the emulator holds one connection, not eleven
  Get("/__emu/step");
  ExpectQuotes(Quotes(Take(3)), TenOClock());
  const ZerodhaDataStats st = client_->stats();
  EXPECT_FALSE(st.token_refused);
  EXPECT_EQ(st.refused_handshakes, 0u);
  EXPECT_EQ(st.decode_errors, 0u);
  EXPECT_GE(st.connections, 6u);  // the first and at least each waited-for Reconnect's
}

TEST_F(EmulatorTest, HistoricalCandlesAreFetchedInWindowsWithinKitesSpan) {
  // The replay at 10:21: the call's minute candles are its quote mids (the catalog has no
  // bars or trades for it), volume 0. 70 days of minute candles exceed Kite's 60-day span, so
  // two requests.
  Get("/__emu/step?seconds=" + std::to_string((t0_ - d0_) / kNanosPerSecond + 21 * 60));
  Login();  // the session is valid until 06:00 IST of the next virtual day
  std::uint32_t token = 0;
  rt_->OnIoThread([&] { token = rt_->market()->ByInstrument(call_.id)->token; });
  KiteCandleRequest r;
  r.api_key = "k";
  r.access_token = access_;
  r.instrument_token = token;
  r.interval = "minute";
  r.from = d0_ - 70 * kNanosPerDay;
  r.to = t0_ + 21 * 60 * kNanosPerSecond;
  std::vector<net::HttpRequest> sent;
  const KiteSend send = [&](const net::HttpRequest& req) {
    sent.push_back(req);
    return http_->Send(req, kDeadline);
  };
  auto candles = FetchCandles(send, r);
  ASSERT_TRUE(candles.ok()) << candles.error();
  EXPECT_EQ(sent.size(), 2u);
  const std::vector<std::pair<UnixNanos, const char*>> want{
      {d0_, "98.20"},
      {t0_, "100.05"},
      {t0_ + 300 * kNanosPerSecond, "101.10"},
      {t0_ + 600 * kNanosPerSecond, "102.10"},
      {t0_ + 900 * kNanosPerSecond, "103.10"},
      {t0_ + 1200 * kNanosPerSecond, "104.10"}};
  ASSERT_EQ(candles->size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ((*candles)[i].time, want[i].first) << i;
    EXPECT_EQ((*candles)[i].open, Px(want[i].second)) << i;
    EXPECT_EQ((*candles)[i].close, Px(want[i].second)) << i;
    EXPECT_EQ((*candles)[i].volume, 0) << i;
  }
  // One request over the whole range is refused by the emulator's span check: the split was
  // needed. An expired token is Kite's 403, reported without the token.
  wall_ += kNanosPerSecond;  // historical requests: 3 a second on the emulator's wall clock
  net::HttpRequest whole = sent.front();
  whole.target = "/instruments/historical/" + std::to_string(token) +
                 "/minute?from=2025-10-20+00:00:00&to=2025-12-30+10:21:00&oi=0";
  auto refused = http_->Send(whole, kDeadline);
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->status, 400) << refused->body;
  Get("/__emu/expire_token");
  wall_ += kNanosPerSecond;
  auto expired = FetchCandles(send, r);
  ASSERT_FALSE(expired.ok());
  EXPECT_NE(expired.error().find("403"), std::string::npos) << expired.error();
  EXPECT_EQ(expired.error().find(access_), std::string::npos);
}

// wss:// through the TLS front with a certificate for "localhost" from a CA given as ca_file.
class TlsDataClientTest : public DataClientTest {
 protected:
  void SetUp() override {
    DataClientTest::SetUp();
    if (HasFatalFailure()) return;
    if (!net::TlsTestCerts::available()) {
      GTEST_SKIP() << "the openssl command is not installed (scripts/setup.sh installs it)";
    }
    certs_ = std::make_unique<net::TlsTestCerts>(
        std::string("kite_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_TRUE(certs_->MakeCa("ca"));
  }
  void TearDown() override {
    client_.reset();
    front_.reset();
    DataClientTest::TearDown();
    certs_.reset();
  }
  // Starts the front with a certificate for `certified_host` from the test CA.
  void Front(const std::string& certified_host) {
    ASSERT_TRUE(certs_->MakeServer(certified_host, "ca"));
    front_ = std::make_unique<TlsFront>(rt_->ticker_port(), certs_->Path("server.pem"),
                                        certs_->Path("server.key"));
    const Status started = front_->Start();
    ASSERT_TRUE(started.ok()) << started.error();
  }
  ZerodhaDataConfig TlsConfig() {
    ZerodhaDataConfig c = Config();
    c.host = "localhost";
    c.port = front_->port();
    c.tls = true;
    c.ca_file = certs_->Path("ca.pem");
    return c;
  }

  std::unique_ptr<net::TlsTestCerts> certs_;
  std::unique_ptr<TlsFront> front_;
};

TEST_F(TlsDataClientTest, QuotesArriveOverWssAndADropReconnects) {
  Front("localhost");
  if (HasFatalFailure()) return;
  Start(TlsConfig());
  Get("/__emu/step");  // 10:00: call, put and index quotes
  ExpectQuotes(Quotes(Take(3)), TenOClock());
  // The emulator drops the connection: the front drops the TLS one; the client reconnects
  // over TLS and resubscribes.
  EXPECT_EQ(Get("/__emu/drop_ws")["data"]["dropped"], 1);
  ASSERT_TRUE(WaitFor([&] { return client_->stats().resubscribes == 1; })) << Notices();
  ASSERT_TRUE(Subscribed());
  // To 10:05: the put (its trades at 10:00:01 and :02 show as one trade tick, its volume
  // remembered across the reconnect) and the call's 10:05 quote.
  Get("/__emu/step?seconds=300");
  const std::vector<MarketData> data = Take(3);
  ExpectQuotes(Quotes(data), {Q(put_, "50.00", "50.10", 65, 65, t0_ + 2 * kNanosPerSecond),
                              Q(call_, "101.00", "101.20", 65, 130, t0_ + 300 * kNanosPerSecond)});
  EXPECT_EQ(data.size(), 3u);
  const ZerodhaDataStats st = client_->stats();
  EXPECT_EQ(st.trades, 1u);
  EXPECT_EQ(st.connections, 2u);
  EXPECT_EQ(st.reconnects, 1u);
  EXPECT_EQ(st.decode_errors, 0u);
  EXPECT_GT(st.heartbeats, 0u);
}

TEST_F(TlsDataClientTest, ACertificateForAnotherHostStopsTheConnectionWithTheReason) {
  Front("ws.example.invalid");
  if (HasFatalFailure()) return;
  client_ = std::make_unique<ZerodhaDataClient>(TlsConfig(), clock_, inbox_, io_);
  DataSubscription s;
  s.instrument_id = call_.id;
  client_->Subscribe(s);
  client_->Connect();
  std::string notices;
  ASSERT_TRUE(WaitFor([&] {
    notices += Notices();
    return notices.find("stopped") != std::string::npos;
  })) << notices;
  EXPECT_NE(notices.find("ZERODHA: ticker connection 1 stopped: TLS handshake failed: the "
                         "server's certificate did not pass verification: hostname mismatch"),
            std::string::npos)
      << notices;
  const ZerodhaDataStats st = client_->stats();
  EXPECT_EQ(st.connections, 0u);
  EXPECT_EQ(st.reconnects, 0u);  // not retried: the same certificate would fail the same way
  EXPECT_FALSE(client_->is_connected());
  EXPECT_TRUE(TickerSubscriptions().empty());  // nothing reached the emulator
}

}  // namespace
}  // namespace nacre::live_test
