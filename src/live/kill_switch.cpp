#include "live/kill_switch.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <nlohmann/json.hpp>

#include "trading/order_commands.h"

namespace nacre {

namespace {

constexpr const char* kFlattenTag = "kill-switch flatten";

// Orders that reached (or are on their way to) a venue and have not ended: open, or submitted
// and not yet acknowledged, or with a modify or cancel pending.
std::vector<const Order*> WorkingOrders(const Cache& cache) {
  std::vector<const Order*> out = cache.OrdersOpen();
  for (const Order* o : cache.OrdersInflight()) {
    if (!o->is_open()) out.push_back(o);
  }
  return out;
}

// What the kill file's halt or flatten gives as its reason.
std::string KillReason(const std::string& path) { return "kill file " + path; }

bool Running(KillSwitch::FlattenPhase p) {
  return p == KillSwitch::FlattenPhase::kCancelling || p == KillSwitch::FlattenPhase::kShorts ||
         p == KillSwitch::FlattenPhase::kLongs;
}

}  // namespace

std::string_view ToString(KillSwitch::FlattenPhase p) {
  switch (p) {
    case KillSwitch::FlattenPhase::kIdle:
      return "idle";
    case KillSwitch::FlattenPhase::kCancelling:
      return "cancelling";
    case KillSwitch::FlattenPhase::kShorts:
      return "closing_shorts";
    case KillSwitch::FlattenPhase::kLongs:
      return "closing_longs";
    case KillSwitch::FlattenPhase::kDone:
      return "done";
  }
  return "?";
}

KillSwitch::KillSwitch(Kernel& kernel, KillSwitchConfig config)
    : kernel_(kernel),
      config_(config),
      ids_(kernel.config().trader_id, StrategyId("KILL"), kernel.clock(), kernel.uuids()) {
  // After the strategies (priority 0): they see their orders' events first.
  subscriptions_.push_back(kernel_.bus().Subscribe<OrderEvent>(
      topics::kAllOrderEvents, [this](const OrderEvent& e) { OnOrderEvent(e); }, -10));
  // A halt that stood in the way lifted without a start (the loss limit's at the next IST
  // day): what waited behind it is set now.
  subscriptions_.push_back(kernel_.bus().Subscribe<RiskStateChanged>(
      topics::kRiskEvents, [this](const RiskStateChanged& e) {
        if (e.state != TradingState::kHalted && !pending_.empty()) (void)StartHaltVeto();
      }));
}

KillSwitch::~KillSwitch() {
  for (SubscriptionId id : subscriptions_) kernel_.bus().Unsubscribe(id);
  for (const std::string& name : alerts_) kernel_.clock().CancelTimer(name);
}

bool KillSwitch::manually_halted() const {
  const RiskEngine& r = kernel_.risk_engine();
  return !manual_.empty() && r.trading_state() == TradingState::kHalted &&
         r.trading_state_reason() == manual_.front();
}

void KillSwitch::HaltTrading(const std::string& why) {
  RiskEngine& r = kernel_.risk_engine();
  auto add = [&why](std::vector<std::string>& to) {
    if (std::find(to.begin(), to.end(), why) == to.end()) to.push_back(why);
  };
  // A halt something else set (a fault, the loss limit, a failed start) keeps its reason: it
  // is not the switch's to lift. This one waits: a start that would lift the other sets it
  // first (StartHaltVeto), as does the other's lifting.
  if (r.trading_state() == TradingState::kHalted && !manually_halted()) {
    add(pending_);
    return;
  }
  // Standing already: this one stands beside it (withdrawing one leaves the other).
  if (manually_halted()) {
    add(manual_);
    return;
  }
  manual_ = {why};
  r.SetTradingState(TradingState::kHalted, why);
}

std::string KillSwitch::StartHaltVeto() {
  // What the switch was asked for and could not set, or set and the failed start's halt
  // replaced (never resumed or withdrawn): all of it stands now, the first as the reason.
  for (std::string& why : pending_) {
    if (std::find(manual_.begin(), manual_.end(), why) == manual_.end()) {
      manual_.push_back(std::move(why));
    }
  }
  pending_.clear();
  if (manual_.empty() || manually_halted()) return {};
  kernel_.risk_engine().SetTradingState(TradingState::kHalted, manual_.front());
  return manual_.front();
}

std::string KillSwitch::ManualReason(const std::string& reason) {
  return "manual halt: " + (reason.empty() ? std::string("no reason given") : reason);
}

Result<std::string> KillSwitch::Withdraw(const std::string& halt_reason) {
  const std::string reason = ManualReason(halt_reason);
  std::erase(pending_, reason);
  const auto it = std::find(manual_.begin(), manual_.end(), reason);
  if (it == manual_.end()) return std::string("no halt of that reason stands");
  const bool standing = manually_halted();
  const bool shown = it == manual_.begin();
  manual_.erase(it);
  if (!standing) return std::string("withdrawn");  // replaced by another halt since
  if (manual_.empty()) {
    manual_.push_back(reason);  // Resume lifts the switch's halt as it stands
    return Resume();
  }
  // Another halt of the switch's still stands: it is the reason now.
  if (shown) kernel_.risk_engine().SetTradingState(TradingState::kHalted, manual_.front());
  return fmt::format("withdrawn; trading stays HALTED ({})", manual_.front());
}

Result<std::string> KillSwitch::Halt(const std::string& reason) {
  HaltTrading(ManualReason(reason));
  const RiskEngine& r = kernel_.risk_engine();
  return fmt::format("trading HALTED ({})", r.trading_state_reason());
}

Result<std::string> KillSwitch::Resume() {
  RiskEngine& r = kernel_.risk_engine();
  if (Running(phase_)) {
    return MakeError(
        fmt::format("a flatten is running ({}): resume once it is done", ToString(phase_)));
  }
  if (!kernel_.halt_reason().empty()) {
    return MakeError(
        fmt::format("halted by a fault: {}; a manual resume cannot lift it (restart "
                    "the node once it is fixed)",
                    kernel_.halt_reason()));
  }
  std::error_code ec;
  if (!kill_path_.empty() && std::filesystem::exists(kill_path_, ec)) {
    return MakeError(fmt::format("the kill file {} exists: remove it first", kill_path_));
  }
  if (r.trading_state() == TradingState::kActive) {
    return MakeError("trading is ACTIVE: nothing to resume");
  }
  if (!manually_halted()) {
    return MakeError(fmt::format(
        "trading is {} by {}, not by a manual halt: a resume cannot lift it",
        ToString(r.trading_state()),
        r.trading_state_reason().empty() ? std::string("the kernel") : r.trading_state_reason()));
  }
  if (r.loss_limit_state() == TradingState::kHalted) {
    return MakeError(
        fmt::format("the daily loss limit holds trading HALTED for the rest of the "
                    "IST day ({})",
                    r.loss_limit_reason()));
  }
  manual_.clear();
  r.SetTradingState(TradingState::kActive, "resumed by the operator");
  r.CheckLossLimits();  // the day's soft loss limit, if reached, brings REDUCING back
  if (phase_ == FlattenPhase::kDone) phase_ = FlattenPhase::kIdle;
  return fmt::format(
      "trading {}{}", ToString(r.trading_state()),
      r.trading_state_reason().empty() ? std::string() : " (" + r.trading_state_reason() + ")");
}

Result<std::string> KillSwitch::CancelAll(const std::string& reason) {
  std::string note;
  if (Running(phase_)) {
    note = fmt::format("; the flatten ({}) was stopped", ToString(phase_));
    phase_ = FlattenPhase::kIdle;
  }
  HaltTrading("cancel-all: " + (reason.empty() ? std::string("no reason given") : reason));
  const std::size_t n = CancelWorking();
  return fmt::format("trading HALTED; {} cancel{} sent{}", n, n == 1 ? "" : "s", note);
}

std::size_t KillSwitch::CancelWorking() {
  std::size_t n = 0;
  const Cache& cache = kernel_.cache();
  for (const Order* o : WorkingOrders(cache)) {
    if (o->status() == OrderStatus::kPendingCancel) continue;  // already on its way
    SendCancel(*o);
    ++n;
  }
  // An OTO child held for a parent that has filled (a restart's start not yet through, which
  // releases it at its end): never sent, so cancelled here, or the start would send it after
  // everything else was cancelled.
  std::vector<const Order*> held;
  for (const Order* o : cache.Orders()) {
    if (o->status() != OrderStatus::kInitialized || o->parent_order_id().empty()) continue;
    const Order* parent = cache.order(o->parent_order_id());
    if (parent != nullptr && parent->status() == OrderStatus::kFilled) held.push_back(o);
  }
  for (const Order* o : held) {
    kernel_.exec_engine().CancelPeer(*o);
    ++n;
  }
  return n;
}

void KillSwitch::SendCancel(const Order& order) {
  // The same pending state and command a strategy's own cancel has, under its strategy.
  if (order.status() != OrderStatus::kInitialized) {
    if (Status s = EmitPendingState(kernel_.bus(), kernel_.uuids(), kernel_.clock(), order, true);
        !s) {
      kernel_.logger().Log(LogLevel::kError, "KillSwitch",
                           fmt::format("pending cancel not applied: {}", s.error()));
    }
  }
  const CommandHeader header = MakeCommandHeader(kernel_.config().trader_id, order.strategy_id(),
                                                 {}, kernel_.uuids(), kernel_.clock());
  if (Status s = kernel_.bus().Send(topics::kRiskEngineExecute,
                                    TradingCommand(MakeCancelCommand(header, order)));
      !s) {
    kernel_.logger().Log(LogLevel::kError, "KillSwitch",
                         fmt::format("cancel not sent: {}", s.error()));
  }
}

Result<std::string> KillSwitch::Flatten(const std::string& reason) {
  if (Running(phase_)) {
    return fmt::format("a flatten is already running ({}); {}", ToString(phase_), FlattenSummary());
  }
  flatten_reason_ = reason.empty() ? std::string("no reason given") : reason;
  HaltTrading("flatten: " + flatten_reason_);
  phase_ = FlattenPhase::kCancelling;
  sent_.clear();
  by_position_.clear();
  not_before_.clear();
  repricing_.clear();
  kernel_.logger().Log(LogLevel::kWarning, "KillSwitch",
                       fmt::format("FLATTEN: {}", flatten_reason_));
  // The deadline first: each cancel's pending state already comes back through OnOrderEvent.
  cancel_deadline_ = kernel_.clock().Now() + config_.cancel_wait;
  ArmAlert("cancel-wait", cancel_deadline_, [this] { Advance(); });
  const std::size_t cancels = CancelWorking();
  const std::string summary = FlattenSummary();
  Advance();
  return fmt::format("trading HALTED; flatten started: {} cancel{} sent; {}", cancels,
                     cancels == 1 ? "" : "s", summary);
}

std::string KillSwitch::FlattenSummary() const {
  std::size_t shorts = 0;
  std::size_t longs = 0;
  for (const Position* p : kernel_.cache().PositionsOpen()) {
    (p->side() == PositionSide::kShort ? shorts : longs) += 1;
  }
  return fmt::format("{} short and {} long position{} open", shorts, longs,
                     shorts + longs == 1 ? "" : "s");
}

void KillSwitch::OnOrderEvent(const OrderEvent& e) {
  if (!Running(phase_)) return;
  const ClientOrderId& id = HeaderOf(e).client_order_id;
  if (ours_.count(id) != 0) {
    const Order* o = kernel_.cache().order(id);
    // A flatten order that ended without filling and that we did not cancel ourselves (a
    // denial, a rejection, an expiry) is tried again after a pause, not at once.
    if (o != nullptr && o->is_closed() && repricing_.erase(id) == 0 &&
        o->status() != OrderStatus::kFilled) {
      const UnixNanos at = kernel_.clock().Now() + config_.reprice_after;
      not_before_[o->position_id()] = at;
      kernel_.logger().Log(LogLevel::kWarning, "KillSwitch",
                           fmt::format("flatten order {} ended {}; trying again at {}", id.value(),
                                       ToString(o->status()), FormatIst(at)));
      ArmAlert("retry", at, [this] { Advance(); });
    }
  }
  Advance();
}

void KillSwitch::Advance() {
  // Sending can answer at once (a denial) and bring us back here: run again instead of nesting.
  if (advancing_) {
    again_ = true;
    return;
  }
  advancing_ = true;
  do {
    again_ = false;
    AdvanceOnce();
  } while (again_);
  advancing_ = false;
}

void KillSwitch::AdvanceOnce() {
  Cache& cache = kernel_.cache();
  const UnixNanos now = kernel_.clock().Now();
  if (phase_ == FlattenPhase::kCancelling) {
    for (const Order* o : WorkingOrders(cache)) {
      if (ours_.count(o->client_order_id()) == 0 && now < cancel_deadline_) return;
    }
    phase_ = FlattenPhase::kShorts;
  }
  auto open_of = [&cache](PositionSide side) {
    std::vector<const Position*> out;
    for (const Position* p : cache.PositionsOpen()) {
      if (p->side() == side) out.push_back(p);
    }
    return out;
  };
  if (phase_ == FlattenPhase::kShorts) {
    // Every short is bought back before any long is sold: a long may be a short's hedge.
    const std::vector<const Position*> shorts = open_of(PositionSide::kShort);
    for (const Position* p : shorts) Close(*p);
    if (!shorts.empty()) return;
    phase_ = FlattenPhase::kLongs;
    kernel_.logger().Log(LogLevel::kWarning, "KillSwitch", "FLATTEN: no short left; selling longs");
  }
  if (phase_ == FlattenPhase::kLongs) {
    if (!open_of(PositionSide::kShort).empty()) {  // a late fill opened a short: it goes first
      phase_ = FlattenPhase::kShorts;
      again_ = true;
      return;
    }
    const std::vector<const Position*> longs = open_of(PositionSide::kLong);
    for (const Position* p : longs) Close(*p);
    if (!longs.empty()) return;
    phase_ = FlattenPhase::kDone;
    kernel_.logger().Log(
        LogLevel::kWarning, "KillSwitch",
        fmt::format("FLATTEN done: {} orders; trading stays HALTED", sent_.size()));
  }
}

void KillSwitch::Close(const Position& pos) {
  Cache& cache = kernel_.cache();
  for (const ClientOrderId& id : by_position_[pos.id()]) {
    const Order* o = cache.order(id);
    if (o != nullptr && !o->is_closed()) return;  // one of ours is working
  }
  if (auto it = not_before_.find(pos.id());
      it != not_before_.end() && kernel_.clock().Now() < it->second) {
    return;  // waiting to try again
  }
  const Instrument* inst = cache.instrument(pos.instrument_id());
  if (inst == nullptr) {
    kernel_.logger().Log(
        LogLevel::kError, "KillSwitch",
        fmt::format("cannot flatten {}: no instrument", pos.instrument_id().value()));
    return;
  }
  // Slices within the freeze quantity and [risk.live] max_lots_per_order, whole lots.
  const std::int64_t lot = std::max<std::int64_t>(inst->lot_size.raw(), 1);
  std::int64_t slice = pos.quantity().raw();
  if (inst->freeze_quantity) slice = std::min(slice, inst->freeze_quantity->raw() / lot * lot);
  if (const auto& max = kernel_.risk_engine().config().live.max_lots_per_order) {
    slice = std::min(slice, *max * lot);
  }
  slice = std::max(slice, lot);
  const int precision = pos.quantity().precision();
  for (std::int64_t left = pos.quantity().raw(); left > 0;) {
    const std::int64_t q = std::min(left, slice);
    if (SubmitClose(pos, Quantity::Raw(q, precision)) == nullptr) break;
    left -= q;
  }
}

std::optional<Price> KillSwitch::ProtectedLimit(const Instrument& inst, OrderSide side) const {
  const QuoteTick* q = kernel_.cache().quote(inst.id);
  if (q == nullptr) return std::nullopt;
  const Price touch = side == OrderSide::kBuy ? q->ask_price : q->bid_price;
  if (touch.raw() <= 0) return std::nullopt;
  const Int128 band = static_cast<Int128>(touch.raw()) * config_.protection_pct_raw /
                      (static_cast<Int128>(100) * kFixedScale);
  const std::int64_t tick = std::max<std::int64_t>(inst.tick_size.raw(), 1);
  std::int64_t raw = 0;
  if (side == OrderSide::kBuy) {  // up to the tick: at least the touch
    const Int128 up = static_cast<Int128>(touch.raw()) + band;
    raw = static_cast<std::int64_t>((up + tick - 1) / tick * tick);
  } else {  // down to the tick, never below one tick
    const Int128 down = static_cast<Int128>(touch.raw()) - band;
    raw = std::max(static_cast<std::int64_t>(down / tick * tick), tick);
  }
  return Price::Raw(raw, inst.price_precision);
}

const Order* KillSwitch::SubmitClose(const Position& pos, Quantity qty) {
  Cache& cache = kernel_.cache();
  const Instrument* inst = cache.instrument(pos.instrument_id());
  const UnixNanos now = kernel_.clock().Now();
  OrderInitialized init;
  init.trader_id = kernel_.config().trader_id;
  init.strategy_id = pos.strategy_id();
  init.instrument_id = pos.instrument_id();
  do {
    init.client_order_id = ids_.NextClientOrderId();
  } while (cache.order_exists(init.client_order_id));
  init.event_id = kernel_.uuids().Next();
  init.ts_event = now;
  init.ts_init = now;
  init.side = pos.ClosingSide();
  init.quantity = qty;
  init.time_in_force = TimeInForce::kDay;
  init.reduce_only = true;
  init.tags = kFlattenTag;
  if (const std::optional<Price> limit = ProtectedLimit(*inst, init.side)) {
    init.order_type = OrderType::kLimit;
    init.price = limit;
  } else {
    init.order_type = OrderType::kMarket;  // no quote: the venue protects it from its last price
    init.market_protection_pct_raw = config_.protection_pct_raw;
  }
  if (Status s = cache.AddOrder(std::make_unique<Order>(init), pos.id()); !s) {
    kernel_.logger().Log(LogLevel::kError, "KillSwitch",
                         fmt::format("flatten order not added: {}", s.error()));
    return nullptr;
  }
  const Order* order = cache.order(init.client_order_id);
  ours_.insert(init.client_order_id);
  sent_.push_back(init.client_order_id);
  by_position_[pos.id()].push_back(init.client_order_id);
  kernel_.bus().Publish(topics::OrderEvents(pos.strategy_id()), OrderEvent(order->init()));
  kernel_.risk_engine().AllowWhileHalted(init.client_order_id);
  SubmitOrder cmd;
  static_cast<CommandHeader&>(cmd) = MakeCommandHeader(
      kernel_.config().trader_id, pos.strategy_id(), {}, kernel_.uuids(), kernel_.clock());
  cmd.instrument_id = init.instrument_id;
  cmd.client_order_id = init.client_order_id;
  cmd.position_id = pos.id();
  kernel_.logger().Log(LogLevel::kWarning, "KillSwitch",
                       fmt::format("FLATTEN: {} {} {} {} ({})", init.client_order_id.value(),
                                   ToString(init.side), qty.ToString(), init.instrument_id.value(),
                                   init.price ? "limit " + init.price->ToString() : "market"));
  const ClientOrderId id = init.client_order_id;
  ArmAlert("reprice", now + config_.reprice_after, [this, id] {
    const Order* o = kernel_.cache().order(id);
    if (!Running(phase_) || o == nullptr || o->is_closed() ||
        o->status() == OrderStatus::kPendingCancel) {
      return;
    }
    repricing_.insert(id);  // its cancel brings a new order at the new touch
    SendCancel(*o);
  });
  if (Status s = kernel_.bus().Send(topics::kRiskEngineExecute, TradingCommand(cmd)); !s) {
    kernel_.logger().Log(LogLevel::kError, "KillSwitch",
                         fmt::format("flatten order not sent: {}", s.error()));
  }
  return order;
}

void KillSwitch::ArmAlert(const std::string& kind, UnixNanos at, std::function<void()> fn) {
  std::string name = fmt::format("KillSwitch:{}:{}", kind, ++next_alert_);
  const Status s =
      kernel_.clock().SetTimeAlert(name, at, [this, name, f = std::move(fn)](const TimeEvent&) {
        std::erase(alerts_, name);
        f();
      });
  if (s) {
    alerts_.push_back(std::move(name));
  } else {
    kernel_.logger().Log(LogLevel::kError, "KillSwitch",
                         fmt::format("alert not set: {}", s.error()));
  }
}

void KillSwitch::CheckKillFile(const std::string& path) {
  kill_path_ = path;
  std::error_code ec;
  kill_exists_ = std::filesystem::exists(path, ec);
  if (!kill_exists_) {  // gone: its next appearance acts again
    kill_halted_ = false;
    kill_flattened_ = false;
    std::erase(pending_, ManualReason(KillReason(path)));  // its own waiting halt only
    return;
  }
  std::string content;
  {
    std::ifstream in(path);
    char buf[64] = {};
    in.read(buf, sizeof(buf));
    content.assign(buf, static_cast<std::size_t>(in.gcount()));
  }
  std::erase_if(content, [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
  std::transform(content.begin(), content.end(), content.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  const std::string why = KillReason(path);
  const Kernel::StartPhase phase = kernel_.start_phase();
  const bool reconciled = phase == Kernel::StartPhase::kPortfolio ||
                          phase == Kernel::StartPhase::kTrader ||
                          phase == Kernel::StartPhase::kRunning;
  if (content == "flatten" && !reconciled) {
    // Not before the start has reconciled the books with the venue (its positions may not be
    // the venue's yet): halted now, flattened once the reconciliation has passed.
    if (kill_halted_) return;
    kill_halted_ = true;
    kernel_.logger().Log(LogLevel::kWarning, "KillSwitch",
                         fmt::format("{} says flatten: HALT now, flatten once the start has "
                                     "reconciled",
                                     path));
    (void)Halt(why);
    return;
  }
  if (content == "flatten") {
    if (kill_flattened_) return;
    kill_flattened_ = true;
    kill_halted_ = true;
    if (auto r = Flatten(why); !r) {
      kernel_.logger().Log(LogLevel::kError, "KillSwitch", r.error());
    }
    return;
  }
  // Once per appearance, unless trading was made ACTIVE again with the file still there.
  if (kill_halted_ && kernel_.risk_engine().trading_state() == TradingState::kHalted) return;
  kill_halted_ = true;
  kernel_.logger().Log(LogLevel::kWarning, "KillSwitch", fmt::format("{} exists: HALT", path));
  (void)Halt(why);
}

std::string KillSwitch::StatusJson() const {
  const Cache& cache = kernel_.cache();
  const RiskEngine& r = kernel_.risk_engine();
  nlohmann::ordered_json j;
  j["trading_state"] = std::string(ToString(r.trading_state()));
  j["reason"] = r.trading_state_reason();
  j["halted_by"] = r.trading_state() == TradingState::kActive ? "none"
                   : !kernel_.halt_reason().empty()           ? "fault"
                   : manually_halted()                        ? "manual"
                   : r.loss_limit_state() != TradingState::kActive &&
                           r.trading_state_reason() == r.loss_limit_reason()
                       ? "loss_limit"
                       : "kernel";
  j["fault"] = kernel_.halt_reason();
  j["loss_limit"] = {{"state", std::string(ToString(r.loss_limit_state()))},
                     {"reason", r.loss_limit_reason()}};
  const std::optional<Money> pnl = r.daily_pnl();
  j["daily_pnl"] = pnl ? nlohmann::ordered_json(pnl->ToString()) : nlohmann::ordered_json();
  j["orders_today"] = r.orders_today();
  j["deployed_capital"] = r.DeployedCapital().ToString();
  nlohmann::ordered_json orders = nlohmann::ordered_json::array();
  for (const Order* o : WorkingOrders(cache)) {
    nlohmann::ordered_json e;
    e["client_order_id"] = o->client_order_id().value();
    e["strategy_id"] = o->strategy_id().value();
    e["instrument_id"] = o->instrument_id().value();
    e["side"] = std::string(ToString(o->side()));
    e["type"] = std::string(ToString(o->order_type()));
    e["quantity"] = o->quantity().ToString();
    e["filled_qty"] = o->filled_qty().ToString();
    e["price"] =
        o->price() ? nlohmann::ordered_json(o->price()->ToString()) : nlohmann::ordered_json();
    e["status"] = std::string(ToString(o->status()));
    e["tags"] = o->tags();
    orders.push_back(std::move(e));
  }
  j["open_orders"] = std::move(orders);
  // Net per instrument over every strategy (what the venue holds).
  std::map<InstrumentId, std::pair<std::int64_t, int>> net;
  for (const Position* p : cache.PositionsOpen()) {
    auto& [qty, precision] = net[p->instrument_id()];
    qty += p->signed_qty_raw();
    precision = p->quantity().precision();
  }
  nlohmann::ordered_json positions = nlohmann::ordered_json::array();
  for (const auto& [id, q] : net) {
    if (q.first == 0) continue;
    positions.push_back({{"instrument_id", id.value()},
                         {"side", q.first > 0 ? "LONG" : "SHORT"},
                         {"quantity", Quantity::Raw(std::abs(q.first), q.second).ToString()}});
  }
  j["positions"] = std::move(positions);
  if (kill_path_.empty()) {
    j["kill_file"] = nullptr;
  } else {
    j["kill_file"] = {{"path", kill_path_}, {"exists", kill_exists_}};
  }
  // The switch's halts that stand side by side (the first is the reason while it holds; all
  // stand again when another halt that replaced them lifts at a start), and those waiting.
  j["manual_halts"] = manual_;
  j["pending_halts"] = pending_;
  j["flatten"] = {{"phase", std::string(ToString(phase_))},
                  {"reason", flatten_reason_},
                  {"orders", sent_.size()}};
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace nacre
