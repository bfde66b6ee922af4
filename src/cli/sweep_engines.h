// The two ways `nacre sweep` runs its points (cli/sweep_cmd.cpp): the local process pool
// (the default) and a Dask cluster (cli/sweep_dask.cpp). Both fill the same SweepRun rows
// (backtest/sweep.h FinishSweepRun), so sweep.csv and sweep.parquet do not depend on the
// engine.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "backtest/sweep.h"
#include "cli/progress.h"

namespace nacre::cli {

struct SweepArgs {
  std::string config;
  std::string grid;
  int workers = 1;
  std::string out = "sweep";
  std::size_t max_runs = 1000;  // a bigger grid must be confirmed with --max-runs
  std::string engine = "local";
  // --engine dask:
  std::string scheduler;        // tcp://HOST:PORT
  std::string python;           // interpreter with `distributed` (default: see sweep_dask.cpp)
  std::string worker_nacre;     // the nacre binary on the workers (default: this one's path)
  double connect_timeout = 10;  // seconds to reach the scheduler
};

// "k=v k=v" for messages.
std::string Params(const std::vector<ConfigOverride>& params);

// `backtest CONFIG -q --set k=v ...`: a point's command line after the binary, without --out.
std::vector<std::string> BacktestArgs(const std::string& config,
                                      const std::vector<ConfigOverride>& params);

std::string Slurp(const std::string& path);

// One stderr line per finished run ("[3/8] run-0003 ok (k=v)"), and on a terminal a bar
// with the rate and ETA.
class SweepProgress {
 public:
  explicit SweepProgress(std::size_t total) : total_(total), bar_("runs") {}
  void Done(const SweepRun& run, std::string_view note = {});
  // Another stderr line (over the bar, which the next Done redraws).
  void Say(std::string_view line);

 private:
  std::size_t total_;
  std::size_t done_ = 0;
  ProgressBar bar_;
};

// --engine dask: checks the sweep folder before anything runs; it may be empty or hold an
// earlier Dask sweep (whose finished points are reused). Throws ConfigError otherwise.
void CheckDaskSweepFolder(const std::string& out);
// Runs the points of `runs` (params and folder set) on the cluster and fills their rows.
// Returns 0, or an exit code after printing why the sweep could not run.
int RunDaskPoints(const SweepArgs& a, std::vector<SweepRun>& runs, SweepProgress& progress);

}  // namespace nacre::cli
