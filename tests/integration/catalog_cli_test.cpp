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
  EXPECT_EQ(header, "bar_type,open,high,low,close,volume,ts_event,ts_init");
  // The range is on ts_init: the 09:15 IST bar (open 03:45 UTC) closes at 09:16, in range.
  EXPECT_EQ(first,
            "\"NIFTY 50.NSE-1-MINUTE-LAST-EXTERNAL\",21727.75,21737.35,21701.80,21712.00,0,"
            "1704080700000000000,1704080760000000000");

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
