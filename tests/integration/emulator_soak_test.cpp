// The Kite emulator soak (bench/emulator_soak.h) in brief: 50 options for 2 virtual minutes
// at speed 600 over 127.0.0.1. Every frame decodes, every packet sent arrives, heartbeats
// come, and every quote of the span is released. The run waits for its conditions with
// deadlines (the virtual end, then the client holding every packet sent and two heartbeats);
// the full soak and its figures are the bench program's (nacre_emulator_soak).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "emulator_soak.h"
#include "persistence/catalog.h"

namespace nacre::soak {
namespace {

namespace fs = std::filesystem;

class EmulatorSoak : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("nacre_soak_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST(EmulatorSoakData, QuotesAreDeterministicOnTheTickGridWithBidBelowAsk) {
  SoakDataOptions o;
  o.instruments = 4;
  o.virtual_minutes = 3;
  o.seed = 7;
  const std::vector<Instrument> all = SoakInstruments(o.instruments);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0].instrument_class, InstrumentClass::kIndex);
  EXPECT_EQ(all[1].id.value(), "NIFTY2610624000CE.NFO");
  EXPECT_EQ(all[2].id.value(), "NIFTY2610624000PE.NFO");
  EXPECT_EQ(all[3].id.value(), "NIFTY2610624050CE.NFO");
  for (int i = 0; i < o.instruments; ++i) {
    const Instrument& ins = all[static_cast<std::size_t>(i) + 1];
    EXPECT_EQ(ins.lot_size, Quantity::FromInt(65));
    EXPECT_GT(ins.expiration, SoakSessionStart());
    const std::vector<QuoteTick> q = SoakQuotes(ins, i, o);
    ASSERT_EQ(q.size(), 180u);  // one a second for 3 minutes
    EXPECT_EQ(q.front().ts_init, SoakSessionStart());
    for (const QuoteTick& t : q) {
      ASSERT_TRUE(ins.OnTickGrid(t.bid_price) && ins.OnTickGrid(t.ask_price)) << ins.id.value();
      ASSERT_TRUE(t.bid_price.is_positive());
      ASSERT_LT(t.bid_price, t.ask_price);
      ASSERT_TRUE(ins.IsLotMultiple(t.bid_size) && ins.IsLotMultiple(t.ask_size));
    }
    // The same seed gives the same series; another seed another one.
    EXPECT_EQ(SoakQuotes(ins, i, o).back().bid_price, q.back().bid_price);
    SoakDataOptions other = o;
    other.seed = 8;
    const std::vector<QuoteTick> q8 = SoakQuotes(ins, i, other);
    bool differs = false;
    for (std::size_t k = 0; k < q.size(); ++k) differs |= q8[k].bid_price != q[k].bid_price;
    EXPECT_TRUE(differs);
  }
}

TEST_F(EmulatorSoak, TwoVirtualMinutesOfFiftyOptionsAtSpeed600) {
  SoakDataOptions data;
  data.instruments = 50;
  data.virtual_minutes = 2;
  auto gen = GenerateSoakCatalog(dir_.string(), data);
  ASSERT_TRUE(gen.ok()) << gen.error();
  EXPECT_EQ(gen->quotes, 50u * 120u);
  auto manifest = ReadSoakManifest(dir_.string());
  ASSERT_TRUE(manifest.ok()) << manifest.error();
  EXPECT_EQ(*manifest, data);
  // A second generation into the same folder is refused, naming it.
  auto again = GenerateSoakCatalog(dir_.string(), data);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().find(dir_.string()), std::string::npos) << again.error();

  SoakRunOptions run;
  run.catalog_dir = dir_.string();
  run.data = data;
  run.virtual_minutes = 2;
  run.speed = 600;
  run.sample_ms = 50;
  auto r = RunSoak(run);
  ASSERT_TRUE(r.ok()) << r.error();
  SCOPED_TRACE(r->ToText());
  EXPECT_TRUE(r->finished) << r->failure;
  EXPECT_EQ(r->failure, "");
  EXPECT_EQ(r->decode_errors, 0u);
  EXPECT_EQ(r->bad_packets, 0u);
  EXPECT_GT(r->packets_received, 0u);
  EXPECT_EQ(r->packets_received, r->packets_sent);
  EXPECT_GE(r->heartbeats_received, 2u);
  EXPECT_EQ(r->quotes_released, 50u * 120u);
  EXPECT_GE(r->virtual_seconds, 120.0);
  EXPECT_EQ(r->connection_downs, 0u);
  EXPECT_GT(r->peak_rss_mib, 0.0);
  EXPECT_EQ(r->ToJson()["received"]["decode_errors"], 0);

  // Flags out of range are errors naming them.
  run.virtual_minutes = 3;  // more than the catalog holds
  auto bad = RunSoak(run);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("virtual minutes"), std::string::npos) << bad.error();
}

}  // namespace
}  // namespace nacre::soak
