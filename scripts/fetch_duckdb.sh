#!/usr/bin/env bash
# Fetches the official DuckDB C library and header from the npm registry into DEST:
#   DEST/lib/libduckdb.so      from @duckdb/node-bindings-linux-x64@1.4.4-r.1
#   DEST/include/duckdb.h      from duckdb@1.4.4 (package/src/duckdb/src/include/duckdb.h)
# Does nothing when both files are already there (the build tree caches them).
set -euo pipefail
dest=${1:?usage: fetch_duckdb.sh DEST}
lib_pkg="@duckdb/node-bindings-linux-x64@1.4.4-r.1"
hdr_pkg="duckdb@1.4.4"
if [ -f "$dest/lib/libduckdb.so" ] && [ -f "$dest/include/duckdb.h" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "fetch_duckdb: npm is required (scripts/setup.sh installs it)" >&2; exit 1; }
mkdir -p "$dest/lib" "$dest/include" "$dest/npm"
cd "$dest/npm"
echo "fetch_duckdb: npm pack $lib_pkg $hdr_pkg" >&2
lib_tgz=$(npm pack --silent "$lib_pkg" | tail -n 1)
hdr_tgz=$(npm pack --silent "$hdr_pkg" | tail -n 1)
tar xzf "$lib_tgz" package/libduckdb.so
mv package/libduckdb.so "$dest/lib/libduckdb.so"
tar xzf "$hdr_tgz" package/src/duckdb/src/include/duckdb.h
mv package/src/duckdb/src/include/duckdb.h "$dest/include/duckdb.h"
rm -rf package "$lib_tgz" "$hdr_tgz"
