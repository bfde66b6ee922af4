#include "common/component.h"

#include <exception>

namespace nacre {

std::string_view ToString(ComponentState s) {
  static constexpr std::string_view kNames[] = {
      "PRE_INITIALIZED", "READY",     "STARTING", "RUNNING",   "STOPPING", "STOPPED",  "RESUMING",
      "RESETTING",       "DISPOSING", "DISPOSED", "DEGRADING", "DEGRADED", "FAULTING", "FAULTED"};
  return kNames[static_cast<int>(s)];
}

std::string_view ToString(ComponentTrigger t) {
  static constexpr std::string_view kNames[] = {
      "INITIALIZE",        "START", "START_COMPLETED", "STOP",    "STOP_COMPLETED",    "RESUME",
      "RESUME_COMPLETED",  "RESET", "RESET_COMPLETED", "DISPOSE", "DISPOSE_COMPLETED", "DEGRADE",
      "DEGRADE_COMPLETED", "FAULT", "FAULT_COMPLETED"};
  return kNames[static_cast<int>(t)];
}

std::optional<ComponentState> NextComponentState(ComponentState from, ComponentTrigger t) {
  using S = ComponentState;
  using T = ComponentTrigger;
  if (t == T::kFault && from != S::kFaulted && from != S::kFaulting && from != S::kDisposed) {
    return S::kFaulting;  // any -> FAULTING
  }
  switch (from) {
    case S::kPreInitialized:
      if (t == T::kInitialize) return S::kReady;
      break;
    case S::kReady:
      if (t == T::kStart) return S::kStarting;
      if (t == T::kReset) return S::kResetting;
      if (t == T::kDispose) return S::kDisposing;
      break;
    case S::kStarting:
      if (t == T::kStartCompleted) return S::kRunning;
      if (t == T::kStop) return S::kStopping;
      break;
    case S::kRunning:
      if (t == T::kStop) return S::kStopping;
      if (t == T::kDegrade) return S::kDegrading;
      break;
    case S::kStopping:
      if (t == T::kStopCompleted) return S::kStopped;
      break;
    case S::kStopped:
      if (t == T::kResume) return S::kResuming;
      if (t == T::kReset) return S::kResetting;
      if (t == T::kDispose) return S::kDisposing;
      break;
    case S::kResuming:
      if (t == T::kResumeCompleted) return S::kRunning;
      if (t == T::kStop) return S::kStopping;
      break;
    case S::kResetting:
      if (t == T::kResetCompleted) return S::kReady;
      break;
    case S::kDisposing:
      if (t == T::kDisposeCompleted) return S::kDisposed;
      break;
    case S::kDegrading:
      if (t == T::kDegradeCompleted) return S::kDegraded;
      break;
    case S::kDegraded:
      if (t == T::kResume) return S::kResuming;
      if (t == T::kStop) return S::kStopping;
      break;
    case S::kFaulting:
      if (t == T::kFaultCompleted) return S::kFaulted;
      break;
    case S::kDisposed:
    case S::kFaulted:
      break;
  }
  return std::nullopt;
}

bool Component::Trigger(ComponentTrigger t) {
  const auto next = NextComponentState(state_, t);
  if (!next) {
    log_.Error("invalid lifecycle transition: {} in state {}", ToString(t), ToString(state_));
    return false;
  }
  state_ = *next;
  return true;
}

bool Component::RunTransition(ComponentTrigger begin, ComponentTrigger done,
                              void (Component::*handler)()) {
  if (!Trigger(begin)) return false;
  try {
    (this->*handler)();
  } catch (const std::exception& e) {
    return HandlerFailed(begin, e.what());
  } catch (...) {
    return HandlerFailed(begin, "unknown exception");
  }
  return Trigger(done);
}

bool Component::HandlerFailed(ComponentTrigger begin, std::string_view what) {
  log_.Error("{} handler failed: {}", ToString(begin), what);
  if (begin != ComponentTrigger::kFault) {
    Fault();
    return false;
  }
  // A failing OnFault still completes the fault.
  return Trigger(ComponentTrigger::kFaultCompleted);
}

bool Component::Initialize() { return Trigger(ComponentTrigger::kInitialize); }
bool Component::Start() {
  return RunTransition(ComponentTrigger::kStart, ComponentTrigger::kStartCompleted,
                       &Component::OnStart);
}
bool Component::Stop() {
  return RunTransition(ComponentTrigger::kStop, ComponentTrigger::kStopCompleted,
                       &Component::OnStop);
}
bool Component::Resume() {
  return RunTransition(ComponentTrigger::kResume, ComponentTrigger::kResumeCompleted,
                       &Component::OnResume);
}
bool Component::Reset() {
  return RunTransition(ComponentTrigger::kReset, ComponentTrigger::kResetCompleted,
                       &Component::OnReset);
}
bool Component::Dispose() {
  return RunTransition(ComponentTrigger::kDispose, ComponentTrigger::kDisposeCompleted,
                       &Component::OnDispose);
}
bool Component::Degrade() {
  return RunTransition(ComponentTrigger::kDegrade, ComponentTrigger::kDegradeCompleted,
                       &Component::OnDegrade);
}
bool Component::Fault() {
  return RunTransition(ComponentTrigger::kFault, ComponentTrigger::kFaultCompleted,
                       &Component::OnFault);
}

}  // namespace nacre
