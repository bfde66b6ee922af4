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

void MarginScenarioCache::At(UnixNanos now) {
  if (now == now_) return;
  entries_.clear();
  results_.clear();
  now_ = now;
}

const MarginResult* MarginScenarioCache::FindResult(UnixNanos now,
                                                    const std::vector<std::int64_t>& key) {
  At(now);
  auto it = results_.find(key);
  if (it == results_.end()) return nullptr;
  ++result_hits_;
  return &it->second;
}

void MarginScenarioCache::AddResult(UnixNanos now, const std::vector<std::int64_t>& key,
                                    const MarginResult& r) {
  At(now);
  results_.insert_or_assign(key, r);
}

const MarginScenarioCache::Entry* MarginScenarioCache::Find(UnixNanos now, const InstrumentId& id,
                                                            Price underlying,
                                                            const std::optional<Price>& mark) {
  At(now);
  auto it = entries_.find(MakeKey(id, underlying, mark));
  if (it == entries_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  return &it->second;
}

const MarginScenarioCache::Entry& MarginScenarioCache::Add(UnixNanos now, const InstrumentId& id,
                                                           Price underlying,
                                                           const std::optional<Price>& mark,
                                                           Entry entry) {
  At(now);
  return entries_.insert_or_assign(MakeKey(id, underlying, mark), std::move(entry)).first->second;
}

MarginBook::MarginBook(InstrumentId underlying, const MarginMarket& market,
                       const MarginBookConfig& config, UnixNanos now, MarginScenarioCache* cache)
    : underlying_(std::move(underlying)),
      market_(market),
      config_(config),
      now_(now),
      cache_(cache) {}

void MarginBook::AddPosition(const InstrumentId& instrument, std::int64_t units) {
  positions_[instrument] += units;
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
    leg.expires_today = IstDate(now_) == IstDate(inst->expiration);
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
  leg_of_.assign(ids_.size(), nullptr);
  for (std::size_t i = 0; i < ids_.size(); ++i) {
    if (auto p = positions_.find(ids_[i]); p != positions_.end()) pos_units_[i] = p->second;
    if (auto l = legs_.find(ids_[i]); l != legs_.end()) leg_of_[i] = &l->second;
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
    if (leg_of_[i] == nullptr) {
      const std::optional<Price> mark = market_.Mark(id);
      const MarginScenarioCache::Entry* cached =
          cache_ != nullptr ? cache_->Find(now_, id, *s, mark) : nullptr;
      if (cached == nullptr) {
        auto priced = PriceLeg(id, *s, mark, in_);
        if (!priced.ok()) return MakeError(priced.error());
        if (cache_ != nullptr) {
          cached = &cache_->Add(now_, id, *s, mark, std::move(*priced));
        } else {
          cached = &own_.emplace(id, std::move(*priced)).first->second;
        }
      }
      // Each instrument is revalued in the scenarios once per book (and once per clock time
      // with a cache); every combination the book evaluates scales these.
      MarginLeg& leg = legs_.emplace(id, cached->leg).first->second;
      leg.unit_pnl = &cached->unit_pnl;
      leg_of_[i] = &leg;
    }
    MarginLeg leg = *leg_of_[i];
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
    auto pit = positions_.find(w.instrument);
    if (pit != positions_.end() && pit->second != 0 && (pit->second > 0) != (w.units > 0)) {
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
