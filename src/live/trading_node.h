// TradingNode (LIVE.md §4-§6, §9; issue 14): the same Kernel a backtest runs, on a live or
// scaled clock, driven by EventLoop::RunLive from an Inbox that data clients on their own
// threads feed. This is the sandbox environment: market data from ReplayDataClient (a Nacre
// catalog at the clock's pace), orders matched by a SimulatedExchange inside the node (the
// sandbox venue: its own ledger, latency and fill models, reports for reconciliation), whose
// ledger is kept in `state/{trader_id}/sandbox_venue.sqlite` across restarts.
//
// The journal (`state/{trader_id}/journal.sqlite`, persistence/journal.h) makes a crash lose
// nothing:
// - write-ahead: every command the execution engine routes is appended (with the order's
//   OrderInitialized the first time) and waits in the engine's outbox; every order event the
//   engine applies is appended. At the end of each loop iteration the node saves the sandbox
//   venue's ledger (when anything was journaled), snapshots the strategies' and actors' state
//   (Trader::SaveAll), commits the group (one fsync) and only then releases the outbox.
// - fail-stop: a journal error drops the outbox (its intents are not durable), sets trading
//   HALTED with the reason and sends nothing more; data keeps flowing.
// - recovery, before the kernel starts: the sandbox ledger is restored; the journal's entries
//   are replayed (orders rebuilt from their OrderInitialized, events applied through the
//   execution engine, so positions and fills come back); the latest snapshot is loaded into
//   the strategies and actors (before their on_start); order id counters continue; the clock
//   resumes at the journal's last time (a scaled clock), so replayed data never goes back,
//   and replayed data delivered at exactly that time before (the snapshot's `data`) gives the
//   cache and the venues its prices again (matched only against orders that arrived or were
//   modified since, never taking displayed size twice) and no strategy sees it twice. An
//   order the journal holds as sent or about to be sent that the restored ledger lacks was
//   lost in flight with the old process (the sandbox venue's in-flight commands die with it)
//   and is rejected with that reason. Then Kernel::Start reconciles with the venue's reports:
//   a mismatch leaves trading HALTED with the reason while data keeps flowing.
//
// Start-up (Run): state folder and journal lock (a second node on the same trader is refused),
// recovery, the kernel's phased start (connect, reconcile, portfolio, trader) with the node's
// waits (LIVE.md §5): every client connected within connect_timeout (else the node stops with
// the error), a price for every open position within portfolio_timeout (else trading stays
// HALTED, data flows, and `nacre ctl reconcile` reruns the start). Stop: a signal
// (RequestStop from any thread), the configured end time, or the replayed data running out.
// Shutdown: strategies and actors stop (their timers are cancelled), working orders are
// cancelled (or left, or cancelled and every position flattened, per on_stop) while the loop
// keeps running for up to `stop_wait` of wall time, spreads in flight and open positions are
// reported, a final snapshot, a clean-stop mark in the journal, the results folder.
// Thread contract: construction, configuration and Run on one thread (the kernel thread);
// RequestStop and inbox() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "backtest/backtest_engine.h"
#include "backtest/results_recorder.h"
#include "common/inbox.h"
#include "live/control_socket.h"
#include "live/kill_switch.h"
#include "live/replay_data_client.h"
#include "live/sandbox_state.h"
#include "persistence/journal.h"
#include "trading/kernel.h"
#include "venue/simulated_exchange.h"

namespace nacre {

struct NodeSettings {
  std::string environment = "sandbox";
  // The node's files go in {state_dir}/{trader_id}/.
  std::string state_dir = "state";
  // replay: the kernel's time is the replayed data's (each item's ts moves a simulated
  //   clock, as in a backtest: timers and latencies fall exactly where a backtest puts them),
  //   the data paced at `speed` against the wall; scaled: a live clock running `speed` times
  //   faster than the wall from `start` (the data arrives when that clock reaches it);
  //   real: the system clock.
  enum class ClockMode : std::uint8_t { kReplay, kScaled, kReal };
  ClockMode clock = ClockMode::kReplay;
  UnixNanos start;     // the first market time (a fresh journal)
  double speed = 1.0;  // virtual seconds per wall second; 0 with replay: as fast as it goes
  // scaled: the steady wall time (SteadyNow) at which `start` held, when the clock comes from
  // elsewhere (the Kite emulator's): the node's clock continues it from then.
  std::optional<UnixNanos> start_wall;
  // scaled: market time runs through these sessions only (the emulator's skip_closed clock).
  std::optional<TradingSessions> sessions;
  std::optional<UnixNanos> end;  // stop when the clock reaches it
  bool stop_when_data_ends = true;
  // At stop: working orders cancelled, left working, or cancelled and every position closed
  // by the kill switch's flatten.
  enum class OnStop : std::uint8_t { kCancel, kLeave, kFlatten };
  OnStop on_stop = OnStop::kCancel;
  DurationNs stop_wait = 10 * kNanosPerSecond;  // wall time waited for cancels at stop
  // The start's waits ([node.timeouts], wall time): every client connected (past it the node
  // stops with an error), a price for every open position (past it trading stays HALTED).
  DurationNs connect_timeout = 60 * kNanosPerSecond;
  DurationNs portfolio_timeout = 10 * kNanosPerSecond;
  DurationNs snapshot_interval = 300 * kNanosPerSecond;  // clock time between snapshots
  DurationNs results_interval = 0;  // clock time between results folder writes (0: at stop)
  std::string results_dir;          // empty: no results folder
  ResultsRecorderConfig results;    // [output] equity_interval_secs
  JournalSync journal_sync = JournalSync::kFull;
  std::string config_hash;  // recorded with each run
  bool exit_on_start_failure = false;
};

struct NodeRunResult {
  Status status = Status::Ok();  // an error: the node could not run (journal, recovery)
  Status start_status = Status::Ok();  // the kernel's start (not ok: trading stayed HALTED)
  std::string stop_reason;
  bool recovered = false;             // the journal held an earlier run
  std::int64_t entries_replayed = 0;  // journal entries applied at recovery
  std::size_t lost_in_flight = 0;     // orders rejected at recovery as never received
  std::int64_t journal_commits = 0;
  std::int64_t journal_entries = 0;  // appended this run
  std::uint64_t data_items = 0;
  UnixNanos resumed_at;  // the clock's first time this run
  UnixNanos stopped_at;
  // Spreads still being built, closed or unwound at stop (their books are saved and resume
  // after a restart), one line each; and the positions left open.
  std::vector<std::string> spreads_in_flight;
  std::vector<std::string> open_positions;
};

class TradingNode {
 public:
  TradingNode(NodeSettings settings, const KernelConfig& kernel_config);
  ~TradingNode();
  TradingNode(const TradingNode&) = delete;
  TradingNode& operator=(const TradingNode&) = delete;

  Kernel& kernel() { return *kernel_; }
  Inbox& inbox() { return inbox_; }
  const NodeSettings& settings() const { return settings_; }
  Clock& clock() { return kernel_->clock(); }

  // The sandbox execution client of one venue: a SimulatedExchange (the NSE model or the
  // simple one) with the account, as a backtest's [[venues]] entry describes it.
  Status AddSandboxVenue(const BacktestVenueConfig& config);
  SimulatedExchange* sandbox_venue(const Venue& venue);
  // A broker's execution client (live: the Zerodha adapter), with its account. Its I/O threads
  // reach the kernel through inbox() (KernelTask); its Connect() may return before it is
  // connected (the start waits up to connect_timeout).
  Status AddExecutionClient(std::unique_ptr<ExecutionClient> client, AccountType account_type,
                            Money starting_balance);
  void AddInstrument(const Instrument& instrument);
  // Keeps `thing` alive until the node's clients are gone (an adapter's shared REST client).
  void Own(std::shared_ptr<void> thing) { owned_.push_back(std::move(thing)); }
  // Runs `fn` first when the node is destroyed, while the kernel and everything it owns are
  // still whole: an adapter stops there the threads of its own that read the kernel (its
  // clock), which would otherwise run on while the kernel is taken apart. In the order added.
  void OnTeardown(std::function<void()> fn) { teardown_.push_back(std::move(fn)); }
  // A replay data client fed on its own thread (started by the kernel's connect phase).
  void AddReplayClient(ReplayDataConfig config);
  // Any other data client (it feeds the inbox from its own threads; Connect may return before
  // it is connected: the start waits up to connect_timeout for is_connected()).
  void AddDataClient(std::unique_ptr<DataClient> client);
  void SetMarketHours(std::unique_ptr<MarketHours> hours);
  Status AddStrategy(std::unique_ptr<Strategy> strategy);
  Status AddActor(std::unique_ptr<Actor> actor);

  // Runs until stopped (see the file comment). Once per node.
  NodeRunResult Run();
  // Asks the node to stop after the current batch (any thread; a signal's handler thread).
  void RequestStop(const std::string& reason);

  // Replaces the results folder set by the config (the CLI's --out); before Run.
  void SetResultsDir(std::string dir) { settings_.results_dir = std::move(dir); }
  // A kernel that cannot start (e.g. reconciliation finds a mismatch) stops the node at once
  // instead of leaving it up with trading HALTED and data flowing.
  void SetExitOnStartFailure(bool on) { settings_.exit_on_start_failure = on; }
  void SetOnStop(NodeSettings::OnStop on_stop) { settings_.on_stop = on_stop; }
  // Where the node is, for a progress line: data items dispatched, the clock's time and, when
  // an end is set, the fraction of [resumed, end] done. Called about once per minute of clock
  // time, and at the end.
  struct Progress {
    std::uint64_t data_items = 0;
    UnixNanos now;
    double fraction = -1;  // < 0: unknown
    bool finished = false;
  };
  void SetProgressCallback(std::function<void(const Progress&)> cb) { progress_ = std::move(cb); }

  // The kill switch (null before Run); the control socket's path.
  KillSwitch* kill_switch() { return kill_switch_.get(); }
  std::string control_socket_path() const;
  std::string kill_file_path() const;

  // After Run: the journal's path, the recorder (null without a results folder).
  std::string journal_path() const;
  const ResultsRecorder* recorder() const { return recorder_.get(); }

 private:
  Status OpenState();
  // The kernel's start with the node's waits (Kernel::SetStartGate), then its journaling.
  Status StartKernel();
  Status StartGate(Kernel::StartPhase phase);
  // Turns the loop until `ready` holds (true) or `timeout` of wall time passes or the node is
  // asked to stop (false); checked after every iteration. No turn when it holds already.
  bool PumpUntil(const std::function<bool()>& ready, DurationNs timeout);
  // The loop until it is told to break (a stop, a wait's end, a reconcile request).
  void RunLoop();
  void MarkStop(const std::string& reason);
  // `nacre ctl reconcile`, served between two runs of the loop.
  void ServeReconcile(NodeRunResult& result);
  void ReportAtStop(NodeRunResult& result);
  Status Recover(NodeRunResult& result);
  std::size_t RejectLostInFlight();
  // Each strategy's order ids continue past the highest its cached orders used.
  void ContinueOrderIds();
  // What the trader saves right after loading `saved` equals it, key by key (the error names
  // the first component and key that differ).
  Status CheckRestored(const std::map<std::string, SavedState>& saved);
  void WireLoop();
  void OnData(const MarketData& d);
  // The iteration hook: venue save, snapshot, commit, release. True when work is left.
  bool EndIteration();
  Status RecordCommand(const TradingCommand& cmd);
  void RecordEvent(const OrderEvent& event);
  // Appends `order`'s OrderInitialized once.
  Status RecordInit(const Order& order);
  Status Append(const JournalEntry& entry);
  Status SaveSnapshot();
  Status SaveVenues();
  void JournalFailed(const Status& why);
  void Shutdown(NodeRunResult& result);
  Status WriteResults();
  // A restarted node's results folder: the earlier run's files moved to earlier/run-{n}/; a
  // fresh node's emptied (PrepareResultsFolder).
  Status KeepEarlierResults(bool recovered);
  void ScheduleTimers();

  NodeSettings settings_;
  std::unique_ptr<MarketHours> market_hours_;  // outlives the kernel that points to it
  std::unique_ptr<Kernel> kernel_;
  ScaledClock* scaled_ = nullptr;       // the kernel's clock (scaled mode)
  TestClock* replay_clock_ = nullptr;   // the kernel's clock (replay mode)
  std::unique_ptr<ScaledClock> pacing_;  // paces the feeders (replay mode)
  // The clock other threads may read (feeders, the control socket, RequestStop).
  const Clock& ThreadSafeClock() const;
  Inbox inbox_;
  std::vector<std::shared_ptr<void>> owned_;  // destroyed after the kernel (see ~TradingNode)
  std::vector<std::function<void()>> teardown_;  // run first in ~TradingNode
  std::vector<MatchingVenue*> venues_;
  std::vector<SimulatedExchange*> exchanges_;
  std::vector<ReplayDataClient*> replay_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<SandboxStateStore> venue_store_;
  std::unique_ptr<ResultsRecorder> recorder_;
  std::set<ClientOrderId> journaled_inits_;
  // OTO children whose own SubmitOrder the journal holds (released by their parent's fill).
  std::set<ClientOrderId> released_children_;
  std::int64_t pending_entries_ = 0;  // appended since the last commit
  bool snapshot_due_ = false;
  bool results_due_ = false;
  bool journal_failed_ = false;
  // ExecutionEngine::held_changes() when the last snapshot was saved.
  std::uint64_t held_saved_ = 0;
  bool end_passed_at_start_ = false;  // stop once started (reconciled), not before
  std::atomic<bool> stop_{false};
  // What the loop runs until: a stop, the end of a start wait, a reconcile request.
  std::atomic<bool> loop_break_{false};
  const std::function<bool()>* wait_ready_ = nullptr;
  std::chrono::steady_clock::time_point wait_deadline_;
  std::optional<ControlRequest> reconcile_request_;
  std::string stop_reason_;
  std::mutex stop_mu_;
  bool ran_ = false;
  std::int64_t commits_ = 0;
  std::int64_t appended_ = 0;
  std::function<void(const Progress&)> progress_;
  // The kill switch (LIVE.md §11): `nacre ctl` over {state}/{trader}/control.sock (0600) and
  // the kill file {state}/KILL, checked about once a wall second.
  std::unique_ptr<KillSwitch> kill_switch_;
  std::unique_ptr<ControlServer> control_;
  UnixNanos progress_at_;
  UnixNanos resumed_at_;
  UnixNanos resume_at_;  // where the clock starts this run (recovery sets it)
  // Replayed data delivered at its latest time, named in the snapshot (ReplayKey: how many of
  // each) so a restart resuming at that time passes over them (OnData): the previous run's
  // (when this one resumed then) and this run's items; and those still to pass over, at
  // redeliver_ts_.
  UnixNanos data_ts_;
  std::map<std::string, std::uint32_t> data_seen_;
  std::vector<MarketData> data_at_ts_;
  UnixNanos redeliver_ts_;
  std::map<std::string, std::uint32_t> redelivered_;
  // The daily loss limits' baseline from the snapshot: (IST day, P&L).
  std::optional<std::pair<std::int64_t, Money>> risk_baseline_;
  void ReportProgress(bool finished);
  // Crash drills (LIVE.md §12): NACRE_FAILPOINT=name:n kills the process (SIGKILL) the n-th
  // time the node passes `name`: before_commit (entries appended, not durable),
  // after_intent_commit (a command durable, not yet sent), after_send (sent, its answer not
  // yet journaled), after_venue_save (the venue's ledger saved, the journal not committed).
  void Failpoint(const char* name);
  std::string failpoint_;
  std::int64_t failpoint_left_ = 0;
};

}  // namespace nacre
