#include "execution/execution_engine.h"

#include <fmt/format.h>

#include <algorithm>

namespace nacre {

namespace {

// An event the engine applies to `o` itself (the pending state its own command puts it in
// first, as a strategy's command does; a modify a restart found lost), with the order's venue
// id and account.
template <typename Event>
Event EventAbout(const Order& o, const Uuid4& id, UnixNanos now) {
  Event e;
  static_cast<OrderEventHeader&>(e) = MakeOrderEventHeader(o, id, now, now);
  e.venue_order_id = o.venue_order_id();
  e.account_id = o.account_id();
  return e;
}

// A command the engine sends about `o`, under the order's trader and strategy.
template <typename Command>
Command CommandAbout(const Order& o, const Uuid4& id, UnixNanos now) {
  Command c;
  c.trader_id = o.trader_id();
  c.strategy_id = o.strategy_id();
  c.command_id = id;
  c.ts_init = now;
  c.instrument_id = o.instrument_id();
  c.client_order_id = o.client_order_id();
  if constexpr (requires { c.venue_order_id; }) c.venue_order_id = o.venue_order_id();
  return c;
}

// What a list member's state calls for on its peers, as its last event would have it: filled
// (completely, or in part and still open) and done (closed). A denial never reached a venue
// and calls for nothing (as Process: no contingency acts on an OrderDenied).
struct ListCall {
  bool filled = false;
  bool done = false;
};
ListCall ListCallOf(const Order& o) {
  if (o.status() == OrderStatus::kDenied) return {};
  const bool done = o.is_closed();
  return {o.status() == OrderStatus::kFilled || (!done && !o.filled_qty().is_zero()), done};
}

}  // namespace

ExecutionEngine::ExecutionEngine(MessageBus& bus, Cache& cache, Clock& clock, Logger& logger,
                                 UuidGenerator& uuids)
    : Component("ExecEngine"),
      bus_(bus),
      cache_(cache),
      clock_(clock),
      uuids_(uuids),
      logger_(logger) {
  set_logger(&logger);
  Status a = bus_.RegisterEndpoint<TradingCommand>(
      topics::kExecEngineExecute,
      [this](const TradingCommand& c) { Guard("command", [&] { Execute(c); }); });
  Status b = bus_.RegisterEndpoint<OrderEvent>(
      topics::kExecEngineProcess,
      [this](const OrderEvent& e) { Guard("event", [&] { Process(e); }); });
  if (!a) log().Error("{}", a.error());
  if (!b) log().Error("{}", b.error());
  Initialize();
}

ExecutionEngine::~ExecutionEngine() {
  bus_.DeregisterEndpoint(topics::kExecEngineExecute);
  bus_.DeregisterEndpoint(topics::kExecEngineProcess);
}

void ExecutionEngine::Failed(const char* where, const std::string& what) {
  ++faults_;
  const std::string why = fmt::format("execution engine {} handler failed: {}", where, what);
  log().Error("{}; engine FAULTED, trading HALTED", why);
  if (state() != ComponentState::kFaulted && state() != ComponentState::kFaulting) Fault();
  if (fault_handler_) fault_handler_(why);
}

ReconcileResult ExecutionEngine::Reconcile(const ExecutionMassStatus& status, bool complete) {
  if (!status.day_start.is_zero()) venue_day_start_[status.venue] = status.day_start;
  Reconciler r(trader_id_, cache_, *this, clock_, uuids_, logger_);
  r.set_client(ReportingClient(status.client_id, status.venue));
  return r.Reconcile(status, complete);
}

Status ExecutionEngine::ReconcileAtStart(bool resend_cancels) {
  // The cancels decided before a restart, as the journal left them: recorded once, at the
  // first start, before any reconciliation (a venue's late acknowledgement can make such an
  // order ACCEPTED, and a start that fails is tried again). What a reconciliation itself
  // cancels (an OCO peer of a fill it found) it sends, and a running node's cancels in flight
  // are its own.
  if (resend_cancels && !restart_pending_) {
    restart_pending_.emplace();
    for (const Order* o : cache_.OrdersInflight()) {
      if (o->status() == OrderStatus::kPendingCancel) {
        restart_pending_->cancels.push_back(o->client_order_id());
      } else if (o->status() == OrderStatus::kPendingUpdate) {
        restart_pending_->modifies.push_back(
            StopModify{o->client_order_id(), o->quantity(), o->price(), o->trigger_price()});
      }
    }
  }
  for (auto& [id, client] : clients_) {
    Result<ExecutionMassStatus> ms = client->GenerateMassStatus();
    if (!ms) {
      return Status(MakeError(ms.code(), fmt::format("mass status of {}: {}", id.value(),
                                                     ms.error())));
    }
    const ReconcileResult res = Reconcile(*ms);
    if (res.events_generated > 0 || !res.ok()) {
      log().Info("reconciled {}: {} orders reported, {} events generated, {} adopted, {} external, "
                 "{} expired with a previous day, {} fills inferred, {} mismatches",
                 id.value(), res.orders_reported, res.events_generated, res.orders_adopted,
                 res.orders_external, res.orders_expired, res.fills_inferred,
                 res.mismatches.size());
    }
    // Done even when the reconciliation failed (trading stays HALTED): a cancel or a peer's
    // reduction only lowers the risk, and a modify the venue lists as not applied is not.
    // Held OTO children wait for the end of the start (ReassertContingencies).
    if (resend_cancels) {
      ResendPendingCancels(client->venue());
      SettleLostModifies(*ms);
      ActOnContingentLists(/*release_children=*/false, client->venue());
    }
    if (Status s = res.ToStatus(); !s) return s.WithContext(id.value() + ": ");
  }
  return Status::Ok();
}

void ExecutionEngine::ResendPendingCancels(const Venue& venue) {
  // A cancel decided before a restart may never have reached the venue: its request died
  // with the process, or was held until the venue's id came. The order still works there. A
  // cancel is safe to repeat (the venue refuses one for an order already done), so it is sent
  // again for each such order still open after the reconciliation (PENDING_CANCEL again when
  // the venue's late acknowledgement read as the cancel failing: ACCEPTED); the venue's answer
  // decides.
  if (!restart_pending_) return;
  std::vector<const Order*> resend;
  std::erase_if(restart_pending_->cancels, [&](const ClientOrderId& id) {
    const Order* o = cache_.order(id);
    if (o != nullptr && o->instrument_id().venue() != venue) return false;
    if (o != nullptr && !o->is_closed()) resend.push_back(o);
    return true;
  });
  for (const Order* o : resend) {
    log().Warning("order {} was PENDING_CANCEL when the node last stopped: cancel sent again",
                  o->client_order_id().value());
    CancelPeer(*o);
  }
}

void ExecutionEngine::SettleLostModifies(const ExecutionMassStatus& ms) {
  // A modify decided before a restart whose request died with the process (or never left: held
  // until the venue's id came): the venue lists the order working, not modifying, with the
  // fields it had before the modify. Left as it was, the order would stay PENDING_UPDATE for
  // good and the in-flight check would block its instrument; and when the reconciliation moved
  // it on (the venue's late acknowledgement: ACCEPTED; a fill while the node was down) the
  // strategy would never hear of its modify. The venue's answer is that the modify is not
  // applied: ModifyRejected (after PENDING_UPDATE again for an order the reconciliation moved
  // on; applied before the strategies start: they find the order as the venue lists it and may
  // modify it again; a contingency's reduction is sent again by ActOnContingentLists). A modify
  // the venue applied was reconciled as OrderUpdated (the fields moved); an order the venue
  // still processes a modify for, or does not list, is left to its reports and the in-flight
  // check.
  if (!restart_pending_) return;
  std::vector<StopModify> here;  // settled once, at this venue's first reconciliation
  std::erase_if(restart_pending_->modifies, [&](const StopModify& m) {
    const Order* o = cache_.order(m.id);
    if (o != nullptr && o->instrument_id().venue() != ms.venue) return false;
    if (o != nullptr && o->is_open() && o->quantity() == m.quantity && o->price() == m.price &&
        o->trigger_price() == m.trigger_price) {
      here.push_back(m);
    }
    return true;
  });
  if (here.empty()) return;
  Reconciler reports(trader_id_, cache_, *this, clock_, uuids_, logger_);
  for (const OrderStatusReport& r : ms.orders) {
    const Order* o = reports.Match(r);
    if (o == nullptr || std::find(here.begin(), here.end(), o->client_order_id()) == here.end() ||
        (r.status != OrderStatus::kAccepted && r.status != OrderStatus::kTriggered &&
         r.status != OrderStatus::kPartiallyFilled)) {
      continue;
    }
    const OrderStatus st = o->status();
    if (st != OrderStatus::kPendingUpdate && st != OrderStatus::kAccepted &&
        st != OrderStatus::kTriggered && st != OrderStatus::kPartiallyFilled) {
      continue;  // being cancelled: the cancel's answer decides
    }
    if (st != OrderStatus::kPendingUpdate) {
      Process(EventAbout<OrderPendingUpdate>(*o, uuids_.Next(), clock_.Now()));
    }
    std::erase(here, o->client_order_id());  // once, however many reports match it
    auto e = EventAbout<OrderModifyRejected>(*o, uuids_.Next(), clock_.Now());
    e.reason = fmt::format("the modify pending when the node last stopped is not applied at {}",
                           ms.venue.value());
    log().Warning("order {} was PENDING_UPDATE when the node last stopped and {} lists it "
                  "unmodified: modify rejected",
                  o->client_order_id().value(), ms.venue.value());
    Process(e);
  }
}

void ExecutionEngine::ReassertContingencies() {
  // Once a process, at the end of the first start that succeeded, before the strategies start:
  // what was left for then, an OTO child still held by a filled parent (and any list the
  // start's passes left).
  if (!restart_pending_ || restart_pending_->reasserted) return;
  restart_pending_->reasserted = true;
  await_first_start_ = false;
  ActOnContingentLists(/*release_children=*/true);
}

std::size_t ExecutionEngine::ActOnContingentLists(bool release_children,
                                                  const std::optional<Venue>& venue) {
  // What a contingency decided may not have been done: the process died after the trigger's
  // fill was journaled (replayed with contingencies still) and before its consequence was
  // sent, or the venue refused the consequence. Each contingent list is checked against what
  // its orders' states call for: a held OTO child of a filled parent is released (cancelled
  // when the parent filled before the venue's current day: never sent into a later day's
  // market), and of a parent that ended otherwise cancelled; an OCO or OUO peer that should be
  // cancelled or reduced and is not (nor being cancelled, or for a reduction modified) is. A
  // list that stands as called for gets nothing.
  std::size_t acted = 0;
  std::vector<const Order*> lists;
  for (const Order* o : cache_.Orders()) {
    if (o->contingency() != ContingencyType::kNone && !o->linked_order_ids().empty() &&
        (!venue || o->instrument_id().venue() == *venue)) {
      lists.push_back(o);
    }
  }
  for (const Order* o : lists) {
    const auto [filled, done] = ListCallOf(*o);
    if (!filled && !done) continue;
    for (const ClientOrderId& id : o->linked_order_ids()) {
      const Order* peer = cache_.order(id);
      if (peer == nullptr || peer->is_closed() || peer->status() == OrderStatus::kPendingCancel) {
        continue;
      }
      std::string refusal;  // an OTO child's late release refused (LateReleaseRefusal)
      switch (o->contingency()) {
        case ContingencyType::kOto: {
          if (peer->parent_order_id() != o->client_order_id() ||
              peer->status() != OrderStatus::kInitialized || released_.count(id) || !done) {
            continue;
          }
          if (o->status() != OrderStatus::kFilled) break;  // ended otherwise: cancelled
          if (!release_children || StartUnderWay()) continue;
          // A child held while trading was HALTED (in this process, or before a restart: the
          // node's snapshot) must still reduce its position if it did when held. Any other
          // child is checked by its day only, as for one whose release the process died
          // before sending: a parent's fill the pass finds may leave a netting position that
          // other lists share, whose children an uninterrupted run would have sent.
          // While trading is HALTED only the day is checked: the child stays held and the
          // resume decides on its position then (it may reopen during the halt).
          const HeldChild* held = FindHeld(id);
          refusal = LateReleaseRefusal(*o, *peer,
                                       held != nullptr && held->must_reduce && !trading_halted_);
          if (refusal.empty() && trading_halted_) {  // a refused child is cancelled, halted or not
            HoldWhileHalted(*peer);
            continue;
          }
          break;
        }
        case ContingencyType::kOco:
          break;
        case ContingencyType::kOuo:
          if (filled) {
            if (!peer->is_open()) continue;  // not yet acknowledged: its fill's reports decide
            // A reduction already in flight (PENDING_UPDATE) is not sent again; a cancel is.
            const Quantity target = OuoTarget(*o, *peer);
            if (target > peer->filled_qty() &&
                (!(target < peer->quantity()) || peer->status() == OrderStatus::kPendingUpdate)) {
              continue;
            }
          }
          break;
        case ContingencyType::kNone:
          continue;
      }
      ++acted;
      if (!refusal.empty()) {
        log().Error("OTO: {}'s child {} was never released: cancelled, {}",
                    o->client_order_id().value(), peer->client_order_id().value(), refusal);
        CancelPeer(*peer);
        continue;
      }
      log().Warning("{} list: {} is {}; acting on {} as the list calls for, which had not been "
                    "done",
                    ToString(o->contingency()), o->client_order_id().value(),
                    ToString(o->status()), peer->client_order_id().value());
      ForgetListRetries(peer->client_order_id());  // its refusals may be retried again
      ActOnPeer(*o, *peer, filled, done);
    }
  }
  return acted;
}

Quantity ExecutionEngine::OuoTarget(const Order& order, const Order& peer) {
  // The peer's original quantity less what this order filled in total, never above what the
  // peer stands at: an earlier reduction may already be applied (or still in flight), and
  // subtracting the cumulative fill from it again would reduce twice.
  const Quantity target = peer.init().quantity - order.filled_qty();
  return peer.quantity() < target ? peer.quantity() : target;
}

void ExecutionEngine::OnOrderStatusReport(const OrderStatusReport& report,
                                          const std::vector<FillReport>& fills,
                                          const ClientId& reporter) {
  Reconciler r(trader_id_, cache_, *this, clock_, uuids_, logger_);
  r.set_client(ReportingClient(reporter, report.instrument_id.venue()));
  ReconcileResult res;
  r.ReconcileOrder(report, fills, res);
  report_mismatches_ += res.mismatches.size();
  for (const std::string& m : res.mismatches) log().Error("order report: {}", m);
}

Status ExecutionEngine::EnableInflightCheck(DurationNs interval, DurationNs threshold) {
  clock_.CancelTimer("ExecEngine.inflight");
  inflight_threshold_ = threshold;
  if (interval <= 0) return Status::Ok();
  return clock_.SetTimer("ExecEngine.inflight", interval, clock_.Now(), UnixNanos(0),
                         [this](const TimeEvent&) { CheckInflight(); });
}

std::string ExecutionEngine::UnresolvedOn(const InstrumentId& id) const {
  for (const auto& [coid, q] : last_query_) {
    if (q.count < kUnresolvedAfter) continue;
    const Order* o = cache_.order(coid);
    if (o == nullptr || !o->is_inflight() || o->instrument_id() != id) continue;
    return fmt::format("{} is still {} after {} queries to its venue; new orders on {} wait until "
                       "it is resolved",
                       coid.value(), ToString(o->status()), q.count, id.value());
  }
  return {};
}

std::size_t ExecutionEngine::CheckInflight() {
  const UnixNanos now = clock_.Now();
  std::size_t sent = 0;
  // Orders that left flight no longer need their query bookkeeping.
  std::erase_if(last_query_, [this](const auto& kv) {
    const Order* o = cache_.order(kv.first);
    return o == nullptr || !o->is_inflight();
  });
  for (const Order* o : cache_.OrdersInflight()) {
    if (now - o->ts_last() < inflight_threshold_) continue;
    auto last = last_query_.find(o->client_order_id());
    if (last != last_query_.end() && now - last->second.at < inflight_threshold_) continue;
    ExecutionClient* c = Route(o->instrument_id(), {});
    if (c == nullptr || !c->is_connected()) continue;  // asked again once it is back
    nacre::QueryOrder q;
    q.trader_id = o->trader_id();
    q.strategy_id = o->strategy_id();
    q.command_id = uuids_.Next();
    q.ts_init = now;
    q.instrument_id = o->instrument_id();
    q.client_order_id = o->client_order_id();
    q.venue_order_id = o->venue_order_id();
    log().Info("{} silent in {} for {} ms: querying the venue", o->client_order_id().value(),
               ToString(o->status()), (now - o->ts_last()) / kNanosPerMilli);
    InflightQuery& iq = last_query_[o->client_order_id()];
    iq.at = now;
    if (++iq.count == kUnresolvedAfter) {
      // Still unresolved: it stays as it is (never decided by a timeout), but someone must look.
      log().Error("{} still {} after {} queries to {}: unresolved, check it at the venue",
                  o->client_order_id().value(), ToString(o->status()), iq.count,
                  c->id().value());
    }
    ++inflight_queries_;
    ++sent;
    c->QueryOrder(q, *o);
  }
  return sent;
}

void ExecutionEngine::RegisterClient(std::unique_ptr<ExecutionClient> client) {
  client->Bind(this, &clock_, &uuids_);
  venue_clients_.insert_or_assign(client->venue(), client->id());
  clients_.insert_or_assign(client->id(), std::move(client));
}

ExecutionClient* ExecutionEngine::client(const ClientId& id) {
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : it->second.get();
}

ExecutionClient* ExecutionEngine::ReportingClient(const ClientId& reporter, const Venue& venue) {
  // A broker's client reports for every exchange it reaches: the one that reported first.
  ExecutionClient* c = client(reporter);
  return c != nullptr ? c : ClientForVenue(venue);
}

ExecutionClient* ExecutionEngine::ClientForVenue(const Venue& venue) {
  auto it = venue_clients_.find(venue);
  return it == venue_clients_.end() ? nullptr : client(it->second);
}

std::vector<ExecutionClient*> ExecutionEngine::clients() {
  std::vector<ExecutionClient*> out;
  for (auto& [id, c] : clients_) out.push_back(c.get());
  return out;
}

ExecutionClient* ExecutionEngine::Route(const InstrumentId& id, const ClientId& explicit_client) {
  if (!explicit_client.empty()) return client(explicit_client);
  return ClientForVenue(id.venue());
}

MessageBus::TopicHandle ExecutionEngine::OrderTopic(const StrategyId& id) {
  auto it = order_topics_.find(id);
  if (it == order_topics_.end())
    it = order_topics_.emplace(id, bus_.Topic(topics::OrderEvents(id))).first;
  return it->second;
}

MessageBus::TopicHandle ExecutionEngine::AccountTopic(const AccountId& id) {
  auto it = account_topics_.find(id);
  if (it == account_topics_.end()) {
    it = account_topics_.emplace(id, bus_.Topic(topics::AccountEvents(id))).first;
  }
  return it->second;
}

MessageBus::TopicHandle ExecutionEngine::PositionTopic(const StrategyId& id) {
  auto it = position_topics_.find(id);
  if (it == position_topics_.end()) {
    it = position_topics_.emplace(id, bus_.Topic(topics::PositionEvents(id))).first;
  }
  return it->second;
}

void ExecutionEngine::Deny(const Order& order, const std::string& code,
                           const std::string& message) {
  OrderDenied d;
  static_cast<OrderEventHeader&>(d) =
      MakeOrderEventHeader(order, uuids_.Next(), clock_.Now(), clock_.Now());
  d.reason_code = code;
  d.message = message;
  Process(d);
}

void ExecutionEngine::Execute(const TradingCommand& command) {
  ++commands_;
  // The call to the client: now, or after the node's group commit (write-ahead).
  auto send = [this, &command](std::function<void()> call) {
    const bool query = std::holds_alternative<QueryOrder>(command);
    if (!write_ahead_.record || query) {
      call();
      return;
    }
    if (Status s = write_ahead_.record(command); !s) {
      log().Error("command {} not sent: the journal refused it: {}",
                  std::visit([](const auto& x) { return x.command_id.ToString(); }, command),
                  s.error());
      if (const auto* submit = std::get_if<SubmitOrder>(&command)) {
        if (const Order* o = cache_.order(submit->client_order_id)) {
          Deny(*o, "JOURNAL_ERROR", s.error());
        }
      } else if (const auto* list = std::get_if<SubmitOrderList>(&command)) {
        for (const ClientOrderId& id : list->client_order_ids) {
          if (const Order* o = cache_.order(id)) Deny(*o, "JOURNAL_ERROR", s.error());
        }
      }
      return;
    }
    outbox_.push_back(std::move(call));
  };
  std::visit(
      [this, &send](const auto& cmd) {
        using T = std::decay_t<decltype(cmd)>;
        ExecutionClient* c = Route(cmd.instrument_id, cmd.client_id);
        if constexpr (std::is_same_v<T, SubmitOrder>) {
          const Order* order = cache_.order(cmd.client_order_id);
          if (order == nullptr) {
            log().Error("submit for unknown order {}", cmd.client_order_id.value());
            return;
          }
          if (c == nullptr) {
            Deny(*order, "NO_EXECUTION_CLIENT",
                 "no execution client for venue " + cmd.instrument_id.venue().value());
            return;
          }
          send([this, c, cmd] {
            if (const Order* o = cache_.order(cmd.client_order_id)) c->SubmitOrder(cmd, *o);
          });
        } else if constexpr (std::is_same_v<T, SubmitOrderList>) {
          std::vector<const Order*> orders;
          for (const ClientOrderId& id : cmd.client_order_ids) {
            if (const Order* o = cache_.order(id)) orders.push_back(o);
          }
          if (c == nullptr) {
            for (const Order* o : orders) {
              Deny(*o, "NO_EXECUTION_CLIENT",
                   "no execution client for venue " + cmd.instrument_id.venue().value());
            }
            return;
          }
          send([this, c, cmd] {
            // OTO children wait for their parent's fill; submit the rest now.
            std::vector<const Order*> now;
            for (const ClientOrderId& id : cmd.client_order_ids) {
              const Order* o = cache_.order(id);
              if (o != nullptr && o->parent_order_id().empty()) now.push_back(o);
            }
            c->SubmitOrderList(cmd, now);
          });
        } else if constexpr (std::is_same_v<T, CancelAllOrders>) {
          if (c == nullptr) {
            log().Error("no execution client for venue {}", cmd.instrument_id.venue().value());
            return;
          }
          send([this, c, cmd] {
            OrderQuery q;
            q.strategy_id = cmd.strategy_id;
            q.instrument_id = cmd.instrument_id;
            if (cmd.side != OrderSide::kNoSide) q.side = cmd.side;
            // Open orders plus submitted-but-unacknowledged ones (a venue processes commands
            // in order, so the cancel arrives after their acceptance).
            std::vector<const Order*> working = cache_.OrdersOpen(q);
            for (const Order* o : cache_.OrdersInflight(q)) {
              if (o->status() == OrderStatus::kSubmitted) working.push_back(o);
            }
            c->CancelAllOrders(cmd, working);
          });
        } else {
          const Order* order = cache_.order(cmd.client_order_id);
          if (order == nullptr) {
            log().Error("command for unknown order {}", cmd.client_order_id.value());
            return;
          }
          if (c == nullptr) {
            log().Error("no execution client for venue {}", cmd.instrument_id.venue().value());
            return;
          }
          send([this, c, cmd] {
            const Order* o = cache_.order(cmd.client_order_id);
            if (o == nullptr) return;
            if constexpr (std::is_same_v<T, ModifyOrder>) c->ModifyOrder(cmd, *o);
            if constexpr (std::is_same_v<T, CancelOrder>) c->CancelOrder(cmd, *o);
            if constexpr (std::is_same_v<T, QueryOrder>) c->QueryOrder(cmd, *o);
          });
        }
      },
      command);
}

std::size_t ExecutionEngine::ReleaseOutbox() {
  std::size_t n = 0;
  // A send may make events that record new commands: those wait for the next commit.
  std::vector<std::function<void()>> batch;
  batch.swap(outbox_);
  for (auto& call : batch) {
    Guard("send", call);
    ++n;
  }
  return n;
}

std::size_t ExecutionEngine::DropOutbox() {
  const std::size_t n = outbox_.size();
  outbox_.clear();
  return n;
}

void ExecutionEngine::Process(const OrderEvent& event) {
  ++events_;
  const OrderEventHeader& h = HeaderOf(event);
  Order* order = cache_.mutable_order(h.client_order_id);
  if (order == nullptr) {
    if (const auto* fill = std::get_if<OrderFilled>(&event)) {
      if (write_ahead_.on_event) write_ahead_.on_event(event);
      cache_.AddOrphanFill(*fill);
      log().Error("fill {} for unknown order {} kept as orphan", fill->trade_id.value(),
                  h.client_order_id.value());
    } else {
      log().Error("{} for unknown order {}", EventName(KindOf(event)), h.client_order_id.value());
    }
    ++refused_;
    return;
  }
  // The venue's acknowledgement of an order cancelled or modified before it came (the request
  // held for the venue's id, or still travelling behind the order): the state machine reads it
  // as the request having failed (ACCEPTED), but the request is still on its way. Pending again
  // at once (below), so the order reads as it is: journaled, a node dying before the held
  // request left finds it pending at the restart, which sends a cancel again and settles a
  // modify by what the venue lists (SettleLostModifies); a refusal that comes restores
  // ACCEPTED. Not while the journal is replayed: it holds that event too.
  const OrderStatus before = order->status();
  const bool late_ack = std::holds_alternative<OrderAccepted>(event) &&
                        order->venue_order_id().empty() &&
                        (before == OrderStatus::kPendingCancel ||
                         before == OrderStatus::kPendingUpdate);
  if (Status s = order->Apply(event); !s) {
    Refused(*order, event, s);
    return;
  }
  cache_.UpdateOrder(*order);
  if (write_ahead_.on_event) write_ahead_.on_event(event);
  if (const auto* fill = std::get_if<OrderFilled>(&event)) {
    cache_.AddFill(*fill);
    // The position moves first, so a strategy's on_order_filled already sees it; the
    // position's own events follow the fill.
    // This fill's position events are [first, end) of a reused buffer; a nested fill (from a
    // handler) appends and publishes its own range after ours and trims back to its start.
    const std::size_t first = position_events_.size();
    HandleFill(*order, *fill);
    const std::size_t last = position_events_.size();
    bus_.Publish(OrderTopic(order->strategy_id()), event);
    for (std::size_t k = first; k < last; ++k) {
      const PositionEvent pe = position_events_[k];  // a copy: the buffer may grow meanwhile
      PublishPositionEvent(pe, fill->strategy_id);
    }
    position_events_.resize(first);
  } else {
    bus_.Publish(OrderTopic(order->strategy_id()), event);
  }
  if (late_ack && !contingencies_suspended_ && order->status() == OrderStatus::kAccepted) {
    if (before == OrderStatus::kPendingCancel) {
      Process(EventAbout<OrderPendingCancel>(*order, uuids_.Next(), clock_.Now()));
    } else {
      Process(EventAbout<OrderPendingUpdate>(*order, uuids_.Next(), clock_.Now()));
    }
  }
  // A denial is never for one member alone: the risk engine (or a missing client) denies
  // the whole list, so each peer gets its own OrderDenied with its reason rather than a
  // local cancel triggered by the first denial.
  const bool denied = std::holds_alternative<OrderDenied>(event);
  if (!denied && !contingencies_suspended_ &&
      (order->contingency() != ContingencyType::kNone || !order->linked_order_ids().empty())) {
    HandleContingencies(*order, event);
  }
}

void ExecutionEngine::Refused(const Order& order, const OrderEvent& event, const Status& why) {
  const OrderEventKind kind = KindOf(event);
  const OrderEventHeader& h = HeaderOf(event);
  if (const auto* fill = std::get_if<OrderFilled>(&event)) {
    for (const TradeId& t : order.trade_ids()) {
      if (t == fill->trade_id) {
        // The same trade reported again (a venue resend, a reconnect's replay): applied once.
        ++duplicates_;
        log().Debug("duplicate fill {} for {} ignored", fill->trade_id.value(),
                    h.client_order_id.value());
        return;
      }
    }
  }
  if (kind == OrderEventKind::kModifyRejected || kind == OrderEventKind::kCancelRejected) {
    // The venue refused a modify/cancel of an order that is no longer pending: it filled or
    // ended while the request travelled (an expected race), or the venue skipped the pending
    // state. The order keeps its state; the strategy still learns its request failed; a list
    // member filled in part meanwhile whose list still calls for its cancel gets it again.
    ++stale_;
    if (order.is_closed() || order.status() == OrderStatus::kPartiallyFilled) {
      log().Info("{} for {} after it became {} (request crossed the venue's update)",
                 EventName(kind), h.client_order_id.value(), ToString(order.status()));
    } else {
      log().Warning("{} for {} in state {}: order unchanged", EventName(kind),
                    h.client_order_id.value(), ToString(order.status()));
    }
    bus_.Publish(OrderTopic(order.strategy_id()), event);
    // Likewise an OUO member whose reduction was refused after it filled in part meanwhile.
    if (!contingencies_suspended_ && !order.linked_order_ids().empty() &&
        (kind == OrderEventKind::kCancelRejected ||
         order.contingency() == ContingencyType::kOuo)) {
      ReactToListState(order, /*refused=*/true);
    }
    return;
  }
  if (order.is_closed() && kind != OrderEventKind::kFilled) {
    // A late or reordered report about an order that already ended: nothing to change.
    ++stale_;
    log().Debug("stale {} for {} in state {} ignored", EventName(kind), h.client_order_id.value(),
                ToString(order.status()));
    return;
  }
  ++refused_;
  log().Warning("{}", why.error());
}

void ExecutionEngine::HandleFill(Order& order, const OrderFilled& fill) {
  const Instrument* inst = cache_.instrument(fill.instrument_id);
  if (inst == nullptr) {
    log().Error("fill {} for unknown instrument {}", fill.trade_id.value(),
                fill.instrument_id.value());
    return;
  }
  OrderFilled f = fill;
  if (f.position_id.empty()) f.position_id = NettingPositionId(f.instrument_id, f.strategy_id);
  if (order.position_id().empty()) order.set_position_id(f.position_id);
  ApplyToPosition(*inst, f);
}

void ExecutionEngine::ApplyToPosition(const Instrument& inst, const OrderFilled& fill) {
  Position* pos = cache_.mutable_position(fill.position_id);
  if (pos != nullptr && pos->is_open() && pos->WouldFlip(fill.order_side, fill.last_qty)) {
    auto [close_part, open_part] = SplitFlipFill(fill, pos->quantity());
    ApplyToPosition(inst, close_part);
    ApplyToPosition(inst, open_part);
    return;
  }
  const UnixNanos now = clock_.Now();
  if (pos == nullptr || pos->is_closed()) {
    if (pos != nullptr) cache_.SnapshotPosition(*pos);
    pos = cache_.AddPosition(std::make_unique<Position>(inst, fill));
    PositionOpened e;
    static_cast<PositionEventBase&>(e) = MakePositionEventBase(*pos, fill, uuids_.Next(), now);
    QueuePositionEvent(e);
    return;
  }
  if (Status s = pos->Apply(fill); !s) {
    log().Error("{}", s.error());
    return;
  }
  cache_.UpdatePosition(*pos);
  if (pos->is_closed()) {
    PositionClosed e;
    static_cast<PositionEventBase&>(e) = MakePositionEventBase(*pos, fill, uuids_.Next(), now);
    e.duration = pos->ts_closed() - pos->ts_opened();
    QueuePositionEvent(e);
  } else {
    PositionChanged e;
    static_cast<PositionEventBase&>(e) = MakePositionEventBase(*pos, fill, uuids_.Next(), now);
    QueuePositionEvent(e);
  }
}

void ExecutionEngine::PublishPositionEvent(const PositionEvent& e, const StrategyId& strategy) {
  bus_.Publish(PositionTopic(strategy), e);
}

void ExecutionEngine::QueuePositionEvent(const PositionEvent& e) { position_events_.push_back(e); }

void ExecutionEngine::OnAccountState(const AccountState& state) {
  Account* account = cache_.mutable_account(state.account_id);
  if (account == nullptr) {
    log().Error("account state for unknown account {}", state.account_id.value());
    return;
  }
  if (Status s = account->ApplyState(state); !s) {
    log().Error("{}", s.error());
    return;
  }
  bus_.Publish(AccountTopic(state.account_id), state);
}

void ExecutionEngine::SubmitReleased(const Order& child) {
  // Once: with write-ahead the command waits in the outbox and the child stays INITIALIZED
  // until it is sent, so its state alone cannot say it was released.
  if (!released_.insert(child.client_order_id()).second) return;
  ForgetHeld(child.client_order_id());
  auto cmd = CommandAbout<nacre::SubmitOrder>(child, uuids_.Next(), clock_.Now());
  cmd.position_id = child.position_id();
  log().Info("OTO: releasing {} after parent fill", child.client_order_id().value());
  // Released children pass through the risk engine like any other submission.
  if (bus_.HasEndpoint(topics::kRiskEngineExecute)) {
    (void)bus_.SendNow<TradingCommand>(topics::kRiskEngineExecute, TradingCommand(cmd));
  } else {
    Execute(cmd);
  }
}

void ExecutionEngine::CancelPeer(const Order& peer) {
  if (peer.is_closed()) return;
  ForgetHeld(peer.client_order_id());
  // A cancel pending from before a restart is sent by this one (ResendPendingCancels would
  // send it again).
  if (restart_pending_) std::erase(restart_pending_->cancels, peer.client_order_id());
  if (peer.status() == OrderStatus::kInitialized) {
    // Never sent: cancel locally.
    OrderCanceled c;
    static_cast<OrderEventHeader&>(c) =
        MakeOrderEventHeader(peer, uuids_.Next(), clock_.Now(), clock_.Now());
    Process(c);
    return;
  }
  if (peer.status() != OrderStatus::kPendingCancel) {
    // PENDING_CANCEL at once, as a strategy's own cancel: journaled with the command, so a
    // crash before the send leaves an order whose cancel the next start sends again.
    Process(EventAbout<OrderPendingCancel>(peer, uuids_.Next(), clock_.Now()));
  }
  Execute(CommandAbout<nacre::CancelOrder>(peer, uuids_.Next(), clock_.Now()));
}

void ExecutionEngine::HandleContingencies(const Order& order, const OrderEvent& event) {
  // Back to working after a refused cancel, a late acknowledgement or (an OCO member) a
  // modify's answer: the list may call for this order's end (its cancel refused, or owed while
  // a modify travelled). Not an OUO member's applied modify: that is the list's own reduction
  // coming back (the fills reduce it as they come), and acting on it would send one again. A
  // refused one (the reduction, or the strategy's own modify) may leave the order above what
  // the list calls for: acted on as a refused cancel is, after a pause.
  const bool updated = std::holds_alternative<OrderUpdated>(event);
  const bool modify_refused = std::holds_alternative<OrderModifyRejected>(event);
  if (order.contingency() != ContingencyType::kOco && (updated || modify_refused)) {
    if (modify_refused && order.contingency() == ContingencyType::kOuo) {
      ReactToListState(order, /*refused=*/true);
    } else if (updated) {
      // A modify landed. Where the list now stands as called for (its reduction applied), a
      // later reduction's attempts start over. Where one is still owed (the strategy's modify,
      // an earlier reduction's answer, a venue that applied another quantity), it is asked
      // again after a pause, within the attempts left (a retry waiting is replaced, not
      // dropped; a venue that never applies the target is not asked forever).
      if (ListOwes(order)) {
        ReactToListState(order, /*refused=*/true);
      } else {
        ForgetListRetries(order.client_order_id());
      }
    }
    return;
  }
  if (updated || modify_refused || std::holds_alternative<OrderCancelRejected>(event) ||
      std::holds_alternative<OrderAccepted>(event)) {
    ReactToListState(order, std::holds_alternative<OrderCancelRejected>(event));
    return;
  }
  const bool filled = std::holds_alternative<OrderFilled>(event);
  const bool done = order.is_closed();
  if (done) ForgetListRetries(order.client_order_id());
  for (const ClientOrderId& id : order.linked_order_ids()) {
    const Order* peer = cache_.order(id);
    if (peer == nullptr) continue;
    // A fresh call on the peer (a further fill's reduction, say): its attempts count afresh,
    // not against the refusals of an earlier one that was met since.
    if (ActOnPeer(order, *peer, filled, done, /*act=*/false)) ForgetListRetries(id);
    ActOnPeer(order, *peer, filled, done);
  }
}

void ExecutionEngine::HoldWhileHalted(const Order& child) {
  if (FindHeld(child.client_order_id()) != nullptr) return;
  halt_held_.push_back(HeldChild{child.client_order_id(), MustStillReduce(child)});
  ++held_changes_;
  log().Warning("OTO: {}'s parent filled while trading is HALTED: {} held, released when "
                "trading resumes (a cancel-all or flatten cancels it)",
                child.parent_order_id().value(), child.client_order_id().value());
}

const ExecutionEngine::HeldChild* ExecutionEngine::FindHeld(const ClientOrderId& id) const {
  for (const HeldChild& h : halt_held_) {
    if (h.id == id) return &h;
  }
  return nullptr;
}

void ExecutionEngine::ForgetHeld(const ClientOrderId& id) {
  if (std::erase_if(halt_held_, [&](const HeldChild& h) { return h.id == id; }) != 0) {
    ++held_changes_;
  }
}

std::vector<ExecutionEngine::HeldChild> ExecutionEngine::HeldWhileHalted() const {
  std::vector<HeldChild> out;
  for (const HeldChild& h : halt_held_) {
    if (UnsentChildOfFilledParent(h.id).first != nullptr) out.push_back(h);
  }
  return out;
}

std::pair<const Order*, const Order*> ExecutionEngine::UnsentChildOfFilledParent(
    const ClientOrderId& id) const {
  const Order* child = cache_.order(id);
  if (child == nullptr || child->status() != OrderStatus::kInitialized) return {};
  const Order* parent = cache_.order(child->parent_order_id());
  if (parent == nullptr || parent->status() != OrderStatus::kFilled) return {};
  return {child, parent};
}

void ExecutionEngine::RestoreHeldWhileHalted(const HeldChild& held) {
  if (UnsentChildOfFilledParent(held.id).first == nullptr) {
    log().Warning("OTO: {} was held while trading was HALTED before the restart but is no "
                  "longer an unsent child of a filled parent: not held",
                  held.id.value());
    return;
  }
  if (FindHeld(held.id) != nullptr) return;
  halt_held_.push_back(held);
  ++held_changes_;
  await_first_start_ = true;  // decided by the start's end, against reconciled positions
}

bool ExecutionEngine::MustStillReduce(const Order& child) const {
  // Reducing its position now, or on its parent's instrument and the other side (a hold after
  // a restart, the position having closed while the process was down, still sees what the
  // child is for): what closes the parent's position must not open one. A re-entry child (the
  // parent closed a position, the child opens it again lower) is then refused, the safe side,
  // with an ERROR that says so.
  const Order* parent = cache_.order(child.parent_order_id());
  return ReducesItsPosition(child) ||
         (parent != nullptr && child.instrument_id() == parent->instrument_id() &&
          child.side() != parent->side());
}

bool ExecutionEngine::ReducesItsPosition(const Order& child) const {
  const Position* pos = cache_.position(
      child.position_id().empty() ? NettingPositionId(child.instrument_id(), child.strategy_id())
                                  : child.position_id());
  return pos != nullptr && pos->is_open() && child.side() == pos->ClosingSide() &&
         child.quantity() <= pos->quantity();
}

std::string ExecutionEngine::LateReleaseRefusal(const Order& parent, const Order& child,
                                                bool reduced_when_held) const {
  const auto day = venue_day_start_.find(parent.instrument_id().venue());
  const bool before_venue_day = day != venue_day_start_.end() && parent.ts_last() < day->second;
  if (before_venue_day || IstDate(parent.ts_last()) != IstDate(clock_.Now())) {
    return fmt::format("not sent into a later day's market (its parent filled on {})",
                       FormatDate(IstDate(parent.ts_last())));
  }
  // Held while trading was HALTED reducing its position: it goes only while it still would
  // (the position not closed, turned or shrunk below it meanwhile by a flatten or the
  // strategy's exit), never to open a new one.
  if (reduced_when_held && !ReducesItsPosition(child)) {
    return fmt::format("not sent: it would no longer only reduce its position (closed, turned "
                       "or now smaller than its {}); place what protects the position now "
                       "yourself",
                       child.quantity().ToString());
  }
  return {};
}

void ExecutionEngine::SetTradingHalted(bool halted) {
  trading_halted_ = halted;
  if (halted || halt_held_.empty()) return;
  std::vector<HeldChild> held;
  held.swap(halt_held_);
  for (const HeldChild& h : held) {
    const ClientOrderId& id = h.id;
    const auto [child, parent] = UnsentChildOfFilledParent(id);
    if (child == nullptr) continue;
    // Halted again by what an earlier release set off, or a start under way (from a node's
    // recovery: an operator's resume while the node waits for its clients), whose end decides
    // (ReassertContingencies, by this entry): still held.
    if (trading_halted_ || StartUnderWay()) {
      halt_held_.push_back(h);
      continue;
    }
    if (const std::string refusal = LateReleaseRefusal(*parent, *child, h.must_reduce);
        !refusal.empty()) {
      log().Error("OTO: {} held while trading was HALTED: cancelled, {}", id.value(), refusal);
      CancelPeer(*child);
      continue;
    }
    log().Info("OTO: trading resumed: releasing {} held while it was HALTED", id.value());
    SubmitReleased(*child);
  }
  if (halt_held_.size() != held.size()) ++held_changes_;  // some released, refused or gone
}

bool ExecutionEngine::ListOwes(const Order& order) {
  for (const ClientOrderId& id : order.linked_order_ids()) {
    const Order* sibling = cache_.order(id);
    if (sibling == nullptr) continue;
    const auto [filled, done] = ListCallOf(*sibling);
    if ((filled || done) && ActOnPeer(*sibling, order, filled, done, /*act=*/false)) return true;
  }
  return false;
}

void ExecutionEngine::ForgetListRetries(const ClientOrderId& id) {
  if (list_retries_.erase(id) != 0) clock_.CancelTimer("ExecEngine.list." + id.value());
}

void ExecutionEngine::ReactToListState(const Order& order, bool refused) {
  // This list member works, not being cancelled or modified, after a venue refused its cancel
  // (its contingency's, a strategy's or the kill switch's), refused a modify of it (an OUO
  // member: the list's reduction, or a strategy's modify while a reduction was owed) or
  // acknowledged it (a cancel that overtook the order was refused before it). Where a
  // sibling's state still calls for its end or reduction (an OCO sibling filled or ended, an
  // OUO sibling done or filled), that is done again: a peer's cancel is not sent again on the
  // sibling's later fills while it travels (ActOnPeer), and the sibling may have no more fills
  // to come. After a refusal, not at once (the venue refused for a reason: busy, rate-limited,
  // the session ending) but 1, 2, then 4 seconds later on the kernel's clock; three times for
  // each call of the list (a reduction that lands, or a sibling's further fill, starts the
  // count again), after which the refusals stand and the next pass over the lists (a Kite
  // reconnect's, a start's) tries again.
  static constexpr int kMaxListRetries = 3;
  if (!order.is_open() || order.status() == OrderStatus::kPendingCancel ||
      order.status() == OrderStatus::kPendingUpdate) {
    return;
  }
  for (const ClientOrderId& id : order.linked_order_ids()) {
    const Order* sibling = cache_.order(id);
    if (sibling == nullptr) continue;
    const auto [filled, done] = ListCallOf(*sibling);
    // Nothing owed (the list stands as called for: a reduction already applied, a strategy's
    // modify refused while nothing was owed): nothing to try or to count.
    if ((!filled && !done) || !ActOnPeer(*sibling, order, filled, done, /*act=*/false)) continue;
    int& retries = list_retries_[order.client_order_id()];
    if (retries >= kMaxListRetries) {
      log().Error("{} list: {} is {}, and {} still works after {} attempts to act on it: left "
                  "working (the next pass over the lists, a reconnect's or a start's, tries "
                  "again)",
                  ToString(sibling->contingency()), sibling->client_order_id().value(),
                  ToString(sibling->status()), order.client_order_id().value(), retries);
      return;
    }
    if (refused) {
      ArmListRetry(order.client_order_id(), kNanosPerSecond << retries);
      return;
    }
    ++retries;  // before acting: a refusal answered at once comes back here counted
    log().Warning("{} list: {} works while {} is {}: acted on again as the list calls for",
                  ToString(sibling->contingency()), order.client_order_id().value(),
                  sibling->client_order_id().value(), ToString(sibling->status()));
    ActOnPeer(*sibling, order, filled, done);
    return;
  }
}

void ExecutionEngine::ArmListRetry(const ClientOrderId& id, DurationNs after) {
  const std::string name = "ExecEngine.list." + id.value();
  clock_.CancelTimer(name);
  const Status armed =
      clock_.SetTimeAlert(name, clock_.Now() + after, [this, id, after](const TimeEvent&) {
        const Order* o = cache_.order(id);
        if (o == nullptr) return;
        if (o->status() == OrderStatus::kPendingUpdate) {
          // A modify travels (the strategy's, a reduction): asked again once it is answered,
          // not dropped.
          ArmListRetry(id, after);
          return;
        }
        ReactToListState(*o, /*refused=*/false);
      });
  if (!armed) log().Error("list retry for {} not scheduled: {}", id.value(), armed.error());
}

bool ExecutionEngine::ActOnPeer(const Order& order, const Order& peer, bool filled, bool done,
                                bool act) {
  // A peer being cancelled already has its cancel on the way (or, at a restart, waiting for
  // ResendPendingCancels): each further fill of this order would otherwise send the venue
  // another, which it refuses as the order is already cancelled. A cancel the venue refuses
  // returns the peer to its working state and is acted on again (ReactToListState).
  if (peer.status() == OrderStatus::kPendingCancel || peer.is_closed()) return false;
  switch (order.contingency()) {
    case ContingencyType::kOto:
      // Children are released once the parent is completely filled. If the parent ends any
      // other way (even partly filled) the children, never sent, are canceled locally: their
      // quantities were sized for the full parent, so releasing them could over-close; the
      // strategy sees the cancels and the partial position.
      if (peer.parent_order_id() == order.client_order_id() &&
          peer.status() == OrderStatus::kInitialized) {
        if (order.status() == OrderStatus::kFilled) {
          if (StartUnderWay()) {
            // Found filled by a restart's reconciliation: held until the start has succeeded
            // and trading is back (ReassertContingencies), never denied on the way.
            if (act) {
              log().Info("OTO: {} held until the start completes", peer.client_order_id().value());
            }
            return false;
          }
          if (trading_halted_) {
            if (act) HoldWhileHalted(peer);
            return false;
          }
          if (act) SubmitReleased(peer);
          return true;
        }
        if (done) {
          if (!act) return true;
          if (!order.filled_qty().is_zero()) {
            log().Warning("OTO parent {} ended partly filled ({}); canceling child {}",
                          order.client_order_id().value(), order.filled_qty().ToString(),
                          peer.client_order_id().value());
          }
          CancelPeer(peer);
          return true;
        }
      }
      return false;
    case ContingencyType::kOco:
      if (!filled && !done) return false;
      if (act) CancelPeer(peer);
      return true;
    case ContingencyType::kOuo:
      if (done && !filled) {
        if (act) CancelPeer(peer);
        return true;
      }
      if (filled && peer.is_open()) {
        // Reduce the peer by what this order has filled in total (OuoTarget).
        const Quantity target = OuoTarget(order, peer);
        if (target <= peer.filled_qty()) {
          if (act) CancelPeer(peer);
          return true;
        }
        if (target < peer.quantity()) {
          if (act) ReducePeer(peer, target);
          return true;
        }
      }
      return false;
    case ContingencyType::kNone:
      return false;
  }
  return false;
}

void ExecutionEngine::ReducePeer(const Order& peer, Quantity target) {
  // A modify pending from before a restart is answered by this one (SettleLostModifies would
  // otherwise read it as lost while this waits in the outbox).
  if (restart_pending_) std::erase(restart_pending_->modifies, peer.client_order_id());
  if (peer.status() == OrderStatus::kAccepted || peer.status() == OrderStatus::kTriggered ||
      peer.status() == OrderStatus::kPartiallyFilled) {
    // PENDING_UPDATE at once, as a strategy's own modify: journaled with the command, so a
    // crash before the send leaves an order the next start settles (SettleLostModifies) and
    // reduces again (ActOnContingentLists).
    Process(EventAbout<OrderPendingUpdate>(peer, uuids_.Next(), clock_.Now()));
  }
  auto m = CommandAbout<nacre::ModifyOrder>(peer, uuids_.Next(), clock_.Now());
  m.quantity = target;
  Execute(m);
}

}  // namespace nacre
