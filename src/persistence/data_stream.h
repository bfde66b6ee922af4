// DataStream: a source of market data that produces time-ordered chunks on demand, so a
// backtest can merge years of data without holding it in memory. The backtest engine pulls a
// chunk when it has consumed the previous one; within a stream `ts_init` never decreases.
#pragma once

#include <cstddef>
#include <variant>
#include <optional>
#include <vector>

#include "core/result.h"
#include "model/data.h"

namespace nacre {

class DataStream {
 public:
  virtual ~DataStream() = default;
  // Replaces `out` with the next chunk (at most `max_items`, at least one unless the stream
  // is exhausted). An empty chunk means the end. Errors (corrupt file, bad value) name the
  // file and field at fault; after an error the stream is finished.
  virtual Status Next(std::vector<MarketData>& out, std::size_t max_items) = 0;
  // The time of the last item it will emit, when known without reading (a catalog knows its
  // files' time ranges): for progress reports only, never for results. Empty: unknown.
  virtual std::optional<UnixNanos> LastTs() const { return std::nullopt; }
};

}  // namespace nacre
