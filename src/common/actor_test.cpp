#include "common/actor.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/logger.h"
#include "common/topics.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::Px;
using testkit::Qty;

constexpr DurationNs kSec = kNanosPerSecond;
const UnixNanos kT0 = FromIst(2024, 1, 2, 9, 15);

const InstrumentId& FutId() {
  static const InstrumentId kId = testkit::NiftyFuture().id;
  return kId;
}
const InstrumentId& OptId() {
  static const InstrumentId kId = testkit::NiftyOption().id;
  return kId;
}
BarType MinuteBars(const InstrumentId& id) {
  return BarType(id, BarSpecification{1, BarAggregation::kMinute, PriceType::kLast},
                 AggregationSource::kExternal);
}

QuoteTick Quote(const InstrumentId& id, const char* bid, std::int64_t ts = 1) {
  QuoteTick q;
  q.instrument_id = id;
  q.bid_price = Px(bid);
  q.ask_price = Px(bid);
  q.bid_size = Qty(1);
  q.ask_size = Qty(1);
  q.ts_event = UnixNanos(ts);
  q.ts_init = UnixNanos(ts);
  return q;
}

Bar MakeBar(const BarType& type, const char* close) {
  Bar b;
  b.bar_type = type;
  b.open = b.high = b.low = b.close = Px(close);
  b.volume = Qty(1);
  return b;
}

struct Signal {
  std::string name;
  double value = 0;
};

// An actor that records what reaches it; tests drive its protected API through the
// public wrappers below.
class RecordingActor : public Actor {
 public:
  explicit RecordingActor(std::string id = "Recorder-1") : Actor(std::move(id)) {}

  std::vector<std::string> quotes;
  std::vector<std::string> trades;
  std::vector<std::string> bars;
  std::vector<std::string> instruments;
  std::vector<TimeEvent> timers;
  std::vector<std::string> lifecycle;
  std::string state_seen_in_registered;
  bool throw_on_quote = false;
  bool throw_int_on_quote = false;
  bool throw_on_timer = false;
  SavedState loaded;
  std::function<void(RecordingActor&)> on_start;

  // Public wrappers for the protected API.
  using Actor::CancelTimer;
  using Actor::PublishData;
  using Actor::SetTimeAlert;
  using Actor::SetTimer;
  using Actor::SubscribeBars;
  using Actor::SubscribeData;
  using Actor::SubscribeInstrument;
  using Actor::SubscribeQuoteTicks;
  using Actor::SubscribeTradeTicks;
  using Actor::UnsubscribeBars;
  using Actor::UnsubscribeData;
  using Actor::UnsubscribeQuoteTicks;
  using Actor::UnsubscribeTradeTicks;

 protected:
  void OnRegistered() override { state_seen_in_registered = ToString(state()); }
  void OnStart() override {
    lifecycle.push_back("start");
    if (on_start) on_start(*this);
  }
  void OnStop() override { lifecycle.push_back("stop"); }
  void OnQuoteTick(const QuoteTick& q) override {
    if (throw_on_quote) throw std::runtime_error("bad quote " + q.bid_price.ToString());
    if (throw_int_on_quote) throw 7;
    quotes.push_back(q.instrument_id.value() + "@" + q.bid_price.ToString());
  }
  void OnTradeTick(const TradeTick& t) override { trades.push_back(t.price.ToString()); }
  void OnBar(const Bar& b) override {
    bars.push_back(b.bar_type.ToString() + "@" + b.close.ToString());
  }
  void OnInstrument(const Instrument& i) override { instruments.push_back(i.id.value()); }
  void OnTimer(const TimeEvent& e) override {
    if (throw_on_timer) throw std::runtime_error("bad timer");
    timers.push_back(e);
  }
  SavedState OnSave() override {
    return {{"quotes_seen", std::to_string(quotes.size())},
            {"last", quotes.empty() ? "" : quotes.back()}};
  }
  void OnLoad(const SavedState& state) override { loaded = state; }
};

class ActorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(bus_.RegisterEndpoint<DataSubscription>(
        topics::kDataEngineExecute, [this](const DataSubscription& c) { commands_.push_back(c); }));
  }

  ActorContext Context() {
    return ActorContext{TraderId("TRADER-001"), &clock_, &bus_, &cache_, &logger_, &uuids_};
  }

  TestClock clock_{kT0};
  MessageBus bus_;
  Cache cache_;
  Logger logger_{clock_, nullptr};
  UuidGenerator uuids_{42};
  std::vector<DataSubscription> commands_;
};

TEST_F(ActorTest, RegisterWiresContextAndMovesToReady) {
  RecordingActor actor;
  EXPECT_FALSE(actor.is_registered());
  actor.Register(Context());
  EXPECT_TRUE(actor.is_registered());
  EXPECT_EQ(actor.trader_id(), TraderId("TRADER-001"));
  EXPECT_EQ(actor.state_seen_in_registered, "PRE_INITIALIZED");
  EXPECT_TRUE(actor.is_ready());
  ASSERT_TRUE(actor.Start());
  EXPECT_TRUE(actor.is_running());
  EXPECT_EQ(actor.lifecycle, (std::vector<std::string>{"start"}));
}

TEST_F(ActorTest, SubscriptionsSendDataCommandsToTheDataEngine) {
  RecordingActor actor;
  actor.Register(Context());
  clock_.SetTime(kT0 + 5 * kSec);
  actor.SubscribeQuoteTicks(FutId(), ClientId("KITE"));
  actor.SubscribeQuoteTicks(FutId());  // duplicate: no second command
  actor.SubscribeTradeTicks(OptId());
  actor.SubscribeBars(MinuteBars(OptId()));
  actor.SubscribeInstrument(FutId());  // instruments are pushed, not requested
  ASSERT_EQ(commands_.size(), 3u);

  EXPECT_EQ(commands_[0].kind, DataKind::kQuotes);
  EXPECT_EQ(commands_[0].instrument_id, FutId());
  EXPECT_EQ(commands_[0].client_id, ClientId("KITE"));
  EXPECT_TRUE(commands_[0].subscribe);
  EXPECT_EQ(commands_[0].ts_init, kT0 + 5 * kSec);

  EXPECT_EQ(commands_[1].kind, DataKind::kTrades);
  EXPECT_EQ(commands_[1].instrument_id, OptId());
  EXPECT_TRUE(commands_[1].client_id.empty());

  EXPECT_EQ(commands_[2].kind, DataKind::kBars);
  EXPECT_EQ(commands_[2].bar_type, MinuteBars(OptId()));
  EXPECT_EQ(commands_[2].instrument_id, OptId());
  EXPECT_TRUE(commands_[2].subscribe);

  actor.UnsubscribeQuoteTicks(FutId());
  actor.UnsubscribeQuoteTicks(FutId());  // already gone: nothing sent
  actor.UnsubscribeTradeTicks(OptId());
  actor.UnsubscribeBars(MinuteBars(OptId()));
  actor.UnsubscribeBars(MinuteBars(FutId()));  // never subscribed
  ASSERT_EQ(commands_.size(), 6u);
  EXPECT_EQ(commands_[3].kind, DataKind::kQuotes);
  EXPECT_FALSE(commands_[3].subscribe);
  EXPECT_EQ(commands_[3].instrument_id, FutId());
  EXPECT_EQ(commands_[4].kind, DataKind::kTrades);
  EXPECT_FALSE(commands_[4].subscribe);
  EXPECT_EQ(commands_[5].kind, DataKind::kBars);
  EXPECT_FALSE(commands_[5].subscribe);
  EXPECT_EQ(commands_[5].bar_type, MinuteBars(OptId()));

  // Re-subscribing after an unsubscribe sends a fresh command.
  actor.SubscribeQuoteTicks(FutId());
  EXPECT_EQ(commands_.size(), 7u);
}

TEST_F(ActorTest, MissingDataEngineEndpointIsLoggedNotThrown) {
  MessageBus bare_bus;
  ActorContext ctx = Context();
  ctx.bus = &bare_bus;
  RecordingActor actor;
  actor.Register(ctx);
  EXPECT_NO_THROW(actor.SubscribeQuoteTicks(FutId()));
  EXPECT_EQ(logger_.error_count(), 1u);
  EXPECT_NE(logger_.last_error().find("DataEngine.execute"), std::string::npos)
      << logger_.last_error();
  EXPECT_NE(logger_.last_error().find("Recorder-1"), std::string::npos) << logger_.last_error();
}

TEST_F(ActorTest, MarketDataReachesHandlersOnlyWhileRunning) {
  RecordingActor actor;
  actor.Register(Context());
  actor.SubscribeQuoteTicks(FutId());
  actor.SubscribeTradeTicks(FutId());
  actor.SubscribeBars(MinuteBars(FutId()));
  actor.SubscribeInstrument(FutId());
  const auto quotes = bus_.Topic(topics::Quotes(FutId()));
  const auto bars = bus_.Topic(topics::Bars(MinuteBars(FutId())));

  bus_.Publish(quotes, Quote(FutId(), "1.00"));  // READY: dropped
  bus_.Publish(bars, MakeBar(MinuteBars(FutId()), "1.50"));
  ASSERT_TRUE(actor.Start());
  bus_.Publish(quotes, Quote(FutId(), "2.00"));
  bus_.Publish(topics::Quotes(OptId()), Quote(OptId(), "9.00"));  // not subscribed
  bus_.Publish(bars, MakeBar(MinuteBars(FutId()), "2.50"));
  TradeTick trade;
  trade.instrument_id = FutId();
  trade.price = Px("2.25");
  bus_.Publish(topics::Trades(FutId()), trade);
  bus_.Publish(topics::InstrumentTopic(FutId()), testkit::NiftyFuture());
  ASSERT_TRUE(actor.Stop());
  bus_.Publish(quotes, Quote(FutId(), "3.00"));  // STOPPED: dropped
  bus_.Publish(bars, MakeBar(MinuteBars(FutId()), "3.50"));
  ASSERT_TRUE(actor.Resume());
  bus_.Publish(quotes, Quote(FutId(), "4.00"));

  const std::string fut = FutId().value();
  EXPECT_EQ(actor.quotes, (std::vector<std::string>{fut + "@2.00", fut + "@4.00"}));
  EXPECT_EQ(actor.bars, (std::vector<std::string>{MinuteBars(FutId()).ToString() + "@2.50"}));
  EXPECT_EQ(actor.trades, (std::vector<std::string>{"2.25"}));
  EXPECT_EQ(actor.instruments, (std::vector<std::string>{fut}));
}

TEST_F(ActorTest, SubscriptionsMadeInOnStartDeliverAfterStart) {
  RecordingActor actor;
  actor.on_start = [](RecordingActor& a) { a.SubscribeQuoteTicks(FutId()); };
  actor.Register(Context());
  ASSERT_TRUE(actor.Start());
  EXPECT_EQ(commands_.size(), 1u);
  bus_.Publish(topics::Quotes(FutId()), Quote(FutId(), "5.00"));
  EXPECT_EQ(actor.quotes.size(), 1u);
}

TEST_F(ActorTest, UnsubscribeStopsDelivery) {
  RecordingActor actor;
  actor.Register(Context());
  ASSERT_TRUE(actor.Start());
  actor.SubscribeQuoteTicks(FutId());
  actor.SubscribeBars(MinuteBars(FutId()));
  bus_.Publish(topics::Quotes(FutId()), Quote(FutId(), "1.00"));
  actor.UnsubscribeQuoteTicks(FutId());
  actor.UnsubscribeBars(MinuteBars(FutId()));
  bus_.Publish(topics::Quotes(FutId()), Quote(FutId(), "2.00"));
  bus_.Publish(topics::Bars(MinuteBars(FutId())), MakeBar(MinuteBars(FutId()), "2.00"));
  EXPECT_EQ(actor.quotes.size(), 1u);
  EXPECT_TRUE(actor.bars.empty());
}

TEST_F(ActorTest, CustomDataBetweenActors) {
  RecordingActor publisher("Publisher-1");
  RecordingActor listener("Listener-1");
  publisher.Register(Context());
  listener.Register(Context());
  std::vector<std::string> got;
  const SubscriptionId sub = listener.SubscribeData<Signal>(
      "custom.signals.*", [&](const Signal& s) { got.push_back(s.name); });
  listener.SubscribeData<int>("custom.signals.*",
                              [&](const int& v) { got.push_back("int" + std::to_string(v)); });
  ASSERT_TRUE(publisher.Start());
  publisher.PublishData("custom.signals.iv", Signal{"before-start", 1});  // listener READY
  ASSERT_TRUE(listener.Start());
  publisher.PublishData("custom.signals.iv", Signal{"iv", 0.18});
  publisher.PublishData("custom.signals.skew", 3);
  publisher.PublishData("custom.other", Signal{"elsewhere", 0});
  listener.UnsubscribeData(sub);
  publisher.PublishData("custom.signals.iv", Signal{"after-unsubscribe", 0});
  EXPECT_EQ(got, (std::vector<std::string>{"iv", "int3"}));
}

TEST_F(ActorTest, TimersReachOnTimerWithLocalNameUntilCancelled) {
  RecordingActor actor;
  actor.on_start = [](RecordingActor& a) {
    ASSERT_TRUE(a.SetTimer("heartbeat", 10 * kSec));
    ASSERT_TRUE(a.SetTimeAlert("open", kT0 + 15 * kSec));
  };
  actor.Register(Context());
  ASSERT_TRUE(actor.Start());
  // The clock sees names qualified by the actor id, so two actors never clash.
  EXPECT_TRUE(clock_.HasTimer("Recorder-1:heartbeat"));
  EXPECT_TRUE(clock_.HasTimer("Recorder-1:open"));

  clock_.AdvanceTime(kT0 + 25 * kSec);
  ASSERT_EQ(actor.timers.size(), 3u);
  EXPECT_EQ(actor.timers[0].name, "heartbeat");
  EXPECT_EQ(actor.timers[0].ts_event, kT0 + 10 * kSec);
  EXPECT_EQ(actor.timers[1].name, "open");
  EXPECT_EQ(actor.timers[1].ts_event, kT0 + 15 * kSec);
  EXPECT_EQ(actor.timers[2].name, "heartbeat");
  EXPECT_EQ(actor.timers[2].ts_event, kT0 + 20 * kSec);

  actor.CancelAllTimers();
  EXPECT_EQ(clock_.TimerCount(), 0u);
  clock_.AdvanceTime(kT0 + 100 * kSec);
  EXPECT_EQ(actor.timers.size(), 3u);
}

TEST_F(ActorTest, TimersDoNotFireIntoAStoppedActorAndCancelTimerWorks) {
  RecordingActor actor;
  actor.Register(Context());
  ASSERT_TRUE(actor.Start());
  ASSERT_TRUE(actor.SetTimer("a", 10 * kSec));
  ASSERT_TRUE(actor.SetTimer("b", 10 * kSec));
  EXPECT_FALSE(actor.SetTimer("a", 5 * kSec));  // duplicate local name
  ASSERT_TRUE(actor.Stop());
  clock_.AdvanceTime(kT0 + 10 * kSec);
  EXPECT_TRUE(actor.timers.empty());
  ASSERT_TRUE(actor.Resume());
  actor.CancelTimer("a");
  EXPECT_FALSE(clock_.HasTimer("Recorder-1:a"));
  clock_.AdvanceTime(kT0 + 20 * kSec);
  ASSERT_EQ(actor.timers.size(), 1u);
  EXPECT_EQ(actor.timers[0].name, "b");
}

TEST_F(ActorTest, SameLocalTimerNameInTwoActors) {
  RecordingActor a("A-1");
  RecordingActor b("B-1");
  a.Register(Context());
  b.Register(Context());
  ASSERT_TRUE(a.Start());
  ASSERT_TRUE(b.Start());
  ASSERT_TRUE(a.SetTimeAlert("x", kT0 + kSec));
  ASSERT_TRUE(b.SetTimeAlert("x", kT0 + 2 * kSec));
  clock_.AdvanceTime(kT0 + 3 * kSec);
  ASSERT_EQ(a.timers.size(), 1u);
  ASSERT_EQ(b.timers.size(), 1u);
  EXPECT_EQ(a.timers[0].ts_event, kT0 + kSec);
  EXPECT_EQ(b.timers[0].ts_event, kT0 + 2 * kSec);
  a.CancelAllTimers();  // only its own
  ASSERT_TRUE(b.SetTimer("y", kSec));
  a.CancelAllTimers();
  EXPECT_TRUE(clock_.HasTimer("B-1:y"));
}

TEST_F(ActorTest, HandlerExceptionsAreCaughtAndCounted) {
  RecordingActor actor;
  actor.Register(Context());
  ASSERT_TRUE(actor.Start());
  actor.SubscribeQuoteTicks(FutId());
  int later_handler = 0;
  bus_.Subscribe<QuoteTick>(
      topics::Quotes(FutId()), [&](const QuoteTick&) { ++later_handler; }, -1);
  actor.throw_on_quote = true;
  EXPECT_NO_THROW(bus_.Publish(topics::Quotes(FutId()), Quote(FutId(), "1.00")));
  EXPECT_EQ(actor.handler_errors(), 1u);
  EXPECT_EQ(later_handler, 1);  // the bus kept delivering
  EXPECT_TRUE(actor.is_running());
  EXPECT_EQ(logger_.error_count(), 1u);
  EXPECT_NE(logger_.last_error().find("bad quote 1.00"), std::string::npos) << logger_.last_error();

  actor.throw_on_quote = false;
  actor.throw_int_on_quote = true;
  EXPECT_NO_THROW(bus_.Publish(topics::Quotes(FutId()), Quote(FutId(), "2.00")));
  EXPECT_EQ(actor.handler_errors(), 2u);

  actor.throw_int_on_quote = false;
  bus_.Publish(topics::Quotes(FutId()), Quote(FutId(), "3.00"));
  EXPECT_EQ(actor.quotes.size(), 1u);

  actor.throw_on_timer = true;
  ASSERT_TRUE(actor.SetTimeAlert("boom", kT0 + kSec));
  EXPECT_NO_THROW(clock_.AdvanceTime(kT0 + 2 * kSec));
  EXPECT_EQ(actor.handler_errors(), 3u);

  const SubscriptionId sub = actor.SubscribeData<Signal>(
      "custom.x", [](const Signal&) { throw std::logic_error("custom failure"); });
  EXPECT_NO_THROW(bus_.Publish("custom.x", Signal{}));
  EXPECT_EQ(actor.handler_errors(), 4u);
  actor.UnsubscribeData(sub);
}

TEST_F(ActorTest, SaveLoadRoundTrip) {
  RecordingActor first;
  first.Register(Context());
  first.SubscribeQuoteTicks(FutId());
  ASSERT_TRUE(first.Start());
  bus_.Publish(topics::Quotes(FutId()), Quote(FutId(), "1.00"));
  bus_.Publish(topics::Quotes(FutId()), Quote(FutId(), "2.00"));
  const SavedState saved = first.Save();
  EXPECT_EQ(saved.at("quotes_seen"), "2");

  RecordingActor restarted("Recorder-2");
  restarted.Register(Context());
  restarted.Load(saved);  // before Start(), as the live node does
  EXPECT_EQ(restarted.loaded, saved);
  EXPECT_EQ(restarted.loaded.at("last"), FutId().value() + "@2.00");
}

TEST_F(ActorTest, DestroyingAnActorReleasesItsSubscriptionsAndTimers) {
  {
    RecordingActor actor;
    actor.Register(Context());
    ASSERT_TRUE(actor.Start());
    actor.SubscribeQuoteTicks(FutId());
    actor.SubscribeData<Signal>("custom.*", [](const Signal&) {});
    ASSERT_TRUE(actor.SetTimer("t", kSec));
    EXPECT_EQ(bus_.subscription_count(), 2u);
    EXPECT_EQ(clock_.TimerCount(), 1u);
  }
  EXPECT_EQ(bus_.subscription_count(), 0u);
  EXPECT_EQ(clock_.TimerCount(), 0u);
  // Nothing dangles: publishing and advancing after destruction is safe.
  bus_.Publish(topics::Quotes(FutId()), Quote(FutId(), "1.00"));
  clock_.AdvanceTime(kT0 + 10 * kSec);
}

TEST_F(ActorTest, ActorsCanReadTheSharedCache) {
  class CacheReader : public RecordingActor {
   public:
    std::size_t Count() { return cache().quote_count(FutId()); }
  };
  CacheReader reader;
  reader.Register(Context());
  cache_.AddQuote(Quote(FutId(), "1.00"));
  EXPECT_EQ(reader.Count(), 1u);
}

}  // namespace
}  // namespace nacre
