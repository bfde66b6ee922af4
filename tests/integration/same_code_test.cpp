// The same-code proof (ARCHITECTURE, issue 14 item 6): the options-spread application —
// OptionsSpreadStrategy, CapitalManager, SpreadMonitor and GreeksActor, created by their
// registered type names from config blocks that are byte-identical in the two example configs
// — run (a) as a backtest (`nacre backtest`) and (b) on the sandbox node over the replay
// client on a scaled clock (`nacre run`), over the same week of data. Both must make the same
// decisions: the same spreads in the same order (kind, legs, strikes, sides, lots), the same
// final states and exit reasons, entries and exits within one data interval of each other.
// The P&L difference is printed. On the node's replay clock (the data's own time, as in a
// backtest) the sandbox makes its decisions at the same instants, its commands leave at the
// time they were made (after the journal's commit, which takes wall time but no market time)
// and the sandbox venue applies the same latency and fill models, so the two runs agree to
// the nanosecond and the paisa: the results folders are byte-identical. (On a scaled clock a
// command would leave a few wall milliseconds times the speed later, enough to move a leg's
// re-price past the next quote; that clock is for live-like demos, not for this proof.)
// The third leg, the same application live through the Zerodha adapter against the Kite
// emulator, is tests/live/same_code_live_test.cpp (it needs the emulator in-process).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cli_exec.h"
#include "spread_results.h"
#include "tmp_files.h"

namespace {

namespace fs = std::filesystem;
using nacre::testing::Exec;
using nacre::testing::Slurp;
using nacre::testing::ReadSpreads;

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

TEST(SameCode, TheSpreadApplicationDecidesAlikeInBacktestAndSandbox) {
  const fs::path root = nacre::testing::Fresh("same_code");
  fs::create_directories(root);
  const auto synth = nacre::testing::SynthDemoWeek((root / "catalog").string());
  ASSERT_EQ(synth.exit_code, 0) << synth.out;
  const fs::path src(NACRE_SOURCE_DIR);
  const std::string backtest = Slurp(src / "examples/nifty_spreads_backtest.toml");
  const std::string sandbox = Slurp(src / "examples/nifty_spreads_sandbox.toml");
  // The application's blocks, [[actors]] to the end, are the same bytes in both configs.
  const std::string app = backtest.substr(backtest.find("\n[[actors]]\n"));
  ASSERT_EQ(app, sandbox.substr(sandbox.find("\n[[actors]]\n")));
  // Both runs add the same GreeksActor block (the examples leave it out to stay lean).
  const std::string greeks =
      "\n[[actors]]\ntype = \"GreeksActor\"\nid = \"GreeksActor\"\n[actors.params]\n"
      "underlying = \"NIFTY 50.NSE\"\n";
  const std::string catalog = "catalog = \"" + (root / "catalog").string() + "\"";
  std::ofstream(root / "backtest.toml")
      << ReplaceAll(backtest, "catalog = \"../build/demo-catalog\"", catalog) + greeks;
  std::string node = ReplaceAll(sandbox, "catalog = \"../build/demo-catalog\"", catalog);
  node = ReplaceAll(node, "state_dir = \"state\"", "state_dir = \"" + (root / "state").string() + "\"");
  node = ReplaceAll(node, "start = \"2025-03-03T09:00\"", "start = \"2025-01-06T09:00\"");
  node = ReplaceAll(node, "end = \"2025-03-07T15:30\"", "end = \"2025-01-10T15:30\"");
  node = ReplaceAll(node, "speed = 3600", "speed = 0");  // unpaced: the data's time only
  std::ofstream(root / "node.toml") << node + greeks;

  const auto bt = Exec("backtest -q '" + (root / "backtest.toml").string() + "' --out '" +
                           (root / "bt").string() + "'",
                       true);
  ASSERT_EQ(bt.exit_code, 0) << bt.out;
  const auto sb = Exec("run -q '" + (root / "node.toml").string() + "' --out '" +
                           (root / "sb").string() + "'",
                       true);
  ASSERT_EQ(sb.exit_code, 0) << sb.out;

  const auto a = ReadSpreads(root / "bt" / "spread_results.csv");
  const auto b = ReadSpreads(root / "sb" / "spread_results.csv");
  ASSERT_FALSE(a.empty()) << "the backtest made no spread: nothing compared";
  ASSERT_EQ(a.size(), b.size()) << "backtest:\n"
                                << Slurp(root / "bt" / "spread_results.csv") << "sandbox:\n"
                                << Slurp(root / "sb" / "spread_results.csv");
  // One quote interval of the data: the latency model's bound on when things happen.
  const auto cmp = nacre::testing::CompareSpreads(a, b, nacre::testing::kOneDataInterval);
  const double pnl_a = cmp.pnl_a, pnl_b = cmp.pnl_b;
  const std::int64_t worst = cmp.worst;
  // The money: identical, and so is every results file both runs write.
  EXPECT_EQ(worst, 0) << "entries and exits at the same instants";
  EXPECT_EQ(pnl_a, pnl_b);
  for (const char* f : {"spread_results.csv", "orders.csv", "fills.csv", "positions.csv",
                        "equity.csv", "daily_pnl.csv", "stats.json", "capital_history.csv"}) {
    EXPECT_EQ(Slurp(root / "bt" / f), Slurp(root / "sb" / f)) << f;
  }
  // account.csv: the node also asks the venue for its account at start (its first row, the
  // starting balance); every later row is the backtest's.
  std::string sb_account = Slurp(root / "sb" / "account.csv");
  const auto first = sb_account.find('\n');
  const auto second = sb_account.find('\n', first + 1);
  EXPECT_NE(sb_account.substr(first + 1, second - first).find("400000.00,0.00,400000.00"),
            std::string::npos)
      << sb_account;
  sb_account.erase(first + 1, second - first);
  EXPECT_EQ(Slurp(root / "bt" / "account.csv"), sb_account);
  std::printf("same-code proof: %zu spreads alike, entries and exits at most %.3f s apart, "
              "realized P&L backtest %.2f, sandbox %.2f, difference %.2f\n",
              a.size(), static_cast<double>(worst) / 1e9, pnl_a, pnl_b, pnl_b - pnl_a);
  // The sandbox journaled all of it.
  const auto verify = Exec("journal verify '" + (root / "state" / "TRADER-001" / "journal.sqlite").string() + "'", true);
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
}

}  // namespace
