#include "data/data_engine.h"

#include <algorithm>
#include <limits>

namespace nacre {

namespace {

std::string SubKey(const DataSubscription& cmd) {
  switch (cmd.kind) {
    case DataKind::kQuotes:
      return "Q|" + cmd.instrument_id.value();
    case DataKind::kTrades:
      return "T|" + cmd.instrument_id.value();
    case DataKind::kBars:
      return "B|" + cmd.bar_type.ToString();
    case DataKind::kInstrument:
      return "I|" + cmd.instrument_id.value();
  }
  return {};
}

std::string AggTimerName(const BarType& t) { return "DataEngine:bars:" + t.ToString(); }

}  // namespace

DataEngine::DataEngine(MessageBus& bus, Cache& cache, Clock& clock, Logger& logger,
                       DataEngineConfig config)
    : Component("DataEngine"), bus_(bus), cache_(cache), clock_(clock), config_(config) {
  set_logger(&logger);
  Status s = bus_.RegisterEndpoint<DataSubscription>(
      topics::kDataEngineExecute, [this](const DataSubscription& cmd) { Execute(cmd); });
  if (!s) log().Error("{}", s.error());
  Initialize();
}

DataEngine::~DataEngine() {
  bus_.DeregisterEndpoint(topics::kDataEngineExecute);
  for (const auto& [type, agg] : aggregators_) clock_.CancelTimer(AggTimerName(type));
}

void DataEngine::RegisterClient(std::unique_ptr<DataClient> client) {
  const ClientId id = client->id();
  venue_clients_.insert_or_assign(client->venue(), id);
  if (default_client_.empty()) default_client_ = id;
  clients_.insert_or_assign(id, std::move(client));
}

std::vector<DataClient*> DataEngine::clients() {
  std::vector<DataClient*> out;
  for (auto& [id, c] : clients_) out.push_back(c.get());
  return out;
}

DataClient* DataEngine::client(const ClientId& id) {
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : it->second.get();
}

DataClient* DataEngine::Route(const InstrumentId& id, const ClientId& explicit_client) {
  if (!explicit_client.empty()) return client(explicit_client);
  auto it = venue_clients_.find(id.venue());
  if (it != venue_clients_.end()) return client(it->second);
  return default_client_.empty() ? nullptr : client(default_client_);
}

void DataEngine::ResetState() {
  // Partial bars of the previous run are dropped; timers are re-armed on the next start.
  for (auto& [type, agg] : aggregators_) {
    clock_.CancelTimer(AggTimerName(type));
    agg->Reset();
  }
  retired_aggregators_.clear();
  last_bar_ts_.clear();
  bar_memo_ = BarMemo{};
  processed_ = 0;
  rejected_ = 0;
  next_release_ = UnixNanos(std::numeric_limits<std::int64_t>::min());
  UpdateNextDue();
}

void DataEngine::SetDataTimeWatch(const void* owner, DataTimeWatch watch, UnixNanos first) {
  watch_owner_ = owner;
  watch_ = std::move(watch);
  watch_at_ = watch_ ? first : UnixNanos(std::numeric_limits<std::int64_t>::max());
  UpdateNextDue();
}

void DataEngine::Execute(const DataSubscription& command) {
  DataSubscription cmd = command;
  // A bar subscription names its instrument through the bar type.
  if (cmd.kind == DataKind::kBars && cmd.instrument_id.empty()) {
    cmd.instrument_id = cmd.bar_type.instrument_id();
  }
  const std::string key = SubKey(cmd);
  int& count = sub_counts_[key];
  const bool internal_bars =
      cmd.kind == DataKind::kBars && cmd.bar_type.source() == AggregationSource::kInternal;
  if (cmd.subscribe) {
    if (++count > 1) return;  // already routed
    if (internal_bars) {
      AddAggregator(cmd.bar_type);
      // The aggregator needs the underlying quotes or trades.
      DataSubscription src = cmd;
      src.kind = cmd.bar_type.spec().price_type == PriceType::kLast ? DataKind::kTrades
                                                                    : DataKind::kQuotes;
      Execute(src);
      return;
    }
  } else {
    if (count == 0) {
      sub_counts_.erase(key);
      log().Warning("unsubscribe without subscription: {}", key);
      return;
    }
    if (--count > 0) return;
    sub_counts_.erase(key);
    if (internal_bars) {
      RemoveAggregator(cmd.bar_type);
      DataSubscription src = cmd;
      src.kind = cmd.bar_type.spec().price_type == PriceType::kLast ? DataKind::kTrades
                                                                    : DataKind::kQuotes;
      Execute(src);
      return;
    }
  }
  DataClient* c = nullptr;
  if (cmd.subscribe) {
    c = Route(cmd.instrument_id, cmd.client_id);
  } else {
    // Unsubscribe where the subscription went, even if the unsubscriber named no client.
    auto routed = sub_clients_.find(key);
    c = routed != sub_clients_.end() ? client(routed->second)
                                     : Route(cmd.instrument_id, cmd.client_id);
    sub_clients_.erase(key);
  }
  if (c == nullptr) {
    log().Error("no data client for {} (venue {})", key, cmd.instrument_id.venue().value());
    return;
  }
  if (cmd.subscribe) {
    sub_clients_.insert_or_assign(key, c->id());
    c->Subscribe(cmd);
  } else {
    c->Unsubscribe(cmd);
  }
}

void DataEngine::OnStart() { ArmAggregatorTimers(); }
void DataEngine::OnResume() { ArmAggregatorTimers(); }

void DataEngine::ArmAggregatorTimers() {
  for (auto& [type, agg] : aggregators_) {
    if (clock_.HasTimer(AggTimerName(type))) continue;
    TimeBarAggregator* raw = agg.get();
    const UnixNanos first = raw->NextBoundary(clock_.Now());
    Status s = clock_.SetTimer(AggTimerName(type), raw->interval(), first - raw->interval(), {},
                               [raw](const TimeEvent& e) { raw->Close(e.ts_event); });
    if (!s) log().Error("bar timer: {}", s.error());
  }
}

void DataEngine::AddAggregator(const BarType& type) {
  if (Status s = BarType::ValidateSpec(type.spec()); !s) {
    log().Error("cannot aggregate {}: {}", type.ToString(), s.error());
    return;
  }
  auto agg = std::make_unique<TimeBarAggregator>(type, config_.time_bars_origin,
                                                 [this](const Bar& b) { Process(b); });
  TimeBarAggregator* raw = agg.get();
  const UnixNanos first = raw->NextBoundary(clock_.Now());
  Status s = clock_.SetTimer(AggTimerName(type), raw->interval(), first - raw->interval(), {},
                             [raw](const TimeEvent& e) { raw->Close(e.ts_event); });
  if (!s) log().Error("bar timer: {}", s.error());
  if (type.spec().price_type == PriceType::kLast) {
    trade_aggs_[type.instrument_id()].push_back(raw);
  } else {
    quote_aggs_[type.instrument_id()].push_back(raw);
  }
  aggregators_.emplace(type, std::move(agg));
}

void DataEngine::RemoveAggregator(const BarType& type) {
  auto it = aggregators_.find(type);
  if (it == aggregators_.end()) return;
  clock_.CancelTimer(AggTimerName(type));
  TimeBarAggregator* raw = it->second.get();
  std::erase(quote_aggs_[type.instrument_id()], raw);
  std::erase(trade_aggs_[type.instrument_id()], raw);
  // Kept alive until the next reset: this may run inside the aggregator's own Close() (a bar
  // handler that unsubscribes), which must not have its object destroyed under it.
  retired_aggregators_.push_back(std::move(it->second));
  aggregators_.erase(it);
}

MessageBus::TopicHandle DataEngine::QuoteTopic(const InstrumentId& id) {
  if (const MessageBus::TopicHandle* t = quote_topics_.find(id)) return *t;
  return *quote_topics_.try_emplace(id, bus_.Topic(topics::Quotes(id))).first;
}

void DataEngine::Process(const QuoteTick& q) {
  if (config_.validate_data_sequence && q.ts_init < next_due_) [[likely]] {
    // No release or watch due before this quote: the sequence check and the add are one
    // lookup.
    if (const QuoteTick* last = cache_.AddQuoteInOrder(q)) {
      ++rejected_;
      log().Warning("quote for {} at {} older than last {}; dropped", q.instrument_id.value(),
                    FormatIsoUtc(q.ts_init), FormatIsoUtc(last->ts_init));
      return;
    }
    ++processed_;
    Publish(q);
    return;
  }
  if (config_.validate_data_sequence) {
    if (const QuoteTick* last = cache_.quote(q.instrument_id); last && q.ts_init < last->ts_init) {
      ++rejected_;
      log().Warning("quote for {} at {} older than last {}; dropped", q.instrument_id.value(),
                    FormatIsoUtc(q.ts_init), FormatIsoUtc(last->ts_init));
      return;
    }
  }
  ++processed_;
  MaybeReleaseExpired(q.ts_init);
  MaybeWatch(q.ts_init);
  cache_.AddQuote(q);
  Publish(q);
}

void DataEngine::Publish(const QuoteTick& q) {
  if (!quote_aggs_.empty()) {
    auto aggs = quote_aggs_.find(q.instrument_id);
    if (aggs != quote_aggs_.end()) {
      for (TimeBarAggregator* a : aggs->second) a->HandleQuote(q);
    }
  }
  bus_.Publish(QuoteTopic(q.instrument_id), q);
}

void DataEngine::Process(const TradeTick& t) {
  if (config_.validate_data_sequence) {
    if (const TradeTick* last = cache_.trade(t.instrument_id); last && t.ts_init < last->ts_init) {
      ++rejected_;
      log().Warning("trade for {} at {} older than last {}; dropped", t.instrument_id.value(),
                    FormatIsoUtc(t.ts_init), FormatIsoUtc(last->ts_init));
      return;
    }
  }
  ++processed_;
  MaybeReleaseExpired(t.ts_init);
  MaybeWatch(t.ts_init);
  cache_.AddTrade(t);
  auto aggs = trade_aggs_.find(t.instrument_id);
  if (aggs != trade_aggs_.end()) {
    for (TimeBarAggregator* a : aggs->second) a->HandleTrade(t);
  }
  const MessageBus::TopicHandle* topic = trade_topics_.find(t.instrument_id);
  if (topic == nullptr) {
    topic = trade_topics_.try_emplace(t.instrument_id, bus_.Topic(topics::Trades(t.instrument_id)))
                .first;
  }
  bus_.Publish(*topic, t);
}

void DataEngine::Process(const Bar& b) {
  // Consecutive bars are usually of one type: remember its map slots (node-based maps keep
  // element addresses, so the pointers stay valid until the maps are cleared).
  if (!(bar_memo_.ts != nullptr && bar_memo_.type == b.bar_type)) {
    auto ts =
        last_bar_ts_.try_emplace(b.bar_type, UnixNanos(std::numeric_limits<std::int64_t>::min()))
            .first;
    auto topic = bar_topics_.find(b.bar_type);
    if (topic == bar_topics_.end()) {
      topic = bar_topics_.emplace(b.bar_type, bus_.Topic(topics::Bars(b.bar_type))).first;
    }
    bar_memo_ = BarMemo{b.bar_type, &ts->second, &topic->second};
  }
  if (config_.validate_data_sequence) {
    if (b.ts_init < *bar_memo_.ts) {
      ++rejected_;
      log().Warning("bar {} at {} older than last {}; dropped", b.bar_type.ToString(),
                    FormatIsoUtc(b.ts_init), FormatIsoUtc(*bar_memo_.ts));
      return;
    }
    *bar_memo_.ts = b.ts_init;
  }
  ++processed_;
  MaybeReleaseExpired(b.ts_init);
  MaybeWatch(b.ts_init);
  cache_.AddBar(b);
  bus_.Publish(*bar_memo_.topic, b);
}

void DataEngine::ReleaseExpired(UnixNanos ts) {
  if (config_.release_expired_after <= 0) {
    next_release_ = UnixNanos(std::numeric_limits<std::int64_t>::max());
    UpdateNextDue();
    return;
  }
  const std::size_t n = cache_.ReleaseExpired(ts, config_.release_expired_after);
  if (n > 0) log().Debug("released the market data of {} expired contracts", n);
  // Next at the following IST midnight: once a data day.
  next_release_ = FromIst(CivilDateTime{IstDate(ts), 0, 0, 0, 0}) + kNanosPerDay;
  UpdateNextDue();
}

void DataEngine::Process(const Instrument& i) {
  cache_.AddInstrument(i);
  bus_.Publish(topics::InstrumentTopic(i.id), i);
}

}  // namespace nacre
