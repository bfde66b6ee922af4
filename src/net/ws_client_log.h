// Test helper: records a WsClient's events (opens, messages, downs) and lets a test wait until
// a condition on them holds, checked on every event under the lock (never a sleep; a failure
// bound of 10 s). Header-only, for tests of the net module and its users.
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "net/ws.h"

namespace nacre::net {

struct WsClientLog {
  std::mutex mu;
  int opens = 0;
  std::vector<WsMessage> messages;
  std::vector<std::string> downs;
  std::vector<bool> reconnecting;  // per down: whether a reconnect was scheduled

  // Waits until `cond` holds; false after 10 s.
  bool WaitFor(std::function<bool()> cond) {
    std::future<void> f;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (cond()) return true;
      want_ = std::promise<void>();
      f = want_.get_future();
      until_ = std::move(cond);
    }
    return f.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  }
  WsClient::Handlers Handlers() {
    WsClient::Handlers h;
    h.on_open = [this](int) { Record([this] { ++opens; }); };
    h.on_message = [this](const WsMessage& m) { Record([&] { messages.push_back(m); }); };
    h.on_down = [this](const std::string& why, bool again) {
      Record([&] {
        downs.push_back(why);
        reconnecting.push_back(again);
      });
    };
    return h;
  }

 private:
  void Record(const std::function<void()>& change) {
    std::lock_guard<std::mutex> lock(mu);
    change();
    if (until_ && until_()) {
      until_ = nullptr;
      want_.set_value();
    }
  }
  std::promise<void> want_;
  std::function<bool()> until_;
};

}  // namespace nacre::net
