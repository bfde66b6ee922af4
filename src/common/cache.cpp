#include "common/cache.h"

#include <fmt/format.h>

namespace nacre {

void Cache::AddInstrument(const Instrument& instrument) {
  auto [it, inserted] = instruments_.try_emplace(instrument.id, instrument);
  if (inserted) instrument_by_id_.try_emplace(instrument.id, &it->second);
  if (!inserted) {
    UnindexOption(it->second);
    it->second = instrument;  // the node (and every pointer to it) stays
  }
  IndexOption(it->second);
}

void Cache::IndexOption(const Instrument& instrument) {
  if (instrument.has_expiry()) expiring_.emplace(instrument.expiration, instrument.id);
  if (instrument.instrument_class != InstrumentClass::kOption) return;
  options_by_underlying_[instrument.underlying].insert_or_assign(
      OptionKey{instrument.expiration, instrument.strike.raw(), instrument.id}, &instrument);
}

void Cache::UnindexOption(const Instrument& instrument) {
  if (instrument.has_expiry()) expiring_.erase({instrument.expiration, instrument.id});
  if (instrument.instrument_class != InstrumentClass::kOption) return;
  auto it = options_by_underlying_.find(instrument.underlying);
  if (it == options_by_underlying_.end()) return;
  it->second.erase(OptionKey{instrument.expiration, instrument.strike.raw(), instrument.id});
  if (it->second.empty()) options_by_underlying_.erase(it);
}

const OptionIndex& Cache::OptionsOf(const InstrumentId& underlying) const {
  static const OptionIndex kNone;
  auto it = options_by_underlying_.find(underlying);
  return it == options_by_underlying_.end() ? kNone : it->second;
}

std::size_t Cache::QuoteCapacity(const InstrumentId& id) const {
  const Instrument* ins = instrument(id);
  std::size_t depth = ins != nullptr && ins->instrument_class == InstrumentClass::kOption
                          ? config_.option_quote_capacity
                          : config_.quote_capacity;
  if (auto k = kept_quotes_.find(id); k != kept_quotes_.end()) depth = std::max(depth, k->second);
  return depth == 0 ? 1 : depth;
}

void Cache::KeepQuotes(const InstrumentId& id, std::size_t depth) {
  std::size_t& kept = kept_quotes_[id];
  kept = std::max(kept, depth);
  if (auto* buf = quotes_.find(id)) buf->Grow(QuoteCapacity(id));
}

std::size_t Cache::ReleaseExpired(UnixNanos now, DurationNs grace) {
  std::set<InstrumentId> held;  // an open position keeps its contract's marks
  for (const auto& [seq, p] : open_positions_) {
    if (p->is_open()) held.insert(p->instrument_id());
  }
  std::size_t released = 0;
  for (auto it = expiring_.begin(); it != expiring_.end() && it->first + grace <= now;) {
    const InstrumentId& id = it->second;
    if (held.count(id) != 0) {
      ++it;
      continue;
    }
    const bool had_quotes = quotes_.erase(id);
    const bool had = trades_.erase(id) || had_quotes;
    if (last_bar_close_.erase(id) != 0) {
      std::erase_if(bars_, [&id](const auto& kv) { return kv.first.instrument_id() == id; });
      if (bar_memo_.type.instrument_id() == id) bar_memo_ = BarMemo{};
    }
    released += had ? 1 : 0;
    it = expiring_.erase(it);
  }
  return released;
}

const Instrument* Cache::instrument(const InstrumentId& id) const {
  const Instrument* const* found = instrument_by_id_.find(id);
  return found == nullptr ? nullptr : *found;
}

std::vector<const Instrument*> Cache::Instruments(const std::optional<Venue>& venue) const {
  std::vector<const Instrument*> out;
  for (const auto& [id, inst] : instruments_) {
    if (!venue || id.venue() == *venue) out.push_back(&inst);
  }
  return out;
}

const QuoteTick* Cache::AddQuoteInOrder(const QuoteTick& q) {
  RecentBuffer<QuoteTick>* buf = quotes_.find(q.instrument_id);
  if (buf == nullptr) {
    buf = quotes_.try_emplace(q.instrument_id, QuoteCapacity(q.instrument_id)).first;
  } else if (buf->size() != 0 && q.ts_init < buf->At(0).ts_init) {
    return &buf->At(0);
  }
  buf->Push(q);
  return nullptr;
}

void Cache::AddQuote(const QuoteTick& q) {
  RecentBuffer<QuoteTick>* buf = quotes_.find(q.instrument_id);
  if (buf == nullptr) {
    buf = quotes_.try_emplace(q.instrument_id, QuoteCapacity(q.instrument_id)).first;
  }
  buf->Push(q);
}

void Cache::AddTrade(const TradeTick& t) {
  RecentBuffer<TradeTick>* buf = trades_.find(t.instrument_id);
  if (buf == nullptr) buf = trades_.try_emplace(t.instrument_id, config_.trade_capacity).first;
  buf->Push(t);
}

void Cache::AddBar(const Bar& b) {
  if (!(bar_memo_.buffer != nullptr && bar_memo_.type == b.bar_type)) {
    auto it = bars_.find(b.bar_type);
    if (it == bars_.end()) {
      it = bars_.emplace(b.bar_type, RecentBuffer<Bar>(config_.bar_capacity)).first;
    }
    auto close = last_bar_close_.try_emplace(b.bar_type.instrument_id(), b.close).first;
    bar_memo_ = BarMemo{b.bar_type, &it->second, &close->second};
  }
  bar_memo_.buffer->Push(b);
  *bar_memo_.close = b.close;
}

const QuoteTick* Cache::quote(const InstrumentId& id, std::size_t index) const {
  const RecentBuffer<QuoteTick>* buf = quotes_.find(id);
  if (buf == nullptr || index >= buf->size()) return nullptr;
  return &buf->At(index);
}

const TradeTick* Cache::trade(const InstrumentId& id, std::size_t index) const {
  const RecentBuffer<TradeTick>* buf = trades_.find(id);
  if (buf == nullptr || index >= buf->size()) return nullptr;
  return &buf->At(index);
}

const Bar* Cache::bar(const BarType& type, std::size_t index) const {
  auto it = bars_.find(type);
  if (it == bars_.end() || index >= it->second.size()) return nullptr;
  return &it->second.At(index);
}

std::size_t Cache::quote_count(const InstrumentId& id) const {
  const RecentBuffer<QuoteTick>* buf = quotes_.find(id);
  return buf == nullptr ? 0 : buf->size();
}

std::size_t Cache::bar_count(const BarType& type) const {
  auto it = bars_.find(type);
  return it == bars_.end() ? 0 : it->second.size();
}

std::optional<Price> Cache::MarkPrice(const InstrumentId& id, PositionSide side) const {
  if (const QuoteTick* q = quote(id)) {
    return side == PositionSide::kShort ? q->ask_price : q->bid_price;
  }
  if (const TradeTick* t = trade(id)) return t->price;
  auto it = last_bar_close_.find(id);
  if (it != last_bar_close_.end()) return it->second;
  return std::nullopt;
}

Status Cache::AddOrder(std::unique_ptr<Order> order, const PositionId& position_id,
                       bool assign_tag) {
  const ClientOrderId id = order->client_order_id();
  if (orders_.contains(id)) {
    return MakeError(fmt::format("order {} already in cache", id.value()));
  }
  if (!position_id.empty()) order->set_position_id(position_id);
  // Venue tags: ours are "{prefix}{counter in base 36}", indexed by counter (no string map on
  // the hot path); any other tag (placed outside, or a far-off number) goes to a map.
  std::uint64_t n = 0;
  std::string fresh_tag;
  if (assign_tag && order->venue_tag().empty()) {
    n = tag_count_ + 1;
    fresh_tag = tag_prefix_ + Base36(n);
    while (!foreign_tags_.empty() && foreign_tags_.count(fresh_tag) != 0) {
      fresh_tag = tag_prefix_ + Base36(++n);
    }
  } else if (!order->venue_tag().empty()) {
    n = OurTagNumber(order->venue_tag());
  }
  const std::string& tag = fresh_tag.empty() ? order->venue_tag() : fresh_tag;
  if (n > 0) {
    if (n <= our_tags_.size() && !our_tags_[n - 1].empty()) {
      return MakeError(fmt::format("order {}: venue tag {} already used by {}", id.value(), tag,
                                   our_tags_[n - 1].value()));
    }
  } else if (!tag.empty() && foreign_tags_.count(tag) != 0) {
    return MakeError(fmt::format("order {}: venue tag {} already used by {}", id.value(), tag,
                                 foreign_tags_.at(tag).value()));
  }
  if (!fresh_tag.empty()) order->AssignVenueTag(fresh_tag);
  if (n > 0) {
    if (our_tags_.size() < n) our_tags_.resize(n);
    our_tags_[n - 1] = id;
    if (n > tag_count_) tag_count_ = n;
  } else if (!tag.empty()) {
    foreign_tags_.emplace(tag, id);
  }
  Order* raw = order.get();
  const std::uint64_t seq = next_order_seq_++;
  OrderEntry& entry = *orders_.try_emplace(id).first;
  entry.order = std::move(order);
  entry.seq = seq;
  all_orders_.push_back(raw);
  if (!raw->order_list_id().empty()) order_lists_[raw->order_list_id()].push_back(id);
  UpdateEntry(entry);
  return Status::Ok();
}

std::string Cache::Base36(std::uint64_t n) {
  char buf[16];
  int len = 0;
  for (; n > 0 && len < 16; n /= 36) buf[len++] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[n % 36];
  std::string out(static_cast<std::size_t>(len), '0');
  for (int k = 0; k < len; ++k) out[static_cast<std::size_t>(k)] = buf[len - 1 - k];
  return out;
}

std::uint64_t Cache::OurTagNumber(const std::string& tag) const {
  if (tag.size() <= tag_prefix_.size() || tag.compare(0, tag_prefix_.size(), tag_prefix_) != 0 ||
      tag[tag_prefix_.size()] == '0') {  // canonical numbers only: no leading zero
    return 0;
  }
  std::uint64_t n = 0;
  for (std::size_t i = tag_prefix_.size(); i < tag.size(); ++i) {
    const char c = tag[i];
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    if (c >= 'A' && c <= 'Z') d = c - 'A' + 10;
    if (d < 0) return 0;  // not one of our counters
    n = n * 36 + static_cast<std::uint64_t>(d);
    if (n > tag_count_ + kMaxTagGap) return 0;  // far off: kept in the map, not the index
  }
  return n;
}

const Order* Cache::OrderByTag(const std::string& tag) const {
  if (const std::uint64_t n = OurTagNumber(tag); n > 0) {
    return n <= our_tags_.size() && !our_tags_[n - 1].empty() ? order(our_tags_[n - 1]) : nullptr;
  }
  auto it = foreign_tags_.find(tag);
  return it == foreign_tags_.end() ? nullptr : order(it->second);
}

Order* Cache::mutable_order(const ClientOrderId& id) {
  OrderEntry* e = orders_.find(id);
  return e == nullptr ? nullptr : e->order.get();
}

const Order* Cache::order(const ClientOrderId& id) const {
  const OrderEntry* e = orders_.find(id);
  return e == nullptr ? nullptr : e->order.get();
}

void Cache::UpdateOrder(const Order& order) {
  if (OrderEntry* e = orders_.find(order.client_order_id())) UpdateEntry(*e);
}

void Cache::UpdateEntry(OrderEntry& e) {
  Order* o = e.order.get();
  // Only the indexes whose membership changed are touched (most events leave them as they are).
  constexpr std::uint8_t kInOpen = 1;
  constexpr std::uint8_t kInInflight = 2;
  const std::uint8_t now = (o->is_open() ? kInOpen : 0) | (o->is_inflight() ? kInInflight : 0);
  const std::pair<std::uint8_t, std::map<std::uint64_t, Order*>*> indexes[] = {
      {kInOpen, &open_orders_}, {kInInflight, &inflight_orders_}};
  for (const auto& [bit, index] : indexes) {
    if ((e.indexed & bit) == (now & bit)) continue;
    if ((now & bit) != 0) {
      index->emplace(e.seq, o);
    } else {
      index->erase(e.seq);
    }
  }
  e.indexed = now;
  if (!o->venue_order_id().empty() && o->venue_order_id() != e.indexed_venue_id) {
    IndexVenueOrderId(*o);
    e.indexed_venue_id = o->venue_order_id();
  }
}

void Cache::IndexVenueOrderId(const Order& order) {
  *venue_order_ids_.try_emplace(order.venue_order_id()).first = order.client_order_id();
}

const Order* Cache::OrderByVenueId(const VenueOrderId& id) const {
  const ClientOrderId* client = venue_order_ids_.find(id);
  return client == nullptr ? nullptr : order(*client);
}

bool Cache::Matches(const Order& o, const OrderQuery& q) const {
  return (!q.strategy_id || o.strategy_id() == *q.strategy_id) &&
         (!q.instrument_id || o.instrument_id() == *q.instrument_id) &&
         (!q.venue || o.instrument_id().venue() == *q.venue) && (!q.side || o.side() == *q.side);
}

std::vector<const Order*> Cache::Collect(const std::map<std::uint64_t, Order*>& index,
                                         const OrderQuery& q) const {
  // Room for every order left is taken at the first match: one allocation, and none when no
  // order matches (a strategy that asks whether it has an order on a side asks on every quote).
  std::vector<const Order*> out;
  std::size_t left = index.size();
  for (const auto& [seq, o] : index) {
    if (Matches(*o, q)) {
      if (out.empty()) out.reserve(left);
      out.push_back(o);
    }
    --left;
  }
  return out;
}

std::size_t Cache::Count(const std::map<std::uint64_t, Order*>& index, const OrderQuery& q) const {
  std::size_t n = 0;
  for (const auto& [seq, o] : index) n += Matches(*o, q) ? 1 : 0;
  return n;
}

std::vector<const Order*> Cache::Orders(const OrderQuery& q) const {
  std::vector<const Order*> out;
  for (const Order* o : all_orders_) {
    if (Matches(*o, q)) out.push_back(o);
  }
  return out;
}
std::vector<const Order*> Cache::OrdersOpen(const OrderQuery& q) const {
  return Collect(open_orders_, q);
}
std::vector<const Order*> Cache::OrdersClosed(const OrderQuery& q) const {
  std::vector<const Order*> out;
  for (const Order* o : all_orders_) {
    if (o->is_closed() && Matches(*o, q)) out.push_back(o);
  }
  return out;
}
std::vector<const Order*> Cache::OrdersInflight(const OrderQuery& q) const {
  return Collect(inflight_orders_, q);
}

std::vector<const Order*> Cache::OrdersForList(const OrderListId& id) const {
  std::vector<const Order*> out;
  auto it = order_lists_.find(id);
  if (it == order_lists_.end()) return out;
  for (const ClientOrderId& c : it->second) out.push_back(order(c));
  return out;
}

Position* Cache::AddPosition(std::unique_ptr<Position> position) {
  auto found = positions_.find(position->id());
  if (found != positions_.end()) {
    Position* existing = found->second.position.get();
    *existing = std::move(*position);  // keep the address others hold
    if (existing->is_open()) open_positions_.insert_or_assign(found->second.seq, existing);
    ++open_positions_version_;
    return existing;
  }
  Position* raw = position.get();
  const std::uint64_t seq = next_position_seq_++;
  positions_.insert_or_assign(raw->id(), PositionEntry{std::move(position), seq});
  positions_by_seq_.emplace(seq, raw);
  if (raw->is_open()) open_positions_.emplace(seq, raw);
  ++open_positions_version_;
  return raw;
}

Position* Cache::mutable_position(const PositionId& id) {
  auto it = positions_.find(id);
  return it == positions_.end() ? nullptr : it->second.position.get();
}

const Position* Cache::position(const PositionId& id) const {
  auto it = positions_.find(id);
  return it == positions_.end() ? nullptr : it->second.position.get();
}

bool Cache::Matches(const Position& p, const OrderQuery& q) const {
  return (!q.strategy_id || p.strategy_id() == *q.strategy_id) &&
         (!q.instrument_id || p.instrument_id() == *q.instrument_id) &&
         (!q.venue || p.instrument_id().venue() == *q.venue);
}

std::vector<const Position*> Cache::Positions(const OrderQuery& q) const {
  std::vector<const Position*> out;
  for (const auto& [seq, p] : positions_by_seq_) {
    if (Matches(*p, q)) out.push_back(p);
  }
  return out;
}

std::vector<const Position*> Cache::PositionsOpen(const OrderQuery& q) const {
  // From the open index (creation order), not a scan of every position ever held.
  std::vector<const Position*> out;
  for (const auto& [seq, p] : open_positions_) {
    if (p->is_open() && Matches(*p, q)) out.push_back(p);
  }
  return out;
}

std::vector<const Position*> Cache::PositionsClosed(const OrderQuery& q) const {
  std::vector<const Position*> out;
  for (const Position* p : Positions(q)) {
    if (p->is_closed()) out.push_back(p);
  }
  return out;
}

void Cache::SnapshotPosition(const Position& closed) { snapshots_[closed.id()].push_back(closed); }

const std::deque<Position>& Cache::PositionSnapshots(const PositionId& id) const {
  static const std::deque<Position> kEmpty;
  auto it = snapshots_.find(id);
  return it == snapshots_.end() ? kEmpty : it->second;
}

std::vector<const Position*> Cache::AllPositionSnapshots() const {
  std::vector<const Position*> out;
  for (const auto& [id, list] : snapshots_) {
    for (const Position& p : list) out.push_back(&p);
  }
  return out;
}

void Cache::UpdatePosition(const Position& position) {
  auto it = positions_.find(position.id());
  if (it == positions_.end()) return;
  if (position.is_open()) {
    open_positions_.insert_or_assign(it->second.seq, it->second.position.get());
  } else {
    open_positions_.erase(it->second.seq);
  }
  ++open_positions_version_;
}

Account* Cache::AddAccount(std::unique_ptr<Account> account, const Venue& venue) {
  Account* raw = account.get();
  venue_accounts_.insert_or_assign(venue, raw->id());
  accounts_.insert_or_assign(raw->id(), std::move(account));
  return raw;
}

Account* Cache::mutable_account(const AccountId& id) {
  auto it = accounts_.find(id);
  return it == accounts_.end() ? nullptr : it->second.get();
}

const Account* Cache::account(const AccountId& id) const {
  auto it = accounts_.find(id);
  return it == accounts_.end() ? nullptr : it->second.get();
}

const Account* Cache::AccountForVenue(const Venue& venue) const {
  auto it = venue_accounts_.find(venue);
  return it == venue_accounts_.end() ? nullptr : account(it->second);
}

Account* Cache::MutableAccountForVenue(const Venue& venue) {
  auto it = venue_accounts_.find(venue);
  return it == venue_accounts_.end() ? nullptr : mutable_account(it->second);
}

std::vector<const Account*> Cache::Accounts() const {
  std::vector<const Account*> out;
  for (const auto& [id, a] : accounts_) out.push_back(a.get());
  return out;
}

void Cache::Reset() {
  expiring_.clear();  // ReleaseExpired consumed it; the next run starts from every contract
  for (const auto& [id, ins] : instruments_) {
    if (ins.has_expiry()) expiring_.emplace(ins.expiration, id);
  }
  quotes_.clear();
  trades_.clear();
  bars_.clear();
  last_bar_close_.clear();
  bar_memo_ = BarMemo{};
  orders_.clear();
  venue_order_ids_.clear();
  all_orders_.clear();
  open_orders_.clear();
  inflight_orders_.clear();
  order_lists_.clear();
  positions_.clear();
  positions_by_seq_.clear();
  open_positions_.clear();
  ++open_positions_version_;
  snapshots_.clear();
  accounts_.clear();
  venue_accounts_.clear();
  orphan_fills_.clear();
  fills_.clear();
  next_order_seq_ = 0;
  tag_count_ = 0;
  our_tags_.clear();
  foreign_tags_.clear();
  next_position_seq_ = 0;
}

}  // namespace nacre
