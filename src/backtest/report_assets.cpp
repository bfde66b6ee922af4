// report.html's stylesheet and script. The script draws every chart on a <canvas> from the
// JSON in #report-data (no libraries), makes tables with class "sortable" sortable by a
// click on a header (by each cell's data-sort number, else its text), and records in the
// hidden #render-status element "ok N charts" once every chart drew, or the first script
// error (then shown), which the headless-Chromium tests read. Each drawn canvas gets
// data-drawn = its number of points.
#include "backtest/report_html_parts.h"

namespace nacre {

const char* const kReportStyle = R"CSS(
body{font:14px/1.45 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:12px 20px}header h1{margin:0;font-size:20px}
header div{color:#c9cfd8}
main{padding:12px 20px;max-width:1280px}
section{background:#fff;border:1px solid #dde1e7;border-radius:6px;margin:12px 0;padding:10px 14px;overflow-x:auto}
h2{font-size:16px;margin:4px 0 8px}h3{font-size:14px;margin:14px 0 6px}
canvas{width:100%;display:block;cursor:crosshair}
.hint{color:#5f6675;font-size:12px;margin:2px 0 6px}
.legend span{display:inline-block;margin-right:16px;font-size:12px}
.legend i{display:inline-block;width:14px;height:3px;margin:0 5px 3px 0;vertical-align:middle}
table{border-collapse:collapse;font-size:12px;width:100%}
th,td{border-bottom:1px solid #e6e9ee;padding:3px 6px;text-align:left;vertical-align:top;white-space:nowrap}
th{background:#eef1f5;position:sticky;top:0}
table.sortable th{cursor:pointer;user-select:none}
.num{text-align:right;font-variant-numeric:tabular-nums}
.wrap{white-space:normal;min-width:8em}
td.legs{min-width:17em}
#spreads-table td{padding:3px 4px}
.leg{white-space:nowrap}
.leg b{font-weight:600}.leg b.sell{color:#b3261e}.leg b.buy{color:#137333}
.unfilled{color:#b3261e;font-style:italic}
.time{white-space:nowrap}
.scroll{max-height:460px;overflow:auto}
.stats{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:0 28px}
.stats h3{grid-column:1/-1}
.stats div{display:flex;justify-content:space-between;gap:12px;border-bottom:1px dotted #dde1e7;padding:2px 0}
.stats b{font-weight:600;text-align:right}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:4px 0 8px}
.card{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:8px 12px;min-width:150px}
.card span{display:block;color:#5f6675;font-size:12px}.card b{font-size:17px}
.card small{display:block;color:#5f6675;font-size:11px}
.pos{color:#137333}.neg{color:#b3261e}
.badge{display:inline-block;padding:0 6px;border-radius:3px;background:#e6e9ee;font-size:11px}
.badge.bad{background:#b3261e;color:#fff;font-weight:700}.badge.warn{background:#f9ab00;color:#1d2330}
table.heat td{text-align:right;min-width:4.2em}
.bar{height:8px;background:#5b7fc7;border-radius:2px}
.note{color:#5f6675;font-style:italic}
#render-status.error{background:#b3261e;color:#fff;padding:8px 20px}
#tip{position:fixed;pointer-events:none;background:#1d2330;color:#fff;padding:4px 8px;border-radius:4px;font-size:12px;display:none;z-index:9}
)CSS";

const char* const kReportScript = R"JS(
(function () {
  'use strict';
  var status = document.getElementById('render-status');
  window.addEventListener('error', function (e) {
    status.hidden = false; status.className = 'error';
    status.textContent = 'error: ' + e.message;
  });
  var D = JSON.parse(document.getElementById('report-data').textContent);
  var tip = document.getElementById('tip');
  var MINUS = '\u2212', drawn = 0;
  function $(id) {
    var el = document.getElementById(id);
    if (!el) throw new Error('missing element #' + id);
    return el;
  }
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function fmtDate(ms, withTime) {
    var d = new Date(ms);
    var s = d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate());
    return withTime ? s + ' ' + pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) : s;
  }
  function lakh(w) {
    if (w.length <= 3) return w;
    var out = ',' + w.slice(-3); w = w.slice(0, -3);
    while (w.length > 2) { out = ',' + w.slice(-2) + out; w = w.slice(0, -2); }
    return w + out;
  }
  function fmtMoney(v, decimals) {
    var s = Math.abs(v).toFixed(decimals === undefined ? 2 : decimals), i = s.indexOf('.');
    var whole = i < 0 ? s : s.slice(0, i), frac = i < 0 ? '' : s.slice(i);
    return (v < 0 && +s !== 0 ? MINUS : '') + '\u20b9' + lakh(whole) + frac;
  }
  function fmtMoneyAxis(v, step) { return fmtMoney(v, step === undefined || step < 1 ? 2 : 0); }
  function fmtPctAxis(v, step) { return fmtPct(v, step === undefined ? 2 : stepDecimals(step)); }
  function fmtNumAxis(v, step) {
    var s = Math.abs(v).toFixed(step === undefined ? 2 : stepDecimals(step));
    return (v < 0 && +s !== 0 ? MINUS : '') + s;
  }
  function fmtPct(v, d) {
    var s = Math.abs(v).toFixed(d === undefined ? 2 : d);
    if (+s === 0) return s + '%';
    return (v < 0 ? MINUS : '+') + s + '%';
  }
  function esc(t) { return String(t).replace(/&/g, '&amp;').replace(/</g, '&lt;'); }
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
  var M = { l: 92, r: 14, t: 10, b: 26 };
  function niceTicks(lo, hi, n) {
    if (hi <= lo) { hi = lo + 1; }
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n)));
    var err = (hi - lo) / n / step;
    if (err >= 7.5) step *= 10; else if (err >= 3.5) step *= 5; else if (err >= 1.5) step *= 2;
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(v);
    return out;
  }
  // Decimals that tell ticks `step` apart.
  function stepDecimals(step) {
    return Math.min(6, Math.max(0, Math.ceil(-Math.log10(step) - 1e-9)));
  }
  function yAxis(g, w, h, y0, y1, yfmt) {
    g.strokeStyle = '#e6e9ee'; g.fillStyle = '#5f6675'; g.font = '11px sans-serif'; g.lineWidth = 1;
    var ticks = niceTicks(y0, y1, 5), step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
    ticks.forEach(function (v) {
      var y = M.t + (h - M.t - M.b) * (1 - (v - y0) / (y1 - y0));
      g.beginPath(); g.moveTo(M.l, y); g.lineTo(w - M.r, y); g.stroke();
      g.textAlign = 'right'; g.fillText(yfmt(Math.abs(v) < step * 1e-6 ? 0 : v, step), M.l - 6, y + 4);
    });
  }
  function timeAxis(g, w, h, x0, x1) {
    g.fillStyle = '#5f6675'; g.textAlign = 'center';
    for (var i = 0; i <= 4; i++) {
      var t = x0 + (x1 - x0) * i / 4, x = M.l + (w - M.l - M.r) * i / 4;
      g.fillText(fmtDate(t, false), Math.min(Math.max(x, M.l + 30), w - M.r - 30), h - 8);
    }
  }
  function nearest(xs, t) {
    var a = 0, b = xs.length - 1;
    if (b < 0) return -1;
    while (b - a > 1) { var m = (a + b) >> 1; if (xs[m] < t) a = m; else b = m; }
    return Math.abs(xs[a] - t) <= Math.abs(xs[b] - t) ? a : b;
  }
  function atOrBefore(xs, t) {
    var a = 0, b = xs.length - 1, r = -1;
    while (a <= b) { var m = (a + b) >> 1; if (xs[m] <= t) { r = m; a = m + 1; } else b = m - 1; }
    return r;
  }

  // Line charts. A group shares the x range (drag to zoom, double-click to reset) and the
  // hover position. Series: {xs, ys, color, label, fill (to zero), step (held until the next)};
  // the first series is the one hovered; `extra(t, i)` adds lines to the read-out.
  function ZoomGroup() { this.x0 = null; this.x1 = null; this.charts = []; }
  ZoomGroup.prototype.redraw = function () { this.charts.forEach(function (c) { c.draw(); }); };
  function LineChart(id, series, yfmt, group, extra, height) {
    var canvas = $(id), self = this;
    this.c = canvas; this.series = series; this.yfmt = yfmt; this.sel = null; this.extra = extra;
    this.height = height || 260; this.z = group || new ZoomGroup(); this.z.charts.push(this);
    this.xs = series[0].xs;
    canvas.addEventListener('mousemove', function (ev) { self.move(ev); });
    canvas.addEventListener('mouseleave', function () {
      hideTip(); self.sel = null; self.z.charts.forEach(function (c) { c.hover = null; }); self.z.redraw();
    });
    canvas.addEventListener('mousedown', function (ev) { self.sel = [self.px(ev), self.px(ev)]; });
    canvas.addEventListener('mouseup', function () {
      if (self.sel && Math.abs(self.sel[1] - self.sel[0]) > 4) {
        var a = self.xAt(Math.min(self.sel[0], self.sel[1])), b = self.xAt(Math.max(self.sel[0], self.sel[1]));
        self.z.x0 = a; self.z.x1 = b;
      }
      self.sel = null; self.z.redraw();
    });
    canvas.addEventListener('dblclick', function () { self.z.x0 = self.z.x1 = null; self.z.redraw(); });
  }
  LineChart.prototype.range = function () {
    var x0 = this.z.x0 !== null ? this.z.x0 : this.xs[0];
    var x1 = this.z.x1 !== null ? this.z.x1 : this.xs[this.xs.length - 1];
    if (!(x1 > x0)) x1 = x0 + 1;
    return [x0, x1];
  };
  LineChart.prototype.px = function (ev) { return ev.clientX - this.c.getBoundingClientRect().left; };
  LineChart.prototype.xAt = function (px) {
    var r = this.range();
    return r[0] + (r[1] - r[0]) * (px - M.l) / (this.w - M.l - M.r);
  };
  LineChart.prototype.draw = function () {
    var s = setupCanvas(this.c, this.height), g = s.g, w = s.w, h = s.h; this.w = w;
    g.clearRect(0, 0, w, h);
    var r = this.range(), lo = Infinity, hi = -Infinity, self = this;
    this.series.forEach(function (se) {
      for (var i = 0; i < se.xs.length; i++) {
        if (se.xs[i] < r[0] || se.xs[i] > r[1]) continue;
        lo = Math.min(lo, se.ys[i]); hi = Math.max(hi, se.ys[i]);
      }
      if (se.fill) { lo = Math.min(lo, 0); hi = Math.max(hi, 0); }
    });
    if (lo === Infinity) { lo = 0; hi = 1; }
    if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
    var padY = (hi - lo) * 0.05; lo -= padY; hi += padY;
    yAxis(g, w, h, lo, hi, this.yfmt); timeAxis(g, w, h, r[0], r[1]);
    var X = function (t) { return M.l + (w - M.l - M.r) * (t - r[0]) / (r[1] - r[0]); };
    var Y = function (v) { return M.t + (h - M.t - M.b) * (1 - (v - lo) / (hi - lo)); };
    g.save(); g.beginPath(); g.rect(M.l, M.t, w - M.l - M.r, h - M.t - M.b); g.clip();
    this.series.slice().reverse().forEach(function (se) {
      var xs = se.xs, ys = se.ys, i;
      if (!xs.length) return;
      g.beginPath();
      for (i = 0; i < xs.length; i++) {
        if (i === 0) { g.moveTo(X(xs[i]), Y(ys[i])); continue; }
        if (se.step) g.lineTo(X(xs[i]), Y(ys[i - 1]));
        g.lineTo(X(xs[i]), Y(ys[i]));
      }
      g.strokeStyle = se.color; g.lineWidth = se.width || 1.5; g.setLineDash(se.dash || []); g.stroke();
      g.setLineDash([]);
      if (se.fill) {
        g.lineTo(X(xs[xs.length - 1]), Y(0)); g.lineTo(X(xs[0]), Y(0));
        g.closePath(); g.fillStyle = se.fill; g.fill();
      }
    });
    if (this.sel) {
      g.fillStyle = 'rgba(66,133,244,0.15)';
      g.fillRect(Math.min(this.sel[0], this.sel[1]), M.t, Math.abs(this.sel[1] - this.sel[0]), h - M.t - M.b);
    }
    if (this.hover !== undefined && this.hover !== null && this.hover < this.xs.length) {
      var hx = X(this.xs[this.hover]), hy = Y(this.series[0].ys[this.hover]);
      g.strokeStyle = '#99a'; g.beginPath(); g.moveTo(hx, M.t); g.lineTo(hx, h - M.b); g.stroke();
      g.fillStyle = this.series[0].color; g.beginPath(); g.arc(hx, hy, 3.5, 0, 2 * Math.PI); g.fill();
    }
    g.restore();
    this.c.setAttribute('data-drawn', String(this.xs.length));
    this.c.setAttribute('data-series', String(this.series.length));
  };
  LineChart.prototype.move = function (ev) {
    var px = this.px(ev);
    if (this.sel) { this.sel[1] = px; this.draw(); return; }
    var t = this.xAt(px), i = nearest(this.xs, t);
    if (i < 0) return;
    var time = this.xs[i];
    this.z.charts.forEach(function (c) { c.hover = nearest(c.xs, time); c.draw(); });
    var se = this.series[0];
    showTip(ev, fmtDate(time, true) + ' IST<br>' + se.label + ': ' + this.yfmt(se.ys[i]) +
            (this.extra ? this.extra(time, i) : ''));
  };

  // Bars at dates: rows [ms, value, ...]; `tipf(row)` gives the read-out.
  function barChart(id, rows, yfmt, tipf) {
    var canvas = $(id), s = setupCanvas(canvas, 220), g = s.g, w = s.w, h = s.h, n = rows.length;
    var lo = 0, hi = 0;
    rows.forEach(function (d) { lo = Math.min(lo, d[1]); hi = Math.max(hi, d[1]); });
    if (hi - lo < 1e-9) { hi = lo + 1; }
    yAxis(g, w, h, lo, hi, yfmt);
    if (n) timeAxis(g, w, h, rows[0][0], rows[n - 1][0] > rows[0][0] ? rows[n - 1][0] : rows[0][0] + 1);
    var slot = (w - M.l - M.r) / Math.max(n, 1), bw = Math.max(1, Math.min(40, slot - 1));
    var Y = function (v) { return M.t + (h - M.t - M.b) * (1 - (v - lo) / (hi - lo)); };
    rows.forEach(function (d, i) {
      g.fillStyle = d[1] >= 0 ? '#2e7d32' : '#c62828';
      g.fillRect(M.l + slot * i + (slot - bw) / 2, Math.min(Y(0), Y(d[1])), bw, Math.max(1, Math.abs(Y(d[1]) - Y(0))));
    });
    canvas.addEventListener('mousemove', function (ev) {
      var i = Math.floor((ev.clientX - canvas.getBoundingClientRect().left - M.l) / slot);
      if (i < 0 || i >= n) { hideTip(); return; }
      showTip(ev, tipf(rows[i]));
    });
    canvas.addEventListener('mouseleave', hideTip);
    canvas.setAttribute('data-drawn', String(n));
  }

  // Histogram of daily returns (percent): H = {lo, w, n: counts}.
  function histogram(id, H) {
    var canvas = $(id), s = setupCanvas(canvas, 220), g = s.g, w = s.w, h = s.h, k = H.n.length;
    var top = Math.max.apply(null, H.n.concat([1]));
    yAxis(g, w, h, 0, top * 1.05, function (v) { return Math.round(v) === v ? String(v) : ''; });
    var x0 = H.lo, x1 = H.lo + H.w * k;
    var X = function (v) { return M.l + (w - M.l - M.r) * (v - x0) / (x1 - x0); };
    var Y = function (v) { return M.t + (h - M.t - M.b) * (1 - v / (top * 1.05)); };
    for (var i = 0; i < k; i++) {
      var a = H.lo + H.w * i;
      g.fillStyle = a + H.w <= 0 ? '#c62828' : a >= 0 ? '#2e7d32' : '#7a7f8c';
      g.fillRect(X(a) + 0.5, Y(H.n[i]), Math.max(1, X(a + H.w) - X(a) - 1), Y(0) - Y(H.n[i]));
    }
    if (x0 < 0 && x1 > 0) {
      g.strokeStyle = '#1d2330'; g.setLineDash([4, 3]); g.beginPath();
      g.moveTo(X(0), M.t); g.lineTo(X(0), h - M.b); g.stroke(); g.setLineDash([]);
    }
    g.fillStyle = '#5f6675'; g.textAlign = 'center';
    var d = stepDecimals((x1 - x0) / 4);
    for (var j = 0; j <= 4; j++) {
      var v = x0 + (x1 - x0) * j / 4;
      g.fillText(fmtPct(v, d), Math.min(Math.max(X(v), M.l + 24), w - M.r - 24), h - 8);
    }
    canvas.addEventListener('mousemove', function (ev) {
      var px = ev.clientX - canvas.getBoundingClientRect().left;
      var i = Math.floor((px - M.l) / ((w - M.l - M.r) / k));
      if (i < 0 || i >= k) { hideTip(); return; }
      var dd = stepDecimals(H.w) + 1;
      showTip(ev, fmtPct(H.lo + H.w * i, dd) + ' to ' + fmtPct(H.lo + H.w * (i + 1), dd) + '<br>' + H.n[i] + (H.n[i] === 1 ? ' day' : ' days'));
    });
    canvas.addEventListener('mouseleave', hideTip);
    canvas.setAttribute('data-drawn', String(H.n.reduce(function (a, b) { return a + b; }, 0)));
  }

  // One bar per spread (P&L net of charges; open spreads grey).
  // Rows: [id, legs, opened ms|null, closed ms|null, state, lots, credit, charges, pnl].
  function spreadBars(id, sp) {
    var canvas = $(id), s = setupCanvas(canvas, 220), g = s.g, w = s.w, h = s.h, n = sp.length;
    var lo = 0, hi = 0;
    sp.forEach(function (r) { lo = Math.min(lo, r[8]); hi = Math.max(hi, r[8]); });
    if (hi - lo < 1e-9) { hi = lo + 1; }
    var Y = function (v) { return M.t + (h - M.t - M.b) * (1 - (v - lo) / (hi - lo)); };
    yAxis(g, w, h, lo, hi, fmtMoneyAxis);
    var slot = (w - M.l - M.r) / Math.max(n, 1), bw = Math.max(1, Math.min(40, slot - 2));
    sp.forEach(function (r, i) {
      var x = M.l + slot * i + (slot - bw) / 2, fin = r[4] === 'CLOSED' || r[4] === 'FAILED';
      g.fillStyle = !fin ? '#9aa0a6' : r[8] > 0 ? '#2e7d32' : r[8] < 0 ? '#c62828' : '#5f6368';
      g.fillRect(x, Math.min(Y(0), Y(r[8])), bw, Math.max(1, Math.abs(Y(r[8]) - Y(0))));
    });
    g.textAlign = 'center'; g.fillStyle = '#5f6675';
    g.fillText(n + ' spreads in entry order', M.l + (w - M.l - M.r) / 2, h - 8);
    canvas.addEventListener('mousemove', function (ev) {
      var i = Math.floor((ev.clientX - canvas.getBoundingClientRect().left - M.l) / slot);
      if (i < 0 || i >= n) { hideTip(); return; }
      var r = sp[i];
      showTip(ev, '<b>' + esc(r[0]) + '</b> ' + r[4] + ' \u00d7' + r[5] + '<br>' +
              esc(r[1]).split('; ').join('<br>') +
              '<br>entry ' + (r[2] === null ? 'never filled' : fmtDate(r[2], true)) +
              ' &middot; exit ' + (r[3] === null ? '\u2014' : fmtDate(r[3], true)) +
              '<br>credit ' + fmtMoney(r[6]) + ' &middot; charges ' + fmtMoney(r[7]) +
              '<br>P&amp;L ' + fmtMoney(r[8]));
    });
    canvas.addEventListener('mouseleave', hideTip);
    canvas.setAttribute('data-drawn', String(n));
  }

  function sortable(table) {
    var body = table.tBodies[0], col = -1, asc = true;
    var rows = Array.prototype.slice.call(body.rows);
    table.setAttribute('data-rows', String(rows.length));
    function key(r) {
      var c = r.cells[col]; if (!c) return '';
      var s = c.getAttribute('data-sort');
      return s !== null && s !== '' ? parseFloat(s) : c.textContent;
    }
    table.tHead.addEventListener('click', function (ev) {
      var th = ev.target.closest('th'); if (!th) return;
      var c = th.cellIndex;
      if (c === col) asc = !asc; else { col = c; asc = true; }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b), r = x < y ? -1 : x > y ? 1 : 0;
        return asc ? r : -r;
      });
      rows.forEach(function (r) { body.appendChild(r); });
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h, i) {
        h.setAttribute('aria-sort', i === col ? (asc ? 'ascending' : 'descending') : 'none');
      });
    });
  }

  // Equity (marked) with the benchmark, and its drawdown in percent: one zoom group.
  var main = new ZoomGroup(), E = D.equity;
  var eqSeries = [{ xs: E.x, ys: E.y, color: '#1a73e8', label: 'Equity' }];
  if (D.bench) {
    eqSeries.push({ xs: D.bench.x, ys: D.bench.y, color: '#f29900', label: D.bench.label, dash: [5, 3], width: 1.2 });
  }
  new LineChart('equity-chart', eqSeries, fmtMoneyAxis, main, function (t, i) {
    var s = '<br>drawdown: ' + fmtPct(E.dd[i]);
    if (D.bench) {
      var j = atOrBefore(D.bench.x, t);
      if (j >= 0) s += '<br>' + esc(D.bench.label) + ': ' + fmtMoney(D.bench.y[j]);
    }
    return s;
  });
  new LineChart('drawdown-chart', [{ xs: E.x, ys: E.dd, color: '#c62828', fill: 'rgba(198,40,40,0.18)', label: 'Drawdown' }],
      fmtPctAxis, main, function (t, i) { return '<br>equity: ' + fmtMoney(E.y[i]); });
  main.redraw(); drawn += 2;
  barChart('daily-chart', D.daily, fmtMoneyAxis, function (d) {
    return fmtDate(d[0], false) + '<br>net ' + fmtMoney(d[1]) + '<br>equity ' + fmtMoney(d[2]);
  });
  drawn += 1;
  if (D.hist) { histogram('returns-hist', D.hist); drawn += 1; }
  var others = [];
  if (D.sharpe) {
    others.push(new LineChart('rolling-sharpe-chart', [{ xs: D.sharpe.x, ys: D.sharpe.y, color: '#6a1b9a',
        label: 'Sharpe (' + D.sharpe.window + ' days)' }], fmtNumAxis, null, null, 220));
  }
  if (D.margin) {
    others.push(new LineChart('margin-chart', [{ xs: D.margin.x, ys: D.margin.y, color: '#00796b',
        fill: 'rgba(0,121,107,0.15)', step: true, label: 'Margin used' }], fmtMoneyAxis, null, null, 220));
  }
  if (D.spreads) {
    var S = D.spreads;
    spreadBars('spread-pnl-chart', S.rows); drawn += 1;
    var cap = S.capital;
    var capChart = new LineChart('capital-chart', [{ xs: cap.map(function (p) { return p[0]; }),
        ys: cap.map(function (p) { return p[1]; }), color: '#6a1b9a', step: true, label: 'Capital' }],
        fmtMoneyAxis, null, function (t, i) {
          var p = cap[i];
          return p[2] === null ? '<br>initial capital' : '<br>after ' + esc(p[2]) + ': ' + fmtMoney(p[3]);
        }, 220);
    others.push(capChart);
  }
  others.forEach(function (c) { c.draw(); drawn += 1; });
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), sortable);
  window.addEventListener('resize', function () {
    main.redraw(); others.forEach(function (c) { c.draw(); });
  });
  if (status.textContent.indexOf('error') !== 0) status.textContent = 'ok ' + drawn + ' charts';
})();
)JS";

}  // namespace nacre
