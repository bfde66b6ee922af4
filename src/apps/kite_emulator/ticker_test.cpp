// The emulator's ticker over 127.0.0.1 with the net module's WebSocket client: the handshake
// checks the session, heartbeats arrive, subscriptions and modes are kept per connection, and
// limits answer with Kite's errors. Waits are on events, never sleeps.
#include "apps/kite_emulator/ticker.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <mutex>

#include "adapters/zerodha/kite_auth.h"

namespace nacre::kite_emu {
namespace {

constexpr auto kBound = std::chrono::seconds(10);

struct Log {
  std::mutex mu;
  int opens = 0;
  int heartbeats = 0;
  std::vector<std::string> texts;
  std::vector<std::string> downs;
  std::promise<void> want;
  std::function<bool()> until;
  void Check() {
    if (until && until()) {
      until = nullptr;
      want.set_value();
    }
  }
  bool WaitFor(std::function<bool()> cond) {
    std::future<void> f;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (cond()) return true;
      want = std::promise<void>();
      f = want.get_future();
      until = std::move(cond);
    }
    return f.wait_for(kBound) == std::future_status::ready;
  }
  net::WsClient::Handlers Handlers() {
    net::WsClient::Handlers h;
    h.on_open = [this](int) {
      std::lock_guard<std::mutex> lock(mu);
      ++opens;
      Check();
    };
    h.on_message = [this](const net::WsMessage& m) {
      std::lock_guard<std::mutex> lock(mu);
      if (m.binary && m.data.size() == 1) ++heartbeats;
      if (!m.binary) texts.push_back(m.data);
      Check();
    };
    h.on_down = [this](const std::string& why, bool) {
      std::lock_guard<std::mutex> lock(mu);
      downs.push_back(why);
      Check();
    };
    return h;
  }
};

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
  ASSERT_TRUE(log.WaitFor([&] { return log.opens == 1 && log.heartbeats >= 2; }));
  client.SendText(R"({"a":"subscribe","v":[408065,256265]})");
  client.SendText(R"({"a":"mode","v":["full",[408065]]})");
  client.SendText(R"({"a":"subscribe","v":[1,2]})");  // a 4th instrument: past the limit of 3
  ASSERT_TRUE(log.WaitFor([&] { return !log.texts.empty(); }));
  {
    std::lock_guard<std::mutex> lock(log.mu);
    EXPECT_EQ(log.texts[0], R"({"data":"Maximum 3 instruments per connection","type":"error"})");
  }
  const auto subs = ticker_->Subscriptions();
  ASSERT_EQ(subs.size(), 1u);
  const auto& tokens = subs.begin()->second;
  ASSERT_EQ(tokens.size(), 3u);  // 408065, 256265 and the first of [1, 2]
  EXPECT_EQ(tokens.at(408065), KiteMode::kFull);
  EXPECT_EQ(tokens.at(256265), KiteMode::kQuote);  // a plain subscribe is quote mode
  client.SendText(R"({"a":"fly","v":1})");
  ASSERT_TRUE(log.WaitFor([&] { return log.texts.size() == 2; }));
  std::lock_guard<std::mutex> lock(log.mu);
  EXPECT_NE(log.texts[1].find("Unknown action 'fly'"), std::string::npos) << log.texts[1];
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
