// SpreadExecutor: works multi-leg spread orders for one strategy.
//
// Execution policy (SpreadExecPolicy):
// - Legs go in groups: with hedge_first, every buy leg is sent and filled before any sell leg
//   (opening a credit spread buys the wing first; closing buys back the short first), so the
//   venue's margin sees the hedge in place.
// - With a net limit, earlier groups are sent at the touch (ask for buys, bid for sells); the
//   last group is priced so the spread's net, given what earlier legs actually filled at, is
//   no worse than the limit (buys rounded down, sells up to the tick). Without one, market.
// - A limit leg unfilled after leg_timeout is re-priced from the current quotes (a careful
//   trader's chase, not a fixed step): a leg priced to meet the net limit moves from that
//   first price toward the touch, reaching it at the max_reprices-th re-price, and then stays
//   pegged to the touch for up to max_reprices more; a leg sent at the touch follows the touch.
//   An opening never concedes past max_slippage of its net limit (per spread unit, shared by
//   the legs of the group): it is abandoned when the touch lies beyond that bound after the
//   convergence, or when the spread at the touch is already worse than limit + slippage while
//   its hedges are still being bought. Past its re-prices an opening is abandoned (working
//   legs canceled, filled legs unwound at market when unwind_on_failure); a closing, after
//   converging to the touch, escalates the leg to a market order.
// - A rejected or denied opening leg fails the spread the same way; a refused or denied
//   closing (or unwinding) leg is retried with a backoff (policy.close_retry, doubling), not
//   sent while its market is closed, the spread staying CLOSING and alerting until flat.
// - An opening whose every leg filled is OPEN even if the abandon timer fired on the way
//   (the cancel crossed the last fill): a complete spread is never unwound.
// - A modify the venue or risk engine refuses puts the leg's price back to the order's.
// - Market legs carry market protection (policy) and time out like limits.
// Timers go through the strategy's lifecycle (SpreadOrderPort::SetAlert).
// Every spread keeps its own SpreadPosition; events go out through the port. Kernel thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

#include "common/cache.h"
#include "common/spread_tag.h"
#include "common/clock.h"
#include "core/fixed.h"
#include "trading/order_factory.h"
#include "trading/spread.h"

namespace nacre {

// What the executor needs from its strategy (implemented privately by Strategy).
class SpreadOrderPort {
 public:
  virtual ~SpreadOrderPort() = default;
  virtual OrderFactory& Factory() = 0;
  virtual const Order* Submit(std::unique_ptr<Order> order) = 0;
  virtual void Modify(const Order& order, Price price) = 0;
  virtual void Cancel(const Order& order) = 0;
  virtual const Cache& CacheRef() const = 0;
  virtual Clock& ClockRef() = 0;
  virtual void Emit(const SpreadEvent& event) = 0;
  // One-shot alerts under the strategy's lifecycle (not fired unless it runs, cancelled when
  // it stops, names freed when they fire).
  virtual Status SetAlert(const std::string& name, UnixNanos at, std::function<void()> fn) = 0;
  virtual void CancelAlert(const std::string& name) = 0;
  // Why `id`'s market is closed now (empty: open or unknown).
  virtual std::string ClosedReason(const InstrumentId& /*id*/) const { return {}; }
};

class SpreadExecutor {
 public:
  // `id_prefix` makes spread ids unique per strategy: "{prefix}-SP{n:04}".
  SpreadExecutor(SpreadOrderPort& port, std::string id_prefix);
  ~SpreadExecutor();

  Result<SpreadId> Open(const SpreadOrderSpec& spec);
  // Closes an open spread: legs reversed, same grouping rule. `net_limit` is the closing net
  // per spread unit (Σ buys − Σ sells; closing a credit spread is a positive debit).
  // `reason` (e.g. "profit target: ...") is carried by the spread's events from now on.
  Status Close(const SpreadId& id, std::optional<Price> net_limit = {},
               const SpreadExecPolicy& policy = {}, std::string reason = {});
  // Every order event of the owning strategy. Fills of orders the executor did not send, in
  // an expired instrument (the venue's cash settlement at expiry), are allocated to the
  // spreads holding it in creation order; a spread left flat is CLOSED ("settled at expiry").
  // Other events of other orders are ignored.
  void OnOrderEvent(const OrderEvent& event);

  const SpreadPosition* Find(const SpreadId& id) const;
  // All spreads in creation order.
  std::vector<const SpreadPosition*> All() const;
  std::vector<const SpreadPosition*> Active() const;  // opening, open, closing, unwinding
  bool IsWorking(const SpreadId& id) const { return runs_.count(id) > 0; }
  // Clears every spread and run (backtest reset).
  void Reset();
  // After the strategy resumed from a stop (which cancelled the executor's alerts): re-arms
  // the timeouts of working legs and the retries of refused closing legs.
  void OnStrategyResumed();
  static Status ValidatePolicy(const SpreadExecPolicy& policy);

  // The spread books across a restart (a trading node's journal snapshot). SaveBook writes
  // every spread's definition (legs, lots, tags, planned net, policy, state, times, exit
  // reason) and the id counter, never its fills: LoadBook rebuilds each book from the fills
  // the cache holds (replayed from the journal) of the orders tagged with the spread's id, in
  // the order they were applied, so a book always agrees with the orders. Spreads that were
  // working when the node stopped are resolved by ResumeLoaded() once the strategy runs:
  // an opening whose legs all filled is OPEN; any other opening fails (its working legs are
  // cancelled, what filled is unwound, hedges last: never a naked short); a closing or an
  // unwinding carries on from the quantities still open, adopting legs still working at the
  // venue and sending the missing ones. Errors name the spread and the field.
  std::string SaveBook() const;
  Status LoadBook(const std::string& text);
  void ResumeLoaded();

 private:
  // Why a run sends orders (open, close, unwind): the purpose its legs' tags carry.
  using Purpose = SpreadLegPurpose;
  struct LegWork {
    std::size_t leg = 0;
    OrderSide side = OrderSide::kBuy;
    Quantity target;
    std::int64_t filled_raw = 0;
    Int128 px_qty = 0;  // Σ price raw × qty raw (for the average fill price)
    ClientOrderId order_id;
    std::optional<Price> limit;  // the price last asked for (a modify may still be pending)
    std::optional<Price> start;  // the first price (a net-limit leg converges from it)
    std::optional<Price> bound;  // the worst price an opening allows (max_slippage)
    bool pegged = false;         // sent at the touch: re-priced to the touch
    const Order* order = nullptr;
    int reprices = 0;
    bool market = false;
    bool abandoning = false;
    int retries = 0;  // closing leg refusals retried so far
    bool done() const { return filled_raw >= target.raw(); }
  };
  struct Run {
    Purpose purpose = Purpose::kOpen;
    std::optional<Price> net_limit;
    SpreadExecPolicy policy;
    std::vector<LegWork> legs;
    std::vector<std::vector<std::size_t>> groups;  // indexes into legs
    std::size_t group = 0;
    bool failing = false;
    std::string failure;
  };

  SpreadPosition& Spread(const SpreadId& id) { return *spreads_.at(id); }
  // One leg per open leg of the spread, on the side that closes it.
  static std::vector<LegWork> ClosingLegs(const SpreadPosition& sp);
  void BuildGroups(Run& run) const;
  void StartGroup(const SpreadId& id);
  bool PriceLastGroup(const SpreadId& id, Run& run, std::vector<std::optional<Price>>& px,
                      std::vector<std::optional<Price>>& bounds, std::string& why) const;
  // The next price of a working limit leg at its k-th re-price, with the touch it was taken
  // from; empty when the leg has no quote to go by.
  struct RepriceStep {
    Price price;
    Price touch;
  };
  std::optional<RepriceStep> Reprice(const SpreadId& id, const Run& run, const LegWork& w) const;
  // An opening's net per spread unit if every unfilled leg traded at the touch now (filled
  // legs at their average): empty without quotes.
  std::optional<Int128> NetAtTouch(const SpreadId& id, const Run& run) const;
  void SubmitLeg(const SpreadId& id, Run& run, std::size_t i, std::optional<Price> limit);
  void ArmTimeout(const SpreadId& id, std::size_t i);
  // Schedules another try of a refused closing leg (backoff), alerting.
  void RetryClosingLeg(const SpreadId& id, std::size_t i, const std::string& reason);
  void OnRetry(const SpreadId& id, std::size_t i, const ClientOrderId& refused);
  std::string NewTimerName(const char* kind);
  // One alert through the port, its name tracked until it fires or is cancelled.
  void Arm(const char* kind, DurationNs after, std::function<void()> fn);
  bool AllLegsDone(const Run& run) const;
  void OnTimeout(const SpreadId& id, std::size_t i, const ClientOrderId& order_id);
  void OnLegTerminal(const SpreadId& id, std::size_t i, const std::string& reason);
  void Fail(const SpreadId& id, const std::string& reason);
  void MaybeFinishFailure(const SpreadId& id);
  // Unwinds what the spread's book still holds (ClosingLegs), as a failed opening's legs are.
  void StartUnwind(const SpreadId& id, const SpreadExecPolicy& policy, std::string failure);
  void Advance(const SpreadId& id);
  void AllocateSettlement(const OrderFilled& fill);
  std::optional<Price> Touch(const InstrumentId& instrument, OrderSide side) const;
  std::optional<Price> Mid(const InstrumentId& instrument) const;

  SpreadOrderPort& port_;
  std::string prefix_;
  std::uint64_t next_id_ = 0;
  std::uint64_t next_timer_ = 0;
  std::map<SpreadId, std::unique_ptr<SpreadPosition>> spreads_;
  std::vector<SpreadId> creation_order_;
  std::vector<const SpreadPosition*> by_creation_;  // owned by spreads_
  mutable std::size_t first_active_ = 0;            // every spread before it is finished
  std::map<SpreadId, Run> runs_;
  struct OrderRef {
    SpreadId spread;
    std::size_t leg_work;
  };
  std::unordered_map<ClientOrderId, OrderRef, IdHash> orders_;
  std::vector<std::string> timers_;
  // Spreads loaded in a working state, resolved by ResumeLoaded.
  std::vector<SpreadId> loaded_working_;
  std::map<SpreadId, std::optional<Price>> loaded_net_limit_;
  std::map<SpreadId, SpreadExecPolicy> loaded_policy_;
  // Their run's saved fields as loaded (policy, net limit, purpose, failure: a JSON object),
  // saved again verbatim until ResumeLoaded gives them a run, so a save right after a load
  // writes what was loaded.
  std::map<SpreadId, std::string> loaded_run_;
  bool announce_loaded_ = false;  // a loaded book's spreads not yet announced (ResumeLoaded)
  // Every fill applied to a spread's book, by (order, trade): a fill reaches a book once,
  // whether from the cache at a load, as an event of a working leg, or by its order's tag.
  std::set<std::pair<ClientOrderId, TradeId>> applied_fills_;
  // The policy each spread was last worked with, and after a restart the saved one (a spread
  // that ended and holds a leg again is unwound with it; the default when none was saved).
  std::map<SpreadId, SpreadExecPolicy> policy_of_;
  // Applies `fill` to leg `leg` of `sp` unless it was applied before; false when it was.
  bool ApplyOnce(SpreadPosition& sp, std::size_t leg, const OrderFilled& fill, bool opening);
  // A fill of a spread leg's order no working leg expects (the node restarted, or the run that
  // sent it is over): applied to the spread's book by the order's tag, once; true when applied.
  bool ApplyByTag(const OrderFilled& fill);
  // The spread and leg a fill is of, by its order's tag (none: not a leg of a spread here).
  struct FillLeg {
    SpreadPosition* spread;
    std::size_t leg;
    bool opening;
  };
  std::optional<FillLeg> LegOfFill(const OrderFilled& fill);
  // Applies the fills of this strategy's spread legs in the cache that the books lack (a
  // load's whole book, or what a start's reconciliation brought); how many, by spread.
  std::map<SpreadId, std::size_t> CatchUpFills();
};

}  // namespace nacre
