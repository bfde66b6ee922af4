// Internal to the catalog: where a catalog keeps each data type's files.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "persistence/catalog.h"

namespace nacre {

// {root}/data/{quote_tick|trade_tick|bar}
std::string CatalogDataDir(const std::string& root, CatalogDataType t);
// The sub-folders of `dir` (none when it does not exist), sorted by name.
Result<std::vector<std::string>> ListCatalogDirs(const std::string& dir);

}  // namespace nacre
