// MarketHours: whether an instrument's market is open at an instant. The risk engine asks
// it before every submission; the NSE calendar (src/nse) implements it for NSE/NFO.
#pragma once

#include <optional>
#include <string>

#include "core/time.h"
#include "model/instrument.h"

namespace nacre {

class MarketHours {
 public:
  virtual ~MarketHours() = default;
  // Empty when open; otherwise why it is closed ("holiday", "outside 09:15-15:30 IST").
  virtual std::string ClosedReason(const Instrument& instrument, UnixNanos t) const = 0;
  // When trading ends on the trading day of `t` (the close of its last session segment; on a
  // special or shortened day that session's close), or nullopt when that day does not trade or
  // the hours do not say. DAY orders expire then.
  virtual std::optional<UnixNanos> DayClose(const Instrument& /*instrument*/,
                                            UnixNanos /*t*/) const {
    return std::nullopt;
  }
};

// Where the kernel keeps its MarketHours (set after construction, e.g. by a backtest config),
// so actors and strategies read the current one through their context.
struct MarketHoursSlot {
  const MarketHours* hours = nullptr;
};

}  // namespace nacre
