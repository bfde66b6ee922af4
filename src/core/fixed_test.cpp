#include "core/fixed.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace nacre {
namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

TEST(ParseFixedRaw, ScalesToNineDecimalsAndReportsDecimals) {
  struct Case {
    const char* text;
    std::int64_t raw;
    int decimals;
  };
  const Case cases[] = {
      {"123.45", 123'450'000'000, 2},
      {"0", 0, 0},
      {"-0", 0, 0},
      {"+7", 7'000'000'000, 0},
      {"-0.5", -500'000'000, 1},
      {"-12.050", -12'050'000'000, 3},
      {"0.000000001", 1, 9},
      {"-0.000000001", -1, 9},
      {"00042", 42'000'000'000, 0},
      {"24000.05", 24'000'050'000'000, 2},
      {"9223372036.854775807", kMax, 9},
      {"-9223372036.854775807", -kMax, 9},
      // Around the 18-digit fast path.
      {"999999999.999999999", 999'999'999'999'999'999, 9},
      {"-999999999.999999999", -999'999'999'999'999'999, 9},
      {"1000000000.000000000", 1'000'000'000'000'000'000, 9},
      {".5", 500'000'000, 1},
      {"5.", 5'000'000'000, 0},
  };
  for (const Case& c : cases) {
    int decimals = -1;
    auto r = ParseFixedRaw(c.text, &decimals);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.error();
    EXPECT_EQ(*r, c.raw) << c.text;
    EXPECT_EQ(decimals, c.decimals) << c.text;
  }
}

TEST(ParseFixedRaw, DecimalsPointerIsOptional) {
  auto r = ParseFixedRaw("1.5", nullptr);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(*r, 1'500'000'000);
}

TEST(ParseFixedRaw, RejectsWithReason) {
  struct Case {
    const char* text;
    const char* reason;
  };
  const Case cases[] = {
      {"", "empty"},
      {"-", "no digits"},
      {"+", "no digits"},
      {".", "no digits"},
      {"0.0000000001", "more than 9 decimal places"},
      {"-1.1234567891", "more than 9 decimal places"},
      {"1.2.3", "more than one decimal point"},
      {"12a", "unexpected character 'a'"},
      {"1e5", "unexpected character 'e'"},
      {" 1", "unexpected character ' '"},
      {"1,000", "unexpected character ','"},
      {"--1", "unexpected character '-'"},
      {"9223372036.854775808", "out of range"},
      {"9223372037", "out of range"},
      {"-9223372037", "out of range"},
      {"99999999999999999999999999999999999999999", "out of range"},
  };
  for (const Case& c : cases) {
    int decimals = -1;
    auto r = ParseFixedRaw(c.text, &decimals);
    ASSERT_FALSE(r.ok()) << c.text << " parsed as " << *r;
    EXPECT_NE(r.error().find(std::string("invalid decimal '") + c.text + "'"), std::string::npos)
        << r.error();
    EXPECT_NE(r.error().find(c.reason), std::string::npos) << c.text << ": " << r.error();
    EXPECT_EQ(decimals, -1) << "decimals written on failure for " << c.text;
  }
}

// The general form FormatFixedRaw had before its hand-laid digits for precisions 1..9: the
// reference for every precision and the extremes.
std::string GeneralFormat(std::int64_t raw, int precision) {
  const std::int64_t rounded = RoundRaw(raw, precision);
  const bool negative = rounded < 0;
  const UInt128 mag = negative ? static_cast<UInt128>(-static_cast<Int128>(rounded))
                               : static_cast<UInt128>(rounded);
  const auto whole = static_cast<std::uint64_t>(mag / kFixedScale);
  const auto frac = static_cast<std::uint64_t>(mag % kFixedScale);
  if (precision <= 0) return fmt::format("{}{}", negative ? "-" : "", whole);
  const std::uint64_t shown = frac / static_cast<std::uint64_t>(Pow10(kFixedPrecision - precision));
  return fmt::format("{}{}.{:0{}}", negative ? "-" : "", whole, shown, precision);
}

TEST(FormatFixedRaw, TheSameTextAsTheGeneralFormAtEveryPrecision) {
  std::vector<std::int64_t> raws = {
      kMin,      kMin + 1,  -1'005'000'000, -999'999'999,  -5'000'000,      -1,       0,   1,
      4'999'999, 5'000'000, 999'999'999,    1'000'000'000, 123'456'789'012, kMax - 1, kMax};
  std::uint64_t rng = 777;
  for (int i = 0; i < 3000; ++i) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    raws.push_back(static_cast<std::int64_t>(rng) >> (rng % 63));
  }
  for (const std::int64_t raw : raws) {
    for (int precision = -1; precision <= 11; ++precision) {
      ASSERT_EQ(FormatFixedRaw(raw, precision), GeneralFormat(raw, precision))
          << raw << " at " << precision;
    }
  }
}

TEST(FormatFixedRaw, ExactDecimals) {
  EXPECT_EQ(FormatFixedRaw(123'450'000'000, 2), "123.45");
  EXPECT_EQ(FormatFixedRaw(123'450'000'000, 4), "123.4500");
  EXPECT_EQ(FormatFixedRaw(123'450'000'000, 0), "123");
  EXPECT_EQ(FormatFixedRaw(123'456'789, 9), "0.123456789");
  EXPECT_EQ(FormatFixedRaw(-500'000'000, 1), "-0.5");
  EXPECT_EQ(FormatFixedRaw(-500'000'000, 3), "-0.500");
  EXPECT_EQ(FormatFixedRaw(0, 2), "0.00");
  EXPECT_EQ(FormatFixedRaw(5'000'000'000, 0), "5");
  EXPECT_EQ(FormatFixedRaw(kMax, 9), "9223372036.854775807");
  EXPECT_EQ(FormatFixedRaw(kMin, 9), "-9223372036.854775808");
}

TEST(FormatFixedRaw, RoundsExtraDigitsHalfAwayFromZero) {
  EXPECT_EQ(FormatFixedRaw(1'234'567'890, 0), "1");
  EXPECT_EQ(FormatFixedRaw(1'500'000'000, 0), "2");
  EXPECT_EQ(FormatFixedRaw(-1'500'000'000, 0), "-2");
  EXPECT_EQ(FormatFixedRaw(2'345'000'000, 2), "2.35");
  EXPECT_EQ(FormatFixedRaw(-2'345'000'000, 2), "-2.35");
  EXPECT_EQ(FormatFixedRaw(2'344'999'999, 2), "2.34");
  // A negative value that rounds to zero prints without a sign.
  EXPECT_EQ(FormatFixedRaw(-4'000'000, 2), "0.00");
  EXPECT_EQ(FormatFixedRaw(-5'000'000, 2), "-0.01");
}

TEST(FormatFixedRaw, RoundTripsParse) {
  const char* texts[] = {"0",
                         "1",
                         "-1",
                         "0.05",
                         "-0.05",
                         "24000.05",
                         "100.500",
                         "0.000000001",
                         "-3.14159",
                         "1234567.89",
                         "-9223372036.854775807"};
  for (const char* t : texts) {
    int decimals = 0;
    auto r = ParseFixedRaw(t, &decimals);
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(FormatFixedRaw(*r, decimals), t);
  }
}

// Reference: half away from zero as sign(a) * floor((2|a| + b) / 2b), in plain integers.
std::int64_t ReferenceDivRound(std::int64_t a, std::int64_t b) {
  const std::int64_t mag = (2 * (a < 0 ? -a : a) + b) / (2 * b);
  return a < 0 ? -mag : mag;
}

TEST(DivRound, HalfAwayFromZero) {
  EXPECT_EQ(DivRound(5, 2), 3);    // 2.5
  EXPECT_EQ(DivRound(-5, 2), -3);  // -2.5
  EXPECT_EQ(DivRound(7, 2), 4);    // 3.5
  EXPECT_EQ(DivRound(-7, 2), -4);
  EXPECT_EQ(DivRound(4, 3), 1);    // 1.33
  EXPECT_EQ(DivRound(-4, 3), -1);  // -1.33
  EXPECT_EQ(DivRound(5, 3), 2);    // 1.67
  EXPECT_EQ(DivRound(-5, 3), -2);  // -1.67
  EXPECT_EQ(DivRound(-1, 3), 0);
  EXPECT_EQ(DivRound(-1, 2), -1);
  EXPECT_EQ(DivRound(6, 3), 2);
  EXPECT_EQ(DivRound(-6, 3), -2);
  EXPECT_EQ(DivRound(0, 7), 0);
}

TEST(DivRound, MatchesReferenceOnAGrid) {
  for (std::int64_t a = -200; a <= 200; ++a) {
    for (std::int64_t b = 1; b <= 12; ++b) {
      ASSERT_EQ(static_cast<std::int64_t>(DivRound(a, b)), ReferenceDivRound(a, b))
          << a << " / " << b;
    }
  }
}

TEST(DivRound, WorksBeyondSixtyFourBits) {
  const Int128 big = static_cast<Int128>(kMax) * 1'000'000'000;  // exceeds int64
  EXPECT_EQ(DivRound(big, 1'000'000'000), kMax);
  EXPECT_EQ(DivRound(-big - 500'000'000, 1'000'000'000), -static_cast<Int128>(kMax) - 1);
}

// The 128-bit division as DivRound did it before its 64-bit path: the reference for operands
// that fit in 64 bits, including the extremes (INT64_MIN, divisors past 2^62 where 2|r| would
// overflow).
Int128 WideDivRound(Int128 a, Int128 b) {
  const Int128 q = a / b;
  const Int128 r = a % b;
  if (r == 0) return q;
  const Int128 twice = (r < 0 ? -r : r) * 2;
  if (twice >= b) return a < 0 ? q - 1 : q + 1;
  return q;
}

TEST(DivRound, SixtyFourBitOperandsGiveTheWideDivisionsResult) {
  const std::int64_t lo = std::numeric_limits<std::int64_t>::min();
  const std::int64_t hi = std::numeric_limits<std::int64_t>::max();
  std::vector<std::int64_t> as = {
      lo, lo + 1, -kFixedScale - 500'000'000, -5, -1, 0, 1, 5, kFixedScale / 2, hi - 1, hi};
  std::vector<std::int64_t> bs = {1, 2, 3, 7, 10, kFixedScale, Pow10(18), (hi / 2) + 1, hi - 1, hi};
  std::uint64_t rng = 12345;
  for (int i = 0; i < 2000; ++i) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    as.push_back(static_cast<std::int64_t>(rng) >> (rng % 60));
    bs.push_back(static_cast<std::int64_t>((rng >> 1) >> (rng % 62)) | 1);
  }
  for (const std::int64_t a : as) {
    for (const std::int64_t b : {bs[0], bs[1], bs[2], bs[5], bs[7], bs[9]}) {
      ASSERT_TRUE(DivRound(a, b) == WideDivRound(a, b)) << a << " / " << b;
    }
  }
  for (std::size_t i = 0; i < as.size(); ++i) {
    const std::int64_t b = bs[i % bs.size()];
    ASSERT_TRUE(DivRound(as[i], b) == WideDivRound(as[i], b)) << as[i] << " / " << b;
  }
  // Half away from zero at the edge of 2|r| >= b with b past 2^62.
  EXPECT_TRUE(DivRound(hi / 2 + 1, hi) == 1);  // a just over b/2
  EXPECT_TRUE(DivRound(hi / 2, hi) == 0);      // a just under b/2
  EXPECT_TRUE(DivRound(-(hi / 2) - 1, hi) == -1);
}

TEST(RoundRaw, ToPrecision) {
  EXPECT_EQ(RoundRaw(123'455'000'000, 2), 123'460'000'000);    // 123.455 -> 123.46
  EXPECT_EQ(RoundRaw(-123'455'000'000, 2), -123'460'000'000);  // -123.455 -> -123.46
  EXPECT_EQ(RoundRaw(123'454'999'999, 2), 123'450'000'000);
  EXPECT_EQ(RoundRaw(-123'454'999'999, 2), -123'450'000'000);
  EXPECT_EQ(RoundRaw(2'500'000'000, 0), 3'000'000'000);
  EXPECT_EQ(RoundRaw(-2'500'000'000, 0), -3'000'000'000);
  EXPECT_EQ(RoundRaw(123'456'789, 9), 123'456'789);
  EXPECT_EQ(RoundRaw(123'456'789, 8), 123'456'790);
  EXPECT_EQ(RoundRaw(123'456'789, 12), 123'456'789);
}

TEST(FitsPrecision, DetectsExtraDigits) {
  EXPECT_TRUE(FitsPrecision(123'450'000'000, 2));
  EXPECT_FALSE(FitsPrecision(123'455'000'000, 2));
  EXPECT_TRUE(FitsPrecision(123'455'000'000, 3));
  EXPECT_FALSE(FitsPrecision(-1, 8));
  EXPECT_TRUE(FitsPrecision(-1, 9));
  EXPECT_TRUE(FitsPrecision(7'000'000'000, 0));
  EXPECT_FALSE(FitsPrecision(7'000'000'001, 0));
}

TEST(Pow10, Values) {
  EXPECT_EQ(Pow10(0), 1);
  EXPECT_EQ(Pow10(2), 100);
  EXPECT_EQ(Pow10(9), kFixedScale);
  EXPECT_EQ(Pow10(18), 1'000'000'000'000'000'000);
}

TEST(MulRaw, ProductsAtScale) {
  std::int64_t out = 0;
  ASSERT_TRUE(MulRaw(2'500'000'000, 4'000'000'000, &out));  // 2.5 * 4
  EXPECT_EQ(out, 10'000'000'000);
  ASSERT_TRUE(MulRaw(-3'000'000'000, 3'000'000'000, &out));  // -3 * 3
  EXPECT_EQ(out, -9'000'000'000);
  ASSERT_TRUE(MulRaw(24'000'050'000'000, 65'000'000'000, &out));  // 24000.05 * 65
  EXPECT_EQ(out, 1'560'003'250'000'000);
  // 1e-9 * 0.5 = 5e-10 rounds away from zero to 1e-9, both signs.
  ASSERT_TRUE(MulRaw(1, 500'000'000, &out));
  EXPECT_EQ(out, 1);
  ASSERT_TRUE(MulRaw(-1, 500'000'000, &out));
  EXPECT_EQ(out, -1);
  ASSERT_TRUE(MulRaw(1, 499'999'999, &out));
  EXPECT_EQ(out, 0);
  ASSERT_TRUE(MulRaw(kMax, kFixedScale, &out));  // max * 1
  EXPECT_EQ(out, kMax);
  ASSERT_TRUE(MulRaw(kMin, kFixedScale, &out));
  EXPECT_EQ(out, kMin);
}

TEST(MulRaw, OverflowIsReportedAndLeavesOutputAlone) {
  std::int64_t out = 77;
  EXPECT_FALSE(MulRaw(kMax, 2 * kFixedScale, &out));  // max * 2
  EXPECT_EQ(out, 77);
  EXPECT_FALSE(MulRaw(kMax, -2 * kFixedScale, &out));
  EXPECT_EQ(out, 77);
  EXPECT_FALSE(MulRaw(kMin, -kFixedScale, &out));  // -min does not fit
  EXPECT_EQ(out, 77);
  // 4e9 * 4e9 (units) = 1.6e19 units, far above 9.2e9 units.
  EXPECT_FALSE(MulRaw(4'000'000'000'000'000'000, 4'000'000'000'000'000'000, &out));
  EXPECT_EQ(out, 77);
}

}  // namespace
}  // namespace nacre
