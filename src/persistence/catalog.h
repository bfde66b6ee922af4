// The Parquet data catalog: a folder holding two layouts side by side.
//
// The NautilusTrader per-instrument layout
//   {root}/data/{quote_tick|trade_tick|bar}/{identifier}/{start}_{end}.parquet
// where {identifier} is the instrument id (the bar type for bars) with '/' removed, and
// {start}/{end} are the first and last ts_init of the file as UTC "YYYY-MM-DDTHH-MM-SS-
// NNNNNNNNNZ". Instrument definitions live in {root}/data/instrument/*.parquet.
//
// The chain layout, for option chains (quotes and trades):
//   {root}/data/chain/{quote_tick|trade_tick}/{group}/{start}_{end}.parquet
// one file per group (an option's underlying; an instrument without one is its own group)
// per IST trading day, holding many instruments: an `instrument_id` column (dictionary-
// encoded by Parquet), rows in the catalog's merge order (ts_init, then identifier, then the
// instrument's own row order), and in the key-value metadata `layout` = "chain", the one
// price and size precision, and `chain_instruments`: per instrument its first and last
// ts_init and row count. A backtest reads such a file as one sorted stream, no merge.
//
// Files written here store prices and sizes as BIGINT fixed-point raws at scale 10^9 (exact),
// ts_event/ts_init as UBIGINT nanoseconds, and the instrument id (or bar type) and the price
// and size precisions as Parquet key-value metadata. Files written by NautilusTrader (prices
// as 8- or 16-byte little-endian fixed-size binary raws at scale 10^9 or 10^16, metadata
// inside the base64 Arrow schema) are read too.
//
// Writes append one file per call; a write whose time range overlaps an existing file of the
// same instrument (chain: group) and type is refused, naming both ranges, and so is a write
// overlapping the same instrument's data in the other layout (naming that file): no quote is
// ever held twice. A read refuses an instrument whose data both layouts hold over overlapping
// times (naming both files) rather than return it twice. Opening a catalog completes or rolls
// back a `nacre catalog compact` a crash interrupted (catalog_swap.h). Reads stream: files
// are k-way merged by (ts_init, file order, row), where file order is (identifier, start) and
// a chain file counts as one file per instrument it holds; each scan is opened only when the
// merge reaches its start and closed when exhausted. A big file (and every chain file) is
// read chunk by chunk through its own DuckDB streaming result; small files (per-contract
// option files) are read a few hundred at a time by one query that returns them already
// merged. The order of events is the same whichever layout holds the data.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "model/data.h"
#include "model/instrument.h"
#include "persistence/data_stream.h"

namespace nacre {

namespace duck {
class Database;
class Connection;
}  // namespace duck

enum class CatalogDataType : std::uint8_t { kQuote, kTrade, kBar };
// "quote_tick", "trade_tick", "bar" (the directory names).
std::string_view CatalogDirName(CatalogDataType t);
// Accepts "quote"/"quote_tick"/"quotes", "trade"/"trade_tick"/"trades", "bar"/"bars".
Result<CatalogDataType> ParseCatalogDataType(std::string_view s);

// Directory-safe identifier: '/' removed ("EUR/USD.SIM" -> "EURUSD.SIM").
std::string CatalogIdentifier(std::string_view id);
// File name of a [start, end] ts_init range and its parse.
std::string CatalogFileName(UnixNanos start, UnixNanos end);
Result<std::pair<UnixNanos, UnixNanos>> ParseCatalogFileName(std::string_view name);

// One instrument of a chain file (its `chain_instruments` metadata).
struct ChainMember {
  std::string instrument_id;
  UnixNanos first;  // first and last ts_init of its rows in the file
  UnixNanos last;
  std::uint64_t rows = 0;
};

// Metadata of one data file: what it holds and how to read its raws.
struct ParquetDataMeta {
  std::string instrument_id;  // exact id (may contain '/')
  std::string bar_type;       // bars only
  int price_precision = -1;
  int size_precision = -1;
  bool arrow_schema = false;  // written through Arrow (e.g. NautilusTrader): raws may be binary
  bool chain = false;         // a chain file: rows carry their instrument_id
  std::vector<ChainMember> members;  // chain files: the instruments it holds, in id order
  bool chain_members_bad = false;    // its `chain_instruments` could not be parsed
};

// Reads the instrument id / bar type and precisions from a Parquet file's key-value metadata,
// either plain keys (Nacre) or inside the base64 `ARROW:schema` (NautilusTrader). Fields not
// found stay empty / -1.
Result<ParquetDataMeta> ReadParquetDataMeta(duck::Connection& con, const std::string& path);

struct CatalogFile {
  CatalogDataType type = CatalogDataType::kQuote;
  std::string identifier;  // directory name
  std::string path;
  UnixNanos start;
  UnixNanos end;
  // The file's metadata when already read (otherwise the reader reads it when the file's scan
  // opens: one key-value query for a whole batch of small files).
  std::optional<ParquetDataMeta> meta;
  std::uint64_t bytes = 0;  // size on disk (0 = unknown): small files are scanned in batches
  // A chain file lists as one entry per instrument it holds (identifier and start/end are that
  // instrument's, `meta` names it); the reader scans the file once for all its entries.
  bool chain = false;
  std::uint64_t rows = 0;  // chain entries: the instrument's rows in the file (else unknown)
  // Chain entries: the whole file's instruments, rows and first and last ts_init (a scan that
  // selects all of them over the whole range reads the whole file).
  std::size_t chain_members = 0;
  std::uint64_t chain_rows = 0;
  UnixNanos chain_first{};
  UnixNanos chain_last{};
};

// The same for many files with few queries; fills each file's `meta`.
Status ReadParquetDataMetaBatch(duck::Connection& con, std::vector<CatalogFile>& files);

struct CatalogQuery {
  CatalogDataType type = CatalogDataType::kQuote;
  // Instrument ids or globs ('*', '?', '[...]') matched against the identifier (and, for bars,
  // the bar type's instrument id). Empty = all.
  std::vector<std::string> instruments;
  std::optional<UnixNanos> start;  // inclusive, on ts_init
  std::optional<UnixNanos> end;    // inclusive
  // Fallbacks for files that carry no metadata (given on the command line).
  ParquetDataMeta defaults;
  // DuckDB threads per file scan (0 = DuckDB's default).
  int threads = 0;
  // The reader's DuckDB memory limit in MiB (0 = DuckDB's default, 80% of the machine).
  int memory_limit_mb = 0;
  // Read on a background thread a few chunks ahead of the consumer.
  bool prefetch = true;
  // Read chain quote files through their binary cache in {catalog_root}/.cache (chain_cache.h),
  // building it on the first read of a file's whole time range (any selection of its
  // instruments). Catalog::Read sets catalog_root; without one (a reader over explicit files)
  // there is no cache.
  bool binary_cache = true;
  std::string catalog_root;
};

class Catalog {
 public:
  // Opens (creating the folder if needed) a catalog at `root`.
  static Result<std::unique_ptr<Catalog>> Open(const std::string& root);
  ~Catalog();
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  const std::string& root() const { return root_; }

  // Appends one file. Data must be non-empty, of that instrument / bar type, with
  // non-decreasing ts_init and one price and one size precision; an overlap with an existing
  // file of the same identifier is refused naming both ranges.
  Status WriteQuotes(const InstrumentId& id, std::span<const QuoteTick> quotes);
  Status WriteTrades(const InstrumentId& id, std::span<const TradeTick> trades);
  Status WriteBars(const BarType& bar_type, std::span<const Bar> bars);
  // Appends one chain file of `group` (persistence/catalog_chain.h names groups). Quotes of
  // any instruments with one price and one size precision, each instrument's in non-
  // decreasing ts_init; the file holds them in the catalog's merge order (a stable sort by
  // ts_init, then identifier). An overlap with an existing chain file of the group is refused.
  Status WriteChainQuotes(const std::string& group, std::span<const QuoteTick> quotes);
  // Adds definitions; an id already defined identically is skipped, differently is refused.
  Status WriteInstruments(std::span<const Instrument> instruments);

  // Definitions whose id matches one of the globs (all when empty), sorted by id.
  Result<std::vector<Instrument>> Instruments(const std::vector<std::string>& globs = {});
  // Data files of a type whose identifier matches (all when empty), sorted by (identifier,
  // start); chain files as one entry per matching instrument (their footers are read). With
  // `footer_cache`, the chain files' footers come from the catalog's footer cache where it is
  // current and are recorded there when read (footer_cache.h; what a read with its binary
  // cache on passes).
  Result<std::vector<CatalogFile>> Files(CatalogDataType type,
                                         const std::vector<std::string>& globs = {},
                                         bool footer_cache = false) const;
  // A streaming, time-ordered reader over the matching files.
  Result<std::unique_ptr<DataStream>> Read(const CatalogQuery& query) const;
  // The same over `listed`, what Files(query.type, query.instruments) gave earlier (a backtest
  // lists its data once, when its config is loaded: what it reads is what it described, and
  // the chain files' footers are not read again).
  Result<std::unique_ptr<DataStream>> Read(const CatalogQuery& query,
                                           std::vector<CatalogFile> listed) const;

  duck::Connection& connection() { return *con_; }
  // What Open did to finish or roll back a compact a crash interrupted (catalog_swap.h), one
  // line each; also printed to stderr. Empty normally.
  const std::vector<std::string>& recovered() const { return recovered_; }

 private:
  Catalog() = default;
  // Writes `table` to {dir}/{start}_{end}.parquet with the key-value metadata `kv` (DuckDB's
  // KV_METADATA body), through a temporary file renamed into place.
  Status WriteFile(const std::string& dir, const std::string& table, const std::string& kv,
                   UnixNanos start, UnixNanos end);
  // Refuses [start, end] when it overlaps a file in `dir`; `what` names the series.
  Status CheckOverlap(const std::string& dir, const std::string& what, UnixNanos start,
                      UnixNanos end) const;
  // Chain files as entries per matching instrument; with `within`, only files whose name range
  // meets [first, second] (their footers alone are read).
  Status ChainFiles(CatalogDataType type, const std::vector<std::string>& globs,
                    std::vector<CatalogFile>& out,
                    std::optional<std::pair<UnixNanos, UnixNanos>> within = {},
                    bool footer_cache = false) const;
  // Refuses [start, end] of instrument `id` when chain files hold its data over any of it.
  Status CheckChainOverlap(CatalogDataType type, const InstrumentId& id, const std::string& what,
                           UnixNanos start, UnixNanos end) const;

  std::string root_;
  std::unique_ptr<duck::Database> db_;
  std::unique_ptr<duck::Connection> con_;
  std::vector<std::string> recovered_;
};

// Opens a streaming reader over explicit Parquet files (e.g. a single NautilusTrader file);
// files are merged by (ts_init, position in `files`).
Result<std::unique_ptr<DataStream>> ReadParquetFiles(CatalogDataType type,
                                                     std::vector<CatalogFile> files,
                                                     const CatalogQuery& query);

// Counters of a reader, for tests and tools: chunks currently held and the most ever held.
struct CatalogReaderStats {
  std::size_t open_files = 0;  // files of the scans currently open
  std::size_t max_open_files = 0;
  std::uint64_t rows = 0;
  std::size_t batches = 0;        // scans of several small files in one query
  std::size_t batches_split = 0;  // batches that had to be scanned file by file
  // Chain files read from their binary cache, caches written, and caches that could not be
  // written (a read-only catalog: the file was read from Parquet all the same).
  std::size_t cache_hits = 0;
  std::size_t cache_built = 0;
  std::size_t cache_write_failures = 0;
  // Whether the reader opened a DuckDB instance (not when every scan came from a binary cache).
  bool duckdb_opened = false;
};
// Stats of a stream returned by Catalog::Read / ReadParquetFiles (zeros for other streams).
CatalogReaderStats ReaderStats(const DataStream& stream);

// Glob match ('*', '?', '[...]'), as fnmatch without flags.
bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace nacre
