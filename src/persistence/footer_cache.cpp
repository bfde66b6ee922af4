#include "persistence/footer_cache.h"

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstdio>
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
constexpr std::uint32_t kVersion = 1;

// FNV-1a over 8-byte little-endian words, then the remaining bytes one by one (a megabyte
// checked in well under a millisecond).
std::uint64_t Checksum(std::string_view bytes) {
  constexpr std::uint64_t kPrime = 1099511628211ULL;
  std::uint64_t h = 14695981039346656037ULL;
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, bytes.data() + i, 8);
    h = (h ^ w) * kPrime;
  }
  for (; i < bytes.size(); ++i) h = (h ^ static_cast<unsigned char>(bytes[i])) * kPrime;
  return h;
}

// The whole file, or empty when it cannot be read.
std::string ReadWhole(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return {};
  std::string out;
  if (std::fseek(f, 0, SEEK_END) == 0) {
    const long n = std::ftell(f);
    if (n > 0 && std::fseek(f, 0, SEEK_SET) == 0) {
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

FooterCache::FooterCache(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

std::string FooterCache::PathOf(const std::string& root) {
  return (fs::path(root) / ".cache" / "chain_footers.nfc").string();
}

std::string FooterCache::Relative(const std::string& path) const {
  if (root_.empty() || path.size() <= root_.size() + 1 || path.compare(0, root_.size(), root_) != 0 ||
      path[root_.size()] != '/') {
    return {};
  }
  return path.substr(root_.size() + 1);
}

void FooterCache::Load() {
  WaitForWrites();  // this process's own last save is whole on the disk first
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
    if (!r.GetText(path) || !r.Get(e.source.size) || !r.Get(e.source.mtime_ns) || !r.Get(pairs)) {
      return;
    }
    for (std::uint32_t k = 0; k < pairs; ++k) {
      std::string key, value;
      if (!r.GetText(key) || !r.GetText(value)) return;
      e.pairs.emplace_back(std::move(key), std::move(value));
    }
    entries.insert_or_assign(std::move(path), std::move(e));
  }
  if (!r.done()) return;
  entries_ = std::move(entries);
}

const FooterPairs* FooterCache::Find(const std::string& path,
                                     const ChainCacheSource& source) const {
  auto it = entries_.find(Relative(path));
  if (it == entries_.end() || it->second.source.size != source.size ||
      it->second.source.mtime_ns != source.mtime_ns) {
    return nullptr;
  }
  ++hits_;
  return &it->second.pairs;
}

void FooterCache::Put(const std::string& path, const ChainCacheSource& source,
                      FooterPairs pairs) {
  std::string rel = Relative(path);
  if (rel.empty()) return;
  entries_.insert_or_assign(std::move(rel), Entry{source, std::move(pairs)});
  changed_ = true;
}

namespace {

// Saves running on their own threads (SaveIfChangedInBackground), waited for at exit and by
// every Load. Never destroyed: exit-time waits outlive static destruction. A child process
// (fork) has none of its parent's writers: it starts with a fresh count (the parent's may be
// mid-update), so its exit does not wait for threads it does not have.
struct PendingWrites {
  std::mutex mu;
  std::condition_variable cv;
  int pending = 0;
  bool at_exit = false;
};
std::atomic<PendingWrites*> pending_writes{nullptr};
PendingWrites& Pending() {
  static const bool once = [] {
    pending_writes.store(new PendingWrites());
    ::pthread_atfork(nullptr, nullptr, [] {
      auto* fresh = new PendingWrites();
      fresh->at_exit = pending_writes.load()->at_exit;  // the handler is registered already
      pending_writes.store(fresh);  // the old one is left as it was (its lock may be held)
    });
    return true;
  }();
  (void)once;
  return *pending_writes.load();
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
    if (!f) {
      f.close();
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
    if (!p.at_exit) {
      p.at_exit = true;
      std::atexit([] { WaitForWrites(); });
    }
    ++p.pending;
  }
  // The entries move to the writer: this cache is empty after it (nothing else is shared).
  std::thread([root = root_, entries = std::move(entries_)]() mutable {
    (void)Write(root, entries);  // unwritable (a read-only catalog): the next listing reads DuckDB
    PendingWrites& w = Pending();
    std::lock_guard<std::mutex> lock(w.mu);
    --w.pending;
    w.cv.notify_all();
  }).detach();
  entries_.clear();
}

void FooterCache::WaitForWrites() {
  PendingWrites& p = Pending();
  std::unique_lock<std::mutex> lock(p.mu);
  p.cv.wait(lock, [&] { return p.pending == 0; });
}

}  // namespace nacre::catalog_detail
