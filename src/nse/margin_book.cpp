#include "nse/margin_book.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "pricing/black.h"

namespace nacre {

namespace {
constexpr double kNanosPerYear = 365.0 * static_cast<double>(kNanosPerDay);
}  // namespace

WorkingLeg MakeWorkingLeg(const ClientOrderId& order, const Instrument& inst, OrderSide side,
                          Quantity leaves, std::optional<Price> price) {
  const std::int64_t units = leaves.raw() / kFixedScale * inst.multiplier;
  return WorkingLeg{order, inst.id, side == OrderSide::kBuy ? units : -units, price};
}

MarginScenarioCache::Key MarginScenarioCache::MakeKey(const InstrumentId& id, Price underlying,
                                                      const std::optional<Price>& mark) {
  return Key{id,
             underlying.raw(),
             underlying.precision(),
             mark.has_value(),
             mark ? mark->raw() : 0,
             mark ? mark->precision() : 0};
}

namespace {
// Spreads every input bit over the result (raw prices are multiples of 10^7: their low bits,
// which the slots' mask keeps, are all zero).
std::size_t Mix(std::uint64_t h) {
  h ^= h >> 31;
  h *= 0x9e3779b97f4a7c15ULL;
  h ^= h >> 29;
  return static_cast<std::size_t>(h);
}
}  // namespace

std::size_t MarginScenarioCache::HashOf(const Key& k) {
  std::uint64_t h = k.id.hash();
  for (std::int64_t v : {k.underlying_raw, k.mark_raw}) {
    h = Mix(h * 1'000'003 ^ static_cast<std::uint64_t>(v));
  }
  return h;
}

std::size_t MarginScenarioCache::HashOf(const std::vector<std::int64_t>& key) {
  std::uint64_t h = key.size();
  for (std::int64_t x : key) h = Mix(h * 1'000'003 ^ static_cast<std::uint64_t>(x));
  return h;
}

void MarginScenarioCache::Slots::Clear() {
  if (size_ == 0) return;
  std::fill(slots_.begin(), slots_.end(), Slot{});
  size_ = 0;
}

void MarginScenarioCache::Slots::Place(const Slot& s) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = s.hash & mask;
  while (slots_[i].pos != 0) i = (i + 1) & mask;
  slots_[i] = s;
}

void MarginScenarioCache::Slots::Add(std::size_t hash, std::size_t pos) {
  if ((size_ + 1) * 2 > slots_.size()) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(std::max<std::size_t>(16, old.size() * 2), Slot{});
    for (const Slot& s : old) {
      if (s.pos != 0) Place(s);
    }
  }
  Place(Slot{hash, pos + 1});
  ++size_;
}

void MarginScenarioCache::At(UnixNanos now) {
  if (now == now_) return;
  priced_used_ = 0;
  priced_slots_.Clear();
  memos_used_ = 0;
  memo_slots_.Clear();
  now_ = now;
}

const MarginResult* MarginScenarioCache::FindResult(UnixNanos now,
                                                    const std::vector<std::int64_t>& key) {
  At(now);
  const std::size_t at =
      memo_slots_.Find(HashOf(key), [&](std::size_t i) { return memos_[i].key == key; });
  if (at == Slots::npos) return nullptr;
  ++result_hits_;
  return &memos_[at].result;
}

void MarginScenarioCache::AddResult(UnixNanos now, const std::vector<std::int64_t>& key,
                                    const MarginResult& r) {
  At(now);
  const std::size_t hash = HashOf(key);
  const std::size_t found =
      memo_slots_.Find(hash, [&](std::size_t i) { return memos_[i].key == key; });
  if (found != Slots::npos) {
    memos_[found].result = r;
    return;
  }
  if (memos_used_ == memos_.size()) memos_.emplace_back();
  Memo& m = memos_[memos_used_];
  m.key.assign(key.begin(), key.end());  // into the kept buffer
  m.result = r;
  memo_slots_.Add(hash, memos_used_++);
}

const MarginScenarioCache::Entry* MarginScenarioCache::Find(UnixNanos now, const InstrumentId& id,
                                                            Price underlying,
                                                            const std::optional<Price>& mark) {
  At(now);
  const Key key = MakeKey(id, underlying, mark);
  const std::size_t at =
      priced_slots_.Find(HashOf(key), [&](std::size_t i) { return priced_[i].key == key; });
  if (at == Slots::npos) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  return &priced_[at].entry;
}

const MarginScenarioCache::Entry& MarginScenarioCache::Add(UnixNanos now, const InstrumentId& id,
                                                           Price underlying,
                                                           const std::optional<Price>& mark,
                                                           const Entry& entry) {
  At(now);
  const Key key = MakeKey(id, underlying, mark);
  const std::size_t hash = HashOf(key);
  const std::size_t found =
      priced_slots_.Find(hash, [&](std::size_t i) { return priced_[i].key == key; });
  if (found != Slots::npos) {
    priced_[found].entry = entry;
    return priced_[found].entry;
  }
  if (priced_used_ == priced_.size()) priced_.emplace_back();
  Priced& p = priced_[priced_used_];
  p.key = key;
  p.entry = entry;
  priced_slots_.Add(hash, priced_used_++);
  return p.entry;
}

MarginBook::MarginBook(InstrumentId underlying, const MarginMarket& market,
                       const MarginBookConfig& config, UnixNanos now, MarginScenarioCache* cache)
    : underlying_(std::move(underlying)),
      market_(market),
      config_(config),
      now_(now),
      cache_(cache) {}

void MarginBook::Reset(InstrumentId underlying, UnixNanos now) {
  underlying_ = std::move(underlying);
  now_ = now;
  positions_.clear();
  working_.clear();
  legs_.clear();
  own_.clear();
  dirty_ = true;
}

void MarginBook::AddPosition(const InstrumentId& instrument, std::int64_t units) {
  auto it = std::lower_bound(positions_.begin(), positions_.end(), instrument,
                             [](const auto& p, const InstrumentId& id) { return p.first < id; });
  if (it == positions_.end() || it->first != instrument) {
    it = positions_.insert(it, {instrument, 0});
  }
  it->second += units;
  dirty_ = true;
}

void MarginBook::AddWorking(const WorkingLeg& leg) {
  std::erase_if(working_, [&](const WorkingLeg& w) { return w.order == leg.order; });
  working_.push_back(leg);
  dirty_ = true;
}

Result<MarginScenarioCache::Entry> MarginBook::PriceLeg(const InstrumentId& id, Price underlying,
                                                        const std::optional<Price>& mark,
                                                        const MarginInput& in) const {
  const Instrument* inst = market_.FindInstrument(id);
  if (inst == nullptr) return MakeError(fmt::format("margin: unknown instrument {}", id.value()));
  const double spot = underlying.AsDouble();
  MarginLeg leg;
  if (inst->instrument_class == InstrumentClass::kFuture) {
    leg.kind = MarginLegKind::kFuture;
    leg.price = mark.value_or(underlying);
  } else {
    leg.kind = MarginLegKind::kOption;
    leg.option_kind = inst->option_kind;
    leg.strike = inst->strike.AsDouble();
    leg.t_years = std::max(0.0, static_cast<double>(inst->expiration - now_) / kNanosPerYear);
    leg.expires_today = IstDayNumber(now_) == IstDayNumber(inst->expiration);
    leg.vol = config_.default_vol;
    if (mark && leg.t_years > 0) {
      auto iv = pricing::ImpliedVolBlack76(leg.option_kind, mark->AsDouble(), spot, leg.strike,
                                           leg.t_years, config_.params.rate);
      if (iv.ok()) leg.vol = *iv;
    }
    // Without a market the theoretical value, to the paisa (a documented double → Price).
    leg.price = mark ? *mark
                     : Price::FromDouble(pricing::Black76Price(leg.option_kind, spot, leg.strike,
                                                               leg.t_years, leg.vol,
                                                               config_.params.rate),
                                         2);
  }
  MarginScenarioCache::Entry e;
  e.unit_pnl = UnitScenarioPnl(leg, in, config_.params);
  e.leg = leg;
  return e;
}

void MarginBook::Index() {
  if (!dirty_) return;
  dirty_ = false;
  ids_.clear();
  for (const auto& [id, units] : positions_) ids_.push_back(id);
  for (const WorkingLeg& w : working_) {
    auto it = std::lower_bound(ids_.begin(), ids_.end(), w.instrument);
    if (it == ids_.end() || *it != w.instrument) ids_.insert(it, w.instrument);
  }
  pos_units_.assign(ids_.size(), 0);
  leg_of_.assign(ids_.size(), -1);
  // Both in id order: one pass. Legs priced so far (a handful): looked up by id.
  std::size_t p = 0;
  for (std::size_t i = 0; i < ids_.size(); ++i) {
    if (p < positions_.size() && positions_[p].first == ids_[i]) {
      pos_units_[i] = positions_[p++].second;
    }
    for (std::size_t l = 0; l < legs_.size(); ++l) {
      if (legs_[l].first == ids_[i]) {
        leg_of_[i] = static_cast<std::ptrdiff_t>(l);
        break;
      }
    }
  }
}

std::size_t MarginBook::Slot(const InstrumentId& id) const {
  return static_cast<std::size_t>(std::lower_bound(ids_.begin(), ids_.end(), id) - ids_.begin());
}

namespace {
bool OnSide(MarginBook::Side side, bool buy) {
  return !(side == MarginBook::Side::kNone || (side == MarginBook::Side::kBuys && !buy) ||
           (side == MarginBook::Side::kSells && buy));
}
}  // namespace

Result<MarginResult> MarginBook::Compute(Side side) {
  bool any = false;
  for (std::int64_t units : net_) any = any || units != 0;
  if (!any) return MarginResult{};
  const std::optional<Price> s = market_.Mark(underlying_);
  if (!s || s->raw() <= 0) {
    return MakeError(fmt::format("no price for underlying {}", underlying_.value()));
  }
  in_.annual_vol = config_.underlying_vol;
  in_.underlying = *s;
  in_.legs.clear();
  // Premium above the mark that working buys would pay at their limits: units counted up to
  // the long the leg ends with, highest limits first. Units already held keep their mark.
  Int128 extra_premium = 0;
  // Legs in instrument id order (ids_), the order their losses are added in.
  for (std::size_t i = 0; i < ids_.size(); ++i) {
    const std::int64_t units = net_[i];
    if (units == 0) continue;
    const InstrumentId& id = ids_[i];
    if (leg_of_[i] < 0) {
      const std::optional<Price> mark = market_.Mark(id);
      const MarginScenarioCache::Entry* cached =
          cache_ != nullptr ? cache_->Find(now_, id, *s, mark) : nullptr;
      if (cached == nullptr) {
        auto priced = PriceLeg(id, *s, mark, in_);
        if (!priced.ok()) return MakeError(priced.error());
        if (cache_ != nullptr) {
          cached = &cache_->Add(now_, id, *s, mark, *priced);
        } else {
          cached = &own_.emplace_back(*priced);
        }
      }
      // Each instrument is revalued in the scenarios once per book (and once per clock time
      // with a cache); every combination the book evaluates scales these.
      MarginLeg& leg = legs_.emplace_back(id, cached->leg).second;
      leg.unit_pnl = &cached->unit_pnl;
      leg_of_[i] = static_cast<std::ptrdiff_t>(legs_.size() - 1);
    }
    MarginLeg leg = legs_[static_cast<std::size_t>(leg_of_[i])].second;
    leg.quantity = units;
    if (leg.kind == MarginLegKind::kOption && units > 0) {
      limits_.clear();  // (limit, units) of this side's working buys with a price
      for (const WorkingLeg& w : working_) {
        if (w.instrument == id && w.units > 0 && w.price && OnSide(side, true)) {
          limits_.emplace_back(*w.price, w.units);
        }
      }
      std::sort(limits_.begin(), limits_.end(),
                [](const auto& a, const auto& b) { return a.first.raw() > b.first.raw(); });
      std::int64_t left = units;
      for (const auto& [limit, n] : limits_) {
        if (left <= 0) break;
        const std::int64_t counted = std::min(left, n);
        const std::int64_t above = limit.raw() - leg.price.raw();
        if (above > 0) extra_premium += static_cast<Int128>(above) * counted;
        left -= counted;
      }
    }
    in_.legs.push_back(leg);
  }
  // With a cache, the legs' entries stand for their instrument, underlying price and mark at
  // this time (entries are kept until the time moves): with the units and the extra premium
  // they make the whole input.
  const bool memo = cache_ != nullptr;
  if (memo) {
    result_key_.clear();
    result_key_.push_back(s->raw());
    result_key_.push_back(s->precision());
    result_key_.push_back(static_cast<std::int64_t>(extra_premium >> 64));
    result_key_.push_back(static_cast<std::int64_t>(extra_premium));
    for (const MarginLeg& leg : in_.legs) {
      result_key_.push_back(static_cast<std::int64_t>(reinterpret_cast<std::uintptr_t>(leg.unit_pnl)));
      result_key_.push_back(leg.quantity);
    }
    if (const MarginResult* hit = cache_->FindResult(now_, result_key_)) return *hit;
  }
  auto r = ComputeMargin(in_, config_.params);
  if (r.ok() && extra_premium > 0) {
    const Money extra = CeilRawToPaisa(extra_premium, 1);
    r->premium += extra;
    r->total += extra;
  }
  if (memo && r.ok()) cache_->AddResult(now_, result_key_, *r);
  return r;
}

Result<MarginResult> MarginBook::Margin(Side side, bool openings_only) {
  Index();
  net_ = pos_units_;
  // Each side's working units per instrument, added to the positions. With `openings_only`,
  // the part of a side that would only reduce the position (a buy against a short, a sell
  // against a long) is left out.
  for (const bool buys : {true, false}) {
    side_units_.assign(ids_.size(), 0);
    bool any = false;
    for (const WorkingLeg& w : working_) {
      const bool buy = w.units > 0;
      if (buy != buys || !OnSide(side, buy)) continue;
      side_units_[Slot(w.instrument)] += w.units;
      any = true;
    }
    if (!any) continue;
    for (std::size_t i = 0; i < ids_.size(); ++i) {
      const std::int64_t units = side_units_[i];
      std::int64_t add = units;
      if (openings_only) {
        const std::int64_t pos = pos_units_[i];
        if (units > 0 && pos < 0) add = std::max<std::int64_t>(0, units + pos);
        if (units < 0 && pos > 0) add = std::min<std::int64_t>(0, units + pos);
      }
      net_[i] += add;
    }
  }
  return Compute(side);
}

Result<BlockedMargin> MarginBook::Blocked(const BlockedMargin* same_positions) {
  BlockedMargin b;
  if (same_positions != nullptr) {
    b.positions = same_positions->positions;
    b.positions_total = same_positions->positions_total;
  } else {
    auto positions = Margin(Side::kNone);
    if (!positions.ok()) return MakeError(positions.error());
    // The long options' premium is not blocked: the account paid it out of the balance on the
    // fill. Working buys' premium is, until they fill (it is part of M(P + W) − M(P)).
    b.positions = positions->total - positions->premium;
    b.positions_total = positions->total;
  }
  bool buys = false;
  bool sells = false;
  bool reducing = false;  // some working order would reduce a position
  for (const WorkingLeg& w : working_) {
    (w.units > 0 ? buys : sells) |= w.units != 0;
    auto pit = std::lower_bound(positions_.begin(), positions_.end(), w.instrument,
                                [](const auto& p, const InstrumentId& id) { return p.first < id; });
    if (pit != positions_.end() && pit->first == w.instrument && pit->second != 0 &&
        (pit->second > 0) != (w.units > 0)) {
      reducing = true;
    }
  }
  if (!buys && !sells) return b;
  // The worst of: all working orders filled, only the buys, only the sells (one side alone is
  // the same as all) and, when some orders would reduce positions, the same three with only the
  // opening parts.
  Money worst = Money::Zero();
  for (bool openings_only : {false, true}) {
    if (openings_only && !reducing) continue;
    for (Side side : {Side::kAll, Side::kBuys, Side::kSells}) {
      if (side != Side::kAll && !(buys && sells)) continue;
      auto m = Margin(side, openings_only);
      if (!m.ok()) return MakeError(m.error());
      worst = std::max(worst, m->total);
    }
  }
  if (worst > b.positions_total) b.working = worst - b.positions_total;
  return b;
}

Result<MarginCheck> MarginBook::Check(const WorkingLeg& leg) {
  MarginCheck c;
  auto before = Blocked();
  if (!before.ok()) return MakeError(before.error());
  c.before = *before;
  AddWorking(leg);
  auto after = Blocked(&c.before);
  if (!after.ok()) return MakeError(after.error());
  c.after = *after;
  c.required = c.after.working > c.before.working ? c.after.working - c.before.working
                                                    : Money::Zero();
  return c;
}

}  // namespace nacre
