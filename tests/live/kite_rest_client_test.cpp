// KiteRestClient against the running Kite emulator over 127.0.0.1: every outcome class as the
// emulator's fault plan produces it, and what each means for an order placement (the
// emulator's ledger says whether an order exists): 429 is resent within the budget and the
// order placed once; a 5xx or a dropped answer is ambiguous and never resent; a GET is resent;
// 403 stops every request until a new token; the client's own rate limiter queues and gives
// up without sending; nothing secret in any message.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "adapters/zerodha/kite_instruments.h"
#include "adapters/zerodha/kite_models.h"
#include "adapters/zerodha/kite_rest_client.h"
#include "kite_rest_fixture.h"
#include "core/secrets.h"
#include "net/http_server.h"
#include "net/io_thread.h"

namespace nacre::kite_emu {
namespace {

class KiteRest : public KiteRestFixture {
 protected:
  KiteCall Place(const char* price, const char* tag, DurationNs budget = 3 * kNanosPerSecond) {
    KiteCall c;
    c.method = "POST";
    c.path = "/orders/regular";
    c.params = {{"exchange", "NFO"},        {"tradingsymbol", symbol_}, {"transaction_type", "BUY"},
                {"order_type", "LIMIT"},    {"quantity", "65"},         {"product", "NRML"},
                {"price", price},           {"validity", "DAY"},        {"tag", tag}};
    c.budget = budget;
    c.deadline = 2 * kNanosPerSecond;
    return c;
  }
  KiteCall GetCall(std::string path, DurationNs budget = 3 * kNanosPerSecond) {
    KiteCall c;
    c.path = std::move(path);
    c.budget = budget;
    return c;
  }
};

TEST_F(KiteRest, PlaceThenReadTheOrderBookTradesAndHistory) {
  KiteOutcome placed = rest_->Call(Place("100.10", "N01a"));  // at the ask: fills
  ASSERT_TRUE(placed.ok()) << placed.message;
  const std::string id = placed.data["order_id"].get<std::string>();
  EXPECT_EQ(placed.attempts, 1);

  KiteOutcome book = rest_->Call(GetCall("/orders"));
  ASSERT_TRUE(book.ok()) << book.message;
  auto orders = ParseKiteOrders(book.data);
  ASSERT_TRUE(orders.ok()) << orders.error();
  ASSERT_EQ(orders->size(), 1u);
  EXPECT_EQ(orders->front().order_id, id);
  EXPECT_EQ(orders->front().tag, "N01a");
  EXPECT_EQ(orders->front().tradingsymbol, symbol_);

  // The transient states pass on the emulator's virtual clock: step it.
  Get("/__emu/step?seconds=1");
  KiteOutcome history = rest_->Call(GetCall("/orders/" + id));
  ASSERT_TRUE(history.ok()) << history.message;
  auto rows = ParseKiteOrders(history.data);
  ASSERT_TRUE(rows.ok()) << rows.error();
  ASSERT_GE(rows->size(), 2u);
  EXPECT_EQ(rows->front().status, KiteStatus::kPutOrderReqReceived);
  EXPECT_EQ(rows->back().status, KiteStatus::kComplete);
  EXPECT_EQ(rows->back().filled_quantity, 65);

  KiteOutcome trades = rest_->Call(GetCall("/orders/" + id + "/trades"));
  ASSERT_TRUE(trades.ok()) << trades.message;
  auto t = ParseKiteTrades(trades.data);
  ASSERT_TRUE(t.ok()) << t.error();
  ASSERT_EQ(t->size(), 1u);
  EXPECT_EQ(t->front().average_price, *Price::Parse("100.10", 2));  // the ask: never better
  EXPECT_EQ(t->front().quantity, 65);

  KiteOutcome pos = rest_->Call(GetCall("/portfolio/positions"));
  ASSERT_TRUE(pos.ok()) << pos.message;
  auto net = ParseKiteNetPositions(pos.data);
  ASSERT_TRUE(net.ok()) << net.error();
  ASSERT_EQ(net->size(), 1u);
  EXPECT_EQ(net->front().quantity, 65);

  KiteOutcome margins = rest_->Call(GetCall("/user/margins"));
  ASSERT_TRUE(margins.ok()) << margins.message;
  EXPECT_TRUE(ParseKiteMarginSegment(margins.data).ok());
}

TEST_F(KiteRest, TheInstrumentsDumpComesGzippedAndIsParsed) {
  KiteCall c = GetCall("/instruments");
  c.decode_envelope = false;
  KiteOutcome dump = rest_->Call(c);
  ASSERT_TRUE(dump.ok()) << dump.message;
  EXPECT_EQ(dump.content_type, "text/csv");
  auto rows = ParseKiteInstrumentsCsv(dump.body, "GET /instruments");
  ASSERT_TRUE(rows.ok()) << rows.error();
  EXPECT_EQ(rows->size(), 3u);  // the index and two options
}

TEST_F(KiteRest, A429IsResentWithinTheBudgetAndPlacesOnce) {
  // Every placement answers 429 for two seconds of the emulator's wall clock.
  LoadPlan(R"({"rule": [{"route": "POST /orders/regular", "action": "429_burst", "nth": 1,
                         "delay_ms": 2000}]})");
  // A short budget: given up, never placed.
  KiteOutcome refused = rest_->Call(Place("99.00", "N01b", 600 * kNanosPerMilli));
  EXPECT_EQ(refused.kind, KiteOutcome::Kind::kRateLimited) << refused.message;
  EXPECT_GE(refused.rate_limited, 1);
  EXPECT_TRUE(refused.definitely_not_processed());
  EXPECT_EQ(LedgerOrders(), 0u);
  // A longer budget: the burst ends (the test moves the emulator's wall once a 429 was seen)
  // and the resend places the order, once.
  const std::uint64_t seen = rest_->stats().rate_limited_429;
  std::thread wall([&] {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (rest_->stats().rate_limited_429 == seen && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    WallSecond();
    WallSecond();
    WallSecond();
  });
  KiteOutcome placed = rest_->Call(Place("99.00", "N01c", 4 * kNanosPerSecond));
  wall.join();
  ASSERT_TRUE(placed.ok()) << placed.message;
  EXPECT_GE(placed.rate_limited, 1);
  EXPECT_EQ(LedgerOrders(), 1u);
}

TEST_F(KiteRest, FiveHundredsAndDroppedAnswersAreAmbiguousAndNeverResent) {
  LoadPlan(R"({"rule": [
    {"route": "POST /orders/regular", "action": "5xx_before", "nth": 1},
    {"route": "POST /orders/regular", "action": "5xx_after", "nth": 2, "status": 502},
    {"route": "POST /orders/regular", "action": "drop_after", "nth": 3}]})");
  KiteOutcome a = rest_->Call(Place("99.00", "N01d"));
  EXPECT_EQ(a.kind, KiteOutcome::Kind::kAmbiguous) << a.message;
  EXPECT_EQ(a.attempts, 1);
  EXPECT_EQ(LedgerOrders(), 0u);  // not processed, but the client could not know that
  KiteOutcome b = rest_->Call(Place("99.00", "N01e"));
  EXPECT_EQ(b.kind, KiteOutcome::Kind::kAmbiguous) << b.message;
  EXPECT_EQ(b.attempts, 1);
  EXPECT_EQ(LedgerOrders(), 1u);  // processed: the tag finds it
  KiteOutcome c = rest_->Call(Place("99.00", "N01f"));
  EXPECT_EQ(c.kind, KiteOutcome::Kind::kAmbiguous) << c.message;
  EXPECT_EQ(c.attempts, 1);
  EXPECT_NE(c.message.find("may have"), std::string::npos) << c.message;
  EXPECT_EQ(LedgerOrders(), 2u);
  EXPECT_EQ(rest_->stats().ambiguous, 3u);
}

TEST_F(KiteRest, AnAmbiguousReadIsSentAgain) {
  LoadPlan(R"({"rule": [{"route": "GET /orders", "action": "5xx_after", "nth": 1},
                        {"route": "GET /orders", "action": "drop_after", "nth": 2}]})");
  KiteOutcome book = rest_->Call(GetCall("/orders"));
  ASSERT_TRUE(book.ok()) << book.message;
  EXPECT_EQ(book.attempts, 3);
  EXPECT_EQ(rest_->stats().resent_reads, 2u);
}

TEST_F(KiteRest, ATokenExceptionStopsEveryRequestUntilANewLogin) {
  LoadPlan(R"({"rule": [{"route": "GET /orders", "action": "403_now", "nth": 1}]})");
  KiteOutcome a = rest_->Call(GetCall("/orders"));
  EXPECT_EQ(a.kind, KiteOutcome::Kind::kTokenExpired) << a.message;
  EXPECT_EQ(a.error.error_type, "TokenException");
  EXPECT_TRUE(rest_->token_expired());
  const std::uint64_t sent = rest_->stats().requests;
  KiteOutcome b = rest_->Call(Place("99.00", "N01g"));
  EXPECT_EQ(b.kind, KiteOutcome::Kind::kTokenExpired) << b.message;
  EXPECT_EQ(b.attempts, 0);
  EXPECT_EQ(rest_->stats().requests, sent);  // nothing went out
  EXPECT_EQ(LedgerOrders(), 0u);
  // A new login's token: requests flow again.
  Login();
  rest_->SetAccessToken(access_);
  EXPECT_FALSE(rest_->token_expired());
  KiteOutcome c = rest_->Call(GetCall("/orders"));
  EXPECT_TRUE(c.ok()) << c.message;
  // No message carried either token.
  for (const KiteOutcome* o : {&a, &b, &c}) {
    EXPECT_EQ(o->message.find(access_), std::string::npos) << o->message;
  }
}

TEST_F(KiteRest, TheClientsOwnLimiterQueuesAndGivesUpWithoutSending) {
  // Quotes: 1 per second. The first goes; the second waits in the lane; with a budget shorter
  // than the wait it is given up, never sent.
  KiteCall q = GetCall("/quote/ltp", 300 * kNanosPerMilli);
  q.params = {{"i", call_key_}};
  KiteOutcome first = rest_->Call(q);
  ASSERT_TRUE(first.ok()) << first.message;
  const std::uint64_t sent = rest_->stats().requests;
  KiteOutcome second = rest_->Call(q);
  EXPECT_EQ(second.kind, KiteOutcome::Kind::kRateLimited) << second.message;
  EXPECT_EQ(second.attempts, 0);
  EXPECT_EQ(rest_->stats().requests, sent);
  EXPECT_NE(second.message.find("quote rate limit"), std::string::npos) << second.message;
  // With a budget past the wait it queues and goes (the emulator's own 1/s limit runs on the
  // test's wall: a second passes there too).
  WallSecond();
  q.budget = 2 * kNanosPerSecond;
  KiteOutcome third = rest_->Call(q);
  EXPECT_TRUE(third.ok()) << third.message;
  EXPECT_GT(rest_->stats().queued_ns, 0u);
}

TEST(KiteRestOffline, ABaseUrlsPathPrefixesEveryRoute) {
  // The same rule as the login's exchange: "http://host:port/api" sends /api/orders.
  net::IoThread io;
  std::mutex mu;
  std::vector<std::string> targets;
  net::HttpServer server(io, [&](const net::HttpRequest& r) {
    std::lock_guard lock(mu);
    targets.push_back(r.target);
    net::HttpResponse out;
    out.headers = {{"Content-Type", "application/json"}};
    out.body = R"({"status":"success","data":[]})";
    return out;
  });
  ASSERT_TRUE(server.Start().ok());
  KiteRestClient::Options o;
  o.base_url = *ParseKiteUrl("http://127.0.0.1:" + std::to_string(server.port()) + "/api", {"http"});
  o.api_key = "k";
  o.access_token = "prefix-token-123";
  KiteRestClient client(o);
  KiteCall c;
  c.path = "/orders";
  EXPECT_TRUE(client.Call(c).ok());
  client.Stop();
  server.Stop();
  std::lock_guard lock(mu);
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets[0], "/api/orders");
}

TEST(KiteRestOffline, NoServerMeansNotSent) {
  // A port nothing listens on (bound and closed here).
  net::IoThread io;
  std::uint16_t port = 0;
  {
    net::HttpServer probe(io, [](const net::HttpRequest&) { return net::HttpResponse{}; });
    ASSERT_TRUE(probe.Start().ok());
    port = probe.port();
    probe.Stop();
  }
  KiteRestClient::Options o;
  o.base_url = *ParseKiteUrl("http://127.0.0.1:" + std::to_string(port), {"http"});
  o.api_key = "k";
  o.access_token = "offline-token-123";
  KiteRestClient client(o);
  KiteCall c;
  c.method = "POST";
  c.path = "/orders/regular";
  c.budget = 400 * kNanosPerMilli;
  KiteOutcome out = client.Call(c);
  EXPECT_EQ(out.kind, KiteOutcome::Kind::kNotSent) << out.message;
  EXPECT_TRUE(out.definitely_not_processed());
  EXPECT_EQ(out.attempts, 0);
  EXPECT_EQ(out.message.find("offline-token-123"), std::string::npos);
}

}  // namespace
}  // namespace nacre::kite_emu
