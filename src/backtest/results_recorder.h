// ResultsRecorder: a kernel-level subscriber that records a backtest while it runs (fills,
// position P&L by IST trading day, equity sampled on an interval) and, after the run,
// writes the results folder: orders.csv, fills.csv (with the charge breakdown), positions.csv
// (current positions and closed-cycle snapshots), account.csv, equity.csv, daily_pnl.csv,
// stats.json and report.html (see backtest/report_html.cpp). It also keeps each index's price at
// the run's first data point and at every IST day's close (for the report's buy-and-hold
// benchmark). When the run had option spreads (SpreadEvents on
// topics::kAllSpreadEvents) it also records each spread's final state and the capital after
// each close (CapitalUpdated on topics::kCapital when a capital owner runs, else the starting
// balance moved by each closed spread's P&L), writes spread_results.csv, adds a "spreads"
// object to stats.json and a Spreads section to report.html. Money is printed exactly (fixed point
// to the paisa); timestamps as ns and ISO-8601 IST. Same run, byte-identical folder.
//
// Equity sampling: positions are marked once per `equity_interval` of data time, not on every
// quote: at the first data timestamp T in each interval (intervals counted from the Unix
// epoch, so 60 s intervals start on IST minutes), after every item at T has been handled (a
// one-shot clock alert at T + 1 ns takes the sample and labels it T). With data no denser than
// the interval this is every data timestamp (the demo's 5-minute data at the 60 s default);
// 0 samples every data timestamp. A day's equity (daily_pnl.csv) is its last sample.
//
// Usage: create it on the engine's kernel before Run(), call Finish() after Run() returns
// (fills sent while strategies stop are included), then WriteFolder(). One recorder records
// one run (it is not cleared by BacktestEngine::Reset) and must be destroyed before the
// kernel it subscribed to. Kernel thread only.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "backtest/statistics.h"
#include "common/id_map.h"
#include "model/events.h"
#include "model/position_events.h"
#include "trading/capital_events.h"
#include "trading/kernel.h"
#include "trading/spread.h"

namespace nacre {

struct EquitySample {
  UnixNanos ts;
  Money balance;     // sum of account balances (premiums, charges, settlement, futures P&L)
  Money unrealized;  // unrealized P&L of open positions at their marks
  // What open positions add to the balance (portfolio/accounting.h): mark value of options
  // (long +, short −), unrealized P&L of futures-style instruments.
  Money open_value;
  Money equity() const { return balance + open_value; }
};

// Capital after one closed trade.
struct CapitalPoint {
  UnixNanos ts;
  std::string trade_id;
  Money previous;
  Money pnl;  // realized, net of charges
  Money capital;
};

// Buy-and-hold of an index over the run, scaled to the starting balance: the starting balance
// at the index's first price, then balance × close / first at each IST day's close.
struct BenchmarkSeries {
  InstrumentId instrument;
  std::vector<std::pair<UnixNanos, Money>> points;
};

// A spread's legs as one line of text (for spread_results.csv and report.html).
std::string SpreadLegsText(const SpreadEvent& e);

struct ResultsRecorderConfig {
  DurationNs equity_interval = 60 * kNanosPerSecond;  // 0: every data timestamp
};

class ResultsRecorder {
 public:
  explicit ResultsRecorder(Kernel& kernel, ResultsRecorderConfig config = {});
  ~ResultsRecorder();
  ResultsRecorder(const ResultsRecorder&) = delete;
  ResultsRecorder& operator=(const ResultsRecorder&) = delete;

  // Takes the last equity sample and closes the last day. Call once after Run().
  void Finish();

  const std::vector<OrderFilled>& fills() const { return fills_; }
  const std::vector<EquitySample>& equity() const { return equity_; }
  const std::vector<DailyPnl>& days() const { return days_; }
  Money starting_balance() const { return starting_balance_; }
  Money total_charges() const { return total_charges_; }
  Money total_realized() const { return total_realized_; }  // gross of charges
  Statistics statistics() const;
  // Final state of every spread (its last SpreadEvent), in the order they first appeared.
  const std::vector<SpreadEvent>& spreads() const { return spreads_; }
  // Capital after each close: the CapitalUpdated events when any were published, else derived
  // from the starting balance and each CLOSED/FAILED spread's realized P&L.
  std::vector<CapitalPoint> CapitalCurve() const;
  // Empty when the run had no spreads.
  std::optional<SpreadStatistics> spread_statistics() const;
  // When each spread (same order as spreads()) was first seen: its entry attempt.
  const std::vector<UnixNanos>& spread_first_seen() const { return spread_first_seen_; }
  // The benchmark: the index the run traded (the underlying of its first fill's instrument,
  // or that instrument when it is an index) when the run had that index's data, else the only
  // index with data; empty when neither.
  std::optional<BenchmarkSeries> Benchmark() const;

  // Writes every file into `dir` (created if missing). Errors name the file.
  Status WriteFolder(const std::string& dir) const;

  // Individual files (also used by tests).
  std::string OrdersCsv() const;
  std::string FillsCsv() const;
  std::string PositionsCsv() const;
  std::string AccountCsv() const;
  std::string EquityCsv() const;
  Status WriteEquityCsv(const std::string& path) const;  // the same text, streamed to a file
  std::string StatisticsJsonText() const { return StatisticsJson(statistics()); }
  std::string DailyPnlCsv() const;
  // spread_results.csv: one row per spread (final state), with the capital after its close.
  std::string SpreadsCsv() const;
  std::string ReportHtml() const;

 private:
  // The data engine's watch: data time reached `ts` (a new day or equity interval); returns
  // the next point to be told of.
  UnixNanos OnDataTime(UnixNanos ts);
  // An index's price at `ts`.
  void Track(const InstrumentId& id, UnixNanos ts, std::int64_t price_raw);
  void TakePendingSample();
  void OnFill(const OrderFilled& fill);
  void OnPosition(const PositionEvent& e);
  void OnSpread(const SpreadEvent& e);
  void Sample(UnixNanos ts);
  void RollTo(const CivilDate& date);
  void CloseDay();

  Kernel& kernel_;
  ResultsRecorderConfig config_;
  std::vector<SubscriptionId> subs_;
  std::optional<std::int64_t> sampled_bucket_;  // interval of the last sample armed
  std::optional<UnixNanos> pending_sample_;      // data time whose sample's alert is armed
  Money starting_balance_;
  bool started_ = false;
  std::vector<OrderFilled> fills_;
  std::vector<EquitySample> equity_;
  std::vector<DailyPnl> days_;
  // The day being accumulated.
  std::optional<CivilDate> day_;
  Money day_realized_;
  Money day_charges_;
  Money prev_unrealized_;  // at the previous day's close
  Money total_charges_;
  Money total_realized_;
  // Per position id: realized + commissions as of its last event (this cycle).
  std::map<PositionId, Money> gross_by_position_;
  // Why an order was denied or rejected (last reason per order).
  std::map<ClientOrderId, std::string> reasons_;
  // Spreads: final state by first appearance, and the closes in the order they happened.
  std::vector<SpreadEvent> spreads_;
  std::map<SpreadId, std::size_t> spread_index_;
  // ts, spread id and P&L of each first CLOSED/FAILED event (capital filled in on output).
  std::vector<CapitalPoint> spread_closes_;
  std::vector<CapitalUpdated> capital_updates_;
  std::vector<UnixNanos> spread_first_seen_;
  // Index prices (raw, scale 10^9): first seen, latest, and each IST day's close.
  struct IndexTrack {
    InstrumentId id;
    UnixNanos first_ts;
    std::int64_t first_raw = 0;
    UnixNanos last_ts;
    std::int64_t last_raw = 0;
    std::vector<std::pair<UnixNanos, std::int64_t>> closes;
  };
  std::vector<IndexTrack> indexes_;
  UnixNanos run_start_;
  UnixNanos run_end_;
  bool finished_ = false;
};

// Makes `dir` ready for a run's results before the run starts (kInvalidInput naming the path
// when it cannot be): it is created if missing and must be a writable directory. A folder
// that already holds files is refused (they may be a previous run's results, which the new run
// would mix with) unless `force`; with `force` a previous results folder (one holding
// stats.json) is emptied first (kept as it is with `keep`: a trading node sorts a restart's
// earlier results itself), and a folder holding anything else is still refused, never
// cleared.
Status PrepareResultsFolder(const std::string& dir, bool force, bool keep = false);

}  // namespace nacre
