#include "trading/spread_executor.h"

#include <nlohmann/json.hpp>
#include <tuple>

#include <fmt/format.h>

#include <algorithm>

#include "common/spread_tag.h"

namespace nacre {
namespace {

// Rounds a raw price to the tick: down for buys (pay no more), up for sells (take no less).
std::int64_t ToTick(std::int64_t raw, std::int64_t tick, OrderSide side) {
  std::int64_t q = raw / tick;
  if (side == OrderSide::kSell && q * tick < raw) ++q;
  if (side == OrderSide::kBuy && q * tick > raw) --q;
  return q * tick;
}

// Worse for the leg's side: a higher price to buy, a lower one to sell.
bool Worse(OrderSide side, std::int64_t a, std::int64_t b) {
  return side == OrderSide::kBuy ? a > b : a < b;
}

}  // namespace

SpreadExecutor::SpreadExecutor(SpreadOrderPort& port, std::string id_prefix)
    : port_(port), prefix_(std::move(id_prefix)) {}

SpreadExecutor::~SpreadExecutor() {
  for (const std::string& t : timers_) port_.CancelAlert(t);
}

void SpreadExecutor::Reset() {
  for (const std::string& t : timers_) port_.CancelAlert(t);
  timers_.clear();
  spreads_.clear();
  creation_order_.clear();
  by_creation_.clear();
  first_active_ = 0;
  runs_.clear();
  orders_.clear();
  next_id_ = 0;
  next_timer_ = 0;
  announce_loaded_ = false;
  applied_fills_.clear();
  policy_of_.clear();
  loaded_working_.clear();
  loaded_policy_.clear();
  loaded_net_limit_.clear();
  loaded_run_.clear();
}

const SpreadPosition* SpreadExecutor::Find(const SpreadId& id) const {
  auto it = spreads_.find(id);
  return it == spreads_.end() ? nullptr : it->second.get();
}

std::vector<const SpreadPosition*> SpreadExecutor::All() const {
  return {by_creation_.begin(), by_creation_.end()};
}

std::vector<const SpreadPosition*> SpreadExecutor::Active() const {
  // Spreads finish roughly in creation order: start past the leading finished ones.
  while (first_active_ < by_creation_.size()) {
    const SpreadState st = by_creation_[first_active_]->state();
    if (st != SpreadState::kClosed && st != SpreadState::kFailed) break;
    ++first_active_;
  }
  std::vector<const SpreadPosition*> out;
  for (std::size_t i = first_active_; i < by_creation_.size(); ++i) {
    const SpreadState st = by_creation_[i]->state();
    if (st != SpreadState::kClosed && st != SpreadState::kFailed) out.push_back(by_creation_[i]);
  }
  return out;
}

Status SpreadExecutor::ValidatePolicy(const SpreadExecPolicy& p) {
  if (p.leg_timeout <= 0 || p.max_reprices < 0) {
    return MakeError(ErrorCode::kInvalidInput,
                     "leg_timeout must be positive and max_reprices not negative");
  }
  if (p.max_slippage && p.max_slippage->raw() < 0) {
    return MakeError(ErrorCode::kInvalidInput, "max_slippage must not be negative");
  }
  if (p.close_retry <= 0 || p.close_retry_max < p.close_retry) {
    return MakeError(ErrorCode::kInvalidInput,
                     "close_retry must be positive and close_retry_max at least close_retry");
  }
  if (p.market_protection_pct_raw <= 0 || p.market_protection_pct_raw > 100 * kFixedScale) {
    return MakeError(ErrorCode::kInvalidInput,
                     "market_protection must be above 0 and at most 100 percent");
  }
  return Status::Ok();
}

void SpreadExecutor::OnStrategyResumed() {
  // The strategy's stop cancelled every alert of ours: forget the names and arm again what
  // is still working (a leg's timeout, a refused closing leg's retry).
  timers_.clear();
  for (auto& [id, run] : runs_) {
    for (std::size_t i = 0; i < run.legs.size(); ++i) {
      LegWork& w = run.legs[i];
      if (w.done()) continue;
      if (w.order != nullptr && !w.order->is_closed()) {
        ArmTimeout(id, i);
      } else if (run.purpose != Purpose::kOpen && w.order != nullptr && w.order->is_closed()) {
        RetryClosingLeg(id, i, "strategy resumed");
      }
    }
  }
}

Result<SpreadId> SpreadExecutor::Open(const SpreadOrderSpec& spec) {
  if (spec.legs.empty()) return MakeError("spread order: no legs");
  if (spec.lots == 0) return MakeError("spread order: lots must be at least 1");
  if (Status v = ValidatePolicy(spec.policy); !v) return MakeError("spread order: " + v.error());
  std::vector<Instrument> instruments;
  const UnixNanos now = port_.ClockRef().Now();
  for (std::size_t i = 0; i < spec.legs.size(); ++i) {
    const SpreadLeg& leg = spec.legs[i];
    if (leg.ratio == 0) return MakeError(fmt::format("spread order: leg {} has ratio 0", i + 1));
    for (std::size_t j = 0; j < i; ++j) {
      if (spec.legs[j].instrument == leg.instrument) {
        return MakeError(fmt::format("spread order: {} appears in legs {} and {}",
                                     leg.instrument.value(), j + 1, i + 1));
      }
    }
    const Instrument* ins = port_.CacheRef().instrument(leg.instrument);
    if (ins == nullptr) {
      return MakeError(fmt::format("spread order: unknown instrument {}", leg.instrument.value()));
    }
    if (!ins->is_tradable() || ins->IsExpired(now)) {
      return MakeError(fmt::format("spread order: {} is not tradable (index or expired)",
                                   leg.instrument.value()));
    }
    instruments.push_back(*ins);
  }
  const SpreadId id(fmt::format("{}-SP{:04}", prefix_, ++next_id_));
  auto spread = std::make_unique<SpreadPosition>(id, port_.Factory().strategy_id(), spec.legs,
                                                 std::move(instruments), spec.lots, now);
  spread->set_tags(spec.tags);
  spread->set_planned_net(spec.net_limit);
  Run run;
  run.purpose = Purpose::kOpen;
  run.net_limit = spec.net_limit;
  run.policy = spec.policy;
  policy_of_[id] = spec.policy;
  for (std::size_t i = 0; i < spec.legs.size(); ++i) {
    LegWork w;
    w.leg = i;
    w.side = spec.legs[i].side;
    w.target = spread->TargetQty(i);
    run.legs.push_back(w);
  }
  BuildGroups(run);
  by_creation_.push_back(spread.get());
  spreads_.emplace(id, std::move(spread));
  creation_order_.push_back(id);
  runs_.emplace(id, std::move(run));
  StartGroup(id);
  return id;
}

Status SpreadExecutor::Close(const SpreadId& id, std::optional<Price> net_limit,
                             const SpreadExecPolicy& policy, std::string reason) {
  auto it = spreads_.find(id);
  if (it == spreads_.end())
    return MakeError(fmt::format("close spread: unknown spread {}", id.value()));
  SpreadPosition& sp = *it->second;
  if (sp.state() != SpreadState::kOpen) {
    return MakeError(
        fmt::format("close spread {}: state is {}, not OPEN", id.value(), ToString(sp.state())));
  }
  if (Status v = ValidatePolicy(policy); !v) return v.WithContext("close spread: ");
  Run run;
  run.purpose = Purpose::kClose;
  run.net_limit = net_limit;
  run.policy = policy;
  policy_of_[id] = policy;
  run.legs = ClosingLegs(sp);
  BuildGroups(run);
  sp.set_state(SpreadState::kClosing);
  sp.set_exit_reason(std::move(reason));
  runs_[id] = std::move(run);
  StartGroup(id);
  return Status::Ok();
}

std::vector<SpreadExecutor::LegWork> SpreadExecutor::ClosingLegs(const SpreadPosition& sp) {
  std::vector<LegWork> out;
  for (std::size_t i = 0; i < sp.legs().size(); ++i) {
    const std::int64_t q = sp.LegSignedQtyRaw(i);
    if (q == 0) continue;
    LegWork w;
    w.leg = i;
    w.side = q > 0 ? OrderSide::kSell : OrderSide::kBuy;
    w.target = Quantity::Raw(std::abs(q), sp.instrument(i).size_precision);
    out.push_back(w);
  }
  return out;
}

void SpreadExecutor::BuildGroups(Run& run) const {
  run.groups.clear();
  std::vector<std::size_t> buys, sells, all;
  for (std::size_t i = 0; i < run.legs.size(); ++i) {
    (run.legs[i].side == OrderSide::kBuy ? buys : sells).push_back(i);
    all.push_back(i);
  }
  if (run.policy.hedge_first) {
    if (!buys.empty()) run.groups.push_back(buys);
    if (!sells.empty()) run.groups.push_back(sells);
  } else {
    run.groups.push_back(all);
  }
  run.group = 0;
}

std::optional<Price> SpreadExecutor::Touch(const InstrumentId& instrument, OrderSide side) const {
  const QuoteTick* q = port_.CacheRef().quote(instrument);
  if (q == nullptr) return std::nullopt;
  const Price px = side == OrderSide::kBuy ? q->ask_price : q->bid_price;
  if (px.raw() <= 0) return std::nullopt;
  return px;
}

std::optional<Price> SpreadExecutor::Mid(const InstrumentId& instrument) const {
  const QuoteTick* q = port_.CacheRef().quote(instrument);
  if (q == nullptr || q->bid_price.raw() <= 0 || q->ask_price.raw() <= 0) return std::nullopt;
  return Price::Raw((q->bid_price.raw() + q->ask_price.raw()) / 2,
                    std::max(q->bid_price.precision(), q->ask_price.precision()) + 1);
}

bool SpreadExecutor::PriceLastGroup(const SpreadId& id, Run& run,
                                    std::vector<std::optional<Price>>& px,
                                    std::vector<std::optional<Price>>& bounds,
                                    std::string& why) const {
  const SpreadPosition& sp = *spreads_.at(id);
  const auto& group = run.groups[run.group];
  // Required net of this group per spread unit = limit − what earlier groups filled at.
  Int128 remaining = run.net_limit->raw();
  for (std::size_t g = 0; g < run.group; ++g) {
    for (std::size_t i : run.groups[g]) {
      const LegWork& w = run.legs[i];
      if (w.filled_raw == 0) continue;
      const Int128 avg = w.px_qty / w.filled_raw;
      const Int128 contrib = avg * sp.legs()[w.leg].ratio;
      remaining -= w.side == OrderSide::kBuy ? contrib : -contrib;
    }
  }
  Int128 mid_net = 0;
  Int128 ratio_sum = 0;
  std::vector<std::int64_t> mids;
  for (std::size_t i : group) {
    const LegWork& w = run.legs[i];
    const InstrumentId& ins = sp.instrument(w.leg).id;
    auto m = Mid(ins);
    if (!m) {
      why = fmt::format("no two-sided quote for {} to price the leg", ins.value());
      return false;
    }
    mids.push_back(m->raw());
    const Int128 r = sp.legs()[w.leg].ratio;
    mid_net += w.side == OrderSide::kBuy ? r * m->raw() : -r * m->raw();
    ratio_sum += r;
  }
  // Spread the gap to the required net evenly per ratio unit: each leg moves by the same
  // amount in its own favourable direction, so the group's net lands on the requirement.
  const Int128 delta = (remaining - mid_net) / ratio_sum;
  // An opening's slippage is shared the same way: each leg may concede its ratio's part.
  const bool bounded = run.purpose == Purpose::kOpen && run.policy.max_slippage.has_value();
  const Int128 slip = bounded ? run.policy.max_slippage->raw() / ratio_sum : 0;
  px.assign(run.legs.size(), std::nullopt);
  bounds.assign(run.legs.size(), std::nullopt);
  for (std::size_t k = 0; k < group.size(); ++k) {
    const LegWork& w = run.legs[group[k]];
    const Instrument& ins = sp.instrument(w.leg);
    const Int128 raw = w.side == OrderSide::kBuy ? mids[k] + delta : mids[k] - delta;
    std::int64_t ticked = ToTick(static_cast<std::int64_t>(raw), ins.tick_size.raw(), w.side);
    if (ticked < ins.tick_size.raw()) {
      if (w.side == OrderSide::kBuy) {
        why = fmt::format("net limit {} leaves no positive price for the {} leg",
                          run.net_limit->ToString(), ins.id.value());
        return false;
      }
      ticked = ins.tick_size.raw();
    }
    px[group[k]] = Price::Raw(ticked, ins.price_precision);
    if (bounded) {
      // Rounded toward conceding less (sells up, buys down), never below one tick.
      const Int128 worst = w.side == OrderSide::kBuy ? ticked + slip : ticked - slip;
      std::int64_t b = ToTick(static_cast<std::int64_t>(worst), ins.tick_size.raw(), w.side);
      b = std::max(b, ins.tick_size.raw());
      bounds[group[k]] = Price::Raw(b, ins.price_precision);
    }
  }
  return true;
}

void SpreadExecutor::StartGroup(const SpreadId& id) {
  Run& run = runs_.at(id);
  SpreadPosition& sp = Spread(id);
  const auto& group = run.groups[run.group];
  const bool last = run.group + 1 == run.groups.size();
  std::vector<std::optional<Price>> limits(run.legs.size());
  std::vector<std::optional<Price>> bounds(run.legs.size());
  bool at_touch = false;
  if (run.net_limit && run.purpose != Purpose::kUnwind) {
    if (last) {
      std::string why;
      if (!PriceLastGroup(id, run, limits, bounds, why)) {
        if (run.purpose == Purpose::kOpen) {
          Fail(id, why);
          return;
        }
        limits.assign(run.legs.size(), std::nullopt);  // closing: fall back to market
        port_.Emit(sp.MakeEvent(SpreadEventKind::kLegRisk, port_.ClockRef().Now(),
                                why + "; closing at market"));
      }
    } else {
      at_touch = true;
      for (std::size_t i : group) {
        limits[i] = Touch(sp.instrument(run.legs[i].leg).id, run.legs[i].side);
      }
    }
  }
  for (std::size_t i : group) {
    LegWork& w = run.legs[i];
    w.start = limits[i];
    w.bound = bounds[i];
    w.pegged = at_touch;
    w.reprices = 0;
    SubmitLeg(id, run, i, limits[i]);
  }
}

std::optional<SpreadExecutor::RepriceStep> SpreadExecutor::Reprice(const SpreadId& id,
                                                                   const Run& run,
                                                                   const LegWork& w) const {
  const Instrument& ins = spreads_.at(id)->instrument(w.leg);
  const std::optional<Price> touch = Touch(ins.id, w.side);
  if (!touch) return std::nullopt;
  std::int64_t target = touch->raw();
  if (!w.pegged && w.start) {
    if (!Worse(w.side, touch->raw(), w.start->raw())) {
      target = w.start->raw();  // the market came to us: the first price is marketable
    } else if (w.reprices < run.policy.max_reprices) {
      // Converging: the k-th of n equal steps from the first price to the touch (rounded
      // toward conceding less), so the n-th lands on the touch.
      const Int128 from = w.start->raw();
      const Int128 gap = static_cast<Int128>(touch->raw()) - from;
      const Int128 raw = from + gap * w.reprices / run.policy.max_reprices;
      target = ToTick(static_cast<std::int64_t>(raw), ins.tick_size.raw(), w.side);
    }
  }
  if (w.bound && Worse(w.side, target, w.bound->raw())) target = w.bound->raw();
  target = std::max(target, ins.tick_size.raw());
  return RepriceStep{Price::Raw(target, ins.price_precision), *touch};
}

std::optional<Int128> SpreadExecutor::NetAtTouch(const SpreadId& id, const Run& run) const {
  const SpreadPosition& sp = *spreads_.at(id);
  Int128 net = 0;
  for (const LegWork& w : run.legs) {
    const Int128 ratio = sp.legs()[w.leg].ratio;
    const Int128 target = w.target.raw();
    Int128 leg = 0;  // price raw of the leg per unit, weighted by what is done and left
    if (w.filled_raw >= target) {
      leg = w.px_qty / w.filled_raw;
    } else {
      const std::optional<Price> touch = Touch(sp.instrument(w.leg).id, w.side);
      if (!touch) return std::nullopt;
      leg = (w.px_qty + static_cast<Int128>(touch->raw()) * (target - w.filled_raw)) / target;
    }
    net += w.side == OrderSide::kBuy ? ratio * leg : -ratio * leg;
  }
  return net;
}

void SpreadExecutor::SubmitLeg(const SpreadId& id, Run& run, std::size_t i,
                               std::optional<Price> limit) {
  SpreadPosition& sp = Spread(id);
  LegWork& w = run.legs[i];
  const Instrument& ins = sp.instrument(w.leg);
  const Quantity qty = Quantity::Raw(w.target.raw() - w.filled_raw, ins.size_precision);
  OrderOptions opt;
  opt.tags = FormatSpreadLegTag({id.value(), static_cast<int>(w.leg + 1), run.purpose});
  // Not reduce-only: the spread's own book decides the quantities (other spreads of the
  // strategy may hold the same contract).
  if (!limit) opt.market_protection_pct_raw = run.policy.market_protection_pct_raw;
  std::unique_ptr<Order> order = limit ? port_.Factory().Limit(ins.id, w.side, qty, *limit, opt)
                                       : port_.Factory().Market(ins.id, w.side, qty, opt);
  w.market = !limit.has_value();
  w.limit = limit;
  w.abandoning = false;
  const ClientOrderId oid = order->client_order_id();
  orders_[oid] = OrderRef{id, i};
  w.order_id = oid;
  w.order = nullptr;
  // A denial can arrive inside Submit (before it returns), so events match on order_id.
  const Order* sent = port_.Submit(std::move(order));
  if (w.order_id == oid) w.order = sent;
  // Limits and protected market orders alike can rest unfilled: both time out.
  if (w.order != nullptr && !w.order->is_closed()) ArmTimeout(id, i);
}

std::string SpreadExecutor::NewTimerName(const char* kind) {
  return fmt::format("{}:spread-{}:{}", prefix_, kind, ++next_timer_);
}

void SpreadExecutor::Arm(const char* kind, DurationNs after, std::function<void()> fn) {
  std::string name = NewTimerName(kind);
  const Status st =
      port_.SetAlert(name, port_.ClockRef().Now() + after, [this, name, f = std::move(fn)] {
        std::erase(timers_, name);  // fired: the name is free
        f();
      });
  if (st) timers_.push_back(std::move(name));
}

void SpreadExecutor::ArmTimeout(const SpreadId& id, std::size_t i) {
  const Run& run = runs_.at(id);
  const ClientOrderId oid = run.legs[i].order_id;
  Arm("timeout", run.policy.leg_timeout, [this, id, i, oid] { OnTimeout(id, i, oid); });
}

void SpreadExecutor::OnTimeout(const SpreadId& id, std::size_t i, const ClientOrderId& order_id) {
  auto it = runs_.find(id);
  if (it == runs_.end() || i >= it->second.legs.size()) return;  // a later run replaced it
  Run& run = it->second;
  LegWork& w = run.legs[i];
  if (w.order == nullptr || w.order->client_order_id() != order_id || w.order->is_closed() ||
      w.done() || w.abandoning) {
    return;
  }
  const Instrument& ins = Spread(id).instrument(w.leg);
  const bool opening = run.purpose == Purpose::kOpen;
  // An opening converges to the touch and then stays pegged to it; a close converges and then
  // goes to market (it must complete).
  const int max_steps = opening ? 2 * run.policy.max_reprices : run.policy.max_reprices;
  if (!w.market && w.limit && w.reprices < max_steps) {
    if (opening && w.pegged && run.policy.max_slippage && run.net_limit) {
      // Still buying the hedges: stop if the whole spread at the touch is already worse than
      // the limit by more than the slippage allowed (a careful trader does not buy a wing
      // for a spread that is no longer there).
      const std::optional<Int128> net = NetAtTouch(id, run);
      const Int128 worst =
          static_cast<Int128>(run.net_limit->raw()) + run.policy.max_slippage->raw();
      if (net && *net > worst) {
        w.abandoning = true;
        port_.Cancel(*w.order);
        Fail(id, fmt::format("the spread at the touch is {} per unit, past the limit {} by more "
                             "than the max slippage {}",
                             FormatFixedRaw(static_cast<std::int64_t>(*net), 2),
                             run.net_limit->ToString(), run.policy.max_slippage->ToString()));
        return;
      }
    }
    ++w.reprices;
    const std::optional<RepriceStep> step = Reprice(id, run, w);
    const bool converged = w.reprices > run.policy.max_reprices;
    if (opening && converged && step && w.bound &&
        Worse(w.side, step->touch.raw(), w.bound->raw())) {
      w.abandoning = true;
      port_.Cancel(*w.order);
      Fail(id, fmt::format("leg {} ({}): the touch {} is past the max slippage bound {}", w.leg + 1,
                           ins.id.value(), step->touch.ToString(), w.bound->ToString()));
      return;
    }
    // Without a quote to go by, the leg keeps its price until the next timeout.
    if (step && step->price != *w.limit) {
      w.limit = step->price;
      port_.Modify(*w.order, *w.limit);
    }
    ArmTimeout(id, i);
    return;
  }
  if (run.purpose != Purpose::kOpen) {
    // A close must complete: cancel the resting order; its cancel sends a (new) protected
    // market order from the market as it is then.
    w.abandoning = true;
    port_.Cancel(*w.order);
    return;
  }
  w.abandoning = true;
  port_.Cancel(*w.order);
  Fail(id, w.market ? fmt::format("leg {} ({}) market order unfilled within its protection after {} s",
                                  w.leg + 1, ins.id.value(), run.policy.leg_timeout / kNanosPerSecond)
                    : fmt::format("leg {} ({}) unfilled after {} re-prices", w.leg + 1,
                                  ins.id.value(), w.reprices));
}

bool SpreadExecutor::AllLegsDone(const Run& run) const {
  for (const LegWork& w : run.legs) {
    if (!w.done()) return false;
  }
  return true;
}

void SpreadExecutor::RetryClosingLeg(const SpreadId& id, std::size_t i, const std::string& reason) {
  Run& run = runs_.at(id);
  LegWork& w = run.legs[i];
  SpreadPosition& sp = Spread(id);
  const Instrument& ins = sp.instrument(w.leg);
  DurationNs wait = run.policy.close_retry;
  for (int k = 0; k < w.retries && wait < run.policy.close_retry_max; ++k) wait *= 2;
  wait = std::min(wait, run.policy.close_retry_max);
  ++w.retries;
  port_.Emit(sp.MakeEvent(
      SpreadEventKind::kLegRisk, port_.ClockRef().Now(),
      fmt::format("leg {} ({}) not closed: {}; retry {} in {} s", w.leg + 1, ins.id.value(),
                  reason, w.retries, wait / kNanosPerSecond)));
  const ClientOrderId refused = w.order_id;
  Arm("retry", wait, [this, id, i, refused] { OnRetry(id, i, refused); });
}

void SpreadExecutor::OnRetry(const SpreadId& id, std::size_t i, const ClientOrderId& refused) {
  auto it = runs_.find(id);
  if (it == runs_.end() || i >= it->second.legs.size()) return;
  Run& run = it->second;
  LegWork& w = run.legs[i];
  if (w.order_id != refused || w.done()) return;  // a newer order works, or nothing is left
  const Instrument& ins = Spread(id).instrument(w.leg);
  if (const std::string closed = port_.ClosedReason(ins.id); !closed.empty()) {
    // Not sent into a closed market (it would only be denied): look again later, quietly.
    Arm("retry", run.policy.close_retry, [this, id, i, refused] { OnRetry(id, i, refused); });
    return;
  }
  SubmitLeg(id, run, i, std::nullopt);
}

void SpreadExecutor::OnOrderEvent(const OrderEvent& event) {
  const ClientOrderId& oid =
      std::visit([](const auto& e) -> const ClientOrderId& { return e.client_order_id; }, event);
  const auto* late = std::get_if<OrderFilled>(&event);
  auto ref = orders_.find(oid);
  if (ref == orders_.end()) {
    if (late != nullptr && !ApplyByTag(*late)) AllocateSettlement(*late);
    return;
  }
  const SpreadId id = ref->second.spread;
  const std::size_t i = ref->second.leg_work;
  auto run_it = runs_.find(id);
  if (run_it == runs_.end() || i >= run_it->second.legs.size() ||
      run_it->second.legs[i].order_id != oid) {
    // The run that sent it is over, or this is an older order of the leg.
    if (late != nullptr) ApplyByTag(*late);
    return;
  }
  Run& run = run_it->second;
  LegWork& w = run.legs[i];
  if (w.order == nullptr) w.order = port_.CacheRef().order(oid);

  if (const auto* fill = std::get_if<OrderFilled>(&event)) {
    SpreadPosition& sp = Spread(id);
    if (!ApplyOnce(sp, w.leg, *fill, run.purpose == Purpose::kOpen)) return;
    w.filled_raw += fill->last_qty.raw();
    w.px_qty += static_cast<Int128>(fill->last_px.raw()) * fill->last_qty.raw();
    if (run.failing) {
      if (run.purpose == Purpose::kOpen && AllLegsDone(run)) {
        // The abandon timer met the last fill: every leg is in, so the spread is complete
        // and nothing is unwound.
        run.failing = false;
        run.failure.clear();
        run.group = run.groups.size() - 1;
        Advance(id);
        return;
      }
      MaybeFinishFailure(id);
      return;
    }
    if (w.done()) {
      Advance(id);
    } else {
      port_.Emit(sp.MakeEvent(SpreadEventKind::kChanged, fill->ts_event));
    }
    return;
  }
  if (const auto* e = std::get_if<OrderModifyRejected>(&event)) {
    // The re-price was refused: the order keeps its price, and so does the leg's next step —
    // unless the refusal answers an earlier re-price while a later one is still in flight
    // (the event names the refused price), which then stays the leg's price.
    if (e->price && w.limit && *e->price != *w.limit) return;
    if (w.order != nullptr && w.order->price()) w.limit = w.order->price();
    return;
  }
  std::string reason;
  if (const auto* e = std::get_if<OrderRejected>(&event)) reason = "rejected: " + e->reason;
  if (const auto* e = std::get_if<OrderDenied>(&event)) {
    reason = "denied: " + e->reason_code + " " + e->message;
  }
  if (std::get_if<OrderCanceled>(&event) != nullptr) reason = "canceled";
  if (std::get_if<OrderExpired>(&event) != nullptr) reason = "expired";
  if (!reason.empty()) OnLegTerminal(id, i, reason);
}

void SpreadExecutor::OnLegTerminal(const SpreadId& id, std::size_t i, const std::string& reason) {
  Run& run = runs_.at(id);
  LegWork& w = run.legs[i];
  SpreadPosition& sp = Spread(id);
  const Instrument& ins = sp.instrument(w.leg);
  if (w.done()) return;
  if (run.failing) {
    MaybeFinishFailure(id);
    return;
  }
  switch (run.purpose) {
    case Purpose::kOpen:
      Fail(id, fmt::format("leg {} ({}) {}", w.leg + 1, ins.id.value(), reason));
      return;
    case Purpose::kClose:
    case Purpose::kUnwind:
      if (!w.market || w.abandoning) {
        // A limit that ended unfilled (refused, or past its re-prices), or our own cancel of
        // a protected market order that rested: send the remainder as a protected market
        // order from the market as it is now. A close must not be left half done.
        SubmitLeg(id, run, i, std::nullopt);
        return;
      }
      // A market order refused, denied or canceled by the venue: the spread stays CLOSING
      // and the leg is tried again later (not at once: the same refusal would repeat).
      RetryClosingLeg(id, i, reason);
      return;
  }
}

void SpreadExecutor::Fail(const SpreadId& id, const std::string& reason) {
  Run& run = runs_.at(id);
  SpreadPosition& sp = Spread(id);
  run.failing = true;
  run.failure = reason;
  sp.set_state(SpreadState::kUnwinding);
  port_.Emit(sp.MakeEvent(SpreadEventKind::kLegRisk, port_.ClockRef().Now(), reason));
  for (LegWork& w : run.legs) {
    if (w.order != nullptr && !w.order->is_closed() && !w.abandoning) {
      w.abandoning = true;
      port_.Cancel(*w.order);
    }
  }
  MaybeFinishFailure(id);
}

void SpreadExecutor::MaybeFinishFailure(const SpreadId& id) {
  Run& run = runs_.at(id);
  for (const LegWork& w : run.legs) {
    if (w.order != nullptr && !w.order->is_closed()) return;  // wait for cancels
  }
  SpreadPosition& sp = Spread(id);
  if (run.policy.unwind_on_failure && sp.AnyLegOpen()) {
    StartUnwind(id, run.policy, run.failure);
    return;
  }
  sp.set_state(SpreadState::kFailed);
  sp.set_ts_closed(port_.ClockRef().Now());
  const std::string why = run.failure;
  runs_.erase(id);
  port_.Emit(
      sp.MakeEvent(SpreadEventKind::kFailed, port_.ClockRef().Now(),
                   sp.AnyLegOpen() ? why + "; filled legs left open (unwind disabled)" : why));
}

void SpreadExecutor::StartUnwind(const SpreadId& id, const SpreadExecPolicy& policy,
                                 std::string failure) {
  SpreadPosition& sp = Spread(id);
  Run run;
  run.purpose = Purpose::kUnwind;
  run.policy = policy;
  run.failure = std::move(failure);
  run.legs = ClosingLegs(sp);
  BuildGroups(run);
  runs_[id] = std::move(run);
  StartGroup(id);
}

void SpreadExecutor::Advance(const SpreadId& id) {
  Run& run = runs_.at(id);
  SpreadPosition& sp = Spread(id);
  const UnixNanos now = port_.ClockRef().Now();
  for (std::size_t i : run.groups[run.group]) {
    if (!run.legs[i].done()) {
      port_.Emit(sp.MakeEvent(SpreadEventKind::kChanged, now));
      return;
    }
  }
  if (run.group + 1 < run.groups.size()) {
    ++run.group;
    port_.Emit(sp.MakeEvent(SpreadEventKind::kChanged, now));
    StartGroup(id);
    return;
  }
  if (run.purpose != Purpose::kOpen && sp.AnyLegOpen()) {
    // A fill the run did not send (an earlier phase's order, reported late) left a leg open:
    // closed too, before the spread is called done.
    std::vector<LegWork> rest = ClosingLegs(sp);
    if (!rest.empty()) {
      run.legs = std::move(rest);
      run.group = 0;
      BuildGroups(run);
      port_.Emit(sp.MakeEvent(SpreadEventKind::kLegRisk, now,
                              "a leg still held after the run's last fill: closed too"));
      StartGroup(id);
      return;
    }
  }
  const Purpose purpose = run.purpose;
  const std::string failure = run.failure;
  runs_.erase(id);
  switch (purpose) {
    case Purpose::kOpen:
      sp.set_state(SpreadState::kOpen);
      sp.set_ts_opened(now);
      port_.Emit(sp.MakeEvent(SpreadEventKind::kOpened, now));
      return;
    case Purpose::kClose:
      sp.set_state(SpreadState::kClosed);
      sp.set_ts_closed(now);
      port_.Emit(sp.MakeEvent(SpreadEventKind::kClosed, now));
      return;
    case Purpose::kUnwind:
      sp.set_state(SpreadState::kFailed);
      sp.set_ts_closed(now);
      port_.Emit(sp.MakeEvent(SpreadEventKind::kFailed, now, failure + "; filled legs unwound"));
      return;
  }
}

bool SpreadExecutor::ApplyOnce(SpreadPosition& sp, std::size_t leg, const OrderFilled& fill,
                               bool opening) {
  if (!applied_fills_.emplace(fill.client_order_id, fill.trade_id).second) return false;
  sp.ApplyFill(leg, fill, opening);
  return true;
}

std::optional<SpreadExecutor::FillLeg> SpreadExecutor::LegOfFill(const OrderFilled& fill) {
  const Order* o = port_.CacheRef().order(fill.client_order_id);
  if (o == nullptr) return std::nullopt;
  const auto tag = ParseSpreadLegTag(o->tags());
  if (!tag) return std::nullopt;
  auto it = spreads_.find(SpreadId(tag->spread_id));
  const auto leg = static_cast<std::size_t>(tag->leg - 1);
  if (it == spreads_.end() || leg >= it->second->legs().size()) return std::nullopt;
  return FillLeg{it->second.get(), leg, tag->purpose == SpreadLegPurpose::kOpen};
}

std::map<SpreadId, std::size_t> SpreadExecutor::CatchUpFills() {
  std::map<SpreadId, std::size_t> applied;
  for (const OrderFilled& f : port_.CacheRef().fills()) {
    if (f.strategy_id != port_.Factory().strategy_id()) continue;
    const std::optional<FillLeg> l = LegOfFill(f);
    if (l && ApplyOnce(*l->spread, l->leg, f, l->opening)) ++applied[l->spread->id()];
  }
  return applied;
}

bool SpreadExecutor::ApplyByTag(const OrderFilled& fill) {
  const std::optional<FillLeg> l = LegOfFill(fill);
  if (!l) return false;
  SpreadPosition& sp = *l->spread;
  const std::size_t leg = l->leg;
  if (!ApplyOnce(sp, leg, fill, l->opening)) return true;
  if (!loaded_working_.empty() || announce_loaded_) return true;  // ResumeLoaded goes on from it
  // Live: the spread's book moved without a leg expecting it (a fill after its run ended).
  const std::string what =
      fmt::format("leg {} ({}) filled {} after its order's run ended", leg + 1,
                  sp.instrument(leg).id.value(), fill.last_qty.ToString());
  const bool ended =
      sp.state() == SpreadState::kClosed || sp.state() == SpreadState::kFailed;
  if (runs_.count(sp.id()) != 0 || !ended || !sp.AnyLegOpen()) {
    port_.Emit(sp.MakeEvent(SpreadEventKind::kLegRisk, fill.ts_event, what + ": in its book"));
    return true;
  }
  // A spread that had ended holds a leg again (a fill that raced its cancel, reported late):
  // nobody would manage it, so it is unwound as a failed opening's legs are.
  const auto pol = policy_of_.find(sp.id());
  sp.set_state(SpreadState::kUnwinding);
  port_.Emit(sp.MakeEvent(SpreadEventKind::kLegRisk, fill.ts_event, what + ": unwound"));
  StartUnwind(sp.id(), pol != policy_of_.end() ? pol->second : SpreadExecPolicy{},
              what + ": unwound");
  return true;
}

void SpreadExecutor::AllocateSettlement(const OrderFilled& fill) {
  const Instrument* ins = port_.CacheRef().instrument(fill.instrument_id);
  if (ins == nullptr || !ins->IsExpired(port_.ClockRef().Now())) return;
  std::int64_t remaining = fill.last_qty.raw();
  const std::int64_t total = remaining;
  Money commission_left = fill.commission;
  std::vector<SpreadId> touched;
  for (const SpreadId& id : creation_order_) {
    if (remaining == 0) break;
    SpreadPosition& sp = *spreads_.at(id);
    for (std::size_t i = 0; i < sp.legs().size() && remaining > 0; ++i) {
      if (sp.instrument(i).id != fill.instrument_id) continue;
      const std::int64_t q = sp.LegSignedQtyRaw(i);
      // A sell settles long legs, a buy short ones.
      if (q == 0 || (q > 0) != (fill.order_side == OrderSide::kSell)) continue;
      const std::int64_t take = std::min(remaining, std::abs(q));
      remaining -= take;
      OrderFilled part = fill;
      part.last_qty = Quantity::Raw(take, fill.last_qty.precision());
      // Charges (STT on exercise) follow the quantity; the last share takes the remainder.
      part.commission = remaining == 0
                            ? commission_left
                            : Money::FromRaw(static_cast<std::int64_t>(
                                  static_cast<Int128>(fill.commission.raw()) * take / total));
      part.charges = ChargeBreakdown{};
      commission_left -= part.commission;
      if (remaining == 0 && take == total) part.charges = fill.charges;
      sp.ApplyFill(i, part, /*opening=*/false);
      if (std::find(touched.begin(), touched.end(), id) == touched.end()) touched.push_back(id);
    }
  }
  const UnixNanos now = port_.ClockRef().Now();
  for (const SpreadId& id : touched) {
    SpreadPosition& sp = *spreads_.at(id);
    if (sp.AnyLegOpen()) {
      port_.Emit(sp.MakeEvent(SpreadEventKind::kChanged, now, "leg settled at expiry"));
      continue;
    }
    runs_.erase(id);  // a close or unwind still working is moot now
    sp.set_state(SpreadState::kClosed);
    sp.set_ts_closed(now);
    sp.set_exit_reason("settled at expiry");
    port_.Emit(sp.MakeEvent(SpreadEventKind::kClosed, now, "settled at expiry"));
  }
}



// ---- the books across a restart ----

namespace {

using Json = nlohmann::json;

std::optional<SpreadState> ParseSpreadState(std::string_view s) {
  for (SpreadState st : {SpreadState::kOpening, SpreadState::kOpen, SpreadState::kClosing,
                         SpreadState::kClosed, SpreadState::kUnwinding, SpreadState::kFailed}) {
    if (ToString(st) == s) return st;
  }
  return std::nullopt;
}

Json PolicyJson(const SpreadExecPolicy& p) {
  Json j;
  j["hedge_first"] = p.hedge_first;
  j["leg_timeout"] = p.leg_timeout;
  j["max_reprices"] = p.max_reprices;
  if (p.max_slippage) j["max_slippage"] = p.max_slippage->ToString();
  j["unwind_on_failure"] = p.unwind_on_failure;
  j["market_protection_raw"] = p.market_protection_pct_raw;
  j["close_retry"] = p.close_retry;
  j["close_retry_max"] = p.close_retry_max;
  return j;
}

SpreadExecPolicy PolicyOf(const Json& j) {
  SpreadExecPolicy p;
  p.hedge_first = j.at("hedge_first").get<bool>();
  p.leg_timeout = j.at("leg_timeout").get<DurationNs>();
  p.max_reprices = j.at("max_reprices").get<int>();
  if (j.contains("max_slippage")) {
    auto px = Price::Parse(j.at("max_slippage").get<std::string>());
    if (!px) throw std::runtime_error("max_slippage: " + px.error());
    p.max_slippage = *px;
  }
  p.unwind_on_failure = j.at("unwind_on_failure").get<bool>();
  p.market_protection_pct_raw = j.at("market_protection_raw").get<std::int64_t>();
  p.close_retry = j.at("close_retry").get<DurationNs>();
  p.close_retry_max = j.at("close_retry_max").get<DurationNs>();
  return p;
}


}  // namespace

std::string SpreadExecutor::SaveBook() const {
  Json j;
  j["next_id"] = next_id_;
  Json spreads = Json::array();
  for (const SpreadPosition* sp : by_creation_) {
    Json s;
    s["id"] = sp->id().value();
    s["state"] = std::string(ToString(sp->state()));
    s["lots"] = sp->lots();
    s["tags"] = sp->tags();
    if (sp->planned_net()) s["planned_net"] = sp->planned_net()->ToString();
    s["exit_reason"] = sp->exit_reason();
    s["ts_created"] = sp->ts_created().value;
    s["ts_opened"] = sp->ts_opened().value;
    s["ts_closed"] = sp->ts_closed().value;
    Json legs = Json::array();
    for (const SpreadLeg& l : sp->legs()) {
      legs.push_back({{"instrument", l.instrument.value()},
                      {"side", std::string(ToString(l.side))},
                      {"ratio", l.ratio}});
    }
    s["legs"] = std::move(legs);
    if (auto run = runs_.find(sp->id()); run != runs_.end()) {
      s["policy"] = PolicyJson(run->second.policy);
      if (run->second.net_limit) s["net_limit"] = run->second.net_limit->ToString();
      s["purpose"] = std::string(ToString(run->second.purpose));
      s["failure"] = run->second.failure;
    } else if (auto loaded = loaded_run_.find(sp->id()); loaded != loaded_run_.end()) {
      const Json fields = Json::parse(loaded->second);
      for (auto f = fields.begin(); f != fields.end(); ++f) s[f.key()] = f.value();
    }
    spreads.push_back(std::move(s));
  }
  j["spreads"] = std::move(spreads);
  return j.dump();
}

Status SpreadExecutor::LoadBook(const std::string& text) {
  const Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return MakeError("spread book: not a JSON object");
  std::map<SpreadId, std::unique_ptr<SpreadPosition>> spreads;
  std::vector<SpreadId> order;
  std::map<SpreadId, std::optional<Price>> net_limits;
  std::map<SpreadId, SpreadExecPolicy> policies;
  std::map<SpreadId, std::string> run_fields;
  std::uint64_t next_id = 0;
  try {
    next_id = j.at("next_id").get<std::uint64_t>();
    for (const Json& s : j.at("spreads")) {
      const SpreadId id(s.at("id").get<std::string>());
      std::vector<SpreadLeg> legs;
      std::vector<Instrument> instruments;
      for (const Json& l : s.at("legs")) {
        SpreadLeg leg;
        auto ins_id = InstrumentId::Parse(l.at("instrument").get<std::string>());
        if (!ins_id) throw std::runtime_error(ins_id.error());
        leg.instrument = *ins_id;
        leg.side = l.at("side").get<std::string>() == "BUY" ? OrderSide::kBuy : OrderSide::kSell;
        leg.ratio = l.at("ratio").get<std::uint32_t>();
        const Instrument* ins = port_.CacheRef().instrument(leg.instrument);
        if (ins == nullptr) throw std::runtime_error("unknown instrument " + leg.instrument.value());
        instruments.push_back(*ins);
        legs.push_back(leg);
      }
      auto sp = std::make_unique<SpreadPosition>(id, port_.Factory().strategy_id(), legs,
                                                 std::move(instruments),
                                                 s.at("lots").get<std::uint32_t>(),
                                                 UnixNanos(s.at("ts_created").get<std::int64_t>()));
      auto state = ParseSpreadState(s.at("state").get<std::string>());
      if (!state) throw std::runtime_error("state: " + s.at("state").get<std::string>());
      sp->set_tags(s.at("tags").get<std::string>());
      if (s.contains("planned_net")) {
        auto px = Price::Parse(s.at("planned_net").get<std::string>());
        if (!px) throw std::runtime_error("planned_net: " + px.error());
        sp->set_planned_net(*px);
      }
      sp->set_exit_reason(s.at("exit_reason").get<std::string>());
      sp->set_ts_opened(UnixNanos(s.at("ts_opened").get<std::int64_t>()));
      sp->set_ts_closed(UnixNanos(s.at("ts_closed").get<std::int64_t>()));
      if (s.contains("policy")) policies[id] = PolicyOf(s.at("policy"));
      Json run = Json::object();
      for (const char* k : {"policy", "net_limit", "purpose", "failure"}) {
        if (s.contains(k)) run[k] = s.at(k);
      }
      if (!run.empty()) run_fields[id] = run.dump();
      if (s.contains("net_limit")) {
        auto px = Price::Parse(s.at("net_limit").get<std::string>());
        if (!px) throw std::runtime_error("net_limit: " + px.error());
        net_limits[id] = *px;
      }
      sp->set_state(*state);
      order.push_back(id);
      spreads.emplace(id, std::move(sp));
    }
  } catch (const std::exception& e) {
    return MakeError(fmt::format("spread book: {}", e.what()));
  }
  Reset();
  announce_loaded_ = true;
  next_id_ = next_id;
  for (const SpreadId& id : order) {
    SpreadPosition* sp = spreads.at(id).get();
    by_creation_.push_back(sp);
    creation_order_.push_back(id);
    const SpreadState st = sp->state();
    if (st == SpreadState::kOpening || st == SpreadState::kClosing ||
        st == SpreadState::kUnwinding) {
      loaded_working_.push_back(id);
      loaded_policy_[id] = policies.count(id) ? policies[id] : SpreadExecPolicy{};
      loaded_net_limit_[id] = net_limits.count(id) ? net_limits[id] : std::nullopt;
      if (run_fields.count(id)) loaded_run_[id] = run_fields[id];
    }
    if (policies.count(id) != 0) policy_of_[id] = policies[id];
    spreads_.emplace(id, std::move(spreads.at(id)));
  }
  // The books from the fills of the spreads' orders, in the order they were applied.
  CatchUpFills();
  return Status::Ok();
}

void SpreadExecutor::ResumeLoaded() {
  std::vector<SpreadId> working;
  working.swap(loaded_working_);
  struct Once {
    bool& flag;
    ~Once() { flag = false; }
  } once{announce_loaded_};
  const Cache& cache = port_.CacheRef();
  // Fills that reached the cache after the book was loaded (a start's reconciliation applies
  // what the venue did while the node was down, before the strategy runs): into the books
  // first, so what is resumed, completed or unwound goes from what was really filled.
  const std::map<SpreadId, std::size_t> caught_up = CatchUpFills();
  // The latest order of each (spread, leg, purpose) still working at the venue.
  std::map<std::tuple<std::string, std::size_t, std::string>, const Order*> live;
  std::vector<std::pair<const Order*, SpreadLegTag>> open_legs;  // every working leg order
  OrderQuery q;
  q.strategy_id = port_.Factory().strategy_id();
  for (const Order* o : cache.Orders(q)) {
    if (o->is_closed()) continue;
    if (auto tag = ParseSpreadLegTag(o->tags())) {
      auto& slot = live[{tag->spread_id, static_cast<std::size_t>(tag->leg - 1),
                         std::string(ToString(tag->purpose))}];
      if (slot == nullptr || slot->ts_init() < o->ts_init()) slot = o;
      open_legs.emplace_back(o, std::move(*tag));
    }
  }
  const UnixNanos now = port_.ClockRef().Now();
  // Observers (a monitor, a risk view) learn the restored spreads they have not seen since the
  // restart, before anything is done to the working ones.
  for (const SpreadPosition* sp : by_creation_) {
    if (!announce_loaded_) break;
    if (sp->state() == SpreadState::kClosed || sp->state() == SpreadState::kFailed) continue;
    const auto n = caught_up.find(sp->id());
    port_.Emit(sp->MakeEvent(
        SpreadEventKind::kChanged, now,
        n == caught_up.end()
            ? std::string("restored after a restart")
            : fmt::format("restored after a restart, with {} fill(s) the venue made since its "
                          "book was saved",
                          n->second)));
  }
  for (const SpreadId& id : working) {
    SpreadPosition& sp = Spread(id);
    Run run;
    run.policy = loaded_policy_[id];
    run.net_limit = loaded_net_limit_[id];
    const std::string reason = "the node restarted while the spread was " +
                               std::string(ToString(sp.state()));
    auto adopt = [&](LegWork& w, std::size_t i, const char* purpose) {
      auto it = live.find({id.value(), w.leg, purpose});
      if (it == live.end()) return;
      w.order = it->second;
      w.order_id = it->second->client_order_id();
      w.limit = it->second->price();
      orders_[w.order_id] = OrderRef{id, i};
    };
    if (sp.state() == SpreadState::kOpening) {
      run.purpose = Purpose::kOpen;
      for (std::size_t i = 0; i < sp.legs().size(); ++i) {
        LegWork w;
        w.leg = i;
        w.side = sp.legs()[i].side;
        w.target = sp.TargetQty(i);
        w.filled_raw = std::abs(sp.LegSignedQtyRaw(i));
        run.legs.push_back(w);
      }
      for (std::size_t i = 0; i < run.legs.size(); ++i) adopt(run.legs[i], i, "open");
      BuildGroups(run);
      runs_[id] = std::move(run);
      if (AllLegsDone(runs_[id])) {
        // Every leg filled before the stop: the spread is complete.
        runs_.erase(id);
        sp.set_state(SpreadState::kOpen);
        if (sp.ts_opened().value == 0) sp.set_ts_opened(now);
        port_.Emit(sp.MakeEvent(SpreadEventKind::kOpened, now, reason));
        continue;
      }
      Fail(id, reason + ": abandoned, what filled is unwound");
      continue;
    }
    // Closing or unwinding: carry on from what is still open.
    const bool closing = sp.state() == SpreadState::kClosing;
    run.purpose = closing ? Purpose::kClose : Purpose::kUnwind;
    run.legs = ClosingLegs(sp);
    const char* purpose = closing ? "close" : "unwind";
    for (std::size_t i = 0; i < run.legs.size(); ++i) adopt(run.legs[i], i, purpose);
    if (run.legs.empty()) {
      sp.set_state(closing ? SpreadState::kClosed : SpreadState::kFailed);
      sp.set_ts_closed(now);
      port_.Emit(sp.MakeEvent(closing ? SpreadEventKind::kClosed : SpreadEventKind::kFailed, now,
                              reason));
      continue;
    }
    BuildGroups(run);
    run.group = 0;
    runs_[id] = std::move(run);
    Run& r = runs_[id];
    port_.Emit(sp.MakeEvent(SpreadEventKind::kLegRisk, now, reason + ": resumed"));
    bool any_working = false;
    for (std::size_t i : r.groups[r.group]) any_working |= r.legs[i].order != nullptr;
    if (!any_working) {
      StartGroup(id);
      continue;
    }
    // Legs of the current group still working keep working (their timeouts re-armed); the
    // others go at market.
    for (std::size_t i : r.groups[r.group]) {
      if (r.legs[i].order != nullptr) {
        ArmTimeout(id, i);
      } else {
        SubmitLeg(id, r, i, std::nullopt);
      }
    }
  }
  // Orders of a resumed spread its run did not adopt (an earlier phase's leg, e.g. an
  // opening's whose cancel died with the process, or an older order of a leg) still work at
  // the venue: cancelled. A fill that beats the cancel reaches the book by its tag.
  for (const SpreadId& id : working) {
    std::set<const Order*> adopted;
    if (auto r = runs_.find(id); r != runs_.end()) {
      for (const LegWork& w : r->second.legs) {
        if (w.order != nullptr) adopted.insert(w.order);
      }
    }
    for (const auto& [o, tag] : open_legs) {
      if (tag.spread_id != id.value() || o->is_closed() || adopted.count(o) != 0 ||
          o->status() == OrderStatus::kPendingCancel) {
        continue;
      }
      port_.Emit(Spread(id).MakeEvent(
          SpreadEventKind::kLegRisk, now,
          fmt::format("the node restarted with leg {}'s {} order {} still working: cancelled",
                      tag.leg, ToString(tag.purpose), o->client_order_id().value())));
      port_.Cancel(*o);
    }
  }
  loaded_policy_.clear();
  loaded_net_limit_.clear();
  loaded_run_.clear();
}

}  // namespace nacre
