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
// Every table is checked against its parameter schema (common/params.h) before any value is
// read: unknown keys (the known ones listed), wrong types, NaN and infinities and values out
// of range throw ConfigError naming the file, line and key; so do the cross-field rules
// (end not before start, garch_alpha + garch_beta < 1, iv_floor <= iv_base, a smile whose vol
// stays positive out to 3 standard deviations). The whole config is also checked with
// ValidateChainConfig. `nacre components` and docs/config.md print the same schemas.
#pragma once

#include <string>
#include <vector>

#include "common/config.h"
#include "common/params.h"
#include "nse/calendar.h"
#include "synth/chain.h"

namespace nacre::synth {

struct LoadedSynthConfig {
  ChainConfig chain;
  NseCalendar calendar;
};

// The synth config's tables; defaults are ChainConfig's, PathConfig's, VolConfig's and
// QuoteConfig's. [calendar] is nse/calendar_config.h's NseCalendarSchema.
ParamSchema SynthRootSchema();
ParamSchema SynthPathSchema();
ParamSchema SynthVolSchema();
ParamSchema SynthQuotesSchema();
// The tables in the order docs/config.md lists them (top level, [path], [vol], [quotes]).
std::vector<ParamSchema> SynthConfigSections();

LoadedSynthConfig LoadSynthConfig(const ConfigTable& table, const std::string& base_dir);
LoadedSynthConfig LoadSynthConfigFile(const std::string& path);

}  // namespace nacre::synth
