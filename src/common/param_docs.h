// Renders parameter schemas (common/params.h) for people: a plain-text listing for the
// terminal (`nacre components`) and Markdown tables for docs/config.md. Both print exactly
// what the schema declares, which is what the config loader checks.
#pragma once

#include <string>

#include "common/params.h"

namespace nacre {

// "SmaCross (strategy): summary" then one aligned line per key: key, type, default, allowed
// values, description; removed keys last.
std::string ParamsText(const ParamSchema& schema, const std::string& kind);

// A "| key | type | default | allowed | description |" table with every cell escaped for
// Markdown, followed by the removed keys, if any. No heading (the caller writes it).
std::string ParamsMarkdown(const ParamSchema& schema);

}  // namespace nacre
