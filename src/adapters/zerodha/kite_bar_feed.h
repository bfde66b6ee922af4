// KiteBarFeed: EXTERNAL bars from Kite's own candles. Kite's ticker streams ticks only, so a
// strategy that trades on the broker's bars (the spread application's "NIFTY 50.NSE-5-MINUTE-
// LAST-EXTERNAL") gets them from the historical API, as Kite itself publishes them: after each
// bar's close on the node's clock, the candles since the last bar are fetched
// (/instruments/historical/:token/:interval, through the REST client's historical lane and its
// 3/s limit) and every completed candle becomes a Bar (KiteCandlesToBars: stamped at its
// close) pushed into the inbox, in order, each once. `warmup_bars` > 0 fetches that many bars
// before the start too (indicators warm at once; 0 keeps a live run's bars those of a backtest
// from the same start).
//
// It is the data client of the underlying index's venue (NSE): bar subscriptions of minute or
// day aggregation on LAST prices are its own; every other subscription (the index's quotes)
// goes to the ticker client it was given.
// Threads: Subscribe/Unsubscribe/Connect/Disconnect on the kernel thread; the poll runs on the
// I/O thread and the REST lane; state shared between them is behind a mutex.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "adapters/zerodha/kite_instrument_map.h"
#include "adapters/zerodha/kite_rest_client.h"
#include "common/clock.h"
#include "common/inbox.h"
#include "data/data_client.h"

namespace nacre {

namespace net {
class IoThread;
}

// Kite's interval name for a bar specification ("minute", "5minute", "60minute", "day"), or
// nullopt when Kite has no such candle.
std::optional<std::string> KiteIntervalOf(const BarSpecification& spec);

struct KiteBarFeedConfig {
  ClientId id{"KITE-BARS"};
  Venue venue{"NSE"};
  // How long after a bar's close its candle is asked for (Kite publishes a candle shortly
  // after its minute ends), on the node's clock.
  DurationNs publish_lag = 2 * kNanosPerSecond;
  int warmup_bars = 0;
  // Time between checks for a closed candle, at real speed. On a faster clock (the emulator's)
  // the wall period shrinks by its rate, to 1 ms at least: a check is about the market (how
  // late after its close a bar reaches the strategy), so a fast replay must not delay bars by
  // minutes of market time. Kite's own limits on the requests stay in wall time (the REST
  // client's historical lane).
  DurationNs poll_period = 200 * kNanosPerMilli;
};

class KiteBarFeed final : public DataClient {
 public:
  KiteBarFeed(KiteBarFeedConfig config, KiteRestClient& rest,
              std::shared_ptr<const KiteInstrumentMap> instruments, DataClient* ticker,
              const Clock& clock, Inbox& inbox, net::IoThread& io);
  ~KiteBarFeed() override;

  const ClientId& id() const override { return config_.id; }
  const Venue& venue() const override { return config_.venue; }
  void Connect() override;
  void Disconnect() override;
  bool is_connected() const override;
  void Subscribe(const DataSubscription& cmd) override;
  void Unsubscribe(const DataSubscription& cmd) override;

  struct Stats {
    std::uint64_t requests = 0;
    std::uint64_t bars = 0;
    std::uint64_t failures = 0;
    std::string last_error;
  };
  Stats stats() const;

 private:
  struct Feed {
    BarType bar_type;
    std::uint32_t token = 0;
    std::string interval;
    UnixNanos last_close;  // the newest bar pushed (its close)
    bool in_flight = false;
    // This subscription's own number: an answer finds its feed by it, so a feed unsubscribed
    // (or subscribed again) while its call was out never takes another's answer.
    std::uint64_t serial = 0;
  };
  void Poll();
  void OnCandles(std::uint64_t serial, const KiteOutcome& out, UnixNanos asked_at);

  KiteBarFeedConfig config_;
  KiteRestClient& rest_;
  std::shared_ptr<const KiteInstrumentMap> instruments_;
  DataClient* ticker_;
  const Clock& clock_;
  Inbox& inbox_;
  net::IoThread& io_;
  mutable std::mutex mu_;
  std::vector<Feed> feeds_;
  std::uint64_t next_serial_ = 0;
  Stats stats_;
  std::uint64_t timer_ = 0;
  bool connected_ = false;
  struct Alive {
    // Recursive: the REST client answers a call inline once it is stopping, so a callback
    // can run inside Poll, on the thread that already holds it.
    std::recursive_mutex mu;
    KiteBarFeed* self = nullptr;
  };
  std::shared_ptr<Alive> alive_ = std::make_shared<Alive>();
};

}  // namespace nacre
