// gzip bodies: round trips (empty, text, large and incompressible), a stream made by the
// `gzip` command decodes, damaged streams are refused, and Accept-Encoding is read as RFC 9110
// says (q=0 refuses a coding).
#include "net/gzip.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace nacre::net {
namespace {

TEST(Gzip, RoundTripsEmptyTextAndLargeBodies) {
  for (const std::string& s : {std::string(), std::string("instrument_token,exchange_token\n"),
                               std::string(3'000'000, 'x')}) {
    const std::string gz = GzipCompress(s);
    ASSERT_GE(gz.size(), 18u);  // header (10) + trailer (8)
    EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
    EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
    auto back = GzipDecompress(gz);
    ASSERT_TRUE(back.ok()) << back.error();
    EXPECT_EQ(*back, s);
  }
  // Incompressible bytes (a fixed linear congruential sequence) grow a little and come back.
  std::string noise(1'500'000, '\0');
  std::uint32_t x = 12345;
  for (char& c : noise) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  auto back = GzipDecompress(GzipCompress(noise));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, noise);
  EXPECT_EQ(GzipCompress(noise), GzipCompress(noise)) << "deterministic";
}

// `printf 'instrument_token,exchange_token\n256265,1001\n' | gzip -n -9`
const unsigned char kFromGzipCommand[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0xcc, 0x2b, 0x2e, 0x29,
    0x2a, 0xcd, 0x4d, 0xcd, 0x2b, 0x89, 0x2f, 0xc9, 0xcf, 0x4e, 0xcd, 0xd3, 0x49, 0xad, 0x48,
    0xce, 0x48, 0xcc, 0x4b, 0x4f, 0x85, 0x70, 0xb9, 0x8c, 0x4c, 0xcd, 0x8c, 0xcc, 0x4c, 0x75,
    0x0c, 0x0d, 0x0c, 0x0c, 0xb9, 0x00, 0x97, 0x9e, 0x63, 0x97, 0x2c, 0x00, 0x00, 0x00};
const std::string kPlain = "instrument_token,exchange_token\n256265,1001\n";

std::string Command() {
  return std::string(reinterpret_cast<const char*>(kFromGzipCommand), sizeof kFromGzipCommand);
}

TEST(Gzip, DecodesAStreamFromTheGzipCommandAndConcatenatedMembers) {
  auto plain = GzipDecompress(Command());
  ASSERT_TRUE(plain.ok()) << plain.error();
  EXPECT_EQ(*plain, kPlain);
  // Two members one after the other read as one body (as `gzip -d` reads them).
  auto twice = GzipDecompress(Command() + GzipCompress("more\n"));
  ASSERT_TRUE(twice.ok()) << twice.error();
  EXPECT_EQ(*twice, kPlain + "more\n");
}

TEST(Gzip, CorruptTruncatedAndForeignInputIsRefused) {
  EXPECT_FALSE(GzipDecompress("").ok());
  EXPECT_FALSE(GzipDecompress("plain text, not gzip").ok());
  const std::string good = Command();
  // Cut short: inside the deflate data and inside the trailer.
  EXPECT_FALSE(GzipDecompress(good.substr(0, 20)).ok());
  EXPECT_FALSE(GzipDecompress(good.substr(0, good.size() - 3)).ok());
  // A flipped CRC byte.
  std::string bad_crc = good;
  bad_crc[good.size() - 6] = static_cast<char>(bad_crc[good.size() - 6] ^ 0x55);
  auto crc = GzipDecompress(bad_crc);
  ASSERT_FALSE(crc.ok());
  EXPECT_NE(crc.error().find("gzip"), std::string::npos) << crc.error();
  // Garbage after the member.
  EXPECT_FALSE(GzipDecompress(good + "xyz").ok());
  // A bomb guard: 3 MB of 'x' refused with a 1 MB limit.
  auto big = GzipDecompress(GzipCompress(std::string(3'000'000, 'x')), 1'000'000);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().find("expands beyond"), std::string::npos) << big.error();
}

TEST(Gzip, AcceptEncodingListsGzipWithAPositiveQuality) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("gzip, deflate"));  // what Python's requests sends
  EXPECT_TRUE(AcceptsGzip("deflate, GZip;q=0.5"));
  EXPECT_TRUE(AcceptsGzip("br;q=1.0, gzip ; q=1"));
  EXPECT_TRUE(AcceptsGzip("x-gzip"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("identity"));
  EXPECT_FALSE(AcceptsGzip("deflate, br"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip; Q=0.000"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0, *"));  // gzip named and refused: the wildcard does not
  EXPECT_FALSE(AcceptsGzip("*;q=0"));
  EXPECT_TRUE(AcceptsGzip("gzipx, gzip;q=0.001"));
  EXPECT_FALSE(AcceptsGzip("gzipx"));
  HttpRequest r;
  EXPECT_FALSE(AcceptsGzip(r));
  r.headers = {{"accept-encoding", "gzip, deflate"}};
  EXPECT_TRUE(AcceptsGzip(r));
}

}  // namespace
}  // namespace nacre::net
