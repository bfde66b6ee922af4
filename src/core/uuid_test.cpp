#include "core/uuid.h"

#include <gtest/gtest.h>

#include <array>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace nacre {
namespace {

std::vector<Uuid4> Draw(std::uint64_t seed, int n) {
  UuidGenerator gen(seed);
  std::vector<Uuid4> out;
  for (int i = 0; i < n; ++i) out.push_back(gen.Next());
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

TEST(UuidGenerator, SameSeedGivesSameSequence) {
  EXPECT_EQ(Draw(42, 200), Draw(42, 200));
  EXPECT_EQ(Draw(0, 5), Draw(0, 5));
}

// The layout every saved event id depends on: two draws of the 64-bit Mersenne twister, each
// least significant byte first, then the version and variant bits.
TEST(UuidGenerator, BytesAreTheTwistersTwoWordsLeastSignificantByteFirst) {
  std::mt19937_64 rng(42);
  UuidGenerator gen(42);
  for (int n = 0; n < 100; ++n) {
    const std::uint64_t words[2] = {rng(), rng()};
    std::array<std::uint8_t, 16> want{};
    for (int w = 0; w < 2; ++w) {
      for (int i = 0; i < 8; ++i) want[8 * w + i] = static_cast<std::uint8_t>(words[w] >> (8 * i));
    }
    want[6] = static_cast<std::uint8_t>((want[6] & 0x0F) | 0x40);
    want[8] = static_cast<std::uint8_t>((want[8] & 0x3F) | 0x80);
    ASSERT_EQ(gen.Next().bytes, want) << "draw " << n;
  }
}

TEST(UuidGenerator, DifferentSeedsGiveDifferentSequences) {
  const auto a = Draw(42, 3);
  const auto b = Draw(43, 3);
  EXPECT_NE(a[0], b[0]);
  EXPECT_NE(a, b);
}

TEST(UuidGenerator, SuccessiveValuesAreDistinct) {
  const auto all = Draw(7, 5'000);
  const std::set<Uuid4> unique(all.begin(), all.end());
  EXPECT_EQ(unique.size(), all.size());
}

TEST(UuidGenerator, VersionFourAndRfc4122Variant) {
  for (const Uuid4& u : Draw(12345, 2'000)) {
    ASSERT_EQ(u.bytes[6] >> 4, 0x4) << u.ToString();
    ASSERT_EQ(u.bytes[8] & 0xC0, 0x80) << u.ToString();
  }
}

TEST(UuidGenerator, RandomBitsAreNotStuck) {
  // Outside the 6 fixed bits every bit should take both values over many draws.
  std::array<std::uint8_t, 16> ones{};
  std::array<std::uint8_t, 16> zeros{};
  for (const Uuid4& u : Draw(99, 500)) {
    for (int i = 0; i < 16; ++i) {
      ones[i] |= u.bytes[i];
      zeros[i] |= static_cast<std::uint8_t>(~u.bytes[i]);
    }
  }
  for (int i = 0; i < 16; ++i) {
    std::uint8_t fixed = 0;
    if (i == 6) fixed = 0xF0;
    if (i == 8) fixed = 0xC0;
    EXPECT_EQ(ones[i] | fixed, 0xFF) << "byte " << i;
    EXPECT_EQ(zeros[i] | fixed, 0xFF) << "byte " << i;
  }
}

TEST(Uuid4, ToStringOfKnownBytes) {
  Uuid4 u;
  for (int i = 0; i < 16; ++i) u.bytes[i] = static_cast<std::uint8_t>(i * 0x11);
  EXPECT_EQ(u.ToString(), "00112233-4455-6677-8899-aabbccddeeff");
  EXPECT_EQ(Uuid4{}.ToString(), "00000000-0000-0000-0000-000000000000");
}

TEST(Uuid4, StringFormatEncodesTheBytes) {
  for (const Uuid4& u : Draw(2024, 300)) {
    const std::string s = u.ToString();
    ASSERT_EQ(s.size(), 36u) << s;
    Uuid4 decoded;
    int byte = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (i == 8 || i == 13 || i == 18 || i == 23) {
        ASSERT_EQ(s[i], '-') << s;
        continue;
      }
      ASSERT_NE(HexValue(s[i]), -1) << "not lower-case hex: " << s;
      ASSERT_NE(HexValue(s[i + 1]), -1) << s;
      decoded.bytes[byte++] = static_cast<std::uint8_t>(HexValue(s[i]) * 16 + HexValue(s[i + 1]));
      ++i;
    }
    ASSERT_EQ(byte, 16);
    EXPECT_EQ(decoded, u) << s;
    EXPECT_EQ(s[14], '4') << s;
    EXPECT_NE(std::string("89ab").find(s[19]), std::string::npos) << s;
  }
}

}  // namespace
}  // namespace nacre
