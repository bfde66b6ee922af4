// IoThread: one thread running one Asio io_context, for the network clients and servers of the
// net module. Work reaches it only through Post (immutable captures); results leave through
// whatever the poster gave (for the kernel: the event loop's inbox). Stop() ends the loop and
// joins; the destructor stops. Stop queues the end: work posted before it still runs, work
// posted after it (running() false) never does. Both may be called from one of the thread's own
// handlers: Stop then returns without joining (the destructor, or a Stop from another thread,
// joins); the destructor ends the loop when that handler returns, drops the work still queued
// unrun, and leaves the thread to free the loop's state as it exits.
#pragma once

#include <functional>
#include <cstdint>
#include <memory>

#include "core/time.h"

namespace nacre::net {

class IoThread {
 public:
  IoThread();
  ~IoThread();
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  // Runs `fn` on the I/O thread (in posting order).
  void Post(std::function<void()> fn);
  // Runs `fn` on the I/O thread and waits for it (inline when called on the I/O thread).
  // Returns false, without running it, once Stop was called (from another thread; on the
  // thread itself it runs inline while the loop still runs).
  bool PostAndWait(const std::function<void()>& fn);
  // Runs `fn` on the I/O thread every `period` (first after one period) until the returned id
  // is cancelled or the thread stops. Wall-clock pacing for network chores (heartbeats), never
  // for trading time.
  std::uint64_t Every(DurationNs period, std::function<void()> fn);
  void Cancel(std::uint64_t every_id);
  // Runs `fn` once on the I/O thread after `delay` (cancellable with Cancel until it ran).
  std::uint64_t After(DurationNs delay, std::function<void()> fn);
  // True on the I/O thread itself.
  bool InThread() const;
  // False once Stop() was called (posted work would never run).
  bool running() const;
  void Stop();

  // The io_context, for the net module's .cpp files (opaque elsewhere).
  void* context();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nacre::net
