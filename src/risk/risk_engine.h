// RiskEngine: pre-trade checks on every submit and modify (cancels bypass it), order rate
// throttles and the trading state (ACTIVE, HALTED, REDUCING). A failed submit becomes an
// OrderDenied with a reason code and a readable message, e.g.
// "QUANTITY_EXCEEDS_FREEZE: quantity=1950 freeze=1800"; a failed modify becomes an
// OrderModifyRejected sent to the strategy (the order itself is unchanged). Passing commands
// go on to the ExecutionEngine.
//
// [risk.live] limits (LiveRiskLimits, LIVE.md §11), enforced in every environment so a
// backtest rehearses them, all off when unset: a capital cap on the margin the node may block,
// lots per order, lots per spread and open spreads (spreads known by their legs' tags,
// common/spread_tag.h), submissions per IST day, and the daily loss limits, which move the
// trading state (ACTIVE → REDUCING past the soft limit, → HALTED past the hard one) when
// checked: on every submit, on position events, and at most once per `loss_check_interval` on
// account events and market data. The trading state carries a reason (trading_state_reason()).
// Orders the kill switch flattens with (AllowWhileHalted) pass a HALTED state when they reduce
// a position. Kernel thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/actor.h"
#include "common/market_hours.h"
#include "common/spread_tag.h"
#include "nse/margin_book.h"
#include "risk/throttler.h"

namespace nacre {

// [risk.live]: every limit is off when unset. Money is rupees, fixed point.
struct LiveRiskLimits {
  // The margin the node may block in total (Σ accounts' blocked margin plus the premium paid
  // for open long options); an order that would take it past the cap is denied.
  std::optional<Money> capital_cap;
  std::optional<std::int64_t> max_lots_per_order;
  // Lots of one spread: the most lots any one of its legs opens (a 1:2 ratio leg counts twice).
  std::optional<std::int64_t> max_lots_per_spread;
  std::optional<std::int64_t> max_open_spreads;
  std::optional<std::int64_t> max_orders_per_day;  // submissions per IST day
  // Daily loss (the IST day's realized + unrealized P&L change, net of charges) at which
  // trading goes REDUCING (soft) and HALTED (hard); positive amounts.
  std::optional<Money> daily_loss_soft;
  std::optional<Money> daily_loss_hard;
  // Loss checks on market data and account events happen at most this often.
  DurationNs loss_check_interval = kNanosPerSecond;

  bool loss_limits() const { return daily_loss_soft.has_value() || daily_loss_hard.has_value(); }
  bool spread_limits() const {
    return max_lots_per_spread.has_value() || max_open_spreads.has_value();
  }
};

struct RiskEngineConfig {
  bool bypass = false;
  int max_submit_per_second = 10;
  int max_submit_per_minute = 400;
  int max_modify_per_second = 10;
  int max_modify_per_minute = 400;
  std::optional<Money> max_notional_per_order;
  bool check_margin = true;
  // The NSE SPAN pre-trade check (SetNseMargin) in a backtest: off by default there, because
  // the simulated exchange runs the same margin book on every order's arrival (a second
  // computation before the send adds cost and nothing else); a live node turns it on, as the
  // broker's check is remote.
  bool pre_trade_nse_margin = false;
  LiveRiskLimits live;
};

struct RiskStateChanged {
  TradingState state = TradingState::kActive;
  UnixNanos ts;
  std::string reason;  // why (empty when the caller gave none)
};

class RiskEngine : public Component {
 public:
  RiskEngine(MessageBus& bus, Cache& cache, Clock& clock, Logger& logger, UuidGenerator& uuids,
             RiskEngineConfig config = {});
  ~RiskEngine() override;

  void SetMarketHours(const MarketHours* hours) { market_hours_ = hours; }
  // Why new orders on an instrument are blocked now (empty: not blocked); the kernel wires the
  // execution engine's unresolved in-flight orders here (LIVE.md §8, rule 6).
  void SetInstrumentGate(std::function<std::string(const InstrumentId&)> gate) {
    gate_ = std::move(gate);
  }
  // Pre-trade NSE margin for `venue`'s derivatives: the same margin book (nse/margin_book.h)
  // the simulated exchange blocks with, on the cache's net positions and open orders of the
  // venue and the cache's marks (quote mid, else last trade, else last bar close). A new order
  // or a modify is denied INSUFFICIENT_MARGIN when it raises the blocked amount by more than
  // the account's free balance (with the underlying's reported block added back, as the
  // book's figure replaces it). With `check_margin` off nothing is checked.
  void SetNseMargin(const Venue& venue, const MarginBookConfig& config) {
    nse_margin_.insert_or_assign(venue, config);
    nse_margin_cache_.erase(venue);
  }
  // The check itself (empty: passes); `leaves`/`price`/`trigger`: the order as a modify would
  // change it.
  std::optional<std::string> CheckNseMargin(const Order& order, std::optional<Quantity> leaves,
                                            std::optional<Price> price,
                                            std::optional<Price> trigger);
  // What the book says is blocked on `underlying` for `venue`'s account now (for reports and
  // the cross-check with the exchange).
  Result<BlockedMargin> NseBlockedMargin(const Venue& venue, const InstrumentId& underlying);
  // Sets the state and why; publishes RiskStateChanged when either changed.
  void SetTradingState(TradingState state, std::string reason = {});
  TradingState trading_state() const { return state_; }
  const std::string& trading_state_reason() const { return state_reason_; }
  const RiskEngineConfig& config() const { return config_; }

  // ---- [risk.live] ----

  // The total P&L (realized net of charges + unrealized) the daily loss limits measure; the
  // kernel wires the portfolio here. Without it the loss limits are not checked.
  void SetPnlSource(std::function<Money()> source) { pnl_source_ = std::move(source); }
  // Checks the daily loss limits now (also rolls the IST day).
  void CheckLossLimits();
  // The state the day's loss limits hold trading to: ACTIVE (none reached), REDUCING or
  // HALTED, with the reason; reset at the next IST day.
  TradingState loss_limit_state() const { return loss_state_; }
  const std::string& loss_limit_reason() const { return loss_reason_; }
  // P&L of the IST day so far (empty before the first check or without a P&L source).
  std::optional<Money> daily_pnl() const;
  // The day's starting P&L, e.g. restored after a restart (otherwise the P&L at the day's
  // first check, or at the previous day's last one).
  void SetDailyPnlBaseline(Money baseline);
  // The day's starting P&L and its IST day (days since the epoch), once known.
  std::optional<Money> daily_pnl_baseline() const { return day_baseline_; }
  std::int64_t loss_day() const { return day_; }
  std::uint64_t orders_today() const { return orders_today_; }
  // Margin the node has deployed: Σ accounts' blocked margin + premium paid for open longs.
  Money DeployedCapital() const;
  // Spreads holding positions or working orders (what max_open_spreads counts).
  std::size_t OpenSpreadCount();
  // The kill switch's flatten orders: `id`, when it reduces a position, passes a HALTED state,
  // the day's order count and the rate throttles (the execution client paces what it sends).
  // One use: forgotten once checked.
  void AllowWhileHalted(const ClientOrderId& id) { halt_exempt_.insert(id); }

  void Execute(const TradingCommand& cmd);

  // The first failing check for a new order, as "CODE: message"; empty when it passes.
  struct Denial {
    std::string code;
    std::string message;
  };
  std::optional<Denial> CheckSubmit(const Order& order) {
    return CheckOrder(order, CheckScope::kSingle);
  }
  std::optional<Denial> CheckModify(const Order& order, const ModifyOrder& cmd);

  std::uint64_t denied_count() const { return denied_; }
  // Orders whose NSE margin could not be computed (no price yet) and went to the venue's check.
  std::uint64_t margin_unchecked_count() const { return margin_unchecked_; }
  // Clears throttle windows, counters, the trading state and the [risk.live] day (backtest
  // reset).
  void ResetState();

 private:
  std::function<std::string(const InstrumentId&)> gate_;
  // kSingle: a lone submission (throttles checked here). kListMember: an order of a list
  // submitted now (throttles checked for the list as a whole). kDeferredChild: an OTO child
  // held until its parent fills; checks that depend on the position or account at release
  // time (REDUCING, reduce_only, margin) are left to the re-check when it is released.
  enum class CheckScope : std::uint8_t { kSingle, kListMember, kDeferredChild };
  std::optional<Denial> CheckOrder(const Order& order, CheckScope scope);
  void HandleSubmit(const SubmitOrder& cmd);
  void HandleSubmitList(const SubmitOrderList& cmd);
  void HandleModify(const ModifyOrder& cmd);
  void Forward(const TradingCommand& cmd);
  void Deny(const Order& order, Denial d);
  // "more than {limit} {what}", formatted again only when the limit changed.
  struct RateText {
    std::int64_t limit = -1;
    std::string message;
  };
  static const std::string& RateMessage(RateText& text, std::int64_t limit,
                                        std::string_view what);
  std::optional<Denial> CheckPriceAndQuantity(const Instrument& inst, Quantity qty,
                                              const std::optional<Price>& price,
                                              const std::optional<Price>& trigger);
  bool IsReducing(const Order& order) const;
  MarginBook NseBookOf(const Venue& venue, const InstrumentId& underlying,
                       const MarginBookConfig& config, const MarginMarket& market,
                       const Order* except);
  // The NSE margin check's figures (when the venue has a margin book and they could be had)
  // and its refusal, if any.
  struct NseMarginOutcome {
    std::optional<MarginCheck> check;
    std::optional<std::string> denial;
  };
  NseMarginOutcome NseMargin(const Order& order, std::optional<Quantity> leaves,
                             std::optional<Price> price, std::optional<Price> trigger);
  // [risk.live] checks of a new order (lots, day count, spreads); the capital cap apart, as it
  // needs the order's margin.
  std::optional<Denial> CheckLiveLimits(const Order& order, const Instrument& inst, bool reducing,
                                        bool exempt, CheckScope scope);
  std::optional<Denial> CheckCapitalCap(const Money& increase, const char* what);
  // What the order would add to the deployed capital: the NSE book's increase when known,
  // else the instrument's initial margin on the notional, else the notional (premium).
  Money MarginEstimate(const Instrument& inst, const Money& notional,
                       const std::optional<MarginCheck>& nse) const;
  void RollDay(UnixNanos now);
  void MaybeCheckLoss() {
    if (clock_.Now() >= next_loss_check_) CheckLossLimits();
  }
  void SetStateByLoss(TradingState state, const std::string& reason);
  std::string StateMessage() const;
  std::int64_t LotsOf(const Instrument& inst, Quantity qty) const;
  // Spread tracking (max_lots_per_spread, max_open_spreads).
  struct TrackedLeg {
    ClientOrderId id;
    int leg = 0;
    SpreadLegPurpose purpose = SpreadLegPurpose::kOpen;
  };
  static std::string SpreadKey(const StrategyId& strategy, const std::string& spread_id);
  void TrackSpreadOrder(const Order& order);
  void EnsureSpreadIndex();
  bool SpreadLive(const std::vector<TrackedLeg>& legs) const;
  std::int64_t SpreadLegLots(const std::vector<TrackedLeg>& legs, int leg) const;
  void CountSent(const Order& order);
  std::map<Venue, MarginBookConfig> nse_margin_;
  // Per venue: instruments priced at the current time, for every book (nse/margin_book.h).
  std::map<Venue, MarginScenarioCache> nse_margin_cache_;
  // The orders of a list being checked: working beside each other in the margin check.
  const std::vector<const Order*>* checking_list_ = nullptr;

  MessageBus& bus_;
  // The execution engine's endpoints, resolved once (a command or denial per order).
  MessageBus::EndpointMemo exec_memo_;
  MessageBus::EndpointMemo process_memo_;
  Cache& cache_;
  Clock& clock_;
  UuidGenerator& uuids_;
  RiskEngineConfig config_;
  const MarketHours* market_hours_ = nullptr;
  TradingState state_ = TradingState::kActive;
  Throttler submit_sec_;
  Throttler submit_min_;
  RateText rate_sec_text_;  // the submit throttles' denial messages (RateMessage)
  RateText rate_min_text_;
  Throttler modify_sec_;
  Throttler modify_min_;
  std::uint64_t denied_ = 0;
  std::uint64_t margin_unchecked_ = 0;

  std::string state_reason_;
  bool state_by_loss_ = false;  // the state was set by the loss limits (lifted at the day roll)
  TradingState loss_state_ = TradingState::kActive;
  std::string loss_reason_;
  std::function<Money()> pnl_source_;
  static constexpr std::int64_t kNoDay = INT64_MIN;
  std::int64_t day_ = kNoDay;  // IST day (days since 1970-01-01) of the figures below
  std::optional<Money> day_baseline_;
  std::optional<Money> last_pnl_;
  std::uint64_t orders_today_ = 0;
  UnixNanos next_loss_check_;
  std::unordered_set<ClientOrderId, IdHash> halt_exempt_;
  bool spreads_indexed_ = false;
  std::map<std::string, std::vector<TrackedLeg>> spreads_;  // by strategy/spread id
  std::vector<SubscriptionId> subscriptions_;
};

}  // namespace nacre
