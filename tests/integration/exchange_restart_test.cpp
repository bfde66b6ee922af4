// A sandbox restart as the kernel meets it: the simulated exchange's state is saved, a fresh
// kernel (nothing in its cache) starts with an exchange restored from it, and start-up
// reconciliation runs on the exchange's own reports, exactly as it would against a broker: our
// orders are adopted with their fills, the net position matches, trading starts. When the
// exchange holds a position that its reports cannot explain to an empty kernel (the fills were
// on an earlier day), the kernel stays HALTED with the reason instead of inventing anything.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "nse/calendar.h"
#include "testkit/kernel_harness.h"
#include "testkit/testkit.h"
#include "venue/simulated_exchange.h"

namespace nacre {
namespace {

using testkit::MakeInit;
using testkit::MakeQuote;
using testkit::Qty;

const Instrument kCall = testkit::NiftyOption(OptionKind::kCall, "24000");

SimulatedExchangeConfig Config() {
  SimulatedExchangeConfig c;
  c.margin_check = false;
  c.starting_balance = Money::FromInt(1'000'000);
  return c;
}

// A kernel with one exchange (restored from `state` when given), started.
struct Node {
  explicit Node(UnixNanos start, const std::string* state = nullptr)
      : tk(testkit::QuietKernelConfig(), start) {
    auto ex = std::make_unique<SimulatedExchange>(Config());
    exchange = ex.get();
    exchange->AddInstrument(kCall);
    tk.kernel().cache().AddInstrument(kCall);
    if (state != nullptr) restored = exchange->RestoreState(*state);
    tk.kernel().exec_engine().RegisterClient(std::move(ex));
    tk.kernel().cache().AddAccount(std::make_unique<Account>(Config().account_id,
                                                             AccountType::kMargin,
                                                             Config().starting_balance, start),
                                   Config().venue);
    tk.kernel().portfolio().ManageAccount(Config().account_id);
    started = tk.kernel().Start();
  }
  Kernel& k() { return tk.kernel(); }
  const Order* Send(const OrderInitialized& init) {
    const Order* o = testkit::AddOrder(k(), init);
    k().exec_engine().Execute(testkit::SubmitCommand(*o));
    exchange->ProcessCommands();
    return o;
  }
  testkit::TestKernel tk;
  SimulatedExchange* exchange = nullptr;
  Status restored = Status::Ok();
  Status started = Status::Ok();
};

TEST(ExchangeRestart, AFreshKernelReconcilesFromTheRestoredLedgerAndTrades) {
  const UnixNanos t0 = FromIst(2025, 12, 30, 10, 0);
  std::string state;
  ClientOrderId filled_id;
  ClientOrderId resting_id;
  {
    Node before(t0);
    ASSERT_TRUE(before.started.ok()) << before.started.error();
    before.exchange->OnQuote(MakeQuote(kCall.id, "100", "101", t0, 650, 650));
    const Order* filled = before.Send(MakeInit(kCall, "O-1", OrderSide::kBuy, 130));
    const Order* resting = before.Send(MakeInit(kCall, "O-2", OrderSide::kSell, 65, "150"));
    ASSERT_EQ(filled->status(), OrderStatus::kFilled);
    ASSERT_EQ(resting->status(), OrderStatus::kAccepted);
    filled_id = filled->client_order_id();
    resting_id = resting->client_order_id();
    state = before.exchange->SaveState();
  }
  // The same day, later: nothing in the new kernel's cache.
  Node after(t0 + 30 * kNanosPerMinute, &state);
  ASSERT_TRUE(after.restored.ok()) << after.restored.error();
  ASSERT_TRUE(after.started.ok()) << after.started.error();
  EXPECT_TRUE(after.k().halt_reason().empty()) << after.k().halt_reason();
  const Order* filled = after.k().cache().order(filled_id);
  const Order* resting = after.k().cache().order(resting_id);
  ASSERT_NE(filled, nullptr);
  ASSERT_NE(resting, nullptr);
  EXPECT_EQ(filled->status(), OrderStatus::kFilled);
  EXPECT_EQ(filled->filled_qty(), Qty(130));
  EXPECT_EQ(resting->status(), OrderStatus::kAccepted);
  // The kernel's net position is the ledger's.
  std::int64_t net = 0;
  for (const Position* p : after.k().cache().PositionsOpen()) net += p->signed_qty_raw();
  const auto venue_positions = after.exchange->GeneratePositionStatusReports({});
  ASSERT_EQ(venue_positions.size(), 1u);
  EXPECT_EQ(net, venue_positions[0].signed_qty_raw());
  EXPECT_EQ(net, Qty(130).raw());
  // And it trades on: the restored resting sell fills when the market comes to it.
  after.exchange->OnQuote(MakeQuote(kCall.id, "150", "151", after.tk.now(), 650, 650));
  EXPECT_EQ(resting->status(), OrderStatus::kFilled);
}

TEST(ExchangeRestart, APositionTheDaysReportsCannotExplainLeavesTheKernelHalted) {
  const UnixNanos t0 = FromIst(2025, 12, 29, 10, 0);
  std::string state;
  {
    Node before(t0);
    before.exchange->OnQuote(MakeQuote(kCall.id, "100", "101", t0, 650, 650));
    ASSERT_EQ(before.Send(MakeInit(kCall, "O-1", OrderSide::kBuy, 65))->status(),
              OrderStatus::kFilled);
    // The next morning the day's order and trade books start empty; the position carries.
    before.tk.AdvanceTo(FromIst(2025, 12, 30, 9, 20));
    before.exchange->ProcessCommands();
    state = before.exchange->SaveState();
  }
  Node after(FromIst(2025, 12, 30, 9, 30), &state);
  ASSERT_TRUE(after.restored.ok()) << after.restored.error();
  EXPECT_FALSE(after.started.ok());
  EXPECT_NE(after.k().halt_reason().find(kCall.id.value()), std::string::npos)
      << after.k().halt_reason();
  EXPECT_EQ(after.k().risk_engine().trading_state(), TradingState::kHalted);
  const auto venue_positions = after.exchange->GeneratePositionStatusReports({});
  ASSERT_EQ(venue_positions.size(), 1u);
  EXPECT_EQ(venue_positions[0].overnight_quantity, Qty(65));
  EXPECT_TRUE(after.k().cache().PositionsOpen().empty());  // nothing invented
}

}  // namespace
}  // namespace nacre
