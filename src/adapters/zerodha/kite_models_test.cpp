#include "adapters/zerodha/kite_models.h"

#include <gtest/gtest.h>

#include "adapters/zerodha/kite_json.h"
#include "adapters/zerodha/kite_mocks_test_util.h"
#include "adapters/zerodha/kite_rest_client.h"

namespace nacre {
namespace {

using nlohmann::json;

Price P(const char* text, int precision = 2) { return *Price::Parse(text, precision); }

#define NEED_MOCK(name)                                                               \
  const json mock = kite_mocks::Data(name);                                           \
  if (mock.is_null()) GTEST_SKIP() << name << " not present (../shared/data/kite-mocks)"

TEST(KiteModels, EveryOrderInZerodhasOrderBookParses) {
  NEED_MOCK("orders.json");
  auto orders = ParseKiteOrders(mock);
  ASSERT_TRUE(orders.ok()) << orders.error();
  ASSERT_EQ(orders->size(), mock.size());
  const KiteOrder& first = orders->front();
  EXPECT_EQ(first.order_id, mock[0]["order_id"].get<std::string>());
  EXPECT_EQ(first.status, KiteStatus::kCancelled);
  EXPECT_EQ(first.exchange, "CDS");
  EXPECT_EQ(first.price, P("72", 4));  // an integer price, at the currency segment's precision
  EXPECT_EQ(first.quantity, 1);
  EXPECT_EQ(first.cancelled_quantity, 1);
  EXPECT_TRUE(first.tag.empty());  // null tag
  EXPECT_EQ(KiteTimeText(first.order_timestamp), "2021-05-31 09:18:57");
  // Each order's quantities and ids as sent.
  for (std::size_t i = 0; i < mock.size(); ++i) {
    EXPECT_EQ((*orders)[i].order_id, mock[i]["order_id"].get<std::string>());
    EXPECT_EQ((*orders)[i].filled_quantity, mock[i]["filled_quantity"].get<double>());
    EXPECT_EQ((*orders)[i].status_text, mock[i]["status"].get<std::string>());
  }
}

TEST(KiteModels, AnOrdersHistoryIncludesTransientAndModifyRows) {
  NEED_MOCK("order_info.json");
  auto rows = ParseKiteOrders(mock);
  ASSERT_TRUE(rows.ok()) << rows.error();
  ASSERT_FALSE(rows->empty());
  EXPECT_EQ(rows->front().status, KiteStatus::kPutOrderReqReceived);
  EXPECT_TRUE(rows->front().exchange_order_id.empty());      // null
  EXPECT_TRUE(rows->front().exchange_timestamp.is_zero());  // null
  bool modified = false;
  for (const KiteOrder& o : *rows) modified = modified || o.status == KiteStatus::kModified;
  EXPECT_TRUE(modified);
}

TEST(KiteModels, APostbackIsAnOrder) {
  NEED_MOCK("postback.json");
  auto o = ParseKiteOrder(mock);
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o->status, KiteStatus::kComplete);
  EXPECT_EQ(o->filled_quantity, mock["filled_quantity"].get<std::int64_t>());
  EXPECT_EQ(o->order_type, "MARKET");
}

TEST(KiteModels, TradesWithTimeOnlyOrderTimestamps) {
  NEED_MOCK("trades.json");
  auto trades = ParseKiteTrades(mock);
  ASSERT_TRUE(trades.ok()) << trades.error();
  ASSERT_EQ(trades->size(), mock.size());
  EXPECT_EQ(trades->front().trade_id, "10000000");
  EXPECT_EQ(trades->front().average_price, P("420.65"));
  EXPECT_EQ(KiteTimeText(trades->front().fill_timestamp), "2021-05-31 09:16:39");
  // USDINR trades at 72.755: the currency segment's 4 decimals, exact.
  EXPECT_EQ((*trades)[1].average_price, P("72.755", 4));
  const json one = kite_mocks::Data("order_trades.json");
  if (!one.is_null()) {
    auto t = ParseKiteTrades(one);
    ASSERT_TRUE(t.ok()) << t.error();
    EXPECT_EQ(t->front().average_price, P("4852"));
  }
}

TEST(KiteModels, NetPositionsAndMargins) {
  NEED_MOCK("positions.json");
  auto pos = ParseKiteNetPositions(mock);
  ASSERT_TRUE(pos.ok()) << pos.error();
  ASSERT_EQ(pos->size(), mock["net"].size());
  EXPECT_EQ(pos->front().tradingsymbol, "LEADMINI17DECFUT");
  EXPECT_EQ(pos->front().quantity, 1);
  EXPECT_EQ(pos->front().multiplier, 1000);
  EXPECT_EQ((*pos)[1].overnight_quantity, 3);
  EXPECT_EQ((*pos)[1].pnl, Money::FromInt(801));

  const json m = kite_mocks::Data("margins.json");
  if (m.is_null()) GTEST_SKIP() << "margins.json not present";
  auto eq = ParseKiteMarginSegment(m, "equity");
  ASSERT_TRUE(eq.ok()) << eq.error();
  EXPECT_TRUE(eq->enabled);
  EXPECT_EQ(eq->net, *Money::Parse("99725.05"));  // 99725.05000000002 on the wire
  EXPECT_EQ(eq->span, Money::FromInt(101989));
  EXPECT_EQ(eq->m2m_realised, *Money::Parse("761.7"));
  auto com = ParseKiteMarginSegment(m, "commodity");
  ASSERT_TRUE(com.ok()) << com.error();
  EXPECT_EQ(com->cash, *Money::Parse("100661.7"));
}

TEST(KiteModels, QuoteTopsFromZerodhasQuoteAnswer) {
  NEED_MOCK("quote.json");
  auto tops = ParseKiteQuoteTops(mock);
  ASSERT_TRUE(tops.ok()) << tops.error();
  ASSERT_EQ(tops->size(), mock.size());
  for (const auto& [key, q] : mock.items()) {
    const KiteQuoteTop& t = tops->at(key);
    EXPECT_EQ(t.instrument_token, q["instrument_token"].get<std::uint32_t>());
    EXPECT_EQ(KiteTimeText(t.timestamp), q["timestamp"].get<std::string>());
    const json& buy = q["depth"]["buy"][0];
    const json& sell = q["depth"]["sell"][0];
    EXPECT_EQ(t.bid_quantity, buy["quantity"].get<std::int64_t>());
    EXPECT_EQ(t.ask_quantity, sell["quantity"].get<std::int64_t>());
    EXPECT_EQ(t.bid, *KitePrice(buy["quantity"].get<std::int64_t>() == 0 ? json(0) : buy["price"], "bid"));
    EXPECT_EQ(t.ask, *KitePrice(sell["quantity"].get<std::int64_t>() == 0 ? json(0) : sell["price"], "ask"));
  }
}

TEST(KiteModels, QuoteTopsOneSidedAndBad) {
  const json q = json::parse(R"({"NFO:X": {"instrument_token": 7, "timestamp": "2025-01-06 10:00:00",
    "depth": {"buy": [{"price": 101.5, "quantity": 65, "orders": 1}],
              "sell": [{"price": 0, "quantity": 0, "orders": 0}]}}})");
  auto tops = ParseKiteQuoteTops(q);
  ASSERT_TRUE(tops.ok()) << tops.error();
  const KiteQuoteTop& t = tops->at("NFO:X");
  EXPECT_EQ(t.bid, P("101.50"));
  EXPECT_EQ(t.bid_quantity, 65);
  EXPECT_FALSE(t.two_sided());  // no offers
  json bad = q;
  bad["NFO:X"].erase("depth");
  auto e = ParseKiteQuoteTops(bad);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().find("NFO:X"), std::string::npos) << e.error();
  EXPECT_NE(e.error().find("depth"), std::string::npos) << e.error();
}

TEST(KiteModels, BadFieldsAreNamedWithTheOrder) {
  json o = json::parse(R"({"order_id":"42","status":"OPEN","exchange":"NFO","tradingsymbol":"X",
      "order_type":"LIMIT","transaction_type":"BUY","quantity":65,"price":"12"})");
  auto r = ParseKiteOrder(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("kite order 42: price"), std::string::npos) << r.error();
  o["price"] = 12.5;
  o["status"] = "WHATEVER";
  r = ParseKiteOrder(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("kite order 42: field 'status'"), std::string::npos) << r.error();
  o["status"] = "OPEN";
  o["quantity"] = 1.5;
  r = ParseKiteOrder(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("quantity"), std::string::npos) << r.error();
  o["quantity"] = 65.0;  // a whole number sent as a float is fine
  o["filled_quantity"] = 130;
  r = ParseKiteOrder(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("exceeds"), std::string::npos) << r.error();
  o["filled_quantity"] = 0;
  o.erase("order_id");
  r = ParseKiteOrder(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("'order_id' is missing"), std::string::npos) << r.error();
  EXPECT_FALSE(ParseKiteOrders(json::object()).ok());
  EXPECT_FALSE(ParseKiteNetPositions(json::array()).ok());
}

TEST(KiteRestBasics, LoopbackRateClassesAndForms) {
  EXPECT_FALSE(ParseKiteUrl("https://api.kite.trade", {"https"})->loopback());
  EXPECT_TRUE(ParseKiteUrl("http://127.0.0.1:8123", {"http"})->loopback());
  EXPECT_TRUE(ParseKiteUrl("ws://localhost:8124", {"ws"})->loopback());
  EXPECT_EQ(KiteRateClassOf("POST", "/orders/regular"), KiteRateClass::kOrders);
  EXPECT_EQ(KiteRateClassOf("PUT", "/orders/regular/1"), KiteRateClass::kOrders);
  EXPECT_EQ(KiteRateClassOf("DELETE", "/orders/regular/1"), KiteRateClass::kOrders);
  EXPECT_EQ(KiteRateClassOf("GET", "/orders/1"), KiteRateClass::kOther);
  EXPECT_EQ(KiteRateClassOf("GET", "/quote/ltp"), KiteRateClass::kQuote);
  EXPECT_EQ(KiteRateClassOf("GET", "/quote"), KiteRateClass::kQuote);
  EXPECT_EQ(KiteRateClassOf("GET", "/instruments/historical/256265/minute"),
            KiteRateClass::kHistorical);
  EXPECT_EQ(KiteRateClassOf("GET", "/instruments"), KiteRateClass::kOther);
  EXPECT_EQ(FormEncode({{"i", "NSE:NIFTY 50"}, {"tag", "N01a"}, {"x", "a&b=c"}}),
            "i=NSE%3ANIFTY%2050&tag=N01a&x=a%26b%3Dc");
}

}  // namespace
}  // namespace nacre
