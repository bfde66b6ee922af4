// Internal to the catalog's derived caches (chain_cache.h, footer_cache.h): little-endian
// fields appended to and read from a byte buffer, and the 64-bit checksum both caches carry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace nacre::catalog_detail {

template <typename T>
void Put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
}

// Reads a T at `at` and moves past it; false (nothing read) when it would pass `length`.
template <typename T>
bool Get(const char* base, std::size_t length, std::size_t& at, T& v) {
  if (length - at < sizeof(T) || at > length) return false;
  std::memcpy(&v, base + at, sizeof(T));
  at += sizeof(T);
  return true;
}

// A 64-bit checksum of `n` bytes chained on `h` (four independent multiply-rotate lanes, so it
// runs at memory speed): a cache whose bytes are not the ones written (a crash before the
// file's data reached the disk, a damaged disk) is never used.
inline std::uint64_t Rotl(std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
inline std::uint64_t Checksum(std::uint64_t h, const void* data, std::size_t n) {
  constexpr std::uint64_t kP1 = 0x9E3779B185EBCA87ULL;
  constexpr std::uint64_t kP2 = 0xC2B2AE3D27D4EB4FULL;
  const char* p = static_cast<const char*>(data);
  std::uint64_t lane[4] = {h ^ kP1, h ^ kP2, h + kP1, h - kP2};
  for (; n >= 32; n -= 32, p += 32) {
    for (int k = 0; k < 4; ++k) {
      std::uint64_t w = 0;
      std::memcpy(&w, p + 8 * k, 8);
      lane[k] = Rotl(lane[k] + w * kP2, 31) * kP1;
    }
  }
  std::uint64_t out = Rotl(lane[0], 1) + Rotl(lane[1], 7) + Rotl(lane[2], 12) + Rotl(lane[3], 18);
  for (; n >= 8; n -= 8, p += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, 8);
    out = Rotl(out ^ (w * kP2), 27) * kP1;
  }
  for (; n > 0; --n, ++p) out = Rotl(out ^ static_cast<std::uint8_t>(*p), 11) * kP1;
  return out ^ (out >> 29);
}

}  // namespace nacre::catalog_detail
