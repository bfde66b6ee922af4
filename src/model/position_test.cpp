#include "model/position.h"

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

// A future priced per unit with a contract multiplier of 65, so P&L = qty x 65 x move.
const Instrument& Fut65() {
  static const Instrument kInst = [] {
    InstrumentSpec s;
    s.id = MustInstrumentId("NIFTY24JANFUT.NFO");
    s.multiplier = 65;
    s.tick_size = Px("0.05");
    return *MakeFuture(s, MustInstrumentId("NIFTY 50.NSE"), FromIst(2023, 10, 27, 9, 15),
                       FromIst(2024, 1, 25, 15, 30));
  }();
  return kInst;
}

OrderFilled Buy(std::int64_t qty, const char* px, const char* commission = "0", std::int64_t ts = 1,
                const char* coid = "O-1", const char* trade = nullptr) {
  const std::string t = trade ? trade : "T-" + std::to_string(ts);
  return testkit::MakeFill(Fut65(), coid, t.c_str(), OrderSide::kBuy, qty, px, commission, ts);
}

OrderFilled Sell(std::int64_t qty, const char* px, const char* commission = "0",
                 std::int64_t ts = 1, const char* coid = "O-1", const char* trade = nullptr) {
  const std::string t = trade ? trade : "T-" + std::to_string(ts);
  return testkit::MakeFill(Fut65(), coid, t.c_str(), OrderSide::kSell, qty, px, commission, ts);
}

TEST(NettingPositionId, InstrumentDashStrategy) {
  EXPECT_EQ(NettingPositionId(MustInstrumentId("NIFTY2610624000CE.NFO"), StrategyId("SmaCross-001"))
                .value(),
            "NIFTY2610624000CE.NFO-SmaCross-001");
  EXPECT_EQ(NettingPositionId(MustInstrumentId("NIFTY 50.NSE"), StrategyId("S")).value(),
            "NIFTY 50.NSE-S");
}

TEST(Position, OpenLong) {
  const Position p(Fut65(), Buy(3, "100.00", "2.00", 10));
  EXPECT_EQ(p.id().value(), "NIFTY24JANFUT.NFO-S-001");
  EXPECT_EQ(p.instrument_id(), Fut65().id);
  EXPECT_EQ(p.strategy_id().value(), "S-001");
  EXPECT_EQ(p.trader_id().value(), "TRADER-001");
  EXPECT_EQ(p.account_id().value(), "SIM-001");
  EXPECT_EQ(p.side(), PositionSide::kLong);
  EXPECT_EQ(p.signed_qty_raw(), 3 * kFixedScale);
  EXPECT_EQ(p.quantity(), Qty(3));
  EXPECT_EQ(p.peak_qty(), Qty(3));
  EXPECT_EQ(p.multiplier(), 65);
  EXPECT_EQ(p.avg_px_open(), Px("100"));
  EXPECT_FALSE(p.avg_px_close().has_value());
  // The opening commission is a realized loss.
  EXPECT_EQ(p.realized_pnl(), Inr("-2.00"));
  EXPECT_EQ(p.commissions(), Inr("2.00"));
  EXPECT_EQ(p.opening_order_id().value(), "O-1");
  EXPECT_TRUE(p.closing_order_id().empty());
  EXPECT_EQ(p.ts_opened(), UnixNanos(10));
  EXPECT_EQ(p.ts_last(), UnixNanos(10));
  EXPECT_TRUE(p.ts_closed().is_zero());
  EXPECT_TRUE(p.is_open());
  EXPECT_FALSE(p.is_closed());
  EXPECT_EQ(p.ClosingSide(), OrderSide::kSell);
  EXPECT_EQ(p.event_count(), 1u);
  ASSERT_EQ(p.fills().size(), 1u);
  EXPECT_EQ(p.fills()[0].trade_id.value(), "T-10");
}

TEST(Position, OpenShort) {
  const Position p(Fut65(), Sell(2, "50.00"));
  EXPECT_EQ(p.side(), PositionSide::kShort);
  EXPECT_EQ(p.signed_qty_raw(), -2 * kFixedScale);
  EXPECT_EQ(p.quantity(), Qty(2));
  EXPECT_EQ(p.avg_px_open(), Px("50"));
  EXPECT_EQ(p.ClosingSide(), OrderSide::kBuy);
  EXPECT_TRUE(p.realized_pnl().is_zero());
}

TEST(Position, ExplicitPositionIdOnTheFillIsUsed) {
  OrderFilled f = Buy(1, "100.00");
  f.position_id = PositionId("P-CUSTOM");
  EXPECT_EQ(Position(Fut65(), f).id().value(), "P-CUSTOM");
}

TEST(Position, AddingWeightsTheOpenPrice) {
  Position p(Fut65(), Buy(3, "100.00", "0", 1));
  // (3 x 100 + 1 x 104) / 4 = 101
  ASSERT_TRUE(p.Apply(Buy(1, "104.00", "0", 2)).ok());
  EXPECT_EQ(p.avg_px_open(), Px("101"));
  EXPECT_EQ(p.quantity(), Qty(4));
  // (4 x 101 + 2 x 100.05) / 6 = 604.10 / 6 = 100.68333333... (9 decimals kept)
  ASSERT_TRUE(p.Apply(Buy(2, "100.05", "0", 3)).ok());
  EXPECT_EQ(p.avg_px_open().raw(), 100'683'333'333);
  EXPECT_EQ(p.quantity(), Qty(6));
  EXPECT_EQ(p.peak_qty(), Qty(6));
  EXPECT_TRUE(p.realized_pnl().is_zero());  // adding realizes nothing
  EXPECT_FALSE(p.avg_px_close().has_value());
  EXPECT_EQ(p.event_count(), 3u);
}

TEST(Position, AddingToAShort) {
  Position p(Fut65(), Sell(2, "50.00", "0", 1));
  ASSERT_TRUE(p.Apply(Sell(2, "51.00", "0", 2)).ok());
  EXPECT_EQ(p.side(), PositionSide::kShort);
  EXPECT_EQ(p.signed_qty_raw(), -4 * kFixedScale);
  EXPECT_EQ(p.avg_px_open(), Px("50.5"));
}

TEST(Position, PartialThenFullCloseOfALong) {
  Position p(Fut65(), Buy(3, "100.00", "2.00", 10, "O-1"));
  // Sell 2 @ 110: 2 x 65 x (110 - 100) = 1300; realized = -2.00 + 1300 - 1.50 = 1296.50
  ASSERT_TRUE(p.Apply(Sell(2, "110.00", "1.50", 20, "O-2")).ok());
  EXPECT_EQ(p.side(), PositionSide::kLong);
  EXPECT_EQ(p.quantity(), Qty(1));
  EXPECT_EQ(p.avg_px_open(), Px("100"));
  ASSERT_TRUE(p.avg_px_close().has_value());
  EXPECT_EQ(*p.avg_px_close(), Px("110"));
  EXPECT_EQ(p.realized_pnl(), Inr("1296.50"));
  EXPECT_EQ(p.commissions(), Inr("3.50"));
  EXPECT_EQ(p.closing_order_id().value(), "O-2");
  EXPECT_TRUE(p.ts_closed().is_zero());
  // 1 open at 100, mark 110: 1 x 65 x 10 = 650
  EXPECT_EQ(p.Unrealized(Px("110")), Inr("650"));
  EXPECT_EQ(p.TotalPnl(Px("110")), Inr("1946.50"));

  // Sell 1 @ 104: 1 x 65 x 4 = 260; realized = 1296.50 + 260 - 0.50 = 1556.00
  ASSERT_TRUE(p.Apply(Sell(1, "104.00", "0.50", 30, "O-3")).ok());
  EXPECT_EQ(p.side(), PositionSide::kFlat);
  EXPECT_TRUE(p.is_closed());
  EXPECT_EQ(p.signed_qty_raw(), 0);
  EXPECT_TRUE(p.quantity().is_zero());
  EXPECT_EQ(p.peak_qty(), Qty(3));
  EXPECT_EQ(p.realized_pnl(), Inr("1556.00"));
  EXPECT_EQ(p.commissions(), Inr("4.00"));
  // (2 x 110 + 1 x 104) / 3 = 108
  EXPECT_EQ(*p.avg_px_close(), Px("108"));
  EXPECT_EQ(p.ts_closed(), UnixNanos(30));
  EXPECT_EQ(p.ts_last(), UnixNanos(30));
  EXPECT_EQ(p.ts_opened(), UnixNanos(10));
  EXPECT_EQ(p.closing_order_id().value(), "O-3");
  EXPECT_EQ(p.ClosingSide(), OrderSide::kNoSide);
  // Flat: nothing unrealized, no notional.
  EXPECT_TRUE(p.Unrealized(Px("500")).is_zero());
  EXPECT_TRUE(p.Notional(Px("500")).is_zero());
  EXPECT_EQ(p.TotalPnl(Px("500")), Inr("1556.00"));
}

TEST(Position, CloseOfAShortFlipsTheSign) {
  Position p(Fut65(), Sell(4, "200.00", "0", 1));
  // Buy 1 @ 190: short gains 1 x 65 x (200 - 190) = 650
  ASSERT_TRUE(p.Apply(Buy(1, "190.00", "0", 2)).ok());
  EXPECT_EQ(p.realized_pnl(), Inr("650"));
  EXPECT_EQ(p.side(), PositionSide::kShort);
  EXPECT_EQ(p.quantity(), Qty(3));
  // Buy 3 @ 205: short loses 3 x 65 x 5 = 975; realized = 650 - 975 = -325
  ASSERT_TRUE(p.Apply(Buy(3, "205.00", "0", 3)).ok());
  EXPECT_EQ(p.realized_pnl(), Inr("-325"));
  EXPECT_EQ(p.side(), PositionSide::kFlat);
  // (1 x 190 + 3 x 205) / 4 = 805 / 4 = 201.25
  EXPECT_EQ(*p.avg_px_close(), Px("201.25"));
  EXPECT_EQ(p.ts_closed(), UnixNanos(3));
}

TEST(Position, ACycleClosedInPartsRealizesExactlyItsCash) {
  // Opened at two prices (average 37.125) and closed in two parts: each part's P&L has half a
  // paisa (-1,311.375 and -1,847.625); rounding each would realize -3,159.01, one paisa more
  // than the premiums moved: 65 x (16.95 + 8.70 - 39.80 - 34.45) = -3,159.00.
  Position p(Fut65(), Buy(1, "39.80", "1.00", 1));
  ASSERT_TRUE(p.Apply(Buy(1, "34.45", "1.00", 2)).ok());
  ASSERT_TRUE(p.Apply(Sell(1, "16.95", "1.00", 3)).ok());
  EXPECT_EQ(p.realized_pnl(), Inr("-1314.38"));  // -1,311.375 rounded away from zero, - 3.00
  ASSERT_TRUE(p.Apply(Sell(1, "8.70", "1.00", 4)).ok());
  EXPECT_TRUE(p.is_closed());
  EXPECT_EQ(p.realized_pnl(), Inr("-3163.00"));  // -3,159.00 - 4.00 of commissions
}

TEST(Position, UnrealizedAndNotionalForLongAndShort) {
  const Position lng(Fut65(), Buy(3, "100.00"));
  EXPECT_EQ(lng.Unrealized(Px("102.5")), Inr("487.50"));  // 3 x 65 x 2.5
  EXPECT_EQ(lng.Unrealized(Px("98")), Inr("-390.00"));    // 3 x 65 x -2
  EXPECT_TRUE(lng.Unrealized(Px("100")).is_zero());
  EXPECT_EQ(lng.Notional(Px("102.5")), Inr("19987.50"));  // 3 x 65 x 102.5

  const Position sht(Fut65(), Sell(2, "100.00"));
  EXPECT_EQ(sht.Unrealized(Px("102.5")), Inr("-325.00"));  // -2 x 65 x 2.5
  EXPECT_EQ(sht.Unrealized(Px("98")), Inr("260.00"));      // -2 x 65 x -2
  // Notional is the magnitude |qty| x multiplier x mark, for shorts too.
  EXPECT_EQ(sht.Notional(Px("102.5")), Inr("13325.00"));  // 2 x 65 x 102.5
  EXPECT_EQ(sht.TotalPnl(Px("98")), Inr("260.00"));
}

TEST(Position, UnrealizedRoundsHalfAwayFromZeroToPaise) {
  const Instrument fut = testkit::NiftyFuture();  // multiplier 1
  const auto fill = [&](OrderSide side) {
    return testkit::MakeFill(fut, "O-1", "T-1", side, 1, "100.05");
  };
  const Position lng(fut, fill(OrderSide::kBuy));
  const Position sht(fut, fill(OrderSide::kSell));
  EXPECT_EQ(lng.Unrealized(Px("100.055")), Inr("0.01"));   // +0.005
  EXPECT_EQ(sht.Unrealized(Px("100.055")), Inr("-0.01"));  // -0.005
  EXPECT_EQ(lng.Unrealized(Px("100.054")), Inr("0"));      // +0.004
  EXPECT_EQ(sht.Unrealized(Px("100.045")), Inr("0.01"));   // +0.005
}

TEST(Position, WouldFlip) {
  const Position lng(Fut65(), Buy(3, "100.00"));
  EXPECT_FALSE(lng.WouldFlip(OrderSide::kSell, Qty(1)));
  EXPECT_FALSE(lng.WouldFlip(OrderSide::kSell, Qty(3)));  // to flat is not a flip
  EXPECT_TRUE(lng.WouldFlip(OrderSide::kSell, Qty(4)));
  EXPECT_FALSE(lng.WouldFlip(OrderSide::kBuy, Qty(5)));

  const Position sht(Fut65(), Sell(2, "100.00"));
  EXPECT_FALSE(sht.WouldFlip(OrderSide::kBuy, Qty(2)));
  EXPECT_TRUE(sht.WouldFlip(OrderSide::kBuy, Qty(3)));
  EXPECT_FALSE(sht.WouldFlip(OrderSide::kSell, Qty(1)));
}

TEST(Position, ApplyRefusesAFlippingFillAndChangesNothing) {
  Position p(Fut65(), Buy(3, "100.00", "1.00", 1));
  const OrderFilled flip = Sell(5, "110.00", "0.50", 2);
  const Status st = p.Apply(flip);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(Contains(st.error(), "flip")) << st.error();
  EXPECT_TRUE(Contains(st.error(), "split it first")) << st.error();
  EXPECT_TRUE(Contains(st.error(), p.id().value())) << st.error();
  EXPECT_EQ(p.side(), PositionSide::kLong);
  EXPECT_EQ(p.signed_qty_raw(), 3 * kFixedScale);
  EXPECT_EQ(p.realized_pnl(), Inr("-1.00"));
  EXPECT_EQ(p.commissions(), Inr("1.00"));
  EXPECT_EQ(p.avg_px_open(), Px("100"));
  EXPECT_FALSE(p.avg_px_close().has_value());
  EXPECT_EQ(p.event_count(), 1u);
  EXPECT_EQ(p.ts_last(), UnixNanos(1));
}

TEST(Position, ApplyRefusesAnotherInstrument) {
  Position p(Fut65(), Buy(3, "100.00"));
  const OrderFilled other =
      testkit::MakeFill(testkit::NiftyOption(), "O-9", "T-9", OrderSide::kBuy, 65, "120.00");
  const Status st = p.Apply(other);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(Contains(st.error(), "NIFTY2610624000CE.NFO")) << st.error();
  EXPECT_EQ(p.quantity(), Qty(3));
  EXPECT_EQ(p.event_count(), 1u);
}

TEST(Position, ReopensFromFlatAtTheNewPrice) {
  Position p(Fut65(), Buy(1, "100.00", "0", 1, "O-1"));
  ASSERT_TRUE(p.Apply(Sell(1, "101.00", "0", 2, "O-2")).ok());
  ASSERT_EQ(p.side(), PositionSide::kFlat);
  ASSERT_TRUE(p.Apply(Buy(2, "95.00", "0", 3, "O-3")).ok());
  EXPECT_EQ(p.side(), PositionSide::kLong);
  EXPECT_EQ(p.avg_px_open(), Px("95"));  // not blended with the closed 100
  EXPECT_EQ(p.quantity(), Qty(2));
  EXPECT_EQ(p.opening_order_id().value(), "O-3");
  EXPECT_EQ(p.realized_pnl(), Inr("65"));  // 1 x 65 x 1 from the first round trip
  EXPECT_EQ(p.ts_opened(), UnixNanos(1));
}

TEST(Position, AccountIdIsTakenFromALaterFillWhenMissing) {
  OrderFilled open = Buy(1, "100.00", "0", 1);
  open.account_id = AccountId();
  Position p(Fut65(), open);
  EXPECT_TRUE(p.account_id().empty());
  ASSERT_TRUE(p.Apply(Buy(1, "100.00", "0", 2)).ok());
  EXPECT_EQ(p.account_id().value(), "SIM-001");
}

// ---------------------------------------------------------------------------------------------
// SplitFlipFill

OrderFilled FlipFill() {
  OrderFilled f = Sell(3, "110.00", "0.05", 5, "O-7", "T-FLIP");
  f.charges.brokerage = Inr("0.02");
  f.charges.stt = Inr("0.01");
  f.charges.exchange = Inr("0.01");
  f.charges.gst = Inr("0.01");
  return f;
}

void ExpectPartsSumToOriginal(const OrderFilled& orig, const OrderFilled& a, const OrderFilled& b) {
  EXPECT_EQ(a.last_qty + b.last_qty, orig.last_qty);
  EXPECT_EQ(a.commission + b.commission, orig.commission);
  EXPECT_EQ(a.charges.brokerage + b.charges.brokerage, orig.charges.brokerage);
  EXPECT_EQ(a.charges.stt + b.charges.stt, orig.charges.stt);
  EXPECT_EQ(a.charges.exchange + b.charges.exchange, orig.charges.exchange);
  EXPECT_EQ(a.charges.sebi + b.charges.sebi, orig.charges.sebi);
  EXPECT_EQ(a.charges.ipft + b.charges.ipft, orig.charges.ipft);
  EXPECT_EQ(a.charges.stamp + b.charges.stamp, orig.charges.stamp);
  EXPECT_EQ(a.charges.gst + b.charges.gst, orig.charges.gst);
  EXPECT_EQ(a.charges.Total() + b.charges.Total(), orig.charges.Total());
}

TEST(SplitFlipFill, OneToTwoSplitsCommissionProRataAndExactly) {
  const OrderFilled f = FlipFill();
  const auto [close, open] = SplitFlipFill(f, Qty(1));
  EXPECT_EQ(close.last_qty, Qty(1));
  EXPECT_EQ(open.last_qty, Qty(2));
  EXPECT_EQ(close.last_qty.precision(), f.last_qty.precision());
  // Itemised fill: each part's commission is the sum of its own split charge lines
  // (close: brokerage 0.01 only; open: the other 0.04), so commission == charges.Total().
  EXPECT_EQ(close.commission, close.charges.Total());
  EXPECT_EQ(open.commission, open.charges.Total());
  EXPECT_EQ(close.commission, Inr("0.01"));
  EXPECT_EQ(open.commission, Inr("0.04"));
  // 0.02 x 1/3 = 0.0067 -> 0.01; 0.01 x 1/3 = 0.0033 -> 0.00
  EXPECT_EQ(close.charges.brokerage, Inr("0.01"));
  EXPECT_EQ(close.charges.stt, Inr("0"));
  EXPECT_EQ(open.charges.stt, Inr("0.01"));
  ExpectPartsSumToOriginal(f, close, open);
  // Everything else is the original fill's.
  for (const OrderFilled* part : {&close, &open}) {
    EXPECT_EQ(part->last_px, f.last_px);
    EXPECT_EQ(part->trade_id, f.trade_id);
    EXPECT_EQ(part->order_side, OrderSide::kSell);
    EXPECT_EQ(part->client_order_id, f.client_order_id);
    EXPECT_EQ(part->ts_event, f.ts_event);
  }
}

TEST(SplitFlipFill, TwoToOne) {
  const OrderFilled f = FlipFill();
  const auto [close, open] = SplitFlipFill(f, Qty(2));
  EXPECT_EQ(close.last_qty, Qty(2));
  EXPECT_EQ(open.last_qty, Qty(1));
  EXPECT_EQ(close.commission, close.charges.Total());
  EXPECT_EQ(open.commission, open.charges.Total());
  EXPECT_EQ(close.commission + open.commission, f.commission);
  ExpectPartsSumToOriginal(f, close, open);
}

TEST(SplitFlipFill, PartsCloseThenOpenTheOppositePosition) {
  Position lng(Fut65(), Buy(1, "100.00", "0", 1));
  const OrderFilled f = FlipFill();  // sell 3 @ 110
  ASSERT_TRUE(lng.WouldFlip(f.order_side, f.last_qty));
  const auto [close, open] = SplitFlipFill(f, lng.quantity());
  ASSERT_TRUE(lng.Apply(close).ok());
  EXPECT_EQ(lng.side(), PositionSide::kFlat);
  // 1 x 65 x (110 - 100) = 650, minus the closing part's own charges (brokerage 0.01)
  EXPECT_EQ(lng.realized_pnl(), Inr("649.99"));
  const Position sht(Fut65(), open);
  EXPECT_EQ(sht.side(), PositionSide::kShort);
  EXPECT_EQ(sht.quantity(), Qty(2));
  EXPECT_EQ(sht.avg_px_open(), Px("110"));
  EXPECT_EQ(sht.commissions(), Inr("0.04"));
  EXPECT_EQ(lng.commissions() + sht.commissions(), f.commission);
}

}  // namespace
}  // namespace nacre
