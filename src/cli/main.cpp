// nacre: command-line entry point. Command families other than backtest live in *_cmd.cpp
// (cli/commands.h). `nacre backtest CONFIG.toml` loads a TOML backtest, runs
// it, prints a deterministic summary table on stdout and the run-phase throughput on stderr.
// Exit codes: 0 success, 2 bad configuration or input data, 1 other failure.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <exception>

#include "apps/examples/sma_cross.h"
#include "apps/spreads/register.h"
#include "backtest/backtest_config.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "common/config.h"

namespace {

int RunBacktest(const std::string& config_path, bool quiet_log) {
  nacre::ComponentRegistry registry;
  nacre::RegisterExampleComponents(registry);
  nacre::RegisterSpreadComponents(registry);
  nacre::LoadedBacktest bt =
      nacre::LoadBacktestConfig(config_path, registry, quiet_log ? nullptr : stderr);
  nacre::cli::ProgressBar bar;
  bt.engine->SetProgressCallback(
      [&bar](std::uint64_t done, std::uint64_t total) { bar.Update(done, total); });
  const nacre::BacktestResult r = bt.engine->Run(bt.start, bt.end);
  fmt::print("{}", r.Summary());
  std::fflush(stdout);
  fmt::print(stderr, "{}\n", r.Throughput());
  const auto errors = bt.engine->kernel().logger().error_count();
  if (errors > 0) {
    fmt::print(stderr, "warning: {} errors were logged during the run (last: {})\n", errors,
               bt.engine->kernel().logger().last_error());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nacre: NSE index-option trading platform (backtest, sandbox, live)"};
  app.require_subcommand(1);
  std::string config_path;
  bool quiet = false;
  CLI::App* backtest = app.add_subcommand("backtest", "Run a backtest from a TOML config");
  backtest->add_option("config", config_path, "Backtest config (TOML)")->required();
  backtest->add_flag("-q,--quiet", quiet, "Do not print the kernel log");
  nacre::cli::Commands commands;
  nacre::cli::AddOptionsCommands(app, commands);
  nacre::cli::AddSynthCommands(app, commands);
  CLI11_PARSE(app, argc, argv);
  try {
    if (*backtest) return RunBacktest(config_path, quiet);
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
