#include "nse/contracts.h"

#include <gtest/gtest.h>

#include <set>

#include "nse/test_calendars.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::Px;
using testkit::Qty;

constexpr CivilDate D(int y, int m, int d) { return {y, m, d}; }
constexpr auto kW = ExpiryKind::kWeekly;
constexpr auto kM = ExpiryKind::kMonthly;

// The holidays these tests depend on (a subset of the NSE F&O lists).
NseCalendar Holidays() {
  return nse_test::InlineCalendar(
      "22-Jan-2024\n26-Jan-2024\n15-Nov-2024\n20-Nov-2024\n25-Dec-2024\n25-Dec-2025\n"
      "15-Jan-2026\n26-Jan-2026\n");
}

std::vector<ListedSeries> Series(CivilDate date, const NseCalendar& cal,
                                 const OptionUniverse& u = OptionUniverse::Nifty()) {
  auto s = SeriesOn(date, u, cal);
  EXPECT_TRUE(s.ok()) << s.error();
  return s.ok() ? *s : std::vector<ListedSeries>{};
}

struct Row {
  CivilDate expiry;
  ExpiryKind kind;
  CivilDate listing;
  std::int64_t lot;
};

void ExpectSeries(const std::vector<ListedSeries>& got, const std::vector<Row>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(FormatDate(want[i].expiry));
    EXPECT_EQ(got[i].expiry.date, want[i].expiry);
    EXPECT_EQ(got[i].expiry.kind, want[i].kind);
    EXPECT_EQ(got[i].listing, want[i].listing);
    EXPECT_EQ(got[i].lot, want[i].lot);
  }
}

TEST(ContractsTest, NoWeekliesBeforeNiftyWeekliesBegan) {
  // 2018 and early 2019: the three serial monthlies only (last Thursday), lot 75.
  const NseCalendar cal;
  for (CivilDate d : {D(2018, 1, 1), D(2018, 6, 15), D(2018, 12, 31), D(2019, 2, 8)}) {
    SCOPED_TRACE(FormatDate(d));
    const std::vector<ListedSeries> got = Series(d, cal);
    ASSERT_EQ(got.size(), 3u);
    for (const ListedSeries& s : got) {
      EXPECT_EQ(s.expiry.kind, kM) << FormatDate(s.expiry.date);
      EXPECT_EQ(Weekday(s.expiry.date), kThursday);
      EXPECT_NE(AddDays(s.expiry.date, 7).month, s.expiry.date.month)
          << FormatDate(s.expiry.date) << " is not the month's last Thursday";
    }
  }
  // Weeklies began on Monday 11-Feb-2019 (first expiry Thursday 14-Feb-2019): every weekly
  // on the board that day was listed that day, never earlier.
  const std::vector<ListedSeries> launch = Series(D(2019, 2, 11), cal);
  std::vector<CivilDate> weeklies;
  for (const ListedSeries& s : launch) {
    if (s.expiry.kind == kW) {
      weeklies.push_back(s.expiry.date);
      EXPECT_EQ(s.listing, D(2019, 2, 11)) << FormatDate(s.expiry.date);
    }
  }
  ASSERT_EQ(weeklies.size(), 4u);
  EXPECT_EQ(weeklies[0], D(2019, 2, 14));
  EXPECT_EQ(weeklies[1], D(2019, 2, 21));  // 28-Feb is the monthly
  // A contract made for an early weekly says when it was listed.
  const OptionUniverse u = OptionUniverse::Nifty();
  EXPECT_EQ(ListingDate({D(2019, 2, 14), kW}, u, cal), D(2019, 2, 11));
  EXPECT_EQ(ListingDate({D(2019, 3, 14), kW}, u, cal), D(2019, 2, 11));
  // Later weeklies follow the normal rolling model again.
  EXPECT_LT(D(2019, 2, 11), ListingDate({D(2019, 4, 4), kW}, u, cal));
}

TEST(ContractsTest, SeriesOnJanuary2024) {
  // Four weeklies (the monthly week excluded) and three monthlies. Listing: the trading day
  // after the expiry four weeklies (three months) earlier; Nov/Dec-2023 monthly weeks
  // (30-Nov, 28-Dec) do not count as weeklies.
  ExpectSeries(Series(D(2024, 1, 2), Holidays()), {{D(2024, 1, 4), kW, D(2023, 11, 24), 50},
                                                   {D(2024, 1, 11), kW, D(2023, 12, 8), 50},
                                                   {D(2024, 1, 18), kW, D(2023, 12, 15), 50},
                                                   {D(2024, 1, 25), kM, D(2023, 10, 27), 50},
                                                   {D(2024, 2, 1), kW, D(2023, 12, 22), 50},
                                                   {D(2024, 2, 29), kM, D(2023, 12, 1), 50},
                                                   {D(2024, 3, 28), kM, D(2023, 12, 29), 50}});
}

TEST(ContractsTest, SeriesAcrossTheApril2024Change) {
  // On the Apr-2024 monthly expiry day it still trades (lot 50); the May weeklies are 25.
  const std::vector<ListedSeries> s = Series(D(2024, 4, 25), Holidays());
  ASSERT_GE(s.size(), 2u);
  EXPECT_EQ(s[0].expiry, (Expiry{D(2024, 4, 25), kM}));
  EXPECT_EQ(s[0].lot, 50);
  EXPECT_EQ(s[1].expiry, (Expiry{D(2024, 5, 2), kW}));
  EXPECT_EQ(s[1].lot, 25);
  for (const ListedSeries& x : Series(D(2024, 4, 26), Holidays())) EXPECT_EQ(x.lot, 25);
}

TEST(ContractsTest, SeriesAcrossTheNovember2024Change) {
  // 22-Nov-2024: weeklies listed before 20-Nov keep 25; 2-Jan-2025, listed 22-Nov (after the
  // 21-Nov expiry), is the first at 75. 19-Dec was listed 18-Nov (15-Nov holiday + weekend).
  ExpectSeries(Series(D(2024, 11, 22), Holidays()), {{D(2024, 11, 28), kM, D(2024, 8, 30), 25},
                                                     {D(2024, 12, 5), kW, D(2024, 10, 25), 25},
                                                     {D(2024, 12, 12), kW, D(2024, 11, 8), 25},
                                                     {D(2024, 12, 19), kW, D(2024, 11, 18), 25},
                                                     {D(2024, 12, 26), kM, D(2024, 9, 27), 25},
                                                     {D(2025, 1, 2), kW, D(2024, 11, 22), 75},
                                                     {D(2025, 1, 30), kM, D(2024, 11, 1), 25}});
}

TEST(ContractsTest, SeriesAcrossTheJanuary2026Change) {
  // Tuesday expiries; 30-Dec-2025 (Dec monthly) is the last at 75, every 2026 expiry is 65.
  const std::vector<ListedSeries> s = Series(D(2025, 12, 24), Holidays());
  ASSERT_EQ(s.size(), 7u);
  const std::vector<Expiry> expiries = {
      {D(2025, 12, 30), kM}, {D(2026, 1, 6), kW}, {D(2026, 1, 13), kW}, {D(2026, 1, 20), kW},
      {D(2026, 1, 27), kM},  {D(2026, 2, 3), kW}, {D(2026, 2, 24), kM}};
  for (std::size_t i = 0; i < s.size(); ++i) {
    EXPECT_EQ(s[i].expiry, expiries[i]);
    EXPECT_EQ(s[i].lot, i == 0 ? 75 : 65) << FormatDate(s[i].expiry.date);
  }
}

TEST(ContractsTest, ListingCountsAreConfigurable) {
  OptionUniverse u = OptionUniverse::Nifty();
  u.listing.weekly_count = 2;
  u.listing.monthly_count = 1;
  ExpectSeries(Series(D(2024, 1, 2), Holidays(), u), {{D(2024, 1, 4), kW, D(2023, 12, 15), 50},
                                                      {D(2024, 1, 11), kW, D(2023, 12, 22), 50},
                                                      {D(2024, 1, 25), kM, D(2023, 12, 29), 50}});
  u.listing.weekly_count = 0;
  EXPECT_EQ(Series(D(2024, 1, 2), Holidays(), u).size(), 1u);
  u.listing.monthly_count = -1;
  EXPECT_FALSE(SeriesOn(D(2024, 1, 2), u, Holidays()).ok());
}

TEST(ContractsTest, ExpiryMovedIntoThePreviousWeek) {
  // Artificial: Monday 9-Feb and Tuesday 10-Feb-2026 both holidays, so that week's expiry
  // moves to Friday 6-Feb, after the 2-Feb week's own Tuesday 3-Feb expiry.
  const NseCalendar cal = nse_test::InlineCalendar("09-Feb-2026\n10-Feb-2026\n");
  EXPECT_EQ(ExpiryRules::Nifty().WeeklyExpiries(D(2026, 2, 2), D(2026, 2, 13), cal),
            (std::vector<Expiry>{{D(2026, 2, 3), kW}, {D(2026, 2, 6), kW}}));
  OptionUniverse u = OptionUniverse::Nifty();
  u.listing.weekly_count = 1;
  EXPECT_EQ(ListingDate({D(2026, 2, 6), kW}, u, cal), D(2026, 2, 4));
  ExpectSeries(Series(D(2026, 2, 4), cal, u), {{D(2026, 2, 6), kW, D(2026, 2, 4), 65},
                                               {D(2026, 2, 24), kM, D(2025, 11, 26), 65},
                                               {D(2026, 3, 31), kM, D(2025, 12, 31), 65},
                                               {D(2026, 4, 28), kM, D(2026, 1, 28), 65}});
}

TEST(ContractsTest, SelectStrikesCoversTheSpotRange) {
  const StrikeGrid g = StrikeGrid::Nifty();
  EXPECT_EQ(SelectStrikes({Px("21650"), Px("21840"), 1}, g),
            (std::vector<Price>{Px("21600"), Px("21650"), Px("21700"), Px("21750"), Px("21800"),
                                Px("21850"), Px("21900")}));
  EXPECT_EQ(SelectStrikes(StrikeSelection::AroundSpot(Px("21713.6"), 2), g),
            (std::vector<Price>{Px("21600"), Px("21650"), Px("21700"), Px("21750"), Px("21800")}));
}

TEST(ContractsTest, ContractsOnBuildsInstruments) {
  const NseCalendar cal = Holidays();
  auto list = ContractsOn(D(2024, 1, 2), StrikeSelection::AroundSpot(Px("21713.6"), 2),
                          OptionUniverse::Nifty(), cal);
  ASSERT_TRUE(list.ok()) << list.error();
  ASSERT_EQ(list->size(), 7u * 5u * 2u);

  const Instrument& first = list->front();
  EXPECT_EQ(first.id.value(), "NIFTY2410421600CE.NFO");
  EXPECT_EQ(first.raw_symbol.value(), "NIFTY2410421600CE");
  EXPECT_EQ(first.instrument_class, InstrumentClass::kOption);
  EXPECT_EQ(first.option_kind, OptionKind::kCall);
  EXPECT_EQ(first.strike, Px("21600"));
  EXPECT_EQ(first.lot_size, Qty(50));
  EXPECT_EQ(first.freeze_quantity, Qty(1800));
  EXPECT_EQ(first.tick_size, Px("0.05"));
  EXPECT_EQ(first.price_precision, 2);
  EXPECT_EQ(first.multiplier, 1);
  EXPECT_EQ(first.underlying.value(), "NIFTY 50.NSE");
  EXPECT_EQ(first.activation, FromIst(2023, 11, 24, 9, 15));
  EXPECT_EQ(first.expiration, FromIst(2024, 1, 4, 15, 30));

  EXPECT_EQ((*list)[1].id.value(), "NIFTY2410421600PE.NFO");
  EXPECT_EQ((*list)[2].id.value(), "NIFTY2410421650CE.NFO");
  // The fourth series is the Jan-2024 monthly, in the monthly form.
  EXPECT_EQ((*list)[30].id.value(), "NIFTY24JAN21600CE.NFO");
  EXPECT_EQ((*list)[30].expiration, FromIst(2024, 1, 25, 15, 30));
  EXPECT_EQ(list->back().id.value(), "NIFTY24MAR21800PE.NFO");

  std::set<std::string> ids;
  for (const Instrument& i : *list) {
    ids.insert(i.id.value());
    EXPECT_LT(i.activation, i.expiration);
    EXPECT_FALSE(i.IsExpired(FromIst(2024, 1, 2, 15, 29)));
  }
  EXPECT_EQ(ids.size(), list->size());
}

TEST(ContractsTest, ContractsOnExpiryDayAndAfter) {
  const NseCalendar cal = Holidays();
  const auto sel = StrikeSelection::AroundSpot(Px("24000"), 0);
  // On 6-Jan-2026 (a Tuesday expiry) the expiring weekly is still listed, lot 65.
  auto on = ContractsOn(D(2026, 1, 6), sel, OptionUniverse::Nifty(), cal);
  ASSERT_TRUE(on.ok()) << on.error();
  EXPECT_EQ(on->front().id.value(), "NIFTY2610624000CE.NFO");
  EXPECT_EQ(on->front().lot_size, Qty(65));
  EXPECT_EQ(on->front().expiration, FromIst(2026, 1, 6, 15, 30));
  auto after = ContractsOn(D(2026, 1, 7), sel, OptionUniverse::Nifty(), cal);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->front().id.value(), "NIFTY2611324000CE.NFO");
}

TEST(ContractsTest, ErrorsAreClear) {
  const NseCalendar cal = Holidays();
  EXPECT_EQ(ContractsOn(D(2024, 1, 2), {Px("21800"), Px("21700"), 2}, OptionUniverse::Nifty(), cal)
                .error(),
            "NIFTY contracts on 2024-01-02: spot range 21800..21700 must be positive and "
            "ascending");
  OptionUniverse bank = OptionUniverse::Nifty();
  bank.underlying = "BANKNIFTY";
  bank.underlying_id = MustInstrumentId("NIFTY BANK.NSE");
  bank.freeze_quantity = 600;
  bank.strikes = *StrikeGrid::Uniform(Px("100"));
  bank.expiry_rules = *ExpiryRules::Make("BANKNIFTY", {{D(2000, 1, 1), std::nullopt, kTuesday}});
  auto ok = ContractsOn(D(2026, 1, 2), StrikeSelection::AroundSpot(Px("59950"), 1), bank, cal);
  ASSERT_TRUE(ok.ok()) << ok.error();
  ASSERT_EQ(ok->size(), 3u * 3u * 2u);
  EXPECT_EQ(ok->front().id.value(), "BANKNIFTY26JAN59900CE.NFO");
  EXPECT_EQ(ok->front().lot_size, Qty(30));
  EXPECT_EQ(ok->front().freeze_quantity, Qty(600));
  // BANKNIFTY lots before 2026 are not in the default table.
  EXPECT_EQ(
      ContractsOn(D(2025, 12, 1), StrikeSelection::AroundSpot(Px("59950"), 1), bank, cal).error(),
      "no lot size known for BANKNIFTY monthly contracts expiring 2025-12-30 (listed "
      "2025-10-01)");
}

TEST(ContractsTest, RealCalendarListingsAreTradingDays) {
  NSE_SKIP_WITHOUT_REAL_HOLIDAYS();
  const NseCalendar cal = nse_test::RealCalendar();
  for (CivilDate d = D(2024, 3, 1); d <= D(2026, 9, 30); d = AddDays(d, 7)) {
    for (const ListedSeries& s : Series(d, cal)) {
      if (s.listing.year >= 2024) {
        EXPECT_TRUE(cal.IsTradingDay(s.listing)) << FormatDate(d);
      }
      EXPECT_TRUE(cal.IsTradingDay(s.expiry.date)) << FormatDate(s.expiry.date);
      EXPECT_LE(d, s.expiry.date);
    }
  }
  // 1-May-2025 (Thursday holiday): on 28-Apr-2025 the weekly due that week expires 30-Apr.
  const std::vector<ListedSeries> s = Series(D(2025, 4, 28), cal);
  ASSERT_FALSE(s.empty());
  EXPECT_EQ(s[0].expiry, (Expiry{D(2025, 4, 30), kW}));
  EXPECT_EQ(s[0].lot, 75);
}

}  // namespace
}  // namespace nacre
