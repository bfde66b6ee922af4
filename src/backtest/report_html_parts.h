// Pieces report.html is assembled from: JSON strings safe inside a <script> element, IST
// epoch milliseconds for the page's charts, and HTML tables (optionally sortable by the page
// script through each cell's data-sort key). Internal to the backtest module.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/json_text.h"  // JsonString(s, true): safe inside a <script> element
#include "core/time.h"

namespace nacre {

// Epoch milliseconds shifted to IST, so the page's UTC getters print IST wall time.
std::int64_t IstMillis(UnixNanos t);

struct TableColumn {
  std::string label;
  std::string cls;  // "num" (right-aligned), "wrap" (text that wraps), "" (left, one line)
};

struct TableCell {
  std::string html;  // already escaped
  std::string sort;  // numeric sort key; empty: sorted by text
  std::string cls;   // extra classes ("pos", "neg")
};

// <table id=...> with a header row and the rows; `sortable` marks it for click-to-sort.
std::string TableHtml(std::string_view id, const std::vector<TableColumn>& columns,
                      const std::vector<std::vector<TableCell>>& rows, bool sortable);

// "pos" for a gain, "neg" for a loss, "" for zero.
std::string SignClass(std::int64_t raw);

}  // namespace nacre

namespace nacre {

// The page's own stylesheet and script (no third-party code; everything inline, offline).
extern const char* const kReportStyle;
extern const char* const kReportScript;

}  // namespace nacre
