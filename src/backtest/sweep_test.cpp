// Sweep grids: key resolution (params search, array indexes), type checks, errors naming the
// grid file and line, the cartesian expansion order, stats.json parsing and sweep.csv rows.
#include "backtest/sweep.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "backtest/statistics.h"
#include "common/config.h"

namespace nacre {
namespace {

// A temp folder of this process: other worktrees run the same tests on this machine.
std::filesystem::path PrivateTmp() {
  const auto p =
      std::filesystem::path(::testing::TempDir()) / ("nacre-" + std::to_string(getpid()));
  std::filesystem::create_directories(p);
  return p;
}

namespace fs = std::filesystem;

constexpr const char* kConfig = R"(
[engine]
seed = 42
[[venues]]
name = "NFO"
starting_balance = "1000000.00"
[[strategies]]
type = "SmaCross"
id = "A"
[strategies.params]
fast_period = 10
ratio = 0.5
)";

toml::table Config() { return toml::parse(kConfig); }

std::string Write(const char* name, const std::string& text) {
  const fs::path p = PrivateTmp() / name;
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Sweep, OverrideFindsStrategyParams) {
  toml::table t = Config();
  ApplyConfigOverride(t, {"strategies.fast_period", "20"}, "test");
  EXPECT_EQ(t["strategies"][0]["params"]["fast_period"].value<std::int64_t>(), 20);
  ApplyConfigOverride(t, {"strategies.0.params.ratio", "1"}, "test");  // int for a float
  EXPECT_EQ(t["strategies"][0]["params"]["ratio"].value<std::int64_t>(), 1);
  ApplyConfigOverride(t, {"engine.seed", "7"}, "test");
  EXPECT_EQ(t["engine"]["seed"].value<std::int64_t>(), 7);
}

TEST(Sweep, OverrideErrorsNameTheKey) {
  toml::table t = Config();
  EXPECT_NE(ErrorOf([&] {
              ApplyConfigOverride(t, {"strategies.fast_perid", "5"}, "g.toml:3");
            })
                .find("g.toml:3: key 'strategies.fast_perid': no such setting in strategies[0] "
                      "(it has: id, params, type; params: fast_period, ratio)"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              ApplyConfigOverride(t, {"strategies.fast_period", "\"x\""}, "w");
            }).find("10 is integer in the config"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              ApplyConfigOverride(t, {"strategies.3.fast_period", "1"}, "w");
            }).find("strategies has 1 entries, no index 3"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              ApplyConfigOverride(t, {"engine.seed.x", "1"}, "w");
            }).find("engine.seed is a value"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              ApplyConfigOverride(t, {"engine.seed", "[1"}, "w");
            }).find("is not a TOML value"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { ParseOverrideOption("noequals"); }).find("expected KEY=VALUE"),
            std::string::npos);
  // Nothing was changed by the failed attempts.
  EXPECT_EQ(t["strategies"][0]["params"]["fast_period"].value<std::int64_t>(), 10);
}

TEST(Sweep, AmbiguousArrayNeedsAnIndex) {
  toml::table t = toml::parse(std::string(kConfig) + "[[strategies]]\ntype = \"X\"\nid = \"B\"\n");
  EXPECT_NE(ErrorOf([&] {
              ApplyConfigOverride(t, {"strategies.id", "\"C\""}, "w");
            }).find("strategies has 2 entries: name one by index (e.g. strategies.0.id)"),
            std::string::npos);
  ApplyConfigOverride(t, {"strategies.1.id", "\"C\""}, "w");
  EXPECT_EQ(t["strategies"][1]["id"].value<std::string>(), "C");
}

TEST(Sweep, GridExpandsInFileOrderLastKeyFastest) {
  const std::string config = Write("sweep_cfg.toml", kConfig);
  const std::string grid = Write("sweep_grid.toml",
                                 "strategies.fast_period = [5, 10]\n"
                                 "engine.seed = [1, 2, 3]\n");
  const SweepGrid g = LoadSweepGrid(grid, config);
  ASSERT_EQ(g.keys, (std::vector<std::string>{"strategies.fast_period", "engine.seed"}));
  const auto runs = ExpandGrid(g);
  ASSERT_EQ(runs.size(), 6u);
  EXPECT_EQ(runs[0],
            (std::vector<ConfigOverride>{{"strategies.fast_period", "5"}, {"engine.seed", "1"}}));
  EXPECT_EQ(runs[1][1].second, "2");
  EXPECT_EQ(runs[3],
            (std::vector<ConfigOverride>{{"strategies.fast_period", "10"}, {"engine.seed", "1"}}));
}

TEST(Sweep, FloatValuesAreWrittenInShortestRoundTripForm) {
  const std::string config = Write("sweep_cfg_float.toml", kConfig);
  const std::string grid =
      Write("sweep_grid_float.toml", "strategies.ratio = [0.15, 0.1, 2.0, 1e-7, 0.30000000000000004]\n");
  const auto runs = ExpandGrid(LoadSweepGrid(grid, config));
  ASSERT_EQ(runs.size(), 5u);
  EXPECT_EQ(runs[0][0].second, "0.15");
  EXPECT_EQ(runs[1][0].second, "0.1");
  EXPECT_EQ(runs[2][0].second, "2.0");
  EXPECT_EQ(runs[3][0].second, "1e-07");
  EXPECT_EQ(runs[4][0].second, "0.30000000000000004");  // a different double: kept exact
  // Each text reads back as the same double.
  for (const auto& run : runs) {
    const toml::table t = toml::parse("v = " + run[0].second);
    EXPECT_TRUE(t["v"].is_floating_point()) << run[0].second;
  }
}

TEST(Sweep, BadGridsFailWithFileAndLine) {
  const std::string config = Write("sweep_cfg2.toml", kConfig);
  auto err = [&](const char* text) {
    const std::string grid = Write("sweep_bad.toml", text);
    return ErrorOf([&] { LoadSweepGrid(grid, config); });
  };
  EXPECT_NE(err("\n\nstrategies.slow = [1]\n").find("sweep_bad.toml:3: key 'strategies.slow'"),
            std::string::npos);
  EXPECT_NE(err("engine.seed = 5\n").find("expected a non-empty list"), std::string::npos);
  EXPECT_NE(err("engine.seed = []\n").find("expected a non-empty list"), std::string::npos);
  EXPECT_NE(err("engine.seed = [1, \"x\"]\n").find("is integer in the config"), std::string::npos);
  EXPECT_NE(err("").find("the grid has no settings"), std::string::npos);
  EXPECT_NE(err("engine.seed = [1").find("sweep_bad.toml:1"), std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              LoadSweepGrid("/nonexistent/grid.toml", config);
            }).find("/nonexistent/grid.toml: grid file not found"),
            std::string::npos);
}

TEST(Sweep, StatsJsonRoundTrip) {
  Statistics s;
  s.starting_balance = Money::FromInt(100);
  s.trades = 3;
  const auto kv = ParseStatsJson(StatisticsJson(s));
  ASSERT_GT(kv.size(), 10u);
  EXPECT_EQ(kv[0], (std::pair<std::string, std::string>{"starting_balance", "100.00"}));
  bool saw_null = false;
  for (const auto& [k, v] : kv) {
    if (k == "sharpe") saw_null = v.empty();
    if (k == "trades") {
      EXPECT_EQ(v, "3");
    }
  }
  EXPECT_TRUE(saw_null);
}

TEST(Sweep, FinishedRunRowsFromExitCodeStatsAndStderr) {
  SweepRun ok;
  FinishSweepRun(ok, 0, std::string("{\n  \"final_equity\": 10.00,\n  \"sharpe\": null\n}\n"),
                 "Run phase: ...\n");
  EXPECT_TRUE(ok.ok);
  EXPECT_EQ(ok.error, "");
  EXPECT_EQ(ok.stats, (std::vector<std::pair<std::string, std::string>>{{"final_equity", "10.00"},
                                                                        {"sharpe", ""}}));
  SweepRun failed;
  FinishSweepRun(failed, 2, std::nullopt, "warning: x\nerror: bad key\n\n");
  EXPECT_FALSE(failed.ok);
  EXPECT_EQ(failed.exit_code, 2);
  EXPECT_EQ(failed.error, "error: bad key");  // the last non-empty line
  SweepRun silent;                            // exit 0 without stats.json is a failure too
  FinishSweepRun(silent, 0, std::nullopt, "");
  EXPECT_FALSE(silent.ok);
  EXPECT_EQ(silent.error, "exit code 0");
  SweepRun killed;
  FinishSweepRun(killed, 137, std::string("{}"), "");
  EXPECT_FALSE(killed.ok);
  EXPECT_TRUE(killed.stats.empty());
  EXPECT_EQ(killed.error, "exit code 137");
}

TEST(Sweep, CsvRowsInRunOrderWithFailures) {
  SweepGrid g;
  g.keys = {"strategies.id"};
  std::vector<SweepRun> runs(2);
  runs[0].params = {{"strategies.id", "\"a,b\""}};
  runs[0].folder = "/x/run-0001";
  runs[0].ok = true;
  runs[0].stats = {{"final_equity", "10.00"}, {"sharpe", ""}};
  runs[1].params = {{"strategies.id", "\"c\""}};
  runs[1].folder = "/x/run-0002";
  runs[1].exit_code = 2;
  runs[1].error = "error: bad";
  EXPECT_EQ(SweepCsv(g, runs),
            "run,strategies.id,status,exit_code,final_equity,sharpe,folder,error\n"
            "1,\"a,b\",ok,0,10.00,,run-0001,\n"
            "2,c,failed,2,,,run-0002,error: bad\n");
}

}  // namespace
}  // namespace nacre
