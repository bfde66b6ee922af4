#include "persistence/catalog_merge.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <system_error>
#include <unordered_map>
#include <unordered_set>

#include "persistence/catalog_layout.h"
#include "persistence/catalog_prefetch.h"

namespace nacre {

namespace fs = std::filesystem;

namespace catalog_detail {

// The merge reads from scans. A big file is scanned alone and streamed chunk by chunk (its
// rows are already in time order). Small files - an option catalog holds thousands of
// per-contract files of a few hundred rows - are grouped into batches, each read by one
// query that returns its files' rows already merged (ORDER BY ts_init, file_index,
// file_row_number): one query per few hundred files instead of one per file. A batch holds
// files of distinct identifiers, consecutive in start order, at most kBatchFiles files and
// kBatchBytes on disk: DuckDB sorts and holds a batch's rows until it is exhausted, and
// Parquet quotes compress to a few bytes a row, so these caps keep a batch to about a million
// rows (tens of MiB) at worst. Bigger files stream alone through the k-way merge. A batch
// whose files cannot be scanned together (another layout, a damaged file) is split and its
// files scanned one by one, so errors still name the file at fault.

namespace {

constexpr std::int64_t kMaxTs = std::numeric_limits<std::int64_t>::max();
constexpr std::uint64_t kBatchFileBytes = 256ULL << 10;  // bigger files are scanned alone
constexpr std::uint64_t kBatchBytes = 4ULL << 20;
constexpr std::size_t kBatchFiles = 512;

}  // namespace

MergeReader::MergeReader(std::vector<CatalogFile> files, CatalogQuery query)
    : query_(std::move(query)) {
  for (const CatalogFile& f : files) {
    if (!last_ts_ || f.end > *last_ts_) last_ts_ = f.end;
  }
  if (last_ts_ && query_.end && *query_.end < *last_ts_) last_ts_ = query_.end;
  // Files in start order (ties: file order) form the scans: big files alone, runs of small
  // files of distinct identifiers as batches.
  std::vector<std::size_t> by_start(files.size());
  for (std::size_t i = 0; i < files.size(); ++i) by_start[i] = i;
  std::stable_sort(by_start.begin(), by_start.end(),
                   [&](std::size_t a, std::size_t b) { return files[a].start < files[b].start; });
  std::vector<ScanFile> batch;
  std::uint64_t batch_bytes = 0;
  std::unordered_set<std::string> idents;  // a batch reads one file per identifier
  // A chain file's entries (one per selected instrument) form one scan, in file order.
  std::vector<std::vector<std::size_t>> chains;
  std::unordered_map<std::string_view, std::size_t> chain_of_path;  // views into `files`
  std::size_t last_chain = std::numeric_limits<std::size_t>::max();
  auto flush = [&] {
    if (batch.empty()) return;
    std::sort(batch.begin(), batch.end(),
              [](const ScanFile& a, const ScanFile& b) { return a.index < b.index; });
    sources_.push_back(std::make_unique<ScanCursor>(std::move(batch)));
    batch.clear();
    batch_bytes = 0;
    idents.clear();
  };
  for (std::size_t i : by_start) {
    if (files[i].chain) {
      // Entries in start order come file by file (a chain file holds one day): the last
      // file's path is checked first.
      if (last_chain < chains.size() && files[i].path == files[chains[last_chain].front()].path) {
        chains[last_chain].push_back(i);
        continue;
      }
      auto [it, added] = chain_of_path.try_emplace(files[i].path, chains.size());
      if (added) chains.emplace_back();
      chains[it->second].push_back(i);
      last_chain = it->second;
      continue;
    }
    ScanFile f;
    f.file = std::move(files[i]);
    f.index = i;
    const bool small =
        f.file.bytes > 0 && f.file.bytes <= kBatchFileBytes && !f.file.identifier.empty();
    if (!small) {
      std::vector<ScanFile> one;
      one.push_back(std::move(f));
      sources_.push_back(std::make_unique<ScanCursor>(std::move(one)));
      continue;
    }
    if (batch.size() >= kBatchFiles || batch_bytes + f.file.bytes > kBatchBytes ||
        idents.count(f.file.identifier) != 0) {
      flush();
    }
    batch_bytes += f.file.bytes;
    idents.insert(f.file.identifier);
    batch.push_back(std::move(f));
  }
  flush();
  chain_of_path.clear();  // its views die with the entries moved below
  for (std::vector<std::size_t>& members : chains) {
    std::sort(members.begin(), members.end());
    std::vector<CatalogFile> entries;
    entries.reserve(members.size());
    for (std::size_t i : members) entries.push_back(std::move(files[i]));
    sources_.push_back(std::make_unique<ScanCursor>(std::move(entries), std::move(members)));
  }
  for (std::size_t i = 0; i < sources_.size(); ++i) order_.push_back(i);
  SortPending();
}

Status MergeReader::Next(std::vector<MarketData>& out, std::size_t max_items) {
  out.clear();
  if (failed_) return MakeError(error_);
  if (max_items == 0) max_items = 1;
  while (out.size() < max_items) {
    // Open every pending scan that may hold data at or before the earliest open row.
    while (pending_ < order_.size() &&
           (heap_.empty() || sources_[order_[pending_]]->start() <= heap_.top().ts)) {
      if (Status s = OpenSource(order_[pending_++]); !s) return Fail(s);
    }
    if (heap_.empty()) break;
    // The earliest scan emits until it passes the next one; it stays on top meanwhile and
    // then moves down once (or leaves when done).
    const Entry top = heap_.top();
    ScanCursor& c = *sources_[top.source];
    const UnixNanos pend_start =
        pending_ < order_.size() ? sources_[order_[pending_]]->start() : UnixNanos(kMaxTs);
    const Entry* second = heap_.second();
    const bool has_next = second != nullptr;
    const Entry next = has_next ? *second : Entry{UnixNanos(kMaxTs), 0, 0};
    for (;;) {
      if (Status s = c.Emit(out); !s) return Fail(s);
      ++stats_.rows;
      if (Status s = c.Advance(); !s) return Fail(s);
      if (c.done()) {
        stats_.open_files -= c.file_count();
        c.Release();
        heap_.pop();
        break;
      }
      const UnixNanos t = c.ts();
      const std::size_t index = c.index();
      const bool after_next = has_next && (t > next.ts || (t == next.ts && index > next.index));
      if (t >= pend_start || after_next || out.size() >= max_items) {
        heap_.replace_top(Entry{t, index, top.source});
        break;
      }
    }
  }
  return Status::Ok();
}

void MergeReader::SortPending() {
  std::stable_sort(order_.begin() + static_cast<std::ptrdiff_t>(pending_), order_.end(),
                   [&](std::size_t a, std::size_t b) {
                     const ScanCursor& x = *sources_[a];
                     const ScanCursor& y = *sources_[b];
                     return x.start() < y.start() ||
                            (x.start() == y.start() && x.first_index() < y.first_index());
                   });
}

Result<duck::Database*> MergeReader::DuckDb() {
  if (db_ != nullptr) return db_.get();
  db_failed_ = true;  // until it is open
  auto db = duck::Database::Open("", query_.threads);
  if (!db) return MakeError(db.error());
  // DuckDB's buffers may otherwise grow to 80% of the machine's memory (a cap costs speed:
  // DuckDB then evicts more eagerly).
  auto con = duck::Connection::Connect(**db);
  if (!con) return MakeError(con.error());
  if (query_.memory_limit_mb > 0) {
    if (Status s =
            (*con)->Execute(fmt::format("SET memory_limit = '{}MB'", query_.memory_limit_mb));
        !s) {
      return MakeError(s.error());
    }
  }
  db_ = std::move(*db);
  db_failed_ = false;
  stats_.duckdb_opened = true;
  return db_.get();
}

Status MergeReader::OpenSource(std::size_t si) {
  ScanCursor& c = *sources_[si];
  if (Status s = c.Open([this] { return DuckDb(); }, query_, stats_); !s) {
    // DuckDB itself failing puts no file at fault: nothing to split.
    if (!c.batched() || db_failed_) return s;
    // Scan the batch's files one by one instead (the one at fault is then named).
    std::vector<ScanFile> files = c.TakeFiles();
    for (ScanFile& f : files) {
      std::vector<ScanFile> one;
      one.push_back(std::move(f));
      sources_.push_back(std::make_unique<ScanCursor>(std::move(one)));
      order_.insert(order_.begin() + static_cast<std::ptrdiff_t>(pending_), sources_.size() - 1);
    }
    SortPending();
    ++stats_.batches_split;
    return Status::Ok();
  }
  if (c.batched()) ++stats_.batches;
  if (!c.done()) {
    heap_.push(Entry{c.ts(), c.index(), si});
    stats_.open_files += c.file_count();
    stats_.max_open_files = std::max(stats_.max_open_files, stats_.open_files);
  } else {
    c.Release();
  }
  return Status::Ok();
}

Status MergeReader::Fail(const Status& s) {
  failed_ = true;
  error_ = s.error();
  for (auto& c : sources_) {
    if (!c->done()) c->Close();
  }
  return s;
}

}  // namespace catalog_detail

using catalog_detail::MergeReader;
using catalog_detail::PrefetchReader;

Result<std::unique_ptr<DataStream>> ReadParquetFiles(CatalogDataType type,
                                                     std::vector<CatalogFile> files,
                                                     const CatalogQuery& query) {
  // Kept files are moved forward in place (a chain catalog lists hundreds of thousands of
  // entries: no second list).
  std::size_t kept = 0;
  std::unordered_set<std::string> present;  // a chain file lists once per instrument it holds
  for (CatalogFile& f : files) {
    f.type = type;
    if (query.start && f.end < *query.start) continue;
    if (query.end && f.start > *query.end) continue;
    std::error_code ec;
    if (!f.chain || !present.contains(f.path)) {
      if (!fs::exists(f.path, ec)) return MakeError(fmt::format("{}: no such file", f.path));
      if (f.chain) present.insert(f.path);
    }
    if (f.bytes == 0 && !f.identifier.empty()) {  // without an identifier it is never batched
      const auto n = fs::file_size(f.path, ec);
      f.bytes = ec ? 0 : static_cast<std::uint64_t>(n);
    }
    if (&files[kept] != &f) files[kept] = std::move(f);
    ++kept;
  }
  files.resize(kept);
  auto merge = std::make_unique<MergeReader>(std::move(files), query);
  if (!query.prefetch) return std::unique_ptr<DataStream>(std::move(merge));
  return std::unique_ptr<DataStream>(std::make_unique<PrefetchReader>(std::move(merge)));
}

Result<std::unique_ptr<DataStream>> Catalog::Read(const CatalogQuery& query) const {
  auto files = Files(query.type, query.instruments, query.binary_cache);
  if (!files) return MakeError(files.error());
  return Read(query, std::move(*files));
}

Result<std::unique_ptr<DataStream>> Catalog::Read(const CatalogQuery& query,
                                                  std::vector<CatalogFile> listed) const {
  if (Status s = CheckLayoutsDisjoint(listed, query); !s) return MakeError(s.error());
  CatalogQuery q = query;
  if (q.binary_cache) q.catalog_root = root_;
  return ReadParquetFiles(query.type, std::move(listed), q);
}

CatalogReaderStats ReaderStats(const DataStream& stream) {
  if (const auto* m = dynamic_cast<const MergeReader*>(&stream)) return m->stats();
  if (const auto* p = dynamic_cast<const PrefetchReader*>(&stream)) return p->stats();
  return {};
}

}  // namespace nacre
