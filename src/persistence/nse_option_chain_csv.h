// NSE's option-chain CSV export (nseindia.com "Download (.csv)"): a first header row starting
// "CALLS" ("CALLS,,PUTS"), a second naming the columns (calls left of STRIKE, puts right:
// OI, CHNG IN OI, VOLUME, IV, LTP, CHNG, BID QTY, BID, ASK, ASK QTY | STRIKE | the same
// mirrored), numbers with Indian digit grouping in quotes ("1,02,24,901") and '-' for empty.
// Parsed here once for the catalog importer (`nacre catalog import --format nse_oc_csv`) and
// `nacre options chain --quotes`. A side of the book is present when its price and quantity
// are both positive; a strike side with one of bid/ask is one-sided: kept in the rows with
// its flags, counted and named (first 20) so callers skip it with a warning, never invent the
// missing price. Any bad cell is an error naming file:line, column number and header name.
// Pure; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "model/money.h"

namespace nacre {

struct NseChainSide {
  Price bid;
  Price ask;
  std::int64_t bid_qty = 0;
  std::int64_t ask_qty = 0;
  bool has_bid = false;  // price and quantity both positive
  bool has_ask = false;
  bool two_sided() const { return has_bid && has_ask; }
};

struct NseChainRow {
  std::size_t line = 0;  // 1-based line in the file
  Price strike;
  std::array<NseChainSide, 2> side;  // 0 = calls (CE), 1 = puts (PE)
};

struct NseChainCsv {
  std::string path;
  std::vector<std::string> header;  // the second header row
  std::size_t strike_col = 0;       // 0-based
  // Per side (0 calls, 1 puts): BID QTY, BID, ASK, ASK QTY (0-based columns).
  std::array<std::array<std::size_t, 4>, 2> cols{};
  std::vector<NseChainRow> rows;
  std::uint64_t empty_sides = 0;             // strike sides with neither bid nor ask
  std::uint64_t one_sided = 0;               // strike sides with only one of them
  std::vector<std::string> one_sided_names;  // "line 151 strike 34500.00 PE (no bid; ask 10890.60)"

  // "column N (NAME, calls)" for 0-based column `col` (the side left or right of STRIKE).
  std::string Column(std::size_t col) const;
  // "file:line: column N (NAME, side)".
  std::string Where(std::size_t line, std::size_t col) const;
  // The counted, named warning about one-sided sides (empty when there are none).
  std::string OneSidedWarning() const;
};

// Whether a CSV's first line is the export's first header row.
bool IsNseOptionChainHeader(std::string_view first_line);
// Parses the whole export (`path` only names the file in messages). Refuses a bad header, a
// strike that is not a positive number, a cell that is not '-' or a non-negative number, too
// few fields, and a crossed two-sided quote (ask below bid).
Result<NseChainCsv> ParseNseOptionChainCsv(std::string_view text, const std::string& path);

}  // namespace nacre
