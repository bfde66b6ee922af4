#!/usr/bin/env bash
# The scale run of issue 16: ~22,906 synthetic NIFTY option instruments over 24 months at
# 15-minute quotes, streamed through one backtest subscribed to all of them
# (bench/synth_scale_bench.cpp). Builds the benchmark if needed, generates each catalog once
# (chain layout and, for comparison, per instrument; reused while it exists), then runs the
# backtest RUNS times per case: the chain catalog cold (its binary cache {catalog}/.cache
# deleted before each run, so the run reads Parquet and builds the cache), the chain catalog
# warm (cache present) and the per-instrument catalog. Prints each run's first event (s),
# quotes/s, peak RSS (MiB) and the catalog's and cache's sizes on disk; take the best of each.
# Usage: bench/synth_scale.sh [path/to/nacre_synth_scale_bench] [work dir] [runs] [layouts]
#   layouts: "chain instrument" (default), or one of them.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bench="${1:-$root/build/release/bench/nacre_synth_scale_bench}"
work="${2:-${TMPDIR:-/tmp}}"
runs="${3:-2}"
layouts="${4:-chain instrument}"
if [ ! -x "$bench" ]; then
  (cd "$root" && cmake --preset release >/dev/null &&
    cmake --build --preset release --target nacre_synth_scale_bench)
fi
report() {
  grep -oE "BacktestAllInstruments[^ ]* .*" | tr -s ' ' '\n' |
    grep -E "^(first_event_s|quotes_per_s_run|quotes_per_s_streaming|peak_rss_MiB|MiB_data|MiB_cache|cache_hits|cache_built|quotes)=" |
    tr '\n' ' '
  echo
}
for layout in $layouts; do
  if [ "$layout" = chain ]; then dir="$work/nacre_scale_catalog_chain"; else dir="$work/nacre_scale_catalog"; fi
  if [ ! -f "$dir/.complete" ]; then
    rm -rf "$dir"
    echo "generating the $layout catalog in $dir ..."
    NACRE_SCALE_LAYOUT=$layout NACRE_SCALE_CATALOG="$dir" "$bench" \
      --benchmark_filter='^SynthScaleCatalog/' --benchmark_counters_tabular=false
    touch "$dir/.complete"
  fi
  cases=run  # the per-instrument layout has no binary cache
  [ "$layout" = chain ] && cases="cold warm"
  for c in $cases; do
    for i in $(seq "$runs"); do
      [ "$c" = cold ] && rm -rf "$dir/.cache"
      echo -n "$layout $c $i: "
      NACRE_SCALE_LAYOUT=$layout NACRE_SCALE_CATALOG="$dir" "$bench" \
        --benchmark_filter='^BacktestAllInstruments/' --benchmark_counters_tabular=false 2>&1 |
        report
    done
  done
done
