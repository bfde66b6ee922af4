#include "model/identifiers.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace nacre {
namespace {

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(InternString, EqualTextSharesOneCopy) {
  const std::string built = std::string("intern-") + "test-" + std::to_string(17);
  const InternedString* a = InternString("intern-test-17");
  const InternedString* b = InternString(built);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a->text, "intern-test-17");
  EXPECT_NE(InternString("intern-test-18"), a);
  EXPECT_EQ(InternString("")->text, "");
}

TEST(InternString, APrefetchInternsNothing) {
  const std::uint32_t before = InternString("prefetch-test-a")->index;
  PrefetchIntern("prefetch-test-never-interned");
  const InternedString* after = InternString("prefetch-test-b");
  EXPECT_EQ(after->index, before + 1);  // the prefetched text took no number
  EXPECT_EQ(InternString("prefetch-test-never-interned")->index, before + 2);
}

TEST(InternString, IsThreadSafeAndCanonical) {
  constexpr int kThreads = 4;
  constexpr int kNames = 300;
  std::vector<std::vector<const InternedString*>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &seen] {
      for (int i = 0; i < kNames; ++i) {
        seen[t].push_back(InternString("thread-name-" + std::to_string(i)));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 1; t < kThreads; ++t) EXPECT_EQ(seen[t], seen[0]) << "thread " << t;
  for (int i = 0; i < kNames; ++i) EXPECT_EQ(seen[0][i]->text, "thread-name-" + std::to_string(i));
  // One number per string, whichever thread interned it first.
  std::unordered_set<std::uint32_t> numbers;
  for (const InternedString* s : seen[0]) numbers.insert(s->index);
  EXPECT_EQ(numbers.size(), static_cast<std::size_t>(kNames));
}

TEST(InternString, StaysCanonicalAndStableAsTheTableGrows) {
  // Far more names than the table's first size: every growth keeps earlier pointers valid and
  // later lookups find them.
  constexpr int kNames = 50'000;
  std::vector<const InternedString*> first;
  first.reserve(kNames);
  for (int i = 0; i < kNames; ++i) first.push_back(InternString("grow-" + std::to_string(i)));
  for (int i = 0; i < kNames; ++i) {
    ASSERT_EQ(InternString("grow-" + std::to_string(i)), first[i]) << i;
    ASSERT_EQ(first[i]->text, "grow-" + std::to_string(i));
    if (i > 0) {
      ASSERT_EQ(first[i]->index, first[i - 1]->index + 1) << i;  // numbered in order
    }
  }
  EXPECT_NE(InternString("grow-x"), first[0]);
}

TEST(Identifier, EqualIdsShareStorage) {
  const TraderId a("TRADER-001");
  const TraderId b(std::string("TRADER-") + "001");
  EXPECT_EQ(a, b);
  EXPECT_EQ(&a.value(), &b.value());
  EXPECT_EQ(a.c_str(), b.c_str());
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_EQ(a.value(), "TRADER-001");
  EXPECT_STREQ(a.c_str(), "TRADER-001");
  const TraderId c("TRADER-002");
  EXPECT_NE(a, c);
  // Copies share the pointer too.
  const TraderId copy = a;
  EXPECT_EQ(&copy.value(), &a.value());
}

TEST(Identifier, DefaultIsEmpty) {
  const StrategyId none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none, StrategyId(""));
  EXPECT_EQ(none.value(), "");
  EXPECT_FALSE(StrategyId("S-001").empty());
}

TEST(Identifier, OrderingIsByTextNotCreationOrder) {
  // Created in reverse text order, so interning order (and likely address order) disagrees
  // with text order.
  const StrategyId z("order-test-zulu");
  const StrategyId m("order-test-mike");
  const StrategyId a("order-test-alpha");
  EXPECT_LT(a, m);
  EXPECT_LT(m, z);
  EXPECT_GT(z, a);
  EXPECT_EQ(a <=> StrategyId("order-test-alpha"), std::strong_ordering::equal);
  std::vector<StrategyId> ids = {z, a, m, StrategyId("order-test-bravo")};
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> texts;
  for (const auto& id : ids) texts.push_back(id.value());
  EXPECT_EQ(texts, (std::vector<std::string>{"order-test-alpha", "order-test-bravo",
                                             "order-test-mike", "order-test-zulu"}));
}

TEST(Identifier, WorksAsHashKey) {
  std::unordered_set<ClientOrderId, IdHash> set;
  set.insert(ClientOrderId("O-1"));
  set.insert(ClientOrderId(std::string("O-") + "1"));
  set.insert(ClientOrderId("O-2"));
  EXPECT_EQ(set.size(), 2u);
  EXPECT_EQ(set.count(ClientOrderId("O-2")), 1u);
  EXPECT_EQ(set.count(ClientOrderId("O-3")), 0u);
}

TEST(InstrumentId, ParseIndexWithSpace) {
  auto id = InstrumentId::Parse("NIFTY 50.NSE");
  ASSERT_TRUE(id.ok()) << id.error();
  EXPECT_EQ(id->value(), "NIFTY 50.NSE");
  EXPECT_EQ(id->symbol(), Symbol("NIFTY 50"));
  EXPECT_EQ(id->symbol().value(), "NIFTY 50");
  EXPECT_EQ(id->venue(), Venue("NSE"));
  EXPECT_FALSE(id->empty());
}

TEST(InstrumentId, ParseOption) {
  auto id = InstrumentId::Parse("NIFTY2610624000CE.NFO");
  ASSERT_TRUE(id.ok()) << id.error();
  EXPECT_EQ(id->symbol().value(), "NIFTY2610624000CE");
  EXPECT_EQ(id->venue().value(), "NFO");
}

TEST(InstrumentId, VenueIsAfterTheLastDot) {
  auto id = InstrumentId::Parse("BAJAJ-AUTO.EQ.NSE");
  ASSERT_TRUE(id.ok()) << id.error();
  EXPECT_EQ(id->symbol().value(), "BAJAJ-AUTO.EQ");
  EXPECT_EQ(id->venue().value(), "NSE");
}

TEST(InstrumentId, ConstructedEqualsParsed) {
  const InstrumentId built(Symbol("NIFTY 50"), Venue("NSE"));
  EXPECT_EQ(built, *InstrumentId::Parse("NIFTY 50.NSE"));
  EXPECT_EQ(built.value(), "NIFTY 50.NSE");
  EXPECT_EQ(built.hash(), InstrumentId::Parse("NIFTY 50.NSE")->hash());
  EXPECT_EQ(built, MustInstrumentId("NIFTY 50.NSE"));
  EXPECT_NE(built, MustInstrumentId("NIFTY 50.NFO"));
}

TEST(InstrumentId, ParseErrors) {
  struct Case {
    const char* text;
    const char* reason;
  };
  const Case cases[] = {
      {"NIFTY", "expected SYMBOL.VENUE"}, {"", "expected SYMBOL.VENUE"}, {".NSE", "empty symbol"},
      {"NIFTY.", "empty venue"},          {".", "empty symbol"},
  };
  for (const Case& c : cases) {
    auto r = InstrumentId::Parse(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_TRUE(Contains(r.error(), std::string("invalid instrument id '") + c.text + "'"))
        << r.error();
    EXPECT_TRUE(Contains(r.error(), c.reason)) << r.error();
  }
}

TEST(InstrumentId, OrderingByText) {
  const InstrumentId b = MustInstrumentId("ordering-b.NFO");
  const InstrumentId a = MustInstrumentId("ordering-a.NFO");
  EXPECT_LT(a, b);
  EXPECT_TRUE(InstrumentId().empty());
  EXPECT_LT(InstrumentId(), a);  // empty text sorts first
}

}  // namespace
}  // namespace nacre
