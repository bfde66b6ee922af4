// `nacre components` and docs/config.md: every registered strategy and actor is listed with
// every key of its schema, the committed docs/config.md is exactly what
// `nacre components --format markdown` prints today (regenerate it when this fails), every
// component is created from its schema's defaults (a key read but not declared would throw),
// and the schema's refusals reach the user with exit 2 and the file and key at fault.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "apps/examples/sma_cross.h"
#include "apps/spreads/register.h"
#include "backtest/config_schema.h"
#include "cli_exec.h"
#include "common/config.h"
#include "nse/charges.h"
#include "synth/config.h"

namespace nacre {
namespace {

using testing::CliRun;
using testing::Exec;

ComponentRegistry AllComponents() {
  ComponentRegistry r;
  RegisterExampleComponents(r);
  RegisterSpreadComponents(r);
  return r;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(ComponentsCli, ListsEveryRegisteredComponentWithEveryKey) {
  const CliRun r = Exec("components");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const ComponentRegistry registry = AllComponents();
  EXPECT_FALSE(registry.StrategyTypes().empty());
  EXPECT_FALSE(registry.ActorTypes().empty());
  auto check = [&](const std::string& type, const ParamSchema& schema, const char* kind) {
    const std::string head = type + " (" + kind + "): " + schema.summary + "\n";
    const auto at = r.out.find(head);
    ASSERT_NE(at, std::string::npos) << head;
    const auto end = r.out.find("\n\n", at);
    const std::string block = r.out.substr(at, end - at);
    for (const ParamSpec& p : schema.params) {
      const std::string line = p.removed.empty() ? "  " + p.key + " " : "  " + p.key + ": removed";
      EXPECT_NE(block.find(line), std::string::npos) << type << "." << p.key << "\n" << block;
      if (p.removed.empty()) {
        EXPECT_FALSE(p.doc.empty()) << type << "." << p.key << " has no description";
      }
    }
  };
  for (const std::string& t : registry.StrategyTypes()) {
    check(t, *registry.StrategySchema(t), "strategy");
  }
  for (const std::string& t : registry.ActorTypes()) check(t, *registry.ActorSchema(t), "actor");
  for (const ParamSchema& s : BacktestConfigSections()) check(s.name, s, "section");
  for (const ParamSchema& s : synth::SynthConfigSections()) check(s.name, s, "section");
  for (const ParamSchema& s :
       {ChargesFileSchema(), ChargeStepSchema("amount"), ChargeStepSchema("rate")}) {
    check(s.name, s, "section");
  }
}

TEST(ComponentsCli, ConfigDocIsCurrent) {
  const CliRun r = Exec("components --format markdown");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::string committed =
      ReadFile(std::filesystem::path(NACRE_SOURCE_DIR) / "docs/config.md");
  EXPECT_TRUE(committed == r.out)
      << "docs/config.md is stale: regenerate it with\n"
         "  ./build/release/nacre components --format markdown > docs/config.md";
}

TEST(ComponentsCli, TheDocListsEverySectionAndComponent) {
  const std::string doc = ReadFile(std::filesystem::path(NACRE_SOURCE_DIR) / "docs/config.md");
  const ComponentRegistry registry = AllComponents();
  for (const std::string& t : registry.StrategyTypes()) {
    EXPECT_NE(doc.find("### `" + t + "`"), std::string::npos) << t;
  }
  for (const std::string& t : registry.ActorTypes()) {
    EXPECT_NE(doc.find("### `" + t + "`"), std::string::npos) << t;
  }
  for (const ParamSchema& s : BacktestConfigSections()) {
    EXPECT_NE(doc.find("### `" + s.name + "`"), std::string::npos) << s.name;
    for (const std::string& key : s.Keys()) {
      EXPECT_NE(doc.find("| `" + key + "` |"), std::string::npos) << s.name << "." << key;
    }
  }
  // The synth config and the charges file have their own parts, every key in a table.
  auto part = [&](const std::string& heading, const std::string& next) {
    const auto at = doc.find(heading);
    EXPECT_NE(at, std::string::npos) << heading;
    return at == std::string::npos ? std::string() : doc.substr(at, doc.find(next, at) - at);
  };
  const std::string synth_part =
      part("## Synthetic data (`nacre catalog synth --config`)", "## Charges overlay");
  for (const ParamSchema& s : synth::SynthConfigSections()) {
    EXPECT_NE(synth_part.find("### `" + s.name + "`"), std::string::npos) << s.name;
    for (const std::string& key : s.Keys()) {
      EXPECT_NE(synth_part.find("| `" + key + "` |"), std::string::npos) << s.name << "." << key;
    }
  }
  const std::string charges_part = part("## Charges overlay (`charges_file`)", "\n## ");
  for (const ParamSchema& s :
       {ChargesFileSchema(), ChargeStepSchema("amount"), ChargeStepSchema("rate")}) {
    EXPECT_NE(charges_part.find("### `" + s.name + "`"), std::string::npos) << s.name;
    for (const std::string& key : s.Keys()) {
      EXPECT_NE(charges_part.find("| `" + key + "` |"), std::string::npos) << s.name << "." << key;
    }
  }
  // Every top-level section the loader accepts is documented.
  for (const std::string& key : BacktestRootSchema().Keys()) {
    const bool documented = doc.find("### `[" + key + "]`") != std::string::npos ||
                            doc.find("### `[[" + key + "]]") != std::string::npos;
    EXPECT_TRUE(documented) << key;
  }
}

// The charges file example in docs/config.md is one the charges reader accepts, and it
// changes the rates it names.
TEST(ComponentsCli, TheChargesFileExampleLoads) {
  const std::string doc = ReadFile(std::filesystem::path(NACRE_SOURCE_DIR) / "docs/config.md");
  const auto part = doc.find("## Charges overlay");
  ASSERT_NE(part, std::string::npos);
  const auto open = doc.find("```toml\n", part);
  ASSERT_NE(open, std::string::npos);
  const auto body = open + 8;
  const auto close = doc.find("```", body);
  ASSERT_NE(close, std::string::npos);
  const std::string example = doc.substr(body, close - body);
  const auto toml = ConfigTable::ParseString(example, "charges.toml");
  ChargeSchedule s = ChargeSchedule::ZerodhaIndexOptions();
  ASSERT_NO_THROW(s = ChargeSchedule::FromConfig(ConfigTable(*toml, "charges.toml", "")))
      << example;
  // Every schedule the example names differs from the built-in one somewhere.
  const ChargeSchedule built_in = ChargeSchedule::ZerodhaIndexOptions();
  const auto component = [](const ChargeRates& r, const std::string& key) -> std::string {
    if (key == "brokerage") return r.brokerage_per_order.ToString();
    const std::map<std::string, ChargeRate> rates = {{"stt_sell", r.stt_sell},
                                                     {"stt_exercise", r.stt_exercise},
                                                     {"exchange", r.exchange},
                                                     {"ipft", r.ipft},
                                                     {"sebi", r.sebi},
                                                     {"stamp", r.stamp},
                                                     {"gst", r.gst}};
    const auto it = rates.find(key);
    EXPECT_NE(it, rates.end()) << key;
    return it == rates.end() ? "" : it->second.ToPercent();
  };
  int named = 0;
  for (const std::string& key : ChargesFileSchema().Keys()) {
    if (example.find("[[" + key + "]]") == std::string::npos) continue;
    ++named;
    bool differs = false;
    for (int year = 2016; year <= 2035; ++year) {
      const CivilDate d{year, 6, 1};
      differs = differs || component(s.At(d), key) != component(built_in.At(d), key);
    }
    EXPECT_TRUE(differs) << key;
  }
  EXPECT_GT(named, 0);
}

// The required keys of each registered component, with valid values; every other key takes
// its schema default. A component registered later without an entry here fails this test
// until one is added.
const std::map<std::string, std::string>& RequiredValues() {
  static const std::map<std::string, std::string> kValues = {
      {"SmaCross", "bar_type = \"NIFTY-I.NFO-1-MINUTE-LAST-EXTERNAL\"\n"},
      {"OptionsSpreadStrategy", ""},
      {"CapitalManager", "initial_capital = \"400000\"\n"},
      {"GreeksActor", "underlying = \"NIFTY 50.NSE\"\n"},
      {"SpreadMonitor", ""},
  };
  return kValues;
}

TEST(ComponentsCli, EveryComponentIsCreatedFromItsSchemaDefaults) {
  const ComponentRegistry registry = AllComponents();
  auto table_of = [](const std::string& type) {
    const auto it = RequiredValues().find(type);
    EXPECT_NE(it, RequiredValues().end()) << type << ": add its required keys to RequiredValues";
    return ConfigTable::ParseString(it == RequiredValues().end() ? "" : it->second, "c.toml");
  };
  for (const std::string& t : registry.StrategyTypes()) {
    const auto toml = table_of(t);
    EXPECT_NO_THROW(
        (void)registry.CreateStrategy(t, StrategyId(t + "-001"), ConfigTable(*toml, "c.toml", "p")))
        << t;
  }
  for (const std::string& t : registry.ActorTypes()) {
    const auto toml = table_of(t);
    EXPECT_NO_THROW((void)registry.CreateActor(t, t, ConfigTable(*toml, "c.toml", "p"))) << t;
  }
}

// The checks the docs promise reach the user: exit 2, the file, line and key.
TEST(ComponentsCli, SchemaRefusalsExitTwoNamingTheKey) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(::testing::TempDir()) / "nacre_components_refusals";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string demo = ReadFile(fs::path(NACRE_SOURCE_DIR) / "examples/sma_cross_demo.toml");
  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = demo;
    const auto pos = t.find(from);
    EXPECT_NE(pos, std::string::npos) << from;
    return pos == std::string::npos ? t : t.replace(pos, from.size(), to);
  };
  struct Case {
    std::string text;
    std::string expected;
  };
  const Case cases[] = {
      {with("fast_period = 10", "fast_perod = 10"),
       "unknown key 'strategies[0].params.fast_perod' (known: bar_type, fast_period, "
       "slow_period, trade_size)"},
      {with("fast_period = 10", "fast_period = \"10\""),
       "'strategies[0].params.fast_period': expected an integer, got string"},
      {with("fast_period = 10", "fast_period = 0"),
       "'strategies[0].params.fast_period': must be between 1 and 1000000, got 0"},
      {with("seed = 42", "seed = -1"), "'engine.seed': must be at least 0, got -1"},
      {with("[engine]", "[engin]"), "unknown key 'engin' (known: engine, output, risk,"},
  };
  int n = 0;
  for (const Case& c : cases) {
    const fs::path cfg = dir / ("bad" + std::to_string(++n) + ".toml");
    std::ofstream(cfg) << c.text;
    const CliRun r = Exec("backtest '" + cfg.string() + "'", true);
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_NE(r.out.find("error: " + cfg.string() + ":"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(c.expected), std::string::npos) << c.expected << "\n" << r.out;
  }
}

}  // namespace
}  // namespace nacre
