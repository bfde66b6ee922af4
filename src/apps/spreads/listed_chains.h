// The option chains of an underlying as the cache lists them: contracts activated and not yet
// expired, by expiry then strike, and their latest quotes in the shape pricing::AnalyzeChain
// takes. Shared by the Greeks actor and the spread planner. Read from the cache's option index
// (Cache::OptionsOf), never a walk over every instrument. Ordered maps keep every walk over a
// chain deterministic. Kernel thread only.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "common/cache.h"
#include "pricing/chain.h"

namespace nacre {

struct ListedStrike {
  const Instrument* call = nullptr;
  const Instrument* put = nullptr;
};
using ListedChain = std::map<std::int64_t, ListedStrike>;  // by strike raw

// Every listed chain, by expiry.
std::map<UnixNanos, ListedChain> ListedChains(const Cache& cache, const InstrumentId& underlying,
                                              UnixNanos now);
// The listed chain of one expiry (empty when none of its contracts is listed now).
ListedChain ListedChainOf(const Cache& cache, const InstrumentId& underlying, UnixNanos expiry,
                          UnixNanos now);
// The nearest expiry with a listed contract for which `accept(expiry)` holds, looking at
// expiries in order and stopping at the first for which `stop(expiry)` holds.
template <typename Accept, typename Stop>
std::optional<UnixNanos> NearestListedExpiry(const Cache& cache, const InstrumentId& underlying,
                                             UnixNanos now, Accept accept, Stop stop) {
  const OptionIndex& index = cache.OptionsOf(underlying);
  // Contracts expiring after `now` (an expiry at `now` is already expired).
  for (auto it = index.upper_bound(OptionKey{now, INT64_MAX, {}}); it != index.end(); ++it) {
    const Instrument& ins = *it->second;
    if (ins.activation > now || ins.IsExpired(now)) continue;
    if (stop(ins.expiration)) break;
    if (accept(ins.expiration)) return ins.expiration;
  }
  return std::nullopt;
}

// One ChainQuote per strike in strike order; a side without a quote (or, with `max_age`, with
// a quote older than that) is left as kNoQuote.
std::vector<pricing::ChainQuote> ChainQuotes(const ListedChain& chain, const Cache& cache,
                                             UnixNanos now,
                                             std::optional<DurationNs> max_age = std::nullopt);

}  // namespace nacre
