// nacre: command-line entry point. `nacre backtest CONFIG.toml` loads a TOML backtest, runs
// it, prints a deterministic summary table on stdout and the run-phase throughput on stderr.
// Exit codes: 0 success, 2 bad configuration or input data, 1 other failure.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <exception>

#include "apps/examples/sma_cross.h"
#include "backtest/backtest_config.h"
#include "common/config.h"

namespace {

// A one-line progress bar with rate and ETA on a terminal; silent when stderr is piped.
class ProgressBar {
 public:
  ProgressBar() : enabled_(isatty(STDERR_FILENO) == 1), t0_(std::chrono::steady_clock::now()) {}
  void Update(std::uint64_t done, std::uint64_t total) {
    if (!enabled_ || total == 0) return;
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
    const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
    const int width = 30;
    const auto filled = static_cast<int>(width * done / total);
    fmt::print(stderr, "\r[{}{}] {:5.1f}% {:.0f} events/s ETA {:.0f}s ",
               std::string(static_cast<std::size_t>(filled), '#'),
               std::string(static_cast<std::size_t>(width - filled), ' '),
               100.0 * static_cast<double>(done) / static_cast<double>(total), rate, eta);
    if (done == total) fmt::print(stderr, "\n");
  }

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point t0_;
};

int RunBacktest(const std::string& config_path, bool quiet_log) {
  nacre::ComponentRegistry registry;
  nacre::RegisterExampleComponents(registry);
  nacre::LoadedBacktest bt =
      nacre::LoadBacktestConfig(config_path, registry, quiet_log ? nullptr : stderr);
  ProgressBar bar;
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
  CLI11_PARSE(app, argc, argv);
  try {
    if (*backtest) return RunBacktest(config_path, quiet);
  } catch (const nacre::ConfigError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
  return 0;
}
