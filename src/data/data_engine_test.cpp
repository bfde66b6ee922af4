#include "data/data_engine.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "testkit/kernel_harness.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::BusRecorder;
using testkit::MakeBar;
using testkit::MakeBarType;
using testkit::MakeQuote;
using testkit::MakeTrade;
using testkit::Px;
using testkit::Qty;
using testkit::RecordingDataClient;

constexpr DurationNs kNseOrigin = 3 * kNanosPerHour + 45 * kNanosPerMinute;  // 09:15 IST

UnixNanos Ist(int h, int m, int s = 0) { return FromIst(2024, 1, 1, h, m, s); }

class DataEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DataEngineConfig config;
    config.time_bars_origin = kNseOrigin;
    Build(config);
  }

  void Build(DataEngineConfig data, bool with_clients = true) {
    KernelConfig config = testkit::QuietKernelConfig();
    config.data_engine = data;
    tk_ = std::make_unique<testkit::TestKernel>(config);
    nfo_ = nse_ = nullptr;
    if (with_clients) {
      auto nfo = std::make_unique<RecordingDataClient>("NFO-DATA", "NFO");
      auto nse = std::make_unique<RecordingDataClient>("NSE-DATA", "NSE");
      nfo_ = nfo.get();
      nse_ = nse.get();
      engine().RegisterClient(std::move(nfo));  // first registered: the default client
      engine().RegisterClient(std::move(nse));
    }
    EXPECT_TRUE(k().Start().ok()) << k().halt_reason();
  }

  Kernel& k() { return tk_->kernel(); }
  DataEngine& engine() { return k().data_engine(); }

  DataSubscription Cmd(DataKind kind, const InstrumentId& id, bool subscribe = true,
                       const ClientId& client = {}) {
    DataSubscription c;
    c.kind = kind;
    c.instrument_id = id;
    c.client_id = client;
    c.subscribe = subscribe;
    return c;
  }
  DataSubscription BarCmd(const BarType& type, bool subscribe = true) {
    DataSubscription c = Cmd(DataKind::kBars, type.instrument_id(), subscribe);
    c.bar_type = type;
    return c;
  }

  // Moves the clock to `t` (closing any bar due) and processes a quote there.
  void QuoteAt(UnixNanos t, const char* bid, const char* ask) {
    tk_->AdvanceTo(t);
    engine().Process(MakeQuote(fut_, bid, ask, t));
  }
  void TradeAt(UnixNanos t, const char* px, std::int64_t size) {
    tk_->AdvanceTo(t);
    engine().Process(MakeTrade(fut_, px, size, t));
  }

  const InstrumentId fut_ = testkit::NiftyFuture().id;  // venue NFO
  const InstrumentId idx_ = testkit::NiftyIndex().id;   // venue NSE
  std::unique_ptr<testkit::TestKernel> tk_;
  RecordingDataClient* nfo_ = nullptr;
  RecordingDataClient* nse_ = nullptr;
};

// ---------------------------------------------------------------------------------------
// Subscription routing.

TEST_F(DataEngineTest, RoutesSubscriptionsByInstrumentVenue) {
  engine().Execute(Cmd(DataKind::kQuotes, fut_));
  engine().Execute(Cmd(DataKind::kTrades, idx_));
  ASSERT_EQ(nfo_->subscribed.size(), 1u);
  EXPECT_EQ(nfo_->subscribed[0].kind, DataKind::kQuotes);
  EXPECT_EQ(nfo_->subscribed[0].instrument_id, fut_);
  ASSERT_EQ(nse_->subscribed.size(), 1u);
  EXPECT_EQ(nse_->subscribed[0].kind, DataKind::kTrades);
  EXPECT_EQ(engine().subscription_count(), 2u);
  EXPECT_EQ(engine().client(ClientId("NSE-DATA")), nse_);
  EXPECT_EQ(engine().client(ClientId("NOPE")), nullptr);
}

TEST_F(DataEngineTest, ExplicitClientOverridesTheVenue) {
  engine().Execute(Cmd(DataKind::kQuotes, fut_, true, ClientId("NSE-DATA")));
  EXPECT_TRUE(nfo_->subscribed.empty());
  ASSERT_EQ(nse_->subscribed.size(), 1u);
  EXPECT_EQ(nse_->subscribed[0].instrument_id, fut_);
}

TEST_F(DataEngineTest, UnknownVenueFallsBackToTheDefaultClient) {
  const InstrumentId bse = MustInstrumentId("SENSEX.BSE");
  engine().Execute(Cmd(DataKind::kQuotes, bse));
  ASSERT_EQ(nfo_->subscribed.size(), 1u);  // the first client registered
  engine().SetDefaultClient(ClientId("NSE-DATA"));
  engine().Execute(Cmd(DataKind::kTrades, bse));
  ASSERT_EQ(nse_->subscribed.size(), 1u);
  EXPECT_EQ(nse_->subscribed[0].instrument_id, bse);
}

TEST_F(DataEngineTest, NoClientAtAllLogsAnError) {
  Build({}, /*with_clients=*/false);
  const auto errors = k().logger().error_count();
  engine().Execute(Cmd(DataKind::kQuotes, fut_));
  EXPECT_EQ(k().logger().error_count(), errors + 1);
}

TEST_F(DataEngineTest, SubscriptionsAreReferenceCounted) {
  engine().Execute(Cmd(DataKind::kQuotes, fut_));
  engine().Execute(Cmd(DataKind::kQuotes, fut_));
  EXPECT_EQ(nfo_->subscribed.size(), 1u);  // second subscriber: not routed again
  EXPECT_EQ(engine().subscription_count(), 1u);

  engine().Execute(Cmd(DataKind::kQuotes, fut_, false));
  EXPECT_TRUE(nfo_->unsubscribed.empty());  // one subscriber left
  engine().Execute(Cmd(DataKind::kQuotes, fut_, false));
  ASSERT_EQ(nfo_->unsubscribed.size(), 1u);
  EXPECT_EQ(nfo_->unsubscribed[0].kind, DataKind::kQuotes);
  EXPECT_FALSE(nfo_->unsubscribed[0].subscribe);
  EXPECT_EQ(engine().subscription_count(), 0u);

  // An unsubscribe without a subscription is only a warning.
  const auto warnings = k().logger().warning_count();
  engine().Execute(Cmd(DataKind::kQuotes, fut_, false));
  EXPECT_EQ(nfo_->unsubscribed.size(), 1u);
  EXPECT_EQ(k().logger().warning_count(), warnings + 1);
  EXPECT_EQ(engine().subscription_count(), 0u);

  // Quotes and trades of one instrument are separate subscriptions.
  engine().Execute(Cmd(DataKind::kQuotes, fut_));
  engine().Execute(Cmd(DataKind::kTrades, fut_));
  EXPECT_EQ(nfo_->subscribed.size(), 3u);
}

TEST_F(DataEngineTest, UnsubscribeGoesToTheClientThatServedTheSubscription) {
  engine().Execute(Cmd(DataKind::kQuotes, fut_, true, ClientId("NSE-DATA")));
  // Actors unsubscribe without naming a client.
  engine().Execute(Cmd(DataKind::kQuotes, fut_, false));
  EXPECT_TRUE(nfo_->unsubscribed.empty());
  ASSERT_EQ(nse_->unsubscribed.size(), 1u);
  EXPECT_EQ(nse_->unsubscribed[0].instrument_id, fut_);
}

TEST_F(DataEngineTest, ExternalBarsAreRoutedAsBars) {
  const BarType type = MakeBarType(fut_, 1, BarAggregation::kMinute);
  engine().Execute(BarCmd(type));
  ASSERT_EQ(nfo_->subscribed.size(), 1u);
  EXPECT_EQ(nfo_->subscribed[0].kind, DataKind::kBars);
  EXPECT_EQ(nfo_->subscribed[0].bar_type, type);
  engine().Execute(BarCmd(type, false));
  ASSERT_EQ(nfo_->unsubscribed.size(), 1u);
  EXPECT_EQ(nfo_->unsubscribed[0].bar_type, type);
}

TEST_F(DataEngineTest, BarSubscriptionNamingOnlyTheBarTypeRoutesByItsInstrument) {
  const BarType type = MakeBarType(idx_, 1, BarAggregation::kHour);
  DataSubscription cmd;
  cmd.kind = DataKind::kBars;
  cmd.bar_type = type;  // no instrument_id
  engine().Execute(cmd);
  EXPECT_TRUE(nfo_->subscribed.empty());
  ASSERT_EQ(nse_->subscribed.size(), 1u);
  EXPECT_EQ(nse_->subscribed[0].bar_type, type);
}

TEST_F(DataEngineTest, InternalBarsSubscribeToTheirSourceData) {
  const BarType mid =
      MakeBarType(fut_, 1, BarAggregation::kHour, PriceType::kMid, AggregationSource::kInternal);
  const BarType last =
      MakeBarType(fut_, 5, BarAggregation::kMinute, PriceType::kLast, AggregationSource::kInternal);
  engine().Execute(BarCmd(mid));
  engine().Execute(BarCmd(last));
  ASSERT_EQ(nfo_->subscribed.size(), 2u);
  EXPECT_EQ(nfo_->subscribed[0].kind, DataKind::kQuotes);
  EXPECT_EQ(nfo_->subscribed[0].instrument_id, fut_);
  EXPECT_EQ(nfo_->subscribed[1].kind, DataKind::kTrades);
  EXPECT_EQ(tk_->clock().TimerCount(), 2u);  // one bar-close timer per aggregator

  engine().Execute(BarCmd(mid, false));
  engine().Execute(BarCmd(last, false));
  ASSERT_EQ(nfo_->unsubscribed.size(), 2u);
  EXPECT_EQ(nfo_->unsubscribed[0].kind, DataKind::kQuotes);
  EXPECT_EQ(nfo_->unsubscribed[1].kind, DataKind::kTrades);
  EXPECT_EQ(tk_->clock().TimerCount(), 0u);
  EXPECT_EQ(engine().subscription_count(), 0u);
}

TEST_F(DataEngineTest, InternalBarsShareTheQuoteSubscriptionCount) {
  const BarType mid =
      MakeBarType(fut_, 1, BarAggregation::kHour, PriceType::kMid, AggregationSource::kInternal);
  engine().Execute(Cmd(DataKind::kQuotes, fut_));
  engine().Execute(BarCmd(mid));
  EXPECT_EQ(nfo_->subscribed.size(), 1u);  // quotes already flowing
  engine().Execute(BarCmd(mid, false));
  EXPECT_TRUE(nfo_->unsubscribed.empty());  // the quote subscriber remains
  engine().Execute(Cmd(DataKind::kQuotes, fut_, false));
  EXPECT_EQ(nfo_->unsubscribed.size(), 1u);
}

// ---------------------------------------------------------------------------------------
// Processing.

TEST_F(DataEngineTest, QuotesGoToTheCacheAndTheBus) {
  BusRecorder<QuoteTick> quotes(k().bus(), topics::Quotes(fut_));
  const UnixNanos t = tk_->now();
  engine().Process(MakeQuote(fut_, "100.00", "100.50", t));
  engine().Process(MakeQuote(fut_, "100.05", "100.55", t));  // same time: in order
  ASSERT_EQ(quotes.size(), 2u);
  EXPECT_EQ(quotes[1].bid_price, Px("100.05"));
  ASSERT_NE(k().cache().quote(fut_), nullptr);
  EXPECT_EQ(k().cache().quote(fut_)->bid_price, Px("100.05"));
  EXPECT_EQ(k().cache().quote_count(fut_), 2u);
  EXPECT_EQ(engine().processed_count(), 2u);
}

// Once a data day the cache releases the market data of contracts expired a day or more
// (DataEngineConfig::release_expired_after); 0 keeps it.
TEST_F(DataEngineTest, ExpiredContractsDataIsReleasedOnceADataDay) {
  for (const DurationNs after : {kNanosPerDay, DurationNs{0}}) {
    DataEngineConfig config;
    config.release_expired_after = after;
    Build(config, false);
    const Instrument opt = testkit::NiftyOption();  // expires 2026-01-06 15:30 IST
    k().cache().AddInstrument(opt);
    engine().Process(MakeQuote(opt.id, "10.00", "10.50", FromIst(2026, 1, 6, 10, 0)));
    engine().Process(MakeQuote(idx_, "24000", "24000", FromIst(2026, 1, 7, 9, 15)));
    EXPECT_NE(k().cache().quote(opt.id), nullptr) << "not a day after its expiry yet";
    engine().Process(MakeQuote(idx_, "24000", "24000", FromIst(2026, 1, 7, 15, 35)));
    EXPECT_NE(k().cache().quote(opt.id), nullptr) << "checked once a data day, at its start";
    engine().Process(MakeQuote(idx_, "24000", "24000", FromIst(2026, 1, 8, 9, 15)));
    EXPECT_EQ(k().cache().quote(opt.id) == nullptr, after > 0);
    EXPECT_NE(k().cache().quote(idx_), nullptr);
    EXPECT_NE(k().cache().instrument(opt.id), nullptr);
  }
}

TEST_F(DataEngineTest, OutOfOrderQuoteIsRejected) {
  BusRecorder<QuoteTick> quotes(k().bus(), topics::Quotes(fut_));
  const UnixNanos t = tk_->now();
  engine().Process(MakeQuote(fut_, "100.00", "100.50", t));
  engine().Process(MakeQuote(fut_, "99.00", "99.50", t - 1));
  EXPECT_EQ(engine().rejected_count(), 1u);
  EXPECT_EQ(engine().processed_count(), 1u);
  EXPECT_EQ(quotes.size(), 1u);
  EXPECT_EQ(k().cache().quote(fut_)->bid_price, Px("100"));
  EXPECT_EQ(k().cache().quote_count(fut_), 1u);
  // Another instrument has its own sequence.
  engine().Process(MakeQuote(idx_, "21000", "21000", t - 1));
  EXPECT_EQ(engine().rejected_count(), 1u);
}

TEST_F(DataEngineTest, OutOfOrderTradeIsRejected) {
  BusRecorder<TradeTick> trades(k().bus(), topics::Trades(fut_));
  const UnixNanos t = tk_->now();
  engine().Process(MakeTrade(fut_, "100.00", 5, t, "T-1"));
  engine().Process(MakeTrade(fut_, "90.00", 5, t - kNanosPerSecond, "T-0"));
  EXPECT_EQ(engine().rejected_count(), 1u);
  EXPECT_EQ(trades.size(), 1u);
  ASSERT_NE(k().cache().trade(fut_), nullptr);
  EXPECT_EQ(k().cache().trade(fut_)->price, Px("100"));
  EXPECT_EQ(k().cache().trade(fut_, 1), nullptr);
  engine().Process(MakeTrade(fut_, "101.00", 5, t, "T-2"));
  EXPECT_EQ(trades.size(), 2u);
  EXPECT_EQ(k().cache().trade(fut_)->trade_id, TradeId("T-2"));
}

TEST_F(DataEngineTest, OutOfOrderBarIsRejectedPerBarType) {
  const BarType minute = MakeBarType(fut_, 1, BarAggregation::kMinute);
  const BarType hour = MakeBarType(fut_, 1, BarAggregation::kHour);
  BusRecorder<Bar> bars(k().bus(), "data.bars.*");
  engine().Process(MakeBar(minute, "100", "101", "99", "100.5", 10, Ist(9, 17)));
  engine().Process(MakeBar(minute, "100", "101", "99", "100.5", 10, Ist(9, 16)));
  EXPECT_EQ(engine().rejected_count(), 1u);
  // The hourly type is independent of the minute type.
  engine().Process(MakeBar(hour, "100", "101", "99", "100.5", 10, Ist(10, 15)));
  engine().Process(MakeBar(minute, "100", "102", "99", "101.5", 10, Ist(9, 18)));
  EXPECT_EQ(engine().rejected_count(), 1u);
  ASSERT_EQ(bars.size(), 3u);
  EXPECT_EQ(k().cache().bar_count(minute), 2u);
  EXPECT_EQ(k().cache().bar(minute)->close, Px("101.5"));
  EXPECT_EQ(k().cache().bar(hour)->ts_init, Ist(10, 15));
}

TEST_F(DataEngineTest, SequenceValidationCanBeTurnedOff) {
  DataEngineConfig config;
  config.validate_data_sequence = false;
  Build(config);
  const UnixNanos t = tk_->now();
  engine().Process(MakeQuote(fut_, "100.00", "100.50", t));
  engine().Process(MakeQuote(fut_, "99.00", "99.50", t - 1));
  engine().Process(MakeTrade(fut_, "100.00", 5, t));
  engine().Process(MakeTrade(fut_, "99.00", 5, t - 1));
  EXPECT_EQ(engine().rejected_count(), 0u);
  EXPECT_EQ(k().cache().quote(fut_)->bid_price, Px("99"));
}

TEST_F(DataEngineTest, InstrumentsGoToTheCacheAndTheBus) {
  BusRecorder<Instrument> published(k().bus(), "data.instrument.*");
  const Instrument opt = testkit::NiftyOption();
  engine().Process(opt);
  ASSERT_NE(k().cache().instrument(opt.id), nullptr);
  EXPECT_EQ(k().cache().instrument(opt.id)->lot_size, Qty(65));
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0].id, opt.id);
}

// ---------------------------------------------------------------------------------------
// INTERNAL time-bar aggregation.

TEST_F(DataEngineTest, HourlyMidBarsFromQuotesOnTheNseOrigin) {
  const BarType type =
      MakeBarType(fut_, 1, BarAggregation::kHour, PriceType::kMid, AggregationSource::kInternal);
  BusRecorder<Bar> bars(k().bus(), topics::Bars(type));
  ASSERT_EQ(tk_->now(), Ist(9, 15));
  engine().Execute(BarCmd(type));

  QuoteAt(Ist(9, 20), "100.00", "101.00");   // mid 100.5
  QuoteAt(Ist(9, 40), "102.50", "103.50");   // mid 103
  QuoteAt(Ist(10, 0), "98.50", "99.50");     // mid 99
  QuoteAt(Ist(10, 10), "100.50", "101.50");  // mid 101
  EXPECT_TRUE(bars.empty());
  tk_->AdvanceTo(Ist(10, 15));
  ASSERT_EQ(bars.size(), 1u);
  const Bar& b = bars[0];
  EXPECT_EQ(b.bar_type, type);
  EXPECT_EQ(b.open, Px("100.5"));
  EXPECT_EQ(b.high, Px("103"));
  EXPECT_EQ(b.low, Px("99"));
  EXPECT_EQ(b.close, Px("101"));
  EXPECT_EQ(b.ts_event, Ist(9, 15));  // 03:45 UTC
  EXPECT_EQ(b.ts_init, Ist(10, 15));  // the close time
  EXPECT_EQ(b.ts_init, FromUtc(2024, 1, 1, 4, 45));
  ASSERT_NE(k().cache().bar(type), nullptr);
  EXPECT_EQ(k().cache().bar(type)->close, Px("101"));

  // No quotes 10:15-11:15: no bar for that hour.
  tk_->AdvanceTo(Ist(11, 15));
  EXPECT_EQ(bars.size(), 1u);

  QuoteAt(Ist(11, 30), "104.00", "104.20");
  tk_->AdvanceTo(Ist(12, 15));
  ASSERT_EQ(bars.size(), 2u);
  EXPECT_EQ(bars[1].ts_event, Ist(11, 15));
  EXPECT_EQ(bars[1].ts_init, Ist(12, 15));
  EXPECT_EQ(bars[1].open, Px("104.1"));
  EXPECT_EQ(bars[1].close, Px("104.1"));
}

TEST_F(DataEngineTest, QuoteExactlyAtABoundaryOpensTheNextBar) {
  const BarType type =
      MakeBarType(fut_, 5, BarAggregation::kMinute, PriceType::kMid, AggregationSource::kInternal);
  BusRecorder<Bar> bars(k().bus(), topics::Bars(type));
  engine().Execute(BarCmd(type));
  QuoteAt(Ist(9, 16), "100.00", "100.00");
  QuoteAt(Ist(9, 20), "200.00", "200.00");  // the 09:15-09:20 bar closes first
  ASSERT_EQ(bars.size(), 1u);
  EXPECT_EQ(bars[0].close, Px("100"));
  EXPECT_EQ(bars[0].high, Px("100"));
  tk_->AdvanceTo(Ist(9, 25));
  ASSERT_EQ(bars.size(), 2u);
  EXPECT_EQ(bars[1].open, Px("200"));
  EXPECT_EQ(bars[1].ts_event, Ist(9, 20));
}

TEST_F(DataEngineTest, LastBarsFromTradesSumVolume) {
  const BarType type =
      MakeBarType(fut_, 5, BarAggregation::kMinute, PriceType::kLast, AggregationSource::kInternal);
  BusRecorder<Bar> bars(k().bus(), topics::Bars(type));
  engine().Execute(BarCmd(type));
  TradeAt(Ist(9, 15, 30), "100.00", 50);
  TradeAt(Ist(9, 17), "100.40", 25);
  TradeAt(Ist(9, 18), "99.60", 75);
  TradeAt(Ist(9, 19, 59), "100.15", 100);
  // Quotes do not feed a LAST aggregator.
  QuoteAt(Ist(9, 19, 59), "150.00", "150.10");
  tk_->AdvanceTo(Ist(9, 20));
  ASSERT_EQ(bars.size(), 1u);
  EXPECT_EQ(bars[0].open, Px("100"));
  EXPECT_EQ(bars[0].high, Px("100.4"));
  EXPECT_EQ(bars[0].low, Px("99.6"));
  EXPECT_EQ(bars[0].close, Px("100.15"));
  EXPECT_EQ(bars[0].volume, Qty(250));
  EXPECT_EQ(bars[0].ts_init, Ist(9, 20));
  EXPECT_EQ(bars[0].ts_event, Ist(9, 15));
}

TEST_F(DataEngineTest, SubscribingMidIntervalStillClosesOnTheGrid) {
  tk_->AdvanceTo(Ist(9, 47));
  const BarType type =
      MakeBarType(fut_, 1, BarAggregation::kHour, PriceType::kMid, AggregationSource::kInternal);
  BusRecorder<Bar> bars(k().bus(), topics::Bars(type));
  engine().Execute(BarCmd(type));
  QuoteAt(Ist(9, 50), "100.00", "100.00");
  tk_->AdvanceTo(Ist(10, 15));
  ASSERT_EQ(bars.size(), 1u);
  EXPECT_EQ(bars[0].ts_event, Ist(9, 15));
  EXPECT_EQ(bars[0].ts_init, Ist(10, 15));
}

TEST_F(DataEngineTest, DefaultOriginIsMidnightUtc) {
  Build({});
  const BarType type =
      MakeBarType(fut_, 1, BarAggregation::kHour, PriceType::kMid, AggregationSource::kInternal);
  BusRecorder<Bar> bars(k().bus(), topics::Bars(type));
  engine().Execute(BarCmd(type));
  QuoteAt(Ist(9, 20), "100.00", "100.00");
  tk_->AdvanceTo(Ist(9, 30));  // 04:00 UTC
  ASSERT_EQ(bars.size(), 1u);
  EXPECT_EQ(bars[0].ts_init, FromUtc(2024, 1, 1, 4, 0));
  EXPECT_EQ(bars[0].ts_event, FromUtc(2024, 1, 1, 3, 0));
}

TEST_F(DataEngineTest, UnsubscribingStopsAggregation) {
  const BarType type =
      MakeBarType(fut_, 1, BarAggregation::kMinute, PriceType::kMid, AggregationSource::kInternal);
  BusRecorder<Bar> bars(k().bus(), topics::Bars(type));
  engine().Execute(BarCmd(type));
  QuoteAt(Ist(9, 15, 30), "100.00", "100.00");
  tk_->AdvanceTo(Ist(9, 16));
  ASSERT_EQ(bars.size(), 1u);
  engine().Execute(BarCmd(type, false));
  // Quotes still arrive (e.g. another subscriber), but no aggregator consumes them.
  engine().Process(MakeQuote(fut_, "101.00", "101.00", Ist(9, 16, 30)));
  tk_->AdvanceTo(Ist(9, 20));
  EXPECT_EQ(bars.size(), 1u);
}

TEST_F(DataEngineTest, InvalidBarSpecIsNotAggregated) {
  const BarType type = MakeBarType(fut_, 7, BarAggregation::kMinute, PriceType::kMid,
                                   AggregationSource::kInternal);  // 7 does not divide 60
  const auto errors = k().logger().error_count();
  engine().Execute(BarCmd(type));
  EXPECT_EQ(k().logger().error_count(), errors + 1);
  EXPECT_EQ(tk_->clock().TimerCount(), 0u);
}

}  // namespace
}  // namespace nacre
