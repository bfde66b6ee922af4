// Internal to the catalog: where a catalog keeps each data type's files, and the chain
// files' list of instruments.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "persistence/catalog.h"

namespace nacre {

// {root}/data/{quote_tick|trade_tick|bar}
std::string CatalogDataDir(const std::string& root, CatalogDataType t);
// {root}/data/chain/{quote_tick|trade_tick}
std::string CatalogChainDir(const std::string& root, CatalogDataType t);
// The sub-folders of `dir` (none when it does not exist), sorted by name.
Result<std::vector<std::string>> ListCatalogDirs(const std::string& dir);
// The data files ({start}_{end}.parquet) in `dir`, as entries of `identifier`, appended to
// `out` in directory order.
Status ListSeriesFiles(CatalogDataType type, const std::string& dir, const std::string& identifier,
                       std::vector<CatalogFile>& out);
// "catalog write refused: {what} [start, end] overlaps existing data [other] in {where}".
Status CatalogOverlapError(const std::string& what, UnixNanos start, UnixNanos end,
                           UnixNanos other_start, UnixNanos other_end, const std::string& where);
// Refuses a listing (sorted by identifier, start) in which an instrument's data is held by both
// layouts over overlapping times inside the query's range, naming both files.
Status CheckLayoutsDisjoint(const std::vector<CatalogFile>& files, const CatalogQuery& query);
// A chain file's `chain_instruments` metadata: one line per member,
// "{instrument_id}\t{first ts_init}\t{last ts_init}\t{rows}", and its parse (false when
// malformed).
std::string FormatChainMembers(const std::vector<ChainMember>& members);
bool ParseChainMembers(std::string_view text, std::vector<ChainMember>& out);

}  // namespace nacre
