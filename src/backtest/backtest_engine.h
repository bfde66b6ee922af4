// BacktestEngine: runs strategies over historical data on a Kernel with a TestClock and
// simulated venues. In-memory data (AddBars/AddQuotes/AddTrades) is sorted by (ts_init,
// insertion sequence) with a stable sort; streams (AddStream, e.g. a catalog reader) are
// pulled chunk by chunk and merged with it by (ts_init, source, sequence): in-memory data
// first at equal timestamps, then streams in the order added. So equal timestamps keep their
// load order, every run is identical, and streamed data never sits in memory beyond one
// chunk per stream. Each data point goes through the kernel's EventLoop (RunData): venue
// deliveries (commands arriving after their latency) and timers due by its time run first,
// then the venues match resting orders against it and the data engine publishes it, as one
// handler; commands strategies send meanwhile run right after it. Kernel thread only.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/data_coverage.h"
#include "persistence/data_stream.h"
#include "trading/kernel.h"
#include "venue/simulated_exchange.h"

namespace nacre {

struct BacktestVenueConfig {
  SimulatedVenueConfig venue;  // venue, account and (simple model) bar fill mode
  // Set: the venue is the realistic NSE SimulatedExchange (its venue and account_id are taken
  // from `venue`); unset: the same exchange in its simple configuration
  // (SimulatedExchangeConfig::Simple).
  std::optional<SimulatedExchangeConfig> exchange;
  AccountType account_type = AccountType::kMargin;
  Money starting_balance = Money::FromInt(1'000'000);
};

struct BacktestResult {
  UnixNanos start;
  UnixNanos end;
  std::uint64_t data_points = 0;
  std::uint64_t bars = 0;
  std::uint64_t quotes = 0;
  std::uint64_t trades = 0;
  std::uint64_t orders = 0;
  std::uint64_t orders_filled = 0;
  std::uint64_t orders_denied = 0;
  std::uint64_t orders_rejected = 0;
  std::uint64_t orders_canceled = 0;
  std::uint64_t orders_open = 0;
  std::uint64_t fills = 0;
  std::uint64_t round_trips = 0;  // position cycles closed
  std::uint64_t winners = 0;
  std::uint64_t losers = 0;
  std::uint64_t breakeven = 0;  // closed at exactly zero P&L
  Money starting_balance;
  Money realized_pnl;
  Money unrealized_pnl;
  Money commissions;
  Money final_balance;
  // What open positions add to the balance: mark value of options (premium style: their
  // premium already moved the balance), unrealized P&L of other instruments.
  Money open_value;
  Money final_equity;       // final_balance + open_value
  double wall_seconds = 0;  // run phase only
  double events_per_second = 0;

  // Deterministic summary table (no wall-clock figures).
  std::string Summary() const;
  // Throughput line (wall-clock; differs run to run).
  std::string Throughput() const;
};

// Builds the simulated exchange a [[venues]] entry describes (the NSE model, or the simple one)
// and attaches it to `kernel`: the loop, the instruments known so far, the execution client
// of its venue and its account (managed by the portfolio). A backtest's venues and a
// sandbox node's venues are built here. `hours`: trading hours (not owned; may be null).
Result<SimulatedExchange*> AttachSimulatedVenue(Kernel& kernel, const BacktestVenueConfig& config,
                                                const MarketHours* hours);

// One data item as every environment delivers it (a backtest, a sandbox node): the venues match
// resting orders against it first (each venue that wants all data, or the item's own venue),
// then the data engine publishes it. Call from inside one loop handler.
void DeliverMarketData(const std::vector<MatchingVenue*>& venues, DataEngine& data_engine,
                       const MarketData& point);
// The same venues see the item's prices with nothing matched (MatchingVenue::SeeMarket).
void SeeMarketData(const std::vector<MatchingVenue*>& venues, const MarketData& point);

class BacktestEngine {
 public:
  explicit BacktestEngine(KernelConfig config = {});
  ~BacktestEngine();

  Kernel& kernel() { return *kernel_; }
  // Why the last run's kernel did not start (ok when it did).
  const Status& start_status() const { return start_status_; }
  Status AddVenue(const BacktestVenueConfig& config);
  SimulatedExchange* exchange(const Venue& v);
  void AddInstrument(const Instrument& instrument);
  void AddBars(const std::vector<Bar>& bars);
  void AddQuotes(const std::vector<QuoteTick>& quotes);
  void AddTrades(const std::vector<TradeTick>& trades);
  // A time-ordered source opened afresh at each Run (so Reset + Run repeats the run).
  using DataStreamFactory = std::function<Result<std::unique_ptr<DataStream>>()>;
  // `contents` says what the stream holds (series and their ranges, e.g. from a catalog's
  // file names; a single series of unknown range is dated by the stream's first item in the
  // run). Without it the run's data is undescribed and components skip their data checks.
  void AddStream(DataStreamFactory open,
                 std::optional<std::vector<DataSeries>> contents = std::nullopt);
  // A stream usable for one Run only (a second Run reports an error in data_status()).
  void AddStream(std::unique_ptr<DataStream> stream);
  // Names where the run's start/end come from in start-check messages (e.g. the config file
  // and keys).
  void SetRangeNote(std::string note) { range_note_ = std::move(note); }
  // What the last Run's data held, as its components saw it at start (nullptr when a stream
  // was undescribed).
  const DataCoverage* data_coverage() const { return coverage_described_ ? &coverage_ : nullptr; }
  // Items pulled from each stream per chunk.
  void SetStreamChunkSize(std::size_t n) { stream_chunk_ = n == 0 ? 1 : n; }
  // The first stream error of the last Run (opening or reading); the run stops at it.
  const Status& data_status() const { return data_status_; }
  Status AddStrategy(std::unique_ptr<Strategy> strategy);
  Status AddActor(std::unique_ptr<Actor> actor);
  // Trading hours and holidays the risk engine enforces (orders outside are denied with
  // MARKET_CLOSED). The engine owns it; without one every time is open.
  void SetMarketHours(std::unique_ptr<MarketHours> hours);

  // Where a run is, for a progress bar: data points done and, when known, the total (in-memory
  // data); otherwise the simulated time reached within [from, to] (catalog streams with a run
  // end; `to` is zero when the run has none).
  struct RunProgress {
    std::uint64_t done = 0;
    std::uint64_t total = 0;  // 0: unknown
    UnixNanos now;
    UnixNanos from;
    UnixNanos to;
    bool finished = false;
    // The fraction done, from the count when the total is known, else from the time; < 0 when
    // neither is known.
    double Fraction() const;
  };
  // Called every `every` data points during Run, and once at the end.
  void SetProgressCallback(std::function<void(const RunProgress&)> cb,
                           std::uint64_t every = 65536) {
    progress_ = std::move(cb);
    progress_every_ = every == 0 ? 1 : every;
  }

  // Runs over [start, end] (whole data when unset). Can be called once per Reset().
  BacktestResult Run(std::optional<UnixNanos> start = {}, std::optional<UnixNanos> end = {});
  // Clears orders, positions, account state and venue state; keeps data, instruments,
  // strategies, actors and venues, so the same run can be repeated.
  void Reset();

 private:
  using DataPoint = MarketData;
  static UnixNanos TsInit(const DataPoint& d);
  template <typename T>
  void Append(const std::vector<T>& items);
  void SortData();
  // The in-memory data's series, whatever the range (memory_spans_, kept as data is added:
  // a run, and every repeat of it, reads them instead of scanning the data).
  void AddMemoryCoverage();
  void Process(const DataPoint& d);
  BacktestResult Collect(UnixNanos start, UnixNanos end, std::uint64_t n, double secs);

  KernelConfig config_;
  Status start_status_ = Status::Ok();
  std::unique_ptr<MarketHours> market_hours_;  // outlives the kernel that points to it
  std::unique_ptr<Kernel> kernel_;
  TestClock* clock_ = nullptr;
  std::vector<BacktestVenueConfig> venue_configs_;
  std::vector<MatchingVenue*> venues_;
  std::vector<DataPoint> data_;
  // The first and last ts_init of each in-memory series, by (kind, id).
  std::map<std::pair<DataSeriesKind, std::string>, std::pair<UnixNanos, UnixNanos>> memory_spans_;
  std::vector<DataStreamFactory> streams_;
  std::vector<std::optional<std::vector<DataSeries>>> stream_contents_;  // per stream
  DataCoverage coverage_;
  bool coverage_described_ = false;
  std::string range_note_;
  std::size_t stream_chunk_ = 4096;
  Status data_status_;
  bool sorted_ = true;
  // Where data_'s time order breaks (a point earlier than the one before it): each position
  // starts a run in time order. With up to kMergeRuns breaks the runs are merged, not sorted
  // anew; one more noted means a sort.
  std::vector<std::size_t> run_starts_;
  static constexpr std::size_t kMergeRuns = 64;
  bool has_run_ = false;
  std::function<void(const RunProgress&)> progress_;
  std::uint64_t progress_every_ = 65536;
};

}  // namespace nacre
