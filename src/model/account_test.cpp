#include "model/account.h"

#include <gtest/gtest.h>

#include <string>

#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::Inr;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

const InstrumentId kCall = MustInstrumentId("NIFTY2610624000CE.NFO");
const InstrumentId kPut = MustInstrumentId("NIFTY2610623500PE.NFO");
const InstrumentId kFut = MustInstrumentId("NIFTY24JANFUT.NFO");

Account MakeAccount(AccountingMode mode = AccountingMode::kCalculated) {
  return Account(AccountId("SIM-001"), AccountType::kMargin, Inr("1000000.00"), UnixNanos(1),
                 mode);
}

TEST(Account, StartingBalance) {
  const Account a = MakeAccount();
  EXPECT_EQ(a.id().value(), "SIM-001");
  EXPECT_EQ(a.type(), AccountType::kMargin);
  EXPECT_EQ(a.currency(), Currency::INR());
  EXPECT_EQ(a.starting_balance(), Inr("1000000"));
  EXPECT_EQ(a.balance_total(), Inr("1000000"));
  EXPECT_TRUE(a.balance_locked().is_zero());
  EXPECT_EQ(a.balance_free(), Inr("1000000"));
  EXPECT_TRUE(a.margins().empty());
  EXPECT_TRUE(a.states().empty());
}

TEST(Account, CurrencyComesFromTheStartingBalance) {
  const Account a(AccountId("IB-1"), AccountType::kCash, Money::FromInt(10, Currency::USD()),
                  UnixNanos(1));
  EXPECT_EQ(a.currency(), Currency::USD());
  EXPECT_EQ(a.balance_locked().currency(), Currency::USD());
  EXPECT_EQ(a.type(), AccountType::kCash);
}

TEST(Account, AdjustBalanceMovesTotalAndFreeButNotStarting) {
  Account a = MakeAccount();
  a.AdjustBalance(Inr("250.50"));
  a.AdjustBalance(Inr("-1000"));
  EXPECT_EQ(a.balance_total(), Inr("999250.50"));
  EXPECT_EQ(a.balance_free(), Inr("999250.50"));
  EXPECT_EQ(a.starting_balance(), Inr("1000000"));
  a.AdjustBalance(Inr("-1000000"));
  EXPECT_EQ(a.balance_total(), Inr("-749.50"));  // a loss can take the balance negative
}

TEST(Account, SetMarginLocksInitialPlusMaintenance) {
  Account a = MakeAccount();
  a.SetMargin(kCall, Inr("5000"), Inr("2000"));
  EXPECT_EQ(a.balance_locked(), Inr("7000"));
  EXPECT_EQ(a.balance_free(), Inr("993000"));
  EXPECT_EQ(a.balance_total(), Inr("1000000"));  // locking does not spend

  a.SetMargin(kPut, Inr("1000.25"), Inr("0"));
  EXPECT_EQ(a.balance_locked(), Inr("8000.25"));
  EXPECT_EQ(a.balance_free(), Inr("991999.75"));
  ASSERT_EQ(a.margins().size(), 2u);

  // Setting again replaces, it does not add.
  a.SetMargin(kCall, Inr("3000"), Inr("0"));
  EXPECT_EQ(a.balance_locked(), Inr("4000.25"));
  const MarginBalance& m = a.margins().at(kCall);
  EXPECT_EQ(m.instrument_id, kCall);
  EXPECT_EQ(m.initial, Inr("3000"));
  EXPECT_TRUE(m.maintenance.is_zero());

  // Free follows balance changes with margin still locked.
  a.AdjustBalance(Inr("-500"));
  EXPECT_EQ(a.balance_free(), Inr("999500") - Inr("4000.25"));
}

TEST(Account, ZeroMarginRemovesTheEntry) {
  Account a = MakeAccount();
  a.SetMargin(kCall, Inr("5000"), Inr("2000"));
  a.SetMargin(kPut, Inr("1000"), Inr("0"));
  a.SetMargin(kCall, Inr("0"), Inr("0"));
  EXPECT_EQ(a.margins().count(kCall), 0u);
  EXPECT_EQ(a.margins().size(), 1u);
  EXPECT_EQ(a.balance_locked(), Inr("1000"));
  // Only maintenance left is still an entry.
  a.SetMargin(kPut, Inr("0"), Inr("300"));
  EXPECT_EQ(a.margins().count(kPut), 1u);
  EXPECT_EQ(a.balance_locked(), Inr("300"));
  a.SetMargin(kPut, Inr("0"), Inr("0"));
  EXPECT_TRUE(a.margins().empty());
  EXPECT_TRUE(a.balance_locked().is_zero());
  EXPECT_EQ(a.balance_free(), a.balance_total());
  // Removing an entry that does not exist is harmless.
  a.SetMargin(kFut, Inr("0"), Inr("0"));
  EXPECT_TRUE(a.margins().empty());
}

AccountState VenueState() {
  AccountState s;
  s.account_id = AccountId("SIM-001");
  s.account_type = AccountType::kMargin;
  s.base_currency = Currency::INR();
  s.balance.total = Inr("500000");
  s.balance.locked = Inr("12000");
  s.balance.free = Inr("488000");
  s.margins.push_back(MarginBalance{kFut, Inr("10000"), Inr("2000")});
  s.reported = true;
  s.ts_event = UnixNanos(100);
  s.ts_init = UnixNanos(101);
  return s;
}

TEST(Account, ApplyStateReplacesBalanceAndMarginsOfAReportedAccount) {
  Account a = MakeAccount(AccountingMode::kReported);
  a.SetMargin(kCall, Inr("5000"), Inr("0"));  // replaced by the venue's view
  const Status st = a.ApplyState(VenueState());
  ASSERT_TRUE(st.ok()) << st.error();
  EXPECT_EQ(a.balance_total(), Inr("500000"));
  EXPECT_EQ(a.balance_locked(), Inr("12000"));
  EXPECT_EQ(a.balance_free(), Inr("488000"));
  EXPECT_EQ(a.margins().size(), 1u);
  EXPECT_EQ(a.margins().count(kCall), 0u);
  EXPECT_EQ(a.margins().at(kFut).initial, Inr("10000"));
  EXPECT_EQ(a.starting_balance(), Inr("1000000"));
  ASSERT_EQ(a.states().size(), 1u);
  EXPECT_EQ(a.states()[0].balance.total, Inr("500000"));
  EXPECT_TRUE(a.states()[0].reported);
}

TEST(Account, ApplyStateTakesTheVenuesLockedFigure) {
  Account a = MakeAccount(AccountingMode::kReported);
  AccountState s = VenueState();
  s.balance.locked = Inr("15000");  // the venue blocks more than the per-instrument sum
  ASSERT_TRUE(a.ApplyState(s).ok());
  EXPECT_EQ(a.balance_locked(), Inr("15000"));
  EXPECT_EQ(a.balance_free(), Inr("485000"));
}

// A calculated account keeps the balance its portfolio booked: a venue's state brings only
// its margins (calculated or reported, never both).
TEST(Account, ACalculatedAccountTakesOnlyTheVenuesMargins) {
  Account a = MakeAccount();
  a.AdjustBalance(Inr("-2500"));
  ASSERT_TRUE(a.ApplyState(VenueState()).ok());  // the venue says 500,000
  EXPECT_EQ(a.balance_total(), Inr("997500"));  // ours
  EXPECT_EQ(a.balance_locked(), Inr("12000"));  // the venue's margins
  EXPECT_EQ(a.margins().at(kFut).initial, Inr("10000"));
}

TEST(Account, ApplyStateRefusesAnotherAccount) {
  Account a = MakeAccount();
  a.SetMargin(kCall, Inr("5000"), Inr("0"));
  AccountState s = VenueState();
  s.account_id = AccountId("ZERODHA-AB1234");
  const Status st = a.ApplyState(s);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(Contains(st.error(), "ZERODHA-AB1234")) << st.error();
  EXPECT_TRUE(Contains(st.error(), "SIM-001")) << st.error();
  EXPECT_EQ(a.balance_total(), Inr("1000000"));
  EXPECT_EQ(a.balance_locked(), Inr("5000"));
  EXPECT_EQ(a.margins().count(kCall), 1u);
  EXPECT_TRUE(a.states().empty());
}

TEST(Account, ApplyStateRefusesAnotherCurrency) {
  Account a = MakeAccount();
  AccountState s = VenueState();
  s.base_currency = Currency::USD();
  s.balance.total = Money::FromInt(500, Currency::USD());
  s.balance.locked = Money::Zero(Currency::USD());
  s.margins.clear();
  const Status st = a.ApplyState(s);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(Contains(st.error(), "USD")) << st.error();
  EXPECT_TRUE(Contains(st.error(), "INR")) << st.error();
  EXPECT_EQ(a.balance_total(), Inr("1000000"));
  EXPECT_TRUE(a.states().empty());
}

TEST(Account, SnapshotDescribesTheCurrentState) {
  Account a = MakeAccount();
  a.AdjustBalance(Inr("-250.75"));
  // Inserted out of order: the snapshot lists margins sorted by instrument id.
  a.SetMargin(kPut, Inr("1000"), Inr("100"));
  a.SetMargin(kCall, Inr("2000"), Inr("200"));
  a.SetMargin(kFut, Inr("3000"), Inr("300"));
  Uuid4 id;
  id.bytes[15] = 7;
  const AccountState s = a.Snapshot(id, UnixNanos(555), /*reported=*/false);
  EXPECT_EQ(s.account_id.value(), "SIM-001");
  EXPECT_EQ(s.account_type, AccountType::kMargin);
  EXPECT_EQ(s.base_currency, Currency::INR());
  EXPECT_EQ(s.balance.total, Inr("999749.25"));
  EXPECT_EQ(s.balance.locked, Inr("6600"));
  EXPECT_EQ(s.balance.free, Inr("993149.25"));
  ASSERT_EQ(s.margins.size(), 3u);
  // By text: "NIFTY24JANFUT" < "NIFTY2610623500PE" < "NIFTY2610624000CE" ('4' < '6').
  EXPECT_EQ(s.margins[0].instrument_id, kFut);
  EXPECT_EQ(s.margins[1].instrument_id, kPut);
  EXPECT_EQ(s.margins[2].instrument_id, kCall);
  EXPECT_EQ(s.margins[2].initial, Inr("2000"));
  EXPECT_EQ(s.margins[2].maintenance, Inr("200"));
  EXPECT_FALSE(s.reported);
  EXPECT_EQ(s.event_id, id);
  EXPECT_EQ(s.ts_event, UnixNanos(555));
  EXPECT_EQ(s.ts_init, UnixNanos(555));
  // Snapshot does not record; Record does.
  EXPECT_TRUE(a.states().empty());
  a.Record(s);
  ASSERT_EQ(a.states().size(), 1u);
  EXPECT_EQ(a.states()[0].event_id, id);
  EXPECT_TRUE(a.Snapshot(id, UnixNanos(556), true).reported);
}

TEST(Account, SnapshotRoundTripsThroughApplyState) {
  Account a = MakeAccount();
  a.AdjustBalance(Inr("1234.56"));
  a.SetMargin(kCall, Inr("2000"), Inr("200"));
  const AccountState s = a.Snapshot(Uuid4{}, UnixNanos(9), true);
  Account b = MakeAccount(AccountingMode::kReported);
  ASSERT_TRUE(b.ApplyState(s).ok());
  EXPECT_EQ(b.balance_total(), a.balance_total());
  EXPECT_EQ(b.balance_locked(), a.balance_locked());
  EXPECT_EQ(b.balance_free(), a.balance_free());
  EXPECT_EQ(b.margins().size(), 1u);
}

}  // namespace
}  // namespace nacre
