// MatchingCore: the fill rules of one instrument, pure: no clock, no cache, no ids, no events.
// It holds the book as the data showed it (best bid/ask with the displayed size still left on
// this quote, the last trade, the last bar's close) and decides, for one order at a time, what
// trades: a list of executions (price, quantity, maker or taker). The exchange
// (SimulatedExchange) keeps the orders, applies its venue rules (hours, bands, margin) and
// turns each execution into a fill on its ledger. The rules are those of simulated_exchange.h:
// - an arriving (or aggressively modified, or just triggered) order takes the touch up to the
//   displayed size and walks `walk_ticks` per `size_step` while within its limit (IOC: only what
//   is displayed, the rest canceled); with bars only, a market order fills at the current close
//   (kCurrentClose) or waits for the next open, a marketable limit fills at the last close;
// - a resting limit crossed by a later quote fills at its own limit, as MAKER, for at most the
//   size displayed on that side (shared by the resting orders the quote crosses, in time
//   priority); a trade through it fills at the limit up to the trade's size; a touching trade
//   first uses up the queue ahead (queue position) or fills with the touch probability;
// - bars: a resting limit the bar opens through or reaches fills at its limit (a touch with the
//   touch probability); stops trigger on a gap (at the open) or a touch (at the trigger) and
//   then act as MARKET (within a protection band) or LIMIT.
// Deterministic: randomness (the touch probability) comes from the caller's `Touch`.
#pragma once

#include <algorithm>

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "model/data.h"
#include "model/enums.h"
#include "model/money.h"

namespace nacre {

// Market orders on bars: at the next bar's open (as backtrader/backtesting.py) or at the
// current bar's close.
enum class BarFillMode : std::uint8_t { kNextOpen, kCurrentClose };
enum class StopTriggerSource : std::uint8_t { kBidAsk, kLast };

// How the exchange fills (the rules above, with these choices).
struct FillModel {
  BarFillMode bar_fill = BarFillMode::kNextOpen;
  int walk_ticks = 1;                 // ticks per further size step beyond the best price
  std::optional<Quantity> size_step;  // default: the displayed size at the best price
  double limit_touch_probability = 1.0;
  StopTriggerSource stop_trigger = StopTriggerSource::kBidAsk;
  // False: quotes carry no usable size (the simple model): an order takes its whole quantity
  // at the touch and a crossed resting limit fills in full at its limit.
  bool use_displayed_size = true;
  // Queue position for resting limits met by trades at their price: a limit that rests where
  // the quote shows size already waiting joins the back of that queue (ahead = the displayed
  // size at its price, shrinking with the level: the queue never exceeds what is displayed,
  // and nothing is ahead once the price is no longer the best); a trade at its price first
  // uses up the queue ahead and only the rest fills the order. Without a known queue (no quote
  // at its price yet) a touching trade falls back to `limit_touch_probability`. Trades through
  // the price, and quotes that cross it, fill as without the model.
  bool queue_position = false;
  std::uint64_t seed = 1;
};

// The top of the book from the last quote.
struct BookTop {
  Price bid_price;
  Price ask_price;
  Quantity bid_size;
  Quantity ask_size;
  Price Mid() const { return MidPrice(bid_price, ask_price); }
};

// What trades: `qty_raw` at `px`.
struct Execution {
  Price px;
  std::int64_t qty_raw = 0;
  LiquiditySide liquidity = LiquiditySide::kTaker;
};

// An order as the rules see it (the exchange's ledger copy fills it in).
struct MatchOrder {
  OrderSide side = OrderSide::kBuy;
  OrderType type = OrderType::kLimit;
  TimeInForce tif = TimeInForce::kDay;
  std::int64_t leaves_raw = 0;
  std::optional<Price> price;    // LIMIT and STOP_LIMIT
  std::optional<Price> trigger;  // stops
  bool triggered = false;
  std::int64_t protection_raw = 0;  // Kite market protection (raw percent at 10^9; 0: none)
  bool buy() const { return side == OrderSide::kBuy; }
  bool stop() const { return type == OrderType::kStopMarket || type == OrderType::kStopLimit; }
  bool market_like() const {
    return type == OrderType::kMarket || type == OrderType::kStopMarket;
  }
};

// What the rules keep with a working order between updates.
struct MatchState {
  std::optional<Price> protection_limit;  // a market-like order's band, fixed when first priced
  std::optional<std::int64_t> queue_ahead;  // queue position: displayed size ahead of it
};

class MatchingCore {
 public:
  using Touch = std::function<bool()>;

  MatchingCore(const FillModel& model, Price tick, int price_precision);
  // The instrument's tick and price precision (a definition that came after its data).
  void SetInstrument(Price tick, int price_precision) {
    tick_ = tick;
    precision_ = price_precision;
  }

  // ---- the book ----
  void OnQuote(Price bid, Price ask, Quantity bid_size, Quantity ask_size);
  // What orders already took from the current quote's displayed size (buys from the ask, sells
  // from the bid): not offered again.
  void Consume(bool buy, Quantity qty) {
    std::int64_t& left = buy ? ask_left_ : bid_left_;
    left -= std::min(left, qty.raw());
  }
  void OnTrade(Price px) { last_ = px; }
  // A bar is newer than an old quote: the quote is dropped.
  void OnBar(Price close);
  const std::optional<BookTop>& quote() const { return quote_; }
  const std::optional<Price>& last() const { return last_; }
  const std::optional<Price>& bar_close() const { return bar_close_; }
  // Quote mid (both sides > 0), else the last trade, else the last bar close.
  std::optional<Price> Mark() const;
  // NSE's LPP reference: the last trade, else the quote mid, else the last bar close.
  std::optional<Price> LppReference() const;

  // ---- rules ----
  // The band of Kite market protection `pct_raw` around `ref` on the tick grid (down for
  // sells, up for buys); nullopt when `pct_raw` is 0.
  std::optional<Price> ProtectionLimit(bool buy, Price ref, std::int64_t pct_raw) const;
  // The price an order works at: its limit, or a market-like order's protection band.
  std::optional<Price> EffectiveLimit(const MatchOrder& o, const MatchState& s) const;
  // The price that triggers an untriggered stop now: ask/bid (`stop_trigger` bid_ask with a
  // quote) or `last`; nullopt when it does not trigger.
  std::optional<Price> TriggerPrice(const MatchOrder& o, std::optional<Price> last) const;

  struct Take {
    std::vector<Execution> fills;
    bool cancel_rest = false;  // IOC: what did not fill at once is canceled
    bool done = false;         // filled in full (or canceled)
  };
  // The order takes the book as it is (arriving, modified, triggered, or a market order that
  // met its first price); a market-like order's band is fixed on the way (`s`).
  Take TakeBook(const MatchOrder& o, MatchState& s, bool arriving);
  // A resting limit crossed by the current quote: at its limit, capped at (and consuming) the
  // displayed size.
  std::optional<Execution> CrossedByQuote(const MatchOrder& o, const MatchState& s);
  // A resting limit met by a trade.
  std::optional<Execution> AtTrade(const MatchOrder& o, MatchState& s, Price px,
                                   std::int64_t size_raw, const Touch& touch) const;
  // Queue position: follows the order's own side of the book on a quote.
  void UpdateQueue(const MatchOrder& o, MatchState& s) const;
  // Bars. The price a bar triggers an untriggered stop at (the open on a gap, else the
  // trigger), or nullopt.
  std::optional<Price> BarTrigger(const MatchOrder& o, const Bar& b) const;
  // A stop the bar just triggered at `at`: what fills on this bar.
  std::optional<Execution> AfterBarTrigger(const MatchOrder& o, const MatchState& s, const Bar& b,
                                           Price at, const Touch& touch) const;
  // A working order on a bar (limits at their limit as maker, market orders at the open).
  std::optional<Execution> OnBarResting(const MatchOrder& o, const MatchState& s, const Bar& b,
                                        const Touch& touch) const;

 private:
  std::optional<Execution> LimitOnBar(const MatchOrder& o, Price limit, const Bar& b,
                                      const Touch& touch) const;
  const FillModel& model_;
  Price tick_;
  int precision_;
  std::optional<BookTop> quote_;
  std::optional<Price> last_;
  std::optional<Price> bar_close_;
  // Displayed size still available on this quote (consumed by fills).
  std::int64_t bid_left_ = 0;
  std::int64_t ask_left_ = 0;
};

}  // namespace nacre
