#include "venue/simulated_exchange.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "core/fixed.h"
#include "pricing/black.h"

namespace nacre {

namespace {

bool IsStop(OrderType t) { return t == OrderType::kStopMarket || t == OrderType::kStopLimit; }
bool IsMarketLike(OrderType t) { return t == OrderType::kMarket || t == OrderType::kStopMarket; }

// The ids a modify or cancel carries (answers to an order this exchange never received).
template <typename C>
OrderRef RefOfCommand(const C& cmd) {
  OrderRef r;
  r.trader_id = cmd.trader_id;
  r.strategy_id = cmd.strategy_id;
  r.instrument_id = cmd.instrument_id;
  r.client_order_id = cmd.client_order_id;
  r.venue_order_id = cmd.venue_order_id;
  return r;
}

}  // namespace

const char* VenueRuleName(VenueRule rule) {
  switch (rule) {
    case VenueRule::kUnknownInstrument: return "unknown instrument";
    case VenueRule::kNotTradable: return "not tradable";
    case VenueRule::kExpired: return "expired";
    case VenueRule::kMarketClosed: return "market closed";
    case VenueRule::kNoChargeSchedule: return "no charge schedule";
    case VenueRule::kLotSize: return "lot size";
    case VenueRule::kFreezeQuantity: return "freeze quantity";
    case VenueRule::kTickSize: return "tick size";
    case VenueRule::kGtdPassed: return "GTD passed";
    case VenueRule::kMarketProtection: return "market protection";
    case VenueRule::kLpp: return "LPP band";
    case VenueRule::kMargin: return "margin";
    case VenueRule::kMarginUnpriced: return "margin unpriced";
    case VenueRule::kNotOpen: return "not open";
    case VenueRule::kQuantityNotAboveFilled: return "quantity not above filled";
  }
  return "?";
}

SimulatedExchangeConfig SimulatedExchangeConfig::Simple(const SimulatedVenueConfig& venue) {
  SimulatedExchangeConfig c;
  c.venue = venue.venue;
  c.account_id = venue.account_id;
  c.fill.bar_fill = venue.bar_fill;
  c.fill.use_displayed_size = false;
  c.charges = false;
  c.require_market_protection = false;
  c.lpp = false;
  c.margin_check = false;
  c.expire_day_orders = false;
  return c;
}

std::optional<Price> VenueOrder::avg_px(int precision) const {
  if (filled.raw() <= 0) return std::nullopt;
  return Price::Raw(static_cast<std::int64_t>(DivRound(filled_value, filled.raw())), precision);
}

SimulatedExchange::SimulatedExchange(const SimulatedExchangeConfig& config)
    : MatchingVenue(ClientId(config.venue.value()), config.venue, config.account_id),
      config_(config),
      schedule_(config.schedule ? config.schedule
                                : std::make_shared<const ChargeSchedule>(
                                      ChargeSchedule::ZerodhaIndexOptions())),
      rng_(config.fill.seed),
      cash_(config.starting_balance) {
  charges_.emplace(*schedule_);
  margin_config_ = MarginBookConfig{config_.margin, config_.margin_default_vol,
                                    config_.underlying_vol};
}

void SimulatedExchange::AddInstrument(const Instrument& instrument) {
  instruments_.insert_or_assign(instrument.id, instrument);
  if (MatchingCore* core = markets_.find(instrument.id)) {
    core->SetInstrument(instrument.tick_size, instrument.price_precision);
  }
}

const Instrument* SimulatedExchange::FindInstrument(const InstrumentId& id) const {
  auto it = instruments_.find(id);
  return it == instruments_.end() ? nullptr : &it->second;
}

std::optional<Price> SimulatedExchange::Mark(const InstrumentId& id) const {
  const MatchingCore* core = markets_.find(id);
  return core == nullptr ? std::nullopt : core->Mark();
}

MatchingCore* SimulatedExchange::CoreOf(const InstrumentId& id) { return markets_.find(id); }

MatchingCore& SimulatedExchange::MarketOfSlow(const InstrumentId& id) {
  MatchingCore* core = markets_.find(id);
  if (core == nullptr) {
    // The instrument's tick and price precision (an index without a definition: marks only).
    const Instrument* inst = FindInstrument(id);
    core = markets_
               .try_emplace(id, config_.fill, inst != nullptr ? inst->tick_size : Price::Raw(0, 2),
                            inst != nullptr ? inst->price_precision : 2)
               .first;
  }
  last_market_id_ = id;
  last_market_ = core;
  return *core;
}

const VenueOrder* SimulatedExchange::order(const ClientOrderId& id) const {
  return orders_.find(id);
}

// ---- commands and the latency inbox ----

void SimulatedExchange::Enqueue(Pending p) {
  // After every command due at or before p.due: (due, arrival order).
  // Commands mostly arrive in due order: the common case appends.
  auto first = inbox_.begin() + static_cast<std::ptrdiff_t>(inbox_head_);
  auto it = inbox_.empty() || inbox_.back().due <= p.due
                ? inbox_.end()
                : std::upper_bound(first, inbox_.end(), p.due,
                                   [](UnixNanos due, const Pending& q) { return due < q.due; });
  const UnixNanos due = p.due;
  inbox_.insert(it, std::move(p));
  WakeAt(due);
}

void SimulatedExchange::HousekeepingSlow(UnixNanos now) {
  RollDay(now);
  ExpireOrders();
}

// A new IST day: the previous day's closed orders and fills leave the ledger (the day's
// orderbook and tradebook, as Kite's), positions carry over as overnight quantity.
void SimulatedExchange::RollDay(UnixNanos now) {
  if (day_ && now < next_day_start_) return;  // the same IST day: no calendar arithmetic
  const CivilDate today = IstDate(now);
  // The next IST midnight (IST is UTC+05:30 all year).
  next_day_start_ = UnixNanos((IstDayNumber(now) + 1) * kNanosPerDay - kIstOffset);
  if (day_ && *day_ == today) return;
  const bool first = !day_;
  day_ = today;
  if (first) return;
  orders_.erase_if([](const ClientOrderId&, const VenueOrder& o) { return o.is_closed(); });
  day_fills_.clear();
  day_charges_.clear();
  for (auto& [id, p] : positions_) p.overnight_raw = p.net_raw;
  std::erase_if(positions_, [](const auto& kv) { return kv.second.net_raw == 0; });
}

void SimulatedExchange::SubmitOrder(const nacre::SubmitOrder& /*cmd*/, const Order& order) {
  // What goes on the wire: the order as sent; the exchange never looks at the kernel's again.
  // A second submit of an id already sent is the same order twice: not sent again.
  if (orders_.contains(order.client_order_id())) return;
  auto [it, fresh] = in_flight_.try_emplace(order.client_order_id());
  if (!fresh) return;
  VenueOrder& sent = it->second;
  sent = SentOf(order);
  GenerateOrderSubmitted(sent.ref, Now());
  Pending p{Pending::Kind::kSubmit, Now() + config_.latency.submit, next_cmd_++, {}, {}, {}, {}};
  p.ref.client_order_id = order.client_order_id();
  Enqueue(std::move(p));
}

VenueOrder SimulatedExchange::SentOf(const Order& order) {
  VenueOrder sent;
  sent.ref = RefOf(order);
  sent.ref.venue_order_id = VenueOrderId();
  sent.tif = order.time_in_force();
  sent.quantity = order.quantity();
  sent.filled = Quantity::Zero(order.quantity().precision());
  sent.price = order.price();
  sent.trigger = order.trigger_price();
  sent.expire_time = order.expire_time();
  sent.protection_raw = order.market_protection_pct_raw();
  sent.tag = order.venue_tag();
  return sent;
}

std::optional<VenueRefusal> SimulatedExchange::Precheck(const Order& order, UnixNanos at) {
  const VenueOrder sent = SentOf(order);
  if (auto refused = CheckRules(sent, FindInstrument(sent.instrument_id()), at)) return refused;
  return CheckMargin(sent, {}, {}, {}, /*flush=*/false);
}

std::optional<VenueRefusal> SimulatedExchange::PrecheckModify(const ClientOrderId& id,
                                                              std::optional<Quantity> quantity,
                                                              std::optional<Price> price,
                                                              std::optional<Price> trigger) {
  const VenueOrder* o = orders_.find(id);
  if (o == nullptr || !o->resting_seq) {
    return VenueRefusal{VenueRule::kNotOpen, "order not open at venue", {}, {}};
  }
  return CheckModify(*o, quantity.value_or(o->quantity), price, trigger, /*flush=*/false);
}

void SimulatedExchange::ModifyOrder(const nacre::ModifyOrder& cmd, const Order& /*order*/) {
  Enqueue(Pending{Pending::Kind::kModify, Now() + config_.latency.modify, next_cmd_++,
                  RefOfCommand(cmd), cmd.quantity, cmd.price, cmd.trigger_price});
}

void SimulatedExchange::CancelOrder(const nacre::CancelOrder& cmd, const Order& /*order*/) {
  // With no latency the cancel stops matching at once (an OCO peer's fill must not let both
  // legs fill on one update); with latency the order stays live until the cancel arrives.
  // (An order still in flight is not at the venue: the cancel will find nothing there, and
  // the order, arriving after it, rests normally.)
  if (config_.latency.cancel == 0) {
    if (VenueOrder* o = orders_.find(cmd.client_order_id)) o->cancel_requested = true;
  }
  Enqueue(Pending{Pending::Kind::kCancel, Now() + config_.latency.cancel, next_cmd_++,
                  RefOfCommand(cmd), {}, {}, {}});
}

// An order the exchange never received gets no answer (as Kite's 404 says nothing about an
// order still in flight): the kernel's in-flight check keeps it unresolved, never guessed.
void SimulatedExchange::QueryOrder(const nacre::QueryOrder& cmd, const Order& /*order*/) {
  const VenueOrder* o = orders_.find(cmd.client_order_id);
  if (o == nullptr) return;
  EmitReport(ReportOf(*o), FillsOf(cmd.client_order_id));
}

std::size_t SimulatedExchange::ProcessCommands() {
  const std::size_t before = next_cmd_ - pending_count();
  Housekeeping();  // a new day and expiries first: nothing of the new day is wiped by the roll
  ProcessDue(Now());
  FlushMargins();
  return (next_cmd_ - pending_count()) - before;
}

void SimulatedExchange::ProcessDueSlow(UnixNanos until) {
  while (inbox_head_ < inbox_.size() && inbox_[inbox_head_].due <= until) {
    const Pending p = std::move(inbox_[inbox_head_]);
    ++inbox_head_;
    if (inbox_head_ == inbox_.size()) {  // drained: reuse the storage from the start
      inbox_.clear();
      inbox_head_ = 0;
    }
    Handle(p);
  }
}

void SimulatedExchange::Handle(const Pending& p) {
  switch (p.kind) {
    case Pending::Kind::kSubmit:
      // A client order id the exchange already holds is the same order sent twice: ignored
      // (answering it would speak about the live order as if it were new).
      if (auto sent = in_flight_.find(p.ref.client_order_id); sent != in_flight_.end()) {
        VenueOrder& order =
            *orders_.try_emplace(p.ref.client_order_id, std::move(sent->second)).first;
        in_flight_.erase(sent);
        Arrive(order, p.due);
      }
      return;
    case Pending::Kind::kModify:
      HandleModify(p);
      return;
    case Pending::Kind::kCancel: {
      const ClientOrderId& id = p.ref.client_order_id;
      VenueOrder* o = orders_.find(id);
      if (o != nullptr) o->cancel_requested = false;
      if (o == nullptr || !o->resting_seq) {
        GenerateOrderCancelRejected(o != nullptr ? o->ref : p.ref, "order not open at venue",
                                    p.due);
        return;
      }
      Remove(id);
      Cancel(*o, p.due);
      return;
    }
  }
}

void SimulatedExchange::HandleModify(const Pending& p) {
  const ModifyRequest asked{p.quantity, p.price, p.trigger};
  VenueOrder* found = orders_.find(p.ref.client_order_id);
  if (found == nullptr || !found->resting_seq) {
    GenerateOrderModifyRejected(found != nullptr ? found->ref : p.ref, "order not open at venue",
                                p.due, asked);
    return;
  }
  VenueOrder& order = *found;
  const Quantity qty = p.quantity.value_or(order.quantity);
  if (auto refused = CheckModify(order, qty, p.price, p.trigger, /*flush=*/true)) {
    GenerateOrderModifyRejected(order.ref, refused->message, p.due, asked);
    return;
  }
  order.quantity = qty;
  if (p.price) order.price = p.price;
  if (p.trigger) order.trigger = p.trigger;
  order.ts_last = p.due;
  GenerateOrderUpdated(order.ref, qty, order.price, order.trigger, p.due);
  MarginChanged(order);
  // A modify that makes the order marketable takes the book as an arriving order does.
  Resting& r = resting_.at(*order.resting_seq);
  r.restored = false;  // modified since a restore: data seen again meets it (SeeMarket)
  if (Execute(r, /*arriving=*/true)) {
    Remove(order.client_order_id());
    return;
  }
  if (config_.fill.queue_position && p.price) {
    // A new price goes to the back of the queue there.
    r.match.queue_ahead.reset();
    if (MatchingCore* core = CoreOf(order.instrument_id())) core->UpdateQueue(ViewOf(order), r.match);
  }
}

std::optional<VenueRefusal> SimulatedExchange::CheckModify(const VenueOrder& order, Quantity qty,
                                                           std::optional<Price> price,
                                                           std::optional<Price> trigger,
                                                           bool flush) {
  auto refuse = [](VenueRule rule, std::string message) {
    return VenueRefusal{rule, std::move(message), {}, {}};
  };
  if (qty <= order.filled) {
    return refuse(VenueRule::kQuantityNotAboveFilled,
                  fmt::format("quantity {} not above filled {}", qty.ToString(),
                              order.filled.ToString()));
  }
  const Instrument* inst = InstrumentOf(order);
  if (inst != nullptr) {
    if (!inst->IsLotMultiple(qty)) {
      return refuse(VenueRule::kLotSize,
                    fmt::format("quantity {} is not a multiple of the lot size {}",
                                qty.ToString(), inst->lot_size.ToString()));
    }
    if (inst->freeze_quantity && qty > *inst->freeze_quantity) {
      return refuse(VenueRule::kFreezeQuantity,
                    fmt::format("quantity {} exceeds the freeze quantity {}", qty.ToString(),
                                inst->freeze_quantity->ToString()));
    }
    if (price && !inst->OnTickGrid(*price)) {
      return refuse(VenueRule::kTickSize,
                    fmt::format("price {} is not on the tick grid {}", price->ToString(),
                                inst->tick_size.ToString()));
    }
    if (order.order_type() == OrderType::kLimit) {
      if (std::string why = CheckLpp(order, *inst, price); !why.empty()) {
        return refuse(VenueRule::kLpp, std::move(why));
      }
    }
  }
  // A market-like order that rests works at its protection limit (a triggered stop-market's,
  // or a protected market order's): its margin is priced there, as in the resting book.
  std::optional<Price> margin_price = price;
  if (const Resting& rr = resting_.at(*order.resting_seq);
      !margin_price && rr.match.protection_limit) {
    margin_price = rr.match.protection_limit;
  }
  return CheckMargin(order, Quantity::Raw(qty.raw() - order.filled.raw(), qty.precision()),
                     margin_price, trigger, flush);
}

const Instrument* SimulatedExchange::InstrumentOf(const VenueOrder& order) const {
  if (order.instrument == nullptr) order.instrument = FindInstrument(order.instrument_id());
  return order.instrument;
}

std::optional<VenueRefusal> SimulatedExchange::CheckRules(const VenueOrder& order,
                                                          const Instrument* inst,
                                                          UnixNanos at) const {
  auto refuse = [](VenueRule rule, std::string message) {
    return VenueRefusal{rule, std::move(message), {}, {}};
  };
  if (inst == nullptr) {
    return refuse(VenueRule::kUnknownInstrument,
                  fmt::format("unknown instrument {}", order.instrument_id().value()));
  }
  if (!inst->is_tradable()) {
    return refuse(VenueRule::kNotTradable, fmt::format("{} is not tradable", inst->id.value()));
  }
  if (inst->IsExpired(at)) {
    return refuse(VenueRule::kExpired, fmt::format("instrument {} expired at {}", inst->id.value(),
                                                   FormatIst(inst->expiration)));
  }
  if (config_.hours != nullptr) {
    const std::string why = config_.hours->ClosedReason(*inst, at);
    if (!why.empty()) return refuse(VenueRule::kMarketClosed, fmt::format("market closed: {}", why));
  }
  if (config_.charges && inst->instrument_class == InstrumentClass::kFuture) {
    return refuse(VenueRule::kNoChargeSchedule,
                  "no charge schedule for futures (NSE_FNO.md gives index options only); turn "
                  "charges off to trade futures");
  }
  if (!inst->IsLotMultiple(order.quantity)) {
    return refuse(VenueRule::kLotSize,
                  fmt::format("quantity {} is not a multiple of the lot size {}",
                              order.quantity.ToString(), inst->lot_size.ToString()));
  }
  if (inst->freeze_quantity && order.quantity > *inst->freeze_quantity) {
    return refuse(VenueRule::kFreezeQuantity,
                  fmt::format("quantity {} exceeds the freeze quantity {}",
                              order.quantity.ToString(), inst->freeze_quantity->ToString()));
  }
  for (const std::optional<Price>& px : {order.price, order.trigger_price()}) {
    if (px && !inst->OnTickGrid(*px)) {
      return refuse(VenueRule::kTickSize, fmt::format("price {} is not on the tick grid {}",
                                                      px->ToString(), inst->tick_size.ToString()));
    }
  }
  if (order.time_in_force() == TimeInForce::kGtd && order.expire_time <= at) {
    return refuse(VenueRule::kGtdPassed, fmt::format("GTD expire time {} already passed",
                                                     FormatIst(order.expire_time)));
  }
  if (config_.require_market_protection && IsMarketLike(order.order_type()) &&
      order.protection_raw == 0 && config_.market_protection_pct_raw == 0 &&
      at >= FromIst(2026, 4, 1, 0, 0)) {
    return refuse(VenueRule::kMarketProtection,
                  "market orders without market protection are not allowed (SEBI rules from "
                  "2026-04-01): set market_protection");
  }
  if (order.order_type() == OrderType::kLimit) {
    if (std::string why = CheckLpp(order, *inst, order.price); !why.empty()) {
      return refuse(VenueRule::kLpp, std::move(why));
    }
  }
  return std::nullopt;
}

std::string SimulatedExchange::CheckLpp(const VenueOrder& order, const Instrument& inst,
                                        std::optional<Price> price) const {
  if (!config_.lpp || !price) return {};
  const MatchingCore* core = markets_.find(order.instrument_id());
  if (core == nullptr) return {};
  const std::optional<Price> ref = core->LppReference();
  if (!ref) return {};
  const std::int64_t r = ref->raw();
  std::int64_t band = 0;
  if (inst.instrument_class == InstrumentClass::kOption) {
    band = r <= 50 * kFixedScale ? 20 * kFixedScale
                                 : static_cast<std::int64_t>(static_cast<Int128>(r) * 40 / 100);
  } else if (inst.instrument_class == InstrumentClass::kFuture) {
    band = r <= 10'000 * kFixedScale ? 200 * kFixedScale
                                     : static_cast<std::int64_t>(static_cast<Int128>(r) * 2 / 100);
  } else {
    return {};
  }
  const bool buy = order.is_buy();
  const std::int64_t limit = buy ? r + band : std::max<std::int64_t>(r - band, 0);
  if (buy ? price->raw() <= limit : price->raw() >= limit) return {};
  return fmt::format("order price {} is beyond the LPP limit {} ({} band around the reference {})",
                     price->ToString(), Price::Raw(limit, ref->precision()).ToString(),
                     buy ? "high" : "low", ref->ToString());
}

void SimulatedExchange::Arrive(VenueOrder& order, UnixNanos at) {
  order.ts_last = at;
  const Instrument* inst = InstrumentOf(order);
  std::optional<VenueRefusal> refused = CheckRules(order, inst, at);
  if (!refused) refused = CheckMargin(order);
  if (refused) {
    Reject(order, refused->message, at);
    return;
  }
  order.status = OrderStatus::kAccepted;
  order.ref.venue_order_id = NextVenueOrderId();
  order.ts_accepted = at;
  GenerateOrderAccepted(order.ref, order.ref.venue_order_id, at);
  Rest(order, at, std::nullopt);
  Resting& r = resting_.at(*order.resting_seq);
  if (IsStop(order.order_type())) {
    if (!CheckTrigger(r, std::nullopt)) {
      if (order.time_in_force() == TimeInForce::kIoc) {
        Remove(order.client_order_id());
        Cancel(order, at);
      }
      return;
    }
    if (order.is_closed()) {  // rejected at trigger (LPP)
      Remove(order.client_order_id());
      return;
    }
  }
  if (Execute(r, true)) {
    Remove(order.client_order_id());
    return;
  }
  if (order.time_in_force() == TimeInForce::kIoc && !order.is_closed()) {
    Remove(order.client_order_id());
    Cancel(order, at);
    return;
  }
  if (config_.fill.queue_position) {
    if (MatchingCore* core = CoreOf(order.instrument_id())) core->UpdateQueue(ViewOf(order), r.match);
  }
}

void SimulatedExchange::Rest(VenueOrder& order, UnixNanos since, std::optional<Price> limit) {
  const std::uint64_t seq = next_seq_++;
  std::optional<UnixNanos> expires;
  if (order.time_in_force() == TimeInForce::kDay && config_.expire_day_orders) {
    // The close of the session the order was accepted in (a special or shortened day's own).
    const Instrument* inst = InstrumentOf(order);
    if (config_.hours != nullptr && inst != nullptr)
      expires = config_.hours->DayClose(*inst, since);
    if (!expires) {
      const CivilDate d = IstDate(since);
      expires = FromIst(d.year, d.month, d.day, config_.close_hour_ist, config_.close_minute_ist);
    }
  } else if (order.time_in_force() == TimeInForce::kGtd) {
    expires = order.expire_time;
  }
  // An order in an expiring contract goes with it at the latest.
  if (const Instrument* inst = InstrumentOf(order); inst != nullptr && inst->has_expiry()) {
    if (!expires || inst->expiration < *expires) expires = inst->expiration;
  }
  if (expires && *expires < next_expiry_) next_expiry_ = *expires;
  resting_.emplace(seq, Resting{&order, since, expires, MatchState{limit, std::nullopt}});
  order.resting_seq = seq;
  MarginChanged(order);
}

void SimulatedExchange::Remove(const ClientOrderId& id) {
  VenueOrder* o = orders_.find(id);
  if (o == nullptr || !o->resting_seq) return;
  MarginChanged(*o);
  resting_.erase(*o->resting_seq);
  o->resting_seq.reset();
}

// ---- matching ----

bool SimulatedExchange::Touch() {
  const double p = config_.fill.limit_touch_probability;
  if (p >= 1.0) return true;
  if (p <= 0.0) return false;
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < p;
}

MatchOrder SimulatedExchange::ViewOf(const VenueOrder& o) const {
  MatchOrder m;
  m.side = o.side();
  m.type = o.order_type();
  m.tif = o.tif;
  m.leaves_raw = o.leaves_qty().raw();
  m.price = o.price;
  m.trigger = o.trigger;
  m.triggered = o.triggered;
  m.protection_raw = o.protection_raw != 0 ? o.protection_raw : config_.market_protection_pct_raw;
  return m;
}

bool SimulatedExchange::Apply(VenueOrder& o, const Execution& e) {
  Fill(o, e.px, Quantity::Raw(e.qty_raw, o.quantity.precision()), e.liquidity);
  return o.leaves_qty().raw() == 0;
}

bool SimulatedExchange::CheckTrigger(Resting& r, std::optional<Price> last) {
  if (r.order->triggered) return true;
  MatchingCore* core = CoreOf(r.order->instrument_id());
  if (core == nullptr) return false;
  const std::optional<Price> px = core->TriggerPrice(ViewOf(*r.order), last);
  if (!px) return false;
  Triggered(r, *px);
  return true;
}

void SimulatedExchange::Triggered(Resting& r, Price market) {
  VenueOrder& o = *r.order;
  o.triggered = true;
  if (o.status == OrderStatus::kAccepted) o.status = OrderStatus::kTriggered;
  o.ts_last = Now();
  if (o.order_type() == OrderType::kStopMarket && !r.match.protection_limit) {
    const MatchOrder view = ViewOf(o);
    r.match.protection_limit = MarketOf(o.instrument_id())
                                   .ProtectionLimit(view.buy(),
                                                    config_.stop_protection ==
                                                            StopProtectionReference::kTrigger
                                                        ? *o.trigger
                                                        : market,
                                                    view.protection_raw);
  }
  GenerateOrderTriggered(o.ref, Now());
  MarginChanged(o);  // a protected stop-market's margin is now priced at its limit
  // NSE applies limit price protection to a stop-limit when it is released into the book:
  // a limit beyond the band then is rejected (the callers drop the closed order).
  if (o.order_type() == OrderType::kStopLimit) {
    if (const Instrument* inst = InstrumentOf(o)) {
      if (const std::string why = CheckLpp(o, *inst, o.price); !why.empty()) {
        Reject(o, why + " (at trigger)", Now());
      }
    }
  }
}

// The order takes the book (the core decides; the ledger books each execution).
bool SimulatedExchange::Execute(Resting& r, bool arriving) {
  VenueOrder& o = *r.order;
  if (IsStop(o.order_type()) && !o.triggered) return false;
  MatchingCore* core = CoreOf(o.instrument_id());
  if (InstrumentOf(o) == nullptr || core == nullptr) return false;
  const MatchingCore::Take take = core->TakeBook(ViewOf(o), r.match, arriving);
  for (const Execution& e : take.fills) Apply(o, e);
  if (take.cancel_rest) Cancel(o, Now());
  return take.done;
}

bool SimulatedExchange::MatchBar(Resting& r, const Bar& b) {
  VenueOrder& o = *r.order;
  MatchingCore& core = MarketOf(o.instrument_id());
  const MatchingCore::Touch touch = [this] { return Touch(); };
  std::optional<Execution> e;
  if (IsStop(o.order_type()) && !o.triggered) {
    const std::optional<Price> at = core.BarTrigger(ViewOf(o), b);
    if (!at) return false;
    Triggered(r, *at);
    if (o.is_closed()) return true;  // rejected at trigger (LPP)
    e = core.AfterBarTrigger(ViewOf(o), r.match, b, *at, touch);
  } else {
    e = core.OnBarResting(ViewOf(o), r.match, b, touch);
  }
  return e && Apply(o, *e);
}

bool SimulatedExchange::MatchTrade(Resting& r, const TradeTick& t, std::int64_t& left) {
  VenueOrder& o = *r.order;
  const std::optional<Execution> e =
      MarketOf(o.instrument_id())
          .AtTrade(ViewOf(o), r.match, t.price, left, [this] { return Touch(); });
  if (!e) return false;
  left -= e->qty_raw;
  return Apply(o, *e);
}

// ---- market data ----

void SimulatedExchange::OnQuote(const QuoteTick& quote) {
  Housekeeping();  // the day roll and expiries before anything of this time is matched
  ProcessDue(quote.ts_event);
  MatchingCore& core = MarketOf(quote.instrument_id);
  core.OnQuote(quote.bid_price, quote.ask_price, quote.bid_size, quote.ask_size);
  if (seeing_) {
    // Seen again after a restore: what the fills since its time took from it before the save is
    // gone (a buy at or above its ask, a sell at or below its bid; a fill at a better price met
    // an earlier quote or a trade print, and took nothing from this one).
    core.Consume(true, TakenBeforeTheSave(quote.instrument_id, quote.ts_event, true,
                                          quote.ask_price));
    core.Consume(false, TakenBeforeTheSave(quote.instrument_id, quote.ts_event, false,
                                           quote.bid_price));
  }
  std::vector<ClientOrderId> done;
  for (auto& [seq, r] : resting_) {
    VenueOrder& o = *r.order;
    if (o.instrument_id() != quote.instrument_id || o.is_closed() ||
        o.cancel_requested || quote.ts_event < r.since || (seeing_ && r.restored)) {
      continue;
    }
    if (IsStop(o.order_type()) && !o.triggered) {
      // Triggered by this quote: it enters the book now and takes it like an arriving order.
      if (!CheckTrigger(r, std::nullopt)) continue;
      if (o.is_closed() || Execute(r, false)) done.push_back(o.client_order_id());
      continue;
    }
    const MatchOrder view = ViewOf(o);
    if (!core.EffectiveLimit(view, r.match)) {
      // A market order that arrived before any price: it meets its first quote as a taker.
      if (Execute(r, false)) done.push_back(o.client_order_id());
      continue;
    }
    if (const std::optional<Execution> e = core.CrossedByQuote(view, r.match)) {
      if (Apply(o, *e)) done.push_back(o.client_order_id());
    } else if (config_.fill.queue_position) {
      core.UpdateQueue(view, r.match);
    }
  }
  for (const ClientOrderId& id : done) Remove(id);
  FlushMargins();
}

Quantity SimulatedExchange::TakenBeforeTheSave(const InstrumentId& instrument, UnixNanos since,
                                               bool buys, Price px) const {
  std::int64_t raw = 0;
  for (const FillReport& f : day_fills_) {
    if (f.instrument_id != instrument || f.ts_event < since ||
        (f.side == OrderSide::kBuy) != buys) {
      continue;
    }
    if (buys ? f.last_px >= px : f.last_px <= px) raw += f.last_qty.raw();
  }
  return Quantity::Raw(raw, 0);
}

void SimulatedExchange::SeeMarket(const MarketData& point) {
  struct Seeing {
    bool& flag;
    explicit Seeing(bool& f) : flag(f) { flag = true; }
    ~Seeing() { flag = false; }
  } seeing(seeing_);
  std::visit(
      [this](const auto& d) {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, QuoteTick>) {
          OnQuote(d);
        } else if constexpr (std::is_same_v<T, TradeTick>) {
          OnTrade(d);
        } else {
          OnBar(d);
        }
      },
      point);
}

void SimulatedExchange::OnTrade(const TradeTick& trade) {
  Housekeeping();
  ProcessDue(trade.ts_event);
  MatchingCore& core = MarketOf(trade.instrument_id);
  core.OnTrade(trade.price);
  // The print's size is shared by the resting orders it fills, in time priority: two orders
  // through which 100 traded get 100 between them, not 100 each. (A stop it triggers takes as
  // a taker and is not counted: a buy limit resting above a print and a buy stop still waiting
  // below it cannot both have met every print since they came, so no print both fills one and
  // triggers the other on one side.)
  std::int64_t left = trade.size.raw();
  if (seeing_) {
    // Seen again after a restore: what the fills since its time could have taken from it
    // before the save is gone (a buy at or above its price, a sell at or below; as for a
    // quote, a fill that met other data is counted too, so it offers less, never more).
    const Quantity taken =
        TakenBeforeTheSave(trade.instrument_id, trade.ts_event, true, trade.price) +
        TakenBeforeTheSave(trade.instrument_id, trade.ts_event, false, trade.price);
    left -= std::min(left, taken.raw());
  }
  std::vector<ClientOrderId> done;
  for (auto& [seq, r] : resting_) {
    VenueOrder& o = *r.order;
    if (o.instrument_id() != trade.instrument_id || o.is_closed() ||
        o.cancel_requested || trade.ts_event < r.since || (seeing_ && r.restored)) {
      continue;
    }
    if (IsStop(o.order_type()) && !o.triggered) {
      if (config_.fill.stop_trigger != StopTriggerSource::kLast ||
          !CheckTrigger(r, trade.price)) {
        continue;
      }
      if (o.is_closed()) {  // rejected at trigger (LPP)
        done.push_back(o.client_order_id());
        continue;
      }
      if (o.order_type() == OrderType::kStopMarket && !core.quote()) {
        // Beyond a protection band it rests as that limit (filled by later trades through it).
        const std::optional<Price>& band = r.match.protection_limit;
        if (band && (o.is_buy() ? trade.price > *band : trade.price < *band)) continue;
        Fill(o, trade.price, o.leaves_qty(), LiquiditySide::kTaker);
        done.push_back(o.client_order_id());
        continue;
      }
      if (Execute(r, false)) {
        done.push_back(o.client_order_id());
        continue;
      }
    }
    if (left > 0 && MatchTrade(r, trade, left)) done.push_back(o.client_order_id());
  }
  for (const ClientOrderId& id : done) Remove(id);
  FlushMargins();
}

void SimulatedExchange::OnBar(const Bar& bar) {
  Housekeeping();
  ProcessDue(bar.ts_event);
  const InstrumentId& id = bar.bar_type.instrument_id();
  MarketOf(id).OnBar(bar.close);
  std::vector<ClientOrderId> done;
  for (auto& [seq, r] : resting_) {
    VenueOrder& o = *r.order;
    // Data that began before the order arrived cannot fill it.
    if (o.instrument_id() != id || o.is_closed() || o.cancel_requested || bar.ts_event < r.since ||
        (seeing_ && r.restored)) {
      continue;
    }
    if (MatchBar(r, bar)) done.push_back(o.client_order_id());
  }
  for (const ClientOrderId& id_done : done) Remove(id_done);
  FlushMargins();
}

// ---- fills, charges, margin ----

ChargeBreakdown SimulatedExchange::ChargesFor(const VenueOrder& order, Price px, Quantity qty) {
  if (!config_.charges) return {};
  const Instrument* inst = InstrumentOf(order);
  const Money premium = Money::Notional(px, qty, inst ? inst->multiplier : 1);
  const bool first = charged_orders_.try_emplace(order.client_order_id()).second;
  const CivilDate date = IstDate(Now());
  ChargeBreakdown b = charges_->OnFill(date, order.side(), premium, first);
  day_charges_.push_back(
      ChargeableTrade{date, ChargeableTrade::Kind::kFill, order.side(), premium, first});
  Accumulate(total_charges_, b);
  return b;
}

// ---- the ledger ----

void SimulatedExchange::Fill(VenueOrder& order, Price px, Quantity qty, LiquiditySide liquidity) {
  ++fills_;
  const UnixNanos now = Now();
  const ChargeBreakdown charges = ChargesFor(order, px, qty);
  order.filled = Quantity::Raw(order.filled.raw() + qty.raw(), order.quantity.precision());
  order.filled_value += static_cast<Int128>(px.raw()) * qty.raw();
  order.status = order.filled >= order.quantity ? OrderStatus::kFilled
                                                : OrderStatus::kPartiallyFilled;
  order.ts_last = now;
  const TradeId trade_id = NextTradeId();
  BookPosition(order, InstrumentOf(order), px, qty);
  const Money commission = config_.charges ? charges.Total() : Money::Zero();
  cash_ -= commission;
  FillReport f;
  f.account_id = account_id();
  f.instrument_id = order.instrument_id();
  f.client_order_id = order.client_order_id();
  f.venue_order_id = order.ref.venue_order_id;
  f.trade_id = trade_id;
  f.side = order.side();
  f.last_qty = qty;
  f.last_px = px;
  f.commission = commission;
  f.charges = charges;
  f.liquidity_side = liquidity;
  f.ts_event = now;
  day_fills_.push_back(f);
  GenerateOrderFilled(order.ref, trade_id, qty, px, charges, liquidity, now);
  MarginChanged(order);  // the filled part moves from working-order into position margin
}

// Options move cash by their premium (premium style); anything else by its realized P&L.
void SimulatedExchange::BookPosition(const VenueOrder& order, const Instrument* inst, Price px,
                                     Quantity qty) {
  const std::int64_t mult = inst != nullptr ? inst->multiplier : 1;
  const bool premium_style =
      inst != nullptr && inst->instrument_class == InstrumentClass::kOption;
  VenuePosition& p = positions_[order.instrument_id()];
  p.precision = qty.precision();
  p.ts_last = Now();
  const std::int64_t delta = order.is_buy() ? qty.raw() : -qty.raw();
  if (premium_style) {
    const Money notional = Money::Notional(px, qty, mult);
    cash_ += order.is_buy() ? -notional : notional;
  }
  const std::int64_t net = p.net_raw;
  if (net == 0 || (net > 0) == (delta > 0)) {
    p.open_value += static_cast<Int128>(px.raw()) * (delta > 0 ? delta : -delta);
    p.net_raw = net + delta;
    return;
  }
  const std::int64_t held = net > 0 ? net : -net;
  const std::int64_t moved = delta > 0 ? delta : -delta;
  const std::int64_t closing = std::min(held, moved);
  const std::int64_t avg = static_cast<std::int64_t>(DivRound(p.open_value, held));
  if (!premium_style) {
    const std::int64_t diff = net > 0 ? px.raw() - avg : avg - px.raw();
    const Money pnl = Money::Notional(Price::Raw(diff < 0 ? -diff : diff, px.precision()),
                                      Quantity::Raw(closing, qty.precision()), mult);
    p.realized += diff < 0 ? -pnl : pnl;
    cash_ += diff < 0 ? -pnl : pnl;
  }
  // What stays open keeps the average price (avg × remaining: no 128-bit overflow).
  p.open_value = closing == held ? 0 : static_cast<Int128>(avg) * (held - closing);
  if (moved > held) p.open_value = static_cast<Int128>(px.raw()) * (moved - held);
  p.net_raw = net + delta;
}

void SimulatedExchange::Reject(VenueOrder& order, const std::string& why, UnixNanos at) {
  order.status = OrderStatus::kRejected;
  order.reason = why;
  order.ts_last = at;
  GenerateOrderRejected(order.ref, why, at);
}

void SimulatedExchange::Cancel(VenueOrder& order, UnixNanos at) {
  order.status = OrderStatus::kCanceled;
  order.ts_last = at;
  GenerateOrderCanceled(order.ref, at);
}

void SimulatedExchange::Expire(VenueOrder& order, UnixNanos at) {
  order.status = OrderStatus::kExpired;
  order.ts_last = at;
  GenerateOrderExpired(order.ref, at);
}

// ---- margin: the shared NSE margin book on the ledger ----

WorkingLeg SimulatedExchange::LegOf(const VenueOrder& order, std::optional<Quantity> leaves,
                                    std::optional<Price> price,
                                    std::optional<Price> trigger) const {
  const Instrument* inst = InstrumentOf(order);
  std::optional<Price> px = price ? price : order.price;
  if (!px) px = trigger ? trigger : order.trigger;
  const Quantity q = leaves.value_or(order.leaves_qty());
  if (inst == nullptr) return WorkingLeg{order.client_order_id(), order.instrument_id(), 0, px};
  return MakeWorkingLeg(order.client_order_id(), *inst, order.side(), q, px);
}

MarginBook& SimulatedExchange::BookOf(const InstrumentId& underlying, bool with_working) {
  if (book_) {
    book_->Reset(underlying, Now());
  } else {
    const MarginMarket& market = *this;
    book_.emplace(underlying, market, margin_config_, Now(), &margin_cache_);
  }
  MarginBook& book = *book_;
  for (const auto& [id, p] : positions_) {
    if (p.net_raw == 0) continue;
    const Instrument* inst = FindInstrument(id);
    if (inst == nullptr || inst->underlying != underlying) continue;
    book.AddPosition(id, p.net_raw / kFixedScale * inst->multiplier);
  }
  if (!with_working) return book;
  for (const auto& [seq, r] : resting_) {
    const VenueOrder& o = *r.order;
    if (o.is_closed() || o.leaves_qty().raw() <= 0) continue;
    const Instrument* inst = InstrumentOf(o);
    if (inst == nullptr || inst->underlying != underlying) continue;
    // A market order that rested is priced at its protection limit.
    book.AddWorking(
        LegOf(o, std::nullopt, o.price ? o.price : r.match.protection_limit, std::nullopt));
  }
  return book;
}

Result<MarginResult> SimulatedExchange::MarginFor(const InstrumentId& underlying,
                                                  const std::optional<ClientOrderId>& extra,
                                                  std::optional<Quantity> extra_leaves,
                                                  std::optional<Price> extra_price) {
  MarginBook& book = BookOf(underlying, false);
  if (extra) {
    const VenueOrder* o = order(*extra);
    if (o == nullptr) return MakeError(ErrorCode::kNotFound, "no order " + extra->value());
    const Quantity unfilled =
        Quantity::Raw(o->quantity.raw() - o->filled.raw(), o->quantity.precision());
    book.AddWorking(LegOf(*o, extra_leaves.value_or(unfilled), extra_price, std::nullopt));
  }
  return book.Margin();
}

Result<BlockedMargin> SimulatedExchange::BlockedMarginFor(const InstrumentId& underlying) {
  MarginBook& book = BookOf(underlying, true);
  return book.Blocked();
}

std::optional<VenueRefusal> SimulatedExchange::CheckMargin(const VenueOrder& order,
                                                           std::optional<Quantity> leaves,
                                                           std::optional<Price> price,
                                                           std::optional<Price> trigger,
                                                           bool flush) {
  if (!config_.margin_check) return std::nullopt;
  const Instrument* inst = InstrumentOf(order);
  if (inst == nullptr || inst->underlying.empty()) return std::nullopt;
  if (flush) FlushMargins();  // the ledger's blocks are current first
  MarginBook& book = BookOf(inst->underlying, true);
  // The order as it would work: a modify replaces its own leg, a new order joins.
  auto check = book.Check(LegOf(order, leaves, price, trigger));
  if (!check.ok()) {
    return VenueRefusal{VenueRule::kMarginUnpriced, "margin: " + check.error(), {}, {}};
  }
  if (check->required <= Money::Zero()) return std::nullopt;  // not raising what is blocked
  // Free = cash − everything blocked, with this underlying's block as of now.
  Money free = cash_ - check->before.positions - check->before.working;
  for (const auto& [u, b] : blocked_) {
    if (u != inst->underlying) free -= b.positions + b.working;
  }
  if (check->required > free) {
    return VenueRefusal{VenueRule::kMargin,
                        fmt::format("insufficient margin: required {}, free {}",
                                    check->required.ToDisplay(), free.ToDisplay()),
                        check->required, free};
  }
  return std::nullopt;
}

void SimulatedExchange::MarginChanged(const VenueOrder& order) {
  MarginChanged(order.instrument_id());
}

void SimulatedExchange::MarginChanged(const InstrumentId& instrument) {
  if (!config_.margin_check) return;
  const Instrument* inst = FindInstrument(instrument);
  if (inst != nullptr && !inst->underlying.empty()) margin_dirty_.insert(inst->underlying);
}

void SimulatedExchange::FlushMarginsSlow() {
  bool changed = false;
  while (!margin_dirty_.empty()) {
    const InstrumentId u = *margin_dirty_.begin();
    margin_dirty_.erase(margin_dirty_.begin());
    auto blocked = BlockedMarginFor(u);
    if (!blocked.ok()) continue;  // no price yet: keep the last figures
    auto it = blocked_.find(u);
    const BlockedMargin zero{};
    if (*blocked == (it == blocked_.end() ? zero : it->second)) continue;
    if (blocked->positions.is_zero() && blocked->working.is_zero()) {
      blocked_.erase(u);
    } else {
      blocked_[u] = *blocked;
    }
    changed = true;
  }
  if (changed) ReportAccount();
}

// The account as the ledger has it: cash, and per underlying the working-order block
// (initial) and the positions' block (maintenance).
void SimulatedExchange::ReportAccount() {
  AccountState s;
  s.account_id = account_id();
  s.account_type = AccountType::kMargin;
  s.base_currency = cash_.currency();
  Money locked = Money::Zero(cash_.currency());
  for (const auto& [u, b] : blocked_) {
    if (b.positions.is_zero() && b.working.is_zero()) continue;
    s.margins.push_back(MarginBalance{u, b.working, b.positions});
    locked += b.working + b.positions;
  }
  s.balance = AccountBalance{cash_, locked, cash_ - locked};
  s.reported = true;
  s.event_id = uuids().Next();
  s.ts_event = Now();
  s.ts_init = Now();
  EmitAccountState(s);
}

// ---- time: DAY/GTD expiry, option settlement ----

// Resting orders whose time (DAY close, GTD time, or the instrument's expiry: Rest() takes
// the earliest) has come expire. `next_expiry_` is a lower bound of every resting order's
// time, so most calls return at once.
void SimulatedExchange::ExpireOrders() {
  const UnixNanos now = Now();
  if (now < next_expiry_) return;
  std::vector<VenueOrder*> expired;
  UnixNanos next(INT64_MAX);
  for (const auto& [seq, r] : resting_) {
    if (!r.expires) continue;
    if (now >= *r.expires) {
      expired.push_back(r.order);
    } else if (*r.expires < next) {
      next = *r.expires;
    }
  }
  next_expiry_ = next;
  for (VenueOrder* o : expired) {
    Remove(o->client_order_id());
    Expire(*o, now);
  }
}

// Expiry settlement is the kernel's (execution/expiry_settlement.h): the exchange charges it
// on its own contract note, settles its ledger and releases the margin the position held.
ChargeBreakdown SimulatedExchange::ExpiryCharges(const CivilDate& trade_date, PositionSide side,
                                                 Money intrinsic_value) {
  if (!config_.charges) return {};
  ChargeBreakdown b = charges_->OnExpiry(trade_date, side, intrinsic_value);
  if (side == PositionSide::kLong && intrinsic_value > Money::Zero()) {
    day_charges_.push_back(ChargeableTrade{trade_date, ChargeableTrade::Kind::kExercise,
                                           OrderSide::kSell, intrinsic_value, false});
  }
  Accumulate(total_charges_, b);
  cash_ -= b.Total();
  return b;
}

void SimulatedExchange::OnPositionSettled(const InstrumentId& instrument, Price intrinsic) {
  auto it = positions_.find(instrument);
  if (it != positions_.end() && it->second.net_raw != 0) {
    VenuePosition& p = it->second;
    const Instrument* inst = FindInstrument(instrument);
    const std::int64_t held = p.net_raw > 0 ? p.net_raw : -p.net_raw;
    const Money value =
        Money::Notional(intrinsic, Quantity::Raw(held, p.precision), inst ? inst->multiplier : 1);
    cash_ += p.net_raw > 0 ? value : -value;  // a long receives the intrinsic, a short pays it
    p.net_raw = 0;
    p.open_value = 0;
    p.ts_last = Now();
  }
  MarginChanged(instrument);
  FlushMargins();
}

// ---- reports from the ledger ----

OrderStatusReport SimulatedExchange::ReportOf(const VenueOrder& o) const {
  OrderStatusReport r;
  r.account_id = account_id();
  r.instrument_id = o.instrument_id();
  r.client_order_id = o.client_order_id();
  r.venue_order_id = o.ref.venue_order_id;
  r.tag = o.tag;
  r.side = o.side();
  r.order_type = o.order_type();
  r.time_in_force = o.tif;
  r.status = o.status;
  r.quantity = o.quantity;
  r.filled_qty = o.filled;
  r.leaves_qty = o.leaves_qty();
  r.cancelled_qty =
      (o.status == OrderStatus::kCanceled || o.status == OrderStatus::kExpired)
          ? Quantity::Raw(o.quantity.raw() - o.filled.raw(), o.quantity.precision())
          : Quantity::Zero(o.quantity.precision());
  r.price = o.price;
  r.trigger_price = o.trigger;
  const Instrument* inst = InstrumentOf(o);
  r.avg_px = o.avg_px(inst != nullptr ? inst->price_precision : 2);
  r.triggered = o.triggered;
  r.reason = o.reason;
  r.ts_accepted = o.ts_accepted;
  r.ts_last = o.ts_last;
  return r;
}

std::vector<FillReport> SimulatedExchange::FillsOf(const ClientOrderId& id) const {
  std::vector<FillReport> out;
  for (const FillReport& f : day_fills_) {
    if (f.client_order_id == id) out.push_back(f);
  }
  return out;
}

std::vector<const VenueOrder*> SimulatedExchange::SortedOrders() const {
  std::vector<const VenueOrder*> out;
  out.reserve(orders_.size());
  orders_.for_each([&](const ClientOrderId&, const VenueOrder& o) { out.push_back(&o); });
  std::sort(out.begin(), out.end(), [](const VenueOrder* a, const VenueOrder* b) {
    return a->client_order_id() < b->client_order_id();
  });
  return out;
}

std::vector<OrderStatusReport> SimulatedExchange::GenerateOrderStatusReports(const ReportQuery& q) {
  std::vector<OrderStatusReport> out;
  for (const VenueOrder* po : SortedOrders()) {
    const VenueOrder& o = *po;
    if (q.instrument_id && o.instrument_id() != *q.instrument_id) continue;
    if (q.open_only && o.is_closed()) continue;
    if (o.ts_last < q.since) continue;
    out.push_back(ReportOf(o));
  }
  return out;
}

std::vector<FillReport> SimulatedExchange::GenerateFillReports(const ReportQuery& q) {
  std::vector<FillReport> out;
  for (const FillReport& f : day_fills_) {
    if (q.instrument_id && f.instrument_id != *q.instrument_id) continue;
    if (f.ts_event < q.since) continue;
    out.push_back(f);
  }
  return out;
}

std::vector<PositionStatusReport> SimulatedExchange::GeneratePositionStatusReports(
    const ReportQuery& q) {
  std::vector<PositionStatusReport> out;
  for (const auto& [id, p] : positions_) {
    if (q.instrument_id && id != *q.instrument_id) continue;
    if (p.net_raw == 0 && p.overnight_raw == 0) continue;
    PositionStatusReport r;
    r.account_id = account_id();
    r.instrument_id = id;
    r.product = "NRML";
    r.side = p.net_raw > 0 ? PositionSide::kLong
                           : (p.net_raw < 0 ? PositionSide::kShort : PositionSide::kFlat);
    r.quantity = Quantity::Raw(p.net_raw < 0 ? -p.net_raw : p.net_raw, p.precision);
    r.overnight_quantity =
        Quantity::Raw(p.overnight_raw < 0 ? -p.overnight_raw : p.overnight_raw, p.precision);
    if (p.net_raw != 0) {
      const Instrument* inst = FindInstrument(id);
      const std::int64_t held = p.net_raw < 0 ? -p.net_raw : p.net_raw;
      r.avg_px_open = Price::Raw(static_cast<std::int64_t>(DivRound(p.open_value, held)),
                                 inst != nullptr ? inst->price_precision : 2);
    }
    r.ts_last = p.ts_last;
    out.push_back(r);
  }
  return out;
}

void SimulatedExchange::Reset() {
  DropDelayed();  // the engine's reset drops the loop's work too
  inbox_.clear();
  inbox_head_ = 0;
  in_flight_.clear();
  resting_.clear();
  charged_orders_.clear();
  markets_.clear();
  last_market_id_ = InstrumentId();
  last_market_ = nullptr;
  next_seq_ = next_cmd_ = 0;
  ResetIds();
  margin_dirty_.clear();
  book_.reset();  // it points into the cache
  margin_cache_ = MarginScenarioCache();
  fills_ = 0;
  total_charges_ = {};
  charges_.emplace(*schedule_);
  rng_.seed(config_.fill.seed);
  orders_.clear();
  positions_.clear();
  day_fills_.clear();
  day_charges_.clear();
  blocked_.clear();
  cash_ = config_.starting_balance;
  day_.reset();
  next_day_start_ = UnixNanos();
  next_expiry_ = UnixNanos();
}

// ---- save and restore ----

namespace {

using Json = nlohmann::json;

constexpr const char* kStateFormat = "nacre.simulated-exchange.v1";

std::string Int128ToString(Int128 v) {
  if (v == 0) return "0";
  const bool neg = v < 0;
  std::string out;
  while (v != 0) {
    const int digit = static_cast<int>(v % 10);
    out.push_back(static_cast<char>('0' + (digit < 0 ? -digit : digit)));
    v /= 10;
  }
  if (neg) out.push_back('-');
  return {out.rbegin(), out.rend()};
}

Int128 Int128FromString(const std::string& s) {
  if (s.empty()) throw std::invalid_argument("empty integer");
  std::size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) throw std::invalid_argument("bad integer '" + s + "'");
  Int128 v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') throw std::invalid_argument("bad integer '" + s + "'");
    v = v * 10 + (s[i] - '0');
  }
  return s[0] == '-' ? -v : v;
}

Json PriceJson(const std::optional<Price>& p) {
  if (!p) return nullptr;
  return Json::array({p->raw(), p->precision()});
}
std::optional<Price> PriceFrom(const Json& j) {
  if (j.is_null()) return std::nullopt;
  auto p = Price::FromRaw(j.at(0).get<std::int64_t>(), j.at(1).get<int>());
  if (!p.ok()) throw std::invalid_argument(p.error());
  return *p;
}
Json QtyJson(Quantity q) { return Json::array({q.raw(), q.precision()}); }
Quantity QtyFrom(const Json& j) {
  auto q = Quantity::FromRaw(j.at(0).get<std::int64_t>(), j.at(1).get<int>());
  if (!q.ok()) throw std::invalid_argument(q.error());
  return *q;
}
template <typename E>
E EnumFrom(const Json& j, const char* what) {
  const std::string s = j.get<std::string>();
  auto e = ParseEnum<E>(s);
  if (!e) throw std::invalid_argument(fmt::format("unknown {} '{}'", what, s));
  return *e;
}
Json ChargesJson(const ChargeBreakdown& c) {
  return Json::array({c.brokerage.raw(), c.stt.raw(), c.exchange.raw(), c.sebi.raw(), c.ipft.raw(),
                      c.stamp.raw(), c.gst.raw()});
}
ChargeBreakdown ChargesFrom(const Json& j) {
  ChargeBreakdown c;
  Money* parts[] = {&c.brokerage, &c.stt, &c.exchange, &c.sebi, &c.ipft, &c.stamp, &c.gst};
  if (!j.is_array() || j.size() != std::size(parts)) {
    throw std::invalid_argument("charges must be 7 amounts");
  }
  for (std::size_t i = 0; i < std::size(parts); ++i) {
    *parts[i] = Money::FromRaw(j.at(i).get<std::int64_t>());
  }
  return c;
}
Json DateJson(const CivilDate& d) { return Json::array({d.year, d.month, d.day}); }
CivilDate DateFrom(const Json& j) {
  return CivilDate{j.at(0).get<int>(), j.at(1).get<int>(), j.at(2).get<int>()};
}

}  // namespace

std::string SimulatedExchange::SaveState() const {
  Json j;
  j["format"] = kStateFormat;
  j["venue"] = venue().value();
  j["account"] = account_id().value();
  j["cash"] = cash_.raw();
  const auto [order_ids, trade_ids] = id_counters();
  j["next_order_id"] = order_ids;
  j["next_trade_id"] = trade_ids;
  j["next_seq"] = next_seq_;
  j["fills"] = fills_;
  std::ostringstream rng;
  rng << rng_;
  j["rng"] = rng.str();
  j["day"] = day_ ? DateJson(*day_) : Json(nullptr);
  j["total_charges"] = ChargesJson(total_charges_);
  std::vector<std::string> charged;
  charged_orders_.for_each(
      [&](const ClientOrderId& id, const Charged&) { charged.push_back(id.value()); });
  std::sort(charged.begin(), charged.end());
  j["charged_orders"] = charged;
  Json orders = Json::array();
  for (const VenueOrder* po : SortedOrders()) {
    const VenueOrder& o = *po;
    orders.push_back({{"client_order_id", o.client_order_id().value()},
                      {"trader_id", o.ref.trader_id.value()},
                      {"strategy_id", o.ref.strategy_id.value()},
                      {"instrument_id", o.ref.instrument_id.value()},
                      {"venue_order_id", o.ref.venue_order_id.value()},
                      {"position_id", o.ref.position_id.value()},
                      {"side", ToString(o.ref.side)},
                      {"type", ToString(o.ref.order_type)},
                      {"tif", ToString(o.tif)},
                      {"quantity", QtyJson(o.quantity)},
                      {"filled", QtyJson(o.filled)},
                      {"price", PriceJson(o.price)},
                      {"trigger", PriceJson(o.trigger)},
                      {"expire_time", o.expire_time.value},
                      {"protection", o.protection_raw},
                      {"tag", o.tag},
                      {"status", ToString(o.status)},
                      {"triggered", o.triggered},
                      {"filled_value", Int128ToString(o.filled_value)},
                      {"reason", o.reason},
                      {"ts_accepted", o.ts_accepted.value},
                      {"ts_last", o.ts_last.value}});
  }
  j["orders"] = orders;
  Json resting = Json::array();
  for (const auto& [seq, r] : resting_) {
    resting.push_back({{"seq", seq},
                       {"client_order_id", r.order->client_order_id().value()},
                       {"since", r.since.value},
                       {"limit", PriceJson(r.match.protection_limit)},
                       {"queue_ahead",
                        r.match.queue_ahead ? Json(*r.match.queue_ahead) : Json(nullptr)},
                       {"expires", r.expires ? Json(r.expires->value) : Json(nullptr)}});
  }
  j["resting"] = resting;
  Json positions = Json::array();
  for (const auto& [id, p] : positions_) {
    positions.push_back({{"instrument_id", id.value()},
                         {"net", p.net_raw},
                         {"overnight", p.overnight_raw},
                         {"precision", p.precision},
                         {"open_value", Int128ToString(p.open_value)},
                         {"realized", p.realized.raw()},
                         {"ts_last", p.ts_last.value}});
  }
  j["positions"] = positions;
  Json fills = Json::array();
  for (const FillReport& f : day_fills_) {
    fills.push_back({{"instrument_id", f.instrument_id.value()},
                     {"client_order_id", f.client_order_id.value()},
                     {"venue_order_id", f.venue_order_id.value()},
                     {"trade_id", f.trade_id.value()},
                     {"side", ToString(f.side)},
                     {"qty", QtyJson(f.last_qty)},
                     {"px", PriceJson(f.last_px)},
                     {"charges", ChargesJson(f.charges)},
                     {"liquidity", ToString(f.liquidity_side)},
                     {"ts", f.ts_event.value}});
  }
  j["day_fills"] = fills;
  Json charges = Json::array();
  for (const ChargeableTrade& c : day_charges_) {
    charges.push_back({{"date", DateJson(c.trade_date)},
                       {"exercise", c.kind == ChargeableTrade::Kind::kExercise},
                       {"side", ToString(c.side)},
                       {"amount", c.amount.raw()},
                       {"first", c.first_fill_of_order}});
  }
  j["day_charges"] = charges;
  Json blocked = Json::array();
  for (const auto& [u, b] : blocked_) {
    blocked.push_back({{"underlying", u.value()},
                       {"positions", b.positions.raw()},
                       {"working", b.working.raw()},
                       {"positions_total", b.positions_total.raw()}});
  }
  j["blocked"] = blocked;
  return j.dump(1);
}

Status SimulatedExchange::RestoreState(const std::string& text) {
  if (pending_count() != 0 || !orders_.empty() || fills_ != 0) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "exchange state: restore only into a fresh exchange (before any command)");
  }
  // Everything is parsed into locals first; the exchange changes only when all of it is good.
  const char* field = "(document)";
  try {
    const Json j = Json::parse(text);
    field = "format";
    if (j.at("format").get<std::string>() != kStateFormat) {
      throw std::invalid_argument(fmt::format("expected '{}'", kStateFormat));
    }
    field = "venue";
    if (j.at("venue").get<std::string>() != venue().value()) {
      throw std::invalid_argument(fmt::format("state of venue '{}', this exchange is '{}'",
                                              j.at("venue").get<std::string>(), venue().value()));
    }
    field = "account";
    if (j.at("account").get<std::string>() != account_id().value()) {
      throw std::invalid_argument("state of another account");
    }
    OrderMap orders;
    field = "orders";
    for (const Json& o : j.at("orders")) {
      VenueOrder v;
      auto id = [&](const char* k) { return o.at(k).get<std::string>(); };
      auto ins = InstrumentId::Parse(id("instrument_id"));
      if (!ins.ok()) throw std::invalid_argument(ins.error());
      v.ref.client_order_id = ClientOrderId(id("client_order_id"));
      v.ref.trader_id = TraderId(id("trader_id"));
      v.ref.strategy_id = StrategyId(id("strategy_id"));
      v.ref.instrument_id = *ins;
      v.ref.venue_order_id = VenueOrderId(id("venue_order_id"));
      v.ref.position_id = PositionId(id("position_id"));
      v.ref.side = EnumFrom<OrderSide>(o.at("side"), "side");
      v.ref.order_type = EnumFrom<OrderType>(o.at("type"), "order type");
      v.tif = EnumFrom<TimeInForce>(o.at("tif"), "time in force");
      v.quantity = QtyFrom(o.at("quantity"));
      v.filled = QtyFrom(o.at("filled"));
      v.price = PriceFrom(o.at("price"));
      v.trigger = PriceFrom(o.at("trigger"));
      v.expire_time = UnixNanos(o.at("expire_time").get<std::int64_t>());
      v.protection_raw = o.at("protection").get<std::int64_t>();
      v.tag = o.at("tag").get<std::string>();
      v.status = EnumFrom<OrderStatus>(o.at("status"), "status");
      v.triggered = o.at("triggered").get<bool>();
      v.filled_value = Int128FromString(o.at("filled_value").get<std::string>());
      v.reason = o.at("reason").get<std::string>();
      v.ts_accepted = UnixNanos(o.at("ts_accepted").get<std::int64_t>());
      v.ts_last = UnixNanos(o.at("ts_last").get<std::int64_t>());
      if (v.filled > v.quantity) throw std::invalid_argument("filled above quantity");
      if (!orders.try_emplace(v.ref.client_order_id, v).second) {
        throw std::invalid_argument("duplicate order " + v.ref.client_order_id.value());
      }
    }
    struct RestingIn {
      std::uint64_t seq;
      ClientOrderId id;
      Resting r;
    };
    std::vector<RestingIn> resting;
    field = "resting";
    for (const Json& r : j.at("resting")) {
      RestingIn in{r.at("seq").get<std::uint64_t>(),
                   ClientOrderId(r.at("client_order_id").get<std::string>()),
                   Resting{nullptr, UnixNanos(r.at("since").get<std::int64_t>()),
                           std::nullopt, MatchState{PriceFrom(r.at("limit")), std::nullopt}}};
      if (!r.at("expires").is_null()) in.r.expires = UnixNanos(r.at("expires").get<std::int64_t>());
      if (!r.at("queue_ahead").is_null()) {
        in.r.match.queue_ahead = r.at("queue_ahead").get<std::int64_t>();
      }
      const VenueOrder* held = orders.find(in.id);
      if (held == nullptr || held->is_closed()) {
        throw std::invalid_argument("resting order " + in.id.value() + " is not an open order");
      }
      if (!resting.empty() && in.seq <= resting.back().seq) {
        throw std::invalid_argument("resting sequences must be unique and increasing");
      }
      for (const RestingIn& other : resting) {
        if (other.id == in.id) throw std::invalid_argument("order " + in.id.value() + " rests twice");
      }
      resting.push_back(in);
    }
    orders.for_each([&](const ClientOrderId& id, const VenueOrder& o) {
      const bool rests = std::any_of(resting.begin(), resting.end(),
                                     [&](const RestingIn& r) { return r.id == id; });
      if (!o.is_closed() && !rests) {
        throw std::invalid_argument("open order " + id.value() + " has no resting entry");
      }
    });
    std::map<InstrumentId, VenuePosition> positions;
    field = "positions";
    for (const Json& p : j.at("positions")) {
      auto ins = InstrumentId::Parse(p.at("instrument_id").get<std::string>());
      if (!ins.ok()) throw std::invalid_argument(ins.error());
      VenuePosition v;
      v.net_raw = p.at("net").get<std::int64_t>();
      v.overnight_raw = p.at("overnight").get<std::int64_t>();
      v.precision = p.at("precision").get<int>();
      v.open_value = Int128FromString(p.at("open_value").get<std::string>());
      v.realized = Money::FromRaw(p.at("realized").get<std::int64_t>());
      v.ts_last = UnixNanos(p.at("ts_last").get<std::int64_t>());
      positions[*ins] = v;
    }
    std::vector<FillReport> fills;
    field = "day_fills";
    for (const Json& f : j.at("day_fills")) {
      FillReport r;
      auto ins = InstrumentId::Parse(f.at("instrument_id").get<std::string>());
      if (!ins.ok()) throw std::invalid_argument(ins.error());
      r.account_id = account_id();
      r.instrument_id = *ins;
      r.client_order_id = ClientOrderId(f.at("client_order_id").get<std::string>());
      r.venue_order_id = VenueOrderId(f.at("venue_order_id").get<std::string>());
      r.trade_id = TradeId(f.at("trade_id").get<std::string>());
      r.side = EnumFrom<OrderSide>(f.at("side"), "side");
      r.last_qty = QtyFrom(f.at("qty"));
      r.last_px = *PriceFrom(f.at("px"));
      r.charges = ChargesFrom(f.at("charges"));
      r.commission = r.charges.Total();
      r.liquidity_side = EnumFrom<LiquiditySide>(f.at("liquidity"), "liquidity side");
      r.ts_event = UnixNanos(f.at("ts").get<std::int64_t>());
      fills.push_back(r);
    }
    std::vector<ChargeableTrade> day_charges;
    field = "day_charges";
    for (const Json& c : j.at("day_charges")) {
      day_charges.push_back(ChargeableTrade{
          DateFrom(c.at("date")),
          c.at("exercise").get<bool>() ? ChargeableTrade::Kind::kExercise
                                       : ChargeableTrade::Kind::kFill,
          EnumFrom<OrderSide>(c.at("side"), "side"), Money::FromRaw(c.at("amount").get<std::int64_t>()),
          c.at("first").get<bool>()});
    }
    std::map<InstrumentId, BlockedMargin> blocked;
    field = "blocked";
    for (const Json& b : j.at("blocked")) {
      auto u = InstrumentId::Parse(b.at("underlying").get<std::string>());
      if (!u.ok()) throw std::invalid_argument(u.error());
      blocked[*u] = BlockedMargin{Money::FromRaw(b.at("positions").get<std::int64_t>()),
                                  Money::FromRaw(b.at("working").get<std::int64_t>()),
                                  Money::FromRaw(b.at("positions_total").get<std::int64_t>())};
    }
    field = "cash";
    const Money cash = Money::FromRaw(j.at("cash").get<std::int64_t>(), cash_.currency());
    field = "rng";
    std::mt19937_64 rng;
    std::istringstream rng_in(j.at("rng").get<std::string>());
    rng_in >> rng;
    if (rng_in.fail()) throw std::invalid_argument("bad generator state");
    field = "total_charges";
    const ChargeBreakdown total = ChargesFrom(j.at("total_charges"));
    field = "day";
    std::optional<CivilDate> day;
    if (!j.at("day").is_null()) day = DateFrom(j.at("day"));
    field = "counters";
    const auto next_order_id = j.at("next_order_id").get<std::uint64_t>();
    const auto next_trade_id = j.at("next_trade_id").get<std::uint64_t>();
    const auto next_seq = j.at("next_seq").get<std::uint64_t>();
    if (!resting.empty() && resting.back().seq >= next_seq) {
      throw std::invalid_argument("next_seq is not above every resting sequence");
    }
    const auto fill_count = j.at("fills").get<std::uint64_t>();
    std::vector<std::string> charged = j.at("charged_orders").get<std::vector<std::string>>();

    // All good: take it.
    field = "(apply)";
    orders_ = std::move(orders);
    for (const RestingIn& in : resting) {
      Resting r = in.r;
      r.order = orders_.find(in.id);
      r.restored = true;
      resting_.emplace(in.seq, r);
      r.order->resting_seq = in.seq;
    }
    positions_ = std::move(positions);
    day_fills_ = std::move(fills);
    blocked_ = std::move(blocked);
    cash_ = cash;
    rng_ = rng;
    total_charges_ = total;
    day_ = day;
    set_id_counters(next_order_id, next_trade_id);
    next_seq_ = next_seq;
    fills_ = fill_count;
    charged_orders_.clear();
    for (const std::string& id : charged) charged_orders_.try_emplace(ClientOrderId(id));
    // The open contract note continues exactly: the day's events replayed into a fresh
    // calculator (their breakdowns were booked before the save).
    charges_.emplace(*schedule_);
    for (const ChargeableTrade& c : day_charges) {
      if (c.kind == ChargeableTrade::Kind::kFill) {
        charges_->OnFill(c.trade_date, c.side, c.amount, c.first_fill_of_order);
      } else {
        charges_->OnExercise(c.trade_date, c.amount);
      }
    }
    day_charges_ = std::move(day_charges);
    return Status::Ok();
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidInput,
                     fmt::format("exchange state: field '{}': {}", field, e.what()));
  }
}

}  // namespace nacre
