#!/usr/bin/env bash
# A Dask sweep of 8 points on 2 local workers vs the local process pool: overhead per task.
# Starts a Dask scheduler and 2 workers (one thread each, Debian's python3-distributed) on
# 127.0.0.1 on free ports, then runs the same grids over examples/sma_cross_demo.toml with
# `--engine local --workers 2` and `--engine dask`, each into a fresh folder (nothing reused),
# REPEAT times (default 5), and prints the median wall times:
#   8 points: local, dask, and (dask - local) / 8 = the overhead per task;
#   1 point:  dask - local = the fixed cost of a Dask sweep (Python driver, connection,
#             build check on the workers);
#   the marginal overhead per task once connected: ((dask8 - local8) - (dask1 - local1)) / 7;
#   8 points resubmitted: every row reused from the sweep folder, no cluster work.
# Usage: bench/dask_sweep_overhead.sh [NACRE]   (default build/release/nacre, else build/ci/nacre)
set -euo pipefail
cd "$(dirname "$0")/.."
nacre=${1:-build/release/nacre}
[ -x "$nacre" ] || nacre=build/ci/nacre
nacre=$(realpath "$nacre")
python=${NACRE_PYTHON:-/usr/bin/python3}
repeat=${REPEAT:-5}
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

"$python" -m distributed.cli.dask_scheduler --host 127.0.0.1 --port 0 \
  --dashboard-address 127.0.0.1:0 --scheduler-file "$tmp/scheduler.json" >"$tmp/scheduler.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do [ -s "$tmp/scheduler.json" ] && break; sleep 0.1; done
for w in 1 2; do
  "$python" -m distributed.cli.dask_worker --scheduler-file "$tmp/scheduler.json" --nthreads 1 \
    --host 127.0.0.1 --dashboard-address 127.0.0.1:0 --local-directory "$tmp/w$w" \
    >"$tmp/w$w.log" 2>&1 &
  pids+=($!)
done
for w in 1 2; do
  for _ in $(seq 300); do grep -q "Registered to:" "$tmp/w$w.log" && break; sleep 0.1; done
  grep -q "Registered to:" "$tmp/w$w.log" || { cat "$tmp/w$w.log" >&2; exit 1; }
done
scheduler=$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["address"])' \
  "$tmp/scheduler.json")

printf 'strategies.fast_period = [3, 4, 5, 6, 7, 8, 9, 10]\n' >"$tmp/grid8.toml"
printf 'strategies.fast_period = [10]\n' >"$tmp/grid1.toml"
config=examples/sma_cross_demo.toml

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
# sweep OUT ARGS...: one sweep into folder OUT, its wall time in seconds on stdout.
sweep() {
  local out=$1 t0
  shift
  t0=$(now)
  "$nacre" sweep "$config" --out "$out" "$@" >/dev/null 2>"$out.err" || { cat "$out.err" >&2; exit 1; }
  calc "$(now) - $t0"
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -a l8 d8 l1 d1 r8
dask=(--engine dask --scheduler "$scheduler")
for i in $(seq "$repeat"); do
  l8+=("$(sweep "$tmp/l8-$i" --grid "$tmp/grid8.toml" --workers 2)")
  d8+=("$(sweep "$tmp/d8-$i" --grid "$tmp/grid8.toml" "${dask[@]}")")
  r8+=("$(sweep "$tmp/d8-$i" --grid "$tmp/grid8.toml" "${dask[@]}")")  # every point reused
  l1+=("$(sweep "$tmp/l1-$i" --grid "$tmp/grid1.toml" --workers 2)")
  d1+=("$(sweep "$tmp/d1-$i" --grid "$tmp/grid1.toml" "${dask[@]}")")
done
L8=$(median "${l8[@]}") D8=$(median "${d8[@]}") R8=$(median "${r8[@]}")
L1=$(median "${l1[@]}") D1=$(median "${d1[@]}")
echo "$("$nacre" --version); $(nproc) cores; medians of $repeat; 2 Dask workers x 1 thread vs --workers 2"
echo "8 points   local $L8 s   dask $D8 s   overhead per task $(calc "($D8 - $L8) / 8") s"
echo "1 point    local $L1 s   dask $D1 s   fixed cost of a Dask sweep $(calc "$D1 - $L1") s"
echo "marginal overhead per task once connected $(calc "(($D8 - $L8) - ($D1 - $L1)) / 7") s"
echo "8 points resubmitted, every row reused: $R8 s"
