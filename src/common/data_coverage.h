// DataCoverage: what market data a run will deliver, series by series (quotes or trades of an
// instrument, bars of a bar type) with each series' first and last ts_init, and the run's
// [start, end]. The backtest engine builds it before the kernel starts (from its in-memory
// data, the catalog's file ranges and each stream's first item) and hands it to components
// through their context, so a strategy's CheckRequirements can refuse to start when what it
// trades has no data in the run, naming its key and what data exists, instead of running and
// trading nothing. Absent (nullptr) when nothing describes the data (a live node, a stream
// that does not say what it holds): checks are then skipped, never guessed.
// Built once before start, read-only after; kernel thread only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "core/time.h"
#include "model/data.h"
#include "model/identifiers.h"

namespace nacre {

enum class DataSeriesKind : std::uint8_t { kQuotes, kTrades, kBars };

struct DataSeries {
  DataSeriesKind kind = DataSeriesKind::kQuotes;
  std::string id;  // instrument id (quotes, trades) or bar type text (bars)
  UnixNanos first;
  UnixNanos last;
  // False while only the series' presence is known (a CSV not read yet); the engine then
  // sets `first` to the stream's first item in the run and leaves `last` unknown.
  bool range_known = true;
  bool empty = false;  // known to hold nothing in the run (its stream had no item there)
};

class DataCoverage {
 public:
  // The run's range (unset: from the first / to the last data point).
  void SetRange(std::optional<UnixNanos> start, std::optional<UnixNanos> end);
  // Where the range was set, for messages ("backtest.toml:5: 'engine.start'").
  void SetRangeNote(std::string note) { range_note_ = std::move(note); }
  // Adds a series; the same kind and id again widens its range.
  void Add(const DataSeries& series);

  // Whether the series has data inside the run's range.
  bool HasInRange(DataSeriesKind kind, const std::string& id) const;
  bool HasQuotes(const InstrumentId& id) const {
    return HasInRange(DataSeriesKind::kQuotes, id.value());
  }
  // Quotes, trades or bars of the instrument.
  bool HasInstrumentData(const InstrumentId& id) const;
  // Whether a subscription to `type` gets bars: EXTERNAL ones need those bars in the data,
  // INTERNAL ones the quotes (BID/ASK/MID) or trades (LAST) they are aggregated from.
  bool CanServeBars(const BarType& type) const;

  // "between 2024-01-01 09:15:00 IST and 2024-03-31 15:30:00 IST (backtest.toml:5: ...)" or
  // "anywhere in the data".
  std::string RangeText() const;
  // What the data holds, whatever the range: per kind the series grouped by venue with
  // their first and last times ("bars: NIFTY 50.NSE-5-MINUTE-LAST-EXTERNAL 2025-01-01
  // 09:20:00 IST .. 2025-12-31 15:30:00 IST; quotes: 1 on NSE (NIFTY 50.NSE), 5200 on NFO
  // (NIFTY25JAN22500CE.NFO .. NIFTY25DEC26500PE.NFO) ...").
  std::string Describe() const;
  std::size_t size() const { return series_.size(); }

 private:
  bool InRange(const DataSeries& s) const;

  std::optional<UnixNanos> start_;
  std::optional<UnixNanos> end_;
  std::string range_note_;
  std::map<std::pair<DataSeriesKind, std::string>, DataSeries> series_;
};

// Where the kernel keeps the current coverage (set by the backtest engine before start).
struct DataCoverageSlot {
  const DataCoverage* coverage = nullptr;
};

}  // namespace nacre
