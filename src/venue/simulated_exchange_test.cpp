#include "venue/simulated_exchange.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nse/calendar.h"
#include "testkit/kernel_harness.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::BusRecorder;
using testkit::EventNames;
using testkit::Inr;
using testkit::MakeInit;
using testkit::MakeQuote;
using testkit::MakeTrade;
using testkit::Px;
using testkit::Qty;

using Names = std::vector<std::string>;

const InstrumentId kNifty = MustInstrumentId("NIFTY 50.NSE");

// A NIFTY option listed 2023-01-02 and expiring `expiry` 15:30 IST (lot 65, freeze 1800).
Instrument LongDatedOption(OptionKind kind, const char* strike, int y, int m, int d) {
  InstrumentSpec s;
  s.id = MustInstrumentId(
      fmt::format("NIFTYX{}{}{}{}.NFO", y, m, strike, kind == OptionKind::kCall ? "CE" : "PE"));
  s.lot_size = Qty(65);
  s.freeze_quantity = Qty(1800);
  s.tick_size = Px("0.05");
  return *MakeOption(s, kNifty, kind, Px(strike), FromIst(2023, 1, 2, 9, 15),
                     FromIst(y, m, d, 15, 30));
}

class SimulatedExchangeTest : public ::testing::Test {
 protected:
  // Tuesday 2025-12-30 10:00 IST: the 2026-01-06 weekly (testkit::NiftyOption) is live.
  void Build(SimulatedExchangeConfig config = Base(),
             UnixNanos start = FromIst(2025, 12, 30, 10, 0),
             Money balance = Money::FromInt(10'000'000)) {
    events_.reset();
    accounts_.reset();
    tk_ = std::make_unique<testkit::TestKernel>(testkit::QuietKernelConfig(), start);
    config.hours = hours_.get();
    config.starting_balance = balance;
    auto ex = std::make_unique<SimulatedExchange>(config);
    ex_ = ex.get();
    k().exec_engine().RegisterClient(std::move(ex));
    for (const Instrument& i : {call_, put_, put_low_, put_high_}) {
      k().cache().AddInstrument(i);
      ex_->AddInstrument(i);
    }
    k().cache().AddAccount(
        std::make_unique<Account>(config.account_id, AccountType::kMargin, balance, start),
        config.venue);
    k().portfolio().ManageAccount(config.account_id);
    events_ = std::make_unique<BusRecorder<OrderEvent>>(k().bus(), "events.order.*");
    accounts_ = std::make_unique<BusRecorder<AccountState>>(k().bus(), "events.account.*");
    EXPECT_TRUE(k().Start().ok()) << k().halt_reason();
  }
  static SimulatedExchangeConfig Base() {
    SimulatedExchangeConfig c;
    c.margin_check = false;
    return c;
  }

  Kernel& k() { return tk_->kernel(); }
  UnixNanos now() const { return tk_->now(); }

  const Order* Submit(const OrderInitialized& init) {
    const Order* o = testkit::AddOrder(k(), init);
    k().exec_engine().Execute(testkit::SubmitCommand(*o));
    return o;
  }
  const Order* Working(const OrderInitialized& init) {
    const Order* o = Submit(init);
    ex_->ProcessCommands();
    return o;
  }
  // Sends `init` to the restored `twin` through `other`'s kernel, as the restarted node's
  // strategy would, and lets the twin take it.
  void SendToTwin(testkit::TestKernel& other, SimulatedExchange& twin,
                          const OrderInitialized& init) {
    const Order* o = testkit::AddOrder(other.kernel(), init);
    other.kernel().exec_engine().Execute(testkit::SubmitCommand(*o));
    twin.ProcessCommands();
  }
  // The configuration a saved exchange is restored with in these tests.
  SimulatedExchangeConfig RestoreConfig() {
    SimulatedExchangeConfig c = Base();
    c.hours = hours_.get();
    c.starting_balance = Money::FromInt(10'000'000);
    return c;
  }
  // An exchange restored from `saved` (RestoreConfig), bound to `other`'s kernel (its execution
  // client there); null when the restore fails.
  SimulatedExchange* RestoredTwin(const std::string& saved, testkit::TestKernel& other) {
    auto owned = std::make_unique<SimulatedExchange>(RestoreConfig());
    SimulatedExchange* twin = owned.get();
    for (const Instrument& i : {call_, put_, put_low_, put_high_}) {
      twin->AddInstrument(i);
      other.kernel().cache().AddInstrument(i);
    }
    const Status restored = twin->RestoreState(saved);
    EXPECT_TRUE(restored.ok()) << restored.error();
    if (!restored.ok()) return nullptr;
    other.kernel().exec_engine().RegisterClient(std::move(owned));
    return twin;
  }
  void Quote(const Instrument& i, const char* bid, const char* ask, std::int64_t bid_size = 65,
             std::int64_t ask_size = 65) {
    ex_->OnQuote(MakeQuote(i.id, bid, ask, now(), bid_size, ask_size));
    ex_->ProcessCommands();
  }
  // An index print: to the venue first, then through the data engine, as the backtest loop
  // delivers data (the kernel's expiry settlement watches the underlying on the bus).
  void Index(const char* px) {
    const TradeTick t = MakeTrade(kNifty, px, 1, now());
    ex_->OnTrade(t);
    k().data_engine().Process(t);
    ex_->ProcessCommands();
  }
  void Trade(const Instrument& i, const char* px, std::int64_t size) {
    ex_->OnTrade(MakeTrade(i.id, px, size, now()));
    ex_->ProcessCommands();
  }
  // A 1-minute bar of `i` closing now.
  void BarOf(const Instrument& i, const char* o, const char* h, const char* l, const char* c) {
    ex_->OnBar(testkit::MakeBar(testkit::MakeBarType(i.id), o, h, l, c, 1000, now()));
    ex_->ProcessCommands();
  }
  // The margin the account shows blocked on NIFTY (zero when none).
  MarginBalance NiftyMargin() {
    const auto& m = account().margins();
    auto it = m.find(kNifty);
    return it == m.end() ? MarginBalance{kNifty, Money::Zero(), Money::Zero()} : it->second;
  }
  std::vector<OrderFilled> Fills() const { return events_->Of<OrderFilled>(); }
  std::vector<OrderFilled> FillsOf(const Order* o) const {
    std::vector<OrderFilled> out;
    for (const OrderFilled& f : Fills()) {
      if (f.client_order_id == o->client_order_id()) out.push_back(f);
    }
    return out;
  }
  Names EventsOf(const Order* o) const {
    std::vector<OrderEvent> mine;
    for (const OrderEvent& e : events_->items()) {
      if (HeaderOf(e).client_order_id == o->client_order_id()) mine.push_back(e);
    }
    return EventNames(mine);
  }
  std::string RejectReason(const Order* o) const {
    for (const OrderRejected& r : events_->Of<OrderRejected>()) {
      if (r.client_order_id == o->client_order_id()) return r.reason;
    }
    return "(not rejected)";
  }
  // An exchange with margin checks on, at 10:00 IST on 30-Dec-2025, the index at 24,000.
  void BuildWithMargin(Money balance = Money::FromInt(10'000'000)) {
    SimulatedExchangeConfig c = Base();
    c.margin_check = true;
    Build(c, FromIst(2025, 12, 30, 10, 0), balance);
    Index("24000");
  }
  const Account& account() { return *k().cache().account(AccountId("SIM-001")); }
  // A quote to the exchange and through the data engine (the kernel's cache), as the backtest
  // loop delivers data.
  void QuoteBoth(const Instrument& i, const char* bid, const char* ask, std::int64_t size = 650) {
    const QuoteTick q = MakeQuote(i.id, bid, ask, now(), size, size);
    ex_->OnQuote(q);
    k().data_engine().Process(q);
    ex_->ProcessCommands();
  }
  // The risk engine checks NSE margin on the same book as the exchange.
  void RiskChecksMargin() {
    const SimulatedExchangeConfig& c = ex_->config();
    k().risk_engine().SetNseMargin(
        c.venue, MarginBookConfig{c.margin, c.margin_default_vol, c.underlying_vol});
  }

  const Instrument call_ = testkit::NiftyOption(OptionKind::kCall, "24000");
  const Instrument put_ = testkit::NiftyOption(OptionKind::kPut, "24000");
  const Instrument put_low_ = testkit::NiftyOption(OptionKind::kPut, "23900");
  const Instrument put_high_ = testkit::NiftyOption(OptionKind::kPut, "24100");
  std::unique_ptr<NseCalendar> hours_ = std::make_unique<NseCalendar>();
  std::unique_ptr<testkit::TestKernel> tk_;
  SimulatedExchange* ex_ = nullptr;
  std::unique_ptr<BusRecorder<OrderEvent>> events_;
  std::unique_ptr<BusRecorder<AccountState>> accounts_;
};

// ---- fills ----

TEST_F(SimulatedExchangeTest, MarketBuyTakesTheAskUpToItsSizeThenWalksByTicks) {
  Build();
  Quote(call_, "100", "101", 65, 65);
  const Order* o = Working(MakeInit(call_, "O-1", OrderSide::kBuy, 195));
  const auto f = FillsOf(o);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].last_px, Px("101"));
  EXPECT_EQ(f[1].last_px, Px("101.05"));
  EXPECT_EQ(f[2].last_px, Px("101.10"));
  for (const OrderFilled& x : f) EXPECT_EQ(x.last_qty, Qty(65));
  EXPECT_EQ(o->status(), OrderStatus::kFilled);
}

TEST_F(SimulatedExchangeTest, MarketSellHitsTheBidAndWalksDownWithAConfiguredStep) {
  SimulatedExchangeConfig c = Base();
  c.fill.walk_ticks = 2;
  c.fill.size_step = Qty(130);
  Build(c);
  Quote(call_, "100", "101", 65, 65);
  const Order* o = Working(MakeInit(call_, "O-1", OrderSide::kSell, 260));
  const auto f = FillsOf(o);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].last_px, Px("100"));
  EXPECT_EQ(f[0].last_qty, Qty(65));
  EXPECT_EQ(f[1].last_px, Px("99.90"));
  EXPECT_EQ(f[1].last_qty, Qty(130));
  EXPECT_EQ(f[2].last_px, Px("99.80"));
  EXPECT_EQ(f[2].last_qty, Qty(65));
}

TEST_F(SimulatedExchangeTest, IocTakesOnlyTheDisplayedSizeAndCancelsTheRest) {
  Build();
  Quote(call_, "100", "101", 65, 130);
  const Order* o =
      Working(MakeInit(call_, "O-1", OrderSide::kBuy, 195, nullptr, TimeInForce::kIoc));
  ASSERT_EQ(FillsOf(o).size(), 1u);
  EXPECT_EQ(FillsOf(o)[0].last_qty, Qty(130));
  EXPECT_EQ(o->status(), OrderStatus::kCanceled);
  EXPECT_EQ(o->filled_qty(), Qty(130));
  EXPECT_EQ(ex_->resting_count(), 0u);
}

TEST_F(SimulatedExchangeTest, LimitFillsPartiallyByDisplayedSizeAndRestsTheRest) {
  Build();
  Quote(call_, "100", "101", 65, 65);
  const Order* o = Working(MakeInit(call_, "O-1", OrderSide::kBuy, 195, "101"));
  ASSERT_EQ(FillsOf(o).size(), 1u);  // 101.05 is beyond the limit: no walk
  EXPECT_EQ(o->status(), OrderStatus::kPartiallyFilled);
  EXPECT_EQ(ex_->resting_count(), 1u);
  EXPECT_EQ(FillsOf(o)[0].liquidity_side, LiquiditySide::kTaker);  // it arrived and took
  tk_->Advance(kNanosPerSecond);
  // A later quote crosses the resting rest: the seller came to it, so it trades at its own
  // limit (101, not the quote's 100.50) as the maker, and only the 65 displayed; no walk.
  Quote(call_, "100", "100.50", 65, 65);
  ASSERT_EQ(FillsOf(o).size(), 2u);
  EXPECT_EQ(FillsOf(o)[1].last_px, Px("101"));
  EXPECT_EQ(FillsOf(o)[1].last_qty, Qty(65));
  EXPECT_EQ(FillsOf(o)[1].liquidity_side, LiquiditySide::kMaker);
  EXPECT_EQ(o->status(), OrderStatus::kPartiallyFilled);
  EXPECT_EQ(ex_->resting_count(), 1u);
  tk_->Advance(kNanosPerSecond);
  Quote(call_, "100", "100.90", 65, 260);  // more displayed than it needs
  ASSERT_EQ(FillsOf(o).size(), 3u);
  EXPECT_EQ(FillsOf(o)[2].last_px, Px("101"));
  EXPECT_EQ(FillsOf(o)[2].last_qty, Qty(65));
  EXPECT_EQ(o->status(), OrderStatus::kFilled);
}

TEST_F(SimulatedExchangeTest, RestingSellFillsAtItsLimitWhenABidCrossesIt) {
  Build();
  Quote(call_, "99", "101", 65, 65);
  const Order* o = Working(MakeInit(call_, "O-1", OrderSide::kSell, 130, "100"));
  ASSERT_TRUE(FillsOf(o).empty());
  tk_->Advance(kNanosPerSecond);
  Quote(call_, "102", "103", 65, 65);  // a bid far through the limit
  ASSERT_EQ(FillsOf(o).size(), 1u);
  EXPECT_EQ(FillsOf(o)[0].last_px, Px("100"));
  EXPECT_EQ(FillsOf(o)[0].last_qty, Qty(65));
  EXPECT_EQ(FillsOf(o)[0].liquidity_side, LiquiditySide::kMaker);
  EXPECT_EQ(o->status(), OrderStatus::kPartiallyFilled);
}

TEST_F(SimulatedExchangeTest, LimitPriceProtectionRejectsLimitsBeyondTheBand) {
  Build();
  // Reference 100.50 (the quote mid; no trade yet): above ₹50 the band is ±40% = ±40.20.
  Quote(call_, "100", "101", 65, 65);
  const Order* high = Working(MakeInit(call_, "O-1", OrderSide::kBuy, 65, "140.75"));
  EXPECT_EQ(high->status(), OrderStatus::kRejected);
  EXPECT_EQ(RejectReason(high),
            "order price 140.75 is beyond the LPP limit 140.7 (high band around the "
            "reference 100.5)");
  const Order* edge = Working(MakeInit(call_, "O-2", OrderSide::kBuy, 65, "140.70"));
  EXPECT_NE(edge->status(), OrderStatus::kRejected);  // at the limit: in
  // A trade sets the reference; at or below ₹50 the band is ±₹20.
  Trade(call_, "30", 65);
  const Order* low = Working(MakeInit(call_, "O-3", OrderSide::kSell, 65, "9.95"));
  EXPECT_EQ(low->status(), OrderStatus::kRejected);
  EXPECT_NE(RejectReason(low).find("low band around the reference 30"), std::string::npos)
      << RejectReason(low);
  const Order* ok = Working(MakeInit(call_, "O-4", OrderSide::kSell, 65, "200"));
  EXPECT_EQ(ok->status(), OrderStatus::kAccepted);  // a sell far above is fine
  // A modify beyond the band is refused; the order keeps its price.
  k().exec_engine().Execute(testkit::ModifyCommand(*ok, std::nullopt, Px("5")));
  ex_->ProcessCommands();
  ASSERT_EQ(events_->Of<OrderModifyRejected>().size(), 1u);
  EXPECT_NE(events_->Of<OrderModifyRejected>()[0].reason.find("LPP"), std::string::npos);
  EXPECT_EQ(*ok->price(), Px("200"));
  // Off: no band.
  SimulatedExchangeConfig c = Base();
  c.lpp = false;
  Build(c);
  Quote(call_, "100", "101", 65, 65);
  EXPECT_NE(Working(MakeInit(call_, "O-5", OrderSide::kBuy, 65, "150"))->status(),
            OrderStatus::kRejected);
}

TEST_F(SimulatedExchangeTest, AStopLimitBeyondTheLppBandAtItsTriggerIsRejectedThen) {
  Build();
  Quote(call_, "100", "101", 65, 65);
  // A sell stop at 95 with its limit at 50: fine when placed (LPP applies at release).
  OrderInitialized init = MakeInit(call_, "O-1", OrderSide::kSell, 65, "50");
  init.order_type = OrderType::kStopLimit;
  init.trigger_price = Px("95");
  const Order* o = Working(init);
  EXPECT_EQ(o->status(), OrderStatus::kAccepted);
  tk_->Advance(kNanosPerSecond);
  // Triggered at a 94.50 bid (reference 94.75): the low band is 56.85, the limit 50 is below.
  Quote(call_, "94.50", "95", 65, 65);
  EXPECT_EQ(o->status(), OrderStatus::kRejected);
  EXPECT_NE(RejectReason(o).find("beyond the LPP limit"), std::string::npos) << RejectReason(o);
  EXPECT_NE(RejectReason(o).find("(at trigger)"), std::string::npos) << RejectReason(o);
  EXPECT_TRUE(FillsOf(o).empty());
  EXPECT_EQ(ex_->resting_count(), 0u);
}

TEST_F(SimulatedExchangeTest, UnprotectedMarketOrdersAreRejectedFromApril2026) {
  const Instrument june = LongDatedOption(OptionKind::kCall, "24000", 2026, 6, 30);
  auto run = [&](UnixNanos start, SimulatedExchangeConfig c) {
    Build(c, start);
    k().cache().AddInstrument(june);
    ex_->AddInstrument(june);
    Quote(june, "100", "101", 65, 65);
    return Working(MakeInit(june, "O-1", OrderSide::kBuy, 65));
  };
  const Order* april = run(FromIst(2026, 4, 1, 10, 0), Base());
  EXPECT_EQ(april->status(), OrderStatus::kRejected);
  EXPECT_NE(RejectReason(april).find("market orders without market protection are not allowed"),
            std::string::npos)
      << RejectReason(april);
  EXPECT_EQ(run(FromIst(2026, 3, 31, 10, 0), Base())->status(), OrderStatus::kFilled);
  SimulatedExchangeConfig protect = Base();
  protect.market_protection_pct_raw = 2 * kFixedScale;  // the venue default protects it
  EXPECT_EQ(run(FromIst(2026, 4, 1, 10, 0), protect)->status(), OrderStatus::kFilled);
  SimulatedExchangeConfig off = Base();
  off.require_market_protection = false;
  EXPECT_EQ(run(FromIst(2026, 4, 1, 10, 0), off)->status(), OrderStatus::kFilled);
}

TEST_F(SimulatedExchangeTest, TwoRestingOrdersShareOneQuotesDisplayedSize) {
  Build();
  Quote(call_, "99", "101", 65, 65);
  const Order* a = Working(MakeInit(call_, "O-1", OrderSide::kBuy, 65, "100"));
  const Order* b = Working(MakeInit(call_, "O-2", OrderSide::kBuy, 65, "100"));
  tk_->Advance(kNanosPerSecond);
  Quote(call_, "99", "100", 65, 65);
  EXPECT_EQ(a->status(), OrderStatus::kFilled);
  EXPECT_EQ(b->status(), OrderStatus::kAccepted);  // the 65 shown went to the first order
}

TEST_F(SimulatedExchangeTest, RestingOrdersAPrintTradesThroughShareItsSizeInTimePriority) {
  Build();
  Quote(call_, "99", "101", 65, 65);
  const Order* a = Working(MakeInit(call_, "O-1", OrderSide::kBuy, 65, "100"));
  const Order* b = Working(MakeInit(call_, "O-2", OrderSide::kBuy, 65, "100"));
  tk_->Advance(kNanosPerSecond);
  Trade(call_, "99.95", 100);  // 100 traded: 65 to the first order, the 35 left to the second
  EXPECT_EQ(a->status(), OrderStatus::kFilled);
  ASSERT_EQ(FillsOf(b).size(), 1u);
  EXPECT_EQ(FillsOf(b)[0].last_qty, Qty(35));
  EXPECT_EQ(FillsOf(b)[0].last_px, Px("100"));
  Trade(call_, "99.95", 10);
  ASSERT_EQ(FillsOf(b).size(), 2u);
  EXPECT_EQ(FillsOf(b)[1].last_qty, Qty(10));
  EXPECT_EQ(b->filled_qty(), Qty(45));

  // With queue positions: the size displayed ahead of both is traded once, then the first
  // order, then the second.
  SimulatedExchangeConfig c = Base();
  c.fill.queue_position = true;
  Build(c);
  Quote(call_, "100", "101", 130, 65);  // 130 already bid at 100
  const Order* q1 = Working(MakeInit(call_, "O-1", OrderSide::kBuy, 65, "100"));
  const Order* q2 = Working(MakeInit(call_, "O-2", OrderSide::kBuy, 65, "100"));
  Trade(call_, "100", 200);  // 130 ahead, 65 to the first, 5 to the second
  EXPECT_EQ(q1->status(), OrderStatus::kFilled);
  ASSERT_EQ(FillsOf(q2).size(), 1u);
  EXPECT_EQ(FillsOf(q2)[0].last_qty, Qty(5));
}

TEST_F(SimulatedExchangeTest, LimitTouchFillsOnlyWithItsProbabilityButTradeThroughAlways) {
  SimulatedExchangeConfig c = Base();
  c.fill.limit_touch_probability = 0.0;
  Build(c);
  Quote(call_, "99", "101", 65, 65);
  const Order* o = Working(MakeInit(call_, "O-1", OrderSide::kBuy, 130, "100"));
  tk_->Advance(kNanosPerSecond);
  Trade(call_, "100", 500);  // touches the limit
  EXPECT_TRUE(FillsOf(o).empty());
  Trade(call_, "99.95", 65);  // trades through it: fills at the limit, up to the trade size
  ASSERT_EQ(FillsOf(o).size(), 1u);
  EXPECT_EQ(FillsOf(o)[0].last_px, Px("100"));
  EXPECT_EQ(FillsOf(o)[0].last_qty, Qty(65));
  EXPECT_EQ(FillsOf(o)[0].liquidity_side, LiquiditySide::kMaker);

  c.fill.limit_touch_probability = 1.0;
  Build(c);
  Quote(call_, "99", "101", 65, 65);
  const Order* p = Working(MakeInit(call_, "O-1", OrderSide::kBuy, 65, "100"));
  tk_->Advance(kNanosPerSecond);
  Trade(call_, "100", 500);
  EXPECT_EQ(p->status(), OrderStatus::kFilled);
}

TEST_F(SimulatedExchangeTest, TouchProbabilityIsSeededAndDeterministic) {
  auto run = [&](std::uint64_t seed) {
    SimulatedExchangeConfig c = Base();
    c.fill.limit_touch_probability = 0.5;
    c.fill.seed = seed;
    Build(c);
    Quote(call_, "99", "101", 65, 65);
    std::string pattern;
    for (int i = 0; i < 20; ++i) {
      const Order* o =
          Working(MakeInit(call_, fmt::format("O-{}", i).c_str(), OrderSide::kBuy, 65, "100"));
      tk_->Advance(kNanosPerSecond);
      Trade(call_, "100", 65);
      pattern += o->status() == OrderStatus::kFilled ? '1' : '0';
      if (o->is_open()) k().exec_engine().Execute(testkit::CancelCommand(*o));
      ex_->ProcessCommands();
    }
    return pattern;
  };
  const std::string a = run(7);
  EXPECT_EQ(a, run(7));
  EXPECT_NE(a.find('1'), std::string::npos);
  EXPECT_NE(a.find('0'), std::string::npos);
}

OrderInitialized StopInit(const Instrument& i, const char* coid, OrderSide side, const char* trig,
                          const char* limit = nullptr) {
  OrderInitialized e = MakeInit(i, coid, side, 65, limit);
  e.order_type = limit ? OrderType::kStopLimit : OrderType::kStopMarket;
  e.trigger_price = Px(trig);
  return e;
}

TEST_F(SimulatedExchangeTest, StopTriggersOnTheAskByDefault) {
  Build();
  Quote(call_, "99", "100", 65, 65);
  const Order* o = Working(StopInit(call_, "O-1", OrderSide::kBuy, "105"));
  tk_->Advance(kNanosPerSecond);
  Trade(call_, "106", 10);  // a trade alone does not trigger a bid/ask stop
  EXPECT_EQ(o->status(), OrderStatus::kAccepted);
  Quote(call_, "104.5", "105", 65, 65);
  EXPECT_EQ(EventsOf(o),
            (Names{"OrderSubmitted", "OrderAccepted", "OrderTriggered", "OrderFilled"}));
  EXPECT_EQ(FillsOf(o)[0].last_px, Px("105"));
}

TEST_F(SimulatedExchangeTest, StopOnLastTriggersOnTradesNotQuotes) {
  SimulatedExchangeConfig c = Base();
  c.fill.stop_trigger = StopTriggerSource::kLast;
  Build(c);
  Quote(call_, "99", "100", 65, 65);
  const Order* o = Working(StopInit(call_, "O-1", OrderSide::kSell, "95", "94"));
  tk_->Advance(kNanosPerSecond);
  Quote(call_, "94", "94.5", 65, 65);  // the bid is through the trigger: ignored
  EXPECT_EQ(o->status(), OrderStatus::kAccepted);
  Trade(call_, "95", 10);  // last reaches the trigger: stop-limit sells at the bid >= 94
  EXPECT_TRUE(o->is_triggered());
  ASSERT_EQ(FillsOf(o).size(), 1u);
  EXPECT_EQ(FillsOf(o)[0].last_px, Px("94"));
}

TEST_F(SimulatedExchangeTest, MarketProtectionCapsTheWalkAndRestsTheRest) {
  SimulatedExchangeConfig c = Base();
  c.fill.walk_ticks = 20;                         // ₹1 per level
  c.market_protection_pct_raw = 2 * kFixedScale;  // ±2%: limit 102.00 for an ask of 100
  Build(c);
  Quote(call_, "99", "100", 65, 65);
  const Order* o = Working(MakeInit(call_, "O-1", OrderSide::kBuy, 260));
  const auto f = FillsOf(o);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[2].last_px, Px("102"));
  EXPECT_EQ(o->status(), OrderStatus::kPartiallyFilled);  // 65 rest at 102 unfilled
  tk_->Advance(kNanosPerSecond);
  Quote(call_, "104", "105", 65, 65);
  EXPECT_EQ(FillsOf(o).size(), 3u);  // never above the protection limit
  Quote(call_, "101", "102", 65, 65);
  EXPECT_EQ(o->status(), OrderStatus::kFilled);
}

TEST_F(SimulatedExchangeTest, PerOrderMarketProtectionWinsOverTheDefault) {
  Build();
  Quote(call_, "99", "100", 65, 65);
  OrderInitialized init = MakeInit(call_, "O-1", OrderSide::kBuy, 130);
  init.market_protection_pct_raw = kFixedScale / 100;  // 0.01%: limit 100.01 -> 100.00
  const Order* o = Working(init);
  ASSERT_EQ(FillsOf(o).size(), 1u);  // 100.05 is beyond the protection
  EXPECT_EQ(o->status(), OrderStatus::kPartiallyFilled);
}

TEST_F(SimulatedExchangeTest, ProtectedStopOnQuotesIsALimitAtTheTriggerBandAndMayRest) {
  SimulatedExchangeConfig c = Base();
  c.market_protection_pct_raw = 2 * kFixedScale;  // buy stop at 105: limit 107.10
  Build(c);
  Quote(call_, "99", "100", 65, 65);
  const Order* o = Working(StopInit(call_, "O-1", OrderSide::kBuy, "105"));
  tk_->Advance(kNanosPerSecond);
  Quote(call_, "109", "110", 65, 65);  // gaps through the trigger beyond the band
  EXPECT_TRUE(o->is_triggered());
  EXPECT_TRUE(FillsOf(o).empty());
  EXPECT_EQ(ex_->resting_count(), 1u);
  Quote(call_, "106.5", "107", 65, 65);
  ASSERT_EQ(FillsOf(o).size(), 1u);
  // It rested at its protection limit, so the later quote fills it there, as the maker.
  EXPECT_EQ(FillsOf(o)[0].last_px, Px("107.10"));
  EXPECT_EQ(FillsOf(o)[0].liquidity_side, LiquiditySide::kMaker);

  // Measured from the market when it triggers instead, the same gap fills at the ask.
  c.stop_protection = StopProtectionReference::kMarket;
  Build(c);
  Quote(call_, "99", "100", 65, 65);
  const Order* m = Working(StopInit(call_, "O-1", OrderSide::kBuy, "105"));
  tk_->Advance(kNanosPerSecond);
  Quote(call_, "109", "110", 65, 65);
  ASSERT_EQ(FillsOf(m).size(), 1u);
  EXPECT_EQ(FillsOf(m)[0].last_px, Px("110"));
}

TEST_F(SimulatedExchangeTest, BarTriggeredProtectedStopRestsWhileBarsStayBeyondTheBand) {
  SimulatedExchangeConfig c = Base();
  c.market_protection_pct_raw = 2 * kFixedScale;  // sell stop at 95: limit 93.10
  Build(c);
  BarOf(call_, "100", "101", "99", "100");
  const Order* o = Working(StopInit(call_, "O-1", OrderSide::kSell, "95"));
  ASSERT_EQ(o->status(), OrderStatus::kAccepted);
  tk_->Advance(kNanosPerMinute);
  BarOf(call_, "90", "92", "89", "91");  // opens below the band: triggered, not filled
  EXPECT_TRUE(o->is_triggered());
  EXPECT_TRUE(FillsOf(o).empty());
  tk_->Advance(kNanosPerMinute);
  BarOf(call_, "91", "93", "88", "89");  // the next bar stays below 93.10
  EXPECT_TRUE(FillsOf(o).empty());
  EXPECT_EQ(ex_->resting_count(), 1u);
  tk_->Advance(kNanosPerMinute);
  BarOf(call_, "90", "94", "89", "93.5");  // trades through the limit
  ASSERT_EQ(FillsOf(o).size(), 1u);
  EXPECT_EQ(FillsOf(o)[0].last_px, Px("93.10"));
  EXPECT_EQ(o->status(), OrderStatus::kFilled);

  // A trigger touched inside the band fills at the trigger, as without protection.
  Build(c);
  BarOf(call_, "100", "101", "99", "100");
  const Order* t = Working(StopInit(call_, "O-1", OrderSide::kSell, "95"));
  tk_->Advance(kNanosPerMinute);
  BarOf(call_, "97", "98", "94", "96");
  ASSERT_EQ(FillsOf(t).size(), 1u);
  EXPECT_EQ(FillsOf(t)[0].last_px, Px("95"));

  // Unprotected, the gap fills at the open.
  c.market_protection_pct_raw = 0;
  Build(c);
  BarOf(call_, "100", "101", "99", "100");
  const Order* u = Working(StopInit(call_, "O-1", OrderSide::kSell, "95"));
  tk_->Advance(kNanosPerMinute);
  BarOf(call_, "90", "92", "89", "91");
  ASSERT_EQ(FillsOf(u).size(), 1u);
  EXPECT_EQ(FillsOf(u)[0].last_px, Px("90"));
}

TEST_F(SimulatedExchangeTest, ProtectedStopOnLastTradesRestsBeyondTheBand) {
  SimulatedExchangeConfig c = Base();
  c.fill.stop_trigger = StopTriggerSource::kLast;
  c.market_protection_pct_raw = 2 * kFixedScale;  // buy stop at 105: limit 107.10
  Build(c);
  Trade(call_, "100", 65);
  const Order* o = Working(StopInit(call_, "O-1", OrderSide::kBuy, "105"));
  tk_->Advance(kNanosPerSecond);
  Trade(call_, "110", 65);
  EXPECT_TRUE(o->is_triggered());
  EXPECT_TRUE(FillsOf(o).empty());
  Trade(call_, "108", 65);  // still beyond
  EXPECT_TRUE(FillsOf(o).empty());
  Trade(call_, "107", 65);  // through the limit: filled there
  ASSERT_EQ(FillsOf(o).size(), 1u);
  EXPECT_EQ(FillsOf(o)[0].last_px, Px("107.10"));
}

// ---- latency ----

TEST_F(SimulatedExchangeTest, OrdersSeeTheMarketWhenTheyArriveAndAcksCarryArrivalTime) {
  SimulatedExchangeConfig c = Base();
  c.latency.submit = 100 * kNanosPerMilli;
  Build(c);
  Quote(call_, "99", "101", 65, 65);
  const UnixNanos sent = now();
  const Order* o = Submit(MakeInit(call_, "O-1", OrderSide::kBuy, 65));
  ex_->ProcessCommands();
  EXPECT_EQ(o->status(), OrderStatus::kSubmitted);  // still on its way
  tk_->Advance(50 * kNanosPerMilli);
  Quote(call_, "101", "102", 65, 65);  // before arrival: this is the market it meets
  tk_->Advance(100 * kNanosPerMilli);
  Quote(call_, "102", "103", 65, 65);  // after arrival
  ASSERT_EQ(FillsOf(o).size(), 1u);
  EXPECT_EQ(FillsOf(o)[0].last_px, Px("102"));
  const auto acc = events_->Of<OrderAccepted>();
  ASSERT_EQ(acc.size(), 1u);
  EXPECT_EQ(acc[0].ts_event, sent + 100 * kNanosPerMilli);
}

TEST_F(SimulatedExchangeTest, ACancelInFlightLosesToAFillThatComesFirst) {
  SimulatedExchangeConfig c = Base();
  c.latency.cancel = 200 * kNanosPerMilli;
  Build(c);
  Quote(call_, "99", "101", 65, 65);
  const Order* o = Working(MakeInit(call_, "O-1", OrderSide::kBuy, 65, "100"));
  k().exec_engine().Execute(testkit::CancelCommand(*o));
  tk_->Advance(100 * kNanosPerMilli);
  Quote(call_, "99", "100", 65, 65);  // crosses before the cancel arrives
  EXPECT_EQ(o->status(), OrderStatus::kFilled);
  tk_->Advance(200 * kNanosPerMilli);
  ex_->ProcessCommands();
  EXPECT_EQ(events_->Of<OrderCancelRejected>().size(), 1u);
}

// ---- NSE rules ----

TEST_F(SimulatedExchangeTest, OrdersOutsideHoursAndOnHolidaysAreRejectedWithTheReason) {
  Build(Base(), FromIst(2025, 12, 30, 16, 0));
  const Order* late = Working(MakeInit(call_, "O-1", OrderSide::kBuy, 65, "100"));
  EXPECT_EQ(late->status(), OrderStatus::kRejected);
  EXPECT_NE(RejectReason(late).find("market closed"), std::string::npos) << RejectReason(late);

  hours_ = std::make_unique<NseCalendar>();
  hours_->AddHoliday(CivilDate{2025, 12, 25});
  Build(Base(), FromIst(2025, 12, 25, 10, 0));
  const Order* hol = Working(MakeInit(call_, "O-1", OrderSide::kBuy, 65, "100"));
  EXPECT_EQ(hol->status(), OrderStatus::kRejected);
  EXPECT_NE(RejectReason(hol).find("holiday"), std::string::npos) << RejectReason(hol);
}

TEST_F(SimulatedExchangeTest, LotFreezeAndTickRulesRejectWithTheNumbers) {
  Build();
  const Order* lot = Working(MakeInit(call_, "O-1", OrderSide::kBuy, 100, "100"));
  EXPECT_EQ(RejectReason(lot), "quantity 100 is not a multiple of the lot size 65");
  const Order* frz = Working(MakeInit(call_, "O-2", OrderSide::kBuy, 1820, "100"));
  EXPECT_EQ(RejectReason(frz), "quantity 1820 exceeds the freeze quantity 1800");
  const Order* tick = Working(MakeInit(call_, "O-3", OrderSide::kBuy, 65, "100.03"));
  EXPECT_EQ(RejectReason(tick), "price 100.03 is not on the tick grid 0.05");
  const Order* ok = Working(MakeInit(call_, "O-4", OrderSide::kBuy, 1755, "100"));
  EXPECT_EQ(ok->status(), OrderStatus::kAccepted);
}

TEST_F(SimulatedExchangeTest, FuturesAreRefusedWhileChargesAreOn) {
  InstrumentSpec spec;
  spec.id = MustInstrumentId("NIFTY26JANFUT.NFO");
  spec.lot_size = Qty(65);
  const Instrument fut =
      *MakeFuture(spec, kNifty, FromIst(2025, 10, 28, 9, 15), FromIst(2026, 1, 27, 15, 30));
  Build();
  k().cache().AddInstrument(fut);
  ex_->AddInstrument(fut);
  const Order* o = Working(MakeInit(fut, "O-1", OrderSide::kBuy, 65, "24100"));
  EXPECT_EQ(RejectReason(o).rfind("no charge schedule for futures", 0), 0u) << RejectReason(o);

  SimulatedExchangeConfig c = Base();
  c.charges = false;
  Build(c);
  k().cache().AddInstrument(fut);
  ex_->AddInstrument(fut);
  const Order* ok = Working(MakeInit(fut, "O-1", OrderSide::kBuy, 65, "24100"));
  EXPECT_EQ(ok->status(), OrderStatus::kAccepted);
}

TEST_F(SimulatedExchangeTest, DayOrdersExpireAtTheCloseAndReleaseTheirMargin) {
  SimulatedExchangeConfig c = Base();
  c.margin_check = true;
  // A calendar with a special day elsewhere: a normal day still closes at 15:30.
  ASSERT_TRUE(hours_->AddSpecialSession(CivilDate{2025, 12, 31}, SessionHours{555, 780}).ok());
  Build(c);
  Index("24000");
  Quote(put_, "99", "101", 65, 65);
  const Order* o = Working(MakeInit(put_, "O-1", OrderSide::kSell, 65, "110"));
  ASSERT_EQ(o->status(), OrderStatus::kAccepted) << RejectReason(o);
  EXPECT_GT(NiftyMargin().initial, Money::Zero());
  tk_->AdvanceTo(FromIst(2025, 12, 30, 15, 29));
  Quote(put_, "99", "101", 65, 65);
  EXPECT_EQ(o->status(), OrderStatus::kAccepted);
  tk_->AdvanceTo(FromIst(2025, 12, 30, 15, 30));
  ex_->ProcessCommands();
  EXPECT_EQ(o->status(), OrderStatus::kExpired);
  EXPECT_EQ(account().balance_locked(), Money::Zero());
  EXPECT_TRUE(account().margins().empty());

  // The next day closes early at 13:00 (a special session on a weekday): DAY orders go then.
  tk_->AdvanceTo(FromIst(2025, 12, 31, 10, 0));
  const Order* e = Working(MakeInit(put_, "O-2", OrderSide::kSell, 65, "110"));
  ASSERT_EQ(e->status(), OrderStatus::kAccepted) << RejectReason(e);
  tk_->AdvanceTo(FromIst(2025, 12, 31, 12, 59));
  ex_->ProcessCommands();
  EXPECT_EQ(e->status(), OrderStatus::kAccepted);
  tk_->AdvanceTo(FromIst(2025, 12, 31, 13, 0));
  ex_->ProcessCommands();
  EXPECT_EQ(e->status(), OrderStatus::kExpired);
}

TEST_F(SimulatedExchangeTest, DayOrdersOfASpecialSessionExpireAtItsCloseNotAt1530) {
  // Muhurat trading on a holiday, given by configuration (times illustrative).
  const CivilDate muhurat{2025, 10, 21};
  hours_->AddHoliday(muhurat);
  ASSERT_TRUE(
      hours_
          ->AddSpecialSession(muhurat, SessionHours{13 * 60 + 45, 14 * 60 + 45}, "Muhurat trading")
          .ok());
  const Instrument opt = LongDatedOption(OptionKind::kCall, "24000", 2027, 1, 5);
  Build(Base(), FromIst(2025, 10, 21, 13, 30));
  k().cache().AddInstrument(opt);
  ex_->AddInstrument(opt);
  const Order* early = Working(MakeInit(opt, "O-1", OrderSide::kBuy, 65, "100"));
  EXPECT_EQ(RejectReason(early),
            "market closed: 13:30 IST is outside the Muhurat trading session 13:45-14:45 IST on "
            "2025-10-21");
  tk_->AdvanceTo(FromIst(2025, 10, 21, 14, 0));
  Quote(opt, "99", "101", 65, 65);
  const Order* o = Working(MakeInit(opt, "O-2", OrderSide::kBuy, 65, "100"));
  ASSERT_EQ(o->status(), OrderStatus::kAccepted) << RejectReason(o);
  tk_->AdvanceTo(FromIst(2025, 10, 21, 14, 44));
  Quote(opt, "99", "101", 65, 65);
  EXPECT_EQ(o->status(), OrderStatus::kAccepted);
  tk_->AdvanceTo(FromIst(2025, 10, 21, 14, 45));
  ex_->ProcessCommands();
  EXPECT_EQ(o->status(), OrderStatus::kExpired);
  const auto expired = events_->Of<OrderExpired>();
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].ts_event, FromIst(2025, 10, 21, 14, 45));
  const Order* late = Working(MakeInit(opt, "O-3", OrderSide::kBuy, 65, "100"));
  EXPECT_EQ(RejectReason(late),
            "market closed: 14:45 IST is outside the Muhurat trading session 13:45-14:45 IST on "
            "2025-10-21");
}

// ---- expiry settlement ----

TEST_F(SimulatedExchangeTest, ExpirySettlesItmAtIntrinsicWithSttOnTheLongAndOtmAtZero) {
  Build(Base(), FromIst(2026, 1, 6, 15, 0));
  Quote(call_, "99", "100", 130, 130);
  Quote(put_, "19", "20", 130, 130);
  const Order* c = Working(MakeInit(call_, "O-1", OrderSide::kBuy, 65));
  const Order* p = Working(MakeInit(put_, "O-2", OrderSide::kSell, 65));
  ASSERT_EQ(c->status(), OrderStatus::kFilled);
  ASSERT_EQ(p->status(), OrderStatus::kFilled);
  tk_->AdvanceTo(FromIst(2026, 1, 6, 15, 29));
  Index("24090");
  const Order* late = Working(MakeInit(call_, "O-3", OrderSide::kBuy, 65, "99"));
  EXPECT_EQ(late->status(), OrderStatus::kAccepted);
  tk_->AdvanceTo(FromIst(2026, 1, 6, 15, 30));
  ex_->ProcessCommands();
  EXPECT_EQ(late->status(), OrderStatus::kExpired);
  // Settlement waits for the underlying's price at the expiry time (its closing print).
  EXPECT_TRUE(k().cache().position(NettingPositionId(call_.id, StrategyId("S-001")))->is_open());
  Index("24120.35");
  const Position* cp = k().cache().position(NettingPositionId(call_.id, StrategyId("S-001")));
  const Position* pp = k().cache().position(NettingPositionId(put_.id, StrategyId("S-001")));
  ASSERT_TRUE(cp && pp);
  EXPECT_TRUE(cp->is_closed());
  EXPECT_TRUE(pp->is_closed());
  std::vector<OrderFilled> settle;
  for (const OrderFilled& f : Fills()) {
    if (f.client_order_id.value().find("SETTLE") != std::string::npos) settle.push_back(f);
  }
  ASSERT_EQ(settle.size(), 2u);
  // The long call: intrinsic 120.35; STT 0.125% of 120.35 × 65 = 7,822.75 is 9.778. The day's
  // contract note rounds STT once: 0.1% of the put sold (19 × 65 = 1,235 -> 1.235) + 9.778 =
  // 11.01, of which the sale already carried 1.24: the exercise carries 9.77.
  const OrderFilled& cs = settle[0].instrument_id == call_.id ? settle[0] : settle[1];
  const OrderFilled& ps = settle[0].instrument_id == call_.id ? settle[1] : settle[0];
  EXPECT_EQ(cs.last_px, Px("120.35"));
  EXPECT_EQ(cs.order_side, OrderSide::kSell);
  EXPECT_EQ(cs.charges.stt, Inr("9.77"));
  EXPECT_EQ(cs.commission, Inr("9.77"));
  EXPECT_EQ(cs.charges.brokerage, Inr("0"));
  EXPECT_EQ(ps.last_px, Px("0"));  // the short put expires worthless: no exit charges
  EXPECT_EQ(ps.commission, Inr("0"));
  // Expired instruments refuse new orders.
  const Order* after = Working(MakeInit(call_, "O-4", OrderSide::kBuy, 65, "1"));
  EXPECT_NE(RejectReason(after).find("expired"), std::string::npos) << RejectReason(after);
}

TEST_F(SimulatedExchangeTest, ShortItmIsBoughtBackAtIntrinsicWithoutStt) {
  Build(Base(), FromIst(2026, 1, 6, 15, 0));
  Quote(call_, "99", "100", 130, 130);
  const Order* c = Working(MakeInit(call_, "O-1", OrderSide::kSell, 65));
  ASSERT_EQ(c->status(), OrderStatus::kFilled);
  tk_->AdvanceTo(FromIst(2026, 1, 6, 15, 30));
  Index("24050");
  const Position* cp = k().cache().position(NettingPositionId(call_.id, StrategyId("S-001")));
  ASSERT_TRUE(cp && cp->is_closed());
  const OrderFilled s = Fills().back();
  EXPECT_EQ(s.last_px, Px("50"));
  EXPECT_EQ(s.order_side, OrderSide::kBuy);
  EXPECT_EQ(s.commission, Inr("0"));
  // realized = (99 - 50) × 65 - charges of the opening sell
  EXPECT_EQ(cp->realized_pnl(), Inr("3185") - Fills()[0].commission);
}

TEST_F(SimulatedExchangeTest, SettlementMovesTheBalanceByExactlyTheSettlementCash) {
  // Premium-style account: fills move the balance by the premium, settlement by intrinsic.
  Build(Base(), FromIst(2026, 1, 6, 15, 0));
  Quote(call_, "99", "100", 130, 130);     // long, ends ITM (24000 C at 24050: 50)
  Quote(put_high_, "79", "80", 130, 130);  // short, ends ITM (24100 P at 24050: 50)
  Quote(put_, "29", "30", 130, 130);       // long, ends OTM
  Quote(put_low_, "9", "10", 130, 130);    // short, ends OTM
  const Money start = account().balance_total();
  Working(MakeInit(call_, "O-1", OrderSide::kBuy, 65));
  Working(MakeInit(put_high_, "O-2", OrderSide::kSell, 65));
  Working(MakeInit(put_, "O-3", OrderSide::kBuy, 65));
  Working(MakeInit(put_low_, "O-4", OrderSide::kSell, 65));
  ASSERT_EQ(Fills().size(), 4u);
  Money entry_charges;
  for (const OrderFilled& f : Fills()) entry_charges += f.commission;
  EXPECT_GT(entry_charges, Money::Zero());
  // − 100 × 65 + 79 × 65 − 30 × 65 + 9 × 65 = −2,730 premium, and the charges.
  const Money before = account().balance_total();
  EXPECT_EQ(before, start - Inr("2730") - entry_charges);
  tk_->AdvanceTo(FromIst(2026, 1, 6, 15, 30));
  Index("24050");
  std::map<InstrumentId, OrderFilled> settle;
  for (const OrderFilled& f : Fills()) {
    if (f.client_order_id.value().find("SETTLE") != std::string::npos) {
      settle.emplace(f.instrument_id, f);
    }
  }
  ASSERT_EQ(settle.size(), 4u);
  const OrderFilled& long_itm = settle.at(call_.id);
  EXPECT_EQ(long_itm.last_px, Px("50"));
  EXPECT_GT(long_itm.charges.stt, Money::Zero());  // STT on exercise
  EXPECT_EQ(settle.at(put_high_.id).last_px, Px("50"));
  EXPECT_EQ(settle.at(put_high_.id).commission, Money::Zero());
  EXPECT_EQ(settle.at(put_.id).last_px, Px("0"));
  EXPECT_EQ(settle.at(put_low_.id).last_px, Px("0"));
  // The long receives 50 × 65 less its STT, the short pays 50 × 65, the OTM legs move nothing.
  EXPECT_EQ(account().balance_total(), before + Inr("3250") - long_itm.commission - Inr("3250"));
  // Flat: the balance is the start plus the realized P&L (net of every charge).
  EXPECT_EQ(account().balance_total(), start + k().portfolio().RealizedPnl(Venue("NFO")));
  EXPECT_EQ(k().portfolio().Equity(Venue("NFO")), account().balance_total());
}

// ---- margin ----

TEST_F(SimulatedExchangeTest, NakedShortBeyondFreeMarginIsRejectedWithTheNumbers) {
  BuildWithMargin(Money::FromInt(61'000));
  Quote(put_, "99.95", "100", 650, 650);
  const Order* o = Working(MakeInit(put_, "O-1", OrderSide::kSell, 65, "99.95"));
  ASSERT_EQ(o->status(), OrderStatus::kRejected);
  const std::string why = RejectReason(o);
  EXPECT_EQ(why.rfind("insufficient margin: required ₹", 0), 0u) << why;
  EXPECT_NE(why.find(", free ₹61,000.00"), std::string::npos) << why;
  auto m = ex_->MarginFor(kNifty, o->client_order_id());
  ASSERT_TRUE(m.ok());
  EXPECT_NE(why.find(m->total.ToDisplay()), std::string::npos) << why;
  EXPECT_GT(m->total, Money::FromInt(61'000));
}

TEST_F(SimulatedExchangeTest, HedgeFirstGetsTheBenefitAndMarginIsReleasedOnClose) {
  BuildWithMargin(Money::FromInt(61'000));
  Quote(put_, "99.95", "100", 650, 650);
  Quote(put_low_, "69.95", "70", 650, 650);
  // Alone the short is refused (previous test); with the 23900 put held first it fits.
  const Order* hedge = Working(MakeInit(put_low_, "O-1", OrderSide::kBuy, 65));
  ASSERT_EQ(hedge->status(), OrderStatus::kFilled);
  // The premium (70 × 65) left the balance on the fill, so it is not blocked a second time:
  // only the long's SPAN is, and free = start − premium − charges − SPAN.
  auto mh = ex_->MarginFor(kNifty);
  ASSERT_TRUE(mh.ok());
  EXPECT_GT(mh->premium, Money::Zero());
  EXPECT_EQ(account().balance_total(),
            Money::FromInt(61'000) - Inr("4550") - Fills()[0].commission);
  EXPECT_EQ(account().balance_locked(), mh->span + mh->exposure);
  EXPECT_EQ(account().balance_free(),
            Money::FromInt(61'000) - Inr("4550") - Fills()[0].commission - mh->span - mh->exposure);
  const Order* shrt = Working(MakeInit(put_, "O-2", OrderSide::kSell, 65));
  ASSERT_EQ(shrt->status(), OrderStatus::kFilled) << RejectReason(shrt);
  auto m = ex_->MarginFor(kNifty);
  ASSERT_TRUE(m.ok());
  EXPECT_GT(m->hedge_benefit, Money::Zero());
  EXPECT_EQ(account().balance_locked(), m->total - m->premium);
  EXPECT_EQ(account().balance_locked(), m->span + m->exposure);
  ASSERT_FALSE(accounts_->empty());
  EXPECT_TRUE(accounts_->back().reported);
  // Close both legs: the margin is released.
  tk_->Advance(kNanosPerSecond);
  Working(MakeInit(put_, "O-3", OrderSide::kBuy, 65));
  Working(MakeInit(put_low_, "O-4", OrderSide::kSell, 65));
  EXPECT_EQ(account().balance_locked(), Money::Zero());
  EXPECT_TRUE(account().margins().empty());
}

TEST_F(SimulatedExchangeTest, BuyNeedsFreeBalanceForItsPremium) {
  // A long option has little SPAN but its premium must be paid: ₹4,000 cannot buy 65 × ₹70.
  BuildWithMargin(Money::FromInt(4'000));
  Quote(put_low_, "69.95", "70", 650, 650);
  const Order* o = Working(MakeInit(put_low_, "O-1", OrderSide::kBuy, 65));
  ASSERT_EQ(o->status(), OrderStatus::kRejected);
  const std::string why = RejectReason(o);
  auto m = ex_->MarginFor(kNifty, o->client_order_id());
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->premium, Inr("4548.38"));  // 65 × the 69.975 mid, rounded up
  EXPECT_EQ(why, "insufficient margin: required " + m->total.ToDisplay() + ", free ₹4,000.00");
  EXPECT_EQ(account().balance_total(), Money::FromInt(4'000));
}

TEST_F(SimulatedExchangeTest, ModifyIsCheckedForFreezeAndMargin) {
  BuildWithMargin(Money::FromInt(200'000));
  Quote(put_, "99.95", "100.05", 650, 650);
  const Order* o = Working(MakeInit(put_, "O-1", OrderSide::kSell, 65, "120"));
  ASSERT_EQ(o->status(), OrderStatus::kAccepted) << RejectReason(o);
  k().exec_engine().Execute(testkit::ModifyCommand(*o, Qty(1820)));
  ex_->ProcessCommands();
  k().exec_engine().Execute(testkit::ModifyCommand(*o, Qty(650)));
  ex_->ProcessCommands();
  const auto rej = events_->Of<OrderModifyRejected>();
  ASSERT_EQ(rej.size(), 2u);
  EXPECT_EQ(rej[0].reason, "quantity 1820 exceeds the freeze quantity 1800");
  EXPECT_EQ(rej[1].reason.rfind("insufficient margin: required ₹", 0), 0u) << rej[1].reason;
  EXPECT_EQ(o->quantity(), Qty(65));
}

// Precheck answers as the arrival would, rule by rule, and changes nothing: the same order
// submitted afterwards is rejected (or accepted) with the very same text.
TEST_F(SimulatedExchangeTest, PrecheckNamesTheRuleAndTheTextArrivalWouldGiveWithoutSideEffects) {
  BuildWithMargin(Money::FromInt(61'000));
  Quote(put_, "99.95", "100", 650, 650);
  auto check = [&](const OrderInitialized& init) {
    const Order order(init);
    return ex_->Precheck(order, now());
  };
  const auto tick = check(MakeInit(put_, "P-1", OrderSide::kBuy, 65, "99.97"));
  ASSERT_TRUE(tick.has_value());
  EXPECT_EQ(tick->rule, VenueRule::kTickSize);
  EXPECT_EQ(tick->message, "price 99.97 is not on the tick grid 0.05");
  const auto lot = check(MakeInit(put_, "P-2", OrderSide::kBuy, 60, "99.95"));
  ASSERT_TRUE(lot.has_value());
  EXPECT_EQ(lot->rule, VenueRule::kLotSize);
  const auto freeze = check(MakeInit(put_, "P-3", OrderSide::kBuy, 1820, "99.95"));
  ASSERT_TRUE(freeze.has_value());
  EXPECT_EQ(freeze->rule, VenueRule::kFreezeQuantity);
  const auto lpp = check(MakeInit(put_, "P-4", OrderSide::kBuy, 65, "150"));
  ASSERT_TRUE(lpp.has_value());
  EXPECT_EQ(lpp->rule, VenueRule::kLpp);
  EXPECT_TRUE(ex_->order(ClientOrderId("P-4")) == nullptr);
  // The margin refusal carries the figures its text gives.
  const auto margin = check(MakeInit(put_, "O-1", OrderSide::kSell, 65, "99.95"));
  ASSERT_TRUE(margin.has_value());
  EXPECT_EQ(margin->rule, VenueRule::kMargin);
  EXPECT_EQ(margin->free, Money::FromInt(61'000));
  EXPECT_EQ(margin->message, fmt::format("insufficient margin: required {}, free {}",
                                         margin->required.ToDisplay(), margin->free.ToDisplay()));
  EXPECT_EQ(events_->size(), 0u);
  const Order* o = Working(MakeInit(put_, "O-1", OrderSide::kSell, 65, "99.95"));
  EXPECT_EQ(RejectReason(o), margin->message);
  // A buy within the balance passes; so does its modify to a price on the grid, while a modify
  // past the freeze quantity is refused as the exchange would refuse it.
  EXPECT_FALSE(check(MakeInit(put_, "P-5", OrderSide::kBuy, 65, "90")).has_value());
  const Order* buy = Working(MakeInit(put_, "O-2", OrderSide::kBuy, 65, "90"));
  ASSERT_EQ(buy->status(), OrderStatus::kAccepted) << RejectReason(buy);
  EXPECT_FALSE(ex_->PrecheckModify(buy->client_order_id(), {}, Px("90.05"), {}).has_value());
  const auto big = ex_->PrecheckModify(buy->client_order_id(), Qty(1820), {}, {});
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(big->rule, VenueRule::kFreezeQuantity);
  EXPECT_EQ(ex_->PrecheckModify(ClientOrderId("nope"), {}, Px("90.05"), {})->rule,
            VenueRule::kNotOpen);
}

// Rupees halfway between two amounts (a balance that fits the smaller, not the larger).
Money Between(const Money& a, const Money& b) {
  return Money::FromInt((a.raw() + b.raw()) / 2 / kFixedScale);
}

TEST_F(SimulatedExchangeTest, WorkingOrdersBlockMarginTogetherAndCancelReleasesIt) {
  SimulatedExchangeConfig c = Base();
  c.margin_check = true;
  auto setup = [&](Money balance) {
    Build(c, FromIst(2025, 12, 30, 10, 0), balance);
    Index("24000");
    Quote(put_, "99.95", "100.05", 650, 650);
    Quote(put_high_, "149.95", "150.05", 650, 650);
  };
  // On a large balance both shorts work (neither is marketable): what each and both block.
  setup(Money::FromInt(10'000'000));
  const Order* a = Working(MakeInit(put_, "O-1", OrderSide::kSell, 65, "120"));
  const Order* b = Working(MakeInit(put_high_, "O-2", OrderSide::kSell, 65, "170"));
  ASSERT_EQ(a->status(), OrderStatus::kAccepted);
  ASSERT_EQ(b->status(), OrderStatus::kAccepted);
  const Money m1 = ex_->MarginFor(kNifty, a->client_order_id())->total;
  const Money m2 = ex_->MarginFor(kNifty, b->client_order_id())->total;
  auto both = ex_->BlockedMarginFor(kNifty);
  ASSERT_TRUE(both.ok()) << both.error();
  EXPECT_EQ(both->positions, Money::Zero());
  EXPECT_GT(both->working, std::max(m1, m2));
  EXPECT_EQ(NiftyMargin().initial, both->working);  // shown as blocked for working orders
  EXPECT_EQ(NiftyMargin().maintenance, Money::Zero());
  EXPECT_EQ(account().balance_locked(), both->working);
  ASSERT_FALSE(accounts_->empty());
  EXPECT_TRUE(accounts_->back().reported);

  // Each fits the balance alone; together they do not: the second is refused with the numbers.
  const Money balance = Between(std::max(m1, m2), both->working);
  setup(balance);
  a = Working(MakeInit(put_, "O-1", OrderSide::kSell, 65, "120"));
  ASSERT_EQ(a->status(), OrderStatus::kAccepted) << RejectReason(a);
  EXPECT_EQ(NiftyMargin().initial, m1);
  EXPECT_EQ(account().balance_free(), balance - m1);
  b = Working(MakeInit(put_high_, "O-2", OrderSide::kSell, 65, "170"));
  ASSERT_EQ(b->status(), OrderStatus::kRejected);
  EXPECT_EQ(RejectReason(b),
            fmt::format("insufficient margin: required {}, free {}",
                        (both->working - m1).ToDisplay(), (balance - m1).ToDisplay()));
  EXPECT_EQ(account().balance_locked(), m1);  // a refused order blocks nothing

  // Canceling the first releases its block; then the second fits.
  k().exec_engine().Execute(testkit::CancelCommand(*a));
  ex_->ProcessCommands();
  EXPECT_EQ(a->status(), OrderStatus::kCanceled);
  EXPECT_EQ(account().balance_locked(), Money::Zero());
  EXPECT_TRUE(account().margins().empty());
  const Order* b2 = Working(MakeInit(put_high_, "O-3", OrderSide::kSell, 65, "170"));
  ASSERT_EQ(b2->status(), OrderStatus::kAccepted) << RejectReason(b2);
  EXPECT_EQ(NiftyMargin().initial, m2);
}

TEST_F(SimulatedExchangeTest, FillsMoveTheBlockFromWorkingOrdersIntoPositionMargin) {
  BuildWithMargin();
  Quote(put_, "99.95", "100.05", 65, 65);
  const Order* o = Working(MakeInit(put_, "O-1", OrderSide::kSell, 130, "120"));
  ASSERT_EQ(o->status(), OrderStatus::kAccepted);
  EXPECT_EQ(NiftyMargin().initial, ex_->MarginFor(kNifty, o->client_order_id())->total);
  EXPECT_EQ(NiftyMargin().maintenance, Money::Zero());
  tk_->Advance(kNanosPerSecond);
  Quote(put_, "120", "120.05", 65, 65);  // 65 of 130 fill at the displayed bid
  ASSERT_EQ(o->status(), OrderStatus::kPartiallyFilled);
  const Money position = ex_->MarginFor(kNifty)->total;
  const MarginBalance half = NiftyMargin();
  EXPECT_EQ(half.maintenance, position);
  EXPECT_GT(half.maintenance, Money::Zero());
  // The 65 still working block what they add to the position.
  EXPECT_EQ(half.initial, ex_->MarginFor(kNifty, o->client_order_id())->total - position);
  EXPECT_GT(half.initial, Money::Zero());
  EXPECT_EQ(account().balance_locked(), half.initial + half.maintenance);
  Quote(put_, "120", "120.05", 65, 65);
  ASSERT_EQ(o->status(), OrderStatus::kFilled);
  EXPECT_EQ(NiftyMargin().initial, Money::Zero());
  EXPECT_EQ(NiftyMargin().maintenance, ex_->MarginFor(kNifty)->total);
  EXPECT_EQ(account().balance_locked(), NiftyMargin().maintenance);
}

TEST_F(SimulatedExchangeTest, AWorkingBuyBlocksItsPremiumUntilTheFillPaysItFromTheBalance) {
  // Premium-style cash: a resting buy blocks the premium at its limit; once it fills the
  // balance pays the premium and the position's block no longer contains it.
  BuildWithMargin();
  Quote(put_, "99.95", "100.05", 65, 65);
  const Money start = account().balance_total();
  const Order* o = Working(MakeInit(put_, "O-1", OrderSide::kBuy, 65, "90"));
  ASSERT_EQ(o->status(), OrderStatus::kAccepted) << RejectReason(o);
  const MarginResult working = *ex_->MarginFor(kNifty, o->client_order_id());
  EXPECT_GE(working.premium, Inr("5850.00"));  // 65 × max(mark, the ₹90 limit)
  EXPECT_EQ(NiftyMargin().initial, working.total);
  EXPECT_EQ(NiftyMargin().maintenance, Money::Zero());
  tk_->Advance(kNanosPerSecond);
  Quote(put_, "89.95", "90", 65, 65);  // the ask reaches the limit: filled at ₹90
  ASSERT_EQ(o->status(), OrderStatus::kFilled);
  const MarginResult held = *ex_->MarginFor(kNifty);
  EXPECT_GT(held.premium, Money::Zero());
  EXPECT_EQ(NiftyMargin().initial, Money::Zero());
  EXPECT_EQ(NiftyMargin().maintenance, held.total - held.premium);
  EXPECT_EQ(account().balance_locked(), held.total - held.premium);
  const Money charges = Fills().at(0).commission;
  EXPECT_EQ(account().balance_total(), start - Inr("5850.00") - charges);
}

TEST_F(SimulatedExchangeTest, ModifyThatRaisesTheBlockBeyondFreeMarginIsRefused) {
  BuildWithMargin();
  Quote(put_, "99.95", "100.05", 650, 650);
  const Order* probe = Working(MakeInit(put_, "O-1", OrderSide::kSell, 65, "120"));
  const Money one = ex_->MarginFor(kNifty, probe->client_order_id())->total;
  const Money two = ex_->MarginFor(kNifty, probe->client_order_id(), Qty(130))->total;
  const Money balance = Between(one, two);

  BuildWithMargin(balance);
  Quote(put_, "99.95", "100.05", 650, 650);
  const Order* o = Working(MakeInit(put_, "O-1", OrderSide::kSell, 65, "120"));
  ASSERT_EQ(o->status(), OrderStatus::kAccepted) << RejectReason(o);
  k().exec_engine().Execute(testkit::ModifyCommand(*o, Qty(130)));
  ex_->ProcessCommands();
  const auto rej = events_->Of<OrderModifyRejected>();
  ASSERT_EQ(rej.size(), 1u);
  EXPECT_EQ(rej[0].reason, fmt::format("insufficient margin: required {}, free {}",
                                       (two - one).ToDisplay(), (balance - one).ToDisplay()));
  EXPECT_EQ(o->quantity(), Qty(65));
  EXPECT_EQ(NiftyMargin().initial, one);
  // A sell's price does not change its margin: re-pricing is accepted.
  k().exec_engine().Execute(testkit::ModifyCommand(*o, std::nullopt, Px("125")));
  ex_->ProcessCommands();
  EXPECT_EQ(o->price(), Px("125"));
  EXPECT_EQ(NiftyMargin().initial, one);
}

TEST_F(SimulatedExchangeTest, RaisingABuysLimitRaisesItsPremiumAndIsRechecked) {
  SimulatedExchangeConfig c = Base();
  c.margin_check = true;
  // The 24000 call (far out of the money) has no market yet: its premium is charged at the
  // buy's limit.
  Build(c);
  Index("22500");
  const Order* probe = Working(MakeInit(call_, "O-1", OrderSide::kBuy, 65, "50"));
  const Money at50 = ex_->MarginFor(kNifty, probe->client_order_id())->total;
  const Money at150 = ex_->MarginFor(kNifty, probe->client_order_id(), std::nullopt, Px("150"))->total;
  EXPECT_EQ(at150 - at50, Inr("6500"));  // (150 − 50) × 65 of premium
  const Money balance = Between(at50, at150);

  Build(c, FromIst(2025, 12, 30, 10, 0), balance);
  Index("22500");
  const Order* o = Working(MakeInit(call_, "O-1", OrderSide::kBuy, 65, "50"));
  ASSERT_EQ(o->status(), OrderStatus::kAccepted) << RejectReason(o);
  EXPECT_EQ(NiftyMargin().initial, at50);
  k().exec_engine().Execute(testkit::ModifyCommand(*o, std::nullopt, Px("150")));
  ex_->ProcessCommands();
  const auto rej = events_->Of<OrderModifyRejected>();
  ASSERT_EQ(rej.size(), 1u);
  EXPECT_EQ(rej[0].reason, fmt::format("insufficient margin: required ₹6,500.00, free {}",
                                       (balance - at50).ToDisplay()));
  EXPECT_EQ(o->price(), Px("50"));
}

TEST_F(SimulatedExchangeTest, AWorkingHedgeLendsNoBenefitToAShortUntilItFills) {
  BuildWithMargin(Money::FromInt(61'000));
  Quote(put_, "99.95", "100", 650, 650);
  Quote(put_low_, "69.95", "70", 650, 650);
  // The long 23900 put works below the ask: the short is charged naked and refused.
  const Order* hedge = Working(MakeInit(put_low_, "O-1", OrderSide::kBuy, 65, "69"));
  ASSERT_EQ(hedge->status(), OrderStatus::kAccepted) << RejectReason(hedge);
  const Order* early = Working(MakeInit(put_, "O-2", OrderSide::kSell, 65, "99.95"));
  ASSERT_EQ(early->status(), OrderStatus::kRejected);
  EXPECT_EQ(RejectReason(early).rfind("insufficient margin: required ₹", 0), 0u)
      << RejectReason(early);
  // Once the long is in the position the same short fits (HedgeFirstGetsTheBenefit...).
  tk_->Advance(kNanosPerSecond);
  Quote(put_low_, "68.95", "69", 650, 650);
  ASSERT_EQ(hedge->status(), OrderStatus::kFilled);
  const Order* shrt = Working(MakeInit(put_, "O-3", OrderSide::kSell, 65, "99.95"));
  EXPECT_EQ(shrt->status(), OrderStatus::kFilled) << RejectReason(shrt);
}

TEST_F(SimulatedExchangeTest, AWorkingCloseDoesNotPayForAWorkingOpenOnTheSameSide) {
  // Short a put, work its buy-back, then work a call buy: the buy-back may never fill, so the
  // call's premium must be covered by free margin on its own.
  BuildWithMargin(Money::FromInt(200'000));
  Quote(put_, "99.95", "100", 650, 650);
  Quote(call_, "100", "101", 650, 650);
  const Order* shrt = Working(MakeInit(put_, "O-1", OrderSide::kSell, 65));
  ASSERT_EQ(shrt->status(), OrderStatus::kFilled) << RejectReason(shrt);
  const Order* back = Working(MakeInit(put_, "O-2", OrderSide::kBuy, 65, "90"));
  ASSERT_EQ(back->status(), OrderStatus::kAccepted) << RejectReason(back);
  EXPECT_EQ(NiftyMargin().initial, Money::Zero());  // a close alone raises nothing
  const Order* call = Working(MakeInit(call_, "O-3", OrderSide::kBuy, 65, "99"));
  ASSERT_EQ(call->status(), OrderStatus::kAccepted) << RejectReason(call);
  // Blocked: at least the call's premium at its limit (the short stays if the close misses).
  EXPECT_GE(NiftyMargin().initial, Inr("6435.00"));  // 65 × 99
  // A call buy larger than the free balance is refused although the working close, if it
  // filled, would release more than the call costs.
  const Money free = account().balance_free();
  const std::int64_t lots = free.raw() / (65 * 99 * kFixedScale) + 1;
  ASSERT_LE(lots * 65, 1800) << "free balance too large for one order";
  const Order* big = Working(MakeInit(call_, "O-4", OrderSide::kBuy, lots * 65, "99"));
  ASSERT_EQ(big->status(), OrderStatus::kRejected);
  EXPECT_EQ(RejectReason(big).rfind("insufficient margin: required ₹", 0), 0u) << RejectReason(big);
}

TEST_F(SimulatedExchangeTest, AddingToALongPaysTheLimitOnlyForTheNewUnits) {
  BuildWithMargin();
  Quote(put_low_, "69", "71", 650, 650);  // mark (mid) 70
  const Order* first = Working(MakeInit(put_low_, "O-1", OrderSide::kBuy, 650));
  ASSERT_EQ(first->status(), OrderStatus::kFilled) << RejectReason(first);
  const Order* add = Working(MakeInit(put_low_, "O-2", OrderSide::kBuy, 65, "70.95"));
  ASSERT_EQ(add->status(), OrderStatus::kAccepted) << RejectReason(add);
  // 715 units at the ₹70 mark plus 65 × the ₹0.95 the limit pays above it; the 650 held are
  // not repriced at the limit (that would be 715 × 70.95 = ₹50,729.25).
  const MarginResult with_add = *ex_->MarginFor(kNifty, add->client_order_id());
  EXPECT_EQ(with_add.premium, Inr("50111.75"));
  EXPECT_EQ(NiftyMargin().initial, with_add.total - ex_->MarginFor(kNifty)->total);
}

// ---- charges ----

class ExchangeChargesTest : public SimulatedExchangeTest {
 protected:
  // Sell 1 lot (65) at 100, buy back at 80 on the date (IST 10:00), on a long-dated option.
  ChargeBreakdown RoundTrip(int y, int m, int d) {
    const Instrument opt = LongDatedOption(OptionKind::kCall, "24000", 2027, 1, 5);
    SimulatedExchangeConfig c = Base();
    c.require_market_protection = false;  // plain market orders, as in NSE_FNO.md's example
    Build(c, FromIst(y, m, d, 10, 0));
    k().cache().AddInstrument(opt);
    ex_->AddInstrument(opt);
    Quote(opt, "100", "100.05", 65, 65);
    const Order* s = Working(MakeInit(opt, "O-1", OrderSide::kSell, 65));
    tk_->Advance(kNanosPerMinute);
    Quote(opt, "79.95", "80", 65, 65);
    const Order* b = Working(MakeInit(opt, "O-2", OrderSide::kBuy, 65));
    EXPECT_EQ(s->status(), OrderStatus::kFilled);
    EXPECT_EQ(b->status(), OrderStatus::kFilled);
    ChargeBreakdown sum;
    Money commissions;
    for (const OrderFilled& f : Fills()) {
      Accumulate(sum, f.charges);
      EXPECT_EQ(f.commission, f.charges.Total());
      commissions += f.commission;
    }
    EXPECT_EQ(commissions, ex_->total_charges().Total());
    EXPECT_EQ(k().portfolio().TotalCommissions(Venue("NFO")), commissions);
    return sum;
  }
};

TEST_F(ExchangeChargesTest, WorkedRoundTripOfNseFnoToThePaisa) {
  const ChargeBreakdown b = RoundTrip(2026, 4, 7);
  EXPECT_EQ(b.brokerage, Inr("40.00"));
  EXPECT_EQ(b.stt, Inr("9.75"));
  EXPECT_EQ(b.exchange, Inr("4.10"));
  EXPECT_EQ(b.ipft, Inr("0.06"));
  EXPECT_EQ(b.sebi, Inr("0.01"));
  EXPECT_EQ(b.stamp, Inr("0.16"));
  EXPECT_EQ(b.gst, Inr("7.95"));
  EXPECT_EQ(b.Total(), Inr("62.03"));
}

TEST_F(ExchangeChargesTest, SameTradeUnder2023Rates) {
  const ChargeBreakdown b = RoundTrip(2023, 6, 15);
  EXPECT_EQ(b.stt, Inr("4.06"));       // 0.0625% of 6,500
  EXPECT_EQ(b.exchange, Inr("5.85"));  // 0.05% of 11,700
  EXPECT_EQ(b.gst, Inr("8.27"));       // 18% of 40 + 5.85 + 0.0585 + 0.0117 = 45.9202
  EXPECT_EQ(b.Total(), Inr("58.41"));
}

TEST_F(ExchangeChargesTest, SameTradeUnderMid2025Rates) {
  const ChargeBreakdown b = RoundTrip(2025, 7, 15);
  EXPECT_EQ(b.stt, Inr("6.50"));       // 0.1% of 6,500
  EXPECT_EQ(b.exchange, Inr("4.10"));  // 0.03503% of 11,700
  EXPECT_EQ(b.gst, Inr("7.95"));
  EXPECT_EQ(b.Total(), Inr("58.78"));
}

TEST_F(ExchangeChargesTest, ScheduleOverriddenFromATomlFile) {
  const std::string path =
      (std::filesystem::temp_directory_path() / "nacre_exchange_charges_test.toml").string();
  {
    std::ofstream f(path);
    f << "[[stt_sell]]\nfrom = \"2026-04-01\"\nrate = \"0.2%\"\n";
  }
  SimulatedExchangeConfig c = Base();
  c.schedule = std::make_shared<const ChargeSchedule>(ChargeSchedule::LoadFile(path));
  std::remove(path.c_str());
  const Instrument opt = LongDatedOption(OptionKind::kCall, "24000", 2027, 1, 5);
  c.require_market_protection = false;
  Build(c, FromIst(2026, 4, 7, 10, 0));
  k().cache().AddInstrument(opt);
  ex_->AddInstrument(opt);
  Quote(opt, "100", "100.05", 65, 65);
  const Order* o = Working(MakeInit(opt, "O-1", OrderSide::kSell, 65));
  ASSERT_EQ(FillsOf(o).size(), 1u);
  EXPECT_EQ(FillsOf(o)[0].charges.stt, Inr("13.00"));  // 0.2% of 6,500 (built-in: 9.75)
}

TEST_F(ExchangeChargesTest, ChargesOffLeavesFillsFree) {
  SimulatedExchangeConfig c = Base();
  c.charges = false;
  Build(c);
  Quote(call_, "100", "100.05", 65, 65);
  const Order* o = Working(MakeInit(call_, "O-1", OrderSide::kSell, 65));
  ASSERT_EQ(FillsOf(o).size(), 1u);
  EXPECT_EQ(FillsOf(o)[0].commission, Money::Zero());
  EXPECT_EQ(ex_->total_charges().Total(), Money::Zero());
}

TEST_F(ExchangeChargesTest, BrokerageOncePerOrderAcrossPartialFills) {
  const Instrument opt = LongDatedOption(OptionKind::kCall, "24000", 2027, 1, 5);
  SimulatedExchangeConfig plain = Base();
  plain.require_market_protection = false;
  Build(plain, FromIst(2026, 4, 7, 10, 0));
  k().cache().AddInstrument(opt);
  ex_->AddInstrument(opt);
  Quote(opt, "100", "100.05", 65, 65);
  const Order* o = Working(MakeInit(opt, "O-1", OrderSide::kSell, 195));
  const auto f = FillsOf(o);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].charges.brokerage, Inr("20"));
  EXPECT_EQ(f[1].charges.brokerage, Inr("0"));
  EXPECT_EQ(f[2].charges.brokerage, Inr("0"));
}

TEST_F(ExchangeChargesTest, AccountInvariantHoldsAfterTradesAndSettlement) {
  Build(Base(), FromIst(2026, 1, 6, 14, 0));
  Quote(call_, "99", "100", 130, 130);
  Quote(put_, "19", "20", 130, 130);
  Working(MakeInit(call_, "O-1", OrderSide::kBuy, 130));
  Working(MakeInit(put_, "O-2", OrderSide::kSell, 65));
  tk_->Advance(kNanosPerMinute);
  Quote(call_, "109", "110", 65, 65);
  Working(MakeInit(call_, "O-3", OrderSide::kSell, 65));
  tk_->AdvanceTo(FromIst(2026, 1, 6, 15, 30));
  Index("23990");  // both remaining legs expire: call OTM, put ITM short
  const Venue nfo("NFO");
  const Money realized = k().portfolio().RealizedPnl(nfo);
  const Money unrealized = k().portfolio().UnrealizedPnl(nfo);
  EXPECT_EQ(unrealized, Money::Zero());
  EXPECT_EQ(account().balance_total(), account().starting_balance() + realized);
  EXPECT_EQ(k().portfolio().Equity(nfo), account().starting_balance() + realized + unrealized);
  Money fill_charges;
  for (const OrderFilled& f : Fills()) fill_charges += f.commission;
  EXPECT_EQ(fill_charges, ex_->total_charges().Total());
  EXPECT_EQ(fill_charges, k().portfolio().TotalCommissions(nfo));
  EXPECT_GT(fill_charges, Money::Zero());
}

// ---- queue position ----

TEST_F(SimulatedExchangeTest, QueuePositionTradesAtTheLimitFirstUseUpTheSizeAheadOfIt) {
  for (const bool queue : {false, true}) {
    SimulatedExchangeConfig c = Base();
    c.fill.queue_position = queue;
    Build(c);
    Quote(call_, "100", "101", 130, 65);  // 130 already bid at 100
    const Order* o = Working(MakeInit(call_, "O-1", OrderSide::kBuy, 65, "100"));
    ASSERT_EQ(o->status(), OrderStatus::kAccepted);
    Trade(call_, "100", 100);
    if (!queue) {
      // Without the model a trade at the limit fills it at once.
      EXPECT_EQ(o->status(), OrderStatus::kFilled);
      continue;
    }
    EXPECT_TRUE(FillsOf(o).empty());  // 100 of the 130 ahead traded; 30 still ahead
    Quote(call_, "100", "101", 65, 65);  // the level shrank: 30 ahead (never more than shown)
    Trade(call_, "100", 50);             // 30 ahead, then 20 to the order
    ASSERT_EQ(FillsOf(o).size(), 1u);
    EXPECT_EQ(FillsOf(o)[0].last_qty, Qty(20));
    EXPECT_EQ(FillsOf(o)[0].last_px, Px("100"));
    EXPECT_EQ(FillsOf(o)[0].liquidity_side, LiquiditySide::kMaker);
    Trade(call_, "100", 100);
    EXPECT_EQ(o->status(), OrderStatus::kFilled);
    EXPECT_EQ(o->filled_qty(), Qty(65));
  }
}

TEST_F(SimulatedExchangeTest, QueuePositionAnOrderThatImprovesTheBidHasNobodyAhead) {
  SimulatedExchangeConfig c = Base();
  c.fill.queue_position = true;
  Build(c);
  Quote(call_, "100", "101", 130, 65);
  const Order* better = Working(MakeInit(call_, "O-1", OrderSide::kBuy, 65, "100.50"));
  Trade(call_, "100.50", 40);
  ASSERT_EQ(FillsOf(better).size(), 1u);
  EXPECT_EQ(FillsOf(better)[0].last_qty, Qty(40));
  // A modify to the crowded price joins the back of its queue.
  k().exec_engine().Execute(testkit::ModifyCommand(*better, std::nullopt, Px("100")));
  ex_->ProcessCommands();
  Trade(call_, "100", 100);
  EXPECT_EQ(better->filled_qty(), Qty(40));  // 130 were ahead at 100
}

// ---- one margin book for the risk engine and the exchange ----

TEST_F(SimulatedExchangeTest, RiskEngineAndExchangeBlockIdenticalMarginFromOneBook) {
  BuildWithMargin();
  RiskChecksMargin();
  QuoteBoth(put_, "99.95", "100.05");
  QuoteBoth(put_low_, "60", "60.10");
  QuoteBoth(call_, "110", "110.10");
  QuoteBoth(put_high_, "150", "150.10");
  // Positions: a put credit spread (short 24000, long 23900); working: a call far above the
  // market and a put bid far below it.
  ASSERT_EQ(Working(MakeInit(put_low_, "O-1", OrderSide::kBuy, 65, "60.10"))->status(),
            OrderStatus::kFilled);
  ASSERT_EQ(Working(MakeInit(put_, "O-2", OrderSide::kSell, 65, "99.95"))->status(),
            OrderStatus::kFilled);
  ASSERT_EQ(Working(MakeInit(call_, "O-3", OrderSide::kSell, 130, "200"))->status(),
            OrderStatus::kAccepted);
  ASSERT_EQ(Working(MakeInit(put_high_, "O-4", OrderSide::kBuy, 65, "120"))->status(),
            OrderStatus::kAccepted);
  auto venue = ex_->BlockedMarginFor(kNifty);
  auto risk = k().risk_engine().NseBlockedMargin(Venue("NFO"), kNifty);
  ASSERT_TRUE(venue.ok()) << venue.error();
  ASSERT_TRUE(risk.ok()) << risk.error();
  EXPECT_EQ(*venue, *risk);
  EXPECT_GT(venue->positions, Money::Zero());
  EXPECT_GT(venue->working, Money::Zero());
  // And what the account shows is that block.
  EXPECT_EQ(NiftyMargin().maintenance, venue->positions);
  EXPECT_EQ(NiftyMargin().initial, venue->working);
}

TEST_F(SimulatedExchangeTest, RiskEngineDeniesWithTheFiguresTheExchangeWouldRejectWith) {
  // Without the risk engine's check the exchange rejects the naked short on arrival.
  BuildWithMargin(Money::FromInt(61'000));
  QuoteBoth(put_, "99.95", "100");
  const Order* at_venue = Working(MakeInit(put_, "O-1", OrderSide::kSell, 65, "99.95"));
  ASSERT_EQ(at_venue->status(), OrderStatus::kRejected);
  const std::string venue_reason = RejectReason(at_venue);
  ASSERT_EQ(venue_reason.rfind("insufficient margin: required ₹", 0), 0u) << venue_reason;

  // With it, the order never leaves: denied before the send, with the same figures.
  BuildWithMargin(Money::FromInt(61'000));
  RiskChecksMargin();
  QuoteBoth(put_, "99.95", "100");
  // Through the risk engine, as a strategy's submit goes.
  const Order* denied = testkit::AddOrder(k(), MakeInit(put_, "O-1", OrderSide::kSell, 65, "99.95"));
  k().risk_engine().Execute(testkit::SubmitCommand(*denied));
  ASSERT_EQ(denied->status(), OrderStatus::kDenied);
  const auto d = events_->Of<OrderDenied>();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].reason_code, "INSUFFICIENT_MARGIN");
  EXPECT_EQ(d[0].message, venue_reason);
  EXPECT_EQ(ex_->order(denied->client_order_id()), nullptr);  // the exchange never saw it

  // A hedge first: the short then fits, as it does at the exchange.
  const Order* hedge = testkit::AddOrder(k(), MakeInit(put_low_, "O-2", OrderSide::kBuy, 65, "5"));
  k().risk_engine().Execute(testkit::SubmitCommand(*hedge));
  EXPECT_NE(hedge->status(), OrderStatus::kDenied);
}

TEST_F(SimulatedExchangeTest, RiskEngineLeavesTheCheckToTheVenueWithoutAnUnderlyingPrice) {
  Build(Base());  // no index price anywhere
  RiskChecksMargin();
  QuoteBoth(put_, "99.95", "100");
  const Order* o = testkit::AddOrder(k(), MakeInit(put_, "O-1", OrderSide::kSell, 65, "99.95"));
  k().risk_engine().Execute(testkit::SubmitCommand(*o));
  EXPECT_NE(o->status(), OrderStatus::kDenied);
  EXPECT_EQ(k().risk_engine().margin_unchecked_count(), 1u);
}

// ---- the ledger: reports from the exchange's own records ----

TEST_F(SimulatedExchangeTest, ReportsComeFromTheLedgerWithEveryOrderOfTheDay) {
  Build();
  Quote(call_, "100", "101", 65, 65);
  const Order* filled = Working(MakeInit(call_, "O-1", OrderSide::kBuy, 130));  // walks
  const Order* resting = Working(MakeInit(call_, "O-2", OrderSide::kBuy, 65, "90"));
  const Order* rejected = Working(MakeInit(call_, "O-3", OrderSide::kBuy, 10, "90"));  // lot
  const Order* canceled = Working(MakeInit(call_, "O-4", OrderSide::kSell, 65, "150"));
  k().exec_engine().Execute(testkit::CancelCommand(*canceled));
  ex_->ProcessCommands();
  ASSERT_EQ(filled->status(), OrderStatus::kFilled);
  ASSERT_EQ(resting->status(), OrderStatus::kAccepted);
  ASSERT_EQ(rejected->status(), OrderStatus::kRejected);
  ASSERT_EQ(canceled->status(), OrderStatus::kCanceled);

  auto ms = ex_->GenerateMassStatus();
  ASSERT_TRUE(ms.ok());
  EXPECT_TRUE(ms->orders_complete);
  EXPECT_TRUE(ms->positions_reported);
  std::map<std::string, OrderStatusReport> by_id;
  for (const OrderStatusReport& r : ms->orders) by_id[r.client_order_id.value()] = r;
  ASSERT_EQ(by_id.size(), 4u);
  for (const Order* o : {filled, resting, rejected, canceled}) {
    const OrderStatusReport& r = by_id.at(o->client_order_id().value());
    EXPECT_EQ(r.status, o->status()) << o->client_order_id().value();
    EXPECT_EQ(r.filled_qty, o->filled_qty());
    EXPECT_EQ(r.venue_order_id, o->venue_order_id());
    EXPECT_EQ(r.tag, o->venue_tag());
  }
  EXPECT_EQ(by_id.at("O-1").avg_px, filled->avg_px());
  EXPECT_EQ(by_id.at("O-2").leaves_qty, Qty(65));
  EXPECT_EQ(by_id.at("O-4").cancelled_qty, Qty(65));
  EXPECT_EQ(by_id.at("O-3").reason, RejectReason(rejected));
  // Fills: one report per kernel fill, same trade ids and prices.
  const auto fills = Fills();
  ASSERT_EQ(ms->fills.size(), fills.size());
  for (std::size_t i = 0; i < fills.size(); ++i) {
    EXPECT_EQ(ms->fills[i].trade_id, fills[i].trade_id);
    EXPECT_EQ(ms->fills[i].last_px, fills[i].last_px);
    EXPECT_EQ(ms->fills[i].client_order_id, fills[i].client_order_id);
  }
  // Positions: the ledger's net equals the kernel's.
  ASSERT_EQ(ms->positions.size(), 1u);
  const Position* p = k().cache().PositionsOpen().front();
  EXPECT_EQ(ms->positions[0].signed_qty_raw(), p->signed_qty_raw());
  EXPECT_EQ(ms->positions[0].avg_px_open, Price::Raw(p->avg_px_open().raw(), 2));
  // Cash: the premium paid, as the portfolio booked it (charges are off in Base()... on here).
  EXPECT_EQ(ex_->cash(), account().balance_total());
}

// A venue alone, bound to a recording sink: what it says and when.
struct RecordingSink final : ExecutionEventSink {
  std::vector<OrderEvent> events;
  std::vector<OrderStatusReport> reports;
  void OnOrderEvent(const OrderEvent& e) override { events.push_back(e); }
  void OnAccountState(const AccountState&) override {}
  void OnOrderStatusReport(const OrderStatusReport& r, const std::vector<FillReport>&,
                           const ClientId&) override {
    reports.push_back(r);
  }
};

TEST(SimulatedExchangeLedger, QueryAnswersFromTheLedgerAndIsSilentForAnOrderNeverReceived) {
  const Instrument call = testkit::NiftyOption(OptionKind::kCall, "24000");
  const UnixNanos t0 = FromIst(2025, 12, 30, 10, 0);
  TestClock clock(t0);
  UuidGenerator uuids(7);
  RecordingSink sink;
  SimulatedExchangeConfig c;
  c.margin_check = false;
  c.charges = false;
  c.latency.submit = kNanosPerSecond;
  SimulatedExchange ex(c);
  ex.Bind(&sink, &clock, &uuids);
  ex.AddInstrument(call);
  ex.OnQuote(MakeQuote(call.id, "100", "101", t0, 65, 65));
  const Order order(MakeInit(call, "O-1", OrderSide::kBuy, 65, "90"));
  nacre::SubmitOrder submit;
  submit.instrument_id = call.id;
  submit.client_order_id = order.client_order_id();
  ex.SubmitOrder(submit, order);
  nacre::QueryOrder q;
  q.instrument_id = call.id;
  q.client_order_id = order.client_order_id();
  // In flight: the exchange has no record of it and says nothing (never "rejected").
  ex.QueryOrder(q, order);
  EXPECT_TRUE(sink.reports.empty());
  EXPECT_EQ(ex.order(order.client_order_id()), nullptr);
  clock.SetTime(t0 + kNanosPerSecond);
  ex.ProcessCommands();
  ex.QueryOrder(q, order);
  ASSERT_EQ(sink.reports.size(), 1u);
  EXPECT_EQ(sink.reports[0].status, OrderStatus::kAccepted);
  EXPECT_EQ(sink.reports[0].venue_order_id, VenueOrderId("NFO-1"));
  EXPECT_EQ(sink.reports[0].ts_accepted, t0 + kNanosPerSecond);
  EXPECT_EQ(sink.reports[0].leaves_qty, Qty(65));
}

// A fill on the first tick of a new IST day belongs to that day's records: the day roll runs
// before anything of that time is matched (it used to run after, wiping the fill).
TEST_F(SimulatedExchangeTest, AFillOnTheFirstTickOfADayIsInThatDaysReports) {
  Build();
  Quote(call_, "100", "101", 65, 65);
  const Order* o = Working(MakeInit(call_, "O-1", OrderSide::kBuy, 65, "95", TimeInForce::kGtc));
  ASSERT_EQ(o->status(), OrderStatus::kAccepted);
  tk_->AdvanceTo(FromIst(2025, 12, 31, 9, 15));  // the next trading day's open
  Quote(call_, "94", "94.50", 65, 65);
  ASSERT_EQ(o->status(), OrderStatus::kFilled);
  const auto fills = ex_->GenerateFillReports({});
  ASSERT_EQ(fills.size(), 1u);
  EXPECT_EQ(fills[0].client_order_id, o->client_order_id());
  ASSERT_NE(ex_->order(o->client_order_id()), nullptr);
  const auto positions = ex_->GeneratePositionStatusReports({});
  ASSERT_EQ(positions.size(), 1u);
  EXPECT_EQ(positions[0].overnight_quantity, Qty(0));  // bought today, not carried
}

// A cancel with no latency for an order still inside its submit latency finds nothing at the
// venue (rejected); the order then arrives and works normally.
TEST_F(SimulatedExchangeTest, AnInstantCancelOfAnOrderStillInFlightDoesNotFreezeIt) {
  SimulatedExchangeConfig c = Base();
  c.latency.submit = kNanosPerSecond;
  Build(c);
  Quote(call_, "100", "101", 65, 65);
  const Order* o = Submit(MakeInit(call_, "O-1", OrderSide::kBuy, 65, "99"));
  k().exec_engine().Execute(testkit::CancelCommand(*o));
  ex_->ProcessCommands();
  EXPECT_EQ(events_->Of<OrderCancelRejected>().size(), 1u);
  tk_->Advance(kNanosPerSecond);
  ex_->ProcessCommands();
  ASSERT_EQ(o->status(), OrderStatus::kAccepted);
  Quote(call_, "98", "98.50", 65, 65);  // crosses it: it must still match
  EXPECT_EQ(o->status(), OrderStatus::kFilled);
}

// Futures book realized P&L into cash; a partial close of a large position keeps the average
// price exact (the open value is average × remaining units, never a 128-bit overflow).
TEST_F(SimulatedExchangeTest, LedgerFuturesPartialCloseOfALargePositionIsExact) {
  SimulatedExchangeConfig c = Base();
  c.charges = false;
  Build(c);
  InstrumentSpec spec;
  spec.id = MustInstrumentId("NIFTY26JANFUT.NFO");
  spec.lot_size = Qty(75);
  spec.tick_size = Px("0.05");
  const Instrument fut =
      *MakeFuture(spec, kNifty, FromIst(2025, 10, 28, 9, 15), FromIst(2026, 1, 27, 15, 30));
  k().cache().AddInstrument(fut);
  ex_->AddInstrument(fut);
  const Money cash0 = ex_->cash();
  Quote(fut, "23999.95", "24000", 3000, 3000);
  ASSERT_EQ(Working(MakeInit(fut, "O-1", OrderSide::kBuy, 3000))->status(), OrderStatus::kFilled);
  Quote(fut, "24100", "24100.05", 3000, 3000);
  ASSERT_EQ(Working(MakeInit(fut, "O-2", OrderSide::kSell, 75))->status(), OrderStatus::kFilled);
  EXPECT_EQ(ex_->positions().at(fut.id).realized, Inr("7500"));  // 100 points × 75
  EXPECT_EQ(ex_->cash() - cash0, Inr("7500"));
  const auto pos = ex_->GeneratePositionStatusReports({});
  ASSERT_EQ(pos.size(), 1u);
  EXPECT_EQ(pos[0].quantity, Qty(2925));
  EXPECT_EQ(pos[0].avg_px_open, Px("24000"));
}

// ---- save and restore ----

TEST_F(SimulatedExchangeTest, SavedStateRestoresIntoAFreshExchangeThatContinuesExactly) {
  Build();
  Quote(call_, "100", "101", 65, 65);
  Working(MakeInit(call_, "O-1", OrderSide::kBuy, 130));                // filled, walked
  Working(MakeInit(call_, "O-2", OrderSide::kBuy, 130, "99"));          // rests
  Working(MakeInit(put_, "O-3", OrderSide::kSell, 65, "250"));          // rests (no market)
  const std::string saved = ex_->SaveState();

  SimulatedExchange restored(RestoreConfig());
  for (const Instrument& i : {call_, put_, put_low_, put_high_}) restored.AddInstrument(i);
  const Status st = restored.RestoreState(saved);
  ASSERT_TRUE(st.ok()) << st.error();
  EXPECT_EQ(restored.SaveState(), saved);
  EXPECT_EQ(restored.cash(), ex_->cash());
  EXPECT_EQ(restored.resting_count(), 2u);
  EXPECT_EQ(restored.GenerateOrderStatusReports({}).size(), 3u);
  EXPECT_EQ(restored.GeneratePositionStatusReports({}).size(), 1u);

  // The original goes on: the next quote crosses the resting buy at 99 (65 displayed).
  Quote(call_, "98", "98.50", 65, 65);
  const std::string after_original = ex_->SaveState();
  // The restored one, bound to another kernel at the same time, meets the same quote.
  testkit::TestKernel other(testkit::QuietKernelConfig(), now());
  SimulatedExchange* twin = RestoredTwin(saved, other);
  ASSERT_NE(twin, nullptr);
  twin->OnQuote(MakeQuote(call_.id, "98", "98.50", now(), 65, 65));
  twin->ProcessCommands();
  EXPECT_EQ(twin->SaveState(), after_original);
  EXPECT_EQ(twin->GenerateFillReports({}).size(), ex_->GenerateFillReports({}).size());
}

TEST_F(SimulatedExchangeTest, DataSeenAgainAfterARestoreMeetsOnlyOrdersThatCameSince) {
  // Before the save: a buy resting at 99 (O-2, 65) met the quote 98/98.50 with 130 offered and
  // took 65 of it at its limit; O-4 rests at 98 (not crossed). After the restore the same quote
  // comes again (a node resuming at its time): O-2 does not meet it twice, and only the 65 it
  // left is offered, to O-4 raised to 99 since (a resting order: at its limit); O-5, sent
  // since, finds the ask's 130 gone and takes the next level (the fill model's walk).
  Build();
  Quote(call_, "100", "101", 65, 65);
  Working(MakeInit(call_, "O-2", OrderSide::kBuy, 65, "99"));
  Working(MakeInit(call_, "O-4", OrderSide::kBuy, 130, "98"));
  const QuoteTick q = MakeQuote(call_.id, "97.50", "98.50", now(), 130, 130);
  ex_->OnQuote(q);
  ex_->ProcessCommands();
  ASSERT_EQ(ex_->GenerateFillReports({}).size(), 1u);  // O-2's 65 at 99
  const std::string saved = ex_->SaveState();
  testkit::TestKernel other(testkit::QuietKernelConfig(), now());
  SimulatedExchange* twin = RestoredTwin(saved, other);
  ASSERT_NE(twin, nullptr);
  const Order* o4 =
      testkit::AddOrder(other.kernel(), MakeInit(call_, "O-4", OrderSide::kBuy, 130, "98"));
  other.kernel().exec_engine().Execute(testkit::ModifyCommand(*o4, std::nullopt, Px("99")));
  twin->ProcessCommands();
  ASSERT_EQ(twin->GenerateFillReports({}).size(), 1u);  // no market yet: O-4 rests at 99
  twin->SeeMarket(q);
  twin->ProcessCommands();
  auto fills = twin->GenerateFillReports({});
  ASSERT_EQ(fills.size(), 2u);
  EXPECT_EQ(fills[1].client_order_id, ClientOrderId("O-4"));
  EXPECT_EQ(fills[1].last_qty, Qty(65)) << "what O-2 left of the 130 offered";
  EXPECT_EQ(fills[1].last_px, Px("99")) << "resting: at its limit";
  SendToTwin(other, *twin, MakeInit(call_, "O-5", OrderSide::kBuy, 65, "99"));
  fills = twin->GenerateFillReports({});
  ASSERT_EQ(fills.size(), 3u);
  EXPECT_EQ(fills[2].client_order_id, ClientOrderId("O-5"));
  EXPECT_GT(fills[2].last_px, Px("98.50")) << "the 130 at the ask are gone: a level beyond";
}

TEST_F(SimulatedExchangeTest, DataSeenAgainOffersWhatFillsAgainstEarlierPricesDidNotTake) {
  // A buy filled at 97 (against a quote before) at the same time as the quote seen again after
  // the restore: it took nothing from that quote's ask at 98.50, all of which is offered.
  Build();
  Quote(call_, "96.50", "97", 65, 65);
  Working(MakeInit(call_, "O-1", OrderSide::kBuy, 65));  // takes the ask at 97
  const QuoteTick q = MakeQuote(call_.id, "98", "98.50", now(), 130, 130);
  const std::string saved = ex_->SaveState();
  testkit::TestKernel other(testkit::QuietKernelConfig(), now());
  SimulatedExchange* twin = RestoredTwin(saved, other);
  ASSERT_NE(twin, nullptr);
  twin->SeeMarket(q);
  SendToTwin(other, *twin, MakeInit(call_, "O-2", OrderSide::kBuy, 130, "98.50"));
  const auto fills = twin->GenerateFillReports({});
  ASSERT_EQ(fills.size(), 2u);
  EXPECT_EQ(fills[1].last_qty, Qty(130));
  EXPECT_EQ(fills[1].last_px, Px("98.50"));
}

TEST_F(SimulatedExchangeTest, APrintSeenAgainOffersOnlyWhatFillsBeforeTheSaveLeftOfIt) {
  // Before the save: 100 traded at 99.95 through a buy resting at 100 (O-1, 65). After the
  // restore the same print comes again: a buy resting at 100 sent since (O-2) gets the 35 O-1
  // left of it, not 100.
  Build();
  Quote(call_, "99", "101", 65, 65);
  Working(MakeInit(call_, "O-1", OrderSide::kBuy, 65, "100"));
  tk_->Advance(kNanosPerSecond);
  const TradeTick t = MakeTrade(call_.id, "99.95", 100, now());
  ex_->OnTrade(t);
  ex_->ProcessCommands();
  ASSERT_EQ(ex_->GenerateFillReports({}).size(), 1u);
  const std::string saved = ex_->SaveState();
  testkit::TestKernel other(testkit::QuietKernelConfig(), now());
  SimulatedExchange* twin = RestoredTwin(saved, other);
  ASSERT_NE(twin, nullptr);
  SendToTwin(other, *twin, MakeInit(call_, "O-2", OrderSide::kBuy, 65, "100"));
  ASSERT_EQ(twin->GenerateFillReports({}).size(), 1u);  // no market yet: it rests
  twin->SeeMarket(t);
  twin->ProcessCommands();
  const auto fills = twin->GenerateFillReports({});
  ASSERT_EQ(fills.size(), 2u);
  EXPECT_EQ(fills[1].client_order_id, ClientOrderId("O-2"));
  EXPECT_EQ(fills[1].last_qty, Qty(35));
  EXPECT_EQ(fills[1].last_px, Px("100"));
}

TEST_F(SimulatedExchangeTest, RestoreRefusesABadStateNamingTheFieldAndChangesNothing) {
  Build();
  Quote(call_, "100", "101", 65, 65);
  Working(MakeInit(call_, "O-1", OrderSide::kBuy, 65, "99"));
  std::string saved = ex_->SaveState();

  SimulatedExchangeConfig c = Base();
  SimulatedExchange fresh(c);
  const std::string empty = fresh.SaveState();
  auto refused = [&](const std::string& text, const std::string& field) {
    const Status st = fresh.RestoreState(text);
    ASSERT_FALSE(st.ok()) << field;
    EXPECT_TRUE(st.Is(ErrorCode::kInvalidInput)) << st.error();
    EXPECT_NE(st.error().find("'" + field + "'"), std::string::npos) << st.error();
    EXPECT_EQ(fresh.SaveState(), empty);
  };
  refused("{ not json", "(document)");
  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = saved;
    const auto pos = t.find(from);
    EXPECT_NE(pos, std::string::npos) << from;
    return t.replace(pos, from.size(), to);
  };
  refused(with("nacre.simulated-exchange.v1", "nacre.simulated-exchange.v0"), "format");
  refused(with("\"venue\": \"NFO\"", "\"venue\": \"BSE\""), "venue");
  refused(with("\"status\": \"ACCEPTED\"", "\"status\": \"SLEEPING\""), "orders");
  refused(with("\"filled_value\": \"0\"", "\"filled_value\": \"1x\""), "orders");
  // A state for another exchange that already trades is refused too.
  EXPECT_TRUE(ex_->RestoreState(saved).Is(ErrorCode::kFailedPrecondition));
}
}  // namespace
}  // namespace nacre
