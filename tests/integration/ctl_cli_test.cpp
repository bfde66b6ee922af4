// `nacre ctl` against a control socket served as a node serves it: a thread playing the kernel
// thread takes the requests from the inbox and answers through a kill switch on a kernel
// (ServeControl, as the node's exec handler does). Exit codes: 0 done, 1 refused, 2 no node.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "cli_exec.h"
#include "live/control_socket.h"
#include "live/kill_switch.h"
#include "testkit/kernel_harness.h"
#include "testkit/scratch_dir.h"

namespace nacre {
namespace {

using nacre::testing::Exec;

class CtlCli : public testkit::ScratchDirTest {
 protected:
  void SetUp() override {
    ScratchDirTest::SetUp();
    std::filesystem::permissions(dir_, std::filesystem::perms::owner_all);
    std::filesystem::create_directories(dir_ / "TRADER-007");
    std::filesystem::permissions(dir_ / "TRADER-007", std::filesystem::perms::owner_all);
    path_ = (dir_ / "TRADER-007" / "control.sock").string();
    kernel_ = std::thread([this] { RunKernel(); });
    while (!ready_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  void TearDown() override {
    stop_.store(true);
    kernel_.join();
    ScratchDirTest::TearDown();
  }
  // The kernel thread: a kernel, its kill switch and the control server feeding its inbox.
  void RunKernel() {
    testkit::TestKernel tk;
    tk->exec_engine().RegisterClient(std::make_unique<testkit::RecordingExecClient>("NFO", "NFO"));
    testkit::AddMissingAccounts(tk.kernel());
    EXPECT_TRUE(tk->Start().ok());
    KillSwitch ks(tk.kernel());
    Inbox inbox;
    ControlServerConfig config;
    config.path = path_;
    auto server = ControlServer::Start(config, inbox, tk->clock());
    EXPECT_TRUE(server.ok()) << server.error();
    ready_.store(true);
    std::vector<ExecItem> exec;
    std::vector<MarketData> data;
    while (!stop_.load()) {
      if (!inbox.WaitUntil(std::chrono::steady_clock::now() + std::chrono::milliseconds(20))) {
        continue;
      }
      inbox.Take(exec, data, 0);
      for (const ExecItem& item : exec) {
        if (const auto* r = std::get_if<ControlRequest>(&item.message)) ServeControl(ks, *r);
      }
    }
  }

  std::string path_;
  std::thread kernel_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> stop_{false};
};

TEST_F(CtlCli, CommandsRoundTripWithExitCodes) {
  const std::string state = "--state '" + dir_.string() + "' --trader TRADER-007";
  auto r = Exec("ctl status " + state);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("\"trading_state\": \"ACTIVE\""), std::string::npos) << r.out;

  r = Exec("ctl halt --socket '" + path_ + "' --reason 'lunch break'");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "trading HALTED (manual halt: nacre ctl: lunch break)\n");

  r = Exec("ctl cancel-all " + state, true);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "trading HALTED; 0 cancels sent\n");

  r = Exec("ctl resume " + state, true);  // the cancel-all's halt is the operator's: resumable
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "trading ACTIVE (resumed by the operator)\n");
}

TEST_F(CtlCli, ResumeWhenActiveIsARefusal) {
  const auto r = Exec("ctl resume --socket '" + path_ + "'", true);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_EQ(r.out, "refused: trading is ACTIVE: nothing to resume\n");
}

TEST_F(CtlCli, NoNodeExitsTwoNamingTheSocket) {
  const std::string missing = (dir_ / "TRADER-404" / "control.sock").string();
  auto r = Exec("ctl status --state '" + dir_.string() + "' --trader TRADER-404", true);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_EQ(r.out, "error: cannot connect to " + missing +
                       ": no socket there: the node is not running (or uses another state folder "
                       "or trader)\n");
  r = Exec("ctl explode --socket '" + path_ + "'", true);
  EXPECT_EQ(r.exit_code, 2) << r.out;  // usage
}

}  // namespace
}  // namespace nacre
