#include "risk/risk_engine.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "testkit/kernel_harness.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::BusRecorder;
using testkit::Inr;
using testkit::MakeInit;
using testkit::Px;
using testkit::Qty;
using testkit::RecordingExecClient;

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// Closed outside 09:15-15:30 IST; remembers which instrument it was asked about.
class TestMarketHours final : public MarketHours {
 public:
  std::string ClosedReason(const Instrument& instrument, UnixNanos t) const override {
    last_instrument = instrument.id;
    const CivilDateTime ist = ToIst(t);
    const int minute = ist.hour * 60 + ist.minute;
    if (minute < 9 * 60 + 15 || minute >= 15 * 60 + 30) return "outside 09:15-15:30";
    return {};
  }
  mutable InstrumentId last_instrument;
};

class RiskEngineTest : public ::testing::Test {
 protected:
  void SetUp() override { Build({}); }

  // (Re)builds the kernel with a risk config and start time.
  void Build(RiskEngineConfig risk, UnixNanos start = testkit::DefaultStart()) {
    events_.reset();
    risk_events_.reset();
    KernelConfig config = testkit::QuietKernelConfig();
    config.risk_engine = risk;
    tk_ = std::make_unique<testkit::TestKernel>(config, start);
    auto nfo = std::make_unique<RecordingExecClient>("NFO-CLIENT", "NFO");
    client_ = nfo.get();
    k().exec_engine().RegisterClient(std::move(nfo));
    k().exec_engine().RegisterClient(std::make_unique<RecordingExecClient>("NSE-CLIENT", "NSE"));
    k().cache().AddInstrument(fut_);
    k().cache().AddInstrument(opt_);
    k().cache().AddInstrument(idx_);
    events_ = std::make_unique<BusRecorder<OrderEvent>>(k().bus(), "events.order.S-001");
    risk_events_ = std::make_unique<BusRecorder<RiskStateChanged>>(k().bus(), topics::kRiskEvents);
    testkit::AddMissingAccounts(k(), k().clock().Now());
    EXPECT_TRUE(k().Start().ok()) << k().halt_reason();
  }

  Kernel& k() { return tk_->kernel(); }
  RiskEngine& risk() { return k().risk_engine(); }

  const Order* Submit(const OrderInitialized& init) {
    const Order* o = testkit::AddOrder(k(), init);
    risk().Execute(testkit::SubmitCommand(*o));
    return o;
  }

  bool Forwarded(const Order* o) const {
    for (const auto& s : client_->submits) {
      if (s.client_order_id == o->client_order_id()) return true;
    }
    return false;
  }

  std::optional<OrderDenied> DenialOf(const Order* o) const {
    for (const auto& d : events_->Of<OrderDenied>()) {
      if (d.client_order_id == o->client_order_id()) return d;
    }
    return std::nullopt;
  }

  // Expects `o` denied with `code`; returns the message for further checks.
  std::string ExpectDenied(const Order* o, const std::string& code) {
    const auto d = DenialOf(o);
    EXPECT_TRUE(d.has_value()) << o->client_order_id().value() << " was not denied";
    if (!d) return {};
    EXPECT_EQ(d->reason_code, code) << d->message;
    EXPECT_EQ(o->status(), OrderStatus::kDenied);
    EXPECT_FALSE(Forwarded(o));
    EXPECT_EQ(d->ts_event, tk_->now());
    return d->message;
  }

  void ExpectPassed(const Order* o) {
    const auto d = DenialOf(o);
    EXPECT_FALSE(d.has_value()) << d->reason_code << ": " << d->message;
    EXPECT_TRUE(Forwarded(o));
    EXPECT_EQ(o->status(), OrderStatus::kInitialized);  // the recording client never acks
  }

  // An order acknowledged by the venue (SUBMITTED then ACCEPTED), ready to modify.
  const Order* Accepted(const OrderInitialized& init) {
    const Order* o = Submit(init);
    EXPECT_TRUE(Forwarded(o));
    client_->Submitted(*o);
    client_->Accepted(*o);
    EXPECT_EQ(o->status(), OrderStatus::kAccepted);
    return o;
  }

  std::vector<OrderModifyRejected> ModifyRejects() const {
    return events_->Of<OrderModifyRejected>();
  }

  OrderInitialized StopMarket(const char* coid, OrderSide side, std::int64_t qty,
                              std::optional<Price> trigger) {
    OrderInitialized i = MakeInit(fut_, coid, side, qty);
    i.order_type = OrderType::kStopMarket;
    i.trigger_price = trigger;
    return i;
  }

  const Instrument fut_ = testkit::NiftyFuture(50);  // lot 50, tick 0.05, NFO
  const Instrument opt_ = testkit::NiftyOption();    // lot 65, freeze 1800, NFO
  const Instrument idx_ = testkit::NiftyIndex();     // NSE, not tradable
  std::unique_ptr<testkit::TestKernel> tk_;
  RecordingExecClient* client_ = nullptr;
  std::unique_ptr<BusRecorder<OrderEvent>> events_;
  std::unique_ptr<BusRecorder<RiskStateChanged>> risk_events_;
};

// ---------------------------------------------------------------------------------------
// Submit checks.

TEST_F(RiskEngineTest, ValidOrderIsForwardedToTheVenueClient) {
  const Order* o = Submit(MakeInit(fut_, "O-1", OrderSide::kBuy, 50, "21000.05"));
  ExpectPassed(o);
  ASSERT_EQ(client_->submits.size(), 1u);
  EXPECT_EQ(client_->submits[0].client_order_id, ClientOrderId("O-1"));
  EXPECT_EQ(risk().denied_count(), 0u);
  EXPECT_TRUE(events_->empty());
}

TEST_F(RiskEngineTest, HaltedDeniesSubmitsAndPublishesStateChange) {
  risk().SetTradingState(TradingState::kHalted);
  EXPECT_EQ(risk().trading_state(), TradingState::kHalted);
  ASSERT_EQ(risk_events_->size(), 1u);
  EXPECT_EQ(risk_events_->back().state, TradingState::kHalted);
  EXPECT_EQ(risk_events_->back().ts, tk_->now());
  // Setting the same state again publishes nothing.
  risk().SetTradingState(TradingState::kHalted);
  EXPECT_EQ(risk_events_->size(), 1u);

  const Order* o = Submit(MakeInit(fut_, "O-1", OrderSide::kBuy, 50, "21000"));
  EXPECT_EQ(ExpectDenied(o, "TRADING_HALTED"), "trading state is HALTED");
  EXPECT_EQ(risk().denied_count(), 1u);

  risk().SetTradingState(TradingState::kActive);
  ExpectPassed(Submit(MakeInit(fut_, "O-2", OrderSide::kBuy, 50, "21000")));
}

TEST_F(RiskEngineTest, HaltedStillLetsCancelsAndQueriesThrough) {
  const Order* o = Accepted(MakeInit(fut_, "O-1", OrderSide::kBuy, 50, "21000"));
  risk().SetTradingState(TradingState::kHalted);
  risk().Execute(testkit::CancelCommand(*o));
  ASSERT_EQ(client_->cancels.size(), 1u);
  EXPECT_EQ(client_->cancels[0].client_order_id, o->client_order_id());

  CancelAllOrders all;
  all.strategy_id = StrategyId("S-001");
  all.instrument_id = fut_.id;
  risk().Execute(all);
  ASSERT_EQ(client_->cancel_alls.size(), 1u);
  ASSERT_EQ(client_->cancel_all_orders[0].size(), 1u);
  EXPECT_EQ(client_->cancel_all_orders[0][0], o->client_order_id());

  QueryOrder query;
  query.instrument_id = fut_.id;
  query.client_order_id = o->client_order_id();
  risk().Execute(query);
  EXPECT_EQ(client_->queries.size(), 1u);
  EXPECT_EQ(risk().denied_count(), 0u);
}

TEST_F(RiskEngineTest, ReducingDeniesAnOrderThatOpensExposure) {
  risk().SetTradingState(TradingState::kReducing);
  const Order* o = Submit(MakeInit(fut_, "O-1", OrderSide::kBuy, 50, "21000"));
  const std::string msg = ExpectDenied(o, "TRADING_REDUCING");
  EXPECT_TRUE(Contains(msg, "REDUCING")) << msg;
  EXPECT_TRUE(Contains(msg, "would not reduce")) << msg;
}

TEST_F(RiskEngineTest, ReducingAllowsOnlyOrdersThatShrinkThePosition) {
  testkit::FillThroughEngine(k(), fut_, "OPEN", OrderSide::kBuy, 100, "21000");
  ASSERT_NE(k().cache().position(NettingPositionId(fut_.id, StrategyId("S-001"))), nullptr);
  risk().SetTradingState(TradingState::kReducing);

  ExpectPassed(Submit(MakeInit(fut_, "O-SELL-50", OrderSide::kSell, 50, "21000")));
  ExpectPassed(Submit(MakeInit(fut_, "O-SELL-100", OrderSide::kSell, 100, "21000")));
  // More than the position would flip it: not reducing.
  ExpectDenied(Submit(MakeInit(fut_, "O-SELL-150", OrderSide::kSell, 150, "21000")),
               "TRADING_REDUCING");
  ExpectDenied(Submit(MakeInit(fut_, "O-BUY", OrderSide::kBuy, 50, "21000")), "TRADING_REDUCING");
  // Another instrument has no position to reduce.
  ExpectDenied(Submit(MakeInit(opt_, "O-OPT", OrderSide::kSell, 65, "100")), "TRADING_REDUCING");
}

TEST_F(RiskEngineTest, UnknownInstrumentIsDenied) {
  Instrument unknown = fut_;
  unknown.id = MustInstrumentId("BANKNIFTY24JANFUT.NFO");
  const Order* o = Submit(MakeInit(unknown, "O-1", OrderSide::kBuy, 50, "21000"));
  EXPECT_EQ(ExpectDenied(o, "INSTRUMENT_NOT_FOUND"), "no instrument BANKNIFTY24JANFUT.NFO");
}

TEST_F(RiskEngineTest, IndexIsNotTradable) {
  const Order* o = Submit(MakeInit(idx_, "O-1", OrderSide::kBuy, 1, "21000"));
  EXPECT_EQ(ExpectDenied(o, "INSTRUMENT_NOT_TRADABLE"), "NIFTY 50.NSE is an index");
}

TEST_F(RiskEngineTest, ExpiredInstrumentIsDenied) {
  // One minute before expiry the future still trades.
  Build({}, FromIst(2024, 1, 25, 15, 29));
  ExpectPassed(Submit(MakeInit(fut_, "O-1", OrderSide::kBuy, 50, "21000")));
  tk_->Advance(kNanosPerMinute);  // 15:30 IST: expired
  const Order* o = Submit(MakeInit(fut_, "O-2", OrderSide::kBuy, 50, "21000"));
  EXPECT_EQ(ExpectDenied(o, "INSTRUMENT_EXPIRED"),
            "NIFTY24JANFUT.NFO expired at 2024-01-25 15:30:00 IST");
}

TEST_F(RiskEngineTest, MarketClosedUsesTheMarketHoursReason) {
  TestMarketHours hours;
  risk().SetMarketHours(&hours);
  ExpectPassed(Submit(MakeInit(fut_, "O-OPEN", OrderSide::kBuy, 50, "21000")));
  EXPECT_EQ(hours.last_instrument, fut_.id);

  tk_->AdvanceTo(FromIst(2024, 1, 1, 15, 30));
  const Order* o = Submit(MakeInit(opt_, "O-LATE", OrderSide::kBuy, 65, "100"));
  EXPECT_EQ(ExpectDenied(o, "MARKET_CLOSED"), "outside 09:15-15:30");
  EXPECT_EQ(hours.last_instrument, opt_.id);

  risk().SetMarketHours(nullptr);  // no calendar: never closed
  ExpectPassed(Submit(MakeInit(opt_, "O-NOCAL", OrderSide::kBuy, 65, "100")));
}

TEST_F(RiskEngineTest, GtdAlreadyPastIsDenied) {
  OrderInitialized past = MakeInit(fut_, "O-PAST", OrderSide::kBuy, 50, "21000", TimeInForce::kGtd);
  past.expire_time = tk_->now();  // not after now
  EXPECT_EQ(ExpectDenied(Submit(past), "GTD_EXPIRED"),
            "expire_time=2024-01-01T03:45:00.000000000Z is not after "
            "now=2024-01-01T03:45:00.000000000Z");

  OrderInitialized future =
      MakeInit(fut_, "O-FUTURE", OrderSide::kBuy, 50, "21000", TimeInForce::kGtd);
  future.expire_time = tk_->now() + kNanosPerMinute;
  ExpectPassed(Submit(future));

  // A DAY order ignores expire_time.
  OrderInitialized day = MakeInit(fut_, "O-DAY", OrderSide::kBuy, 50, "21000");
  day.expire_time = tk_->now() - kNanosPerMinute;
  ExpectPassed(Submit(day));
}

TEST_F(RiskEngineTest, LimitPriceMustExistBePositiveAndOnTick) {
  OrderInitialized no_price = MakeInit(fut_, "O-NOPX", OrderSide::kBuy, 50);
  no_price.order_type = OrderType::kLimit;
  EXPECT_EQ(ExpectDenied(Submit(no_price), "INVALID_PRICE"), "limit order without a price");

  EXPECT_EQ(
      ExpectDenied(Submit(MakeInit(fut_, "O-ZERO", OrderSide::kBuy, 50, "0.00")), "INVALID_PRICE"),
      "price must be positive: price=0.00");
  EXPECT_EQ(
      ExpectDenied(Submit(MakeInit(fut_, "O-NEG", OrderSide::kBuy, 50, "-5.00")), "INVALID_PRICE"),
      "price must be positive: price=-5.00");

  const std::string msg = ExpectDenied(
      Submit(MakeInit(fut_, "O-TICK", OrderSide::kBuy, 50, "21000.03")), "PRICE_NOT_ON_TICK");
  EXPECT_TRUE(Contains(msg, "price=21000.03")) << msg;
  EXPECT_TRUE(Contains(msg, "tick grid 0.05")) << msg;

  ExpectPassed(Submit(MakeInit(fut_, "O-OK", OrderSide::kBuy, 50, "21000.05")));
}

TEST_F(RiskEngineTest, StopOrdersNeedAValidTrigger) {
  EXPECT_EQ(ExpectDenied(Submit(StopMarket("O-NOTRIG", OrderSide::kBuy, 50, std::nullopt)),
                         "INVALID_TRIGGER_PRICE"),
            "stop order without a trigger price");
  EXPECT_EQ(ExpectDenied(Submit(StopMarket("O-ZERO", OrderSide::kBuy, 50, Px("0.00"))),
                         "INVALID_TRIGGER_PRICE"),
            "trigger_price must be positive: trigger_price=0.00");
  const std::string msg =
      ExpectDenied(Submit(StopMarket("O-TICK", OrderSide::kBuy, 50, Px("21000.01"))),
                   "TRIGGER_PRICE_NOT_ON_TICK");
  EXPECT_TRUE(Contains(msg, "trigger_price=21000.01")) << msg;

  // A stop-limit needs both a price and a trigger.
  OrderInitialized sl = StopMarket("O-SL-NOPX", OrderSide::kBuy, 50, Px("21000"));
  sl.order_type = OrderType::kStopLimit;
  EXPECT_EQ(ExpectDenied(Submit(sl), "INVALID_PRICE"), "limit order without a price");
  OrderInitialized sl_no_trigger = MakeInit(fut_, "O-SL-NOTRIG", OrderSide::kBuy, 50, "21000");
  sl_no_trigger.order_type = OrderType::kStopLimit;
  ExpectDenied(Submit(sl_no_trigger), "INVALID_TRIGGER_PRICE");

  ExpectPassed(Submit(StopMarket("O-OK", OrderSide::kBuy, 50, Px("21000.05"))));
}

TEST_F(RiskEngineTest, QuantityMustBePositiveAndAWholeNumberOfLots) {
  EXPECT_EQ(
      ExpectDenied(Submit(MakeInit(opt_, "O-ZERO", OrderSide::kBuy, 0, "100")), "INVALID_QUANTITY"),
      "quantity must be positive");
  EXPECT_EQ(ExpectDenied(Submit(MakeInit(opt_, "O-100", OrderSide::kBuy, 100, "100")),
                         "QUANTITY_NOT_LOT_MULTIPLE"),
            "quantity=100 lot=65");
  ExpectPassed(Submit(MakeInit(opt_, "O-130", OrderSide::kBuy, 130, "100")));
}

TEST_F(RiskEngineTest, QuantityAboveFreezeIsDeniedWithBothNumbers) {
  // 30 lots of 65 = 1950 > freeze 1800.
  const Order* o = Submit(MakeInit(opt_, "O-1950", OrderSide::kSell, 1950, "100"));
  EXPECT_EQ(ExpectDenied(o, "QUANTITY_EXCEEDS_FREEZE"), "quantity=1950 freeze=1800");
  // 27 lots = 1755 is within the freeze limit.
  ExpectPassed(Submit(MakeInit(opt_, "O-1755", OrderSide::kSell, 1755, "100")));
}

TEST_F(RiskEngineTest, ReduceOnlyMayNotIncreaseThePosition) {
  OrderInitialized flat = MakeInit(fut_, "O-FLAT", OrderSide::kBuy, 50, "21000");
  flat.reduce_only = true;
  EXPECT_EQ(ExpectDenied(Submit(flat), "REDUCE_ONLY_WOULD_INCREASE"),
            "reduce_only BUY 50 against position FLAT");

  testkit::FillThroughEngine(k(), fut_, "OPEN", OrderSide::kBuy, 100, "21000");
  OrderInitialized add = MakeInit(fut_, "O-ADD", OrderSide::kBuy, 50, "21000");
  add.reduce_only = true;
  EXPECT_EQ(ExpectDenied(Submit(add), "REDUCE_ONLY_WOULD_INCREASE"),
            "reduce_only BUY 50 against position LONG 100");
  OrderInitialized flip = MakeInit(fut_, "O-FLIP", OrderSide::kSell, 150, "21000");
  flip.reduce_only = true;
  EXPECT_EQ(ExpectDenied(Submit(flip), "REDUCE_ONLY_WOULD_INCREASE"),
            "reduce_only SELL 150 against position LONG 100");

  OrderInitialized close = MakeInit(fut_, "O-CLOSE", OrderSide::kSell, 100, "21000");
  close.reduce_only = true;
  ExpectPassed(Submit(close));
}

TEST_F(RiskEngineTest, NotionalAboveMaximumIsDenied) {
  RiskEngineConfig cfg;
  cfg.max_notional_per_order = Inr("1000000.00");
  Build(cfg);
  // 50 x 21000 = 10,50,000 > 10,00,000.
  const Order* o = Submit(MakeInit(fut_, "O-BIG", OrderSide::kBuy, 50, "21000"));
  EXPECT_EQ(ExpectDenied(o, "NOTIONAL_EXCEEDS_MAX"), "notional=₹10,50,000.00 max=₹10,00,000.00");
  // Exactly the maximum passes.
  ExpectPassed(Submit(MakeInit(fut_, "O-MAX", OrderSide::kBuy, 50, "20000")));
  // A stop is valued at its trigger.
  ExpectDenied(Submit(StopMarket("O-STOP", OrderSide::kBuy, 50, Px("20000.05"))),
               "NOTIONAL_EXCEEDS_MAX");
}

TEST_F(RiskEngineTest, MarketOrderNotionalUsesTheQuoteSideItWouldTake) {
  RiskEngineConfig cfg;
  cfg.max_notional_per_order = Inr("1000000.00");
  Build(cfg);
  // Without any mark a market order cannot be valued: with a notional limit set it is denied
  // rather than let through unchecked.
  const std::string nomark =
      ExpectDenied(Submit(MakeInit(fut_, "O-NOMARK", OrderSide::kBuy, 50)), "NO_MARK_PRICE");
  EXPECT_TRUE(Contains(nomark, "NIFTY24JANFUT.NFO")) << nomark;

  k().data_engine().Process(testkit::MakeQuote(fut_.id, "19000", "21000", tk_->now()));
  // A buy takes the ask (50 x 21000 > max); a sell hits the bid (50 x 19000 < max).
  const std::string msg =
      ExpectDenied(Submit(MakeInit(fut_, "O-BUY", OrderSide::kBuy, 50)), "NOTIONAL_EXCEEDS_MAX");
  EXPECT_TRUE(Contains(msg, "notional=₹10,50,000.00")) << msg;
  ExpectPassed(Submit(MakeInit(fut_, "O-SELL", OrderSide::kSell, 50)));
}

class RiskMarginTest : public RiskEngineTest {
 protected:
  void SetUp() override {
    fut_margin_ = testkit::NiftyFuture(50);
    fut_margin_.margin_init_raw = 120'000'000;  // 12%
    RiskEngineTest::SetUp();
    k().cache().AddInstrument(fut_margin_);
    account_ =
        k().cache().AddAccount(std::make_unique<Account>(AccountId("SIM-001"), AccountType::kMargin,
                                                         Inr("100000.00"), tk_->now()),
                               Venue("NFO"));
  }
  Instrument fut_margin_;
  Account* account_ = nullptr;
};

TEST_F(RiskMarginTest, InitialMarginAboveFreeBalanceIsDenied) {
  // 50 x 21000 = 10,50,000; 12% = 1,26,000 > free 1,00,000.
  const Order* o = Submit(MakeInit(fut_margin_, "O-BIG", OrderSide::kBuy, 50, "21000"));
  EXPECT_EQ(ExpectDenied(o, "INSUFFICIENT_MARGIN"),
            "insufficient margin: required ₹1,26,000.00, free ₹1,00,000.00");
  // 50 x 16000 = 8,00,000; 12% = 96,000 <= 1,00,000.
  ExpectPassed(Submit(MakeInit(fut_margin_, "O-OK", OrderSide::kBuy, 50, "16000")));
}

TEST_F(RiskMarginTest, LockedMarginReducesWhatIsFree) {
  account_->SetMargin(opt_.id, Money::Zero(), Inr("10000.00"));
  ASSERT_EQ(account_->balance_free(), Inr("90000.00"));
  // 96,000 fitted the whole balance but not the 90,000 still free.
  const Order* o = Submit(MakeInit(fut_margin_, "O-1", OrderSide::kBuy, 50, "16000"));
  EXPECT_EQ(ExpectDenied(o, "INSUFFICIENT_MARGIN"),
            "insufficient margin: required ₹96,000.00, free ₹90,000.00");
}

TEST_F(RiskMarginTest, ReducingOrdersAndDisabledCheckSkipMargin) {
  testkit::FillThroughEngine(k(), fut_margin_, "OPEN", OrderSide::kBuy, 100, "21000");
  // Selling what is held releases margin rather than needing it.
  ExpectPassed(Submit(MakeInit(fut_margin_, "O-CLOSE", OrderSide::kSell, 100, "21000")));
  // Selling beyond the position opens a short and needs margin.
  ExpectDenied(Submit(MakeInit(fut_margin_, "O-FLIP", OrderSide::kSell, 150, "21000")),
               "INSUFFICIENT_MARGIN");

  RiskEngineConfig cfg;
  cfg.check_margin = false;
  Build(cfg);
  k().cache().AddInstrument(fut_margin_);
  k().cache().AddAccount(std::make_unique<Account>(AccountId("SIM-001"), AccountType::kMargin,
                                                   Inr("100000.00"), tk_->now()),
                         Venue("NFO"));
  ExpectPassed(Submit(MakeInit(fut_margin_, "O-NOCHECK", OrderSide::kBuy, 50, "21000")));
}

TEST_F(RiskEngineTest, NoAccountForTheVenueSkipsTheMarginCheck) {
  Instrument m = testkit::NiftyFuture(50);
  m.margin_init_raw = 1'000'000'000;  // 100%
  k().cache().AddInstrument(m);
  ExpectPassed(Submit(MakeInit(m, "O-1", OrderSide::kBuy, 50, "21000")));
}

TEST_F(RiskEngineTest, SubmitRatePerSecondThrottlesAndTheWindowExpires) {
  RiskEngineConfig cfg;
  cfg.max_submit_per_second = 3;
  cfg.max_submit_per_minute = 100;
  Build(cfg);
  for (const char* id : {"O-1", "O-2", "O-3"}) {
    ExpectPassed(Submit(MakeInit(fut_, id, OrderSide::kBuy, 50, "21000")));
  }
  EXPECT_EQ(ExpectDenied(Submit(MakeInit(fut_, "O-4", OrderSide::kBuy, 50, "21000")),
                         "RATE_LIMIT_EXCEEDED"),
            "more than 3 order submissions per second");
  tk_->Advance(999 * kNanosPerMilli);
  ExpectDenied(Submit(MakeInit(fut_, "O-5", OrderSide::kBuy, 50, "21000")), "RATE_LIMIT_EXCEEDED");
  tk_->Advance(kNanosPerMilli);  // one second after the first three
  ExpectPassed(Submit(MakeInit(fut_, "O-6", OrderSide::kBuy, 50, "21000")));
  EXPECT_EQ(client_->submits.size(), 4u);
}

TEST_F(RiskEngineTest, SubmitRatePerMinuteThrottlesAndTheWindowExpires) {
  RiskEngineConfig cfg;
  cfg.max_submit_per_second = 10;
  cfg.max_submit_per_minute = 3;
  Build(cfg);
  const UnixNanos t0 = tk_->now();
  for (const char* id : {"O-1", "O-2", "O-3"}) {
    ExpectPassed(Submit(MakeInit(fut_, id, OrderSide::kBuy, 50, "21000")));
    tk_->Advance(kNanosPerSecond);
  }
  EXPECT_EQ(ExpectDenied(Submit(MakeInit(fut_, "O-4", OrderSide::kBuy, 50, "21000")),
                         "RATE_LIMIT_EXCEEDED"),
            "more than 3 order submissions per minute");
  tk_->AdvanceTo(t0 + kNanosPerMinute - 1);
  ExpectDenied(Submit(MakeInit(fut_, "O-5", OrderSide::kBuy, 50, "21000")), "RATE_LIMIT_EXCEEDED");
  tk_->AdvanceTo(t0 + kNanosPerMinute);  // the first submission left the window
  ExpectPassed(Submit(MakeInit(fut_, "O-6", OrderSide::kBuy, 50, "21000")));
  ExpectDenied(Submit(MakeInit(fut_, "O-7", OrderSide::kBuy, 50, "21000")), "RATE_LIMIT_EXCEEDED");
}

TEST_F(RiskEngineTest, DeniedOrdersDoNotUseUpRate) {
  RiskEngineConfig cfg;
  cfg.max_submit_per_second = 2;
  Build(cfg);
  for (const char* id : {"O-BAD-1", "O-BAD-2", "O-BAD-3"}) {
    ExpectDenied(Submit(MakeInit(fut_, id, OrderSide::kBuy, 7, "21000")),
                 "QUANTITY_NOT_LOT_MULTIPLE");
  }
  ExpectPassed(Submit(MakeInit(fut_, "O-1", OrderSide::kBuy, 50, "21000")));
  ExpectPassed(Submit(MakeInit(fut_, "O-2", OrderSide::kBuy, 50, "21000")));
  ExpectDenied(Submit(MakeInit(fut_, "O-3", OrderSide::kBuy, 50, "21000")), "RATE_LIMIT_EXCEEDED");
}

TEST_F(RiskEngineTest, OrderMustStillBeInitialized) {
  const Order* o = Submit(MakeInit(fut_, "O-1", OrderSide::kBuy, 7, "21000"));
  ExpectDenied(o, "QUANTITY_NOT_LOT_MULTIPLE");
  events_->clear();
  risk().Execute(testkit::SubmitCommand(*o));  // resubmitting a denied order
  // Denied again (INVALID_ORDER_STATE), never forwarded; a DENIED order cannot be denied
  // twice, so the engine drops that stale event and the order stays as it was.
  EXPECT_EQ(risk().denied_count(), 2u);
  EXPECT_EQ(k().exec_engine().stale_event_count(), 1u);
  EXPECT_TRUE(events_->empty());
  EXPECT_TRUE(client_->submits.empty());
  EXPECT_EQ(o->status(), OrderStatus::kDenied);
  // CheckSubmit names the reason directly.
  const auto d = risk().CheckSubmit(*o);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->code, "INVALID_ORDER_STATE");
  EXPECT_EQ(d->message, "order is DENIED, not INITIALIZED");
}

TEST_F(RiskEngineTest, SubmitForUnknownOrderIsIgnored) {
  SubmitOrder cmd;
  cmd.instrument_id = fut_.id;
  cmd.client_order_id = ClientOrderId("NOPE");
  const auto errors = k().logger().error_count();
  risk().Execute(cmd);
  EXPECT_TRUE(client_->submits.empty());
  EXPECT_TRUE(events_->empty());
  EXPECT_EQ(k().logger().error_count(), errors + 1);
}

TEST_F(RiskEngineTest, BypassForwardsEverythingUnchecked) {
  RiskEngineConfig cfg;
  cfg.bypass = true;
  Build(cfg);
  risk().SetTradingState(TradingState::kHalted);
  ExpectPassed(Submit(MakeInit(opt_, "O-1950", OrderSide::kBuy, 1950, "100.01")));
}

// ---------------------------------------------------------------------------------------
// Order lists.

class RiskListTest : public RiskEngineTest {
 protected:
  // Adds the orders to the cache as one list and submits it through the risk engine.
  std::vector<const Order*> SubmitList(std::vector<OrderInitialized> inits,
                                       ContingencyType contingency = ContingencyType::kNone,
                                       const char* list_id = "OL-1") {
    std::vector<ClientOrderId> ids;
    for (const auto& i : inits) ids.push_back(i.client_order_id);
    std::vector<const Order*> out;
    for (std::size_t n = 0; n < inits.size(); ++n) {
      OrderInitialized i = inits[n];
      i.order_list_id = OrderListId(list_id);
      if (contingency == ContingencyType::kOto) {
        if (n == 0) {
          i.contingency = ContingencyType::kOto;
          i.linked_order_ids.assign(ids.begin() + 1, ids.end());
        } else {
          i.parent_order_id = ids[0];
        }
      }
      out.push_back(testkit::AddOrder(k(), i));
    }
    SubmitOrderList cmd;
    cmd.trader_id = TraderId("TRADER-001");
    cmd.strategy_id = StrategyId("S-001");
    cmd.instrument_id = inits[0].instrument_id;
    cmd.order_list_id = OrderListId(list_id);
    cmd.client_order_ids = ids;
    risk().Execute(cmd);
    return out;
  }
};

TEST_F(RiskListTest, ValidListIsForwardedWhole) {
  auto orders = SubmitList({MakeInit(opt_, "O-A", OrderSide::kBuy, 65, "100"),
                            MakeInit(opt_, "O-B", OrderSide::kSell, 65, "50")});
  ASSERT_EQ(client_->lists.size(), 1u);
  EXPECT_EQ(client_->lists[0].order_list_id, OrderListId("OL-1"));
  EXPECT_EQ(client_->list_orders[0],
            (std::vector<ClientOrderId>{ClientOrderId("O-A"), ClientOrderId("O-B")}));
  EXPECT_TRUE(events_->empty());
}

TEST_F(RiskListTest, OneBadOrderDeniesTheWholeList) {
  auto orders = SubmitList({MakeInit(opt_, "O-A", OrderSide::kBuy, 65, "100"),
                            MakeInit(opt_, "O-B", OrderSide::kSell, 1950, "50"),
                            MakeInit(opt_, "O-C", OrderSide::kSell, 65, "50")});
  EXPECT_TRUE(client_->lists.empty());
  EXPECT_EQ(ExpectDenied(orders[0], "ORDER_LIST_DENIED"),
            "O-B in list OL-1 denied: QUANTITY_EXCEEDS_FREEZE");
  EXPECT_EQ(ExpectDenied(orders[1], "QUANTITY_EXCEEDS_FREEZE"), "quantity=1950 freeze=1800");
  EXPECT_EQ(ExpectDenied(orders[2], "ORDER_LIST_DENIED"),
            "O-B in list OL-1 denied: QUANTITY_EXCEEDS_FREEZE");
  EXPECT_EQ(risk().denied_count(), 3u);
}

TEST_F(RiskListTest, ListNamingAnUnknownOrderIsDropped) {
  testkit::AddOrder(k(), MakeInit(opt_, "O-A", OrderSide::kBuy, 65, "100"));
  SubmitOrderList cmd;
  cmd.instrument_id = opt_.id;
  cmd.order_list_id = OrderListId("OL-X");
  cmd.client_order_ids = {ClientOrderId("O-A"), ClientOrderId("O-MISSING")};
  risk().Execute(cmd);
  EXPECT_TRUE(client_->lists.empty());
  EXPECT_EQ(k().cache().order(ClientOrderId("O-A"))->status(), OrderStatus::kInitialized);
}

TEST_F(RiskListTest, ListIsThrottledAsAWhole) {
  RiskEngineConfig cfg;
  cfg.max_submit_per_second = 3;
  Build(cfg);
  ExpectPassed(Submit(MakeInit(opt_, "O-1", OrderSide::kBuy, 65, "100")));
  // Three more submissions do not fit the two left in this second: none goes out.
  auto denied = SubmitList({MakeInit(opt_, "O-A", OrderSide::kBuy, 65, "100"),
                            MakeInit(opt_, "O-B", OrderSide::kBuy, 65, "100"),
                            MakeInit(opt_, "O-C", OrderSide::kBuy, 65, "100")});
  EXPECT_TRUE(client_->lists.empty());
  for (const Order* o : denied) {
    EXPECT_EQ(ExpectDenied(o, "RATE_LIMIT_EXCEEDED"),
              "order list OL-1 needs 3 submissions but only 2 of 3 per second remain");
  }
  // Two fit, and use up the window.
  SubmitList({MakeInit(opt_, "O-D", OrderSide::kBuy, 65, "100"),
              MakeInit(opt_, "O-E", OrderSide::kBuy, 65, "100")},
             ContingencyType::kNone, "OL-2");
  EXPECT_EQ(client_->lists.size(), 1u);
  ExpectDenied(Submit(MakeInit(opt_, "O-2", OrderSide::kBuy, 65, "100")), "RATE_LIMIT_EXCEEDED");
}

TEST_F(RiskListTest, OtoChildIsCheckedAgainstThePositionWhenReleased) {
  // Bracket: buy 50, then a reduce-only protective stop. At submission the position is flat,
  // so the child cannot be "reducing" yet; it is re-checked when the parent fills.
  OrderInitialized stop = StopMarket("O-STOP", OrderSide::kSell, 50, Px("20900"));
  stop.reduce_only = true;
  auto orders = SubmitList({MakeInit(fut_, "O-ENTRY", OrderSide::kBuy, 50, "21000"), stop},
                           ContingencyType::kOto);
  ASSERT_EQ(client_->lists.size(), 1u);
  EXPECT_TRUE(events_->empty());
  // Only the parent goes out now.
  EXPECT_EQ(client_->list_orders[0], std::vector<ClientOrderId>{ClientOrderId("O-ENTRY")});
  EXPECT_EQ(orders[1]->status(), OrderStatus::kInitialized);

  client_->Submitted(*orders[0]);
  client_->Accepted(*orders[0]);
  client_->Filled(*orders[0], 50, "21000");
  // Released through the risk engine, which now sees the long position.
  EXPECT_TRUE(Forwarded(orders[1]));
  EXPECT_FALSE(DenialOf(orders[1]).has_value());
}

TEST_F(RiskListTest, OtoChildStillFailsStaticChecks) {
  auto orders = SubmitList({MakeInit(fut_, "O-ENTRY", OrderSide::kBuy, 50, "21000"),
                            MakeInit(fut_, "O-TP", OrderSide::kSell, 50, "21100.01")},
                           ContingencyType::kOto);
  EXPECT_TRUE(client_->lists.empty());
  ExpectDenied(orders[0], "ORDER_LIST_DENIED");
  ExpectDenied(orders[1], "PRICE_NOT_ON_TICK");
}

// ---------------------------------------------------------------------------------------
// Modify checks: a refused modify is an OrderModifyRejected to the strategy and the order
// is left exactly as it was.

TEST_F(RiskEngineTest, InvalidModifyIsRejectedAndLeavesTheOrderUnchanged) {
  const Order* o = Accepted(MakeInit(opt_, "O-1", OrderSide::kBuy, 65, "100"));
  const std::size_t event_count = o->event_count();
  events_->clear();

  risk().Execute(testkit::ModifyCommand(*o, std::nullopt, Px("100.02")));
  ASSERT_EQ(ModifyRejects().size(), 1u);
  const OrderModifyRejected r = ModifyRejects()[0];
  EXPECT_EQ(r.client_order_id, o->client_order_id());
  EXPECT_EQ(r.venue_order_id, VenueOrderId("V-O-1"));
  EXPECT_EQ(r.account_id, AccountId("SIM-001"));
  EXPECT_EQ(r.strategy_id, StrategyId("S-001"));
  EXPECT_TRUE(Contains(r.reason, "PRICE_NOT_ON_TICK: price=100.02")) << r.reason;
  EXPECT_EQ(o->status(), OrderStatus::kAccepted);
  EXPECT_EQ(*o->price(), Px("100"));
  EXPECT_EQ(o->event_count(), event_count);
  EXPECT_TRUE(client_->modifies.empty());
  EXPECT_EQ(risk().denied_count(), 1u);

  risk().Execute(testkit::ModifyCommand(*o, Qty(1950)));
  ASSERT_EQ(ModifyRejects().size(), 2u);
  EXPECT_EQ(ModifyRejects()[1].reason, "QUANTITY_EXCEEDS_FREEZE: quantity=1950 freeze=1800");
  risk().Execute(testkit::ModifyCommand(*o, Qty(100)));
  EXPECT_EQ(ModifyRejects()[2].reason, "QUANTITY_NOT_LOT_MULTIPLE: quantity=100 lot=65");
  risk().Execute(testkit::ModifyCommand(*o, std::nullopt, std::nullopt, Px("-1.00")));
  EXPECT_TRUE(Contains(ModifyRejects()[3].reason, "INVALID_TRIGGER_PRICE"))
      << ModifyRejects()[3].reason;
  EXPECT_EQ(o->quantity(), Qty(65));
  EXPECT_TRUE(client_->modifies.empty());

  // A valid modify goes through to the venue.
  risk().Execute(testkit::ModifyCommand(*o, Qty(130), Px("100.05")));
  ASSERT_EQ(client_->modifies.size(), 1u);
  EXPECT_EQ(client_->modifies[0].quantity, Qty(130));
  EXPECT_EQ(client_->modifies[0].price, Px("100.05"));
}

TEST_F(RiskEngineTest, ModifyRejectedWhenHaltedOrOrderClosed) {
  const Order* o = Accepted(MakeInit(opt_, "O-1", OrderSide::kBuy, 65, "100"));
  risk().SetTradingState(TradingState::kHalted);
  risk().Execute(testkit::ModifyCommand(*o, std::nullopt, Px("101")));
  ASSERT_EQ(ModifyRejects().size(), 1u);
  EXPECT_EQ(ModifyRejects()[0].reason, "TRADING_HALTED: trading state is HALTED");
  EXPECT_EQ(o->status(), OrderStatus::kAccepted);

  risk().SetTradingState(TradingState::kActive);
  client_->Canceled(*o);
  ASSERT_EQ(o->status(), OrderStatus::kCanceled);
  risk().Execute(testkit::ModifyCommand(*o, std::nullopt, Px("101")));
  ASSERT_EQ(ModifyRejects().size(), 2u);
  EXPECT_EQ(ModifyRejects()[1].reason, "ORDER_CLOSED: order is CANCELED");
  EXPECT_TRUE(client_->modifies.empty());
}

TEST_F(RiskEngineTest, ReducingModifyMayNotIncreaseQuantity) {
  const Order* o = Accepted(MakeInit(opt_, "O-1", OrderSide::kBuy, 130, "100"));
  risk().SetTradingState(TradingState::kReducing);
  risk().Execute(testkit::ModifyCommand(*o, Qty(195)));
  ASSERT_EQ(ModifyRejects().size(), 1u);
  EXPECT_EQ(ModifyRejects()[0].reason,
            "TRADING_REDUCING: trading state is REDUCING: quantity may not increase");
  risk().Execute(testkit::ModifyCommand(*o, Qty(65)));
  risk().Execute(testkit::ModifyCommand(*o, std::nullopt, Px("99")));
  EXPECT_EQ(ModifyRejects().size(), 1u);
  EXPECT_EQ(client_->modifies.size(), 2u);
}

TEST_F(RiskEngineTest, ModifyRatePerSecondThrottles) {
  RiskEngineConfig cfg;
  cfg.max_modify_per_second = 2;
  Build(cfg);
  const Order* o = Accepted(MakeInit(opt_, "O-1", OrderSide::kBuy, 65, "100"));
  risk().Execute(testkit::ModifyCommand(*o, std::nullopt, Px("101")));
  risk().Execute(testkit::ModifyCommand(*o, std::nullopt, Px("102")));
  risk().Execute(testkit::ModifyCommand(*o, std::nullopt, Px("103")));
  ASSERT_EQ(client_->modifies.size(), 2u);
  ASSERT_EQ(ModifyRejects().size(), 1u);
  EXPECT_EQ(ModifyRejects()[0].reason,
            "RATE_LIMIT_EXCEEDED: more than 2 order modifications per second");
  tk_->Advance(kNanosPerSecond);
  risk().Execute(testkit::ModifyCommand(*o, std::nullopt, Px("104")));
  EXPECT_EQ(client_->modifies.size(), 3u);
  // Submissions have their own throttle.
  ExpectPassed(Submit(MakeInit(opt_, "O-2", OrderSide::kBuy, 65, "100")));
}

TEST_F(RiskEngineTest, ModifyRatePerMinuteThrottlesAndRefusalsUseNoRate) {
  RiskEngineConfig cfg;
  cfg.max_modify_per_second = 1;
  cfg.max_modify_per_minute = 2;
  Build(cfg);
  const UnixNanos t0 = tk_->now();
  const Order* o = Accepted(MakeInit(opt_, "O-1", OrderSide::kBuy, 65, "100"));
  risk().Execute(testkit::ModifyCommand(*o, std::nullopt, Px("101")));
  tk_->AdvanceTo(t0 + kNanosPerSecond);
  risk().Execute(testkit::ModifyCommand(*o, std::nullopt, Px("102")));
  ASSERT_EQ(client_->modifies.size(), 2u);

  tk_->AdvanceTo(t0 + 2 * kNanosPerSecond);
  risk().Execute(testkit::ModifyCommand(*o, std::nullopt, Px("103")));
  ASSERT_EQ(ModifyRejects().size(), 1u);
  EXPECT_EQ(ModifyRejects()[0].reason,
            "RATE_LIMIT_EXCEEDED: more than 2 order modifications per minute");
  // The refused modify took no per-second slot: the next refusal is still the minute limit.
  tk_->AdvanceTo(t0 + 2 * kNanosPerSecond + 500 * kNanosPerMilli);
  risk().Execute(testkit::ModifyCommand(*o, std::nullopt, Px("104")));
  ASSERT_EQ(ModifyRejects().size(), 2u);
  EXPECT_EQ(ModifyRejects()[1].reason,
            "RATE_LIMIT_EXCEEDED: more than 2 order modifications per minute");

  tk_->AdvanceTo(t0 + kNanosPerMinute);  // the first modify left the minute window
  risk().Execute(testkit::ModifyCommand(*o, std::nullopt, Px("105")));
  EXPECT_EQ(client_->modifies.size(), 3u);
  EXPECT_EQ(o->status(), OrderStatus::kAccepted);
}

TEST_F(RiskEngineTest, ModifyOfUnknownOrderIsIgnored) {
  ModifyOrder cmd;
  cmd.instrument_id = opt_.id;
  cmd.client_order_id = ClientOrderId("NOPE");
  cmd.price = Px("1");
  risk().Execute(cmd);
  EXPECT_TRUE(events_->empty());
  EXPECT_TRUE(client_->modifies.empty());
}

TEST_F(RiskEngineTest, SecondCloseOfTheSamePositionIsNotReducing) {
  testkit::FillThroughEngine(k(), fut_, "OPEN", OrderSide::kBuy, 100, "21000");
  OrderInitialized first = MakeInit(fut_, "O-CLOSE-1", OrderSide::kSell, 100);
  first.reduce_only = true;
  const Order* o1 = Submit(first);
  ExpectPassed(o1);
  client_->Submitted(*o1);  // working at the venue, not yet filled
  OrderInitialized second = MakeInit(fut_, "O-CLOSE-2", OrderSide::kSell, 100);
  second.reduce_only = true;
  // Together the two would flip LONG 100 into SHORT 100.
  ExpectDenied(Submit(second), "REDUCE_ONLY_WOULD_INCREASE");
}

TEST_F(RiskEngineTest, AbsurdQuantityIsDeniedNotAborted) {
  RiskEngineConfig cfg;
  cfg.max_notional_per_order = Inr("1000000.00");
  Build(cfg);
  const std::string msg = ExpectDenied(
      Submit(MakeInit(fut_, "O-FAT", OrderSide::kBuy, 1'000'000'000, "24000")), "NOTIONAL_OVERFLOW");
  EXPECT_TRUE(Contains(msg, "quantity=1000000000")) << msg;
}

}  // namespace
}  // namespace nacre
