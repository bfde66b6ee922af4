// Actor: a component that reacts to market data, custom data, timers and bus messages. An
// actor sees only the kernel's interfaces (clock, bus, cache, logger) given at registration,
// never which environment (backtest, sandbox, live) it runs in. Handlers run only while the
// actor is RUNNING; an exception from a handler is caught and logged (it never crosses the
// bus). Not thread-safe: kernel thread only.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/cache.h"
#include "common/clock.h"
#include "common/data_coverage.h"
#include "common/market_hours.h"
#include "common/component.h"
#include "common/message_bus.h"
#include "common/topics.h"
#include "core/uuid.h"
#include "model/commands.h"

namespace nacre {

struct ActorContext {
  TraderId trader_id;
  Clock* clock = nullptr;
  MessageBus* bus = nullptr;
  Cache* cache = nullptr;
  Logger* logger = nullptr;
  UuidGenerator* uuids = nullptr;
  const MarketHoursSlot* market_hours = nullptr;    // the kernel's trading hours (may hold none)
  const DataCoverageSlot* data_coverage = nullptr;  // what data the run holds (may hold none)
};

using SavedState = std::map<std::string, std::string>;

class Actor : public Component {
 public:
  explicit Actor(std::string id) : Component(std::move(id)) {}
  ~Actor() override;

  // Wires the actor to a kernel and moves it to READY.
  void Register(const ActorContext& ctx);
  bool is_registered() const { return ctx_.bus != nullptr; }
  const TraderId& trader_id() const { return ctx_.trader_id; }

  // Persistence: the live node saves on stop and loads on restart, before Start().
  SavedState Save() { return OnSave(); }
  void Load(const SavedState& state) { OnLoad(state); }

  std::uint64_t handler_errors() const { return handler_errors_; }
  // Cancels every timer this actor set (the Trader calls it after Stop()).
  void CancelAllTimers();

 protected:
  // Data subscriptions (routed by the DataEngine to the data client for the venue).
  void SubscribeQuoteTicks(const InstrumentId& id, const ClientId& client = {});
  void UnsubscribeQuoteTicks(const InstrumentId& id);
  void SubscribeTradeTicks(const InstrumentId& id, const ClientId& client = {});
  void UnsubscribeTradeTicks(const InstrumentId& id);
  void SubscribeBars(const BarType& type, const ClientId& client = {});
  void UnsubscribeBars(const BarType& type);
  void SubscribeInstrument(const InstrumentId& id);

  // Custom data and events on any topic (wildcards allowed when subscribing).
  template <typename T>
  SubscriptionId SubscribeData(std::string_view topic, std::function<void(const T&)> handler,
                               int priority = 0) {
    return AddSubscription<T>(topic, std::move(handler), priority, /*only_running=*/true);
  }
  void UnsubscribeData(SubscriptionId id);
  template <typename T>
  void PublishData(std::string_view topic, const T& msg) {
    ctx_.bus->Publish(topic, msg);
  }

  // Timers: names are local to the actor; OnTimer receives the local name.
  Status SetTimer(const std::string& name, DurationNs interval, UnixNanos start = {},
                  UnixNanos stop = {});
  Status SetTimeAlert(const std::string& name, UnixNanos at);
  // A one-shot alert with its own callback, under the actor's lifecycle like every timer of
  // its: not fired unless RUNNING, exceptions caught, cancelled on stop, and its name freed
  // once it fires.
  Status SetTimeAlert(const std::string& name, UnixNanos at,
                      std::function<void(const TimeEvent&)> callback);
  void CancelTimer(const std::string& name);
  bool HasTimer(const std::string& name) const {
    return std::find(timers_.begin(), timers_.end(), name) != timers_.end();
  }
  std::size_t timer_count() const { return timers_.size(); }
  // Why `id`'s market is closed now (empty: open, or no trading hours known).
  std::string MarketClosedReason(const InstrumentId& id) const;

  // Handlers.
  virtual void OnQuoteTick(const QuoteTick& /*quote*/) {}
  virtual void OnTradeTick(const TradeTick& /*trade*/) {}
  virtual void OnBar(const Bar& /*bar*/) {}
  virtual void OnInstrument(const Instrument& /*instrument*/) {}
  virtual void OnTimer(const TimeEvent& /*event*/) {}
  virtual SavedState OnSave() { return {}; }
  virtual void OnLoad(const SavedState& /*state*/) {}
  // Called once at registration, before READY (subclasses wire extra subscriptions here).
  virtual void OnRegistered() {}
 public:
  // What the component needs from the others before it can start (checked by Kernel::Start,
  // after every component is registered, before any starts): an error names what is missing
  // and how to add it. Default: nothing.
  virtual Status CheckRequirements() const { return Status::Ok(); }
  // What data the run holds, for CheckRequirements (see common/data_coverage.h); nullptr when
  // nobody can say (live, undescribed streams): skip data checks then.
  const DataCoverage* data_coverage() const {
    return ctx_.data_coverage == nullptr ? nullptr : ctx_.data_coverage->coverage;
  }

 protected:
  // Where a config key of this component was set ("backtest.toml:70: 'strategies[0].params.
  // underlying'", from ConfigTable::Locate), so start checks name it; ConfigKeyText gives
  // that, or the key alone for a component built in code.
  void SetConfigKeyLocation(const std::string& key, std::string where) {
    config_keys_[key] = std::move(where);
  }
  std::string ConfigKeyText(const std::string& key) const {
    auto it = config_keys_.find(key);
    return it == config_keys_.end() ? "'" + key + "'" : it->second;
  }

 protected:

  Clock& clock() { return *ctx_.clock; }
  const Clock& clock() const { return *ctx_.clock; }
  Cache& cache() { return *ctx_.cache; }
  const Cache& cache() const { return *ctx_.cache; }
  MessageBus& msgbus() { return *ctx_.bus; }
  UuidGenerator& uuids() { return *ctx_.uuids; }
  const ActorContext& context() const { return ctx_; }

  // Subscribes a handler wrapped in the running-state gate and exception guard.
  template <typename T>
  SubscriptionId AddSubscription(std::string_view topic, std::function<void(const T&)> handler,
                                 int priority, bool only_running) {
    auto guarded = [this, h = std::move(handler), only_running](const T& msg) {
      if (only_running && !is_running()) return;
      try {
        h(msg);
      } catch (const std::exception& e) {
        ++handler_errors_;
        log().Error("handler error: {}", e.what());
      } catch (...) {
        ++handler_errors_;
        log().Error("handler error: unknown exception");
      }
    };
    const SubscriptionId id = ctx_.bus->Subscribe<T>(topic, std::move(guarded), priority);
    owned_subs_.push_back(id);
    return id;
  }

 private:
  void SendDataCommand(DataKind kind, const InstrumentId& id, const BarType& bar, bool subscribe,
                       const ClientId& client);
  TimeEventHandler TimerHandler(const std::string& name, bool one_shot = false,
                                std::function<void(const TimeEvent&)> callback = {});
  std::string TimerName(const std::string& local) const { return component_id() + ":" + local; }

  ActorContext ctx_;
  std::map<std::string, SubscriptionId> data_subs_;  // key: "Q|id", "T|id", "B|bartype"
  std::vector<SubscriptionId> owned_subs_;
  std::vector<std::string> timers_;
  std::uint64_t handler_errors_ = 0;
  std::map<std::string, std::string> config_keys_;
};

}  // namespace nacre
