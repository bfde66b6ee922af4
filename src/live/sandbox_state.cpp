#include "live/sandbox_state.h"

#include <fmt/format.h>
#include <sqlite3.h>

namespace nacre {

namespace {

struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

}  // namespace

Result<std::unique_ptr<SandboxStateStore>> SandboxStateStore::Open(const std::string& path) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string why = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return MakeError(fmt::format("sandbox venue state {}: {}", path, why));
  }
  std::unique_ptr<SandboxStateStore> store(new SandboxStateStore(db, path));
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
                          "CREATE TABLE IF NOT EXISTS venues (venue TEXT PRIMARY KEY, "
                          "state TEXT NOT NULL)"}) {
    if (Status s = store->Exec(sql); !s) return MakeError(s.error());
  }
  return store;
}

SandboxStateStore::~SandboxStateStore() { sqlite3_close(db_); }

Status SandboxStateStore::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string why = err != nullptr ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return MakeError(fmt::format("sandbox venue state {}: {}", path_, why));
  }
  return Status::Ok();
}

Result<std::optional<std::string>> SandboxStateStore::Load(const std::string& venue) {
  Stmt st;
  if (sqlite3_prepare_v2(db_, "SELECT state FROM venues WHERE venue = ?", -1, &st.s, nullptr) !=
      SQLITE_OK) {
    return MakeError(fmt::format("sandbox venue state {}: {}", path_, sqlite3_errmsg(db_)));
  }
  sqlite3_bind_text(st.s, 1, venue.c_str(), static_cast<int>(venue.size()), SQLITE_TRANSIENT);
  const int rc = sqlite3_step(st.s);
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) {
    return MakeError(fmt::format("sandbox venue state {}: {}", path_, sqlite3_errmsg(db_)));
  }
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st.s, 0));
  return std::optional<std::string>(std::string(text != nullptr ? text : ""));
}

Status SandboxStateStore::Save(const std::string& venue, const std::string& state) {
  Stmt st;
  if (sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO venues (venue, state) VALUES (?, ?)", -1,
                         &st.s, nullptr) != SQLITE_OK) {
    return MakeError(fmt::format("sandbox venue state {}: {}", path_, sqlite3_errmsg(db_)));
  }
  sqlite3_bind_text(st.s, 1, venue.c_str(), static_cast<int>(venue.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(st.s, 2, state.c_str(), static_cast<int>(state.size()), SQLITE_STATIC);
  if (sqlite3_step(st.s) != SQLITE_DONE) {
    return MakeError(fmt::format("sandbox venue state {}: {}", path_, sqlite3_errmsg(db_)));
  }
  return Status::Ok();
}

}  // namespace nacre
