// Internal to the catalog: the chain files' footer cache, a derived copy of each chain file's
// Parquet key-value metadata (its layout, precisions and member list), so that listing a chain
// catalog does not ask DuckDB to open every file's footer again (the demo's year of chain files:
// about 40 ms of each backtest's start).
//
// It is never the source of truth. The Parquet footer is; an entry is used only while its file
// is the same file (device, inode) with the size, modification and change times the entry
// records, and it holds the footer's pairs as
// they were read, which the catalog interprets exactly as it interprets a footer read through
// DuckDB (MetaFromFooterPairs). Anything else (absent, stale, damaged, another version, a
// catalog on a read-only disk) means: read the footers through DuckDB as before. Deleting
// {root}/.cache is always safe. Reads that turn the binary cache off (CatalogQuery::
// binary_cache = false) neither read nor write it.
//
// Layout of {root}/.cache/chain_footers.nfc, integers little-endian:
//   magic "NACREFC1", u32 version (4), u32 entry count; per entry: u32 path length, the path
//   relative to the root, u64 size, i64 mtime (ns), u64 device, u64 inode, i64 ctime (ns), u32
//   pair count, per pair u32 key length,
//   key, u32 value length, value; then a u64 checksum of every byte before it (the binary
//   cache's, cache_bytes.h).
// Written to a temporary file beside it and renamed: a reader sees a whole file or none, and
// two processes listing at once (a sweep's workers) each leave a whole file. A listing saves on
// a thread of its own (SaveIfChangedInBackground); its Catalog's end waits for it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "persistence/catalog.h"
#include "persistence/chain_cache.h"

namespace nacre::catalog_detail {

// A footer's key-value pairs as read (keys and values decoded to text).
using FooterPairs = std::vector<std::pair<std::string, std::string>>;

// What the catalog makes of a footer's pairs (Nacre's keys, NautilusTrader's inside the Arrow
// schema): the one interpretation, for footers read through DuckDB and from this cache.
ParquetDataMeta MetaFromFooterPairs(const FooterPairs& pairs);
// The footers of `files` through DuckDB in few queries (ReadParquetDataMetaBatch's), as pairs:
// out[i] is files[i]'s.
Status ReadFooterPairsBatch(duck::Connection& con, const std::vector<CatalogFile>& files,
                            std::vector<FooterPairs>& out);

class FooterCache {
 public:
  explicit FooterCache(const std::string& root);

  // Reads the cache file; an absent or unusable one leaves the cache empty (every Find misses).
  void Load();
  // The pairs recorded for `path` (under the root) while it is still `source` (the same file,
  // size and times); null otherwise.
  const FooterPairs* Find(const std::string& path, const ChainCacheSource& source) const;
  // Records the footer just read from `path`.
  void Put(const std::string& path, const ChainCacheSource& source, FooterPairs pairs);
  // Writes the cache when Put changed it, dropping entries whose file is gone. False when it
  // could not be written (the listing is whole all the same).
  bool SaveIfChanged();
  // The same on a thread of its own, so a listing does not wait for it (a large chain
  // catalog's footers are tens of megabytes: about 0.1 s of a cold start). The entries move to
  // that thread (this cache is empty after; the thread takes no signals). A Load of the root,
  // its Catalog's destruction and the process's exit wait for the writes still running; a
  // thread that cannot be started saves nothing; a temporary left by a process killed while
  // writing is removed by a later save once it is an hour old.
  void SaveIfChangedInBackground();
  // Waits for this process's background saves of `root`'s cache (any spelling of the root).
  static void WaitForWrites(const std::string& root);
  // Waits for all of this process's background saves.
  static void WaitForWrites();
  // Tests only (null: none): `before_write` runs on a background writer before it writes,
  // `on_wait` in WaitForWrites (either form) before it blocks. Set while no writer runs.
  static void SetTestHooks(std::function<void()> before_write, std::function<void()> on_wait);

  std::size_t hits() const { return hits_; }
  std::size_t size() const { return entries_.size(); }
  // The cache file of a catalog root.
  static std::string PathOf(const std::string& root);

 private:
  struct Entry {
    ChainCacheSource source;
    FooterPairs pairs;
  };
  // Writes `entries` (those whose file is gone dropped) as `root`'s cache file.
  static bool Write(const std::string& root, std::map<std::string, Entry>& entries);
  // `path` relative to the root, or empty when it is not under it.
  std::string Relative(const std::string& path) const;

  std::string root_;
  std::map<std::string, Entry> entries_;  // by path relative to the root
  mutable std::size_t hits_ = 0;
  bool changed_ = false;
};

}  // namespace nacre::catalog_detail
