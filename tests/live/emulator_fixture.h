// Test fixture for the Zerodha adapter against the real Kite emulator, in-process over
// 127.0.0.1 (shared by the tests in tests/live). A small catalog written here (NIFTY 50 and two
// NIFTY options of the 6-Jan-2026 weekly: the previous day's last quotes and the replayed
// day's quotes and trades), the emulator Runtime on it with the replay paused at its first
// data (the test steps it through the control plane), a hand-driven wall clock for the
// emulator (its per-second limits and fault-plan stalls), fast heartbeats (so a test can use a
// short read timeout), a logged-in session (its access token) and an HTTP client.
//
// What the replay holds (ts = the catalog's ts_event = ts_init):
//   d0 = Mon 29-Dec-2025 15:29 IST: call 98.00/98.40 65×65, index 23950.10
//   t0 = Tue 30-Dec-2025 10:00 IST: call 100.00/100.10 130×195, put 50.00/50.10 65×65,
//        index 24001.25 (bid = ask, sizes 0, as Nacre stores index levels)
//   t0 + 1 s, + 2 s: put trades 65 @ 50.05 and 130 @ 50.50
//   t0 + 5, 10, 15, 20 min: call 101.00/101.20, 102.00/102.20, 103.00/103.20, 104.00/104.20
// Waits are on conditions with deadlines (WaitFor), never fixed sleeps.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "adapters/zerodha/kite_auth.h"
#include "adapters/zerodha/kite_instrument_map.h"
#include "adapters/zerodha/kite_instruments.h"
#include "apps/kite_emulator/instruments.h"
#include "apps/kite_emulator/runtime.h"
#include "net/http_client.h"
#include "persistence/catalog.h"
#include "testkit/testkit.h"

namespace nacre::live_test {

namespace fs = std::filesystem;
using nlohmann::json;
using testkit::Px;
using testkit::Qty;
inline constexpr DurationNs kDeadline = 5 * kNanosPerSecond;

inline QuoteTick Q(const Instrument& i, const char* bid, const char* ask, std::int64_t bq,
                   std::int64_t aq, UnixNanos t) {
  return QuoteTick{i.id, Px(bid), Px(ask), Qty(bq), Qty(aq), t, t};
}
inline TradeTick T(const Instrument& i, const char* px, std::int64_t size, UnixNanos t,
                   const char* id) {
  return TradeTick{i.id, Px(px), Qty(size), OrderSide::kBuy, TradeId(id), t, t};
}

// Polls `cond` every millisecond until it holds or `deadline` (wall time) passes.
inline bool WaitFor(const std::function<bool()>& cond, DurationNs deadline = kDeadline) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(deadline);
  while (!cond()) {
    if (std::chrono::steady_clock::now() > until) return cond();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

class EmulatorTest : public ::testing::Test {
 protected:
  const Instrument index_ = testkit::NiftyIndex();
  const Instrument call_ = testkit::NiftyOption(OptionKind::kCall, "24000");
  const Instrument put_ = testkit::NiftyOption(OptionKind::kPut, "23900");
  const UnixNanos d0_ = FromIst(2025, 12, 29, 15, 29);
  const UnixNanos t0_ = FromIst(2025, 12, 30, 10, 0);

  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("nacre_live_emu_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    auto cat = Catalog::Open(dir_.string());
    ASSERT_TRUE(cat.ok()) << cat.error();
    const std::vector<Instrument> all{index_, call_, put_};
    ASSERT_TRUE((*cat)->WriteInstruments(all).ok());
    const std::vector<QuoteTick> calls{
        Q(call_, "98.00", "98.40", 65, 65, d0_),
        Q(call_, "100.00", "100.10", 130, 195, t0_),
        Q(call_, "101.00", "101.20", 65, 130, t0_ + 300 * kNanosPerSecond),
        Q(call_, "102.00", "102.20", 65, 65, t0_ + 600 * kNanosPerSecond),
        Q(call_, "103.00", "103.20", 65, 65, t0_ + 900 * kNanosPerSecond),
        Q(call_, "104.00", "104.20", 65, 65, t0_ + 1200 * kNanosPerSecond)};
    ASSERT_TRUE((*cat)->WriteQuotes(call_.id, calls).ok());
    const std::vector<QuoteTick> puts{Q(put_, "50.00", "50.10", 65, 65, t0_)};
    ASSERT_TRUE((*cat)->WriteQuotes(put_.id, puts).ok());
    const std::vector<TradeTick> trades{T(put_, "50.05", 65, t0_ + kNanosPerSecond, "1"),
                                        T(put_, "50.50", 130, t0_ + 2 * kNanosPerSecond, "2")};
    ASSERT_TRUE((*cat)->WriteTrades(put_.id, trades).ok());
    const std::vector<QuoteTick> idx{Q(index_, "23950.10", "23950.10", 0, 0, d0_),
                                     Q(index_, "24001.25", "24001.25", 0, 0, t0_)};
    ASSERT_TRUE((*cat)->WriteQuotes(index_.id, idx).ok());
    auto back = (*cat)->Instruments();
    ASSERT_TRUE(back.ok()) << back.error();
    catalog_instruments_ = *back;

    kite_emu::LoadedEmulatorConfig c;
    c.emulator.user.api_key = "k";
    c.emulator.user.api_secret = "emulator-secret-1";
    c.catalog_dir = dir_.string();
    c.instruments = all;
    c.emulator.instruments = kite_emu::KiteInstrumentTable(all);
    c.paused = true;  // the test steps the replay
    c.heartbeat = heartbeat_;
    c.speed = 60;
    kite_emu::RuntimeOptions o;
    o.wall = [this] { return UnixNanos(wall_.load()); };
    o.pump_period = 5 * kNanosPerMilli;
    rt_ = std::make_unique<kite_emu::Runtime>(c, o);
    ASSERT_TRUE(rt_->Start().ok());
    http_ = std::make_unique<net::HttpClient>("127.0.0.1", rt_->http_port());
    Login();
  }
  void TearDown() override {
    if (rt_) rt_->Stop();
    fs::remove_all(dir_);
  }

  // A new session at the current virtual time (its access token in access_).
  void Login() {
    rt_->OnIoThread([&] {
      kite_emu::SessionStore& s = rt_->emulator().sessions();
      const UnixNanos now = rt_->clock().Now();
      const std::string rt = std::get<std::string>(s.Login("k", now));
      access_ = std::get<std::string>(
          s.Exchange("k", rt, KiteChecksum("k", rt, "emulator-secret-1"), now));
    });
  }
  Result<net::HttpResponse> Send(const std::string& method, const std::string& target,
                                 const std::string& body = "") {
    net::HttpRequest r;
    r.method = method;
    r.target = target;
    r.body = body;
    r.headers = {{"X-Kite-Version", "3"},
                 {"Authorization", "token k:" + access_},
                 {"Content-Type", "application/x-www-form-urlencoded"}};
    return http_->Send(r, kDeadline);
  }
  // A GET answered with `want`; the body as JSON (null when not JSON).
  json Get(const std::string& target, int want = 200) {
    auto resp = Send("GET", target);
    EXPECT_TRUE(resp.ok()) << target << ": " << resp.error();
    if (!resp.ok()) return nullptr;
    EXPECT_EQ(resp->status, want) << target << ": " << resp->body;
    return json::parse(resp->body, nullptr, false);
  }
  // The emulator's instruments dump as a client downloads it (GET /instruments).
  std::vector<KiteInstrumentRow> Dump() {
    auto resp = Send("GET", "/instruments");
    EXPECT_TRUE(resp.ok()) << resp.error();
    if (!resp.ok()) return {};
    auto rows = ParseKiteInstrumentsCsv(resp->body, "GET /instruments");
    EXPECT_TRUE(rows.ok()) << rows.error();
    return rows.ok() ? *rows : std::vector<KiteInstrumentRow>{};
  }
  // The instrument map of the emulator's dump (NIFTY; the NSE calendar without holidays).
  std::shared_ptr<const KiteInstrumentMap> Map() {
    auto m = KiteInstrumentMap::Build(Dump(), "GET /instruments", {});
    EXPECT_TRUE(m.ok()) << m.error();
    if (!m.ok()) return nullptr;
    EXPECT_TRUE(m->findings().empty()) << m->findings().front();
    return std::make_shared<const KiteInstrumentMap>(std::move(*m));
  }
  // Each open ticker connection's subscriptions as the emulator holds them (token → mode).
  std::map<std::uint64_t, std::map<std::uint32_t, KiteMode>> TickerSubscriptions() {
    std::map<std::uint64_t, std::map<std::uint32_t, KiteMode>> out;
    rt_->OnIoThread([&] { out = rt_->ticker().Subscriptions(); });
    return out;
  }
  json LoadFaults(const json& plan) {
    auto r = Send("POST", "/__emu/faults", plan.dump());
    EXPECT_TRUE(r.ok()) << r.error();
    if (!r.ok()) return nullptr;
    EXPECT_EQ(r->status, 200) << r->body;
    return json::parse(r->body, nullptr, false);
  }

  DurationNs heartbeat_ = 50 * kNanosPerMilli;  // a fixture may change it before SetUp
  fs::path dir_;
  std::vector<Instrument> catalog_instruments_;  // as the catalog gives them back
  std::atomic<std::int64_t> wall_{FromIst(2026, 12, 4, 9, 0).value};
  std::unique_ptr<kite_emu::Runtime> rt_;
  std::unique_ptr<net::HttpClient> http_;
  std::string access_;
};

}  // namespace nacre::live_test
