// `nacre kite-emu CONFIG.toml [--port N]`: serves the Kite Connect emulator on 127.0.0.1 until
// SIGINT or SIGTERM. The first line on stdout says where ("kite-emu listening on
// http://127.0.0.1:PORT") so a test or a user can point a client at it.
#include <fmt/format.h>
#include <signal.h>

#include <chrono>
#include <cstdio>

#include "apps/kite_emulator/config.h"
#include "apps/kite_emulator/ticker.h"
#include "cli/commands.h"
#include "common/config.h"
#include "net/http_server.h"

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
  // The emulator's clock: real time for now (the replayed market's virtual clock comes with
  // market data).
  const std::function<UnixNanos()> emulator_clock = [] {
    return UnixNanos(std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count());
  };
  kite_emu::KiteEmulator emulator(cfg.emulator, emulator_clock);
  net::IoThread io;
  net::HttpServerOptions options;
  options.address = cfg.address;
  options.port = cfg.port;
  net::HttpServer server(
      io, [&emulator](const net::HttpRequest& r) { return emulator.Handle(r); }, options);
  if (Status s = server.Start(); !s) {
    fmt::print(stderr, "error: {}\n", s.error());
    return 2;
  }
  kite_emu::TickerOptions ticker_options;
  ticker_options.address = cfg.address;
  ticker_options.port = cfg.ticker_port;
  kite_emu::Ticker ticker(io, emulator.sessions(), emulator_clock, ticker_options);
  if (Status s = ticker.Start(); !s) {
    fmt::print(stderr, "error: {}\n", s.error());
    return 2;
  }
  emulator.SetSubscriptionsView([&ticker] {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [conn, tokens] : ticker.Subscriptions()) {
      nlohmann::json t = nlohmann::json::object();
      for (const auto& [token, mode] : tokens) t[std::to_string(token)] = ToString(mode);
      out.push_back({{"connection", conn}, {"tokens", t}});
    }
    return out;
  });
  fmt::print("kite-emu ticker on ws://{}:{}/\n", cfg.address, ticker.port());
  fmt::print("kite-emu listening on http://{}:{}\n", cfg.address, server.port());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  fmt::print(stderr, "kite-emu: stopping ({})\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  ticker.Stop();
  server.Stop();
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
