#include "venue/simulated_exchange.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/fixed.h"
#include "pricing/black.h"

namespace nacre {

namespace {

constexpr int kMaxWalkLevels = 100'000;
constexpr double kNanosPerYear = 365.0 * static_cast<double>(kNanosPerDay);

bool IsStop(OrderType t) { return t == OrderType::kStopMarket || t == OrderType::kStopLimit; }
bool IsMarketLike(OrderType t) { return t == OrderType::kMarket || t == OrderType::kStopMarket; }

// Floors (buy) or ceils (sell) a raw price to the tick grid.
Price ToTick(std::int64_t raw, const Price& tick, bool down, int precision) {
  const std::int64_t t = tick.raw();
  if (t <= 0) return Price::Raw(raw, precision);
  std::int64_t q = raw / t;
  if (!down && q * t < raw) ++q;
  if (q < 0) q = 0;
  return Price::Raw(q * t, precision);
}

std::optional<double> MarkOf(const std::optional<QuoteTick>& q, const std::optional<Price>& last,
                             const std::optional<Bar>& bar) {
  if (q && q->bid_price.raw() > 0 && q->ask_price.raw() > 0) {
    return (q->bid_price.AsDouble() + q->ask_price.AsDouble()) / 2;
  }
  if (last) return last->AsDouble();
  if (bar) return bar->close.AsDouble();
  return std::nullopt;
}

}  // namespace

SimulatedExchange::SimulatedExchange(const SimulatedExchangeConfig& config, Cache& cache)
    : MatchingVenue(ClientId(config.venue.value()), config.venue, config.account_id),
      config_(config),
      cache_(cache),
      schedule_(config.schedule ? config.schedule
                                : std::make_shared<const ChargeSchedule>(
                                      ChargeSchedule::ZerodhaIndexOptions())),
      rng_(config.fill.seed) {
  charges_.emplace(*schedule_);
}

// ---- commands and the latency inbox ----

void SimulatedExchange::Enqueue(const Pending& p) {
  // After every command due at or before p.due: (due, arrival order).
  auto it = std::upper_bound(inbox_.begin(), inbox_.end(), p.due,
                             [](UnixNanos due, const Pending& q) { return due < q.due; });
  inbox_.insert(it, p);
  WakeAt(p.due);
}

void SimulatedExchange::Housekeeping() {
  const UnixNanos now = Now();
  if (last_housekeeping_ && *last_housekeeping_ == now) return;
  last_housekeeping_ = now;
  ExpireOrders();
}

void SimulatedExchange::SubmitOrder(const nacre::SubmitOrder& /*cmd*/, const Order& order) {
  GenerateOrderSubmitted(order, Now());
  Enqueue(Pending{
      Pending::Kind::kSubmit, Now() + config_.latency.submit, next_cmd_++, &order, {}, {}, {}});
}

void SimulatedExchange::ModifyOrder(const nacre::ModifyOrder& cmd, const Order& order) {
  Enqueue(Pending{Pending::Kind::kModify, Now() + config_.latency.modify, next_cmd_++, &order,
                  cmd.quantity, cmd.price, cmd.trigger_price});
}

void SimulatedExchange::CancelOrder(const nacre::CancelOrder& /*cmd*/, const Order& order) {
  // With no latency the cancel stops matching at once (an OCO peer's fill must not let both
  // legs fill on one update); with latency the order stays live until the cancel arrives.
  if (config_.latency.cancel == 0) cancel_requested_.insert(order.client_order_id());
  Enqueue(Pending{
      Pending::Kind::kCancel, Now() + config_.latency.cancel, next_cmd_++, &order, {}, {}, {}});
}

void SimulatedExchange::QueryOrder(const nacre::QueryOrder& /*cmd*/, const Order& order) {
  EmitReport(StatusReportOf(order));
}

std::size_t SimulatedExchange::ProcessCommands() {
  const std::size_t before = next_cmd_ - inbox_.size();
  ProcessDue(Now());
  Housekeeping();
  FlushMargins();
  return (next_cmd_ - inbox_.size()) - before;
}

void SimulatedExchange::ProcessDue(UnixNanos until) {
  while (!inbox_.empty() && inbox_.front().due <= until) {
    const Pending p = inbox_.front();
    inbox_.pop_front();
    Handle(p);
  }
}

void SimulatedExchange::Handle(const Pending& p) {
  const Order& order = *p.order;
  switch (p.kind) {
    case Pending::Kind::kSubmit:
      if (!AwaitsArrival(order) || resting_seq_.count(order.client_order_id())) return;
      Arrive(order, p.due);
      return;
    case Pending::Kind::kModify: {
      auto it = resting_seq_.find(order.client_order_id());
      if (it == resting_seq_.end()) {
        GenerateOrderModifyRejected(order, "order not open at venue", p.due);
        return;
      }
      const Quantity qty = p.quantity.value_or(order.quantity());
      if (qty <= order.filled_qty()) {
        GenerateOrderModifyRejected(order,
                                    fmt::format("quantity {} not above filled {}", qty.ToString(),
                                                order.filled_qty().ToString()),
                                    p.due);
        return;
      }
      const Instrument* inst = InstrumentOf(order);
      if (inst != nullptr) {
        if (!inst->IsLotMultiple(qty)) {
          GenerateOrderModifyRejected(
              order,
              fmt::format("quantity {} is not a multiple of the lot size {}", qty.ToString(),
                          inst->lot_size.ToString()),
              p.due);
          return;
        }
        if (inst->freeze_quantity && qty > *inst->freeze_quantity) {
          GenerateOrderModifyRejected(
              order,
              fmt::format("quantity {} exceeds the freeze quantity {}", qty.ToString(),
                          inst->freeze_quantity->ToString()),
              p.due);
          return;
        }
        if (p.price && !inst->OnTickGrid(*p.price)) {
          GenerateOrderModifyRejected(order,
                                      fmt::format("price {} is not on the tick grid {}",
                                                  p.price->ToString(), inst->tick_size.ToString()),
                                      p.due);
          return;
        }
        if (order.order_type() == OrderType::kLimit) {
          if (const std::string why = CheckLpp(order, *inst, p.price); !why.empty()) {
            GenerateOrderModifyRejected(order, why, p.due);
            return;
          }
        }
      }
      // A triggered stop-market works at its protection limit: its margin is priced there.
      std::optional<Price> margin_price = p.price;
      if (const Resting& rr = resting_.at(it->second); !margin_price && rr.triggered && rr.limit) {
        margin_price = rr.limit;
      }
      if (const std::string why =
              CheckMargin(order, qty - order.filled_qty(), margin_price, p.trigger);
          !why.empty()) {
        GenerateOrderModifyRejected(order, why, p.due);
        return;
      }
      GenerateOrderUpdated(order, qty, p.price ? p.price : order.price(),
                           p.trigger ? p.trigger : order.trigger_price(), p.due);
      MarginChanged(order);
      Resting& r = resting_.at(it->second);
      if (Execute(r, false)) Remove(order.client_order_id());
      return;
    }
    case Pending::Kind::kCancel:
      cancel_requested_.erase(order.client_order_id());
      if (!resting_seq_.count(order.client_order_id())) {
        GenerateOrderCancelRejected(order, "order not open at venue", p.due);
        return;
      }
      Remove(order.client_order_id());
      GenerateOrderCanceled(order, p.due);
      return;
  }
}

const Instrument* SimulatedExchange::InstrumentOf(const Order& order) const {
  return cache_.instrument(order.instrument_id());
}

std::string SimulatedExchange::CheckRules(const Order& order, const Instrument* inst,
                                          UnixNanos at) {
  if (inst == nullptr) return fmt::format("unknown instrument {}", order.instrument_id().value());
  if (!inst->is_tradable()) return fmt::format("{} is not tradable", inst->id.value());
  if (inst->IsExpired(at)) {
    return fmt::format("instrument {} expired at {}", inst->id.value(),
                       FormatIst(inst->expiration));
  }
  if (config_.hours != nullptr) {
    const std::string why = config_.hours->ClosedReason(*inst, at);
    if (!why.empty()) return fmt::format("market closed: {}", why);
  }
  if (config_.charges && inst->instrument_class == InstrumentClass::kFuture) {
    return "no charge schedule for futures (NSE_FNO.md gives index options only); turn charges "
           "off to trade futures";
  }
  if (!inst->IsLotMultiple(order.quantity())) {
    return fmt::format("quantity {} is not a multiple of the lot size {}",
                       order.quantity().ToString(), inst->lot_size.ToString());
  }
  if (inst->freeze_quantity && order.quantity() > *inst->freeze_quantity) {
    return fmt::format("quantity {} exceeds the freeze quantity {}", order.quantity().ToString(),
                       inst->freeze_quantity->ToString());
  }
  for (const std::optional<Price>& px : {order.price(), order.trigger_price()}) {
    if (px && !inst->OnTickGrid(*px)) {
      return fmt::format("price {} is not on the tick grid {}", px->ToString(),
                         inst->tick_size.ToString());
    }
  }
  if (order.time_in_force() == TimeInForce::kGtd && order.expire_time() <= at) {
    return fmt::format("GTD expire time {} already passed", FormatIst(order.expire_time()));
  }
  if (config_.require_market_protection && IsMarketLike(order.order_type()) &&
      order.market_protection_pct_raw() == 0 && config_.market_protection_pct_raw == 0 &&
      at >= FromIst(2026, 4, 1, 0, 0)) {
    return "market orders without market protection are not allowed (SEBI rules from "
           "2026-04-01): set market_protection";
  }
  if (order.order_type() == OrderType::kLimit) return CheckLpp(order, *inst, order.price());
  return {};
}

std::string SimulatedExchange::CheckLpp(const Order& order, const Instrument& inst,
                                        std::optional<Price> price) const {
  if (!config_.lpp || !price) return {};
  auto mit = markets_.find(order.instrument_id());
  if (mit == markets_.end()) return {};
  const Market& m = mit->second;
  std::optional<Price> ref = m.last;
  if (!ref && m.quote && m.quote->bid_price.raw() > 0 && m.quote->ask_price.raw() > 0) {
    ref = m.quote->Mid();
  }
  if (!ref && m.bar) ref = m.bar->close;
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

void SimulatedExchange::Arrive(const Order& order, UnixNanos at) {
  const Instrument* inst = InstrumentOf(order);
  std::string why = CheckRules(order, inst, at);
  if (why.empty()) why = CheckMargin(order);
  if (!why.empty()) {
    GenerateOrderRejected(order, why, at);
    return;
  }
  GenerateOrderAccepted(order, NextVenueOrderId(), at);
  Rest(order, at, std::nullopt, false);
  const std::uint64_t seq = resting_seq_.at(order.client_order_id());
  Resting& r = resting_.at(seq);
  if (IsStop(order.order_type())) {
    auto mit = markets_.find(order.instrument_id());
    if (mit == markets_.end() || !CheckTrigger(r, mit->second, std::nullopt)) {
      if (order.time_in_force() == TimeInForce::kIoc) {
        Remove(order.client_order_id());
        GenerateOrderCanceled(order, at);
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
    GenerateOrderCanceled(order, at);
  }
}

void SimulatedExchange::Rest(const Order& order, UnixNanos since, std::optional<Price> limit,
                             bool triggered) {
  const std::uint64_t seq = next_seq_++;
  std::optional<UnixNanos> expires;
  if (order.time_in_force() == TimeInForce::kDay) {
    // The close of the session the order was accepted in (a special or shortened day's own).
    const Instrument* inst = InstrumentOf(order);
    if (config_.hours != nullptr && inst != nullptr)
      expires = config_.hours->DayClose(*inst, since);
    if (!expires) {
      const CivilDate d = IstDate(since);
      expires = FromIst(d.year, d.month, d.day, config_.close_hour_ist, config_.close_minute_ist);
    }
  } else if (order.time_in_force() == TimeInForce::kGtd) {
    expires = order.expire_time();
  }
  resting_.emplace(seq, Resting{&order, since, limit, triggered, expires});
  resting_seq_[order.client_order_id()] = seq;
  MarginChanged(order);
}

void SimulatedExchange::Remove(const ClientOrderId& id) {
  auto it = resting_seq_.find(id);
  if (it == resting_seq_.end()) return;
  MarginChanged(*resting_.at(it->second).order);
  resting_.erase(it->second);
  resting_seq_.erase(it);
}

// ---- matching ----

bool SimulatedExchange::Touch() {
  const double p = config_.fill.limit_touch_probability;
  if (p >= 1.0) return true;
  if (p <= 0.0) return false;
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < p;
}

std::optional<Price> SimulatedExchange::EffectiveLimit(const Resting& r) const {
  const Order& o = *r.order;
  if (o.order_type() == OrderType::kLimit || o.order_type() == OrderType::kStopLimit) {
    return o.price();
  }
  return r.limit;
}

bool SimulatedExchange::CheckTrigger(Resting& r, const Market& m, std::optional<Price> last) {
  if (r.triggered) return true;
  const Order& o = *r.order;
  const Price trigger = *o.trigger_price();
  const bool buy = o.is_buy();
  std::optional<Price> px;  // the price that may trigger it
  if (config_.fill.stop_trigger == StopTriggerSource::kBidAsk && m.quote) {
    px = buy ? m.quote->ask_price : m.quote->bid_price;
  } else if (last) {
    px = *last;
  }
  if (!px || (buy ? *px < trigger : *px > trigger)) return false;
  Triggered(r, *px);
  return true;
}

void SimulatedExchange::Triggered(Resting& r, Price market) {
  const Order& o = *r.order;
  r.triggered = true;
  if (o.order_type() == OrderType::kStopMarket && !r.limit) {
    if (const Instrument* inst = InstrumentOf(o)) {
      r.limit = ProtectionLimit(o, *inst,
                                config_.stop_protection == StopProtectionReference::kTrigger
                                    ? *o.trigger_price()
                                    : market);
    }
  }
  GenerateOrderTriggered(o, Now());
  MarginChanged(o);  // a protected stop-market's margin is now priced at its limit
  // NSE applies limit price protection to a stop-limit when it is released into the book:
  // a limit beyond the band then is rejected (the callers drop the closed order).
  if (o.order_type() == OrderType::kStopLimit) {
    if (const Instrument* inst = InstrumentOf(o)) {
      if (const std::string why = CheckLpp(o, *inst, o.price()); !why.empty()) {
        GenerateOrderRejected(o, why + " (at trigger)", Now());
      }
    }
  }
}

std::optional<Price> SimulatedExchange::ProtectionLimit(const Order& o, const Instrument& inst,
                                                        Price ref) const {
  const std::int64_t pct = o.market_protection_pct_raw() != 0 ? o.market_protection_pct_raw()
                                                              : config_.market_protection_pct_raw;
  if (pct <= 0) return std::nullopt;
  const bool buy = o.is_buy();
  const Int128 hundred = static_cast<Int128>(100) * kFixedScale;
  const Int128 raw =
      DivRound(static_cast<Int128>(ref.raw()) * (buy ? hundred + pct : hundred - pct), hundred);
  return ToTick(static_cast<std::int64_t>(raw), inst.tick_size, buy, ref.precision());
}

bool SimulatedExchange::Execute(Resting& r, bool arriving) {
  const Order& o = *r.order;
  if (IsStop(o.order_type()) && !r.triggered) return false;
  const Instrument* inst = InstrumentOf(o);
  auto mit = markets_.find(o.instrument_id());
  if (inst == nullptr || mit == markets_.end()) return false;
  Market& m = mit->second;
  const bool buy = o.is_buy();
  const bool ioc = o.time_in_force() == TimeInForce::kIoc;
  // Kite market protection: a limit at the reference price ± p%, fixed when first priced (a
  // triggered stop's was fixed when it triggered).
  if (IsMarketLike(o.order_type()) && !r.limit) {
    std::optional<Price> ref;
    if (m.quote) {
      ref = buy ? m.quote->ask_price : m.quote->bid_price;
    } else if (m.last) {
      ref = m.last;
    } else if (m.bar) {
      ref = m.bar->close;
    }
    if (ref) r.limit = ProtectionLimit(o, *inst, *ref);
  }
  const std::optional<Price> limit = EffectiveLimit(r);
  auto within = [&](Price px) { return !limit || (buy ? px <= *limit : px >= *limit); };

  if (m.quote) {
    const Price best = buy ? m.quote->ask_price : m.quote->bid_price;
    if (best.raw() <= 0 || !within(best)) return false;
    std::int64_t& left = buy ? m.ask_left : m.bid_left;
    std::int64_t rem = o.leaves_qty().raw();
    const int qp = o.quantity().precision();
    const std::int64_t take0 = std::min(rem, left);
    if (take0 > 0) {
      Fill(o, best, Quantity::Raw(take0, qp), LiquiditySide::kTaker);
      left -= take0;
      rem -= take0;
    }
    if (rem > 0 && !ioc) {
      const std::int64_t displayed = (buy ? m.quote->ask_size : m.quote->bid_size).raw();
      const std::int64_t step = config_.fill.size_step ? config_.fill.size_step->raw() : displayed;
      for (int k = 1; rem > 0 && k <= kMaxWalkLevels; ++k) {
        const std::int64_t offset =
            static_cast<std::int64_t>(k) * config_.fill.walk_ticks * inst->tick_size.raw();
        const Price px =
            Price::Raw(buy ? best.raw() + offset : best.raw() - offset, best.precision());
        if (px.raw() <= 0 || !within(px)) break;
        const std::int64_t take = step > 0 ? std::min(rem, step) : rem;
        Fill(o, px, Quantity::Raw(take, qp), LiquiditySide::kTaker);
        rem -= take;
      }
    }
    if (rem == 0) return true;
    if (ioc) {
      GenerateOrderCanceled(o, Now());
      return true;
    }
    return false;
  }
  if (m.bar && arriving) return TryBarNow(r);
  if (m.last && !m.bar) {
    if (!within(*m.last)) return false;
    Fill(o, *m.last, o.leaves_qty(), LiquiditySide::kTaker);
    return true;
  }
  return false;
}

// An order arriving when only bars exist: a market order fills at the current close in
// kCurrentClose mode (else waits for the next open); a limit marketable against the last close
// fills there.
bool SimulatedExchange::TryBarNow(Resting& r) {
  const Order& o = *r.order;
  const Bar& b = *markets_.at(o.instrument_id()).bar;
  const Price last = b.close;
  const std::optional<Price> limit = EffectiveLimit(r);
  const bool buy = o.is_buy();
  if (IsMarketLike(o.order_type()) && !limit) {
    if (config_.fill.bar_fill == BarFillMode::kCurrentClose) {
      Fill(o, last, o.leaves_qty(), LiquiditySide::kTaker);
      return true;
    }
    return false;
  }
  if (limit && (buy ? last <= *limit : last >= *limit)) {
    if (IsMarketLike(o.order_type()) && config_.fill.bar_fill == BarFillMode::kNextOpen) {
      return false;  // a protected market order still waits for the next open
    }
    Fill(o, last, o.leaves_qty(), LiquiditySide::kTaker);
    return true;
  }
  return false;
}

bool SimulatedExchange::MatchBar(Resting& r, const Bar& b) {
  const Order& o = *r.order;
  const bool buy = o.is_buy();
  // A resting limit: the bar's prices came to it, so it fills at its limit as the maker, also
  // when the bar opens through it.
  auto match_limit = [&](Price limit) {
    if (buy ? b.open <= limit : b.open >= limit) {
      Fill(o, limit, o.leaves_qty(), LiquiditySide::kMaker);
      return true;
    }
    const bool through = buy ? b.low < limit : b.high > limit;
    const bool touched = buy ? b.low == limit : b.high == limit;
    if (through || (touched && Touch())) {
      Fill(o, limit, o.leaves_qty(), LiquiditySide::kMaker);
      return true;
    }
    return false;
  };
  Price at = b.open;
  if (IsStop(o.order_type()) && !r.triggered) {
    const Price trigger = *o.trigger_price();
    const bool gapped = buy ? b.open >= trigger : b.open <= trigger;
    const bool touched = buy ? b.high >= trigger : b.low <= trigger;
    if (!gapped && !touched) return false;
    at = gapped ? b.open : trigger;
    Triggered(r, at);
    if (o.is_closed()) return true;  // rejected at trigger (LPP)
    if (o.order_type() == OrderType::kStopMarket) {
      // With market protection it is a limit at the band: a gap beyond it rests as that limit,
      // which the rest of this bar (or a later one) may still reach.
      if (!r.limit || (buy ? at <= *r.limit : at >= *r.limit)) {
        Fill(o, at, o.leaves_qty(), LiquiditySide::kTaker);
        return true;
      }
      return match_limit(*r.limit);
    }
    const Price limit = *o.price();
    if (buy ? limit >= at : limit <= at) {
      Fill(o, at, o.leaves_qty(), LiquiditySide::kTaker);
      return true;
    }
    return false;  // rests as a limit from the next bar on
  }
  if (IsMarketLike(o.order_type())) {
    if (!r.limit || (buy ? b.open <= *r.limit : b.open >= *r.limit)) {
      Fill(o, b.open, o.leaves_qty(), LiquiditySide::kTaker);
      return true;
    }
    return match_limit(*r.limit);
  }
  return match_limit(*o.price());
}

bool SimulatedExchange::MatchTrade(Resting& r, const TradeTick& t) {
  const Order& o = *r.order;
  const bool buy = o.is_buy();
  const std::optional<Price> limit = EffectiveLimit(r);
  if (!limit) return false;
  const bool through = buy ? t.price < *limit : t.price > *limit;
  const bool touched = t.price == *limit;
  if (!through && !(touched && Touch())) return false;
  const std::int64_t take = std::min(o.leaves_qty().raw(), t.size.raw());
  if (take <= 0) return false;
  Fill(o, *limit, Quantity::Raw(take, o.quantity().precision()), LiquiditySide::kMaker);
  return o.leaves_qty().raw() == 0;
}

// A resting order crossed by a later quote: the other side came to it, so it trades at its
// own limit as the maker, for at most the size displayed on that side (shared with the other
// resting orders this quote crosses, in time priority); the rest keeps resting.
bool SimulatedExchange::FillResting(Resting& r, Market& m) {
  const Order& o = *r.order;
  const std::optional<Price> limit = EffectiveLimit(r);
  if (!limit || !m.quote) return false;
  const bool buy = o.is_buy();
  const Price best = buy ? m.quote->ask_price : m.quote->bid_price;
  if (best.raw() <= 0 || (buy ? best > *limit : best < *limit)) return false;
  std::int64_t& left = buy ? m.ask_left : m.bid_left;
  const std::int64_t rem = o.leaves_qty().raw();
  const std::int64_t take = std::min(rem, left);
  if (take <= 0) return false;
  left -= take;
  Fill(o, *limit, Quantity::Raw(take, o.quantity().precision()), LiquiditySide::kMaker);
  return take == rem;
}

// ---- market data ----

void SimulatedExchange::OnQuote(const QuoteTick& quote) {
  ProcessDue(quote.ts_event);
  Market& m = markets_[quote.instrument_id];
  m.updated = Now();
  m.quote = quote;
  m.bid_left = quote.bid_size.raw();
  m.ask_left = quote.ask_size.raw();
  std::vector<ClientOrderId> done;
  for (auto& [seq, r] : resting_) {
    const Order& o = *r.order;
    if (o.instrument_id() != quote.instrument_id || o.is_closed() ||
        cancel_requested_.count(o.client_order_id()) || quote.ts_event < r.since) {
      continue;
    }
    if (IsStop(o.order_type()) && !r.triggered) {
      // Triggered by this quote: it enters the book now and takes it like an arriving order.
      if (!CheckTrigger(r, m, std::nullopt)) continue;
      if (o.is_closed() || Execute(r, false)) done.push_back(o.client_order_id());
      continue;
    }
    if (!EffectiveLimit(r)) {
      // A market order that arrived before any price: it meets its first quote as a taker.
      if (Execute(r, false)) done.push_back(o.client_order_id());
      continue;
    }
    if (FillResting(r, m)) done.push_back(o.client_order_id());
  }
  for (const ClientOrderId& id : done) Remove(id);
  AfterUpdate(quote.instrument_id);
  FlushMargins();
}

void SimulatedExchange::OnTrade(const TradeTick& trade) {
  ProcessDue(trade.ts_event);
  Market& m = markets_[trade.instrument_id];
  m.updated = Now();
  m.last = trade.price;
  std::vector<ClientOrderId> done;
  for (auto& [seq, r] : resting_) {
    const Order& o = *r.order;
    if (o.instrument_id() != trade.instrument_id || o.is_closed() ||
        cancel_requested_.count(o.client_order_id()) || trade.ts_event < r.since) {
      continue;
    }
    if (IsStop(o.order_type()) && !r.triggered) {
      if (config_.fill.stop_trigger != StopTriggerSource::kLast ||
          !CheckTrigger(r, m, trade.price)) {
        continue;
      }
      if (o.is_closed()) {  // rejected at trigger (LPP)
        done.push_back(o.client_order_id());
        continue;
      }
      if (o.order_type() == OrderType::kStopMarket && !m.quote) {
        // Beyond a protection band it rests as that limit (filled by later trades through it).
        if (r.limit && (o.is_buy() ? trade.price > *r.limit : trade.price < *r.limit)) continue;
        Fill(o, trade.price, o.leaves_qty(), LiquiditySide::kTaker);
        done.push_back(o.client_order_id());
        continue;
      }
      if (Execute(r, false)) {
        done.push_back(o.client_order_id());
        continue;
      }
    }
    if (MatchTrade(r, trade)) done.push_back(o.client_order_id());
  }
  for (const ClientOrderId& id : done) Remove(id);
  AfterUpdate(trade.instrument_id);
  FlushMargins();
}

void SimulatedExchange::OnBar(const Bar& bar) {
  ProcessDue(bar.ts_event);
  const InstrumentId& id = bar.bar_type.instrument_id();
  Market& m = markets_[id];
  m.updated = Now();
  m.bar = bar;
  m.last = bar.close;
  m.quote.reset();  // a bar is newer market information than an old quote
  std::vector<ClientOrderId> done;
  for (auto& [seq, r] : resting_) {
    const Order& o = *r.order;
    // Data that began before the order arrived cannot fill it.
    if (o.instrument_id() != id || o.is_closed() || cancel_requested_.count(o.client_order_id()) ||
        bar.ts_event < r.since) {
      continue;
    }
    if (MatchBar(r, bar)) done.push_back(o.client_order_id());
  }
  for (const ClientOrderId& id_done : done) Remove(id_done);
  AfterUpdate(id);
  FlushMargins();
}

void SimulatedExchange::AfterUpdate(const InstrumentId& /*id*/) { Housekeeping(); }

// ---- fills, charges, margin ----

ChargeBreakdown SimulatedExchange::ChargesFor(const Order& order, Price px, Quantity qty) {
  if (!config_.charges) return {};
  const Instrument* inst = InstrumentOf(order);
  const Money premium = Money::Notional(px, qty, inst ? inst->multiplier : 1);
  const bool first = charged_orders_.insert(order.client_order_id()).second;
  ChargeBreakdown b = charges_->OnFill(IstDate(Now()), order.side(), premium, first);
  Accumulate(total_charges_, b);
  return b;
}

void SimulatedExchange::Fill(const Order& order, Price px, Quantity qty, LiquiditySide liquidity) {
  ++fills_;
  const ChargeBreakdown charges = ChargesFor(order, px, qty);
  GenerateOrderFilled(order, NextTradeId(), qty, px, charges, liquidity, Now());
  MarginChanged(order);  // the filled part moves from working-order into position margin
}

SimulatedExchange::WorkingLeg SimulatedExchange::LegOf(const Order& order,
                                                       std::optional<Quantity> leaves,
                                                       std::optional<Price> price,
                                                       std::optional<Price> trigger) const {
  const Instrument* inst = InstrumentOf(order);
  const std::int64_t units =
      leaves.value_or(order.leaves_qty()).raw() / kFixedScale * (inst ? inst->multiplier : 1);
  std::optional<Price> px = price ? price : order.price();
  if (!px) px = trigger ? trigger : order.trigger_price();
  return WorkingLeg{&order, order.instrument_id(), order.is_buy() ? units : -units, px};
}

SimulatedExchange::MarginBook SimulatedExchange::BookOf(const InstrumentId& underlying,
                                                        bool with_working) {
  MarginBook book;
  book.underlying = underlying;
  OrderQuery q;
  q.venue = config_.venue;
  for (const Position* p : cache_.PositionsOpen(q)) {
    const Instrument* inst = cache_.instrument(p->instrument_id());
    if (inst == nullptr || inst->underlying != underlying) continue;
    book.positions[p->instrument_id()] += p->signed_qty_raw() / kFixedScale * inst->multiplier;
  }
  if (!with_working) return book;
  for (const auto& [seq, r] : resting_) {
    const Order& o = *r.order;
    if (o.is_closed() || o.leaves_qty().raw() <= 0) continue;
    const Instrument* inst = InstrumentOf(o);
    if (inst == nullptr || inst->underlying != underlying) continue;
    // A market order that rested is priced at its protection limit.
    book.working.push_back(LegOf(o, std::nullopt, o.price() ? o.price() : r.limit, std::nullopt));
  }
  return book;
}

Result<MarginResult> SimulatedExchange::Compute(MarginBook& book,
                                                const std::map<InstrumentId, std::int64_t>& net,
                                                const BuyLimits& buy_limits) {
  bool any = false;
  for (const auto& [id, units] : net) any = any || units != 0;
  if (!any) return MarginResult{};
  auto uit = markets_.find(book.underlying);
  std::optional<double> s;
  if (uit != markets_.end()) s = MarkOf(uit->second.quote, uit->second.last, uit->second.bar);
  if (!s) return MakeError(fmt::format("no price for underlying {}", book.underlying.value()));
  MarginInput in;
  in.annual_vol = config_.underlying_vol;
  in.underlying = *s;
  const UnixNanos now = Now();
  // Premium above the mark that working buys would pay at their limits: units counted up to
  // the long the leg ends with, highest limits first. Units already held keep their mark.
  double extra_premium = 0;
  for (const auto& [id, units] : net) {
    if (units == 0) continue;
    auto lit = book.legs.find(id);
    if (lit == book.legs.end()) {
      const Instrument* inst = cache_.instrument(id);
      MarginLeg leg;
      auto mit = markets_.find(id);
      std::optional<double> mark;
      if (mit != markets_.end()) {
        mark = MarkOf(mit->second.quote, mit->second.last, mit->second.bar);
      }
      if (inst->instrument_class == InstrumentClass::kFuture) {
        leg.kind = MarginLegKind::kFuture;
        leg.price = mark.value_or(*s);
      } else {
        leg.kind = MarginLegKind::kOption;
        leg.option_kind = inst->option_kind;
        leg.strike = inst->strike.AsDouble();
        leg.t_years = std::max(0.0, static_cast<double>(inst->expiration - now) / kNanosPerYear);
        leg.expires_today = IstDate(now) == IstDate(inst->expiration);
        leg.vol = config_.margin_default_vol;
        if (mark && leg.t_years > 0) {
          auto iv = pricing::ImpliedVolBlack76(leg.option_kind, *mark, *s, leg.strike, leg.t_years,
                                               config_.margin.rate);
          if (iv.ok()) leg.vol = *iv;
        }
        leg.price = mark ? *mark
                         : pricing::Black76Price(leg.option_kind, *s, leg.strike, leg.t_years,
                                                 leg.vol, config_.margin.rate);
      }
      lit = book.legs.emplace(id, leg).first;
    }
    MarginLeg leg = lit->second;
    leg.quantity = units;
    if (leg.kind == MarginLegKind::kOption && units > 0) {
      if (auto bit = buy_limits.find(id); bit != buy_limits.end()) {
        std::vector<std::pair<double, std::int64_t>> limits = bit->second;  // (limit, units)
        std::sort(limits.begin(), limits.end(), std::greater<>());
        std::int64_t left = units;
        for (const auto& [limit, n] : limits) {
          if (left <= 0) break;
          const std::int64_t counted = std::min(left, n);
          extra_premium += static_cast<double>(counted) * std::max(0.0, limit - leg.price);
          left -= counted;
        }
      }
    }
    in.legs.push_back(leg);
  }
  auto r = ComputeMargin(in, config_.margin);
  if (!r.ok() || extra_premium <= 0) return r;
  const Money extra = CeilToPaisa(extra_premium);
  r->premium += extra;
  r->total += extra;
  return r;
}

Result<MarginResult> SimulatedExchange::Evaluate(MarginBook& book, WorkingSide side,
                                                 bool openings_only) {
  std::map<InstrumentId, std::int64_t> net = book.positions;
  BuyLimits buy_limits;
  // Each side's working units per instrument. With `openings_only`, the part of a side that
  // would only reduce the position (a buy against a short, a sell against a long) is left out.
  std::map<InstrumentId, std::int64_t> buys;
  std::map<InstrumentId, std::int64_t> sells;
  for (const WorkingLeg& w : book.working) {
    const bool buy = w.units > 0;
    if (side == WorkingSide::kNone || (side == WorkingSide::kBuys && !buy) ||
        (side == WorkingSide::kSells && buy)) {
      continue;
    }
    (buy ? buys : sells)[w.instrument] += w.units;
    if (buy && w.price) buy_limits[w.instrument].emplace_back(w.price->AsDouble(), w.units);
  }
  for (const auto* side_units : {&buys, &sells}) {
    for (const auto& [id, units] : *side_units) {
      std::int64_t add = units;
      if (openings_only) {
        auto pit = book.positions.find(id);
        const std::int64_t pos = pit == book.positions.end() ? 0 : pit->second;
        if (units > 0 && pos < 0) add = std::max<std::int64_t>(0, units + pos);
        if (units < 0 && pos > 0) add = std::min<std::int64_t>(0, units + pos);
      }
      net[id] += add;
    }
  }
  return Compute(book, net, buy_limits);
}

Result<BlockedMargin> SimulatedExchange::Blocked(MarginBook& book,
                                                 const BlockedMargin* same_positions) {
  BlockedMargin b;
  if (same_positions != nullptr) {
    b.positions = same_positions->positions;
    b.positions_total = same_positions->positions_total;
  } else {
    auto positions = Evaluate(book, WorkingSide::kNone);
    if (!positions.ok()) return MakeError(positions.error());
    // The long options' premium is not blocked: the account paid it out of the balance on the
    // fill (premium-style accounting, portfolio/accounting.h). Working buys' premium is, until
    // they fill (it is part of M(P + working) − M(P)).
    b.positions = positions->total - positions->premium;
    b.positions_total = positions->total;
  }
  bool buys = false;
  bool sells = false;
  bool reducing = false;  // some working order would reduce a position
  for (const WorkingLeg& w : book.working) {
    (w.units > 0 ? buys : sells) |= w.units != 0;
    auto pit = book.positions.find(w.instrument);
    if (pit != book.positions.end() && (pit->second > 0) != (w.units > 0)) reducing = true;
  }
  if (!buys && !sells) return b;
  // The worst of: all working orders filled, only the buys, only the sells (one side alone is
  // the same as all) and, when some orders would reduce positions, the same three with only
  // the opening parts (a working close may not fill: it never offsets a working open).
  Money worst = Money::Zero();
  for (bool openings_only : {false, true}) {
    if (openings_only && !reducing) continue;
    for (WorkingSide side : {WorkingSide::kAll, WorkingSide::kBuys, WorkingSide::kSells}) {
      if (side != WorkingSide::kAll && !(buys && sells)) continue;
      auto m = Evaluate(book, side, openings_only);
      if (!m.ok()) return MakeError(m.error());
      worst = std::max(worst, m->total);
    }
  }
  if (worst > b.positions_total) b.working = worst - b.positions_total;
  return b;
}

Result<MarginResult> SimulatedExchange::MarginFor(const InstrumentId& underlying,
                                                  const Order* extra,
                                                  std::optional<Quantity> extra_leaves,
                                                  std::optional<Price> extra_price) {
  MarginBook book = BookOf(underlying, false);
  if (extra != nullptr)
    book.working.push_back(LegOf(*extra, extra_leaves, extra_price, std::nullopt));
  return Evaluate(book, WorkingSide::kAll);
}

Result<BlockedMargin> SimulatedExchange::BlockedMarginFor(const InstrumentId& underlying) {
  MarginBook book = BookOf(underlying, true);
  return Blocked(book);
}

std::string SimulatedExchange::CheckMargin(const Order& order, std::optional<Quantity> leaves,
                                           std::optional<Price> price,
                                           std::optional<Price> trigger) {
  if (!config_.margin_check) return {};
  const Instrument* inst = InstrumentOf(order);
  if (inst == nullptr || inst->underlying.empty()) return {};
  FlushMargins();  // the account shows every other change first
  MarginBook book = BookOf(inst->underlying, true);
  auto before = Blocked(book);
  if (!before.ok()) return "margin: " + before.error();
  // The order as it would work: a modify replaces its own leg, a new order joins.
  std::erase_if(book.working, [&](const WorkingLeg& w) { return w.order == &order; });
  book.working.push_back(LegOf(order, leaves, price, trigger));
  auto after = Blocked(book, &*before);
  if (!after.ok()) return "margin: " + after.error();
  const Money required = after->working - before->working;
  if (required <= Money::Zero()) return {};  // the order does not raise what is blocked
  const Account* account = cache_.account(account_id());
  Money free = Money::Zero();
  if (account != nullptr) {
    // Free = total − everything blocked, with this underlying's block as of now.
    Money reported = Money::Zero();
    if (auto it = account->margins().find(inst->underlying); it != account->margins().end()) {
      reported = it->second.initial + it->second.maintenance;
    }
    free = account->balance_free() + reported - before->positions - before->working;
  }
  if (required > free) {
    return fmt::format("insufficient margin: required {}, free {}", required.ToDisplay(),
                       free.ToDisplay());
  }
  return {};
}

void SimulatedExchange::MarginChanged(const Order& order) {
  if (!config_.margin_check) return;
  const Instrument* inst = InstrumentOf(order);
  if (inst != nullptr && !inst->underlying.empty()) margin_dirty_.insert(inst->underlying);
}

void SimulatedExchange::FlushMargins() {
  while (!margin_dirty_.empty()) {
    const InstrumentId u = *margin_dirty_.begin();
    margin_dirty_.erase(margin_dirty_.begin());
    ReportMargin(u);
  }
}

void SimulatedExchange::ReportMargin(const InstrumentId& underlying) {
  const Account* account = cache_.account(account_id());
  if (account == nullptr) return;
  auto blocked = BlockedMarginFor(underlying);
  if (!blocked.ok()) return;  // no price yet: keep the last figures
  const auto& margins = account->margins();
  auto cur = margins.find(underlying);
  if (cur == margins.end() ? blocked->positions.is_zero() && blocked->working.is_zero()
                           : cur->second.initial == blocked->working &&
                                 cur->second.maintenance == blocked->positions) {
    return;
  }
  AccountState s = account->Snapshot(uuids().Next(), Now(), true);
  s.margins.clear();
  Money locked;
  for (const auto& [id, mb] : margins) {
    if (id == underlying) continue;
    s.margins.push_back(mb);
    locked += mb.initial + mb.maintenance;
  }
  if (!blocked->positions.is_zero() || !blocked->working.is_zero()) {
    s.margins.push_back(MarginBalance{underlying, blocked->working, blocked->positions});
    locked += blocked->working + blocked->positions;
  }
  std::sort(s.margins.begin(), s.margins.end(), [](const MarginBalance& a, const MarginBalance& b) {
    return a.instrument_id < b.instrument_id;
  });
  s.balance.locked = locked;
  s.balance.free = s.balance.total - locked;
  EmitAccountState(s);
}

// ---- time: DAY/GTD expiry, option settlement ----

void SimulatedExchange::ExpireOrders() {
  const UnixNanos now = Now();
  std::vector<const Order*> expired;
  for (const auto& [seq, r] : resting_) {
    const Order& o = *r.order;
    bool due = r.expires && now >= *r.expires;
    const Instrument* inst = InstrumentOf(o);
    if (inst != nullptr && inst->IsExpired(now)) due = true;
    if (due) expired.push_back(&o);
  }
  for (const Order* o : expired) {
    Remove(o->client_order_id());
    GenerateOrderExpired(*o, now);
  }
}

// Expiry settlement is the kernel's (execution/expiry_settlement.h): the exchange charges it
// on its own contract note and releases the margin the settled position held.
ChargeBreakdown SimulatedExchange::ExpiryCharges(const CivilDate& trade_date, PositionSide side,
                                                 Money intrinsic_value) {
  if (!config_.charges) return {};
  ChargeBreakdown b = charges_->OnExpiry(trade_date, side, intrinsic_value);
  Accumulate(total_charges_, b);
  return b;
}

void SimulatedExchange::OnPositionSettled(const InstrumentId& instrument) {
  if (const Instrument* inst = cache_.instrument(instrument); inst != nullptr) {
    if (!inst->underlying.empty()) margin_dirty_.insert(inst->underlying);
  }
  FlushMargins();
}

std::vector<OrderStatusReport> SimulatedExchange::GenerateOrderStatusReports(const ReportQuery& q) {
  std::vector<OrderStatusReport> out;
  for (const auto& [seq, resting] : resting_) {
    const Order* o = resting.order;
    if (q.instrument_id && o->instrument_id() != *q.instrument_id) continue;
    out.push_back(StatusReportOf(*o));
  }
  return out;
}

void SimulatedExchange::Reset() {
  inbox_.clear();
  resting_.clear();
  resting_seq_.clear();
  cancel_requested_.clear();
  charged_orders_.clear();
  markets_.clear();
  next_seq_ = next_cmd_ = 0;
  ResetIds();
  last_housekeeping_.reset();
  margin_dirty_.clear();
  fills_ = 0;
  total_charges_ = {};
  charges_.emplace(*schedule_);
  rng_.seed(config_.fill.seed);
}

}  // namespace nacre
