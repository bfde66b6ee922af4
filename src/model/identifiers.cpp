#include "model/identifiers.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <unordered_set>

namespace nacre {

namespace {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct InternTable {
  std::mutex mu;
  // Transparent hash/equality: lookups by string_view never allocate.
  std::unordered_set<std::string, StringHash, std::equal_to<>> strings;
};

InternTable& Table() {
  static InternTable* table = new InternTable();  // never destroyed: pointers outlive statics
  return *table;
}

}  // namespace

const std::string* InternString(std::string_view s) {
  InternTable& t = Table();
  std::lock_guard<std::mutex> lock(t.mu);
  auto it = t.strings.find(s);
  if (it == t.strings.end()) it = t.strings.emplace(s).first;
  return &*it;
}

const std::string* EmptyInternedString() {
  static const std::string* empty = InternString({});  // initialised once, thread-safe
  return empty;
}

InstrumentId::InstrumentId(const Symbol& symbol, const Venue& venue)
    : id_(symbol.value() + "." + venue.value()), symbol_(symbol), venue_(venue) {}

Result<InstrumentId> InstrumentId::Parse(std::string_view text) {
  const auto dot = text.rfind('.');
  if (dot == std::string_view::npos)
    return MakeError(fmt::format("invalid instrument id '{}': expected SYMBOL.VENUE", text));
  if (dot == 0) return MakeError(fmt::format("invalid instrument id '{}': empty symbol", text));
  if (dot + 1 == text.size())
    return MakeError(fmt::format("invalid instrument id '{}': empty venue", text));
  return InstrumentId(Symbol(text.substr(0, dot)), Venue(text.substr(dot + 1)));
}

InstrumentId MustInstrumentId(std::string_view text) {
  auto r = InstrumentId::Parse(text);
  if (!r) {
    std::fprintf(stderr, "%s\n", r.error().c_str());
    std::abort();
  }
  return *r;
}

}  // namespace nacre
