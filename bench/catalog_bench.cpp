// Catalog read throughput: quotes streamed from Parquet files through Catalog::Read (DuckDB
// streaming scans, k-way merge, exact raw decode) and, separately, into a BacktestEngine with
// a strategy subscribed to every instrument. Items per second are quotes per second.
// The catalog is written once per process under $TMPDIR and removed at exit.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>

#include "backtest/backtest_engine.h"
#include "persistence/catalog.h"

namespace nacre {
namespace {

namespace fs = std::filesystem;

constexpr int kRowsPerFile = 250'000;

struct BenchCatalog {
  fs::path dir;
  std::unique_ptr<Catalog> catalog;
  std::vector<InstrumentId> ids;
  std::uint64_t quotes = 0;

  // `instruments` instruments, each with `files` files of kRowsPerFile one-second quotes.
  BenchCatalog(const std::string& name, int instruments, int files) {
    dir = fs::temp_directory_path() / fmt::format("nacre_catalog_bench_{}_{}", name, ::getpid());
    fs::remove_all(dir);
    catalog = std::move(Catalog::Open(dir.string())).value();
    const std::int64_t t0 = FromUtc(2024, 1, 1, 3, 45).value;
    for (int i = 0; i < instruments; ++i) {
      const InstrumentId id = MustInstrumentId(fmt::format("NIFTY24JAN{}CE.NFO", 20'000 + 50 * i));
      ids.push_back(id);
      std::vector<QuoteTick> buf;
      for (int f = 0; f < files; ++f) {
        buf.clear();
        for (int r = 0; r < kRowsPerFile; ++r) {
          const std::int64_t k = static_cast<std::int64_t>(f) * kRowsPerFile + r;
          QuoteTick q;
          q.instrument_id = id;
          q.bid_price = Price::Raw((10'000 + (k * 7919) % 2'000) * 5 * Pow10(7), 2);
          q.ask_price = Price::Raw(q.bid_price.raw() + 5 * Pow10(7), 2);
          q.bid_size = Quantity::FromInt(65 * (1 + k % 20));
          q.ask_size = Quantity::FromInt(65 * (1 + (k * 3) % 20));
          q.ts_event = UnixNanos(t0 + k * kNanosPerSecond + i);
          q.ts_init = q.ts_event;
          buf.push_back(q);
        }
        if (Status s = catalog->WriteQuotes(id, buf); !s) {
          fmt::print(stderr, "{}\n", s.error());
          std::abort();
        }
        quotes += buf.size();
      }
    }
  }
  ~BenchCatalog() { fs::remove_all(dir); }
};

BenchCatalog& One() {
  static BenchCatalog c("one", 1, 8);  // 2,000,000 quotes, one instrument
  return c;
}
BenchCatalog& Many() {
  static BenchCatalog c("many", 40, 1);  // 10,000,000 quotes over 40 instruments
  return c;
}

void ReadAll(benchmark::State& state, BenchCatalog& c) {
  CatalogQuery q;
  q.threads = static_cast<int>(state.range(0));
  std::vector<MarketData> buf;
  for (auto _ : state) {
    auto s = c.catalog->Read(q);
    std::int64_t sum = 0;
    std::uint64_t n = 0;
    for (;;) {
      if (Status st = (*s)->Next(buf, 4096); !st) {
        state.SkipWithError(st.error().c_str());
        return;
      }
      if (buf.empty()) break;
      n += buf.size();
      for (const auto& d : buf) sum += std::get<QuoteTick>(d).bid_price.raw();
    }
    benchmark::DoNotOptimize(sum);
    if (n != c.quotes) state.SkipWithError("row count mismatch");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * c.quotes));
}

void BM_CatalogReadQuotesOneInstrument(benchmark::State& state) { ReadAll(state, One()); }
BENCHMARK(BM_CatalogReadQuotesOneInstrument)
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_CatalogReadQuotesFortyInstruments(benchmark::State& state) { ReadAll(state, Many()); }
BENCHMARK(BM_CatalogReadQuotesFortyInstruments)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Counts quotes of every instrument it subscribed to.
class QuoteCounter final : public Strategy {
 public:
  explicit QuoteCounter(std::vector<InstrumentId> ids)
      : Strategy(StrategyId("QuoteCounter-001")), ids_(std::move(ids)) {}
  std::uint64_t count = 0;

 protected:
  void OnStart() override {
    for (const auto& id : ids_) SubscribeQuoteTicks(id);
  }
  void OnQuoteTick(const QuoteTick&) override { ++count; }

 private:
  std::vector<InstrumentId> ids_;
};

void QuotesIntoEngine(benchmark::State& state, BenchCatalog& c) {
  for (auto _ : state) {
    KernelConfig kc;
    kc.log_sink = nullptr;
    BacktestEngine engine(kc);
    auto strat = std::make_unique<QuoteCounter>(c.ids);
    QuoteCounter* counter = strat.get();
    if (!engine.AddStrategy(std::move(strat)).ok()) std::abort();
    const Catalog* cat = c.catalog.get();
    engine.AddStream([cat]() { return cat->Read(CatalogQuery{}); });
    const BacktestResult r = engine.Run();
    if (!engine.data_status().ok() || counter->count != c.quotes || r.quotes != c.quotes) {
      state.SkipWithError("engine run failed");
      return;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * c.quotes));
}

void BM_CatalogQuotesIntoEngine(benchmark::State& state) { QuotesIntoEngine(state, One()); }
BENCHMARK(BM_CatalogQuotesIntoEngine)->UseRealTime()->Unit(benchmark::kMillisecond);

// 40 instruments whose quotes interleave row by row: every row switches scans in the merge.
void BM_CatalogFortyInstrumentsIntoEngine(benchmark::State& state) {
  QuotesIntoEngine(state, Many());
}
BENCHMARK(BM_CatalogFortyInstrumentsIntoEngine)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace nacre
