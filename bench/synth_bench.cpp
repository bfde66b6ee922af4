// Synthetic-chain generator speed: one year (2024) of 1-minute quotes, +-20 strikes, the two
// nearest weeklies, written as Parquet into a fresh temporary catalog (issue 4 target: <= 60 s,
// <= 1 GiB RSS). One iteration; counters report quotes, quotes/s and the process's peak RSS.
// Run: ./build/release/bench/nacre_synth_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <filesystem>

#include "synth/catalog_sink.h"

namespace nacre::synth {
namespace {

double PeakRssMiB() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // Linux: KiB
}

void Generate(benchmark::State& state, const ChainConfig& config, bool to_parquet) {
  const auto dir = std::filesystem::temp_directory_path() / "nacre_synth_bench";
  std::uint64_t quotes = 0;
  std::uint64_t bytes = 0;
  struct Null : ChainSink {
    Status OnInstrument(const Instrument&) override { return Status::Ok(); }
    Status OnStep(const ChainStep& s) override {
      n += s.quotes.size();
      return Status::Ok();
    }
    Status OnRetired(std::span<const InstrumentId>) override { return Status::Ok(); }
    Status Finish() override { return Status::Ok(); }
    std::uint64_t n = 0;
  };
  for (auto _ : state) {
    std::filesystem::remove_all(dir);
    Null null;
    std::unique_ptr<CatalogSink> sink;
    if (to_parquet) {
      auto s = CatalogSink::Open(dir.string());
      if (!s.ok()) {
        state.SkipWithError(s.error().c_str());
        return;
      }
      sink = std::move(*s);
    }
    auto stats =
        GenerateChains(config, NseCalendar(),
                       to_parquet ? static_cast<ChainSink&>(*sink) : static_cast<ChainSink&>(null));
    if (!stats.ok()) {
      state.SkipWithError(stats.error().c_str());
      return;
    }
    quotes += stats->quotes;
    if (sink) bytes += sink->BytesOnDisk();
  }
  std::filesystem::remove_all(dir);
  state.counters["quotes"] = static_cast<double>(quotes) / static_cast<double>(state.iterations());
  state.counters["quotes_per_s"] =
      benchmark::Counter(static_cast<double>(quotes), benchmark::Counter::kIsRate);
  state.counters["MiB_written"] = static_cast<double>(bytes) / (1024.0 * 1024.0);
  state.counters["peak_rss_MiB"] = PeakRssMiB();
}

void SynthYearToParquet(benchmark::State& state) {
  ChainConfig c;  // 2024, 1 minute, +-20 strikes, two nearest series
  Generate(state, c, true);
}
BENCHMARK(SynthYearToParquet)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

void SynthYearGenerateOnly(benchmark::State& state) {
  ChainConfig c;
  Generate(state, c, false);
}
BENCHMARK(SynthYearGenerateOnly)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace
}  // namespace nacre::synth
