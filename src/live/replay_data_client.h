// ReplayDataClient (LIVE.md §3, issue 14): a Nacre catalog streamed into the kernel's inbox
// at the pace of the node's clock, like a live feed, so the sandbox runs with no broker. A
// feeder thread reads the catalog's quotes, trades and bars merged in time order and pushes
// each item once the clock reaches its ts_init (a ScaledClock makes a replayed day take
// minutes); the kernel thread takes them from the inbox as from any live client, and the
// inbox's backlog policy (quotes conflated per instrument, trades and bars kept) applies.
//
// Every series the catalog holds for the configured instruments is replayed whatever the
// strategies subscribe: the sandbox venue needs every quote to match orders, and the data
// engine publishes only what is subscribed. A stream error stops the feed and is kept in
// status(); finished() says the data ran out (the node then decides whether to stop).
// Thread contract: Connect/Disconnect from the kernel thread; the feeder touches only the
// inbox (thread-safe) and the clock's const Now() (thread-safe for LiveClock and ScaledClock).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/inbox.h"
#include "data/data_client.h"
#include "persistence/catalog.h"

namespace nacre {

struct ReplayDataConfig {
  ClientId id{"REPLAY"};
  Venue venue{"NFO"};
  std::string catalog;                   // the catalog folder
  std::vector<std::string> instruments;  // ids or globs (empty: every instrument)
  std::optional<UnixNanos> start, end;   // on ts_init, inclusive
  // Explicit reads (a node config's [[data_clients]] entries: type, instruments, DuckDB
  // threads and memory); empty: quotes, trades and bars of `instruments`. `start`/`end` above
  // narrow each.
  std::vector<CatalogQuery> queries;
  // Above this many data items waiting in the inbox the feeder waits for the kernel instead of
  // pushing (lossless replay: nothing conflated or dropped, never far ahead); 0: no bound (a
  // paced live-like feed, the inbox's backlog policy applies).
  std::size_t max_backlog = 0;
};

// What identifies a data item among those at the same time: its kind and instrument (a bar:
// its bar type), e.g. "quote NIFTY2610624000CE.NFO" (TradingNode's resume at a data time).
std::string ReplayKey(const MarketData& item);

class ReplayDataClient final : public DataClient {
 public:
  ReplayDataClient(ReplayDataConfig config, const Clock& clock, Inbox& inbox);
  ~ReplayDataClient() override;
  ReplayDataClient(const ReplayDataClient&) = delete;
  ReplayDataClient& operator=(const ReplayDataClient&) = delete;

  const ClientId& id() const override { return config_.id; }
  const Venue& venue() const override { return config_.venue; }
  const ReplayDataConfig& config() const { return config_; }
  // Replays from `start` on (a node resuming where it stopped); before Connect.
  void SetStart(UnixNanos start) { config_.start = start; }
  void SetMaxBacklog(std::size_t n) { config_.max_backlog = n; }
  // Replays nothing after `end` (inclusive); before Connect.
  void SetEnd(UnixNanos end) {
    if (!config_.end || end < *config_.end) config_.end = end;
  }
  // Opens the catalog's streams (an error names the catalog) and starts the feeder.
  Status Open();
  void Connect() override;
  void Disconnect() override;
  bool is_connected() const override { return running_.load(); }
  void Subscribe(const DataSubscription& /*cmd*/) override {}
  void Unsubscribe(const DataSubscription& /*cmd*/) override {}

  // Items pushed so far; whether the data ran out; the first stream error (any thread).
  std::uint64_t pushed() const { return pushed_.load(); }
  bool finished() const { return finished_.load(); }
  Status status() const;

 private:
  void Feed();
  // Waits until the clock reaches `ts` or the client stops; false when stopped.
  bool WaitFor(UnixNanos ts);

  ReplayDataConfig config_;
  const Clock& clock_;
  Inbox& inbox_;
  std::unique_ptr<Catalog> catalog_;
  std::vector<std::unique_ptr<DataStream>> streams_;
  std::thread feeder_;
  std::atomic<bool> running_{false};
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  std::atomic<std::uint64_t> pushed_{0};
  mutable std::mutex mu_;
  Status status_ = Status::Ok();
};

}  // namespace nacre
