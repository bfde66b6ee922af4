// report.html: one self-contained page (inline CSS, data and a small canvas chart library of
// our own), usable offline. The page writes a marker into the DOM once every chart has drawn
// (`#render-status` = "ok N charts") or the first script error, which the headless-Chromium
// test checks.
#include <fmt/format.h>

#include <algorithm>

#include "backtest/results_recorder.h"

namespace nacre {

namespace {

std::string JsonStr(std::string_view s) {
  std::string o = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        o += "\\\"";
        break;
      case '\\':
        o += "\\\\";
        break;
      case '<':
        o += "\\u003c";
        break;
      case '>':
        o += "\\u003e";
        break;
      case '&':
        o += "\\u0026";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          o += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
        } else {
          o += c;
        }
    }
  }
  return o + "\"";
}

// Epoch milliseconds shifted to IST, so the page's UTC getters print IST wall time.
std::int64_t IstMillis(UnixNanos t) { return (t.value + kIstOffset) / kNanosPerMilli; }

constexpr std::size_t kMaxChartPoints = 4000;
constexpr std::size_t kMaxTableRows = 5000;

// Equity samples thinned for the chart: per bucket the lowest and the last point (in time
// order), so drawdown troughs survive.
std::vector<EquitySample> Thin(const std::vector<EquitySample>& all) {
  if (all.size() <= kMaxChartPoints) return all;
  const std::size_t buckets = kMaxChartPoints / 2;
  std::vector<EquitySample> out;
  out.reserve(kMaxChartPoints + 2);
  out.push_back(all.front());
  for (std::size_t b = 0; b < buckets; ++b) {
    const std::size_t lo = b * all.size() / buckets;
    const std::size_t hi = (b + 1) * all.size() / buckets;
    if (lo >= hi) continue;
    std::size_t min_i = lo;
    for (std::size_t i = lo; i < hi; ++i) {
      if (all[i].equity() < all[min_i].equity()) min_i = i;
    }
    if (min_i != hi - 1) out.push_back(all[min_i]);
    out.push_back(all[hi - 1]);
  }
  return out;
}

// Parses a CSV produced by this recorder into a JSON array of arrays of strings (header
// first), at most kMaxTableRows data rows.
std::string CsvToJson(const std::string& csv, std::size_t* total_rows) {
  std::string o = "[";
  std::size_t row = 0;
  std::size_t pos = 0;
  *total_rows = 0;
  while (pos < csv.size()) {
    std::vector<std::string> fields;
    std::string f;
    bool quoted = false;
    while (pos < csv.size()) {
      const char c = csv[pos++];
      if (quoted) {
        if (c == '"' && pos < csv.size() && csv[pos] == '"') {
          f += '"';
          ++pos;
        } else if (c == '"') {
          quoted = false;
        } else {
          f += c;
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        fields.push_back(std::move(f));
        f.clear();
      } else if (c == '\n') {
        break;
      } else {
        f += c;
      }
    }
    fields.push_back(std::move(f));
    if (row > 0) ++*total_rows;
    if (row <= kMaxTableRows) {
      if (row > 0) o += ",";
      o += "[";
      for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) o += ",";
        o += JsonStr(fields[i]);
      }
      o += "]";
    }
    ++row;
  }
  return o + "]";
}

constexpr const char* kStyle = R"CSS(
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:12px 20px}header h1{margin:0;font-size:20px}
main{padding:12px 20px;max-width:1200px}
section{background:#fff;border:1px solid #dde1e7;border-radius:6px;margin:12px 0;padding:10px 14px}
h2{font-size:16px;margin:4px 0 8px}
canvas{width:100%;display:block;cursor:crosshair}
.hint{color:#667;font-size:12px}
table{border-collapse:collapse;font-size:12px;width:100%}
th,td{border-bottom:1px solid #e6e9ee;padding:3px 6px;text-align:right;white-space:nowrap}
th{background:#eef1f5;position:sticky;top:0;cursor:pointer;user-select:none}
td:first-child,th:first-child{text-align:left}
.scroll{max-height:420px;overflow:auto}
.stats{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:0 24px}
.stats div{display:flex;justify-content:space-between;border-bottom:1px dotted #dde1e7;padding:2px 0}
.pos{color:#137333}.neg{color:#b3261e}
#tip{position:fixed;pointer-events:none;background:#1d2330;color:#fff;padding:4px 8px;border-radius:4px;font-size:12px;display:none;z-index:9}
)CSS";

// The page script. Charts: a line chart with hover read-out and drag-to-zoom (double click
// resets; equity and drawdown share the zoom), a bar chart of daily P&L, the monthly returns
// table, statistics and sortable tables.
constexpr const char* kScript = R"JS(
(function () {
  'use strict';
  var status = document.getElementById('render-status');
  window.addEventListener('error', function (e) {
    status.textContent = 'error: ' + e.message;
  });
  var D = JSON.parse(document.getElementById('report-data').textContent);
  var tip = document.getElementById('tip');
  var drawn = 0;
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function fmtDate(ms, withTime) {
    var d = new Date(ms);
    var s = d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate());
    return withTime ? s + ' ' + pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) : s;
  }
  function fmtMoney(v) {
    var neg = v < 0, s = Math.abs(v).toFixed(2), i = s.indexOf('.');
    var w = s.slice(0, i), f = s.slice(i), out = '';
    if (w.length > 3) {
      out = ',' + w.slice(-3); w = w.slice(0, -3);
      while (w.length > 2) { out = ',' + w.slice(-2) + out; w = w.slice(0, -2); }
    }
    return (neg ? '-' : '') + '\u20b9' + w + out + f;
  }
  function showTip(ev, html) {
    tip.innerHTML = html; tip.style.display = 'block';
    tip.style.left = (ev.clientX + 12) + 'px'; tip.style.top = (ev.clientY + 12) + 'px';
  }
  function hideTip() { tip.style.display = 'none'; }
  function setupCanvas(c, h) {
    var w = c.clientWidth || 800, r = window.devicePixelRatio || 1;
    c.width = Math.round(w * r); c.height = Math.round(h * r); c.style.height = h + 'px';
    var g = c.getContext('2d'); g.setTransform(r, 0, 0, r, 0, 0);
    return { g: g, w: w, h: h };
  }
  var M = { l: 90, r: 12, t: 10, b: 26 };
  function niceTicks(lo, hi, n) {
    if (hi <= lo) { hi = lo + 1; }
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n)));
    var err = (hi - lo) / n / step;
    if (err >= 7.5) step *= 10; else if (err >= 3.5) step *= 5; else if (err >= 1.5) step *= 2;
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(v);
    return out;
  }
  function axes(g, w, h, x0, x1, y0, y1, yfmt) {
    g.strokeStyle = '#e6e9ee'; g.fillStyle = '#667'; g.font = '11px sans-serif'; g.lineWidth = 1;
    niceTicks(y0, y1, 5).forEach(function (v) {
      var y = M.t + (h - M.t - M.b) * (1 - (v - y0) / (y1 - y0));
      g.beginPath(); g.moveTo(M.l, y); g.lineTo(w - M.r, y); g.stroke();
      g.textAlign = 'right'; g.fillText(yfmt(v), M.l - 6, y + 4);
    });
    g.textAlign = 'center';
    for (var i = 0; i <= 4; i++) {
      var t = x0 + (x1 - x0) * i / 4, x = M.l + (w - M.l - M.r) * i / 4;
      g.fillText(fmtDate(t, false), Math.min(Math.max(x, M.l + 30), w - M.r - 30), h - 8);
    }
  }
  // Line charts of one group share an x range (zoom) and the hover position. `extra(i)`
  // optionally adds lines to the hover read-out; `step` draws a value held until the next.
  function ZoomGroup() { this.x0 = null; this.x1 = null; this.charts = []; }
  var zoom = new ZoomGroup();
  function LineChart(canvas, xs, ys, color, fill, yfmt, label, group, extra) {
    this.c = canvas; this.xs = xs; this.ys = ys; this.color = color; this.fill = fill;
    this.yfmt = yfmt; this.label = label; this.sel = null; this.extra = extra;
    var zoom = this.z = group || window.nacreZoom; zoom.charts.push(this);
    var self = this;
    function redrawLines() { zoom.charts.forEach(function (c) { c.draw(); }); }
    canvas.addEventListener('mousemove', function (ev) { self.move(ev); });
    canvas.addEventListener('mouseleave', function () { hideTip(); self.sel = null; self.draw(); });
    canvas.addEventListener('mousedown', function (ev) { self.sel = [self.px(ev), self.px(ev)]; });
    canvas.addEventListener('mouseup', function () {
      if (self.sel && Math.abs(self.sel[1] - self.sel[0]) > 4) {
        var a = self.xAt(Math.min(self.sel[0], self.sel[1])), b = self.xAt(Math.max(self.sel[0], self.sel[1]));
        zoom.x0 = a; zoom.x1 = b;
      }
      self.sel = null; redrawLines();
    });
    canvas.addEventListener('dblclick', function () { zoom.x0 = zoom.x1 = null; redrawLines(); });
  }
  LineChart.prototype.range = function () {
    var zoom = this.z;
    var x0 = zoom.x0 !== null ? zoom.x0 : this.xs[0];
    var x1 = zoom.x1 !== null ? zoom.x1 : this.xs[this.xs.length - 1];
    if (x1 <= x0) x1 = x0 + 1;
    return [x0, x1];
  };
  LineChart.prototype.px = function (ev) {
    var r = this.c.getBoundingClientRect(); return ev.clientX - r.left;
  };
  LineChart.prototype.xAt = function (px) {
    var r = this.range();
    return r[0] + (r[1] - r[0]) * (px - M.l) / (this.w - M.l - M.r);
  };
  LineChart.prototype.draw = function () {
    var s = setupCanvas(this.c, 260), g = s.g, w = s.w, h = s.h; this.w = w;
    g.clearRect(0, 0, w, h);
    var r = this.range(), lo = Infinity, hi = -Infinity, i;
    for (i = 0; i < this.xs.length; i++) {
      if (this.xs[i] < r[0] || this.xs[i] > r[1]) continue;
      lo = Math.min(lo, this.ys[i]); hi = Math.max(hi, this.ys[i]);
    }
    if (lo === Infinity) { lo = 0; hi = 1; }
    if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
    var padY = (hi - lo) * 0.05; lo -= padY; hi += padY;
    this.y0 = lo; this.y1 = hi;
    axes(g, w, h, r[0], r[1], lo, hi, this.yfmt);
    var X = function (t) { return M.l + (w - M.l - M.r) * (t - r[0]) / (r[1] - r[0]); };
    var Y = function (v) { return M.t + (h - M.t - M.b) * (1 - (v - lo) / (hi - lo)); };
    g.save(); g.beginPath(); g.rect(M.l, M.t, w - M.l - M.r, h - M.t - M.b); g.clip();
    g.beginPath();
    for (i = 0; i < this.xs.length; i++) {
      if (i === 0) { g.moveTo(X(this.xs[i]), Y(this.ys[i])); continue; }
      if (this.step) g.lineTo(X(this.xs[i]), Y(this.ys[i - 1]));  // held until the next change
      g.lineTo(X(this.xs[i]), Y(this.ys[i]));
    }
    g.strokeStyle = this.color; g.lineWidth = 1.5; g.stroke();
    if (this.fill && this.xs.length > 0) {
      g.lineTo(X(this.xs[this.xs.length - 1]), Y(Math.min(Math.max(0, lo), hi)));
      g.lineTo(X(this.xs[0]), Y(Math.min(Math.max(0, lo), hi)));
      g.closePath(); g.fillStyle = this.fill; g.fill();
    }
    if (this.sel) {
      g.fillStyle = 'rgba(66,133,244,0.15)';
      g.fillRect(Math.min(this.sel[0], this.sel[1]), M.t, Math.abs(this.sel[1] - this.sel[0]), h - M.t - M.b);
    }
    if (this.hover !== undefined && this.hover !== null) {
      var hx = X(this.xs[this.hover]), hy = Y(this.ys[this.hover]);
      g.strokeStyle = '#99a'; g.beginPath(); g.moveTo(hx, M.t); g.lineTo(hx, h - M.b); g.stroke();
      g.fillStyle = this.color; g.beginPath(); g.arc(hx, hy, 3.5, 0, 2 * Math.PI); g.fill();
    }
    g.restore();
    this.c.setAttribute('data-drawn', String(this.xs.length));
  };
  LineChart.prototype.move = function (ev) {
    var px = this.px(ev);
    if (this.sel) { this.sel[1] = px; this.draw(); return; }
    var t = this.xAt(px), xs = this.xs, a = 0, b = xs.length - 1;
    if (b < 0) return;
    while (b - a > 1) { var m = (a + b) >> 1; if (xs[m] < t) a = m; else b = m; }
    var i = Math.abs(xs[a] - t) <= Math.abs(xs[b] - t) ? a : b;
    this.z.charts.forEach(function (c) { c.hover = i < c.xs.length ? i : null; c.draw(); });
    showTip(ev, fmtDate(xs[i], true) + ' IST<br>' + this.label + ': ' + this.yfmt(this.ys[i]) +
            (this.extra ? this.extra(i) : ''));
  };
  function redrawLines() { zoom.charts.forEach(function (c) { c.draw(); }); }
  window.nacreZoom = zoom;

  function barChart(canvas, days) {
    var s = setupCanvas(canvas, 220), g = s.g, w = s.w, h = s.h, n = days.length;
    var lo = 0, hi = 0;
    days.forEach(function (d) { lo = Math.min(lo, d[1]); hi = Math.max(hi, d[1]); });
    if (hi - lo < 1e-9) { hi = lo + 1; }
    var x0 = n ? days[0][0] : 0, x1 = n ? days[n - 1][0] : 1;
    axes(g, w, h, x0, x1 > x0 ? x1 : x0 + 1, lo, hi, fmtMoney);
    var bw = Math.max(1, (w - M.l - M.r) / Math.max(n, 1) - 1);
    var Y = function (v) { return M.t + (h - M.t - M.b) * (1 - (v - lo) / (hi - lo)); };
    days.forEach(function (d, i) {
      var x = M.l + (w - M.l - M.r) * i / Math.max(n, 1);
      g.fillStyle = d[1] >= 0 ? '#2e7d32' : '#c62828';
      g.fillRect(x, Math.min(Y(0), Y(d[1])), bw, Math.max(1, Math.abs(Y(d[1]) - Y(0))));
    });
    canvas.addEventListener('mousemove', function (ev) {
      var r = canvas.getBoundingClientRect();
      var i = Math.floor((ev.clientX - r.left - M.l) / ((w - M.l - M.r) / Math.max(n, 1)));
      if (i < 0 || i >= n) { hideTip(); return; }
      showTip(ev, fmtDate(days[i][0], false) + '<br>net ' + fmtMoney(days[i][1]) +
              '<br>equity ' + fmtMoney(days[i][2]));
    });
    canvas.addEventListener('mouseleave', hideTip);
    canvas.setAttribute('data-drawn', String(n));
  }

  function monthly(el, days, start) {
    var months = {}, order = [], prevEq = start;
    days.forEach(function (d) {
      var dt = new Date(d[0]), y = dt.getUTCFullYear(), m = dt.getUTCMonth();
      var k = y * 12 + m;
      if (!(k in months)) { months[k] = { y: y, m: m, open: prevEq, close: d[2] }; order.push(k); }
      months[k].close = d[2]; prevEq = d[2];
    });
    var years = {};
    order.forEach(function (k) {
      var o = months[k];
      if (!(o.y in years)) years[o.y] = { open: o.open, close: o.close, m: {} };
      years[o.y].close = o.close; years[o.y].m[o.m] = o.close / o.open - 1;
    });
    var names = ['Jan','Feb','Mar','Apr','May','Jun','Jul','Aug','Sep','Oct','Nov','Dec'];
    var html = '<tr><th>Year</th>' + names.map(function (n) { return '<th>' + n + '</th>'; }).join('') + '<th>Year</th></tr>';
    Object.keys(years).sort().forEach(function (y) {
      var Y = years[y], row = '<tr><td>' + y + '</td>';
      for (var m = 0; m < 12; m++) {
        var v = Y.m[m];
        row += v === undefined ? '<td></td>' : '<td class="' + (v >= 0 ? 'pos' : 'neg') + '">' + (v * 100).toFixed(2) + '%</td>';
      }
      var yr = Y.close / Y.open - 1;
      html += row + '<td class="' + (yr >= 0 ? 'pos' : 'neg') + '">' + (yr * 100).toFixed(2) + '%</td></tr>';
    });
    el.innerHTML = html;
  }

  function statsGrid(el, st) {
    var html = '';
    Object.keys(st).forEach(function (k) {
      var v = st[k];
      if (v !== null && typeof v === 'object') return;  // a section of its own (spreads)
      var money = /^(starting_balance|final_equity|pnl_(total|avg)|(max|avg|min)_(winner|loser)|max_drawdown|total_charges|credit_avg|charges_total|(initial|final)_capital)$/.test(k);
      var txt = v === null ? '\u2014' : money ? fmtMoney(v)
              : (typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : String(v));
      html += '<div><span>' + k.replace(/_/g, ' ') + '</span><b>' + txt + '</b></div>';
    });
    el.innerHTML = html;
  }

  // One bar per spread (realized P&L net of charges; open spreads grey), hover for details.
  // Rows: [id, legs, opened ms|null, closed ms|null, state, lots, net premium, charges, pnl].
  function spreadBars(canvas, sp) {
    var s = setupCanvas(canvas, 220), g = s.g, w = s.w, h = s.h, n = sp.length;
    var lo = 0, hi = 0;
    sp.forEach(function (r) { lo = Math.min(lo, r[8]); hi = Math.max(hi, r[8]); });
    if (hi - lo < 1e-9) { hi = lo + 1; }
    var Y = function (v) { return M.t + (h - M.t - M.b) * (1 - (v - lo) / (hi - lo)); };
    g.strokeStyle = '#e6e9ee'; g.fillStyle = '#667'; g.font = '11px sans-serif'; g.lineWidth = 1;
    niceTicks(lo, hi, 5).forEach(function (v) {
      g.beginPath(); g.moveTo(M.l, Y(v)); g.lineTo(w - M.r, Y(v)); g.stroke();
      g.textAlign = 'right'; g.fillText(fmtMoney(v), M.l - 6, Y(v) + 4);
    });
    var slot = (w - M.l - M.r) / Math.max(n, 1), bw = Math.max(1, Math.min(40, slot - 2));
    sp.forEach(function (r, i) {
      var x = M.l + slot * i + (slot - bw) / 2, final = r[4] === 'CLOSED' || r[4] === 'FAILED';
      g.fillStyle = !final ? '#9aa0a6' : r[8] > 0 ? '#2e7d32' : r[8] < 0 ? '#c62828' : '#5f6368';
      g.fillRect(x, Math.min(Y(0), Y(r[8])), bw, Math.max(1, Math.abs(Y(r[8]) - Y(0))));
    });
    g.textAlign = 'center'; g.fillStyle = '#667';
    g.fillText(n + ' spreads (green won, red lost, grey open)', M.l + (w - M.l - M.r) / 2, h - 8);
    canvas.addEventListener('mousemove', function (ev) {
      var rc = canvas.getBoundingClientRect();
      var i = Math.floor((ev.clientX - rc.left - M.l) / slot);
      if (i < 0 || i >= n) { hideTip(); return; }
      var r = sp[i], esc = function (t) { return t.replace(/&/g, '&amp;').replace(/</g, '&lt;'); };
      showTip(ev, '<b>' + esc(r[0]) + '</b> ' + r[4] + ' x' + r[5] + '<br>' +
              esc(r[1]).split('; ').join('<br>') +
              '<br>entry ' + (r[2] === null ? '\u2014' : fmtDate(r[2], true)) +
              ' &middot; exit ' + (r[3] === null ? '\u2014' : fmtDate(r[3], true)) +
              '<br>credit ' + fmtMoney(r[6]) + ' &middot; charges ' + fmtMoney(r[7]) +
              '<br>P&amp;L ' + fmtMoney(r[8]));
    });
    canvas.addEventListener('mouseleave', hideTip);
    canvas.setAttribute('data-drawn', String(n));
  }

  function sortableTable(el, rows, total) {
    var head = rows[0], body = rows.slice(1), sortCol = -1, asc = true;
    var numeric = /^-?\d+(\.\d+)?$/;
    function cmp(a, b) {
      var x = a[sortCol], y = b[sortCol];
      var r = numeric.test(x) && numeric.test(y) ? parseFloat(x) - parseFloat(y)
                                                 : (x < y ? -1 : x > y ? 1 : 0);
      return asc ? r : -r;
    }
    function render() {
      var h = '<thead><tr>' + head.map(function (c, i) {
        return '<th data-col="' + i + '">' + c + (i === sortCol ? (asc ? ' \u25b2' : ' \u25bc') : '') + '</th>';
      }).join('') + '</tr></thead><tbody>';
      body.forEach(function (r) {
        h += '<tr>' + r.map(function (c) {
          return '<td>' + c.replace(/&/g, '&amp;').replace(/</g, '&lt;') + '</td>';
        }).join('') + '</tr>';
      });
      el.innerHTML = h + '</tbody>';
    }
    el.addEventListener('click', function (ev) {
      var th = ev.target.closest('th'); if (!th) return;
      var c = +th.getAttribute('data-col');
      if (c === sortCol) asc = !asc; else { sortCol = c; asc = true; }
      body.sort(cmp); render();
    });
    render();
    el.setAttribute('data-rows', String(total));
  }

  var eq = D.equity, ts = eq.map(function (p) { return p[0]; });
  var eqv = eq.map(function (p) { return p[1]; });
  var peak = -Infinity, dd = eqv.map(function (v) { peak = Math.max(peak, v, D.starting_balance); return v - peak; });
  new LineChart(document.getElementById('equity-chart'), ts, eqv, '#1a73e8', null, fmtMoney, 'equity');
  new LineChart(document.getElementById('drawdown-chart'), ts, dd, '#c62828', 'rgba(198,40,40,0.18)', fmtMoney, 'drawdown');
  redrawLines(); drawn += 2;
  barChart(document.getElementById('daily-chart'), D.daily); drawn += 1;
  monthly(document.getElementById('monthly-table'), D.daily, D.starting_balance);
  statsGrid(document.getElementById('stats'), D.stats);
  sortableTable(document.getElementById('orders-table'), D.orders, D.orders_total);
  sortableTable(document.getElementById('positions-table'), D.positions, D.positions_total);
  if (D.spreads) {
    var S = D.spreads;
    spreadBars(document.getElementById('spread-pnl-chart'), S.rows); drawn += 1;
    var capGroup = new ZoomGroup(), cx = S.capital.map(function (p) { return p[0]; });
    var capChart = new LineChart(document.getElementById('capital-chart'), cx,
        S.capital.map(function (p) { return p[1]; }), '#6a1b9a', null, fmtMoney, 'capital',
        capGroup, function (i) {
          var p = S.capital[i];
          return p[2] === null ? '<br>initial capital' : '<br>after ' + p[2].replace(/</g, '&lt;') + ': ' + fmtMoney(p[3]);
        });
    capChart.step = true; capChart.draw(); drawn += 1;
    window.addEventListener('resize', function () { capChart.draw(); });
    statsGrid(document.getElementById('spread-stats'), D.stats.spreads);
    sortableTable(document.getElementById('spreads-table'), S.table, S.table_total);
  }
  window.addEventListener('resize', function () { redrawLines(); });
  if (status.textContent.indexOf('error') !== 0) status.textContent = 'ok ' + drawn + ' charts';
})();
)JS";

}  // namespace

std::string ResultsRecorder::ReportHtml() const {
  const Statistics st = statistics();
  std::string data = "{\"starting_balance\":" + starting_balance_.ToString();
  data += ",\"stats\":" + StatisticsJson(st);
  data += ",\"equity\":[";
  const std::vector<EquitySample> thin = Thin(equity_);
  for (std::size_t i = 0; i < thin.size(); ++i) {
    if (i > 0) data += ",";
    data += fmt::format("[{},{}]", IstMillis(thin[i].ts), thin[i].equity().ToString());
  }
  data += "],\"daily\":[";
  for (std::size_t i = 0; i < days_.size(); ++i) {
    const DailyPnl& d = days_[i];
    if (i > 0) data += ",";
    data += fmt::format("[{},{},{}]", DaysFromCivil(d.date) * 86'400'000, d.net.ToString(),
                        d.equity.ToString());
  }
  std::size_t orders_total = 0;
  std::size_t positions_total = 0;
  data += "],\"orders\":" + CsvToJson(OrdersCsv(), &orders_total);
  data += ",\"positions\":" + CsvToJson(PositionsCsv(), &positions_total);
  data += fmt::format(",\"orders_total\":{},\"positions_total\":{}", orders_total, positions_total);
  std::size_t spreads_total = 0;
  if (!spreads_.empty()) {
    auto ms = [](UnixNanos t) {
      return t.value == 0 ? std::string("null") : fmt::format("{}", IstMillis(t));
    };
    data += ",\"spreads\":{\"rows\":[";
    for (std::size_t i = 0; i < spreads_.size(); ++i) {
      const SpreadEvent& e = spreads_[i];
      if (i > 0) data += ",";
      data += fmt::format("[{},{},{},{},{},{},{},{},{}]", JsonStr(e.spread_id.value()),
                          JsonStr(SpreadLegsText(e)), ms(e.ts_opened), ms(e.ts_closed),
                          JsonStr(ToString(e.state)), e.lots, e.net_premium.ToString(),
                          e.charges.ToString(), e.realized_pnl.ToString());
    }
    // The curve starts at the initial capital at the start of the run.
    const std::vector<CapitalPoint> curve = CapitalCurve();
    const Money initial = curve.empty() ? starting_balance_ : curve.front().previous;
    data +=
        fmt::format("],\"capital\":[[{},{},null,null]", IstMillis(run_start_), initial.ToString());
    for (const CapitalPoint& p : curve) {
      data += fmt::format(",[{},{},{},{}]", IstMillis(p.ts), p.capital.ToString(),
                          JsonStr(p.trade_id), p.pnl.ToString());
    }
    data += "],\"table\":" + CsvToJson(SpreadsCsv(), &spreads_total);
    data += fmt::format(",\"table_total\":{}}}", spreads_total);
  }
  data += "}";

  const std::string period =
      days_.empty() ? std::string("no trading days")
                    : FormatDate(days_.front().date) + " to " + FormatDate(days_.back().date);
  std::string html;
  html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<title>Nacre backtest report</title>\n<style>";
  html += kStyle;
  html += "</style>\n</head>\n<body>\n";
  html += fmt::format(
      "<header><h1>Nacre backtest report</h1><div>{} &middot; final equity {} &middot; "
      "{} fills</div></header>\n<main>\n",
      period, st.final_equity.ToString(), fills_.size());
  html += "<div id=\"render-status\">script did not run</div>\n";
  html +=
      "<section><h2>Equity</h2><div class=\"hint\">Hover for values; drag to zoom (both "
      "curves); double-click to reset.</div><canvas id=\"equity-chart\"></canvas></section>\n";
  html += "<section><h2>Drawdown</h2><canvas id=\"drawdown-chart\"></canvas></section>\n";
  html += "<section><h2>Daily P&amp;L</h2><canvas id=\"daily-chart\"></canvas></section>\n";
  html +=
      "<section><h2>Monthly returns</h2><div class=\"scroll\"><table "
      "id=\"monthly-table\"></table></div></section>\n";
  html += "<section><h2>Statistics</h2><div class=\"stats\" id=\"stats\"></div></section>\n";
  html += fmt::format(
      "<section><h2>Orders ({})</h2><div class=\"hint\">Click a header to sort.{}</div><div "
      "class=\"scroll\"><table id=\"orders-table\"></table></div></section>\n",
      orders_total,
      orders_total > kMaxTableRows
          ? fmt::format(" First {} shown; all in orders.csv.", kMaxTableRows)
          : std::string());
  if (!spreads_.empty()) {
    html += fmt::format(
        "<section id=\"spreads\"><h2>Spreads ({})</h2><div class=\"hint\">Realized P&amp;L "
        "per spread, net of charges; hover a bar for its legs, entry, exit and credit.</div>"
        "<canvas id=\"spread-pnl-chart\"></canvas><h2>Capital after each close</h2><div "
        "class=\"hint\">Capital moves only when a trade closes; hover for the trade.</div><canvas "
        "id=\"capital-chart\"></canvas><div class=\"stats\" id=\"spread-stats\"></div><div "
        "class=\"hint\">Click a header to sort.{}</div><div class=\"scroll\"><table "
        "id=\"spreads-table\"></table></div></section>\n",
        spreads_total,
        spreads_total > kMaxTableRows
            ? fmt::format(" First {} shown; all in spread_results.csv.", kMaxTableRows)
            : std::string());
  }
  html += fmt::format(
      "<section><h2>Positions ({})</h2><div class=\"scroll\"><table "
      "id=\"positions-table\"></table></div></section>\n",
      positions_total);
  html += "</main>\n<div id=\"tip\"></div>\n";
  html += "<script type=\"application/json\" id=\"report-data\">" + data + "</script>\n";
  html += "<script>";
  html += kScript;
  html += "</script>\n</body>\n</html>\n";
  return html;
}

}  // namespace nacre
