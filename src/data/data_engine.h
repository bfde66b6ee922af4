// DataEngine: routes data subscriptions to data clients (by explicit client id, else by the
// instrument's venue, else the default client), processes incoming data into the Cache and
// publishes it on the bus, and aggregates INTERNAL time bars from quotes and trades.
// Publishing uses topic handles resolved once per instrument/bar type. Kernel thread only.
#pragma once

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "common/actor.h"
#include "common/id_map.h"
#include "data/bar_aggregator.h"
#include "data/data_client.h"

namespace nacre {

struct DataEngineConfig {
  // Offset of time-bar boundaries from 00:00 UTC (e.g. 09:15 IST = 03:45 UTC).
  DurationNs time_bars_origin = 0;
  // Reject data older than the latest seen for the same instrument/bar type.
  bool validate_data_sequence = true;
  // Once a data day, the cache releases the market data of contracts that expired at least
  // this long ago (Cache::ReleaseExpired); 0 keeps everything.
  DurationNs release_expired_after = kNanosPerDay;
};

class DataEngine : public Component {
 public:
  DataEngine(MessageBus& bus, Cache& cache, Clock& clock, Logger& logger,
             DataEngineConfig config = {});
  ~DataEngine() override;

  void RegisterClient(std::unique_ptr<DataClient> client);
  void SetDefaultClient(const ClientId& id) { default_client_ = id; }
  DataClient* client(const ClientId& id);
  std::vector<DataClient*> clients();  // in client id order

  void Execute(const DataSubscription& cmd);
  void Process(const QuoteTick& q);
  void Process(const TradeTick& t);
  void Process(const Bar& b);
  void Process(const Instrument& i);

  // Forgets per-stream sequence state and counters (backtest reset); keeps subscriptions.
  void ResetState();

  // One component that must act when data time reaches a point (the results recorder: the
  // first data of a new day or of the next equity interval) without a handler on every data
  // point: `watch(ts)` runs for the first data point at `ts` >= the point it last returned,
  // before that point reaches the cache and subscribers, and returns the next point. Empty
  // clears it. (`first` is the first point.) `owner` names the watcher: a later watcher
  // replaces it, and ClearDataTimeWatch clears only its owner's.
  using DataTimeWatch = std::function<UnixNanos(UnixNanos ts)>;
  void SetDataTimeWatch(const void* owner, DataTimeWatch watch, UnixNanos first);
  void ClearDataTimeWatch(const void* owner) {
    if (owner == watch_owner_) SetDataTimeWatch(nullptr, {}, UnixNanos());
  }

  std::uint64_t processed_count() const { return processed_; }
  std::uint64_t rejected_count() const { return rejected_; }
  // Active subscription counts (per key) for inspection and tests.
  std::size_t subscription_count() const { return sub_counts_.size(); }

 private:
  void OnStart() override;
  void OnResume() override;
  void ArmAggregatorTimers();
  DataClient* Route(const InstrumentId& id, const ClientId& explicit_client);
  MessageBus::TopicHandle QuoteTopic(const InstrumentId& id);
  void AddAggregator(const BarType& type);
  void RemoveAggregator(const BarType& type);
  void PublishBar(const Bar& b);
  // Data time `ts` reached the next release check: release expired contracts' data.
  void ReleaseExpired(UnixNanos ts);
  // A quote in the cache: to its bar aggregators and subscribers.
  void Publish(const QuoteTick& q);
  void MaybeReleaseExpired(UnixNanos ts) {
    if (ts >= next_release_) [[unlikely]] ReleaseExpired(ts);
  }
  void MaybeWatch(UnixNanos ts) {
    if (ts >= watch_at_) [[unlikely]] {
      watch_at_ = watch_(ts);
      UpdateNextDue();
    }
  }
  void UpdateNextDue() { next_due_ = std::min(next_release_, watch_at_); }

  MessageBus& bus_;
  Cache& cache_;
  Clock& clock_;
  DataEngineConfig config_;
  std::map<ClientId, std::unique_ptr<DataClient>> clients_;
  std::map<Venue, ClientId> venue_clients_;
  ClientId default_client_;
  std::map<std::string, int> sub_counts_;
  // The client each active subscription was routed to (its unsubscribe goes there too).
  std::map<std::string, ClientId> sub_clients_;
  IdMap<InstrumentId, MessageBus::TopicHandle> quote_topics_;  // common/id_map.h
  IdMap<InstrumentId, MessageBus::TopicHandle> trade_topics_;
  // Hashed: looked up on every bar (never iterated, so order does not matter).
  std::unordered_map<BarType, MessageBus::TopicHandle, IdHash> bar_topics_;
  std::unordered_map<BarType, UnixNanos, IdHash> last_bar_ts_;
  struct BarMemo {
    BarType type;
    UnixNanos* ts = nullptr;
    MessageBus::TopicHandle* topic = nullptr;
  };
  BarMemo bar_memo_;  // the slots of the last bar type processed
  // Aggregators fed by quotes / trades of an instrument.
  std::map<BarType, std::unique_ptr<TimeBarAggregator>> aggregators_;
  std::vector<std::unique_ptr<TimeBarAggregator>> retired_aggregators_;
  std::unordered_map<InstrumentId, std::vector<TimeBarAggregator*>, IdHash> quote_aggs_;
  std::unordered_map<InstrumentId, std::vector<TimeBarAggregator*>, IdHash> trade_aggs_;
  std::uint64_t processed_ = 0;
  std::uint64_t rejected_ = 0;
  UnixNanos next_release_{std::numeric_limits<std::int64_t>::min()};
  DataTimeWatch watch_;
  const void* watch_owner_ = nullptr;
  UnixNanos watch_at_{std::numeric_limits<std::int64_t>::max()};
  UnixNanos next_due_{std::numeric_limits<std::int64_t>::min()};  // min(release, watch)
};

}  // namespace nacre
