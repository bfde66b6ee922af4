// `nacre run` on the options-spread application in the sandbox, as a user runs it: the
// example node config (examples/nifty_spreads_sandbox.toml, its strategy and actor blocks
// those of the backtest example) on a one-week synthetic catalog the test writes itself, at a
// high virtual speed. Covered: a clean run that stops at its end time and a restart that
// resumes from the journal; and a crash drill: the node killed with SIGKILL at the journal's
// failpoints (an intent durable but unsent, sent but unanswered, appended but uncommitted,
// the venue's ledger saved ahead of the journal) and restarted each time with
// --exit-on-start-failure, so any disagreement between the recovered orders and positions and
// the sandbox venue's ledger (reconciliation) fails the restart. At the end `nacre journal
// verify` finds the journal whole: gapless, every fill once, every order's events legal.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_exec.h"
#include "tmp_files.h"

namespace {

namespace fs = std::filesystem;
using nacre::testing::Exec;

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

class SandboxNode : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("nacre_sandbox_node_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
    const auto synth = nacre::testing::SynthDemoWeek((root_ / "catalog").string());
    ASSERT_EQ(synth.exit_code, 0) << synth.out;
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  // The example node config on the test catalog with its own state and results folders.
  std::string Config(const std::string& name, const std::string& end) {
    std::string text = nacre::testing::Slurp(fs::path(NACRE_SOURCE_DIR) / "examples/nifty_spreads_sandbox.toml");
    const std::string catalog = "catalog = \"" + (root_ / "catalog").string() + "\"";
    text = Replace(text, "catalog = \"../build/demo-catalog\"", catalog);
    text = Replace(text, "catalog = \"../build/demo-catalog\"", catalog);
    text = Replace(text, "state_dir = \"state\"", "state_dir = \"" + (root_ / name / "state").string() + "\"");
    text = Replace(text, "dir = \"sandbox-results\"", "dir = \"" + (root_ / name / "results").string() + "\"");
    text = Replace(text, "start = \"2025-03-03T09:00\"", "start = \"2025-01-06T09:00\"");
    text = Replace(text, "end = \"2025-03-07T15:30\"", "end = \"" + end + "\"");
    // A week in about three seconds.
    text = Replace(text, "speed = 3600", "speed = 150000");
    fs::create_directories(root_ / name);
    const fs::path p = root_ / name / "node.toml";
    std::ofstream(p) << text;
    return p.string();
  }
  std::string Journal(const std::string& name) {
    return (root_ / name / "state" / "TRADER-001" / "journal.sqlite").string();
  }

  static fs::path root_;
};

fs::path SandboxNode::root_;

TEST_F(SandboxNode, StopsAtItsEndAndARestartResumesFromTheJournal) {
  const std::string cfg = Config("restart", "2025-01-08T12:00");
  const auto first = Exec("run -q '" + cfg + "'", true);
  ASSERT_EQ(first.exit_code, 0) << first.out;
  EXPECT_NE(first.out.find("the configured end time was reached"), std::string::npos) << first.out;
  const auto second = Exec("run -q --exit-on-start-failure --set 'node.end=\"2025-01-10T15:30\"' '" +
                               cfg + "'",
                           true);
  ASSERT_EQ(second.exit_code, 0) << second.out;
  EXPECT_NE(second.out.find("recovered"), std::string::npos) << second.out;
  EXPECT_NE(second.out.find("Spreads"), std::string::npos) << "the spread application traded: "
                                                           << second.out;
  const auto verify = Exec("journal verify '" + Journal("restart") + "'", true);
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  EXPECT_NE(verify.out.find("verify: ok"), std::string::npos) << verify.out;
  EXPECT_TRUE(fs::exists(root_ / "restart" / "results" / "report.html"));
  EXPECT_TRUE(fs::exists(root_ / "restart" / "results" / "capital_history.csv"));
  // The first run's files were kept, not overwritten: its equity curve ends where the
  // second's begins.
  const fs::path earlier = root_ / "restart" / "results" / "earlier" / "run-1";
  ASSERT_TRUE(fs::exists(earlier / "equity.csv"));
  const std::string before = nacre::testing::Slurp(earlier / "equity.csv");
  const std::string after = nacre::testing::Slurp(root_ / "restart" / "results" / "equity.csv");
  EXPECT_NE(before.find("2025-01-07"), std::string::npos) << "the first run's days";
  EXPECT_EQ(after.find("2025-01-07"), std::string::npos) << "the second run starts on the 8th";
  EXPECT_NE(after.find("2025-01-09"), std::string::npos);
}

TEST_F(SandboxNode, CrashDrillLosesAndDuplicatesNothing) {
  const std::string cfg = Config("drill", "2025-01-10T15:30");
  // Unpaced on the replay clock, each run is deterministic, so each kill lands at the same
  // point every time. before_commit:8 once left a position open over an expiry whose
  // settlement the restarted node then failed to journal.
  const std::string cfg_unpaced = ReplaceAll(nacre::testing::Slurp(cfg), "speed = 150000", "speed = 0");
  std::ofstream(cfg) << cfg_unpaced;
  int kills = 0;
  for (const char* fp : {"after_intent_commit:1", "after_send:2", "before_commit:8",
                         "after_venue_save:3", "after_intent_commit:5", "after_send:7"}) {
    ::setenv("NACRE_FAILPOINT", fp, 1);
    const auto r = Exec("run -q --exit-on-start-failure '" + cfg + "'", true);
    ::unsetenv("NACRE_FAILPOINT");
    // Killed at the failpoint (137), or the run ended before reaching it (0). Never a start
    // that found the journal and the venue disagreeing (3), never an error (1).
    ASSERT_TRUE(r.exit_code == 137 || r.exit_code == 0)
        << "failpoint " << fp << ": exit " << r.exit_code << "\n" << r.out;
    kills += r.exit_code == 137;
  }
  EXPECT_GT(kills, 0);
  const auto last = Exec("run -q --exit-on-start-failure '" + cfg + "'", true);
  ASSERT_EQ(last.exit_code, 0) << last.out;
  const auto verify = Exec("journal verify '" + Journal("drill") + "'", true);
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  EXPECT_NE(verify.out.find("verify: ok"), std::string::npos) << verify.out;
  EXPECT_NE(verify.out.find("(0 open)"), std::string::npos) << verify.out;
}

}  // namespace
