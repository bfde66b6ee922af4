#include "apps/spreads/listed_chains.h"

namespace nacre {

namespace {

// Adds the listed contracts of index entries [from, to) to `out`, by expiry then strike.
template <typename It, typename Out>
void AddListed(It from, It to, UnixNanos now, Out&& chain_of) {
  for (; from != to; ++from) {
    const Instrument& ins = *from->second;
    if (ins.IsExpired(now) || ins.activation > now) continue;
    ListedStrike& slot = chain_of(ins.expiration)[ins.strike.raw()];
    // Two contracts on one strike and side: the last by id, as an id-ordered walk would give.
    (ins.option_kind == OptionKind::kCall ? slot.call : slot.put) = &ins;
  }
}

}  // namespace

std::map<UnixNanos, ListedChain> ListedChains(const Cache& cache, const InstrumentId& underlying,
                                              UnixNanos now) {
  std::map<UnixNanos, ListedChain> out;
  const OptionIndex& index = cache.OptionsOf(underlying);
  AddListed(index.upper_bound(OptionKey{now, INT64_MAX, {}}), index.end(), now,
            [&out](UnixNanos expiry) -> ListedChain& { return out[expiry]; });
  return out;
}

ListedChain ListedChainOf(const Cache& cache, const InstrumentId& underlying, UnixNanos expiry,
                          UnixNanos now) {
  ListedChain out;
  const OptionIndex& index = cache.OptionsOf(underlying);
  AddListed(index.lower_bound(OptionKey{expiry, INT64_MIN, {}}),
            index.upper_bound(OptionKey{expiry, INT64_MAX, {}}), now,
            [&out](UnixNanos) -> ListedChain& { return out; });
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
