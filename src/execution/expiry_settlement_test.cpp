// Expiry settlement by the kernel with an execution client that is not a simulated venue (a
// stand-in for the broker, which sends no settlement fill): positions close at intrinsic value
// against the underlying's closing print, STT is charged on the exercised long ITM leg only,
// the clock moving past expiry settles at the last price, and data that ends before leaves the
// position open.
#include "execution/expiry_settlement.h"

#include <gtest/gtest.h>

#include "testkit/kernel_harness.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::Inr;
using testkit::MakeInit;
using testkit::Px;
using testkit::Qty;

class SettlementTest : public ::testing::Test {
 protected:
  SettlementTest() : tk_(testkit::QuietKernelConfig(), FromIst(2026, 1, 6, 14, 0)) {
    auto c = std::make_unique<testkit::RecordingExecClient>("KITE", "NFO");
    client_ = c.get();
    k().exec_engine().RegisterClient(std::move(c));
    for (const Instrument& i : {index_, call_, put_}) k().cache().AddInstrument(i);
    testkit::AddMissingAccounts(k(), tk_.now());
    EXPECT_TRUE(k().Start().ok()) << k().halt_reason();
  }
  Kernel& k() { return tk_.kernel(); }
  // A position the "broker" filled: bought or sold one lot.
  void Hold(const Instrument& i, const char* coid, OrderSide side, const char* px) {
    const Order* o = testkit::AddOrder(k(), MakeInit(i, coid, side, 65, px));
    client_->Submitted(*o);
    client_->Accepted(*o);
    client_->Filled(*o, 65, px);
  }
  void IndexPrint(const char* px) {
    k().loop().RunData(tk_.now(), [&] {
      k().data_engine().Process(testkit::MakeTrade(index_.id, px, 1, tk_.now()));
    });
  }
  const Position* Pos(const Instrument& i) {
    return k().cache().position(NettingPositionId(i.id, StrategyId("S-001")));
  }
  const OrderFilled* SettlementOf(const Instrument& i) {
    for (const OrderFilled& f : fills_.Of<OrderFilled>()) {
      if (f.instrument_id == i.id && f.client_order_id.value().find("SETTLE") != std::string::npos)
        fills_found_.push_back(f);
    }
    return fills_found_.empty() ? nullptr : &fills_found_.back();
  }

  testkit::TestKernel tk_;
  testkit::RecordingExecClient* client_ = nullptr;
  const Instrument index_ = testkit::NiftyIndex();
  const Instrument call_ = testkit::NiftyOption(OptionKind::kCall, "24000");
  const Instrument put_ = testkit::NiftyOption(OptionKind::kPut, "24000");
  testkit::BusRecorder<OrderEvent> fills_{k().bus(), "events.order.*"};
  std::vector<OrderFilled> fills_found_;
};

TEST_F(SettlementTest, TheClosingPrintSettlesAtIntrinsicWithSttOnlyOnTheExercisedLong) {
  Hold(call_, "O-1", OrderSide::kBuy, "100");
  Hold(put_, "O-2", OrderSide::kSell, "20");
  tk_.AdvanceTo(FromIst(2026, 1, 6, 15, 29));
  IndexPrint("24100");
  EXPECT_TRUE(Pos(call_)->is_open());  // not expired yet
  tk_.AdvanceTo(FromIst(2026, 1, 6, 15, 30));
  IndexPrint("24120.35");  // the closing print, at the expiration
  ASSERT_TRUE(Pos(call_)->is_closed());
  ASSERT_TRUE(Pos(put_)->is_closed());
  const OrderFilled* c = SettlementOf(call_);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->last_px, Px("120.35"));
  EXPECT_EQ(c->order_side, OrderSide::kSell);
  EXPECT_EQ(c->ts_event, FromIst(2026, 1, 6, 15, 30));
  // STT on exercise: 0.125% of 120.35 × 65 = 7,822.75 → ₹9.78 on its own contract note.
  EXPECT_EQ(c->charges.stt, Inr("9.78"));
  EXPECT_EQ(c->commission, Inr("9.78"));
  fills_found_.clear();
  const OrderFilled* p = SettlementOf(put_);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->last_px, Px("0"));  // the short put expires worthless, free of charges
  EXPECT_EQ(p->commission, Inr("0"));
  // Realized: long call (120.35 − 100) × 65 − 9.78; short put 20 × 65.
  EXPECT_EQ(Pos(call_)->realized_pnl(), Inr("1322.75") - Inr("9.78"));
  EXPECT_EQ(Pos(put_)->realized_pnl(), Inr("1300"));
  EXPECT_EQ(k().settlement().settled_count(), 2u);
  EXPECT_TRUE(client_->submits.empty());  // nothing is ever sent to the broker
}

TEST_F(SettlementTest, WithoutAPrintAtExpiryTheClockMovingPastSettlesAtTheLastPrice) {
  Hold(put_, "O-1", OrderSide::kBuy, "30");
  tk_.AdvanceTo(FromIst(2026, 1, 6, 15, 25));
  IndexPrint("23950");  // the last print before the close
  tk_.AdvanceTo(FromIst(2026, 1, 6, 15, 30));
  EXPECT_TRUE(Pos(put_)->is_open());  // at 15:30 itself the close may still print
  tk_.AdvanceTo(FromIst(2026, 1, 7, 9, 15));  // the next morning
  ASSERT_TRUE(Pos(put_)->is_closed());
  const OrderFilled* p = SettlementOf(put_);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->last_px, Px("50"));
  EXPECT_EQ(p->ts_event, FromIst(2026, 1, 6, 15, 30) + 1);
}

// Prints skip the scan while the open positions are as last scanned and none has expired: a
// position opened after a print (nothing held then) is still settled by the closing print.
TEST_F(SettlementTest, APositionOpenedAfterAPrintIsSettledByTheClosingPrint) {
  tk_.AdvanceTo(FromIst(2026, 1, 6, 15, 0));
  IndexPrint("24050");  // nothing held
  tk_.AdvanceTo(FromIst(2026, 1, 6, 15, 10));
  Hold(call_, "O-1", OrderSide::kBuy, "100");
  IndexPrint("24080");  // held, not expired
  EXPECT_TRUE(Pos(call_)->is_open());
  tk_.AdvanceTo(FromIst(2026, 1, 6, 15, 30));
  IndexPrint("24110");
  ASSERT_TRUE(Pos(call_)->is_closed());
  ASSERT_NE(SettlementOf(call_), nullptr);
  EXPECT_EQ(SettlementOf(call_)->last_px, Px("110"));
}

TEST_F(SettlementTest, DataEndingBeforeTheExpiryLeavesThePositionOpen) {
  Hold(call_, "O-1", OrderSide::kBuy, "100");
  tk_.AdvanceTo(FromIst(2026, 1, 6, 15, 0));
  IndexPrint("24100");
  EXPECT_TRUE(Pos(call_)->is_open());
  EXPECT_EQ(k().settlement().settled_count(), 0u);
}

}  // namespace
}  // namespace nacre
