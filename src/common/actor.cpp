#include "common/actor.h"

#include <algorithm>

namespace nacre {

Actor::~Actor() {
  if (ctx_.bus == nullptr) return;
  for (SubscriptionId id : owned_subs_) ctx_.bus->Unsubscribe(id);
  for (const std::string& t : timers_) ctx_.clock->CancelTimer(TimerName(t));
}

void Actor::Register(const ActorContext& ctx) {
  ctx_ = ctx;
  set_logger(ctx.logger);
  OnRegistered();
  Initialize();
}

void Actor::SendDataCommand(DataKind kind, const InstrumentId& id, const BarType& bar,
                            bool subscribe, const ClientId& client) {
  DataSubscription cmd;
  cmd.kind = kind;
  cmd.instrument_id = id;
  cmd.bar_type = bar;
  cmd.client_id = client;
  cmd.subscribe = subscribe;
  cmd.ts_init = clock().Now();
  if (Status s = msgbus().Send(topics::kDataEngineExecute, cmd); !s) {
    log().Error("data subscription failed: {}", s.error());
  }
}

void Actor::SubscribeQuoteTicks(const InstrumentId& id, const ClientId& client) {
  const std::string key = "Q|" + id.value();
  if (data_subs_.count(key)) return;
  data_subs_[key] = AddSubscription<QuoteTick>(
      topics::Quotes(id), [this](const QuoteTick& q) { OnQuoteTick(q); }, 0, true);
  SendDataCommand(DataKind::kQuotes, id, {}, true, client);
}

void Actor::UnsubscribeQuoteTicks(const InstrumentId& id) {
  auto it = data_subs_.find("Q|" + id.value());
  if (it == data_subs_.end()) return;
  msgbus().Unsubscribe(it->second);
  data_subs_.erase(it);
  SendDataCommand(DataKind::kQuotes, id, {}, false, {});
}

void Actor::SubscribeTradeTicks(const InstrumentId& id, const ClientId& client) {
  const std::string key = "T|" + id.value();
  if (data_subs_.count(key)) return;
  data_subs_[key] = AddSubscription<TradeTick>(
      topics::Trades(id), [this](const TradeTick& t) { OnTradeTick(t); }, 0, true);
  SendDataCommand(DataKind::kTrades, id, {}, true, client);
}

void Actor::UnsubscribeTradeTicks(const InstrumentId& id) {
  auto it = data_subs_.find("T|" + id.value());
  if (it == data_subs_.end()) return;
  msgbus().Unsubscribe(it->second);
  data_subs_.erase(it);
  SendDataCommand(DataKind::kTrades, id, {}, false, {});
}

void Actor::SubscribeBars(const BarType& type, const ClientId& client) {
  const std::string key = "B|" + type.ToString();
  if (data_subs_.count(key)) return;
  data_subs_[key] = AddSubscription<Bar>(
      topics::Bars(type), [this](const Bar& b) { OnBar(b); }, 0, true);
  SendDataCommand(DataKind::kBars, type.instrument_id(), type, true, client);
}

void Actor::UnsubscribeBars(const BarType& type) {
  auto it = data_subs_.find("B|" + type.ToString());
  if (it == data_subs_.end()) return;
  msgbus().Unsubscribe(it->second);
  data_subs_.erase(it);
  SendDataCommand(DataKind::kBars, type.instrument_id(), type, false, {});
}

void Actor::SubscribeInstrument(const InstrumentId& id) {
  const std::string key = "I|" + id.value();
  if (data_subs_.count(key)) return;
  data_subs_[key] = AddSubscription<Instrument>(
      topics::InstrumentTopic(id), [this](const Instrument& i) { OnInstrument(i); }, 0, true);
}

void Actor::UnsubscribeData(SubscriptionId id) {
  msgbus().Unsubscribe(id);
  std::erase(owned_subs_, id);
}

TimeEventHandler Actor::TimerHandler(const std::string& name, bool one_shot,
                                     std::function<void(const TimeEvent&)> callback) {
  return [this, name, one_shot, cb = std::move(callback)](const TimeEvent& e) {
    if (one_shot) std::erase(timers_, name);  // fired: the name is free again
    if (!is_running()) return;
    try {
      const TimeEvent local{name, e.ts_event, e.ts_init};
      if (cb) {
        cb(local);
      } else {
        OnTimer(local);
      }
    } catch (const std::exception& ex) {
      ++handler_errors_;
      log().Error("timer handler error: {}", ex.what());
    } catch (...) {
      ++handler_errors_;
      log().Error("timer handler error: unknown exception");
    }
  };
}

Status Actor::SetTimer(const std::string& name, DurationNs interval, UnixNanos start,
                       UnixNanos stop) {
  Status s = clock().SetTimer(TimerName(name), interval, start, stop, TimerHandler(name));
  if (s) timers_.push_back(name);
  return s;
}

Status Actor::SetTimeAlert(const std::string& name, UnixNanos at) {
  Status s = clock().SetTimeAlert(TimerName(name), at, TimerHandler(name, true));
  if (s) timers_.push_back(name);
  return s;
}

Status Actor::SetTimeAlert(const std::string& name, UnixNanos at,
                           std::function<void(const TimeEvent&)> callback) {
  Status s = clock().SetTimeAlert(TimerName(name), at, TimerHandler(name, true, std::move(callback)));
  if (s) timers_.push_back(name);
  return s;
}

std::string Actor::MarketClosedReason(const InstrumentId& id) const {
  if (ctx_.market_hours == nullptr || ctx_.market_hours->hours == nullptr) return {};
  const Instrument* inst = ctx_.cache->instrument(id);
  if (inst == nullptr) return {};
  return ctx_.market_hours->hours->ClosedReason(*inst, ctx_.clock->Now());
}

void Actor::CancelTimer(const std::string& name) {
  clock().CancelTimer(TimerName(name));
  std::erase(timers_, name);
}

void Actor::CancelAllTimers() {
  for (const std::string& t : timers_) clock().CancelTimer(TimerName(t));
  timers_.clear();
}

}  // namespace nacre
