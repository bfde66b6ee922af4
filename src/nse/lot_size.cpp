#include "nse/lot_size.h"

#include <fmt/format.h>

#include <utility>

namespace nacre {

Result<LotSizeTable> LotSizeTable::Make(std::vector<LotSizeRow> rows) {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const LotSizeRow& r = rows[i];
    const std::string where =
        fmt::format("lot size row {} ({} from {})", i, r.underlying, FormatDate(r.from));
    if (r.underlying.empty()) return MakeError(where + ": empty underlying");
    if (!IsValidDate(r.from)) return MakeError(where + ": invalid date");
    if (r.lot <= 0) return MakeError(fmt::format("{}: lot {} must be positive", where, r.lot));
  }
  return LotSizeTable(std::move(rows));
}

LotSizeTable LotSizeTable::NseDefaults() {
  constexpr auto kWeekly = ExpiryKind::kWeekly;
  constexpr auto kMonthly = ExpiryKind::kMonthly;
  constexpr auto kAll = std::nullopt;
  std::vector<LotSizeRow> rows = {
      {"NIFTY",
       LotKey::kExpiry,
       {2016, 1, 1},
       kAll,
       75,
       "75 from late 2015 (the start date is approximate; earlier lots are not modelled)"},
      {"NIFTY", LotKey::kExpiry, {2021, 7, 1}, kMonthly, 50, "50 from the Jul-2021 monthly"},
      {"NIFTY", LotKey::kExpiry, {2021, 8, 1}, kWeekly, 50, "50 from the Aug-2021 weeklies"},
      {"NIFTY",
       LotKey::kExpiry,
       {2024, 4, 26},
       kAll,
       25,
       "25 for contracts traded from 26-Apr-2024 (first weekly 2-May-2024). Approximation: "
       "far-month contracts listed before were revised during their life; a per-contract lot "
       "shows them at 25 throughout (unverified how NSE handled their earlier trades)"},
      {"NIFTY",
       LotKey::kListing,
       {2024, 11, 20},
       kAll,
       75,
       "75 for contracts listed from 20-Nov-2024; existing weeklies and monthlies kept 25 to "
       "expiry (unverified: whether far-month contracts listed before were revised at the "
       "Dec-2024 expiry; append an expiry-keyed row to model that)"},
      {"NIFTY",
       LotKey::kExpiry,
       {2026, 1, 1},
       kAll,
       65,
       "65 for expiries from Jan-2026; 75 kept through the 30-Dec-2025 expiry"},
      {"BANKNIFTY",
       LotKey::kExpiry,
       {2026, 1, 1},
       kAll,
       30,
       "30 for expiries from Jan-2026 (earlier history not modelled)"},
      {"FINNIFTY",
       LotKey::kExpiry,
       {2026, 1, 1},
       kAll,
       60,
       "60 for expiries from Jan-2026 (earlier history not modelled)"},
  };
  return *Make(std::move(rows));
}

Result<LotSizeTable> LotSizeTable::WithOverrides(const std::vector<LotSizeRow>& rows) const {
  std::vector<LotSizeRow> all = rows_;
  all.insert(all.end(), rows.begin(), rows.end());
  return Make(std::move(all));
}

Result<std::int64_t> LotSizeTable::LotSize(std::string_view underlying, const CivilDate& expiry,
                                           ExpiryKind kind, const CivilDate& listing) const {
  if (listing > expiry) {
    return MakeError(fmt::format("{} contract expiring {}: listing date {} is after expiry",
                                 underlying, FormatDate(expiry), FormatDate(listing)));
  }
  const LotSizeRow* match = nullptr;
  for (const LotSizeRow& r : rows_) {
    if (r.underlying != underlying) continue;
    if (r.applies_to && *r.applies_to != kind) continue;
    const CivilDate& date = r.key == LotKey::kExpiry ? expiry : listing;
    if (r.from <= date && (match == nullptr || !(r.from < match->from))) match = &r;
  }
  if (match == nullptr) {
    return MakeError(fmt::format("no lot size known for {} {} contracts expiring {} (listed {})",
                                 underlying, kind == ExpiryKind::kWeekly ? "weekly" : "monthly",
                                 FormatDate(expiry), FormatDate(listing)));
  }
  return match->lot;
}

}  // namespace nacre
