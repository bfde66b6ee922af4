#include "live/control_socket.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>

#include "live/kill_switch.h"

namespace nacre {

namespace {

using SteadyClock = std::chrono::steady_clock;

std::string Errno(int e) { return std::strerror(e); }

// One line of JSON; text that is not valid UTF-8 (a client's bytes echoed back) is replaced,
// never thrown over.
std::string Dump(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string ErrorReply(const std::string& message) {
  nlohmann::ordered_json j;
  j["ok"] = false;
  j["error"] = message;
  return Dump(j);
}

// A sockaddr_un for `path`; false when the path does not fit.
bool SocketAddress(const std::string& path, sockaddr_un& addr) {
  std::memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) return false;
  std::memcpy(addr.sun_path, path.data(), path.size());
  return true;
}

// Connects a new socket to `path`; the fd, or -errno.
int ConnectTo(const std::string& path) {
  sockaddr_un addr{};
  if (!SocketAddress(path, addr)) return -ENAMETOOLONG;
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int e = errno;
    ::close(fd);
    return -e;
  }
  return fd;
}

// Waits until `fd` is ready for `events` or `deadline` passes (false then, or on an error).
bool WaitFd(int fd, short events, SteadyClock::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 100)));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

// Reads up to the first newline (or the peer's end) within `deadline`. Errors: timeout, too
// long, read failure.
Result<std::string> ReadLine(int fd, SteadyClock::time_point deadline, std::size_t max_bytes) {
  std::string line;
  char buf[4096];
  for (;;) {
    if (!WaitFd(fd, POLLIN, deadline)) {
      return MakeError(ErrorCode::kTimeout, "no complete line in time");
    }
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return MakeError(ErrorCode::kIo, "read failed: " + Errno(errno));
    }
    if (n == 0) return line;  // the peer closed: what came is the line
    line.append(buf, static_cast<std::size_t>(n));
    if (const auto nl = line.find('\n'); nl != std::string::npos) {
      line.resize(nl);
      return line;
    }
    if (line.size() > max_bytes) {
      return MakeError(ErrorCode::kInvalidInput,
                       fmt::format("request longer than {} bytes", max_bytes));
    }
  }
}

bool WriteAll(int fd, std::string_view data, SteadyClock::time_point deadline) {
  while (!data.empty()) {
    if (!WaitFd(fd, POLLOUT, deadline)) return false;
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string KnownCommands() {
  std::string out;
  for (ControlCommand c : {ControlCommand::kStatus, ControlCommand::kHalt, ControlCommand::kResume,
                           ControlCommand::kCancelAll, ControlCommand::kFlatten,
                           ControlCommand::kReconcile}) {
    if (!out.empty()) out += ", ";
    out += ToString(c);
  }
  return out;
}

// Checks where the socket goes and clears a stale one; an error says why it cannot go there.
Status PrepareSocketPath(const std::string& path) {
  sockaddr_un addr{};
  if (!SocketAddress(path, addr)) {
    return MakeError(ErrorCode::kInvalidInput,
                     fmt::format("control socket path {} is empty or longer than {} bytes", path,
                                 sizeof(addr.sun_path) - 1));
  }
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  struct stat ds {};
  if (::stat(dir.c_str(), &ds) != 0 || !S_ISDIR(ds.st_mode)) {
    return MakeError(ErrorCode::kNotFound,
                     fmt::format("control socket folder {} does not exist", dir.string()));
  }
  if ((ds.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("control socket folder {} is group- or world-writable (mode "
                                 "{:04o}): anyone there could replace the socket; refused",
                                 dir.string(), ds.st_mode & 07777));
  }
  struct stat ps {};
  if (::lstat(path.c_str(), &ps) != 0) return Status::Ok();  // nothing there yet
  if (!S_ISSOCK(ps.st_mode)) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("{} exists and is not a socket; refused", path));
  }
  const int fd = ConnectTo(path);
  if (fd >= 0) {
    ::close(fd);
    return MakeError(
        ErrorCode::kFailedPrecondition,
        fmt::format("another process is listening on {} (a node already running?)", path));
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return MakeError(ErrorCode::kIo,
                     fmt::format("cannot remove the stale socket {}: {}", path, Errno(errno)));
  }
  return Status::Ok();
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Server

Result<std::unique_ptr<ControlServer>> ControlServer::Start(ControlServerConfig config,
                                                            Inbox& inbox, const Clock& clock) {
  if (Status s = PrepareSocketPath(config.path); !s) return Error{s.error(), s.code()};
  sockaddr_un addr{};
  SocketAddress(config.path, addr);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return MakeError(ErrorCode::kIo, "socket: " + Errno(errno));
  // Created 0600 from the start (no window where others could connect), chmod'ed to be sure.
  const mode_t old_mask = ::umask(0177);
  const int bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  const int bind_errno = errno;
  ::umask(old_mask);
  if (bound != 0) {
    ::close(fd);
    return MakeError(ErrorCode::kIo, fmt::format("cannot bind the control socket {}: {}",
                                                 config.path, Errno(bind_errno)));
  }
  auto fail = [&](const std::string& what) -> Error {
    const int e = errno;
    ::close(fd);
    ::unlink(config.path.c_str());
    return MakeError(ErrorCode::kIo,
                     fmt::format("control socket {}: {}: {}", config.path, what, Errno(e)));
  };
  if (::chmod(config.path.c_str(), 0600) != 0) return fail("chmod");
  if (::listen(fd, 16) != 0) return fail("listen");
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) return fail("pipe");
  return std::unique_ptr<ControlServer>(
      new ControlServer(std::move(config), inbox, clock, fd, wake[0], wake[1]));
}

ControlServer::ControlServer(ControlServerConfig config, Inbox& inbox, const Clock& clock,
                             int listen_fd, int wake_read, int wake_write)
    : config_(std::move(config)),
      inbox_(inbox),
      clock_(clock),
      listen_fd_(listen_fd),
      wake_read_(wake_read),
      wake_write_(wake_write) {
  thread_ = std::thread([this] { Run(); });
}

ControlServer::~ControlServer() { Stop(); }

void ControlServer::Stop() {
  if (!stop_.exchange(true)) {
    const char c = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake_write_, &c, 1);
  }
  if (thread_.joinable()) thread_.join();
  for (int* fd : {&listen_fd_, &wake_read_, &wake_write_}) {
    if (*fd >= 0) {
      ::close(*fd);
      *fd = -1;
      if (fd == &listen_fd_) ::unlink(config_.path.c_str());
    }
  }
}

void ControlServer::Run() {
  while (!stop_.load()) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_read_, POLLIN, 0}};
    const int n = ::poll(fds, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if ((fds[1].revents & POLLIN) != 0 || stop_.load()) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    try {
      Serve(client);
    } catch (const std::exception&) {
      // Nothing more can be said on this connection; the server goes on.
    }
    ::close(client);
  }
}

void ControlServer::Serve(int fd) {
  const auto read_deadline = SteadyClock::now() + config_.read_timeout;
  Result<std::string> line = ReadLine(fd, read_deadline, config_.max_request_bytes);
  const std::string reply = line.ok() ? Answer(*line) : ErrorReply("bad request: " + line.error());
  // Counted before the answer goes out: a client that has its answer sees it counted.
  served_.fetch_add(1);
  WriteAll(fd, reply + "\n", SteadyClock::now() + config_.read_timeout);
  ::shutdown(fd, SHUT_RDWR);
}

std::string ControlServer::Answer(std::string_view line) {
  Result<ControlRequest> parsed = ParseControlRequest(line);
  if (!parsed) return ErrorReply("bad request: " + parsed.error());
  ControlRequest request = std::move(*parsed);
  request.reply = std::make_shared<std::promise<std::string>>();
  std::future<std::string> answer = request.reply->get_future();
  inbox_.PushExec(clock_.Now(), std::move(request));
  // Wait for the kernel thread, in slices so a Stop() is not held up.
  const auto deadline = SteadyClock::now() + config_.reply_timeout;
  while (!stop_.load() && SteadyClock::now() < deadline) {
    const auto slice = std::min<SteadyClock::duration>(deadline - SteadyClock::now(),
                                                       std::chrono::milliseconds(50));
    if (answer.wait_for(slice) != std::future_status::ready) continue;
    try {
      return answer.get();
    } catch (const std::future_error&) {
      return ErrorReply("the node dropped the request without answering (is it stopping?)");
    }
  }
  return ErrorReply(fmt::format(
      "the node did not answer within {} ms (its kernel thread is busy or stopped); the "
      "command may still be carried out",
      config_.reply_timeout.count()));
}

// ---------------------------------------------------------------------------------------
// Requests and answers

Result<ControlRequest> ParseControlRequest(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return MakeError(ErrorCode::kInvalidInput,
                     fmt::format("not JSON: '{}' (expected {{\"cmd\": \"status\", \"reason\": "
                                 "\"...\"}})",
                                 line.substr(0, 80)));
  }
  if (!j.is_object()) return MakeError(ErrorCode::kInvalidInput, "expected a JSON object");
  for (const auto& [key, value] : j.items()) {
    if (key != "cmd" && key != "reason") {
      return MakeError(ErrorCode::kInvalidInput,
                       fmt::format("unknown field \"{}\" (known: cmd, reason)", key));
    }
  }
  if (!j.contains("cmd")) return MakeError(ErrorCode::kInvalidInput, "missing \"cmd\"");
  if (!j["cmd"].is_string()) return MakeError(ErrorCode::kInvalidInput, "\"cmd\" must be a string");
  const std::string cmd = j["cmd"].get<std::string>();
  ControlRequest out;
  if (auto c = ParseControlCommand(cmd)) {
    out.command = *c;
  } else {
    return MakeError(ErrorCode::kInvalidInput,
                     fmt::format("unknown command \"{}\" (known: {})", cmd, KnownCommands()));
  }
  if (j.contains("reason")) {
    if (!j["reason"].is_string()) {
      return MakeError(ErrorCode::kInvalidInput, "\"reason\" must be a string");
    }
    out.reason = j["reason"].get<std::string>();
  }
  return out;
}

std::string HandleControl(KillSwitch& kill_switch, const ControlRequest& request) {
  nlohmann::ordered_json j;
  const std::string reason = request.reason.empty() ? "nacre ctl" : "nacre ctl: " + request.reason;
  Result<std::string> done = std::string();
  switch (request.command) {
    case ControlCommand::kStatus:
      j["ok"] = true;
      j["cmd"] = "status";
      j["status"] = nlohmann::ordered_json::parse(kill_switch.StatusJson());
      return Dump(j);
    case ControlCommand::kHalt:
      done = kill_switch.Halt(reason);
      break;
    case ControlCommand::kResume:
      done = kill_switch.Resume();
      break;
    case ControlCommand::kCancelAll:
      done = kill_switch.CancelAll(reason);
      break;
    case ControlCommand::kFlatten:
      done = kill_switch.Flatten(reason);
      break;
    case ControlCommand::kReconcile:
      // The node reruns its start for this one (TradingNode); a kill switch alone cannot.
      done = MakeError(ErrorCode::kFailedPrecondition, "this node does not serve reconcile");
      break;
  }
  return ControlReply(kill_switch, request.command, done);
}

std::string ControlReply(const KillSwitch& kill_switch, ControlCommand command,
                         const Result<std::string>& done) {
  nlohmann::ordered_json j;
  j["ok"] = done.ok();
  j["cmd"] = std::string(ToString(command));
  if (done.ok()) {
    j["message"] = *done;
  } else {
    j["error"] = done.error();
  }
  j["trading_state"] = nlohmann::ordered_json::parse(kill_switch.StatusJson())["trading_state"];
  return Dump(j);
}

void ServeControl(KillSwitch& kill_switch, const ControlRequest& request) {
  std::string reply;
  try {
    reply = HandleControl(kill_switch, request);
  } catch (const std::exception& e) {
    reply = ErrorReply(std::string("the node failed to answer: ") + e.what());
  }
  ReplyControl(request, std::move(reply));
}

void ReplyControl(const ControlRequest& request, std::string reply) {
  if (!request.reply) return;
  try {
    request.reply->set_value(std::move(reply));
  } catch (const std::future_error&) {
    // Already answered: nothing more to say.
  }
}

// ---------------------------------------------------------------------------------------
// Client

Result<std::string> SendControlRequest(const std::string& path, const std::string& request_line,
                                       std::chrono::milliseconds timeout) {
  const int fd = ConnectTo(path);
  if (fd < 0) {
    const int e = -fd;
    std::string why;
    if (e == ENOENT) {
      why = "no socket there: the node is not running (or uses another state folder or trader)";
    } else if (e == ECONNREFUSED) {
      why = "nothing listens on it: the node is not running (a stale socket)";
    } else if (e == EACCES) {
      why = "permission denied: the socket belongs to another user";
    } else if (e == ENAMETOOLONG) {
      why = "the path is too long for a Unix socket";
    } else {
      why = Errno(e);
    }
    return MakeError(ErrorCode::kUnavailable, fmt::format("cannot connect to {}: {}", path, why));
  }
  const auto deadline = SteadyClock::now() + timeout;
  if (!WriteAll(fd, request_line + "\n", deadline)) {
    ::close(fd);
    return MakeError(ErrorCode::kIo, fmt::format("cannot send to {}", path));
  }
  ::shutdown(fd, SHUT_WR);
  Result<std::string> reply = ReadLine(fd, deadline, 64 * 1024 * 1024);
  ::close(fd);
  if (!reply) {
    return MakeError(reply.code(),
                     fmt::format("no answer from the node on {}: {}", path, reply.error()));
  }
  if (reply->empty()) {
    return MakeError(ErrorCode::kIo, fmt::format("the node on {} closed without answering", path));
  }
  return reply;
}

}  // namespace nacre
