// The emulator's ticker over 127.0.0.1 with the net module's WebSocket client: the handshake
// checks the session, heartbeats arrive, subscriptions and modes are kept per connection, and
// limits answer with Kite's errors. Waits are on events, never sleeps.
#include "apps/kite_emulator/ticker.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <mutex>

#include "adapters/zerodha/kite_auth.h"
#include "net/ws_client_log.h"

namespace nacre::kite_emu {
namespace {

// Heartbeats are the 1-byte binary messages; text messages are Kite's JSON frames.
int Heartbeats(const net::WsClientLog& log) {
  int n = 0;
  for (const net::WsMessage& m : log.messages) n += m.binary && m.data.size() == 1 ? 1 : 0;
  return n;
}
std::vector<std::string> Texts(const net::WsClientLog& log) {
  std::vector<std::string> out;
  for (const net::WsMessage& m : log.messages) {
    if (!m.binary) out.push_back(m.data);
  }
  return out;
}
using Log = net::WsClientLog;

class TickerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    KiteUser u;
    u.api_key = "k";
    u.api_secret = "s";
    sessions_ = std::make_unique<SessionStore>(u, 1);
    const std::string rt = std::get<std::string>(sessions_->Login("k", now_));
    access_ = std::get<std::string>(sessions_->Exchange("k", rt, KiteChecksum("k", rt, "s"), now_));
    TickerOptions o;
    o.heartbeat = 20 * kNanosPerMilli;
    o.max_tokens_per_connection = 3;
    ticker_ = std::make_unique<Ticker>(io_, *sessions_, [this] { return now_; }, o);
    ASSERT_TRUE(ticker_->Start().ok());
  }
  void TearDown() override { ticker_->Stop(); }
  net::WsClientOptions Client(const std::string& token) {
    net::WsClientOptions o;
    o.port = ticker_->port();
    o.target = "/?api_key=k&access_token=" + token;
    o.initial_backoff = 20 * kNanosPerMilli;
    return o;
  }

  UnixNanos now_ = FromIst(2026, 1, 5, 9, 0);
  net::IoThread io_;
  std::unique_ptr<SessionStore> sessions_;
  std::string access_;
  std::unique_ptr<Ticker> ticker_;
};

TEST_F(TickerTest, HeartbeatsSubscriptionsAndModes) {
  Log log;
  net::WsClient client(io_, log.Handlers(), Client(access_));
  client.Start();
  ASSERT_TRUE(log.WaitFor([&] { return log.opens == 1 && Heartbeats(log) >= 2; }));
  client.SendText(R"({"a":"subscribe","v":[408065,256265]})");
  client.SendText(R"({"a":"mode","v":["full",[408065]]})");
  client.SendText(R"({"a":"subscribe","v":[1,2]})");  // a 4th instrument: past the limit of 3
  ASSERT_TRUE(log.WaitFor([&] { return !Texts(log).empty(); }));
  {
    std::lock_guard<std::mutex> lock(log.mu);
    EXPECT_EQ(Texts(log)[0], R"({"data":"Maximum 3 instruments per connection","type":"error"})");
  }
  const auto subs = ticker_->Subscriptions();
  ASSERT_EQ(subs.size(), 1u);
  const auto& tokens = subs.begin()->second;
  ASSERT_EQ(tokens.size(), 3u);  // 408065, 256265 and the first of [1, 2]
  EXPECT_EQ(tokens.at(408065), KiteMode::kFull);
  EXPECT_EQ(tokens.at(256265), KiteMode::kQuote);  // a plain subscribe is quote mode
  client.SendText(R"({"a":"fly","v":1})");
  ASSERT_TRUE(log.WaitFor([&] { return Texts(log).size() == 2; }));
  std::lock_guard<std::mutex> lock(log.mu);
  EXPECT_NE(Texts(log)[1].find("Unknown action 'fly'"), std::string::npos) << Texts(log)[1];
}

TEST_F(TickerTest, ABadTokenIsRefusedAtTheHandshake) {
  Log log;
  net::WsClient client(io_, log.Handlers(), Client("wrong"));
  client.Start();
  ASSERT_TRUE(log.WaitFor([&] { return !log.downs.empty(); }));
  client.Stop();
  std::lock_guard<std::mutex> lock(log.mu);
  EXPECT_EQ(log.downs[0].rfind("refused: 403", 0), 0u) << log.downs[0];
  EXPECT_NE(log.downs[0].find("TokenException"), std::string::npos) << log.downs[0];
}

TEST_F(TickerTest, AFourthConnectionOfAKeyIsRefused) {
  Log a, b, c, d;
  net::WsClient ca(io_, a.Handlers(), Client(access_));
  net::WsClient cb(io_, b.Handlers(), Client(access_));
  net::WsClient cc(io_, c.Handlers(), Client(access_));
  ca.Start();
  cb.Start();
  cc.Start();
  ASSERT_TRUE(a.WaitFor([&] { return a.opens == 1; }));
  ASSERT_TRUE(b.WaitFor([&] { return b.opens == 1; }));
  ASSERT_TRUE(c.WaitFor([&] { return c.opens == 1; }));
  net::WsClient cd(io_, d.Handlers(), Client(access_));
  cd.Start();
  ASSERT_TRUE(d.WaitFor([&] { return !d.downs.empty(); }));
  cd.Stop();
  std::lock_guard<std::mutex> lock(d.mu);
  EXPECT_EQ(d.downs[0].rfind("refused: 429", 0), 0u) << d.downs[0];
}

}  // namespace
}  // namespace nacre::kite_emu
