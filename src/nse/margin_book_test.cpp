// MarginBook with and without a MarginScenarioCache: across a sequence of orders, fills and
// underlying moves at several clock times, every blocked figure and every check is the same
// with the cache as without it, and the cache prices only what a book has not seen at that
// time and those marks.
#include "nse/margin_book.h"

#include <gtest/gtest.h>

#include <map>

#include "pricing/black.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::Px;

class MarginCacheTest : public ::testing::Test {
 protected:
  MarginCacheTest() {
    market_.instruments.emplace(index_.id, index_);
    for (const char* k : {"23600", "23800", "24000", "24200", "24400"}) {
      for (OptionKind kind : {OptionKind::kCall, OptionKind::kPut}) {
        const Instrument o = testkit::NiftyOption(kind, k);
        market_.instruments.emplace(o.id, o);
        options_.push_back(o);
      }
    }
  }

  // The underlying at `spot` and every option at a Black-76 value at 14% vol, to the tick;
  // `unpriced` keeps one contract without a mark (valued at the default vol).
  void MoveTo(UnixNanos now, double spot, const Instrument* unpriced = nullptr) {
    now_ = now;
    market_.marks[index_.id] = Price::FromDouble(spot, 2);
    const double t = static_cast<double>(options_.front().expiration - now) /
                     (365.0 * static_cast<double>(kNanosPerDay));
    for (const Instrument& o : options_) {
      if (&o == unpriced) {
        market_.marks.erase(o.id);
        continue;
      }
      const double v = pricing::Black76Price(o.option_kind, spot, o.strike.AsDouble(), t, 0.14, 0);
      market_.marks[o.id] = Price::FromDouble(std::max(0.05, std::round(v * 20) / 20), 2);
    }
  }

  // Two books with the same positions and working orders: one on the shared cache, one alone.
  struct Pair {
    MarginBook cached;
    MarginBook alone;
  };
  Pair Books() {
    Pair p{MarginBook(index_.id, market_, config_, now_, &cache_),
           MarginBook(index_.id, market_, config_, now_)};
    for (MarginBook* b : {&p.cached, &p.alone}) {
      for (const auto& [id, units] : positions_) b->AddPosition(id, units);
      for (const WorkingLeg& w : working_) b->AddWorking(w);
    }
    return p;
  }

  // Checks `leg` on both books and compares every figure; the order then works.
  void CheckBoth(const WorkingLeg& leg) {
    Pair p = Books();
    auto a = p.cached.Check(leg);
    auto b = p.alone.Check(leg);
    ASSERT_TRUE(a.ok()) << a.error();
    ASSERT_TRUE(b.ok()) << b.error();
    EXPECT_EQ(a->before, b->before) << leg.order.value();
    EXPECT_EQ(a->after, b->after) << leg.order.value();
    EXPECT_EQ(a->required, b->required) << leg.order.value();
    auto m1 = p.cached.Margin();
    auto m2 = p.alone.Margin();
    ASSERT_TRUE(m1.ok() && m2.ok());
    EXPECT_EQ(m1->total, m2->total);
    EXPECT_EQ(m1->span, m2->span);
    EXPECT_EQ(m1->exposure, m2->exposure);
    EXPECT_EQ(m1->premium, m2->premium);
    EXPECT_EQ(m1->hedge_benefit, m2->hedge_benefit);
    working_.push_back(leg);
  }
  void ExpectBlockedEqual() {
    Pair p = Books();
    auto a = p.cached.Blocked();
    auto b = p.alone.Blocked();
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(*a, *b);
  }
  // The working order `n` fills: it becomes a position.
  void Fill(std::size_t n) {
    const WorkingLeg w = working_.at(n);
    positions_[w.instrument] += w.units;
    working_.erase(working_.begin() + static_cast<std::ptrdiff_t>(n));
  }
  WorkingLeg Leg(const char* id, std::size_t option, OrderSide side, std::int64_t lots,
                 const char* price) {
    const Instrument& o = options_.at(option);
    return MakeWorkingLeg(ClientOrderId(id), o, side, Quantity::FromInt(lots * 65), Px(price));
  }

  Instrument index_ = testkit::NiftyIndex();
  std::vector<Instrument> options_;  // by strike, call then put
  MapMarginMarket market_;
  MarginBookConfig config_;
  MarginScenarioCache cache_;
  UnixNanos now_;
  std::map<InstrumentId, std::int64_t> positions_;
  std::vector<WorkingLeg> working_;
};

TEST_F(MarginCacheTest, CachedFiguresEqualUncachedAcrossOrdersFillsAndUnderlyingMoves) {
  const UnixNanos day = FromIst(2026, 1, 5, 9, 20);
  // Time 1: a bull put spread's legs and a call, one after another at one clock time.
  MoveTo(day, 24010);
  CheckBoth(Leg("O-1", 3, OrderSide::kBuy, 2, "40.00"));   // 23800 PE hedge
  CheckBoth(Leg("O-2", 5, OrderSide::kSell, 2, "95.00"));  // 24000 PE short
  CheckBoth(Leg("O-3", 6, OrderSide::kSell, 1, "80.00"));  // 24200 CE
  ExpectBlockedEqual();
  // Time 2, the underlying up 120 points: the hedge fills, then the short.
  MoveTo(day + 5 * kNanosPerMinute, 24130);
  Fill(0);
  ExpectBlockedEqual();
  Fill(0);
  CheckBoth(Leg("O-4", 7, OrderSide::kBuy, 1, "30.00"));  // 24200 PE: closes nothing
  ExpectBlockedEqual();
  // Time 3, down 300 points, one contract without a market (the default vol prices it).
  MoveTo(day + 65 * kNanosPerMinute, 23830, &options_[8]);
  CheckBoth(Leg("O-5", 8, OrderSide::kBuy, 3, "120.00"));  // 24400 CE, unpriced
  CheckBoth(Leg("O-6", 5, OrderSide::kBuy, 2, "260.00"));  // closes the short put
  CheckBoth(Leg("O-7", 0, OrderSide::kSell, 1, "450.00"));
  ExpectBlockedEqual();
  // Time 4, expiry day: the expiry-day exposure enters every figure.
  MoveTo(FromIst(2026, 1, 6, 10, 0), 23950);
  Fill(1);
  ExpectBlockedEqual();
  CheckBoth(Leg("O-8", 2, OrderSide::kSell, 4, "160.00"));
  ExpectBlockedEqual();
  EXPECT_GT(cache_.hits(), 0u);
}

TEST_F(MarginCacheTest, AWorkingOrderPricesOnlyItsOwnInstrument) {
  MoveTo(FromIst(2026, 1, 5, 9, 20), 24010);
  positions_[options_[3].id] = 130;
  positions_[options_[5].id] = -130;
  {
    MarginBook book(index_.id, market_, config_, now_, &cache_);
    for (const auto& [id, units] : positions_) book.AddPosition(id, units);
    ASSERT_TRUE(book.Blocked().ok());
  }
  EXPECT_EQ(cache_.misses(), 2u);  // the two positions' instruments
  const std::uint64_t hits = cache_.hits();
  {
    MarginBook book(index_.id, market_, config_, now_, &cache_);
    for (const auto& [id, units] : positions_) book.AddPosition(id, units);
    ASSERT_TRUE(book.Check(Leg("O-1", 6, OrderSide::kSell, 1, "80.00")).ok());
  }
  EXPECT_EQ(cache_.misses(), 3u);  // only the order's instrument is new
  EXPECT_EQ(cache_.hits(), hits + 2);
  // A new mark of one contract prices that contract again, not the others.
  market_.marks[options_[5].id] = market_.marks[options_[5].id] + Px("0.05");
  {
    MarginBook book(index_.id, market_, config_, now_, &cache_);
    for (const auto& [id, units] : positions_) book.AddPosition(id, units);
    ASSERT_TRUE(book.Blocked().ok());
  }
  EXPECT_EQ(cache_.misses(), 4u);
  // A later clock time drops every entry (time to expiry is in every value).
  EXPECT_EQ(cache_.size(), 4u);
  MoveTo(now_ + kNanosPerSecond, 24010);
  {
    MarginBook book(index_.id, market_, config_, now_, &cache_);
    for (const auto& [id, units] : positions_) book.AddPosition(id, units);
    ASSERT_TRUE(book.Blocked().ok());
  }
  EXPECT_EQ(cache_.size(), 2u);
  EXPECT_EQ(cache_.misses(), 6u);
}

}  // namespace
}  // namespace nacre

namespace nacre {
namespace {

// Whole-book results are reused within one clock time only when the input is the same: the
// same book again (as the exchange's block update after its check) hits; a working buy's
// higher limit (more premium), another mark or a later time computes afresh, and every figure
// equals an uncached book's.
TEST_F(MarginCacheTest, BookResultsReusedOnlyForTheSameInputAtOneTime) {
  MoveTo(FromIst(2026, 1, 5, 9, 20), 24010);
  positions_[options_[3].id] = 130;
  positions_[options_[5].id] = -130;
  working_.push_back(Leg("O-1", 6, OrderSide::kSell, 1, "80.00"));
  working_.push_back(Leg("O-2", 3, OrderSide::kSell, 1, "40.00"));  // reduces the long
  ExpectBlockedEqual();
  const std::uint64_t first = cache_.result_hits();
  ExpectBlockedEqual();  // the same book again: positions, all working, their opening parts
  EXPECT_EQ(cache_.result_hits() - first, 3u);
  // A working buy above the mark adds premium: the same units, a new result.
  working_.push_back(Leg("O-3", 7, OrderSide::kBuy, 1, "1.00"));
  const std::uint64_t before_buys = cache_.result_hits();
  ExpectBlockedEqual();  // both sides: the worst-side combinations repeat net positions
  EXPECT_GT(cache_.result_hits(), before_buys);
  Pair low = Books();
  auto b_low = low.cached.Blocked();
  working_.back() = Leg("O-3", 7, OrderSide::kBuy, 1, "900.00");
  Pair high = Books();
  auto b_high = high.cached.Blocked();
  auto b_alone = high.alone.Blocked();
  ASSERT_TRUE(b_low.ok() && b_high.ok() && b_alone.ok());
  EXPECT_EQ(*b_high, *b_alone);
  EXPECT_GT(b_high->working, b_low->working);
  // Another mark of a position's contract, then a later time: figures as uncached.
  market_.marks[options_[5].id] = market_.marks[options_[5].id] + Px("5.00");
  ExpectBlockedEqual();
  MoveTo(now_ + kNanosPerSecond, 24010);
  ExpectBlockedEqual();
}

}  // namespace
}  // namespace nacre
