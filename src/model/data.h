// Market data messages: QuoteTick, TradeTick, Bar and BarType. Small immutable values that
// flow through the data engine and the bus; `ts_init` is when the kernel saw the data (a
// bar's `ts_init` is its close time), and it orders every merged stream.
#pragma once

#include <cstring>
#include <string>
#include <string_view>
#include <variant>

#include "core/result.h"
#include "core/time.h"
#include "model/enums.h"
#include "model/identifiers.h"
#include "model/money.h"

namespace nacre {

// A venue trade id kept inline (up to 36 characters), so market trades never allocate.
class TradeId {
 public:
  TradeId() = default;
  explicit TradeId(std::string_view s) {
    len_ = static_cast<std::uint8_t>(s.size() < kMax ? s.size() : kMax);
    std::memcpy(buf_, s.data(), len_);
  }
  std::string_view value() const { return {buf_, len_}; }
  bool empty() const { return len_ == 0; }
  friend bool operator==(const TradeId& a, const TradeId& b) { return a.value() == b.value(); }
  friend auto operator<=>(const TradeId& a, const TradeId& b) { return a.value() <=> b.value(); }

 private:
  static constexpr std::size_t kMax = 36;
  char buf_[kMax] = {};
  std::uint8_t len_ = 0;
};

// The mid of two prices, one decimal finer than the finer of them (at most kMaxPrecision),
// rounded half away from zero.
inline Price MidPrice(Price bid, Price ask) {
  const int finer = bid.precision() > ask.precision() ? bid.precision() : ask.precision();
  const int p = finer + 1 > kMaxPrecision ? kMaxPrecision : finer + 1;
  const Int128 sum = static_cast<Int128>(bid.raw()) + ask.raw();
  return Price::Raw(RoundRaw(static_cast<std::int64_t>(DivRound(sum, 2)), p), p);
}

struct QuoteTick {
  InstrumentId instrument_id;
  Price bid_price;
  Price ask_price;
  Quantity bid_size;
  Quantity ask_size;
  UnixNanos ts_event;
  UnixNanos ts_init;

  // (bid + ask) / 2 at one more decimal than the finer of the two (at most 9), so the mid of
  // two prices is exact below 9 decimals; at 9 decimals it rounds half away from zero.
  Price Mid() const { return MidPrice(bid_price, ask_price); }
  Price Extract(PriceType t) const {
    return t == PriceType::kBid ? bid_price : (t == PriceType::kAsk ? ask_price : Mid());
  }
};

struct TradeTick {
  InstrumentId instrument_id;
  Price price;
  Quantity size;
  OrderSide aggressor_side = OrderSide::kNoSide;
  TradeId trade_id;
  UnixNanos ts_event;
  UnixNanos ts_init;
};

struct BarSpecification {
  int step = 1;
  BarAggregation aggregation = BarAggregation::kMinute;
  PriceType price_type = PriceType::kLast;

  DurationNs Interval() const;
  friend bool operator==(const BarSpecification&, const BarSpecification&) = default;
  friend auto operator<=>(const BarSpecification&, const BarSpecification&) = default;
};

// "{instrument_id}-{step}-{aggregation}-{price_type}-{INTERNAL|EXTERNAL}",
// e.g. "NIFTY 50.NSE-1-HOUR-LAST-EXTERNAL".
class BarType {
 public:
  BarType() = default;
  BarType(InstrumentId id, BarSpecification spec, AggregationSource source)
      : instrument_id_(id), spec_(spec), source_(source) {}
  // Rejects bad strings with the reason (unknown aggregation, step not dividing its unit...).
  static Result<BarType> Parse(std::string_view text);
  static Status ValidateSpec(const BarSpecification& spec);

  const InstrumentId& instrument_id() const { return instrument_id_; }
  const BarSpecification& spec() const { return spec_; }
  AggregationSource source() const { return source_; }
  std::string ToString() const;

  // Hash for unordered containers (the instrument id hashes by its interned pointer).
  std::size_t hash() const {
    std::size_t h = instrument_id_.hash();
    h = h * 31 + static_cast<std::size_t>(spec_.step);
    h = h * 31 + static_cast<std::size_t>(spec_.aggregation);
    h = h * 31 + static_cast<std::size_t>(spec_.price_type);
    return h * 31 + static_cast<std::size_t>(source_);
  }
  friend bool operator==(const BarType&, const BarType&) = default;
  friend auto operator<=>(const BarType&, const BarType&) = default;

 private:
  InstrumentId instrument_id_;
  BarSpecification spec_;
  AggregationSource source_ = AggregationSource::kExternal;
};

struct Bar {
  BarType bar_type;
  Price open;
  Price high;
  Price low;
  Price close;
  Quantity volume;
  UnixNanos ts_event;  // bar open time
  UnixNanos ts_init;   // bar close time
};

// Checks high >= max(open, close), low <= min(open, close), timestamps ordered.
Status ValidateBar(const Bar& bar);

// Any one market data item, as merged streams and the event loop's data lane carry it.
using MarketData = std::variant<Bar, QuoteTick, TradeTick>;

inline UnixNanos TsInitOf(const MarketData& d) {
  return std::visit([](const auto& x) { return x.ts_init; }, d);
}

}  // namespace nacre
