// The Spreads section of report.html, kept in one place: what entering cost (spreads attempted,
// completed, failed, and the P&L and charges lost on failed attempts), P&L by spread kind, by
// exit reason and by days to expiry at entry, the P&L per spread and capital charts, and the
// table of every spread (legs one per line, failed spreads and unfilled legs said plainly).
//
// It is computed from the recorder's final SpreadEvent of each spread (what spread_results.csv
// holds) and the instruments' definitions, so it does not depend on the spread statistics in
// stats.json; when those grow `by_kind`/`by_exit_reason`/`by_dte` maps, SummariseSpreads is
// the one function to switch over to them. Money stays fixed point. Deterministic.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "backtest/results_recorder.h"
#include "backtest/statistics.h"
#include "model/enums.h"

namespace nacre {

// The shape of one leg, enough to name the spread.
struct SpreadLegShape {
  bool is_option = false;
  OptionKind kind = OptionKind::kCall;
  OrderSide side = OrderSide::kBuy;  // opening side
  Price strike;
};
// "Bull put", "Bear call", "Bull call", "Bear put", "Iron condor", "Iron butterfly", "Short
// put", ..., else "N-leg spread".
std::string SpreadKindName(const std::vector<SpreadLegShape>& legs);

// Why a final spread ended: "Failed entry" (FAILED), "Settled at expiry", the close message
// when the strategy gave one, else "Closed on expiry day" or "Closed before expiry" (from the
// close date and the nearest leg expiry); "Open at end" for a spread still open.
std::string SpreadExitReason(const SpreadEvent& e, std::optional<CivilDate> expiry);

// One spread as the section shows it.
struct SpreadReportRow {
  const SpreadEvent* event = nullptr;  // final state
  UnixNanos first_seen;                // when the entry was attempted (its first event)
  std::string kind;
  std::optional<CivilDate> expiry;  // nearest leg expiry (IST date)
  std::optional<int> dte;           // calendar days from the entry date to `expiry`
  std::vector<int> leg_precision;   // price precision per leg
  // The planned premium for all lots (+ credit), from the event's planned net; empty for a
  // market spread.
  std::optional<Money> planned_premium;
};

// The rows of every spread the recorder kept (final events, first-seen times), named and
// dated from the instruments in the cache.
std::vector<SpreadReportRow> BuildSpreadRows(const std::vector<SpreadEvent>& finals,
                                             const std::vector<UnixNanos>& first_seen,
                                             const Cache& cache);

// The spread statistics of the rows (backtest/statistics.h): counts, completed P&L and win
// rate, failed-entry cost, entry slippage, charges against gross P&L and the groups by kind,
// exit reason and days to expiry. Capital figures are the caller's (the recorder's curve).
SpreadStatistics SummariseSpreads(const std::vector<SpreadReportRow>& rows);

// The section's HTML and its chart data (a JSON object for the page script).
struct SpreadSection {
  std::string html;
  std::string json;
};
SpreadSection BuildSpreadSection(const std::vector<SpreadReportRow>& rows,
                                 const std::vector<CapitalPoint>& capital, Money initial_capital,
                                 UnixNanos run_start, std::size_t max_rows);

}  // namespace nacre
