#include "common/message_bus.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "model/data.h"
#include "testkit/testkit.h"

// Counting replacements of the global allocation functions. They count only while
// g_count_allocations is set (inside AllocationCounter's scope), so the rest of the test
// binary is unaffected.
namespace {
bool g_count_allocations = false;
std::size_t g_allocations = 0;

void* CountedAlloc(std::size_t n) {
  if (g_count_allocations) ++g_allocations;
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void* CountedAlignedAlloc(std::size_t n, std::align_val_t al) {
  if (g_count_allocations) ++g_allocations;
  const auto align = static_cast<std::size_t>(al);
  const std::size_t size = ((n == 0 ? 1 : n) + align - 1) / align * align;
  void* p = std::aligned_alloc(align, size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
}  // namespace

void* operator new(std::size_t n) { return CountedAlloc(n); }
void* operator new[](std::size_t n) { return CountedAlloc(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return CountedAlloc(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return CountedAlloc(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(std::size_t n, std::align_val_t al) { return CountedAlignedAlloc(n, al); }
void* operator new[](std::size_t n, std::align_val_t al) { return CountedAlignedAlloc(n, al); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace nacre {
namespace {

// Counts global allocations made while it is alive.
class AllocationCounter {
 public:
  AllocationCounter() {
    g_allocations = 0;
    g_count_allocations = true;
  }
  ~AllocationCounter() { g_count_allocations = false; }
  std::size_t Stop() {
    g_count_allocations = false;
    return g_allocations;
  }
};

struct MsgA {
  int value = 0;
};
struct MsgB {
  int value = 0;
};

// --- TopicMatches ------------------------------------------------------------------------------

struct MatchCase {
  const char* pattern;
  const char* topic;
  bool matches;
};

TEST(TopicMatchesTest, Table) {
  const MatchCase kCases[] = {
      {"data.quotes.X", "data.quotes.X", true},
      {"data.quotes.X", "data.quotes.Y", false},
      {"data.quotes.X", "data.quotes.XY", false},
      {"data.quotes.XY", "data.quotes.X", false},
      {"", "", true},
      {"", "a", false},
      {"a", "", false},
      {"*", "", true},
      {"*", "anything.at.all", true},
      {"**", "abc", true},
      {"data.*", "data.quotes.X", true},
      {"data.*", "data.", true},
      {"data.*", "data", false},
      {"data.*", "events.order.S", false},
      {"*.X", "data.quotes.X", true},
      {"*.X", "data.quotes.Y", false},
      {"data.*.X", "data.quotes.X", true},
      {"data.*.X", "data.trades.X", true},
      {"data.*.X", "data.quotes.Y", false},
      {"data.*s.X", "data.quotes.X", true},
      {"data.*s.X", "data.quote.X", false},
      {"a*b*c", "abc", true},
      {"a*b*c", "aXbYc", true},
      {"a*b*c", "aXbYcZ", false},
      {"a*b*c", "abbbcbc", true},  // needs backtracking past the first 'c'
      {"a*bc", "abcbc", true},
      {"*ab", "aab", true},
      {"?", "a", true},
      {"?", "", false},
      {"?", "ab", false},
      {"d?ta", "data", true},
      {"d?ta", "dta", false},
      {"events.order.S-00?", "events.order.S-001", true},
      {"events.order.S-00?", "events.order.S-0010", false},
      {"???", "abc", true},
      {"???", "ab", false},
      {"*?", "", false},
      {"*?", "a", true},
      {"?*", "ab", true},
      {"NIFTY 50.NSE", "NIFTY 50.NSE", true},
      {"data.quotes.NIFTY*CE.NFO", "data.quotes.NIFTY2610624000CE.NFO", true},
      {"data.quotes.NIFTY*CE.NFO", "data.quotes.NIFTY2610624000PE.NFO", false},
  };
  for (const MatchCase& c : kCases) {
    EXPECT_EQ(TopicMatches(c.pattern, c.topic), c.matches)
        << "pattern='" << c.pattern << "' topic='" << c.topic << "'";
  }
}

// --- Publish / subscribe -----------------------------------------------------------------------

TEST(MessageBusTest, ExactTopicDeliversOnlyToThatTopic) {
  MessageBus bus;
  std::vector<int> got;
  bus.Subscribe<MsgA>("a.b", [&](const MsgA& m) { got.push_back(m.value); });
  bus.Publish("a.b", MsgA{1});
  bus.Publish("a.c", MsgA{2});
  bus.Publish("a.b.c", MsgA{3});
  bus.Publish("a.b", MsgA{4});
  EXPECT_EQ(got, (std::vector<int>{1, 4}));
  EXPECT_EQ(bus.publish_count("a.b"), 2u);
  EXPECT_EQ(bus.publish_count("a.c"), 1u);
  EXPECT_EQ(bus.publish_count("never"), 0u);
}

TEST(MessageBusTest, PatternSubscribedBeforeTopicExists) {
  MessageBus bus;
  std::vector<std::string> got;
  bus.Subscribe<MsgA>("data.quotes.*",
                      [&](const MsgA& m) { got.push_back(std::to_string(m.value)); });
  bus.Subscribe<MsgA>("data.?rades.X",
                      [&](const MsgA& m) { got.push_back("t" + std::to_string(m.value)); });
  EXPECT_EQ(bus.topic_count(), 0u);
  bus.Publish("data.quotes.X", MsgA{1});
  bus.Publish("data.trades.X", MsgA{2});
  bus.Publish("data.bars.X", MsgA{3});
  MessageBus::TopicHandle h = bus.Topic("data.quotes.Y");
  EXPECT_EQ(h.subscriber_count(), 1u);
  bus.Publish(h, MsgA{4});
  EXPECT_EQ(got, (std::vector<std::string>{"1", "t2", "4"}));
}

TEST(MessageBusTest, PatternSubscribedAfterTopicExists) {
  MessageBus bus;
  MessageBus::TopicHandle quotes = bus.Topic("data.quotes.X");
  MessageBus::TopicHandle trades = bus.Topic("data.trades.X");
  EXPECT_EQ(quotes.subscriber_count(), 0u);
  std::vector<int> got;
  bus.Subscribe<MsgA>("data.quotes.*", [&](const MsgA& m) { got.push_back(m.value); });
  EXPECT_EQ(quotes.subscriber_count(), 1u);
  EXPECT_EQ(trades.subscriber_count(), 0u);
  bus.Publish(quotes, MsgA{1});
  bus.Publish(trades, MsgA{2});
  EXPECT_EQ(got, (std::vector<int>{1}));
  EXPECT_EQ(quotes.name(), "data.quotes.X");
  EXPECT_TRUE(quotes.valid());
}

TEST(MessageBusTest, TopicHandleIsStableAcrossManyTopicCreations) {
  MessageBus bus;
  MessageBus::TopicHandle first = bus.Topic("t.0");
  int got = 0;
  bus.Subscribe<MsgA>("t.0", [&](const MsgA&) { ++got; });
  for (int i = 1; i < 2000; ++i) (void)bus.Topic("t." + std::to_string(i));
  bus.Publish(first, MsgA{});
  EXPECT_EQ(got, 1);
  EXPECT_EQ(first.name(), "t.0");
  EXPECT_EQ(bus.topic_count(), 2000u);
  // Resolving the same name again yields the same topic.
  bus.Publish(bus.Topic("t.0"), MsgA{});
  EXPECT_EQ(got, 2);
  EXPECT_EQ(bus.topic_count(), 2000u);
}

TEST(MessageBusTest, DefaultHandleIsInvalidAndPublishIsNoop) {
  MessageBus bus;
  MessageBus::TopicHandle h;
  EXPECT_FALSE(h.valid());
  EXPECT_EQ(h.subscriber_count(), 0u);
  bus.Publish(h, MsgA{1});  // must not crash
}

TEST(MessageBusTest, HandlersRunByPriorityThenSubscriptionOrder) {
  MessageBus bus;
  std::vector<std::string> order;
  auto add = [&](const std::string& pattern, int priority, const std::string& tag) {
    bus.Subscribe<MsgA>(
        pattern, [&order, tag](const MsgA&) { order.push_back(tag); }, priority);
  };
  add("x.y", 0, "p0-first");
  add("x.*", 10, "p10-first-pattern");
  add("x.y", 0, "p0-second");
  add("*", 5, "p5-wildcard");
  add("x.y", 10, "p10-second");
  add("x.?", -1, "pneg");
  add("x.y", 0, "p0-third");
  bus.Publish("x.y", MsgA{});
  const std::vector<std::string> expected = {
      "p10-first-pattern", "p10-second", "p5-wildcard", "p0-first",
      "p0-second",         "p0-third",   "pneg"};
  EXPECT_EQ(order, expected);
  // Deterministic: the same on every publish, and on a topic created after subscribing.
  order.clear();
  bus.Publish("x.y", MsgA{});
  EXPECT_EQ(order, expected);
}

TEST(MessageBusTest, OrderIsTheSameWhenTopicIsCreatedAfterTheSubscriptions) {
  MessageBus bus;
  std::vector<int> order;
  bus.Subscribe<MsgA>(
      "late.*", [&](const MsgA&) { order.push_back(1); }, 0);
  bus.Subscribe<MsgA>(
      "late.t", [&](const MsgA&) { order.push_back(2); }, 3);
  bus.Subscribe<MsgA>(
      "*", [&](const MsgA&) { order.push_back(3); }, 0);
  bus.Subscribe<MsgA>(
      "late.?", [&](const MsgA&) { order.push_back(4); }, 3);
  bus.Publish("late.t", MsgA{});
  EXPECT_EQ(order, (std::vector<int>{2, 4, 1, 3}));
}

TEST(MessageBusTest, HandlerSeesOnlyItsOwnMessageType) {
  MessageBus bus;
  std::vector<std::string> got;
  bus.Subscribe<MsgA>("t", [&](const MsgA& m) { got.push_back("A" + std::to_string(m.value)); });
  bus.Subscribe<MsgB>("t", [&](const MsgB& m) { got.push_back("B" + std::to_string(m.value)); });
  bus.Subscribe<int>("*", [&](const int& v) { got.push_back("i" + std::to_string(v)); });
  bus.Publish("t", MsgA{1});
  bus.Publish("t", MsgB{2});
  bus.Publish("t", 3);
  bus.Publish("t", 4L);  // long is a different type from int: nobody receives it
  EXPECT_EQ(got, (std::vector<std::string>{"A1", "B2", "i3"}));
}

TEST(MessageBusTest, UnsubscribeStopsDelivery) {
  MessageBus bus;
  std::vector<int> got;
  const SubscriptionId a = bus.Subscribe<MsgA>("t", [&](const MsgA& m) { got.push_back(m.value); });
  const SubscriptionId b =
      bus.Subscribe<MsgA>("*", [&](const MsgA& m) { got.push_back(100 + m.value); });
  EXPECT_NE(a, b);
  EXPECT_EQ(bus.subscription_count(), 2u);
  bus.Publish("t", MsgA{1});
  bus.Unsubscribe(a);
  EXPECT_EQ(bus.subscription_count(), 1u);
  EXPECT_EQ(bus.Topic("t").subscriber_count(), 1u);
  bus.Publish("t", MsgA{2});
  bus.Unsubscribe(b);
  bus.Publish("t", MsgA{3});
  bus.Publish("other", MsgA{4});  // a topic created after b was removed
  bus.Unsubscribe(b);             // twice: no-op
  bus.Unsubscribe(12345);         // unknown: no-op
  EXPECT_EQ(got, (std::vector<int>{1, 101, 102}));
  EXPECT_EQ(bus.subscription_count(), 0u);
}

// Exact patterns are resolved by name and wildcards by matching: with thousands of
// instrument topics each topic must still get exactly its own subscribers, whichever of topic
// or subscription comes first, and removed exact subscriptions must not reach topics created
// afterwards.
TEST(MessageBusTest, ManyExactSubscriptionsEachReachOnlyTheirTopic) {
  MessageBus bus;
  constexpr int kN = 3000;
  std::vector<int> got(kN, 0);
  int wildcard = 0;
  bus.Subscribe<MsgA>("q.*", [&](const MsgA&) { ++wildcard; });
  std::vector<SubscriptionId> ids;
  for (int i = 0; i < kN; ++i) {
    if (i % 2 == 0) (void)bus.Topic("q." + std::to_string(i));  // half exist before
    ids.push_back(
        bus.Subscribe<MsgA>("q." + std::to_string(i), [&got, i](const MsgA&) { ++got[i]; }));
  }
  for (int i = 0; i < kN; ++i) bus.Publish("q." + std::to_string(i), MsgA{});
  for (int i = 0; i < kN; ++i) ASSERT_EQ(got[i], 1) << i;
  EXPECT_EQ(wildcard, kN);
  EXPECT_EQ(bus.Topic("q.7").subscriber_count(), 2u);
  // Two subscriptions on one not-yet-created topic; removing one leaves the other.
  int first = 0;
  int second = 0;
  const SubscriptionId a = bus.Subscribe<MsgA>("later", [&](const MsgA&) { ++first; });
  bus.Subscribe<MsgA>("later", [&](const MsgA&) { ++second; });
  bus.Unsubscribe(a);
  bus.Publish("later", MsgA{});
  EXPECT_EQ(first, 0);
  EXPECT_EQ(second, 1);
  // Every exact subscription removed: existing topics keep only the wildcard, and a topic
  // created later under a removed exact pattern's name has only the wildcard too.
  for (int i = 0; i < kN; ++i) {
    if (i != 5) bus.Unsubscribe(ids[static_cast<std::size_t>(i)]);
  }
  EXPECT_EQ(bus.Topic("q.6").subscriber_count(), 1u);
  EXPECT_EQ(bus.Topic("q.5").subscriber_count(), 2u);
  bus.Unsubscribe(ids[5]);
  EXPECT_EQ(bus.Topic("q.5").subscriber_count(), 1u);
  EXPECT_EQ(bus.Topic("q.999999").subscriber_count(), 1u);
  EXPECT_EQ(bus.subscription_count(), 2u);  // the wildcard and the second "later"
}

TEST(MessageBusTest, TopicsAreListedSorted) {
  MessageBus bus;
  (void)bus.Topic("c");
  (void)bus.Topic("a");
  bus.Publish("b", MsgA{});
  EXPECT_EQ(bus.Topics(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(bus.topic_count(), 3u);
}

// --- Re-entrancy -------------------------------------------------------------------------------

TEST(MessageBusReentrancyTest, HandlerPublishesToAnotherTopicNested) {
  MessageBus bus;
  std::vector<std::string> log;
  bus.Subscribe<MsgA>("outer", [&](const MsgA& m) {
    log.push_back("outer1");
    bus.Publish("inner", MsgB{m.value});
    log.push_back("outer1-done");
  });
  bus.Subscribe<MsgA>("outer", [&](const MsgA&) { log.push_back("outer2"); });
  bus.Subscribe<MsgB>("inner", [&](const MsgB&) { log.push_back("inner"); });
  bus.Publish("outer", MsgA{1});
  EXPECT_EQ(log, (std::vector<std::string>{"outer1", "inner", "outer1-done", "outer2"}));
}

TEST(MessageBusReentrancyTest, HandlerRepublishesToSameTopic) {
  MessageBus bus;
  std::vector<int> log;
  bus.Subscribe<MsgA>("t", [&](const MsgA& m) {
    log.push_back(m.value);
    if (m.value < 3) bus.Publish("t", MsgA{m.value + 1});
  });
  bus.Subscribe<MsgA>("t", [&](const MsgA& m) { log.push_back(-m.value); });
  bus.Publish("t", MsgA{1});
  EXPECT_EQ(log, (std::vector<int>{1, 2, 3, -3, -2, -1}));
  EXPECT_EQ(bus.publish_count("t"), 3u);
}

TEST(MessageBusReentrancyTest, HandlerUnsubscribesItself) {
  MessageBus bus;
  std::vector<std::string> log;
  SubscriptionId self = 0;
  self = bus.Subscribe<MsgA>("t", [&](const MsgA&) {
    log.push_back("once");
    bus.Unsubscribe(self);
  });
  bus.Subscribe<MsgA>("t", [&](const MsgA&) { log.push_back("always"); });
  bus.Publish("t", MsgA{});
  bus.Publish("t", MsgA{});
  EXPECT_EQ(log, (std::vector<std::string>{"once", "always", "always"}));
  EXPECT_EQ(bus.subscription_count(), 1u);
  EXPECT_EQ(bus.Topic("t").subscriber_count(), 1u);
}

TEST(MessageBusReentrancyTest, UnsubscribingALaterHandlerTakesEffectAtOnce) {
  MessageBus bus;
  std::vector<std::string> log;
  SubscriptionId victim = 0;
  bus.Subscribe<MsgA>("t", [&](const MsgA&) {
    log.push_back("killer");
    bus.Unsubscribe(victim);
  });
  victim = bus.Subscribe<MsgA>("t", [&](const MsgA&) { log.push_back("victim"); });
  bus.Subscribe<MsgA>("t", [&](const MsgA&) { log.push_back("third"); });
  bus.Publish("t", MsgA{});
  bus.Publish("t", MsgA{});
  EXPECT_EQ(log, (std::vector<std::string>{"killer", "third", "killer", "third"}));
}

TEST(MessageBusReentrancyTest, UnsubscribeInsideNestedPublishIsSafe) {
  MessageBus bus;
  std::vector<std::string> log;
  SubscriptionId victim = 0;
  bus.Subscribe<MsgA>("outer", [&](const MsgA&) {
    bus.Publish("inner", MsgB{});
    log.push_back("outer-after-inner");
  });
  bus.Subscribe<MsgB>("inner", [&](const MsgB&) { bus.Unsubscribe(victim); });
  victim = bus.Subscribe<MsgA>("outer", [&](const MsgA&) { log.push_back("victim"); });
  bus.Publish("outer", MsgA{});
  EXPECT_EQ(log, (std::vector<std::string>{"outer-after-inner"}));
  EXPECT_EQ(bus.subscription_count(), 2u);
}

TEST(MessageBusReentrancyTest, SubscriptionMadeDuringPublishSeesOnlyLaterMessages) {
  MessageBus bus;
  std::vector<std::string> log;
  bool subscribed = false;
  bus.Subscribe<MsgA>("t", [&](const MsgA& m) {
    log.push_back("first" + std::to_string(m.value));
    if (!subscribed) {
      subscribed = true;
      // Higher priority than everything: would run next if attached immediately.
      bus.Subscribe<MsgA>(
          "t", [&](const MsgA& n) { log.push_back("new" + std::to_string(n.value)); }, 100);
    }
  });
  bus.Subscribe<MsgA>("t",
                      [&](const MsgA& m) { log.push_back("second" + std::to_string(m.value)); });
  bus.Publish("t", MsgA{1});
  bus.Publish("t", MsgA{2});
  EXPECT_EQ(log, (std::vector<std::string>{"first1", "second1", "new2", "first2", "second2"}));
}

TEST(MessageBusReentrancyTest, PatternSubscribedDuringPublishThenNewTopicIsAttachedOnce) {
  MessageBus bus;
  int late_hits = 0;
  bool done = false;
  bus.Subscribe<MsgA>("trigger", [&](const MsgA&) {
    if (done) return;
    done = true;
    bus.Subscribe<MsgB>("late.*", [&](const MsgB&) { ++late_hits; });
    // The topic is created while the new subscription is still pending.
    bus.Publish("late.x", MsgB{});
  });
  bus.Publish("trigger", MsgA{});
  EXPECT_EQ(late_hits, 0);  // pending until the outer publish completes
  EXPECT_EQ(bus.Topic("late.x").subscriber_count(), 1u);
  bus.Publish("late.x", MsgB{});
  EXPECT_EQ(late_hits, 1);
}

TEST(MessageBusReentrancyTest, SubscribeAndUnsubscribeInTheSamePublish) {
  MessageBus bus;
  int transient_hits = 0;
  int permanent_hits = 0;
  bool done = false;
  bus.Subscribe<MsgA>("t", [&](const MsgA&) {
    if (done) return;
    done = true;
    const SubscriptionId transient =
        bus.Subscribe<MsgA>("t", [&](const MsgA&) { ++transient_hits; });
    bus.Subscribe<MsgA>("t", [&](const MsgA&) { ++permanent_hits; });
    bus.Unsubscribe(transient);
  });
  bus.Publish("t", MsgA{});
  bus.Publish("t", MsgA{});
  bus.Publish("t", MsgA{});
  EXPECT_EQ(transient_hits, 0);
  EXPECT_EQ(permanent_hits, 2);
  EXPECT_EQ(bus.subscription_count(), 2u);
  EXPECT_EQ(bus.Topic("t").subscriber_count(), 2u);
}

// --- Endpoints and request/response ------------------------------------------------------------

TEST(MessageBusEndpointTest, SendDeliversToTheRegisteredHandler) {
  MessageBus bus;
  std::vector<int> got;
  ASSERT_TRUE(
      bus.RegisterEndpoint<MsgA>("Engine.execute", [&](const MsgA& m) { got.push_back(m.value); }));
  EXPECT_TRUE(bus.HasEndpoint("Engine.execute"));
  EXPECT_FALSE(bus.HasEndpoint("Engine.process"));
  ASSERT_TRUE(bus.Send("Engine.execute", MsgA{7}));
  EXPECT_EQ(got, (std::vector<int>{7}));
}

TEST(MessageBusEndpointTest, ErrorsNameTheEndpoint) {
  MessageBus bus;
  int hits = 0;
  const Status missing = bus.Send("Nowhere", MsgA{1});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("Nowhere"), std::string::npos) << missing.error();

  ASSERT_TRUE(bus.RegisterEndpoint<MsgA>("E", [&](const MsgA&) { ++hits; }));
  const Status wrong_type = bus.Send("E", MsgB{1});
  ASSERT_FALSE(wrong_type);
  EXPECT_NE(wrong_type.error().find("'E'"), std::string::npos) << wrong_type.error();
  EXPECT_EQ(hits, 0);

  const Status dup = bus.RegisterEndpoint<MsgA>("E", [&](const MsgA&) { hits += 100; });
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().find("already registered"), std::string::npos) << dup.error();
  ASSERT_TRUE(bus.Send("E", MsgA{}));
  EXPECT_EQ(hits, 1);  // the original handler is kept

  bus.DeregisterEndpoint("E");
  EXPECT_FALSE(bus.HasEndpoint("E"));
  EXPECT_FALSE(bus.Send("E", MsgA{}));
  EXPECT_TRUE(bus.RegisterEndpoint<MsgA>("E", [&](const MsgA&) {}));
}

TEST(MessageBusEndpointTest, EndpointsAreNotTopics) {
  MessageBus bus;
  int topic_hits = 0;
  int endpoint_hits = 0;
  bus.Subscribe<MsgA>("*", [&](const MsgA&) { ++topic_hits; });
  ASSERT_TRUE(bus.RegisterEndpoint<MsgA>("E", [&](const MsgA&) { ++endpoint_hits; }));
  ASSERT_TRUE(bus.Send("E", MsgA{}));
  EXPECT_EQ(topic_hits, 0);
  EXPECT_EQ(endpoint_hits, 1);
}

TEST(MessageBusEndpointTest, AMemoReachesTheEndpointRegisteredNowOnTheBusItIsUsedWith) {
  MessageBus bus;
  std::vector<std::string> got;
  ASSERT_TRUE(bus.RegisterEndpoint<MsgA>(
      "E", [&](const MsgA& m) { got.push_back("first " + std::to_string(m.value)); }));
  MessageBus::EndpointMemo memo;
  ASSERT_TRUE(bus.SendNow("E", MsgA{1}, memo));
  ASSERT_TRUE(bus.Send("E", MsgA{2}, memo));  // no loop attached: at once
  // Another type through the same memo is refused, and the memo still serves MsgA after.
  const Status wrong = bus.SendNow("E", MsgB{3}, memo);
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().find("'E'"), std::string::npos) << wrong.error();
  ASSERT_TRUE(bus.SendNow("E", MsgA{4}, memo));
  // Deregistered: refused, by name; registered again: the new handler, not the freed one.
  bus.DeregisterEndpoint("E");
  const Status gone = bus.SendNow("E", MsgA{5}, memo);
  ASSERT_FALSE(gone);
  EXPECT_NE(gone.error().find("no endpoint 'E'"), std::string::npos) << gone.error();
  ASSERT_TRUE(bus.RegisterEndpoint<MsgA>(
      "E", [&](const MsgA& m) { got.push_back("second " + std::to_string(m.value)); }));
  ASSERT_TRUE(bus.SendNow("E", MsgA{6}, memo));
  ASSERT_TRUE(bus.Send("E", MsgA{7}, memo));
  // The same memo on another bus (say, a kernel made anew) sends to that bus's endpoint.
  {
    MessageBus other;
    ASSERT_TRUE(other.RegisterEndpoint<MsgA>(
        "E", [&](const MsgA& m) { got.push_back("other " + std::to_string(m.value)); }));
    ASSERT_TRUE(other.SendNow("E", MsgA{8}, memo));
  }
  ASSERT_TRUE(bus.SendNow("E", MsgA{9}, memo));
  EXPECT_EQ(got, (std::vector<std::string>{"first 1", "first 2", "first 4", "second 6",
                                           "second 7", "other 8", "second 9"}));
}

TEST(MessageBusEndpointTest, AMemoFollowsTheNameItIsGivenAndTheBusItIsUsedOn) {
  std::vector<std::string> got;
  MessageBus::EndpointMemo memo;
  // One memo for two names of the same type: each send reaches its own name's endpoint.
  MessageBus bus;
  ASSERT_TRUE(bus.RegisterEndpoint<MsgA>(
      "A.execute", [&](const MsgA& m) { got.push_back("A " + std::to_string(m.value)); }));
  ASSERT_TRUE(bus.RegisterEndpoint<MsgA>(
      "B.execute", [&](const MsgA& m) { got.push_back("B " + std::to_string(m.value)); }));
  ASSERT_TRUE(bus.SendNow("A.execute", MsgA{1}, memo));
  ASSERT_TRUE(bus.SendNow("B.execute", MsgA{2}, memo));
  ASSERT_TRUE(bus.SendNow("A.execute", MsgA{3}, memo));
  const Status none = bus.SendNow("C.execute", MsgA{4}, memo);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().find("no endpoint 'C.execute'"), std::string::npos) << none.error();
  // Buses made one after another in the same place, none with a deregistration: the memo made
  // on the first is not taken for the second's endpoint.
  std::optional<MessageBus> made;
  for (int i = 0; i < 3; ++i) {
    made.emplace();
    // Another endpoint first, so A's does not simply land where the last bus's A was.
    ASSERT_TRUE(made->RegisterEndpoint<MsgA>(
        "Z.execute", [&got](const MsgA& m) { got.push_back("Z " + std::to_string(m.value)); }));
    ASSERT_TRUE(made->RegisterEndpoint<MsgA>(
        "A.execute",
        [&got, i](const MsgA& m) {
          got.push_back("bus" + std::to_string(i) + " " + std::to_string(m.value));
        }));
    ASSERT_TRUE(made->SendNow("A.execute", MsgA{10 + i}, memo));
    ASSERT_TRUE(made->Send("A.execute", MsgA{20 + i}, memo));
    made.reset();
  }
  EXPECT_EQ(got, (std::vector<std::string>{"A 1", "B 2", "A 3", "bus0 10", "bus0 20", "bus1 11",
                                           "bus1 21", "bus2 12", "bus2 22"}));
  // A name changed in place (same address, same length) is another name.
  got.clear();
  std::string name = "A.execute";
  ASSERT_TRUE(bus.SendNow(name, MsgA{1}, memo));
  name[0] = 'B';
  ASSERT_TRUE(bus.SendNow(name, MsgA{2}, memo));
  name[0] = 'C';
  EXPECT_FALSE(bus.SendNow(name, MsgA{3}, memo));
  EXPECT_EQ(got, (std::vector<std::string>{"A 1", "B 2"}));
}

struct PriceRequest {
  std::string symbol;
};
struct PriceResponse {
  std::string symbol;
  int price = 0;
};

TEST(MessageBusRequestTest, TypedRequestResponse) {
  MessageBus bus;
  ASSERT_TRUE(
      (bus.RegisterRequestHandler<PriceRequest, PriceResponse>("prices", [](const PriceRequest& r) {
        return PriceResponse{r.symbol, static_cast<int>(r.symbol.size()) * 10};
      })));
  Result<PriceResponse> r = bus.Request<PriceRequest, PriceResponse>("prices", {"NIFTY"});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->symbol, "NIFTY");
  EXPECT_EQ(r->price, 50);
}

TEST(MessageBusRequestTest, MissingHandlerAndWrongTypesAreErrors) {
  MessageBus bus;
  Result<int> missing = bus.Request<MsgA, int>("nobody", MsgA{});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("nobody"), std::string::npos) << missing.error();

  int calls = 0;
  ASSERT_TRUE((bus.RegisterRequestHandler<MsgA, int>("double", [&](const MsgA& m) {
    ++calls;
    return m.value * 2;
  })));
  EXPECT_FALSE((bus.Request<MsgB, int>("double", MsgB{2})));   // wrong request type
  EXPECT_FALSE((bus.Request<MsgA, long>("double", MsgA{2})));  // wrong response type
  EXPECT_EQ(calls, 0);
  const Status dup = bus.RegisterRequestHandler<MsgA, int>("double", [](const MsgA&) { return 0; });
  EXPECT_FALSE(dup);
  Result<int> ok = bus.Request<MsgA, int>("double", MsgA{21});
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 42);
  bus.DeregisterEndpoint("double");
  EXPECT_FALSE((bus.Request<MsgA, int>("double", MsgA{21})));
}

// --- Hot path ----------------------------------------------------------------------------------

TEST(MessageBusAllocationTest, CounterSeesAllocations) {
  // Guards the test below: the counting allocator must actually be in use.
  static std::vector<int>* volatile escaped = nullptr;  // keeps the optimiser from eliding it
  AllocationCounter counter;
  escaped = new std::vector<int>(100);
  const std::size_t n = counter.Stop();
  delete escaped;
  EXPECT_GE(n, 2u);
}

TEST(MessageBusAllocationTest, PublishThroughHandleDoesNotAllocate) {
  MessageBus bus;
  const QuoteTick quote{MustInstrumentId("NIFTY24JANFUT.NFO"),
                        testkit::Px("21500.05"),
                        testkit::Px("21500.10"),
                        testkit::Qty(50),
                        testkit::Qty(75),
                        UnixNanos(1),
                        UnixNanos(1)};
  MessageBus::TopicHandle one = bus.Topic("data.quotes.ONE");
  MessageBus::TopicHandle ten = bus.Topic("data.quotes.TEN");
  MessageBus::TopicHandle nested = bus.Topic("data.quotes.NESTED");
  std::int64_t sum = 0;
  int calls = 0;
  bus.Subscribe<QuoteTick>("data.quotes.ONE", [&](const QuoteTick& q) {
    sum += q.bid_price.raw();
    ++calls;
  });
  for (int i = 0; i < 7; ++i) {
    bus.Subscribe<QuoteTick>(
        "data.quotes.TEN",
        [&](const QuoteTick& q) {
          sum += q.ask_price.raw();
          ++calls;
        },
        i % 3);
  }
  bus.Subscribe<QuoteTick>("data.quotes.T*", [&](const QuoteTick&) { ++calls; });
  bus.Subscribe<QuoteTick>(
      "*.TEN", [&](const QuoteTick&) { ++calls; }, 5);
  bus.Subscribe<QuoteTick>(
      "data.quotes.???", [&](const QuoteTick&) { ++calls; }, -2);
  bus.Subscribe<MsgA>("data.quotes.TEN", [&](const MsgA&) { ++calls; });  // filtered by type
  bus.Subscribe<QuoteTick>("data.quotes.NESTED", [&](const QuoteTick& q) { bus.Publish(one, q); });
  ASSERT_EQ(one.subscriber_count(), 2u);  // exact + "data.quotes.???"
  ASSERT_EQ(ten.subscriber_count(), 11u);

  // Warm-up outside the counted scope (nothing lazily allocated on first use may hide).
  bus.Publish(one, quote);
  bus.Publish(ten, quote);
  calls = 0;

  AllocationCounter counter;
  for (int i = 0; i < 100; ++i) bus.Publish(one, quote);
  const std::size_t after_one = counter.Stop();
  ASSERT_EQ(calls, 200);

  AllocationCounter counter10;
  for (int i = 0; i < 100; ++i) bus.Publish(ten, quote);
  const std::size_t after_ten = counter10.Stop();
  ASSERT_EQ(calls, 200 + 100 * 10);

  AllocationCounter counter_nested;
  for (int i = 0; i < 100; ++i) bus.Publish(nested, quote);
  const std::size_t after_nested = counter_nested.Stop();
  ASSERT_EQ(calls, 1200 + 100 * 2);

  EXPECT_EQ(after_one, 0u);
  EXPECT_EQ(after_ten, 0u);
  EXPECT_EQ(after_nested, 0u);
  EXPECT_NE(sum, 0);
}

}  // namespace
}  // namespace nacre
