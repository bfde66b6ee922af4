// ExecutionEngine: routes trading commands (already checked by the RiskEngine) to execution
// clients by explicit client id or by the instrument's venue; applies every order event to
// its order in the Cache (refusing and logging illegal transitions, keeping fills for unknown
// orders as orphans); owns NETTING positions (one per instrument and strategy, a flipping fill
// split in two, a closed position snapshotted before it reopens); handles contingent order
// lists (OTO, OCO, OUO); and publishes order and position events per strategy.
// Kernel thread only.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/actor.h"
#include "execution/execution_client.h"
#include "execution/reconciler.h"
#include "model/position_events.h"

namespace nacre {

class ExecutionEngine : public Component, public ExecutionEventSink {
 public:
  ExecutionEngine(MessageBus& bus, Cache& cache, Clock& clock, Logger& logger,
                  UuidGenerator& uuids);
  ~ExecutionEngine() override;

  void RegisterClient(std::unique_ptr<ExecutionClient> client);
  ExecutionClient* client(const ClientId& id);
  ExecutionClient* ClientForVenue(const Venue& venue);
  // The client a report came from, else the venue's: the one asked for what the report leaves
  // to its client (an inferred fill's charges).
  ExecutionClient* ReportingClient(const ClientId& reporter, const Venue& venue);
  std::vector<ExecutionClient*> clients();

  void Execute(const TradingCommand& cmd);
  void Process(const OrderEvent& event);
  void OnOrderEvent(const OrderEvent& event) override {
    Guard("event", [&] { Process(event); });
  }
  // Called when a command or event handler throws (the engine is FAULTED by then): the
  // kernel halts trading with the reason. Cancels still route, so positions can be flattened.
  void SetFaultHandler(std::function<void(const std::string&)> h) { fault_handler_ = std::move(h); }
  std::uint64_t fault_count() const { return faults_; }
  void OnAccountState(const AccountState& state) override;
  void OnOrderStatusReport(const OrderStatusReport& report, const std::vector<FillReport>& fills,
                           const ClientId& reporter) override;

  // In-flight check (LIVE.md §8): every `interval`, an order SUBMITTED or PENDING_* whose last
  // event is older than `threshold` is queried at its client (QueryOrder), at most once per
  // threshold. The answer arrives as an OrderStatusReport and is reconciled; a timeout alone
  // never changes an order. interval 0 turns it off (the default; backtests need none).
  Status EnableInflightCheck(DurationNs interval, DurationNs threshold);
  // Runs one check now (the timer's body); returns the queries sent.
  std::size_t CheckInflight();
  std::uint64_t inflight_query_count() const { return inflight_queries_; }
  // Empty, or why new orders on `id` are blocked: an order of it still unresolved after the
  // in-flight check's queries (its fate unknown, so nothing more goes out on it).
  std::string UnresolvedOn(const InstrumentId& id) const;

  // Reconciles the kernel's orders and positions with one client's reports (reconciler.h).
  ReconcileResult Reconcile(const ExecutionMassStatus& status, bool complete = true);
  // Start-up reconciliation: every client's mass status; the first failure's Status (ok when
  // every client reconciles clean).
  // `resend_cancels`: the start after a restart (Kernel::Start) sends again the cancels the
  // journal left pending; a running node's reconciliation (`nacre ctl reconcile`) does not.
  Status ReconcileAtStart(bool resend_cancels = true);
  void set_trader_id(const TraderId& id) { trader_id_ = id; }

  // Write-ahead (a live node, LIVE.md §6). With `record` set, every command routed to a client
  // (except QueryOrder, which changes nothing at the venue) is first given to `record` (the
  // node appends it to its journal, durable at the next group commit) and its call to the
  // client waits in the outbox until ReleaseOutbox(), which the node calls once the commit
  // returned. A record that fails sends nothing: a submit is denied (JOURNAL_ERROR), any other
  // command is dropped with an error; the node halts trading. `on_event` sees each order event
  // the engine applied to an order (and each orphan fill), in order, before anything is
  // published about it.
  struct WriteAhead {
    std::function<Status(const TradingCommand&)> record;
    std::function<void(const OrderEvent&)> on_event;
  };
  void SetWriteAhead(WriteAhead w) { write_ahead_ = std::move(w); }
  // While suspended, applied events rebuild orders and positions and contingent lists do not
  // act on them (an OTO parent's fill releases no child, an OCO fill cancels no peer), nor is
  // an order acknowledged while its cancel or modify travels set pending again. For a
  // journal's replay (TradingNode::Recover: what they did then is in the journal, and acting
  // again would send commands it never records) and for the orders reconciliation expires
  // with a previous day (an OCO peer's cancel would go to a venue that no longer has it).
  // Returns the previous setting (to restore it).
  bool SuspendContingencies(bool suspended) {
    return std::exchange(contingencies_suspended_, suspended);
  }
  // Suspends them for its lifetime, then restores the previous setting.
  class ContingenciesSuspended {
   public:
    explicit ContingenciesSuspended(ExecutionEngine& engine)
        : engine_(engine), was_(engine.SuspendContingencies(true)) {}
    ContingenciesSuspended(const ContingenciesSuspended&) = delete;
    ContingenciesSuspended& operator=(const ContingenciesSuspended&) = delete;
    ~ContingenciesSuspended() { engine_.SuspendContingencies(was_); }

   private:
    ExecutionEngine& engine_;
    bool was_;
  };
  // The reconciler's record of venue trades recognised as what an inferred fill stood for:
  // true the first time this process meets `trade` on `order` (its warning is said once).
  bool NoteExplainedTrade(const ClientOrderId& order, const TradeId& trade) {
    return explained_trades_.emplace(order, trade).second;
  }
  // Once a process, at the end of the first start that succeeded (ReconcileAtStart with
  // `resend_cancels`), before the strategies start, with trading as the start left it: each
  // contingent list is acted on as its orders' states call for where that was not done (the
  // process died between the fill it acted on and its consequence's send): an OTO child still
  // held by a filled parent is released, an OCO or OUO peer cancelled or reduced. A list that
  // stands as called for gets nothing.
  void ReassertContingencies();
  // The check itself (ReconcileAtStart after each venue's reconciliation without releasing
  // children, failed or not; KiteReconnectWatch after a reconciliation that read the venue's
  // day again: a peer's cancel Kite refused, say while the session expired, is sent again):
  // returns how many peers were acted on.
  // `venue`: only the lists whose trigger trades there. No child is released while a start
  // is under way (StartUnderWay).
  std::size_t ActOnContingentLists(bool release_children,
                                   const std::optional<Venue>& venue = std::nullopt);
  // Whether trading is HALTED (the kernel passes on the risk engine's state changes, after
  // every other subscriber). While it is, an OTO child a filled parent calls for is held, never
  // sent, rather than denied by the halt for good (a stop-loss child would leave its position
  // unprotected). When trading is no longer HALTED each child held is released through the
  // risk engine, unless it was cancelled meanwhile (a cancel-all or flatten) or its release is
  // refused (LateReleaseRefusal: cancelled, with an ERROR).
  void SetTradingHalted(bool halted);
  // The OTO children held while trading was HALTED, still unsent, each with whether it must
  // still reduce its position when released (MustStillReduce when it was held): what a node
  // snapshots so a restart decides their release as this process would have.
  struct HeldChild {
    ClientOrderId id;
    bool must_reduce = false;
  };
  std::vector<HeldChild> HeldWhileHalted() const;
  // Counts every change of what is held (a node snapshots again when it moved).
  std::uint64_t held_changes() const { return held_changes_; }
  // A restart's recovery, from the snapshot: the child (INITIALIZED, of a filled parent) is
  // held as it was, so the start's pass over the lists, or the resume after a halt that
  // outlived the restart, refuses it when it must reduce and no longer does. Ignored for an
  // order that is not such a child.
  void RestoreHeldWhileHalted(const HeldChild& held);
  // Between a restart's first reconciliation and the end of its first successful start: OTO
  // children a filled parent calls for are held (released by ReassertContingencies), so none
  // is denied by the start's halt or sent by a node that only reconciles and stops.
  // A node that recovered a journal (AwaitFirstStart) is under way from the recovery, so
  // nothing it does before its start (a new Kite session taken while it waits for its clients,
  // an operator's resume) releases a child against positions not yet reconciled.
  bool StartUnderWay() const {
    return await_first_start_ || (restart_pending_ && !restart_pending_->reasserted);
  }
  // Called by a node's recovery: no OTO child is released before the end of its first start.
  void AwaitFirstStart() { await_first_start_ = true; }
  // Forgets what belongs to a run's orders (a backtest's Reset: the next run's ids repeat).
  void ResetState() {
    released_.clear();
    restart_pending_.reset();
    explained_trades_.clear();
    last_query_.clear();
    venue_day_start_.clear();
    list_retries_.clear();
    halt_held_.clear();
    await_first_start_ = false;
    trading_halted_ = false;  // as the risk engine's own reset leaves it: ACTIVE
  }
  // How the engine cancels a contingent peer: PENDING_CANCEL (unless it is) and a CancelOrder;
  // an order never sent (INITIALIZED) is canceled locally; a closed one is left.
  void CancelPeer(const Order& peer);
  // Sends what waits in the outbox, in order; returns how many commands were sent.
  std::size_t ReleaseOutbox();
  // Forgets what waits (their intents were not made durable); returns how many.
  std::size_t DropOutbox();
  std::size_t outbox_size() const { return outbox_.size(); }

  std::uint64_t command_count() const { return commands_; }
  std::uint64_t event_count() const { return events_; }
  std::uint64_t refused_event_count() const { return refused_; }
  // Events that changed nothing, quietly: fills whose trade was already applied, and late
  // reports about orders that had moved on (a modify or cancel refused after a fill).
  std::uint64_t duplicate_fill_count() const { return duplicates_; }
  std::uint64_t stale_event_count() const { return stale_; }
  // What a venue's order report said that could not be applied (a fill past the venue's own
  // filled quantity, a filled quantity behind ours): each logged as an error.
  std::uint64_t report_mismatch_count() const { return report_mismatches_; }

 private:
  // Runs an endpoint's work; an exception stops here (never unwinding into a strategy).
  template <typename F>
  void Guard(const char* where, F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      Failed(where, e.what());
    } catch (...) {
      Failed(where, "unknown exception");
    }
  }
  void Failed(const char* where, const std::string& what);
  ExecutionClient* Route(const InstrumentId& id, const ClientId& explicit_client);
  void HandleFill(Order& order, const OrderFilled& fill);
  void ApplyToPosition(const Instrument& instrument, const OrderFilled& fill);
  void PublishPositionEvent(const PositionEvent& e, const StrategyId& strategy);
  // Position events of the fill being applied, published after the fill itself.
  void QueuePositionEvent(const PositionEvent& e);
  // An event the order refused: a duplicate, a stale report, an expected race or an error.
  void Refused(const Order& order, const OrderEvent& event, const Status& why);
  void HandleContingencies(const Order& order, const OrderEvent& event);
  void ReactToListState(const Order& order, bool refused);
  // ReactToListState for `id` `after` from now on the clock (again later while a modify of it
  // travels).
  void ArmListRetry(const ClientOrderId& id, DurationNs after);
  // A list member's attempts are counted afresh (its list's call met, a fresh fill's call made,
  // it closed): the count and any retry waiting are dropped.
  void ForgetListRetries(const ClientOrderId& id);
  // Whether a sibling's state calls for something on this list member not yet done.
  bool ListOwes(const Order& order);
  // An OTO child whose parent filled while trading is HALTED: kept to be released when it is
  // not (SetTradingHalted).
  void HoldWhileHalted(const Order& child);
  // The order `id` and its parent when it is an OTO child never sent (INITIALIZED) whose
  // parent filled, what a hold is kept for; {null, null} otherwise.
  std::pair<const Order*, const Order*> UnsentChildOfFilledParent(const ClientOrderId& id) const;
  // The entry for `id` in halt_held_, or null; ForgetHeld drops it (released or cancelled).
  const HeldChild* FindHeld(const ClientOrderId& id) const;
  void ForgetHeld(const ClientOrderId& id);
  // Why an OTO child released late (after a halt, or by a pass over the lists at a start or
  // reconnect) must not go: its parent filled before the venue's current day or on an earlier
  // IST day, or (`reduced_when_held`: MustStillReduce when it was held) it does not reduce its
  // position; empty when it may.
  std::string LateReleaseRefusal(const Order& parent, const Order& child,
                                 bool reduced_when_held) const;
  // Whether `child` reduces its position as it stands (the strategy's, or the order's own
  // position id): open, `child` on its closing side and no larger. Other working orders are
  // not counted: a child released at once is not checked against them either.
  bool ReducesItsPosition(const Order& child) const;
  // Whether a late release of `child` must find it reducing its position (LateReleaseRefusal):
  // it reduces it now, or it closes what its parent traded (its instrument, the other side).
  bool MustStillReduce(const Order& child) const;
  void SubmitReleased(const Order& child);
  // What `order`'s state calls for on its list peer (released, cancelled, reduced): `filled`,
  // its last event was a fill; `done`, it is closed. True when something was done, or with
  // `act` false, when something would be (nothing is done then).
  bool ActOnPeer(const Order& order, const Order& peer, bool filled, bool done, bool act = true);
  // What an OUO peer stands at once `order` filled what it did.
  static Quantity OuoTarget(const Order& order, const Order& peer);
  // An OUO peer's reduction: PENDING_UPDATE (when it can be) and a ModifyOrder to `target`.
  void ReducePeer(const Order& peer, Quantity target);
  // After a client's reconciliation at a start: cancels pending from before are sent again;
  // modifies pending from before that the venue lists as not applied are rejected.
  void ResendPendingCancels(const Venue& venue);
  void SettleLostModifies(const ExecutionMassStatus& ms);
  void Deny(const Order& order, const std::string& code, const std::string& message);
  MessageBus::TopicHandle OrderTopic(const StrategyId& id);
  MessageBus::TopicHandle PositionTopic(const StrategyId& id);
  MessageBus::TopicHandle AccountTopic(const AccountId& id);

  MessageBus& bus_;
  Cache& cache_;
  Clock& clock_;
  UuidGenerator& uuids_;
  Logger& logger_;
  TraderId trader_id_{"TRADER-001"};
  std::map<ClientId, std::unique_ptr<ExecutionClient>> clients_;
  std::map<Venue, ClientId> venue_clients_;
  std::unordered_map<StrategyId, MessageBus::TopicHandle, IdHash> order_topics_;
  std::unordered_map<StrategyId, MessageBus::TopicHandle, IdHash> position_topics_;
  std::unordered_map<AccountId, MessageBus::TopicHandle, IdHash> account_topics_;
  bool contingencies_suspended_ = false;
  // A modify pending at the stop, with the order's fields as they stood before it.
  struct StopModify {
    ClientOrderId id;
    Quantity quantity;
    std::optional<Price> price, trigger_price;
    bool operator==(const ClientOrderId& other) const { return id == other; }
  };
  // The orders PENDING_CANCEL or PENDING_UPDATE when the first start began (the journal's),
  // not yet resent or settled.
  struct RestartPending {
    std::vector<ClientOrderId> cancels;
    std::vector<StopModify> modifies;
    bool reasserted = false;
  };
  std::optional<RestartPending> restart_pending_;
  std::set<std::pair<ClientOrderId, TradeId>> explained_trades_;
  // OTO children released (SubmitReleased), so none is released twice.
  std::set<ClientOrderId> released_;
  // Per list member: how often its list's call was acted on again after a refusal or a late
  // acknowledgement (ReactToListState: at most three times in all; after a refusal 1, 2 or 4 s
  // later by the count so far; a pass over the lists starts the count again).
  std::map<ClientOrderId, int> list_retries_;
  bool trading_halted_ = false;
  // OTO children held because trading was HALTED when their parent filled (SetTradingHalted),
  // and whether each must still reduce its position when released (MustStillReduce); restored
  // from a node's snapshot at a restart (RestoreHeldWhileHalted).
  std::vector<HeldChild> halt_held_;
  std::uint64_t held_changes_ = 0;
  // Set by a node's recovery (and a hold restored from its snapshot): children wait for the
  // end of the first start (ReassertContingencies), which checks them against reconciled
  // positions, even if trading resumes before it (StartUnderWay).
  bool await_first_start_ = false;
  // Where each venue's day began, as its last mass status said (ExecutionMassStatus::day_start).
  std::map<Venue, UnixNanos> venue_day_start_;
  std::uint64_t commands_ = 0;
  std::uint64_t events_ = 0;
  std::uint64_t refused_ = 0;
  std::uint64_t report_mismatches_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t inflight_queries_ = 0;
  std::uint64_t faults_ = 0;
  std::function<void(const std::string&)> fault_handler_;
  DurationNs inflight_threshold_ = 0;
  static constexpr int kUnresolvedAfter = 5;  // queries before an order counts as unresolved
  struct InflightQuery {
    UnixNanos at;
    int count = 0;
  };
  std::unordered_map<ClientOrderId, InflightQuery, IdHash> last_query_;
  std::uint64_t stale_ = 0;
  std::vector<PositionEvent> position_events_;
  WriteAhead write_ahead_;
  std::vector<std::function<void()>> outbox_;
};

}  // namespace nacre
