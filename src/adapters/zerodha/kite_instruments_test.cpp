// The instruments dump: Zerodha's own mock dumps parse and are written back byte for byte;
// every bad field is refused naming the line and column.
#include "adapters/zerodha/kite_instruments.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "adapters/zerodha/kite_mocks_test_util.h"

namespace nacre {
namespace {

namespace fs = std::filesystem;
const fs::path kMocks = kite_mocks::Dir();


class KiteDump : public ::testing::TestWithParam<const char*> {};

TEST_P(KiteDump, ParsesAndIsWrittenBackByteForByte) {
  const fs::path f = kMocks / GetParam();
  if (!fs::exists(f)) GTEST_SKIP() << f.string() << " not present (../shared)";
  const std::string text = kite_mocks::Read(f);
  auto rows = ParseKiteInstrumentsCsv(text, f.string());
  ASSERT_TRUE(rows.ok()) << rows.error();
  EXPECT_EQ(rows->size(), 99u);
  EXPECT_EQ(WriteKiteInstrumentsCsv(*rows), text);
}

INSTANTIATE_TEST_SUITE_P(Mocks, KiteDump,
                         ::testing::Values("instruments_all.csv", "instruments_nse.csv"));

TEST(KiteInstruments, AnOptionRowReadsAsKitePrintsIt) {
  const std::string text = std::string(kKiteInstrumentsHeader) +
                           "\r\n12073986,47164,BANKNIFTY18JAN23500CE,,2528.4,2018-01-25,23500.0,"
                           "0.05,40,CE,NFO-OPT,NFO\r\n";
  auto rows = ParseKiteInstrumentsCsv(text, "dump.csv");
  ASSERT_TRUE(rows.ok()) << rows.error();
  const KiteInstrumentRow& r = rows->at(0);
  EXPECT_EQ(r.instrument_token, (47164u << 8) | 2u);
  EXPECT_EQ(r.strike, *Price::Parse("23500"));
  EXPECT_EQ(r.tick_size, *Price::Parse("0.05"));
  EXPECT_EQ(r.lot_size, 40);
  EXPECT_EQ(KiteNumberText(*Price::Parse("23500")), "23500.0");
  EXPECT_EQ(KiteNumberText(*Price::Parse("2528.40")), "2528.4");
  EXPECT_EQ(KiteNumberText(*Price::Parse("0.05")), "0.05");
  EXPECT_EQ(KiteSegmentId("INDICES"), 9u);
}

TEST(KiteInstruments, IndicesAreListedWithTickAndLotZero) {
  // As Kite lists NIFTY 50: not tradable, so no tick size or lot.
  const std::string text = std::string(kKiteInstrumentsHeader) +
                           "\r\n256265,1001,NIFTY 50,NIFTY 50,0.0,,0.0,0.0,0,EQ,INDICES,NSE\r\n";
  auto rows = ParseKiteInstrumentsCsv(text, "dump.csv");
  ASSERT_TRUE(rows.ok()) << rows.error();
  EXPECT_EQ(rows->at(0).instrument_token, 256265u);
  EXPECT_EQ(rows->at(0).lot_size, 0);
  EXPECT_EQ(WriteKiteInstrumentsCsv(*rows), text);
  // A tradable segment still needs both.
  auto eq = ParseKiteInstrumentsCsv(std::string(kKiteInstrumentsHeader) +
                                        "\n3813889,14898,X,,0.0,,0.0,0.0,1,EQ,NSE,NSE\n",
                                    "dump.csv");
  EXPECT_FALSE(eq.ok());
}

TEST(KiteInstruments, BadFieldsNameTheLineAndColumn) {
  const std::string head = std::string(kKiteInstrumentsHeader) + "\n";
  const std::pair<const char*, const char*> cases[] = {
      {"x,47164,S,,0.0,,0.0,0.05,40,CE,NFO-OPT,NFO", "dump.csv:2: column 1 (instrument_token)"},
      {"12073987,47164,S,,0.0,,0.0,0.05,40,CE,NFO-OPT,NFO",
       "dump.csv:2: column 1 (instrument_token): 12073987 is not exchange_token 47164 << 8 | "
       "segment 2 (NFO-OPT)"},
      {"12073986,47164,S,,0.0,2018-13-25,0.0,0.05,40,CE,NFO-OPT,NFO", "column 6 (expiry)"},
      {"12073986,47164,S,,-1.0,,0.0,0.05,40,CE,NFO-OPT,NFO", "column 5 (last_price): negative"},
      {"12073986,47164,S,,0.0,,0.0,0,40,CE,NFO-OPT,NFO", "column 8 (tick_size): must be positive"},
      {"12073986,47164,S,,0.0,,0.0,0.05,0,CE,NFO-OPT,NFO", "column 9 (lot_size)"},
      {"12073986,47164,S,,0.0,,0.0,0.05,40,CE,XYZ,NFO", "column 11 (segment): unknown segment"},
      {"12073986,47164,S,,0.0,,0.0,0.05,40,CE,NFO-OPT", "dump.csv:2: 11 columns, expected 12"},
  };
  for (const auto& [row, want] : cases) {
    auto r = ParseKiteInstrumentsCsv(head + row + "\n", "dump.csv");
    ASSERT_FALSE(r.ok()) << row;
    EXPECT_NE(r.error().find(want), std::string::npos) << row << " -> " << r.error();
  }
  auto header = ParseKiteInstrumentsCsv("token,symbol\n", "dump.csv");
  ASSERT_FALSE(header.ok());
  EXPECT_NE(header.error().find("dump.csv:1: header 'token,symbol'"), std::string::npos);
}

}  // namespace
}  // namespace nacre
