// nacre: command-line entry point. Command families other than backtest live in *_cmd.cpp
// (cli/commands.h). `nacre backtest CONFIG.toml` loads a TOML backtest, runs
// it, prints a deterministic summary table on stdout and the run-phase throughput on stderr.
// Exit codes: 0 success, 2 bad usage, configuration, input data or results folder (all checked
// before the run), 1 other failure.
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>

#include "backtest/backtest_config.h"
#include "backtest/results_recorder.h"
#include "backtest/sweep.h"
#include "cli/build_id.h"
#include "adapters/zerodha/kite_node.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "common/config.h"
#include "common/result_files.h"

namespace {

long PeakRssKib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;  // KiB on Linux
}

int RunBacktest(const std::string& config_path, bool quiet_log, std::string out_dir,
                const std::vector<std::string>& sets, bool force) {
  const auto wall0 = std::chrono::steady_clock::now();
  nacre::ComponentRegistry registry;
  nacre::cli::RegisterAllComponents(registry);
  std::vector<nacre::ConfigOverride> overrides;
  for (const std::string& s : sets) overrides.push_back(nacre::ParseOverrideOption(s));
  nacre::LoadedBacktest bt =
      nacre::LoadBacktestConfig(config_path, registry, quiet_log ? nullptr : stderr, overrides);
  if (out_dir.empty()) out_dir = bt.output_dir;  // --out wins over [output] dir
  // The results folder is checked before any work, not found unwritable after the run.
  if (!out_dir.empty()) {
    if (const nacre::Status ready = nacre::PrepareResultsFolder(out_dir, force); !ready.ok()) {
      fmt::print(stderr, "error: {}\n", ready.error());
      return 2;
    }
  }
  nacre::cli::ProgressBar bar;
  bt.engine->SetProgressCallback([&bar](const nacre::BacktestEngine::RunProgress& p) {
    bar.Update(p.done, p.Fraction(), p.finished);
  });
  std::optional<nacre::ResultsRecorder> recorder;
  if (!out_dir.empty()) recorder.emplace(bt.engine->kernel(), bt.recorder);
  const nacre::BacktestResult r = bt.engine->Run(bt.start, bt.end);
  if (!bt.engine->start_status().ok()) {
    fmt::print(stderr, "error: {}: cannot start: {}\n", config_path,
               bt.engine->start_status().error());
    return 2;
  }
  if (!bt.engine->data_status().ok()) {
    fmt::print(stderr, "error: data: {} (the run stopped there)\n",
               bt.engine->data_status().error());
    return 2;
  }
  fmt::print("{}", r.Summary());
  if (recorder) {
    recorder->Finish();
    fmt::print("{}", nacre::StatisticsTable(recorder->statistics()));
    nacre::Status written = recorder->WriteFolder(out_dir);
    // Components' own files (capital history, spread trade log) go beside the engine's.
    const nacre::Trader& trader = bt.engine->kernel().trader();
    for (const auto& a : trader.actors()) {
      if (!written.ok()) break;
      if (const auto* f = dynamic_cast<const nacre::ResultFiles*>(a.get())) {
        written = f->WriteResultFiles(out_dir);
      }
    }
    for (const auto& s : trader.strategies()) {
      if (!written.ok()) break;
      if (const auto* f = dynamic_cast<const nacre::ResultFiles*>(s.get())) {
        written = f->WriteResultFiles(out_dir);
      }
    }
    if (!written.ok()) {
      fmt::print(stderr, "error: {}\n", written.error());
      return 1;
    }
  }
  std::fflush(stdout);
  fmt::print(stderr, "{}\n", r.Throughput());
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  fmt::print(stderr, "Total: {} events, {:.0f} events/s, wall {:.3f} s, peak RSS {:.1f} MiB{}\n",
             r.data_points, r.events_per_second, wall, static_cast<double>(PeakRssKib()) / 1024.0,
             out_dir.empty() ? std::string() : ", results in " + out_dir);
  // One line per repeated warning kind instead of hundreds of lines.
  if (const std::string summary = bt.engine->kernel().logger().Summary(); !summary.empty()) {
    fmt::print(stderr, "Warnings and errors by kind:\n{}", summary);
  }
  const auto errors = bt.engine->kernel().logger().error_count();
  if (errors > 0) {
    fmt::print(stderr, "warning: {} errors were logged during the run (last: {})\n", errors,
               bt.engine->kernel().logger().last_error());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // environment = "live" node configs ([kite]) go through the Zerodha adapter.
  nacre::RegisterKiteLiveAdapter();
  CLI::App app{"nacre: NSE index-option trading platform (backtests, sandbox trading nodes, and live trading through Zerodha Kite Connect)"};
  app.require_subcommand(1);
  // "nacre 0.1.0 (build <first 16 hex digits of the binary's SHA-256>)" (cli/build_id.h).
  app.set_version_flag("--version", [] { return nacre::cli::VersionLine(); });
  std::string config_path;
  bool quiet = false;
  CLI::App* backtest = app.add_subcommand("backtest", "Run a backtest from a TOML config");
  backtest->add_option("config", config_path, "Backtest config (TOML)")->required();
  backtest->add_flag("-q,--quiet", quiet, "Do not print the kernel log");
  std::string out_dir;
  backtest->add_option("--out", out_dir,
                       "Write the results folder (CSV files, stats.json, report.html) here");
  std::vector<std::string> sets;
  backtest->add_option("--set", sets, "Replace a config setting: KEY=VALUE (TOML value)");
  bool force = false;
  backtest->add_flag("--force", force,
                     "Replace a previous run's results in the --out folder (refused otherwise)");
  nacre::cli::Commands commands;
  nacre::cli::AddOptionsCommands(app, commands);
  nacre::cli::AddCatalogCommands(app, commands);
  nacre::cli::AddSynthCommands(app, commands);
  nacre::cli::AddSweepCommands(app, commands);
  nacre::cli::AddComponentsCommands(app, commands);
  nacre::cli::AddKiteEmuCommands(app, commands);
  nacre::cli::AddKiteCommands(app, commands);
  nacre::cli::AddJournalCommands(app, commands);
  nacre::cli::AddRunCommands(app, commands);
  nacre::cli::AddCtlCommands(app, commands);
  // Usage errors exit 2 like any other bad input (help and version exit 0).
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    if (*backtest) return RunBacktest(config_path, quiet, out_dir, sets, force);
    for (auto& [sub, run] : commands) {
      if (sub->parsed()) return run();
    }
  } catch (const nacre::ConfigError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
  return 0;
}
