// SandboxStateStore: where a sandbox venue keeps its ledger between runs
// (`state/{trader_id}/sandbox_venue.sqlite`, LIVE.md §9), apart from the node's journal: the
// venue stands for the broker, whose records outlive the node. One row per venue holds
// SimulatedExchange::SaveState()'s JSON, replaced in one fsync'd transaction (WAL,
// synchronous=FULL), so a kill leaves either the old ledger or the new one. The node saves it
// before each journal commit that carries entries, so the venue's durable state is never
// behind what the journal says the venue did (as a broker's never is).
// Thread contract: single-threaded (the kernel thread).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/result.h"

struct sqlite3;

namespace nacre {

class SandboxStateStore {
 public:
  // Opens or creates the store at `path`; errors name the path and SQLite's message.
  static Result<std::unique_ptr<SandboxStateStore>> Open(const std::string& path);
  ~SandboxStateStore();
  SandboxStateStore(const SandboxStateStore&) = delete;
  SandboxStateStore& operator=(const SandboxStateStore&) = delete;

  // The venue's last saved state, if any.
  Result<std::optional<std::string>> Load(const std::string& venue);
  // Replaces the venue's state durably.
  Status Save(const std::string& venue, const std::string& state);
  const std::string& path() const { return path_; }

 private:
  SandboxStateStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Status Exec(const char* sql);
  sqlite3* db_;
  std::string path_;
};

}  // namespace nacre
