#include "portfolio/portfolio.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "testkit/kernel_harness.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::BusRecorder;
using testkit::Inr;
using testkit::MakeBar;
using testkit::MakeBarType;
using testkit::MakeQuote;
using testkit::Px;
using testkit::Qty;

class PortfolioTest : public ::testing::Test {
 protected:
  PortfolioTest() : account_events_(k().bus(), "events.account.*") {
    fut_ = testkit::NiftyFuture(50);
    fut_.margin_maint_raw = 100'000'000;  // 10%
    k().cache().AddInstrument(fut_);
    k().cache().AddInstrument(opt_);
    account_ =
        k().cache().AddAccount(std::make_unique<Account>(AccountId("SIM-001"), AccountType::kMargin,
                                                         Inr("1000000.00"), tk_.now()),
                               Venue("NFO"));
    k().portfolio().ManageAccount(AccountId("SIM-001"));
    EXPECT_TRUE(k().Start().ok()) << k().halt_reason();
  }

  Kernel& k() { return tk_.kernel(); }
  Portfolio& portfolio() { return k().portfolio(); }

  // A complete fill of a new order for `strategy` through the ExecutionEngine.
  void Fill(const char* coid, OrderSide side, std::int64_t qty, const char* px,
            const char* commission = "0", const char* strategy = "S-001") {
    FillOn(fut_, coid, side, qty, px, commission, strategy);
  }
  void FillOn(const Instrument& inst, const char* coid, OrderSide side, std::int64_t qty,
              const char* px, const char* commission = "0", const char* strategy = "S-001") {
    OrderInitialized init = testkit::MakeInit(inst, coid, side, qty);
    init.strategy_id = StrategyId(strategy);
    testkit::AddOrder(k(), init);
    auto& exec = k().exec_engine();
    auto submitted = testkit::MakeEvent<OrderSubmitted>(inst, coid, tk_.now().value);
    auto accepted = testkit::MakeEvent<OrderAccepted>(inst, coid, tk_.now().value);
    OrderFilled fill = testkit::MakeFill(inst, coid, (std::string("T-") + coid).c_str(), side, qty,
                                         px, commission, tk_.now().value);
    submitted.strategy_id = accepted.strategy_id = fill.strategy_id = StrategyId(strategy);
    exec.Process(submitted);
    exec.Process(accepted);
    exec.Process(fill);
  }

  Money Maintenance() const {
    auto it = account_->margins().find(fut_.id);
    return it == account_->margins().end() ? Money::Zero() : it->second.maintenance;
  }

  testkit::TestKernel tk_;
  Instrument fut_;
  const Instrument opt_ = testkit::NiftyOption(OptionKind::kPut, "24000");  // premium style
  Account* account_ = nullptr;
  BusRecorder<AccountState> account_events_;
};

TEST_F(PortfolioTest, BalanceMovesByRealizedPnlNetOfCommission) {
  Fill("O-1", OrderSide::kBuy, 50, "100.00", "20.00");
  EXPECT_EQ(account_->balance_total(), Inr("999980.00"));  // the opening commission
  Fill("O-2", OrderSide::kSell, 20, "110.00", "10.00");
  EXPECT_EQ(account_->balance_total(), Inr("1000170.00"));  // + 20 x 10 - 10
  Fill("O-3", OrderSide::kSell, 30, "90.00", "10.00");
  EXPECT_EQ(account_->balance_total(), Inr("999860.00"));  // + 30 x -10 - 10
  // The balance moved by exactly the realized P&L.
  EXPECT_EQ(portfolio().RealizedPnl(fut_.id), Inr("-140.00"));
  EXPECT_EQ(account_->balance_total() - account_->starting_balance(), Inr("-140.00"));
  EXPECT_EQ(portfolio().TotalCommissions(Venue("NFO")), Inr("40.00"));

  // One account state per position event, published and recorded.
  ASSERT_EQ(account_events_.size(), 3u);
  EXPECT_EQ(account_events_[0].account_id, AccountId("SIM-001"));
  EXPECT_FALSE(account_events_[0].reported);
  EXPECT_EQ(account_events_[0].balance.total, Inr("999980.00"));
  EXPECT_EQ(account_events_[2].balance.total, Inr("999860.00"));
  EXPECT_EQ(account_->states().size(), 3u);
}

// ---- premium-style (options): the premium is cash ----

TEST_F(PortfolioTest, OptionBuyPaysThePremiumAndTheSaleReceivesIt) {
  const Money start = Inr("1000000.00");
  FillOn(opt_, "O-1", OrderSide::kBuy, 65, "100.00", "30.00");
  // start - premium (100 x 65) - charges
  EXPECT_EQ(account_->balance_total(), Inr("993470.00"));
  EXPECT_EQ(account_events_.back().balance.total, Inr("993470.00"));
  // Without a mark the long is worth what was paid: equity = start - charges.
  EXPECT_EQ(portfolio().OpenValue(Venue("NFO")), Inr("6500.00"));
  EXPECT_EQ(portfolio().Equity(Venue("NFO")), Inr("999970.00"));
  // Marked at the bid: equity = balance + 110 x 65 = start + realized + unrealized.
  k().data_engine().Process(MakeQuote(opt_.id, "110.00", "111.00", tk_.now()));
  EXPECT_EQ(portfolio().OpenValue(Venue("NFO")), Inr("7150.00"));
  EXPECT_EQ(portfolio().UnrealizedPnl(Venue("NFO")), Inr("650.00"));
  EXPECT_EQ(portfolio().Equity(Venue("NFO")), Inr("1000620.00"));
  EXPECT_EQ(portfolio().Equity(Venue("NFO")), start + portfolio().RealizedPnl(Venue("NFO")) +
                                                  portfolio().UnrealizedPnl(Venue("NFO")));
  FillOn(opt_, "O-2", OrderSide::kSell, 65, "110.00", "35.00");
  // + 110 x 65 - charges: flat, start + realized (650 - 30 - 35).
  EXPECT_EQ(account_->balance_total(), Inr("1000585.00"));
  EXPECT_EQ(portfolio().RealizedPnl(Venue("NFO")), Inr("585.00"));
  EXPECT_EQ(account_->balance_total(), start + portfolio().RealizedPnl(Venue("NFO")));
  EXPECT_EQ(portfolio().Equity(Venue("NFO")), account_->balance_total());
}

TEST_F(PortfolioTest, OptionShortReceivesThePremiumAndTheBuyBackPaysIt) {
  FillOn(opt_, "O-1", OrderSide::kSell, 65, "100.00", "40.00");
  EXPECT_EQ(account_->balance_total(), Inr("1006460.00"));  // + 6,500 - 40
  // The short is a liability at its mark (the ask): equity = start - 40 + (100 - 96) x 65.
  k().data_engine().Process(MakeQuote(opt_.id, "95.00", "96.00", tk_.now()));
  EXPECT_EQ(portfolio().OpenValue(Venue("NFO")), Inr("-6240.00"));
  EXPECT_EQ(portfolio().Equity(Venue("NFO")), Inr("1000220.00"));
  FillOn(opt_, "O-2", OrderSide::kBuy, 65, "96.00", "20.00");
  EXPECT_EQ(account_->balance_total(), Inr("1000200.00"));  // - 6,240 - 20
  EXPECT_EQ(portfolio().RealizedPnl(Venue("NFO")), Inr("200.00"));
  EXPECT_EQ(portfolio().Equity(Venue("NFO")), Inr("1000200.00"));
}

TEST_F(PortfolioTest, OptionPartialClosesAndAFlipMoveThePremiumOfEachPart) {
  FillOn(opt_, "O-1", OrderSide::kBuy, 130, "100.00", "10.00");
  FillOn(opt_, "O-2", OrderSide::kSell, 65, "120.00", "5.00");
  // - 13,000 - 10 + 7,800 - 5
  EXPECT_EQ(account_->balance_total(), Inr("994785.00"));
  // Sell 130 with the long 65 left: close 65 at 90 (commission 4 of 8), open short 65 (4).
  FillOn(opt_, "O-3", OrderSide::kSell, 130, "90.00", "8.00");
  EXPECT_EQ(account_->balance_total(), Inr("1006477.00"));  // + 11,700 - 8
  ASSERT_EQ(k().cache().AllPositionSnapshots().size(), 1u);
  // Realized: +1,300 - 15 on the first cycle, -650 - 4 on the flip's close, -4 open.
  EXPECT_EQ(portfolio().RealizedPnl(Venue("NFO")), Inr("627.00"));
  // Short 65 at 90 unmarked: equity = balance - 5,850 = start + realized.
  EXPECT_EQ(portfolio().Equity(Venue("NFO")), Inr("1000627.00"));
}

TEST_F(PortfolioTest, OptionOpenedAndClosedInPartsEndsAtStartPlusRealizedToThePaisa) {
  // Average open 37.125: each closing part's P&L has half a paisa; the premiums do not.
  FillOn(opt_, "O-1", OrderSide::kBuy, 65, "39.80");
  FillOn(opt_, "O-2", OrderSide::kBuy, 65, "34.45");
  FillOn(opt_, "O-3", OrderSide::kSell, 65, "16.95");
  FillOn(opt_, "O-4", OrderSide::kSell, 65, "8.70");
  EXPECT_EQ(account_->balance_total(), Inr("996841.00"));  // 65 x (-39.80 - 34.45 + 16.95 + 8.70)
  EXPECT_EQ(account_->balance_total(), Inr("1000000.00") + portfolio().RealizedPnl(opt_.id));
}

TEST_F(PortfolioTest, FuturesAndOptionsKeepTheirOwnStylesInOneAccount) {
  Fill("O-1", OrderSide::kBuy, 50, "100.00", "2.00");         // futures: charges only
  FillOn(opt_, "O-2", OrderSide::kBuy, 65, "10.00", "1.00");  // option: - 650 - 1
  EXPECT_EQ(account_->balance_total(), Inr("999347.00"));
  k().data_engine().Process(MakeQuote(fut_.id, "104.00", "105.00", tk_.now()));
  k().data_engine().Process(MakeQuote(opt_.id, "12.00", "13.00", tk_.now()));
  // futures unrealized 50 x 4 + option mark value 65 x 12
  EXPECT_EQ(portfolio().OpenValue(Venue("NFO")), Inr("980.00"));
  EXPECT_EQ(portfolio().Equity(Venue("NFO")), Inr("1000327.00"));
  EXPECT_EQ(portfolio().Equity(Venue("NFO")), Inr("1000000.00") +
                                                  portfolio().RealizedPnl(Venue("NFO")) +
                                                  portfolio().UnrealizedPnl(Venue("NFO")));
}

TEST_F(PortfolioTest, MaintenanceMarginIsBlockedWhileOpenAndReleasedOnClose) {
  Fill("O-1", OrderSide::kBuy, 50, "100.00");
  EXPECT_EQ(Maintenance(), Inr("500.00"));  // 50 x 100 x 10%
  EXPECT_EQ(account_->balance_locked(), Inr("500.00"));
  EXPECT_EQ(account_->balance_free(), Inr("999500.00"));
  ASSERT_EQ(account_events_.size(), 1u);
  ASSERT_EQ(account_events_[0].margins.size(), 1u);
  EXPECT_EQ(account_events_[0].margins[0].instrument_id, fut_.id);
  EXPECT_EQ(account_events_[0].balance.locked, Inr("500.00"));

  Fill("O-2", OrderSide::kSell, 20, "110.00");
  EXPECT_EQ(Maintenance(), Inr("330.00"));  // 30 x 110 x 10%

  Fill("O-3", OrderSide::kSell, 30, "110.00");
  EXPECT_TRUE(account_->margins().empty());
  EXPECT_EQ(account_->balance_locked(), Inr("0.00"));
  EXPECT_EQ(account_->balance_free(), account_->balance_total());
  EXPECT_TRUE(account_events_.back().margins.empty());
}

TEST_F(PortfolioTest, MarginIsOnTheAccountsNetPositionAcrossStrategies) {
  Fill("O-1", OrderSide::kBuy, 50, "100.00", "0", "S-001");
  Fill("O-2", OrderSide::kSell, 20, "110.00", "0", "S-002");
  EXPECT_EQ(Maintenance(), Inr("330.00"));  // net (50 - 20) x 110 x 10%
  EXPECT_EQ(portfolio().NetPositionRaw(fut_.id), Qty(30).raw());
  EXPECT_FALSE(portfolio().IsFlat(fut_.id));

  Fill("O-3", OrderSide::kSell, 50, "100.00", "0", "S-001");
  EXPECT_EQ(portfolio().NetPositionRaw(fut_.id), -Qty(20).raw());
  EXPECT_EQ(Maintenance(), Inr("200.00"));  // 20 x 100 x 10%
  Fill("O-4", OrderSide::kBuy, 20, "100.00", "0", "S-002");
  EXPECT_TRUE(portfolio().IsFlat(fut_.id));
  EXPECT_TRUE(account_->margins().empty());
}

TEST_F(PortfolioTest, FlipMovesTheBalanceByBothParts) {
  Fill("O-1", OrderSide::kBuy, 50, "100.00", "5.00");
  // Sell 80: close 50 (commission 5.00 of 8.00), open short 30 (3.00).
  Fill("O-2", OrderSide::kSell, 80, "110.00", "8.00");
  // -5 (open) + (500 - 5) (close) - 3 (reopen).
  EXPECT_EQ(account_->balance_total(), Inr("1000487.00"));
  EXPECT_EQ(Maintenance(), Inr("330.00"));  // short 30 x 110 x 10%
  EXPECT_EQ(portfolio().RealizedPnl(fut_.id), Inr("487.00"));
}

TEST_F(PortfolioTest, ReopenedPositionStartsItsRealizedFromZero) {
  Fill("O-1", OrderSide::kBuy, 10, "100.00");
  Fill("O-2", OrderSide::kSell, 10, "110.00");
  EXPECT_EQ(account_->balance_total(), Inr("1000100.00"));
  Fill("O-3", OrderSide::kBuy, 10, "120.00", "1.00");
  // Only the new commission; the earlier cycle's +100 is not counted again.
  EXPECT_EQ(account_->balance_total(), Inr("1000099.00"));
}

TEST_F(PortfolioTest, RealizedAndCommissionsIncludeSnapshotsOfEarlierCycles) {
  Fill("O-1", OrderSide::kBuy, 10, "100.00", "1.00");
  Fill("O-2", OrderSide::kSell, 10, "110.00", "1.00");
  Fill("O-3", OrderSide::kBuy, 10, "100.00", "2.00");
  ASSERT_EQ(k().cache().AllPositionSnapshots().size(), 1u);
  EXPECT_EQ(portfolio().RealizedPnl(fut_.id), Inr("96.00"));  // 98 closed, -2 open
  EXPECT_EQ(portfolio().RealizedPnl(Venue("NFO")), Inr("96.00"));
  EXPECT_EQ(portfolio().TotalCommissions(Venue("NFO")), Inr("4.00"));
  EXPECT_EQ(portfolio().RealizedPnl(Venue("NSE")), Inr("0.00"));
}

TEST_F(PortfolioTest, LongIsMarkedAtTheBid) {
  Fill("O-1", OrderSide::kBuy, 50, "100.00");
  k().data_engine().Process(MakeQuote(fut_.id, "104.00", "105.00", tk_.now()));
  EXPECT_EQ(portfolio().UnrealizedPnl(fut_.id), Inr("200.00"));  // 50 x (104 - 100)
  EXPECT_EQ(portfolio().UnrealizedPnl(Venue("NFO")), Inr("200.00"));
  EXPECT_EQ(portfolio().NetExposure(fut_.id), Inr("5200.00"));  // 50 x 104
  EXPECT_EQ(portfolio().NetExposure(Venue("NFO")), Inr("5200.00"));
  EXPECT_EQ(portfolio().TotalPnl(Venue("NFO")), Inr("200.00"));
  EXPECT_EQ(portfolio().Equity(Venue("NFO")), Inr("1000200.00"));
}

TEST_F(PortfolioTest, ShortIsMarkedAtTheAsk) {
  Fill("O-1", OrderSide::kSell, 50, "100.00", "10.00");
  k().data_engine().Process(MakeQuote(fut_.id, "96.00", "97.00", tk_.now()));
  EXPECT_EQ(portfolio().UnrealizedPnl(fut_.id), Inr("150.00"));  // -50 x (97 - 100)
  EXPECT_EQ(portfolio().NetExposure(fut_.id), Inr("4850.00"));   // 50 x 97
  EXPECT_EQ(portfolio().TotalPnl(Venue("NFO")), Inr("140.00"));  // -10 realized + 150
  EXPECT_EQ(portfolio().Equity(Venue("NFO")), Inr("1000140.00"));
}

TEST_F(PortfolioTest, BarCloseIsTheMarkWithoutQuotes) {
  Fill("O-1", OrderSide::kBuy, 50, "100.00");
  const BarType type = MakeBarType(fut_.id, 1, BarAggregation::kMinute);
  k().data_engine().Process(MakeBar(type, "101", "104", "100", "103", 1000, tk_.now()));
  EXPECT_EQ(portfolio().UnrealizedPnl(fut_.id), Inr("150.00"));
  EXPECT_EQ(portfolio().NetExposure(fut_.id), Inr("5150.00"));
  // A later bar moves the mark.
  k().data_engine().Process(
      MakeBar(type, "103", "103", "95", "96", 1000, tk_.now() + kNanosPerMinute));
  EXPECT_EQ(portfolio().UnrealizedPnl(fut_.id), Inr("-200.00"));
  EXPECT_EQ(portfolio().Equity(Venue("NFO")), Inr("999800.00"));
}

TEST_F(PortfolioTest, NoMarkOrFlatMeansNoUnrealizedOrExposure) {
  Fill("O-1", OrderSide::kBuy, 50, "100.00");
  EXPECT_EQ(portfolio().UnrealizedPnl(fut_.id), Inr("0.00"));
  EXPECT_EQ(portfolio().NetExposure(fut_.id), Inr("0.00"));
  Fill("O-2", OrderSide::kSell, 50, "100.00");
  k().data_engine().Process(MakeQuote(fut_.id, "150.00", "151.00", tk_.now()));
  EXPECT_EQ(portfolio().UnrealizedPnl(fut_.id), Inr("0.00"));
  EXPECT_EQ(portfolio().NetExposure(fut_.id), Inr("0.00"));
  EXPECT_EQ(portfolio().Equity(Venue("NFO")), Inr("1000000.00"));
  EXPECT_EQ(portfolio().Equity(Venue("NSE")), Inr("0.00"));  // no account there
}

TEST_F(PortfolioTest, UnmanagedAccountIsLeftToTheVenue) {
  k().cache().AddAccount(
      std::make_unique<Account>(AccountId("ZERODHA-AB1234"), AccountType::kMargin, Inr("500000.00"),
                                tk_.now()),
      Venue("NFO"));
  Fill("O-1", OrderSide::kBuy, 50, "100.00", "20.00");
  // The fill names SIM-001 (managed)...
  EXPECT_EQ(account_->balance_total(), Inr("999980.00"));
  // ...while the unmanaged account is never touched.
  const Account* live = k().cache().account(AccountId("ZERODHA-AB1234"));
  EXPECT_EQ(live->balance_total(), Inr("500000.00"));
  EXPECT_TRUE(live->margins().empty());
}

TEST_F(PortfolioTest, UnmanagedFillsProduceNoAccountEvents) {
  testkit::TestKernel other;
  other->cache().AddInstrument(fut_);
  Account* a = other->cache().AddAccount(
      std::make_unique<Account>(AccountId("SIM-001"), AccountType::kMargin, Inr("1000.00"),
                                other.now()),
      Venue("NFO"));
  BusRecorder<AccountState> events(other->bus(), "events.account.*");
  testkit::FillThroughEngine(other.kernel(), fut_, "O-1", OrderSide::kBuy, 50, "100", "5.00");
  EXPECT_EQ(a->balance_total(), Inr("1000.00"));
  EXPECT_TRUE(a->margins().empty());
  EXPECT_TRUE(events.empty());
}

TEST_F(PortfolioTest, StrategiesSeeTheNewBalanceInTheirPositionHandlers) {
  std::vector<Money> seen;
  k().bus().Subscribe<PositionEvent>("events.position.S-001", [&](const PositionEvent&) {
    seen.push_back(account_->balance_total());
  });
  Fill("O-1", OrderSide::kBuy, 50, "100.00", "20.00");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], Inr("999980.00"));
}

TEST(PortfolioAccounts, AReportedAccountIsNeverAlsoCalculated) {
  testkit::TestKernel tk;
  Kernel& k = tk.kernel();
  k.cache().AddAccount(std::make_unique<Account>(AccountId("KITE-1"), AccountType::kMargin,
                                                 testkit::Inr("1000"), tk.now(),
                                                 AccountingMode::kReported),
                       Venue("NFO"));
  const auto errors = k.logger().error_count();
  k.portfolio().ManageAccount(AccountId("KITE-1"));
  EXPECT_FALSE(k.portfolio().manages(AccountId("KITE-1")));
  EXPECT_GT(k.logger().error_count(), errors);
}

}  // namespace
}  // namespace nacre
