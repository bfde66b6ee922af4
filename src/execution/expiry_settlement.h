// ExpirySettlement: cash-settles expired index options in the kernel, for every execution
// client (a broker sends no settlement fill, so without it a live node would keep expired
// options open). NSE index options are European and cash settled at expiry:
// - When an option position opens, the component watches its underlying (quotes, trades and
//   bars on the bus, at a priority above strategies) and arms an alert just past the option's
//   expiration.
// - The settlement price is the underlying's price at the expiration: its first update at or
//   after it (the closing print), or, if none comes, its last price when the clock moves past
//   the expiration. Data that ends before then leaves the position open.
// - Each open position in an expired option is closed by a kernel order
//   "{venue}-SETTLE-{n}" (tag "expiry-settlement"): Submitted, Accepted and one Filled at the
//   intrinsic value (max(S − K, 0) for calls, max(K − S, 0) for puts, on the option's price
//   precision), applied through the ExecutionEngine like any fill, so positions, portfolio,
//   strategies (and their spreads) see it. The fill's charges come from the venue's client
//   (ExecutionClient::ExpiryCharges: STT on exercised long ITM options, nothing else), charged
//   on the expiry date, and the client is told (OnPositionSettled) so a simulated venue
//   releases the margin it blocked.
// Kernel thread only.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include "common/cache.h"
#include "common/clock.h"
#include "common/logger.h"
#include "common/message_bus.h"
#include "core/uuid.h"
#include "model/position_events.h"

namespace nacre {

class ExecutionEngine;

class ExpirySettlement {
 public:
  ExpirySettlement(MessageBus& bus, Cache& cache, ExecutionEngine& engine, Clock& clock,
                   UuidGenerator& uuids, Logger& logger);
  ~ExpirySettlement();
  ExpirySettlement(const ExpirySettlement&) = delete;
  ExpirySettlement& operator=(const ExpirySettlement&) = delete;

  // Settles every open option position that has expired by now, at `underlying_px` when
  // given (for options on that underlying), else at each underlying's last known price.
  // Returns the positions settled.
  std::size_t SettleDue(const std::optional<InstrumentId>& underlying = {},
                        std::optional<Price> underlying_px = {});
  std::uint64_t settled_count() const { return settled_; }
  // Forgets watches, alerts and counters (a backtest reset).
  void Reset();

 private:
  void OnPositionEvent(const PositionEvent& e);
  void Watch(const Instrument& option);
  struct Watched;
  void OnUnderlying(Watched& w, const InstrumentId& id, Price px, UnixNanos ts);
  std::optional<Price> LastPrice(const InstrumentId& underlying) const;
  void Settle(const Position& p, const Instrument& inst, Price s, UnixNanos now);

  MessageBus& bus_;
  Cache& cache_;
  ExecutionEngine& engine_;
  Clock& clock_;
  UuidGenerator& uuids_;
  LogAdapter log_;
  SubscriptionId positions_sub_ = 0;
  // Per watched underlying: its bus subscriptions and its last price seen.
  struct Watched {
    std::vector<SubscriptionId> subs;
    std::optional<Price> last;
    UnixNanos last_ts;
  };
  std::map<InstrumentId, Watched> watched_;
  std::set<UnixNanos> alerts_;  // expirations with an alert armed
  std::uint64_t next_id_ = 0;
  std::uint64_t settled_ = 0;
  // SettleDue's last scan: the cache's open-positions version it saw and the earliest
  // expiration among the open options then (a settlement changes the version: scanned again).
  std::uint64_t scanned_version_ = UINT64_MAX;
  UnixNanos earliest_expiry_{INT64_MIN};
};

}  // namespace nacre
