#include "adapters/zerodha/kite_models.h"

#include <fmt/format.h>

#include <cmath>

#include "adapters/zerodha/kite_json.h"
#include "core/fixed.h"

namespace nacre {
namespace {

using nlohmann::json;

// The precision Kite's computed averages are kept at (VWAPs of several trades).
constexpr int kAveragePrecision = 6;

Status Bad(std::string_view what, std::string_view field, std::string_view why) {
  return MakeError(ErrorCode::kInvalidInput, fmt::format("{}: field '{}' {}", what, field, why));
}

const json* Field(const json& o, const char* name) {
  const auto it = o.find(name);
  return it == o.end() ? nullptr : &*it;
}

// Required string (numbers accepted as text: some ids come back as numbers in old payloads).
Status Str(const json& o, const char* name, std::string_view what, std::string& out,
           bool nullable = false) {
  const json* v = Field(o, name);
  if (v == nullptr || v->is_null()) {
    if (nullable) {
      out.clear();
      return Status::Ok();
    }
    return Bad(what, name, v == nullptr ? "is missing" : "is null");
  }
  if (v->is_string()) {
    out = v->get<std::string>();
  } else if (v->is_number_integer() || v->is_number_unsigned()) {
    out = v->dump();
  } else {
    return Bad(what, name, fmt::format("must be a string, got {}", v->dump()));
  }
  return Status::Ok();
}

Status Qty(const json& o, const char* name, std::string_view what, std::int64_t& out,
           bool optional = false) {
  const json* v = Field(o, name);
  if (v == nullptr || v->is_null()) {
    if (optional) {
      out = 0;
      return Status::Ok();
    }
    return Bad(what, name, "is missing");
  }
  auto q = KiteQuantity(*v, fmt::format("{}: {}", what, name));
  if (!q) return Status(Error{q.error(), q.code()});
  out = *q;
  return Status::Ok();
}

Status Px(const json& o, const char* name, std::string_view what, int precision, Price& out,
          bool rounded = false) {
  const json* v = Field(o, name);
  if (v == nullptr || v->is_null()) {
    out = Price::Raw(0, precision);
    return Status::Ok();
  }
  if (rounded && v->is_number_float()) {
    const double d = v->get<double>();
    if (!std::isfinite(d) || d < 0) return Bad(what, name, fmt::format("bad price {}", v->dump()));
    const double units = std::round(d * std::pow(10.0, kAveragePrecision));
    out = Price::Raw(static_cast<std::int64_t>(units) * (kFixedScale / Pow10(kAveragePrecision)),
                     kAveragePrecision);
    return Status::Ok();
  }
  auto p = KitePrice(*v, fmt::format("{}: {}", what, name), precision);
  if (!p) return Status(Error{p.error(), p.code()});
  out = *p;
  return Status::Ok();
}

Status Time(const json& o, const char* name, std::string_view what, UnixNanos& out,
            UnixNanos date_of = UnixNanos()) {
  const json* v = Field(o, name);
  if (v == nullptr || v->is_null()) {
    out = UnixNanos();
    return Status::Ok();
  }
  if (!v->is_string()) return Bad(what, name, fmt::format("must be a string, got {}", v->dump()));
  const std::string text = v->get<std::string>();
  if (text.empty()) {
    out = UnixNanos();
    return Status::Ok();
  }
  // Trades carry a time-only order_timestamp ("09:16:39"): on the date of `date_of`.
  if (text.size() == 8 && text[2] == ':' && !date_of.is_zero()) {
    const std::string day = KiteTimeText(date_of).substr(0, 10);
    auto t = ParseKiteTime(day + " " + text);
    if (!t) return Bad(what, name, t.error());
    out = *t;
    return Status::Ok();
  }
  auto t = ParseKiteTime(text);
  if (!t) return Bad(what, name, t.error());
  out = *t;
  return Status::Ok();
}

Status Amount(const json& o, const char* name, std::string_view what, Money& out) {
  const json* v = Field(o, name);
  if (v == nullptr || v->is_null()) {
    out = Money::Zero();
    return Status::Ok();
  }
  auto m = KiteAmount(*v, fmt::format("{}: {}", what, name));
  if (!m) return Status(Error{m.error(), m.code()});
  out = *m;
  return Status::Ok();
}

// Currency derivatives are priced to 4 decimals (KITE_CONNECT.md §4's divisors).
int PrecisionOf(std::string_view exchange, int otherwise) {
  return exchange == "CDS" || exchange == "BCD" ? 4 : otherwise;
}

#define NACRE_TRY(expr)                     \
  do {                                      \
    if (Status s_ = (expr); !s_) return s_; \
  } while (0)

Status FillOrder(const json& o, int precision, KiteOrder& k) {
  if (!o.is_object()) return MakeError(ErrorCode::kInvalidInput, "kite order: not an object");
  std::string what = "kite order";
  NACRE_TRY(Str(o, "order_id", what, k.order_id));
  what = fmt::format("kite order {}", k.order_id);
  NACRE_TRY(Str(o, "exchange_order_id", what, k.exchange_order_id, true));
  NACRE_TRY(Str(o, "parent_order_id", what, k.parent_order_id, true));
  NACRE_TRY(Str(o, "status", what, k.status_text));
  auto st = ParseKiteStatus(k.status_text);
  if (!st) return Bad(what, "status", st.error());
  k.status = *st;
  NACRE_TRY(Str(o, "status_message", what, k.status_message, true));
  NACRE_TRY(Str(o, "tag", what, k.tag, true));
  NACRE_TRY(Str(o, "variety", what, k.variety, true));
  NACRE_TRY(Str(o, "exchange", what, k.exchange));
  NACRE_TRY(Str(o, "tradingsymbol", what, k.tradingsymbol));
  std::int64_t token = 0;
  NACRE_TRY(Qty(o, "instrument_token", what, token, true));
  if (token < 0 || token > 0xFFFFFFFFLL) return Bad(what, "instrument_token", "out of range");
  k.instrument_token = static_cast<std::uint32_t>(token);
  NACRE_TRY(Str(o, "order_type", what, k.order_type));
  NACRE_TRY(Str(o, "transaction_type", what, k.transaction_type));
  NACRE_TRY(Str(o, "validity", what, k.validity, true));
  NACRE_TRY(Str(o, "product", what, k.product, true));
  NACRE_TRY(Qty(o, "quantity", what, k.quantity));
  NACRE_TRY(Qty(o, "filled_quantity", what, k.filled_quantity, true));
  NACRE_TRY(Qty(o, "pending_quantity", what, k.pending_quantity, true));
  NACRE_TRY(Qty(o, "cancelled_quantity", what, k.cancelled_quantity, true));
  precision = PrecisionOf(k.exchange, precision);
  NACRE_TRY(Px(o, "price", what, precision, k.price));
  NACRE_TRY(Px(o, "trigger_price", what, precision, k.trigger_price));
  NACRE_TRY(Px(o, "average_price", what, precision, k.average_price, /*rounded=*/true));
  NACRE_TRY(Time(o, "order_timestamp", what, k.order_timestamp));
  NACRE_TRY(Time(o, "exchange_update_timestamp", what, k.exchange_update_timestamp));
  NACRE_TRY(Time(o, "exchange_timestamp", what, k.exchange_timestamp));
  if (k.transaction_type != "BUY" && k.transaction_type != "SELL") {
    return Bad(what, "transaction_type", fmt::format("'{}' is neither BUY nor SELL", k.transaction_type));
  }
  if (k.filled_quantity > k.quantity) {
    return Bad(what, "filled_quantity",
               fmt::format("{} exceeds the order's quantity {}", k.filled_quantity, k.quantity));
  }
  return Status::Ok();
}

}  // namespace

Result<std::int64_t> KiteQuantity(const json& v, std::string_view field) {
  if (v.is_number_unsigned()) {
    if (v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX / kFixedScale)) {
      return MakeError(ErrorCode::kInvalidInput, fmt::format("{}: {} out of range", field, v.dump()));
    }
    return static_cast<std::int64_t>(v.get<std::uint64_t>());
  }
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 1e12) {
      return static_cast<std::int64_t>(d);
    }
  }
  return MakeError(ErrorCode::kInvalidInput,
                   fmt::format("{}: expected a whole number, got {}", field, v.dump()));
}

Result<Money> KiteAmount(const json& v, std::string_view field) {
  if (v.is_number_integer() || v.is_number_unsigned()) {
    if (std::llabs(v.get<std::int64_t>()) > 9'000'000'000LL) {
      return MakeError(ErrorCode::kInvalidInput, fmt::format("{}: {} out of range", field, v.dump()));
    }
    return Money::FromInt(v.get<std::int64_t>());
  }
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && std::fabs(d) < 9e9) {
      // Kite's amounts are rupees as floats (99725.05000000002): rounded to the paisa here, the
      // one place such a float becomes money (it is reported, never booked).
      const auto paise = static_cast<std::int64_t>(std::llround(d * 100.0));
      return Money::FromRaw(paise * (kFixedScale / 100));
    }
  }
  return MakeError(ErrorCode::kInvalidInput,
                   fmt::format("{}: expected an amount, got {}", field, v.dump()));
}

Result<KiteOrder> ParseKiteOrder(const json& o, int precision) {
  KiteOrder k;
  if (Status s = FillOrder(o, precision, k); !s) return Error{s.error(), s.code()};
  return k;
}

Result<std::vector<KiteOrder>> ParseKiteOrders(const json& data, int precision) {
  if (!data.is_array()) {
    return MakeError(ErrorCode::kInvalidInput, "kite orders: expected a list");
  }
  std::vector<KiteOrder> out;
  out.reserve(data.size());
  for (const json& o : data) {
    auto k = ParseKiteOrder(o, precision);
    if (!k) return Error{k.error(), k.code()};
    out.push_back(std::move(*k));
  }
  return out;
}

Result<KiteTrade> ParseKiteTrade(const json& t, int precision) {
  KiteTrade k;
  if (!t.is_object()) return MakeError(ErrorCode::kInvalidInput, "kite trade: not an object");
  auto run = [&]() -> Status {
    std::string what = "kite trade";
    NACRE_TRY(Str(t, "trade_id", what, k.trade_id));
    what = fmt::format("kite trade {}", k.trade_id);
    NACRE_TRY(Str(t, "order_id", what, k.order_id));
    NACRE_TRY(Str(t, "exchange_order_id", what, k.exchange_order_id, true));
    NACRE_TRY(Str(t, "exchange", what, k.exchange));
    NACRE_TRY(Str(t, "tradingsymbol", what, k.tradingsymbol));
    std::int64_t token = 0;
    NACRE_TRY(Qty(t, "instrument_token", what, token, true));
    k.instrument_token = static_cast<std::uint32_t>(token);
    NACRE_TRY(Str(t, "product", what, k.product, true));
    NACRE_TRY(Str(t, "transaction_type", what, k.transaction_type));
    NACRE_TRY(Qty(t, "quantity", what, k.quantity));
    NACRE_TRY(Px(t, "average_price", what, PrecisionOf(k.exchange, precision), k.average_price));
    NACRE_TRY(Time(t, "fill_timestamp", what, k.fill_timestamp));
    NACRE_TRY(Time(t, "exchange_timestamp", what, k.exchange_timestamp));
    if (k.quantity <= 0) return Bad(what, "quantity", fmt::format("{} is not positive", k.quantity));
    return Status::Ok();
  };
  if (Status s = run(); !s) return Error{s.error(), s.code()};
  return k;
}

Result<std::vector<KiteTrade>> ParseKiteTrades(const json& data, int precision) {
  if (!data.is_array()) return MakeError(ErrorCode::kInvalidInput, "kite trades: expected a list");
  std::vector<KiteTrade> out;
  out.reserve(data.size());
  for (const json& t : data) {
    auto k = ParseKiteTrade(t, precision);
    if (!k) return Error{k.error(), k.code()};
    out.push_back(std::move(*k));
  }
  return out;
}

Result<std::vector<KitePosition>> ParseKiteNetPositions(const json& data) {
  const json* net = data.is_object() ? Field(data, "net") : nullptr;
  if (net == nullptr || !net->is_array()) {
    return MakeError(ErrorCode::kInvalidInput, "kite positions: expected {\"net\": [...]}");
  }
  std::vector<KitePosition> out;
  for (const json& p : *net) {
    KitePosition k;
    auto run = [&]() -> Status {
      if (!p.is_object()) return MakeError(ErrorCode::kInvalidInput, "kite position: not an object");
      std::string what = "kite position";
      NACRE_TRY(Str(p, "tradingsymbol", what, k.tradingsymbol));
      what = fmt::format("kite position {}", k.tradingsymbol);
      NACRE_TRY(Str(p, "exchange", what, k.exchange));
      std::int64_t token = 0;
      NACRE_TRY(Qty(p, "instrument_token", what, token, true));
      k.instrument_token = static_cast<std::uint32_t>(token);
      NACRE_TRY(Str(p, "product", what, k.product));
      NACRE_TRY(Qty(p, "quantity", what, k.quantity));
      NACRE_TRY(Qty(p, "overnight_quantity", what, k.overnight_quantity, true));
      NACRE_TRY(Qty(p, "multiplier", what, k.multiplier, true));
      NACRE_TRY(Px(p, "average_price", what, 2, k.average_price, /*rounded=*/true));
      NACRE_TRY(Px(p, "last_price", what, 2, k.last_price, /*rounded=*/true));
      NACRE_TRY(Amount(p, "pnl", what, k.pnl));
      NACRE_TRY(Amount(p, "realised", what, k.realised));
      NACRE_TRY(Amount(p, "unrealised", what, k.unrealised));
      NACRE_TRY(Qty(p, "buy_quantity", what, k.buy_quantity, true));
      NACRE_TRY(Qty(p, "sell_quantity", what, k.sell_quantity, true));
      return Status::Ok();
    };
    if (Status s = run(); !s) return Error{s.error(), s.code()};
    out.push_back(std::move(k));
  }
  return out;
}

Result<std::map<std::string, KiteQuoteTop>> ParseKiteQuoteTops(const json& data, int precision) {
  if (!data.is_object()) {
    return MakeError(ErrorCode::kInvalidInput, "kite quote: expected an object of instruments");
  }
  std::map<std::string, KiteQuoteTop> out;
  for (const auto& [key, q] : data.items()) {
    const std::string what = "kite quote " + key;
    KiteQuoteTop top;
    auto run = [&]() -> Status {
      if (!q.is_object()) return Bad(what, "", "expected an object");
      std::int64_t token = 0;
      NACRE_TRY(Qty(q, "instrument_token", what, token));
      top.instrument_token = static_cast<std::uint32_t>(token);
      NACRE_TRY(Time(q, "timestamp", what, top.timestamp));
      const json* depth = Field(q, "depth");
      if (depth == nullptr || !depth->is_object()) return Bad(what, "depth", "is missing");
      auto level0 = [&](const char* side, Price& px, std::int64_t& qty) -> Status {
        const json* levels = Field(*depth, side);
        if (levels == nullptr || !levels->is_array()) {
          return Bad(what, fmt::format("depth.{}", side), "must be a list");
        }
        px = Price::Raw(0, precision);
        qty = 0;
        if (levels->empty()) return Status::Ok();
        const std::string at = fmt::format("{} depth.{}[0]", what, side);
        NACRE_TRY(Px((*levels)[0], "price", at, precision, px));
        NACRE_TRY(Qty((*levels)[0], "quantity", at, qty, true));
        if (qty == 0) px = Price::Raw(0, precision);  // an empty level
        return Status::Ok();
      };
      NACRE_TRY(level0("buy", top.bid, top.bid_quantity));
      NACRE_TRY(level0("sell", top.ask, top.ask_quantity));
      return Status::Ok();
    };
    if (Status s = run(); !s) return Error{s.error(), s.code()};
    out.emplace(key, top);
  }
  return out;
}

Result<KiteMarginSegment> ParseKiteMarginSegment(const json& data, std::string_view segment) {
  const json* seg = &data;
  if (data.is_object() && data.contains(std::string(segment))) seg = &data[std::string(segment)];
  const std::string what = fmt::format("kite margins ({})", segment);
  if (!seg->is_object() || !seg->contains("available") || !seg->contains("utilised")) {
    return MakeError(ErrorCode::kInvalidInput,
                     fmt::format("{}: expected an object with 'available' and 'utilised'", what));
  }
  KiteMarginSegment m;
  auto run = [&]() -> Status {
    const json* en = Field(*seg, "enabled");
    m.enabled = en != nullptr && en->is_boolean() && en->get<bool>();
    NACRE_TRY(Amount(*seg, "net", what, m.net));
    const json& a = (*seg)["available"];
    const json& u = (*seg)["utilised"];
    NACRE_TRY(Amount(a, "cash", what + " available", m.cash));
    NACRE_TRY(Amount(a, "opening_balance", what + " available", m.opening_balance));
    NACRE_TRY(Amount(a, "live_balance", what + " available", m.live_balance));
    NACRE_TRY(Amount(a, "collateral", what + " available", m.collateral));
    NACRE_TRY(Amount(u, "span", what + " utilised", m.span));
    NACRE_TRY(Amount(u, "exposure", what + " utilised", m.exposure));
    NACRE_TRY(Amount(u, "option_premium", what + " utilised", m.option_premium));
    NACRE_TRY(Amount(u, "m2m_realised", what + " utilised", m.m2m_realised));
    NACRE_TRY(Amount(u, "m2m_unrealised", what + " utilised", m.m2m_unrealised));
    NACRE_TRY(Amount(u, "debits", what + " utilised", m.debits));
    return Status::Ok();
  };
  if (Status s = run(); !s) return Error{s.error(), s.code()};
  return m;
}

#undef NACRE_TRY

}  // namespace nacre
