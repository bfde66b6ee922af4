// DuckDB views over a catalog folder for `nacre catalog query`: the files as stored (raw
// fixed-point integers) and typed views with exact decimal prices, IST times and option-chain
// joins. Prices and sizes are DECIMAL(38, p) where p is the finest precision any file of that
// type declares (its `price_precision` / `size_precision` metadata; 9 when none does), so every
// value is exact (a raw always fits its file's precision). Times stay UBIGINT nanoseconds
// (ts_event, ts_init) with `time_ist` added: ts_event as an IST wall-clock TIMESTAMP.
// A view is created only when the SQL names it (or a view built on it), so a query over a
// catalog of many thousand files reads only the footers it needs.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "persistence/duckdb.h"

namespace nacre {

// Creates the views `sql` refers to over the catalog at `root`.
Status CreateCatalogViews(duck::Connection& con, const std::string& root, std::string_view sql);

// The views and their columns, for --help and the docs.
const char* CatalogViewsHelp();

}  // namespace nacre
