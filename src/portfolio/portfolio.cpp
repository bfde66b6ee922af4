#include "portfolio/portfolio.h"

#include "portfolio/accounting.h"

namespace nacre {

namespace {
constexpr int kPortfolioPriority = 100;  // ahead of strategies (priority 0)
}

Portfolio::Portfolio(MessageBus& bus, Cache& cache, Clock& clock, Logger& logger,
                     UuidGenerator& uuids)
    : Component("Portfolio"), bus_(bus), cache_(cache), clock_(clock), uuids_(uuids) {
  set_logger(&logger);
  sub_ = bus_.Subscribe<PositionEvent>(
      topics::kAllPositionEvents, [this](const PositionEvent& e) { OnPositionEvent(e); },
      kPortfolioPriority);
  Initialize();
}

Portfolio::~Portfolio() { bus_.Unsubscribe(sub_); }

void Portfolio::ManageAccount(const AccountId& id) {
  if (const Account* a = cache_.account(id);
      a != nullptr && a->mode() == AccountingMode::kReported) {
    log().Error("account {} is reported by its venue: the portfolio does not also calculate it",
                id.value());
    return;
  }
  managed_.insert(id);
}

void Portfolio::OnPositionEvent(const PositionEvent& e) {
  const PositionEventBase& b = BaseOf(e);
  Account* account = cache_.mutable_account(b.account_id);
  if (account == nullptr) account = cache_.MutableAccountForVenue(b.instrument_id.venue());
  if (account == nullptr || !managed_.count(account->id())) return;
  const Currency ccy = b.realized_pnl.currency();
  Booked& last = booked_[b.position_id];
  if (std::holds_alternative<PositionOpened>(e))
    last = Booked{Money::Zero(ccy), Money::Zero(ccy), 0};
  const Instrument* inst = cache_.instrument(b.instrument_id);
  // The fill's cash: the premium for options, the realized P&L otherwise, net of its charges
  // (a flip arrives as two events, each with its own part of the quantity and commission).
  const Money delta =
      inst != nullptr && IsPremiumStyle(*inst)
          ? PremiumCash(b.signed_qty_raw - last.signed_qty_raw, b.last_px, inst->multiplier, ccy) -
                (b.commissions - last.commissions)
          : b.realized_pnl - last.realized;
  last = Booked{b.realized_pnl, b.commissions, b.signed_qty_raw};
  account->AdjustBalance(delta);
  // Maintenance margin on the account's net position in this instrument (the broker margins
  // the net, not each strategy's gross), valued at this fill's price.
  if (inst != nullptr) {
    const std::int64_t net = NetPositionRaw(b.instrument_id);
    const Money notional = Money::Notional(b.last_px, Quantity::Raw(net < 0 ? -net : net, 0),
                                           inst->multiplier, inst->currency);
    const Money maint = Money::FromRaw(static_cast<std::int64_t>(
        DivRound(static_cast<Int128>(notional.raw()) * inst->margin_maint_raw, kFixedScale)));
    account->SetMargin(b.instrument_id, Money::Zero(inst->currency), maint);
  }
  const AccountState state = account->Snapshot(uuids_.Next(), clock_.Now(), false);
  account->Record(state);
  bus_.Publish(AccountTopic(account->id()), state);
}

MessageBus::TopicHandle Portfolio::AccountTopic(const AccountId& id) {
  auto it = account_topics_.find(id);
  if (it == account_topics_.end()) {
    it = account_topics_.emplace(id, bus_.Topic(topics::AccountEvents(id))).first;
  }
  return it->second;
}

Money Portfolio::Unrealized(const Position& p) const {
  if (p.is_closed()) return Money::Zero();
  const auto mark = cache_.MarkPrice(p.instrument_id(), p.side());
  return mark ? p.Unrealized(*mark) : Money::Zero();
}

namespace {
OrderQuery ForInstrument(const InstrumentId& id) {
  OrderQuery q;
  q.instrument_id = id;
  return q;
}
OrderQuery ForVenue(const Venue& venue) {
  OrderQuery q;
  q.venue = venue;
  return q;
}
}  // namespace

Money Portfolio::SumRealized(const OrderQuery& q) const {
  Money total;
  for (const Position* p : cache_.Positions(q)) {
    total += p->realized_pnl();
    for (const Position& s : cache_.PositionSnapshots(p->id())) total += s.realized_pnl();
  }
  return total;
}

Money Portfolio::SumUnrealized(const OrderQuery& q) const {
  Money total;
  for (const Position* p : cache_.PositionsOpen(q)) total += Unrealized(*p);
  return total;
}

Money Portfolio::SumExposure(const OrderQuery& q) const {
  Money total;
  for (const Position* p : cache_.PositionsOpen(q)) {
    if (auto mark = cache_.MarkPrice(p->instrument_id(), p->side())) total += p->Notional(*mark);
  }
  return total;
}

Money Portfolio::RealizedPnl(const InstrumentId& id) const {
  return SumRealized(ForInstrument(id));
}
Money Portfolio::RealizedPnl(const Venue& venue) const { return SumRealized(ForVenue(venue)); }
Money Portfolio::UnrealizedPnl(const InstrumentId& id) const {
  return SumUnrealized(ForInstrument(id));
}
Money Portfolio::UnrealizedPnl(const Venue& venue) const { return SumUnrealized(ForVenue(venue)); }
Money Portfolio::NetExposure(const InstrumentId& id) const {
  return SumExposure(ForInstrument(id));
}
Money Portfolio::NetExposure(const Venue& venue) const { return SumExposure(ForVenue(venue)); }

std::int64_t Portfolio::NetPositionRaw(const InstrumentId& id) const {
  std::int64_t net = 0;
  OrderQuery q;
  q.instrument_id = id;
  for (const Position* p : cache_.PositionsOpen(q)) net += p->signed_qty_raw();
  return net;
}

Money Portfolio::OpenValue(const Venue& venue) const {
  Money total;
  for (const Position* p : cache_.PositionsOpen(ForVenue(venue))) {
    total += EquityValue(cache_.instrument(p->instrument_id()), *p,
                         cache_.MarkPrice(p->instrument_id(), p->side()));
  }
  return total;
}

Money Portfolio::Equity(const Venue& venue) const {
  const Account* a = cache_.AccountForVenue(venue);
  const Money balance = a ? a->balance_total() : Money::Zero();
  return balance + OpenValue(venue);
}

Money Portfolio::TotalCommissions(const Venue& venue) const {
  Money total;
  for (const Position* p : cache_.Positions(ForVenue(venue))) {
    total += p->commissions();
    for (const Position& s : cache_.PositionSnapshots(p->id())) total += s.commissions();
  }
  return total;
}

}  // namespace nacre
