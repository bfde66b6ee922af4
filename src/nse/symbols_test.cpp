#include "nse/symbols.h"

#include <gtest/gtest.h>

#include "nse/test_calendars.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::Px;

constexpr CivilDate D(int y, int m, int d) { return {y, m, d}; }
constexpr auto kW = ExpiryKind::kWeekly;
constexpr auto kM = ExpiryKind::kMonthly;
constexpr auto kCE = OptionKind::kCall;
constexpr auto kPE = OptionKind::kPut;

std::string Fmt(CivilDate expiry, ExpiryKind kind, const char* strike, OptionKind right) {
  auto s = FormatOptionSymbol({"NIFTY", expiry, kind, Px(strike), right});
  EXPECT_TRUE(s.ok()) << s.error();
  return s.ok() ? *s : "";
}

NseCalendar Holidays() {
  return nse_test::InlineCalendar("11-Apr-2024\n21-Oct-2025\n31-Mar-2026\n");
}

TEST(SymbolsTest, FormatsWeeklyAndMonthly) {
  EXPECT_EQ(Fmt(D(2026, 1, 6), kW, "24000", kCE), "NIFTY2610624000CE");
  EXPECT_EQ(Fmt(D(2024, 1, 25), kM, "21500", kPE), "NIFTY24JAN21500PE");
  EXPECT_EQ(Fmt(D(2025, 9, 2), kW, "24500", kPE), "NIFTY2590224500PE");
  EXPECT_EQ(Fmt(D(2024, 10, 3), kW, "25000", kCE), "NIFTY24O0325000CE");
  EXPECT_EQ(Fmt(D(2024, 11, 7), kW, "24000.00", kPE), "NIFTY24N0724000PE");
  EXPECT_EQ(Fmt(D(2024, 12, 5), kW, "24500", kCE), "NIFTY24D0524500CE");
  EXPECT_EQ(Fmt(D(2025, 12, 30), kM, "26000", kCE), "NIFTY25DEC26000CE");
  EXPECT_EQ(*FormatOptionSymbol({"IDEA", D(2024, 1, 25), kM, Px("12.5"), kCE}), "IDEA24JAN12.5CE");
}

TEST(SymbolsTest, FormatRejectsBadInput) {
  EXPECT_FALSE(FormatOptionSymbol({"", D(2026, 1, 6), kW, Px("24000"), kCE}).ok());
  EXPECT_FALSE(FormatOptionSymbol({"nifty", D(2026, 1, 6), kW, Px("24000"), kCE}).ok());
  EXPECT_EQ(FormatOptionSymbol({"NIFTY", D(2026, 1, 6), kW, Px("0"), kCE}).error(),
            "option symbol NIFTY: strike 0 must be positive");
  EXPECT_FALSE(FormatOptionSymbol({"NIFTY", D(1999, 12, 30), kM, Px("1500"), kCE}).ok());
}

TEST(SymbolsTest, ParsesParts) {
  auto w = ParseSymbolParts("NIFTY2610624000CE");
  ASSERT_TRUE(w.ok()) << w.error();
  EXPECT_EQ(w->underlying, "NIFTY");
  EXPECT_EQ(w->year, 2026);
  EXPECT_EQ(w->month, 1);
  EXPECT_EQ(w->day, 6);
  EXPECT_EQ(w->strike, Px("24000"));
  EXPECT_EQ(w->option_kind, kCE);
  EXPECT_EQ(w->expiry_kind(), kW);

  auto m = ParseSymbolParts("BANKNIFTY24DEC51500PE");
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_EQ(m->underlying, "BANKNIFTY");
  EXPECT_EQ(m->year, 2024);
  EXPECT_EQ(m->month, 12);
  EXPECT_EQ(m->day, std::nullopt);
  EXPECT_EQ(m->strike, Px("51500"));
  EXPECT_EQ(m->option_kind, kPE);

  auto n = ParseSymbolParts("NIFTY24N2824000CE");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->month, 11);
  EXPECT_EQ(n->day, 28);

  auto digits = ParseSymbolParts("NIFTYNXT5025JAN70000CE", "NIFTYNXT50");
  ASSERT_TRUE(digits.ok()) << digits.error();
  EXPECT_EQ(digits->underlying, "NIFTYNXT50");
  EXPECT_EQ(digits->strike, Px("70000"));
  EXPECT_EQ(ParseSymbolParts("IDEA24JAN12.5CE")->strike, Px("12.5"));
}

TEST(SymbolsTest, BadSymbolsGiveClearErrors) {
  EXPECT_EQ(ParseSymbolParts("NIFTY24JAN21500XE").error(),
            "bad option symbol 'NIFTY24JAN21500XE': expected a CE or PE suffix");
  EXPECT_EQ(ParseSymbolParts("NIFTY24XYZ21500CE").error(),
            "bad option symbol 'NIFTY24XYZ21500CE': unknown month 'XYZ' (expected JAN..DEC)");
  EXPECT_EQ(ParseSymbolParts("NIFTY24A0521500CE").error(),
            "bad option symbol 'NIFTY24A0521500CE': unknown weekly month code 'A' (expected "
            "1-9, O, N, D)");
  EXPECT_EQ(ParseSymbolParts("NIFTY2413224000CE").error(),
            "bad option symbol 'NIFTY2413224000CE': no such date 2024-01-32");
  EXPECT_EQ(ParseSymbolParts("NIFTY24JANCE").error(),
            "bad option symbol 'NIFTY24JANCE': missing strike");
  EXPECT_EQ(ParseSymbolParts("NIFTYJAN21500CE", "NIFTY").error(),
            "bad option symbol 'NIFTYJAN21500CE': expected a two-digit year after the underlying");
  // Without the underlying the letters run on: "NIFTYJAN", year 21, month 5, day 00.
  EXPECT_EQ(ParseSymbolParts("NIFTYJAN21500CE").error(),
            "bad option symbol 'NIFTYJAN21500CE': no such date 2021-05-00");
  EXPECT_EQ(ParseSymbolParts("NIFTY24JAN21X00CE").error(),
            "bad option symbol 'NIFTY24JAN21X00CE': bad strike '21X00'");
  EXPECT_EQ(ParseSymbolParts("2410624000CE").error(),
            "bad option symbol '2410624000CE': expected an upper-case underlying");
  EXPECT_EQ(ParseSymbolParts("BANKNIFTY24DEC51500PE", "NIFTY").error(),
            "bad option symbol 'BANKNIFTY24DEC51500PE': expected underlying NIFTY");
  EXPECT_FALSE(ParseSymbolParts("").ok());
  EXPECT_FALSE(ParseSymbolParts("NIFTY24JAN0CE").ok());
}

TEST(SymbolsTest, ParseResolvesExpiries) {
  const NseCalendar cal = Holidays();
  const ExpiryRules nifty = ExpiryRules::Nifty();
  auto m = ParseOptionSymbol("NIFTY24JAN21500PE", nifty, cal);
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_EQ(*m, (OptionSymbol{"NIFTY", D(2024, 1, 25), kM, Px("21500"), kPE}));
  // Mar-2026: last Tuesday 31st is a holiday, so the monthly expires Monday 30th.
  EXPECT_EQ(ParseOptionSymbol("NIFTY26MAR22000CE", nifty, cal)->expiry, D(2026, 3, 30));
  // A holiday-shifted weekly carries its actual date.
  EXPECT_EQ(ParseOptionSymbol("NIFTY2441022000CE", nifty, cal)->expiry, D(2024, 4, 10));
  EXPECT_EQ(ParseOptionSymbol("NIFTY25O2025000CE", nifty, cal)->expiry, D(2025, 10, 20));
  EXPECT_EQ(ParseOptionSymbol("NIFTY2410524000CE", nifty, cal).error(),
            "bad option symbol 'NIFTY2410524000CE': 2024-01-05 is not a NIFTY weekly expiry");
  EXPECT_EQ(ParseOptionSymbol("NIFTY2412524000CE", nifty, cal).error(),
            "bad option symbol 'NIFTY2412524000CE': 2024-01-25 is the NIFTY monthly expiry, "
            "written in the monthly form (NIFTY24JAN...)");
  // The nominal Thursday of a shifted week is not an expiry.
  EXPECT_FALSE(ParseOptionSymbol("NIFTY2441122000CE", nifty, cal).ok());
  // Thursday weeklies ended with Aug-2025.
  EXPECT_FALSE(ParseOptionSymbol("NIFTY2590424500CE", nifty, cal).ok());
}

void CheckRoundTrips(const NseCalendar& cal) {
  const ExpiryRules nifty = ExpiryRules::Nifty();
  const std::vector<Expiry> expiries = nifty.WeeklyExpiries(D(2024, 1, 1), D(2026, 12, 31), cal);
  ASSERT_GT(expiries.size(), 150u);
  for (const Expiry& e : expiries) {
    for (const char* strike : {"19850", "24000", "26100"}) {
      for (OptionKind right : {kCE, kPE}) {
        const OptionSymbol sym{"NIFTY", e.date, e.kind, Px(strike), right};
        auto text = FormatOptionSymbol(sym);
        ASSERT_TRUE(text.ok()) << text.error();
        auto back = ParseOptionSymbol(*text, nifty, cal);
        ASSERT_TRUE(back.ok()) << back.error();
        EXPECT_EQ(*back, sym) << *text;
        EXPECT_EQ(*FormatOptionSymbol(*back), *text);
      }
    }
  }
}

TEST(SymbolsTest, RoundTripsEveryExpiryInlineCalendar) { CheckRoundTrips(Holidays()); }

TEST(SymbolsTest, RoundTripsEveryExpiryRealCalendar) {
  NSE_SKIP_WITHOUT_REAL_HOLIDAYS();
  CheckRoundTrips(nse_test::RealCalendar());
}

}  // namespace
}  // namespace nacre
