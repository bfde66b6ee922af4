// EventLoop: the one loop that drives the kernel in every environment. The backtest engine,
// a replayed sandbox and the live node all deliver work through it, so a strategy sees the
// same event order everywhere.
//
// Sources. Every item has a time `ts`; the loop always runs the earliest. At equal `ts` the
// order is fixed (the tie-break policy, used everywhere):
//   1. venue deliveries: Schedule(ts, task) from simulated venues (a command arriving after
//      its latency, a response), in scheduling order;
//   2. clock timers and time alerts, in the Clock's (time, creation) order;
//   3. data: market data pushed by the backtest's merged streams (RunData) or taken from the
//      inbox, in arrival order.
// So an order whose latency ends exactly on a quote's timestamp is at the venue before that
// quote, and a timer at a bar's close fires before the bar is published.
//
// Handlers never nest. Run(f) runs f as a handler; anything deferred while it runs (Defer, a
// command the MessageBus is asked to Send from inside a handler) runs after f returns, first
// in first out, each as a handler of its own, before the loop takes its next item. A
// strategy's SubmitOrder inside on_quote therefore only queues the command: the risk and
// execution engines see it after every subscriber has seen the quote, and the venue's
// answer can never re-enter the strategy inside its own SubmitOrder.
//
// Inbox (live, sandbox, replay): RunInbox/RunLive take the exec lane whole, then at most
// `max_data_per_batch` data items, dispatching them through the exec and data handlers, and
// run due venue deliveries and timers between items in the policy order above.
//
// Exceptions: a handler that throws is stopped at the loop's boundary; the loop reports the
// message through the error handler (the kernel logs it and halts trading) and carries on
// with the next item. Nothing unwinds into another handler.
//
// Thread contract: kernel thread only, except the Inbox, which any thread may feed.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <new>
#include <type_traits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/inbox.h"
#include "common/loop_task.h"

namespace nacre {

struct EventLoopStats {
  std::uint64_t venue_events = 0;
  std::uint64_t timer_events = 0;
  std::uint64_t data_events = 0;
  std::uint64_t exec_events = 0;  // from the inbox's exec lane
  std::uint64_t deferred = 0;     // tasks deferred from inside a handler
  std::uint64_t errors = 0;       // handlers stopped by an exception
};

class EventLoop {
 public:
  using Task = std::function<void()>;
  using DataHandler = std::function<void(const MarketData&)>;
  using ExecHandler = std::function<void(const ExecItem&)>;
  using ErrorHandler = std::function<void(const std::string&)>;

  explicit EventLoop(Clock& clock) : clock_(clock) {}
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  Clock& clock() { return clock_; }

  // ---- handlers ----

  // Runs `f` as a handler now (outside any handler), then every task deferred meanwhile; from
  // inside a handler, defers `f` instead.
  template <typename F>
  void Run(F&& f) {
    if (depth_ > 0) {
      ++stats_.deferred;
      deferred_.emplace_back(std::forward<F>(f));
      return;
    }
    Guarded(f);
    if (deferred_head_ < deferred_.size()) DrainDeferred();
  }
  // Queues `task` to run after the current handler returns (at once when called outside any
  // handler).
  void Defer(LoopTask task);
  bool in_handler() const { return depth_ > 0; }

  // ---- venue deliveries ----

  // Runs `task` at `ts` (not before the clock's now), before timers and data of that time.
  void Schedule(UnixNanos ts, Task task);
  std::size_t scheduled_count() const { return scheduled_.size(); }
  // Time of the earliest venue delivery (UnixNanos max when none).
  UnixNanos NextScheduled() const {
    return scheduled_.empty() ? UnixNanos(INT64_MAX) : scheduled_.front().ts;
  }

  // ---- driving ----

  // Runs every venue delivery and timer due at or before `t` in (ts, policy, sequence) order,
  // moving a simulated clock to each item's time, then moves it to `t` (never backwards).
  // A LiveClock is not moved: items due by `t` run at the clock's own time.
  void AdvanceTo(UnixNanos t);
  // A data item at `ts`: AdvanceTo(ts), then `f` as a handler.
  template <typename F>
  void RunData(UnixNanos ts, F&& f) {
    CheckNotInHandler("RunData");
    // Fast path (most data points): nothing scheduled or due by `ts`.
    if (NextScheduled() <= ts || clock_.NextDue() <= ts) {
      AdvanceTo(ts);
    } else {
      clock_.AdvanceSimTime(ts);
    }
    ++stats_.data_events;
    Run(std::forward<F>(f));
  }

  void SetDataHandler(DataHandler h) { data_handler_ = std::move(h); }
  void SetExecHandler(ExecHandler h) { exec_handler_ = std::move(h); }
  void SetErrorHandler(ErrorHandler h) { error_handler_ = std::move(h); }
  void set_max_data_per_batch(std::size_t n) { max_data_per_batch_ = n == 0 ? 1 : n; }
  // RunLive's end of iteration (LIVE.md §4 steps 5-6: the journal's group commit, then the
  // outbox's release), called outside any handler after each batch and the timers due by then.
  // It returns true when it left work for the next iteration (e.g. commands it released
  // produced events): the loop then does not wait.
  using IterationHook = std::function<bool()>;
  void SetIterationHook(IterationHook h) { iteration_hook_ = std::move(h); }

  // Replay on a simulated clock: every inbox item's `ts` drives the clock (AdvanceTo, then
  // dispatch), until the inbox is closed and drained or a StopRequested is taken. The same
  // data in the same order gives the same event order as RunData. Returns items dispatched.
  std::uint64_t RunInbox(Inbox& inbox);
  // Live: waits on the inbox until the earliest timer or venue delivery is due (by the
  // clock's time), dispatches what came, runs what is due by the clock's Now(), until a
  // StopRequested is taken, `stop` is set or the inbox is closed and drained.
  std::uint64_t RunLive(Inbox& inbox, const std::atomic<bool>* stop = nullptr);
  // Live, one pass: dispatches what the inbox holds now (a StopRequested among it is taken
  // and ignored) and runs what is due by the clock. A stopping node turns this while it waits
  // for the venues' answers to its cancels.
  std::uint64_t PollLive(Inbox& inbox);
  // Replay on a simulated clock fed live (a sandbox node replaying a catalog): as RunInbox,
  // each item's ts drives the clock, so timers and venue latencies fall exactly as in a
  // backtest of the same data; the iteration hook runs after every item (a command made on a
  // quote leaves at that quote's time, after the journal's commit), and `stop` is seen within
  // 100 ms even when nothing arrives.
  std::uint64_t RunReplay(Inbox& inbox, const std::atomic<bool>* stop = nullptr);

  // Drops scheduled and deferred work (a backtest reset).
  void Reset();
  const EventLoopStats& stats() const { return stats_; }

 private:
  struct Scheduled {
    UnixNanos ts;
    std::uint64_t seq;
    Task task;
  };
  struct Later {
    bool operator()(const Scheduled& a, const Scheduled& b) const {
      return a.ts != b.ts ? a.ts > b.ts : a.seq > b.seq;
    }
  };

  // Marks "inside a handler" for its lifetime, whatever leaves the scope.
  struct DepthGuard {
    explicit DepthGuard(int& d) : depth(d) { ++depth; }
    ~DepthGuard() { --depth; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;
    int& depth;
  };
  template <typename F>
  void Guarded(F& f) {
    const char* failed = nullptr;
    std::string what;
    {
      DepthGuard guard(depth_);
      try {
        f();
      } catch (const std::exception& e) {
        what = e.what();
        failed = what.c_str();
      } catch (...) {
        failed = "unknown exception";
      }
    }
    if (failed != nullptr) Failed(failed);  // outside the handler: it may publish or send
  }
  // Throws std::logic_error when a driver (AdvanceTo, RunData, RunInbox, RunLive) is called
  // from inside a handler: the loop would defer its own items and never reach them.
  void CheckNotInHandler(const char* what) const {
    if (depth_ > 0) [[unlikely]] ThrowInHandler(what);
  }
  [[noreturn]] static void ThrowInHandler(const char* what);
  void DrainDeferred();
  void Failed(const char* what);
  // Dispatches one batch from the inbox; returns false after a StopRequested.
  bool DispatchBatch(Inbox& inbox, bool drive_clock, std::uint64_t& count);

  Clock& clock_;
  int depth_ = 0;
  // FIFO of deferred handlers: a vector consumed from deferred_head_, cleared (capacity kept)
  // when drained, so the steady state allocates nothing.
  std::vector<LoopTask> deferred_;
  std::size_t deferred_head_ = 0;
  std::vector<Scheduled> scheduled_;  // min-heap by (ts, seq)
  std::uint64_t next_seq_ = 0;
  std::size_t max_data_per_batch_ = 256;
  DataHandler data_handler_;
  ExecHandler exec_handler_;
  ErrorHandler error_handler_;
  IterationHook iteration_hook_;
  bool hook_pending_ = false;  // the hook left work: do not wait before the next batch
  bool hook_each_ = false;     // RunReplay: the hook after every item, delivery and timer
  std::vector<ExecItem> exec_batch_;
  std::vector<MarketData> data_batch_;
  EventLoopStats stats_;
};

}  // namespace nacre
