#include "nse/lot_size.h"

#include <gtest/gtest.h>

namespace nacre {
namespace {

constexpr CivilDate D(int y, int m, int d) { return {y, m, d}; }
constexpr auto kW = ExpiryKind::kWeekly;
constexpr auto kM = ExpiryKind::kMonthly;

// The NIFTY lot of a contract expiring `expiry`, listed `listing`.
std::int64_t Lot(CivilDate expiry, ExpiryKind kind, CivilDate listing) {
  auto lot = LotSizeTable::NseDefaults().LotSize("NIFTY", expiry, kind, listing);
  EXPECT_TRUE(lot.ok()) << lot.error();
  return lot.ok() ? *lot : -1;
}

TEST(LotSizeTest, July2021MonthlyAndAugust2021Weeklies) {
  EXPECT_EQ(Lot(D(2021, 6, 24), kM, D(2021, 3, 26)), 75);
  EXPECT_EQ(Lot(D(2021, 7, 22), kW, D(2021, 6, 25)), 75);  // July weeklies kept 75
  EXPECT_EQ(Lot(D(2021, 7, 29), kM, D(2021, 4, 30)), 50);  // the Jul-2021 monthly
  EXPECT_EQ(Lot(D(2021, 8, 5), kW, D(2021, 7, 9)), 50);    // the first Aug-2021 weekly
}

TEST(LotSizeTest, April2024ChangeTo25) {
  EXPECT_EQ(Lot(D(2024, 4, 18), kW, D(2024, 3, 22)), 50);
  EXPECT_EQ(Lot(D(2024, 4, 25), kM, D(2024, 1, 26)), 50);  // the Apr-2024 monthly
  EXPECT_EQ(Lot(D(2024, 5, 2), kW, D(2024, 4, 5)), 25);    // first weekly traded at 25
  EXPECT_EQ(Lot(D(2024, 5, 30), kM, D(2024, 2, 29)), 25);
}

TEST(LotSizeTest, November2024ChangeTo75ByListingDate) {
  // Listed before 20-Nov-2024: 25 to expiry, even when expiring in 2025.
  EXPECT_EQ(Lot(D(2024, 11, 21), kW, D(2024, 10, 18)), 25);
  EXPECT_EQ(Lot(D(2024, 12, 19), kW, D(2024, 11, 18)), 25);
  EXPECT_EQ(Lot(D(2024, 12, 26), kM, D(2024, 9, 27)), 25);
  EXPECT_EQ(Lot(D(2025, 1, 30), kM, D(2024, 11, 1)), 25);
  // Listed on or after 20-Nov-2024: 75.
  EXPECT_EQ(Lot(D(2025, 1, 2), kW, D(2024, 11, 22)), 75);
  EXPECT_EQ(Lot(D(2024, 12, 26), kM, D(2024, 11, 20)), 75);  // hypothetical same-day listing
  EXPECT_EQ(Lot(D(2025, 2, 27), kM, D(2024, 11, 29)), 75);
}

TEST(LotSizeTest, January2026ChangeTo65ByExpiry) {
  EXPECT_EQ(Lot(D(2025, 12, 23), kW, D(2025, 11, 26)), 75);
  EXPECT_EQ(Lot(D(2025, 12, 30), kM, D(2025, 9, 26)), 75);  // last 75 expiry
  EXPECT_EQ(Lot(D(2026, 1, 6), kW, D(2025, 12, 3)), 65);
  EXPECT_EQ(Lot(D(2026, 1, 27), kM, D(2025, 10, 29)), 65);  // listed long before: still 65
  EXPECT_EQ(Lot(D(2026, 6, 30), kM, D(2026, 3, 31)), 65);
}

TEST(LotSizeTest, OtherIndicesFrom2026AndUnknownHistory) {
  const LotSizeTable t = LotSizeTable::NseDefaults();
  EXPECT_EQ(*t.LotSize("BANKNIFTY", D(2026, 1, 27), kM, D(2025, 10, 29)), 30);
  EXPECT_EQ(*t.LotSize("FINNIFTY", D(2026, 1, 27), kM, D(2025, 10, 29)), 60);
  EXPECT_EQ(t.LotSize("BANKNIFTY", D(2025, 12, 30), kM, D(2025, 9, 26)).error(),
            "no lot size known for BANKNIFTY monthly contracts expiring 2025-12-30 (listed "
            "2025-09-26)");
  EXPECT_FALSE(t.LotSize("SENSEX", D(2026, 1, 27), kW, D(2026, 1, 2)).ok());
  EXPECT_FALSE(t.LotSize("NIFTY", D(2014, 1, 30), kM, D(2013, 11, 1)).ok());
  EXPECT_EQ(t.LotSize("NIFTY", D(2026, 1, 6), kW, D(2026, 1, 7)).error(),
            "NIFTY contract expiring 2026-01-06: listing date 2026-01-07 is after expiry");
}

TEST(LotSizeTest, OverridesWin) {
  // Model NSE revising far-month contracts at the Dec-2024 expiry: an expiry-keyed row.
  auto t = LotSizeTable::NseDefaults().WithOverrides(
      {{"NIFTY", LotKey::kExpiry, D(2025, 1, 1), std::nullopt, 75, "revised at Dec-2024 expiry"}});
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ(*t->LotSize("NIFTY", D(2025, 1, 30), kM, D(2024, 11, 1)), 75);
  EXPECT_EQ(*t->LotSize("NIFTY", D(2024, 12, 26), kM, D(2024, 9, 27)), 25);
  // The later Jan-2026 change still wins over the earlier-dated override.
  EXPECT_EQ(*t->LotSize("NIFTY", D(2026, 1, 6), kW, D(2025, 12, 3)), 65);
  // An override with the same date as a default row replaces it.
  auto lot70 = LotSizeTable::NseDefaults().WithOverrides(
      {{"NIFTY", LotKey::kExpiry, D(2026, 1, 1), std::nullopt, 70, "what-if"}});
  EXPECT_EQ(*lot70->LotSize("NIFTY", D(2026, 1, 6), kW, D(2025, 12, 3)), 70);
  EXPECT_EQ(*lot70->LotSize("NIFTY", D(2025, 12, 30), kM, D(2025, 9, 26)), 75);
  // A wholly custom table.
  auto custom = LotSizeTable::Make({{"NIFTY", LotKey::kExpiry, D(2020, 1, 1), kW, 40, ""},
                                    {"NIFTY", LotKey::kExpiry, D(2020, 1, 1), kM, 80, ""}});
  ASSERT_TRUE(custom.ok());
  EXPECT_EQ(*custom->LotSize("NIFTY", D(2024, 1, 18), kW, D(2023, 12, 22)), 40);
  EXPECT_EQ(*custom->LotSize("NIFTY", D(2024, 1, 25), kM, D(2023, 10, 27)), 80);
}

TEST(LotSizeTest, RejectsBadRows) {
  EXPECT_EQ(
      LotSizeTable::Make({{"NIFTY", LotKey::kExpiry, D(2026, 1, 1), std::nullopt, 0, ""}}).error(),
      "lot size row 0 (NIFTY from 2026-01-01): lot 0 must be positive");
  EXPECT_FALSE(
      LotSizeTable::Make({{"", LotKey::kExpiry, D(2026, 1, 1), std::nullopt, 65, ""}}).ok());
  EXPECT_FALSE(
      LotSizeTable::Make({{"NIFTY", LotKey::kExpiry, D(2026, 2, 30), std::nullopt, 65, ""}}).ok());
}

}  // namespace
}  // namespace nacre
