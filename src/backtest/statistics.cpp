#include "backtest/statistics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/json_text.h"

namespace nacre {

namespace {

constexpr double kTradingDays = 252.0;

// Share of a in b as a double (both fixed point; only the ratio leaves fixed point).
double Ratio(const Money& a, const Money& b) {
  return static_cast<double>(a.raw()) / static_cast<double>(b.raw());
}

std::int64_t Days(const CivilDate& a, const CivilDate& b) {
  return DaysFromCivil(b) - DaysFromCivil(a);
}

}  // namespace

void FillDrawdowns(Money starting_balance, std::vector<DailyPnl>& days) {
  Money peak = starting_balance;
  for (DailyPnl& d : days) {
    if (d.equity > peak) peak = d.equity;
    d.drawdown = peak - d.equity;
    d.drawdown_pct = peak.raw() > 0 ? Ratio(d.drawdown, peak) * 100.0 : 0.0;
  }
}

Statistics ComputeStatistics(const StatisticsInput& in) {
  Statistics s;
  s.starting_balance = in.starting_balance;
  s.total_charges = in.total_charges;
  s.margin_utilisation_peak_pct = in.margin_utilisation_peak_pct;

  // Per trade.
  s.trades = in.trade_pnls.size();
  Money gains;
  Money losses;
  bool first_win = true;
  bool first_loss = true;
  for (const Money& p : in.trade_pnls) {
    s.pnl_total += p;
    if (p.raw() > 0) {
      ++s.winners;
      gains += p;
      if (first_win || p > s.max_winner) s.max_winner = p;
      if (first_win || p < s.min_winner) s.min_winner = p;
      first_win = false;
    } else if (p.raw() == 0) {
      ++s.breakeven;  // neither a win nor a loss
    } else {
      ++s.losers;
      losses += p;
      if (first_loss || p < s.max_loser) s.max_loser = p;
      if (first_loss || p > s.min_loser) s.min_loser = p;
      first_loss = false;
    }
  }
  if (s.winners > 0) s.avg_winner = gains.MulRatio(1, static_cast<std::int64_t>(s.winners));
  if (s.losers > 0) s.avg_loser = losses.MulRatio(1, static_cast<std::int64_t>(s.losers));
  if (in.starting_balance.raw() != 0) s.pnl_pct = Ratio(s.pnl_total, in.starting_balance) * 100.0;
  if (s.trades > 0) {
    const double n = static_cast<double>(s.trades);
    const double win_rate = static_cast<double>(s.winners) / n;
    const double loss_rate = static_cast<double>(s.losers) / n;
    s.win_rate = win_rate;
    s.expectancy = s.avg_winner.AsDouble() * win_rate + s.avg_loser.AsDouble() * loss_rate;
    s.long_ratio = static_cast<double>(in.long_trades) / n;
  }
  if (losses.raw() != 0) s.profit_factor = Ratio(gains, -losses);

  // Daily returns: r_i = E_i / E_{i-1} - 1 with E_0 the starting balance.
  s.days = in.days.size();
  std::vector<double> r;
  r.reserve(in.days.size());
  Money prev = in.starting_balance;
  for (const DailyPnl& d : in.days) {
    if (prev.raw() != 0) r.push_back(Ratio(d.equity - prev, prev));
    prev = d.equity;
  }
  if (!r.empty()) {
    double sum = 0;
    for (double x : r) sum += x;
    const double mean = sum / static_cast<double>(r.size());
    s.returns_avg = mean;
    double down = 0;
    for (double x : r) down += x < 0 ? x * x : 0;
    down = std::sqrt(down / static_cast<double>(r.size())) * std::sqrt(kTradingDays);
    if (down > 0) s.sortino = mean * kTradingDays / down;
    if (r.size() > 1) {
      double ss = 0;
      for (double x : r) ss += (x - mean) * (x - mean);
      const double sd = std::sqrt(ss / static_cast<double>(r.size() - 1));
      s.returns_volatility = sd * std::sqrt(kTradingDays);
      if (sd > 0) {
        s.sharpe = mean / sd * std::sqrt(kTradingDays);
        s.risk_return_ratio = mean / sd;
      }
    }
  }

  // Drawdown: the starting balance is a peak on the day before the first day.
  s.final_equity = in.days.empty() ? in.starting_balance : in.days.back().equity;
  if (!in.days.empty()) {
    Money peak = in.starting_balance;
    CivilDate peak_date = CivilFromDays(DaysFromCivil(in.days.front().date) - 1);
    bool underwater = false;
    for (const DailyPnl& d : in.days) {
      if (d.equity >= peak) {
        if (underwater) {
          s.max_drawdown_duration_days =
              std::max(s.max_drawdown_duration_days, Days(peak_date, d.date));
        }
        underwater = false;
        peak = d.equity;
        peak_date = d.date;
        continue;
      }
      underwater = true;
      const Money dd = peak - d.equity;
      if (dd > s.max_drawdown) s.max_drawdown = dd;
      if (peak.raw() > 0) s.max_drawdown_pct = std::max(s.max_drawdown_pct, Ratio(dd, peak) * 100);
    }
    if (underwater) {
      s.max_drawdown_duration_days =
          std::max(s.max_drawdown_duration_days, Days(peak_date, in.days.back().date));
    }
  }

  s.max_drawdown_daily_close = s.max_drawdown;
  s.max_drawdown_daily_close_pct = s.max_drawdown_pct;
  if (in.marked_max_drawdown) {
    // Daily closes are samples of the marked series: its drawdown is never smaller.
    s.max_drawdown = std::max(in.marked_max_drawdown->first, s.max_drawdown);
    s.max_drawdown_pct = std::max(in.marked_max_drawdown->second, s.max_drawdown_pct);
  }

  // CAGR over the run's calendar span; Calmar = CAGR / max drawdown. Not for runs shorter than
  // a month: annualising a few days of P&L gives meaningless figures (a 5-minute run's CAGR of
  // ~1e86).
  const double years =
      static_cast<double>(in.end - in.start) / (365.25 * static_cast<double>(kNanosPerDay));
  const bool a_month = in.end - in.start >= 30 * kNanosPerDay;
  if (a_month && years > 0 && in.starting_balance.raw() > 0 && s.final_equity.raw() > 0) {
    s.cagr = std::pow(Ratio(s.final_equity, in.starting_balance), 1.0 / years) - 1.0;
    if (s.max_drawdown_pct > 0) s.calmar = *s.cagr / (s.max_drawdown_pct / 100.0);
  }

  Money gross;
  for (const DailyPnl& d : in.days) gross += d.realized;
  if (gross.raw() != 0) {
    s.charges_pct_of_gross = std::abs(Ratio(in.total_charges, gross)) * 100.0;
  }
  return s;
}

namespace {

std::string Num(double v) {
  if (!std::isfinite(v)) return "null";
  return fmt::format("{:.10g}", v);
}
std::string Opt(const std::optional<double>& v) { return v ? Num(*v) : "null"; }


}  // namespace

std::string StatisticsTable(const Statistics& s) {
  auto pct = [](const std::optional<double>& v) {
    return v ? fmt::format("{:.2f} %", *v * 100.0) : std::string("-");
  };
  auto num = [](const std::optional<double>& v) {
    return v ? fmt::format("{:.3f}", *v) : std::string("-");
  };
  auto row = [](std::string_view label, const std::string& value) {
    return fmt::format("  {:<22} {:>26}\n", label, value);
  };
  std::string o = "Statistics\n";
  o += row("trades", s.breakeven > 0 ? fmt::format("{} (won {}, lost {}, even {})", s.trades,
                                                   s.winners, s.losers, s.breakeven)
                                     : fmt::format("{} (won {}, lost {})", s.trades, s.winners,
                                                   s.losers));
  o += row("win rate", pct(s.win_rate));
  o += row("profit factor", num(s.profit_factor));
  o += row("expectancy", s.expectancy ? fmt::format("{:.2f}", *s.expectancy) : "-");
  o += row("P&L (net of charges)", s.pnl_total.ToDisplay());
  o += row("total charges", s.total_charges.ToDisplay());
  o += row("max drawdown (marked)",
           fmt::format("{} ({:.2f} %)", s.max_drawdown.ToDisplay(), s.max_drawdown_pct));
  o += row("  on daily closes", fmt::format("{} ({:.2f} %)", s.max_drawdown_daily_close.ToDisplay(),
                                            s.max_drawdown_daily_close_pct));
  o += row("max drawdown duration", fmt::format("{} days", s.max_drawdown_duration_days));
  o += row("CAGR", pct(s.cagr));
  o += row("Calmar", num(s.calmar));
  o += row("Sharpe (daily, 252)", num(s.sharpe));
  o += row("Sortino (daily, 252)", num(s.sortino));
  o += row("volatility (annual)", fmt::format("{:.2f} %", s.returns_volatility * 100.0));
  o += row("margin use peak", fmt::format("{:.2f} %", s.margin_utilisation_peak_pct));
  if (s.spreads) {
    // For a spread book the unit is the spread: completed ones are the trades; failed entries
    // are what entering cost.
    const SpreadStatistics& sp = *s.spreads;
    o += "Spreads\n";
    o += row("attempted", fmt::format("{} (completed {}, failed {}{})", sp.attempted, sp.completed,
                                      sp.failed, sp.open > 0 ? fmt::format(", open {}", sp.open)
                                                             : std::string()));
    o += row("completed", sp.even > 0 ? fmt::format("won {}, lost {}, even {}", sp.won, sp.lost,
                                                    sp.even)
                                      : fmt::format("won {}, lost {}", sp.won, sp.lost));
    o += row("win rate (completed)", pct(sp.win_rate));
    o += row("completed P&L", sp.completed_pnl.ToDisplay());
    o += row("failed entries P&L", sp.failed_pnl.ToDisplay());
    o += row("  of which charges", sp.failed_charges.ToDisplay());
    o += row("entry slippage", sp.entry_slippage.ToDisplay());
    o += row("charges / gross P&L", sp.charges_pct_of_gross
                                        ? fmt::format("{:.2f} %", *sp.charges_pct_of_gross)
                                        : fmt::format("- (gross {})", sp.gross_pnl.ToDisplay()));
    for (const SpreadGroup& g : sp.by_kind) {
      o += row("  " + g.label, fmt::format("{} x, {}", g.spreads, g.pnl.ToDisplay()));
    }
  }
  return o;
}

std::string StatisticsJson(const Statistics& s) {
  std::string o = "{\n";
  bool first = true;
  auto add = [&](std::string_view key, const std::string& value) {
    if (!first) o += ",\n";
    first = false;
    o += fmt::format("  \"{}\": {}", key, value);
  };
  auto money = [](const Money& m) { return m.ToString(); };
  add("starting_balance", money(s.starting_balance));
  add("final_equity", money(s.final_equity));
  add("pnl_total", money(s.pnl_total));
  add("pnl_pct", Num(s.pnl_pct));
  add("trades", fmt::format("{}", s.trades));
  add("winners", fmt::format("{}", s.winners));
  add("breakeven", fmt::format("{}", s.breakeven));
  add("losers", fmt::format("{}", s.losers));
  add("win_rate", Opt(s.win_rate));
  add("profit_factor", Opt(s.profit_factor));
  add("expectancy", Opt(s.expectancy));
  add("max_winner", money(s.max_winner));
  add("avg_winner", money(s.avg_winner));
  add("min_winner", money(s.min_winner));
  add("max_loser", money(s.max_loser));
  add("avg_loser", money(s.avg_loser));
  add("min_loser", money(s.min_loser));
  add("long_ratio", Opt(s.long_ratio));
  add("days", fmt::format("{}", s.days));
  add("returns_avg_daily", Num(s.returns_avg));
  add("returns_volatility", Num(s.returns_volatility));
  add("sharpe", Opt(s.sharpe));
  add("sortino", Opt(s.sortino));
  add("risk_return_ratio", Opt(s.risk_return_ratio));
  add("max_drawdown", money(s.max_drawdown));
  add("max_drawdown_pct", Num(s.max_drawdown_pct));
  add("max_drawdown_daily_close", money(s.max_drawdown_daily_close));
  add("max_drawdown_daily_close_pct", Num(s.max_drawdown_daily_close_pct));
  add("max_drawdown_duration_days", fmt::format("{}", s.max_drawdown_duration_days));
  add("cagr", Opt(s.cagr));
  add("calmar", Opt(s.calmar));
  add("total_charges", money(s.total_charges));
  add("charges_pct_of_gross", Opt(s.charges_pct_of_gross));
  add("margin_utilisation_peak_pct", Num(s.margin_utilisation_peak_pct));
  if (s.spreads) {
    const SpreadStatistics& sp = *s.spreads;
    std::string obj = "{\n";
    bool first_field = true;
    auto field = [&](std::string_view key, const std::string& value) {
      if (!first_field) obj += ",\n";
      first_field = false;
      obj += fmt::format("    \"{}\": {}", key, value);
    };
    auto count = [](std::size_t n) { return fmt::format("{}", n); };
    auto groups = [&](const std::vector<SpreadGroup>& gs) {
      std::string arr = "[";
      for (std::size_t i = 0; i < gs.size(); ++i) {
        const SpreadGroup& g = gs[i];
        arr += fmt::format(
            "{}\n      {{\"label\": {}, \"spreads\": {}, \"won\": {}, \"lost\": {}, "
            "\"even\": {}, \"pnl\": {}, \"charges\": {}}}",
            i > 0 ? "," : "", JsonString(g.label), g.spreads, g.won, g.lost, g.even,
            money(g.pnl), money(g.charges));
      }
      return arr + (gs.empty() ? "]" : "\n    ]");
    };
    field("attempted", count(sp.attempted));
    field("completed", count(sp.completed));
    field("failed", count(sp.failed));
    field("open", count(sp.open));
    field("won", count(sp.won));
    field("lost", count(sp.lost));
    field("even", count(sp.even));
    field("win_rate", Opt(sp.win_rate));
    field("completed_pnl", money(sp.completed_pnl));
    field("completed_pnl_avg", money(sp.completed_pnl_avg));
    field("completed_credit_avg", money(sp.completed_credit_avg));
    field("entry_slippage", money(sp.entry_slippage));
    field("entry_slippage_spreads", count(sp.entry_slippage_spreads));
    field("failed_pnl", money(sp.failed_pnl));
    field("failed_charges", money(sp.failed_charges));
    field("pnl_total", money(sp.pnl_total));
    field("gross_pnl", money(sp.gross_pnl));
    field("charges_total", money(sp.charges_total));
    field("charges_pct_of_gross", Opt(sp.charges_pct_of_gross));
    field("by_kind", groups(sp.by_kind));
    field("by_exit_reason", groups(sp.by_exit_reason));
    field("by_dte", groups(sp.by_dte));
    field("initial_capital", money(sp.initial_capital));
    field("final_capital", money(sp.final_capital));
    field("capital_return_pct", Num(sp.capital_return_pct));
    add("spreads", obj + "\n  }");
  }
  o += "\n}\n";
  return o;
}

}  // namespace nacre
