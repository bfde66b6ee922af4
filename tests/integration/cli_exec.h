// Runs the `nacre` binary as a user would (from the source tree, so relative example paths
// resolve) and captures its output and exit code. For integration tests only.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace nacre::testing {

struct CliRun {
  int exit_code = -1;
  std::string out;
};

inline CliRun Exec(const std::string& args, bool merge_stderr = false) {
  const std::string cmd = std::string("cd '") + NACRE_SOURCE_DIR + "' && '" + NACRE_CLI_PATH +
                          "' " + args + (merge_stderr ? " 2>&1" : " 2>/dev/null");
  CliRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// The demo's synthetic NIFTY chain for one week (6-10 Jan 2025) written to `out`: a small
// catalog the options-spread configs run on.
inline CliRun SynthDemoWeek(const std::string& out) {
  return Exec("catalog synth --out '" + out +
                  "' --config examples/nifty_spreads_synth.toml --start 2025-01-06 --end 2025-01-10",
              true);
}

}  // namespace nacre::testing
