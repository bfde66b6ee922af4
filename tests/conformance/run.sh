#!/usr/bin/env bash
# The conformance run: starts `nacre kite-emu` on a free port with tests/conformance/emulator.toml
# and drives it with Zerodha's official JS client (kitejs/run.js over scenario.json).
# Usage: tests/conformance/run.sh PATH/TO/nacre
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
nacre="$1"
if ! command -v node >/dev/null 2>&1; then
  echo "node is not installed (scripts/setup.sh installs it)" >&2
  exit 1
fi
if [ ! -d "$here/kitejs/node_modules/kiteconnect" ]; then
  echo "kiteconnect is not installed: run scripts/setup.sh (npm ci in tests/conformance/kitejs)" >&2
  exit 1
fi
work="$(mktemp -d)"
out="$work/emu.out"
# A week of the synthetic NIFTY chain (May 2026: after SEBI's 2026-04-01 market-protection rule)
# for the instruments dump, the market and the orders.
"$nacre" catalog synth --out "$work/catalog" --config "$here/../../examples/nifty_spreads_synth.toml" \
  --start 2026-05-04 --end 2026-05-08 >"$work/synth.log" 2>&1 || { cat "$work/synth.log" >&2; exit 1; }
{ cat "$here/emulator.toml"; printf 'catalog = "%s"\n' "$work/catalog"; } >"$work/emulator.toml"
"$nacre" kite-emu "$work/emulator.toml" >"$out" 2>&1 &
emu=$!
trap 'kill $emu 2>/dev/null || true; wait $emu 2>/dev/null || true; rm -rf "$work"' EXIT
# Wait for the "listening" line (the emulator prints it once it accepts), at most 20 s.
url=""
for _ in $(seq 1 200); do
  url="$(sed -n 's/^kite-emu listening on //p' "$out")"
  [ -n "$url" ] && break
  if ! kill -0 $emu 2>/dev/null; then
    echo "kite-emu exited:" >&2
    cat "$out" >&2
    exit 1
  fi
  sleep 0.1
done
[ -n "$url" ] || { echo "kite-emu did not start:" >&2; cat "$out" >&2; exit 1; }
ticker="$(sed -n 's/^kite-emu ticker on //p' "$out")"
node "$here/kitejs/run.js" "$url" conformance_key conformance_secret "$ticker"
