#include "apps/kite_emulator/oms.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>
#include <stdexcept>

#include "adapters/zerodha/kite_errors.h"
#include "adapters/zerodha/kite_json.h"
#include "apps/kite_emulator/answers.h"
#include "apps/kite_emulator/emulator.h"
#include "core/fixed.h"
#include "nse/charges.h"
#include "trading/kernel.h"
#include "venue/simulated_exchange.h"

namespace nacre::kite_emu {

namespace {

using nlohmann::json;


json PriceOr0(const std::optional<Price>& p) { return p ? KitePriceJson(*p) : json(0); }
std::int64_t Units(const Quantity& q) { return q.raw() / kFixedScale; }
Money Value(Price px, std::int64_t units, std::int64_t multiplier) {
  return Money::Notional(px, Quantity::FromInt(units), multiplier);
}

// The largest quantity a request may name (units): far beyond any freeze limit, and small
// enough that no price the exchange accepts overflows the fixed-point value.
constexpr std::int64_t kMaxRequestUnits = 100'000;
// The most orders a margin or charges request may hold, and the largest value one of them
// may name (₹10 crore): a request's figures then always fit the fixed-point margin sums.
constexpr std::size_t kMaxRequestOrders = 50;
const Money kMaxRequestValue = Money::FromInt(100'000'000);

// `units` at `px` as money, or nullopt when a request's figures overflow it.
std::optional<Money> CheckedValue(Price px, std::int64_t units, std::int64_t multiplier) {
  if (units < 0 || units > kMaxRequestUnits) return std::nullopt;
  return Money::CheckedNotional(px, Quantity::FromInt(units), multiplier);
}

// A positive whole number up to kMaxRequestUnits, or nullopt.
std::optional<std::int64_t> ParseCount(const std::string& text, bool allow_zero = false) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  std::int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v == 0 && !allow_zero) return std::nullopt;
  if (v > kMaxRequestUnits) return std::nullopt;
  return v;
}

// A non-negative decimal price ("100", "100.05"), or nullopt.
std::optional<Price> ParsePrice(const std::string& text) {
  if (text.empty() || text[0] == '-' || text[0] == '+') return std::nullopt;
  auto p = Price::Parse(text);
  if (!p.ok() || p->raw() < 0) return std::nullopt;
  return *p;
}

bool IsStopType(const std::string& t) { return t == "SL" || t == "SL-M"; }

OrderType NacreType(const std::string& t) {
  if (t == "LIMIT") return OrderType::kLimit;
  if (t == "SL") return OrderType::kStopLimit;
  if (t == "SL-M") return OrderType::kStopMarket;
  return OrderType::kMarket;
}

json ChargesJson(const ChargeBreakdown& c) {
  return json{{"transaction_tax", KiteMoneyJson(c.stt)},
              {"transaction_tax_type", "stt"},
              {"exchange_turnover_charge", KiteMoneyJson(c.exchange + c.ipft)},
              {"sebi_turnover_charge", KiteMoneyJson(c.sebi)},
              {"brokerage", KiteMoneyJson(c.brokerage)},
              {"stamp_duty", KiteMoneyJson(c.stamp)},
              {"gst", {{"igst", KiteMoneyJson(c.gst)}, {"cgst", 0}, {"sgst", 0}, {"total", KiteMoneyJson(c.gst)}}},
              {"total", KiteMoneyJson(c.Total())}};
}

// The sentence Kite gives for a refusal of the exchange's rule (nullopt: not refused before the
// exchange; it answers on arrival). `error_type` is set to Kite's exception.
std::optional<std::string> KiteRefusalText(const VenueRefusal& r, const Instrument* inst,
                                           std::string* error_type) {
  *error_type = "InputException";
  switch (r.rule) {
    case VenueRule::kTickSize:
      return fmt::format(
          "Tick size for this script is {}. Kindly enter price in the multiple of tick size for "
          "this script",
          inst != nullptr ? inst->tick_size.ToString() : std::string("?"));
    case VenueRule::kLotSize:
      return fmt::format("Quantity should be in multiples of lot size ({}).",
                         inst != nullptr ? Units(inst->lot_size) : 0);
    case VenueRule::kFreezeQuantity:
      return fmt::format(
          "Quantity exceeds the freeze limit of {} for this script. Split the order into smaller "
          "quantities.",
          inst != nullptr && inst->freeze_quantity ? Units(*inst->freeze_quantity) : 0);
    case VenueRule::kMarketProtection:
      return std::string(
          "Market orders without market protection are not allowed via API. Please set market "
          "protection or use a Limit order.");
    case VenueRule::kMarketClosed:
      return std::string(
          "Markets are closed right now. Use GTT for placing long standing orders instead.");
    case VenueRule::kUnknownInstrument:
    case VenueRule::kNotTradable:
      return std::string("Invalid `tradingsymbol`.");
    case VenueRule::kExpired:
      return std::string("The instrument has expired.");
    case VenueRule::kNoChargeSchedule:
      return std::string("The emulator trades index options only.");
    case VenueRule::kMargin:
      *error_type = "MarginException";
      return fmt::format(
          "Insufficient funds. Required margin is {} but available margin is {}. Check the "
          "orderbook for open orders.",
          r.required.ToString(), r.free.ToString());
    case VenueRule::kQuantityNotAboveFilled:
      return std::string("Quantity cannot be less than or equal to the filled quantity.");
    case VenueRule::kLpp:
    case VenueRule::kMarginUnpriced:
    case VenueRule::kGtdPassed:
    case VenueRule::kNotOpen:
      return std::nullopt;
  }
  return std::nullopt;
}

// The status_message of an order the exchange rejected (Kite's wording where the rule is one
// Kite words; the exchange's text otherwise).
std::string RejectionText(const VenueRefusal& r, const Instrument* inst) {
  if (r.rule == VenueRule::kLpp) {
    return "Your order price is outside the exchange's limit price protection (LPP) band. Place "
           "the order within the band.";
  }
  std::string type;
  if (auto text = KiteRefusalText(r, inst, &type)) return *text;
  return "RMS: " + r.message;
}

// "completed" / "cancelled" / "rejected".
const char* TerminalWord(KiteStatus s) {
  switch (s) {
    case KiteStatus::kComplete: return "completed";
    case KiteStatus::kCancelled: return "cancelled";
    default: return "rejected";
  }
}

bool ModifyPending(KiteStatus s) {
  return s == KiteStatus::kModifyValidationPending || s == KiteStatus::kModifyPending;
}

std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

Oms::Oms(OmsConfig config, const std::vector<Instrument>& instruments,
         const std::vector<KiteInstrumentRow>& rows, UnixNanos start)
    : config_(std::move(config)),
      instruments_(instruments),
      rows_(rows),
      schedule_(std::make_shared<const ChargeSchedule>(ChargeSchedule::ZerodhaIndexOptions())),
      rng_(config_.seed),
      id_rng_(config_.seed ^ 0x9E3779B97F4A7C15ULL) {
  // Order ids: 19 digits from a seeded base, then increasing by seeded steps.
  next_order_id_ = 1'000'000'000'000'000'000ULL + id_rng_() % 800'000'000'000'000'000ULL;
  for (const Instrument& ins : instruments_) by_id_[ins.id] = &ins;
  for (const Instrument& ins : instruments_) {
    const std::string sym =
        ins.raw_symbol.value().empty() ? ins.id.symbol().value() : ins.raw_symbol.value();
    for (const KiteInstrumentRow& r : rows_) {
      if (r.tradingsymbol != sym) continue;
      listings_[r.exchange + ":" + r.tradingsymbol] = Listing{&ins, &r};
      listing_of_[ins.id] = Listing{&ins, &r};
      break;
    }
  }

  KernelConfig kc;
  kc.log_sink = nullptr;
  kc.seed = config_.seed;
  kernel_ = std::make_unique<Kernel>(kc, std::make_unique<TestClock>(start));
  SimulatedExchangeConfig ec;
  ec.venue = Venue("NFO");
  ec.account_id = AccountId("KITE-001");
  ec.starting_balance = config_.cash;
  ec.schedule = schedule_;
  ec.charges = true;
  ec.margin_check = true;
  ec.lpp = true;
  ec.require_market_protection = config_.sebi_2026_rules;
  ec.hours = config_.hours;
  ec.fill.seed = config_.seed;
  // A resting limit met by trades at its price waits behind the size displayed there, and a
  // trade or bar that only touches it fills it half the time: the emulator's fills never
  // flatter a client more than the backtest's.
  ec.fill.queue_position = true;
  ec.fill.limit_touch_probability = 0.5;
  book_config_ = MarginBookConfig{ec.margin, ec.margin_default_vol, ec.underlying_vol};
  auto ex = std::make_unique<SimulatedExchange>(ec);
  exchange_ = ex.get();
  kernel_->exec_engine().RegisterClient(std::move(ex));
  for (const Instrument& ins : instruments_) {
    kernel_->cache().AddInstrument(ins);
    exchange_->AddInstrument(ins);
  }
  kernel_->cache().AddAccount(
      std::make_unique<Account>(ec.account_id, AccountType::kMargin, config_.cash, start),
      ec.venue);
  kernel_->portfolio().ManageAccount(ec.account_id);
  kernel_->bus().Subscribe<OrderEvent>("events.order.*",
                                       [this](const OrderEvent& e) { OnOrderEvent(e); });
  if (Status s = kernel_->Start(); !s.ok()) {
    throw std::runtime_error("kite emulator OMS: the kernel did not start: " + s.error());
  }
}

Oms::~Oms() = default;

// ---- market and time ----

const Instrument* Oms::FindInstrument(const InstrumentId& id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

std::optional<Price> Oms::Mark(const InstrumentId& id) const {
  auto it = markets_.find(id);
  if (it == markets_.end()) return std::nullopt;
  const Market& m = it->second;
  if (m.quote && m.quote->bid_price.raw() > 0 && m.quote->ask_price.raw() > 0) {
    return m.quote->Mid();
  }
  if (m.trade) return m.trade;
  return m.bar_close;
}

std::optional<Price> Oms::LastPrice(const InstrumentId& id) const {
  auto it = markets_.find(id);
  return it == markets_.end() ? std::nullopt : it->second.last;
}

void Oms::OnData(const MarketData& d) {
  const UnixNanos ts = TsInitOf(d);
  AdvanceTo(ts);  // transient steps due by then first (a venue delivery precedes data)
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, QuoteTick>) {
          Market& m = markets_[x.instrument_id];
          m.quote = x;
          if (x.bid_price.raw() > 0 && x.ask_price.raw() > 0) m.last = x.Mid();
        } else if constexpr (std::is_same_v<T, TradeTick>) {
          Market& m = markets_[x.instrument_id];
          m.trade = x.price;
          m.last = x.price;
        } else {
          Market& m = markets_[x.bar_type.instrument_id()];
          m.bar_close = x.close;
          m.last = x.close;
        }
      },
      d);
  InstrumentId instrument;
  kernel_->loop().RunData(ts, [&] {
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, QuoteTick>) {
            instrument = x.instrument_id;
            exchange_->OnQuote(x);
          } else if constexpr (std::is_same_v<T, TradeTick>) {
            instrument = x.instrument_id;
            exchange_->OnTrade(x);
          } else {
            instrument = x.bar_type.instrument_id();
            exchange_->OnBar(x);
          }
          kernel_->data_engine().Process(x);
        },
        d);
  });
  // cancel_loses_race: the held cancels of this instrument go now that the item was matched
  // (a fill it gave has already won: the order is COMPLETE and SendCancel does nothing).
  // Scanned only while some cancel is held (a fault), not on every market item.
  for (auto it = orders_.begin(); held_cancels_ > 0 && it != orders_.end(); ++it) {
    KiteOrder& o = it->second;
    if (!o.cancel_held || o.listing.instrument->id != instrument) continue;
    o.cancel_held = false;
    --held_cancels_;
    SendCancel(o, ts);
  }
}

void Oms::AdvanceTo(UnixNanos t) {
  while (!steps_.empty() && steps_.begin()->first.first <= t) {
    auto node = steps_.extract(steps_.begin());
    kernel_->loop().AdvanceTo(node.key().first);
    RunStep(node.mapped());
  }
  kernel_->loop().AdvanceTo(t);
  exchange_->ProcessCommands();  // DAY expiry and housekeeping at t
}

DurationNs Oms::TransientDelay() {
  const auto span = static_cast<std::uint64_t>(config_.transient_max - config_.transient_min);
  return config_.transient_min + static_cast<DurationNs>(rng_() % (span + 1));
}

void Oms::Schedule(UnixNanos at, const std::string& order_id, StepKind kind) {
  steps_.emplace(std::make_pair(at, step_seq_++), Step{order_id, kind});
}

std::string Oms::NextOrderId() {
  next_order_id_ += 1 + id_rng_() % 997;
  return std::to_string(next_order_id_);
}

Oms::KiteOrder* Oms::Find(const std::string& order_id) {
  auto it = orders_.find(order_id);
  return it == orders_.end() ? nullptr : &it->second;
}

Oms::KiteOrder* Oms::FindByCoid(const ClientOrderId& id) {
  auto it = by_coid_.find(id);
  return it == by_coid_.end() ? nullptr : Find(it->second);
}

const Oms::Listing* Oms::Lookup(const std::string& exchange, const std::string& symbol) const {
  auto it = listings_.find(exchange + ":" + symbol);
  return it == listings_.end() ? nullptr : &it->second;
}

// ---- life cycle ----

void Oms::AddRow(KiteOrder& o, UnixNanos at) { o.history.emplace_back(at, OrderJson(o)); }

void Oms::Transition(KiteOrder& o, KiteStatus to, UnixNanos at) {
  if (!KiteTransitionAllowed(o.status, to)) {
    fmt::print(stderr, "kite emulator OMS: order {} cannot go from {} to {}\n", o.order_id,
               ToString(o.status), ToString(to));
    std::abort();  // a bug in the OMS: Kite's life cycle never makes this move
  }
  o.status = to;
  AddRow(o, at);
}

void Oms::Finish(KiteOrder& o, KiteStatus terminal, UnixNanos at) {
  if (ModifyPending(o.status)) Transition(o, KiteStatus::kNotModified, at);
  if (!KiteTransitionAllowed(o.status, terminal)) Transition(o, o.live, at);
  Transition(o, terminal, at);
}

void Oms::Update(const KiteOrder& o) {
  if (!sink_) return;
  json u = OrderJson(o);
  // Kite pushes no transient status: a fill while a modify or cancel is pending is sent with
  // the order's live status (OPEN / TRIGGER PENDING) and its filled quantity.
  if (IsTransient(o.status)) u["status"] = std::string(ToString(o.live));
  u["user_id"] = config_.user.user_id;
  u["unfilled_quantity"] = o.quantity - o.filled;
  u["app_id"] = 0;
  u["checksum"] = "";
  sink_(u);
}

void Oms::RunStep(const Step& step) {
  KiteOrder* o = Find(step.order_id);
  if (o == nullptr) return;
  const UnixNanos now = kernel_->clock().Now();
  switch (step.kind) {
    case StepKind::kValidation:
      Transition(*o, KiteStatus::kValidationPending, now);
      Schedule(now + TransientDelay(), o->order_id, StepKind::kOpenPending);
      return;
    case StepKind::kOpenPending:
      Transition(*o, KiteStatus::kOpenPending, now);
      if (o->placement_fault && o->placement_fault->action == FaultAction::kStuckOpenPending) {
        o->stuck = true;  // held here; 0: until cancelled (or the day's close)
        if (config_.hours != nullptr) {
          if (auto close = config_.hours->DayClose(*o->listing.instrument, now)) {
            Schedule(std::max(*close, now), o->order_id, StepKind::kDayEnd);
          }
        }
        if (o->placement_fault->delay_ms > 0) {
          Schedule(now + o->placement_fault->delay_ms * kNanosPerMilli, o->order_id,
                   StepKind::kSend);
        }
        return;
      }
      Schedule(now + TransientDelay(), o->order_id, StepKind::kSend);
      return;
    case StepKind::kWithdraw:
    case StepKind::kDayEnd:
      if (o->status != KiteStatus::kOpenPending) return;  // sent, withdrawn or ended already
      o->cancelled = o->quantity - o->filled;
      Transition(*o, KiteStatus::kCancelled, now);
      Update(*o);
      return;
    case StepKind::kSend: {
      // A stuck order withdrawn by a cancel never goes.
      if (o->status != KiteStatus::kOpenPending || o->withdrawing) return;
      o->stuck = false;
      if (o->placement_fault && o->placement_fault->action == FaultAction::kRejectRms) {
        o->status_message = fmt::format(
            "RMS:Rule: Order blocked for entity account-{} across exchange across segment "
            "across product: emulated RMS rejection (fault plan rule {})",
            config_.user.user_id, o->placement_fault->rule);
        o->status_message_raw = o->status_message;
        Transition(*o, KiteStatus::kRejected, now);
        Update(*o);
        return;
      }
      Status added = kernel_->cache().AddOrder(std::make_unique<Order>(o->init));
      if (!added.ok()) {
        o->status_message = "RMS: " + added.error();
        Transition(*o, KiteStatus::kRejected, now);
        Update(*o);
        return;
      }
      const Order* order = kernel_->cache().order(o->coid);
      // What the exchange will say on arrival (the same checks, now): its rejection's wording.
      if (auto refused = exchange_->Precheck(*order, now)) {
        o->arrival_reason = refused->message;
        o->arrival_text = RejectionText(*refused, o->listing.instrument);
      }
      SubmitOrder cmd;
      cmd.trader_id = order->trader_id();
      cmd.strategy_id = order->strategy_id();
      cmd.instrument_id = order->instrument_id();
      cmd.client_order_id = order->client_order_id();
      cmd.ts_init = now;
      kernel_->exec_engine().Execute(cmd);
      exchange_->ProcessCommands();
      return;
    }
    case StepKind::kModifyPending:
      if (o->status != KiteStatus::kModifyValidationPending) return;  // a fill ended it
      Transition(*o, KiteStatus::kModifyPending, now);
      Schedule(now + TransientDelay(), o->order_id, StepKind::kSendModify);
      return;
    case StepKind::kSendModify: {
      if (o->status != KiteStatus::kModifyPending) return;
      const Order* order = kernel_->cache().order(o->coid);
      if (order == nullptr) return;
      nacre::ModifyOrder cmd;
      cmd.trader_id = order->trader_id();
      cmd.strategy_id = order->strategy_id();
      cmd.instrument_id = order->instrument_id();
      cmd.client_order_id = order->client_order_id();
      cmd.venue_order_id = order->venue_order_id();
      if (o->modify.quantity) cmd.quantity = Quantity::FromInt(*o->modify.quantity);
      cmd.price = o->modify.price;
      cmd.trigger_price = o->modify.trigger;
      cmd.ts_init = now;
      kernel_->exec_engine().Execute(cmd);
      exchange_->ProcessCommands();
      return;
    }
    case StepKind::kSendCancel:
      if (o->cancel_held) return;  // cancel_loses_race: it waits for the next market item
      SendCancel(*o, now);
      return;
  }
}

void Oms::SendCancel(KiteOrder& o, UnixNanos now) {
  if (o.status != KiteStatus::kCancelPending) return;  // a fill won the race
  const Order* order = kernel_->cache().order(o.coid);
  if (order == nullptr) return;
  nacre::CancelOrder cmd;
  cmd.trader_id = order->trader_id();
  cmd.strategy_id = order->strategy_id();
  cmd.instrument_id = order->instrument_id();
  cmd.client_order_id = order->client_order_id();
  cmd.venue_order_id = order->venue_order_id();
  cmd.ts_init = now;
  kernel_->exec_engine().Execute(cmd);
  exchange_->ProcessCommands();
}

std::optional<FiredFault> Oms::Fault(const KiteOrder& o, UnixNanos now,
                                     std::span<const FaultAction> can) {
  if (faults_ == nullptr || faults_->empty()) return std::nullopt;
  auto f = faults_->Check(FaultArea::kOms, "oms", o.listing.row->tradingsymbol, now, can);
  if (f && fired_) fired_(*f);
  return f;
}

bool Oms::HideOrder(const std::string& order_id, UnixNanos until) {
  KiteOrder* o = Find(order_id);
  if (o == nullptr) return false;
  o->hidden_until = until;
  return true;
}

bool Oms::Visible(const KiteOrder& o) const {
  return !o.hidden_until || kernel_->clock().Now() >= *o.hidden_until;
}

void Oms::RecordFill(KiteOrder& o, Price px, std::int64_t units, UnixNanos at, int parts) {
  // Whole lots (F&O trades are lot multiples); a quantity off the lot grid splits in units.
  std::int64_t lot = Units(o.listing.instrument->lot_size);
  if (lot <= 0 || units % lot != 0) lot = 1;
  const std::int64_t lots = units / lot;
  const std::int64_t n = std::max<std::int64_t>(1, std::min<std::int64_t>(parts, lots));
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t q = (lots / n + (i < lots % n ? 1 : 0)) * lot;
    o.filled += q;
    o.filled_value += static_cast<Int128>(px.raw()) * q;
    o.exchange_update_ts = at;
    trades_.push_back(
        KiteTrade{std::to_string(10'000'000 + ++next_trade_), o.order_id, px, q, at});
    if (o.filled >= o.quantity) {
      Finish(o, KiteStatus::kComplete, at);
    } else {
      AddRow(o, at);  // an exchange update: same status, more filled
    }
    Update(o);
  }
}

void Oms::OnOrderEvent(const OrderEvent& event) {
  KiteOrder* o = FindByCoid(HeaderOf(event).client_order_id);
  if (o == nullptr) {
    // Not a Kite order: the kernel's expiry settlement of an open option position.
    const auto* fill = std::get_if<OrderFilled>(&event);
    const auto listing = fill != nullptr ? listing_of_.find(fill->instrument_id) : listing_of_.end();
    if (listing == listing_of_.end()) return;
    Settlement st;
    st.listing = &listing->second;
    st.units = fill->order_side == OrderSide::kSell ? Units(fill->last_qty) : -Units(fill->last_qty);
    st.price = fill->last_px;
    st.charges = fill->commission;
    st.ts = fill->ts_event;
    for (const KiteTrade& t : trades_) {  // the product of the position's latest trade
      if (orders_.at(t.order_id).listing.instrument->id == fill->instrument_id) {
        st.product = product_of_.at(t.order_id);
      }
    }
    settlements_.push_back(std::move(st));
    return;
  }
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        const UnixNanos at = e.ts_event;
        (void)at;
        if constexpr (std::is_same_v<T, OrderAccepted>) {
          o->exchange_order_id = std::to_string(1'100'000'000'000'000ULL + ++next_exchange_id_);
          o->exchange_ts = at;
          o->exchange_update_ts = at;
          o->live = IsStopType(o->order_type) ? KiteStatus::kTriggerPending : KiteStatus::kOpen;
          Transition(*o, o->live, at);
        } else if constexpr (std::is_same_v<T, OrderTriggered>) {
          o->exchange_update_ts = at;
          o->live = KiteStatus::kOpen;
          if (o->status == KiteStatus::kTriggerPending) Transition(*o, KiteStatus::kOpen, at);
        } else if constexpr (std::is_same_v<T, OrderFilled>) {
          const bool split = o->placement_fault &&
                             o->placement_fault->action == FaultAction::kPartialFills;
          RecordFill(*o, e.last_px, Units(e.last_qty), at,
                     split ? o->placement_fault->trades : 1);
        } else if constexpr (std::is_same_v<T, OrderCanceled> || std::is_same_v<T, OrderExpired>) {
          o->cancelled = o->quantity - o->filled;
          o->exchange_update_ts = at;
          Finish(*o, KiteStatus::kCancelled, at);
          Update(*o);
        } else if constexpr (std::is_same_v<T, OrderRejected>) {
          o->status_message_raw = e.reason;
          o->status_message =
              o->arrival_reason && *o->arrival_reason == e.reason && o->arrival_text
                  ? *o->arrival_text
                  : (e.reason.find("LPP") != std::string::npos
                         ? RejectionText(VenueRefusal{VenueRule::kLpp, e.reason, {}, {}}, nullptr)
                         : "RMS: " + e.reason);
          o->exchange_update_ts = at;
          Finish(*o, KiteStatus::kRejected, at);
          Update(*o);
        } else if constexpr (std::is_same_v<T, OrderUpdated>) {
          o->quantity = Units(e.quantity);
          o->price = e.price;
          o->trigger = e.trigger_price;
          o->modified = true;
          o->exchange_update_ts = at;
          if (o->status == KiteStatus::kModifyPending) {
            Transition(*o, KiteStatus::kModified, at);
            Transition(*o, o->live, at);
            Update(*o);
          }
        } else if constexpr (std::is_same_v<T, OrderCancelRejected>) {
          // The exchange refused the cancel (the order was no longer resting there): a live
          // order goes back to its live status, as Kite shows a cancel that did not happen.
          if (o->status == KiteStatus::kCancelPending) {
            o->status_message_raw = e.reason;
            Transition(*o, o->live, at);
          }
        } else if constexpr (std::is_same_v<T, OrderDenied>) {
          // Refused before the exchange (Nacre's risk checks): Kite shows a rejection.
          if (!IsTerminal(o->status)) {
            o->status_message = "RMS: " + e.message;
            o->status_message_raw = e.reason_code + ": " + e.message;
            Finish(*o, KiteStatus::kRejected, at);
            Update(*o);
          }
        } else if constexpr (std::is_same_v<T, OrderModifyRejected>) {
          if (o->status == KiteStatus::kModifyPending) {
            o->status_message = "RMS: " + e.reason;
            o->status_message_raw = e.reason;
            Transition(*o, KiteStatus::kNotModified, at);
            o->status_message.reset();
            o->status_message_raw.reset();
            Transition(*o, o->live, at);
          }
        }
      },
      event);
}

// ---- JSON ----

json Oms::OrderJson(const KiteOrder& o) const {
  const bool terminal = IsTerminal(o.status);
  auto opt_time = [](const std::optional<UnixNanos>& t) {
    return t ? json(KiteTimeText(*t)) : json(nullptr);
  };
  std::optional<Price> avg;
  if (o.filled > 0) {
    avg = Price::Raw(static_cast<std::int64_t>(DivRound(o.filled_value, o.filled)), 2);
  }
  const UnixNanos stamp = o.history.empty() ? o.placed : o.history.back().first;
  json tags = json::array();
  if (o.tag) tags.push_back(*o.tag);
  return json{{"account_id", config_.user.user_id},
              {"placed_by", config_.user.user_id},
              {"order_id", o.order_id},
              {"exchange_order_id", o.exchange_order_id ? json(*o.exchange_order_id) : json()},
              {"parent_order_id", nullptr},
              {"status", std::string(ToString(o.status))},
              {"status_message", o.status_message ? json(*o.status_message) : json()},
              {"status_message_raw", o.status_message_raw ? json(*o.status_message_raw) : json()},
              {"order_timestamp", KiteTimeText(stamp)},
              {"exchange_update_timestamp", opt_time(o.exchange_update_ts)},
              {"exchange_timestamp", opt_time(o.exchange_ts)},
              {"variety", "regular"},
              {"modified", o.modified},
              {"exchange", o.listing.row->exchange},
              {"tradingsymbol", o.listing.row->tradingsymbol},
              {"instrument_token", o.listing.row->instrument_token},
              {"order_type", o.order_type},
              {"transaction_type", o.transaction_type},
              {"validity", o.validity},
              {"validity_ttl", 0},
              {"product", o.product},
              {"quantity", o.quantity},
              {"disclosed_quantity", o.disclosed},
              {"price", PriceOr0(o.price)},
              {"trigger_price", PriceOr0(o.trigger)},
              {"average_price", PriceOr0(avg)},
              {"filled_quantity", o.filled},
              {"pending_quantity", terminal ? 0 : o.quantity - o.filled},
              {"cancelled_quantity", o.cancelled},
              {"market_protection", o.market_protection},
              {"meta", json::object()},
              {"tag", o.tag ? json(*o.tag) : json()},
              {"tags", tags},
              {"guid", "emu" + o.order_id}};
}

json Oms::TradeJson(const KiteOrder& o, const KiteTrade& t) const {
  const std::string placed = KiteTimeText(o.placed);
  return json{{"trade_id", t.trade_id},
              {"order_id", o.order_id},
              {"exchange", o.listing.row->exchange},
              {"tradingsymbol", o.listing.row->tradingsymbol},
              {"instrument_token", o.listing.row->instrument_token},
              {"product", o.product},
              {"average_price", KitePriceJson(t.price)},
              {"quantity", t.quantity},
              {"exchange_order_id", o.exchange_order_id ? json(*o.exchange_order_id) : json()},
              {"transaction_type", o.transaction_type},
              {"fill_timestamp", KiteTimeText(t.ts)},
              {"order_timestamp", placed.substr(11)},
              {"exchange_timestamp", KiteTimeText(t.ts)}};
}

json Oms::PositionList(bool day, Money* realised_sum, Money* unrealised_sum) const {
  struct Agg {
    const Listing* listing = nullptr;
    std::int64_t qty = 0, overnight = 0, buy_qty = 0, sell_qty = 0;
    Money buy_value, sell_value;
    std::int64_t day_buy_qty = 0, day_sell_qty = 0;  // today's fills only
    Money day_buy_value, day_sell_value;
    Int128 open_value = 0;  // Σ price raw × units of the open part (average cost)
  };
  const CivilDate today = IstDate(kernel_->clock().Now());
  std::map<PositionKey, Agg> aggs;
  for (const KiteTrade& t : trades_) {
    const KiteOrder& o = orders_.at(t.order_id);
    // Settled by the exchange at an earlier day's expiry: no longer a position.
    const Instrument& inst = *o.listing.instrument;
    if (!keep_expired_ && inst.has_expiry() && IstDate(inst.expiration) < today) {
      continue;
    }
    const PositionKey key{o.listing.instrument->id, product_of_.at(o.order_id)};
    Agg& a = aggs[key];
    a.listing = &o.listing;
    const bool is_today = IstDate(t.ts) == today;
    const std::int64_t mult = o.listing.instrument->multiplier;
    const std::int64_t signed_units = o.is_buy() ? t.quantity : -t.quantity;
    // The day position is today's fills alone (its own average); the net one all of them.
    if (day && !is_today) continue;
    if (!is_today) a.overnight += signed_units;
    const Money v = Value(t.price, t.quantity, mult);
    if (o.is_buy()) {
      a.buy_qty += t.quantity;
      a.buy_value += v;
      if (is_today) {
        a.day_buy_qty += t.quantity;
        a.day_buy_value += v;
      }
    } else {
      a.sell_qty += t.quantity;
      a.sell_value += v;
      if (is_today) {
        a.day_sell_qty += t.quantity;
        a.day_sell_value += v;
      }
    }
    // Average cost: adding to the position adds at the fill price; reducing keeps the average;
    // crossing zero opens the rest at the fill price.
    const std::int64_t before = a.qty;
    const std::int64_t after = before + signed_units;
    if (before == 0 || (before > 0) == (signed_units > 0)) {
      a.open_value += static_cast<Int128>(t.price.raw()) * t.quantity;
    } else if ((before > 0 && after >= 0) || (before < 0 && after <= 0)) {
      const std::int64_t held = before > 0 ? before : -before;
      a.open_value = DivRound(a.open_value * (held - t.quantity), held);
    } else {
      const std::int64_t rest = after > 0 ? after : -after;
      a.open_value = static_cast<Int128>(t.price.raw()) * rest;
    }
    a.qty = after;
  }
  json out = json::array();
  for (const auto& [key, a] : aggs) {
    if (day && a.buy_qty == 0 && a.sell_qty == 0) continue;
    const Instrument& inst = *a.listing->instrument;
    const std::int64_t mult = inst.multiplier;
    const std::int64_t qty = a.qty;
    const std::int64_t held = qty > 0 ? qty : -qty;
    const Price avg = held == 0 ? Price::Raw(0, 2)
                                : Price::Raw(static_cast<std::int64_t>(DivRound(a.open_value, held)), 2);
    const Price last = LastPrice(inst.id).value_or(avg);
    const Money value = a.sell_value - a.buy_value;
    const Money mark_value = Value(last, held, mult);
    const Money cost_value = Value(avg, held, mult);
    const Money pnl = value + (qty >= 0 ? mark_value : -mark_value);
    const Money unrealised = qty >= 0 ? mark_value - cost_value : cost_value - mark_value;
    const Money realised = pnl - unrealised;
    if (realised_sum != nullptr) *realised_sum += realised;
    if (unrealised_sum != nullptr) *unrealised_sum += unrealised;
    // Average price per unit of `units` (value / (units × multiplier)), rounded to the paisa.
    auto avg_of = [mult](const Money& v, std::int64_t units) {
      if (units == 0 || mult == 0) return json(0);
      const Int128 per = DivRound(static_cast<Int128>(v.raw()), static_cast<Int128>(units) * mult);
      return KitePriceJson(Price::Raw(static_cast<std::int64_t>(DivRound(per, kFixedScale / 100)) *
                                          (kFixedScale / 100), 2));
    };
    out.push_back(json{{"tradingsymbol", a.listing->row->tradingsymbol},
                       {"exchange", a.listing->row->exchange},
                       {"instrument_token", a.listing->row->instrument_token},
                       {"product", key.product},
                       {"quantity", qty},
                       {"overnight_quantity", day ? 0 : a.overnight},
                       {"multiplier", mult},
                       {"average_price", KitePriceJson(avg)},
                       {"close_price", 0},
                       {"last_price", KitePriceJson(last)},
                       {"value", KiteMoneyJson(value)},
                       {"pnl", KiteMoneyJson(pnl)},
                       {"m2m", KiteMoneyJson(pnl)},
                       {"unrealised", KiteMoneyJson(unrealised)},
                       {"realised", KiteMoneyJson(realised)},
                       {"buy_quantity", a.buy_qty},
                       {"buy_price", avg_of(a.buy_value, a.buy_qty)},
                       {"buy_value", KiteMoneyJson(a.buy_value)},
                       {"buy_m2m", KiteMoneyJson(a.buy_value)},
                       {"sell_quantity", a.sell_qty},
                       {"sell_price", avg_of(a.sell_value, a.sell_qty)},
                       {"sell_value", KiteMoneyJson(a.sell_value)},
                       {"sell_m2m", KiteMoneyJson(a.sell_value)},
                       {"day_buy_quantity", a.day_buy_qty},
                       {"day_buy_price", avg_of(a.day_buy_value, a.day_buy_qty)},
                       {"day_buy_value", KiteMoneyJson(a.day_buy_value)},
                       {"day_sell_quantity", a.day_sell_qty},
                       {"day_sell_price", avg_of(a.day_sell_value, a.day_sell_qty)},
                       {"day_sell_value", KiteMoneyJson(a.day_sell_value)}});
  }
  return out;
}

json Oms::EquityMargins() const {
  const Money opening = config_.cash;
  const Money cash = exchange_->cash();
  const Money charges = exchange_->total_charges().Total();
  const Money premium = opening - cash - charges;  // net option premium paid
  std::set<InstrumentId> underlyings;
  for (const auto& [id, p] : exchange_->positions()) {
    if (const Instrument* inst = FindInstrument(id); inst != nullptr && p.net_raw != 0) {
      underlyings.insert(inst->underlying);
    }
  }
  for (const auto& [id, o] : orders_) {
    if (!IsTerminal(o.status)) underlyings.insert(o.listing.instrument->underlying);
  }
  Money span = Money::Zero(), exposure = Money::Zero(), blocked = Money::Zero();
  for (const InstrumentId& u : underlyings) {
    if (u.empty()) continue;
    if (auto m = exchange_->MarginFor(u); m.ok()) {
      span += m->span;
      exposure += m->exposure;
    }
    if (auto b = exchange_->BlockedMarginFor(u); b.ok()) {
      span += b->working;
      blocked += b->positions + b->working;
    }
  }
  Money realised = Money::Zero(), unrealised = Money::Zero();
  PositionList(false, &realised, &unrealised);
  const Money live = cash - blocked;
  return json{{"enabled", true},
              {"net", KiteMoneyJson(live)},
              {"available",
               {{"adhoc_margin", 0},
                {"cash", KiteMoneyJson(opening)},
                {"opening_balance", KiteMoneyJson(opening)},
                {"live_balance", KiteMoneyJson(live)},
                {"collateral", 0},
                {"intraday_payin", 0}}},
              {"utilised",
               {{"debits", KiteMoneyJson(span + exposure + premium + charges)},
                {"exposure", KiteMoneyJson(exposure)},
                {"m2m_realised", KiteMoneyJson(realised)},
                {"m2m_unrealised", KiteMoneyJson(unrealised)},
                {"option_premium", KiteMoneyJson(premium)},
                {"payout", 0},
                {"span", KiteMoneyJson(span)},
                {"holding_sales", 0},
                {"turnover", 0},
                {"liquid_collateral", 0},
                {"stock_collateral", 0},
                {"delivery", 0}}}};
}

json Oms::Ledger() const {
  json orders = json::array();
  for (const auto& [id, o] : orders_) {
    json row = OrderJson(o);
    json history = json::array();
    for (const auto& [at, h] : o.history) {
      json r = h;
      r["emu_time_ns"] = at.value;
      history.push_back(std::move(r));
    }
    row["history"] = std::move(history);
    if (o.hidden_until) row["emu_hidden_until_ns"] = o.hidden_until->value;
    orders.push_back(std::move(row));
  }
  json trades = json::array();
  for (const KiteTrade& t : trades_) trades.push_back(TradeJson(orders_.at(t.order_id), t));
  json settlements = json::array();
  for (const Settlement& st : settlements_) {
    const Instrument& inst = *st.listing->instrument;
    const std::int64_t held = st.units > 0 ? st.units : -st.units;
    const Money settled = Value(st.price, held, inst.multiplier);
    // The position's realised P&L with the settlement, before charges: what its trades took
    // in and paid out, and the settlement cash.
    Money realised = st.units > 0 ? settled : -settled;
    for (const KiteTrade& t : trades_) {
      const KiteOrder& o = orders_.at(t.order_id);
      if (o.listing.instrument->id != inst.id) continue;
      const Money v = Value(t.price, t.quantity, inst.multiplier);
      realised += o.is_buy() ? -v : v;
    }
    settlements.push_back(json{{"tradingsymbol", st.listing->row->tradingsymbol},
                               {"exchange", st.listing->row->exchange},
                               {"product", st.product},
                               {"quantity", st.units},
                               {"settlement_price", KitePriceJson(st.price)},
                               {"value", KiteMoneyJson(st.units > 0 ? settled : -settled)},
                               {"charges", KiteMoneyJson(st.charges)},
                               {"realised", KiteMoneyJson(realised)},
                               {"timestamp", KiteTimeText(st.ts)}});
  }
  return json{{"orders", orders},
              {"trades", trades},
              {"settlements", settlements},
              {"positions", {{"net", PositionList(false)}, {"day", PositionList(true)}}},
              {"cash", KiteMoneyJson(exchange_->cash())},
              {"charges", KiteMoneyJson(exchange_->total_charges().Total())},
              {"margins", EquityMargins()}};
}

// ---- routes ----

std::optional<net::HttpResponse> Oms::Handle(const net::HttpRequest& request,
                                             const std::string& path, const std::string& query,
                                             UnixNanos now) {
  const std::vector<std::string> seg = Segments(path);
  const std::string& m = request.method;
  if (seg.empty()) return std::nullopt;
  const bool orders = seg[0] == "orders";
  const bool oms_route =
      (orders && seg.size() <= 3) || path == "/trades" || path == "/portfolio/positions" ||
      path == "/portfolio/holdings" || path == "/margins/orders" || path == "/margins/basket" ||
      path == "/charges/orders";
  if (!oms_route) return std::nullopt;
  AdvanceTo(now);
  if (orders) {
    if (seg.size() == 1 && m == "GET") return Orders();
    if (seg.size() == 2 && m == "POST") return Place(seg[1], request.body, now);
    if (seg.size() == 2 && m == "GET") return History(seg[1]);
    if (seg.size() == 3 && m == "GET" && seg[2] == "trades") return Trades(&seg[1]);
    if (seg.size() == 3 && m == "PUT") return Modify(seg[1], seg[2], request.body, now);
    if (seg.size() == 3 && m == "DELETE") return Cancel(seg[1], seg[2], now);
    return std::nullopt;
  }
  if (path == "/trades" && m == "GET") return Trades(nullptr);
  if (path == "/portfolio/positions" && m == "GET") return Positions();
  if (path == "/portfolio/positions" && m == "PUT") return ConvertPosition(request.body);
  if (path == "/portfolio/holdings" && m == "GET") return KiteSuccess(json::array());
  if (path == "/margins/orders" && m == "POST") return OrderMargins(request.body, now);
  if (path == "/margins/basket" && m == "POST") return BasketMargins(request.body, query, now);
  if (path == "/charges/orders" && m == "POST") return ContractNote(request.body, now);
  return std::nullopt;
}

namespace {

// Refuses any variety but `regular` (unknown ones as invalid, real ones as unsupported).
std::optional<net::HttpResponse> CheckVariety(const std::string& variety) {
  if (variety == "regular") return std::nullopt;
  if (variety == "amo" || variety == "co" || variety == "iceberg" || variety == "auction" ||
      variety == "bo") {
    return KiteInputError("Order variety `" + variety +
                 "` is not supported by the emulator (only `regular`).");
  }
  return KiteInputError("Invalid `variety`.");
}

bool ValidTag(const std::string& tag) {
  if (tag.empty() || tag.size() > 20) return false;
  return std::all_of(tag.begin(), tag.end(),
                     [](unsigned char c) { return std::isalnum(c) != 0; });
}

}  // namespace

net::HttpResponse Oms::Place(const std::string& variety, const std::string& body,
                             UnixNanos now) {
  if (auto refused = CheckVariety(variety)) return *refused;
  const auto form = ParseForm(body);
  auto get = [&](const char* k) { return FormField(form, k); };
  for (const char* k :
       {"exchange", "tradingsymbol", "transaction_type", "order_type", "quantity", "product"}) {
    if (get(k).empty()) return KiteInputError(std::string("Missing `") + k + "`.");
  }
  const Listing* listing = Lookup(get("exchange"), get("tradingsymbol"));
  if (listing == nullptr) return KiteInputError("Invalid `tradingsymbol`.");
  const std::string side = get("transaction_type");
  if (side != "BUY" && side != "SELL") return KiteInputError("Invalid `transaction_type`.");
  const std::string type = get("order_type");
  if (type != "MARKET" && type != "LIMIT" && type != "SL" && type != "SL-M") {
    return KiteInputError("Invalid `order_type`.");
  }
  const std::string product = get("product");
  if (product != "NRML" && product != "MIS") return KiteInputError("Invalid `product`.");
  std::string validity = get("validity");
  if (validity.empty()) validity = "DAY";
  if (validity == "TTL") return KiteInputError("Validity TTL is not supported by the emulator.");
  if (validity != "DAY" && validity != "IOC") return KiteInputError("Invalid `validity`.");
  const auto quantity = ParseCount(get("quantity"));
  if (!quantity) return KiteInputError("Invalid `quantity`.");
  std::int64_t disclosed = 0;
  if (!get("disclosed_quantity").empty()) {
    auto d = ParseCount(get("disclosed_quantity"), true);
    if (!d) return KiteInputError("Invalid `disclosed_quantity`.");
    disclosed = *d;
  }
  std::optional<Price> price, trigger;
  if (type == "LIMIT" || type == "SL") {
    price = ParsePrice(get("price"));
    if (!price || price->raw() == 0) return KiteInputError("Invalid `price`.");
  }
  if (IsStopType(type)) {
    trigger = ParsePrice(get("trigger_price"));
    if (!trigger || trigger->raw() == 0) return KiteInputError("Invalid `trigger_price`.");
  }
  json protection_json = 0;
  std::int64_t protection_raw = 0;
  if (const std::string mp = get("market_protection"); !mp.empty()) {
    if (mp == "-1") {
      protection_json = -1;
      protection_raw = config_.auto_market_protection_pct_raw;
    } else {
      auto p = ParsePrice(mp);
      if (!p || p->raw() > 100 * kFixedScale) return KiteInputError("Invalid `market_protection`.");
      protection_json = KitePriceJson(*p);
      protection_raw = p->raw();
    }
  }
  std::optional<std::string> tag;
  if (const std::string t = get("tag"); !t.empty()) {
    if (!ValidTag(t)) {
      return KiteInputError("Invalid `tag`: it must be alphanumeric and at most 20 characters.");
    }
    tag = t;
  }

  OrderInitialized init;
  init.trader_id = kernel_->config().trader_id;
  init.strategy_id = StrategyId("KITE");
  init.instrument_id = listing->instrument->id;
  init.client_order_id = ClientOrderId("KITE-PROBE");
  init.side = side == "BUY" ? OrderSide::kBuy : OrderSide::kSell;
  init.order_type = NacreType(type);
  init.quantity = Quantity::FromInt(*quantity);
  init.price = price;
  init.trigger_price = trigger;
  init.time_in_force = validity == "IOC" ? TimeInForce::kIoc : TimeInForce::kDay;
  init.market_protection_pct_raw = protection_raw;
  init.ts_event = now;
  init.ts_init = now;
  // The exchange's own rules, now: those Kite checks before the order exists answer 400.
  if (auto refused = exchange_->Precheck(Order(init), now)) {
    std::string error_type;
    if (auto text = KiteRefusalText(*refused, listing->instrument, &error_type)) {
      return KiteAnswer(400, KiteErrorBody(error_type, *text));
    }
  }

  KiteOrder o;
  o.order_id = NextOrderId();
  o.coid = ClientOrderId("K" + o.order_id);
  init.client_order_id = o.coid;
  o.init = init;
  o.listing = *listing;
  o.product = product;
  o.order_type = type;
  o.transaction_type = side;
  o.validity = validity;
  o.quantity = *quantity;
  o.disclosed = disclosed;
  o.price = price;
  o.trigger = trigger;
  o.market_protection = protection_json;
  o.protection_raw = protection_raw;
  o.placed = now;
  o.tag = tag;
  const std::string id = o.order_id;
  by_coid_[o.coid] = id;
  product_of_[id] = product;
  KiteOrder& stored = orders_.emplace(id, std::move(o)).first->second;
  static constexpr FaultAction kPlaceFaults[] = {
      FaultAction::kStuckOpenPending, FaultAction::kRejectRms, FaultAction::kPartialFills,
      FaultAction::kTradesLag};
  stored.placement_fault = Fault(stored, now, kPlaceFaults);
  AddRow(stored, now);  // PUT ORDER REQ RECEIVED
  Schedule(now + TransientDelay(), id, StepKind::kValidation);
  return KiteSuccess(json{{"order_id", id}});
}

net::HttpResponse Oms::Modify(const std::string& variety, const std::string& order_id,
                              const std::string& body, UnixNanos now) {
  if (auto refused = CheckVariety(variety)) return *refused;
  KiteOrder* o = Find(order_id);
  if (o == nullptr) return KiteInputError("Couldn't find that `order_id`.");
  if (IsTerminal(o->status)) {
    return KiteInputError(fmt::format("Order cannot be modified as it is {}.", TerminalWord(o->status)));
  }
  if (IsTransient(o->status)) {
    return KiteInputError("Order cannot be modified as it is being processed. Try later.");
  }
  const auto form = ParseForm(body);
  auto get = [&](const char* k) { return FormField(form, k); };
  if (const std::string t = get("order_type"); !t.empty() && t != o->order_type) {
    return KiteInputError("The emulator cannot change an order's `order_type`.");
  }
  ModifyAsk ask;
  if (const std::string q = get("quantity"); !q.empty()) {
    ask.quantity = ParseCount(q);
    if (!ask.quantity) return KiteInputError("Invalid `quantity`.");
  }
  if (o->order_type == "LIMIT" || o->order_type == "SL") {
    if (const std::string p = get("price"); !p.empty()) {
      ask.price = ParsePrice(p);
      if (!ask.price || ask.price->raw() == 0) return KiteInputError("Invalid `price`.");
    }
  }
  if (IsStopType(o->order_type)) {
    if (const std::string p = get("trigger_price"); !p.empty()) {
      ask.trigger = ParsePrice(p);
      if (!ask.trigger || ask.trigger->raw() == 0) return KiteInputError("Invalid `trigger_price`.");
    }
  }
  std::optional<Quantity> qty;
  if (ask.quantity) qty = Quantity::FromInt(*ask.quantity);
  if (auto refused = exchange_->PrecheckModify(o->coid, qty, ask.price, ask.trigger)) {
    std::string error_type;
    if (auto text = KiteRefusalText(*refused, o->listing.instrument, &error_type)) {
      return KiteAnswer(400, KiteErrorBody(error_type, *text));
    }
  }
  o->modify = ask;
  Transition(*o, KiteStatus::kModifyValidationPending, now);
  Schedule(now + TransientDelay(), o->order_id, StepKind::kModifyPending);
  return KiteSuccess(json{{"order_id", o->order_id}});
}

net::HttpResponse Oms::Cancel(const std::string& variety, const std::string& order_id,
                              UnixNanos now) {
  if (auto refused = CheckVariety(variety)) return *refused;
  KiteOrder* o = Find(order_id);
  if (o == nullptr) return KiteInputError("Couldn't find that `order_id`.");
  if (IsTerminal(o->status)) {
    return KiteInputError(fmt::format("Order cannot be cancelled as it is {}.", TerminalWord(o->status)));
  }
  if (o->stuck && o->status == KiteStatus::kOpenPending && !o->withdrawing) {
    // stuck_open_pending: the OMS withdraws the order the exchange never got.
    o->withdrawing = true;
    Schedule(now + TransientDelay(), o->order_id, StepKind::kWithdraw);
    return KiteSuccess(json{{"order_id", o->order_id}});
  }
  if (IsTransient(o->status)) {
    return KiteInputError("Order cannot be cancelled as it is being processed. Try later.");
  }
  static constexpr FaultAction kCancelFaults[] = {FaultAction::kCancelLosesRace};
  if (Fault(*o, now, kCancelFaults) && !o->cancel_held) {
    o->cancel_held = true;
    ++held_cancels_;
  }
  Transition(*o, KiteStatus::kCancelPending, now);
  Schedule(now + TransientDelay(), o->order_id, StepKind::kSendCancel);
  return KiteSuccess(json{{"order_id", o->order_id}});
}

net::HttpResponse Oms::Orders() const {
  const CivilDate today = IstDate(kernel_->clock().Now());
  json out = json::array();
  for (const auto& [id, o] : orders_) {
    if (Visible(o) && IstDate(o.placed) == today) out.push_back(OrderJson(o));
  }
  return KiteSuccess(out);
}

net::HttpResponse Oms::History(const std::string& order_id) const {
  auto it = orders_.find(order_id);
  if (it == orders_.end() || !Visible(it->second)) {
    return KiteInputError("Couldn't find that `order_id`.");
  }
  json out = json::array();
  for (const auto& [at, row] : it->second.history) out.push_back(row);
  return KiteSuccess(out);
}

net::HttpResponse Oms::Trades(const std::string* order_id) const {
  if (order_id != nullptr) {
    auto it = orders_.find(*order_id);
    if (it == orders_.end() || !Visible(it->second)) {
      return KiteInputError("Couldn't find that `order_id`.");
    }
  }
  const CivilDate today = IstDate(kernel_->clock().Now());
  json out = json::array();
  for (const KiteTrade& t : trades_) {
    if (order_id != nullptr && t.order_id != *order_id) continue;
    if (order_id == nullptr && IstDate(t.ts) != today) continue;  // the day's trades
    const KiteOrder& o = orders_.at(t.order_id);
    if (!Visible(o)) continue;
    if (o.placement_fault && o.placement_fault->action == FaultAction::kTradesLag &&
        kernel_->clock().Now() < t.ts + o.placement_fault->delay_ms * kNanosPerMilli) {
      continue;  // trades_lag: not in the trade book yet
    }
    out.push_back(TradeJson(o, t));
  }
  return KiteSuccess(out);
}

net::HttpResponse Oms::Positions() const {
  return KiteSuccess(json{{"net", PositionList(false)}, {"day", PositionList(true)}});
}

net::HttpResponse Oms::ConvertPosition(const std::string& body) {
  const auto form = ParseForm(body);
  auto get = [&](const char* k) { return FormField(form, k); };
  for (const char* k : {"exchange", "tradingsymbol", "transaction_type", "position_type",
                        "quantity", "old_product", "new_product"}) {
    if (get(k).empty()) return KiteInputError(std::string("Missing `") + k + "`.");
  }
  const Listing* listing = Lookup(get("exchange"), get("tradingsymbol"));
  if (listing == nullptr) return KiteInputError("Invalid `tradingsymbol`.");
  const std::string side = get("transaction_type");
  if (side != "BUY" && side != "SELL") return KiteInputError("Invalid `transaction_type`.");
  const std::string position_type = get("position_type");
  if (position_type != "day" && position_type != "overnight") {
    return KiteInputError("Invalid `position_type`.");
  }
  const std::string from = get("old_product");
  const std::string to = get("new_product");
  for (const std::string& p : {from, to}) {
    if (p != "NRML" && p != "MIS") return KiteInputError("Invalid product `" + p + "`.");
  }
  if (from == to) return KiteInputError("The old and new products are the same.");
  const auto quantity = ParseCount(get("quantity"));
  if (!quantity) return KiteInputError("Invalid `quantity`.");
  // The position's net quantity in the old product.
  std::int64_t net = 0;
  for (const KiteTrade& t : trades_) {
    const KiteOrder& o = orders_.at(t.order_id);
    if (o.listing.instrument != listing->instrument || product_of_.at(t.order_id) != from) continue;
    net += o.is_buy() ? t.quantity : -t.quantity;
  }
  if (net == 0 || (net > 0) != (side == "BUY")) {
    return KiteInputError("Couldn't find a matching position to convert.");
  }
  if (*quantity != (net > 0 ? net : -net)) {
    return KiteInputError("The emulator converts whole positions only: the quantity must be " +
                 std::to_string(net > 0 ? net : -net) + ".");
  }
  for (auto& [id, product] : product_of_) {
    const KiteOrder& o = orders_.at(id);
    if (o.listing.instrument == listing->instrument && product == from) product = to;
  }
  return KiteSuccess(true);
}

namespace {

struct MarginParam {
  const Instrument* instrument = nullptr;
  const KiteInstrumentRow* row = nullptr;
  OrderSide side = OrderSide::kBuy;
  std::string order_type;
  std::int64_t quantity = 0;
  std::optional<Price> price, trigger;
  std::string variety = "regular", product = "NRML", transaction_type;
};

}  // namespace

// The JSON array body of the margin and charges routes, or the error answer.
static std::variant<std::vector<MarginParam>, net::HttpResponse> ParseMarginBody(
    const std::string& body, const std::function<const Instrument*(const std::string&,
                                                                   const std::string&,
                                                                   const KiteInstrumentRow**)>&
                                 lookup,
    const char* price_field) {
  json arr = json::parse(body, nullptr, false);
  if (arr.is_discarded() || !arr.is_array()) return KiteInputError("The body must be a JSON array of orders.");
  if (arr.size() > kMaxRequestOrders) {
    return KiteInputError(fmt::format("Too many orders: at most {} in one request.", kMaxRequestOrders));
  }
  std::vector<MarginParam> out;
  for (const json& item : arr) {
    if (!item.is_object()) return KiteInputError("The body must be a JSON array of orders.");
    MarginParam p;
    auto text = [&](const char* k) {
      return item.contains(k) && item[k].is_string() ? item[k].get<std::string>() : std::string();
    };
    p.instrument = lookup(text("exchange"), text("tradingsymbol"), &p.row);
    if (p.instrument == nullptr) return KiteInputError("Invalid `tradingsymbol`.");
    p.transaction_type = text("transaction_type");
    if (p.transaction_type != "BUY" && p.transaction_type != "SELL") {
      return KiteInputError("Invalid `transaction_type`.");
    }
    p.side = p.transaction_type == "BUY" ? OrderSide::kBuy : OrderSide::kSell;
    p.order_type = text("order_type");
    if (p.order_type.empty()) p.order_type = "MARKET";
    if (!text("variety").empty()) p.variety = text("variety");
    if (!text("product").empty()) p.product = text("product");
    if (!item.contains("quantity") || !item["quantity"].is_number_integer() ||
        item["quantity"].get<std::int64_t>() <= 0 ||
        item["quantity"].get<std::int64_t>() > kMaxRequestUnits) {
      return KiteInputError("Invalid `quantity`.");
    }
    p.quantity = item["quantity"].get<std::int64_t>();
    for (auto [field, into] : {std::pair{price_field, &p.price}, std::pair{"trigger_price", &p.trigger}}) {
      if (!item.contains(field) || item[field].is_null()) continue;
      auto px = KitePrice(item[field], field, 2);
      if (!px.ok() || px->raw() < 0) return KiteInputError(std::string("Invalid `") + field + "`.");
      if (px->raw() > 0) *into = *px;
      const std::optional<Money> v = CheckedValue(*px, p.quantity, p.instrument->multiplier);
      if (!v || *v > kMaxRequestValue) {
        return KiteInputError(std::string("Invalid `") + field + "`: the order's value is out of range.");
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

namespace {

json MarginJson(const std::string& type, const std::string& symbol, const std::string& exchange,
                const MarginResult& m, const ChargeBreakdown& charges, int leverage) {
  return json{{"type", type},
              {"tradingsymbol", symbol},
              {"exchange", exchange},
              {"span", KiteMoneyJson(m.span)},
              {"exposure", KiteMoneyJson(m.exposure)},
              {"option_premium", KiteMoneyJson(m.premium)},
              {"additional", 0},
              {"bo", 0},
              {"cash", 0},
              {"var", 0},
              {"pnl", {{"realised", 0}, {"unrealised", 0}}},
              {"leverage", leverage},
              {"charges", ChargesJson(charges)},
              {"total", KiteMoneyJson(m.total)}};
}

MarginResult Plus(MarginResult a, const MarginResult& b) {
  a.span += b.span;
  a.exposure += b.exposure;
  a.premium += b.premium;
  a.total += b.total;
  return a;
}

}  // namespace

net::HttpResponse Oms::OrderMargins(const std::string& body, UnixNanos now) const {
  auto lookup = [this](const std::string& ex, const std::string& sym,
                       const KiteInstrumentRow** row) -> const Instrument* {
    const Listing* l = Lookup(ex, sym);
    if (l == nullptr) return nullptr;
    *row = l->row;
    return l->instrument;
  };
  auto parsed = ParseMarginBody(body, lookup, "price");
  if (auto* err = std::get_if<net::HttpResponse>(&parsed)) return *err;
  const auto& params = std::get<std::vector<MarginParam>>(parsed);
  json out = json::array();
  const CivilDate date = IstDate(now);
  for (std::size_t i = 0; i < params.size(); ++i) {
    const MarginParam& p = params[i];
    if (p.instrument->underlying.empty()) return KiteInputError("Invalid `tradingsymbol`.");
    MarginBook book(p.instrument->underlying, *this, book_config_, now);
    const std::optional<Price> leg_price = p.price ? p.price : p.trigger;
    book.AddWorking(MakeWorkingLeg(ClientOrderId(fmt::format("M{}", i)), *p.instrument, p.side,
                                   Quantity::FromInt(p.quantity), leg_price));
    auto m = book.Margin();
    if (!m.ok()) return KiteInputError("Margin cannot be computed: " + m.error());
    // Charges: the whole quantity filled at the limit (else the touch, else the mark).
    std::optional<Price> px = p.price;
    if (!px) {
      if (auto it = markets_.find(p.instrument->id); it != markets_.end() && it->second.quote) {
        const QuoteTick& q = *it->second.quote;
        px = p.side == OrderSide::kBuy ? q.ask_price : q.bid_price;
      }
    }
    if (!px) px = Mark(p.instrument->id);
    ChargeCalculator calc(*schedule_);
    std::optional<Money> value;
    if (px) {
      value = CheckedValue(*px, p.quantity, p.instrument->multiplier);
      if (!value) return KiteInputError("Invalid `quantity`: the order's value is out of range.");
    }
    const ChargeBreakdown charges = value ? calc.OnFill(date, p.side, *value, true)
                                          : ChargeBreakdown{};
    out.push_back(MarginJson("equity", p.row->tradingsymbol, p.row->exchange, *m, charges, 1));
  }
  return KiteSuccess(out);
}

net::HttpResponse Oms::BasketMargins(const std::string& body, const std::string& query,
                                     UnixNanos now) const {
  const auto q = ParseForm(query);
  std::string consider = FormField(q, "consider_positions");
  std::transform(consider.begin(), consider.end(), consider.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // Each order alone (the /margins/orders answer), then the basket in one book per underlying.
  const net::HttpResponse each = OrderMargins(body, now);
  if (each.status != 200) return each;
  const json orders = json::parse(each.body)["data"];
  auto lookup = [this](const std::string& ex, const std::string& sym,
                       const KiteInstrumentRow** row) -> const Instrument* {
    const Listing* l = Lookup(ex, sym);
    if (l == nullptr) return nullptr;
    *row = l->row;
    return l->instrument;
  };
  const auto params = std::get<std::vector<MarginParam>>(ParseMarginBody(body, lookup, "price"));
  MarginResult initial, final_margin;
  std::map<InstrumentId, std::unique_ptr<MarginBook>> books;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const MarginParam& p = params[i];
    MarginBook single(p.instrument->underlying, *this, book_config_, now);
    const std::optional<Price> leg_price = p.price ? p.price : p.trigger;
    const WorkingLeg leg = MakeWorkingLeg(ClientOrderId(fmt::format("B{}", i)), *p.instrument,
                                          p.side, Quantity::FromInt(p.quantity), leg_price);
    single.AddWorking(leg);
    auto m = single.Margin();
    if (!m.ok()) return KiteInputError("Margin cannot be computed: " + m.error());
    initial = Plus(initial, *m);
    auto& book = books[p.instrument->underlying];
    if (!book) {
      const MarginMarket& market = *this;
      book = std::make_unique<MarginBook>(p.instrument->underlying, market, book_config_, now);
    }
    book->AddWorking(leg);
  }
  for (auto& [u, book] : books) {
    MarginResult before;
    if (consider == "true") {
      for (const auto& [id, pos] : exchange_->positions()) {
        const Instrument* inst = FindInstrument(id);
        if (inst == nullptr || inst->underlying != u || pos.net_raw == 0) continue;
        book->AddPosition(id, pos.net_raw / kFixedScale * inst->multiplier);
      }
      auto b = book->Margin(MarginBook::Side::kNone);
      if (!b.ok()) return KiteInputError("Margin cannot be computed: " + b.error());
      before = *b;
    }
    auto after = book->Margin();
    if (!after.ok()) return KiteInputError("Margin cannot be computed: " + after.error());
    MarginResult delta = *after;
    delta.span -= before.span;
    delta.exposure -= before.exposure;
    delta.premium -= before.premium;
    delta.total -= before.total;
    final_margin = Plus(final_margin, delta);
  }
  // The basket's charges on one contract note.
  ChargeBreakdown total;
  {
    ChargeCalculator calc(*schedule_);
    const CivilDate date = IstDate(now);
    for (const MarginParam& p : params) {
      std::optional<Price> px = p.price;
      if (!px) {
        if (auto it = markets_.find(p.instrument->id); it != markets_.end() && it->second.quote) {
          px = p.side == OrderSide::kBuy ? it->second.quote->ask_price : it->second.quote->bid_price;
        }
      }
      if (!px) px = Mark(p.instrument->id);
      if (px) {
        const std::optional<Money> value = CheckedValue(*px, p.quantity, p.instrument->multiplier);
        if (!value) return KiteInputError("Invalid `quantity`: the order's value is out of range.");
        calc.OnFill(date, p.side, *value, true);
      }
    }
    total = calc.total();
  }
  return KiteSuccess(json{{"initial", MarginJson("", "", "", initial, ChargeBreakdown{}, 0)},
                      {"final", MarginJson("", "", "", final_margin, ChargeBreakdown{}, 0)},
                      {"orders", orders},
                      {"charges", ChargesJson(total)}});
}

net::HttpResponse Oms::ContractNote(const std::string& body, UnixNanos now) const {
  auto lookup = [this](const std::string& ex, const std::string& sym,
                       const KiteInstrumentRow** row) -> const Instrument* {
    const Listing* l = Lookup(ex, sym);
    if (l == nullptr) return nullptr;
    *row = l->row;
    return l->instrument;
  };
  auto parsed = ParseMarginBody(body, lookup, "average_price");
  if (auto* err = std::get_if<net::HttpResponse>(&parsed)) return *err;
  const auto& params = std::get<std::vector<MarginParam>>(parsed);
  ChargeCalculator calc(*schedule_);
  const CivilDate date = IstDate(now);
  json out = json::array();
  for (const MarginParam& p : params) {
    if (!p.price) return KiteInputError("Invalid `average_price`.");
    const std::optional<Money> value = CheckedValue(*p.price, p.quantity, p.instrument->multiplier);
    if (!value) return KiteInputError("Invalid `quantity`: the order's value is out of range.");
    const ChargeBreakdown c = calc.OnFill(date, p.side, *value, true);
    out.push_back(json{{"transaction_type", p.transaction_type},
                       {"tradingsymbol", p.row->tradingsymbol},
                       {"exchange", p.row->exchange},
                       {"variety", p.variety},
                       {"product", p.product},
                       {"order_type", p.order_type},
                       {"quantity", p.quantity},
                       {"price", KitePriceJson(*p.price)},
                       {"charges", ChargesJson(c)}});
  }
  return KiteSuccess(out);
}

}  // namespace nacre::kite_emu
