#include "persistence/journal.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace nacre {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE runs(
  run_id INTEGER PRIMARY KEY,
  started INTEGER NOT NULL,
  build_id TEXT NOT NULL,
  config_hash TEXT NOT NULL,
  clean_stop INTEGER NOT NULL DEFAULT 0) STRICT;
CREATE TABLE entries(
  seq INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL,
  ts_wall INTEGER NOT NULL,
  ts_kernel INTEGER NOT NULL,
  kind TEXT NOT NULL,
  client_order_id TEXT,
  venue_order_id TEXT,
  trade_id TEXT,
  body TEXT NOT NULL CHECK (json_valid(body))) STRICT;
CREATE UNIQUE INDEX entries_fill ON entries(venue_order_id, trade_id) WHERE kind = 'OrderFilled';
CREATE INDEX entries_client_order ON entries(client_order_id) WHERE client_order_id IS NOT NULL;
CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
  BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
  BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;
CREATE TABLE tags(
  tag TEXT PRIMARY KEY,
  client_order_id TEXT NOT NULL UNIQUE,
  venue_order_id TEXT UNIQUE) STRICT;
CREATE TABLE counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
CREATE TABLE snapshots(seq INTEGER PRIMARY KEY, body TEXT NOT NULL CHECK (json_valid(body))) STRICT;
)sql";

constexpr std::string_view kFillKind = "OrderFilled";

ErrorCode CodeOf(int rc) {
  switch (rc & 0xFF) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return ErrorCode::kCorruption;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
      return ErrorCode::kIo;
    case SQLITE_CONSTRAINT:
      return ErrorCode::kInvalidInput;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorCode::kUnavailable;
    default:
      return ErrorCode::kInternal;
  }
}

const char* Chars(std::string_view s) { return s.empty() ? "" : s.data(); }

std::string ColumnText(sqlite3_stmt* s, int col) {
  const auto* p = sqlite3_column_text(s, col);
  return p == nullptr ? std::string()
                      : std::string(reinterpret_cast<const char*>(p),
                                    static_cast<std::size_t>(sqlite3_column_bytes(s, col)));
}

// Runs a statement that returns one row of one value (PRAGMA reads, counts).
Result<std::int64_t> QueryInt(sqlite3* db, const char* sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
  std::int64_t v = 0;
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
  }
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW) return MakeError(CodeOf(sqlite3_errcode(db)), sqlite3_errmsg(db));
  return v;
}

}  // namespace

// A cached prepared statement, reset and unbound when the guard goes out of scope.
class Journal::Stmt {
 public:
  Stmt(Journal& j, const char* sql) {
    auto p = j.Prepare(sql);
    if (p) s_ = *p;
  }
  ~Stmt() {
    if (s_ != nullptr) {
      sqlite3_reset(s_);
      sqlite3_clear_bindings(s_);
    }
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return s_ != nullptr; }
  Stmt& Int(std::int64_t v) {
    sqlite3_bind_int64(s_, ++index_, v);
    return *this;
  }
  Stmt& Text(std::string_view v) {
    sqlite3_bind_text(s_, ++index_, Chars(v), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // Empty text is stored as NULL (an id not known yet; NULLs never collide in UNIQUE).
  Stmt& TextOrNull(std::string_view v) {
    if (v.empty()) {
      sqlite3_bind_null(s_, ++index_);
      return *this;
    }
    return Text(v);
  }
  int Step() { return sqlite3_step(s_); }
  std::int64_t ColInt(int c) const { return sqlite3_column_int64(s_, c); }
  std::string ColText(int c) const { return ColumnText(s_, c); }

 private:
  sqlite3_stmt* s_ = nullptr;
  int index_ = 0;
};

Journal::Journal(std::string path, int lock_fd, sqlite3* db)
    : path_(std::move(path)), lock_fd_(lock_fd), db_(db) {}

Journal::~Journal() {
  for (auto& [sql, s] : statements_) sqlite3_finalize(s);
  if (db_ != nullptr) {
    if (in_group_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close_v2(db_);
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

Result<std::unique_ptr<Journal>> Journal::Open(const std::string& path,
                                               const JournalOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const bool exists = fs::exists(path, ec);
  if (!exists && !options.create_if_missing) {
    return MakeError(ErrorCode::kNotFound, fmt::format("journal {}: no such file", path));
  }
  if (!exists) {
    const fs::path parent = fs::path(path).parent_path();
    if (!parent.empty() && !fs::create_directories(parent, ec) && ec) {
      return MakeError(ErrorCode::kIo, fmt::format("journal {}: cannot create folder {}: {}", path,
                                                   parent.string(), ec.message()));
    }
  }
  // The lock comes before SQLite touches the file, so a second process never opens it.
  const std::string lock_path = path + ".lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return MakeError(ErrorCode::kIo, fmt::format("journal {}: cannot open lock file {}: {}", path,
                                                 lock_path, std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
    std::string holder(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return MakeError(ErrorCode::kUnavailable,
                       fmt::format("journal {} is in use by another process{} (lock file {})", path,
                                   holder.empty() ? "" : " (pid " + holder + ")", lock_path));
    }
    return MakeError(ErrorCode::kIo, fmt::format("journal {}: cannot lock {}: {}", path, lock_path,
                                                 std::strerror(err)));
  }
  const std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int err = errno;
    ::close(fd);
    return MakeError(ErrorCode::kIo, fmt::format("journal {}: cannot write lock file {}: {}", path,
                                                 lock_path, std::strerror(err)));
  }
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (exists ? 0 : SQLITE_OPEN_CREATE);
  if (const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr); rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    ::close(fd);
    return MakeError(CodeOf(rc), fmt::format("journal {}: cannot open: {}", path, msg));
  }
  sqlite3_extended_result_codes(db, 1);
  std::unique_ptr<Journal> j(new Journal(path, fd, db));
  if (Status s = j->Init(options, !exists); !s) return Error{s.error(), s.code()};
  return j;
}

Status Journal::Init(const JournalOptions& options, bool created) {
  // EXCLUSIVE before WAL: SQLite then keeps the WAL index in memory (no -shm file).
  if (Status s = Exec("PRAGMA locking_mode=EXCLUSIVE"); !s) return s;
  if (Status s = Exec("PRAGMA journal_mode=WAL"); !s) return s;
  if (Status s = Exec(options.sync == JournalSync::kFull ? "PRAGMA synchronous=FULL"
                                                         : "PRAGMA synchronous=NORMAL");
      !s) {
    return s;
  }
  auto app = QueryInt(db_, "PRAGMA application_id");
  auto version = QueryInt(db_, "PRAGMA user_version");
  auto objects = QueryInt(db_, "SELECT COUNT(*) FROM sqlite_schema");
  for (const auto* r : {&app, &version, &objects}) {
    if (!*r) return Fail(MakeError(r->code(), fmt::format("journal {}: {}", path_, r->error())));
  }
  if (*app == 0 && *version == 0 && *objects == 0) {
    // A new (or empty) file: the schema and its version in one transaction.
    if (Status s = Exec("BEGIN IMMEDIATE"); !s) return s;
    in_group_ = true;
    if (Status s = Exec(kSchema); !s) return s;
    if (Status s = Exec(fmt::format("PRAGMA application_id={}", kJournalApplicationId).c_str());
        !s) {
      return s;
    }
    if (Status s = Exec(fmt::format("PRAGMA user_version={}", kJournalSchemaVersion).c_str()); !s) {
      return s;
    }
    if (Status s = Exec("COMMIT"); !s) return s;
    in_group_ = false;
  } else if (*app != kJournalApplicationId) {
    return Fail(MakeError(ErrorCode::kInvalidInput,
                          fmt::format("{} is not a Nacre journal (application_id {:#x}, expected "
                                      "{:#x})",
                                      path_, *app, kJournalApplicationId)));
  } else if (*version > kJournalSchemaVersion) {
    return Fail(MakeError(ErrorCode::kFailedPrecondition,
                          fmt::format("journal {} has schema version {}, newer than this build's "
                                      "{}: open it with a newer nacre",
                                      path_, *version, kJournalSchemaVersion)));
  } else if (*version < 1) {
    return Fail(
        MakeError(ErrorCode::kCorruption,
                  fmt::format("journal {}: schema version {} is not valid", path_, *version)));
  }
  if (options.quick_check && !created) {
    sqlite3_stmt* s = nullptr;
    std::string found;
    int rc = sqlite3_prepare_v2(db_, "PRAGMA quick_check(5)", -1, &s, nullptr);
    while (rc == SQLITE_OK || rc == SQLITE_ROW) {
      rc = sqlite3_step(s);
      if (rc != SQLITE_ROW) break;
      if (!found.empty()) found += "; ";
      found += ColumnText(s, 0);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) return SqlError("quick_check");
    if (found != "ok") {
      return Fail(MakeError(ErrorCode::kCorruption,
                            fmt::format("journal {} is damaged (quick_check: {})", path_, found)));
    }
  }
  auto last = QueryInt(db_, "SELECT COALESCE(MAX(seq), 0) FROM entries");
  if (!last) return SqlError("reading the last seq");
  next_seq_ = *last + 1;
  return Status::Ok();
}

Status Journal::Exec(const char* sql) {
  char* msg = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &msg);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string text = msg != nullptr ? msg : sqlite3_errstr(rc);
  sqlite3_free(msg);
  std::string_view what(sql);
  what = what.substr(0, what.find_first_of("(\n"));
  return Fail(MakeError(CodeOf(rc), fmt::format("journal {}: {}: {}", path_, what, text)));
}

Result<sqlite3_stmt*> Journal::Prepare(const char* sql) {
  if (auto it = statements_.find(std::string_view(sql)); it != statements_.end()) {
    return it->second;
  }
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) {
    Status f = SqlError("preparing a statement");
    return Error{f.error(), f.code()};
  }
  statements_.emplace(sql, s);
  return s;
}

Status Journal::Fail(Error error) {
  if (failure_.ok()) failure_ = Status(std::move(error));
  if (in_group_) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    in_group_ = false;
  }
  return failure_;
}

Status Journal::SqlError(std::string_view what) {
  return Fail(MakeError(CodeOf(sqlite3_extended_errcode(db_)),
                        fmt::format("journal {}: {}: {}", path_, what, sqlite3_errmsg(db_))));
}

Status Journal::BeginGroup() {
  if (in_group_) return Status::Ok();
  if (Status s = Exec("BEGIN IMMEDIATE"); !s) return s;
  in_group_ = true;
  group_entries_ = 0;
  group_first_seq_ = 0;
  return Status::Ok();
}

Result<std::int64_t> Journal::BeginRun(UnixNanos started, std::string_view build_id,
                                       std::string_view config_hash) {
  if (failed()) return Error{failure_.error(), failure_.code()};
  auto fail = [this](Status s) -> Result<std::int64_t> { return Error{s.error(), s.code()}; };
  if (Status s = BeginGroup(); !s) return fail(s);
  {
    Stmt st(*this, "INSERT INTO runs(started, build_id, config_hash) VALUES(?, ?, ?)");
    if (!st.ok()) return fail(failure_);
    if (st.Int(started.value).Text(build_id).Text(config_hash).Step() != SQLITE_DONE) {
      return fail(SqlError("starting a run"));
    }
  }
  const std::int64_t run = sqlite3_last_insert_rowid(db_);
  if (auto c = Commit(); !c) return Error{c.error(), c.code()};
  run_id_ = run;
  return run;
}

Result<std::optional<std::int64_t>> Journal::FindFill(std::string_view venue_order_id,
                                                      std::string_view trade_id) {
  if (failed()) return Error{failure_.error(), failure_.code()};
  // The literal kind lets SQLite use the partial UNIQUE index.
  Stmt st(*this,
          "SELECT seq FROM entries WHERE kind = 'OrderFilled' AND venue_order_id = ? AND "
          "trade_id = ?");
  if (!st.ok()) return Error{failure_.error(), failure_.code()};
  const int rc = st.Text(venue_order_id).Text(trade_id).Step();
  if (rc == SQLITE_ROW) return std::optional<std::int64_t>(st.ColInt(0));
  if (rc == SQLITE_DONE) return std::optional<std::int64_t>();
  Status s = SqlError("looking up a fill");
  return Error{s.error(), s.code()};
}

Result<AppendResult> Journal::Append(const JournalEntry& e) {
  auto fail = [](const Status& s) -> Result<AppendResult> { return Error{s.error(), s.code()}; };
  if (failed()) return fail(failure_);
  if (run_id_ == 0) {
    return fail(Fail(MakeError(ErrorCode::kFailedPrecondition,
                               fmt::format("journal {}: Append before BeginRun", path_))));
  }
  if (e.kind.empty()) {
    return fail(Fail(MakeError(ErrorCode::kInvalidInput,
                               fmt::format("journal {}: an entry without a kind (client order "
                                           "id '{}')",
                                           path_, e.client_order_id))));
  }
  const bool fill = e.kind == kFillKind;
  if (fill && (e.venue_order_id.empty() || e.trade_id.empty())) {
    return fail(
        Fail(MakeError(ErrorCode::kInvalidInput,
                       fmt::format("journal {}: OrderFilled for client order id '{}' without {}",
                                   path_, e.client_order_id,
                                   e.venue_order_id.empty() ? "a venue order id" : "a trade id"))));
  }
  if (fill) {
    // Looked up first, so a replayed fill alone does not even open a group.
    auto found = FindFill(e.venue_order_id, e.trade_id);
    if (!found) return fail(failure_);
    if (*found) return AppendResult{**found, true};
  }
  if (Status s = BeginGroup(); !s) return fail(s);
  const std::int64_t seq = next_seq_;
  Stmt st(*this,
          "INSERT INTO entries(seq, run_id, ts_wall, ts_kernel, kind, client_order_id, "
          "venue_order_id, trade_id, body) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!st.ok()) return fail(failure_);
  st.Int(seq).Int(run_id_).Int(e.ts_wall.value).Int(e.ts_kernel.value).Text(e.kind);
  st.TextOrNull(e.client_order_id).TextOrNull(e.venue_order_id).TextOrNull(e.trade_id);
  if (st.Text(e.body).Step() != SQLITE_DONE) {
    return fail(SqlError(fmt::format("appending seq {} ({}, client order id '{}')", seq, e.kind,
                                     e.client_order_id)));
  }
  if (group_entries_ == 0) group_first_seq_ = seq;
  ++group_entries_;
  ++next_seq_;
  return AppendResult{seq, false};
}

Result<CommitInfo> Journal::Commit() {
  if (failed()) return Error{failure_.error(), failure_.code()};
  if (!in_group_) return CommitInfo{};
  CommitInfo info{true, group_entries_, group_first_seq_,
                  group_entries_ == 0 ? 0 : group_first_seq_ + std::int64_t(group_entries_) - 1};
  if (Status s = Exec("COMMIT"); !s) return Error{s.error(), s.code()};
  in_group_ = false;
  group_entries_ = 0;
  group_first_seq_ = 0;
  return info;
}

Result<std::optional<TagRow>> Journal::LookupBy(const char* sql, std::string_view key) {
  if (failed()) return Error{failure_.error(), failure_.code()};
  Stmt st(*this, sql);
  if (!st.ok()) return Error{failure_.error(), failure_.code()};
  const int rc = st.Text(key).Step();
  if (rc == SQLITE_DONE) return std::optional<TagRow>();
  if (rc != SQLITE_ROW) {
    Status s = SqlError("reading the tag map");
    return Error{s.error(), s.code()};
  }
  return std::optional<TagRow>(
      TagRow{st.ColText(0), ClientOrderId(st.ColText(1)), VenueOrderId(st.ColText(2))});
}

Result<std::optional<TagRow>> Journal::LookupTag(std::string_view tag) {
  return LookupBy("SELECT tag, client_order_id, venue_order_id FROM tags WHERE tag = ?", tag);
}
Result<std::optional<TagRow>> Journal::LookupClientOrderId(const ClientOrderId& id) {
  return LookupBy("SELECT tag, client_order_id, venue_order_id FROM tags WHERE client_order_id = ?",
                  id.value());
}
Result<std::optional<TagRow>> Journal::LookupVenueOrderId(const VenueOrderId& id) {
  return LookupBy("SELECT tag, client_order_id, venue_order_id FROM tags WHERE venue_order_id = ?",
                  id.value());
}

Result<std::int64_t> Journal::TagCount() {
  if (failed()) return Error{failure_.error(), failure_.code()};
  auto n = QueryInt(db_, "SELECT COUNT(*) FROM tags");
  if (!n) {
    Status s = SqlError("counting tags");
    return Error{s.error(), s.code()};
  }
  return n;
}

Status Journal::MapTag(std::string_view tag, const ClientOrderId& client_order_id) {
  if (failed()) return failure_;
  if (tag.empty() || client_order_id.empty()) {
    return Fail(MakeError(ErrorCode::kInvalidInput,
                          fmt::format("journal {}: MapTag needs a tag and a client order id "
                                      "(tag '{}', client order id '{}')",
                                      path_, tag, client_order_id.value())));
  }
  auto by_tag = LookupTag(tag);
  if (!by_tag) return failure_;
  if (*by_tag) {
    if ((*by_tag)->client_order_id == client_order_id) return Status::Ok();  // already mapped
    return Fail(MakeError(
        ErrorCode::kInvalidInput,
        fmt::format("journal {}: tag '{}' is already mapped to client order id "
                    "'{}', not '{}'",
                    path_, tag, (*by_tag)->client_order_id.value(), client_order_id.value())));
  }
  auto by_id = LookupClientOrderId(client_order_id);
  if (!by_id) return failure_;
  if (*by_id) {
    return Fail(MakeError(ErrorCode::kInvalidInput,
                          fmt::format("journal {}: client order id '{}' already has tag '{}', not "
                                      "'{}'",
                                      path_, client_order_id.value(), (*by_id)->tag, tag)));
  }
  if (Status s = BeginGroup(); !s) return s;
  Stmt st(*this, "INSERT INTO tags(tag, client_order_id) VALUES(?, ?)");
  if (!st.ok()) return failure_;
  if (st.Text(tag).Text(client_order_id.value()).Step() != SQLITE_DONE) {
    return SqlError(
        fmt::format("mapping tag '{}' to client order id '{}'", tag, client_order_id.value()));
  }
  return Status::Ok();
}

Status Journal::SetVenueOrderId(const ClientOrderId& client_order_id,
                                const VenueOrderId& venue_order_id) {
  return SetVenueOrderIdWhere("client_order_id", client_order_id.value(), venue_order_id);
}
Status Journal::SetVenueOrderIdForTag(std::string_view tag, const VenueOrderId& venue_order_id) {
  return SetVenueOrderIdWhere("tag", tag, venue_order_id);
}

Status Journal::SetVenueOrderIdWhere(const char* column, std::string_view key,
                                     const VenueOrderId& venue_order_id) {
  if (failed()) return failure_;
  const bool by_tag = std::string_view(column) == "tag";
  const std::string what = fmt::format("{} '{}'", by_tag ? "tag" : "client order id", key);
  if (venue_order_id.empty()) {
    return Fail(MakeError(ErrorCode::kInvalidInput,
                          fmt::format("journal {}: an empty venue order id for {}", path_, what)));
  }
  auto row = by_tag ? LookupTag(key) : LookupClientOrderId(ClientOrderId(key));
  if (!row) return failure_;
  if (!*row) {
    return Fail(MakeError(ErrorCode::kNotFound,
                          fmt::format("journal {}: no tag map row for {} (venue order id '{}')",
                                      path_, what, venue_order_id.value())));
  }
  const TagRow& r = **row;
  if (r.venue_order_id == venue_order_id) return Status::Ok();
  if (!r.venue_order_id.empty()) {
    return Fail(
        MakeError(ErrorCode::kInvalidInput,
                  fmt::format("journal {}: {} already has venue order id '{}', not '{}'", path_,
                              what, r.venue_order_id.value(), venue_order_id.value())));
  }
  auto other = LookupVenueOrderId(venue_order_id);
  if (!other) return failure_;
  if (*other) {
    return Fail(MakeError(ErrorCode::kInvalidInput,
                          fmt::format("journal {}: venue order id '{}' already belongs to client "
                                      "order id '{}' (tag '{}'), not {}",
                                      path_, venue_order_id.value(),
                                      (*other)->client_order_id.value(), (*other)->tag, what)));
  }
  if (Status s = BeginGroup(); !s) return s;
  Stmt st(*this, "UPDATE tags SET venue_order_id = ? WHERE tag = ?");
  if (!st.ok()) return failure_;
  if (st.Text(venue_order_id.value()).Text(r.tag).Step() != SQLITE_DONE) {
    return SqlError(
        fmt::format("setting venue order id '{}' for {}", venue_order_id.value(), what));
  }
  return Status::Ok();
}

Status Journal::SetCounter(std::string_view name, std::int64_t value) {
  if (failed()) return failure_;
  if (Status s = BeginGroup(); !s) return s;
  Stmt st(*this,
          "INSERT INTO counters(name, value) VALUES(?, ?) "
          "ON CONFLICT(name) DO UPDATE SET value = excluded.value");
  if (!st.ok()) return failure_;
  if (st.Text(name).Int(value).Step() != SQLITE_DONE) {
    return SqlError(fmt::format("setting counter '{}'", name));
  }
  return Status::Ok();
}

Result<std::map<std::string, std::int64_t>> Journal::Counters() {
  if (failed()) return Error{failure_.error(), failure_.code()};
  Stmt st(*this, "SELECT name, value FROM counters ORDER BY name");
  if (!st.ok()) return Error{failure_.error(), failure_.code()};
  std::map<std::string, std::int64_t> out;
  int rc = 0;
  while ((rc = st.Step()) == SQLITE_ROW) out.emplace(st.ColText(0), st.ColInt(1));
  if (rc != SQLITE_DONE) {
    Status s = SqlError("reading counters");
    return Error{s.error(), s.code()};
  }
  return out;
}

Result<std::int64_t> Journal::SaveSnapshot(std::string_view body) {
  if (failed()) return Error{failure_.error(), failure_.code()};
  const std::int64_t seq = last_seq();
  auto fail = [](const Status& s) -> Result<std::int64_t> { return Error{s.error(), s.code()}; };
  if (Status s = BeginGroup(); !s) return fail(s);
  Stmt st(*this, "INSERT OR REPLACE INTO snapshots(seq, body) VALUES(?, ?)");
  if (!st.ok()) return fail(failure_);
  if (st.Int(seq).Text(body).Step() != SQLITE_DONE) {
    return fail(SqlError(fmt::format("saving the snapshot at seq {}", seq)));
  }
  return seq;
}

Result<std::optional<JournalSnapshot>> Journal::LatestSnapshot() {
  if (failed()) return Error{failure_.error(), failure_.code()};
  Stmt st(*this, "SELECT seq, body FROM snapshots ORDER BY seq DESC LIMIT 1");
  if (!st.ok()) return Error{failure_.error(), failure_.code()};
  const int rc = st.Step();
  if (rc == SQLITE_DONE) return std::optional<JournalSnapshot>();
  if (rc != SQLITE_ROW) {
    Status s = SqlError("reading the latest snapshot");
    return Error{s.error(), s.code()};
  }
  return std::optional<JournalSnapshot>(JournalSnapshot{st.ColInt(0), st.ColText(1)});
}

Status Journal::ForEachEntry(std::int64_t after_seq,
                             const std::function<bool(const StoredEntry&)>& fn) {
  if (failed()) return failure_;
  // Not cached: `fn` may call back into the journal (reads), even into ForEachEntry.
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "SELECT seq, run_id, ts_wall, ts_kernel, kind, client_order_id, "
                         "venue_order_id, trade_id, body FROM entries WHERE seq > ? ORDER BY seq",
                         -1, &raw, nullptr) != SQLITE_OK) {
    sqlite3_finalize(raw);
    return SqlError("reading entries");
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> s(raw, sqlite3_finalize);
  sqlite3_bind_int64(raw, 1, after_seq);
  StoredEntry e;
  int rc = 0;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    e.seq = sqlite3_column_int64(raw, 0);
    e.run_id = sqlite3_column_int64(raw, 1);
    e.entry.ts_wall = UnixNanos(sqlite3_column_int64(raw, 2));
    e.entry.ts_kernel = UnixNanos(sqlite3_column_int64(raw, 3));
    e.entry.kind = ColumnText(raw, 4);
    e.entry.client_order_id = ColumnText(raw, 5);
    e.entry.venue_order_id = ColumnText(raw, 6);
    e.entry.trade_id = ColumnText(raw, 7);
    e.entry.body = ColumnText(raw, 8);
    if (!fn(e)) return Status::Ok();
    if (failed()) return failure_;
  }
  if (rc != SQLITE_DONE) return SqlError(fmt::format("reading entries after seq {}", after_seq));
  return Status::Ok();
}

Result<std::vector<StoredEntry>> Journal::ReadEntries(std::int64_t after_seq, std::size_t limit) {
  std::vector<StoredEntry> out;
  if (limit == 0) return out;
  Status s = ForEachEntry(after_seq, [&](const StoredEntry& e) {
    out.push_back(e);
    return out.size() < limit;
  });
  if (!s) return Error{s.error(), s.code()};
  return out;
}

Status Journal::MarkCleanStop() {
  if (failed()) return failure_;
  if (run_id_ == 0) {
    return Fail(MakeError(ErrorCode::kFailedPrecondition,
                          fmt::format("journal {}: MarkCleanStop before BeginRun", path_)));
  }
  if (Status s = BeginGroup(); !s) return s;
  {
    Stmt st(*this, "UPDATE runs SET clean_stop = 1 WHERE run_id = ?");
    if (!st.ok()) return failure_;
    if (st.Int(run_id_).Step() != SQLITE_DONE) return SqlError("marking the clean stop");
  }
  if (auto c = Commit(); !c) return failure_;
  return Exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

Result<std::vector<JournalRun>> Journal::Runs() {
  if (failed()) return Error{failure_.error(), failure_.code()};
  Stmt st(*this,
          "SELECT run_id, started, build_id, config_hash, clean_stop FROM runs ORDER BY run_id");
  if (!st.ok()) return Error{failure_.error(), failure_.code()};
  std::vector<JournalRun> out;
  int rc = 0;
  while ((rc = st.Step()) == SQLITE_ROW) {
    out.push_back(JournalRun{st.ColInt(0), UnixNanos(st.ColInt(1)), st.ColText(2), st.ColText(3),
                             st.ColInt(4) != 0});
  }
  if (rc != SQLITE_DONE) {
    Status s = SqlError("reading runs");
    return Error{s.error(), s.code()};
  }
  return out;
}

}  // namespace nacre
