#include "backtest/report_spreads.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "backtest/report_format.h"
#include "backtest/report_html_parts.h"

namespace nacre {

namespace {

bool IsFinal(SpreadState s) { return s == SpreadState::kClosed || s == SpreadState::kFailed; }

std::string SideName(OrderSide s) { return s == OrderSide::kBuy ? "BUY" : "SELL"; }

}  // namespace

std::string SpreadKindName(const std::vector<SpreadLegShape>& legs) {
  for (const SpreadLegShape& l : legs) {
    if (!l.is_option) return fmt::format("{}-leg spread", legs.size());
  }
  if (legs.size() == 1) {
    const SpreadLegShape& l = legs[0];
    return fmt::format("{} {}", l.side == OrderSide::kBuy ? "Long" : "Short",
                       l.kind == OptionKind::kPut ? "put" : "call");
  }
  if (legs.size() == 2 && legs[0].kind == legs[1].kind && legs[0].side != legs[1].side) {
    const SpreadLegShape& s = legs[0].side == OrderSide::kSell ? legs[0] : legs[1];
    const SpreadLegShape& l = legs[0].side == OrderSide::kSell ? legs[1] : legs[0];
    if (l.strike != s.strike) {
      if (s.kind == OptionKind::kPut) return s.strike > l.strike ? "Bull put" : "Bear put";
      return s.strike < l.strike ? "Bear call" : "Bull call";
    }
  }
  if (legs.size() == 4) {
    const SpreadLegShape* sp = nullptr;
    const SpreadLegShape* lp = nullptr;
    const SpreadLegShape* sc = nullptr;
    const SpreadLegShape* lc = nullptr;
    for (const SpreadLegShape& l : legs) {
      const bool put = l.kind == OptionKind::kPut;
      const bool sell = l.side == OrderSide::kSell;
      const SpreadLegShape** slot = put ? (sell ? &sp : &lp) : (sell ? &sc : &lc);
      if (*slot != nullptr) return "4-leg spread";
      *slot = &l;
    }
    if (sp->strike > lp->strike && sc->strike < lc->strike && sp->strike <= sc->strike) {
      return sp->strike == sc->strike ? "Iron butterfly" : "Iron condor";
    }
  }
  return fmt::format("{}-leg spread", legs.size());
}

std::string SpreadExitReason(const SpreadEvent& e, std::optional<CivilDate> expiry) {
  if (e.state == SpreadState::kFailed) return "Failed entry";
  if (e.state != SpreadState::kClosed) return "Open at end";
  if (e.exit_reason == "settled at expiry" ||
      e.message.find("settled at expiry") != std::string::npos) {
    return "Settled at expiry";
  }
  const std::string& given = e.exit_reason.empty() ? e.message : e.exit_reason;
  if (!given.empty()) {
    // A strategy's own reason ("profit target: kept ..."): its words before the figures.
    std::string r = given.substr(0, given.find(':'));
    if (!r.empty() && r[0] >= 'a' && r[0] <= 'z') r[0] = static_cast<char>(r[0] - 'a' + 'A');
    return r;
  }
  if (expiry && !e.ts_closed.is_zero() && IstDate(e.ts_closed) == *expiry) {
    return "Closed on expiry day";
  }
  return "Closed before expiry";
}

namespace {

void Count(SpreadGroup& g, const SpreadEvent& e) {
  ++g.spreads;
  if (e.realized_pnl.raw() > 0) ++g.won;
  if (e.realized_pnl.raw() < 0) ++g.lost;
  if (e.realized_pnl.raw() == 0) ++g.even;
  g.pnl += e.realized_pnl;
  g.charges += e.charges;
}

template <typename Key>
std::vector<SpreadGroup> Groups(const std::map<Key, SpreadGroup>& m) {
  std::vector<SpreadGroup> out;
  out.reserve(m.size());
  for (const auto& [key, g] : m) out.push_back(g);
  return out;
}

}  // namespace

std::vector<SpreadReportRow> BuildSpreadRows(const std::vector<SpreadEvent>& finals,
                                             const std::vector<UnixNanos>& first_seen,
                                             const Cache& cache) {
  std::vector<SpreadReportRow> rows;
  rows.reserve(finals.size());
  for (std::size_t i = 0; i < finals.size(); ++i) {
    const SpreadEvent& e = finals[i];
    SpreadReportRow r;
    r.event = &e;
    r.first_seen = i < first_seen.size() ? first_seen[i] : e.ts;
    std::vector<SpreadLegShape> shapes;
    std::optional<UnixNanos> expiry;
    const Instrument* first = nullptr;
    for (const SpreadLegState& l : e.legs) {
      const Instrument* ins = cache.instrument(l.instrument);
      if (first == nullptr) first = ins;
      SpreadLegShape shape;
      shape.side = l.side;
      if (ins != nullptr) {
        shape.is_option = ins->instrument_class == InstrumentClass::kOption;
        shape.kind = ins->option_kind;
        shape.strike = ins->strike;
        if (ins->has_expiry() && (!expiry || ins->expiration < *expiry)) expiry = ins->expiration;
      }
      r.leg_precision.push_back(ins != nullptr ? ins->price_precision : 2);
      shapes.push_back(shape);
    }
    r.kind = SpreadKindName(shapes);
    if (expiry) {
      r.expiry = IstDate(*expiry);
      const UnixNanos entry = e.ts_opened.is_zero() ? r.first_seen : e.ts_opened;
      r.dte = static_cast<int>(DaysFromCivil(*r.expiry) - IstDayNumber(entry));
    }
    if (e.planned_net && first != nullptr) {
      // Net per unit × lots × lot size (a spread unit trades one lot of each ratio-1 leg).
      const Quantity units = Quantity::Raw(first->lot_size.raw() * e.lots, first->size_precision);
      r.planned_premium = -Money::Notional(*e.planned_net, units, first->multiplier);
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

SpreadStatistics SummariseSpreads(const std::vector<SpreadReportRow>& rows) {
  SpreadStatistics s;
  Money credit;
  Money final_charges;
  std::map<std::string, SpreadGroup> kind;
  std::map<std::string, SpreadGroup> exit;
  std::map<int, SpreadGroup> dte;  // −1: unknown
  for (const SpreadReportRow& r : rows) {
    const SpreadEvent& e = *r.event;
    ++s.attempted;
    s.charges_total += e.charges;
    if (IsFinal(e.state)) {
      s.pnl_total += e.realized_pnl;
      final_charges += e.charges;
    }
    if (e.state == SpreadState::kClosed) {
      ++s.completed;
      s.completed_pnl += e.realized_pnl;
      credit += e.net_premium;
      if (e.realized_pnl.raw() > 0) ++s.won;
      if (e.realized_pnl.raw() < 0) ++s.lost;
      if (e.realized_pnl.raw() == 0) ++s.even;
      if (r.planned_premium) {
        s.entry_slippage += *r.planned_premium - e.net_premium;
        ++s.entry_slippage_spreads;
      }
    } else if (e.state == SpreadState::kFailed) {
      ++s.failed;
      s.failed_pnl += e.realized_pnl;
      s.failed_charges += e.charges;
    } else {
      ++s.open;
    }
    if (!IsFinal(e.state)) continue;
    SpreadGroup& k = kind[r.kind];
    k.label = r.kind;
    Count(k, e);
    const std::string reason = SpreadExitReason(e, r.expiry);
    SpreadGroup& x = exit[reason];
    x.label = reason;
    Count(x, e);
    if (e.state != SpreadState::kClosed) continue;
    const int d = r.dte ? *r.dte : -1;
    SpreadGroup& g = dte[d];
    g.label = d < 0    ? "unknown"
              : d == 0 ? "0 (expiry day)"
              : d == 1 ? "1 day"
                       : fmt::format("{} days", d);
    Count(g, e);
  }
  s.by_kind = Groups(kind);
  s.by_exit_reason = Groups(exit);
  s.by_dte = Groups(dte);
  s.gross_pnl = s.pnl_total + final_charges;
  if (s.gross_pnl.raw() > 0) {
    s.charges_pct_of_gross = static_cast<double>(final_charges.raw()) /
                             static_cast<double>(s.gross_pnl.raw()) * 100.0;
  }
  if (s.completed > 0) {
    const auto n = static_cast<std::int64_t>(s.completed);
    s.win_rate = static_cast<double>(s.won) / static_cast<double>(s.completed);
    s.completed_pnl_avg = s.completed_pnl.MulRatio(1, n);
    s.completed_credit_avg = credit.MulRatio(1, n);
  }
  return s;
}

namespace {

TableCell Num(std::size_t n) { return TableCell{fmt::format("{}", n), fmt::format("{}", n), ""}; }

TableCell Rupees(const Money& m, bool sign = true) {
  return TableCell{sign ? FormatInrSigned(m) : FormatInr(m), m.ToString(),
                   sign ? SignClass(m.raw()) : std::string()};
}

std::string GroupTable(std::string_view id, std::string_view first,
                       const std::vector<SpreadGroup>& groups) {
  const std::vector<TableColumn> cols = {{std::string(first), ""}, {"Spreads", "num"},
                                         {"Won", "num"},           {"Lost", "num"},
                                         {"Even", "num"},          {"Win rate", "num"},
                                         {"P&amp;L (net)", "num"}, {"Average P&amp;L", "num"},
                                         {"Charges", "num"}};
  std::vector<std::vector<TableCell>> rows;
  for (const SpreadGroup& g : groups) {
    const auto n = static_cast<std::int64_t>(g.spreads);
    const double win =
        g.spreads > 0 ? 100.0 * static_cast<double>(g.won) / static_cast<double>(g.spreads) : 0.0;
    rows.push_back({TableCell{HtmlEscape(g.label), "", ""}, Num(g.spreads), Num(g.won), Num(g.lost),
                    Num(g.even), TableCell{FormatPct(win, 1), fmt::format("{:.6f}", win), ""},
                    Rupees(g.pnl), Rupees(n > 0 ? g.pnl.MulRatio(1, n) : Money()),
                    Rupees(g.charges, false)});
  }
  return TableHtml(id, cols, rows, true);
}

// One leg per line: "SELL 1× NIFTY2510223750CE 28.20 → 0.15", "… unfilled", "… 28.20 → open".
std::string LegsHtml(const SpreadReportRow& r) {
  const SpreadEvent& e = *r.event;
  std::string o;
  for (std::size_t i = 0; i < e.legs.size(); ++i) {
    const SpreadLegState& l = e.legs[i];
    const int prec = i < r.leg_precision.size() ? r.leg_precision[i] : 2;
    const bool filled = l.avg_px_open.raw() != 0 || l.signed_qty_raw != 0 || l.avg_px_close;
    std::string px;
    if (!filled) {
      px = "<span class=\"unfilled\">unfilled</span>";
    } else {
      px = FormatPrice(l.avg_px_open, prec) + " \u2192 " +
           (l.avg_px_close ? FormatPrice(*l.avg_px_close, prec)
                           : std::string(l.signed_qty_raw != 0 ? "open" : "\u2014"));
    }
    o += fmt::format("<div class=\"leg\"><b class=\"{}\">{}</b> {}\u00d7 {} {}</div>",
                     l.side == OrderSide::kBuy ? "buy" : "sell", SideName(l.side), l.ratio,
                     HtmlEscape(InstrumentLabel(l.instrument)), px);
  }
  return o;
}

// "2025-01-02<br>10:30 IST": a narrow time column.
std::string TwoLineTime(UnixNanos t) {
  const std::string s = FormatIstMinute(t);
  return s.substr(0, 10) + "<br>" + s.substr(11);
}

std::string StateBadge(SpreadState s) {
  switch (s) {
    case SpreadState::kFailed:
      return "<span class=\"badge bad\">FAILED</span>";
    case SpreadState::kClosed:
      return "<span class=\"badge\">closed</span>";
    default:
      return fmt::format("<span class=\"badge warn\">{}</span>", HtmlEscape(ToString(s)));
  }
}

std::string SpreadsTable(const std::vector<SpreadReportRow>& rows, std::size_t max_rows) {
  const std::vector<TableColumn> cols = {{"Spread", ""},
                                         {"Kind", ""},
                                         {"State", ""},
                                         {"Lots", "num"},
                                         {"Legs (open \u2192 close price)", "wrap legs"},
                                         {"Entry", "time"},
                                         {"Exit", "time"},
                                         {"Credit", "num"},
                                         {"Charges", "num"},
                                         {"P&amp;L (net)", "num"},
                                         {"Exit reason", "wrap"}};
  std::vector<std::vector<TableCell>> out;
  for (std::size_t i = 0; i < rows.size() && i < max_rows; ++i) {
    const SpreadReportRow& r = rows[i];
    const SpreadEvent& e = *r.event;
    const bool failed = e.state == SpreadState::kFailed;
    const UnixNanos entry = e.ts_opened.is_zero() ? r.first_seen : e.ts_opened;
    std::string entry_html = TwoLineTime(entry);
    if (e.ts_opened.is_zero()) entry_html = "attempted<br>" + entry_html;
    std::string reason = HtmlEscape(SpreadExitReason(e, r.expiry));
    if (!e.message.empty() && (failed || e.message.find(':') != std::string::npos)) {
      reason += "<div class=\"hint\">" + HtmlEscape(e.message) + "</div>";
    }
    std::string id = e.spread_id.value();
    const auto sp = id.rfind("-SP");
    const std::string short_id = sp == std::string::npos ? id : id.substr(sp + 1);
    out.push_back(
        {TableCell{
             fmt::format("<span title=\"{}\">{}</span>", HtmlEscape(id), HtmlEscape(short_id)), "",
             ""},
         TableCell{HtmlEscape(r.kind), "", ""}, TableCell{StateBadge(e.state), "", ""}, Num(e.lots),
         TableCell{LegsHtml(r), "", ""}, TableCell{entry_html, fmt::format("{}", entry.value), ""},
         TableCell{e.ts_closed.is_zero() ? std::string(kDash) : TwoLineTime(e.ts_closed),
                   fmt::format("{}", e.ts_closed.value), ""},
         Rupees(e.net_premium), Rupees(e.charges, false), Rupees(e.realized_pnl),
         TableCell{reason, "", ""}});
  }
  return TableHtml("spreads-table", cols, out, true);
}

}  // namespace

SpreadSection BuildSpreadSection(const std::vector<SpreadReportRow>& rows,
                                 const std::vector<CapitalPoint>& capital, Money initial_capital,
                                 UnixNanos run_start, std::size_t max_rows) {
  const SpreadStatistics s = SummariseSpreads(rows);
  SpreadSection out;
  std::string& h = out.html;
  h += fmt::format("<section id=\"spreads\"><h2>Spreads ({} attempted)</h2>\n", s.attempted);
  const double failed_share =
      s.attempted > 0 ? 100.0 * static_cast<double>(s.failed) / static_cast<double>(s.attempted)
                      : 0.0;
  h += "<div class=\"cards\">";
  h += fmt::format("<div class=\"card\"><span>Attempted</span><b>{}</b></div>", s.attempted);
  h += fmt::format("<div class=\"card\"><span>Completed</span><b>{}</b></div>", s.completed);
  h += fmt::format("<div class=\"card\"><span>Failed entries</span><b>{} ({})</b></div>", s.failed,
                   FormatPct(failed_share, 1));
  if (s.open > 0)
    h += fmt::format("<div class=\"card\"><span>Open at end</span><b>{}</b></div>", s.open);
  h += fmt::format(
      "<div class=\"card\"><span>Completed spreads P&amp;L</span><b class=\"{}\">{}</b></div>",
      SignClass(s.completed_pnl.raw()), FormatInrSigned(s.completed_pnl));
  h += fmt::format(
      "<div class=\"card\" id=\"failed-entry-cost\"><span>Failed-entry cost</span><b "
      "class=\"{}\">{}</b>"
      "<small>of which charges {}</small></div>",
      SignClass(s.failed_pnl.raw()), FormatInrSigned(s.failed_pnl), FormatInr(s.failed_charges));
  if (s.entry_slippage_spreads > 0) {
    // Given up from the planned credit by the completed spreads (a negative figure: they did
    // better than planned).
    h += fmt::format(
        "<div class=\"card\" id=\"entry-slippage\"><span>Entry slippage</span><b "
        "class=\"{}\">{}</b><small>planned premium less premium received, {} completed "
        "spreads</small></div>",
        SignClass(-s.entry_slippage.raw()), FormatInrSigned(s.entry_slippage),
        s.entry_slippage_spreads);
  }
  h += "</div>\n<div class=\"hint\">P&amp;L is realized and net of charges. A failed entry is a "
       "spread that never fully opened: its filled legs were sold back, and what that lost is "
       "its cost.</div>\n";
  h += "<h3>P&amp;L by spread kind</h3>" + GroupTable("spreads-by-kind", "Kind", s.by_kind);
  h += "<h3>P&amp;L by exit reason</h3>" +
       GroupTable("spreads-by-exit", "Exit reason", s.by_exit_reason);
  h += "<h3>P&amp;L by days to expiry at entry (completed spreads)</h3>" +
       GroupTable("spreads-by-dte", "Days to expiry", s.by_dte);
  h += "<h3>P&amp;L per spread</h3><div class=\"hint\">Green won, red lost, grey still open; "
       "hover a bar for its legs, entry, exit and credit.</div><canvas "
       "id=\"spread-pnl-chart\"></canvas>\n";
  h += "<h3>Capital after each close</h3><div class=\"hint\">Capital moves only when a spread "
       "closes; hover for the spread.</div><canvas id=\"capital-chart\"></canvas>\n";
  h += fmt::format("<h3>Every spread</h3><div class=\"hint\">Click a header to sort.{}</div>",
                   rows.size() > max_rows
                       ? fmt::format(" First {} shown; all in spread_results.csv.", max_rows)
                       : std::string());
  h += "<div class=\"scroll\">" + SpreadsTable(rows, max_rows) + "</div></section>\n";

  // Chart data: per spread [label, legs text, opened ms|null, closed ms|null, state, lots,
  // credit, charges, pnl]; capital points [ms, capital, spread|null, pnl|null].
  std::string& j = out.json;
  auto ms = [](UnixNanos t) {
    return t.is_zero() ? std::string("null") : fmt::format("{}", IstMillis(t));
  };
  j = "{\"rows\":[";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const SpreadEvent& e = *rows[i].event;
    if (i > 0) j += ",";
    std::string legs;
    for (const SpreadLegState& l : e.legs) {
      if (!legs.empty()) legs += "; ";
      legs += fmt::format("{} {}x {}", SideName(l.side), l.ratio, InstrumentLabel(l.instrument));
    }
    j += fmt::format("[{},{},{},{},{},{},{},{},{}]", JsonString(e.spread_id.value(), true),
                     JsonString(rows[i].kind + ": " + legs, true), ms(e.ts_opened), ms(e.ts_closed),
                     JsonString(ToString(e.state), true), e.lots, e.net_premium.ToString(),
                     e.charges.ToString(), e.realized_pnl.ToString());
  }
  j += fmt::format("],\"capital\":[[{},{},null,null]", IstMillis(run_start),
                   initial_capital.ToString());
  for (const CapitalPoint& p : capital) {
    j += fmt::format(",[{},{},{},{}]", IstMillis(p.ts), p.capital.ToString(),
                     JsonString(p.trade_id, true), p.pnl.ToString());
  }
  j += "]}";
  return out;
}

}  // namespace nacre
