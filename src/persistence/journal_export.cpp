#include "persistence/journal_export.h"

#include <fmt/format.h>

#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "persistence/journal_codec.h"

namespace nacre {
namespace {

std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

void CsvRow(std::ostream& out, const std::vector<std::string>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out << ',';
    out << CsvField(fields[i]);
  }
  out << '\n';
}

constexpr const char* kEntryColumns[] = {"seq",  "run_id",          "ts_wall",        "ts_kernel",
                                         "kind", "client_order_id", "venue_order_id", "trade_id",
                                         "body"};
constexpr const char* kFillColumns[] = {
    "seq",      "run_id",        "ts_event",       "client_order_id", "venue_order_id",
    "trade_id", "instrument_id", "side",           "last_qty",        "last_px",
    "currency", "commission",    "liquidity_side", "strategy_id",     "body"};

std::vector<std::string> EntryRow(const StoredEntry& s) {
  const JournalEntry& e = s.entry;
  return {std::to_string(s.seq),
          std::to_string(s.run_id),
          std::to_string(e.ts_wall.value),
          std::to_string(e.ts_kernel.value),
          e.kind,
          e.client_order_id,
          e.venue_order_id,
          e.trade_id,
          e.body};
}

std::vector<std::string> FillRow(const StoredEntry& s, const OrderFilled& f) {
  return {std::to_string(s.seq),
          std::to_string(s.run_id),
          std::to_string(f.ts_event.value),
          f.client_order_id.value(),
          f.venue_order_id.value(),
          std::string(f.trade_id.value()),
          f.instrument_id.value(),
          std::string(ToString(f.order_side)),
          f.last_qty.ToString(),
          f.last_px.ToString(),
          std::string(f.currency.Code()),
          f.commission.ToString(),
          std::string(ToString(f.liquidity_side)),
          f.strategy_id.value(),
          s.entry.body};
}

}  // namespace

Result<std::int64_t> ExportJournal(Journal& journal, std::ostream& out, JournalExportFormat format,
                                   JournalExportWhat what) {
  const bool fills = what == JournalExportWhat::kFills;
  const bool csv = format == JournalExportFormat::kCsv;
  if (csv) {
    std::vector<std::string> header;
    if (fills) {
      header.assign(std::begin(kFillColumns), std::end(kFillColumns));
    } else {
      header.assign(std::begin(kEntryColumns), std::end(kEntryColumns));
    }
    CsvRow(out, header);
  }
  std::int64_t rows = 0;
  std::string error;
  const Status read = journal.ForEachEntry(0, [&](const StoredEntry& s) {
    const JournalEntry& e = s.entry;
    if (fills && e.kind != "OrderFilled") return true;
    std::optional<OrderFilled> fill;
    if (fills) {
      auto ev = DecodeOrderEvent(e.kind, e.body);
      if (!ev) {
        error = fmt::format("{}: seq {}: {}", journal.path(), s.seq, ev.error());
        return false;
      }
      fill = std::get<OrderFilled>(*ev);
    }
    if (csv) {
      CsvRow(out, fills ? FillRow(s, *fill) : EntryRow(s));
    } else {
      nlohmann::ordered_json j;
      const std::vector<std::string> row = fills ? FillRow(s, *fill) : EntryRow(s);
      const auto* names = fills ? kFillColumns : kEntryColumns;
      for (std::size_t i = 0; i + 1 < row.size(); ++i) {
        // Integers stay integers in JSON lines; decimals stay text (exact).
        const bool integer = std::string_view(names[i]) == "seq" ||
                             std::string_view(names[i]) == "run_id" ||
                             std::string_view(names[i]).starts_with("ts_");
        if (integer) {
          j[names[i]] = std::stoll(row[i]);
        } else {
          j[names[i]] = row[i];
        }
      }
      auto body = nlohmann::ordered_json::parse(e.body, nullptr, false);
      if (body.is_discarded()) {
        error = fmt::format("{}: seq {}: body is not JSON", journal.path(), s.seq);
        return false;
      }
      j["body"] = std::move(body);
      out << j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << '\n';
    }
    ++rows;
    return true;
  });
  if (!read) return Error{read.error(), read.code()};
  if (!error.empty()) return MakeError(ErrorCode::kCorruption, error);
  if (!out) return MakeError(ErrorCode::kIo, "writing the export failed");
  return rows;
}

}  // namespace nacre
