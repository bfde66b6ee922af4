#!/usr/bin/env bash
# The options-spread demo's data path, end to end: one year of synthetic NIFTY weekly chains
# (examples/nifty_spreads_synth.toml, ~2 million quotes of 4,491 contracts) read through the
# engine into OptionsSpreadStrategy, in both catalog layouts: per instrument (4,491 small
# Parquet files merged) and chain (one file per trading day, read as one sorted stream), the
# chain layout both through DuckDB ([[data]] binary_cache = false) and through its binary
# cache (built by the first chain run: that run is the cold one, the others warm).
# Generates both catalogs once (per instrument by `nacre catalog synth --layout instrument`,
# then a copy converted by `nacre catalog compact`), then runs the demo backtest on each,
# without and with a results folder, RUNS times, and prints the CLI's own report lines (run
# phase events/s, wall, peak RSS); take the best of each. It also checks that both layouts
# give byte-identical results folders.
# Usage: bench/demo_data_path.sh [path/to/nacre] [work dir] [runs]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
nacre="${1:-$root/build/release/nacre}"
work="${2:-${TMPDIR:-/tmp}/nacre_demo_data_path}"
runs="${3:-3}"
mkdir -p "$work"
if [ ! -f "$work/flat/.complete" ]; then
  rm -rf "$work/flat"
  "$nacre" catalog synth --out "$work/flat" --config "$root/examples/nifty_spreads_synth.toml" \
    --layout instrument >/dev/null
  touch "$work/flat/.complete"
fi
if [ ! -f "$work/chain/.complete" ]; then
  rm -rf "$work/chain"
  cp -a "$work/flat" "$work/chain"
  rm -f "$work/chain/.complete"
  "$nacre" catalog compact "$work/chain"
  touch "$work/chain/.complete"
fi
for layout in flat chain; do
  sed "s#\"../build/demo-catalog\"#\"$work/$layout\"#" \
    "$root/examples/nifty_spreads_backtest.toml" > "$work/$layout.toml"
done
sed 's#^catalog = .*#&\nbinary_cache = false#' "$work/chain.toml" > "$work/chain-parquet.toml"
rm -rf "$work/chain/.cache"  # the first chain run builds it
for layout in flat chain-parquet chain; do
  case "$layout" in
    flat) name="per-instrument" ;;
    chain-parquet) name="chain through DuckDB" ;;
    *) name="chain through its binary cache" ;;
  esac
  for i in $(seq "$runs"); do
    echo "$name, no results folder, run $i:"
    "$nacre" backtest "$work/$layout.toml" -q 2>&1 | grep -E "^(Run phase|Total)"
  done
  for i in $(seq "$runs"); do
    echo "$name, --out, run $i:"
    "$nacre" backtest "$work/$layout.toml" -q --out "$work/results-$layout" --force 2>&1 |
      grep -E "^(Run phase|Total)"
  done
done
if diff -r "$work/results-flat" "$work/results-chain" >/dev/null &&
  diff -r "$work/results-flat" "$work/results-chain-parquet" >/dev/null; then
  echo "results folders of every read path are byte-identical"
else
  echo "results folders differ" >&2
  exit 1
fi
