// Scale benchmark (issue 4): a synthetic catalog of about 22,000 NIFTY option instruments over
// 24 months (2024-2025) at 15-minute quotes, then a backtest that subscribes to every one of
// them and streams the whole catalog through BacktestEngine (Catalog::Read -> AddStream).
// Reported: the catalog's size, the time to the first event the subscriber sees (from before
// the catalog is opened), quotes/s of the run, the process's peak RSS, the size of the chain
// binary cache ({catalog}/.cache) and how many chain files were read from it or built it.
// Layout: $NACRE_SCALE_LAYOUT = "chain" (default: one file per IST day, read through the
// binary cache) or "instrument" (the per-instrument layout, for comparison).
// The catalog is built once into $NACRE_SCALE_CATALOG (default /tmp/nacre_scale_catalog_chain,
// or /tmp/nacre_scale_catalog for the per-instrument layout) and reused while it exists; delete
// the folder to rebuild it. The first read of a chain catalog builds its binary cache (cold);
// later reads map it (warm); delete {catalog}/.cache for a cold run again.
// Run: bench/synth_scale.sh (cold and warm runs of both layouts) or
//      ./build/release/bench/nacre_synth_scale_bench
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "backtest/backtest_engine.h"
#include "persistence/catalog.h"
#include "persistence/catalog_chain.h"
#include "synth/catalog_sink.h"

namespace nacre::synth {
namespace {

double PeakRssMiB() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

CatalogLayout Layout() {
  const char* env = std::getenv("NACRE_SCALE_LAYOUT");
  if (env == nullptr || *env == 0) return CatalogLayout::kChain;
  auto l = ParseCatalogLayout(env);
  if (!l) {
    std::fprintf(stderr, "NACRE_SCALE_LAYOUT: %s\n", l.error().c_str());
    std::exit(2);
  }
  return *l;
}

std::string CatalogDir() {
  const char* env = std::getenv("NACRE_SCALE_CATALOG");
  if (env && *env) return env;
  return Layout() == CatalogLayout::kChain ? "/tmp/nacre_scale_catalog_chain"
                                           : "/tmp/nacre_scale_catalog";
}

// Bytes of the regular files under `dir` (0 when absent).
double MiBUnder(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::uint64_t bytes = 0;
  if (!fs::exists(dir, ec)) return 0;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file(ec)) bytes += it->file_size(ec);
  }
  return static_cast<double>(bytes) / 1048576.0;
}

ChainConfig ScaleConfig() {
  ChainConfig c;
  c.start = {2024, 1, 1};
  c.end = {2025, 12, 31};
  c.interval_minutes = 15;
  c.strikes_each_side = 40;
  c.expiries = 4;
  c.seed = 2024;
  return c;
}

// Subscribes to every instrument it is given; counts quotes and notes the first one's time.
class SubscribeAll final : public Actor {
 public:
  using WallClock = std::chrono::steady_clock;
  explicit SubscribeAll(std::vector<InstrumentId> ids)
      : Actor("SubscribeAll"), ids_(std::move(ids)) {}
  std::uint64_t count = 0;
  std::int64_t checksum = 0;
  std::optional<WallClock::time_point> first;

 protected:
  void OnStart() override {
    for (const InstrumentId& id : ids_) SubscribeQuoteTicks(id);
  }
  void OnQuoteTick(const QuoteTick& q) override {
    if (!first) first = WallClock::now();
    ++count;
    checksum += q.bid_price.raw();
  }

 private:
  std::vector<InstrumentId> ids_;
};

void SynthScaleCatalog(benchmark::State& state) {
  const std::string dir = CatalogDir();
  for (auto _ : state) {
    if (std::filesystem::exists(std::filesystem::path(dir) / "data")) {
      state.SkipWithError(("catalog exists (reused): " + dir).c_str());
      return;
    }
    auto sink = CatalogSink::Open(dir, 1'000'000, Layout());
    if (!sink.ok()) {
      state.SkipWithError(sink.error().c_str());
      return;
    }
    auto stats = GenerateChains(ScaleConfig(), NseCalendar(), **sink);
    if (!stats.ok()) {
      state.SkipWithError(stats.error().c_str());
      return;
    }
    state.counters["instruments"] = static_cast<double>(stats->instruments);
    state.counters["quotes"] = static_cast<double>(stats->quotes);
    state.counters["files"] = static_cast<double>((*sink)->files_written());
    state.counters["MiB_on_disk"] = static_cast<double>((*sink)->BytesOnDisk()) / 1048576.0;
    state.counters["quotes_per_s"] =
        benchmark::Counter(static_cast<double>(stats->quotes), benchmark::Counter::kIsRate);
  }
  state.counters["peak_rss_MiB"] = PeakRssMiB();
}
BENCHMARK(SynthScaleCatalog)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

// Passes a catalog reader through, keeping a copy of its counters after every chunk.
class StatsTap final : public DataStream {
 public:
  StatsTap(std::unique_ptr<DataStream> in, std::shared_ptr<CatalogReaderStats> out)
      : in_(std::move(in)), out_(std::move(out)) {}
  Status Next(std::vector<MarketData>& out, std::size_t max_items) override {
    Status s = in_->Next(out, max_items);
    *out_ = ReaderStats(*in_);
    return s;
  }

 private:
  std::unique_ptr<DataStream> in_;
  std::shared_ptr<CatalogReaderStats> out_;
};

// `days` = 0: the whole catalog; otherwise only its first `days` days (for the start-up
// breakdown without streaming two years).
void RunAll(benchmark::State& state, int days) {
  const std::string dir = CatalogDir();
  for (auto _ : state) {
    const auto t0 = SubscribeAll::WallClock::now();
    auto catalog = Catalog::Open(dir);
    if (!catalog.ok()) {
      state.SkipWithError(catalog.error().c_str());
      return;
    }
    auto instruments = (*catalog)->Instruments({"NIFTY*.NFO"});
    const auto t_instruments = SubscribeAll::WallClock::now();
    if (!instruments.ok() || instruments->empty()) {
      state.SkipWithError(instruments.ok() ? "no instruments: run SynthScaleCatalog first"
                                           : instruments.error().c_str());
      return;
    }
    KernelConfig kc;
    kc.log_sink = nullptr;
    BacktestEngine engine(kc);
    BacktestVenueConfig vc;
    vc.venue.venue = Venue("NFO");
    vc.venue.account_id = AccountId("NFO-001");
    (void)engine.AddVenue(vc);
    std::vector<InstrumentId> ids;
    ids.reserve(instruments->size());
    for (const Instrument& i : *instruments) {
      engine.AddInstrument(i);
      ids.push_back(i.id);
    }
    auto actor = std::make_unique<SubscribeAll>(ids);
    SubscribeAll* sub = actor.get();
    if (Status s = engine.AddActor(std::move(actor)); !s.ok()) {
      state.SkipWithError(s.error().c_str());
      return;
    }
    CatalogQuery q;
    q.type = CatalogDataType::kQuote;
    q.instruments = {"NIFTY*.NFO"};
    const Catalog* cat = catalog->get();
    auto reader_stats = std::make_shared<CatalogReaderStats>();
    engine.AddStream([cat, q, reader_stats]() -> Result<std::unique_ptr<DataStream>> {
      auto s = cat->Read(q);
      if (!s.ok()) return MakeError(s.error());
      return std::unique_ptr<DataStream>(
          std::make_unique<StatsTap>(std::move(*s), reader_stats));
    });
    const auto run0 = SubscribeAll::WallClock::now();
    std::optional<UnixNanos> end;
    if (days > 0) end = FromIst(2024, 1, 1, 0, 0) + days * kNanosPerDay;
    const BacktestResult r = engine.Run(std::nullopt, end);
    const auto t1 = SubscribeAll::WallClock::now();
    if (!engine.data_status().ok()) {
      state.SkipWithError(engine.data_status().error().c_str());
      return;
    }
    const double run_s = std::chrono::duration<double>(t1 - run0).count();
    state.counters["instruments"] = static_cast<double>(ids.size());
    state.counters["quotes"] = static_cast<double>(sub->count);
    state.counters["engine_quotes"] = static_cast<double>(r.quotes);
    state.counters["first_event_s"] =
        sub->first ? std::chrono::duration<double>(*sub->first - t0).count() : -1.0;
    state.counters["run_s"] = run_s;
    state.counters["open_and_instruments_s"] =
        std::chrono::duration<double>(t_instruments - t0).count();
    state.counters["setup_s"] = std::chrono::duration<double>(run0 - t0).count();
    state.counters["quotes_per_s_run"] = run_s > 0 ? static_cast<double>(sub->count) / run_s : 0;
    // From the first event on (the run above includes opening the reader and its listing).
    const double stream_s = sub->first ? std::chrono::duration<double>(t1 - *sub->first).count() : 0;
    state.counters["quotes_per_s_streaming"] =
        stream_s > 0 ? static_cast<double>(sub->count) / stream_s : 0;
    {
      const CatalogReaderStats& st = *reader_stats;
      state.counters["scans_batched"] = static_cast<double>(st.batches);
      state.counters["batches_split"] = static_cast<double>(st.batches_split);
      state.counters["max_open_files"] = static_cast<double>(st.max_open_files);
      state.counters["cache_hits"] = static_cast<double>(st.cache_hits);
      state.counters["cache_built"] = static_cast<double>(st.cache_built);
    }
    state.counters["MiB_data"] = MiBUnder(std::filesystem::path(dir) / "data");
    state.counters["MiB_cache"] = MiBUnder(std::filesystem::path(dir) / ".cache");
    benchmark::DoNotOptimize(sub->checksum);
  }
  state.counters["peak_rss_MiB"] = PeakRssMiB();
}
void BacktestAllInstruments(benchmark::State& state) { RunAll(state, 0); }
BENCHMARK(BacktestAllInstruments)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

void BacktestAllInstrumentsFirstDay(benchmark::State& state) { RunAll(state, 1); }
BENCHMARK(BacktestAllInstrumentsFirstDay)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace
}  // namespace nacre::synth
