// Inbox: the only way into the kernel thread from another thread (an I/O thread parsing
// broker messages, a signal handler, a replay feeder). Producers push immutable values; the
// kernel thread's EventLoop takes them. Thread-safe: any number of producers, one consumer.
//
// Two lanes. The exec lane (execution events, account states, control messages such as
// StopRequested) is always taken whole before any data, so a cancel's answer never waits
// behind market data; it is never dropped or conflated. The data lane carries market data in
// arrival order, with this bounded policy:
// - backlog: once the lane holds `conflate_above` items, a quote for an instrument that
//   already has a quote waiting replaces that waiting quote in place (newest values, the older
//   slot; counted as conflated). The kernel then sees each instrument's newest quote once.
// - full: at `capacity` items, a quote that cannot be conflated is dropped (counted). With
//   conflation the lane holds at most one quote per instrument, so it fills only with trades
//   and bars, which are never dropped or conflated (the lane may then exceed `capacity`,
//   counted as over_capacity).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "model/account.h"
#include "model/data.h"
#include "model/events.h"

namespace nacre {

// Asks the loop to stop after the current batch (SIGINT/SIGTERM, a control command).
struct StopRequested {
  std::string reason;
};

// An operator's command from the control socket (`nacre ctl`, live/control_socket.h), taken by
// the kernel thread, which answers through `reply` with one line of JSON. The reply slot is
// the only state shared with the socket's thread (a promise: set once, from the kernel thread).
enum class ControlCommand : std::uint8_t { kStatus, kHalt, kResume, kCancelAll, kFlatten, kReconcile };
// "status", "halt", "resume", "cancel-all", "flatten", "reconcile".
std::string_view ToString(ControlCommand c);
std::optional<ControlCommand> ParseControlCommand(std::string_view text);

struct ControlRequest {
  ControlCommand command = ControlCommand::kStatus;
  std::string reason;  // why, as the operator gave it (may be empty)
  std::shared_ptr<std::promise<std::string>> reply;
};

// Work an I/O thread hands to the kernel thread: a broker adapter's parsed answer (a REST
// result, an order update from the ticker) to be applied there. `run` captures immutable values
// only (the parsed answer) and the adapter that posted it, which outlives the loop; it runs
// once, on the kernel thread, in inbox order with every other exec item.
struct KernelTask {
  std::string origin;  // who posted it ("KITE place N01AB"), for logs and tests
  std::function<void()> run;
};

using ExecMessage =
    std::variant<OrderEvent, AccountState, StopRequested, ControlRequest, KernelTask>;

struct ExecItem {
  UnixNanos ts;  // when the producer saw it (stamped with the kernel clock's Now())
  ExecMessage message;
};

struct InboxConfig {
  std::size_t capacity = 100'000;
  std::size_t conflate_above = 1'000;
};

struct InboxStats {
  std::uint64_t exec_pushed = 0;
  std::uint64_t data_pushed = 0;
  std::uint64_t conflated = 0;      // quotes replaced by a newer quote of the same instrument
  std::uint64_t dropped = 0;        // quotes dropped at capacity
  std::uint64_t over_capacity = 0;  // trades/bars accepted past capacity
  std::size_t exec_high_water = 0;
  std::size_t data_high_water = 0;
};

class Inbox {
 public:
  explicit Inbox(InboxConfig config = {}) : config_(config) {}
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  // Producers (any thread). Pushing after Close() is ignored.
  void PushExec(UnixNanos ts, ExecMessage message);
  void PushData(const MarketData& data);
  // No more items will come; the consumer drains what is queued and then sees closed().
  void Close();

  // Consumer (the kernel thread). Waits until an item is queued, the inbox is closed or
  // `deadline` passes; returns true when something is queued.
  bool WaitUntil(std::chrono::steady_clock::time_point deadline);
  bool Wait();  // no deadline
  // Moves every queued exec item and at most `max_data` data items into the (cleared) vectors.
  void Take(std::vector<ExecItem>& exec, std::vector<MarketData>& data, std::size_t max_data);
  bool closed() const;
  bool empty() const;
  // Data items waiting (a replay feeder holds back above a bound instead of conflating).
  std::size_t data_size() const;
  InboxStats stats() const;

 private:
  bool HasItemsLocked() const { return !exec_.empty() || !data_.empty(); }

  InboxConfig config_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<ExecItem> exec_;
  std::deque<MarketData> data_;
  std::uint64_t data_popped_ = 0;  // absolute index of data_.front()
  // Absolute index of each instrument's waiting quote (for conflation).
  std::unordered_map<InstrumentId, std::uint64_t, IdHash> waiting_quote_;
  bool closed_ = false;
  InboxStats stats_;
};

}  // namespace nacre
