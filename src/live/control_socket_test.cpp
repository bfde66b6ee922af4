// The control socket over a real Unix socket in a folder of the test's own: its mode, a
// request through the inbox to a thread playing the kernel and back, the timeout when nobody
// answers, bad requests, and the start-up refusals.
#include "live/control_socket.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "live/kill_switch.h"
#include "testkit/kernel_harness.h"
#include "testkit/scratch_dir.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

using namespace std::chrono_literals;

class ControlSocketTest : public testkit::ScratchDirTest {
 protected:
  void SetUp() override {
    ScratchDirTest::SetUp();
    std::filesystem::permissions(dir_, std::filesystem::perms::owner_all);  // 0700
    path_ = (dir_ / "control.sock").string();
  }
  ControlServerConfig Config(std::chrono::milliseconds reply_timeout = 5000ms) const {
    ControlServerConfig c;
    c.path = path_;
    c.reply_timeout = reply_timeout;
    return c;
  }
  std::unique_ptr<ControlServer> StartServer(std::chrono::milliseconds reply_timeout = 5000ms) {
    auto s = ControlServer::Start(Config(reply_timeout), inbox_, clock_);
    EXPECT_TRUE(s.ok()) << s.error();
    return s.ok() ? std::move(*s) : nullptr;
  }
  // Takes every ControlRequest from the inbox (waiting up to 5 s for the first).
  std::vector<ControlRequest> TakeRequests() {
    std::vector<ControlRequest> out;
    std::vector<ExecItem> exec;
    std::vector<MarketData> data;
    if (!inbox_.WaitUntil(std::chrono::steady_clock::now() + 5s)) return out;
    inbox_.Take(exec, data, 0);
    for (ExecItem& item : exec) {
      if (auto* r = std::get_if<ControlRequest>(&item.message)) out.push_back(*r);
    }
    return out;
  }
  static nlohmann::json Parse(const Result<std::string>& reply) {
    EXPECT_TRUE(reply.ok()) << reply.error();
    return reply.ok() ? nlohmann::json::parse(*reply) : nlohmann::json();
  }

  std::string path_;
  Inbox inbox_;
  TestClock clock_{testkit::DefaultStart()};
};

TEST_F(ControlSocketTest, SocketIsMode0600AndARequestRoundTripsThroughTheInbox) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  struct stat st {};
  ASSERT_EQ(::lstat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // A thread playing the kernel: answers the one request it takes.
  std::thread kernel([this] {
    for (const ControlRequest& r : TakeRequests()) {
      r.reply->set_value(fmt::format(R"({{"ok":true,"cmd":"{}","message":"seen {}"}})",
                                     ToString(r.command), r.reason));
    }
  });
  const auto reply = Parse(SendControlRequest(path_, R"({"cmd":"halt","reason":"lunch"})", 5s));
  kernel.join();
  EXPECT_EQ(reply["ok"], true);
  EXPECT_EQ(reply["cmd"], "halt");
  EXPECT_EQ(reply["message"], "seen lunch");
  EXPECT_EQ(server->served(), 1u);
  // Stop removes the socket file.
  server->Stop();
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(ControlSocketTest, NoAnswerFromTheKernelTimesOut) {
  auto server = StartServer(200ms);
  ASSERT_NE(server, nullptr);
  const auto reply = Parse(SendControlRequest(path_, R"({"cmd":"status"})", 5s));
  EXPECT_EQ(reply["ok"], false);
  EXPECT_NE(reply["error"].get<std::string>().find("did not answer within 200 ms"),
            std::string::npos)
      << reply.dump();
  // The request did reach the inbox; a late answer harms nothing.
  auto late = TakeRequests();
  ASSERT_EQ(late.size(), 1u);
  late[0].reply->set_value("{}");
}

TEST_F(ControlSocketTest, BadRequestsAreAnsweredAtOnceAndNothingIsPushed) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  const std::pair<const char*, const char*> cases[] = {
      {"hello", "bad request: not JSON: 'hello'"},
      {"\xff\xfe{", "bad request: not JSON: '"},  // not UTF-8: answered all the same
      {"[1,2]", "bad request: expected a JSON object"},
      {R"({"reason":"x"})", "bad request: missing \"cmd\""},
      {R"({"cmd":7})", "bad request: \"cmd\" must be a string"},
      {R"({"cmd":"explode"})",
       "bad request: unknown command \"explode\" (known: status, halt, resume, cancel-all, "
       "flatten, reconcile)"},
      {R"({"cmd":"halt","reason":3})", "bad request: \"reason\" must be a string"},
      {R"({"cmd":"halt","why":"x"})", "bad request: unknown field \"why\" (known: cmd, reason)"},
  };
  for (const auto& [request, error] : cases) {
    const auto reply = Parse(SendControlRequest(path_, request, 5s));
    EXPECT_EQ(reply["ok"], false) << request;
    EXPECT_EQ(reply["error"].get<std::string>().substr(0, std::strlen(error)), error) << request;
  }
  EXPECT_TRUE(inbox_.empty());
  EXPECT_EQ(inbox_.stats().exec_pushed, 0u);
}

TEST_F(ControlSocketTest, StartRefusesUnsafePathsAndClearsAStaleSocket) {
  // A regular file in the way.
  { std::ofstream(path_) << "x"; }
  auto file = ControlServer::Start(Config(), inbox_, clock_);
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error(), path_ + " exists and is not a socket; refused");
  std::filesystem::remove(path_);

  // A folder others may write in.
  std::filesystem::permissions(dir_, std::filesystem::perms::group_write,
                               std::filesystem::perm_options::add);
  auto open = ControlServer::Start(Config(), inbox_, clock_);
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.error().find("is group- or world-writable (mode 0720)"), std::string::npos)
      << open.error();
  std::filesystem::permissions(dir_, std::filesystem::perms::owner_all);

  // A stale socket (bound, nobody listening) is replaced.
  {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
    ::close(fd);
  }
  ASSERT_TRUE(std::filesystem::is_socket(path_));
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  // A second server on a live socket is refused.
  auto second = ControlServer::Start(Config(), inbox_, clock_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error(),
            "another process is listening on " + path_ + " (a node already running?)");
}

TEST_F(ControlSocketTest, ClientSaysTheNodeIsNotRunning) {
  auto none = SendControlRequest(path_, R"({"cmd":"status"})", 1s);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(none.error(), "cannot connect to " + path_ +
                              ": no socket there: the node is not running (or uses another state "
                              "folder or trader)");
}

// The whole path: a socket request, the inbox, the kill switch on the thread playing the
// kernel (ServeControl, as the node's exec handler), and the reply.
TEST_F(ControlSocketTest, KillSwitchAnswersThroughTheSocket) {
  testkit::TestKernel tk;
  auto client = std::make_unique<testkit::RecordingExecClient>("NFO", "NFO");
  tk->exec_engine().RegisterClient(std::move(client));
  testkit::AddMissingAccounts(tk.kernel());
  ASSERT_TRUE(tk->Start().ok());
  KillSwitch ks(tk.kernel());
  auto server = ControlServer::Start(Config(), inbox_, tk->clock());
  ASSERT_TRUE(server.ok()) << server.error();

  auto ask = [this](const std::string& line) {
    return std::async(std::launch::async,
                      [this, line] { return SendControlRequest(path_, line, 5s); });
  };
  auto serve_one = [&] {
    for (const ControlRequest& r : TakeRequests()) ServeControl(ks, r);
  };
  auto halt = ask(R"({"cmd":"halt","reason":"lunch"})");
  serve_one();
  auto reply = Parse(halt.get());
  EXPECT_EQ(reply["ok"], true);
  EXPECT_EQ(reply["message"], "trading HALTED (manual halt: nacre ctl: lunch)");
  EXPECT_EQ(reply["trading_state"], "HALTED");

  auto status = ask(R"({"cmd":"status"})");
  serve_one();
  reply = Parse(status.get());
  EXPECT_EQ(reply["status"]["trading_state"], "HALTED");
  EXPECT_EQ(reply["status"]["halted_by"], "manual");

  auto resume = ask(R"({"cmd":"resume"})");
  serve_one();
  EXPECT_EQ(Parse(resume.get())["trading_state"], "ACTIVE");
  auto again = ask(R"({"cmd":"resume"})");
  serve_one();
  reply = Parse(again.get());
  EXPECT_EQ(reply["ok"], false);
  EXPECT_EQ(reply["error"], "trading is ACTIVE: nothing to resume");
}

}  // namespace
}  // namespace nacre
