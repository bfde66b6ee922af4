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
                                     std::size_t max_rows = 1'000'000,
                                     CatalogLayout layout = CatalogLayout::kPerInstrument) {
    auto sink = CatalogSink::Open((dir_ / name).string(), max_rows, layout);
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

  EXPECT_TRUE(fs::is_directory(dir_ / "cat" / "data" / "quote_tick" / "NIFTY2410421700CE.NFO"));
  EXPECT_TRUE(fs::is_directory(dir_ / "cat" / "data" / "quote_tick" / "NIFTY 50.NSE"));
  EXPECT_TRUE(
      fs::is_directory(dir_ / "cat" / "data" / "bar" / "NIFTY 50.NSE-15-MINUTE-LAST-EXTERNAL"));

  // Read back through the catalog: one file spanning the contract's quotes, exact values.
  auto catalog = Catalog::Open((dir_ / "cat").string());
  ASSERT_TRUE(catalog.ok()) << catalog.error();
  auto files = (*catalog)->Files(CatalogDataType::kQuote, {"NIFTY2410421700CE.NFO"});
  ASSERT_TRUE(files.ok()) << files.error();
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0].start, tee.quotes.front().ts_init);
  EXPECT_EQ((*files)[0].end, tee.quotes.back().ts_init);
  CatalogQuery query;
  query.instruments = {"NIFTY2410421700CE.NFO"};
  auto stream = (*catalog)->Read(query);
  ASSERT_TRUE(stream.ok()) << stream.error();
  std::vector<QuoteTick> read;
  std::vector<MarketData> chunk;
  while (true) {
    ASSERT_TRUE((*stream)->Next(chunk, 1000).ok());
    if (chunk.empty()) break;
    for (const MarketData& d : chunk) read.push_back(std::get<QuoteTick>(d));
  }
  ASSERT_EQ(read.size(), tee.quotes.size());
  for (std::size_t i = 0; i < read.size(); ++i) {
    const QuoteTick& a = read[i];
    const QuoteTick& b = tee.quotes[i];
    ASSERT_EQ(a.instrument_id, b.instrument_id);
    ASSERT_EQ(a.bid_price.raw(), b.bid_price.raw());
    ASSERT_EQ(a.bid_price.precision(), 2);
    ASSERT_EQ(a.ask_price.raw(), b.ask_price.raw());
    ASSERT_EQ(a.bid_size.raw(), b.bid_size.raw());
    ASSERT_EQ(a.ask_size.raw(), b.ask_size.raw());
    ASSERT_EQ(a.ts_event, b.ts_event);
    ASSERT_EQ(a.ts_init, b.ts_init);
  }

  // Every instrument is defined once, with its lot; the index is there too.
  auto instruments = (*catalog)->Instruments();
  ASSERT_TRUE(instruments.ok()) << instruments.error();
  EXPECT_EQ(instruments->size(), stats->instruments);
  int indices = 0;
  for (const Instrument& i : *instruments) {
    if (i.instrument_class == InstrumentClass::kIndex) {
      ++indices;
      EXPECT_EQ(i.id.value(), "NIFTY 50.NSE");
    } else {
      EXPECT_EQ(i.lot_size, Quantity::FromInt(50)) << i.id.value();  // Jan-2024 NIFTY lot
      EXPECT_EQ(Weekday(IstDate(i.expiration)), kThursday) << i.id.value();
    }
  }
  EXPECT_EQ(indices, 1);
}

TEST_F(CatalogSinkTest, LongBuffersSplitIntoFilesThatDoNotOverlap) {
  auto sink = Write("split", Config(), 40);
  // The index has 3 days x 25 steps = 75 quotes: two files of 40 and 35.
  auto catalog = Catalog::Open((dir_ / "split").string());
  ASSERT_TRUE(catalog.ok()) << catalog.error();
  auto files = (*catalog)->Files(CatalogDataType::kQuote, {"NIFTY 50.NSE"});
  ASSERT_TRUE(files.ok()) << files.error();
  ASSERT_EQ(files->size(), 2u);
  EXPECT_LT((*files)[0].end, (*files)[1].start);
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
  EXPECT_NE(sink.error().find("not a folder"), std::string::npos) << sink.error();
}

TEST_F(CatalogSinkTest, ChainLayoutIsThePerInstrumentCatalogCompacted) {
  // The same chain written as chain files, and per instrument then compacted: the same files,
  // byte for byte (instrument definitions and bars included).
  auto chain = Write("chain", Config(), 1'000'000, CatalogLayout::kChain);
  EXPECT_TRUE(fs::is_directory(dir_ / "chain" / "data" / "chain" / "quote_tick" / "NIFTY 50.NSE"));
  EXPECT_FALSE(fs::exists(dir_ / "chain" / "data" / "quote_tick"));
  Write("flat", Config());
  auto flat = Catalog::Open((dir_ / "flat").string());
  ASSERT_TRUE(flat.ok()) << flat.error();
  auto sum = CompactCatalog(**flat);
  ASSERT_TRUE(sum.ok()) << sum.error();
  EXPECT_EQ(sum->chain_files, 3u);  // one NIFTY file per trading day
  auto files = Files(dir_ / "chain");
  auto compacted = Files(dir_ / "flat");
  ASSERT_EQ(files.size(), compacted.size());
  for (const auto& [name, bytes] : files) {
    EXPECT_TRUE(compacted.count(name) == 1 && compacted[name] == bytes) << name;
  }
}

}  // namespace
}  // namespace nacre::synth
