#include "persistence/catalog_chain.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "persistence/catalog_swap.h"
#include "persistence/catalog_test_util.h"
#include "testkit/scratch_dir.h"

namespace nacre {
namespace {

namespace fs = std::filesystem;

const std::int64_t kDay1 = FromIst(2024, 1, 1, 9, 15).value;
const std::int64_t kDay2 = FromIst(2024, 1, 2, 9, 15).value;

using testkit::DescribeQuote;

QuoteTick Quote(const std::string& id, std::int64_t ts, int k) {
  QuoteTick q;
  q.instrument_id = MustInstrumentId(id);
  q.bid_price = Price::Raw((10'000 + k * 5) * Pow10(7), 2);
  q.ask_price = Price::Raw((10'010 + k * 5) * Pow10(7), 2);
  q.bid_size = Quantity::Raw((65 + k) * kFixedScale, 0);
  q.ask_size = Quantity::Raw((130 + k % 7) * kFixedScale, 0);
  q.ts_event = UnixNanos(ts - 1 - k);
  q.ts_init = UnixNanos(ts);
  return q;
}

Instrument Option(const std::string& id, const std::string& underlying) {
  Instrument i;
  i.id = MustInstrumentId(id);
  i.instrument_class = InstrumentClass::kOption;
  i.raw_symbol = Symbol(id.substr(0, id.find('.')));
  i.underlying = MustInstrumentId(underlying);
  return i;
}

class CatalogChainTest : public testkit::ScratchDirTest {
 protected:
  std::string Root(const char* name) const { return (dir_ / name).string(); }

  // A per-instrument catalog: the NIFTY index and four of its options, a BANKNIFTY option
  // (its own group, its underlying undefined), an instrument without a definition; two IST
  // days; many equal times across instruments (ties), an instrument with equal times of its
  // own, and one instrument written as two files.
  void MakePerInstrument(const std::string& root) {
    auto c = Catalog::Open(root);
    ASSERT_TRUE(c.ok()) << c.error();
    const std::vector<std::string> opts = {"NIFTY24JAN21500CE.NFO", "NIFTY24JAN21500PE.NFO",
                                           "NIFTY24JAN21600CE.NFO", "NIFTY24JAN21400PE.NFO"};
    std::vector<Instrument> defs;
    Instrument index;
    index.id = MustInstrumentId("NIFTY 50.NSE");
    defs.push_back(index);
    for (const auto& o : opts) defs.push_back(Option(o, "NIFTY 50.NSE"));
    defs.push_back(Option("BANKNIFTY24JAN46000CE.NFO", "NIFTY BANK.NSE"));
    ASSERT_TRUE((*c)->WriteInstruments(defs).ok());
    auto series = [&](const std::string& id, std::int64_t t0, int n, std::int64_t step, int k0) {
      std::vector<QuoteTick> out;
      for (int i = 0; i < n; ++i) out.push_back(Quote(id, t0 + i * step, k0 + i));
      return out;
    };
    for (std::int64_t day : {kDay1, kDay2}) {
      const int k = day == kDay1 ? 0 : 100;
      ASSERT_TRUE((*c)->WriteQuotes(MustInstrumentId("NIFTY 50.NSE"),
                                    series("NIFTY 50.NSE", day, 40, kNanosPerMinute, k))
                      .ok());
      for (std::size_t j = 0; j < opts.size(); ++j) {
        if (day == kDay2 && j == 3) continue;  // expired
        ASSERT_TRUE(
            (*c)->WriteQuotes(MustInstrumentId(opts[j]),
                              series(opts[j], day + static_cast<std::int64_t>(j) * kNanosPerMinute,
                                     30, 2 * kNanosPerMinute, k + static_cast<int>(j)))
                .ok());
      }
      ASSERT_TRUE(
          (*c)->WriteQuotes(MustInstrumentId("BANKNIFTY24JAN46000CE.NFO"),
                            series("BANKNIFTY24JAN46000CE.NFO", day, 20, 3 * kNanosPerMinute, k))
              .ok());
    }
    // Equal times within one instrument keep their order.
    std::vector<QuoteTick> same = {Quote("XYZ.NSE", kDay1, 1), Quote("XYZ.NSE", kDay1, 2),
                                   Quote("XYZ.NSE", kDay1 + kNanosPerMinute, 3)};
    ASSERT_TRUE((*c)->WriteQuotes(MustInstrumentId("XYZ.NSE"), same).ok());
  }

  static std::vector<std::string> ReadAll(const std::string& root, CatalogQuery q) {
    auto c = Catalog::Open(root);
    EXPECT_TRUE(c.ok()) << c.error();
    auto s = (*c)->Read(q);
    EXPECT_TRUE(s.ok()) << s.error();
    std::vector<std::string> out;
    if (!s.ok()) return out;
    std::vector<MarketData> buf;
    for (;;) {
      Status st = (*s)->Next(buf, 7);
      EXPECT_TRUE(st.ok()) << st.error();
      if (!st.ok() || buf.empty()) break;
      for (const MarketData& d : buf) out.push_back(DescribeQuote(d));
    }
    return out;
  }

  // The fixture's catalog per instrument in `a` and compacted in `b`.
  void MakeBoth(const std::string& a, const std::string& b) {
    MakePerInstrument(a);
    MakeCompacted(b);
  }

  // The fixture's catalog compacted in `root`.
  void MakeCompacted(const std::string& root) {
    MakePerInstrument(root);
    auto cat = Catalog::Open(root);
    ASSERT_TRUE(cat.ok());
    auto sum = CompactCatalog(**cat);
    ASSERT_TRUE(sum.ok()) << sum.error();
    compacted_ = *sum;
  }

  // Every file under `root` with its bytes.
  static std::map<std::string, std::string> Snapshot(const std::string& root) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      if (!e.is_regular_file()) continue;
      std::ifstream in(e.path(), std::ios::binary);
      out[fs::relative(e.path(), root).string()] =
          std::string(std::istreambuf_iterator<char>(in), {});
    }
    return out;
  }

  // Files of the per-instrument catalog `root` in the state a compact leaves just before its
  // swap: the chain files (of a catalog compacted alike, `done`) staged in {root}/.compact, and
  // the swap that would move them in and remove the per-instrument quote files.
  static CompactSwap StageCompact(const std::string& root, const std::string& done) {
    CompactSwap swap;
    const fs::path chain = fs::path(done) / "data/chain/quote_tick";
    for (const auto& e : fs::recursive_directory_iterator(chain)) {
      if (!e.is_regular_file()) continue;
      const fs::path rel = fs::path("data/chain/quote_tick") / fs::relative(e.path(), chain);
      const fs::path staged = fs::path(".compact") / rel;
      fs::create_directories((fs::path(root) / staged).parent_path());
      fs::copy_file(e.path(), fs::path(root) / staged);
      swap.moves.emplace_back(staged.string(), rel.string());
    }
    for (const auto& e : fs::recursive_directory_iterator(fs::path(root) / "data/quote_tick")) {
      if (e.is_regular_file()) swap.removes.push_back(fs::relative(e.path(), root).string());
    }
    std::sort(swap.moves.begin(), swap.moves.end());
    std::sort(swap.removes.begin(), swap.removes.end());
    return swap;
  }

  CompactSummary compacted_;
};

TEST_F(CatalogChainTest, CompactGivesTheSameStreamEveryFieldAndTie) {
  const std::string a = Root("a");
  const std::string b = Root("b");
  ASSERT_NO_FATAL_FAILURE(MakeBoth(a, b));
  EXPECT_EQ(compacted_.files_read, 12u);
  EXPECT_EQ(compacted_.instruments, 7u);
  // Days x groups: NIFTY 50.NSE and NIFTY BANK.NSE both days, XYZ.NSE on the first.
  EXPECT_EQ(compacted_.chain_files, 5u);
  EXPECT_TRUE(fs::is_directory(fs::path(b) / "data/chain/quote_tick/NIFTY 50.NSE"));
  EXPECT_TRUE(fs::is_directory(fs::path(b) / "data/chain/quote_tick/NIFTY BANK.NSE"));
  EXPECT_FALSE(fs::exists(fs::path(b) / "data/quote_tick/NIFTY 50.NSE"));
  EXPECT_FALSE(fs::exists(fs::path(b) / ".compact"));

  for (bool prefetch : {true, false}) {
    CatalogQuery q;
    q.prefetch = prefetch;
    const auto before = ReadAll(a, q);
    ASSERT_EQ(before.size(), 40u * 2 + 30 * 7 + 20 * 2 + 3);
    EXPECT_EQ(ReadAll(b, q), before);
  }
  // Files lists a chain file as one entry per instrument, with its own range and rows.
  auto cat = Catalog::Open(b);
  ASSERT_TRUE(cat.ok());
  auto files = (*cat)->Files(CatalogDataType::kQuote, {"NIFTY24JAN21400PE.NFO"});
  ASSERT_TRUE(files.ok()) << files.error();
  ASSERT_EQ(files->size(), 1u);
  EXPECT_TRUE(files->front().chain);
  EXPECT_EQ(files->front().rows, 30u);
  EXPECT_EQ(files->front().identifier, "NIFTY24JAN21400PE.NFO");
  EXPECT_EQ(files->front().start.value, kDay1 + 3 * kNanosPerMinute);
}

TEST_F(CatalogChainTest, GlobsAndTimeRangesSelectTheSameRowsInBothLayouts) {
  const std::string a = Root("a");
  const std::string b = Root("b");
  ASSERT_NO_FATAL_FAILURE(MakeBoth(a, b));
  const std::vector<std::vector<std::string>> globs = {
      {"NIFTY24JAN*CE.NFO"}, {"NIFTY 50.NSE"}, {"BANK*", "XYZ.NSE"}, {"NOPE*"}};
  for (const auto& g : globs) {
    for (int range = 0; range < 3; ++range) {
      CatalogQuery q;
      q.instruments = g;
      if (range >= 1) q.start = UnixNanos(kDay1 + 10 * kNanosPerMinute);
      if (range == 2) q.end = UnixNanos(kDay2 + 5 * kNanosPerMinute);
      const auto expected = ReadAll(a, q);
      EXPECT_EQ(ReadAll(b, q), expected) << g.front() << " range " << range;
      if (g.front() != "NOPE*") {
        EXPECT_FALSE(expected.empty());
      }
    }
  }
}

TEST_F(CatalogChainTest, CompactIsIdempotent) {
  const std::string b = Root("b");
  MakePerInstrument(b);
  auto cat = Catalog::Open(b);
  ASSERT_TRUE(cat.ok());
  ASSERT_TRUE(CompactCatalog(**cat).ok());
  const auto once = Snapshot(b);
  auto again = CompactCatalog(**cat);
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(again->files_read, 0u);
  EXPECT_EQ(again->chain_files, 0u);
  EXPECT_EQ(Snapshot(b), once);
}

TEST_F(CatalogChainTest, WriterOrdersTiesAsTheMergeAndCompactWritesTheSameBytes) {
  // The synthetic writer's path: quotes handed over in generation order (not sorted by id at
  // equal times) give the same files as compacting the per-instrument layout.
  const std::string a = Root("a");
  const std::string b = Root("b");
  MakePerInstrument(a);
  {
    auto src = Catalog::Open(a);
    ASSERT_TRUE(src.ok());
    auto dst = Catalog::Open(b);
    ASSERT_TRUE(dst.ok());
    auto defs = (*src)->Instruments();
    ASSERT_TRUE(defs.ok());
    ChainWriter w(**dst);
    for (const Instrument& i : *defs) w.Define(i);
    CatalogQuery q;
    auto s = (*src)->Read(q);
    ASSERT_TRUE(s.ok());
    std::vector<MarketData> all;
    std::vector<MarketData> buf;
    while ((*s)->Next(buf, 1000).ok() && !buf.empty())
      all.insert(all.end(), buf.begin(), buf.end());
    // Reverse the instruments at each time (a stable sort by time, descending id).
    std::stable_sort(all.begin(), all.end(), [](const MarketData& x, const MarketData& y) {
      const auto& p = std::get<QuoteTick>(x);
      const auto& r = std::get<QuoteTick>(y);
      return p.ts_init < r.ts_init ||
             (p.ts_init == r.ts_init && p.instrument_id.value() > r.instrument_id.value());
    });
    for (const MarketData& d : all) ASSERT_TRUE(w.Add(std::get<QuoteTick>(d)).ok());
    ASSERT_TRUE(w.Finish().ok());
    EXPECT_EQ(w.files_written(), 5u);
  }
  auto cat = Catalog::Open(a);
  ASSERT_TRUE(cat.ok());
  ASSERT_TRUE(CompactCatalog(**cat).ok());
  auto chain_files = [](const std::string& root) {
    return Snapshot((fs::path(root) / "data/chain").string());
  };
  EXPECT_EQ(chain_files(b), chain_files(a));
}

TEST_F(CatalogChainTest, CorruptOrMissingChainFilesAreNamed) {
  const std::string b = Root("b");
  MakePerInstrument(b);
  auto cat = Catalog::Open(b);
  ASSERT_TRUE(cat.ok());
  ASSERT_TRUE(CompactCatalog(**cat).ok());
  const fs::path group = fs::path(b) / "data/chain/quote_tick/NIFTY 50.NSE";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(group)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), 2u);

  // Listed, then gone before the read.
  auto listed = (*cat)->Files(CatalogDataType::kQuote);
  ASSERT_TRUE(listed.ok());
  fs::rename(files[1], files[1].string() + ".away");
  auto stream = ReadParquetFiles(CatalogDataType::kQuote, *listed, CatalogQuery{});
  ASSERT_FALSE(stream.ok());
  EXPECT_NE(stream.error().find(files[1].string()), std::string::npos) << stream.error();
  EXPECT_NE(stream.error().find("no such file"), std::string::npos) << stream.error();
  fs::rename(files[1].string() + ".away", files[1]);

  // Garbage in place of a chain file.
  std::ofstream(files[0], std::ios::binary | std::ios::trunc) << "not parquet at all";
  auto bad = (*cat)->Files(CatalogDataType::kQuote);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find(files[0].string()), std::string::npos) << bad.error();

  // A Parquet file without the chain metadata.
  fs::remove(files[0]);
  const std::string plain = (fs::path(b) / "data/quote_tick/XYZ.NSE").string();
  ASSERT_FALSE(fs::exists(plain));
  auto other = Catalog::Open(Root("c"));
  ASSERT_TRUE(other.ok());
  std::vector<QuoteTick> one = {Quote("XYZ.NSE", kDay1, 1)};
  ASSERT_TRUE((*other)->WriteQuotes(MustInstrumentId("XYZ.NSE"), one).ok());
  for (const auto& e : fs::recursive_directory_iterator(Root("c") + "/data/quote_tick")) {
    if (e.is_regular_file()) fs::copy_file(e.path(), files[0]);
  }
  auto unmarked = (*cat)->Files(CatalogDataType::kQuote);
  ASSERT_FALSE(unmarked.ok());
  EXPECT_NE(unmarked.error().find(files[0].string()), std::string::npos) << unmarked.error();
  EXPECT_NE(unmarked.error().find("not a chain file"), std::string::npos) << unmarked.error();
}

TEST_F(CatalogChainTest, ChainWritesAreCheckedAndOverlapsRefused) {
  auto cat = Catalog::Open(Root("b"));
  ASSERT_TRUE(cat.ok());
  std::vector<QuoteTick> q = {Quote("A.NSE", kDay1, 1), Quote("B.NSE", kDay1, 2),
                              Quote("A.NSE", kDay1 + 5, 3)};
  ASSERT_TRUE((*cat)->WriteChainQuotes("G", q).ok());
  auto overlap = (*cat)->WriteChainQuotes("G", q);
  ASSERT_FALSE(overlap.ok());
  EXPECT_NE(overlap.error().find("overlaps"), std::string::npos) << overlap.error();
  std::vector<QuoteTick> back = {Quote("A.NSE", kDay2 + 5, 1), Quote("A.NSE", kDay2, 2)};
  auto s = (*cat)->WriteChainQuotes("G", back);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("decreases"), std::string::npos) << s.error();
  std::vector<QuoteTick> mixed = {Quote("A.NSE", kDay2, 1), Quote("B.NSE", kDay2, 2)};
  mixed[1].bid_price = Price::Raw(mixed[1].bid_price.raw(), 3);
  s = (*cat)->WriteChainQuotes("G", mixed);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("precision"), std::string::npos) << s.error();
}

TEST_F(CatalogChainTest, ReadRefusesQuotesHeldInBothLayouts) {
  // The chain files moved in, the per-instrument files not yet removed (a crash in the swap
  // of a compact without the marker, or files copied by hand): never read twice.
  const std::string a = Root("a");
  const std::string b = Root("b");
  ASSERT_NO_FATAL_FAILURE(MakeBoth(a, b));
  fs::copy(fs::path(b) / "data/chain", fs::path(a) / "data/chain", fs::copy_options::recursive);
  auto cat = Catalog::Open(a);
  ASSERT_TRUE(cat.ok()) << cat.error();
  auto s = (*cat)->Read(CatalogQuery{});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("both layouts"), std::string::npos) << s.error();
  EXPECT_NE(s.error().find(a + "/data/quote_tick/"), std::string::npos) << s.error();
  EXPECT_NE(s.error().find(a + "/data/chain/quote_tick/"), std::string::npos) << s.error();
  // Outside the overlap (or without the chain copy) the read goes ahead.
  CatalogQuery later;
  later.start = UnixNanos(kDay2 + 7 * kNanosPerDay);
  EXPECT_TRUE((*cat)->Read(later).ok());
  fs::remove_all(fs::path(a) / "data/chain");
  CatalogQuery q;
  EXPECT_EQ(ReadAll(a, q).size(), 40u * 2 + 30 * 7 + 20 * 2 + 3);
}

TEST_F(CatalogChainTest, CompactSwapInterruptedAfterAnyStepIsCompletedOnOpen) {
  const std::string a = Root("a");
  const std::string b = Root("b");
  ASSERT_NO_FATAL_FAILURE(MakeBoth(a, b));
  const auto expected = ReadAll(a, CatalogQuery{});
  const auto chain = Snapshot(b + "/data/chain");
  const std::size_t steps = 5 + 12;  // chain files moved in, per-instrument files removed
  for (std::size_t k = 0; k <= steps; ++k) {
    const std::string c = Root("c") + std::to_string(k);
    MakePerInstrument(c);
    const CompactSwap swap = StageCompact(c, b);
    ASSERT_EQ(swap.moves.size() + swap.removes.size(), steps);
    ASSERT_TRUE(RunCompactSwap(c, swap, k).ok()) << k;  // then "crash"
    EXPECT_EQ(fs::exists(CompactSwapMarker(c)), k < steps) << k;
    auto cat = Catalog::Open(c);
    ASSERT_TRUE(cat.ok()) << k << ": " << cat.error();
    if (k < steps) {
      ASSERT_EQ((*cat)->recovered().size(), 1u) << k;
      const std::string& note = (*cat)->recovered().front();
      EXPECT_NE(note.find("interrupted"), std::string::npos) << note;
      EXPECT_NE(note.find("completed it: 5 chain files now in place"), std::string::npos) << note;
      EXPECT_NE(note.find(CompactSwapMarker(c)), std::string::npos) << note;
    } else {
      EXPECT_TRUE((*cat)->recovered().empty());
    }
    EXPECT_FALSE(fs::exists(CompactSwapMarker(c))) << k;
    EXPECT_FALSE(fs::exists(c + "/.compact")) << k;
    EXPECT_FALSE(fs::exists(c + "/data/quote_tick")) << k;
    EXPECT_EQ(Snapshot(c + "/data/chain"), chain) << k;
    EXPECT_EQ(ReadAll(c, CatalogQuery{}), expected) << k;
    // A compact after it has nothing left to do.
    auto again = CompactCatalog(**cat);
    ASSERT_TRUE(again.ok()) << again.error();
    EXPECT_EQ(again->files_read, 0u);
    EXPECT_TRUE(again->recovered.empty());
  }
}

TEST_F(CatalogChainTest, CompactFinishesASwapInterruptedAfterItsCatalogWasOpened) {
  const std::string b = Root("b");
  const std::string c = Root("c");
  ASSERT_NO_FATAL_FAILURE(MakeCompacted(b));
  MakePerInstrument(c);
  auto cat = Catalog::Open(c);
  ASSERT_TRUE(cat.ok());
  ASSERT_TRUE(RunCompactSwap(c, StageCompact(c, b), 7).ok());
  auto sum = CompactCatalog(**cat);
  ASSERT_TRUE(sum.ok()) << sum.error();
  ASSERT_EQ(sum->recovered.size(), 1u);
  EXPECT_NE(sum->recovered.front().find("completed it"), std::string::npos);
  EXPECT_EQ(sum->files_read, 0u);
  EXPECT_EQ(Snapshot(c + "/data/chain"), Snapshot(b + "/data/chain"));
}

TEST_F(CatalogChainTest, CompactSwapMissingAChainFileIsRolledBack) {
  const std::string a = Root("a");
  const std::string b = Root("b");
  const std::string c = Root("c");
  ASSERT_NO_FATAL_FAILURE(MakeBoth(a, b));
  MakePerInstrument(c);
  const CompactSwap swap = StageCompact(c, b);
  ASSERT_TRUE(RunCompactSwap(c, swap, 2).ok());
  // A staged file not yet moved is lost (e.g. its disk block gone): keep the old layout.
  fs::remove(c + "/" + swap.moves[3].first);
  auto cat = Catalog::Open(c);
  ASSERT_TRUE(cat.ok()) << cat.error();
  ASSERT_EQ((*cat)->recovered().size(), 1u);
  const std::string& note = (*cat)->recovered().front();
  EXPECT_NE(note.find("rolled it back"), std::string::npos) << note;
  EXPECT_NE(note.find(swap.moves[3].second), std::string::npos) << note;
  EXPECT_NE(note.find("2 chain files already moved in removed"), std::string::npos) << note;
  EXPECT_TRUE(Snapshot(c + "/data/chain").empty());
  EXPECT_FALSE(fs::exists(CompactSwapMarker(c)));
  EXPECT_FALSE(fs::exists(c + "/.compact"));
  EXPECT_EQ(ReadAll(c, CatalogQuery{}), ReadAll(a, CatalogQuery{}));
}

TEST_F(CatalogChainTest, CompactSwapThatCanNeitherFinishNorRollBackRefusesToOpen) {
  const std::string b = Root("b");
  const std::string c = Root("c");
  ASSERT_NO_FATAL_FAILURE(MakeCompacted(b));
  MakePerInstrument(c);
  const CompactSwap swap = StageCompact(c, b);
  ASSERT_TRUE(RunCompactSwap(c, swap, swap.moves.size() + 1).ok());
  fs::remove(c + "/" + swap.moves[0].second);
  auto cat = Catalog::Open(c);
  ASSERT_FALSE(cat.ok());
  EXPECT_NE(cat.error().find(CompactSwapMarker(c)), std::string::npos) << cat.error();
  EXPECT_NE(cat.error().find(swap.moves[0].second), std::string::npos) << cat.error();
  EXPECT_NE(cat.error().find(swap.removes[0]), std::string::npos) << cat.error();
  EXPECT_TRUE(fs::exists(CompactSwapMarker(c)));  // left for the user to resolve

  // A marker cut short is named too.
  const std::string d = Root("d");
  fs::create_directories(d);
  std::ofstream(CompactSwapMarker(d)) << "nacre compact swap 1\nmove\ta\tb\n";
  auto cut = Catalog::Open(d);
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.error().find(CompactSwapMarker(d)), std::string::npos) << cut.error();
  EXPECT_NE(cut.error().find("no 'end' line"), std::string::npos) << cut.error();
}

TEST_F(CatalogChainTest, FilesListsBothLayoutsByIdentifierThenStart) {
  // A compacted catalog (entries of several chain files and groups) plus per-instrument files
  // of a contract added later: one list sorted by (identifier, start), each file once per
  // instrument it holds, every entry where its data is.
  const std::string root = Root("c");
  ASSERT_NO_FATAL_FAILURE(MakeCompacted(root));
  auto cat = Catalog::Open(root);
  ASSERT_TRUE(cat.ok()) << cat.error();
  const std::string late = "NIFTY24JAN21700CE.NFO";
  for (std::int64_t day : {kDay2, kDay1}) {  // written out of order
    const std::vector<QuoteTick> one = {Quote(late, day, 1)};
    ASSERT_TRUE((*cat)->WriteQuotes(MustInstrumentId(late), one).ok());
  }
  auto files = (*cat)->Files(CatalogDataType::kQuote);
  ASSERT_TRUE(files.ok()) << files.error();
  std::size_t chain_entries = 0;
  std::map<std::string, int> per_instrument;
  for (std::size_t i = 0; i < files->size(); ++i) {
    const CatalogFile& f = (*files)[i];
    if (i > 0) {
      const CatalogFile& p = (*files)[i - 1];
      EXPECT_TRUE(p.identifier < f.identifier || (p.identifier == f.identifier && p.start < f.start))
          << i << ": " << p.identifier << " " << p.start.value << " then " << f.identifier << " "
          << f.start.value;
    }
    if (f.chain) {
      ++chain_entries;
      ASSERT_TRUE(f.meta.has_value());
      EXPECT_EQ(CatalogIdentifier(f.meta->instrument_id), f.identifier);
      EXPECT_NE(f.path.find("/data/chain/quote_tick/"), std::string::npos) << f.path;
    } else {
      ++per_instrument[f.identifier];
    }
  }
  EXPECT_EQ(per_instrument, (std::map<std::string, int>{{"NIFTY24JAN21700CE.NFO", 2}}));
  // Every instrument of the fixture, on each of its days: the chain files' member lists.
  std::size_t members = 0;
  for (const auto& e : fs::recursive_directory_iterator(fs::path(root) / "data/chain")) {
    if (!e.is_regular_file()) continue;
    auto meta = ReadParquetDataMeta((*cat)->connection(), e.path().string());
    ASSERT_TRUE(meta.ok()) << meta.error();
    members += meta->members.size();
  }
  EXPECT_GT(members, 0u);
  EXPECT_EQ(chain_entries, members);
  // The read streams them all, in time order.
  const auto items = ReadAll(root, CatalogQuery{});
  EXPECT_EQ(items.size(), 40u * 2 + 30 * 7 + 20 * 2 + 3 + 2);
}

TEST_F(CatalogChainTest, WritesOverlappingTheOtherLayoutAreRefused) {
  const std::string b = Root("b");
  ASSERT_NO_FATAL_FAILURE(MakeCompacted(b));
  auto cat = Catalog::Open(b);
  ASSERT_TRUE(cat.ok());
  const std::string opt = "NIFTY24JAN21500CE.NFO";
  std::vector<std::string> group;
  for (const auto& e : fs::directory_iterator(b + "/data/chain/quote_tick/NIFTY 50.NSE")) {
    group.push_back(e.path().string());
  }
  std::sort(group.begin(), group.end());
  ASSERT_EQ(group.size(), 2u);
  const std::string day1 = group[0];

  // Per instrument over the instrument's chain data: refused, naming the chain file.
  std::vector<QuoteTick> inside = {Quote(opt, kDay1 + 10 * kNanosPerMinute, 1)};
  auto s = (*cat)->WriteQuotes(MustInstrumentId(opt), inside);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("refused"), std::string::npos) << s.error();
  EXPECT_NE(s.error().find(day1), std::string::npos) << s.error();
  // Another instrument of the same chain file, or the same one another day, is fine.
  std::vector<QuoteTick> other = {Quote("NIFTY24JAN99999CE.NFO", kDay1 + 10 * kNanosPerMinute, 1)};
  EXPECT_TRUE((*cat)->WriteQuotes(MustInstrumentId("NIFTY24JAN99999CE.NFO"), other).ok());
  const std::int64_t day3 = FromIst(2024, 1, 3, 9, 15).value;
  std::vector<QuoteTick> later = {Quote(opt, day3, 1), Quote(opt, day3 + kNanosPerMinute, 2)};
  ASSERT_TRUE((*cat)->WriteQuotes(MustInstrumentId(opt), later).ok());

  // A chain write over per-instrument data: refused, naming the per-instrument file.
  std::vector<QuoteTick> chain = {Quote("NIFTY 50.NSE", day3, 1), Quote(opt, day3, 2)};
  s = (*cat)->WriteChainQuotes("NIFTY 50.NSE", chain);
  ASSERT_FALSE(s.ok());
  const std::string flat = b + "/data/quote_tick/" + opt + "/" +
                           CatalogFileName(UnixNanos(day3), UnixNanos(day3 + kNanosPerMinute));
  EXPECT_NE(s.error().find(flat), std::string::npos) << s.error();
  // ... and over the same instrument in another group's chain file.
  std::vector<QuoteTick> elsewhere = {Quote(opt, kDay1 + 40 * kNanosPerMinute, 2)};
  s = (*cat)->WriteChainQuotes("ELSEWHERE", elsewhere);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find(day1), std::string::npos) << s.error();
  // Without an overlap both go ahead.
  std::vector<QuoteTick> day4 = {Quote(opt, day3 + kNanosPerDay, 2)};
  EXPECT_TRUE((*cat)->WriteChainQuotes("NIFTY 50.NSE", day4).ok());
  EXPECT_TRUE((*cat)->Read(CatalogQuery{}).ok());
}

}  // namespace
}  // namespace nacre
