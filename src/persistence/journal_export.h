// Journal export: entries or fills as CSV (a header, one row per entry, the body as a JSON text
// column) or JSON lines (one object per entry with the body embedded as an object). Values are
// exact: timestamps as integer nanoseconds, fill quantities, prices and charges as decimal text
// at their precision (never doubles). Rows come in seq order, so output is deterministic.
#pragma once

#include <cstdint>
#include <ostream>

#include "core/result.h"
#include "persistence/journal.h"

namespace nacre {

enum class JournalExportFormat : std::uint8_t { kCsv, kJsonLines };
enum class JournalExportWhat : std::uint8_t { kEntries, kFills };

// Writes the rows to `out`; returns how many. A fill whose body does not decode is an error
// naming its seq.
Result<std::int64_t> ExportJournal(Journal& journal, std::ostream& out, JournalExportFormat format,
                                   JournalExportWhat what);

}  // namespace nacre
