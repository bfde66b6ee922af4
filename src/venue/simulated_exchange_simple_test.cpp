// The simple configuration of SimulatedExchange (SimulatedExchangeConfig::Simple): what the
// separate SimulatedVenue was, now the same exchange with bars or size-less quotes, no
// latency, no charges, no margin, no DAY expiry.
#include "venue/simulated_exchange.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "testkit/kernel_harness.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::BusRecorder;
using testkit::EventNames;
using testkit::MakeInit;
using testkit::MakeQuote;
using testkit::Px;
using testkit::Qty;

using Names = std::vector<std::string>;

class SimulatedVenueTest : public ::testing::Test {
 protected:
  void SetUp() override { Build(BarFillMode::kNextOpen); }

  void Build(BarFillMode mode) {
    events_.reset();
    tk_ = std::make_unique<testkit::TestKernel>();
    SimulatedVenueConfig config;
    config.venue = Venue("NFO");
    config.account_id = AccountId("SIM-001");
    config.bar_fill = mode;
    auto venue = std::make_unique<SimulatedExchange>(SimulatedExchangeConfig::Simple(config));
    venue_ = venue.get();
    k().exec_engine().RegisterClient(std::move(venue));
    for (const Instrument& i : {fut_, opt_}) {
      k().cache().AddInstrument(i);
      venue_->AddInstrument(i);
    }
    events_ = std::make_unique<BusRecorder<OrderEvent>>(k().bus(), "events.order.S-001");
    testkit::AddMissingAccounts(k(), k().clock().Now());
    EXPECT_TRUE(k().Start().ok()) << k().halt_reason();
  }

  Kernel& k() { return tk_->kernel(); }

  const Order* Submit(const OrderInitialized& init) {
    const Order* o = testkit::AddOrder(k(), init);
    k().exec_engine().Execute(testkit::SubmitCommand(*o));
    return o;
  }
  // Submitted and accepted (the venue processed its inbox).
  const Order* Working(const OrderInitialized& init) {
    const Order* o = Submit(init);
    venue_->ProcessCommands();
    return o;
  }
  OrderInitialized Stop(const char* coid, OrderSide side, const char* trigger,
                        const char* limit = nullptr) {
    OrderInitialized i = MakeInit(fut_, coid, side, 1, limit);
    i.order_type = limit ? OrderType::kStopLimit : OrderType::kStopMarket;
    i.trigger_price = Px(trigger);
    return i;
  }

  // The next one-minute bar of the future (the clock moves to its close).
  void NextBar(const char* o, const char* h, const char* l, const char* c) {
    tk_->Advance(kNanosPerMinute);
    venue_->OnBar(testkit::MakeBar(bar_type_, o, h, l, c, 100, tk_->now()));
  }

  std::vector<OrderFilled> Fills() const { return events_->Of<OrderFilled>(); }
  Names EventsOf(const Order* o) const {
    std::vector<OrderEvent> mine;
    for (const OrderEvent& e : events_->items()) {
      if (HeaderOf(e).client_order_id == o->client_order_id()) mine.push_back(e);
    }
    return EventNames(mine);
  }

  const Instrument fut_ = testkit::NiftyFuture();
  const Instrument opt_ = testkit::NiftyOption();
  const BarType bar_type_ = testkit::MakeBarType(fut_.id, 1, BarAggregation::kMinute);
  std::unique_ptr<testkit::TestKernel> tk_;
  SimulatedExchange* venue_ = nullptr;
  std::unique_ptr<BusRecorder<OrderEvent>> events_;
};

TEST_F(SimulatedVenueTest, SubmittedAtOnceAcceptedOnlyWhenCommandsAreProcessed) {
  const Order* o = Submit(MakeInit(fut_, "O-1", OrderSide::kBuy, 1, "90"));
  EXPECT_EQ(o->status(), OrderStatus::kSubmitted);
  EXPECT_EQ(EventsOf(o), Names{"OrderSubmitted"});
  EXPECT_EQ(o->account_id(), AccountId("SIM-001"));
  EXPECT_TRUE(venue_->has_pending_commands());
  EXPECT_EQ(venue_->resting_count(), 0u);

  EXPECT_EQ(venue_->ProcessCommands(), 1u);
  EXPECT_EQ(o->status(), OrderStatus::kAccepted);
  EXPECT_EQ(o->venue_order_id(), VenueOrderId("NFO-1"));
  EXPECT_EQ(EventsOf(o), (Names{"OrderSubmitted", "OrderAccepted"}));
  EXPECT_FALSE(venue_->has_pending_commands());
  EXPECT_EQ(venue_->resting_count(), 1u);
  EXPECT_EQ(venue_->ProcessCommands(), 0u);
}

TEST_F(SimulatedVenueTest, MarketOrderFillsAtTheNextBarOpen) {
  NextBar("100", "103", "99", "102");
  const Order* o = Working(MakeInit(fut_, "O-1", OrderSide::kBuy, 3));
  EXPECT_EQ(o->status(), OrderStatus::kAccepted);  // not at the current bar's close
  EXPECT_TRUE(Fills().empty());

  NextBar("101", "105", "99", "104");
  ASSERT_EQ(Fills().size(), 1u);
  const OrderFilled f = Fills()[0];
  EXPECT_EQ(f.last_px, Px("101"));
  EXPECT_EQ(f.last_qty, Qty(3));
  EXPECT_EQ(f.trade_id, TradeId("NFO-T1"));
  EXPECT_EQ(f.venue_order_id, VenueOrderId("NFO-1"));
  EXPECT_EQ(f.liquidity_side, LiquiditySide::kTaker);
  EXPECT_TRUE(f.commission.is_zero());
  EXPECT_EQ(f.ts_event, tk_->now());
  EXPECT_EQ(o->status(), OrderStatus::kFilled);
  EXPECT_EQ(venue_->resting_count(), 0u);
  EXPECT_EQ(venue_->fill_count(), 1u);
  // The position was opened by the ExecutionEngine.
  const Position* p = k().cache().position(NettingPositionId(fut_.id, StrategyId("S-001")));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->quantity(), Qty(3));

  NextBar("104", "106", "103", "105");
  EXPECT_EQ(Fills().size(), 1u);  // filled once only
}

TEST_F(SimulatedVenueTest, MarketOrderBeforeAnyDataWaitsForTheFirstBar) {
  const Order* o = Working(MakeInit(fut_, "O-1", OrderSide::kSell, 1));
  EXPECT_EQ(o->status(), OrderStatus::kAccepted);
  NextBar("100", "101", "99", "100.5");
  ASSERT_EQ(Fills().size(), 1u);
  EXPECT_EQ(Fills()[0].last_px, Px("100"));
  EXPECT_EQ(Fills()[0].order_side, OrderSide::kSell);
}

TEST_F(SimulatedVenueTest, CurrentCloseModeFillsMarketOrdersAtOnce) {
  Build(BarFillMode::kCurrentClose);
  NextBar("100", "103", "99", "102");
  const Order* o = Working(MakeInit(fut_, "O-1", OrderSide::kBuy, 1));
  EXPECT_EQ(EventsOf(o), (Names{"OrderSubmitted", "OrderAccepted", "OrderFilled"}));
  ASSERT_EQ(Fills().size(), 1u);
  EXPECT_EQ(Fills()[0].last_px, Px("102"));
  EXPECT_EQ(venue_->resting_count(), 0u);
}

TEST_F(SimulatedVenueTest, CurrentCloseModeWithoutDataUsesTheNextOpen) {
  Build(BarFillMode::kCurrentClose);
  const Order* o = Working(MakeInit(fut_, "O-1", OrderSide::kBuy, 1));
  EXPECT_EQ(o->status(), OrderStatus::kAccepted);
  NextBar("100", "103", "99", "102");
  ASSERT_EQ(Fills().size(), 1u);
  EXPECT_EQ(Fills()[0].last_px, Px("100"));
}

TEST_F(SimulatedVenueTest, QuotesFillMarketOrdersAtTheAskOrBid) {
  venue_->OnQuote(MakeQuote(fut_.id, "99.50", "100.50", tk_->now()));
  Working(MakeInit(fut_, "O-BUY", OrderSide::kBuy, 1));
  Working(MakeInit(fut_, "O-SELL", OrderSide::kSell, 1));
  ASSERT_EQ(Fills().size(), 2u);
  EXPECT_EQ(Fills()[0].last_px, Px("100.5"));
  EXPECT_EQ(Fills()[1].last_px, Px("99.5"));
}

TEST_F(SimulatedVenueTest, LimitOrdersFillWhenTheOppositeQuoteCrosses) {
  venue_->OnQuote(MakeQuote(fut_.id, "99.50", "100.50", tk_->now()));
  const Order* buy = Working(MakeInit(fut_, "O-BUY", OrderSide::kBuy, 1, "100"));
  const Order* sell = Working(MakeInit(fut_, "O-SELL", OrderSide::kSell, 1, "101"));
  EXPECT_EQ(venue_->resting_count(), 2u);
  venue_->OnQuote(MakeQuote(fut_.id, "99.80", "99.95", tk_->now()));
  EXPECT_EQ(buy->status(), OrderStatus::kFilled);
  EXPECT_EQ(sell->status(), OrderStatus::kAccepted);
  venue_->OnQuote(MakeQuote(fut_.id, "101.10", "101.20", tk_->now()));
  EXPECT_EQ(sell->status(), OrderStatus::kFilled);
  // Resting orders trade at their own limits as the maker, never at the crossing quote's
  // better price.
  ASSERT_EQ(Fills().size(), 2u);
  EXPECT_EQ(Fills()[0].last_px, Px("100"));
  EXPECT_EQ(Fills()[0].liquidity_side, LiquiditySide::kMaker);
  EXPECT_EQ(Fills()[1].last_px, Px("101"));
  EXPECT_EQ(Fills()[1].liquidity_side, LiquiditySide::kMaker);
}

TEST_F(SimulatedVenueTest, LimitFillsAtTheLimitWhenTheBarTradesThroughIt) {
  const Order* buy = Working(MakeInit(fut_, "O-BUY", OrderSide::kBuy, 1, "98"));
  const Order* sell = Working(MakeInit(fut_, "O-SELL", OrderSide::kSell, 1, "105"));
  NextBar("100", "104.95", "98.05", "99");  // touches neither
  EXPECT_TRUE(Fills().empty());
  EXPECT_EQ(venue_->resting_count(), 2u);
  NextBar("100", "106", "97", "99");
  ASSERT_EQ(Fills().size(), 2u);
  EXPECT_EQ(buy->avg_px(), Px("98"));
  EXPECT_EQ(sell->avg_px(), Px("105"));
  EXPECT_EQ(Fills()[0].liquidity_side, LiquiditySide::kMaker);
  EXPECT_EQ(venue_->resting_count(), 0u);
}

TEST_F(SimulatedVenueTest, RestingLimitFillsAtItsLimitWhenTheBarGapsThroughIt) {
  const Order* buy = Working(MakeInit(fut_, "O-BUY", OrderSide::kBuy, 1, "98"));
  NextBar("96", "99", "95", "97");
  ASSERT_EQ(Fills().size(), 1u);
  EXPECT_EQ(buy->avg_px(), Px("98"));  // its limit, not the better open
  EXPECT_EQ(Fills()[0].liquidity_side, LiquiditySide::kMaker);
  const Order* sell = Working(MakeInit(fut_, "O-SELL", OrderSide::kSell, 1, "105"));
  NextBar("107", "108", "106", "107");
  EXPECT_EQ(sell->avg_px(), Px("105"));
}

TEST_F(SimulatedVenueTest, MarketableLimitFillsOnAcceptanceAtTheLastPrice) {
  NextBar("100", "103", "99", "102");
  const Order* buy = Working(MakeInit(fut_, "O-BUY", OrderSide::kBuy, 1, "103"));
  const Order* sell = Working(MakeInit(fut_, "O-SELL", OrderSide::kSell, 1, "101"));
  const Order* rest = Working(MakeInit(fut_, "O-REST", OrderSide::kBuy, 1, "101.95"));
  EXPECT_EQ(buy->avg_px(), Px("102"));
  EXPECT_EQ(sell->avg_px(), Px("102"));
  EXPECT_EQ(rest->status(), OrderStatus::kAccepted);
  EXPECT_EQ(venue_->resting_count(), 1u);
}

TEST_F(SimulatedVenueTest, StopMarketTriggersAndFillsAtTheTrigger) {
  const Order* buy = Working(Stop("O-BUY", OrderSide::kBuy, "105"));
  const Order* sell = Working(Stop("O-SELL", OrderSide::kSell, "95"));
  NextBar("100", "104.95", "95.05", "100");  // touches neither trigger
  EXPECT_EQ(EventsOf(buy), (Names{"OrderSubmitted", "OrderAccepted"}));
  EXPECT_FALSE(buy->is_triggered());
  NextBar("100", "106", "94", "100");
  EXPECT_EQ(EventsOf(buy),
            (Names{"OrderSubmitted", "OrderAccepted", "OrderTriggered", "OrderFilled"}));
  EXPECT_TRUE(buy->is_triggered());
  EXPECT_EQ(buy->avg_px(), Px("105"));
  EXPECT_EQ(sell->avg_px(), Px("95"));
  EXPECT_EQ(venue_->resting_count(), 0u);
}

TEST_F(SimulatedVenueTest, StopMarketFillsAtTheOpenOnAGap) {
  const Order* buy = Working(Stop("O-BUY", OrderSide::kBuy, "105"));
  const Order* sell = Working(Stop("O-SELL", OrderSide::kSell, "95"));
  NextBar("107", "108", "106", "107");
  EXPECT_EQ(buy->avg_px(), Px("107"));
  NextBar("93", "94", "92", "93");
  EXPECT_EQ(sell->avg_px(), Px("93"));
}

TEST_F(SimulatedVenueTest, StopLimitTriggersThenFillsWithinItsLimit) {
  const Order* o = Working(Stop("O-1", OrderSide::kBuy, "105", "106"));
  NextBar("100", "107", "99", "106");
  EXPECT_EQ(EventsOf(o),
            (Names{"OrderSubmitted", "OrderAccepted", "OrderTriggered", "OrderFilled"}));
  EXPECT_EQ(o->avg_px(), Px("105"));
}

TEST_F(SimulatedVenueTest, TriggeredStopLimitRestsAsALimit) {
  // Buy stop 105, limit 104: the trigger bar is above the limit, so it rests.
  const Order* o = Working(Stop("O-1", OrderSide::kBuy, "105", "104"));
  NextBar("100", "106", "99", "105.5");
  EXPECT_EQ(o->status(), OrderStatus::kTriggered);
  EXPECT_TRUE(Fills().empty());
  EXPECT_EQ(venue_->resting_count(), 1u);

  NextBar("105", "106", "104.5", "105");  // never reaches 104
  EXPECT_EQ(o->status(), OrderStatus::kTriggered);
  // Opens above the limit and trades down through it: filled at the limit.
  NextBar("104.5", "105", "103.5", "104");
  ASSERT_EQ(Fills().size(), 1u);
  EXPECT_EQ(o->avg_px(), Px("104"));
  EXPECT_EQ(Fills()[0].liquidity_side, LiquiditySide::kMaker);
  EXPECT_EQ(o->status(), OrderStatus::kFilled);
  // Triggered exactly once.
  EXPECT_EQ(events_->Of<OrderTriggered>().size(), 1u);
}

TEST_F(SimulatedVenueTest, TriggeredStopLimitRestsAndFillsAtItsLimitWhenABarGapsThroughIt) {
  const Order* o = Working(Stop("O-1", OrderSide::kSell, "95", "96"));
  NextBar("100", "101", "94", "95");  // triggered at 95, below the 96 limit: rests
  EXPECT_EQ(o->status(), OrderStatus::kTriggered);
  NextBar("97", "98", "96.5", "97.5");
  EXPECT_EQ(o->avg_px(), Px("96"));
}

TEST_F(SimulatedVenueTest, IocLimitThatCannotFillIsCanceled) {
  venue_->OnQuote(MakeQuote(fut_.id, "99.50", "100.50", tk_->now()));
  const Order* miss =
      Working(MakeInit(fut_, "O-MISS", OrderSide::kBuy, 1, "100", TimeInForce::kIoc));
  EXPECT_EQ(EventsOf(miss), (Names{"OrderSubmitted", "OrderAccepted", "OrderCanceled"}));
  EXPECT_EQ(venue_->resting_count(), 0u);
  const Order* hit =
      Working(MakeInit(fut_, "O-HIT", OrderSide::kBuy, 1, "100.50", TimeInForce::kIoc));
  EXPECT_EQ(hit->status(), OrderStatus::kFilled);
  EXPECT_EQ(hit->avg_px(), Px("100.5"));
  // Without any market an IOC limit cannot fill either.
  const Order* blind =
      Working(MakeInit(opt_, "O-BLIND", OrderSide::kBuy, 65, "100", TimeInForce::kIoc));
  EXPECT_EQ(blind->status(), OrderStatus::kCanceled);
}

TEST_F(SimulatedVenueTest, CancelRemovesARestingOrderAsynchronously) {
  const Order* o = Working(MakeInit(fut_, "O-1", OrderSide::kBuy, 1, "90"));
  k().exec_engine().Execute(testkit::CancelCommand(*o));
  EXPECT_EQ(o->status(), OrderStatus::kAccepted);  // nothing until processed
  venue_->ProcessCommands();
  EXPECT_EQ(o->status(), OrderStatus::kCanceled);
  EXPECT_EQ(venue_->resting_count(), 0u);
  NextBar("89", "91", "85", "90");  // would have filled
  EXPECT_TRUE(Fills().empty());
}

TEST_F(SimulatedVenueTest, SubmitThenCancelBeforeProcessingIsAcceptedThenCanceled) {
  const Order* o = Submit(MakeInit(fut_, "O-1", OrderSide::kBuy, 1, "90"));
  k().exec_engine().Execute(testkit::CancelCommand(*o));
  EXPECT_EQ(venue_->ProcessCommands(), 2u);
  EXPECT_EQ(EventsOf(o), (Names{"OrderSubmitted", "OrderAccepted", "OrderCanceled"}));
}

TEST_F(SimulatedVenueTest, CancelOfAFilledOrderIsRejected) {
  const Order* o = Working(MakeInit(fut_, "O-1", OrderSide::kBuy, 1));
  NextBar("100", "101", "99", "100");
  ASSERT_EQ(o->status(), OrderStatus::kFilled);
  k().exec_engine().Execute(testkit::CancelCommand(*o));
  venue_->ProcessCommands();
  const auto rejects = events_->Of<OrderCancelRejected>();
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].reason, "order not open at venue");
  EXPECT_EQ(rejects[0].venue_order_id, VenueOrderId("NFO-1"));
  EXPECT_EQ(o->status(), OrderStatus::kFilled);
}

TEST_F(SimulatedVenueTest, CancelOfAnOrderTheVenueNeverSawIsRejected) {
  const Order* o = testkit::AddOrder(k(), MakeInit(fut_, "O-1", OrderSide::kBuy, 1, "90"));
  k().exec_engine().Execute(testkit::CancelCommand(*o));
  venue_->ProcessCommands();
  ASSERT_EQ(events_->Of<OrderCancelRejected>().size(), 1u);
  EXPECT_EQ(o->status(), OrderStatus::kInitialized);
}

TEST_F(SimulatedVenueTest, ModifyUpdatesARestingOrder) {
  const Order* o = Working(MakeInit(fut_, "O-1", OrderSide::kBuy, 1, "98"));
  k().exec_engine().Execute(testkit::ModifyCommand(*o, Qty(2), Px("97")));
  EXPECT_EQ(*o->price(), Px("98"));  // asynchronous
  venue_->ProcessCommands();
  const auto updates = events_->Of<OrderUpdated>();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].quantity, Qty(2));
  EXPECT_EQ(updates[0].price, Px("97"));
  EXPECT_EQ(o->status(), OrderStatus::kAccepted);
  EXPECT_EQ(*o->price(), Px("97"));
  EXPECT_EQ(o->quantity(), Qty(2));

  NextBar("99", "100", "97.5", "99");  // would have filled the old price
  EXPECT_TRUE(Fills().empty());
  NextBar("99", "100", "96", "99");
  ASSERT_EQ(Fills().size(), 1u);
  EXPECT_EQ(Fills()[0].last_px, Px("97"));
  EXPECT_EQ(Fills()[0].last_qty, Qty(2));
}

TEST_F(SimulatedVenueTest, ModifyToAMarketablePriceFillsAtOnce) {
  NextBar("100", "103", "99", "102");
  const Order* o = Working(MakeInit(fut_, "O-1", OrderSide::kBuy, 1, "98"));
  k().exec_engine().Execute(testkit::ModifyCommand(*o, std::nullopt, Px("103")));
  venue_->ProcessCommands();
  EXPECT_EQ(EventsOf(o), (Names{"OrderSubmitted", "OrderAccepted", "OrderUpdated", "OrderFilled"}));
  EXPECT_EQ(o->avg_px(), Px("102"));
  EXPECT_EQ(venue_->resting_count(), 0u);
}

TEST_F(SimulatedVenueTest, InvalidModifiesAreRejected) {
  const Order* o = Working(MakeInit(fut_, "O-1", OrderSide::kBuy, 2, "98"));
  k().exec_engine().Execute(testkit::ModifyCommand(*o, Qty(0)));
  venue_->ProcessCommands();
  auto rejects = events_->Of<OrderModifyRejected>();
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].reason, "quantity 0 not above filled 0");
  EXPECT_EQ(o->quantity(), Qty(2));

  k().exec_engine().Execute(testkit::CancelCommand(*o));
  venue_->ProcessCommands();
  k().exec_engine().Execute(testkit::ModifyCommand(*o, Qty(1)));
  venue_->ProcessCommands();
  rejects = events_->Of<OrderModifyRejected>();
  ASSERT_EQ(rejects.size(), 2u);
  EXPECT_EQ(rejects[1].reason, "order not open at venue");
  EXPECT_EQ(o->status(), OrderStatus::kCanceled);
}

TEST_F(SimulatedVenueTest, BarsMatchOnlyTheirOwnInstrument) {
  const Order* o = Working(MakeInit(opt_, "O-OPT", OrderSide::kBuy, 65));
  NextBar("100", "101", "99", "100");  // a future bar
  EXPECT_EQ(o->status(), OrderStatus::kAccepted);
  tk_->Advance(kNanosPerMinute);
  venue_->OnBar(
      testkit::MakeBar(testkit::MakeBarType(opt_.id), "50", "51", "49", "50", 10, tk_->now()));
  EXPECT_EQ(o->avg_px(), Px("50"));
}

TEST_F(SimulatedVenueTest, StatusReportsListEveryOrderOfTheDayFromTheLedger) {
  const Order* a = Working(MakeInit(fut_, "O-A", OrderSide::kBuy, 1, "90"));
  OrderInitialized stop = Stop("O-B", OrderSide::kSell, "80");
  Working(stop);
  Working(MakeInit(opt_, "O-C", OrderSide::kSell, 65, "200"));
  Working(MakeInit(fut_, "O-FILLED", OrderSide::kBuy, 1));
  NextBar("100", "101", "99", "100");  // fills the market order only

  auto all = venue_->GenerateOrderStatusReports({});
  ASSERT_EQ(all.size(), 4u);  // by client order id; the filled one too
  EXPECT_EQ(all[3].client_order_id, ClientOrderId("O-FILLED"));
  EXPECT_EQ(all[3].status, OrderStatus::kFilled);
  EXPECT_EQ(all[3].avg_px, Px("100"));
  ReportQuery open;
  open.open_only = true;
  EXPECT_EQ(venue_->GenerateOrderStatusReports(open).size(), 3u);
  EXPECT_EQ(all[0].client_order_id, ClientOrderId("O-A"));
  EXPECT_EQ(all[0].venue_order_id, a->venue_order_id());
  EXPECT_EQ(all[0].account_id, AccountId("SIM-001"));
  EXPECT_EQ(all[0].status, OrderStatus::kAccepted);
  EXPECT_EQ(all[0].side, OrderSide::kBuy);
  EXPECT_EQ(all[0].order_type, OrderType::kLimit);
  EXPECT_EQ(all[0].quantity, Qty(1));
  EXPECT_EQ(all[0].price, Px("90"));
  EXPECT_EQ(all[1].order_type, OrderType::kStopMarket);
  EXPECT_EQ(all[1].trigger_price, Px("80"));
  EXPECT_EQ(all[2].instrument_id, opt_.id);

  ReportQuery q;
  q.instrument_id = opt_.id;
  auto only_opt = venue_->GenerateOrderStatusReports(q);
  ASSERT_EQ(only_opt.size(), 1u);
  EXPECT_EQ(only_opt[0].client_order_id, ClientOrderId("O-C"));
}

TEST_F(SimulatedVenueTest, ResetForgetsOrdersAndMarkets) {
  NextBar("100", "101", "99", "100");
  Working(MakeInit(fut_, "O-1", OrderSide::kBuy, 1, "90"));
  Submit(MakeInit(fut_, "O-2", OrderSide::kBuy, 1, "90"));
  venue_->Reset();
  EXPECT_EQ(venue_->resting_count(), 0u);
  EXPECT_FALSE(venue_->has_pending_commands());
  EXPECT_EQ(venue_->fill_count(), 0u);
  EXPECT_TRUE(venue_->GenerateOrderStatusReports({}).empty());
}

TEST_F(SimulatedVenueTest, OcoLegsNeverBothFillOnOneBar) {
  NextBar("100", "101", "99", "100");
  OrderInitialized tp = MakeInit(fut_, "O-TP", OrderSide::kSell, 1, "110");
  tp.contingency = ContingencyType::kOco;
  tp.linked_order_ids = {ClientOrderId("O-SL")};
  OrderInitialized sl = Stop("O-SL", OrderSide::kSell, "90");
  sl.contingency = ContingencyType::kOco;
  sl.linked_order_ids = {ClientOrderId("O-TP")};
  const Order* a = Working(tp);
  const Order* b = Working(sl);
  NextBar("100", "115", "85", "100");  // reaches both the target and the stop
  ASSERT_EQ(Fills().size(), 1u);
  EXPECT_EQ(a->status(), OrderStatus::kFilled);  // first in arrival order
  venue_->ProcessCommands();
  EXPECT_EQ(b->status(), OrderStatus::kCanceled);
  EXPECT_EQ(venue_->resting_count(), 0u);
}

TEST_F(SimulatedVenueTest, OlderCoarserBarCannotFillANewerOrder) {
  NextBar("100", "101", "99", "100");
  NextBar("100", "101", "99", "100");
  const Order* o = Working(MakeInit(fut_, "O-1", OrderSide::kBuy, 1));
  // A 5-minute bar closing now began before the order existed: its open is stale.
  const BarType five = testkit::MakeBarType(fut_.id, 5, BarAggregation::kMinute);
  venue_->OnBar(testkit::MakeBar(five, "90", "105", "89", "104", 100, tk_->now()));
  EXPECT_TRUE(Fills().empty());
  EXPECT_EQ(o->status(), OrderStatus::kAccepted);
  NextBar("104", "106", "103", "105");
  ASSERT_EQ(Fills().size(), 1u);
  EXPECT_EQ(Fills()[0].last_px, Px("104"));
}

}  // namespace
}  // namespace nacre
