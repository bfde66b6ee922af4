#!/usr/bin/env bash
# End-to-end SMA(10/50) backtest on 1,000,125 one-minute bars read from a generic OHLCV CSV
# (issue 3's "1 million bars from CSV" figure). Generates the CSV once (seeded awk random walk
# on the ₹0.05 grid, weekdays 09:15-15:29 IST), then runs `nacre backtest` without and with a
# results folder and prints the CLI's own report lines (wall time, events/s, peak RSS).
# Usage: bench/sma_csv_end_to_end.sh [path/to/nacre] [work dir]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
nacre="${1:-$root/build/release/nacre}"
work="${2:-${TMPDIR:-/tmp}/nacre_sma_csv_bench}"
rows=1000125
mkdir -p "$work"
if [ ! -f "$work/bars.csv" ] || [ "$(wc -l < "$work/bars.csv")" -ne $((rows + 1)) ]; then
  awk -v rows="$rows" 'BEGIN {
    srand(7); print "datetime,open,high,low,close,volume";
    px = 434000; n = 0; d = 0;  # price in 0.05 ticks: 21,700.00
    while (n < rows) {
      t = mktime("2015 01 01 00 00 00") + d * 86400; d++;
      if (strftime("%u", t) > 5) continue;
      day = strftime("%Y-%m-%d", t);
      for (m = 0; m < 375 && n < rows; m++) {
        o = px; h = o; l = o;
        for (k = 0; k < 4; k++) { px += int(rand() * 9) - 4; if (px > h) h = px; if (px < l) l = px; }
        mm = 555 + m;
        printf "%s %02d:%02d:00,%.2f,%.2f,%.2f,%.2f,%d\n", day, int(mm / 60), mm % 60,
               o * 0.05, h * 0.05, l * 0.05, px * 0.05, 100 + int(rand() * 900);
        n++;
      }
    }
  }' > "$work/bars.csv"
fi
# The demo's SMA config with the CSV as its data.
awk '/^\[\[data\]\]/ { skip = 1 } /^\[\[strategies\]\]/ { skip = 0;
       print "[[data]]\nformat = \"ohlcv_csv\"\npath = \"bars.csv\"";
       print "bar_type = \"NIFTY-I.NFO-1-MINUTE-LAST-EXTERNAL\"\nutc_offset = \"+05:30\"\n" }
     !skip' "$root/examples/sma_cross_demo.toml" > "$work/sma_csv.toml"
echo "run without a results folder:"
"$nacre" backtest "$work/sma_csv.toml" 2>&1 | grep -E "^(Run phase|Total)"
echo "run writing the results folder:"
"$nacre" backtest "$work/sma_csv.toml" --out "$work/results" 2>&1 | grep -E "^(Run phase|Total)"
