#include "adapters/zerodha/kite_supervisor.h"

#include <fmt/format.h>

#include <set>

#include "nse/margin_book.h"
#include "risk/cache_margin_market.h"
#include "trading/order_commands.h"

namespace nacre {
namespace {

// What the NSE margin book blocks on `underlying` for the venue's positions and working
// orders, with `extra` (orders not yet working) added as working.
Result<Money> Blocked(const Cache& cache, const Venue& venue, const InstrumentId& underlying,
                      const std::vector<const Order*>& extra, UnixNanos now) {
  const CacheMarginMarket market(cache);
  const MarginBookConfig config;
  MarginBook book(underlying, market, config, now);
  OrderQuery q;
  q.venue = venue;
  for (const Position* p : cache.PositionsOpen(q)) {
    const Instrument* inst = cache.instrument(p->instrument_id());
    if (inst == nullptr || inst->underlying != underlying) continue;
    book.AddPosition(p->instrument_id(), p->signed_qty_raw() / kFixedScale * inst->multiplier);
  }
  std::vector<const Order*> working = cache.OrdersOpen(q);
  working.insert(working.end(), extra.begin(), extra.end());
  for (const Order* o : working) {
    if (o->leaves_qty().raw() <= 0) continue;
    const Instrument* inst = cache.instrument(o->instrument_id());
    if (inst == nullptr || inst->underlying != underlying) continue;
    book.AddWorking(MakeWorkingLeg(o->client_order_id(), *inst, o->side(), o->leaves_qty(),
                                   o->price() ? o->price() : o->trigger_price()));
  }
  auto b = book.Blocked();
  if (!b.ok()) return MakeError(b.code(), b.error());
  return b->positions + b->working;
}

}  // namespace

KiteBooks KernelKiteBooks(Kernel& kernel, const AccountId& account, const Venue& venue) {
  KiteBooks b;
  Kernel* k = &kernel;
  b.balance = [k, account]() -> std::optional<Money> {
    const Account* a = k->cache().account(account);
    if (a == nullptr) return std::nullopt;
    return a->balance_total();
  };
  b.positions = [k, venue] {
    std::map<InstrumentId, std::int64_t> out;
    OrderQuery q;
    q.venue = venue;
    for (const Position* p : k->cache().PositionsOpen(q)) out[p->instrument_id()] += p->signed_qty_raw();
    return out;
  };
  b.expired = [k](const InstrumentId& id) {
    // Only for the rest of the expiry day: from the next IST day Kite no longer lists the
    // settled position, and a difference is a mismatch like any other.
    const Instrument* inst = k->cache().instrument(id);
    const UnixNanos now = k->clock().Now();
    return inst != nullptr && inst->has_expiry() && inst->IsExpired(now) &&
           IstDate(inst->expiration) == IstDate(now);
  };
  b.halt = [k](const std::string& why) { k->HaltOnFault(why); };
  b.cancel = [k](const VenueOrderId& venue_order_id) {
    using Ask = KiteBooks::CancelAsk;
    const Order* o = k->cache().OrderByVenueId(venue_order_id);
    if (o == nullptr || !o->is_open()) return Ask::kNoWorkingOrder;
    if (o->status() == OrderStatus::kPendingCancel) return Ask::kAlreadyCancelling;
    // As a strategy's cancel: PENDING_CANCEL, then the command.
    if (Status s = EmitPendingState(k->bus(), k->uuids(), k->clock(), *o, true); !s) {
      k->logger().Log(LogLevel::kError, "KiteOrphans",
                      fmt::format("pending cancel of {} not applied: {}",
                                  o->client_order_id().value(), s.error()));
      return Ask::kRefused;
    }
    const CommandHeader header = MakeCommandHeader(k->config().trader_id, o->strategy_id(), {},
                                                   k->uuids(), k->clock());
    k->exec_engine().Execute(MakeCancelCommand(header, *o));
    return Ask::kSent;
  };
  b.spread_margin = [k, venue](const std::vector<const Order*>& orders) -> Result<Money> {
    // The increase the legs bring: the book with them working less the book without them, per
    // underlying (what Kite's basket with consider_positions answers as `final`).
    std::set<InstrumentId> underlyings;
    for (const Order* o : orders) {
      const Instrument* inst = k->cache().instrument(o->instrument_id());
      if (inst == nullptr) {
        return MakeError(ErrorCode::kNotFound,
                         "no instrument " + o->instrument_id().value() + " in the cache");
      }
      underlyings.insert(inst->underlying);
    }
    std::vector<const Order*> not_working;
    for (const Order* o : orders) {
      if (!o->is_open()) not_working.push_back(o);
    }
    Money total = Money::Zero();
    const UnixNanos now = k->clock().Now();
    for (const InstrumentId& u : underlyings) {
      auto before = Blocked(k->cache(), venue, u, {}, now);
      if (!before.ok()) return before;
      auto after = Blocked(k->cache(), venue, u, not_working, now);
      if (!after.ok()) return after;
      total += *after - *before;
    }
    return total;
  };
  return b;
}

KiteReconnectWatch::KiteReconnectWatch(Kernel& kernel, KiteExecutionClient& exec,
                                       const ZerodhaDataClient& data)
    : kernel_(kernel), exec_(exec), data_(data), gaps_seen_(data.stats().gaps) {}

bool KiteReconnectWatch::Tick() {
  const std::uint64_t gaps = data_.stats().gaps;
  if (gaps != gaps_seen_) {
    gaps_seen_ = gaps;
    owed_ = true;
    wait_ticks_ = 0;
    why_ = "ticker reconnected";
  }
  if (!owed_) return false;
  // While the kernel starts, its own reconciliation reads the Kite day anyway (after the
  // ticker connected); the gap is then covered once the start is through.
  const Kernel::StartPhase phase = kernel_.start_phase();
  if (phase == Kernel::StartPhase::kEngines || phase == Kernel::StartPhase::kConnect ||
      phase == Kernel::StartPhase::kReconcile) {
    return false;
  }
  if (wait_ticks_ > 0) {
    --wait_ticks_;
    return false;
  }
  LogAdapter log(&kernel_.logger(), "Kite");
  auto ms = exec_.GenerateMassStatus();
  if (!ms) {
    ++failures_;
    wait_ticks_ = 5;
    log.Error("{}, but the Kite day could not be read to reconcile: {}; retrying", why_,
              ms.error());
    return false;
  }
  owed_ = false;
  ++reconciliations_;
  const ReconcileResult r = kernel_.exec_engine().Reconcile(*ms);
  if (!r.ok()) {
    kernel_.HaltOnFault(why_ + ": reconciliation found a mismatch: " + r.ToStatus().error());
    log.Error("{}: reconciliation found a mismatch; trading HALTED: {}", why_,
              r.ToStatus().error());
    return true;
  }
  log.Info("{}: the Kite day reconciled ({} orders, {} events generated)", why_,
           r.orders_reported, r.events_generated);
  ActOnListsKiteLeft(kernel_, why_);
  return true;
}

std::size_t ActOnListsKiteLeft(Kernel& kernel, const std::string& why) {
  // A contingent peer whose cancel or reduction Kite refused meanwhile (a 5xx storm, the
  // session expiring) is acted on again, as the list calls for (a held OTO child stays held
  // while trading is HALTED: ExecutionEngine::SetTradingHalted).
  const std::size_t acted = kernel.exec_engine().ActOnContingentLists(/*release_children=*/true);
  if (acted > 0) {
    LogAdapter(&kernel.logger(), "Kite").Warning("{}: {} contingent order(s) acted on again", why,
                                                 acted);
  }
  return acted;
}

}  // namespace nacre
