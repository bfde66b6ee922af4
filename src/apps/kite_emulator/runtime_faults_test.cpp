// The fault plan performed by the running emulator (runtime.h, ticker.h), over 127.0.0.1: each
// HTTP fault around an order placement (is the order in the ledger or not?), 429 bursts and
// 403, market gaps / duplicates / stale tokens as the ticker client sees them, and ticker
// faults (error frames, stalls without heartbeats, order updates duplicated or omitted),
// visibility_delay (the placed order absent from the order book) and an OMS fault. Each
// fault is also in /__emu/faults' log with its rule. The plan is loaded at run time through
// /__emu/faults; the replay is stepped, the wall clock is the test's.
#include <gtest/gtest.h>

#include <mutex>
#include <set>

#include "apps/kite_emulator/runtime_fixture.h"
#include "net/gzip.h"
#include "net/ws_client_log.h"

namespace nacre::kite_emu {
namespace {

class RuntimeFaults : public RuntimeTest {
 protected:
  void SetUp() override {
    heartbeat_ = 20 * kNanosPerMilli;
    RuntimeTest::SetUp();
    // The replayed day: the options are quoted from 10:00 (call 100.00 / 100.10).
    Get("/__emu/step?seconds=" + std::to_string((t0_ - d0_) / kNanosPerSecond));
    Login();
    call_symbol_ = call_key_.substr(call_key_.find(':') + 1);
  }
  json LoadPlan(const json& plan) {
    auto r = Send("POST", "/__emu/faults", plan.dump());
    EXPECT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(r->status, 200) << r->body;
    return json::parse(r->body)["data"];
  }
  json FaultLog() { return Get("/__emu/faults")["data"]["log"]; }
  std::size_t LedgerOrders() { return Get("/__emu/ledger")["data"]["orders"].size(); }
  // A one-lot limit buy of the call: resting below the bid, or at the ask (fills).
  std::string Order(const char* price) {
    return "variety=regular&exchange=NFO&tradingsymbol=" + call_symbol_ +
           "&transaction_type=BUY&order_type=LIMIT&quantity=65&product=NRML&price=" + price;
  }
  std::string call_symbol_;
};

TEST_F(RuntimeFaults, HttpFaultsAroundAnOrderPlacement) {
  LoadPlan(json::parse(R"({"rule": [
    {"route": "POST /orders/regular", "action": "5xx_before", "nth": 1},
    {"route": "POST /orders/regular", "action": "5xx_after", "nth": 2, "status": 502},
    {"route": "POST /orders/regular", "action": "drop_after", "nth": 3},
    {"route": "POST /orders/regular", "action": "stall", "nth": 4, "delay_ms": 3000}]})"));
  // 1: refused before processing (503 NetworkException): no order.
  auto r = Send("POST", "/orders/regular", Order("99.00"));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(json::parse(r->body)["error_type"], "NetworkException");
  EXPECT_EQ(LedgerOrders(), 0u);
  // 2: processed, then 502 DataException: the order exists though the client saw an error.
  r = Send("POST", "/orders/regular", Order("99.00"));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(json::parse(r->body)["error_type"], "DataException");
  EXPECT_EQ(LedgerOrders(), 1u);
  // 3: processed, connection reset without an answer: ambiguous to the client.
  r = Send("POST", "/orders/regular", Order("99.00"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), ErrorCode::kAmbiguous) << r.error();
  EXPECT_EQ(LedgerOrders(), 2u);
  // 4: processed, the answer held past the client's deadline.
  r = Send("POST", "/orders/regular", Order("99.00"), 300 * kNanosPerMilli);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), ErrorCode::kAmbiguous) << r.error();
  EXPECT_EQ(LedgerOrders(), 3u);
  // 5: no rule fires.
  r = Send("POST", "/orders/regular", Order("99.00"));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(LedgerOrders(), 4u);
  const json log = FaultLog();
  ASSERT_EQ(log.size(), 4u) << log.dump();
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(log[i]["rule"], i);
    EXPECT_EQ(log[i]["subject"], call_symbol_);
  }
  EXPECT_EQ(log[2]["action"], "drop_after");
}

TEST_F(RuntimeFaults, A429BurstLastsItsTimeAnd403EndsTheSessions) {
  LoadPlan(json::parse(R"({"rule": [
    {"route": "GET /user/profile", "action": "429_burst", "nth": 1, "delay_ms": 2000},
    {"route": "GET /orders", "action": "403_now", "nth": 1}]})"));
  EXPECT_EQ(Get("/user/profile", 429)["error_type"], "NetworkException");
  WallSecond();
  Get("/user/profile", 429);  // still inside the burst (wall time)
  WallSecond();
  Get("/user/profile");
  EXPECT_EQ(Get("/orders", 403)["error_type"], "TokenException");
  EXPECT_EQ(Get("/user/profile", 403)["error_type"], "TokenException");  // every session ended
  EXPECT_EQ(FaultLog().size(), 2u);
}

// Every packet the client decoded, in order.
std::vector<KiteTick> Ticks(net::WsClientLog& log) {
  std::vector<KiteTick> out;
  for (const auto& m : log.messages) {
    if (!m.binary || m.data.size() < 2) continue;
    auto frame = DecodeKiteFrame(m.data);
    if (frame.ok()) out.insert(out.end(), frame->begin(), frame->end());
  }
  return out;
}
std::vector<std::string> Texts(net::WsClientLog& log) {
  std::vector<std::string> out;
  for (const auto& m : log.messages) {
    if (!m.binary) out.push_back(m.data);
  }
  return out;
}

class TickerFaults : public RuntimeFaults {
 protected:
  // A ticker client subscribed to `tokens` in full mode, the subscription confirmed (a bad
  // message's error answer comes after the ones before it were applied).
  std::unique_ptr<net::WsClient> Connect(net::WsClientLog& log,
                                         const std::vector<std::uint32_t>& tokens) {
    net::WsClientOptions o;
    o.port = rt_->ticker_port();
    o.target = "/?api_key=k&access_token=" + access_;
    o.initial_backoff = 10 * kNanosPerMilli;
    auto c = std::make_unique<net::WsClient>(io_, log.Handlers(), o);
    c->Start();
    EXPECT_TRUE(log.WaitFor([&] { return log.opens == 1; }));
    c->SendText(json{{"a", "subscribe"}, {"v", tokens}}.dump());
    c->SendText(json{{"a", "mode"}, {"v", {"full", tokens}}}.dump());
    c->SendText("confirm");
    EXPECT_TRUE(log.WaitFor([&] { return !Texts(log).empty(); }));
    std::lock_guard<std::mutex> lock(log.mu);
    log.messages.clear();
    return c;
  }
  net::IoThread io_;
};

TEST_F(TickerFaults, MarketGapsDuplicatesAndStaleTokens) {
  net::WsClientLog log;
  auto client = Connect(log, {call_token_, put_token_});
  LoadPlan(json{{"rule",
                 {{{"stream", "market"}, {"match", put_key_}, {"action", "stale"}, {"nth", 1},
                   {"seconds", 600}},
                  {{"stream", "market"}, {"match", call_key_}, {"action", "duplicate_ticks"},
                   {"nth", 1}},
                  {{"stream", "market"}, {"match", call_key_}, {"action", "gap"}, {"nth", 2},
                   {"seconds", 400}}}}});
  // What comes after 10:00: the put's trades (stale for 600 s: not sent), the call at 10:05
  // (duplicated), 10:10 (the gap starts: not sent), 10:15 (inside the gap), 10:20 (sent).
  for (int i = 0; i < 6; ++i) Get("/__emu/step");
  ASSERT_TRUE(log.WaitFor([&] {
    const auto t = Ticks(log);
    return !t.empty() && t.back().last_price == Px("104.10");
  }));
  // The log's lock is held only while reading it: the client's I/O thread takes it for every
  // frame (a heartbeat), and Stop() or an HTTP call waits for that thread.
  std::vector<std::string> prices;
  {
    std::lock_guard<std::mutex> lock(log.mu);
    for (const KiteTick& t : Ticks(log)) {
      EXPECT_EQ(t.instrument_token, call_token_);  // nothing of the stale put
      prices.push_back(t.last_price.ToString());
    }
  }
  EXPECT_EQ(prices, (std::vector<std::string>{"101.10", "101.10", "104.10"}));
  const json fired = Get("/__emu/faults")["data"]["log"];
  ASSERT_EQ(fired.size(), 3u) << fired.dump();
  EXPECT_EQ(fired[0]["action"], "stale");
  EXPECT_EQ(fired[1]["action"], "duplicate_ticks");
  EXPECT_EQ(fired[2]["action"], "gap");
  EXPECT_EQ(fired[2]["time"], "2025-12-30 10:10:00");
  client->Stop();
}

TEST_F(TickerFaults, ErrorFramesAndAStallWithoutHeartbeats) {
  net::WsClientLog stalled, other;
  auto a = Connect(stalled, {call_token_});  // connection 1
  auto b = Connect(other, {call_token_});    // connection 2
  LoadPlan(json::parse(R"({"rule": [
    {"stream": "ws", "match": "2", "action": "error_frame", "nth": 1},
    {"stream": "ws", "match": "1", "action": "stall", "nth": 1, "delay_ms": 5000}]})"));
  // The put's trades (nothing for these connections: no fault is counted), then the call's
  // 10:05 quote: a frame to each connection, the first checked first.
  for (int i = 0; i < 3; ++i) Get("/__emu/step");
  ASSERT_TRUE(other.WaitFor([&] {
    for (const std::string& t : Texts(other)) {
      if (t.find("emulated error frame (fault plan rule 0)") != std::string::npos) return true;
    }
    return false;
  }));
  auto heartbeats = [](net::WsClientLog& l) {
    int n = 0;
    for (const auto& m : l.messages) n += m.binary && m.data.size() == 1 ? 1 : 0;
    return n;
  };
  auto count = [&](net::WsClientLog& l) {
    std::lock_guard<std::mutex> lock(l.mu);
    return heartbeats(l);
  };
  const int quiet = count(stalled);
  const int busy = count(other);
  // Ten more heartbeats on the other connection (every 20 ms): the stalled one got none, and
  // no market frame either (wall time stands still in the test, so the stall lasts).
  ASSERT_TRUE(other.WaitFor([&] { return heartbeats(other) >= busy + 10; }));
  EXPECT_EQ(count(stalled), quiet);
  {
    std::lock_guard<std::mutex> lock(stalled.mu);
    EXPECT_TRUE(Ticks(stalled).empty());
  }
  // The stall ends with wall time: heartbeats come back.
  wall_ += 6 * kNanosPerSecond;
  EXPECT_TRUE(stalled.WaitFor([&] { return heartbeats(stalled) > quiet + 2; }));
  const json fired = Get("/__emu/faults")["data"]["log"];
  ASSERT_EQ(fired.size(), 2u) << fired.dump();
  EXPECT_EQ(fired[0]["action"], "stall");
  EXPECT_EQ(fired[0]["time"], "2025-12-30 10:05:00");
  EXPECT_EQ(fired[1]["action"], "error_frame");
  a->Stop();
  b->Stop();
}

TEST_F(TickerFaults, ADroppedConnectionComesBack) {
  net::WsClientLog log;
  auto client = Connect(log, {call_token_});
  LoadPlan(json::parse(R"({"rule": [{"stream": "ws", "action": "drop", "nth": 1}]})"));
  Get("/__emu/step?seconds=300");  // the call's 10:05 quote: the frame is not sent, the TCP
                                   // connection is cut
  ASSERT_TRUE(log.WaitFor([&] { return !log.downs.empty() && log.opens == 2; }));
  {
    std::lock_guard<std::mutex> lock(log.mu);
    EXPECT_TRUE(Ticks(log).empty());
  }
  const json fired = FaultLog();
  ASSERT_EQ(fired.size(), 1u) << fired.dump();
  EXPECT_EQ(fired[0]["action"], "drop");
  client->Stop();
}

TEST_F(TickerFaults, OrderUpdatesDelayedAndReordered) {
  net::WsClientLog log;
  auto client = Connect(log, {call_token_});
  // The first update (a resting order's modification) is held back until the order's next
  // one (its cancellation) has gone: the client sees CANCELLED before the modification. The
  // second order's fill is delayed a second of wall time: a message broadcast after the fill
  // arrives before it.
  LoadPlan(json::parse(R"({"rule": [
    {"stream": "ws", "action": "reorder", "nth": 1},
    {"stream": "ws", "action": "delay", "nth": 3, "delay_ms": 1000}]})"));
  auto place = [&](const char* price) {
    auto r = Send("POST", "/orders/regular", Order(price));
    EXPECT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.error());
    Get("/__emu/step?seconds=1");
    return json::parse(r->body)["data"]["order_id"].get<std::string>();
  };
  const std::string rest = place("99.00");
  auto m = Send("PUT", "/orders/regular/" + rest, "order_type=LIMIT&quantity=65&price=99.50");
  ASSERT_TRUE(m.ok() && m->status == 200) << (m.ok() ? m->body : m.error());
  Get("/__emu/step?seconds=1");
  auto c = Send("DELETE", "/orders/regular/" + rest);
  ASSERT_TRUE(c.ok() && c->status == 200) << (c.ok() ? c->body : c.error());
  Get("/__emu/step?seconds=1");
  const std::string filled = place("100.10");
  Get("/__emu/message?text=after+the+fill");
  auto statuses = [&](const std::string& id) {
    std::vector<std::string> out;
    for (const std::string& t : Texts(log)) {
      const json msg = json::parse(t, nullptr, false);
      if (msg.is_object() && msg["type"] == "order" && msg["data"]["order_id"] == id) {
        out.push_back(msg["data"]["status"]);
      }
    }
    return out;
  };
  ASSERT_TRUE(log.WaitFor([&] { return statuses(rest).size() == 2 && statuses(filled).size() == 1; }));
  std::vector<std::string> texts;
  {
    std::lock_guard<std::mutex> lock(log.mu);
    EXPECT_EQ(statuses(rest), (std::vector<std::string>{"CANCELLED", "OPEN"}));
    EXPECT_EQ(statuses(filled), (std::vector<std::string>{"COMPLETE"}));
    texts = Texts(log);
  }
  std::size_t message_at = 0, complete_at = 0;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (texts[i].find("after the fill") != std::string::npos) message_at = i + 1;
    if (texts[i].find(filled) != std::string::npos) complete_at = i + 1;
  }
  EXPECT_TRUE(message_at != 0 && message_at < complete_at) << message_at << " " << complete_at;
}

TEST_F(TickerFaults, OrderUpdatesDuplicatedAndOmitted) {
  net::WsClientLog log;
  auto client = Connect(log, {call_token_});
  LoadPlan(json::parse(R"({"rule": [
    {"stream": "ws", "action": "duplicate", "nth": 1},
    {"stream": "ws", "action": "omit", "nth": 2}]})"));
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto r = Send("POST", "/orders/regular", Order("100.10"));  // at the ask: fills
    ASSERT_TRUE(r.ok()) << r.error();
    ASSERT_EQ(r->status, 200) << r->body;
    ids.push_back(json::parse(r->body)["data"]["order_id"]);
    Get("/__emu/step?seconds=1");  // through the transient statuses to the fill
  }
  auto updates_of = [&](const std::string& id) {
    int n = 0;
    for (const std::string& t : Texts(log)) {
      const json m = json::parse(t, nullptr, false);
      if (m.is_object() && m["type"] == "order" && m["data"]["order_id"] == id) ++n;
    }
    return n;
  };
  // Updates go out in order: once the third order's has come, the others' would have too.
  ASSERT_TRUE(log.WaitFor([&] { return updates_of(ids[2]) >= 1; }));
  {
    std::lock_guard<std::mutex> lock(log.mu);
    EXPECT_EQ(updates_of(ids[0]), 2);  // duplicated
    EXPECT_EQ(updates_of(ids[1]), 0);  // omitted
    EXPECT_EQ(updates_of(ids[2]), 1);
  }
  // The omitted order did complete: the ledger says so.
  for (const json& o : Get("/__emu/ledger")["data"]["orders"]) {
    EXPECT_EQ(o["status"], "COMPLETE") << o["order_id"];
  }
}

TEST_F(RuntimeFaults, VisibilityDelayHidesThePlacedOrderAndTheOmsFaultsShareThePlan) {
  // Rule 0: the first placement is hidden for 2 s of virtual time; rule 1: the second order
  // is rejected by the emulated RMS (the OMS consults the same plan and log).
  LoadPlan(json::parse(R"({"rule": [
    {"route": "POST /orders/regular", "action": "visibility_delay", "delay_ms": 2000, "nth": 1},
    {"stream": "oms", "action": "reject_rms", "nth": 2}]})"));
  auto placed = Send("POST", "/orders/regular", Order("99.00"));
  ASSERT_TRUE(placed.ok()) << placed.error();
  ASSERT_EQ(placed->status, 200) << placed->body;
  const std::string id = json::parse(placed->body)["data"]["order_id"];
  auto listed = [&](const std::string& order_id) {
    const json book = Get("/orders");
    for (const json& o : book["data"]) {
      if (o["order_id"] == order_id) return true;
    }
    return false;
  };
  EXPECT_FALSE(listed(id));
  EXPECT_EQ(Get("/orders/" + id, 400)["message"], "Couldn't find that `order_id`.");
  // It lives meanwhile: the oracle shows it OPEN after its transient states.
  Get("/__emu/step?seconds=1");
  EXPECT_FALSE(listed(id));
  const json ledger = Get("/__emu/ledger")["data"];
  ASSERT_EQ(ledger["orders"].size(), 1u);
  EXPECT_EQ(ledger["orders"][0]["status"], "OPEN");
  EXPECT_TRUE(ledger["orders"][0].contains("emu_hidden_until_ns"));
  Get("/__emu/step?seconds=1");  // 2 s after the placement: visible
  EXPECT_TRUE(listed(id));
  EXPECT_EQ(Get("/orders/" + id)["data"].back()["status"], "OPEN");
  // The second placement is visible at once (nth = 1) and rejected by rule 1.
  WallSecond();
  placed = Send("POST", "/orders/regular", Order("99.00"));
  ASSERT_TRUE(placed.ok()) << placed.error();
  const std::string second = json::parse(placed->body)["data"]["order_id"];
  EXPECT_TRUE(listed(second));
  Get("/__emu/step?seconds=1");
  const json rejected = Get("/orders/" + second)["data"].back();
  EXPECT_EQ(rejected["status"], "REJECTED");
  EXPECT_EQ(rejected["status_message"].get<std::string>().rfind("RMS:Rule: ", 0), 0u);
  EXPECT_NE(rejected["status_message"].get<std::string>().find("(fault plan rule 1)"),
            std::string::npos);
  // Both fires are in the log with their rules; the GETs of /orders were never counted.
  const json f = Get("/__emu/faults")["data"];
  ASSERT_EQ(f["log"].size(), 2u) << f.dump();
  EXPECT_EQ(f["log"][0]["rule"], 0);
  EXPECT_EQ(f["log"][0]["action"], "visibility_delay");
  EXPECT_EQ(f["log"][0]["key"], "POST /orders/regular");
  EXPECT_EQ(f["log"][0]["subject"], call_symbol_);
  EXPECT_EQ(f["log"][1]["rule"], 1);
  EXPECT_EQ(f["log"][1]["action"], "reject_rms");
  EXPECT_EQ(f["log"][1]["key"], "oms");
  EXPECT_EQ(f["log"][1]["subject"], call_symbol_);
  EXPECT_EQ(f["counters"][0]["matched"], 2);
}

// garble: the answer is processed and sent 200 with its last line cut in half; the dump's
// next read is whole again.
TEST_F(RuntimeFaults, AGarbledDumpCutsItsLastLine) {
  LoadPlan(json::parse(R"({"rule": [{"route": "GET /instruments", "action": "garble", "nth": 1}]})"));
  for (bool gzip : {true, false}) {
    const net::HttpResponse r = Raw("/instruments", gzip);
    ASSERT_EQ(r.status, 200) << r.body;
    std::string body = r.body;
    if (gzip) body = *net::GzipDecompress(body);
    auto rows = ParseKiteInstrumentsCsv(body, "GET /instruments");
    if (gzip) {
      ASSERT_FALSE(rows.ok());
      EXPECT_EQ(rows.error().rfind("GET /instruments:4: ", 0), 0u) << rows.error();  // 3 rows
    } else {
      ASSERT_TRUE(rows.ok()) << rows.error();
      EXPECT_EQ(rows->size(), 3u);
    }
  }
}

// old_dump: on the day after the weekly's expiry, the dump answered is the previous Kite day's
// (it still lists the expired call); the next read is the day's own. Only the dump's routes
// count it: an order book read does not use it up.
TEST_F(RuntimeFaults, AnOldDumpIsThePreviousKiteDaysThenTheDaysOwn) {
  UnixNanos now;
  rt_->OnIoThread([&] { now = rt_->clock().Now(); });
  Get("/__emu/step?seconds=" +
      std::to_string((FromIst(2026, 1, 7, 9, 30) - now) / kNanosPerSecond));
  Login();  // the session of the day
  auto dump = [&] {
    const net::HttpResponse r = Raw("/instruments", false);
    EXPECT_EQ(r.status, 200) << r.body;
    auto rows = ParseKiteInstrumentsCsv(r.body, "GET /instruments");
    EXPECT_TRUE(rows.ok()) << rows.error();
    std::set<std::string> symbols;
    if (rows.ok()) {
      for (const KiteInstrumentRow& row : *rows) symbols.insert(row.tradingsymbol);
    }
    return symbols;
  };
  LoadPlan(json::parse(R"({"rule": [{"route": "GET /*", "action": "old_dump", "nth": 2}]})"));
  EXPECT_EQ(Get("/orders")["status"], "success");  // not a dump read: not counted
  const std::set<std::string> today = dump();     // the first dump read
  EXPECT_EQ(today.count(call_symbol_), 0u);        // expired on Tuesday
  const std::set<std::string> old = dump();        // the second: Tuesday's
  EXPECT_EQ(old.count(call_symbol_), 1u);
  // Tuesday's is Wednesday's and the contracts of the 6-Jan weekly.
  for (const std::string& s : today) EXPECT_EQ(old.count(s), 1u) << s;
  for (const std::string& s : old) {
    if (today.count(s) == 0) {
      EXPECT_EQ(s.rfind("NIFTY26106", 0), 0u) << s;
    }
  }
  EXPECT_EQ(dump(), today);
  const json fired = FaultLog();
  ASSERT_EQ(fired.size(), 1u) << fired.dump();
  EXPECT_EQ(fired[0]["action"], "old_dump");
}

// The Kite day (oms.h): an option bought on Tuesday 30-Dec and held through its expiry (Tuesday
// 6-Jan, 15:30) is settled by the exchange at the index's last price (24001.25: the 24000 call's
// intrinsic 1.25); Kite still lists it for the rest of the expiry day and no longer the next
// day, whose order book, trade book and instruments dump are that day's.
TEST_F(RuntimeFaults, AnExpiredPositionIsSettledAndTheNextKiteDayStartsEmpty) {
  auto placed = Send("POST", "/orders/regular", Order("100.10"));
  ASSERT_TRUE(placed.ok() && placed->status == 200) << (placed.ok() ? placed->body : placed.error());
  Get("/__emu/step?seconds=1");
  ASSERT_EQ(Get("/trades")["data"].size(), 1u);
  auto step_to = [&](UnixNanos t) {
    UnixNanos now;
    rt_->OnIoThread([&] { now = rt_->clock().Now(); });
    Get("/__emu/step?seconds=" + std::to_string((t - now) / kNanosPerSecond));
    Login();  // the session of the day
  };
  auto lists = [&](const json& positions) {
    for (const json& p : positions["data"]["net"]) {
      if (p["tradingsymbol"] == call_symbol_) return p["quantity"].get<std::int64_t>();
    }
    return std::int64_t{0};
  };
  step_to(FromIst(2026, 1, 6, 15, 45));  // the expiry day, after the close
  json ledger = Get("/__emu/ledger")["data"];
  ASSERT_EQ(ledger["settlements"].size(), 1u) << ledger.dump();
  const json& st = ledger["settlements"][0];
  EXPECT_EQ(st["tradingsymbol"], call_symbol_);
  EXPECT_EQ(st["quantity"], 65);
  EXPECT_EQ(st["settlement_price"], 1.25);
  EXPECT_EQ(st["value"], 81.25);
  EXPECT_EQ(st["realised"], 81.25 - 6506.5);
  EXPECT_EQ(lists(Get("/portfolio/positions")), 65) << "listed until the expiry day ends";
  EXPECT_TRUE(Get("/orders")["data"].empty()) << "Tuesday's orders are not Monday's book";
  step_to(FromIst(2026, 1, 7, 10, 0));
  EXPECT_EQ(lists(Get("/portfolio/positions")), 0);
  EXPECT_TRUE(Get("/orders")["data"].empty());
  EXPECT_TRUE(Get("/trades")["data"].empty());
  ledger = Get("/__emu/ledger")["data"];
  EXPECT_EQ(ledger["orders"].size(), 1u);
  EXPECT_EQ(ledger["trades"].size(), 1u);
  // Wednesday's dump: the index only (both options expired on Tuesday).
  auto rows = ParseKiteInstrumentsCsv(Raw("/instruments").body, "GET /instruments");
  ASSERT_TRUE(rows.ok()) << rows.error();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().tradingsymbol, "NIFTY 50");
  // The test's control: Kite keeps listing it.
  rt_->OnIoThread([&] { rt_->oms()->SetKeepExpiredPositions(true); });
  EXPECT_EQ(lists(Get("/portfolio/positions")), 65);
}

}  // namespace
}  // namespace nacre::kite_emu
