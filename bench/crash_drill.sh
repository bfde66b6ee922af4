#!/usr/bin/env bash
# The sandbox node's kill -9 drill (issue 14, LIVE.md §12), longer than the CI test
# (tests/integration/sandbox_node_test.cpp): the options-spread application in the sandbox
# over a one-week synthetic catalog, killed ROUNDS times, at a random journal failpoint
# (NACRE_FAILPOINT) or at a random moment (SIGKILL from outside), and restarted each time with
# --exit-on-start-failure, so a restart whose recovered orders or positions disagree with the
# sandbox venue's ledger fails (exit 3). At the end: the journal verified (gapless, every
# fill once, legal order histories), orders lost in flight (rejected as never received) and
# the counts.
#   bench/crash_drill.sh [ROUNDS] [SEED]        (build/release/nacre, or NACRE=path)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-50}
seed=${2:-1}
nacre=${NACRE:-build/release/nacre}
work=$(mktemp -d /tmp/nacre_drill.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$nacre" catalog synth --out "$work/catalog" --config examples/nifty_spreads_synth.toml \
  --start 2025-01-06 --end 2025-01-10 >/dev/null
sed -e "s|catalog = \"../build/demo-catalog\"|catalog = \"$work/catalog\"|" \
    -e "s|state_dir = \"state\"|state_dir = \"$work/state\"|" \
    -e "s|dir = \"sandbox-results\"|dir = \"$work/results\"|" \
    -e "s|start = \"2025-03-03T09:00\"|start = \"2025-01-06T09:00\"|" \
    -e "s|end = \"2025-03-07T15:30\"|end = \"2025-01-10T15:30\"|" \
    -e "s|speed = 3600|speed = 20000|" examples/nifty_spreads_sandbox.toml > "$work/node.toml"
points=(after_intent_commit after_send before_commit after_venue_save)
RANDOM=$seed
# Per finished session: its journal verified, its orders and those rejected at a restart as
# never received by the venue (lost in flight) counted.
sessions_bad=0; orders=0
tally() {
  local j="$work/state/TRADER-001/journal.sqlite" v
  v=$("$nacre" journal verify "$j") || true
  grep -q "verify: ok" <<<"$v" || { echo "$v"; sessions_bad=$((sessions_bad + 1)); }
  orders=$((orders + $(grep -o "^orders: [0-9]*" <<<"$v" | grep -o "[0-9]*$")))
  lost=$((lost + $("$nacre" journal show "$j" | grep -c LOST_IN_FLIGHT || true)))
}
kills=0; failpoint_kills=0; timed_kills=0; recon_failures=0; lost=0; completed=0
for ((i = 1; i <= rounds; i++)); do
  if (( RANDOM % 2 )); then
    fp="${points[RANDOM % 4]}:$((1 + RANDOM % 8))"
    set +e
    NACRE_FAILPOINT=$fp "$nacre" run -q --exit-on-start-failure "$work/node.toml" >"$work/out" 2>&1
    rc=$?
    set -e
    [[ $rc == 137 ]] && failpoint_kills=$((failpoint_kills + 1))
  else
    "$nacre" run -q --exit-on-start-failure "$work/node.toml" >"$work/out" 2>&1 &
    pid=$!
    sleep "0.$((RANDOM % 9 + 1))"
    kill -9 $pid 2>/dev/null || true
    set +e; wait $pid; rc=$?; set -e
    [[ $rc == 137 ]] && timed_kills=$((timed_kills + 1))
  fi
  [[ $rc == 137 ]] && kills=$((kills + 1))
  [[ $rc == 0 ]] && completed=$((completed + 1))
  [[ $rc == 3 ]] && { recon_failures=$((recon_failures + 1)); cat "$work/out"; }
  if [[ $rc != 0 && $rc != 137 && $rc != 3 ]]; then cat "$work/out"; echo "round $i: exit $rc"; exit 1; fi
  if [[ $rc == 0 ]]; then
    # The week ran out: check it and start again on a fresh state (another session to kill).
    tally
    rm -rf "$work/state"
  fi
done
"$nacre" run -q --exit-on-start-failure "$work/node.toml" >"$work/out" 2>&1
tally
echo "crash drill: seed $seed, $rounds rounds: $kills kills ($failpoint_kills at failpoints, $timed_kills at random times), $((completed + 1)) sessions, $orders orders, $lost rejected at a restart as never received (lost in flight), $recon_failures restarts refused by reconciliation, $sessions_bad journals failing verify"
[[ $sessions_bad == 0 && $recon_failures == 0 ]]
