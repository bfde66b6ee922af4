#include "net/io_thread.h"

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "net/asio.h"

namespace nacre::net {

struct IoThread::Impl {
  struct Repeating {
    explicit Repeating(asio::io_context& c) : timer(c) {}
    asio::steady_timer timer;
    DurationNs period = 0;
    std::function<void()> fn;
  };
  // The map owns the timers; a waiting handler holds only the id, so clearing the map (on the
  // I/O thread, before the context stops) destroys every timer while the context lives.
  void Arm(std::uint64_t id) {
    auto it = repeating.find(id);
    if (it == repeating.end()) return;
    Repeating& r = *it->second;
    r.timer.expires_after(std::chrono::nanoseconds(r.period));
    r.timer.async_wait([this, id](const boost::system::error_code& ec) {
      auto found = repeating.find(id);
      if (ec || found == repeating.end()) return;  // cancelled
      found->second->fn();
      Arm(id);
    });
  }
  asio::io_context ctx;
  std::map<std::uint64_t, std::unique_ptr<Repeating>> repeating;  // I/O thread only
  std::atomic<std::uint64_t> next_every{0};
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(ctx);
  std::mutex stop_mu;                // one Stop queues the end
  std::atomic<bool> stopped{false};  // set once the end is queued
  bool orphaned = false;  // destroyed from its own thread: the thread deletes this on its way out
  std::thread thread;
};

IoThread::IoThread() : impl_(std::make_unique<Impl>()) {
  impl_->thread = std::thread([impl = impl_.get()] {
    impl->ctx.run();
    if (impl->orphaned) delete impl;  // set on this thread, by the destructor (below)
  });
}

IoThread::~IoThread() {
  if (impl_->thread.joinable() && InThread()) {
    // Destroyed by one of its own handlers: the loop is still on this thread's stack, so the
    // state it runs on cannot go now. The loop ends when that handler returns, and the thread
    // frees the state as it leaves.
    Stop();
    impl_->orphaned = true;
    impl_->thread.detach();
    (void)impl_.release();
    return;
  }
  Stop();
}

void IoThread::Post(std::function<void()> fn) { asio::post(impl_->ctx, std::move(fn)); }

bool IoThread::PostAndWait(const std::function<void()>& fn) {
  if (!running()) return false;
  if (InThread()) {
    fn();
    return true;
  }
  std::promise<void> done;
  Post([&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
  return true;
}

bool IoThread::InThread() const { return std::this_thread::get_id() == impl_->thread.get_id(); }

std::uint64_t IoThread::Every(DurationNs period, std::function<void()> fn) {
  const std::uint64_t id = ++impl_->next_every;
  Post([impl = impl_.get(), id, period, f = std::move(fn)]() mutable {
    auto r = std::make_unique<Impl::Repeating>(impl->ctx);
    r->period = period;
    r->fn = std::move(f);
    impl->repeating[id] = std::move(r);
    impl->Arm(id);
  });
  return id;
}

void IoThread::Cancel(std::uint64_t every_id) {
  Post([impl = impl_.get(), every_id] { impl->repeating.erase(every_id); });
}

std::uint64_t IoThread::After(DurationNs delay, std::function<void()> fn) {
  const std::uint64_t id = ++impl_->next_every;
  Post([impl = impl_.get(), id, delay, f = std::move(fn)]() mutable {
    auto r = std::make_unique<Impl::Repeating>(impl->ctx);
    r->period = delay;
    // Removes itself after running (posted: never while its own function runs).
    r->fn = [impl, id, f = std::move(f)] {
      asio::post(impl->ctx, [impl, id] { impl->repeating.erase(id); });
      f();
    };
    impl->repeating[id] = std::move(r);
    impl->Arm(id);
  });
  return id;
}

bool IoThread::running() const { return impl_->thread.joinable() && !impl_->stopped; }

void IoThread::Stop() {
  if (!impl_->thread.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(impl_->stop_mu);
    if (!impl_->stopped) {
      // The timers go on the I/O thread while the context lives, then the loop ends: work
      // posted before the Stop runs, work posted after it (running() false) does not. Posted
      // even from the thread itself, so that a handler (an Every's function) is never destroyed
      // while it runs.
      asio::post(impl_->ctx, [impl = impl_.get()] {
        impl->repeating.clear();
        impl->work.reset();
        impl->ctx.stop();
      });
      impl_->stopped = true;
    }
  }
  // A thread cannot join itself: from one of its handlers, the loop ends when the queue reaches
  // the end posted above, and the destructor (or a Stop from another thread) joins.
  if (InThread()) return;
  impl_->thread.join();
}

void* IoThread::context() { return &impl_->ctx; }

}  // namespace nacre::net
