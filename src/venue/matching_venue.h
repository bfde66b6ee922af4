// MatchingVenue: what the backtest loop (and a sandbox) needs from a simulated venue besides
// the ExecutionClient interface: market updates, command processing and reset.
// SimulatedExchange implements it (the realistic NSE F&O venue, or its simple configuration).
// Kernel thread only.
#pragma once

#include <fmt/compile.h>
#include <fmt/format.h>

#include <cstddef>
#include <cstdint>

#include "common/event_loop.h"
#include "execution/execution_client.h"
#include "model/data.h"
#include "model/instrument.h"
#include "venue/matching_core.h"

namespace nacre {

// A simulated venue's identity, and the simple model's bar fill mode.
struct SimulatedVenueConfig {
  Venue venue{"SIM"};
  AccountId account_id{"SIM-001"};
  BarFillMode bar_fill = BarFillMode::kNextOpen;
};

class MatchingVenue : public ExecutionClient {
 public:
  using ExecutionClient::ExecutionClient;

  // Market updates: match resting orders against the new data. Call before the data is
  // published to strategies.
  virtual void OnBar(const Bar& bar) = 0;
  virtual void OnQuote(const QuoteTick& quote) = 0;
  virtual void OnTrade(const TradeTick& /*trade*/) {}
  // Data delivered before a restart, again (the venue's ledger keeps orders, not prices): the
  // market as it stands, matched only against orders that arrived or were modified since, with
  // only the displayed size the fills since then left. Default: nothing.
  virtual void SeeMarket(const MarketData& /*point*/) {}
  // Processes queued commands that are due. Returns the count processed.
  virtual std::size_t ProcessCommands() = 0;
  virtual void Reset() = 0;
  // An instrument the venue lists (a venue keeps its own definitions; it never reads the
  // kernel's cache). Default: not needed.
  virtual void AddInstrument(const Instrument& /*instrument*/) {}
  // True when the venue wants data of every venue's instruments (e.g. the index that its
  // options settle against); false: only its own venue's instruments.
  virtual bool WantsAllData() const { return false; }
  // The loop that delivers the venue's due commands at their exact times (latency). Without
  // one, commands wait for ProcessCommands (a test driving the venue by hand).
  // The venue's events then reach the kernel after its response latency (through the loop).
  void AttachLoop(EventLoop* loop) {
    loop_ = loop;
    SetResponseDelay(loop, response_latency());
  }
  // How long the venue's events take to reach the kernel.
  virtual DurationNs response_latency() const { return 0; }

 protected:
  // A submit still waiting to reach the venue: SUBMITTED, or pending a modify or cancel sent
  // before the ack. Anything else (canceled locally meanwhile, already accepted: a duplicate
  // submit) is not accepted again.
  static bool AwaitsArrival(const Order& order) {
    const OrderStatus s = order.status();
    return s == OrderStatus::kSubmitted || s == OrderStatus::kPendingUpdate ||
           s == OrderStatus::kPendingCancel;
  }
  // Asks the loop to run ProcessCommands at `ts` (a command's arrival after its latency).
  void WakeAt(UnixNanos ts) {
    if (loop_ != nullptr) loop_->Schedule(ts, [this] { ProcessCommands(); });
  }

  // The venue's own ids, numbered from 1 per run: "{venue}-n" for orders, "{venue}-Tn" for
  // trades (ResetIds at Reset).
  VenueOrderId NextVenueOrderId() {
    return VenueOrderId(fmt::format(FMT_COMPILE("{}-{}"), venue().value(), ++next_order_id_));
  }
  TradeId NextTradeId() {
    return TradeId(fmt::format(FMT_COMPILE("{}-T{}"), venue().value(), ++next_trade_id_));
  }
  void ResetIds() { next_order_id_ = next_trade_id_ = 0; }
  // The id counters, for a venue that saves and restores its state.
  std::pair<std::uint64_t, std::uint64_t> id_counters() const {
    return {next_order_id_, next_trade_id_};
  }
  void set_id_counters(std::uint64_t orders, std::uint64_t trades) {
    next_order_id_ = orders;
    next_trade_id_ = trades;
  }

 private:
  EventLoop* loop_ = nullptr;
  std::uint64_t next_order_id_ = 0;
  std::uint64_t next_trade_id_ = 0;
};

}  // namespace nacre
