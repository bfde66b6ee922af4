// Streaming data into the backtest: catalog streams merged with in-memory data by (ts_init,
// source, sequence); a streamed run equals the in-memory run; streams hold one chunk at a
// time; errors stop the run and are reported.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "apps/examples/sma_cross.h"
#include "backtest/backtest_config.h"
#include "backtest/backtest_engine.h"
#include "persistence/catalog.h"
#include "persistence/random_walk.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

namespace fs = std::filesystem;

const BarType kBarType = *BarType::Parse("NIFTY-I.NFO-1-MINUTE-LAST-EXTERNAL");

// Records every quote it sees as "id@offset-minutes".
class QuoteRecorder : public Actor {
 public:
  // `with_bid`: "id@offset#bid raw" (points at one time told apart by their bids).
  QuoteRecorder(std::vector<InstrumentId> ids, std::vector<std::string>* out,
                bool with_bid = false)
      : Actor("Recorder"), ids_(std::move(ids)), out_(out), with_bid_(with_bid) {}

 protected:
  void OnStart() override {
    for (const auto& id : ids_) SubscribeQuoteTicks(id);
  }
  void OnQuoteTick(const QuoteTick& q) override {
    out_->push_back(with_bid_ ? fmt::format("{}@{}#{}", q.instrument_id.value(), q.ts_init.value,
                                            q.bid_price.raw())
                              : fmt::format("{}@{}", q.instrument_id.value(), q.ts_init.value));
  }

 private:
  std::vector<InstrumentId> ids_;
  std::vector<std::string>* out_;
  bool with_bid_;
};

// A stream over a vector that counts chunks handed out and the largest chunk.
class VectorStream : public DataStream {
 public:
  explicit VectorStream(std::vector<MarketData> d, int* pulls) : d_(std::move(d)), pulls_(pulls) {}
  Status Next(std::vector<MarketData>& out, std::size_t max) override {
    out.clear();
    ++*pulls_;
    for (; pos_ < d_.size() && out.size() < max; ++pos_) out.push_back(d_[pos_]);
    return Status::Ok();
  }

 private:
  std::vector<MarketData> d_;
  std::size_t pos_ = 0;
  int* pulls_;
};

class FailingStream : public DataStream {
 public:
  Status Next(std::vector<MarketData>& out, std::size_t) override {
    out.clear();
    if (calls_++ == 0) {
      QuoteTick q;
      q.instrument_id = MustInstrumentId("A.NFO");
      q.bid_price = Price::Raw(kFixedScale, 0);
      q.ask_price = Price::Raw(kFixedScale, 0);
      q.ts_init = UnixNanos(100);
      out.emplace_back(q);
      return Status::Ok();
    }
    return MakeError("broken.parquet: row 7: column bid_price: NULL");
  }

 private:
  int calls_ = 0;
};

QuoteTick Q(const char* id, std::int64_t ts) {
  QuoteTick q;
  q.instrument_id = MustInstrumentId(id);
  q.bid_price = Price::Raw(100 * kFixedScale, 2);
  q.ask_price = Price::Raw(101 * kFixedScale, 2);
  q.bid_size = Quantity::FromInt(1);
  q.ask_size = Quantity::FromInt(1);
  q.ts_event = UnixNanos(ts);
  q.ts_init = UnixNanos(ts);
  return q;
}

std::unique_ptr<BacktestEngine> QuoteEngine(std::vector<std::string>* seen,
                                            bool with_bid = false) {
  KernelConfig kc;
  kc.log_sink = nullptr;
  auto e = std::make_unique<BacktestEngine>(kc);
  EXPECT_TRUE(e->AddActor(std::make_unique<QuoteRecorder>(
                              std::vector<InstrumentId>{MustInstrumentId("A.NFO"),
                                                        MustInstrumentId("B.NFO"),
                                                        MustInstrumentId("C.NFO")},
                              seen, with_bid))
                  .ok());
  return e;
}

TEST(StreamMerge, OrdersByTsInitThenSourceThenSequence) {
  std::vector<std::string> seen;
  auto e = QuoteEngine(&seen);
  // Memory: A at 10, 20, 30. Stream 1: B at 10, 20, 25. Stream 2: C at 5, 20, 40.
  e->AddQuotes({Q("A.NFO", 30), Q("A.NFO", 10), Q("A.NFO", 20)});
  int pulls1 = 0;
  int pulls2 = 0;
  e->AddStream(std::make_unique<VectorStream>(
      std::vector<MarketData>{Q("B.NFO", 10), Q("B.NFO", 20), Q("B.NFO", 25)}, &pulls1));
  e->AddStream(std::make_unique<VectorStream>(
      std::vector<MarketData>{Q("C.NFO", 5), Q("C.NFO", 20), Q("C.NFO", 40)}, &pulls2));
  e->SetStreamChunkSize(1);
  const BacktestResult r = e->Run();
  ASSERT_TRUE(e->data_status().ok()) << e->data_status().error();
  const std::vector<std::string> want = {"C.NFO@5",  "A.NFO@10", "B.NFO@10", "A.NFO@20", "B.NFO@20",
                                         "C.NFO@20", "B.NFO@25", "A.NFO@30", "C.NFO@40"};
  EXPECT_EQ(seen, want);
  EXPECT_EQ(r.quotes, 9u);
  EXPECT_EQ(r.data_points, 9u);
  EXPECT_EQ(r.start.value, 5);
  EXPECT_EQ(r.end.value, 40);
  // Chunks of one: each stream was pulled once per item plus the final empty pull.
  EXPECT_EQ(pulls1, 4);
  EXPECT_EQ(pulls2, 4);
  // A one-shot stream cannot serve a second run; the error says so.
  seen.clear();
  e->Run();
  EXPECT_FALSE(e->data_status().ok());
  EXPECT_NE(e->data_status().error().find("already consumed"), std::string::npos);
}

// In-memory data added in batches out of time order is delivered in ts_init order, points at
// one time in the order they were added: by merging the batches' runs (a few), or by a sort
// (more runs than the merge takes); both give the stable sort's order, on every run.
TEST(StreamMerge, InMemoryBatchesOutOfOrderKeepTheOrderTheyWereAddedInAtOneTime) {
  for (const int batches : {2, 3, 7, 200}) {
    std::vector<std::string> seen;
    auto e = QuoteEngine(&seen, /*with_bid=*/true);
    std::vector<std::pair<std::int64_t, std::string>> added;  // (ts, "id@ts"), as added
    std::uint64_t rng = 7;
    const char* ids[] = {"A.NFO", "B.NFO", "C.NFO"};
    // Each point's bid is its number in the order added, so equal-time points of one
    // instrument are told apart.
    std::int64_t n = 0;
    auto add_batches = [&](int count) {
      for (int b = 0; b < count; ++b) {
        // Each batch in time order (some batches also out of order within), at coarse times
        // so that many points share one.
        std::vector<QuoteTick> batch;
        std::int64_t ts = static_cast<std::int64_t>(rng % 5);
        for (int i = 0; i < 6; ++i) {
          rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
          ts += static_cast<std::int64_t>((rng >> 60) % 3);
          QuoteTick q = Q(ids[(rng >> 40) % 3], ts);
          q.bid_price = Price::Raw(++n * kFixedScale, 2);
          batch.push_back(q);
        }
        if (b % 4 == 3) std::swap(batch.front(), batch.back());
        for (const QuoteTick& q : batch) {
          added.emplace_back(q.ts_init.value, fmt::format("{}@{}#{}", q.instrument_id.value(),
                                                          q.ts_init.value, q.bid_price.raw()));
        }
        e->AddQuotes(batch);
      }
    };
    // Runs, then more batches added after the data was put in order, and runs again.
    for (const int count : {batches, batches / 2 + 1}) {
      add_batches(count);
      std::vector<std::pair<std::int64_t, std::string>> want_sorted = added;
      std::stable_sort(want_sorted.begin(), want_sorted.end(),
                       [](const auto& x, const auto& y) { return x.first < y.first; });
      std::vector<std::string> want;
      for (const auto& [ts, text] : want_sorted) want.push_back(text);
      for (int run = 0; run < 2; ++run) {
        seen.clear();
        e->Run();
        ASSERT_TRUE(e->data_status().ok()) << e->data_status().error();
        EXPECT_EQ(seen, want) << batches << " batches, " << count << " added, run " << run;
      }
    }
  }
}

TEST(StreamMerge, StartAndEndApplyToStreams) {
  std::vector<std::string> seen;
  auto e = QuoteEngine(&seen);
  int pulls = 0;
  e->AddStream(std::make_unique<VectorStream>(
      std::vector<MarketData>{Q("B.NFO", 10), Q("B.NFO", 20), Q("B.NFO", 25), Q("B.NFO", 30)},
      &pulls));
  e->AddQuotes({Q("A.NFO", 15), Q("A.NFO", 40)});
  const BacktestResult r = e->Run(UnixNanos(20), UnixNanos(30));
  EXPECT_EQ(seen, (std::vector<std::string>{"B.NFO@20", "B.NFO@25", "B.NFO@30"}));
  EXPECT_EQ(r.quotes, 3u);
}

// A streamed run has no total count: its progress is the simulated time reached within the
// run's range, reported as the loop goes and once at the end.
TEST(StreamMerge, ProgressOfAStreamedRunFollowsSimulatedTime) {
  std::vector<std::string> seen;
  auto e = QuoteEngine(&seen);
  int pulls = 0;
  std::vector<MarketData> data;
  for (std::int64_t ts = 100; ts <= 1000; ts += 100) data.emplace_back(Q("B.NFO", ts));
  e->AddStream(std::make_unique<VectorStream>(std::move(data), &pulls));
  std::vector<BacktestEngine::RunProgress> reports;
  e->SetProgressCallback(
      [&reports](const BacktestEngine::RunProgress& p) { reports.push_back(p); }, 2);
  e->Run(UnixNanos(100), UnixNanos(1100));
  ASSERT_EQ(reports.size(), 6u);  // every 2 of 10 points, and the end
  for (std::size_t i = 0; i + 1 < reports.size(); ++i) {
    const auto& p = reports[i];
    EXPECT_EQ(p.total, 0u) << "a stream's size is not known in advance";
    EXPECT_FALSE(p.finished);
    EXPECT_EQ(p.done, 2 * (i + 1));
    // After 2k points the loop is at ts 200k: (200k - 100) / (1100 - 100).
    EXPECT_DOUBLE_EQ(p.Fraction(), static_cast<double>(200 * (i + 1) - 100) / 1000.0);
  }
  EXPECT_TRUE(reports.back().finished);
  EXPECT_EQ(reports.back().done, 10u);
  EXPECT_DOUBLE_EQ(reports.back().Fraction(), 1.0);  // finished: the count is the total
  // Without a run end the fraction is unknown until the end.
  reports.clear();
  std::vector<std::string> seen2;
  auto e2 = QuoteEngine(&seen2);
  int pulls2 = 0;
  e2->AddStream(std::make_unique<VectorStream>(
      std::vector<MarketData>{Q("B.NFO", 10), Q("B.NFO", 20), Q("B.NFO", 30)}, &pulls2));
  e2->SetProgressCallback(
      [&reports](const BacktestEngine::RunProgress& p) { reports.push_back(p); }, 1);
  e2->Run();
  ASSERT_EQ(reports.size(), 4u);
  EXPECT_LT(reports[0].Fraction(), 0.0);
  EXPECT_DOUBLE_EQ(reports.back().Fraction(), 1.0);
}

TEST(StreamMerge, StreamErrorStopsTheRunAndIsReported) {
  std::vector<std::string> seen;
  auto e = QuoteEngine(&seen);
  e->AddStream(std::make_unique<FailingStream>());
  e->AddQuotes({Q("A.NFO", 50)});
  e->Run();
  ASSERT_FALSE(e->data_status().ok());
  EXPECT_NE(e->data_status().error().find("broken.parquet: row 7"), std::string::npos);
  // Everything before the failure point was processed, nothing after it.
  EXPECT_EQ(seen, (std::vector<std::string>{"A.NFO@50", "A.NFO@100"}));
}

Instrument Proxy() {
  InstrumentSpec s;
  s.id = kBarType.instrument_id();
  s.tick_size = testkit::Px("0.05");
  s.lot_size = Quantity::FromInt(1);
  return *MakeFuture(s, MustInstrumentId("NIFTY 50.NSE"), UnixNanos(0),
                     FromIst(2099, 12, 31, 15, 30));
}

std::unique_ptr<BacktestEngine> SmaEngine() {
  KernelConfig kc;
  kc.log_sink = nullptr;
  auto engine = std::make_unique<BacktestEngine>(kc);
  BacktestVenueConfig vc;
  vc.venue.venue = Venue("NFO");
  vc.venue.account_id = AccountId("NFO-001");
  vc.venue.bar_fill = BarFillMode::kNextOpen;
  EXPECT_TRUE(engine->AddVenue(vc).ok());
  engine->AddInstrument(Proxy());
  SmaCrossConfig sc;
  sc.bar_type = kBarType;
  sc.fast_period = 10;
  sc.slow_period = 50;
  EXPECT_TRUE(engine->AddStrategy(std::make_unique<SmaCross>(StrategyId("SmaCross-001"), sc)).ok());
  return engine;
}

TEST(StreamMerge, CatalogStreamedRunEqualsInMemoryRun) {
  RandomWalkConfig c;
  c.bar_type = kBarType;
  c.days = 8;
  c.seed = 5;
  const auto bars = GenerateRandomWalkBars(c);
  const fs::path dir =
      fs::temp_directory_path() / fmt::format("nacre_stream_catalog_test_{}", ::getpid());
  fs::remove_all(dir);
  auto cat = Catalog::Open(dir.string());
  ASSERT_TRUE(cat.ok()) << cat.error();
  // Written as one file per day (the catalog merges them back in order).
  for (std::size_t i = 0; i < bars.size(); i += 375) {
    const std::size_t n = std::min<std::size_t>(375, bars.size() - i);
    ASSERT_TRUE((*cat)->WriteBars(kBarType, std::span<const Bar>(bars.data() + i, n)).ok());
  }
  auto mem = SmaEngine();
  mem->AddBars(bars);
  const BacktestResult rm = mem->Run();

  auto streamed = SmaEngine();
  CatalogQuery q;
  q.type = CatalogDataType::kBar;
  q.instruments = {"NIFTY-I.NFO"};
  const Catalog* catalog = cat->get();
  streamed->AddStream([catalog, q]() { return catalog->Read(q); });
  streamed->SetStreamChunkSize(100);
  // The catalog knows its files' time ranges: a run without an end still reports how far it
  // is, by simulated time up to the last file's end.
  std::vector<double> fractions;
  streamed->SetProgressCallback(
      [&fractions, &bars](const BacktestEngine::RunProgress& p) {
        if (!p.finished) {
          EXPECT_EQ(p.total, 0u);  // a stream's size is not known in advance
        }
        EXPECT_EQ(p.to, bars.back().ts_init);  // the last file's end
        fractions.push_back(p.Fraction());
      },
      375);
  const BacktestResult rs = streamed->Run();
  ASSERT_EQ(fractions.size(), 9u);  // a day's bars each, and the end
  for (std::size_t i = 0; i + 2 < fractions.size(); ++i) {
    EXPECT_GT(fractions[i], 0.0) << i;
    EXPECT_LT(fractions[i], 1.0) << i;
    if (i > 0) {
      EXPECT_GT(fractions[i], fractions[i - 1]) << i;
    }
  }
  EXPECT_DOUBLE_EQ(fractions[7], 1.0);  // the last bar: at the last file's end
  EXPECT_DOUBLE_EQ(fractions.back(), 1.0);
  ASSERT_TRUE(streamed->data_status().ok()) << streamed->data_status().error();
  EXPECT_EQ(rs.bars, bars.size());
  EXPECT_GT(rs.round_trips, 3u);
  EXPECT_EQ(rs.Summary(), rm.Summary());
  // A factory stream reopens on Reset + Run: the same result again.
  const BacktestResult rs2 = streamed->Run();
  ASSERT_TRUE(streamed->data_status().ok());
  EXPECT_EQ(rs2.Summary(), rm.Summary());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace nacre

namespace nacre {
namespace {

TEST(StreamConfig, CatalogDataSectionStreamsQuotesAndLoadsInstruments) {
  const fs::path dir =
      fs::temp_directory_path() / fmt::format("nacre_stream_config_test_{}", ::getpid());
  fs::remove_all(dir);
  auto cat = Catalog::Open((dir / "cat").string());
  ASSERT_TRUE(cat.ok());
  InstrumentSpec spec;
  spec.id = MustInstrumentId("NIFTY2610624000CE.NFO");
  spec.lot_size = Quantity::FromInt(65);
  auto opt =
      MakeOption(spec, MustInstrumentId("NIFTY 50.NSE"), OptionKind::kCall,
                 Price::Raw(24'000 * kFixedScale, 0), UnixNanos(0), FromIst(2026, 1, 6, 15, 30));
  ASSERT_TRUE(opt.ok());
  ASSERT_TRUE((*cat)->WriteInstruments(std::span<const Instrument>(&*opt, 1)).ok());
  std::vector<QuoteTick> qs;
  for (int i = 0; i < 50; ++i) {
    QuoteTick q =
        Q("NIFTY2610624000CE.NFO", FromIst(2026, 1, 5, 9, 15).value + i * kNanosPerMinute);
    qs.push_back(q);
  }
  ASSERT_TRUE((*cat)->WriteQuotes(qs[0].instrument_id, qs).ok());
  const std::string toml = R"(
[[venues]]
name = "NFO"
starting_balance = "100000"

[[data]]
catalog = "cat"
type = "quote"
instruments = "NIFTY*.NFO"
start = "2026-01-05T09:20"
end = "2026-01-05T09:29"
)";
  auto bt = LoadBacktestConfigString(toml, "test.toml", dir.string(), ComponentRegistry(), nullptr);
  ASSERT_NE(bt.engine->kernel().cache().instrument(spec.id), nullptr);
  const BacktestResult r = bt.engine->Run(bt.start, bt.end);
  ASSERT_TRUE(bt.engine->data_status().ok()) << bt.engine->data_status().error();
  EXPECT_EQ(r.quotes, 10u);
  EXPECT_EQ(r.start, FromIst(2026, 1, 5, 9, 20));
  // An array of ids or globs works too.
  auto arr = LoadBacktestConfigString(R"(
[[venues]]
name = "NFO"
starting_balance = "100000"

[[data]]
catalog = "cat"
instruments = ["NIFTY2610624000CE.NFO", "BANK*"]
)",
                                      "test.toml", dir.string(), ComponentRegistry(), nullptr);
  EXPECT_EQ(arr.engine->Run().quotes, 50u);
  // Reader tuning: without the prefetch thread and with a DuckDB memory cap, the same data.
  auto tuned = LoadBacktestConfigString(R"(
[[venues]]
name = "NFO"
starting_balance = "100000"

[[data]]
catalog = "cat"
instruments = "NIFTY*"
prefetch = false
memory_limit_mb = 64
threads = 1
)",
                                        "test.toml", dir.string(), ComponentRegistry(), nullptr);
  EXPECT_EQ(tuned.engine->Run().quotes, 50u);
  // Bad sections name the key.
  auto err = [&](const std::string& text) {
    try {
      LoadBacktestConfigString(text, "test.toml", dir.string(), ComponentRegistry(), nullptr);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  std::string e1 = err(R"(
[[venues]]
name = "NFO"
starting_balance = "100000"
[[data]]
catalog = "cat"
instruments = "BANKNIFTY*"
)");
  EXPECT_NE(e1.find("instruments"), std::string::npos) << e1;
  EXPECT_NE(e1.find("no quote_tick data"), std::string::npos) << e1;
  std::string e2 = err(R"(
[[venues]]
name = "NFO"
starting_balance = "100000"
[[data]]
catalog = "nowhere"
)");
  EXPECT_NE(e2.find("is not a catalog"), std::string::npos) << e2;
  std::string e3 = err(R"(
[[venues]]
name = "NFO"
starting_balance = "100000"
[[data]]
catalog = "cat"
memory_limit_mb = -5
)");
  EXPECT_NE(e3.find("memory_limit_mb"), std::string::npos) << e3;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace nacre
