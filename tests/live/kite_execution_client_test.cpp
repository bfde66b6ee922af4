// KiteExecutionClient against the running Kite emulator over 127.0.0.1, through a real Kernel's
// execution engine (so reports become events the way they do in a live node). The test thread
// plays the kernel thread: it runs the KernelTasks the client's I/O threads post to the inbox,
// and steps the emulator's replay (Kite's transient order states pass on its virtual clock).
// Every rule is checked against the emulator's ledger, the test oracle: fills at the touch or
// the limit, rejections with Kite's message, a dropped answer found by its tag (once), a lost
// send rejected after the ambiguity window with its tag watched, "being processed" retried,
// a cancel held until Kite's id is known, updates as triggers, and the mass status
// reconciling clean.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "adapters/zerodha/kite_data_client.h"
#include "adapters/zerodha/kite_execution_client.h"
#include "adapters/zerodha/kite_instruments.h"
#include "adapters/zerodha/kite_supervisor.h"
#include "net/io_thread.h"
#include "kite_rest_fixture.h"
#include "testkit/kernel_harness.h"

namespace nacre::kite_emu {
namespace {

using Kind = KiteExecutionClient::AlertKind;

class KiteExec : public KiteRestFixture {
 protected:
  void SetUp() override {
    KiteRestFixture::SetUp();
    // The kernel at the emulator's day (instrument expiry is judged on it), held there.
    kernel_ = std::make_unique<Kernel>(testkit::QuietKernelConfig(), std::make_unique<TestClock>(t0_));
    kernel_->cache().AddInstrument(call_);
    kernel_->cache().AddInstrument(put_);
    KiteExecConfig c;
    c.venue = call_.id.venue();
    c.account_id = AccountId("KITE-001");
    c.symbols.push_back(KiteSymbol{call_.id, "NFO", symbol_, call_token_, 2, call_.multiplier});
    c.symbols.push_back(KiteSymbol{put_.id, "NFO", put_key_.substr(put_key_.find(':') + 1),
                                   put_token_, 2, put_.multiplier});
    c.account_debounce = 20 * kNanosPerMilli;
    // Short ambiguity timings (the rules are the same; the test need not wait 10 s).
    c.lookup_offsets = {0, 100 * kNanosPerMilli, 200 * kNanosPerMilli};
    c.ambiguity_window = 400 * kNanosPerMilli;
    c.request_deadline = 1 * kNanosPerSecond;
    c.transient_refetch = 20 * kNanosPerMilli;
    c.processing_retry = 30 * kNanosPerMilli;
    if (tweak_) tweak_(c);
    auto client = std::make_unique<KiteExecutionClient>(c, *rest_, inbox_);
    client_ = client.get();
    client_->SetAlertHandler([this](Kind k, const std::string& text) {
      alerts_.emplace_back(k, text);
    });
    kernel_->exec_engine().RegisterClient(std::move(client));
    kernel_->cache().AddAccount(std::make_unique<Account>(c.account_id, AccountType::kMargin,
                                                          Money::FromInt(400'000), UnixNanos()),
                                c.venue);
    kernel_->portfolio().ManageAccount(c.account_id);
    client_->SetBooks(KernelKiteBooks(*kernel_, c.account_id, c.venue));
  }
  void TearDown() override {
    kernel_.reset();  // the client (its timers) first
    KiteRestFixture::TearDown();
  }
  // Runs the kernel side until `done` holds (false past `seconds`), stepping the emulator's
  // virtual clock `step` seconds per turn (0: not at all).
  bool Pump(const std::function<bool()>& done, double step = 0.05, double seconds = 8) {
    const auto until = std::chrono::steady_clock::now() +
                       std::chrono::milliseconds(static_cast<int>(seconds * 1000));
    std::vector<ExecItem> exec;
    std::vector<MarketData> data;
    while (!done()) {
      if (std::chrono::steady_clock::now() > until) return false;
      if (step > 0) Get("/__emu/step?seconds=" + std::to_string(step));
      WallSecond();  // Kite's per-second limits run on the emulator's (hand-driven) wall
      inbox_.WaitUntil(std::chrono::steady_clock::now() + std::chrono::milliseconds(10));
      inbox_.Take(exec, data, 1000);
      for (const ExecItem& item : exec) {
        if (const auto* t = std::get_if<KernelTask>(&item.message)) t->run();
      }
    }
    return true;
  }
  const Order* Submit(const char* id, OrderSide side, const char* price, std::int64_t qty = 65) {
    OrderInitialized init = testkit::MakeInit(call_, id, side, qty, price);
    const Order* o = testkit::AddOrder(*kernel_, init);
    kernel_->exec_engine().Execute(testkit::SubmitCommand(*o));
    return o;
  }
  const Order* Ord(const char* id) { return kernel_->cache().order(ClientOrderId(id)); }
  // Sends `orders` (in the cache) as one list, as the engine routes a strategy's.
  void SubmitList(const char* list_id, const std::vector<const Order*>& orders) {
    SubmitOrderList list;
    list.trader_id = orders.front()->trader_id();
    list.strategy_id = orders.front()->strategy_id();
    list.instrument_id = orders.front()->instrument_id();
    list.order_list_id = OrderListId(list_id);
    for (const Order* o : orders) list.client_order_ids.push_back(o->client_order_id());
    kernel_->exec_engine().Execute(TradingCommand(list));
  }
  // The last account state the venue reported, as the kernel's account holds it.
  std::optional<AccountState> Reported() const {
    const Account* a = kernel_->cache().account(AccountId("KITE-001"));
    if (a == nullptr) return std::nullopt;
    for (auto it = a->states().rbegin(); it != a->states().rend(); ++it) {
      if (it->reported) return *it;
    }
    return std::nullopt;
  }
  // Places an order at Kite directly (another app, a person on Kite's web page): not ours.
  void PlaceBehindTheBack(const std::string& side, const std::string& price) {
    auto r = Send("POST", "/orders/regular",
                  "exchange=NFO&tradingsymbol=" + symbol_ + "&transaction_type=" + side +
                      "&order_type=LIMIT&quantity=65&product=NRML&validity=DAY&price=" + price +
                      "&tag=WEBUI");
    ASSERT_TRUE(r.ok()) << r.error();
    ASSERT_EQ(r->status, 200) << r->body;
  }
  // A buy of one lot placed at Kite with `tag`, as a request Kite processed late would be.
  void PlaceLate(const std::string& tag, const std::string& price) {
    auto late = Send("POST", "/orders/regular",
                     "exchange=NFO&tradingsymbol=" + symbol_ +
                         "&transaction_type=BUY&order_type=LIMIT&quantity=65&product=NRML&price=" +
                         price + "&validity=DAY&tag=" + tag);
    ASSERT_TRUE(late.ok()) << late.error();
    ASSERT_EQ(late->status, 200) << late->body;
  }
  OrderStatus StatusOf(const char* id) { return Ord(id)->status(); }
  bool HasAlert(Kind k) const {
    for (const auto& [kind, text] : alerts_) {
      if (kind == k) return true;
    }
    return false;
  }

  Inbox inbox_;
  std::unique_ptr<Kernel> kernel_;
  KiteExecutionClient* client_ = nullptr;
  std::function<void(KiteExecConfig&)> tweak_;
  std::vector<std::pair<Kind, std::string>> alerts_;
};

TEST_F(KiteExec, AMarketableLimitFillsAtTheAskAndARestingOrderIsCancelled) {
  const Order* buy = Submit("O-1", OrderSide::kBuy, "100.50");  // ask 100.10
  EXPECT_EQ(buy->status(), OrderStatus::kSubmitted);
  EXPECT_FALSE(buy->venue_tag().empty());
  ASSERT_TRUE(Pump([&] { return StatusOf("O-1") == OrderStatus::kFilled; }));
  EXPECT_EQ(*Ord("O-1")->avg_px(), testkit::Px("100.10"));  // the touch, never the limit
  EXPECT_FALSE(Ord("O-1")->venue_order_id().empty());
  EXPECT_GT(Ord("O-1")->commission(), Money::Zero());  // Zerodha's charges on the trade
  const auto open = kernel_->cache().PositionsOpen();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open.front()->quantity(), testkit::Qty(65));

  Submit("O-2", OrderSide::kSell, "110.00");  // rests above the bid
  ASSERT_TRUE(Pump([&] { return StatusOf("O-2") == OrderStatus::kAccepted; }));
  kernel_->exec_engine().Execute(testkit::CancelCommand(*Ord("O-2")));
  EXPECT_EQ(StatusOf("O-2"), OrderStatus::kPendingCancel);
  ASSERT_TRUE(Pump([&] { return StatusOf("O-2") == OrderStatus::kCanceled; }));
  const json ledger = Ledger();
  ASSERT_EQ(ledger["orders"].size(), 2u);
  EXPECT_EQ(ledger["orders"][0]["tag"], Ord("O-1")->venue_tag());
  EXPECT_EQ(ledger["orders"][1]["status"], "CANCELLED");
}

TEST_F(KiteExec, KitesRefusalBecomesARejectionWithItsMessage) {
  Submit("O-1", OrderSide::kBuy, "100.10", 10);  // not a multiple of the lot (65)
  ASSERT_TRUE(Pump([&] { return StatusOf("O-1") == OrderStatus::kRejected; }, 0));
  EXPECT_EQ(Ledger()["orders"].size(), 0u);
  EXPECT_EQ(client_->stats().rejected, 1u);
}

TEST_F(KiteExec, ADroppedAnswerIsFoundByItsTagAndPlacedOnce) {
  LoadPlan(R"({"rule": [{"route": "POST /orders/regular", "action": "drop_after", "nth": 1}]})");
  Submit("O-1", OrderSide::kBuy, "100.50");
  ASSERT_TRUE(Pump([&] { return StatusOf("O-1") == OrderStatus::kFilled; }));
  EXPECT_EQ(client_->stats().ambiguous, 1u);
  EXPECT_EQ(client_->stats().adopted_after_lookup, 1u);
  EXPECT_EQ(Ledger()["orders"].size(), 1u);  // never sent twice
}

TEST_F(KiteExec, ASendThatNeverArrivedIsRejectedAfterTheWindowAndItsTagWatched) {
  LoadPlan(R"({"rule": [{"route": "POST /orders/regular", "action": "5xx_before", "nth": 1}]})");
  const Order* o = Submit("O-1", OrderSide::kBuy, "100.50");
  const std::string tag = o->venue_tag();
  ASSERT_TRUE(Pump([&] { return StatusOf("O-1") == OrderStatus::kRejected; }, 0));
  EXPECT_EQ(client_->stats().lost_after_lookup, 1u);
  EXPECT_EQ(client_->orphan_watch().count(tag), 1u);
  EXPECT_TRUE(HasAlert(Kind::kLost));
  EXPECT_EQ(Ledger()["orders"].size(), 0u);
}

TEST_F(KiteExec, ACancelDuringTheAmbiguityWindowOfALostSendEndsRejected) {
  // The send's answer was a 5xx; the strategy cancels while the order book is being searched
  // for its tag: the cancel waits, and the order, never found, ends rejected (nothing to cancel).
  LoadPlan(R"({"rule": [{"route": "POST /orders/regular", "action": "5xx_before", "nth": 1}]})");
  Submit("O-1", OrderSide::kBuy, "100.50");
  ASSERT_TRUE(Pump([&] { return client_->stats().ambiguous == 1u; }, 0));
  kernel_->exec_engine().Execute(testkit::CancelCommand(*Ord("O-1")));
  EXPECT_EQ(StatusOf("O-1"), OrderStatus::kPendingCancel);
  ASSERT_TRUE(Pump([&] { return StatusOf("O-1") == OrderStatus::kRejected; }, 0));
  EXPECT_EQ(client_->stats().lost_after_lookup, 1u);
  EXPECT_EQ(Ledger()["orders"].size(), 0u);
}

TEST_F(KiteExec, AWatchedTagThatAppearsLaterIsAdoptedAndCancelled) {
  // The send's answer was a 5xx and the order book never showed the tag within the window:
  // rejected, tag watched. Then Kite's OMS turns out to have taken the request after all (the
  // test places an order with that tag at the emulator, as a late-processed request would).
  LoadPlan(R"({"rule": [{"route": "POST /orders/regular", "action": "5xx_before", "nth": 1}]})");
  const Order* o = Submit("O-1", OrderSide::kBuy, "99.00");  // would rest below the bid
  const std::string tag = o->venue_tag();
  ASSERT_TRUE(Pump([&] { return StatusOf("O-1") == OrderStatus::kRejected; }, 0));
  ASSERT_EQ(client_->orphan_watch().count(tag), 1u);
  PlaceLate(tag, "99");
  Get("/__emu/step?seconds=1");
  const std::uint64_t commands = kernel_->exec_engine().command_count();
  // The next read of the order book (here the mass status, as after a reconnect) adopts it
  // and, by the default orphan policy, cancels it.
  auto ms = client_->GenerateMassStatus();
  ASSERT_TRUE(ms.ok()) << ms.error();
  EXPECT_EQ(client_->stats().orphans_adopted, 1u);
  EXPECT_TRUE(HasAlert(Kind::kOrphan));
  EXPECT_EQ(client_->orphan_watch().count(tag), 0u);
  ASSERT_TRUE(Pump([&] {
    const json l = Ledger();
    return l["orders"].size() == 1 && l["orders"][0]["status"] == "CANCELLED";
  }));
  // The kernel knows the adopted order apart from the rejected O-1 (which stays rejected):
  // found by Kite's id, cancelled as Kite cancelled it.
  EXPECT_EQ(StatusOf("O-1"), OrderStatus::kRejected);
  const std::string kite_id = Ledger()["orders"][0]["order_id"];
  ASSERT_TRUE(Pump([&] {
    const Order* a = kernel_->cache().OrderByVenueId(VenueOrderId(kite_id));
    return a != nullptr && a->status() == OrderStatus::kCanceled;
  }));
  const Order* adopted = kernel_->cache().OrderByVenueId(VenueOrderId(kite_id));
  EXPECT_NE(adopted->client_order_id(), ClientOrderId("O-1"));
  EXPECT_NE(adopted->tags().find("orphan of O-1"), std::string::npos) << adopted->tags();
  // The cancel was the kernel's command (journaled by a node's write-ahead before it went),
  // issued once the kernel had adopted the order; the client sent nothing of its own.
  EXPECT_EQ(kernel_->exec_engine().command_count(), commands + 1);
}

// The same, but the late order was marketable and filled before its tag was seen: the adopted
// order carries Kite's fill, so the kernel's position is Kite's (before, the report landed on
// the rejected O-1, every event was refused, and the fill was missing until the position
// check halted). The strategy's O-1 stays rejected.
TEST_F(KiteExec, AWatchedTagThatAppearsFilledIsAdoptedWithItsFill) {
  LoadPlan(R"({"rule": [{"route": "POST /orders/regular", "action": "5xx_before", "nth": 1}]})");
  const Order* o = Submit("O-1", OrderSide::kBuy, "100.50");
  const std::string tag = o->venue_tag();
  ASSERT_TRUE(Pump([&] { return StatusOf("O-1") == OrderStatus::kRejected; }, 0));
  PlaceLate(tag, "100.50");
  ASSERT_TRUE(Pump([&] { return Ledger()["orders"][0]["status"] == "COMPLETE"; }));
  auto ms = client_->GenerateMassStatus();
  ASSERT_TRUE(ms.ok()) << ms.error();
  EXPECT_EQ(client_->stats().orphans_adopted, 1u);
  const std::string kite_id = Ledger()["orders"][0]["order_id"];
  ASSERT_TRUE(Pump([&] {
    const Order* a = kernel_->cache().OrderByVenueId(VenueOrderId(kite_id));
    return a != nullptr && a->status() == OrderStatus::kFilled;
  }));
  const Order* adopted = kernel_->cache().OrderByVenueId(VenueOrderId(kite_id));
  EXPECT_EQ(adopted->filled_qty(), testkit::Qty(65));
  EXPECT_EQ(*adopted->avg_px(), testkit::Px("100.10"));
  // Kite's own trade, not an inferred one, and nothing the reports contradicted.
  const std::vector<OrderFilled> fills = kernel_->cache().fills();
  ASSERT_EQ(fills.size(), 1u);
  EXPECT_EQ(fills[0].trade_id.value(), std::string(Ledger()["trades"][0]["trade_id"]));
  EXPECT_EQ(kernel_->exec_engine().report_mismatch_count(), 0u);
  // The day read again (as after a reconnect) reconciles clean.
  auto again = client_->GenerateMassStatus();
  ASSERT_TRUE(again.ok()) << again.error();
  const ReconcileResult rr = kernel_->exec_engine().Reconcile(*again);
  EXPECT_TRUE(rr.mismatches.empty()) << rr.ToStatus().error();
  EXPECT_EQ(StatusOf("O-1"), OrderStatus::kRejected);
  const auto open = kernel_->cache().PositionsOpen();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open.front()->quantity(), testkit::Qty(65));
  bool said = false;
  for (const auto& [kind, text] : alerts_) {
    said |= kind == Kind::kOrphan && text.find("65 of 65 filled") != std::string::npos;
  }
  EXPECT_TRUE(said);
}

// The in-flight check queries a SUBMITTED order whose place is still unanswered (here queued in
// the orders lane behind a place whose answer Kite holds back): the query leaves it to that
// answer. Before, it started a tag lookup that found the book without the unsent order,
// rejected it, and threw away Kite's 200 when the place went out: a live order the kernel
// believed rejected.
TEST_F(KiteExec, AQueryWhileThePlaceIsUnansweredLeavesItToThePlacesAnswer) {
  LoadPlan(R"({"rule": [{"route": "POST /orders/regular", "action": "stall", "nth": 1,
                          "delay_ms": 800}]})");
  Submit("O-0", OrderSide::kBuy, "99.00");  // rests; Kite holds its answer 800 ms
  Submit("O-1", OrderSide::kBuy, "98.00");  // queued behind it
  ::nacre::QueryOrder q;
  q.instrument_id = call_.id;
  q.client_order_id = ClientOrderId("O-1");
  kernel_->exec_engine().Execute(TradingCommand(q));
  ASSERT_TRUE(Pump([&] {
    return StatusOf("O-0") == OrderStatus::kAccepted && StatusOf("O-1") == OrderStatus::kAccepted;
  }));
  EXPECT_EQ(client_->stats().lost_after_lookup, 0u);
  EXPECT_EQ(Ledger()["orders"].size(), 2u);
  EXPECT_FALSE(HasAlert(Kind::kLost));
}

TEST_F(KiteExec, ACancelBeforeKitesIdIsKnownIsHeldThenSent) {
  Submit("O-1", OrderSide::kBuy, "99.00");
  // Before any answer was taken: the cancel waits for Kite's order id.
  kernel_->exec_engine().Execute(testkit::CancelCommand(*Ord("O-1")));
  EXPECT_EQ(StatusOf("O-1"), OrderStatus::kPendingCancel);
  ASSERT_TRUE(Pump([&] { return StatusOf("O-1") == OrderStatus::kCanceled; }));
  EXPECT_EQ(Ledger()["orders"][0]["status"], "CANCELLED");
}

TEST_F(KiteExec, AModifyWhileKiteIsProcessingIsRetriedAndApplied) {
  Submit("O-1", OrderSide::kBuy, "99.00");
  // Wait for Kite's id without stepping: the order stays in its transient states.
  ASSERT_TRUE(Pump([&] { return !Ord("O-1")->venue_order_id().empty() ||
                                client_->stats().placed == 1; }, 0));
  kernel_->exec_engine().Execute(testkit::ModifyCommand(*Ord("O-1"), {}, testkit::Px("99.50")));
  // Kite answers "being processed" until the transient states pass (stepping resumes).
  ASSERT_TRUE(Pump([&] { return client_->stats().processing_retries >= 1; }, 0, 3));
  ASSERT_TRUE(Pump([&] {
    return Ord("O-1")->price() && *Ord("O-1")->price() == testkit::Px("99.50") &&
           StatusOf("O-1") == OrderStatus::kAccepted;
  }));
  EXPECT_EQ(Ledger()["orders"][0]["price"], 99.5);
}

// A modify of the quantity alone whose answer was lost and which Kite applied: the history
// shows it applied (the quantity asked for), so no ModifyRejected follows the update. Before,
// only the price was compared, and a modify that set no price was always reported rejected.
TEST_F(KiteExec, ALostModifyOfTheQuantityThatKiteAppliedIsNotReportedRejected) {
  testkit::BusRecorder<OrderEvent> events(kernel_->bus(), "events.order.*");
  Submit("O-1", OrderSide::kBuy, "99.00");  // rests below the bid
  ASSERT_TRUE(Pump([&] { return StatusOf("O-1") == OrderStatus::kAccepted; }));
  LoadPlan(R"({"rule": [{"route": "PUT /orders/regular/*", "action": "drop_after", "nth": 1}]})");
  kernel_->exec_engine().Execute(testkit::ModifyCommand(*Ord("O-1"), testkit::Qty(130), {}));
  ASSERT_TRUE(Pump([&] {
    return Ord("O-1")->quantity() == testkit::Qty(130) &&
           StatusOf("O-1") == OrderStatus::kAccepted;
  }));
  ASSERT_TRUE(Pump([&] { return client_->stats().fetches >= 2; }));
  const std::vector<std::string> names = testkit::EventNames(events.items());
  EXPECT_EQ(std::count(names.begin(), names.end(), "OrderModifyRejected"), 0)
      << testing::PrintToString(names);
  EXPECT_EQ(Ledger()["orders"][0]["quantity"], 130);
}

// A modify Kite takes (200) and the exchange then refuses (beyond the LPP band: NOT MODIFIED,
// the order back as it was) ends in ModifyRejected with Kite's reason, and the order is
// working at its old price again. Before, nothing said so: the order stayed PENDING_UPDATE
// and, after the in-flight check's queries, blocked new orders on the instrument.
TEST_F(KiteExec, AModifyKiteTookButDidNotApplyEndsInModifyRejected) {
  testkit::BusRecorder<OrderEvent> events(kernel_->bus(), "events.order.*");
  Submit("O-1", OrderSide::kBuy, "99.00");  // rests below the bid
  ASSERT_TRUE(Pump([&] { return StatusOf("O-1") == OrderStatus::kAccepted; }));
  kernel_->exec_engine().Execute(testkit::ModifyCommand(*Ord("O-1"), {}, testkit::Px("150.00")));
  EXPECT_EQ(StatusOf("O-1"), OrderStatus::kPendingUpdate);
  ASSERT_TRUE(Pump([&] {
    const std::vector<std::string> names = testkit::EventNames(events.items());
    return std::count(names.begin(), names.end(), "OrderModifyRejected") == 1;
  }));
  EXPECT_EQ(StatusOf("O-1"), OrderStatus::kAccepted);
  EXPECT_EQ(*Ord("O-1")->price(), testkit::Px("99.00"));
  const std::vector<std::string> names = testkit::EventNames(events.items());
  EXPECT_EQ(std::count(names.begin(), names.end(), "OrderUpdated"), 0)
      << testing::PrintToString(names);
  EXPECT_EQ(Ledger()["orders"][0]["price"], 99);
}

TEST_F(KiteExec, UpdatesAreTriggersAndTheMassStatusReconcilesClean) {
  Submit("O-1", OrderSide::kBuy, "100.50");
  ASSERT_TRUE(Pump([&] { return StatusOf("O-1") == OrderStatus::kFilled; }));
  Submit("O-2", OrderSide::kSell, "101.00");  // rests: bid 100.00
  ASSERT_TRUE(Pump([&] { return StatusOf("O-2") == OrderStatus::kAccepted; }));
  // 10:05: bid 101.00, the sell fills at its limit. Kite's update message is the trigger
  // (sent here as the ticker would, twice: the second is harmless).
  Get("/__emu/step?seconds=300");
  const std::string update =
      json{{"type", "order"}, {"data", {{"order_id", Ord("O-2")->venue_order_id().value()}}}}.dump();
  client_->OnOrderUpdate(update);
  client_->OnOrderUpdate(update);
  ASSERT_TRUE(Pump([&] { return StatusOf("O-2") == OrderStatus::kFilled; }, 0));
  EXPECT_EQ(*Ord("O-2")->avg_px(), testkit::Px("101.00"));  // its limit, never better
  EXPECT_EQ(kernel_->exec_engine().duplicate_fill_count() +
                kernel_->exec_engine().refused_event_count(),
            kernel_->exec_engine().duplicate_fill_count());  // nothing refused
  auto ms = client_->GenerateMassStatus();
  ASSERT_TRUE(ms.ok()) << ms.error();
  EXPECT_EQ(ms->orders.size(), 2u);
  EXPECT_EQ(ms->fills.size(), 2u);
  const ReconcileResult r = kernel_->exec_engine().Reconcile(*ms);
  EXPECT_TRUE(r.ok()) << r.ToStatus().error();
  EXPECT_EQ(r.events_generated, 0u);
}

TEST_F(KiteExec, ATokenExceptionRejectsThePlacementAndAlerts) {
  LoadPlan(R"({"rule": [{"route": "POST /orders/regular", "action": "403_now", "nth": 1}]})");
  Submit("O-1", OrderSide::kBuy, "100.50");
  ASSERT_TRUE(Pump([&] { return StatusOf("O-1") == OrderStatus::kRejected; }, 0));
  EXPECT_TRUE(HasAlert(Kind::kToken));
  EXPECT_TRUE(rest_->token_expired());
  EXPECT_EQ(Ledger()["orders"].size(), 0u);
}

// ---- the account, position polling, the basket check (issue 15 items 5-6) ----

TEST_F(KiteExec, TheAccountIsReportedAsKitesMarginsSayAfterAFill) {
  client_->RefreshAccount();
  ASSERT_TRUE(Pump([&] { return client_->stats().account_reads == 1; }, 0));
  const std::optional<AccountState> before = Reported();
  ASSERT_TRUE(before.has_value());
  EXPECT_TRUE(before->reported);
  Submit("O-1", OrderSide::kBuy, "100.50");
  ASSERT_TRUE(Pump([&] { return StatusOf("O-1") == OrderStatus::kFilled; }));
  // One read shortly after the fill batch (debounced), without any poll.
  ASSERT_TRUE(Pump([&] { return client_->stats().account_reads == 2; }, 0));
  const json kite = Get("/user/margins")["data"]["equity"];
  auto seg = ParseKiteMarginSegment(Get("/user/margins")["data"]);
  ASSERT_TRUE(seg.ok()) << seg.error();
  const std::optional<AccountState> after = Reported();
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->balance.free, seg->net) << kite.dump();
  EXPECT_EQ(after->balance.locked, seg->span + seg->exposure) << kite.dump();
  EXPECT_EQ(after->balance.total, seg->net + seg->span + seg->exposure);
  EXPECT_NE(after->balance.free, before->balance.free);  // the premium left the account
  // The emulator books the premium and Zerodha's charges as Nacre does: no WARN...
  EXPECT_EQ(client_->stats().account_warnings, 0u) << kite.dump();
  // ...and the kernel's account keeps its own balance (calculated).
  const Account* a = kernel_->cache().account(AccountId("KITE-001"));
  EXPECT_EQ(a->balance_total(), after->balance.total);
}

TEST_F(KiteExec, KitesAccountApartFromOurBooksIsAWarning) {
  KiteBooks books = KernelKiteBooks(*kernel_, AccountId("KITE-001"), call_.id.venue());
  books.balance = [] { return std::optional<Money>(Money::FromInt(123)); };
  client_->SetBooks(books);
  client_->RefreshAccount();
  ASSERT_TRUE(Pump([&] { return client_->stats().account_reads == 1; }, 0));
  EXPECT_EQ(client_->stats().account_warnings, 0u);  // once may be a fill in flight
  client_->RefreshAccount();
  client_->RefreshAccount();  // during the read: one more read, not two
  ASSERT_TRUE(Pump([&] { return client_->stats().account_reads == 3; }, 0));
  EXPECT_EQ(client_->stats().account_warnings, 2u);
  ASSERT_TRUE(HasAlert(Kind::kWarn));
  for (const auto& [kind, text] : alerts_) {
    if (kind == Kind::kWarn) {
      EXPECT_NE(text.find("Nacre's books 123.00"), std::string::npos) << text;
    }
  }
  EXPECT_FALSE(Pump([&] { return client_->stats().account_reads > 3; }, 0, 0.3));
}

TEST_F(KiteExec, APositionChangedBehindOurBackHaltsOnTheSecondPoll) {
  PlaceBehindTheBack("BUY", "100.50");  // fills at the ask: Kite +65, ours flat
  ASSERT_TRUE(Pump([&] { return Ledger()["trades"].size() == 1; }));
  client_->PollPositions();
  ASSERT_TRUE(Pump([&] { return client_->stats().position_polls == 1; }, 0));
  EXPECT_EQ(client_->stats().position_suspects, 1u);
  EXPECT_TRUE(kernel_->halt_reason().empty());  // once may be a fill in flight
  client_->PollPositions();
  ASSERT_TRUE(Pump([&] { return client_->stats().position_polls == 2; }, 0));
  EXPECT_EQ(client_->stats().position_halts, 1u);
  const std::string why = kernel_->halt_reason();
  EXPECT_NE(why.find("position " + call_.id.value() + ": Kite +65, ours 0"), std::string::npos)
      << why;
  EXPECT_EQ(kernel_->risk_engine().trading_state(), TradingState::kHalted);
  EXPECT_TRUE(HasAlert(Kind::kLost));
}

TEST_F(KiteExec, AnExpiredContractsPositionIsLeftToTheNextDaysReconciliation) {
  PlaceBehindTheBack("BUY", "100.50");
  ASSERT_TRUE(Pump([&] { return Ledger()["trades"].size() == 1; }));
  // The node's clock past the call's expiry (Tue 6-Jan-2026 15:30): the kernel settles it,
  // Kite lists it until the next day.
  static_cast<TestClock&>(kernel_->clock()).SetTime(FromIst(2026, 1, 6, 15, 31));
  for (int i = 1; i <= 2; ++i) {
    client_->PollPositions();
    ASSERT_TRUE(Pump([&] { return client_->stats().position_polls == static_cast<std::uint64_t>(i); }, 0));
  }
  EXPECT_EQ(client_->stats().position_suspects, 0u);
  EXPECT_EQ(client_->stats().position_halts, 0u);
  EXPECT_TRUE(kernel_->halt_reason().empty()) << kernel_->halt_reason();
}

TEST_F(KiteExec, APollDuringAFillInFlightDoesNotHalt) {
  Submit("O-1", OrderSide::kBuy, "100.50");
  // Kite fills it while the kernel has not heard yet (its tasks wait in the inbox).
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(8);
  while (Ledger()["trades"].size() != 1) {
    ASSERT_LT(std::chrono::steady_clock::now(), until);
    Get("/__emu/step?seconds=0.05");
    WallSecond();
  }
  EXPECT_EQ(StatusOf("O-1"), OrderStatus::kSubmitted);
  client_->PollPositions();
  ASSERT_TRUE(Pump([&] { return client_->stats().position_polls == 1; }, 0));
  // Kite +65, ours flat: the positions answer comes before the order's fetch (one read lane).
  EXPECT_EQ(client_->stats().position_suspects, 1u);
  ASSERT_TRUE(Pump([&] { return StatusOf("O-1") == OrderStatus::kFilled; }));
  client_->PollPositions();
  ASSERT_TRUE(Pump([&] { return client_->stats().position_polls == 2; }, 0));
  EXPECT_EQ(client_->stats().position_halts, 0u);
  EXPECT_TRUE(kernel_->halt_reason().empty()) << kernel_->halt_reason();
  client_->PollPositions();  // and agreeing polls stay quiet
  ASSERT_TRUE(Pump([&] { return client_->stats().position_polls == 3; }, 0));
  EXPECT_EQ(client_->stats().position_halts, 0u);
}

// A fill landing at Kite between the client's two reads of an order (its trades, then its
// history): the first read after the placement is held by the emulator (`stall`: answered as
// it was when asked, sent later) while the market fills the order. The client asks again and
// applies Kite's own trade, never refusing it (as an older history would) nor inferring one.
class KiteExecRace : public KiteExec {};

TEST_F(KiteExecRace, AFillBetweenTheTwoReadsOfANewOrderIsAskedAgainNeverRefused) {
  LoadPlan(R"({"rule": [{"route": "GET /orders/*", "action": "stall", "delay_ms": 700, "nth": 1}]})");
  Submit("O-2", OrderSide::kSell, "101.00");  // rests: bid 100.00
  ASSERT_TRUE(Pump([&] { return Get("/__emu/faults")["data"]["log"].size() == 1; }, 0));
  EXPECT_EQ(Ledger()["trades"].size(), 0u);
  Get("/__emu/step?seconds=300");  // 10:05: bid 101.00, the sell fills at its limit
  ASSERT_EQ(Ledger()["trades"].size(), 1u);
  ASSERT_TRUE(Pump([&] { return StatusOf("O-2") == OrderStatus::kFilled; }, 0));
  const Order* o = Ord("O-2");
  ASSERT_EQ(o->trade_ids().size(), 1u);
  EXPECT_EQ(o->trade_ids()[0].value(), Ledger()["trades"][0]["trade_id"].get<std::string>());
  EXPECT_EQ(*o->avg_px(), testkit::Px("101.00"));
  EXPECT_GE(client_->stats().lagging_trade_refetches, 1u);  // the two reads disagreed
  EXPECT_EQ(kernel_->exec_engine().report_mismatch_count(), 0u);
  EXPECT_EQ(kernel_->exec_engine().refused_event_count(), 0u);
}

// The mass status: a fill landing while the day is read (here while /trades is held) would
// make the older order book refuse the newer trade and the positions disagree (a halt). The
// order book read again around the trades shows the day moved, and the day is read again.
TEST_F(KiteExecRace, AFillDuringTheMassStatusReadsTheDayAgainAndReconcilesClean) {
  Submit("O-2", OrderSide::kSell, "101.00");
  ASSERT_TRUE(Pump([&] { return StatusOf("O-2") == OrderStatus::kAccepted; }));
  LoadPlan(R"({"rule": [{"route": "GET /trades", "action": "stall", "delay_ms": 700, "nth": 1}]})");
  // The market moves on its own connection once the trades read is held (the test thread is
  // the kernel thread, blocked in the read).
  std::string stepper_error;
  std::thread stepper([&] {
    net::HttpClient http("127.0.0.1", rt_->http_port());
    net::HttpRequest r;
    r.method = "GET";
    r.target = "/__emu/faults";
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (;;) {
      auto got = http.Send(r, kDeadline);
      if (got.ok() && json::parse(got->body, nullptr, false)["data"]["log"].size() == 1) break;
      if (std::chrono::steady_clock::now() > until) {
        stepper_error = "the trades read was never held";
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // polling the fault log
    }
    r.target = "/__emu/step?seconds=300";
    auto stepped = http.Send(r, kDeadline);
    if (!stepped.ok() || stepped->status != 200) stepper_error = "step failed";
  });
  auto ms = client_->GenerateMassStatus();
  stepper.join();
  ASSERT_TRUE(stepper_error.empty()) << stepper_error;
  ASSERT_TRUE(ms.ok()) << ms.error();
  EXPECT_EQ(client_->stats().mass_status_rereads, 1u);
  ASSERT_EQ(ms->fills.size(), 1u);
  EXPECT_EQ(ms->fills[0].trade_id.value(), Ledger()["trades"][0]["trade_id"].get<std::string>());
  const ReconcileResult r = kernel_->exec_engine().Reconcile(*ms);
  EXPECT_TRUE(r.ok()) << r.ToStatus().error();
  EXPECT_EQ(r.fills_inferred, 0u);
  EXPECT_EQ(StatusOf("O-2"), OrderStatus::kFilled);
  const auto open = kernel_->cache().PositionsOpen();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open.front()->quantity(), testkit::Qty(65));
}

TEST(KiteDayMoved, TwoOrderBookReadsAndTheTradesMustTellOneStory) {
  auto order = [](const char* id, const char* status, std::int64_t filled) {
    KiteOrder k;
    k.order_id = id;
    k.status_text = status;
    k.filled_quantity = filled;
    return k;
  };
  auto trade = [](const char* order_id, std::int64_t q) {
    KiteTrade t;
    t.order_id = order_id;
    t.quantity = q;
    return t;
  };
  const std::vector<KiteOrder> open{order("1", "OPEN", 0), order("2", "COMPLETE", 130)};
  const std::vector<KiteTrade> two{trade("2", 65), trade("2", 65)};
  EXPECT_EQ(KiteExecutionClient::DayMoved(open, open, two), "");
  const std::vector<KiteOrder> filled{order("1", "COMPLETE", 65), order("2", "COMPLETE", 130)};
  EXPECT_EQ(KiteExecutionClient::DayMoved(open, filled, two),
            "order 1 went OPEN filled 0 -> COMPLETE filled 65");
  EXPECT_EQ(KiteExecutionClient::DayMoved(filled, filled, two),
            "order 1 filled 65 but its trades add up to 0");  // Kite's trades lag
  const std::vector<KiteOrder> more{order("1", "OPEN", 0), order("2", "COMPLETE", 130),
                                    order("3", "OPEN", 0)};
  EXPECT_EQ(KiteExecutionClient::DayMoved(open, more, two), "order 3 appeared");
  EXPECT_EQ(KiteExecutionClient::DayMoved(more, open, two), "an order left the order book");
}

class KiteBasket : public KiteExec {
 protected:
  void SetUp() override {
    tweak_ = [](KiteExecConfig& c) {
      c.basket_margin_check = true;
      c.basket_deadline = 500 * kNanosPerMilli;
    };
    KiteExec::SetUp();
  }
  // A call bought and a put sold together (the legs of one list), with the marks Nacre's
  // margin book prices them at (a node has them from the ticker).
  void SubmitSpread() {
    kernel_->cache().AddInstrument(index_);
    const UnixNanos t = t0_;
    kernel_->cache().AddQuote(
        QuoteTick{index_.id, testkit::Px("24001.25"), testkit::Px("24001.25"), testkit::Qty(0),
                  testkit::Qty(0), t, t});
    kernel_->cache().AddQuote(QuoteTick{call_.id, testkit::Px("100.00"), testkit::Px("100.10"),
                                        testkit::Qty(130), testkit::Qty(195), t, t});
    kernel_->cache().AddQuote(QuoteTick{put_.id, testkit::Px("50.00"), testkit::Px("50.10"),
                                        testkit::Qty(65), testkit::Qty(65), t, t});
    const Order* oa =
        testkit::AddOrder(*kernel_, testkit::MakeInit(call_, "O-1", OrderSide::kBuy, 65, "100.50"));
    const Order* ob =
        testkit::AddOrder(*kernel_, testkit::MakeInit(put_, "O-2", OrderSide::kSell, 65, "50.00"));
    SubmitList("OL-1", {oa, ob});
  }
};

TEST_F(KiteBasket, ASpreadsBasketMarginIsLoggedBesideNacresAndNeverHoldsTheLegs) {
  SubmitSpread();
  // Both legs went at once, before Kite's margin answer could come back.
  EXPECT_EQ(StatusOf("O-1"), OrderStatus::kSubmitted);
  EXPECT_EQ(StatusOf("O-2"), OrderStatus::kSubmitted);
  EXPECT_EQ(client_->stats().basket_checks, 0u);
  ASSERT_TRUE(Pump([&] { return client_->stats().basket_checks == 1; }, 0));
  std::string line;
  for (const auto& [kind, text] : alerts_) {
    if (text.find("basket margin of") != std::string::npos) line = text;
  }
  EXPECT_NE(line.find("Kite requires "), std::string::npos) << line;
  EXPECT_NE(line.find("Nacre's margin "), std::string::npos) << line;
  EXPECT_EQ(line.find("unknown"), std::string::npos) << line;
  ASSERT_TRUE(Pump([&] {
    return StatusOf("O-1") == OrderStatus::kFilled && StatusOf("O-2") == OrderStatus::kFilled;
  }));
}

TEST_F(KiteBasket, AFailedBasketCheckIsLoggedAndTheLegsGoRegardless) {
  LoadPlan(R"({"rule": [{"route": "POST /margins/basket", "action": "stall", "delay_ms": 3000,
               "nth": 1}]})");
  SubmitSpread();
  ASSERT_TRUE(Pump([&] {
    return StatusOf("O-1") == OrderStatus::kFilled && StatusOf("O-2") == OrderStatus::kFilled;
  }));
  ASSERT_TRUE(Pump([&] { return client_->stats().basket_failures == 1; }, 0));
  EXPECT_EQ(client_->stats().basket_checks, 0u);
  bool logged = false;
  for (const auto& [kind, text] : alerts_) {
    if (text.find("basket margin check of") != std::string::npos &&
        text.find("the legs went regardless") != std::string::npos) {
      logged = true;
    }
  }
  EXPECT_TRUE(logged);
}

TEST_F(KiteExec, TradesListedAfterAnInferredFillAreItsTradesNotAMismatch) {
  // Kite's trade book lags its order book by a minute for this order: the client asks again
  // five times, then the kernel infers the fill from the order's filled quantity and average.
  // When the trade is listed, it is the inferred fill's, applied never, and no reconciliation
  // of the day reports a mismatch (before, each one did, and a restart's start halted).
  LoadPlan(R"({"rule": [{"stream": "oms", "action": "trades_lag", "delay_ms": 60000, "nth": 1}]})");
  Submit("O-1", OrderSide::kBuy, "100.50");  // ask 100.10
  ASSERT_TRUE(Pump([&] { return StatusOf("O-1") == OrderStatus::kFilled; }));
  ASSERT_EQ(Ord("O-1")->trade_ids().size(), 1u);
  EXPECT_EQ(Ord("O-1")->trade_ids()[0].value().rfind("INFERRED-", 0), 0u);
  EXPECT_EQ(*Ord("O-1")->avg_px(), testkit::Px("100.10"));
  EXPECT_GE(client_->stats().lagging_trade_refetches, 5u);
  // A minute later Kite lists the trade: an update brings it to the kernel, then the day's
  // mass status reconciles.
  Get("/__emu/step?seconds=60");
  const std::uint64_t reports = client_->stats().reports;
  client_->OnOrderUpdate(
      json{{"type", "order"}, {"data", {{"order_id", Ord("O-1")->venue_order_id().value()}}}}
          .dump());
  ASSERT_TRUE(Pump([&] { return client_->stats().reports > reports; }, 0));
  EXPECT_EQ(kernel_->exec_engine().report_mismatch_count(), 0u);
  EXPECT_EQ(Ord("O-1")->trade_ids().size(), 1u);
  EXPECT_EQ(Ord("O-1")->filled_qty(), testkit::Qty(65));
  auto ms = client_->GenerateMassStatus();
  ASSERT_TRUE(ms.ok()) << ms.error();
  ASSERT_EQ(ms->fills.size(), 1u);
  // The inferred fill booked Zerodha's charges (before, none, and the P&L never had them):
  // the order's brokerage and the trade's own figures (the day's one trade: the note's
  // rounding is its own). The trade listed later carries no brokerage: the order paid it.
  const OrderFilled* inferred = nullptr;
  for (const OrderFilled& f : kernel_->cache().fills()) {
    if (f.trade_id.value().rfind("INFERRED-", 0) == 0) inferred = &f;
  }
  ASSERT_NE(inferred, nullptr);
  const ChargeBreakdown& listed = ms->fills[0].charges;
  EXPECT_GT(inferred->charges.brokerage, Money::Zero());
  EXPECT_EQ(listed.brokerage, Money::Zero());
  EXPECT_EQ(inferred->charges.stt, listed.stt);
  EXPECT_EQ(inferred->charges.exchange, listed.exchange);
  EXPECT_EQ(inferred->charges.stamp, listed.stamp);
  EXPECT_GT(inferred->commission, ms->fills[0].commission);
  EXPECT_EQ(Ord("O-1")->commission(), inferred->commission);
  const ReconcileResult r = kernel_->exec_engine().Reconcile(*ms);
  EXPECT_TRUE(r.ok()) << r.ToStatus().error();
  EXPECT_EQ(r.fills_explained, 1u);
  EXPECT_EQ(r.events_generated, 0u);
  EXPECT_EQ(kernel_->cache().PositionsOpen().front()->quantity(), testkit::Qty(65));
}

// ---- the order-book poll ----

class KitePoll : public KiteExec {
 protected:
  void SetUp() override {
    tweak_ = [](KiteExecConfig& c) {
      c.orders_poll = 50 * kNanosPerMilli;
      c.fetch_budget = 200 * kNanosPerMilli;
    };
    KiteExec::SetUp();
  }
};

TEST_F(KitePoll, AnOrderRecoveredFromTheJournalIsPolledLikeOneThisClientPlaced) {
  // A restarted node's working order: in the kernel as the journal left it (submitted and
  // accepted, with its tag and Kite's id) but never tracked by this client, which tracks such
  // an order only once the kernel acts on it. No ticker here: the order-book poll alone must
  // find its fill (before, it read only orders this client tracked, and the fill waited for
  // the next reconciliation).
  const Order* o = testkit::AddOrder(
      *kernel_, testkit::MakeInit(call_, "O-1", OrderSide::kSell, 65, "101.00"));
  ASSERT_FALSE(o->venue_tag().empty());
  auto placed = Send("POST", "/orders/regular",
                     "exchange=NFO&tradingsymbol=" + symbol_ +
                         "&transaction_type=SELL&order_type=LIMIT&quantity=65&product=NRML"
                         "&price=101.00&validity=DAY&tag=" + o->venue_tag());
  ASSERT_TRUE(placed.ok()) << placed.error();
  ASSERT_EQ(placed->status, 200) << placed->body;
  const std::string kite_id = Ledger()["orders"][0]["order_id"].get<std::string>();
  OrderRef ref = RefOf(*o);
  const AccountId account("KITE-001");
  kernel_->exec_engine().Process(
      MakeVenueEvent<OrderSubmitted>(ref, account, kernel_->uuids().Next(), t0_, t0_));
  ref.venue_order_id = VenueOrderId(kite_id);
  kernel_->exec_engine().Process(
      MakeVenueEvent<OrderAccepted>(ref, account, kernel_->uuids().Next(), t0_, t0_));
  ASSERT_EQ(StatusOf("O-1"), OrderStatus::kAccepted);

  client_->Connect();
  ASSERT_TRUE(Pump([&] { return client_->stats().polls >= 2; }, 0));
  EXPECT_EQ(StatusOf("O-1"), OrderStatus::kAccepted);  // resting at Kite: bid 100.00
  // 10:05: bid 101.00, Kite fills the sell at its limit and tells no one.
  Get("/__emu/step?seconds=300");
  ASSERT_EQ(Ledger()["trades"].size(), 1u);
  ASSERT_TRUE(Pump([&] { return StatusOf("O-1") == OrderStatus::kFilled; }, 0));
  EXPECT_EQ(*Ord("O-1")->avg_px(), testkit::Px("101.00"));
  EXPECT_EQ(Ord("O-1")->trade_ids().size(), 1u);
  EXPECT_GT(Ord("O-1")->commission(), Money::Zero());  // Kite's trade, with its charges
  EXPECT_GE(client_->stats().polled_untracked, 1u);
  EXPECT_EQ(kernel_->exec_engine().report_mismatch_count(), 0u);
  // Fetched when it moved, not on every poll after.
  const std::uint64_t fetched = client_->stats().polled_untracked;
  const std::uint64_t polls = client_->stats().polls;
  ASSERT_TRUE(Pump([&] { return client_->stats().polls >= polls + 3; }, 0));
  EXPECT_EQ(client_->stats().polled_untracked, fetched);
  EXPECT_EQ(Ledger()["orders"].size(), 1u);
}

TEST_F(KitePoll, AnOrderThatEndedIsNotFetchedAgainAndAFailedFetchIsAskedAgain) {
  // O-1 fills and ends (tracked here until then): the poll does not fetch it once more.
  Submit("O-1", OrderSide::kBuy, "100.50");
  ASSERT_TRUE(Pump([&] { return StatusOf("O-1") == OrderStatus::kFilled; }));
  client_->Connect();
  ASSERT_TRUE(Pump([&] { return client_->stats().polls >= 3; }, 0));
  EXPECT_EQ(client_->stats().polled_untracked, 0u);
  // An order placed elsewhere, and Kite answers its fetches 429 for a while (past each
  // fetch's budget: nothing reported): the poll asks again until the kernel has heard of it
  // (recorded as EXTERNAL). Before, the poll took the order's state as heard at its read.
  LoadPlan(R"({"rule": [{"route": "GET /orders/*", "action": "429_burst",
                         "delay_ms": 30000, "nth": 2}]})");
  PlaceBehindTheBack("BUY", "99.00");  // rests below the bid
  const std::string kite_id = Ledger()["orders"][1]["order_id"].get<std::string>();
  ASSERT_TRUE(Pump([&] {
    const Order* o = kernel_->cache().OrderByVenueId(VenueOrderId(kite_id));
    return o != nullptr && o->status() == OrderStatus::kAccepted;
  })) << client_->stats().polled_untracked << " " << client_->stats().fetches;
  EXPECT_GE(client_->stats().polled_untracked, 2u);  // the failed fetch and one after
  EXPECT_EQ(Get("/__emu/faults")["data"]["log"].size(), 1u);
}

// An orphan that Kite is still processing (held in OPEN PENDING by its OMS) when the poll
// finds it: adopted, but not yet a working order the kernel could cancel. The poll asks again
// until it is; then the kernel's cancel goes (one command) and Kite cancels it. One that never
// becomes a working order is given up after 12 asks, with an alert.
class KitePollOrphan : public KitePoll {
 protected:
  void SetUp() override {
    // Polls far enough apart, and fetches given long enough, that Kite's 10/s limit on this
    // client's reads never decides the test on a slow machine.
    tweak_ = [](KiteExecConfig& c) {
      c.orders_poll = 120 * kNanosPerMilli;
      c.fetch_budget = kNanosPerSecond;
    };
    KiteExec::SetUp();
  }
  // O-1's send is lost (5xx before Kite took it), the order rejected and its tag watched; then
  // Kite takes a late request with that tag and holds it in OPEN PENDING for `hold_ms`
  // (virtual; 0: until cancelled). Returns the late order's Kite id.
  std::string LateOrphan(int hold_ms) {
    const std::string plan = fmt::format(R"({{"rule": [
        {{"route": "POST /orders/regular", "action": "5xx_before", "nth": 1}},
        {{"stream": "oms", "action": "stuck_open_pending", "delay_ms": {}, "nth": 1}}]}})",
                                         hold_ms);
    LoadPlan(plan.c_str());
    const std::string tag = Submit("O-1", OrderSide::kBuy, "99.00")->venue_tag();
    EXPECT_TRUE(Pump([&] { return StatusOf("O-1") == OrderStatus::kRejected; }, 0));
    client_->Connect();
    PlaceLate(tag, "99");
    return Ledger()["orders"][0]["order_id"].get<std::string>();
  }
  bool Said(const std::string& what) const {
    for (const auto& [kind, text] : alerts_) {
      if (kind == Kind::kOrphan && text.find(what) != std::string::npos) return true;
    }
    return false;
  }
};

TEST_F(KitePollOrphan, OneKiteIsStillProcessingIsCancelledOnceItWorks) {
  const std::uint64_t commands = kernel_->exec_engine().command_count();
  const std::string kite_id = LateOrphan(1000);
  ASSERT_TRUE(Pump([&] { return client_->stats().orphans_adopted == 1; }, 0));
  // Held at Kite: asked again by the poll, nothing sent yet.
  const std::uint64_t asks = client_->stats().polled_untracked;
  ASSERT_TRUE(Pump([&] { return client_->stats().polled_untracked >= asks + 2; }, 0));
  EXPECT_EQ(kernel_->exec_engine().command_count(), commands + 1);  // O-1's submit only
  // Kite's OMS sends it on (virtual time moves): working, then cancelled by the kernel.
  ASSERT_TRUE(Pump([&] { return Ledger()["orders"][0]["status"] == "CANCELLED"; }, 0.5));
  ASSERT_TRUE(Pump([&] {
    const Order* a = kernel_->cache().OrderByVenueId(VenueOrderId(kite_id));
    return a != nullptr && a->status() == OrderStatus::kCanceled;
  }));
  EXPECT_EQ(kernel_->exec_engine().command_count(), commands + 2);  // and the orphan's cancel
  EXPECT_FALSE(Said("left as Kite has it"));
}

TEST_F(KitePollOrphan, OneThatNeverWorksIsGivenUpAfterTwelveAsksWithAnAlert) {
  const std::uint64_t commands = kernel_->exec_engine().command_count();
  LateOrphan(0);
  ASSERT_TRUE(Pump([&] { return Said("left as Kite has it"); }, 0, 30));
  EXPECT_TRUE(Said("after 12 reads"));
  // Given up: the poll no longer asks about it (its state does not change).
  const std::uint64_t asks = client_->stats().polled_untracked;
  const std::uint64_t polls = client_->stats().polls;
  ASSERT_TRUE(Pump([&] { return client_->stats().polls >= polls + 3; }, 0));
  EXPECT_EQ(client_->stats().polled_untracked, asks);
  EXPECT_EQ(kernel_->exec_engine().command_count(), commands + 1);  // O-1's submit: no cancel
  EXPECT_NE(Ledger()["orders"][0]["status"], "CANCELLED");
}

// ---- mass status after a ticker reconnect ----

class KiteReconnect : public KiteExec {
 protected:
  KiteReconnect() { heartbeat_ = 50 * kNanosPerMilli; }
  void SetUp() override {
    tweak_ = [](KiteExecConfig& c) { c.orders_poll = 0; };  // only the reconnect may find it
    KiteExec::SetUp();
    KiteCall dump;
    dump.path = "/instruments";
    dump.decode_envelope = false;
    KiteOutcome got = rest_->Call(dump);
    ASSERT_TRUE(got.ok()) << got.message;
    auto rows = ParseKiteInstrumentsCsv(got.body, "GET /instruments");
    ASSERT_TRUE(rows.ok()) << rows.error();
    auto map = KiteInstrumentMap::Build(*rows, "GET /instruments", {});
    ASSERT_TRUE(map.ok()) << map.error();
    ZerodhaDataConfig c;
    c.host = "127.0.0.1";
    c.port = rt_->ticker_port();
    c.tls = false;
    c.api_key = "k";
    c.access_token = access_;
    c.instruments = std::make_shared<const KiteInstrumentMap>(std::move(*map));
    c.read_timeout = 2 * kNanosPerSecond;
    c.initial_backoff = 20 * kNanosPerMilli;
    c.max_backoff = 200 * kNanosPerMilli;
    data_ = std::make_unique<ZerodhaDataClient>(c, clock_, data_inbox_, io_);
    data_->SetOrderUpdateHandler(client_->OrderUpdateSink());
    data_->Connect();
    ASSERT_TRUE(WaitFor([&] { return data_->is_connected(); }));
    watch_ = std::make_unique<KiteReconnectWatch>(*kernel_, *client_, *data_);
  }
  void TearDown() override {
    watch_.reset();
    data_.reset();
    io_.Stop();
    KiteExec::TearDown();
  }
  static bool WaitFor(const std::function<bool()>& cond) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!cond()) {
      if (std::chrono::steady_clock::now() > until) return cond();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }

  LiveClock clock_;
  Inbox data_inbox_;
  net::IoThread io_;
  std::unique_ptr<ZerodhaDataClient> data_;
  std::unique_ptr<KiteReconnectWatch> watch_;
};

TEST_F(KiteReconnect, AFillMissedWhileTheTickerWasDownIsReconciledAfterTheReconnect) {
  Submit("O-1", OrderSide::kSell, "101.00");  // rests: bid 100.00
  ASSERT_TRUE(Pump([&] { return StatusOf("O-1") == OrderStatus::kAccepted; }));
  EXPECT_FALSE(watch_->Tick());  // nothing happened to the ticker
  // Kite sends no update (omitted) and the ticker drops; 10:05 fills the sell at 101.00.
  LoadPlan(R"({"rule": [{"stream": "ws", "action": "omit", "every": 1}]})");
  EXPECT_EQ(Get("/__emu/drop_ws")["data"]["dropped"], 1);
  Get("/__emu/step?seconds=300");
  ASSERT_EQ(Ledger()["trades"].size(), 1u);
  // The kernel has not heard: no poll, no update, the order is OPEN at Kite's last word.
  EXPECT_FALSE(Pump([&] { return StatusOf("O-1") == OrderStatus::kFilled; }, 0, 0.5));
  // The ticker comes back: the watch reads the Kite day and the reconciliation brings the fill.
  ASSERT_TRUE(Pump([&] { return data_->stats().gaps == 1; }, 0));
  ASSERT_TRUE(watch_->Tick());
  EXPECT_EQ(watch_->reconciliations(), 1u);
  EXPECT_EQ(StatusOf("O-1"), OrderStatus::kFilled);
  EXPECT_EQ(*Ord("O-1")->avg_px(), testkit::Px("101.00"));
  EXPECT_TRUE(kernel_->halt_reason().empty()) << kernel_->halt_reason();
  EXPECT_FALSE(watch_->Tick());  // once per reconnect
}

TEST_F(KiteReconnect, AnOcoPeerWhoseCancelKiteRefusedIsCancelledAfterTheReconnect) {
  // An OCO pair rests at Kite: sells at 101.00 and at 110.00. Kite answers every cancel 429
  // for a long while: the 101.00's fill at 10:05 cancels its peer, Kite refuses it past the
  // cancel's budget (CANCEL rejected: ACCEPTED again), and the 110.00 keeps working beside the
  // filled sell. The next reconnect's reconciliation acts on the list again: cancelled at Kite
  // (before, it kept working).
  OrderInitialized a = testkit::MakeInit(call_, "O-A", OrderSide::kSell, 65, "101.00");
  OrderInitialized b = testkit::MakeInit(call_, "O-B", OrderSide::kSell, 65, "110.00");
  a.order_list_id = b.order_list_id = OrderListId("OL-1");
  a.contingency = b.contingency = ContingencyType::kOco;
  a.linked_order_ids = {b.client_order_id};
  b.linked_order_ids = {a.client_order_id};
  const Order* oa = testkit::AddOrder(*kernel_, a);
  const Order* ob = testkit::AddOrder(*kernel_, b);
  SubmitList("OL-1", {oa, ob});
  ASSERT_TRUE(Pump([&] {
    return StatusOf("O-A") == OrderStatus::kAccepted && StatusOf("O-B") == OrderStatus::kAccepted;
  }));
  LoadPlan(R"({"rule": [{"route": "DELETE /orders/regular/*", "action": "429_burst",
                         "delay_ms": 3600000, "nth": 1}]})");
  Get("/__emu/step?seconds=300");  // 10:05: the 101.00 fills
  ASSERT_TRUE(Pump([&] { return StatusOf("O-A") == OrderStatus::kFilled; }, 0));
  ASSERT_EQ(StatusOf("O-B"), OrderStatus::kPendingCancel);  // the fill's contingency
  // Refused past its budget: ACCEPTED again, working at Kite.
  ASSERT_TRUE(Pump([&] { return StatusOf("O-B") == OrderStatus::kAccepted; }, 0));
  EXPECT_EQ(Ledger()["orders"][1]["status"], "OPEN");
  EXPECT_GE(Get("/__emu/faults")["data"]["log"].size(), 1u);
  // The burst ends (an hour of Kite's wall), and the ticker drops and comes back.
  for (int i = 0; i < 3700; ++i) WallSecond();
  EXPECT_EQ(Get("/__emu/drop_ws")["data"]["dropped"], 1);
  ASSERT_TRUE(Pump([&] { return data_->stats().gaps == 1; }, 0));
  ASSERT_TRUE(watch_->Tick());
  EXPECT_TRUE(kernel_->halt_reason().empty()) << kernel_->halt_reason();
  EXPECT_EQ(StatusOf("O-B"), OrderStatus::kPendingCancel);
  ASSERT_TRUE(Pump([&] { return StatusOf("O-B") == OrderStatus::kCanceled; }));
  EXPECT_EQ(Ledger()["orders"][1]["status"], "CANCELLED");
  EXPECT_FALSE(watch_->Tick());
}

TEST_F(KiteReconnect, AnOrderPlacedElsewhereDuringTheGapIsRecordedAsExternal) {
  Get("/__emu/drop_ws");
  PlaceBehindTheBack("BUY", "100.50");
  ASSERT_TRUE(Pump([&] { return Ledger()["trades"].size() == 1; }));
  ASSERT_TRUE(Pump([&] { return data_->stats().gaps == 1; }, 0));
  ASSERT_TRUE(watch_->Tick());
  // The reconciliation's rule for an order not ours: recorded (EXTERNAL) with its fill, so the
  // books and Kite agree and nothing halts.
  const Order* foreign = kernel_->cache().OrderByVenueId(
      VenueOrderId(Ledger()["orders"][0]["order_id"].get<std::string>()));
  ASSERT_NE(foreign, nullptr);
  EXPECT_EQ(foreign->status(), OrderStatus::kFilled);
  EXPECT_TRUE(kernel_->halt_reason().empty()) << kernel_->halt_reason();
}

}  // namespace
}  // namespace nacre::kite_emu
