// IdMap: a map keyed by an interned identifier (InstrumentId, ...) for the per-event paths (a
// quote looks up its buffer in the cache, its topic in the data engine and its matching core in
// the exchange). Every interned string has a number (InternedString::index, 0, 1, 2, ... in the
// order strings were first interned), so the index is a plain array from that number to the
// value's node: a lookup reads the id's number, one 8-byte array slot and the value, with no
// hashing or probing. It replaced an open-addressing table of addresses (16-byte slots, at most
// half full: a few hundred KiB of slots per map over a chain's contracts), and the demo's run
// phase went from 7.05 M to 8.27 M events/s (best of 6, same sitting).
//
// The array covers the numbers up to the largest key's (8 bytes each), so its size follows how
// many strings the process had interned when the key was added, not how many keys the map
// holds: about 0.6 MiB a map for 22,906 contracts (three strings each) and their orders' ids;
// a map keyed by order ids grows with every order id the run makes (8 bytes each).
//
// Values live in chunks of nodes and never move: a reference or pointer to a value stays valid
// until that key is erased or the map is cleared (as with std::unordered_map). The chunks grow
// from 4 nodes, doubling up to about 64 KiB each, so a map of large values (the exchange's
// orders, ~0.5 KiB each) allocates once per many adds, not once per add as a std::deque of
// them (512-byte blocks) or a node map does. Iteration order is unspecified; nothing that
// must be deterministic may depend on it. Not thread-safe.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

namespace nacre {

template <typename Id, typename V>
class IdMap {
 public:
  using Entry = std::pair<const Id, V>;

  IdMap() = default;
  // The index points at this map's own nodes: a copy would point at the original's.
  IdMap(const IdMap&) = delete;
  IdMap& operator=(const IdMap&) = delete;
  // The chunks move as pointers: the values stay put. The moved-from map is empty.
  IdMap(IdMap&& o) noexcept
      : index_(std::move(o.index_)),
        chunks_(std::move(o.chunks_)),
        free_(std::move(o.free_)),
        size_(std::exchange(o.size_, 0)) {
    o.clear();
  }
  IdMap& operator=(IdMap&& o) noexcept {
    if (this != &o) {
      index_ = std::move(o.index_);
      chunks_ = std::move(o.chunks_);
      free_ = std::move(o.free_);
      size_ = std::exchange(o.size_, 0);
      o.clear();
    }
    return *this;
  }

  V* find(const Id& id) {
    const std::uint32_t k = id.intern_index();
    if (k >= index_.size()) return nullptr;
    Node* n = index_[k];
    return n == nullptr ? nullptr : &n->entry->second;
  }
  const V* find(const Id& id) const { return const_cast<IdMap*>(this)->find(id); }
  bool contains(const Id& id) const { return find(id) != nullptr; }

  // The value of `id`, constructed from `args` when absent; second: whether it was added.
  template <typename... Args>
  std::pair<V*, bool> try_emplace(const Id& id, Args&&... args) {
    if (V* v = find(id)) return {v, false};
    const std::uint32_t k = id.intern_index();
    if (k >= index_.size()) {
      index_.resize(std::max<std::size_t>(k + 1, index_.size() + index_.size() / 2), nullptr);
    }
    // The node is taken (off the free list, or counted used) only once its value is built: a
    // constructor that throws leaves the map as it was. (So a value's constructor must not add
    // to this map: it would be given the same node.)
    const bool reuse = !free_.empty();
    Node* n = reuse ? free_.back() : NextNode();
    n->entry.emplace(std::piecewise_construct, std::forward_as_tuple(id),
                     std::forward_as_tuple(std::forward<Args>(args)...));
    if (reuse) {
      free_.pop_back();
    } else {
      ++chunks_.back().used;
    }
    index_[k] = n;
    ++size_;
    return {&n->entry->second, true};
  }

  // Removes `id`; returns whether it was there.
  bool erase(const Id& id) {
    const std::uint32_t k = id.intern_index();
    if (k >= index_.size() || index_[k] == nullptr) return false;
    Node* n = index_[k];
    index_[k] = nullptr;
    n->entry.reset();
    free_.push_back(n);
    --size_;
    return true;
  }

  // Removes every entry `pred(const Id&, const V&)` accepts; returns how many.
  template <typename Pred>
  std::size_t erase_if(Pred&& pred) {
    std::size_t erased = 0;
    EachNode([&](Node& n) {
      if (!n.entry || !pred(std::as_const(n.entry->first), std::as_const(n.entry->second))) {
        return;
      }
      index_[n.entry->first.intern_index()] = nullptr;
      n.entry.reset();
      free_.push_back(&n);
      --size_;
      ++erased;
    });
    return erased;
  }

  void clear() {
    index_.clear();
    chunks_.clear();
    free_.clear();
    size_ = 0;
  }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Calls f(const Id&, V&) for every entry (order unspecified).
  template <typename F>
  void for_each(F&& f) {
    EachNode([&](Node& n) {
      if (n.entry) f(n.entry->first, n.entry->second);
    });
  }
  template <typename F>
  void for_each(F&& f) const {
    EachNode([&](const Node& n) {
      if (n.entry) f(n.entry->first, std::as_const(n.entry->second));
    });
  }

 private:
  struct Node {
    std::optional<Entry> entry;
  };

  struct Chunk {
    std::unique_ptr<Node[]> nodes;
    std::size_t capacity = 0;
    std::size_t used = 0;
  };
  static constexpr std::size_t kFirstChunk = 4;
  static constexpr std::size_t kMaxChunk =
      sizeof(Node) >= 64 * 1024 ? 1 : 64 * 1024 / sizeof(Node);

  // The next node never used, in the last chunk or a new one twice its size (to kMaxChunk);
  // the caller counts it used once its value is built.
  Node* NextNode() {
    if (chunks_.empty() || chunks_.back().used == chunks_.back().capacity) {
      const std::size_t cap =
          chunks_.empty() ? std::min(kFirstChunk, kMaxChunk)
                          : std::min(chunks_.back().capacity * 2, kMaxChunk);
      chunks_.push_back(Chunk{std::make_unique<Node[]>(cap), cap, 0});
    }
    Chunk& c = chunks_.back();
    return &c.nodes[c.used];
  }

  // Calls f on every node ever handed out (live or freed), chunk by chunk.
  template <typename F>
  void EachNode(F&& f) {
    for (Chunk& c : chunks_) {
      for (std::size_t i = 0; i < c.used; ++i) f(c.nodes[i]);
    }
  }
  template <typename F>
  void EachNode(F&& f) const {
    for (const Chunk& c : chunks_) {
      for (std::size_t i = 0; i < c.used; ++i) f(std::as_const(c.nodes[i]));
    }
  }

  std::vector<Node*> index_;   // by the key's intern number; null: absent
  std::vector<Chunk> chunks_;  // the values (never move)
  std::vector<Node*> free_;    // erased nodes, reused by the next add
  std::size_t size_ = 0;
};

}  // namespace nacre
