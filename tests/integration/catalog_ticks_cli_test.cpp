// `nacre catalog import` of column-mapped quote and trade CSVs and of NSE's option-chain
// export, end to end: counts, warnings, and bad rows refused with exit 2 and nothing written.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "cli_exec.h"
#include "testkit/scratch_dir.h"

namespace nacre {
namespace {

namespace fs = std::filesystem;

class CatalogTicksCli : public testkit::ScratchDirTest {
 protected:
  std::string Cat() const { return (dir_ / "cat").string(); }
};

// n quotes a second apart from 09:15 IST on 2-Jan-2025, bid rising a tick per row.
std::string QuoteRows(int n) {
  std::string s = "datetime,bid,ask,bid_size,ask_size\n";
  for (int i = 0; i < n; ++i) {
    const int bid = 10000 + i * 5;  // paise
    s += fmt::format("2025-01-02 09:{:02}:{:02},{}.{:02},{}.{:02},75,150\n", 15 + i / 60, i % 60,
                     bid / 100, bid % 100, (bid + 5) / 100, (bid + 5) % 100);
  }
  return s;
}

TEST_F(CatalogTicksCli, ImportsQuotesAndTradesWithMappedColumns) {
  const std::string q = Write("q.csv", QuoteRows(120));
  auto r = testing::Exec(
      fmt::format("catalog import '{}' '{}' --instrument 'NIFTY 50.NSE'", Cat(), q), true);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("q.csv [csv]: 1 instruments, 120 quotes, 0 trades, 0 bars"),
            std::string::npos)
      << r.out;
  const std::string t = Write("t.csv",
                              "Stamp,Px,Qty,Side\n"
                              "1735789500000,100.05,75,B\n"
                              "1735789500000,100.10,150,S\n");
  r = testing::Exec(fmt::format("catalog import '{}' '{}' --instrument 'NIFTY 50.NSE' --type trade "
                                "--column time=Stamp,price=Px,size=Qty --column aggressor=Side",
                                Cat(), t),
                    true);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("t.csv [csv]: 0 instruments, 0 quotes, 2 trades, 0 bars"), std::string::npos)
      << r.out;
  r =
      testing::Exec(fmt::format("catalog query '{}' \"SELECT count(*) AS n, sum(size) AS units, "
                                "count(*) FILTER (WHERE aggressor_side = 'BUY') AS buys FROM "
                                "trade_tick\"",
                                Cat()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("2\t225\t1"), std::string::npos) << r.out;
}

TEST_F(CatalogTicksCli, BadRowsExitTwoNamingTheRowAndWriteNothing) {
  const std::string good = Write("good.csv", QuoteRows(10));
  struct Case {
    std::string body;
    std::string expect;
  };
  const std::string head = "datetime,bid,ask,bid_size,ask_size\n";
  const std::string first = "2025-01-02 09:15:00,100.00,100.05,75,75\n";
  const Case cases[] = {
      {head + first + "2025-01-02 09:15:01,nan,100.05,75,75\n",
       "bad.csv:3: column 2 (bid): 'nan' is not a price"},
      {head + first + "2025-01-02 09:15:01,-100.00,100.05,75,75\n",
       "bad.csv:3: column 2 (bid): price -100.00 must be positive"},
      {head + first + "2025-01-02 09:15:01,100.10,100.05,75,75\n",
       "bad.csv:3: column 3 (ask): crossed quote: bid 100.10 is above ask 100.05"},
      {head + first + "02/01/2025 09:15,100.00,100.05,75,75\n",
       "bad.csv:3: column 1 (datetime): invalid timestamp '02/01/2025 09:15'"},
      {head + first + "2025-01-02 09:14:00,100.00,100.05,75,75\n",
       "bad.csv:3: column 1 (datetime): time 2025-01-02 09:14:00 is earlier than the row before"},
  };
  for (const Case& c : cases) {
    const std::string bad = Write("bad.csv", c.body);
    // The good file comes first on the command line: it must not be written either.
    auto r = testing::Exec(
        fmt::format("catalog import '{}' '{}' '{}' --instrument 'NIFTY 50.NSE'", Cat(), good, bad),
        true);
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("nothing imported"), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(fs::path(Cat()) / "data" / "quote_tick")) << c.expect;
  }
}

TEST_F(CatalogTicksCli, NseOptionChainExportNamesItsOneSidedQuote) {
  const fs::path oc =
      fs::path(NACRE_SOURCE_DIR) / "../shared/data/real/nse_optionchain_NIFTY_exp30Jun2026.csv";
  if (!fs::exists(oc)) GTEST_SKIP() << oc.string() << " not present (../shared/data)";
  auto r = testing::Exec(
      fmt::format("catalog import '{}' '{}' --at '2026-06-29 15:30'", Cat(), oc.string()), true);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("1 one-sided quotes skipped"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("warning: 1 one-sided quote skipped (bid or ask missing; a quote needs "
                       "both): line 151 strike 34500.00 PE (no bid; ask 10890.60)"),
            std::string::npos)
      << r.out;
}

TEST_F(CatalogTicksCli, ImportWithTheChainLayoutAndCompactAgree) {
  // The same quotes imported per instrument then compacted, and imported as chain files: the
  // same chain file, the same exported stream, and a second compact does nothing.
  const std::string q = Write("q.csv", QuoteRows(90));
  const std::string flat = (dir_ / "flat").string();
  auto r = testing::Exec(
      fmt::format("catalog import '{}' '{}' --instrument 'NIFTY 50.NSE'", flat, q), true);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  r = testing::Exec(fmt::format("catalog compact '{}'", flat), true);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("90 quotes of 1 instruments from 1 files into 1 chain files"),
            std::string::npos)
      << r.out;
  r = testing::Exec(fmt::format("catalog compact '{}'", flat), true);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("no per-instrument quote files"), std::string::npos) << r.out;
  r = testing::Exec(
      fmt::format("catalog import '{}' '{}' --instrument 'NIFTY 50.NSE' --layout chain", Cat(), q),
      true);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_FALSE(fs::exists(fs::path(Cat()) / "data" / "quote_tick"));
  for (const std::string& root : {flat, Cat()}) {
    r = testing::Exec(fmt::format("catalog export '{}' --out '{}/out.csv'", root, root), true);
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }
  auto slurp = [](const std::string& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string exported = slurp(flat + "/out.csv");
  EXPECT_EQ(slurp(Cat() + "/out.csv"), exported);
  EXPECT_EQ(std::count(exported.begin(), exported.end(), '\n'), 91);
  r = testing::Exec(fmt::format("catalog import '{}' '{}' --layout sideways", Cat(), q), true);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("--layout: unknown layout 'sideways'"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace nacre
