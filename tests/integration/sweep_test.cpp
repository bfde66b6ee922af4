// `nacre sweep` as a user runs it: a 3-point grid over the SMA demo in two worker processes
// writes one folder per run and sweep.csv/sweep.parquet in grid order (read back through
// DuckDB); a run that fails is reported with its parameters without stopping the others;
// a bad grid key stops the sweep before anything runs.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "cli_exec.h"
#include "persistence/duckdb.h"
#include "tmp_files.h"

namespace nacre {
namespace {

namespace fs = std::filesystem;
using testing::Fresh;
using testing::Slurp;

std::string WriteGrid(const char* name, const std::string& text) {
  return testing::WriteTmp(name, text);
}

std::vector<std::vector<std::string>> ParquetRows(const fs::path& file, const std::string& cols) {
  std::vector<std::vector<std::string>> rows;
  auto db = duck::Database::Open();
  EXPECT_TRUE(db.ok());
  auto con = duck::Connection::Connect(**db);
  EXPECT_TRUE(con.ok());
  auto q = (*con)->Query("SELECT " + cols + " FROM read_parquet(" + duck::Quote(file.string()) +
                         ") ORDER BY run");
  EXPECT_TRUE(q.ok()) << q.error();
  if (!q.ok()) return rows;
  const std::size_t n = q->column_count();
  while (true) {
    auto chunk = q->Fetch();
    if (!chunk.ok() || chunk->empty()) break;
    for (std::size_t r = 0; r < chunk->size(); ++r) {
      std::vector<std::string> row;
      for (std::size_t c = 0; c < n; ++c) {
        row.emplace_back(chunk->IsValid(c, r) ? std::string(chunk->String(c, r)) : "NULL");
      }
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

TEST(SweepCli, ThreePointGridInParallel) {
  const fs::path out = Fresh("nacre_sweep_ok");
  const std::string grid =
      WriteGrid("nacre_sweep_ok.toml", "strategies.fast_period = [5, 10, 20]\n");
  const testing::CliRun r = testing::Exec("sweep examples/sma_cross_demo.toml --grid '" + grid +
                                          "' --workers 2 --out '" + out.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const char* run : {"run-0001", "run-0002", "run-0003"}) {
    EXPECT_TRUE(fs::exists(out / run / "stats.json")) << run;
    EXPECT_TRUE(fs::exists(out / run / "report.html")) << run;
  }
  const std::string csv = Slurp(out / "sweep.csv");
  std::istringstream lines(csv);
  std::vector<std::string> rows;
  for (std::string l; std::getline(lines, l);) rows.push_back(l);
  ASSERT_EQ(rows.size(), 4u) << csv;
  EXPECT_EQ(rows[0].rfind("run,strategies.fast_period,status,exit_code,starting_balance,", 0), 0u);
  EXPECT_EQ(rows[1].rfind("1,5,ok,0,1000000.00,", 0), 0u) << rows[1];
  EXPECT_EQ(rows[3].rfind("3,20,ok,0,1000000.00,", 0), 0u) << rows[3];
  // The middle point is the demo itself: its equity is the plain backtest's.
  const testing::CliRun plain = testing::Exec("backtest examples/sma_cross_demo.toml -q");
  ASSERT_EQ(plain.exit_code, 0);
  EXPECT_NE(plain.out.find("₹9,99,820.60"), std::string::npos) << plain.out;
  EXPECT_EQ(rows[2].rfind("2,10,ok,0,1000000.00,999820.60,", 0), 0u) << rows[2];
  // Each run's stats.json is the one its row was built from.
  EXPECT_NE(Slurp(out / "run-0002" / "stats.json").find("\"final_equity\": 999820.60"),
            std::string::npos);

  const auto pq =
      ParquetRows(out / "sweep.parquet",
                  "CAST(run AS VARCHAR), CAST(\"strategies.fast_period\" AS VARCHAR), status, "
                  "CAST(final_equity AS VARCHAR), typeof(final_equity)");
  ASSERT_EQ(pq.size(), 3u);
  EXPECT_EQ(pq[0], (std::vector<std::string>{"1", "5", "ok", pq[0][3], "DECIMAL(18,2)"}));
  EXPECT_EQ(pq[1], (std::vector<std::string>{"2", "10", "ok", "999820.60", "DECIMAL(18,2)"}));
  EXPECT_EQ(pq[2][1], "20");
  EXPECT_NE(rows[1].find("," + pq[0][3] + ","), std::string::npos) << "CSV and Parquet agree";

  // Same sweep again (one worker): identical table.
  const fs::path again = Fresh("nacre_sweep_again");
  const testing::CliRun r2 = testing::Exec("sweep examples/sma_cross_demo.toml --grid '" + grid +
                                           "' --workers 1 --out '" + again.string() + "'");
  ASSERT_EQ(r2.exit_code, 0);
  EXPECT_EQ(Slurp(again / "sweep.csv"), csv);
  EXPECT_EQ(r2.out.substr(r2.out.find('\n')), r.out.substr(r.out.find('\n')));
}

TEST(SweepCli, AGridBeyondMaxRunsIsRefusedBeforeAnyRun) {
  const fs::path out = Fresh("nacre_sweep_big");
  std::string values;
  for (int i = 1; i <= 45; ++i) values += (i > 1 ? ", " : "") + std::to_string(i);
  const std::string grid = WriteGrid("nacre_sweep_big.toml", "strategies.fast_period = [" + values +
                                                                 "]\nengine.seed = [" + values + "]\n");
  const testing::CliRun r = testing::Exec("sweep examples/sma_cross_demo.toml --grid '" + grid +
                                              "' --out '" + out.string() + "'",
                                          true);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("expands to 2025 runs, more than --max-runs 1000"), std::string::npos)
      << r.out;
  EXPECT_FALSE(fs::exists(out));  // nothing started
}

TEST(SweepCli, FailingRunIsReportedAndOthersFinish) {
  const fs::path out = Fresh("nacre_sweep_fail");
  const std::string grid = WriteGrid("nacre_sweep_fail.toml", "strategies.slow_period = [5, 50]\n");
  const testing::CliRun r = testing::Exec("sweep examples/sma_cross_demo.toml --grid '" + grid +
                                              "' --workers 2 --out '" + out.string() + "'",
                                          true);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("1 of 2 runs failed"), std::string::npos) << r.out;
  const std::string csv = Slurp(out / "sweep.csv");
  EXPECT_NE(csv.find("\n1,5,failed,2,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("must be greater than fast_period"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\n2,50,ok,0,1000000.00,999820.60,"), std::string::npos) << csv;
  const auto pq = ParquetRows(out / "sweep.parquet",
                              "CAST(run AS VARCHAR), status, CAST(final_equity AS VARCHAR)");
  ASSERT_EQ(pq.size(), 2u);
  EXPECT_EQ(pq[0], (std::vector<std::string>{"1", "failed", "NULL"}));
  EXPECT_EQ(pq[1], (std::vector<std::string>{"2", "ok", "999820.60"}));
}

TEST(SweepCli, BadGridKeyStopsBeforeRunning) {
  const fs::path out = Fresh("nacre_sweep_badkey");
  const std::string grid = WriteGrid("nacre_sweep_bad.toml", "strategies.fast_perod = [5]\n");
  const testing::CliRun r = testing::Exec(
      "sweep examples/sma_cross_demo.toml --grid '" + grid + "' --out '" + out.string() + "'",
      true);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("nacre_sweep_bad.toml:1: key 'strategies.fast_perod': no such setting in "
                       "strategies[0]"),
            std::string::npos)
      << r.out;
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace nacre
