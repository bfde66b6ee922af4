#include "common/event_loop.h"

#include <algorithm>
#include <chrono>
#include <limits>

namespace nacre {

void EventLoop::Defer(LoopTask task) {
  if (depth_ == 0) {
    Guarded(task);
    if (deferred_head_ < deferred_.size()) DrainDeferred();
    return;
  }
  ++stats_.deferred;
  deferred_.push_back(std::move(task));
}

void EventLoop::DrainDeferred() {
  while (deferred_head_ < deferred_.size()) {
    // Moved out first: the task may defer more (push_back can reallocate the vector).
    LoopTask t = std::move(deferred_[deferred_head_++]);
    Guarded(t);
  }
  deferred_.clear();
  deferred_head_ = 0;
}

void EventLoop::Failed(const char* what) {
  ++stats_.errors;
  if (!error_handler_) return;
  // The error handler runs as a handler of its own; if it throws too, that is counted and
  // dropped (reporting a failure must never unwind the loop).
  DepthGuard guard(depth_);
  try {
    error_handler_(what);
  } catch (...) {
    ++stats_.errors;
  }
}

void EventLoop::ThrowInHandler(const char* what) {
  throw std::logic_error(std::string("EventLoop::") + what +
                         " called from inside a handler (only the loop's owner drives it)");
}

void EventLoop::Schedule(UnixNanos ts, Task task) {
  if (ts < clock_.Now()) ts = clock_.Now();
  scheduled_.push_back(Scheduled{ts, next_seq_++, std::move(task)});
  std::push_heap(scheduled_.begin(), scheduled_.end(), Later{});
}

void EventLoop::AdvanceTo(UnixNanos t) {
  CheckNotInHandler("AdvanceTo");
  for (;;) {
    const UnixNanos venue = NextScheduled();
    const UnixNanos timer = clock_.NextDue();
    if (venue > t && timer > t) break;
    if (venue <= timer) {  // venue deliveries first at equal times
      std::pop_heap(scheduled_.begin(), scheduled_.end(), Later{});
      Scheduled item = std::move(scheduled_.back());
      scheduled_.pop_back();
      clock_.AdvanceSimTime(item.ts);
      ++stats_.venue_events;
      Run(item.task);
    } else {
      ++stats_.timer_events;
      Run([this, t] { clock_.FireNext(t); });
    }
    // Replay: what the delivery or the timer made leaves at its time (RunReplay).
    if (hook_each_ && iteration_hook_) hook_pending_ = iteration_hook_();
  }
  clock_.AdvanceSimTime(t);
}

bool EventLoop::DispatchBatch(Inbox& inbox, bool drive_clock, std::uint64_t& count) {
  inbox.Take(exec_batch_, data_batch_, max_data_per_batch_);
  bool go_on = true;
  for (const ExecItem& item : exec_batch_) {
    if (std::holds_alternative<StopRequested>(item.message)) go_on = false;
    if (drive_clock) AdvanceTo(item.ts);
    ++stats_.exec_events;
    ++count;
    if (exec_handler_) Run([this, &item] { exec_handler_(item); });
    if (hook_each_ && iteration_hook_) hook_pending_ = iteration_hook_();
  }
  for (const MarketData& d : data_batch_) {
    ++count;
    if (drive_clock) {
      RunData(TsInitOf(d), [this, &d] {
        if (data_handler_) data_handler_(d);
      });
      if (hook_each_ && iteration_hook_) hook_pending_ = iteration_hook_();
    } else {
      AdvanceTo(clock_.Now());
      ++stats_.data_events;
      if (data_handler_) Run([this, &d] { data_handler_(d); });
    }
  }
  return go_on;
}

std::uint64_t EventLoop::RunInbox(Inbox& inbox) {
  CheckNotInHandler("RunInbox");
  std::uint64_t count = 0;
  for (;;) {
    if (!inbox.Wait() && inbox.closed()) break;
    if (!DispatchBatch(inbox, true, count)) break;
  }
  return count;
}

std::uint64_t EventLoop::PollLive(Inbox& inbox) {
  CheckNotInHandler("PollLive");
  std::uint64_t count = 0;
  (void)DispatchBatch(inbox, false, count);
  AdvanceTo(clock_.Now());
  return count;
}

std::uint64_t EventLoop::RunLive(Inbox& inbox, const std::atomic<bool>* stop) {
  CheckNotInHandler("RunLive");
  std::uint64_t count = 0;
  for (;;) {
    if (stop != nullptr && stop->load(std::memory_order_acquire)) break;
    const UnixNanos due = std::min(NextScheduled(), clock_.NextDue());
    const UnixNanos now = clock_.Now();
    if (due > now && !hook_pending_) {
      // Wait at most until the next due item in wall time (a scaled clock runs `rate` times
      // faster, and one skipping closed hours reaches a night's timers at the jump), and at
      // most 100 ms, so `stop` is seen.
      const std::int64_t wall_ns = clock_.WallUntil(due);
      const std::int64_t wait_ns = std::clamp<std::int64_t>(wall_ns, 0, 100'000'000);
      inbox.WaitUntil(std::chrono::steady_clock::now() + std::chrono::nanoseconds(wait_ns));
    }
    const bool go_on = DispatchBatch(inbox, false, count);
    AdvanceTo(clock_.Now());
    hook_pending_ = iteration_hook_ ? iteration_hook_() : false;
    if (!go_on) break;
    if (inbox.closed() && inbox.empty() && !hook_pending_) break;
  }
  return count;
}

std::uint64_t EventLoop::RunReplay(Inbox& inbox, const std::atomic<bool>* stop) {
  CheckNotInHandler("RunReplay");
  std::uint64_t count = 0;
  hook_each_ = true;
  struct Reset {
    bool& flag;
    ~Reset() { flag = false; }
  } reset{hook_each_};
  for (;;) {
    if (stop != nullptr && stop->load(std::memory_order_acquire)) break;
    if (!hook_pending_) {
      inbox.WaitUntil(std::chrono::steady_clock::now() + std::chrono::milliseconds(100));
    }
    const bool go_on = DispatchBatch(inbox, true, count);
    hook_pending_ = iteration_hook_ ? iteration_hook_() : false;
    if (!go_on) break;
    if (inbox.closed() && inbox.empty() && !hook_pending_) break;
  }
  return count;
}

void EventLoop::Reset() {
  scheduled_.clear();
  deferred_.clear();
  deferred_head_ = 0;
  next_seq_ = 0;
  stats_ = EventLoopStats{};
}

}  // namespace nacre
