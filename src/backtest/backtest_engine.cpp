#include "backtest/backtest_engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>

namespace nacre {

namespace {

// Backtest data arrives from the engine's own streams, so subscriptions are bookkeeping only.
class BacktestDataClient final : public DataClient {
 public:
  explicit BacktestDataClient(const Venue& venue) : id_(venue.value()), venue_(venue) {}
  const ClientId& id() const override { return id_; }
  const Venue& venue() const override { return venue_; }
  void Subscribe(const DataSubscription& /*cmd*/) override {}
  void Unsubscribe(const DataSubscription& /*cmd*/) override {}

 private:
  ClientId id_;
  Venue venue_;
};

std::string Row(std::string_view label, const std::string& value) {
  return fmt::format("  {:<22} {:>26}\n", label, value);
}

}  // namespace

BacktestEngine::BacktestEngine(KernelConfig config) : config_(config) {
  auto clock = std::make_unique<TestClock>();
  clock_ = clock.get();
  kernel_ = std::make_unique<Kernel>(config_, std::move(clock));
}

BacktestEngine::~BacktestEngine() = default;

Result<SimulatedExchange*> AttachSimulatedVenue(Kernel& kernel, const BacktestVenueConfig& config,
                                                const MarketHours* hours) {
  if (kernel.exec_engine().ClientForVenue(config.venue.venue) != nullptr) {
    return MakeError(fmt::format("venue {} added twice", config.venue.venue.value()));
  }
  std::unique_ptr<SimulatedExchange> venue;
  if (config.exchange) {
    SimulatedExchangeConfig ec = *config.exchange;
    ec.venue = config.venue.venue;
    ec.account_id = config.venue.account_id;
    ec.starting_balance = config.starting_balance;
    // The risk engine checks NSE margin before the order leaves, on the same book, when asked
    // (`[risk] pre_trade_margin`); a capital cap ([risk.live]) needs the book's figures too.
    const RiskEngineConfig& risk = kernel.config().risk_engine;
    if (ec.margin_check && (risk.pre_trade_nse_margin || risk.live.capital_cap)) {
      kernel.risk_engine().SetNseMargin(
          ec.venue, MarginBookConfig{ec.margin, ec.margin_default_vol, ec.underlying_vol});
    }
    if (hours != nullptr) ec.hours = hours;
    venue = std::make_unique<SimulatedExchange>(ec);
  } else {
    SimulatedExchangeConfig ec = SimulatedExchangeConfig::Simple(config.venue);
    ec.starting_balance = config.starting_balance;
    venue = std::make_unique<SimulatedExchange>(ec);
  }
  venue->AttachLoop(&kernel.loop());
  // The venue keeps its own instrument definitions: those known so far, then each one added.
  for (const Instrument* i : kernel.cache().Instruments()) venue->AddInstrument(*i);
  SimulatedExchange* raw = venue.get();
  kernel.exec_engine().RegisterClient(std::move(venue));
  kernel.cache().AddAccount(std::make_unique<Account>(config.venue.account_id, config.account_type,
                                                      config.starting_balance, UnixNanos()),
                            config.venue.venue);
  kernel.portfolio().ManageAccount(config.venue.account_id);
  return raw;
}

Status BacktestEngine::AddVenue(const BacktestVenueConfig& config) {
  for (const auto& v : venue_configs_) {
    if (v.venue.venue == config.venue.venue) {
      return MakeError(fmt::format("venue {} added twice", config.venue.venue.value()));
    }
  }
  auto venue = AttachSimulatedVenue(*kernel_, config, market_hours_.get());
  if (!venue) return MakeError(venue.error());
  venue_configs_.push_back(config);
  venues_.push_back(*venue);
  kernel_->data_engine().RegisterClient(std::make_unique<BacktestDataClient>(config.venue.venue));
  return Status::Ok();
}

SimulatedExchange* BacktestEngine::exchange(const Venue& v) {
  for (MatchingVenue* s : venues_) {
    if (s->venue() == v) return dynamic_cast<SimulatedExchange*>(s);
  }
  return nullptr;
}

void BacktestEngine::AddInstrument(const Instrument& instrument) {
  kernel_->cache().AddInstrument(instrument);
  for (MatchingVenue* v : venues_) v->AddInstrument(instrument);
}

template <typename T>
void BacktestEngine::Append(const std::vector<T>& items) {
  const std::size_t need = data_.size() + items.size();
  if (data_.capacity() < need) data_.reserve(std::max(need, 2 * data_.capacity()));
  // Each series' span: one map lookup per point, skipped while consecutive points share a
  // series (the usual case for loaded files; ids are interned, so one address per id).
  std::pair<UnixNanos, UnixNanos>* span = nullptr;
  const void* span_of = nullptr;
  // Stay sorted while data arrives in time order (the usual case): no sort before the run.
  // Where the order breaks is noted (a run starts there) while the merge could still take it.
  std::optional<UnixNanos> last;
  if (!data_.empty()) last = TsInit(data_.back());
  for (const T& x : items) {
    if (last && x.ts_init < *last) {
      sorted_ = false;
      if (run_starts_.size() <= kMergeRuns) run_starts_.push_back(data_.size());
    }
    last = x.ts_init;
    data_.emplace_back(x);
    if constexpr (std::is_same_v<T, Bar>) {
      if (span == nullptr || !(x.bar_type == *static_cast<const BarType*>(span_of))) {
        span =
            &memory_spans_
                 .try_emplace({DataSeriesKind::kBars, x.bar_type.ToString()}, x.ts_init, x.ts_init)
                 .first->second;
        span_of = &x.bar_type;
      }
    } else {
      if (span == nullptr || x.instrument_id.value().data() != span_of) {
        constexpr DataSeriesKind kind =
            std::is_same_v<T, QuoteTick> ? DataSeriesKind::kQuotes : DataSeriesKind::kTrades;
        span = &memory_spans_.try_emplace({kind, x.instrument_id.value()}, x.ts_init, x.ts_init)
                    .first->second;
        span_of = x.instrument_id.value().data();
      }
    }
    span->first = std::min(span->first, x.ts_init);
    span->second = std::max(span->second, x.ts_init);
  }
}

void BacktestEngine::AddBars(const std::vector<Bar>& bars) { Append(bars); }
void BacktestEngine::AddQuotes(const std::vector<QuoteTick>& quotes) { Append(quotes); }
void BacktestEngine::AddTrades(const std::vector<TradeTick>& trades) { Append(trades); }

Status BacktestEngine::AddStrategy(std::unique_ptr<Strategy> strategy) {
  return kernel_->trader().AddStrategy(std::move(strategy));
}

void BacktestEngine::SetMarketHours(std::unique_ptr<MarketHours> hours) {
  market_hours_ = std::move(hours);
  kernel_->SetMarketHours(market_hours_.get());
  for (MatchingVenue* v : venues_) {
    if (auto* ex = dynamic_cast<SimulatedExchange*>(v)) ex->set_market_hours(market_hours_.get());
  }
}

Status BacktestEngine::AddActor(std::unique_ptr<Actor> actor) {
  return kernel_->trader().AddActor(std::move(actor));
}

UnixNanos BacktestEngine::TsInit(const DataPoint& d) {
  return std::visit([](const auto& x) { return x.ts_init; }, d);
}

void BacktestEngine::SortData() {
  if (sorted_) return;
  // Stable: equal ts_init keeps insertion order (the sequence tie-break).
  const auto earlier = [](const DataPoint& a, const DataPoint& b) {
    return TsInit(a) < TsInit(b);
  };
  if (run_starts_.size() <= kMergeRuns) {
    // A few batches, each in time order (quotes, then trades, ...): adjacent runs merged
    // pairwise until one is left. A stable merge keeps the earlier run's points first among
    // equals, so the order is exactly the stable sort's, with one pass per round instead of
    // a sort's log n passes over the whole data.
    std::vector<std::size_t> bounds{0};
    bounds.insert(bounds.end(), run_starts_.begin(), run_starts_.end());
    bounds.push_back(data_.size());
    while (bounds.size() > 2) {
      std::vector<std::size_t> merged{0};
      for (std::size_t i = 0; i + 1 < bounds.size(); i += 2) {
        if (i + 2 < bounds.size()) {
          const auto at = [&](std::size_t k) {
            return data_.begin() + static_cast<std::ptrdiff_t>(bounds[k]);
          };
          std::inplace_merge(at(i), at(i + 1), at(i + 2), earlier);
          merged.push_back(bounds[i + 2]);
        } else {
          merged.push_back(bounds[i + 1]);
        }
      }
      bounds = std::move(merged);
    }
  } else {
    std::stable_sort(data_.begin(), data_.end(), earlier);
  }
  run_starts_.clear();
  sorted_ = true;
}

void BacktestEngine::AddStream(DataStreamFactory open,
                               std::optional<std::vector<DataSeries>> contents) {
  streams_.push_back(std::move(open));
  stream_contents_.push_back(std::move(contents));
}

void BacktestEngine::AddStream(std::unique_ptr<DataStream> stream) {
  auto holder = std::make_shared<std::unique_ptr<DataStream>>(std::move(stream));
  AddStream([holder]() -> Result<std::unique_ptr<DataStream>> {
    if (!*holder) return MakeError("data stream already consumed by an earlier run");
    return std::move(*holder);
  });
}

void BacktestEngine::AddMemoryCoverage() {
  for (const auto& [key, span] : memory_spans_) {
    coverage_.Add(DataSeries{key.first, key.second, span.first, span.second, true, false});
  }
}

namespace {
// Whether `v` takes `d`: a venue that wants all data, or the item's own venue.
template <class T>
bool Takes(const MatchingVenue& v, const T& d) {
  if constexpr (std::is_same_v<T, Bar>) {
    return v.WantsAllData() || v.venue() == d.bar_type.instrument_id().venue();
  } else {
    return v.WantsAllData() || v.venue() == d.instrument_id.venue();
  }
}
}  // namespace

void DeliverMarketData(const std::vector<MatchingVenue*>& venues, DataEngine& data_engine,
                       const MarketData& point) {
  std::visit(
      [&](const auto& d) {
        using T = std::decay_t<decltype(d)>;
        for (MatchingVenue* v : venues) {
          if (!Takes(*v, d)) continue;
          if constexpr (std::is_same_v<T, Bar>) {
            v->OnBar(d);
          } else if constexpr (std::is_same_v<T, QuoteTick>) {
            v->OnQuote(d);
          } else {
            v->OnTrade(d);
          }
        }
        data_engine.Process(d);
      },
      point);
}

void SeeMarketData(const std::vector<MatchingVenue*>& venues, const MarketData& point) {
  std::visit(
      [&](const auto& d) {
        for (MatchingVenue* v : venues) {
          if (Takes(*v, d)) v->SeeMarket(point);
        }
      },
      point);
}

void BacktestEngine::Process(const DataPoint& point) {
  // One data item through the loop: venue deliveries and timers due by its time run first
  // (the loop's tie-break), then, as one handler, the venues match resting orders against it
  // and the data engine publishes it. Commands strategies send meanwhile run after it.
  kernel_->loop().RunData(TsInit(point),
                          [&] { DeliverMarketData(venues_, kernel_->data_engine(), point); });
}

namespace {

// One open stream during a run: its current chunk and position.
struct StreamCursor {
  std::unique_ptr<DataStream> stream;
  std::vector<MarketData> buf;
  std::size_t pos = 0;
  bool done = false;
  // The stream's first item, and the last one skipped before `start` (DataCoverage of a
  // stream that does not know its own range).
  std::optional<UnixNanos> first_seen;
  std::optional<UnixNanos> last_skipped;
};

}  // namespace

double BacktestEngine::RunProgress::Fraction() const {
  if (total > 0) return static_cast<double>(done) / static_cast<double>(total);
  if (to > from) {
    const double f = static_cast<double>(now - from) / static_cast<double>(to - from);
    return std::clamp(f, 0.0, 1.0);
  }
  return -1;
}

BacktestResult BacktestEngine::Run(std::optional<UnixNanos> start, std::optional<UnixNanos> end) {
  if (has_run_) Reset();
  has_run_ = true;
  data_status_ = Status::Ok();
  SortData();
  auto first = data_.begin();
  auto last = data_.end();
  if (start) {
    first = std::lower_bound(data_.begin(), data_.end(), *start,
                             [](const DataPoint& d, UnixNanos t) { return TsInit(d) < t; });
  }
  if (end) {
    last = std::upper_bound(first, data_.end(), *end,
                            [](UnixNanos t, const DataPoint& d) { return t < TsInit(d); });
  }
  // Open the streams and pull their first chunks (skipping data before `start`).
  std::vector<StreamCursor> cursors(streams_.size());
  auto refill = [&](StreamCursor& c) {
    while (!c.done && c.pos >= c.buf.size()) {
      c.pos = 0;
      Status s = c.stream->Next(c.buf, stream_chunk_);
      if (!s) {
        if (data_status_.ok()) data_status_ = s;
        c.buf.clear();
      }
      if (c.buf.empty()) {
        c.done = true;
        c.stream.reset();
        break;
      }
      if (!c.first_seen) c.first_seen = TsInit(c.buf.front());
      if (start) {
        while (c.pos < c.buf.size() && TsInit(c.buf[c.pos]) < *start) ++c.pos;
        if (c.pos > 0) c.last_skipped = TsInit(c.buf[c.pos - 1]);
      }
    }
  };
  for (std::size_t i = 0; i < streams_.size(); ++i) {
    auto s = streams_[i]();
    if (!s) {
      if (data_status_.ok()) data_status_ = Status(MakeError(s.error()));
      cursors[i].done = true;
      continue;
    }
    cursors[i].stream = std::move(*s);
    refill(cursors[i]);
  }
  // The next source: 0 = in-memory, i + 1 = stream i; -1 = none (or past `end`).
  auto next_source = [&]() -> int {
    int best = -1;
    UnixNanos best_ts;
    if (first != last) {
      best = 0;
      best_ts = TsInit(*first);
    }
    for (std::size_t i = 0; i < cursors.size(); ++i) {
      const StreamCursor& c = cursors[i];
      if (c.done) continue;
      const UnixNanos t = TsInit(c.buf[c.pos]);
      if (best < 0 || t < best_ts) {
        best = static_cast<int>(i) + 1;
        best_ts = t;
      }
    }
    if (best >= 0 && end && best_ts > *end) return -1;
    return best;
  };
  // What the run holds, for the components' start checks (Actor::data_coverage()).
  coverage_ = DataCoverage();
  coverage_.SetRange(start, end);
  coverage_.SetRangeNote(range_note_);
  AddMemoryCoverage();
  coverage_described_ = true;
  for (std::size_t i = 0; i < streams_.size(); ++i) {
    const auto& contents = stream_contents_[i];
    if (!contents) {
      coverage_described_ = false;
      continue;
    }
    for (DataSeries series : *contents) {
      if (!series.range_known) {
        // Only a stream of one series is dated by its first item.
        if (contents->size() != 1) {
          coverage_described_ = false;
          continue;
        }
        const StreamCursor& c = cursors[i];
        if (!c.first_seen) {
          series.empty = true;  // no data at all
        } else if (c.done) {
          // Everything was before `start`: its whole range is known.
          series.first = *c.first_seen;
          series.last = c.last_skipped.value_or(*c.first_seen);
          series.range_known = true;
        } else {
          series.first = series.last = *c.first_seen;
          // Its next item in the run is past `end`: nothing inside the run.
          series.empty = end && TsInit(c.buf[c.pos]) > *end;
        }
      }
      coverage_.Add(series);
    }
  }
  kernel_->SetDataCoverage(coverage_described_ ? &coverage_ : nullptr);
  int src = data_status_.ok() ? next_source() : -1;
  UnixNanos t0 = start.value_or(UnixNanos());
  if (src == 0) t0 = TsInit(*first);
  if (src > 0) {
    const StreamCursor& c = cursors[static_cast<std::size_t>(src - 1)];
    t0 = TsInit(c.buf[c.pos]);
  }
  clock_->SetTime(t0);
  start_status_ = kernel_->Start();
  if (!start_status_) {
    // Trading is HALTED with the reason; nothing runs (the CLI reports start_status()).
    src = -1;
  }
  const auto wall0 = std::chrono::steady_clock::now();
  const std::uint64_t total = streams_.empty() ? static_cast<std::uint64_t>(last - first) : 0;
  std::uint64_t n = 0;
  std::uint64_t counts[3] = {0, 0, 0};
  UnixNanos t1 = t0;
  // The run's last data time, for a streamed run's progress: the end asked for, else the latest
  // of the streams' known last times and the in-memory data's (unknown if any stream cannot
  // say).
  UnixNanos progress_to = end.value_or(UnixNanos());
  if (!end && !cursors.empty()) {
    bool known = true;
    for (const StreamCursor& c : cursors) {
      if (c.done) continue;
      const std::optional<UnixNanos> last_ts = c.stream->LastTs();
      if (!last_ts) {
        known = false;
        break;
      }
      progress_to = std::max(progress_to, *last_ts);
    }
    if (first != last) progress_to = std::max(progress_to, TsInit(*(last - 1)));
    if (!known) progress_to = UnixNanos();
  }
  auto report = [&](UnixNanos now, bool finished) {
    RunProgress p;
    p.done = n;
    p.total = finished && total == 0 ? n : total;
    p.now = now;
    p.from = t0;
    p.to = progress_to;
    p.finished = finished;
    progress_(p);
  };
  while (src >= 0) {
    if (src == 0) {
      // In-memory run until a stream has earlier data (streams lose ties to memory).
      UnixNanos limit(std::numeric_limits<std::int64_t>::max());
      for (const StreamCursor& c : cursors) {
        if (!c.done && TsInit(c.buf[c.pos]) < limit) limit = TsInit(c.buf[c.pos]);
      }
      for (; first != last && TsInit(*first) <= limit; ++first) {
        if (end && TsInit(*first) > *end) break;
        t1 = TsInit(*first);
        ++counts[first->index()];
        Process(*first);
        if (++n % progress_every_ == 0 && progress_) report(t1, false);
      }
    } else {
      StreamCursor& c = cursors[static_cast<std::size_t>(src - 1)];
      // Continue while (ts, source) stays below every other source's next (ts, source).
      UnixNanos limit(std::numeric_limits<std::int64_t>::max());
      int limit_src = std::numeric_limits<int>::max();
      if (first != last) {
        limit = TsInit(*first);
        limit_src = 0;
      }
      for (std::size_t i = 0; i < cursors.size(); ++i) {
        const StreamCursor& o = cursors[i];
        if (o.done || &o == &c) continue;
        const UnixNanos t = TsInit(o.buf[o.pos]);
        const int os = static_cast<int>(i) + 1;
        if (t < limit || (t == limit && os < limit_src)) {
          limit = t;
          limit_src = os;
        }
      }
      while (!c.done) {
        const UnixNanos t = TsInit(c.buf[c.pos]);
        if (t > limit || (t == limit && src > limit_src)) break;
        if (end && t > *end) break;
        t1 = t;
        ++counts[c.buf[c.pos].index()];
        Process(c.buf[c.pos]);
        if (++n % progress_every_ == 0 && progress_) report(t1, false);
        ++c.pos;
        refill(c);
      }
    }
    if (!data_status_.ok()) break;
    src = next_source();
  }
  if (progress_) report(t1, true);
  // Venue deliveries and timers due by the last data time still run; later ones are past the
  // run's end.
  kernel_->loop().AdvanceTo(t1);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  kernel_->Stop();
  kernel_->loop().AdvanceTo(clock_->Now());
  BacktestResult r = Collect(t0, t1, n, secs);
  r.bars = counts[0];
  r.quotes = counts[1];
  r.trades = counts[2];
  return r;
}

BacktestResult BacktestEngine::Collect(UnixNanos start, UnixNanos end, std::uint64_t n,
                                       double secs) {
  BacktestResult r;
  r.start = start;
  r.end = end;
  r.data_points = n;
  r.wall_seconds = secs;
  r.events_per_second = secs > 0 ? static_cast<double>(n) / secs : 0;
  const Cache& cache = kernel_->cache();
  for (const Order* o : cache.Orders()) {
    ++r.orders;
    switch (o->status()) {
      case OrderStatus::kFilled:
        ++r.orders_filled;
        break;
      case OrderStatus::kDenied:
        ++r.orders_denied;
        break;
      case OrderStatus::kRejected:
        ++r.orders_rejected;
        break;
      case OrderStatus::kCanceled:
      case OrderStatus::kExpired:
        ++r.orders_canceled;
        break;
      default:
        if (!o->is_closed()) ++r.orders_open;
    }
    r.fills += o->trade_ids().size();
  }
  auto count_cycle = [&r](const Position& p) {
    if (!p.is_closed()) return;
    ++r.round_trips;
    if (p.realized_pnl().raw() > 0) {
      ++r.winners;
    } else if (p.realized_pnl().raw() < 0) {
      ++r.losers;
    } else {
      ++r.breakeven;  // exactly zero: neither a win nor a loss
    }
  };
  for (const Position* p : cache.Positions()) count_cycle(*p);
  for (const Position* p : cache.AllPositionSnapshots()) count_cycle(*p);
  Money start_bal;
  Money balance;
  for (const Account* a : cache.Accounts()) {
    start_bal += a->starting_balance();
    balance += a->balance_total();
  }
  r.starting_balance = start_bal;
  r.final_balance = balance;
  for (const auto& v : venue_configs_) {
    r.realized_pnl += kernel_->portfolio().RealizedPnl(v.venue.venue);
    r.unrealized_pnl += kernel_->portfolio().UnrealizedPnl(v.venue.venue);
    r.commissions += kernel_->portfolio().TotalCommissions(v.venue.venue);
    r.open_value += kernel_->portfolio().OpenValue(v.venue.venue);
  }
  r.final_equity = r.final_balance + r.open_value;
  return r;
}

void BacktestEngine::Reset() {
  Kernel& k = *kernel_;
  k.trader().ResetAll();
  k.cache().Reset();
  k.portfolio().Reset();
  k.data_engine().ResetState();
  k.risk_engine().ResetState();
  k.exec_engine().ResetState();
  k.clock().CancelTimers();
  k.loop().Reset();
  k.settlement().Reset();
  k.uuids() = UuidGenerator(config_.seed);  // same event ids on every rerun
  for (MatchingVenue* v : venues_) v->Reset();
  for (const auto& cfg : venue_configs_) {
    k.cache().AddAccount(std::make_unique<Account>(cfg.venue.account_id, cfg.account_type,
                                                   cfg.starting_balance, UnixNanos()),
                         cfg.venue.venue);
  }
  has_run_ = false;
}

std::string BacktestResult::Summary() const {
  std::string s;
  s += fmt::format("Backtest {} -> {}\n", FormatIst(start), FormatIst(end));
  s += Row("data points", fmt::format("{}", data_points));
  s += Row("bars / quotes / trades", fmt::format("{} / {} / {}", bars, quotes, trades));
  s += Row("orders", fmt::format("{}", orders));
  s += Row("  filled", fmt::format("{}", orders_filled));
  s += Row("  denied / rejected", fmt::format("{} / {}", orders_denied, orders_rejected));
  s += Row("  canceled / open", fmt::format("{} / {}", orders_canceled, orders_open));
  s += Row("fills", fmt::format("{}", fills));
  s += Row("round trips", breakeven > 0
                              ? fmt::format("{} (won {}, lost {}, even {})", round_trips, winners,
                                            losers, breakeven)
                              : fmt::format("{} (won {}, lost {})", round_trips, winners, losers));
  s += Row("starting balance", starting_balance.ToDisplay());
  s += Row("realized P&L", realized_pnl.ToDisplay());
  s += Row("unrealized P&L", unrealized_pnl.ToDisplay());
  s += Row("commissions", commissions.ToDisplay());
  s += Row("final balance", final_balance.ToDisplay());
  s += Row("open positions value", open_value.ToDisplay());
  s += Row("final equity", final_equity.ToDisplay());
  return s;
}

std::string BacktestResult::Throughput() const {
  return fmt::format(
      "Run phase: {} events in {:.3f} s = {:.0f} events/s ({} bars/s)", data_points, wall_seconds,
      events_per_second,
      wall_seconds > 0 ? static_cast<std::uint64_t>(static_cast<double>(bars) / wall_seconds) : 0);
}

}  // namespace nacre
