# Sourced by scripts/demo and scripts/live-emulator: synthesises the demo's NIFTY option
# catalog into build/demo-catalog on the first run (with the release build's nacre), or converts
# an older per-contract catalog to the chain layout. NACRE: the binary (default: the release
# build's).
demo_catalog() {
  local catalog=build/demo-catalog
  local nacre=${NACRE:-./build/release/nacre}
  if [ ! -f "$catalog/.complete" ]; then
    rm -rf "$catalog"
    echo "demo: synthesising one year of NIFTY weekly option chains into $catalog (first run only)" >&2
    local start
    start=$(date +%s)
    "$nacre" catalog synth --out "$catalog" --config examples/nifty_spreads_synth.toml
    touch "$catalog/.complete"
    echo "demo: catalog ready in $(( $(date +%s) - start )) s" >&2
  elif [ ! -d "$catalog/data/chain/quote_tick" ]; then
    # A catalog synthesised before the chain layout: one file per contract. Convert it.
    echo "demo: converting $catalog to the chain layout (one file per trading day)" >&2
    "$nacre" catalog compact "$catalog"
  fi
}
