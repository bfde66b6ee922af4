// The operator's control socket (LIVE.md §11; `nacre ctl`): a Unix domain socket, mode 0600,
// normally state/{trader_id}/control.sock, served by its own thread with plain POSIX sockets.
//
// Protocol: one request per connection, one line of JSON
//   {"cmd": "status" | "halt" | "resume" | "cancel-all" | "flatten" | "reconcile",
//    "reason": "..."}
// answered by one line of JSON, then the server closes:
//   {"ok": true, "cmd": "halt", "message": "...", "trading_state": "HALTED"}
//   {"ok": true, "cmd": "status", "status": {...}}             (KillSwitch::StatusJson)
//   {"ok": false, "error": "..."}                              (a refusal or a bad request)
// A well-formed request goes to the kernel thread as a ControlRequest on the inbox's exec lane
// (so it is not stuck behind market data); the server waits up to `reply_timeout` for the
// kernel's answer. A bad request (not JSON, unknown command, wrong types, too long) is
// answered at once, naming what was wrong, and nothing is pushed.
//
// Start-up refuses: a parent folder that is missing or group- or world-writable; a path that
// exists and is not a socket; a socket another process answers on. A stale socket file (nobody
// listening) is removed. The socket is created under umask 0177 and chmod'ed to 0600; Stop()
// (and the destructor) remove it.
//
// Threads: ControlServer's thread does all socket work; it touches nothing of the kernel's but
// the Inbox (thread-safe) and the clock's const Now(). HandleControl/ServeControl run on the
// kernel thread (the node's exec handler). SendControlRequest is the client (any thread).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "common/clock.h"
#include "common/inbox.h"
#include "core/result.h"

namespace nacre {

class KillSwitch;

struct ControlServerConfig {
  std::string path;
  std::chrono::milliseconds reply_timeout{5000};  // the kernel's answer
  std::chrono::milliseconds read_timeout{5000};   // a client's request line
  std::size_t max_request_bytes = 64 * 1024;
};

class ControlServer {
 public:
  // Checks the path, binds, listens and starts the thread; an error says why not.
  static Result<std::unique_ptr<ControlServer>> Start(ControlServerConfig config, Inbox& inbox,
                                                      const Clock& clock);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Stops the thread (a request waiting for the kernel is answered as timed out), closes the
  // socket and removes its file. Idempotent.
  void Stop();
  const std::string& path() const { return config_.path; }
  // Connections answered so far.
  std::uint64_t served() const { return served_.load(); }

 private:
  ControlServer(ControlServerConfig config, Inbox& inbox, const Clock& clock, int listen_fd,
                int wake_read, int wake_write);
  void Run();
  void Serve(int fd);
  // The reply to one request line (pushing it to the kernel when it is well formed).
  std::string Answer(std::string_view line);

  ControlServerConfig config_;
  Inbox& inbox_;
  const Clock& clock_;
  int listen_fd_ = -1;
  int wake_read_ = -1;
  int wake_write_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> served_{0};
  std::thread thread_;
};

// One request line parsed (its reply slot left empty); the error names what was wrong.
Result<ControlRequest> ParseControlRequest(std::string_view line);

// The kernel thread's answer to a request: one line of JSON (no newline).
std::string HandleControl(KillSwitch& kill_switch, const ControlRequest& request);
// HandleControl's answer set into the request's reply slot (what the node's exec handler
// calls for a ControlRequest). Never throws.
void ServeControl(KillSwitch& kill_switch, const ControlRequest& request);
// The reply line for `command` with its outcome (a message or the refusal) and the trading
// state; and a reply set into the request's slot (once; a second answer is dropped).
std::string ControlReply(const KillSwitch& kill_switch, ControlCommand command,
                         const Result<std::string>& done);
void ReplyControl(const ControlRequest& request, std::string reply);

// Client: connects to the socket at `path`, sends `request_line` (a newline is added) and
// returns the reply line. kUnavailable when it cannot connect (the message names the path and
// whether a node is running there), kTimeout when no answer comes within `timeout`.
Result<std::string> SendControlRequest(const std::string& path, const std::string& request_line,
                                       std::chrono::milliseconds timeout);

}  // namespace nacre
