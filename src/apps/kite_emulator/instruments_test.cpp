#include "apps/kite_emulator/instruments.h"

#include <gtest/gtest.h>

#include "apps/kite_emulator/emulator.h"
#include <nlohmann/json.hpp>

#include "adapters/zerodha/kite_auth.h"
#include "testkit/testkit.h"

namespace nacre::kite_emu {
namespace {

Instrument NiftyIndex() {
  Instrument i;
  i.id = MustInstrumentId("NIFTY 50.NSE");
  i.raw_symbol = Symbol("NIFTY 50");
  i.instrument_class = InstrumentClass::kIndex;
  return i;
}

TEST(KiteInstrumentTable, TokensAreDeterministicAndTheDumpParsesBack) {
  const Instrument put = testkit::NiftyOption(OptionKind::kPut, "23900");
  const Instrument call = testkit::NiftyOption(OptionKind::kCall, "24200");
  const std::vector<KiteInstrumentRow> rows = KiteInstrumentTable({call, NiftyIndex(), put});
  ASSERT_EQ(rows.size(), 3u);
  // Sorted by id: "NIFTY 50.NSE" < "NIFTY…23900PE.NFO" < "NIFTY…24200CE.NFO".
  EXPECT_EQ(rows[0].instrument_token, 256265u);  // NIFTY 50, as Kite numbers it
  EXPECT_EQ(rows[0].segment, "INDICES");
  EXPECT_EQ(rows[1].instrument_token, (1u << 8) | 2u);
  EXPECT_EQ(rows[1].instrument_type, "PE");
  EXPECT_EQ(rows[1].name, "NIFTY");
  EXPECT_EQ(rows[1].strike, *Price::Parse("23900"));
  EXPECT_EQ(rows[1].lot_size, 65);
  EXPECT_EQ(rows[1].tradingsymbol, put.raw_symbol.value());
  EXPECT_EQ(rows[2].instrument_token, (2u << 8) | 2u);
  EXPECT_EQ(rows[2].instrument_type, "CE");
  EXPECT_EQ(rows[2].segment, "NFO-OPT");
  const std::string csv = WriteKiteInstrumentsCsv(rows);
  auto back = ParseKiteInstrumentsCsv(csv, "emulator");
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, rows);
  EXPECT_EQ(KiteInstrumentTable({put, call, NiftyIndex()}), rows) << "order-independent";
}

TEST(KiteInstrumentTable, TheRouteServesTextCsvFilteredByExchange) {
  EmulatorConfig c;
  c.user.api_key = "k";
  c.user.api_secret = "s";
  c.instruments = KiteInstrumentTable(
      {NiftyIndex(), testkit::NiftyOption(OptionKind::kPut, "23900")});
  KiteEmulator emu(c, [] { return FromIst(2026, 1, 5, 9, 0); });
  auto login = emu.Handle(net::HttpRequest{"GET", "/connect/login?api_key=k", {}, ""});
  const std::string loc = login.Header("Location");
  const std::string rt = loc.substr(loc.find("request_token=") + 14, 32);
  auto session = emu.Handle(net::HttpRequest{
      "POST", "/session/token", {},
      "api_key=k&request_token=" + rt + "&checksum=" + KiteChecksum("k", rt, "s")});
  ASSERT_EQ(session.status, 200) << session.body;
  const std::string access =
      nlohmann::json::parse(session.body)["data"]["access_token"].get<std::string>();
  const net::HttpHeaders auth = {{"Authorization", "token k:" + access}};
  auto all = emu.Handle(net::HttpRequest{"GET", "/instruments", auth, ""});
  EXPECT_EQ(all.status, 200);
  EXPECT_EQ(all.Header("Content-Type"), "text/csv");
  EXPECT_EQ(ParseKiteInstrumentsCsv(all.body, "all")->size(), 2u);
  auto nfo = emu.Handle(net::HttpRequest{"GET", "/instruments/NFO", auth, ""});
  EXPECT_EQ(ParseKiteInstrumentsCsv(nfo.body, "nfo")->size(), 1u);
  auto none = emu.Handle(net::HttpRequest{"GET", "/instruments", {}, ""});
  EXPECT_EQ(none.status, 403);
}

}  // namespace
}  // namespace nacre::kite_emu
