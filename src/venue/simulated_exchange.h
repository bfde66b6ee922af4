// SimulatedExchange: a realistic simulated NSE F&O venue acting as that venue's
// ExecutionClient. It sees the market only through OnQuote/OnTrade/OnBar and reads time from
// the kernel clock, so the backtest loop and a live sandbox can both drive it.
//
// Matching: one MatchingCore per instrument (venue/matching_core.h: pure, no clock or cache)
// holds the best bid/ask and their displayed sizes from quotes, the last trade, and the last
// bar's close, and decides the executions; the exchange applies its venue rules around it and
// books each execution on its ledger. Rules:
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
// Margin (with `margin_check`): the NSE margin book of nse/margin_book.h (the same one the
// risk engine's pre-trade check uses) on the exchange's own positions and resting orders, per
// underlying: positions blocked as MarginBalance.maintenance, working orders' increase as
// MarginBalance.initial. A new order (or a modify) is rejected when it raises the blocked
// amount by more than the free balance: "insufficient margin: required ₹84,210.00, free
// ₹61,000.00" (required = the increase, free = the ledger's cash − everything blocked). The
// block is released when an order is canceled, expires or is rejected, and moves into
// maintenance as it fills. The exchange reports the account (AccountState from its ledger)
// after each command and market update that changed either figure.
// The ledger: the exchange keeps its own copy of every order it received (VenueOrder: the
// submit as sent, then what the exchange did to it), its net positions (options premium-style,
// futures by realized P&L), its cash (the starting balance, premiums, charges, settlements)
// and the day's fills. Status, fill and position reports come from this ledger, never from the
// kernel's cache, which the exchange never reads or writes; instruments come from AddInstrument.
// SaveState/RestoreState write and read the ledger (and the open orders' matching state) as
// JSON, so a sandbox restarts where it stopped. Commands still in flight (inside their latency)
// are not saved: like messages on a dropped connection they are lost, and the node's in-flight
// check resolves their orders.
// Response latency: the exchange's events reach the kernel `latency.response` after they
// happen (ts_event: when the exchange did it; ts_init: when the kernel received it).
// Expiry: at an option's expiration (15:30 IST) resting orders in it expire and new orders are
// rejected. Open positions are cash settled by the kernel (execution/expiry_settlement.h), for
// any execution client; the exchange charges the settlement on its contract note
// (ExpiryCharges: STT on exercised long ITM options) and releases the margin it held.
// Kernel thread only. Deterministic for a given config (seeded RNG, ordered containers).
#pragma once

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <unordered_map>

#include "common/id_map.h"
#include "common/market_hours.h"
#include "model/data.h"
#include "model/instrument.h"
#include "nse/charges.h"
#include "nse/margin_book.h"
#include "venue/matching_core.h"
#include "venue/matching_venue.h"

namespace nacre {

// The price a triggered STOP_MARKET's market protection band is measured from: its trigger
// (default: a gap beyond the band leaves it resting, as brokers' market-price protection on
// stop orders does) or the market when it triggers (ask/bid, else the last price or, on bars,
// the price at the trigger).
enum class StopProtectionReference : std::uint8_t { kTrigger, kMarket };

// When commands reach the exchange and its answers reach the kernel.
struct LatencyModel {
  DurationNs submit = 0;
  DurationNs modify = 0;
  DurationNs cancel = 0;
  DurationNs response = 0;  // from the exchange back to the kernel (every event and report)
};

struct SimulatedExchangeConfig {
  Venue venue{"NFO"};
  AccountId account_id{"SIM-001"};
  Money starting_balance = Money::Zero();  // the ledger's opening cash
  FillModel fill;
  LatencyModel latency;
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
  // DAY orders expire at the session close (false: they work until canceled, the simple model).
  bool expire_day_orders = true;
  // DAY order expiry when `hours` gives no close for the day.
  int close_hour_ist = 15;
  int close_minute_ist = 30;

  // The simple model (what SimulatedVenue was): bars or quotes, no latency, no charges, no
  // margin, no Kite or NSE band rules, no DAY expiry, full size at the touch.
  static SimulatedExchangeConfig Simple(const SimulatedVenueConfig& venue);
};

// The exchange's own record of an order: the submit as it arrived, then what the exchange did.
struct VenueOrder {
  OrderRef ref;  // ids, side, type; venue_order_id once accepted
  TimeInForce tif = TimeInForce::kDay;
  Quantity quantity;
  Quantity filled;
  std::optional<Price> price;
  std::optional<Price> trigger;
  UnixNanos expire_time;
  std::int64_t protection_raw = 0;  // the order's Kite market_protection (0: venue default)
  std::string tag;
  OrderStatus status = OrderStatus::kSubmitted;
  bool triggered = false;
  Int128 filled_value = 0;  // Σ price raw × quantity raw (avg price = value / filled)
  std::string reason;       // rejection reason
  UnixNanos ts_accepted;
  UnixNanos ts_last;
  // Matching state: its place among the resting orders, and a cancel that stops it matching
  // before the cancel is handled (zero cancel latency).
  std::optional<std::uint64_t> resting_seq;
  bool cancel_requested = false;
  // The exchange's definition of its instrument, found once (definitions are stable).
  mutable const Instrument* instrument = nullptr;

  const ClientOrderId& client_order_id() const { return ref.client_order_id; }
  const InstrumentId& instrument_id() const { return ref.instrument_id; }
  OrderSide side() const { return ref.side; }
  bool is_buy() const { return ref.side == OrderSide::kBuy; }
  OrderType order_type() const { return ref.order_type; }
  TimeInForce time_in_force() const { return tif; }
  std::optional<Price> trigger_price() const { return trigger; }
  bool is_closed() const {
    return status == OrderStatus::kFilled || status == OrderStatus::kCanceled ||
           status == OrderStatus::kExpired || status == OrderStatus::kRejected;
  }
  Quantity leaves_qty() const {
    return is_closed() ? Quantity::Zero(quantity.precision())
                       : Quantity::Raw(quantity.raw() - filled.raw(), quantity.precision());
  }
  std::optional<Price> avg_px(int precision) const;
};

// The venue rule an order (or a modify) breaks, as the exchange checks it on arrival.
enum class VenueRule : std::uint8_t {
  kUnknownInstrument,
  kNotTradable,
  kExpired,
  kMarketClosed,
  kNoChargeSchedule,  // futures with charges on (no schedule for them)
  kLotSize,
  kFreezeQuantity,
  kTickSize,
  kGtdPassed,
  kMarketProtection,  // MARKET / SL-M without market protection (SEBI rules from 2026-04-01)
  kLpp,               // a limit beyond the NSE limit price protection band
  kMargin,            // insufficient margin (required and free are set)
  kMarginUnpriced,    // the margin cannot be computed (a price is missing)
  kNotOpen,           // modify: the order is not open at the venue
  kQuantityNotAboveFilled,  // modify: the new quantity does not exceed what has filled
};
const char* VenueRuleName(VenueRule rule);

// Why the exchange refuses an order or a modify: the rule and the exchange's own text (the
// reason its rejection carries).
struct VenueRefusal {
  VenueRule rule = VenueRule::kUnknownInstrument;
  std::string message;
  Money required;  // kMargin: the increase in blocked margin the order asks for
  Money free;      // kMargin: the free balance (cash − everything blocked)
};

// The exchange's net position in one instrument.
struct VenuePosition {
  std::int64_t net_raw = 0;        // signed quantity, raw fixed point
  std::int64_t overnight_raw = 0;  // net at the start of the IST day
  int precision = 0;
  Int128 open_value = 0;  // Σ price raw × |quantity raw| of the open part (avg = value / |net|)
  Money realized;         // futures style: realized P&L booked to cash
  UnixNanos ts_last;
};

class SimulatedExchange final : public MatchingVenue, private MarginMarket {
 public:
  explicit SimulatedExchange(const SimulatedExchangeConfig& config);

  const SimulatedExchangeConfig& config() const { return config_; }
  void set_market_hours(const MarketHours* hours) { config_.hours = hours; }
  DurationNs response_latency() const override { return config_.latency.response; }
  // The contracts the exchange lists (and the underlyings its margin reads).
  void AddInstrument(const Instrument& instrument) override;

  void SubmitOrder(const nacre::SubmitOrder& cmd, const Order& order) override;
  // What the exchange would answer if `order` arrived at `at` with the market and ledger as
  // they are now: the first rule it breaks (the same checks, in the same order, as on arrival),
  // or nullopt when it would be accepted. No side effects (nothing is booked or reported; the
  // margin is taken on the ledger's blocks as last flushed).
  std::optional<VenueRefusal> Precheck(const Order& order, UnixNanos at);
  // The same for a modify of an order in the ledger (unset fields: unchanged).
  std::optional<VenueRefusal> PrecheckModify(const ClientOrderId& id,
                                             std::optional<Quantity> quantity,
                                             std::optional<Price> price,
                                             std::optional<Price> trigger);
  void ModifyOrder(const nacre::ModifyOrder& cmd, const Order& order) override;
  void CancelOrder(const nacre::CancelOrder& cmd, const Order& order) override;
  // From the ledger: every order of the IST day (and older ones still open).
  std::vector<OrderStatusReport> GenerateOrderStatusReports(const ReportQuery& q) override;
  std::vector<FillReport> GenerateFillReports(const ReportQuery& q) override;
  std::vector<PositionStatusReport> GeneratePositionStatusReports(const ReportQuery& q) override;
  bool ReportsAllOrders() const override { return true; }
  bool ReportsPositions() const override { return true; }
  // Answers with the order's status report and fills from the ledger (after the response
  // latency); an order the exchange never received gets a REJECTED report saying so.
  void QueryOrder(const nacre::QueryOrder& cmd, const Order& order) override;

  // Market updates (any instrument: the underlying's prices feed margin and settlement).
  // Commands that arrived before the update are processed first, then resting orders match.
  // Data delivered before a restart, again: its prices, matched only against orders that
  // arrived or were modified since (the restored ones met it before the save), and a quote
  // offers only the displayed size the fills since its time left.
  void SeeMarket(const MarketData& point) override;
  void OnQuote(const QuoteTick& quote) override;
  void OnTrade(const TradeTick& trade) override;
  void OnBar(const Bar& bar) override;
  // Processes commands whose arrival time has come and expires DAY/GTD orders. Returns the
  // number of commands processed.
  std::size_t ProcessCommands() override;
  bool has_pending_commands() const { return pending_count() != 0; }
  std::size_t resting_count() const { return resting_.size(); }
  std::uint64_t fill_count() const { return fills_; }
  // Sum of every fill's and settlement's charges.
  const ChargeBreakdown& total_charges() const { return total_charges_; }
  // The ledger.
  Money cash() const { return cash_; }
  const VenueOrder* order(const ClientOrderId& id) const;
  const std::map<InstrumentId, VenuePosition>& positions() const { return positions_; }
  // The NSE margin of the ledger's net positions on `underlying` (with `extra`, an order in the
  // ledger, as if working: its unfilled quantity, or `extra_leaves`/`extra_price` as a modify
  // would change them), or an error when a price is missing.
  Result<MarginResult> MarginFor(const InstrumentId& underlying,
                                 const std::optional<ClientOrderId>& extra = {},
                                 std::optional<Quantity> extra_leaves = {},
                                 std::optional<Price> extra_price = {});
  // The margin blocked on `underlying` now for positions and working orders (what the account
  // shows after the next report), or an error when a price is missing.
  Result<BlockedMargin> BlockedMarginFor(const InstrumentId& underlying);
  void Reset() override;
  bool WantsAllData() const override { return true; }
  ChargeBreakdown ExpiryCharges(const CivilDate& trade_date, PositionSide side,
                                Money intrinsic_value) override;
  void OnPositionSettled(const InstrumentId& instrument, Price intrinsic) override;

  // The ledger and open orders' matching state as JSON (SaveState), and back (RestoreState,
  // into an exchange with the same config and instruments, before any command); a bad or
  // foreign state is refused with the field at fault and leaves the exchange unchanged.
  std::string SaveState() const;
  Status RestoreState(const std::string& json);
  // Reports the ledger's account now (a sandbox after RestoreState: the kernel's account
  // starts from what the venue holds).
  void ReportAccount();

 private:
  // By the id's intern number (common/id_map.h): looked up on every command and fill. A
  // value stays where it is until erased (resting entries point at their orders). Its index
  // grows with the ids the process interned (8 bytes each), as the cache's orders do.
  using OrderMap = IdMap<ClientOrderId, VenueOrder>;
  struct Pending {
    enum class Kind : std::uint8_t { kSubmit, kModify, kCancel } kind;
    UnixNanos due;
    std::uint64_t seq;
    OrderRef ref;  // the ids the command carries (the submit's order waits in in_flight_)
    std::optional<Quantity> quantity;
    std::optional<Price> price;
    std::optional<Price> trigger;
  };
  struct Resting {
    VenueOrder* order;
    UnixNanos since;
    // The earliest of: DAY, the session close; GTD, its time; the instrument's expiry.
    std::optional<UnixNanos> expires;
    MatchState match;  // protection band, queue position (the core's state for this order)
    bool restored = false;  // from a saved ledger (RestoreState): met the data before the save
  };

  // MarginMarket (for the margin book).
  const Instrument* FindInstrument(const InstrumentId& id) const override;
  std::optional<Price> Mark(const InstrumentId& id) const override;
  MarginBookConfig margin_config_;
  MarginScenarioCache margin_cache_;  // instruments priced at the current time, for every book
  // The one book BookOf fills for each check, block update and report (its buffers kept).
  std::optional<MarginBook> book_;

  void Enqueue(Pending p);
  // DAY/GTD expiry and the IST day roll, once per clock time.
  // Nothing to do before the next IST midnight or the next resting order's expiry: one
  // compare on the hot path.
  void Housekeeping() {
    const UnixNanos now = Now();
    if (day_ && now < next_day_start_ && now < next_expiry_) return;
    HousekeepingSlow(now);
  }
  void HousekeepingSlow(UnixNanos now);
  void RollDay(UnixNanos now);
  void ProcessDue(UnixNanos until) {
    if (inbox_head_ < inbox_.size() && inbox_[inbox_head_].due <= until) ProcessDueSlow(until);
  }
  void ProcessDueSlow(UnixNanos until);
  void Handle(const Pending& p);
  void HandleModify(const Pending& p);
  void Arrive(VenueOrder& order, UnixNanos at);
  // The exchange's record of `order` as sent (before any answer).
  static VenueOrder SentOf(const Order& order);
  std::optional<VenueRefusal> CheckRules(const VenueOrder& order, const Instrument* inst,
                                         UnixNanos at) const;
  // The rules a modify must pass (quantity, lot, freeze, tick, LPP, margin).
  std::optional<VenueRefusal> CheckModify(const VenueOrder& order, Quantity qty,
                                          std::optional<Price> price,
                                          std::optional<Price> trigger, bool flush);
  // Empty, or why `price` (a limit) is beyond the LPP band of `inst` now.
  std::string CheckLpp(const VenueOrder& order, const Instrument& inst,
                       std::optional<Price> price) const;
  // `flush`: bring the ledger's blocks up to date first (false: a side-effect-free precheck).
  std::optional<VenueRefusal> CheckMargin(const VenueOrder& order,
                                          std::optional<Quantity> leaves = {},
                                          std::optional<Price> price = {},
                                          std::optional<Price> trigger = {}, bool flush = true);
  // The exchange's book for `underlying` at Now(), refilled from the ledger: valid until the
  // next call.
  MarginBook& BookOf(const InstrumentId& underlying, bool with_working);
  WorkingLeg LegOf(const VenueOrder& order, std::optional<Quantity> leaves,
                   std::optional<Price> price, std::optional<Price> trigger) const;
  // Marks the underlying of `order` for a margin report; FlushMargins reports every marked one.
  void MarginChanged(const VenueOrder& order);
  void MarginChanged(const InstrumentId& instrument);
  void FlushMargins() {
    if (!margin_dirty_.empty()) FlushMarginsSlow();
  }
  void FlushMarginsSlow();
  // Aggressive execution against the book; returns true when the order is done (filled or
  // canceled).
  bool Execute(Resting& r, bool arriving);
  // Data seen again after a restore (SeeMarket): what the ledger's fills of `instrument` since
  // `since` on one side could have taken at `px` (buys at or above it, sells at or below).
  Quantity TakenBeforeTheSave(const InstrumentId& instrument, UnixNanos since, bool buys,
                              Price px) const;
  // A resting order against a print of which `left` is still to be had (less what it fills).
  bool MatchTrade(Resting& r, const TradeTick& t, std::int64_t& left);
  bool MatchBar(Resting& r, const Bar& b);
  bool CheckTrigger(Resting& r, std::optional<Price> last);
  // The core's view of a ledger order.
  MatchOrder ViewOf(const VenueOrder& o) const;
  // Books one execution on the ledger (a fill); true when the order is then filled in full.
  bool Apply(VenueOrder& o, const Execution& e);
  // Marks a stop triggered at `market` (fixing a STOP_MARKET's protection limit).
  void Triggered(Resting& r, Price market);
  // Ledger transitions, each with its event.
  void Fill(VenueOrder& order, Price px, Quantity qty, LiquiditySide liquidity);
  void Reject(VenueOrder& order, const std::string& why, UnixNanos at);
  void Cancel(VenueOrder& order, UnixNanos at);
  void Expire(VenueOrder& order, UnixNanos at);
  void BookPosition(const VenueOrder& order, const Instrument* inst, Price px, Quantity qty);
  void Rest(VenueOrder& order, UnixNanos since, std::optional<Price> limit);
  void Remove(const ClientOrderId& id);
  void ExpireOrders();
  bool Touch();
  const Instrument* InstrumentOf(const VenueOrder& order) const;
  ChargeBreakdown ChargesFor(const VenueOrder& order, Price px, Quantity qty);
  OrderStatusReport ReportOf(const VenueOrder& o) const;
  std::vector<FillReport> FillsOf(const ClientOrderId& id) const;

  SimulatedExchangeConfig config_;
  std::unordered_map<InstrumentId, Instrument, IdHash> instruments_;
  std::shared_ptr<const ChargeSchedule> schedule_;
  std::optional<ChargeCalculator> charges_;
  std::mt19937_64 rng_;
  // Commands in flight, sorted by (due, seq) from inbox_head_ on (a vector reused without
  // allocating once drained).
  std::vector<Pending> inbox_;
  std::size_t inbox_head_ = 0;
  std::size_t pending_count() const { return inbox_.size() - inbox_head_; }
  // Resting orders by arrival sequence: a vector kept sorted (sequences only grow, so adding
  // appends), no allocation per order once warm. References are stable until the next
  // emplace or erase, which the matching loops never do while they hold one.
  class RestingBook {
   public:
    using value_type = std::pair<std::uint64_t, Resting>;
    Resting& at(std::uint64_t seq) {
      auto it = Find(seq);
      if (it == items_.end() || it->first != seq) std::abort();  // a bug: not resting
      return it->second;
    }
    void emplace(std::uint64_t seq, const Resting& r) {
      if (items_.empty() || items_.back().first < seq) {
        items_.emplace_back(seq, r);
      } else {
        items_.emplace(Find(seq), seq, r);
      }
    }
    void erase(std::uint64_t seq) {
      auto it = Find(seq);
      if (it != items_.end() && it->first == seq) items_.erase(it);
    }
    void clear() { items_.clear(); }
    std::size_t size() const { return items_.size(); }
    bool empty() const { return items_.empty(); }
    auto begin() { return items_.begin(); }
    auto end() { return items_.end(); }
    auto begin() const { return items_.begin(); }
    auto end() const { return items_.end(); }

   private:
    std::vector<value_type>::iterator Find(std::uint64_t seq) {
      return std::lower_bound(items_.begin(), items_.end(), seq,
                              [](const value_type& v, std::uint64_t k) { return v.first < k; });
    }
    std::vector<value_type> items_;
  };
  RestingBook resting_;
  bool seeing_ = false;  // SeeMarket: restored resting orders are passed over
  struct Charged {};
  IdMap<ClientOrderId, Charged> charged_orders_;  // brokerage already charged
  // One matching core per instrument seen (its book and rules).
  IdMap<InstrumentId, MatchingCore> markets_;  // looked up on every quote (common/id_map.h)
  // Find or add; data mostly comes in runs of one instrument, so the last one is checked first.
  MatchingCore& MarketOf(const InstrumentId& id) {
    if (last_market_ != nullptr && last_market_id_ == id) return *last_market_;
    return MarketOfSlow(id);
  }
  MatchingCore& MarketOfSlow(const InstrumentId& id);
  MatchingCore* CoreOf(const InstrumentId& id);    // find (null: no data yet)
  InstrumentId last_market_id_;
  MatchingCore* last_market_ = nullptr;
  std::set<InstrumentId> margin_dirty_;  // underlyings whose blocked margin may have changed
  std::uint64_t next_seq_ = 0;
  std::uint64_t next_cmd_ = 0;
  std::uint64_t fills_ = 0;
  ChargeBreakdown total_charges_;
  // The ledger.
  OrderMap orders_;     // the day's orders and every open one (reports sort by id)
  // Submits still inside their latency (moved into orders_ on arrival): a few at a time, so
  // a hash map, whose size follows them, not an index over every id.
  std::unordered_map<ClientOrderId, VenueOrder, IdHash> in_flight_;
  // The ledger's orders in client order id order (reports, saves: deterministic).
  std::vector<const VenueOrder*> SortedOrders() const;
  std::map<InstrumentId, VenuePosition> positions_;
  std::vector<FillReport> day_fills_;
  std::map<InstrumentId, BlockedMargin> blocked_;  // as last reported, per underlying
  Money cash_;
  std::optional<CivilDate> day_;  // the IST date the day's records belong to
  UnixNanos next_day_start_;      // the IST midnight that ends `day_`
  UnixNanos next_expiry_;         // no resting order expires before this
  // The day's chargeable events, replayed into a fresh calculator on restore (the open
  // contract note's rounding continues exactly).
  std::vector<ChargeableTrade> day_charges_;
};

}  // namespace nacre
