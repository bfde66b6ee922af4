// Backtest TOML config: a valid file builds a runnable engine; every kind of mistake is a
// ConfigError naming the file, line and key, and nothing runs.
#include "backtest/backtest_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "apps/examples/sma_cross.h"

namespace nacre {
namespace {

const char* kValid = R"(
[engine]
seed = 1

[[venues]]
name = "NFO"
starting_balance = "100000"

[[instruments]]
id = "NIFTY-I.NFO"
kind = "future"
underlying = "NIFTY 50.NSE"
tick_size = "0.05"
expiry = "2099-12-31"

[[data]]
format = "random_walk"
bar_type = "NIFTY-I.NFO-1-MINUTE-LAST-EXTERNAL"
days = 2

[[strategies]]
type = "SmaCross"
[strategies.params]
bar_type = "NIFTY-I.NFO-1-MINUTE-LAST-EXTERNAL"
fast_period = 5
slow_period = 20
)";

ComponentRegistry Registry() {
  ComponentRegistry r;
  RegisterExampleComponents(r);
  return r;
}

std::string ErrorOf(const std::string& text) {
  try {
    LoadBacktestConfigString(text, "test.toml", "", Registry(), nullptr);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  const auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return s.replace(pos, from.size(), to);
}

TEST(BacktestConfig, ValidConfigRuns) {
  auto bt = LoadBacktestConfigString(kValid, "test.toml", "", Registry(), nullptr);
  const BacktestResult r = bt.engine->Run(bt.start, bt.end);
  EXPECT_EQ(r.bars, 2u * 375u);
  EXPECT_EQ(r.starting_balance, Money::FromInt(100000));
  EXPECT_GT(r.orders, 0u);
}

// An end written as a date means through that day, as a trader means it; a time is exact.
TEST(BacktestConfig, AnEndDateAloneRunsThroughThatIstDay) {
  for (const char* end : {"end = \"2024-01-01\"", "end = 2024-01-01"}) {
    auto bt = LoadBacktestConfigString(Replace(kValid, "seed = 1", std::string("seed = 1\n") + end),
                                       "test.toml", "", Registry(), nullptr);
    ASSERT_TRUE(bt.end.has_value());
    EXPECT_EQ(FormatIst(*bt.end + 1), "2024-01-02 00:00:00 IST") << end;
    EXPECT_EQ(bt.engine->Run(bt.start, bt.end).bars, 375u) << end;  // the whole first session
  }
  auto noon = LoadBacktestConfigString(
      Replace(kValid, "seed = 1", "seed = 1\nend = \"2024-01-01 12:00\""), "test.toml", "",
      Registry(), nullptr);
  EXPECT_EQ(noon.engine->Run(noon.start, noon.end).bars, 165u);  // 09:16 .. 12:00
}

TEST(BacktestConfig, CacheCapacitiesAreConfigurable) {
  const BarType bt = *BarType::Parse("NIFTY-I.NFO-1-MINUTE-LAST-EXTERNAL");
  auto def = LoadBacktestConfigString(kValid, "test.toml", "", Registry(), nullptr);
  def.engine->Run(def.start, def.end);
  EXPECT_EQ(def.engine->kernel().cache().bar_count(bt), 750u);  // default 1,000 per bar type
  auto small = LoadBacktestConfigString(Replace(kValid, "seed = 1", "seed = 1\ncache_bars = 60"),
                                        "test.toml", "", Registry(), nullptr);
  const BacktestResult r = small.engine->Run(small.start, small.end);
  EXPECT_EQ(small.engine->kernel().cache().bar_count(bt), 60u);
  EXPECT_EQ(r.bars, 750u);  // the strategy (slow period 20) still saw every bar
  const std::string err = ErrorOf(Replace(kValid, "seed = 1", "seed = 1\ncache_quotes = 0"));
  EXPECT_NE(err.find("test.toml:4"), std::string::npos) << err;
  EXPECT_NE(err.find("'engine.cache_quotes'"), std::string::npos) << err;
  EXPECT_NE(err.find("must be between 1 and 1000000"), std::string::npos) << err;
}

TEST(BacktestConfig, UnknownKeyNamesLineAndKey) {
  const std::string err = ErrorOf(Replace(kValid, "fast_period = 5", "fast_perod = 5"));
  EXPECT_NE(err.find("test.toml:"), std::string::npos) << err;
  EXPECT_NE(err.find("unknown key 'strategies[0].params.fast_perod'"), std::string::npos) << err;
  // Line of the misspelt key (counting the leading newline of kValid).
  EXPECT_NE(err.find("test.toml:25"), std::string::npos) << err;
}

TEST(BacktestConfig, UnknownTopLevelSection) {
  const std::string err = ErrorOf(std::string(kValid) + "\n[enigne]\nseed = 2\n");
  EXPECT_NE(err.find("unknown key 'enigne'"), std::string::npos) << err;
}

TEST(BacktestConfig, WrongTypeNamesKey) {
  const std::string err = ErrorOf(Replace(kValid, "days = 2", "days = \"two\""));
  EXPECT_NE(err.find("'data[0].days'"), std::string::npos) << err;
  EXPECT_NE(err.find("expected an integer, got string"), std::string::npos) << err;
}

TEST(BacktestConfig, BadValues) {
  EXPECT_NE(ErrorOf(Replace(kValid, "slow_period = 20", "slow_period = 3"))
                .find("must be greater than fast_period"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf(Replace(kValid, "starting_balance = \"100000\"", "starting_balance = \"1.005\""))
          .find("'venues[0].starting_balance'"),
      std::string::npos);
  const std::string bt =
      ErrorOf(Replace(kValid,
                      "bar_type = \"NIFTY-I.NFO-1-MINUTE-LAST-EXTERNAL\"\n"
                      "days",
                      "bar_type = \"NIFTY-I.NFO-7-MINUTE-LAST-EXTERNAL\"\ndays"));
  EXPECT_NE(bt.find("does not divide"), std::string::npos) << bt;
  const std::string kind = ErrorOf(Replace(kValid, "kind = \"future\"", "kind = \"swap\""));
  EXPECT_NE(kind.find("'instruments[0].kind': unknown value \"swap\" (expected index, future, "
                      "option)"),
            std::string::npos)
      << kind;
  const std::string type = ErrorOf(Replace(kValid, "type = \"SmaCross\"", "type = \"SmaCros\""));
  EXPECT_NE(type.find("unknown strategy type 'SmaCros' (known: SmaCross)"), std::string::npos)
      << type;
}

TEST(BacktestConfig, MissingRequiredKey) {
  const std::string err = ErrorOf(Replace(kValid, "starting_balance = \"100000\"", ""));
  EXPECT_NE(err.find("missing required key 'venues[0].starting_balance'"), std::string::npos)
      << err;
}

TEST(BacktestConfig, SyntaxErrorReportsLine) {
  const std::string err = ErrorOf("[engine]\nseed = = 3\n");
  EXPECT_NE(err.find("test.toml:2:"), std::string::npos) << err;
}

TEST(BacktestConfig, DataForUndefinedInstrument) {
  const std::string err =
      ErrorOf(Replace(kValid, "bar_type = \"NIFTY-I.NFO-1-MINUTE-LAST-EXTERNAL\"\ndays",
                      "bar_type = \"BANKNIFTY-I.NFO-1-MINUTE-LAST-EXTERNAL\"\ndays"));
  EXPECT_NE(err.find("instrument BANKNIFTY-I.NFO is not defined"), std::string::npos) << err;
}

TEST(BacktestConfig, BadCsvRowNamesFileLineAndColumn) {
  const auto dir = std::filesystem::temp_directory_path() / "nacre_cfg_test";
  std::filesystem::create_directories(dir);
  {
    std::ofstream f(dir / "bars.csv");
    f << "Instrument,Date,Time,Open,High,Low,Close\n"
      << "NIFTY,20240101,09:15,21727.75,21737.35,21701.80,21712.00\n"
      << "NIFTY,20240101,09:16,21711.50,abc,21695.35,21695.65\n";
  }
  std::string text = Replace(kValid, "format = \"random_walk\"", "format = \"nse_index_1min\"");
  text = Replace(text, "days = 2", "path = \"bars.csv\"");
  // CSV bars stream during the run: the file and header are checked when the config loads,
  // a bad row stops the run at that row with the file, line and column.
  LoadedBacktest bt = LoadBacktestConfigString(text, "cfg.toml", dir.string(), Registry(), nullptr);
  const BacktestResult r = bt.engine->Run();
  ASSERT_FALSE(bt.engine->data_status().ok());
  const std::string err = bt.engine->data_status().error();
  EXPECT_NE(err.find("bars.csv:3: column 5: high"), std::string::npos) << err;
  EXPECT_EQ(r.bars, 1u);  // the good row before it was processed, nothing after
  std::filesystem::remove_all(dir);
}

TEST(BacktestConfig, CsvWithBadHeaderFailsWhenLoading) {
  const auto dir = std::filesystem::temp_directory_path() / "nacre_cfg_test_header";
  std::filesystem::create_directories(dir);
  {
    std::ofstream f(dir / "bars.csv");
    f << "when,o,h,l,c\n";
  }
  std::string text = Replace(kValid, "format = \"random_walk\"", "format = \"nse_index_1min\"");
  text = Replace(text, "days = 2", "path = \"bars.csv\"");
  try {
    LoadBacktestConfigString(text, "cfg.toml", dir.string(), Registry(), nullptr);
    FAIL() << "expected an error";
  } catch (const ConfigError& e) {
    const std::string err = e.what();
    EXPECT_NE(err.find("bars.csv:1: column 1: expected header"), std::string::npos) << err;
  }
  std::filesystem::remove_all(dir);
}

TEST(BacktestConfig, MissingDataFile) {
  std::string text = Replace(kValid, "format = \"random_walk\"", "format = \"nse_index_1min\"");
  text = Replace(text, "days = 2", "path = \"/nonexistent/bars.csv\"");
  const std::string err = ErrorOf(text);
  EXPECT_NE(err.find("cannot open '/nonexistent/bars.csv'"), std::string::npos) << err;
}

TEST(BacktestConfig, CalendarDeniesOrdersOnHolidaysAndAfterTheClose) {
  const std::string text = std::string(kValid) + R"(
[calendar]
holidays = ["2024-01-01"]
)";
  auto bt = LoadBacktestConfigString(text, "test.toml", "", Registry(), nullptr);
  const BacktestResult r = bt.engine->Run(bt.start, bt.end);
  ASSERT_GT(r.orders, 0u);
  EXPECT_GT(r.orders_denied, 0u);
  std::size_t on_holiday = 0;
  for (const Order* o : bt.engine->kernel().cache().Orders()) {
    const CivilDateTime ist = ToIst(o->ts_init());
    const bool closed = ist.date == CivilDate{2024, 1, 1} || ist.hour * 60 + ist.minute >= 930;
    EXPECT_EQ(o->status() == OrderStatus::kDenied, closed) << FormatIst(o->ts_init());
    on_holiday += ist.date == CivilDate{2024, 1, 1} ? 1 : 0;
  }
  EXPECT_GT(on_holiday, 0u);
}

TEST(BacktestConfig, CalendarErrorsNameTheKey) {
  const std::string err =
      ErrorOf(std::string(kValid) + "\n[calendar]\nholidays = [\"2024-13-01\"]\n");
  EXPECT_NE(err.find("holidays"), std::string::npos) << err;
}

TEST(BacktestConfig, LiveRiskLimitsAreReadFromRiskLive) {
  const std::string text = std::string(kValid) + R"(
[risk]
max_submit_per_second = 0

[risk.live]
capital_cap = "500000"
max_lots_per_order = 10
max_lots_per_spread = 4
max_open_spreads = 3
max_orders_per_day = 200
daily_loss_soft = "10000"
daily_loss_hard = "20000"
loss_check_secs = 5
)";
  auto bt = LoadBacktestConfigString(text, "test.toml", "", Registry(), nullptr);
  const LiveRiskLimits& live = bt.engine->kernel().risk_engine().config().live;
  EXPECT_EQ(live.capital_cap, Money::FromInt(500000));
  EXPECT_EQ(live.max_lots_per_order, 10);
  EXPECT_EQ(live.max_lots_per_spread, 4);
  EXPECT_EQ(live.max_open_spreads, 3);
  EXPECT_EQ(live.max_orders_per_day, 200);
  EXPECT_EQ(live.daily_loss_soft, Money::FromInt(10000));
  EXPECT_EQ(live.daily_loss_hard, Money::FromInt(20000));
  EXPECT_EQ(live.loss_check_interval, 5 * kNanosPerSecond);
  // Unset: every limit off.
  auto plain = LoadBacktestConfigString(kValid, "test.toml", "", Registry(), nullptr);
  const LiveRiskLimits& off = plain.engine->kernel().risk_engine().config().live;
  EXPECT_FALSE(off.capital_cap || off.max_lots_per_order || off.max_lots_per_spread ||
               off.max_open_spreads || off.max_orders_per_day || off.daily_loss_soft ||
               off.daily_loss_hard);
}

TEST(BacktestConfig, LiveRiskErrorsNameFileLineAndKey) {
  const std::string base = std::string(kValid) + "\n[risk.live]\n";  // [risk.live] on line 28
  const std::string negative = ErrorOf(base + "capital_cap = \"-5\"\n");
  EXPECT_NE(negative.find("test.toml:29"), std::string::npos) << negative;
  EXPECT_NE(negative.find("'risk.live.capital_cap'"), std::string::npos) << negative;
  const std::string lots = ErrorOf(base + "max_lots_per_order = -1\n");
  EXPECT_NE(lots.find("test.toml:29"), std::string::npos) << lots;
  EXPECT_NE(lots.find("'risk.live.max_lots_per_order'"), std::string::npos) << lots;
  const std::string order =
      ErrorOf(base + "daily_loss_soft = \"30000\"\ndaily_loss_hard = \"20000\"\n");
  EXPECT_NE(order.find("test.toml:29"), std::string::npos) << order;
  EXPECT_NE(order.find("'risk.live.daily_loss_soft'"), std::string::npos) << order;
  EXPECT_NE(order.find("30000.00 is above daily_loss_hard 20000.00"), std::string::npos) << order;
  const std::string unknown = ErrorOf(base + "max_lots = 3\n");
  EXPECT_NE(unknown.find("test.toml:29"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("'risk.live.max_lots'"), std::string::npos) << unknown;
}

// A backtest rehearses the live limits: one order a day; a closing order always passes (the
// long/flat SmaCross opens with buys and closes with sells), the other buys are denied.
TEST(BacktestConfig, LiveRiskLimitsDenyOrdersInABacktest) {
  const std::string text = std::string(kValid) + "\n[risk.live]\nmax_orders_per_day = 1\n";
  auto bt = LoadBacktestConfigString(text, "test.toml", "", Registry(), nullptr);
  const BacktestResult r = bt.engine->Run(bt.start, bt.end);
  std::map<std::string, int> buys_per_day;
  std::size_t denied = 0;
  for (const Order* o : bt.engine->kernel().cache().Orders()) {
    if (o->status() == OrderStatus::kDenied) {
      ++denied;
      EXPECT_EQ(o->side(), OrderSide::kBuy);
      continue;
    }
    if (o->side() == OrderSide::kBuy) ++buys_per_day[FormatDate(IstDate(o->ts_init()))];
  }
  EXPECT_GT(denied, 0u);
  EXPECT_EQ(r.orders_denied, denied);
  for (const auto& [day, n] : buys_per_day) EXPECT_LE(n, 1) << day;
}

}  // namespace
}  // namespace nacre
