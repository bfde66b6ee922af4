// Backtest statistics (TRADING_SEMANTICS.md "Statistics"): per-trade figures over closed
// position cycles, daily-binned return figures over end-of-day equity, drawdown (₹, % and
// duration), CAGR, Calmar, charges and peak margin utilisation. Money stays fixed point;
// ratios are doubles. Pure functions of their inputs, so results are deterministic.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/time.h"
#include "model/money.h"

namespace nacre {

// One IST trading day. `realized` is gross of charges (price P&L of the day's closing
// fills); equity = previous equity + realized - charges + unrealized_change.
struct DailyPnl {
  CivilDate date;
  Money realized;
  Money unrealized_change;
  Money charges;
  Money net;                // realized - charges + unrealized_change
  Money equity;             // end of day: balance + unrealized
  Money drawdown;           // running peak (from the starting balance) - equity, >= 0
  double drawdown_pct = 0;  // drawdown / running peak * 100
};

struct StatisticsInput {
  Money starting_balance;
  UnixNanos start;  // run start and end (CAGR period)
  UnixNanos end;
  std::vector<DailyPnl> days;     // in date order
  std::vector<Money> trade_pnls;  // net realized P&L per closed position cycle
  std::size_t long_trades = 0;    // closed cycles that were long
  Money total_charges;
  double margin_utilisation_peak_pct = 0;
  // Largest drawdown of the marked (intraday) equity series, ₹ and %, when the caller has one.
  std::optional<std::pair<Money, double>> marked_max_drawdown;
};

// Final spreads of one kind, exit reason or days to expiry.
struct SpreadGroup {
  std::string label;
  std::size_t spreads = 0;  // final spreads in the group
  std::size_t won = 0;
  std::size_t lost = 0;
  std::size_t even = 0;  // a P&L of exactly zero: neither won nor lost
  Money pnl;             // Σ realized P&L, net of charges
  Money charges;
};

// Option-spread figures (present only when the run had spreads): the unit is the spread. An
// attempt is COMPLETED (CLOSED: opened in full, then closed or settled), FAILED (never fully
// opened; what filled was unwound) or still open at the end. Won/lost/even count completed
// spreads only; failed attempts are the entry cost, reported apart. Capital is the capital
// owner's (CapitalUpdated) when one ran, else the starting balance moved by each final
// spread's P&L.
struct SpreadStatistics {
  std::size_t attempted = 0;
  std::size_t completed = 0;
  std::size_t failed = 0;
  std::size_t open = 0;
  std::size_t won = 0;             // completed, realized P&L (net of charges) > 0
  std::size_t lost = 0;            // completed, < 0
  std::size_t even = 0;            // completed, exactly 0
  std::optional<double> win_rate;  // won / completed
  Money completed_pnl;             // Σ realized P&L of completed spreads, net of charges
  Money completed_pnl_avg;
  Money completed_credit_avg;  // Σ net premium of completed spreads / completed (+ credit)
  // Entry cost: what completed spreads gave up from their planned net (planned premium −
  // premium received; positive is a cost), and what failed attempts lost (net of charges).
  Money entry_slippage;
  std::size_t entry_slippage_spreads = 0;  // completed spreads with a planned net
  Money failed_pnl;
  Money failed_charges;
  Money pnl_total;      // completed + failed
  Money charges_total;  // Σ charges of every spread, open ones included
  Money gross_pnl;      // pnl_total + the final spreads' charges (before charges)
  std::optional<double> charges_pct_of_gross;  // only when gross P&L is positive
  std::vector<SpreadGroup> by_kind;            // final spreads
  std::vector<SpreadGroup> by_exit_reason;     // final spreads
  std::vector<SpreadGroup> by_dte;             // completed spreads, days to expiry at entry
  Money initial_capital;
  Money final_capital;
  double capital_return_pct = 0;  // (final - initial) / initial * 100
};

struct Statistics {
  // Per trade.
  std::size_t trades = 0;
  std::size_t winners = 0;
  std::size_t losers = 0;
  std::size_t breakeven = 0;  // trades of exactly zero P&L: neither won nor lost
  Money pnl_total;                      // sum of trade P&L (net of charges)
  double pnl_pct = 0;                   // pnl_total / starting balance * 100
  std::optional<double> win_rate;       // winners / trades
  std::optional<double> profit_factor;  // gains / |losses|
  std::optional<double> expectancy;     // avg_win * win_rate + avg_loss * loss_rate
  Money max_winner, avg_winner, min_winner;
  Money max_loser, avg_loser, min_loser;  // losers are negative; max_loser is the largest loss
  std::optional<double> long_ratio;
  // Returns (daily).
  std::size_t days = 0;
  double returns_avg = 0;                   // mean daily return
  double returns_volatility = 0;            // sample std of daily returns * sqrt(252)
  std::optional<double> sharpe;             // mean / std * sqrt(252)
  std::optional<double> sortino;            // mean * 252 / (sqrt(sum(min(r,0)^2)/n) * sqrt(252))
  std::optional<double> risk_return_ratio;  // mean / std
  // Equity.
  Money starting_balance;
  Money final_equity;
  // Max drawdown of the marked equity (every sample the equity chart draws, intraday) when
  // the input has it, else of the daily closes. ₹ and % are separate maxima.
  Money max_drawdown;                           // ₹, peak to trough
  double max_drawdown_pct = 0;                  // largest (peak - equity) / peak * 100
  Money max_drawdown_daily_close;               // the same on end-of-day equity only
  double max_drawdown_daily_close_pct = 0;
  std::int64_t max_drawdown_duration_days = 0;  // calendar days from a peak to its recovery
                                                // (or to the last day if never recovered)
  std::optional<double> cagr;  // (final/start)^(365.25/calendar days) - 1; unset under 30 days
  std::optional<double> calmar;                 // cagr / max_drawdown_pct(as fraction)
  Money total_charges;
  std::optional<double> charges_pct_of_gross;  // charges / |gross realized P&L| * 100
  double margin_utilisation_peak_pct = 0;
  std::optional<SpreadStatistics> spreads;  // written as the "spreads" object of stats.json
};

// Fills drawdown and drawdown_pct of `days` from the running peak (starting at `start`).
void FillDrawdowns(Money starting_balance, std::vector<DailyPnl>& days);

Statistics ComputeStatistics(const StatisticsInput& in);

// Terminal table of the headline figures (deterministic).
std::string StatisticsTable(const Statistics& s);

// stats.json text (keys in a fixed order; money as exact decimals, absent ratios as null).
std::string StatisticsJson(const Statistics& s);

}  // namespace nacre
