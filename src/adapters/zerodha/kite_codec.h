// The Kite Connect ticker's binary market data (KITE_CONNECT.md §4), encoded and decoded
// exactly: big-endian; a frame is uint16 N then N × (uint16 length + packet); packets of 8
// (ltp), 28 / 32 (index quote / full), 44 (quote) and 184 (full, with 5 + 5 depth levels)
// bytes. Prices are 32-bit integers divided by 100, or 10,000,000 for currency (segment 3) and
// 10,000 for BSE currency (segment 6), the segment being token & 0xFF; here they stay exact
// as fixed-point Prices (precision 2, 7 or 4). Integers are read as unsigned 32-bit (as the
// Python and Go clients do). A 1-byte frame is a heartbeat and carries no packets.
// Used by the Kite emulator (encode) and the Zerodha data client (decode). Pure; any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "model/money.h"

namespace nacre {

enum class KiteMode : std::uint8_t { kLtp, kQuote, kFull };
std::string_view ToString(KiteMode m);

inline constexpr std::uint32_t kKiteIndicesSegment = 9;

struct KiteDepthLevel {
  std::uint32_t quantity = 0;
  Price price;
  std::uint16_t orders = 0;
  friend bool operator==(const KiteDepthLevel&, const KiteDepthLevel&) = default;
};

struct KiteTick {
  KiteMode mode = KiteMode::kQuote;
  std::uint32_t instrument_token = 0;
  bool tradable = true;  // false for indices (segment 9)
  Price last_price;
  // Quote and full (non-index).
  std::uint32_t last_quantity = 0;
  Price average_price;
  std::uint32_t volume = 0;
  std::uint32_t buy_quantity = 0;
  std::uint32_t sell_quantity = 0;
  // All but ltp.
  Price open, high, low, close;
  // Index packets carry the price change as sent (clients recompute it); kept for round trips.
  std::int32_t index_change_raw = 0;
  // Full: epoch seconds (0 when absent), open interest, depth.
  std::uint32_t last_trade_time = 0;
  std::uint32_t oi = 0, oi_day_high = 0, oi_day_low = 0;
  std::uint32_t exchange_timestamp = 0;
  std::array<KiteDepthLevel, 5> buy{};
  std::array<KiteDepthLevel, 5> sell{};
  friend bool operator==(const KiteTick&, const KiteTick&) = default;
};

// The price precision of a token's segment: 7 (CDS), 4 (BCD), else 2.
int KitePricePrecision(std::uint32_t instrument_token);

// One packet. Its length says the mode: 8 ltp, 28/32 index quote/full, 44 quote, 184 full;
// any other length is an error naming it.
Result<KiteTick> DecodeKitePacket(std::string_view packet);
// The packet for `tick` in its mode (index tokens give 28 or 32 bytes). A price that is not a
// whole number of the segment's units, or does not fit 32 bits, is an error.
Result<std::string> EncodeKitePacket(const KiteTick& tick);

// A whole binary frame: every packet, or nothing for a heartbeat (< 2 bytes). A frame whose
// declared lengths run past its end is an error naming the packet.
Result<std::vector<KiteTick>> DecodeKiteFrame(std::string_view frame);
Result<std::string> EncodeKiteFrame(const std::vector<KiteTick>& ticks);
// The 1-byte heartbeat frame.
std::string KiteHeartbeat();

}  // namespace nacre
