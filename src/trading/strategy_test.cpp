#include "trading/strategy.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "testkit/kernel_harness.h"
#include "testkit/testkit.h"
#include "venue/simulated_exchange.h"

namespace nacre {
namespace {

using testkit::Inr;
using testkit::MakeBar;
using testkit::MakeBarType;
using testkit::MakeQuote;
using testkit::Px;
using testkit::Qty;

using Names = std::vector<std::string>;

// Exposes the trading API and records every handler call by name.
class RecordingStrategy final : public Strategy {
 public:
  explicit RecordingStrategy(const char* id = "S-001") : Strategy(StrategyId(id)) {}

  using Actor::cache;
  using Actor::SubscribeBars;
  using Actor::SubscribeQuoteTicks;
  using Actor::UnsubscribeQuoteTicks;
  using Strategy::CancelAllOrders;
  using Strategy::CancelOrder;
  using Strategy::CloseAllPositions;
  using Strategy::ClosePosition;
  using Strategy::ModifyOrder;
  using Strategy::order_factory;
  using Strategy::portfolio;
  using Strategy::SubmitOrder;
  using Strategy::SubmitOrderList;

  Names calls;    // specific handlers, in order
  Names generic;  // OnOrderEvent / OnPositionEvent, in order
  std::vector<OrderDenied> denials;
  std::vector<OrderModifyRejected> modify_rejects;
  std::vector<QuoteTick> quotes;
  std::vector<Bar> bars;
  std::vector<Money> balance_on_position_event;

 protected:
  void OnOrderInitialized(const OrderInitialized&) override { calls.push_back("Initialized"); }
  void OnOrderDenied(const OrderDenied& e) override {
    calls.push_back("Denied");
    denials.push_back(e);
  }
  void OnOrderSubmitted(const OrderSubmitted&) override { calls.push_back("Submitted"); }
  void OnOrderAccepted(const OrderAccepted&) override { calls.push_back("Accepted"); }
  void OnOrderRejected(const OrderRejected&) override { calls.push_back("Rejected"); }
  void OnOrderCanceled(const OrderCanceled&) override { calls.push_back("Canceled"); }
  void OnOrderExpired(const OrderExpired&) override { calls.push_back("Expired"); }
  void OnOrderTriggered(const OrderTriggered&) override { calls.push_back("Triggered"); }
  void OnOrderPendingUpdate(const OrderPendingUpdate&) override {
    calls.push_back("PendingUpdate");
  }
  void OnOrderPendingCancel(const OrderPendingCancel&) override {
    calls.push_back("PendingCancel");
  }
  void OnOrderModifyRejected(const OrderModifyRejected& e) override {
    calls.push_back("ModifyRejected");
    modify_rejects.push_back(e);
  }
  void OnOrderCancelRejected(const OrderCancelRejected&) override {
    calls.push_back("CancelRejected");
  }
  void OnOrderUpdated(const OrderUpdated&) override { calls.push_back("Updated"); }
  void OnOrderFilled(const OrderFilled&) override { calls.push_back("Filled"); }
  void OnOrderEvent(const OrderEvent& e) override { generic.emplace_back(EventName(KindOf(e))); }
  void OnPositionOpened(const PositionOpened&) override { calls.push_back("PositionOpened"); }
  void OnPositionChanged(const PositionChanged&) override { calls.push_back("PositionChanged"); }
  void OnPositionClosed(const PositionClosed&) override { calls.push_back("PositionClosed"); }
  void OnPositionEvent(const PositionEvent&) override {
    generic.push_back("PositionEvent");
    if (const Account* a = cache().account(AccountId("SIM-001"))) {
      balance_on_position_event.push_back(a->balance_total());
    }
  }
  void OnQuoteTick(const QuoteTick& q) override { quotes.push_back(q); }
  void OnBar(const Bar& b) override { bars.push_back(b); }
};

class StrategyTest : public ::testing::Test {
 protected:
  StrategyTest() {
    SimulatedVenueConfig config;
    config.venue = Venue("NFO");
    config.account_id = AccountId("SIM-001");
    auto venue = std::make_unique<SimulatedExchange>(SimulatedExchangeConfig::Simple(config));
    venue_ = venue.get();
    k().exec_engine().RegisterClient(std::move(venue));
    auto data = std::make_unique<testkit::RecordingDataClient>("NFO-DATA", "NFO");
    data_ = data.get();
    k().data_engine().RegisterClient(std::move(data));
    for (const Instrument& i : {fut_, opt_}) {
      k().cache().AddInstrument(i);
      venue_->AddInstrument(i);
    }
    k().cache().AddAccount(std::make_unique<Account>(AccountId("SIM-001"), AccountType::kMargin,
                                                     Inr("100000.00"), tk_.now()),
                           Venue("NFO"));
    k().portfolio().ManageAccount(AccountId("SIM-001"));
    auto s = std::make_unique<RecordingStrategy>();
    s_ = s.get();
    EXPECT_TRUE(k().trader().AddStrategy(std::move(s)).ok());
    EXPECT_TRUE(k().Start().ok()) << k().halt_reason();
  }

  Kernel& k() { return tk_.kernel(); }

  // The venue acknowledges queued commands.
  void Ack() { venue_->ProcessCommands(); }
  // The next one-minute bar of an instrument reaches the venue.
  void NextBar(const InstrumentId& id, const char* o, const char* h, const char* l, const char* c) {
    tk_.Advance(kNanosPerMinute);
    venue_->OnBar(MakeBar(MakeBarType(id), o, h, l, c, 100, tk_.now()));
  }
  const Position* PositionOf(const Instrument& inst) {
    return k().cache().position(NettingPositionId(inst.id, s_->strategy_id()));
  }
  // A market order filled at the next bar's open.
  const Order* Fill(const Instrument& inst, OrderSide side, std::int64_t qty, const char* px) {
    const Order* o = s_->SubmitOrder(s_->order_factory().Market(inst.id, side, Qty(qty)));
    Ack();
    NextBar(inst.id, px, px, px, px);
    EXPECT_EQ(o->status(), OrderStatus::kFilled);
    return o;
  }

  testkit::TestKernel tk_;
  const Instrument fut_ = testkit::NiftyFuture();  // lot 1
  const Instrument opt_ = testkit::NiftyOption();  // lot 65
  SimulatedExchange* venue_ = nullptr;
  testkit::RecordingDataClient* data_ = nullptr;
  RecordingStrategy* s_ = nullptr;
};

TEST_F(StrategyTest, SubmitGoesThroughRiskAndVenueWithAsynchronousAcks) {
  ASSERT_TRUE(s_->is_running());
  const Order* o = s_->SubmitOrder(s_->order_factory().Market(fut_.id, OrderSide::kBuy, Qty(2)));
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o, k().cache().order(o->client_order_id()));
  EXPECT_EQ(o->client_order_id(), ClientOrderId("O-20240101-034500-001-001-1"));
  // Submitted comes straight back; acceptance waits for the venue.
  EXPECT_EQ(s_->calls, (Names{"Initialized", "Submitted"}));
  EXPECT_EQ(o->status(), OrderStatus::kSubmitted);

  Ack();
  EXPECT_EQ(s_->calls, (Names{"Initialized", "Submitted", "Accepted"}));
  NextBar(fut_.id, "100", "101", "99", "100.5");
  EXPECT_EQ(s_->calls, (Names{"Initialized", "Submitted", "Accepted", "Filled", "PositionOpened"}));
  EXPECT_EQ(s_->generic, (Names{"OrderInitialized", "OrderSubmitted", "OrderAccepted",
                                "OrderFilled", "PositionEvent"}));
  ASSERT_NE(PositionOf(fut_), nullptr);
  EXPECT_EQ(PositionOf(fut_)->quantity(), Qty(2));
  EXPECT_EQ(PositionOf(fut_)->avg_px_open(), Px("100"));
}

TEST_F(StrategyTest, SpecificHandlerRunsBeforeTheGenericOne) {
  Names order;
  class Probe final : public Strategy {
   public:
    explicit Probe(Names* log) : Strategy(StrategyId("S-PROBE")), log_(log) {}
    using Strategy::order_factory;
    using Strategy::SubmitOrder;

   protected:
    void OnOrderSubmitted(const OrderSubmitted&) override { log_->push_back("specific"); }
    void OnOrderEvent(const OrderEvent& e) override {
      if (std::holds_alternative<OrderSubmitted>(e)) log_->push_back("generic");
    }

   private:
    Names* log_;
  };
  auto probe = std::make_unique<Probe>(&order);
  Probe* p = probe.get();
  ASSERT_TRUE(k().trader().AddStrategy(std::move(probe)).ok());
  k().trader().StartAll();
  p->SubmitOrder(p->order_factory().Market(fut_.id, OrderSide::kBuy, Qty(1)));
  EXPECT_EQ(order, (Names{"specific", "generic"}));
  // Another strategy's events never reach S-001.
  EXPECT_TRUE(s_->calls.empty());
}

TEST_F(StrategyTest, DeniedOrderReachesOnOrderDenied) {
  const Order* o = s_->SubmitOrder(s_->order_factory().Market(opt_.id, OrderSide::kBuy, Qty(100)));
  EXPECT_EQ(s_->calls, (Names{"Initialized", "Denied"}));
  ASSERT_EQ(s_->denials.size(), 1u);
  EXPECT_EQ(s_->denials[0].reason_code, "QUANTITY_NOT_LOT_MULTIPLE");
  EXPECT_EQ(s_->denials[0].message, "quantity=100 lot=65");
  EXPECT_EQ(o->status(), OrderStatus::kDenied);
  EXPECT_FALSE(venue_->has_pending_commands());
}

TEST_F(StrategyTest, DuplicateOrderIsRefused) {
  auto first = s_->order_factory().Limit(fut_.id, OrderSide::kBuy, Qty(1), Px("90"));
  OrderInitialized copy = first->init();
  ASSERT_NE(s_->SubmitOrder(std::move(first)), nullptr);
  EXPECT_EQ(s_->SubmitOrder(std::make_unique<Order>(copy)), nullptr);
  EXPECT_EQ(s_->calls, (Names{"Initialized", "Submitted"}));
}

TEST_F(StrategyTest, ModifyIsAcknowledgedByTheVenue) {
  const Order* o =
      s_->SubmitOrder(s_->order_factory().Limit(fut_.id, OrderSide::kBuy, Qty(1), Px("90")));
  Ack();
  s_->calls.clear();
  s_->ModifyOrder(*o, Qty(2), Px("91"));
  // PENDING_UPDATE from the moment the request leaves, until the venue answers.
  EXPECT_EQ(s_->calls, Names{"PendingUpdate"});
  EXPECT_EQ(o->status(), OrderStatus::kPendingUpdate);
  Ack();
  EXPECT_EQ(s_->calls, (Names{"PendingUpdate", "Updated"}));
  EXPECT_EQ(o->status(), OrderStatus::kAccepted);
  EXPECT_EQ(o->price(), Px("91"));
  EXPECT_EQ(o->quantity(), Qty(2));
}

TEST_F(StrategyTest, ModifyRefusedByRiskComesBackAsModifyRejected) {
  const Order* o =
      s_->SubmitOrder(s_->order_factory().Limit(fut_.id, OrderSide::kBuy, Qty(1), Px("90")));
  Ack();
  s_->calls.clear();
  s_->ModifyOrder(*o, std::nullopt, Px("90.01"));
  // At once, no venue round trip; the refusal restores the state before the request.
  EXPECT_EQ(s_->calls, (Names{"PendingUpdate", "ModifyRejected"}));
  ASSERT_EQ(s_->modify_rejects.size(), 1u);
  EXPECT_EQ(s_->modify_rejects[0].reason.rfind("PRICE_NOT_ON_TICK", 0), 0u);
  EXPECT_EQ(o->price(), Px("90"));
  EXPECT_EQ(o->status(), OrderStatus::kAccepted);
  EXPECT_FALSE(venue_->has_pending_commands());
}

TEST_F(StrategyTest, CancelIsAcknowledgedByTheVenue) {
  const Order* o =
      s_->SubmitOrder(s_->order_factory().Limit(fut_.id, OrderSide::kBuy, Qty(1), Px("90")));
  Ack();
  k().risk_engine().SetTradingState(TradingState::kHalted);  // cancels still pass
  s_->CancelOrder(*o);
  EXPECT_EQ(o->status(), OrderStatus::kPendingCancel);
  Ack();
  EXPECT_EQ(o->status(), OrderStatus::kCanceled);
  EXPECT_EQ(s_->calls.back(), "Canceled");
  // Canceling again: the order already ended, so nothing is sent.
  const std::size_t calls = s_->calls.size();
  s_->CancelOrder(*o);
  EXPECT_FALSE(venue_->has_pending_commands());
  Ack();
  EXPECT_EQ(s_->calls.size(), calls);
  EXPECT_EQ(o->status(), OrderStatus::kCanceled);
}

TEST_F(StrategyTest, CancelAllOrdersBySide) {
  auto& f = s_->order_factory();
  const Order* b1 = s_->SubmitOrder(f.Limit(fut_.id, OrderSide::kBuy, Qty(1), Px("90")));
  const Order* b2 = s_->SubmitOrder(f.Limit(fut_.id, OrderSide::kBuy, Qty(1), Px("89")));
  const Order* sell = s_->SubmitOrder(f.Limit(fut_.id, OrderSide::kSell, Qty(1), Px("110")));
  const Order* other = s_->SubmitOrder(f.Limit(opt_.id, OrderSide::kBuy, Qty(65), Px("10")));
  Ack();
  s_->CancelAllOrders(fut_.id, OrderSide::kBuy);
  Ack();
  EXPECT_EQ(b1->status(), OrderStatus::kCanceled);
  EXPECT_EQ(b2->status(), OrderStatus::kCanceled);
  EXPECT_EQ(sell->status(), OrderStatus::kAccepted);
  s_->CancelAllOrders(fut_.id);
  Ack();
  EXPECT_EQ(sell->status(), OrderStatus::kCanceled);
  EXPECT_EQ(other->status(), OrderStatus::kAccepted);
  EXPECT_EQ(venue_->resting_count(), 1u);
}

// Two closes sent from one handler (as an exit rule firing twice in on_quote would): the
// first reaches the risk engine and the venue before the second is checked, so the second is
// denied instead of flipping the position.
TEST_F(StrategyTest, TwoClosesFromOneHandlerCannotFlipThePosition) {
  Fill(fut_, OrderSide::kBuy, 3, "100");
  const Position* p = PositionOf(fut_);
  ASSERT_TRUE(p->is_open());
  const Order* first = nullptr;
  const Order* second = nullptr;
  k().loop().Run([&] {
    first = s_->ClosePosition(*p);
    second = s_->ClosePosition(*p);
    // Inside the handler nothing has been sent yet.
    EXPECT_EQ(first->status(), OrderStatus::kInitialized);
  });
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(first->status(), OrderStatus::kSubmitted);
  EXPECT_EQ(second->status(), OrderStatus::kDenied);
}

TEST_F(StrategyTest, ClosePositionSendsAReduceOnlyMarketOrderForTheWholeQuantity) {
  Fill(fut_, OrderSide::kBuy, 3, "100");
  const Position* p = PositionOf(fut_);
  ASSERT_TRUE(p->is_open());
  s_->calls.clear();
  const Order* close = s_->ClosePosition(*p, "exit");
  ASSERT_NE(close, nullptr);
  EXPECT_EQ(close->order_type(), OrderType::kMarket);
  EXPECT_EQ(close->side(), OrderSide::kSell);
  EXPECT_EQ(close->quantity(), Qty(3));
  EXPECT_TRUE(close->reduce_only());
  EXPECT_EQ(close->tags(), "exit");
  EXPECT_EQ(close->position_id(), p->id());
  Ack();
  NextBar(fut_.id, "104", "105", "103", "104");
  EXPECT_TRUE(p->is_closed());
  EXPECT_EQ(p->realized_pnl(), Inr("12.00"));
  EXPECT_EQ(s_->calls, (Names{"Initialized", "Submitted", "Accepted", "Filled", "PositionClosed"}));
  // Nothing to close any more.
  EXPECT_EQ(s_->ClosePosition(*p), nullptr);
}

TEST_F(StrategyTest, CloseAllPositionsOptionallyForOneInstrument) {
  Fill(fut_, OrderSide::kBuy, 2, "100");
  Fill(opt_, OrderSide::kSell, 65, "50");
  s_->CloseAllPositions(opt_.id);
  Ack();
  NextBar(opt_.id, "45", "46", "44", "45");
  EXPECT_TRUE(PositionOf(opt_)->is_closed());
  EXPECT_TRUE(PositionOf(fut_)->is_open());
  s_->CloseAllPositions();
  Ack();
  NextBar(fut_.id, "101", "101", "101", "101");
  EXPECT_TRUE(PositionOf(fut_)->is_closed());
  EXPECT_TRUE(k().cache().PositionsOpen().empty());
}

TEST_F(StrategyTest, HandlersRunOnlyWhileRunning) {
  const Order* o = s_->SubmitOrder(s_->order_factory().Market(fut_.id, OrderSide::kBuy, Qty(1)));
  ASSERT_TRUE(s_->Stop());
  s_->calls.clear();
  s_->generic.clear();
  Ack();
  NextBar(fut_.id, "100", "100", "100", "100");
  EXPECT_EQ(o->status(), OrderStatus::kFilled);  // the kernel carries on
  EXPECT_TRUE(s_->calls.empty());
  EXPECT_TRUE(s_->generic.empty());

  ASSERT_TRUE(s_->Resume());
  s_->ClosePosition(*PositionOf(fut_));
  Ack();
  NextBar(fut_.id, "101", "101", "101", "101");
  EXPECT_EQ(s_->calls, (Names{"Initialized", "Submitted", "Accepted", "Filled", "PositionClosed"}));
}

TEST_F(StrategyTest, PositionHandlersSeeThePortfolioAlreadyUpdated) {
  Fill(fut_, OrderSide::kBuy, 10, "100");
  Fill(fut_, OrderSide::kSell, 10, "105");
  ASSERT_EQ(s_->balance_on_position_event.size(), 2u);
  EXPECT_EQ(s_->balance_on_position_event[1], Inr("100050.00"));
  EXPECT_TRUE(s_->portfolio().IsFlat(fut_.id));
  EXPECT_EQ(s_->portfolio().RealizedPnl(fut_.id), Inr("50.00"));
}

TEST_F(StrategyTest, OtoBracketReleasesItsReduceOnlyStopAfterTheEntryFills) {
  auto& f = s_->order_factory();
  std::vector<std::unique_ptr<Order>> orders;
  orders.push_back(f.Market(fut_.id, OrderSide::kBuy, Qty(2)));
  OrderOptions reduce;
  reduce.reduce_only = true;
  orders.push_back(f.StopMarket(fut_.id, OrderSide::kSell, Qty(2), Px("95"), reduce));
  auto list = s_->SubmitOrderList(std::move(orders), ContingencyType::kOto);
  ASSERT_EQ(list.size(), 2u);
  const Order* entry = list[0];
  const Order* stop = list[1];
  EXPECT_EQ(entry->order_list_id(), OrderListId("OL-20240101-034500-001-001-1"));
  EXPECT_EQ(stop->order_list_id(), entry->order_list_id());
  EXPECT_EQ(entry->contingency(), ContingencyType::kOto);
  EXPECT_EQ(entry->linked_order_ids(), std::vector<ClientOrderId>{stop->client_order_id()});
  EXPECT_EQ(stop->parent_order_id(), entry->client_order_id());
  EXPECT_EQ(stop->contingency(), ContingencyType::kNone);
  EXPECT_EQ(entry->status(), OrderStatus::kSubmitted);
  EXPECT_EQ(stop->status(), OrderStatus::kInitialized);  // held for the parent

  Ack();
  NextBar(fut_.id, "100", "101", "99", "100");
  ASSERT_EQ(entry->status(), OrderStatus::kFilled);
  EXPECT_EQ(stop->status(), OrderStatus::kSubmitted);  // released, through risk
  Ack();
  EXPECT_EQ(stop->status(), OrderStatus::kAccepted);
  NextBar(fut_.id, "99", "100", "94", "96");
  EXPECT_EQ(stop->status(), OrderStatus::kFilled);
  EXPECT_EQ(stop->avg_px(), Px("95"));
  EXPECT_TRUE(PositionOf(fut_)->is_closed());
}

TEST_F(StrategyTest, OcoListCancelsTheOtherLegWhenOneFills) {
  auto& f = s_->order_factory();
  Fill(fut_, OrderSide::kBuy, 1, "100");
  std::vector<std::unique_ptr<Order>> orders;
  orders.push_back(f.Limit(fut_.id, OrderSide::kSell, Qty(1), Px("110")));
  orders.push_back(f.StopMarket(fut_.id, OrderSide::kSell, Qty(1), Px("90")));
  auto list = s_->SubmitOrderList(std::move(orders), ContingencyType::kOco);
  EXPECT_EQ(list[0]->contingency(), ContingencyType::kOco);
  EXPECT_EQ(list[1]->linked_order_ids(), std::vector<ClientOrderId>{list[0]->client_order_id()});
  Ack();
  NextBar(fut_.id, "105", "111", "104", "109");
  EXPECT_EQ(list[0]->status(), OrderStatus::kFilled);
  Ack();  // the engine's cancel of the stop
  EXPECT_EQ(list[1]->status(), OrderStatus::kCanceled);
  EXPECT_EQ(venue_->resting_count(), 0u);
}

TEST_F(StrategyTest, EmptyOrderListDoesNothing) {
  EXPECT_TRUE(s_->SubmitOrderList({}, ContingencyType::kOco).empty());
  EXPECT_TRUE(s_->calls.empty());
}

TEST_F(StrategyTest, MarketDataSubscriptionsReachTheHandlers) {
  s_->SubscribeQuoteTicks(fut_.id);
  ASSERT_EQ(data_->subscribed.size(), 1u);
  EXPECT_EQ(data_->subscribed[0].kind, DataKind::kQuotes);
  k().data_engine().Process(MakeQuote(fut_.id, "100.00", "100.10", tk_.now()));
  ASSERT_EQ(s_->quotes.size(), 1u);
  EXPECT_EQ(s_->quotes[0].ask_price, Px("100.1"));
  // Another instrument's quotes are not delivered.
  k().data_engine().Process(MakeQuote(opt_.id, "10.00", "10.10", tk_.now()));
  EXPECT_EQ(s_->quotes.size(), 1u);

  // An INTERNAL bar built from those quotes.
  const BarType mid = MakeBarType(fut_.id, 1, BarAggregation::kMinute, PriceType::kMid,
                                  AggregationSource::kInternal);
  s_->SubscribeBars(mid);
  EXPECT_EQ(data_->subscribed.size(), 1u);  // quotes already subscribed
  tk_.Advance(10 * kNanosPerSecond);
  k().data_engine().Process(MakeQuote(fut_.id, "100.00", "100.20", tk_.now()));
  tk_.Advance(kNanosPerMinute);
  ASSERT_EQ(s_->bars.size(), 1u);
  EXPECT_EQ(s_->bars[0].close, Px("100.1"));

  ASSERT_EQ(s_->quotes.size(), 2u);

  s_->UnsubscribeQuoteTicks(fut_.id);
  EXPECT_TRUE(data_->unsubscribed.empty());  // the bar aggregator still needs the quotes
  k().data_engine().Process(MakeQuote(fut_.id, "100.00", "100.30", tk_.now()));
  EXPECT_EQ(s_->quotes.size(), 2u);  // but this strategy no longer hears them
}

}  // namespace
}  // namespace nacre
