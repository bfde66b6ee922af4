// KiteExecutionClient (LIVE.md §7-§8, issue 15): Nacre's orders on Zerodha through Kite
// Connect's REST API (KiteRestClient), following LIVE.md's execution rules.
//
// Threads. The ExecutionClient calls (submit, modify, cancel, mass status) come on the kernel
// thread. Requests run on the REST client's lanes; every answer comes back to the kernel
// thread as a KernelTask through the node's inbox, and only there is the client's state read
// or changed, and events emitted. Timers (ambiguity lookups, "being processed" retries,
// refetches of orders still in transient states, polling) run on the client's own I/O thread,
// which only posts requests.
//
// Place. The order's venue tag (given by the cache from the node's prefix and journaled with
// the order before anything is sent) is sent as Kite's `tag`. SUBMITTED is emitted at once;
// the answer decides the rest:
//   200 {order_id}      → the order's history is fetched (and refetched while Kite holds it in
//                         transient states); OPEN gives Accepted through the status report;
//   4xx Input/Order/... → Rejected with Kite's error type and message (MarginException says
//                         "margin shortfall");
//   403 TokenException  → Rejected, and the token alert (the node halts and waits for a login);
//   429 past the budget, or no connection → Rejected: never placed;
//   timeout, reset, 5xx → unknown: the day's order book is searched for the tag now and at
//                         the configured offsets (0, 1, 2, 5 s); found → adopted (its history
//                         fetched); absent when the ambiguity window (10 s) ends → Rejected
//                         ("not found at venue after ambiguous send") and the tag is watched:
//                         if it appears later (any order-book read), the order is adopted
//                         (from a fetch with its trades), alerted, and when orphan_policy is
//                         "cancel" cancelled by the kernel (KiteBooks::cancel: a journaled
//                         CancelOrder, never a send the journal does not know).
// A placement is never sent twice.
//
// Modify and cancel. PendingUpdate / PendingCancel at once; held until the Kite order id is
// known (never sent by tag); "Order cannot be modified/cancelled as it is being processed"
// (InputException) is retried after 200 ms, up to 5 times; then ModifyRejected /
// CancelRejected with Kite's message. An ambiguous cancel fetches the order and is sent again
// while it is still open (a cancel is safe to repeat); an ambiguous modify is never resent: the
// history says whether it applied (ModifyRejected when it did not).
//
// Order updates (the ticker's `order` messages, OnOrderUpdate from any thread) are triggers
// only: the order's history and trades are fetched, one fetch in flight per order (an update
// during a fetch causes one more). The kernel gets an OrderStatusReport and FillReports (one
// per Kite trade, keyed by trade id) and derives the events (Reconciler), so duplicated, late,
// reordered or missing updates are harmless; trades lagging the cumulative filled quantity are
// fetched again before anything is inferred.
//
// Reconciliation. GenerateMassStatus reads /orders, /trades and /portfolio/positions (the Kite
// day): every order of the day (orders_complete) and net positions (positions_reported).
// Charges are Nacre's Zerodha schedule on each trade (Kite reports none per trade).
//
// The account as Kite reports it. /user/margins (the equity segment, which carries F&O) is read
// at connect, after each batch of new trades (debounced: one read for a burst) and every
// account_poll; each answer becomes a reported AccountState for the client's account: locked =
// span + exposure (what Kite blocks), free = net (what Kite lets us use), total = their sum.
// Before it is emitted the total is compared with Nacre's own books (KiteBooks::balance): a
// difference beyond account_tolerance on two consecutive reads (one read may see a fill the
// kernel has not yet) is a WARN (an alert of kind kWarn), never a halt.
//
// Position polling. /portfolio/positions (net) is read every positions_poll and compared, per
// instrument, with the kernel's net positions (KiteBooks::positions; instruments past their
// expiry, which the kernel settles before Kite does, are left out for the rest of the expiry
// day). A fill in flight makes
// one poll differ; the same difference (the same instrument, Kite's and ours) on two
// consecutive polls calls KiteBooks::halt with both quantities (the node: the kernel's HALT, as
// a reconciliation mismatch).
//
// Basket check (basket_margin_check). A list of two or more orders (a spread) is sent as the
// base class sends it, leg by leg, at once; beside it the legs go to /margins/basket
// (consider_positions=true) with a short deadline, and Kite's required margin is logged (kInfo)
// beside Nacre's figure for the same legs (KiteBooks::spread_margin). Informational only: the
// send never waits for it, and a failed check is logged.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "adapters/zerodha/kite_models.h"
#include "adapters/zerodha/kite_rest_client.h"
#include "common/inbox.h"
#include "execution/execution_client.h"
#include "model/instrument.h"
#include "nse/charges.h"

namespace nacre {

namespace net {
class IoThread;
}

// One instrument as Kite names it.
struct KiteSymbol {
  InstrumentId instrument_id;
  std::string exchange;       // "NFO"
  std::string tradingsymbol;  // "NIFTY25DEC24000CE"
  std::uint32_t instrument_token = 0;
  int price_precision = 2;
  std::int64_t multiplier = 1;
};

struct KiteExecConfig {
  ClientId client_id{"KITE"};
  Venue venue{"NFO"};
  AccountId account_id{"KITE-001"};
  std::string product = "NRML";
  // Kite's market_protection for MARKET and SL-M orders that carry none of their own (percent;
  // -1: Kite's automatic protection). Never 0: Kite rejects unprotected market orders.
  std::string default_market_protection = "-1";
  DurationNs request_deadline = 7 * kNanosPerSecond;  // one HTTP attempt
  DurationNs place_budget = 3 * kNanosPerSecond;      // 429 / no-connection resends
  DurationNs fetch_budget = 5 * kNanosPerSecond;      // each GET of an order's fetch
  DurationNs ambiguity_window = 10 * kNanosPerSecond;
  std::vector<DurationNs> lookup_offsets = {0, kNanosPerSecond, 2 * kNanosPerSecond,
                                            5 * kNanosPerSecond};
  DurationNs processing_retry = 200 * kNanosPerMilli;
  int processing_tries = 5;
  DurationNs transient_refetch = 250 * kNanosPerMilli;  // an order Kite still holds transient
  int transient_refetches = 40;
  DurationNs lagging_trades_refetch = 300 * kNanosPerMilli;
  int lagging_trades_refetches = 5;
  DurationNs mass_status_budget = 10 * kNanosPerSecond;
  // The Kite day is read as orders, trades, positions and the orders again; when the two
  // order reads differ (a fill landed during the read) or trades lag an order, it is read
  // again, at most this many times in all.
  int mass_status_reads = 5;
  // The day's order book read this often while connected (LIVE.md §8 rule 7): an order whose
  // status or filled quantity moved without an update reaching us (a ticker gap: Kite replays
  // none) is fetched: one this client tracks, or one it does not (recovered from the journal
  // after a restart, placed elsewhere) that appeared or moved since the last mass status or
  // poll. 0: off.
  DurationNs orders_poll = 5 * kNanosPerSecond;
  // "cancel": an orphan (our tag, unknown to us) is adopted and cancelled; "keep": adopted only.
  std::string orphan_policy = "cancel";
  // The account from /user/margins this often (0: only at connect and after fills), one read
  // this long after a batch of new trades, and a WARN when Kite's total differs from Nacre's
  // books by more than the tolerance.
  DurationNs account_poll = 60 * kNanosPerSecond;
  DurationNs account_debounce = kNanosPerSecond;
  Money account_tolerance = Money::FromInt(1);
  // The net positions from /portfolio/positions this often (0: off).
  DurationNs positions_poll = 30 * kNanosPerSecond;
  // /margins/basket beside every spread sent (informational), answered within the deadline.
  bool basket_margin_check = false;
  DurationNs basket_deadline = kNanosPerSecond;
  std::vector<KiteSymbol> symbols;
};

// What the client reads of the kernel's books and how it halts (kernel thread). Any hook may be
// empty: that check is then skipped.
struct KiteBooks {
  // Nacre's own balance total of the account (its books: premiums and charges of the fills).
  std::function<std::optional<Money>()> balance;
  // The kernel's net position of each instrument of the account's venue (signed raw quantity,
  // Quantity's scale; flat instruments may be left out).
  std::function<std::map<InstrumentId, std::int64_t>()> positions;
  // True for an instrument past its expiry on its expiry day (node's clock): the kernel settled
  // it, while Kite lists the position until its next day (from then on it is compared).
  std::function<bool(const InstrumentId&)> expired;
  // A mismatch the node cannot trade through: trading HALTED with `why`.
  std::function<void(const std::string&)> halt;
  // Cancels the kernel's order with this venue id as the engine cancels a contingent peer:
  // PENDING_CANCEL at once, then a CancelOrder through the execution engine (journaled with
  // that state before it is sent, then back to this client; a crash between the two leaves a
  // PENDING_CANCEL order, whose cancel the next start sends again).
  enum class CancelAsk { kSent, kAlreadyCancelling, kNoWorkingOrder, kRefused };
  std::function<CancelAsk(const VenueOrderId&)> cancel;
  // Nacre's margin for `orders` sent together with the account's positions and working orders
  // (the risk engine's NSE margin book), or why there is none.
  std::function<Result<Money>(const std::vector<const Order*>&)> spread_margin;
};

class KiteExecutionClient final : public ExecutionClient {
 public:
  // `rest` and `inbox` outlive the client (the node owns them).
  KiteExecutionClient(KiteExecConfig config, KiteRestClient& rest, Inbox& inbox);
  ~KiteExecutionClient() override;

  void Connect() override;
  void Disconnect() override;
  bool is_connected() const override { return connected_.load(); }

  void SubmitOrder(const ::nacre::SubmitOrder& cmd, const Order& order) override;
  void SubmitOrderList(const ::nacre::SubmitOrderList& cmd,
                       const std::vector<const Order*>& orders) override;
  void ModifyOrder(const ::nacre::ModifyOrder& cmd, const Order& order) override;
  void CancelOrder(const ::nacre::CancelOrder& cmd, const Order& order) override;
  void QueryOrder(const ::nacre::QueryOrder& cmd, const Order& order) override;

  Result<ExecutionMassStatus> GenerateMassStatus() override;
  // Zerodha's charges on a fill the reconciliation inferred (Kite's trade book behind its
  // order book): the schedule's figures for that fill on its own, brokerage when the order
  // had no fill before (and then on none of the order's trades listed later). Kite's note
  // allocates rounding over the day, so the trades, once listed, may differ by a paisa a
  // component; the reconciliation logs both (kernel thread, as all of this client's state).
  ChargeBreakdown InferredFillCharges(const Order& order, Quantity qty, Price px,
                                      UnixNanos ts) override;
  bool ReportsAllOrders() const override { return true; }
  bool ReportsPositions() const override { return true; }

  // A ticker `order` message (any thread): fetches that order's history and trades.
  void OnOrderUpdate(const std::string& json_text);
  // OnOrderUpdate for a data client's I/O thread that may outlive this client: a no-op once
  // the client is gone.
  std::function<void(std::string)> OrderUpdateSink();
  // Alerts for the operator and the node (kernel thread): a token refused, an orphan adopted,
  // an order not found after an ambiguous send, Kite's account figures.
  enum class AlertKind : std::uint8_t { kToken, kOrphan, kLost, kInfo, kWarn };
  void SetAlertHandler(std::function<void(AlertKind, const std::string&)> h) {
    alert_ = std::move(h);
  }
  void SetBooks(KiteBooks books) { books_ = std::move(books); }
  // Instruments listed since the client was made (the daily instrument refresh; kernel
  // thread); one already known is left as it is.
  void AddSymbols(const std::vector<KiteSymbol>& symbols);
  // Reads /user/margins now (kernel thread; one read in flight, a request during it makes one
  // more) and reports the account.
  void RefreshAccount();
  // Reads /portfolio/positions now and compares (kernel thread).
  void PollPositions();

  struct Stats {
    std::uint64_t placed = 0;             // 200 answers
    std::uint64_t rejected = 0;           // placements refused or never sent
    std::uint64_t ambiguous = 0;          // placements with an unknown outcome
    std::uint64_t adopted_after_lookup = 0;
    std::uint64_t lost_after_lookup = 0;  // rejected after the ambiguity window
    std::uint64_t orphans_adopted = 0;
    std::uint64_t processing_retries = 0;
    std::uint64_t fetches = 0;
    std::uint64_t updates = 0;  // ticker order messages
    std::uint64_t reports = 0;  // status reports emitted
    std::uint64_t lagging_trade_refetches = 0;
    std::uint64_t mass_status_rereads = 0;  // the Kite day moved during a mass status read
    std::uint64_t polls = 0;           // order-book reads by the poll
    std::uint64_t polled_changes = 0;  // orders the poll found moved
    // Of those, orders this client does not track (placed by an earlier process and recovered
    // from the journal, adopted, or placed elsewhere): fetched as a ticker update would be.
    std::uint64_t polled_untracked = 0;
    std::uint64_t account_reads = 0;   // /user/margins answers reported
    std::uint64_t account_warnings = 0;
    std::uint64_t position_polls = 0;  // /portfolio/positions answers compared
    std::uint64_t position_suspects = 0;  // polls that differed once
    std::uint64_t position_halts = 0;
    std::uint64_t basket_checks = 0;   // /margins/basket answers logged
    std::uint64_t basket_failures = 0;
  };
  // Why two reads of the order book around a trade list do not make one picture (empty: they
  // do): an order changed between them, or its trades do not add up to its filled quantity.
  static std::string DayMoved(const std::vector<KiteOrder>& before,
                              const std::vector<KiteOrder>& after,
                              const std::vector<KiteTrade>& trades);
  const Stats& stats() const { return stats_; }  // kernel thread
  const std::set<std::string>& orphan_watch() const { return orphan_watch_; }

 private:
  struct Tracked {
    OrderRef ref;
    std::string tag;
    std::string kite_id;
    int price_precision = 2;
    std::int64_t multiplier = 1;
    bool fetching = false;
    bool dirty = false;
    int transient_left = 0;
    int lagging_left = -1;  // -1: the config's count (set on the first fetch)
    // The place was sent (or is queued in the orders lane) and its answer is not in: only that
    // answer, or the tag lookup an unknown answer starts, decides the order's fate.
    bool placing = false;
    bool looking_up = false;    // a tag lookup chain (LookUp) is running
    UnixNanos ambiguous_since;  // the place's answer was unknown (zero: not)
    std::optional<::nacre::ModifyOrder> held_modify;
    bool held_cancel = false;
    // An ambiguous modify (what it asked for), until the order's history says if it applied.
    std::optional<::nacre::ModifyOrder> modify_unresolved;
    // A modify Kite took (200), until a MODIFIED or NOT MODIFIED row after its MODIFY
    // VALIDATION PENDING (past `modify_rows`, the history's length when it was sent) says how it
    // ended: NOT MODIFIED (say beyond the LPP band) gives ModifyRejected, which no report would
    // (the order is back as it was).
    bool modify_taken = false;
    std::size_t modify_rows = 0;
    std::size_t history_rows = 0;  // rows in the last history read
    int cancel_resends = 0;
    // What the last report said (the poll fetches an order whose book entry differs).
    std::string seen_status;
    std::int64_t seen_filled = -1;
  };

  // Runs `fn` on the kernel thread (through the inbox).
  void Kernel(std::string origin, std::function<void()> fn);
  // Runs `fn` on the client's I/O thread after `delay`.
  void After(DurationNs delay, std::function<void()> fn);
  const KiteSymbol* SymbolOf(const InstrumentId& id) const;
  const KiteSymbol* SymbolOf(const std::string& exchange, const std::string& tradingsymbol) const;

  void OnPlaced(const ClientOrderId& id, const KiteOutcome& out);
  void LookUp(const ClientOrderId& id, std::size_t attempt);
  void OnLookedUp(const ClientOrderId& id, std::size_t attempt, const KiteOutcome& out);
  void SendModify(Tracked& t, const ::nacre::ModifyOrder& cmd, int try_no);
  void OnModified(const ClientOrderId& id, const ::nacre::ModifyOrder& cmd, int try_no,
                  const KiteOutcome& out);
  void SendCancel(Tracked& t, int try_no);
  void OnCancelled(const ClientOrderId& id, int try_no, const KiteOutcome& out);
  void ReleaseHeld(Tracked& t);
  // The tracking entry of `order`, made from the kernel's order when this process did not place
  // it (recovered or adopted); null when nothing identifies it at Kite.
  Tracked* Track(const Order& order);
  // Fetches an order's history (and trades when it has fills); `id` empty: an order we do not
  // track (a ticker update about it).
  void Fetch(const ClientOrderId& id);
  void FetchUntracked(const std::string& kite_id, int lagging_left = -1);
  // Reads an order's trades, then its history, and hands both to OnFetched on the kernel
  // thread (`lagging_left` as OnFetched's `untracked_lagging_left`).
  void ReadOrder(const ClientOrderId& id, const std::string& kite_id, int lagging_left);
  // `untracked_lagging_left`: for an order not tracked here, how many more reads a lagging
  // trade list may ask for.
  void OnFetched(const ClientOrderId& id, const std::string& kite_id, const KiteOutcome& history,
                 const KiteOutcome& trades, int untracked_lagging_left);
  // Reads of the order book (lookups, polls, mass status): a watched orphan tag that appears
  // is adopted and fetched. Returns the Kite ids fetched.
  std::set<std::string> CheckOrphans(const std::vector<KiteOrder>& orders);
  OrderStatusReport ReportOf(const KiteOrder& k, const Tracked* t) const;
  std::vector<FillReport> FillsOf(const KiteOrder& k, const std::vector<KiteTrade>& trades,
                                  const Tracked* t);
  Result<PositionStatusReport> PositionOf(const KitePosition& p) const;
  void Alert(AlertKind kind, const std::string& text);
  void OnPolled(const KiteOutcome& out);
  // How a fetch of an untracked order ended (reported to the kernel, or not and `why`), for
  // the poll's asks.
  void UntrackedOutcome(const std::string& kite_id, bool reported, const std::string& why);
  // An orphan's cancel abandoned (alerted with `why`; the order left as Kite has it).
  void GiveUpOrphanCancel(std::map<std::string, int>::iterator oc, const std::string& status,
                          const std::string& why);
  void OnMargins(const KiteOutcome& out);
  void OnPositions(const KiteOutcome& out);
  // A batch of new trades: one account read after the debounce.
  void AccountAfterFills();
  void CheckBasket(const std::vector<const Order*>& orders);
  KiteCall Get(std::string path, DurationNs budget) const;
  // A place (empty `kite_id`), modify or cancel of a regular order: the place budget.
  KiteCall OrderCommand(std::string method, const std::string& kite_id) const;

  KiteExecConfig config_;
  KiteRestClient& rest_;
  Inbox& inbox_;
  std::unique_ptr<net::IoThread> io_;
  std::atomic<bool> connected_{false};
  std::uint64_t poll_timer_ = 0;
  struct Alive {
    std::mutex mu;
    KiteExecutionClient* self = nullptr;
  };
  std::shared_ptr<Alive> alive_ = std::make_shared<Alive>();
  std::atomic<bool> closing_{false};
  std::unordered_map<InstrumentId, std::size_t, IdHash> by_instrument_;
  std::map<std::pair<std::string, std::string>, std::size_t> by_symbol_;
  std::unordered_map<ClientOrderId, Tracked, IdHash> tracked_;
  std::unordered_map<std::string, ClientOrderId> by_kite_id_;
  std::set<std::string> orphan_watch_;
  // Kite ids of orphans to cancel (orphan_policy "cancel") once the kernel has adopted them
  // as working orders from their fetch's report: the cancel is then the kernel's command,
  // journaled like any. Until then (Kite still processing the order, or its fetch failing)
  // the poll fetches them again, kOrphanCancelReads times at most (the count kept here), then
  // alerts.
  static constexpr int kOrphanCancelReads = 12;
  std::map<std::string, int> orphan_cancels_;
  // The poll's own fetches of untracked orders: the state it asked about, how many times
  // (reset when the state changes), and whether one is in flight. A fetch that ends without
  // a report is asked again at the next poll, up to kUntrackedTries times for one state.
  struct UntrackedAsk {
    std::string status;
    std::int64_t filled = -1;
    int tries = 0;
    bool in_flight = false;
    bool alerted = false;  // that its fetches failed, once per state
  };
  static constexpr int kUntrackedTries = 3;
  std::unordered_map<std::string, UntrackedAsk> untracked_asks_;
  std::size_t untracked_cursor_ = 0;  // where the next poll's untracked fetches start
  // Kite id → (status, filled) of the orders on Kite's book that this client does not track,
  // as the kernel last heard of them (the mass status; a fetch's report; a tracked order's
  // last report when it ended): the poll fetches those that moved since (or appeared), as a
  // ticker update would, so an order recovered from the journal (never tracked here until
  // the kernel acts on it) is not left to the ticker alone, and at most
  // kUntrackedFetchesPerPoll a poll. Ids that left the book are dropped at each poll.
  static constexpr int kUntrackedFetchesPerPoll = 5;
  std::unordered_map<std::string, std::pair<std::string, std::int64_t>> untracked_seen_;
  // Charges per Kite trade id, computed once (refetches rebuild the same FillReport).
  ChargeSchedule schedule_ = ChargeSchedule::ZerodhaIndexOptions();
  std::unique_ptr<ChargeCalculator> charges_;
  std::unordered_map<std::string, ChargeBreakdown> trade_charges_;
  std::set<std::string> charged_orders_;
  std::function<void(AlertKind, const std::string&)> alert_;
  KiteBooks books_;
  std::uint64_t account_timer_ = 0;
  std::uint64_t positions_timer_ = 0;
  bool margins_in_flight_ = false;
  bool margins_again_ = false;
  bool account_after_fills_ = false;  // a debounced read is scheduled
  bool new_trades_ = false;           // FillsOf met a trade id for the first time
  bool account_apart_ = false;  // the last read differed from the books beyond the tolerance
  bool positions_in_flight_ = false;
  // The last poll's differences: instrument → (Kite's, ours), signed raw quantities.
  std::map<InstrumentId, std::pair<std::int64_t, std::int64_t>> position_suspects_;
  Stats stats_;
};

}  // namespace nacre
