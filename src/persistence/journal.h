// Journal: the live node's crash-safe write-ahead record (LIVE.md §6), one SQLite file per
// trader (`state/{trader_id}/journal.sqlite`, the caller gives the path). It holds the runs,
// an append-only gapless sequence of entries (commands with their intent, order events,
// account and reconciliation records: JSON bodies from journal_codec.h), the tag map (venue
// tag -> client order id -> venue order id), counters, and snapshots that bound replay.
//
// Durability: WAL, synchronous=FULL, locking_mode=EXCLUSIVE. Writes made between two
// Commit() calls form one group (one explicit transaction, begun lazily by the first write);
// Commit() makes the group durable with one fsync and is a no-op when nothing was written.
// Entries appended but not committed are gone after a crash: the node releases an iteration's
// outbox only after Commit() returned. Closing (the destructor) rolls an open group back.
//
// Exclusivity: Open() takes a non-blocking flock on `PATH.lock` and writes its pid there, so
// a second process (or a second Open in this one) is refused with the holder's pid. The lock
// is released when the journal is destroyed or the process dies.
//
// Fail-stop: after any error (SQLite, I/O, a UNIQUE violation, a caller mistake) the journal
// is failed: that call and every later one return the first error, and the open group is
// rolled back. The caller must drop its outbox (its intents are not durable), set trading to
// HALTED, alert, and send nothing more. A replayed fill is NOT an error: Append() of an
// OrderFilled whose (venue_order_id, trade_id) is already journaled appends nothing and
// returns {seq of the first, duplicate = true}, so the caller ignores it (a duplicate fill is
// normal after a reconnect and must not double-count).
//
// Secrets: nothing here holds or may be given an API key, access token or password; the file
// is copied, exported and attached to bug reports.
//
// Thread contract: single-threaded (the kernel thread); not copyable or movable.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "model/identifiers.h"
#include "persistence/journal_entry.h"

struct sqlite3;
struct sqlite3_stmt;

namespace nacre {

// PRAGMA application_id of a Nacre journal ("NCJL") and the schema version in user_version.
inline constexpr std::int32_t kJournalApplicationId = 0x4E434A4C;
inline constexpr int kJournalSchemaVersion = 1;

enum class JournalSync : std::uint8_t {
  kFull,    // fsync per commit: the only setting for live trading
  kNormal,  // WAL without fsync per commit: benchmarks and tests only, not power-loss safe
};

struct JournalOptions {
  bool create_if_missing = true;  // false: a missing file is kNotFound (the CLI)
  JournalSync sync = JournalSync::kFull;
  bool quick_check = true;  // PRAGMA quick_check at open
};

struct JournalRun {
  std::int64_t run_id = 0;
  UnixNanos started;
  std::string build_id;
  std::string config_hash;
  bool clean_stop = false;
};

struct AppendResult {
  std::int64_t seq = 0;    // the entry's sequence number (or the first fill's, if duplicate)
  bool duplicate = false;  // an OrderFilled already journaled: nothing appended
};

struct CommitInfo {
  bool committed = false;      // false: nothing was written since the last commit (no-op)
  std::size_t entries = 0;     // entries in this group
  std::int64_t first_seq = 0;  // of this group's entries (0 when none)
  std::int64_t last_seq = 0;
};

struct TagRow {
  std::string tag;
  ClientOrderId client_order_id;
  VenueOrderId venue_order_id;  // empty until known
};

struct JournalSnapshot {
  std::int64_t seq = 0;  // the last entry the snapshot covers; replay starts after it
  std::string body;
};

// What Verify() found. Problems are facts about the file, not journal errors.
struct VerifyReport {
  std::string integrity = "ok";  // integrity_check's first line
  std::int64_t entries = 0;
  std::int64_t last_seq = 0;
  std::int64_t runs = 0;
  std::int64_t commands = 0;
  std::int64_t events = 0;  // order events replayed
  std::int64_t fills = 0;
  std::int64_t other = 0;  // entries of other kinds (bodies checked as JSON objects only)
  std::int64_t orders = 0;
  std::int64_t open_orders = 0;  // not in a terminal state after replay
  std::int64_t problems = 0;
  std::int64_t first_problem_seq = 0;  // 0: not tied to an entry (integrity)
  std::string first_problem;
  bool ok() const { return problems == 0; }
};

class Journal {
 public:
  // Opens (or creates) the journal at `path`. Refused, with the reason and the path: another
  // holder of the lock (with its pid), a file that is not a Nacre journal, a newer schema, a
  // damaged file (SQLite's message), a missing file when !create_if_missing.
  static Result<std::unique_ptr<Journal>> Open(const std::string& path,
                                               const JournalOptions& options = {});
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  const std::string& path() const { return path_; }
  // The first error, if the journal has failed.
  const Status& failure() const { return failure_; }
  bool failed() const { return !failure_.ok(); }

  // Starts a run (one per process start) and commits it with anything pending; later entries
  // belong to it. `started` comes from the caller's clock.
  Result<std::int64_t> BeginRun(UnixNanos started, std::string_view build_id,
                                std::string_view config_hash);
  std::int64_t run_id() const { return run_id_; }

  // Adds an entry to the current group (BeginRun first). An OrderFilled needs a venue order
  // id and a trade id; one already journaled is reported as duplicate (see above).
  Result<AppendResult> Append(const JournalEntry& entry);
  // Makes the group durable (one fsync). A no-op when nothing was written.
  Result<CommitInfo> Commit();
  // The last sequence number handed out, committed or not (0 when empty).
  std::int64_t last_seq() const { return next_seq_ - 1; }

  // Tag map, written in the current group. UNIQUE violations are errors naming the ids.
  Status MapTag(std::string_view tag, const ClientOrderId& client_order_id);
  // Records the venue's order id once known; setting the same id again is a no-op, a
  // different one is an error.
  Status SetVenueOrderId(const ClientOrderId& client_order_id, const VenueOrderId& venue_order_id);
  Status SetVenueOrderIdForTag(std::string_view tag, const VenueOrderId& venue_order_id);
  Result<std::optional<TagRow>> LookupTag(std::string_view tag);
  Result<std::optional<TagRow>> LookupClientOrderId(const ClientOrderId& client_order_id);
  Result<std::optional<TagRow>> LookupVenueOrderId(const VenueOrderId& venue_order_id);
  Result<std::int64_t> TagCount();

  // Counters (OrderFactory counts, tag sequence), written in the current group.
  Status SetCounter(std::string_view name, std::int64_t value);
  Result<std::map<std::string, std::int64_t>> Counters();

  // A snapshot covering every entry so far (seq = last_seq()), written in the current group;
  // a second snapshot at the same seq replaces the first. Returns its seq.
  Result<std::int64_t> SaveSnapshot(std::string_view body);
  Result<std::optional<JournalSnapshot>> LatestSnapshot();

  // Entries with seq > after_seq in seq order (including the current group's). `fn` returns
  // false to stop early.
  Status ForEachEntry(std::int64_t after_seq, const std::function<bool(const StoredEntry&)>& fn);
  Result<std::vector<StoredEntry>> ReadEntries(std::int64_t after_seq,
                                               std::size_t limit = SIZE_MAX);
  // The seq of the OrderFilled with these ids, if journaled.
  Result<std::optional<std::int64_t>> FindFill(std::string_view venue_order_id,
                                               std::string_view trade_id);

  // Shutdown: commits the group, sets the current run's clean_stop, commits, and truncates
  // the WAL into the main file (wal_checkpoint(TRUNCATE)).
  Status MarkCleanStop();
  Result<std::vector<JournalRun>> Runs();

  // integrity_check, gapless seq from 1, unique and complete fill ids, every body decodes,
  // and the order events replayed per client order id through Order::Apply without a
  // state-machine error (journal_verify.cpp). An error only when the file cannot be read.
  Result<VerifyReport> Verify();

 private:
  class Stmt;
  Journal(std::string path, int lock_fd, sqlite3* db);

  Status Init(const JournalOptions& options, bool created);
  Status Exec(const char* sql);
  Result<sqlite3_stmt*> Prepare(const char* sql);
  Status BeginGroup();
  // Records the first failure (fail-stop) and rolls the group back; returns it.
  Status Fail(Error error);
  Status SqlError(std::string_view what);
  Result<std::optional<TagRow>> LookupBy(const char* sql, std::string_view key);
  Status SetVenueOrderIdWhere(const char* column, std::string_view key,
                              const VenueOrderId& venue_order_id);

  std::string path_;
  int lock_fd_ = -1;
  sqlite3* db_ = nullptr;
  Status failure_;
  bool in_group_ = false;
  std::int64_t next_seq_ = 1;
  std::int64_t group_first_seq_ = 0;
  std::size_t group_entries_ = 0;
  std::int64_t run_id_ = 0;
  std::map<std::string, sqlite3_stmt*, std::less<>> statements_;  // by SQL text
};

}  // namespace nacre
