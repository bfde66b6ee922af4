// End-to-end: SMA(10)/SMA(50) crossovers, long/flat, size 1: buy when fast crosses above slow,
// sell when it crosses below; market orders filled at the next bar's open, over a seeded generated 1-minute random walk. The engine's round trips, fills and
// final equity must equal an independent hand calculation done here, and two runs must
// produce identical output.
#include "apps/examples/sma_cross.h"

#include <gtest/gtest.h>

#include "backtest/backtest_engine.h"
#include "persistence/random_walk.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

const BarType kBarType = *BarType::Parse("NIFTY-I.NFO-1-MINUTE-LAST-EXTERNAL");

Instrument Proxy() {
  InstrumentSpec s;
  s.id = kBarType.instrument_id();
  s.tick_size = testkit::Px("0.05");
  s.lot_size = Quantity::FromInt(1);
  return *MakeFuture(s, MustInstrumentId("NIFTY 50.NSE"), UnixNanos(0),
                     FromIst(2099, 12, 31, 15, 30));
}

std::vector<Bar> Bars(std::uint64_t seed, int days) {
  RandomWalkConfig c;
  c.bar_type = kBarType;
  c.days = days;
  c.seed = seed;
  return GenerateRandomWalkBars(c);
}

struct HandResult {
  int round_trips = 0;
  int fills = 0;
  int orders = 0;
  bool open_order_at_end = false;
  std::int64_t realized_raw = 0;  // rupees at scale 1e9
  std::int64_t unrealized_raw = 0;
};

// Independent model of the rules: decide on each bar's close, fill at the next bar's open. A
// crossover is a change of the sign of (fast - slow) from the last non-zero sign; the first sign
// after warm-up is not one.
HandResult HandCalc(const std::vector<Bar>& bars, int fast, int slow) {
  HandResult r;
  std::vector<std::int64_t> closes;
  int pos = 0;
  std::int64_t entry = 0;
  int pending = 0;  // +1 buy, -1 sell
  int regime = 0;
  for (const Bar& b : bars) {
    if (pending != 0) {
      ++r.fills;
      if (pending > 0) {
        pos = 1;
        entry = b.open.raw();
      } else {
        r.realized_raw += b.open.raw() - entry;
        pos = 0;
        ++r.round_trips;
      }
      pending = 0;
    }
    closes.push_back(b.close.raw());
    const auto n = static_cast<int>(closes.size());
    if (n < slow) continue;
    Int128 fsum = 0;
    Int128 ssum = 0;
    for (int k = n - fast; k < n; ++k) fsum += closes[static_cast<std::size_t>(k)];
    for (int k = n - slow; k < n; ++k) ssum += closes[static_cast<std::size_t>(k)];
    const Int128 lhs = fsum * slow;
    const Int128 rhs = ssum * fast;
    const int sign = lhs > rhs ? 1 : (lhs < rhs ? -1 : 0);
    if (sign == 0) continue;
    const bool up = regime < 0 && sign > 0;
    const bool down = regime > 0 && sign < 0;
    regime = sign;
    if (up && pos == 0) {
      pending = 1;
      ++r.orders;
    } else if (down && pos == 1) {
      pending = -1;
      ++r.orders;
    }
  }
  r.open_order_at_end = pending != 0;
  if (pos == 1) r.unrealized_raw = bars.back().close.raw() - entry;
  return r;
}

std::unique_ptr<BacktestEngine> MakeEngine(const std::vector<Bar>& bars, int fast, int slow) {
  KernelConfig kc;
  kc.log_sink = nullptr;
  auto engine = std::make_unique<BacktestEngine>(kc);
  BacktestVenueConfig vc;
  vc.venue.venue = Venue("NFO");
  vc.venue.account_id = AccountId("NFO-001");
  vc.venue.bar_fill = BarFillMode::kNextOpen;
  vc.starting_balance = Money::FromInt(1'000'000);
  EXPECT_TRUE(engine->AddVenue(vc).ok());
  engine->AddInstrument(Proxy());
  engine->AddBars(bars);
  SmaCrossConfig sc;
  sc.bar_type = kBarType;
  sc.fast_period = fast;
  sc.slow_period = slow;
  EXPECT_TRUE(engine->AddStrategy(std::make_unique<SmaCross>(StrategyId("SmaCross-001"), sc)).ok());
  return engine;
}

// Every order and fill as text, for byte-for-byte comparison of runs.
std::string Journal(Kernel& k) {
  std::string out;
  for (const Order* o : k.cache().Orders()) {
    out += fmt::format("{} {} {} {} {} {}\n", o->client_order_id().value(), ToString(o->side()),
                       ToString(o->status()), o->filled_qty().ToString(),
                       o->avg_px() ? o->avg_px()->ToString() : "-", FormatIsoUtc(o->ts_last()));
  }
  for (const Account* a : k.cache().Accounts()) {
    for (const AccountState& s : a->states()) {
      out += fmt::format("{} {} {}\n", FormatIsoUtc(s.ts_event), s.balance.total.ToString(),
                         s.event_id.ToString());
    }
  }
  return out;
}

TEST(SmaCrossIntegration, MatchesHandCalculation) {
  const auto bars = Bars(11, 30);  // 30 sessions x 375 one-minute bars
  ASSERT_EQ(bars.size(), 30u * 375u);
  const HandResult hand = HandCalc(bars, 10, 50);
  ASSERT_GT(hand.round_trips, 20) << "the walk should cross many times";

  auto engine = MakeEngine(bars, 10, 50);
  const BacktestResult r = engine->Run();
  EXPECT_EQ(r.bars, bars.size());
  EXPECT_EQ(static_cast<int>(r.round_trips), hand.round_trips);
  EXPECT_EQ(static_cast<int>(r.fills), hand.fills);
  EXPECT_EQ(static_cast<int>(r.orders), hand.orders);
  EXPECT_EQ(r.orders_open, hand.open_order_at_end ? 1u : 0u);
  EXPECT_EQ(r.orders_denied + r.orders_rejected, 0u);
  EXPECT_EQ(r.realized_pnl.raw(), hand.realized_raw);
  EXPECT_EQ(r.unrealized_pnl.raw(), hand.unrealized_raw);
  EXPECT_EQ(r.commissions, Money::Zero());
  const Money expected_equity = Money::FromInt(1'000'000) + Money::FromRaw(hand.realized_raw) +
                                Money::FromRaw(hand.unrealized_raw);
  EXPECT_EQ(r.final_equity, expected_equity);
  // The account balance moved by exactly the realized P&L (no fees in this venue).
  EXPECT_EQ(r.final_balance, Money::FromInt(1'000'000) + Money::FromRaw(hand.realized_raw));
}

// Bars of a minute each with the given closes (open = close, high/low around them).
std::vector<Bar> CraftedBars(const std::vector<int>& closes) {
  std::vector<Bar> bars = Bars(11, 1);
  bars.resize(closes.size());
  for (std::size_t i = 0; i < closes.size(); ++i) {
    const Price px = Price::Raw(closes[i] * kFixedScale, 2);
    bars[i].open = bars[i].close = px;
    bars[i].high = Price::Raw((closes[i] + 1) * kFixedScale, 2);
    bars[i].low = Price::Raw((closes[i] - 1) * kFixedScale, 2);
  }
  return bars;
}

TEST(SmaCrossIntegration, FastAboveSlowAtWarmUpIsNotAnEntry) {
  // SMA(2)/SMA(4). Rising from the start: fast > slow on the first bar where both exist (bar 4)
  // and for the 6 bars after it; a level-based strategy would buy at once. Then a fall crosses
  // below (flat already: nothing to do) and a rise crosses above again: the one entry, filled
  // at the next bar's open.
  const std::vector<int> closes = {100, 101, 102, 103, 104, 105, 106, 107, 108, 109,
                                   100, 95,  90,  91,  99,  110, 111, 112};
  const std::vector<Bar> bars = CraftedBars(closes);
  auto engine = MakeEngine(bars, 2, 4);
  const BacktestResult r = engine->Run();
  EXPECT_EQ(r.orders, 1u);
  EXPECT_EQ(r.fills, 1u);
  const std::vector<const Order*> orders = engine->kernel().cache().Orders();
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0]->side(), OrderSide::kBuy);
  // Closes ..90, 91, 99: SMA2(91,99)=95 > SMA4(95,90,91,99)=93.75 at bar 14 (index 14), the
  // cross up; the fill is at bar 15's open.
  ASSERT_TRUE(orders[0]->avg_px().has_value());
  EXPECT_EQ(*orders[0]->avg_px(), Price::Raw(110 * kFixedScale, 2));
  EXPECT_EQ(orders[0]->ts_init(), bars[14].ts_init);
  EXPECT_EQ(HandCalc(bars, 2, 4).orders, 1);
}

TEST(SmaCrossIntegration, TwoRunsAreIdentical) {
  const auto bars = Bars(3, 10);
  auto a = MakeEngine(bars, 10, 50);
  auto b = MakeEngine(bars, 10, 50);
  const BacktestResult ra = a->Run();
  const BacktestResult rb = b->Run();
  EXPECT_EQ(ra.Summary(), rb.Summary());
  EXPECT_EQ(Journal(a->kernel()), Journal(b->kernel()));
  EXPECT_FALSE(Journal(a->kernel()).empty());
}

TEST(SmaCrossIntegration, ResetAndRerunGivesSameResult) {
  const auto bars = Bars(5, 8);
  auto engine = MakeEngine(bars, 10, 50);
  const BacktestResult first = engine->Run();
  const std::string journal = Journal(engine->kernel());
  const BacktestResult second = engine->Run();  // Run() resets a used engine first
  EXPECT_EQ(first.Summary(), second.Summary());
  EXPECT_GT(second.orders, 0u);
  EXPECT_EQ(engine->kernel().cache().orders_total(), second.orders);
  EXPECT_EQ(Journal(engine->kernel()), journal);
}

TEST(SmaCrossIntegration, DifferentPeriodsChangeTheResult) {
  // Guards against a strategy that ignores its parameters.
  const auto bars = Bars(11, 10);
  const BacktestResult r1 = MakeEngine(bars, 10, 50)->Run();
  const BacktestResult r2 = MakeEngine(bars, 5, 20)->Run();
  EXPECT_NE(r1.orders, r2.orders);
  EXPECT_EQ(static_cast<int>(r2.round_trips), HandCalc(bars, 5, 20).round_trips);
}

// Counts the INTERNAL bars the data engine aggregates from quotes.
class BarCounter final : public Actor {
 public:
  BarCounter(BarType type) : Actor("BarCounter"), type_(type) {}
  std::vector<Bar> bars;

 protected:
  void OnStart() override { SubscribeBars(type_); }
  void OnReset() override { bars.clear(); }
  void OnBar(const Bar& b) override { bars.push_back(b); }

 private:
  BarType type_;
};

TEST(BacktestRerun, InternalBarsAreRebuiltAfterReset) {
  KernelConfig kc;
  kc.log_sink = nullptr;
  BacktestEngine engine(kc);
  BacktestVenueConfig vc;
  vc.venue.venue = Venue("NFO");
  ASSERT_TRUE(engine.AddVenue(vc).ok());
  engine.AddInstrument(Proxy());
  std::vector<QuoteTick> quotes;
  const UnixNanos t0 = FromIst(2024, 1, 1, 9, 15);
  for (int i = 0; i < 600; ++i) {  // one quote every 10 s for 100 minutes
    const auto bid = Price::Raw((21700 * 100 + i % 37) * Pow10(7), 2);
    quotes.push_back(QuoteTick{kBarType.instrument_id(), bid, bid + testkit::Px("0.10"),
                               Quantity::FromInt(1), Quantity::FromInt(1),
                               t0 + i * 10 * kNanosPerSecond, t0 + i * 10 * kNanosPerSecond});
  }
  engine.AddQuotes(quotes);
  const BarType mid = *BarType::Parse("NIFTY-I.NFO-1-MINUTE-MID-INTERNAL");
  auto counter = std::make_unique<BarCounter>(mid);
  BarCounter* c = counter.get();
  ASSERT_TRUE(engine.AddActor(std::move(counter)).ok());
  engine.Run();
  const std::vector<Bar> first = c->bars;
  ASSERT_EQ(first.size(), 99u);  // boundaries 09:16 .. 10:54 with quotes before each
  EXPECT_EQ(FormatIst(first.front().ts_init), "2024-01-01 09:16:00 IST");
  engine.Run();
  ASSERT_EQ(c->bars.size(), first.size());
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(c->bars[i].ts_init, first[i].ts_init);
    EXPECT_EQ(c->bars[i].close, first[i].close);
  }
}

}  // namespace
}  // namespace nacre
