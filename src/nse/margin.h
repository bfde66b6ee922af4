// NSE-style exchange margin for index options (and futures) on one underlying: scenario SPAN
// + exposure margin (ELM) + extra expiry-day ELM on short options + premium for buyers.
//
// SPAN (as NSE_FNO.md describes it, with every parameter configurable and the doc's values as
// defaults; the figures are approximations of NSE's SPAN files, not the files themselves):
// - price scan range PSR = underlying × max(scan_sigma_multiple × daily σ, min_scan_fraction)
//   (default max(6σ√2, 9.3%); σ = annual vol / √365 when given, else the floor applies);
// - volatility scan VSR = max(vol_scan_fraction × vol, min_vol_scan) (default 25%, min 4 vol
//   points), in absolute vol;
// - the 16 scenarios of SPAN: price moves 0, ±1/3, ±2/3, ±1 × PSR, each with vol up and down
//   (14), plus the two extreme moves ±extreme_multiple × PSR (default 2) with unchanged vol
//   whose loss counts at extreme_weight (default 35%);
// - each option is revalued with Black-76 at (underlying + move, strike, time to expiry,
//   vol ± VSR); futures move one for one. SPAN = max(0, worst portfolio loss over scenarios).
// The worst loss is taken over the whole underlying's position at once, so a long leg already
// held offsets a short one (hedge benefit); a short alone is charged its full naked SPAN.
//
// ELM: short_elm_fraction (default 2%, unverified) of the underlying notional of every short
// option, plus expiry_day_elm_fraction (2% since 20-Nov-2024) on short options expiring
// today, hedged or not; futures pay future_elm_fraction on both sides. Premium: the value of
// long options (buyers pay it upfront). Results are Money rounded up to the paisa.
//
// Fixed point and floating point: the money parts (premium, exposure, the expiry-day ELM) are
// computed in fixed point from the leg's Price × units (and the underlying's Price × units ×
// the fraction, the fraction taken to 9 decimals); only the Black-76 scenario revaluation is
// in doubles, and its worst loss becomes Money once, rounded up to the paisa (CeilToPaisa).
//
// Pure and deterministic; thread-safe (no state).
#pragma once

#include <array>
#include <string>
#include <vector>

#include "core/fixed.h"
#include "core/result.h"
#include "core/time.h"
#include "model/enums.h"
#include "model/money.h"

namespace nacre {

struct MarginParams {
  double scan_sigma_multiple = 8.48528137423857;  // 6√2
  double min_scan_fraction = 0.093;
  double vol_scan_fraction = 0.25;
  double min_vol_scan = 0.04;
  double extreme_multiple = 2.0;
  double extreme_weight = 0.35;
  double short_elm_fraction = 0.02;       // unverified
  double expiry_day_elm_fraction = 0.02;  // short index options on their expiry day
  double future_elm_fraction = 0.02;      // unverified
  double rate = 0.0;                      // for Black-76 discounting
  double min_vol = 0.01;                  // vol floor when shifted down
};

enum class MarginLegKind : std::uint8_t { kOption, kFuture };

// SPAN's 16 risk-array scenarios; one value per scenario.
inline constexpr std::size_t kMarginScenarios = 16;
using ScenarioRow = std::array<double, kMarginScenarios>;

// One position (or order) leg. quantity is signed in units (lots × lot size): + long, − short.
struct MarginLeg {
  MarginLegKind kind = MarginLegKind::kOption;
  OptionKind option_kind = OptionKind::kCall;
  double strike = 0;
  double t_years = 0;  // time to expiry (0 at expiry: intrinsic value)
  double vol = 0.15;   // implied vol (annual)
  Price price = Price::Raw(0, 2);  // current premium (options) or price (futures) per unit
  std::int64_t quantity = 0;
  bool expires_today = false;
  // The leg's per-unit scenario P&L (UnitScenarioPnl for the same underlying, vol and params),
  // when the caller has it: ComputeMargin then scales it instead of revaluing the leg (a book
  // evaluating many combinations of the same legs revalues each instrument once).
  const ScenarioRow* unit_pnl = nullptr;
};

struct MarginInput {
  Price underlying = Price::Raw(0, 2);  // the index level
  double annual_vol = 0;  // EWMA vol of the underlying for the price scan (0: floor only)
  std::vector<MarginLeg> legs;
};

struct MarginResult {
  Money span;
  Money exposure;         // ELM, including the expiry-day extra
  Money expiry_elm;       // the expiry-day part of exposure
  Money premium;          // long option premium paid upfront
  Money total;            // span + exposure + premium
  Money naked_span;       // Σ SPAN of each leg alone
  Money hedge_benefit;    // naked_span − span (≥ 0)
  double price_scan = 0;  // PSR in index points
  double vol_scan = 0;
  int worst_scenario = -1;
};

// Money from a non-negative double, rounded up to the paisa.
Money CeilToPaisa(double rupees);
// Money from raw / divisor rupees at kFixedScale (e.g. Price raw × units, divisor 1), rounded
// up to the paisa; zero when not positive.
Money CeilRawToPaisa(Int128 raw, Int128 divisor);

// Checks the inputs (finite, positive underlying and strikes, non-negative time and vol).
Result<MarginResult> ComputeMargin(const MarginInput& input, const MarginParams& params = {});

// One unit's P&L in each of the 16 scenarios (unweighted), for `leg` on `input`'s underlying and
// vol (the legs of `input` are not read).
ScenarioRow UnitScenarioPnl(const MarginLeg& leg, const MarginInput& input,
                                    const MarginParams& params = {});

// The SPAN loss of every scenario (16 entries; the extremes already weighted), for reports and
// tests.
std::vector<double> ScenarioLosses(const MarginInput& input, const MarginParams& params = {});

}  // namespace nacre
