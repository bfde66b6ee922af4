#include "persistence/catalog.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "persistence/duckdb.h"

namespace nacre {
namespace {

namespace fs = std::filesystem;

const fs::path kShared = fs::path(NACRE_SOURCE_DIR) / "../shared/data";

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("nacre_catalog_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    auto c = Catalog::Open(dir_.string());
    ASSERT_TRUE(c.ok()) << c.error();
    catalog_ = std::move(*c);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::vector<QuoteTick> Quotes(const std::string& id, std::int64_t t0, int n,
                                       std::int64_t step = kNanosPerMinute) {
    std::vector<QuoteTick> out;
    const InstrumentId iid = MustInstrumentId(id);
    for (int i = 0; i < n; ++i) {
      QuoteTick q;
      q.instrument_id = iid;
      q.bid_price = Price::Raw((10'000 + i * 5) * Pow10(7), 2);  // 100.00 + 0.05 i
      q.ask_price = Price::Raw((10'010 + i * 5) * Pow10(7), 2);
      q.bid_size = Quantity::Raw((65 + i) * kFixedScale, 0);
      q.ask_size = Quantity::Raw((130 + 65 * (i % 3)) * kFixedScale, 0);
      q.ts_event = UnixNanos(t0 + i * step - 1);
      q.ts_init = UnixNanos(t0 + i * step);
      out.push_back(q);
    }
    return out;
  }

  static std::vector<MarketData> ReadAll(DataStream& s, std::size_t chunk = 1000) {
    std::vector<MarketData> all;
    std::vector<MarketData> buf;
    for (;;) {
      Status st = s.Next(buf, chunk);
      EXPECT_TRUE(st.ok()) << st.error();
      if (!st.ok() || buf.empty()) break;
      EXPECT_LE(buf.size(), chunk);
      all.insert(all.end(), buf.begin(), buf.end());
    }
    return all;
  }

  fs::path dir_;
  std::unique_ptr<Catalog> catalog_;
};

const std::int64_t kT0 = FromUtc(2024, 1, 1, 3, 45).value;

TEST(CatalogNames, FileNameRoundTripAndBadNames) {
  const UnixNanos a(kT0 + 123);
  const UnixNanos b(kT0 + kNanosPerDay);
  const std::string name = CatalogFileName(a, b);
  EXPECT_EQ(name, "2024-01-01T03-45-00-000000123Z_2024-01-02T03-45-00-000000000Z.parquet");
  auto r = ParseCatalogFileName(name);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->first, a);
  EXPECT_EQ(r->second, b);
  EXPECT_FALSE(ParseCatalogFileName("data.parquet").ok());
  // End before start.
  EXPECT_FALSE(ParseCatalogFileName(CatalogFileName(b, a)).ok());
  EXPECT_FALSE(
      ParseCatalogFileName("2024-13-01T03-45-00-000000123Z_2024-01-02T03-45-00-000000000Z.parquet")
          .ok());
  EXPECT_EQ(CatalogIdentifier("EUR/USD.SIM"), "EURUSD.SIM");
  EXPECT_TRUE(GlobMatch("NIFTY*.NFO", "NIFTY2610624000CE.NFO"));
  EXPECT_FALSE(GlobMatch("NIFTY*.NFO", "BANKNIFTY2610624000CE.NFO"));
  EXPECT_FALSE(GlobMatch("NIFTY*.NFO", "NIFTY 50.NSE"));
}

TEST_F(CatalogTest, QuotesRoundTripExactly) {
  auto q = Quotes("NIFTY2610624000CE.NFO", kT0, 5000);
  q[7].bid_price = Price::Raw(-5 * Pow10(7), 2);  // negative prices survive too
  ASSERT_TRUE(catalog_->WriteQuotes(q[0].instrument_id, q).ok());
  const fs::path file = dir_ / "data/quote_tick/NIFTY2610624000CE.NFO" /
                        CatalogFileName(q.front().ts_init, q.back().ts_init);
  EXPECT_TRUE(fs::exists(file)) << file;
  auto s = catalog_->Read(CatalogQuery{});
  ASSERT_TRUE(s.ok()) << s.error();
  auto all = ReadAll(**s, 777);
  ASSERT_EQ(all.size(), q.size());
  for (std::size_t i = 0; i < q.size(); ++i) {
    const auto& r = std::get<QuoteTick>(all[i]);
    ASSERT_EQ(r.instrument_id, q[i].instrument_id);
    ASSERT_EQ(r.bid_price.raw(), q[i].bid_price.raw()) << i;
    ASSERT_EQ(r.bid_price.precision(), 2);
    ASSERT_EQ(r.ask_price.raw(), q[i].ask_price.raw());
    ASSERT_EQ(r.bid_size.raw(), q[i].bid_size.raw());
    ASSERT_EQ(r.ask_size.raw(), q[i].ask_size.raw());
    ASSERT_EQ(r.bid_size.precision(), 0);
    ASSERT_EQ(r.ts_event, q[i].ts_event);
    ASSERT_EQ(r.ts_init, q[i].ts_init);
  }
}

TEST_F(CatalogTest, TradesAndBarsRoundTripExactly) {
  const InstrumentId id = MustInstrumentId("NIFTY 50.NSE");
  std::vector<TradeTick> trades;
  for (int i = 0; i < 10; ++i) {
    TradeTick t;
    t.instrument_id = id;
    t.price = Price::Raw(2'172'775 * Pow10(7) + i * Pow10(4), 5);
    t.size = Quantity::Raw(1'500'000 + i, 9);
    t.aggressor_side =
        i % 3 == 0 ? OrderSide::kBuy : (i % 3 == 1 ? OrderSide::kSell : OrderSide::kNoSide);
    t.trade_id = TradeId("T-" + std::to_string(i));
    t.ts_event = UnixNanos(kT0 + i);
    t.ts_init = UnixNanos(kT0 + i);
    trades.push_back(t);
  }
  ASSERT_TRUE(catalog_->WriteTrades(id, trades).ok());
  auto bt = BarType::Parse("NIFTY 50.NSE-1-MINUTE-LAST-EXTERNAL");
  ASSERT_TRUE(bt.ok());
  std::vector<Bar> bars;
  for (int i = 0; i < 3; ++i) {
    Bar b{*bt,
          Price::Raw(21'700 * kFixedScale, 2),
          Price::Raw(21'750 * kFixedScale + 5 * Pow10(7), 2),
          Price::Raw(21'690 * kFixedScale, 2),
          Price::Raw(21'720 * kFixedScale, 2),
          Quantity::FromInt(i),
          UnixNanos(kT0 + i * kNanosPerMinute),
          UnixNanos(kT0 + (i + 1) * kNanosPerMinute)};
    bars.push_back(b);
  }
  ASSERT_TRUE(catalog_->WriteBars(*bt, bars).ok());

  CatalogQuery tq;
  tq.type = CatalogDataType::kTrade;
  auto ts = catalog_->Read(tq);
  ASSERT_TRUE(ts.ok()) << ts.error();
  auto all = ReadAll(**ts);
  ASSERT_EQ(all.size(), trades.size());
  for (std::size_t i = 0; i < trades.size(); ++i) {
    const auto& t = std::get<TradeTick>(all[i]);
    EXPECT_EQ(t.price.raw(), trades[i].price.raw());
    EXPECT_EQ(t.price.precision(), 5);
    EXPECT_EQ(t.size.raw(), trades[i].size.raw());
    EXPECT_EQ(t.size.precision(), 9);
    EXPECT_EQ(t.aggressor_side, trades[i].aggressor_side);
    EXPECT_EQ(t.trade_id, trades[i].trade_id);
    EXPECT_EQ(t.instrument_id, id);
  }
  CatalogQuery bq;
  bq.type = CatalogDataType::kBar;
  bq.instruments = {"NIFTY 50.NSE"};  // a bar's instrument id selects its bar types
  auto bs = catalog_->Read(bq);
  ASSERT_TRUE(bs.ok()) << bs.error();
  auto ball = ReadAll(**bs);
  ASSERT_EQ(ball.size(), 3u);
  const auto& b1 = std::get<Bar>(ball[1]);
  EXPECT_EQ(b1.bar_type, *bt);
  EXPECT_EQ(b1.high.raw(), bars[1].high.raw());
  EXPECT_EQ(b1.volume.raw(), kFixedScale);
  EXPECT_EQ(b1.ts_event, bars[1].ts_event);
  EXPECT_EQ(b1.ts_init, bars[1].ts_init);
}

TEST_F(CatalogTest, OverlappingWriteIsRefusedNamingTheRange) {
  const auto a = Quotes("NIFTY2610624000CE.NFO", kT0, 100);
  ASSERT_TRUE(catalog_->WriteQuotes(a[0].instrument_id, a).ok());
  const auto b = Quotes("NIFTY2610624000CE.NFO", kT0 + 50 * kNanosPerMinute, 100);
  Status s = catalog_->WriteQuotes(b[0].instrument_id, b);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("overlaps existing data [2024-01-01T03:45:00"), std::string::npos)
      << s.error();
  EXPECT_NE(s.error().find("NIFTY2610624000CE.NFO"), std::string::npos) << s.error();
  // Touching the last timestamp overlaps too; strictly after is fine; another instrument is
  // independent.
  const auto c = Quotes("NIFTY2610624000CE.NFO", kT0 + 99 * kNanosPerMinute, 10);
  EXPECT_FALSE(catalog_->WriteQuotes(c[0].instrument_id, c).ok());
  const auto d = Quotes("NIFTY2610624000CE.NFO", kT0 + 100 * kNanosPerMinute, 10);
  EXPECT_TRUE(catalog_->WriteQuotes(d[0].instrument_id, d).ok());
  const auto e = Quotes("NIFTY2610624000PE.NFO", kT0, 10);
  EXPECT_TRUE(catalog_->WriteQuotes(e[0].instrument_id, e).ok());
  // The refused write left nothing behind: 110 quotes for the CE.
  CatalogQuery q;
  q.instruments = {"NIFTY2610624000CE.NFO"};
  auto s2 = catalog_->Read(q);
  ASSERT_TRUE(s2.ok());
  EXPECT_EQ(ReadAll(**s2).size(), 110u);
}

TEST_F(CatalogTest, BadWritesAreRefused) {
  auto q = Quotes("NIFTY2610624000CE.NFO", kT0, 10);
  EXPECT_FALSE(catalog_->WriteQuotes(q[0].instrument_id, {}).ok());
  std::swap(q[3], q[4]);
  Status s = catalog_->WriteQuotes(q[0].instrument_id, q);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("decreases at item 4"), std::string::npos) << s.error();
  std::swap(q[3], q[4]);
  q[5].ask_price = Price::Raw(q[5].ask_price.raw(), 3);
  s = catalog_->WriteQuotes(q[0].instrument_id, q);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("item 5 ask_price has precision 3"), std::string::npos) << s.error();
  auto other = Quotes("NIFTY2610624000PE.NFO", kT0, 1);
  s = catalog_->WriteQuotes(other[0].instrument_id, q);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(catalog_->Files(CatalogDataType::kQuote)->empty());
}

TEST_F(CatalogTest, GlobsAndTimeRangeFilter) {
  for (const char* id : {"NIFTY2610624000CE.NFO", "NIFTY2610624000PE.NFO",
                         "BANKNIFTY2610650000CE.NFO", "NIFTY 50.NSE"}) {
    auto q = Quotes(id, kT0, 60);
    ASSERT_TRUE(catalog_->WriteQuotes(q[0].instrument_id, q).ok());
  }
  CatalogQuery q;
  q.instruments = {"NIFTY*.NFO"};
  auto files = catalog_->Files(CatalogDataType::kQuote, q.instruments);
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 2u);
  q.start = UnixNanos(kT0 + 10 * kNanosPerMinute);
  q.end = UnixNanos(kT0 + 19 * kNanosPerMinute);
  auto s = catalog_->Read(q);
  ASSERT_TRUE(s.ok());
  auto all = ReadAll(**s);
  ASSERT_EQ(all.size(), 20u);
  for (const auto& d : all) {
    const auto& t = std::get<QuoteTick>(d);
    EXPECT_TRUE(t.instrument_id.value().starts_with("NIFTY26")) << t.instrument_id.value();
    EXPECT_GE(t.ts_init, *q.start);
    EXPECT_LE(t.ts_init, *q.end);
  }
  // Exact id and several patterns.
  CatalogQuery exact;
  exact.instruments = {"NIFTY 50.NSE", "BANK*"};
  auto s2 = catalog_->Read(exact);
  ASSERT_TRUE(s2.ok());
  EXPECT_EQ(ReadAll(**s2).size(), 120u);
}

TEST_F(CatalogTest, MergeOrdersByTsInitThenFileOrderAndHoldsFewFiles) {
  // Two instruments at the same minutes (ties), a third offset by 30 s; each instrument's
  // data split into 10 consecutive files of 100 rows.
  for (const char* id : {"B.NFO", "A.NFO", "C.NFO"}) {
    const std::int64_t off = std::string(id) == "C.NFO" ? 30 * kNanosPerSecond : 0;
    for (int f = 0; f < 10; ++f) {
      auto q = Quotes(id, kT0 + off + f * 100 * kNanosPerMinute, 100);
      ASSERT_TRUE(catalog_->WriteQuotes(q[0].instrument_id, q).ok());
    }
  }
  auto s = catalog_->Read(CatalogQuery{});
  ASSERT_TRUE(s.ok());
  auto all = ReadAll(**s, 64);
  ASSERT_EQ(all.size(), 3000u);
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& q = std::get<QuoteTick>(all[i]);
    const std::int64_t minute = static_cast<std::int64_t>(i / 3);
    const char* want = i % 3 == 0 ? "A.NFO" : (i % 3 == 1 ? "B.NFO" : "C.NFO");
    ASSERT_EQ(q.instrument_id.value(), want) << i;
    ASSERT_EQ(q.ts_init.value,
              kT0 + minute * kNanosPerMinute + (i % 3 == 2 ? 30 * kNanosPerSecond : 0))
        << i;
  }
  // Files are opened when the merge reaches them and closed when exhausted: at most one
  // file per instrument (plus the next one at a boundary) was open at any time.
  const CatalogReaderStats st = ReaderStats(**s);
  EXPECT_EQ(st.rows, 3000u);
  EXPECT_EQ(st.open_files, 0u);
  EXPECT_LE(st.max_open_files, 4u);
  EXPECT_GE(st.max_open_files, 3u);
  // The three instruments' files of each 100-minute block were read as one batch.
  EXPECT_EQ(st.batches, 10u);
  EXPECT_EQ(st.batches_split, 0u);
}

TEST_F(CatalogTest, FilesScannedOneByOneMergeExactlyThroughTheHeap) {
  // Files given without an identifier are never batched: each is its own scan in the k-way
  // merge. Seven
  // instruments with ties, offsets and runs (one instrument alone for a while) exercise the
  // heap's replace-top and pop paths.
  std::vector<std::pair<std::int64_t, std::string>> want;
  for (int i = 0; i < 7; ++i) {
    const std::string id = fmt::format("H{}.NFO", i);
    const std::int64_t start = kT0 + (i % 3) * 17 * kNanosPerMinute;
    const std::int64_t step = (i % 2 == 0 ? 1 : 2) * kNanosPerMinute;
    auto q = Quotes(id, start, 40 + 13 * i, step);
    ASSERT_TRUE(catalog_->WriteQuotes(q[0].instrument_id, q).ok());
    for (const QuoteTick& t : q) want.emplace_back(t.ts_init.value, id);
  }
  std::stable_sort(want.begin(), want.end());  // ties: identifier order = file order
  auto files = catalog_->Files(CatalogDataType::kQuote);
  ASSERT_TRUE(files.ok());
  for (CatalogFile& f : *files) f.identifier.clear();  // not batched: scanned alone
  auto s = ReadParquetFiles(CatalogDataType::kQuote, *files, CatalogQuery{});
  ASSERT_TRUE(s.ok());
  for (std::size_t chunk : {std::size_t{1}, std::size_t{5}, std::size_t{1000}}) {
    auto again = ReadParquetFiles(CatalogDataType::kQuote, *files, CatalogQuery{});
    ASSERT_TRUE(again.ok());
    auto all = ReadAll(**again, chunk);
    ASSERT_EQ(all.size(), want.size()) << chunk;
    for (std::size_t i = 0; i < all.size(); ++i) {
      const auto& q = std::get<QuoteTick>(all[i]);
      ASSERT_EQ(q.ts_init.value, want[i].first) << chunk << " " << i;
      ASSERT_EQ(q.instrument_id.value(), want[i].second) << chunk << " " << i;
    }
    EXPECT_EQ(ReaderStats(**again).batches, 0u);
  }
}

// Small per-contract files are scanned in batches (one query for many files); what a batch
// cannot scan is scanned file by file so errors still name the file at fault.
TEST_F(CatalogTest, BatchedScansMergeExactlyAndNameTheFileAtFault) {
  // 60 instruments with different starts and lengths, ties at every minute.
  std::vector<std::pair<std::int64_t, std::string>> want;  // (ts_init, id) in merge order
  for (int i = 0; i < 60; ++i) {
    const std::string id = fmt::format("OPT{:02}.NFO", i);
    auto q = Quotes(id, kT0 + (i % 7) * kNanosPerMinute, 20 + i);
    ASSERT_TRUE(catalog_->WriteQuotes(q[0].instrument_id, q).ok());
    for (const QuoteTick& t : q) want.emplace_back(t.ts_init.value, id);
  }
  std::stable_sort(want.begin(), want.end());  // ids sort like the files (identifier order)
  auto s = catalog_->Read(CatalogQuery{});
  ASSERT_TRUE(s.ok());
  auto all = ReadAll(**s, 97);
  ASSERT_EQ(all.size(), want.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& q = std::get<QuoteTick>(all[i]);
    ASSERT_EQ(q.ts_init.value, want[i].first) << i;
    ASSERT_EQ(q.instrument_id.value(), want[i].second) << i;
  }
  // Values are exact through a batch: OPT05's 3rd row.
  auto only = Quotes("OPT05.NFO", kT0 + 5 * kNanosPerMinute, 25);
  std::size_t seen = 0;
  for (const auto& d : all) {
    const auto& q = std::get<QuoteTick>(d);
    if (q.instrument_id.value() != "OPT05.NFO") continue;
    EXPECT_EQ(q.bid_price, only[seen].bid_price);
    EXPECT_EQ(q.ask_size, only[seen].ask_size);
    EXPECT_EQ(q.ts_event, only[seen].ts_event);
    ++seen;
  }
  EXPECT_EQ(seen, only.size());
  CatalogReaderStats st = ReaderStats(**s);
  EXPECT_EQ(st.batches, 1u);
  EXPECT_EQ(st.rows, want.size());

  // A file with no metadata among them: the batch is split and the file is named.
  auto db = duck::Database::Open();
  ASSERT_TRUE(db.ok());
  auto con = duck::Connection::Connect(**db);
  ASSERT_TRUE(con.ok());
  const fs::path plain_dir = dir_ / "data" / "quote_tick" / "PLAIN.NFO";
  fs::create_directories(plain_dir);
  const std::string plain =
      (plain_dir / CatalogFileName(UnixNanos(kT0), UnixNanos(kT0 + kNanosPerMinute))).string();
  ASSERT_TRUE((*con)
                  ->Execute(fmt::format(
                      "COPY (SELECT 1000000000::BIGINT AS bid_price, 1100000000::BIGINT AS "
                      "ask_price, 5000000000::BIGINT AS bid_size, 5000000000::BIGINT AS "
                      "ask_size, {0}::UBIGINT AS ts_event, {0}::UBIGINT AS ts_init) TO {1} "
                      "(FORMAT parquet)",
                      kT0, duck::Quote(plain)))
                  .ok());
  auto s2 = catalog_->Read(CatalogQuery{});
  ASSERT_TRUE(s2.ok());
  std::vector<MarketData> buf;
  Status err = (*s2)->Next(buf, 1000);
  ASSERT_FALSE(err.ok());
  EXPECT_NE(err.error().find(plain), std::string::npos) << err.error();
  EXPECT_NE(err.error().find("price_precision"), std::string::npos) << err.error();
  EXPECT_EQ(ReaderStats(**s2).batches_split, 1u);
  fs::remove_all(plain_dir);

  // A file whose rows go back in time, in Nacre's layout: named with the rows at fault.
  const fs::path back_dir = dir_ / "data" / "quote_tick" / "BACK.NFO";
  fs::create_directories(back_dir);
  const std::string back =
      (back_dir / CatalogFileName(UnixNanos(kT0), UnixNanos(kT0 + 2 * kNanosPerMinute))).string();
  ASSERT_TRUE(
      (*con)
          ->Execute(fmt::format(
              "COPY (SELECT * FROM (VALUES (1000000000::BIGINT, 1100000000::BIGINT, "
              "5000000000::BIGINT, 5000000000::BIGINT, {0}::UBIGINT, {0}::UBIGINT), "
              "(1000000000, 1100000000, 5000000000, 5000000000, {1}, {1}), "
              "(1000000000, 1100000000, 5000000000, 5000000000, {2}, {2})) "
              "t(bid_price, ask_price, bid_size, ask_size, ts_event, ts_init)) TO {3} "
              "(FORMAT parquet, KV_METADATA {{instrument_id: 'BACK.NFO', price_precision: '2', "
              "size_precision: '0'}})",
              kT0, kT0 + 2 * kNanosPerMinute, kT0 + kNanosPerMinute, duck::Quote(back)))
          .ok());
  auto s3 = catalog_->Read(CatalogQuery{});
  ASSERT_TRUE(s3.ok());
  Status st3 = Status::Ok();
  for (;;) {
    st3 = (*s3)->Next(buf, 1000);
    if (!st3.ok() || buf.empty()) break;
  }
  ASSERT_FALSE(st3.ok());
  EXPECT_NE(st3.error().find(back + ": row 2: ts_init"), std::string::npos) << st3.error();
  EXPECT_EQ(ReaderStats(**s3).batches, 1u);
}

TEST_F(CatalogTest, InstrumentsRoundTripAndConflicts) {
  InstrumentSpec spec;
  spec.id = MustInstrumentId("NIFTY2610624000CE.NFO");
  spec.raw_symbol = Symbol("NIFTY2610624000CE");
  spec.lot_size = Quantity::FromInt(65);
  spec.freeze_quantity = Quantity::FromInt(1800);
  auto opt =
      MakeOption(spec, MustInstrumentId("NIFTY 50.NSE"), OptionKind::kCall,
                 Price::Raw(24'000 * kFixedScale, 0), UnixNanos(kT0), FromIst(2026, 1, 6, 15, 30));
  ASSERT_TRUE(opt.ok()) << opt.error();
  auto idx = MakeIndex(MustInstrumentId("NIFTY 50.NSE"), 2, Price::Raw(5 * Pow10(7), 2));
  ASSERT_TRUE(idx.ok());
  std::vector<Instrument> ins = {*opt, *idx};
  ASSERT_TRUE(catalog_->WriteInstruments(ins).ok());
  ASSERT_TRUE(catalog_->WriteInstruments(ins).ok());  // identical again: skipped
  auto back = catalog_->Instruments();
  ASSERT_TRUE(back.ok()) << back.error();
  ASSERT_EQ(back->size(), 2u);
  const Instrument& o = (*back)[1];  // sorted by id: "NIFTY 50.NSE" < "NIFTY26..."
  EXPECT_EQ(o.id, opt->id);
  EXPECT_EQ(o.instrument_class, InstrumentClass::kOption);
  EXPECT_EQ(o.raw_symbol.value(), "NIFTY2610624000CE");
  EXPECT_EQ(o.lot_size, Quantity::FromInt(65));
  ASSERT_TRUE(o.freeze_quantity.has_value());
  EXPECT_EQ(*o.freeze_quantity, Quantity::FromInt(1800));
  EXPECT_EQ(o.strike, opt->strike);
  EXPECT_EQ(o.expiration, opt->expiration);
  EXPECT_EQ(o.underlying, opt->underlying);
  EXPECT_EQ(o.option_kind, OptionKind::kCall);
  EXPECT_FALSE((*back)[0].freeze_quantity.has_value());
  auto only = catalog_->Instruments({"NIFTY26*"});
  ASSERT_TRUE(only.ok());
  EXPECT_EQ(only->size(), 1u);
  Instrument changed = *opt;
  changed.lot_size = Quantity::FromInt(75);
  Status s = catalog_->WriteInstruments(std::span<const Instrument>(&changed, 1));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("NIFTY2610624000CE.NFO is already defined differently"),
            std::string::npos)
      << s.error();
}

// A definition whose precisions are no fixed-point grid is refused on reading, naming the file,
// the instrument and the field (not read into amounts scaled by nonsense).
TEST_F(CatalogTest, InstrumentPrecisionsOutsideTheGridAreRefusedByName) {
  for (const char* field : {"currency_precision", "price_precision", "size_precision"}) {
    SetUp();  // an empty catalog each time
    auto idx = MakeIndex(MustInstrumentId("NIFTY 50.NSE"), 2, Price::Raw(5 * Pow10(7), 2));
    ASSERT_TRUE(idx.ok());
    Instrument bad = *idx;
    if (std::string_view(field) == "currency_precision") bad.currency.precision = 12;
    if (std::string_view(field) == "price_precision") bad.price_precision = 12;
    if (std::string_view(field) == "size_precision") bad.size_precision = -1;
    ASSERT_TRUE(catalog_->WriteInstruments(std::span<const Instrument>(&bad, 1)).ok()) << field;
    auto back = catalog_->Instruments();
    ASSERT_FALSE(back.ok()) << field;
    EXPECT_NE(back.error().find(".parquet: instrument row 0 (NIFTY 50.NSE): field " +
                                std::string(field) + ": "),
              std::string::npos)
        << back.error();
    EXPECT_NE(back.error().find("outside [0, 9]"), std::string::npos) << back.error();
  }
}

TEST_F(CatalogTest, CorruptAndTruncatedFilesGiveClearErrors) {
  auto q = Quotes("X.NFO", kT0, 3000);
  ASSERT_TRUE(catalog_->WriteQuotes(q[0].instrument_id, q).ok());
  auto files = catalog_->Files(CatalogDataType::kQuote);
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 1u);
  const std::string path = (*files)[0].path;
  // Truncate to half.
  const auto size = fs::file_size(path);
  fs::resize_file(path, size / 2);
  auto s = catalog_->Read(CatalogQuery{});
  ASSERT_TRUE(s.ok());
  std::vector<MarketData> buf;
  Status st = (*s)->Next(buf, 100);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().find(path), std::string::npos) << st.error();
  // After an error the stream stays failed.
  EXPECT_FALSE((*s)->Next(buf, 100).ok());
  // Garbage with a Parquet name.
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << "PAR1 this is not parquet at all PAR1";
  }
  auto s2 = catalog_->Read(CatalogQuery{});
  ASSERT_TRUE(s2.ok());
  st = (*s2)->Next(buf, 100);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().find(path), std::string::npos) << st.error();
  // A stray file with a bad name in a data folder.
  { std::ofstream f(fs::path(path).parent_path() / "junk.parquet"); }
  auto bad = catalog_->Read(CatalogQuery{});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("junk.parquet"), std::string::npos) << bad.error();
}

TEST_F(CatalogTest, BadValuesDeepInAFileAreNamedAndCleanRowsBeforeThemAreDelivered) {
  // Whole chunks of clean raws are checked column-wise; a chunk with a bad value falls back to
  // value-by-value checks, so the row and column at fault are named exactly.
  auto db = duck::Database::Open();
  ASSERT_TRUE(db.ok());
  auto con = duck::Connection::Connect(**db);
  ASSERT_TRUE(con.ok());
  struct Case {
    std::string id;
    int bad_row;
    std::string bid_price, bid_size, ask_price;  // SQL for the bad row's values
    std::string want;
    bool null_ts_event = false;
  };
  const std::vector<Case> cases = {
      {"NEG.NFO", 3000, "1000000000", "-65000000000", "1100000000",
       "row 3000: column bid_size: quantity -65.000000000 is negative"},
      {"NUL.NFO", 4100, "1000000000", "65000000000", "NULL", "row 4100: column ask_price: NULL"},
      {"FINE.NFO", 2500, "1000000001", "65000000000", "1100000000",
       "row 2500: column bid_price: price 1.000000001 has more than 2 decimals"},
      {"TSE.NFO", 1000, "1000000000", "65000000000", "1100000000",
       "row 1000: column ts_event: NULL", true},
  };
  for (const Case& c : cases) {
    const fs::path d = dir_ / "data" / "quote_tick" / c.id;
    fs::create_directories(d);
    const std::int64_t n = 5000;
    const std::string path =
        (d / CatalogFileName(UnixNanos(kT0), UnixNanos(kT0 + (n - 1) * kNanosPerSecond))).string();
    const std::string sql = fmt::format(
        "COPY (SELECT CASE WHEN i = {1} THEN {2} ELSE 1000000000 END::BIGINT AS bid_price, "
        "CASE WHEN i = {1} THEN {4} ELSE 1100000000 END::BIGINT AS ask_price, "
        "CASE WHEN i = {1} THEN {3} ELSE 65000000000 END::BIGINT AS bid_size, "
        "65000000000::BIGINT AS ask_size, CASE WHEN i = {1} AND {8} THEN NULL ELSE {0} + i * "
        "1000000000 END::UBIGINT AS ts_event, "
        "({0} + i * 1000000000)::UBIGINT AS ts_init FROM range({5}) t(i)) TO {6} "
        "(FORMAT parquet, KV_METADATA {{instrument_id: '{7}', price_precision: '2', "
        "size_precision: '0'}})",
        kT0, c.bad_row, c.bid_price, c.bid_size, c.ask_price, n, duck::Quote(path), c.id,
        c.null_ts_event ? "true" : "false");
    ASSERT_TRUE((*con)->Execute(sql).ok()) << sql;
    CatalogQuery q;
    q.instruments = {c.id};
    auto s = catalog_->Read(q);
    ASSERT_TRUE(s.ok()) << s.error();
    std::vector<MarketData> buf;
    std::size_t delivered = 0;
    Status st = Status::Ok();
    for (;;) {
      st = (*s)->Next(buf, 256);
      delivered += buf.size();
      if (!st.ok() || buf.empty()) break;
      const auto& last = std::get<QuoteTick>(buf.back());
      EXPECT_EQ(last.bid_price, Price::Raw(Pow10(9), 2)) << c.id;
      EXPECT_EQ(last.bid_size, Quantity::FromInt(65)) << c.id;
    }
    ASSERT_FALSE(st.ok()) << c.id;
    EXPECT_EQ(st.error(), path + ": " + c.want);
    // Every row before the bad one's chunk came through, none after the bad row.
    EXPECT_GE(delivered, static_cast<std::size_t>(c.bad_row / 2048 * 2048)) << c.id;
    EXPECT_LE(delivered, static_cast<std::size_t>(c.bad_row)) << c.id;
    // With a time filter the message still gives the row's number in the file.
    q.start = UnixNanos(kT0 + 700 * kNanosPerSecond);
    auto filtered = catalog_->Read(q);
    ASSERT_TRUE(filtered.ok()) << filtered.error();
    for (;;) {
      st = (*filtered)->Next(buf, 256);
      if (!st.ok() || buf.empty()) break;
    }
    ASSERT_FALSE(st.ok()) << c.id;
    EXPECT_EQ(st.error(), path + ": " + c.want);
  }
}

TEST_F(CatalogTest, ABatchOfFilesWithDifferentPrecisionsReadsEachExactly) {
  // Small files share one scan; their precisions differ, so values keep their own file's.
  auto a = Quotes("PA.NFO", kT0, 30);
  auto b = Quotes("PB.NFO", kT0, 30);
  for (QuoteTick& q : b) {
    q.bid_price = Price::Raw(q.bid_price.raw() + 1 * Pow10(6), 3);  // one more decimal
    q.ask_price = Price::Raw(q.ask_price.raw(), 3);
    q.bid_size = Quantity::Raw(q.bid_size.raw() + 5 * Pow10(8), 1);
    q.ask_size = Quantity::Raw(q.ask_size.raw(), 1);
  }
  ASSERT_TRUE(catalog_->WriteQuotes(a[0].instrument_id, a).ok());
  ASSERT_TRUE(catalog_->WriteQuotes(b[0].instrument_id, b).ok());
  auto s = catalog_->Read(CatalogQuery{});
  ASSERT_TRUE(s.ok());
  auto all = ReadAll(**s);
  ASSERT_EQ(all.size(), 60u);
  EXPECT_EQ(ReaderStats(**s).batches, 1u);
  std::size_t ia = 0;
  std::size_t ib = 0;
  for (const auto& d : all) {
    const auto& q = std::get<QuoteTick>(d);
    const QuoteTick& want = q.instrument_id.value() == "PA.NFO" ? a[ia++] : b[ib++];
    EXPECT_EQ(q.bid_price.raw(), want.bid_price.raw());
    EXPECT_EQ(q.bid_price.precision(), want.bid_price.precision());
    EXPECT_EQ(q.bid_size.raw(), want.bid_size.raw());
    EXPECT_EQ(q.bid_size.precision(), want.bid_size.precision());
  }
  EXPECT_EQ(ia, 30u);
  EXPECT_EQ(ib, 30u);
}

TEST_F(CatalogTest, FilesWithoutMetadataNeedDefaults) {
  auto db = duck::Database::Open();
  ASSERT_TRUE(db.ok());
  auto con = duck::Connection::Connect(**db);
  ASSERT_TRUE(con.ok());
  const std::string path = (dir_ / "plain.parquet").string();
  ASSERT_TRUE((*con)
                  ->Execute("COPY (SELECT 1000000000::BIGINT AS bid_price, 1100000000::BIGINT "
                            "AS ask_price, 5000000000::BIGINT AS bid_size, 5000000000::BIGINT "
                            "AS ask_size, 7::UBIGINT AS ts_event, 7::UBIGINT AS ts_init) TO " +
                            duck::Quote(path) + " (FORMAT parquet)")
                  .ok());
  CatalogFile f{CatalogDataType::kQuote, "", path, UnixNanos(0), UnixNanos(0), std::nullopt, 0};
  CatalogQuery q;
  auto s = ReadParquetFiles(CatalogDataType::kQuote, {f}, q);
  ASSERT_TRUE(s.ok());
  std::vector<MarketData> buf;
  Status st = (*s)->Next(buf, 10);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().find("price_precision"), std::string::npos) << st.error();
  q.defaults.instrument_id = "X.SIM";
  q.defaults.price_precision = 1;
  q.defaults.size_precision = 0;
  auto s2 = ReadParquetFiles(CatalogDataType::kQuote, {f}, q);
  ASSERT_TRUE(s2.ok());
  st = (*s2)->Next(buf, 10);
  ASSERT_TRUE(st.ok()) << st.error();
  ASSERT_EQ(buf.size(), 1u);
  EXPECT_EQ(std::get<QuoteTick>(buf[0]).ask_price.ToString(), "1.1");
  // A value finer than the given precision is refused, naming file, row and column.
  q.defaults.price_precision = 0;
  auto s3 = ReadParquetFiles(CatalogDataType::kQuote, {f}, q);
  ASSERT_TRUE(s3.ok());
  st = (*s3)->Next(buf, 10);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().find("row 0: column ask_price"), std::string::npos) << st.error();
}

// NautilusTrader's own fixtures: fixed-size binary raws, metadata inside the Arrow schema.
TEST(CatalogNautilus, ReadsSixtyFourAndOneTwentyEightBitFiles) {
  const fs::path dir = kShared / "nautilus";
  if (!fs::exists(dir)) GTEST_SKIP() << "../shared/data/nautilus not present";
  auto read = [&](CatalogDataType type, const char* name) {
    CatalogFile f{type, "", (dir / name).string(), UnixNanos(0), UnixNanos(0), std::nullopt, 0};
    auto s = ReadParquetFiles(type, {f}, CatalogQuery{});
    EXPECT_TRUE(s.ok()) << s.error();
    std::vector<MarketData> all;
    std::vector<MarketData> buf;
    for (;;) {
      Status st = (*s)->Next(buf, 4096);
      EXPECT_TRUE(st.ok()) << st.error();
      if (!st.ok() || buf.empty()) break;
      all.insert(all.end(), buf.begin(), buf.end());
    }
    return all;
  };
  auto q64 = read(CatalogDataType::kQuote, "64-bit-quotes.parquet");
  auto q128 = read(CatalogDataType::kQuote, "128-bit-quotes.parquet");
  ASSERT_EQ(q64.size(), 9500u);
  ASSERT_EQ(q128.size(), 9500u);
  for (std::size_t i = 0; i < q64.size(); ++i) {
    const auto& a = std::get<QuoteTick>(q64[i]);
    const auto& b = std::get<QuoteTick>(q128[i]);
    ASSERT_EQ(a.bid_price, b.bid_price) << i;
    ASSERT_EQ(a.ask_price, b.ask_price) << i;
    ASSERT_EQ(a.bid_size, b.bid_size) << i;
    ASSERT_EQ(a.ts_init, b.ts_init) << i;
  }
  const auto& first = std::get<QuoteTick>(q64[0]);
  EXPECT_EQ(first.instrument_id.value(), "EUR/USD.SIM");
  EXPECT_EQ(first.bid_price.precision(), 5);
  EXPECT_EQ(first.bid_price.ToString(), "112.12000");
  EXPECT_EQ(first.bid_size.ToString(), "10000000");
  EXPECT_EQ(first.ts_init.value, 1577898000000000065);

  auto b64 = read(CatalogDataType::kBar, "64-bit-bars.parquet");
  auto b128 = read(CatalogDataType::kBar, "128-bit-bars.parquet");
  ASSERT_EQ(b64.size(), 10u);
  ASSERT_EQ(b128.size(), 10u);
  const auto& bar = std::get<Bar>(b64[0]);
  EXPECT_EQ(bar.bar_type.ToString(), "ADABTC.BINANCE-1-MINUTE-LAST-EXTERNAL");
  EXPECT_EQ(bar.open.ToString(), "0.00285300");
  EXPECT_EQ(bar.volume.ToString(), "3630420.00000000");
  EXPECT_EQ(std::get<Bar>(b128[0]).open, bar.open);
  EXPECT_EQ(std::get<Bar>(b128[0]).volume, bar.volume);

  auto t64 = read(CatalogDataType::kTrade, "64-bit-trades.parquet");
  ASSERT_EQ(t64.size(), 100u);
  const auto& t = std::get<TradeTick>(t64[0]);
  EXPECT_EQ(t.instrument_id.value(), "EUR/USD.SIM");
  EXPECT_EQ(t.price.precision(), 4);
  EXPECT_EQ(t.aggressor_side, OrderSide::kBuy);
  EXPECT_EQ(t.trade_id.value(), "123456");
}

}  // namespace
}  // namespace nacre
