// Internal to the catalog reader: the k-way merge of scans by (ts_init, file position, row).
// Scans open only when the merge reaches their start and close when exhausted; a big file is
// a scan of its own, runs of small files are batched (see catalog_merge.cpp). Not
// thread-safe: one thread reads a merge (the prefetch thread when there is one).
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "persistence/catalog.h"
#include "persistence/catalog_scan.h"
#include "persistence/data_stream.h"
#include "persistence/duckdb.h"

namespace nacre::catalog_detail {

class MergeReader final : public DataStream {
 public:
  // DuckDB is opened when a scan first needs it (never when the binary caches serve them all).
  MergeReader(std::vector<CatalogFile> files, CatalogQuery query);

  Status Next(std::vector<MarketData>& out, std::size_t max_items) override;

  CatalogReaderStats stats() const { return stats_; }
  std::optional<UnixNanos> LastTs() const override { return last_ts_; }

 private:
  struct Entry {
    UnixNanos ts;
    std::size_t index;   // the row's file position (tie-break)
    std::size_t source;  // its scan
    bool operator>(const Entry& o) const { return ts > o.ts || (ts == o.ts && index > o.index); }
  };

  // A binary min-heap of entries that can replace its top with one sift-down (the scan on top
  // usually moves on after a run of rows) and name the entry after the top.
  class EntryHeap {
   public:
    bool empty() const { return v_.empty(); }
    const Entry& top() const { return v_.front(); }
    // The smallest entry after the top (the top's smaller child), or nullptr.
    const Entry* second() const {
      if (v_.size() < 2) return nullptr;
      return v_.size() == 2 || !(v_[1] > v_[2]) ? &v_[1] : &v_[2];
    }
    void push(const Entry& e) {
      v_.push_back(e);
      std::push_heap(v_.begin(), v_.end(), std::greater<>());
    }
    void pop() {
      std::pop_heap(v_.begin(), v_.end(), std::greater<>());
      v_.pop_back();
    }
    void replace_top(const Entry& e) {
      const std::size_t n = v_.size();
      std::size_t i = 0;
      for (;;) {
        std::size_t child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && v_[child] > v_[child + 1]) ++child;
        if (!(e > v_[child])) break;
        v_[i] = v_[child];
        i = child;
      }
      v_[i] = e;
    }

   private:
    std::vector<Entry> v_;
  };

  // Pending scans in start order; ties by their first file's position.
  void SortPending();
  Status OpenSource(std::size_t si);
  Status Fail(const Status& s);
  Result<duck::Database*> DuckDb();  // opened on first use (query_.threads, memory limit)

  std::unique_ptr<duck::Database> db_;  // null until a scan needs DuckDB
  bool db_failed_ = false;               // the last attempt to open it failed
  std::optional<UnixNanos> last_ts_;  // the files' latest end, within the query
  CatalogQuery query_;
  std::vector<std::unique_ptr<ScanCursor>> sources_;
  std::vector<std::size_t> order_;
  std::size_t pending_ = 0;
  EntryHeap heap_;
  CatalogReaderStats stats_;
  bool failed_ = false;
  std::string error_;
};

}  // namespace nacre::catalog_detail
