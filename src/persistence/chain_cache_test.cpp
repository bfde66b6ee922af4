#include "persistence/chain_cache.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iterator>
#include <mutex>

#include "persistence/catalog.h"
#include "persistence/catalog_test_util.h"
#include "persistence/footer_cache.h"
#include "testkit/scratch_dir.h"

namespace nacre {
namespace {

namespace fs = std::filesystem;

const std::int64_t kDay1 = FromIst(2024, 1, 1, 9, 15).value;
const std::int64_t kDay2 = FromIst(2024, 1, 2, 9, 15).value;

using testkit::DescribeQuote;

class ChainCacheTest : public testkit::ScratchDirTest {
 protected:
  // A chain catalog: three instruments of one group over two IST days, many equal times across
  // instruments and two equal times within one (ties keep their order).
  void SetUp() override {
    ScratchDirTest::SetUp();
    root_ = (dir_ / "cat").string();
    auto c = Catalog::Open(root_);
    ASSERT_TRUE(c.ok()) << c.error();
    const std::vector<std::string> ids = {"NIFTY 50.NSE", "NIFTY24JAN21500CE.NFO",
                                          "NIFTY24JAN21500PE.NFO"};
    for (std::int64_t day : {kDay1, kDay2}) {
      std::vector<QuoteTick> qs;
      for (int i = 0; i < 50; ++i) {
        for (std::size_t j = 0; j < ids.size(); ++j) {
          if ((i + static_cast<int>(j)) % 4 == 0) continue;  // not every instrument every time
          QuoteTick q;
          q.instrument_id = MustInstrumentId(ids[j]);
          const int k = i * 3 + static_cast<int>(j);
          q.bid_price = Price::Raw((10'000 + k * 5) * Pow10(7), 2);
          q.ask_price = Price::Raw((10'010 + k * 5) * Pow10(7), 2);
          q.bid_size = Quantity::Raw((65 + k) * kFixedScale, 0);
          q.ask_size = Quantity::Raw((130 + k % 7) * kFixedScale, 0);
          q.ts_init = UnixNanos(day + (i / 2) * kNanosPerMinute);
          q.ts_event = UnixNanos(q.ts_init.value - 1 - k);
          qs.push_back(q);
        }
      }
      ASSERT_TRUE((*c)->WriteChainQuotes("NIFTY 50.NSE", qs).ok());
    }
  }

  struct Read {
    std::vector<std::string> items;
    CatalogReaderStats stats;
  };
  Read ReadAll(CatalogQuery q) const {
    Read out;
    auto c = Catalog::Open(root_);
    EXPECT_TRUE(c.ok()) << c.error();
    if (!c.ok()) return out;
    auto s = (*c)->Read(q);
    EXPECT_TRUE(s.ok()) << s.error();
    if (!s.ok()) return out;
    std::vector<MarketData> buf;
    for (;;) {
      Status st = (*s)->Next(buf, 11);
      EXPECT_TRUE(st.ok()) << st.error();
      if (!st.ok() || buf.empty()) break;
      for (const MarketData& d : buf) out.items.push_back(DescribeQuote(d));
    }
    out.stats = ReaderStats(**s);
    return out;
  }
  static CatalogQuery NoCache(CatalogQuery q = {}) {
    q.binary_cache = false;
    return q;
  }
  // The binary caches (the footer cache beside them is not one).
  std::vector<fs::path> CacheFiles() const {
    std::vector<fs::path> out;
    const fs::path dir = fs::path(root_) / ".cache";
    if (!fs::exists(dir)) return out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      if (e.is_regular_file() && e.path().extension() == ".nqc") out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  // A listing as text: every entry's fields the reader uses.
  std::vector<std::string> Listing(bool footer_cache, const std::string& root = {}) const {
    std::vector<std::string> out;
    auto c = Catalog::Open(root.empty() ? root_ : root);
    EXPECT_TRUE(c.ok()) << c.error();
    if (!c.ok()) return out;
    auto files = (*c)->Files(CatalogDataType::kQuote, {}, footer_cache);
    EXPECT_TRUE(files.ok()) << files.error();
    if (!files.ok()) return out;
    for (const CatalogFile& f : *files) {
      out.push_back(fmt::format(
          "{} {} {} {} {} {} {} {} {} {} {}", f.identifier, f.path, f.start.value, f.end.value,
          f.rows, f.chain_members, f.chain_rows, f.meta ? f.meta->instrument_id : "-",
          f.meta ? f.meta->price_precision : -9, f.meta ? f.meta->size_precision : -9, f.bytes));
    }
    return out;
  }
  std::vector<fs::path> ChainParquetFiles() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::recursive_directory_iterator(fs::path(root_) / "data")) {
      if (e.is_regular_file() && e.path().extension() == ".parquet") out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  // Saves the footer cache with the entries of `files` saying price precision 4 (what no
  // listing through DuckDB gives here), so a listing that shows it took them from the cache.
  // Each entry is looked up by `spelled(file)` (the path as a listing of some spelling of the
  // root builds it).
  ::testing::AssertionResult DoctorFooters(
      const std::vector<fs::path>& files,
      const std::function<std::string(const fs::path&)>& spelled = {}) const {
    catalog_detail::FooterCache c(root_);
    c.Load();
    for (const fs::path& p : files) {
      auto st = catalog_detail::StatChainCacheSource(p.string());
      if (!st.ok()) return ::testing::AssertionFailure() << st.error();
      const catalog_detail::FooterPairs* found = c.Find(spelled ? spelled(p) : p.string(), *st);
      if (found == nullptr) return ::testing::AssertionFailure() << "no entry for " << p;
      catalog_detail::FooterPairs pairs = *found;
      for (auto& [key, value] : pairs) {
        if (key == "price_precision") value = "4";
      }
      c.Put(p.string(), *st, pairs);
    }
    if (!c.SaveIfChanged()) return ::testing::AssertionFailure() << "cache not saved";
    return ::testing::AssertionSuccess();
  }

  std::string root_;
};

TEST_F(ChainCacheTest, AFullReadBuildsTheCacheAndLaterReadsGiveTheSameItemsFromIt) {
  for (bool prefetch : {false, true}) {
    fs::remove_all(fs::path(root_) / ".cache");
    CatalogQuery q;
    q.prefetch = prefetch;
    const Read parquet = ReadAll(NoCache(q));
    // 150 slots a day, 13 + 12 + 12 of them skipped.
    ASSERT_EQ(parquet.items.size(), 2u * (150 - 37));
    EXPECT_EQ(parquet.stats.cache_built, 0u);
    EXPECT_TRUE(parquet.stats.duckdb_opened);
    EXPECT_TRUE(CacheFiles().empty());

    const Read first = ReadAll(q);
    EXPECT_EQ(first.items, parquet.items);
    EXPECT_EQ(first.stats.cache_built, 2u);
    EXPECT_EQ(first.stats.cache_hits, 0u);
    EXPECT_TRUE(first.stats.duckdb_opened);
    const auto files = CacheFiles();
    ASSERT_EQ(files.size(), 2u);
    EXPECT_EQ(files[0].extension(), ".nqc");
    EXPECT_EQ(fs::relative(files[0], root_).begin()->string(), ".cache");

    const Read second = ReadAll(q);
    EXPECT_EQ(second.items, parquet.items);
    EXPECT_EQ(second.stats.cache_hits, 2u);
    EXPECT_EQ(second.stats.cache_built, 0u);
    EXPECT_FALSE(second.stats.duckdb_opened);  // every scan from its cache: no DuckDB at all
  }
}

// Read(query, listed) reads the listing it is given (a backtest's, made when its config was
// loaded), not a new one: with only the first day's file listed, only the first day is read.
TEST_F(ChainCacheTest, AReadOfAListingReadsWhatWasListed) {
  for (bool cached : {false, true}) {
    CatalogQuery q;
    q.binary_cache = cached;
    auto c = Catalog::Open(root_);
    ASSERT_TRUE(c.ok()) << c.error();
    auto listed = (*c)->Files(CatalogDataType::kQuote);
    ASSERT_TRUE(listed.ok()) << listed.error();
    ASSERT_FALSE(listed->empty());
    const std::string first_file = listed->front().path;
    UnixNanos first_end;
    std::vector<CatalogFile> day1;
    for (const CatalogFile& f : *listed) {
      if (f.path == first_file) {
        day1.push_back(f);
        first_end = std::max(first_end, f.end);
      }
    }
    ASSERT_LT(day1.size(), listed->size());  // the second day's file is left out
    CatalogQuery to_day1 = q;
    to_day1.end = first_end;
    const Read expected = ReadAll(to_day1);
    ASSERT_FALSE(expected.items.empty());
    auto s = (*c)->Read(q, day1);
    ASSERT_TRUE(s.ok()) << s.error();
    std::vector<std::string> items;
    std::vector<MarketData> buf;
    for (;;) {
      ASSERT_TRUE((*s)->Next(buf, 7).ok());
      if (buf.empty()) break;
      for (const MarketData& d : buf) items.push_back(DescribeQuote(d));
    }
    EXPECT_EQ(items, expected.items);
  }
}

TEST_F(ChainCacheTest, SelectionsAndTimeRangesReadFromTheCacheButOnlyWholeDaysBuildIt) {
  CatalogQuery some;
  some.instruments = {"NIFTY24JAN21500*"};
  CatalogQuery later;  // from the middle of the first day
  later.start = UnixNanos(kDay1 + 10 * kNanosPerMinute);
  CatalogQuery window;  // within the first day
  window.start = UnixNanos(kDay1 + 3 * kNanosPerMinute);
  window.end = UnixNanos(kDay1 + 7 * kNanosPerMinute);
  window.instruments = {"NIFTY24JAN21500PE.NFO"};

  // Without a cache: a range builds only the day it covers whole.
  const Read all_parquet = ReadAll(NoCache({}));
  const Read some_parquet = ReadAll(NoCache(some));
  const Read later_parquet = ReadAll(NoCache(later));
  const Read window_parquet = ReadAll(NoCache(window));
  ASSERT_FALSE(window_parquet.items.empty());
  const Read window_first = ReadAll(window);
  EXPECT_EQ(window_first.items, window_parquet.items);
  EXPECT_EQ(window_first.stats.cache_built, 0u);
  const Read later_first = ReadAll(later);
  EXPECT_EQ(later_first.items, later_parquet.items);
  EXPECT_EQ(later_first.stats.cache_built, 1u);
  EXPECT_EQ(CacheFiles().size(), 1u);
  fs::remove_all(fs::path(root_) / ".cache");

  // A selection over whole days caches every instrument of the file (the index too), so the
  // cache it built serves every later selection, the whole read included.
  const Read some_first = ReadAll(some);
  EXPECT_EQ(some_first.items, some_parquet.items);
  EXPECT_EQ(some_first.stats.cache_built, 2u);
  const Read all_cached = ReadAll({});
  EXPECT_EQ(all_cached.items, all_parquet.items);
  EXPECT_EQ(all_cached.stats.cache_hits, 2u);
  EXPECT_EQ(all_cached.stats.cache_built, 0u);
  for (const auto& [q, want] : {std::pair{some, some_parquet}, std::pair{later, later_parquet},
                                std::pair{window, window_parquet}}) {
    const Read r = ReadAll(q);
    EXPECT_EQ(r.items, want.items);
    EXPECT_GE(r.stats.cache_hits, 1u);
    EXPECT_EQ(r.stats.cache_built, 0u);
  }
}

TEST_F(ChainCacheTest, UnselectedRowsWhoseValuesFailTheChecksLeaveTheirDayUncached) {
  // A third day whose index quote carries digits beyond its precision: a read of the options
  // alone never checks that row, so it must not go into a cache a later read would trust.
  {
    auto c = Catalog::Open(root_);
    ASSERT_TRUE(c.ok()) << c.error();
    const std::int64_t day3 = kDay2 + kNanosPerDay;
    std::vector<QuoteTick> qs;
    for (const char* id : {"NIFTY 50.NSE", "NIFTY24JAN21500CE.NFO"}) {
      QuoteTick q;
      q.instrument_id = MustInstrumentId(id);
      q.bid_price = Price::Raw(10'000 * Pow10(7), 2);
      q.ask_price = Price::Raw(10'010 * Pow10(7), 2);
      q.bid_size = Quantity::Raw(65 * kFixedScale, 0);
      q.ask_size = Quantity::Raw(130 * kFixedScale, 0);
      q.ts_init = UnixNanos(day3);
      q.ts_event = q.ts_init;
      qs.push_back(q);
    }
    qs[0].bid_price = Price::Raw(10'000 * Pow10(7) + 1, 2);  // not a multiple of 0.01
    const Status w = (*c)->WriteChainQuotes("NIFTY 50.NSE", qs);
    if (!w.ok()) GTEST_SKIP() << "the writer refuses the value: " << w.error();
  }
  CatalogQuery options;
  options.instruments = {"NIFTY24JAN21500*"};
  const Read parquet = ReadAll(NoCache(options));
  const Read first = ReadAll(options);
  EXPECT_EQ(first.items, parquet.items);
  EXPECT_EQ(first.stats.cache_built, 2u);  // the two clean days only
  EXPECT_EQ(CacheFiles().size(), 2u);
  const Read second = ReadAll(options);
  EXPECT_EQ(second.items, parquet.items);
  EXPECT_EQ(second.stats.cache_hits, 2u);
  EXPECT_EQ(second.stats.cache_built, 0u);
}

TEST_F(ChainCacheTest, AStaleOrDamagedCacheIsNotUsedAndIsRebuilt) {
  const Read parquet = ReadAll(NoCache());
  ASSERT_EQ(ReadAll({}).stats.cache_built, 2u);
  const auto files = CacheFiles();
  ASSERT_EQ(files.size(), 2u);

  // Cut short (a copy from a full disk): read from Parquet, written again.
  fs::resize_file(files[0], fs::file_size(files[0]) - 5);
  Read r = ReadAll({});
  EXPECT_EQ(r.items, parquet.items);
  EXPECT_EQ(r.stats.cache_hits, 1u);
  EXPECT_EQ(r.stats.cache_built, 1u);

  // One byte of its data changed (a crash before the data reached the disk, a bad disk): the
  // checksum fails.
  {
    std::fstream f(files[0], std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(-7, std::ios::end);
    f.put('\x5a');
  }
  r = ReadAll({});
  EXPECT_EQ(r.items, parquet.items);
  EXPECT_EQ(r.stats.cache_hits, 1u);
  EXPECT_EQ(r.stats.cache_built, 1u);

  // Not a cache at all.
  std::ofstream(files[1], std::ios::binary | std::ios::trunc) << std::string(300, 'x');
  r = ReadAll({});
  EXPECT_EQ(r.items, parquet.items);
  EXPECT_EQ(r.stats.cache_built, 1u);

  // The Parquet file changed after the cache was written (its time moved): stale.
  for (const auto& e : fs::recursive_directory_iterator(fs::path(root_) / "data/chain")) {
    if (e.is_regular_file()) {
      fs::last_write_time(e.path(), fs::last_write_time(e.path()) + std::chrono::seconds(1));
    }
  }
  r = ReadAll({});
  EXPECT_EQ(r.items, parquet.items);
  EXPECT_EQ(r.stats.cache_hits, 0u);
  EXPECT_EQ(r.stats.cache_built, 2u);
  EXPECT_EQ(ReadAll({}).stats.cache_hits, 2u);
}

// A chain file replaced by a copy with the same size and modification time (cp -p, rsync -a,
// touch -r: a new inode, and a change time no copy can set back) is not taken for the file the
// caches were made from: the binary caches are rebuilt and the footer cache's (doctored)
// entries are not used.
TEST_F(ChainCacheTest, AFileReplacedWithTheSameSizeAndTimeIsNotTakenForTheOld) {
  using catalog_detail::FooterCache;
  const Read parquet = ReadAll(NoCache());
  const std::vector<std::string> plain = Listing(false);
  ASSERT_EQ(ReadAll({}).stats.cache_built, 2u);
  ASSERT_EQ(ReadAll({}).stats.cache_hits, 2u);
  const std::vector<fs::path> sources = ChainParquetFiles();
  ASSERT_EQ(sources.size(), 2u);
  ASSERT_TRUE(DoctorFooters(sources));
  ASSERT_NE(Listing(true), plain);  // the doctored entries are used while the files are theirs

  for (const fs::path& p : sources) {
    const auto mtime = fs::last_write_time(p);
    const fs::path copy = p.string() + ".copy";
    fs::copy_file(p, copy);
    fs::last_write_time(copy, mtime);
    fs::rename(copy, p);
    auto st = catalog_detail::StatChainCacheSource(p.string());
    ASSERT_TRUE(st.ok()) << st.error();
    ASSERT_EQ(fs::last_write_time(p), mtime);
  }
  EXPECT_EQ(Listing(true), plain);
  const Read r = ReadAll({});
  EXPECT_EQ(r.items, parquet.items);
  EXPECT_EQ(r.stats.cache_hits, 0u);
  EXPECT_EQ(r.stats.cache_built, 2u);
  EXPECT_EQ(ReadAll({}).stats.cache_hits, 2u);
}

TEST_F(ChainCacheTest, ACacheThatCannotBeWrittenLeavesTheReadFromParquet) {
  const Read parquet = ReadAll(NoCache());
  // {root}/.cache is a file: no cache can be written under it (as on a read-only share).
  std::ofstream(fs::path(root_) / ".cache") << "not a folder";
  for (int i = 0; i < 2; ++i) {
    const Read r = ReadAll({});
    EXPECT_EQ(r.items, parquet.items);
    EXPECT_EQ(r.stats.cache_hits, 0u);
    EXPECT_EQ(r.stats.cache_built, 0u);
    EXPECT_EQ(r.stats.cache_write_failures, 2u);
  }
}

// A listing saves the footer cache on a thread of its own: the cache it saved from is empty
// after (the entries moved to the writer), the catalog's end waits for the write (whole, every
// file), and a save into a catalog removed meanwhile makes no folder again.
TEST_F(ChainCacheTest, TheFooterCacheIsSavedBesideTheListingAndWholeOnceTheCatalogCloses) {
  using catalog_detail::FooterCache;
  const std::string cache_file = FooterCache::PathOf(root_);
  // The listing's writer is held at a gate that only a wait opens once the listing is done:
  // if the catalog's end did not wait for the save, the file would not be there after it (and
  // no timing can make it so).
  std::promise<void> gate;
  std::shared_future<void> gate_open = gate.get_future().share();
  std::atomic<bool> armed{false};
  std::once_flag opened;
  auto open = [&] { std::call_once(opened, [&] { gate.set_value(); }); };
  FooterCache::SetTestHooks([gate_open] { gate_open.wait(); },
                            [&] {
                              if (armed) open();
                            });
  struct Unhook {
    std::function<void()> open;
    ~Unhook() {
      open();  // a writer still held goes on (the process's exit waits for it)
      FooterCache::WaitForWrites();
      FooterCache::SetTestHooks(nullptr, nullptr);
    }
  } unhook{open};
  {
    auto c = Catalog::Open(root_);
    ASSERT_TRUE(c.ok()) << c.error();
    auto files = (*c)->Files(CatalogDataType::kQuote, {}, true);
    const bool held = !fs::exists(cache_file);  // the writer waits at the gate
    armed = true;  // before any return: the catalog's end must be able to open it
    ASSERT_TRUE(files.ok()) << files.error();
    EXPECT_TRUE(held);
  }  // the catalog's end: its listing's save has landed
  ASSERT_TRUE(fs::exists(cache_file));
  FooterCache saved(root_);
  saved.Load();
  EXPECT_EQ(saved.size(), 2u);

  const std::vector<fs::path> sources = ChainParquetFiles();
  ASSERT_EQ(sources.size(), 2u);
  auto st = catalog_detail::StatChainCacheSource(sources[0].string());
  ASSERT_TRUE(st.ok()) << st.error();
  catalog_detail::FooterPairs pairs = *saved.Find(sources[0].string(), *st);
  pairs.emplace_back("note", "saved in the background");
  saved.Put(sources[0].string(), *st, pairs);
  saved.SaveIfChangedInBackground();
  EXPECT_EQ(saved.size(), 0u);
  FooterCache reread(root_);
  reread.Load();  // waits for this process's save
  ASSERT_EQ(reread.size(), 2u);
  ASSERT_NE(reread.Find(sources[0].string(), *st), nullptr);
  EXPECT_EQ(reread.Find(sources[0].string(), *st)->back().second, "saved in the background");

  reread.Put(sources[1].string(), *catalog_detail::StatChainCacheSource(sources[1].string()),
             pairs);
  fs::remove_all(root_);
  reread.SaveIfChangedInBackground();
  FooterCache::WaitForWrites();
  EXPECT_FALSE(fs::exists(root_));
}

// A catalog named with a trailing slash ("cat/": its files are "cat//data/...") uses the same
// cache as "cat": the entries recorded through one spelling are found through the other.
TEST_F(ChainCacheTest, TheFooterCacheIsTheSameForEverySpellingOfTheRoot) {
  using catalog_detail::FooterCache;
  const std::vector<std::string> plain = Listing(false);
  const std::vector<std::string> plain_slash = Listing(false, root_ + "/");  // paths as built
  ASSERT_EQ(Listing(true, root_ + "/"), plain_slash);
  FooterCache c(root_);
  c.Load();
  ASSERT_EQ(c.size(), 2u);  // recorded under the paths relative to the root
  // Doctored entries are what a listing through "cat//" shows: proof they are found.
  ASSERT_TRUE(DoctorFooters(ChainParquetFiles(), [&](const fs::path& p) {
    return root_ + "//data/" + fs::relative(p, fs::path(root_) / "data").string();
  }));
  EXPECT_NE(Listing(true, root_ + "/"), plain_slash);
  EXPECT_EQ(Listing(false, root_ + "/"), plain_slash);
  EXPECT_NE(Listing(true), plain);
}

// The footer cache: a listing with it records each chain file's footer as read; the next
// listing takes them from it (the same entries); a file changed since, or a damaged cache, is
// read through DuckDB again; a listing without it neither reads nor writes it.
TEST_F(ChainCacheTest, TheFooterCacheGivesTheListingDuckDBGivesUntilAFileChanges) {
  using catalog_detail::FooterCache;
  const std::string cache_file = FooterCache::PathOf(root_);
  const std::vector<std::string> plain = Listing(false);
  ASSERT_EQ(plain.size(), 6u);  // three instruments in each of two day files
  EXPECT_FALSE(fs::exists(cache_file));

  EXPECT_EQ(Listing(true), plain);
  ASSERT_TRUE(fs::exists(cache_file));
  const std::vector<fs::path> sources = ChainParquetFiles();
  ASSERT_EQ(sources.size(), 2u);
  {
    FooterCache c(root_);
    c.Load();
    EXPECT_EQ(c.size(), 2u);
    auto con = Catalog::Open(root_);
    ASSERT_TRUE(con.ok());
    for (const fs::path& p : sources) {
      auto st = catalog_detail::StatChainCacheSource(p.string());
      ASSERT_TRUE(st.ok()) << st.error();
      const catalog_detail::FooterPairs* pairs = c.Find(p.string(), *st);
      ASSERT_NE(pairs, nullptr) << p;
      // What the cache gives is what the footer gives through DuckDB.
      auto direct = ReadParquetDataMeta((*con)->connection(), p.string());
      ASSERT_TRUE(direct.ok()) << direct.error();
      const ParquetDataMeta cached = catalog_detail::MetaFromFooterPairs(*pairs);
      EXPECT_TRUE(cached.chain);
      EXPECT_EQ(cached.price_precision, direct->price_precision);
      EXPECT_EQ(cached.size_precision, direct->size_precision);
      ASSERT_EQ(cached.members.size(), direct->members.size());
      for (std::size_t i = 0; i < cached.members.size(); ++i) {
        EXPECT_EQ(cached.members[i].instrument_id, direct->members[i].instrument_id);
        EXPECT_EQ(cached.members[i].first, direct->members[i].first);
        EXPECT_EQ(cached.members[i].last, direct->members[i].last);
        EXPECT_EQ(cached.members[i].rows, direct->members[i].rows);
      }
    }
  }
  EXPECT_EQ(Listing(true), plain);

  // A cache entry whose pairs say something else is what the next listing shows while the
  // file is unchanged (proof it is used), and is not used once the file's time changes.
  ASSERT_TRUE(DoctorFooters({sources[0]}));
  const std::vector<std::string> doctored = Listing(true);
  ASSERT_EQ(doctored.size(), plain.size());
  EXPECT_NE(doctored, plain);
  fs::last_write_time(sources[0], fs::last_write_time(sources[0]) + std::chrono::seconds(2));
  EXPECT_EQ(Listing(true), plain);  // read again through DuckDB, and recorded
  EXPECT_EQ(Listing(true), plain);

  // A damaged cache file is not used (and is rewritten whole): here a precision's digit, which
  // would otherwise be read as a valid footer saying something else.
  {
    std::string bytes;
    {
      std::ifstream in(cache_file, std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    const std::size_t key = bytes.find("price_precision");
    ASSERT_NE(key, std::string::npos);
    const std::size_t digit = key + std::string("price_precision").size() + 4;  // past u32 length
    ASSERT_LT(digit, bytes.size());
    ASSERT_TRUE(bytes[digit] >= '0' && bytes[digit] <= '9');
    bytes[digit] = bytes[digit] == '4' ? '5' : '4';
    std::ofstream out(cache_file, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  EXPECT_EQ(Listing(true), plain);
  {
    FooterCache c(root_);
    c.Load();
    EXPECT_EQ(c.size(), 2u);
  }

  // A listing without it (a read with the binary cache off) does not read it: a doctored
  // cache changes nothing.
  ASSERT_TRUE(DoctorFooters({sources[1]}));
  EXPECT_EQ(Listing(false), plain);
  fs::remove_all(fs::path(root_) / ".cache");
  const Read no_cache = ReadAll(NoCache());
  EXPECT_FALSE(fs::exists(cache_file));
}

TEST(ChainCachePath, MirrorsTheFileUnderTheCatalogsCacheFolderOnly) {
  EXPECT_EQ(catalog_detail::ChainCachePath(
                "/data/cat", "/data/cat/data/chain/quote_tick/NIFTY 50.NSE/a_b.parquet"),
            "/data/cat/.cache/data/chain/quote_tick/NIFTY 50.NSE/a_b.nqc");
  EXPECT_EQ(catalog_detail::ChainCachePath("/data/cat", "/elsewhere/a_b.parquet"), "");
  EXPECT_EQ(catalog_detail::ChainCachePath("", "/data/cat/a_b.parquet"), "");
}

}  // namespace
}  // namespace nacre
