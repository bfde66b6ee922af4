// Spread orders through the real kernel (risk engine, execution engine, cache) against a
// scripted venue: the test plays the exchange, acknowledging, filling and rejecting legs.
#include "trading/spread_executor.h"

#include <gtest/gtest.h>

#include "testkit/kernel_harness.h"
#include "testkit/testkit.h"
#include "trading/strategy.h"

namespace nacre {
namespace {

using testkit::Inr;
using testkit::MakeQuote;
using testkit::Px;
using testkit::Qty;

class SpreadStrategy final : public Strategy {
 public:
  SpreadStrategy() : Strategy(StrategyId("S-001")) {}
  using Strategy::active_spreads;
  using Strategy::CloseSpread;
  using Strategy::spread;
  using Strategy::spreads;
  using Strategy::SubmitSpread;
  using Strategy::timer_count;
  std::vector<SpreadEvent> events;

 protected:
  void OnSpreadEvent(const SpreadEvent& e) override { events.push_back(e); }
};

class SpreadTest : public ::testing::Test {
 protected:
  SpreadTest() {
    auto venue = std::make_unique<testkit::RecordingExecClient>("NFO", "NFO");
    venue_ = venue.get();
    k().exec_engine().RegisterClient(std::move(venue));
    for (const Instrument& i : {p23900_, p24000_, c24200_, c24300_}) k().cache().AddInstrument(i);
    k().cache().AddAccount(std::make_unique<Account>(AccountId("SIM-001"), AccountType::kMargin,
                                                     Inr("1000000.00"), tk_.now()),
                           Venue("NFO"));
    k().portfolio().ManageAccount(AccountId("SIM-001"));
    auto s = std::make_unique<SpreadStrategy>();
    s_ = s.get();
    EXPECT_TRUE(k().trader().AddStrategy(std::move(s)).ok());
    EXPECT_TRUE(k().Start().ok()) << k().halt_reason();
    Quote(p24000_, "100.00", "102.00");
    Quote(p23900_, "70.00", "71.00");
    Quote(c24200_, "60.00", "61.00");
    Quote(c24300_, "35.00", "35.50");
  }

  Kernel& k() { return tk_.kernel(); }
  void Quote(const Instrument& i, const char* bid, const char* ask) {
    k().cache().AddQuote(MakeQuote(i.id, bid, ask, tk_.now()));
  }
  const Order* LastSubmitted() { return k().cache().order(venue_->submits.back().client_order_id); }
  // The newest order in the cache (a denied one never reaches the venue).
  const Order* LastOrder() { return k().cache().Orders().back(); }
  const Order* Submitted(std::size_t n) {
    return k().cache().order(venue_->submits.at(n).client_order_id);
  }
  void Accept(const Order* o) {
    venue_->Submitted(*o);
    venue_->Accepted(*o);
  }
  void AcceptAndFill(const Order* o, std::int64_t qty, const char* px, const char* fee = "0") {
    if (o->status() == OrderStatus::kSubmitted || o->status() == OrderStatus::kInitialized) {
      Accept(o);
    }
    venue_->Filled(*o, qty, px, fee);
  }
  SpreadOrderSpec BullPut(std::uint32_t lots, std::optional<Price> net) {
    SpreadOrderSpec spec;
    spec.legs = {{p24000_.id, OrderSide::kSell, 1}, {p23900_.id, OrderSide::kBuy, 1}};
    spec.lots = lots;
    spec.net_limit = net;
    return spec;
  }
  // A bull put for a 30.00 credit whose hedge filled at 71.00: the short put works (accepted)
  // at 101.00 against a 100.00 bid, re-priced every 10 s. The short order is LastSubmitted().
  SpreadId WorkingShortLeg(int max_reprices, std::optional<Price> max_slippage = std::nullopt) {
    SpreadOrderSpec spec = BullPut(1, Px("-30.00"));
    spec.policy.leg_timeout = 10 * kNanosPerSecond;
    spec.policy.max_reprices = max_reprices;
    spec.policy.max_slippage = max_slippage;
    auto id = s_->SubmitSpread(spec);
    EXPECT_TRUE(id.ok());
    AcceptAndFill(LastSubmitted(), 65, "71.00");
    Accept(LastSubmitted());
    return *id;
  }
  std::vector<SpreadEventKind> Kinds() const {
    std::vector<SpreadEventKind> out;
    for (const auto& e : s_->events) out.push_back(e.kind);
    return out;
  }

  testkit::TestKernel tk_;
  testkit::RecordingExecClient* venue_ = nullptr;
  SpreadStrategy* s_ = nullptr;
  const Instrument p23900_ = testkit::NiftyOption(OptionKind::kPut, "23900");  // lot 65
  const Instrument p24000_ = testkit::NiftyOption(OptionKind::kPut, "24000");
  const Instrument c24200_ = testkit::NiftyOption(OptionKind::kCall, "24200");
  const Instrument c24300_ = testkit::NiftyOption(OptionKind::kCall, "24300");
};

TEST_F(SpreadTest, HedgeLegFillsBeforeShortLegIsSentAndNetLimitHolds) {
  // Credit of at least 28.00 per unit: buy the 23900 wing at the ask (71.00) first.
  auto id = s_->SubmitSpread(BullPut(2, Px("-28.00")));
  ASSERT_TRUE(id.ok()) << id.error();
  ASSERT_EQ(venue_->submits.size(), 1u);
  const Order* wing = LastSubmitted();
  EXPECT_EQ(wing->instrument_id(), p23900_.id);
  EXPECT_EQ(wing->side(), OrderSide::kBuy);
  EXPECT_EQ(*wing->price(), Px("71.00"));
  EXPECT_EQ(wing->quantity(), Qty(130));
  // The wing fills lower than asked: the short leg only needs 70.50 + 28 = 98.50.
  AcceptAndFill(wing, 130, "70.50", "20");
  ASSERT_EQ(venue_->submits.size(), 2u);
  const Order* shrt = LastSubmitted();
  EXPECT_EQ(shrt->instrument_id(), p24000_.id);
  EXPECT_EQ(shrt->side(), OrderSide::kSell);
  EXPECT_EQ(*shrt->price(), Px("98.50"));
  EXPECT_FALSE(s_->spread(*id)->state() == SpreadState::kOpen);
  AcceptAndFill(shrt, 65, "98.50", "10");
  EXPECT_EQ(s_->spread(*id)->state(), SpreadState::kOpening);
  AcceptAndFill(shrt, 65, "98.60", "10");  // partial fills complete the leg
  const SpreadPosition& sp = *s_->spread(*id);
  EXPECT_EQ(sp.state(), SpreadState::kOpen);
  // Credit: 65×98.50 + 65×98.60 − 130×70.50 = 6402.50 + 6409.00 − 9165.00 = 3646.50.
  EXPECT_EQ(sp.net_premium(), Inr("3646.50"));
  EXPECT_EQ(sp.charges(), Inr("40.00"));
  // Max loss: width 100 × 130 − credit = 13000 − 3646.50.
  ASSERT_TRUE(sp.MaxLoss().has_value());
  EXPECT_EQ(*sp.MaxLoss(), Inr("9353.50"));
  ASSERT_FALSE(Kinds().empty());
  EXPECT_EQ(Kinds().back(), SpreadEventKind::kOpened);
  EXPECT_EQ(s_->events.back().net_premium, Inr("3646.50"));
}

TEST_F(SpreadTest, RejectedShortLegUnwindsTheFilledHedge) {
  testkit::BusRecorder<SpreadEvent> bus(k().bus(), topics::kAllSpreadEvents);
  auto id = s_->SubmitSpread(BullPut(1, Px("-28.00")));
  ASSERT_TRUE(id.ok());
  AcceptAndFill(LastSubmitted(), 65, "71.00", "15");
  const Order* shrt = LastSubmitted();
  venue_->Submitted(*shrt);
  venue_->Rejected(*shrt, "insufficient margin: required ₹84,210.00, free ₹61,000.00");
  EXPECT_EQ(s_->spread(*id)->state(), SpreadState::kUnwinding);
  ASSERT_EQ(venue_->submits.size(), 3u);
  const Order* unwind = LastSubmitted();
  EXPECT_EQ(unwind->instrument_id(), p23900_.id);
  EXPECT_EQ(unwind->side(), OrderSide::kSell);
  EXPECT_EQ(unwind->order_type(), OrderType::kMarket);
  EXPECT_NE(unwind->tags().find("unwind"), std::string::npos);
  AcceptAndFill(unwind, 65, "70.00", "15");
  const SpreadPosition& sp = *s_->spread(*id);
  EXPECT_EQ(sp.state(), SpreadState::kFailed);
  EXPECT_FALSE(sp.AnyLegOpen());
  // Lost the spread on the wing (65 × −1.00) and both charges.
  EXPECT_EQ(sp.realized_pnl(), Inr("-95.00"));
  const auto kinds = Kinds();
  ASSERT_GE(kinds.size(), 2u);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), SpreadEventKind::kLegRisk), kinds.end());
  EXPECT_EQ(kinds.back(), SpreadEventKind::kFailed);
  EXPECT_NE(s_->events.back().message.find("insufficient margin"), std::string::npos)
      << s_->events.back().message;
  EXPECT_EQ(bus.size(), s_->events.size());  // every event also went out on the bus
  EXPECT_TRUE(s_->active_spreads().empty());
}

TEST_F(SpreadTest, IronCondorWaitsForAllHedgesThroughPartialFills) {
  SpreadOrderSpec spec;
  spec.legs = {{p24000_.id, OrderSide::kSell, 1},
               {p23900_.id, OrderSide::kBuy, 1},
               {c24200_.id, OrderSide::kSell, 1},
               {c24300_.id, OrderSide::kBuy, 1}};
  spec.lots = 2;
  auto id = s_->SubmitSpread(spec);  // market
  ASSERT_TRUE(id.ok());
  ASSERT_EQ(venue_->submits.size(), 2u);  // both wings, no short yet
  const Order* w1 = Submitted(0);
  const Order* w2 = Submitted(1);
  EXPECT_EQ(w1->order_type(), OrderType::kMarket);
  EXPECT_EQ(w1->side(), OrderSide::kBuy);
  EXPECT_EQ(w2->side(), OrderSide::kBuy);
  AcceptAndFill(w1, 130, "71.00");
  AcceptAndFill(w2, 65, "35.50");
  EXPECT_EQ(venue_->submits.size(), 2u);  // second wing only half filled
  AcceptAndFill(w2, 65, "35.50");
  ASSERT_EQ(venue_->submits.size(), 4u);
  AcceptAndFill(Submitted(2), 130, "100.00");
  EXPECT_EQ(s_->spread(*id)->state(), SpreadState::kOpening);
  AcceptAndFill(Submitted(3), 130, "60.00");
  const SpreadPosition& sp = *s_->spread(*id);
  EXPECT_EQ(sp.state(), SpreadState::kOpen);
  // Credit per unit 100 + 60 − 71 − 35.50 = 53.50, × 130.
  EXPECT_EQ(sp.net_premium(), Inr("6955.00"));
  // Max loss: the wider side is 100 wide: 100 × 130 − 6955.
  EXPECT_EQ(*sp.MaxLoss(), Inr("6045.00"));
}

// The short put is priced to meet the net limit: hedge at 71.00 + 30.00 = 101.00, above the
// bid (100.00). Each timeout moves it toward the touch as quoted then, in max_reprices steps.
TEST_F(SpreadTest, UnfilledLegConvergesToTheCurrentTouchThenIsAbandonedAndUnwound) {
  const SpreadId id = WorkingShortLeg(2);
  const Order* shrt = LastSubmitted();
  EXPECT_EQ(*shrt->price(), Px("101.00"));  // 71 + 30
  tk_.Advance(10 * kNanosPerSecond);
  ASSERT_EQ(venue_->modifies.size(), 1u);
  EXPECT_EQ(*venue_->modifies[0].price, Px("100.50"));  // half way from 101.00 to the bid
  venue_->Updated(*shrt, shrt->quantity(), Px("100.50"));
  tk_.Advance(5 * kNanosPerSecond);
  EXPECT_EQ(venue_->modifies.size(), 1u);  // not before the timeout
  Quote(p24000_, "99.00", "101.00");        // the bid falls a rupee
  tk_.Advance(5 * kNanosPerSecond);
  ASSERT_EQ(venue_->modifies.size(), 2u);
  EXPECT_EQ(*venue_->modifies[1].price, Px("99.00"));  // the second of two steps: the touch now
  venue_->Updated(*shrt, shrt->quantity(), Px("99.00"));
  // Pegged to the touch for two more timeouts (nothing to change while it stays), then given up.
  tk_.Advance(10 * kNanosPerSecond);
  Quote(p24000_, "98.50", "100.50");
  tk_.Advance(10 * kNanosPerSecond);
  ASSERT_EQ(venue_->modifies.size(), 3u);
  EXPECT_EQ(*venue_->modifies[2].price, Px("98.50"));
  venue_->Updated(*shrt, shrt->quantity(), Px("98.50"));
  EXPECT_TRUE(venue_->cancels.empty());
  tk_.Advance(10 * kNanosPerSecond);
  ASSERT_EQ(venue_->cancels.size(), 1u);
  EXPECT_EQ(venue_->cancels[0].client_order_id, shrt->client_order_id());
  EXPECT_EQ(s_->spread(id)->state(), SpreadState::kUnwinding);
  EXPECT_EQ(venue_->submits.size(), 2u);  // the unwind waits for the cancel
  venue_->Canceled(*shrt);
  ASSERT_EQ(venue_->submits.size(), 3u);
  AcceptAndFill(LastSubmitted(), 65, "70.50");
  EXPECT_EQ(s_->spread(id)->state(), SpreadState::kFailed);
  EXPECT_NE(s_->events.back().message.find("unfilled after 4 re-prices"), std::string::npos)
      << s_->events.back().message;
}

TEST_F(SpreadTest, AnOpeningNeverConcedesPastItsMaxSlippageAndIsAbandonedWhenTheTouchIsBeyond) {
  const SpreadId id = WorkingShortLeg(2, Px("0.40"));  // 29.60 at worst: short at 100.60
  const Order* shrt = LastSubmitted();
  tk_.Advance(10 * kNanosPerSecond);
  ASSERT_EQ(venue_->modifies.size(), 1u);
  EXPECT_EQ(*venue_->modifies[0].price, Px("100.60"));  // 100.50 is past the bound
  venue_->Updated(*shrt, shrt->quantity(), Px("100.60"));
  tk_.Advance(10 * kNanosPerSecond);  // the touch (100.00) is still beyond: rest at the bound
  EXPECT_EQ(venue_->modifies.size(), 1u);
  EXPECT_TRUE(venue_->cancels.empty());
  tk_.Advance(10 * kNanosPerSecond);  // converged and still beyond: abandoned
  ASSERT_EQ(venue_->cancels.size(), 1u);
  EXPECT_EQ(s_->spread(id)->state(), SpreadState::kUnwinding);
  EXPECT_NE(s_->events.back().message.find("the touch 100.00 is past the max slippage bound "
                                           "100.60"),
            std::string::npos)
      << s_->events.back().message;
}

TEST_F(SpreadTest, AnOpeningWithinItsSlippageConvergesAndFillsAtTheTouch) {
  const SpreadId id = WorkingShortLeg(2, Px("1.50"));
  const Order* shrt = LastSubmitted();
  Quote(p24000_, "101.50", "103.00");  // the market comes to the order: nothing to concede
  tk_.Advance(10 * kNanosPerSecond);
  EXPECT_TRUE(venue_->modifies.empty());
  Quote(p24000_, "100.00", "102.00");
  tk_.Advance(10 * kNanosPerSecond);
  ASSERT_EQ(venue_->modifies.size(), 1u);
  EXPECT_EQ(*venue_->modifies[0].price, Px("100.00"));  // the second step: the touch
  venue_->Updated(*shrt, shrt->quantity(), Px("100.00"));
  venue_->Filled(*shrt, 65, "100.00", "0");
  EXPECT_EQ(s_->spread(id)->state(), SpreadState::kOpen);
  EXPECT_EQ(s_->spread(id)->net_premium(), Inr("1885.00"));  // (100 - 71) x 65
}

TEST_F(SpreadTest, AHedgeIsNotChasedForASpreadThatIsGone) {
  SpreadOrderSpec spec = BullPut(1, Px("-30.00"));
  spec.policy.leg_timeout = 10 * kNanosPerSecond;
  spec.policy.max_reprices = 3;
  spec.policy.max_slippage = Px("3.00");  // a credit of 27.00 at worst
  auto id = s_->SubmitSpread(spec);
  ASSERT_TRUE(id.ok());
  const Order* hedge = LastSubmitted();
  Accept(hedge);
  EXPECT_EQ(*hedge->price(), Px("71.00"));  // the ask
  Quote(p23900_, "71.50", "72.00");  // the wing rises (credit at the touch 28.00): follow it
  tk_.Advance(10 * kNanosPerSecond);
  ASSERT_EQ(venue_->modifies.size(), 1u);
  EXPECT_EQ(*venue_->modifies[0].price, Px("72.00"));
  venue_->Updated(*hedge, hedge->quantity(), Px("72.00"));
  // At the touch the spread is now 100.00 - 73.50 = 26.50 of credit: past 30 - 3.
  Quote(p23900_, "73.00", "73.50");
  tk_.Advance(10 * kNanosPerSecond);
  EXPECT_EQ(venue_->modifies.size(), 1u);
  ASSERT_EQ(venue_->cancels.size(), 1u);
  venue_->Canceled(*hedge);
  EXPECT_EQ(s_->spread(*id)->state(), SpreadState::kFailed);
  EXPECT_EQ(venue_->submits.size(), 1u);  // the short leg was never sent, nothing to unwind
  EXPECT_NE(s_->events.back().message.find("the spread at the touch is -26.50 per unit"),
            std::string::npos)
      << s_->events.back().message;
}

TEST_F(SpreadTest, RepricesFollowTheStepsWhileModifiesArePending) {
  SpreadOrderSpec spec = BullPut(1, Px("-30.00"));
  spec.policy.leg_timeout = 10 * kNanosPerSecond;
  spec.policy.max_reprices = 3;
  auto id = s_->SubmitSpread(spec);
  ASSERT_TRUE(id.ok());
  AcceptAndFill(LastSubmitted(), 65, "71.00");
  Accept(LastSubmitted());
  // The venue never acknowledges the modifies: each step is still a third of the way from
  // 101.00 to the bid (rounded up: a sell concedes less).
  tk_.Advance(10 * kNanosPerSecond);
  tk_.Advance(10 * kNanosPerSecond);
  tk_.Advance(10 * kNanosPerSecond);
  ASSERT_EQ(venue_->modifies.size(), 3u);
  EXPECT_EQ(*venue_->modifies[0].price, Px("100.70"));
  EXPECT_EQ(*venue_->modifies[1].price, Px("100.35"));
  EXPECT_EQ(*venue_->modifies[2].price, Px("100.00"));
}

TEST_F(SpreadTest, CloseBuysBackTheShortFirstAndBooksThePnl) {
  auto id = s_->SubmitSpread(BullPut(1, {}));
  ASSERT_TRUE(id.ok());
  AcceptAndFill(LastSubmitted(), 65, "71.00", "10");
  AcceptAndFill(LastSubmitted(), 65, "101.00", "10");
  ASSERT_EQ(s_->spread(*id)->state(), SpreadState::kOpen);
  EXPECT_FALSE(s_->CloseSpread(SpreadId("nope")).ok());
  ASSERT_TRUE(s_->CloseSpread(*id).ok());
  EXPECT_FALSE(s_->CloseSpread(*id).ok());  // already closing
  const Order* buyback = LastSubmitted();
  EXPECT_EQ(buyback->instrument_id(), p24000_.id);
  EXPECT_EQ(buyback->side(), OrderSide::kBuy);
  EXPECT_NE(buyback->tags().find("close"), std::string::npos);
  const std::size_t before = venue_->submits.size();
  AcceptAndFill(buyback, 65, "60.00", "10");
  ASSERT_EQ(venue_->submits.size(), before + 1);
  const Order* sell_wing = LastSubmitted();
  EXPECT_EQ(sell_wing->instrument_id(), p23900_.id);
  AcceptAndFill(sell_wing, 65, "40.00", "10");
  const SpreadPosition& sp = *s_->spread(*id);
  EXPECT_EQ(sp.state(), SpreadState::kClosed);
  // Short: +41 × 65 = 2665; long: −31 × 65 = −2015; charges 40.
  EXPECT_EQ(sp.realized_pnl(), Inr("610.00"));
  EXPECT_EQ(sp.net_premium(), Inr("1950.00"));  // opening credit only
  EXPECT_EQ(Kinds().back(), SpreadEventKind::kClosed);
  EXPECT_EQ(s_->events.back().realized_pnl, Inr("610.00"));
}

TEST_F(SpreadTest, RejectedCloseLegEscalatesToMarket) {
  auto id = s_->SubmitSpread(BullPut(1, {}));
  AcceptAndFill(LastSubmitted(), 65, "71.00");
  AcceptAndFill(LastSubmitted(), 65, "101.00");
  ASSERT_TRUE(s_->CloseSpread(*id, Px("25.00")).ok());
  const Order* limit = LastSubmitted();  // buy back at the touch (102.00)
  EXPECT_EQ(*limit->price(), Px("102.00"));
  venue_->Submitted(*limit);
  venue_->Rejected(*limit, "price band");
  const Order* market = LastSubmitted();
  EXPECT_NE(market, limit);
  EXPECT_EQ(market->order_type(), OrderType::kMarket);
  EXPECT_EQ(market->instrument_id(), p24000_.id);
}

TEST_F(SpreadTest, InvalidSpecsAreRefusedWithReasons) {
  SpreadOrderSpec empty;
  EXPECT_FALSE(s_->SubmitSpread(empty).ok());
  SpreadOrderSpec dup = BullPut(1, {});
  dup.legs[1].instrument = dup.legs[0].instrument;
  auto d = s_->SubmitSpread(dup);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().find("legs 1 and 2"), std::string::npos) << d.error();
  SpreadOrderSpec unknown = BullPut(1, {});
  unknown.legs[0].instrument = InstrumentId(Symbol("NIFTY2610699999PE"), Venue("NFO"));
  auto u = s_->SubmitSpread(unknown);
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.error().find("unknown instrument"), std::string::npos);
  EXPECT_FALSE(s_->SubmitSpread(BullPut(0, {})).ok());
  EXPECT_TRUE(venue_->submits.empty());
  EXPECT_TRUE(s_->spreads().empty());
}

TEST_F(SpreadTest, LastGroupWithoutQuotesFailsBeforeSendingIt) {
  k().cache().AddQuote(MakeQuote(p24000_.id, "0", "0", tk_.now()));
  auto id = s_->SubmitSpread(BullPut(1, Px("-28.00")));
  ASSERT_TRUE(id.ok());
  AcceptAndFill(LastSubmitted(), 65, "71.00");
  // No two-sided quote for the short: fail and unwind rather than guess a price.
  EXPECT_EQ(s_->spread(*id)->state(), SpreadState::kUnwinding);
  EXPECT_EQ(LastSubmitted()->side(), OrderSide::kSell);
  EXPECT_EQ(LastSubmitted()->instrument_id(), p23900_.id);
}

TEST_F(SpreadTest, DeniedFirstLegFailsTheSpreadAtOnce) {
  // 30 lots × 65 = 1950 exceeds the 1800 freeze quantity: the risk engine denies the wing
  // inside SubmitOrder, before the executor gets the order back.
  auto id = s_->SubmitSpread(BullPut(30, Px("-28.00")));
  ASSERT_TRUE(id.ok());
  EXPECT_TRUE(venue_->submits.empty());
  const SpreadPosition& sp = *s_->spread(*id);
  EXPECT_EQ(sp.state(), SpreadState::kFailed);
  EXPECT_FALSE(sp.AnyLegOpen());
  ASSERT_FALSE(s_->events.empty());
  EXPECT_EQ(s_->events.back().kind, SpreadEventKind::kFailed);
  EXPECT_NE(s_->events.back().message.find("denied"), std::string::npos)
      << s_->events.back().message;
}

TEST_F(SpreadTest, VenueSettlementAtExpiryClosesTheSpread) {
  auto id = s_->SubmitSpread(BullPut(1, {}));
  ASSERT_TRUE(id.ok());
  AcceptAndFill(LastSubmitted(), 65, "71.00", "10");
  AcceptAndFill(LastSubmitted(), 65, "101.00", "10");
  ASSERT_EQ(s_->spread(*id)->state(), SpreadState::kOpen);
  // 15:30 IST on expiry day, the index closes at 23950: the venue settles both legs with its
  // own closing orders (the short put at its intrinsic 50, the long worthless).
  tk_.AdvanceTo(FromIst(2026, 1, 6, 15, 30));
  const Order* buy_back =
      testkit::AddOrder(k(), testkit::MakeInit(p24000_, "SETTLE-1", OrderSide::kBuy, 65));
  venue_->Submitted(*buy_back);
  venue_->Accepted(*buy_back);
  venue_->Filled(*buy_back, 65, "50.00", "0");
  EXPECT_EQ(s_->spread(*id)->state(), SpreadState::kOpen);  // one leg still open
  EXPECT_EQ(Kinds().back(), SpreadEventKind::kChanged);
  const Order* sell_wing =
      testkit::AddOrder(k(), testkit::MakeInit(p23900_, "SETTLE-2", OrderSide::kSell, 65));
  venue_->Submitted(*sell_wing);
  venue_->Accepted(*sell_wing);
  venue_->Filled(*sell_wing, 65, "0.00", "0");
  const SpreadPosition& sp = *s_->spread(*id);
  EXPECT_EQ(sp.state(), SpreadState::kClosed);
  // Short: (101 − 50) × 65 = 3315; long: (0 − 71) × 65 = −4615; charges 20.
  EXPECT_EQ(sp.realized_pnl(), Inr("-1320.00"));
  EXPECT_EQ(Kinds().back(), SpreadEventKind::kClosed);
  EXPECT_EQ(s_->events.back().message, "settled at expiry");
}

TEST_F(SpreadTest, FillsOfOtherOrdersBeforeExpiryAreNotSettlements) {
  auto id = s_->SubmitSpread(BullPut(1, {}));
  AcceptAndFill(LastSubmitted(), 65, "71.00");
  AcceptAndFill(LastSubmitted(), 65, "101.00");
  const Order* manual =
      testkit::AddOrder(k(), testkit::MakeInit(p24000_, "MANUAL-1", OrderSide::kBuy, 65));
  venue_->Submitted(*manual);
  venue_->Accepted(*manual);
  venue_->Filled(*manual, 65, "90.00");
  EXPECT_EQ(s_->spread(*id)->state(), SpreadState::kOpen);
  EXPECT_EQ(s_->spread(*id)->LegSignedQtyRaw(0), -65 * kFixedScale);
}

// The regressions of the event-loop issue, each named after the failure it fixes.

TEST_F(SpreadTest, CompleteSpreadIsNotUnwoundWhenTheAbandonTimerMeetsTheLastFill) {
  const SpreadId id = WorkingShortLeg(0);
  const Order* shrt = LastSubmitted();
  tk_.Advance(10 * kNanosPerSecond);  // abandon: cancel sent, spread failing
  ASSERT_EQ(venue_->cancels.size(), 1u);
  EXPECT_EQ(s_->spread(id)->state(), SpreadState::kUnwinding);
  // The fill crosses the cancel: the venue filled the short before the cancel reached it.
  venue_->Filled(*shrt, 65, "101.00");
  venue_->CancelRejected(*shrt, "order not open at venue");
  EXPECT_EQ(s_->spread(id)->state(), SpreadState::kOpen);
  EXPECT_EQ(venue_->submits.size(), 2u);  // nothing sent to unwind it
  EXPECT_EQ(s_->events.back().kind, SpreadEventKind::kOpened);
}

TEST_F(SpreadTest, DeniedClosingMarketLegIsRetriedWithBackoffWhileTheSpreadStaysClosing) {
  auto id = s_->SubmitSpread(BullPut(1, {}));
  AcceptAndFill(LastSubmitted(), 65, "71.00");
  AcceptAndFill(LastSubmitted(), 65, "101.00");
  k().risk_engine().SetTradingState(TradingState::kHalted);  // every submit denied
  SpreadExecPolicy policy;
  policy.close_retry = 60 * kNanosPerSecond;
  ASSERT_TRUE(s_->CloseSpread(*id, {}, policy).ok());
  const std::size_t sent = venue_->submits.size();
  EXPECT_EQ(LastOrder()->status(), OrderStatus::kDenied);  // never reached the venue
  EXPECT_EQ(s_->spread(*id)->state(), SpreadState::kClosing);
  ASSERT_EQ(s_->events.back().kind, SpreadEventKind::kLegRisk);
  EXPECT_NE(s_->events.back().message.find("retry 1 in 60 s"), std::string::npos)
      << s_->events.back().message;
  tk_.Advance(60 * kNanosPerSecond);  // still halted: denied again, the wait doubles
  EXPECT_NE(s_->events.back().message.find("retry 2 in 120 s"), std::string::npos)
      << s_->events.back().message;
  k().risk_engine().SetTradingState(TradingState::kActive);
  tk_.Advance(119 * kNanosPerSecond);
  EXPECT_EQ(s_->spread(*id)->state(), SpreadState::kClosing);
  tk_.Advance(1 * kNanosPerSecond);  // the retry: now it passes
  ASSERT_EQ(venue_->submits.size(), sent + 1);
  const Order* buyback = LastSubmitted();
  EXPECT_EQ(buyback->order_type(), OrderType::kMarket);
  EXPECT_EQ(buyback->side(), OrderSide::kBuy);
  AcceptAndFill(buyback, 65, "60.00");
  AcceptAndFill(LastSubmitted(), 65, "50.00");
  EXPECT_EQ(s_->spread(*id)->state(), SpreadState::kClosed);
}

// Closed until 09:15 of the next day, open after.
class ClosedUntil final : public MarketHours {
 public:
  explicit ClosedUntil(UnixNanos open) : open_(open) {}
  std::string ClosedReason(const Instrument&, UnixNanos t) const override {
    return t < open_ ? "after the close" : "";
  }

 private:
  UnixNanos open_;
};

TEST_F(SpreadTest, ClosingLegIsNotRetriedIntoAClosedMarket) {
  auto id = s_->SubmitSpread(BullPut(1, {}));
  AcceptAndFill(LastSubmitted(), 65, "71.00");
  AcceptAndFill(LastSubmitted(), 65, "101.00");
  ClosedUntil hours(tk_.now() + 3600 * kNanosPerSecond);
  k().SetMarketHours(&hours);  // the risk engine denies MARKET_CLOSED for an hour
  ASSERT_TRUE(s_->CloseSpread(*id).ok());
  const std::size_t sent = venue_->submits.size();
  EXPECT_EQ(LastOrder()->status(), OrderStatus::kDenied);
  const std::size_t denied = k().risk_engine().denied_count();
  tk_.Advance(3599 * kNanosPerSecond);
  EXPECT_EQ(venue_->submits.size(), sent);  // looked, saw it closed, sent nothing
  EXPECT_EQ(k().risk_engine().denied_count(), denied);
  tk_.Advance(61 * kNanosPerSecond);
  ASSERT_EQ(venue_->submits.size(), sent + 1);  // open now: sent, and it reached the venue
  EXPECT_EQ(k().risk_engine().denied_count(), denied);
  k().SetMarketHours(nullptr);
}

TEST_F(SpreadTest, RefusedModifyRestoresTheExecutorsPrice) {
  (void)WorkingShortLeg(3);
  const Order* shrt = LastSubmitted();
  tk_.Advance(10 * kNanosPerSecond);
  ASSERT_EQ(venue_->modifies.size(), 1u);
  EXPECT_EQ(*venue_->modifies[0].price, Px("100.70"));
  venue_->ModifyRejected(*shrt, "price band");  // the order stays at 101.00
  EXPECT_EQ(*shrt->price(), Px("101.00"));
  Quote(p24000_, "100.70", "102.00");  // the bid rises to the refused price
  tk_.Advance(10 * kNanosPerSecond);
  // The second step toward the touch now (100.70) from 101.00 is 100.80: sent, as it differs
  // from the order's real price (the refused 100.70 was never the leg's price).
  ASSERT_EQ(venue_->modifies.size(), 2u);
  EXPECT_EQ(*venue_->modifies[1].price, Px("100.80"));
}

// Two re-prices in flight, the first refused after the second was sent: the leg keeps the
// second's price (the refusal names the price it refused).
TEST_F(SpreadTest, RefusedModifyWithALaterOneInFlightKeepsTheLaterPrice) {
  (void)WorkingShortLeg(5);
  const Order* shrt = LastSubmitted();
  tk_.Advance(10 * kNanosPerSecond);
  tk_.Advance(10 * kNanosPerSecond);
  ASSERT_EQ(venue_->modifies.size(), 2u) << "the executor re-prices while a modify is pending";
  EXPECT_EQ(*venue_->modifies[0].price, Px("100.80"));
  EXPECT_EQ(*venue_->modifies[1].price, Px("100.60"));
  venue_->ModifyRejected(*shrt, "price band", Px("100.80"));  // the first one
  venue_->Updated(*shrt, Qty(65), Px("100.60"));              // the second one
  Quote(p24000_, "100.00", "100.60");
  tk_.Advance(10 * kNanosPerSecond);
  ASSERT_EQ(venue_->modifies.size(), 3u);
  EXPECT_EQ(*venue_->modifies[2].price, Px("100.40"));
}

TEST_F(SpreadTest, ExecutorTimersStopWithTheStrategyAndFreeTheirNames) {
  SpreadOrderSpec spec = BullPut(1, Px("-30.00"));
  spec.policy.leg_timeout = 10 * kNanosPerSecond;
  auto id = s_->SubmitSpread(spec);
  ASSERT_TRUE(id.ok());
  AcceptAndFill(LastSubmitted(), 65, "71.00");
  Accept(LastSubmitted());
  EXPECT_EQ(s_->timer_count(), 2u);   // the wing's (filled) and the short's timeouts
  tk_.Advance(10 * kNanosPerSecond);  // both fire and free their names; one re-armed
  EXPECT_EQ(s_->timer_count(), 1u);
  EXPECT_EQ(venue_->modifies.size(), 1u);
  k().trader().StopAll();
  EXPECT_EQ(s_->timer_count(), 0u);
  tk_.Advance(60 * kNanosPerSecond);
  EXPECT_EQ(venue_->modifies.size(), 1u);  // nothing fired after the stop
}

TEST_F(SpreadTest, MarketLegsCarryMarketProtectionAndTimeOut) {
  SpreadOrderSpec spec = BullPut(1, {});
  spec.policy.leg_timeout = 10 * kNanosPerSecond;
  auto id = s_->SubmitSpread(spec);
  ASSERT_TRUE(id.ok());
  const Order* wing = LastSubmitted();
  EXPECT_EQ(wing->order_type(), OrderType::kMarket);
  EXPECT_EQ(wing->market_protection_pct_raw(), 2 * kFixedScale);  // 2% by default
  Accept(wing);  // rests: nothing inside its protection band
  tk_.Advance(10 * kNanosPerSecond);
  ASSERT_EQ(venue_->cancels.size(), 1u);  // an opening market leg times out: abandoned
  venue_->Canceled(*wing);
  EXPECT_EQ(s_->spread(*id)->state(), SpreadState::kFailed);
}

TEST_F(SpreadTest, AStrategyResumedAfterAStopArmsItsSpreadTimersAgain) {
  SpreadOrderSpec spec = BullPut(1, Px("-30.00"));
  spec.policy.leg_timeout = 10 * kNanosPerSecond;
  auto id = s_->SubmitSpread(spec);
  ASSERT_TRUE(id.ok());
  AcceptAndFill(LastSubmitted(), 65, "71.00");
  Accept(LastSubmitted());
  k().trader().StopAll();
  tk_.Advance(30 * kNanosPerSecond);
  EXPECT_TRUE(venue_->modifies.empty());  // stopped: nothing fires
  k().trader().StartAll();                // resumed: the working short leg's timeout again
  EXPECT_EQ(s_->timer_count(), 1u);
  tk_.Advance(10 * kNanosPerSecond);
  EXPECT_EQ(venue_->modifies.size(), 1u);
}

TEST_F(SpreadTest, ACloseWithAnInvalidPolicyIsRefused) {
  auto id = s_->SubmitSpread(BullPut(1, {}));
  AcceptAndFill(LastSubmitted(), 65, "71.00");
  AcceptAndFill(LastSubmitted(), 65, "101.00");
  SpreadExecPolicy bad;
  bad.close_retry = 0;
  const Status st = s_->CloseSpread(*id, {}, bad);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().find("close_retry must be positive"), std::string::npos) << st.error();
  EXPECT_EQ(s_->spread(*id)->state(), SpreadState::kOpen);
}

TEST(SpreadPositionMaxLoss, NakedShortCallIsUnbounded) {
  const Instrument c = testkit::NiftyOption(OptionKind::kCall, "24200");
  SpreadPosition sp(SpreadId("X"), StrategyId("S-001"), {{c.id, OrderSide::kSell, 1}}, {c}, 1,
                    UnixNanos(1));
  EXPECT_FALSE(sp.MaxLoss().has_value());
  const Instrument p = testkit::NiftyOption(OptionKind::kPut, "24000");
  SpreadPosition put(SpreadId("Y"), StrategyId("S-001"), {{p.id, OrderSide::kSell, 1}}, {p}, 1,
                     UnixNanos(1));
  ASSERT_TRUE(put.MaxLoss().has_value());
  EXPECT_EQ(*put.MaxLoss(), Inr("1560000.00"));  // strike × 65 with no premium yet
}

}  // namespace
}  // namespace nacre

namespace nacre {
namespace {

TEST_F(SpreadTest, ASavedBookLoadsBackExactlyWhileItsSpreadIsStillWorking) {
  const SpreadId id = WorkingShortLeg(3);
  const std::string saved = s_->SaveSpreadBook();
  ASSERT_NE(saved.find("\"policy\""), std::string::npos) << saved;
  ASSERT_TRUE(s_->LoadSpreadBook(saved).ok());
  // Before the strategy resumes it: the same book, its run's fields included.
  EXPECT_EQ(s_->SaveSpreadBook(), saved);
  const SpreadPosition* sp = s_->spread(id);
  ASSERT_NE(sp, nullptr);
  EXPECT_EQ(sp->state(), SpreadState::kOpening);
  EXPECT_EQ(sp->LegSignedQtyRaw(1), Qty(65).raw()) << "the wing's fill, rebuilt from the cache";
  EXPECT_EQ(sp->LegSignedQtyRaw(0), 0);
  const Status bad = s_->LoadSpreadBook(R"({"next_id":1,"spreads":[{"id":"X"}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("spread book"), std::string::npos) << bad.error();
  EXPECT_EQ(s_->SaveSpreadBook(), saved) << "a refused book changes nothing";
  // Resumed (the strategy runs): observers first hear of the restored spread.
  const std::size_t before = s_->events.size();
  s_->ResumeLoadedSpreads();
  ASSERT_GT(s_->events.size(), before);
  EXPECT_EQ(s_->events[before].kind, SpreadEventKind::kChanged);
  EXPECT_EQ(s_->events[before].spread_id, id);
  EXPECT_EQ(s_->events[before].message, "restored after a restart");
  const std::size_t after = s_->events.size();
  s_->ResumeLoadedSpreads();
  EXPECT_EQ(s_->events.size(), after) << "announced once per load";
}

// A restart's reconciliation applies what the venue did while the node was down before the
// strategy runs: here the short leg filled after the book was saved. Its fill reaches the
// spread's book before the spread is resumed, so the spread is complete, not abandoned with
// the short leg left out of its book (a naked short nobody manages).
TEST_F(SpreadTest, AFillMadeWhileTheNodeWasDownIsInTheBookBeforeTheSpreadIsResumed) {
  const SpreadId id = WorkingShortLeg(3);
  const Order* short_leg = LastSubmitted();
  const std::string saved = s_->SaveSpreadBook();
  ASSERT_TRUE(s_->LoadSpreadBook(saved).ok());  // the restart's load
  venue_->Filled(*short_leg, 65, "101.00");      // the reconciliation's event
  const std::size_t sent = venue_->submits.size();
  const std::size_t before = s_->events.size();
  s_->ResumeLoadedSpreads();
  const SpreadPosition* sp = s_->spread(id);
  ASSERT_NE(sp, nullptr);
  EXPECT_EQ(sp->LegSignedQtyRaw(0), -Qty(65).raw());
  EXPECT_EQ(sp->LegSignedQtyRaw(1), Qty(65).raw());
  EXPECT_EQ(sp->state(), SpreadState::kOpen);
  EXPECT_EQ(venue_->submits.size(), sent) << "nothing unwound, nothing sent";
  ASSERT_GT(s_->events.size(), before);
  EXPECT_EQ(s_->events.back().kind, SpreadEventKind::kOpened) << s_->events.back().message;
}

// The node was killed while a failed opening was unwinding, its short leg's cancel lost with
// the process: the venue still works that order. The resumed spread cancels it; when the
// order fills first (the cancel lost the race), the fill reaches the spread's book and the
// short is bought back too, so nothing is left open that no spread manages.
TEST_F(SpreadTest, AnOpeningsOrderStillWorkingAfterARestartIsCancelledAndItsLateFillUnwound) {
  const SpreadId id = WorkingShortLeg(0);
  const Order* shrt = LastSubmitted();
  for (int i = 0; i < 10 && venue_->cancels.empty(); ++i) tk_.Advance(10 * kNanosPerSecond);
  ASSERT_EQ(venue_->cancels.size(), 1u);
  ASSERT_EQ(s_->spread(id)->state(), SpreadState::kUnwinding);
  // The restart: the book as saved; the venue lists the short order as open (the cancel
  // never reached it).
  ASSERT_TRUE(s_->LoadSpreadBook(s_->SaveSpreadBook()).ok());
  venue_->Accepted(*shrt);
  ASSERT_EQ(shrt->status(), OrderStatus::kAccepted);
  const std::size_t submits = venue_->submits.size();
  s_->ResumeLoadedSpreads();
  ASSERT_EQ(venue_->cancels.size(), 2u);
  EXPECT_EQ(venue_->cancels[1].client_order_id, shrt->client_order_id());
  ASSERT_EQ(venue_->submits.size(), submits + 1);  // the hedge's unwind
  const Order* unwind_hedge = LastSubmitted();
  EXPECT_EQ(unwind_hedge->instrument_id(), p23900_.id);
  // The short fills before the cancel arrives; then the hedge's unwind fills.
  venue_->Filled(*shrt, 65, "101.00");
  EXPECT_EQ(s_->spread(id)->LegSignedQtyRaw(0), -Qty(65).raw());
  AcceptAndFill(unwind_hedge, 65, "70.50");
  ASSERT_EQ(venue_->submits.size(), submits + 2);  // and the short is bought back
  const Order* buy_back = LastSubmitted();
  EXPECT_EQ(buy_back->instrument_id(), p24000_.id);
  EXPECT_EQ(buy_back->side(), OrderSide::kBuy);
  EXPECT_EQ(buy_back->quantity(), Qty(65));
  EXPECT_EQ(s_->spread(id)->state(), SpreadState::kUnwinding);
  AcceptAndFill(buy_back, 65, "102.00");
  EXPECT_EQ(s_->spread(id)->state(), SpreadState::kFailed);
  EXPECT_FALSE(s_->spread(id)->AnyLegOpen());
  EXPECT_TRUE(k().cache().PositionsOpen().empty());
}

// A spread that had ended holds a leg again when a late fill reaches it (an order that
// raced its cancel, reported after the spread failed): it is unwound again, and its P&L
// booked once.
TEST_F(SpreadTest, ALateFillOnASpreadThatEndedIsUnwound) {
  const SpreadId id = WorkingShortLeg(0);
  const Order* shrt = LastSubmitted();
  for (int i = 0; i < 10 && venue_->cancels.empty(); ++i) tk_.Advance(10 * kNanosPerSecond);
  ASSERT_EQ(venue_->cancels.size(), 1u);
  // The cancel is refused at first (the order was still live there), the spread waits.
  venue_->CancelRejected(*shrt, "order is being processed");
  venue_->Canceled(*shrt);
  AcceptAndFill(LastSubmitted(), 65, "70.50");  // the hedge unwound
  ASSERT_EQ(s_->spread(id)->state(), SpreadState::kFailed);
  const std::size_t submits = venue_->submits.size();
  // The venue reports a fill of the canceled order after all (its cancel had lost the race).
  venue_->Filled(*shrt, 65, "101.00");
  if (shrt->filled_qty().is_zero()) GTEST_SKIP() << "the engine refuses a fill after a cancel";
  EXPECT_EQ(s_->spread(id)->state(), SpreadState::kUnwinding);
  ASSERT_EQ(venue_->submits.size(), submits + 1);
  AcceptAndFill(LastSubmitted(), 65, "102.00");
  EXPECT_EQ(s_->spread(id)->state(), SpreadState::kFailed);
  EXPECT_TRUE(k().cache().PositionsOpen().empty());
}

}  // namespace
}  // namespace nacre
