#include "persistence/import.h"
#include "testkit/scratch_dir.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace nacre {
namespace {

namespace fs = std::filesystem;

const fs::path kReal = fs::path(NACRE_SOURCE_DIR) / "../shared/data/real";
const fs::path kKite = fs::path(NACRE_SOURCE_DIR) / "../shared/data/kite-mocks";

class ImportTest : public testkit::ScratchDirTest {};

#define NEED(path) \
  if (!fs::exists(path)) GTEST_SKIP() << (path).string() << " not present (../shared)"

TEST_F(ImportTest, NiftyOneMinuteFile) {
  NEED(kReal / "NIFTY_2024_1min.csv");
  auto b = ImportFile((kReal / "NIFTY_2024_1min.csv").string(), ImportOptions{});
  ASSERT_TRUE(b.ok()) << b.error();
  EXPECT_EQ(b->format, "nse_index_1min");
  ASSERT_EQ(b->bars.size(), 1u);
  const auto& bars = b->bars.begin()->second;
  ASSERT_EQ(bars.size(), 58'127u);
  EXPECT_EQ(bars[0].bar_type.ToString(), "NIFTY 50.NSE-1-MINUTE-LAST-EXTERNAL");
  EXPECT_EQ(bars[0].ts_event, FromUtc(2024, 1, 1, 3, 45));  // 09:15 IST
  EXPECT_EQ(bars[0].open.ToString(), "21727.75");
  ASSERT_EQ(b->instruments.size(), 1u);
  EXPECT_EQ(b->instruments[0].instrument_class, InstrumentClass::kIndex);
  // Into a catalog and back, exactly.
  auto cat = Catalog::Open((dir_ / "cat").string());
  ASSERT_TRUE(cat.ok());
  ASSERT_TRUE(WriteImport(**cat, *b).ok());
  CatalogQuery q;
  q.type = CatalogDataType::kBar;
  q.instruments = {"NIFTY 50.NSE"};
  auto s = (*cat)->Read(q);
  ASSERT_TRUE(s.ok());
  std::vector<MarketData> buf;
  std::size_t n = 0;
  for (;;) {
    ASSERT_TRUE((*s)->Next(buf, 5000).ok());
    if (buf.empty()) break;
    for (const auto& d : buf) {
      const Bar& x = std::get<Bar>(d);
      ASSERT_EQ(x.close.raw(), bars[n].close.raw());
      ASSERT_EQ(x.ts_init, bars[n].ts_init);
      ++n;
    }
  }
  EXPECT_EQ(n, 58'127u);
  // Importing the same file again is recognised as identical, not an overlap error.
  ASSERT_TRUE(WriteImport(**cat, *b).ok());
  EXPECT_EQ(b->identical, 1u);
}

TEST_F(ImportTest, EpochCsvWithBadBarsNeedsAPolicy) {
  NEED(kReal / "BANKNIFTY_15min_2018_2023.csv");
  const std::string path = (kReal / "BANKNIFTY_15min_2018_2023.csv").string();
  auto b = ImportFile(path, ImportOptions{});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().find("BANKNIFTY_15min_2018_2023.csv:13: column 2 (Open)"), std::string::npos)
      << b.error();
  ImportOptions o;
  o.bad_bars = "skip";
  auto s = ImportFile(path, o);
  ASSERT_TRUE(s.ok()) << s.error();
  const auto& bars = s->bars.begin()->second;
  EXPECT_EQ(s->bars.begin()->first, "NIFTY BANK.NSE-15-MINUTE-LAST-EXTERNAL");
  EXPECT_EQ(bars.size() + s->fixed, 34'300u);
  EXPECT_GT(s->fixed, 0u);
  EXPECT_EQ(bars[0].ts_event.value, 1514778300LL * kNanosPerSecond);
  o.bad_bars = "widen";
  auto w = ImportFile(path, o);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->bars.begin()->second.size(), 34'300u);
}

TEST_F(ImportTest, MappedCsvErrorsNameLineAndColumn) {
  const std::string p = Write("x.csv",
                              "ts,o,h,l,c\n"
                              "2024-01-01 09:15,100.5,101,100,100.75\n"
                              "2024-01-01 09:16,100.5,10x,100,100.75\n");
  ImportOptions o;
  o.format = "csv";
  o.instrument = "X.NSE";
  o.csv = CsvBarMapping{"ts", "datetime", kIstOffset, "o", "h", "l", "c", "", true};
  auto b = ImportFile(p, o);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().find("x.csv:3: column 3 (h)"), std::string::npos) << b.error();
  o.csv.high = "high";
  b = ImportFile(p, o);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().find("x.csv:1: no column 'high'"), std::string::npos) << b.error();
}

TEST_F(ImportTest, OptionChainParquetSnapshots) {
  NEED(kReal / "oc_20260821.parquet");
  auto b = ImportFile((kReal / "oc_20260821.parquet").string(), ImportOptions{});
  ASSERT_TRUE(b.ok()) << b.error();
  EXPECT_EQ(b->format, "nse_oc_parquet");
  EXPECT_EQ(b->rows(), 470u);
  EXPECT_EQ(b->chain_stats.size(), 470u);
  // 25-Aug-2026 is the monthly expiry (last Tuesday): monthly symbol form. 21,200 CE is the
  // first row of the file.
  bool found = false;
  for (const Instrument& i : b->instruments) {
    if (i.id.value() == "NIFTY26AUG21200CE.NFO") {
      found = true;
      EXPECT_EQ(i.lot_size, Quantity::FromInt(65));
      EXPECT_EQ(i.expiration, FromIst(2026, 8, 25, 15, 30));
      EXPECT_EQ(i.option_kind, OptionKind::kCall);
      EXPECT_EQ(i.strike.raw(), 21'200 * kFixedScale);
    }
  }
  EXPECT_TRUE(found);
  // 1-Sep-2026 is a weekly: NIFTY{YY}{M}{DD}{strike}{CE|PE}.
  bool weekly = false;
  for (const Instrument& i : b->instruments) weekly |= i.id.value().starts_with("NIFTY26901");
  EXPECT_TRUE(weekly);
  const auto& bars = b->bars.at("NIFTY26AUG21200CE.NFO-1-MINUTE-LAST-EXTERNAL");
  ASSERT_FALSE(bars.empty());
  EXPECT_EQ(bars[0].close.ToString(), "3100.00");
  EXPECT_EQ(bars[0].ts_event, FromIst(2026, 8, 21, 14, 32));
}

TEST_F(ImportTest, NseOptionChainCsv) {
  NEED(kReal / "nse_optionchain_NIFTY_exp30Jun2026.csv");
  const std::string path = (kReal / "nse_optionchain_NIFTY_exp30Jun2026.csv").string();
  auto none = ImportFile(path, ImportOptions{});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().find("--at"), std::string::npos);
  ImportOptions o;
  o.at = FromIst(2026, 6, 29, 15, 30);
  auto b = ImportFile(path, o);
  ASSERT_TRUE(b.ok()) << b.error();
  EXPECT_EQ(b->quotes.size() + b->skipped + b->one_sided, 2u * 149u);
  // The 34,500 put has an ask (10,890.60 x 1,690) but no bid: a one-sided book, skipped and
  // named (line 151 of the file), never turned into a quote with an invented side.
  EXPECT_EQ(b->one_sided, 1u);
  EXPECT_EQ(b->quotes.count("NIFTY26JUN34500PE.NFO"), 0u);
  ASSERT_EQ(b->warnings.size(), 1u);
  EXPECT_NE(b->warnings[0].find("1 one-sided quote skipped"), std::string::npos) << b->warnings[0];
  EXPECT_NE(b->warnings[0].find("line 151 strike 34500.00 PE (no bid; ask 10890.60)"),
            std::string::npos)
      << b->warnings[0];
  EXPECT_NE(b->Describe().find("1 one-sided quotes skipped"), std::string::npos);
  // Strike 12,000: call bid 11,143.70 x 65, ask 12,364.25 x 130 (Indian grouping removed).
  const auto& q = b->quotes.at("NIFTY26JUN12000CE.NFO").at(0);
  EXPECT_EQ(q.bid_price.ToString(), "11143.70");
  EXPECT_EQ(q.ask_price.ToString(), "12364.25");
  EXPECT_EQ(q.bid_size, Quantity::FromInt(65));
  EXPECT_EQ(q.ask_size, Quantity::FromInt(130));
  const auto& p = b->quotes.at("NIFTY26JUN12000PE.NFO").at(0);
  EXPECT_EQ(p.bid_size, Quantity::FromInt(18395));
  EXPECT_EQ(p.ask_size, Quantity::FromInt(6760));
  // 13,000 CE is all '-': skipped, no quote.
  EXPECT_EQ(b->quotes.count("NIFTY26JUN13000CE.NFO"), 0u);
  // A bad cell names line and column.
  const std::string bad = Write("nse_optionchain_NIFTY_exp30Jun2026.csv",
                                "CALLS,,PUTS\n"
                                ",OI,CHNG IN OI,VOLUME,IV,LTP,CHNG,BID QTY,BID,ASK,ASK QTY,STRIKE,"
                                "BID QTY,BID,ASK,ASK QTY,CHNG,LTP,IV,VOLUME,CHNG IN OI,OI,\n"
                                ",1,-,-,-,-,-,65,\"11,143.7x\",\"12,364.25\",130,\"12,000.00\","
                                "-,-,-,-,-,-,-,-,-,-,\n");
  auto e = ImportFile(bad, o);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().find(":3: column 9 (BID, calls)"), std::string::npos) << e.error();
}

TEST_F(ImportTest, NseOptionChainOneSidedAndEmptyBooks) {
  const std::string header =
      "CALLS,,PUTS\n"
      ",OI,CHNG IN OI,VOLUME,IV,LTP,CHNG,BID QTY,BID,ASK,ASK QTY,STRIKE,"
      "BID QTY,BID,ASK,ASK QTY,CHNG,LTP,IV,VOLUME,CHNG IN OI,OI,\n";
  ImportOptions o;
  o.at = FromIst(2026, 6, 29, 15, 30);
  o.expiry = CivilDate{2026, 6, 30};
  o.format = "nse_oc_csv";
  // Line 3: call with a bid only (ask '-'), put two-sided. Line 4: call with a zero bid (an
  // empty side written as 0), put all '-'.
  const std::string p = Write("oc.csv", header +
                                            ",1,-,-,-,-,-,65,\"1,143.70\",-,-,\"24,000.00\","
                                            "65,10.05,10.10,130,-,-,-,-,-,-,\n"
                                            ",1,-,-,-,-,-,0,0.00,12.30,65,\"24,050.00\","
                                            "-,-,-,-,-,-,-,-,-,-,\n");
  auto b = ImportFile(p, o);
  ASSERT_TRUE(b.ok()) << b.error();
  EXPECT_EQ(b->rows(), 1u);
  EXPECT_EQ(b->one_sided, 2u);
  EXPECT_EQ(b->skipped, 1u);
  ASSERT_EQ(b->warnings.size(), 1u);
  EXPECT_NE(b->warnings[0].find("2 one-sided quotes skipped"), std::string::npos);
  EXPECT_NE(b->warnings[0].find("line 3 strike 24000.00 CE (no ask; bid 1143.70)"),
            std::string::npos)
      << b->warnings[0];
  EXPECT_NE(b->warnings[0].find("line 4 strike 24050.00 CE (no bid; ask 12.30)"),
            std::string::npos)
      << b->warnings[0];
  // Nothing two-sided at all: still a counted, named result, never a silent empty file.
  const std::string q = Write("oc2.csv", header +
                                             ",1,-,-,-,-,-,65,\"1,143.70\",-,-,\"24,000.00\","
                                             "-,-,-,-,-,-,-,-,-,-,\n");
  auto e = ImportFile(q, o);
  ASSERT_TRUE(e.ok()) << e.error();
  EXPECT_EQ(e->rows(), 0u);
  ASSERT_EQ(e->warnings.size(), 2u);
  EXPECT_NE(e->warnings[1].find("no two-sided quote in the file: 1 strike sides without bid or "
                                "ask, 1 one-sided"),
            std::string::npos)
      << e->warnings[1];
}

TEST_F(ImportTest, KiteCandles) {
  NEED(kKite / "historical_minute.json");
  const std::string path = (kKite / "historical_minute.json").string();
  EXPECT_FALSE(ImportFile(path, ImportOptions{}).ok());  // needs an instrument
  ImportOptions o;
  o.instrument = "INFY.NSE";
  auto b = ImportFile(path, o);
  ASSERT_TRUE(b.ok()) << b.error();
  const auto& bars = b->bars.at("INFY.NSE-1-MINUTE-LAST-EXTERNAL");
  ASSERT_FALSE(bars.empty());
  EXPECT_EQ(bars[0].ts_event, FromIst(2017, 12, 15, 9, 15));
  EXPECT_EQ(bars[0].open.ToString(), "1704.50");
  EXPECT_EQ(bars[0].low.ToString(), "1699.25");
  EXPECT_EQ(bars[0].volume, Quantity::FromInt(2499));
  const std::string broken =
      Write("k.json",
            R"({"status":"success","data":{"candles":[["2017-12-15T09:15:00+0530",1,2,0.5]]}})");
  auto e = ImportFile(broken, o);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().find("candle 0"), std::string::npos) << e.error();
  const std::string bad_json = Write("j.json", R"({"status":"success","data":{"candles":[[)");
  e = ImportFile(bad_json, o);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().find("invalid JSON"), std::string::npos) << e.error();
}

TEST_F(ImportTest, UnknownFilesAndFormats) {
  const std::string p = Write("weird.txt", "hello\n");
  auto b = ImportFile(p, ImportOptions{});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().find("cannot tell the format"), std::string::npos);
  ImportOptions o;
  o.format = "xml";
  EXPECT_FALSE(ImportFile(p, o).ok());
  EXPECT_FALSE(ImportFile((dir_ / "missing.csv").string(), ImportOptions{}).ok());
}

}  // namespace
}  // namespace nacre
