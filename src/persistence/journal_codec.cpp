#include "persistence/journal_codec.h"

#include <fmt/format.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <type_traits>
#include <utility>

namespace nacre {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kCommandNames[] = {"SubmitOrder", "SubmitOrderList", "ModifyOrder",
                                              "CancelOrder", "CancelAllOrders", "QueryOrder"};
static_assert(std::size(kCommandNames) == std::variant_size_v<TradingCommand>);

// One field list per type, walked by Writer (value to JSON) and Reader (JSON to value), so the
// two directions cannot disagree on names or order. Writer never modifies the value.

template <typename IO>
void Fields(IO& io, OrderEventHeader& h) {
  io("trader_id", h.trader_id);
  io("strategy_id", h.strategy_id);
  io("instrument_id", h.instrument_id);
  io("client_order_id", h.client_order_id);
  io("event_id", h.event_id);
  io("ts_event", h.ts_event);
  io("ts_init", h.ts_init);
}
template <typename IO>
void Fields(IO& io, CommandHeader& h) {
  io("trader_id", h.trader_id);
  io("strategy_id", h.strategy_id);
  io("client_id", h.client_id);
  io("command_id", h.command_id);
  io("ts_init", h.ts_init);
}
template <typename IO>
void Fields(IO& io, ChargeBreakdown& c) {
  io("brokerage", c.brokerage);
  io("stt", c.stt);
  io("exchange", c.exchange);
  io("sebi", c.sebi);
  io("ipft", c.ipft);
  io("stamp", c.stamp);
  io("gst", c.gst);
}
template <typename IO>
void Fields(IO& io, OrderInitialized& e) {
  Fields(io, static_cast<OrderEventHeader&>(e));
  io("side", e.side);
  io("order_type", e.order_type);
  io("quantity", e.quantity);
  io("price", e.price);
  io("trigger_price", e.trigger_price);
  io("time_in_force", e.time_in_force);
  io("expire_time", e.expire_time);
  io("reduce_only", e.reduce_only);
  io("market_protection_pct_raw", e.market_protection_pct_raw);
  io("order_list_id", e.order_list_id);
  io("contingency", e.contingency);
  io("linked_order_ids", e.linked_order_ids);
  io("parent_order_id", e.parent_order_id);
  io("tags", e.tags);
  io("venue_tag", e.venue_tag);
}
template <typename IO>
void Fields(IO& io, OrderDenied& e) {
  Fields(io, static_cast<OrderEventHeader&>(e));
  io("reason_code", e.reason_code);
  io("message", e.message);
}
template <typename IO>
void Fields(IO& io, OrderSubmitted& e) {
  Fields(io, static_cast<OrderEventHeader&>(e));
  io("account_id", e.account_id);
}
template <typename IO>
void Fields(IO& io, OrderAccepted& e) {
  Fields(io, static_cast<OrderEventHeader&>(e));
  io("venue_order_id", e.venue_order_id);
  io("account_id", e.account_id);
}
template <typename IO>
void Fields(IO& io, OrderRejected& e) {
  Fields(io, static_cast<OrderEventHeader&>(e));
  io("account_id", e.account_id);
  io("reason", e.reason);
}
// Canceled, Expired, Triggered, PendingUpdate, PendingCancel: venue order id and account.
template <typename IO, typename E>
requires std::is_same_v<E, OrderCanceled> || std::is_same_v<E, OrderExpired> ||
    std::is_same_v<E, OrderTriggered> || std::is_same_v<E, OrderPendingUpdate> ||
    std::is_same_v<E, OrderPendingCancel>
void Fields(IO& io, E& e) {
  Fields(io, static_cast<OrderEventHeader&>(e));
  io("venue_order_id", e.venue_order_id);
  io("account_id", e.account_id);
}
template <typename IO>
void Fields(IO& io, OrderModifyRejected& e) {
  Fields(io, static_cast<OrderEventHeader&>(e));
  io("venue_order_id", e.venue_order_id);
  io("account_id", e.account_id);
  io("reason", e.reason);
  io("quantity", e.quantity);
  io("price", e.price);
  io("trigger_price", e.trigger_price);
}
template <typename IO>
void Fields(IO& io, OrderCancelRejected& e) {
  Fields(io, static_cast<OrderEventHeader&>(e));
  io("venue_order_id", e.venue_order_id);
  io("account_id", e.account_id);
  io("reason", e.reason);
}
template <typename IO>
void Fields(IO& io, OrderUpdated& e) {
  Fields(io, static_cast<OrderEventHeader&>(e));
  io("venue_order_id", e.venue_order_id);
  io("account_id", e.account_id);
  io("quantity", e.quantity);
  io("price", e.price);
  io("trigger_price", e.trigger_price);
}
template <typename IO>
void Fields(IO& io, OrderFilled& e) {
  Fields(io, static_cast<OrderEventHeader&>(e));
  io("venue_order_id", e.venue_order_id);
  io("account_id", e.account_id);
  io("trade_id", e.trade_id);
  io("position_id", e.position_id);
  io("order_side", e.order_side);
  io("order_type", e.order_type);
  io("last_qty", e.last_qty);
  io("last_px", e.last_px);
  io("currency", e.currency);
  io("commission", e.commission);
  io("charges", e.charges);
  io("liquidity_side", e.liquidity_side);
}
template <typename IO>
void Fields(IO& io, SubmitOrder& c) {
  Fields(io, static_cast<CommandHeader&>(c));
  io("instrument_id", c.instrument_id);
  io("client_order_id", c.client_order_id);
  io("position_id", c.position_id);
}
template <typename IO>
void Fields(IO& io, SubmitOrderList& c) {
  Fields(io, static_cast<CommandHeader&>(c));
  io("instrument_id", c.instrument_id);
  io("order_list_id", c.order_list_id);
  io("client_order_ids", c.client_order_ids);
}
template <typename IO>
void Fields(IO& io, ModifyOrder& c) {
  Fields(io, static_cast<CommandHeader&>(c));
  io("instrument_id", c.instrument_id);
  io("client_order_id", c.client_order_id);
  io("venue_order_id", c.venue_order_id);
  io("quantity", c.quantity);
  io("price", c.price);
  io("trigger_price", c.trigger_price);
}
template <typename IO, typename C>
requires std::is_same_v<C, CancelOrder> || std::is_same_v<C, QueryOrder>
void Fields(IO& io, C& c) {
  Fields(io, static_cast<CommandHeader&>(c));
  io("instrument_id", c.instrument_id);
  io("client_order_id", c.client_order_id);
  io("venue_order_id", c.venue_order_id);
}
template <typename IO>
void Fields(IO& io, CancelAllOrders& c) {
  Fields(io, static_cast<CommandHeader&>(c));
  io("instrument_id", c.instrument_id);
  io("side", c.side);
}

template <typename T>
concept HasEnumNames = requires {
  EnumNames<T>::names;
};

class Writer {
 public:
  Json& out() { return out_; }

  template <typename Tag>
  void operator()(const char* key, Identifier<Tag>& v) {
    out_[key] = v.value();
  }
  void operator()(const char* key, InstrumentId& v) { out_[key] = v.value(); }
  void operator()(const char* key, TradeId& v) { out_[key] = std::string(v.value()); }
  void operator()(const char* key, Uuid4& v) { out_[key] = v.ToString(); }
  void operator()(const char* key, UnixNanos& v) { out_[key] = v.value; }
  void operator()(const char* key, std::string& v) { out_[key] = v; }
  void operator()(const char* key, bool& v) { out_[key] = v; }
  void operator()(const char* key, std::int64_t& v) { out_[key] = v; }
  void operator()(const char* key, Price& v) { out_[key] = Json::array({v.raw(), v.precision()}); }
  void operator()(const char* key, Quantity& v) {
    out_[key] = Json::array({v.raw(), v.precision()});
  }
  void operator()(const char* key, Money& v) {
    out_[key] = Json::array({v.raw(), std::string(v.currency().Code())});
  }
  void operator()(const char* key, Currency& v) { out_[key] = std::string(v.Code()); }
  void operator()(const char* key, std::vector<ClientOrderId>& v) {
    Json a = Json::array();
    for (const ClientOrderId& id : v) a.push_back(id.value());
    out_[key] = std::move(a);
  }
  void operator()(const char* key, ChargeBreakdown& v) {
    Writer w;
    Fields(w, v);
    out_[key] = std::move(w.out_);
  }
  template <typename T>
  void operator()(const char* key, std::optional<T>& v) {
    if (!v) {
      out_[key] = nullptr;
      return;
    }
    (*this)(key, *v);
  }
  template <typename E>
  requires HasEnumNames<E>
  void operator()(const char* key, E& v) { out_[key] = std::string(ToString(v)); }

 private:
  Json out_ = Json::object();
};

// Reads fields out of one JSON object; the first problem is kept and later fields are skipped.
class Reader {
 public:
  explicit Reader(const Json& in) : in_(in) {}
  const std::string& error() const { return error_; }
  // After the walk: an error for any field the type does not have.
  void CheckNoExtra() {
    if (!error_.empty() || used_ == in_.size()) return;
    for (const auto& [k, v] : in_.items()) {
      if (!seen_.contains(k)) {
        error_ = fmt::format("unknown field '{}'", k);
        return;
      }
    }
  }

  template <typename Tag>
  void operator()(const char* key, Identifier<Tag>& v) {
    if (const Json* j = Text(key)) v = Identifier<Tag>(j->get_ref<const std::string&>());
  }
  void operator()(const char* key, InstrumentId& v) {
    const Json* j = Text(key);
    if (j == nullptr) return;
    const std::string& s = j->get_ref<const std::string&>();
    if (s.empty()) {
      v = InstrumentId();
      return;
    }
    auto id = InstrumentId::Parse(s);
    if (!id) return Fail(key, id.error());
    v = *id;
  }
  void operator()(const char* key, TradeId& v) {
    const Json* j = Text(key);
    if (j == nullptr) return;
    const std::string& s = j->get_ref<const std::string&>();
    if (s.size() > 36) return Fail(key, "longer than 36 characters");
    v = TradeId(s);
  }
  void operator()(const char* key, Uuid4& v) {
    const Json* j = Text(key);
    if (j == nullptr) return;
    const std::string& s = j->get_ref<const std::string&>();
    Uuid4 u;
    std::size_t b = 0;
    bool good = s.size() == 36;
    for (std::size_t i = 0; good && i < s.size();) {
      if (i == 8 || i == 13 || i == 18 || i == 23) {
        good = s[i] == '-';
        ++i;
        continue;
      }
      const int hi = Hex(s[i]);
      const int lo = i + 1 < s.size() ? Hex(s[i + 1]) : -1;
      good = hi >= 0 && lo >= 0 && b < 16;
      if (good) u.bytes[b++] = static_cast<std::uint8_t>(hi * 16 + lo);
      i += 2;
    }
    if (!good || b != 16) return Fail(key, fmt::format("not a UUID: '{}'", s));
    v = u;
  }
  void operator()(const char* key, UnixNanos& v) {
    if (const Json* j = Int(key)) v = UnixNanos(j->get<std::int64_t>());
  }
  void operator()(const char* key, std::int64_t& v) {
    if (const Json* j = Int(key)) v = j->get<std::int64_t>();
  }
  void operator()(const char* key, std::string& v) {
    if (const Json* j = Text(key)) v = j->get<std::string>();
  }
  void operator()(const char* key, bool& v) {
    const Json* j = Field(key);
    if (j == nullptr) return;
    if (!j->is_boolean()) return Fail(key, "expected true or false");
    v = j->get<bool>();
  }
  void operator()(const char* key, Price& v) {
    std::int64_t raw = 0;
    int precision = 0;
    if (!RawPair(key, &raw, &precision)) return;
    auto p = Price::FromRaw(raw, precision);
    if (!p) return Fail(key, p.error());
    v = *p;
  }
  void operator()(const char* key, Quantity& v) {
    std::int64_t raw = 0;
    int precision = 0;
    if (!RawPair(key, &raw, &precision)) return;
    auto q = Quantity::FromRaw(raw, precision);
    if (!q) return Fail(key, q.error());
    v = *q;
  }
  void operator()(const char* key, Money& v) {
    const Json* j = Field(key);
    if (j == nullptr) return;
    if (!j->is_array() || j->size() != 2 || !IsInt((*j)[0]) || !(*j)[1].is_string()) {
      return Fail(key, "expected [raw, \"CURRENCY\"]");
    }
    auto c = Currency::FromCode((*j)[1].get_ref<const std::string&>());
    if (!c) return Fail(key, c.error());
    const auto raw = (*j)[0].get<std::int64_t>();
    if (!FitsPrecision(raw, c->precision)) {
      return Fail(key, fmt::format("raw {} has more than {} decimals", raw, c->precision));
    }
    v = Money::FromRaw(raw, *c);
  }
  void operator()(const char* key, Currency& v) {
    const Json* j = Text(key);
    if (j == nullptr) return;
    auto c = Currency::FromCode(j->get_ref<const std::string&>());
    if (!c) return Fail(key, c.error());
    v = *c;
  }
  void operator()(const char* key, std::vector<ClientOrderId>& v) {
    const Json* j = Field(key);
    if (j == nullptr) return;
    if (!j->is_array()) return Fail(key, "expected an array of strings");
    v.clear();
    for (const Json& e : *j) {
      if (!e.is_string()) return Fail(key, "expected an array of strings");
      v.emplace_back(e.get_ref<const std::string&>());
    }
  }
  void operator()(const char* key, ChargeBreakdown& v) {
    const Json* j = Field(key);
    if (j == nullptr) return;
    if (!j->is_object()) return Fail(key, "expected an object");
    Reader r(*j);
    Fields(r, v);
    r.CheckNoExtra();
    if (!r.error().empty()) Fail(key, r.error());
  }
  template <typename T>
  void operator()(const char* key, std::optional<T>& v) {
    const Json* j = Field(key);
    if (j == nullptr) return;
    if (j->is_null()) {
      v.reset();
      return;
    }
    --used_;  // the inner read counts the field again
    seen_.erase(key);
    T inner{};
    (*this)(key, inner);
    if (error_.empty()) v = inner;
  }
  template <typename E>
  requires HasEnumNames<E>
  void operator()(const char* key, E& v) {
    const Json* j = Text(key);
    if (j == nullptr) return;
    const auto e = ParseEnum<E>(j->get_ref<const std::string&>());
    if (!e) return Fail(key, fmt::format("unknown value '{}'", j->get_ref<const std::string&>()));
    v = *e;
  }

 private:
  static bool IsInt(const Json& j) { return j.is_number_integer(); }
  static int Hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  void Fail(const char* key, std::string_view why) {
    if (error_.empty()) error_ = fmt::format("field '{}': {}", key, why);
  }
  const Json* Field(const char* key) {
    if (!error_.empty()) return nullptr;
    const auto it = in_.find(key);
    if (it == in_.end()) {
      error_ = fmt::format("missing field '{}'", key);
      return nullptr;
    }
    ++used_;
    seen_.insert(key);
    return &*it;
  }
  const Json* Text(const char* key) {
    const Json* j = Field(key);
    if (j != nullptr && !j->is_string()) {
      Fail(key, "expected a string");
      return nullptr;
    }
    return j;
  }
  const Json* Int(const char* key) {
    const Json* j = Field(key);
    // Unsigned values above int64 are refused along with fractions and text.
    if (j != nullptr && !(j->is_number_integer() &&
                          (!j->is_number_unsigned() ||
                           j->get<std::uint64_t>() <= static_cast<std::uint64_t>(INT64_MAX)))) {
      Fail(key, "expected an integer");
      return nullptr;
    }
    return j;
  }
  bool RawPair(const char* key, std::int64_t* raw, int* precision) {
    const Json* j = Field(key);
    if (j == nullptr) return false;
    if (!j->is_array() || j->size() != 2 || !IsInt((*j)[0]) || !IsInt((*j)[1])) {
      Fail(key, "expected [raw, precision] integers");
      return false;
    }
    if ((*j)[0].is_number_unsigned() &&
        (*j)[0].get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
      Fail(key, "raw out of range");
      return false;
    }
    const auto p = (*j)[1].get<std::int64_t>();
    if (p < 0 || p > kMaxPrecision) {
      Fail(key, fmt::format("precision {} not in [0, {}]", p, kMaxPrecision));
      return false;
    }
    *raw = (*j)[0].get<std::int64_t>();
    *precision = static_cast<int>(p);
    return true;
  }

  const Json& in_;
  std::string error_;
  std::size_t used_ = 0;
  std::set<std::string, std::less<>> seen_;
};

template <typename T>
std::string Encode(const T& value) {
  Writer w;
  Fields(w, const_cast<T&>(value));  // Writer only reads
  return w.out().dump(-1, ' ', false, Json::error_handler_t::replace);
}

template <typename V, std::size_t... I>
Result<V> DecodeAlternative(std::size_t index, std::string_view kind, std::string_view body,
                            std::index_sequence<I...>) {
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return MakeError(ErrorCode::kCorruption, fmt::format("{}: not JSON", kind));
  if (!j.is_object()) {
    return MakeError(ErrorCode::kCorruption, fmt::format("{}: not a JSON object", kind));
  }
  std::optional<V> out;
  std::string error;
  auto one = [&]<std::size_t K>(std::integral_constant<std::size_t, K>) {
    if (index != K) return;
    std::variant_alternative_t<K, V> value{};
    Reader r(j);
    Fields(r, value);
    r.CheckNoExtra();
    error = r.error();
    if (error.empty()) out.emplace(std::in_place_index<K>, std::move(value));
  };
  (one(std::integral_constant<std::size_t, I>{}), ...);
  if (!out) return MakeError(ErrorCode::kCorruption, fmt::format("{}: {}", kind, error));
  return std::move(*out);
}

std::optional<std::size_t> EventIndex(std::string_view kind) {
  for (int i = 0; i < kOrderEventKindCount; ++i) {
    if (EventName(static_cast<OrderEventKind>(i)) == kind) return static_cast<std::size_t>(i);
  }
  return std::nullopt;
}
std::optional<std::size_t> CommandIndex(std::string_view kind) {
  for (std::size_t i = 0; i < std::size(kCommandNames); ++i) {
    if (kCommandNames[i] == kind) return i;
  }
  return std::nullopt;
}

}  // namespace

std::string_view CommandName(const TradingCommand& c) { return kCommandNames[c.index()]; }
bool IsOrderEventKind(std::string_view kind) { return EventIndex(kind).has_value(); }
bool IsCommandKind(std::string_view kind) { return CommandIndex(kind).has_value(); }

std::string EncodeOrderEvent(const OrderEvent& e) {
  return std::visit([](const auto& ev) { return Encode(ev); }, e);
}
std::string EncodeCommand(const TradingCommand& c) {
  return std::visit([](const auto& cmd) { return Encode(cmd); }, c);
}

Result<OrderEvent> DecodeOrderEvent(std::string_view kind, std::string_view body) {
  const auto index = EventIndex(kind);
  if (!index) {
    return MakeError(ErrorCode::kInvalidInput, fmt::format("'{}' is not an order event", kind));
  }
  return DecodeAlternative<OrderEvent>(*index, kind, body,
                                       std::make_index_sequence<std::variant_size_v<OrderEvent>>{});
}

Result<TradingCommand> DecodeCommand(std::string_view kind, std::string_view body) {
  const auto index = CommandIndex(kind);
  if (!index) {
    return MakeError(ErrorCode::kInvalidInput, fmt::format("'{}' is not a trading command", kind));
  }
  return DecodeAlternative<TradingCommand>(
      *index, kind, body, std::make_index_sequence<std::variant_size_v<TradingCommand>>{});
}

JournalEntry EventEntry(const OrderEvent& e, UnixNanos ts_wall) {
  JournalEntry out;
  out.ts_wall = ts_wall;
  out.kind = std::string(EventName(KindOf(e)));
  out.body = EncodeOrderEvent(e);
  std::visit(
      [&out](const auto& ev) {
        out.ts_kernel = ev.ts_init;
        out.client_order_id = ev.client_order_id.value();
        if constexpr (requires { ev.venue_order_id; })
          out.venue_order_id = ev.venue_order_id.value();
        if constexpr (requires { ev.trade_id; }) out.trade_id = std::string(ev.trade_id.value());
      },
      e);
  return out;
}

JournalEntry CommandEntry(const TradingCommand& c, UnixNanos ts_wall) {
  JournalEntry out;
  out.ts_wall = ts_wall;
  out.kind = std::string(CommandName(c));
  out.body = EncodeCommand(c);
  std::visit(
      [&out](const auto& cmd) {
        out.ts_kernel = cmd.ts_init;
        if constexpr (requires { cmd.client_order_id; }) {
          out.client_order_id = cmd.client_order_id.value();
        }
        if constexpr (requires { cmd.venue_order_id; }) {
          out.venue_order_id = cmd.venue_order_id.value();
        }
      },
      c);
  return out;
}

}  // namespace nacre
