#include "persistence/footer_cache.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <system_error>
#include <thread>

#include "persistence/cache_bytes.h"

namespace nacre::catalog_detail {

namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'N', 'A', 'C', 'R', 'E', 'F', 'C', '1'};
constexpr std::uint32_t kVersion = 4;  // 4: the caches' shared checksum
// A cache file larger than this is not one this code wrote (the scale run's is 23 MB).
constexpr long kMaxFileBytes = 1L << 30;

// A catalog root as one spelling: "cat/", "cat//" and "./cat" are "cat".
std::string NormalRoot(const std::string& root) {
  std::string r = fs::path(root).lexically_normal().string();
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  return r;
}

// A path kept in the file: relative, inside the root (no "..").
bool InsideRoot(const std::string& rel) {
  if (rel.empty() || rel.front() == '/') return false;
  for (const auto& part : fs::path(rel)) {
    if (part == "..") return false;
  }
  return true;
}

// The whole file, or empty when it cannot be read (not a regular file, or larger than any cache
// this code writes).
std::string ReadWhole(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return {};
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return {};
  std::string out;
  if (std::fseek(f, 0, SEEK_END) == 0) {
    const long n = std::ftell(f);
    if (n > 0 && n <= kMaxFileBytes && std::fseek(f, 0, SEEK_SET) == 0) {
      out.resize(static_cast<std::size_t>(n));
      if (std::fread(out.data(), 1, out.size(), f) != out.size()) out.clear();
    }
  }
  std::fclose(f);
  return out;
}

void PutText(std::string& out, const std::string& s) {
  Put<std::uint32_t>(out, static_cast<std::uint32_t>(s.size()));
  out += s;
}

bool GetText(const char* base, std::size_t length, std::size_t& at, std::string& s) {
  std::uint32_t n = 0;
  if (!Get(base, length, at, n) || length - at < n) return false;
  s.assign(base + at, n);
  at += n;
  return true;
}

}  // namespace

FooterCache::FooterCache(const std::string& root) : root_(NormalRoot(root)) {}

std::string FooterCache::PathOf(const std::string& root) {
  return (fs::path(root) / ".cache" / "chain_footers.nfc").string();
}

std::string FooterCache::Relative(const std::string& path) const {
  // The catalog builds paths as root + "/data/..." from the root as given ("cat/" gives
  // "cat//data/..."): both sides normalised.
  const std::string p = fs::path(path).lexically_normal().string();
  if (root_.empty() || p.size() <= root_.size() + 1 || p.compare(0, root_.size(), root_) != 0 ||
      (p[root_.size()] != '/' && root_ != "/")) {
    return {};
  }
  std::string rel = p.substr(root_ == "/" ? 1 : root_.size() + 1);
  return InsideRoot(rel) ? rel : std::string();
}

void FooterCache::Load() {
  WaitForWrites(root_);  // this process's own last save of this root is whole on the disk first
  entries_.clear();
  changed_ = false;
  const std::string data = ReadWhole(PathOf(root_));
  if (data.size() < sizeof(kMagic) + 8 + 8 || std::memcmp(data.data(), kMagic, 8) != 0) return;
  std::uint64_t sum = 0;
  std::memcpy(&sum, data.data() + data.size() - 8, 8);
  const char* b = data.data();
  const std::size_t length = data.size() - 8;
  if (Checksum(0, b, length) != sum) return;  // damaged (a crash, a bad disk): read again
  std::size_t at = sizeof(kMagic);
  std::uint32_t version = 0;
  std::uint32_t count = 0;
  if (!Get(b, length, at, version) || version != kVersion || !Get(b, length, at, count)) return;
  std::map<std::string, Entry> entries;
  for (std::uint32_t i = 0; i < count; ++i) {
    std::string path;
    Entry e;
    std::uint32_t pairs = 0;
    if (!GetText(b, length, at, path) || !Get(b, length, at, e.source.size) ||
        !Get(b, length, at, e.source.mtime_ns) || !Get(b, length, at, e.source.device) ||
        !Get(b, length, at, e.source.inode) || !Get(b, length, at, e.source.ctime_ns) ||
        !Get(b, length, at, pairs)) {
      return;
    }
    for (std::uint32_t k = 0; k < pairs; ++k) {
      std::string key, value;
      if (!GetText(b, length, at, key) || !GetText(b, length, at, value)) return;
      e.pairs.emplace_back(std::move(key), std::move(value));
    }
    if (!InsideRoot(path)) return;  // not a file this code wrote
    entries.insert_or_assign(std::move(path), std::move(e));
  }
  if (at != length) return;
  entries_ = std::move(entries);
}

const FooterPairs* FooterCache::Find(const std::string& path,
                                     const ChainCacheSource& source) const {
  auto it = entries_.find(Relative(path));
  if (it == entries_.end() || !(it->second.source == source)) {
    return nullptr;
  }
  ++hits_;
  return &it->second.pairs;
}

void FooterCache::Put(const std::string& path, const ChainCacheSource& source, FooterPairs pairs) {
  std::string rel = Relative(path);
  if (rel.empty()) return;
  entries_.insert_or_assign(std::move(rel), Entry{source, std::move(pairs)});
  changed_ = true;
}

namespace {

// Saves running on their own threads (SaveIfChangedInBackground), counted per catalog root
// and waited for by that root's Load and Catalog, and by the process's exit. Never destroyed:
// exit-time waits outlive static destruction. A child process (fork) has none of its parent's
// writers: it starts with fresh counts (the parent's may be mid-update), so it never waits for
// threads it does not have.
struct PendingWrites {
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, int> by_root;
  std::function<void()> before_write;  // test hooks (SetTestHooks)
  std::function<void()> on_wait;
};
std::atomic<PendingWrites*> pending_writes{nullptr};
PendingWrites& Pending() {
  static const bool once = [] {
    pending_writes.store(new PendingWrites());
    ::pthread_atfork(nullptr, nullptr, [] { pending_writes.store(new PendingWrites()); });
    std::atexit([] { FooterCache::WaitForWrites(); });
    return true;
  }();
  (void)once;
  return *pending_writes.load();
}

void Finished(const std::string& root) {
  PendingWrites& w = Pending();
  std::lock_guard<std::mutex> lock(w.mu);
  if (auto it = w.by_root.find(root); it != w.by_root.end() && --it->second <= 0) {
    w.by_root.erase(it);
  }
  w.cv.notify_all();
}

// Temporaries older than an hour are left by a process killed while writing: removed.
void PruneTemporaries(const fs::path& dir, const std::string& name) {
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string file = it->path().filename().string();
    if (file.rfind(name + ".tmp.", 0) != 0) continue;
    std::error_code tec;
    const auto when = fs::last_write_time(it->path(), tec);
    if (!tec && now - when > std::chrono::hours(1)) fs::remove(it->path(), tec);
  }
}

}  // namespace

bool FooterCache::Write(const std::string& root, std::map<std::string, Entry>& entries) {
  std::erase_if(entries, [&](const auto& e) {
    std::error_code ec;
    return !fs::exists(fs::path(root) / e.first, ec);
  });
  std::size_t bytes = sizeof(kMagic) + 4 + 4 + 8;
  for (const auto& [path, e] : entries) {
    bytes += 4 + path.size() + 5 * 8 + 4;
    for (const auto& [key, value] : e.pairs) bytes += 4 + key.size() + 4 + value.size();
  }
  std::string out;
  out.reserve(bytes);
  out.append(kMagic, sizeof(kMagic));
  catalog_detail::Put<std::uint32_t>(out, kVersion);
  catalog_detail::Put<std::uint32_t>(out, static_cast<std::uint32_t>(entries.size()));
  for (const auto& [path, e] : entries) {
    PutText(out, path);
    catalog_detail::Put(out, e.source.size);
    catalog_detail::Put(out, e.source.mtime_ns);
    catalog_detail::Put(out, e.source.device);
    catalog_detail::Put(out, e.source.inode);
    catalog_detail::Put(out, e.source.ctime_ns);
    catalog_detail::Put<std::uint32_t>(out, static_cast<std::uint32_t>(e.pairs.size()));
    for (const auto& [key, value] : e.pairs) {
      PutText(out, key);
      PutText(out, value);
    }
  }
  catalog_detail::Put<std::uint64_t>(out, Checksum(0, out.data(), out.size()));
  const std::string target = PathOf(root);
  const fs::path dir = fs::path(target).parent_path();
  std::error_code ec;
  // Only inside a catalog that is still there (never a folder tree made again after it went).
  if (!fs::is_directory(root, ec)) return false;
  fs::create_directory(dir, ec);
  if (ec) return false;
  PruneTemporaries(dir, fs::path(target).filename().string());
  // A name of its own per process and writer: concurrent listings never share a temporary.
  static std::atomic<std::uint64_t> serial{0};
  const std::string tmp =
      target + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(++serial);
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return false;
    f.write(out.data(), static_cast<std::streamsize>(out.size()));
    f.close();  // a failed flush (a full disk) is seen here, before the rename
    if (!f) {
      fs::remove(tmp, ec);
      return false;
    }
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return false;
  }
  return true;
}

bool FooterCache::SaveIfChanged() {
  if (!changed_) return true;
  changed_ = false;
  return Write(root_, entries_);
}

void FooterCache::SaveIfChangedInBackground() {
  if (!changed_) return;
  changed_ = false;
  PendingWrites& p = Pending();
  std::function<void()> hook;
  {
    std::lock_guard<std::mutex> lock(p.mu);
    ++p.by_root[root_];
    hook = p.before_write;
  }
  // The writer takes no signal (a Ctrl-C goes to the threads that handle it), and the entries
  // move to it: this cache is empty after (nothing else is shared).
  sigset_t all;
  sigset_t before;
  sigfillset(&all);
  const bool masked = ::pthread_sigmask(SIG_SETMASK, &all, &before) == 0;
  try {
    std::thread([root = root_, entries = std::move(entries_), hook = std::move(hook)]() mutable {
      if (hook) hook();
      {
        std::map<std::string, Entry> mine = std::move(entries);
        (void)Write(root, mine);  // unwritable (read-only): the next listing reads DuckDB
      }  // freed before the count drops: nothing of this thread is left once it is waited for
      Finished(root);
    }).detach();
  } catch (const std::exception&) {
    // No thread (a process or memory limit): nothing is saved, and nobody waits for it.
    Finished(root_);
  }
  if (masked) ::pthread_sigmask(SIG_SETMASK, &before, nullptr);
  entries_.clear();
}

namespace {
void RunWaitHook(PendingWrites& p) {
  std::function<void()> hook;
  {
    std::lock_guard<std::mutex> lock(p.mu);
    hook = p.on_wait;
  }
  if (hook) hook();
}
}  // namespace

void FooterCache::SetTestHooks(std::function<void()> before_write, std::function<void()> on_wait) {
  PendingWrites& p = Pending();
  std::lock_guard<std::mutex> lock(p.mu);
  p.before_write = std::move(before_write);
  p.on_wait = std::move(on_wait);
}

void FooterCache::WaitForWrites(const std::string& root) {
  const std::string key = NormalRoot(root);
  PendingWrites& p = Pending();
  RunWaitHook(p);
  std::unique_lock<std::mutex> lock(p.mu);
  p.cv.wait(lock, [&] { return p.by_root.find(key) == p.by_root.end(); });
}

void FooterCache::WaitForWrites() {
  PendingWrites& p = Pending();
  RunWaitHook(p);
  std::unique_lock<std::mutex> lock(p.mu);
  p.cv.wait(lock, [&] { return p.by_root.empty(); });
}

}  // namespace nacre::catalog_detail
