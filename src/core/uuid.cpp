#include "core/uuid.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>

namespace nacre {

Uuid4 UuidGenerator::Next() {
  Uuid4 u;
  const std::uint64_t hi = rng_();
  const std::uint64_t lo = rng_();
  // Each word's bytes least significant first: a copy on a little-endian machine.
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(u.bytes.data(), &hi, 8);
    std::memcpy(u.bytes.data() + 8, &lo, 8);
  } else {
    for (int i = 0; i < 8; ++i) {
      u.bytes[i] = static_cast<std::uint8_t>(hi >> (8 * i));
      u.bytes[8 + i] = static_cast<std::uint8_t>(lo >> (8 * i));
    }
  }
  u.bytes[6] = static_cast<std::uint8_t>((u.bytes[6] & 0x0F) | 0x40);  // version 4
  u.bytes[8] = static_cast<std::uint8_t>((u.bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  return u;
}

std::string Uuid4::ToString() const {
  std::string s;
  s.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    s += fmt::format("{:02x}", bytes[i]);
  }
  return s;
}

}  // namespace nacre
