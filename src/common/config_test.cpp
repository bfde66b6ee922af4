#include "common/config.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::Inr;
using testkit::Px;

// Parses `text` as "test.toml" and keeps the table alive for the ConfigTable views.
class Doc {
 public:
  explicit Doc(std::string_view text) : table_(ConfigTable::ParseString(text, "test.toml")) {}
  ConfigTable Root() const { return ConfigTable(*table_, "test.toml", ""); }

 private:
  std::shared_ptr<toml::table> table_;
};

// The ConfigError message thrown by `fn`, or "<no error>".
template <typename Fn>
std::string ErrorOf(Fn&& fn) {
  try {
    fn();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(ConfigTableTest, TypedGettersAndDefaults) {
  const Doc doc(R"(
name = "spreads"
lots = 3
ratio = 0.25
whole = 2
live = true
symbols = ["NIFTY", "BANKNIFTY"]
)");
  const ConfigTable t = doc.Root();
  EXPECT_EQ(t.GetString("name"), "spreads");
  EXPECT_EQ(t.GetString("name", "other"), "spreads");
  EXPECT_EQ(t.GetString("missing", "fallback"), "fallback");
  EXPECT_EQ(t.GetInt("lots"), 3);
  EXPECT_EQ(t.GetInt("lots", 9), 3);
  EXPECT_EQ(t.GetInt("missing_int", 9), 9);
  EXPECT_DOUBLE_EQ(t.GetDouble("ratio", 1.0), 0.25);
  EXPECT_DOUBLE_EQ(t.GetDouble("whole", 1.0), 2.0);  // integers are numbers too
  EXPECT_DOUBLE_EQ(t.GetDouble("missing_double", 1.5), 1.5);
  EXPECT_TRUE(t.GetBool("live", false));
  EXPECT_FALSE(t.GetBool("missing_bool", false));
  EXPECT_EQ(t.GetStringArray("symbols"), (std::vector<std::string>{"NIFTY", "BANKNIFTY"}));
  EXPECT_TRUE(t.GetStringArray("missing_array").empty());
  EXPECT_TRUE(t.Has("name"));
  EXPECT_FALSE(t.Has("nope"));
  EXPECT_NO_THROW(t.Finish());
}

TEST(ConfigTableTest, MissingRequiredKeyNamesTheKeyPath) {
  const Doc doc("[risk]\nmax_lots = 10\n");
  const ConfigTable root = doc.Root();
  const std::string top = ErrorOf([&] { root.GetString("mode"); });
  EXPECT_NE(top.find("test.toml"), std::string::npos) << top;
  EXPECT_NE(top.find("missing required key 'mode'"), std::string::npos) << top;

  const ConfigTable risk = root.GetTable("risk");
  const std::string nested = ErrorOf([&] { risk.GetInt("max_notional"); });
  EXPECT_NE(nested.find("test.toml:1"), std::string::npos) << nested;  // the [risk] header
  EXPECT_NE(nested.find("missing required key 'risk.max_notional'"), std::string::npos) << nested;
  EXPECT_THROW(root.GetTable("absent"), ConfigError);
  EXPECT_THROW(root.GetPrice("absent"), ConfigError);
  EXPECT_THROW(root.GetMoney("absent"), ConfigError);
  EXPECT_THROW(root.GetTime("absent", 0), ConfigError);
}

TEST(ConfigTableTest, WrongTypeNamesFileLineAndKeyPath) {
  const Doc doc(R"(title = "x"

[engine]
name = "E"
lots = "three"
flag = 1
ratio = "high"
tags = "a"
)");
  const ConfigTable engine = doc.Root().GetTable("engine");
  EXPECT_EQ(ErrorOf([&] { engine.GetInt("lots"); }),
            "test.toml:5: 'engine.lots': expected an integer, got string");
  EXPECT_EQ(ErrorOf([&] { engine.GetInt("lots", 1); }),
            "test.toml:5: 'engine.lots': expected an integer, got string");
  EXPECT_EQ(ErrorOf([&] { engine.GetBool("flag", false); }),
            "test.toml:6: 'engine.flag': expected true or false, got integer");
  EXPECT_EQ(ErrorOf([&] { engine.GetDouble("ratio", 0); }),
            "test.toml:7: 'engine.ratio': expected a number, got string");
  EXPECT_EQ(ErrorOf([&] { engine.GetString("lots"); }), "<no error>");
  EXPECT_EQ(ErrorOf([&] { engine.GetInt("name"); }),
            "test.toml:4: 'engine.name': expected an integer, got string");
  EXPECT_EQ(ErrorOf([&] { engine.GetStringArray("tags"); }),
            "test.toml:8: 'engine.tags': expected an array of strings, got string");
  EXPECT_EQ(ErrorOf([&] { doc.Root().GetTable("title"); }),
            "test.toml:1: 'title': expected a table, got string");
  EXPECT_EQ(ErrorOf([&] { engine.GetString("flag"); }),
            "test.toml:6: 'engine.flag': expected a string, got integer");
}

TEST(ConfigTableTest, NonFiniteNumbersAndIntegersOutOfRangeAreRefusedNeverWrapped) {
  const Doc doc("a = nan\nb = inf\nc = -inf\nd = 4294967297\ne = 7\nf = 2.5\n");
  const ConfigTable t = doc.Root();
  EXPECT_NE(ErrorOf([&] { (void)t.GetDouble("a", 0); }).find("'a'"), std::string::npos);
  EXPECT_NE(ErrorOf([&] { (void)t.GetDouble("b", 0); }).find("finite"), std::string::npos);
  EXPECT_NE(ErrorOf([&] { (void)t.GetDouble("c", 0); }).find("finite"), std::string::npos);
  EXPECT_DOUBLE_EQ(t.GetDouble("f", 0), 2.5);
  const std::string wrap = ErrorOf([&] { (void)t.GetInt32("d", 0); });
  EXPECT_NE(wrap.find("'d'"), std::string::npos) << wrap;
  EXPECT_NE(wrap.find("4294967297"), std::string::npos) << wrap;
  EXPECT_EQ(t.GetInt32("e", 0), 7);
  EXPECT_EQ(t.GetIntIn("e", 0, 1, 10), 7);
  const std::string range = ErrorOf([&] { (void)t.GetIntIn("e", 0, 8, 10); });
  EXPECT_NE(range.find("must be between 8 and 10, got 7"), std::string::npos) << range;
  EXPECT_EQ(t.GetIntIn("missing", 9, 8, 10), 9);
}

TEST(ConfigTableTest, ADirectoryGivenAsAConfigIsRefused) {
  const std::string dir = ::testing::TempDir();
  const std::string why = ErrorOf([&] { (void)ConfigTable::ParseFile(dir); });
  EXPECT_NE(why.find("is a directory, not a config file"), std::string::npos) << why;
}

TEST(ConfigTableTest, MixedArrayIsRejected) {
  const Doc doc("symbols = [\"NIFTY\", 5]\n");
  const std::string err = ErrorOf([&] { doc.Root().GetStringArray("symbols"); });
  EXPECT_NE(err.find("test.toml:1: 'symbols'"), std::string::npos) << err;
}

TEST(ConfigTableTest, FinishRejectsUnknownKeysWithLine) {
  const Doc doc(R"(name = "x"
lots = 2
lotz = 3
)");
  const ConfigTable t = doc.Root();
  t.GetString("name");
  t.GetInt("lots");
  EXPECT_EQ(ErrorOf([&] { t.Finish(); }), "test.toml:3: unknown key 'lotz'");
  // Reading it (even through Has or a default getter) marks it known.
  EXPECT_FALSE(t.GetBool("absent", false));
  t.Has("lotz");
  EXPECT_NO_THROW(t.Finish());
}

TEST(ConfigTableTest, FinishChecksEachTableSeparately) {
  const Doc doc(R"(
[data]
catalog = "/tmp/catalog"
colour = "blue"
)");
  const ConfigTable root = doc.Root();
  const ConfigTable data = root.GetTable("data");
  EXPECT_NO_THROW(root.Finish());  // "data" was read; its contents are data's business
  data.GetString("catalog");
  EXPECT_EQ(ErrorOf([&] { data.Finish(); }), "test.toml:4: unknown key 'data.colour'");
}

TEST(ConfigTableTest, NestedTablesAndArraysOfTables) {
  const Doc doc(R"(
[[strategies]]
name = "first"
[strategies.params]
fast = 5

[[strategies]]
name = "second"
[strategies.params]
fast = "ten"
slow = 20
)");
  const ConfigTable root = doc.Root();
  const std::vector<ConfigTable> strategies = root.GetTableArray("strategies");
  ASSERT_EQ(strategies.size(), 2u);
  EXPECT_EQ(strategies[0].GetString("name"), "first");
  EXPECT_EQ(strategies[1].GetString("name"), "second");
  EXPECT_EQ(strategies[1].KeyPath("name"), "strategies[1].name");
  const ConfigTable p0 = strategies[0].GetTable("params");
  EXPECT_EQ(p0.GetInt("fast"), 5);
  const ConfigTable p1 = strategies[1].GetTable("params");
  EXPECT_EQ(ErrorOf([&] { p1.GetInt("fast"); }),
            "test.toml:10: 'strategies[1].params.fast': expected an integer, got string");
  EXPECT_EQ(ErrorOf([&] { p1.Finish(); }), "test.toml:11: unknown key 'strategies[1].params.slow'");
  EXPECT_EQ(ErrorOf([&] { p1.GetInt("missing"); }).find("'strategies[1].params.missing'") !=
                std::string::npos,
            true);
  EXPECT_TRUE(root.GetTableArray("none").empty());
  EXPECT_FALSE(root.GetOptionalTable("none").has_value());
  ASSERT_TRUE(strategies[0].GetOptionalTable("params").has_value());
  EXPECT_EQ(strategies[0].GetOptionalTable("params")->KeyPath("fast"), "strategies[0].params.fast");
}

TEST(ConfigTableTest, ArrayOfTablesWithANonTableElement) {
  const Doc doc("strategies = [{ name = \"a\" }, 3]\nsingle = 4\n");
  const std::string err = ErrorOf([&] { doc.Root().GetTableArray("strategies"); });
  EXPECT_NE(err.find("'strategies'"), std::string::npos) << err;
  EXPECT_NE(err.find("element 1 is not a table"), std::string::npos) << err;
  const std::string not_array = ErrorOf([&] { doc.Root().GetTableArray("single"); });
  EXPECT_NE(not_array.find("expected an array of tables ([[single]]), got integer"),
            std::string::npos)
      << not_array;
}

TEST(ConfigTableTest, PriceAndMoneyAreExactFromStringsAndNumbers) {
  const Doc doc(R"(
tick = "0.05"
tick_num = 0.05
strike = 24000
capital = "1000000.50"
capital_num = 250000.75
capital_int = 500000
crore = 10000000.0
fine_tick = 0.0001
)");
  const ConfigTable t = doc.Root();
  const Price tick = t.GetPrice("tick");
  EXPECT_EQ(tick, Px("0.05"));
  EXPECT_EQ(tick.raw(), 50'000'000);
  EXPECT_EQ(tick.precision(), 2);
  const Price tick_num = t.GetPrice("tick_num");
  EXPECT_EQ(tick_num.raw(), 50'000'000);  // not 0.05000000000000000277...
  EXPECT_EQ(tick_num.precision(), 2);
  EXPECT_EQ(t.GetPrice("strike"), Px("24000"));
  EXPECT_EQ(t.GetMoney("capital"), Inr("1000000.50"));
  EXPECT_EQ(t.GetMoney("capital_num"), Inr("250000.75"));
  EXPECT_EQ(t.GetMoney("capital_int"), Inr("500000"));
  // Floats whose shortest form is exponential are still plain decimals to the user.
  EXPECT_EQ(t.GetMoney("crore"), Inr("10000000"));
  EXPECT_EQ(t.GetPrice("fine_tick"), Px("0.0001"));
  ASSERT_TRUE(t.GetOptionalMoney("capital").has_value());
  EXPECT_FALSE(t.GetOptionalMoney("nope").has_value());
}

TEST(ConfigTableTest, BadDecimalsNameTheKey) {
  const Doc doc(R"(
paise = "10.005"
word = "ten"
flag = true
tiny = 1e-12
huge = 1e300
)");
  const ConfigTable t = doc.Root();
  const std::string paise = ErrorOf([&] { t.GetMoney("paise"); });
  EXPECT_NE(paise.find("test.toml:2: 'paise'"), std::string::npos) << paise;
  const std::string word = ErrorOf([&] { t.GetPrice("word"); });
  EXPECT_NE(word.find("test.toml:3: 'word'"), std::string::npos) << word;
  EXPECT_EQ(ErrorOf([&] { t.GetPrice("flag"); }),
            "test.toml:4: 'flag': expected a decimal number or string, got boolean");
  EXPECT_NE(ErrorOf([&] { t.GetPrice("tiny"); }).find("'tiny'"), std::string::npos);
  EXPECT_NE(ErrorOf([&] { t.GetMoney("huge"); }).find("'huge'"), std::string::npos);
}

TEST(ConfigTableTest, GetTimeFromStringsDatesAndDateTimes) {
  const Doc doc(R"(
iso_offset = "2024-01-01T09:15:00+05:30"
iso_zulu = "2024-01-01T03:45:00Z"
iso_local = "2024-01-01 09:15"
date_str = "2024-01-01"
toml_offset = 2024-01-01T09:15:00+05:30
toml_local = 2024-01-01T09:15:00
toml_date = 2024-01-01
toml_frac = 2024-01-01T09:15:00.5Z
bad = "yesterday"
number = 5
)");
  const ConfigTable t = doc.Root();
  const UnixNanos expected = FromIst(2024, 1, 1, 9, 15);
  EXPECT_EQ(t.GetTime("iso_offset", 0), expected);
  EXPECT_EQ(t.GetTime("iso_zulu", kIstOffset), expected);
  EXPECT_EQ(t.GetTime("iso_local", kIstOffset), expected);  // default offset applies
  EXPECT_EQ(t.GetTime("iso_local", 0), FromUtc(2024, 1, 1, 9, 15));
  EXPECT_EQ(t.GetTime("date_str", kIstOffset), FromIst(2024, 1, 1, 0, 0));
  EXPECT_EQ(t.GetTime("toml_offset", 0), expected);
  EXPECT_EQ(t.GetTime("toml_local", kIstOffset), expected);
  EXPECT_EQ(t.GetTime("toml_local", 0), FromUtc(2024, 1, 1, 9, 15));
  EXPECT_EQ(t.GetTime("toml_date", kIstOffset), FromIst(2024, 1, 1, 0, 0));
  EXPECT_EQ(t.GetTime("toml_date", 0), FromUtc(2024, 1, 1, 0, 0));
  EXPECT_EQ(t.GetTime("toml_frac", 0), FromUtc(2024, 1, 1, 9, 15) + kNanosPerSecond / 2);
  const std::string bad = ErrorOf([&] { t.GetTime("bad", 0); });
  EXPECT_NE(bad.find("test.toml:10: 'bad'"), std::string::npos) << bad;
  EXPECT_NE(bad.find("yesterday"), std::string::npos) << bad;
  EXPECT_EQ(ErrorOf([&] { t.GetTime("number", 0); }),
            "test.toml:11: 'number': expected a date or date-time, got integer");
}

TEST(ConfigTableTest, SyntaxErrorReportsFileAndLine) {
  const std::string err =
      ErrorOf([] { ConfigTable::ParseString("a = 1\nb = 2\nc = = 3\n", "broken.toml"); });
  EXPECT_EQ(err.rfind("broken.toml:3:", 0), 0u) << err;
  const std::string dup =
      ErrorOf([] { ConfigTable::ParseString("a = 1\n\n\na = 2\n", "dup.toml"); });
  EXPECT_EQ(dup.rfind("dup.toml:4:", 0), 0u) << dup;
}

TEST(ConfigTableTest, ParseFileReportsMissingFile) {
  const std::string err =
      ErrorOf([] { ConfigTable::ParseFile("/nonexistent/dir/nacre-config.toml"); });
  EXPECT_NE(err.find("/nonexistent/dir/nacre-config.toml"), std::string::npos) << err;
}

TEST(ConfigTableTest, WhereAndKeyPath) {
  const Doc doc("a = 1\n[sub]\nb = 2\n");
  const ConfigTable root = doc.Root();
  EXPECT_EQ(root.Where("a"), "test.toml:1");
  EXPECT_EQ(root.KeyPath("a"), "a");
  const ConfigTable sub = root.GetTable("sub");
  EXPECT_EQ(sub.Where("b"), "test.toml:3");
  EXPECT_EQ(sub.Where(), "test.toml:2");
  EXPECT_EQ(sub.KeyPath("b"), "sub.b");
  EXPECT_EQ(sub.KeyPath(""), "sub");
  EXPECT_EQ(sub.file(), "test.toml");
  EXPECT_EQ(ErrorOf([&] { sub.Fail("b", "must be odd"); }), "test.toml:3: 'sub.b': must be odd");
}

TEST(ParseDurationTest, UnitsAndErrors) {
  EXPECT_EQ(*ParseDuration("0"), 0);
  EXPECT_EQ(*ParseDuration("250"), 250);
  EXPECT_EQ(*ParseDuration("250ns"), 250);
  EXPECT_EQ(*ParseDuration("3us"), 3 * kNanosPerMicro);
  EXPECT_EQ(*ParseDuration("500ms"), 500 * kNanosPerMilli);
  EXPECT_EQ(*ParseDuration("2s"), 2 * kNanosPerSecond);
  EXPECT_EQ(*ParseDuration("1m"), kNanosPerMinute);
  EXPECT_EQ(*ParseDuration("15min"), 15 * kNanosPerMinute);
  EXPECT_EQ(*ParseDuration("1h"), kNanosPerHour);
  EXPECT_EQ(*ParseDuration("2d"), 2 * kNanosPerDay);
  for (const char* bad : {"", "s", "-1s", "1.5s", "2 s", "5sec", "ms5", "1y"}) {
    const Result<DurationNs> r = ParseDuration(bad);
    EXPECT_FALSE(r) << "'" << bad << "' parsed as " << (r ? *r : 0);
    if (!r) {
      EXPECT_NE(r.error().find("invalid duration"), std::string::npos) << r.error();
    }
  }
  const Result<DurationNs> unit = ParseDuration("5sec");
  ASSERT_FALSE(unit);
  EXPECT_NE(unit.error().find("unknown unit 'sec'"), std::string::npos) << unit.error();
}

TEST(ParseDurationTest, OverflowIsAnErrorNotAWrap) {
  const Result<DurationNs> r = ParseDuration("200000d");  // > 292 years of nanoseconds
  EXPECT_FALSE(r) << *r;
  EXPECT_TRUE(ParseDuration("106751d"));  // just fits
}

}  // namespace
}  // namespace nacre
