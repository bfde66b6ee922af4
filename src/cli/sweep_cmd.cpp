// `nacre sweep CONFIG --grid GRID [--workers N] [--out DIR] [--engine local|dask]`: expands
// the grid (backtest/sweep.h), checks every key against the config before anything runs, then
// runs each point as `nacre backtest CONFIG -q --out DIR/run-NNNN --set ...`: with the local
// engine (the default) as its own process (posix_spawn of this binary), at most N at a time,
// keeping its stdout/stderr beside its folder; with --engine dask as a task on a Dask cluster
// (cli/sweep_dask.cpp). A failing run is a row with status "failed", its exit code and last
// error line; the others carry on. sweep.csv and sweep.parquet list the runs in grid order
// whatever order they finished in, the same bytes whichever engine ran them.
#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "backtest/sweep.h"
#include "cli/build_id.h"
#include "cli/commands.h"
#include "cli/sweep_engines.h"
#include "common/config.h"

extern char** environ;

namespace nacre::cli {

namespace fs = std::filesystem;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Params(const std::vector<ConfigOverride>& params) {
  std::string s;
  for (const auto& [k, v] : params) s += (s.empty() ? "" : " ") + k + "=" + v;
  return s;
}

std::vector<std::string> BacktestArgs(const std::string& config,
                                      const std::vector<ConfigOverride>& params) {
  std::vector<std::string> args = {"backtest", config, "-q"};
  for (const auto& [k, v] : params) {
    args.push_back("--set");
    args.push_back(k + "=" + v);
  }
  return args;
}

void SweepProgress::Say(std::string_view line) {
  if (bar_.enabled()) fmt::print(stderr, "\r\033[K");  // over the bar
  fmt::print(stderr, "{}\n", line);
}

void SweepProgress::Done(const SweepRun& run, std::string_view note) {
  ++done_;
  Say(fmt::format("[{}/{}] {} {} ({}){}{}", done_, total_, fs::path(run.folder).filename().string(),
                  run.ok ? "ok" : "FAILED", Params(run.params), note.empty() ? "" : " ", note));
  bar_.Update(done_, total_);
}

namespace {

// Starts one run; returns its pid (or -1 with `error` set).
pid_t Spawn(const std::string& self, const SweepArgs& a, const SweepRun& run, std::string* error) {
  std::vector<std::string> args = BacktestArgs(a.config, run.params);
  args.insert(args.begin(), self);
  args.push_back("--out");
  args.push_back(run.folder);
  std::vector<char*> argv;
  for (std::string& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  // The run's console output goes beside its folder (the folder itself is the backtest's
  // results folder, which must be empty when the run starts).
  const std::string out = run.folder + ".stdout.txt";
  const std::string err = run.folder + ".stderr.txt";
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, self.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    *error = fmt::format("cannot start {}: {}", self, std::strerror(rc));
    return -1;
  }
  return pid;
}

// The local process pool: at most --workers runs at a time.
void RunLocalPoints(const SweepArgs& a, std::vector<SweepRun>& runs, SweepProgress& progress) {
  const std::string self = SelfPath();
  std::map<pid_t, std::size_t> running;
  std::size_t next = 0;
  while (next < runs.size() || !running.empty()) {
    while (next < runs.size() && running.size() < static_cast<std::size_t>(a.workers)) {
      SweepRun& r = runs[next];
      const pid_t pid = Spawn(self, a, r, &r.error);
      if (pid < 0) {
        r.exit_code = -1;
        progress.Done(r);
      } else {
        running.emplace(pid, next);
      }
      ++next;
    }
    if (running.empty()) continue;
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) break;
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    SweepRun& r = runs[it->second];
    running.erase(it);
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    const fs::path stats = fs::path(r.folder) / "stats.json";
    std::optional<std::string> stats_json;
    if (fs::exists(stats)) stats_json = Slurp(stats.string());
    FinishSweepRun(r, code, stats_json, Slurp(r.folder + ".stderr.txt"));
    progress.Done(r);
  }
}

void CheckEngineOptions(const SweepArgs& a, const CLI::App& cmd) {
  if (a.workers < 1) throw ConfigError("--workers must be at least 1");
  const bool dask = a.engine == "dask";
  if (dask && a.scheduler.empty()) {
    throw ConfigError(
        "--engine dask needs --scheduler tcp://HOST:PORT (a running `dask scheduler`)");
  }
  if (dask && cmd.count("--workers") > 0) {
    throw ConfigError(
        "--workers is for the local engine: with --engine dask the cluster's "
        "workers and threads set how many runs go at a time");
  }
  if (!dask) {
    for (const char* o : {"--scheduler", "--python", "--worker-nacre", "--connect-timeout"}) {
      if (cmd.count(o) > 0) throw ConfigError(fmt::format("{} needs --engine dask", o));
    }
  }
}

int RunSweep(const SweepArgs& a) {
  const SweepGrid grid = LoadSweepGrid(a.grid, a.config);
  const auto points = ExpandGrid(grid);
  // Refused before anything runs: a typo in a grid (one value list too long) must not start
  // thousands of backtests.
  if (points.size() > a.max_runs) {
    throw ConfigError(fmt::format("{}: the grid expands to {} runs, more than --max-runs {}; "
                                  "pass --max-runs {} to run them all",
                                  a.grid, points.size(), a.max_runs, points.size()));
  }
  std::error_code ec;
  // Checked before any run: a sweep never mixes its runs with an earlier sweep's (a Dask
  // sweep may resume an earlier Dask sweep: its rows are keyed by what they ran).
  if (a.engine == "dask") {
    CheckDaskSweepFolder(a.out);
  } else if (fs::exists(a.out, ec) && (!fs::is_directory(a.out, ec) || !fs::is_empty(a.out, ec))) {
    throw ConfigError(fmt::format("--out {}: {}", a.out,
                                  fs::is_directory(a.out, ec)
                                      ? "the folder already holds files (an earlier sweep's "
                                        "runs would be mixed with this one's); choose an empty "
                                        "folder"
                                      : "exists and is not a directory"));
  }
  fs::create_directories(a.out, ec);
  if (ec) {
    fmt::print(stderr, "error: {}: cannot create sweep folder: {}\n", a.out, ec.message());
    return 2;
  }
  std::vector<SweepRun> runs(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    runs[i].params = points[i];
    runs[i].folder = (fs::path(a.out) / fmt::format("run-{:04}", i + 1)).string();
  }
  SweepProgress progress(runs.size());
  if (a.engine == "dask") {
    if (const int rc = RunDaskPoints(a, runs, progress); rc != 0) return rc;
  } else {
    RunLocalPoints(a, runs, progress);
  }
  const fs::path csv = fs::path(a.out) / "sweep.csv";
  {
    std::ofstream out(csv, std::ios::binary | std::ios::trunc);
    out << SweepCsv(grid, runs);
    if (!out) {
      fmt::print(stderr, "error: {}: cannot write\n", csv.string());
      return 1;
    }
  }
  const Status pq = WriteSweepParquet(csv.string(), (fs::path(a.out) / "sweep.parquet").string());
  if (!pq.ok()) {
    fmt::print(stderr, "error: {}\n", pq.error());
    return 1;
  }
  // Deterministic summary on stdout, in grid order.
  std::size_t failed = 0;
  fmt::print("Sweep: {} runs over {} keys -> {}\n", runs.size(), grid.keys.size(), a.out);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const SweepRun& r = runs[i];
    std::string equity;
    std::string dd;
    std::string sharpe;
    for (const auto& [k, v] : r.stats) {
      if (k == "final_equity") equity = v;
      if (k == "max_drawdown") dd = v;
      if (k == "sharpe") sharpe = v.empty() ? "-" : v;
    }
    if (!r.ok) ++failed;
    fmt::print("  {:>4}  {:<40} {}\n", i + 1, Params(r.params),
               r.ok ? fmt::format("equity {} max dd {} sharpe {}", equity, dd, sharpe)
                    : "FAILED: " + r.error);
  }
  if (failed > 0) fmt::print(stderr, "{} of {} runs failed\n", failed, runs.size());
  return failed > 0 ? 1 : 0;
}

}  // namespace

void AddSweepCommands(CLI::App& app, Commands& out) {
  auto args = std::make_shared<SweepArgs>();
  CLI::App* sweep = app.add_subcommand(
      "sweep", "Run a backtest over a grid of parameter values in parallel processes");
  sweep->add_option("config", args->config, "Backtest config (TOML)")->required();
  sweep->add_option("--grid", args->grid, "Grid file: KEY = [values] per setting")->required();
  sweep->add_option("--workers,-j", args->workers, "Runs at a time (default 1)");
  sweep->add_option("--out", args->out, "Sweep folder (default ./sweep)");
  sweep->add_option("--max-runs", args->max_runs,
                    "Refuse a grid of more runs than this (default 1000); raise it to confirm");
  CLI::Option* engine = sweep->add_option(
      "--engine", args->engine,
      "local: processes on this machine (default); dask: tasks on a Dask cluster");
  engine->check(CLI::IsMember({"local", "dask"}));
  sweep->add_option("--scheduler", args->scheduler,
                    "--engine dask: the Dask scheduler's address, tcp://HOST:PORT");
  sweep->add_option("--python", args->python,
                    "--engine dask: Python with `distributed` (default $NACRE_PYTHON, else "
                    "/usr/bin/python3, else python3 on the PATH)");
  sweep->add_option("--worker-nacre", args->worker_nacre,
                    "--engine dask: the nacre binary's path on the workers (default: this "
                    "binary's path; it must be the same build)");
  sweep->add_option("--connect-timeout", args->connect_timeout,
                    "--engine dask: seconds to reach the scheduler (default 10)");
  out.emplace_back(sweep, [args, sweep] {
    CheckEngineOptions(*args, *sweep);
    return RunSweep(*args);
  });
}

}  // namespace nacre::cli
