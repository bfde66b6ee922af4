// `nacre ctl status | halt | resume | cancel-all | flatten [--socket PATH | --state DIR
// --trader ID] [--reason TEXT]`: sends one command to a running node over its control socket
// (live/control_socket.h; STATE/TRADER/control.sock by default) and prints the answer: the
// status as indented JSON, otherwise the node's one-line message.
// Exit codes: 0 done, 1 refused by the node (or no usable answer), 2 cannot connect (the
// message names the socket and says whether a node is running there) or bad usage.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "live/control_socket.h"

namespace nacre::cli {
namespace {

struct CtlArgs {
  std::string command;
  std::string socket;
  std::string state = "state";
  std::string trader = "TRADER-001";
  std::string reason;
  int timeout_s = 10;
};

int RunCtl(const CtlArgs& a) {
  const std::string path =
      !a.socket.empty() ? a.socket
                        : (std::filesystem::path(a.state) / a.trader / "control.sock").string();
  nlohmann::ordered_json request;
  request["cmd"] = a.command;
  if (!a.reason.empty()) request["reason"] = a.reason;
  const Result<std::string> reply =
      SendControlRequest(path, request.dump(), std::chrono::seconds(a.timeout_s));
  if (!reply) {
    fmt::print(stderr, "error: {}\n", reply.error());
    return reply.code() == ErrorCode::kUnavailable ? 2 : 1;
  }
  const nlohmann::json j = nlohmann::json::parse(*reply, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("ok")) {
    fmt::print(stderr, "error: the node on {} answered something else than expected: {}\n", path,
               *reply);
    return 1;
  }
  if (!j["ok"].get<bool>()) {
    fmt::print(stderr, "refused: {}\n", j.value("error", std::string("(no reason given)")));
    return 1;
  }
  if (a.command == "status") {
    fmt::print("{}\n", j["status"].dump(2));
  } else {
    fmt::print("{}\n", j.value("message", std::string("done")));
  }
  return 0;
}

}  // namespace

void AddCtlCommands(CLI::App& app, Commands& out) {
  auto args = std::make_shared<CtlArgs>();
  CLI::App* c = app.add_subcommand(
      "ctl",
      "Control a running node over its control socket: status, halt, resume, cancel-all, "
      "flatten or reconcile (rerun a failed start's reconciliation and portfolio checks, then "
      "start the trader if they pass)");
  c->add_option("command", args->command,
                "status | halt | resume | cancel-all | flatten | reconcile")
      ->required()
      ->check(CLI::IsMember({"status", "halt", "resume", "cancel-all", "flatten", "reconcile"}));
  auto* socket = c->add_option("--socket", args->socket,
                               "The node's control socket (default STATE/TRADER/control.sock)");
  auto* state =
      c->add_option("--state", args->state, "The node's state folder")->capture_default_str();
  auto* trader =
      c->add_option("--trader", args->trader, "The node's trader id")->capture_default_str();
  socket->excludes(state)->excludes(trader);
  c->add_option("--reason", args->reason, "Why (kept with the halt and in the node's log)");
  c->add_option("--timeout", args->timeout_s, "Seconds to wait for the answer")
      ->check(CLI::Range(1, 600))
      ->capture_default_str();
  out.emplace_back(c, [args] { return RunCtl(*args); });
}

}  // namespace nacre::cli
