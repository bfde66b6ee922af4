// Synthetic NIFTY option chains: quotes for every listed weekly contract near the money,
// priced off an underlying path (path.h) with Black-76 and a moving volatility surface.
//
// Model (per step, at the step's open time t, from the underlying's price S at t):
// - ATM implied vol: a VIX-like level whose log mean-reverts to `iv_base`, jumps against the
//   index's returns (`iv_return_beta` per unit log return) and carries its own noise.
// - Term structure: a series expiring in T calendar days has ATM vol
//   atm * (1 + term_boost * exp(-T / term_decay_days)) (rising into expiry).
// - Smile: with x = ln(K/F) / (atm_T * sqrt(T)) clipped to +-3, vol = atm_T * (1 + skew * x +
//   smile * x^2) (skew < 0: puts richer).
// - Forward F = S * exp((rate - div_yield) * T); mid = Black76(F, K, T, vol, rate), rounded to
//   the ₹0.05 grid (nearest, lifted to the first tick at or above the discounted intrinsic
//   value) with a ₹0.05 floor; half-spread in whole ticks, max(1 tick, mid *
//   spread_pct / 2) widened by (1 + spread_wing * |x| / 3); bid floored at ₹0.05, so a quote
//   is never crossed or negative; sizes are whole lots (1..max_size_lots).
// - Listing: the `expiries` nearest series of SeriesOn (weeklies and the monthly, with the
//   right weekday and lot size from nse/), strikes StrikesAround(S, strikes_each_side).
// Output goes to a ChainSink step by step in time order (instruments before their first
// quote, a series' end after its expiry), so memory stays bounded by one step. Deterministic:
// the same config and seed produce the same calls with the same values.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "model/data.h"
#include "model/instrument.h"
#include "nse/calendar.h"
#include "nse/contracts.h"
#include "synth/path.h"

namespace nacre::synth {

struct VolConfig {
  double iv_base = 0.13;          // long-run ATM implied vol
  double iv_reversion_days = 10;  // e-folding time of the log-IV mean reversion
  double iv_return_beta = -4.0;   // d ln(iv) per unit log return of the index
  double iv_noise = 0.6;          // annualised vol of ln(iv)
  double iv_floor = 0.06;
  double term_boost = 0.35;  // extra ATM vol at expiry, relative
  double term_decay_days = 2.0;
  double skew = -0.07;
  double smile = 0.04;
};

struct QuoteConfig {
  double spread_pct = 0.01;  // bid/ask width as a fraction of the mid, near the money
  double spread_wing = 1.0;  // widening at |x| = 3
  int max_size_lots = 20;
};

struct ChainConfig {
  CivilDate start{2024, 1, 1};
  CivilDate end{2024, 12, 31};
  std::uint64_t seed = 1;
  int interval_minutes = 1;
  int strikes_each_side = 20;
  int expiries = 2;  // nearest listed series quoted
  double rate = 0.065;
  double div_yield = 0.012;
  PathConfig path;
  VolConfig vol;
  QuoteConfig quotes;
  std::string underlying_file;  // NSE 1-minute index CSV; empty = simulated path
};

// The model inputs behind one quote (for tests and diagnostics).
struct QuoteModel {
  double forward = 0;
  double t_years = 0;
  double vol = 0;
  double rate = 0;
  double model_price = 0;  // Black-76 price before rounding
};

// One time step: the underlying's bar and quote, then every option quote at `ts`.
struct ChainStep {
  UnixNanos ts;
  double atm_vol = 0;  // the VIX-like ATM level before term structure and smile
  Bar underlying_bar;
  QuoteTick underlying_quote;          // bid = ask = the index at ts, size 0
  std::span<const QuoteTick> quotes;   // options, in instrument order (expiry, strike, CE, PE)
  std::span<const QuoteModel> models;  // parallel to `quotes`
};

class ChainSink {
 public:
  virtual ~ChainSink() = default;
  // A contract, before its first quote (also the underlying index, first).
  virtual Status OnInstrument(const Instrument& instrument) = 0;
  virtual Status OnStep(const ChainStep& step) = 0;
  // No more quotes for these contracts (their series expired).
  virtual Status OnRetired(std::span<const InstrumentId> ids) = 0;
  virtual Status Finish() = 0;
};

struct ChainStats {
  std::uint64_t steps = 0;
  std::uint64_t quotes = 0;  // option quotes
  std::uint64_t instruments = 0;
};

// Runs the generator from config.start to config.end into `sink`. `progress(done, total)` is
// called once per trading day (optional). Errors: a bad config ("synth: ..."), an unknown lot
// size, a bad underlying file (its own message), or the sink's first error.
Result<ChainStats> GenerateChains(
    const ChainConfig& config, const NseCalendar& calendar, ChainSink& sink,
    const std::function<void(std::uint64_t, std::uint64_t)>& progress = {});

// Checks a config: dates ordered, interval 1..375, strikes 1..500, expiries 1..8, vols and
// spreads positive, GARCH alpha + beta < 1.
Status ValidateChainConfig(const ChainConfig& config);

}  // namespace nacre::synth
