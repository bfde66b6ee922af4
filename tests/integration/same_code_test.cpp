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
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "cli_exec.h"
#include "tmp_files.h"

namespace {

namespace fs = std::filesystem;
using nacre::testing::Exec;
using nacre::testing::Slurp;

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

// One CSV line, with RFC 4180 quoting.
std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

struct SpreadRow {
  std::string state, kind, legs, lots, exit_reason;
  std::int64_t opened = 0, closed = 0;
  double pnl = 0;
};

std::vector<SpreadRow> ReadSpreads(const fs::path& csv) {
  std::istringstream in(Slurp(csv));
  std::string line;
  std::getline(in, line);
  const auto header = SplitCsv(line);
  auto col = [&header](const std::string& name) {
    const auto it = std::find(header.begin(), header.end(), name);
    EXPECT_NE(it, header.end()) << name;
    return static_cast<std::size_t>(it - header.begin());
  };
  const std::size_t state = col("state"), legs = col("legs"), lots = col("lots"),
                    kind = col("tags"), exit = col("exit_reason"), opened = col("ts_opened_ns"),
                    closed = col("ts_closed_ns"), pnl = col("realized_pnl");
  std::vector<SpreadRow> out;
  const std::regex leg_re(R"((BUY|SELL) (\d+)x (\S+))");
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto f = SplitCsv(line);
    SpreadRow r;
    r.state = f[state];
    r.kind = f[kind];
    // The legs without their prices: side, ratio and contract.
    for (std::sregex_iterator it(f[legs].begin(), f[legs].end(), leg_re), end; it != end; ++it) {
      r.legs += (*it)[0].str() + "; ";
    }
    r.lots = f[lots];
    // The rule that closed it (its figures may differ with the fill prices).
    r.exit_reason = f[exit].substr(0, f[exit].find(':'));
    r.opened = f[opened].empty() ? 0 : std::stoll(f[opened]);
    r.closed = f[closed].empty() ? 0 : std::stoll(f[closed]);
    r.pnl = std::stod(f[pnl]);
    out.push_back(std::move(r));
  }
  return out;
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
  constexpr std::int64_t kBound = 300'000'000'000;
  double pnl_a = 0, pnl_b = 0;
  std::int64_t worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE(fmt::format("spread {}", i + 1));
    EXPECT_EQ(a[i].kind, b[i].kind);
    EXPECT_EQ(a[i].legs, b[i].legs);
    EXPECT_EQ(a[i].lots, b[i].lots);
    EXPECT_EQ(a[i].state, b[i].state);
    EXPECT_EQ(a[i].exit_reason, b[i].exit_reason);
    for (auto [x, y] : {std::pair{a[i].opened, b[i].opened}, std::pair{a[i].closed, b[i].closed}}) {
      EXPECT_EQ(x == 0, y == 0);
      if (x != 0 && y != 0) {
        EXPECT_LE(static_cast<std::int64_t>(std::llabs(x - y)), kBound) << x << " vs " << y;
        worst = std::max(worst, static_cast<std::int64_t>(std::llabs(x - y)));
      }
    }
    pnl_a += a[i].pnl;
    pnl_b += b[i].pnl;
  }
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
