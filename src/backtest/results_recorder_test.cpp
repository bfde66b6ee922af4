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
    k().cache().AddAccount(std::make_unique<Account>(AccountId("SIM-001"), AccountType::kMargin,
                                                     Inr("100000"), UnixNanos()),
                           Venue("NFO"));
    k().portfolio().ManageAccount(AccountId("SIM-001"));
    recorder_ = std::make_unique<ResultsRecorder>(k());
    k().Start();
  }

  Kernel& k() { return tk_.kernel(); }
  void BarAt(UnixNanos t, const char* close) {
    tk_.AdvanceTo(t);
    k().data_engine().Process(testkit::MakeBar(bar_type_, close, close, close, close, 1, t));
  }
  void FillAt(UnixNanos t, const char* coid, OrderSide side, std::int64_t qty, const char* px,
              const char* commission) {
    tk_.AdvanceTo(t);
    testkit::FillThroughEngine(k(), fut_, coid, side, qty, px, commission);
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
  BarType bar_type_ = testkit::MakeBarType(testkit::NiftyFuture().id);
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

}  // namespace
}  // namespace nacre
