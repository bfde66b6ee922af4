// Domain enumerations and their canonical upper-case names (used in logs, CSV and config).
#pragma once

#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>

namespace nacre {

enum class OrderSide : std::uint8_t { kNoSide, kBuy, kSell };
enum class OrderType : std::uint8_t { kMarket, kLimit, kStopMarket, kStopLimit };
enum class TimeInForce : std::uint8_t { kDay, kIoc, kGtc, kGtd };
enum class OrderStatus : std::uint8_t {
  kInitialized,
  kDenied,
  kSubmitted,
  kAccepted,
  kRejected,
  kCanceled,
  kExpired,
  kTriggered,
  kPendingUpdate,
  kPendingCancel,
  kPartiallyFilled,
  kFilled,
};
inline constexpr int kOrderStatusCount = 12;
enum class ContingencyType : std::uint8_t { kNone, kOto, kOco, kOuo };
enum class PositionSide : std::uint8_t { kFlat, kLong, kShort };
enum class LiquiditySide : std::uint8_t { kNone, kMaker, kTaker };
enum class OptionKind : std::uint8_t { kCall, kPut };
enum class InstrumentClass : std::uint8_t { kIndex, kFuture, kOption };
enum class PriceType : std::uint8_t { kBid, kAsk, kMid, kLast };
enum class BarAggregation : std::uint8_t { kSecond, kMinute, kHour, kDay };
enum class AggregationSource : std::uint8_t { kExternal, kInternal };
enum class AccountType : std::uint8_t { kCash, kMargin };
enum class TradingState : std::uint8_t { kActive, kHalted, kReducing };
enum class OmsType : std::uint8_t { kNetting };

template <typename E>
struct EnumNames;  // specialised below: static constexpr std::array<std::string_view, N> names

#define NACRE_ENUM_NAMES(E, ...)                               \
  template <>                                                  \
  struct EnumNames<E> {                                        \
    static constexpr std::string_view names[] = {__VA_ARGS__}; \
  };

NACRE_ENUM_NAMES(OrderSide, std::string_view("NO_SIDE"), "BUY", "SELL")
NACRE_ENUM_NAMES(OrderType, std::string_view("MARKET"), "LIMIT", "STOP_MARKET", "STOP_LIMIT")
NACRE_ENUM_NAMES(TimeInForce, std::string_view("DAY"), "IOC", "GTC", "GTD")
NACRE_ENUM_NAMES(OrderStatus, std::string_view("INITIALIZED"), "DENIED", "SUBMITTED", "ACCEPTED",
                 "REJECTED", "CANCELED", "EXPIRED", "TRIGGERED", "PENDING_UPDATE", "PENDING_CANCEL",
                 "PARTIALLY_FILLED", "FILLED")
NACRE_ENUM_NAMES(ContingencyType, std::string_view("NO_CONTINGENCY"), "OTO", "OCO", "OUO")
NACRE_ENUM_NAMES(PositionSide, std::string_view("FLAT"), "LONG", "SHORT")
NACRE_ENUM_NAMES(LiquiditySide, std::string_view("NO_LIQUIDITY_SIDE"), "MAKER", "TAKER")
NACRE_ENUM_NAMES(OptionKind, std::string_view("CALL"), "PUT")
NACRE_ENUM_NAMES(InstrumentClass, std::string_view("INDEX"), "FUTURE", "OPTION")
NACRE_ENUM_NAMES(PriceType, std::string_view("BID"), "ASK", "MID", "LAST")
NACRE_ENUM_NAMES(BarAggregation, std::string_view("SECOND"), "MINUTE", "HOUR", "DAY")
NACRE_ENUM_NAMES(AggregationSource, std::string_view("EXTERNAL"), "INTERNAL")
NACRE_ENUM_NAMES(AccountType, std::string_view("CASH"), "MARGIN")
NACRE_ENUM_NAMES(TradingState, std::string_view("ACTIVE"), "HALTED", "REDUCING")
NACRE_ENUM_NAMES(OmsType, std::string_view("NETTING"))
#undef NACRE_ENUM_NAMES

template <typename E>
constexpr std::string_view ToString(E e) {
  return EnumNames<E>::names[static_cast<std::size_t>(e)];
}

template <typename E>
constexpr std::optional<E> ParseEnum(std::string_view s) {
  const auto& names = EnumNames<E>::names;
  for (std::size_t i = 0; i < std::size(names); ++i) {
    if (names[i] == s) return static_cast<E>(i);
  }
  return std::nullopt;
}

constexpr OrderSide Opposite(OrderSide s) {
  return s == OrderSide::kBuy ? OrderSide::kSell
                              : (s == OrderSide::kSell ? OrderSide::kBuy : OrderSide::kNoSide);
}

constexpr bool IsTerminal(OrderStatus s) {
  return s == OrderStatus::kDenied || s == OrderStatus::kRejected || s == OrderStatus::kCanceled ||
         s == OrderStatus::kExpired || s == OrderStatus::kFilled;
}

}  // namespace nacre
