// `nacre catalog synth` as a user runs it: a small synthetic catalog from a config file that
// the persistence Catalog reads back; an occupied folder and a bad config key exit 2 with the
// reason.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli_exec.h"
#include "persistence/catalog.h"

namespace {

namespace fs = std::filesystem;
using nacre::testing::Exec;

class SynthCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("nacre_synth_cli_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(SynthCli, WritesACatalogTheReaderLoads) {
  const fs::path config = dir_ / "synth.toml";
  std::ofstream(config) << "start = \"2025-09-01\"\nend = \"2025-09-03\"\ninterval_minutes = 15\n"
                           "strikes_each_side = 2\nexpiries = 1\n[calendar]\nholidays = "
                           "[\"2025-09-02\"]\n";
  const fs::path out = dir_ / "cat";
  const auto r = Exec("catalog synth --out '" + out.string() + "' --config '" + config.string() +
                      "' --seed 5");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  // Two trading days (2-Sep is a holiday here) x 25 steps x 5 strikes x 2 kinds.
  EXPECT_NE(r.out.find("50 steps, 500 option quotes"), std::string::npos) << r.out;

  auto catalog = nacre::Catalog::Open(out.string());
  ASSERT_TRUE(catalog.ok()) << catalog.error();
  auto instruments = (*catalog)->Instruments({"NIFTY*.NFO"});
  ASSERT_TRUE(instruments.ok()) << instruments.error();
  ASSERT_FALSE(instruments->empty());
  for (const nacre::Instrument& i : *instruments) {
    // The 2-Sep-2025 Tuesday expiry moved to Monday 1-Sep (holiday); the next is 9-Sep.
    const nacre::CivilDate expiry = nacre::IstDate(i.expiration);
    EXPECT_TRUE(expiry == (nacre::CivilDate{2025, 9, 1}) ||
                expiry == (nacre::CivilDate{2025, 9, 9}))
        << i.id.value();
    EXPECT_EQ(i.lot_size, nacre::Quantity::FromInt(75)) << i.id.value();
  }
  nacre::CatalogQuery q;
  q.instruments = {"NIFTY*.NFO"};
  auto stream = (*catalog)->Read(q);
  ASSERT_TRUE(stream.ok()) << stream.error();
  std::vector<nacre::MarketData> chunk;
  std::size_t n = 0;
  nacre::UnixNanos last;
  while (true) {
    ASSERT_TRUE((*stream)->Next(chunk, 256).ok());
    if (chunk.empty()) break;
    for (const auto& d : chunk) {
      ASSERT_GE(nacre::TsInitOf(d), last);
      last = nacre::TsInitOf(d);
      ++n;
    }
  }
  EXPECT_EQ(n, 500u);
}

TEST_F(SynthCli, OccupiedFolderAndBadConfigExitTwo) {
  const fs::path out = dir_ / "cat";
  ASSERT_EQ(Exec("catalog synth --out '" + out.string() +
                 "' --start 2024-01-01 --end 2024-01-01 --interval 75 --strikes 1 --expiries 1")
                .exit_code,
            0);
  auto again =
      Exec("catalog synth --out '" + out.string() + "' --start 2024-01-01 --end 2024-01-01", true);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.out.find("already holds data"), std::string::npos) << again.out;

  const fs::path config = dir_ / "bad.toml";
  std::ofstream(config) << "start = \"2024-01-01\"\n[vol]\nskw = -0.1\n";
  auto bad = Exec(
      "catalog synth --out '" + (dir_ / "other").string() + "' --config '" + config.string() + "'",
      true);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.out.find("bad.toml"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("skw"), std::string::npos) << bad.out;

  auto dates = Exec("catalog synth --out '" + (dir_ / "d").string() + "' --start 2024-02-30", true);
  EXPECT_EQ(dates.exit_code, 2);
  EXPECT_NE(dates.out.find("--start"), std::string::npos) << dates.out;
}

// The schema's refusals reach the user before anything is written: exit 2, the file, line
// and key, and no catalog folder.
TEST_F(SynthCli, SchemaRefusalsExitTwoNamingFileAndKey) {
  struct Case {
    std::string text;
    std::string key;
    std::string because;
  };
  const Case cases[] = {
      {"start = \"2024-01-01\"\nrate = 6.5\n", "rate", "between 0 and 0.25"},
      {"[path]\nannual_vol = nan\n", "path.annual_vol", "finite"},
      {"[vol]\niv_base = \"0.13\"\n", "vol.iv_base", "expected a number"},
      {"[path]\ngarch_alpha = 0.2\ngarch_beta = 0.9\n", "path.garch_alpha",
       "garch_alpha + garch_beta must be below 1"},
      {"[quotes]\nspread_pct = 0\n", "quotes.spread_pct", "above 0"},
      {"[quotes]\nspread_percent = 0.01\n", "quotes.spread_percent", "known: spread_pct"},
  };
  int n = 0;
  for (const Case& c : cases) {
    const fs::path config = dir_ / ("bad" + std::to_string(++n) + ".toml");
    std::ofstream(config) << c.text;
    const fs::path out = dir_ / ("out" + std::to_string(n));
    const auto r = Exec("catalog synth --out '" + out.string() + "' --config '" + config.string() +
                            "' --end 2024-01-02",
                        true);
    EXPECT_EQ(r.exit_code, 2) << c.text << r.out;
    EXPECT_NE(r.out.find("error: " + config.string() + ":"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("'" + c.key + "'"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(c.because), std::string::npos) << c.because << "\n" << r.out;
    EXPECT_FALSE(fs::exists(out)) << "written despite a bad config: " << out;
  }
}

}  // namespace
