#include "data/bar_aggregator.h"

namespace nacre {

TimeBarAggregator::TimeBarAggregator(BarType bar_type, DurationNs origin_offset, BarHandler handler)
    : bar_type_(bar_type),
      interval_(bar_type.spec().Interval()),
      origin_(origin_offset),
      handler_(std::move(handler)) {}

UnixNanos TimeBarAggregator::NextBoundary(UnixNanos now) const {
  const std::int64_t rel = now.value - origin_;
  std::int64_t k = rel / interval_;
  if (rel < 0 && rel % interval_ != 0) --k;
  return UnixNanos(origin_ + (k + 1) * interval_);
}

void TimeBarAggregator::Update(Price px, Quantity size, UnixNanos /*ts*/) {
  if (!open_) {
    open_ = px;
    high_ = px;
    low_ = px;
    volume_ = size;
  } else {
    if (px > high_) high_ = px;
    if (px < low_) low_ = px;
    volume_ += size;
  }
  close_ = px;
}

void TimeBarAggregator::HandleQuote(const QuoteTick& q) {
  const PriceType pt = bar_type_.spec().price_type;
  Quantity size =
      pt == PriceType::kBid
          ? q.bid_size
          : (pt == PriceType::kAsk ? q.ask_size : Quantity::Zero(q.bid_size.precision()));
  Update(q.Extract(pt), size, q.ts_init);
}

void TimeBarAggregator::HandleTrade(const TradeTick& t) { Update(t.price, t.size, t.ts_init); }

void TimeBarAggregator::Close(UnixNanos boundary) {
  if (!open_) return;
  Bar bar{bar_type_, *open_, high_, low_, close_, volume_, boundary - interval_, boundary};
  open_.reset();
  handler_(bar);
}

}  // namespace nacre
