// Start-up reconciliation through Kernel::Start, against a client whose reports are scripted:
// missing acks and fills are generated in state-machine order, fills before the terminal
// event; cumulative quantity ahead of the listed fills becomes one inferred fill; our order
// missing from the cache is adopted, an unknown one recorded as external; and a position
// mismatch, less filled at the venue, or an open order the venue does not have leaves the
// kernel HALTED with the reason. Also the phased start's own failures and venue tags.
#include "execution/reconciler.h"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/topics.h"
#include "testkit/kernel_harness.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::BusRecorder;
using testkit::EventNames;
using testkit::MakeInit;
using testkit::Px;
using testkit::Qty;
using testkit::RecordingExecClient;
using Names = std::vector<std::string>;

class ReconcileTest : public ::testing::Test {
 protected:
  ReconcileTest() {
    auto c = std::make_unique<RecordingExecClient>("NFO-CLIENT", "NFO");
    client_ = c.get();
    k().exec_engine().RegisterClient(std::move(c));
    k().cache().AddInstrument(fut_);
    testkit::AddMissingAccounts(k(), k().clock().Now());
  }
  Kernel& k() { return tk_.kernel(); }

  // One of our orders as a previous run left it: submitted, maybe accepted.
  const Order* Ours(const char* coid, std::int64_t qty, bool accepted) {
    const Order* o = testkit::AddOrder(k(), MakeInit(fut_, coid, OrderSide::kBuy, qty, "100"));
    client_->Submitted(*o);
    if (accepted) client_->Accepted(*o);
    return o;
  }
  // Two of our orders, submitted and accepted, linked one-cancels-other.
  std::pair<const Order*, const Order*> WorkingOco(OrderInitialized a, OrderInitialized b) {
    a.contingency = b.contingency = ContingencyType::kOco;
    a.linked_order_ids = {b.client_order_id};
    b.linked_order_ids = {a.client_order_id};
    const Order* oa = testkit::AddOrder(k(), a);
    const Order* ob = testkit::AddOrder(k(), b);
    for (const Order* o : {oa, ob}) {
      client_->Submitted(*o);
      client_->Accepted(*o);
    }
    return {oa, ob};
  }
  // An OTO pair left by a previous run: the parent O-P working, the child O-C held for its
  // fill.
  std::pair<const Order*, const Order*> HeldOto(const char* list) {
    OrderInitialized p = MakeInit(fut_, "O-P", OrderSide::kBuy, 1, "99");
    OrderInitialized c = MakeInit(fut_, "O-C", OrderSide::kSell, 1, "130");
    p.order_list_id = c.order_list_id = OrderListId(list);
    p.contingency = ContingencyType::kOto;
    p.linked_order_ids = {ClientOrderId("O-C")};
    c.parent_order_id = ClientOrderId("O-P");
    const Order* op = testkit::AddOrder(k(), p);
    const Order* child = testkit::AddOrder(k(), c);
    client_->Submitted(*op);
    client_->Accepted(*op);
    return {op, child};
  }
  // The venue lists `o` filled (one lot at 99, trade T-1) and a net position of `net`.
  void VenueFilled(const Order& o, std::int64_t net) {
    const OrderStatusReport r = Report(o, OrderStatus::kFilled, 1, "99");
    client_->mass_status.orders = {r};
    client_->mass_status.fills = {Fill(r, "T-1", 1, "99", 5)};
    client_->mass_status.positions = {Pos(net)};
  }
  OrderStatusReport Report(const Order& o, OrderStatus status, std::int64_t filled,
                           const char* avg = nullptr) {
    OrderStatusReport r;
    r.account_id = AccountId("SIM-001");
    r.instrument_id = fut_.id;
    r.client_order_id = o.client_order_id();
    r.venue_order_id = VenueOrderId("V-" + o.client_order_id().value());
    r.tag = o.venue_tag();
    r.side = o.side();
    r.order_type = o.order_type();
    r.status = status;
    r.quantity = o.quantity();
    r.filled_qty = Qty(filled);
    r.price = o.price();
    if (avg != nullptr) r.avg_px = Px(avg);
    return r;
  }
  FillReport Fill(const OrderStatusReport& r, const char* trade, std::int64_t qty, const char* px,
                  std::int64_t at_ms) {
    FillReport f;
    f.account_id = r.account_id;
    f.instrument_id = r.instrument_id;
    f.venue_order_id = r.venue_order_id;
    f.trade_id = TradeId(trade);
    f.side = r.side;
    f.last_qty = Qty(qty);
    f.last_px = Px(px);
    f.ts_event = k().clock().Now() + at_ms * kNanosPerMilli;
    return f;
  }
  PositionStatusReport Pos(std::int64_t signed_qty) {
    PositionStatusReport p;
    p.account_id = AccountId("SIM-001");
    p.instrument_id = fut_.id;
    p.side = signed_qty > 0 ? PositionSide::kLong : PositionSide::kShort;
    p.quantity = Qty(signed_qty > 0 ? signed_qty : -signed_qty);
    return p;
  }
  std::int64_t NetPosition() {
    std::int64_t n = 0;
    for (const Position* p : k().cache().PositionsOpen()) n += p->signed_qty_raw();
    return n / kFixedScale;
  }
  // The venue's complete order list with none of our orders in it (positions as given, when
  // `positions` says they were reported).
  ExecutionMassStatus CompleteListWithout(bool positions) {
    client_->mass_status.orders = {};
    ExecutionMassStatus ms = *client_->GenerateMassStatus();
    ms.orders_complete = true;
    ms.positions_reported = positions;
    return ms;
  }
  Names EventsOf(const Order* o) {
    std::vector<OrderEvent> mine;
    for (const OrderEvent& e : events_.items()) {
      if (HeaderOf(e).client_order_id == o->client_order_id()) mine.push_back(e);
    }
    return EventNames(mine);
  }

  testkit::TestKernel tk_;
  Instrument fut_ = testkit::NiftyFuture();
  RecordingExecClient* client_ = nullptr;
  BusRecorder<OrderEvent> events_{k().bus(), "events.order.*"};
};

TEST_F(ReconcileTest, MissingAckAndFillsAreGeneratedInOrderFillsBeforeTheTerminalEvent) {
  const Order* o = Ours("O-1", 6, /*accepted=*/false);
  events_.clear();
  OrderStatusReport r = Report(*o, OrderStatus::kCanceled, 4, "100.5");
  client_->mass_status.orders = {r};
  // Listed out of time order: applied in time order.
  client_->mass_status.fills = {Fill(r, "T-2", 2, "101", 20), Fill(r, "T-1", 2, "100", 10)};
  client_->mass_status.positions = {Pos(4)};
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  EXPECT_EQ(EventsOf(o), (Names{"OrderAccepted", "OrderFilled", "OrderFilled", "OrderCanceled"}));
  EXPECT_EQ(o->status(), OrderStatus::kCanceled);
  EXPECT_EQ(o->filled_qty(), Qty(4));
  EXPECT_EQ(o->trade_ids()[0], TradeId("T-1"));
  EXPECT_EQ(o->venue_order_id(), VenueOrderId("V-O-1"));
  EXPECT_EQ(NetPosition(), 4);
  EXPECT_EQ(k().risk_engine().trading_state(), TradingState::kActive);
}

TEST_F(ReconcileTest, AppliedFillsAreSkippedAndCumulativeQuantityAheadOfTheFillsIsInferred) {
  const Order* o = Ours("O-1", 6, true);
  client_->inferred_fee_bp = 10;  // the venue's charges on an inferred fill: 0.1% of its value
  client_->Filled(*o, 2, "100");  // T-1, already ours
  events_.clear();
  OrderStatusReport r = Report(*o, OrderStatus::kFilled, 6, "101");  // 6 @ avg 101
  client_->mass_status.orders = {r};
  client_->mass_status.fills = {Fill(r, "T-1", 2, "100", 1)};  // the venue lists only T-1
  client_->mass_status.positions = {Pos(6)};
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  // T-1 not applied twice; the 4 the listed fills do not explain: one inferred fill priced so
  // the order's average equals the venue's (2 @ 100 + 4 @ 101.5 = 6 @ 101).
  ASSERT_EQ(EventsOf(o), (Names{"OrderFilled"}));
  const OrderFilled f = events_.Of<OrderFilled>()[0];
  EXPECT_EQ(f.trade_id, TradeId("INFERRED-V-O-1-2"));
  EXPECT_EQ(f.last_qty, Qty(4));
  EXPECT_EQ(f.last_px, Px("101.5"));
  // It carries the charges the venue's client gives for it (asked once, for the 4 at 101.5).
  ASSERT_EQ(client_->inferred_charge_asks.size(), 1u);
  EXPECT_EQ(client_->inferred_charge_asks[0].second, Qty(4));
  EXPECT_EQ(f.charges.brokerage, Money::Notional(Px("101.5"), Qty(4), 1).MulRatio(10, 10'000));
  EXPECT_GT(f.commission, Money::Zero());
  EXPECT_EQ(f.commission, f.charges.Total());
  EXPECT_EQ(o->status(), OrderStatus::kFilled);
  EXPECT_EQ(*o->avg_px(), Px("101"));
  EXPECT_EQ(NetPosition(), 6);
}

// A single order's report (an answer to a query, a reconnect's pass) asks the client that sent
// it for an inferred fill's charges, as a mass status does: a broker's client reports orders
// on exchanges another client is registered for.
TEST_F(ReconcileTest, AnInferredFillFromOneOrdersReportIsChargedByTheClientThatSentIt) {
  auto b = std::make_unique<RecordingExecClient>("BROKER", "BFO");
  RecordingExecClient* broker = b.get();
  k().exec_engine().RegisterClient(std::move(b));
  broker->inferred_fee_bp = 20;
  client_->inferred_fee_bp = 10;  // the instrument's venue's client: not the one that reported
  const Order* o = Ours("O-1", 6, true);
  client_->mass_status.orders = {Report(*o, OrderStatus::kAccepted, 0)};
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  client_->Filled(*o, 2, "100");  // T-1
  events_.clear();
  const OrderStatusReport r = Report(*o, OrderStatus::kFilled, 6, "101");
  broker->Report(r, {Fill(r, "T-1", 2, "100", 1)});
  ASSERT_EQ(EventsOf(o), (Names{"OrderFilled"}));
  const OrderFilled f = events_.Of<OrderFilled>()[0];
  EXPECT_EQ(f.last_qty, Qty(4));
  ASSERT_EQ(broker->inferred_charge_asks.size(), 1u);
  EXPECT_TRUE(client_->inferred_charge_asks.empty());
  EXPECT_EQ(f.charges.brokerage, Money::Notional(Px("101.5"), Qty(4), 1).MulRatio(20, 10'000));
  EXPECT_EQ(o->status(), OrderStatus::kFilled);
}

TEST_F(ReconcileTest, OurOrderMissingFromTheCacheIsAdoptedAndAnUnknownOneIsExternal) {
  OrderStatusReport ours;
  ours.account_id = AccountId("SIM-001");
  ours.instrument_id = fut_.id;
  ours.venue_order_id = VenueOrderId("V-9");
  ours.tag = k().cache().tag_prefix() + "ZZ";  // our prefix: placed by us before a restart
  ours.side = OrderSide::kSell;
  ours.order_type = OrderType::kLimit;
  ours.status = OrderStatus::kAccepted;
  ours.quantity = Qty(3);
  ours.filled_qty = Qty(0);
  ours.price = Px("105");
  OrderStatusReport manual = ours;
  manual.venue_order_id = VenueOrderId("V-10");
  manual.tag = "";  // placed by hand in the broker's app
  manual.status = OrderStatus::kFilled;
  manual.filled_qty = Qty(3);
  manual.avg_px = Px("104");
  client_->mass_status.orders = {ours, manual};
  client_->mass_status.positions = {Pos(-3)};
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  const Order* adopted = k().cache().OrderByVenueId(VenueOrderId("V-9"));
  ASSERT_NE(adopted, nullptr);
  EXPECT_EQ(adopted->strategy_id(), StrategyId("RECONCILED"));
  EXPECT_EQ(adopted->venue_tag(), ours.tag);
  EXPECT_EQ(adopted->status(), OrderStatus::kAccepted);
  const Order* external = k().cache().OrderByVenueId(VenueOrderId("V-10"));
  ASSERT_NE(external, nullptr);
  EXPECT_EQ(external->strategy_id(), StrategyId("EXTERNAL"));
  EXPECT_EQ(external->status(), OrderStatus::kFilled);  // an inferred fill at the venue's avg
  EXPECT_EQ(*external->avg_px(), Px("104"));
  EXPECT_EQ(NetPosition(), -3);  // the external fill counts in the positions
}

// An order of ours rejected as not found after an ambiguous send (no venue id) whose tag then
// shows at the venue: the venue's order is adopted apart, by its venue id, and its fill booked;
// the rejected order stays rejected (an order never comes back from REJECTED). One the venue
// rejected too stays with the rejected order. Read again (the next start, the next reconnect),
// every report finds the order it found the first time: no second adoption, no mismatch, even
// for a rejected external order with no tag and no venue id recorded.
TEST_F(ReconcileTest, TheVenuesOrderUnderALostSendsTagIsAdoptedApartAndFoundAgain) {
  const Order* lost = Ours("O-1", 3, /*accepted=*/false);
  client_->Rejected(*lost, "not found at venue after ambiguous send");
  ASSERT_EQ(lost->status(), OrderStatus::kRejected);
  OrderStatusReport orphan = Report(*lost, OrderStatus::kFilled, 3, "101");
  orphan.client_order_id = ClientOrderId();  // the venue knows only the tag
  orphan.venue_order_id = VenueOrderId("V-7");
  const std::vector<FillReport> fills = {Fill(orphan, "T-1", 3, "101", 1)};
  const Order* rejected_twice = Ours("O-2", 3, /*accepted=*/false);
  client_->Rejected(*rejected_twice, "not found at venue after ambiguous send");
  OrderStatusReport venue_rejected = Report(*rejected_twice, OrderStatus::kRejected, 0);
  venue_rejected.client_order_id = ClientOrderId();
  venue_rejected.venue_order_id = VenueOrderId("V-8");
  OrderStatusReport manual = venue_rejected;
  manual.tag = "";
  manual.venue_order_id = VenueOrderId("V-9");
  for (int pass = 0; pass < 2; ++pass) {
    ExecutionMassStatus ms = CompleteListWithout(/*positions=*/true);
    ms.orders = {orphan, venue_rejected, manual};
    ms.fills = fills;
    ms.positions = {Pos(3)};
    const ReconcileResult r = k().exec_engine().Reconcile(ms);
    EXPECT_TRUE(r.mismatches.empty()) << "pass " << pass << ": " << r.mismatches.front();
    EXPECT_EQ(r.orders_adopted, pass == 0 ? 1u : 0u) << "pass " << pass;
    EXPECT_EQ(r.orders_external, pass == 0 ? 1u : 0u) << "pass " << pass;
  }
  const Order* adopted = k().cache().OrderByVenueId(VenueOrderId("V-7"));
  ASSERT_NE(adopted, nullptr);
  EXPECT_EQ(adopted->client_order_id(), ClientOrderId("ADOPTED-V-7"));
  EXPECT_EQ(adopted->status(), OrderStatus::kFilled);
  EXPECT_EQ(adopted->filled_qty(), Qty(3));
  EXPECT_NE(adopted->tags().find("orphan of O-1"), std::string::npos) << adopted->tags();
  EXPECT_EQ(lost->status(), OrderStatus::kRejected);
  EXPECT_EQ(rejected_twice->status(), OrderStatus::kRejected);
  EXPECT_EQ(k().cache().order(ClientOrderId("ADOPTED-V-8")), nullptr);
  EXPECT_EQ(NetPosition(), 3);
}

TEST_F(ReconcileTest, APositionMismatchHaltsWithTheReasonAndInventsNoOrder) {
  const Order* o = Ours("O-1", 2, true);
  client_->Filled(*o, 2, "100");
  client_->mass_status.orders = {Report(*o, OrderStatus::kFilled, 2, "100")};
  client_->mass_status.positions = {Pos(5)};  // the venue holds 5, we hold 2
  const std::size_t orders_before = k().cache().orders_total();
  const Status s = k().Start();
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.Is(ErrorCode::kFailedPrecondition));
  EXPECT_NE(s.error().find("reconcile phase"), std::string::npos) << s.error();
  EXPECT_NE(s.error().find("position NIFTY24JANFUT.NFO: venue +5, ours +2"), std::string::npos)
      << s.error();
  EXPECT_EQ(k().halt_reason(), s.error());
  EXPECT_EQ(k().start_phase(), Kernel::StartPhase::kReconcile);
  EXPECT_EQ(k().risk_engine().trading_state(), TradingState::kHalted);
  EXPECT_EQ(k().cache().orders_total(), orders_before);  // never a fabricated order
  EXPECT_EQ(client_->command_count(), 0u);               // nothing sent
}

TEST_F(ReconcileTest, LessFilledAtTheVenueOrAnOpenOrderItLacksFailsReconciliation) {
  const Order* a = Ours("O-1", 4, true);
  client_->Filled(*a, 3, "100");
  Ours("O-2", 4, true);  // open here, unknown at the venue
  client_->mass_status.orders = {Report(*a, OrderStatus::kPartiallyFilled, 1)};
  client_->mass_status.positions = {Pos(3)};
  const Status s = k().Start();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("venue reports 1 filled, we applied 3"), std::string::npos) << s.error();
  EXPECT_NE(s.error().find("order O-2 is ACCEPTED here but absent at venue NFO"), std::string::npos)
      << s.error();
  EXPECT_EQ(a->filled_qty(), Qty(3));  // never unfilled by us
  EXPECT_EQ(k().risk_engine().trading_state(), TradingState::kHalted);
}

TEST_F(ReconcileTest, AStrategyIsNotStartedWhenReconciliationFails) {
  class Probe final : public Strategy {
   public:
    Probe() : Strategy(StrategyId("PROBE-001")) {}
    void OnStart() override { started = true; }
    bool started = false;
  };
  auto probe = std::make_unique<Probe>();
  Probe* p = probe.get();
  ASSERT_TRUE(k().trader().AddStrategy(std::move(probe)).ok());
  client_->mass_status.positions = {Pos(1)};
  ASSERT_FALSE(k().Start().ok());
  EXPECT_FALSE(p->started);
  // Data still flows: the data engine runs.
  EXPECT_EQ(k().data_engine().state(), ComponentState::kRunning);
}

TEST_F(ReconcileTest, AClientThatDoesNotConnectOrReportFailsItsPhaseWithItsCode) {
  client_->connected = false;
  Status s = k().Start();
  EXPECT_TRUE(s.Is(ErrorCode::kUnavailable)) << s.error();
  EXPECT_EQ(s.error(),
            "kernel start, connect phase: execution client NFO-CLIENT (venue NFO) did "
            "not connect");
  EXPECT_EQ(k().risk_engine().trading_state(), TradingState::kHalted);

  client_->connected = true;
  client_->mass_status_error = "no answer in 30 s";
  s = k().Start();
  EXPECT_TRUE(s.Is(ErrorCode::kTimeout)) << s.error();
  EXPECT_NE(s.error().find("mass status of NFO-CLIENT: no answer in 30 s"), std::string::npos);
}

TEST_F(ReconcileTest, AnOrderSilentInFlightIsQueriedNeverDecidedByATimeout) {
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  ASSERT_TRUE(k().exec_engine().EnableInflightCheck(2 * kNanosPerSecond, 5 * kNanosPerSecond).ok());
  const Order* o = Ours("O-1", 2, /*accepted=*/false);
  const Order* p = Ours("O-2", 2, /*accepted=*/false);
  tk_.Advance(4 * kNanosPerSecond);
  EXPECT_TRUE(client_->queries.empty());
  tk_.Advance(2 * kNanosPerSecond);  // 6 s: both silent past 5 s
  ASSERT_EQ(client_->queries.size(), 2u);
  EXPECT_EQ(client_->queries[0].client_order_id, o->client_order_id());
  EXPECT_EQ(o->status(), OrderStatus::kSubmitted);  // still: a timeout decides nothing
  tk_.Advance(2 * kNanosPerSecond);                 // 8 s: asked 2 s ago, not again yet
  EXPECT_EQ(client_->queries.size(), 2u);
  // The venue answers: O-1 is working, O-2 was rejected.
  OrderStatusReport ra = Report(*o, OrderStatus::kAccepted, 0);
  client_->Report(ra);
  OrderStatusReport rb = Report(*p, OrderStatus::kRejected, 0);
  rb.reason = "RMS: margin exceeds";
  client_->Report(rb);
  EXPECT_EQ(o->status(), OrderStatus::kAccepted);
  EXPECT_EQ(o->venue_order_id(), ra.venue_order_id);
  EXPECT_EQ(p->status(), OrderStatus::kRejected);
  EXPECT_EQ(events_.Of<OrderRejected>().back().reason, "RMS: margin exceeds");
  tk_.Advance(10 * kNanosPerSecond);
  EXPECT_EQ(client_->queries.size(), 2u);  // nothing in flight any more
  EXPECT_EQ(k().exec_engine().inflight_query_count(), 2u);
}

TEST_F(ReconcileTest, AdoptedTagsMoveTheCounterSoNewTagsNeverRepeatThem) {
  OrderStatusReport ours;
  ours.account_id = AccountId("SIM-001");
  ours.instrument_id = fut_.id;
  ours.venue_order_id = VenueOrderId("V-1");
  ours.tag = k().cache().tag_prefix() + "Z";  // our 35th tag, placed before a restart
  ours.side = OrderSide::kBuy;
  ours.order_type = OrderType::kLimit;
  ours.status = OrderStatus::kAccepted;
  ours.quantity = Qty(1);
  ours.filled_qty = Qty(0);
  ours.price = Px("99");
  OrderStatusReport manual = ours;
  manual.venue_order_id = VenueOrderId("V-2");
  manual.tag = "";
  client_->mass_status.orders = {ours, manual};
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  // The external order got none of our tags.
  EXPECT_TRUE(k().cache().OrderByVenueId(VenueOrderId("V-2"))->venue_tag().empty());
  const Order* next = testkit::AddOrder(k(), MakeInit(fut_, "O-NEW", OrderSide::kBuy, 1, "99"));
  EXPECT_EQ(next->venue_tag(), k().cache().tag_prefix() + "10");  // 36, past the adopted 35
}

TEST_F(ReconcileTest, AVenueThatStillHasTheOrderAsReceivedGetsNoInventedAck) {
  const Order* o = Ours("O-1", 2, /*accepted=*/false);
  events_.clear();
  client_->mass_status.orders = {Report(*o, OrderStatus::kSubmitted, 0)};
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  EXPECT_EQ(o->status(), OrderStatus::kSubmitted);
  EXPECT_TRUE(EventsOf(o).empty());
}

TEST_F(ReconcileTest, AnInferredFillIsNeverAppliedTwiceWhenTheRealTradeIsListedLater) {
  const Order* o = Ours("O-1", 4, true);
  OrderStatusReport r = Report(*o, OrderStatus::kFilled, 4, "100");
  client_->mass_status.orders = {r};  // no fills listed: 4 inferred at the average
  client_->mass_status.positions = {Pos(4)};
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  ASSERT_EQ(o->filled_qty(), Qty(4));
  ASSERT_EQ(o->trade_ids().back(), TradeId("INFERRED-V-O-1-1"));
  // The real trades show up in later reports: they are what the inferred fill stood for,
  // never applied on top of it, and no mismatch (which would halt every reconciliation of
  // the day, the restart's included).
  Reconciler rec(k().config().trader_id, k().cache(), k().exec_engine(), k().clock(), k().uuids(),
                 k().logger());
  events_.clear();
  for (int pass = 0; pass < 2; ++pass) {
    ReconcileResult res;
    rec.ReconcileOrder(r, {Fill(r, "T-2", 3, "100", 2), Fill(r, "T-1", 1, "100", 1)}, res);
    EXPECT_TRUE(res.mismatches.empty()) << res.mismatches[0];
    EXPECT_EQ(res.fills_explained, 2u);
    EXPECT_EQ(res.events_generated, 0u);
  }
  EXPECT_TRUE(EventsOf(o).empty());
  EXPECT_EQ(o->filled_qty(), Qty(4));
  EXPECT_EQ(NetPosition(), 4);
  // The whole mass status agrees too: the start of a restarted node is clean.
  client_->mass_status.fills = {Fill(r, "T-1", 1, "100", 1), Fill(r, "T-2", 3, "100", 2)};
  const ReconcileResult all = k().exec_engine().Reconcile(*client_->GenerateMassStatus());
  EXPECT_TRUE(all.ok()) << all.ToStatus().error();
  EXPECT_EQ(all.fills_explained, 2u);
}

TEST_F(ReconcileTest, TradesListedLateForAPartInferredFillAreToldApartFromNewOnesAndExcess) {
  // 2 of 6 inferred (the venue said 2 filled, listed none); then the venue fills 4 more and
  // lists all three trades: the earliest (2) is the inferred fill's, the later two are new.
  const Order* o = Ours("O-1", 6, true);
  OrderStatusReport r = Report(*o, OrderStatus::kPartiallyFilled, 2, "100");
  Reconciler rec(k().config().trader_id, k().cache(), k().exec_engine(), k().clock(), k().uuids(),
                 k().logger());
  ReconcileResult first;
  rec.ReconcileOrder(r, {}, first);
  ASSERT_EQ(first.fills_inferred, 1u);
  ASSERT_EQ(o->filled_qty(), Qty(2));
  r = Report(*o, OrderStatus::kFilled, 6, "100.5");
  events_.clear();
  ReconcileResult later;
  rec.ReconcileOrder(r,
                     {Fill(r, "T-1", 2, "100", 1), Fill(r, "T-2", 1, "100.5", 2),
                      Fill(r, "T-3", 3, "100.75", 3)},
                     later);
  EXPECT_TRUE(later.mismatches.empty()) << later.mismatches[0];
  EXPECT_EQ(later.fills_explained, 1u);
  EXPECT_EQ(later.fills_inferred, 0u);
  EXPECT_EQ(EventsOf(o), (Names{"OrderFilled", "OrderFilled"}));
  EXPECT_EQ(o->filled_qty(), Qty(6));
  EXPECT_EQ(o->trade_ids().back(), TradeId("T-3"));
  // More listed than the venue filled beyond what was inferred: still a mismatch, applied never.
  OrderStatusReport over = r;
  ReconcileResult bad;
  rec.ReconcileOrder(over,
                     {Fill(r, "T-1", 2, "100", 1), Fill(r, "T-2", 1, "100.5", 2),
                      Fill(r, "T-3", 3, "100.75", 3), Fill(r, "T-4", 1, "101", 4)},
                     bad);
  EXPECT_EQ(bad.fills_explained, 1u);  // T-1, as before
  ASSERT_EQ(bad.mismatches.size(), 1u);
  EXPECT_NE(bad.mismatches[0].find("fill T-4 of 1 would pass"), std::string::npos)
      << bad.mismatches[0];
  EXPECT_EQ(o->filled_qty(), Qty(6));
  // An order that never had an inferred fill gets no such pass.
  const Order* plain = Ours("O-2", 2, true);
  client_->Filled(*plain, 2, "100");
  OrderStatusReport pr = Report(*plain, OrderStatus::kFilled, 2, "100");
  ReconcileResult strict;
  rec.ReconcileOrder(pr, {Fill(pr, "T-9", 2, "100", 1)}, strict);
  EXPECT_EQ(strict.fills_explained, 0u);
  EXPECT_EQ(strict.mismatches.size(), 1u);
}

TEST_F(ReconcileTest, ATradeMadeByTheInferredFillsTimeIsItsEvenWhenANewOneStillLags) {
  // 2 inferred from the venue's report at +10 ms (its trade T-1, made at +5 ms, not listed
  // yet). Then the venue fills 2 more (T-2 at +20 ms) and lists only T-1: T-1 is the inferred
  // fill's (made by its time), not new, and the 2 more are inferred again. When T-2 is listed
  // too, both are recognised; nothing is booked twice and nothing is a mismatch. (Counted by
  // quantity alone, T-1 fits under the venue's 4 and was booked as new: 2 too many at T-1's
  // price.)
  const Order* o = Ours("O-1", 4, true);
  const UnixNanos t = k().clock().Now();
  Reconciler rec(k().config().trader_id, k().cache(), k().exec_engine(), k().clock(), k().uuids(),
                 k().logger());
  OrderStatusReport r = Report(*o, OrderStatus::kPartiallyFilled, 2, "100");
  r.ts_last = t + 10 * kNanosPerMilli;
  ReconcileResult first;
  rec.ReconcileOrder(r, {}, first);
  ASSERT_EQ(first.fills_inferred, 1u);
  r = Report(*o, OrderStatus::kFilled, 4, "100.5");
  r.ts_last = t + 30 * kNanosPerMilli;
  const FillReport t1 = Fill(r, "T-1", 2, "100", 5);
  const FillReport t2 = Fill(r, "T-2", 2, "101", 20);
  ReconcileResult second;
  rec.ReconcileOrder(r, {t1}, second);
  EXPECT_TRUE(second.mismatches.empty()) << second.mismatches[0];
  EXPECT_EQ(second.fills_explained, 1u);
  EXPECT_EQ(second.fills_inferred, 1u);
  EXPECT_EQ(o->filled_qty(), Qty(4));
  EXPECT_EQ(o->trade_ids().back(), TradeId("INFERRED-V-O-1-2"));
  EXPECT_EQ(*o->avg_px(), Px("100.5"));  // the venue's average, not T-1 booked twice
  ReconcileResult third;
  rec.ReconcileOrder(r, {t1, t2}, third);
  EXPECT_TRUE(third.mismatches.empty()) << third.mismatches[0];
  EXPECT_EQ(third.fills_explained, 2u);
  EXPECT_EQ(third.events_generated, 0u);
  EXPECT_EQ(o->filled_qty(), Qty(4));
  EXPECT_EQ(NetPosition(), 4);
}

TEST_F(ReconcileTest, FilledWithoutFillsOrAnAveragePriceIsAMismatchNotAZeroPricedFill) {
  const Order* o = Ours("O-1", 4, true);
  client_->mass_status.orders = {Report(*o, OrderStatus::kFilled, 4)};  // no avg_px
  client_->mass_status.positions = {Pos(4)};
  const Status s = k().Start();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("gives no average price"), std::string::npos) << s.error();
  EXPECT_TRUE(o->filled_qty().is_zero());
}

TEST_F(ReconcileTest, ChecksAClientCannotBackAreSkippedNotGuessed) {
  const Order* o = Ours("O-1", 2, true);
  client_->Filled(*o, 2, "100");
  Ours("O-2", 2, true);  // open here
  // A client that lists only some orders and reports no positions: no mismatch from those.
  client_->mass_status.orders = {Report(*o, OrderStatus::kFilled, 2, "100")};
  ExecutionMassStatus ms = *client_->GenerateMassStatus();
  ms.orders_complete = false;
  ms.positions_reported = false;
  EXPECT_TRUE(k().exec_engine().Reconcile(ms).ok());
  ms.orders_complete = ms.positions_reported = true;
  const ReconcileResult strict = k().exec_engine().Reconcile(ms);
  EXPECT_EQ(strict.mismatches.size(), 2u);  // O-2 absent, and the position of 2 unreported
}

TEST_F(ReconcileTest, AnIntentNeverAcknowledgedAndNotListedIsLeftToTheInflightCheck) {
  // Sent by an earlier process, never acknowledged, absent from the venue's complete list: it
  // may still be travelling. Neither a mismatch nor rejected here; an acknowledged order
  // absent from the list still is a mismatch.
  const Order* sent = Ours("O-1", 2, /*accepted=*/false);
  Ours("O-2", 2, /*accepted=*/true);
  ExecutionMassStatus ms = CompleteListWithout(/*positions=*/false);
  const ReconcileResult r = k().exec_engine().Reconcile(ms);
  EXPECT_EQ(r.orders_unresolved, 1u);
  ASSERT_EQ(r.mismatches.size(), 1u);
  EXPECT_NE(r.mismatches[0].find("O-2"), std::string::npos) << r.mismatches[0];
  EXPECT_EQ(sent->status(), OrderStatus::kSubmitted);
}

TEST_F(ReconcileTest, AnOrderFromAPreviousDayThatTheVenuesDayDoesNotListExpiresWithIt) {
  // A node stopped with orders working and restarted on a later day: a venue whose orders all
  // end with their day (Kite) lists only the day's. Ours from before that day are expired with
  // it, whatever state they were left in; today's order absent from the list still fails.
  const Order* open = Ours("O-1", 2, /*accepted=*/true);
  const Order* sent = Ours("O-2", 2, /*accepted=*/false);
  const Order* part = Ours("O-3", 4, /*accepted=*/true);
  client_->Filled(*part, 1, "100");
  const Order* cancelling = Ours("O-4", 2, /*accepted=*/true);
  client_->PendingCancel(*cancelling);
  OrderInitialized init = MakeInit(fut_, "O-5", OrderSide::kBuy, 2, "100");
  init.ts_init = k().clock().Now() + kNanosPerMilli;  // created on the venue's day
  const Order* today = testkit::AddOrder(k(), init);
  client_->Submitted(*today);
  client_->Accepted(*today);
  ExecutionMassStatus ms = CompleteListWithout(/*positions=*/true);
  ms.positions = {Pos(1)};
  // A venue whose lists are not day-scoped (day_start zero): every one of them is a mismatch
  // but the intent never acknowledged, left to the in-flight check.
  ReconcileResult r = k().exec_engine().Reconcile(ms);
  EXPECT_EQ(r.mismatches.size(), 4u);
  EXPECT_EQ(r.orders_expired, 0u);
  EXPECT_EQ(open->status(), OrderStatus::kAccepted);
  events_.clear();
  ms.day_start = k().clock().Now();
  r = k().exec_engine().Reconcile(ms);
  EXPECT_EQ(r.orders_expired, 4u);
  EXPECT_EQ(r.orders_unresolved, 0u);
  ASSERT_EQ(r.mismatches.size(), 1u);
  EXPECT_NE(r.mismatches[0].find("order O-5 is ACCEPTED here but absent"), std::string::npos)
      << r.mismatches[0];
  for (const Order* o : {open, sent, part, cancelling}) {
    EXPECT_EQ(o->status(), OrderStatus::kExpired) << o->client_order_id().value();
    EXPECT_EQ(EventsOf(o), (Names{"OrderExpired"})) << o->client_order_id().value();
  }
  EXPECT_EQ(part->filled_qty(), Qty(1));  // its fill stays
  EXPECT_EQ(today->status(), OrderStatus::kAccepted);
  // Expired once: the next pass finds them closed. A fill the previous day's order had after
  // we last heard (the venue's position ahead of ours) is the position check's mismatch.
  ms.positions = {Pos(3)};
  r = k().exec_engine().Reconcile(ms);
  EXPECT_EQ(r.orders_expired, 0u);
  ASSERT_EQ(r.mismatches.size(), 2u);
  EXPECT_NE(r.mismatches[1].find("venue +3, ours +1"), std::string::npos) << r.mismatches[1];
}

TEST_F(ReconcileTest, PreviousDayListsExpireWithoutCommandsAndTheirHeldChildrenAreCancelled) {
  // Yesterday's OCO pair, both working, and an OTO parent working with its child still held:
  // all expire with their day; no cancel goes to the venue for a peer it no longer has, and
  // the held child, never sent, is cancelled here.
  const auto [oa, ob] = WorkingOco(MakeInit(fut_, "O-A", OrderSide::kBuy, 1, "100"),
                                   MakeInit(fut_, "O-B", OrderSide::kSell, 1, "120"));
  const auto [op, child] = HeldOto("OL-2");
  const std::vector<const Order*> working{oa, ob, op};
  const std::size_t sent = client_->command_count();
  ExecutionMassStatus ms = CompleteListWithout(/*positions=*/false);
  ms.day_start = k().clock().Now();
  const ReconcileResult r = k().exec_engine().Reconcile(ms);
  EXPECT_TRUE(r.ok()) << r.ToStatus().error();
  EXPECT_EQ(r.orders_expired, 3u);
  for (const Order* o : working) EXPECT_EQ(o->status(), OrderStatus::kExpired);
  EXPECT_EQ(child->status(), OrderStatus::kCanceled);
  EXPECT_EQ(client_->command_count(), sent);  // nothing sent
  // The engine's contingencies act again afterwards: today's OCO fill cancels its peer.
  const auto [ox, oy] = WorkingOco(MakeInit(fut_, "O-X", OrderSide::kBuy, 1, "100"),
                                   MakeInit(fut_, "O-Y", OrderSide::kSell, 1, "120"));
  client_->Filled(*ox, 1, "100");
  EXPECT_EQ(oy->status(), OrderStatus::kPendingCancel);
  EXPECT_EQ(client_->cancels.size(), 1u);
}

TEST_F(ReconcileTest, ACancelDecidedBeforeTheAckIsSentAgainWhenTheVenueListsTheOrderWorking) {
  // The node stopped with a cancel pending on an order the venue had not yet acknowledged; the
  // venue lists it working. Its acknowledgement keeps the cancel pending (before, it read as
  // "the cancel failed": ACCEPTED, and nothing sent the cancel again), and the start sends it.
  const Order* o = Ours("O-1", 2, /*accepted=*/false);
  client_->PendingCancel(*o);
  client_->mass_status.orders = {Report(*o, OrderStatus::kAccepted, 0)};
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  EXPECT_EQ(o->status(), OrderStatus::kPendingCancel);
  EXPECT_EQ(o->venue_order_id(), VenueOrderId("V-O-1"));
  ASSERT_EQ(client_->cancels.size(), 1u);
  EXPECT_EQ(client_->cancels[0].client_order_id, ClientOrderId("O-1"));
  // The venue refuses it after all (it had filled, say): ACCEPTED, as acknowledged.
  client_->CancelRejected(*o, "order already filled");
  EXPECT_EQ(o->status(), OrderStatus::kAccepted);
}

TEST_F(ReconcileTest, ACancelPendingAtTheRestartIsSentEvenWhenTheStartFailsAndOnlyOnce) {
  // The start's reconciliation acknowledges the order (ACCEPTED: as if the cancel failed) and
  // then fails on a position. The cancel the journal left pending is sent all the same, and
  // the retried start does not send it again (before, the failed start sent nothing and the
  // retry no longer saw a pending cancel: the order kept working).
  const Order* o = Ours("O-1", 2, /*accepted=*/false);
  client_->PendingCancel(*o);
  client_->mass_status.orders = {Report(*o, OrderStatus::kAccepted, 0)};
  client_->mass_status.positions = {Pos(5)};  // not ours: a mismatch
  ASSERT_FALSE(k().Start().ok());
  ASSERT_EQ(client_->cancels.size(), 1u);
  EXPECT_EQ(client_->cancels[0].client_order_id, ClientOrderId("O-1"));
  EXPECT_EQ(o->status(), OrderStatus::kPendingCancel);
  client_->mass_status.positions = {};
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  EXPECT_EQ(client_->cancels.size(), 1u);
}

TEST_F(ReconcileTest, ARetriedStartLiftsOnlyTheHaltItsFailedAttemptLeft) {
  client_->mass_status.positions = {Pos(5)};  // not ours: a mismatch
  ASSERT_FALSE(k().Start().ok());
  ASSERT_EQ(k().risk_engine().trading_state(), TradingState::kHalted);
  // Something else halts meanwhile (a handler failed): the retried start leaves it.
  k().risk_engine().SetTradingState(TradingState::kHalted, "handler failed: boom");
  client_->mass_status.positions = {};
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  EXPECT_EQ(k().risk_engine().trading_state(), TradingState::kHalted);
  EXPECT_EQ(k().risk_engine().trading_state_reason(), "handler failed: boom");
  // A veto (the kill switch's) keeps the start's own halt too; without one it is lifted.
  client_->mass_status.positions = {Pos(5)};
  ASSERT_FALSE(k().Start().ok());
  client_->mass_status.positions = {};
  std::string veto = "manual halt: kill file";
  k().SetStartHaltVeto([&veto] { return veto; });
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  EXPECT_EQ(k().risk_engine().trading_state(), TradingState::kHalted);
  client_->mass_status.positions = {Pos(5)};
  ASSERT_FALSE(k().Start().ok());
  client_->mass_status.positions = {};
  veto.clear();
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  EXPECT_EQ(k().risk_engine().trading_state(), TradingState::kActive);
}

TEST_F(ReconcileTest, AnOcoPeerCancelledByAFillTheStartFoundIsCancelledOnce) {
  const auto [oa, ob] = WorkingOco(MakeInit(fut_, "O-A", OrderSide::kSell, 1, "110"),
                                   MakeInit(fut_, "O-B", OrderSide::kSell, 1, "90"));
  // A filled while the node was down; B still works at the venue.
  OrderStatusReport ra = Report(*oa, OrderStatus::kFilled, 1, "110");
  client_->mass_status.orders = {ra, Report(*ob, OrderStatus::kAccepted, 0)};
  client_->mass_status.fills = {Fill(ra, "T-1", 1, "110", 1)};
  client_->mass_status.positions = {Pos(-1)};
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  EXPECT_EQ(oa->status(), OrderStatus::kFilled);
  EXPECT_EQ(ob->status(), OrderStatus::kPendingCancel);
  EXPECT_EQ(client_->cancels.size(), 1u);  // by the fill's contingency; not again by the start
}

TEST_F(ReconcileTest, AModifyPendingAtTheRestartIsSettledByWhatTheVenueLists) {
  // Three orders the node left PENDING_UPDATE. The venue lists the first unmodified: its modify
  // died with the process, so it is rejected (before, the order stayed PENDING_UPDATE for good
  // and the in-flight check blocked its instrument). The second shows the new quantity:
  // updated. The venue still processes the third's: left as it is.
  const Order* lost = Ours("O-1", 2, /*accepted=*/true);
  const Order* applied = Ours("O-2", 2, /*accepted=*/true);
  const Order* busy = Ours("O-3", 2, /*accepted=*/true);
  for (const Order* o : {lost, applied, busy}) client_->PendingUpdate(*o);
  events_.clear();
  OrderStatusReport ra = Report(*applied, OrderStatus::kAccepted, 0);
  ra.quantity = Qty(1);
  // As Kite lists them after a restart: by venue id and tag, no client order id.
  OrderStatusReport rl = Report(*lost, OrderStatus::kAccepted, 0);
  rl.client_order_id = ClientOrderId();
  client_->mass_status.orders = {rl, ra, Report(*busy, OrderStatus::kPendingUpdate, 0)};
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  EXPECT_EQ(EventsOf(lost), (Names{"OrderModifyRejected"}));
  EXPECT_EQ(lost->status(), OrderStatus::kAccepted);
  EXPECT_EQ(lost->quantity(), Qty(2));
  const auto rejected = events_.Of<OrderModifyRejected>();
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_NE(rejected[0].reason.find("not applied at NFO"), std::string::npos) << rejected[0].reason;
  EXPECT_EQ(EventsOf(applied), (Names{"OrderUpdated"}));
  EXPECT_EQ(applied->status(), OrderStatus::kAccepted);
  EXPECT_EQ(applied->quantity(), Qty(1));
  EXPECT_EQ(busy->status(), OrderStatus::kPendingUpdate);
  // Only the modifies pending at the restart: one this process sends later (PENDING_UPDATE
  // again, the venue not yet showing it) is left to the venue's answer by another start.
  client_->PendingUpdate(*lost);
  events_.clear();
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  EXPECT_TRUE(events_.Of<OrderModifyRejected>().empty());
  EXPECT_EQ(lost->status(), OrderStatus::kPendingUpdate);
  EXPECT_EQ(client_->command_count(), 0u);
}

TEST_F(ReconcileTest, AModifyTheReconciliationMovesOnFromIsRejectedWhenTheVenueListsItUnmodified) {
  // Modifies pending at the stop on orders the start's reconciliation moves on: O-1 was sent
  // and never acknowledged, its modify held for the venue's id (the venue's late
  // acknowledgement makes it ACCEPTED); O-2 filled in part while the node was down. The venue
  // lists both working with their fields as before the modify: each is rejected (before, the
  // strategy never heard of it). O-3's modify the venue applied: updated, not rejected.
  const Order* held = Ours("O-1", 2, /*accepted=*/false);
  const Order* part = Ours("O-2", 2, /*accepted=*/true);
  const Order* applied = Ours("O-3", 2, /*accepted=*/false);
  for (const Order* o : {held, part, applied}) client_->PendingUpdate(*o);
  events_.clear();
  const OrderStatusReport rp = Report(*part, OrderStatus::kPartiallyFilled, 1, "100");
  OrderStatusReport ra = Report(*applied, OrderStatus::kAccepted, 0);
  ra.price = Px("101");
  client_->mass_status.orders = {Report(*held, OrderStatus::kAccepted, 0), rp, ra};
  client_->mass_status.fills = {Fill(rp, "T-1", 1, "100", 5)};
  client_->mass_status.positions = {Pos(1)};
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  EXPECT_EQ(EventsOf(held),
            (Names{"OrderAccepted", "OrderPendingUpdate", "OrderModifyRejected"}));
  EXPECT_EQ(held->status(), OrderStatus::kAccepted);
  EXPECT_EQ(EventsOf(part), (Names{"OrderFilled", "OrderPendingUpdate", "OrderModifyRejected"}));
  EXPECT_EQ(part->status(), OrderStatus::kPartiallyFilled);
  // Acknowledged while its modify travelled: PENDING_UPDATE again, then the venue's fields.
  EXPECT_EQ(EventsOf(applied), (Names{"OrderAccepted", "OrderPendingUpdate", "OrderUpdated"}));
  EXPECT_EQ(applied->price(), Px("101"));
  EXPECT_EQ(events_.Of<OrderModifyRejected>().size(), 2u);
  EXPECT_EQ(client_->command_count(), 0u);
}

TEST_F(ReconcileTest, AHeldOtoChildWhoseParentsFillTheStartFoundIsReleasedOnce) {
  // The parent filled while the node was down: the start's reconciliation applies the fill
  // (the child held until the start succeeds) and the start releases the child; no later pass
  // over the lists releases it again (the child stays INITIALIZED until a venue answers, as
  // with write-ahead while its command waits in the outbox).
  const auto [op, child] = HeldOto("OL-3");
  VenueFilled(*op, 1);
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  EXPECT_EQ(op->status(), OrderStatus::kFilled);
  ASSERT_EQ(client_->submits.size(), 1u);
  EXPECT_EQ(client_->submits[0].client_order_id, ClientOrderId("O-C"));
  EXPECT_EQ(child->status(), OrderStatus::kInitialized);
  // A later pass over the lists (a reconnect's) does not send it again.
  EXPECT_EQ(k().exec_engine().ActOnContingentLists(/*release_children=*/true), 0u);
  EXPECT_EQ(client_->submits.size(), 1u);
}

TEST_F(ReconcileTest, AHeldOtoChildWaitsForAStartThatSucceedsAndStartsTheStrategies) {
  // The start's reconciliation finds the parent filled, then fails on a position: trading is
  // HALTED and the child stays held (before, it was released into the halt and denied for
  // good), also when a reconnect's reconciliation acts on the lists meanwhile. The retried
  // start releases it, once.
  const auto [op, child] = HeldOto("OL-5");
  VenueFilled(*op, 3);  // a net position not what we hold: a mismatch
  ASSERT_FALSE(k().Start().ok());
  EXPECT_EQ(op->status(), OrderStatus::kFilled);
  EXPECT_EQ(child->status(), OrderStatus::kInitialized);
  EXPECT_EQ(k().exec_engine().ActOnContingentLists(/*release_children=*/true), 0u);
  EXPECT_TRUE(client_->submits.empty());
  client_->mass_status.positions = {Pos(1)};
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  ASSERT_EQ(client_->submits.size(), 1u);
  EXPECT_EQ(client_->submits[0].client_order_id, ClientOrderId("O-C"));
  EXPECT_EQ(k().risk_engine().denied_count(), 0u);
}

TEST_F(ReconcileTest, AChildHeldWhileHaltedBeforeTheRestartMustStillReduceWhenTheStartEnds) {
  // Before the restart the parent filled while trading was HALTED, so the child was held as
  // one that reduces its position; then an exit closed the position. The node's snapshot
  // holds the child again (RestoreHeldWhileHalted). The first start fails on a position; the
  // retried one lifts its halt, then its pass over the lists refuses the child, which would
  // now open a short (before, the lift dropped the hold and the pass checked the day only).
  const auto [op, child] = HeldOto("OL-7");
  const Order* exit = testkit::AddOrder(k(), MakeInit(fut_, "O-X", OrderSide::kSell, 1, "101"));
  client_->Submitted(*exit);
  client_->Accepted(*exit);
  {
    const ExecutionEngine::ContingenciesSuspended replay(k().exec_engine());
    client_->Filled(*op, 1, "99");
    client_->Filled(*exit, 1, "101");
  }
  k().exec_engine().RestoreHeldWhileHalted({child->client_order_id(), /*must_reduce=*/true});
  ASSERT_EQ(k().exec_engine().HeldWhileHalted().size(), 1u);
  // Trading resumes before the start has reconciled anything (an operator's resume while the
  // node waits for its clients): the child waits for the start's end.
  k().exec_engine().SetTradingHalted(true);
  k().exec_engine().SetTradingHalted(false);
  EXPECT_TRUE(client_->submits.empty());
  ASSERT_EQ(k().exec_engine().HeldWhileHalted().size(), 1u);
  // Nor a pass over the lists then (a new Kite session taken while the node waits).
  EXPECT_EQ(k().exec_engine().ActOnContingentLists(/*release_children=*/true), 0u);
  EXPECT_TRUE(client_->submits.empty());
  client_->mass_status.orders = {Report(*op, OrderStatus::kFilled, 1, "99"),
                                 Report(*exit, OrderStatus::kFilled, 1, "101")};
  client_->mass_status.positions = {Pos(3)};  // not what we hold: a mismatch
  ASSERT_FALSE(k().Start().ok());
  EXPECT_EQ(child->status(), OrderStatus::kInitialized);
  client_->mass_status.positions = {Pos(0)};
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  EXPECT_TRUE(client_->submits.empty());
  EXPECT_EQ(child->status(), OrderStatus::kCanceled);
  EXPECT_TRUE(k().exec_engine().HeldWhileHalted().empty());
}

TEST_F(ReconcileTest, ARecoveredNodeReleasesNoChildBeforeItsFirstStart) {
  // The journal has the parent's fill and the child unreleased (the process died first). A
  // pass over the lists before the start (a new Kite session taken while the node waits for
  // its clients) releases nothing against positions not yet reconciled; the start does.
  const auto [op, child] = HeldOto("OL-9");
  {
    const ExecutionEngine::ContingenciesSuspended replay(k().exec_engine());
    client_->Filled(*op, 1, "99");
  }
  k().exec_engine().AwaitFirstStart();
  EXPECT_EQ(k().exec_engine().ActOnContingentLists(/*release_children=*/true), 0u);
  EXPECT_TRUE(client_->submits.empty());
  client_->mass_status.orders = {Report(*op, OrderStatus::kFilled, 1, "99")};
  client_->mass_status.positions = {Pos(1)};
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  ASSERT_EQ(client_->submits.size(), 1u);
  EXPECT_EQ(client_->submits[0].client_order_id, child->client_order_id());
}

TEST_F(ReconcileTest, AHoldTheSnapshotNamesForAnOrderNotHeldIsIgnored) {
  // A parent not filled, an order that is not a child, an id the cache lacks: nothing held.
  const auto [op, child] = HeldOto("OL-8");
  k().exec_engine().RestoreHeldWhileHalted({child->client_order_id(), true});
  k().exec_engine().RestoreHeldWhileHalted({op->client_order_id(), true});
  k().exec_engine().RestoreHeldWhileHalted({ClientOrderId("O-NONE"), true});
  EXPECT_TRUE(k().exec_engine().HeldWhileHalted().empty());
}

TEST_F(ReconcileTest, ANodeThatOnlyReconcilesReleasesNoHeldChild) {
  // Started after its end time: it reconciles and stops without starting its strategies, and
  // sends no exit for a fill it found.
  const auto [op, child] = HeldOto("OL-6");
  VenueFilled(*op, 1);
  k().SetStartTrader(false);
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  EXPECT_EQ(op->status(), OrderStatus::kFilled);
  EXPECT_EQ(child->status(), OrderStatus::kInitialized);
  EXPECT_TRUE(client_->submits.empty());
}

TEST_F(ReconcileTest, AHeldOtoChildOfAParentFilledOnAnEarlierDayIsCancelledNotReleased) {
  // The journal has the parent's fill from yesterday and the child held (the process died
  // before releasing it). Today's start does not send yesterday's exit into today's market.
  const auto [op, child] = HeldOto("OL-4");
  {
    const ExecutionEngine::ContingenciesSuspended replay(k().exec_engine());
    client_->Filled(*op, 1, "99");
  }
  tk_.Advance(kNanosPerDay);
  client_->mass_status.day_start = k().clock().Now() - kNanosPerHour;
  client_->mass_status.positions = {Pos(1)};
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  EXPECT_TRUE(client_->submits.empty());
  EXPECT_EQ(child->status(), OrderStatus::kCanceled);
}

TEST_F(ReconcileTest, ContingentListsTheJournalLeftUnactedAreActedOnOnceAtTheStart) {
  // The process died after each trigger's fill was journaled and before what its contingency
  // decided was (the replay applies fills with contingencies still). The start acts on them:
  // the OCO peer is cancelled, the OUO peer reduced by the fill, the filled OTO parent's held
  // child released; a list already acted on sends nothing, and nothing is sent twice.
  const auto [oa, ob] = WorkingOco(MakeInit(fut_, "O-A", OrderSide::kSell, 1, "110"),
                                   MakeInit(fut_, "O-B", OrderSide::kSell, 1, "90"));
  const auto [ox, oy] = WorkingOco(MakeInit(fut_, "O-X", OrderSide::kBuy, 1, "95"),
                                   MakeInit(fut_, "O-Y", OrderSide::kBuy, 1, "96"));
  OrderInitialized tp = MakeInit(fut_, "O-TP", OrderSide::kSell, 10, "112");
  OrderInitialized sl = MakeInit(fut_, "O-SL", OrderSide::kSell, 10, "88");
  tp.contingency = sl.contingency = ContingencyType::kOuo;
  tp.linked_order_ids = {sl.client_order_id};
  sl.linked_order_ids = {tp.client_order_id};
  const auto [op, child] = HeldOto("OL-9");
  const Order* otp = testkit::AddOrder(k(), tp);
  const Order* osl = testkit::AddOrder(k(), sl);
  for (const Order* o : {otp, osl}) {
    client_->Submitted(*o);
    client_->Accepted(*o);
  }
  {
    const ExecutionEngine::ContingenciesSuspended replay(k().exec_engine());
    client_->Filled(*oa, 1, "110");
    client_->Filled(*otp, 4, "112");
    client_->Filled(*op, 1, "99");
  }
  client_->Filled(*ox, 1, "95");  // acted on at the time: its peer's cancel went
  client_->Canceled(*oy);
  ASSERT_EQ(client_->cancels.size(), 1u);
  ASSERT_EQ(ob->status(), OrderStatus::kAccepted);
  ASSERT_EQ(osl->status(), OrderStatus::kAccepted);
  ASSERT_EQ(child->status(), OrderStatus::kInitialized);
  client_->mass_status.orders = {
      Report(*oa, OrderStatus::kFilled, 1, "110"),   Report(*ob, OrderStatus::kAccepted, 0),
      Report(*ox, OrderStatus::kFilled, 1, "95"),    Report(*oy, OrderStatus::kCanceled, 0),
      Report(*otp, OrderStatus::kPartiallyFilled, 4, "112"),
      Report(*osl, OrderStatus::kAccepted, 0),       Report(*op, OrderStatus::kFilled, 1, "99")};
  client_->mass_status.positions = {Pos(-1 + 1 - 4 + 1)};
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  ASSERT_EQ(client_->cancels.size(), 2u);
  EXPECT_EQ(client_->cancels[1].client_order_id, ClientOrderId("O-B"));
  EXPECT_EQ(ob->status(), OrderStatus::kPendingCancel);
  ASSERT_EQ(client_->modifies.size(), 1u);
  EXPECT_EQ(client_->modifies[0].client_order_id, ClientOrderId("O-SL"));
  EXPECT_EQ(client_->modifies[0].quantity, Qty(6));
  EXPECT_EQ(osl->status(), OrderStatus::kPendingUpdate);
  ASSERT_EQ(client_->submits.size(), 1u);
  EXPECT_EQ(client_->submits[0].client_order_id, ClientOrderId("O-C"));
  // (This client reports no OrderSubmitted: the child stays INITIALIZED here, as it would
  // until a venue answered, and the second start must still not release it again.)
  // Started again: the peers already cancelling or being reduced, the child released: nothing
  // more goes out.
  const std::size_t sent = client_->command_count();
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  EXPECT_EQ(client_->command_count(), sent);
  // The venue applies the reduction: the list stands as called for, and still nothing goes.
  client_->Updated(*osl, Qty(6));
  ASSERT_EQ(osl->status(), OrderStatus::kAccepted);
  client_->mass_status.orders[5].quantity = Qty(6);
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  EXPECT_EQ(client_->command_count(), sent);
}

TEST_F(ReconcileTest, AnOcoPeerPendingCancelAtTheStopWhoseSiblingTheStartFindsFilledIsCancelledOnce) {
  const auto [oa, ob] = WorkingOco(MakeInit(fut_, "O-A", OrderSide::kSell, 1, "110"),
                                   MakeInit(fut_, "O-B", OrderSide::kSell, 1, "90"));
  client_->PendingCancel(*ob);  // cancelled before the stop; the send died with the process
  OrderStatusReport ra = Report(*oa, OrderStatus::kFilled, 1, "110");
  client_->mass_status.orders = {ra, Report(*ob, OrderStatus::kAccepted, 0)};
  client_->mass_status.fills = {Fill(ra, "T-1", 1, "110", 1)};
  client_->mass_status.positions = {Pos(-1)};
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  EXPECT_EQ(ob->status(), OrderStatus::kPendingCancel);
  // Once: as a cancel pending from before the stop (the fill's contingency leaves a peer
  // already PENDING_CANCEL to it), not again.
  EXPECT_EQ(client_->cancels.size(), 1u);
}

TEST_F(ReconcileTest, ACancelSentBeforeTheAckOfAnOrderTheVenueFilledGetsTheFills) {
  // The node stopped with a cancel pending on an order Kite had not yet acknowledged (its id
  // unknown); the venue filled it. The restart's reconciliation finds it by its tag.
  const Order* o = Ours("O-1", 4, /*accepted=*/false);
  client_->PendingCancel(*o);
  ASSERT_EQ(o->status(), OrderStatus::kPendingCancel);
  ASSERT_TRUE(o->venue_order_id().empty());
  events_.clear();
  OrderStatusReport r = Report(*o, OrderStatus::kFilled, 4, "100");
  r.client_order_id = ClientOrderId();  // a broker knows it by its tag only
  client_->mass_status.orders = {r};
  client_->mass_status.fills = {Fill(r, "T-1", 4, "100", 10)};
  client_->mass_status.positions = {Pos(4)};
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  // Acknowledged while its cancel travelled: PENDING_CANCEL again, then the fill.
  EXPECT_EQ(EventsOf(o), (Names{"OrderAccepted", "OrderPendingCancel", "OrderFilled"}));
  EXPECT_EQ(o->status(), OrderStatus::kFilled);
  EXPECT_EQ(NetPosition(), 4);
}

TEST_F(ReconcileTest, ACancelPendingOnAnIntentTheVenueDoesNotListIsLeftToTheInflightCheck) {
  const Order* o = Ours("O-1", 2, /*accepted=*/false);
  client_->PendingCancel(*o);
  ExecutionMassStatus ms = CompleteListWithout(/*positions=*/false);
  const ReconcileResult r = k().exec_engine().Reconcile(ms);
  EXPECT_EQ(r.orders_unresolved, 1u);
  EXPECT_TRUE(r.mismatches.empty()) << r.mismatches[0];
  EXPECT_EQ(o->status(), OrderStatus::kPendingCancel);
}

TEST_F(ReconcileTest, APositionWithAnOrderLeftToTheInflightCheckIsNotComparedYet) {
  // Sent before the restart, never acknowledged, not in the venue's list yet, but its fill is
  // already in the venue's positions: no halt now (the in-flight check settles the order);
  // another instrument's difference still fails.
  const Order* sent = Ours("O-1", 2, /*accepted=*/false);
  ExecutionMassStatus ms = CompleteListWithout(/*positions=*/true);
  ms.positions = {Pos(2)};
  ReconcileResult r = k().exec_engine().Reconcile(ms);
  EXPECT_EQ(r.orders_unresolved, 1u);
  EXPECT_TRUE(r.mismatches.empty()) << r.mismatches[0];
  EXPECT_EQ(sent->status(), OrderStatus::kSubmitted);
  // The order settled (rejected): the same difference is a mismatch.
  client_->Rejected(*sent, "not found");
  r = k().exec_engine().Reconcile(ms);
  ASSERT_EQ(r.mismatches.size(), 1u);
  EXPECT_NE(r.mismatches[0].find("position"), std::string::npos) << r.mismatches[0];
}

TEST_F(ReconcileTest, AStartThatSucceedsAfterAFailedOneLiftsItsHalt) {
  client_->connected = false;
  ASSERT_FALSE(k().Start().ok());
  EXPECT_EQ(k().risk_engine().trading_state(), TradingState::kHalted);
  client_->connected = true;
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  EXPECT_EQ(k().risk_engine().trading_state(), TradingState::kActive);
  EXPECT_TRUE(k().halt_reason().empty());
}

TEST_F(ReconcileTest, InflightQueriesSkipADisconnectedClientAndFlagAnUnresolvedOrder) {
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  ASSERT_TRUE(k().exec_engine().EnableInflightCheck(kNanosPerSecond, kNanosPerSecond).ok());
  Ours("O-1", 2, false);
  client_->connected = false;
  tk_.Advance(10 * kNanosPerSecond);
  EXPECT_TRUE(client_->queries.empty());
  client_->connected = true;
  const auto errors = k().logger().error_count();
  tk_.Advance(10 * kNanosPerSecond);
  EXPECT_GE(client_->queries.size(), 5u);
  EXPECT_GT(k().logger().error_count(), errors);  // unresolved after 5 queries: flagged
  // And it blocks new orders on its instrument until it is resolved (other instruments pass).
  const Order* next = testkit::AddOrder(k(), MakeInit(fut_, "O-2", OrderSide::kBuy, 1, "99"));
  k().risk_engine().Execute(testkit::SubmitCommand(*next));
  EXPECT_EQ(next->status(), OrderStatus::kDenied);
  ASSERT_FALSE(events_.Of<OrderDenied>().empty());
  EXPECT_EQ(events_.Of<OrderDenied>().back().reason_code, "INSTRUMENT_BLOCKED");
  EXPECT_NE(events_.Of<OrderDenied>().back().message.find("O-1 is still SUBMITTED"),
            std::string::npos);
  OrderStatusReport r = Report(*k().cache().order(ClientOrderId("O-1")), OrderStatus::kAccepted, 0);
  client_->Report(r);  // resolved
  const Order* after = testkit::AddOrder(k(), MakeInit(fut_, "O-3", OrderSide::kBuy, 1, "99"));
  k().risk_engine().Execute(testkit::SubmitCommand(*after));
  EXPECT_NE(after->status(), OrderStatus::kDenied);
}

TEST_F(ReconcileTest, AClientSpeaksAboutOrdersByIdsIncludingOnesTheCacheLacks) {
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  const Order* o = Ours("O-1", 2, /*accepted=*/false);
  OrderRef ref;  // from the venue's payload, not from the cached order
  ref.trader_id = o->trader_id();
  ref.strategy_id = o->strategy_id();
  ref.instrument_id = fut_.id;
  ref.client_order_id = ClientOrderId("O-1");
  ref.side = OrderSide::kBuy;
  ref.order_type = OrderType::kLimit;
  client_->AcceptedById(ref, "V-77");
  EXPECT_EQ(o->status(), OrderStatus::kAccepted);
  EXPECT_EQ(o->venue_order_id(), VenueOrderId("V-77"));
  // An order placed outside Nacre: its fill is kept as an orphan, never dropped; the venue's
  // report then records the order, and its fill lands once.
  OrderRef outside = ref;
  outside.client_order_id = ClientOrderId("EXTERNAL-V-88");
  outside.strategy_id = StrategyId("EXTERNAL");
  client_->FilledById(outside, "T-88", 1, "100");
  EXPECT_EQ(k().cache().orphan_fills().size(), 1u);
  OrderStatusReport r;
  r.account_id = AccountId("SIM-001");
  r.instrument_id = fut_.id;
  r.venue_order_id = VenueOrderId("V-88");
  r.side = OrderSide::kBuy;
  r.order_type = OrderType::kLimit;
  r.status = OrderStatus::kFilled;
  r.quantity = Qty(1);
  r.filled_qty = Qty(1);
  r.price = Px("100");
  r.avg_px = Px("100");
  FillReport f;
  f.account_id = r.account_id;
  f.instrument_id = fut_.id;
  f.venue_order_id = r.venue_order_id;
  f.trade_id = TradeId("T-88");
  f.last_qty = Qty(1);
  f.last_px = Px("100");
  client_->Report(r, {f});
  const Order* ext = k().cache().OrderByVenueId(VenueOrderId("V-88"));
  ASSERT_NE(ext, nullptr);
  EXPECT_EQ(ext->status(), OrderStatus::kFilled);
  EXPECT_EQ(ext->trade_ids().size(), 1u);
}

// A client that throws on a submit (a bug, a parser blowing up): the engine faults, trading
// halts with the reason, nothing unwinds into the strategy, and cancels still go out.
class ThrowingClient final : public ExecutionClient {
 public:
  ThrowingClient() : ExecutionClient(ClientId("BAD"), Venue("BAD"), AccountId("SIM-001")) {}
  void SubmitOrder(const nacre::SubmitOrder&, const Order&) override {
    throw std::runtime_error("malformed response");
  }
  void ModifyOrder(const nacre::ModifyOrder&, const Order&) override {}
  void CancelOrder(const nacre::CancelOrder&, const Order&) override { ++cancels; }
  int cancels = 0;
};

TEST(EngineFault, AThrowingClientFaultsTheEngineAndHaltsTradingWithoutUnwinding) {
  testkit::TestKernel tk;
  auto c = std::make_unique<ThrowingClient>();
  ThrowingClient* client = c.get();
  tk->exec_engine().RegisterClient(std::move(c));
  InstrumentSpec spec;
  spec.id = MustInstrumentId("X.BAD");
  spec.lot_size = Qty(1);
  spec.tick_size = Px("0.05");
  const Instrument inst = *MakeFuture(spec, MustInstrumentId("NIFTY 50.NSE"),
                                      FromIst(2023, 1, 2, 9, 15), FromIst(2030, 1, 2, 15, 30));
  tk->cache().AddInstrument(inst);
  testkit::AddMissingAccounts(tk.kernel(), tk.now());
  ASSERT_TRUE(tk->Start().ok());
  const Order* o = testkit::AddOrder(tk.kernel(), MakeInit(inst, "O-1", OrderSide::kBuy, 1, "10"));
  EXPECT_NO_THROW(tk->loop().Run([&] {
    ASSERT_TRUE(
        tk->bus().Send(topics::kRiskEngineExecute, TradingCommand(testkit::SubmitCommand(*o))));
  }));
  EXPECT_EQ(tk->exec_engine().state(), ComponentState::kFaulted);
  EXPECT_EQ(tk->exec_engine().fault_count(), 1u);
  EXPECT_EQ(tk->risk_engine().trading_state(), TradingState::kHalted);
  EXPECT_NE(tk->halt_reason().find("malformed response"), std::string::npos) << tk->halt_reason();
  tk->exec_engine().Execute(testkit::CancelCommand(*o));
  EXPECT_EQ(client->cancels, 1);
}

TEST(KernelStart, AnExecutionClientWithoutItsAccountFailsThePortfolioPhase) {
  testkit::TestKernel tk;
  tk->exec_engine().RegisterClient(std::make_unique<RecordingExecClient>("NFO-CLIENT", "NFO"));
  const Status s = tk->Start();
  EXPECT_TRUE(s.Is(ErrorCode::kFailedPrecondition));
  EXPECT_EQ(s.error(),
            "kernel start, portfolio phase: no account SIM-001 for execution client NFO-CLIENT");
  EXPECT_EQ(tk->start_phase(), Kernel::StartPhase::kPortfolio);
}

TEST(VenueTags, EveryOrderGetsAShortUniqueAlphanumericTagMappedToItsId) {
  testkit::TestKernel tk;
  const Instrument fut = testkit::NiftyFuture();
  std::vector<std::string> tags;
  for (int i = 1; i <= 40; ++i) {
    const std::string coid = "O-" + std::to_string(i);
    const Order* o =
        testkit::AddOrder(tk.kernel(), MakeInit(fut, coid.c_str(), OrderSide::kBuy, 1));
    ASSERT_FALSE(o->venue_tag().empty());
    EXPECT_LE(o->venue_tag().size(), 20u);
    for (char c : o->venue_tag()) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)));
    EXPECT_EQ(tk->cache().OrderByTag(o->venue_tag()), o);
    tags.push_back(o->venue_tag());
  }
  EXPECT_EQ(tags[0], "N011");    // "N" + node "01" (TRADER-001) + base 36
  EXPECT_EQ(tags[34], "N01Z");   // 35
  EXPECT_EQ(tags[35], "N0110");  // 36
  std::sort(tags.begin(), tags.end());
  EXPECT_EQ(std::unique(tags.begin(), tags.end()), tags.end());
  // A tag already in use is refused.
  OrderInitialized dup = MakeInit(fut, "O-DUP", OrderSide::kBuy, 1);
  dup.venue_tag = "N011";
  EXPECT_FALSE(tk->cache().AddOrder(std::make_unique<Order>(dup)).ok());
}

}  // namespace
}  // namespace nacre
