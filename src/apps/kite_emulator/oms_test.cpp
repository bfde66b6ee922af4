// The Kite emulator's OMS, driven as the emulator drives it: market data through OnData,
// virtual time through AdvanceTo, the routes through Handle. Checks Kite's life cycle (transient
// statuses and their seeded timing, modify and cancel, the "being processed" error), the
// exchange's fills as a Kite client sees them (orders, trades, order updates, positions), every
// synchronous refusal with Kite's error type and wording, the asynchronous LPP rejection, the
// margin and charges routes against Nacre's own NSE margin book and charge calculator, and that
// every answer carries every field of Zerodha's mocks with the same JSON types.
#include "apps/kite_emulator/oms.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "adapters/zerodha/kite_json.h"
#include "adapters/zerodha/kite_mocks_test_util.h"
#include "apps/kite_emulator/instruments.h"
#include "nse/calendar.h"
#include "nse/charges.h"
#include "testkit/testkit.h"
#include "venue/simulated_exchange.h"

namespace nacre::kite_emu {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testkit::MakeQuote;
using testkit::MakeTrade;
using testkit::Px;
using testkit::Qty;

const InstrumentId kNifty = MustInstrumentId("NIFTY 50.NSE");

// A NIFTY option listed 2023-01-02, expiring 2026-06-25 15:30 IST (lot 65, freeze 1800, tick
// 0.05), as in the exchange's tests.
Instrument Option(OptionKind kind, const char* strike) {
  InstrumentSpec s;
  s.id = MustInstrumentId(
      fmt::format("NIFTY26JUN{}{}.NFO", strike, kind == OptionKind::kCall ? "CE" : "PE"));
  s.lot_size = Qty(65);
  s.freeze_quantity = Qty(1800);
  s.tick_size = Px("0.05");
  return *MakeOption(s, kNifty, kind, Px(strike), FromIst(2023, 1, 2, 9, 15),
                     FromIst(2026, 6, 25, 15, 30));
}

// Every field of the mock rows (the union over rows, less `skip`) is in `ours`, with a JSON
// kind one of the rows shows (null only where a row has null); objects recursively.
void ExpectShape(const json& mock, const json& ours, const std::string& where,
                 const std::set<std::string>& skip = {}) {
  std::vector<json> rows;
  if (mock.is_array()) {
    for (const json& r : mock) rows.push_back(r);
  } else {
    rows.push_back(mock);
  }
  std::map<std::string, std::set<std::string>> kinds;
  std::map<std::string, json> sample;
  for (const json& r : rows) {
    for (const auto& [k, v] : r.items()) {
      kinds[k].insert(kite_mocks::Kind(v));
      if (v.is_object() && !v.empty() && sample.count(k) == 0) sample[k] = v;
    }
  }
  for (const auto& [k, ks] : kinds) {
    if (skip.count(k) != 0) continue;
    ASSERT_TRUE(ours.contains(k)) << where << "." << k << " missing";
    const std::string mine = kite_mocks::Kind(ours[k]);
    if (ks == std::set<std::string>{"null"}) continue;  // the mock says nothing of the type
    EXPECT_EQ(ks.count(mine), 1u) << where << "." << k << " is " << mine;
    if (sample.count(k) != 0 && ours[k].is_object() && !ours[k].empty()) {
      ExpectShape(sample[k], ours[k], where + "." + k);
    }
  }
}

class OmsTest : public ::testing::Test {
 protected:
  // Tuesday 2026-05-05 10:00 IST (after the SEBI rules start), the index at 24,000.
  void Build(UnixNanos start = FromIst(2026, 5, 5, 10, 0), Money cash = Money::FromInt(10'000'000),
             std::uint64_t seed = 7) {
    rows_ = KiteInstrumentTable(instruments_);
    OmsConfig c;
    c.user.user_id = "AB1234";
    c.user.api_key = "key123";
    c.cash = cash;
    c.seed = seed;
    c.hours = &hours_;
    oms_ = std::make_unique<Oms>(c, instruments_, rows_, start);
    now_ = start;
    oms_->SetOrderUpdateSink([this](const json& u) { updates_.push_back(u); });
    oms_->OnData(MakeTrade(kNifty, "24000", 1, now_));
  }
  void Quote(const Instrument& i, const char* bid, const char* ask, std::int64_t bid_size = 650,
             std::int64_t ask_size = 650) {
    oms_->OnData(MakeQuote(i.id, bid, ask, now_, bid_size, ask_size));
  }
  void Advance(DurationNs d) {
    now_ = now_ + d;
    oms_->AdvanceTo(now_);
  }
  // Past every transient step (3 × at most 100 ms).
  void Settle() { Advance(kNanosPerSecond); }
  net::HttpResponse Call(const std::string& method, const std::string& path,
                         const std::string& body = "", const std::string& query = "") {
    net::HttpRequest r;
    r.method = method;
    r.target = query.empty() ? path : path + "?" + query;
    r.body = body;
    auto out = oms_->Handle(r, path, query, now_);
    EXPECT_TRUE(out.has_value()) << method << " " << path;
    if (!out) return {};
    EXPECT_EQ(out->Header("Content-Type"), "application/json");
    return *out;
  }
  static json Data(const net::HttpResponse& r) { return json::parse(r.body)["data"]; }
  static std::string Symbol(const Instrument& i) { return i.id.symbol().value(); }
  // POST /orders/regular; the answer.
  net::HttpResponse PlaceRaw(const Instrument& i, const char* side, std::int64_t qty,
                             const std::string& type, const std::string& price,
                             const std::string& extra = "") {
    std::string body = fmt::format(
        "variety=regular&exchange=NFO&tradingsymbol={}&transaction_type={}&order_type={}&"
        "quantity={}&product=NRML&validity=DAY",
        Symbol(i), side, type, qty);
    if (!price.empty()) body += "&price=" + price;
    body += extra;
    return Call("POST", "/orders/regular", body);
  }
  std::string Place(const Instrument& i, const char* side, std::int64_t qty,
                    const std::string& type = "LIMIT", const std::string& price = "",
                    const std::string& extra = "") {
    const net::HttpResponse r = PlaceRaw(i, side, qty, type, price, extra);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? Data(r)["order_id"].get<std::string>() : "";
  }
  json Order(const std::string& id) {
    for (const json& o : Data(Call("GET", "/orders"))) {
      if (o["order_id"] == id) return o;
    }
    ADD_FAILURE() << "no order " << id;
    return nullptr;
  }
  std::vector<std::string> Statuses(const std::string& id) {
    std::vector<std::string> out;
    for (const json& row : Data(Call("GET", "/orders/" + id))) out.push_back(row["status"]);
    return out;
  }
  // A fault plan from TOML, given to the OMS; every fire it reports lands in fired_.
  void Faults(std::string_view toml) {
    auto p = FaultPlan::FromToml(toml, "faults.toml");
    ASSERT_TRUE(p.ok()) << p.error();
    plan_ = std::move(*p);
    oms_->SetFaults(&plan_, [this](const FiredFault& f) { fired_.push_back(f); });
  }
  // The ledger's history row times (virtual ns) of an order.
  std::vector<std::int64_t> RowTimes(const std::string& id) {
    std::vector<std::int64_t> out;
    const json ledger = oms_->Ledger();
    for (const json& o : ledger["orders"]) {
      if (o["order_id"] != id) continue;
      for (const json& r : o["history"]) out.push_back(r["emu_time_ns"].get<std::int64_t>());
    }
    return out;
  }
  // The error answer's type and message.
  static std::pair<std::string, std::string> Error(const net::HttpResponse& r) {
    const json j = json::parse(r.body);
    EXPECT_EQ(j["status"], "error");
    EXPECT_TRUE(j["data"].is_null());
    return {j["error_type"], j["message"]};
  }

  const Instrument call_ = Option(OptionKind::kCall, "24000");
  const Instrument put_ = Option(OptionKind::kPut, "24000");
  const Instrument put_low_ = Option(OptionKind::kPut, "23900");
  std::vector<Instrument> instruments_{call_, put_, put_low_};
  std::vector<KiteInstrumentRow> rows_;
  NseCalendar hours_;
  std::unique_ptr<Oms> oms_;
  UnixNanos now_;
  std::vector<json> updates_;
  FaultPlan plan_;
  std::vector<FiredFault> fired_;
};

using Strings = std::vector<std::string>;

// ---- fills ----

TEST_F(OmsTest, ARestingLimitFillsAtItsLimitWhenAQuoteCrossesIt) {
  Build();
  Quote(call_, "100", "101");
  const std::string id = Place(call_, "BUY", 65, "LIMIT", "100.5");
  Settle();
  EXPECT_EQ(Order(id)["status"], "OPEN");
  EXPECT_TRUE(updates_.empty());  // nothing but transient states and OPEN so far
  Quote(call_, "99", "100");      // the ask crosses the limit: filled at the limit, not at 100
  const json o = Order(id);
  EXPECT_EQ(o["status"], "COMPLETE");
  EXPECT_EQ(o["average_price"], KitePriceJson(Px("100.5")));
  EXPECT_EQ(o["filled_quantity"], 65);
  EXPECT_EQ(o["pending_quantity"], 0);
  const json trades = Data(Call("GET", "/orders/" + id + "/trades"));
  ASSERT_EQ(trades.size(), 1u);
  EXPECT_EQ(trades[0]["average_price"], KitePriceJson(Px("100.5")));
  EXPECT_EQ(trades[0]["quantity"], 65);
  ASSERT_EQ(updates_.size(), 1u);
  EXPECT_EQ(updates_[0]["status"], "COMPLETE");
  EXPECT_EQ(updates_[0]["user_id"], "AB1234");
  EXPECT_EQ(updates_[0]["unfilled_quantity"], 0);
}

TEST_F(OmsTest, AMarketableLimitPaysTheTouchForItsDisplayedSizeThenWalks) {
  Build();
  Quote(call_, "100", "101", 650, 65);  // only one lot shown at the ask
  const std::string id = Place(call_, "BUY", 130, "LIMIT", "102");
  Settle();
  const json trades = Data(Call("GET", "/orders/" + id + "/trades"));
  ASSERT_EQ(trades.size(), 2u);
  EXPECT_EQ(trades[0]["average_price"], KitePriceJson(Px("101")));
  EXPECT_EQ(trades[0]["quantity"], 65);
  // The rest walks one tick away from the touch, within the limit.
  EXPECT_EQ(trades[1]["average_price"], KitePriceJson(Px("101") + call_.tick_size));
  EXPECT_EQ(trades[1]["quantity"], 65);
  EXPECT_NE(trades[0]["trade_id"], trades[1]["trade_id"]);
  // One order update per fill: OPEN with half filled, then COMPLETE.
  ASSERT_EQ(updates_.size(), 2u);
  EXPECT_EQ(updates_[0]["status"], "OPEN");
  EXPECT_EQ(updates_[0]["filled_quantity"], 65);
  EXPECT_EQ(updates_[0]["pending_quantity"], 65);
  EXPECT_EQ(updates_[0]["unfilled_quantity"], 65);
  EXPECT_EQ(updates_[1]["status"], "COMPLETE");
  EXPECT_EQ(updates_[1]["filled_quantity"], 130);
  const Price avg = Price::Raw((Px("101").raw() + (Px("101") + call_.tick_size).raw()) / 2, 2);
  EXPECT_EQ(updates_[1]["average_price"], KitePriceJson(avg));
  EXPECT_EQ(Statuses(id), (Strings{"PUT ORDER REQ RECEIVED", "VALIDATION PENDING",
                                   "OPEN PENDING", "OPEN", "OPEN", "COMPLETE"}));
}

// ---- life cycle ----

TEST_F(OmsTest, PlacementGoesThroughTheTransientStatusesAtSeededIntervals) {
  Build();
  Quote(call_, "100", "101");
  const UnixNanos placed = now_;
  const std::string id = Place(call_, "BUY", 65, "LIMIT", "99");
  EXPECT_EQ(Statuses(id), Strings{"PUT ORDER REQ RECEIVED"});
  Settle();
  EXPECT_EQ(Statuses(id),
            (Strings{"PUT ORDER REQ RECEIVED", "VALIDATION PENDING", "OPEN PENDING", "OPEN"}));
  const json history = oms_->Ledger()["orders"][0]["history"];
  ASSERT_EQ(history.size(), 4u);
  EXPECT_EQ(history[0]["emu_time_ns"], placed.value);
  for (std::size_t i = 1; i < history.size(); ++i) {
    const std::int64_t gap =
        history[i]["emu_time_ns"].get<std::int64_t>() - history[i - 1]["emu_time_ns"].get<std::int64_t>();
    EXPECT_GE(gap, 20 * kNanosPerMilli) << i;
    EXPECT_LE(gap, 100 * kNanosPerMilli) << i;
  }
  // Every history row is a whole order; only OPEN has the exchange's id and time.
  const json rows = Data(Call("GET", "/orders/" + id));
  EXPECT_TRUE(rows[2]["exchange_order_id"].is_null());
  EXPECT_TRUE(rows[3]["exchange_order_id"].is_string());
  EXPECT_EQ(rows[3]["exchange_order_id"].get<std::string>().size(), 16u);
  EXPECT_EQ(rows[0]["placed_by"], "AB1234");
  EXPECT_TRUE(updates_.empty());  // no order update for transient states nor OPEN
}

TEST_F(OmsTest, ModifyOrCancelWhileTransientIsBeingProcessed) {
  Build();
  Quote(call_, "100", "101");
  const std::string id = Place(call_, "BUY", 65, "LIMIT", "99");
  Advance(10 * kNanosPerMilli);
  const auto modify = Error(Call("PUT", "/orders/regular/" + id, "price=98"));
  EXPECT_EQ(modify, std::make_pair(std::string("InputException"),
                                   std::string("Order cannot be modified as it is being processed. "
                                               "Try later.")));
  const net::HttpResponse cancel = Call("DELETE", "/orders/regular/" + id);
  EXPECT_EQ(cancel.status, 400);
  EXPECT_EQ(Error(cancel).second, "Order cannot be cancelled as it is being processed. Try later.");
  Settle();
  // Open now; a modify is accepted, and a second one during its own transient is refused.
  EXPECT_EQ(Call("PUT", "/orders/regular/" + id, "price=98").status, 200);
  EXPECT_EQ(Error(Call("PUT", "/orders/regular/" + id, "price=97")).second,
            "Order cannot be modified as it is being processed. Try later.");
}

TEST_F(OmsTest, AModifyGoesThroughItsPendingStatesToModifiedThenOpen) {
  Build();
  Quote(call_, "100", "101");
  const std::string id = Place(call_, "BUY", 65, "LIMIT", "99");
  Settle();
  // pykiteconnect also sends variety and order_id in the body: ignored.
  const net::HttpResponse r =
      Call("PUT", "/orders/regular/" + id, "variety=regular&order_id=" + id + "&price=99.5&quantity=130");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Data(r)["order_id"], id);
  Settle();
  EXPECT_EQ(Statuses(id),
            (Strings{"PUT ORDER REQ RECEIVED", "VALIDATION PENDING", "OPEN PENDING", "OPEN",
                     "MODIFY VALIDATION PENDING", "MODIFY PENDING", "MODIFIED", "OPEN"}));
  const json o = Order(id);
  EXPECT_EQ(o["price"], KitePriceJson(Px("99.5")));
  EXPECT_EQ(o["quantity"], 130);
  EXPECT_EQ(o["modified"], true);
  ASSERT_EQ(updates_.size(), 1u);
  EXPECT_EQ(updates_[0]["status"], "OPEN");
  EXPECT_EQ(updates_[0]["modified"], true);
  // The exchange refuses a modify beyond the LPP band: NOT MODIFIED, back to OPEN, unchanged.
  ASSERT_EQ(Call("PUT", "/orders/regular/" + id, "price=150").status, 200);
  Settle();
  const Strings s = Statuses(id);
  EXPECT_EQ(Strings(s.end() - 4, s.end()),
            (Strings{"MODIFY VALIDATION PENDING", "MODIFY PENDING", "NOT MODIFIED", "OPEN"}));
  EXPECT_EQ(Order(id)["price"], KitePriceJson(Px("99.5")));
  EXPECT_EQ(updates_.size(), 1u);
}

TEST_F(OmsTest, ACancelGoesThroughCancelPendingToCancelled) {
  Build();
  Quote(call_, "100", "101");
  const std::string id = Place(call_, "BUY", 65, "LIMIT", "99");
  Settle();
  ASSERT_EQ(Call("DELETE", "/orders/regular/" + id).status, 200);
  EXPECT_EQ(Order(id)["status"], "CANCEL PENDING");
  Settle();
  const Strings s = Statuses(id);
  EXPECT_EQ(Strings(s.end() - 2, s.end()), (Strings{"CANCEL PENDING", "CANCELLED"}));
  const json o = Order(id);
  EXPECT_EQ(o["cancelled_quantity"], 65);
  EXPECT_EQ(o["pending_quantity"], 0);
  ASSERT_EQ(updates_.size(), 1u);
  EXPECT_EQ(updates_[0]["status"], "CANCELLED");
  EXPECT_EQ(Error(Call("PUT", "/orders/regular/" + id, "price=98")).second,
            "Order cannot be modified as it is cancelled.");
  EXPECT_EQ(Error(Call("DELETE", "/orders/regular/" + id)).second,
            "Order cannot be cancelled as it is cancelled.");
}

TEST_F(OmsTest, DayOrdersLeftAtTheCloseAreCancelledWithAnUpdate) {
  Build(FromIst(2026, 5, 5, 15, 29));
  Quote(call_, "100", "101");
  const std::string id = Place(call_, "BUY", 65, "LIMIT", "99");
  Settle();
  ASSERT_EQ(Order(id)["status"], "OPEN");
  now_ = FromIst(2026, 5, 5, 15, 31);
  oms_->AdvanceTo(now_);
  const json o = Order(id);
  EXPECT_EQ(o["status"], "CANCELLED");
  EXPECT_EQ(o["cancelled_quantity"], 65);
  ASSERT_EQ(updates_.size(), 1u);
  EXPECT_EQ(updates_[0]["status"], "CANCELLED");
}

// ---- rules ----

TEST_F(OmsTest, SynchronousRuleChecksAnswerKitesErrorsAndCreateNoOrder) {
  Build(FromIst(2026, 5, 5, 10, 0), Money::FromInt(61'000));
  Quote(put_, "99.95", "100");
  auto refused = [&](const net::HttpResponse& r) {
    EXPECT_EQ(r.status, 400) << r.body;
    return Error(r);
  };
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(refused(PlaceRaw(put_, "BUY", 65, "LIMIT", "99.97")),
            (P{"InputException",
               "Tick size for this script is " + put_.tick_size.ToString() +
                   ". Kindly enter price in the multiple of tick size for this script"}));
  EXPECT_EQ(refused(PlaceRaw(put_, "BUY", 60, "LIMIT", "99.95")),
            (P{"InputException", "Quantity should be in multiples of lot size (65)."}));
  EXPECT_EQ(refused(PlaceRaw(put_, "BUY", 1820, "LIMIT", "99.95")).second,
            "Quantity exceeds the freeze limit of 1800 for this script. Split the order into "
            "smaller quantities.");
  EXPECT_EQ(refused(PlaceRaw(put_, "BUY", 65, "MARKET", "")),
            (P{"InputException",
               "Market orders without market protection are not allowed via API. Please set "
               "market protection or use a Limit order."}));
  EXPECT_EQ(refused(PlaceRaw(put_, "BUY", 65, "SL-M", "", "&trigger_price=105")).second,
            "Market orders without market protection are not allowed via API. Please set market "
            "protection or use a Limit order.");
  // A naked short beyond the balance: MarginException with the exchange's figures.
  const auto margin = refused(PlaceRaw(put_, "SELL", 65, "LIMIT", "99.95"));
  EXPECT_EQ(margin.first, "MarginException");
  EXPECT_EQ(margin.second.rfind("Insufficient funds. Required margin is ", 0), 0u) << margin.second;
  EXPECT_NE(margin.second.find(" but available margin is " + Money::FromInt(61'000).ToString() + "."),
            std::string::npos)
      << margin.second;
  EXPECT_TRUE(Data(Call("GET", "/orders")).empty());
  // With market protection the market order is taken.
  Place(put_, "BUY", 65, "MARKET", "", "&market_protection=2");
  // After the close: markets are closed.
  now_ = FromIst(2026, 5, 5, 16, 0);
  oms_->AdvanceTo(now_);
  EXPECT_EQ(refused(PlaceRaw(put_, "BUY", 65, "LIMIT", "99.95")),
            (P{"InputException",
               "Markets are closed right now. Use GTT for placing long standing orders instead."}));
  EXPECT_EQ(Data(Call("GET", "/orders")).size(), 1u);
}

TEST_F(OmsTest, MarketOrdersWithoutProtectionPassBeforeApril2026) {
  Build(FromIst(2026, 3, 31, 10, 0));
  Quote(put_, "99.95", "100");
  const std::string id = Place(put_, "BUY", 65, "MARKET", "");
  Settle();
  EXPECT_EQ(Order(id)["status"], "COMPLETE");
  EXPECT_EQ(Order(id)["average_price"], KitePriceJson(Px("100")));
}

TEST_F(OmsTest, ALimitBeyondTheLppBandIsCreatedThenRejectedByTheExchange) {
  Build();
  Quote(call_, "99.95", "100.05");
  // Band of a ₹100 option: ±40% of the reference (the mid, no trade yet): a buy at 150 is out.
  const std::string id = Place(call_, "BUY", 65, "LIMIT", "150");
  Settle();
  const json o = Order(id);
  EXPECT_EQ(o["status"], "REJECTED");
  EXPECT_NE(o["status_message"].get<std::string>().find("limit price protection"),
            std::string::npos);
  EXPECT_NE(o["status_message_raw"].get<std::string>().find("LPP"), std::string::npos);
  EXPECT_TRUE(o["exchange_order_id"].is_null());
  ASSERT_EQ(updates_.size(), 1u);
  EXPECT_EQ(updates_[0]["status"], "REJECTED");
  EXPECT_EQ(Statuses(id), (Strings{"PUT ORDER REQ RECEIVED", "VALIDATION PENDING",
                                   "OPEN PENDING", "REJECTED"}));
}

TEST_F(OmsTest, BadRequestsGetInputExceptions) {
  Build();
  Quote(call_, "100", "101");
  EXPECT_EQ(Error(Call("GET", "/orders/123")).second, "Couldn't find that `order_id`.");
  EXPECT_EQ(Error(Call("PUT", "/orders/regular/123", "price=1")).second,
            "Couldn't find that `order_id`.");
  EXPECT_EQ(Error(Call("DELETE", "/orders/regular/123")).second, "Couldn't find that `order_id`.");
  EXPECT_EQ(Error(Call("GET", "/orders/123/trades")).second, "Couldn't find that `order_id`.");
  const auto variety = Call("POST", "/orders/amo", "exchange=NFO");
  EXPECT_EQ(variety.status, 400);
  EXPECT_EQ(Error(variety).first, "InputException");
  EXPECT_EQ(Error(Call("POST", "/orders/nonsense", "")).second, "Invalid `variety`.");
  const auto tag = PlaceRaw(call_, "BUY", 65, "LIMIT", "99", "&tag=abcdefghijklmnopqrstu");
  EXPECT_EQ(tag.status, 400);
  EXPECT_EQ(Error(tag).first, "InputException");
  EXPECT_EQ(PlaceRaw(call_, "BUY", 65, "LIMIT", "99", "&tag=strat-1").status, 400);  // not alnum
  EXPECT_EQ(Error(PlaceRaw(call_, "BUY", 0, "LIMIT", "99")).second, "Invalid `quantity`.");
  EXPECT_EQ(Error(Call("POST", "/orders/regular", "exchange=NFO")).second,
            "Missing `tradingsymbol`.");
  EXPECT_EQ(Error(Call("POST", "/orders/regular",
                       "exchange=NFO&tradingsymbol=NOPE&transaction_type=BUY&order_type=LIMIT&"
                       "quantity=65&product=NRML&price=1"))
                .second,
            "Invalid `tradingsymbol`.");
  EXPECT_TRUE(Data(Call("GET", "/orders")).empty());
  // A tag of 20 alphanumerics is kept, in `tag` and `tags`.
  const std::string id = Place(call_, "BUY", 65, "LIMIT", "99", "&tag=abcdefghij0123456789");
  EXPECT_EQ(Order(id)["tag"], "abcdefghij0123456789");
  EXPECT_EQ(Order(id)["tags"], json::array({"abcdefghij0123456789"}));
  // Not an OMS route.
  net::HttpRequest r;
  r.method = "GET";
  EXPECT_FALSE(oms_->Handle(r, "/user/profile", "", now_).has_value());
}

TEST_F(OmsTest, OrderIdsAre19DigitsIncreasingAndRepeatForASeed) {
  auto ids = [&](std::uint64_t seed) {
    Build(FromIst(2026, 5, 5, 10, 0), Money::FromInt(10'000'000), seed);
    Quote(call_, "100", "101");
    std::vector<std::string> out;
    for (int i = 0; i < 3; ++i) out.push_back(Place(call_, "BUY", 65, "LIMIT", "99"));
    return out;
  };
  const auto a = ids(7);
  for (const std::string& id : a) {
    EXPECT_EQ(id.size(), 19u) << id;
    EXPECT_EQ(id.find_first_not_of("0123456789"), std::string::npos) << id;
  }
  EXPECT_LT(a[0], a[1]);
  EXPECT_LT(a[1], a[2]);
  EXPECT_EQ(ids(7), a);
  EXPECT_NE(ids(8), a);
  // Ids do not depend on how many transient steps ran in between (a replay's wall-clock pace
  // decides that): the same placements with the order side settled between them.
  Build(FromIst(2026, 5, 5, 10, 0), Money::FromInt(10'000'000), 7);
  Quote(call_, "100", "101");
  std::vector<std::string> settled;
  for (int i = 0; i < 3; ++i) {
    settled.push_back(Place(call_, "BUY", 65, "LIMIT", "99"));
    Settle();
  }
  EXPECT_EQ(settled, a);
}

TEST_F(OmsTest, DayPositionsHoldTodaysFillsAloneAcrossDays) {
  Build(FromIst(2026, 5, 5, 10, 0));
  Quote(call_, "100", "101");
  Place(call_, "BUY", 65, "LIMIT", "101");  // yesterday's long, at the ask
  Settle();
  Advance(24 * 3600 * kNanosPerSecond);     // the next day, 10:00
  Quote(call_, "110", "111");
  Place(call_, "SELL", 65, "LIMIT", "110");  // sold today, at the bid
  Settle();
  const json pos = Data(Call("GET", "/portfolio/positions"));
  ASSERT_EQ(pos["net"].size(), 1u) << pos.dump();
  ASSERT_EQ(pos["day"].size(), 1u) << pos.dump();
  const json& net = pos["net"][0];
  const json& day = pos["day"][0];
  EXPECT_EQ(net["quantity"], 0);
  EXPECT_EQ(net["overnight_quantity"], 65);
  EXPECT_EQ(net["day_buy_quantity"], 0);  // today's only
  EXPECT_EQ(net["day_sell_quantity"], 65);
  EXPECT_DOUBLE_EQ(net["day_sell_price"].get<double>(), 110.0);
  EXPECT_EQ(net["buy_quantity"], 65);
  // The day position: today's sale alone, short 65 at its own price.
  EXPECT_EQ(day["quantity"], -65);
  EXPECT_DOUBLE_EQ(day["average_price"].get<double>(), 110.0);
  EXPECT_EQ(day["buy_quantity"], 0);
}

TEST_F(OmsTest, MarginRequestsWithOutOfRangeFiguresAreInputErrors) {
  Build();
  Quote(call_, "100", "101");
  auto margins = [&](const json& orders) {
    return Call("POST", "/margins/orders", orders.dump());
  };
  const json leg = {{"exchange", "NFO"}, {"tradingsymbol", Symbol(call_)},
                    {"transaction_type", "BUY"}, {"variety", "regular"}, {"product", "NRML"},
                    {"order_type", "LIMIT"}, {"quantity", 65}, {"price", 100}};
  EXPECT_EQ(margins(json::array({leg})).status, 200);
  json huge = leg;
  huge["quantity"] = 10'000'000'000LL;  // would overflow the fixed-point value
  EXPECT_EQ(json::parse(margins(json::array({huge})).body)["error_type"], "InputException");
  json pricey = leg;
  pricey["price"] = 1'000'000'000;
  EXPECT_EQ(json::parse(margins(json::array({pricey})).body)["error_type"], "InputException");
  json negative = leg;
  negative["price"] = -5;
  EXPECT_EQ(json::parse(margins(json::array({negative})).body)["error_type"], "InputException");
  json many = json::array();
  for (int i = 0; i < 51; ++i) many.push_back(leg);
  EXPECT_EQ(json::parse(margins(many).body)["error_type"], "InputException");
  EXPECT_EQ(Call("POST", "/margins/orders", "{not json").status, 400);
  // The emulator is still serving.
  EXPECT_EQ(margins(json::array({leg})).status, 200);
}

// ---- portfolio, margins, charges ----

TEST_F(OmsTest, PositionsFollowTheFillsAndTheExchangeLedger) {
  Build();
  Quote(call_, "100", "101", 650, 65);
  Place(call_, "BUY", 130, "LIMIT", "102");  // 65 @ 101, 65 @ 101.05
  Settle();
  Quote(call_, "103", "104");
  Place(call_, "SELL", 65, "LIMIT", "103");  // 65 @ 103
  Settle();
  const json pos = Data(Call("GET", "/portfolio/positions"));
  ASSERT_EQ(pos["net"].size(), 1u);
  const json p = pos["net"][0];
  const Price b1 = Px("101"), b2 = Px("101") + call_.tick_size, s1 = Px("103");
  const Money buy = Money::Notional(b1, Qty(65), 1) + Money::Notional(b2, Qty(65), 1);
  const Money sell = Money::Notional(s1, Qty(65), 1);
  EXPECT_EQ(p["quantity"], 65);
  EXPECT_EQ(p["buy_quantity"], 130);
  EXPECT_EQ(p["sell_quantity"], 65);
  EXPECT_EQ(p["buy_value"], KitePriceJson(Price::Raw(buy.raw(), 2)));
  EXPECT_EQ(p["sell_value"], KitePriceJson(Price::Raw(sell.raw(), 2)));
  EXPECT_EQ(p["value"], KitePriceJson(Price::Raw((sell - buy).raw(), 2)));
  EXPECT_EQ(p["product"], "NRML");
  // The exchange's ledger agrees on the net quantity and the open part's average.
  const auto& ledger = oms_->exchange().positions();
  ASSERT_EQ(ledger.count(call_.id), 1u);
  const VenuePosition& vp = ledger.at(call_.id);
  EXPECT_EQ(vp.net_raw / kFixedScale, 65);
  EXPECT_EQ(p["average_price"],
            KitePriceJson(Price::Raw(static_cast<std::int64_t>(vp.open_value / vp.net_raw), 2)));
  // Marked at the last mid: pnl = value + quantity × last.
  const Price mid = Px("103.5");
  EXPECT_EQ(p["last_price"], KitePriceJson(mid));
  const Money pnl = sell - buy + Money::Notional(mid, Qty(65), 1);
  EXPECT_EQ(p["pnl"], KitePriceJson(Price::Raw(pnl.raw(), 2)));
  ASSERT_EQ(pos["day"].size(), 1u);
  EXPECT_EQ(pos["day"][0]["quantity"], 65);
  // NRML → MIS relabels the whole position.
  const std::string convert = fmt::format(
      "exchange=NFO&tradingsymbol={}&transaction_type=BUY&position_type=day&quantity=65&"
      "old_product=NRML&new_product=MIS",
      Symbol(call_));
  const net::HttpResponse c = Call("PUT", "/portfolio/positions", convert);
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(Data(c), true);
  EXPECT_EQ(Data(Call("GET", "/portfolio/positions"))["net"][0]["product"], "MIS");
  EXPECT_EQ(Call("PUT", "/portfolio/positions", convert).status, 400);  // no NRML left
  EXPECT_EQ(Data(Call("GET", "/portfolio/holdings")), json::array());
  // The equity margins: the ledger's cash less what is blocked.
  const json eq = oms_->EquityMargins();
  EXPECT_EQ(eq["available"]["opening_balance"], 10'000'000);
  const Money charges = oms_->exchange().total_charges().Total();
  EXPECT_EQ(eq["utilised"]["option_premium"],
            KitePriceJson(Price::Raw((buy - sell).raw(), 2)));
  EXPECT_EQ(oms_->exchange().cash(), Money::FromInt(10'000'000) - buy + sell - charges);
}

TEST_F(OmsTest, OrderAndBasketMarginsComeFromTheNseMarginBook) {
  Build();
  Quote(put_, "99.95", "100.05");
  Quote(put_low_, "69.95", "70.05");
  const std::string body = json::array({
      {{"exchange", "NFO"}, {"tradingsymbol", Symbol(put_)}, {"transaction_type", "SELL"},
       {"variety", "regular"}, {"product", "NRML"}, {"order_type", "LIMIT"}, {"quantity", 65},
       {"price", 100}},
      {{"exchange", "NFO"}, {"tradingsymbol", Symbol(put_low_)}, {"transaction_type", "BUY"},
       {"variety", "regular"}, {"product", "NRML"}, {"order_type", "LIMIT"}, {"quantity", 65},
       {"price", 70}}}).dump();
  const net::HttpResponse each = Call("POST", "/margins/orders", body);
  ASSERT_EQ(each.status, 200) << each.body;
  const json orders = Data(each);
  ASSERT_EQ(orders.size(), 2u);
  EXPECT_GT(orders[0]["span"].get<double>(), 0);       // the short: SPAN and exposure
  EXPECT_EQ(orders[0]["option_premium"], 0);
  EXPECT_EQ(orders[1]["exposure"], 0);  // the long: its premium (and its scenario loss)
  EXPECT_EQ(orders[1]["option_premium"], 65 * 70);
  EXPECT_GT(orders[0]["exposure"].get<double>(), 0);
  // Each order's charges: one fill of its premium on its own contract note.
  const ChargeSchedule schedule = ChargeSchedule::ZerodhaIndexOptions();
  ChargeCalculator calc(schedule);  // keeps a reference to the schedule
  const ChargeBreakdown c0 =
      calc.OnFill(IstDate(now_), OrderSide::kSell, Money::Notional(Px("100"), Qty(65), 1), true);
  EXPECT_EQ(orders[0]["charges"]["total"], KitePriceJson(Price::Raw(c0.Total().raw(), 2)));
  const net::HttpResponse basket =
      Call("POST", "/margins/basket", body, "consider_positions=true&mode=compact");
  ASSERT_EQ(basket.status, 200) << basket.body;
  const json b = Data(basket);
  EXPECT_EQ(b["orders"], orders);
  auto rupees = [](const json& v) { return *KitePrice(v, "total", 2); };
  EXPECT_EQ(rupees(b["initial"]["total"]),
            rupees(orders[0]["total"]) + rupees(orders[1]["total"]));
  // The spread's hedge: the basket needs less than its legs alone.
  EXPECT_LT(rupees(b["final"]["total"]), rupees(b["initial"]["total"]));
  EXPECT_EQ(Call("POST", "/margins/orders", "not json").status, 400);
}

TEST_F(OmsTest, TheVirtualContractNoteIsTheChargeCalculatorsFigures) {
  Build();
  const std::string body =
      json::array(
          {{{"order_id", "1"}, {"exchange", "NFO"}, {"tradingsymbol", Symbol(call_)},
            {"transaction_type", "BUY"}, {"variety", "regular"}, {"product", "NRML"},
            {"order_type", "LIMIT"}, {"quantity", 130}, {"average_price", 101.35}},
           {{"order_id", "2"}, {"exchange", "NFO"}, {"tradingsymbol", Symbol(put_)},
            {"transaction_type", "SELL"}, {"variety", "regular"}, {"product", "NRML"},
            {"order_type", "MARKET"}, {"quantity", 65}, {"average_price", 88.4}}})
          .dump();
  const net::HttpResponse r = Call("POST", "/charges/orders", body);
  ASSERT_EQ(r.status, 200) << r.body;
  const json notes = Data(r);
  ASSERT_EQ(notes.size(), 2u);
  const ChargeSchedule schedule = ChargeSchedule::ZerodhaIndexOptions();
  ChargeCalculator calc(schedule);  // keeps a reference to the schedule
  const ChargeBreakdown a =
      calc.OnFill(IstDate(now_), OrderSide::kBuy, Money::Notional(Px("101.35"), Qty(130), 1), true);
  const ChargeBreakdown s =
      calc.OnFill(IstDate(now_), OrderSide::kSell, Money::Notional(Px("88.4"), Qty(65), 1), true);
  EXPECT_EQ(notes[0]["charges"]["total"], KitePriceJson(Price::Raw(a.Total().raw(), 2)));
  EXPECT_EQ(notes[1]["charges"]["total"], KitePriceJson(Price::Raw(s.Total().raw(), 2)));
  EXPECT_EQ(notes[1]["charges"]["transaction_tax"], KitePriceJson(Price::Raw(s.stt.raw(), 2)));
  EXPECT_EQ(a.Total() + s.Total(), calc.total().Total());
  EXPECT_EQ(notes[0]["price"], KitePriceJson(Px("101.35")));
}

// ---- faults (the fault plan's `oms` stream, and visibility_delay's hiding) ----

TEST_F(OmsTest, StuckOpenPendingHoldsTheOrderForItsDelayThenSendsIt) {
  Build();
  Faults(R"(
[[rule]]
stream = "oms"
action = "stuck_open_pending"
delay_ms = 5000
nth = 1
)");
  Quote(call_, "100", "101");
  const UnixNanos placed = now_;
  const std::string id = Place(call_, "BUY", 65, "LIMIT", "99");
  Settle();
  EXPECT_EQ(Statuses(id), (Strings{"PUT ORDER REQ RECEIVED", "VALIDATION PENDING", "OPEN PENDING"}));
  EXPECT_TRUE(Order(id)["exchange_order_id"].is_null());
  // OPEN PENDING is transient: a modify is being processed.
  EXPECT_EQ(Error(Call("PUT", "/orders/regular/" + id, "price=98")).second,
            "Order cannot be modified as it is being processed. Try later.");
  Advance(5 * kNanosPerSecond);
  EXPECT_EQ(Statuses(id), (Strings{"PUT ORDER REQ RECEIVED", "VALIDATION PENDING", "OPEN PENDING",
                                   "OPEN"}));
  EXPECT_TRUE(Order(id)["exchange_order_id"].is_string());
  // Exactly delay_ms in OPEN PENDING.
  const auto t = RowTimes(id);
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[3] - t[2], 5000 * kNanosPerMilli);
  // The fire: rule 0, at the placement, on the order's tradingsymbol, in the plan's log too.
  ASSERT_EQ(fired_.size(), 1u);
  EXPECT_EQ(fired_[0].action, FaultAction::kStuckOpenPending);
  EXPECT_EQ(fired_[0].delay_ms, 5000);
  EXPECT_EQ(fired_[0].subject, Symbol(call_));
  EXPECT_EQ(fired_[0].time, placed);
  const json log = plan_.Log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["rule"], 0);
  EXPECT_EQ(log[0]["action"], "stuck_open_pending");
  EXPECT_EQ(log[0]["key"], "oms");
  EXPECT_EQ(log[0]["subject"], Symbol(call_));
  // nth = 1: the next order is not held.
  const std::string next = Place(call_, "BUY", 65, "LIMIT", "99");
  Settle();
  EXPECT_EQ(Order(next)["status"], "OPEN");
  EXPECT_EQ(plan_.Log().size(), 1u);
}

TEST_F(OmsTest, StuckUntilCancelledNeverReachesTheExchangeAndACancelWithdrawsIt) {
  Build();
  Faults("[[rule]]\nstream = \"oms\"\naction = \"stuck_open_pending\"\nnth = 1\n");
  Quote(call_, "100", "101");
  const std::string id = Place(call_, "BUY", 65, "LIMIT", "99");
  Advance(3600 * kNanosPerSecond);
  Quote(call_, "98", "99");  // would fill it at the exchange: it is not there
  EXPECT_EQ(Order(id)["status"], "OPEN PENDING");
  EXPECT_EQ(Order(id)["filled_quantity"], 0);
  EXPECT_TRUE(Data(Call("GET", "/trades")).empty());
  // The cancel is accepted; a second one while it is carried out is being processed.
  const net::HttpResponse cancel = Call("DELETE", "/orders/regular/" + id);
  ASSERT_EQ(cancel.status, 200) << cancel.body;
  EXPECT_EQ(Data(cancel)["order_id"], id);
  EXPECT_EQ(Error(Call("DELETE", "/orders/regular/" + id)).second,
            "Order cannot be cancelled as it is being processed. Try later.");
  Settle();
  EXPECT_EQ(Statuses(id), (Strings{"PUT ORDER REQ RECEIVED", "VALIDATION PENDING", "OPEN PENDING",
                                   "CANCELLED"}));
  const json o = Order(id);
  EXPECT_EQ(o["cancelled_quantity"], 65);
  EXPECT_EQ(o["pending_quantity"], 0);
  EXPECT_TRUE(o["exchange_order_id"].is_null());
  ASSERT_EQ(updates_.size(), 1u);
  EXPECT_EQ(updates_[0]["status"], "CANCELLED");
  EXPECT_EQ(plan_.Log().size(), 1u);
  EXPECT_TRUE(oms_->exchange().positions().empty());
}

TEST_F(OmsTest, AStuckOrderEndsCancelledAtTheDaysClose) {
  Build(FromIst(2026, 5, 5, 15, 29));
  Faults("[[rule]]\nstream = \"oms\"\naction = \"stuck_open_pending\"\ndelay_ms = 600000\nnth = 1\n");
  Quote(call_, "100", "101");
  const std::string id = Place(call_, "BUY", 65, "LIMIT", "99");
  Settle();
  ASSERT_EQ(Order(id)["status"], "OPEN PENDING");
  now_ = FromIst(2026, 5, 5, 15, 45);  // past the close, past nothing else (the hold is 10 min)
  oms_->AdvanceTo(now_);
  EXPECT_EQ(Statuses(id), (Strings{"PUT ORDER REQ RECEIVED", "VALIDATION PENDING", "OPEN PENDING",
                                   "CANCELLED"}));
  EXPECT_EQ(RowTimes(id).back(), FromIst(2026, 5, 5, 15, 30).value);
  EXPECT_EQ(Order(id)["cancelled_quantity"], 65);
  ASSERT_EQ(updates_.size(), 1u);
  EXPECT_EQ(updates_[0]["status"], "CANCELLED");
  now_ = FromIst(2026, 5, 5, 16, 0);  // the hold's end: nothing is sent
  oms_->AdvanceTo(now_);
  EXPECT_EQ(Order(id)["status"], "CANCELLED");
  EXPECT_TRUE(Order(id)["exchange_order_id"].is_null());
}

TEST_F(OmsTest, RejectRmsRejectsAfterOpenPendingWithoutTheExchange) {
  Build();
  // Rule 0 matches another symbol only; rule 1 fires.
  Faults(fmt::format(R"(
[[rule]]
stream = "oms"
match = "{}"
action = "partial_fills"
every = 1
[[rule]]
stream = "oms"
action = "reject_rms"
nth = 1
)",
                     Symbol(put_)));
  Quote(call_, "100", "101");
  const json margins_before = oms_->EquityMargins();
  const std::string id = Place(call_, "BUY", 65, "LIMIT", "102");  // marketable: would fill
  Settle();
  EXPECT_EQ(Statuses(id), (Strings{"PUT ORDER REQ RECEIVED", "VALIDATION PENDING", "OPEN PENDING",
                                   "REJECTED"}));
  const json o = Order(id);
  const std::string message =
      "RMS:Rule: Order blocked for entity account-AB1234 across exchange across segment across "
      "product: emulated RMS rejection (fault plan rule 1)";
  EXPECT_EQ(o["status_message"], message);
  EXPECT_EQ(o["status_message_raw"], message);
  EXPECT_TRUE(o["exchange_order_id"].is_null());
  EXPECT_EQ(o["filled_quantity"], 0);
  ASSERT_EQ(updates_.size(), 1u);
  EXPECT_EQ(updates_[0]["status"], "REJECTED");
  EXPECT_EQ(updates_[0]["status_message"], message);
  EXPECT_TRUE(oms_->exchange().positions().empty());
  EXPECT_EQ(oms_->EquityMargins(), margins_before);
  const json log = plan_.Log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["rule"], 1);
  EXPECT_EQ(log[0]["action"], "reject_rms");
  EXPECT_EQ(plan_.Counters()[0]["matched"], 0);  // the put's rule never saw the call
}

TEST_F(OmsTest, PartialFillsSplitTheExchangesFillIntoLotTradesAtItsPrice) {
  Build();
  Faults("[[rule]]\nstream = \"oms\"\naction = \"partial_fills\"\ntrades = 3\nevery = 1\n");
  Quote(call_, "100", "101", 650, 650);  // the ask shows all 5 lots: one exchange fill
  const std::int64_t lot = 65;
  const std::string id = Place(call_, "BUY", 5 * lot, "LIMIT", "102");
  Settle();
  // 5 lots in 3 trades: 2, 2, 1 lots, all at the exchange's price (the ask).
  const std::vector<std::int64_t> want{2 * lot, 2 * lot, 1 * lot};
  const json trades = Data(Call("GET", "/orders/" + id + "/trades"));
  ASSERT_EQ(trades.size(), want.size());
  std::set<std::string> ids;
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(trades[i]["quantity"], want[i]) << i;
    EXPECT_EQ(trades[i]["average_price"], KitePriceJson(Px("101"))) << i;
    ids.insert(trades[i]["trade_id"].get<std::string>());
  }
  EXPECT_EQ(ids.size(), want.size());
  // OPEN with the filled quantity between, each with an order update.
  EXPECT_EQ(Statuses(id), (Strings{"PUT ORDER REQ RECEIVED", "VALIDATION PENDING", "OPEN PENDING",
                                   "OPEN", "OPEN", "OPEN", "COMPLETE"}));
  ASSERT_EQ(updates_.size(), 3u);
  std::int64_t filled = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    filled += want[i];
    EXPECT_EQ(updates_[i]["filled_quantity"], filled) << i;
    EXPECT_EQ(updates_[i]["pending_quantity"], i + 1 < want.size() ? 5 * lot - filled : 0) << i;
    EXPECT_EQ(updates_[i]["status"], i + 1 < want.size() ? "OPEN" : "COMPLETE") << i;
  }
  const json o = Order(id);
  EXPECT_EQ(o["average_price"], KitePriceJson(Px("101")));
  // The exchange filled it once; its ledger agrees with the trades.
  EXPECT_EQ(oms_->exchange().positions().at(call_.id).net_raw / kFixedScale, 5 * lot);
  EXPECT_EQ(Data(Call("GET", "/portfolio/positions"))["net"][0]["quantity"], 5 * lot);
  // A single lot cannot be split: one trade (the rule still fires).
  updates_.clear();
  const std::string one = Place(call_, "BUY", lot, "LIMIT", "102");
  Settle();
  ASSERT_EQ(Data(Call("GET", "/orders/" + one + "/trades")).size(), 1u);
  ASSERT_EQ(updates_.size(), 1u);
  EXPECT_EQ(updates_[0]["status"], "COMPLETE");
  const json log = plan_.Log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0]["action"], "partial_fills");
  EXPECT_EQ(fired_[0].trades, 3);
}

TEST_F(OmsTest, TradesLagKeepsTheOrdersTradesOutOfTheTradeBookForItsDelay) {
  Build();
  Faults("[[rule]]\nstream = \"oms\"\naction = \"trades_lag\"\ndelay_ms = 3000\nnth = 1\n");
  Quote(call_, "100", "101", 650, 650);
  const std::string lagged = Place(call_, "BUY", 65, "LIMIT", "102");
  const std::string plain = Place(call_, "BUY", 65, "LIMIT", "102");
  Settle();  // both filled within the first second
  // The order book, the history and the updates say filled; the trade book does not, yet.
  EXPECT_EQ(Order(lagged)["status"], "COMPLETE");
  EXPECT_EQ(Order(lagged)["filled_quantity"], 65);
  EXPECT_EQ(Statuses(lagged).back(), "COMPLETE");
  EXPECT_TRUE(Data(Call("GET", "/orders/" + lagged + "/trades")).empty());
  EXPECT_EQ(Data(Call("GET", "/orders/" + plain + "/trades")).size(), 1u);
  EXPECT_EQ(Data(Call("GET", "/trades")).size(), 1u);
  EXPECT_EQ(Data(Call("GET", "/portfolio/positions"))["net"][0]["quantity"], 130);
  EXPECT_EQ(oms_->Ledger()["trades"].size(), 2u);  // the oracle lists it at once
  // Past the delay it is there, with the fill's own time.
  Advance(3 * kNanosPerSecond);
  const json trades = Data(Call("GET", "/orders/" + lagged + "/trades"));
  ASSERT_EQ(trades.size(), 1u);
  EXPECT_EQ(trades[0]["quantity"], 65);
  EXPECT_EQ(Data(Call("GET", "/trades")).size(), 2u);
  ASSERT_EQ(plan_.Log().size(), 1u);
  EXPECT_EQ(plan_.Log()[0]["action"], "trades_lag");
  EXPECT_EQ(fired_[0].delay_ms, 3000);
}

TEST_F(OmsTest, PartialFillsSplitEachExchangeFillOfAWalk) {
  Build();
  Faults("[[rule]]\nstream = \"oms\"\naction = \"partial_fills\"\nnth = 1\n");  // trades = 2
  Quote(call_, "100", "101", 650, 130);  // two lots at the ask, the rest one tick away
  const std::string id = Place(call_, "BUY", 260, "LIMIT", "102");
  Settle();
  const json trades = Data(Call("GET", "/orders/" + id + "/trades"));
  // The exchange: 130 @ 101 then 130 @ 101.05; each split in two single-lot trades.
  const Price away = Px("101") + call_.tick_size;
  ASSERT_EQ(trades.size(), 4u);
  const std::vector<Price> prices{Px("101"), Px("101"), away, away};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(trades[i]["quantity"], 65) << i;
    EXPECT_EQ(trades[i]["average_price"], KitePriceJson(prices[i])) << i;
  }
  EXPECT_EQ(updates_.size(), 4u);
  EXPECT_EQ(updates_.back()["status"], "COMPLETE");
}

TEST_F(OmsTest, CancelLosesRaceWhenTheNextMarketItemFillsTheOrder) {
  Build();
  Faults("[[rule]]\nstream = \"oms\"\naction = \"cancel_loses_race\"\nnth = 1\n");
  Quote(call_, "100", "101");
  const std::string id = Place(call_, "BUY", 65, "LIMIT", "99");
  Settle();
  ASSERT_EQ(Order(id)["status"], "OPEN");
  EXPECT_TRUE(fired_.empty());  // placements are not its events
  const net::HttpResponse cancel = Call("DELETE", "/orders/regular/" + id);
  ASSERT_EQ(cancel.status, 200) << cancel.body;
  Settle();  // past the transient delay: held
  EXPECT_EQ(Order(id)["status"], "CANCEL PENDING");
  Quote(put_, "50", "51");  // another instrument's item does not release it
  EXPECT_EQ(Order(id)["status"], "CANCEL PENDING");
  Quote(call_, "98", "99");  // crosses the limit: the fill wins
  const Strings s = Statuses(id);
  EXPECT_EQ(Strings(s.end() - 3, s.end()), (Strings{"OPEN", "CANCEL PENDING", "COMPLETE"}));
  const json o = Order(id);
  EXPECT_EQ(o["filled_quantity"], 65);
  EXPECT_EQ(o["cancelled_quantity"], 0);
  EXPECT_EQ(o["average_price"], KitePriceJson(Px("99")));
  ASSERT_EQ(updates_.size(), 1u);
  EXPECT_EQ(updates_[0]["status"], "COMPLETE");
  Settle();
  EXPECT_EQ(Order(id)["status"], "COMPLETE");
  ASSERT_EQ(plan_.Log().size(), 1u);
  EXPECT_EQ(plan_.Log()[0]["action"], "cancel_loses_race");
  EXPECT_EQ(fired_.at(0).subject, Symbol(call_));
  // nth = 1: the next cancel goes after its transient delay, before any fill.
  updates_.clear();
  const std::string next = Place(call_, "BUY", 65, "LIMIT", "97");
  Settle();
  ASSERT_EQ(Call("DELETE", "/orders/regular/" + next).status, 200);
  Settle();
  EXPECT_EQ(Order(next)["status"], "CANCELLED");
  Quote(call_, "96", "97");
  EXPECT_EQ(Order(next)["filled_quantity"], 0);
}

TEST_F(OmsTest, CancelLosesRaceCancelsAtTheNextItemWhenItDoesNotFill) {
  Build();
  Faults("[[rule]]\nstream = \"oms\"\naction = \"cancel_loses_race\"\nevery = 1\n");
  Quote(call_, "100", "101");
  const std::string id = Place(call_, "BUY", 65, "LIMIT", "99");
  Settle();
  ASSERT_EQ(Call("DELETE", "/orders/regular/" + id).status, 200);
  Advance(60 * kNanosPerSecond);
  EXPECT_EQ(Order(id)["status"], "CANCEL PENDING");
  Quote(call_, "99.5", "100.5");  // no cross: the held cancel goes now
  EXPECT_EQ(Order(id)["status"], "CANCELLED");
  EXPECT_EQ(Order(id)["cancelled_quantity"], 65);
  EXPECT_EQ(RowTimes(id).back(), now_.value);  // at that item's time
  ASSERT_EQ(updates_.size(), 1u);
  EXPECT_EQ(updates_[0]["status"], "CANCELLED");
}

TEST_F(OmsTest, WithoutAPlanOrAMatchingRuleNothingChanges) {
  // The same orders with no plan, an empty plan and a plan whose rules match another symbol.
  auto run = [&](int variant) {
    Build();
    updates_.clear();
    fired_.clear();
    if (variant == 1) oms_->SetFaults(&plan_, [this](const FiredFault& f) { fired_.push_back(f); });
    if (variant == 2) {
      std::string toml;
      for (const char* a : {"stuck_open_pending", "reject_rms", "partial_fills", "cancel_loses_race"}) {
        toml += fmt::format("[[rule]]\nstream = \"oms\"\nmatch = \"{}\"\naction = \"{}\"\nevery = 1\n",
                            Symbol(put_), a);
      }
      Faults(toml);
    }
    Quote(call_, "100", "101", 650, 650);
    const std::string filled = Place(call_, "BUY", 325, "LIMIT", "102");
    const std::string rest = Place(call_, "BUY", 65, "LIMIT", "99");
    Settle();
    EXPECT_EQ(Order(filled)["status"], "COMPLETE") << variant;
    EXPECT_EQ(Data(Call("GET", "/orders/" + filled + "/trades")).size(), 1u) << variant;
    EXPECT_EQ(Order(rest)["status"], "OPEN") << variant;
    EXPECT_EQ(Call("DELETE", "/orders/regular/" + rest).status, 200);
    Settle();
    EXPECT_EQ(Order(rest)["status"], "CANCELLED") << variant;
    EXPECT_EQ(updates_.size(), 2u) << variant;
    EXPECT_TRUE(fired_.empty()) << variant;
    return oms_->Ledger();
  };
  plan_ = FaultPlan();
  const json none = run(0);
  EXPECT_EQ(run(1), none);
  EXPECT_EQ(run(2), none);
  EXPECT_TRUE(plan_.Log().empty());
}

TEST_F(OmsTest, AHiddenOrderIsAbsentFromTheOrderBookUntilItsTime) {
  Build();
  Quote(call_, "100", "101");
  const std::string id = Place(call_, "BUY", 65, "LIMIT", "102");
  const UnixNanos until = now_ + 2 * kNanosPerSecond;
  ASSERT_TRUE(oms_->HideOrder(id, until));
  EXPECT_FALSE(oms_->HideOrder("123", until));
  Settle();  // it lives meanwhile: sent, filled, its update sent
  EXPECT_TRUE(Data(Call("GET", "/orders")).empty());
  EXPECT_EQ(Error(Call("GET", "/orders/" + id)),
            std::make_pair(std::string("InputException"), std::string("Couldn't find that `order_id`.")));
  EXPECT_EQ(Error(Call("GET", "/orders/" + id + "/trades")).second, "Couldn't find that `order_id`.");
  EXPECT_TRUE(Data(Call("GET", "/trades")).empty());
  ASSERT_EQ(updates_.size(), 1u);
  EXPECT_EQ(updates_[0]["status"], "COMPLETE");
  EXPECT_EQ(Data(Call("GET", "/portfolio/positions"))["net"][0]["quantity"], 65);
  const json ledger = oms_->Ledger();
  ASSERT_EQ(ledger["orders"].size(), 1u);
  EXPECT_EQ(ledger["orders"][0]["emu_hidden_until_ns"], until.value);
  EXPECT_EQ(ledger["trades"].size(), 1u);
  now_ = until - 1;
  oms_->AdvanceTo(now_);
  EXPECT_TRUE(Data(Call("GET", "/orders")).empty());
  now_ = until;
  oms_->AdvanceTo(now_);
  EXPECT_EQ(Order(id)["status"], "COMPLETE");
  EXPECT_EQ(Statuses(id).back(), "COMPLETE");
  EXPECT_EQ(Data(Call("GET", "/trades")).size(), 1u);
}

// ---- Zerodha's mocks ----

TEST_F(OmsTest, AnswersCarryEveryFieldOfZerodhasMocks) {
  Build();
  Quote(call_, "100", "101", 650, 65);
  Quote(put_, "99.95", "100.05");
  Quote(put_low_, "69.95", "70.05");
  const std::string id = Place(call_, "BUY", 130, "LIMIT", "102", "&tag=conformance1");
  Settle();
  if (kite_mocks::Data("orders.json").is_null()) GTEST_SKIP() << "kite-mocks not present (../shared)";
  const std::set<std::string> variety_only{"auction_number", "terminal_id"};
  ExpectShape(kite_mocks::Data("orders.json"), Order(id), "order", variety_only);
  for (const json& row : Data(Call("GET", "/orders/" + id))) {
    ExpectShape(kite_mocks::Data("order_info.json"), row, "history");
  }
  const json trades = Data(Call("GET", "/trades"));
  ASSERT_FALSE(trades.empty());
  ExpectShape(kite_mocks::Data("trades.json"), trades[0], "trade");
  ExpectShape(kite_mocks::Data("order_trades.json"), Data(Call("GET", "/orders/" + id + "/trades"))[0],
              "order_trade");
  const json pos = Data(Call("GET", "/portfolio/positions"));
  const json mock_pos = kite_mocks::Data("positions.json");
  ExpectShape(mock_pos["net"], pos["net"][0], "net");
  ExpectShape(mock_pos["day"], pos["day"][0], "day");
  ASSERT_FALSE(updates_.empty());
  ExpectShape(kite_mocks::Data("postback.json"), updates_.back(), "postback");
  ExpectShape(kite_mocks::Data("margins.json")["equity"], oms_->EquityMargins(), "equity");
  const std::string body = json::array({{{"exchange", "NFO"}, {"tradingsymbol", Symbol(put_)},
                                         {"transaction_type", "SELL"}, {"variety", "regular"},
                                         {"product", "NRML"}, {"order_type", "LIMIT"},
                                         {"quantity", 65}, {"price", 100}}})
                               .dump();
  ExpectShape(kite_mocks::Data("order_margins.json"), Data(Call("POST", "/margins/orders", body))[0],
              "order_margins");
  ExpectShape(kite_mocks::Data("basket_margins.json"), Data(Call("POST", "/margins/basket", body)), "basket");
  const std::string note = json::array({{{"order_id", id}, {"exchange", "NFO"},
                                         {"tradingsymbol", Symbol(call_)},
                                         {"transaction_type", "BUY"}, {"variety", "regular"},
                                         {"product", "NRML"}, {"order_type", "LIMIT"},
                                         {"quantity", 130}, {"average_price", 101.05}}})
                               .dump();
  ExpectShape(kite_mocks::Data("virtual_contract_note.json"), Data(Call("POST", "/charges/orders", note))[0],
              "contract_note");
  // The ledger oracle holds the same orders and trades.
  const json ledger = oms_->Ledger();
  EXPECT_EQ(ledger["orders"].size(), 1u);
  EXPECT_EQ(ledger["trades"], trades);
}

}  // namespace
}  // namespace nacre::kite_emu
