#include "synth/catalog_sink.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace nacre::synth {
namespace {

namespace fs = std::filesystem;

class CatalogSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("nacre_synth_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static ChainConfig Config() {
    ChainConfig c;
    c.start = {2024, 1, 3};
    c.end = {2024, 1, 5};  // crosses the 4-Jan-2024 expiry
    c.interval_minutes = 15;
    c.strikes_each_side = 3;
    c.seed = 7;
    return c;
  }

  // Generates into {dir_}/{name}; returns the sink's counters.
  std::unique_ptr<CatalogSink> Write(const std::string& name, const ChainConfig& c,
                                     std::size_t max_rows = 1'000'000) {
    auto sink = CatalogSink::Open((dir_ / name).string(), max_rows);
    EXPECT_TRUE(sink.ok()) << sink.error();
    auto stats = GenerateChains(c, NseCalendar(), **sink);
    EXPECT_TRUE(stats.ok()) << stats.error();
    if (stats.ok()) {
      EXPECT_EQ((*sink)->rows_written(), stats->quotes + 2 * stats->steps);
    }
    return std::move(*sink);
  }

  // Relative path -> file bytes, for every file under `root`.
  static std::map<std::string, std::string> Files(const fs::path& root) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      if (!e.is_regular_file()) continue;
      std::ifstream in(e.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      out[fs::relative(e.path(), root).string()] = ss.str();
    }
    return out;
  }

  fs::path dir_;
};

TEST_F(CatalogSinkTest, SameSeedGivesByteIdenticalFilesDifferentSeedDiffers) {
  Write("a", Config());
  Write("b", Config());
  ChainConfig other = Config();
  other.seed = 8;
  Write("c", other);
  const auto a = Files(dir_ / "a");
  const auto b = Files(dir_ / "b");
  const auto c = Files(dir_ / "c");
  ASSERT_GT(a.size(), 10u);
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [path, bytes] : a) {
    ASSERT_TRUE(b.count(path)) << path;
    EXPECT_TRUE(bytes == b.at(path)) << path << " differs between two runs with one seed";
  }
  int differing = 0;
  for (const auto& [path, bytes] : a) {
    if (!c.count(path) || c.at(path) != bytes) ++differing;
  }
  EXPECT_GT(differing, 0);
}

TEST_F(CatalogSinkTest, FilesFollowTheLayoutAndHoldExactValues) {
  // Record what the generator produced, then read it back from Parquet.
  class Tee : public ChainSink {
   public:
    explicit Tee(ChainSink& inner) : inner_(inner) {}
    Status OnInstrument(const Instrument& i) override { return inner_.OnInstrument(i); }
    Status OnStep(const ChainStep& s) override {
      for (const QuoteTick& q : s.quotes) {
        if (q.instrument_id.value() == "NIFTY2410421700CE.NFO") quotes.push_back(q);
      }
      return inner_.OnStep(s);
    }
    Status OnRetired(std::span<const InstrumentId> ids) override { return inner_.OnRetired(ids); }
    Status Finish() override { return inner_.Finish(); }
    std::vector<QuoteTick> quotes;

   private:
    ChainSink& inner_;
  };
  auto sink = CatalogSink::Open((dir_ / "cat").string());
  ASSERT_TRUE(sink.ok()) << sink.error();
  Tee tee(**sink);
  auto stats = GenerateChains(Config(), NseCalendar(), tee);
  ASSERT_TRUE(stats.ok()) << stats.error();
  ASSERT_FALSE(tee.quotes.empty()) << "ATM strike of the default start price not quoted";

  const fs::path folder = dir_ / "cat" / "data" / "quote_tick" / "NIFTY2410421700CE.NFO";
  ASSERT_TRUE(fs::is_directory(folder));
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(folder)) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].filename().string(), std::to_string(tee.quotes.front().ts_init.value) + "_" +
                                              std::to_string(tee.quotes.back().ts_init.value) +
                                              ".parquet");
  EXPECT_TRUE(fs::is_directory(dir_ / "cat" / "data" / "quote_tick" / "NIFTY 50.NSE"));
  EXPECT_TRUE(
      fs::is_directory(dir_ / "cat" / "data" / "bar" / "NIFTY 50.NSE-15-MINUTE-LAST-EXTERNAL"));

  auto db = duck::Database::Open();
  ASSERT_TRUE(db.ok());
  auto con = duck::Connection::Connect(**db);
  ASSERT_TRUE(con.ok());
  auto r = (*con)->Query(
      "SELECT bid_price, ask_price, bid_size, ask_size, ts_event, ts_init FROM "
      "read_parquet(" +
      duck::Quote(files[0].string()) + ")");
  ASSERT_TRUE(r.ok()) << r.error();
  std::size_t row = 0;
  while (true) {
    auto chunk = r->Fetch();
    ASSERT_TRUE(chunk.ok()) << chunk.error();
    if (chunk->empty()) break;
    for (std::size_t i = 0; i < chunk->size(); ++i, ++row) {
      ASSERT_LT(row, tee.quotes.size());
      const QuoteTick& q = tee.quotes[row];
      EXPECT_EQ(chunk->Column<std::int64_t>(0)[i], q.bid_price.raw());
      EXPECT_EQ(chunk->Column<std::int64_t>(1)[i], q.ask_price.raw());
      EXPECT_EQ(chunk->Column<std::int64_t>(2)[i], q.bid_size.raw());
      EXPECT_EQ(chunk->Column<std::int64_t>(3)[i], q.ask_size.raw());
      EXPECT_EQ(chunk->Column<std::int64_t>(4)[i], q.ts_event.value);
      EXPECT_EQ(chunk->Column<std::int64_t>(5)[i], q.ts_init.value);
    }
  }
  EXPECT_EQ(row, tee.quotes.size());

  auto meta = (*con)->Query("SELECT key::VARCHAR, value::VARCHAR FROM parquet_kv_metadata(" +
                            duck::Quote(files[0].string()) + ") ORDER BY 1");
  ASSERT_TRUE(meta.ok()) << meta.error();
  std::map<std::string, std::string> kv;
  auto chunk = meta->Fetch();
  ASSERT_TRUE(chunk.ok());
  for (std::size_t i = 0; i < chunk->size(); ++i) {
    kv[std::string(chunk->String(0, i))] = std::string(chunk->String(1, i));
  }
  EXPECT_EQ(kv["instrument_id"], "NIFTY2410421700CE.NFO");
  EXPECT_EQ(kv["price_precision"], "2");
  EXPECT_EQ(kv["size_precision"], "0");

  auto inst = (*con)->Query(
      "SELECT count(*), count(DISTINCT id), min(lot_size), max(lot_size), "
      "count(*) FILTER (WHERE instrument_class = 'INDEX') FROM read_parquet(" +
      duck::Quote((dir_ / "cat" / "instruments.parquet").string()) + ")");
  ASSERT_TRUE(inst.ok()) << inst.error();
  auto ic = inst->Fetch();
  ASSERT_TRUE(ic.ok());
  EXPECT_EQ(static_cast<std::uint64_t>(ic->Column<std::int64_t>(0)[0]), stats->instruments);
  EXPECT_EQ(ic->Column<std::int64_t>(0)[0], ic->Column<std::int64_t>(1)[0]);
  EXPECT_EQ(ic->Column<std::int64_t>(2)[0], 1 * kFixedScale);   // the index
  EXPECT_EQ(ic->Column<std::int64_t>(3)[0], 50 * kFixedScale);  // Jan-2024 NIFTY lot
  EXPECT_EQ(ic->Column<std::int64_t>(4)[0], 1);
}

TEST_F(CatalogSinkTest, LongBuffersSplitIntoFilesThatDoNotOverlap) {
  auto sink = Write("split", Config(), 40);
  // The index has 3 days x 25 steps = 75 quotes: two files of 40 and 35.
  std::vector<std::string> names;
  for (const auto& e :
       fs::directory_iterator(dir_ / "split" / "data" / "quote_tick" / "NIFTY 50.NSE")) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  ASSERT_EQ(names.size(), 2u);
  const auto end0 = std::stoll(names[0].substr(names[0].find('_') + 1));
  const auto start1 = std::stoll(names[1].substr(0, names[1].find('_')));
  EXPECT_LT(end0, start1);
}

TEST_F(CatalogSinkTest, RefusesAFolderThatAlreadyHoldsData) {
  Write("full", Config());
  auto again = CatalogSink::Open((dir_ / "full").string());
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().find("already holds data"), std::string::npos) << again.error();
  EXPECT_NE(again.error().find((dir_ / "full" / "data").string()), std::string::npos);
}

TEST_F(CatalogSinkTest, UnwritableRootIsAClearError) {
  std::ofstream(dir_ / "plain_file") << "x";
  auto sink = CatalogSink::Open((dir_ / "plain_file").string());
  ASSERT_FALSE(sink.ok());
  EXPECT_NE(sink.error().find("plain_file"), std::string::npos) << sink.error();
}

}  // namespace
}  // namespace nacre::synth
