#include "model/identifiers.h"

#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <limits>
#include <mutex>
#include <vector>

namespace nacre {

namespace {

// Open addressing (linear probing, load ≤ 1/2) over (hash, string) slots: a lookup touches one
// slot and, on a hash match, the string; strings (numbered in order) live in a deque so their
// addresses never move.
class InternTable {
 public:
  // Only a hint: skipped when another thread holds the table.
  void Prefetch(std::string_view s) {
    const std::uint64_t h = std::hash<std::string_view>{}(s);
    std::unique_lock<std::mutex> lock(mu_, std::try_to_lock);
    if (!lock.owns_lock()) return;
    __builtin_prefetch(&slots_[h & (slots_.size() - 1)], 1);  // a new id writes the slot
  }
  const InternedString* Intern(std::string_view s) {
    const std::uint64_t h = std::hash<std::string_view>{}(s);
    std::lock_guard<std::mutex> lock(mu_);
    std::size_t mask = slots_.size() - 1;
    std::size_t i = h & mask;
    for (;; i = (i + 1) & mask) {
      const Slot& slot = slots_[i];
      if (slot.str == nullptr) break;
      if (slot.hash == h && slot.str->text == s) return slot.str;
    }
    if ((used_ + 1) * 2 > slots_.size()) {
      Grow();
      mask = slots_.size() - 1;
      for (i = h & mask; slots_[i].str != nullptr; i = (i + 1) & mask) {
      }
    }
    if (storage_.size() >= std::numeric_limits<std::uint32_t>::max()) {
      std::fprintf(stderr, "nacre: the identifier table is full (2^32 strings)\n");
      std::abort();
    }
    const InternedString* stored = &storage_.emplace_back(
        InternedString{std::string(s), static_cast<std::uint32_t>(storage_.size())});
    slots_[i] = Slot{h, stored};
    ++used_;
    return stored;
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    const InternedString* str = nullptr;
  };

  void Grow() {
    std::vector<Slot> bigger(slots_.size() * 2);
    const std::size_t mask = bigger.size() - 1;
    for (const Slot& slot : slots_) {
      if (slot.str == nullptr) continue;
      std::size_t i = slot.hash & mask;
      while (bigger[i].str != nullptr) i = (i + 1) & mask;
      bigger[i] = slot;
    }
    slots_ = std::move(bigger);
  }

  std::mutex mu_;
  std::vector<Slot> slots_ = std::vector<Slot>(4096);
  std::size_t used_ = 0;
  std::deque<InternedString> storage_;
};

InternTable& Table() {
  static InternTable* table = new InternTable();  // never destroyed: pointers outlive statics
  return *table;
}

}  // namespace

const InternedString* InternString(std::string_view s) { return Table().Intern(s); }
void PrefetchIntern(std::string_view s) { Table().Prefetch(s); }

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
