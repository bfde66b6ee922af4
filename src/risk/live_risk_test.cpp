// [risk.live] limits through the kernel: orders from a strategy (the spread executor for the
// per-spread limits) or straight to the RiskEngine endpoint, fills and quotes through the
// execution and data engines, so the portfolio's P&L and the position events drive the loss
// limits as they would in a run. The test plays the venue (RecordingExecClient).
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "risk/risk_engine.h"
#include "testkit/kernel_harness.h"
#include "testkit/testkit.h"
#include "trading/strategy.h"

namespace nacre {
namespace {

using testkit::BusRecorder;
using testkit::Inr;
using testkit::MakeInit;
using testkit::MakeQuote;
using testkit::Px;
using testkit::Qty;
using testkit::RecordingExecClient;

class SpreadStrategy final : public Strategy {
 public:
  SpreadStrategy() : Strategy(StrategyId("S-001")) {}
  using Strategy::CloseSpread;
  using Strategy::spread;
  using Strategy::SubmitSpread;
};

class LiveRiskTest : public ::testing::Test {
 protected:
  void Build(const LiveRiskLimits& live) {
    KernelConfig config = testkit::QuietKernelConfig();
    config.risk_engine.live = live;
    tk_ = std::make_unique<testkit::TestKernel>(config);
    auto venue = std::make_unique<RecordingExecClient>("NFO", "NFO");
    venue_ = venue.get();
    k().exec_engine().RegisterClient(std::move(venue));
    for (const Instrument& i : {call_, put_, wing_}) k().cache().AddInstrument(i);
    k().cache().AddAccount(std::make_unique<Account>(AccountId("SIM-001"), AccountType::kMargin,
                                                     Inr("1000000.00"), tk_->now()),
                           Venue("NFO"));
    k().portfolio().ManageAccount(AccountId("SIM-001"));
    auto s = std::make_unique<SpreadStrategy>();
    s_ = s.get();
    ASSERT_TRUE(k().trader().AddStrategy(std::move(s)).ok());
    events_ = std::make_unique<BusRecorder<OrderEvent>>(k().bus(), "events.order.*");
    states_ = std::make_unique<BusRecorder<RiskStateChanged>>(k().bus(), topics::kRiskEvents);
    ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  }

  Kernel& k() { return tk_->kernel(); }
  RiskEngine& risk() { return k().risk_engine(); }

  // An order sent to the risk engine's endpoint, as a strategy's submit reaches it.
  const Order* Submit(const OrderInitialized& init) {
    const Order* o = testkit::AddOrder(k(), init);
    EXPECT_TRUE(k().bus()
                    .Send(topics::kRiskEngineExecute, TradingCommand(testkit::SubmitCommand(*o)))
                    .ok());
    return o;
  }
  // A quote through the data engine (cache, then the bus), `after` past the clock's now.
  void Quote(const Instrument& i, const char* bid, const char* ask,
             DurationNs after = kNanosPerSecond) {
    tk_->Advance(after);
    k().data_engine().Process(MakeQuote(i.id, bid, ask, tk_->now()));
  }
  std::optional<OrderDenied> DenialOf(const Order* o) const {
    for (const auto& d : events_->Of<OrderDenied>()) {
      if (d.client_order_id == o->client_order_id()) return d;
    }
    return std::nullopt;
  }
  // "CODE: message" of the order's denial, or "passed" when it reached the venue.
  std::string Outcome(const Order* o) const {
    if (auto d = DenialOf(o)) return d->reason_code + ": " + d->message;
    for (const auto& s : venue_->submits) {
      if (s.client_order_id == o->client_order_id()) return "passed";
    }
    return "neither denied nor sent";
  }
  const Order* LastOrder() { return k().cache().Orders().back(); }
  void Fill(const Order* o, std::int64_t qty, const char* px) {
    if (o->status() == OrderStatus::kInitialized) {
      venue_->Submitted(*o);
      venue_->Accepted(*o);
    }
    venue_->Filled(*o, qty, px);
  }
  // A bull put of `lots` at market: sell the 24000 put, buy the 23900 wing (sent first).
  SpreadOrderSpec BullPut(std::uint32_t lots) {
    SpreadOrderSpec spec;
    spec.legs = {{put_.id, OrderSide::kSell, 1}, {wing_.id, OrderSide::kBuy, 1}};
    spec.lots = lots;
    return spec;
  }
  // Opens a bull put and fills both legs; returns its id.
  SpreadId OpenBullPut(std::uint32_t lots) {
    auto id = s_->SubmitSpread(BullPut(lots));
    EXPECT_TRUE(id.ok()) << id.error();
    Fill(LastOrder(), 65 * lots, "70.00");   // the wing
    Fill(LastOrder(), 65 * lots, "100.00");  // then the short
    EXPECT_EQ(s_->spread(*id)->state(), SpreadState::kOpen);
    return *id;
  }

  std::unique_ptr<testkit::TestKernel> tk_;
  RecordingExecClient* venue_ = nullptr;
  SpreadStrategy* s_ = nullptr;
  std::unique_ptr<BusRecorder<OrderEvent>> events_;
  std::unique_ptr<BusRecorder<RiskStateChanged>> states_;
  const Instrument call_ = testkit::NiftyOption(OptionKind::kCall, "24000");  // lot 65
  const Instrument put_ = testkit::NiftyOption(OptionKind::kPut, "24000");
  const Instrument wing_ = testkit::NiftyOption(OptionKind::kPut, "23900");
};

TEST_F(LiveRiskTest, LotsPerOrderDeniesAboveTheLimitAndPassesAtIt) {
  LiveRiskLimits live;
  live.max_lots_per_order = 10;
  Build(live);
  EXPECT_EQ(Outcome(Submit(MakeInit(call_, "O-10", OrderSide::kBuy, 650, "100"))), "passed");
  EXPECT_EQ(Outcome(Submit(MakeInit(call_, "O-11", OrderSide::kBuy, 715, "100"))),
            "LIVE_MAX_LOTS_PER_ORDER: lots=11 limit=10");
  // A modify that takes an order past the limit is refused; the order keeps its quantity.
  const Order* o = k().cache().order(ClientOrderId("O-10"));
  venue_->Submitted(*o);
  venue_->Accepted(*o);
  ASSERT_TRUE(
      k().bus()
          .Send(topics::kRiskEngineExecute, TradingCommand(testkit::ModifyCommand(*o, Qty(715))))
          .ok());
  const auto rejects = events_->Of<OrderModifyRejected>();
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].reason, "LIVE_MAX_LOTS_PER_ORDER: lots=11 limit=10");
  EXPECT_TRUE(venue_->modifies.empty());
  EXPECT_EQ(o->quantity(), Qty(650));
}

TEST_F(LiveRiskTest, OrdersPerDayCountsSubmissionsOfTheIstDay) {
  LiveRiskLimits live;
  live.max_orders_per_day = 2;
  Build(live);
  testkit::FillThroughEngine(k(), call_, "HELD", OrderSide::kBuy, 65, "100");
  EXPECT_EQ(Outcome(Submit(MakeInit(put_, "O-1", OrderSide::kBuy, 65, "100"))), "passed");
  EXPECT_EQ(Outcome(Submit(MakeInit(put_, "O-2", OrderSide::kBuy, 65, "100"))), "passed");
  EXPECT_EQ(Outcome(Submit(MakeInit(put_, "O-3", OrderSide::kBuy, 65, "100"))),
            "LIVE_MAX_ORDERS_PER_DAY: orders=2 limit=2 on 2024-01-01 IST");
  // A denied order is not a submission; an order that reduces a position always passes (and
  // counts).
  EXPECT_EQ(risk().orders_today(), 2u);
  EXPECT_EQ(Outcome(Submit(MakeInit(call_, "O-CLOSE", OrderSide::kSell, 65, "100"))), "passed");
  EXPECT_EQ(risk().orders_today(), 3u);
  // 23:59:59 IST is still the same day; midnight IST starts a new count.
  tk_->AdvanceTo(FromIst(2024, 1, 1, 23, 59, 59));
  EXPECT_EQ(Outcome(Submit(MakeInit(put_, "O-4", OrderSide::kBuy, 65, "100"))),
            "LIVE_MAX_ORDERS_PER_DAY: orders=3 limit=2 on 2024-01-01 IST");
  tk_->AdvanceTo(FromIst(2024, 1, 2, 0, 0));
  EXPECT_EQ(Outcome(Submit(MakeInit(put_, "O-5", OrderSide::kBuy, 65, "100"))), "passed");
  EXPECT_EQ(risk().orders_today(), 1u);
}

TEST_F(LiveRiskTest, LotsPerSpreadCountsTheSpreadsLegsThroughTheExecutor) {
  LiveRiskLimits live;
  live.max_lots_per_spread = 2;
  Build(live);
  // Three lots: the wing, sent first, is denied and the spread fails without an order out.
  auto big = s_->SubmitSpread(BullPut(3));
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(Outcome(LastOrder()),
            "LIVE_MAX_LOTS_PER_SPREAD: spread=S-001-SP0001 leg=2 lots=3 limit=2");
  EXPECT_EQ(s_->spread(*big)->state(), SpreadState::kFailed);
  EXPECT_TRUE(venue_->submits.empty());
  // Two lots pass, leg by leg.
  const SpreadId ok = OpenBullPut(2);
  EXPECT_EQ(venue_->submits.size(), 2u);
  // Closing legs are not opening lots: the close passes.
  ASSERT_TRUE(s_->CloseSpread(ok).ok());
  EXPECT_EQ(Outcome(LastOrder()), "passed");
}

TEST_F(LiveRiskTest, LotsPerSpreadAddsAnEarlierOrderOfTheSameLeg) {
  LiveRiskLimits live;
  live.max_lots_per_spread = 2;
  Build(live);
  // Orders tagged as one leg of one spread: a working 2-lot order and another lot.
  OrderInitialized a = MakeInit(wing_, "O-A", OrderSide::kBuy, 130, "70");
  a.tags = "spread=S-001-SP0009 leg=2 open";
  EXPECT_EQ(Outcome(Submit(a)), "passed");
  OrderInitialized b = MakeInit(wing_, "O-B", OrderSide::kBuy, 65, "70");
  b.tags = a.tags;
  EXPECT_EQ(Outcome(Submit(b)),
            "LIVE_MAX_LOTS_PER_SPREAD: spread=S-001-SP0009 leg=2 lots=3 limit=2");
  // Once the first ended with one lot filled, one more lot fits.
  const Order* first = k().cache().order(ClientOrderId("O-A"));
  Fill(first, 65, "70.00");
  venue_->Canceled(*first);
  OrderInitialized c = MakeInit(wing_, "O-C", OrderSide::kBuy, 65, "70");
  c.tags = a.tags;
  EXPECT_EQ(Outcome(Submit(c)), "passed");
}

TEST_F(LiveRiskTest, OpenSpreadsCountsSpreadsWithPositionsOrWorkingOrders) {
  LiveRiskLimits live;
  live.max_open_spreads = 1;
  Build(live);
  // A spread whose wing is still working counts as open.
  auto first = s_->SubmitSpread(BullPut(1));
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(venue_->submits.size(), 1u);
  auto second = s_->SubmitSpread(BullPut(1));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(Outcome(LastOrder()),
            "LIVE_MAX_OPEN_SPREADS: open=1 limit=1: spread S-001-SP0002 would be one more");
  EXPECT_EQ(s_->spread(*second)->state(), SpreadState::kFailed);
  // The first opens fully; its own short leg is not a new spread.
  Fill(k().cache().order(venue_->submits[0].client_order_id), 65, "70.00");
  EXPECT_EQ(Outcome(LastOrder()), "passed");
  Fill(LastOrder(), 65, "100.00");
  ASSERT_EQ(s_->spread(*first)->state(), SpreadState::kOpen);
  EXPECT_EQ(risk().OpenSpreadCount(), 1u);
  auto third = s_->SubmitSpread(BullPut(1));
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(s_->spread(*third)->state(), SpreadState::kFailed);
  // Closed (both legs bought and sold back), it no longer counts.
  ASSERT_TRUE(s_->CloseSpread(*first).ok());
  Fill(LastOrder(), 65, "90.00");  // buy back the short first
  Fill(LastOrder(), 65, "60.00");  // then sell the wing
  ASSERT_EQ(s_->spread(*first)->state(), SpreadState::kClosed);
  EXPECT_EQ(risk().OpenSpreadCount(), 0u);
  const std::size_t sent = venue_->submits.size();
  EXPECT_TRUE(s_->SubmitSpread(BullPut(1)).ok());
  EXPECT_EQ(venue_->submits.size(), sent + 1);
  EXPECT_EQ(Outcome(LastOrder()), "passed");
}

TEST_F(LiveRiskTest, CapitalCapCountsBlockedMarginAndLongPremium) {
  LiveRiskLimits live;
  live.capital_cap = Inr("100000.00");
  Build(live);
  // The venue reports ₹90,000 blocked.
  k().cache()
      .mutable_account(AccountId("SIM-001"))
      ->SetMargin(testkit::NiftyIndex().id, Money::Zero(), Inr("90000.00"));
  EXPECT_EQ(risk().DeployedCapital(), Inr("90000.00"));
  // Without a margin book the order's premium is its margin: 65 × 153.80 = 9,997.00 fits.
  EXPECT_EQ(Outcome(Submit(MakeInit(call_, "O-UNDER", OrderSide::kBuy, 65, "153.80"))), "passed");
  EXPECT_EQ(Outcome(Submit(MakeInit(call_, "O-OVER", OrderSide::kBuy, 65, "154.00"))),
            "LIVE_CAPITAL_CAP: deployed=₹90,000.00 + order=₹10,010.00 exceeds cap=₹1,00,000.00");
  // A long option's premium stays deployed after its fill (it left the balance).
  testkit::FillThroughEngine(k(), put_, "LONG", OrderSide::kBuy, 65, "100");
  EXPECT_EQ(risk().DeployedCapital(), Inr("96500.00"));
  EXPECT_EQ(Outcome(Submit(MakeInit(call_, "O-FITS", OrderSide::kBuy, 65, "53.80"))), "passed");
  EXPECT_EQ(Outcome(Submit(MakeInit(call_, "O-PAST", OrderSide::kBuy, 65, "54.00"))),
            "LIVE_CAPITAL_CAP: deployed=₹96,500.00 + order=₹3,510.00 exceeds cap=₹1,00,000.00");
  // Closing never needs capital.
  EXPECT_EQ(Outcome(Submit(MakeInit(put_, "O-CLOSE", OrderSide::kSell, 65, "100"))), "passed");
}

TEST_F(LiveRiskTest, DailyLossMovesActiveToReducingToHaltedAndANewDayResets) {
  LiveRiskLimits live;
  live.daily_loss_soft = Inr("1000.00");
  live.daily_loss_hard = Inr("2000.00");
  Build(live);
  Quote(call_, "100.00", "100.00");
  // A long lot at 100 with ₹20 of charges: the day is ₹20 down.
  testkit::FillThroughEngine(k(), call_, "LONG", OrderSide::kBuy, 65, "100", "20");
  ASSERT_EQ(risk().daily_pnl(), Inr("-20.00"));
  // Marks (the bid for a long) move the loss; checked on market data, no order needed.
  Quote(call_, "85.00", "85.50");  // 65 × 15 + 20 = 995: just under the soft limit
  EXPECT_EQ(risk().daily_pnl(), Inr("-995.00"));
  EXPECT_EQ(risk().trading_state(), TradingState::kActive);
  Quote(call_, "84.90", "85.50");  // 1,001.50
  ASSERT_EQ(risk().trading_state(), TradingState::kReducing);
  EXPECT_EQ(risk().trading_state_reason(), "LIVE_DAILY_LOSS_SOFT: loss=₹1,001.50 limit=₹1,000.00");
  // REDUCING: only orders that reduce a position pass.
  EXPECT_EQ(Outcome(Submit(MakeInit(put_, "O-NEW", OrderSide::kBuy, 65, "50"))),
            "TRADING_REDUCING: trading state is REDUCING (LIVE_DAILY_LOSS_SOFT: loss=₹1,001.50 "
            "limit=₹1,000.00) and the order would not reduce a position");
  EXPECT_EQ(Outcome(Submit(MakeInit(call_, "O-REDUCE", OrderSide::kSell, 65, "84.90"))), "passed");
  Quote(call_, "69.55", "70.00");  // 1,999.25: still REDUCING
  EXPECT_EQ(risk().trading_state(), TradingState::kReducing);
  Quote(call_, "69.50", "70.00");  // 2,002.50
  ASSERT_EQ(risk().trading_state(), TradingState::kHalted);
  EXPECT_EQ(risk().trading_state_reason(), "LIVE_DAILY_LOSS_HARD: loss=₹2,002.50 limit=₹2,000.00");
  EXPECT_EQ(Outcome(Submit(MakeInit(call_, "O-LATE", OrderSide::kSell, 65, "69.50"))),
            "TRADING_HALTED: trading state is HALTED (LIVE_DAILY_LOSS_HARD: loss=₹2,002.50 "
            "limit=₹2,000.00)");
  // Latched for the day: a recovery does not lift it.
  Quote(call_, "100.00", "100.50");
  EXPECT_EQ(risk().trading_state(), TradingState::kHalted);
  // The next IST day starts ACTIVE, its loss measured from the last marks seen.
  tk_->AdvanceTo(FromIst(2024, 1, 2, 9, 15));
  Quote(call_, "99.00", "99.50");
  EXPECT_EQ(risk().trading_state(), TradingState::kActive);
  EXPECT_EQ(risk().daily_pnl(), Inr("-65.00"));
  std::vector<TradingState> seen;
  for (const RiskStateChanged& c : states_->items()) seen.push_back(c.state);
  EXPECT_EQ(seen, (std::vector<TradingState>{TradingState::kReducing, TradingState::kHalted,
                                             TradingState::kActive}));
  EXPECT_EQ(states_->back().reason, "new IST day 2024-01-02: the daily loss limits start again");
}

TEST_F(LiveRiskTest, DailyLossIsCheckedOnAFillWithoutMarketData) {
  LiveRiskLimits live;
  live.daily_loss_soft = Inr("1000.00");
  Build(live);
  Quote(call_, "100.00", "100.00");
  ASSERT_EQ(risk().daily_pnl(), Inr("0.00"));
  // Charges alone take the day past the soft limit, seen on the position event.
  testkit::FillThroughEngine(k(), call_, "COSTLY", OrderSide::kBuy, 65, "100", "1000");
  EXPECT_EQ(risk().trading_state(), TradingState::kReducing);
  EXPECT_EQ(risk().loss_limit_state(), TradingState::kReducing);
}

TEST_F(LiveRiskTest, FlattenOrdersPassAHaltOnlyWhenTheyReduce) {
  Build({});
  testkit::FillThroughEngine(k(), call_, "LONG", OrderSide::kBuy, 65, "100");
  risk().SetTradingState(TradingState::kHalted, "manual: test");
  const Order* closing =
      testkit::AddOrder(k(), MakeInit(call_, "O-FLAT", OrderSide::kSell, 65, "90"));
  risk().AllowWhileHalted(closing->client_order_id());
  ASSERT_TRUE(
      k().bus()
          .Send(topics::kRiskEngineExecute, TradingCommand(testkit::SubmitCommand(*closing)))
          .ok());
  EXPECT_EQ(Outcome(closing), "passed");
  // Allowed once, and never to open.
  const Order* opening =
      testkit::AddOrder(k(), MakeInit(put_, "O-OPEN", OrderSide::kSell, 65, "90"));
  risk().AllowWhileHalted(opening->client_order_id());
  ASSERT_TRUE(
      k().bus()
          .Send(topics::kRiskEngineExecute, TradingCommand(testkit::SubmitCommand(*opening)))
          .ok());
  EXPECT_EQ(Outcome(opening), "TRADING_HALTED: trading state is HALTED (manual: test)");
}

}  // namespace
}  // namespace nacre
