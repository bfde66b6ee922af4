// The NSE margin book's view of the market from the kernel's cache: an instrument's definition
// and its mark (the quote's mid when two-sided, else the last trade, else the last bar's
// close). Used by the risk engine's pre-trade margin check and by the Kite adapter's basket
// check beside Kite's figure, so both value a spread the same way.
#pragma once

#include <optional>

#include "common/cache.h"
#include "nse/margin_book.h"

namespace nacre {

class CacheMarginMarket final : public MarginMarket {
 public:
  explicit CacheMarginMarket(const Cache& cache) : cache_(cache) {}
  const Instrument* FindInstrument(const InstrumentId& id) const override {
    return cache_.instrument(id);
  }
  std::optional<Price> Mark(const InstrumentId& id) const override {
    if (const QuoteTick* q = cache_.quote(id);
        q != nullptr && q->bid_price.raw() > 0 && q->ask_price.raw() > 0) {
      return q->Mid();
    }
    if (const TradeTick* t = cache_.trade(id)) return t->price;
    return cache_.LastBarClose(id);
  }

 private:
  const Cache& cache_;
};

}  // namespace nacre
