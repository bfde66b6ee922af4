#include "net/io_thread.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>

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

}  // namespace
}  // namespace nacre::net
