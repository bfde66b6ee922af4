// The running emulator over 127.0.0.1 on a small catalog written here (test fixture shared by
// runtime_test.cpp and runtime_faults_test.cpp): an index and two NIFTY options, the previous
// day's last quotes and the replayed day's quotes and trades; the replay starts paused at the
// first data, a hand-driven wall clock, a logged-in session and an HTTP client.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "adapters/zerodha/kite_auth.h"
#include "apps/kite_emulator/instruments.h"
#include "apps/kite_emulator/runtime.h"
#include "net/http_client.h"
#include "persistence/catalog.h"
#include "testkit/testkit.h"

namespace nacre::kite_emu {


namespace fs = std::filesystem;
using nlohmann::json;
using testkit::Px;
using testkit::Qty;
inline constexpr DurationNs kDeadline = 5 * kNanosPerSecond;

inline QuoteTick Q(const Instrument& i, const char* bid, const char* ask, std::int64_t bq,
            std::int64_t aq, UnixNanos t) {
  return QuoteTick{i.id, Px(bid), Px(ask), Qty(bq), Qty(aq), t, t};
}
inline TradeTick T(const Instrument& i, const char* px, std::int64_t size, UnixNanos t, const char* id) {
  return TradeTick{i.id, Px(px), Qty(size), OrderSide::kBuy, TradeId(id), t, t};
}

// Prices as a client decodes them (two decimals).
inline double D(const char* s) { return std::stod(s); }

class RuntimeTest : public ::testing::Test {
 protected:
  const Instrument index_ = testkit::NiftyIndex();
  const Instrument call_ = testkit::NiftyOption(OptionKind::kCall, "24000");
  const Instrument put_ = testkit::NiftyOption(OptionKind::kPut, "23900");
  // The previous day's last quote, then the replayed day (Tuesday 30-Dec-2025): the call
  // quoted every 5 minutes from 10:00 to 10:20, the put quoted at 10:00 and traded at 10:00:01
  // and 10:00:02, the index at 10:00.
  const UnixNanos d0_ = FromIst(2025, 12, 29, 15, 29);
  const UnixNanos t0_ = FromIst(2025, 12, 30, 10, 0);

  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("nacre_emu_rt_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    auto cat = Catalog::Open(dir_.string());
    ASSERT_TRUE(cat.ok()) << cat.error();
    const std::vector<Instrument> all{index_, call_, put_};
    ASSERT_TRUE((*cat)->WriteInstruments(all).ok());
    const std::vector<QuoteTick> calls{Q(call_, "98.00", "98.40", 65, 65, d0_),
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

    LoadedEmulatorConfig c;
    c.emulator.user.api_key = "k";
    c.emulator.user.api_secret = "s";
    c.catalog_dir = dir_.string();
    c.instruments = all;
    c.emulator.instruments = KiteInstrumentTable(all);
    c.paused = true;  // the test steps the replay
    c.heartbeat = heartbeat_;
    c.speed = 60;
    RuntimeOptions o;
    o.wall = [this] { return UnixNanos(wall_.load()); };
    o.pump_period = 5 * kNanosPerMilli;
    rt_ = std::make_unique<Runtime>(c, o);
    ASSERT_TRUE(rt_->Start().ok());
    rt_->OnIoThread([&] {
      call_token_ = rt_->market()->ByInstrument(call_.id)->token;
      put_token_ = rt_->market()->ByInstrument(put_.id)->token;
      call_key_ = rt_->market()->ByInstrument(call_.id)->key;
      put_key_ = rt_->market()->ByInstrument(put_.id)->key;
    });
    http_ = std::make_unique<net::HttpClient>("127.0.0.1", rt_->http_port());
    Login();
  }
  // A session at the current virtual time (tokens expire at the next 06:00 IST, so a
  // test that steps into the next day logs in again, as a user would).
  void Login() {
    rt_->OnIoThread([&] {
      SessionStore& s = rt_->emulator().sessions();
      const UnixNanos now = rt_->clock().Now();
      const std::string rt = std::get<std::string>(s.Login("k", now));
      access_ = std::get<std::string>(s.Exchange("k", rt, KiteChecksum("k", rt, "s"), now));
    });
  }
  void TearDown() override {
    rt_->Stop();
    fs::remove_all(dir_);
  }
  net::HttpResponse Raw(const std::string& target, bool gzip = false) {
    net::HttpRequest r;
    r.method = "GET";
    r.target = target;
    r.headers = {{"X-Kite-Version", "3"}, {"Authorization", "token k:" + access_}};
    if (gzip) r.headers.emplace_back("Accept-Encoding", "gzip, deflate");
    auto resp = http_->Send(r, kDeadline);
    EXPECT_TRUE(resp.ok()) << resp.error();
    return resp.ok() ? *resp : net::HttpResponse{};
  }
  // A form POST/PUT/DELETE to a Kite route (the answer as sent, or the client's error).
  Result<net::HttpResponse> Send(const std::string& method, const std::string& target,
                                 const std::string& form = "",
                                 DurationNs deadline = kDeadline) {
    net::HttpRequest r;
    r.method = method;
    r.target = target;
    r.body = form;
    r.headers = {{"X-Kite-Version", "3"},
                 {"Authorization", "token k:" + access_},
                 {"Content-Type", "application/x-www-form-urlencoded"}};
    return http_->Send(r, deadline);
  }
  json Get(const std::string& target, int want = 200) {
    const net::HttpResponse resp = Raw(target);
    EXPECT_EQ(resp.status, want) << target << ": " << resp.body;
    return json::parse(resp.body, nullptr, false);
  }
  // A second passes on the wall clock (Kite's per-second limits run on it).
  void WallSecond() { wall_ += kNanosPerSecond; }

  DurationNs heartbeat_ = kNanosPerSecond;  // a fixture may shorten it before SetUp
  fs::path dir_;
  std::atomic<std::int64_t> wall_{FromIst(2026, 12, 4, 9, 0).value};
  std::unique_ptr<Runtime> rt_;
  std::unique_ptr<net::HttpClient> http_;
  std::string access_;
  std::uint32_t call_token_ = 0, put_token_ = 0;
  std::string call_key_, put_key_;
};

}  // namespace nacre::kite_emu
