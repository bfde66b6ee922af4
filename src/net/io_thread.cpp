#include "net/io_thread.h"

#include <atomic>
#include <chrono>
#include <future>
#include <map>
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
  std::thread thread;
};

IoThread::IoThread() : impl_(std::make_unique<Impl>()) {
  impl_->thread = std::thread([this] { impl_->ctx.run(); });
}

IoThread::~IoThread() { Stop(); }

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

bool IoThread::running() const { return impl_->thread.joinable(); }

void IoThread::Stop() {
  if (!impl_->thread.joinable()) return;
  PostAndWait([impl = impl_.get()] { impl->repeating.clear(); });
  impl_->work.reset();
  impl_->ctx.stop();
  impl_->thread.join();
}

void* IoThread::context() { return &impl_->ctx; }

}  // namespace nacre::net
