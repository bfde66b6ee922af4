#include "risk/risk_engine.h"

#include <algorithm>
#include <cstdlib>

namespace nacre {

namespace {

// The margin book's view of the market from the cache.
class CacheMarginMarket final : public MarginMarket {
 public:
  explicit CacheMarginMarket(const Cache& cache) : cache_(cache) {}
  const Instrument* FindInstrument(const InstrumentId& id) const override {
    return cache_.instrument(id);
  }
  std::optional<Price> Mark(const InstrumentId& id) const override {
    if (const QuoteTick* q = cache_.quote(id);
        q != nullptr && q->bid_price.raw() > 0 && q->ask_price.raw() > 0) {
      return q->Mid();
    }
    if (const TradeTick* t = cache_.trade(id)) return t->price;
    return cache_.LastBarClose(id);
  }

 private:
  const Cache& cache_;
};

bool IsDerivative(const Instrument& inst) {
  return !inst.underlying.empty() && (inst.instrument_class == InstrumentClass::kOption ||
                                      inst.instrument_class == InstrumentClass::kFuture);
}

}  // namespace

RiskEngine::RiskEngine(MessageBus& bus, Cache& cache, Clock& clock, Logger& logger,
                       UuidGenerator& uuids, RiskEngineConfig config)
    : Component("RiskEngine"),
      bus_(bus),
      cache_(cache),
      clock_(clock),
      uuids_(uuids),
      config_(config),
      submit_sec_(config.max_submit_per_second, kNanosPerSecond),
      submit_min_(config.max_submit_per_minute, kNanosPerMinute),
      modify_sec_(config.max_modify_per_second, kNanosPerSecond),
      modify_min_(config.max_modify_per_minute, kNanosPerMinute) {
  set_logger(&logger);
  Status s = bus_.RegisterEndpoint<TradingCommand>(topics::kRiskEngineExecute,
                                                   [this](const TradingCommand& c) { Execute(c); });
  if (!s) log().Error("{}", s.error());
  Initialize();
}

RiskEngine::~RiskEngine() { bus_.DeregisterEndpoint(topics::kRiskEngineExecute); }

void RiskEngine::ResetState() {
  submit_sec_ = Throttler(config_.max_submit_per_second, kNanosPerSecond);
  submit_min_ = Throttler(config_.max_submit_per_minute, kNanosPerMinute);
  modify_sec_ = Throttler(config_.max_modify_per_second, kNanosPerSecond);
  modify_min_ = Throttler(config_.max_modify_per_minute, kNanosPerMinute);
  state_ = TradingState::kActive;
  denied_ = 0;
}

void RiskEngine::SetTradingState(TradingState state) {
  if (state == state_) return;
  state_ = state;
  log().Warning("trading state changed to {}", ToString(state));
  bus_.Publish(topics::kRiskEvents, RiskStateChanged{state, clock_.Now()});
}

void RiskEngine::Forward(const TradingCommand& cmd) {
  if (Status s = bus_.SendNow(topics::kExecEngineExecute, cmd); !s) log().Error("{}", s.error());
}

void RiskEngine::Execute(const TradingCommand& command) {
  if (config_.bypass) {
    Forward(command);
    return;
  }
  std::visit(
      [this, &command](const auto& cmd) {
        using T = std::decay_t<decltype(cmd)>;
        if constexpr (std::is_same_v<T, SubmitOrder>) {
          HandleSubmit(cmd);
        } else if constexpr (std::is_same_v<T, SubmitOrderList>) {
          HandleSubmitList(cmd);
        } else if constexpr (std::is_same_v<T, ModifyOrder>) {
          HandleModify(cmd);
        } else {
          Forward(command);  // cancels and queries are never blocked
        }
      },
      command);
}

void RiskEngine::Deny(const Order& order, const Denial& d) {
  ++denied_;
  log().Warning("order {} denied: {}: {}", order.client_order_id().value(), d.code, d.message);
  OrderDenied e;
  static_cast<OrderEventHeader&>(e) =
      MakeOrderEventHeader(order, uuids_.Next(), clock_.Now(), clock_.Now());
  e.reason_code = d.code;
  e.message = d.message;
  if (Status s = bus_.SendNow(topics::kExecEngineProcess, OrderEvent(e)); !s) {
    log().Error("{}", s.error());
  }
}

bool RiskEngine::IsReducing(const Order& order) const {
  const Position* pos = cache_.position(
      order.position_id().empty() ? NettingPositionId(order.instrument_id(), order.strategy_id())
                                  : order.position_id());
  if (pos == nullptr || pos->is_closed()) return false;
  if (order.side() != pos->ClosingSide()) return false;
  // Other working orders that already close this position count against it (two
  // ClosePosition calls must not flip it); OCO/OUO peers of this order are alternatives to
  // it, not additions, so they are left out.
  Quantity pending = Quantity::Zero(pos->quantity().precision());
  OrderQuery q;
  q.strategy_id = order.strategy_id();
  q.instrument_id = order.instrument_id();
  q.side = order.side();
  auto add = [&](const Order* o) {
    if (o->client_order_id() == order.client_order_id()) return;
    for (const ClientOrderId& linked : order.linked_order_ids()) {
      if (linked == o->client_order_id()) return;
    }
    pending += o->leaves_qty();
  };
  for (const Order* o : cache_.OrdersOpen(q)) add(o);
  for (const Order* o : cache_.OrdersInflight(q)) {
    if (!o->is_open()) add(o);  // SUBMITTED: not yet in the open index
  }
  return order.quantity() + pending <= pos->quantity();
}

std::optional<RiskEngine::Denial> RiskEngine::CheckPriceAndQuantity(
    const Instrument& inst, Quantity qty, const std::optional<Price>& price,
    const std::optional<Price>& trigger) {
  auto check_px = [&](const std::optional<Price>& px, const char* what, const char* code_bad,
                      const char* code_tick) -> std::optional<Denial> {
    if (!px) return std::nullopt;
    if (!px->is_positive()) {
      return Denial{code_bad,
                    fmt::format("{} must be positive: {}={}", what, what, px->ToString())};
    }
    if (!inst.OnTickGrid(*px)) {
      return Denial{code_tick, fmt::format("{}={} not on tick grid {}", what,
                                           FormatFixedRaw(px->raw(), inst.price_precision + 2),
                                           inst.tick_size.ToString())};
    }
    return std::nullopt;
  };
  if (auto d = check_px(price, "price", "INVALID_PRICE", "PRICE_NOT_ON_TICK")) return d;
  if (auto d = check_px(trigger, "trigger_price", "INVALID_TRIGGER_PRICE",
                        "TRIGGER_PRICE_NOT_ON_TICK")) {
    return d;
  }
  if (qty.is_zero()) return Denial{"INVALID_QUANTITY", "quantity must be positive"};
  if (!inst.IsLotMultiple(qty)) {
    return Denial{"QUANTITY_NOT_LOT_MULTIPLE",
                  fmt::format("quantity={} lot={}", qty.ToString(), inst.lot_size.ToString())};
  }
  if (inst.freeze_quantity && qty > *inst.freeze_quantity) {
    return Denial{"QUANTITY_EXCEEDS_FREEZE", fmt::format("quantity={} freeze={}", qty.ToString(),
                                                         inst.freeze_quantity->ToString())};
  }
  return std::nullopt;
}

std::optional<RiskEngine::Denial> RiskEngine::CheckOrder(const Order& order, CheckScope scope) {
  const UnixNanos now = clock_.Now();
  const bool deferred = scope == CheckScope::kDeferredChild;
  if (order.status() != OrderStatus::kInitialized) {
    return Denial{"INVALID_ORDER_STATE",
                  fmt::format("order is {}, not INITIALIZED", ToString(order.status()))};
  }
  if (state_ == TradingState::kHalted) return Denial{"TRADING_HALTED", "trading state is HALTED"};
  const bool reducing = IsReducing(order);
  if (state_ == TradingState::kReducing && !reducing && !deferred) {
    return Denial{"TRADING_REDUCING",
                  "trading state is REDUCING and the order would not reduce a position"};
  }
  const Instrument* inst = cache_.instrument(order.instrument_id());
  if (inst == nullptr) {
    return Denial{"INSTRUMENT_NOT_FOUND",
                  fmt::format("no instrument {}", order.instrument_id().value())};
  }
  if (!inst->is_tradable()) {
    return Denial{"INSTRUMENT_NOT_TRADABLE", fmt::format("{} is an index", inst->id.value())};
  }
  if (inst->IsExpired(now)) {
    return Denial{"INSTRUMENT_EXPIRED",
                  fmt::format("{} expired at {}", inst->id.value(), FormatIst(inst->expiration))};
  }
  if (market_hours_ != nullptr) {
    const std::string closed = market_hours_->ClosedReason(*inst, now);
    if (!closed.empty()) return Denial{"MARKET_CLOSED", closed};
  }
  if (gate_) {
    if (const std::string blocked = gate_(inst->id); !blocked.empty()) {
      return Denial{"INSTRUMENT_BLOCKED", blocked};
    }
  }
  if (order.time_in_force() == TimeInForce::kGtd && order.expire_time() <= now) {
    return Denial{"GTD_EXPIRED", fmt::format("expire_time={} is not after now={}",
                                             FormatIsoUtc(order.expire_time()), FormatIsoUtc(now))};
  }
  if ((order.order_type() == OrderType::kLimit || order.order_type() == OrderType::kStopLimit) &&
      !order.price()) {
    return Denial{"INVALID_PRICE", "limit order without a price"};
  }
  if ((order.order_type() == OrderType::kStopMarket ||
       order.order_type() == OrderType::kStopLimit) &&
      !order.trigger_price()) {
    return Denial{"INVALID_TRIGGER_PRICE", "stop order without a trigger price"};
  }
  if (auto d =
          CheckPriceAndQuantity(*inst, order.quantity(), order.price(), order.trigger_price())) {
    return d;
  }
  if (order.reduce_only() && !reducing && !deferred) {
    const Position* pos =
        cache_.position(NettingPositionId(order.instrument_id(), order.strategy_id()));
    return Denial{"REDUCE_ONLY_WOULD_INCREASE",
                  fmt::format("reduce_only {} {} against position {}", ToString(order.side()),
                              order.quantity().ToString(),
                              pos && pos->is_open() ? fmt::format("{} {}", ToString(pos->side()),
                                                                  pos->quantity().ToString())
                                                    : std::string("FLAT"))};
  }
  // Value the order at its limit (or trigger), else at the current mark.
  std::optional<Price> px = order.price() ? order.price() : order.trigger_price();
  if (!px)
    px = cache_.MarkPrice(order.instrument_id(),
                          order.is_buy() ? PositionSide::kShort : PositionSide::kLong);
  const bool needs_value = config_.max_notional_per_order ||
                           (config_.check_margin && !reducing && inst->margin_init_raw > 0);
  if (!px && needs_value) {
    return Denial{"NO_MARK_PRICE", fmt::format("no price to value a {} order in {} (no quote, "
                                               "trade or bar yet)",
                                               ToString(order.order_type()), inst->id.value())};
  }
  if (px) {
    const auto notional =
        Money::CheckedNotional(*px, order.quantity(), inst->multiplier, inst->currency);
    if (!notional) {
      return Denial{"NOTIONAL_OVERFLOW",
                    fmt::format("quantity={} x price={} is beyond the representable amount",
                                order.quantity().ToString(), px->ToString())};
    }
    if (config_.max_notional_per_order && *notional > *config_.max_notional_per_order) {
      return Denial{"NOTIONAL_EXCEEDS_MAX",
                    fmt::format("notional={} max={}", notional->ToDisplay(),
                                config_.max_notional_per_order->ToDisplay())};
    }
    if (config_.check_margin && !reducing && inst->margin_init_raw > 0) {
      const Account* account = cache_.AccountForVenue(order.instrument_id().venue());
      if (account != nullptr) {
        const Money required = Money::FromRaw(static_cast<std::int64_t>(
            DivRound(static_cast<Int128>(notional->raw()) * inst->margin_init_raw, kFixedScale)));
        if (required > account->balance_free()) {
          return Denial{"INSUFFICIENT_MARGIN",
                        fmt::format("insufficient margin: required {}, free {}",
                                    required.ToDisplay(), account->balance_free().ToDisplay())};
        }
      }
    }
  }
  // Throttles are only looked at here (a denied order never uses up rate; lists are throttled
  // as a whole by the caller), before the NSE margin book: the cheap checks first.
  if (scope == CheckScope::kSingle) {
    if (submit_sec_.used(now) >= submit_sec_.limit() && submit_sec_.limit() > 0) {
      return Denial{"RATE_LIMIT_EXCEEDED",
                    fmt::format("more than {} order submissions per second", submit_sec_.limit())};
    }
    if (submit_min_.used(now) >= submit_min_.limit() && submit_min_.limit() > 0) {
      return Denial{"RATE_LIMIT_EXCEEDED",
                    fmt::format("more than {} order submissions per minute", submit_min_.limit())};
    }
  }
  if (!deferred) {
    if (auto why = CheckNseMargin(order, std::nullopt, std::nullopt, std::nullopt)) {
      return Denial{"INSUFFICIENT_MARGIN", *why};
    }
  }
  return std::nullopt;
}

void RiskEngine::HandleSubmit(const SubmitOrder& cmd) {
  const Order* order = cache_.order(cmd.client_order_id);
  if (order == nullptr) {
    log().Error("submit for unknown order {}", cmd.client_order_id.value());
    return;
  }
  if (auto d = CheckSubmit(*order)) {
    Deny(*order, *d);
    return;
  }
  const UnixNanos now = clock_.Now();
  submit_sec_.TryAcquire(now);
  submit_min_.TryAcquire(now);
  Forward(cmd);
}

void RiskEngine::HandleSubmitList(const SubmitOrderList& cmd) {
  std::vector<const Order*> orders;
  for (const ClientOrderId& id : cmd.client_order_ids) {
    const Order* o = cache_.order(id);
    if (o == nullptr) {
      log().Error("order list {} names unknown order {}", cmd.order_list_id.value(), id.value());
      return;
    }
    orders.push_back(o);
  }
  // OTO children go out only when their parent fills (and are re-checked then).
  auto is_deferred = [](const Order& o) { return !o.parent_order_id().empty(); };
  for (const Order* o : orders) {
    const CheckScope scope = is_deferred(*o) ? CheckScope::kDeferredChild : CheckScope::kListMember;
    checking_list_ = &orders;
    std::optional<Denial> d = CheckOrder(*o, scope);
    checking_list_ = nullptr;
    if (d) {
      // One bad order denies the whole list: a partial spread is worse than none.
      for (const Order* other : orders) {
        Deny(*other, other == o ? *d
                                : Denial{"ORDER_LIST_DENIED",
                                         fmt::format("{} in list {} denied: {}",
                                                     o->client_order_id().value(),
                                                     cmd.order_list_id.value(), d->code)});
      }
      return;
    }
  }
  // The list needs one submission per order sent now; it passes only if all of them fit.
  const UnixNanos now = clock_.Now();
  const auto sent_now = static_cast<int>(std::count_if(
      orders.begin(), orders.end(), [&](const Order* o) { return !is_deferred(*o); }));
  std::optional<Denial> throttled;
  for (Throttler* t : {&submit_sec_, &submit_min_}) {
    if (t->limit() > 0 && t->used(now) + sent_now > t->limit()) {
      throttled = Denial{"RATE_LIMIT_EXCEEDED",
                         fmt::format("order list {} needs {} submissions but only {} of {} per "
                                     "{} remain",
                                     cmd.order_list_id.value(), sent_now, t->limit() - t->used(now),
                                     t->limit(), t == &submit_sec_ ? "second" : "minute")};
      break;
    }
  }
  if (throttled) {
    for (const Order* o : orders) Deny(*o, *throttled);
    return;
  }
  for (int i = 0; i < sent_now; ++i) {
    submit_sec_.TryAcquire(now);
    submit_min_.TryAcquire(now);
  }
  Forward(cmd);
}

std::optional<RiskEngine::Denial> RiskEngine::CheckModify(const Order& order,
                                                          const ModifyOrder& cmd) {
  const UnixNanos now = clock_.Now();
  if (state_ == TradingState::kHalted) return Denial{"TRADING_HALTED", "trading state is HALTED"};
  if (order.is_closed()) {
    return Denial{"ORDER_CLOSED", fmt::format("order is {}", ToString(order.status()))};
  }
  const Instrument* inst = cache_.instrument(order.instrument_id());
  if (inst == nullptr) {
    return Denial{"INSTRUMENT_NOT_FOUND",
                  fmt::format("no instrument {}", order.instrument_id().value())};
  }
  if (auto d = CheckPriceAndQuantity(*inst, cmd.quantity.value_or(order.quantity()), cmd.price,
                                     cmd.trigger_price)) {
    return d;
  }
  if (state_ == TradingState::kReducing && cmd.quantity && *cmd.quantity > order.quantity()) {
    return Denial{"TRADING_REDUCING", "trading state is REDUCING: quantity may not increase"};
  }
  if (cmd.quantity || cmd.price || cmd.trigger_price) {
    const Quantity qty = cmd.quantity.value_or(order.quantity());
    const std::optional<Quantity> leaves =
        qty > order.filled_qty()
            ? std::optional<Quantity>(Quantity::Raw(qty.raw() - order.filled_qty().raw(),
                                                    qty.precision()))
            : std::nullopt;
    if (leaves) {
      if (auto why = CheckNseMargin(order, leaves, cmd.price, cmd.trigger_price)) {
        return Denial{"INSUFFICIENT_MARGIN", *why};
      }
    }
  }
  // Check both windows before taking a slot in either, so a refused modify uses no rate.
  if (modify_sec_.limit() > 0 && modify_sec_.used(now) >= modify_sec_.limit()) {
    return Denial{"RATE_LIMIT_EXCEEDED",
                  fmt::format("more than {} order modifications per second", modify_sec_.limit())};
  }
  if (modify_min_.limit() > 0 && modify_min_.used(now) >= modify_min_.limit()) {
    return Denial{"RATE_LIMIT_EXCEEDED",
                  fmt::format("more than {} order modifications per minute", modify_min_.limit())};
  }
  modify_sec_.TryAcquire(now);
  modify_min_.TryAcquire(now);
  return std::nullopt;
}

void RiskEngine::HandleModify(const ModifyOrder& cmd) {
  const Order* order = cache_.order(cmd.client_order_id);
  if (order == nullptr) {
    log().Error("modify for unknown order {}", cmd.client_order_id.value());
    return;
  }
  if (auto d = CheckModify(*order, cmd)) {
    ++denied_;
    log().Warning("modify of {} rejected: {}: {}", order->client_order_id().value(), d->code,
                  d->message);
    OrderModifyRejected e;
    static_cast<OrderEventHeader&>(e) =
        MakeOrderEventHeader(*order, uuids_.Next(), clock_.Now(), clock_.Now());
    e.venue_order_id = order->venue_order_id();
    e.account_id = order->account_id();
    e.reason = d->code + ": " + d->message;
    e.quantity = cmd.quantity;
    e.price = cmd.price;
    e.trigger_price = cmd.trigger_price;
    // Through the execution engine: it restores the state the order had before its
    // PENDING_UPDATE (or, with no pending state, leaves it and tells the strategy).
    if (Status s = bus_.SendNow(topics::kExecEngineProcess, OrderEvent(e)); !s) {
      log().Error("{}", s.error());
    }
    return;
  }
  Forward(cmd);
}

MarginBook RiskEngine::NseBookOf(const Venue& venue, const InstrumentId& underlying,
                                 const MarginBookConfig& config, const MarginMarket& market,
                                 const Order* except) {
  MarginBook book(underlying, market, config, clock_.Now());
  OrderQuery q;
  q.venue = venue;
  // The account's net positions: every strategy's position in an instrument adds up.
  for (const Position* p : cache_.PositionsOpen(q)) {
    const Instrument* inst = cache_.instrument(p->instrument_id());
    if (inst == nullptr || inst->underlying != underlying) continue;
    book.AddPosition(p->instrument_id(), p->signed_qty_raw() / kFixedScale * inst->multiplier);
  }
  std::vector<const Order*> working = cache_.OrdersOpen(q);
  if (checking_list_ != nullptr) {
    for (const Order* o : *checking_list_) {
      // Not sent yet: it goes out with this one (an OTO child only when its parent fills).
      if (!o->is_open() && o->parent_order_id().empty()) working.push_back(o);
    }
  }
  for (const Order* o : working) {
    if (o == except || o->leaves_qty().raw() <= 0) continue;
    const Instrument* inst = cache_.instrument(o->instrument_id());
    if (inst == nullptr || inst->underlying != underlying) continue;
    book.AddWorking(MakeWorkingLeg(o->client_order_id(), *inst, o->side(), o->leaves_qty(),
                                   o->price() ? o->price() : o->trigger_price()));
  }
  return book;
}

Result<BlockedMargin> RiskEngine::NseBlockedMargin(const Venue& venue,
                                                   const InstrumentId& underlying) {
  auto it = nse_margin_.find(venue);
  if (it == nse_margin_.end()) return MakeError("no NSE margin for venue " + venue.value());
  const CacheMarginMarket market(cache_);
  MarginBook book = NseBookOf(venue, underlying, it->second, market, nullptr);
  return book.Blocked();
}

std::optional<std::string> RiskEngine::CheckNseMargin(const Order& order,
                                                      std::optional<Quantity> leaves,
                                                      std::optional<Price> price,
                                                      std::optional<Price> trigger) {
  if (!config_.check_margin) return std::nullopt;
  const Venue venue = order.instrument_id().venue();
  auto cit = nse_margin_.find(venue);
  if (cit == nse_margin_.end()) return std::nullopt;
  const Instrument* inst = cache_.instrument(order.instrument_id());
  if (inst == nullptr || !IsDerivative(*inst)) return std::nullopt;
  const Account* account = cache_.AccountForVenue(venue);
  if (account == nullptr) return std::nullopt;
  const CacheMarginMarket market(cache_);
  MarginBook book = NseBookOf(venue, inst->underlying, cit->second, market, &order);
  std::optional<Price> px = price ? price : order.price();
  if (!px) px = trigger ? trigger : order.trigger_price();
  auto check = book.Check(MakeWorkingLeg(order.client_order_id(), *inst, order.side(),
                                         leaves.value_or(order.leaves_qty()), px));
  // Without a price for the underlying the book has nothing to compute on: the venue's own
  // check decides when the order arrives (the simulated exchange rejects it then if it still
  // has no price); counted, never guessed.
  if (!check.ok()) {
    ++margin_unchecked_;
    return std::nullopt;
  }
  if (check->required <= Money::Zero()) return std::nullopt;
  // Free = total − everything blocked, with this underlying's block as the book has it now.
  Money reported = Money::Zero();
  if (auto it = account->margins().find(inst->underlying); it != account->margins().end()) {
    reported = it->second.initial + it->second.maintenance;
  }
  const Money free =
      account->balance_free() + reported - check->before.positions - check->before.working;
  if (check->required > free) {
    return fmt::format("insufficient margin: required {}, free {}", check->required.ToDisplay(),
                       free.ToDisplay());
  }
  return std::nullopt;
}

}  // namespace nacre
