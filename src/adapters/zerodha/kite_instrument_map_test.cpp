// The instruments dump → Nacre instruments and the token/symbol maps: ids and fields as the
// NSE contract generator makes them, mismatches with NSE's rules reported (not fatal, not
// silent), bad rows refused naming the line; and Zerodha's own mock dump.
#include "adapters/zerodha/kite_instrument_map.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "adapters/zerodha/kite_mocks_test_util.h"
#include "nse/session.h"

namespace nacre {
namespace {

Price Px(const char* s) { return *Price::Parse(s); }

std::string Dump(const std::string& body) {
  return std::string(kKiteInstrumentsHeader) + "\r\n" + body;
}

Result<KiteInstrumentMap> MapOf(const std::string& text, KiteInstrumentMapConfig config = {}) {
  auto rows = ParseKiteInstrumentsCsv(text, "dump.csv");
  if (!rows) return std::move(rows).take_error();
  return KiteInstrumentMap::Build(*rows, "dump.csv", config);
}

// NIFTY 50, a weekly (Tue 6-Jan-2026) and a monthly (Tue 27-Jan-2026) option, the Jan future,
// a BANKNIFTY option and an equity (both left out).
const std::string kNifty = Dump(
    "256265,1001,NIFTY 50,NIFTY 50,0.0,,0.0,0.0,0,EQ,INDICES,NSE\r\n"
    "12345602,48225,NIFTY2610624000CE,NIFTY,0.0,2026-01-06,24000.0,0.05,65,CE,NFO-OPT,NFO\r\n"
    "12345858,48226,NIFTY26JAN23900PE,NIFTY,0.0,2026-01-27,23900.0,0.05,65,PE,NFO-OPT,NFO\r\n"
    "13000194,50782,NIFTY26JANFUT,NIFTY,0.0,2026-01-27,0.0,0.05,65,FUT,NFO-FUT,NFO\r\n"
    "14000130,54688,BANKNIFTY26JAN50000CE,BANKNIFTY,0.0,2026-01-27,50000.0,0.05,30,CE,NFO-OPT,"
    "NFO\r\n"
    "3813889,14898,CENTRALBK-BE,CENTRAL BANK OF INDIA,0.0,,0.0,0.05,1,EQ,NSE,NSE\r\n");

TEST(KiteInstrumentMap, MapsNiftyRowsToNacreIdsAndFields) {
  auto m = MapOf(kNifty);
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_TRUE(m->findings().empty()) << m->findings().front();
  ASSERT_EQ(m->size(), 4u);
  EXPECT_EQ(m->skipped(), 2u);

  const InstrumentId index = MustInstrumentId("NIFTY 50.NSE");
  const InstrumentId call = MustInstrumentId("NIFTY2610624000CE.NFO");
  const InstrumentId put = MustInstrumentId("NIFTY26JAN23900PE.NFO");
  const InstrumentId fut = MustInstrumentId("NIFTY26JANFUT.NFO");
  EXPECT_EQ(m->ByToken(256265), index);
  EXPECT_EQ(m->ByToken(12345602), call);
  EXPECT_EQ(m->TokenOf(put), 12345858u);
  EXPECT_EQ(m->BySymbol("NSE", "NIFTY 50"), index);
  EXPECT_EQ(m->ByKey("NFO:NIFTY26JANFUT"), fut);
  EXPECT_FALSE(m->BySymbol("NSE", "NIFTY2610624000CE"));  // the exchange is part of the key
  EXPECT_FALSE(m->ByToken(14000130));                     // BANKNIFTY not asked for
  ASSERT_NE(m->RefOf(call), nullptr);
  EXPECT_EQ(m->RefOf(call)->Key(), "NFO:NIFTY2610624000CE");

  const Instrument& i = *m->Find(index);
  EXPECT_EQ(i.instrument_class, InstrumentClass::kIndex);
  EXPECT_EQ(i.tick_size, Px("0.05"));

  // The option as the NSE contract generator lists it (same listing model, lot, freeze).
  const Instrument& c = *m->Find(call);
  const NseCalendar cal;
  const OptionUniverse u = OptionUniverse::Nifty();
  const ListedSeries series{{{2026, 1, 6}, ExpiryKind::kWeekly},
                            ListingDate({{2026, 1, 6}, ExpiryKind::kWeekly}, u, cal),
                            65};
  auto want = MakeOptionContract(u, series, Px("24000"), OptionKind::kCall, cal);
  ASSERT_TRUE(want.ok()) << want.error();
  EXPECT_EQ(c.id, want->id);
  EXPECT_EQ(c.raw_symbol, want->raw_symbol);
  EXPECT_EQ(c.instrument_class, InstrumentClass::kOption);
  EXPECT_EQ(c.underlying, index);
  EXPECT_EQ(c.option_kind, OptionKind::kCall);
  EXPECT_EQ(c.strike, Px("24000"));
  EXPECT_EQ(c.strike.precision(), 2);
  EXPECT_EQ(c.lot_size, Quantity::FromInt(65));
  EXPECT_EQ(c.freeze_quantity, want->freeze_quantity);
  EXPECT_EQ(c.tick_size, Px("0.05"));
  EXPECT_EQ(c.activation, want->activation);
  EXPECT_EQ(c.expiration, FromIst(2026, 1, 6, 15, 30));

  const Instrument& p = *m->Find(put);
  EXPECT_EQ(p.option_kind, OptionKind::kPut);
  EXPECT_EQ(p.expiration, FromIst(2026, 1, 27, 15, 30));
  const Instrument& f = *m->Find(fut);
  EXPECT_EQ(f.instrument_class, InstrumentClass::kFuture);
  EXPECT_EQ(f.underlying, index);
  EXPECT_FALSE(f.freeze_quantity);
}

TEST(KiteInstrumentMap, MismatchesWithNseRulesAreReportedNotFatal) {
  // Lot 75 on a Jan-2026 expiry (history: 65); Wednesday 7-Jan-2026 is no NIFTY expiry; a
  // tick of 0.10; a weekly on the monthly expiry day written in weekly form.
  auto m = MapOf(
      Dump("258,1,NIFTY2610624000CE,NIFTY,0.0,2026-01-06,24000.0,0.05,75,CE,NFO-OPT,NFO\r\n"
           "514,2,NIFTY2610724000CE,NIFTY,0.0,2026-01-07,24000.0,0.05,65,CE,NFO-OPT,NFO\r\n"
           "770,3,NIFTY2611324000CE,NIFTY,0.0,2026-01-13,24000.0,0.1,65,CE,NFO-OPT,NFO\r\n"
           "1026,4,NIFTY2612724000CE,NIFTY,0.0,2026-01-27,24000.0,0.05,65,CE,NFO-OPT,NFO\r\n"));
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_EQ(m->size(), 4u);  // all kept, with the broker's values
  ASSERT_EQ(m->findings().size(), 4u);
  EXPECT_EQ(m->findings()[0],
            "dump.csv:2: NIFTY2610624000CE: lot size 75 differs from the NSE lot-size "
            "history's 65 for the 2026-01-06 expiry");
  EXPECT_EQ(m->findings()[1],
            "dump.csv:3: NIFTY2610724000CE: expiry 2026-01-07 is not an NSE weekly or monthly "
            "expiry day of NIFTY per the calendar");
  EXPECT_EQ(m->findings()[2],
            "dump.csv:4: NIFTY2611324000CE: tick size 0.1 differs from NSE's 0.05");
  EXPECT_EQ(m->findings()[3],
            "dump.csv:5: NIFTY2612724000CE: NSE's symbol for this contract is NIFTY26JAN24000CE");
  EXPECT_EQ(m->Find(MustInstrumentId("NIFTY2610624000CE.NFO"))->lot_size, Quantity::FromInt(75));
  EXPECT_EQ(m->Find(MustInstrumentId("NIFTY2611324000CE.NFO"))->tick_size, Px("0.10"));
}

TEST(KiteInstrumentMap, AHolidayMovesTheExpiryTheCalendarKnows) {
  // With 6-Jan-2026 a holiday the week's expiry is Monday 5-Jan: a dump saying 6-Jan is
  // reported, one saying 5-Jan is not.
  KiteInstrumentMapConfig config;
  ASSERT_TRUE(config.calendar.LoadHolidays("06-Jan-2026\n", "inline").ok());
  auto m =
      MapOf(Dump("258,1,NIFTY2610524000CE,NIFTY,0.0,2026-01-05,24000.0,0.05,65,CE,NFO-OPT,NFO\r\n"
                 "514,2,NIFTY2610624000PE,NIFTY,0.0,2026-01-06,24000.0,0.05,65,PE,NFO-OPT,NFO\r\n"),
            config);
  ASSERT_TRUE(m.ok()) << m.error();
  ASSERT_EQ(m->findings().size(), 1u) << m->findings().front();
  EXPECT_NE(m->findings()[0].find("dump.csv:3: NIFTY2610624000PE: expiry 2026-01-06 is not"),
            std::string::npos)
      << m->findings()[0];
}

TEST(KiteInstrumentMap, TheRealHolidayCalendarShiftsExpiries) {
  // NSE's 2026 F&O holidays include Tuesdays 3-Mar and 31-Mar: that week's weekly expires on
  // Monday 2-Mar and the March monthly on Monday 30-Mar. A dump dating them on the Tuesdays
  // is reported.
  const auto file =
      std::filesystem::path(NACRE_SOURCE_DIR) / "../shared/data/real/nse_fo_holidays_2026.csv";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << file.string() << " not present (../shared)";
  KiteInstrumentMapConfig config;
  ASSERT_TRUE(config.calendar.LoadHolidayFile(file.string()).ok());
  auto m = MapOf(
      Dump("258,1,NIFTY2630224000CE,NIFTY,0.0,2026-03-02,24000.0,0.05,65,CE,NFO-OPT,NFO\r\n"
           "514,2,NIFTY26MAR24000CE,NIFTY,0.0,2026-03-30,24000.0,0.05,65,CE,NFO-OPT,NFO\r\n"
           "770,3,NIFTY26MARFUT,NIFTY,0.0,2026-03-30,0.0,0.05,65,FUT,NFO-FUT,NFO\r\n"
           "1026,4,NIFTY26MAR23000PE,NIFTY,0.0,2026-03-31,23000.0,0.05,65,PE,NFO-OPT,NFO\r\n"),
      config);
  ASSERT_TRUE(m.ok()) << m.error();
  ASSERT_EQ(m->findings().size(), 1u) << m->findings().front();
  EXPECT_NE(m->findings()[0].find("dump.csv:5: NIFTY26MAR23000PE: expiry 2026-03-31 is not"),
            std::string::npos)
      << m->findings()[0];
  EXPECT_EQ(m->Find(MustInstrumentId("NIFTY26MAR24000CE.NFO"))->expiration,
            FromIst(2026, 3, 30, 15, 30));
}

TEST(KiteInstrumentMap, BadRowsAreErrorsNamingTheLine) {
  auto m = MapOf(
      Dump("256265,1001,NIFTY 50,NIFTY 50,0.0,,0.0,0.0,0,EQ,INDICES,NSE\r\n"
           "258,1,NIFTY2610624000XE,NIFTY,0.0,2026-01-06,24000.0,0.05,65,XE,NFO-OPT,NFO\r\n"));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error(),
            "dump.csv:3: NIFTY2610624000XE: instrument_type 'XE' in segment NFO-OPT (expected CE "
            "or PE)");
  m = MapOf(Dump("258,1,NIFTY26JANFUT,NIFTY,0.0,2026-01-27,0.0,0.05,65,CE,NFO-FUT,NFO\r\n"));
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().find("dump.csv:2: NIFTY26JANFUT: instrument_type 'CE' in segment NFO-FUT"),
            std::string::npos);
  m = MapOf(Dump("258,1,NIFTY2610624000CE,NIFTY,0.0,,24000.0,0.05,65,CE,NFO-OPT,NFO\r\n"));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error(), "dump.csv:2: NIFTY2610624000CE: no expiry on a derivative");
  m = MapOf(
      Dump("258,1,NIFTY2610624000CE,NIFTY,0.0,2026-01-06,24000.0,0.05,65,CE,NFO-OPT,NFO\r\n"
           "258,1,NIFTY2610624000PE,NIFTY,0.0,2026-01-06,24000.0,0.05,65,PE,NFO-OPT,NFO\r\n"));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error(), "dump.csv:3: NIFTY2610624000PE: instrument_token 258 already on line 2");
  // A row of an underlying not asked for is not looked at beyond its type.
  m = MapOf(Dump("258,1,FINNIFTY26JANFUT,FINNIFTY,0.0,,0.0,0.05,65,FUT,NFO-FUT,NFO\r\n"));
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_EQ(m->size(), 0u);
}

TEST(KiteInstrumentMap, ZerodhasMockDump) {
  const auto path = kite_mocks::Dir() / "instruments_all.csv";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path.string() << " not present (../shared)";
  auto rows = ParseKiteInstrumentsCsv(kite_mocks::Read(path), "instruments_all.csv");
  ASSERT_TRUE(rows.ok()) << rows.error();
  // NIFTY only: the mock holds BANKNIFTY options and equities, all left out.
  auto nifty = KiteInstrumentMap::Build(*rows, "instruments_all.csv", {});
  ASSERT_TRUE(nifty.ok()) << nifty.error();
  EXPECT_EQ(nifty->size(), 0u);
  EXPECT_EQ(nifty->skipped(), rows->size());

  // BANKNIFTY (Nov-2017 to Jan-2018 monthlies, lot 40; the mock leaves `name` empty, so the
  // symbol says the underlying): 12 options kept; their lots cannot be checked (the lot-size
  // history starts in 2026 for BANKNIFTY), which is reported for each.
  KiteInstrumentMapConfig config;
  OptionUniverse bank = OptionUniverse::Nifty();
  bank.underlying = "BANKNIFTY";
  bank.underlying_id = MustInstrumentId("NIFTY BANK.NSE");
  bank.freeze_quantity = std::nullopt;
  config.underlyings = {bank};
  auto m = KiteInstrumentMap::Build(*rows, "instruments_all.csv", config);
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_EQ(m->size(), 12u);
  ASSERT_EQ(m->findings().size(), 12u);
  for (const std::string& f : m->findings()) {
    EXPECT_NE(f.find("lot size 40 not checked"), std::string::npos) << f;
  }
  const InstrumentId id = MustInstrumentId("BANKNIFTY18JAN23500CE.NFO");
  EXPECT_EQ(m->ByToken(12073986), id);
  const Instrument& i = *m->Find(id);
  EXPECT_EQ(i.lot_size, Quantity::FromInt(40));
  EXPECT_EQ(i.strike, Px("23500"));
  EXPECT_EQ(i.expiration, FromIst(2018, 1, 25, 15, 30));
  EXPECT_EQ(i.underlying, MustInstrumentId("NIFTY BANK.NSE"));
}

}  // namespace
}  // namespace nacre

namespace nacre {
namespace {

// ---- the daily refresh ----

// The next day's dump: the weekly of 6-Jan expired (gone), a new weekly (13-Jan) listed; the
// monthly, the future and the index stay.
const std::string kNiftyNextWeek = Dump(
    "256265,1001,NIFTY 50,NIFTY 50,0.0,,0.0,0.0,0,EQ,INDICES,NSE\r\n"
    "12345858,48226,NIFTY26JAN23900PE,NIFTY,0.0,2026-01-27,23900.0,0.05,65,PE,NFO-OPT,NFO\r\n"
    "13000194,50782,NIFTY26JANFUT,NIFTY,0.0,2026-01-27,0.0,0.05,65,FUT,NFO-FUT,NFO\r\n"
    "12346114,48227,NIFTY2611324000CE,NIFTY,0.0,2026-01-13,24000.0,0.05,65,CE,NFO-OPT,NFO\r\n");

TEST(KiteInstrumentRefresh, NewListingsAreAddedAndGoneContractsDropped) {
  auto before = MapOf(kNifty);
  auto after = MapOf(kNiftyNextWeek);
  ASSERT_TRUE(before.ok() && after.ok());
  const KiteInstrumentRefresh r = RefreshKiteInstrumentMap(*before, std::move(*after), {});
  ASSERT_EQ(r.added.size(), 1u);
  EXPECT_EQ(r.added[0].id, MustInstrumentId("NIFTY2611324000CE.NFO"));
  ASSERT_EQ(r.dropped.size(), 1u);
  EXPECT_EQ(r.dropped[0], MustInstrumentId("NIFTY2610624000CE.NFO"));
  EXPECT_TRUE(r.kept.empty());
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(r.map.size(), 4u);
  EXPECT_EQ(r.map.ByToken(12346114), MustInstrumentId("NIFTY2611324000CE.NFO"));
  EXPECT_FALSE(r.map.ByToken(12345602));  // gone: no ticks are decoded for it
}

TEST(KiteInstrumentRefresh, AContractGoneWhileHeldIsKeptWithItsNames) {
  auto before = MapOf(kNifty);
  auto after = MapOf(kNiftyNextWeek);
  ASSERT_TRUE(before.ok() && after.ok());
  const InstrumentId weekly = MustInstrumentId("NIFTY2610624000CE.NFO");
  const KiteInstrumentRefresh r = RefreshKiteInstrumentMap(*before, std::move(*after), {weekly});
  ASSERT_EQ(r.kept.size(), 1u);
  EXPECT_EQ(r.kept[0], weekly);
  EXPECT_TRUE(r.dropped.empty());
  EXPECT_EQ(r.map.size(), 5u);
  ASSERT_NE(r.map.Find(weekly), nullptr);
  EXPECT_EQ(r.map.Find(weekly)->strike, Px("24000"));
  EXPECT_EQ(r.map.TokenOf(weekly), 12345602u);
  EXPECT_EQ(r.map.ByKey("NFO:NIFTY2610624000CE"), weekly);
  EXPECT_EQ(r.map.ByToken(12345602), weekly);
}

TEST(KiteInstrumentRefresh, AKeptContractsTokenGivenToANewOneStaysWithTheNewOne) {
  auto before = MapOf(kNifty);
  // The new weekly reuses the expired weekly's token.
  auto after = MapOf(Dump(
      "256265,1001,NIFTY 50,NIFTY 50,0.0,,0.0,0.0,0,EQ,INDICES,NSE\r\n"
      "12345602,48225,NIFTY2611324000CE,NIFTY,0.0,2026-01-13,24000.0,0.05,65,CE,NFO-OPT,NFO\r\n"));
  ASSERT_TRUE(before.ok() && after.ok()) << after.error();
  const InstrumentId old_weekly = MustInstrumentId("NIFTY2610624000CE.NFO");
  const KiteInstrumentRefresh r =
      RefreshKiteInstrumentMap(*before, std::move(*after), {old_weekly});
  ASSERT_EQ(r.kept.size(), 1u);
  EXPECT_EQ(r.map.ByToken(12345602), MustInstrumentId("NIFTY2611324000CE.NFO"));
  EXPECT_EQ(r.map.ByKey("NFO:NIFTY2610624000CE"), old_weekly);  // still found by its symbol
}

TEST(KiteInstrumentRefresh, TheDaysDumpIsCurrentFrom0830Ist) {
  const std::int64_t tue = DaysFromCivil({2026, 1, 6});
  EXPECT_EQ(KiteInstrumentDay(FromIst(2026, 1, 6, 8, 29, 59)), tue - 1);
  EXPECT_EQ(KiteInstrumentDay(FromIst(2026, 1, 6, 8, 30)), tue);
  EXPECT_EQ(KiteInstrumentDay(FromIst(2026, 1, 6, 23, 59)), tue);
  EXPECT_EQ(KiteInstrumentDay(FromIst(2026, 1, 7, 0, 1)), tue);
}

TEST(KiteInstrumentRefresh, ADumpListingAContractThatExpiredBeforeTheDayIsAnEarlierDays) {
  auto tuesday = MapOf(kNifty);  // lists the weekly of Tue 6-Jan
  auto wednesday = MapOf(kNiftyNextWeek);
  ASSERT_TRUE(tuesday.ok() && wednesday.ok());
  const std::int64_t tue = DaysFromCivil({2026, 1, 6});
  // On its expiry day the weekly is still listed: Tuesday's dump is Tuesday's.
  EXPECT_EQ(FirstExpiredBefore(*tuesday, tue), nullptr);
  // On Wednesday it names the expired weekly; Wednesday's own dump is current.
  const Instrument* stale = FirstExpiredBefore(*tuesday, tue + 1);
  ASSERT_NE(stale, nullptr);
  EXPECT_EQ(stale->id, MustInstrumentId("NIFTY2610624000CE.NFO"));
  EXPECT_EQ(FirstExpiredBefore(*wednesday, tue + 1), nullptr);
  // Before 08:30 on Wednesday the day is still Tuesday's: Tuesday's dump is not stale then.
  EXPECT_EQ(FirstExpiredBefore(*tuesday, KiteInstrumentDay(FromIst(2026, 1, 7, 8, 0))), nullptr);
  // Contracts are stale once their day has passed; the index has no expiry: never stale.
  EXPECT_NE(FirstExpiredBefore(*wednesday, DaysFromCivil({2030, 1, 1})), nullptr);
  auto index_only = MapOf(Dump("256265,1001,NIFTY 50,NIFTY 50,0.0,,0.0,0.0,0,EQ,INDICES,NSE\r\n"));
  ASSERT_TRUE(index_only.ok());
  EXPECT_EQ(FirstExpiredBefore(*index_only, DaysFromCivil({2030, 1, 1})), nullptr);
}

}  // namespace
}  // namespace nacre
