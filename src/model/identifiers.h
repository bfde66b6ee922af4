// Strong identifier types. Each wraps an interned string: copying an id copies a pointer,
// equality compares pointers, ordering compares text (so sorted output is deterministic).
// The intern table is process-wide, append-only and thread-safe; it is the one shared table
// in the system, kept so that ids in hot-path messages never allocate.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace nacre {

// An interned string and its number: strings are numbered 0, 1, 2, ... in the order they were
// first interned, so a table keyed by ids can be a plain array indexed by that number (see
// common/id_map.h) instead of a hash table.
struct InternedString {
  std::string text;
  std::uint32_t index = 0;
};

// Returns the canonical stored copy of `s`; the pointer stays valid for the process lifetime.
const InternedString* InternString(std::string_view s);
// Starts loading the table slot where `s` would be looked up, and returns at once: a caller
// that knows the next string it will intern (the order factory its next order id) hides the
// slot's cache miss behind its own work in between. A hint only; it changes nothing.
void PrefetchIntern(std::string_view s);
// The interned empty string (no lock after first use): the value of default-constructed ids.
// Inline: a default id is made several times per order (its events' empty fields).
inline const InternedString* EmptyInternedString() {
  static const InternedString* const empty = InternString({});  // once, thread-safe
  return empty;
}

template <typename Tag>
class Identifier {
 public:
  Identifier() : value_(EmptyInternedString()) {}
  explicit Identifier(std::string_view v) : value_(InternString(v)) {}

  const std::string& value() const { return value_->text; }
  const char* c_str() const { return value_->text.c_str(); }
  bool empty() const { return value_->text.empty(); }
  // The interned string's number (InternedString::index): equal ids, equal numbers.
  std::uint32_t intern_index() const { return value_->index; }

  friend bool operator==(const Identifier& a, const Identifier& b) { return a.value_ == b.value_; }
  friend std::strong_ordering operator<=>(const Identifier& a, const Identifier& b) {
    if (a.value_ == b.value_) return std::strong_ordering::equal;
    return a.value_->text <=> b.value_->text;
  }
  std::size_t hash() const { return std::hash<const void*>{}(value_); }

 private:
  const InternedString* value_;
};

struct TraderIdTag {};
struct StrategyIdTag {};
struct ActorIdTag {};
struct ClientOrderIdTag {};
struct VenueOrderIdTag {};
struct PositionIdTag {};
struct AccountIdTag {};
struct OrderListIdTag {};
struct VenueTag {};
struct SymbolTag {};
struct ClientIdTag {};
struct SpreadIdTag {};

using TraderId = Identifier<TraderIdTag>;      // e.g. "TRADER-001"
using StrategyId = Identifier<StrategyIdTag>;  // e.g. "SmaCross-001"
using ActorId = Identifier<ActorIdTag>;
using ClientOrderId = Identifier<ClientOrderIdTag>;
using VenueOrderId = Identifier<VenueOrderIdTag>;  // Kite order ids are 19-digit strings
using PositionId = Identifier<PositionIdTag>;
using AccountId = Identifier<AccountIdTag>;  // "{ISSUER}-{number}", e.g. "ZERODHA-AB1234"
using OrderListId = Identifier<OrderListIdTag>;
using Venue = Identifier<VenueTag>;    // "NSE", "NFO"
using Symbol = Identifier<SymbolTag>;  // "NIFTY 50", "NIFTY2610624000CE"
using ClientId = Identifier<ClientIdTag>;

// "{symbol}.{venue}"; the venue is the text after the last '.'.
class InstrumentId {
 public:
  InstrumentId() = default;
  InstrumentId(const Symbol& symbol, const Venue& venue);
  // Checked parse: requires a non-empty symbol and venue separated by '.'.
  static Result<InstrumentId> Parse(std::string_view text);

  const std::string& value() const { return id_.value(); }
  const Symbol& symbol() const { return symbol_; }
  const Venue& venue() const { return venue_; }
  bool empty() const { return id_.empty(); }

  friend bool operator==(const InstrumentId& a, const InstrumentId& b) { return a.id_ == b.id_; }
  friend std::strong_ordering operator<=>(const InstrumentId& a, const InstrumentId& b) {
    return a.id_ <=> b.id_;
  }
  std::size_t hash() const { return id_.hash(); }
  std::uint32_t intern_index() const { return id_.intern_index(); }

 private:
  struct Tag {};
  Identifier<Tag> id_;
  Symbol symbol_;
  Venue venue_;
};

// Parses an InstrumentId known to be valid (tests, literals); aborts on a bad string.
InstrumentId MustInstrumentId(std::string_view text);

struct IdHash {
  template <typename T>
  std::size_t operator()(const T& id) const {
    return id.hash();
  }
};

}  // namespace nacre
