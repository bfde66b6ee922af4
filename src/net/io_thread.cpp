#include "net/io_thread.h"

#include <future>
#include <thread>

#include "net/asio.h"

namespace nacre::net {

struct IoThread::Impl {
  asio::io_context ctx;
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

bool IoThread::running() const { return impl_->thread.joinable(); }

void IoThread::Stop() {
  if (!impl_->thread.joinable()) return;
  impl_->work.reset();
  impl_->ctx.stop();
  impl_->thread.join();
}

void* IoThread::context() { return &impl_->ctx; }

}  // namespace nacre::net
