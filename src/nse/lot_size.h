// LotSizeTable: the lot size of an index option contract, as data. NSE fixes a contract's lot
// when it is listed and, for most revisions, applies a change to contracts by expiry; so a
// lot is looked up by the contract (underlying, expiry date and kind, listing date), never by
// the trade date. Each row is a change: "contracts of this underlying (and kind) whose expiry
// date, or whose listing date, is on or after `from` have this lot". Of the rows matching a
// contract the latest change (greatest `from`) wins; between rows with the same `from` the
// later row in the table wins, so an override is a row appended with the date it takes
// effect. A contract matched by no row has no known lot (an error, not a guess).
// Invariants: every row has an underlying, a valid date and a positive lot.
// Immutable once made; const methods are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "nse/expiry.h"

namespace nacre {

enum class LotKey : std::uint8_t { kExpiry, kListing };

struct LotSizeRow {
  std::string underlying;                // "NIFTY"
  LotKey key = LotKey::kExpiry;          // which contract date `from` is compared with
  CivilDate from;                        // contracts with that date on or after this
  std::optional<ExpiryKind> applies_to;  // nullopt: weekly and monthly contracts
  std::int64_t lot = 0;
  std::string note;  // the source, and whether it is verified
};

class LotSizeTable {
 public:
  static Result<LotSizeTable> Make(std::vector<LotSizeRow> rows);
  // The NSE_FNO.md table for NIFTY, plus BANKNIFTY 30 and FINNIFTY 60 for expiries from
  // Jan-2026 (their earlier history is not modelled, so earlier expiries are errors).
  static LotSizeTable NseDefaults();

  // The same table with `rows` appended (they win over existing rows of the same date).
  Result<LotSizeTable> WithOverrides(const std::vector<LotSizeRow>& rows) const;

  Result<std::int64_t> LotSize(std::string_view underlying, const CivilDate& expiry,
                               ExpiryKind kind, const CivilDate& listing) const;
  const std::vector<LotSizeRow>& rows() const { return rows_; }

 private:
  explicit LotSizeTable(std::vector<LotSizeRow> rows) : rows_(std::move(rows)) {}
  std::vector<LotSizeRow> rows_;
};

}  // namespace nacre
