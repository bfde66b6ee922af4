// A strategy whose data is not in the run refuses to start, naming its config key and what
// data the run holds (common/data_coverage.h), instead of running and trading nothing: an
// underlying with no data, a start/end range outside the data, a bar type with no bars. Exit
// code 2 from `nacre backtest`, like every bad input. The options cases use a one-week
// synthetic catalog the test writes itself; the SmaCross ones the demo's random walk.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "backtest/backtest_engine.h"
#include "cli_exec.h"

namespace {

namespace fs = std::filesystem;
using nacre::testing::Exec;

std::string ReadText(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

class StartChecks : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("nacre_start_checks_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
    const auto synth = nacre::testing::SynthDemoWeek((root_ / "catalog").string());
    ASSERT_EQ(synth.exit_code, 0) << synth.out;
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  // The demo's spreads config on the test catalog, with `engine_extra` lines in [engine] and
  // text replacements.
  static std::string SpreadConfig(const std::string& name, const std::string& engine_extra,
                                  const std::vector<std::pair<std::string, std::string>>& edits) {
    std::string text =
        ReadText(fs::path(NACRE_SOURCE_DIR) / "examples/nifty_spreads_backtest.toml");
    text = Replace(text, "catalog = \"../build/demo-catalog\"",
                   "catalog = \"" + (root_ / "catalog").string() + "\"");
    text = Replace(text, "log_level = \"WARN\"\n", "log_level = \"WARN\"\n" + engine_extra);
    for (const auto& [from, to] : edits) {
      EXPECT_NE(text.find(from), std::string::npos) << from;
      text = Replace(text, from, to);
    }
    const fs::path p = root_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  static std::string SmaConfig(const std::string& name, const std::string& engine_extra,
                               const std::string& strategy_bar_type) {
    std::string text = ReadText(fs::path(NACRE_SOURCE_DIR) / "examples/sma_cross_demo.toml");
    text = Replace(text, "log_level = \"WARN\"\n", "log_level = \"WARN\"\n" + engine_extra);
    // The strategy's bar_type is the last one in the file (the first is the data's).
    const std::string key = "bar_type = \"NIFTY-I.NFO-1-MINUTE-LAST-EXTERNAL\"";
    const auto at = text.rfind(key);
    EXPECT_NE(at, std::string::npos);
    text.replace(at, key.size(), "bar_type = \"" + strategy_bar_type + "\"");
    const fs::path p = root_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  // Line of the first occurrence of `needle` in a file (1-based).
  static int LineOf(const std::string& path, const std::string& needle) {
    std::ifstream in(path);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      if (line.find(needle) != std::string::npos) return n;
    }
    return 0;
  }

  static fs::path root_;
};

fs::path StartChecks::root_;

TEST_F(StartChecks, TheDemoConfigOnTheCatalogStarts) {
  const auto ok = Exec("backtest -q " + SpreadConfig("ok.toml", "", {}), true);
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
}

TEST_F(StartChecks, AnUnderlyingWithoutDataStopsTheStartNamingTheKeyAndTheData) {
  const std::string cfg =
      SpreadConfig("bank.toml", "",
                   {{"underlying = \"NIFTY 50.NSE\"", "underlying = \"BANKNIFTY.NSE\""},
                    {"signal_bar_type = \"NIFTY 50.NSE-5-MINUTE-LAST-EXTERNAL\"",
                     "signal_bar_type = \"BANKNIFTY.NSE-5-MINUTE-LAST-EXTERNAL\""}});
  const auto r = Exec("backtest -q " + cfg, true);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  const std::string where = fmt::format(
      "bank.toml:{}: 'strategies[0].params.underlying' = "
      "\"BANKNIFTY.NSE\": no quotes, trades or bars of it "
      "anywhere in the data",
      LineOf(cfg, "underlying = \"BANKNIFTY.NSE\""));
  EXPECT_NE(r.out.find(where), std::string::npos) << r.out;
  // What the data does hold: the NIFTY index's bars and quotes, and NFO option quotes.
  EXPECT_NE(r.out.find("the data holds bars: NIFTY 50.NSE-5-MINUTE-LAST-EXTERNAL 2025-01-06"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(" on NFO (NIFTY25"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NIFTY 50.NSE 2025-01-06"), std::string::npos) << r.out;
  // Nothing ran: no summary table.
  EXPECT_EQ(r.out.find("data points"), std::string::npos) << r.out;
}

TEST_F(StartChecks, ARangeOutsideTheCatalogStopsTheStartNamingStartAndEnd) {
  const std::string cfg =
      SpreadConfig("range.toml", "start = \"2030-01-01\"\nend = \"2030-03-31\"\n", {});
  const auto r = Exec("backtest -q " + cfg, true);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("'strategies[0].params.underlying' = \"NIFTY 50.NSE\": no quotes, trades "
                       "or bars of it between 2030-01-01 00:00:00 IST and 2030-03-31 23:59:59 IST"),
            std::string::npos)
      << r.out;
  EXPECT_NE(
      r.out.find(fmt::format("({}:{}: 'engine.start', {}:{}: 'engine.end')", cfg,
                             LineOf(cfg, "start = \"2030"), cfg, LineOf(cfg, "end = \"2030"))),
      std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("NIFTY 50.NSE-5-MINUTE-LAST-EXTERNAL 2025-01-06 09:20:00 IST .. "
                       "2025-01-10 15:30:00 IST"),
            std::string::npos)
      << r.out;
}

TEST_F(StartChecks, ASignalBarTypeWithoutBarsStopsTheStart) {
  const std::string cfg =
      SpreadConfig("signal.toml", "",
                   {{"signal_bar_type = \"NIFTY 50.NSE-5-MINUTE-LAST-EXTERNAL\"",
                     "signal_bar_type = \"NIFTY 50.NSE-1-HOUR-LAST-EXTERNAL\""}});
  const auto r = Exec("backtest -q " + cfg, true);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find(fmt::format("signal.toml:{}: 'strategies[0].params.signal_bar_type' = "
                                   "\"NIFTY 50.NSE-1-HOUR-LAST-EXTERNAL\": no such bars",
                                   LineOf(cfg, "signal_bar_type ="))),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("the data holds bars: NIFTY 50.NSE-5-MINUTE-LAST-EXTERNAL"),
            std::string::npos)
      << r.out;
}

TEST_F(StartChecks, AnUnderlyingWithoutOptionQuotesStopsTheStart) {
  // Only the index bars: the signal works, but there is no option chain to trade.
  std::string cfg = SpreadConfig("nochain.toml", "", {});
  std::string text = ReadText(cfg);
  const auto quotes = text.find("[[data]]", text.find("[[data]]") + 1);
  const auto actors = text.find("[[actors]]");
  ASSERT_NE(quotes, std::string::npos);
  text.erase(quotes, actors - quotes);
  std::ofstream(cfg) << text;
  const auto r = Exec("backtest -q " + cfg, true);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("'strategies[0].params.underlying' = \"NIFTY 50.NSE\": no quotes of "
                       "options on it anywhere in the data"),
            std::string::npos)
      << r.out;
}

TEST_F(StartChecks, SmaCrossBarTypeWithoutBarsOrOutsideTheRangeStopsTheStart) {
  const std::string ok = SmaConfig("sma_ok.toml", "", "NIFTY-I.NFO-1-MINUTE-LAST-EXTERNAL");
  EXPECT_EQ(Exec("backtest -q " + ok, true).exit_code, 0);
  const std::string bars = SmaConfig("sma_bars.toml", "", "NIFTY-I.NFO-5-MINUTE-LAST-EXTERNAL");
  const auto r = Exec("backtest -q " + bars, true);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find(fmt::format("sma_bars.toml:{}: 'strategies[0].params.bar_type' = "
                                   "\"NIFTY-I.NFO-5-MINUTE-LAST-EXTERNAL\": no such bars anywhere "
                                   "in the data",
                                   LineOf(bars, "NIFTY-I.NFO-5-MINUTE"))),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("the data holds bars: NIFTY-I.NFO-1-MINUTE-LAST-EXTERNAL 2024-01-01"),
            std::string::npos)
      << r.out;
  // INTERNAL bars need the instrument's trades (LAST): there are only bars.
  const std::string internal =
      SmaConfig("sma_internal.toml", "", "NIFTY-I.NFO-5-MINUTE-LAST-INTERNAL");
  const auto i = Exec("backtest -q " + internal, true);
  EXPECT_EQ(i.exit_code, 2) << i.out;
  EXPECT_NE(i.out.find("no quotes or trades to aggregate these bars from"), std::string::npos)
      << i.out;
  const std::string range = SmaConfig("sma_range.toml", "start = 2030-01-01\nend = 2030-06-30\n",
                                      "NIFTY-I.NFO-1-MINUTE-LAST-EXTERNAL");
  const auto g = Exec("backtest -q " + range, true);
  EXPECT_EQ(g.exit_code, 2) << g.out;
  EXPECT_NE(g.out.find("'strategies[0].params.bar_type' = \"NIFTY-I.NFO-1-MINUTE-LAST-EXTERNAL\": "
                       "no such bars between 2030-01-01 00:00:00 IST and 2030-06-30 23:59:59 IST"),
            std::string::npos)
      << g.out;
  EXPECT_NE(g.out.find("sma_range.toml:" + std::to_string(LineOf(range, "start = 2030")) +
                       ": 'engine.start'"),
            std::string::npos)
      << g.out;
}

// The engine's own account of its data: in-memory series whatever the range, described
// streams, and none at all once a stream does not say what it holds.
TEST(DataCoverageEngine, InMemoryAndDescribedStreamsAreCoveredUndescribedOnesAreNot) {
  using namespace nacre;
  BacktestEngine engine;
  const BarType bt = *BarType::Parse("X.NSE-1-MINUTE-LAST-EXTERNAL");
  std::vector<Bar> bars;
  for (int i = 0; i < 3; ++i) {
    Bar b;
    b.bar_type = bt;
    b.open = b.high = b.low = b.close = *Price::Parse("100.00");
    b.volume = Quantity::FromInt(1);
    b.ts_event = b.ts_init = FromIst(2024, 1, 1, 9, 16 + i);
    bars.push_back(b);
  }
  engine.AddBars(bars);
  engine.Run(FromIst(2024, 1, 1, 9, 17), FromIst(2024, 1, 1, 9, 17));
  const DataCoverage* c = engine.data_coverage();
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->CanServeBars(bt));
  EXPECT_EQ(
      c->Describe(),
      "bars: X.NSE-1-MINUTE-LAST-EXTERNAL 2024-01-01 09:16:00 IST .. 2024-01-01 09:18:00 IST");
  engine.Run(FromIst(2025, 1, 1, 9, 0), FromIst(2025, 1, 2, 9, 0));
  EXPECT_FALSE(engine.data_coverage()->CanServeBars(bt));
  engine.AddStream([]() -> Result<std::unique_ptr<DataStream>> { return MakeError("unused"); });
  engine.Run();
  EXPECT_EQ(engine.data_coverage(), nullptr);
}

// In-memory series' spans are kept as data is added: batches out of time order, interleaved
// instruments and a batch added after a run all count, each series from its earliest to its
// latest point.
TEST(DataCoverageEngine, InMemorySpansFollowEveryBatchWhateverItsOrder) {
  using namespace nacre;
  BacktestEngine engine;
  const InstrumentId a = *InstrumentId::Parse("A.NSE");
  const InstrumentId b = *InstrumentId::Parse("B.NSE");
  auto quote = [](const InstrumentId& id, int minute) {
    QuoteTick q;
    q.instrument_id = id;
    q.bid_price = *Price::Parse("100.00");
    q.ask_price = *Price::Parse("100.05");
    q.bid_size = q.ask_size = Quantity::FromInt(1);
    q.ts_event = q.ts_init = FromIst(2024, 1, 1, 9, minute);
    return q;
  };
  engine.AddQuotes({quote(a, 30), quote(b, 31), quote(a, 32)});
  engine.AddQuotes({quote(b, 20), quote(a, 25)});  // earlier than the first batch
  TradeTick t;
  t.instrument_id = b;
  t.price = *Price::Parse("100.00");
  t.size = Quantity::FromInt(1);
  t.ts_event = t.ts_init = FromIst(2024, 1, 1, 9, 40);
  engine.AddTrades({t});
  auto covered = [&](UnixNanos start, UnixNanos end) {
    engine.Run(start, end);
    const DataCoverage* c = engine.data_coverage();
    EXPECT_NE(c, nullptr);
    if (c == nullptr) return std::string();
    return fmt::format("{}{}{}", c->HasQuotes(a) ? "a" : "-", c->HasQuotes(b) ? "b" : "-",
                       c->HasInRange(DataSeriesKind::kTrades, b.value()) ? "t" : "-");
  };
  EXPECT_EQ(covered(FromIst(2024, 1, 1, 9, 20), FromIst(2024, 1, 1, 9, 20)), "-b-");
  EXPECT_EQ(covered(FromIst(2024, 1, 1, 9, 25), FromIst(2024, 1, 1, 9, 26)), "ab-");
  EXPECT_EQ(covered(FromIst(2024, 1, 1, 9, 33), FromIst(2024, 1, 1, 9, 39)), "---");
  EXPECT_EQ(covered(FromIst(2024, 1, 1, 9, 40), FromIst(2024, 1, 1, 9, 50)), "--t");
  engine.AddQuotes({quote(a, 45)});  // after a run: the next run's coverage has it
  EXPECT_EQ(covered(FromIst(2024, 1, 1, 9, 40), FromIst(2024, 1, 1, 9, 50)), "a-t");
}

}  // namespace
