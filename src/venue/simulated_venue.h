// SimulatedVenue: a simple simulated exchange for one venue, acting as that venue's
// ExecutionClient. Commands are queued and processed when the owner calls
// ProcessCommands(), so acknowledgements arrive asynchronously, after the strategy's handler
// returns, as they would from a real venue. It sees the market only through OnBar/OnQuote,
// never through a backtest loop, so a sandbox can drive it from live data.
//
// Fill rules (the first, bar-based model; the realistic NSE venue replaces it):
// - MARKET: at the next bar's open (kNextOpen, as backtrader/backtesting.py) or at the
//   current bar's close (kCurrentClose); with quotes, at the ask (buy) or bid (sell).
// - LIMIT: fills at the limit price when a later bar trades through it (O->H->L->C), or at
//   the open when the bar opens beyond it; with quotes, when the opposite side crosses.
// - STOP_MARKET / STOP_LIMIT: trigger when a bar touches the trigger; stop-market fills at
//   the trigger (or the open on a gap), stop-limit then rests as a limit.
// - IOC orders that cannot fill at once are canceled. No fees, no partial fills.
// Kernel thread only.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "model/data.h"
#include "model/instrument.h"
#include "venue/matching_venue.h"

namespace nacre {

enum class BarFillMode : std::uint8_t { kNextOpen, kCurrentClose };

struct SimulatedVenueConfig {
  Venue venue{"SIM"};
  AccountId account_id{"SIM-001"};
  BarFillMode bar_fill = BarFillMode::kNextOpen;
};

class SimulatedVenue final : public MatchingVenue {
 public:
  explicit SimulatedVenue(const SimulatedVenueConfig& config);

  const SimulatedVenueConfig& config() const { return config_; }

  void SubmitOrder(const nacre::SubmitOrder& cmd, const Order& order) override;
  void ModifyOrder(const nacre::ModifyOrder& cmd, const Order& order) override;
  void CancelOrder(const nacre::CancelOrder& cmd, const Order& order) override;
  std::vector<OrderStatusReport> GenerateOrderStatusReports(const ReportQuery& q) override;

  // Market updates: match resting orders against the new data. Call before the data is
  // published to strategies.
  void OnBar(const Bar& bar) override;
  void OnQuote(const QuoteTick& quote) override;
  // Processes queued commands (accept, cancel, modify, immediate fills). Returns the count.
  std::size_t ProcessCommands() override;
  bool has_pending_commands() const { return !inbox_.empty(); }
  std::size_t resting_count() const { return resting_.size(); }
  std::uint64_t fill_count() const { return fills_; }
  void Reset() override;

 private:
  struct Pending {
    enum class Kind : std::uint8_t { kSubmit, kModify, kCancel } kind;
    const Order* order;
    std::optional<Quantity> quantity;
    std::optional<Price> price;
    std::optional<Price> trigger;
  };
  struct Market {
    std::optional<QuoteTick> quote;
    std::optional<Bar> bar;
  };
  void Accept(const Order& order);
  // Tries to fill an order against the latest market immediately. Returns true if filled.
  bool TryFillNow(const Order& order);
  bool MatchBar(const Order& order, const Bar& bar);
  bool MatchQuote(const Order& order, const QuoteTick& q, bool resting);

 public:
  // The simple venue charges nothing, settlement included.
  ChargeBreakdown ExpiryCharges(const CivilDate&, PositionSide, Money) override { return {}; }

 private:
  void Fill(const Order& order, Price px, LiquiditySide liquidity);
  void Remove(const ClientOrderId& id);

  SimulatedVenueConfig config_;
  std::deque<Pending> inbox_;
  // Resting orders in arrival order; the map keeps them deterministic.
  struct Resting {
    const Order* order;
    UnixNanos since;  // acceptance time: older market data cannot fill it
  };
  bool Matchable(const Order& order, UnixNanos data_start) const;
  std::map<std::uint64_t, Resting> resting_;
  std::unordered_set<ClientOrderId, IdHash> cancel_requested_;
  std::unordered_map<ClientOrderId, std::uint64_t, IdHash> resting_seq_;
  std::unordered_map<ClientOrderId, bool, IdHash> triggered_;
  std::unordered_map<InstrumentId, Market, IdHash> markets_;
  std::uint64_t next_seq_ = 0;
  std::uint64_t fills_ = 0;
};

}  // namespace nacre
