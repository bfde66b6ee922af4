// report.html: one self-contained page (inline CSS, data and the page's own canvas charts, see
// report_assets.cpp), usable offline. Figures are formatted here, in C++, so the page shows
// exactly what the unit-tested formatters produce: ₹ with lakh grouping, signed percents,
// prices at the instrument's precision, labels for every key. Drawdowns (chart, worst-
// drawdowns table, headline) come from the same marked equity series the equity chart draws;
// the daily-close figure is labelled as such. The Spreads section is report_spreads.cpp.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "backtest/report_analytics.h"
#include "backtest/report_format.h"
#include "backtest/report_html_parts.h"
#include "backtest/report_spreads.h"
#include "backtest/results_recorder.h"

namespace nacre {

namespace {

constexpr std::size_t kMaxChartPoints = 4000;
constexpr std::size_t kMaxTableRows = 5000;
constexpr std::size_t kSharpeWindow = 63;  // about a quarter of trading days
constexpr std::size_t kWorstDrawdowns = 5;

// Samples kept for the equity and drawdown charts: everything up to kMaxChartPoints, else per
// bucket the lowest and highest equity, the deepest drawdown and the last sample (in time
// order), so peaks, troughs and the deepest drawdown the report quotes are all drawn.
std::vector<std::size_t> ThinIndices(const std::vector<EquitySample>& all,
                                     const std::vector<double>& dd) {
  std::vector<std::size_t> out;
  if (all.size() <= kMaxChartPoints) {
    out.resize(all.size());
    for (std::size_t i = 0; i < all.size(); ++i) out[i] = i;
    return out;
  }
  const std::size_t buckets = kMaxChartPoints / 4;
  out.push_back(0);
  for (std::size_t b = 0; b < buckets; ++b) {
    const std::size_t lo = b * all.size() / buckets;
    const std::size_t hi = (b + 1) * all.size() / buckets;
    if (lo >= hi) continue;
    std::size_t mn = lo, mx = lo, deep = lo;
    for (std::size_t i = lo; i < hi; ++i) {
      if (all[i].equity() < all[mn].equity()) mn = i;
      if (all[i].equity() > all[mx].equity()) mx = i;
      if (dd[i] < dd[deep]) deep = i;
    }
    for (std::size_t i : {mn, mx, deep, hi - 1}) out.push_back(i);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// Margin blocked (Σ over accounts of the latest locked amount) after each account state.
std::vector<std::pair<UnixNanos, Money>> MarginSeries(const Cache& cache) {
  struct Row {
    UnixNanos ts;
    std::size_t account;
    Money locked;
  };
  std::vector<Row> rows;
  const std::vector<const Account*> accounts = cache.Accounts();
  for (std::size_t a = 0; a < accounts.size(); ++a) {
    for (const AccountState& st : accounts[a]->states()) {
      rows.push_back(Row{st.ts_event, a, st.balance.locked});
    }
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& x, const Row& y) { return x.ts < y.ts; });
  std::vector<Money> last(accounts.size());
  std::vector<std::pair<UnixNanos, Money>> out;
  for (const Row& r : rows) {
    last[r.account] = r.locked;
    Money sum;
    for (const Money& m : last) sum += m;
    if (!out.empty() && out.back().first == r.ts) {
      out.back().second = sum;
    } else {
      out.emplace_back(r.ts, sum);
    }
  }
  if (out.size() <= kMaxChartPoints) return out;
  // Per bucket the highest and the last, so the peak is drawn.
  std::vector<std::pair<UnixNanos, Money>> thin;
  const std::size_t buckets = kMaxChartPoints / 2;
  thin.push_back(out.front());
  for (std::size_t b = 0; b < buckets; ++b) {
    const std::size_t lo = b * out.size() / buckets;
    const std::size_t hi = (b + 1) * out.size() / buckets;
    if (lo >= hi) continue;
    std::size_t mx = lo;
    for (std::size_t i = lo; i < hi; ++i) {
      if (out[i].second > out[mx].second) mx = i;
    }
    if (mx != hi - 1) thin.push_back(out[mx]);
    thin.push_back(out[hi - 1]);
  }
  return thin;
}

std::string Num(double v, int decimals) {
  return std::isfinite(v) ? fmt::format("{:.{}f}", v, decimals) : std::string("null");
}

TableCell Text(std::string s) { return TableCell{HtmlEscape(s), "", ""}; }
TableCell Money_(const Money& m, bool sign) {
  return TableCell{sign ? FormatInrSigned(m) : FormatInr(m), m.ToString(),
                   sign ? SignClass(m.raw()) : std::string()};
}
TableCell Time(UnixNanos t) {
  return t.is_zero() ? TableCell{std::string(kDash), "0", ""}
                     : TableCell{FormatIstMinute(t), fmt::format("{}", t.value), ""};
}
TableCell Px(const std::optional<Price>& p, int precision) {
  if (!p) return TableCell{"", "", ""};
  return TableCell{FormatPrice(*p, precision), p->ToString(), ""};
}
TableCell Qty(const Quantity& q) { return TableCell{q.ToString(), q.ToString(), ""}; }

int PrecisionOf(const Cache& cache, const InstrumentId& id) {
  const Instrument* ins = cache.instrument(id);
  return ins != nullptr ? ins->price_precision : 2;
}

std::string Stat(std::string_view label, const std::string& value, std::string_view cls = "") {
  return fmt::format("<div><span>{}</span><b{}>{}</b></div>", label,
                     cls.empty() ? std::string() : fmt::format(" class=\"{}\"", cls), value);
}

std::string StatisticsHtml(const Statistics& st, const MarkedDrawdown& mdd) {
  auto opt_pct = [](const std::optional<double>& f) {
    return f ? FormatPct(*f * 100.0) : std::string(kDash);
  };
  auto opt_ratio = [](const std::optional<double>& v) {
    return v ? FormatRatio(*v) : std::string(kDash);
  };
  const Money change = st.final_equity - st.starting_balance;
  const double change_pct = st.starting_balance.raw() != 0
                                ? static_cast<double>(change.raw()) /
                                      static_cast<double>(st.starting_balance.raw()) * 100.0
                                : 0.0;
  std::string h = "<div class=\"stats\" id=\"stats\">";
  h += "<h3>Returns</h3>";
  h += Stat("Starting balance", FormatInr(st.starting_balance));
  h += Stat("Final equity", FormatInr(st.final_equity));
  h += Stat("Equity change", FormatInrSigned(change) + " (" + FormatSignedPct(change_pct) + ")",
            SignClass(change.raw()));
  h += Stat("Closed-trade P&amp;L (net of charges)",
            FormatInrSigned(st.pnl_total) + " (" + FormatSignedPct(st.pnl_pct) + ")",
            SignClass(st.pnl_total.raw()));
  h += Stat("CAGR", st.cagr ? FormatSignedPct(*st.cagr * 100.0)
                            : std::string(kDash) + " (run shorter than a month)");
  h += Stat("Calmar ratio", opt_ratio(st.calmar));
  h += Stat("Average daily return", FormatSignedPct(st.returns_avg * 100.0, 3));
  h += "<h3>Risk</h3>";
  h += Stat("Max drawdown, marked equity (intraday)", FormatInr(-mdd.amount));
  h += Stat("Max drawdown %, marked equity (intraday)", FormatSignedPct(-mdd.pct));
  h += Stat("Max drawdown, daily closes",
            FormatInr(-st.max_drawdown_daily_close) + " (" +
                FormatSignedPct(-st.max_drawdown_daily_close_pct) + ")");
  h += Stat("Longest drawdown, daily closes",
            fmt::format("{} calendar days", st.max_drawdown_duration_days));
  h += Stat("Volatility (annualised)", FormatPct(st.returns_volatility * 100.0));
  h += Stat("Sharpe ratio (daily returns, \u221a252)", opt_ratio(st.sharpe));
  h += Stat("Sortino ratio (daily returns, \u221a252)", opt_ratio(st.sortino));
  h += Stat("Peak margin use (of balance)", FormatPct(st.margin_utilisation_peak_pct));
  h += "<h3>Trades (closed position cycles)</h3>";
  h += Stat("Trades", st.breakeven > 0
                          ? fmt::format("{} (won {}, lost {}, even {})", st.trades, st.winners,
                                        st.losers, st.breakeven)
                          : fmt::format("{} (won {}, lost {})", st.trades, st.winners, st.losers));
  h += Stat("Win rate", opt_pct(st.win_rate));
  h += Stat("Profit factor", opt_ratio(st.profit_factor));
  h += Stat("Expectancy per trade",
            st.expectancy ? FormatInrApprox(*st.expectancy) : std::string(kDash));
  h += Stat("Average winner", FormatInrSigned(st.avg_winner));
  h += Stat("Average loser", FormatInrSigned(st.avg_loser));
  h += Stat("Largest winner", FormatInrSigned(st.max_winner));
  h += Stat("Largest loser", FormatInrSigned(st.max_loser));
  h += Stat("Long trades", opt_pct(st.long_ratio));
  h += "<h3>Costs</h3>";
  h += Stat("Total charges", FormatInr(st.total_charges));
  h += Stat("Charges as a share of gross realized P&amp;L",
            st.charges_pct_of_gross ? FormatPct(*st.charges_pct_of_gross) : std::string(kDash));
  return h + "</div>";
}

std::string WorstDrawdownsHtml(const std::vector<DrawdownEpisode>& worst) {
  if (worst.empty())
    return "<p class=\"note\" id=\"drawdowns-table\">No drawdown: the equity never fell below its "
           "peak.</p>";
  const std::vector<TableColumn> cols = {
      {"#", "num"},           {"Start (peak)", "time"}, {"Trough", "time"}, {"Recovery", "time"},
      {"Peak equity", "num"}, {"Depth", "num"},         {"Depth %", "num"}, {"Length", "num"}};
  std::vector<std::vector<TableCell>> rows;
  for (std::size_t i = 0; i < worst.size(); ++i) {
    const DrawdownEpisode& d = worst[i];
    std::string length =
        d.length_days == 0 ? std::string("same day")
                           : fmt::format("{} day{}", d.length_days, d.length_days == 1 ? "" : "s");
    if (!d.recovery) length += " (not recovered)";
    rows.push_back({TableCell{fmt::format("{}", i + 1), "", ""}, Time(d.start), Time(d.trough),
                    d.recovery ? Time(*d.recovery) : TableCell{"not recovered", "", "neg"},
                    Money_(d.peak, false), Money_(-d.depth, true),
                    TableCell{FormatSignedPct(-d.depth_pct), "", "neg"},
                    TableCell{length, fmt::format("{}", d.length_days), ""}});
  }
  return TableHtml("drawdowns-table", cols, rows, false);
}

// Years × months, each cell coloured by its return (green gains, red losses, stronger with
// size relative to the largest month).
std::string MonthlyHtml(const MonthlyReturns& m) {
  if (m.months.empty()) return "<p class=\"note\" id=\"monthly-table\">No trading days.</p>";
  double scale = 0.25;  // a month of a few basis points stays pale
  for (const MonthReturn& r : m.months) scale = std::max(scale, std::abs(r.pct));
  auto cell = [scale](double pct) {
    const double k = std::min(1.0, std::abs(pct) / scale);
    const int r = static_cast<int>(std::lround(255 - k * (255 - (pct >= 0 ? 46 : 198))));
    const int g = static_cast<int>(std::lround(255 - k * (255 - (pct >= 0 ? 125 : 40))));
    const int b = static_cast<int>(std::lround(255 - k * (255 - (pct >= 0 ? 50 : 40))));
    return fmt::format("<td style=\"background:rgb({},{},{});color:{}\">{}</td>", r, g, b,
                       k > 0.55 ? "#fff" : "#1d2330", FormatSignedPct(pct));
  };
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::string h = "<table class=\"heat\" id=\"monthly-table\"><thead><tr><th>Year</th>";
  for (const char* name : kMonths) h += fmt::format("<th class=\"num\">{}</th>", name);
  h += "<th class=\"num\">Year</th></tr></thead><tbody>\n";
  std::size_t mi = 0;
  for (const YearReturn& y : m.years) {
    h += fmt::format("<tr><th>{}</th>", y.year);
    for (int month = 1; month <= 12; ++month) {
      if (mi < m.months.size() && m.months[mi].year == y.year && m.months[mi].month == month) {
        h += cell(m.months[mi++].pct);
      } else {
        h += "<td></td>";
      }
    }
    h += fmt::format("<td class=\"{}\"><b>{}</b></td></tr>\n", y.pct >= 0 ? "pos" : "neg",
                     FormatSignedPct(y.pct));
  }
  return h + "</tbody></table>";
}

std::string ChargesHtml(const std::vector<OrderFilled>& fills, const Statistics& st) {
  ChargeBreakdown sum;
  Money total;
  for (const OrderFilled& f : fills) {
    sum.brokerage += f.charges.brokerage;
    sum.stt += f.charges.stt;
    sum.exchange += f.charges.exchange;
    sum.sebi += f.charges.sebi;
    sum.ipft += f.charges.ipft;
    sum.stamp += f.charges.stamp;
    sum.gst += f.charges.gst;
    total += f.commission;
  }
  std::vector<std::pair<const char*, Money>> items = {
      {"Brokerage", sum.brokerage},
      {"STT (securities transaction tax)", sum.stt},
      {"Exchange transaction charges", sum.exchange},
      {"SEBI turnover fee", sum.sebi},
      {"IPFT (investor protection fund)", sum.ipft},
      {"Stamp duty", sum.stamp},
      {"GST (18% on brokerage and fees)", sum.gst}};
  const Money other = total - sum.Total();
  if (!other.is_zero()) items.emplace_back("Not itemised", other);
  const std::vector<TableColumn> cols = {
      {"Charge", ""}, {"Amount", "num"}, {"Share", "num"}, {"", "wrap"}};
  std::vector<std::vector<TableCell>> rows;
  for (const auto& [label, m] : items) {
    const double share =
        total.raw() > 0 ? static_cast<double>(m.raw()) / static_cast<double>(total.raw()) * 100.0
                        : 0.0;
    rows.push_back({TableCell{label, "", ""}, Money_(m, false),
                    TableCell{FormatPct(share, 1), Num(share, 6), ""},
                    TableCell{fmt::format("<div class=\"bar\" style=\"width:{:.1f}%\"></div>",
                                          std::clamp(share, 0.0, 100.0)),
                              "", ""}});
  }
  rows.push_back({TableCell{"<b>Total</b>", "", ""},
                  TableCell{"<b>" + FormatInr(total) + "</b>", total.ToString(), ""},
                  TableCell{total.raw() > 0 ? "100.0%" : std::string(kDash), "", ""},
                  TableCell{"", "", ""}});
  std::string h = TableHtml("charges-table", cols, rows, false);
  if (st.charges_pct_of_gross) {
    h += fmt::format(
        "<div class=\"hint\">Charges were {} of the gross realized P&amp;L (before charges).</div>",
        FormatPct(*st.charges_pct_of_gross));
  }
  return h;
}

std::string OrdersHtml(const Cache& cache, const std::map<ClientOrderId, std::string>& reasons,
                       std::size_t* total) {
  const std::vector<TableColumn> cols = {
      {"Created", "time"}, {"Order", ""},       {"Instrument", ""}, {"Side", ""},
      {"Type", ""},        {"Quantity", "num"}, {"Price", "num"},   {"Trigger", "num"},
      {"Validity", ""},    {"Status", ""},      {"Filled", "num"},  {"Average price", "num"},
      {"Charges", "num"},  {"Tags", "wrap"},    {"Reason", "wrap"}};
  std::vector<std::vector<TableCell>> rows;
  *total = 0;
  for (const Order* o : cache.Orders()) {
    if (++*total > kMaxTableRows) continue;
    const int prec = PrecisionOf(cache, o->instrument_id());
    const auto reason = reasons.find(o->client_order_id());
    rows.push_back(
        {Time(o->ts_init()), Text(o->client_order_id().value()), Text(o->instrument_id().value()),
         Text(std::string(ToString(o->side()))), Text(std::string(ToString(o->order_type()))),
         Qty(o->quantity()), Px(o->price(), prec), Px(o->trigger_price(), prec),
         Text(std::string(ToString(o->time_in_force()))), Text(std::string(ToString(o->status()))),
         Qty(o->filled_qty()), Px(o->avg_px(), prec), Money_(o->commission(), false),
         Text(o->tags()), Text(reason == reasons.end() ? std::string() : reason->second)});
  }
  return TableHtml("orders-table", cols, rows, true);
}

std::string PositionsHtml(const Cache& cache, std::size_t* total) {
  const std::vector<TableColumn> cols = {{"Instrument", ""},       {"Cycle", "num"},
                                         {"Direction", ""},        {"Status", ""},
                                         {"Peak quantity", "num"}, {"Average open", "num"},
                                         {"Average close", "num"}, {"Realized P&amp;L", "num"},
                                         {"Charges", "num"},       {"Unrealized P&amp;L", "num"},
                                         {"Opened", "time"},       {"Closed", "time"}};
  std::vector<std::vector<TableCell>> rows;
  *total = 0;
  auto row = [&](const Position& p, std::size_t cycle) {
    if (++*total > kMaxTableRows) return;
    Money unrealized;
    if (p.is_open()) {
      if (const auto mark = cache.MarkPrice(p.instrument_id(), p.side()))
        unrealized = p.Unrealized(*mark);
    }
    const bool long_cycle = !p.fills().empty() && p.fills().front().order_side == OrderSide::kBuy;
    const int prec = PrecisionOf(cache, p.instrument_id());
    rows.push_back({Text(p.instrument_id().value()),
                    TableCell{fmt::format("{}", cycle), fmt::format("{}", cycle), ""},
                    Text(long_cycle ? "Long" : "Short"), Text(p.is_closed() ? "Closed" : "Open"),
                    Qty(p.peak_qty()), Px(p.avg_px_open(), prec), Px(p.avg_px_close(), prec),
                    Money_(p.realized_pnl(), true), Money_(p.commissions(), false),
                    Money_(unrealized, true), Time(p.ts_opened()),
                    p.is_closed() ? Time(p.ts_closed()) : TableCell{"open", "", ""}});
  };
  for (const Position* p : cache.Positions()) {
    std::size_t cycle = 0;
    for (const Position& s : cache.PositionSnapshots(p->id())) row(s, ++cycle);
    row(*p, ++cycle);
  }
  return TableHtml("positions-table", cols, rows, true);
}

std::string Card(std::string_view label, const std::string& value, std::string_view cls = "",
                 const std::string& small = "") {
  return fmt::format("<div class=\"card\"><span>{}</span><b{}>{}</b>{}</div>", label,
                     cls.empty() ? std::string() : fmt::format(" class=\"{}\"", cls), value,
                     small.empty() ? std::string() : "<small>" + small + "</small>");
}

std::string Section(std::string_view id, std::string_view title, const std::string& body) {
  return fmt::format("<section id=\"{}\"><h2>{}</h2>{}</section>\n", id, title, body);
}

}  // namespace

std::string ResultsRecorder::ReportHtml() const {
  const Statistics st = statistics();
  const Cache& cache = kernel_.cache();
  const MarkedDrawdown mdd = MaxMarkedDrawdown(starting_balance_, equity_);
  const std::vector<double> dd = DrawdownPctSeries(starting_balance_, equity_);
  const std::vector<std::size_t> keep = ThinIndices(equity_, dd);
  const std::optional<BenchmarkSeries> bench = Benchmark();
  const std::vector<double> returns = DailyReturns(starting_balance_, days_);
  const std::vector<std::optional<double>> sharpe = RollingSharpe(returns, kSharpeWindow);
  const std::vector<std::pair<UnixNanos, Money>> margin = MarginSeries(cache);

  // Chart data.
  std::string data =
      fmt::format("{{\"start\":{},\"equity\":{{\"x\":[", starting_balance_.ToString());
  for (std::size_t k = 0; k < keep.size(); ++k) {
    data += fmt::format("{}{}", k > 0 ? "," : "", IstMillis(equity_[keep[k]].ts));
  }
  data += "],\"y\":[";
  for (std::size_t k = 0; k < keep.size(); ++k) {
    data += fmt::format("{}{}", k > 0 ? "," : "", equity_[keep[k]].equity().ToString());
  }
  data += "],\"dd\":[";
  for (std::size_t k = 0; k < keep.size(); ++k) data += (k > 0 ? "," : "") + Num(dd[keep[k]], 4);
  data += "]},\"bench\":";
  if (bench) {
    data += fmt::format("{{\"label\":{},\"x\":[",
                        JsonString(InstrumentLabel(bench->instrument) + " buy & hold", true));
    for (std::size_t i = 0; i < bench->points.size(); ++i) {
      data += fmt::format("{}{}", i > 0 ? "," : "", IstMillis(bench->points[i].first));
    }
    data += "],\"y\":[";
    for (std::size_t i = 0; i < bench->points.size(); ++i) {
      data += fmt::format("{}{}", i > 0 ? "," : "", bench->points[i].second.ToString());
    }
    data += "]}";
  } else {
    data += "null";
  }
  data += ",\"daily\":[";
  for (std::size_t i = 0; i < days_.size(); ++i) {
    const DailyPnl& d = days_[i];
    data += fmt::format("{}[{},{},{}]", i > 0 ? "," : "", DaysFromCivil(d.date) * 86'400'000,
                        d.net.ToString(), d.equity.ToString());
  }
  data += "],\"hist\":";
  std::vector<double> returns_pct;
  returns_pct.reserve(returns.size());
  for (double r : returns) returns_pct.push_back(r * 100.0);
  const Histogram hist = MakeHistogram(returns_pct, 40);
  if (hist.counts.empty()) {
    data += "null";
  } else {
    data += fmt::format("{{\"lo\":{},\"w\":{},\"n\":[", Num(hist.lo, 6), Num(hist.width, 6));
    for (std::size_t i = 0; i < hist.counts.size(); ++i) {
      data += fmt::format("{}{}", i > 0 ? "," : "", hist.counts[i]);
    }
    data += "]}";
  }
  std::size_t sharpe_points = 0;
  std::string sx;
  std::string sy;
  for (std::size_t i = 0; i < sharpe.size(); ++i) {
    if (!sharpe[i]) continue;
    sx += fmt::format("{}{}", sharpe_points > 0 ? "," : "",
                      DaysFromCivil(days_[i].date) * 86'400'000);
    sy += (sharpe_points > 0 ? "," : "") + Num(*sharpe[i], 4);
    ++sharpe_points;
  }
  data += sharpe_points > 0 ? fmt::format(",\"sharpe\":{{\"window\":{},\"x\":[{}],\"y\":[{}]}}",
                                          kSharpeWindow, sx, sy)
                            : std::string(",\"sharpe\":null");
  if (margin.empty()) {
    data += ",\"margin\":null";
  } else {
    data += ",\"margin\":{\"x\":[";
    for (std::size_t i = 0; i < margin.size(); ++i) {
      data += fmt::format("{}{}", i > 0 ? "," : "", IstMillis(margin[i].first));
    }
    data += "],\"y\":[";
    for (std::size_t i = 0; i < margin.size(); ++i) {
      data += fmt::format("{}{}", i > 0 ? "," : "", margin[i].second.ToString());
    }
    data += "]}";
  }
  std::string spread_html;
  if (!spreads_.empty()) {
    const std::vector<SpreadReportRow> rows =
        BuildSpreadRows(spreads_, spread_first_seen_, cache);
    const std::vector<CapitalPoint> curve = CapitalCurve();
    const SpreadSection section =
        BuildSpreadSection(rows, curve, curve.empty() ? starting_balance_ : curve.front().previous,
                           run_start_, kMaxTableRows);
    spread_html = section.html;
    data += ",\"spreads\":" + section.json;
  } else {
    data += ",\"spreads\":null";
  }
  data += "}";

  // The page.
  const std::string period =
      days_.empty() ? std::string("no trading days")
                    : fmt::format("{} to {} ({} trading days)", FormatDate(days_.front().date),
                                  FormatDate(days_.back().date), days_.size());
  const Money change = st.final_equity - st.starting_balance;
  const double change_pct =
      starting_balance_.raw() != 0
          ? static_cast<double>(change.raw()) / static_cast<double>(starting_balance_.raw()) * 100.0
          : 0.0;
  std::string html;
  html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += "<title>Nacre backtest report</title>\n<style>";
  html += kReportStyle;
  html += "</style>\n</head>\n<body>\n";
  html += fmt::format(
      "<header><h1>Nacre backtest report</h1><div>{} &middot; {} fills &middot; times in "
      "IST</div></header>\n",
      period, fills_.size());
  html += "<div id=\"render-status\" hidden>script did not run</div>\n<main>\n";

  std::string cards = "<div class=\"cards\" id=\"summary\">";
  cards += Card("Equity change", FormatInrSigned(change), SignClass(change.raw()),
                FormatSignedPct(change_pct));
  cards +=
      Card("Final equity", FormatInr(st.final_equity), "", "from " + FormatInr(starting_balance_));
  cards += Card("Max drawdown (marked equity)", FormatSignedPct(-mdd.pct), mdd.pct > 0 ? "neg" : "",
                FormatInr(-mdd.amount) + " largest in \u20b9");
  cards += Card("CAGR", st.cagr ? FormatSignedPct(*st.cagr * 100.0) : std::string(kDash), "",
                st.cagr ? std::string() : "run shorter than a month");
  cards += Card("Sharpe ratio", st.sharpe ? FormatRatio(*st.sharpe) : std::string(kDash), "",
                "daily returns, \u221a252");
  cards += Card("Charges", FormatInr(st.total_charges), "",
                st.charges_pct_of_gross ? FormatPct(*st.charges_pct_of_gross) + " of gross P&amp;L"
                                        : std::string());
  cards += "</div>\n";
  html += cards;

  std::string legend =
      "<div class=\"legend\"><span><i style=\"background:#1a73e8\"></i>Equity "
      "(positions at their marks, every data point)</span>";
  if (bench) {
    legend += fmt::format(
        "<span><i style=\"background:#f29900\"></i>{} buy &amp; hold, scaled to {} (daily "
        "closes)</span>",
        HtmlEscape(InstrumentLabel(bench->instrument)), FormatInr(starting_balance_));
  }
  legend += "</div>";
  html += Section("equity", "Equity",
                  legend +
                      "<div class=\"hint\">Hover for values; drag to zoom (equity and "
                      "drawdown together); double-click to reset.</div><canvas "
                      "id=\"equity-chart\"></canvas>");
  html += Section(
      "drawdown", "Drawdown",
      fmt::format("<div class=\"hint\">Below the running peak of the same marked equity, in "
                  "percent. Deepest: <b>{}</b>{}; largest in rupees: <b>{}</b>. On daily closes "
                  "only: {} ({}).</div><canvas id=\"drawdown-chart\"></canvas><h3>Worst "
                  "drawdowns</h3>{}",
                  FormatSignedPct(-mdd.pct),
                  mdd.pct > 0 ? " at " + FormatIstMinute(mdd.pct_at) : std::string(),
                  FormatInr(-mdd.amount), FormatInr(-st.max_drawdown_daily_close),
                  FormatSignedPct(-st.max_drawdown_daily_close_pct),
                  WorstDrawdownsHtml(WorstDrawdowns(starting_balance_, equity_, kWorstDrawdowns))));
  html += Section("monthly", "Monthly returns",
                  "<div class=\"hint\">Change of end-of-day equity over each month and year, in "
                  "percent.</div><div class=\"scroll\">" +
                      MonthlyHtml(ComputeMonthlyReturns(starting_balance_, days_)) + "</div>");
  html += Section("daily", "Daily P&amp;L",
                  "<div class=\"hint\">Net of charges, with the change in open positions' "
                  "value.</div><canvas id=\"daily-chart\"></canvas>");
  html += Section("returns", "Distribution of daily returns",
                  hist.counts.empty()
                      ? std::string("<p class=\"note\">No trading days.</p>")
                      : fmt::format("<div class=\"hint\">{} days in {} bins of {}; the dashed "
                                    "line is 0%.</div><canvas id=\"returns-hist\"></canvas>",
                                    returns.size(), hist.counts.size(), FormatPct(hist.width, 3)));
  html += Section(
      "rolling-sharpe", fmt::format("Rolling Sharpe ratio ({} trading days)", kSharpeWindow),
      sharpe_points > 0
          ? fmt::format(
                "<div class=\"hint\">Mean over standard deviation of the last {} daily "
                "returns, \u00d7\u221a252.</div><canvas id=\"rolling-sharpe-chart\"></canvas>",
                kSharpeWindow)
          : fmt::format("<p class=\"note\" id=\"rolling-sharpe-note\">Needs {} trading days "
                        "with varying returns; this run has {}.</p>",
                        kSharpeWindow, days_.size()));
  html += Section("margin", "Margin used",
                  margin.empty()
                      ? std::string("<p class=\"note\">No account states were recorded.</p>")
                      : fmt::format("<div class=\"hint\">Margin blocked by the venue after each "
                                    "account update (account.csv). Peak use: {} of the "
                                    "balance.</div><canvas id=\"margin-chart\"></canvas>",
                                    FormatPct(st.margin_utilisation_peak_pct)));
  html += Section("charges", "Charges", ChargesHtml(fills_, st));
  html += Section("statistics", "Statistics", StatisticsHtml(st, mdd));
  html += spread_html;
  std::size_t orders_total = 0;
  const std::string orders = OrdersHtml(cache, reasons_, &orders_total);
  html +=
      Section("orders", fmt::format("Orders ({})", orders_total),
              fmt::format("<div class=\"hint\">Click a header to sort.{}</div><div "
                          "class=\"scroll\">{}</div>",
                          orders_total > kMaxTableRows
                              ? fmt::format(" First {} shown; all in orders.csv.", kMaxTableRows)
                              : std::string(),
                          orders));
  std::size_t positions_total = 0;
  const std::string positions = PositionsHtml(cache, &positions_total);
  html +=
      Section("positions", fmt::format("Positions ({})", positions_total),
              fmt::format("<div class=\"hint\">Click a header to sort.{}</div><div "
                          "class=\"scroll\">{}</div>",
                          positions_total > kMaxTableRows
                              ? fmt::format(" First {} shown; all in positions.csv.", kMaxTableRows)
                              : std::string(),
                          positions));
  html += "</main>\n<div id=\"tip\"></div>\n";
  html += "<script type=\"application/json\" id=\"report-data\">" + data + "</script>\n";
  html += "<script>";
  html += kReportScript;
  html += "</script>\n</body>\n</html>\n";
  return html;
}

}  // namespace nacre
