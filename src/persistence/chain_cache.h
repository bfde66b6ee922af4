// Internal to the catalog reader: the chain binary cache, a derived copy of a chain quote
// file's rows as plain fixed-width columns that a backtest maps into memory instead of asking
// DuckDB to decode the Parquet file again.
//
// It is never the source of truth. The Parquet file is; the cache is written from the rows a
// scan of that file's whole time range read (every value already passed the reader's checks;
// the rows of instruments the scan did not select too, when their chunk's column checks
// passed, so one cache serves every selection),
// and it is used only while the Parquet file is the same file (device and inode), with the
// size, modification time and change time recorded in the cache's header, and its instruments'
// resolved precisions are the ones recorded. The change time cannot be set back by a copy that
// keeps times (cp -p, rsync -a, touch -r) and the inode changes when a file is replaced by
// rename, so a file rewritten to the same size and modification time is not taken for the old. Anything
// else (absent, stale, another format version, wrong length, a catalog on a read-only disk)
// means: read the Parquet file through DuckDB as before. Deleting {root}/.cache is always safe.
//
// Layout of {root}/.cache/{path of the chain file under root, ".parquet" -> ".nqc"}, all
// integers little-endian (the machines we build for):
//   header   magic "NACRECQ1", u32 version (4), u32 member count, u64 source size,
//            i64 source mtime (ns), u64 source device, u64 source inode, i64 source ctime (ns),
//            u64 rows, u64 payload offset, u64 payload checksum
//   members  per member: i32 price precision, i32 size precision, u32 id length, id bytes
//   payload  (at the 8-aligned offset) columns of `rows` values each: bid raw, ask raw, bid
//            size raw, ask size raw (i64), ts_event, ts_init (u64), member (u32)
// Rows are the file's rows in its order (ts_init never decreases). A cache is written to a
// temporary file beside its place and renamed, so a reader sees a whole cache or none; two
// processes building the same cache at once both succeed. It is not flushed to disk (a replay
// paced in real time must not wait on fsync): the payload's checksum, checked when the cache
// is opened, catches a cache whose data a crash or a bad disk lost, and it is then rebuilt.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace nacre::catalog_detail {

// What a cache records of its source to know it is still that file's copy.
struct ChainCacheSource {
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::int64_t ctime_ns = 0;  // the inode's change time: set by the system, never by a copy
  friend bool operator==(const ChainCacheSource&, const ChainCacheSource&) = default;
};
// The source's identity, size and times now.
Result<ChainCacheSource> StatChainCacheSource(const std::string& path);
// Where the cache of `source` (a path under `catalog_root`) lives; empty when `source` is not
// under it.
std::string ChainCachePath(const std::string& catalog_root, const std::string& source);

struct ChainCacheMember {
  std::string id;
  int price_precision = 0;
  int size_precision = 0;
};

// An open cache, mapped read-only for its lifetime.
class ChainCacheView {
 public:
  ChainCacheView() = default;
  ~ChainCacheView();
  ChainCacheView(ChainCacheView&& o) noexcept;
  ChainCacheView& operator=(ChainCacheView&& o) noexcept;
  ChainCacheView(const ChainCacheView&) = delete;
  ChainCacheView& operator=(const ChainCacheView&) = delete;

  // Maps the cache at `path` when it is a whole cache of `source` in this format; false (and
  // nothing mapped) otherwise, with the reason in `why` (for counters and tests).
  bool Open(const std::string& path, const ChainCacheSource& source, std::string* why = nullptr);
  bool open() const { return base_ != nullptr; }

  std::uint64_t rows() const { return rows_; }
  const std::vector<ChainCacheMember>& members() const { return members_; }
  // Column k in 0..3 (bid, ask, bid size, ask size raws).
  const std::int64_t* raws(std::size_t k) const { return raws_[k]; }
  const std::uint64_t* ts_event() const { return ts_event_; }
  const std::uint64_t* ts_init() const { return ts_init_; }
  const std::uint32_t* member() const { return member_; }

 private:
  void Reset();

  void* base_ = nullptr;
  std::size_t length_ = 0;
  std::uint64_t rows_ = 0;
  std::vector<ChainCacheMember> members_;
  const std::int64_t* raws_[4] = {nullptr, nullptr, nullptr, nullptr};
  const std::uint64_t* ts_event_ = nullptr;
  const std::uint64_t* ts_init_ = nullptr;
  const std::uint32_t* member_ = nullptr;
};

// Collects a full scan's rows, then writes the cache.
class ChainCacheWriter {
 public:
  explicit ChainCacheWriter(std::vector<ChainCacheMember> members)
      : members_(std::move(members)) {}

  void Add(std::uint32_t member, std::int64_t bid, std::int64_t ask, std::int64_t bid_size,
           std::int64_t ask_size, std::uint64_t ts_event, std::uint64_t ts_init) {
    raws_[0].push_back(bid);
    raws_[1].push_back(ask);
    raws_[2].push_back(bid_size);
    raws_[3].push_back(ask_size);
    ts_event_.push_back(ts_event);
    ts_init_.push_back(ts_init);
    member_.push_back(member);
  }
  std::uint64_t rows() const { return ts_init_.size(); }
  // Adds a member (an instrument of the file the scan did not select: its rows are cached
  // too, so one cache serves every selection); returns its number.
  std::uint32_t AddMember(ChainCacheMember m) {
    members_.push_back(std::move(m));
    return static_cast<std::uint32_t>(members_.size() - 1);
  }

  // Writes the cache of `source` to `path` (folders created), through a temporary file renamed
  // into place.
  Status Commit(const std::string& path, const ChainCacheSource& source) const;

 private:
  std::vector<ChainCacheMember> members_;
  std::vector<std::int64_t> raws_[4];
  std::vector<std::uint64_t> ts_event_;
  std::vector<std::uint64_t> ts_init_;
  std::vector<std::uint32_t> member_;
};

}  // namespace nacre::catalog_detail
