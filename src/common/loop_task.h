// LoopTask: a move-only callable for the EventLoop's deferred queue, stored inline when small
// enough, so queuing a command from a handler allocates nothing. Kernel thread only.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace nacre {

// A deferred handler: any callable, stored inline up to kInline bytes (a command with its
// routing fits), so queuing one from a handler allocates nothing; larger ones go to the heap.
class LoopTask {
 public:
  static constexpr std::size_t kInline = 240;
  // Whether a callable of type D is stored inline (no allocation): small enough, aligned, and
  // nothrow-movable (a closure holding a const copy is not: it can only be copied).
  template <typename D>
  static constexpr bool kStoresInline = sizeof(D) <= kInline &&
                                        alignof(D) <= alignof(std::max_align_t) &&
                                        std::is_nothrow_move_constructible_v<D>;
  LoopTask() = default;
  template <typename F, typename D = std::decay_t<F>,
            typename = std::enable_if_t<!std::is_same_v<D, LoopTask>>>
  LoopTask(F&& f) {  // NOLINT(google-explicit-constructor)
    if constexpr (kStoresInline<D>) {
      new (buf_) D(std::forward<F>(f));
      ops_ = &InlineOps<D>;
    } else {
      *reinterpret_cast<D**>(buf_) = new D(std::forward<F>(f));
      ops_ = &HeapOps<D>;
    }
  }
  LoopTask(LoopTask&& o) noexcept : ops_(o.ops_) {
    if (ops_ != nullptr) ops_->move(buf_, o.buf_);
    o.ops_ = nullptr;
  }
  LoopTask& operator=(LoopTask&& o) noexcept {
    if (this != &o) {
      Reset();
      ops_ = o.ops_;
      if (ops_ != nullptr) ops_->move(buf_, o.buf_);
      o.ops_ = nullptr;
    }
    return *this;
  }
  LoopTask(const LoopTask&) = delete;
  LoopTask& operator=(const LoopTask&) = delete;
  ~LoopTask() { Reset(); }
  void operator()() { ops_->call(buf_); }
  explicit operator bool() const { return ops_ != nullptr; }

 private:
  struct Ops {
    void (*call)(void*);
    void (*move)(void* dst, void* src);  // move-constructs dst from src, destroys src
    void (*destroy)(void*);
  };
  template <typename D>
  static constexpr Ops InlineOps = {
      [](void* p) { (*static_cast<D*>(p))(); },
      [](void* dst, void* src) {
        new (dst) D(std::move(*static_cast<D*>(src)));
        static_cast<D*>(src)->~D();
      },
      [](void* p) { static_cast<D*>(p)->~D(); }};
  template <typename D>
  static constexpr Ops HeapOps = {
      [](void* p) { (**static_cast<D**>(p))(); },
      [](void* dst, void* src) { *static_cast<D**>(dst) = *static_cast<D**>(src); },
      [](void* p) { delete *static_cast<D**>(p); }};
  void Reset() {
    if (ops_ != nullptr) ops_->destroy(buf_);
    ops_ = nullptr;
  }

  alignas(std::max_align_t) unsigned char buf_[kInline];
  const Ops* ops_ = nullptr;
};

}  // namespace nacre
