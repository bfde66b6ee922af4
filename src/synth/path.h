// The underlying of a synthetic option chain: NIFTY-like index bars at a fixed interval on NSE
// trading days and session minutes. Two sources behind one interface:
// - SimulatedPath: a seeded path with GARCH(1,1)-style volatility clustering around a target
//   annual vol, an intraday U-shape in volatility (high at the open and into the close),
//   overnight gaps and occasional jumps. Only integer-seeded xoshiro draws and libm, so the
//   same seed gives the same path on the same build.
// - FileBarPath: index bars from a file (the NIFTY 1-minute CSV), aggregated to the interval
//   on the session grid; days of the calendar missing from the file are skipped.
// Bars are stamped ts_event = open time, ts_init = close time; prices are on the ₹0.05 grid.
// Single-threaded values.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "model/data.h"
#include "nse/calendar.h"

namespace nacre::synth {

// xoshiro256** seeded through splitmix64: a fixed, documented generator (std distributions
// are implementation-defined, so they are not used).
class Rng {
 public:
  explicit Rng(std::uint64_t seed);
  std::uint64_t Next();
  double Uniform();  // [0, 1)
  double Normal();   // standard normal (Box-Muller, one value per call)
  // An integer in [0, n).
  std::uint64_t Below(std::uint64_t n) { return Next() % n; }

 private:
  std::uint64_t s_[4];
};

struct PathConfig {
  double start_price = 21700.0;
  double annual_vol = 0.14;      // long-run volatility of the simulated returns
  double annual_drift = 0.08;    // expected log growth per year
  double garch_alpha = 0.06;     // weight of the last squared shock (per step)
  double garch_beta = 0.93;      // persistence of the variance (per step)
  double u_shape = 1.2;          // extra vol at the open and close: 1 + u * (edge shape)
  double overnight_vol = 0.005;  // standard deviation of the overnight log gap
  double jump_prob_per_day = 0.03;
  double jump_vol = 0.012;  // standard deviation of a jump's log size
};

// One step of the underlying: its bar over [ts_event, ts_init).
struct PathStep {
  Bar bar;
  bool first_of_day = false;
};

class UnderlyingPath {
 public:
  virtual ~UnderlyingPath() = default;
  // The next bar in time order; nullopt at the end.
  virtual Result<std::optional<PathStep>> Next() = 0;
  // Steps this path will produce (for progress bars); an estimate for file paths.
  virtual std::uint64_t TotalSteps() const = 0;
};

// The session grid: step start times at `interval_minutes` from each segment's open, while the
// step ends at or before the segment's close.
std::vector<UnixNanos> SessionSteps(const NseCalendar& calendar, const CivilDate& date,
                                    int interval_minutes);

std::unique_ptr<UnderlyingPath> MakeSimulatedPath(const PathConfig& config,
                                                  const NseCalendar& calendar, CivilDate start,
                                                  CivilDate end, int interval_minutes,
                                                  const BarType& bar_type, std::uint64_t seed);

// Bars from an NSE 1-minute index CSV (the NIFTY_2024_1min.csv format), restricted to
// [start, end] and the calendar's sessions, aggregated to `interval_minutes`. Load errors name
// the file and line (see persistence/bar_csv.h).
Result<std::unique_ptr<UnderlyingPath>> MakeFilePath(const std::string& csv_path,
                                                     const NseCalendar& calendar, CivilDate start,
                                                     CivilDate end, int interval_minutes,
                                                     const BarType& bar_type);

}  // namespace nacre::synth
