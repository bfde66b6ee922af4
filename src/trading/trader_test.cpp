#include "trading/trader.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "testkit/kernel_harness.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

using Names = std::vector<std::string>;

// Logs its lifecycle into a shared journal; sets a timer on start; saves a counter.
class JournalActor : public Actor {
 public:
  JournalActor(std::string id, Names* journal) : Actor(std::move(id)), journal_(journal) {}
  SavedState loaded;
  int timer_fires = 0;

 protected:
  void OnStart() override {
    journal_->push_back(component_id() + ":start");
    (void)SetTimer("tick", kNanosPerSecond);
  }
  void OnStop() override { journal_->push_back(component_id() + ":stop"); }
  void OnResume() override { journal_->push_back(component_id() + ":resume"); }
  void OnReset() override { journal_->push_back(component_id() + ":reset"); }
  void OnDispose() override { journal_->push_back(component_id() + ":dispose"); }
  void OnTimer(const TimeEvent&) override { ++timer_fires; }
  SavedState OnSave() override { return {{"kind", "actor"}, {"id", component_id()}}; }
  void OnLoad(const SavedState& s) override { loaded = s; }

 private:
  Names* journal_;
};

class JournalStrategy : public Strategy {
 public:
  JournalStrategy(const char* id, Names* journal) : Strategy(StrategyId(id)), journal_(journal) {}
  SavedState loaded;

 protected:
  void OnStart() override {
    journal_->push_back(component_id() + ":start");
    (void)SetTimer("tick", kNanosPerSecond);
  }
  void OnStop() override { journal_->push_back(component_id() + ":stop"); }
  void OnResume() override { journal_->push_back(component_id() + ":resume"); }
  SavedState OnSave() override {
    return {{"kind", "strategy"}, {"orders", std::to_string(order_factory().count())}};
  }
  void OnLoad(const SavedState& s) override { loaded = s; }

 private:
  Names* journal_;
};

class TraderTest : public ::testing::Test {
 protected:
  Kernel& k() { return tk_.kernel(); }
  Trader& trader() { return k().trader(); }

  testkit::TestKernel tk_;
  Names journal_;
};

TEST_F(TraderTest, DuplicateComponentIdsAreRefused) {
  ASSERT_TRUE(trader().AddStrategy(std::make_unique<JournalStrategy>("S-001", &journal_)).ok());
  Status again = trader().AddStrategy(std::make_unique<JournalStrategy>("S-001", &journal_));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error(), "duplicate component id 'S-001'");
  // Actors and strategies share one id space.
  Status actor = trader().AddActor(std::make_unique<JournalActor>("S-001", &journal_));
  ASSERT_FALSE(actor.ok());
  EXPECT_EQ(actor.error(), "duplicate component id 'S-001'");
  ASSERT_TRUE(trader().AddActor(std::make_unique<JournalActor>("A-1", &journal_)).ok());
  Status strategy = trader().AddStrategy(std::make_unique<JournalStrategy>("A-1", &journal_));
  EXPECT_FALSE(strategy.ok());
  EXPECT_EQ(trader().strategies().size(), 1u);
  EXPECT_EQ(trader().actors().size(), 1u);
}

TEST_F(TraderTest, AddedComponentsAreRegisteredAndReady) {
  ASSERT_TRUE(trader().AddStrategy(std::make_unique<JournalStrategy>("S-001", &journal_)).ok());
  ASSERT_TRUE(trader().AddActor(std::make_unique<JournalActor>("A-1", &journal_)).ok());
  Strategy* s = trader().strategy(StrategyId("S-001"));
  Actor* a = trader().actor("A-1");
  ASSERT_NE(s, nullptr);
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(s->is_registered());
  EXPECT_TRUE(a->is_registered());
  EXPECT_EQ(s->trader_id(), TraderId("TRADER-001"));
  EXPECT_EQ(s->state(), ComponentState::kReady);
  EXPECT_EQ(a->state(), ComponentState::kReady);
  EXPECT_EQ(trader().strategy(StrategyId("S-404")), nullptr);
  EXPECT_EQ(trader().actor("A-404"), nullptr);
}

TEST_F(TraderTest, FindCastsToTheRequestedType) {
  ASSERT_TRUE(trader().AddStrategy(std::make_unique<JournalStrategy>("S-001", &journal_)).ok());
  ASSERT_TRUE(trader().AddActor(std::make_unique<JournalActor>("A-1", &journal_)).ok());
  EXPECT_NE(trader().Find<JournalStrategy>("S-001"), nullptr);
  EXPECT_NE(trader().Find<JournalActor>("A-1"), nullptr);
  EXPECT_EQ(trader().Find<JournalActor>("S-001"), nullptr);  // wrong type
  EXPECT_EQ(trader().Find<JournalStrategy>("A-1"), nullptr);
  EXPECT_EQ(trader().Find<JournalActor>("nope"), nullptr);
}

TEST_F(TraderTest, StartAllStartsActorsBeforeStrategiesAndStopAllReverses) {
  ASSERT_TRUE(trader().AddStrategy(std::make_unique<JournalStrategy>("S-1", &journal_)).ok());
  ASSERT_TRUE(trader().AddActor(std::make_unique<JournalActor>("A-1", &journal_)).ok());
  ASSERT_TRUE(trader().AddStrategy(std::make_unique<JournalStrategy>("S-2", &journal_)).ok());
  trader().StartAll();
  EXPECT_EQ(journal_, (Names{"A-1:start", "S-1:start", "S-2:start"}));
  for (const auto& s : trader().strategies()) EXPECT_TRUE(s->is_running());
  EXPECT_TRUE(trader().actors()[0]->is_running());
  EXPECT_EQ(tk_.clock().TimerCount(), 3u);

  // Timers fire while running.
  tk_.Advance(kNanosPerSecond);
  EXPECT_EQ(trader().Find<JournalActor>("A-1")->timer_fires, 1);

  journal_.clear();
  trader().StopAll();
  EXPECT_EQ(journal_, (Names{"S-1:stop", "S-2:stop", "A-1:stop"}));
  EXPECT_EQ(trader().strategies()[0]->state(), ComponentState::kStopped);
  EXPECT_EQ(trader().actors()[0]->state(), ComponentState::kStopped);
  EXPECT_EQ(tk_.clock().TimerCount(), 0u);  // every timer canceled
  tk_.Advance(5 * kNanosPerSecond);
  EXPECT_EQ(trader().Find<JournalActor>("A-1")->timer_fires, 1);

  // Starting again resumes stopped components.
  journal_.clear();
  trader().StartAll();
  EXPECT_EQ(journal_, (Names{"A-1:resume", "S-1:resume", "S-2:resume"}));
  EXPECT_TRUE(trader().strategies()[1]->is_running());
}

TEST_F(TraderTest, StartAllLeavesRunningComponentsAlone) {
  ASSERT_TRUE(trader().AddActor(std::make_unique<JournalActor>("A-1", &journal_)).ok());
  trader().StartAll();
  trader().StartAll();
  EXPECT_EQ(journal_, Names{"A-1:start"});
}

TEST_F(TraderTest, ResetAndDispose) {
  ASSERT_TRUE(trader().AddActor(std::make_unique<JournalActor>("A-1", &journal_)).ok());
  trader().StartAll();
  trader().StopAll();
  journal_.clear();
  trader().ResetAll();
  EXPECT_EQ(trader().actors()[0]->state(), ComponentState::kReady);
  trader().DisposeAll();
  EXPECT_EQ(trader().actors()[0]->state(), ComponentState::kDisposed);
  EXPECT_EQ(journal_, (Names{"A-1:reset", "A-1:dispose"}));
}

TEST_F(TraderTest, SaveAllAndLoadAllRoundTripByComponentId) {
  ASSERT_TRUE(trader().AddStrategy(std::make_unique<JournalStrategy>("S-1", &journal_)).ok());
  ASSERT_TRUE(trader().AddActor(std::make_unique<JournalActor>("A-1", &journal_)).ok());
  const auto saved = trader().SaveAll();
  ASSERT_EQ(saved.size(), 2u);
  EXPECT_EQ(saved.at("A-1").at("kind"), "actor");
  EXPECT_EQ(saved.at("A-1").at("id"), "A-1");
  EXPECT_EQ(saved.at("S-1").at("kind"), "strategy");
  EXPECT_EQ(saved.at("S-1").at("orders"), "0");

  std::map<std::string, SavedState> states = saved;
  states["S-1"]["orders"] = "17";
  states["GHOST"] = {{"x", "y"}};  // no such component: ignored
  ASSERT_TRUE(trader().LoadAll(states).ok());
  EXPECT_EQ(trader().Find<JournalStrategy>("S-1")->loaded.at("orders"), "17");
  EXPECT_EQ(trader().Find<JournalActor>("A-1")->loaded.at("kind"), "actor");

  // Components without saved state are not called.
  ASSERT_TRUE(trader().AddActor(std::make_unique<JournalActor>("A-2", &journal_)).ok());
  ASSERT_TRUE(trader().LoadAll({{"A-1", {{"k", "v"}}}}).ok());
  EXPECT_TRUE(trader().Find<JournalActor>("A-2")->loaded.empty());
  EXPECT_EQ(trader().Find<JournalActor>("A-1")->loaded.at("k"), "v");
}

TEST_F(TraderTest, KernelStartAndStopDriveEnginesAndTrader) {
  ASSERT_TRUE(trader().AddStrategy(std::make_unique<JournalStrategy>("S-1", &journal_)).ok());
  EXPECT_TRUE(k().Start().ok()) << k().halt_reason();
  EXPECT_TRUE(k().data_engine().is_running());
  EXPECT_TRUE(k().risk_engine().is_running());
  EXPECT_TRUE(k().exec_engine().is_running());
  EXPECT_TRUE(k().portfolio().is_running());
  EXPECT_TRUE(trader().strategies()[0]->is_running());
  k().Stop();
  EXPECT_EQ(k().exec_engine().state(), ComponentState::kStopped);
  EXPECT_EQ(k().data_engine().state(), ComponentState::kStopped);
  EXPECT_EQ(trader().strategies()[0]->state(), ComponentState::kStopped);
  EXPECT_TRUE(k().Start().ok()) << k().halt_reason();  // a stopped kernel resumes
  EXPECT_TRUE(k().risk_engine().is_running());
  EXPECT_TRUE(trader().strategies()[0]->is_running());
  EXPECT_EQ(journal_, (Names{"S-1:start", "S-1:stop", "S-1:resume"}));
}

TEST_F(TraderTest, StrategiesMayNotShareAnOrderIdTag) {
  ASSERT_TRUE(trader().AddStrategy(std::make_unique<JournalStrategy>("Alpha-001", &journal_)).ok());
  Status s = trader().AddStrategy(std::make_unique<JournalStrategy>("Beta-001", &journal_));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error(), "strategy Beta-001 has the order id tag '001' already used by Alpha-001");
  EXPECT_TRUE(trader().AddStrategy(std::make_unique<JournalStrategy>("Beta-002", &journal_)).ok());
}

}  // namespace
}  // namespace nacre
