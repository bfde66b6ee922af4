#include "common/id_map.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>

#include "model/identifiers.h"

namespace nacre {
namespace {

InstrumentId Id(int i) { return MustInstrumentId("NIFTY" + std::to_string(i) + "CE.NFO"); }

TEST(IdMap, FindsAddsAndErasesLikeAMapUnderRandomChurn) {
  IdMap<InstrumentId, int> m;
  std::map<int, int> want;  // the reference
  std::mt19937 rng(7);
  for (int step = 0; step < 20'000; ++step) {
    const int k = static_cast<int>(rng() % 600);
    switch (rng() % 3) {
      case 0: {
        auto [v, added] = m.try_emplace(Id(k), step);
        EXPECT_EQ(added, want.count(k) == 0);
        if (added) want[k] = step;
        EXPECT_EQ(*v, want[k]);
        break;
      }
      case 1:
        EXPECT_EQ(m.erase(Id(k)), want.erase(k) == 1);
        break;
      default: {
        const int* v = m.find(Id(k));
        ASSERT_EQ(v != nullptr, want.count(k) == 1) << k;
        if (v != nullptr) {
          EXPECT_EQ(*v, want[k]);
        }
      }
    }
    ASSERT_EQ(m.size(), want.size());
  }
  // Every key still there is found with its value; every other one is not.
  for (int k = 0; k < 600; ++k) {
    const int* v = m.find(Id(k));
    ASSERT_EQ(v != nullptr, want.count(k) == 1) << k;
    if (v != nullptr) {
      EXPECT_EQ(*v, want[k]);
    }
  }
  int seen = 0;
  m.for_each([&](const InstrumentId&, int&) { ++seen; });
  EXPECT_EQ(static_cast<std::size_t>(seen), want.size());
}

TEST(IdMap, ValuesStayPutWhileTheTableGrowsAndAfterOthersAreErased) {
  IdMap<InstrumentId, std::string> m;
  std::string* first = m.try_emplace(Id(0), "zero").first;
  for (int i = 1; i < 5'000; ++i) m.try_emplace(Id(i), std::to_string(i));
  for (int i = 1; i < 5'000; i += 2) ASSERT_TRUE(m.erase(Id(i)));
  EXPECT_EQ(m.find(Id(0)), first);
  EXPECT_EQ(*first, "zero");
  // A freed value is reused, constructed afresh.
  EXPECT_EQ(*m.try_emplace(Id(1), "one again").first, "one again");
  EXPECT_FALSE(m.erase(Id(3)));
  m.clear();
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.find(Id(0)), nullptr);
  EXPECT_FALSE(m.erase(Id(0)));
}

TEST(IdMap, EraseIfRemovesWhatThePredicateAcceptsAndFreesItsNodes) {
  IdMap<InstrumentId, int> m;
  for (int i = 0; i < 100; ++i) m.try_emplace(Id(i), i);
  const int* kept = m.find(Id(1));
  EXPECT_EQ(m.erase_if([](const InstrumentId&, const int& v) { return v % 2 == 0; }), 50u);
  EXPECT_EQ(m.size(), 50u);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(m.find(Id(i)) != nullptr, i % 2 == 1) << i;
  EXPECT_EQ(m.find(Id(1)), kept);  // what stays does not move
  EXPECT_FALSE(m.erase(Id(0)));
  // The erased keys can come back (in the freed nodes) and be erased again.
  EXPECT_EQ(*m.try_emplace(Id(0), -1).first, -1);
  EXPECT_EQ(m.size(), 51u);
  EXPECT_EQ(m.erase_if([](const InstrumentId&, const int&) { return false; }), 0u);
  // Keys added after an erase take the erased keys' nodes: no new storage while any is free.
  std::set<const int*> freed;
  for (int i = 2; i < 100; i += 2) freed.insert(m.try_emplace(Id(i), i).first);
  EXPECT_EQ(freed.size(), 49u);
  EXPECT_EQ(m.erase_if([](const InstrumentId&, const int& v) { return v >= 2 && v % 2 == 0; }),
            49u);
  for (int i = 200; i < 249; ++i) {
    ASSERT_EQ(freed.count(m.try_emplace(Id(i), i).first), 1u) << i;
  }
  int seen = 0;
  std::as_const(m).for_each([&](const InstrumentId&, const int&) { ++seen; });
  EXPECT_EQ(seen, 100);
}

}  // namespace
}  // namespace nacre
