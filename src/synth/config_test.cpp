#include "synth/config.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace nacre::synth
