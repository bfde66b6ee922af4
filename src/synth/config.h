// Loads a synthetic-chain config (chain.h) from TOML. Every key is optional; the defaults are
// ChainConfig's. Shape:
//
//   start = "2024-01-01"            # IST dates, inclusive
//   end = "2024-12-31"
//   seed = 1
//   interval_minutes = 1
//   strikes_each_side = 20
//   expiries = 2                    # nearest listed series quoted
//   rate = 0.065                    # continuously compounded
//   div_yield = 0.012
//   underlying_file = "NIFTY_2024_1min.csv"   # relative to the config's folder; omit to simulate
//   [calendar]                      # nse/calendar_config.h (holiday files, special sessions)
//   [path]    start_price, annual_vol, annual_drift, garch_alpha, garch_beta, u_shape,
//             overnight_vol, jump_prob_per_day, jump_vol
//   [vol]     iv_base, iv_reversion_days, iv_return_beta, iv_noise, iv_floor, term_boost,
//             term_decay_days, skew, smile
//   [quotes]  spread_pct, spread_wing, max_size_lots
//
// Unknown keys and bad values throw ConfigError naming the file, line and key (common/config.h);
// the whole config is also checked with ValidateChainConfig.
#pragma once

#include <string>

#include "common/config.h"
#include "nse/calendar.h"
#include "synth/chain.h"

namespace nacre::synth {

struct LoadedSynthConfig {
  ChainConfig chain;
  NseCalendar calendar;
};

LoadedSynthConfig LoadSynthConfig(const ConfigTable& table, const std::string& base_dir);
LoadedSynthConfig LoadSynthConfigFile(const std::string& path);

}  // namespace nacre::synth
