#include "adapters/zerodha/kite_codec.h"

#include <fmt/format.h>

#include <optional>
#include <utility>

#include "core/fixed.h"

namespace nacre {

namespace {

std::uint32_t Get32(std::string_view b, std::size_t at) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(b[at])) << 24) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 1])) << 16) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 2])) << 8) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 3]));
}

std::uint16_t Get16(std::string_view b, std::size_t at) {
  return static_cast<std::uint16_t>((static_cast<unsigned>(static_cast<unsigned char>(b[at])) << 8) |
                                    static_cast<unsigned char>(b[at + 1]));
}

void Put32(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>((v >> 24) & 0xFF));
  out.push_back(static_cast<char>((v >> 16) & 0xFF));
  out.push_back(static_cast<char>((v >> 8) & 0xFF));
  out.push_back(static_cast<char>(v & 0xFF));
}

void Put16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>((v >> 8) & 0xFF));
  out.push_back(static_cast<char>(v & 0xFF));
}

// Nacre raw units (1e9) per Kite integer unit of the token's segment.
std::int64_t UnitRaw(std::uint32_t token) {
  switch (token & 0xFF) {
    case 3:
      return kFixedScale / 10'000'000;  // CDS: / 1e7
    case 6:
      return kFixedScale / 10'000;  // BCD: / 1e4
    default:
      return kFixedScale / 100;
  }
}

bool IsIndex(std::uint32_t token) { return (token & 0xFF) == kKiteIndicesSegment; }

struct PriceCodec {
  std::uint32_t token;
  Price Decode(std::uint32_t v) const {
    return Price::Raw(static_cast<std::int64_t>(v) * UnitRaw(token), KitePricePrecision(token));
  }
  // The wire integer of `p`, or an error naming `field`.
  Result<std::uint32_t> Encode(const Price& p, std::string_view field) const {
    const std::int64_t unit = UnitRaw(token);
    if (p.raw() < 0 || p.raw() % unit != 0 || p.raw() / unit > 0xFFFFFFFFLL) {
      return MakeError(ErrorCode::kInvalidInput,
                       fmt::format("kite packet {}: {} {} is not a whole number of the segment's "
                                   "price units in 32 bits",
                                   token, field, p.ToString()));
    }
    return static_cast<std::uint32_t>(p.raw() / unit);
  }
};

}  // namespace

std::string_view ToString(KiteMode m) {
  switch (m) {
    case KiteMode::kLtp:
      return "ltp";
    case KiteMode::kQuote:
      return "quote";
    case KiteMode::kFull:
      return "full";
  }
  return "?";
}

int KitePricePrecision(std::uint32_t instrument_token) {
  switch (instrument_token & 0xFF) {
    case 3:
      return 7;
    case 6:
      return 4;
    default:
      return 2;
  }
}

Result<KiteTick> DecodeKitePacket(std::string_view b) {
  const std::size_t n = b.size();
  if (n != 8 && n != 28 && n != 32 && n != 44 && n != 184) {
    return MakeError(ErrorCode::kInvalidInput,
                     fmt::format("kite packet of {} bytes: expected 8, 28, 32, 44 or 184", n));
  }
  KiteTick t;
  t.instrument_token = Get32(b, 0);
  t.tradable = !IsIndex(t.instrument_token);
  const PriceCodec px{t.instrument_token};
  t.last_price = px.Decode(Get32(b, 4));
  if (n == 8) {
    t.mode = KiteMode::kLtp;
    return t;
  }
  if (n == 28 || n == 32) {
    // Index: high, low, open, close (in that order), change.
    t.mode = n == 28 ? KiteMode::kQuote : KiteMode::kFull;
    t.high = px.Decode(Get32(b, 8));
    t.low = px.Decode(Get32(b, 12));
    t.open = px.Decode(Get32(b, 16));
    t.close = px.Decode(Get32(b, 20));
    t.index_change_raw = static_cast<std::int32_t>(Get32(b, 24));
    if (n == 32) t.exchange_timestamp = Get32(b, 28);
    return t;
  }
  t.mode = n == 44 ? KiteMode::kQuote : KiteMode::kFull;
  t.last_quantity = Get32(b, 8);
  t.average_price = px.Decode(Get32(b, 12));
  t.volume = Get32(b, 16);
  t.buy_quantity = Get32(b, 20);
  t.sell_quantity = Get32(b, 24);
  t.open = px.Decode(Get32(b, 28));
  t.high = px.Decode(Get32(b, 32));
  t.low = px.Decode(Get32(b, 36));
  t.close = px.Decode(Get32(b, 40));
  if (n == 44) return t;
  t.last_trade_time = Get32(b, 44);
  t.oi = Get32(b, 48);
  t.oi_day_high = Get32(b, 52);
  t.oi_day_low = Get32(b, 56);
  t.exchange_timestamp = Get32(b, 60);
  for (std::size_t i = 0; i < 10; ++i) {
    const std::size_t at = 64 + 12 * i;
    KiteDepthLevel& d = i < 5 ? t.buy[i] : t.sell[i - 5];
    d.quantity = Get32(b, at);
    d.price = px.Decode(Get32(b, at + 4));
    d.orders = Get16(b, at + 8);
  }
  return t;
}

Result<std::string> EncodeKitePacket(const KiteTick& t) {
  const PriceCodec px{t.instrument_token};
  std::string out;
  out.reserve(184);
  // Appends the price's wire integer; an error when it has none.
  auto price = [&](const Price& p, std::string_view field) -> std::optional<Error> {
    auto v = px.Encode(p, field);
    if (!v.ok()) return std::move(v).take_error();
    Put32(out, *v);
    return std::nullopt;
  };
  Put32(out, t.instrument_token);
  if (auto e = price(t.last_price, "last_price")) return *e;
  if (t.mode == KiteMode::kLtp) return out;
  if (IsIndex(t.instrument_token)) {
    for (const auto& [p, name] : {std::pair{t.high, "high"}, std::pair{t.low, "low"},
                                  std::pair{t.open, "open"}, std::pair{t.close, "close"}}) {
      if (auto e = price(p, name)) return *e;
    }
    Put32(out, static_cast<std::uint32_t>(t.index_change_raw));
    if (t.mode == KiteMode::kFull) Put32(out, t.exchange_timestamp);
    return out;
  }
  Put32(out, t.last_quantity);
  if (auto e = price(t.average_price, "average_price")) return *e;
  Put32(out, t.volume);
  Put32(out, t.buy_quantity);
  Put32(out, t.sell_quantity);
  for (const auto& [p, name] : {std::pair{t.open, "open"}, std::pair{t.high, "high"},
                                std::pair{t.low, "low"}, std::pair{t.close, "close"}}) {
    if (auto e = price(p, name)) return *e;
  }
  if (t.mode == KiteMode::kQuote) return out;
  Put32(out, t.last_trade_time);
  Put32(out, t.oi);
  Put32(out, t.oi_day_high);
  Put32(out, t.oi_day_low);
  Put32(out, t.exchange_timestamp);
  for (std::size_t i = 0; i < 10; ++i) {
    const KiteDepthLevel& d = i < 5 ? t.buy[i] : t.sell[i - 5];
    Put32(out, d.quantity);
    if (auto e = price(d.price, i < 5 ? "depth.buy.price" : "depth.sell.price")) return *e;
    Put16(out, d.orders);
    Put16(out, 0);
  }
  return out;
}

Result<std::vector<KiteTick>> DecodeKiteFrame(std::string_view frame) {
  std::vector<KiteTick> out;
  if (frame.size() < 2) return out;  // heartbeat
  const std::uint16_t count = Get16(frame, 0);
  std::size_t at = 2;
  for (std::uint16_t i = 0; i < count; ++i) {
    if (at + 2 > frame.size()) {
      return MakeError(ErrorCode::kInvalidInput,
                       fmt::format("kite frame of {} bytes: packet {} of {}: no length at byte {}",
                                   frame.size(), i + 1, count, at));
    }
    const std::uint16_t len = Get16(frame, at);
    at += 2;
    if (at + len > frame.size()) {
      return MakeError(ErrorCode::kInvalidInput,
                       fmt::format("kite frame of {} bytes: packet {} of {} declares {} bytes at "
                                   "byte {}, past the end",
                                   frame.size(), i + 1, count, len, at));
    }
    auto tick = DecodeKitePacket(frame.substr(at, len));
    if (!tick.ok()) {
      return MakeError(ErrorCode::kInvalidInput,
                       fmt::format("kite frame: packet {} of {}: {}", i + 1, count, tick.error()));
    }
    out.push_back(*tick);
    at += len;
  }
  return out;
}

Result<std::string> EncodeKiteFrame(const std::vector<KiteTick>& ticks) {
  if (ticks.size() > 0xFFFF) {
    return MakeError(ErrorCode::kInvalidInput,
                     fmt::format("kite frame: {} packets, at most 65535", ticks.size()));
  }
  std::string out;
  Put16(out, static_cast<std::uint16_t>(ticks.size()));
  for (const KiteTick& t : ticks) {
    auto p = EncodeKitePacket(t);
    if (!p.ok()) return std::move(p).take_error();
    Put16(out, static_cast<std::uint16_t>(p->size()));
    out += *p;
  }
  return out;
}

std::string KiteHeartbeat() { return std::string(1, '\0'); }

}  // namespace nacre
