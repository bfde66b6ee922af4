// Journal group commits per second (LIVE.md §6): each iteration appends N order-event entries
// (N = 1, 10, 100) and commits them as one group with synchronous=FULL, the live setting (one
// fsync per commit), and, for comparison, synchronous=NORMAL (not power-loss safe). The journal
// lives in a folder under $TMPDIR (it must be a real disk, not tmpfs, for the fsync to count),
// removed at the end. Counters: commits/s and entries/s.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>

#include "persistence/journal.h"
#include "persistence/journal_codec.h"

namespace nacre {
namespace {

namespace fs = std::filesystem;

JournalEntry SampleFill(std::int64_t n) {
  OrderFilled f;
  f.trader_id = TraderId("TRADER-001");
  f.strategy_id = StrategyId("Straddle-001");
  f.instrument_id = MustInstrumentId("NIFTY2610624000CE.NFO");
  f.client_order_id = ClientOrderId(fmt::format("O-20260105-091500-001-001-{}", n));
  f.event_id = UuidGenerator(static_cast<std::uint64_t>(n)).Next();
  f.ts_event = UnixNanos(1'767'584'700'000'000'000 + n);
  f.ts_init = f.ts_event;
  f.venue_order_id = VenueOrderId(fmt::format("2601050{:012}", n));
  f.account_id = AccountId("ZERODHA-AB1234");
  f.trade_id = TradeId(fmt::format("T{:012}", n));
  f.last_qty = Quantity::FromInt(75);
  f.last_px = Price::Raw(123'450'000'000, 2);
  f.commission = Money::FromInt(20);
  return EventEntry(f, f.ts_event);
}

void BM_GroupCommit(benchmark::State& state) {
  const auto per_commit = static_cast<int>(state.range(0));
  const JournalSync sync = state.range(1) == 0 ? JournalSync::kFull : JournalSync::kNormal;
  const fs::path dir =
      fs::temp_directory_path() /
      fmt::format("nacre_journal_bench_{}_{}_{}", ::getpid(), per_commit, static_cast<int>(sync));
  fs::remove_all(dir);
  JournalOptions options;
  options.sync = sync;
  auto opened = Journal::Open((dir / "journal.sqlite").string(), options);
  if (!opened) {
    state.SkipWithError(opened.error().c_str());
    return;
  }
  auto journal = std::move(opened).value();
  if (!journal->BeginRun(UnixNanos(1), "bench", "bench").ok()) {
    state.SkipWithError("BeginRun failed");
    return;
  }
  // Entries are built before the loop: the benchmark measures the journal, not the codec.
  std::vector<JournalEntry> entries;
  const std::int64_t total = 20'000;
  entries.reserve(static_cast<std::size_t>(total));
  for (std::int64_t i = 0; i < total; ++i) entries.push_back(SampleFill(i));
  std::size_t next = 0;
  std::int64_t appended = 0;
  for (auto _ : state) {
    for (int k = 0; k < per_commit; ++k) {
      JournalEntry& e = entries[next++ % entries.size()];
      e.trade_id = fmt::format("T{:012}", appended++);  // every fill unique
      if (!journal->Append(e).ok()) {
        state.SkipWithError(journal->failure().error().c_str());
        return;
      }
    }
    auto c = journal->Commit();
    if (!c.ok()) {
      state.SkipWithError(c.error().c_str());
      return;
    }
  }
  state.counters["commits/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["entries/s"] =
      benchmark::Counter(static_cast<double>(appended), benchmark::Counter::kIsRate);
  journal.reset();
  fs::remove_all(dir);
}

// Args: entries per commit, sync (0 FULL, 1 NORMAL). Wall time: fsync waits off the CPU.
BENCHMARK(BM_GroupCommit)
    ->ArgNames({"entries", "normal"})
    ->Args({1, 0})
    ->Args({10, 0})
    ->Args({100, 0})
    ->Args({1, 1})
    ->Args({10, 1})
    ->Args({100, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace nacre
