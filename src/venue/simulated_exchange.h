// SimulatedExchange: a realistic simulated NSE F&O venue acting as that venue's
// ExecutionClient. It sees the market only through OnQuote/OnTrade/OnBar and reads time from
// the kernel clock, so the backtest loop and a live sandbox can both drive it.
//
// Matching core (per instrument): the best bid/ask and their displayed sizes from quotes, the
// last trade, and the last bar when only bars exist. Rules:
// - MARKET takes the opposite best price up to its displayed size; the rest walks away from
//   it by `walk_ticks` ticks per further `size_step` (default: the displayed size), one
//   OrderFilled per level. IOC orders take only what is displayed; the rest is canceled.
// - Kite market_protection p% turns MARKET (and triggered STOP_MARKET) into a limit at the
//   reference ± p% (MARKET: ask for buys, bid for sells, else the last price; STOP_MARKET: its
//   trigger price by default, `stop_protection` = kMarket for the market price when it
//   triggers); walking stops at that limit and the rest rests as a limit order (it may stay
//   unfilled). The same holds with trades or bars only: a stop that triggers on a gap beyond
//   the band rests as that limit and fills only when the market comes back to it.
// - LIMIT: marketable on arrival (or after a modify) it takes the displayed size and walks
//   while within the limit, as TAKER, and rests the rest. A resting limit that a later quote
//   crosses fills at its own limit, as MAKER, for at most the size displayed on that side
//   (never at the quote's better price); a trade through the limit fills it at the limit (up
//   to the trade's size); a bar that opens through or reaches it fills at the limit; a trade
//   or bar that only touches it fills with probability `limit_touch_probability` (seeded RNG).
// - STOP_MARKET / STOP_LIMIT trigger on the bid/ask or on the last trade/bar (configurable),
//   then act as MARKET (with protection) or LIMIT.
// - Bars only: MARKET at the next bar's open or the current close; limits and stops walk the
//   bar O->H->L->C (the rules of SimulatedVenue), full size.
// Latency: submit, modify and cancel commands join a time-ordered inbox and take effect at
// now + latency: the exchange asks the kernel's EventLoop to wake it at that time (WakeAt),
// which runs it before timers and market data of that time, so an order sees the market as it
// is when it arrives and its ack and fills carry the arrival time, whatever the data interval.
// NSE rules on arrival (rejections name the rule): market hours and holidays (MarketHours),
// expired instruments, tick grid, lot multiples, freeze quantity, and with charges on, futures
// (no futures charge schedule in NSE_FNO.md). DAY orders expire at the close of the session
// of the day they were accepted on (MarketHours::DayClose: 15:30 IST on a normal day, the
// special session's close on a special day such as Muhurat trading or an early close; without
// market hours `close_hour_ist:close_minute_ist`), GTD orders at their time.
// Charges: each fill's commission is Zerodha's index-option charges of its IST trade date
// (ChargeCalculator, contract-note rounding; brokerage on an order's first fill), itemised in
// OrderFilled::charges.
// Margin (with `margin_check`), per underlying, from nse/margin.h:
// - positions: M(net positions) less the long options' premium, blocked as
//   MarginBalance.maintenance (the premium was paid out of the balance on the fill:
//   premium-style accounting, portfolio/accounting.h);
// - working orders: max(0, W − M(positions)), blocked as MarginBalance.initial, where W is the
//   worst of M(positions + every working order as if filled), M(positions + working buys),
//   M(positions + working sells) and, when some working orders would reduce a position, the
//   same three with only the orders' opening parts (a close may never fill). Taking the worse
//   side means a working long never lends its hedge benefit to a working short (NSE_FNO.md:
//   the benefit applies only when the long is in the position), and the opening-part cases
//   mean a working close never pays for a working open. A working buy adds premium at the mark
//   plus what its limit (a stop: its trigger) pays above the mark, for the units it adds to a
//   long (units already held keep their mark). An option without a market yet is valued with
//   Black-76 at `margin_default_vol`.
// - A new order (or a modify) is rejected when it raises the blocked amount by more than the
//   free balance: "insufficient margin: required ₹84,210.00, free ₹61,000.00" (required = the
//   increase, free = total − everything blocked). The block is released when an order is
//   canceled, expires or is rejected, and moves into maintenance as it fills. The exchange
//   reports the account (AccountState, reported) after each command and market update that
//   changed either figure.
// Expiry: at an option's expiration (15:30 IST) resting orders in it expire and new orders are
// rejected. Open positions are cash settled by the kernel (execution/expiry_settlement.h), for
// any execution client; the exchange charges the settlement on its contract note
// (ExpiryCharges: STT on exercised long ITM options) and releases the margin it held.
// Kernel thread only. Deterministic for a given config (seeded RNG, ordered containers).
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "common/cache.h"
#include "common/market_hours.h"
#include "model/data.h"
#include "model/instrument.h"
#include "nse/charges.h"
#include "nse/margin.h"
#include "venue/matching_venue.h"
#include "venue/simulated_venue.h"

namespace nacre {

enum class StopTriggerSource : std::uint8_t { kBidAsk, kLast };
// The price a triggered STOP_MARKET's market protection band is measured from: its trigger
// (default: a gap beyond the band leaves it resting, as brokers' market-price protection on
// stop orders does) or the market when it triggers (ask/bid, else the last price or, on bars,
// the price at the trigger).
enum class StopProtectionReference : std::uint8_t { kTrigger, kMarket };

struct ExchangeFillConfig {
  BarFillMode bar_fill = BarFillMode::kNextOpen;
  int walk_ticks = 1;                 // ticks per further size step beyond the best price
  std::optional<Quantity> size_step;  // default: the displayed size at the best price
  double limit_touch_probability = 1.0;
  StopTriggerSource stop_trigger = StopTriggerSource::kBidAsk;
  std::uint64_t seed = 1;
};

struct ExchangeLatencyConfig {
  DurationNs submit = 0;
  DurationNs modify = 0;
  DurationNs cancel = 0;
};

// The margin the exchange blocks on one underlying.
struct BlockedMargin {
  Money positions;        // maintenance: M(net positions) − its long premium (already paid)
  Money working;          // initial: the increase working orders would add (header comment)
  Money positions_total;  // M(net positions) with premium: the base the increase is taken from
  friend bool operator==(const BlockedMargin&, const BlockedMargin&) = default;
};

struct SimulatedExchangeConfig {
  Venue venue{"NFO"};
  AccountId account_id{"SIM-001"};
  ExchangeFillConfig fill;
  ExchangeLatencyConfig latency;
  bool charges = true;
  // Charges from this schedule (default: ChargeSchedule::ZerodhaIndexOptions()).
  std::shared_ptr<const ChargeSchedule> schedule;
  // Default Kite market_protection for MARKET/STOP_MARKET orders that carry none (raw percent at
  // scale 10^9: 2% = 2e9; 0 = unprotected).
  std::int64_t market_protection_pct_raw = 0;
  StopProtectionReference stop_protection = StopProtectionReference::kTrigger;
  // SEBI retail-algo rules (Kite, from 2026-04-01 IST): MARKET and SL-M orders with no market
  // protection (neither the order's nor the venue default above) are rejected.
  bool require_market_protection = true;
  // NSE limit price protection: a buy limit above the high band or a sell limit below the low
  // band around the reference price (the last trade, else the quote mid, else the last bar
  // close) is rejected, on arrival and on modify. Options: ±₹20 up to a ₹50 reference, ±40%
  // above; futures: ±₹200 up to ₹10,000, ±2% above.
  bool lpp = true;
  bool margin_check = true;
  MarginParams margin;
  double margin_default_vol = 0.15;    // option vol when no implied vol can be taken
  double underlying_vol = 0.0;         // annual EWMA vol of the underlying for the price scan
  const MarketHours* hours = nullptr;  // trading hours/holidays (null: always open)
  // DAY order expiry when `hours` gives no close for the day.
  int close_hour_ist = 15;
  int close_minute_ist = 30;
};

class SimulatedExchange final : public MatchingVenue {
 public:
  SimulatedExchange(const SimulatedExchangeConfig& config, Cache& cache);

  const SimulatedExchangeConfig& config() const { return config_; }
  void set_market_hours(const MarketHours* hours) { config_.hours = hours; }

  void SubmitOrder(const nacre::SubmitOrder& cmd, const Order& order) override;
  void ModifyOrder(const nacre::ModifyOrder& cmd, const Order& order) override;
  void CancelOrder(const nacre::CancelOrder& cmd, const Order& order) override;
  std::vector<OrderStatusReport> GenerateOrderStatusReports(const ReportQuery& q) override;
  // Answers with the order's status report (resting here, or as last known) at once.
  void QueryOrder(const nacre::QueryOrder& cmd, const Order& order) override;

  // Market updates (any instrument: the underlying's prices feed margin and settlement).
  // Commands that arrived before the update are processed first, then resting orders match.
  void OnQuote(const QuoteTick& quote) override;
  void OnTrade(const TradeTick& trade) override;
  void OnBar(const Bar& bar) override;
  // Processes commands whose arrival time has come, expires DAY/GTD orders and settles expired
  // options. Returns the number of commands processed.
  std::size_t ProcessCommands() override;
  bool has_pending_commands() const { return !inbox_.empty(); }
  std::size_t resting_count() const { return resting_.size(); }
  std::uint64_t fill_count() const { return fills_; }
  // Sum of every fill's and settlement's charges.
  const ChargeBreakdown& total_charges() const { return total_charges_; }
  // The NSE margin of the account's net positions on `underlying` (+ `extra` order), or an
  // error when a price is missing.
  // `extra_leaves`/`extra_price` stand for the order's as a modify would change them.
  Result<MarginResult> MarginFor(const InstrumentId& underlying, const Order* extra = nullptr,
                                 std::optional<Quantity> extra_leaves = {},
                                 std::optional<Price> extra_price = {});
  // The margin blocked on `underlying` now for positions and working orders (what the account
  // shows after the next report), or an error when a price is missing.
  Result<BlockedMargin> BlockedMarginFor(const InstrumentId& underlying);
  void Reset() override;
  bool WantsAllData() const override { return true; }
  ChargeBreakdown ExpiryCharges(const CivilDate& trade_date, PositionSide side,
                                Money intrinsic_value) override;
  void OnPositionSettled(const InstrumentId& instrument) override;

 private:
  struct Pending {
    enum class Kind : std::uint8_t { kSubmit, kModify, kCancel } kind;
    UnixNanos due;
    std::uint64_t seq;
    const Order* order;
    std::optional<Quantity> quantity;
    std::optional<Price> price;
    std::optional<Price> trigger;
  };
  struct Market {
    std::optional<QuoteTick> quote;
    std::optional<Price> last;
    std::optional<Bar> bar;
    std::optional<UnixNanos> updated;  // clock time of the last update
    // Displayed size still available on this quote (consumed by fills).
    std::int64_t bid_left = 0;
    std::int64_t ask_left = 0;
  };
  struct Resting {
    const Order* order;
    UnixNanos since;
    std::optional<Price> limit;  // protection limit of a market order that rested
    bool triggered = false;
    std::optional<UnixNanos> expires;  // DAY: the session close; GTD: its time
  };
  // One working order's effect on the margin: signed units and the price its premium is
  // charged at (buys).
  struct WorkingLeg {
    const Order* order;
    InstrumentId instrument;
    std::int64_t units;
    std::optional<Price> price;
  };
  // Positions and working orders of one underlying, with each instrument's margin leg (vol,
  // time, mark) computed once.
  struct MarginBook {
    InstrumentId underlying;
    std::map<InstrumentId, std::int64_t> positions;  // net units
    std::vector<WorkingLeg> working;
    std::map<InstrumentId, MarginLeg> legs;  // quantity unset; filled lazily
  };
  enum class WorkingSide : std::uint8_t { kNone, kAll, kBuys, kSells };

  void Enqueue(const Pending& p);
  // DAY/GTD expiry and option settlement, once per clock time.
  void Housekeeping();
  void ProcessDue(UnixNanos until);
  void Handle(const Pending& p);
  void Arrive(const Order& order, UnixNanos at);
  std::string CheckRules(const Order& order, const Instrument* inst, UnixNanos at);
  // Empty, or why `price` (a limit) is beyond the LPP band of `inst` now.
  std::string CheckLpp(const Order& order, const Instrument& inst, std::optional<Price> price) const;
  std::string CheckMargin(const Order& order, std::optional<Quantity> leaves = {},
                          std::optional<Price> price = {}, std::optional<Price> trigger = {});
  MarginBook BookOf(const InstrumentId& underlying, bool with_working);
  WorkingLeg LegOf(const Order& order, std::optional<Quantity> leaves, std::optional<Price> price,
                   std::optional<Price> trigger) const;
  // M(positions + the working orders of `side`).
  // With `openings_only`, the parts of working orders that would only reduce a position are
  // left out.
  Result<MarginResult> Evaluate(MarginBook& book, WorkingSide side, bool openings_only = false);
  // (limit, units) of the working buys per instrument.
  using BuyLimits = std::map<InstrumentId, std::vector<std::pair<double, std::int64_t>>>;
  Result<MarginResult> Compute(MarginBook& book, const std::map<InstrumentId, std::int64_t>& net,
                               const BuyLimits& buy_limits);
  // `same_positions`: a result for the same positions, whose position figures are reused.
  Result<BlockedMargin> Blocked(MarginBook& book, const BlockedMargin* same_positions = nullptr);
  // Marks the underlying of `order` for a margin report; FlushMargins reports every marked one.
  void MarginChanged(const Order& order);
  void FlushMargins();
  // The protection limit of a market-like order from `ref`, or nullopt when unprotected.
  std::optional<Price> ProtectionLimit(const Order& o, const Instrument& inst, Price ref) const;
  // Aggressive execution against the book; returns true when the order is done (filled or
  // canceled).
  bool Execute(Resting& r, bool arriving);
  bool MatchTrade(Resting& r, const TradeTick& t);
  // A resting limit crossed by the current quote (returns true when it is done).
  bool FillResting(Resting& r, Market& m);
  bool MatchBar(Resting& r, const Bar& b);
  bool TryBarNow(Resting& r);
  bool CheckTrigger(Resting& r, const Market& m, std::optional<Price> last);
  // Marks a stop triggered at `market` (fixing a STOP_MARKET's protection limit).
  void Triggered(Resting& r, Price market);
  std::optional<Price> EffectiveLimit(const Resting& r) const;
  void Fill(const Order& order, Price px, Quantity qty, LiquiditySide liquidity);
  void Rest(const Order& order, UnixNanos since, std::optional<Price> limit, bool triggered);
  void Remove(const ClientOrderId& id);
  void ExpireOrders();
  // After any update: settles at once when `id` is the underlying of an order seen (its
  // closing print).
  void AfterUpdate(const InstrumentId& id);
  void ReportMargin(const InstrumentId& underlying);
  bool Touch();
  const Instrument* InstrumentOf(const Order& order) const;
  ChargeBreakdown ChargesFor(const Order& order, Price px, Quantity qty);

  SimulatedExchangeConfig config_;
  Cache& cache_;
  std::shared_ptr<const ChargeSchedule> schedule_;
  std::optional<ChargeCalculator> charges_;
  std::mt19937_64 rng_;
  std::deque<Pending> inbox_;  // sorted by (due, seq)
  std::map<std::uint64_t, Resting> resting_;
  std::unordered_map<ClientOrderId, std::uint64_t, IdHash> resting_seq_;
  std::unordered_set<ClientOrderId, IdHash> cancel_requested_;
  std::unordered_set<ClientOrderId, IdHash> charged_orders_;  // brokerage already charged
  std::map<InstrumentId, Market> markets_;
  std::optional<UnixNanos> last_housekeeping_;
  std::set<InstrumentId> margin_dirty_;  // underlyings whose blocked margin may have changed
  std::uint64_t next_seq_ = 0;
  std::uint64_t next_cmd_ = 0;
  std::uint64_t fills_ = 0;
  ChargeBreakdown total_charges_;
};

}  // namespace nacre
