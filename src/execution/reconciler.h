// Reconciler: brings the kernel's orders and positions in line with what a venue reports
// (ExecutionMassStatus at start-up, one OrderStatusReport for an in-flight check), the way a
// live node must after a restart or a lost connection. Rules (LIVE.md §8):
// - An order report is matched to ours by client order id, then venue tag, then venue order id.
// - Missing events are generated in state-machine order and applied through the execution
//   engine (so positions, portfolio and strategies see them like live events): Accepted →
//   Updated (quantity/price changed at the venue) → Triggered → fills → Canceled / Expired /
//   Rejected, fills always before the terminal event. A fill whose trade id is already applied
//   is skipped; when the venue's cumulative filled quantity is still ahead of the fills it
//   listed, the difference becomes one inferred fill at the venue's average price (a
//   deterministic trade id "INFERRED-{venue order id}-{n}", logged as a warning). The trades
//   it stood for, when the venue lists them later, are recognised and never applied: whole,
//   from the earliest, the unapplied ones made by the inferred fill's time (the venue's time
//   of the report it was inferred from) and at least as many as the venue's filled quantity
//   cannot hold on top of ours, never more than was inferred, all of that exactly or none. A
//   warning (once per trade) gives their value and charges against the inferred fill.
// - An order with our tag prefix that the cache lacks (placed before a restart) is adopted
//   under strategy "RECONCILED"; any other unknown order is recorded as EXTERNAL. Both are
//   built from the report, never invented.
// - An order open here from before the venue's current day (when the venue's orders all end
//   with their day, ExecutionMassStatus::day_start) and absent from its lists is Expired
//   ("previous day"); a fill it had after we stopped shows in the position check.
// - Failures, which leave the kernel HALTED (Kernel::Start) instead of guessing: the venue
//   reports less filled than we applied; an order we hold open is absent from the venue's
//   reports; a net position per instrument differs from the sum of ours after the orders are
//   reconciled. Nothing is ever sent to a venue from here.
// Kernel thread only.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/cache.h"
#include "common/clock.h"
#include "common/logger.h"
#include "core/result.h"
#include "core/uuid.h"
#include "execution/execution_client.h"
#include "execution/reports.h"

namespace nacre {

class ExecutionEngine;

struct ReconcileResult {
  std::size_t orders_reported = 0;
  std::size_t events_generated = 0;
  std::size_t orders_adopted = 0;   // ours, missing from the cache
  std::size_t orders_external = 0;  // placed outside this trader
  std::size_t fills_inferred = 0;
  // Listed fills that a fill inferred earlier stood for (trades listed late): skipped, logged
  // with what they differ from the inferred fill by.
  std::size_t fills_explained = 0;
  // SUBMITTED, never acknowledged, absent from the venue's complete list: left to the in-flight
  // check (it may still be travelling), not counted as a mismatch.
  std::size_t orders_unresolved = 0;
  // Open here, created before the venue's day (ExecutionMassStatus::day_start) and not listed:
  // expired with their day.
  std::size_t orders_expired = 0;
  std::vector<std::string> mismatches;  // each one a reason to stay HALTED
  bool ok() const { return mismatches.empty(); }
  // Ok, or kFailedPrecondition naming every mismatch.
  Status ToStatus() const;
};

class Reconciler {
 public:
  Reconciler(TraderId trader_id, Cache& cache, ExecutionEngine& engine, const Clock& clock,
             UuidGenerator& uuids, Logger& logger)
      : trader_id_(std::move(trader_id)),
        cache_(cache),
        engine_(engine),
        clock_(clock),
        uuids_(uuids),
        log_(&logger, "Reconciler") {}

  // The client that sent the reports (ExecutionEngine::ReportingClient): the charges of a fill
  // inferred from them (InferredFillCharges); none without one.
  void set_client(ExecutionClient* client) { client_ = client; }
  // Every order, fill and position the venue reports. `complete`: the reports hold every
  // order of the day, so an order we hold open that is absent is a mismatch.
  ReconcileResult Reconcile(const ExecutionMassStatus& status, bool complete = true);
  // One order as the venue reports it now (with its fills, if the venue listed them).
  void ReconcileOrder(const OrderStatusReport& report, const std::vector<FillReport>& fills,
                      ReconcileResult& result);
  // The order a venue's report is about, as reconciliation finds it (by client order id, by
  // tag unless it is a lost send's, then by an earlier adoption); null if none.
  Order* Match(const OrderStatusReport& r);

 private:
  // `o`, found by the report's tag, is the rejected order of a lost send and the report the
  // venue's order under that tag: an orphan, adopted apart (never applied to `o`).
  static bool LostSend(const Order& o, const OrderStatusReport& r);
  bool Ours(const OrderStatusReport& r) const;  // the tag has this node's prefix
  // The id Adopt gives the venue's order of `r` (ADOPTED-/EXTERNAL-{venue id}).
  ClientOrderId AdoptedId(const OrderStatusReport& r) const;
  // The order an earlier adoption made of `r`'s venue order, by venue id or adopted id.
  Order* Adopted(const OrderStatusReport& r);
  Order* Adopt(const OrderStatusReport& r, ReconcileResult& result);
  void Apply(const OrderEvent& e, ReconcileResult& result);
  // Expires `orders` (ours from before the venue's day, not listed), their contingencies
  // suspended, then cancels the OTO children they still held (never sent).
  void ExpirePreviousDay(const ExecutionMassStatus& ms, const std::vector<const Order*>& orders,
                         ReconcileResult& result);
  // Of `unapplied` (the listed fills not applied, in time order), how many from the front are
  // trades a fill we inferred earlier stood for, listed late (the rule above; 0 when none or
  // when whole fills do not make it). Logs what they are worth and cost against the inferred
  // fill.
  std::size_t ExplainInferred(const Order& o, const OrderStatusReport& r,
                              const std::vector<const FillReport*>& unapplied,
                              ReconcileResult& result);
  // Instruments with an order left to the in-flight check are not compared: its fill may be
  // in the venue's positions before the order is in its list (or the reverse); the position
  // poll of a live client compares them again once it is settled.
  void CheckPositions(const ExecutionMassStatus& status, ReconcileResult& result,
                      const std::map<InstrumentId, ClientOrderId>& unresolved);

  TraderId trader_id_;
  Cache& cache_;
  ExecutionEngine& engine_;
  const Clock& clock_;
  UuidGenerator& uuids_;
  LogAdapter log_;
  ExecutionClient* client_ = nullptr;
};

}  // namespace nacre
