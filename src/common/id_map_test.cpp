#include "common/id_map.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
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
  std::set<const int*> evens;  // where the even values live
  for (int i = 0; i < 100; ++i) {
    const int* v = m.try_emplace(Id(i), i).first;
    if (i % 2 == 0) evens.insert(v);
  }
  const int* kept = m.find(Id(1));
  EXPECT_EQ(m.erase_if([](const InstrumentId&, const int& v) { return v % 2 == 0; }), 50u);
  EXPECT_EQ(m.size(), 50u);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(m.find(Id(i)) != nullptr, i % 2 == 1) << i;
  EXPECT_EQ(m.find(Id(1)), kept);  // what stays does not move
  EXPECT_FALSE(m.erase(Id(0)));
  // Keys added after the erase take the erased keys' nodes: no new storage while any is free.
  for (int i = 200; i < 250; ++i) {
    ASSERT_EQ(evens.count(m.try_emplace(Id(i), -i).first), 1u) << i;
  }
  EXPECT_EQ(m.size(), 100u);
  EXPECT_EQ(m.erase_if([](const InstrumentId&, const int&) { return false; }), 0u);
  int seen = 0;
  std::as_const(m).for_each([&](const InstrumentId&, const int&) { ++seen; });
  EXPECT_EQ(seen, 100);
}

TEST(IdMap, AMoveKeepsTheValuesWhereTheyAreAndEmptiesTheSource) {
  IdMap<InstrumentId, std::string> m;
  std::vector<const std::string*> at;
  for (int i = 0; i < 3'000; ++i) at.push_back(m.try_emplace(Id(i), std::to_string(i)).first);
  IdMap<InstrumentId, std::string> moved(std::move(m));
  EXPECT_EQ(moved.size(), 3'000u);
  for (int i = 0; i < 3'000; ++i) ASSERT_EQ(moved.find(Id(i)), at[static_cast<std::size_t>(i)]);
  EXPECT_TRUE(m.empty());  // NOLINT(bugprone-use-after-move): a moved-from map is empty
  EXPECT_EQ(m.find(Id(0)), nullptr);
  IdMap<InstrumentId, std::string> assigned;
  assigned = std::move(moved);
  EXPECT_EQ(assigned.find(Id(2'999)), at.back());
  EXPECT_TRUE(moved.empty());  // NOLINT(bugprone-use-after-move)
}

// A value whose constructor throws for one argument.
struct Picky {
  explicit Picky(int value) : v(value) {
    if (value < 0) throw std::invalid_argument("negative");
  }
  int v;
};

TEST(IdMap, AValueConstructorThatThrowsLeavesTheMapAsItWas) {
  IdMap<InstrumentId, Picky> m;
  const Picky* first = m.try_emplace(Id(0), 0).first;
  EXPECT_THROW(m.try_emplace(Id(1), -1), std::invalid_argument);
  EXPECT_EQ(m.size(), 1u);
  EXPECT_EQ(m.find(Id(1)), nullptr);
  // The node the failed add would have used is the next add's: the first chunk's nodes are
  // adjacent, so the values of the next adds follow the first at one stride (a node skipped
  // would make the first gap two strides).
  const Picky* second = m.try_emplace(Id(1), 1).first;
  const Picky* third = m.try_emplace(Id(3), 3).first;
  const auto at = [](const Picky* p) { return reinterpret_cast<std::uintptr_t>(p); };
  EXPECT_EQ(at(second) - at(first), at(third) - at(second));
  ASSERT_TRUE(m.erase(Id(3)));
  ASSERT_TRUE(m.erase(Id(1)));
  EXPECT_THROW(m.try_emplace(Id(2), -2), std::invalid_argument);
  EXPECT_EQ(m.try_emplace(Id(2), 2).first, second);  // the last freed node, still free
  EXPECT_EQ(m.size(), 2u);
}

}  // namespace
}  // namespace nacre
