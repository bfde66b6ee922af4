// Every bad value of the options-spread strategy's parameters is refused with its key, before
// any work: NaN and infinities, integers that do not fit (never wrapped), and durations whose
// nanoseconds would overflow.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "apps/spreads/capital_manager.h"
#include "apps/spreads/options_spread_strategy.h"
#include "common/config.h"
#include "testkit/kernel_harness.h"

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
      {"reprice_ticks = 2", "reprice_ticks"},  // removed: re-prices follow the quotes
      {"max_entry_slippage = -0.5", "max_entry_slippage"},
      {"max_entry_slippage = nan", "max_entry_slippage"},
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

// Without the CapitalManager it sizes with, the strategy would run and never trade: the kernel
// refuses to start, naming what to add.
TEST(OptionsSpreadConfig, AMissingCapitalManagerStopsTheStartWithTheFix) {
  auto table = ConfigTable::ParseString("", "spread.toml");
  ConfigTable p(*table, "spread.toml", "strategies.params");
  {
    testkit::TestKernel tk;
    ASSERT_TRUE(tk.kernel()
                    .trader()
                    .AddStrategy(OptionsSpreadStrategy::FromConfig(StrategyId("OptionsSpread-001"), p))
                    .ok());
    const Status st = tk.kernel().Start();
    ASSERT_FALSE(st.ok());
    EXPECT_TRUE(st.Is(ErrorCode::kFailedPrecondition)) << st.error();
    EXPECT_NE(st.error().find("OptionsSpread-001: no CapitalManager actor"), std::string::npos)
        << st.error();
    EXPECT_NE(st.error().find("type = \"CapitalManager\""), std::string::npos) << st.error();
    EXPECT_EQ(tk.kernel().risk_engine().trading_state(), TradingState::kHalted);
  }
  testkit::TestKernel tk;
  auto capital = ConfigTable::ParseString("initial_capital = 400000\n", "capital.toml");
  ConfigTable c(*capital, "capital.toml", "actors.params");
  ASSERT_TRUE(tk.kernel().trader().AddActor(CapitalManager::FromConfig("CapitalManager", c)).ok());
  ASSERT_TRUE(tk.kernel()
                  .trader()
                  .AddStrategy(OptionsSpreadStrategy::FromConfig(StrategyId("OptionsSpread-001"), p))
                  .ok());
  const Status st = tk.kernel().Start();
  EXPECT_TRUE(st.ok()) << st.error();
}

}  // namespace
}  // namespace nacre
