// Importers: turn market-data files into catalog data. Every bad row is an error naming the
// file, line (CSV/JSON) or row (Parquet) and the column; nothing partial is written.
//   nautilus        Parquet written by NautilusTrader (quotes, trades or bars; 8- or 16-byte
//                   raws; id and precisions from the Arrow schema or the options)
//   nse_index_1min  "Instrument,Date,Time,Open,High,Low,Close" (IST bar-open minutes); the
//                   index id comes from the file name (NIFTY_* -> "NIFTY 50.NSE",
//                   BANKNIFTY_* -> "NIFTY BANK.NSE") unless --instrument is given
//   ohlcv_csv       "datetime,open,high,low,close[,volume]" (bar_csv.h)
//   csv             any CSV with a column mapping: bars (CsvBarMapping: time, OHLC[V]; e.g.
//                   BANKNIFTY_15min_2018_2023.csv, "Time" epoch seconds), quotes
//                   ("datetime,bid,ask,bid_size,ask_size") or trades
//                   ("datetime,price,size[,aggressor][,trade_id]") (tick_csv.h). The kind is
//                   `data_type` or, for "auto", quotes when the header has bid and ask, trades
//                   when it has price, else bars. Column names map with `columns` (field ->
//                   header name). Times: epoch_s/ms/us/ns or datetime (naive ones at
//                   `utc_offset`, IST by default), auto-detected unless given. Tick files need
//                   --instrument (or a NIFTY/BANKNIFTY file name); the instrument definition is
//                   added only when the catalog has none (a NIFTY option symbol on NFO becomes
//                   its option contract from src/nse, anything else an index)
//   nse_oc_parquet  NIFTY option-chain snapshots (oc_*.parquet): option instruments (Zerodha
//                   symbols, lot sizes and expiries from src/nse) and per-minute last-price bars
//                   ("{id}-1-MINUTE-LAST-EXTERNAL", stamped at the snapshot minute + 1 min);
//                   IV, OI, volume and spot go to data/option_chain/{underlying}/ (Parquet)
//   nse_oc_csv      NSE website option-chain export (two-row header, Indian digit grouping,
//                   '-' empty): one quote per strike and side with bid, ask and sizes, at the
//                   snapshot time given by `at`; the expiry comes from "exp30Jun2026" in the
//                   file name or `expiry`
//   kite_json       Kite historical candles ({"data":{"candles":[[time,o,h,l,c,v(,oi)]...]}})
//   nse_holidays    NSE F&O holiday list (DD-Mon-YYYY per line): validated and copied to
//                   {root}/reference/ for [calendar] configs
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "model/data.h"
#include "model/instrument.h"
#include "persistence/catalog.h"

namespace nacre {

struct CsvBarMapping {
  std::string time_column;              // empty: Time, datetime, timestamp, ... (tick_csv.h)
  std::string time_format = "auto";     // auto | epoch_s | epoch_ms | epoch_us | epoch_ns | datetime
  DurationNs utc_offset = kIstOffset;   // for naive datetimes
  std::string open = "Open";
  std::string high = "High";
  std::string low = "Low";
  std::string close = "Close";
  std::string volume;           // optional
  bool stamped_at_open = true;  // else the time is the bar's close
};

struct ImportOptions {
  std::string format = "auto";
  std::string instrument;  // instrument id override
  std::string bar_type;    // bar type override (bars)
  int price_precision = -1;
  int size_precision = -1;
  std::optional<UnixNanos> at;      // snapshot time (nse_oc_csv)
  std::optional<CivilDate> expiry;  // nse_oc_csv when the file name has none
  std::string holidays_dir;         // NSE holiday files (default: beside the input file)
  CsvBarMapping csv;
  std::string data_type = "auto";               // csv: auto | bar | quote | trade
  std::map<std::string, std::string> columns;   // csv: field -> header name (time, open, ...,
                                                // bid, ask, bid_size, ask_size, price, size,
                                                // aggressor, trade_id)
  // Bars whose high/low do not contain open and close (real files have some): "error"
  // (default), "skip" them, or "widen" high/low to contain them. csv and kite_json formats.
  std::string bad_bars = "error";
};

// What one file turned into.
struct ImportBatch {
  std::string path;
  std::string format;
  std::vector<Instrument> instruments;
  std::map<std::string, std::vector<QuoteTick>> quotes;  // by instrument id
  std::map<std::string, std::vector<TradeTick>> trades;
  std::map<std::string, std::vector<Bar>> bars;  // by bar type
  // nse_oc_parquet side data; nse_holidays: the validated text.
  struct ChainStat {
    std::string instrument_id;
    UnixNanos ts;
    double iv = 0;
    std::int64_t oi = 0;
    std::int64_t volume = 0;
    std::int64_t spot_raw = 0;
  };
  std::vector<ChainStat> chain_stats;
  std::string holidays_text;
  std::uint64_t skipped = 0;    // rows with nothing to import (e.g. '-' bid/ask)
  // nse_oc_csv: sides with one price missing (QuoteTick needs both), skipped and named.
  std::uint64_t one_sided = 0;
  std::vector<std::string> warnings;  // one line per kind, printed after the summary
  bool instruments_if_absent = false;  // define only instruments the catalog lacks
  std::uint64_t fixed = 0;      // bad bars skipped or widened (bad_bars)
  std::uint64_t identical = 0;  // series already in the catalog with identical data

  std::uint64_t rows() const;
  std::string Describe() const;
};

// Detects the format (unless given) and reads the whole file.
Result<ImportBatch> ImportFile(const std::string& path, const ImportOptions& options);
// Writes a batch: instruments, then each series (refused on overlap), side data.
// Data already present with identical values is skipped (counted in batch.identical).
Status WriteImport(Catalog& catalog, ImportBatch& batch);

}  // namespace nacre
