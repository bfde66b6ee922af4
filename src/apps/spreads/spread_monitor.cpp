#include "apps/spreads/spread_monitor.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/fixed.h"

namespace nacre {
namespace {

constexpr const char* kMonitorHeader =
    "time_ist,time_ns,spread_id,strategy_id,state,realized_pnl,unrealized_pnl,total_pnl,"
    "worst_pnl,best_pnl,net_delta,net_gamma,net_vega,net_theta\n";

// An average price at the instrument's precision when exact there, else to 4 decimals.
std::string FormatAvg(Price p, int precision) {
  const std::int64_t unit = Pow10(kFixedPrecision - precision);
  if (p.raw() % unit == 0) return FormatFixedRaw(p.raw(), precision);
  const std::int64_t u4 = Pow10(kFixedPrecision - 4);
  return FormatFixedRaw(static_cast<std::int64_t>(DivRound(p.raw(), u4)) * u4, 4);
}

std::string LegsText(const SpreadEvent& e, const Cache& cache) {
  std::string out;
  for (const SpreadLegState& l : e.legs) {
    const Instrument* ins = cache.instrument(l.instrument);
    const int precision = ins ? ins->price_precision : 2;
    if (!out.empty()) out += " | ";
    out += fmt::format("{} {}x {} @ {}", ToString(l.side), l.ratio, l.instrument.value(),
                       l.avg_px_open.raw() == 0 ? "-" : FormatAvg(l.avg_px_open, precision));
    if (l.avg_px_close) out += " -> " + FormatAvg(*l.avg_px_close, precision);
  }
  return out;
}

std::string Quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string TimeOrEmpty(UnixNanos t) { return t.is_zero() ? "" : FormatIst(t); }

}  // namespace

SpreadMonitor::SpreadMonitor(std::string id, SpreadMonitorConfig config)
    : Actor(std::move(id)), config_(std::move(config)), monitor_csv_(kMonitorHeader) {}

ParamSchema SpreadMonitor::Schema() {
  return {"SpreadMonitor",
          "values open spreads at conservative marks (worst/best P&L, net greeks), alerts past "
          "loss thresholds, writes spreads.csv and spread_monitor.csv",
          {
              ParamSpec::Int("interval_secs", 60).Range(1, 86'400).Doc("seconds between valuations"),
              ParamSpec::IntList("alert_loss_pct", {50, 75})
                  .Range(1, 100)
                  .Doc("alert when a spread's loss passes these percents of its maximum loss"),
              ParamSpec::String("greeks_underlying")
                  .Doc("subscribe to this underlying's GreeksActor output for net greeks "
                       "(unset: no greeks)"),
              ParamSpec::String("output_dir", "")
                  .Doc("also write its CSV files here when it stops (the results folder gets "
                       "them anyway)"),
          }};
}

std::unique_ptr<Actor> SpreadMonitor::FromParams(const std::string& id, const Params& p) {
  SpreadMonitorConfig c;
  c.interval = p.GetInt("interval_secs") * kNanosPerSecond;
  c.alert_loss_pct = p.GetInts("alert_loss_pct");
  if (p.Has("greeks_underlying")) {
    auto u = InstrumentId::Parse(p.GetString("greeks_underlying"));
    if (!u.ok()) p.Fail("greeks_underlying", u.error());
    c.greeks_underlying = *u;
  }
  c.output_dir = p.GetString("output_dir");
  return std::make_unique<SpreadMonitor>(id, c);
}

std::unique_ptr<Actor> SpreadMonitor::FromConfig(const std::string& id, const ConfigTable& table) {
  return FromParams(id, Params(table, Schema()));
}

void SpreadMonitor::OnRegistered() {
  SubscribeData<SpreadEvent>(topics::kAllSpreadEvents,
                             [this](const SpreadEvent& e) { OnSpreadEvent(e); });
  SubscribeData<CapitalUpdated>(CapitalManager::kCapitalTopic, [this](const CapitalUpdated& u) {
    capital_after_[u.trade_id] = u.new_capital;
    if (auto it = records_.find(SpreadId(u.trade_id)); it != records_.end()) {
      it->second.capital_after = u.new_capital;
    }
  });
  if (config_.greeks_underlying) {
    SubscribeData<ChainGreeks>(GreeksActor::Topic(*config_.greeks_underlying),
                               [this](const ChainGreeks& chain) {
                                 for (const ContractGreeks& c : chain.contracts) {
                                   greeks_[c.instrument] = c;
                                 }
                               });
  }
}

void SpreadMonitor::OnStart() {
  if (Status st = SetTimer("sample", config_.interval); !st) log().Error("{}", st.error());
}

void SpreadMonitor::OnStop() {
  if (config_.output_dir.empty()) return;
  if (Status st = WriteFiles(config_.output_dir); !st) log().Error("{}", st.error());
}

void SpreadMonitor::OnTimer(const TimeEvent& /*event*/) { Sample(); }

SavedState SpreadMonitor::OnSave() {
  SavedState out;
  auto put = [&out](const SpreadId& id, const std::vector<std::int64_t>& alerts, Money worst,
                    Money best) {
    std::string pcts;
    for (std::int64_t p : alerts) pcts += (pcts.empty() ? "" : ",") + std::to_string(p);
    out["spread:" + id.value()] =
        fmt::format("{};{};{}", pcts, worst.ToString(), best.ToString());
  };
  for (const auto& [id, rp] : open_) {
    const Record& r = *rp;
    if (r.last.state == SpreadState::kClosed || r.last.state == SpreadState::kFailed) continue;
    if (!r.valued && r.alerts.empty()) continue;
    put(id, r.alerts, r.worst_pnl, r.best_pnl);
  }
  for (const auto& [id, s] : restored_) put(id, s.alerts, s.worst, s.best);
  return out;
}

void SpreadMonitor::OnLoad(const SavedState& state) {
  restored_.clear();
  for (const auto& [key, value] : state) {
    if (key.rfind("spread:", 0) != 0) continue;
    const auto a = value.find(';');
    const auto b = a == std::string::npos ? a : value.find(';', a + 1);
    auto worst = b == std::string::npos ? Result<Money>(MakeError("no ';'"))
                                        : Money::Parse(value.substr(a + 1, b - a - 1));
    auto best = b == std::string::npos ? Result<Money>(MakeError("no ';'"))
                                       : Money::Parse(value.substr(b + 1));
    if (!worst || !best) {
      log().Error("saved state {} = \"{}\" is not \"pcts;worst;best\": ignored", key, value);
      continue;
    }
    Restored r{{}, *worst, *best};
    const std::string pcts = value.substr(0, a);
    for (std::size_t at = 0; at < pcts.size();) {
      const auto comma = pcts.find(',', at);
      r.alerts.push_back(std::atoll(pcts.substr(at, comma - at).c_str()));
      at = comma == std::string::npos ? pcts.size() : comma + 1;
    }
    restored_[SpreadId(key.substr(7))] = std::move(r);
  }
}

void SpreadMonitor::OnReset() {
  restored_.clear();
  records_.clear();
  order_.clear();
  open_.clear();
  capital_after_.clear();
  greeks_.clear();
  rows_.clear();
  monitor_csv_ = kMonitorHeader;
  formatted_ = 0;
}

void SpreadMonitor::OnSpreadEvent(const SpreadEvent& e) {
  auto [it, inserted] = records_.try_emplace(e.spread_id);
  Record& r = it->second;
  if (inserted) {
    order_.push_back(e.spread_id);
    open_.emplace_back(e.spread_id, &r);
    if (auto saved = restored_.find(e.spread_id); saved != restored_.end()) {
      r.alerts = saved->second.alerts;
      r.worst_pnl = saved->second.worst;
      r.best_pnl = saved->second.best;
      r.valued = true;
      restored_.erase(saved);
    }
  }
  r.last = e;
  r.changed = true;
  if (e.state == SpreadState::kClosed || e.state == SpreadState::kFailed) {
    // Final: the P&L is all realized now.
    r.unrealized = Money::Zero();
    const Money total = e.realized_pnl;
    if (!r.valued || total < r.worst_pnl) r.worst_pnl = total;
    if (!r.valued || total > r.best_pnl) r.best_pnl = total;
    r.valued = true;
  }
}

void SpreadMonitor::Value(Record& r) {
  Money unrealized = Money::Zero();
  r.delta = r.gamma = r.vega = r.theta = 0;
  for (const SpreadLegState& l : r.last.legs) {
    if (l.signed_qty_raw == 0) continue;
    const Instrument* ins = cache().instrument(l.instrument);
    if (ins == nullptr) continue;
    const PositionSide side = l.signed_qty_raw > 0 ? PositionSide::kLong : PositionSide::kShort;
    const std::optional<Price> mark = cache().MarkPrice(l.instrument, side);
    const Quantity qty = Quantity::Raw(std::abs(l.signed_qty_raw), ins->size_precision);
    if (mark) {
      const std::int64_t diff = mark->raw() - l.avg_px_open.raw();
      const Money move =
          Money::Notional(Price::Raw(std::abs(diff), kMaxPrecision), qty, ins->multiplier);
      // Long gains when the mark rises, short when it falls.
      const bool gain = (diff > 0) == (l.signed_qty_raw > 0);
      unrealized = diff == 0 ? unrealized : (gain ? unrealized + move : unrealized - move);
    }
    if (auto g = greeks_.find(l.instrument); g != greeks_.end()) {
      const double q = static_cast<double>(l.signed_qty_raw) / kFixedScale *
                       static_cast<double>(ins->multiplier);
      r.delta += q * g->second.greeks.delta;
      r.gamma += q * g->second.greeks.gamma;
      r.vega += q * g->second.greeks.vega;
      r.theta += q * g->second.greeks.theta;
    }
  }
  r.unrealized = unrealized;
  const Money total = r.last.realized_pnl + unrealized;
  if (!r.valued || total < r.worst_pnl) r.worst_pnl = total;
  if (!r.valued || total > r.best_pnl) r.best_pnl = total;
  r.valued = true;
}

// Data at the sample's own time counts: the loop runs timers before data of the same time, so
// it came after the row.
bool SpreadMonitor::LegDataSince(const Record& r, UnixNanos t) const {
  for (const SpreadLegState& l : r.last.legs) {
    if (const QuoteTick* q = cache().quote(l.instrument); q != nullptr && q->ts_init >= t) {
      return true;
    }
    if (const TradeTick* x = cache().trade(l.instrument); x != nullptr && x->ts_init >= t) {
      return true;
    }
  }
  return false;
}

void SpreadMonitor::Sample() {
  const UnixNanos now = clock().Now();
  // Only spreads still open are valued; finished ones leave the list for good.
  std::erase_if(open_, [](const std::pair<SpreadId, Record*>& o) {
    const SpreadState st = o.second->last.state;
    return st == SpreadState::kClosed || st == SpreadState::kFailed;
  });
  for (const auto& [id, rp] : open_) {
    Record& r = *rp;
    // Nothing it depends on moved since its last row (a night, a quiet contract): the row
    // would repeat the last one, and no alert can newly pass.
    if (r.sampled_at && !r.changed && !LegDataSince(r, *r.sampled_at)) continue;
    r.sampled_at = now;
    r.changed = false;
    Value(r);
    const Money total = r.last.realized_pnl + r.unrealized;
    rows_.push_back(MonitorRow{now, id, r.last.strategy_id, r.last.state, r.last.realized_pnl,
                               r.unrealized, total, r.worst_pnl, r.best_pnl, r.delta, r.gamma,
                               r.vega, r.theta});
    if (!r.last.max_loss || r.last.max_loss->raw() <= 0 || total.raw() >= 0) continue;
    for (std::int64_t pct : config_.alert_loss_pct) {
      if (std::find(r.alerts.begin(), r.alerts.end(), pct) != r.alerts.end()) continue;
      // loss ≥ pct% of max loss, compared exactly: −total × 100 ≥ max_loss × pct.
      const Int128 loss = -static_cast<Int128>(total.raw()) * 100;
      if (loss < static_cast<Int128>(r.last.max_loss->raw()) * pct) continue;
      r.alerts.push_back(pct);
      SpreadAlert a;
      a.ts = now;
      a.spread_id = id;
      a.strategy_id = r.last.strategy_id;
      a.threshold_pct = pct;
      a.total_pnl = total;
      a.max_loss = *r.last.max_loss;
      a.message = fmt::format("spread {} loss {} passed {}% of max loss {}", id.value(),
                              total.ToString(), pct, r.last.max_loss->ToString());
      log().Warning("{}", a.message);
      PublishData(kAlertTopic, a);
    }
  }
}

std::string SpreadMonitor::MonitorCsv() const {
  for (; formatted_ < rows_.size(); ++formatted_) {
    const MonitorRow& w = rows_[formatted_];
    fmt::format_to(std::back_inserter(monitor_csv_),
                   "{},{},{},{},{},{},{},{},{},{},{:.4f},{:.6f},{:.2f},{:.2f}\n", FormatIst(w.ts),
                   w.ts.value, w.spread_id.value(), w.strategy_id.value(), ToString(w.state),
                   w.realized.ToString(), w.unrealized.ToString(), w.total.ToString(),
                   w.worst.ToString(), w.best.ToString(), w.delta, w.gamma, w.vega, w.theta);
  }
  return monitor_csv_;
}

std::string SpreadMonitor::SpreadsCsv() const {
  std::string out =
      "spread_id,strategy_id,state,lots,legs,entry_time_ist,exit_time_ist,net_premium,charges,"
      "realized_pnl,max_loss,worst_pnl,best_pnl,capital_after,message\n";
  for (const SpreadId& id : order_) {
    const Record& r = records_.at(id);
    const SpreadEvent& e = r.last;
    std::string capital;
    if (r.capital_after) {
      capital = r.capital_after->ToString();
    } else if (auto it = capital_after_.find(id.value()); it != capital_after_.end()) {
      capital = it->second.ToString();
    }
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", id.value(),
                       e.strategy_id.value(), ToString(e.state), e.lots,
                       Quoted(LegsText(e, cache())), TimeOrEmpty(e.ts_opened),
                       TimeOrEmpty(e.ts_closed), e.net_premium.ToString(), e.charges.ToString(),
                       e.realized_pnl.ToString(), e.max_loss ? e.max_loss->ToString() : "unbounded",
                       r.valued ? r.worst_pnl.ToString() : "",
                       r.valued ? r.best_pnl.ToString() : "", capital, Quoted(e.message));
  }
  return out;
}

Status SpreadMonitor::WriteFiles(const std::string& dir) const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return MakeError(fmt::format("{}: cannot create: {}", dir, ec.message()));
  for (const auto& [name, text] : {std::pair{std::string("spreads.csv"), SpreadsCsv()},
                                   std::pair{std::string("spread_monitor.csv"), MonitorCsv()}}) {
    const std::string path = (std::filesystem::path(dir) / name).string();
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << text;
    if (!f) return MakeError(fmt::format("{}: write failed", path));
  }
  return Status::Ok();
}

}  // namespace nacre
