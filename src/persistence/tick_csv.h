// Column-mapped CSV of quote or trade ticks (the `csv` import format for ticks):
//   quotes  time, bid, ask, bid_size, ask_size          e.g. "datetime,bid,ask,bid_size,ask_size"
//   trades  time, price, size [, aggressor] [, trade_id] e.g. "datetime,price,size,aggressor"
// Column names are matched case-insensitively; `columns` maps a field to another header name
// ({"bid", "BidPx"}). The time column is `time_column`, else the first header named time,
// datetime, timestamp, date_time, ts_event or ts. Time formats: epoch_s, epoch_ms, epoch_us,
// epoch_ns, datetime ("YYYY-MM-DD[ T]HH:MM[:SS[.f]]" with an optional Z/+HH:MM; naive times
// use `utc_offset`, IST by default) or auto (decided once from the first row: a '-' means
// datetime, else the digit count: <= 10 s, <= 13 ms, <= 16 us, else ns).
// Every row is checked before anything is returned: a bad row is an error "file:line: column
// N (name): why" (unparsable or NaN numbers, negative or zero prices, negative sizes, a crossed
// quote (bid > ask), an unparsable time, a time earlier than the row before). Equal times are
// allowed (several ticks in one timestamp keep file order). ts_event = ts_init = the row's time.
// Aggressor: BUY/B/BUYER, SELL/S/SELLER, or empty/NO_AGGRESSOR/NONE/N (any case). trade_id is
// optional (empty when the file has none).
// Parsing works on views of one read of the file: no allocation per row beyond the output.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "model/data.h"

namespace nacre {

enum class CsvTickKind : std::uint8_t { kQuote, kTrade };

struct CsvTickOptions {
  CsvTickKind kind = CsvTickKind::kQuote;
  InstrumentId instrument_id;
  std::string time_column;              // empty: the first of the usual names
  std::string time_format = "auto";     // auto | epoch_s | epoch_ms | epoch_us | epoch_ns | datetime
  DurationNs utc_offset = kIstOffset;   // for naive datetimes
  std::map<std::string, std::string> columns;  // field -> header name overrides
  int price_precision = 2;
  int size_precision = 0;
};

struct CsvTicks {
  std::vector<QuoteTick> quotes;
  std::vector<TradeTick> trades;
};

// The header's fields that decide the kind: bid and ask (quotes) or price (trades), after the
// `columns` mapping; an error naming the header when neither is present.
Result<CsvTickKind> DetectCsvTickKind(const std::string& path,
                                      const std::map<std::string, std::string>& columns);
// True when the header holds bid and ask, or price and size, columns (after mapping).
bool LooksLikeTickCsv(const std::string& header_line);

// A CSV time column's parser: the format (see above) is fixed at the first value for "auto".
class CsvTimeParser {
 public:
  static Result<CsvTimeParser> Make(std::string_view format, DurationNs utc_offset);
  Result<UnixNanos> Parse(std::string_view value);

 private:
  CsvTimeParser(std::uint8_t format, DurationNs utc_offset)
      : format_(format), utc_offset_(utc_offset) {}
  std::uint8_t format_;
  DurationNs utc_offset_;
};

// A whole file as text (the CSV loaders read files whole); "PATH: cannot open" otherwise.
Result<std::string> ReadWholeFile(const std::string& path);

// The index of the time column in `header`: `name` if given, else the first of the usual
// names; kNoColumn when absent.
inline constexpr std::size_t kNoColumn = std::size_t(-1);
std::size_t FindTimeColumn(const std::vector<std::string>& header, const std::string& name);

Result<CsvTicks> LoadTicksCsv(const std::string& path, const CsvTickOptions& options);

}  // namespace nacre
