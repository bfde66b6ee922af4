#include "trading/registry.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace nacre {
namespace {

class ParamStrategy final : public Strategy {
 public:
  ParamStrategy(const StrategyId& id, std::int64_t fast_period) : Strategy(id), fast(fast_period) {}
  std::int64_t fast;
};

class ParamActor final : public Actor {
 public:
  ParamActor(const std::string& id, std::string text) : Actor(id), label(std::move(text)) {}
  std::string label;
};

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

class RegistryTest : public ::testing::Test {
 protected:
  RegistryTest() {
    registry_.RegisterStrategy(
        "SmaCross",
        {"", "test strategy", {ParamSpec::Int("fast").Required().Range(1, 100).Doc("fast")}},
        [](const StrategyId& id, const nacre::Params& p) {
          return std::make_unique<ParamStrategy>(id, p.GetInt("fast"));
        });
    registry_.RegisterStrategy("Breakout", {}, [](const StrategyId& id, const nacre::Params&) {
      return std::make_unique<ParamStrategy>(id, 0);
    });
    registry_.RegisterActor("Recorder", {"", "test actor", {ParamSpec::String("label", "none")}},
                            [](const std::string& id, const nacre::Params& p) {
                              return std::make_unique<ParamActor>(id, p.GetString("label"));
                            });
  }

  // Parses `toml` into a table named like a config section.
  ConfigTable Params(const char* toml, const char* path = "strategies[0]") {
    tables_.push_back(ConfigTable::ParseString(toml, "run.toml"));
    return ConfigTable(*tables_.back(), "run.toml", path);
  }

  ComponentRegistry registry_;
  std::vector<std::shared_ptr<toml::table>> tables_;
};

TEST_F(RegistryTest, CreatesRegisteredTypesWithTheirParameters) {
  auto s = registry_.CreateStrategy("SmaCross", StrategyId("SMA-1"), Params("fast = 5\n"));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->strategy_id(), StrategyId("SMA-1"));
  EXPECT_EQ(dynamic_cast<ParamStrategy&>(*s).fast, 5);

  auto a = registry_.CreateActor("Recorder", "REC-1", Params("label = \"ticks\"\n", "actors[0]"));
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->component_id(), "REC-1");
  EXPECT_EQ(dynamic_cast<ParamActor&>(*a).label, "ticks");
}

TEST_F(RegistryTest, UnknownStrategyTypeListsTheKnownTypes) {
  try {
    registry_.CreateStrategy("SmaCros", StrategyId("SMA-1"), Params("fast = 5\n"));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_TRUE(Contains(msg, "run.toml")) << msg;
    EXPECT_TRUE(Contains(msg, "unknown strategy type 'SmaCros'")) << msg;
    EXPECT_TRUE(Contains(msg, "(known: Breakout, SmaCross)")) << msg;
  }
}

TEST_F(RegistryTest, UnknownActorTypeListsTheKnownTypes) {
  try {
    registry_.CreateActor("Nope", "X", Params("", "actors[0]"));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_TRUE(Contains(msg, "unknown actor type 'Nope'")) << msg;
    EXPECT_TRUE(Contains(msg, "(known: Recorder)")) << msg;
  }
}

TEST_F(RegistryTest, EmptyRegistryNamesNoTypes) {
  ComponentRegistry empty;
  EXPECT_TRUE(empty.StrategyTypes().empty());
  try {
    empty.CreateStrategy("SmaCross", StrategyId("S"), Params(""));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_TRUE(Contains(e.what(), "(known: )")) << e.what();
  }
}

TEST_F(RegistryTest, UnreadParameterIsAnError) {
  try {
    registry_.CreateStrategy("SmaCross", StrategyId("SMA-1"), Params("fast = 5\nslwo = 20\n"));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_TRUE(Contains(msg, "unknown key 'strategies[0].slwo' (known: fast)")) << msg;
    EXPECT_TRUE(Contains(msg, "run.toml:2")) << msg;
  }
}

TEST_F(RegistryTest, TheSchemaChecksRangesBeforeTheFactoryRuns) {
  try {
    registry_.CreateStrategy("SmaCross", StrategyId("SMA-1"), Params("fast = 500\n"));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_TRUE(Contains(e.what(), "'strategies[0].fast': must be between 1 and 100, got 500"))
        << e.what();
  }
}

TEST_F(RegistryTest, SchemasAreKeptByTypeAndNamedByIt) {
  ASSERT_NE(registry_.StrategySchema("SmaCross"), nullptr);
  EXPECT_EQ(registry_.StrategySchema("SmaCross")->name, "SmaCross");
  EXPECT_EQ(registry_.StrategySchema("SmaCross")->Keys(), std::vector<std::string>{"fast"});
  ASSERT_NE(registry_.ActorSchema("Recorder"), nullptr);
  EXPECT_EQ(registry_.ActorSchema("Recorder")->summary, "test actor");
  EXPECT_EQ(registry_.StrategySchema("Recorder"), nullptr);
  auto a = registry_.CreateActor("Recorder", "REC-1", Params("", "actors[0]"));
  EXPECT_EQ(dynamic_cast<ParamActor&>(*a).label, "none");  // the schema's default
}

TEST_F(RegistryTest, MissingRequiredParameterIsAnError) {
  EXPECT_THROW(registry_.CreateStrategy("SmaCross", StrategyId("SMA-1"), Params("")), ConfigError);
}

TEST_F(RegistryTest, TypesAreListedSortedAndReRegisteringReplaces) {
  EXPECT_EQ(registry_.StrategyTypes(), (std::vector<std::string>{"Breakout", "SmaCross"}));
  EXPECT_EQ(registry_.ActorTypes(), std::vector<std::string>{"Recorder"});
  registry_.RegisterStrategy("Breakout", {}, [](const StrategyId& id, const nacre::Params&) {
    return std::make_unique<ParamStrategy>(id, 99);
  });
  EXPECT_EQ(registry_.StrategyTypes().size(), 2u);
  auto s = registry_.CreateStrategy("Breakout", StrategyId("B-1"), Params(""));
  EXPECT_EQ(dynamic_cast<ParamStrategy&>(*s).fast, 99);
}

}  // namespace
}  // namespace nacre
