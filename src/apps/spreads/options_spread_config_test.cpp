// Every bad value of the options-spread strategy's parameters is refused with its key, before
// any work: NaN and infinities, integers that do not fit (never wrapped), and durations whose
// nanoseconds would overflow.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "apps/spreads/options_spread_strategy.h"
#include "common/config.h"

namespace nacre {
namespace {

std::string Refusal(const std::string& toml) {
  auto table = ConfigTable::ParseString(toml, "spread.toml");
  ConfigTable p(*table, "spread.toml", "strategies.params");
  try {
    (void)OptionsSpreadStrategy::FromConfig(StrategyId("OptionsSpread-001"), p);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(OptionsSpreadConfig, DefaultsAreAccepted) { EXPECT_EQ(Refusal(""), "(accepted)"); }

TEST(OptionsSpreadConfig, EveryBadValueIsRefusedNamingItsKey) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"short_delta = nan", "short_delta"},
      {"short_delta = inf", "short_delta"},
      {"rate_pct = inf", "rate_pct"},
      {"rate_pct = -inf", "rate_pct"},
      {"rate_pct = 80", "rate_pct"},
      {"fast_period = 4294967297", "fast_period"},  // would wrap to 1 as an int
      {"slow_period = -4294967248", "slow_period"},
      {"max_reprices = 4294967296", "max_reprices"},
      {"leg_timeout_secs = 9000000000000000000", "leg_timeout_secs"},  // ns would overflow
      {"check_interval_secs = 0", "check_interval_secs"},
      {"reprice_ticks = -1", "reprice_ticks"},
      {"entry_edge_ticks = 99999999999", "entry_edge_ticks"},
      {"min_dte = 4294967296", "min_dte"},
  };
  for (const auto& [line, key] : cases) {
    const std::string why = Refusal(line + "\n");
    EXPECT_NE(why, "(accepted)") << line;
    EXPECT_NE(why.find(key), std::string::npos) << line << " -> " << why;
    EXPECT_NE(why.find("spread.toml"), std::string::npos) << line << " -> " << why;
  }
}

}  // namespace
}  // namespace nacre
