#include "persistence/nse_option_chain_csv.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace nacre {
namespace {

namespace fs = std::filesystem;

const std::string kHeader =
    "CALLS,,PUTS\n"
    ",OI,CHNG IN OI,VOLUME,IV,LTP,CHNG,BID QTY,BID,ASK,ASK QTY,STRIKE,"
    "BID QTY,BID,ASK,ASK QTY,CHNG,LTP,IV,VOLUME,CHNG IN OI,OI,\n";

TEST(NseOptionChainCsv, ReadsSidesWithGroupingAndCountsOneSidedAndEmptyOnes) {
  const std::string text =
      kHeader +
      ",1,-,-,-,-,-,65,\"1,143.70\",\"1,150.25\",130,\"24,000.00\",\"18,395\",0.15,0.30,"
      "\"6,760\",-,-,-,-,-,-,\n"
      ",1,-,-,-,-,-,65,12.30,-,-,\"24,050.00\",-,-,-,-,-,-,-,-,-,-,\n";
  auto c = ParseNseOptionChainCsv(text, "oc.csv");
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_EQ(c->rows.size(), 2u);
  const NseChainRow& r = c->rows[0];
  EXPECT_EQ(r.line, 3u);
  EXPECT_EQ(r.strike.ToString(), "24000.00");
  EXPECT_TRUE(r.side[0].two_sided());
  EXPECT_EQ(r.side[0].bid.ToString(), "1143.70");
  EXPECT_EQ(r.side[0].ask.ToString(), "1150.25");
  EXPECT_EQ(r.side[1].bid_qty, 18395);
  EXPECT_EQ(r.side[1].ask_qty, 6760);
  EXPECT_TRUE(c->rows[1].side[0].has_bid);
  EXPECT_FALSE(c->rows[1].side[0].has_ask);
  EXPECT_EQ(c->one_sided, 1u);
  EXPECT_EQ(c->empty_sides, 1u);
  EXPECT_EQ(c->OneSidedWarning(),
            "1 one-sided quote skipped (bid or ask missing; a quote needs both): line 4 strike "
            "24050.00 CE (no ask; bid 12.30)");
  EXPECT_EQ(c->Column(c->cols[1][2]), "column 15 (ASK, puts)");
}

TEST(NseOptionChainCsv, BadCellsNameLineAndColumn) {
  struct Case {
    std::string row;
    std::string expect;
  };
  const Case cases[] = {
      {",1,-,-,-,-,-,65,12.50,12.40,65,\"24,000.00\",-,-,-,-,-,-,-,-,-,-,\n",
       "oc.csv:3: column 10 (ASK, calls): ask 12.40 below bid 12.50 (crossed)"},
      {",1,-,-,-,-,-,65,-12.50,12.40,65,\"24,000.00\",-,-,-,-,-,-,-,-,-,-,\n",
       "oc.csv:3: column 9 (BID, calls): negative"},
      {",1,-,-,-,-,-,-,-,-,-,\"24,000.00\",x5,-,-,-,-,-,-,-,-,-,\n",
       "oc.csv:3: column 13 (BID QTY, puts): 'x5' is not an integer"},
      {",1,-,-,-,-,-,-,-,-,-,0,-,-,-,-,-,-,-,-,-,-,\n",
       "oc.csv:3: column 12 (STRIKE): not positive"},
      {",1,-,-,-,-,-,-,-,-,-,\"24,000.00\",-,-\n",
       "oc.csv:3: column 15 (ASK, puts): too few fields"},
  };
  for (const Case& c : cases) {
    auto r = ParseNseOptionChainCsv(kHeader + c.row, "oc.csv");
    ASSERT_FALSE(r.ok()) << c.row;
    EXPECT_NE(r.error().find(c.expect), std::string::npos) << r.error();
  }
  auto no_header = ParseNseOptionChainCsv("strike,bid\n", "oc.csv");
  ASSERT_FALSE(no_header.ok());
  EXPECT_NE(no_header.error().find("oc.csv:1: expected the NSE two-row header"), std::string::npos);
  EXPECT_TRUE(IsNseOptionChainHeader("CALLS,,PUTS"));
  EXPECT_FALSE(IsNseOptionChainHeader("strike,call_bid,call_ask,put_bid,put_ask"));
}

TEST(NseOptionChainCsv, RealExportHasOneOneSidedPut) {
  const fs::path real =
      fs::path(NACRE_SOURCE_DIR) / "../shared/data/real/nse_optionchain_NIFTY_exp30Jun2026.csv";
  if (!fs::exists(real)) GTEST_SKIP() << real.string() << " not present (../shared/data)";
  std::ifstream in(real, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  auto c = ParseNseOptionChainCsv(ss.str(), real.string());
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->rows.size(), 149u);
  EXPECT_EQ(c->one_sided, 1u);
  EXPECT_NE(c->OneSidedWarning().find("line 151 strike 34500.00 PE (no bid; ask 10890.60)"),
            std::string::npos);
}

}  // namespace
}  // namespace nacre
