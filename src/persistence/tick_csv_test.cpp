#include "persistence/tick_csv.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "persistence/import.h"
#include "testkit/scratch_dir.h"

namespace nacre {
namespace {

namespace fs = std::filesystem;

class TickCsvTest : public testkit::ScratchDirTest {
 protected:
  CsvTickOptions Quotes() const {
    CsvTickOptions o;
    o.kind = CsvTickKind::kQuote;
    o.instrument_id = MustInstrumentId("NIFTY 50.NSE");
    return o;
  }
  // The error of loading `body` under a quote header, or "" when it loads.
  std::string QuoteError(const std::string& body) {
    const std::string p = Write("q.csv", "datetime,bid,ask,bid_size,ask_size\n" + body);
    auto r = LoadTicksCsv(p, Quotes());
    return r.ok() ? "" : r.error();
  }
};

TEST_F(TickCsvTest, QuotesWithIstDatetimes) {
  const std::string p = Write("q.csv",
                              "datetime,bid,ask,bid_size,ask_size\n"
                              "2025-01-02 09:15:00,100.05,100.10,75,150\n"
                              "2025-01-02 09:15:00,100.00,100.10,75,75\n"  // same time: kept
                              "2025-01-02T09:15:01.5,100.05,100.05,1,2\n");  // locked: fine
  auto r = LoadTicksCsv(p, Quotes());
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r->quotes.size(), 3u);
  const QuoteTick& q = r->quotes[0];
  EXPECT_EQ(q.instrument_id.value(), "NIFTY 50.NSE");
  EXPECT_EQ(q.bid_price.ToString(), "100.05");
  EXPECT_EQ(q.ask_price.ToString(), "100.10");
  EXPECT_EQ(q.bid_size, Quantity::FromInt(75));
  EXPECT_EQ(q.ask_size, Quantity::FromInt(150));
  EXPECT_EQ(q.ts_event, FromIst(2025, 1, 2, 9, 15));
  EXPECT_EQ(q.ts_init, q.ts_event);
  EXPECT_EQ(r->quotes[2].ts_event.value, FromIst(2025, 1, 2, 9, 15, 1).value + 500'000'000);
}

TEST_F(TickCsvTest, MappedColumnsAndEpochMillis) {
  const std::string p = Write("q.csv",
                              "ts,BidPx,AskPx,BidQty,AskQty,venue\n"
                              "1735789500000,10.5,11,1,2,X\n"
                              "1735789501000,10.55,11.5,3,4,X\n");
  CsvTickOptions o = Quotes();
  o.columns = {{"bid", "BidPx"}, {"ask", "AskPx"}, {"bid_size", "BidQty"}, {"ask_size", "AskQty"}};
  auto r = LoadTicksCsv(p, o);
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r->quotes.size(), 2u);
  EXPECT_EQ(r->quotes[0].ts_event.value, 1735789500000LL * 1'000'000);
  EXPECT_EQ(r->quotes[1].bid_price.ToString(), "10.55");
  // Without the mapping the missing column is named with the way to map it.
  auto e = LoadTicksCsv(p, Quotes());
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().find(":1: no column 'bid' for bid"), std::string::npos) << e.error();
  EXPECT_NE(e.error().find("--column bid=NAME"), std::string::npos) << e.error();
  auto k = DetectCsvTickKind(p, o.columns);
  ASSERT_TRUE(k.ok()) << k.error();
  EXPECT_EQ(*k, CsvTickKind::kQuote);
}

TEST_F(TickCsvTest, TradesWithAndWithoutAggressor) {
  const std::string p = Write("t.csv",
                              "datetime,price,size,aggressor,trade_id\n"
                              "2025-01-02 09:15:00+05:30,22000.5,75,BUY,T1\n"
                              "2025-01-02 03:45:01Z,22000.55,150,s,T2\n"
                              "2025-01-02 09:15:02,22001,25,,\n");
  CsvTickOptions o = Quotes();
  o.kind = CsvTickKind::kTrade;
  auto k = DetectCsvTickKind(p, {});
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(*k, CsvTickKind::kTrade);
  auto r = LoadTicksCsv(p, o);
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r->trades.size(), 3u);
  EXPECT_EQ(r->trades[0].aggressor_side, OrderSide::kBuy);
  EXPECT_EQ(r->trades[0].trade_id.value(), "T1");
  EXPECT_EQ(r->trades[0].price.ToString(), "22000.50");
  EXPECT_EQ(r->trades[1].aggressor_side, OrderSide::kSell);
  EXPECT_EQ(r->trades[1].ts_event, FromIst(2025, 1, 2, 9, 15, 1));
  EXPECT_EQ(r->trades[2].aggressor_side, OrderSide::kNoSide);
  EXPECT_TRUE(r->trades[2].trade_id.empty());

  const std::string plain = Write("t2.csv", "time,price,size\n1735789500,5,1\n");
  auto r2 = LoadTicksCsv(plain, o);
  ASSERT_TRUE(r2.ok()) << r2.error();
  EXPECT_EQ(r2->trades[0].ts_event.value, 1735789500LL * kNanosPerSecond);
  EXPECT_EQ(r2->trades[0].aggressor_side, OrderSide::kNoSide);

  const std::string bad = Write("t3.csv", "time,price,size,aggressor\n1735789500,5,1,MAYBE\n");
  auto e = LoadTicksCsv(bad, o);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().find("t3.csv:2: column 4 (aggressor)"), std::string::npos) << e.error();
  const std::string zero = Write("t4.csv", "time,price,size\n1735789500,5,0\n");
  e = LoadTicksCsv(zero, o);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().find("t4.csv:2: column 3 (size): a trade needs a positive size"),
            std::string::npos)
      << e.error();
}

TEST_F(TickCsvTest, EveryBadRowNamesFileLineAndColumn) {
  const std::string ok = "2025-01-02 09:15:00,100.05,100.10,75,150\n";
  struct Case {
    std::string row;
    std::string expect;
  };
  const Case cases[] = {
      {"2025-01-02 09:15:01,NaN,100.10,75,150\n", ":3: column 2 (bid): 'NaN' is not a price"},
      {"2025-01-02 09:15:01,100,inf,75,150\n", ":3: column 3 (ask): 'inf' is not a price"},
      {"2025-01-02 09:15:01,-1,100.10,75,150\n", ":3: column 2 (bid): price -1 must be positive"},
      {"2025-01-02 09:15:01,0,100.10,75,150\n", ":3: column 2 (bid): price 0 must be positive"},
      {"2025-01-02 09:15:01,100,100.10,-5,150\n", ":3: column 4 (bid_size): size -5 is negative"},
      {"2025-01-02 09:15:01,100,100.10,5,nan\n", ":3: column 5 (ask_size): 'nan' is not a size"},
      {"2025-01-02 09:15:01,100.20,100.10,5,5\n",
       ":3: column 3 (ask): crossed quote: bid 100.20 is above ask 100.10"},
      {"2025-13-02 09:15:01,100,100.10,5,5\n", ":3: column 1 (datetime): invalid timestamp"},
      {"yesterday,100,100.10,5,5\n", ":3: column 1 (datetime): invalid timestamp"},
      {"2025-01-02 09:14:59,100,100.10,5,5\n",
       ":3: column 1 (datetime): time 2025-01-02 09:14:59 is earlier than the row before "
       "(2025-01-02 09:15:00)"},
      {"2025-01-02 09:15:01,100.001,100.10,5,5\n", ":3: column 2 (bid): invalid price '100.001'"},
      {"2025-01-02 09:15:01,100\n", ":3: expected at least 5 fields, found 2"},
  };
  for (const Case& c : cases) {
    const std::string e = QuoteError(ok + c.row);
    EXPECT_NE(e.find("q.csv" + c.expect), std::string::npos) << c.row << " -> " << e;
  }
  EXPECT_EQ(QuoteError(ok), "");
  EXPECT_NE(QuoteError("").find("no data rows"), std::string::npos);
}

TEST_F(TickCsvTest, ImportFileDetectsTicksAndWritesThemWithAnInstrument) {
  const std::string p = Write("quotes.csv",
                              "datetime,bid,ask,bid_size,ask_size\n"
                              "2025-01-02 09:15:00,100.05,100.10,75,150\n"
                              "2025-01-02 09:15:01,100.00,100.10,75,75\n");
  ImportOptions o;
  EXPECT_FALSE(ImportFile(p, o).ok());  // which instrument?
  o.instrument = "NIFTY25JAN23000CE.NFO";
  auto b = ImportFile(p, o);
  ASSERT_TRUE(b.ok()) << b.error();
  EXPECT_EQ(b->format, "csv");
  ASSERT_EQ(b->quotes.at("NIFTY25JAN23000CE.NFO").size(), 2u);
  ASSERT_EQ(b->instruments.size(), 1u);
  // A NIFTY option symbol becomes its contract (monthly expiry 30-Jan-2025, strike, kind).
  EXPECT_EQ(b->instruments[0].instrument_class, InstrumentClass::kOption);
  EXPECT_EQ(b->instruments[0].strike.ToString(), "23000.00");
  EXPECT_EQ(b->instruments[0].option_kind, OptionKind::kCall);
  auto cat = Catalog::Open((dir_ / "cat").string());
  ASSERT_TRUE(cat.ok());
  ASSERT_TRUE(WriteImport(**cat, *b).ok());
  CatalogQuery q;
  q.type = CatalogDataType::kQuote;
  auto s = (*cat)->Read(q);
  ASSERT_TRUE(s.ok()) << s.error();
  std::vector<MarketData> buf;
  ASSERT_TRUE((*s)->Next(buf, 100).ok());
  ASSERT_EQ(buf.size(), 2u);
  EXPECT_EQ(std::get<QuoteTick>(buf[1]).bid_price.ToString(), "100.00");
  // The second file of trades for the same instrument keeps the existing definition.
  const std::string t = Write("trades.csv", "datetime,price,size\n2025-01-02 09:15:00,100.05,75\n");
  auto bt = ImportFile(t, o);
  ASSERT_TRUE(bt.ok()) << bt.error();
  ASSERT_TRUE(WriteImport(**cat, *bt).ok());
  EXPECT_TRUE(bt->instruments.empty());
  // An explicit type that the header cannot serve is refused with the missing column.
  o.data_type = "trade";
  auto wrong = ImportFile(p, o);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().find("no column 'price'"), std::string::npos) << wrong.error();
  o.data_type = "auto";
  o.columns = {{"bidd", "x"}};
  auto unknown = ImportFile(p, o);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().find("unknown column field 'bidd'"), std::string::npos);
}

}  // namespace
}  // namespace nacre
