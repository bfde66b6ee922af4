// WebSocket server and client over 127.0.0.1: messages both ways, a refused handshake, a
// dropped connection and a silent one (no heartbeats) both end in a reconnect. Waits are on
// events (a future set by a handler), with a generous failure bound, never sleeps.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <vector>

#include "net/ws.h"
#include "net/ws_client_log.h"

namespace nacre::net {
namespace {


using ClientLog = WsClientLog;

struct ServerLog {
  std::mutex mu;
  std::vector<std::uint64_t> opened;
  std::vector<std::string> targets;
  std::vector<WsMessage> received;
};

WsServer::Handlers EchoHandlers(WsServer*& self, ServerLog& log) {
  WsServer::Handlers h;
  h.on_handshake = [](const std::string& target) -> std::optional<WsRefusal> {
    if (target.find("access_token=bad") != std::string::npos) {
      return WsRefusal{403, R"({"status":"error","error_type":"TokenException"})"};
    }
    return std::nullopt;
  };
  h.on_open = [&log](std::uint64_t conn, const std::string& target) {
    std::lock_guard<std::mutex> lock(log.mu);
    log.opened.push_back(conn);
    log.targets.push_back(target);
  };
  h.on_message = [&self, &log](std::uint64_t conn, const WsMessage& m) {
    {
      std::lock_guard<std::mutex> lock(log.mu);
      log.received.push_back(m);
    }
    self->Send(conn, WsMessage{false, "echo:" + m.data});
    self->Send(conn, WsMessage{true, std::string("\x00\x01\x02", 3)});
  };
  return h;
}

// A server that echoes each message (then a 3-byte binary frame), refuses
// access_token=bad with 403, and otherwise sends nothing.
class Ws : public ::testing::Test {
 protected:
  void SetUp() override {
    server = std::make_unique<WsServer>(io, EchoHandlers(self, slog));
    self = server.get();
    ASSERT_TRUE(server->Start().ok());
  }
  IoThread io;
  ServerLog slog;
  WsServer* self = nullptr;
  std::unique_ptr<WsServer> server;
};

WsClientOptions Options(std::uint16_t port, const std::string& target) {
  WsClientOptions o;
  o.port = port;
  o.target = target;
  o.initial_backoff = 20 * kNanosPerMilli;
  o.max_backoff = 200 * kNanosPerMilli;
  return o;
}

TEST_F(Ws, TextAndBinaryBothWays) {
  ClientLog clog;
  WsClient client(io, clog.Handlers(), Options(server->port(), "/?api_key=k&access_token=t"));
  client.Start();
  ASSERT_TRUE(clog.WaitFor([&] { return clog.opens == 1; }));
  client.SendText(R"({"a":"subscribe","v":[408065]})");
  ASSERT_TRUE(clog.WaitFor([&] { return clog.messages.size() == 2; }));
  std::lock_guard<std::mutex> lock(clog.mu);
  EXPECT_FALSE(clog.messages[0].binary);
  EXPECT_EQ(clog.messages[0].data, R"(echo:{"a":"subscribe","v":[408065]})");
  EXPECT_TRUE(clog.messages[1].binary);
  EXPECT_EQ(clog.messages[1].data, std::string("\x00\x01\x02", 3));
  std::lock_guard<std::mutex> slock(slog.mu);
  EXPECT_EQ(slog.targets.at(0), "/?api_key=k&access_token=t");
}

TEST_F(Ws, ARefusedHandshakeIsReportedWithItsStatusAndNotRetried) {
  ClientLog clog;
  WsClient client(io, clog.Handlers(), Options(server->port(), "/?api_key=k&access_token=bad"));
  client.Start();
  ASSERT_TRUE(clog.WaitFor([&] { return !clog.downs.empty(); }));
  client.Stop();  // after Stop nothing more can happen: the counts are final
  std::lock_guard<std::mutex> lock(clog.mu);
  ASSERT_EQ(clog.downs.size(), 1u);
  EXPECT_EQ(clog.downs[0].rfind("refused: 403", 0), 0u) << clog.downs[0];
  EXPECT_NE(clog.downs[0].find("TokenException"), std::string::npos) << clog.downs[0];
  EXPECT_EQ(clog.opens, 0);
}

TEST_F(Ws, ADroppedConnectionIsReopenedAfterABackoff) {
  ClientLog clog;
  WsClient client(io, clog.Handlers(), Options(server->port(), "/"));
  client.Start();
  ASSERT_TRUE(clog.WaitFor([&] { return clog.opens == 1; }));
  std::uint64_t first = 0;
  {
    std::lock_guard<std::mutex> lock(slog.mu);
    first = slog.opened.at(0);
  }
  server->Drop(first);
  ASSERT_TRUE(clog.WaitFor([&] { return clog.opens == 2; }));
  {
    std::lock_guard<std::mutex> lock(clog.mu);
    ASSERT_GE(clog.downs.size(), 1u);
    EXPECT_EQ(clog.downs[0].rfind("connection lost", 0), 0u) << clog.downs[0];
  }
  client.SendText("after");
  ASSERT_TRUE(clog.WaitFor([&] { return clog.messages.size() == 2; }));
}

// A message posted just before a drop: its write may complete (successfully, the bytes in the
// kernel) after the drop forgot the session's queue. The server must not pop that queue again
// (a double free); the client sees the drop and reconnects, every time.
TEST_F(Ws, ADropRightAfterASendIsSafeEveryTime) {
  ClientLog clog;
  WsClient client(io, clog.Handlers(), Options(server->port(), "/"));
  client.Start();
  const std::string big(1000, 'x');  // on the heap, not in a short string
  for (int round = 1; round <= 20; ++round) {
    ASSERT_TRUE(clog.WaitFor([&] { return clog.opens == round; })) << round;
    // The server's open of that connection (reported before the client's, on the same thread).
    std::uint64_t conn = 0;
    {
      std::lock_guard<std::mutex> lock(slog.mu);
      ASSERT_EQ(slog.opened.size(), static_cast<std::size_t>(round));
      conn = slog.opened.back();
    }
    server->Send(conn, WsMessage{true, big});
    server->Send(conn, WsMessage{true, big});
    server->Drop(conn);
  }
  ASSERT_TRUE(clog.WaitFor([&] { return clog.opens == 21; }));
  client.SendText("after");
  ASSERT_TRUE(clog.WaitFor([&] {
    return !clog.messages.empty() && clog.messages.back().data == std::string("\x00\x01\x02", 3);
  }));
}

TEST_F(Ws, SilenceMeansADeadConnectionAndAReconnect) {
  ClientLog clog;
  WsClientOptions o = Options(server->port(), "/");
  o.read_timeout = 300 * kNanosPerMilli;
  WsClient client(io, clog.Handlers(), o);
  client.Start();
  ASSERT_TRUE(clog.WaitFor([&] { return clog.opens == 2; }));
  client.Stop();
  std::lock_guard<std::mutex> lock(clog.mu);
  ASSERT_GE(clog.downs.size(), 1u);
  EXPECT_EQ(clog.downs[0], "no message for 300 ms: connection taken as dead");
}

TEST(WsBackoff, DoublesFromTheInitialDelayUpToTheCapWithinTheJitter) {
  std::mt19937_64 rng(7);
  const DurationNs s = kNanosPerSecond;
  const double want[] = {1, 2, 4, 8, 16, 32, 60, 60, 60};
  for (int attempt = 0; attempt < 9; ++attempt) {
    const DurationNs d = BackoffDelay(attempt, s, 60 * s, 0.1, rng);
    EXPECT_GE(d, static_cast<DurationNs>(want[attempt] * 0.9 * 1e9)) << attempt;
    EXPECT_LE(d, static_cast<DurationNs>(want[attempt] * 1.1 * 1e9)) << attempt;
  }
  std::mt19937_64 a(3);
  std::mt19937_64 b(3);
  EXPECT_EQ(BackoffDelay(2, s, 60 * s, 0.1, a), BackoffDelay(2, s, 60 * s, 0.1, b))
      << "seeded: the same run waits the same";
  std::mt19937_64 none(1);
  EXPECT_EQ(BackoffDelay(3, s, 60 * s, 0.0, none), 8 * s);
}

}  // namespace
}  // namespace nacre::net
