// The results folder of a real SMA backtest: row counts match the engine's orders and fills,
// the accounting identity holds, two CLI runs write byte-identical folders, and report.html
// renders in headless Chromium without a script error (a corrupted page is caught).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "apps/examples/sma_cross.h"
#include "backtest/backtest_config.h"
#include "backtest/results_recorder.h"
#include "browser.h"
#include "cli_exec.h"

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
using testing::Browser;
using testing::ConsoleLines;
using testing::Load;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::size_t DataRows(const std::string& csv) {
  return static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n')) - 1;
}

fs::path TempDir(const char* name) {
  const fs::path p = PrivateTmp() / name;
  fs::remove_all(p);
  return p;
}

struct Run {
  LoadedBacktest bt;
  std::unique_ptr<ResultsRecorder> recorder;
  BacktestResult result;
};

std::unique_ptr<Run> RunDemo() {
  static ComponentRegistry registry = [] {
    ComponentRegistry r;
    RegisterExampleComponents(r);
    return r;
  }();
  auto run = std::make_unique<Run>();
  run->bt = LoadBacktestConfig(std::string(NACRE_SOURCE_DIR) + "/examples/sma_cross_demo.toml",
                               registry, nullptr);
  run->recorder = std::make_unique<ResultsRecorder>(run->bt.engine->kernel());
  run->result = run->bt.engine->Run(run->bt.start, run->bt.end);
  run->recorder->Finish();
  return run;
}

TEST(Results, FolderMatchesTheEngine) {
  const auto run = RunDemo();
  const BacktestResult& r = run->result;
  const ResultsRecorder& rec = *run->recorder;
  const fs::path dir = TempDir("nacre_results_sma");
  ASSERT_TRUE(rec.WriteFolder(dir.string()).ok());
  ASSERT_GT(r.fills, 100u);
  EXPECT_EQ(DataRows(Slurp(dir / "orders.csv")), r.orders);
  EXPECT_EQ(DataRows(Slurp(dir / "fills.csv")), r.fills);
  EXPECT_EQ(rec.fills().size(), r.fills);
  // A run without spreads has no spread file and no spread statistics.
  EXPECT_TRUE(rec.spreads().empty());
  EXPECT_FALSE(fs::exists(dir / "spread_results.csv"));
  EXPECT_EQ(Slurp(dir / "stats.json").find("\"spreads\""), std::string::npos);
  // One row per position cycle: every round trip plus the one still open, if any.
  const std::string positions = Slurp(dir / "positions.csv");
  const std::size_t open =
      r.unrealized_pnl.is_zero() && positions.find(",OPEN,") == std::string::npos ? 0 : 1;
  EXPECT_EQ(DataRows(positions), r.round_trips + open);
  // equity.csv (one row per bar, several MiB) is streamed in 1 MiB blocks: the same text,
  // every block included.
  const std::string equity = Slurp(dir / "equity.csv");
  EXPECT_GT(equity.size(), std::size_t{3} << 20);
  EXPECT_EQ(equity, rec.EquityCsv());
  EXPECT_EQ(DataRows(equity), rec.equity().size());
  // 250 generated trading days.
  EXPECT_EQ(DataRows(Slurp(dir / "daily_pnl.csv")), 250u);
  EXPECT_EQ(rec.days().size(), 250u);

  // Accounting: final equity = start + sum realized - sum charges + unrealized.
  Money fill_charges;
  for (const OrderFilled& f : rec.fills()) fill_charges += f.commission;
  EXPECT_EQ(fill_charges, r.commissions);
  EXPECT_EQ(rec.total_charges(), r.commissions);
  const Money final_equity = rec.days().back().equity;
  EXPECT_EQ(final_equity, r.final_equity);
  EXPECT_EQ(final_equity,
            r.starting_balance + rec.total_realized() - rec.total_charges() + r.unrealized_pnl);
  Money net;
  Money realized;
  for (const DailyPnl& d : rec.days()) {
    net += d.net;
    realized += d.realized;
  }
  EXPECT_EQ(net, final_equity - r.starting_balance);
  EXPECT_EQ(realized - rec.total_charges(), r.realized_pnl);

  const Statistics s = rec.statistics();
  EXPECT_EQ(s.trades, r.round_trips);
  EXPECT_EQ(s.winners, r.winners);
  EXPECT_EQ(s.final_equity, r.final_equity);
  const std::string stats = Slurp(dir / "stats.json");
  EXPECT_NE(stats.find("\"final_equity\": " + r.final_equity.ToString()), std::string::npos)
      << stats;
}

// SMA on a generated NIFTY call at the NSE exchange model: every fill carries Zerodha's
// itemised charges and blocks margin.
constexpr const char* kOptionConfig = R"TOML([engine]
trader_id = "TRADER-001"
seed = 42
log_level = "WARN"

[[venues]]
name = "NFO"
account_type = "MARGIN"
starting_balance = "1000000.00"
bar_fill = "next_open"
model = "nse"

[[instruments]]
id = "NIFTY 50.NSE"
kind = "index"
tick_size = "0.05"

[[instruments]]
id = "NIFTY-TEST-CE.NFO"
kind = "option"
underlying = "NIFTY 50.NSE"
option_kind = "CALL"
strike = "24000"
tick_size = "0.05"
lot_size = 75
multiplier = 1
expiry = "2099-12-31T15:30:00+05:30"

[[data]]
format = "random_walk"
bar_type = "NIFTY-TEST-CE.NFO-1-MINUTE-LAST-EXTERNAL"
start_date = "2024-01-01"
days = 5
start_price = "150.00"
seed = 7

[[data]]
format = "random_walk"
bar_type = "NIFTY 50.NSE-1-MINUTE-LAST-EXTERNAL"
start_date = "2024-01-01"
days = 5
start_price = "24000.00"
seed = 8

[[strategies]]
type = "SmaCross"
id = "SmaCross-001"
[strategies.params]
bar_type = "NIFTY-TEST-CE.NFO-1-MINUTE-LAST-EXTERNAL"
fast_period = 10
slow_period = 50
trade_size = 75
)TOML";

TEST(Results, ItemisedChargesAddUpToTheAccount) {
  ComponentRegistry registry;
  RegisterExampleComponents(registry);
  LoadedBacktest bt = LoadBacktestConfigString(kOptionConfig, "option.toml", ::testing::TempDir(),
                                               registry, nullptr);
  ResultsRecorder rec(bt.engine->kernel());
  const BacktestResult r = bt.engine->Run(bt.start, bt.end);
  rec.Finish();
  ASSERT_GT(r.fills, 10u);
  ASSERT_GT(r.commissions, Money());
  Money sum;
  for (const OrderFilled& f : rec.fills()) {
    EXPECT_EQ(f.commission, f.charges.Total()) << f.trade_id.value();
    EXPECT_EQ(f.charges.brokerage, Money::FromInt(20)) << f.trade_id.value();
    sum += f.commission;
  }
  EXPECT_EQ(sum, r.commissions);
  EXPECT_EQ(rec.total_charges(), r.commissions);
  Money daily_charges;
  for (const DailyPnl& d : rec.days()) daily_charges += d.charges;
  EXPECT_EQ(daily_charges, r.commissions);
  EXPECT_EQ(rec.days().back().equity, r.final_equity);
  EXPECT_EQ(r.final_equity,
            r.starting_balance + rec.total_realized() - rec.total_charges() + r.unrealized_pnl);
  const Statistics s = rec.statistics();
  EXPECT_EQ(s.total_charges, r.commissions);
  EXPECT_GT(s.margin_utilisation_peak_pct, 0.0);
  const std::string fills = rec.FillsCsv();
  const std::string first = fills.substr(
      fills.find('\n') + 1, fills.find('\n', fills.find('\n') + 1) - fills.find('\n') - 1);
  const OrderFilled& f0 = rec.fills().front();
  EXPECT_NE(
      first.find(fmt::format(
          ",{},{},{},{},{},{},{},{},", f0.commission.ToString(), f0.charges.brokerage.ToString(),
          f0.charges.stt.ToString(), f0.charges.exchange.ToString(), f0.charges.ipft.ToString(),
          f0.charges.sebi.ToString(), f0.charges.stamp.ToString(), f0.charges.gst.ToString())),
      std::string::npos)
      << first;
}

TEST(Results, CliWritesByteIdenticalFolders) {
  const fs::path a = TempDir("nacre_results_cli_a");
  const fs::path b = TempDir("nacre_results_cli_b");
  const testing::CliRun ra =
      testing::Exec("backtest examples/sma_cross_demo.toml -q --out '" + a.string() + "'", true);
  const testing::CliRun rb =
      testing::Exec("backtest examples/sma_cross_demo.toml -q --out '" + b.string() + "'");
  ASSERT_EQ(ra.exit_code, 0) << ra.out;
  ASSERT_EQ(rb.exit_code, 0) << rb.out;
  EXPECT_NE(ra.out.find("max drawdown"), std::string::npos) << ra.out;
  EXPECT_NE(ra.out.find("peak RSS"), std::string::npos) << ra.out;
  EXPECT_NE(ra.out.find("events/s"), std::string::npos) << ra.out;
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(a)) {
    ++files;
    const fs::path other = b / entry.path().filename();
    ASSERT_TRUE(fs::exists(other)) << other;
    EXPECT_TRUE(Slurp(entry.path()) == Slurp(other)) << entry.path().filename() << " differs";
  }
  EXPECT_EQ(files, 9u) << "the 8 result files and the .nacre-results marker";
  EXPECT_TRUE(fs::exists(a / ".nacre-results"));
}

TEST(Results, OutputDirFromConfigRelativeToIt) {
  const fs::path dir = TempDir("nacre_results_cfgdir");
  fs::create_directories(dir);
  const std::string demo = Slurp(fs::path(NACRE_SOURCE_DIR) / "examples/sma_cross_demo.toml");
  std::ofstream(dir / "cfg.toml") << demo << "\n[output]\ndir = \"results\"\n";
  const testing::CliRun r = testing::Exec("backtest '" + (dir / "cfg.toml").string() + "' -q");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(fs::exists(dir / "results" / "stats.json"));
  // --out wins over the config.
  const testing::CliRun o = testing::Exec("backtest '" + (dir / "cfg.toml").string() +
                                          "' -q --out '" + (dir / "cli").string() + "'");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_TRUE(fs::exists(dir / "cli" / "report.html"));
  std::ofstream(dir / "bad.toml") << demo << "\n[output]\ndir = \"\"\n";
  const testing::CliRun bad =
      testing::Exec("backtest '" + (dir / "bad.toml").string() + "' -q", true);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.out.find("output.dir"), std::string::npos) << bad.out;
}

// The results folder is checked before any work: nothing runs (no summary) when it is bad.
TEST(Results, CliOutIntoAFileIsRefusedBeforeTheRun) {
  const fs::path blocker = TempDir("nacre_results_blocker");
  std::ofstream(blocker) << "x";
  const testing::CliRun r = testing::Exec(
      "backtest examples/sma_cross_demo.toml -q --out '" + (blocker / "x").string() + "'", true);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("cannot create results folder"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("round trips"), std::string::npos) << "ran before refusing: " << r.out;
  const testing::CliRun file = testing::Exec(
      "backtest examples/sma_cross_demo.toml -q --out '" + blocker.string() + "'", true);
  EXPECT_EQ(file.exit_code, 2) << file.out;
  EXPECT_NE(file.out.find(blocker.string() + ": exists and is not a directory"), std::string::npos)
      << file.out;
}

TEST(Results, CliRefusesAPreviousRunsFolderUnlessForcedAndNeverClearsOtherFolders) {
  const fs::path dir = TempDir("nacre_results_reuse");
  const std::string cmd = "backtest examples/sma_cross_demo.toml -q --out '" + dir.string() + "'";
  ASSERT_EQ(testing::Exec(cmd).exit_code, 0);
  std::ofstream(dir / "stale-from-an-older-version.csv") << "x";
  const std::string stats_before = Slurp(dir / "stats.json");
  const testing::CliRun again = testing::Exec(cmd, true);
  EXPECT_EQ(again.exit_code, 2) << again.out;
  EXPECT_NE(again.out.find("already holds files"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("--force"), std::string::npos) << again.out;
  EXPECT_EQ(again.out.find("round trips"), std::string::npos) << again.out;
  EXPECT_TRUE(fs::exists(dir / "stale-from-an-older-version.csv"));  // untouched
  // --force replaces the previous results: the stale file is gone, the new run's are there.
  const testing::CliRun forced = testing::Exec(cmd + " --force", true);
  ASSERT_EQ(forced.exit_code, 0) << forced.out;
  EXPECT_FALSE(fs::exists(dir / "stale-from-an-older-version.csv"));
  EXPECT_EQ(Slurp(dir / "stats.json"), stats_before);
  // A folder that is not a results folder is never cleared, even with --force.
  const fs::path other = TempDir("nacre_results_not_results");
  fs::create_directories(other);
  std::ofstream(other / "thesis.tex") << "precious";
  const testing::CliRun refused = testing::Exec(
      "backtest examples/sma_cross_demo.toml -q --force --out '" + other.string() + "'", true);
  EXPECT_EQ(refused.exit_code, 2) << refused.out;
  EXPECT_NE(refused.out.find("not a Nacre results folder"), std::string::npos) << refused.out;
  EXPECT_EQ(Slurp(other / "thesis.tex"), "precious");
}

TEST(Results, CliUsageErrorsExitTwo) {
  const testing::CliRun missing = testing::Exec("backtest", true);
  EXPECT_EQ(missing.exit_code, 2) << missing.out;
  const testing::CliRun unknown = testing::Exec("backtest examples/sma_cross_demo.toml --bogus", true);
  EXPECT_EQ(unknown.exit_code, 2) << unknown.out;
  const testing::CliRun help = testing::Exec("backtest --help", true);
  EXPECT_EQ(help.exit_code, 0) << help.out;
}

TEST(Results, ReportRendersInHeadlessChromium) {
  if (!fs::exists("/usr/bin/chromium")) {
    GTEST_SKIP() << "/usr/bin/chromium not installed (scripts/setup.sh installs it)";
  }
  const auto run = RunDemo();
  const fs::path dir = TempDir("nacre_results_report");
  ASSERT_TRUE(run->recorder->WriteFolder(dir.string()).ok());
  const std::string html = Slurp(dir / "report.html");
  EXPECT_EQ(html.find("http://"), std::string::npos) << "the report must work offline";
  EXPECT_EQ(html.find("https://"), std::string::npos) << "the report must work offline";
  const Browser b = Load(dir / "report.html");
  ASSERT_EQ(b.exit_code, 0) << b.log;
  // Every chart this run has data for drew, and nothing went to the console. (No index data
  // in this run: no benchmark line; a simple venue: margin stays at zero but is drawn.)
  const std::vector<std::string> charts = {"equity-chart", "drawdown-chart",       "daily-chart",
                                           "returns-hist", "rolling-sharpe-chart", "margin-chart"};
  EXPECT_NE(b.dom.find(fmt::format("<div id=\"render-status\" hidden=\"\">ok {} charts</div>",
                                   charts.size())),
            std::string::npos)
      << b.dom.substr(0, 2000);
  EXPECT_EQ(testing::UndrawnCharts(b.dom, charts), "");
  EXPECT_EQ(ConsoleLines(b.log), "");
  EXPECT_EQ(testing::Attr(b.dom, "equity-chart", "data-series"), "1");
  EXPECT_EQ(testing::Attr(b.dom, "rolling-sharpe-chart", "data-drawn"),
            std::to_string(run->recorder->days().size() - 62));
  EXPECT_EQ(testing::Attr(b.dom, "returns-hist", "data-drawn"),
            std::to_string(run->recorder->days().size()));
  // The tables and sections beside the charts.
  EXPECT_NE(b.dom.find("<table class=\"heat\" id=\"monthly-table\"><thead><tr><th>Year</th>"),
            std::string::npos);
  EXPECT_NE(b.dom.find("<th>2024</th><td style=\"background:rgb("), std::string::npos);
  EXPECT_NE(b.dom.find("<table id=\"drawdowns-table\">"), std::string::npos);
  EXPECT_NE(b.dom.find("<table id=\"charges-table\">"), std::string::npos);
  EXPECT_NE(b.dom.find("<div class=\"stats\" id=\"stats\">"), std::string::npos);
  EXPECT_NE(b.dom.find("<div class=\"cards\" id=\"summary\">"), std::string::npos);
  EXPECT_NE(b.dom.find("O-20240101-"), std::string::npos) << "orders table not filled";
  EXPECT_EQ(testing::Attr(b.dom, "orders-table", "data-rows"),
            std::to_string(
                std::min<std::size_t>(run->bt.engine->kernel().cache().Orders().size(), 5000)));
  // Readable: no debug text shown, no snake_case keys, figures formatted.
  EXPECT_EQ(html.find("max_drawdown"), std::string::npos);
  EXPECT_EQ(html.find("client_order_id"), std::string::npos);
  EXPECT_NE(html.find("<span>Starting balance</span><b>₹10,00,000.00</b>"), std::string::npos);
  // No spreads in this run: no Spreads section, no empty spread charts.
  EXPECT_EQ(html.find("<section id=\"spreads\">"), std::string::npos);
  EXPECT_EQ(b.dom.find("id=\"spread-pnl-chart\""), std::string::npos);
  EXPECT_EQ(b.dom.find("id=\"capital-chart\""), std::string::npos);

  // The check catches a broken page: corrupt the embedded data.
  std::string broken = html;
  const auto data = broken.find("id=\"report-data\">");
  ASSERT_NE(data, std::string::npos);
  broken.insert(data + 17, "{oops");
  std::ofstream(dir / "broken.html", std::ios::binary) << broken;
  const Browser bad = Load(dir / "broken.html");
  EXPECT_EQ(bad.dom.find("charts</div>"), std::string::npos);
  // The page's error handler writes the error into the DOM and shows it (the browser log may
  // not be flushed before --dump-dom exits, so the DOM is the reliable witness).
  EXPECT_NE(bad.dom.find("<div id=\"render-status\" class=\"error\">error: "), std::string::npos)
      << bad.dom.substr(0, 2000) << bad.log;

  // And a missing chart: the page reports it instead of rendering the rest quietly.
  std::string missing = html;
  const std::string canvas = "<canvas id=\"returns-hist\"></canvas>";
  const auto at = missing.find(canvas);
  ASSERT_NE(at, std::string::npos);
  missing.erase(at, canvas.size());
  std::ofstream(dir / "missing.html", std::ios::binary) << missing;
  const Browser gone = Load(dir / "missing.html");
  EXPECT_NE(gone.dom.find("<div id=\"render-status\" class=\"error\">error: "), std::string::npos)
      << gone.dom.substr(0, 2000);
  EXPECT_NE(gone.dom.find("missing element #returns-hist"), std::string::npos);
}

}  // namespace
}  // namespace nacre
