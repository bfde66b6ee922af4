// The `nacre` binary, run as a user would: the demo prints the same summary twice, the real
// NIFTY example runs over all 58,127 bars (when ../shared is present), and bad configs exit 2
// with a clear message.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "cli_exec.h"

namespace {

using nacre::testing::CliRun;
using nacre::testing::Exec;

TEST(Cli, DemoIsDeterministic) {
  const CliRun a = Exec("backtest examples/sma_cross_demo.toml");
  const CliRun b = Exec("backtest examples/sma_cross_demo.toml");
  ASSERT_EQ(a.exit_code, 0) << a.out;
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out.find("round trips"), std::string::npos);
  EXPECT_NE(a.out.find("final equity"), std::string::npos);
}

TEST(Cli, ThroughputIsReported) {
  const CliRun a = Exec("backtest examples/sma_cross_demo.toml", true);
  ASSERT_EQ(a.exit_code, 0) << a.out;
  EXPECT_NE(a.out.find("events/s"), std::string::npos) << a.out;
  EXPECT_NE(a.out.find("bars/s"), std::string::npos) << a.out;
}

TEST(Cli, RealNiftyExample) {
  const auto csv =
      std::filesystem::path(NACRE_SOURCE_DIR) / "../shared/data/real/NIFTY_2024_1min.csv";
  if (!std::filesystem::exists(csv)) {
    GTEST_SKIP() << "../shared/data/real/NIFTY_2024_1min.csv not present";
  }
  const CliRun a = Exec("backtest examples/sma_cross_nifty.toml");
  ASSERT_EQ(a.exit_code, 0) << a.out;
  EXPECT_NE(a.out.find("Backtest 2024-01-01 09:16:00 IST -> 2024-08-23 15:30:00 IST"),
            std::string::npos)
      << a.out;
  EXPECT_NE(a.out.find("58127 / 0 / 0"), std::string::npos) << a.out;
}

TEST(Cli, BadConfigExitsTwoWithMessage) {
  const CliRun r = Exec("backtest /nonexistent.toml", true);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("error: /nonexistent.toml: config file not found"), std::string::npos)
      << r.out;
}

// Bad inputs of the demo config, each refused before any work with exit 2 and the file and
// key at fault (no summary printed).
TEST(Cli, BadValuesAreRefusedBeforeTheRunNamingFileAndKey) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(::testing::TempDir()) / "nacre_cli_bad_values";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string demo;
  {
    std::ifstream in(fs::path(NACRE_SOURCE_DIR) / "examples/sma_cross_demo.toml");
    demo.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = demo;
    const auto pos = t.find(from);
    EXPECT_NE(pos, std::string::npos) << from;
    return t.replace(pos, from.size(), to);
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {with("seed = 42\n", "seed = 42\nstart = \"2024-06-01\"\nend = \"2024-05-01\"\n"),
       "engine.end"},
      {with("starting_balance = \"1000000.00\"", "starting_balance = \"-5.00\""),
       "starting_balance"},
      {with("fast_period = 10", "fast_period = 4294967297"), "fast_period"},
  };
  int n = 0;
  for (const auto& [text, key] : cases) {
    const fs::path cfg = dir / ("bad" + std::to_string(++n) + ".toml");
    std::ofstream(cfg) << text;
    const CliRun r = Exec("backtest '" + cfg.string() + "'", true);
    EXPECT_EQ(r.exit_code, 2) << key << ": " << r.out;
    EXPECT_NE(r.out.find(cfg.string()), std::string::npos) << key << ": " << r.out;
    EXPECT_NE(r.out.find(key), std::string::npos) << key << ": " << r.out;
    EXPECT_EQ(r.out.find("round trips"), std::string::npos) << key << ": " << r.out;
  }
  const CliRun d = Exec("backtest '" + dir.string() + "'", true);
  EXPECT_EQ(d.exit_code, 2) << d.out;
  EXPECT_NE(d.out.find("is a directory, not a config file"), std::string::npos) << d.out;
}

}  // namespace
