// Historical candles from a small catalog written in a temp folder: 1-minute bars of one
// option aggregated into 5minute, 60minute (aligned at 09:15) and day candles; a second bar
// type (daily) ignored where it does not fit; a quotes-only option (candles of the mids,
// volume 0); a trades-only option; span limits at the boundary for every interval; bad
// intervals and dates; nothing past the virtual `now`; and the shape of Zerodha's mocks.
#include "apps/kite_emulator/historical.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "adapters/zerodha/kite_json.h"
#include "adapters/zerodha/kite_mocks_test_util.h"
#include "testkit/testkit.h"

namespace nacre::kite_emu {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Price P(std::int64_t hundredths) { return Price::Raw(hundredths * (kFixedScale / 100), 2); }

// Bar i of day `d` opens at 09:15 + i minutes: open 100.05 + i, high open + 2 + i % 3,
// low open - 1 - i % 2, close open + 0.50, volume 10 + i.
Bar MinuteBar(const BarType& t, const CivilDate& d, int i) {
  Bar b;
  b.bar_type = t;
  const std::int64_t o = 10'005 + 100 * i;
  b.open = P(o);
  b.high = P(o + 200 + 100 * (i % 3));
  b.low = P(o - 100 - 100 * (i % 2));
  b.close = P(o + 50);
  b.volume = Quantity::FromInt(10 + i);
  b.ts_event = FromIst(CivilDateTime{d, 9, 15 + i, 0, 0});
  b.ts_init = b.ts_event + kNanosPerMinute;
  return b;
}

constexpr CivilDate kDay{2026, 1, 5};
constexpr CivilDate kNextDay{2026, 1, 6};

class Historical : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() /
                        ("nacre_kite_hist_" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    auto c = Catalog::Open(dir_->string());
    ASSERT_TRUE(c.ok()) << c.error();
    catalog_ = c->release();
    const Instrument bars = BarsOption();
    const BarType minute(bars.id, {1, BarAggregation::kMinute, PriceType::kLast},
                         AggregationSource::kExternal);
    std::vector<Bar> day1;
    for (int i = 0; i < 90; ++i) day1.push_back(MinuteBar(minute, kDay, i));  // 09:15 … 10:44
    std::vector<Bar> day2;
    for (int i = 0; i < 3; ++i) day2.push_back(MinuteBar(minute, kNextDay, i));
    ASSERT_TRUE(catalog_->WriteBars(minute, day1).ok());
    ASSERT_TRUE(catalog_->WriteBars(minute, day2).ok());
    // A daily bar type too, with numbers no minute candle has: never used below a day, and
    // for day candles the finer minute bars win.
    const BarType daily(bars.id, {1, BarAggregation::kDay, PriceType::kLast},
                        AggregationSource::kExternal);
    Bar d;
    d.bar_type = daily;
    d.open = d.high = d.low = d.close = P(99'900);
    d.volume = Quantity::FromInt(1);
    d.ts_event = FromIst(CivilDateTime{kDay, 9, 15, 0, 0});
    d.ts_init = FromIst(CivilDateTime{kDay, 15, 30, 0, 0});
    ASSERT_TRUE(catalog_->WriteBars(daily, std::vector<Bar>{d}).ok());

    // Quotes every 20 s from 09:15:00 to 09:16:40: bid 50.00 + 0.05 j, ask bid + 0.10; the
    // third quote dips 0.40 with a one-tick spread (a mid off the tick grid: 49.725).
    const Instrument quotes = QuotesOption();
    std::vector<QuoteTick> qs;
    for (int j = 0; j < 6; ++j) {
      QuoteTick q;
      q.instrument_id = quotes.id;
      q.bid_price = P(5'000 + 5 * j - (j == 2 ? 40 : 0));
      q.ask_price = P(q.bid_price.raw() / (kFixedScale / 100) + (j == 2 ? 5 : 10));
      q.bid_size = q.ask_size = Quantity::FromInt(65);
      q.ts_init = q.ts_event = FromIst(CivilDateTime{kDay, 9, 15, 20 * j, 0});
      qs.push_back(q);
    }
    ASSERT_TRUE(catalog_->WriteQuotes(quotes.id, qs).ok());

    // Trades at 09:15:10 (20.00 × 65), 09:15:50 (21.25 × 130), 09:16:05 (19.50 × 65).
    const Instrument trades = TradesOption();
    std::vector<TradeTick> ts;
    const std::array<std::pair<int, std::int64_t>, 3> prices = {
        {{10, 2'000}, {50, 2'125}, {65, 1'950}}};
    for (std::size_t k = 0; k < prices.size(); ++k) {
      TradeTick t;
      t.instrument_id = trades.id;
      t.price = P(prices[k].second);
      t.size = Quantity::FromInt(k == 1 ? 130 : 65);
      t.trade_id = TradeId("T" + std::to_string(k));
      t.ts_init = t.ts_event = FromIst(CivilDateTime{kDay, 9, 15, 0, 0}) +
                               prices[k].first * kNanosPerSecond;
      ts.push_back(t);
    }
    ASSERT_TRUE(catalog_->WriteTrades(trades.id, ts).ok());
  }
  static void TearDownTestSuite() {
    delete catalog_;
    catalog_ = nullptr;
    fs::remove_all(*dir_);
    delete dir_;
  }

  static Instrument BarsOption() { return testkit::NiftyOption(OptionKind::kCall, "24000"); }
  static Instrument QuotesOption() { return testkit::NiftyOption(OptionKind::kPut, "23900"); }
  static Instrument TradesOption() { return testkit::NiftyOption(OptionKind::kCall, "24200"); }

  static json Candles(const Instrument& ins, std::string_view interval, std::string_view from,
                      std::string_view to, UnixNanos now, bool oi = false) {
    auto r = HistoricalCandles(*catalog_, ins, interval, from, to, oi, now);
    if (const auto* refused = std::get_if<KiteRefusal>(&r)) {
      ADD_FAILURE() << refused->status << " " << refused->error_type << ": " << refused->message;
      return json::array();
    }
    return std::get<json>(r)["candles"];
  }
  static KiteRefusal Refused(std::string_view interval, std::string_view from,
                             std::string_view to) {
    auto r = HistoricalCandles(*catalog_, BarsOption(), interval, from, to, false, Late());
    EXPECT_TRUE(std::holds_alternative<KiteRefusal>(r)) << interval << " " << from << " " << to;
    return std::holds_alternative<KiteRefusal>(r) ? std::get<KiteRefusal>(r) : KiteRefusal{};
  }
  static UnixNanos Late() { return FromIst(2026, 2, 1, 0, 0); }

  static fs::path* dir_;
  static Catalog* catalog_;
};
fs::path* Historical::dir_ = nullptr;
Catalog* Historical::catalog_ = nullptr;

// The candle of minute bars [first, last] of day `d` at `start`, computed bar by bar.
json Expected(const CivilDate& d, int first, int last, const char* start, bool oi = false) {
  const BarType t;
  Bar k = MinuteBar(t, d, first);
  std::int64_t volume = 0;
  for (int i = first; i <= last; ++i) {
    const Bar b = MinuteBar(t, d, i);
    if (b.high > k.high) k.high = b.high;
    if (b.low < k.low) k.low = b.low;
    k.close = b.close;
    volume += b.volume.raw() / kFixedScale;
  }
  json row = {start, KitePriceJson(k.open), KitePriceJson(k.high), KitePriceJson(k.low),
              KitePriceJson(k.close), volume};
  if (oi) row.push_back(0);
  return row;
}

TEST_F(Historical, FiveMinuteCandlesAggregateOneMinuteBars) {
  const json c = Candles(BarsOption(), "5minute", "2026-01-05 09:15:00", "2026-01-05 09:24:59",
                         Late());
  ASSERT_EQ(c.size(), 2u) << c.dump();
  // Bars 0..4: first open 100.05; highs 102.05 104.05 106.05 105.05 107.05; lows 99.05 99.05
  // 101.05 102.05 102.05; last close 104.55; volume 10 + … + 14.
  EXPECT_EQ(c[0], json::parse(R"(["2026-01-05T09:15:00+0530",100.05,107.05,99.05,104.55,60])"));
  EXPECT_EQ(c[0], Expected(kDay, 0, 4, "2026-01-05T09:15:00+0530"));
  EXPECT_EQ(c[1], json::parse(R"(["2026-01-05T09:20:00+0530",105.05,112.05,103.05,109.55,85])"));
  // Whole prices are JSON integers, as Kite sends them.
  EXPECT_TRUE(c[0][5].is_number_integer());
}

TEST_F(Historical, SixtyMinuteCandlesStartAtNineFifteen) {
  const json c = Candles(BarsOption(), "60minute", "2026-01-05", "2026-01-05", Late());
  ASSERT_EQ(c.size(), 2u) << c.dump();
  EXPECT_EQ(c[0], Expected(kDay, 0, 59, "2026-01-05T09:15:00+0530"));
  EXPECT_EQ(c[1], Expected(kDay, 60, 89, "2026-01-05T10:15:00+0530"));
  // A `from` inside a candle starts at the next one.
  const json later = Candles(BarsOption(), "60minute", "2026-01-05 09:16:00",
                             "2026-01-05 23:00:00", Late());
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0][0], "2026-01-05T10:15:00+0530");
  // Minute candles are the bars themselves; 10minute ones start 09:15, 09:25, ….
  const json minute = Candles(BarsOption(), "minute", "2026-01-05 10:44:00",
                              "2026-01-05 10:44:00", Late());
  ASSERT_EQ(minute.size(), 1u);
  EXPECT_EQ(minute[0], Expected(kDay, 89, 89, "2026-01-05T10:44:00+0530"));
  const json ten = Candles(BarsOption(), "10minute", "2026-01-05", "2026-01-05", Late());
  ASSERT_EQ(ten.size(), 9u);
  EXPECT_EQ(ten[1], Expected(kDay, 10, 19, "2026-01-05T09:25:00+0530"));
}

TEST_F(Historical, DayCandlesOnePerIstDayFromTheFinestBars) {
  const json c = Candles(BarsOption(), "day", "2026-01-01", "2026-01-31", Late(), true);
  ASSERT_EQ(c.size(), 2u) << c.dump();
  // The minute bars win over the daily bar (99.9 × 1), which is never mixed in.
  EXPECT_EQ(c[0], Expected(kDay, 0, 89, "2026-01-05T00:00:00+0530", true));
  EXPECT_EQ(c[1], Expected(kNextDay, 0, 2, "2026-01-06T00:00:00+0530", true));
  // Day candles count by date: a `from` late in the day still includes that day.
  EXPECT_EQ(Candles(BarsOption(), "day", "2026-01-05 15:00:00", "2026-01-05 15:00:00", Late())
                .size(),
            1u);
}

TEST_F(Historical, QuotesOnlyGiveCandlesOfTheMidsWithNoVolume) {
  const json c = Candles(QuotesOption(), "minute", "2026-01-05", "2026-01-05", Late(), true);
  ASSERT_EQ(c.size(), 2u) << c.dump();
  // Mids: 50.05, 50.10, 49.725 (the dip, exact at a decimal finer) | 50.20, 50.25, 50.30.
  EXPECT_EQ(c[0], json::parse(R"(["2026-01-05T09:15:00+0530",50.05,50.1,49.725,49.725,0,0])"));
  EXPECT_EQ(c[1], json::parse(R"(["2026-01-05T09:16:00+0530",50.2,50.3,50.2,50.3,0,0])"));
}

TEST_F(Historical, TradesOnlyGiveCandlesOfThePricesAndSizes) {
  const json c = Candles(TradesOption(), "minute", "2026-01-05", "2026-01-05", Late());
  ASSERT_EQ(c.size(), 2u) << c.dump();
  EXPECT_EQ(c[0], json::parse(R"(["2026-01-05T09:15:00+0530",20,21.25,20,21.25,195])"));
  EXPECT_EQ(c[1], json::parse(R"(["2026-01-05T09:16:00+0530",19.5,19.5,19.5,19.5,65])"));
}

TEST_F(Historical, NothingPastNowIsReturned) {
  // At 09:32:30 the bars that closed by then are 0..16 (bar 16 closes at 09:32).
  const UnixNanos now = FromIst(2026, 1, 5, 9, 32, 30);
  const json c = Candles(BarsOption(), "5minute", "2026-01-05", "2026-01-06", now);
  ASSERT_EQ(c.size(), 4u) << c.dump();
  EXPECT_EQ(c[3], Expected(kDay, 15, 16, "2026-01-05T09:30:00+0530"));  // the live candle
  EXPECT_TRUE(Candles(BarsOption(), "day", "2026-01-05", "2026-01-05",
                      FromIst(2026, 1, 5, 9, 15, 59))
                  .empty());  // the first bar has not closed yet
  EXPECT_TRUE(Candles(QuotesOption(), "minute", "2026-01-05", "2026-01-05",
                      FromIst(2026, 1, 4, 12, 0))
                  .empty());
  // A window with no data answers an empty list.
  EXPECT_TRUE(Candles(BarsOption(), "minute", "2026-01-07", "2026-01-08", Late()).empty());
}

TEST_F(Historical, SpanLimitsAtTheBoundaryForEveryInterval) {
  const std::vector<std::pair<const char*, int>> limits = {
      {"minute", 60},    {"3minute", 100},  {"5minute", 100},   {"10minute", 100},
      {"15minute", 200}, {"30minute", 200}, {"60minute", 400}, {"day", 2000}};
  const std::int64_t to = DaysFromCivil(kDay);
  for (const auto& [interval, days] : limits) {
    const std::string at_limit = FormatDate(CivilFromDays(to - days)) + " 09:15:00";
    auto ok = HistoricalCandles(*catalog_, BarsOption(), interval, at_limit,
                                "2026-01-05 09:15:00", false, Late());
    EXPECT_TRUE(std::holds_alternative<json>(ok)) << interval << " " << days << " days";
    const KiteRefusal r =
        Refused(interval, FormatDate(CivilFromDays(to - days - 1)), "2026-01-05 09:15:00");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.error_type, "InputException");
    EXPECT_EQ(r.message, "interval exceeds max limit: " + std::to_string(days) + " days");
  }
  // 2025-11-06 → 2026-01-05 is 60 days for minute candles; a day more is refused.
  EXPECT_EQ(Candles(BarsOption(), "minute", "2025-11-06", "2026-01-05 09:15:00", Late()).size(),
            1u);
  EXPECT_EQ(Refused("minute", "2025-11-05 23:59:59", "2026-01-05 00:00:00").message,
            "interval exceeds max limit: 60 days");
}

TEST_F(Historical, BadIntervalsAndDatesAreInputExceptions) {
  for (const char* bad : {"", "1minute", "2minute", "hour", "week", "Day", "60MINUTE"}) {
    const KiteRefusal r = Refused(bad, "2026-01-05", "2026-01-05");
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(r.error_type, "InputException");
    EXPECT_EQ(r.message, "invalid interval");
  }
  for (const char* bad : {"", "yesterday", "2026-13-01", "2026-02-30", "2026-01-05 9:15:00",
                          "2026-01-05T09:15:00", "2026-01-05 09:15:00+0530"}) {
    const KiteRefusal f = Refused("minute", bad, "2026-01-05");
    EXPECT_EQ(f.error_type, "InputException") << bad;
    EXPECT_EQ(f.message.rfind("invalid from date", 0), 0u) << f.message;
    const KiteRefusal t = Refused("minute", "2026-01-05", bad);
    EXPECT_EQ(t.message.rfind("invalid to date", 0), 0u) << t.message;
  }
  const KiteRefusal order = Refused("minute", "2026-01-05 10:00:00", "2026-01-05 09:59:59");
  EXPECT_EQ(order.status, 400);
  EXPECT_EQ(order.message, "from date cannot be after to date");
  // The same instant is a valid one-candle window.
  EXPECT_EQ(Candles(BarsOption(), "minute", "2026-01-05 09:15:00", "2026-01-05 09:15:00", Late())
                .size(),
            1u);
}

TEST(HistoricalEmpty, AnEmptyCatalogAnswersNoCandles) {
  const fs::path dir =
      fs::temp_directory_path() / ("nacre_kite_hist_empty_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  auto catalog = Catalog::Open(dir.string());
  ASSERT_TRUE(catalog.ok()) << catalog.error();
  auto r = HistoricalCandles(**catalog, testkit::NiftyIndex(), "day", "2026-01-01", "2026-01-31",
                             true, FromIst(2026, 2, 1, 0, 0));
  ASSERT_TRUE(std::holds_alternative<json>(r)) << std::get<KiteRefusal>(r).message;
  EXPECT_EQ(std::get<json>(r), json::parse(R"({"candles":[]})"));
  fs::remove_all(dir);
}

// Every candle of `ours` has the mock's length and, element by element, the same JSON kind.
void ExpectMockShape(const json& mock, const json& ours) {
  ASSERT_TRUE(mock.contains("candles"));
  ASSERT_FALSE(mock["candles"].empty());
  const json& ref = mock["candles"][0];
  ASSERT_FALSE(ours["candles"].empty());
  for (const json& candle : ours["candles"]) {
    ASSERT_EQ(candle.size(), ref.size()) << candle.dump();
    for (std::size_t i = 0; i < ref.size(); ++i) {
      EXPECT_EQ(candle[i].is_number(), ref[i].is_number()) << i;
      EXPECT_EQ(candle[i].is_string(), ref[i].is_string()) << i;
    }
    // The time parses as Kite's candle time.
    EXPECT_TRUE(ParseKiteCandleTime(candle[0].get<std::string>()).ok()) << candle[0];
  }
}

TEST_F(Historical, CandlesHaveTheShapeOfZerodhasMocks) {
  const json minute = kite_mocks::Data("historical_minute.json");
  const json with_oi = kite_mocks::Data("historical_oi.json");
  if (minute.is_null() || with_oi.is_null()) GTEST_SKIP() << "kite-mocks not present (../shared)";
  auto plain = HistoricalCandles(*catalog_, BarsOption(), "minute", "2026-01-05", "2026-01-05",
                                 false, Late());
  ExpectMockShape(minute, std::get<json>(plain));
  auto oi = HistoricalCandles(*catalog_, QuotesOption(), "minute", "2026-01-05", "2026-01-05",
                              true, Late());
  ExpectMockShape(with_oi, std::get<json>(oi));
}

}  // namespace
}  // namespace nacre::kite_emu
