#include "apps/spreads/listed_chains.h"

namespace nacre {

std::map<UnixNanos, ListedChain> ListedChains(const Cache& cache, const InstrumentId& underlying,
                                              UnixNanos now) {
  std::map<UnixNanos, ListedChain> out;
  for (const Instrument* ins : cache.Instruments()) {
    if (ins->instrument_class != InstrumentClass::kOption || ins->underlying != underlying ||
        ins->IsExpired(now) || ins->activation > now) {
      continue;
    }
    ListedStrike& slot = out[ins->expiration][ins->strike.raw()];
    (ins->option_kind == OptionKind::kCall ? slot.call : slot.put) = ins;
  }
  return out;
}

std::vector<pricing::ChainQuote> ChainQuotes(const ListedChain& chain, const Cache& cache,
                                             UnixNanos now, std::optional<DurationNs> max_age) {
  std::vector<pricing::ChainQuote> out;
  out.reserve(chain.size());
  auto fill = [&](const Instrument* ins, double& bid, double& ask) {
    if (ins == nullptr) return;
    const QuoteTick* t = cache.quote(ins->id);
    if (t == nullptr || (max_age && now - t->ts_init > *max_age)) return;
    bid = t->bid_price.AsDouble();
    ask = t->ask_price.AsDouble();
  };
  for (const auto& [raw, pair] : chain) {
    pricing::ChainQuote q;
    q.strike = static_cast<double>(raw) / kFixedScale;
    fill(pair.call, q.call_bid, q.call_ask);
    fill(pair.put, q.put_bid, q.put_ask);
    out.push_back(q);
  }
  return out;
}

}  // namespace nacre
