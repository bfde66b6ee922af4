// Component: the lifecycle every actor, strategy and engine shares
// (TRADING_SEMANTICS.md "Component lifecycle"). Transitions go through a transient state
// (STARTING, STOPPING, ...) while the matching handler runs; an exception from a handler
// moves the component to FAULTED instead of escaping. Illegal transitions are refused with
// a logged error. Not thread-safe: kernel thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/logger.h"

namespace nacre {

enum class ComponentState : std::uint8_t {
  kPreInitialized,
  kReady,
  kStarting,
  kRunning,
  kStopping,
  kStopped,
  kResuming,
  kResetting,
  kDisposing,
  kDisposed,
  kDegrading,
  kDegraded,
  kFaulting,
  kFaulted,
};

enum class ComponentTrigger : std::uint8_t {
  kInitialize,
  kStart,
  kStartCompleted,
  kStop,
  kStopCompleted,
  kResume,
  kResumeCompleted,
  kReset,
  kResetCompleted,
  kDispose,
  kDisposeCompleted,
  kDegrade,
  kDegradeCompleted,
  kFault,
  kFaultCompleted,
};

std::string_view ToString(ComponentState s);
std::string_view ToString(ComponentTrigger t);
std::optional<ComponentState> NextComponentState(ComponentState from, ComponentTrigger trigger);

class Component {
 public:
  explicit Component(std::string id) : id_(std::move(id)) {}
  virtual ~Component() = default;
  Component(const Component&) = delete;
  Component& operator=(const Component&) = delete;

  const std::string& component_id() const { return id_; }
  ComponentState state() const { return state_; }
  bool is_running() const { return state_ == ComponentState::kRunning; }
  bool is_ready() const { return state_ == ComponentState::kReady; }

  // Each returns false (and logs) when the transition is not allowed from the current state.
  bool Initialize();
  bool Start();
  bool Stop();
  bool Resume();
  bool Reset();
  bool Dispose();
  bool Degrade();
  bool Fault();

 protected:
  virtual void OnStart() {}
  virtual void OnStop() {}
  virtual void OnResume() {}
  virtual void OnReset() {}
  virtual void OnDispose() {}
  virtual void OnDegrade() {}
  virtual void OnFault() {}

  LogAdapter& log() { return log_; }
  void set_logger(Logger* logger) { log_ = LogAdapter(logger, id_); }

 private:
  bool Trigger(ComponentTrigger t);
  bool RunTransition(ComponentTrigger begin, ComponentTrigger done, void (Component::*handler)());
  bool HandlerFailed(ComponentTrigger begin, std::string_view what);

  std::string id_;
  ComponentState state_ = ComponentState::kPreInitialized;
  LogAdapter log_;
};

}  // namespace nacre
