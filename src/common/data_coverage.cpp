#include "common/data_coverage.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace nacre {

namespace {

const char* KindName(DataSeriesKind k) {
  switch (k) {
    case DataSeriesKind::kQuotes:
      return "quotes";
    case DataSeriesKind::kTrades:
      return "trades";
    case DataSeriesKind::kBars:
      return "bars";
  }
  return "?";
}

std::string Span(UnixNanos first, UnixNanos last, bool last_known) {
  return last_known ? fmt::format("{} .. {}", FormatIst(first), FormatIst(last))
                    : fmt::format("from {}", FormatIst(first));
}

// The instrument id of a series: itself, or a bar type's ("NIFTY 50.NSE-5-MINUTE-LAST-
// EXTERNAL" -> "NIFTY 50.NSE").
std::string_view InstrumentOf(DataSeriesKind kind, std::string_view id) {
  if (kind != DataSeriesKind::kBars) return id;
  for (int k = 0; k < 4 && !id.empty(); ++k) {
    const auto dash = id.rfind('-');
    id = dash == std::string_view::npos ? std::string_view() : id.substr(0, dash);
  }
  return id;
}

// "NIFTY 50.NSE" -> "NSE".
std::string VenueOf(DataSeriesKind kind, const std::string& id) {
  const std::string_view inst = InstrumentOf(kind, id);
  const auto dot = inst.rfind('.');
  return dot == std::string_view::npos ? std::string() : std::string(inst.substr(dot + 1));
}

}  // namespace

void DataCoverage::SetRange(std::optional<UnixNanos> start, std::optional<UnixNanos> end) {
  start_ = start;
  end_ = end;
}

void DataCoverage::Add(const DataSeries& s) {
  auto [it, added] = series_.try_emplace({s.kind, s.id}, s);
  if (added) return;
  DataSeries& have = it->second;
  if (s.empty) return;
  if (have.empty) {
    have = s;
    return;
  }
  have.first = std::min(have.first, s.first);
  have.last = std::max(have.last, s.last);
  have.range_known = have.range_known && s.range_known;
}

bool DataCoverage::InRange(const DataSeries& s) const {
  if (s.empty) return false;
  if (end_ && s.first > *end_) return false;
  if (start_ && s.range_known && s.last < *start_) return false;
  return true;
}

bool DataCoverage::HasInRange(DataSeriesKind kind, const std::string& id) const {
  auto it = series_.find({kind, id});
  return it != series_.end() && InRange(it->second);
}

bool DataCoverage::HasInstrumentData(const InstrumentId& id) const {
  if (HasInRange(DataSeriesKind::kQuotes, id.value()) ||
      HasInRange(DataSeriesKind::kTrades, id.value())) {
    return true;
  }
  // Bar types of the instrument: "{id}-{step}-{aggregation}-{price}-{source}".
  const std::string prefix = id.value() + "-";
  for (auto it = series_.lower_bound({DataSeriesKind::kBars, prefix});
       it != series_.end() && it->first.first == DataSeriesKind::kBars &&
       it->first.second.starts_with(prefix);
       ++it) {
    if (InstrumentOf(DataSeriesKind::kBars, it->first.second) == id.value() &&
        InRange(it->second)) {
      return true;
    }
  }
  return false;
}

bool DataCoverage::CanServeBars(const BarType& type) const {
  if (type.source() == AggregationSource::kExternal) {
    return HasInRange(DataSeriesKind::kBars, type.ToString());
  }
  const std::string& id = type.instrument_id().value();
  return type.spec().price_type == PriceType::kLast ? HasInRange(DataSeriesKind::kTrades, id)
                                                    : HasInRange(DataSeriesKind::kQuotes, id);
}

std::string DataCoverage::RangeText() const {
  std::string text;
  if (start_ && end_) {
    text = fmt::format("between {} and {}", FormatIst(*start_), FormatIst(*end_));
  } else if (start_) {
    text = fmt::format("from {}", FormatIst(*start_));
  } else if (end_) {
    text = fmt::format("up to {}", FormatIst(*end_));
  } else {
    return "anywhere in the data";
  }
  if (!range_note_.empty()) text += fmt::format(" ({})", range_note_);
  return text;
}

std::string DataCoverage::Describe() const {
  if (series_.empty()) return "no data at all";
  std::vector<std::string> parts;
  for (DataSeriesKind kind :
       {DataSeriesKind::kBars, DataSeriesKind::kQuotes, DataSeriesKind::kTrades}) {
    // Per venue: the ids (sorted), and the kind's overall span.
    std::map<std::string, std::vector<const DataSeries*>> by_venue;
    for (const auto& [key, s] : series_) {
      if (key.first == kind) by_venue[VenueOf(kind, s.id)].push_back(&s);
    }
    if (by_venue.empty()) continue;
    std::vector<std::string> groups;
    for (const auto& [venue, list] : by_venue) {
      std::string names;
      if (list.size() <= 3) {
        for (const DataSeries* s : list) {
          names += fmt::format("{}{}", names.empty() ? "" : ", ", s->id);
        }
      } else {
        names = fmt::format("{} .. {}", list.front()->id, list.back()->id);
      }
      // A series dated by its first item only (range_known false) may also be known to hold
      // nothing inside the run (empty); first = 0 means nothing is known of its times.
      bool any = false, last_known = true, none_in_run = true;
      UnixNanos first, last;
      for (const DataSeries* s : list) {
        none_in_run = none_in_run && s->empty;
        if (s->first.value == 0 && s->last.value == 0) continue;
        first = any ? std::min(first, s->first) : s->first;
        last = any ? std::max(last, s->last) : s->last;
        last_known = last_known && s->range_known;
        any = true;
      }
      std::string span = any ? Span(first, last, last_known) : std::string();
      if (none_in_run) span += span.empty() ? "nothing in the run" : ", nothing in the run";
      if (list.size() == 1) {
        groups.push_back(fmt::format("{} {}", names, span));
      } else {
        groups.push_back(
            fmt::format("{} on {} ({}) {}", list.size(), venue.empty() ? "?" : venue, names, span));
      }
    }
    parts.push_back(fmt::format("{}: {}", KindName(kind), fmt::join(groups, ", ")));
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

}  // namespace nacre
