// Journal::Verify: the file's integrity and the entries' meaning, read back in seq order.
#include <fmt/format.h>
#include <sqlite3.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "model/order.h"
#include "persistence/journal.h"
#include "persistence/journal_codec.h"

namespace nacre {

Result<VerifyReport> Journal::Verify() {
  if (failed()) return Error{failure_.error(), failure_.code()};
  VerifyReport report;
  auto problem = [&report](std::int64_t seq, std::string message) {
    if (report.problems++ == 0) {
      report.first_problem_seq = seq;
      report.first_problem = std::move(message);
    }
  };

  {
    sqlite3_stmt* s = nullptr;
    std::string found;
    int rc = sqlite3_prepare_v2(db_, "PRAGMA integrity_check(10)", -1, &s, nullptr);
    while (rc == SQLITE_OK || rc == SQLITE_ROW) {
      rc = sqlite3_step(s);
      if (rc != SQLITE_ROW) break;
      const auto* text = sqlite3_column_text(s, 0);
      if (found.empty() && text != nullptr) found = reinterpret_cast<const char*>(text);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
      Status f = SqlError("integrity_check");
      return Error{f.error(), f.code()};
    }
    report.integrity = found;
    if (found != "ok") problem(0, "integrity_check: " + found);
  }
  {
    // The UNIQUE fill index is what stops a replayed fill from being journaled twice.
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v2(
        db_, "SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = 'entries_fill'", -1, &s,
        nullptr);
    if (rc == SQLITE_OK) rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      Status f = SqlError("reading the schema");
      return Error{f.error(), f.code()};
    }
    if (rc == SQLITE_DONE) problem(0, "the unique fill index entries_fill is missing");
  }
  auto runs = Runs();
  if (!runs) return Error{runs.error(), runs.code()};
  report.runs = static_cast<std::int64_t>(runs->size());

  std::map<ClientOrderId, Order> orders;
  std::set<std::pair<std::string, std::string>> fills;
  std::int64_t previous = 0;
  const Status read = ForEachEntry(0, [&](const StoredEntry& stored) {
    const std::int64_t seq = stored.seq;
    const JournalEntry& e = stored.entry;
    ++report.entries;
    report.last_seq = seq;
    if (seq != previous + 1) {
      problem(seq, previous == 0 ? fmt::format("gap: the first entry has seq {}, not 1", seq)
                                 : fmt::format("gap: seq {} follows seq {}", seq, previous));
    }
    previous = seq;
    if (IsCommandKind(e.kind)) {
      ++report.commands;
      if (auto c = DecodeCommand(e.kind, e.body); !c) {
        problem(seq, fmt::format("seq {}: {}", seq, c.error()));
      }
      return true;
    }
    if (!IsOrderEventKind(e.kind)) {
      ++report.other;
      const auto j = nlohmann::json::parse(e.body, nullptr, false);
      if (j.is_discarded() || !j.is_object()) {
        problem(seq, fmt::format("seq {}: {} body is not a JSON object", seq, e.kind));
      }
      return true;
    }
    auto decoded = DecodeOrderEvent(e.kind, e.body);
    if (!decoded) {
      problem(seq, fmt::format("seq {}: {}", seq, decoded.error()));
      return true;
    }
    ++report.events;
    const OrderEvent& ev = *decoded;
    const ClientOrderId& id = HeaderOf(ev).client_order_id;
    if (id.value() != e.client_order_id) {
      problem(seq, fmt::format("seq {}: client_order_id column '{}' differs from the body's '{}'",
                               seq, e.client_order_id, id.value()));
    }
    if (const auto* fill = std::get_if<OrderFilled>(&ev)) {
      ++report.fills;
      if (fill->venue_order_id.value() != e.venue_order_id ||
          fill->trade_id.value() != e.trade_id) {
        problem(seq, fmt::format("seq {}: fill ids in the columns ('{}', '{}') differ from the "
                                 "body's ('{}', '{}')",
                                 seq, e.venue_order_id, e.trade_id, fill->venue_order_id.value(),
                                 fill->trade_id.value()));
      }
      if (e.venue_order_id.empty() || e.trade_id.empty()) {
        problem(seq, fmt::format("seq {}: fill for {} without a venue order id or trade id", seq,
                                 id.value()));
      } else if (!fills.emplace(e.venue_order_id, e.trade_id).second) {
        problem(seq, fmt::format("seq {}: duplicate fill (venue order id '{}', trade id '{}')", seq,
                                 e.venue_order_id, e.trade_id));
      }
    }
    if (const auto* init = std::get_if<OrderInitialized>(&ev)) {
      if (!orders.try_emplace(id, *init).second) {
        problem(seq, fmt::format("seq {}: order {} initialized twice", seq, id.value()));
      }
      return true;
    }
    const auto it = orders.find(id);
    if (it == orders.end()) {
      problem(seq, fmt::format("seq {}: {} for order {} which was never initialized", seq, e.kind,
                               id.value()));
      return true;
    }
    if (Status s = it->second.Apply(ev); !s) {
      problem(seq, fmt::format("seq {}: {} for {} refused by the order state machine ({}): {}", seq,
                               e.kind, id.value(), ToString(it->second.status()), s.error()));
    }
    return true;
  });
  if (!read) return Error{read.error(), read.code()};
  report.orders = static_cast<std::int64_t>(orders.size());
  for (const auto& [id, order] : orders) {
    if (!order.is_closed()) ++report.open_orders;
  }
  return report;
}

}  // namespace nacre
