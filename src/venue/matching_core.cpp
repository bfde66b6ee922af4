#include "venue/matching_core.h"

#include <algorithm>

#include "core/fixed.h"

namespace nacre {

namespace {

constexpr int kMaxWalkLevels = 100'000;

// Floors (buy) or ceils (sell) a raw price to the tick grid.
Price ToTick(std::int64_t raw, const Price& tick, bool down, int precision) {
  const std::int64_t t = tick.raw();
  if (t <= 0) return Price::Raw(raw, precision);
  std::int64_t q = raw / t;
  if (!down && q * t < raw) ++q;
  if (q < 0) q = 0;
  return Price::Raw(q * t, precision);
}

}  // namespace

MatchingCore::MatchingCore(const FillModel& model, Price tick, int price_precision)
    : model_(model), tick_(tick), precision_(price_precision) {}

void MatchingCore::OnQuote(Price bid, Price ask, Quantity bid_size, Quantity ask_size) {
  quote_ = BookTop{bid, ask, bid_size, ask_size};
  bid_left_ = bid_size.raw();
  ask_left_ = ask_size.raw();
}

void MatchingCore::OnBar(Price close) {
  bar_close_ = close;
  last_ = close;
  quote_.reset();
}

std::optional<Price> MatchingCore::Mark() const {
  if (quote_ && quote_->bid_price.raw() > 0 && quote_->ask_price.raw() > 0) return quote_->Mid();
  if (last_) return last_;
  return bar_close_;
}

std::optional<Price> MatchingCore::LppReference() const {
  if (last_) return last_;
  if (quote_ && quote_->bid_price.raw() > 0 && quote_->ask_price.raw() > 0) return quote_->Mid();
  return bar_close_;
}

std::optional<Price> MatchingCore::ProtectionLimit(bool buy, Price ref,
                                                   std::int64_t pct_raw) const {
  if (pct_raw <= 0) return std::nullopt;
  const Int128 hundred = static_cast<Int128>(100) * kFixedScale;
  const Int128 raw = DivRound(static_cast<Int128>(ref.raw()) *
                                  (buy ? hundred + pct_raw : hundred - pct_raw),
                              hundred);
  return ToTick(static_cast<std::int64_t>(raw), tick_, buy,
                std::max<int>(ref.precision(), precision_));
}

std::optional<Price> MatchingCore::EffectiveLimit(const MatchOrder& o,
                                                  const MatchState& s) const {
  if (o.type == OrderType::kLimit || o.type == OrderType::kStopLimit) return o.price;
  return s.protection_limit;
}

std::optional<Price> MatchingCore::TriggerPrice(const MatchOrder& o,
                                                std::optional<Price> last) const {
  const Price trigger = *o.trigger;
  const bool buy = o.buy();
  std::optional<Price> px;
  if (model_.stop_trigger == StopTriggerSource::kBidAsk && quote_) {
    px = buy ? quote_->ask_price : quote_->bid_price;
  } else if (last) {
    px = *last;
  }
  if (!px || (buy ? *px < trigger : *px > trigger)) return std::nullopt;
  return px;
}

MatchingCore::Take MatchingCore::TakeBook(const MatchOrder& o, MatchState& s, bool arriving) {
  Take t;
  const bool buy = o.buy();
  const bool ioc = o.tif == TimeInForce::kIoc;
  // Kite market protection: a limit at the reference price ± p%, fixed when first priced (a
  // triggered stop's was fixed when it triggered).
  if (o.market_like() && !s.protection_limit) {
    std::optional<Price> ref;
    if (quote_) {
      ref = buy ? quote_->ask_price : quote_->bid_price;
    } else if (last_) {
      ref = last_;
    } else if (bar_close_) {
      ref = bar_close_;
    }
    if (ref) s.protection_limit = ProtectionLimit(buy, *ref, o.protection_raw);
  }
  const std::optional<Price> limit = EffectiveLimit(o, s);
  auto within = [&](Price px) { return !limit || (buy ? px <= *limit : px >= *limit); };
  std::int64_t rem = o.leaves_raw;
  if (quote_) {
    const Price best = buy ? quote_->ask_price : quote_->bid_price;
    if (best.raw() <= 0 || !within(best)) return t;
    if (!model_.use_displayed_size) {
      t.fills.push_back(Execution{best, rem, LiquiditySide::kTaker});
      t.done = true;
      return t;
    }
    std::int64_t& left = buy ? ask_left_ : bid_left_;
    const std::int64_t take0 = std::min(rem, left);
    if (take0 > 0) {
      t.fills.push_back(Execution{best, take0, LiquiditySide::kTaker});
      left -= take0;
      rem -= take0;
    }
    if (rem > 0 && !ioc) {
      const std::int64_t displayed = (buy ? quote_->ask_size : quote_->bid_size).raw();
      const std::int64_t step = model_.size_step ? model_.size_step->raw() : displayed;
      for (int k = 1; rem > 0 && k <= kMaxWalkLevels; ++k) {
        const std::int64_t offset = static_cast<std::int64_t>(k) * model_.walk_ticks * tick_.raw();
        // On the instrument's precision: a level a tick away may need more decimals than the
        // quote was written with.
        const Price px = Price::Raw(buy ? best.raw() + offset : best.raw() - offset,
                                    std::max<int>(best.precision(), precision_));
        if (px.raw() <= 0 || !within(px)) break;
        const std::int64_t take = step > 0 ? std::min(rem, step) : rem;
        t.fills.push_back(Execution{px, take, LiquiditySide::kTaker});
        rem -= take;
      }
    }
    if (rem == 0) {
      t.done = true;
    } else if (ioc) {
      t.cancel_rest = true;
      t.done = true;
    }
    return t;
  }
  if (bar_close_ && arriving) {
    // Only bars: a market order fills at the current close (kCurrentClose) or waits for the
    // next open; a limit marketable against the last close fills there.
    const Price close = *bar_close_;
    if (o.market_like() && !limit) {
      if (model_.bar_fill == BarFillMode::kCurrentClose) {
        t.fills.push_back(Execution{close, rem, LiquiditySide::kTaker});
        t.done = true;
      }
      return t;
    }
    if (limit && (buy ? close <= *limit : close >= *limit)) {
      // A protected market order still waits for the next open.
      if (o.market_like() && model_.bar_fill == BarFillMode::kNextOpen) return t;
      t.fills.push_back(Execution{close, rem, LiquiditySide::kTaker});
      t.done = true;
    }
    return t;
  }
  if (last_ && !bar_close_) {
    if (!within(*last_)) return t;
    t.fills.push_back(Execution{*last_, rem, LiquiditySide::kTaker});
    t.done = true;
  }
  return t;
}

// A resting order crossed by a later quote: the other side came to it, so it trades at its
// own limit as the maker, for at most the size displayed on that side (shared with the other
// resting orders this quote crosses, in time priority); the rest keeps resting.
std::optional<Execution> MatchingCore::CrossedByQuote(const MatchOrder& o, const MatchState& s) {
  const std::optional<Price> limit = EffectiveLimit(o, s);
  if (!limit || !quote_) return std::nullopt;
  const bool buy = o.buy();
  const Price best = buy ? quote_->ask_price : quote_->bid_price;
  if (best.raw() <= 0 || (buy ? best > *limit : best < *limit)) return std::nullopt;
  if (!model_.use_displayed_size) return Execution{*limit, o.leaves_raw, LiquiditySide::kMaker};
  std::int64_t& left = buy ? ask_left_ : bid_left_;
  const std::int64_t take = std::min(o.leaves_raw, left);
  if (take <= 0) return std::nullopt;
  left -= take;
  return Execution{*limit, take, LiquiditySide::kMaker};
}

std::optional<Execution> MatchingCore::AtTrade(const MatchOrder& o, MatchState& s, Price px,
                                               std::int64_t size_raw, const Touch& touch) const {
  const bool buy = o.buy();
  const std::optional<Price> limit = EffectiveLimit(o, s);
  if (!limit) return std::nullopt;
  const bool through = buy ? px < *limit : px > *limit;
  const bool touched = px == *limit;
  std::int64_t size = size_raw;
  if (!through) {
    if (!touched) return std::nullopt;
    if (model_.queue_position && s.queue_ahead) {
      // The trade first takes what is ahead of the order at its price.
      const std::int64_t used = std::min(*s.queue_ahead, size);
      *s.queue_ahead -= used;
      size -= used;
    } else if (!touch()) {
      return std::nullopt;
    }
  }
  const std::int64_t take = std::min(o.leaves_raw, size);
  if (take <= 0) return std::nullopt;
  return Execution{*limit, take, LiquiditySide::kMaker};
}

void MatchingCore::UpdateQueue(const MatchOrder& o, MatchState& s) const {
  const std::optional<Price> limit = EffectiveLimit(o, s);
  if (!limit || !quote_) return;
  const bool buy = o.buy();
  const Price own = buy ? quote_->bid_price : quote_->ask_price;
  const std::int64_t shown = (buy ? quote_->bid_size : quote_->ask_size).raw();
  if (own.raw() <= 0 || (buy ? own < *limit : own > *limit)) {
    s.queue_ahead = 0;  // the order is the best on its side: nobody is ahead of it
  } else if (own == *limit) {
    s.queue_ahead = s.queue_ahead ? std::min(*s.queue_ahead, shown) : shown;
  }
  // Behind the best: what waits at its price is not displayed; the queue stays as it was.
}

// A resting limit on a bar: the bar's prices came to it, so it fills at its limit as the
// maker, also when the bar opens through it; a bar that only touches it fills with the touch
// probability.
std::optional<Execution> MatchingCore::LimitOnBar(const MatchOrder& o, Price limit, const Bar& b,
                                                  const Touch& touch) const {
  const bool buy = o.buy();
  if (buy ? b.open <= limit : b.open >= limit) {
    return Execution{limit, o.leaves_raw, LiquiditySide::kMaker};
  }
  const bool through = buy ? b.low < limit : b.high > limit;
  const bool touched = buy ? b.low == limit : b.high == limit;
  if (through || (touched && touch())) return Execution{limit, o.leaves_raw, LiquiditySide::kMaker};
  return std::nullopt;
}

std::optional<Price> MatchingCore::BarTrigger(const MatchOrder& o, const Bar& b) const {
  const Price trigger = *o.trigger;
  const bool buy = o.buy();
  const bool gapped = buy ? b.open >= trigger : b.open <= trigger;
  const bool touched = buy ? b.high >= trigger : b.low <= trigger;
  if (!gapped && !touched) return std::nullopt;
  return gapped ? b.open : trigger;
}

std::optional<Execution> MatchingCore::AfterBarTrigger(const MatchOrder& o, const MatchState& s,
                                                       const Bar& b, Price at,
                                                       const Touch& touch) const {
  const bool buy = o.buy();
  if (o.type == OrderType::kStopMarket) {
    // With market protection it is a limit at the band: a gap beyond it rests as that limit,
    // which the rest of this bar (or a later one) may still reach.
    const std::optional<Price>& band = s.protection_limit;
    if (!band || (buy ? at <= *band : at >= *band)) {
      return Execution{at, o.leaves_raw, LiquiditySide::kTaker};
    }
    return LimitOnBar(o, *band, b, touch);
  }
  const Price limit = *o.price;
  if (buy ? limit >= at : limit <= at) return Execution{at, o.leaves_raw, LiquiditySide::kTaker};
  return std::nullopt;  // rests as a limit from the next bar on
}

std::optional<Execution> MatchingCore::OnBarResting(const MatchOrder& o, const MatchState& s,
                                                    const Bar& b, const Touch& touch) const {
  const bool buy = o.buy();
  if (o.market_like()) {
    const std::optional<Price>& band = s.protection_limit;
    if (!band || (buy ? b.open <= *band : b.open >= *band)) {
      return Execution{b.open, o.leaves_raw, LiquiditySide::kTaker};
    }
    return LimitOnBar(o, *band, b, touch);
  }
  return LimitOnBar(o, *o.price, b, touch);
}

}  // namespace nacre
