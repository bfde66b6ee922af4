#include "persistence/bar_csv.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "persistence/random_walk.h"

namespace nacre {
namespace {

const BarType kMinute = *BarType::Parse("NIFTY 50.NSE-1-MINUTE-LAST-EXTERNAL");

BarCsvOptions Nse() {
  BarCsvOptions o;
  o.bar_type = kMinute;
  return o;
}

TEST(BarCsv, NseFormatStampsOpenAndCloseInUtc) {
  auto bars = ParseBarsCsv(
      "Instrument,Date,Time,Open,High,Low,Close\r\n"
      "NIFTY,20240101,09:15,21727.75,21737.35,21701.80,21712.00\r\n"
      "NIFTY,20240101,09:16,21711.50,21720.00,21695.35,21695.65\r\n",
      "x.csv", Nse());
  ASSERT_TRUE(bars.ok()) << bars.error();
  ASSERT_EQ(bars->size(), 2u);
  const Bar& b = (*bars)[0];
  EXPECT_EQ(FormatIsoUtc(b.ts_event), "2024-01-01T03:45:00.000000000Z");
  EXPECT_EQ(FormatIsoUtc(b.ts_init), "2024-01-01T03:46:00.000000000Z");
  EXPECT_EQ(b.open.ToString(), "21727.75");
  EXPECT_EQ(b.high.raw(), 21737'350'000'000LL);
  EXPECT_EQ(b.low.ToString(), "21701.80");
  EXPECT_EQ(b.close.ToString(), "21712.00");
}

TEST(BarCsv, BadRowsNameLineAndColumn) {
  const std::string header = "Instrument,Date,Time,Open,High,Low,Close\n";
  auto err = [&](const std::string& row) {
    auto r = ParseBarsCsv(header + row, "bad.csv", Nse());
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.error();
  };
  EXPECT_NE(err("NIFTY,20241301,09:15,1,1,1,1\n").find("bad.csv:2: column 2: invalid date"),
            std::string::npos);
  EXPECT_NE(err("NIFTY,20240101,9:15,1,1,1,1\n").find("bad.csv:2: column 3: invalid time"),
            std::string::npos);
  EXPECT_NE(err("NIFTY,20240101,09:15,1,1,1\n").find("bad.csv:2: column 7: expected 7 fields"),
            std::string::npos);
  EXPECT_NE(err("NIFTY,20240101,09:15,100.123,101,99,100\n").find("column 4: open"),
            std::string::npos);
  EXPECT_NE(err("NIFTY,20240101,09:15,100,99,98,100\n").find("bar high"), std::string::npos);
  EXPECT_NE(err("NIFTY,20240101,09:16,1,1,1,1\nNIFTY,20240101,09:15,1,1,1,1\n")
                .find("bad.csv:3: column 2: timestamp"),
            std::string::npos);
  EXPECT_NE(err("").find("bad.csv: no data rows"), std::string::npos);
  auto empty = ParseBarsCsv("", "e.csv", Nse());
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error(), "e.csv: empty file");
  auto no_header = ParseBarsCsv("NIFTY,20240101,09:15,1,1,1,1\n", "h.csv", Nse());
  ASSERT_FALSE(no_header.ok());
  EXPECT_NE(no_header.error().find("h.csv:1: column 1: expected header"), std::string::npos);
}

TEST(BarCsv, GenericOhlcvWithOffsetAndCloseStamps) {
  BarCsvOptions o;
  o.format = BarCsvFormat::kGenericOhlcv;
  o.bar_type = *BarType::Parse("X.NSE-5-MINUTE-LAST-EXTERNAL");
  o.utc_offset = 0;
  o.timestamp = BarTimestamp::kClose;
  auto bars = ParseBarsCsv("datetime,open,high,low,close,volume\n"
                           "2024-01-01 04:00:00,10,11,9,10.5,1200\n",
                           "g.csv", o);
  ASSERT_TRUE(bars.ok()) << bars.error();
  EXPECT_EQ(FormatIsoUtc((*bars)[0].ts_event), "2024-01-01T03:55:00.000000000Z");
  EXPECT_EQ(FormatIsoUtc((*bars)[0].ts_init), "2024-01-01T04:00:00.000000000Z");
  EXPECT_EQ((*bars)[0].volume, Quantity::FromInt(1200));
  o.utc_offset = kIstOffset;
  o.timestamp = BarTimestamp::kOpen;
  auto ist = ParseBarsCsv("datetime,open,high,low,close\n2024-01-01 09:15,10,11,9,10\n", "g.csv", o);
  ASSERT_TRUE(ist.ok()) << ist.error();
  EXPECT_EQ(FormatIsoUtc((*ist)[0].ts_event), "2024-01-01T03:45:00.000000000Z");
}

TEST(BarCsv, MissingFileIsAClearError) {
  auto r = LoadBarsCsv("/nonexistent/x.csv", Nse());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("cannot open '/nonexistent/x.csv'"), std::string::npos);
}

TEST(BarCsv, RealNiftyFile) {
  const auto path =
      std::filesystem::path(NACRE_SOURCE_DIR) / "../shared/data/real/NIFTY_2024_1min.csv";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "../shared/data/real not present";
  auto bars = LoadBarsCsv(path.string(), Nse());
  ASSERT_TRUE(bars.ok()) << bars.error();
  ASSERT_EQ(bars->size(), 58127u);
  EXPECT_EQ(FormatIsoUtc(bars->front().ts_event), "2024-01-01T03:45:00.000000000Z");
  EXPECT_EQ(bars->front().open.ToString(), "21727.75");
  EXPECT_EQ(FormatIst(bars->back().ts_event), "2024-08-23 15:29:00 IST");
}

TEST(RandomWalk, DeterministicAndSessionShaped) {
  RandomWalkConfig c;
  c.bar_type = kMinute;
  c.days = 3;
  c.start_date = {2024, 1, 5};  // Friday: the walk skips the weekend
  const auto a = GenerateRandomWalkBars(c);
  const auto b = GenerateRandomWalkBars(c);
  ASSERT_EQ(a.size(), 3u * 375u);
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].close, b[i].close);
    ASSERT_TRUE(ValidateBar(a[i]).ok());
    ASSERT_EQ(a[i].close.raw() % c.tick_size.raw(), 0);
  }
  EXPECT_EQ(FormatIst(a[0].ts_event), "2024-01-05 09:15:00 IST");
  EXPECT_EQ(FormatIst(a[375].ts_event), "2024-01-08 09:15:00 IST");  // Monday
  EXPECT_EQ(FormatIst(a[374].ts_init), "2024-01-05 15:30:00 IST");
  c.seed = 8;
  EXPECT_NE(GenerateRandomWalkBars(c)[100].close, a[100].close);
}

}  // namespace
}  // namespace nacre
