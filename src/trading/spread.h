// Multi-leg option spreads as first-class orders and positions.
//
// A SpreadOrderSpec describes legs (instrument, side, ratio), a size in lots and either a net
// limit per spread unit or market execution, plus an execution policy. A SpreadPosition is the
// spread's own book: one leg position per leg, built only from the fills of this spread's
// orders (so two spreads sharing a strike keep separate P&L even though the venue nets them),
// with the net credit or debit, charges, realized and unrealized P&L and the maximum loss at
// expiry. Money is fixed point throughout. Kernel thread only.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/time.h"
#include "model/events.h"
#include "model/identifiers.h"
#include "model/instrument.h"
#include "model/money.h"
#include "model/position.h"

namespace nacre {

using SpreadId = Identifier<SpreadIdTag>;

struct SpreadLeg {
  InstrumentId instrument;
  OrderSide side = OrderSide::kBuy;
  std::uint32_t ratio = 1;  // lots of this leg per spread unit
};

struct SpreadExecPolicy {
  // Buy legs are sent and filled before any sell leg, so the venue sees the hedge in the
  // position when the short leg's margin is computed (NSE hedge benefit).
  bool hedge_first = true;
  // A working limit leg unfilled this long is re-priced from the current quotes: the legs
  // priced to meet the net limit move from their first price to the touch in max_reprices
  // equal steps (then stay pegged to the touch for as many more), legs sent at the touch
  // follow the touch.
  DurationNs leg_timeout = 30 * kNanosPerSecond;
  int max_reprices = 3;
  // An opening gives up at most this much of its net limit per spread unit (a credit spread
  // accepts a credit this much smaller): a leg's price never passes its share of it, and the
  // opening is abandoned when the touch has moved past it. Empty: no bound (converge to the
  // touch whatever it is).
  std::optional<Price> max_slippage;
  // On a rejected or abandoned opening leg, close what already filled (market orders).
  bool unwind_on_failure = true;
  // Kite market_protection for the market orders legs fall back to (raw percent, scale 10^9;
  // 2% by default: SEBI rules refuse unprotected market orders from Apr-2026). A protected
  // market leg can rest unfilled, so it times out like a limit (leg_timeout) and is sent
  // again from the market then.
  std::int64_t market_protection_pct_raw = 2'000'000'000;
  // A closing or unwinding leg the venue or the risk engine refuses (market closed, margin,
  // a rejection) is retried, first after this, doubling up to close_retry_max, while the
  // spread stays CLOSING and a leg-risk alert goes out on each failure until it is flat.
  DurationNs close_retry = 60 * kNanosPerSecond;
  DurationNs close_retry_max = 30 * 60 * kNanosPerSecond;
};

struct SpreadOrderSpec {
  std::vector<SpreadLeg> legs;
  std::uint32_t lots = 1;  // spread units; a leg trades lots * ratio * its lot size
  // Net price per spread unit (Σ buy prices × ratio − Σ sell prices × ratio): positive is a
  // debit paid, negative a credit received. Empty: every leg is a market order.
  std::optional<Price> net_limit;
  SpreadExecPolicy policy;
  std::string tags;
};

enum class SpreadState : std::uint8_t {
  kOpening,    // legs working
  kOpen,       // every leg filled
  kClosing,    // closing orders working
  kClosed,     // every leg flat after a normal close or settlement
  kUnwinding,  // an opening leg failed; filled legs being closed
  kFailed,     // never fully opened; whatever filled has been unwound
};
std::string_view ToString(SpreadState s);

enum class SpreadEventKind : std::uint8_t { kOpened, kChanged, kClosed, kLegRisk, kFailed };
std::string_view ToString(SpreadEventKind k);

// A leg as seen in a spread event: enough for an observer to value the spread on its own.
struct SpreadLegState {
  InstrumentId instrument;
  OrderSide side = OrderSide::kBuy;  // the leg's opening side
  std::uint32_t ratio = 1;
  std::int64_t signed_qty_raw = 0;  // open quantity now (+ long, − short)
  Price avg_px_open;
  std::optional<Price> avg_px_close;
};

// Published on topics::SpreadEvents(strategy) by the owning strategy.
struct SpreadEvent {
  SpreadEventKind kind = SpreadEventKind::kChanged;
  SpreadId spread_id;
  StrategyId strategy_id;
  UnixNanos ts;
  SpreadState state = SpreadState::kOpening;
  std::uint32_t lots = 0;
  Money net_premium;   // + credit received, − debit paid (opening fills)
  Money realized_pnl;  // net of charges
  Money charges;
  std::optional<Money> max_loss;  // empty: unbounded
  std::string message;            // why (leg risk, failure), empty otherwise
  std::string tags;               // the spec's tags (the spreads app: its kind, e.g. bull_put)
  // The planned net per spread unit (the spec's net limit: − credit, + debit); empty: market.
  std::optional<Price> planned_net;
  // Why it was closed: the strategy's reason, "settled at expiry", or empty (open, failed).
  std::string exit_reason;
  UnixNanos ts_opened;
  UnixNanos ts_closed;
  std::vector<SpreadLegState> legs;
};

class SpreadPosition {
 public:
  SpreadPosition(SpreadId id, StrategyId strategy, std::vector<SpreadLeg> legs,
                 std::vector<Instrument> instruments, std::uint32_t lots, UnixNanos ts);

  const SpreadId& id() const { return id_; }
  const StrategyId& strategy_id() const { return strategy_id_; }
  const std::vector<SpreadLeg>& legs() const { return legs_; }
  const Instrument& instrument(std::size_t leg) const { return instruments_[leg]; }
  std::uint32_t lots() const { return lots_; }
  SpreadState state() const { return state_; }
  void set_state(SpreadState s) { state_ = s; }
  UnixNanos ts_opened() const { return ts_opened_; }
  UnixNanos ts_created() const { return ts_created_; }
  UnixNanos ts_closed() const { return ts_closed_; }
  void set_ts_opened(UnixNanos t) { ts_opened_ = t; }
  void set_tags(std::string tags) { tags_ = std::move(tags); }
  const std::string& tags() const { return tags_; }
  const std::optional<Price>& planned_net() const { return planned_net_; }
  void set_planned_net(std::optional<Price> net) { planned_net_ = net; }
  void set_exit_reason(std::string reason) { exit_reason_ = std::move(reason); }
  const std::string& exit_reason() const { return exit_reason_; }
  void set_ts_closed(UnixNanos t) { ts_closed_ = t; }

  // Quantity a leg trades to open the whole spread (lots × ratio × lot size).
  Quantity TargetQty(std::size_t leg) const;
  // Applies a fill of one of this spread's orders to leg `leg`; `opening` marks fills that
  // build the spread (they count toward the net premium).
  void ApplyFill(std::size_t leg, const OrderFilled& fill, bool opening);
  // Signed open quantity of a leg (+ long, − short), raw at the fixed scale.
  std::int64_t LegSignedQtyRaw(std::size_t leg) const;
  bool AnyLegOpen() const;
  bool AllLegsAtTarget() const;
  const Position* leg_position(std::size_t leg) const {
    return legs_pos_[leg] ? &*legs_pos_[leg] : nullptr;
  }

  Money net_premium() const { return net_premium_; }
  Money charges() const;
  Money realized_pnl() const;  // net of charges
  // Unrealized P&L at the given marks (one per leg; a leg without a mark counts zero).
  Money Unrealized(const std::vector<std::optional<Price>>& marks) const;
  // Worst loss at expiry over all underlying prices for the full spread, premium included,
  // before charges; empty when unbounded (a net short call beyond the highest strike).
  std::optional<Money> MaxLoss() const;
  SpreadEvent MakeEvent(SpreadEventKind kind, UnixNanos ts, std::string message = {}) const;

 private:
  SpreadId id_;
  StrategyId strategy_id_;
  std::vector<SpreadLeg> legs_;
  std::vector<Instrument> instruments_;
  std::vector<std::optional<Position>> legs_pos_;
  std::uint32_t lots_;
  SpreadState state_ = SpreadState::kOpening;
  UnixNanos ts_created_;
  UnixNanos ts_opened_;
  UnixNanos ts_closed_;
  Money net_premium_;
  std::string anomaly_;
  std::string tags_;
  std::optional<Price> planned_net_;
  std::string exit_reason_;
};

}  // namespace nacre
