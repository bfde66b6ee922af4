// SpreadMonitor: watches every spread of every strategy through its SpreadEvents. On a timer
// it values each open spread at conservative marks (bid for long legs, ask for short), tracks
// its worst and best P&L, its net greeks (from GreeksActor chains when one runs), and raises a
// SpreadAlert on "events.spread_alert" the first time a loss passes each configured threshold
// (percent of the spread's max loss). It writes spreads.csv (the trade log, one row per
// spread, with the capital after each close from CapitalUpdated) and spread_monitor.csv (the
// time series). A spread is valued at a tick of the timer only when something it depends on
// moved since its last row: market data of one of its legs or an event of the spread (so no
// rows repeat through nights and weekends). Rows are kept as values and formatted only when
// the CSV is asked for. Money is fixed point; greeks are doubles. Kernel thread only.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "apps/spreads/capital_manager.h"
#include "apps/spreads/greeks_actor.h"
#include "common/actor.h"
#include "common/result_files.h"
#include "trading/spread.h"

namespace nacre {

struct SpreadMonitorConfig {
  DurationNs interval = kNanosPerMinute;
  std::vector<std::int64_t> alert_loss_pct = {50, 75};  // of max loss
  std::optional<InstrumentId> greeks_underlying;        // subscribe to its ChainGreeks
  std::string output_dir;                               // write the CSVs on stop when set
};

struct SpreadAlert {
  UnixNanos ts;
  SpreadId spread_id;
  StrategyId strategy_id;
  std::int64_t threshold_pct = 0;
  Money total_pnl;
  Money max_loss;
  std::string message;
};

class SpreadMonitor final : public Actor, public ResultFiles {
 public:
  static constexpr const char* kAlertTopic = "events.spread_alert";

  SpreadMonitor(std::string id, SpreadMonitorConfig config);
  // Its parameters (checked by the registry before FromParams runs, and documented).
  static ParamSchema Schema();
  static std::unique_ptr<Actor> FromParams(const std::string& id, const Params& params);
  // FromParams on `table` checked against Schema().
  static std::unique_ptr<Actor> FromConfig(const std::string& id, const ConfigTable& table);

  struct Record {
    SpreadEvent last;  // the latest event (state, legs, premium, realized)
    Money unrealized;
    Money worst_pnl;
    Money best_pnl;
    bool valued = false;
    double delta = 0, gamma = 0, vega = 0, theta = 0;  // net, in units of the underlying / ₹
    std::vector<std::int64_t> alerts;                  // thresholds already raised
    std::optional<Money> capital_after;
    std::optional<UnixNanos> sampled_at;  // its last row's time
    bool changed = false;                 // an event since its last row
  };

  // Values every open spread now and appends monitor rows (the timer calls it).
  void Sample();
  const std::map<SpreadId, Record>& records() const { return records_; }
  std::string SpreadsCsv() const;
  std::string MonitorCsv() const;
  std::size_t monitor_rows() const { return rows_.size(); }
  Status WriteFiles(const std::string& dir) const;
  Status WriteResultFiles(const std::string& dir) const override { return WriteFiles(dir); }

 protected:
  void OnRegistered() override;
  void OnStart() override;
  void OnStop() override;
  void OnTimer(const TimeEvent& event) override;
  void OnReset() override;
  // Across a restart: for each spread not yet closed or failed, the alert thresholds already
  // raised and its worst and best P&L ("spread:{id}" = "{pcts};{worst};{best}"), so the node
  // neither raises an alert twice nor forgets an extreme. The spread itself comes back with
  // the strategy's "restored" SpreadEvent.
  SavedState OnSave() override;
  void OnLoad(const SavedState& state) override;

 private:
  void OnSpreadEvent(const SpreadEvent& e);
  void Value(Record& r);
  // True when one of the spread's legs has market data at or after `t`.
  bool LegDataSince(const Record& r, UnixNanos t) const;

  // One row of spread_monitor.csv, kept as values until the CSV is asked for.
  struct MonitorRow {
    UnixNanos ts;
    SpreadId spread_id;
    StrategyId strategy_id;
    SpreadState state;
    Money realized, unrealized, total, worst, best;
    double delta, gamma, vega, theta;
  };

  SpreadMonitorConfig config_;
  std::map<SpreadId, Record> records_;
  std::vector<SpreadId> order_;                 // first-seen order for the trade log
  // Not yet closed or failed, first-seen order, with their records (std::map nodes stay put):
  // the timer walks it without a map lookup per spread.
  std::vector<std::pair<SpreadId, Record*>> open_;
  std::map<std::string, Money> capital_after_;  // by trade id
  std::map<InstrumentId, ContractGreeks> greeks_;
  // A deque: rows are appended all run long, and a vector's regrowth copied them (and faulted
  // in fresh pages for each copy).
  std::deque<MonitorRow> rows_;
  // The CSV text of rows_[0, formatted_) (formatted once, extended when asked again).
  mutable std::string monitor_csv_;
  mutable std::size_t formatted_ = 0;
  // Loaded by OnLoad, taken by the spread's first event.
  struct Restored {
    std::vector<std::int64_t> alerts;
    Money worst, best;
  };
  std::map<SpreadId, Restored> restored_;
};

}  // namespace nacre
