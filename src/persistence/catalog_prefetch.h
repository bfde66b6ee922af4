// Internal to the catalog reader: PrefetchReader runs a MergeReader on its own thread a few
// chunks ahead of the consumer, so DuckDB's scans and the decoding overlap with the backtest
// (both cores busy). The chunks, their order and errors are exactly the inner reader's; the
// counters are those as of the chunk last handed out.
//
// Thread contract: one consumer thread calls Next, LastTs and stats (and destroys the
// reader). The producer thread starts at the first Next and is the only thread that touches
// the inner MergeReader after that (LastTs reads a value fixed at construction); the two
// threads share only queue_, free_ and stop_, under mu_. Destruction sets stop_, wakes the
// producer and joins it, so nothing outlives the reader.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "persistence/catalog_merge.h"
#include "persistence/data_stream.h"

namespace nacre::catalog_detail {

class PrefetchReader final : public DataStream {
 public:
  static constexpr std::size_t kDepth = 4;  // chunks produced ahead

  explicit PrefetchReader(std::unique_ptr<MergeReader> inner) : inner_(std::move(inner)) {}
  ~PrefetchReader() override;
  PrefetchReader(const PrefetchReader&) = delete;
  PrefetchReader& operator=(const PrefetchReader&) = delete;

  Status Next(std::vector<MarketData>& out, std::size_t max_items) override;

  std::optional<UnixNanos> LastTs() const override { return inner_->LastTs(); }
  CatalogReaderStats stats() const { return stats_; }

 private:
  struct Item {
    std::vector<MarketData> data;
    Status status = Status::Ok();
    CatalogReaderStats stats;
    bool end = false;
  };

  void Produce();

  std::unique_ptr<MergeReader> inner_;
  std::size_t chunk_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;                     // guarded by mu_
  std::vector<std::vector<MarketData>> free_;  // recycled buffers, guarded by mu_
  bool stop_ = false;                          // guarded by mu_
  // Consumer side.
  std::vector<MarketData> current_;
  std::size_t pos_ = 0;
  bool finished_ = false;
  Status status_ = Status::Ok();
  CatalogReaderStats stats_;
};

}  // namespace nacre::catalog_detail
