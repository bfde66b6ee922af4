// Test helpers shared by the catalog's tests.
#pragma once

#include <fmt/format.h>

#include <string>
#include <variant>

#include "model/data.h"

namespace nacre::testkit {

// Every field of a quote, precisions included (what a read must give back exactly).
inline std::string DescribeQuote(const MarketData& d) {
  const auto& q = std::get<QuoteTick>(d);
  return fmt::format("{} {}/{} {}/{} {}/{} {}/{} {} {}", q.instrument_id.value(), q.bid_price.raw(),
                     q.bid_price.precision(), q.ask_price.raw(), q.ask_price.precision(),
                     q.bid_size.raw(), q.bid_size.precision(), q.ask_size.raw(),
                     q.ask_size.precision(), q.ts_event.value, q.ts_init.value);
}

}  // namespace nacre::testkit
