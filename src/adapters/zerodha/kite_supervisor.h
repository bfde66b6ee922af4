// What the Kite adapter checks of a running kernel beside the execution client's own rules
// (issue 15 items 5-6, LIVE.md §8), kernel thread only:
//   - KernelKiteBooks: the execution client's view of the kernel's books (KiteBooks): the
//     account's balance (compared with Kite's /user/margins), the net positions of the venue
//     (compared with Kite's /portfolio/positions; an instrument past its expiry is left out for
//     the rest of its expiry day, which Kite ends with the position still listed, and compared
//     again from the next IST day, when Kite no longer lists it), the kernel's HALT (Kernel::HaltOnFault, as a
//     reconciliation mismatch at start), and Nacre's margin for a spread (the NSE margin book on
//     the cache's positions, working orders and marks, as the risk engine's pre-trade check
//     computes it) for the basket check's log line;
//   - KiteReconnectWatch: after every ticker reconnect (a closed gap in the data client's
//     stats) the Kite day is read again (GenerateMassStatus) and reconciled as at start, since
//     Kite replays no order update missed in the gap; a mismatch halts trading, a clean one is
//     followed by ExecutionEngine::ActOnContingentLists (an OCO or OUO peer whose cancel or
//     reduction Kite refused is sent again; a held OTO child of a filled parent released, once
//     the start has succeeded). Before the
//     kernel is through its start, the start's own reconciliation covers the gap; a failed read
//     is retried.
#pragma once

#include <string>

#include <cstdint>

#include "adapters/zerodha/kite_data_client.h"
#include "adapters/zerodha/kite_execution_client.h"
#include "trading/kernel.h"

namespace nacre {

KiteBooks KernelKiteBooks(Kernel& kernel, const AccountId& account, const Venue& venue);

// After a clean reconciliation of the Kite day (`why` names the occasion in the log): the
// contingent lists Kite's refusals left are acted on as they call for
// (ExecutionEngine::ActOnContingentLists); returns how many peers were acted on.
std::size_t ActOnListsKiteLeft(Kernel& kernel, const std::string& why);

class KiteReconnectWatch {
 public:
  // Both outlive the watch.
  KiteReconnectWatch(Kernel& kernel, KiteExecutionClient& exec, const ZerodhaDataClient& data);
  // Called every second or so on the kernel thread: reconciles when the ticker came back since
  // the last call (or a reconciliation is still owed). True when it reconciled this call.
  bool Tick();
  // A reconciliation is owed for another reason than a ticker gap (a new Kite session, taken
  // before or after Kite refused the old one: its ticker reconnects on purpose, and what Kite
  // sent before it was back is not replayed); `why` names it in the log.
  void Owe(std::string why) {
    owed_ = true;
    wait_ticks_ = 0;
    why_ = std::move(why);
  }
  std::uint64_t reconciliations() const { return reconciliations_; }
  std::uint64_t failures() const { return failures_; }

 private:
  Kernel& kernel_;
  KiteExecutionClient& exec_;
  const ZerodhaDataClient& data_;
  std::uint64_t gaps_seen_ = 0;
  bool owed_ = false;
  std::string why_ = "ticker reconnected";
  int wait_ticks_ = 0;  // after a failed read: ticks before the next try
  std::uint64_t reconciliations_ = 0;
  std::uint64_t failures_ = 0;
};

}  // namespace nacre
