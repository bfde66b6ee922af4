#include "persistence/catalog_views.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "persistence/import.h"

namespace nacre {
namespace {

namespace fs = std::filesystem;

class CatalogViewsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("nacre_views_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // Two strikes of an NSE option-chain export (30-Jun-2026 expiry) and a few index trades.
    const fs::path oc = dir_ / "oc.csv";
    std::ofstream(oc) << "CALLS,,PUTS\n"
                         ",OI,CHNG IN OI,VOLUME,IV,LTP,CHNG,BID QTY,BID,ASK,ASK QTY,STRIKE,"
                         "BID QTY,BID,ASK,ASK QTY,CHNG,LTP,IV,VOLUME,CHNG IN OI,OI,\n"
                         ",1,-,-,-,-,-,65,\"1,143.70\",\"1,150.05\",130,\"24,000.00\","
                         "65,10.05,10.10,130,-,-,-,-,-,-,\n"
                         ",1,-,-,-,-,-,65,\"1,100.00\",\"1,101.00\",65,\"24,050.00\","
                         "195,12.00,12.30,65,-,-,-,-,-,-,\n";
    const fs::path tr = dir_ / "t.csv";
    std::ofstream(tr) << "datetime,price,size,aggressor\n"
                         "2026-06-29 09:15:00,24100.05,75,BUY\n"
                         "2026-06-29 09:15:01,24100.10,150,SELL\n";
    auto cat = Catalog::Open((dir_ / "cat").string());
    ASSERT_TRUE(cat.ok()) << cat.error();
    ImportOptions o;
    o.at = FromIst(2026, 6, 29, 15, 30);
    o.format = "nse_oc_csv";
    o.expiry = CivilDate{2026, 6, 30};
    auto b = ImportFile(oc.string(), o);
    ASSERT_TRUE(b.ok()) << b.error();
    ASSERT_TRUE(WriteImport(**cat, *b).ok());
    ImportOptions t;
    t.instrument = "NIFTY 50.NSE";
    auto bt = ImportFile(tr.string(), t);
    ASSERT_TRUE(bt.ok()) << bt.error();
    ASSERT_TRUE(WriteImport(**cat, *bt).ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Every row of `sql` as tab-separated text.
  std::vector<std::string> Rows(const std::string& sql) {
    auto db = duck::Database::Open();
    EXPECT_TRUE(db.ok());
    auto con = duck::Connection::Connect(**db);
    EXPECT_TRUE(con.ok());
    Status s = CreateCatalogViews(**con, (dir_ / "cat").string(), sql);
    EXPECT_TRUE(s.ok()) << s.error();
    auto r = (*con)->Query("SELECT * FROM (" + sql + ")");
    EXPECT_TRUE(r.ok()) << r.error();
    std::vector<std::string> out;
    if (!r) return out;
    auto q = (*con)->Query("SELECT concat_ws('\t', *COLUMNS(*)) FROM (" + sql + ")");
    EXPECT_TRUE(q.ok()) << q.error();
    for (;;) {
      auto c = q->Fetch();
      if (!c || c->empty()) break;
      for (std::size_t i = 0; i < c->size(); ++i) out.emplace_back(c->String(0, i));
    }
    return out;
  }
  fs::path dir_;
};

TEST_F(CatalogViewsTest, DecimalPricesAndIstTimes) {
  auto rows = Rows(
      "SELECT instrument_id, bid_price, ask_price, bid_size, time_ist FROM quote_tick "
      "WHERE instrument_id = 'NIFTY26JUN24000CE.NFO'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], "NIFTY26JUN24000CE.NFO\t1143.70\t1150.05\t65\t2026-06-29 15:30:00");
  rows = Rows("SELECT price, size, aggressor_side FROM trade_tick ORDER BY ts_init");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], "24100.05\t75\tBUY");
  EXPECT_EQ(rows[1], "24100.10\t150\tSELL");
  // The raw view keeps the stored integers (scale 10^9).
  rows = Rows("SELECT price FROM trade_tick_raw ORDER BY ts_init LIMIT 1");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], "24100050000000");
  rows = Rows(
      "SELECT strike, option_kind, expiry, lot_size, tick_size FROM instrument WHERE id = "
      "'NIFTY26JUN24050PE.NFO'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], "24050.00\tPUT\t2026-06-30\t65\t0.05");
}

TEST_F(CatalogViewsTest, OptionChainViews) {
  auto rows = Rows(
      "SELECT strike, call_bid, call_ask, put_bid, put_ask, put_bid_size FROM chain_quote WHERE "
      "underlying = 'NIFTY 50.NSE' AND expiry = DATE '2026-06-30' ORDER BY strike");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], "24000.00\t1143.70\t1150.05\t10.05\t10.10\t65");
  EXPECT_EQ(rows[1], "24050.00\t1100.00\t1101.00\t12.00\t12.30\t195");
  rows = Rows(
      "SELECT option_kind, mid FROM option_quote WHERE strike = 24000 ORDER BY option_kind");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], "CALL\t1146.875");
  EXPECT_EQ(rows[1], "PUT\t10.075");
  EXPECT_NE(std::string(CatalogViewsHelp()).find("chain_quote"), std::string::npos);
}

}  // namespace
}  // namespace nacre
