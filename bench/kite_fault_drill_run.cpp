// The Zerodha fault drill's command line (kite_fault_drill.h says what a run does and checks):
//   ./build/release/bench/nacre_kite_fault_drill --nacre build/release/nacre --min-faults 1000
// prints one line per run (a Kite day) and the totals: runs, kills, faults by kind, orders,
// lost, duplicated. Exit 0 when nothing was lost, duplicated or mismatched, 1 when something
// was (each problem is listed), 2 when the drill could not run. bench/kite_fault_drill.sh
// builds the release tree and runs it.
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "kite_fault_drill.h"

int main(int argc, char** argv) {
  nacre::drill::DrillOptions o;
  std::string work;
  std::string json_out;
  bool keep = false;
  CLI::App app{"The Zerodha fault drill: the spread application live against the faulty Kite "
               "emulator, killed at random and restarted; each run checked against the "
               "emulator's ledger"};
  app.add_option("--nacre", o.nacre, "the nacre binary")->required();
  app.add_option("--source", o.source_dir, "the checkout (for examples/)")->default_val(".");
  app.add_option("--work", work, "scratch folder (default: a new one under /tmp, removed)");
  app.add_flag("--keep", keep, "keep the scratch folder (logs, journals, fault plans)");
  app.add_option("--runs", o.runs, "Kite days at least")->default_val(1)->check(CLI::Range(1, 10000));
  app.add_option("--min-faults", o.min_faults, "more runs until this many faults fired")
      ->default_val(0);
  app.add_option("--max-runs", o.max_runs, "runs at most")->default_val(200);
  app.add_option("--kills", o.kills, "SIGKILLs per run")->default_val(4)->check(CLI::Range(0, 1000));
  app.add_option("--market-minutes", o.market_minutes, "market minutes per run (from 09:20)")
      ->default_val(90)->check(CLI::Range(5, 350));
  app.add_option("--speed", o.speed, "the emulator's clock rate")->default_val(60)
      ->check(CLI::Range(1.0, 600.0));
  app.add_option("--seed", o.seed, "seeds kills, failpoints, fault plans and days")->default_val(1);
  app.add_option("--fault-scale", o.fault_scale, "multiplies every fault probability")
      ->default_val(1.0);
  app.add_option("--json", json_out, "also write the totals as JSON here");
  CLI11_PARSE(app, argc, argv);
  std::error_code ec;
  const bool temp = work.empty();
  if (temp) {
    char tmpl[] = "/tmp/nacre_kite_drill.XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      fmt::print(stderr, "fault drill: cannot make a scratch folder\n");
      return 2;
    }
    work = tmpl;
  }
  o.work = work;
  o.progress = [](const std::string& line) {
    fmt::print("{}\n", line);
    std::fflush(stdout);
  };
  auto totals = nacre::drill::RunDrill(o);
  if (temp && !keep) std::filesystem::remove_all(work, ec);
  if (!totals.ok()) {
    fmt::print(stderr, "fault drill: {}\n", totals.error());
    return 2;
  }
  fmt::print("{}", totals->Report());
  if (!json_out.empty()) std::ofstream(json_out) << totals->ToJson().dump(2) << "\n";
  if (keep) fmt::print("scratch folder kept: {}\n", work);
  return totals->ok() ? 0 : 1;
}
