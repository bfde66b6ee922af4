// Display formatting of report.html: rupees with lakh/crore grouping and the minus sign,
// signed percents, ratios, prices at an instrument's precision (rounded half away from zero),
// IST minutes and HTML escaping.
#include "backtest/report_format.h"

#include <gtest/gtest.h>

#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::Inr;

TEST(ReportFormat, RupeesUseIndianGrouping) {
  EXPECT_EQ(FormatInr(Inr("369863.09")), "₹3,69,863.09");
  EXPECT_EQ(FormatInr(Inr("123456789.50")), "₹12,34,56,789.50");
  EXPECT_EQ(FormatInr(Inr("100000")), "₹1,00,000.00");
  EXPECT_EQ(FormatInr(Inr("99999.99")), "₹99,999.99");
  EXPECT_EQ(FormatInr(Inr("1000")), "₹1,000.00");
  EXPECT_EQ(FormatInr(Inr("999.99")), "₹999.99");
  EXPECT_EQ(FormatInr(Inr("0.05")), "₹0.05");
  EXPECT_EQ(FormatInr(Money()), "₹0.00");
  EXPECT_EQ(FormatInr(Inr("-7000")), "\u2212₹7,000.00");
  EXPECT_EQ(FormatInr(Inr("-30136.91")), "\u2212₹30,136.91");
}

TEST(ReportFormat, SignedRupeesMarkGains) {
  EXPECT_EQ(FormatInrSigned(Inr("1120.93")), "+₹1,120.93");
  EXPECT_EQ(FormatInrSigned(Inr("-707.02")), "\u2212₹707.02");
  EXPECT_EQ(FormatInrSigned(Money()), "₹0.00");
  EXPECT_EQ(FormatInrApprox(-76.2984557), "\u2212₹76.30");
  EXPECT_EQ(FormatInrApprox(123456.004), "₹1,23,456.00");
  EXPECT_EQ(FormatInrApprox(-0.001), "₹0.00");
}

TEST(ReportFormat, SignedPercents) {
  EXPECT_EQ(FormatSignedPct(-7.5342275), "\u22127.53%");
  EXPECT_EQ(FormatSignedPct(12.5), "+12.50%");
  EXPECT_EQ(FormatSignedPct(0.0), "0.00%");
  EXPECT_EQ(FormatSignedPct(-0.004), "0.00%");  // rounds to zero: no sign
  EXPECT_EQ(FormatSignedPct(0.004), "0.00%");
  EXPECT_EQ(FormatSignedPct(3.14159, 1), "+3.1%");
  EXPECT_EQ(FormatSignedPct(std::numeric_limits<double>::quiet_NaN()), "\u2014");
  EXPECT_EQ(FormatPct(42.46031746), "42.46%");
  EXPECT_EQ(FormatPct(-3.1), "\u22123.10%");
  EXPECT_EQ(FormatRatio(-1.712294107), "\u22121.71");
  EXPECT_EQ(FormatRatio(0.9186607202), "0.92");
  EXPECT_EQ(FormatRatio(std::numeric_limits<double>::infinity()), "\u2014");
}

TEST(ReportFormat, PricesAtTheInstrumentsPrecision) {
  EXPECT_EQ(FormatPrice(*Price::Parse("28.175"), 2), "28.18");
  EXPECT_EQ(FormatPrice(*Price::Parse("28.174999999"), 2), "28.17");
  EXPECT_EQ(FormatPrice(*Price::Parse("11.850000000"), 2), "11.85");
  EXPECT_EQ(FormatPrice(*Price::Parse("24000"), 2), "24000.00");
  EXPECT_EQ(FormatPrice(*Price::Parse("0.05"), 1), "0.1");
  EXPECT_EQ(FormatPrice(*Price::Parse("-2.5"), 0), "\u22123");
}

TEST(ReportFormat, TimesTextAndLabels) {
  EXPECT_EQ(FormatIstMinute(FromIst(2025, 1, 2, 10, 30, 59)), "2025-01-02 10:30 IST");
  EXPECT_EQ(FormatIstDate(FromIst(2025, 1, 2, 0, 10)), "2025-01-02");
  EXPECT_EQ(HtmlEscape("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
  EXPECT_EQ(Humanize("client_order_id"), "Client order id");
}

}  // namespace
}  // namespace nacre
