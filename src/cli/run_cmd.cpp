// `nacre run CONFIG.toml`: a trading node (live/trading_node.h) from a node config
// (live/node_config.h). SIGINT/SIGTERM stop it cleanly (strategies stop, working orders are
// cancelled or left as configured, the journal is flushed, the results folder written); a
// second signal exits at once (everything committed to the journal is kept; the next start
// recovers from it). Exit codes: 0 clean stop, 2 bad usage or configuration (checked before
// anything runs), 3 the kernel could not start (with --exit-on-start-failure; otherwise the
// node stays up with trading HALTED), 1 any other failure (a client not connected in time,
// journal, recovery, results).
#include <fmt/format.h>
#include <signal.h>

#include <atomic>
#include <ctime>
#include <thread>

#include "backtest/results_recorder.h"
#include "backtest/statistics.h"
#include "backtest/sweep.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "common/config.h"
#include "live/node_config.h"

namespace nacre::cli {

namespace {

struct RunOptions {
  std::string config;
  std::vector<std::string> sets;
  std::string out;
  bool quiet = false;
  bool exit_on_start_failure = false;
  bool flatten_on_stop = false;
};

// Waits for SIGINT/SIGTERM on its own thread (they are blocked in every other thread) and asks
// the node to stop; a second one exits the process at once.
class SignalWatcher {
 public:
  explicit SignalWatcher(TradingNode& node) : node_(node) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
    thread_ = std::thread([this] { Watch(); });
  }
  ~SignalWatcher() {
    done_ = true;
    thread_.join();
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  void Watch() {
    int count = 0;
    while (!done_.load()) {
      timespec wait{0, 100'000'000};
      const int sig = sigtimedwait(&set_, nullptr, &wait);
      if (sig < 0) continue;
      const char* name = sig == SIGINT ? "SIGINT" : "SIGTERM";
      if (++count == 1) {
        fmt::print(stderr, "\nnacre run: {}: stopping (a second signal exits at once)\n", name);
        node_.RequestStop(name);
      } else {
        fmt::print(stderr, "\nnacre run: second {}: exiting now; the journal keeps every "
                           "committed entry and the next start recovers from it\n", name);
        std::_Exit(130);
      }
    }
  }
  TradingNode& node_;
  sigset_t set_{};
  sigset_t old_{};
  std::atomic<bool> done_{false};
  std::thread thread_;
};

int Run(const RunOptions& o) {
  ComponentRegistry registry;
  RegisterAllComponents(registry);
  std::vector<ConfigOverride> overrides;
  for (const std::string& s : o.sets) overrides.push_back(ParseOverrideOption(s));
  LoadedNode loaded = LoadNodeConfig(o.config, registry, o.quiet ? nullptr : stderr, overrides);
  TradingNode& node = *loaded.node;
  if (!o.out.empty()) node.SetResultsDir(o.out);
  node.SetExitOnStartFailure(o.exit_on_start_failure);
  if (o.flatten_on_stop) node.SetOnStop(NodeSettings::OnStop::kFlatten);
  const NodeSettings& s = node.settings();
  if (!s.results_dir.empty()) {
    // A node's results folder is rewritten as it runs; a restarted node keeps the earlier
    // run's files (earlier/run-N/), a fresh one clears them (TradingNode::Run).
    if (const Status ready = PrepareResultsFolder(s.results_dir, /*force=*/true, /*keep=*/true);
        !ready) {
      fmt::print(stderr, "error: {}\n", ready.error());
      return 2;
    }
  }
  fmt::print(stderr, "nacre run: {} node {}, state in {}, clock {}{}\n", s.environment,
             node.kernel().config().trader_id.value(), node.journal_path(),
             s.clock == NodeSettings::ClockMode::kReal
                 ? std::string("real time")
                 : fmt::format("{} x{} from {}",
                               s.clock == NodeSettings::ClockMode::kReplay ? "replay" : "scaled",
                               s.speed == 0 ? std::string("max") : fmt::format("{}", s.speed),
                               FormatIst(s.start)),
             s.end ? fmt::format(", until {}", FormatIst(*s.end)) : std::string());
  ProgressBar bar("data items");
  node.SetProgressCallback([&bar](const TradingNode::Progress& p) {
    bar.Update(p.data_items, p.fraction, p.finished);
  });
  NodeRunResult r;
  {
    SignalWatcher signals(node);
    r = node.Run();
  }
  if (!r.status.ok() && r.resumed_at.value == 0) {
    fmt::print(stderr, "error: {}\n", r.status.error());
    return 1;
  }
  const Cache& cache = node.kernel().cache();
  fmt::print("Node {} stopped: {}\n", node.kernel().config().trader_id.value(), r.stop_reason);
  fmt::print("  clock                {} -> {}\n", FormatIst(r.resumed_at), FormatIst(r.stopped_at));
  if (r.recovered) {
    fmt::print("  recovered            {} journal entries replayed, {} lost in flight\n",
               r.entries_replayed, r.lost_in_flight);
  }
  fmt::print("  data items           {}\n", r.data_items);
  fmt::print("  orders (all runs)    {} ({} open)\n", cache.orders_total(), cache.orders_open_count());
  fmt::print("  journal              {} entries in {} commits this run\n", r.journal_entries,
             r.journal_commits);
  if (!r.spreads_in_flight.empty()) {
    fmt::print("  spreads in flight    {} (saved; they resume when the node restarts)\n",
               r.spreads_in_flight.size());
    for (const std::string& line : r.spreads_in_flight) fmt::print("    {}\n", line);
  }
  if (!r.open_positions.empty()) {
    fmt::print("  open positions       {}\n", r.open_positions.size());
    for (const std::string& line : r.open_positions) fmt::print("    {}\n", line);
  }
  if (const ResultsRecorder* rec = node.recorder()) {
    fmt::print("{}", StatisticsTable(rec->statistics()));
    fmt::print(stderr, "results in {}\n", s.results_dir);
  }
  if (!r.start_status.ok() && r.status.ok()) {
    fmt::print(stderr, "error: the kernel did not start, trading stayed HALTED: {}\n",
               r.start_status.error());
    if (o.exit_on_start_failure) return 3;
  }
  if (!r.status.ok()) {
    fmt::print(stderr, "error: {}\n", r.status.error());
    return 1;
  }
  if (const std::string summary = node.kernel().logger().Summary(); !summary.empty()) {
    fmt::print(stderr, "Warnings and errors by kind:\n{}", summary);
  }
  return 0;
}

}  // namespace

void AddRunCommands(CLI::App& app, Commands& out) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* run = app.add_subcommand(
      "run", "Run a trading node (sandbox: replayed or live data, simulated fills) from a TOML "
             "node config");
  run->add_option("config", o->config, "Node config (TOML)")->required();
  run->add_option("--set", o->sets, "Replace a config setting: KEY=VALUE (TOML value)");
  run->add_option("--out", o->out, "Results folder (replaces [output] dir)");
  run->add_flag("-q,--quiet", o->quiet, "Do not print the kernel log");
  run->add_flag("--flatten-on-stop", o->flatten_on_stop,
                "At stop, close every position through the kill switch's flatten (replaces "
                "[node] on_stop)");
  run->add_flag("--exit-on-start-failure", o->exit_on_start_failure,
                "Exit 3 when the kernel cannot start (reconciliation mismatch...) instead of "
                "staying up with trading HALTED");
  out.emplace_back(run, [o] {
    try {
      return Run(*o);
    } catch (const ConfigError& e) {
      fmt::print(stderr, "error: {}\n", e.what());
      return 2;
    }
  });
}

}  // namespace nacre::cli
