#include "model/order.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::Inr;
using testkit::MakeEvent;
using testkit::Px;
using testkit::Qty;
using S = OrderStatus;
using E = OrderEventKind;

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

const Instrument& Inst() {
  static const Instrument kInst = testkit::NiftyFuture();
  return kInst;
}

constexpr std::int64_t kOrderQty = 10;
constexpr const char* kCoid = "O-1";

// Builds events for one order with increasing timestamps and unique trade ids.
class Events {
 public:
  explicit Events(const char* client_order_id = kCoid) : coid_(client_order_id) {}

  // An event of `kind`; fills are `fill_qty` @ `px`, updates keep the order's quantity.
  OrderEvent Of(E kind, const Order& order, std::int64_t fill_qty = 1, const char* px = "100.00",
                const char* commission = "0") {
    const std::int64_t ts = ++ts_;
    switch (kind) {
      case E::kInitialized:
        return testkit::MakeInit(Inst(), coid_, OrderSide::kBuy, kOrderQty, "100.00");
      case E::kDenied:
        return MakeEvent<OrderDenied>(Inst(), coid_, ts);
      case E::kSubmitted:
        return MakeEvent<OrderSubmitted>(Inst(), coid_, ts);
      case E::kAccepted:
        return MakeEvent<OrderAccepted>(Inst(), coid_, ts);
      case E::kRejected:
        return MakeEvent<OrderRejected>(Inst(), coid_, ts);
      case E::kCanceled:
        return MakeEvent<OrderCanceled>(Inst(), coid_, ts);
      case E::kExpired:
        return MakeEvent<OrderExpired>(Inst(), coid_, ts);
      case E::kTriggered:
        return MakeEvent<OrderTriggered>(Inst(), coid_, ts);
      case E::kPendingUpdate:
        return MakeEvent<OrderPendingUpdate>(Inst(), coid_, ts);
      case E::kPendingCancel:
        return MakeEvent<OrderPendingCancel>(Inst(), coid_, ts);
      case E::kModifyRejected:
        return MakeEvent<OrderModifyRejected>(Inst(), coid_, ts);
      case E::kCancelRejected:
        return MakeEvent<OrderCancelRejected>(Inst(), coid_, ts);
      case E::kUpdated: {
        auto u = MakeEvent<OrderUpdated>(Inst(), coid_, ts);
        u.quantity = order.quantity();
        u.price = Px("101.00");
        return u;
      }
      case E::kFilled: {
        const std::string trade_id = "T-" + std::to_string(ts);
        return testkit::MakeFill(Inst(), coid_, trade_id.c_str(), order.side(), fill_qty, px,
                                 commission, ts);
      }
    }
    return OrderInitialized{};
  }

  OrderFilled Fill(const Order& order, std::int64_t qty, const char* px = "100.00",
                   const char* commission = "0") {
    return std::get<OrderFilled>(Of(E::kFilled, order, qty, px, commission));
  }

 private:
  const char* coid_;
  std::int64_t ts_ = 0;
};

Order NewOrder(OrderSide side = OrderSide::kBuy, std::int64_t qty = kOrderQty) {
  OrderInitialized init = testkit::MakeInit(Inst(), kCoid, side, qty, "100.00");
  init.ts_init = UnixNanos(0);
  return Order(init);
}

struct Step {
  E kind;
  std::int64_t fill_qty = 0;
};

// A legal event path from INITIALIZED to each status (pending states entered from ACCEPTED).
std::vector<Step> PathTo(S s) {
  switch (s) {
    case S::kInitialized:
      return {};
    case S::kDenied:
      return {{E::kDenied}};
    case S::kSubmitted:
      return {{E::kSubmitted}};
    case S::kAccepted:
      return {{E::kSubmitted}, {E::kAccepted}};
    case S::kRejected:
      return {{E::kSubmitted}, {E::kRejected}};
    case S::kCanceled:
      return {{E::kSubmitted}, {E::kAccepted}, {E::kCanceled}};
    case S::kExpired:
      return {{E::kSubmitted}, {E::kAccepted}, {E::kExpired}};
    case S::kTriggered:
      return {{E::kSubmitted}, {E::kAccepted}, {E::kTriggered}};
    case S::kPendingUpdate:
      return {{E::kSubmitted}, {E::kAccepted}, {E::kPendingUpdate}};
    case S::kPendingCancel:
      return {{E::kSubmitted}, {E::kAccepted}, {E::kPendingCancel}};
    case S::kPartiallyFilled:
      return {{E::kSubmitted}, {E::kAccepted}, {E::kFilled, 4}};
    case S::kFilled:
      return {{E::kSubmitted}, {E::kAccepted}, {E::kFilled, kOrderQty}};
  }
  return {};
}

// The state the pending states in PathTo were entered from.
constexpr S kPrePending = S::kAccepted;

void Drive(Order& order, Events& ev, const std::vector<Step>& path) {
  for (const Step& step : path) {
    const Status st = order.Apply(ev.Of(step.kind, order, step.fill_qty));
    ASSERT_TRUE(st.ok()) << EventName(step.kind) << ": " << st.error();
  }
}

// ---------------------------------------------------------------------------------------------
// The transition table, written from TRADING_SEMANTICS.md ("Order state machine") plus the
// implementation's documented extensions: OrderUpdated is accepted in ACCEPTED, TRIGGERED and
// PARTIALLY_FILLED (state unchanged) and restores the pre-pending state from PENDING_UPDATE.

struct Expect {
  enum Kind : std::uint8_t { kRefused, kTo, kFill, kRestore };
  Kind kind;
  S to;
};
constexpr Expect kNo{Expect::kRefused, S::kInitialized};
// A fill: FILLED when it completes the order, else PARTIALLY_FILLED.
constexpr Expect kFill{Expect::kFill, S::kInitialized};
// Back to the state the order was in before the pending state.
constexpr Expect kBack{Expect::kRestore, S::kInitialized};
constexpr Expect To(S s) { return {Expect::kTo, s}; }
constexpr Expect kDen = To(S::kDenied);
constexpr Expect kSub = To(S::kSubmitted);
constexpr Expect kAcc = To(S::kAccepted);
constexpr Expect kRej = To(S::kRejected);
constexpr Expect kCan = To(S::kCanceled);
constexpr Expect kExp = To(S::kExpired);
constexpr Expect kTrg = To(S::kTriggered);
constexpr Expect kPdU = To(S::kPendingUpdate);
constexpr Expect kPdC = To(S::kPendingCancel);
constexpr Expect kPaF = To(S::kPartiallyFilled);
// A fill on a FILLED order is an overfill: recorded, the order stays FILLED.
constexpr Expect kOvr = To(S::kFilled);

// Rows: the from-status. Columns, in OrderEventKind order:
//       Initialized Denied Submitted Accepted Rejected Canceled Expired
//       Triggered PendingUpdate PendingCancel ModifyRejected CancelRejected Updated Filled
// clang-format off
constexpr Expect kTable[kOrderStatusCount][kOrderEventKindCount] = {
    /* INITIALIZED      */ {kNo,   kDen,  kSub,  kAcc,  kRej,  kCan,  kExp,
                            kTrg,  kNo,   kNo,   kNo,   kNo,   kNo,   kNo},
    /* DENIED           */ {kNo,   kNo,   kNo,   kNo,   kNo,   kNo,   kNo,
                            kNo,   kNo,   kNo,   kNo,   kNo,   kNo,   kNo},
    /* SUBMITTED        */ {kNo,   kNo,   kNo,   kAcc,  kRej,  kCan,  kExp,
                            kNo,   kPdU,  kPdC,  kNo,   kNo,   kNo,   kFill},
    /* ACCEPTED         */ {kNo,   kNo,   kNo,   kNo,   kRej,  kCan,  kExp,
                            kTrg,  kPdU,  kPdC,  kNo,   kNo,   kAcc,  kFill},
    /* REJECTED         */ {kNo,   kNo,   kNo,   kNo,   kNo,   kNo,   kNo,
                            kNo,   kNo,   kNo,   kNo,   kNo,   kNo,   kNo},
    /* CANCELED         */ {kNo,   kNo,   kNo,   kNo,   kNo,   kNo,   kNo,
                            kNo,   kNo,   kNo,   kNo,   kNo,   kNo,   kFill},
    /* EXPIRED          */ {kNo,   kNo,   kNo,   kNo,   kNo,   kNo,   kNo,
                            kNo,   kNo,   kNo,   kNo,   kNo,   kNo,   kNo},
    /* TRIGGERED        */ {kNo,   kNo,   kNo,   kNo,   kRej,  kCan,  kExp,
                            kNo,   kPdU,  kPdC,  kNo,   kNo,   kTrg,  kFill},
    /* PENDING_UPDATE   */ {kNo,   kNo,   kNo,   kAcc,  kRej,  kCan,  kExp,
                            kTrg,  kPdU,  kPdC,  kBack, kNo,   kBack, kFill},
    /* PENDING_CANCEL   */ {kNo,   kNo,   kNo,   kAcc,  kRej,  kCan,  kExp,
                            kPdC,  kNo,   kPdC,  kPdC,  kBack, kPdC,  kFill},
    /* PARTIALLY_FILLED */ {kNo,   kNo,   kNo,   kAcc,  kNo,   kCan,  kExp,
                            kNo,   kPdU,  kPdC,  kNo,   kNo,   kPaF,  kFill},
    /* FILLED           */ {kNo,   kNo,   kNo,   kNo,   kNo,   kNo,   kNo,
                            kNo,   kNo,   kNo,   kNo,   kNo,   kNo,   kOvr},
};
// clang-format on

// Everything a refused event must leave untouched.
struct Snapshot {
  S status;
  Quantity filled_qty;
  Quantity quantity;
  std::size_t event_count;
  std::optional<Price> avg_px;
  std::optional<Price> price;
  VenueOrderId venue_order_id;
  AccountId account_id;
  std::size_t trade_count;
  Money commission;
  bool triggered;
  UnixNanos ts_last;

  static Snapshot Of(const Order& o) {
    return {o.status(),           o.filled_qty(), o.quantity(),       o.event_count(),
            o.avg_px(),           o.price(),      o.venue_order_id(), o.account_id(),
            o.trade_ids().size(), o.commission(), o.is_triggered(),   o.ts_last()};
  }
};

void ExpectUnchanged(const Order& o, const Snapshot& before) {
  EXPECT_EQ(o.status(), before.status);
  EXPECT_EQ(o.filled_qty(), before.filled_qty);
  EXPECT_EQ(o.quantity(), before.quantity);
  EXPECT_EQ(o.event_count(), before.event_count);
  EXPECT_EQ(o.avg_px(), before.avg_px);
  EXPECT_EQ(o.price(), before.price);
  EXPECT_EQ(o.venue_order_id(), before.venue_order_id);
  EXPECT_EQ(o.account_id(), before.account_id);
  EXPECT_EQ(o.trade_ids().size(), before.trade_count);
  EXPECT_EQ(o.commission(), before.commission);
  EXPECT_EQ(o.is_triggered(), before.triggered);
  EXPECT_EQ(o.ts_last(), before.ts_last);
}

// Gives a probe event identities the order has not seen, so a refused event that leaked any
// field into the order would show up.
void MarkAsProbe(OrderEvent& event) {
  std::visit(
      [](auto& e) {
        if constexpr (requires { e.venue_order_id; }) e.venue_order_id = VenueOrderId("V-PROBE");
        if constexpr (requires { e.account_id; }) e.account_id = AccountId("PROBE-001");
      },
      event);
}

void RunCell(S from, E kind, const Expect& expect, bool completing_fill) {
  Events ev;
  Order order = NewOrder();
  Drive(order, ev, PathTo(from));
  ASSERT_EQ(order.status(), from) << "path did not reach the from-state";
  const Snapshot before = Snapshot::Of(order);
  const std::int64_t leaves_units = order.leaves_qty().raw() / kFixedScale;
  const std::int64_t fill_qty = completing_fill && leaves_units > 0 ? leaves_units : 1;
  OrderEvent event = ev.Of(kind, order, fill_qty);
  MarkAsProbe(event);

  const Status st = order.Apply(event);
  if (expect.kind == Expect::kRefused) {
    ASSERT_FALSE(st.ok()) << "accepted; now " << ToString(order.status());
    ExpectUnchanged(order, before);
    if (kind != E::kInitialized) {
      EXPECT_TRUE(Contains(st.error(), EventName(kind))) << st.error();
      EXPECT_TRUE(Contains(st.error(), ToString(from))) << st.error();
      EXPECT_TRUE(Contains(st.error(), kCoid)) << st.error();
    }
    return;
  }
  ASSERT_TRUE(st.ok()) << st.error();
  S want = expect.to;
  if (expect.kind == Expect::kFill) {
    want = completing_fill ? S::kFilled : S::kPartiallyFilled;
  } else if (expect.kind == Expect::kRestore) {
    want = kPrePending;
  }
  EXPECT_EQ(order.status(), want) << "got " << ToString(order.status()) << ", want "
                                  << ToString(want);
  EXPECT_EQ(order.event_count(), before.event_count + 1);
  EXPECT_EQ(order.ts_last(), HeaderOf(event).ts_event);
  if (kind == E::kFilled) {
    EXPECT_EQ(order.filled_qty(), before.filled_qty + Qty(fill_qty));
  } else {
    EXPECT_EQ(order.filled_qty(), before.filled_qty);
  }
}

TEST(OrderStateMachine, EveryStatusTimesEveryEvent) {
  int allowed = 0;
  for (int s = 0; s < kOrderStatusCount; ++s) {
    for (int k = 0; k < kOrderEventKindCount; ++k) {
      const auto from = static_cast<S>(s);
      const auto kind = static_cast<E>(k);
      const Expect& expect = kTable[s][k];
      SCOPED_TRACE(std::string(EventName(kind)) + " in " + std::string(ToString(from)));
      if (expect.kind != Expect::kRefused) ++allowed;
      if (expect.kind == Expect::kFill) {
        {
          SCOPED_TRACE("partial fill");
          RunCell(from, kind, expect, /*completing_fill=*/false);
        }
        {
          SCOPED_TRACE("completing fill");
          RunCell(from, kind, expect, /*completing_fill=*/true);
        }
      } else {
        RunCell(from, kind, expect, /*completing_fill=*/false);
      }
    }
  }
  EXPECT_EQ(allowed, 7 + 7 + 8 + 1 + 7 + 10 + 10 + 7 + 1);  // row by row, as in the table
}

TEST(OrderStateMachine, TerminalStatesAreExactlyTheDocumentedOnes) {
  for (int s = 0; s < kOrderStatusCount; ++s) {
    const auto st = static_cast<S>(s);
    const bool documented = st == S::kDenied || st == S::kRejected || st == S::kCanceled ||
                            st == S::kExpired || st == S::kFilled;
    EXPECT_EQ(IsTerminal(st), documented) << ToString(st);
  }
}

// ModifyRejected / Updated from PENDING_UPDATE and CancelRejected from PENDING_CANCEL go back
// to whichever state the order was in before the pending state.
TEST(OrderStateMachine, RejectedOrCompletedRequestsRestoreThePrePendingState) {
  struct PrePending {
    S state;
    std::vector<Step> path;
  };
  const PrePending pres[] = {
      {S::kAccepted, {{E::kSubmitted}, {E::kAccepted}}},
      {S::kTriggered, {{E::kSubmitted}, {E::kAccepted}, {E::kTriggered}}},
      {S::kPartiallyFilled, {{E::kSubmitted}, {E::kAccepted}, {E::kFilled, 4}}},
  };
  const std::pair<E, E> requests[] = {{E::kPendingUpdate, E::kModifyRejected},
                                      {E::kPendingUpdate, E::kUpdated},
                                      {E::kPendingCancel, E::kCancelRejected}};
  for (const PrePending& pre : pres) {
    for (const auto& [pending, resolution] : requests) {
      SCOPED_TRACE(std::string(ToString(pre.state)) + " -> " + std::string(EventName(pending)) +
                   " -> " + std::string(EventName(resolution)));
      Events ev;
      Order order = NewOrder();
      Drive(order, ev, pre.path);
      ASSERT_EQ(order.status(), pre.state);
      ASSERT_TRUE(order.Apply(ev.Of(pending, order)).ok());
      ASSERT_NE(order.status(), pre.state);
      const Status st = order.Apply(ev.Of(resolution, order));
      ASSERT_TRUE(st.ok()) << st.error();
      EXPECT_EQ(order.status(), pre.state);
    }
  }
}

TEST(OrderStateMachine, RepeatedPendingUpdateStillRestoresTheOriginalState) {
  Events ev;
  Order order = NewOrder();
  Drive(order, ev, {{E::kSubmitted}, {E::kAccepted}, {E::kTriggered}, {E::kPendingUpdate}});
  ASSERT_TRUE(order.Apply(ev.Of(E::kPendingUpdate, order)).ok());
  EXPECT_EQ(order.status(), S::kPendingUpdate);
  ASSERT_TRUE(order.Apply(ev.Of(E::kModifyRejected, order)).ok());
  EXPECT_EQ(order.status(), S::kTriggered);
}

TEST(OrderStateMachine, PendingStateEnteredFromSubmittedRestoresSubmitted) {
  Events ev;
  Order order = NewOrder();
  Drive(order, ev, {{E::kSubmitted}, {E::kPendingCancel}});
  ASSERT_TRUE(order.Apply(ev.Of(E::kCancelRejected, order)).ok());
  EXPECT_EQ(order.status(), S::kSubmitted);
}

// A modify, then a cancel before the modify is answered: the modify's answer (Updated or
// ModifyRejected) and a trigger arrive while the cancel travels. The fields apply, the order
// stays PENDING_CANCEL, and a refused cancel restores the state before both requests (or
// TRIGGERED when it triggered meanwhile).
TEST(OrderStateMachine, ModifyAnsweredWhileACancelTravelsKeepsPendingCancel) {
  Events ev;
  Order order = NewOrder();
  Drive(order, ev, {{E::kSubmitted}, {E::kAccepted}, {E::kPendingUpdate}, {E::kPendingCancel}});
  ASSERT_EQ(order.status(), S::kPendingCancel);
  OrderUpdated up = std::get<OrderUpdated>(ev.Of(E::kUpdated, order));
  up.quantity = Qty(20);
  ASSERT_TRUE(order.Apply(up).ok());
  EXPECT_EQ(order.status(), S::kPendingCancel);
  EXPECT_EQ(order.quantity(), Qty(20));
  ASSERT_TRUE(order.Apply(ev.Of(E::kCancelRejected, order)).ok());
  EXPECT_EQ(order.status(), S::kAccepted);

  Order stop = NewOrder();
  Drive(stop, ev, {{E::kSubmitted}, {E::kAccepted}, {E::kPendingCancel}, {E::kTriggered}});
  EXPECT_EQ(stop.status(), S::kPendingCancel);
  ASSERT_TRUE(stop.Apply(ev.Of(E::kCancelRejected, stop)).ok());
  EXPECT_EQ(stop.status(), S::kTriggered);
}

// ---------------------------------------------------------------------------------------------
// Fills

TEST(OrderFills, PartialFillsThenFullFill) {
  Events ev;
  Order order = NewOrder();
  Drive(order, ev, {{E::kSubmitted}, {E::kAccepted}});
  ASSERT_TRUE(order.Apply(ev.Fill(order, 3, "100.00")).ok());
  EXPECT_EQ(order.status(), S::kPartiallyFilled);
  EXPECT_EQ(order.filled_qty(), Qty(3));
  EXPECT_EQ(order.leaves_qty(), Qty(7));
  EXPECT_TRUE(order.is_open());
  ASSERT_TRUE(order.Apply(ev.Fill(order, 5, "100.00")).ok());
  EXPECT_EQ(order.status(), S::kPartiallyFilled);
  EXPECT_EQ(order.leaves_qty(), Qty(2));
  ASSERT_TRUE(order.Apply(ev.Fill(order, 2, "100.00")).ok());
  EXPECT_EQ(order.status(), S::kFilled);
  EXPECT_EQ(order.filled_qty(), Qty(10));
  EXPECT_TRUE(order.leaves_qty().is_zero());
  EXPECT_TRUE(order.overfill_qty().is_zero());
  EXPECT_EQ(order.trade_ids().size(), 3u);
  EXPECT_TRUE(order.is_closed());
  EXPECT_FALSE(order.is_open());
  EXPECT_EQ(order.event_count(), 1u + 2u + 3u);
}

TEST(OrderFills, AvgPxIsQuantityWeighted) {
  Events ev;
  Order order = NewOrder();
  Drive(order, ev, {{E::kSubmitted}, {E::kAccepted}});
  EXPECT_FALSE(order.avg_px().has_value());
  // 3 @ 100 then 7 @ 101: (300 + 707) / 10 = 100.7
  ASSERT_TRUE(order.Apply(ev.Fill(order, 3, "100.00")).ok());
  ASSERT_TRUE(order.avg_px().has_value());
  EXPECT_EQ(*order.avg_px(), Px("100"));
  ASSERT_TRUE(order.Apply(ev.Fill(order, 7, "101.00")).ok());
  EXPECT_EQ(*order.avg_px(), Px("100.7"));
  EXPECT_EQ(order.avg_px()->precision(), 9);
}

TEST(OrderFills, AvgPxKeepsNineDecimals) {
  Events ev;
  Order order = NewOrder(OrderSide::kSell, 3);
  Drive(order, ev, {{E::kSubmitted}, {E::kAccepted}});
  // 1 @ 100 then 2 @ 100.05: 300.10 / 3 = 100.0333333333... -> 100.033333333
  ASSERT_TRUE(order.Apply(ev.Fill(order, 1, "100.00")).ok());
  ASSERT_TRUE(order.Apply(ev.Fill(order, 2, "100.05")).ok());
  EXPECT_EQ(order.avg_px()->raw(), 100'033'333'333);
  EXPECT_EQ(order.status(), S::kFilled);
}

TEST(OrderFills, OverfillIsRecordedNotDropped) {
  Events ev;
  Order order = NewOrder();
  Drive(order, ev, {{E::kSubmitted}, {E::kAccepted}});
  ASSERT_TRUE(order.Apply(ev.Fill(order, 4)).ok());
  ASSERT_TRUE(order.Apply(ev.Fill(order, 8)).ok());  // 12 of 10
  EXPECT_EQ(order.status(), S::kFilled);
  EXPECT_EQ(order.filled_qty(), Qty(12));
  EXPECT_EQ(order.overfill_qty(), Qty(2));
  EXPECT_TRUE(order.leaves_qty().is_zero());
  // A fill arriving after FILLED is a further overfill: recorded, not dropped.
  ASSERT_TRUE(order.Apply(ev.Fill(order, 1)).ok());
  EXPECT_EQ(order.status(), S::kFilled);
  EXPECT_EQ(order.filled_qty(), Qty(13));
  EXPECT_EQ(order.overfill_qty(), Qty(3));
}

TEST(OrderFills, DuplicateTradeIdIsRefused) {
  Events ev;
  Order order = NewOrder();
  Drive(order, ev, {{E::kSubmitted}, {E::kAccepted}});
  const OrderFilled fill = ev.Fill(order, 3, "100.00", "1.00");
  ASSERT_TRUE(order.Apply(fill).ok());
  const Snapshot before = Snapshot::Of(order);
  OrderFilled again = fill;
  again.ts_event = UnixNanos(999);
  const Status st = order.Apply(again);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(Contains(st.error(), "duplicate")) << st.error();
  EXPECT_TRUE(Contains(st.error(), fill.trade_id.value())) << st.error();
  ExpectUnchanged(order, before);
  EXPECT_EQ(order.commission(), Inr("1.00"));
}

TEST(OrderFills, ZeroQuantityFillIsRefused) {
  Events ev;
  Order order = NewOrder();
  Drive(order, ev, {{E::kSubmitted}, {E::kAccepted}});
  const Snapshot before = Snapshot::Of(order);
  const Status st = order.Apply(ev.Fill(order, 0));
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(Contains(st.error(), "zero quantity")) << st.error();
  ExpectUnchanged(order, before);
}

TEST(OrderFills, FillRacingACancelIsApplied) {
  for (const std::int64_t qty : {std::int64_t{3}, kOrderQty}) {
    Events ev;
    Order order = NewOrder();
    Drive(order, ev, {{E::kSubmitted}, {E::kAccepted}, {E::kCanceled}});
    ASSERT_EQ(order.status(), S::kCanceled);
    const Status st = order.Apply(ev.Fill(order, qty, "99.50"));
    ASSERT_TRUE(st.ok()) << st.error();
    EXPECT_EQ(order.status(), qty == kOrderQty ? S::kFilled : S::kPartiallyFilled);
    EXPECT_EQ(order.filled_qty(), Qty(qty));
    EXPECT_EQ(*order.avg_px(), Px("99.50"));
  }
}

TEST(OrderFills, CommissionAccumulates) {
  Events ev;
  Order order = NewOrder();
  Drive(order, ev, {{E::kSubmitted}, {E::kAccepted}});
  EXPECT_TRUE(order.commission().is_zero());
  ASSERT_TRUE(order.Apply(ev.Fill(order, 4, "100.00", "1.25")).ok());
  ASSERT_TRUE(order.Apply(ev.Fill(order, 6, "100.00", "2.50")).ok());
  EXPECT_EQ(order.commission(), Inr("3.75"));
}

TEST(OrderFills, PositionIdIsTakenFromTheFill) {
  Events ev;
  Order order = NewOrder();
  Drive(order, ev, {{E::kSubmitted}, {E::kAccepted}});
  OrderFilled fill = ev.Fill(order, 4);
  fill.position_id = PositionId("NIFTY24JANFUT.NFO-S-001");
  ASSERT_TRUE(order.Apply(fill).ok());
  EXPECT_EQ(order.position_id().value(), "NIFTY24JANFUT.NFO-S-001");
  // A later fill without a position id keeps it.
  ASSERT_TRUE(order.Apply(ev.Fill(order, 1)).ok());
  EXPECT_EQ(order.position_id().value(), "NIFTY24JANFUT.NFO-S-001");
}

TEST(OrderFills, FillCompletionUsesTheUpdatedQuantity) {
  Events ev;
  Order order = NewOrder();
  Drive(order, ev, {{E::kSubmitted}, {E::kAccepted}, {E::kFilled, 4}});
  auto update = MakeEvent<OrderUpdated>(Inst(), kCoid, 50);
  update.quantity = Qty(6);
  ASSERT_TRUE(order.Apply(update).ok());
  EXPECT_EQ(order.status(), S::kPartiallyFilled);
  EXPECT_EQ(order.leaves_qty(), Qty(2));
  ASSERT_TRUE(order.Apply(ev.Fill(order, 2)).ok());
  EXPECT_EQ(order.status(), S::kFilled);
  EXPECT_EQ(order.filled_qty(), Qty(6));
}

// ---------------------------------------------------------------------------------------------
// Identity and captured fields

TEST(Order, InitialState) {
  OrderInitialized init =
      testkit::MakeInit(Inst(), kCoid, OrderSide::kSell, 130, "24000.05", TimeInForce::kIoc);
  init.ts_init = UnixNanos(77);
  init.reduce_only = true;
  const Order order(init);
  EXPECT_EQ(order.status(), S::kInitialized);
  EXPECT_EQ(order.event_count(), 1u);
  EXPECT_EQ(order.client_order_id().value(), kCoid);
  EXPECT_EQ(order.trader_id().value(), "TRADER-001");
  EXPECT_EQ(order.strategy_id().value(), "S-001");
  EXPECT_EQ(order.instrument_id(), Inst().id);
  EXPECT_EQ(order.side(), OrderSide::kSell);
  EXPECT_EQ(order.order_type(), OrderType::kLimit);
  EXPECT_EQ(order.time_in_force(), TimeInForce::kIoc);
  EXPECT_TRUE(order.reduce_only());
  EXPECT_EQ(order.quantity(), Qty(130));
  EXPECT_EQ(order.price(), Px("24000.05"));
  EXPECT_TRUE(order.filled_qty().is_zero());
  EXPECT_EQ(order.leaves_qty(), Qty(130));
  EXPECT_TRUE(order.venue_order_id().empty());
  EXPECT_TRUE(order.account_id().empty());
  EXPECT_EQ(order.ts_init(), UnixNanos(77));
  EXPECT_EQ(order.ts_last(), UnixNanos(77));
  EXPECT_FALSE(order.is_open());
  EXPECT_FALSE(order.is_closed());
  EXPECT_FALSE(order.is_inflight());
  EXPECT_FALSE(order.is_buy());
  EXPECT_EQ(order.SignedRaw(Qty(5)), -5 * kFixedScale);
  EXPECT_EQ(NewOrder(OrderSide::kBuy).SignedRaw(Qty(5)), 5 * kFixedScale);
  EXPECT_TRUE(order.order_list_id().empty());
}

TEST(Order, VenueOrderIdAndAccountIdAreCaptured) {
  Events ev;
  Order order = NewOrder();
  ASSERT_TRUE(order.Apply(MakeEvent<OrderSubmitted>(Inst(), kCoid, 1)).ok());
  EXPECT_EQ(order.account_id().value(), "SIM-001");
  EXPECT_TRUE(order.venue_order_id().empty());
  EXPECT_TRUE(order.is_inflight());
  auto accepted = MakeEvent<OrderAccepted>(Inst(), kCoid, 2);
  accepted.venue_order_id = VenueOrderId("1300000012345678");
  ASSERT_TRUE(order.Apply(accepted).ok());
  EXPECT_EQ(order.venue_order_id().value(), "1300000012345678");
  EXPECT_FALSE(order.is_inflight());
  EXPECT_TRUE(order.is_open());
  // An event without ids does not clear the captured ones.
  auto pending = MakeEvent<OrderPendingCancel>(Inst(), kCoid, 3);
  pending.venue_order_id = VenueOrderId();
  pending.account_id = AccountId();
  ASSERT_TRUE(order.Apply(pending).ok());
  EXPECT_EQ(order.venue_order_id().value(), "1300000012345678");
  EXPECT_EQ(order.account_id().value(), "SIM-001");
  EXPECT_TRUE(order.is_inflight());
}

TEST(Order, UpdatedChangesQuantityAndPrices) {
  Events ev;
  Order order = NewOrder();
  Drive(order, ev, {{E::kSubmitted}, {E::kAccepted}});
  auto update = MakeEvent<OrderUpdated>(Inst(), kCoid, 10);
  update.quantity = Qty(20);
  update.price = Px("99.50");
  update.trigger_price = Px("98.00");
  ASSERT_TRUE(order.Apply(update).ok());
  EXPECT_EQ(order.status(), S::kAccepted);
  EXPECT_EQ(order.quantity(), Qty(20));
  EXPECT_EQ(order.price(), Px("99.50"));
  EXPECT_EQ(order.trigger_price(), Px("98.00"));
  // An update without prices keeps them.
  auto qty_only = MakeEvent<OrderUpdated>(Inst(), kCoid, 11);
  qty_only.quantity = Qty(15);
  ASSERT_TRUE(order.Apply(qty_only).ok());
  EXPECT_EQ(order.quantity(), Qty(15));
  EXPECT_EQ(order.price(), Px("99.50"));
  EXPECT_EQ(order.trigger_price(), Px("98.00"));
}

TEST(Order, TriggeredIsRemembered) {
  Events ev;
  Order order = NewOrder();
  Drive(order, ev, {{E::kSubmitted}, {E::kAccepted}});
  EXPECT_FALSE(order.is_triggered());
  ASSERT_TRUE(order.Apply(ev.Of(E::kTriggered, order)).ok());
  EXPECT_TRUE(order.is_triggered());
  ASSERT_TRUE(order.Apply(ev.Fill(order, 10)).ok());
  EXPECT_TRUE(order.is_triggered());
}

TEST(Order, TsLastFollowsTheEventTime) {
  Order order = NewOrder();
  ASSERT_TRUE(order.Apply(MakeEvent<OrderSubmitted>(Inst(), kCoid, 1'000)).ok());
  EXPECT_EQ(order.ts_last(), UnixNanos(1'000));
  ASSERT_TRUE(order.Apply(MakeEvent<OrderAccepted>(Inst(), kCoid, 2'500)).ok());
  EXPECT_EQ(order.ts_last(), UnixNanos(2'500));
}

TEST(Order, EventForAnotherOrderIsRefused) {
  Events ev;
  Order order = NewOrder();
  Drive(order, ev, {{E::kSubmitted}});
  const Snapshot before = Snapshot::Of(order);
  const Status st = order.Apply(MakeEvent<OrderAccepted>(Inst(), "O-2", 5));
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(Contains(st.error(), "OrderAccepted")) << st.error();
  EXPECT_TRUE(Contains(st.error(), "O-2")) << st.error();
  EXPECT_TRUE(Contains(st.error(), "O-1")) << st.error();
  ExpectUnchanged(order, before);
  // A fill for another order is refused too, even though the state would allow it.
  Events other("O-2");
  const Status fill_st = order.Apply(other.Fill(order, 10));
  ASSERT_FALSE(fill_st.ok());
  ExpectUnchanged(order, before);
}

TEST(Order, RefusalNamesTheEventAndTheState) {
  Events ev;
  Order order = NewOrder();
  Drive(order, ev, {{E::kSubmitted}});
  const Status st = order.Apply(ev.Of(E::kTriggered, order));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(),
            "invalid order state transition: OrderTriggered in state SUBMITTED for O-1");
}

TEST(Order, SecondInitializedIsRefused) {
  Order order = NewOrder();
  const Status st = order.Apply(testkit::MakeInit(Inst(), kCoid, OrderSide::kBuy, 10));
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(Contains(st.error(), "already initialized")) << st.error();
  EXPECT_EQ(order.event_count(), 1u);
  EXPECT_EQ(order.status(), S::kInitialized);
}

TEST(Order, AssignToListOnlyBeforeSubmission) {
  Events ev;
  Order order = NewOrder();
  const std::vector<ClientOrderId> linked = {ClientOrderId("O-2"), ClientOrderId("O-3")};
  ASSERT_TRUE(
      order.AssignToList(OrderListId("OL-1"), ContingencyType::kOco, linked, ClientOrderId("O-0")));
  EXPECT_EQ(order.order_list_id().value(), "OL-1");
  EXPECT_EQ(order.contingency(), ContingencyType::kOco);
  EXPECT_EQ(order.linked_order_ids(), linked);
  EXPECT_EQ(order.parent_order_id().value(), "O-0");
  EXPECT_EQ(order.event_count(), 1u);  // not an event
  Drive(order, ev, {{E::kSubmitted}});
  EXPECT_FALSE(order.AssignToList(OrderListId("OL-2"), ContingencyType::kOto, {}, ClientOrderId()));
  EXPECT_EQ(order.order_list_id().value(), "OL-1");
  EXPECT_EQ(order.contingency(), ContingencyType::kOco);
  EXPECT_EQ(order.linked_order_ids(), linked);
}

TEST(EventName, NamesEveryKind) {
  EXPECT_EQ(EventName(E::kInitialized), "OrderInitialized");
  EXPECT_EQ(EventName(E::kPendingUpdate), "OrderPendingUpdate");
  EXPECT_EQ(EventName(E::kCancelRejected), "OrderCancelRejected");
  EXPECT_EQ(EventName(E::kFilled), "OrderFilled");
  // KindOf follows the variant order.
  EXPECT_EQ(KindOf(OrderEvent(OrderFilled{})), E::kFilled);
  EXPECT_EQ(KindOf(OrderEvent(OrderUpdated{})), E::kUpdated);
  EXPECT_EQ(KindOf(OrderEvent(OrderDenied{})), E::kDenied);
}

// The order pool (order.cpp): a freed order's block is the next order's; the blocks of a
// thread that ends are taken by the next thread that needs one, and so is an order a
// thread-local owner deletes after that; an order made on one thread and deleted on another
// joins the deleting thread's list. Under AddressSanitizer orders come from the heap and these
// checks of where blocks go do not apply.
#if NACRE_ORDER_POOL
TEST(OrderPool, AFreedBlockIsTheNextOrdersAndAnEndedThreadsBlocksAreReused) {
  const OrderInitialized init = testkit::MakeInit(Inst(), "O-POOL-1", OrderSide::kBuy, 1, "100");
  auto a = std::make_unique<Order>(init);
  const void* where = a.get();
  a.reset();
  auto b = std::make_unique<Order>(init);
  EXPECT_EQ(static_cast<const void*>(b.get()), where);
  EXPECT_EQ(b->client_order_id(), ClientOrderId("O-POOL-1"));

  const void* last_freed = nullptr;
  std::thread([&] {
    auto mine = std::make_unique<Order>(init);
    auto other = std::make_unique<Order>(init);
    mine.reset();
    last_freed = other.get();
    other.reset();  // first on the thread's list, which goes to the shared list at its end
  }).join();
  const void* taken = nullptr;
  std::thread([&] {
    auto o = std::make_unique<Order>(init);  // an empty list: takes the shared one
    taken = o.get();
  }).join();
  EXPECT_EQ(taken, last_freed);
}

// Constructed before the thread's first order, so destroyed after the pool's hand-over at the
// thread's end: what it deletes then, and what it makes, goes through the shared list.
struct LateOwner {
  std::unique_ptr<Order> order;
  const void** made_at_end = nullptr;
  ~LateOwner() {
    order.reset();  // after the hand-over: straight to the shared list
    if (made_at_end != nullptr) {
      auto again = std::make_unique<Order>(*this_thread_init);
      *made_at_end = again.get();
    }
  }
  static inline const OrderInitialized* this_thread_init = nullptr;
};
thread_local LateOwner late_owner;

TEST(OrderPool, AnOrderAThreadLocalOwnerDeletesAfterTheThreadsHandOverIsShared) {
  static const OrderInitialized init =
      testkit::MakeInit(Inst(), "O-POOL-3", OrderSide::kBuy, 1, "100");
  LateOwner::this_thread_init = &init;
  const void* owned = nullptr;
  const void* made_at_end = nullptr;
  std::thread([&] {
    LateOwner& owner = late_owner;  // constructed here, before the pool's first use
    owner.made_at_end = &made_at_end;
    owner.order = std::make_unique<Order>(init);
    owned = owner.order.get();
  }).join();
  // At the end the owner's order went to the shared list and the order it made took it back.
  EXPECT_EQ(made_at_end, owned);
  const void* taken = nullptr;
  std::thread([&] {
    auto o = std::make_unique<Order>(init);  // the block the ended thread gave back last
    taken = o.get();
  }).join();
  EXPECT_EQ(taken, owned);
}

TEST(OrderPool, AnOrderMadeOnOneThreadAndDeletedOnAnotherJoinsTheDeletersList) {
  const OrderInitialized init = testkit::MakeInit(Inst(), "O-POOL-2", OrderSide::kSell, 2, "101");
  std::vector<std::unique_ptr<Order>> made;
  std::thread([&] {
    for (int i = 0; i < 300; ++i) made.push_back(std::make_unique<Order>(init));
  }).join();
  std::set<const void*> blocks;
  for (const auto& o : made) {
    EXPECT_EQ(o->quantity(), Quantity::FromInt(2));
    blocks.insert(o.get());
  }
  made.clear();  // deleted here, onto this thread's list
  for (int i = 0; i < 300; ++i) made.push_back(std::make_unique<Order>(init));
  for (const auto& o : made) EXPECT_EQ(blocks.count(o.get()), 1u);
}
#endif

}  // namespace
}  // namespace nacre
