// The `nacre` binary, run as a user would: the demo prints the same summary twice, the real
// NIFTY example runs over all 58,127 bars (when ../shared is present), and bad configs exit 2
// with a clear message.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

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

}  // namespace
