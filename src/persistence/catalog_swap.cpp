#include "persistence/catalog_swap.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>
#include <sstream>
#include <system_error>

namespace nacre {

namespace fs = std::filesystem;

namespace {

constexpr const char* kHeader = "nacre compact swap 1";

// An open file descriptor, closed (and so unlocked) on destruction.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string Errno(const std::string& what) {
  return fmt::format("{}: {}", what, std::strerror(errno));
}

Status SyncPath(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return MakeError(Errno(path + ": cannot open to fsync"));
  if (::fsync(fd.get()) != 0) return MakeError(Errno(path + ": fsync"));
  return Status::Ok();
}

// fsyncs every folder from each path's parent up to `root` (new folders and their entries).
Status SyncParents(const std::string& root, const std::vector<std::string>& rel_paths) {
  std::set<std::string> dirs = {root};
  for (const std::string& rel : rel_paths) {
    for (fs::path p = fs::path(rel).parent_path(); !p.empty(); p = p.parent_path()) {
      dirs.insert(root + "/" + p.string());
    }
  }
  for (const std::string& d : dirs) {
    std::error_code ec;
    if (!fs::is_directory(d, ec)) continue;  // pruned
    if (Status s = SyncPath(d); !s) return s;
  }
  return Status::Ok();
}

std::string Format(const CompactSwap& swap) {
  std::string out = std::string(kHeader) + "\n";
  for (const auto& [from, to] : swap.moves) out += fmt::format("move\t{}\t{}\n", from, to);
  for (const std::string& r : swap.removes) out += fmt::format("remove\t{}\n", r);
  return out + "end\n";
}

Result<CompactSwap> Parse(const std::string& marker, const std::string& text) {
  CompactSwap swap;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  bool ended = false;
  auto bad = [&](const std::string& why) {
    return MakeError(fmt::format("{}:{}: {} (not a complete compact swap marker)", marker, n, why));
  };
  while (std::getline(in, line)) {
    ++n;
    if (n == 1) {
      if (line != kHeader) return bad(fmt::format("expected '{}'", kHeader));
      continue;
    }
    if (ended) return bad("text after 'end'");
    if (line == "end") {
      ended = true;
      continue;
    }
    const auto tab = line.find('\t');
    const std::string verb = line.substr(0, tab);
    const std::string rest = tab == std::string::npos ? "" : line.substr(tab + 1);
    const auto tab2 = rest.find('\t');
    if (verb == "move" && tab2 != std::string::npos && tab2 > 0 && tab2 + 1 < rest.size()) {
      swap.moves.emplace_back(rest.substr(0, tab2), rest.substr(tab2 + 1));
    } else if (verb == "remove" && !rest.empty() && tab2 == std::string::npos) {
      swap.removes.push_back(rest);
    } else {
      return bad("expected 'move\\tFROM\\tTO', 'remove\\tPATH' or 'end'");
    }
  }
  if (!ended) return bad("no 'end' line");
  return swap;
}

// Writes the marker through a temporary file, locked before it appears under its name.
Result<std::unique_ptr<Fd>> WriteMarker(const std::string& root, const CompactSwap& swap) {
  const std::string marker = CompactSwapMarker(root);
  const std::string tmp = marker + ".tmp";
  auto fd =
      std::make_unique<Fd>(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd->get() < 0) return MakeError(Errno(tmp + ": cannot create"));
  if (::flock(fd->get(), LOCK_EX) != 0) return MakeError(Errno(tmp + ": cannot lock"));
  const std::string text = Format(swap);
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd->get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return MakeError(Errno(tmp + ": cannot write"));
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd->get()) != 0) return MakeError(Errno(tmp + ": fsync"));
  if (::rename(tmp.c_str(), marker.c_str()) != 0) return MakeError(Errno(marker + ": rename"));
  if (Status s = SyncPath(root); !s) return MakeError(s.error());
  return fd;
}

Status Move(const std::string& root, const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::create_directories(fs::path(root + "/" + to).parent_path(), ec);
  if (ec)
    return MakeError(fmt::format("{}/{}: cannot create its folder: {}", root, to, ec.message()));
  fs::rename(root + "/" + from, root + "/" + to, ec);
  if (ec)
    return MakeError(fmt::format("{}/{}: cannot move into place: {}", root, from, ec.message()));
  return Status::Ok();
}

// Removes a per-instrument file, then its folder and the type's folder when left empty.
Status Remove(const std::string& root, const std::string& rel) {
  std::error_code ec;
  const fs::path path = root + "/" + rel;
  fs::remove(path, ec);
  if (ec) return MakeError(fmt::format("{}: cannot remove: {}", path.string(), ec.message()));
  // data/quote_tick/{identifier}, then data/quote_tick; never data itself.
  for (fs::path dir = fs::path(rel).parent_path(); dir.has_parent_path(); dir = dir.parent_path()) {
    const std::string full = root + "/" + dir.string();
    if (!fs::is_empty(full, ec) || ec) break;
    fs::remove(full, ec);
  }
  return Status::Ok();
}

// Finishes a swap whose every chain file is staged or in place: moves, fsync, removals,
// fsync, marker. `steps` counts moves and removals done in this call.
Status Finish(const std::string& root, const CompactSwap& swap, std::size_t steps,
              std::size_t* moved = nullptr, std::size_t* removed = nullptr) {
  std::size_t done = 0;
  std::vector<std::string> finals;
  for (const auto& [from, to] : swap.moves) {
    finals.push_back(to);
    std::error_code ec;
    if (!fs::exists(root + "/" + from, ec)) continue;  // moved before a crash
    if (done == steps) return Status::Ok();
    if (Status s = Move(root, from, to); !s) return s;
    ++done;
    if (moved != nullptr) ++*moved;
  }
  if (Status s = SyncParents(root, finals); !s) return s;
  for (const std::string& r : swap.removes) {
    std::error_code ec;
    if (!fs::exists(root + "/" + r, ec)) continue;  // removed before a crash
    if (done == steps) return Status::Ok();
    if (Status s = Remove(root, r); !s) return s;
    ++done;
    if (removed != nullptr) ++*removed;
  }
  if (Status s = SyncParents(root, swap.removes); !s) return s;
  std::error_code ec;
  fs::remove_all(CompactStagingDir(root), ec);
  fs::remove(CompactSwapMarker(root), ec);
  if (ec)
    return MakeError(fmt::format("{}: cannot remove: {}", CompactSwapMarker(root), ec.message()));
  return SyncPath(root);
}

}  // namespace

std::string CompactSwapMarker(const std::string& root) { return root + "/.compact-swap"; }
std::string CompactStagingDir(const std::string& root) { return root + "/.compact"; }

Status RunCompactSwap(const std::string& root, const CompactSwap& swap, std::size_t steps) {
  // The chain files' bytes must be durable before the marker says they can replace others.
  for (const auto& [from, to] : swap.moves) {
    if (Status s = SyncPath(root + "/" + from); !s) return s;
  }
  auto lock = WriteMarker(root, swap);
  if (!lock) return MakeError(lock.error());
  return Finish(root, swap, steps);
}

Result<std::vector<std::string>> RecoverCompactSwap(const std::string& root) {
  std::vector<std::string> notes;
  const std::string marker = CompactSwapMarker(root);
  Fd fd(::open(marker.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return notes;
    return MakeError(Errno(marker + ": cannot open"));
  }
  // Wait for a swap still running in another process; it deletes the marker when done.
  if (::flock(fd.get(), LOCK_EX) != 0) return MakeError(Errno(marker + ": cannot lock"));
  struct stat held {};
  struct stat now {};
  if (::fstat(fd.get(), &held) != 0) return MakeError(Errno(marker + ": stat"));
  if (::stat(marker.c_str(), &now) != 0 || now.st_ino != held.st_ino) return notes;
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return MakeError(Errno(marker + ": cannot read"));
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  auto swap = Parse(marker, text);
  if (!swap) return MakeError(swap.error());

  std::vector<std::string> lost;  // chain files neither staged nor in place
  std::size_t in_place = 0;
  for (const auto& [from, to] : swap->moves) {
    std::error_code ec;
    const bool staged = fs::exists(root + "/" + from, ec);
    const bool placed = fs::exists(root + "/" + to, ec);
    if (!staged && !placed) lost.push_back(to);
    if (!staged && placed) ++in_place;
  }
  std::vector<std::string> gone;  // per-instrument files already removed
  for (const std::string& r : swap->removes) {
    std::error_code ec;
    if (!fs::exists(root + "/" + r, ec)) gone.push_back(r);
  }
  const std::string head =
      fmt::format("catalog {}: a compact was interrupted during its swap ({})", root, marker);
  if (lost.empty()) {
    std::size_t moved = 0;
    std::size_t removed = 0;
    if (Status s = Finish(root, *swap, std::numeric_limits<std::size_t>::max(), &moved, &removed);
        !s) {
      return MakeError(fmt::format("{}; completing it failed: {}", head, s.error()));
    }
    notes.push_back(fmt::format(
        "{}; completed it: {} chain files now in place ({} moved now), {} per-instrument quote "
        "files they replace removed ({} now)",
        head, swap->moves.size(), moved, swap->removes.size(), removed));
    return notes;
  }
  if (gone.empty()) {
    for (const auto& [from, to] : swap->moves) {
      std::error_code ec;
      if (!fs::exists(root + "/" + from, ec)) fs::remove(root + "/" + to, ec);
      if (ec)
        return MakeError(fmt::format("{}; rolling it back: {}/{}: cannot remove: {}", head, root,
                                     to, ec.message()));
    }
    std::vector<std::string> finals;
    for (const auto& m : swap->moves) finals.push_back(m.second);
    if (Status s = SyncParents(root, finals); !s) return MakeError(s.error());
    std::error_code ec;
    fs::remove_all(CompactStagingDir(root), ec);
    fs::remove(marker, ec);
    if (Status s = SyncPath(root); !s) return MakeError(s.error());
    notes.push_back(fmt::format(
        "{}; rolled it back: the chain file {} was in neither the staging folder nor the catalog "
        "({} such), so the {} per-instrument quote files were kept and the {} chain files already "
        "moved in removed",
        head, lost.front(), lost.size(), swap->removes.size(), in_place));
    return notes;
  }
  return MakeError(fmt::format(
      "{} and can be neither completed nor rolled back: the chain file {} is in neither the "
      "staging folder nor the catalog ({} such) and the per-instrument file {}/{} is gone ({} "
      "such); restore the missing files (or re-import those instruments), then remove the marker",
      head, lost.front(), lost.size(), root, gone.front(), gone.size()));
}

}  // namespace nacre
