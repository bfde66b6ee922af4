#include "common/event_loop.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/message_bus.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

using Log = std::vector<std::string>;

constexpr DurationNs kMs = 1'000'000;

// A bus whose sends from inside handlers are queued on a loop, as the kernel attaches them.
struct LoopedBus {
  TestClock clock{UnixNanos(0)};
  EventLoop loop{clock};
  MessageBus bus;
  LoopedBus() { bus.AttachLoop(&loop); }
};

QuoteTick Quote(const char* id, std::int64_t ts_ns, const char* bid = "100") {
  return testkit::MakeQuote(MustInstrumentId(id), bid, "101", UnixNanos(ts_ns));
}

TEST(EventLoop, AtEqualTimesVenueDeliveriesRunBeforeTimersAndTimersBeforeData) {
  TestClock clock(UnixNanos(0));
  EventLoop loop(clock);
  Log log;
  ASSERT_TRUE(clock.SetTimeAlert("t", UnixNanos(10), [&](const TimeEvent&) { log.push_back("timer"); }));
  loop.Schedule(UnixNanos(10), [&] { log.push_back("venue"); });
  loop.Schedule(UnixNanos(5), [&] { log.push_back("venue@5"); });
  loop.RunData(UnixNanos(10), [&] { log.push_back("data"); });
  EXPECT_EQ(log, (Log{"venue@5", "venue", "timer", "data"}));
  EXPECT_EQ(clock.Now(), UnixNanos(10));
}

TEST(EventLoop, EachItemRunsAtItsOwnTime) {
  TestClock clock(UnixNanos(0));
  EventLoop loop(clock);
  std::vector<std::int64_t> seen;
  loop.Schedule(UnixNanos(50 * kMs), [&] { seen.push_back(clock.Now().value); });
  ASSERT_TRUE(clock.SetTimeAlert("t", UnixNanos(20 * kMs),
                                 [&](const TimeEvent&) { seen.push_back(clock.Now().value); }));
  loop.RunData(UnixNanos(300'000 * kMs), [&] { seen.push_back(clock.Now().value); });
  EXPECT_EQ(seen, (std::vector<std::int64_t>{20 * kMs, 50 * kMs, 300'000 * kMs}));
}

TEST(EventLoop, EqualTimesKeepSchedulingOrderAndTheClockNeverGoesBack) {
  TestClock clock(UnixNanos(100));
  EventLoop loop(clock);
  Log log;
  loop.Schedule(UnixNanos(200), [&] { log.push_back("a"); });
  loop.Schedule(UnixNanos(200), [&] { log.push_back("b"); });
  loop.Schedule(UnixNanos(50), [&] { log.push_back("past"); });  // runs now, not in the past
  loop.AdvanceTo(UnixNanos(200));
  EXPECT_EQ(log, (Log{"past", "a", "b"}));
  loop.AdvanceTo(UnixNanos(150));
  EXPECT_EQ(clock.Now(), UnixNanos(200));
}

TEST(EventLoop, HandlersNeverNestWorkDeferredInAHandlerRunsAfterItReturns) {
  TestClock clock(UnixNanos(0));
  EventLoop loop(clock);
  Log log;
  loop.Run([&] {
    log.push_back("handler start");
    loop.Run([&] {
      log.push_back("first deferred");
      loop.Defer([&] { log.push_back("deferred by a deferred task"); });
      log.push_back("first deferred end");
    });
    loop.Defer([&] { log.push_back("second deferred"); });
    EXPECT_TRUE(loop.in_handler());
    log.push_back("handler end");
  });
  EXPECT_FALSE(loop.in_handler());
  EXPECT_EQ(log, (Log{"handler start", "handler end", "first deferred", "first deferred end",
                      "second deferred", "deferred by a deferred task"}));
  EXPECT_EQ(loop.stats().deferred, 3u);
}

TEST(EventLoop, ACommandSentFromASubscriberRunsAfterEverySubscriberSawTheMessage) {
  LoopedBus looped;
  EventLoop& loop = looped.loop;
  MessageBus& bus = looped.bus;
  Log log;
  ASSERT_TRUE(bus.RegisterEndpoint<int>("Engine.execute",
                                        [&](const int& c) { log.push_back("command " + std::to_string(c)); }));
  bus.Subscribe<int>("data", [&](const int&) {
    log.push_back("subscriber 1");
    ASSERT_TRUE(bus.Send("Engine.execute", 7));
    log.push_back("subscriber 1 returns");
  });
  bus.Subscribe<int>("data", [&](const int&) { log.push_back("subscriber 2"); });
  loop.RunData(UnixNanos(1), [&] { bus.Publish("data", 1); });
  EXPECT_EQ(log, (Log{"subscriber 1", "subscriber 1 returns", "subscriber 2", "command 7"}));
  // An unknown endpoint is refused at once, even from inside a handler.
  loop.Run([&] { EXPECT_FALSE(bus.Send("Nobody.execute", 1)); });
  // Outside any handler a send runs before Send returns.
  ASSERT_TRUE(bus.Send("Engine.execute", 8));
  EXPECT_EQ(log.back(), "command 8");
}

TEST(EventLoop, ASendThroughAMemoFromASubscriberIsDeferredLikeAnyOther) {
  LoopedBus looped;
  EventLoop& loop = looped.loop;
  MessageBus& bus = looped.bus;
  Log log;
  ASSERT_TRUE(bus.RegisterEndpoint<int>(
      "Engine.execute", [&](const int& c) { log.push_back("command " + std::to_string(c)); }));
  MessageBus::EndpointMemo memo;
  bus.Subscribe<int>("data", [&](const int& n) {
    ASSERT_TRUE(bus.Send("Engine.execute", n, memo));
    log.push_back("subscriber " + std::to_string(n));
  });
  loop.RunData(UnixNanos(1), [&] { bus.Publish("data", 1); });
  loop.RunData(UnixNanos(2), [&] { bus.Publish("data", 2); });
  EXPECT_EQ(log, (Log{"subscriber 1", "command 1", "subscriber 2", "command 2"}));
  // Deregistered while a memo'd send waits: dropped and counted, as without a memo.
  loop.Run([&] {
    ASSERT_TRUE(bus.Send("Engine.execute", 3, memo));
    bus.DeregisterEndpoint("Engine.execute");
  });
  EXPECT_EQ(log.size(), 4u);
  EXPECT_EQ(bus.send_errors(), 1u);
  EXPECT_FALSE(bus.Send("Engine.execute", 4, memo));
}

TEST(EventLoop, ADeferredSendToAnEndpointDeregisteredMeanwhileIsDroppedAndCounted) {
  LoopedBus looped;
  EventLoop& loop = looped.loop;
  MessageBus& bus = looped.bus;
  int ran = 0;
  ASSERT_TRUE(bus.RegisterEndpoint<int>("Engine.execute", [&](const int&) { ++ran; }));
  loop.Run([&] {
    ASSERT_TRUE(bus.Send("Engine.execute", 1));
    bus.DeregisterEndpoint("Engine.execute");  // gone before the queued send runs
  });
  EXPECT_EQ(ran, 0);
  EXPECT_EQ(bus.send_errors(), 1u);
}

TEST(EventLoop, TimersFireOneHandlerEachInTimeOrder) {
  TestClock clock(UnixNanos(0));
  EventLoop loop(clock);
  Log log;
  ASSERT_TRUE(clock.SetTimer("every10", 10, UnixNanos(0), UnixNanos(0), [&](const TimeEvent& e) {
    log.push_back("tick " + std::to_string(e.ts_event.value));
    loop.Defer([&, t = e.ts_event.value] { log.push_back("after tick " + std::to_string(t)); });
  }));
  loop.AdvanceTo(UnixNanos(25));
  EXPECT_EQ(log, (Log{"tick 10", "after tick 10", "tick 20", "after tick 20"}));
  EXPECT_EQ(loop.stats().timer_events, 2u);
}

TEST(EventLoop, AThrowingHandlerIsStoppedAtTheBoundaryAndReported) {
  TestClock clock(UnixNanos(0));
  EventLoop loop(clock);
  std::vector<std::string> errors;
  loop.SetErrorHandler([&](const std::string& e) { errors.push_back(e); });
  Log log;
  loop.Schedule(UnixNanos(1), [&] {
    loop.Defer([&] { log.push_back("deferred still runs"); });
    throw std::runtime_error("venue blew up");
  });
  loop.Schedule(UnixNanos(2), [&] { log.push_back("next item runs"); });
  loop.AdvanceTo(UnixNanos(5));
  EXPECT_EQ(errors, (std::vector<std::string>{"venue blew up"}));
  EXPECT_EQ(log, (Log{"deferred still runs", "next item runs"}));
  EXPECT_EQ(loop.stats().errors, 1u);
  EXPECT_FALSE(loop.in_handler());
}

TEST(EventLoop, AnErrorHandlerThatThrowsLeavesTheLoopUsable) {
  TestClock clock(UnixNanos(0));
  EventLoop loop(clock);
  loop.SetErrorHandler([](const std::string&) { throw std::runtime_error("reporting failed"); });
  Log log;
  loop.Schedule(UnixNanos(1), [] { throw std::runtime_error("first"); });
  loop.Schedule(UnixNanos(2), [&] {
    log.push_back("second");
    loop.Defer([&] { log.push_back("deferred after second"); });
  });
  loop.AdvanceTo(UnixNanos(3));
  EXPECT_FALSE(loop.in_handler());
  EXPECT_EQ(log, (Log{"second", "deferred after second"}));
  EXPECT_EQ(loop.stats().errors, 2u);  // the handler and its failed report
}

TEST(EventLoop, DrivingTheLoopFromInsideAHandlerIsRefused) {
  TestClock clock(UnixNanos(0));
  EventLoop loop(clock);
  std::vector<std::string> errors;
  loop.SetErrorHandler([&](const std::string& e) { errors.push_back(e); });
  ASSERT_TRUE(clock.SetTimeAlert("t", UnixNanos(5), [](const TimeEvent&) {}));
  loop.Run([&] { loop.AdvanceTo(UnixNanos(10)); });
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("AdvanceTo called from inside a handler"), std::string::npos);
  EXPECT_EQ(clock.Now(), UnixNanos(0));  // nothing ran
  loop.AdvanceTo(UnixNanos(10));         // from outside it works
  EXPECT_EQ(loop.stats().timer_events, 1u);
}

TEST(EventLoop, ResetDropsScheduledWork) {
  TestClock clock(UnixNanos(0));
  EventLoop loop(clock);
  int ran = 0;
  loop.Schedule(UnixNanos(5), [&] { ++ran; });
  loop.Reset();
  loop.AdvanceTo(UnixNanos(10));
  EXPECT_EQ(ran, 0);
  EXPECT_EQ(loop.scheduled_count(), 0u);
}

TEST(Inbox, ExecLaneIsTakenWholeBeforeAnyData) {
  Inbox inbox;
  inbox.PushData(Quote("A.NFO", 1));
  inbox.PushExec(UnixNanos(2), StopRequested{"x"});
  inbox.PushData(Quote("B.NFO", 3));
  std::vector<ExecItem> exec;
  std::vector<MarketData> data;
  inbox.Take(exec, data, 1);
  ASSERT_EQ(exec.size(), 1u);
  ASSERT_EQ(data.size(), 1u);  // at most max_data
  EXPECT_EQ(std::get<QuoteTick>(data[0]).instrument_id, MustInstrumentId("A.NFO"));
  inbox.Take(exec, data, 10);
  EXPECT_TRUE(exec.empty());
  ASSERT_EQ(data.size(), 1u);
}

TEST(Inbox, UnderBacklogAQuoteReplacesItsInstrumentsWaitingQuote) {
  InboxConfig cfg;
  cfg.conflate_above = 2;
  cfg.capacity = 4;
  Inbox inbox(cfg);
  inbox.PushData(Quote("A.NFO", 1, "100"));
  inbox.PushData(Quote("B.NFO", 2, "200"));
  inbox.PushData(Quote("A.NFO", 3, "101"));  // backlog: replaces A's waiting quote
  inbox.PushData(testkit::MakeTrade(MustInstrumentId("A.NFO"), "100", 1, UnixNanos(4)));
  EXPECT_EQ(inbox.stats().conflated, 1u);
  std::vector<ExecItem> exec;
  std::vector<MarketData> data;
  inbox.Take(exec, data, 100);
  ASSERT_EQ(data.size(), 3u);
  EXPECT_EQ(std::get<QuoteTick>(data[0]).bid_price, testkit::Px("101"));  // newest values
  EXPECT_TRUE(std::holds_alternative<TradeTick>(data[2]));  // trades never conflated
  // Once taken, A has no waiting quote: a new one queues instead of replacing; then, with the
  // lane past the backlog mark again, the next A quote replaces that new one in place.
  inbox.PushData(Quote("A.NFO", 5, "102"));
  inbox.PushData(Quote("C.NFO", 6));
  inbox.PushData(Quote("A.NFO", 7, "103"));
  EXPECT_EQ(inbox.stats().conflated, 2u);
  inbox.Take(exec, data, 1);
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(std::get<QuoteTick>(data[0]).bid_price, testkit::Px("103"));
  inbox.PushData(Quote("A.NFO", 8, "104"));  // A was taken: queued behind C
  inbox.PushData(Quote("C.NFO", 9, "105"));  // C waits, backlog 2: replaced in place
  inbox.Take(exec, data, 10);
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(std::get<QuoteTick>(data[0]).instrument_id, MustInstrumentId("C.NFO"));
  EXPECT_EQ(std::get<QuoteTick>(data[0]).bid_price, testkit::Px("105"));
  EXPECT_EQ(std::get<QuoteTick>(data[1]).bid_price, testkit::Px("104"));
  EXPECT_TRUE(inbox.empty());
}

TEST(Inbox, AtCapacityQuotesThatCannotBeConflatedAreDroppedTradesAreKept) {
  InboxConfig cfg;
  cfg.conflate_above = 100;
  cfg.capacity = 2;
  Inbox inbox(cfg);
  inbox.PushData(Quote("A.NFO", 1));
  inbox.PushData(Quote("B.NFO", 2));
  inbox.PushData(Quote("C.NFO", 3));  // full
  inbox.PushData(testkit::MakeTrade(MustInstrumentId("C.NFO"), "100", 1, UnixNanos(4)));
  const InboxStats st = inbox.stats();
  EXPECT_EQ(st.dropped, 1u);
  EXPECT_EQ(st.over_capacity, 1u);
  EXPECT_EQ(st.data_high_water, 3u);
}

TEST(EventLoop, RunInboxFedByAnotherThreadGivesTheSameOrderAsRunData) {
  // The same quotes and venue deliveries, once pushed by the loop itself (backtest) and once
  // by a producer thread through the inbox (replay): identical handler order and times.
  auto run = [](bool through_inbox) {
    TestClock clock(UnixNanos(0));
    EventLoop loop(clock);
    Log log;
    auto on_data = [&](const MarketData& d) {
      const auto& q = std::get<QuoteTick>(d);
      log.push_back(fmt::format("data {} @{}", q.instrument_id.value(), clock.Now().value));
      // Each quote makes the "venue" answer 3 ns later, like a latency.
      loop.Schedule(clock.Now() + 3, [&log, &clock] {
        log.push_back(fmt::format("venue @{}", clock.Now().value));
      });
    };
    std::vector<QuoteTick> quotes;
    for (int i = 0; i < 200; ++i) quotes.push_back(Quote(i % 2 ? "A.NFO" : "B.NFO", 2 * i + 1));
    if (!through_inbox) {
      for (const QuoteTick& q : quotes) loop.RunData(q.ts_init, [&] { on_data(q); });
      loop.AdvanceTo(quotes.back().ts_init);
    } else {
      InboxConfig cfg;
      cfg.conflate_above = 1'000'000;  // a replay never conflates
      Inbox inbox(cfg);
      loop.SetDataHandler(on_data);
      std::thread producer([&] {
        for (const QuoteTick& q : quotes) inbox.PushData(q);
        inbox.Close();
      });
      loop.RunInbox(inbox);
      producer.join();
      loop.AdvanceTo(quotes.back().ts_init);
    }
    return log;
  };
  const Log direct = run(false);
  // The answers to the last two quotes fall after the last data time.
  EXPECT_EQ(direct.size(), 400u - 2u);
  EXPECT_EQ(run(true), direct);
}

TEST(EventLoop, RunLiveDispatchesExecBeforeDataAndStopsOnRequest) {
  LiveClock clock;
  EventLoop loop(clock);
  Inbox inbox;
  Log log;
  loop.SetDataHandler([&](const MarketData&) { log.push_back("data"); });
  loop.SetExecHandler([&](const ExecItem& e) {
    log.push_back(std::holds_alternative<StopRequested>(e.message) ? "stop" : "exec");
  });
  std::atomic<bool> ready{false};
  std::thread producer([&] {
    inbox.PushData(Quote("A.NFO", 1));
    OrderAccepted acc;
    inbox.PushExec(clock.Now(), OrderEvent(acc));
    inbox.PushExec(clock.Now(), StopRequested{"test"});
    ready = true;
  });
  producer.join();
  ASSERT_TRUE(ready);
  loop.RunLive(inbox);
  EXPECT_EQ(log, (Log{"exec", "stop", "data"}));
}

TEST(EventLoop, RunLiveTakesEverythingAProducerPushesWhileItRuns) {
  LiveClock clock;
  EventLoop loop(clock);
  InboxConfig cfg;
  cfg.conflate_above = 1'000'000;  // no backlog conflation: every quote must arrive, in order
  Inbox inbox(cfg);
  std::vector<std::int64_t> seen;
  std::size_t stops = 0;
  loop.SetDataHandler([&](const MarketData& d) { seen.push_back(TsInitOf(d).value); });
  loop.SetExecHandler([&](const ExecItem&) { ++stops; });
  // The producer runs while the loop waits and dispatches; the loop ends when the inbox is
  // closed and drained.
  std::thread producer([&] {
    for (int i = 1; i <= 5000; ++i) inbox.PushData(Quote("A.NFO", i));
    inbox.Close();
  });
  loop.RunLive(inbox);
  producer.join();
  ASSERT_EQ(seen.size(), 5000u);
  for (std::size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i], static_cast<std::int64_t>(i + 1));
  EXPECT_EQ(stops, 0u);
}

TEST(EventLoop, RunLiveOnAScaledClockFiresTimersAtTheirVirtualTimes) {
  // 3,600 virtual seconds a wall second: timers an hour apart come 1 s apart in wall time,
  // not an hour (the wait for the next timer is divided by the rate).
  const UnixNanos start = FromIst(2026, 5, 4, 9, 15);
  ScaledClock clock(start, 3600.0);
  EventLoop loop(clock);
  Inbox inbox;
  std::vector<std::int64_t> fired;  // the clock's time when each timer ran
  ASSERT_TRUE(clock.SetTimeAlert("a", start + 60 * kNanosPerSecond, [&](const TimeEvent&) {
    fired.push_back(clock.Now() - start);
  }).ok());
  ASSERT_TRUE(clock.SetTimeAlert("b", start + 120 * kNanosPerSecond, [&](const TimeEvent&) {
    fired.push_back(clock.Now() - start);
    inbox.Close();
  }).ok());
  const auto wall0 = std::chrono::steady_clock::now();
  loop.RunLive(inbox);
  const auto wall = std::chrono::steady_clock::now() - wall0;
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_GE(fired[0], 60 * kNanosPerSecond);  // never early
  EXPECT_GE(fired[1], 120 * kNanosPerSecond);
  EXPECT_LT(fired[0], fired[1]);
  // Two virtual minutes at 3,600× are 33 ms of wall time; an unscaled wait would be 2 minutes.
  EXPECT_LT(wall, std::chrono::seconds(30));
}

}  // namespace
}  // namespace nacre
