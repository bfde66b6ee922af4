// CapitalManager: the actor that owns the trading capital of a spread book.
//
// It sizes trades from two per-lot figures the strategy supplies (MaxLots): the most one lot
// can lose, divided into the risk budget (capital x risk_per_trade_pct), and the margin one lot
// blocks, divided into what is free of the deployment limit (capital x max_deployment_pct less
// what open trades block); lots = min(by risk, by deployment, max_lots), and one lot when the
// risk budget allows none but one lot fits the deployment limit. It tracks capital deployed in open trades,
// and moves capital by each closed trade's realized P&L net of charges (a spread's
// SpreadEvent CLOSED or FAILED, or a plain position's PositionClosed when configured),
// publishing CapitalUpdated on topics "events.capital" and keeping the history that becomes
// capital_history.csv. With compounding off, sizing uses the initial capital. Strategies reach
// it through bus requests (kMaxLotsEndpoint, kStateEndpoint, kDeployEndpoint), never directly.
// All amounts are fixed-point Money; percentages are fixed point (5.5 => 5.5%). Kernel thread.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/actor.h"
#include "common/config.h"
#include "common/params.h"
#include "common/result_files.h"
#include "trading/capital_events.h"
#include "trading/spread.h"

namespace nacre {

struct CapitalManagerConfig {
  Money initial_capital = Money::FromInt(400'000);
  Price risk_per_trade_pct = Price::Raw(5 * kFixedScale, 0);   // 5%
  Price max_deployment_pct = Price::Raw(80 * kFixedScale, 0);  // 80%
  bool compounding_enabled = true;
  // Which closes move capital: "spreads" (SpreadEvent CLOSED/FAILED) or "positions"
  // (PositionClosed of any strategy, for strategies that trade single instruments).
  std::string source = "spreads";
};

struct CapitalState {
  Money current;
  Money initial;
  Money total_return;
  Price total_return_pct;  // of initial, 4 decimals
  Money deployed;
  Money available;  // deployment limit − deployed, never negative
};

struct MaxLotsRequest {
  Money risk_per_lot;    // the most one lot can lose, net of credit (undefined risk: its margin)
  Money margin_per_lot;  // margin one lot blocks
  std::uint32_t max_lots = 0;
};
struct MaxLotsResponse {
  std::uint32_t lots = 0;
  TradeSizing sizing;  // the figures behind `lots`
  std::string reason;  // why zero, for the strategy's log
};
// Records capital deployed in a trade (released when it closes or fails) and, when given, how
// the trade was sized (shown beside its close in capital_history.csv).
struct DeployRequest {
  std::string trade_id;
  Money amount;
  std::optional<TradeSizing> sizing;
};

class CapitalManager final : public Actor, public ResultFiles {
 public:
  static constexpr const char* kCapitalTopic = topics::kCapital;
  static constexpr const char* kMaxLotsEndpoint = "CapitalManager.max_lots";
  static constexpr const char* kStateEndpoint = "CapitalManager.state";
  static constexpr const char* kDeployEndpoint = "CapitalManager.deploy";

  CapitalManager(std::string id, CapitalManagerConfig config);
  // Its parameters (checked by the registry before FromParams runs, and documented).
  static ParamSchema Schema();
  static std::unique_ptr<Actor> FromParams(const std::string& id, const Params& params);
  // FromParams on `table` checked against Schema().
  static std::unique_ptr<Actor> FromConfig(const std::string& id, const ConfigTable& table);

  const CapitalManagerConfig& config() const { return config_; }
  MaxLotsResponse CalculateMaxLots(const MaxLotsRequest& request) const;
  CapitalState capital_state() const;
  Money current_capital() const { return capital_; }
  Status Deploy(const std::string& trade_id, Money amount,
                std::optional<TradeSizing> sizing = std::nullopt);
  // Applies a closed trade's net P&L (also called by the event handlers).
  void RecordTrade(UnixNanos ts, const std::string& trade_id, const StrategyId& strategy,
                   Money pnl, std::optional<TradeSizing> sizing = std::nullopt);
  const std::vector<CapitalUpdated>& history() const { return history_; }
  // time_ist,time_ns,trade_id,strategy_id,previous_capital,trade_pnl,new_capital, then how the
  // trade was sized (empty for trades the manager did not size): lots,risk_per_lot,
  // margin_per_lot,risk_budget,deployment_free,lots_by_risk,lots_by_deployment,max_lots,
  // one_lot_floor
  std::string HistoryCsv() const;
  Status WriteHistoryCsv(const std::string& path) const;
  // capital_history.csv in the result folder.
  Status WriteResultFiles(const std::string& dir) const override;

 protected:
  void OnRegistered() override;
  void OnStart() override;
  void OnReset() override;
  SavedState OnSave() override;
  void OnLoad(const SavedState& state) override;

 private:
  Money Base() const { return config_.compounding_enabled ? capital_ : config_.initial_capital; }
  Money Deployed() const;
  // Frees what a trade blocked and returns how it was sized (if it was).
  std::optional<TradeSizing> Release(const std::string& trade_id);

  CapitalManagerConfig config_;
  Money capital_;
  std::map<std::string, Money> deployed_;  // by trade id (ordered: deterministic)
  std::map<std::string, TradeSizing> sizing_;  // open trades' sizing, by trade id
  std::vector<CapitalUpdated> history_;
};

}  // namespace nacre
