// `nacre catalog import | ls | info | query | export` end to end on the shared real files.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cli_exec.h"

namespace nacre {
namespace {

namespace fs = std::filesystem;

TEST(CatalogCli, ImportsEverySharedFileThenListsQueriesAndExports) {
  const fs::path shared = fs::path(NACRE_SOURCE_DIR) / "../shared/data";
  if (!fs::exists(shared / "real") || !fs::exists(shared / "nautilus")) {
    GTEST_SKIP() << "../shared/data not present";
  }
  const fs::path cat = fs::temp_directory_path() / fmt::format("nacre_cli_catalog_{}", ::getpid());
  fs::remove_all(cat);
  const std::string files = "../shared/data/real/* ../shared/data/nautilus/*";
  auto r = testing::Exec(fmt::format("catalog import '{}' {} --at '2026-06-29 15:30' --bad-bars "
                                     "widen",
                                     cat.string(), files),
                         true);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("NIFTY_2024_1min.csv [nse_index_1min]: 1 instruments, 0 quotes, 0 trades, "
                       "58127 bars"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("64-bit-quotes.parquet [nautilus]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("already present (identical)"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("error"), std::string::npos) << r.out;

  r = testing::Exec(fmt::format("catalog ls '{}'", cat.string()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("EURUSD.SIM"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NIFTY 50.NSE-1-MINUTE-LAST-EXTERNAL"), std::string::npos) << r.out;
  // Times in IST with the zone: the first NIFTY bar (09:15 IST on 1-Jan-2024) closes 09:16.
  EXPECT_NE(r.out.find("2024-01-01 09:16:00 IST"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Z  "), std::string::npos) << r.out;

  r = testing::Exec(fmt::format("catalog info '{}'", cat.string()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("expires 2026-06-30 15:30:00 IST"), std::string::npos) << r.out;
  // BANKNIFTY's first 15-minute bar (09:15 IST on 1-Jan-2018) is the catalog's first bar.
  EXPECT_NE(r.out.find("ts_init 2018-01-01 09:30:00 IST to "), std::string::npos) << r.out;

  r = testing::Exec(fmt::format(
      "catalog query '{}' \"SELECT count(*) FROM bar WHERE identifier = 'NIFTY 50.NSE-1-MINUTE-"
      "LAST-EXTERNAL'\"",
      cat.string()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("58127"), std::string::npos) << r.out;

  const fs::path csv = cat / "nifty.csv";
  r =
      testing::Exec(fmt::format("catalog export '{}' --type bar --instruments 'NIFTY 50.NSE' "
                                "--start '2024-01-01 09:15' --end '2024-01-01 09:20' --out '{}'",
                                cat.string(), csv.string()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::ifstream in(csv);
  std::string header, first;
  std::getline(in, header);
  std::getline(in, first);
  EXPECT_EQ(header, "bar_type,open,high,low,close,volume,ts_event,ts_init,ts_event_ist");
  // The range is on ts_init: the 09:15 IST bar (open 03:45 UTC) closes at 09:16, in range.
  EXPECT_EQ(first,
            "\"NIFTY 50.NSE-1-MINUTE-LAST-EXTERNAL\",21727.75,21737.35,21701.80,21712.00,0,"
            "1704080700000000000,1704080760000000000,2024-01-01 09:15:00 IST");

  // A date alone: --start is 00:00 IST of the day, --end runs through the whole IST day. The
  // export of 2-Jan-2024 holds exactly the source file's rows dated 20240102.
  std::size_t source_rows = 0;
  {
    std::ifstream src(shared / "real/NIFTY_2024_1min.csv");
    for (std::string line; std::getline(src, line);) {
      if (line.find(",20240102,") != std::string::npos) ++source_rows;
    }
  }
  ASSERT_GT(source_rows, 0u);
  r = testing::Exec(fmt::format("catalog export '{}' --type bar --instruments 'NIFTY 50.NSE' "
                                "--start 2024-01-02 --end 2024-01-02 --out '{}'",
                                cat.string(), csv.string()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find(fmt::format("{} rows -> ", source_rows)), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(ts_init 2024-01-02 09:16:00 IST to 2024-01-02 15:30:00 IST)"),
            std::string::npos)
      << r.out;
  r = testing::Exec(fmt::format("catalog export '{}' --type bar --start 2024-01-03 --end "
                                "2024-01-02 --out '{}'",
                                cat.string(), csv.string()),
                    true);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("--end 2024-01-02 23:59:59.999999999 IST is before --start 2024-01-03 "
                       "00:00:00 IST"),
            std::string::npos)
      << r.out;

  // A folder that is no catalog, and bad SQL, are clear errors.
  r = testing::Exec("catalog ls /nonexistent/x", true);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("is not a catalog"), std::string::npos) << r.out;
  r = testing::Exec(fmt::format("catalog query '{}' 'SELEC 1'", cat.string()), true);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("DuckDB:"), std::string::npos) << r.out;
  fs::remove_all(cat);
}

}  // namespace
}  // namespace nacre
