// The Kite emulator's order management (LIVE.md §10, KITE_CONNECT.md §2): Kite's order, trade,
// portfolio, margin and charges routes over Nacre's own matching. One class, driven by the
// market replay: OnData feeds every market data item in time order, AdvanceTo runs what is due by
// a virtual time, Handle answers the routes (already authenticated by the caller) at a virtual
// time, and the order-update sink gets the ticker's {"type":"order"} messages.
//
// Matching: a private Kernel on a TestClock at virtual time holds Nacre's SimulatedExchange as
// the NFO venue (charges, margin check, LPP, Kite's market-protection rule, NSE hours, zero
// exchange latency: the OMS provides Kite's own delays). Market data goes to the exchange and the
// data engine exactly as the backtest loop delivers it, so fills follow the backtest's rules (a
// resting limit fills at its limit, a marketable one takes the displayed size at the touch and
// walks, …). What the exchange did comes back on the kernel bus (events.order.*).
//
// Life cycle (LIVE.md §10): place → `PUT ORDER REQ RECEIVED` (at the request) →
// `VALIDATION PENDING` → `OPEN PENDING`, each after a seeded 20–100 ms of virtual time, then the
// order goes to the exchange → `OPEN` | `TRIGGER PENDING` → `COMPLETE` | `CANCELLED` |
// `REJECTED`. Modify: `MODIFY VALIDATION PENDING` → `MODIFY PENDING` → exchange → `MODIFIED`,
// `OPEN` (or `NOT MODIFIED` and back when the exchange refuses it). Cancel: `CANCEL PENDING` →
// exchange → `CANCELLED`. Every status change is checked with KiteTransitionAllowed (a bug
// aborts). GET /orders/:id gives one history row per change, each the full order at that point.
//
// Rule checks are the exchange's own (SimulatedExchange::Precheck, one implementation):
// tick, lot, freeze, market protection (from 2026-04-01, `sebi_2026_rules`), market hours,
// unknown or expired instrument → HTTP 400 InputException with Kite's wording and no order
// created; insufficient margin → 400 MarginException "Insufficient funds. Required margin is X
// but available margin is Y." (₹ figures of the exchange's margin book). An LPP breach is
// asynchronous: the order is created and the exchange rejects it on arrival (REJECTED, with a
// Kite-like status_message and the exchange's text in status_message_raw). The exchange checks
// everything again on arrival, so a rule that starts failing during the transient delay (margin
// used by another order, the close) also ends in REJECTED.
//
// Protocol decisions (details Kite does not pin down, or that the emulator simplifies):
// - Order ids: 19-digit decimal strings, increasing, from the seed; exchange_order_id: 16
//   digits, given when the exchange accepts; trade ids: 8-digit strings in fill order.
// - A modify or cancel while the order is in a transient state (including another modify or
//   cancel): 400 InputException "Order cannot be modified as it is being processed. Try later."
//   ("… cancelled …" for cancel). Of a terminal order: 400 InputException "Order cannot be
//   modified as it is completed." (or "cancelled", "rejected"; "Order cannot be cancelled as it
//   is …" for cancel). Unknown id: 400 InputException "Couldn't find that `order_id`.".
// - Modify may change quantity, price and trigger_price. A different order_type is refused
//   (400 InputException): the exchange modifies in place. validity, disclosed_quantity and
//   market_protection in a modify are accepted and recorded but change nothing at the exchange.
// - A partial fill adds a history row with the same status (OPEN, more filled): Kite's history
//   shows exchange updates, but a same-status row is not a transition.
// - A fill that completes an order while a modify is pending ends the modify as `NOT MODIFIED`
//   then `COMPLETE` (the only path Kite's transition table allows); during `CANCEL PENDING` the
//   fill wins the race (`COMPLETE`) and the cancel is dropped.
// - Order updates (sink): each fill (OPEN with filled/pending, or COMPLETE), the OPEN (or
//   TRIGGER PENDING) after `MODIFIED` (one update, modified=true), CANCELLED, REJECTED; never a
//   transient status nor NOT MODIFIED (forum 3093). Postback fields added: user_id,
//   unfilled_quantity (= quantity − filled), app_id 0, checksum "".
// - pending_quantity = quantity − filled while the order lives, 0 once terminal;
//   cancelled_quantity = what a cancel or the day's close took off.
// - order_timestamp is the time of the order's latest status change (in a history row, that
//   row's; the placement time in the first); exchange_timestamp the exchange's acceptance;
//   exchange_update_timestamp the exchange's last event. Timestamps have whole seconds, so
//   the ledger's history rows also carry `emu_time_ns` (the exact virtual time). A trade's
//   order_timestamp is the placement time, time-only "HH:MM:SS" as in Zerodha's trades mock;
//   fill_ and exchange_timestamp carry the date.
// - status_message is null except on REJECTED (Kite-like text; the exchange's own reason in
//   status_message_raw) and on a NOT MODIFIED history row (the exchange's reason).
// - market_protection: -1 (auto) becomes OmsConfig::auto_market_protection_pct_raw (3%, what
//   users report Kite's auto band to be for ₹10–₹100 options); 0 < x ≤ 100 is x%; the order's
//   JSON echoes what was sent.
// - Validity DAY and IOC; TTL is refused (400 InputException). Products NRML and MIS (NFO).
//   Varieties other than `regular`: 400 InputException. tag: alphanumeric, ≤ 20 characters
//   (else 400 InputException); `tags` is [tag] or []. guid is "emu" + order_id.
// - Order fields follow the union of Zerodha's mocks except `auction_number` (auction variety
//   only) and `terminal_id` (not known to the emulator); account_id = placed_by = user_id.
// - Positions are per (instrument, product), average-cost: average_price is the open part's
//   average (as the exchange's VenuePosition keeps it); value = sell_value − buy_value; pnl =
//   value + quantity × last_price; unrealised = quantity × (last_price − average_price);
//   realised = pnl − unrealised; m2m = pnl (no previous close: close_price 0); the *_m2m fields
//   equal the values. last_price is the latest of quote mid, trade and bar close the OMS saw.
//   `day` holds the current IST day's fills. Conversion (PUT) relabels a whole position's
//   product; a partial conversion is refused (400 InputException).
// - The Kite day: GET /orders and /trades list the current IST day's orders (placed that day)
//   and trades only, as Kite's order book starts empty each morning (the ledger keeps all).
// - Expiry (NSE_FNO.md: index options are European, cash-settled at the final settlement
//   price, the index's close on expiry day): an option position open at its expiration is
//   settled by the exchange's kernel (execution/expiry_settlement.h: at intrinsic value from
//   the index's last price, STT on an exercised long in the money) and the cash booked. Kite
//   sends no trade for it: the position stays in /portfolio/positions for the rest of the
//   expiry day and is gone from the next IST day on (the net list no longer has it). The
//   ledger lists each settlement (`settlements`: the position, price, cash, charges and the
//   position's realised P&L with it). SetKeepExpiredPositions(true), a test's control, keeps
//   such a position listed as open (what a client's next-day check must catch).
// - /margins/orders: each order alone, span/exposure/option_premium/total from the NSE margin
//   book (nse/margin_book.h, marks as the exchange takes them); charges as one fill of the whole
//   quantity at the limit (MARKET: the touch, else the mark) on its own contract note.
//   /margins/basket: initial = Σ the orders alone; final = the whole basket in one book (hedge
//   benefit); with consider_positions=true, final = M(positions + basket) − M(positions);
//   charges = the basket on one contract note. Kite's charge fields: transaction_tax = STT,
//   exchange_turnover_charge = exchange + IPFT, sebi_turnover_charge = SEBI fee, stamp_duty,
//   gst.igst = GST (cgst, sgst 0).
// - /charges/orders: the listed orders as one day's contract note (ChargeCalculator), each
//   order its allocated share, brokerage once per order.
// - /user/margins equity from the ledger: opening_balance = cash = the configured cash;
//   live_balance = net = the ledger's cash − everything blocked; utilised.span = positions' SPAN
//   + working orders' block, exposure = positions' exposure, option_premium = net premium paid,
//   debits = span + exposure + option_premium + charges, m2m_* from the positions.
// - Handle(…, now) first runs everything due by `now` (AdvanceTo), so answers are current.
//
// Faults (LIVE.md §10 "Fault plan", faults.h), performed when SetFaults gave a plan. The OMS
// asks the plan at two points, subject = the order's tradingsymbol, key "oms", at the virtual
// time of the request: once per accepted placement (the actions it can perform there:
// stuck_open_pending, reject_rms, partial_fills, trades_lag; one of them at most) and once per
// cancel of an
// order the exchange holds (OPEN or TRIGGER PENDING; the action: cancel_loses_race). A
// placement or cancel refused synchronously (400) is no event. Each fire goes to the `fired`
// callback (the runtime logs it) and is in the plan's Log() with its rule.
// - stuck_open_pending (delay_ms; 0 = until cancelled): the order reaches OPEN PENDING as
//   usual and stays there for delay_ms of virtual time (instead of the seeded 20–100 ms) before
//   it goes to the exchange; with 0 it never goes. A modify meanwhile is "being processed" (the
//   status is transient, as for any order). A cancel is accepted (200 {"order_id"}): Kite's
//   OMS withdraws an order the exchange never got, so the order moves OPEN PENDING →
//   CANCELLED after one seeded transient delay (never through CANCEL PENDING, which is a
//   request to the exchange; Kite's table allows OPEN PENDING → CANCELLED), with
//   cancelled_quantity = quantity, no exchange_order_id, and a CANCELLED order update. A
//   second cancel while that withdrawal is pending is "being processed". The exchange never
//   had the stuck order, so the OMS ends it at the day's close itself (MarketHours::DayClose,
//   when OmsConfig::hours is set): OPEN PENDING → CANCELLED, cancelled_quantity = quantity, a
//   CANCELLED order update, as the exchange's DAY expiry ends a live order; a delay_ms that
//   ends after the close therefore never sends it. Without hours it stays until cancelled.
// - reject_rms: the order goes PUT ORDER REQ RECEIVED → VALIDATION PENDING → OPEN PENDING
//   and, when it would go to the exchange, REJECTED instead (never reaching it: no
//   exchange_order_id, no margin blocked), status_message = status_message_raw = "RMS:Rule:
//   Order blocked for entity account-<user_id> across exchange across segment across product:
//   emulated RMS rejection (fault plan rule N)" (Kite's RMS texts start "RMS:Rule:" and name
//   the entity that way), and a REJECTED order update.
// - partial_fills (trades = k ≥ 2): every fill the exchange gives the order becomes k trades
//   at the exchange's price, the quantity split in whole lots (F&O trades are lot multiples):
//   with L lots, min(k, L) trades, the first L mod that count one lot larger, the sum exact.
//   Each trade has its own trade id, history row (OPEN, or the status the order is in, with
//   the filled quantity so far; the last COMPLETE when the order is done) and order update,
//   all at the exchange's fill time (the exchange's position and cash never differ from the
//   trades'). A fill that is a single lot cannot be split: one trade.
// - trades_lag (delay_ms, default 5000): each trade of the order is missing from GET /trades
//   and GET /orders/:id/trades until delay_ms of virtual time after it was made, while the
//   order book, the order's history, its updates, positions and margins show the fill at once
//   (Kite's trade book lagging its order book: a client sees filled_quantity ahead of the
//   trades). /__emu/ledger lists the trades at once.
// - cancel_loses_race: the cancel is accepted (200, CANCEL PENDING as usual) but held: it goes
//   to the exchange only after the exchange has matched the next market item of the order's
//   instrument (not after the transient delay). If that item fills the order, the fill wins:
//   CANCEL PENDING → COMPLETE (the only update COMPLETE; the cancel is dropped, the order
//   never CANCELLED); a partial fill leaves the rest to the cancel (CANCELLED with
//   filled_quantity > 0); no fill: CANCELLED as without the fault. Deterministic: the outcome
//   depends on the market data only, not on timing. Until that item the order stays CANCEL
//   PENDING (the day's close still expires it at the exchange: CANCELLED).
// - HTTP visibility_delay (performed by the runtime through HideOrder): the placed order is
//   absent from the order book for delay_ms of virtual time: GET /orders omits it, GET
//   /orders/:id and /orders/:id/trades answer as for an unknown id (400 InputException
//   "Couldn't find that `order_id`."), GET /trades omits its trades. Everything else is
//   current: it lives, fills and can be modified or cancelled by id meanwhile, its order
//   updates are sent (a client that fetches the order on the update finds nothing yet),
//   positions and margins include its fills, and /__emu/ledger (the oracle) shows it with
//   `emu_hidden_until_ns`. Virtual time, because the order's whole life runs on it and a node
//   on the emulator's clock ([node] clock = "emulator", LIVE.md §4) measures its own waits on
//   it (the "look up at +1, +2, +5 s" of LIVE.md §7); a paused replay keeps the order hidden
//   until stepped past.
// Without a plan (or with an empty one) nothing of this happens and no rule is consulted.
// One thread (the emulator's I/O thread); deterministic for a seed.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/zerodha/kite_instruments.h"
#include "adapters/zerodha/kite_status.h"
#include "apps/kite_emulator/faults.h"
#include "apps/kite_emulator/sessions.h"
#include "common/market_hours.h"
#include "core/time.h"
#include "model/data.h"
#include "model/events.h"
#include "model/instrument.h"
#include "model/money.h"
#include "net/http.h"
#include "nse/margin_book.h"

namespace nacre {
class Kernel;
class SimulatedExchange;
class ChargeSchedule;
}  // namespace nacre

namespace nacre::kite_emu {

struct OmsConfig {
  KiteUser user;                        // user_id (placed_by, account_id), api_key
  Money cash = Money::FromInt(400'000);  // the ledger's opening balance
  std::uint64_t seed = 1;               // order ids and transient durations
  DurationNs transient_min = 20 * kNanosPerMilli;
  DurationNs transient_max = 100 * kNanosPerMilli;
  bool sebi_2026_rules = true;          // MARKET / SL-M need market_protection != 0 from 2026-04-01
  const MarketHours* hours = nullptr;   // the NSE calendar; null: always open
  // What Kite's market_protection=-1 (auto) becomes (raw percent, scale 10^9).
  std::int64_t auto_market_protection_pct_raw = 3 * kFixedScale;
};

class Oms : private MarginMarket {
 public:
  // `instruments`: the catalog's definitions; `rows`: the instruments dump giving each its
  // exchange, tradingsymbol and instrument_token (matched by tradingsymbol = raw_symbol, else
  // the id's symbol). `start`: the virtual time the OMS starts at.
  Oms(OmsConfig config, const std::vector<Instrument>& instruments,
      const std::vector<KiteInstrumentRow>& rows, UnixNanos start);
  ~Oms() override;
  Oms(const Oms&) = delete;
  Oms& operator=(const Oms&) = delete;

  // Every market data item, in time order.
  void OnData(const MarketData& d);
  // Runs everything due by virtual time `t` (transient steps, exchange commands, DAY expiry).
  void AdvanceTo(UnixNanos t);
  // The OMS routes; std::nullopt: not an OMS route. `now`: virtual time.
  std::optional<net::HttpResponse> Handle(const net::HttpRequest& request, const std::string& path,
                                          const std::string& query, UnixNanos now);
  // Order updates in postback format, for the ticker's {"type":"order","data":…} messages.
  void SetOrderUpdateSink(std::function<void(const nlohmann::json& order)> sink) {
    sink_ = std::move(sink);
  }
  // The fault plan the OMS consults (not owned; null or empty: none) and who hears each fault
  // it fires (the runtime's log). See the header comment for what each fault does.
  void SetFaults(FaultPlan* plan, std::function<void(const FiredFault&)> fired) {
    faults_ = plan;
    fired_ = std::move(fired);
  }
  // HTTP visibility_delay: the order is absent from the order book's reads (GET /orders,
  // /orders/:id, /orders/:id/trades, /trades) until virtual time `until`. False: no such order.
  bool HideOrder(const std::string& order_id, UnixNanos until);
  // Every order (with its history), trade and position, and the equity margins: the test
  // oracle of /__emu/ledger.
  nlohmann::json Ledger() const;
  // The /user/margins equity segment from the ledger.
  nlohmann::json EquityMargins() const;
  // The exchange (for tests and the ledger view).
  const SimulatedExchange& exchange() const { return *exchange_; }
  // A test's control: true makes /portfolio/positions keep listing contracts that expired on
  // an earlier day (as if the exchange had not settled them), to test a client's check.
  void SetKeepExpiredPositions(bool keep) { keep_expired_ = keep; }

 private:
  struct Listing {
    const Instrument* instrument = nullptr;
    const KiteInstrumentRow* row = nullptr;
  };
  struct ModifyAsk {
    std::optional<std::int64_t> quantity;
    std::optional<Price> price;
    std::optional<Price> trigger;
  };
  struct KiteOrder {
    std::string order_id;
    ClientOrderId coid;
    Listing listing;
    std::string product, order_type, transaction_type, validity;
    std::int64_t quantity = 0;
    std::int64_t disclosed = 0;
    std::int64_t filled = 0;
    std::int64_t cancelled = 0;
    Int128 filled_value = 0;  // Σ price raw × units (average = value / filled)
    std::optional<Price> price;
    std::optional<Price> trigger;
    nlohmann::json market_protection = 0;  // as sent
    std::int64_t protection_raw = 0;       // what the exchange gets
    KiteStatus status = KiteStatus::kPutOrderReqReceived;
    KiteStatus live = KiteStatus::kOpen;  // OPEN or TRIGGER PENDING (where a modify returns)
    std::optional<std::string> status_message, status_message_raw;
    UnixNanos placed;
    std::optional<UnixNanos> exchange_ts, exchange_update_ts;
    std::optional<std::string> exchange_order_id;
    bool modified = false;
    std::optional<std::string> tag;
    ModifyAsk modify;  // the modify in progress
    OrderInitialized init;  // the Nacre order sent to the exchange
    // What the exchange's precheck said just before the order went (its rejection's Kite text).
    std::optional<std::string> arrival_reason, arrival_text;
    std::vector<std::pair<UnixNanos, nlohmann::json>> history;  // (when, the order then)
    // Faults acting on this order (see the header comment).
    // stuck_open_pending, reject_rms, partial_fills, trades_lag
    std::optional<FiredFault> placement_fault;
    bool stuck = false;        // held in OPEN PENDING by stuck_open_pending
    bool withdrawing = false;  // a cancel of the stuck order is being carried out
    bool cancel_held = false;  // cancel_loses_race: the cancel waits for the next market item
    std::optional<UnixNanos> hidden_until;  // visibility_delay
    bool is_buy() const { return transaction_type == "BUY"; }
  };
  // An expired position the exchange cash-settled (the kernel's expiry settlement).
  struct Settlement {
    const Listing* listing = nullptr;
    std::string product;
    std::int64_t units = 0;  // signed: the position settled (+ long, − short)
    Price price;             // the settlement price per unit: the intrinsic value
    Money charges;           // STT on an exercised long in the money
    UnixNanos ts;
  };
  struct KiteTrade {
    std::string trade_id;
    std::string order_id;
    Price price;
    std::int64_t quantity = 0;
    UnixNanos ts;
  };
  enum class StepKind : std::uint8_t {
    kValidation, kOpenPending, kSend, kModifyPending, kSendModify, kSendCancel,
    kWithdraw,  // a stuck order's cancel: OPEN PENDING → CANCELLED
    kDayEnd,    // the day's close of a stuck order: OPEN PENDING → CANCELLED
  };
  struct Step {
    std::string order_id;
    StepKind kind;
  };
  // A position's figures over some fills (net: all, day: the IST day's).
  struct PositionKey {
    InstrumentId instrument;
    std::string product;
    friend auto operator<=>(const PositionKey&, const PositionKey&) = default;
  };

  // MarginMarket.
  const Instrument* FindInstrument(const InstrumentId& id) const override;
  std::optional<Price> Mark(const InstrumentId& id) const override;

  // Routes.
  net::HttpResponse Place(const std::string& variety, const std::string& body, UnixNanos now);
  net::HttpResponse Modify(const std::string& variety, const std::string& order_id,
                           const std::string& body, UnixNanos now);
  net::HttpResponse Cancel(const std::string& variety, const std::string& order_id,
                           UnixNanos now);
  net::HttpResponse Orders() const;
  net::HttpResponse History(const std::string& order_id) const;
  net::HttpResponse Trades(const std::string* order_id) const;
  net::HttpResponse Positions() const;
  net::HttpResponse ConvertPosition(const std::string& body);
  net::HttpResponse OrderMargins(const std::string& body, UnixNanos now) const;
  net::HttpResponse BasketMargins(const std::string& body, const std::string& query,
                                  UnixNanos now) const;
  net::HttpResponse ContractNote(const std::string& body, UnixNanos now) const;

  // Life cycle.
  void Schedule(UnixNanos at, const std::string& order_id, StepKind kind);
  DurationNs TransientDelay();
  void RunStep(const Step& step);
  void OnOrderEvent(const OrderEvent& e);
  // Moves the order to `to` (aborts on a transition Kite's table forbids) and adds the row.
  void Transition(KiteOrder& o, KiteStatus to, UnixNanos at);
  void AddRow(KiteOrder& o, UnixNanos at);
  // Ends a live or pending order in `terminal` (through NOT MODIFIED when a modify is pending).
  void Finish(KiteOrder& o, KiteStatus terminal, UnixNanos at);
  void Update(const KiteOrder& o);  // the order update to the sink
  // Sends the order's cancel to the exchange (CANCEL PENDING).
  void SendCancel(KiteOrder& o, UnixNanos now);
  // One exchange fill of the order as `parts` trades (1: as the exchange gave it).
  void RecordFill(KiteOrder& o, Price px, std::int64_t units, UnixNanos at, int parts);
  // The fault the plan fires for this OMS event, if any (given to `fired_` too).
  std::optional<FiredFault> Fault(const KiteOrder& o, UnixNanos now,
                                  std::span<const FaultAction> can);
  // Whether the order book shows the order now (visibility_delay).
  bool Visible(const KiteOrder& o) const;
  KiteOrder* Find(const std::string& order_id);
  KiteOrder* FindByCoid(const ClientOrderId& id);
  nlohmann::json OrderJson(const KiteOrder& o) const;
  nlohmann::json TradeJson(const KiteOrder& o, const KiteTrade& t) const;
  // The positions (net: every fill; day: the IST day's); the sums of realised and unrealised
  // P&L are added to the out-parameters when given.
  nlohmann::json PositionList(bool day, Money* realised_sum = nullptr,
                              Money* unrealised_sum = nullptr) const;
  const Listing* Lookup(const std::string& exchange, const std::string& symbol) const;
  std::optional<Price> LastPrice(const InstrumentId& id) const;
  std::string NextOrderId();

  OmsConfig config_;
  std::vector<Instrument> instruments_;
  std::vector<KiteInstrumentRow> rows_;
  std::map<InstrumentId, const Instrument*> by_id_;
  std::map<std::string, Listing> listings_;  // "EXCHANGE:tradingsymbol"
  std::map<InstrumentId, Listing> listing_of_;
  std::shared_ptr<const ChargeSchedule> schedule_;
  std::unique_ptr<Kernel> kernel_;
  SimulatedExchange* exchange_ = nullptr;  // owned by the kernel's execution engine
  MarginBookConfig book_config_;
  std::mt19937_64 rng_;      // transient durations
  std::mt19937_64 id_rng_;   // order ids: their own stream, so an id never depends on how many
                             // transient steps ran before (the wall-clock pace of a replay)
  std::uint64_t next_order_id_ = 0;
  std::uint64_t next_exchange_id_ = 0;
  std::uint64_t next_trade_ = 0;
  std::map<std::string, KiteOrder> orders_;  // by order_id (ids increase: placement order)
  std::map<ClientOrderId, std::string> by_coid_;
  std::vector<KiteTrade> trades_;
  std::vector<Settlement> settlements_;
  bool keep_expired_ = false;
  std::map<std::string, std::string> product_of_;  // order_id → product (conversion relabels)
  std::map<std::pair<UnixNanos, std::uint64_t>, Step> steps_;
  std::uint64_t step_seq_ = 0;
  struct Market {
    std::optional<QuoteTick> quote;
    std::optional<Price> trade;
    std::optional<Price> bar_close;
    std::optional<Price> last;  // the latest of quote mid, trade, bar close
  };
  std::map<InstrumentId, Market> markets_;
  std::size_t held_cancels_ = 0;  // orders with cancel_held set
  std::function<void(const nlohmann::json&)> sink_;
  FaultPlan* faults_ = nullptr;
  std::function<void(const FiredFault&)> fired_;
};

}  // namespace nacre::kite_emu
