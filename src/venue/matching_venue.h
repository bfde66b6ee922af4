// MatchingVenue: what the backtest loop (and a sandbox) needs from a simulated venue besides
// the ExecutionClient interface: market updates, command processing and reset. SimulatedVenue
// (simple bar/quote matching) and SimulatedExchange (the realistic NSE F&O venue) implement it.
// Kernel thread only.
#pragma once

#include <cstddef>

#include "execution/execution_client.h"
#include "model/data.h"

namespace nacre {

class MatchingVenue : public ExecutionClient {
 public:
  using ExecutionClient::ExecutionClient;

  // Market updates: match resting orders against the new data. Call before the data is
  // published to strategies.
  virtual void OnBar(const Bar& bar) = 0;
  virtual void OnQuote(const QuoteTick& quote) = 0;
  virtual void OnTrade(const TradeTick& /*trade*/) {}
  // Processes queued commands that are due. Returns the count processed.
  virtual std::size_t ProcessCommands() = 0;
  virtual void Reset() = 0;
  // True when the venue wants data of every venue's instruments (e.g. the index that its
  // options settle against); false: only its own venue's instruments.
  virtual bool WantsAllData() const { return false; }
};

}  // namespace nacre
