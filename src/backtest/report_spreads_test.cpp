// The Spreads section of report.html on crafted spreads: names from the legs' shapes, exit
// reasons, what entering cost (attempted / completed / failed, the failed spreads' P&L and
// charges), P&L by kind, exit reason and days to expiry, and the table showing a FAILED badge
// and "unfilled" for a leg that never filled.
#include "backtest/report_spreads.h"

#include <gtest/gtest.h>

#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::Inr;
using testkit::Px;

SpreadLegShape Leg(OptionKind k, OrderSide s, const char* strike) {
  return SpreadLegShape{true, k, s, Px(strike)};
}

TEST(ReportSpreads, KindFromTheLegs) {
  const auto put = OptionKind::kPut;
  const auto call = OptionKind::kCall;
  const auto sell = OrderSide::kSell;
  const auto buy = OrderSide::kBuy;
  EXPECT_EQ(SpreadKindName({Leg(put, sell, "24000"), Leg(put, buy, "23900")}), "Bull put");
  EXPECT_EQ(SpreadKindName({Leg(put, buy, "23900"), Leg(put, sell, "24000")}), "Bull put");
  EXPECT_EQ(SpreadKindName({Leg(put, sell, "23900"), Leg(put, buy, "24000")}), "Bear put");
  EXPECT_EQ(SpreadKindName({Leg(call, sell, "24000"), Leg(call, buy, "24100")}), "Bear call");
  EXPECT_EQ(SpreadKindName({Leg(call, sell, "24100"), Leg(call, buy, "24000")}), "Bull call");
  EXPECT_EQ(SpreadKindName({Leg(put, sell, "23800"), Leg(put, buy, "23700"),
                            Leg(call, sell, "24200"), Leg(call, buy, "24300")}),
            "Iron condor");
  EXPECT_EQ(SpreadKindName({Leg(put, sell, "24000"), Leg(put, buy, "23900"),
                            Leg(call, sell, "24000"), Leg(call, buy, "24100")}),
            "Iron butterfly");
  EXPECT_EQ(SpreadKindName({Leg(put, sell, "24000")}), "Short put");
  EXPECT_EQ(SpreadKindName({Leg(call, buy, "24000"), Leg(call, buy, "24100")}), "2-leg spread");
  SpreadLegShape future;  // not an option
  EXPECT_EQ(SpreadKindName({future, Leg(put, buy, "23900")}), "2-leg spread");
}

SpreadEvent Event(const char* id, SpreadState state, const char* pnl, const char* charges,
                  UnixNanos closed, std::string message = {}) {
  SpreadEvent e;
  e.spread_id = SpreadId(id);
  e.state = state;
  e.lots = 1;
  e.realized_pnl = Inr(pnl);
  e.charges = Inr(charges);
  e.ts_closed = closed;
  e.message = std::move(message);
  if (state != SpreadState::kFailed) e.ts_opened = FromIst(2025, 1, 6, 10, 0);
  // A short leg and a hedge; the failed spread's short leg never filled.
  SpreadLegState s{
      MustInstrumentId("NIFTY2510923800CE.NFO"), OrderSide::kSell, 1, 0, Px("28.20"), Px("0.15")};
  if (state == SpreadState::kFailed)
    s = SpreadLegState{s.instrument, OrderSide::kSell, 1, 0, Price(), {}};
  SpreadLegState b{
      MustInstrumentId("NIFTY2510923900CE.NFO"), OrderSide::kBuy, 1, 0, Px("32.175"), Px("23.40")};
  e.legs = {s, b};
  return e;
}

TEST(ReportSpreads, ExitReasons) {
  const CivilDate expiry{2025, 1, 9};
  EXPECT_EQ(SpreadExitReason(
                Event("A", SpreadState::kFailed, "-700", "50", FromIst(2025, 1, 6, 11, 0)), expiry),
            "Failed entry");
  EXPECT_EQ(SpreadExitReason(Event("B", SpreadState::kClosed, "100", "50",
                                   FromIst(2025, 1, 9, 15, 30), "settled at expiry"),
                             expiry),
            "Settled at expiry");
  EXPECT_EQ(SpreadExitReason(
                Event("C", SpreadState::kClosed, "100", "50", FromIst(2025, 1, 9, 15, 15)), expiry),
            "Closed on expiry day");
  EXPECT_EQ(SpreadExitReason(
                Event("D", SpreadState::kClosed, "100", "50", FromIst(2025, 1, 7, 10, 0)), expiry),
            "Closed before expiry");
  EXPECT_EQ(
      SpreadExitReason(Event("E", SpreadState::kClosed, "100", "50", FromIst(2025, 1, 7, 10, 0),
                             "profit target: kept 600 of credit 1200"),
                       expiry),
      "Profit target");
  EXPECT_EQ(SpreadExitReason(Event("F", SpreadState::kOpen, "0", "10", UnixNanos()), expiry),
            "Open at end");
  // The reason the strategy gave when it closed the spread wins over the message.
  SpreadEvent g = Event("G", SpreadState::kClosed, "100", "50", FromIst(2025, 1, 9, 15, 15));
  g.exit_reason = "stop loss: lost 2x the credit";
  EXPECT_EQ(SpreadExitReason(g, expiry), "Stop loss");
}

// Two bull puts (won ₹1,000, lost ₹400, 3 and 0 days to expiry), a bear call closed at exactly
// zero, a failed bear call (−₹700 of which ₹50 charges) and an open one.
std::vector<SpreadEvent> Events() {
  return {Event("S-SP0001", SpreadState::kClosed, "1000", "90", FromIst(2025, 1, 7, 10, 0)),
          Event("S-SP0002", SpreadState::kClosed, "-400", "80", FromIst(2025, 1, 9, 15, 15)),
          Event("S-SP0003", SpreadState::kClosed, "0", "70", FromIst(2025, 1, 8, 10, 0)),
          Event("S-SP0004", SpreadState::kFailed, "-700", "50", FromIst(2025, 1, 8, 11, 0),
                "leg 1 (NIFTY2510923800CE.NFO) unfilled after 6 re-prices; filled legs unwound"),
          Event("S-SP0005", SpreadState::kOpen, "0", "20", UnixNanos())};
}

std::vector<SpreadReportRow> Rows(const std::vector<SpreadEvent>& events) {
  const char* kinds[] = {"Bull put", "Bull put", "Bear call", "Bear call", "Bear call"};
  const int dtes[] = {3, 0, 1, 1, 2};
  std::vector<SpreadReportRow> rows;
  for (std::size_t i = 0; i < events.size(); ++i) {
    SpreadReportRow r;
    r.event = &events[i];
    r.first_seen = FromIst(2025, 1, 6, 9, 55);
    r.kind = kinds[i];
    r.expiry = CivilDate{2025, 1, 9};
    r.dte = dtes[i];
    r.leg_precision = {2, 2};
    rows.push_back(r);
  }
  return rows;
}

TEST(ReportSpreads, SummaryCountsFailedEntriesApart) {
  const std::vector<SpreadEvent> events = Events();
  const SpreadStatistics s = SummariseSpreads(Rows(events));
  EXPECT_EQ(s.attempted, 5u);
  EXPECT_EQ(s.completed, 3u);
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(s.open, 1u);
  EXPECT_EQ(s.completed_pnl, Inr("600"));
  EXPECT_EQ(s.failed_pnl, Inr("-700"));
  EXPECT_EQ(s.failed_charges, Inr("50"));

  ASSERT_EQ(s.by_kind.size(), 2u);  // final spreads only; by label
  EXPECT_EQ(s.by_kind[0].label, "Bear call");
  EXPECT_EQ(s.by_kind[0].spreads, 2u);
  EXPECT_EQ(s.by_kind[0].won, 0u);
  EXPECT_EQ(s.by_kind[0].lost, 1u);
  EXPECT_EQ(s.by_kind[0].even, 1u);  // zero P&L: neither won nor lost
  EXPECT_EQ(s.by_kind[0].pnl, Inr("-700"));
  EXPECT_EQ(s.by_kind[0].charges, Inr("120"));
  EXPECT_EQ(s.by_kind[1].label, "Bull put");
  EXPECT_EQ(s.by_kind[1].won, 1u);
  EXPECT_EQ(s.by_kind[1].lost, 1u);
  EXPECT_EQ(s.by_kind[1].pnl, Inr("600"));

  ASSERT_EQ(s.by_exit_reason.size(), 3u);
  EXPECT_EQ(s.by_exit_reason[0].label, "Closed before expiry");
  EXPECT_EQ(s.by_exit_reason[0].spreads, 2u);
  EXPECT_EQ(s.by_exit_reason[0].pnl, Inr("1000"));
  EXPECT_EQ(s.by_exit_reason[1].label, "Closed on expiry day");
  EXPECT_EQ(s.by_exit_reason[1].pnl, Inr("-400"));
  EXPECT_EQ(s.by_exit_reason[2].label, "Failed entry");
  EXPECT_EQ(s.by_exit_reason[2].pnl, Inr("-700"));

  ASSERT_EQ(s.by_dte.size(), 3u);  // completed spreads, in DTE order
  EXPECT_EQ(s.by_dte[0].label, "0 (expiry day)");
  EXPECT_EQ(s.by_dte[0].pnl, Inr("-400"));
  EXPECT_EQ(s.by_dte[1].label, "1 day");
  EXPECT_EQ(s.by_dte[1].spreads, 1u);  // the failed one is not a completed spread
  EXPECT_EQ(s.by_dte[2].label, "3 days");
  EXPECT_EQ(s.by_dte[2].pnl, Inr("1000"));
  EXPECT_EQ(s.entry_slippage_spreads, 0u);  // no planned net given
}

TEST(ReportSpreads, EntrySlippageIsPlannedPremiumLessPremiumReceivedOfCompletedSpreads) {
  std::vector<SpreadEvent> events = Events();
  events[0].net_premium = Inr("1170");  // planned 1,235 (19.00 x 65): 65 given up
  events[1].net_premium = Inr("1300");  // planned 1,235: 65 better than planned
  events[2].net_premium = Inr("845");   // planned 975 (15.00 x 65): 130 given up
  events[3].net_premium = Inr("0");     // failed: an entry cost of its own, not slippage
  std::vector<SpreadReportRow> rows = Rows(events);
  const char* planned[] = {"1235", "1235", "975", "1235", "1235"};
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i].planned_premium = Inr(planned[i]);
  const SpreadStatistics s = SummariseSpreads(rows);
  EXPECT_EQ(s.entry_slippage_spreads, 3u);
  EXPECT_EQ(s.entry_slippage, Inr("130"));  // 65 - 65 + 130
}

TEST(ReportSpreads, SectionShowsFailuresPlainly) {
  const std::vector<SpreadEvent> events = Events();
  const std::vector<CapitalPoint> capital = {
      {FromIst(2025, 1, 7, 10, 0), "S-SP0001", Inr("400000"), Inr("1000"), Inr("401000")}};
  const SpreadSection s =
      BuildSpreadSection(Rows(events), capital, Inr("400000"), FromIst(2025, 1, 6, 9, 15), 5000);
  const std::string& h = s.html;
  EXPECT_NE(h.find("<h2>Spreads (5 attempted)</h2>"), std::string::npos);
  EXPECT_NE(h.find("<span>Failed entries</span><b>1 (20.0%)</b>"), std::string::npos) << h;
  EXPECT_NE(h.find("<span>Failed-entry cost</span><b class=\"neg\">\u2212₹700.00</b><small>of "
                   "which charges ₹50.00</small>"),
            std::string::npos)
      << h;
  EXPECT_NE(h.find("<span>Completed spreads P&amp;L</span><b class=\"pos\">+₹600.00</b>"),
            std::string::npos);
  // The failed spread: a badge, its short leg unfilled, its hedge's prices at the
  // instrument's precision, when the entry was attempted.
  const auto failed = h.find("S-SP0004");
  ASSERT_NE(failed, std::string::npos);
  const std::string row = h.substr(failed, h.find("</tr>", failed) - failed);
  EXPECT_NE(row.find("<span class=\"badge bad\">FAILED</span>"), std::string::npos) << row;
  EXPECT_NE(row.find("SELL</b> 1\u00d7 NIFTY2510923800CE <span class=\"unfilled\">unfilled</span>"),
            std::string::npos)
      << row;
  EXPECT_NE(row.find("BUY</b> 1\u00d7 NIFTY2510923900CE 32.18 \u2192 23.40"), std::string::npos)
      << row;
  EXPECT_NE(row.find("attempted<br>2025-01-06<br>09:55 IST"), std::string::npos) << row;
  EXPECT_EQ(row.find("@ -"), std::string::npos);
  EXPECT_NE(h.find("id=\"spreads-by-kind\""), std::string::npos);
  EXPECT_NE(h.find("id=\"spreads-by-exit\""), std::string::npos);
  EXPECT_NE(h.find("id=\"spreads-by-dte\""), std::string::npos);
  // Chart data: one row per spread, the capital from the initial capital through each close.
  EXPECT_NE(s.json.find("\"capital\":[[1736154900000,400000.00,null,null],[1736244000000,"
                        "401000.00,\"S-SP0001\",1000.00]]"),
            std::string::npos)
      << s.json;
}

}  // namespace
}  // namespace nacre
