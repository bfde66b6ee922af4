// ResultsRecorder on a real kernel: fills with charges through the execution engine, bars
// marking the open position, across two IST days. Every daily figure is computed by hand;
// the accounting identity (equity = start + realized - charges + unrealized) and the sum of
// per-fill charges are checked against the portfolio; files are written and read back.
#include "backtest/results_recorder.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "testkit/kernel_harness.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

// A temp folder of this process: other worktrees run the same tests on this machine.
std::filesystem::path PrivateTmp() {
  const auto p =
      std::filesystem::path(::testing::TempDir()) / ("nacre-" + std::to_string(getpid()));
  std::filesystem::create_directories(p);
  return p;
}

using testkit::Inr;

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::size_t Lines(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

class RecorderTest : public ::testing::Test {
 protected:
  RecorderTest() : tk_(testkit::QuietKernelConfig(), FromIst(2024, 1, 10, 9, 15)) {
    k().cache().AddInstrument(fut_);
    k().cache().AddInstrument(opt_);
    k().cache().AddAccount(std::make_unique<Account>(AccountId("SIM-001"), AccountType::kMargin,
                                                     Inr("100000"), UnixNanos()),
                           Venue("NFO"));
    k().portfolio().ManageAccount(AccountId("SIM-001"));
    recorder_ = std::make_unique<ResultsRecorder>(k());
    EXPECT_TRUE(k().Start().ok()) << k().halt_reason();
  }

  Kernel& k() { return tk_.kernel(); }
  void BarAt(UnixNanos t, const char* close) {
    tk_.AdvanceTo(t);
    k().data_engine().Process(
        testkit::MakeBar(testkit::MakeBarType(traded_->id), close, close, close, close, 1, t));
  }
  void FillAt(UnixNanos t, const char* coid, OrderSide side, std::int64_t qty, const char* px,
              const char* commission) {
    tk_.AdvanceTo(t);
    testkit::FillThroughEngine(k(), *traded_, coid, side, qty, px, commission);
  }

  // Day 1: buy 10 @ 100 (₹5), mark 110, sell 4 @ 120 (₹3), mark 115.
  // Day 2: sell 6 @ 90 (₹2), mark 95 (flat).
  void RunScenario() {
    BarAt(FromIst(2024, 1, 10, 10, 0), "100");
    FillAt(FromIst(2024, 1, 10, 10, 1), "O-1", OrderSide::kBuy, 10, "100", "5");
    BarAt(FromIst(2024, 1, 10, 10, 2), "110");
    FillAt(FromIst(2024, 1, 10, 11, 0), "O-2", OrderSide::kSell, 4, "120", "3");
    BarAt(FromIst(2024, 1, 10, 11, 1), "115");
    FillAt(FromIst(2024, 1, 11, 9, 30), "O-3", OrderSide::kSell, 6, "90", "2");
    BarAt(FromIst(2024, 1, 11, 9, 31), "95");
    recorder_->Finish();
  }

  testkit::TestKernel tk_;
  Instrument fut_ = testkit::NiftyFuture();
  Instrument opt_ = testkit::NiftyOption(OptionKind::kCall, "24000");
  const Instrument* traded_ = &fut_;  // the scenario's instrument
  std::unique_ptr<ResultsRecorder> recorder_;
};

TEST_F(RecorderTest, DailyPnlByHand) {
  RunScenario();
  const auto& days = recorder_->days();
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[0].date, (CivilDate{2024, 1, 10}));
  EXPECT_EQ(days[0].realized, Inr("80"));           // 4 x (120 - 100)
  EXPECT_EQ(days[0].charges, Inr("8"));             // 5 + 3
  EXPECT_EQ(days[0].unrealized_change, Inr("90"));  // 6 x (115 - 100)
  EXPECT_EQ(days[0].net, Inr("162"));
  EXPECT_EQ(days[0].equity, Inr("100162"));
  EXPECT_EQ(days[0].drawdown, Money());
  EXPECT_EQ(days[1].date, (CivilDate{2024, 1, 11}));
  EXPECT_EQ(days[1].realized, Inr("-60"));  // 6 x (90 - 100)
  EXPECT_EQ(days[1].charges, Inr("2"));
  EXPECT_EQ(days[1].unrealized_change, Inr("-90"));  // flat again
  EXPECT_EQ(days[1].net, Inr("-152"));
  EXPECT_EQ(days[1].equity, Inr("100010"));
  EXPECT_EQ(days[1].drawdown, Inr("152"));
}

TEST_F(RecorderTest, AccountingIdentityAndCharges) {
  RunScenario();
  Money fill_charges;
  for (const OrderFilled& f : recorder_->fills()) fill_charges += f.commission;
  EXPECT_EQ(fill_charges, Inr("10"));
  EXPECT_EQ(recorder_->total_charges(), fill_charges);
  EXPECT_EQ(k().portfolio().TotalCommissions(Venue("NFO")), fill_charges);
  const Money unrealized = k().portfolio().UnrealizedPnl(Venue("NFO"));
  const Money final_equity = recorder_->days().back().equity;
  EXPECT_EQ(final_equity, recorder_->starting_balance() + recorder_->total_realized() -
                              recorder_->total_charges() + unrealized);
  EXPECT_EQ(final_equity, k().cache().account(AccountId("SIM-001"))->balance_total() + unrealized);
  const Statistics s = recorder_->statistics();
  EXPECT_EQ(s.trades, 1u);
  EXPECT_EQ(s.pnl_total, Inr("10"));  // 80 - 60 - 10 charges
  EXPECT_EQ(s.max_drawdown, Inr("152"));
}

TEST_F(RecorderTest, EquitySamplesIncludeUnrealized) {
  RunScenario();
  const auto& eq = recorder_->equity();
  ASSERT_EQ(eq.size(), 4u);  // one per bar; the final sample shares the last bar's time
  EXPECT_EQ(eq[1].unrealized, Inr("100"));  // 10 x (110 - 100)
  EXPECT_EQ(eq[1].balance, Inr("99995"));   // opening charges already paid
  EXPECT_EQ(eq[2].equity(), Inr("100162"));
}

// Equity is marked once per interval of data time (60 s by default), at the first data
// timestamp of each interval and after every data point at it; 0 marks every data timestamp.
class RecorderIntervalTest : public RecorderTest,
                             public ::testing::WithParamInterface<DurationNs> {};

TEST_P(RecorderIntervalTest, EquityIsMarkedOncePerIntervalAfterEveryPointAtItsTime) {
  const DurationNs interval = GetParam();
  recorder_ = std::make_unique<ResultsRecorder>(k(), ResultsRecorderConfig{interval});
  const UnixNanos t0 = FromIst(2024, 1, 10, 10, 0);
  BarAt(t0, "100");
  FillAt(t0 + 10 * kNanosPerSecond, "O-1", OrderSide::kBuy, 10, "100", "5");
  BarAt(t0 + 30 * kNanosPerSecond, "110");  // the same minute: no mark at 60 s
  BarAt(t0 + 60 * kNanosPerSecond, "120");
  BarAt(t0 + 60 * kNanosPerSecond, "125");  // the same time: the mark sees this one too
  // The alert that takes the mark runs after every point at its time, before anything later.
  EXPECT_EQ(recorder_->equity().size(), interval == 0 ? 2u : 1u);
  tk_.AdvanceTo(t0 + 61 * kNanosPerSecond);
  const auto& eq = recorder_->equity();
  ASSERT_EQ(eq.size(), interval == 0 ? 3u : 2u);
  EXPECT_EQ(eq.front().ts, t0);
  EXPECT_EQ(eq.front().unrealized, Money());  // marked before the fill
  EXPECT_EQ(eq.front().balance, Inr("100000"));
  if (interval == 0) {
    EXPECT_EQ(eq[1].ts, t0 + 30 * kNanosPerSecond);
    EXPECT_EQ(eq[1].unrealized, Inr("100"));  // 10 x (110 - 100)
  }
  EXPECT_EQ(eq.back().ts, t0 + 60 * kNanosPerSecond);
  EXPECT_EQ(eq.back().unrealized, Inr("250"));  // 10 x (125 - 100): the last point at it
  EXPECT_EQ(eq.back().balance, Inr("99995"));
  recorder_->Finish();  // and the run's end, one second later, as ever
  ASSERT_EQ(recorder_->equity().size(), interval == 0 ? 4u : 3u);
  EXPECT_EQ(recorder_->equity().back().ts, t0 + 61 * kNanosPerSecond);
}

INSTANTIATE_TEST_SUITE_P(Intervals, RecorderIntervalTest,
                         ::testing::Values(60 * kNanosPerSecond, DurationNs{0}));

TEST_F(RecorderTest, FinishTakesAMarkStillWaitingForItsAlert) {
  BarAt(FromIst(2024, 1, 10, 10, 0), "100");
  FillAt(FromIst(2024, 1, 10, 10, 1), "O-1", OrderSide::kBuy, 10, "100", "5");
  BarAt(FromIst(2024, 1, 10, 10, 2), "110");
  recorder_->Finish();  // the clock never passed 10:02: the mark is taken here
  const auto& eq = recorder_->equity();
  ASSERT_EQ(eq.size(), 2u);
  EXPECT_EQ(eq.back().ts, FromIst(2024, 1, 10, 10, 2));
  EXPECT_EQ(eq.back().unrealized, Inr("100"));
  EXPECT_FALSE(k().clock().HasTimer("ResultsRecorder.equity"));
}

// The same trades on an option: the account is premium style (the premium is cash), yet every
// daily figure and the equity are those of DailyPnlByHand.
TEST_F(RecorderTest, OptionPremiumMovesTheBalanceAndTheDailyFiguresStillAddUp) {
  traded_ = &opt_;
  RunScenario();
  const auto& eq = recorder_->equity();
  ASSERT_EQ(eq.size(), 4u);
  EXPECT_EQ(eq[1].balance, Inr("98995"));    // - 10 x 100 - 5
  EXPECT_EQ(eq[1].open_value, Inr("1100"));  // 10 x 110
  EXPECT_EQ(eq[1].unrealized, Inr("100"));
  EXPECT_EQ(eq[1].equity(), Inr("100095"));
  EXPECT_EQ(eq[2].balance, Inr("99472"));   // + 4 x 120 - 3
  EXPECT_EQ(eq[2].open_value, Inr("690"));  // 6 x 115
  EXPECT_EQ(eq[2].equity(), Inr("100162"));
  const auto& days = recorder_->days();
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[0].realized, Inr("80"));
  EXPECT_EQ(days[0].charges, Inr("8"));
  EXPECT_EQ(days[0].unrealized_change, Inr("90"));
  EXPECT_EQ(days[0].net, Inr("162"));
  EXPECT_EQ(days[0].equity, Inr("100162"));
  EXPECT_EQ(days[1].net, Inr("-152"));
  EXPECT_EQ(days[1].equity, Inr("100010"));
  // account.csv shows the premium cash flows, equity.csv the open value.
  const std::string account = recorder_->AccountCsv();
  EXPECT_NE(account.find(",98995.00,0.00,98995.00,false\n"), std::string::npos) << account;
  EXPECT_NE(account.find(",99472.00,0.00,99472.00,false\n"), std::string::npos) << account;
  EXPECT_NE(account.find(",100010.00,0.00,100010.00,false\n"), std::string::npos) << account;
  const std::string equity = recorder_->EquityCsv();
  EXPECT_EQ(equity.rfind("ts_ns,ts_ist,balance,unrealized_pnl,open_value,equity\n", 0), 0u);
  EXPECT_NE(equity.find(",98995.00,100.00,1100.00,100095.00\n"), std::string::npos) << equity;
}

TEST_F(RecorderTest, WritesTheFolder) {
  RunScenario();
  const auto dir = PrivateTmp() / "nacre_recorder_folder";
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(recorder_->WriteFolder(dir.string()).ok());
  for (const char* f : {"orders.csv", "fills.csv", "positions.csv", "account.csv", "equity.csv",
                        "daily_pnl.csv", "stats.json", "report.html"}) {
    EXPECT_TRUE(std::filesystem::exists(dir / f)) << f;
  }
  const std::string fills = Slurp(dir / "fills.csv");
  EXPECT_EQ(Lines(fills), 4u);
  EXPECT_NE(
      fills.find(",NIFTY24JANFUT.NFO-S-001,S-001,NIFTY24JANFUT.NFO,SELL,MARKET,4,120,3.00,0.00,"),
      std::string::npos)
      << fills;
  EXPECT_NE(fills.find("2024-01-10T11:00:00.000000000+05:30"), std::string::npos) << fills;
  EXPECT_EQ(Lines(Slurp(dir / "orders.csv")), 4u);
  // equity.csv is streamed to the file in blocks: the same text as EquityCsv().
  EXPECT_EQ(Slurp(dir / "equity.csv"), recorder_->EquityCsv());
  EXPECT_GT(Lines(Slurp(dir / "equity.csv")), 2u);
  const std::string daily = Slurp(dir / "daily_pnl.csv");
  EXPECT_NE(daily.find("2024-01-10,80.00,90.00,8.00,162.00,100162.00,0.00,0.0000\n"),
            std::string::npos)
      << daily;
  EXPECT_NE(daily.find("2024-01-11,-60.00,-90.00,2.00,-152.00,100010.00,152.00,0.1518\n"),
            std::string::npos)
      << daily;
  const std::string pos = Slurp(dir / "positions.csv");
  EXPECT_NE(pos.find(",1,CLOSED,NIFTY24JANFUT.NFO,S-001,LONG,0,10,100.00"), std::string::npos)
      << pos;
  const std::string stats = Slurp(dir / "stats.json");
  EXPECT_NE(stats.find("\"total_charges\": 10.00"), std::string::npos) << stats;
  EXPECT_NE(stats.find("\"max_drawdown\": 152.00"), std::string::npos) << stats;
}

TEST_F(RecorderTest, UnwritableFolderIsAnErrorNamingThePath) {
  RunScenario();
  const auto file = PrivateTmp() / "nacre_recorder_blocker";
  std::ofstream(file) << "x";
  const Status s = recorder_->WriteFolder((file / "sub").string());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("nacre_recorder_blocker/sub"), std::string::npos) << s.error();
}

// Spread events as a strategy publishes them (no capital owner running).
SpreadEvent Spread(const char* id, SpreadEventKind kind, SpreadState state, UnixNanos ts,
                   const char* premium, const char* pnl, const char* charges) {
  SpreadEvent e;
  e.kind = kind;
  e.spread_id = SpreadId(id);
  e.strategy_id = StrategyId("Spreads-001");
  e.ts = ts;
  e.state = state;
  e.lots = 2;
  e.net_premium = Inr(premium);
  e.realized_pnl = Inr(pnl);
  e.charges = Inr(charges);
  e.ts_opened = FromIst(2024, 1, 10, 9, 30);
  if (state == SpreadState::kClosed || state == SpreadState::kFailed) e.ts_closed = ts;
  SpreadLegState s{MustInstrumentId("NIFTY24011121500PE.NFO"),
                   OrderSide::kSell,
                   1,
                   0,
                   Price::FromDouble(120.5, 2),
                   Price::FromDouble(60.25, 2)};
  SpreadLegState b{MustInstrumentId("NIFTY24011121400PE.NFO"),
                   OrderSide::kBuy,
                   1,
                   0,
                   Price::FromDouble(80, 2),
                   std::nullopt};
  e.legs = {s, b};
  return e;
}

TEST_F(RecorderTest, SpreadsWithCapitalDerivedFromTheirPnl) {
  const std::string topic = topics::SpreadEvents(StrategyId("Spreads-001"));
  auto pub = [&](const SpreadEvent& e) { k().bus().Publish(topic, e); };
  const UnixNanos t0 = FromIst(2024, 1, 10, 10, 0);
  pub(Spread("SP1", SpreadEventKind::kOpened, SpreadState::kOpen, t0, "800", "-10", "10"));
  pub(Spread("SP2", SpreadEventKind::kOpened, SpreadState::kOpen, t0 + 1, "300", "-5", "5"));
  pub(Spread("SP1", SpreadEventKind::kClosed, SpreadState::kClosed, t0 + 2, "800", "500", "20"));
  // A repeated close must not move capital twice.
  pub(Spread("SP1", SpreadEventKind::kChanged, SpreadState::kClosed, t0 + 3, "800", "500", "20"));
  pub(Spread("SP2", SpreadEventKind::kFailed, SpreadState::kFailed, t0 + 4, "300", "-120", "15"));
  pub(Spread("SP3", SpreadEventKind::kOpened, SpreadState::kOpen, t0 + 5, "450", "-8", "8"));
  recorder_->Finish();

  const auto& sp = recorder_->spreads();
  ASSERT_EQ(sp.size(), 3u);
  EXPECT_EQ(sp[0].spread_id.value(), "SP1");
  EXPECT_EQ(sp[0].state, SpreadState::kClosed);
  EXPECT_EQ(sp[1].state, SpreadState::kFailed);
  EXPECT_EQ(sp[2].state, SpreadState::kOpen);

  const std::vector<CapitalPoint> curve = recorder_->CapitalCurve();
  ASSERT_EQ(curve.size(), 2u);
  EXPECT_EQ(curve[0].trade_id, "SP1");
  EXPECT_EQ(curve[0].ts, t0 + 2);
  EXPECT_EQ(curve[0].previous, Inr("100000"));
  EXPECT_EQ(curve[0].capital, Inr("100500"));
  EXPECT_EQ(curve[1].trade_id, "SP2");
  EXPECT_EQ(curve[1].pnl, Inr("-120"));
  EXPECT_EQ(curve[1].capital, Inr("100380"));

  const auto st = recorder_->spread_statistics();
  ASSERT_TRUE(st.has_value());
  // The unit is the spread: SP1 completed (won), SP2 failed (an entry cost, neither won nor
  // lost), SP3 still open.
  EXPECT_EQ(st->attempted, 3u);
  EXPECT_EQ(st->completed, 1u);
  EXPECT_EQ(st->failed, 1u);
  EXPECT_EQ(st->open, 1u);
  EXPECT_EQ(st->won, 1u);
  EXPECT_EQ(st->lost, 0u);
  EXPECT_EQ(st->even, 0u);
  EXPECT_DOUBLE_EQ(*st->win_rate, 1.0);
  EXPECT_EQ(st->completed_pnl, Inr("500"));
  EXPECT_EQ(st->completed_pnl_avg, Inr("500"));
  EXPECT_EQ(st->completed_credit_avg, Inr("800"));
  EXPECT_EQ(st->failed_pnl, Inr("-120"));
  EXPECT_EQ(st->failed_charges, Inr("15"));
  EXPECT_EQ(st->pnl_total, Inr("380"));
  EXPECT_EQ(st->gross_pnl, Inr("415"));  // 380 + the final spreads' charges (20 + 15)
  ASSERT_TRUE(st->charges_pct_of_gross.has_value());
  EXPECT_NEAR(*st->charges_pct_of_gross, 35.0 / 415.0 * 100.0, 1e-9);
  EXPECT_EQ(st->charges_total, Inr("43"));  // 20 + 15 + 8, open spreads included
  ASSERT_EQ(st->by_exit_reason.size(), 2u);  // "Closed before expiry", "Failed entry"
  EXPECT_EQ(st->by_dte.size(), 1u);          // completed spreads only
  EXPECT_EQ(st->initial_capital, Inr("100000"));
  EXPECT_EQ(st->final_capital, Inr("100380"));
  EXPECT_DOUBLE_EQ(st->capital_return_pct, 0.38);

  const std::string csv = recorder_->SpreadsCsv();
  EXPECT_EQ(Lines(csv), 4u);
  EXPECT_NE(csv.find("\nSP1,Spreads-001,CLOSED,SELL 1x NIFTY24011121500PE.NFO 120.50>60.25; BUY 1x "
                     "NIFTY24011121400PE.NFO 80.00>,2,800.00,20.00,500.00,"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find(",100500.00,,,,\nSP2,"), std::string::npos) << csv;  // capital after SP1
  EXPECT_NE(csv.find(",100380.00,,,,\nSP3,"), std::string::npos) << csv;
  // SP3 is open: no close time, no capital after.
  EXPECT_NE(csv.find("+05:30,,,,,,,\n"), std::string::npos) << csv;
  // A leg that never filled says so.
  SpreadEvent failed = sp[1];
  failed.legs[0].avg_px_open = Price();
  failed.legs[0].avg_px_close.reset();
  EXPECT_EQ(SpreadLegsText(failed).rfind("SELL 1x NIFTY24011121500PE.NFO unfilled; BUY 1x ", 0), 0u)
      << SpreadLegsText(failed);

  const std::filesystem::path dir = PrivateTmp() / "recorder_spreads";
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(recorder_->WriteFolder(dir.string()).ok());
  EXPECT_EQ(Slurp(dir / "spread_results.csv"), csv);
  const std::string stats = Slurp(dir / "stats.json");
  EXPECT_NE(stats.find("\"spreads\": {\n    \"attempted\": 3,\n    \"completed\": 1,\n    "
                       "\"failed\": 1,\n    \"open\": 1,\n    \"won\": 1,\n    \"lost\": 0,"),
            std::string::npos)
      << stats;
  EXPECT_NE(stats.find("\"failed_pnl\": -120.00,\n    \"failed_charges\": 15.00,\n    "
                       "\"pnl_total\": 380.00,"),
            std::string::npos)
      << stats;
  EXPECT_NE(stats.find("\"final_capital\": 100380.00,\n    \"capital_return_pct\": 0.38\n  }"),
            std::string::npos)
      << stats;
  const std::string html = Slurp(dir / "report.html");
  EXPECT_NE(html.find("<section id=\"spreads\"><h2>Spreads (3 attempted)</h2>"), std::string::npos);
  // SP2 failed: its cost (P&L net of charges, and the charges) is shown apart.
  EXPECT_NE(html.find("<span>Failed-entry cost</span><b class=\"neg\">\u2212₹120.00</b><small>of "
                      "which charges ₹15.00</small>"),
            std::string::npos);
}

TEST_F(RecorderTest, CapitalComesFromTheCapitalOwnerWhenOneRuns) {
  const UnixNanos t0 = FromIst(2024, 1, 10, 10, 0);
  k().bus().Publish(
      topics::SpreadEvents(StrategyId("Spreads-001")),
      Spread("SP1", SpreadEventKind::kClosed, SpreadState::kClosed, t0, "800", "500", "20"));
  // The capital owner sizes on its own capital, not the account balance.
  k().bus().Publish(topics::kCapital, CapitalUpdated{t0, "SP1", StrategyId("Spreads-001"),
                                                     Inr("400000"), Inr("500"), Inr("400500"), std::nullopt});
  recorder_->Finish();
  const std::vector<CapitalPoint> curve = recorder_->CapitalCurve();
  ASSERT_EQ(curve.size(), 1u);
  EXPECT_EQ(curve[0].previous, Inr("400000"));
  EXPECT_EQ(curve[0].capital, Inr("400500"));
  const auto st = recorder_->spread_statistics();
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->initial_capital, Inr("400000"));
  EXPECT_EQ(st->final_capital, Inr("400500"));
  EXPECT_DOUBLE_EQ(st->capital_return_pct, 0.125);
}

// The benchmark is the traded future's underlying index, from its first price through each
// IST day's close, scaled to the starting balance: 20,000 -> 21,000 (day 1) -> 19,000 (day 2)
// is ₹1,00,000 -> ₹1,05,000 -> ₹95,000.
TEST_F(RecorderTest, BenchmarkIsTheUnderlyingIndexScaledToTheStartingBalance) {
  const Instrument index = testkit::NiftyIndex();
  k().cache().AddInstrument(index);
  auto index_bar = [&](UnixNanos t, const char* close) {
    tk_.AdvanceTo(t);
    k().data_engine().Process(
        testkit::MakeBar(testkit::MakeBarType(index.id), close, close, close, close, 1, t));
  };
  index_bar(FromIst(2024, 1, 10, 9, 59), "20000");
  BarAt(FromIst(2024, 1, 10, 10, 0), "100");
  FillAt(FromIst(2024, 1, 10, 10, 1), "O-1", OrderSide::kBuy, 1, "100", "5");
  index_bar(FromIst(2024, 1, 10, 15, 0), "20500");
  index_bar(FromIst(2024, 1, 10, 15, 29), "21000");
  index_bar(FromIst(2024, 1, 11, 15, 29), "19000");
  recorder_->Finish();
  const std::optional<BenchmarkSeries> b = recorder_->Benchmark();
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->instrument, index.id);
  ASSERT_EQ(b->points.size(), 3u);
  EXPECT_EQ(b->points[0].first, FromIst(2024, 1, 10, 9, 59));
  EXPECT_EQ(b->points[0].second, Inr("100000"));
  EXPECT_EQ(b->points[1].first, FromIst(2024, 1, 10, 15, 29));
  EXPECT_EQ(b->points[1].second, Inr("105000"));
  EXPECT_EQ(b->points[2].first, FromIst(2024, 1, 11, 15, 29));
  EXPECT_EQ(b->points[2].second, Inr("95000"));
  EXPECT_NE(recorder_->ReportHtml().find("NIFTY 50 buy &amp; hold"), std::string::npos);
}

TEST_F(RecorderTest, NoIndexDataNoBenchmark) {
  RunScenario();
  EXPECT_FALSE(recorder_->Benchmark().has_value());
  EXPECT_NE(recorder_->ReportHtml().find("\"bench\":null"), std::string::npos);
}

TEST_F(RecorderTest, NoSpreadsNoSpreadOutput) {
  RunScenario();
  EXPECT_FALSE(recorder_->spread_statistics().has_value());
  EXPECT_FALSE(recorder_->statistics().spreads.has_value());
  EXPECT_EQ(recorder_->ReportHtml().find("<section id=\"spreads\">"), std::string::npos);
}

}  // namespace
}  // namespace nacre
