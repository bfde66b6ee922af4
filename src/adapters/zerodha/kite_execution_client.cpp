#include "adapters/zerodha/kite_execution_client.h"

#include <fmt/format.h>

#include <algorithm>

#include "adapters/zerodha/kite_json.h"
#include "core/secrets.h"
#include "net/io_thread.h"

namespace nacre {
namespace {

std::string_view KiteOrderType(OrderType t) {
  switch (t) {
    case OrderType::kMarket: return "MARKET";
    case OrderType::kLimit: return "LIMIT";
    case OrderType::kStopLimit: return "SL";
    case OrderType::kStopMarket: return "SL-M";
  }
  return "";
}

OrderType NacreOrderType(std::string_view t) {
  if (t == "LIMIT") return OrderType::kLimit;
  if (t == "SL") return OrderType::kStopLimit;
  if (t == "SL-M") return OrderType::kStopMarket;
  return OrderType::kMarket;
}

std::int64_t Units(Quantity q) { return q.raw() / kFixedScale; }

bool BeingProcessed(const KiteOutcome& out) {
  return out.kind == KiteOutcome::Kind::kRefused &&
         out.error.message.find("being processed") != std::string::npos;
}

// Why a placement or command was refused, in Kite's own words.
std::string RefusalText(const KiteOutcome& out) {
  if (out.kind == KiteOutcome::Kind::kRefused || out.kind == KiteOutcome::Kind::kTokenExpired) {
    const std::string& type = out.error.error_type;
    if (type == "MarginException") return "margin shortfall: " + out.error.message;
    return fmt::format("{}: {}", type.empty() ? "Kite" : type, out.error.message);
  }
  return out.message;
}

}  // namespace

KiteExecutionClient::KiteExecutionClient(KiteExecConfig config, KiteRestClient& rest, Inbox& inbox)
    : ExecutionClient(config.client_id, config.venue, config.account_id),
      config_(std::move(config)),
      rest_(rest),
      inbox_(inbox),
      io_(std::make_unique<net::IoThread>()),
      charges_(std::make_unique<ChargeCalculator>(schedule_)) {
  alive_->self = this;
  for (std::size_t i = 0; i < config_.symbols.size(); ++i) {
    const KiteSymbol& s = config_.symbols[i];
    by_instrument_.emplace(s.instrument_id, i);
    by_symbol_.emplace(std::make_pair(s.exchange, s.tradingsymbol), i);
  }
}

void KiteExecutionClient::AddSymbols(const std::vector<KiteSymbol>& symbols) {
  for (const KiteSymbol& s : symbols) {
    if (by_instrument_.count(s.instrument_id) != 0) continue;
    const std::size_t at = config_.symbols.size();
    config_.symbols.push_back(s);
    by_instrument_.emplace(s.instrument_id, at);
    by_symbol_.emplace(std::make_pair(s.exchange, s.tradingsymbol), at);
  }
}

KiteExecutionClient::~KiteExecutionClient() {
  {
    std::lock_guard lock(alive_->mu);
    alive_->self = nullptr;
  }
  closing_.store(true);
  io_->Stop();   // no timer posts a request any more
  rest_.Stop();  // no answer calls back into this client any more
}

void KiteExecutionClient::Kernel(std::string origin, std::function<void()> fn) {
  if (closing_.load()) return;
  inbox_.PushExec(Now(), KernelTask{std::move(origin), std::move(fn)});
}

void KiteExecutionClient::After(DurationNs delay, std::function<void()> fn) {
  if (closing_.load()) return;
  if (delay <= 0) {
    io_->Post(std::move(fn));
  } else {
    io_->After(delay, std::move(fn));
  }
}

const KiteSymbol* KiteExecutionClient::SymbolOf(const InstrumentId& id) const {
  const auto it = by_instrument_.find(id);
  return it == by_instrument_.end() ? nullptr : &config_.symbols[it->second];
}

const KiteSymbol* KiteExecutionClient::SymbolOf(const std::string& exchange,
                                                const std::string& tradingsymbol) const {
  const auto it = by_symbol_.find({exchange, tradingsymbol});
  return it == by_symbol_.end() ? nullptr : &config_.symbols[it->second];
}

KiteCall KiteExecutionClient::Get(std::string path, DurationNs budget) const {
  KiteCall c;
  c.path = std::move(path);
  c.budget = budget;
  c.deadline = config_.request_deadline;
  return c;
}

KiteCall KiteExecutionClient::OrderCommand(std::string method, const std::string& kite_id) const {
  KiteCall c = Get(kite_id.empty() ? "/orders/regular" : "/orders/regular/" + kite_id,
                   config_.place_budget);
  c.method = std::move(method);
  return c;
}

void KiteExecutionClient::Alert(AlertKind kind, const std::string& text) {
  if (alert_) alert_(kind, Redact(text));
}

// ---- connection ----

void KiteExecutionClient::Connect() {
  closing_.store(false);
  // Connected once Kite answers for the account (the session is valid): its margins, which are
  // also what Kite reports of the account.
  margins_in_flight_ = true;
  rest_.Post(Get("/user/margins", 10 * kNanosPerSecond), [this](KiteOutcome out) {
    Kernel("KITE margins", [this, out = std::move(out)] {
      if (!out.ok()) {
        margins_in_flight_ = false;
        if (out.kind == KiteOutcome::Kind::kTokenExpired) Alert(AlertKind::kToken, out.message);
        Alert(AlertKind::kInfo, "connect: " + out.message);
        return;
      }
      connected_.store(true);
      OnMargins(out);
    });
  });
  if (config_.orders_poll > 0 && poll_timer_ == 0) {
    poll_timer_ = io_->Every(config_.orders_poll, [this] {
      if (closing_.load() || !connected_.load()) return;
      rest_.Post(Get("/orders", config_.orders_poll), [this](KiteOutcome out) {
        Kernel("KITE poll", [this, out = std::move(out)] { OnPolled(out); });
      });
    });
  }
  if (config_.account_poll > 0 && account_timer_ == 0) {
    account_timer_ = io_->Every(config_.account_poll, [this] {
      if (closing_.load() || !connected_.load()) return;
      Kernel("KITE account poll", [this] { RefreshAccount(); });
    });
  }
  if (config_.positions_poll > 0 && positions_timer_ == 0) {
    positions_timer_ = io_->Every(config_.positions_poll, [this] {
      if (closing_.load() || !connected_.load()) return;
      Kernel("KITE positions poll", [this] { PollPositions(); });
    });
  }
}

void KiteExecutionClient::Disconnect() {
  connected_.store(false);
  closing_.store(true);
  for (std::uint64_t* timer : {&poll_timer_, &account_timer_, &positions_timer_}) {
    if (*timer != 0) {
      io_->Cancel(*timer);
      *timer = 0;
    }
  }
}

// ---- the account as Kite reports it ----

void KiteExecutionClient::RefreshAccount() {
  if (margins_in_flight_) {
    margins_again_ = true;  // one more once this one is back
    return;
  }
  margins_in_flight_ = true;
  rest_.Post(Get("/user/margins", 10 * kNanosPerSecond), [this](KiteOutcome out) {
    Kernel("KITE margins", [this, out = std::move(out)] { OnMargins(out); });
  });
}

void KiteExecutionClient::AccountAfterFills() {
  if (!new_trades_) return;
  new_trades_ = false;
  if (account_after_fills_) return;  // a read is already scheduled for this batch
  account_after_fills_ = true;
  After(config_.account_debounce, [this] {
    Kernel("KITE account after fills", [this] {
      account_after_fills_ = false;
      RefreshAccount();
    });
  });
}

void KiteExecutionClient::OnMargins(const KiteOutcome& out) {
  margins_in_flight_ = false;
  if (margins_again_) {
    margins_again_ = false;
    RefreshAccount();  // a later picture is coming: this one is still reported below
  }
  if (!out.ok()) {
    if (out.kind == KiteOutcome::Kind::kTokenExpired) Alert(AlertKind::kToken, out.message);
    Alert(AlertKind::kInfo, "reading the account (/user/margins): " + out.message);
    return;
  }
  auto m = ParseKiteMarginSegment(out.data);
  if (!m.ok()) {
    Alert(AlertKind::kInfo, "reading the account (/user/margins): " + m.error());
    return;
  }
  ++stats_.account_reads;
  const Money locked = m->span + m->exposure;
  const Money total = m->net + locked;
  Alert(AlertKind::kInfo,
        fmt::format("Kite account (equity segment): net {}, span {}, exposure {}, option premium "
                    "{}, total {}",
                    m->net.ToString(), m->span.ToString(), m->exposure.ToString(),
                    m->option_premium.ToString(), total.ToString()));
  if (books_.balance) {
    if (const std::optional<Money> ours = books_.balance(); ours) {
      const Money diff = total - *ours;
      const Money abs = diff.raw() < 0 ? Money::Zero() - diff : diff;
      // A fill Kite has booked and the kernel not yet (in flight) makes one read differ: a
      // difference is reported when the next read still shows it.
      const bool apart = abs > config_.account_tolerance;
      const bool again = apart && account_apart_;
      account_apart_ = apart;
      if (again) {
        ++stats_.account_warnings;
        Alert(AlertKind::kWarn,
              fmt::format("account {}: Kite reports a total of {} (net {} + span {} + exposure "
                          "{}), Nacre's books {}: {} apart (tolerance {})",
                          account_id().value(), total.ToString(), m->net.ToString(),
                          m->span.ToString(), m->exposure.ToString(), ours->ToString(),
                          diff.ToString(), config_.account_tolerance.ToString()));
      }
    }
  }
  AccountState s;
  s.account_id = account_id();
  s.account_type = AccountType::kMargin;
  s.base_currency = Currency::INR();
  s.balance = AccountBalance{total, locked, m->net};
  s.reported = true;
  s.event_id = uuids().Next();
  s.ts_event = Now();
  s.ts_init = Now();
  EmitAccountState(s);
}

// ---- position polling ----

void KiteExecutionClient::PollPositions() {
  if (positions_in_flight_) return;  // the next tick asks again
  positions_in_flight_ = true;
  rest_.Post(Get("/portfolio/positions", 10 * kNanosPerSecond), [this](KiteOutcome out) {
    Kernel("KITE positions", [this, out = std::move(out)] { OnPositions(out); });
  });
}

void KiteExecutionClient::OnPositions(const KiteOutcome& out) {
  positions_in_flight_ = false;
  if (!out.ok()) {
    if (out.kind == KiteOutcome::Kind::kTokenExpired) Alert(AlertKind::kToken, out.message);
    Alert(AlertKind::kInfo, "position poll (/portfolio/positions): " + out.message);
    return;  // no picture: the suspects wait for the next one
  }
  auto kp = ParseKiteNetPositions(out.data);
  if (!kp.ok()) {
    Alert(AlertKind::kInfo, "position poll (/portfolio/positions): " + kp.error());
    return;
  }
  if (!books_.positions) return;
  ++stats_.position_polls;
  std::map<InstrumentId, std::int64_t> kite;
  for (const KitePosition& p : *kp) {
    auto r = PositionOf(p);
    if (!r.ok() || r->instrument_id.venue() != venue()) continue;
    kite[r->instrument_id] += r->signed_qty_raw();
  }
  const std::map<InstrumentId, std::int64_t> ours = books_.positions();
  std::set<InstrumentId> all;
  for (const auto& [id, n] : kite) all.insert(id);
  for (const auto& [id, n] : ours) all.insert(id);
  std::map<InstrumentId, std::pair<std::int64_t, std::int64_t>> now;
  for (const InstrumentId& id : all) {
    if (books_.expired && books_.expired(id)) continue;
    const auto k = kite.find(id);
    const auto o = ours.find(id);
    const std::int64_t kq = k == kite.end() ? 0 : k->second;
    const std::int64_t oq = o == ours.end() ? 0 : o->second;
    if (kq != oq) now.emplace(id, std::make_pair(kq, oq));
  }
  auto qty = [](std::int64_t raw) {
    return fmt::format("{}{}", raw < 0 ? "-" : (raw > 0 ? "+" : ""),
                       Quantity::Raw(raw < 0 ? -raw : raw, 0).ToString());
  };
  std::vector<std::string> persisting;
  for (const auto& [id, pair] : now) {
    const auto before = position_suspects_.find(id);
    if (before != position_suspects_.end() && before->second == pair) {
      persisting.push_back(fmt::format("position {}: Kite {}, ours {}", id.value(),
                                       qty(pair.first), qty(pair.second)));
    }
  }
  if (!now.empty() && persisting.empty()) ++stats_.position_suspects;
  position_suspects_ = std::move(now);
  if (persisting.empty()) return;
  ++stats_.position_halts;
  std::string why = "position poll: Kite's net positions differ from ours on two consecutive "
                    "polls: ";
  for (std::size_t i = 0; i < persisting.size(); ++i) {
    why += (i > 0 ? "; " : "") + persisting[i];
  }
  position_suspects_.clear();  // halted once for this picture
  Alert(AlertKind::kLost, why);
  if (books_.halt) books_.halt(why);
}

// ---- place ----

void KiteExecutionClient::SubmitOrder(const ::nacre::SubmitOrder& /*cmd*/, const Order& order) {
  const OrderRef ref = RefOf(order);
  const KiteSymbol* sym = SymbolOf(order.instrument_id());
  std::string_view type = KiteOrderType(order.order_type());
  std::string validity;
  if (order.time_in_force() == TimeInForce::kDay) validity = "DAY";
  if (order.time_in_force() == TimeInForce::kIoc) validity = "IOC";
  std::string refusal;
  if (sym == nullptr) {
    refusal = fmt::format("no Kite trading symbol for {}", order.instrument_id().value());
  } else if (validity.empty()) {
    refusal = "Kite takes DAY or IOC orders only";
  } else if (order.venue_tag().empty()) {
    refusal = "the order has no venue tag (a Kite order is found by its tag after an ambiguous "
              "send)";
  }
  if (!refusal.empty()) {
    GenerateOrderSubmitted(ref, Now());
    GenerateOrderRejected(ref, refusal, Now());
    ++stats_.rejected;
    return;
  }
  KiteCall call = OrderCommand("POST", "");
  call.params = {{"exchange", sym->exchange},
                 {"tradingsymbol", sym->tradingsymbol},
                 {"transaction_type", order.side() == OrderSide::kBuy ? "BUY" : "SELL"},
                 {"order_type", std::string(type)},
                 {"quantity", std::to_string(Units(order.quantity()))},
                 {"product", config_.product},
                 {"validity", validity},
                 {"tag", order.venue_tag()}};
  if (order.price()) call.params.emplace_back("price", order.price()->ToString());
  if (order.trigger_price()) call.params.emplace_back("trigger_price", order.trigger_price()->ToString());
  if (order.order_type() == OrderType::kMarket || order.order_type() == OrderType::kStopMarket) {
    const std::int64_t raw = order.market_protection_pct_raw();
    call.params.emplace_back("market_protection",
                             raw > 0 ? FormatFixedRaw(raw, 2) : config_.default_market_protection);
  }
  Tracked t;
  t.ref = ref;
  t.tag = order.venue_tag();
  t.price_precision = sym->price_precision;
  t.multiplier = sym->multiplier;
  t.placing = true;
  tracked_[order.client_order_id()] = std::move(t);
  GenerateOrderSubmitted(ref, Now());
  const ClientOrderId id = order.client_order_id();
  rest_.Post(std::move(call), [this, id](KiteOutcome out) {
    Kernel("KITE place " + id.value(), [this, id, out = std::move(out)] { OnPlaced(id, out); });
  });
}

void KiteExecutionClient::SubmitOrderList(const ::nacre::SubmitOrderList& cmd,
                                          const std::vector<const Order*>& orders) {
  // The check first (it reads the books as they are before the legs are working), then the
  // legs at once: the send never waits for Kite's answer.
  if (config_.basket_margin_check && orders.size() >= 2) CheckBasket(orders);
  ExecutionClient::SubmitOrderList(cmd, orders);
}

void KiteExecutionClient::CheckBasket(const std::vector<const Order*>& orders) {
  nlohmann::json legs = nlohmann::json::array();
  std::string names;
  for (const Order* o : orders) {
    const KiteSymbol* sym = SymbolOf(o->instrument_id());
    if (sym == nullptr) {
      ++stats_.basket_failures;
      Alert(AlertKind::kInfo, fmt::format("basket margin check skipped: no Kite trading symbol "
                                          "for {}",
                                          o->instrument_id().value()));
      return;
    }
    nlohmann::json leg = {{"exchange", sym->exchange},
                          {"tradingsymbol", sym->tradingsymbol},
                          {"transaction_type", o->side() == OrderSide::kBuy ? "BUY" : "SELL"},
                          {"variety", "regular"},
                          {"product", config_.product},
                          {"order_type", std::string(KiteOrderType(o->order_type()))},
                          {"quantity", Units(o->quantity())}};
    if (o->price()) leg["price"] = KitePriceJson(*o->price());
    if (o->trigger_price()) {
      leg["trigger_price"] = KitePriceJson(*o->trigger_price());
    }
    legs.push_back(std::move(leg));
    names += (names.empty() ? "" : ", ") + fmt::format("{} {} {}", o->side() == OrderSide::kBuy ? "BUY" : "SELL",
                                                       Units(o->quantity()), sym->tradingsymbol);
  }
  std::string ours = "none";
  if (books_.spread_margin) {
    auto m = books_.spread_margin(orders);
    ours = m.ok() ? m->ToString() : "unknown (" + m.error() + ")";
  }
  KiteCall c = Get("/margins/basket?consider_positions=true", config_.basket_deadline);
  c.method = "POST";
  c.json_body = legs.dump();
  c.deadline = config_.basket_deadline;
  rest_.Post(std::move(c), [this, names, ours](KiteOutcome out) {
    Kernel("KITE basket margin", [this, names, ours, out = std::move(out)] {
      if (!out.ok()) {
        ++stats_.basket_failures;
        Alert(AlertKind::kInfo, fmt::format("basket margin check of [{}] failed ({}); the legs "
                                            "went regardless; Nacre's margin {}",
                                            names, out.message, ours));
        return;
      }
      std::string kite = "unreadable";
      const auto f = out.data.find("final");
      if (f != out.data.end() && f->is_object() && f->contains("total")) {
        auto total = KiteAmount((*f)["total"], "final.total");
        if (total.ok()) kite = total->ToString();
      }
      std::string initial;
      const auto i = out.data.find("initial");
      if (i != out.data.end() && i->is_object() && i->contains("total")) {
        if (auto t = KiteAmount((*i)["total"], "initial.total"); t.ok()) initial = t->ToString();
      }
      ++stats_.basket_checks;
      Alert(AlertKind::kInfo,
            fmt::format("basket margin of [{}]: Kite requires {} (with our positions; {} "
                        "alone), Nacre's margin {}",
                        names, kite, initial.empty() ? "?" : initial, ours));
    });
  });
}

void KiteExecutionClient::OnPlaced(const ClientOrderId& id, const KiteOutcome& out) {
  auto it = tracked_.find(id);
  if (it == tracked_.end()) return;
  Tracked& t = it->second;
  t.placing = false;
  switch (out.kind) {
    case KiteOutcome::Kind::kOk: {
      ++stats_.placed;
      const auto oid = out.data.find("order_id");
      if (oid == out.data.end() || !oid->is_string() || oid->get<std::string>().empty()) {
        // Kite said success without an id: as good as unknown; find it by its tag.
        ++stats_.ambiguous;
        t.ambiguous_since = Now();
        LookUp(id, 0);
        return;
      }
      t.kite_id = oid->get<std::string>();
      by_kite_id_[t.kite_id] = id;
      t.transient_left = config_.transient_refetches;
      Fetch(id);
      ReleaseHeld(t);
      return;
    }
    case KiteOutcome::Kind::kAmbiguous:
      ++stats_.ambiguous;
      t.ambiguous_since = Now();
      Alert(AlertKind::kInfo,
            fmt::format("order {} (tag {}): the place's answer is unknown ({}); looking for its "
                        "tag in Kite's order book for {} s",
                        id.value(), t.tag, out.message, config_.ambiguity_window / kNanosPerSecond));
      LookUp(id, 0);
      return;
    case KiteOutcome::Kind::kTokenExpired:
      Alert(AlertKind::kToken, out.message);
      [[fallthrough]];
    default:
      ++stats_.rejected;
      GenerateOrderRejected(t.ref, RefusalText(out), Now());
      tracked_.erase(it);
      return;
  }
}

void KiteExecutionClient::LookUp(const ClientOrderId& id, std::size_t attempt) {
  if (auto it = tracked_.find(id); it != tracked_.end()) it->second.looking_up = true;
  const DurationNs offset = attempt < config_.lookup_offsets.size()
                                ? config_.lookup_offsets[attempt]
                                : config_.ambiguity_window;
  const DurationNs prev = attempt == 0 ? 0 : config_.lookup_offsets[std::min(
                                                 attempt - 1, config_.lookup_offsets.size() - 1)];
  After(std::max<DurationNs>(0, offset - prev), [this, id, attempt] {
    rest_.Post(Get("/orders", config_.place_budget), [this, id, attempt](KiteOutcome out) {
      Kernel("KITE lookup " + id.value(),
             [this, id, attempt, out = std::move(out)] { OnLookedUp(id, attempt, out); });
    });
  });
}

void KiteExecutionClient::OnLookedUp(const ClientOrderId& id, std::size_t attempt,
                                     const KiteOutcome& out) {
  auto it = tracked_.find(id);
  if (it == tracked_.end()) return;  // settled meanwhile (adopted by another look, rejected)
  Tracked& t = it->second;
  // The book as read: a transport failure or a book that does not parse (one row Nacre cannot
  // read, say an order placed on Kite's web in a state it does not know) tells nothing about
  // this order, so it can never be the verdict "not found".
  std::string unreadable;
  if (!out.ok()) {
    unreadable = out.message;
    if (out.kind == KiteOutcome::Kind::kTokenExpired) Alert(AlertKind::kToken, out.message);
  } else if (auto orders = ParseKiteOrders(out.data); !orders.ok()) {
    unreadable = orders.error();
  } else {
    CheckOrphans(*orders);
    for (const KiteOrder& k : *orders) {
      if (k.tag != t.tag) continue;
      ++stats_.adopted_after_lookup;
      t.looking_up = false;
      t.kite_id = k.order_id;
      t.ambiguous_since = UnixNanos();
      by_kite_id_[t.kite_id] = id;
      t.transient_left = config_.transient_refetches;
      Fetch(id);
      ReleaseHeld(t);
      return;
    }
  }
  const bool more = attempt + 1 < config_.lookup_offsets.size();
  if (more) {
    LookUp(id, attempt + 1);
    return;
  }
  // The window: one last look at its end, unless this was it.
  if (attempt + 1 == config_.lookup_offsets.size() &&
      config_.lookup_offsets.back() < config_.ambiguity_window) {
    LookUp(id, attempt + 1);
    return;
  }
  t.looking_up = false;  // the chain ends here, whatever it concludes
  if (!unreadable.empty()) {
    // The order book could not be read: the order's fate is unknown. Never guess: keep it
    // SUBMITTED (the in-flight check and reconciliation go on asking) and alert.
    Alert(AlertKind::kLost,
          fmt::format("order {} (tag {}): placement outcome unknown and Kite's order book "
                      "unreadable ({}); left SUBMITTED",
                      id.value(), t.tag, unreadable));
    return;
  }
  ++stats_.lost_after_lookup;
  orphan_watch_.insert(t.tag);
  Alert(AlertKind::kLost, fmt::format("order {} (tag {}) not found at Kite {} s after an "
                                      "ambiguous send; rejected, its tag watched",
                                      id.value(), t.tag,
                                      config_.ambiguity_window / kNanosPerSecond));
  GenerateOrderRejected(t.ref, "not found at venue after ambiguous send", Now());
  tracked_.erase(it);
}

std::set<std::string> KiteExecutionClient::CheckOrphans(const std::vector<KiteOrder>& orders) {
  std::set<std::string> fetched;
  if (orphan_watch_.empty()) return fetched;
  for (const KiteOrder& k : orders) {
    if (k.tag.empty() || orphan_watch_.count(k.tag) == 0) continue;
    orphan_watch_.erase(k.tag);
    fetched.insert(k.order_id);
    ++stats_.orphans_adopted;
    const bool cancel = config_.orphan_policy == "cancel" && !IsTerminal(k.status);
    Alert(AlertKind::kOrphan,
          fmt::format("order tag {} appeared at Kite as {} ({}, {} of {} filled) after it was "
                      "rejected as not found; adopted{}",
                      k.tag, k.order_id, k.status_text, k.filled_quantity, k.quantity,
                      cancel ? " and cancelled" : ""));
    // The kernel adopts it (apart from the rejected order) from the fetch's report, which
    // carries its trades: a report without them would make the kernel infer a fill that the
    // real trade then contradicts. The cancel follows the adoption as the kernel's own
    // command, journaled before it is sent (OnFetched).
    if (cancel) orphan_cancels_.emplace(k.order_id, 0);
    FetchUntracked(k.order_id);
  }
  return fetched;
}

// ---- modify and cancel ----

KiteExecutionClient::Tracked* KiteExecutionClient::Track(const Order& order) {
  auto it = tracked_.find(order.client_order_id());
  if (it != tracked_.end()) return &it->second;
  // An order this process did not place (recovered from the journal, or adopted): tracked from
  // what the kernel knows, its Kite id included once the venue acknowledged it.
  if (order.venue_order_id().empty() && order.venue_tag().empty()) return nullptr;
  Tracked t;
  t.ref = RefOf(order);
  t.tag = order.venue_tag();
  if (const KiteSymbol* sym = SymbolOf(order.instrument_id())) {
    t.price_precision = sym->price_precision;
    t.multiplier = sym->multiplier;
  }
  t.kite_id = order.venue_order_id().value();
  t.lagging_left = config_.lagging_trades_refetches;
  if (!t.kite_id.empty()) by_kite_id_[t.kite_id] = order.client_order_id();
  return &tracked_.emplace(order.client_order_id(), std::move(t)).first->second;
}

void KiteExecutionClient::ReleaseHeld(Tracked& t) {
  if (t.kite_id.empty()) return;
  if (t.held_cancel) {
    t.held_cancel = false;
    t.held_modify.reset();  // a cancel overrides a waiting modify
    SendCancel(t, 0);
    return;
  }
  if (t.held_modify) {
    const ::nacre::ModifyOrder cmd = *t.held_modify;
    t.held_modify.reset();
    SendModify(t, cmd, 0);
  }
}

void KiteExecutionClient::ModifyOrder(const ::nacre::ModifyOrder& cmd, const Order& order) {
  Tracked* tp = Track(order);
  if (tp == nullptr) {
    // Not ours to speak of here (adopted from another run without its Kite id): learn it first.
    GenerateOrderModifyRejected(RefOf(order), "the order's Kite id is not known to this client",
                                Now(), {cmd.quantity, cmd.price, cmd.trigger_price});
    return;
  }
  Tracked& t = *tp;
  GenerateOrderPendingUpdate(t.ref, Now());
  if (t.kite_id.empty()) {
    t.held_modify = cmd;  // sent once Kite's order id is known
    return;
  }
  SendModify(t, cmd, 0);
}

void KiteExecutionClient::SendModify(Tracked& t, const ::nacre::ModifyOrder& cmd, int try_no) {
  // The history as read before this modify went: its outcome is among the rows after it.
  t.modify_rows = t.history_rows;
  KiteCall c = OrderCommand("PUT", t.kite_id);
  c.params.emplace_back("order_type", std::string(KiteOrderType(t.ref.order_type)));
  if (cmd.quantity) c.params.emplace_back("quantity", std::to_string(Units(*cmd.quantity)));
  if (cmd.price) c.params.emplace_back("price", cmd.price->ToString());
  if (cmd.trigger_price) c.params.emplace_back("trigger_price", cmd.trigger_price->ToString());
  const ClientOrderId id = t.ref.client_order_id;
  rest_.Post(std::move(c), [this, id, cmd, try_no](KiteOutcome out) {
    Kernel("KITE modify " + id.value(),
           [this, id, cmd, try_no, out = std::move(out)] { OnModified(id, cmd, try_no, out); });
  });
}

void KiteExecutionClient::OnModified(const ClientOrderId& id, const ::nacre::ModifyOrder& cmd,
                                     int try_no, const KiteOutcome& out) {
  auto it = tracked_.find(id);
  if (it == tracked_.end()) return;
  Tracked& t = it->second;
  const ModifyRequest refused{cmd.quantity, cmd.price, cmd.trigger_price};
  if (out.ok()) {
    t.modify_taken = true;
    Fetch(id);
    return;
  }
  if (BeingProcessed(out) && try_no + 1 < config_.processing_tries) {
    ++stats_.processing_retries;
    After(config_.processing_retry, [this, id, cmd, try_no] {
      Kernel("KITE modify retry", [this, id, cmd, try_no] {
        auto i = tracked_.find(id);
        if (i != tracked_.end()) SendModify(i->second, cmd, try_no + 1);
      });
    });
    return;
  }
  if (out.kind == KiteOutcome::Kind::kAmbiguous) {
    // Never resent: the order's history says whether it applied.
    t.modify_unresolved = cmd;
    Fetch(id);
    return;
  }
  if (out.kind == KiteOutcome::Kind::kTokenExpired) Alert(AlertKind::kToken, out.message);
  GenerateOrderModifyRejected(t.ref, RefusalText(out), Now(), refused);
}

void KiteExecutionClient::CancelOrder(const ::nacre::CancelOrder& /*cmd*/, const Order& order) {
  Tracked* tp = Track(order);
  if (tp == nullptr) {
    GenerateOrderCancelRejected(RefOf(order), "the order's Kite id is not known to this client",
                                Now());
    return;
  }
  Tracked& t = *tp;
  GenerateOrderPendingCancel(t.ref, Now());
  if (t.kite_id.empty()) {
    t.held_cancel = true;  // sent once Kite's order id is known
    return;
  }
  SendCancel(t, 0);
}

void KiteExecutionClient::SendCancel(Tracked& t, int try_no) {
  KiteCall c = OrderCommand("DELETE", t.kite_id);
  const ClientOrderId id = t.ref.client_order_id;
  rest_.Post(std::move(c), [this, id, try_no](KiteOutcome out) {
    Kernel("KITE cancel " + id.value(),
           [this, id, try_no, out = std::move(out)] { OnCancelled(id, try_no, out); });
  });
}

void KiteExecutionClient::OnCancelled(const ClientOrderId& id, int try_no, const KiteOutcome& out) {
  auto it = tracked_.find(id);
  if (it == tracked_.end()) return;
  Tracked& t = it->second;
  if (out.ok()) {
    Fetch(id);
    return;
  }
  if (BeingProcessed(out) && try_no + 1 < config_.processing_tries) {
    ++stats_.processing_retries;
    After(config_.processing_retry, [this, id, try_no] {
      Kernel("KITE cancel retry", [this, id, try_no] {
        auto i = tracked_.find(id);
        if (i != tracked_.end()) SendCancel(i->second, try_no + 1);
      });
    });
    return;
  }
  if (out.kind == KiteOutcome::Kind::kAmbiguous && t.cancel_resends < 3) {
    // A cancel is safe to repeat: the history decides (OnFetched sends it again while open).
    ++t.cancel_resends;
    t.held_cancel = true;
    Fetch(id);
    return;
  }
  if (out.kind == KiteOutcome::Kind::kTokenExpired) Alert(AlertKind::kToken, out.message);
  // Refused (often because the order just completed): the history brings the truth first.
  Fetch(id);
  GenerateOrderCancelRejected(t.ref, RefusalText(out), Now());
}

void KiteExecutionClient::QueryOrder(const ::nacre::QueryOrder& /*cmd*/, const Order& order) {
  const Tracked* t = Track(order);
  if (t != nullptr && !t->kite_id.empty()) {
    Fetch(order.client_order_id());
  } else if (t != nullptr && (t->placing || t->looking_up)) {
    // The place is unanswered (sent, or still queued behind other orders in the lane), or its
    // tag lookup is running: a lookup now could find the book without an order not yet sent
    // and reject an order Kite then places. Its answer, or that lookup, decides.
  } else if (t != nullptr && !t->tag.empty()) {
    // Sent before a restart and never acknowledged to us: find it by its tag.
    ClientOrderId id = order.client_order_id();
    LookUp(id, 0);
  }
}

// ---- order updates and fetches ----

std::function<void(std::string)> KiteExecutionClient::OrderUpdateSink() {
  return [alive = alive_](std::string text) {
    std::lock_guard lock(alive->mu);
    if (alive->self != nullptr) alive->self->OnOrderUpdate(text);
  };
}

void KiteExecutionClient::OnPolled(const KiteOutcome& out) {
  ++stats_.polls;
  if (!out.ok()) {
    if (out.kind == KiteOutcome::Kind::kTokenExpired) Alert(AlertKind::kToken, out.message);
    return;
  }
  auto orders = ParseKiteOrders(out.data);
  if (!orders.ok()) {
    Alert(AlertKind::kInfo, "order book poll: " + orders.error());
    return;
  }
  const std::set<std::string> orphans = CheckOrphans(*orders);
  // What the kernel was last told of each untracked order still in the book, and the poll's
  // own asks about them (ids that left the book are dropped from both).
  std::unordered_map<std::string, std::pair<std::string, std::int64_t>> listed;
  std::unordered_map<std::string, UntrackedAsk> asks;
  std::vector<const KiteOrder*> due;
  for (const KiteOrder& k : *orders) {
    const auto it = by_kite_id_.find(k.order_id);
    const auto t = it == by_kite_id_.end() ? tracked_.end() : tracked_.find(it->second);
    if (t != tracked_.end()) {
      if (t->second.seen_status != k.status_text || t->second.seen_filled != k.filled_quantity) {
        ++stats_.polled_changes;
        Fetch(it->second);
      }
      continue;
    }
    // Not tracked here: due when it appeared or moved since the kernel last heard of it (the
    // kernel matches the report by its tag, its Kite id or adopts it), or when an orphan's
    // cancel waits for its adoption; not while the poll's last ask is in flight, nor once
    // three asks about the same state failed (alerted), and not what CheckOrphans just asked.
    const auto seen = untracked_seen_.find(k.order_id);
    if (seen != untracked_seen_.end()) listed.emplace(seen->first, seen->second);
    UntrackedAsk ask;
    if (auto a = untracked_asks_.find(k.order_id); a != untracked_asks_.end()) ask = a->second;
    const bool same_state = ask.status == k.status_text && ask.filled == k.filled_quantity;
    if (!same_state) {
      ask.tries = 0;
      ask.alerted = false;
    }
    auto oc = orphan_cancels_.find(k.order_id);
    if (oc != orphan_cancels_.end() && oc->second >= kOrphanCancelReads && !ask.in_flight) {
      GiveUpOrphanCancel(oc, k.status_text,
                         fmt::format("the kernel held no working order for it after {} reads",
                                     kOrphanCancelReads));
      oc = orphan_cancels_.end();
    }
    const bool moved = seen == untracked_seen_.end() || seen->second.first != k.status_text ||
                       seen->second.second != k.filled_quantity || oc != orphan_cancels_.end();
    // An orphan's asks are bounded by kOrphanCancelReads instead.
    const bool asked_out =
        same_state && ask.tries >= kUntrackedTries && oc == orphan_cancels_.end();
    if (moved && !ask.in_flight && !asked_out && !orphans.count(k.order_id)) due.push_back(&k);
    asks.emplace(k.order_id, ask);
  }
  // A few a poll, taken round the book from where the last poll stopped, so a large book met
  // without a baseline (or Kite's limit slowing the fetches) neither crowds Kite's request
  // limit nor leaves the same orders behind every time.
  const std::size_t n = std::min<std::size_t>(due.size(), kUntrackedFetchesPerPoll);
  for (std::size_t i = 0; i < n; ++i) {
    const KiteOrder& k = *due[(untracked_cursor_ + i) % due.size()];
    UntrackedAsk& ask = asks[k.order_id];
    ask.status = k.status_text;
    ask.filled = k.filled_quantity;
    ask.in_flight = true;
    ++ask.tries;
    ++stats_.polled_changes;
    ++stats_.polled_untracked;
    if (auto oc = orphan_cancels_.find(k.order_id); oc != orphan_cancels_.end()) ++oc->second;
    FetchUntracked(k.order_id);
  }
  untracked_cursor_ = due.empty() ? 0 : (untracked_cursor_ + n) % due.size();
  untracked_seen_ = std::move(listed);
  untracked_asks_ = std::move(asks);
}

void KiteExecutionClient::GiveUpOrphanCancel(std::map<std::string, int>::iterator oc,
                                             const std::string& status, const std::string& why) {
  Alert(AlertKind::kOrphan, fmt::format("orphan {} ({}) was to be cancelled but {}: left as "
                                        "Kite has it",
                                        oc->first, status, why));
  orphan_cancels_.erase(oc);
}

void KiteExecutionClient::UntrackedOutcome(const std::string& kite_id, bool reported,
                                           const std::string& why) {
  const auto a = untracked_asks_.find(kite_id);
  if (a == untracked_asks_.end()) return;  // not the poll's ask
  if (reported) {
    untracked_asks_.erase(a);
    return;
  }
  a->second.in_flight = false;
  if (a->second.tries >= kUntrackedTries && !a->second.alerted) {
    a->second.alerted = true;
    Alert(AlertKind::kInfo,
          fmt::format("order {} ({}, not placed by this process): {} fetches failed ({}); not "
                      "asked again until Kite's order book shows it changed",
                      kite_id, a->second.status, kUntrackedTries, why));
  }
}

void KiteExecutionClient::OnOrderUpdate(const std::string& json_text) {
  // Any thread: only the order id is read here; the kernel thread decides.
  const nlohmann::json j = nlohmann::json::parse(json_text, nullptr, false);
  if (j.is_discarded()) return;
  const nlohmann::json* data = &j;
  if (j.is_object() && j.contains("data")) data = &j["data"];
  if (!data->is_object() || !data->contains("order_id") || !(*data)["order_id"].is_string()) return;
  const std::string kite_id = (*data)["order_id"].get<std::string>();
  Kernel("KITE update " + kite_id, [this, kite_id] {
    ++stats_.updates;
    const auto it = by_kite_id_.find(kite_id);
    if (it != by_kite_id_.end()) {
      Fetch(it->second);
    } else {
      FetchUntracked(kite_id);
    }
  });
}

void KiteExecutionClient::Fetch(const ClientOrderId& id) {
  auto it = tracked_.find(id);
  if (it == tracked_.end() || it->second.kite_id.empty()) return;
  Tracked& t = it->second;
  if (t.fetching) {
    t.dirty = true;  // one more once this one is back
    return;
  }
  t.fetching = true;
  ++stats_.fetches;
  const std::string kite_id = t.kite_id;
  ReadOrder(id, kite_id, -1);
}

void KiteExecutionClient::FetchUntracked(const std::string& kite_id, int lagging_left) {
  ++stats_.fetches;
  ReadOrder(ClientOrderId(), kite_id,
            lagging_left < 0 ? config_.lagging_trades_refetches : lagging_left);
}

void KiteExecutionClient::ReadOrder(const ClientOrderId& id, const std::string& kite_id,
                                    int lagging_left) {
  // The trades first, then the history: a fill landing between the two reads then shows as
  // trades lagging the order's filled quantity (which Kite itself does, and which is asked
  // again), never as a newer trade the older history would refuse.
  rest_.Post(Get("/orders/" + kite_id + "/trades", config_.fetch_budget),
             [this, id, kite_id, lagging_left](KiteOutcome tr) {
               rest_.Post(Get("/orders/" + kite_id, config_.fetch_budget),
                          [this, id, kite_id, lagging_left, tr = std::move(tr)](KiteOutcome h) {
                            Kernel("KITE fetched " + kite_id,
                                   [this, id, kite_id, lagging_left, h = std::move(h), tr] {
                                     OnFetched(id, kite_id, h, tr, lagging_left);
                                   });
                          });
             });
}

void KiteExecutionClient::OnFetched(const ClientOrderId& id, const std::string& kite_id,
                                    const KiteOutcome& history, const KiteOutcome& trades,
                                    int untracked_lagging_left) {
  Tracked* t = nullptr;
  if (!id.empty()) {
    auto it = tracked_.find(id);
    if (it == tracked_.end()) return;
    t = &it->second;
    t->fetching = false;
  }
  if (!history.ok()) {
    if (history.kind == KiteOutcome::Kind::kTokenExpired) Alert(AlertKind::kToken, history.message);
    if (t == nullptr) UntrackedOutcome(kite_id, false, history.message);
    if (t != nullptr && t->dirty) {
      t->dirty = false;
      Fetch(id);
    }
    return;  // the in-flight check and polling ask again
  }
  auto rows = ParseKiteOrders(history.data, t != nullptr ? t->price_precision : 2);
  if (!rows.ok() || rows->empty()) {
    const std::string why = rows.ok() ? "no rows" : rows.error();
    Alert(AlertKind::kInfo, fmt::format("order {}: unreadable history: {}", kite_id, why));
    if (t == nullptr) UntrackedOutcome(kite_id, false, "unreadable history: " + why);
    return;
  }
  const KiteOrder& now = rows->back();
  std::vector<KiteTrade> kite_trades;
  if (trades.ok()) {
    if (auto tr = ParseKiteTrades(trades.data, t != nullptr ? t->price_precision : 2); tr.ok()) {
      kite_trades = std::move(*tr);
    }
  }
  std::int64_t traded = 0;
  for (const KiteTrade& k : kite_trades) {
    if (k.order_id == kite_id) traded += k.quantity;
  }
  if (t != nullptr && t->lagging_left < 0) t->lagging_left = config_.lagging_trades_refetches;
  const int lagging_left = t != nullptr ? t->lagging_left : untracked_lagging_left;
  if (traded != now.filled_quantity && lagging_left > 0) {
    // Kite's trades lag the order's filled quantity (or a fill landed between the two reads):
    // ask again for both before inferring or refusing anything.
    ++stats_.lagging_trade_refetches;
    if (t != nullptr) {
      --t->lagging_left;
      After(config_.lagging_trades_refetch, [this, id] {
        Kernel("KITE refetch", [this, id] { Fetch(id); });
      });
    } else {
      After(config_.lagging_trades_refetch, [this, kite_id, lagging_left] {
        Kernel("KITE refetch", [this, kite_id, lagging_left] {
          const auto it = by_kite_id_.find(kite_id);
          if (it != by_kite_id_.end()) {
            Fetch(it->second);
          } else {
            FetchUntracked(kite_id, lagging_left - 1);
          }
        });
      });
    }
    return;
  }
  if (t != nullptr) t->lagging_left = config_.lagging_trades_refetches;
  const OrderStatusReport report = ReportOf(now, t);
  std::vector<FillReport> fills = FillsOf(now, kite_trades, t);
  // The order's cumulative fill moved (what the kernel applies from this report): the account
  // moved too, and Kite's figures are read again.
  if (now.filled_quantity > std::max<std::int64_t>(t != nullptr ? t->seen_filled : 0, 0)) {
    new_trades_ = true;
  }
  if (t != nullptr) {
    t->seen_status = now.status_text;
    t->seen_filled = now.filled_quantity;
  }
  ++stats_.reports;
  EmitReport(report, fills);
  AccountAfterFills();
  if (t == nullptr) {
    untracked_seen_[kite_id] = {now.status_text, now.filled_quantity};  // the kernel knows it
    UntrackedOutcome(kite_id, true, {});
    if (auto oc = orphan_cancels_.find(kite_id); oc != orphan_cancels_.end()) {
      // Adopted from the report just applied: cancelled by the orphan policy, once the kernel
      // holds it as a working order (while Kite is still processing it, the poll asks again).
      if (IsTerminal(now.status)) {
        orphan_cancels_.erase(oc);
      } else if (!books_.cancel) {
        GiveUpOrphanCancel(oc, now.status_text, "no kernel cancels for this client");
      } else {
        switch (books_.cancel(VenueOrderId(kite_id))) {
          case KiteBooks::CancelAsk::kSent:
          case KiteBooks::CancelAsk::kAlreadyCancelling:
            orphan_cancels_.erase(oc);
            break;
          case KiteBooks::CancelAsk::kRefused:
            GiveUpOrphanCancel(oc, now.status_text, "the kernel refused the cancel (see its log)");
            break;
          case KiteBooks::CancelAsk::kNoWorkingOrder:
            break;  // not yet: the poll asks again
        }
      }
    }
    return;
  }
  if (t->modify_taken) {
    // The outcome follows this modify's MODIFY VALIDATION PENDING: the last such row past the
    // history read before it was sent (a history never read, as after a restart, may hold an
    // earlier modify's rows).
    std::size_t from = rows->size();
    for (std::size_t i = rows->size(); i-- > std::min(t->modify_rows, rows->size());) {
      if ((*rows)[i].status == KiteStatus::kModifyValidationPending) {
        from = i + 1;
        break;
      }
    }
    for (std::size_t i = from; i < rows->size(); ++i) {
      const KiteOrder& row = (*rows)[i];
      if (row.status != KiteStatus::kModified && row.status != KiteStatus::kNotModified) continue;
      t->modify_taken = false;
      if (row.status == KiteStatus::kNotModified && !IsTerminal(now.status)) {
        GenerateOrderModifyRejected(
            t->ref,
            row.status_message.empty() ? std::string("NOT MODIFIED at Kite")
                                       : "NOT MODIFIED at Kite: " + row.status_message,
            Now());
      }
      break;
    }
  }
  t->history_rows = rows->size();
  if (t->modify_unresolved && now.status != KiteStatus::kModifyPending &&
      now.status != KiteStatus::kModifyValidationPending) {
    // Applied when the order shows every field the modify asked for (price, quantity and
    // trigger alike: a modify of the quantity alone changes no price).
    const ::nacre::ModifyOrder& m = *t->modify_unresolved;
    const bool applied = (m.price || m.quantity || m.trigger_price) &&
                         (!m.price || now.price == *m.price) &&
                         (!m.trigger_price || now.trigger_price == *m.trigger_price) &&
                         (!m.quantity || now.quantity == Units(*m.quantity));
    if (!applied && !IsTerminal(now.status)) {
      GenerateOrderModifyRejected(t->ref,
                                  "not applied at Kite after a modify whose answer was lost",
                                  Now());
    }
    t->modify_unresolved.reset();
  }
  if (IsTerminal(now.status)) {
    // Untracked from now on, as reported: the poll does not fetch it again.
    untracked_seen_[t->kite_id] = {now.status_text, now.filled_quantity};
    by_kite_id_.erase(t->kite_id);
    tracked_.erase(id);
    return;
  }
  if (t->held_cancel && !IsTransient(now.status)) {
    t->held_cancel = false;
    SendCancel(*t, 0);
  }
  if (t->dirty) {
    t->dirty = false;
    Fetch(id);
  } else if (IsTransient(now.status) && t->transient_left > 0) {
    // Kite pushes no update for OPEN: look again until the order leaves the transient states.
    --t->transient_left;
    After(config_.transient_refetch, [this, id] {
      Kernel("KITE refetch", [this, id] { Fetch(id); });
    });
  }
}

OrderStatusReport KiteExecutionClient::ReportOf(const KiteOrder& k, const Tracked* t) const {
  OrderStatusReport r;
  r.account_id = account_id();
  const KiteSymbol* sym = SymbolOf(k.exchange, k.tradingsymbol);
  if (sym != nullptr) {
    r.instrument_id = sym->instrument_id;
  } else if (t != nullptr) {
    r.instrument_id = t->ref.instrument_id;
  } else {
    r.instrument_id = InstrumentId(Symbol(k.tradingsymbol), Venue(k.exchange));
  }
  if (t != nullptr) r.client_order_id = t->ref.client_order_id;
  r.venue_order_id = VenueOrderId(k.order_id);
  r.tag = k.tag;
  r.product = k.product;
  r.side = k.transaction_type == "SELL" ? OrderSide::kSell : OrderSide::kBuy;
  r.order_type = NacreOrderType(k.order_type);
  r.time_in_force = k.validity == "IOC" ? TimeInForce::kIoc : TimeInForce::kDay;
  r.status = ToNacreStatus(k.status);
  if (k.filled_quantity > 0 && (r.status == OrderStatus::kAccepted))
    r.status = OrderStatus::kPartiallyFilled;
  r.quantity = Quantity::FromInt(k.quantity);
  r.filled_qty = Quantity::FromInt(k.filled_quantity);
  r.leaves_qty = IsTerminal(k.status) ? Quantity::Zero()
                                      : Quantity::FromInt(k.quantity - k.filled_quantity);
  r.cancelled_qty = Quantity::FromInt(k.cancelled_quantity);
  if (r.order_type == OrderType::kLimit || r.order_type == OrderType::kStopLimit) r.price = k.price;
  if (r.order_type == OrderType::kStopLimit || r.order_type == OrderType::kStopMarket) {
    r.trigger_price = k.trigger_price;
    r.triggered = k.status == KiteStatus::kOpen || k.status == KiteStatus::kComplete;
  }
  if (k.filled_quantity > 0) r.avg_px = k.average_price;
  r.reason = k.status_message;
  r.ts_accepted = k.order_timestamp;
  r.ts_last = !k.exchange_update_timestamp.is_zero() ? k.exchange_update_timestamp
                                                     : k.order_timestamp;
  return r;
}

std::vector<FillReport> KiteExecutionClient::FillsOf(const KiteOrder& k,
                                                     const std::vector<KiteTrade>& trades,
                                                     const Tracked* t) {
  std::vector<FillReport> out;
  const KiteSymbol* sym = SymbolOf(k.exchange, k.tradingsymbol);
  const std::int64_t multiplier = sym != nullptr ? sym->multiplier : (t ? t->multiplier : 1);
  for (const KiteTrade& tr : trades) {
    if (tr.order_id != k.order_id) continue;
    FillReport f;
    f.account_id = account_id();
    f.instrument_id = sym != nullptr ? sym->instrument_id
                                     : (t != nullptr ? t->ref.instrument_id
                                                     : InstrumentId(Symbol(k.tradingsymbol), Venue(k.exchange)));
    if (t != nullptr) f.client_order_id = t->ref.client_order_id;
    f.venue_order_id = VenueOrderId(k.order_id);
    f.trade_id = TradeId(tr.trade_id);
    f.side = tr.transaction_type == "SELL" ? OrderSide::kSell : OrderSide::kBuy;
    f.last_qty = Quantity::FromInt(tr.quantity);
    f.last_px = tr.average_price;
    f.liquidity_side = LiquiditySide::kNone;
    f.ts_event = !tr.fill_timestamp.is_zero() ? tr.fill_timestamp : Now();
    auto c = trade_charges_.find(tr.trade_id);
    if (c == trade_charges_.end()) {
      const Money premium = Money::Notional(f.last_px, f.last_qty, multiplier);
      const bool first = charged_orders_.insert(k.order_id).second;
      const CivilDate date = IstDate(f.ts_event);
      ChargeBreakdown b;
      if (charges_->note() && date < charges_->note()->trade_date()) {
        ChargeCalculator past(schedule_);  // an earlier day's trade (a restart's mass status)
        b = past.OnFill(date, f.side, premium, first);
      } else {
        b = charges_->OnFill(date, f.side, premium, first);
      }
      c = trade_charges_.emplace(tr.trade_id, b).first;
    }
    f.charges = c->second;
    f.commission = c->second.Total();
    out.push_back(std::move(f));
  }
  return out;
}

// ---- reconciliation ----

Result<PositionStatusReport> KiteExecutionClient::PositionOf(const KitePosition& p) const {
  PositionStatusReport r;
  r.account_id = account_id();
  const KiteSymbol* sym = SymbolOf(p.exchange, p.tradingsymbol);
  r.instrument_id = sym != nullptr ? sym->instrument_id
                                   : InstrumentId(Symbol(p.tradingsymbol), Venue(p.exchange));
  r.product = p.product;
  r.side = p.quantity > 0 ? PositionSide::kLong
                          : (p.quantity < 0 ? PositionSide::kShort : PositionSide::kFlat);
  r.quantity = Quantity::FromInt(p.quantity < 0 ? -p.quantity : p.quantity);
  r.overnight_quantity = Quantity::FromInt(p.overnight_quantity < 0 ? -p.overnight_quantity
                                                                    : p.overnight_quantity);
  if (p.quantity != 0) r.avg_px_open = p.average_price;
  r.ts_last = Now();
  return r;
}

std::string KiteExecutionClient::DayMoved(const std::vector<KiteOrder>& before,
                                          const std::vector<KiteOrder>& after,
                                          const std::vector<KiteTrade>& trades) {
  std::map<std::string, std::pair<std::string, std::int64_t>> seen;
  for (const KiteOrder& k : before) seen[k.order_id] = {k.status_text, k.filled_quantity};
  std::map<std::string, std::int64_t> traded;
  for (const KiteTrade& t : trades) traded[t.order_id] += t.quantity;
  for (const KiteOrder& k : after) {
    const auto it = seen.find(k.order_id);
    if (it == seen.end()) return fmt::format("order {} appeared", k.order_id);
    if (it->second.first != k.status_text || it->second.second != k.filled_quantity) {
      return fmt::format("order {} went {} filled {} -> {} filled {}", k.order_id,
                         it->second.first, it->second.second, k.status_text, k.filled_quantity);
    }
    const auto tr = traded.find(k.order_id);
    const std::int64_t q = tr == traded.end() ? 0 : tr->second;
    if (q != k.filled_quantity) {
      return fmt::format("order {} filled {} but its trades add up to {}", k.order_id,
                         k.filled_quantity, q);
    }
  }
  if (seen.size() != after.size()) return "an order left the order book";
  return {};
}

ChargeBreakdown KiteExecutionClient::InferredFillCharges(const Order& order, Quantity qty,
                                                         Price px, UnixNanos ts) {
  const KiteSymbol* sym = SymbolOf(order.instrument_id());
  const std::int64_t multiplier = sym != nullptr ? sym->multiplier : 1;
  // Brokerage once per executed order: on this fill when the order had none before, and then
  // on none of its trades this client lists later (whether the kernel applies them or finds
  // them to be this fill's), whatever order Kite lists them in.
  const bool first = order.filled_qty().is_zero();
  if (first && !order.venue_order_id().empty()) {
    charged_orders_.insert(order.venue_order_id().value());
  }
  ChargeCalculator alone(schedule_);  // Kite's own note (charges_) is left to its trades
  return alone.OnFill(IstDate(ts), order.side(), Money::Notional(px, qty, multiplier), first);
}

Result<ExecutionMassStatus> KiteExecutionClient::GenerateMassStatus() {
  ExecutionMassStatus ms;
  ms.client_id = id();
  ms.venue = venue();
  ms.account_id = account_id();
  ms.ts = Now();
  ms.orders_complete = true;
  ms.positions_reported = true;
  // Kite's order book is the IST day's (regular DAY or IOC orders only): an order of ours from
  // an earlier day that it does not list ended with that day.
  ms.day_start = FromIst(CivilDateTime{IstDate(ms.ts)});
  // Blocking on the kernel thread: reconciliation runs before trading starts (and between
  // loop passes), bounded by the budget.
  // One consistent picture: a fill landing between the reads would show as a trade the older
  // order book refuses, or a position the trades do not explain (a false mismatch, a halt).
  // The order book is read before and after; it is taken when both reads agree and every
  // order's trades add up to its filled quantity.
  Result<std::vector<KiteOrder>> ko = std::vector<KiteOrder>{};
  Result<std::vector<KiteTrade>> kt = std::vector<KiteTrade>{};
  Result<std::vector<KitePosition>> kp = std::vector<KitePosition>{};
  const int reads = std::max(1, config_.mass_status_reads);
  for (int attempt = 1;; ++attempt) {
    KiteOutcome orders = rest_.Call(Get("/orders", config_.mass_status_budget));
    KiteOutcome trades =
        orders.ok() ? rest_.Call(Get("/trades", config_.mass_status_budget)) : KiteOutcome{};
    KiteOutcome positions = trades.ok()
                                ? rest_.Call(Get("/portfolio/positions", config_.mass_status_budget))
                                : KiteOutcome{};
    KiteOutcome again =
        positions.ok() ? rest_.Call(Get("/orders", config_.mass_status_budget)) : KiteOutcome{};
    for (const KiteOutcome* o : {&orders, &trades, &positions, &again}) {
      if (!o->ok()) {
        if (o->kind == KiteOutcome::Kind::kTokenExpired) Alert(AlertKind::kToken, o->message);
        return MakeError(o->kind == KiteOutcome::Kind::kTokenExpired ? ErrorCode::kToken
                                                                     : ErrorCode::kUnavailable,
                         "Kite mass status: " + o->message);
      }
    }
    ko = ParseKiteOrders(again.data);
    if (!ko) return MakeError(ErrorCode::kInvalidInput, "Kite mass status: " + ko.error());
    auto before = ParseKiteOrders(orders.data);
    if (!before) return MakeError(ErrorCode::kInvalidInput, "Kite mass status: " + before.error());
    kt = ParseKiteTrades(trades.data);
    if (!kt) return MakeError(ErrorCode::kInvalidInput, "Kite mass status: " + kt.error());
    kp = ParseKiteNetPositions(positions.data);
    if (!kp) return MakeError(ErrorCode::kInvalidInput, "Kite mass status: " + kp.error());
    const std::string moved = DayMoved(*before, *ko, *kt);
    if (moved.empty()) break;
    ++stats_.mass_status_rereads;
    if (attempt >= reads) {
      Alert(AlertKind::kInfo,
            fmt::format("Kite mass status: the Kite day still moved after {} reads ({}); "
                        "reconciling the last read",
                        attempt, moved));
      break;
    }
  }
  CheckOrphans(*ko);
  untracked_seen_.clear();
  for (const KiteOrder& k : *ko) {
    // Our orders are known by tag from now on (updates after a restart find them).
    const Tracked* t = nullptr;
    if (auto it = by_kite_id_.find(k.order_id); it != by_kite_id_.end()) {
      auto tt = tracked_.find(it->second);
      if (tt != tracked_.end()) t = &tt->second;
    }
    // What the kernel is told of it now: the poll's baseline for an order not tracked here.
    if (t == nullptr) untracked_seen_[k.order_id] = {k.status_text, k.filled_quantity};
    ms.orders.push_back(ReportOf(k, t));
    auto fills = FillsOf(k, *kt, t);
    ms.fills.insert(ms.fills.end(), fills.begin(), fills.end());
  }
  for (const KitePosition& p : *kp) {
    if (p.product != config_.product && p.quantity == 0) continue;
    auto r = PositionOf(p);
    if (r.ok()) ms.positions.push_back(*r);
  }
  new_trades_ = new_trades_ || !ms.fills.empty();
  AccountAfterFills();
  return ms;
}

}  // namespace nacre
