// CSV bar loaders. Two formats:
// - NSE index 1-minute ("Instrument,Date,Time,Open,High,Low,Close", Date YYYYMMDD, Time
//   HH:MM, the bar's opening minute in IST), as in NIFTY_2024_1min.csv.
// - Generic OHLCV ("datetime,open,high,low,close[,volume]") with naive timestamps read in a
//   configured UTC offset, stamped at the bar's open (default) or close.
// Prices are parsed exactly (no floating point) and must fit the instrument's precision.
// Any bad row is an error naming the file, line and column; nothing partial is returned.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "model/data.h"
#include "persistence/data_stream.h"

namespace nacre {

enum class BarCsvFormat : std::uint8_t { kNseIndex1Min, kGenericOhlcv };
enum class BarTimestamp : std::uint8_t { kOpen, kClose };

struct BarCsvOptions {
  BarCsvFormat format = BarCsvFormat::kNseIndex1Min;
  BarType bar_type;
  int price_precision = 2;
  int size_precision = 0;
  DurationNs utc_offset = kIstOffset;  // generic format only (NSE format is always IST)
  BarTimestamp timestamp = BarTimestamp::kOpen;
};

Result<std::vector<Bar>> LoadBarsCsv(const std::string& path, const BarCsvOptions& options);
// Same, from text already in memory (`name` is used in messages).
Result<std::vector<Bar>> ParseBarsCsv(std::string_view text, const std::string& name,
                                      const BarCsvOptions& options);
// The same rows as a stream read in blocks: memory stays flat however long the file. The
// header is checked when opening; a bad row ends the stream with the same error LoadBarsCsv
// gives (file, line, column).
Result<std::unique_ptr<DataStream>> OpenBarsCsvStream(const std::string& path,
                                                      const BarCsvOptions& options);

}  // namespace nacre
