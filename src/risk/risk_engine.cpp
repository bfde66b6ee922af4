#include "risk/risk_engine.h"

#include <algorithm>
#include <cstdlib>

#include "model/position_events.h"
#include "risk/cache_margin_market.h"

namespace nacre {

namespace {

// How restrictive a trading state is: ACTIVE < REDUCING < HALTED.
int Severity(TradingState s) {
  return s == TradingState::kActive ? 0 : s == TradingState::kReducing ? 1 : 2;
}

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
  if (config_.live.loss_limits()) {
    // Fills move the day's P&L at once; marks move it with the market: checked on position
    // events, and at most once per interval on account events and market data (after the
    // portfolio, priority 100, and before strategies, 0).
    constexpr int kPriority = 90;
    subscriptions_.push_back(bus_.Subscribe<PositionEvent>(
        topics::kAllPositionEvents, [this](const PositionEvent&) { CheckLossLimits(); },
        kPriority));
    subscriptions_.push_back(bus_.Subscribe<AccountState>(
        topics::kAllAccountEvents, [this](const AccountState&) { MaybeCheckLoss(); }, kPriority));
    subscriptions_.push_back(bus_.Subscribe<QuoteTick>(
        "data.quotes.*", [this](const QuoteTick&) { MaybeCheckLoss(); }, kPriority));
    subscriptions_.push_back(bus_.Subscribe<TradeTick>(
        "data.trades.*", [this](const TradeTick&) { MaybeCheckLoss(); }, kPriority));
    subscriptions_.push_back(bus_.Subscribe<Bar>(
        "data.bars.*", [this](const Bar&) { MaybeCheckLoss(); }, kPriority));
  }
  Initialize();
}

RiskEngine::~RiskEngine() {
  for (SubscriptionId id : subscriptions_) bus_.Unsubscribe(id);
  bus_.DeregisterEndpoint(topics::kRiskEngineExecute);
}

void RiskEngine::ResetState() {
  submit_sec_ = Throttler(config_.max_submit_per_second, kNanosPerSecond);
  submit_min_ = Throttler(config_.max_submit_per_minute, kNanosPerMinute);
  modify_sec_ = Throttler(config_.max_modify_per_second, kNanosPerSecond);
  modify_min_ = Throttler(config_.max_modify_per_minute, kNanosPerMinute);
  state_ = TradingState::kActive;
  state_reason_.clear();
  state_by_loss_ = false;
  denied_ = 0;
  loss_state_ = TradingState::kActive;
  loss_reason_.clear();
  day_ = kNoDay;
  day_baseline_.reset();
  last_pnl_.reset();
  orders_today_ = 0;
  next_loss_check_ = UnixNanos();
  halt_exempt_.clear();
  spreads_indexed_ = false;
  spreads_.clear();
}

void RiskEngine::SetTradingState(TradingState state, std::string reason) {
  state_by_loss_ = false;
  if (state == state_ && reason == state_reason_) return;
  state_ = state;
  state_reason_ = std::move(reason);
  if (state_reason_.empty()) {
    log().Warning("trading state changed to {}", ToString(state));
  } else {
    log().Warning("trading state changed to {}: {}", ToString(state), state_reason_);
  }
  bus_.Publish(topics::kRiskEvents, RiskStateChanged{state, clock_.Now(), state_reason_});
}

std::string RiskEngine::StateMessage() const {
  std::string m = fmt::format("trading state is {}", ToString(state_));
  if (!state_reason_.empty()) m += " (" + state_reason_ + ")";
  return m;
}

void RiskEngine::Forward(const TradingCommand& cmd) {
  if (Status s = bus_.SendNow(topics::kExecEngineExecute, cmd, exec_memo_); !s) {
    log().Error("{}", s.error());
  }
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

void RiskEngine::Deny(const Order& order, Denial d) {
  ++denied_;
  log().Warning("order {} denied: {}: {}", order.client_order_id().value(), d.code, d.message);
  // Built in place and the reasons moved in: a denial copies no strings on its way.
  OrderEvent event(std::in_place_type<OrderDenied>);
  OrderDenied& e = std::get<OrderDenied>(event);
  static_cast<OrderEventHeader&>(e) =
      MakeOrderEventHeader(order, uuids_.Next(), clock_.Now(), clock_.Now());
  e.reason_code = std::move(d.code);
  e.message = std::move(d.message);
  if (Status s = bus_.SendNow(topics::kExecEngineProcess, event, process_memo_); !s) {
    log().Error("{}", s.error());
  }
}

const std::string& RiskEngine::RateMessage(RateText& text, std::int64_t limit,
                                           std::string_view what) {
  if (text.limit != limit || text.message.empty()) {
    text.limit = limit;
    text.message = fmt::format("more than {} {}", limit, what);
  }
  return text.message;
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
  const bool reducing = IsReducing(order);
  // The kill switch's flatten orders pass a halt, as long as they reduce.
  const bool exempt = reducing && halt_exempt_.count(order.client_order_id()) != 0;
  if (state_ == TradingState::kHalted && !exempt) return Denial{"TRADING_HALTED", StateMessage()};
  if (state_ == TradingState::kReducing && !reducing && !deferred) {
    return Denial{"TRADING_REDUCING", StateMessage() + " and the order would not reduce a position"};
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
  if (auto d = CheckLiveLimits(order, *inst, reducing, exempt, scope)) return d;
  // Value the order at its limit (or trigger), else at the current mark.
  std::optional<Price> px = order.price() ? order.price() : order.trigger_price();
  if (!px)
    px = cache_.MarkPrice(order.instrument_id(),
                          order.is_buy() ? PositionSide::kShort : PositionSide::kLong);
  const bool capped = config_.live.capital_cap && !reducing && !deferred;
  const bool needs_value = config_.max_notional_per_order || capped ||
                           (config_.check_margin && !reducing && inst->margin_init_raw > 0);
  if (!px && needs_value) {
    return Denial{"NO_MARK_PRICE", fmt::format("no price to value a {} order in {} (no quote, "
                                               "trade or bar yet)",
                                               ToString(order.order_type()), inst->id.value())};
  }
  std::optional<Money> notional;
  if (px) {
    notional = Money::CheckedNotional(*px, order.quantity(), inst->multiplier, inst->currency);
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
  if (scope == CheckScope::kSingle && !exempt) {
    // The messages are formatted once per limit (a strategy that resubmits after every denial
    // is denied thousands of times a run).
    if (submit_sec_.used(now) >= submit_sec_.limit() && submit_sec_.limit() > 0) {
      return Denial{"RATE_LIMIT_EXCEEDED", RateMessage(rate_sec_text_, submit_sec_.limit(),
                                                       "order submissions per second")};
    }
    if (submit_min_.used(now) >= submit_min_.limit() && submit_min_.limit() > 0) {
      return Denial{"RATE_LIMIT_EXCEEDED", RateMessage(rate_min_text_, submit_min_.limit(),
                                                       "order submissions per minute")};
    }
  }
  if (!deferred) {
    const NseMarginOutcome m = NseMargin(order, std::nullopt, std::nullopt, std::nullopt);
    if (m.denial) return Denial{"INSUFFICIENT_MARGIN", *m.denial};
    if (capped && notional) {
      if (auto d = CheckCapitalCap(MarginEstimate(*inst, *notional, m.check), "order")) return d;
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
  if (config_.live.loss_limits()) CheckLossLimits();
  std::optional<Denial> d = CheckSubmit(*order);
  halt_exempt_.erase(order->client_order_id());
  if (d) {
    Deny(*order, std::move(*d));
    return;
  }
  const UnixNanos now = clock_.Now();
  submit_sec_.TryAcquire(now);
  submit_min_.TryAcquire(now);
  CountSent(*order);
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
  if (config_.live.loss_limits()) CheckLossLimits();
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
  // The day's count, unless every order sent now reduces a position.
  const auto& max_day = config_.live.max_orders_per_day;
  if (!throttled && max_day &&
      orders_today_ + static_cast<std::uint64_t>(sent_now) > static_cast<std::uint64_t>(*max_day) &&
      std::any_of(orders.begin(), orders.end(),
                  [&](const Order* o) { return !is_deferred(*o) && !IsReducing(*o); })) {
    throttled = Denial{"LIVE_MAX_ORDERS_PER_DAY",
                       fmt::format("orders={} limit={} on {} IST: order list {} needs {} more",
                                   orders_today_, *max_day, FormatDate(IstDate(now)),
                                   cmd.order_list_id.value(), sent_now)};
  }
  if (throttled) {
    for (const Order* o : orders) Deny(*o, *throttled);
    return;
  }
  for (int i = 0; i < sent_now; ++i) {
    submit_sec_.TryAcquire(now);
    submit_min_.TryAcquire(now);
  }
  for (const Order* o : orders) {
    if (!is_deferred(*o)) CountSent(*o);
  }
  Forward(cmd);
}

std::optional<RiskEngine::Denial> RiskEngine::CheckModify(const Order& order,
                                                          const ModifyOrder& cmd) {
  const UnixNanos now = clock_.Now();
  if (state_ == TradingState::kHalted) return Denial{"TRADING_HALTED", StateMessage()};
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
    return Denial{"TRADING_REDUCING", StateMessage() + ": quantity may not increase"};
  }
  if (const auto& max = config_.live.max_lots_per_order;
      max && cmd.quantity && LotsOf(*inst, *cmd.quantity) > *max) {
    return Denial{"LIVE_MAX_LOTS_PER_ORDER",
                  fmt::format("lots={} limit={}", LotsOf(*inst, *cmd.quantity), *max)};
  }
  if (cmd.quantity || cmd.price || cmd.trigger_price) {
    const Quantity qty = cmd.quantity.value_or(order.quantity());
    const std::optional<Quantity> leaves =
        qty > order.filled_qty()
            ? std::optional<Quantity>(Quantity::Raw(qty.raw() - order.filled_qty().raw(),
                                                    qty.precision()))
            : std::nullopt;
    if (leaves) {
      const NseMarginOutcome m = NseMargin(order, leaves, cmd.price, cmd.trigger_price);
      if (m.denial) return Denial{"INSUFFICIENT_MARGIN", *m.denial};
      // The capital cap on what the modify adds, when the margin book can say.
      if (config_.live.capital_cap && m.check && m.check->required > Money::Zero()) {
        if (auto d = CheckCapitalCap(m.check->required, "modify")) return d;
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
    if (Status s = bus_.SendNow(topics::kExecEngineProcess, OrderEvent(e), process_memo_); !s) {
      log().Error("{}", s.error());
    }
    return;
  }
  Forward(cmd);
}

MarginBook RiskEngine::NseBookOf(const Venue& venue, const InstrumentId& underlying,
                                 const MarginBookConfig& config, const MarginMarket& market,
                                 const Order* except) {
  MarginBook book(underlying, market, config, clock_.Now(), &nse_margin_cache_[venue]);
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
  return NseMargin(order, leaves, price, trigger).denial;
}

RiskEngine::NseMarginOutcome RiskEngine::NseMargin(const Order& order,
                                                   std::optional<Quantity> leaves,
                                                   std::optional<Price> price,
                                                   std::optional<Price> trigger) {
  NseMarginOutcome out;
  if (!config_.check_margin) return out;
  const Venue venue = order.instrument_id().venue();
  auto cit = nse_margin_.find(venue);
  if (cit == nse_margin_.end()) return out;
  const Instrument* inst = cache_.instrument(order.instrument_id());
  if (inst == nullptr || !IsDerivative(*inst)) return out;
  const Account* account = cache_.AccountForVenue(venue);
  if (account == nullptr) return out;
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
    return out;
  }
  out.check = *check;
  if (check->required <= Money::Zero()) return out;
  // Free = total − everything blocked, with this underlying's block as the book has it now.
  Money reported = Money::Zero();
  if (auto it = account->margins().find(inst->underlying); it != account->margins().end()) {
    reported = it->second.initial + it->second.maintenance;
  }
  const Money free =
      account->balance_free() + reported - check->before.positions - check->before.working;
  if (check->required > free) {
    out.denial = fmt::format("insufficient margin: required {}, free {}",
                             check->required.ToDisplay(), free.ToDisplay());
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// [risk.live]

std::int64_t RiskEngine::LotsOf(const Instrument& inst, Quantity qty) const {
  const std::int64_t lot = inst.lot_size.raw();
  return lot > 0 ? (qty.raw() + lot - 1) / lot : 0;  // a part of a lot counts as a lot
}

std::optional<RiskEngine::Denial> RiskEngine::CheckLiveLimits(const Order& order,
                                                              const Instrument& inst,
                                                              bool reducing, bool exempt,
                                                              CheckScope scope) {
  const LiveRiskLimits& lim = config_.live;
  if (lim.max_lots_per_order) {
    const std::int64_t lots = LotsOf(inst, order.quantity());
    if (lots > *lim.max_lots_per_order) {
      return Denial{"LIVE_MAX_LOTS_PER_ORDER",
                    fmt::format("lots={} limit={}", lots, *lim.max_lots_per_order)};
    }
  }
  // The day's count (lists are counted as a whole by their caller). An order that reduces a
  // position is never refused for it, so a position can always be closed.
  if (lim.max_orders_per_day && scope == CheckScope::kSingle && !reducing && !exempt) {
    const UnixNanos now = clock_.Now();
    RollDay(now);
    if (orders_today_ >= static_cast<std::uint64_t>(*lim.max_orders_per_day)) {
      return Denial{"LIVE_MAX_ORDERS_PER_DAY",
                    fmt::format("orders={} limit={} on {} IST", orders_today_,
                                *lim.max_orders_per_day, FormatDate(IstDate(now)))};
    }
  }
  if (!lim.spread_limits() || scope == CheckScope::kDeferredChild) return std::nullopt;
  const std::optional<SpreadLegTag> tag = ParseSpreadLegTag(order.tags());
  if (!tag || tag->purpose != SpreadLegPurpose::kOpen) return std::nullopt;
  EnsureSpreadIndex();
  const std::string key = SpreadKey(order.strategy_id(), tag->spread_id);
  if (lim.max_open_spreads && spreads_.count(key) == 0) {
    // The spread's first order: one more open spread.
    const std::size_t open = OpenSpreadCount();
    if (open >= static_cast<std::size_t>(*lim.max_open_spreads)) {
      return Denial{"LIVE_MAX_OPEN_SPREADS",
                    fmt::format("open={} limit={}: spread {} would be one more", open,
                                *lim.max_open_spreads, tag->spread_id)};
    }
  }
  if (lim.max_lots_per_spread) {
    auto it = spreads_.find(key);
    const std::int64_t lots = LotsOf(inst, order.quantity()) +
                              (it == spreads_.end() ? 0 : SpreadLegLots(it->second, tag->leg));
    if (lots > *lim.max_lots_per_spread) {
      return Denial{"LIVE_MAX_LOTS_PER_SPREAD",
                    fmt::format("spread={} leg={} lots={} limit={}", tag->spread_id, tag->leg,
                                lots, *lim.max_lots_per_spread)};
    }
  }
  return std::nullopt;
}

Money RiskEngine::MarginEstimate(const Instrument& inst, const Money& notional,
                                 const std::optional<MarginCheck>& nse) const {
  if (nse) return nse->required > Money::Zero() ? nse->required : Money::Zero(notional.currency());
  if (inst.margin_init_raw > 0) {
    return Money::FromRaw(
        static_cast<std::int64_t>(
            DivRound(static_cast<Int128>(notional.raw()) * inst.margin_init_raw, kFixedScale)),
        notional.currency());
  }
  return notional;
}

std::optional<RiskEngine::Denial> RiskEngine::CheckCapitalCap(const Money& increase,
                                                              const char* what) {
  const Money deployed = DeployedCapital();
  if (deployed + increase > *config_.live.capital_cap) {
    return Denial{"LIVE_CAPITAL_CAP",
                  fmt::format("deployed={} + {}={} exceeds cap={}", deployed.ToDisplay(), what,
                              increase.ToDisplay(), config_.live.capital_cap->ToDisplay())};
  }
  return std::nullopt;
}

Money RiskEngine::DeployedCapital() const {
  Money total = Money::Zero();
  for (const Account* a : cache_.Accounts()) total += a->balance_locked();
  // A long option's premium left the balance when it filled (premium style): still deployed.
  for (const Position* p : cache_.PositionsOpen()) {
    if (p->side() != PositionSide::kLong) continue;
    const Instrument* inst = cache_.instrument(p->instrument_id());
    if (inst == nullptr || inst->instrument_class != InstrumentClass::kOption) continue;
    total += Money::Notional(p->avg_px_open(), p->quantity(), p->multiplier(), inst->currency);
  }
  return total;
}

void RiskEngine::CountSent(const Order& order) {
  RollDay(clock_.Now());
  ++orders_today_;
  if (config_.live.spread_limits()) {
    EnsureSpreadIndex();
    TrackSpreadOrder(order);
  }
}

void RiskEngine::RollDay(UnixNanos now) {
  const std::int64_t day = IstDayNumber(now);
  if (day == day_) return;
  const bool first = day_ == kNoDay;
  day_ = day;
  orders_today_ = 0;
  if (first) {
    // A node restarted during the day finds the day's orders in its cache (recovery).
    for (const Order* o : cache_.Orders()) {
      if (o->status() == OrderStatus::kInitialized || o->status() == OrderStatus::kDenied) continue;
      if (IstDayNumber(o->init().ts_init) == day) ++orders_today_;
    }
  }
  // The day's loss is measured from the last P&L seen the day before (its closing marks), or,
  // on the first day, from the first check.
  day_baseline_ = first ? std::nullopt : last_pnl_;
  loss_state_ = TradingState::kActive;
  loss_reason_.clear();
  if (state_by_loss_ && state_ != TradingState::kActive) {
    SetTradingState(TradingState::kActive,
                    fmt::format("new IST day {}: the daily loss limits start again",
                                FormatDate(CivilFromDays(day))));
  }
}

void RiskEngine::SetStateByLoss(TradingState state, const std::string& reason) {
  SetTradingState(state, reason);
  state_by_loss_ = true;
}

void RiskEngine::CheckLossLimits() {
  const LiveRiskLimits& lim = config_.live;
  // Not before the engine runs: a node's recovery replays the journal's fills (position
  // events) on a clock that has not yet resumed; the day's baseline comes from the snapshot.
  if (!lim.loss_limits() || !pnl_source_ || !is_running()) return;
  const UnixNanos now = clock_.Now();
  RollDay(now);
  next_loss_check_ = now + lim.loss_check_interval;
  const Money pnl = pnl_source_();
  last_pnl_ = pnl;
  if (!day_baseline_) day_baseline_ = pnl;
  const Money loss = *day_baseline_ - pnl;  // positive: lost today
  TradingState reached = TradingState::kActive;
  std::string why;
  if (lim.daily_loss_hard && loss >= *lim.daily_loss_hard) {
    reached = TradingState::kHalted;
    why = fmt::format("LIVE_DAILY_LOSS_HARD: loss={} limit={}", loss.ToDisplay(),
                      lim.daily_loss_hard->ToDisplay());
  } else if (lim.daily_loss_soft && loss >= *lim.daily_loss_soft) {
    reached = TradingState::kReducing;
    why = fmt::format("LIVE_DAILY_LOSS_SOFT: loss={} limit={}", loss.ToDisplay(),
                      lim.daily_loss_soft->ToDisplay());
  }
  // Latched for the day: a loss that recovers does not lift the state.
  if (Severity(reached) > Severity(loss_state_)) {
    loss_state_ = reached;
    loss_reason_ = why;
  }
  if (Severity(state_) < Severity(loss_state_)) SetStateByLoss(loss_state_, loss_reason_);
}

std::optional<Money> RiskEngine::daily_pnl() const {
  if (!day_baseline_ || !last_pnl_) return std::nullopt;
  return *last_pnl_ - *day_baseline_;
}

void RiskEngine::SetDailyPnlBaseline(Money baseline) {
  RollDay(clock_.Now());
  day_baseline_ = baseline;
}

std::string RiskEngine::SpreadKey(const StrategyId& strategy, const std::string& spread_id) {
  return strategy.value() + "/" + spread_id;
}

void RiskEngine::TrackSpreadOrder(const Order& order) {
  const std::optional<SpreadLegTag> tag = ParseSpreadLegTag(order.tags());
  if (!tag) return;
  spreads_[SpreadKey(order.strategy_id(), tag->spread_id)].push_back(
      TrackedLeg{order.client_order_id(), tag->leg, tag->purpose});
}

void RiskEngine::EnsureSpreadIndex() {
  if (spreads_indexed_) return;
  spreads_indexed_ = true;
  // Spread orders sent before this engine tracked them (a restarted node's recovered cache).
  for (const Order* o : cache_.Orders()) {
    if (o->status() == OrderStatus::kInitialized || o->status() == OrderStatus::kDenied) continue;
    TrackSpreadOrder(*o);
  }
}

bool RiskEngine::SpreadLive(const std::vector<TrackedLeg>& legs) const {
  std::map<InstrumentId, std::int64_t> net;  // signed filled quantity per instrument
  StrategyId strategy;
  for (const TrackedLeg& t : legs) {
    const Order* o = cache_.order(t.id);
    if (o == nullptr) continue;
    if (!o->is_closed()) return true;  // working
    strategy = o->strategy_id();
    net[o->instrument_id()] += o->is_buy() ? o->filled_qty().raw() : -o->filled_qty().raw();
  }
  const UnixNanos now = clock_.Now();
  for (const auto& [id, qty] : net) {
    if (qty == 0) continue;
    const Instrument* inst = cache_.instrument(id);
    if (inst != nullptr && inst->IsExpired(now)) continue;  // settled at expiry
    // Flat in the strategy's book (closed by orders outside the spread, e.g. a flatten).
    const Position* pos = cache_.position(NettingPositionId(id, strategy));
    if (pos == nullptr || pos->is_closed()) continue;
    return true;
  }
  return false;
}

std::int64_t RiskEngine::SpreadLegLots(const std::vector<TrackedLeg>& legs, int leg) const {
  std::int64_t lots = 0;
  for (const TrackedLeg& t : legs) {
    if (t.leg != leg || t.purpose != SpreadLegPurpose::kOpen) continue;
    const Order* o = cache_.order(t.id);
    const Instrument* inst = o != nullptr ? cache_.instrument(o->instrument_id()) : nullptr;
    if (inst == nullptr) continue;
    // An order that ended opened what filled; a working one may still open all of it.
    lots += LotsOf(*inst, o->is_closed() ? o->filled_qty() : o->quantity());
  }
  return lots;
}

std::size_t RiskEngine::OpenSpreadCount() {
  EnsureSpreadIndex();
  std::erase_if(spreads_, [this](const auto& kv) { return !SpreadLive(kv.second); });
  return spreads_.size();
}

}  // namespace nacre
