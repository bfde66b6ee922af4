#!/usr/bin/env bash
# Installs the Debian 12 packages Nacre needs to build and test, skipping what is present.
# Safe to run repeatedly; needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config ccache
  libfmt-dev libtomlplusplus-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libsimdjson-dev libsqlite3-dev
  # net: Boost.Asio/Beast 1.74 (Debian's; 1.81 conflicts with QuantLib's dev package), OpenSSL 3
  libboost-dev libssl-dev
  # net: gzip bodies (the instruments dump, as Kite sends it)
  zlib1g-dev
  # tests only: the openssl command serves TLS to the HTTPS client's tests
  openssl
  # tests only: QuantLib cross-checks the pricing module; Chromium opens report.html
  libquantlib0-dev chromium
  # `nacre sweep --engine dask`: Dask distributed (the `dask scheduler` / `dask worker`
  # commands and the Python library the sweep's driver uses); its tests start a local cluster
  python3-distributed
)
# npm fetches DuckDB's official C library (scripts/fetch_duckdb.sh); install Debian's npm
# only when no npm is on the PATH (many machines already have Node.js and npm).
if ! command -v npm >/dev/null 2>&1; then
  packages+=(npm)
fi
# Node.js runs Zerodha's official client in the conformance tests (tests/conformance/kitejs).
if ! command -v node >/dev/null 2>&1; then
  packages+=(nodejs)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo_cmd apt-get update -qq
$sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
