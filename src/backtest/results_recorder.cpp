#include "backtest/results_recorder.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "backtest/report_analytics.h"
#include "backtest/report_spreads.h"
#include "common/topics.h"
#include "portfolio/accounting.h"

namespace nacre {

namespace {

// Lowest priority: data handlers run after every strategy and actor saw the point.
constexpr int kAfterEveryone = -1'000'000;

std::string IsoIst(UnixNanos t) {
  const CivilDateTime c = ToIst(t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}+05:30", c.date.year, c.date.month,
                     c.date.day, c.hour, c.minute, c.second, c.nanos);
}

// CSV field: quoted only when it holds a separator, quote or line break.
std::string Csv(std::string_view s) {
  if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
  std::string o = "\"";
  for (char c : s) {
    if (c == '"') o += '"';
    o += c;
  }
  o += '"';
  return o;
}

std::string OptPx(const std::optional<Price>& p) { return p ? p->ToString() : ""; }

}  // namespace

namespace {

// An average price without trailing zeros beyond the paisa (averages carry full precision).
std::string AvgPx(const std::optional<Price>& p) {
  if (!p) return "";
  std::string s = p->ToString();
  const auto dot = s.find('.');
  if (dot == std::string::npos) return s;
  std::size_t keep = s.size();
  while (keep > dot + 3 && s[keep - 1] == '0') --keep;
  s.resize(keep);
  return s;
}

}  // namespace

// "SELL 1x NIFTY...PE 18.95>8.05; BUY 1x ..." (opening side, ratio, average open>close price).
std::string SpreadLegsText(const SpreadEvent& e) {
  std::string o;
  for (const SpreadLegState& l : e.legs) {
    if (!o.empty()) o += "; ";
    // "open>close" prices; a leg that never filled says so (not "0>").
    const bool filled = l.avg_px_open.raw() != 0;
    o += filled ? fmt::format("{} {}x {} {}>{}", ToString(l.side), l.ratio, l.instrument.value(),
                              AvgPx(l.avg_px_open), AvgPx(l.avg_px_close))
                : fmt::format("{} {}x {} unfilled", ToString(l.side), l.ratio,
                              l.instrument.value());
  }
  return o;
}

namespace {

bool IsLongCycle(const Position& p) {
  return !p.fills().empty() && p.fills().front().order_side == OrderSide::kBuy;
}

}  // namespace

namespace {
constexpr const char* kSampleAlert = "ResultsRecorder.equity";
}  // namespace

ResultsRecorder::ResultsRecorder(Kernel& kernel, ResultsRecorderConfig config)
    : kernel_(kernel), config_(config) {
  MessageBus& bus = kernel_.bus();
  // The data time (a new day, the next equity sample) from the data engine's watch: no
  // handler on every data point. Index prices from the indexes' own topics (a quote's mid,
  // a bar's close, a trade's price); an index listed later than the recorder is not tracked.
  kernel_.data_engine().SetDataTimeWatch(
      this, [this](UnixNanos ts) { return OnDataTime(ts); },
      UnixNanos(std::numeric_limits<std::int64_t>::min()));
  for (const Instrument* ins : kernel_.cache().Instruments()) {
    if (ins->instrument_class != InstrumentClass::kIndex) continue;
    const InstrumentId id = ins->id;
    subs_.push_back(bus.Subscribe<QuoteTick>(
        topics::Quotes(id), [this, id](const QuoteTick& q) { Track(id, q.ts_init, q.Mid().raw()); },
        kAfterEveryone));
    subs_.push_back(bus.Subscribe<TradeTick>(
        topics::Trades(id), [this, id](const TradeTick& t) { Track(id, t.ts_init, t.price.raw()); },
        kAfterEveryone));
  }
  subs_.push_back(bus.Subscribe<Bar>(
      "data.bars.*",
      [this](const Bar& b) {
        const Instrument* ins = kernel_.cache().instrument(b.bar_type.instrument_id());
        if (ins != nullptr && ins->instrument_class == InstrumentClass::kIndex) {
          Track(ins->id, b.ts_init, b.close.raw());
        }
      },
      kAfterEveryone));
  subs_.push_back(bus.Subscribe<OrderEvent>(topics::kAllOrderEvents, [this](const OrderEvent& e) {
    if (const auto* f = std::get_if<OrderFilled>(&e)) {
      OnFill(*f);
    } else if (const auto* d = std::get_if<OrderDenied>(&e)) {
      reasons_[d->client_order_id] = d->reason_code + ": " + d->message;
    } else if (const auto* r = std::get_if<OrderRejected>(&e)) {
      reasons_[r->client_order_id] = r->reason;
    }
  }));
  subs_.push_back(bus.Subscribe<PositionEvent>(topics::kAllPositionEvents,
                                               [this](const PositionEvent& e) { OnPosition(e); }));
  subs_.push_back(bus.Subscribe<SpreadEvent>(topics::kAllSpreadEvents,
                                             [this](const SpreadEvent& e) { OnSpread(e); }));
  subs_.push_back(bus.Subscribe<CapitalUpdated>(
      topics::kCapital, [this](const CapitalUpdated& u) { capital_updates_.push_back(u); }));
  for (const Account* a : kernel_.cache().Accounts()) starting_balance_ += a->starting_balance();
}

ResultsRecorder::~ResultsRecorder() {
  kernel_.data_engine().ClearDataTimeWatch(this);
  for (SubscriptionId id : subs_) kernel_.bus().Unsubscribe(id);
  if (pending_sample_) kernel_.clock().CancelTimer(kSampleAlert);
}

void ResultsRecorder::Track(const InstrumentId& id, UnixNanos ts, std::int64_t price_raw) {
  for (IndexTrack& track : indexes_) {  // one or two indexes
    if (track.id != id) continue;
    track.last_ts = ts;
    track.last_raw = price_raw;
    return;
  }
  indexes_.push_back(IndexTrack{id, ts, price_raw, ts, price_raw, {}});
}

UnixNanos ResultsRecorder::OnDataTime(UnixNanos ts) {
  if (!started_) {
    started_ = true;
    run_start_ = ts;
  }
  // A sample still armed for an earlier time (data handed in outside the event loop, whose
  // clock did not reach the alert): take it now.
  if (pending_sample_ && *pending_sample_ != ts) TakePendingSample();
  const CivilDate date = IstDate(ts);
  RollTo(date);  // may close the previous day with the index prices it ended on
  // Told again at the next IST midnight or the next interval, whichever is first.
  const UnixNanos midnight = FromIst(CivilDateTime{date, 0, 0, 0, 0}) + kNanosPerDay;
  const DurationNs step = config_.equity_interval > 0 ? config_.equity_interval : 1;
  const std::int64_t bucket = ts.value / step - (ts.value % step < 0 ? 1 : 0);
  const UnixNanos next = std::min(midnight, UnixNanos((bucket + 1) * step));
  if (pending_sample_ || (sampled_bucket_ && *sampled_bucket_ == bucket)) return next;
  sampled_bucket_ = bucket;
  // After every item at `ts` (the next nanosecond comes after them, and before any later data).
  Clock& clock = kernel_.clock();
  const UnixNanos at = std::max(ts + 1, clock.Now());
  if (clock.SetTimeAlert(kSampleAlert, at, [this](const TimeEvent&) {
        const UnixNanos t = *pending_sample_;
        pending_sample_.reset();
        Sample(t);
      })) {
    pending_sample_ = ts;
  } else {
    Sample(ts);
  }
  return next;
}

void ResultsRecorder::TakePendingSample() {
  if (!pending_sample_) return;
  kernel_.clock().CancelTimer(kSampleAlert);
  const UnixNanos t = *pending_sample_;
  pending_sample_.reset();
  Sample(t);
}

void ResultsRecorder::Sample(UnixNanos ts) {
  RollTo(IstDate(ts));
  const Cache& cache = kernel_.cache();
  EquitySample s{ts, Money(), Money(), Money()};
  for (const Account* a : cache.Accounts()) s.balance += a->balance_total();
  for (const Position* p : cache.PositionsOpen()) {
    const auto mark = cache.MarkPrice(p->instrument_id(), p->side());
    if (mark) s.unrealized += p->Unrealized(*mark);
    s.open_value += EquityValue(cache.instrument(p->instrument_id()), *p, mark);
  }
  if (!equity_.empty() && equity_.back().ts == ts) {
    equity_.back() = s;
  } else {
    equity_.push_back(s);
  }
}

void ResultsRecorder::RollTo(const CivilDate& date) {
  if (!day_) {
    day_ = date;
    return;
  }
  if (date == *day_) return;
  CloseDay();
  day_ = date;
}

void ResultsRecorder::CloseDay() {
  const EquitySample last = equity_.empty()
                                ? EquitySample{UnixNanos(), starting_balance_, Money(), Money()}
                                : equity_.back();
  DailyPnl d;
  d.date = *day_;
  d.realized = day_realized_;
  d.charges = day_charges_;
  d.unrealized_change = last.unrealized - prev_unrealized_;
  d.net = d.realized - d.charges + d.unrealized_change;
  d.equity = last.equity();
  days_.push_back(d);
  prev_unrealized_ = last.unrealized;
  for (IndexTrack& t : indexes_) {
    if (t.closes.empty() || t.closes.back().first != t.last_ts) {
      t.closes.emplace_back(t.last_ts, t.last_raw);
    }
  }
  day_realized_ = Money();
  day_charges_ = Money();
}

void ResultsRecorder::OnFill(const OrderFilled& fill) {
  RollTo(IstDate(fill.ts_event));
  fills_.push_back(fill);
  day_charges_ += fill.commission;
  total_charges_ += fill.commission;
}

void ResultsRecorder::OnPosition(const PositionEvent& e) {
  const PositionEventBase& b = BaseOf(e);
  RollTo(IstDate(b.ts_event));
  const Money gross = b.realized_pnl + b.commissions;
  Money& last = gross_by_position_[b.position_id];
  if (std::holds_alternative<PositionOpened>(e)) last = Money();  // a new cycle
  const Money delta = gross - last;
  last = gross;
  day_realized_ += delta;
  total_realized_ += delta;
}

void ResultsRecorder::OnSpread(const SpreadEvent& e) {
  const auto [it, inserted] = spread_index_.try_emplace(e.spread_id, spreads_.size());
  if (inserted) {
    spreads_.push_back(e);
    spread_first_seen_.push_back(e.ts);
  } else {
    const bool was_final = spreads_[it->second].state == SpreadState::kClosed ||
                           spreads_[it->second].state == SpreadState::kFailed;
    spreads_[it->second] = e;
    if (was_final) return;
  }
  if (e.kind == SpreadEventKind::kClosed || e.kind == SpreadEventKind::kFailed) {
    spread_closes_.push_back(
        CapitalPoint{e.ts, e.spread_id.value(), Money(), e.realized_pnl, Money()});
  }
}

std::vector<CapitalPoint> ResultsRecorder::CapitalCurve() const {
  std::vector<CapitalPoint> out;
  if (!capital_updates_.empty()) {
    out.reserve(capital_updates_.size());
    for (const CapitalUpdated& u : capital_updates_) {
      out.push_back(CapitalPoint{u.ts, u.trade_id, u.previous_capital, u.trade_pnl, u.new_capital});
    }
    return out;
  }
  Money capital = starting_balance_;
  for (CapitalPoint p : spread_closes_) {
    p.previous = capital;
    capital += p.pnl;
    p.capital = capital;
    out.push_back(std::move(p));
  }
  return out;
}

std::optional<BenchmarkSeries> ResultsRecorder::Benchmark() const {
  if (indexes_.empty()) return std::nullopt;
  const IndexTrack* track = nullptr;
  const Cache& cache = kernel_.cache();
  if (!fills_.empty()) {
    if (const Instrument* ins = cache.instrument(fills_.front().instrument_id)) {
      const InstrumentId want =
          ins->instrument_class == InstrumentClass::kIndex ? ins->id : ins->underlying;
      for (const IndexTrack& t : indexes_) {
        if (t.id == want) track = &t;
      }
    }
  }
  if (track == nullptr && indexes_.size() == 1) track = &indexes_.front();
  if (track == nullptr || track->first_raw <= 0) return std::nullopt;
  BenchmarkSeries out{track->id, {}};
  out.points.reserve(track->closes.size() + 1);
  out.points.emplace_back(track->first_ts, starting_balance_);
  for (const auto& [ts, raw] : track->closes) {
    // balance × close / first in 128 bits, rounded once to the paisa.
    const Int128 scaled = DivRound(static_cast<Int128>(starting_balance_.raw()) * raw,
                                   static_cast<Int128>(track->first_raw));
    out.points.emplace_back(ts, Money::FromRaw(static_cast<std::int64_t>(scaled)));
  }
  return out;
}

std::optional<SpreadStatistics> ResultsRecorder::spread_statistics() const {
  if (spreads_.empty()) return std::nullopt;
  const std::vector<SpreadReportRow> rows =
      BuildSpreadRows(spreads_, spread_first_seen_, kernel_.cache());
  SpreadStatistics s = SummariseSpreads(rows);
  const std::vector<CapitalPoint> curve = CapitalCurve();
  s.initial_capital = curve.empty() ? starting_balance_ : curve.front().previous;
  s.final_capital = curve.empty() ? starting_balance_ : curve.back().capital;
  if (s.initial_capital.raw() != 0) {
    s.capital_return_pct = static_cast<double>((s.final_capital - s.initial_capital).raw()) /
                           static_cast<double>(s.initial_capital.raw()) * 100.0;
  }
  return s;
}

void ResultsRecorder::Finish() {
  if (finished_) return;
  finished_ = true;
  const UnixNanos now = kernel_.clock().Now();
  if (!started_) {
    started_ = true;
    run_start_ = now;
  }
  run_end_ = std::max(now, run_start_);
  TakePendingSample();
  Sample(run_end_);
  if (day_) CloseDay();
  starting_balance_ = Money();
  for (const Account* a : kernel_.cache().Accounts()) starting_balance_ += a->starting_balance();
  FillDrawdowns(starting_balance_, days_);
}

Statistics ResultsRecorder::statistics() const {
  StatisticsInput in;
  in.starting_balance = starting_balance_;
  in.start = run_start_;
  in.end = run_end_;
  in.days = days_;
  in.total_charges = total_charges_;
  const Cache& cache = kernel_.cache();
  std::vector<const Position*> closed;
  for (const Position* p : cache.AllPositionSnapshots()) closed.push_back(p);
  for (const Position* p : cache.Positions()) {
    if (p->is_closed()) closed.push_back(p);
  }
  for (const Position* p : closed) {
    in.trade_pnls.push_back(p->realized_pnl());
    if (IsLongCycle(*p)) ++in.long_trades;
  }
  for (const Account* a : cache.Accounts()) {
    for (const AccountState& st : a->states()) {
      if (st.balance.total.raw() > 0) {
        in.margin_utilisation_peak_pct =
            std::max(in.margin_utilisation_peak_pct,
                     static_cast<double>(st.balance.locked.raw()) /
                         static_cast<double>(st.balance.total.raw()) * 100.0);
      }
    }
  }
  if (!equity_.empty()) {
    const MarkedDrawdown m = MaxMarkedDrawdown(starting_balance_, equity_);
    in.marked_max_drawdown = std::make_pair(m.amount, m.pct);
  }
  Statistics s = ComputeStatistics(in);
  s.spreads = spread_statistics();
  return s;
}

std::string ResultsRecorder::OrdersCsv() const {
  std::string o =
      "client_order_id,venue_order_id,strategy_id,instrument_id,side,type,quantity,price,"
      "trigger_price,time_in_force,status,filled_qty,avg_px,commission,ts_init_ns,ts_init_ist,"
      "ts_last_ns,ts_last_ist,tags,reason\n";
  for (const Order* ord : kernel_.cache().Orders()) {
    const auto reason = reasons_.find(ord->client_order_id());
    o += fmt::format(
        "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
        Csv(ord->client_order_id().value()), Csv(ord->venue_order_id().value()),
        Csv(ord->strategy_id().value()), Csv(ord->instrument_id().value()), ToString(ord->side()),
        ToString(ord->order_type()), ord->quantity().ToString(), OptPx(ord->price()),
        OptPx(ord->trigger_price()), ToString(ord->time_in_force()), ToString(ord->status()),
        ord->filled_qty().ToString(), OptPx(ord->avg_px()), ord->commission().ToString(),
        ord->ts_init().value, IsoIst(ord->ts_init()), ord->ts_last().value, IsoIst(ord->ts_last()),
        Csv(ord->tags()), Csv(reason == reasons_.end() ? std::string() : reason->second));
  }
  return o;
}

std::string ResultsRecorder::FillsCsv() const {
  std::string o =
      "ts_event_ns,ts_event_ist,trade_id,client_order_id,venue_order_id,position_id,strategy_id,"
      "instrument_id,side,order_type,last_qty,last_px,commission,brokerage,stt,exchange,ipft,"
      "sebi,stamp,gst,liquidity_side\n";
  const Cache& cache = kernel_.cache();
  for (const OrderFilled& f : fills_) {
    const ChargeBreakdown& c = f.charges;
    // The engine assigns the position id of an opening fill after publishing it.
    PositionId position_id = f.position_id;
    if (position_id.value().empty()) {
      if (const Order* ord = cache.order(f.client_order_id)) position_id = ord->position_id();
    }
    o += fmt::format(
        "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", f.ts_event.value,
        IsoIst(f.ts_event), Csv(f.trade_id.value()), Csv(f.client_order_id.value()),
        Csv(f.venue_order_id.value()), Csv(position_id.value()), Csv(f.strategy_id.value()),
        Csv(f.instrument_id.value()), ToString(f.order_side), ToString(f.order_type),
        f.last_qty.ToString(), f.last_px.ToString(), f.commission.ToString(),
        c.brokerage.ToString(), c.stt.ToString(), c.exchange.ToString(), c.ipft.ToString(),
        c.sebi.ToString(), c.stamp.ToString(), c.gst.ToString(), ToString(f.liquidity_side));
  }
  return o;
}

std::string ResultsRecorder::PositionsCsv() const {
  std::string o =
      "position_id,cycle,status,instrument_id,strategy_id,direction,quantity,peak_qty,"
      "avg_px_open,avg_px_close,realized_pnl,commissions,unrealized_pnl,ts_opened_ns,"
      "ts_opened_ist,ts_closed_ns,ts_closed_ist\n";
  const Cache& cache = kernel_.cache();
  auto row = [&o, &cache](const Position& p, std::size_t cycle) {
    Money unrealized;
    if (p.is_open()) {
      const auto mark = cache.MarkPrice(p.instrument_id(), p.side());
      if (mark) unrealized = p.Unrealized(*mark);
    }
    const bool closed = p.is_closed();
    o += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", Csv(p.id().value()),
                     cycle, closed ? "CLOSED" : "OPEN", Csv(p.instrument_id().value()),
                     Csv(p.strategy_id().value()), IsLongCycle(p) ? "LONG" : "SHORT",
                     p.quantity().ToString(), p.peak_qty().ToString(), p.avg_px_open().ToString(),
                     OptPx(p.avg_px_close()), p.realized_pnl().ToString(),
                     p.commissions().ToString(), unrealized.ToString(), p.ts_opened().value,
                     IsoIst(p.ts_opened()), closed ? fmt::format("{}", p.ts_closed().value) : "",
                     closed ? IsoIst(p.ts_closed()) : "");
  };
  for (const Position* p : cache.Positions()) {
    const auto& snaps = cache.PositionSnapshots(p->id());
    std::size_t cycle = 0;
    for (const Position& s : snaps) row(s, ++cycle);
    row(*p, ++cycle);
  }
  return o;
}

std::string ResultsRecorder::AccountCsv() const {
  std::string o = "account_id,ts_ns,ts_ist,balance,margin_used,free,reported\n";
  for (const Account* a : kernel_.cache().Accounts()) {
    for (const AccountState& st : a->states()) {
      o += fmt::format("{},{},{},{},{},{},{}\n", Csv(a->id().value()), st.ts_event.value,
                       IsoIst(st.ts_event), st.balance.total.ToString(),
                       st.balance.locked.ToString(), st.balance.free.ToString(),
                       st.reported ? "true" : "false");
    }
  }
  return o;
}

namespace {

constexpr std::string_view kEquityHeader =
    "ts_ns,ts_ist,balance,unrealized_pnl,open_value,equity\n";

void AppendEquityRow(std::string& o, const EquitySample& s) {
  fmt::format_to(std::back_inserter(o), "{},{},{},{},{},{}\n", s.ts.value, IsoIst(s.ts),
                 s.balance.ToString(), s.unrealized.ToString(), s.open_value.ToString(),
                 s.equity().ToString());
}

}  // namespace

std::string ResultsRecorder::EquityCsv() const {
  std::string o(kEquityHeader);
  for (const EquitySample& s : equity_) AppendEquityRow(o, s);
  return o;
}

Status ResultsRecorder::WriteEquityCsv(const std::string& path) const {
  // One row per data timestamp: a long run has millions, so the text goes out in 1 MiB blocks
  // instead of being built whole.
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::string block(kEquityHeader);
  block.reserve(std::size_t{1} << 20);
  for (const EquitySample& s : equity_) {
    AppendEquityRow(block, s);
    if (block.size() >= (std::size_t{1} << 20) - 256) {
      out.write(block.data(), static_cast<std::streamsize>(block.size()));
      block.clear();
    }
  }
  out.write(block.data(), static_cast<std::streamsize>(block.size()));
  out.close();
  if (!out) return MakeError(fmt::format("{}: cannot write", path));
  return Status::Ok();
}

std::string ResultsRecorder::DailyPnlCsv() const {
  std::string o = "date,realized,unrealized_change,charges,net,equity,drawdown,drawdown_pct\n";
  for (const DailyPnl& d : days_) {
    o += fmt::format("{},{},{},{},{},{},{},{:.4f}\n", FormatDate(d.date), d.realized.ToString(),
                     d.unrealized_change.ToString(), d.charges.ToString(), d.net.ToString(),
                     d.equity.ToString(), d.drawdown.ToString(), d.drawdown_pct);
  }
  return o;
}

std::string ResultsRecorder::SpreadsCsv() const {
  std::string o =
      "spread_id,strategy_id,state,legs,lots,net_premium,charges,realized_pnl,max_loss,"
      "ts_opened_ns,ts_opened_ist,ts_closed_ns,ts_closed_ist,capital_after,message,tags,"
      "planned_net,exit_reason\n";
  std::map<std::string, Money> capital_after;
  for (const CapitalPoint& p : CapitalCurve()) capital_after[p.trade_id] = p.capital;
  auto ts = [](UnixNanos t) { return t.value == 0 ? std::string() : fmt::format("{}", t.value); };
  auto ist = [](UnixNanos t) { return t.value == 0 ? std::string() : IsoIst(t); };
  for (const SpreadEvent& e : spreads_) {
    const auto cap = capital_after.find(e.spread_id.value());
    o += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                     Csv(e.spread_id.value()),
                     Csv(e.strategy_id.value()), ToString(e.state), Csv(SpreadLegsText(e)), e.lots,
                     e.net_premium.ToString(), e.charges.ToString(), e.realized_pnl.ToString(),
                     e.max_loss ? e.max_loss->ToString() : "", ts(e.ts_opened), ist(e.ts_opened),
                     ts(e.ts_closed), ist(e.ts_closed),
                     cap == capital_after.end() ? "" : cap->second.ToString(), Csv(e.message),
                     Csv(e.tags), e.planned_net ? e.planned_net->ToString() : "",
                     Csv(e.exit_reason));
  }
  return o;
}

Status ResultsRecorder::WriteFolder(const std::string& dir) const {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return MakeError(fmt::format("{}: cannot create results folder: {}", dir, ec.message()));
  // One file at a time, so only one file's text is in memory at once (equity.csv streams).
  using Maker = std::string (ResultsRecorder::*)() const;
  std::vector<std::pair<const char*, Maker>> files = {
      {"orders.csv", &ResultsRecorder::OrdersCsv},
      {"fills.csv", &ResultsRecorder::FillsCsv},
      {"positions.csv", &ResultsRecorder::PositionsCsv},
      {"account.csv", &ResultsRecorder::AccountCsv},
      {"equity.csv", nullptr},
      {"daily_pnl.csv", &ResultsRecorder::DailyPnlCsv},
      {"stats.json", &ResultsRecorder::StatisticsJsonText},
      {"report.html", &ResultsRecorder::ReportHtml},
  };
  if (!spreads_.empty()) files.emplace_back("spread_results.csv", &ResultsRecorder::SpreadsCsv);
  for (const auto& [name, make] : files) {
    const std::string path = (fs::path(dir) / name).string();
    if (make == nullptr) {
      if (Status s = WriteEquityCsv(path); !s) return s;
      continue;
    }
    const std::string text = (this->*make)();
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) return MakeError(fmt::format("{}: cannot write", path));
  }
  return Status::Ok();
}

namespace {
constexpr const char* kResultsMarker = ".nacre-results";
}  // namespace

Status PrepareResultsFolder(const std::string& dir, bool force, bool keep) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path path(dir);
  if (fs::exists(path, ec) && !fs::is_directory(path, ec)) {
    return MakeError(ErrorCode::kInvalidInput,
                     fmt::format("--out {}: exists and is not a directory", dir));
  }
  if (fs::is_directory(path, ec) && !fs::is_empty(path, ec)) {
    if (!force) {
      return MakeError(ErrorCode::kInvalidInput,
                       fmt::format("--out {}: the folder already holds files (a previous run's "
                                   "results would be mixed with this run's); choose an empty "
                                   "folder or pass --force to replace a previous run's results",
                                   dir));
    }
    // Ours: a finished run's stats.json, or the marker every prepared folder gets (a node
    // killed before its first stats.json, a restarted node's earlier/ alone).
    if (!fs::exists(path / "stats.json", ec) && !fs::exists(path / kResultsMarker, ec)) {
      return MakeError(ErrorCode::kInvalidInput,
                       fmt::format("--out {}: the folder holds files that are not a Nacre results "
                                   "folder (no stats.json); refusing to clear it even with --force",
                                   dir));
    }
    // With `keep` it was only checked as ours: left as it is.
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      if (keep) break;
      fs::remove_all(entry.path(), ec);
      if (ec) {
        return MakeError(ErrorCode::kIo, fmt::format("--out {}: cannot remove {}: {}", dir,
                                                     entry.path().string(), ec.message()));
      }
    }
  }
  fs::create_directories(path, ec);
  if (ec) {
    return MakeError(ErrorCode::kInvalidInput,
                     fmt::format("--out {}: cannot create results folder: {}", dir, ec.message()));
  }
  // Writable: the marker that says the folder holds Nacre results.
  {
    std::ofstream f(path / kResultsMarker, std::ios::trunc);
    if (!(f << "Nacre results folder\n")) {
      return MakeError(ErrorCode::kInvalidInput,
                       fmt::format("--out {}: the folder is not writable", dir));
    }
  }
  return Status::Ok();
}

}  // namespace nacre
