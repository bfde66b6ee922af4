#include "execution/execution_engine.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "testkit/kernel_harness.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::BusRecorder;
using testkit::Inr;
using testkit::MakeEvent;
using testkit::MakeFill;
using testkit::MakeInit;
using testkit::Px;
using testkit::Qty;
using testkit::RecordingExecClient;

std::vector<std::string> PositionEventNames(const std::vector<PositionEvent>& events) {
  std::vector<std::string> out;
  for (const PositionEvent& e : events) {
    out.push_back(std::holds_alternative<PositionOpened>(e)
                      ? "Opened"
                      : (std::holds_alternative<PositionChanged>(e) ? "Changed" : "Closed"));
  }
  return out;
}

class ExecutionEngineTest : public ::testing::Test {
 protected:
  ExecutionEngineTest()
      : orders_(k().bus(), "events.order.S-001"), positions_(k().bus(), "events.position.S-001") {
    auto nfo = std::make_unique<RecordingExecClient>("NFO-CLIENT", "NFO");
    auto alt = std::make_unique<RecordingExecClient>("ALT-CLIENT", "ALT");
    client_ = nfo.get();
    alt_ = alt.get();
    exec().RegisterClient(std::move(nfo));
    exec().RegisterClient(std::move(alt));
    k().cache().AddInstrument(fut_);
    k().cache().AddInstrument(opt_);
    testkit::AddMissingAccounts(k(), k().clock().Now());
    EXPECT_TRUE(k().Start().ok()) << k().halt_reason();
  }

  Kernel& k() { return tk_.kernel(); }
  ExecutionEngine& exec() { return k().exec_engine(); }
  const PositionId kPositionId = NettingPositionId(testkit::NiftyFuture().id, StrategyId("S-001"));

  const Order* Add(const OrderInitialized& init) { return testkit::AddOrder(k(), init); }

  // Adds and routes an order (as if the risk engine had passed it).
  const Order* Submit(const OrderInitialized& init, const ClientId& client = {}) {
    const Order* o = Add(init);
    exec().Execute(testkit::SubmitCommand(*o, client));
    return o;
  }

  // Adds, routes and acknowledges an order at the NFO client.
  const Order* Working(const OrderInitialized& init) {
    const Order* o = Submit(init);
    client_->Submitted(*o);
    client_->Accepted(*o);
    EXPECT_EQ(o->status(), OrderStatus::kAccepted);
    return o;
  }

  const Position* position() { return k().cache().position(kPositionId); }

  testkit::TestKernel tk_;
  const Instrument fut_ = testkit::NiftyFuture();  // lot 1, multiplier 1
  const Instrument opt_ = testkit::NiftyOption();
  RecordingExecClient* client_ = nullptr;
  RecordingExecClient* alt_ = nullptr;
  BusRecorder<OrderEvent> orders_;
  BusRecorder<PositionEvent> positions_;
};

// ---------------------------------------------------------------------------------------
// Routing.

TEST_F(ExecutionEngineTest, RoutesSubmitByInstrumentVenue) {
  const Order* o = Submit(MakeInit(fut_, "O-1", OrderSide::kBuy, 1));
  ASSERT_EQ(client_->submits.size(), 1u);
  EXPECT_EQ(client_->submits[0].client_order_id, o->client_order_id());
  EXPECT_EQ(alt_->command_count(), 0u);
  EXPECT_EQ(exec().command_count(), 1u);
  EXPECT_EQ(exec().ClientForVenue(Venue("NFO")), client_);
  EXPECT_EQ(exec().ClientForVenue(Venue("ALT")), alt_);
  EXPECT_EQ(exec().ClientForVenue(Venue("BSE")), nullptr);
  EXPECT_EQ(exec().client(ClientId("ALT-CLIENT")), alt_);
  EXPECT_EQ(exec().clients().size(), 2u);
}

// ---------------------------------------------------------------------------------------
// Write-ahead (a live node): nothing reaches a client before the node's commit releases it.

TEST_F(ExecutionEngineTest, WriteAheadHoldsEveryCommandUntilTheOutboxIsReleased) {
  std::vector<std::string> journal;
  exec().SetWriteAhead({[&](const TradingCommand& c) {
                          journal.push_back(std::visit(
                              [](const auto& x) -> std::string {
                                if constexpr (requires { x.client_order_id; }) {
                                  return x.client_order_id.value();
                                } else {
                                  return "list";
                                }
                              },
                              c));
                          return Status::Ok();
                        },
                        [&](const OrderEvent& e) {
                          journal.push_back("event " + std::string(EventName(KindOf(e))));
                        }});
  const Order* o = Submit(MakeInit(fut_, "O-1", OrderSide::kBuy, 1));
  EXPECT_EQ(journal, (std::vector<std::string>{"O-1"})) << "recorded when made";
  EXPECT_TRUE(client_->submits.empty()) << "not sent before the commit";
  EXPECT_EQ(exec().outbox_size(), 1u);
  EXPECT_EQ(exec().ReleaseOutbox(), 1u);
  ASSERT_EQ(client_->submits.size(), 1u);
  // The client's answer is recorded as the engine applies it.
  client_->Submitted(*o);
  EXPECT_EQ(journal.back(), "event OrderSubmitted");
  // A cancel waits the same way; dropped (not durable), it never reaches the client.
  exec().Execute(testkit::CancelCommand(*o));
  EXPECT_TRUE(client_->cancels.empty());
  EXPECT_EQ(exec().DropOutbox(), 1u);
  EXPECT_EQ(exec().ReleaseOutbox(), 0u);
  EXPECT_TRUE(client_->cancels.empty());
  // Queries change nothing at the venue: sent at once.
  nacre::QueryOrder query;
  query.trader_id = o->trader_id();
  query.strategy_id = o->strategy_id();
  query.instrument_id = o->instrument_id();
  query.client_order_id = o->client_order_id();
  exec().Execute(query);
  EXPECT_EQ(exec().outbox_size(), 0u);
  EXPECT_EQ(client_->queries.size(), 1u);
}

TEST_F(ExecutionEngineTest, ACommandTheJournalRefusesIsNeverSentAndASubmitIsDenied) {
  exec().SetWriteAhead({[](const TradingCommand&) { return Status(MakeError("disk full")); },
                        [](const OrderEvent&) {}});
  const Order* o = Submit(MakeInit(fut_, "O-1", OrderSide::kBuy, 1));
  EXPECT_EQ(exec().outbox_size(), 0u);
  EXPECT_EQ(exec().ReleaseOutbox(), 0u);
  EXPECT_TRUE(client_->submits.empty());
  EXPECT_EQ(o->status(), OrderStatus::kDenied);
}

TEST_F(ExecutionEngineTest, ExplicitClientIdOverridesTheVenue) {
  const Order* o = Submit(MakeInit(fut_, "O-1", OrderSide::kBuy, 1), ClientId("ALT-CLIENT"));
  EXPECT_TRUE(client_->submits.empty());
  ASSERT_EQ(alt_->submits.size(), 1u);
  EXPECT_EQ(alt_->submits[0].client_order_id, o->client_order_id());

  exec().Execute(testkit::ModifyCommand(*o, Qty(2)));  // no client id: by venue
  exec().Execute(testkit::CancelCommand(*o, ClientId("ALT-CLIENT")));
  EXPECT_EQ(client_->modifies.size(), 1u);
  EXPECT_EQ(alt_->cancels.size(), 1u);
  EXPECT_TRUE(client_->cancels.empty());
}

TEST_F(ExecutionEngineTest, NoClientForTheVenueDeniesTheOrder) {
  Instrument bse = fut_;
  bse.id = MustInstrumentId("SENSEX24JANFUT.BFO");
  k().cache().AddInstrument(bse);
  const Order* o = Submit(MakeInit(bse, "O-1", OrderSide::kBuy, 1));
  EXPECT_EQ(o->status(), OrderStatus::kDenied);
  const auto denied = orders_.Of<OrderDenied>();
  ASSERT_EQ(denied.size(), 1u);
  EXPECT_EQ(denied[0].reason_code, "NO_EXECUTION_CLIENT");
  EXPECT_EQ(denied[0].message, "no execution client for venue BFO");
  EXPECT_EQ(denied[0].client_order_id, o->client_order_id());
  EXPECT_EQ(client_->command_count() + alt_->command_count(), 0u);
}

TEST_F(ExecutionEngineTest, UnknownExplicitClientDeniesTheOrder) {
  const Order* o = Submit(MakeInit(fut_, "O-1", OrderSide::kBuy, 1), ClientId("NOPE"));
  EXPECT_EQ(o->status(), OrderStatus::kDenied);
  ASSERT_EQ(orders_.Of<OrderDenied>().size(), 1u);
  EXPECT_EQ(orders_.Of<OrderDenied>()[0].reason_code, "NO_EXECUTION_CLIENT");
  EXPECT_TRUE(client_->submits.empty());
}

TEST_F(ExecutionEngineTest, ListWithoutClientDeniesEveryOrderWithItsOwnEvent) {
  Instrument bse = fut_;
  bse.id = MustInstrumentId("SENSEX24JANFUT.BFO");
  k().cache().AddInstrument(bse);
  OrderInitialized a = MakeInit(bse, "O-A", OrderSide::kBuy, 1, "100");
  OrderInitialized b = MakeInit(bse, "O-B", OrderSide::kSell, 1, "90");
  a.order_list_id = b.order_list_id = OrderListId("OL-1");
  a.contingency = b.contingency = ContingencyType::kOco;
  a.linked_order_ids = {ClientOrderId("O-B")};
  b.linked_order_ids = {ClientOrderId("O-A")};
  const Order* oa = Add(a);
  const Order* ob = Add(b);
  SubmitOrderList cmd;
  cmd.instrument_id = bse.id;
  cmd.order_list_id = OrderListId("OL-1");
  cmd.client_order_ids = {oa->client_order_id(), ob->client_order_id()};
  exec().Execute(cmd);
  // Both are DENIED (the first denial does not cancel its OCO peer locally).
  EXPECT_EQ(oa->status(), OrderStatus::kDenied);
  EXPECT_EQ(ob->status(), OrderStatus::kDenied);
  EXPECT_EQ(orders_.Of<OrderDenied>().size(), 2u);
  EXPECT_EQ(exec().refused_event_count(), 0u);
}

TEST_F(ExecutionEngineTest, OtoListSendsOnlyTheParentNow) {
  OrderInitialized p = MakeInit(fut_, "O-P", OrderSide::kBuy, 10);
  OrderInitialized c = MakeInit(fut_, "O-C", OrderSide::kSell, 10, "110");
  p.order_list_id = c.order_list_id = OrderListId("OL-1");
  p.contingency = ContingencyType::kOto;
  p.linked_order_ids = {ClientOrderId("O-C")};
  c.parent_order_id = ClientOrderId("O-P");
  Add(p);
  Add(c);
  SubmitOrderList cmd;
  cmd.instrument_id = fut_.id;
  cmd.order_list_id = OrderListId("OL-1");
  cmd.client_order_ids = {ClientOrderId("O-P"), ClientOrderId("O-C")};
  exec().Execute(cmd);
  ASSERT_EQ(client_->lists.size(), 1u);
  EXPECT_EQ(client_->list_orders[0], std::vector<ClientOrderId>{ClientOrderId("O-P")});
}

TEST_F(ExecutionEngineTest, CancelAllSendsOnlyMatchingOpenOrders) {
  const Order* buy = Working(MakeInit(fut_, "O-BUY", OrderSide::kBuy, 1, "100"));
  const Order* sell = Working(MakeInit(fut_, "O-SELL", OrderSide::kSell, 1, "120"));
  Add(MakeInit(fut_, "O-NEW", OrderSide::kBuy, 1, "100"));  // never sent: not open
  Working(MakeInit(opt_, "O-OPT", OrderSide::kBuy, 65, "100"));
  OrderInitialized other = MakeInit(fut_, "O-OTHER", OrderSide::kBuy, 1, "100");
  other.strategy_id = StrategyId("S-002");
  Working(other);

  CancelAllOrders cmd;
  cmd.strategy_id = StrategyId("S-001");
  cmd.instrument_id = fut_.id;
  exec().Execute(cmd);
  ASSERT_EQ(client_->cancel_all_orders.size(), 1u);
  EXPECT_EQ(client_->cancel_all_orders[0],
            (std::vector<ClientOrderId>{buy->client_order_id(), sell->client_order_id()}));

  cmd.side = OrderSide::kSell;
  exec().Execute(cmd);
  EXPECT_EQ(client_->cancel_all_orders[1], std::vector<ClientOrderId>{sell->client_order_id()});
}

TEST_F(ExecutionEngineTest, CommandsForUnknownOrdersAreNotRouted) {
  const auto errors = k().logger().error_count();
  SubmitOrder submit;
  submit.instrument_id = fut_.id;
  submit.client_order_id = ClientOrderId("NOPE");
  exec().Execute(submit);
  CancelOrder cancel;
  cancel.instrument_id = fut_.id;
  cancel.client_order_id = ClientOrderId("NOPE");
  exec().Execute(cancel);
  EXPECT_EQ(client_->command_count(), 0u);
  EXPECT_EQ(k().logger().error_count(), errors + 2);
  EXPECT_TRUE(orders_.empty());
}

TEST_F(ExecutionEngineTest, LaterClientForTheSameVenueTakesOverRouting) {
  auto second = std::make_unique<RecordingExecClient>("NFO-2", "NFO");
  RecordingExecClient* raw = second.get();
  exec().RegisterClient(std::move(second));
  Submit(MakeInit(fut_, "O-1", OrderSide::kBuy, 1));
  EXPECT_TRUE(client_->submits.empty());
  EXPECT_EQ(raw->submits.size(), 1u);
}

// ---------------------------------------------------------------------------------------
// Order events.

TEST_F(ExecutionEngineTest, EventsAreAppliedBeforeTheyArePublished) {
  const Order* o = Submit(MakeInit(fut_, "O-1", OrderSide::kBuy, 1, "100"));
  std::vector<OrderStatus> seen;
  k().bus().Subscribe<OrderEvent>("events.order.S-001",
                                  [&](const OrderEvent&) { seen.push_back(o->status()); });
  client_->Submitted(*o);
  client_->Accepted(*o);
  client_->Filled(*o, 1, "100");
  EXPECT_EQ(seen, (std::vector<OrderStatus>{OrderStatus::kSubmitted, OrderStatus::kAccepted,
                                            OrderStatus::kFilled}));
  EXPECT_EQ(testkit::EventNames(orders_.items()),
            (std::vector<std::string>{"OrderSubmitted", "OrderAccepted", "OrderFilled"}));
  EXPECT_EQ(o->venue_order_id(), VenueOrderId("V-O-1"));
  EXPECT_EQ(k().cache().OrderByVenueId(VenueOrderId("V-O-1")), o);
  EXPECT_EQ(o->account_id(), AccountId("SIM-001"));
  EXPECT_EQ(exec().event_count(), 3u);
  EXPECT_EQ(exec().refused_event_count(), 0u);
}

TEST_F(ExecutionEngineTest, IllegalEventIsRefusedCountedAndLeavesTheOrderUnchanged) {
  const Order* o = Working(MakeInit(fut_, "O-1", OrderSide::kBuy, 2, "100"));
  const std::size_t events_before = o->event_count();
  const std::size_t published = orders_.size();
  const auto warnings = k().logger().warning_count();

  exec().Process(MakeEvent<OrderSubmitted>(fut_, "O-1", 5));  // ACCEPTED -> SUBMITTED: no
  EXPECT_EQ(exec().refused_event_count(), 1u);
  EXPECT_EQ(o->status(), OrderStatus::kAccepted);
  EXPECT_EQ(o->event_count(), events_before);
  EXPECT_EQ(orders_.size(), published);  // not published
  EXPECT_GT(k().logger().warning_count(), warnings);

  client_->Filled(*o, 2, "100");
  ASSERT_EQ(o->status(), OrderStatus::kFilled);
  // A late report about an order that already ended is stale: a quiet, counted no-op.
  const auto warnings_after_fill = k().logger().warning_count();
  exec().Process(MakeEvent<OrderCanceled>(fut_, "O-1", 6));  // FILLED is terminal
  EXPECT_EQ(exec().refused_event_count(), 1u);
  EXPECT_EQ(exec().stale_event_count(), 1u);
  EXPECT_EQ(k().logger().warning_count(), warnings_after_fill);
  EXPECT_EQ(o->status(), OrderStatus::kFilled);
}

TEST_F(ExecutionEngineTest, FillOnAnUnsubmittedOrderIsRefusedWithoutAPosition) {
  const Order* o = Add(MakeInit(fut_, "O-1", OrderSide::kBuy, 1));
  exec().Process(MakeFill(fut_, "O-1", "T-1", OrderSide::kBuy, 1, "100"));
  EXPECT_EQ(exec().refused_event_count(), 1u);
  EXPECT_EQ(o->status(), OrderStatus::kInitialized);
  EXPECT_TRUE(o->filled_qty().is_zero());
  EXPECT_EQ(position(), nullptr);
  EXPECT_TRUE(positions_.empty());
  EXPECT_TRUE(k().cache().orphan_fills().empty());
}

TEST_F(ExecutionEngineTest, FillForUnknownOrderIsKeptAsOrphan) {
  exec().Process(MakeFill(fut_, "GHOST", "T-9", OrderSide::kBuy, 3, "101.5"));
  ASSERT_EQ(k().cache().orphan_fills().size(), 1u);
  EXPECT_EQ(k().cache().orphan_fills()[0].trade_id, TradeId("T-9"));
  EXPECT_EQ(k().cache().orphan_fills()[0].last_qty, Qty(3));
  EXPECT_EQ(exec().refused_event_count(), 1u);
  EXPECT_EQ(position(), nullptr);
  EXPECT_TRUE(orders_.empty());

  // Any other event for an unknown order is refused but not kept.
  exec().Process(MakeEvent<OrderAccepted>(fut_, "GHOST"));
  EXPECT_EQ(k().cache().orphan_fills().size(), 1u);
  EXPECT_EQ(exec().refused_event_count(), 2u);
}

TEST_F(ExecutionEngineTest, DuplicateTradeIdIsAQuietNoOpAndDoesNotMoveThePosition) {
  const Order* o = Working(MakeInit(fut_, "O-1", OrderSide::kBuy, 10));
  exec().Process(MakeFill(fut_, "O-1", "T-1", OrderSide::kBuy, 4, "100"));
  const auto warnings = k().logger().warning_count();
  const std::size_t published = orders_.size();
  exec().Process(MakeFill(fut_, "O-1", "T-1", OrderSide::kBuy, 4, "100"));
  EXPECT_EQ(exec().refused_event_count(), 0u);
  EXPECT_EQ(exec().duplicate_fill_count(), 1u);
  EXPECT_EQ(k().logger().warning_count(), warnings);
  EXPECT_EQ(orders_.size(), published);
  EXPECT_EQ(o->filled_qty(), Qty(4));
  ASSERT_NE(position(), nullptr);
  EXPECT_EQ(position()->quantity(), Qty(4));
  EXPECT_EQ(positions_.size(), 1u);
}

TEST_F(ExecutionEngineTest, ModifyAndCancelRejectsReachTheStrategyWithoutChangingTheOrder) {
  const Order* o = Working(MakeInit(fut_, "O-1", OrderSide::kBuy, 10, "100"));
  client_->ModifyRejected(*o, "price band");
  client_->CancelRejected(*o, "too late");
  EXPECT_EQ(o->status(), OrderStatus::kAccepted);
  ASSERT_EQ(orders_.Of<OrderModifyRejected>().size(), 1u);
  EXPECT_EQ(orders_.Of<OrderModifyRejected>()[0].reason, "price band");
  ASSERT_EQ(orders_.Of<OrderCancelRejected>().size(), 1u);
  EXPECT_EQ(orders_.Of<OrderCancelRejected>()[0].reason, "too late");
  EXPECT_EQ(exec().refused_event_count(), 0u);

  // From a pending state they restore the previous state as usual.
  exec().Process(MakeEvent<OrderPendingCancel>(fut_, "O-1", 7));
  ASSERT_EQ(o->status(), OrderStatus::kPendingCancel);
  client_->CancelRejected(*o, "too late");
  EXPECT_EQ(o->status(), OrderStatus::kAccepted);
}

TEST_F(ExecutionEngineTest, FillForInstrumentMissingFromCacheUpdatesOnlyTheOrder) {
  Instrument gone = fut_;
  gone.id = MustInstrumentId("GONE.NFO");
  const Order* o = Working(MakeInit(gone, "O-1", OrderSide::kBuy, 1));
  const auto errors = k().logger().error_count();
  client_->Filled(*o, 1, "100");
  EXPECT_EQ(o->status(), OrderStatus::kFilled);
  EXPECT_TRUE(positions_.empty());
  EXPECT_EQ(k().logger().error_count(), errors + 1);
}

// ---------------------------------------------------------------------------------------
// NETTING positions.

TEST_F(ExecutionEngineTest, NettingPositionOpensAddsReducesAndCloses) {
  const UnixNanos t0 = tk_.now();
  const Order* o1 = Working(MakeInit(fut_, "O-1", OrderSide::kBuy, 10));
  client_->Filled(*o1, 10, "100.00", "1.00");
  EXPECT_EQ(o1->position_id(), kPositionId);
  ASSERT_EQ(positions_.size(), 1u);
  {
    const auto& e = std::get<PositionOpened>(positions_[0]);
    EXPECT_EQ(e.position_id, PositionId("NIFTY24JANFUT.NFO-S-001"));
    EXPECT_EQ(e.strategy_id, StrategyId("S-001"));
    EXPECT_EQ(e.account_id, AccountId("SIM-001"));
    EXPECT_EQ(e.side, PositionSide::kLong);
    EXPECT_EQ(e.quantity, Qty(10));
    EXPECT_EQ(e.avg_px_open, Px("100"));
    EXPECT_EQ(e.realized_pnl, Inr("-1.00"));
    EXPECT_EQ(e.commissions, Inr("1.00"));
    EXPECT_EQ(e.opening_order_id, ClientOrderId("O-1"));
    EXPECT_EQ(e.ts_opened, t0);
  }

  tk_.Advance(kNanosPerMinute);
  const Order* o2 = Working(MakeInit(fut_, "O-2", OrderSide::kBuy, 10));
  client_->Filled(*o2, 10, "110.00", "1.00");
  {
    ASSERT_EQ(positions_.size(), 2u);
    const auto& e = std::get<PositionChanged>(positions_[1]);
    EXPECT_EQ(e.quantity, Qty(20));
    EXPECT_EQ(e.peak_qty, Qty(20));
    EXPECT_EQ(e.avg_px_open, Px("105"));
    EXPECT_EQ(e.realized_pnl, Inr("-2.00"));
    EXPECT_EQ(e.unrealized_pnl, Inr("100.00"));  // 20 x (110 - 105)
  }

  tk_.Advance(kNanosPerMinute);
  const Order* o3 = Working(MakeInit(fut_, "O-3", OrderSide::kSell, 5));
  client_->Filled(*o3, 5, "120.00", "1.00");
  {
    ASSERT_EQ(positions_.size(), 3u);
    const auto& e = std::get<PositionChanged>(positions_[2]);
    EXPECT_EQ(e.quantity, Qty(15));
    EXPECT_EQ(e.signed_qty_raw, Qty(15).raw());
    EXPECT_EQ(e.peak_qty, Qty(20));
    EXPECT_EQ(e.realized_pnl, Inr("72.00"));  // -2 + 5 x (120 - 105) - 1
    EXPECT_EQ(e.avg_px_close, Px("120"));
    EXPECT_EQ(e.closing_order_id, ClientOrderId("O-3"));
  }

  tk_.Advance(kNanosPerMinute);
  const Order* o4 = Working(MakeInit(fut_, "O-4", OrderSide::kSell, 15));
  client_->Filled(*o4, 15, "100.00", "1.00");
  ASSERT_EQ(positions_.size(), 4u);
  const auto& closed = std::get<PositionClosed>(positions_[3]);
  EXPECT_EQ(closed.side, PositionSide::kFlat);
  EXPECT_TRUE(closed.quantity.is_zero());
  EXPECT_EQ(closed.realized_pnl, Inr("-4.00"));  // 72 + 15 x (100 - 105) - 1
  EXPECT_EQ(closed.commissions, Inr("4.00"));
  EXPECT_EQ(closed.avg_px_close, Px("105"));  // (5 x 120 + 15 x 100) / 20
  EXPECT_EQ(closed.duration, 3 * kNanosPerMinute);
  EXPECT_EQ(closed.ts_closed, t0 + 3 * kNanosPerMinute);
  EXPECT_TRUE(position()->is_closed());
  EXPECT_TRUE(k().cache().PositionSnapshots(kPositionId).empty());
}

TEST_F(ExecutionEngineTest, ShortPositionRealizesWithTheSignFlipped) {
  const Order* o1 = Working(MakeInit(fut_, "O-1", OrderSide::kSell, 4));
  client_->Filled(*o1, 4, "200.00");
  EXPECT_EQ(std::get<PositionOpened>(positions_[0]).side, PositionSide::kShort);
  EXPECT_EQ(std::get<PositionOpened>(positions_[0]).signed_qty_raw, -Qty(4).raw());
  const Order* o2 = Working(MakeInit(fut_, "O-2", OrderSide::kBuy, 4));
  client_->Filled(*o2, 4, "190.00");
  EXPECT_EQ(std::get<PositionClosed>(positions_[1]).realized_pnl, Inr("40.00"));
}

TEST_F(ExecutionEngineTest, OrderEventIsPublishedBeforeThePositionEvent) {
  std::vector<std::string> log;
  k().bus().Subscribe<OrderEvent>(
      "events.order.S-001", [&](const OrderEvent& e) { log.emplace_back(EventName(KindOf(e))); });
  k().bus().Subscribe<PositionEvent>("events.position.S-001",
                                     [&](const PositionEvent&) { log.push_back("Position"); });
  const Order* o = Working(MakeInit(fut_, "O-1", OrderSide::kBuy, 1));
  log.clear();
  client_->Filled(*o, 1, "100");
  EXPECT_EQ(log, (std::vector<std::string>{"OrderFilled", "Position"}));
}

TEST_F(ExecutionEngineTest, PositionsAreKeptPerStrategy) {
  BusRecorder<PositionEvent> other(k().bus(), "events.position.S-002");
  OrderInitialized init = MakeInit(fut_, "O-2", OrderSide::kSell, 3);
  init.strategy_id = StrategyId("S-002");
  const Order* o2 = Working(init);
  OrderFilled fill = MakeFill(fut_, "O-2", "T-2", OrderSide::kSell, 3, "100");
  fill.strategy_id = StrategyId("S-002");
  exec().Process(fill);
  ASSERT_EQ(other.size(), 1u);
  EXPECT_TRUE(positions_.empty());
  EXPECT_EQ(o2->position_id(), PositionId("NIFTY24JANFUT.NFO-S-002"));
  EXPECT_EQ(position(), nullptr);
}

TEST_F(ExecutionEngineTest, FlippingFillIsSplitIntoCloseAndReopen) {
  const Order* o1 = Working(MakeInit(fut_, "O-1", OrderSide::kBuy, 10));
  client_->Filled(*o1, 10, "100.00", "1.00");
  tk_.Advance(kNanosPerMinute);
  const Order* o2 = Working(MakeInit(fut_, "O-2", OrderSide::kSell, 15));
  client_->Filled(*o2, 15, "110.00", "3.00");

  EXPECT_EQ(PositionEventNames(positions_.items()),
            (std::vector<std::string>{"Opened", "Closed", "Opened"}));
  // Close part: 10 of 15, so 2.00 of the 3.00 commission.
  const auto& closed = std::get<PositionClosed>(positions_[1]);
  EXPECT_EQ(closed.last_qty, Qty(10));
  EXPECT_EQ(closed.last_px, Px("110"));
  EXPECT_EQ(closed.realized_pnl, Inr("97.00"));  // -1 + 10 x 10 - 2
  EXPECT_EQ(closed.commissions, Inr("3.00"));
  EXPECT_EQ(closed.duration, kNanosPerMinute);
  // Open part: the remaining 5 at the fill price with 1.00 commission.
  const auto& reopened = std::get<PositionOpened>(positions_[2]);
  EXPECT_EQ(reopened.side, PositionSide::kShort);
  EXPECT_EQ(reopened.quantity, Qty(5));
  EXPECT_EQ(reopened.last_qty, Qty(5));
  EXPECT_EQ(reopened.avg_px_open, Px("110"));
  EXPECT_EQ(reopened.realized_pnl, Inr("-1.00"));
  EXPECT_EQ(reopened.commissions, Inr("1.00"));
  EXPECT_EQ(reopened.opening_order_id, ClientOrderId("O-2"));

  // The closed cycle is kept as a snapshot; the live position is the new short.
  const auto& snaps = k().cache().PositionSnapshots(kPositionId);
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_TRUE(snaps[0].is_closed());
  EXPECT_EQ(snaps[0].realized_pnl(), Inr("97.00"));
  EXPECT_EQ(snaps[0].commissions(), Inr("3.00"));
  ASSERT_NE(position(), nullptr);
  EXPECT_EQ(position()->side(), PositionSide::kShort);
  EXPECT_EQ(position()->quantity(), Qty(5));
  EXPECT_EQ(position()->realized_pnl(), Inr("-1.00"));
  // The order itself saw one fill of 15.
  EXPECT_EQ(o2->filled_qty(), Qty(15));
  EXPECT_EQ(o2->status(), OrderStatus::kFilled);
  EXPECT_EQ(k().cache().Positions().size(), 1u);
}

TEST_F(ExecutionEngineTest, ClosedPositionThatReopensIsSnapshotted) {
  const Order* o1 = Working(MakeInit(fut_, "O-1", OrderSide::kBuy, 2));
  client_->Filled(*o1, 2, "100.00");
  const Order* o2 = Working(MakeInit(fut_, "O-2", OrderSide::kSell, 2));
  client_->Filled(*o2, 2, "105.00");
  ASSERT_TRUE(position()->is_closed());
  const Position* before = position();
  EXPECT_TRUE(k().cache().PositionSnapshots(kPositionId).empty());

  const Order* o3 = Working(MakeInit(fut_, "O-3", OrderSide::kBuy, 3));
  client_->Filled(*o3, 3, "90.00", "0.50");
  EXPECT_EQ(PositionEventNames(positions_.items()),
            (std::vector<std::string>{"Opened", "Closed", "Opened"}));
  const auto& snaps = k().cache().PositionSnapshots(kPositionId);
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_EQ(snaps[0].realized_pnl(), Inr("10.00"));
  EXPECT_EQ(snaps[0].closing_order_id(), ClientOrderId("O-2"));
  // Same id and address, fresh figures.
  EXPECT_EQ(position(), before);
  EXPECT_EQ(position()->quantity(), Qty(3));
  EXPECT_EQ(position()->avg_px_open(), Px("90"));
  EXPECT_EQ(position()->realized_pnl(), Inr("-0.50"));
  EXPECT_EQ(position()->opening_order_id(), ClientOrderId("O-3"));
}

// ---------------------------------------------------------------------------------------
// Contingent order lists.

class ContingencyTest : public ExecutionEngineTest {
 protected:
  // Links two or more orders into a list of `type` (OTO: the first is the parent).
  std::vector<const Order*> AddList(std::vector<OrderInitialized> inits, ContingencyType type) {
    std::vector<ClientOrderId> ids;
    for (const auto& i : inits) ids.push_back(i.client_order_id);
    std::vector<const Order*> out;
    for (std::size_t n = 0; n < inits.size(); ++n) {
      OrderInitialized i = inits[n];
      i.order_list_id = OrderListId("OL-1");
      if (type == ContingencyType::kOto) {
        if (n == 0) {
          i.contingency = type;
          i.linked_order_ids.assign(ids.begin() + 1, ids.end());
        } else {
          i.parent_order_id = ids[0];
        }
      } else {
        i.contingency = type;
        for (std::size_t m = 0; m < ids.size(); ++m) {
          if (m != n) i.linked_order_ids.push_back(ids[m]);
        }
      }
      out.push_back(Add(i));
    }
    return out;
  }
  // Sent to the venue, not yet acknowledged (SUBMITTED).
  const Order* Send(const Order* o) {
    exec().Execute(testkit::SubmitCommand(*o));
    client_->Submitted(*o);
    return o;
  }
  void Work(const Order* o) {
    Send(o);
    client_->Accepted(*o);
  }
  // A target O-TP (sell 10 at 110) and a stop O-SL (sell 10 at 90) in a list of `type`; the
  // target working, the stop working too unless `stop_working` is false (submitted only).
  std::pair<const Order*, const Order*> TargetAndStop(ContingencyType type,
                                                      bool stop_working = true) {
    auto list = AddList({MakeInit(fut_, "O-TP", OrderSide::kSell, 10, "110"),
                         MakeInit(fut_, "O-SL", OrderSide::kSell, 10, "90")},
                        type);
    Work(list[0]);
    if (stop_working) {
      Work(list[1]);
    } else {
      Send(list[1]);
    }
    return {list[0], list[1]};
  }
};

TEST_F(ContingencyTest, OtoChildIsReleasedOnlyWhenTheParentIsCompletelyFilled) {
  auto list = AddList({MakeInit(fut_, "O-P", OrderSide::kBuy, 10),
                       MakeInit(fut_, "O-C", OrderSide::kSell, 10, "110")},
                      ContingencyType::kOto);
  Work(list[0]);
  client_->Filled(*list[0], 4, "100");
  EXPECT_EQ(list[0]->status(), OrderStatus::kPartiallyFilled);
  EXPECT_EQ(list[1]->status(), OrderStatus::kInitialized);
  EXPECT_EQ(client_->submits.size(), 1u);  // only the parent so far

  client_->Filled(*list[0], 6, "100");
  ASSERT_EQ(list[0]->status(), OrderStatus::kFilled);
  ASSERT_EQ(client_->submits.size(), 2u);
  EXPECT_EQ(client_->submits[1].client_order_id, ClientOrderId("O-C"));
  EXPECT_EQ(client_->submits[1].strategy_id, StrategyId("S-001"));
}

TEST_F(ContingencyTest, OtoChildIsReleasedThroughTheRiskEngine) {
  auto list = AddList({MakeInit(fut_, "O-P", OrderSide::kBuy, 10),
                       MakeInit(fut_, "O-C", OrderSide::kSell, 10, "110")},
                      ContingencyType::kOto);
  Work(list[0]);
  // REDUCING: the child (a sell closing the parent's buy) passes; an opening one would not.
  k().risk_engine().SetTradingState(TradingState::kReducing);
  client_->Filled(*list[0], 10, "100");
  ASSERT_EQ(client_->submits.size(), 2u);
  EXPECT_EQ(client_->submits[1].client_order_id, ClientOrderId("O-C"));
  auto opening = AddList({MakeInit(fut_, "O-P2", OrderSide::kBuy, 10),
                          MakeInit(fut_, "O-C2", OrderSide::kBuy, 10, "90")},
                         ContingencyType::kOto);
  k().risk_engine().SetTradingState(TradingState::kActive);
  Work(opening[0]);
  k().risk_engine().SetTradingState(TradingState::kReducing);
  client_->Filled(*opening[0], 10, "100");
  EXPECT_EQ(opening[1]->status(), OrderStatus::kDenied);
  ASSERT_EQ(orders_.Of<OrderDenied>().size(), 1u);
  EXPECT_EQ(orders_.Of<OrderDenied>()[0].client_order_id, ClientOrderId("O-C2"));
}

TEST_F(ContingencyTest, AnOtoChildWhoseParentFillsWhileTradingIsHaltedIsHeldUntilItResumes) {
  // A halt (a loss limit, Kite's token refused, the operator's) must not leave the parent's
  // position without its stop for good: the child is held, never sent, not denied, and goes
  // through the risk engine once trading resumes.
  auto list = AddList({MakeInit(fut_, "O-P", OrderSide::kBuy, 10),
                       MakeInit(fut_, "O-C", OrderSide::kSell, 10, "90")},
                      ContingencyType::kOto);
  Work(list[0]);
  k().risk_engine().SetTradingState(TradingState::kHalted, "test halt");
  client_->Filled(*list[0], 4, "100");
  client_->Filled(*list[0], 6, "100");
  EXPECT_EQ(list[1]->status(), OrderStatus::kInitialized);
  EXPECT_TRUE(orders_.Of<OrderDenied>().empty());
  EXPECT_EQ(client_->submits.size(), 1u);
  // A pass over the lists while halted (a Kite reconnect's) holds it too.
  EXPECT_EQ(exec().ActOnContingentLists(/*release_children=*/true), 0u);
  EXPECT_EQ(client_->submits.size(), 1u);
  k().risk_engine().SetTradingState(TradingState::kActive, "resumed");
  ASSERT_EQ(client_->submits.size(), 2u);
  EXPECT_EQ(client_->submits[1].client_order_id, ClientOrderId("O-C"));
  // Once: a later halt and resume sends nothing more.
  k().risk_engine().SetTradingState(TradingState::kHalted, "again");
  k().risk_engine().SetTradingState(TradingState::kActive, "resumed");
  EXPECT_EQ(client_->submits.size(), 2u);

  // Cancelled meanwhile (a cancel-all's CancelPeer): not released at the resume.
  auto other = AddList({MakeInit(fut_, "O-P2", OrderSide::kBuy, 10),
                        MakeInit(fut_, "O-C2", OrderSide::kSell, 10, "90")},
                       ContingencyType::kOto);
  Work(other[0]);
  k().risk_engine().SetTradingState(TradingState::kHalted, "test halt");
  client_->Filled(*other[0], 10, "100");
  exec().CancelPeer(*other[1]);
  EXPECT_EQ(other[1]->status(), OrderStatus::kCanceled);
  k().risk_engine().SetTradingState(TradingState::kActive, "resumed");
  EXPECT_EQ(client_->submits.size(), 3u);  // the second parent only
}

TEST_F(ContingencyTest, AHeldOtoChildThatWouldNoLongerReduceOrWasFromAnEarlierDayIsCancelled) {
  // The parent's position closed while trading was HALTED (a flatten's close, the strategy's
  // exit): the stop held to reduce it would open a new position: cancelled at the resume.
  auto list = AddList({MakeInit(fut_, "O-P", OrderSide::kBuy, 10),
                       MakeInit(fut_, "O-C", OrderSide::kSell, 10, "90")},
                      ContingencyType::kOto);
  Work(list[0]);
  k().risk_engine().SetTradingState(TradingState::kHalted, "flatten");
  client_->Filled(*list[0], 10, "100");
  ASSERT_EQ(list[1]->status(), OrderStatus::kInitialized);
  const Order* exit = Working(MakeInit(fut_, "O-X", OrderSide::kSell, 10, "100"));
  client_->Filled(*exit, 10, "100");
  ASSERT_TRUE(position()->is_closed());
  const std::size_t sent = client_->submits.size();
  k().risk_engine().SetTradingState(TradingState::kActive, "resumed");
  EXPECT_EQ(list[1]->status(), OrderStatus::kCanceled);
  EXPECT_EQ(client_->submits.size(), sent);

  // Filled on one IST day, trading resumed on the next: cancelled, not sent into that market.
  auto next = AddList({MakeInit(fut_, "O-P2", OrderSide::kBuy, 10),
                       MakeInit(fut_, "O-C2", OrderSide::kSell, 10, "90")},
                      ContingencyType::kOto);
  Work(next[0]);
  k().risk_engine().SetTradingState(TradingState::kHalted, "loss limit");
  client_->Filled(*next[0], 10, "100");
  tk_.Advance(kNanosPerDay);
  k().risk_engine().SetTradingState(TradingState::kActive, "new IST day");
  EXPECT_EQ(next[1]->status(), OrderStatus::kCanceled);
  EXPECT_EQ(client_->submits.size(), sent + 1);  // the second parent only
}

TEST_F(ContingencyTest, AHeldOtoChildGoesOnlyWhileItStillReducesItsPosition) {
  // Shrunk meanwhile (long 10 to 7 by a part of an exit): the stop for 10 would turn it short:
  // cancelled, not sent (the error asks for what protects the 7 now).
  auto c = AddList({MakeInit(fut_, "O-P", OrderSide::kBuy, 10),
                    MakeInit(fut_, "O-C", OrderSide::kSell, 10, "90")},
                   ContingencyType::kOto);
  Work(c[0]);
  k().risk_engine().SetTradingState(TradingState::kHalted, "test halt");
  client_->Filled(*c[0], 10, "100");
  const Order* exit = Working(MakeInit(fut_, "O-X", OrderSide::kSell, 10, "100"));
  client_->Filled(*exit, 3, "100");
  client_->Canceled(*exit);
  ASSERT_EQ(position()->quantity(), Qty(7));
  const std::size_t before = client_->submits.size();
  k().risk_engine().SetTradingState(TradingState::kActive, "resumed");
  EXPECT_EQ(c[1]->status(), OrderStatus::kCanceled);
  EXPECT_EQ(client_->submits.size(), before);

  // A child on its parent's instrument and the other side is held as one that closes what the
  // parent traded, whatever the position said then: a re-entry (the parent closed the long, the
  // child buys again lower) would open a position after the halt: refused, the safe side.
  auto re = AddList({MakeInit(fut_, "O-P2", OrderSide::kSell, 7),
                     MakeInit(fut_, "O-C2", OrderSide::kBuy, 7, "95")},
                    ContingencyType::kOto);
  Work(re[0]);
  k().risk_engine().SetTradingState(TradingState::kHalted, "test halt");
  client_->Filled(*re[0], 7, "100");
  ASSERT_TRUE(position()->is_closed());
  k().risk_engine().SetTradingState(TradingState::kActive, "resumed");
  EXPECT_EQ(re[1]->status(), OrderStatus::kCanceled);
  EXPECT_EQ(client_->submits.size(), before + 1);  // the parent only
}

TEST_F(ContingencyTest, ABracketsTargetAndStopHeldWhileHaltedBothGoAtTheResume) {
  // The entry's two children each close the 10 it bought: alternatives, not 20 to close.
  auto list = AddList({MakeInit(fut_, "O-P", OrderSide::kBuy, 10),
                       MakeInit(fut_, "O-TP", OrderSide::kSell, 10, "120"),
                       MakeInit(fut_, "O-SL", OrderSide::kSell, 10, "90")},
                      ContingencyType::kOto);
  Work(list[0]);
  k().risk_engine().SetTradingState(TradingState::kHalted, "test halt");
  client_->Filled(*list[0], 10, "100");
  k().risk_engine().SetTradingState(TradingState::kActive, "resumed");
  ASSERT_EQ(client_->submits.size(), 3u);
  EXPECT_EQ(client_->submits[1].client_order_id, ClientOrderId("O-TP"));
  EXPECT_EQ(client_->submits[2].client_order_id, ClientOrderId("O-SL"));
}

TEST_F(ContingencyTest, AChildTheJournalLeftUnreleasedFromAnEarlierDayIsCancelledNotSent) {
  // The process died after the parent's fill was journaled and before its child was sent; the
  // node starts again the next IST day (a venue that says nothing of its day): the pass over the
  // lists cancels the child rather than send it into that day's market.
  auto list = AddList({MakeInit(fut_, "O-P", OrderSide::kBuy, 10),
                       MakeInit(fut_, "O-C", OrderSide::kSell, 10, "90")},
                      ContingencyType::kOto);
  Work(list[0]);
  {
    const ExecutionEngine::ContingenciesSuspended replay(exec());
    client_->Filled(*list[0], 10, "100");
  }
  ASSERT_EQ(list[1]->status(), OrderStatus::kInitialized);
  tk_.Advance(kNanosPerDay);
  EXPECT_EQ(exec().ActOnContingentLists(/*release_children=*/true), 1u);
  EXPECT_EQ(list[1]->status(), OrderStatus::kCanceled);
  EXPECT_EQ(client_->submits.size(), 1u);
}

TEST_F(ContingencyTest, AHeldOtoChildWaitsWhileAnotherSubscriberHaltsTradingAgainAtOnce) {
  // The loss limit's halt lifts at a new day while an operator's halt waits behind it (the
  // kill switch halts again as trading turns ACTIVE): the child stays held until that lifts.
  bool veto = true;
  k().bus().Subscribe<RiskStateChanged>(topics::kRiskEvents, [&](const RiskStateChanged& e) {
    if (e.state == TradingState::kActive && veto) {
      veto = false;
      k().risk_engine().SetTradingState(TradingState::kHalted, "manual halt");
    }
  });
  auto list = AddList({MakeInit(fut_, "O-P", OrderSide::kBuy, 10),
                       MakeInit(fut_, "O-C", OrderSide::kSell, 10, "90")},
                      ContingencyType::kOto);
  Work(list[0]);
  k().risk_engine().SetTradingState(TradingState::kHalted, "loss limit");
  client_->Filled(*list[0], 10, "100");
  k().risk_engine().SetTradingState(TradingState::kActive, "loss limits start again");
  EXPECT_EQ(k().risk_engine().trading_state(), TradingState::kHalted);
  EXPECT_EQ(list[1]->status(), OrderStatus::kInitialized);
  EXPECT_EQ(client_->submits.size(), 1u);
  k().risk_engine().SetTradingState(TradingState::kActive, "resumed by the operator");
  ASSERT_EQ(client_->submits.size(), 2u);
  EXPECT_EQ(client_->submits[1].client_order_id, ClientOrderId("O-C"));
}

TEST_F(ContingencyTest, OtoChildIsCanceledWhenTheParentDiesUnfilled) {
  auto list = AddList({MakeInit(fut_, "O-P", OrderSide::kBuy, 10, "100"),
                       MakeInit(fut_, "O-C", OrderSide::kSell, 10, "110")},
                      ContingencyType::kOto);
  Work(list[0]);
  client_->Canceled(*list[0]);
  EXPECT_EQ(list[1]->status(), OrderStatus::kCanceled);  // locally: it never left
  EXPECT_TRUE(client_->cancels.empty());
  EXPECT_EQ(client_->submits.size(), 1u);
  EXPECT_EQ(orders_.Of<OrderCanceled>().size(), 2u);
}

TEST_F(ContingencyTest, OtoChildIsCanceledWhenTheParentEndsPartlyFilled) {
  auto list = AddList({MakeInit(fut_, "O-P", OrderSide::kBuy, 10, "100"),
                       MakeInit(fut_, "O-C", OrderSide::kSell, 10, "110")},
                      ContingencyType::kOto);
  Work(list[0]);
  client_->Filled(*list[0], 4, "100");
  EXPECT_EQ(list[1]->status(), OrderStatus::kInitialized);  // still waiting for the rest
  client_->Canceled(*list[0]);
  // A child sized for 10 must not be released against a 4-lot position.
  EXPECT_EQ(list[1]->status(), OrderStatus::kCanceled);
  EXPECT_EQ(client_->submits.size(), 1u);
}

TEST_F(ContingencyTest, OcoFillCancelsThePeerAtTheVenue) {
  const auto [tp, sl] = TargetAndStop(ContingencyType::kOco);
  const std::vector<const Order*> list{tp, sl};
  client_->Filled(*list[0], 4, "110");  // even a partial fill cancels the other
  ASSERT_EQ(client_->cancels.size(), 1u);
  EXPECT_EQ(client_->cancels[0].client_order_id, ClientOrderId("O-SL"));
  // PENDING_CANCEL at once, as a strategy's own cancel (journaled with the command, so a
  // crash before the send leaves a cancel the next start sends again).
  EXPECT_EQ(list[1]->status(), OrderStatus::kPendingCancel);
  EXPECT_EQ(client_->cancels[0].venue_order_id, VenueOrderId("V-O-SL"));
  // The stop's cancel is itself an OCO event: it cancels the rest of the target.
  client_->Canceled(*list[1]);
  ASSERT_EQ(client_->cancels.size(), 2u);
  EXPECT_EQ(client_->cancels[1].client_order_id, ClientOrderId("O-TP"));
  // The remainder fills before that cancel lands: its peer is closed, nothing more to send.
  client_->Filled(*list[0], 6, "110");
  EXPECT_EQ(list[0]->status(), OrderStatus::kFilled);
  EXPECT_EQ(client_->cancels.size(), 2u);
}

TEST_F(ContingencyTest, OcoPartialFillsSendThePeerOneCancelAndARefusedOneIsSentAgain) {
  const auto [tp, sl] = TargetAndStop(ContingencyType::kOco);
  client_->Filled(*tp, 2, "110");
  client_->Filled(*tp, 3, "110");  // the stop's cancel is still on its way: not sent again
  ASSERT_EQ(client_->cancels.size(), 1u);
  EXPECT_EQ(sl->status(), OrderStatus::kPendingCancel);
  // The venue refuses it: the stop works again, and the list still calls for its end: sent
  // again a second later (not at once: the venue refused for a reason).
  client_->CancelRejected(*sl, "venue busy");
  EXPECT_EQ(client_->cancels.size(), 1u);
  tk_.Advance(kNanosPerSecond - 1);
  EXPECT_EQ(client_->cancels.size(), 1u);
  tk_.Advance(1);
  ASSERT_EQ(client_->cancels.size(), 2u);
  EXPECT_EQ(client_->cancels[1].client_order_id, ClientOrderId("O-SL"));
  EXPECT_EQ(sl->status(), OrderStatus::kPendingCancel);
  client_->Filled(*tp, 5, "110");  // filled: the cancel is on its way
  EXPECT_EQ(tp->status(), OrderStatus::kFilled);
  EXPECT_EQ(client_->cancels.size(), 2u);
  // Refused again after the last fill (no fill to come that would ask again): sent again
  // 2 s and then 4 s after each refusal; then the refusals stand until a pass over the lists
  // (a reconnect's).
  client_->CancelRejected(*sl, "venue busy");
  tk_.Advance(2 * kNanosPerSecond - 1);
  EXPECT_EQ(client_->cancels.size(), 2u);
  tk_.Advance(1);
  EXPECT_EQ(client_->cancels.size(), 3u);
  client_->CancelRejected(*sl, "venue busy");
  tk_.Advance(4 * kNanosPerSecond);
  EXPECT_EQ(client_->cancels.size(), 4u);
  client_->CancelRejected(*sl, "venue busy");
  tk_.Advance(60 * kNanosPerSecond);
  EXPECT_EQ(client_->cancels.size(), 4u);
  EXPECT_EQ(sl->status(), OrderStatus::kAccepted);
  EXPECT_EQ(exec().ActOnContingentLists(/*release_children=*/true), 1u);
  EXPECT_EQ(client_->cancels.size(), 5u);
  // A refused cancel of an order whose sibling neither filled nor ended calls for nothing.
  auto other = AddList({MakeInit(fut_, "O-A", OrderSide::kSell, 10, "110"),
                        MakeInit(fut_, "O-B", OrderSide::kSell, 10, "90")},
                       ContingencyType::kOco);
  Work(other[0]);
  Work(other[1]);
  exec().Execute(testkit::CancelCommand(*other[1]));
  const std::size_t sent = client_->cancels.size();
  client_->PendingCancel(*other[1]);
  client_->CancelRejected(*other[1], "venue busy");
  EXPECT_EQ(client_->cancels.size(), sent);
  EXPECT_EQ(other[1]->status(), OrderStatus::kAccepted);
}

TEST_F(ContingencyTest, ARetryDueWhileAModifyTravelsComesOnceTheModifyIsAnswered) {
  const auto [tp, sl] = TargetAndStop(ContingencyType::kOco);
  client_->Filled(*tp, 10, "110");
  ASSERT_EQ(client_->cancels.size(), 1u);
  client_->CancelRejected(*sl, "venue busy");  // asked again a second later
  client_->PendingUpdate(*sl);                 // the strategy trails the stop meanwhile
  tk_.Advance(kNanosPerSecond);
  EXPECT_EQ(client_->cancels.size(), 1u) << "not while the modify travels";
  client_->Updated(*sl, Qty(10), Px("91"));
  tk_.Advance(kNanosPerSecond);
  ASSERT_EQ(client_->cancels.size(), 2u) << "not dropped: asked once the modify is answered";
  EXPECT_EQ(sl->status(), OrderStatus::kPendingCancel);
}

TEST_F(ContingencyTest, ACancelOwedWhileAModifyTravelledIsSentWhenTheModifyIsAnswered) {
  // The stop's cancel overtook it and was refused; the strategy trails the stop before the
  // acknowledgement comes (PENDING_UPDATE through it): once the modify is answered, the cancel
  // the list still owes is sent.
  const auto [tp, sl] = TargetAndStop(ContingencyType::kOco, /*stop_working=*/false);
  client_->Filled(*tp, 10, "110");
  ASSERT_EQ(client_->cancels.size(), 1u);
  client_->CancelRejected(*sl, "order not found");
  client_->PendingUpdate(*sl);
  client_->Accepted(*sl);
  ASSERT_EQ(sl->status(), OrderStatus::kPendingUpdate);
  EXPECT_EQ(client_->cancels.size(), 1u);
  client_->Updated(*sl, Qty(10), Px("91"));
  ASSERT_EQ(client_->cancels.size(), 2u);
  EXPECT_EQ(sl->status(), OrderStatus::kPendingCancel);
}

TEST_F(ContingencyTest, AnOrderAcknowledgedWhileItsCancelOrModifyTravelsStaysPending) {
  // A cancel held for the venue's id: the acknowledgement that brings the id does not read as
  // the cancel having failed; the order is PENDING_CANCEL again at once (journaled with it, so
  // a node dying before the held cancel left sends it at the restart).
  const Order* o = Send(Add(MakeInit(fut_, "O-1", OrderSide::kBuy, 10, "100")));
  client_->PendingCancel(*o);
  client_->Accepted(*o);
  EXPECT_EQ(o->status(), OrderStatus::kPendingCancel);
  EXPECT_EQ(o->venue_order_id(), VenueOrderId("V-O-1"));
  const std::vector<std::string> names = testkit::EventNames(orders_.items());
  ASSERT_GE(names.size(), 2u);
  EXPECT_EQ(std::vector<std::string>(names.end() - 2, names.end()),
            (std::vector<std::string>{"OrderAccepted", "OrderPendingCancel"}));
  EXPECT_TRUE(client_->cancels.empty()) << "an event only: the held cancel is the client's";
  client_->CancelRejected(*o, "too late");  // refused: it works, as acknowledged
  EXPECT_EQ(o->status(), OrderStatus::kAccepted);
  // A modify likewise; its refusal restores ACCEPTED (before, the late acknowledgement made
  // it ACCEPTED and the refusal was an invalid transition).
  const Order* m = Send(Add(MakeInit(fut_, "O-2", OrderSide::kBuy, 10, "100")));
  client_->PendingUpdate(*m);
  client_->Accepted(*m);
  EXPECT_EQ(m->status(), OrderStatus::kPendingUpdate);
  client_->ModifyRejected(*m, "no");
  EXPECT_EQ(m->status(), OrderStatus::kAccepted);
  EXPECT_EQ(exec().refused_event_count(), 0u);
  // A journal's replay applies what was journaled and adds nothing (the pending event that
  // followed is in the journal too).
  const Order* r = Send(Add(MakeInit(fut_, "O-3", OrderSide::kBuy, 10, "100")));
  client_->PendingCancel(*r);
  {
    const ExecutionEngine::ContingenciesSuspended replaying(exec());
    client_->Accepted(*r);
  }
  EXPECT_EQ(r->status(), OrderStatus::kAccepted);
}

TEST_F(ContingencyTest, AListMemberWhoseCancelTheVenueRefusedIsCancelledWhenItWorksAgain) {
  // The stop's cancel overtook its submit and was refused; the acknowledgement comes after:
  // the target filled, so the stop is cancelled again.
  const auto [tp, sl] = TargetAndStop(ContingencyType::kOco, /*stop_working=*/false);
  client_->Filled(*tp, 10, "110");
  ASSERT_EQ(client_->cancels.size(), 1u);
  client_->CancelRejected(*sl, "order not found");  // it had not reached the venue yet
  EXPECT_EQ(sl->status(), OrderStatus::kSubmitted);
  EXPECT_EQ(client_->cancels.size(), 1u);  // not working yet: nothing to act on
  client_->Accepted(*sl);
  ASSERT_EQ(client_->cancels.size(), 2u);
  EXPECT_EQ(sl->status(), OrderStatus::kPendingCancel);

  // A refusal that comes after the peer filled in part (a stale CancelRejected: the order is
  // PARTIALLY_FILLED, not pending) still leads to the cancel the list calls for.
  auto other = AddList({MakeInit(fut_, "O-A", OrderSide::kSell, 10, "110"),
                        MakeInit(fut_, "O-B", OrderSide::kSell, 10, "90")},
                       ContingencyType::kOco);
  Work(other[0]);
  Work(other[1]);
  client_->Filled(*other[0], 10, "110");
  const std::size_t sent = client_->cancels.size();
  client_->Filled(*other[1], 3, "90");  // while its cancel travels
  ASSERT_EQ(other[1]->status(), OrderStatus::kPartiallyFilled);
  client_->CancelRejected(*other[1], "venue busy");
  tk_.Advance(kNanosPerSecond);
  ASSERT_EQ(client_->cancels.size(), sent + 1);
  EXPECT_EQ(client_->cancels.back().client_order_id, ClientOrderId("O-B"));
}

TEST_F(ContingencyTest, OcoCancelOfOneCancelsTheOther) {
  auto list = AddList({MakeInit(fut_, "O-A", OrderSide::kSell, 10, "110"),
                       MakeInit(fut_, "O-B", OrderSide::kSell, 10, "90")},
                      ContingencyType::kOco);
  Work(list[0]);
  Work(list[1]);
  client_->Canceled(*list[1]);
  ASSERT_EQ(client_->cancels.size(), 1u);
  EXPECT_EQ(client_->cancels[0].client_order_id, ClientOrderId("O-A"));
}

TEST_F(ContingencyTest, OcoPeerNeverSentIsCanceledLocally) {
  auto list = AddList({MakeInit(fut_, "O-A", OrderSide::kSell, 10, "110"),
                       MakeInit(fut_, "O-B", OrderSide::kSell, 10, "90")},
                      ContingencyType::kOco);
  Work(list[0]);
  client_->Filled(*list[0], 10, "110");
  EXPECT_EQ(list[1]->status(), OrderStatus::kCanceled);
  EXPECT_TRUE(client_->cancels.empty());
}

TEST_F(ContingencyTest, OuoPartialFillsReduceThePeerByTheTotalFilled) {
  const auto [tp, sl] = TargetAndStop(ContingencyType::kOuo);

  client_->Filled(*tp, 4, "110");
  ASSERT_EQ(client_->modifies.size(), 1u);
  EXPECT_EQ(client_->modifies[0].client_order_id, ClientOrderId("O-SL"));
  EXPECT_EQ(client_->modifies[0].quantity, Qty(6));
  EXPECT_TRUE(client_->cancels.empty());
  // PENDING_UPDATE at once, as a strategy's modify (journaled with the command).
  EXPECT_EQ(sl->status(), OrderStatus::kPendingUpdate);
  client_->Updated(*sl, Qty(6));  // the venue applies the reduction
  ASSERT_EQ(sl->quantity(), Qty(6));
  EXPECT_EQ(sl->status(), OrderStatus::kAccepted);

  // 7 filled in total: the stop must be 3, not 6 - 7 (which would cancel it).
  client_->Filled(*tp, 3, "110");
  ASSERT_EQ(client_->modifies.size(), 2u);
  EXPECT_EQ(client_->modifies[1].quantity, Qty(3));
  EXPECT_TRUE(client_->cancels.empty());

  // Before the venue applies that, 8 filled: the target is 2 whatever the peer shows now.
  client_->Filled(*tp, 1, "110");
  ASSERT_EQ(client_->modifies.size(), 3u);
  EXPECT_EQ(client_->modifies[2].quantity, Qty(2));
  // The reduction to 3 is answered while the one to 2 travels: nothing is sent again.
  client_->Updated(*sl, Qty(3));
  EXPECT_EQ(client_->modifies.size(), 3u);

  // Completely filled: nothing left to protect.
  client_->Filled(*tp, 2, "110");
  ASSERT_EQ(tp->status(), OrderStatus::kFilled);
  ASSERT_EQ(client_->cancels.size(), 1u);
  EXPECT_EQ(client_->cancels[0].client_order_id, ClientOrderId("O-SL"));
  EXPECT_EQ(client_->modifies.size(), 3u);
}

TEST_F(ContingencyTest, AnOuoReductionTheVenueRefusesIsSentAgainAfterAPause) {
  const auto [tp, sl] = TargetAndStop(ContingencyType::kOuo);
  client_->Filled(*tp, 4, "110");
  ASSERT_EQ(client_->modifies.size(), 1u);
  client_->ModifyRejected(*sl, "venue busy");
  ASSERT_EQ(sl->status(), OrderStatus::kAccepted);
  ASSERT_EQ(sl->quantity(), Qty(10));
  // Not at once (the venue refused for a reason), but a second later: the stop still protects
  // 10 where only 6 are left to protect.
  tk_.Advance(kNanosPerSecond - 1);
  EXPECT_EQ(client_->modifies.size(), 1u);
  tk_.Advance(1);
  ASSERT_EQ(client_->modifies.size(), 2u);
  EXPECT_EQ(client_->modifies[1].client_order_id, ClientOrderId("O-SL"));
  EXPECT_EQ(client_->modifies[1].quantity, Qty(6));
  EXPECT_EQ(sl->status(), OrderStatus::kPendingUpdate);
  // Refused again after the stop filled in part meanwhile (the refusal is then stale): still
  // owed, sent again 2 s later, for what the target's fills leave (6; the stop's own fill does
  // not change what the list protects).
  client_->Filled(*sl, 1, "90");
  ASSERT_EQ(sl->status(), OrderStatus::kPartiallyFilled);
  const std::size_t before = client_->modifies.size();
  client_->ModifyRejected(*sl, "venue busy");
  tk_.Advance(2 * kNanosPerSecond - 1);
  EXPECT_EQ(client_->modifies.size(), before);
  tk_.Advance(1);
  ASSERT_EQ(client_->modifies.size(), before + 1);
  EXPECT_EQ(client_->modifies.back().client_order_id, ClientOrderId("O-SL"));
  EXPECT_EQ(client_->modifies.back().quantity, Qty(6));
  // Applied: nothing more to do, however long the clock runs.
  client_->Updated(*sl, Qty(6));
  tk_.Advance(60 * kNanosPerSecond);
  EXPECT_EQ(client_->modifies.size(), before + 1);
}

TEST_F(ContingencyTest, EachOuoReductionGetsItsOwnAttemptsAndARefusedModifyOwingNothingNone) {
  const auto [tp, sl] = TargetAndStop(ContingencyType::kOuo);
  // Three fills of the target, each reduction refused once by a busy venue and applied when
  // sent again: each gets its attempts afresh (not three in the order's life, which would
  // leave the third standing at 6 with only 4 to protect).
  for (int i = 1; i <= 3; ++i) {
    client_->Filled(*tp, 2, "110");
    const Quantity target = Qty(10 - 2 * i);
    ASSERT_EQ(client_->modifies.back().quantity, target) << i;
    const std::size_t sent = client_->modifies.size();
    client_->ModifyRejected(*sl, "venue busy");
    tk_.Advance(kNanosPerSecond);
    ASSERT_EQ(client_->modifies.size(), sent + 1) << i;
    EXPECT_EQ(client_->modifies.back().quantity, target) << i;
    client_->Updated(*sl, target);
    ASSERT_EQ(sl->quantity(), target) << i;
  }
  // The list stands as called for (4 left, the stop at 4): a strategy's modify of the stop that
  // the venue refuses calls for nothing.
  const std::size_t sent = client_->modifies.size();
  exec().Execute(testkit::ModifyCommand(*sl, Qty(4), Px("91")));
  client_->PendingUpdate(*sl);
  client_->ModifyRejected(*sl, "price band");
  tk_.Advance(60 * kNanosPerSecond);
  EXPECT_EQ(client_->modifies.size(), sent + 1);  // the strategy's own, nothing after it
  EXPECT_TRUE(client_->cancels.empty());
  EXPECT_EQ(sl->status(), OrderStatus::kAccepted);
}

TEST_F(ContingencyTest, AStrategysModifyAppliedWhileAnOuoReductionWaitsLeavesItOwed) {
  const auto [tp, sl] = TargetAndStop(ContingencyType::kOuo);
  client_->Filled(*tp, 2, "110");
  ASSERT_EQ(client_->modifies.size(), 1u);
  client_->ModifyRejected(*sl, "venue busy");  // the reduction to 8: asked again a second later
  // Meanwhile the strategy trails the stop, and the venue applies that (at the quantity the
  // stop stands at, 10).
  exec().Execute(testkit::ModifyCommand(*sl, std::nullopt, Px("91")));
  client_->PendingUpdate(*sl);
  client_->Updated(*sl, Qty(10), Px("91"));
  ASSERT_EQ(sl->quantity(), Qty(10));
  const std::size_t sent = client_->modifies.size();
  tk_.Advance(kNanosPerSecond);
  ASSERT_EQ(client_->modifies.size(), sent + 1) << "the reduction is still owed";
  EXPECT_EQ(client_->modifies.back().quantity, Qty(8));
}

TEST_F(ContingencyTest, AVenueThatAppliesAnotherQuantityThanAnOuoReductionIsNotAskedForever) {
  const auto [tp, sl] = TargetAndStop(ContingencyType::kOuo);
  client_->Filled(*tp, 2, "110");
  ASSERT_EQ(client_->modifies.size(), 1u);
  // The venue answers every reduction to 8 with the stop at 9.
  for (int i = 0; i < 10; ++i) {
    if (sl->status() == OrderStatus::kPendingUpdate) client_->Updated(*sl, Qty(9));
    tk_.Advance(10 * kNanosPerSecond);
  }
  EXPECT_EQ(sl->quantity(), Qty(9));
  EXPECT_EQ(client_->modifies.size(), 4u) << "the first and three attempts";
}

TEST_F(ContingencyTest, OuoCancelOfOneCancelsTheOther) {
  auto list = AddList({MakeInit(fut_, "O-A", OrderSide::kSell, 10, "110"),
                       MakeInit(fut_, "O-B", OrderSide::kSell, 10, "90")},
                      ContingencyType::kOuo);
  Work(list[0]);
  Work(list[1]);
  client_->Canceled(*list[0]);
  ASSERT_EQ(client_->cancels.size(), 1u);
  EXPECT_EQ(client_->cancels[0].client_order_id, ClientOrderId("O-B"));
  EXPECT_TRUE(client_->modifies.empty());
}

// ---------------------------------------------------------------------------------------
// Account state.

TEST_F(ExecutionEngineTest, VenueAccountStateIsAppliedAndPublished) {
  Account* account = k().cache().AddAccount(
      std::make_unique<Account>(AccountId("SIM-001"), AccountType::kMargin, Inr("1000.00"),
                                tk_.now(), AccountingMode::kReported),
      Venue("NFO"));
  BusRecorder<AccountState> states(k().bus(), "events.account.*");
  AccountState s = account->Snapshot(Uuid4{}, tk_.now(), true);
  s.balance.total = Inr("1500.00");
  s.margins.push_back(MarginBalance{fut_.id, Inr("0.00"), Inr("200.00")});
  s.balance.locked = Inr("200.00");
  exec().OnAccountState(s);
  EXPECT_EQ(account->balance_total(), Inr("1500.00"));
  EXPECT_EQ(account->balance_locked(), Inr("200.00"));
  EXPECT_EQ(account->balance_free(), Inr("1300.00"));
  ASSERT_EQ(states.size(), 1u);
  EXPECT_TRUE(states[0].reported);

  const auto errors = k().logger().error_count();
  AccountState unknown = s;
  unknown.account_id = AccountId("NOPE-1");
  exec().OnAccountState(unknown);
  EXPECT_EQ(states.size(), 1u);
  EXPECT_EQ(k().logger().error_count(), errors + 1);
}

}  // namespace
}  // namespace nacre
