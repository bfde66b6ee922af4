// Small text helpers shared by the CSV readers of persistence (importers and the NSE
// option-chain export): quoted-field splitting, line splitting, digit-grouping removal and a
// checked integer parse. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace nacre::csv_text {

// CSV fields with "quoted, fields" and surrounding blanks trimmed.
std::vector<std::string> SplitQuoted(std::string_view line);
// Lines without their '\n' or "\r\n"; views into `text`.
std::vector<std::string_view> Lines(std::string_view text);
// "1,02,24,901" -> "10224901" (Indian or western grouping).
std::string Ungroup(std::string_view s);
// A decimal integer (optional '-'); refuses anything else and overflow.
Result<std::int64_t> ParseInt(std::string_view s);

}  // namespace nacre::csv_text
