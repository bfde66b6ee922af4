// The running emulator over 127.0.0.1 with a replayed catalog: the virtual clock (pause, step,
// speed), ticks in each mode over the ticker as a client decodes them, and the quote routes.
// The market is a small catalog written here; every expected value is computed from the
// quotes and trades written, and the replay is stepped through the control plane, so nothing
// depends on wall-clock timing.
#include "apps/kite_emulator/runtime.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <mutex>

#include "apps/kite_emulator/runtime_fixture.h"
#include "net/gzip.h"
#include "net/ws_client_log.h"

namespace nacre::kite_emu {
namespace {

TEST_F(RuntimeTest, TheClockStartsAtTheFirstDataPausedAndSteps) {
  json c = Get("/__emu/clock")["data"];
  EXPECT_EQ(c["now_ns"].get<std::int64_t>(), d0_.value);
  EXPECT_TRUE(c["paused"].get<bool>());
  c = Get("/__emu/step?seconds=60")["data"];
  EXPECT_EQ(c["now_ns"].get<std::int64_t>(), (d0_ + 60 * kNanosPerSecond).value);
  // Without seconds: to the next data item (the replayed day's first quotes).
  c = Get("/__emu/step")["data"];
  EXPECT_EQ(c["now_ns"].get<std::int64_t>(), t0_.value);
  EXPECT_EQ(c["now"], "2025-12-30 10:00:00");
  Get("/__emu/step?seconds=-1", 400);
  Get("/__emu/step?seconds=abc", 400);
  // Running at speed 60: ten wall seconds are ten virtual minutes.
  Get("/__emu/resume");
  wall_ += 10 * kNanosPerSecond;
  c = Get("/__emu/clock")["data"];
  EXPECT_EQ(c["now_ns"].get<std::int64_t>(), (t0_ + 600 * kNanosPerSecond).value);
  EXPECT_FALSE(c["paused"].get<bool>());
  Get("/__emu/step?seconds=1", 400);  // stepping a running replay is refused
  c = Get("/__emu/pause")["data"];
  wall_ += 10 * kNanosPerSecond;  // paused: time stands still
  EXPECT_EQ(Get("/__emu/clock")["data"]["now_ns"].get<std::int64_t>(),
            (t0_ + 600 * kNanosPerSecond).value);
}

TEST_F(RuntimeTest, TicksInEachModeAsTheClientDecodesThem) {
  Get("/__emu/clock");  // every request first releases what is due: the previous day's quotes
  net::IoThread io;
  net::WsClientLog log;
  net::WsClientOptions o;
  o.port = rt_->ticker_port();
  o.target = "/?api_key=k&access_token=" + access_;
  net::WsClient client(io, log.Handlers(), o);
  client.Start();
  ASSERT_TRUE(log.WaitFor([&] { return log.opens == 1; }));
  client.SendText(json{{"a", "subscribe"}, {"v", {call_token_, put_token_, 256265}}}.dump());
  client.SendText(json{{"a", "mode"}, {"v", {"full", {call_token_, 256265}}}}.dump());
  // Messages are handled in order: the answer to a bad one says the ones before were applied.
  client.SendText("not json");
  ASSERT_TRUE(log.WaitFor([&] {
    for (const auto& m : log.messages) {
      if (!m.binary) return true;
    }
    return false;
  }));
  // The previous day's quotes were released before the subscription (the replay starts at
  // them); they give the day's close. Step to the next data (10:00: call, put, index), then
  // two seconds on (the put's two trades).
  Get("/__emu/step");
  Get("/__emu/step?seconds=2");
  std::vector<KiteTick> ticks;
  ASSERT_TRUE(log.WaitFor([&] {
    ticks.clear();
    for (const auto& m : log.messages) {
      if (!m.binary || m.data.size() < 2) continue;
      auto frame = DecodeKiteFrame(m.data);
      if (!frame.ok()) return true;  // reported below
      ticks.insert(ticks.end(), frame->begin(), frame->end());
    }
    return ticks.size() >= 4;
  }));
  std::lock_guard<std::mutex> lock(log.mu);
  ASSERT_EQ(ticks.size(), 4u);
  std::map<std::uint32_t, KiteTick> last;  // each token's latest tick
  for (const KiteTick& t : ticks) last[t.instrument_token] = t;
  ASSERT_EQ(last.size(), 3u);
  const KiteTick& call = last.at(call_token_);
  const KiteTick& put = last.at(put_token_);
  const KiteTick& idx = last.at(256265);
  // Full (184 bytes): the touch in depth[0], last price the mid on the tick grid, the close
  // the previous day's last price (its mid 98.20).
  EXPECT_EQ(call.mode, KiteMode::kFull);
  EXPECT_EQ(call.instrument_token, call_token_);
  EXPECT_EQ(call.last_price, Px("100.05"));  // mid 100.05 of 100.00 / 100.10
  EXPECT_EQ(call.buy[0], (KiteDepthLevel{130, Px("100.00"), 2}));
  EXPECT_EQ(call.sell[0], (KiteDepthLevel{195, Px("100.10"), 3}));
  EXPECT_EQ(call.buy[1].quantity, 0u);
  EXPECT_EQ(call.close, Px("98.20"));
  EXPECT_EQ(call.open, Px("100.05"));
  EXPECT_EQ(call.buy_quantity, 130u);
  EXPECT_EQ(call.sell_quantity, 195u);
  EXPECT_EQ(call.exchange_timestamp, static_cast<std::uint32_t>(t0_.value / kNanosPerSecond));
  // Quote (44 bytes): the last trade, the day's volume and average traded price.
  EXPECT_EQ(put.mode, KiteMode::kQuote);
  EXPECT_EQ(put.last_price, Px("50.50"));
  EXPECT_EQ(put.last_quantity, 130u);
  EXPECT_EQ(put.volume, 195u);
  EXPECT_EQ(put.average_price, Px("50.35"));  // (50.05 × 65 + 50.50 × 130) / 195
  EXPECT_EQ(put.high, Px("50.50"));
  EXPECT_EQ(put.low, Px("50.05"));
  // Index full (32 bytes): not tradable, change from the previous close.
  EXPECT_EQ(idx.instrument_token, 256265u);
  EXPECT_FALSE(idx.tradable);
  EXPECT_EQ(idx.last_price, Px("24001.25"));
  EXPECT_EQ(idx.close, Px("23950.10"));
  EXPECT_EQ(idx.index_change_raw, 5115);  // 51.15 in paise
  client.Stop();
}

TEST_F(RuntimeTest, QuoteOhlcAndLtpFromTheReplay) {
  Get("/__emu/step?seconds=" + std::to_string((t0_ - d0_) / kNanosPerSecond + 2));
  Login();
  const std::string q = "/quote?i=" + call_key_ + "&i=NSE:NIFTY+50&i=NFO:NOSUCH";
  json d = Get(q)["data"];
  ASSERT_TRUE(d.contains(call_key_)) << d.dump();
  EXPECT_FALSE(d.contains("NFO:NOSUCH"));  // unknown instruments are absent
  const json& c = d[call_key_];
  EXPECT_EQ(c["instrument_token"], call_token_);
  EXPECT_DOUBLE_EQ(c["last_price"].get<double>(), D("100.05"));
  EXPECT_DOUBLE_EQ(c["depth"]["buy"][0]["price"].get<double>(), D("100.00"));
  EXPECT_EQ(c["depth"]["sell"][0]["quantity"], 195);
  EXPECT_DOUBLE_EQ(c["ohlc"]["close"].get<double>(), D("98.20"));
  EXPECT_DOUBLE_EQ(c["net_change"].get<double>(), D("1.85"));
  EXPECT_EQ(c["timestamp"], "2025-12-30 10:00:00");
  // LPP band of a ₹100.05 option: ±40%, on the tick grid.
  EXPECT_DOUBLE_EQ(c["lower_circuit_limit"].get<double>(), D("60.00"));
  EXPECT_DOUBLE_EQ(c["upper_circuit_limit"].get<double>(), D("140.05"));
  EXPECT_DOUBLE_EQ(d["NSE:NIFTY 50"]["last_price"].get<double>(), D("24001.25"));
  // One quote request a second (wall time).
  const json limited = Get("/quote/ltp?i=" + put_key_, 429);
  EXPECT_EQ(limited["error_type"], "NetworkException");
  WallSecond();
  d = Get("/quote/ltp?i=" + put_key_)["data"];
  EXPECT_DOUBLE_EQ(d[put_key_]["last_price"].get<double>(), D("50.50"));
  EXPECT_EQ(d[put_key_].size(), 2u);
  WallSecond();
  d = Get("/quote/ohlc?i=" + put_key_)["data"];
  EXPECT_DOUBLE_EQ(d[put_key_]["ohlc"]["open"].get<double>(), D("50.05"));
  EXPECT_DOUBLE_EQ(d[put_key_]["ohlc"]["high"].get<double>(), D("50.50"));
  // Limits: 500 instruments on /quote, 1,000 on ltp and ohlc; none at all is an input error.
  std::string many;
  for (int i = 0; i < 501; ++i) many += (i ? "&i=NFO:X" : "i=NFO:X") + std::to_string(i);
  WallSecond();
  EXPECT_EQ(Get("/quote?" + many, 400)["error_type"], "InputException");
  WallSecond();
  Get("/quote/ltp?" + many);
  WallSecond();
  EXPECT_EQ(Get("/quote", 400)["error_type"], "InputException");
}

TEST_F(RuntimeTest, HistoricalCandlesFromTheCatalogUpToTheVirtualNow) {
  Get("/__emu/step?seconds=" + std::to_string((t0_ - d0_) / kNanosPerSecond + 400));
  Login();
  const std::string route = "/instruments/historical/" + std::to_string(call_token_);
  const std::string day = "?from=2025-12-30+09:15:00&to=2025-12-30+15:30:00";
  // The call's quotes at 10:00 (mid 100.05) and 10:05 (mid 101.10): one 5-minute candle each,
  // from the mids (the catalog has no bars or trades for it).
  json c = Get(route + "/5minute" + day)["data"]["candles"];
  ASSERT_EQ(c.size(), 2u) << c.dump();
  EXPECT_EQ(c[0][0], "2025-12-30T10:00:00+0530");
  EXPECT_DOUBLE_EQ(c[0][1].get<double>(), D("100.05"));
  EXPECT_EQ(c[1][0], "2025-12-30T10:05:00+0530");
  EXPECT_DOUBLE_EQ(c[1][4].get<double>(), D("101.10"));
  EXPECT_EQ(c[0][5], 0);
  // The 60-minute candle from 09:15 holds both; with oi a 7th element.
  c = Get(route + "/60minute" + day + "&oi=1")["data"]["candles"];
  ASSERT_EQ(c.size(), 1u) << c.dump();
  EXPECT_EQ(c[0][0], "2025-12-30T09:15:00+0530");
  EXPECT_DOUBLE_EQ(c[0][2].get<double>(), D("101.10"));  // high
  EXPECT_DOUBLE_EQ(c[0][3].get<double>(), D("100.05"));  // low
  EXPECT_EQ(c[0].size(), 7u);
  // Three historical requests a second (wall time): the fourth is refused.
  EXPECT_EQ(Get(route + "/day" + day)["data"]["candles"].size(), 1u);
  EXPECT_EQ(Get(route + "/5minute" + day, 429)["error_type"], "NetworkException");
  WallSecond();
  EXPECT_EQ(Get(route + "/2minute" + day, 400)["error_type"], "InputException");
  EXPECT_EQ(Get("/instruments/historical/99999/5minute" + day, 400)["error_type"],
            "InputException");
  EXPECT_EQ(Get(route + "/day" + day + "&continuous=1", 400)["error_type"], "InputException");
}

TEST_F(RuntimeTest, TheInstrumentsDumpIsGzippedOnlyWhenAsked) {
  const net::HttpResponse plain = Raw("/instruments");
  ASSERT_EQ(plain.status, 200);
  EXPECT_EQ(plain.Header("Content-Encoding"), "");
  const net::HttpResponse zipped = Raw("/instruments", true);
  ASSERT_EQ(zipped.status, 200);
  EXPECT_EQ(zipped.Header("Content-Encoding"), "gzip");
  EXPECT_EQ(zipped.Header("Content-Type"), "text/csv");
  auto body = net::GzipDecompress(zipped.body);
  ASSERT_TRUE(body.ok()) << body.error();
  EXPECT_EQ(*body, plain.body);
}

TEST_F(RuntimeTest, QuoteCarriesEveryFieldOfZerodhasMock) {
  const fs::path mock = fs::path(NACRE_SOURCE_DIR) / ".." / "shared" / "data" / "kite-mocks" / "quote.json";
  if (!fs::exists(mock)) GTEST_SKIP() << "../shared/data/kite-mocks absent: " << mock;
  std::ifstream in(mock);
  const json m = json::parse(in)["data"].begin().value();
  Get("/__emu/step?seconds=" + std::to_string((t0_ - d0_) / kNanosPerSecond + 2));
  Login();
  const json ours = Get("/quote?i=" + put_key_)["data"][put_key_];
  for (const auto& [key, value] : m.items()) {
    ASSERT_TRUE(ours.contains(key)) << key;
    EXPECT_EQ(ours[key].is_number(), value.is_number()) << key;
    EXPECT_EQ(ours[key].is_string(), value.is_string()) << key;
    EXPECT_EQ(ours[key].is_object(), value.is_object()) << key;
  }
  EXPECT_EQ(ours["depth"]["buy"].size(), 5u);
  EXPECT_EQ(ours["depth"]["sell"][0].size(), m["depth"]["sell"][0].size());
}

TEST_F(RuntimeTest, WhatIsNotHttpGetsKitesErrorEnvelope) {
  // A raw socket: the server's own 400 is in Kite's format (pykiteconnect raises
  // DataException on anything that is not JSON).
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(rt_->http_port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string junk = "NOT HTTP AT ALL\r\n\r\n";
  ASSERT_EQ(::write(fd, junk.data(), junk.size()), static_cast<ssize_t>(junk.size()));
  std::string answer;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) answer.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
  EXPECT_NE(answer.find("application/json"), std::string::npos) << answer;
  EXPECT_NE(answer.find(R"("error_type":"InputException")"), std::string::npos) << answer;
}

TEST_F(RuntimeTest, ExpiredTokensAndDroppedTickerConnections) {
  net::IoThread io;
  net::WsClientLog log;
  net::WsClientOptions o;
  o.port = rt_->ticker_port();
  o.target = "/?api_key=k&access_token=" + access_;
  o.initial_backoff = 10 * kNanosPerMilli;
  o.reconnect_after_refusal = false;
  net::WsClient client(io, log.Handlers(), o);
  client.Start();
  ASSERT_TRUE(log.WaitFor([&] { return log.opens == 1; }));
  EXPECT_EQ(Get("/__emu/message?text=Markets+close+early")["data"]["sent"], 1);
  ASSERT_TRUE(log.WaitFor([&] {
    for (const auto& m : log.messages) {
      if (!m.binary && m.data == R"({"data":"Markets close early","type":"message"})") return true;
    }
    return false;
  }));
  EXPECT_EQ(Get("/__emu/drop_ws")["data"]["dropped"], 1);
  // The client sees the connection go and comes back (the same token is still good).
  ASSERT_TRUE(log.WaitFor([&] { return log.opens == 2 && !log.downs.empty(); }));
  Get("/__emu/expire_token");
  EXPECT_EQ(Get("/user/profile", 403)["error_type"], "TokenException");
  Get("/__emu/drop_ws");
  ASSERT_TRUE(log.WaitFor([&] {
    for (const std::string& d : log.downs) {
      if (d.rfind("refused: 403", 0) == 0) return true;
    }
    return false;
  }));
  client.Stop();
}

}  // namespace
}  // namespace nacre::kite_emu
