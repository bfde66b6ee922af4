#include "common/component.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/logger.h"

namespace nacre {
namespace {

using S = ComponentState;
using T = ComponentTrigger;

constexpr S kAllStates[] = {S::kPreInitialized, S::kReady,    S::kStarting,  S::kRunning,
                            S::kStopping,       S::kStopped,  S::kResuming,  S::kResetting,
                            S::kDisposing,      S::kDisposed, S::kDegrading, S::kDegraded,
                            S::kFaulting,       S::kFaulted};
constexpr T kAllTriggers[] = {T::kInitialize,       T::kStart,   T::kStartCompleted,   T::kStop,
                              T::kStopCompleted,    T::kResume,  T::kResumeCompleted,  T::kReset,
                              T::kResetCompleted,   T::kDispose, T::kDisposeCompleted, T::kDegrade,
                              T::kDegradeCompleted, T::kFault,   T::kFaultCompleted};

// TRADING_SEMANTICS.md "Component lifecycle", written out edge by edge:
//   PRE_INITIALIZED -> READY -> STARTING -> RUNNING -> STOPPING -> STOPPED;
//   RUNNING -> DEGRADING -> DEGRADED; any -> FAULTING -> FAULTED;
//   STOPPED/DEGRADED -> RESUMING -> RUNNING; READY/STOPPED -> RESETTING -> READY;
//   READY/STOPPED -> DISPOSING -> DISPOSED.
// Plus the stops NautilusTrader (the reference) allows while starting, resuming or degraded.
// "any -> FAULTING" excludes the states a fault cannot leave or re-enter: FAULTING, FAULTED
// and DISPOSED (a disposed component has released everything; there is nothing to fault).
const std::map<std::pair<S, T>, S>& ExpectedTransitions() {
  static const std::map<std::pair<S, T>, S> kTable = {
      {{S::kPreInitialized, T::kInitialize}, S::kReady},
      {{S::kReady, T::kStart}, S::kStarting},
      {{S::kStarting, T::kStartCompleted}, S::kRunning},
      {{S::kRunning, T::kStop}, S::kStopping},
      {{S::kStopping, T::kStopCompleted}, S::kStopped},
      {{S::kRunning, T::kDegrade}, S::kDegrading},
      {{S::kDegrading, T::kDegradeCompleted}, S::kDegraded},
      {{S::kStopped, T::kResume}, S::kResuming},
      {{S::kDegraded, T::kResume}, S::kResuming},
      {{S::kResuming, T::kResumeCompleted}, S::kRunning},
      {{S::kReady, T::kReset}, S::kResetting},
      {{S::kStopped, T::kReset}, S::kResetting},
      {{S::kResetting, T::kResetCompleted}, S::kReady},
      {{S::kReady, T::kDispose}, S::kDisposing},
      {{S::kStopped, T::kDispose}, S::kDisposing},
      {{S::kDisposing, T::kDisposeCompleted}, S::kDisposed},
      // Nautilus: a stop may interrupt starting or resuming, and stops a degraded component.
      {{S::kStarting, T::kStop}, S::kStopping},
      {{S::kResuming, T::kStop}, S::kStopping},
      {{S::kDegraded, T::kStop}, S::kStopping},
      // any -> FAULTING -> FAULTED.
      {{S::kPreInitialized, T::kFault}, S::kFaulting},
      {{S::kReady, T::kFault}, S::kFaulting},
      {{S::kStarting, T::kFault}, S::kFaulting},
      {{S::kRunning, T::kFault}, S::kFaulting},
      {{S::kStopping, T::kFault}, S::kFaulting},
      {{S::kStopped, T::kFault}, S::kFaulting},
      {{S::kResuming, T::kFault}, S::kFaulting},
      {{S::kResetting, T::kFault}, S::kFaulting},
      {{S::kDisposing, T::kFault}, S::kFaulting},
      {{S::kDegrading, T::kFault}, S::kFaulting},
      {{S::kDegraded, T::kFault}, S::kFaulting},
      {{S::kFaulting, T::kFaultCompleted}, S::kFaulted},
  };
  return kTable;
}

TEST(ComponentStateTest, TransitionTableMatchesTheSpecForEveryStateAndTrigger) {
  const auto& expected = ExpectedTransitions();
  int allowed = 0;
  for (S from : kAllStates) {
    for (T trigger : kAllTriggers) {
      const std::optional<S> got = NextComponentState(from, trigger);
      auto it = expected.find({from, trigger});
      if (it == expected.end()) {
        EXPECT_FALSE(got.has_value()) << ToString(from) << " + " << ToString(trigger)
                                      << " should be refused, got " << ToString(*got);
      } else {
        ++allowed;
        ASSERT_TRUE(got.has_value())
            << ToString(from) << " + " << ToString(trigger) << " should be allowed";
        EXPECT_EQ(*got, it->second) << ToString(from) << " + " << ToString(trigger) << " -> "
                                    << ToString(*got) << ", expected " << ToString(it->second);
      }
    }
  }
  EXPECT_EQ(allowed, static_cast<int>(expected.size()));
  EXPECT_EQ(std::size(kAllStates) * std::size(kAllTriggers), 14u * 15u);
}

TEST(ComponentStateTest, TerminalStatesAcceptNothing) {
  for (T trigger : kAllTriggers) {
    EXPECT_FALSE(NextComponentState(S::kDisposed, trigger)) << ToString(trigger);
    EXPECT_FALSE(NextComponentState(S::kFaulted, trigger)) << ToString(trigger);
  }
}

TEST(ComponentStateTest, Names) {
  EXPECT_EQ(ToString(S::kPreInitialized), "PRE_INITIALIZED");
  EXPECT_EQ(ToString(S::kReady), "READY");
  EXPECT_EQ(ToString(S::kRunning), "RUNNING");
  EXPECT_EQ(ToString(S::kDisposing), "DISPOSING");
  EXPECT_EQ(ToString(S::kDegraded), "DEGRADED");
  EXPECT_EQ(ToString(S::kFaulted), "FAULTED");
  EXPECT_EQ(ToString(T::kInitialize), "INITIALIZE");
  EXPECT_EQ(ToString(T::kStartCompleted), "START_COMPLETED");
  EXPECT_EQ(ToString(T::kResumeCompleted), "RESUME_COMPLETED");
  EXPECT_EQ(ToString(T::kDispose), "DISPOSE");
  EXPECT_EQ(ToString(T::kFaultCompleted), "FAULT_COMPLETED");
}

// Records each handler call with the state seen inside it; can be told to throw.
class Probe : public Component {
 public:
  explicit Probe(Logger* logger = nullptr) : Component("Probe-1") {
    if (logger != nullptr) set_logger(logger);
  }

  std::vector<std::string> calls;
  std::string throw_in;      // handler name that throws std::runtime_error
  std::string throw_int_in;  // handler name that throws a non-std exception

 protected:
  void OnStart() override { Call("start"); }
  void OnStop() override { Call("stop"); }
  void OnResume() override { Call("resume"); }
  void OnReset() override { Call("reset"); }
  void OnDispose() override { Call("dispose"); }
  void OnDegrade() override { Call("degrade"); }
  void OnFault() override { Call("fault"); }

 private:
  void Call(const std::string& name) {
    calls.push_back(name + "@" + std::string(ToString(state())));
    if (throw_in == name) throw std::runtime_error(name + " exploded");
    if (throw_int_in == name) throw 42;
  }
};

TEST(ComponentTest, FullLifecycleRunsHandlersInTransientStates) {
  Probe p;
  EXPECT_EQ(p.state(), S::kPreInitialized);
  EXPECT_EQ(p.component_id(), "Probe-1");
  ASSERT_TRUE(p.Initialize());
  EXPECT_TRUE(p.is_ready());
  ASSERT_TRUE(p.Start());
  EXPECT_TRUE(p.is_running());
  ASSERT_TRUE(p.Degrade());
  EXPECT_EQ(p.state(), S::kDegraded);
  ASSERT_TRUE(p.Resume());
  EXPECT_TRUE(p.is_running());
  ASSERT_TRUE(p.Stop());
  EXPECT_EQ(p.state(), S::kStopped);
  ASSERT_TRUE(p.Resume());
  ASSERT_TRUE(p.Stop());
  ASSERT_TRUE(p.Reset());
  EXPECT_TRUE(p.is_ready());
  ASSERT_TRUE(p.Dispose());
  EXPECT_EQ(p.state(), S::kDisposed);
  const std::vector<std::string> expected = {
      "start@STARTING",  "degrade@DEGRADING", "resume@RESUMING", "stop@STOPPING",
      "resume@RESUMING", "stop@STOPPING",     "reset@RESETTING", "dispose@DISPOSING"};
  EXPECT_EQ(p.calls, expected);
}

TEST(ComponentTest, IllegalTransitionReturnsFalseKeepsStateAndLogs) {
  TestClock clock;
  Logger logger(clock, nullptr);
  Probe p(&logger);
  EXPECT_FALSE(p.Start());  // not initialized
  EXPECT_EQ(p.state(), S::kPreInitialized);
  EXPECT_EQ(logger.error_count(), 1u);
  EXPECT_NE(logger.last_error().find("Probe-1"), std::string::npos) << logger.last_error();
  EXPECT_NE(logger.last_error().find("START"), std::string::npos) << logger.last_error();
  EXPECT_NE(logger.last_error().find("PRE_INITIALIZED"), std::string::npos) << logger.last_error();

  ASSERT_TRUE(p.Initialize());
  EXPECT_FALSE(p.Initialize());
  EXPECT_FALSE(p.Stop());
  EXPECT_FALSE(p.Resume());
  EXPECT_FALSE(p.Degrade());
  EXPECT_EQ(p.state(), S::kReady);
  ASSERT_TRUE(p.Start());
  EXPECT_FALSE(p.Start());
  EXPECT_FALSE(p.Reset());
  EXPECT_FALSE(p.Dispose());
  EXPECT_EQ(p.state(), S::kRunning);
  EXPECT_EQ(p.calls, (std::vector<std::string>{"start@STARTING"}));  // no handler ran on refusal
  EXPECT_EQ(logger.error_count(), 8u);
}

TEST(ComponentTest, DisposedComponentRefusesEverything) {
  Probe p;
  ASSERT_TRUE(p.Initialize());
  ASSERT_TRUE(p.Dispose());
  EXPECT_FALSE(p.Start());
  EXPECT_FALSE(p.Reset());
  EXPECT_FALSE(p.Fault());
  EXPECT_EQ(p.state(), S::kDisposed);
}

TEST(ComponentTest, FaultFromRunningRunsOnFault) {
  Probe p;
  ASSERT_TRUE(p.Initialize());
  ASSERT_TRUE(p.Start());
  ASSERT_TRUE(p.Fault());
  EXPECT_EQ(p.state(), S::kFaulted);
  EXPECT_EQ(p.calls.back(), "fault@FAULTING");
  EXPECT_FALSE(p.Fault());
  EXPECT_FALSE(p.Stop());
  EXPECT_FALSE(p.Start());
  EXPECT_EQ(p.state(), S::kFaulted);
}

TEST(ComponentTest, HandlerExceptionFaultsTheComponent) {
  for (const char* handler : {"start", "stop", "resume", "reset", "dispose", "degrade"}) {
    SCOPED_TRACE(handler);
    TestClock clock;
    Logger logger(clock, nullptr);
    Probe p(&logger);
    ASSERT_TRUE(p.Initialize());
    const std::string h = handler;
    // Drive to the state from which this handler's transition starts.
    if (h == "stop" || h == "degrade") {
      ASSERT_TRUE(p.Start());
    }
    if (h == "resume") {
      ASSERT_TRUE(p.Start());
      ASSERT_TRUE(p.Stop());
    }
    p.throw_in = h;
    bool result = true;
    EXPECT_NO_THROW({
      if (h == "start") result = p.Start();
      if (h == "stop") result = p.Stop();
      if (h == "resume") result = p.Resume();
      if (h == "reset") result = p.Reset();
      if (h == "dispose") result = p.Dispose();
      if (h == "degrade") result = p.Degrade();
    });
    EXPECT_FALSE(result);
    EXPECT_EQ(p.state(), S::kFaulted);
    ASSERT_GE(p.calls.size(), 2u);
    EXPECT_EQ(p.calls.back(), "fault@FAULTING");
    EXPECT_GE(logger.error_count(), 1u);
    EXPECT_EQ(logger.error_count(), 1u) << logger.last_error();  // only the handler failure
    EXPECT_NE(logger.last_error().find(h + " exploded"), std::string::npos) << logger.last_error();
  }
}

TEST(ComponentTest, ExceptionInOnFaultStillEndsFaulted) {
  TestClock clock;
  Logger logger(clock, nullptr);
  Probe p(&logger);
  ASSERT_TRUE(p.Initialize());
  p.throw_in = "fault";
  EXPECT_NO_THROW(EXPECT_TRUE(p.Fault()));
  EXPECT_EQ(p.state(), S::kFaulted);
  EXPECT_EQ(logger.error_count(), 1u);
}

TEST(ComponentTest, NonStandardExceptionIsCaughtToo) {
  TestClock clock;
  Logger logger(clock, nullptr);
  Probe p(&logger);
  ASSERT_TRUE(p.Initialize());
  p.throw_int_in = "start";
  bool result = true;
  EXPECT_NO_THROW(result = p.Start());
  EXPECT_FALSE(result);
  EXPECT_EQ(p.state(), S::kFaulted);
  EXPECT_GE(logger.error_count(), 1u);
}

TEST(ComponentTest, WorksWithoutALogger) {
  Probe p;
  EXPECT_FALSE(p.Stop());
  p.throw_in = "start";
  ASSERT_TRUE(p.Initialize());
  EXPECT_FALSE(p.Start());
  EXPECT_EQ(p.state(), S::kFaulted);
}

}  // namespace
}  // namespace nacre
