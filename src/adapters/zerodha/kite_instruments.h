// The Kite instruments dump (GET /instruments, /instruments/:exchange): CSV with exactly the
// header below, CRLF line ends, numbers as Kite prints them ("0.0", "2528.4", "23500.0",
// "0.05") and instrument_token = exchange_token << 8 | segment id (1 NSE, 2 NFO, 3 CDS, 4 BSE,
// 5 BFO, 6 BCD, 7 MCX, 8 MCXSX, 9 INDICES). Parsed strictly (every field checked, errors name
// the source, line and column) and written back byte for byte. Prices are exact decimals.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "model/money.h"

namespace nacre {

inline constexpr std::string_view kKiteInstrumentsHeader =
    "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,"
    "lot_size,instrument_type,segment,exchange";

struct KiteInstrumentRow {
  std::uint32_t instrument_token = 0;
  std::uint32_t exchange_token = 0;
  std::string tradingsymbol;
  std::string name;
  Price last_price;
  std::string expiry;  // YYYY-MM-DD or empty
  Price strike;
  Price tick_size;
  std::int64_t lot_size = 0;
  std::string instrument_type;  // EQ, FUT, CE, PE
  std::string segment;          // NSE, NFO-OPT, NFO-FUT, INDICES, ...
  std::string exchange;         // NSE, NFO, BSE, ...
  friend bool operator==(const KiteInstrumentRow&, const KiteInstrumentRow&) = default;
};

// The segment id of a dump's `segment` column (INDICES 9, NFO-* 2, ...), or 0 when unknown.
std::uint32_t KiteSegmentId(std::string_view segment);

Result<std::vector<KiteInstrumentRow>> ParseKiteInstrumentsCsv(std::string_view text,
                                                               std::string_view source);
std::string WriteKiteInstrumentsCsv(const std::vector<KiteInstrumentRow>& rows);

// A decimal as Kite's dump prints it: the shortest form with at least one decimal ("23500.0").
std::string KiteNumberText(const Price& p);

}  // namespace nacre
