// `nacre sweep --engine dask` against a real Dask cluster on 127.0.0.1 (a scheduler and
// workers started here on free ports, Debian's python3-distributed; skipped with a message
// when it is not installed). The workers run a stand-in for nacre that records each run and
// waits for the test's go-ahead, so a worker is killed at a known moment (after the first
// row arrived, with its own point in flight), and executions are counted exactly:
//  - every row arrives once and sweep.csv/sweep.parquet are the local engine's bytes, with a
//    worker killed mid-sweep (its point is rerun by the scheduler);
//  - a sweep interrupted after two points reruns only the other two when resubmitted, and a
//    finished sweep resubmitted runs nothing (even with the cluster gone);
//  - an unreachable scheduler, a Python without distributed, a missing interpreter and wrong
//    options are clear errors before anything runs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_exec.h"
#include "tmp_files.h"

extern char** environ;

namespace nacre {
namespace {

namespace fs = std::filesystem;
using testing::Exec;
using testing::Fresh;
using testing::PrivateTmp;
using testing::Slurp;
using testing::WriteTmp;

constexpr const char* kConfig = "examples/sma_cross_demo.toml";

// The interpreter `nacre sweep` picks by default (cli/sweep_dask.cpp).
std::string Python() {
  if (const char* env = std::getenv("NACRE_PYTHON"); env != nullptr && *env != '\0') return env;
  if (access("/usr/bin/python3", X_OK) == 0) return "/usr/bin/python3";
  return "python3";
}

bool HaveDistributed() {
  return std::system(("'" + Python() + "' -c 'import distributed' >/dev/null 2>&1").c_str()) == 0;
}

#define SKIP_WITHOUT_DASK()                                       \
  if (!HaveDistributed())                                         \
  GTEST_SKIP() << Python()                                        \
               << " cannot import distributed: install Debian's " \
                  "python3-distributed (scripts/setup.sh does) to run Dask sweeps"

bool WaitFor(const std::function<bool()>& done, double seconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// Starts argv with stdout and stderr into `log`; in its own process group when asked.
pid_t Start(std::vector<std::string> args, const fs::path& log, bool own_group = false) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  if (own_group) {
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  }
  std::vector<char*> argv;
  for (std::string& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  return rc == 0 ? pid : -1;
}

// Exit code once `pid` (a child) ends, or -1 after `seconds`.
int Wait(pid_t pid, double seconds) {
  int status = 0;
  if (!WaitFor([&] { return waitpid(pid, &status, WNOHANG) == pid; }, seconds)) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void Stop(pid_t& pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  if (Wait(pid, 10) < 0) {
    kill(pid, SIGKILL);
    Wait(pid, 10);
  }
  pid = -1;
}

// `nacre sweep` as a user starts it (from the source tree), in the background.
pid_t StartSweep(const std::string& args, const fs::path& log) {
  return Start(
      {"/bin/sh", "-c",
       std::string("cd '") + NACRE_SOURCE_DIR + "' && exec '" + NACRE_CLI_PATH + "' sweep " + args},
      log, /*own_group=*/true);
}

// A scheduler and workers on 127.0.0.1, on free ports, one thread each and no nanny (a killed
// worker stays dead, as a lost machine would).
class Cluster {
 public:
  explicit Cluster(fs::path dir) : dir_(std::move(dir)) { fs::create_directories(dir_); }
  ~Cluster() {
    for (pid_t& w : workers_) Stop(w);
    Stop(scheduler_);
  }
  // Returns "" or why the cluster did not come up.
  std::string StartScheduler() {
    const fs::path file = dir_ / "scheduler.json";
    scheduler_ =
        Start({Python(), "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port",
               "0", "--dashboard-address", "127.0.0.1:0", "--scheduler-file", file.string()},
              dir_ / "scheduler.log");
    if (!WaitFor([&] { return Slurp(file).find("\"address\"") != std::string::npos; }, 30)) {
      return "no scheduler file; log:\n" + Slurp(dir_ / "scheduler.log");
    }
    const std::string json = Slurp(file);
    const auto at = json.find("tcp://");
    address_ = json.substr(at, json.find('"', at) - at);
    return "";
  }
  std::string AddWorker() {
    const std::string name = "w" + std::to_string(next_++);
    const fs::path log = dir_ / (name + ".log");
    workers_.push_back(Start({Python(), "-m", "distributed.cli.dask_worker", "--scheduler-file",
                              (dir_ / "scheduler.json").string(), "--nthreads", "1", "--no-nanny",
                              "--host", "127.0.0.1", "--dashboard-address", "127.0.0.1:0",
                              "--local-directory", (dir_ / name).string(), "--name", name},
                             log));
    if (!WaitFor([&] { return Slurp(log).find("Registered to:") != std::string::npos; }, 30)) {
      return name + " did not register; log:\n" + Slurp(log);
    }
    return "";
  }
  // A scheduler and `workers` workers, all registered; "" or why not.
  std::string Up(int workers) {
    std::string why = StartScheduler();
    for (int i = 0; i < workers && why.empty(); ++i) why = AddWorker();
    return why;
  }
  void KillWorker(std::size_t i) {
    kill(workers_[i], SIGKILL);
    Wait(workers_[i], 10);
    workers_[i] = -1;
  }
  void StopAll() {
    for (pid_t& w : workers_) Stop(w);
    Stop(scheduler_);
  }
  pid_t worker(std::size_t i) const { return workers_[i]; }
  const std::string& address() const { return address_; }

 private:
  fs::path dir_;
  pid_t scheduler_ = -1;
  std::vector<pid_t> workers_;
  std::string address_;
  int next_ = 1;
};

// The workers' nacre: records each backtest (start.PID holds its worker's pid, done.PID when
// it ends) and runs it once release.all or release.<worker pid> exists or it takes a token;
// `abort` makes a waiting run exit 99 without running. Anything else (--version) is nacre's.
class Gate {
 public:
  explicit Gate(fs::path dir) : dir_(std::move(dir)) {
    fs::create_directories(dir_);
    script_ = (dir_.parent_path() / "nacre-gate.sh").string();
    std::ofstream(script_) << "#!/bin/sh\n"
                           << "if [ \"$1\" != backtest ]; then exec '" << NACRE_CLI_PATH
                           << "' \"$@\"; fi\n"
                           << "m='" << dir_.string() << "'\n"
                           << "echo $PPID > \"$m/start.$$\"\n"
                           << "while :; do\n"
                           << "  if [ -e \"$m/abort\" ]; then touch \"$m/done.$$\"; exit 99; fi\n"
                           << "  if [ -e \"$m/release.all\" ] || [ -e \"$m/release.$PPID\" ]; "
                              "then break; fi\n"
                           << "  for t in \"$m\"/token.*; do\n"
                           << "    if [ -e \"$t\" ] && mv \"$t\" \"$m/used.$$\" 2>/dev/null; "
                              "then break 2; fi\n"
                           << "  done\n"
                           << "  sleep 0.02\n"
                           << "done\n"
                           << "'" << NACRE_CLI_PATH << "' \"$@\"\n"
                           << "rc=$?\n"
                           << "touch \"$m/done.$$\"\n"
                           << "exit $rc\n";
    fs::permissions(script_, fs::perms::owner_all);
  }
  // No run is left waiting, whatever happened to the test.
  ~Gate() {
    Touch("abort");
    WaitFor([&] { return Count("done.") == Count("start."); }, 30);
  }
  const std::string& script() const { return script_; }
  void Touch(const std::string& name) const { std::ofstream(dir_ / name) << ""; }
  void Remove(const std::string& name) const { fs::remove(dir_ / name); }
  std::size_t Count(const std::string& prefix) const {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir_)) {
      if (e.path().filename().string().rfind(prefix, 0) == 0) ++n;
    }
    return n;
  }
  // Worker pid -> runs it started.
  std::map<pid_t, int> StartsByWorker() const {
    std::map<pid_t, int> out;
    for (const auto& e : fs::directory_iterator(dir_)) {
      if (e.path().filename().string().rfind("start.", 0) != 0) continue;
      const std::string text = Slurp(e.path());
      if (!text.empty()) ++out[static_cast<pid_t>(std::stol(text))];
    }
    return out;
  }

 private:
  fs::path dir_;
  std::string script_;
};

// Whether a process of group `pgid` still runs (zombies aside: they may never be reaped in a
// container).
bool GroupRuns(pid_t pgid) {
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = Slurp(e.path() / "stat");
    const auto paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream in(stat.substr(paren + 1));
    char state = 0;
    long ppid = 0;
    long group = 0;
    in >> state >> ppid >> group;
    if (group == pgid && state != 'Z') return true;
  }
  return false;
}

std::size_t CachedRows(const fs::path& out) {
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(out / "points", ec)) {
    if (e.path().extension() == ".json") ++n;
  }
  return n;
}

// "[i/n] run-000k ..." lines of a sweep's stderr: run name -> how many times it was reported.
std::map<std::string, int> Reported(const std::string& log) {
  std::map<std::string, int> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] != '[') continue;
    const auto a = line.find("] ");
    out[line.substr(a + 2, line.find(' ', a + 2) - a - 2)]++;
  }
  return out;
}

std::string LocalSweep(const std::string& grid, const std::string& name) {
  const fs::path out = Fresh(name);
  const auto r = Exec(std::string("sweep ") + kConfig + " --grid '" + grid +
                      "' --workers 2 --out '" + out.string() + "'");
  EXPECT_NE(r.exit_code, -1);
  return out.string();
}

// One scenario: its grid, the local engine's sweep of it (the reference), a cluster of
// `workers`, the gate, and the Dask sweep's folder and arguments.
struct Scenario {
  Scenario(const std::string& name, const std::string& grid_text, int workers)
      : grid(WriteTmp(name + "_grid.toml", grid_text)),
        local(LocalSweep(grid, name + "_local")),
        cluster(Fresh(name + "_cluster")),
        gate(Fresh(name + "_marks")),
        out(Fresh(name + "_out")),
        cluster_error(cluster.Up(workers)),
        args(std::string(kConfig) + " --grid '" + grid + "' --engine dask --scheduler " +
             cluster.address() + " --worker-nacre '" + gate.script() + "' --out '" + out.string() +
             "'") {}
  std::string grid;
  fs::path local;
  Cluster cluster;
  Gate gate;
  fs::path out;
  std::string cluster_error;
  std::string args;
};

TEST(DaskSweep, RowsMatchTheLocalEngineWhenAWorkerIsKilledMidSweep) {
  SKIP_WITHOUT_DASK();
  // Six points; fast 20 / slow 15 fails (slow must exceed fast), as a failed row.
  Scenario s("dask_kill",
             "strategies.fast_period = [5, 10, 20]\n"
             "strategies.slow_period = [15, 50]\n",
             2);
  ASSERT_EQ(s.cluster_error, "");
  const fs::path log = PrivateTmp() / "dask_kill_sweep.log";
  const pid_t sweep = StartSweep(s.args, log);
  ASSERT_GT(sweep, 0);
  // Both workers hold a point, waiting.
  ASSERT_TRUE(WaitFor([&] { return s.gate.StartsByWorker().size() == 2; }, 30)) << Slurp(log);
  const pid_t doomed = s.cluster.worker(0);
  const pid_t survivor = s.cluster.worker(1);
  ASSERT_EQ(s.gate.StartsByWorker(), (std::map<pid_t, int>{{doomed, 1}, {survivor, 1}}));
  // The survivor runs; once the first row has arrived, the other worker dies with its point.
  s.gate.Touch("release." + std::to_string(survivor));
  ASSERT_TRUE(WaitFor([&] { return Slurp(log).find("\n[1/6] ") != std::string::npos; }, 30))
      << Slurp(log);
  s.cluster.KillWorker(0);
  s.gate.Touch("release.all");
  const int code = Wait(sweep, 45);
  const std::string text = Slurp(log);
  ASSERT_EQ(code, 1) << text;  // the failing point
  EXPECT_NE(text.find("1 of 6 runs failed"), std::string::npos) << text;

  // Every row once, in grid order, the local engine's bytes.
  const auto reported = Reported(text);
  ASSERT_EQ(reported.size(), 6u) << text;
  for (const auto& [run, times] : reported) EXPECT_EQ(times, 1) << run << "\n" << text;
  EXPECT_EQ(Slurp(s.out / "sweep.csv"), Slurp(s.local / "sweep.csv"));
  EXPECT_EQ(Slurp(s.out / "sweep.parquet"), Slurp(s.local / "sweep.parquet"));
  // The killed worker ran one point; the survivor ran the other five and that one again.
  EXPECT_EQ(s.gate.StartsByWorker(), (std::map<pid_t, int>{{doomed, 1}, {survivor, 6}}));
  for (const char* run : {"run-0001", "run-0002", "run-0003", "run-0004", "run-0006"}) {
    EXPECT_EQ(Slurp(s.out / run / "stats.json"), Slurp(s.local / run / "stats.json")) << run;
  }
  EXPECT_EQ(CachedRows(s.out), 5u);  // the failed point is not cached
}

TEST(DaskSweep, AResubmittedSweepRerunsOnlyUnfinishedPoints) {
  SKIP_WITHOUT_DASK();
  Scenario s("dask_resume",
             "strategies.fast_period = [5, 10]\n"
             "strategies.slow_period = [30, 50]\n",
             1);
  ASSERT_EQ(s.cluster_error, "");
  // Two points may run; the third waits. Then the sweep is interrupted (Ctrl-C reaches nacre
  // and its driver) and the worker is lost with that third point.
  s.gate.Touch("token.1");
  s.gate.Touch("token.2");
  const fs::path log1 = PrivateTmp() / "dask_resume_1.log";
  const pid_t sweep = StartSweep(s.args, log1);
  ASSERT_GT(sweep, 0);
  ASSERT_TRUE(WaitFor([&] { return CachedRows(s.out) == 2 && s.gate.Count("start.") == 3; }, 30))
      << Slurp(log1);
  kill(-sweep, SIGINT);
  EXPECT_NE(Wait(sweep, 20), 0);
  ASSERT_TRUE(WaitFor([&] { return !GroupRuns(sweep); }, 20)) << "the driver outlived nacre";
  s.cluster.KillWorker(0);
  s.gate.Touch("abort");
  ASSERT_TRUE(WaitFor([&] { return s.gate.Count("done.") == 3; }, 20));
  s.gate.Remove("abort");
  s.gate.Touch("release.all");
  EXPECT_FALSE(fs::exists(s.out / "sweep.csv"));

  // Resubmitted on a fresh worker: the two finished points are reused, the others run.
  ASSERT_EQ(s.cluster.AddWorker(), "");
  const auto second = Exec("sweep " + s.args, true);
  EXPECT_EQ(second.exit_code, 0) << second.out;
  EXPECT_NE(second.out.find("2 points to run, 2 reused"), std::string::npos) << second.out;
  EXPECT_EQ(s.gate.Count("start."), 5u) << second.out;
  EXPECT_EQ(Slurp(s.out / "sweep.csv"), Slurp(s.local / "sweep.csv"));
  EXPECT_EQ(Slurp(s.out / "sweep.parquet"), Slurp(s.local / "sweep.parquet"));

  // Finished: resubmitting runs nothing and needs no cluster at all.
  s.cluster.StopAll();
  const auto third = Exec("sweep " + s.args, true);
  EXPECT_EQ(third.exit_code, 0) << third.out;
  EXPECT_EQ(s.gate.Count("start."), 5u) << third.out;
  EXPECT_EQ(Reported(third.out).size(), 4u) << third.out;
  EXPECT_EQ(Slurp(s.out / "sweep.csv"), Slurp(s.local / "sweep.csv"));
  EXPECT_EQ(Slurp(s.out / "run-0004" / "stats.json"), Slurp(s.local / "run-0004" / "stats.json"));

  // The key is the config's bytes, not its path: a copy elsewhere reuses every row, a changed
  // byte reuses none (and, the cluster being gone, cannot run).
  const std::string config = Slurp(fs::path(NACRE_SOURCE_DIR) / kConfig);
  const std::string copy = WriteTmp("dask_resume_copy.toml", config);
  const std::string changed = WriteTmp("dask_resume_changed.toml", config + "# changed\n");
  const std::string rest = " --grid '" + s.grid + "' --engine dask --scheduler " +
                           s.cluster.address() + " --connect-timeout 1 --out '" + s.out.string() +
                           "'";
  const auto moved = Exec("sweep '" + copy + "'" + rest, true);
  EXPECT_EQ(moved.exit_code, 0) << moved.out;
  EXPECT_EQ(Slurp(s.out / "sweep.csv"), Slurp(s.local / "sweep.csv"));
  const auto edited = Exec("sweep '" + changed + "'" + rest, true);
  EXPECT_EQ(edited.exit_code, 2) << edited.out;
  EXPECT_EQ(Reported(edited.out).size(), 0u) << edited.out;
  EXPECT_NE(edited.out.find("no Dask scheduler reachable"), std::string::npos) << edited.out;
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

TEST(DaskSweep, SetupProblemsAreClearErrorsBeforeAnythingRuns) {
  const std::string grid = WriteTmp("dask_err_grid.toml", "strategies.fast_period = [5, 10]\n");
  const std::string base = std::string("sweep ") + kConfig + " --grid '" + grid + "' ";
  auto run = [&](const std::string& name, const std::string& opts) {
    return Exec(base + "--out '" + Fresh(name).string() + "' " + opts, true);
  };

  auto r = run("dask_err_noscheduler", "--engine dask");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("--engine dask needs --scheduler tcp://HOST:PORT"), std::string::npos)
      << r.out;
  r = run("dask_err_workers", "--engine dask --scheduler tcp://127.0.0.1:1 --workers 2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("--workers is for the local engine"), std::string::npos) << r.out;
  r = run("dask_err_local", "--scheduler tcp://127.0.0.1:1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("--scheduler needs --engine dask"), std::string::npos) << r.out;

  r = run("dask_err_python",
          "--engine dask --scheduler tcp://127.0.0.1:1 --python /nonexistent/python3");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("cannot start Python '/nonexistent/python3': No such file or directory "
                       "(install python3 and python3-distributed, or pass --python)"),
            std::string::npos)
      << r.out;

  // A folder holding something else is refused, as for the local engine.
  const fs::path busy = Fresh("dask_err_busy");
  fs::create_directories(busy);
  std::ofstream(busy / "notes.txt") << "mine\n";
  r = Exec(base + "--out '" + busy.string() + "' --engine dask --scheduler tcp://127.0.0.1:1",
           true);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("the folder holds 'notes.txt', which an earlier Dask sweep did not write"),
            std::string::npos)
      << r.out;

  SKIP_WITHOUT_DASK();
  // Python without its site packages: no distributed.
  const std::string bare =
      WriteTmp("python-bare.sh", "#!/bin/sh\nexec '" + Python() + "' -S \"$@\"\n");
  fs::permissions(bare, fs::perms::owner_all);
  r = run("dask_err_bare", "--engine dask --scheduler tcp://127.0.0.1:1 --python '" + bare + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("cannot import distributed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("install Debian's python3-distributed"), std::string::npos) << r.out;

  const std::string address = "tcp://127.0.0.1:" + std::to_string(FreePort());
  r = run("dask_err_unreachable", "--engine dask --scheduler " + address + " --connect-timeout 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("error: --scheduler " + address + ": no Dask scheduler reachable"),
            std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace nacre
