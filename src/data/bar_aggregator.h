// TimeBarAggregator: builds INTERNAL time bars from quotes (BID/ASK/MID) or trades (LAST).
// Bar boundaries are origin + k * interval (origin defaults to 00:00 UTC; NSE users set
// 09:15 IST so hourly bars are 09:15-10:15...). A clock timer closes each bar at its
// boundary, so a bar's ts_init is its close time; intervals with no updates emit no bar.
#pragma once

#include <functional>
#include <optional>

#include "common/clock.h"
#include "model/data.h"

namespace nacre {

class TimeBarAggregator {
 public:
  using BarHandler = std::function<void(const Bar&)>;

  TimeBarAggregator(BarType bar_type, DurationNs origin_offset, BarHandler handler);

  const BarType& bar_type() const { return bar_type_; }
  void Update(Price px, Quantity size, UnixNanos ts);
  void HandleQuote(const QuoteTick& q);
  void HandleTrade(const TradeTick& t);
  // Closes the bar whose interval ends at `boundary` (called by the timer).
  void Close(UnixNanos boundary);
  // Drops the bar being built (engine reset).
  void Reset() { open_.reset(); }
  // First boundary strictly after `now`.
  UnixNanos NextBoundary(UnixNanos now) const;
  DurationNs interval() const { return interval_; }

 private:
  BarType bar_type_;
  DurationNs interval_;
  DurationNs origin_;
  BarHandler handler_;
  std::optional<Price> open_;
  Price high_;
  Price low_;
  Price close_;
  Quantity volume_;
};

}  // namespace nacre
