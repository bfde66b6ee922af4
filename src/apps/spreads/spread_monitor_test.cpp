#include "apps/spreads/spread_monitor.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "testkit/kernel_harness.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::Inr;
using testkit::Px;

class SpreadMonitorTest : public ::testing::Test {
 protected:
  SpreadMonitorTest() {
    SpreadMonitorConfig c;
    c.alert_loss_pct = {50, 75};
    auto m = std::make_unique<SpreadMonitor>("SpreadMonitor", c);
    mon_ = m.get();
    EXPECT_TRUE(tk_.kernel().trader().AddActor(std::move(m)).ok());
    tk_.kernel().cache().AddInstrument(short_);
    tk_.kernel().cache().AddInstrument(long_);
    EXPECT_TRUE(tk_.kernel().Start().ok());
  }
  void Quote(const Instrument& i, const char* bid, const char* ask) {
    tk_.kernel().cache().AddQuote(testkit::MakeQuote(i.id, bid, ask, tk_.now()));
  }
  SpreadEvent Event(SpreadEventKind kind, SpreadState state, bool open) {
    SpreadEvent e;
    e.kind = kind;
    e.state = state;
    e.spread_id = SpreadId("S-001-SP0001");
    e.strategy_id = StrategyId("S-001");
    e.ts = tk_.now();
    e.lots = 1;
    e.net_premium = Inr("1950");
    e.max_loss = Inr("4550");
    e.realized_pnl = Inr("0");
    e.ts_opened = FromIst(2026, 1, 2, 10, 0);
    SpreadLegState s{short_.id, OrderSide::kSell, 1, open ? -65 * kFixedScale : 0, Px("101"), {}};
    SpreadLegState l{long_.id, OrderSide::kBuy, 1, open ? 65 * kFixedScale : 0, Px("71"), {}};
    e.legs = {s, l};
    return e;
  }
  void Publish(const SpreadEvent& e) {
    tk_.kernel().bus().Publish(topics::SpreadEvents(e.strategy_id), e);
  }
  testkit::TestKernel tk_;
  SpreadMonitor* mon_ = nullptr;
  const Instrument short_ = testkit::NiftyOption(OptionKind::kPut, "24000");
  const Instrument long_ = testkit::NiftyOption(OptionKind::kPut, "23900");
  const Instrument other_ = testkit::NiftyOption(OptionKind::kCall, "24500");
};

TEST_F(SpreadMonitorTest, ValuesAtConservativeMarksAndAlertsOncePerThreshold) {
  testkit::BusRecorder<SpreadAlert> alerts(tk_.kernel().bus(), SpreadMonitor::kAlertTopic);
  Publish(Event(SpreadEventKind::kOpened, SpreadState::kOpen, true));
  Quote(short_, "130", "132");  // short marked at the ask: (132 − 101) × 65 = −2015
  Quote(long_, "80", "81");     // long at the bid: (80 − 71) × 65 = +585
  tk_.Advance(kNanosPerMinute);
  const auto& r = mon_->records().at(SpreadId("S-001-SP0001"));
  EXPECT_EQ(r.unrealized, Inr("-1430"));
  EXPECT_TRUE(alerts.empty());  // 31% of max loss
  Quote(short_, "158", "160");  // −3835
  Quote(long_, "90", "91");     // +1235
  tk_.Advance(kNanosPerMinute);
  ASSERT_EQ(alerts.size(), 1u);  // −2600 is 57%
  EXPECT_EQ(alerts[0].threshold_pct, 50);
  EXPECT_EQ(alerts[0].total_pnl, Inr("-2600"));
  Quote(long_, "90", "91");  // the same marks again: a new row, no second alert
  tk_.Advance(kNanosPerMinute);
  EXPECT_EQ(alerts.size(), 1u);  // not raised twice
  Quote(short_, "178", "180");   // −5135
  Quote(long_, "95", "96");      // +1560: −3575 is 78.6%
  tk_.Advance(kNanosPerMinute);
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[1].threshold_pct, 75);
  EXPECT_EQ(r.worst_pnl, Inr("-3575"));
  EXPECT_EQ(r.best_pnl, Inr("-1430"));
  // Four samples in the time series, one row each.
  std::istringstream csv(mon_->MonitorCsv());
  std::string line;
  int rows = -1;
  while (std::getline(csv, line)) ++rows;
  EXPECT_EQ(rows, 4);
}

TEST_F(SpreadMonitorTest, NoRowWhileNothingTheSpreadDependsOnMoves) {
  Publish(Event(SpreadEventKind::kOpened, SpreadState::kOpen, true));
  Quote(short_, "130", "132");
  Quote(long_, "80", "81");
  tk_.Advance(kNanosPerMinute);
  EXPECT_EQ(mon_->monitor_rows(), 1u);
  // A night without data: the timer ticks every minute, the spread is not valued again.
  tk_.Advance(15 * 60 * kNanosPerMinute);
  EXPECT_EQ(mon_->monitor_rows(), 1u);
  // Data of another contract does not count.
  tk_.kernel().cache().AddInstrument(other_);
  Quote(other_, "10", "11");
  tk_.Advance(kNanosPerMinute);
  EXPECT_EQ(mon_->monitor_rows(), 1u);
  // A quote of one leg does: one row at the next tick, then quiet again.
  Quote(long_, "82", "83");
  tk_.Advance(3 * kNanosPerMinute);
  EXPECT_EQ(mon_->monitor_rows(), 2u);
  const auto& r = mon_->records().at(SpreadId("S-001-SP0001"));
  EXPECT_EQ(r.unrealized, Inr("-1300"));  // (132 − 101) × −65 + (82 − 71) × 65
  // An event of the spread (realized P&L moved) does too, without new data.
  SpreadEvent e = Event(SpreadEventKind::kChanged, SpreadState::kOpen, true);
  e.realized_pnl = Inr("-40");
  Publish(e);
  tk_.Advance(kNanosPerMinute);
  ASSERT_EQ(mon_->monitor_rows(), 3u);
  std::istringstream csv(mon_->MonitorCsv());
  std::string line, last;
  while (std::getline(csv, line)) last = line;
  EXPECT_NE(last.find(",S-001-SP0001,S-001,OPEN,-40.00,-1300.00,-1340.00,"), std::string::npos)
      << last;
}

TEST_F(SpreadMonitorTest, TradeLogHasOneRowPerSpreadWithCapitalAfter) {
  Publish(Event(SpreadEventKind::kOpened, SpreadState::kOpen, true));
  Quote(short_, "50", "51");
  Quote(long_, "30", "31");
  tk_.Advance(kNanosPerMinute);
  SpreadEvent closed = Event(SpreadEventKind::kClosed, SpreadState::kClosed, false);
  closed.realized_pnl = Inr("610");
  closed.charges = Inr("40");
  closed.ts_closed = tk_.now();
  closed.legs[0].avg_px_close = Px("60");
  closed.legs[1].avg_px_close = Px("40");
  Publish(closed);
  CapitalUpdated u;
  u.trade_id = "S-001-SP0001";
  u.new_capital = Inr("400610");
  tk_.kernel().bus().Publish(CapitalManager::kCapitalTopic, u);
  tk_.Advance(kNanosPerMinute);  // closed spreads are not sampled any more
  const std::string log = mon_->SpreadsCsv();
  EXPECT_NE(log.find("S-001-SP0001,S-001,CLOSED,1,\"SELL 1x NIFTY2610624000PE.NFO @ 101.00 -> "
                     "60.00 | BUY 1x NIFTY2610623900PE.NFO @ 71.00 -> 40.00\""),
            std::string::npos)
      << log;
  EXPECT_NE(log.find(",1950.00,40.00,610.00,4550.00,"), std::string::npos) << log;
  EXPECT_NE(log.find(",400610.00,"), std::string::npos) << log;
  const auto dir = std::filesystem::temp_directory_path() / "nacre_spread_monitor_test";
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(mon_->WriteFiles(dir.string()).ok());
  std::ifstream f(dir / "spreads.csv");
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_EQ(ss.str(), log);
  EXPECT_TRUE(std::filesystem::exists(dir / "spread_monitor.csv"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace nacre

namespace nacre {
namespace {

TEST_F(SpreadMonitorTest, ARestartKeepsTheAlertsRaisedAndTheExtremes) {
  testkit::BusRecorder<SpreadAlert> alerts(tk_.kernel().bus(), SpreadMonitor::kAlertTopic);
  Publish(Event(SpreadEventKind::kOpened, SpreadState::kOpen, true));
  Quote(short_, "158", "160");
  Quote(long_, "90", "91");  // −2600: 57%, the 50% alert
  tk_.Advance(kNanosPerMinute);
  ASSERT_EQ(alerts.size(), 1u);
  const SavedState saved = mon_->Save();
  ASSERT_EQ(saved.count("spread:S-001-SP0001"), 1u);
  EXPECT_EQ(saved.at("spread:S-001-SP0001"), "50;-2600.00;-2600.00");

  // A new node: a fresh monitor loads the state, then the strategy announces the spread.
  testkit::TestKernel tk2;
  SpreadMonitorConfig c;
  c.alert_loss_pct = {50, 75};
  auto m = std::make_unique<SpreadMonitor>("SpreadMonitor", c);
  SpreadMonitor* mon2 = m.get();
  ASSERT_TRUE(tk2.kernel().trader().AddActor(std::move(m)).ok());
  tk2.kernel().cache().AddInstrument(short_);
  tk2.kernel().cache().AddInstrument(long_);
  mon2->Load(saved);
  EXPECT_EQ(mon2->Save(), saved) << "restored exactly before the spread is seen again";
  ASSERT_TRUE(tk2.kernel().Start().ok());
  testkit::BusRecorder<SpreadAlert> alerts2(tk2.kernel().bus(), SpreadMonitor::kAlertTopic);
  SpreadEvent restored = Event(SpreadEventKind::kChanged, SpreadState::kOpen, true);
  tk2.kernel().bus().Publish(topics::SpreadEvents(restored.strategy_id), restored);
  tk2.kernel().cache().AddQuote(testkit::MakeQuote(short_.id, "150", "152", tk2.now()));
  tk2.kernel().cache().AddQuote(testkit::MakeQuote(long_.id, "90", "91", tk2.now()));
  tk2.Advance(kNanosPerMinute);  // −2080: 46%, better than the worst before the restart
  EXPECT_TRUE(alerts2.empty()) << "the 50% alert is not raised again";
  const auto& r = mon2->records().at(SpreadId("S-001-SP0001"));
  EXPECT_EQ(r.worst_pnl, Inr("-2600")) << "the worst P&L survives the restart";
  EXPECT_EQ(r.best_pnl, Inr("-2080"));
  // A bad saved value is reported and ignored, never guessed.
  SpreadMonitor bad("SpreadMonitor", c);
  bad.Load({{"spread:X", "50;oops"}});
  EXPECT_TRUE(bad.Save().empty());
}

}  // namespace
}  // namespace nacre
