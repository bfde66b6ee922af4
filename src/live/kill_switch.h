// KillSwitch: the operator's controls over a running kernel (LIVE.md §11), reached through the
// control socket (`nacre ctl`, live/control_socket.h) and the kill file:
//   - StatusJson(): trading state and why, the loss limits, open orders, net positions per
//     instrument, the kill file, the switch's halts standing (`manual_halts`) and waiting
//     (`pending_halts`: asked for while another halt stood), and the flatten's progress, as
//     one JSON object;
//   - Halt(reason): trading HALTED (a manual halt); working orders stay;
//   - Resume(): back to ACTIVE (or to what the day's loss limits allow), only from a manual
//     halt: refused while a fault halts the kernel (Kernel::halt_reason(): a failed start, a
//     journal or execution fault), while the loss limits or a handler failure hold it, while
//     the kill file exists or a flatten is running;
//   - CancelAll(reason): halts, then cancels every working order of every strategy (and any
//     OTO child held for a filled parent, never sent);
//   - Flatten(reason): halts, cancels every working order, then buys back every short
//     position and, only once no short is left, sells the longs (never a naked short). Each
//     flatten order is a protected LIMIT at the touch plus `protection` (a MARKET order with
//     that market protection when the instrument has no quote), split at the freeze quantity
//     and [risk.live] max_lots_per_order, sent under the position's strategy; one still
//     working after `reprice_after` is cancelled and sent again at the new touch, one refused
//     is retried after it. Trading stays HALTED throughout and after: the risk engine lets the
//     flatten orders through (RiskEngine::AllowWhileHalted) and nothing else;
//   - CheckKillFile(path): when the file exists, Halt("kill file PATH"), or Flatten when its
//     content is "flatten" (only halting until the start has reconciled the books with the
//     venue: kernel phase portfolio or later); once per appearance of the file; its removal
//     withdraws its waiting halt.
// A halt asked for while another halt stands (a failed start's, a fault's) waits and is set
// before a start lifts the other (StartHaltVeto), or when the other lifts without a start.
// The switch's own halts stand side by side: Resume lifts them all, Withdraw one.
// Every order and cancel goes through the normal command path (RiskEngine.execute), so the
// journal, the engines and the owning strategy see them.
// Kernel thread only: the node calls it from its exec handler (ControlRequest) and a timer.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "trading/kernel.h"
#include "trading/order_factory.h"

namespace nacre {

struct KillSwitchConfig {
  // How far beyond the touch a flatten order's limit goes (raw percent, scale 10^9; 2%, as
  // the spread executor's market protection).
  std::int64_t protection_pct_raw = 2 * kFixedScale;
  // Flatten waits this long for the cancels before closing positions anyway.
  DurationNs cancel_wait = 5 * kNanosPerSecond;
  // A flatten order still working this long is cancelled and sent again at the new touch; a
  // refused one is sent again after this long.
  DurationNs reprice_after = 5 * kNanosPerSecond;
};

class KillSwitch {
 public:
  explicit KillSwitch(Kernel& kernel, KillSwitchConfig config = {});
  ~KillSwitch();
  KillSwitch(const KillSwitch&) = delete;
  KillSwitch& operator=(const KillSwitch&) = delete;

  // Results: ok with a one-line description of what was done, or the refusal.
  std::string StatusJson() const;
  Result<std::string> Halt(const std::string& reason);
  Result<std::string> Resume();
  Result<std::string> CancelAll(const std::string& reason);
  Result<std::string> Flatten(const std::string& reason);
  void CheckKillFile(const std::string& path);

  enum class FlattenPhase : std::uint8_t { kIdle, kCancelling, kShorts, kLongs, kDone };
  FlattenPhase flatten_phase() const { return phase_; }
  // Every flatten order sent, in submission order.
  const std::vector<ClientOrderId>& flatten_orders() const { return sent_; }
  // True while trading is halted by this switch (and nothing else has changed it since).
  bool manually_halted() const;
  // The kernel's start veto (Kernel::SetStartHaltVeto), asked when a start would lift the halt
  // its failed attempt (or a fault) left: a halt asked for while that one stood (by an
  // operator, a cancel-all or flatten, the kill file, Kite's token refusal), which the switch
  // could not set then and which waits (`pending_halts` in the status), is set now; so is a
  // halt of the switch's that the failed start's replaced and nobody resumed or withdrew.
  // Returns its reason (empty: none, the start lifts its halt).
  std::string StartHaltVeto();
  // Withdraws the halt asked for with `reason` (as given to Halt): waiting,
  // dropped; standing, resumed as by Resume() (with its refusals); replaced by another halt
  // since, forgotten. For a component that halted through the switch and can tell its cause
  // is gone (Kite's new session).
  Result<std::string> Withdraw(const std::string& reason);
  // The reason a manual halt for `reason` sets on the risk engine ("manual halt: ...").
  static std::string ManualReason(const std::string& reason);

  // Cancels every working order of every strategy as the strategy's own cancel would (its
  // pending state, then the command), without changing the trading state; returns how many
  // (the node's stop with on_stop = "cancel").
  std::size_t CancelWorking();

 private:
  // Sets the manual halt (keeping a halt something else set, which is not the switch's to own).
  void HaltTrading(const std::string& why);
  void SendCancel(const Order& order);
  void OnOrderEvent(const OrderEvent& e);
  // Moves the flatten on: waits for cancels, closes shorts, then longs.
  void Advance();
  void AdvanceOnce();
  // Sends what closes `pos` (split into slices), unless a flatten order of it is working or
  // it must wait before a retry.
  void Close(const Position& pos);
  const Order* SubmitClose(const Position& pos, Quantity qty);
  std::optional<Price> ProtectedLimit(const Instrument& inst, OrderSide side) const;
  void ArmAlert(const std::string& kind, UnixNanos at, std::function<void()> fn);
  std::string FlattenSummary() const;

  Kernel& kernel_;
  KillSwitchConfig config_;
  OrderFactory ids_;  // client order ids "O-...-{trader}-KILL-{n}"
  std::vector<SubscriptionId> subscriptions_;
  std::vector<std::string> alerts_;
  std::uint64_t next_alert_ = 0;

  // The switch's halts standing, in order; the first is the reason set on the risk engine.
  std::vector<std::string> manual_;
  std::vector<std::string> pending_;  // halts asked for while another stood (StartHaltVeto)

  FlattenPhase phase_ = FlattenPhase::kIdle;
  std::string flatten_reason_;
  UnixNanos cancel_deadline_;
  std::vector<ClientOrderId> sent_;
  std::set<ClientOrderId> ours_;
  std::map<PositionId, std::vector<ClientOrderId>> by_position_;
  std::map<PositionId, UnixNanos> not_before_;  // retry time after a refusal
  std::set<ClientOrderId> repricing_;           // cancelled by us to send again
  bool advancing_ = false;
  bool again_ = false;

  std::string kill_path_;
  bool kill_exists_ = false;
  bool kill_halted_ = false;     // acted on this appearance of the file
  bool kill_flattened_ = false;  // its "flatten" acted on
};

std::string_view ToString(KillSwitch::FlattenPhase p);

}  // namespace nacre
