// The catalog's chain layout (catalog.h): how quotes are grouped into chain files, a writer
// that cuts a time-ordered stream of quotes into one file per group per IST trading day, and
// `CompactCatalog`, which converts per-instrument quote files into chain files.
//
// A group is an option's underlying ("NIFTY 50.NSE": its options and its own quotes share the
// files), or the instrument itself when it has no definition or no underlying; on disk it is
// the identifier of that id ('/' removed). Single-threaded; deterministic (the same quotes in
// the same order give byte-identical files).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "model/data.h"
#include "model/instrument.h"
#include "persistence/catalog.h"

namespace nacre {

// Where quotes are written: the per-instrument (NautilusTrader) layout or chain files.
enum class CatalogLayout : std::uint8_t { kPerInstrument, kChain };
// "instrument" (or "per-instrument") / "chain".
Result<CatalogLayout> ParseCatalogLayout(std::string_view s);

// The chain group of an instrument: its underlying's identifier when `def` has one, else its
// own identifier.
std::string ChainGroupOf(const Instrument* def, const InstrumentId& id);

// Cuts quotes, given in non-decreasing ts_init, into chain files: each IST day's quotes of a
// group go to one file (written when the day ends, groups in name order, or at Finish).
class ChainWriter {
 public:
  explicit ChainWriter(Catalog& catalog) : catalog_(catalog) {}

  // A definition decides its instrument's group (see ChainGroupOf); an instrument never
  // defined is its own group.
  void Define(const Instrument& def);
  Status Add(const QuoteTick& q);
  Status Finish();

  std::uint64_t files_written() const { return files_; }
  std::uint64_t rows_written() const { return rows_; }

 private:
  Status FlushDay();
  const std::string& GroupOf(const InstrumentId& id);

  Catalog& catalog_;
  std::unordered_map<const std::string*, std::string> groups_;  // by interned id string
  std::map<std::string, std::vector<QuoteTick>> day_;           // the open day, by group
  std::int64_t day_number_ = -1;                                // its IST day (days since epoch)
  UnixNanos last_;
  std::uint64_t files_ = 0;
  std::uint64_t rows_ = 0;
};

struct CompactSummary {
  std::uint64_t files_read = 0;  // per-instrument quote files converted (and removed)
  std::uint64_t instruments = 0;
  std::uint64_t chain_files = 0;  // chain files written
  std::uint64_t rows = 0;
  std::vector<std::string> recovered;  // what finishing an interrupted earlier swap did
};

// Converts the per-instrument quote files of the instruments matching `globs` (all when
// empty) into chain files, then removes them. The files are first written into
// {root}/.compact (removed afterwards): a failure before the swap leaves the catalog as it
// was. A chain file that would overlap an existing one of its group is refused before
// anything moves. The swap itself is crash-safe (catalog_swap.h): an intent marker is written
// first, and a swap a crash interrupted is completed or rolled back by the next Catalog::Open
// or compact. Idempotent: with no per-instrument quote files left it does nothing.
Result<CompactSummary> CompactCatalog(Catalog& catalog, const std::vector<std::string>& globs = {});

}  // namespace nacre
