#include "execution/reconciler.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/fixed.h"
#include "execution/execution_engine.h"

namespace nacre {

namespace {

const StrategyId& ReconciledStrategy() {
  static const StrategyId id("RECONCILED");
  return id;
}
const StrategyId& ExternalStrategy() {
  static const StrategyId id("EXTERNAL");
  return id;
}

// The order's ids with the venue's order id, as the report gives it.
OrderRef RefFor(const Order& o, const OrderStatusReport& r) {
  OrderRef ref = RefOf(o);
  ref.venue_order_id = r.venue_order_id;
  return ref;
}

template <typename E>
E VenueEvent(const Order& o, const OrderStatusReport& r, const Uuid4& id, UnixNanos ts,
             UnixNanos now) {
  return MakeVenueEvent<E>(RefFor(o, r), r.account_id, id, ts, now);
}

}  // namespace

Status ReconcileResult::ToStatus() const {
  if (ok()) return Status::Ok();
  std::string msg = fmt::format("reconciliation failed ({} mismatch{}): ", mismatches.size(),
                                mismatches.size() == 1 ? "" : "es");
  for (std::size_t i = 0; i < mismatches.size(); ++i) {
    if (i > 0) msg += "; ";
    msg += mismatches[i];
  }
  return MakeError(ErrorCode::kFailedPrecondition, msg);
}

bool Reconciler::LostSend(const Order& o, const OrderStatusReport& r) {
  // Rejected without ever having the venue's id: the send whose answer was unknown and whose
  // tag the venue's book did not show within the window. An order can never come back from
  // REJECTED, so the venue's order under that tag is an orphan of it.
  return o.status() == OrderStatus::kRejected && o.venue_order_id().empty() &&
         !r.venue_order_id.empty();
}

bool Reconciler::Ours(const OrderStatusReport& r) const {
  return !r.tag.empty() && r.tag.rfind(cache_.tag_prefix(), 0) == 0;
}

ClientOrderId Reconciler::AdoptedId(const OrderStatusReport& r) const {
  return ClientOrderId(
      fmt::format("{}-{}", Ours(r) ? "ADOPTED" : "EXTERNAL", r.venue_order_id.value()));
}

Order* Reconciler::Adopted(const OrderStatusReport& r) {
  if (r.venue_order_id.empty()) return nullptr;
  if (const Order* o = cache_.OrderByVenueId(r.venue_order_id)) {
    return cache_.mutable_order(o->client_order_id());
  }
  // By the id Adopt gave it (this run, or a journaled one): found even when its venue id was
  // never recorded (an order the venue rejected carries none).
  return cache_.mutable_order(AdoptedId(r));
}

Order* Reconciler::Match(const OrderStatusReport& r) {
  if (!r.client_order_id.empty()) {
    if (Order* o = cache_.mutable_order(r.client_order_id)) return o;
  }
  if (!r.tag.empty()) {
    if (const Order* o = cache_.OrderByTag(r.tag)) {
      if (!LostSend(*o, r)) return cache_.mutable_order(o->client_order_id());
      // The venue's order under a lost send's tag: adopted apart, and found again as such. One
      // the venue rejected too, never adopted, changes nothing: it stays with the rejected order.
      if (Order* adopted = Adopted(r)) return adopted;
      return r.status == OrderStatus::kRejected ? cache_.mutable_order(o->client_order_id())
                                                : nullptr;
    }
  }
  return Adopted(r);
}

Order* Reconciler::Adopt(const OrderStatusReport& r, ReconcileResult& result) {
  const bool ours = Ours(r);
  OrderInitialized init;
  init.trader_id = trader_id_;
  init.strategy_id = ours ? ReconciledStrategy() : ExternalStrategy();
  init.instrument_id = r.instrument_id;
  init.client_order_id = !r.client_order_id.empty() ? r.client_order_id : AdoptedId(r);
  init.event_id = uuids_.Next();
  init.ts_event = r.ts_accepted;
  init.ts_init = clock_.Now();
  init.side = r.side;
  init.order_type = r.order_type;
  init.quantity = r.quantity;
  init.price = r.price;
  init.trigger_price = r.trigger_price;
  init.time_in_force = r.time_in_force;
  init.tags = ours ? "reconciled" : "external";
  init.venue_tag = r.tag;
  // An orphan of a lost send: the tag stays with the rejected order (it names that intent in
  // the journal); the adopted order is found by its venue id and says whose orphan it is.
  const Order* lost = r.tag.empty() ? nullptr : cache_.OrderByTag(r.tag);
  if (lost != nullptr && LostSend(*lost, r)) {
    init.venue_tag.clear();
    init.tags = fmt::format("reconciled; orphan of {} (tag {}), rejected as not found",
                            lost->client_order_id().value(), r.tag);
  }
  auto order = std::make_unique<Order>(init);
  Order* raw = order.get();
  // Ours keep (and advance the counter past) their tag; an external order gets none of ours.
  if (Status s = cache_.AddOrder(std::move(order), {}, /*assign_tag=*/false); !s) {
    result.mismatches.push_back(
        fmt::format("venue order {}: {}", r.venue_order_id.value(), s.error()));
    return nullptr;
  }
  if (ours) {
    ++result.orders_adopted;
    log_.Warning("adopted our order {} (tag {}, venue {}) that the cache lacked",
                 raw->client_order_id().value(), r.tag, r.venue_order_id.value());
  } else {
    ++result.orders_external;
    log_.Warning("external order {} (tag '{}') on {} recorded; no strategy owns it",
                 r.venue_order_id.value(), r.tag, r.instrument_id.value());
  }
  return raw;
}

std::size_t Reconciler::ExplainInferred(const Order& o, const OrderStatusReport& r,
                                        const std::vector<const FillReport*>& unapplied,
                                        ReconcileResult& result) {
  if (unapplied.empty()) return 0;
  static constexpr std::string_view kInferred = "INFERRED-";
  const auto& ids = o.trade_ids();
  if (std::none_of(ids.begin(), ids.end(), [](const TradeId& t) {
        return t.value().rfind(kInferred, 0) == 0;
      })) {
    return 0;
  }
  // What we inferred on this order, at what value, and when (the venue's time of the report
  // it was inferred from).
  Quantity inferred = Quantity::Zero();
  Money inferred_value = Money::Zero();
  Money inferred_charges = Money::Zero();
  UnixNanos inferred_at;
  const Instrument* inst = cache_.instrument(o.instrument_id());
  const std::int64_t multiplier = inst != nullptr ? inst->multiplier : 1;
  for (const OrderFilled& f : cache_.fills()) {
    if (f.client_order_id != o.client_order_id() ||
        f.trade_id.value().rfind(kInferred, 0) != 0) {
      continue;
    }
    inferred = inferred + f.last_qty;
    inferred_value = inferred_value + Money::Notional(f.last_px, f.last_qty, multiplier);
    inferred_charges = inferred_charges + f.commission;
    inferred_at = std::max(inferred_at, f.ts_event);
  }
  if (inferred.is_zero()) return 0;
  // A fill is inferred for the trades the venue had made by its report's time but did not
  // list, so an unapplied trade made by then is one an inferred fill stood for; later ones are
  // new. Taken from the earliest, whole, up to what was inferred: all of them when they fit,
  // else exactly the inferred quantity (a trade made in the same second may be new).
  Quantity early = Quantity::Zero();
  std::size_t candidates = 0;
  while (candidates < unapplied.size() && unapplied[candidates]->ts_event <= inferred_at) {
    early = early + unapplied[candidates++]->last_qty;
  }
  // And whatever the times say, what the venue's filled quantity cannot hold on top of ours
  // cannot be new either (a trade time after its order's last update, from the venue's
  // clocks): at least that much, from the earliest, up to what was inferred.
  Quantity listed = Quantity::Zero();
  for (const FillReport* f : unapplied) listed = listed + f->last_qty;
  const Quantity excess = o.filled_qty() + listed - r.filled_qty;  // saturates at zero
  const Quantity target = std::min(std::max(early, excess), inferred);
  Quantity taken = Quantity::Zero();
  std::size_t n = 0;
  Money value = Money::Zero();
  Money charges = Money::Zero();
  std::string trades;
  while (n < unapplied.size() && taken + unapplied[n]->last_qty <= target) {
    const FillReport& f = *unapplied[n++];
    taken = taken + f.last_qty;
    value = value + Money::Notional(f.last_px, f.last_qty, multiplier);
    charges = charges + (f.commission.raw() != 0 ? f.commission : f.charges.Total());
    trades += fmt::format("{}{} {} @ {}", trades.empty() ? "" : ", ", f.trade_id.value(),
                          f.last_qty.ToString(), f.last_px.ToString());
  }
  if (taken.is_zero() || taken != target) return 0;  // left to the caller's rule
  bool first_time = false;
  for (std::size_t i = 0; i < n; ++i) {
    first_time = engine_.NoteExplainedTrade(o.client_order_id(), unapplied[i]->trade_id) ||
                 first_time;
  }
  // The value the inferred fills booked for this quantity (at their average when only part of
  // them is explained so far).
  const Money booked = taken == inferred ? inferred_value
                                          : inferred_value.MulRatio(taken.raw(), inferred.raw());
  const Money booked_charges =
      taken == inferred ? inferred_charges : inferred_charges.MulRatio(taken.raw(), inferred.raw());
  result.fills_explained += n;
  const std::string said = fmt::format(
      "order {} (venue {}): trades {} listed late are the {} we inferred for it: not applied "
      "again; they are worth {} where the inferred fill booked {}, and their charges come to {} "
      "where it booked {}",
      o.client_order_id().value(), r.venue_order_id.value(), trades, taken.ToString(),
      value.ToString(), booked.ToString(), charges.ToString(), booked_charges.ToString());
  // A warning once per trade in a process (each later report finds them again).
  if (first_time) {
    log_.Warning("{}", said);
  } else {
    log_.Debug("{}", said);
  }
  return n;
}

void Reconciler::Apply(const OrderEvent& e, ReconcileResult& result) {
  ++result.events_generated;
  engine_.Process(e);
}

void Reconciler::ReconcileOrder(const OrderStatusReport& r, const std::vector<FillReport>& fills,
                                ReconcileResult& result) {
  ++result.orders_reported;
  Order* o = Match(r);
  if (o == nullptr) o = Adopt(r, result);
  if (o == nullptr) return;
  const UnixNanos now = clock_.Now();
  const UnixNanos ts = r.ts_last.is_zero() ? now : r.ts_last;
  const OrderStatus st = o->status();
  // 1. Accepted (or Rejected) for an order the venue has and we never heard about.
  if (r.status == OrderStatus::kRejected) {
    if (!o->is_closed()) {
      auto e = VenueEvent<OrderRejected>(*o, r, uuids_.Next(), ts, now);
      e.reason = r.reason.empty() ? "rejected at venue (reconciliation)" : r.reason;
      Apply(e, result);
    }
    return;
  }
  // Only what the venue says: an order it still has as received (SUBMITTED) stays so.
  const bool venue_accepted = r.status != OrderStatus::kSubmitted &&
                              r.status != OrderStatus::kInitialized &&
                              r.status != OrderStatus::kDenied;
  if (venue_accepted && (st == OrderStatus::kInitialized || st == OrderStatus::kSubmitted ||
                         (o->venue_order_id().empty() && (st == OrderStatus::kPendingUpdate ||
                                                          st == OrderStatus::kPendingCancel)))) {
    Apply(VenueEvent<OrderAccepted>(*o, r, uuids_.Next(),
                                    r.ts_accepted.is_zero() ? ts : r.ts_accepted, now),
          result);
  }
  // 2. Changed at the venue while we were away.
  if (!o->is_closed() && (r.quantity != o->quantity() || r.price != o->price() ||
                          r.trigger_price != o->trigger_price())) {
    auto e = VenueEvent<OrderUpdated>(*o, r, uuids_.Next(), ts, now);
    e.quantity = r.quantity;
    e.price = r.price;
    e.trigger_price = r.trigger_price;
    Apply(e, result);
  }
  // 3. Triggered.
  const OrderStatus now_st = o->status();
  if (r.triggered && !o->is_triggered() &&
      (now_st == OrderStatus::kAccepted || now_st == OrderStatus::kPendingUpdate ||
       now_st == OrderStatus::kPendingCancel) &&
      (o->order_type() == OrderType::kStopMarket || o->order_type() == OrderType::kStopLimit)) {
    Apply(VenueEvent<OrderTriggered>(*o, r, uuids_.Next(), ts, now), result);
  }
  // 4. Fills the venue listed that we have not applied, in time order.
  std::vector<const FillReport*> mine;
  for (const FillReport& f : fills) mine.push_back(&f);
  std::sort(mine.begin(), mine.end(), [](const FillReport* a, const FillReport* b) {
    return a->ts_event != b->ts_event ? a->ts_event < b->ts_event : a->trade_id < b->trade_id;
  });
  {
    const auto& applied = o->trade_ids();
    std::erase_if(mine, [&](const FillReport* f) {
      return std::find(applied.begin(), applied.end(), f->trade_id) != applied.end();
    });
  }
  // Listed late: the trades a fill we inferred stood for (ExplainInferred), at the front in
  // time order: never applied again.
  const std::size_t late = ExplainInferred(*o, r, mine, result);
  for (std::size_t i = late; i < mine.size(); ++i) {
    const FillReport* f = mine[i];
    if (o->filled_qty() + f->last_qty > r.filled_qty) {
      // More listed than the venue says filled, beyond what a fill we inferred stood for:
      // never applied; someone must look.
      result.mismatches.push_back(fmt::format(
          "order {} (venue {}): fill {} of {} would pass the venue's filled quantity {} (we "
          "hold {})",
          o->client_order_id().value(), r.venue_order_id.value(), f->trade_id.value(),
          f->last_qty.ToString(), r.filled_qty.ToString(), o->filled_qty().ToString()));
      continue;
    }
    OrderFilled e = MakeFill(RefFor(*o, r), r.account_id, uuids_.Next(), f->ts_event, now,
                             f->trade_id, f->last_qty, f->last_px, f->charges, f->liquidity_side);
    if (f->commission.raw() != 0) e.commission = f->commission;  // the venue's total wins
    Apply(e, result);
  }
  // 5. Cumulative quantity: the venue is ahead of its listed fills (trades lag) → one inferred
  //    fill; behind what we applied → a mismatch, never "unfilled" by us.
  if (r.filled_qty > o->filled_qty()) {
    const Quantity delta = r.filled_qty - o->filled_qty();
    if (!r.avg_px || r.avg_px->raw() <= 0) {
      result.mismatches.push_back(fmt::format(
          "order {} (venue {}): venue filled {} but lists only {} and gives no average price",
          o->client_order_id().value(), r.venue_order_id.value(), r.filled_qty.ToString(),
          o->filled_qty().ToString()));
      return;
    }
    Price px = *r.avg_px;
    if (o->avg_px() && !o->filled_qty().is_zero()) {
      // The price that makes our average equal the venue's, on the instrument's precision;
      // the venue's rounded average can make it implausible: then its average as it is.
      const Int128 total = static_cast<Int128>(r.avg_px->raw()) * r.filled_qty.raw();
      const Int128 ours = static_cast<Int128>(o->avg_px()->raw()) * o->filled_qty().raw();
      const Instrument* inst = cache_.instrument(o->instrument_id());
      const int prec = inst != nullptr ? inst->price_precision : r.avg_px->precision();
      const std::int64_t raw =
          RoundRaw(static_cast<std::int64_t>(DivRound(total - ours, delta.raw())), prec);
      if (raw > 0) px = Price::Raw(raw, prec);
    }
    // The venue's charges for it (its schedule, by its client), so the P&L leaves none out.
    const ChargeBreakdown charges =
        client_ != nullptr ? client_->InferredFillCharges(*o, delta, px, ts) : ChargeBreakdown{};
    const OrderFilled e = MakeFill(
        RefFor(*o, r), r.account_id, uuids_.Next(), ts, now,
        TradeId(fmt::format("INFERRED-{}-{}", r.venue_order_id.value(), o->trade_ids().size() + 1)),
        delta, px, charges, LiquiditySide::kTaker);
    ++result.fills_inferred;
    log_.Warning("order {}: venue filled {} but listed fills explain {}; inferred fill {} @ {}, "
                 "charges {}",
                 o->client_order_id().value(), r.filled_qty.ToString(), o->filled_qty().ToString(),
                 delta.ToString(), px.ToString(), e.commission.ToString());
    Apply(e, result);
  } else if (r.filled_qty < o->filled_qty()) {
    result.mismatches.push_back(fmt::format(
        "order {} (venue {}): venue reports {} filled, we applied {}", o->client_order_id().value(),
        r.venue_order_id.value(), r.filled_qty.ToString(), o->filled_qty().ToString()));
    return;
  }
  // 6. The terminal event, after the fills.
  if (!o->is_closed()) {
    if (r.status == OrderStatus::kCanceled) {
      Apply(VenueEvent<OrderCanceled>(*o, r, uuids_.Next(), ts, now), result);
    } else if (r.status == OrderStatus::kExpired) {
      Apply(VenueEvent<OrderExpired>(*o, r, uuids_.Next(), ts, now), result);
    }
  }
  // 7. Whatever the order refused on the way (a fill after it ended here), it must now agree.
  if (o->filled_qty() != r.filled_qty) {
    result.mismatches.push_back(
        fmt::format("order {} (venue {}): {} filled here after reconciliation, {} at the venue",
                    o->client_order_id().value(), r.venue_order_id.value(),
                    o->filled_qty().ToString(), r.filled_qty.ToString()));
  }
}

ReconcileResult Reconciler::Reconcile(const ExecutionMassStatus& ms, bool complete) {
  ReconcileResult result;
  std::map<InstrumentId, ClientOrderId> unresolved;
  std::map<VenueOrderId, std::vector<FillReport>> fills_by_order;
  for (const FillReport& f : ms.fills) fills_by_order[f.venue_order_id].push_back(f);
  std::set<ClientOrderId> reported;
  for (const OrderStatusReport& r : ms.orders) {
    auto it = fills_by_order.find(r.venue_order_id);
    static const std::vector<FillReport> kNone;
    ReconcileOrder(r, it == fills_by_order.end() ? kNone : it->second, result);
    if (const Order* o = Match(r)) reported.insert(o->client_order_id());
  }
  if (complete && ms.orders_complete) {
    OrderQuery q;
    q.venue = ms.venue;
    std::vector<const Order*> live = cache_.OrdersOpen(q);
    for (const Order* o : cache_.OrdersInflight(q)) {
      if (std::find(live.begin(), live.end(), o) == live.end()) live.push_back(o);
    }
    std::vector<const Order*> previous_day;
    for (const Order* o : live) {
      if (reported.count(o->client_order_id())) continue;
      if (!ms.day_start.is_zero() && o->ts_init() < ms.day_start) {
        previous_day.push_back(o);
        continue;
      }
      if (o->venue_order_id().empty() &&
          (o->status() == OrderStatus::kSubmitted || o->status() == OrderStatus::kPendingCancel ||
           o->status() == OrderStatus::kPendingUpdate)) {
        // Sent (or about to be) by an earlier process and never acknowledged (a cancel or
        // modify may have followed it, held until its id came): it may still be travelling. Not a
        // mismatch, not guessed either: the in-flight check asks the venue (a broker client looks
        // it up by its tag within its ambiguity window, then adopts it or rejects it as never
        // received).
        ++result.orders_unresolved;
        unresolved.emplace(o->instrument_id(), o->client_order_id());
        log_.Warning(
            "order {} was sent and never acknowledged, and venue {} does not list it "
            "yet: left {} for the in-flight check",
            o->client_order_id().value(), ms.venue.value(), ToString(o->status()));
        continue;
      }
      result.mismatches.push_back(fmt::format("order {} is {} here but absent at venue {}",
                                              o->client_order_id().value(), ToString(o->status()),
                                              ms.venue.value()));
    }
    ExpirePreviousDay(ms, previous_day, result);
  }
  if (ms.positions_reported) CheckPositions(ms, result, unresolved);
  for (const std::string& m : result.mismatches) log_.Error("{}", m);
  return result;
}

void Reconciler::ExpirePreviousDay(const ExecutionMassStatus& ms,
                                   const std::vector<const Order*>& orders,
                                   ReconcileResult& result) {
  if (orders.empty()) return;
  // The venue's day ended them all, sent and never acknowledged or not (LIVE.md §8); any fill
  // one had after we last heard shows in the position check. Their contingencies stay still
  // meanwhile: an OCO peer's cancel would go to a venue that no longer has it.
  {
    const ExecutionEngine::ContingenciesSuspended suspended(engine_);
    for (const Order* o : orders) {
      const std::string_view was = ToString(o->status());
      Apply(MakeVenueEvent<OrderExpired>(RefOf(*o), ms.account_id, uuids_.Next(), ms.day_start,
                                         clock_.Now()),
            result);
      ++result.orders_expired;
      log_.Warning("order {} was {} from a previous day and venue {}'s day does not list it: "
                   "expired with its day",
                   o->client_order_id().value(), was, ms.venue.value());
    }
  }
  // An OTO child its expired parent still held was never sent: cancelled locally, as the
  // engine cancels it when a parent ends unfilled.
  for (const Order* parent : orders) {
    if (parent->contingency() != ContingencyType::kOto) continue;
    for (const ClientOrderId& id : parent->linked_order_ids()) {
      const Order* child = cache_.order(id);
      if (child == nullptr || child->status() != OrderStatus::kInitialized ||
          child->parent_order_id() != parent->client_order_id()) {
        continue;
      }
      ++result.events_generated;
      engine_.CancelPeer(*child);
      log_.Warning("OTO child {} of {} (expired with its day) was never sent: cancelled",
                   child->client_order_id().value(), parent->client_order_id().value());
    }
  }
}

void Reconciler::CheckPositions(const ExecutionMassStatus& ms, ReconcileResult& result,
                                const std::map<InstrumentId, ClientOrderId>& unresolved) {
  std::map<InstrumentId, std::int64_t> venue;
  std::map<InstrumentId, std::int64_t> ours;
  for (const PositionStatusReport& p : ms.positions) {
    if (p.instrument_id.venue() != ms.venue) continue;  // another venue's client compares it
    venue[p.instrument_id] += p.signed_qty_raw();
  }
  OrderQuery q;
  q.venue = ms.venue;
  for (const Position* p : cache_.PositionsOpen(q)) ours[p->instrument_id()] += p->signed_qty_raw();
  std::set<InstrumentId> all;
  for (const auto& [id, n] : venue) all.insert(id);
  for (const auto& [id, n] : ours) all.insert(id);
  for (const InstrumentId& id : all) {
    const std::int64_t v = venue.count(id) ? venue[id] : 0;
    const std::int64_t k = ours.count(id) ? ours[id] : 0;
    if (v == k) continue;
    if (auto u = unresolved.find(id); u != unresolved.end()) {
      log_.Warning(
          "position {}: venue {}, ours {}, not compared now: order {} on it is left to "
          "the in-flight check",
          id.value(), Quantity::Raw(v < 0 ? -v : v, 0).ToString(),
          Quantity::Raw(k < 0 ? -k : k, 0).ToString(), u->second.value());
      continue;
    }
    auto signed_qty = [](std::int64_t raw) {
      return fmt::format("{}{}", raw < 0 ? "-" : (raw > 0 ? "+" : ""),
                         Quantity::Raw(raw < 0 ? -raw : raw, 0).ToString());
    };
    result.mismatches.push_back(
        fmt::format("position {}: venue {}, ours {}", id.value(), signed_qty(v), signed_qty(k)));
  }
}

}  // namespace nacre
