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

#include "adapters/zerodha/kite_execution_client.h"
#include "kite_rest_fixture.h"
#include "testkit/kernel_harness.h"

namespace nacre::kite_emu {
namespace {

using Kind = KiteExecutionClient::AlertKind;

class KiteExec : public KiteRestFixture {
 protected:
  void SetUp() override {
    KiteRestFixture::SetUp();
    kernel_ = std::make_unique<Kernel>(testkit::QuietKernelConfig(), std::make_unique<LiveClock>());
    kernel_->cache().AddInstrument(call_);
    KiteExecConfig c;
    c.venue = call_.id.venue();
    c.account_id = AccountId("KITE-001");
    c.symbols.push_back(KiteSymbol{call_.id, "NFO", symbol_, call_token_, 2, call_.multiplier});
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
                                                          Money::FromInt(1'000'000), UnixNanos()),
                                c.venue);
    kernel_->portfolio().ManageAccount(c.account_id);
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
  auto late = Send("POST", "/orders/regular",
                   "exchange=NFO&tradingsymbol=" + symbol_ +
                       "&transaction_type=BUY&order_type=LIMIT&quantity=65&product=NRML&price=99"
                       "&validity=DAY&tag=" + tag);
  ASSERT_TRUE(late.ok()) << late.error();
  ASSERT_EQ(late->status, 200) << late->body;
  Get("/__emu/step?seconds=1");
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
  // The kernel knows the adopted order (by its tag), not as the rejected O-1.
  EXPECT_EQ(StatusOf("O-1"), OrderStatus::kRejected);
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

}  // namespace
}  // namespace nacre::kite_emu
