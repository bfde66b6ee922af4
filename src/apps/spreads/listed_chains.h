// The option chains of an underlying as the cache lists them: contracts activated and not yet
// expired, by expiry then strike, and their latest quotes in the shape pricing::AnalyzeChain
// takes. Shared by the Greeks actor and the spread planner. Ordered maps keep every walk over
// a chain deterministic. Kernel thread only.
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

std::map<UnixNanos, ListedChain> ListedChains(const Cache& cache, const InstrumentId& underlying,
                                              UnixNanos now);

// One ChainQuote per strike in strike order; a side without a quote (or, with `max_age`, with
// a quote older than that) is left as kNoQuote.
std::vector<pricing::ChainQuote> ChainQuotes(const ListedChain& chain, const Cache& cache,
                                             UnixNanos now,
                                             std::optional<DurationNs> max_age = std::nullopt);

}  // namespace nacre
