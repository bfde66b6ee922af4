// RiskEngine: pre-trade checks on every submit and modify (cancels bypass it), order rate
// throttles and the trading state (ACTIVE, HALTED, REDUCING). A failed submit becomes an
// OrderDenied with a reason code and a readable message, e.g.
// "QUANTITY_EXCEEDS_FREEZE: quantity=1950 freeze=1800"; a failed modify becomes an
// OrderModifyRejected sent to the strategy (the order itself is unchanged). Passing commands
// go on to the ExecutionEngine. Kernel thread only.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "common/actor.h"
#include "common/market_hours.h"
#include "nse/margin_book.h"
#include "risk/throttler.h"

namespace nacre {

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
};

struct RiskStateChanged {
  TradingState state = TradingState::kActive;
  UnixNanos ts;
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
  }
  // The check itself (empty: passes); `leaves`/`price`/`trigger`: the order as a modify would
  // change it.
  std::optional<std::string> CheckNseMargin(const Order& order, std::optional<Quantity> leaves,
                                            std::optional<Price> price,
                                            std::optional<Price> trigger);
  // What the book says is blocked on `underlying` for `venue`'s account now (for reports and
  // the cross-check with the exchange).
  Result<BlockedMargin> NseBlockedMargin(const Venue& venue, const InstrumentId& underlying);
  void SetTradingState(TradingState state);
  TradingState trading_state() const { return state_; }
  const RiskEngineConfig& config() const { return config_; }

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
  // Clears throttle windows, counters and the trading state (backtest reset).
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
  void Deny(const Order& order, const Denial& d);
  std::optional<Denial> CheckPriceAndQuantity(const Instrument& inst, Quantity qty,
                                              const std::optional<Price>& price,
                                              const std::optional<Price>& trigger);
  bool IsReducing(const Order& order) const;
  MarginBook NseBookOf(const Venue& venue, const InstrumentId& underlying,
                       const MarginBookConfig& config, const MarginMarket& market,
                       const Order* except);
  std::map<Venue, MarginBookConfig> nse_margin_;
  // The orders of a list being checked: working beside each other in the margin check.
  const std::vector<const Order*>* checking_list_ = nullptr;

  MessageBus& bus_;
  Cache& cache_;
  Clock& clock_;
  UuidGenerator& uuids_;
  RiskEngineConfig config_;
  const MarketHours* market_hours_ = nullptr;
  TradingState state_ = TradingState::kActive;
  Throttler submit_sec_;
  Throttler submit_min_;
  Throttler modify_sec_;
  Throttler modify_min_;
  std::uint64_t denied_ = 0;
  std::uint64_t margin_unchecked_ = 0;
};

}  // namespace nacre
