#!/usr/bin/env bash
# The Zerodha fault drill, long form (issue 15 item 8; bench/kite_fault_drill.h says what a run
# does and checks): the options-spread application trades live through the Zerodha adapter
# against the Kite emulator while its fault plan fires, killed with SIGKILL at random moments
# (4 a run: at journal failpoints or from outside) and restarted, one Kite day after another
# until at least MIN_FAULTS faults fired; each day checked against the emulator's ledger.
# Prints a line per day and the totals (runs, kills, faults by kind, orders, lost, duplicated);
# exits 1 if anything was lost, duplicated or mismatched. About 2 minutes a day.
#   bench/kite_fault_drill.sh [MIN_FAULTS] [SEED]     (build/release, or NACRE_PRESET=ci)
# Extra flags after the two go to the drill (--market-minutes, --kills, --speed, --keep, --json).
set -euo pipefail
cd "$(dirname "$0")/.."
min_faults=${1:-1000}
seed=${2:-1}
shift $(( $# > 2 ? 2 : $# ))
preset=${NACRE_PRESET:-release}
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" --target nacre nacre_kite_fault_drill
"./build/$preset/bench/nacre_kite_fault_drill" --nacre "./build/$preset/nacre" --source . \
  --min-faults "$min_faults" --seed "$seed" --market-minutes 120 --kills 4 "$@"
