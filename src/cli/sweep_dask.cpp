// `nacre sweep --engine dask --scheduler tcp://HOST:PORT`: each grid point is one task on a
// Dask distributed cluster, run by scripts/nacre_dask_sweep.py (Python stdlib + Debian's
// python3-distributed) which this binary starts with python3 and talks to in JSON: a request
// on its stdin, one event per line on its stdout (the script's header has the protocol).
//
// A point's task key is "nacre-point-" + SHA-256 of the config file's bytes, the point's
// overrides and this build's version line (cli/build_id.h), so:
//  - a finished row is cached in the sweep folder as points/<key>.json the moment it
//    arrives; a resubmitted sweep (same --out, after an interruption or a failure) reuses
//    those rows and sends only the other points;
//  - two sweeps submitting the same point to one scheduler at the same time share its task;
//  - the scheduler reruns the task of a lost worker; a task writes its results folder to a
//    unique path (points/.<key>.<uuid>) and renames it to points/<key> once finished, so a
//    rerun never writes over another attempt.
// run-NNNN in the sweep folder is a symbolic link to the point's results folder, so sweep.csv
// and sweep.parquet are byte for byte the local engine's.
#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "adapters/zerodha/kite_auth.h"
#include "cli/build_id.h"
#include "cli/sweep_engines.h"
#include "common/config.h"

extern char** environ;

namespace nacre::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

bool IsRunLink(const fs::directory_entry& e) {
  static const std::regex kRun("run-[0-9]{4,}");
  return e.is_symlink() && std::regex_match(e.path().filename().string(), kRun);
}

// Length-prefixed fields, so no two different points hash the same text.
std::string PointKey(const std::string& config_bytes, const std::vector<ConfigOverride>& params,
                     const std::string& version) {
  std::string text =
      fmt::format("nacre sweep point 1\n{}:{}\n{}:", version.size(), version, config_bytes.size());
  text += config_bytes;
  text += fmt::format("\n{}\n", params.size());
  for (const auto& [k, v] : params) text += fmt::format("{}:{}={}:{}\n", k.size(), k, v.size(), v);
  return "nacre-point-" + Sha256Hex(text).substr(0, 32);
}

// The row as the driver reports it (a task's return value, or a cluster-side failure).
void ApplyRow(SweepRun& r, const json& row) {
  std::optional<std::string> stats;
  if (row.contains("stats") && row["stats"].is_string()) stats = row["stats"].get<std::string>();
  FinishSweepRun(r, row.value("exit_code", -1), stats, row.value("stderr", std::string()));
  if (row.contains("error") && row["error"].is_string()) {
    r.ok = false;
    r.error = row["error"].get<std::string>();
  }
}

std::string Python(const SweepArgs& a) {
  if (!a.python.empty()) return a.python;
  if (const char* env = std::getenv("NACRE_PYTHON"); env != nullptr && *env != '\0') return env;
  // Debian's interpreter, where python3-distributed installs (a pyenv or venv python3
  // earlier on the PATH usually lacks it).
  if (access("/usr/bin/python3", X_OK) == 0) return "/usr/bin/python3";
  return "python3";
}

std::string DriverPath() {
  if (const char* env = std::getenv("NACRE_DASK_DRIVER"); env != nullptr && *env != '\0') {
    return env;
  }
  return (fs::path(SelfPath()).parent_path() / "nacre_dask_sweep.py").string();
}

void WriteAll(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the driver is gone: its exit status and log tell why
    done += static_cast<std::size_t>(n);
  }
}

struct Driver {
  pid_t pid = -1;
  int in = -1;          // its stdin
  FILE* out = nullptr;  // its stdout
};

// Starts `python driver.py` with pipes on stdin and stdout and stderr into `log`.
bool StartDriver(const std::string& python, const std::string& script, const fs::path& log,
                 Driver* d, std::string* error) {
  int in[2];
  int out[2];
  if (pipe2(in, O_CLOEXEC) != 0) {
    *error = std::strerror(errno);
    return false;
  }
  if (pipe2(out, O_CLOEXEC) != 0) {
    *error = std::strerror(errno);
    close(in[0]);
    close(in[1]);
    return false;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t def;
  sigemptyset(&def);
  sigaddset(&def, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &def);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  std::vector<std::string> args = {python, script};
  std::vector<char*> argv;
  for (std::string& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  const int rc = posix_spawnp(&d->pid, python.c_str(), &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(in[0]);
  close(out[1]);
  if (rc != 0) {
    *error = std::strerror(rc);
    close(in[1]);
    close(out[0]);
    return false;
  }
  d->in = in[1];
  d->out = fdopen(out[0], "r");
  return true;
}

int WaitDriver(Driver& d) {
  if (d.out != nullptr) std::fclose(d.out);
  if (d.in >= 0) close(d.in);
  int status = 0;
  while (waitpid(d.pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

void CheckDaskSweepFolder(const std::string& out) {
  std::error_code ec;
  if (!fs::exists(out, ec)) return;
  if (!fs::is_directory(out, ec)) {
    throw ConfigError(fmt::format("--out {}: exists and is not a directory", out));
  }
  for (const fs::directory_entry& e : fs::directory_iterator(out, ec)) {
    const std::string name = e.path().filename().string();
    const bool ours = (name == "points" && e.is_directory() && !e.is_symlink()) ||
                      name == "sweep.csv" || name == "sweep.parquet" || IsRunLink(e);
    if (!ours) {
      throw ConfigError(fmt::format(
          "--out {}: the folder holds '{}', which an earlier Dask sweep did not write (a "
          "Dask sweep may only resume one); choose an empty folder",
          out, name));
    }
  }
}

int RunDaskPoints(const SweepArgs& a, std::vector<SweepRun>& runs, SweepProgress& progress) {
  const fs::path out = fs::absolute(a.out).lexically_normal();
  const fs::path points = out / "points";
  std::error_code ec;
  fs::create_directories(points, ec);
  if (ec) {
    fmt::print(stderr, "error: {}: cannot create: {}\n", points.string(), ec.message());
    return 2;
  }
  // An earlier sweep's table and links are rebuilt; its points/ is the cache.
  for (const fs::directory_entry& e : fs::directory_iterator(out, ec)) {
    if (IsRunLink(e)) fs::remove(e.path(), ec);
  }
  fs::remove(out / "sweep.csv", ec);
  fs::remove(out / "sweep.parquet", ec);

  const std::string version = VersionLine();
  const std::string config_bytes = Slurp(a.config);
  std::map<std::string, std::vector<std::size_t>> pending;  // key -> runs (same point twice)
  std::vector<std::string> order;                           // keys in grid order
  std::size_t reused = 0;

  auto link = [&](const SweepRun& r, const std::string& folder) {
    const fs::path target = fs::path(folder).lexically_normal();
    std::error_code lec;
    // A folder this machine cannot see (a worker without the shared path) is not linked.
    if (folder.empty() || !fs::is_directory(target, lec)) return;
    const fs::path rel = target.lexically_relative(out);
    const bool inside = !rel.empty() && *rel.begin() == "points";
    fs::remove(r.folder, lec);
    fs::create_symlink(inside ? rel : target, r.folder, lec);
  };
  auto cache_path = [&](const std::string& key) { return points / (key + ".json"); };

  for (std::size_t i = 0; i < runs.size(); ++i) {
    const std::string key = PointKey(config_bytes, runs[i].params, version);
    const json cached = json::parse(Slurp(cache_path(key).string()), nullptr, false);
    if (cached.is_object() && cached.value("key", std::string()) == key) {
      ApplyRow(runs[i], cached);
      link(runs[i], cached.value("folder", std::string()));
      ++reused;
      progress.Done(runs[i], "reused");
      continue;
    }
    if (pending.find(key) == pending.end()) order.push_back(key);
    pending[key].push_back(i);
  }
  if (pending.empty()) return 0;

  const std::string python = Python(a);
  const std::string script = DriverPath();
  if (!fs::exists(script)) {
    fmt::print(stderr,
               "error: --engine dask: the Dask driver {} is missing (the build copies "
               "scripts/nacre_dask_sweep.py beside the nacre binary; or set NACRE_DASK_DRIVER)\n",
               script);
    return 2;
  }
  json request = {{"scheduler", a.scheduler},
                  {"connect_timeout", a.connect_timeout},
                  {"nacre", a.worker_nacre.empty() ? SelfPath() : a.worker_nacre},
                  {"version", version},
                  {"cwd", fs::current_path().string()},
                  {"results", points.string()},
                  {"points", json::array()}};
  for (const std::string& key : order) {
    const std::size_t i = pending[key].front();
    request["points"].push_back(
        {{"index", i}, {"key", key}, {"args", BacktestArgs(a.config, runs[i].params)}});
  }

  std::signal(SIGPIPE, SIG_IGN);  // a driver that dies early must not kill the sweep
  const fs::path log = points / "driver.log";
  Driver driver;
  std::string error;
  if (!StartDriver(python, script, log, &driver, &error)) {
    fmt::print(stderr,
               "error: --engine dask: cannot start Python '{}': {} (install python3 and "
               "python3-distributed, or pass --python)\n",
               python, error);
    return 2;
  }
  WriteAll(driver.in, request.dump() + "\n");

  std::size_t finished_points = 0;
  std::string fatal;
  bool finished = false;
  char* line = nullptr;
  std::size_t cap = 0;
  while (getline(&line, &cap, driver.out) > 0) {
    const json e = json::parse(line, nullptr, false);
    if (!e.is_object()) continue;  // not ours (a library printing on stdout)
    const std::string kind = e.value("event", std::string());
    if (kind == "connected") {
      const int workers = e.value("workers", 0);
      progress.Say(fmt::format(
          "dask: {}: {} worker{}{}; {} point{} to run, {} reused from {}", a.scheduler, workers,
          workers == 1 ? "" : "s", workers == 0 ? " (the points wait for one to join)" : "",
          order.size(), order.size() == 1 ? "" : "s", reused, points.string()));
    } else if (kind == "done") {
      const std::string key = e.value("key", std::string());
      const auto it = pending.find(key);
      if (it == pending.end()) continue;
      json row = e;
      row.erase("event");
      row.erase("index");
      for (const std::size_t i : it->second) {
        SweepRun& r = runs[i];
        ApplyRow(r, row);
        link(r, row.value("folder", std::string()));
        if (!r.ok && row.contains("error") && row["error"].is_string()) {
          progress.Say(
              fmt::format("error: grid point {} ({}): {}", i + 1, Params(r.params), r.error));
        }
        const std::string host = row.value("host", std::string());
        progress.Done(r, host.empty() ? std::string() : "on " + host);
      }
      if (runs[it->second.front()].ok) {
        // Cached once finished: a resubmitted sweep does not run it again.
        const fs::path tmp = cache_path(key).string() + ".tmp";
        std::ofstream(tmp, std::ios::binary | std::ios::trunc) << row.dump(1) << "\n";
        fs::rename(tmp, cache_path(key), ec);
      }
      pending.erase(it);
      ++finished_points;
    } else if (kind == "finished") {
      finished = true;
    } else if (kind == "fatal") {
      fatal = e.value("message", std::string("(no message)"));
    }
  }
  std::free(line);
  const int code = WaitDriver(driver);
  if (finished && pending.empty()) return 0;
  if (fatal.empty()) {
    const std::string last = LastLine(Slurp(log.string()));
    fatal = fmt::format("the Dask driver ({} {}) stopped with exit code {}{}{} (its log: {})",
                        python, script, code, last.empty() ? "" : ": ", last, log.string());
  }
  fmt::print(stderr, "error: --scheduler {}: {}\n", a.scheduler, fatal);
  std::size_t left = 0;
  for (const auto& [key, indices] : pending) left += indices.size();
  if (left < runs.size()) {
    fmt::print(stderr,
               "{} of {} runs finished; the successful ones are kept in {} and the same "
               "command resumes the sweep\n",
               runs.size() - left, runs.size(), points.string());
  }
  return finished_points > 0 ? 1 : 2;
}

}  // namespace nacre::cli
