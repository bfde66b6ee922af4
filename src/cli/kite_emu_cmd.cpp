// `nacre kite-emu CONFIG.toml [--port N]`: serves the Kite Connect emulator on 127.0.0.1 until
// SIGINT or SIGTERM. The first line on stdout says where ("kite-emu listening on
// http://127.0.0.1:PORT") so a test or a user can point a client at it.
#include <fmt/format.h>
#include <signal.h>

#include <cstdio>

#include "apps/kite_emulator/config.h"
#include "apps/kite_emulator/runtime.h"
#include "cli/commands.h"
#include "common/config.h"

namespace nacre::cli {
namespace {

struct KiteEmuArgs {
  std::string config;
  int port = -1;
};

int RunKiteEmu(const KiteEmuArgs& a) {
  kite_emu::LoadedEmulatorConfig cfg = kite_emu::LoadEmulatorConfigFile(a.config);
  if (a.port >= 0) {
    if (a.port > 65535) {
      fmt::print(stderr, "error: --port must be 0 to 65535, got {}\n", a.port);
      return 2;
    }
    cfg.port = static_cast<std::uint16_t>(a.port);
  }
  // Block the stop signals before any thread starts, so only sigwait below receives them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  kite_emu::Runtime runtime(cfg);
  if (Status s = runtime.Start(); !s) {
    fmt::print(stderr, "error: {}\n", s.error());
    return 2;
  }
  fmt::print("kite-emu ticker on ws://{}:{}/\n", cfg.address, runtime.ticker_port());
  fmt::print("kite-emu listening on http://{}:{}\n", cfg.address, runtime.http_port());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  fmt::print(stderr, "kite-emu: stopping ({})\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  runtime.Stop();
  return 0;
}

}  // namespace

void AddKiteEmuCommands(CLI::App& app, Commands& out) {
  auto args = std::make_shared<KiteEmuArgs>();
  CLI::App* c = app.add_subcommand(
      "kite-emu", "Serve the Kite Connect emulator on 127.0.0.1 (keys in docs/config.md)");
  c->add_option("config", args->config, "Emulator config (TOML)")->required();
  c->add_option("--port", args->port, "Port (overrides the config; 0: any free port)");
  out.emplace_back(c, [args] { return RunKiteEmu(*args); });
}

}  // namespace nacre::cli
