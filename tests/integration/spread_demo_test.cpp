// The options-spread demo as the README runs it, on two months instead of a year: synthesise a
// catalog with the demo's synth config, run the demo config on it through the CLI, and check
// the result folder has every file and that the books agree: capital history final = initial +
// Σ spread P&L net of charges = the account's equity change.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_exec.h"
#include "model/money.h"

namespace {

namespace fs = std::filesystem;
using nacre::testing::Exec;

std::vector<std::vector<std::string>> ReadCsv(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::string cell;
    bool quoted = false;
    for (char c : line) {
      if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && !quoted) {
        cells.push_back(cell);
        cell.clear();
      } else {
        cell += c;
      }
    }
    cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

std::size_t Col(const std::vector<std::string>& header, const std::string& name) {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  ADD_FAILURE() << "no column " << name;
  return 0;
}

nacre::Money M(const std::string& s) { return *nacre::Money::Parse(s); }

TEST(SpreadDemo, TwoMonthsWriteEveryFileAndTheBooksAgree) {
  const fs::path root =
      fs::temp_directory_path() / ("nacre_spread_demo_" + std::to_string(::getpid()));
  fs::remove_all(root);
  const fs::path catalog = root / "catalog";
  const fs::path out = root / "results";
  const auto synth = Exec("catalog synth --out '" + catalog.string() +
                              "' --config examples/nifty_spreads_synth.toml --start 2025-01-01 "
                              "--end 2025-02-28",
                          true);
  ASSERT_EQ(synth.exit_code, 0) << synth.out;
  const std::string set = " --set 'data.0.catalog=\"" + catalog.string() +
                          "\"' --set 'data.1.catalog=\"" + catalog.string() + "\"'";
  const auto run = Exec(
      "backtest examples/nifty_spreads_backtest.toml -q --out '" + out.string() + "'" + set, true);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  for (const char* f : {"orders.csv", "fills.csv", "positions.csv", "account.csv", "daily_pnl.csv",
                        "stats.json", "report.html", "spreads.csv", "spread_monitor.csv",
                        "capital_history.csv", "spread_results.csv"}) {
    EXPECT_TRUE(fs::exists(out / f)) << f;
  }
  // Spreads were traded, each closed or failed spread moved capital once.
  const auto spreads = ReadCsv(out / "spread_results.csv");
  ASSERT_GT(spreads.size(), 5u) << run.out;
  const auto& sh = spreads[0];
  nacre::Money pnl = nacre::Money::Zero();       // spreads finished (closed or failed)
  nacre::Money realized = nacre::Money::Zero();  // every spread, open ones' charges included
  std::size_t finished = 0;
  for (std::size_t i = 1; i < spreads.size(); ++i) {
    const std::string state = spreads[i][Col(sh, "state")];
    realized += M(spreads[i][Col(sh, "realized_pnl")]);
    if (state != "CLOSED" && state != "FAILED") continue;
    pnl += M(spreads[i][Col(sh, "realized_pnl")]);
    ++finished;
  }
  const auto history = ReadCsv(out / "capital_history.csv");
  ASSERT_EQ(history.size(), finished + 1);
  const auto& hh = history[0];
  EXPECT_EQ(M(history[1][Col(hh, "previous_capital")]), M("400000"));
  const nacre::Money final_capital = M(history.back()[Col(hh, "new_capital")]);
  EXPECT_EQ(final_capital, M("400000") + pnl);
  // The account is premium style: its balance is the start plus every fill's premium (sales
  // +, buys −; these contracts have multiplier 1, quantities in units; settlement fills at
  // intrinsic) less every fill's charges.
  const auto fills = ReadCsv(out / "fills.csv");
  const auto& fh = fills[0];
  nacre::Money cash = M("400000");
  nacre::Money fill_charges = nacre::Money::Zero();
  for (std::size_t i = 1; i < fills.size(); ++i) {
    const nacre::Money premium =
        nacre::Money::Notional(*nacre::Price::Parse(fills[i][Col(fh, "last_px")]),
                               *nacre::Quantity::Parse(fills[i][Col(fh, "last_qty")]), 1);
    cash += fills[i][Col(fh, "side")] == "SELL" ? premium : -premium;
    cash -= M(fills[i][Col(fh, "commission")]);
    fill_charges += M(fills[i][Col(fh, "commission")]);
  }
  const auto account = ReadCsv(out / "account.csv");
  const auto& ah = account[0];
  const nacre::Money balance = M(account.back()[Col(ah, "balance")]);
  EXPECT_EQ(balance, cash) << "account balance vs the fills' premiums and charges";
  // Equity = balance + open positions' mark value = start + Σ spreads' realized P&L (net of
  // charges; spreads still open have paid their entry charges) + unrealized: the spreads'
  // books and the account agree whether or not everything is flat at the end.
  const auto equity = ReadCsv(out / "equity.csv");
  const auto& eh = equity[0];
  const auto& last = equity.back();
  EXPECT_EQ(M(last[Col(eh, "balance")]), balance);
  EXPECT_EQ(M(last[Col(eh, "equity")]), balance + M(last[Col(eh, "open_value")]));
  EXPECT_EQ(M(last[Col(eh, "equity")]), M("400000") + realized + M(last[Col(eh, "unrealized_pnl")]))
      << "account equity vs spread P&L";
  if (finished + 1 == spreads.size()) {
    EXPECT_EQ(balance, M("400000") + realized) << "flat: balance = start + realized";
  }
  // Charges were applied by the venue and carried into the spreads.
  nacre::Money charges = nacre::Money::Zero();
  for (std::size_t i = 1; i < spreads.size(); ++i) charges += M(spreads[i][Col(sh, "charges")]);
  EXPECT_GT(charges, nacre::Money::Zero());
  EXPECT_EQ(charges, fill_charges);

  // A sweep over the risk budget changes the trades: the same two months at 5% and 10% risk
  // per trade, the same catalog. Sizing divides the risk budget by what one lot can lose, so
  // doubling the budget must give more lots to the first spread, and a different result.
  const fs::path grid = root / "grid.toml";
  std::ofstream(grid) << "actors.0.risk_per_trade_pct = [5, 10]\n"
                      << "data.0.catalog = [\"" << catalog.string() << "\"]\n"
                      << "data.1.catalog = [\"" << catalog.string() << "\"]\n";
  const fs::path sweep = root / "sweep";
  const auto sw = Exec("sweep examples/nifty_spreads_backtest.toml --grid '" + grid.string() +
                           "' --out '" + sweep.string() + "'",
                       true);
  ASSERT_EQ(sw.exit_code, 0) << sw.out;
  const auto table = ReadCsv(sweep / "sweep.csv");
  ASSERT_EQ(table.size(), 3u);
  const std::size_t eq = Col(table[0], "final_equity");
  EXPECT_NE(table[1][eq], table[2][eq]) << "risk_per_trade_pct changed nothing";
  const auto at5 = ReadCsv(sweep / "run-0001" / "spread_results.csv");
  const auto at10 = ReadCsv(sweep / "run-0002" / "spread_results.csv");
  ASSERT_GT(at5.size(), 1u);
  ASSERT_GT(at10.size(), 1u);
  const std::size_t lots = Col(at5[0], "lots");
  EXPECT_LT(std::stoi(at5[1][lots]), std::stoi(at10[1][lots]));
  // The 5% run is the plain backtest above, spread for spread.
  EXPECT_EQ(at5.size(), spreads.size());
  const auto hist5 = ReadCsv(sweep / "run-0001" / "capital_history.csv");
  EXPECT_EQ(hist5.back()[Col(hh, "new_capital")], history.back()[Col(hh, "new_capital")]);
  // Each trade's sizing is in its capital history row: lots = min(by risk, by deployment, cap).
  for (std::size_t i = 1; i < history.size(); ++i) {
    const auto& row = history[i];
    const long by_risk = std::stol(row[Col(hh, "lots_by_risk")]);
    const long by_deploy = std::stol(row[Col(hh, "lots_by_deployment")]);
    const long cap = std::stol(row[Col(hh, "max_lots")]);
    const long expect = std::min({by_risk, by_deploy, cap});
    const bool floor = row[Col(hh, "one_lot_floor")] == "yes";
    EXPECT_EQ(std::stol(row[Col(hh, "lots")]), floor ? 1L : expect) << i;
    EXPECT_EQ(floor, expect == 0) << i;
  }
  fs::remove_all(root);
}

}  // namespace
