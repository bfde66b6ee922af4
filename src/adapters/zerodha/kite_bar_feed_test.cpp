// KiteBarFeed against a REST client that is stopping (a node's teardown): the client answers
// a call inline, on the thread that asked. A poll then must fail its call and go on, never
// take its own locks again on the same thread (that deadlock hung a node at exit, leaving its
// teardown waiting on the I/O thread for ever).
#include "adapters/zerodha/kite_bar_feed.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "adapters/zerodha/kite_instrument_map.h"
#include "adapters/zerodha/kite_instruments.h"
#include "adapters/zerodha/kite_rest_client.h"
#include "adapters/zerodha/kite_url.h"
#include "common/clock.h"
#include "common/inbox.h"
#include "net/io_thread.h"

namespace nacre {
namespace {

TEST(KiteBarFeed, APollAgainstAStoppingRestClientFailsItsCallWithoutDeadlock) {
  const std::string dump = std::string(kKiteInstrumentsHeader) + "\r\n" +
                           "256265,1001,NIFTY 50,NIFTY 50,0.0,,0.0,0.0,0,EQ,INDICES,NSE\r\n";
  auto rows = ParseKiteInstrumentsCsv(dump, "dump.csv");
  ASSERT_TRUE(rows.ok()) << rows.error();
  auto map = KiteInstrumentMap::Build(*rows, "dump.csv", {});
  ASSERT_TRUE(map.ok()) << map.error();
  KiteRestClient::Options o;
  o.base_url = *ParseKiteUrl("http://127.0.0.1:1", {"http"});
  o.api_key = "k";
  o.access_token = "bar-feed-test-token";
  KiteRestClient rest(o);
  rest.Stop();
  net::IoThread io;
  Inbox inbox;
  TestClock clock(FromIst(2026, 1, 5, 10, 0));
  KiteBarFeedConfig c;
  c.poll_period = kNanosPerMilli;
  c.publish_lag = 0;
  c.warmup_bars = 2;  // two closed candles to ask for at once
  KiteBarFeed feed(c, rest, std::make_shared<const KiteInstrumentMap>(std::move(*map)), nullptr,
                   clock, inbox, io);
  DataSubscription sub;
  sub.kind = DataKind::kBars;
  sub.bar_type = *BarType::Parse("NIFTY 50.NSE-1-MINUTE-LAST-EXTERNAL");
  feed.Subscribe(sub);
  feed.Connect();
  // The first poll's call comes back failed at once ("stopping"); the feed asks again later.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  KiteBarFeed::Stats s = feed.stats();
  while (s.failures == 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // polling the feed's counters
    s = feed.stats();
  }
  EXPECT_GE(s.failures, 1u);
  EXPECT_NE(s.last_error.find("stopping"), std::string::npos) << s.last_error;
  feed.Disconnect();
  io.Stop();
}

}  // namespace
}  // namespace nacre
