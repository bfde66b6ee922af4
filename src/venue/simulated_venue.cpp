#include "venue/simulated_venue.h"

#include <fmt/format.h>

namespace nacre {

SimulatedVenue::SimulatedVenue(const SimulatedVenueConfig& config)
    : MatchingVenue(ClientId(config.venue.value()), config.venue, config.account_id),
      config_(config) {}

void SimulatedVenue::SubmitOrder(const nacre::SubmitOrder& /*cmd*/, const Order& order) {
  GenerateOrderSubmitted(order, Now());
  inbox_.push_back(Pending{Pending::Kind::kSubmit, &order, {}, {}, {}});
  WakeAt(Now());
}

void SimulatedVenue::ModifyOrder(const nacre::ModifyOrder& cmd, const Order& order) {
  inbox_.push_back(
      Pending{Pending::Kind::kModify, &order, cmd.quantity, cmd.price, cmd.trigger_price});
  WakeAt(Now());
}

void SimulatedVenue::CancelOrder(const nacre::CancelOrder& /*cmd*/, const Order& order) {
  // From now on the order is no longer matched, even within the market update that is being
  // processed (an OCO peer's fill must not let both legs fill on one bar).
  cancel_requested_.insert(order.client_order_id());
  inbox_.push_back(Pending{Pending::Kind::kCancel, &order, {}, {}, {}});
  WakeAt(Now());
}

bool SimulatedVenue::Matchable(const Order& order, UnixNanos data_start) const {
  if (order.is_closed() || cancel_requested_.count(order.client_order_id())) return false;
  // Orders see the market as it is when they arrive: data that began before the order was
  // accepted (e.g. a 5-minute bar covering the minute the order was placed) cannot fill it.
  auto it = resting_seq_.find(order.client_order_id());
  return it != resting_seq_.end() && data_start >= resting_.at(it->second).since;
}

std::size_t SimulatedVenue::ProcessCommands() {
  std::size_t n = 0;
  while (!inbox_.empty()) {
    const Pending p = inbox_.front();
    inbox_.pop_front();
    ++n;
    const Order& order = *p.order;
    switch (p.kind) {
      case Pending::Kind::kSubmit:
        if (!AwaitsArrival(order) || resting_seq_.count(order.client_order_id())) break;
        Accept(order);
        break;
      case Pending::Kind::kModify: {
        if (!resting_seq_.count(order.client_order_id())) {
          GenerateOrderModifyRejected(order, "order not open at venue", Now());
          break;
        }
        const Quantity qty = p.quantity.value_or(order.quantity());
        if (qty <= order.filled_qty()) {
          GenerateOrderModifyRejected(order,
                                      fmt::format("quantity {} not above filled {}", qty.ToString(),
                                                  order.filled_qty().ToString()),
                                      Now());
          break;
        }
        GenerateOrderUpdated(order, qty, p.price ? p.price : order.price(),
                             p.trigger ? p.trigger : order.trigger_price(), Now());
        if (TryFillNow(order)) Remove(order.client_order_id());
        break;
      }
      case Pending::Kind::kCancel:
        cancel_requested_.erase(order.client_order_id());
        if (!resting_seq_.count(order.client_order_id())) {
          GenerateOrderCancelRejected(order, "order not open at venue", Now());
          break;
        }
        Remove(order.client_order_id());
        GenerateOrderCanceled(order, Now());
        break;
    }
  }
  return n;
}

void SimulatedVenue::Accept(const Order& order) {
  GenerateOrderAccepted(order, NextVenueOrderId(), Now());
  if (TryFillNow(order)) return;
  if (order.time_in_force() == TimeInForce::kIoc && order.order_type() != OrderType::kMarket) {
    GenerateOrderCanceled(order, Now());
    return;
  }
  const std::uint64_t seq = next_seq_++;
  resting_.emplace(seq, Resting{&order, Now()});
  resting_seq_[order.client_order_id()] = seq;
}

void SimulatedVenue::Remove(const ClientOrderId& id) {
  auto it = resting_seq_.find(id);
  if (it == resting_seq_.end()) return;
  resting_.erase(it->second);
  resting_seq_.erase(it);
  triggered_.erase(id);
}

bool SimulatedVenue::TryFillNow(const Order& order) {
  auto it = markets_.find(order.instrument_id());
  if (it == markets_.end()) return false;
  const Market& m = it->second;
  if (m.quote) return MatchQuote(order, *m.quote, false);
  if (!m.bar) return false;
  const Bar& b = *m.bar;
  const Price last = b.close;
  switch (order.order_type()) {
    case OrderType::kMarket:
      if (config_.bar_fill == BarFillMode::kCurrentClose) {
        Fill(order, last, LiquiditySide::kTaker);
        return true;
      }
      return false;  // waits for the next bar's open
    case OrderType::kLimit:
      // Marketable against the last price: fill at the last price (never worse than limit).
      if ((order.is_buy() && last <= *order.price()) ||
          (!order.is_buy() && last >= *order.price())) {
        Fill(order, last, LiquiditySide::kTaker);
        return true;
      }
      return false;
    default:
      return false;  // stops wait for the market to reach them
  }
}

bool SimulatedVenue::MatchQuote(const Order& order, const QuoteTick& q, bool resting) {
  const bool buy = order.is_buy();
  const Price take = buy ? q.ask_price : q.bid_price;
  switch (order.order_type()) {
    case OrderType::kMarket:
      Fill(order, take, LiquiditySide::kTaker);
      return true;
    case OrderType::kLimit:
      if ((buy && take <= *order.price()) || (!buy && take >= *order.price())) {
        // Arriving: it takes the touch. Resting: the quote came to it, so it trades at its
        // own limit as the maker.
        if (resting) {
          Fill(order, *order.price(), LiquiditySide::kMaker);
        } else {
          Fill(order, take, LiquiditySide::kTaker);
        }
        return true;
      }
      return false;
    case OrderType::kStopMarket:
    case OrderType::kStopLimit: {
      bool& trig = triggered_[order.client_order_id()];
      if (!trig) {
        const Price trigger = *order.trigger_price();
        if ((buy && take >= trigger) || (!buy && take <= trigger)) {
          trig = true;
          GenerateOrderTriggered(order, Now());
        } else {
          return false;
        }
      }
      if (order.order_type() == OrderType::kStopMarket) {
        Fill(order, take, LiquiditySide::kTaker);
        return true;
      }
      if ((buy && take <= *order.price()) || (!buy && take >= *order.price())) {
        Fill(order, take, LiquiditySide::kTaker);
        return true;
      }
      return false;
    }
  }
  return false;
}

bool SimulatedVenue::MatchBar(const Order& order, const Bar& b) {
  const bool buy = order.is_buy();
  // A resting limit fills at its limit as the maker when the bar reaches it, also when the bar
  // opens through it (the other side came to the resting order).
  auto match_limit = [&](Price limit) {
    if ((buy && b.low <= limit) || (!buy && b.high >= limit)) {
      Fill(order, limit, LiquiditySide::kMaker);
      return true;
    }
    return false;
  };
  switch (order.order_type()) {
    case OrderType::kMarket:
      Fill(order, b.open, LiquiditySide::kTaker);
      return true;
    case OrderType::kLimit:
      return match_limit(*order.price());
    case OrderType::kStopMarket:
    case OrderType::kStopLimit: {
      bool& trig = triggered_[order.client_order_id()];
      // A stop-limit triggered on an earlier bar now rests as a plain limit order.
      if (trig && order.order_type() == OrderType::kStopLimit) return match_limit(*order.price());
      Price at = b.open;
      if (!trig) {
        const Price trigger = *order.trigger_price();
        const bool gapped = buy ? b.open >= trigger : b.open <= trigger;
        const bool touched = buy ? b.high >= trigger : b.low <= trigger;
        if (!gapped && !touched) return false;
        at = gapped ? b.open : trigger;
        trig = true;
        GenerateOrderTriggered(order, Now());
      }
      if (order.order_type() == OrderType::kStopMarket) {
        Fill(order, at, LiquiditySide::kTaker);
        return true;
      }
      const Price limit = *order.price();
      if ((buy && limit >= at) || (!buy && limit <= at)) {
        Fill(order, at, LiquiditySide::kTaker);
        return true;
      }
      return false;  // rests as a limit from the next bar on
    }
  }
  return false;
}

void SimulatedVenue::Fill(const Order& order, Price px, LiquiditySide liquidity) {
  ++fills_;
  const Quantity qty = order.leaves_qty();
  GenerateOrderFilled(order, NextTradeId(), qty, px, ChargeBreakdown{}, liquidity, Now());
}

void SimulatedVenue::OnBar(const Bar& bar) {
  Market& m = markets_[bar.bar_type.instrument_id()];
  m.bar = bar;
  m.quote.reset();  // a bar is newer market information than an old quote
  std::vector<const Order*> done;
  for (const auto& [seq, r] : resting_) {
    if (r.order->instrument_id() != bar.bar_type.instrument_id()) continue;
    // Fills never add resting orders (released children arrive through the inbox).
    if (!Matchable(*r.order, bar.ts_event)) continue;
    if (MatchBar(*r.order, bar)) done.push_back(r.order);
  }
  for (const Order* o : done) Remove(o->client_order_id());
}

void SimulatedVenue::OnQuote(const QuoteTick& quote) {
  markets_[quote.instrument_id].quote = quote;
  std::vector<const Order*> done;
  for (const auto& [seq, r] : resting_) {
    if (r.order->instrument_id() != quote.instrument_id) continue;
    if (!Matchable(*r.order, quote.ts_event)) continue;
    if (MatchQuote(*r.order, quote, true)) done.push_back(r.order);
  }
  for (const Order* o : done) Remove(o->client_order_id());
}

std::vector<OrderStatusReport> SimulatedVenue::GenerateOrderStatusReports(const ReportQuery& q) {
  std::vector<OrderStatusReport> out;
  for (const auto& [seq, resting] : resting_) {
    const Order* o = resting.order;
    if (q.instrument_id && o->instrument_id() != *q.instrument_id) continue;
    out.push_back(StatusReportOf(*o));
  }
  return out;
}

void SimulatedVenue::Reset() {
  inbox_.clear();
  resting_.clear();
  cancel_requested_.clear();
  resting_seq_.clear();
  triggered_.clear();
  markets_.clear();
  next_seq_ = 0;
  ResetIds();
  fills_ = 0;
}

}  // namespace nacre
