#include "synth/config.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <variant>

namespace nacre::synth {
namespace {

LoadedSynthConfig Load(std::string_view text) {
  auto root = ConfigTable::ParseString(text, "synth.toml");
  return LoadSynthConfig(ConfigTable(*root, "synth.toml", ""), "/data");
}

std::string ErrorOf(std::string_view text) {
  try {
    Load(text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(SynthConfig, ReadsEveryTableAndResolvesTheFile) {
  const LoadedSynthConfig c = Load(R"(
start = "2025-09-01"
end = "2025-09-30"
seed = 9
interval_minutes = 15
strikes_each_side = 10
expiries = 3
underlying_file = "nifty.csv"
[calendar]
holidays = ["2025-09-10"]
[path]
annual_vol = 0.15
[vol]
skew = -0.1
[quotes]
max_size_lots = 5
)");
  EXPECT_EQ(c.chain.start, (CivilDate{2025, 9, 1}));
  EXPECT_EQ(c.chain.end, (CivilDate{2025, 9, 30}));
  EXPECT_EQ(c.chain.seed, 9u);
  EXPECT_EQ(c.chain.interval_minutes, 15);
  EXPECT_EQ(c.chain.strikes_each_side, 10);
  EXPECT_EQ(c.chain.expiries, 3);
  EXPECT_EQ(c.chain.underlying_file, "/data/nifty.csv");
  EXPECT_TRUE(c.calendar.IsHoliday({2025, 9, 10}));
  EXPECT_DOUBLE_EQ(c.chain.path.annual_vol, 0.15);
  EXPECT_DOUBLE_EQ(c.chain.vol.skew, -0.1);
  EXPECT_EQ(c.chain.quotes.max_size_lots, 5);
}

TEST(SynthConfig, BadKeysAndValuesNameTheFileAndKey) {
  std::string e = ErrorOf("strikes = 20\n");
  EXPECT_NE(e.find("synth.toml"), std::string::npos) << e;
  EXPECT_NE(e.find("strikes"), std::string::npos) << e;
  e = ErrorOf("start = \"2024-13-01\"\n");
  EXPECT_NE(e.find("start"), std::string::npos) << e;
  e = ErrorOf("interval_minutes = 0\n");
  EXPECT_NE(e.find("interval_minutes"), std::string::npos) << e;
  e = ErrorOf("[vol]\nskw = 1.0\n");
  EXPECT_NE(e.find("skw"), std::string::npos) << e;
  e = ErrorOf("start = \"2024-02-01\"\nend = \"2024-01-01\"\n");
  EXPECT_NE(e.find("before start"), std::string::npos) << e;
  EXPECT_NE(e.find("synth.toml"), std::string::npos) << e;
}

// Every number and integer key of the schemas, mapped to the field it sets: the schema's
// default must be the struct's, and an empty config must load the struct's defaults.
using Field = std::function<double(const ChainConfig&)>;

const std::map<std::string, Field>& Fields() {
  static const std::map<std::string, Field> kFields = {
      {"seed", [](const ChainConfig& c) { return static_cast<double>(c.seed); }},
      {"interval_minutes", [](const ChainConfig& c) { return c.interval_minutes; }},
      {"strikes_each_side", [](const ChainConfig& c) { return c.strikes_each_side; }},
      {"expiries", [](const ChainConfig& c) { return c.expiries; }},
      {"rate", [](const ChainConfig& c) { return c.rate; }},
      {"div_yield", [](const ChainConfig& c) { return c.div_yield; }},
      {"path.start_price", [](const ChainConfig& c) { return c.path.start_price; }},
      {"path.annual_vol", [](const ChainConfig& c) { return c.path.annual_vol; }},
      {"path.annual_drift", [](const ChainConfig& c) { return c.path.annual_drift; }},
      {"path.garch_alpha", [](const ChainConfig& c) { return c.path.garch_alpha; }},
      {"path.garch_beta", [](const ChainConfig& c) { return c.path.garch_beta; }},
      {"path.u_shape", [](const ChainConfig& c) { return c.path.u_shape; }},
      {"path.overnight_vol", [](const ChainConfig& c) { return c.path.overnight_vol; }},
      {"path.jump_prob_per_day", [](const ChainConfig& c) { return c.path.jump_prob_per_day; }},
      {"path.jump_vol", [](const ChainConfig& c) { return c.path.jump_vol; }},
      {"vol.iv_base", [](const ChainConfig& c) { return c.vol.iv_base; }},
      {"vol.iv_reversion_days", [](const ChainConfig& c) { return c.vol.iv_reversion_days; }},
      {"vol.iv_return_beta", [](const ChainConfig& c) { return c.vol.iv_return_beta; }},
      {"vol.iv_noise", [](const ChainConfig& c) { return c.vol.iv_noise; }},
      {"vol.iv_floor", [](const ChainConfig& c) { return c.vol.iv_floor; }},
      {"vol.term_boost", [](const ChainConfig& c) { return c.vol.term_boost; }},
      {"vol.term_decay_days", [](const ChainConfig& c) { return c.vol.term_decay_days; }},
      {"vol.skew", [](const ChainConfig& c) { return c.vol.skew; }},
      {"vol.smile", [](const ChainConfig& c) { return c.vol.smile; }},
      {"quotes.spread_pct", [](const ChainConfig& c) { return c.quotes.spread_pct; }},
      {"quotes.spread_wing", [](const ChainConfig& c) { return c.quotes.spread_wing; }},
      {"quotes.max_size_lots", [](const ChainConfig& c) { return c.quotes.max_size_lots; }},
  };
  return kFields;
}

// (prefix, schema) for every table the synth config reads through its own schema.
std::vector<std::pair<std::string, ParamSchema>> Tables() {
  return {{"", SynthRootSchema()},
          {"path.", SynthPathSchema()},
          {"vol.", SynthVolSchema()},
          {"quotes.", SynthQuotesSchema()}};
}

TEST(SynthConfigSchema, DefaultsAreTheStructDefaults) {
  const ChainConfig defaults;
  const LoadedSynthConfig empty = Load("");
  std::size_t numeric = 0;
  for (const auto& [prefix, schema] : Tables()) {
    EXPECT_FALSE(schema.summary.empty()) << schema.name;
    for (const ParamSpec& p : schema.params) {
      EXPECT_FALSE(p.doc.empty()) << prefix << p.key << " has no description";
      if (p.type != ParamType::kInt && p.type != ParamType::kNumber) continue;
      ++numeric;
      const auto it = Fields().find(prefix + p.key);
      ASSERT_NE(it, Fields().end()) << prefix << p.key << ": add it to Fields()";
      const double def = p.type == ParamType::kInt
                             ? static_cast<double>(std::get<std::int64_t>(p.def))
                             : std::get<double>(p.def);
      EXPECT_EQ(def, it->second(defaults)) << prefix << p.key;
      EXPECT_EQ(it->second(empty.chain), it->second(defaults)) << prefix << p.key;
      // The default lies within the declared range.
      const std::string at = prefix + p.key + " = " + fmt::format("{}", def) + "\n";
      if (!prefix.empty()) {
        EXPECT_NO_THROW(
            Load("[" + prefix.substr(0, prefix.size() - 1) + "]\n" + p.key + " = " +
                 (p.type == ParamType::kInt ? fmt::format("{}", std::get<std::int64_t>(p.def))
                                            : fmt::format("{:.17g}", def)) +
                 "\n"))
            << at;
      }
    }
  }
  EXPECT_EQ(numeric, Fields().size());
  EXPECT_EQ(std::get<std::string>(SynthRootSchema().Find("start")->def),
            FormatDate(defaults.start));
  EXPECT_EQ(std::get<std::string>(SynthRootSchema().Find("end")->def), FormatDate(defaults.end));
  EXPECT_EQ(empty.chain.start, defaults.start);
  EXPECT_EQ(empty.chain.end, defaults.end);
  EXPECT_TRUE(empty.chain.underlying_file.empty());
  EXPECT_TRUE(ValidateChainConfig(empty.chain).ok());
}

TEST(SynthConfigSchema, EveryTableOfTheRootIsDocumented) {
  // The sections `nacre components` prints are the root and every table it reads by schema.
  const std::vector<ParamSchema> sections = SynthConfigSections();
  ASSERT_EQ(sections.size(), Tables().size());
  for (std::size_t i = 0; i < sections.size(); ++i) {
    EXPECT_EQ(sections[i].name, Tables()[i].second.name);
  }
  for (const ParamSpec& p : SynthRootSchema().params) {
    if (p.type != ParamType::kTable || p.key == "calendar") continue;
    bool found = false;
    for (const ParamSchema& s : sections) found = found || s.name == "[" + p.key + "]";
    EXPECT_TRUE(found) << p.key;
  }
}

struct Refusal {
  std::string text;
  std::string key;      // the key path the message names
  std::string because;  // part of the reason
};

TEST(SynthConfigSchema, EachKindOfRefusalNamesTheFileAndKey) {
  const Refusal cases[] = {
      // Unknown keys, with the known ones listed.
      {"strikes = 20\n", "strikes", "known: start, end, seed"},
      {"[path]\nannual_volatility = 0.2\n", "path.annual_volatility", "known: start_price"},
      {"[vol]\nskw = -0.1\n", "vol.skw", "known: iv_base"},
      {"[quotes]\nspread = 0.01\n", "quotes.spread", "known: spread_pct"},
      {"[calendar]\nholiday = [\"2024-01-26\"]\n", "calendar.holiday", "known: holiday_files"},
      // Wrong types.
      {"rate = \"0.065\"\n", "rate", "expected a number"},
      {"seed = 1.5\n", "seed", "expected an integer"},
      {"start = 2024-01-01\n", "start", "expected a string"},
      {"path = 1\n", "path", "expected a table"},
      {"[quotes]\nmax_size_lots = 2.5\n", "quotes.max_size_lots", "expected an integer"},
      // NaN and infinities.
      {"[vol]\niv_base = nan\n", "vol.iv_base", "finite"},
      {"rate = inf\n", "rate", "finite"},
      {"[path]\njump_vol = -inf\n", "path.jump_vol", "finite"},
      // Out of range, including a percent written where a fraction is meant.
      {"rate = 6.5\n", "rate", "between 0 and 0.25, got 6.5"},
      {"div_yield = -0.01\n", "div_yield", "between 0 and 0.1"},
      {"seed = -1\n", "seed", "at least 0"},
      {"interval_minutes = 0\n", "interval_minutes", "between 1 and 375"},
      {"expiries = 9\n", "expiries", "between 1 and 8"},
      {"[path]\nannual_vol = 0\n", "path.annual_vol", "above 0"},
      {"[path]\nannual_vol = 14\n", "path.annual_vol", "at most 2"},
      {"[path]\njump_prob_per_day = 1.5\n", "path.jump_prob_per_day", "between 0 and 1"},
      {"[path]\ngarch_alpha = -0.01\n", "path.garch_alpha", "at least 0"},
      {"[path]\ngarch_beta = 1\n", "path.garch_beta", "below 1"},
      {"[vol]\niv_base = 3.5\n", "vol.iv_base", "at most 2"},
      {"[vol]\niv_floor = 0\n", "vol.iv_floor", "above 0"},
      {"[quotes]\nspread_pct = 0\n", "quotes.spread_pct", "above 0"},
      {"[quotes]\nmax_size_lots = 0\n", "quotes.max_size_lots", "between 1 and 10000"},
      // Cross-field rules, naming the key given.
      {"[path]\ngarch_alpha = 0.1\n", "path.garch_alpha",
       "garch_alpha + garch_beta must be below 1"},
      {"[path]\ngarch_beta = 0.95\n", "path.garch_beta",
       "garch_alpha + garch_beta must be below 1"},
      {"[vol]\niv_floor = 0.2\n", "vol.iv_floor", "must not exceed iv_base"},
      {"[vol]\niv_base = 0.05\n", "vol.iv_base", "must not exceed iv_base"},
      {"[vol]\nskew = -0.5\nsmile = 0\n", "vol.skew", "must stay positive"},
      {"start = \"2024-02-01\"\nend = \"2024-01-01\"\n", "end", "before start"},
      {"start = \"2024-13-01\"\n", "start", "invalid"},
  };
  for (const Refusal& c : cases) {
    const std::string e = ErrorOf(c.text);
    EXPECT_NE(e.find("synth.toml:"), std::string::npos) << c.text << e;
    EXPECT_NE(e.find("'" + c.key + "'"), std::string::npos) << c.text << e;
    EXPECT_NE(e.find(c.because), std::string::npos) << c.text << e;
  }
}

TEST(SynthConfigSchema, AcceptsTheBoundsAQuantMightUse) {
  const LoadedSynthConfig c = Load(R"(
rate = 0
div_yield = 0.1
[path]
annual_vol = 2
garch_alpha = 0
garch_beta = 0
jump_prob_per_day = 1
u_shape = 0
[vol]
iv_base = 2
iv_floor = 2
skew = -0.3
smile = 0.05
[quotes]
spread_pct = 1
spread_wing = 0
)");
  EXPECT_DOUBLE_EQ(c.chain.path.annual_vol, 2);
  EXPECT_DOUBLE_EQ(c.chain.path.jump_prob_per_day, 1);
  EXPECT_DOUBLE_EQ(c.chain.vol.iv_floor, c.chain.vol.iv_base);
  EXPECT_DOUBLE_EQ(c.chain.quotes.spread_pct, 1);
  EXPECT_TRUE(ValidateChainConfig(c.chain).ok());
}

}  // namespace
}  // namespace nacre::synth
