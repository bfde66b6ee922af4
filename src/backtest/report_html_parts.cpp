#include "backtest/report_html_parts.h"

#include <fmt/format.h>

namespace nacre {

std::int64_t IstMillis(UnixNanos t) { return (t.value + kIstOffset) / kNanosPerMilli; }

std::string TableHtml(std::string_view id, const std::vector<TableColumn>& columns,
                      const std::vector<std::vector<TableCell>>& rows, bool sortable) {
  std::string o =
      fmt::format("<table id=\"{}\"{}><thead><tr>", id, sortable ? " class=\"sortable\"" : "");
  for (const TableColumn& c : columns) {
    o += c.cls.empty() ? "<th>" : "<th class=\"" + c.cls + "\">";
    o += c.label + "</th>";
  }
  o += "</tr></thead><tbody>\n";
  for (const std::vector<TableCell>& row : rows) {
    o += "<tr>";
    for (std::size_t i = 0; i < row.size(); ++i) {
      const TableCell& cell = row[i];
      std::string cls = i < columns.size() ? columns[i].cls : std::string();
      if (!cell.cls.empty()) cls += (cls.empty() ? "" : " ") + cell.cls;
      o += "<td";
      if (!cls.empty()) o += " class=\"" + cls + "\"";
      if (!cell.sort.empty()) o += " data-sort=\"" + cell.sort + "\"";
      o += ">" + cell.html + "</td>";
    }
    o += "</tr>\n";
  }
  return o + "</tbody></table>";
}

std::string SignClass(std::int64_t raw) { return raw > 0 ? "pos" : raw < 0 ? "neg" : ""; }

}  // namespace nacre
