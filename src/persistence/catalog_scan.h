// Internal to the catalog reader: a scan of one data file, or of a batch of small files that
// DuckDB returns already merged, decoded chunk by chunk into market data. Values are checked
// per chunk (column checks) and row by row only when a chunk is not clean, so every error
// names the file, row and column at fault. Not thread-safe: one thread owns a scan.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "persistence/catalog.h"
#include "persistence/chain_cache.h"
#include "persistence/duckdb.h"

namespace nacre::catalog_detail {

// One file of a scan.
struct ScanFile {
  CatalogFile file;
  std::size_t index = 0;  // position in the reader's file list: the merge's tie-break
  ParquetDataMeta meta;   // resolved (defaults applied) when the scan opens
  InstrumentId id;
  BarType bar_type;
  std::int64_t last_row = -1;  // batches: the file row emitted last and its ts_init
  std::int64_t last_ts = 0;
};

// What a scan reads: one file, a batch of small files DuckDB merges, or one chain file whose
// rows carry their instrument (its files_ are then the file's selected instruments).
enum class ScanMode : std::uint8_t { kSingle, kBatch, kChain };

// How a fixed-point column is stored.
enum class RawKind : std::uint8_t { kInt64, kBin8, kBin16 };

// A scan of one file, or of a batch of files merged by DuckDB, or of a chain file, read chunk
// by chunk through its own connection's streaming result.
class ScanCursor {
 public:
  explicit ScanCursor(std::vector<ScanFile> files, ScanMode mode = ScanMode::kSingle)
      : files_(std::move(files)),
        mode_(mode == ScanMode::kSingle && files_.size() > 1 ? ScanMode::kBatch : mode) {
    start_ = files_.front().file.start;
    first_index_ = files_.front().index;
    file_count_ = files_.size();
    for (const ScanFile& f : files_) {
      start_ = std::min(start_, f.file.start);
      first_index_ = std::min(first_index_, f.index);
    }
  }

  // A chain file's scan of its selected entries (`entries[i]` at merge position `indices[i]`,
  // ascending), made into ScanFiles only when the scan opens: a chain catalog lists an entry
  // per instrument per file, hundreds of thousands over a few years.
  ScanCursor(std::vector<CatalogFile> entries, std::vector<std::size_t> indices)
      : mode_(ScanMode::kChain),
        entries_(std::move(entries)),
        entry_indices_(std::move(indices)) {
    start_ = entries_.front().start;
    first_index_ = entry_indices_.front();
    file_count_ = 1;
    for (const CatalogFile& f : entries_) start_ = std::min(start_, f.start);
  }

  UnixNanos start() const { return start_; }
  std::size_t first_index() const { return first_index_; }
  // Files on disk the scan reads.
  std::size_t file_count() const { return mode_ == ScanMode::kChain ? 1 : file_count_; }
  bool batched() const { return mode_ == ScanMode::kBatch; }
  UnixNanos ts() const { return UnixNanos(static_cast<std::int64_t>(ts_init_[row_])); }
  // The merge position of the current row's file.
  std::size_t index() const { return files_[Current()].index; }
  bool done() const { return done_; }
  // Gives the files back (to scan them one by one after the batch could not be scanned).
  std::vector<ScanFile> TakeFiles() {
    Close();
    return std::move(files_);
  }

  // Opens the scan: a chain quote file from its binary cache when a valid one exists (no DuckDB
  // at all), else through DuckDB, building the cache on the way when the scan reads the whole
  // file. `db` gives the DuckDB instance, asked only when the scan needs one (a reader whose
  // scans all come from binary caches never opens DuckDB). `stats` counts cache hits and
  // writes.
  using DatabaseOf = std::function<Result<duck::Database*>()>;
  Status Open(const DatabaseOf& db, const CatalogQuery& q, CatalogReaderStats& stats);

  // Moves to the next row (a chain scan: of a selected instrument); fetches the next chunk when
  // needed. done() afterwards = exhausted.
  Status Advance() {
    const UnixNanos prev = ts();
    if (++row_ >= size_) {
      if (Status s = Fetch(); !s) return s;
      if (done_) return Status::Ok();
    }
    if (mode_ == ScanMode::kChain) {
      if (Status s = SelectRow(); !s) return s;
      if (done_) return Status::Ok();
    }
    if (!batched() && ts() < prev) return Decreasing(prev);
    return Status::Ok();
  }

  Status Emit(std::vector<MarketData>& out);

  void Close();
  // Frees what a finished scan still holds of its files (a chain file's entries: one per
  // instrument it holds). Only file_count(), start() and first_index() may be called after.
  void Release();

 private:
  std::size_t Current() const {
    switch (mode_) {
      case ScanMode::kBatch:
        return static_cast<std::size_t>(file_index_[row_]);
      case ScanMode::kChain:
        return slot_;
      case ScanMode::kSingle:
        break;
    }
    return 0;
  }

  // Chain scans: from the current row on, moves to the first row of a selected instrument (or
  // to the end) and sets slot_ to its entry. Rows it passes over go into the cache being
  // written (the cache holds the whole file).
  Status SelectRow();
  // Adds the current row, of an instrument the scan did not select, to the cache being
  // written; drops the cache when the row's chunk is not clean (its values were not checked).
  void CacheUnselected(std::string_view id);

  // Chain quote scans: maps the file's binary cache when valid (true: the scan reads it), else
  // prepares to write one when this scan reads the whole file.
  bool UseCache(const CatalogQuery& q, CatalogReaderStats& stats);
  // The scan reached the file's end: writes the cache it collected.
  void CommitCache();

  // The files' metadata (one footer query for a batch), defaults applied and checked. A batch
  // scans only files written in Nacre's own layout (plain key-value metadata, BIGINT raws).
  Status ReadMeta(const CatalogQuery& q);

  static Status Resolve(ScanFile& f, const CatalogQuery& q);

  Status Fetch();

  // True when the chunk's price and size columns are plain raws, none NULL, all within the
  // scan's one price and size precision (sizes not negative): Emit then skips the per-value
  // checks. Otherwise Emit checks each value and names the row at fault.
  bool ChunkIsClean() const;

  std::int64_t Int64At(std::size_t col) const {
    return static_cast<const std::int64_t*>(data_[col])[row_];
  }

  // The row's Price or Quantity in column `col` at `precision` (the file's): taken as is from a
  // clean chunk, else checked (NULL, raw form, precision, sign) with the row and column named.
  template <typename T>
  Status ValueAt(std::size_t col, int precision, T& out) const {
    if (fast_) {
      out = T::Raw(Int64At(col), precision);
      return Status::Ok();
    }
    std::int64_t raw = 0;
    if (Status s = RawAt(col, raw); !s) return s;
    auto v = T::FromRaw(raw, precision);
    if (!v) return BadValue(col, v.error());
    out = *v;
    return Status::Ok();
  }
  Status PriceAt(const ScanFile& f, std::size_t col, Price& out) const {
    return ValueAt(col, f.meta.price_precision, out);
  }
  Status SizeAt(const ScanFile& f, std::size_t col, Quantity& out) const {
    return ValueAt(col, f.meta.size_precision, out);
  }

  bool Valid(std::size_t col, std::size_t row) const {
    const std::uint64_t* v = validity_[col];
    return v == nullptr || ((v[row / 64] >> (row % 64)) & 1) != 0;
  }

  UnixNanos TsAt(std::size_t col) const {
    return UnixNanos(
        static_cast<std::int64_t>(static_cast<const std::uint64_t*>(data_[col])[row_]));
  }

  // The current row's number in its file (rows_before_ already counts the current chunk).
  std::int64_t RowNumber() const {
    if (row_number_ != nullptr) return row_number_[row_];
    return static_cast<std::int64_t>(rows_before_ - size_ + row_);
  }

  Status RawAt(std::size_t col, std::int64_t& out) const;
  // The current row's string (or blob) in column `col`.
  std::string_view StringAt(std::size_t col) const;

  // What the scan reads, for errors: the file, or the batch's first file and count.
  std::string What() const;
  Status BadValue(std::size_t col, std::string_view why) const;
  Status BadType(const std::string& name) const;
  Status Decreasing(UnixNanos prev) const;

  std::vector<ScanFile> files_;
  ScanMode mode_;
  // A chain scan's entries until it opens (then files_).
  std::vector<CatalogFile> entries_;
  std::vector<std::size_t> entry_indices_;
  // Chain scans: the instrument column, and each selected instrument's entry in files_ by its
  // id (the views point into the ids' interned strings).
  std::size_t instrument_col_ = 0;
  std::unordered_map<std::string_view, std::size_t> slots_;
  std::size_t slot_ = 0;
  UnixNanos start_;
  std::size_t first_index_ = 0;
  std::size_t file_count_ = 0;
  std::unique_ptr<duck::Connection> con_;
  std::optional<duck::QueryResult> result_;
  duck::Chunk chunk_;
  std::vector<RawKind> kinds_;
  std::vector<std::string> names_;
  std::vector<const void*> data_;               // column data of the current chunk
  std::vector<const std::uint64_t*> validity_;  // validity masks (nullptr = all valid)
  const std::uint64_t* ts_init_ = nullptr;
  const std::uint64_t* file_index_ = nullptr;  // batches: the row's file in files_
  const std::int64_t* row_number_ = nullptr;   // batches, filtered scans: the row's number
  bool numbered_ = false;                      // a single file's scan selects file_row_number
  std::size_t ts_col_ = 0;
  int price_precision_ = -1;  // the scan's files' one precision, or -1 when they differ
  int size_precision_ = -1;
  bool fast_ = false;  // the current chunk passed ChunkIsClean
  std::size_t row_ = 0;
  std::size_t size_ = 0;
  std::uint64_t rows_before_ = 0;
  bool done_ = false;
  // The binary cache (chain quote scans): read from it, or collecting rows to write it.
  ChainCacheView cache_;
  std::vector<std::int32_t> cache_slot_;  // cache member -> entry in files_, -1 unselected
  // Per entry in files_, what a cached row needs (kept apart: a ScanFile is hundreds of bytes,
  // and rows visit the entries at random).
  struct CachedEntry {
    InstrumentId id;
    int price_precision;
    int size_precision;
  };
  std::vector<CachedEntry> cached_entries_;
  bool cached_ = false;
  std::unique_ptr<ChainCacheWriter> writer_;
  // The cache's members for instruments of the file this scan did not select, by id.
  std::unordered_map<std::string, std::uint32_t> unselected_;
  std::uint64_t writer_rows_ = 0;  // rows the whole file holds
  std::string cache_path_;
  ChainCacheSource cache_source_;
  CatalogReaderStats* stats_ = nullptr;
};

}  // namespace nacre::catalog_detail
