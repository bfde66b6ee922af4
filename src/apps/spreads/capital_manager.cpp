#include "apps/spreads/capital_manager.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/fixed.h"
#include "model/position_events.h"

namespace nacre {
namespace {

// floor(amount × pct / 100) to the paisa: budgets round down, never up.
Money PercentOf(Money amount, Price pct) {
  const Int128 raw = static_cast<Int128>(amount.raw()) * pct.raw() / (100 * kFixedScale);
  const std::int64_t paisa = kFixedScale / 100;
  std::int64_t v = static_cast<std::int64_t>(raw);
  v = (v >= 0 ? v / paisa : (v - paisa + 1) / paisa) * paisa;
  return Money::FromRaw(v);
}

std::int64_t LotsWithin(Money budget, Money per_lot) {
  if (budget.raw() <= 0) return 0;
  return budget.raw() / per_lot.raw();
}

}  // namespace

CapitalManager::CapitalManager(std::string id, CapitalManagerConfig config)
    : Actor(std::move(id)), config_(std::move(config)), capital_(config_.initial_capital) {}

ParamSchema CapitalManager::Schema() {
  return {"CapitalManager",
          "sizes trades from capital (lots = min(risk budget / max loss per lot, free deployment "
          "/ margin per lot, max_lots)) and tracks capital as closed trades move it",
          {
              ParamSpec::Money("initial_capital")
                  .Required()
                  .Above(0)
                  .Doc("starting capital in rupees, e.g. \"400000\""),
              ParamSpec::Decimal("risk_per_trade_pct", "5")
                  .Above(0)
                  .AtMost(100)
                  .Doc("percent of capital one trade may lose at its maximum loss"),
              ParamSpec::Decimal("max_deployment_pct", "80")
                  .Above(0)
                  .AtMost(100)
                  .Doc("percent of capital that open trades' margin may block"),
              ParamSpec::Bool("compounding_enabled", true)
                  .Doc("size from current capital (true) or initial capital (false)"),
              ParamSpec::Choice("source", "spreads", {"spreads", "positions"})
                  .Doc("which closes move capital: spread events, or any strategy's closed "
                       "positions"),
          }};
}

std::unique_ptr<Actor> CapitalManager::FromParams(const std::string& id, const Params& p) {
  CapitalManagerConfig c;
  c.initial_capital = p.GetMoney("initial_capital");
  c.risk_per_trade_pct = p.GetDecimal("risk_per_trade_pct");
  c.max_deployment_pct = p.GetDecimal("max_deployment_pct");
  c.compounding_enabled = p.GetBool("compounding_enabled");
  c.source = p.GetString("source");
  return std::make_unique<CapitalManager>(id, c);
}

std::unique_ptr<Actor> CapitalManager::FromConfig(const std::string& id, const ConfigTable& table) {
  return FromParams(id, Params(table, Schema()));
}

void CapitalManager::OnRegistered() {
  MessageBus& bus = msgbus();
  (void)bus.RegisterRequestHandler<MaxLotsRequest, MaxLotsResponse>(
      kMaxLotsEndpoint,
      [this](const MaxLotsRequest& r) { return CalculateMaxLots(r); });
  (void)bus.RegisterRequestHandler<int, CapitalState>(
      kStateEndpoint, [this](const int&) { return capital_state(); });
  (void)bus.RegisterRequestHandler<DeployRequest, CapitalState>(
      kDeployEndpoint, [this](const DeployRequest& r) {
        if (Status st = Deploy(r.trade_id, r.amount, r.sizing); !st) {
          log().Error("{}", st.error());
        }
        return capital_state();
      });
  // Higher priority than strategies, so a strategy reacting to the same close sizes its next
  // trade on the updated capital.
  SubscribeData<SpreadEvent>(
      topics::kAllSpreadEvents,
      [this](const SpreadEvent& e) {
        if (e.kind != SpreadEventKind::kClosed && e.kind != SpreadEventKind::kFailed) return;
        std::optional<TradeSizing> sizing = Release(e.spread_id.value());
        if (config_.source == "spreads") {
          RecordTrade(e.ts, e.spread_id.value(), e.strategy_id, e.realized_pnl, sizing);
        }
      },
      100);
  SubscribeData<PositionEvent>(
      topics::kAllPositionEvents,
      [this](const PositionEvent& pe) {
        const auto* e = std::get_if<PositionClosed>(&pe);
        if (e == nullptr) return;
        std::optional<TradeSizing> sizing = Release(e->position_id.value());
        if (config_.source == "positions") {
          RecordTrade(e->ts_event, e->position_id.value(), e->strategy_id, e->realized_pnl,
                      sizing);
        }
      },
      100);
}

void CapitalManager::OnStart() {
  log().Info("capital {} (initial {}), risk {}%, deployment {}%, compounding {}",
             capital_.ToString(), config_.initial_capital.ToString(),
             config_.risk_per_trade_pct.ToString(), config_.max_deployment_pct.ToString(),
             config_.compounding_enabled ? "on" : "off");
}

void CapitalManager::OnReset() {
  capital_ = config_.initial_capital;
  deployed_.clear();
  sizing_.clear();
  history_.clear();
}

Money CapitalManager::Deployed() const {
  Money total = Money::Zero();
  for (const auto& [id, m] : deployed_) total += m;
  return total;
}

MaxLotsResponse CapitalManager::CalculateMaxLots(const MaxLotsRequest& request) const {
  MaxLotsResponse r;
  TradeSizing& z = r.sizing;
  z.risk_per_lot = request.risk_per_lot;
  z.margin_per_lot = request.margin_per_lot;
  z.max_lots = request.max_lots;
  if (request.risk_per_lot.raw() <= 0) {
    r.reason = "the maximum loss per lot must be positive";
    return r;
  }
  if (request.margin_per_lot.raw() < 0) {
    r.reason = "the margin per lot must not be negative";
    return r;
  }
  const Money base = Base();
  z.risk_budget = PercentOf(base, config_.risk_per_trade_pct);
  z.deployment_free = PercentOf(base, config_.max_deployment_pct) - Deployed();
  z.lots_by_risk = LotsWithin(z.risk_budget, request.risk_per_lot);
  // A trade that blocks no margin (a long option paid in full is its premium: the strategy's
  // figure) is bounded by risk and max_lots only.
  z.lots_by_deployment = request.margin_per_lot.raw() == 0
                             ? std::numeric_limits<std::int64_t>::max()
                             : LotsWithin(z.deployment_free, request.margin_per_lot);
  std::int64_t lots =
      std::min<std::int64_t>({z.lots_by_risk, z.lots_by_deployment, request.max_lots});
  // The floor of one lot: a trade whose one lot exceeds the risk budget is still taken, but
  // only when that lot fits inside the deployment limit (never trade money that is not there).
  if (lots == 0 && request.max_lots > 0 && z.lots_by_deployment >= 1) {
    lots = 1;
    z.one_lot_floor = true;
  }
  r.lots = z.lots = static_cast<std::uint32_t>(std::max<std::int64_t>(lots, 0));
  if (r.lots == 0) {
    r.reason = request.max_lots == 0
                   ? "max_lots is 0"
                   : fmt::format("one lot blocks {} of margin but only {} of the deployment "
                                 "limit is free",
                                 request.margin_per_lot.ToString(),
                                 std::max(z.deployment_free, Money::Zero()).ToString());
  }
  return r;
}

CapitalState CapitalManager::capital_state() const {
  CapitalState s;
  s.current = capital_;
  s.initial = config_.initial_capital;
  s.total_return = capital_ - config_.initial_capital;
  const Int128 pct =
      static_cast<Int128>(s.total_return.raw()) * 100 * kFixedScale / config_.initial_capital.raw();
  const std::int64_t unit = kFixedScale / 10'000;  // 4 decimals
  s.total_return_pct = Price::Raw(static_cast<std::int64_t>(pct) / unit * unit, 4);
  s.deployed = Deployed();
  const Money limit = PercentOf(Base(), config_.max_deployment_pct);
  s.available = std::max(limit - s.deployed, Money::Zero());
  return s;
}

Status CapitalManager::Deploy(const std::string& trade_id, Money amount,
                             std::optional<TradeSizing> sizing) {
  if (trade_id.empty()) return MakeError("deploy: empty trade id");
  if (amount.raw() < 0) return MakeError(fmt::format("deploy {}: negative amount", trade_id));
  deployed_[trade_id] = amount;
  if (sizing) sizing_[trade_id] = *sizing;
  return Status::Ok();
}

std::optional<TradeSizing> CapitalManager::Release(const std::string& trade_id) {
  deployed_.erase(trade_id);
  auto it = sizing_.find(trade_id);
  if (it == sizing_.end()) return std::nullopt;
  TradeSizing z = it->second;
  sizing_.erase(it);
  return z;
}

void CapitalManager::RecordTrade(UnixNanos ts, const std::string& trade_id,
                                 const StrategyId& strategy, Money pnl,
                                 std::optional<TradeSizing> sizing) {
  // A trade that ended before and ended again (a spread unwound once more after a late fill
  // made it hold a leg): only what its P&L moved since is booked, nothing twice.
  Money booked = Money::Zero();
  bool seen = false;
  for (const CapitalUpdated& h : history_) {
    if (h.trade_id != trade_id) continue;
    booked += h.trade_pnl;
    seen = true;
  }
  if (seen) {
    pnl = pnl - booked;
    if (pnl.raw() == 0) return;
    sizing.reset();
  }
  CapitalUpdated u;
  u.sizing = sizing;
  u.ts = ts;
  u.trade_id = trade_id;
  u.strategy_id = strategy;
  u.previous_capital = capital_;
  u.trade_pnl = pnl;
  capital_ += pnl;
  u.new_capital = capital_;
  history_.push_back(u);
  log().Info("capital {} -> {} ({} on {})", u.previous_capital.ToString(), u.new_capital.ToString(),
             pnl.ToString(), trade_id);
  PublishData(kCapitalTopic, u);
}

namespace {

constexpr const char* kHistoryHeader =
    "time_ist,time_ns,trade_id,strategy_id,previous_capital,trade_pnl,new_capital,lots,"
    "risk_per_lot,margin_per_lot,risk_budget,deployment_free,lots_by_risk,lots_by_deployment,"
    "max_lots,one_lot_floor\n";
constexpr std::size_t kHistoryColumns = 16;

std::string SizingCells(const std::optional<TradeSizing>& z) {
  if (!z) return ",,,,,,,,";
  return fmt::format("{},{},{},{},{},{},{},{},{}", z->lots, z->risk_per_lot.ToString(),
                     z->margin_per_lot.ToString(), z->risk_budget.ToString(),
                     z->deployment_free.ToString(), z->lots_by_risk, z->lots_by_deployment,
                     z->max_lots, z->one_lot_floor ? "yes" : "no");
}

template <typename T>
bool ParseInt(const std::string& s, T& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

// The nine sizing cells of a history row (or of a saved open trade), all empty for none.
Result<std::optional<TradeSizing>> ParseSizingCells(const std::vector<std::string>& f,
                                                    std::size_t first) {
  bool all_empty = true;
  for (std::size_t i = first; i < first + 9; ++i) all_empty = all_empty && f[i].empty();
  if (all_empty) return std::optional<TradeSizing>();
  TradeSizing z;
  auto risk = Money::Parse(f[first + 1]);
  auto margin = Money::Parse(f[first + 2]);
  auto budget = Money::Parse(f[first + 3]);
  auto free = Money::Parse(f[first + 4]);
  if (!ParseInt(f[first], z.lots) || !risk.ok() || !margin.ok() || !budget.ok() || !free.ok() ||
      !ParseInt(f[first + 5], z.lots_by_risk) || !ParseInt(f[first + 6], z.lots_by_deployment) ||
      !ParseInt(f[first + 7], z.max_lots) || (f[first + 8] != "yes" && f[first + 8] != "no")) {
    return MakeError("bad sizing cells");
  }
  z.risk_per_lot = *risk;
  z.margin_per_lot = *margin;
  z.risk_budget = *budget;
  z.deployment_free = *free;
  z.one_lot_floor = f[first + 8] == "yes";
  return std::optional<TradeSizing>(z);
}

std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> f;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = line.find(',', start);
    f.push_back(line.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return f;
}

}  // namespace

std::string CapitalManager::HistoryCsv() const {
  std::string out = kHistoryHeader;
  for (const CapitalUpdated& u : history_) {
    out += fmt::format("{},{},{},{},{},{},{},{}\n", FormatIst(u.ts), u.ts.value, u.trade_id,
                       u.strategy_id.value(), u.previous_capital.ToString(), u.trade_pnl.ToString(),
                       u.new_capital.ToString(), SizingCells(u.sizing));
  }
  return out;
}

Status CapitalManager::WriteHistoryCsv(const std::string& path) const {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return MakeError(fmt::format("{}: cannot open for writing", path));
  f << HistoryCsv();
  if (!f) return MakeError(fmt::format("{}: write failed", path));
  return Status::Ok();
}

Status CapitalManager::WriteResultFiles(const std::string& dir) const {
  return WriteHistoryCsv((std::filesystem::path(dir) / "capital_history.csv").string());
}

SavedState CapitalManager::OnSave() {
  SavedState s;
  s["capital"] = capital_.ToString();
  std::string deployed;
  for (const auto& [id, m] : deployed_) deployed += id + "=" + m.ToString() + "\n";
  s["deployed"] = deployed;
  std::string sizing;
  for (const auto& [id, z] : sizing_) sizing += id + "," + SizingCells(z) + "\n";
  s["sizing"] = sizing;
  s["history"] = HistoryCsv();
  return s;
}

void CapitalManager::OnLoad(const SavedState& state) {
  auto fail = [this](const std::string& what) {
    log().Error("capital manager state not loaded: {}", what);
  };
  auto cap_it = state.find("capital");
  if (cap_it == state.end()) return fail("no 'capital' entry");
  auto cap = Money::Parse(cap_it->second);
  if (!cap.ok()) return fail("capital: " + cap.error());
  std::map<std::string, Money> deployed;
  if (auto it = state.find("deployed"); it != state.end()) {
    std::istringstream in(it->second);
    std::string line;
    while (std::getline(in, line)) {
      const auto eq = line.rfind('=');
      if (eq == std::string::npos) return fail("deployed: bad line '" + line + "'");
      auto m = Money::Parse(line.substr(eq + 1));
      if (!m.ok()) return fail("deployed: " + m.error());
      deployed[line.substr(0, eq)] = *m;
    }
  }
  std::map<std::string, TradeSizing> sizing;
  if (auto it = state.find("sizing"); it != state.end()) {
    std::istringstream in(it->second);
    std::string line;
    while (std::getline(in, line)) {
      const std::vector<std::string> f = SplitCsvLine(line);
      if (f.size() != 10) return fail("sizing: bad line '" + line + "'");
      auto z = ParseSizingCells(f, 1);
      if (!z.ok() || !z->has_value()) return fail("sizing: bad line '" + line + "'");
      sizing[f[0]] = **z;
    }
  }
  std::vector<CapitalUpdated> history;
  if (auto it = state.find("history"); it != state.end()) {
    std::istringstream in(it->second);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      const std::vector<std::string> f = SplitCsvLine(line);
      // 7 columns: a state saved before sizing was recorded.
      if (f.size() != kHistoryColumns && f.size() != 7) {
        return fail("history: bad row '" + line + "'");
      }
      CapitalUpdated u;
      std::int64_t ns = 0;
      if (!ParseInt(f[1], ns)) return fail("history: bad time '" + f[1] + "'");
      u.ts = UnixNanos(ns);
      u.trade_id = f[2];
      u.strategy_id = StrategyId(f[3]);
      auto prev = Money::Parse(f[4]);
      auto pnl = Money::Parse(f[5]);
      auto next = Money::Parse(f[6]);
      if (!prev.ok() || !pnl.ok() || !next.ok())
        return fail("history: bad amount in '" + line + "'");
      u.previous_capital = *prev;
      u.trade_pnl = *pnl;
      u.new_capital = *next;
      if (f.size() == kHistoryColumns) {
        auto z = ParseSizingCells(f, 7);
        if (!z.ok()) return fail("history: " + z.error() + " in '" + line + "'");
        u.sizing = *z;
      }
      history.push_back(u);
    }
  }
  capital_ = *cap;
  deployed_ = std::move(deployed);
  sizing_ = std::move(sizing);
  history_ = std::move(history);
}

}  // namespace nacre
