// JournalEntry: one row of the journal's `entries` table as the caller hands it over (kind,
// the ids it is searched by, two timestamps and the JSON body), and StoredEntry, the same with
// the sequence number and run it got. Plain values; the codec (journal_codec.h) builds them
// from Nacre's commands and events. Ids are kept as text here: the journal indexes them and
// does not interpret them. Nothing in an entry may hold a secret (API keys, access tokens):
// the journal is a plain file that is copied, exported and attached to bug reports.
#pragma once

#include <cstdint>
#include <string>

#include "core/time.h"

namespace nacre {

struct JournalEntry {
  UnixNanos ts_wall;            // the wall clock when written (from the injected clock)
  UnixNanos ts_kernel;          // the kernel clock (ts_init of the event or command)
  std::string kind;             // "OrderFilled", "SubmitOrder", ...; the body's type
  std::string client_order_id;  // empty when none
  std::string venue_order_id;   // empty when none or not yet known
  std::string trade_id;         // fills only
  std::string body;             // JSON text; fixed-point values as raw integers, never doubles
};

struct StoredEntry {
  std::int64_t seq = 0;  // gapless from 1
  std::int64_t run_id = 0;
  JournalEntry entry;
};

}  // namespace nacre
