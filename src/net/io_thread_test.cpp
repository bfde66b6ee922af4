#include "net/io_thread.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include "net/asio.h"

namespace nacre::net {
namespace {

constexpr auto kBound = std::chrono::seconds(10);

TEST(IoThread, PostAndWaitRunsOnTheThreadAndStopsRunningAfterStop) {
  IoThread io;
  bool on_thread = false;
  EXPECT_TRUE(io.PostAndWait([&] { on_thread = io.InThread(); }));
  EXPECT_TRUE(on_thread);
  io.Stop();
  bool ran = false;
  EXPECT_FALSE(io.PostAndWait([&] { ran = true; }));
  EXPECT_FALSE(ran);
}

TEST(IoThread, EveryRepeatsUntilCancelled) {
  IoThread io;
  std::atomic<int> a{0};
  std::promise<void> three;
  const std::uint64_t id = io.Every(10 * kNanosPerMilli, [&] {
    if (++a == 3) three.set_value();
  });
  ASSERT_EQ(three.get_future().wait_for(kBound), std::future_status::ready);
  io.Cancel(id);
  int at_cancel = 0;
  io.PostAndWait([&] { at_cancel = a.load(); });  // the cancel has run: no tick after this
  // Another timer of the same period is the clock: after three of its ticks, the cancelled
  // one has had every chance to tick again.
  std::atomic<int> b{0};
  std::promise<void> b3;
  io.Every(10 * kNanosPerMilli, [&] {
    if (++b == 3) b3.set_value();
  });
  ASSERT_EQ(b3.get_future().wait_for(kBound), std::future_status::ready);
  EXPECT_EQ(a.load(), at_cancel);
  io.Stop();  // before the counters the timers touch go out of scope
}

TEST(IoThread, AfterRunsOnce) {
  IoThread io;
  std::atomic<int> once{0};
  std::promise<void> ran;
  io.After(5 * kNanosPerMilli, [&] {
    if (++once == 1) ran.set_value();
  });
  ASSERT_EQ(ran.get_future().wait_for(kBound), std::future_status::ready);
  // A repeating timer of the same delay is the clock: after three of its ticks the one-shot
  // has had every chance to run again.
  std::atomic<int> b{0};
  std::promise<void> b3;
  io.Every(5 * kNanosPerMilli, [&] {
    if (++b == 3) b3.set_value();
  });
  ASSERT_EQ(b3.get_future().wait_for(kBound), std::future_status::ready);
  EXPECT_EQ(once.load(), 1);
  io.Stop();
}

// Stop called by one of the thread's own handlers (a timer's, here) ends the loop once that
// handler returns: nothing posted after it runs, the timer does not fire again, and the owner's
// Stop from another thread joins. Before, the thread tried to join itself
// (std::system_error, and std::terminate from a destructor).
TEST(IoThread, StopFromItsOwnHandlerEndsTheLoopAndTheOwnerJoins) {
  IoThread io;
  std::atomic<int> ticks{0};
  std::atomic<bool> posted_after_ran{false};
  std::atomic<bool> running_after_stop{true};
  std::promise<void> stopped;
  io.Every(kNanosPerMilli, [&] {
    if (++ticks != 2) return;
    io.Stop();
    running_after_stop = io.running();
    io.Post([&] { posted_after_ran = true; });
    stopped.set_value();
  });
  ASSERT_EQ(stopped.get_future().wait_for(kBound), std::future_status::ready);
  io.Stop();  // joins: returns only once the loop has ended
  EXPECT_FALSE(running_after_stop.load());
  EXPECT_FALSE(io.running());
  EXPECT_EQ(ticks.load(), 2);
  EXPECT_FALSE(posted_after_ran.load());
  EXPECT_FALSE(io.PostAndWait([] {}));
}

// Work posted before a Stop from another thread still runs; the Stop waits for it.
TEST(IoThread, WorkPostedBeforeStopRunsAndWorkAfterDoesNot) {
  IoThread io;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> ran{0};
  io.Post([released] { released.wait(); });  // holds the loop while the rest is queued
  io.Post([&] { ++ran; });
  std::thread stopper([&] { io.Stop(); });
  // The Stop has queued its end when running() turns false; then the gate opens.
  const auto until = std::chrono::steady_clock::now() + kBound;
  while (io.running() && std::chrono::steady_clock::now() < until) std::this_thread::yield();
  const bool queued = !io.running();
  io.Post([&] { ran += 100; });
  release.set_value();
  stopper.join();
  ASSERT_TRUE(queued) << "running() stayed true after Stop";
  EXPECT_EQ(ran.load(), 1);
  EXPECT_FALSE(io.PostAndWait([&] { ran += 1000; }));
  EXPECT_EQ(ran.load(), 1);
}

// Destroyed by one of its own handlers: the handler finishes, the loop ends, and the thread
// frees the loop's state on its way out, which destroys work still queued on it unrun.
TEST(IoThread, DestroyedByItsOwnHandlerEndsTheLoopAndFreesItsState) {
  struct Sentinel {
    std::promise<void>* gone;
    ~Sentinel() { gone->set_value(); }
  };
  std::promise<void> gone;
  std::atomic<bool> queued_ran{false};
  std::promise<void> handler_done;
  auto io = std::make_unique<IoThread>();
  auto* ctx = static_cast<asio::io_context*>(io->context());
  std::promise<void> gate;
  std::shared_future<void> gate_open = gate.get_future().share();
  std::atomic<bool> behind_ran{false};
  io->Post([&] {
    gate_open.wait();  // the handler behind is queued before this one goes on
    io.reset();        // ~IoThread on its own thread
    auto sentinel = std::make_shared<Sentinel>(&gone);
    asio::post(*ctx, [sentinel, &queued_ran] { queued_ran = true; });
    handler_done.set_value();
  });
  io->Post([&] { behind_ran = true; });  // queued behind the destroying handler: dropped
  gate.set_value();
  ASSERT_EQ(handler_done.get_future().wait_for(kBound), std::future_status::ready);
  ASSERT_EQ(gone.get_future().wait_for(kBound), std::future_status::ready);
  EXPECT_FALSE(queued_ran.load());
  EXPECT_FALSE(behind_ran.load());
  EXPECT_EQ(io, nullptr);
}

// Races: PostAndWait from another thread while a handler stops the loop either runs or is
// refused, never left waiting behind the end; Stops from several threads at once each return
// after one join.
TEST(IoThread, PostAndWaitAndStopsRacingAStopFromAHandlerNeverHang) {
  for (int round = 0; round < 50; ++round) {
    IoThread io;
    io.After(kNanosPerMilli / 10, [&] { io.Stop(); });
    int refused = 0;
    for (int i = 0; i < 100'000 && refused == 0; ++i) {
      refused += io.PostAndWait([] {}) ? 0 : 1;
    }
    EXPECT_EQ(refused, 1);
    std::thread a([&] { io.Stop(); });
    std::thread b([&] { io.Stop(); });
    io.Stop();
    a.join();
    b.join();
    EXPECT_FALSE(io.running());
  }
}

}  // namespace
}  // namespace nacre::net
