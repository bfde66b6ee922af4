// Cache: the kernel's in-memory store of instruments, market data (bounded per instrument),
// orders, positions (open, closed, and snapshots of closed positions that reopened) and
// accounts, with indexed order/position queries. Owns the orders, positions and accounts;
// everyone else holds references the cache outlives. Query results come back in creation
// order (orders, positions) or id order (instruments), never hash order, so output built on
// them is deterministic. Not thread-safe: kernel thread only.
//
// Memory that does not grow with the chain: an option contract keeps only its latest quote
// (CacheConfig::option_quote_capacity) unless a component asks for more (KeepQuotes); other
// instruments keep quote_capacity. Buffers grow as quotes arrive, never reserved whole up
// front. ReleaseExpired drops the market data of contracts whose expiry has passed (their
// definitions, orders and positions stay). Option contracts are indexed by underlying,
// expiry and strike as they are added (OptionsOf), so a chain is found without a walk over
// every instrument.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "common/id_map.h"
#include "model/account.h"
#include "model/data.h"
#include "model/instrument.h"
#include "model/order.h"
#include "model/position.h"

namespace nacre {

struct CacheConfig {
  std::size_t quote_capacity = 100;       // per instrument (options: option_quote_capacity)
  std::size_t option_quote_capacity = 1;  // per option contract, unless KeepQuotes asks more
  std::size_t trade_capacity = 100;  // per instrument
  std::size_t bar_capacity = 1000;   // per bar type
};

// Filters for order/position queries; unset fields match everything.
struct OrderQuery {
  std::optional<StrategyId> strategy_id;
  std::optional<InstrumentId> instrument_id;
  std::optional<Venue> venue;
  std::optional<OrderSide> side;
};

// A fixed-capacity ring of the most recent values (newest at index 0). A capacity of one (an
// option contract's quotes, unless a component keeps more) holds its value inline: one cache
// line fewer on every quote.
template <typename T>
class RecentBuffer {
 public:
  // Storage grows with the values pushed (doubling, at most `capacity`), so a large capacity
  // on an instrument that sees few values costs nothing.
  explicit RecentBuffer(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}
  void Push(const T& v) {
    if (capacity_ == 1) {
      one_ = v;
      has_one_ = true;
    } else if (items_.size() < capacity_) {
      if (items_.size() == items_.capacity()) {
        items_.reserve(std::min(capacity_, std::max<std::size_t>(4, items_.size() * 2)));
      }
      items_.push_back(v);
      head_ = items_.size() - 1;
    } else {
      head_ = head_ + 1 == capacity_ ? 0 : head_ + 1;
      items_[head_] = v;
    }
  }
  std::size_t capacity() const { return capacity_; }
  // A larger capacity keeps more values from now on (what is held stays, newest first).
  void Grow(std::size_t capacity) {
    if (capacity <= capacity_) return;
    std::vector<T> ordered;
    ordered.reserve(size());
    for (std::size_t i = size(); i-- > 0;) ordered.push_back(At(i));  // oldest first
    items_ = std::move(ordered);
    head_ = items_.empty() ? 0 : items_.size() - 1;
    has_one_ = false;
    capacity_ = capacity;
  }
  std::size_t size() const { return capacity_ == 1 ? (has_one_ ? 1 : 0) : items_.size(); }
  bool empty() const { return size() == 0; }
  // index 0 = newest.
  const T& At(std::size_t i) const {
    if (capacity_ == 1) return one_;
    if (i == 0) return items_[head_];
    return items_[(head_ + items_.size() - i) % items_.size()];
  }
  const T& Latest() const { return At(0); }

 private:
  std::size_t capacity_;
  std::vector<T> items_;
  std::size_t head_ = 0;
  T one_{};
  bool has_one_ = false;
};

// An option contract's place in its underlying's chains: expiry, then strike, then id (so
// contracts sharing an expiry and strike keep a fixed order).
struct OptionKey {
  UnixNanos expiry;
  std::int64_t strike_raw = 0;
  InstrumentId id;
  friend bool operator==(const OptionKey&, const OptionKey&) = default;
  friend auto operator<=>(const OptionKey&, const OptionKey&) = default;
};
using OptionIndex = std::map<OptionKey, const Instrument*>;

class Cache {
 public:
  explicit Cache(CacheConfig config = {}) : config_(config) {}
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  // Instruments.
  void AddInstrument(const Instrument& instrument);
  const Instrument* instrument(const InstrumentId& id) const;
  std::vector<const Instrument*> Instruments(const std::optional<Venue>& venue = {}) const;
  // The option contracts on `underlying`, by expiry then strike (empty when none).
  const OptionIndex& OptionsOf(const InstrumentId& underlying) const;

  // Keeps at least `depth` recent quotes of `id` from now on (a component that reads a
  // quote's history asks for it; an option contract otherwise keeps only its latest).
  void KeepQuotes(const InstrumentId& id, std::size_t depth);
  // The quote history `id` keeps.
  std::size_t QuoteCapacity(const InstrumentId& id) const;
  // Drops the quotes, trades and bars of every contract that expired at least `grace` before
  // `now` (definitions, orders and positions stay; an expired contract's mark is then its
  // settlement, made by then). Returns the number of instruments whose data was released.
  std::size_t ReleaseExpired(UnixNanos now, DurationNs grace);

  // Market data.
  void AddQuote(const QuoteTick& q);
  // Adds `q` unless the instrument's latest quote is later (then returns that one and adds
  // nothing): the data engine's sequence check and the add in one lookup.
  const QuoteTick* AddQuoteInOrder(const QuoteTick& q);
  void AddTrade(const TradeTick& t);
  void AddBar(const Bar& b);
  const QuoteTick* quote(const InstrumentId& id, std::size_t index = 0) const;
  const TradeTick* trade(const InstrumentId& id, std::size_t index = 0) const;
  const Bar* bar(const BarType& type, std::size_t index = 0) const;
  std::size_t quote_count(const InstrumentId& id) const;
  std::size_t bar_count(const BarType& type) const;
  // Best available mark for valuing a position: bid (long) / ask (short) from the latest
  // quote, else the last trade, else the latest bar close of any bar type.
  std::optional<Price> MarkPrice(const InstrumentId& id, PositionSide side) const;
  // The close of the latest bar of any bar type of `id`.
  std::optional<Price> LastBarClose(const InstrumentId& id) const {
    auto it = last_bar_close_.find(id);
    return it == last_bar_close_.end() ? std::nullopt : std::optional<Price>(it->second);
  }

  // Orders.
  // `assign_tag`: give an untagged order our next venue tag (false for an order placed
  // outside this trader, which keeps whatever tag the venue reported, possibly none).
  Status AddOrder(std::unique_ptr<Order> order, const PositionId& position_id = {},
                  bool assign_tag = true);
  Order* mutable_order(const ClientOrderId& id);
  const Order* order(const ClientOrderId& id) const;
  bool order_exists(const ClientOrderId& id) const { return orders_.contains(id); }
  // Re-indexes an order after an event changed its status.
  void UpdateOrder(const Order& order);
  const Order* OrderByVenueId(const VenueOrderId& id) const;
  // Venue tags: AddOrder gives an order without one `{prefix}{n in base 36, upper case}`
  // (prefix "N" + a 2-character node id; at most 20 alphanumerics, Kite's limit) from a
  // counter that never repeats within a trader (restore it with set_tag_count on restart).
  void SetTagPrefix(std::string prefix) { tag_prefix_ = std::move(prefix); }
  const std::string& tag_prefix() const { return tag_prefix_; }
  const Order* OrderByTag(const std::string& tag) const;
  std::uint64_t tag_count() const { return tag_count_; }
  void set_tag_count(std::uint64_t n) { tag_count_ = n; }
  void IndexVenueOrderId(const Order& order);
  std::vector<const Order*> Orders(const OrderQuery& q = {}) const;
  std::vector<const Order*> OrdersOpen(const OrderQuery& q = {}) const;
  std::vector<const Order*> OrdersClosed(const OrderQuery& q = {}) const;
  std::vector<const Order*> OrdersInflight(const OrderQuery& q = {}) const;
  std::size_t orders_total() const { return orders_.size(); }
  // Counts without building a list (a strategy asks these on every bar).
  std::size_t orders_open_count(const OrderQuery& q = {}) const { return Count(open_orders_, q); }
  std::size_t orders_inflight_count(const OrderQuery& q = {}) const {
    return Count(inflight_orders_, q);
  }
  // Orders of an order list, in submission order.
  std::vector<const Order*> OrdersForList(const OrderListId& id) const;

  // Positions.
  Position* AddPosition(std::unique_ptr<Position> position);
  Position* mutable_position(const PositionId& id);
  const Position* position(const PositionId& id) const;
  std::vector<const Position*> Positions(const OrderQuery& q = {}) const;
  std::vector<const Position*> PositionsOpen(const OrderQuery& q = {}) const;
  // Changes whenever a position is added, opened or closed through the cache (AddPosition,
  // UpdatePosition, Reset): a reader's memo of the open positions holds while it is unchanged.
  std::uint64_t open_positions_version() const { return open_positions_version_; }
  std::vector<const Position*> PositionsClosed(const OrderQuery& q = {}) const;
  // Stores a copy of a closed position before it is reused for a new cycle.
  void SnapshotPosition(const Position& closed);
  const std::deque<Position>& PositionSnapshots(const PositionId& id) const;
  std::vector<const Position*> AllPositionSnapshots() const;
  // Call after changing a cached position (keeps the open-position index true).
  void UpdatePosition(const Position& position);

  // Accounts.
  Account* AddAccount(std::unique_ptr<Account> account, const Venue& venue);
  Account* mutable_account(const AccountId& id);
  const Account* account(const AccountId& id) const;
  const Account* AccountForVenue(const Venue& venue) const;
  Account* MutableAccountForVenue(const Venue& venue);
  std::vector<const Account*> Accounts() const;

  // Fills that matched no known order are kept, never dropped (live reconciliation).
  void AddOrphanFill(const OrderFilled& fill) { orphan_fills_.push_back(fill); }
  const std::vector<OrderFilled>& orphan_fills() const { return orphan_fills_; }
  // Every fill applied to a known order, in the order applied (the ExecutionEngine adds
  // them): what a strategy rebuilds its spread books from after a restart.
  void AddFill(const OrderFilled& fill) { fills_.push_back(fill); }
  const std::vector<OrderFilled>& fills() const { return fills_; }

  // Clears all state for an engine reset: market data, orders, positions, snapshots,
  // accounts and orphan fills. Instruments (reference data) are kept for the next run.
  void Reset();

 private:
  struct OrderEntry {
    std::unique_ptr<Order> order;
    std::uint64_t seq = 0;
    std::uint8_t indexed = 0;       // kInOpen | kInInflight: the indexes it is in now
    VenueOrderId indexed_venue_id;  // the venue id venue_order_ids_ maps to it
  };
  struct PositionEntry {
    std::unique_ptr<Position> position;
    std::uint64_t seq = 0;
  };
  bool Matches(const Order& o, const OrderQuery& q) const;
  bool Matches(const Position& p, const OrderQuery& q) const;
  std::size_t Count(const std::map<std::uint64_t, Order*>& index, const OrderQuery& q) const;
  std::vector<const Order*> Collect(const std::map<std::uint64_t, Order*>& index,
                                    const OrderQuery& q) const;
  // The membership of `e`'s order in the open and in-flight indexes and its venue id.
  void UpdateEntry(OrderEntry& e);

  void IndexOption(const Instrument& instrument);
  void UnindexOption(const Instrument& instrument);

  CacheConfig config_;
  std::map<InstrumentId, Instrument> instruments_;
  // instruments_ by the id's intern number (a lookup per order, fill, mark and check; the
  // map's text order stays for listings): its values point into instruments_' stable nodes.
  IdMap<InstrumentId, const Instrument*> instrument_by_id_;
  std::map<InstrumentId, OptionIndex> options_by_underlying_;
  std::unordered_map<InstrumentId, std::size_t, IdHash> kept_quotes_;  // KeepQuotes depths
  // Contracts with an expiry, by (expiration, id): what ReleaseExpired walks from the front.
  std::set<std::pair<UnixNanos, InstrumentId>> expiring_;
  // Looked up on every quote and trade (common/id_map.h).
  IdMap<InstrumentId, RecentBuffer<QuoteTick>> quotes_;
  IdMap<InstrumentId, RecentBuffer<TradeTick>> trades_;
  std::unordered_map<BarType, RecentBuffer<Bar>, IdHash> bars_;  // never iterated
  std::unordered_map<InstrumentId, Price, IdHash> last_bar_close_;
  // Slots of the last bar type added (node-based maps keep addresses until cleared).
  struct BarMemo {
    BarType type;
    RecentBuffer<Bar>* buffer = nullptr;
    Price* close = nullptr;
  };
  BarMemo bar_memo_;

  // By the id's intern number (common/id_map.h): a lookup on every command and order event,
  // and by venue id on every event a venue reports with its own id.
  IdMap<ClientOrderId, OrderEntry> orders_;
  IdMap<VenueOrderId, ClientOrderId> venue_order_ids_;
  std::uint64_t next_order_seq_ = 0;
  std::string tag_prefix_ = "N00";
  std::uint64_t tag_count_ = 0;
  // Our tags by counter (index n − 1; an adopted tag of ours moves the counter past it, so new
  // tags never repeat it) and every other tag by text.
  static constexpr std::uint64_t kMaxTagGap = 1'000'000;
  static std::string Base36(std::uint64_t n);
  std::uint64_t OurTagNumber(const std::string& tag) const;
  std::vector<ClientOrderId> our_tags_;
  std::unordered_map<std::string, ClientOrderId> foreign_tags_;
  std::vector<Order*> all_orders_;  // by seq (= position: orders are never removed)
  // Working orders by seq (closed ones are all_orders_' rest: OrdersClosed filters it, so no
  // index grows with every order a run ever closed).
  std::map<std::uint64_t, Order*> open_orders_;
  std::map<std::uint64_t, Order*> inflight_orders_;
  std::unordered_map<OrderListId, std::vector<ClientOrderId>, IdHash> order_lists_;

  std::unordered_map<PositionId, PositionEntry, IdHash> positions_;
  std::map<std::uint64_t, Position*> positions_by_seq_;
  std::map<std::uint64_t, Position*> open_positions_;  // kept by AddPosition/UpdatePosition
  std::uint64_t open_positions_version_ = 0;
  std::uint64_t next_position_seq_ = 0;
  std::map<PositionId, std::deque<Position>> snapshots_;  // deque: no copies as it grows

  std::map<AccountId, std::unique_ptr<Account>> accounts_;
  std::map<Venue, AccountId> venue_accounts_;
  std::vector<OrderFilled> orphan_fills_;
  std::vector<OrderFilled> fills_;
};

}  // namespace nacre
