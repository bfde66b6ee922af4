#include "adapters/zerodha/kite_json.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "adapters/zerodha/kite_mocks_test_util.h"

namespace nacre {
namespace {

Price P(const char* text) { return *Price::Parse(text, 2); }

TEST(KiteJson, PricesArriveAsIntegersOrFloatsAndBecomeExact) {
  EXPECT_EQ(*KitePrice(nlohmann::json::parse("1705"), "high"), P("1705"));
  EXPECT_EQ(*KitePrice(nlohmann::json::parse("1698.15"), "low"), P("1698.15"));  // 1698.1499…
  EXPECT_EQ(*KitePrice(nlohmann::json::parse("0.05"), "tick"), P("0.05"));
  EXPECT_EQ(KitePriceJson(P("1705")).dump(), "1705");
  EXPECT_EQ(KitePriceJson(P("1698.15")).dump(), "1698.15");
  for (const char* bad : {"\"12.5\"", "-1", "12.345", "null", "1e300"}) {
    auto r = KitePrice(nlohmann::json::parse(bad), "price");
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().rfind("price: ", 0), 0u) << r.error();
  }
}

TEST(KiteJson, ZerodhasCandlesReadExactlyAndTheirTimesRoundTrip) {
  const std::filesystem::path f = kite_mocks::Dir() / "historical_minute.json";
  if (!std::filesystem::exists(f)) GTEST_SKIP() << f.string() << " not present (../shared)";
  const nlohmann::json doc = nlohmann::json::parse(kite_mocks::Read(f));
  const auto& candles = doc.at("data").at("candles");
  ASSERT_FALSE(candles.empty());
  for (const auto& c : candles) {
    const std::string ts = c.at(0);
    auto t = ParseKiteCandleTime(ts);
    ASSERT_TRUE(t.ok()) << t.error();
    EXPECT_EQ(KiteCandleTimeText(*t), ts);
    for (int i = 1; i <= 4; ++i) EXPECT_TRUE(KitePrice(c.at(i), "ohlc").ok()) << c.dump();
  }
  EXPECT_EQ(*KitePrice(candles[0][1], "open"), P("1704.50"));
  EXPECT_EQ(FormatIst(*ParseKiteCandleTime(candles[0][0].get<std::string>())),
            "2017-12-15 09:15:00 IST");
}

TEST(KiteJson, OrderTimesAreIstWithoutAZone) {
  auto t = ParseKiteTime("2021-07-05 10:41:27");
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ(*t, FromIst(2021, 7, 5, 10, 41) + 27 * kNanosPerSecond);
  EXPECT_EQ(KiteTimeText(*t), "2021-07-05 10:41:27");
  for (const char* bad : {"2021-07-05T10:41:27", "2021-07-05 10:41", "2021-13-05 10:41:27"}) {
    auto r = ParseKiteTime(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().find(bad), std::string::npos) << r.error();
  }
}

}  // namespace
}  // namespace nacre
