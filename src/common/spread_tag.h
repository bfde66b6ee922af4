// The tag a spread executor puts on each leg order ("spread=S-001-SP0001 leg=2 open"): the
// spread's id, the leg's number (1-based) and why the order was sent (open, close, unwind).
// One format, written by trading/spread_executor and read by the risk engine's per-spread
// limits ([risk.live] max_lots_per_spread, max_open_spreads), which sit below the trading
// module and know spreads only through their orders. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nacre {

enum class SpreadLegPurpose : std::uint8_t { kOpen, kClose, kUnwind };
std::string_view ToString(SpreadLegPurpose p);

struct SpreadLegTag {
  std::string spread_id;
  int leg = 0;  // 1-based
  SpreadLegPurpose purpose = SpreadLegPurpose::kOpen;
};

std::string FormatSpreadLegTag(const SpreadLegTag& tag);
// The tag in an order's tags, or empty when they are not a spread leg's.
std::optional<SpreadLegTag> ParseSpreadLegTag(std::string_view tags);

}  // namespace nacre
