// The same-code proof's third leg (ARCHITECTURE, issue 15 item 7): the options-spread
// application — OptionsSpreadStrategy, CapitalManager, SpreadMonitor and GreeksActor, from
// [engine], [calendar], [[actors]] and [[strategies]] blocks byte-identical to
// examples/nifty_spreads_backtest.toml's — run live (`environment = "live"`, the Zerodha
// adapter) against the Kite emulator over the demo week's data, and as a backtest over the
// identical span. Both must make the same decisions by the rules of
// tests/integration/same_code_test.cpp: the same spreads in the same order (kind, legs,
// strikes, sides, lots), the same final states and exit reasons, entries and exits within one
// data interval (the live leg's latencies are real, so not to the nanosecond). The P&L
// difference is printed.
//
// Set up as a user does (scripts/live-emulator): the emulator on the catalog
// (examples/kite_emu_demo.toml's [emulator], here in-process on free 127.0.0.1 ports, its
// clock paused at Monday's open), `nacre kite login` with NACRE_KITE_API_SECRET and the
// browser's redirect played here, then `nacre run` on examples/nifty_spreads_live_emulator.toml
// with the clock resumed. The emulator runs at 300x with skip_closed (virtual time through
// the 09:15-15:30 sessions only), so Monday's session and Tuesday's first 45 minutes (7 h of
// market) take 84 s of wall time; the node's clock follows it by the same mapping. Kite ends every
// session at 06:00, so at the night's jump the test logs in again, as a user does each
// morning before the open (the node halts on the refused token and resumes, reconciled, on
// the new session). The span, Monday 09:15 to Tuesday 10:00, holds the demo's first spread,
// opened on Monday and closed on Tuesday: each leg must open and close at least one.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "../integration/cli_exec.h"
#include "../integration/spread_results.h"
#include "../integration/tmp_files.h"
#include "apps/kite_emulator/config.h"
#include "apps/kite_emulator/runtime.h"
#include "net/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace nacre {
namespace {

namespace fs = std::filesystem;
using testing::CliRun;
using testing::Exec;
using testing::Slurp;

// 5 market minutes a wall second: the leg takes about 90 s, and the morning's login (`nacre
// kite login` writes the session about 30 ms of wall after the open, about 09:15:08) lands
// before Tuesday's 09:20 check; the node takes it within a few ms of wall, before Kite's
// first refusal would halt it (the printed line gives the times).
constexpr double kSpeed = 300;
constexpr const char* kSpanStart = "2025-01-06T09:15";
constexpr const char* kSpanEnd = "2025-01-07T10:00";

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << "the example no longer holds: " << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

// "2025-01-07T09:15:16.422" (IST, to the millisecond).
std::string IstMillis(UnixNanos t) {
  const std::string s = FormatIst(t);  // "2025-01-07 09:15:16 IST"
  return s.substr(0, 10) + "T" + s.substr(11, 8) +
         fmt::format(".{:03}", (t.value / 1'000'000) % 1000);
}

// A config's [name] block, to the next blank line.
std::string Block(const std::string& text, const std::string& name) {
  const auto at = text.find("\n" + name + "\n");
  if (at == std::string::npos) return "";
  const auto end = text.find("\n\n", at + 1);
  return text.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

// A port free right now on 127.0.0.1 (for `nacre kite login`'s listener).
std::uint16_t FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// `nacre kite login CONFIG` as a user runs it, the browser played here: it opens the login
// page (the emulator logs in at once and redirects with a request token) and follows the
// redirect to the CLI's listener, retrying until that listener is up.
void KiteLogin(const std::string& config, std::uint16_t emu_port, std::uint16_t redirect_port) {
  CliRun run;
  std::thread cli([&] { run = Exec("kite login '" + config + "' --timeout 30", true); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool redirected = false;
  net::HttpClient emulator("127.0.0.1", emu_port);
  while (!redirected && std::chrono::steady_clock::now() < deadline) {
    net::HttpRequest login;
    login.target = "/connect/login?api_key=nacre_demo&v=3";
    auto r = emulator.Send(login, 5 * kNanosPerSecond);
    if (r.ok() && r->status == 302) {
      const std::string location = r->Header("Location");
      net::HttpClient browser("127.0.0.1", redirect_port);
      net::HttpRequest follow;
      follow.target = location.substr(location.find('/', 7));
      auto page = browser.Send(follow, 5 * kNanosPerSecond);
      redirected = page.ok() && page->status == 200;
    }
    if (!redirected) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  cli.join();
  EXPECT_TRUE(redirected) << "the login redirect never reached nacre kite login";
  EXPECT_EQ(run.exit_code, 0) << run.out;
}

TEST(SameCodeLive, TheSpreadApplicationDecidesAliveAsInTheBacktest) {
  const auto began = std::chrono::steady_clock::now();
  const fs::path root = testing::Fresh("same_code_live");
  fs::create_directories(root);
  const auto synth = testing::SynthDemoWeek((root / "catalog").string());
  ASSERT_EQ(synth.exit_code, 0) << synth.out;
  const fs::path ex = fs::path(NACRE_SOURCE_DIR) / "examples";
  const std::string backtest = Slurp(ex / "nifty_spreads_backtest.toml");
  const std::string live = Slurp(ex / "nifty_spreads_live_emulator.toml");
  // The application, unchanged: its blocks are the backtest's bytes.
  const std::string app = backtest.substr(backtest.find("\n[[actors]]\n"));
  ASSERT_EQ(live.substr(live.find("\n[[actors]]\n")), app);
  ASSERT_EQ(Block(live, "[engine]"), Block(backtest, "[engine]"));
  ASSERT_EQ(Block(live, "[calendar]"), Block(backtest, "[calendar]"));
  // Both runs add the same GreeksActor block (the examples leave it out to stay lean).
  const std::string greeks =
      "\n[[actors]]\ntype = \"GreeksActor\"\nid = \"GreeksActor\"\n[actors.params]\n"
      "underlying = \"NIFTY 50.NSE\"\n";
  const std::string catalog = "catalog = \"" + (root / "catalog").string() + "\"";
  const std::string span =
      fmt::format("\nstart = \"{}\"\nend = \"{}\"", kSpanStart, kSpanEnd);

  // 1. The backtest over the span.
  std::string bt = backtest;
  while (bt.find("catalog = \"../build/demo-catalog\"") != std::string::npos) {
    bt = Replace(bt, "catalog = \"../build/demo-catalog\"", catalog);
  }
  bt = Replace(bt, "type = \"bar\"", "type = \"bar\"" + span);
  bt = Replace(bt, "type = \"quote\"", "type = \"quote\"" + span);
  std::ofstream(root / "backtest.toml") << bt + greeks;
  const auto bt_run = Exec("backtest -q '" + (root / "backtest.toml").string() + "' --out '" +
                               (root / "bt").string() + "'",
                           true);
  ASSERT_EQ(bt_run.exit_code, 0) << bt_run.out;

  // 2. The Kite emulator on the same catalog: the demo's, on free ports, its clock paused at
  // the span's start until the node runs, through trading sessions only.
  const std::uint16_t redirect_port = FreePort();
  std::string emu = Slurp(ex / "kite_emu_demo.toml");
  emu = Replace(emu, "port = 8123", "port = 0");
  emu = Replace(emu, "ticker_port = 8124", "ticker_port = 0");
  emu = Replace(emu, "redirect_url = \"http://127.0.0.1:5010/\"",
                fmt::format("redirect_url = \"http://127.0.0.1:{}/\"", redirect_port));
  emu = Replace(emu, "catalog = \"../build/demo-catalog\"", catalog);
  emu = Replace(emu, "start = \"2025-03-03T09:15\"", fmt::format("start = \"{}\"", kSpanStart));
  emu = Replace(emu, "speed = 60", fmt::format("speed = {}\nskip_closed = true\npaused = true", kSpeed));
  std::ofstream(root / "emulator.toml") << emu;
  auto rt = std::make_unique<kite_emu::Runtime>(
      kite_emu::LoadEmulatorConfigFile((root / "emulator.toml").string()));
  ASSERT_TRUE(rt->Start().ok());

  // 3. The live node's config: only [node], [output] and [kite] differ from the example's.
  std::string node = live;
  node = Replace(node, "state_dir = \"state-live-emu\"",
                 "state_dir = \"" + (root / "state").string() + "\"");
  node = Replace(node, "end = \"2025-03-03T15:30\"     # the emulated Monday's close",
                 fmt::format("end = \"{}\"", kSpanEnd));
  node = Replace(node, "dir = \"live-emu-results\"", "dir = \"" + (root / "live").string() + "\"");
  for (int i = 0; i < 2; ++i) {
    node = Replace(node, "127.0.0.1:8123", fmt::format("127.0.0.1:{}", rt->http_port()));
  }
  node = Replace(node, "127.0.0.1:8124", fmt::format("127.0.0.1:{}", rt->ticker_port()));
  node = Replace(node, "redirect_port = 5010", fmt::format("redirect_port = {}", redirect_port));
  // The node starts a few seconds of market after the open: Kite's candles since then (none
  // before: the catalog starts there) give it the bars it missed, the backtest's from the start.
  node = Replace(node, "token_file = \"state-live-emu/kite_session.json\"",
                 "token_file = \"" + (root / "kite_session.json").string() + "\"\nwarmup_bars = 12");
  const std::string node_toml = (root / "live.toml").string();
  std::ofstream(node_toml) << node + greeks;

  // 4. Logged in as a user does, then the market runs and the node with it.
  ::setenv("NACRE_KITE_API_SECRET", "nacre_demo_secret", 1);  // the emulator's demo secret
  KiteLogin(node_toml, rt->http_port(), redirect_port);
  ASSERT_FALSE(::testing::Test::HasFailure());
  rt->OnIoThread([&] { rt->clock().Resume(); });
  const auto live_began = std::chrono::steady_clock::now();
  std::atomic<bool> node_done{false};
  CliRun node_run;
  std::thread node_thread([&] {
    // The kernel's log at INFO (the session's lines; the config's [engine] stays the
    // backtest's bytes).
    node_run = Exec("run '" + node_toml + "' --set 'engine.log_level=\"INFO\"' --out '" +
                        (root / "live").string() + "'",
                    true);
    node_done = true;
  });
  // Kite ends the session at 06:00: the next morning's login, when the clock jumps there.
  // Measured on the emulator's clock: when the token file changed (the session written) and
  // when `nacre kite login` returned.
  const UnixNanos morning = FromIst(2025, 1, 7, 6, 0);
  const fs::path token_file = root / "kite_session.json";
  bool relogged = false;
  UnixNanos written_at;   // the emulator's time when the token file held the morning's session
  UnixNanos relogged_at;  // the emulator's time when `nacre kite login` returned
  while (!node_done.load()) {
    UnixNanos now;
    rt->OnIoThread([&] { now = rt->clock().Now(); });
    if (now >= morning) {
      const std::string before = Slurp(token_file);
      std::atomic<bool> login_done{false};
      std::thread login([&] {
        KiteLogin(node_toml, rt->http_port(), redirect_port);
        login_done = true;
      });
      while (!login_done.load() && Slurp(token_file) == before) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      rt->OnIoThread([&] { written_at = rt->clock().Now(); });
      login.join();
      rt->OnIoThread([&] { relogged_at = rt->clock().Now(); });
      relogged = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  node_thread.join();
  // When the node took the morning's session (the log line's node-clock time): when its
  // session ended, or after Kite's refusal halted trading (resumed once reconciled).
  std::string taken = "never";
  for (const char* what : {"; the new login in ", "reconciled clean, trading resumed"}) {
    const std::size_t at = node_run.out.find(what);
    if (at == std::string::npos) continue;
    const std::size_t line = node_run.out.rfind('\n', at);
    taken = node_run.out.substr(line == std::string::npos ? 0 : line + 1, 23) +
            (what[0] == ';' ? " (no halt)" : " (after a halt)");
    break;
  }
  const double live_wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - live_began).count();
  rt->Stop();
  ASSERT_EQ(node_run.exit_code, 0) << node_run.out;
  EXPECT_TRUE(relogged) << "the node stopped before Tuesday: " << node_run.out;

  // 5. The decisions, compared by the proof's rules.
  const auto a = testing::ReadSpreads(root / "bt" / "spread_results.csv");
  const auto b = testing::ReadSpreads(root / "live" / "spread_results.csv");
  const std::string both = "backtest:\n" + Slurp(root / "bt" / "spread_results.csv") +
                           "live:\n" + Slurp(root / "live" / "spread_results.csv") +
                           "node:\n" + node_run.out;
  for (const auto* rows : {&a, &b}) {
    const bool closed_one = std::any_of(rows->begin(), rows->end(), [](const testing::SpreadRow& r) {
      return r.opened != 0 && r.closed != 0 && r.state == "CLOSED";
    });
    ASSERT_TRUE(closed_one) << "a leg opened and closed no spread: nothing compared\n" << both;
  }
  ASSERT_EQ(a.size(), b.size()) << both;
  const auto cmp = testing::CompareSpreads(a, b, testing::kOneDataInterval);
  if (::testing::Test::HasFailure()) ADD_FAILURE() << both;
  std::printf("same-code proof, live leg (Kite emulator, %.0fx, skip_closed, %s to %s):\n"
              "  backtest:\n%s  live:\n%s"
              "  %zu spreads alike, entries and exits at most %.3f s apart, realized P&L "
              "backtest %.2f, live %.2f, difference %.2f; live leg %.1f s wall, test %.1f s; "
              "Tuesday's login written at %s (nacre kite login returned at %s), the node "
              "took it at %s\n",
              kSpeed, kSpanStart, kSpanEnd, testing::Describe(a).c_str(),
              testing::Describe(b).c_str(), a.size(), static_cast<double>(cmp.worst) / 1e9,
              cmp.pnl_a, cmp.pnl_b, cmp.pnl_b - cmp.pnl_a, live_wall,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count(),
              IstMillis(written_at).c_str(), IstMillis(relogged_at).c_str(), taken.c_str());
  // The node journaled all of it.
  const auto verify =
      Exec("journal verify '" + (root / "state" / "TRADER-001" / "journal.sqlite").string() + "'", true);
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
}

}  // namespace
}  // namespace nacre
