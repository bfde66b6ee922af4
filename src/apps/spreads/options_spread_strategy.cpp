#include "apps/spreads/options_spread_strategy.h"

#include <algorithm>
#include <fmt/format.h>

#include <sstream>

#include "apps/spreads/capital_manager.h"
#include "nse/calendar.h"
#include "nse/session.h"

namespace nacre {
namespace {

int ParseHhMm(const ConfigTable& p, const std::string& key, const std::string& text) {
  auto m = ParseMinuteOfDay(text);
  if (!m) p.Fail(key, m.error() + " (IST)");
  return *m;
}

}  // namespace

// ---- ExitManager ----

std::optional<Money> ExitManager::CostToClose(const SpreadPosition& sp, const Cache& cache) {
  Money cost = Money::Zero();
  for (std::size_t i = 0; i < sp.legs().size(); ++i) {
    const std::int64_t q = sp.LegSignedQtyRaw(i);
    if (q == 0) continue;
    const QuoteTick* quote = cache.quote(sp.instrument(i).id);
    if (quote == nullptr) return std::nullopt;
    const Price px = q < 0 ? quote->ask_price : quote->bid_price;
    if (px.raw() <= 0) return std::nullopt;
    const Money value =
        Money::Notional(px, Quantity::Raw(std::abs(q), sp.instrument(i).size_precision),
                        sp.instrument(i).multiplier);
    cost = q < 0 ? cost + value : cost - value;
  }
  return cost;
}

std::optional<std::string> ExitManager::Check(const SpreadPosition& sp, const SpreadMeta& meta,
                                              const Cache& cache, UnixNanos now,
                                              std::optional<Price> underlying) const {
  if (sp.state() != SpreadState::kOpen) return std::nullopt;
  if (IstDate(now) == IstDate(meta.expiry) && IstMinuteOfDay(now) >= c_.exit_time_min) {
    return fmt::format("time exit at {} on expiry day", FormatIst(now));
  }
  if (c_.stop_on_short_strike_cross && underlying) {
    for (std::size_t i = 0; i < sp.legs().size(); ++i) {
      if (sp.legs()[i].side != OrderSide::kSell) continue;
      const Instrument& ins = sp.instrument(i);
      const bool crossed =
          ins.option_kind == OptionKind::kPut ? *underlying < ins.strike : *underlying > ins.strike;
      if (crossed) {
        return fmt::format("stop: underlying {} crossed short strike {}", underlying->ToString(),
                           ins.strike.ToString());
      }
    }
  }
  const Money credit = sp.net_premium();
  auto cost = CostToClose(sp, cache);
  if (!cost || credit.raw() <= 0) return std::nullopt;
  const Int128 profit = static_cast<Int128>(credit.raw()) - cost->raw();
  if (profit * 100 >= static_cast<Int128>(credit.raw()) * c_.profit_target_pct) {
    return fmt::format("profit target: kept {} of credit {} (≥ {}%)", (credit - *cost).ToString(),
                       credit.ToString(), c_.profit_target_pct);
  }
  const Int128 loss = -profit;
  if (loss * kFixedScale >= static_cast<Int128>(credit.raw()) * c_.stop_loss_multiple.raw()) {
    return fmt::format("stop loss: losing {} on credit {} (≥ {}× credit)",
                       (*cost - credit).ToString(), credit.ToString(),
                       c_.stop_loss_multiple.ToString());
  }
  return std::nullopt;
}

// ---- PositionTracker ----

SpreadMeta* PositionTracker::Find(const SpreadId& id) {
  auto it = meta_.find(id);
  return it == meta_.end() ? nullptr : &it->second;
}

int PositionTracker::EntriesOn(const CivilDate& day) const {
  auto it = entries_.find(day);
  return it == entries_.end() ? 0 : it->second;
}

std::vector<std::string> PositionTracker::Reconcile(
    const std::vector<const SpreadPosition*>& spreads, const Cache& cache,
    const StrategyId& strategy) {
  std::map<InstrumentId, std::int64_t> expected;
  for (const SpreadPosition* sp : spreads) {
    for (std::size_t i = 0; i < sp->legs().size(); ++i) {
      expected[sp->instrument(i).id] += sp->LegSignedQtyRaw(i);
    }
  }
  std::vector<std::string> out;
  if (position_ids_of_ != strategy) {
    position_ids_.clear();
    position_ids_of_ = strategy;
  }
  for (const auto& [id, qty] : expected) {
    auto pid = position_ids_.find(id);
    if (pid == position_ids_.end()) {
      pid = position_ids_.emplace(id, NettingPositionId(id, strategy)).first;
    }
    const Position* pos = cache.position(pid->second);
    const std::int64_t actual = pos ? pos->signed_qty_raw() : 0;
    if (actual != qty) {
      out.push_back(fmt::format("{}: spreads hold {} but the position is {}", id.value(),
                                FormatFixedRaw(qty, 0), FormatFixedRaw(actual, 0)));
    }
  }
  return out;
}

// ---- OptionsSpreadStrategy ----

OptionsSpreadStrategy::OptionsSpreadStrategy(const StrategyId& id, OptionsSpreadConfig config,
                                             std::unique_ptr<SpreadMarginModel> margin)
    : Strategy(id),
      config_(std::move(config)),
      planner_(config_.entry),
      margin_(margin ? std::move(margin) : std::make_unique<NseSpanMarginModel>()),
      exits_(config_) {}

Status OptionsSpreadStrategy::CheckRequirements() const {
  if (!context().bus->HasRequestHandler(CapitalManager::kMaxLotsEndpoint)) {
    return MakeError(fmt::format(
        "{}: no CapitalManager actor to size its trades (it would never trade): add [[actors]] "
        "type = \"CapitalManager\" to the config",
        strategy_id().value()));
  }
  // Data it cannot trade without, when the environment can say what data there is.
  const DataCoverage* data = data_coverage();
  if (data == nullptr) return Status::Ok();
  const InstrumentId& underlying = config_.entry.underlying;
  auto missing = [&](const std::string& key, const std::string& value, const std::string& what) {
    return MakeError(fmt::format(
        "{}: {} = \"{}\": {} {}, so it would never trade; the data holds {}", strategy_id().value(),
        ConfigKeyText(key), value, what, data->RangeText(), data->Describe()));
  };
  if (!data->HasInstrumentData(underlying)) {
    return missing("underlying", underlying.value(), "no quotes, trades or bars of it");
  }
  if (!data->CanServeBars(config_.signal_bar_type)) {
    return missing("signal_bar_type", config_.signal_bar_type.ToString(),
                   config_.signal_bar_type.source() == AggregationSource::kExternal
                       ? "no such bars"
                       : "no quotes or trades to aggregate these bars from");
  }
  for (const auto& [key, option] : cache().OptionsOf(underlying)) {
    if (data->HasQuotes(option->id)) return Status::Ok();
  }
  return missing("underlying", underlying.value(), "no quotes of options on it");
}

ParamSchema OptionsSpreadStrategy::Schema() {
  using P = ParamSpec;
  return {
      "OptionsSpreadStrategy",
      "sells bull put / bear call / iron condor spreads chosen by the index trend, sized by the "
      "CapitalManager (required), with profit target, stop and expiry-day time exit",
      {
          P::String("underlying", "NIFTY 50.NSE").Doc("the index whose options are traded"),
          P::String("signal_bar_type")
              .DefaultNote("{underlying}-1-HOUR-LAST-EXTERNAL")
              .Doc("bars whose closes give the trend"),
          P::Int("fast_period", 5).Range(1, 1'000'000).Doc("bars in the fast trend average"),
          P::Int("slow_period", 20)
              .Range(2, 1'000'000)
              .Doc("bars in the slow trend average; must be greater than fast_period"),
          P::Decimal("trend_band_pct", "0.1")
              .Range(0, 100)
              .Doc("|fast − slow| / slow below this percent is neutral (iron condor)"),
          P::StringList("spread_kinds", {"bull_put", "bear_call", "iron_condor"})
              .Choices({"bull_put", "bear_call", "iron_condor"})
              .Doc("kinds the trend may choose (up: bull_put, down: bear_call, neutral: "
                   "iron_condor)"),
          P::Number("short_delta", 0.2)
              .AtLeast(0)
              .Below(0.5)
              .DefaultNote("0.2 (0 when short_otm_points is given)")
              .Doc("|delta| of the short strike; give this or short_otm_points"),
          P::Decimal("short_otm_points")
              .Above(0)
              .Doc("distance of the short strike from the forward, in points (instead of "
                   "short_delta)"),
          P::Decimal("wing_width", "100").Above(0).Doc("points between short and long strikes"),
          P::Int("min_dte", 0).Range(0, 3650).Doc("fewest calendar days to the expiry traded"),
          P::Int("max_dte", 7)
              .Range(0, 3650)
              .Doc("most calendar days to the expiry traded; at least min_dte"),
          P::Int("entry_edge_ticks", 2)
              .Range(0, 10'000)
              .Doc("ticks below the mid net credit the entry limit asks"),
          P::Decimal("min_credit", "5")
              .AtLeast(0)
              .Doc("smallest mid net credit per unit worth entering, in points"),
          P::Number("rate_pct", 6.5).Range(0, 50).Doc("risk-free rate, percent a year"),
          P::StringList("entry_window", {"09:30", "14:30"})
              .Doc("[\"HH:MM\", \"HH:MM\"] IST: entries only between these times"),
          P::Int("max_concurrent_spreads", 1).Range(1, 1'000).Doc("open spreads at once"),
          P::Int("max_entries_per_day", 1).Range(1, 1'000).Doc("new spreads per IST day"),
          P::Int("max_lots", 10).Range(1, 10'000).Doc("most lots per spread"),
          P::Bool("hedge_first", true).Doc("send the long (hedge) legs before the short ones"),
          P::Bool("unwind_on_failure", true)
              .Doc("close the filled legs of an entry that fails"),
          P::Int("leg_timeout_secs", 30)
              .Range(1, 86'400)
              .Doc("seconds an unfilled leg rests before it is re-priced"),
          P::Int("max_reprices", 3)
              .Range(0, 1'000)
              .Doc("re-prices that bring a leg from its first price to the touch"),
          P::Removed("reprice_ticks",
                     "no longer used: legs are re-priced from the current quotes, converging to "
                     "the touch in max_reprices steps; bound the concession with "
                     "max_entry_slippage"),
          P::Decimal("max_entry_slippage", "2")
              .AtLeast(0)
              .Doc("points of net credit per unit an entry may give up from its planned limit "
                   "before it is abandoned"),
          P::Decimal("market_protection_pct", "2")
              .Above(0)
              .AtMost(100)
              .Doc("Kite market protection of market legs, percent"),
          P::Int("close_retry_secs", 60)
              .Range(1, 86'400)
              .Doc("first retry of a refused closing leg (doubling after)"),
          P::Int("profit_target_pct", 50)
              .Range(1, 100)
              .Doc("exit when this percent of the entry credit is earned"),
          P::Decimal("stop_loss_multiple", "2")
              .Above(0)
              .Doc("exit when the loss reaches this multiple of the credit"),
          P::Bool("stop_on_short_strike_cross", true)
              .Doc("exit when the underlying crosses a short strike"),
          P::String("exit_time", "15:15").Doc("HH:MM IST: time exit on expiry day"),
          P::Int("check_interval_secs", 60)
              .Range(1, 86'400)
              .Doc("seconds between exit and entry checks, on the IST day's grid of that "
                   "interval (300: 09:20, 09:25, ...) wherever the run starts"),
          P::Choice("margin_model", "nse", {"nse", "max_loss"})
              .Doc("margin per lot for sizing: NSE SPAN + exposure, or the maximum loss"),
      }};
}

std::unique_ptr<Strategy> OptionsSpreadStrategy::FromParams(const StrategyId& id,
                                                            const Params& p) {
  OptionsSpreadConfig c;
  auto underlying = InstrumentId::Parse(p.GetString("underlying"));
  if (!underlying.ok()) p.Fail("underlying", underlying.error());
  c.entry.underlying = *underlying;
  auto bt = BarType::Parse(p.Has("signal_bar_type")
                               ? p.GetString("signal_bar_type")
                               : underlying->value() + "-1-HOUR-LAST-EXTERNAL");
  if (!bt.ok()) p.Fail("signal_bar_type", bt.error());
  c.signal_bar_type = *bt;
  c.fast_period = p.GetInt32("fast_period");
  c.slow_period = p.GetInt32("slow_period");
  if (c.slow_period <= c.fast_period) p.Fail("slow_period", "must be greater than fast_period");
  c.trend_band_pct = p.GetDecimal("trend_band_pct");
  c.kinds.clear();
  for (const std::string& k : p.GetStrings("spread_kinds")) {
    auto kind = ParseSpreadKind(k);
    if (!kind) {
      p.Fail("spread_kinds", fmt::format("unknown kind '{}' (bull_put, bear_call, iron_condor)", k));
    }
    c.kinds.push_back(*kind);
  }
  if (c.kinds.empty()) p.Fail("spread_kinds", "name at least one kind");
  if (p.Has("short_otm_points")) c.entry.short_otm_points = p.GetDecimal("short_otm_points");
  c.entry.short_delta =
      p.Has("short_delta") || !c.entry.short_otm_points ? p.GetNumber("short_delta") : 0;
  if (c.entry.short_delta == 0 && !c.entry.short_otm_points) {
    p.Fail("short_delta", "give short_delta > 0 or short_otm_points");
  }
  if (c.entry.short_delta > 0 && c.entry.short_otm_points) {
    p.Fail("short_otm_points", "give either short_delta or short_otm_points, not both");
  }
  c.entry.wing_width = p.GetDecimal("wing_width");
  c.entry.min_dte = p.GetInt32("min_dte");
  c.entry.max_dte = p.GetInt32("max_dte");
  if (c.entry.max_dte < c.entry.min_dte) p.Fail("max_dte", "need 0 <= min_dte <= max_dte");
  c.entry.entry_edge_ticks = p.GetInt("entry_edge_ticks");
  c.entry.min_credit = p.GetDecimal("min_credit");
  c.entry.rate = p.GetNumber("rate_pct") / 100.0;
  const auto window = p.GetStrings("entry_window");
  if (window.size() != 2) p.Fail("entry_window", "expected [\"HH:MM\", \"HH:MM\"] (IST)");
  c.entry_start_min = ParseHhMm(p.table(), "entry_window", window[0]);
  c.entry_end_min = ParseHhMm(p.table(), "entry_window", window[1]);
  if (c.entry_end_min < c.entry_start_min) p.Fail("entry_window", "end is before start");
  c.max_concurrent = p.GetInt32("max_concurrent_spreads");
  c.max_entries_per_day = p.GetInt32("max_entries_per_day");
  c.max_lots = static_cast<std::uint32_t>(p.GetInt("max_lots"));
  c.exec.hedge_first = p.GetBool("hedge_first");
  c.exec.unwind_on_failure = p.GetBool("unwind_on_failure");
  c.exec.leg_timeout = p.GetInt("leg_timeout_secs") * kNanosPerSecond;
  c.exec.max_reprices = p.GetInt32("max_reprices");
  // Points of net credit per spread unit an entry may give up from its planned limit.
  c.exec.max_slippage = p.GetDecimal("max_entry_slippage");
  c.exec.market_protection_pct_raw = p.GetDecimal("market_protection_pct").raw();
  c.exec.close_retry = p.GetInt("close_retry_secs") * kNanosPerSecond;
  c.exec.close_retry_max = std::max(c.exec.close_retry, c.exec.close_retry_max);
  c.profit_target_pct = p.GetInt("profit_target_pct");
  c.stop_loss_multiple = p.GetDecimal("stop_loss_multiple");
  c.stop_on_short_strike_cross = p.GetBool("stop_on_short_strike_cross");
  c.exit_time_min = ParseHhMm(p.table(), "exit_time", p.GetString("exit_time"));
  c.check_interval = p.GetInt("check_interval_secs") * kNanosPerSecond;
  std::unique_ptr<SpreadMarginModel> margin;
  if (p.GetString("margin_model") == "max_loss") {
    margin = std::make_unique<MaxLossMarginModel>();
  } else {
    margin = std::make_unique<NseSpanMarginModel>();
  }
  auto strategy = std::make_unique<OptionsSpreadStrategy>(id, c, std::move(margin));
  for (const char* key : {"underlying", "signal_bar_type"}) {
    strategy->SetConfigKeyLocation(key, p.table().Locate(key));
  }
  return strategy;
}

std::unique_ptr<Strategy> OptionsSpreadStrategy::FromConfig(const StrategyId& id,
                                                            const ConfigTable& table) {
  return FromParams(id, Params(table, Schema()));
}

int OptionsSpreadStrategy::Trend() const {
  if (static_cast<int>(closes_.size()) < config_.slow_period) return 0;
  // fast = fast_sum/fast_n, slow = slow_sum/slow_n; compare (fast − slow)/slow with the band
  // exactly: (fast_sum·slow_n − slow_sum·fast_n) · 100 vs band% · slow_sum · fast_n.
  const Int128 diff = fast_sum_ * config_.slow_period - slow_sum_ * config_.fast_period;
  const Int128 band =
      slow_sum_ * config_.fast_period / kFixedScale * config_.trend_band_pct.raw() / 100;
  if (diff > band) return 1;
  if (diff < -band) return -1;
  return 0;
}

void OptionsSpreadStrategy::OnStart() {
  SubscribeBars(config_.signal_bar_type);
  // The checks fall on the IST day's grid of their interval, as a backtest from the session's
  // open has them: a live node that starts mid-interval checks at the same instants (each
  // before the data stamped with it, as a backtest's timer goes first at equal times),
  // not at its start's odd phase, which would decide on fresher quotes than the backtest.
  const UnixNanos now = clock().Now();
  UnixNanos start = now;
  if (86'400 * kNanosPerSecond % config_.check_interval == 0) {
    const DurationNs into = (now.value + kIstOffset) % config_.check_interval;
    start = UnixNanos(now.value - (into < 0 ? into + config_.check_interval : into));
  }
  if (Status st = SetTimer("check", config_.check_interval, start); !st) {
    log().Error("{}", st.error());
  }
}

std::string PositionTracker::Save() const {
  std::string out;
  for (const auto& [day, n] : entries_) out += fmt::format("entries {} {}\n", FormatDate(day), n);
  for (const auto& [id, m] : meta_) {
    std::string strikes;
    for (const Price& p : m.short_strikes) strikes += (strikes.empty() ? "" : ",") + p.ToString();
    // The exit reason last: free text to the end of the line (no newlines in it).
    std::string reason = m.exit_reason;
    std::replace(reason.begin(), reason.end(), '\n', ' ');
    out += fmt::format("spread {} {} {} {} {} {} {}\n", id.value(), ToString(m.kind),
                       m.expiry.value, strikes.empty() ? "-" : strikes, m.margin.ToString(),
                       m.exit_requested ? 1 : 0, reason);
  }
  return out;
}

Status PositionTracker::Load(const std::string& text) {
  std::map<SpreadId, SpreadMeta> meta;
  std::map<CivilDate, int> entries;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream f(line);
    std::string what;
    f >> what;
    auto bad = [&line](const std::string& why) {
      return MakeError(fmt::format("tracker line '{}': {}", line, why));
    };
    if (what == "entries") {
      std::string day;
      int n = 0;
      f >> day >> n;
      auto d = ParseDate(day);
      if (!d || f.fail()) return bad("expected: entries YYYY-MM-DD N");
      entries[*d] = n;
    } else if (what == "spread") {
      std::string id, kind, strikes, margin;
      std::int64_t expiry = 0;
      int exit_requested = 0;
      f >> id >> kind >> expiry >> strikes >> margin >> exit_requested;
      if (f.fail()) return bad("expected: spread ID KIND EXPIRY STRIKES MARGIN EXIT REASON");
      SpreadMeta m;
      auto k = ParseSpreadKind(kind);
      if (!k) return bad("kind " + kind);
      m.kind = *k;
      m.expiry = UnixNanos(expiry);
      if (strikes != "-") {
        std::istringstream ss(strikes);
        std::string one;
        while (std::getline(ss, one, ',')) {
          auto p = Price::Parse(one);
          if (!p) return bad("strike " + one);
          m.short_strikes.push_back(*p);
        }
      }
      auto mg = Money::Parse(margin);
      if (!mg) return bad("margin " + margin);
      m.margin = *mg;
      m.exit_requested = exit_requested != 0;
      std::string reason;
      std::getline(f, reason);
      if (!reason.empty() && reason.front() == ' ') reason.erase(0, 1);
      m.exit_reason = reason;
      meta[SpreadId(id)] = std::move(m);
    } else {
      return bad("unknown entry");
    }
  }
  meta_ = std::move(meta);
  entries_ = std::move(entries);
  return Status::Ok();
}

SavedState OptionsSpreadStrategy::OnSave() {
  std::string closes;
  for (std::int64_t c : closes_) closes += std::to_string(c) + "\n";
  return {{"closes", closes}, {"tracker", tracker_.Save()}};
}

void OptionsSpreadStrategy::OnLoad(const SavedState& state) {
  std::deque<std::int64_t> closes;
  if (auto it = state.find("closes"); it != state.end()) {
    std::istringstream in(it->second);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      if (line.find_first_not_of("-0123456789") != std::string::npos) {
        log().Error("state not loaded: bad close '{}'", line);
        return;
      }
      closes.push_back(std::stoll(line));
    }
  }
  if (auto it = state.find("tracker"); it != state.end()) {
    if (Status s = tracker_.Load(it->second); !s) {
      log().Error("state not loaded: {}", s.error());
      return;
    }
  }
  // The sums as OnBar keeps them: the last fast_period closes, and the whole window.
  closes_ = std::move(closes);
  while (static_cast<int>(closes_.size()) > config_.slow_period) closes_.pop_front();
  fast_sum_ = 0;
  slow_sum_ = 0;
  const auto n = static_cast<int>(closes_.size());
  for (int i = 0; i < n; ++i) {
    const std::int64_t c = closes_[static_cast<std::size_t>(i)];
    slow_sum_ += c;
    if (i >= n - config_.fast_period) fast_sum_ += c;
  }
}

void OptionsSpreadStrategy::OnReset() {
  closes_.clear();
  fast_sum_ = 0;
  slow_sum_ = 0;
  tracker_.Clear();
  decisions_.clear();
  reconcile_errors_ = 0;
}

void OptionsSpreadStrategy::OnBar(const Bar& bar) {
  if (bar.bar_type != config_.signal_bar_type) return;
  const std::int64_t c = bar.close.raw();
  closes_.push_back(c);
  fast_sum_ += c;
  slow_sum_ += c;
  const auto n = static_cast<int>(closes_.size());
  if (n > config_.fast_period)
    fast_sum_ -= closes_[static_cast<std::size_t>(n - config_.fast_period - 1)];
  if (n > config_.slow_period) {
    slow_sum_ -= closes_.front();
    closes_.pop_front();
  }
}

void OptionsSpreadStrategy::Note(std::string text) {
  if (!decisions_.empty() && decisions_.back() == text) return;
  log().Info("{}", text);
  decisions_.push_back(std::move(text));
  if (decisions_.size() > 256) decisions_.pop_front();
}

std::optional<Price> OptionsSpreadStrategy::UnderlyingPrice() const {
  return cache().MarkPrice(config_.entry.underlying, PositionSide::kLong);
}

void OptionsSpreadStrategy::OnTimer(const TimeEvent& /*event*/) { Check(); }

void OptionsSpreadStrategy::Check() {
  const UnixNanos now = clock().Now();
  // No decisions on stale prices: when the underlying has not printed for two check
  // intervals (night, weekend, holiday, a feed gap) the market is treated as closed.
  UnixNanos last;
  if (const QuoteTick* q = cache().quote(config_.entry.underlying)) last = q->ts_init;
  if (const Bar* b = cache().bar(config_.signal_bar_type); b != nullptr && b->ts_init > last) {
    last = b->ts_init;
  }
  if (last.is_zero() || now - last > 2 * config_.check_interval) return;
  const std::optional<Price> underlying = UnderlyingPrice();
  std::vector<const SpreadPosition*> live;
  for (const SpreadPosition* sp : active_spreads()) {
    SpreadMeta* meta = tracker_.Find(sp->id());
    if (meta == nullptr) continue;
    if (now < meta->expiry) live.push_back(sp);
    if (meta->exit_requested) continue;
    if (auto reason = exits_.Check(*sp, *meta, cache(), now, underlying)) {
      // At or after the close (the 15:30 closing print, a holiday's stale data) an exit would
      // only be denied: keep the spread OPEN and decide again when the market trades.
      if (const std::string closed = MarketClosedReason(sp->instrument(0).id); !closed.empty()) {
        log().Info("exit of {} deferred: {} ({})", sp->id().value(), *reason, closed);
        continue;
      }
      meta->exit_requested = true;
      meta->exit_reason = *reason;
      if (Status st = CloseSpread(sp->id(), std::nullopt, config_.exec, *reason); !st) {
        Note(fmt::format("close {} failed: {}", sp->id().value(), st.error()));
      } else {
        Note(fmt::format("exit {}: {}", sp->id().value(), *reason));
      }
    }
  }
  for (const std::string& m : tracker_.Reconcile(live, cache(), strategy_id())) {
    ++reconcile_errors_;
    log().Error("reconcile: {}", m);
  }
  TryEnter(now);
}

void OptionsSpreadStrategy::TryEnter(UnixNanos now) {
  const int minute = IstMinuteOfDay(now);
  if (minute < config_.entry_start_min || minute > config_.entry_end_min) return;
  if (static_cast<int>(active_spreads().size()) >= config_.max_concurrent) return;
  const CivilDate today = IstDate(now);
  if (tracker_.EntriesOn(today) >= config_.max_entries_per_day) return;
  if (static_cast<int>(closes_.size()) < config_.slow_period) return;  // signal warming up
  const int trend = Trend();
  const SpreadKind kind = trend > 0   ? SpreadKind::kBullPut
                          : trend < 0 ? SpreadKind::kBearCall
                                      : SpreadKind::kIronCondor;
  if (std::find(config_.kinds.begin(), config_.kinds.end(), kind) == config_.kinds.end()) {
    Note(fmt::format("no entry: {} signal but {} is disabled", trend, ToString(kind)));
    return;
  }
  auto plan = planner_.Plan(cache(), now, kind);
  if (!plan.ok()) {
    Note("no entry: " + plan.error());
    return;
  }
  auto margin = margin_->MarginPerLot(*plan, cache(), now);
  if (!margin.ok()) {
    Note("no entry: margin: " + margin.error());
    return;
  }
  // Sizing: the risk budget is spent on what one lot can lose (net of the planned credit; an
  // undefined-risk spread's margin stands in for it), the deployment budget on its margin.
  auto max_loss = MaxLossPerLot(*plan, now);
  if (!max_loss.ok()) {
    Note("no entry: " + max_loss.error());
    return;
  }
  MaxLotsRequest sizing_request;
  sizing_request.risk_per_lot = max_loss->value_or(*margin);
  sizing_request.margin_per_lot = *margin;
  sizing_request.max_lots = config_.max_lots;
  auto lots = msgbus().Request<MaxLotsRequest, MaxLotsResponse>(CapitalManager::kMaxLotsEndpoint,
                                                                sizing_request);
  if (!lots.ok()) {
    Note("no entry: no CapitalManager to size the trade (" + lots.error() + ")");
    return;
  }
  if (lots->lots == 0) {
    Note("no entry: sizing: " + lots->reason);
    return;
  }
  SpreadOrderSpec spec;
  spec.legs = plan->legs;
  spec.lots = lots->lots;
  spec.net_limit = -plan->limit_credit;
  spec.policy = config_.exec;
  spec.tags = std::string(ToString(kind));
  auto id = SubmitSpread(spec);
  if (!id.ok()) {
    Note("no entry: " + id.error());
    return;
  }
  SpreadMeta meta;
  meta.kind = kind;
  meta.expiry = plan->expiry;
  meta.short_strikes = plan->short_strikes;
  meta.margin = Money::FromRaw(margin->raw() * lots->lots);
  tracker_.Track(*id, meta);
  tracker_.CountEntry(today);
  (void)msgbus().Request<DeployRequest, CapitalState>(
      CapitalManager::kDeployEndpoint, DeployRequest{id->value(), meta.margin, lots->sizing});
  const TradeSizing& z = lots->sizing;
  Note(fmt::format("enter {} x{} lots (max loss/lot {}{}, margin/lot {}; by risk {} of {}, by "
                   "deployment {} of {} free, cap {}{}), margin {}: {}",
                   id->value(), lots->lots, z.risk_per_lot.ToString(),
                   max_loss->has_value() ? "" : " = margin, undefined risk",
                   z.margin_per_lot.ToString(), z.lots_by_risk, z.risk_budget.ToString(),
                   z.lots_by_deployment, z.deployment_free.ToString(), z.max_lots,
                   z.one_lot_floor ? ", one-lot floor" : "", meta.margin.ToString(),
                   plan->description));
}

void OptionsSpreadStrategy::OnSpreadEvent(const SpreadEvent& e) {
  switch (e.kind) {
    case SpreadEventKind::kOpened:
      Note(fmt::format("opened {} credit {}", e.spread_id.value(), e.net_premium.ToString()));
      break;
    case SpreadEventKind::kClosed:
    case SpreadEventKind::kFailed: {
      const SpreadMeta* meta = tracker_.Find(e.spread_id);
      Note(fmt::format("{} {} P&L {} charges {}{}", ToString(e.kind), e.spread_id.value(),
                       e.realized_pnl.ToString(), e.charges.ToString(),
                       meta && !meta->exit_reason.empty() ? " (" + meta->exit_reason + ")" : ""));
      tracker_.Forget(e.spread_id);
      break;
    }
    case SpreadEventKind::kLegRisk:
      log().Warning("leg risk {}: {}", e.spread_id.value(), e.message);
      break;
    case SpreadEventKind::kChanged:
      break;
  }
}

void RegisterOptionsSpreadStrategy(ComponentRegistry& registry) {
  registry.RegisterStrategy("OptionsSpreadStrategy", OptionsSpreadStrategy::Schema(),
                            &OptionsSpreadStrategy::FromParams);
}

}  // namespace nacre
