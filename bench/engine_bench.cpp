// Whole-engine throughput: data engine -> cache -> bus -> strategy with the venue's book
// updated on every data point, from in-memory input (loading is measured elsewhere). Items per
// second are events per second of the run phase.
#include <benchmark/benchmark.h>

#include "apps/examples/sma_cross.h"
#include "backtest/backtest_engine.h"
#include "persistence/random_walk.h"

namespace nacre {
namespace {

Instrument Proxy(const InstrumentId& id) {
  InstrumentSpec s;
  s.id = id;
  s.tick_size = Price::Raw(5 * Pow10(kFixedPrecision - 2), 2);
  return *MakeFuture(s, MustInstrumentId("NIFTY 50.NSE"), UnixNanos(0),
                     FromIst(2099, 12, 31, 15, 30));
}

// Counts quotes; touches each one so the handler cannot be optimised away.
class QuoteCounter final : public Strategy {
 public:
  explicit QuoteCounter(InstrumentId id) : Strategy(StrategyId("QuoteCounter-001")), id_(id) {}
  std::uint64_t count = 0;
  std::int64_t checksum = 0;

 protected:
  void OnStart() override { SubscribeQuoteTicks(id_); }
  void OnQuoteTick(const QuoteTick& q) override {
    ++count;
    checksum += q.bid_price.raw();
  }

 private:
  InstrumentId id_;
};

std::unique_ptr<BacktestEngine> MakeEngine(const Instrument& ins) {
  KernelConfig kc;
  kc.log_sink = nullptr;
  auto engine = std::make_unique<BacktestEngine>(kc);
  BacktestVenueConfig vc;
  vc.venue.venue = Venue("NFO");
  vc.venue.account_id = AccountId("NFO-001");
  (void)engine->AddVenue(vc);
  engine->AddInstrument(ins);
  return engine;
}

void BM_QuoteCountingEngine(benchmark::State& state) {
  const Instrument ins = Proxy(MustInstrumentId("NIFTY-I.NFO"));
  std::vector<QuoteTick> quotes;
  const auto n = static_cast<std::size_t>(state.range(0));
  quotes.reserve(n);
  UnixNanos t = FromIst(2024, 1, 1, 9, 15);
  std::int64_t px = 21700 * kFixedScale;
  for (std::size_t i = 0; i < n; ++i) {
    px += (i * 7919 % 11 - 5) * 5 * Pow10(kFixedPrecision - 2);
    QuoteTick q;
    q.instrument_id = ins.id;
    q.bid_price = Price::Raw(px, 2);
    q.ask_price = Price::Raw(px + 5 * Pow10(kFixedPrecision - 2), 2);
    q.bid_size = q.ask_size = Quantity::FromInt(75);
    q.ts_event = q.ts_init = t;
    t += 100 * kNanosPerMilli;
    quotes.push_back(q);
  }
  auto engine = MakeEngine(ins);
  engine->AddQuotes(quotes);
  auto s = std::make_unique<QuoteCounter>(ins.id);
  QuoteCounter* counter = s.get();
  (void)engine->AddStrategy(std::move(s));
  for (auto _ : state) {
    const BacktestResult r = engine->Run();
    benchmark::DoNotOptimize(r.data_points);
    state.PauseTiming();
    if (counter->count != n) state.SkipWithError("quotes lost");
    counter->count = 0;
    engine->Reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_QuoteCountingEngine)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

void BM_SmaCrossBarsEngine(benchmark::State& state) {
  const BarType bt = *BarType::Parse("NIFTY-I.NFO-1-MINUTE-LAST-EXTERNAL");
  RandomWalkConfig rw;
  rw.bar_type = bt;
  rw.days = static_cast<int>(state.range(0) / 375);
  rw.seed = 7;
  const std::vector<Bar> bars = GenerateRandomWalkBars(rw);
  auto engine = MakeEngine(Proxy(bt.instrument_id()));
  engine->AddBars(bars);
  SmaCrossConfig sc;
  sc.bar_type = bt;
  (void)engine->AddStrategy(std::make_unique<SmaCross>(StrategyId("SmaCross-001"), sc));
  for (auto _ : state) {
    const BacktestResult r = engine->Run();
    benchmark::DoNotOptimize(r.final_equity);
    state.PauseTiming();
    engine->Reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(bars.size()));
}
BENCHMARK(BM_SmaCrossBarsEngine)->Arg(375 * 2667)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace nacre
