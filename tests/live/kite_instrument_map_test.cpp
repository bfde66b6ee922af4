// The instrument map against the emulator's dump: a Nacre catalog → the emulator's Kite
// instruments dump (as GET /instruments serves it) → KiteInstrumentMap gives back the
// catalog's own instrument ids and fields, and the tokens the emulator's ticker uses.
#include "adapters/zerodha/kite_instrument_map.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "apps/kite_emulator/instruments.h"
#include "emulator_fixture.h"
#include "nse/contracts.h"
#include "persistence/catalog.h"

namespace nacre::live_test {
namespace {

// Every field of an instrument that a Kite dump can say something about, and the ones the
// map derives (activation from the NSE listing model, freeze quantity from the universe).
void ExpectSame(const Instrument& got, const Instrument& want) {
  SCOPED_TRACE(want.id.value());
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.instrument_class, want.instrument_class);
  EXPECT_EQ(got.raw_symbol, want.raw_symbol);
  EXPECT_EQ(got.price_precision, want.price_precision);
  EXPECT_EQ(got.tick_size, want.tick_size);
  EXPECT_EQ(got.lot_size, want.lot_size);
  EXPECT_EQ(got.multiplier, want.multiplier);
  EXPECT_EQ(got.freeze_quantity, want.freeze_quantity);
  EXPECT_EQ(got.underlying, want.underlying);
  EXPECT_EQ(got.activation, want.activation);
  EXPECT_EQ(got.expiration, want.expiration);
  EXPECT_EQ(got.option_kind, want.option_kind);
  EXPECT_EQ(got.strike, want.strike);
}

TEST(KiteInstrumentMapRoundTrip, ACatalogOfNseContractsMapsBackExactly) {
  // NIFTY's contracts listed on 30-Dec-2025 (weeklies and monthlies; lots 75 through that
  // day's expiry, 65 from Jan-2026, per the lot-size history), five strikes around 24,000,
  // and the index, written to a catalog and read back.
  const NseCalendar cal;
  const OptionUniverse u = OptionUniverse::Nifty();
  auto contracts = ContractsOn({2025, 12, 30}, StrikeSelection::AroundSpot(Px("24000"), 2), u, cal);
  ASSERT_TRUE(contracts.ok()) << contracts.error();
  std::vector<Instrument> all = *contracts;
  all.push_back(testkit::NiftyIndex());
  const fs::path dir = fs::temp_directory_path() / ("nacre_live_map_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  std::vector<Instrument> catalog;
  {
    auto cat = Catalog::Open(dir.string());
    ASSERT_TRUE(cat.ok()) << cat.error();
    ASSERT_TRUE((*cat)->WriteInstruments(all).ok());
    auto back = (*cat)->Instruments();
    ASSERT_TRUE(back.ok()) << back.error();
    catalog = *back;
  }
  fs::remove_all(dir);
  ASSERT_EQ(catalog.size(), all.size());

  // The emulator's dump of it, through the CSV text.
  const std::vector<KiteInstrumentRow> table = kite_emu::KiteInstrumentTable(catalog);
  auto rows = ParseKiteInstrumentsCsv(WriteKiteInstrumentsCsv(table), "emulator dump");
  ASSERT_TRUE(rows.ok()) << rows.error();
  auto m = KiteInstrumentMap::Build(*rows, "emulator dump", {});
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_TRUE(m->findings().empty()) << m->findings().front();
  ASSERT_EQ(m->size(), catalog.size());
  EXPECT_EQ(m->skipped(), 0u);
  bool saw_75 = false, saw_65 = false;
  for (const Instrument& want : catalog) {
    const Instrument* got = m->Find(want.id);
    ASSERT_NE(got, nullptr) << want.id.value();
    ExpectSame(*got, want);
    saw_75 |= want.lot_size == Qty(75);
    saw_65 |= want.lot_size == Qty(65);
    // Both directions of the token and symbol maps agree with the dump's row.
    const KiteInstrumentRow& row = *std::find_if(table.begin(), table.end(), [&](const auto& r) {
      return r.tradingsymbol == want.raw_symbol.value();
    });
    EXPECT_EQ(m->TokenOf(want.id), row.instrument_token);
    EXPECT_EQ(m->ByToken(row.instrument_token), want.id);
    EXPECT_EQ(m->BySymbol(row.exchange, row.tradingsymbol), want.id);
  }
  EXPECT_TRUE(saw_75 && saw_65);  // the lot-size history was exercised both ways
}

TEST_F(EmulatorTest, TheEmulatorsDumpMapsBackToTheCatalogsIdsAndTokens) {
  auto m = Map();
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->size(), 3u);
  for (const Instrument& want : catalog_instruments_) {
    const Instrument* got = m->Find(want.id);
    ASSERT_NE(got, nullptr) << want.id.value();
    SCOPED_TRACE(want.id.value());
    // testkit's options carry a hand-set activation; everything the dump says is equal.
    EXPECT_EQ(got->instrument_class, want.instrument_class);
    EXPECT_EQ(got->raw_symbol, want.raw_symbol);
    EXPECT_EQ(got->tick_size, want.tick_size);
    EXPECT_EQ(got->lot_size, want.lot_size);
    EXPECT_EQ(got->freeze_quantity, want.freeze_quantity);
    EXPECT_EQ(got->underlying, want.underlying);
    EXPECT_EQ(got->expiration, want.expiration);
    EXPECT_EQ(got->option_kind, want.option_kind);
    EXPECT_EQ(got->strike, want.strike);
    std::uint32_t token = 0;
    rt_->OnIoThread([&] { token = rt_->market()->ByInstrument(want.id)->token; });
    EXPECT_EQ(m->TokenOf(want.id), token);
  }
  EXPECT_EQ(m->TokenOf(index_.id), 256265u);  // Kite's NIFTY 50 token
}

}  // namespace
}  // namespace nacre::live_test
