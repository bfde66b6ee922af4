// The fault drill in CI (bench/kite_fault_drill.h; the long drill is bench/kite_fault_drill.sh):
// one Kite day of the options-spread application live against the emulator with its fault
// plan firing, the node killed with SIGKILL four times (at journal failpoints or from outside)
// and restarted, then checked against the emulator's ledger: nothing lost, nothing duplicated,
// positions and cash equal, no secret in any file, every start reconciled.
#include <gtest/gtest.h>
#include <unistd.h>

#include "kite_fault_drill.h"

namespace nacre {
namespace {

TEST(KiteFaultDrill, NothingLostOrDuplicatedUnderFaultsAndKills) {
  drill::DrillOptions o;
  o.nacre = NACRE_CLI_PATH;
  o.source_dir = NACRE_SOURCE_DIR;
  o.work = std::filesystem::temp_directory_path() /
           ("nacre_kite_drill_" + std::to_string(::getpid()));
  std::filesystem::remove_all(o.work);
  o.runs = 1;
  o.kills = 4;
  o.market_minutes = 60;
  o.speed = 60;
  o.seed = 7;
  auto totals = drill::RunDrill(o);
  ASSERT_TRUE(totals.ok()) << totals.error();
  std::printf("%s", totals->Report().c_str());
  EXPECT_TRUE(totals->ok()) << totals->Report();
  // The drill did what it says: the node traded, faults fired, kills landed.
  EXPECT_GT(totals->venue_orders, 0);
  EXPECT_GT(totals->trades, 0);
  EXPECT_GT(totals->faults_total, 0);
  EXPECT_GT(totals->kills, 0);
  if (totals->ok()) std::filesystem::remove_all(o.work);
}

}  // namespace
}  // namespace nacre
