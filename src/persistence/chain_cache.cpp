#include "persistence/chain_cache.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "persistence/cache_bytes.h"

namespace nacre::catalog_detail {

namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'N', 'A', 'C', 'R', 'E', 'C', 'Q', '1'};
constexpr std::uint32_t kVersion = 4;  // 4: the source's device, inode and change time
// Magic, version, member count, the source (size, mtime, device, inode, ctime), rows, payload
// offset, payload checksum.
constexpr std::size_t kHeaderBytes = 8 + 4 + 4 + 5 * 8 + 8 + 8 + 8;
// Bytes per row: four raws, two times, the member.
constexpr std::size_t kRowBytes = 4 * 8 + 2 * 8 + 4;

std::size_t Align8(std::size_t n) { return (n + 7) & ~std::size_t{7}; }

Status WriteAll(int fd, const void* data, std::size_t n, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return MakeError(fmt::format("{}: write: {}", path, std::strerror(errno)));
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return Status::Ok();
}

}  // namespace

Result<ChainCacheSource> StatChainCacheSource(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return MakeError(fmt::format("{}: {}", path, std::strerror(errno)));
  }
  ChainCacheSource s;
  s.size = static_cast<std::uint64_t>(st.st_size);
  s.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  s.device = static_cast<std::uint64_t>(st.st_dev);
  s.inode = static_cast<std::uint64_t>(st.st_ino);
  s.ctime_ns = static_cast<std::int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
  return s;
}

std::string ChainCachePath(const std::string& catalog_root, const std::string& source) {
  if (catalog_root.empty()) return {};
  std::error_code ec;
  const fs::path root = fs::weakly_canonical(catalog_root, ec);
  if (ec) return {};
  const fs::path src = fs::weakly_canonical(source, ec);
  if (ec) return {};
  const fs::path rel = src.lexically_relative(root);
  if (rel.empty() || rel.begin()->string() == "..") return {};
  fs::path out = root / ".cache" / rel;
  out.replace_extension(".nqc");
  return out.string();
}

ChainCacheView::~ChainCacheView() { Reset(); }

ChainCacheView::ChainCacheView(ChainCacheView&& o) noexcept { *this = std::move(o); }

ChainCacheView& ChainCacheView::operator=(ChainCacheView&& o) noexcept {
  if (this == &o) return *this;
  Reset();
  base_ = o.base_;
  length_ = o.length_;
  rows_ = o.rows_;
  members_ = std::move(o.members_);
  for (int k = 0; k < 4; ++k) raws_[k] = o.raws_[k];
  ts_event_ = o.ts_event_;
  ts_init_ = o.ts_init_;
  member_ = o.member_;
  o.base_ = nullptr;
  o.length_ = 0;
  return *this;
}

void ChainCacheView::Reset() {
  if (base_ != nullptr) ::munmap(base_, length_);
  base_ = nullptr;
  length_ = 0;
  rows_ = 0;
  members_.clear();
}

bool ChainCacheView::Open(const std::string& path, const ChainCacheSource& source,
                          std::string* why) {
  Reset();
  auto fail = [&](std::string reason) {
    Reset();
    if (why != nullptr) *why = std::move(reason);
    return false;
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(errno == ENOENT ? "absent" : std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(kHeaderBytes)) {
    ::close(fd);
    return fail("shorter than its header");
  }
  length_ = static_cast<std::size_t>(st.st_size);
  void* p = ::mmap(nullptr, length_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) {
    length_ = 0;
    return fail(std::strerror(errno));
  }
  base_ = p;
  const char* b = static_cast<const char*>(base_);
  if (std::memcmp(b, kMagic, sizeof(kMagic)) != 0) return fail("not a chain cache");
  std::size_t at = sizeof(kMagic);
  std::uint32_t version = 0, count = 0;
  std::uint64_t rows = 0, payload = 0, sum = 0;
  ChainCacheSource recorded;
  Get(b, length_, at, version);
  Get(b, length_, at, count);
  Get(b, length_, at, recorded.size);
  Get(b, length_, at, recorded.mtime_ns);
  Get(b, length_, at, recorded.device);
  Get(b, length_, at, recorded.inode);
  Get(b, length_, at, recorded.ctime_ns);
  Get(b, length_, at, rows);
  Get(b, length_, at, payload);
  Get(b, length_, at, sum);
  if (version != kVersion) return fail("another format version");
  if (!(recorded == source)) return fail("stale");
  for (std::uint32_t i = 0; i < count; ++i) {
    ChainCacheMember m;
    std::int32_t pp = 0, sp = 0;
    std::uint32_t len = 0;
    if (!Get(b, length_, at, pp) || !Get(b, length_, at, sp) || !Get(b, length_, at, len) ||
        length_ - at < len) {
      return fail("truncated member table");
    }
    m.id.assign(b + at, len);
    at += len;
    m.price_precision = pp;
    m.size_precision = sp;
    members_.push_back(std::move(m));
  }
  if (payload != Align8(at) || payload > length_ || (length_ - payload) % kRowBytes != 0 ||
      (length_ - payload) / kRowBytes != rows) {
    return fail("wrong length");
  }
  // Read front to back: let the kernel read ahead (the checksum pass, then the scan).
  ::madvise(base_, length_, MADV_SEQUENTIAL);
  {
    // Column by column, chained, as the writer computes it from its buffers.
    std::uint64_t h = 0;
    const char* col = b + payload;
    for (int k = 0; k < 6; ++k, col += rows * 8) h = Checksum(h, col, rows * 8);
    if (Checksum(h, col, rows * 4) != sum) return fail("checksum mismatch");
  }
  rows_ = rows;
  const char* col = b + payload;
  for (int k = 0; k < 4; ++k) {
    raws_[k] = reinterpret_cast<const std::int64_t*>(col);
    col += rows * 8;
  }
  ts_event_ = reinterpret_cast<const std::uint64_t*>(col);
  col += rows * 8;
  ts_init_ = reinterpret_cast<const std::uint64_t*>(col);
  col += rows * 8;
  member_ = reinterpret_cast<const std::uint32_t*>(col);
  return true;
}

Status ChainCacheWriter::Commit(const std::string& path, const ChainCacheSource& source) const {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return MakeError(fmt::format("{}: cannot create its folder: {}", path, ec.message()));
  std::string head(kMagic, sizeof(kMagic));
  Put(head, kVersion);
  Put(head, static_cast<std::uint32_t>(members_.size()));
  Put(head, source.size);
  Put(head, source.mtime_ns);
  Put(head, source.device);
  Put(head, source.inode);
  Put(head, source.ctime_ns);
  Put(head, static_cast<std::uint64_t>(rows()));
  const std::size_t payload_at = head.size();
  Put(head, std::uint64_t{0});  // the payload offset, filled below
  // The payload's checksum, over the columns as written one after the other.
  // The payload's checksum: its columns in file order, each chained on the one before.
  const std::vector<std::uint64_t>* times[2] = {&ts_event_, &ts_init_};
  std::uint64_t sum = 0;
  for (int k = 0; k < 4; ++k) sum = Checksum(sum, raws_[k].data(), raws_[k].size() * 8);
  for (const auto* t : times) sum = Checksum(sum, t->data(), t->size() * 8);
  Put(head, Checksum(sum, member_.data(), member_.size() * 4));
  for (const ChainCacheMember& m : members_) {
    Put(head, static_cast<std::int32_t>(m.price_precision));
    Put(head, static_cast<std::int32_t>(m.size_precision));
    Put(head, static_cast<std::uint32_t>(m.id.size()));
    head += m.id;
  }
  head.resize(Align8(head.size()), '\0');
  const std::uint64_t payload = head.size();
  std::memcpy(head.data() + payload_at, &payload, sizeof(payload));

  static std::atomic<std::uint64_t> counter{0};
  const std::string tmp = fmt::format("{}.tmp.{}.{}", path, ::getpid(), counter++);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return MakeError(fmt::format("{}: {}", tmp, std::strerror(errno)));
  // Not fsync'd: a reader that paces a replay must not wait on the disk, and a cache whose
  // data did not all reach the disk fails its checksum and is written again.
  Status s = WriteAll(fd, head.data(), head.size(), tmp);
  for (int k = 0; k < 4 && s.ok(); ++k) {
    s = WriteAll(fd, raws_[k].data(), raws_[k].size() * 8, tmp);
  }
  for (const auto* t : times) {
    if (s.ok()) s = WriteAll(fd, t->data(), t->size() * 8, tmp);
  }
  if (s.ok()) s = WriteAll(fd, member_.data(), member_.size() * 4, tmp);
  ::close(fd);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    s = MakeError(fmt::format("{}: rename: {}", path, std::strerror(errno)));
  }
  if (!s.ok()) ::unlink(tmp.c_str());
  return s;
}

}  // namespace nacre::catalog_detail
