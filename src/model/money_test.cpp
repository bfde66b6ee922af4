#include "model/money.h"

#include <gtest/gtest.h>

#include <string>

#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::Inr;
using testkit::Px;
using testkit::Qty;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// ---------------------------------------------------------------------------------------------
// Price

TEST(Price, ParseKeepsWrittenPrecision) {
  struct Case {
    const char* text;
    std::int64_t raw;
    int precision;
    const char* shown;
  };
  const Case cases[] = {
      {"21727.75", 21'727'750'000'000, 2, "21727.75"},
      {"100", 100'000'000'000, 0, "100"},
      {"0.050", 50'000'000, 3, "0.050"},
      {"-3.5", -3'500'000'000, 1, "-3.5"},
      {"0.000000001", 1, 9, "0.000000001"},
  };
  for (const Case& c : cases) {
    auto p = Price::Parse(c.text);
    ASSERT_TRUE(p.ok()) << c.text << ": " << p.error();
    EXPECT_EQ(p->raw(), c.raw) << c.text;
    EXPECT_EQ(p->precision(), c.precision) << c.text;
    EXPECT_EQ(p->ToString(), c.shown) << c.text;
  }
}

TEST(Price, ParseRejectsGarbageAndTooManyDecimals) {
  for (const char* text : {"abc", "", "1.0000000001", "12.5x", "1e3"}) {
    auto p = Price::Parse(text);
    ASSERT_FALSE(p.ok()) << text;
    EXPECT_TRUE(Contains(p.error(), "invalid price")) << p.error();
  }
}

TEST(Price, ParseWithPrecisionWidensOrRejects) {
  auto p = Price::Parse("100.5", 2);
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_EQ(p->precision(), 2);
  EXPECT_EQ(p->ToString(), "100.50");
  EXPECT_EQ(p->raw(), 100'500'000'000);

  auto exact = Price::Parse("100.55", 2);
  ASSERT_TRUE(exact.ok()) << exact.error();
  EXPECT_EQ(exact->ToString(), "100.55");

  auto fine = Price::Parse("100.555", 2);
  ASSERT_FALSE(fine.ok());
  EXPECT_TRUE(Contains(fine.error(), "'100.555'")) << fine.error();
  EXPECT_TRUE(Contains(fine.error(), "more than 2 decimal places")) << fine.error();

  EXPECT_FALSE(Price::Parse("x", 2).ok());
  EXPECT_FALSE(Price::Parse("1", 10).ok());  // precision out of range
}

TEST(Price, FromRawIsChecked) {
  auto ok = Price::FromRaw(1'230'000'000, 2);
  ASSERT_TRUE(ok.ok()) << ok.error();
  EXPECT_EQ(ok->ToString(), "1.23");

  auto too_fine = Price::FromRaw(1'234'500'000, 2);  // 1.2345 at 2 decimals
  ASSERT_FALSE(too_fine.ok());
  EXPECT_TRUE(Contains(too_fine.error(), "more than 2 decimals")) << too_fine.error();

  for (int bad : {-1, 10, 100}) {
    auto r = Price::FromRaw(0, bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(Contains(r.error(), "precision " + std::to_string(bad) + " outside [0, 9]"))
        << r.error();
  }
  // Negative prices are legal values (spreads, P&L per unit).
  auto neg = Price::FromRaw(-50'000'000, 2);
  ASSERT_TRUE(neg.ok()) << neg.error();
  EXPECT_EQ(neg->ToString(), "-0.05");
}

TEST(Price, FromDoubleRoundsHalfAwayFromZero) {
  EXPECT_EQ(Price::FromDouble(100.125, 2).raw(), 100'130'000'000);  // .125 is exact in binary
  EXPECT_EQ(Price::FromDouble(-100.125, 2).raw(), -100'130'000'000);
  EXPECT_EQ(Price::FromDouble(24'000.049'999, 2).raw(), 24'000'050'000'000);
  EXPECT_EQ(Price::FromDouble(24'000.049'999, 2).precision(), 2);
  EXPECT_DOUBLE_EQ(Px("21727.75").AsDouble(), 21727.75);
}

TEST(Price, ArithmeticTakesTheFinerPrecision) {
  const Price a = Px("100.5");
  const Price b = Px("0.25");
  const Price sum = a + b;
  EXPECT_EQ(sum.raw(), 100'750'000'000);
  EXPECT_EQ(sum.precision(), 2);
  EXPECT_EQ(sum.ToString(), "100.75");
  const Price diff = Px("100") - Px("0.05");
  EXPECT_EQ(diff.ToString(), "99.95");
  EXPECT_EQ(diff.precision(), 2);
  const Price neg = -Px("1.5");
  EXPECT_EQ(neg.ToString(), "-1.5");
  EXPECT_EQ((b - a).ToString(), "-100.25");
}

TEST(Price, EqualityAndOrderIgnorePrecision) {
  EXPECT_EQ(Px("100.0"), Px("100.00"));
  EXPECT_EQ(Px("100"), Px("100.000000000"));
  EXPECT_NE(Px("100.01"), Px("100.1"));
  EXPECT_LT(Px("99.99"), Px("100"));
  EXPECT_GT(Px("-1"), Px("-1.5"));
  EXPECT_TRUE(Px("0.01").is_positive());
  EXPECT_FALSE(Px("0").is_positive());
  EXPECT_FALSE(Px("-0.01").is_positive());
}

// ---------------------------------------------------------------------------------------------
// Quantity

TEST(Quantity, Parse) {
  auto q = Quantity::Parse("65");
  ASSERT_TRUE(q.ok()) << q.error();
  EXPECT_EQ(q->raw(), 65'000'000'000);
  EXPECT_EQ(q->precision(), 0);
  EXPECT_EQ(q->ToString(), "65");

  auto f = Quantity::Parse("1.50");
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_EQ(f->raw(), 1'500'000'000);
  EXPECT_EQ(f->precision(), 2);
  EXPECT_EQ(f->ToString(), "1.50");

  auto bad = Quantity::Parse("ten");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Contains(bad.error(), "invalid quantity")) << bad.error();
}

TEST(Quantity, NegativeIsRejected) {
  auto p = Quantity::Parse("-1");
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(Contains(p.error(), "negative")) << p.error();
  auto r = Quantity::FromRaw(-1, 9);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.error(), "negative")) << r.error();
  auto z = Quantity::FromRaw(0, 0);
  ASSERT_TRUE(z.ok()) << z.error();
  EXPECT_TRUE(z->is_zero());
}

TEST(Quantity, FromRawChecksPrecision) {
  auto too_fine = Quantity::FromRaw(1, 0);
  ASSERT_FALSE(too_fine.ok());
  EXPECT_TRUE(Contains(too_fine.error(), "more than 0 decimals")) << too_fine.error();
  auto out = Quantity::FromRaw(0, 10);
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(Contains(out.error(), "outside [0, 9]")) << out.error();
  auto ok = Quantity::FromRaw(2'500'000'000, 1);
  ASSERT_TRUE(ok.ok()) << ok.error();
  EXPECT_EQ(ok->ToString(), "2.5");
}

TEST(Quantity, ArithmeticAndSaturation) {
  const Quantity sum = *Quantity::Parse("1.5") + Qty(2);
  EXPECT_EQ(sum.raw(), 3'500'000'000);
  EXPECT_EQ(sum.precision(), 1);
  EXPECT_EQ(sum.ToString(), "3.5");
  EXPECT_EQ((Qty(5) - Qty(3)).raw(), 2'000'000'000);
  const Quantity floor = Qty(3) - Qty(5);
  EXPECT_TRUE(floor.is_zero());
  EXPECT_EQ(floor.raw(), 0);
  Quantity acc = Qty(65);
  acc += Qty(65);
  EXPECT_EQ(acc, Qty(130));
  EXPECT_EQ(Quantity::Zero(2).ToString(), "0.00");
  EXPECT_EQ(Quantity::FromInt(1800).raw(), 1'800'000'000'000);
  EXPECT_LT(Qty(64), Qty(65));
  EXPECT_EQ(*Quantity::Parse("65.0"), Qty(65));
}

// ---------------------------------------------------------------------------------------------
// Currency and Money

TEST(Currency, FromCode) {
  auto inr = Currency::FromCode("INR");
  ASSERT_TRUE(inr.ok());
  EXPECT_EQ(*inr, Currency::INR());
  EXPECT_EQ(inr->Code(), "INR");
  EXPECT_EQ(inr->precision, 2);
  auto usd = Currency::FromCode("USD");
  ASSERT_TRUE(usd.ok());
  EXPECT_EQ(usd->Code(), "USD");
  EXPECT_FALSE(*usd == Currency::INR());
  auto eur = Currency::FromCode("EUR");
  ASSERT_FALSE(eur.ok());
  EXPECT_TRUE(Contains(eur.error(), "'EUR'")) << eur.error();
  EXPECT_FALSE(Currency::FromCode("inr").ok());
}

TEST(Money, ParseIsExactToPaise) {
  auto m = Money::Parse("1234.5");
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_EQ(m->raw(), 1'234'500'000'000);
  EXPECT_EQ(m->ToString(), "1234.50");
  EXPECT_EQ(m->currency(), Currency::INR());

  auto neg = Money::Parse("-0.05");
  ASSERT_TRUE(neg.ok()) << neg.error();
  EXPECT_EQ(neg->ToString(), "-0.05");

  auto fine = Money::Parse("1234.567");
  ASSERT_FALSE(fine.ok());
  EXPECT_TRUE(Contains(fine.error(), "'1234.567'")) << fine.error();
  EXPECT_TRUE(Contains(fine.error(), "INR has 2 decimals")) << fine.error();

  auto bad = Money::Parse("₹100");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Contains(bad.error(), "invalid amount")) << bad.error();

  auto usd = Money::Parse("10.25", Currency::USD());
  ASSERT_TRUE(usd.ok()) << usd.error();
  EXPECT_EQ(usd->currency().Code(), "USD");
}

TEST(Money, FromRawRoundsToPaiseHalfAwayFromZero) {
  EXPECT_EQ(Money::FromRaw(1'005'000'000).raw(), 1'010'000'000);    // 1.005 -> 1.01
  EXPECT_EQ(Money::FromRaw(-1'005'000'000).raw(), -1'010'000'000);  // -1.005 -> -1.01
  EXPECT_EQ(Money::FromRaw(1'004'999'999).raw(), 1'000'000'000);
  EXPECT_EQ(Money::FromRaw(-1'004'999'999).raw(), -1'000'000'000);
  EXPECT_EQ(Money::FromRaw(4'999'999).raw(), 0);
  EXPECT_EQ(Money::FromRaw(-5'000'000).raw(), -10'000'000);
  EXPECT_EQ(Money::FromRaw(1'005'000'000).ToString(), "1.01");
}

TEST(Money, FromIntAndZero) {
  EXPECT_EQ(Money::FromInt(5).ToString(), "5.00");
  EXPECT_EQ(Money::FromInt(-5).raw(), -5'000'000'000);
  EXPECT_TRUE(Money::Zero().is_zero());
  EXPECT_EQ(Money::Zero(Currency::USD()).currency().Code(), "USD");
  EXPECT_EQ(Money().currency(), Currency::INR());
}

TEST(Money, ArithmeticIsExact) {
  // 0.10 + 0.20 is exactly 0.30 in fixed point (unlike doubles).
  EXPECT_EQ(Inr("0.10") + Inr("0.20"), Inr("0.30"));
  EXPECT_EQ((Inr("0.10") + Inr("0.20")).raw(), 300'000'000);
  Money m = Inr("100");
  m += Inr("0.05");
  m -= Inr("200.10");
  EXPECT_EQ(m.ToString(), "-100.05");
  EXPECT_EQ((-m).ToString(), "100.05");
  EXPECT_EQ(Inr("5") - Inr("7.5"), Inr("-2.5"));
  EXPECT_LT(Inr("-0.01"), Inr("0"));
  EXPECT_GT(Inr("1000000"), Inr("999999.99"));
}

TEST(Money, NotionalRoundsOnceToPaise) {
  // 24000.05 x 65 = 1,560,003.25
  EXPECT_EQ(Money::Notional(Px("24000.05"), Qty(65), 1), Inr("1560003.25"));
  // 150.25 x 2 x 65 = 150.25 x 130 = 19,532.50
  EXPECT_EQ(Money::Notional(Px("150.25"), Qty(2), 65), Inr("19532.50"));
  // 25000 x 1800 x 75 = 3,375,000,000
  EXPECT_EQ(Money::Notional(Px("25000"), Qty(1800), 75), Inr("3375000000"));
  // 0.0025 x 3 = 0.0075 -> 0.01 (rounding the unit value first would give 0.00).
  EXPECT_EQ(Money::Notional(Px("0.0025"), Qty(3), 1), Inr("0.01"));
  EXPECT_EQ(Money::Notional(Px("0.0025"), Qty(1), 1), Inr("0"));
  // Half away from zero on both sides: 10.01 x 0.5 = 5.005 -> 5.01; -0.005 -> -0.01.
  EXPECT_EQ(Money::Notional(Px("10.01"), *Quantity::Parse("0.5"), 1), Inr("5.01"));
  EXPECT_EQ(Money::Notional(Px("-0.005"), Qty(1), 1), Inr("-0.01"));
  EXPECT_EQ(Money::Notional(Px("-0.004"), Qty(1), 1), Inr("0"));
  EXPECT_EQ(Money::Notional(Px("1.5"), Qty(2), 1, Currency::USD()).currency().Code(), "USD");
}

TEST(Money, CheckedNotionalIsTheNotionalOrNothingWhenItCannotBeHeld) {
  const Currency inr = Currency::INR();
  // The same rounding as Notional, for multipliers of 1, more and none.
  EXPECT_EQ(Money::CheckedNotional(Px("24000.05"), Qty(65), 1, inr), Inr("1560003.25"));
  EXPECT_EQ(Money::CheckedNotional(Px("150.25"), Qty(2), 65, inr), Inr("19532.50"));
  EXPECT_EQ(Money::CheckedNotional(Px("-0.005"), Qty(1), 1, inr), Inr("-0.01"));
  EXPECT_EQ(Money::CheckedNotional(Px("24000"), Qty(65), 0, inr), Inr("0"));
  // Off the paisa grid or part units: rounded once, half away from zero, as Notional does.
  EXPECT_EQ(Money::CheckedNotional(Px("0.0025"), Qty(3), 1, inr), Inr("0.01"));
  EXPECT_EQ(Money::CheckedNotional(Px("10.01"), *Quantity::Parse("0.5"), 1, inr), Inr("5.01"));
  EXPECT_EQ(Money::CheckedNotional(Px("-10.01"), *Quantity::Parse("0.5"), 3, inr), Inr("-15.02"));
  // 24000 x 10^9 = 2.4 x 10^13 rupees: the product fits, the rupees do not (int64 of 10^-9).
  EXPECT_FALSE(Money::CheckedNotional(Px("24000"), Qty(1'000'000'000), 1, inr));
  EXPECT_FALSE(Money::CheckedNotional(Px("-24000"), Qty(1'000'000'000), 1, inr));
  // Raw price x raw quantity is 2.4 x 10^31; times 10^7 it would pass 2^127: refused before.
  EXPECT_FALSE(Money::CheckedNotional(Px("24000"), Qty(1'000'000'000), 10'000'000, inr));
  // Whatever the path, what comes back is Notional's amount.
  for (const char* px : {"24000.05", "-24000.05", "0.05", "0.0025", "-0.005", "150.25", "7"}) {
    for (const char* q : {"1", "65", "1800", "0.5", "0.001"}) {
      for (const std::int64_t mult : {0, 1, 25, 65}) {
        for (const Currency c : {inr, Currency{{'J', 'P', 'Y', '\0'}, 0}}) {
          const auto checked = Money::CheckedNotional(Px(px), *Quantity::Parse(q), mult, c);
          ASSERT_TRUE(checked) << px << " x " << q << " x " << mult;
          EXPECT_EQ(*checked, Money::Notional(Px(px), *Quantity::Parse(q), mult, c))
              << px << " x " << q << " x " << mult << " " << c.Code();
        }
      }
    }
  }
  // A negative multiplier is bounded like a positive one.
  EXPECT_FALSE(Money::CheckedNotional(Px("24000"), Qty(1'000'000'000), -10'000'000, inr));
  // Near the most an amount holds (about 922 crore): 900 crore still comes back.
  EXPECT_EQ(Money::CheckedNotional(Px("9000000"), Qty(100), 10, inr), Inr("9000000000"));
  EXPECT_FALSE(Money::CheckedNotional(Px("9000000"), Qty(110), 10, inr));
}

TEST(Money, MulRatioRoundsOnceToPaise) {
  EXPECT_EQ(Inr("0.05").MulRatio(1, 3), Inr("0.02"));  // 0.01666...
  EXPECT_EQ(Inr("0.05").MulRatio(2, 3), Inr("0.03"));  // 0.03333...
  EXPECT_EQ(Inr("100").MulRatio(1, 3), Inr("33.33"));
  EXPECT_EQ(Inr("100").MulRatio(2, 3), Inr("66.67"));
  EXPECT_EQ(Inr("-0.05").MulRatio(1, 3), Inr("-0.02"));
  EXPECT_EQ(Inr("0.01").MulRatio(1, 2), Inr("0.01"));    // 0.005 -> 0.01
  EXPECT_EQ(Inr("-0.01").MulRatio(1, 2), Inr("-0.01"));  // -0.005 -> -0.01
  EXPECT_EQ(Inr("0.03").MulRatio(1, 6), Inr("0.01"));    // 0.005 -> 0.01
  EXPECT_EQ(Inr("7.77").MulRatio(0, 5), Inr("0"));
  EXPECT_EQ(Inr("7.77").MulRatio(5, 5), Inr("7.77"));
  // Ratios of raw quantities (1.5 of 4.5 lots) behave like 1/3.
  EXPECT_EQ(Inr("0.05").MulRatio(1'500'000'000, 4'500'000'000), Inr("0.02"));
  // 0.01 x 0.49999999 = 0.0049999999: just under half a paisa, so 0.00. Rounding to 10^-9
  // first (0.005000000) and then to paise would wrongly give 0.01.
  EXPECT_EQ(Inr("0.01").MulRatio(49'999'999, 100'000'000), Inr("0"));
  EXPECT_EQ(Inr("-0.01").MulRatio(49'999'999, 100'000'000), Inr("0"));
  EXPECT_EQ(Inr("0.01").MulRatio(50'000'000, 100'000'000), Inr("0.01"));
}

TEST(GroupIndian, LakhAndCroreGrouping) {
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {
      {"1234567.50", "12,34,567.50"},
      {"0.50", "0.50"},
      {"123", "123"},
      {"1234", "1,234"},
      {"12345", "12,345"},
      {"123456", "1,23,456"},
      {"100000", "1,00,000"},       // one lakh
      {"10000000", "1,00,00,000"},  // one crore
      {"12345678901.5", "12,34,56,78,901.5"},
      {"-1234567", "-12,34,567"},
      {"-999.99", "-999.99"},
      {"", ""},
  };
  for (const Case& c : cases) EXPECT_EQ(GroupIndian(c.in), c.out) << c.in;
}

TEST(Money, ToDisplay) {
  EXPECT_EQ(Inr("1234567.5").ToDisplay(), "₹12,34,567.50");
  EXPECT_EQ(Inr("-1234567.5").ToDisplay(), "-₹12,34,567.50");
  EXPECT_EQ(Inr("0").ToDisplay(), "₹0.00");
  EXPECT_EQ(Inr("-0.05").ToDisplay(), "-₹0.05");
  EXPECT_EQ(Inr("999").ToDisplay(), "₹999.00");
  EXPECT_EQ(Inr("10000000").ToDisplay(), "₹1,00,00,000.00");
  EXPECT_EQ(Inr("12345.6").ToString(), "12345.60");
}

}  // namespace
}  // namespace nacre
