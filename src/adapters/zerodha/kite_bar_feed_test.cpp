// KiteBarFeed against a REST client that is stopping (a node's teardown): the client answers
// a call inline, on the thread that asked. A poll then must fail its call and go on, never
// take its own locks again on the same thread (that deadlock hung a node at exit, leaving its
// teardown waiting on the I/O thread for ever).
#include "adapters/zerodha/kite_bar_feed.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "adapters/zerodha/kite_instrument_map.h"
#include "adapters/zerodha/kite_instruments.h"
#include "adapters/zerodha/kite_rest_client.h"
#include "adapters/zerodha/kite_url.h"
#include "common/clock.h"
#include "common/inbox.h"
#include "net/http_server.h"
#include "net/io_thread.h"

namespace nacre {
namespace {

// A dump of one row: the NIFTY 50 index (token 256265), as the bar feed's instruments.
Result<KiteInstrumentMap> NiftyIndexMap() {
  const std::string dump = std::string(kKiteInstrumentsHeader) + "\r\n" +
                           "256265,1001,NIFTY 50,NIFTY 50,0.0,,0.0,0.0,0,EQ,INDICES,NSE\r\n";
  auto rows = ParseKiteInstrumentsCsv(dump, "dump.csv");
  if (!rows.ok()) return MakeError(rows.error());
  return KiteInstrumentMap::Build(*rows, "dump.csv", {});
}

TEST(KiteBarFeed, APollAgainstAStoppingRestClientFailsItsCallWithoutDeadlock) {
  auto map = NiftyIndexMap();
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

// The node's clock read by the feed's poll on the I/O thread and moved by the test.
class SharedClock final : public Clock {
 public:
  explicit SharedClock(UnixNanos t) : now_(t.value) {}
  UnixNanos Now() const override { return UnixNanos(now_.load()); }
  void Set(UnixNanos t) { now_.store(t.value); }

 private:
  std::atomic<std::int64_t> now_;
};

// A historical-candles server whose 5minute answers wait until the test lets each one go.
class CandleServer {
 public:
  CandleServer() : server_(io_, [this](const net::HttpRequest& r) { return Answer(r); }) {}
  ~CandleServer() {
    ReleaseAll();
    server_.Stop();
  }
  Status Start() { return server_.Start(); }
  std::uint16_t port() const { return server_.port(); }
  // The intervals asked for, in order ("minute", "5minute", ...).
  std::vector<std::string> asked() {
    std::lock_guard l(mu_);
    return asked_;
  }
  // Waits (10 s at most) until `n` requests for `interval` have arrived.
  bool WaitAsked(const std::string& interval, int n) {
    std::unique_lock l(mu_);
    return cv_.wait_for(l, std::chrono::seconds(10), [&] {
      return std::count(asked_.begin(), asked_.end(), interval) >= n;
    });
  }
  void Release(int n) {
    std::lock_guard l(mu_);
    released_ = n;
    cv_.notify_all();
  }
  void ReleaseAll() { Release(1 << 20); }

 private:
  net::HttpResponse Answer(const net::HttpRequest& r) {
    // /instruments/historical/256265/<interval>?from=...&to=...
    const std::string path = r.target.substr(0, r.target.find('?'));
    const std::string interval = path.substr(path.rfind('/') + 1);
    std::string candles;
    {
      std::unique_lock l(mu_);
      asked_.push_back(interval);
      cv_.notify_all();
      if (interval == "5minute") {
        const int mine = ++five_minute_;
        cv_.wait(l, [&] { return released_ >= mine; });  // holds this server thread only
        candles = mine == 1 ? R"(["2026-01-05T09:50:00+0530",1,2,0.5,1.5,0],)"
                              R"(["2026-01-05T09:55:00+0530",1,2,0.5,1.5,0])"
                            : R"(["2026-01-05T10:00:00+0530",1,2,0.5,1.5,0])";
      } else if (interval == "minute") {
        candles = R"(["2026-01-05T09:58:00+0530",1,2,0.5,1.5,0],)"
                  R"(["2026-01-05T09:59:00+0530",1,2,0.5,1.5,0])";
      } else {  // 15minute
        candles = R"(["2026-01-05T09:30:00+0530",1,2,0.5,1.5,0],)"
                  R"(["2026-01-05T09:45:00+0530",1,2,0.5,1.5,0])";
      }
    }
    net::HttpResponse resp;
    resp.headers.push_back({"Content-Type", "application/json"});
    resp.body = R"({"status":"success","data":{"candles":[)" + candles + "]}}";
    return resp;
  }

  net::IoThread io_;
  net::HttpServer server_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> asked_;
  int five_minute_ = 0;
  int released_ = 0;
};

// Each candle call is answered into the feed that asked, found by its subscription, never by
// its place in the feed list: a feed unsubscribed while another's call is out used to shift
// that answer past the list's end (dropped, and the feed stayed "in flight" for good: no more
// bars), and a feed unsubscribed while its own call was out used to stay subscribed.
TEST(KiteBarFeed, EachAnswerReachesTheFeedThatAskedAcrossUnsubscribes) {
  auto map = NiftyIndexMap();
  ASSERT_TRUE(map.ok()) << map.error();
  CandleServer server;
  ASSERT_TRUE(server.Start().ok());
  KiteRestClient::Options o;
  o.base_url = *ParseKiteUrl("http://127.0.0.1:" + std::to_string(server.port()), {"http"});
  o.api_key = "k";
  o.access_token = "bar-feed-test-token";
  KiteRestClient rest(o);
  net::IoThread io;
  Inbox inbox;
  SharedClock clock(FromIst(2026, 1, 5, 10, 0));
  KiteBarFeedConfig c;
  c.poll_period = kNanosPerMilli;
  c.publish_lag = 0;
  c.warmup_bars = 2;
  KiteBarFeed feed(c, rest, std::make_shared<const KiteInstrumentMap>(std::move(*map)), nullptr,
                   clock, inbox, io);
  auto sub = [](const char* bar_type) {
    DataSubscription s;
    s.kind = DataKind::kBars;
    s.bar_type = *BarType::Parse(bar_type);
    return s;
  };
  const DataSubscription one = sub("NIFTY 50.NSE-1-MINUTE-LAST-EXTERNAL");
  const DataSubscription five = sub("NIFTY 50.NSE-5-MINUTE-LAST-EXTERNAL");
  const DataSubscription fifteen = sub("NIFTY 50.NSE-15-MINUTE-LAST-EXTERNAL");
  auto bars_reach = [&](std::uint64_t n) {  // polls the feed's counter, 10 s at most
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (feed.stats().bars < n && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return feed.stats().bars;
  };
  feed.Subscribe(one);
  feed.Subscribe(five);
  feed.Connect();
  // The 1-minute answer comes back (2 bars) while the 5-minute call is held at the server;
  // then the 1-minute feed, first in the list, goes.
  ASSERT_TRUE(server.WaitAsked("5minute", 1));
  ASSERT_EQ(bars_reach(2), 2u);
  feed.Unsubscribe(one);
  server.Release(1);
  EXPECT_EQ(bars_reach(4), 4u) << "the 5-minute answer did not reach its feed";
  // The 5-minute feed is not stuck: its next bar is asked for when it closes. Unsubscribed
  // while that call is out, its answer is dropped; a later subscription's answer (behind it on
  // Kite's historical lane) shows it was.
  clock.Set(FromIst(2026, 1, 5, 10, 5));
  ASSERT_TRUE(server.WaitAsked("5minute", 2)) << "the 5-minute feed never asked again";
  feed.Unsubscribe(five);
  feed.Subscribe(fifteen);  // its call queues behind the held one on the lane
  server.Release(2);
  EXPECT_EQ(bars_reach(6), 6u);
  EXPECT_EQ(feed.stats().bars, 6u) << "an unsubscribed feed's answer was published";
  EXPECT_EQ(server.asked(), (std::vector<std::string>{"minute", "5minute", "5minute", "15minute"}));
  // What reached the kernel, in order: each feed's own bars.
  std::vector<ExecItem> exec;
  std::vector<MarketData> data;
  inbox.Take(exec, data, 100);
  std::vector<std::string> got;
  for (const MarketData& d : data) got.push_back(std::get<Bar>(d).bar_type.ToString());
  EXPECT_EQ(got, (std::vector<std::string>{
                     "NIFTY 50.NSE-1-MINUTE-LAST-EXTERNAL", "NIFTY 50.NSE-1-MINUTE-LAST-EXTERNAL",
                     "NIFTY 50.NSE-5-MINUTE-LAST-EXTERNAL", "NIFTY 50.NSE-5-MINUTE-LAST-EXTERNAL",
                     "NIFTY 50.NSE-15-MINUTE-LAST-EXTERNAL",
                     "NIFTY 50.NSE-15-MINUTE-LAST-EXTERNAL"}));
  feed.Disconnect();
  io.Stop();
  rest.Stop();
}

}  // namespace
}  // namespace nacre
