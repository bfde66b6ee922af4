#include "apps/spreads/capital_manager.h"

#include <gtest/gtest.h>

#include "common/config.h"
#include "testkit/kernel_harness.h"
#include "testkit/testkit.h"
#include "trading/kernel.h"

namespace nacre {
namespace {

using testkit::Inr;

// The user's numbers: ₹4,00,000, 5% risk per trade, 80% maximum deployment.
CapitalManagerConfig UserConfig(bool compounding = true) {
  CapitalManagerConfig c;
  c.initial_capital = Inr("400000");
  c.risk_per_trade_pct = testkit::Px("5");
  c.max_deployment_pct = testkit::Px("80");
  c.compounding_enabled = compounding;
  return c;
}

// A request whose maximum loss per lot and margin per lot are the same figure.
MaxLotsRequest Same(Money per_lot, std::uint32_t max_lots) { return {per_lot, per_lot, max_lots}; }

class CapitalTest : public ::testing::Test {
 protected:
  void Build(CapitalManagerConfig c) {
    auto cm = std::make_unique<CapitalManager>("CapitalManager", c);
    cm_ = cm.get();
    ASSERT_TRUE(tk_.kernel().trader().AddActor(std::move(cm)).ok());
    EXPECT_TRUE(tk_.kernel().Start().ok());
  }
  void CloseSpread(const char* id, const char* pnl) {
    SpreadEvent e;
    e.kind = SpreadEventKind::kClosed;
    e.spread_id = SpreadId(id);
    e.strategy_id = StrategyId("S-001");
    e.ts = tk_.now();
    e.realized_pnl = Inr(pnl);
    tk_.kernel().bus().Publish(topics::SpreadEvents(e.strategy_id), e);
  }
  testkit::TestKernel tk_;
  CapitalManager* cm_ = nullptr;
};

TEST_F(CapitalTest, MaxLotsWithTheUsersNumbers) {
  Build(UserConfig());
  // Risk budget ₹20,000; deployment limit ₹3,20,000.
  auto r = cm_->CalculateMaxLots(Same(Inr("5000"), 10));
  EXPECT_EQ(r.sizing.lots_by_risk, 4);
  EXPECT_EQ(r.sizing.lots_by_deployment, 64);
  EXPECT_EQ(r.lots, 4u);
  EXPECT_EQ(cm_->CalculateMaxLots(Same(Inr("5000"), 3)).lots, 3u);  // the hard cap
  EXPECT_EQ(cm_->CalculateMaxLots(Same(Inr("15000"), 10)).lots, 1u);
  EXPECT_EQ(cm_->CalculateMaxLots(Same(Inr("20000"), 10)).lots, 1u);  // exactly the risk budget
  EXPECT_EQ(cm_->CalculateMaxLots(Same(Inr("19999.99"), 10)).lots, 1u);
  EXPECT_EQ(cm_->CalculateMaxLots(Same(Inr("9999.99"), 10)).lots, 2u);
  // One lot above the risk budget: the floor of one lot applies, it fits the deployment.
  auto floor = cm_->CalculateMaxLots(Same(Inr("84210"), 10));
  EXPECT_EQ(floor.sizing.lots_by_risk, 0);
  EXPECT_TRUE(floor.sizing.one_lot_floor);
  EXPECT_EQ(floor.lots, 1u);
  // One lot above the deployment limit: never.
  auto none = cm_->CalculateMaxLots(Same(Inr("320000.01"), 10));
  EXPECT_EQ(none.lots, 0u);
  EXPECT_NE(none.reason.find("320000.01"), std::string::npos) << none.reason;
  EXPECT_EQ(cm_->CalculateMaxLots(Same(Inr("0"), 10)).lots, 0u);
  EXPECT_EQ(cm_->CalculateMaxLots(Same(Inr("5000"), 0)).lots, 0u);
}

TEST_F(CapitalTest, RiskSizesOnMaxLossAndDeploymentOnMargin) {
  Build(UserConfig());
  // A 100-point NIFTY bull put spread at today's lot size (65) for a ₹30 credit: one lot can
  // lose (100 - 30) x 65 = ₹4,550; say NSE blocks ₹30,000 of margin for it.
  const Money max_loss = Inr("4550");
  const Money margin = Inr("30000");
  MaxLotsResponse r = cm_->CalculateMaxLots({max_loss, margin, 10});
  EXPECT_EQ(r.sizing.risk_budget, Inr("20000"));      // 5% of 4,00,000
  EXPECT_EQ(r.sizing.deployment_free, Inr("320000"));  // 80%, nothing deployed
  EXPECT_EQ(r.sizing.lots_by_risk, 4);                 // 20,000 / 4,550
  EXPECT_EQ(r.sizing.lots_by_deployment, 10);          // 3,20,000 / 30,000
  EXPECT_EQ(r.lots, 4u);
  EXPECT_FALSE(r.sizing.one_lot_floor);
  EXPECT_EQ(r.sizing.risk_per_lot, max_loss);
  EXPECT_EQ(r.sizing.margin_per_lot, margin);
  // Sized on margin (the old rule) the same trade would be 0 lots by risk, 1 by the floor.
  EXPECT_EQ(cm_->CalculateMaxLots(Same(margin, 10)).lots, 1u);
  // The deployment side binds once margin is scarce: ₹3,00,000 already deployed.
  ASSERT_TRUE(cm_->Deploy("SP-1", Inr("300000")).ok());
  r = cm_->CalculateMaxLots({max_loss, Inr("15000"), 10});
  EXPECT_EQ(r.sizing.lots_by_deployment, 1);
  EXPECT_EQ(r.lots, 1u);
  // A position that blocks no margin is bounded by risk and max_lots only.
  EXPECT_EQ(cm_->CalculateMaxLots({max_loss, Inr("0"), 10}).lots, 4u);
  EXPECT_EQ(cm_->CalculateMaxLots({Inr("0"), margin, 10}).lots, 0u);
  EXPECT_EQ(cm_->CalculateMaxLots({max_loss, Inr("-1"), 10}).lots, 0u);
}

TEST(CapitalSizing, RiskPerTradeChangesTheLots) {
  // The same spread at 5%, 10% and 20% risk: 4, 8 and 10 (the max_lots cap) lots.
  const std::pair<const char*, std::uint32_t> cases[] = {{"5", 4}, {"10", 8}, {"20", 10}};
  for (const auto& [pct, lots] : cases) {
    CapitalManagerConfig c = UserConfig();
    c.risk_per_trade_pct = testkit::Px(pct);
    CapitalManager cm("CapitalManager", c);
    EXPECT_EQ(cm.CalculateMaxLots({Inr("4550"), Inr("30000"), 10}).lots, lots) << pct << "%";
  }
}

TEST_F(CapitalTest, HistoryShowsHowEachTradeWasSized) {
  Build(UserConfig());
  MessageBus& bus = tk_.kernel().bus();
  auto lots = bus.Request<MaxLotsRequest, MaxLotsResponse>(
      CapitalManager::kMaxLotsEndpoint, MaxLotsRequest{Inr("4550"), Inr("30000"), 10});
  ASSERT_TRUE(lots.ok());
  const DeployRequest deploy{"S-001-SP0001", Inr("120000"), lots->sizing};
  ASSERT_TRUE((bus.Request<DeployRequest, CapitalState>(CapitalManager::kDeployEndpoint, deploy)
                   .ok()));
  CloseSpread("S-001-SP0001", "1000");
  CloseSpread("S-001-SP0002", "-10");  // never sized by the manager: empty cells
  const std::string csv = cm_->HistoryCsv();
  EXPECT_NE(csv.find(",new_capital,lots,risk_per_lot,margin_per_lot,risk_budget,deployment_free,"
                     "lots_by_risk,lots_by_deployment,max_lots,one_lot_floor\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("S-001-SP0001,S-001,400000.00,1000.00,401000.00,4,4550.00,30000.00,"
                     "20000.00,320000.00,4,10,10,no\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("S-001-SP0002,S-001,401000.00,-10.00,400990.00,,,,,,,,,\n"),
            std::string::npos)
      << csv;
  // Saved and loaded, the rows and an open trade's sizing come back as they were.
  ASSERT_TRUE(cm_->Deploy("S-001-SP0003", Inr("30000"), lots->sizing).ok());
  const SavedState saved = cm_->Save();
  testkit::TestKernel other;
  auto fresh = std::make_unique<CapitalManager>("CapitalManager", UserConfig());
  CapitalManager* restored = fresh.get();
  ASSERT_TRUE(other.kernel().trader().AddActor(std::move(fresh)).ok());
  ASSERT_TRUE(other.kernel().Start().ok());
  restored->Load(saved);
  EXPECT_EQ(restored->HistoryCsv(), csv);
  SpreadEvent closed;
  closed.kind = SpreadEventKind::kClosed;
  closed.spread_id = SpreadId("S-001-SP0003");
  closed.strategy_id = StrategyId("S-001");
  closed.ts = other.now();
  closed.realized_pnl = Inr("5");
  other.kernel().bus().Publish(topics::SpreadEvents(closed.strategy_id), closed);
  ASSERT_EQ(restored->history().size(), 3u);
  ASSERT_TRUE(restored->history().back().sizing.has_value());
  EXPECT_EQ(restored->history().back().sizing->lots, 4u);
  EXPECT_EQ(restored->history().back().sizing->margin_per_lot, Inr("30000"));
}

TEST_F(CapitalTest, DeployedCapitalLimitsTheFloorAndIsReleasedOnClose) {
  Build(UserConfig());
  ASSERT_TRUE(cm_->Deploy("SP-1", Inr("300000")).ok());
  EXPECT_EQ(cm_->capital_state().deployed, Inr("300000"));
  EXPECT_EQ(cm_->capital_state().available, Inr("20000"));
  // ₹20,000 left under the limit: a ₹25,000 lot does not fit even with the floor.
  EXPECT_EQ(cm_->CalculateMaxLots(Same(Inr("25000"), 10)).lots, 0u);
  EXPECT_EQ(cm_->CalculateMaxLots(Same(Inr("15000"), 10)).lots, 1u);
  CloseSpread("SP-1", "0");
  EXPECT_EQ(cm_->capital_state().deployed, Inr("0"));
  EXPECT_EQ(cm_->CalculateMaxLots(Same(Inr("25000"), 10)).lots, 1u);
  EXPECT_FALSE(cm_->Deploy("SP-2", Inr("-1")).ok());
}

TEST_F(CapitalTest, SpreadCloseMovesCapitalByNetPnlAndPublishes) {
  Build(UserConfig());
  testkit::BusRecorder<CapitalUpdated> updates(tk_.kernel().bus(), CapitalManager::kCapitalTopic);
  CloseSpread("S-001-SP0001", "3406.35");  // credit kept minus charges
  tk_.Advance(kNanosPerMinute);
  CloseSpread("S-001-SP0002", "-1234.56");
  EXPECT_EQ(cm_->current_capital(), Inr("402171.79"));
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[1].previous_capital, Inr("403406.35"));
  EXPECT_EQ(updates[1].trade_pnl, Inr("-1234.56"));
  EXPECT_EQ(updates[1].new_capital, Inr("402171.79"));
  EXPECT_EQ(updates[1].trade_id, "S-001-SP0002");
  const CapitalState s = cm_->capital_state();
  EXPECT_EQ(s.total_return, Inr("2171.79"));
  EXPECT_EQ(s.total_return_pct, testkit::Px("0.5429"));  // 2171.79 / 400000, truncated
  const std::string csv = cm_->HistoryCsv();
  EXPECT_NE(csv.find("S-001-SP0001,S-001,400000.00,3406.35,403406.35"), std::string::npos) << csv;
  // An opened or changed spread does not move capital.
  SpreadEvent opened;
  opened.kind = SpreadEventKind::kOpened;
  opened.spread_id = SpreadId("S-001-SP0003");
  opened.realized_pnl = Inr("-50");
  tk_.kernel().bus().Publish(topics::SpreadEvents(StrategyId("S-001")), opened);
  EXPECT_EQ(cm_->current_capital(), Inr("402171.79"));
}

// A spread that ended and ends again (unwound once more after a late fill made it hold a
// leg) carries its whole realized P&L each time: only the difference moves capital.
TEST_F(CapitalTest, ASpreadThatEndsTwiceMovesCapitalByItsPnlOnce) {
  Build(UserConfig());
  testkit::BusRecorder<CapitalUpdated> updates(tk_.kernel().bus(), CapitalManager::kCapitalTopic);
  CloseSpread("S-001-SP0001", "-500.00");
  tk_.Advance(kNanosPerMinute);
  CloseSpread("S-001-SP0001", "-500.00");  // the same end reported again: nothing
  EXPECT_EQ(updates.size(), 1u);
  CloseSpread("S-001-SP0001", "-620.25");  // the late leg's unwind lost 120.25 more
  EXPECT_EQ(cm_->current_capital(), Inr("399379.75"));
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[1].trade_pnl, Inr("-120.25"));
  EXPECT_EQ(updates[1].trade_id, "S-001-SP0001");
}

TEST_F(CapitalTest, CompoundingOnSizesOnCurrentCapitalOffOnInitial) {
  Build(UserConfig(true));
  CloseSpread("SP-1", "40000");  // capital 4,40,000: risk budget 22,000
  EXPECT_EQ(cm_->CalculateMaxLots(Same(Inr("5500"), 10)).lots, 4u);
  testkit::TestKernel other;
  auto off = std::make_unique<CapitalManager>("CapitalManager", UserConfig(false));
  CapitalManager* cm_off = off.get();
  ASSERT_TRUE(other.kernel().trader().AddActor(std::move(off)).ok());
  EXPECT_TRUE(other.kernel().Start().ok());
  cm_off->RecordTrade(other.now(), "SP-1", StrategyId("S-001"), Inr("40000"));
  EXPECT_EQ(cm_off->current_capital(), Inr("440000"));            // capital still tracked
  EXPECT_EQ(cm_off->CalculateMaxLots(Same(Inr("5500"), 10)).lots, 3u);  // but sized on 4,00,000
}

TEST_F(CapitalTest, BusRequestsReachTheManager) {
  Build(UserConfig());
  MessageBus& bus = tk_.kernel().bus();
  auto lots = bus.Request<MaxLotsRequest, MaxLotsResponse>(CapitalManager::kMaxLotsEndpoint,
                                                           {Inr("5000"), Inr("5000"), 10});
  ASSERT_TRUE(lots.ok()) << lots.error();
  EXPECT_EQ(lots->lots, 4u);
  auto deployed = bus.Request<DeployRequest, CapitalState>(CapitalManager::kDeployEndpoint,
                                                           {"SP-9", Inr("20000"), std::nullopt});
  ASSERT_TRUE(deployed.ok());
  EXPECT_EQ(deployed->deployed, Inr("20000"));
  auto state = bus.Request<int, CapitalState>(CapitalManager::kStateEndpoint, 0);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->available, Inr("300000"));
}

TEST_F(CapitalTest, SaveAndLoadRoundTrip) {
  Build(UserConfig());
  CloseSpread("SP-1", "1500.25");
  ASSERT_TRUE(cm_->Deploy("SP-2", Inr("42000")).ok());
  const SavedState saved = cm_->Save();
  testkit::TestKernel other;
  auto fresh = std::make_unique<CapitalManager>("CapitalManager", UserConfig());
  CapitalManager* restored = fresh.get();
  ASSERT_TRUE(other.kernel().trader().AddActor(std::move(fresh)).ok());
  restored->Load(saved);
  EXPECT_EQ(restored->current_capital(), Inr("401500.25"));
  EXPECT_EQ(restored->capital_state().deployed, Inr("42000"));
  EXPECT_EQ(restored->HistoryCsv(), cm_->HistoryCsv());
  // A damaged state is refused whole: nothing half-loaded.
  SavedState bad = saved;
  bad["history"] += "garbage\n";
  testkit::TestKernel third;
  auto cm3 = std::make_unique<CapitalManager>("CapitalManager", UserConfig());
  CapitalManager* c3 = cm3.get();
  ASSERT_TRUE(third.kernel().trader().AddActor(std::move(cm3)).ok());
  c3->Load(bad);
  EXPECT_EQ(c3->current_capital(), Inr("400000"));
  EXPECT_TRUE(c3->history().empty());
}

TEST(CapitalConfig, BadValuesNameTheKey) {
  auto table = ConfigTable::ParseString("initial_capital = 400000\nrisk_per_trade_pct = 0\n",
                                        "capital.toml");
  ConfigTable p(*table, "capital.toml", "actors.capital");
  try {
    (void)CapitalManager::FromConfig("CapitalManager", p);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("risk_per_trade_pct"), std::string::npos) << e.what();
  }
  auto ok = ConfigTable::ParseString(
      "initial_capital = 400000\nrisk_per_trade_pct = 5\nmax_deployment_pct = 80.5\n", "c.toml");
  ConfigTable q(*ok, "c.toml", "actors.capital");
  auto actor = CapitalManager::FromConfig("CapitalManager", q);
  auto* cm = dynamic_cast<CapitalManager*>(actor.get());
  ASSERT_NE(cm, nullptr);
  EXPECT_EQ(cm->config().max_deployment_pct, testkit::Px("80.5"));
}

}  // namespace
}  // namespace nacre
