// MarginBook: the NSE margin one account blocks on one underlying, from its net positions and
// working orders. The one implementation shared by the risk engine's pre-trade check (on the
// kernel's cache) and the simulated exchange (on its own ledger), so both give the same
// figures for the same positions, orders and marks.
//
// - Positions: M(net positions) less the long options' premium, blocked as maintenance (the
//   premium was paid out of the balance on the fill: premium-style accounting).
// - Working orders: max(0, W − M(positions)), blocked as initial, where W is the worst of
//   M(positions + every working order as if filled), M(positions + working buys),
//   M(positions + working sells) and, when some working orders would reduce a position, the
//   same three with only the orders' opening parts (a close may never fill). Taking the worse
//   side means a working long never lends its hedge benefit to a working short (NSE_FNO.md: the
//   benefit applies only when the long is in the position), and the opening-part cases mean a
//   working close never pays for a working open.
// - A working buy adds premium at the mark plus what its limit (a stop: its trigger) pays above
//   the mark, for the units it adds to a long (units already held keep their mark), highest
//   limits first; in fixed point (Price − mark) × units.
// - The mark of an instrument is the quote's mid, else the last trade, else the last bar's
//   close (MarginMarket). An option's vol is implied from its mark (Black-76); an option
//   without a market yet is valued with Black-76 at `default_vol`.
// A check for a new order (or a modify: the order's leg replaced) gives the increase in what is
// blocked; the caller compares it with its free balance.
// Kernel thread only (the book reads the market it is given).
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "core/result.h"
#include "model/identifiers.h"
#include "model/instrument.h"
#include "nse/margin.h"

namespace nacre {

// What the book reads of the market: instrument definitions and marks.
class MarginMarket {
 public:
  virtual ~MarginMarket() = default;
  virtual const Instrument* FindInstrument(const InstrumentId& id) const = 0;
  // Quote mid (both sides > 0), else the last trade, else the last bar close.
  virtual std::optional<Price> Mark(const InstrumentId& id) const = 0;
};

// A market held in two maps: instrument definitions and marks (tests, benchmarks, tools).
class MapMarginMarket final : public MarginMarket {
 public:
  const Instrument* FindInstrument(const InstrumentId& id) const override {
    auto it = instruments.find(id);
    return it == instruments.end() ? nullptr : &it->second;
  }
  std::optional<Price> Mark(const InstrumentId& id) const override {
    auto it = marks.find(id);
    return it == marks.end() ? std::nullopt : std::optional<Price>(it->second);
  }
  std::map<InstrumentId, Instrument> instruments;
  std::map<InstrumentId, Price> marks;
};

struct MarginBookConfig {
  MarginParams params;
  double default_vol = 0.15;    // option vol when none can be implied
  double underlying_vol = 0.0;  // annual EWMA vol of the underlying for the price scan
};

// One working order's effect: signed units (lots × lot size × multiplier; + buy) and the price
// its premium is charged at (buys: the limit, else the trigger; none for a market order).
struct WorkingLeg {
  ClientOrderId order;
  InstrumentId instrument;
  std::int64_t units = 0;
  std::optional<Price> price;
};
// The leg of an order's `leaves` quantity.
WorkingLeg MakeWorkingLeg(const ClientOrderId& order, const Instrument& inst, OrderSide side,
                          Quantity leaves, std::optional<Price> price);

// The margin blocked on one underlying.
struct BlockedMargin {
  Money positions;        // maintenance: M(net positions) − its long premium (already paid)
  Money working;          // initial: the increase working orders would add
  Money positions_total;  // M(net positions) with premium: the base the increase is taken from
  friend bool operator==(const BlockedMargin&, const BlockedMargin&) = default;
};

// What a new order (or a modify) would change: `required` = after.working − before.working,
// zero when the order does not raise what is blocked.
struct MarginCheck {
  BlockedMargin before;
  BlockedMargin after;
  Money required;
};

// What a book computes per instrument before it combines positions and orders: the leg (its
// price, the vol implied from its mark, the time to expiry) and its per-unit P&L in the 16
// scenarios. One cache serves every book its owner builds on one market with one config (the
// simulated exchange's ledger; the risk engine, per venue), so a working order added to a book
// prices only its own instrument, not the whole book again. An entry is kept per (instrument,
// underlying price, mark) for the current clock time and every entry is dropped when the time
// moves: the time to expiry enters every value, so cached figures are exactly the uncached
// ones. Memory is bounded by the instruments priced at one time: the entries' storage is kept
// from one time to the next and reused (the exchange builds books at every new time; once
// grown, the cache allocates nothing). Kernel thread only; a book using it is used at one
// clock time, before the owner builds a book at a later one.
class MarginScenarioCache {
 public:
  struct Entry {
    MarginLeg leg;  // quantity unset
    ScenarioRow unit_pnl{};
  };
  // The entry of `id` at `now` with this underlying price and mark, or null (a new `now`
  // drops every entry first).
  const Entry* Find(UnixNanos now, const InstrumentId& id, Price underlying,
                    const std::optional<Price>& mark);
  // Keeps `entry` for this key at `now`; returns it, stored (in place until the time moves).
  const Entry& Add(UnixNanos now, const InstrumentId& id, Price underlying,
                   const std::optional<Price>& mark, const Entry& entry);
  std::uint64_t hits() const { return hits_; }
  std::uint64_t misses() const { return misses_; }
  std::size_t size() const { return priced_used_; }

  // Whole-book results at `now`, by a key of the margin input built from this cache's entries
  // (MarginBook::Compute: the underlying, each leg's entry and units, the premium working buys
  // add). A book's worst-side combinations often repeat one net position, and the exchange's
  // check and its block update that follows evaluate the same book: each is computed once per
  // clock time. Dropped with the entries when the time moves.
  const MarginResult* FindResult(UnixNanos now, const std::vector<std::int64_t>& key);
  void AddResult(UnixNanos now, const std::vector<std::int64_t>& key, const MarginResult& r);
  std::uint64_t result_hits() const { return result_hits_; }

 private:
  struct Key {
    InstrumentId id;
    std::int64_t underlying_raw = 0;
    int underlying_precision = 0;
    bool has_mark = false;
    std::int64_t mark_raw = 0;
    int mark_precision = 0;
    friend bool operator==(const Key&, const Key&) = default;
  };
  static Key MakeKey(const InstrumentId& id, Price underlying, const std::optional<Price>& mark);
  static std::size_t HashOf(const Key& k);
  static std::size_t HashOf(const std::vector<std::int64_t>& key);
  void At(UnixNanos now);

  // Open addressing from a hash to a position in a pool (linear probing, at most half full),
  // emptied without freeing.
  class Slots {
   public:
    void Clear();
    // The position `match` accepts among those added under `hash`, or npos.
    template <typename Match>
    std::size_t Find(std::size_t hash, const Match& match) const {
      if (slots_.empty()) return npos;
      const std::size_t mask = slots_.size() - 1;
      for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
        if (slots_[i].pos == 0) return npos;
        if (slots_[i].hash == hash && match(slots_[i].pos - 1)) return slots_[i].pos - 1;
      }
    }
    void Add(std::size_t hash, std::size_t pos);
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

   private:
    struct Slot {
      std::size_t hash = 0;
      std::size_t pos = 0;  // position + 1; 0: empty
    };
    void Place(const Slot& s);
    std::vector<Slot> slots_;
    std::size_t size_ = 0;
  };

  struct Priced {
    Key key;
    Entry entry;
  };
  struct Memo {
    std::vector<std::int64_t> key;
    MarginResult result;
  };

  UnixNanos now_{INT64_MIN};
  // The first priced_used_ / memos_used_ hold this time's values; the rest are kept for reuse.
  // A deque: books hold pointers to entries' unit_pnl, which its growth leaves in place.
  std::deque<Priced> priced_;
  std::size_t priced_used_ = 0;
  Slots priced_slots_;
  std::vector<Memo> memos_;
  std::size_t memos_used_ = 0;
  Slots memo_slots_;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
  std::uint64_t result_hits_ = 0;
};

class MarginBook {
 public:
  // `cache` (optional, the owner's): instruments already priced at `now` are not repriced.
  MarginBook(InstrumentId underlying, const MarginMarket& market, const MarginBookConfig& config,
             UnixNanos now, MarginScenarioCache* cache = nullptr);
  // Empties the book for `underlying` at `now` on the same market, config and cache, keeping
  // its buffers: an owner that builds a book for every check reuses one.
  void Reset(InstrumentId underlying, UnixNanos now);

  const InstrumentId& underlying() const { return underlying_; }
  // Adds `units` (signed) to the net position in `instrument`.
  void AddPosition(const InstrumentId& instrument, std::int64_t units);
  // Adds a working leg, replacing one of the same order.
  void AddWorking(const WorkingLeg& leg);
  // Net positions in instrument id order.
  const std::vector<std::pair<InstrumentId, std::int64_t>>& positions() const {
    return positions_;
  }
  const std::vector<WorkingLeg>& working() const { return working_; }

  enum class Side : std::uint8_t { kNone, kAll, kBuys, kSells };
  // M(positions + the working orders of `side`); with `openings_only`, the parts of working
  // orders that would only reduce a position are left out. An error when a price is missing.
  Result<MarginResult> Margin(Side side = Side::kAll, bool openings_only = false);
  // What is blocked now. `same_positions`: a result for the same positions, reused.
  Result<BlockedMargin> Blocked(const BlockedMargin* same_positions = nullptr);
  // The change `leg` brings (joining, or replacing its order's leg). The book is left with it.
  Result<MarginCheck> Check(const WorkingLeg& leg);

 private:
  // The instruments of the positions and working orders in id order (ids_), each one's
  // position units and priced leg, rebuilt after the book changed.
  void Index();
  std::size_t Slot(const InstrumentId& id) const;  // its index in ids_ (Index() first)
  // M(net_) with the premium working buys of `side` pay above the mark.
  Result<MarginResult> Compute(Side side);
  // The leg and scenario P&L of one instrument at this book's time and marks.
  Result<MarginScenarioCache::Entry> PriceLeg(const InstrumentId& id, Price underlying,
                                              const std::optional<Price>& mark,
                                              const MarginInput& in) const;

  InstrumentId underlying_;
  const MarginMarket& market_;
  const MarginBookConfig& config_;
  UnixNanos now_;
  MarginScenarioCache* cache_;
  std::vector<std::pair<InstrumentId, std::int64_t>> positions_;  // by id
  std::vector<WorkingLeg> working_;
  // Each instrument priced once per book (quantity unset), in pricing order; leg_of_ indexes it.
  std::vector<std::pair<InstrumentId, MarginLeg>> legs_;
  // Priced instruments when the book has no cache (a deque: legs_ point at their unit P&L).
  std::deque<MarginScenarioCache::Entry> own_;
  bool dirty_ = true;
  std::vector<InstrumentId> ids_;
  std::vector<std::int64_t> pos_units_;
  std::vector<std::ptrdiff_t> leg_of_;  // ids_[i]'s index in legs_, -1 before it is priced
  // Work buffers reused by every evaluation (no allocation once they have grown).
  std::vector<std::int64_t> net_;
  std::vector<std::int64_t> side_units_;
  std::vector<std::pair<Price, std::int64_t>> limits_;
  std::vector<std::int64_t> result_key_;
  MarginInput in_;
};

}  // namespace nacre
