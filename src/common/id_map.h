// IdMap: a map keyed by an interned identifier (InstrumentId, ClientOrderId, ...) for the
// per-event paths (a quote looks up its buffer in the cache, its topic in the data engine and
// its matching core in the exchange). Ids compare by their interned string's address, so the
// index is an open-addressing table of addresses (linear probing, 16 bytes a slot, at most half
// full): a lookup is one multiply and usually one cache line, where a node-based
// std::unordered_map costs a bucket and a node, each a likely cache miss over thousands of
// option contracts.
//
// Values live in a std::deque and never move: a reference or pointer to a value stays valid
// until that key is erased or the map is cleared (as with std::unordered_map). Iteration order
// is unspecified; nothing that must be deterministic may depend on it. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

namespace nacre {

template <typename Id, typename V>
class IdMap {
 public:
  using Entry = std::pair<const Id, V>;

  V* find(const Id& id) {
    if (size_ == 0) return nullptr;
    const void* key = KeyOf(id);
    for (std::size_t i = Home(key);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.key == key) return &values_[s.index]->second;
      if (s.key == nullptr) return nullptr;
    }
  }
  const V* find(const Id& id) const { return const_cast<IdMap*>(this)->find(id); }
  bool contains(const Id& id) const { return find(id) != nullptr; }

  // The value of `id`, constructed from `args` when absent; second: whether it was added.
  template <typename... Args>
  std::pair<V*, bool> try_emplace(const Id& id, Args&&... args) {
    if (V* v = find(id)) return {v, false};
    if ((size_ + 1) * 2 > slots_.size()) Rehash(slots_.empty() ? 16 : slots_.size() * 2);
    std::uint32_t index;
    if (!free_.empty()) {
      index = free_.back();
      free_.pop_back();
      values_[index].emplace(std::piecewise_construct, std::forward_as_tuple(id),
                             std::forward_as_tuple(std::forward<Args>(args)...));
    } else {
      index = static_cast<std::uint32_t>(values_.size());
      values_.emplace_back(std::in_place, std::piecewise_construct, std::forward_as_tuple(id),
                           std::forward_as_tuple(std::forward<Args>(args)...));
    }
    Insert(KeyOf(id), index);
    ++size_;
    return {&values_[index]->second, true};
  }

  // Removes `id`; returns whether it was there.
  bool erase(const Id& id) {
    if (size_ == 0) return false;
    const void* key = KeyOf(id);
    std::size_t i = Home(key);
    for (;; i = (i + 1) & mask_) {
      if (slots_[i].key == key) break;
      if (slots_[i].key == nullptr) return false;
    }
    values_[slots_[i].index].reset();
    free_.push_back(slots_[i].index);
    // Backward-shift deletion: later entries of the probe run move up into the hole.
    for (std::size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
      if (slots_[j].key == nullptr) break;
      const std::size_t home = Home(slots_[j].key);
      // Entry j may fill the hole at i when its home is not in (i, j] (cyclically).
      const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (stays) continue;
      slots_[i] = slots_[j];
      i = j;
    }
    slots_[i] = Slot{};
    --size_;
    return true;
  }

  void clear() {
    slots_.clear();
    values_.clear();
    free_.clear();
    size_ = 0;
    mask_ = 0;
  }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Calls f(const Id&, V&) for every entry (order unspecified).
  template <typename F>
  void for_each(F&& f) {
    for (auto& e : values_) {
      if (e) f(e->first, e->second);
    }
  }

 private:
  struct Slot {
    const void* key = nullptr;
    std::uint32_t index = 0;
  };

  static const void* KeyOf(const Id& id) { return &id.value(); }
  std::size_t Home(const void* key) const {
    const auto a = reinterpret_cast<std::uintptr_t>(key);
    return static_cast<std::size_t>((a >> 4) * 0x9E3779B97F4A7C15ULL >> 32) & mask_;
  }
  void Insert(const void* key, std::uint32_t index) {
    std::size_t i = Home(key);
    while (slots_[i].key != nullptr) i = (i + 1) & mask_;
    slots_[i] = Slot{key, index};
  }
  void Rehash(std::size_t n) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(n, Slot{});
    mask_ = n - 1;
    for (const Slot& s : old) {
      if (s.key != nullptr) Insert(s.key, s.index);
    }
  }

  std::vector<Slot> slots_;
  std::deque<std::optional<Entry>> values_;
  std::vector<std::uint32_t> free_;
  std::size_t size_ = 0;
  std::size_t mask_ = 0;
};

}  // namespace nacre
