// The replay client through the live loop: a small catalog streamed into the inbox at a
// scaled clock's pace and dispatched by EventLoop::RunLive. Items arrive in time order, none
// before the clock reaches its time, every one of them; a stop ends the feed; a missing
// catalog is a clear error.
#include "live/replay_data_client.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/event_loop.h"
#include "persistence/catalog.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

namespace fs = std::filesystem;
using testkit::Px;
using testkit::Qty;

class ReplayTest : public ::testing::Test {
 protected:
  const Instrument call_ = testkit::NiftyOption(OptionKind::kCall, "24000");
  const Instrument put_ = testkit::NiftyOption(OptionKind::kPut, "24000");
  const UnixNanos t0_ = FromIst(2025, 12, 30, 10, 0);

  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("nacre_replay_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    auto cat = Catalog::Open(dir_.string());
    ASSERT_TRUE(cat.ok()) << cat.error();
    ASSERT_TRUE((*cat)->WriteInstruments(std::vector<Instrument>{call_, put_}).ok());
    std::vector<QuoteTick> calls, puts;
    for (int i = 0; i < 10; ++i) {
      const UnixNanos t = t0_ + i * kNanosPerMinute;
      calls.push_back(QuoteTick{call_.id, Px("100.00"), Px("100.10"), Qty(65), Qty(65), t, t});
      puts.push_back(QuoteTick{put_.id, Px("90.00"), Px("90.10"), Qty(65), Qty(65), t + kNanosPerSecond,
                               t + kNanosPerSecond});
    }
    ASSERT_TRUE((*cat)->WriteQuotes(call_.id, calls).ok());
    ASSERT_TRUE((*cat)->WriteQuotes(put_.id, puts).ok());
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ReplayTest, ItemsReachTheLoopInTimeOrderNeverBeforeTheirTime) {
  // A virtual minute every 10 ms of wall time.
  ScaledClock clock(t0_ - kNanosPerSecond, 6000.0);
  EventLoop loop(clock);
  Inbox inbox;
  ReplayDataConfig cfg;
  cfg.catalog = dir_.string();
  ReplayDataClient client(cfg, clock, inbox);
  std::vector<std::pair<UnixNanos, UnixNanos>> seen;  // (ts_init, clock when dispatched)
  loop.SetDataHandler([&](const MarketData& d) {
    seen.emplace_back(TsInitOf(d), clock.Now());
    if (seen.size() == 20) inbox.Close();
  });
  client.Connect();
  ASSERT_TRUE(client.status().ok()) << client.status().error();
  loop.RunLive(inbox);
  client.Disconnect();
  ASSERT_EQ(seen.size(), 20u);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_GE(seen[i].second, seen[i].first) << "item " << i << " came before its time";
    if (i > 0) {
      EXPECT_GT(seen[i].first, seen[i - 1].first);
    }
  }
  EXPECT_EQ(client.pushed(), 20u);
  EXPECT_TRUE(client.finished());
}

TEST_F(ReplayTest, ADisconnectStopsTheFeedAndTheInstrumentsLimitIt) {
  // Real time: the second item is a minute away, so the feed is waiting when it is stopped.
  ScaledClock clock(t0_, 1.0);
  Inbox inbox;
  ReplayDataConfig cfg;
  cfg.catalog = dir_.string();
  cfg.instruments = {call_.id.value()};
  ReplayDataClient client(cfg, clock, inbox);
  client.Connect();
  std::vector<ExecItem> exec;
  std::vector<MarketData> data;
  ASSERT_TRUE(inbox.WaitUntil(std::chrono::steady_clock::now() + std::chrono::seconds(10)));
  client.Disconnect();
  inbox.Take(exec, data, 100);
  ASSERT_EQ(data.size(), 1u);  // only the call's first quote (the put is not configured)
  EXPECT_EQ(TsInitOf(data[0]), t0_);
  EXPECT_FALSE(client.finished());
  EXPECT_FALSE(client.is_connected());
}

TEST(Replay, AMissingCatalogIsAClearError) {
  TestClock clock;
  Inbox inbox;
  ReplayDataConfig cfg;
  cfg.catalog = "/nonexistent/catalog/dir";
  ReplayDataClient client(cfg, clock, inbox);
  const Status s = client.Open();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("/nonexistent/catalog/dir"), std::string::npos) << s.error();
}

}  // namespace
}  // namespace nacre
