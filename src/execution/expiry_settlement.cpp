#include "execution/expiry_settlement.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "common/topics.h"
#include "execution/execution_engine.h"

namespace nacre {

namespace {
// Above every strategy and actor: a position is settled before anyone sees the closing print.
constexpr int kPriority = 1'000;
}  // namespace

ExpirySettlement::ExpirySettlement(MessageBus& bus, Cache& cache, ExecutionEngine& engine,
                                   Clock& clock, UuidGenerator& uuids, Logger& logger)
    : bus_(bus),
      cache_(cache),
      engine_(engine),
      clock_(clock),
      uuids_(uuids),
      log_(&logger, "ExpirySettlement") {
  positions_sub_ = bus_.Subscribe<PositionEvent>(
      "events.position.*", [this](const PositionEvent& e) { OnPositionEvent(e); }, kPriority);
}

ExpirySettlement::~ExpirySettlement() {
  bus_.Unsubscribe(positions_sub_);
  for (auto& [id, w] : watched_) {
    for (SubscriptionId s : w.subs) bus_.Unsubscribe(s);
  }
  for (UnixNanos t : alerts_) clock_.CancelTimer(fmt::format("ExpirySettlement:{}", t.value));
}

void ExpirySettlement::Reset() {
  for (auto& [id, w] : watched_) {
    for (SubscriptionId s : w.subs) bus_.Unsubscribe(s);
  }
  watched_.clear();
  for (UnixNanos t : alerts_) clock_.CancelTimer(fmt::format("ExpirySettlement:{}", t.value));
  alerts_.clear();
  next_id_ = 0;
  settled_ = 0;
  scanned_version_ = UINT64_MAX;
  earliest_expiry_ = UnixNanos(INT64_MIN);
}

void ExpirySettlement::OnPositionEvent(const PositionEvent& e) {
  const auto* opened = std::get_if<PositionOpened>(&e);
  if (opened == nullptr) return;
  const Instrument* inst = cache_.instrument(opened->instrument_id);
  if (inst == nullptr || inst->instrument_class != InstrumentClass::kOption) return;
  Watch(*inst);
}

void ExpirySettlement::Watch(const Instrument& option) {
  const InstrumentId& u = option.underlying;
  if (!u.empty() && watched_.count(u) == 0) {
    Watched& w = watched_[u];  // a map node: the handlers keep its address until Reset
    Watched* wp = &w;
    w.subs.push_back(bus_.Subscribe<QuoteTick>(
        topics::Quotes(u),
        [this, u, wp](const QuoteTick& q) {
          if (q.bid_price.raw() > 0 && q.ask_price.raw() > 0) {
            OnUnderlying(*wp, u, q.Mid(), q.ts_init);
          }
        },
        kPriority));
    w.subs.push_back(bus_.Subscribe<TradeTick>(
        topics::Trades(u),
        [this, u, wp](const TradeTick& t) { OnUnderlying(*wp, u, t.price, t.ts_init); },
        kPriority));
    w.subs.push_back(bus_.Subscribe<Bar>(
        "data.bars." + u.value() + "-*",
        [this, u, wp](const Bar& b) { OnUnderlying(*wp, u, b.close, b.ts_init); }, kPriority));
  }
  // An alert just past the expiration: settles at the last price if no print came at it.
  const UnixNanos at = option.expiration + 1;
  if (alerts_.count(at) == 0 && at > clock_.Now()) {
    const Status s = clock_.SetTimeAlert(fmt::format("ExpirySettlement:{}", at.value), at,
                                         [this, at](const TimeEvent&) {
                                           alerts_.erase(at);
                                           SettleDue();
                                         });
    if (s) alerts_.insert(at);
  }
}

void ExpirySettlement::OnUnderlying(Watched& w, const InstrumentId& id, Price px, UnixNanos ts) {
  if (ts >= w.last_ts) {
    w.last = px;
    w.last_ts = ts;
  }
  SettleDue(id, px);
}

std::optional<Price> ExpirySettlement::LastPrice(const InstrumentId& underlying) const {
  auto it = watched_.find(underlying);
  if (it != watched_.end() && it->second.last) return it->second.last;
  if (const TradeTick* t = cache_.trade(underlying)) return t->price;
  if (const QuoteTick* q = cache_.quote(underlying)) {
    if (q->bid_price.raw() > 0 && q->ask_price.raw() > 0) return q->Mid();
  }
  return cache_.MarkPrice(underlying, PositionSide::kFlat);
}

std::size_t ExpirySettlement::SettleDue(const std::optional<InstrumentId>& underlying,
                                        std::optional<Price> underlying_px) {
  const UnixNanos now = clock_.Now();
  // Every underlying print calls this: while the open positions are as last scanned and none
  // of their options has expired, nothing can be due (an instrument's expiration is taken as
  // fixed once defined: the cache's definitions are added, not redated).
  const std::uint64_t version = cache_.open_positions_version();
  if (version == scanned_version_ && now < earliest_expiry_) return 0;
  std::vector<const Position*> due;
  UnixNanos earliest(INT64_MAX);
  for (const Position* p : cache_.PositionsOpen()) {
    const Instrument* inst = cache_.instrument(p->instrument_id());
    if (inst == nullptr) {
      earliest = UnixNanos(INT64_MIN);  // its definition may come later: scan again
      continue;
    }
    if (inst->instrument_class != InstrumentClass::kOption || !inst->has_expiry()) continue;
    earliest = std::min(earliest, inst->expiration);
    if (!inst->IsExpired(now)) continue;
    if (underlying && inst->underlying != *underlying) continue;
    due.push_back(p);
  }
  scanned_version_ = version;
  earliest_expiry_ = earliest;
  std::size_t n = 0;
  for (const Position* p : due) {
    const Instrument& inst = *cache_.instrument(p->instrument_id());
    const std::optional<Price> s =
        underlying && underlying_px ? underlying_px : LastPrice(inst.underlying);
    if (!s) {
      log_.Warning("{} expired but {} has no price: left open until one comes",
                   inst.id.value(), inst.underlying.value());
      continue;
    }
    Settle(*p, inst, *s, now);
    ++n;
  }
  return n;
}

void ExpirySettlement::Settle(const Position& p, const Instrument& inst, Price s, UnixNanos now) {
  const std::int64_t diff = inst.option_kind == OptionKind::kCall ? s.raw() - inst.strike.raw()
                                                                  : inst.strike.raw() - s.raw();
  // Intrinsic value on the option's price precision (half away from zero, as every price).
  const Price intrinsic =
      Price::Raw(RoundRaw(std::max<std::int64_t>(diff, 0), inst.price_precision),
                 inst.price_precision);
  const Venue venue = inst.id.venue();
  const Account* account = cache_.AccountForVenue(venue);
  ExecutionClient* client = engine_.ClientForVenue(venue);
  const bool long_pos = p.signed_qty_raw() > 0;
  const PositionSide side = p.side();
  const Quantity qty = p.quantity();
  OrderInitialized init;
  init.trader_id = p.trader_id();
  init.strategy_id = p.strategy_id();
  init.instrument_id = inst.id;
  init.client_order_id = ClientOrderId(fmt::format("{}-SETTLE-{}", venue.value(), ++next_id_));
  init.event_id = uuids_.Next();
  init.ts_event = now;
  init.ts_init = now;
  init.side = long_pos ? OrderSide::kSell : OrderSide::kBuy;
  init.order_type = OrderType::kMarket;
  init.quantity = qty;
  init.tags = "expiry-settlement";
  if (Status st = cache_.AddOrder(std::make_unique<Order>(init), p.id(), /*assign_tag=*/false);
      !st) {
    log_.Error("settlement of {} not booked: {}", inst.id.value(), st.error());
    return;
  }
  const AccountId account_id = account != nullptr ? account->id() : AccountId();
  OrderRef ref = RefOf(*cache_.order(init.client_order_id));
  ref.venue_order_id = VenueOrderId(init.client_order_id.value());
  engine_.Process(MakeVenueEvent<OrderSubmitted>(ref, account_id, uuids_.Next(), now, now));
  engine_.Process(MakeVenueEvent<OrderAccepted>(ref, account_id, uuids_.Next(), now, now));
  ChargeBreakdown charges;
  if (client != nullptr) {
    charges = client->ExpiryCharges(IstDate(now), side,
                                    Money::Notional(intrinsic, qty, inst.multiplier));
  }
  const OrderFilled fill =
      MakeFill(ref, account_id, uuids_.Next(), now, now, TradeId(init.client_order_id.value()),
               qty, intrinsic, charges, LiquiditySide::kNone);
  engine_.Process(fill);
  ++settled_;
  log_.Info("{} settled at expiry: {} {} at intrinsic {} (underlying {})", inst.id.value(),
            ToString(init.side), qty.ToString(), intrinsic.ToString(), s.ToString());
  if (client != nullptr) client->OnPositionSettled(inst.id, intrinsic);
}

}  // namespace nacre
