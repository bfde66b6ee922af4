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
  std::mutex stop_mu;                // orders PostAndWait's posts against the end Stop queues
  std::atomic<bool> stopped{false};  // the end is queued: work posted after it never runs
  std::mutex join_mu;                // one join of `thread`
  std::thread::id thread_id;         // the thread's (set before anyone can post to it)
  std::atomic<bool> exited{false};   // its function has returned (its id may be reused)
  bool orphaned = false;  // destroyed from its own thread: the thread deletes this on its way out
  std::thread thread;

  // Queues the end once: the timers go on the I/O thread while the context lives, then the loop
  // stops. Work posted before it runs, work posted after it does not. Posted even from the
  // thread itself, so that a handler (an Every's function) is never destroyed while it runs.
  void QueueEnd() {
    std::lock_guard<std::mutex> lock(stop_mu);
    if (stopped) return;
    asio::post(ctx, [this] {
      repeating.clear();
      work.reset();
      ctx.stop();
    });
    stopped = true;
  }
};

IoThread::IoThread() : impl_(std::make_unique<Impl>()) {
  impl_->thread = std::thread([impl = impl_.get()] {
    impl->ctx.run();
    impl->exited = true;
    if (impl->orphaned) delete impl;  // set on this thread, by the destructor (below)
  });
  impl_->thread_id = impl_->thread.get_id();
}

IoThread::~IoThread() {
  if (InThread()) {
    // Destroyed by one of its own handlers: the loop is on this thread's stack, so the state it
    // runs on cannot go now. The loop ends when this handler returns; work still queued is
    // dropped unrun (whatever it would touch may have gone with this object), and the thread
    // frees the state as it leaves.
    {
      std::lock_guard<std::mutex> lock(impl_->stop_mu);
      impl_->stopped = true;
    }
    impl_->ctx.stop();
    impl_->orphaned = true;
    impl_->thread.detach();
    (void)impl_.release();
    return;
  }
  Stop();
}

void IoThread::Post(std::function<void()> fn) { asio::post(impl_->ctx, std::move(fn)); }

bool IoThread::PostAndWait(const std::function<void()>& fn) {
  if (InThread()) {  // inline: the loop is running (even with a Stop's end queued behind it)
    fn();
    return true;
  }
  std::promise<void> done;
  {
    // Either queued before a Stop's end (it runs) or refused: never queued behind the end,
    // where it would never run and this would wait for good.
    std::lock_guard<std::mutex> lock(impl_->stop_mu);
    if (impl_->stopped) return false;
    asio::post(impl_->ctx, [&] {
      fn();
      done.set_value();
    });
  }
  done.get_future().wait();
  return true;
}

bool IoThread::InThread() const {
  return !impl_->exited && std::this_thread::get_id() == impl_->thread_id;
}

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

bool IoThread::running() const { return !impl_->stopped; }

void IoThread::Stop() {
  impl_->QueueEnd();
  // A thread cannot join itself: from one of its handlers, the loop ends when the queue reaches
  // the end, and the destructor (or a Stop from another thread) joins. Concurrent Stops join
  // once.
  if (InThread()) return;
  std::lock_guard<std::mutex> lock(impl_->join_mu);
  if (impl_->thread.joinable()) impl_->thread.join();
}

void* IoThread::context() { return &impl_->ctx; }

}  // namespace nacre::net
