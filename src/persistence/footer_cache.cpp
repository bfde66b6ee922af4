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
#include <mutex>
#include <system_error>
#include <thread>

namespace nacre::catalog_detail {

namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'N', 'A', 'C', 'R', 'E', 'F', 'C', '1'};
constexpr std::uint32_t kVersion = 3;  // 3: each entry records its file's identity and ctime
// A cache file larger than this is not one this code wrote (the scale run's is 23 MB).
constexpr long kMaxFileBytes = 1L << 30;

// FNV-1a over 8-byte little-endian words with the high bits folded down after each word (a
// multiply alone never carries a flip of the top bit into the others: two such flips would
// cancel), then the remaining bytes one by one. A megabyte is checked in well under a
// millisecond.
std::uint64_t Checksum(std::string_view bytes) {
  constexpr std::uint64_t kPrime = 1099511628211ULL;
  std::uint64_t h = 14695981039346656037ULL;
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, bytes.data() + i, 8);
    h = (h ^ w) * kPrime;
    h ^= h >> 29;
  }
  for (; i < bytes.size(); ++i) {
    h = (h ^ static_cast<unsigned char>(bytes[i])) * kPrime;
    h ^= h >> 29;
  }
  return h;
}

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

template <typename T>
void Append(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
}

void AppendText(std::string& out, const std::string& s) {
  Append<std::uint32_t>(out, static_cast<std::uint32_t>(s.size()));
  out += s;
}

// Reads from `data` at `at`, never past its end.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  template <typename T>
  bool Get(T& v) {
    if (data_.size() - at_ < sizeof(T)) return false;
    std::memcpy(&v, data_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return true;
  }
  bool GetText(std::string& s) {
    std::uint32_t n = 0;
    if (!Get(n) || data_.size() - at_ < n) return false;
    s.assign(data_.data() + at_, n);
    at_ += n;
    return true;
  }
  bool done() const { return at_ == data_.size(); }

 private:
  std::string_view data_;
  std::size_t at_ = 0;
};

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
  const std::string_view body(data.data(), data.size() - 8);
  if (Checksum(body) != sum) return;  // damaged (a crash, a bad disk): read the footers again
  Reader r(body.substr(8));
  std::uint32_t version = 0;
  std::uint32_t count = 0;
  if (!r.Get(version) || version != kVersion || !r.Get(count)) return;
  std::map<std::string, Entry> entries;
  for (std::uint32_t i = 0; i < count; ++i) {
    std::string path;
    Entry e;
    std::uint32_t pairs = 0;
    if (!r.GetText(path) || !r.Get(e.source.size) || !r.Get(e.source.mtime_ns) ||
        !r.Get(e.source.device) || !r.Get(e.source.inode) || !r.Get(e.source.ctime_ns) ||
        !r.Get(pairs)) {
      return;
    }
    for (std::uint32_t k = 0; k < pairs; ++k) {
      std::string key, value;
      if (!r.GetText(key) || !r.GetText(value)) return;
      e.pairs.emplace_back(std::move(key), std::move(value));
    }
    if (!InsideRoot(path)) return;  // not a file this code wrote
    entries.insert_or_assign(std::move(path), std::move(e));
  }
  if (!r.done()) return;
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
    bytes += 4 + path.size() + 8 + 8 + 4;
    for (const auto& [key, value] : e.pairs) bytes += 4 + key.size() + 4 + value.size();
  }
  std::string out;
  out.reserve(bytes);
  out.append(kMagic, sizeof(kMagic));
  Append<std::uint32_t>(out, kVersion);
  Append<std::uint32_t>(out, static_cast<std::uint32_t>(entries.size()));
  for (const auto& [path, e] : entries) {
    AppendText(out, path);
    Append<std::uint64_t>(out, e.source.size);
    Append<std::int64_t>(out, e.source.mtime_ns);
    Append<std::uint64_t>(out, e.source.device);
    Append<std::uint64_t>(out, e.source.inode);
    Append<std::int64_t>(out, e.source.ctime_ns);
    Append<std::uint32_t>(out, static_cast<std::uint32_t>(e.pairs.size()));
    for (const auto& [key, value] : e.pairs) {
      AppendText(out, key);
      AppendText(out, value);
    }
  }
  Append<std::uint64_t>(out, Checksum(out));
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
  {
    std::lock_guard<std::mutex> lock(p.mu);
    ++p.by_root[root_];
  }
  // The writer takes no signal (a Ctrl-C goes to the threads that handle it), and the entries
  // move to it: this cache is empty after (nothing else is shared).
  sigset_t all;
  sigset_t before;
  sigfillset(&all);
  const bool masked = ::pthread_sigmask(SIG_SETMASK, &all, &before) == 0;
  try {
    std::thread([root = root_, entries = std::move(entries_)]() mutable {
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

void FooterCache::WaitForWrites(const std::string& root) {
  const std::string key = NormalRoot(root);
  PendingWrites& p = Pending();
  std::unique_lock<std::mutex> lock(p.mu);
  p.cv.wait(lock, [&] { return p.by_root.find(key) == p.by_root.end(); });
}

void FooterCache::WaitForWrites() {
  PendingWrites& p = Pending();
  std::unique_lock<std::mutex> lock(p.mu);
  p.cv.wait(lock, [&] { return p.by_root.empty(); });
}

}  // namespace nacre::catalog_detail
