// The kill switch through a kernel with the simulated exchange (simple model: fills at the
// touch). The venue is not on the loop: commands wait until Ack(), so each step is visible.
#include "live/kill_switch.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "testkit/kernel_harness.h"
#include "testkit/scratch_dir.h"
#include "testkit/testkit.h"
#include "trading/strategy.h"
#include "venue/simulated_exchange.h"

namespace nacre {
namespace {

using testkit::Inr;
using testkit::MakeQuote;
using testkit::Px;
using testkit::Qty;

class PlainStrategy final : public Strategy {
 public:
  explicit PlainStrategy(const char* id) : Strategy(StrategyId(id)) {}
  using Strategy::order_factory;
  using Strategy::SubmitOrder;
};

class KillSwitchTest : public testkit::ScratchDirTest {
 protected:
  KillSwitchTest() {
    SimulatedVenueConfig config;
    config.venue = Venue("NFO");
    config.account_id = AccountId("SIM-001");
    auto venue = std::make_unique<SimulatedExchange>(SimulatedExchangeConfig::Simple(config));
    venue_ = venue.get();
    k().exec_engine().RegisterClient(std::move(venue));
    for (const Instrument& i : {short_, long_}) {
      k().cache().AddInstrument(i);
      venue_->AddInstrument(i);
    }
    k().cache().AddAccount(std::make_unique<Account>(AccountId("SIM-001"), AccountType::kMargin,
                                                     Inr("1000000.00"), tk_.now()),
                           Venue("NFO"));
    k().portfolio().ManageAccount(AccountId("SIM-001"));
    for (const char* id : {"S-001", "S-002"}) {
      auto s = std::make_unique<PlainStrategy>(id);
      strategies_.push_back(s.get());
      EXPECT_TRUE(k().trader().AddStrategy(std::move(s)).ok());
    }
    EXPECT_TRUE(k().Start().ok()) << k().halt_reason();
    ks_ = std::make_unique<KillSwitch>(k());
    Quote(short_, "100.00", "100.50");
    Quote(long_, "70.00", "70.50");
  }

  Kernel& k() { return tk_.kernel(); }
  PlainStrategy& s(std::size_t i = 0) { return *strategies_[i]; }
  // The venue works the commands waiting for it, as a handler of the kernel's loop (so what
  // its events cause is sent after it, as in a run).
  void Ack() {
    k().loop().Run([this] { venue_->ProcessCommands(); });
  }
  // A quote the cache and the venue both see.
  void Quote(const Instrument& i, const char* bid, const char* ask) {
    const QuoteTick q = MakeQuote(i.id, bid, ask, tk_.now());
    k().data_engine().Process(q);
    venue_->OnQuote(q);
  }
  const Order* Send(PlainStrategy& st, const Instrument& i, OrderSide side, std::int64_t qty,
                    const char* px) {
    return st.SubmitOrder(st.order_factory().Limit(i.id, side, Qty(qty), Px(px)));
  }
  // A bull put held by S-001: short the 24000 put, long the 23900 wing, one lot each.
  void OpenBullPut(std::int64_t qty = 65) {
    Send(s(), long_, OrderSide::kBuy, qty, "70.50");
    Send(s(), short_, OrderSide::kSell, qty, "100.00");
    Ack();
    ASSERT_EQ(Net(short_), -qty);
    ASSERT_EQ(Net(long_), qty);
  }
  std::int64_t Net(const Instrument& i) {
    return k().portfolio().NetPositionRaw(i.id) / kFixedScale;
  }
  const Order* Flat(std::size_t n) { return k().cache().order(ks_->flatten_orders().at(n)); }
  TradingState State() { return k().risk_engine().trading_state(); }

  testkit::TestKernel tk_;
  SimulatedExchange* venue_ = nullptr;
  std::vector<PlainStrategy*> strategies_;
  std::unique_ptr<KillSwitch> ks_;
  const Instrument short_ = testkit::NiftyOption(OptionKind::kPut, "24000");  // lot 65
  const Instrument long_ = testkit::NiftyOption(OptionKind::kPut, "23900");
};

TEST_F(KillSwitchTest, FlattenCancelsThenBuysBackTheShortAndOnlyThenSellsTheLong) {
  OpenBullPut();
  const Order* resting = Send(s(1), short_, OrderSide::kBuy, 65, "80.00");  // another strategy's
  Ack();
  ASSERT_EQ(resting->status(), OrderStatus::kAccepted);

  auto r = ks_->Flatten("test");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(*r,
            "trading HALTED; flatten started: 1 cancel sent; 1 short and 1 long positions open");
  EXPECT_EQ(State(), TradingState::kHalted);
  // First the working order is cancelled; nothing closes until the cancel is through.
  EXPECT_EQ(resting->status(), OrderStatus::kPendingCancel);
  EXPECT_EQ(ks_->flatten_phase(), KillSwitch::FlattenPhase::kCancelling);
  EXPECT_TRUE(ks_->flatten_orders().empty());
  Ack();
  EXPECT_EQ(resting->status(), OrderStatus::kCanceled);
  // Then the short is bought back, at the ask plus 2% on the tick (100.50 → 102.55), under
  // its own strategy, and the long is not touched while the short is open.
  ASSERT_EQ(ks_->flatten_orders().size(), 1u);
  const Order* buy = Flat(0);
  EXPECT_EQ(ks_->flatten_phase(), KillSwitch::FlattenPhase::kShorts);
  EXPECT_EQ(buy->instrument_id(), short_.id);
  EXPECT_EQ(buy->side(), OrderSide::kBuy);
  EXPECT_EQ(buy->order_type(), OrderType::kLimit);
  EXPECT_EQ(*buy->price(), Px("102.55"));
  EXPECT_EQ(buy->quantity(), Qty(65));
  EXPECT_EQ(buy->strategy_id(), StrategyId("S-001"));
  EXPECT_TRUE(buy->reduce_only());
  EXPECT_EQ(buy->status(), OrderStatus::kSubmitted);  // passed the HALTED risk engine
  // Its fill closes the short, and only that sends the sell of the long (bid 70 - 2% = 68.60).
  Ack();
  EXPECT_EQ(buy->status(), OrderStatus::kFilled);
  EXPECT_EQ(Net(short_), 0);
  ASSERT_EQ(ks_->flatten_orders().size(), 2u);
  const Order* sell = Flat(1);
  EXPECT_EQ(sell->instrument_id(), long_.id);
  EXPECT_EQ(sell->side(), OrderSide::kSell);
  EXPECT_EQ(*sell->price(), Px("68.60"));
  EXPECT_EQ(ks_->flatten_phase(), KillSwitch::FlattenPhase::kLongs);
  Ack();
  EXPECT_EQ(sell->status(), OrderStatus::kFilled);
  EXPECT_EQ(Net(long_), 0);
  EXPECT_EQ(ks_->flatten_phase(), KillSwitch::FlattenPhase::kDone);
  // Still HALTED: a strategy's new order is denied.
  const Order* after = Send(s(), long_, OrderSide::kBuy, 65, "70.50");
  EXPECT_EQ(after->status(), OrderStatus::kDenied);
  EXPECT_EQ(State(), TradingState::kHalted);
}

TEST_F(KillSwitchTest, AnUnfilledBuyBackHoldsTheLongsAndIsRepricedAtTheNewTouch) {
  OpenBullPut();
  // The market has run away at the venue before the node heard: the buy-back, priced from the
  // 100.50 ask the node knows, rests at 102.55 under a 110 ask.
  venue_->OnQuote(MakeQuote(short_.id, "109.00", "110.00", tk_.now()));
  ASSERT_TRUE(ks_->Flatten("test").ok());
  ASSERT_EQ(ks_->flatten_orders().size(), 1u);  // nothing to cancel: the buy-back goes at once
  EXPECT_EQ(*Flat(0)->price(), Px("102.55"));
  Ack();
  EXPECT_EQ(Flat(0)->status(), OrderStatus::kAccepted);
  Quote(short_, "109.00", "110.00");
  tk_.Advance(4 * kNanosPerSecond);
  Ack();
  EXPECT_EQ(ks_->flatten_orders().size(), 1u);  // no sell of the long while short
  // After 5 s it is cancelled and sent again at the new touch (110 + 2% = 112.20).
  tk_.Advance(kNanosPerSecond);
  EXPECT_EQ(Flat(0)->status(), OrderStatus::kPendingCancel);
  Ack();
  EXPECT_EQ(Flat(0)->status(), OrderStatus::kCanceled);
  ASSERT_EQ(ks_->flatten_orders().size(), 2u);
  EXPECT_EQ(Flat(1)->side(), OrderSide::kBuy);
  EXPECT_EQ(*Flat(1)->price(), Px("112.20"));
  Ack();
  EXPECT_EQ(Net(short_), 0);
  ASSERT_EQ(ks_->flatten_orders().size(), 3u);
  EXPECT_EQ(Flat(2)->side(), OrderSide::kSell);
  Ack();
  EXPECT_EQ(ks_->flatten_phase(), KillSwitch::FlattenPhase::kDone);
}

TEST_F(KillSwitchTest, FlattenSplitsAtTheFreezeQuantity) {
  // 30 lots short (two orders of 15): the freeze (1,800) allows 27 lots in one order.
  Send(s(), short_, OrderSide::kSell, 975, "100.00");
  Send(s(), short_, OrderSide::kSell, 975, "100.00");
  Ack();
  ASSERT_EQ(Net(short_), -1950);
  ASSERT_TRUE(ks_->Flatten("freeze").ok());
  ASSERT_EQ(ks_->flatten_orders().size(), 2u);
  EXPECT_EQ(Flat(0)->quantity(), Qty(1755));
  EXPECT_EQ(Flat(1)->quantity(), Qty(195));
  Ack();
  EXPECT_EQ(Net(short_), 0);
  EXPECT_EQ(ks_->flatten_phase(), KillSwitch::FlattenPhase::kDone);
}

TEST_F(KillSwitchTest, CancelAllCancelsEveryStrategysOrdersAndHalts) {
  const Order* a = Send(s(0), short_, OrderSide::kBuy, 65, "90.00");
  const Order* b = Send(s(1), long_, OrderSide::kSell, 65, "80.00");
  Ack();
  ASSERT_EQ(a->status(), OrderStatus::kAccepted);
  ASSERT_EQ(b->status(), OrderStatus::kAccepted);
  auto r = ks_->CancelAll("test");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "trading HALTED; 2 cancels sent");
  EXPECT_EQ(State(), TradingState::kHalted);
  Ack();
  EXPECT_EQ(a->status(), OrderStatus::kCanceled);
  EXPECT_EQ(b->status(), OrderStatus::kCanceled);
  EXPECT_EQ(*ks_->CancelAll("again"), "trading HALTED; 0 cancels sent");
}

TEST_F(KillSwitchTest, HaltAndResumeOnlyFromAManualHalt) {
  EXPECT_EQ(ks_->Resume().error(), "trading is ACTIVE: nothing to resume");
  ASSERT_EQ(*ks_->Halt("lunch"), "trading HALTED (manual halt: lunch)");
  EXPECT_TRUE(ks_->manually_halted());
  EXPECT_EQ(Send(s(), long_, OrderSide::kBuy, 65, "70.50")->status(), OrderStatus::kDenied);
  ASSERT_EQ(*ks_->Resume(), "trading ACTIVE (resumed by the operator)");
  EXPECT_NE(Send(s(), long_, OrderSide::kBuy, 65, "70.50")->status(), OrderStatus::kDenied);

  // A halt the kernel set (a handler failure) is not the operator's to lift.
  k().risk_engine().SetTradingState(TradingState::kHalted, "handler failed: boom");
  EXPECT_EQ(ks_->Resume().error(),
            "trading is HALTED by handler failed: boom, not by a manual halt: a resume cannot "
            "lift it");
  // Nor a fault's (a journal error), even after a manual halt on top: that keeps the fault's
  // reason.
  k().HaltOnFault("journal: disk I/O error");
  EXPECT_EQ(*ks_->Halt("me too"), "trading HALTED (journal: disk I/O error)");
  EXPECT_EQ(ks_->Resume().error(),
            "halted by a fault: journal: disk I/O error; a manual resume cannot lift it (restart "
            "the node once it is fixed)");
}

TEST_F(KillSwitchTest, AKillFileThatAppearsWhileAStartsHaltStandsIsNotLiftedByTheNextStart) {
  // The kernel is HALTED by a fault (as by a failed start) when the kill file appears: the
  // switch cannot set its halt over that one, so the next clean start sets it before lifting
  // the other (before, the start lifted the fault's halt and traded with the kill file there).
  k().SetStartHaltVeto([this] { return ks_->StartHaltVeto(); });
  const std::string path = (dir_ / "KILL").string();
  k().HaltOnFault("kernel start, portfolio phase: no price");
  { std::ofstream(path) << "stop\n"; }
  ks_->CheckKillFile(path);
  EXPECT_EQ(k().risk_engine().trading_state_reason(), "kernel start, portfolio phase: no price");
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  EXPECT_EQ(State(), TradingState::kHalted);
  EXPECT_EQ(k().risk_engine().trading_state_reason(), "manual halt: kill file " + path);
  EXPECT_EQ(Send(s(), long_, OrderSide::kBuy, 65, "70.50")->status(), OrderStatus::kDenied);
  // The operator's way out, as for any kill-file halt.
  EXPECT_EQ(ks_->Resume().error(), "the kill file " + path + " exists: remove it first");
  std::filesystem::remove(path);
  ks_->CheckKillFile(path);
  ASSERT_TRUE(ks_->Resume().ok());
  // With nothing asked meanwhile, a clean start lifts the fault's halt, as before.
  k().HaltOnFault("journal: disk I/O error");
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  EXPECT_EQ(State(), TradingState::kActive);
}

TEST_F(KillSwitchTest, AHaltSetBeforeAFailedStartIsNotLiftedByTheRetry) {
  // The kill file was there at launch (the switch halted while trading was ACTIVE); the start
  // then failed, its halt replacing the switch's reason. The retry must not lift it (before, it
  // did: the reason was the failed start's, and the kill file was already acted on).
  k().SetStartHaltVeto([this] { return ks_->StartHaltVeto(); });
  const std::string path = (dir_ / "KILL").string();
  { std::ofstream(path) << "stop\n"; }
  ks_->CheckKillFile(path);
  ASSERT_TRUE(ks_->manually_halted());
  k().HaltOnFault("kernel start, portfolio phase: no price");  // as the failed start's fail()
  ASSERT_FALSE(ks_->manually_halted());
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  EXPECT_EQ(State(), TradingState::kHalted);
  EXPECT_EQ(k().risk_engine().trading_state_reason(), "manual halt: kill file " + path);
  // A manual halt the same way, with the file gone: still held, and the operator resumes it.
  std::filesystem::remove(path);
  ks_->CheckKillFile(path);
  ASSERT_TRUE(ks_->Resume().ok());
  ASSERT_TRUE(ks_->Halt("lunch").ok());
  k().HaltOnFault("kernel start, reconcile phase: venue down");
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  EXPECT_EQ(k().risk_engine().trading_state_reason(), "manual halt: lunch");
  ASSERT_TRUE(ks_->Resume().ok());
  EXPECT_EQ(State(), TradingState::kActive);
}

TEST_F(KillSwitchTest, AFlattenFileBeforeTheStartHasReconciledOnlyHaltsThenFlattens) {
  // A kernel not started yet (the node checks the kill file before its start): "flatten" halts
  // and waits, since the books are not yet the venue's; once the kernel has started, the same
  // switch's next look flattens, once.
  testkit::TestKernel tk;
  KillSwitch ks(tk.kernel());
  const std::string path = (dir_ / "KILL").string();
  { std::ofstream(path) << "flatten\n"; }
  ks.CheckKillFile(path);
  EXPECT_EQ(tk.kernel().risk_engine().trading_state(), TradingState::kHalted);
  EXPECT_EQ(ks.flatten_phase(), KillSwitch::FlattenPhase::kIdle);
  ASSERT_TRUE(tk.kernel().Start().ok()) << tk.kernel().halt_reason();
  EXPECT_EQ(tk.kernel().risk_engine().trading_state(), TradingState::kHalted);
  ks.CheckKillFile(path);
  EXPECT_NE(ks.flatten_phase(), KillSwitch::FlattenPhase::kIdle);
  EXPECT_NE(ks.StatusJson().find("\"reason\":\"kill file " + path), std::string::npos)
      << ks.StatusJson();
}

TEST_F(KillSwitchTest, HaltsAskedForDuringAnotherWaitAndAreWithdrawnOnlyByTheirOwnCause) {
  // A fault halts the kernel; Kite's token refusal, an operator and the kill file ask for
  // halts meanwhile: they wait (listed in the status). The kill file's removal takes back its
  // own; Kite's new session withdraws Kite's; the operator's is what the retried start sets.
  k().SetStartHaltVeto([this] { return ks_->StartHaltVeto(); });
  const std::string path = (dir_ / "KILL").string();
  k().HaltOnFault("kernel start, portfolio phase: no price");
  ASSERT_TRUE(ks_->Halt("Kite session refused").ok());
  ASSERT_TRUE(ks_->Halt("operator").ok());
  { std::ofstream(path) << "stop\n"; }
  ks_->CheckKillFile(path);
  const std::string status = ks_->StatusJson();
  EXPECT_NE(status.find("\"pending_halts\":[\"manual halt: Kite session refused\","
                        "\"manual halt: operator\",\"manual halt: kill file " + path + "\"]"),
            std::string::npos)
      << status;
  std::filesystem::remove(path);
  ks_->CheckKillFile(path);
  EXPECT_EQ(*ks_->Withdraw("Kite session refused"), "no halt of that reason stands");
  EXPECT_EQ(ks_->StatusJson().find("Kite session refused"), std::string::npos);
  ASSERT_TRUE(k().Start().ok()) << k().halt_reason();
  EXPECT_EQ(State(), TradingState::kHalted);
  EXPECT_EQ(k().risk_engine().trading_state_reason(), "manual halt: operator");
  // Kite's halt standing is lifted by its withdrawal as by a resume; another's is not.
  EXPECT_EQ(ks_->Withdraw("Kite session refused").value(),
            "no halt of that reason stands");
  EXPECT_EQ(State(), TradingState::kHalted);
  ASSERT_TRUE(ks_->Resume().ok());
  ASSERT_TRUE(ks_->Halt("Kite session refused").ok());
  ASSERT_TRUE(ks_->Withdraw("Kite session refused").ok());
  EXPECT_EQ(State(), TradingState::kActive);
}

TEST_F(KillSwitchTest, EachHaltIsWithdrawnOnlyByItsOwnCauseAndWaitingOnesSurviveALift) {
  // The operator halts; overnight Kite's session is refused and Kite halts too: withdrawing
  // Kite's (a new login) leaves the operator's standing (before, Kite's replaced it and its
  // withdrawal resumed trading).
  ASSERT_TRUE(ks_->Halt("operator").ok());
  ASSERT_TRUE(ks_->Halt("Kite session refused").ok());
  EXPECT_EQ(k().risk_engine().trading_state_reason(), "manual halt: operator");
  // Both stand, as the status lists them.
  EXPECT_NE(ks_->StatusJson().find("\"manual_halts\":[\"manual halt: operator\","
                                   "\"manual halt: Kite session refused\"]"),
            std::string::npos)
      << ks_->StatusJson();
  EXPECT_EQ(*ks_->Withdraw("Kite session refused"),
            "withdrawn; trading stays HALTED (manual halt: operator)");
  EXPECT_EQ(State(), TradingState::kHalted);
  // Withdrawing the reason shown moves to the next one standing.
  ASSERT_TRUE(ks_->Halt("Kite session refused").ok());
  ASSERT_TRUE(ks_->Withdraw("operator").ok());
  EXPECT_EQ(k().risk_engine().trading_state_reason(), "manual halt: Kite session refused");
  ASSERT_TRUE(ks_->Resume().ok());
  // A halt waiting behind another (the loss limit's, here a fault's) is set when that one is
  // lifted without a start (the next IST day's reset).
  k().risk_engine().SetTradingState(TradingState::kHalted, "LIVE_DAILY_LOSS_HARD");
  ASSERT_TRUE(ks_->Halt("operator").ok());
  k().risk_engine().SetTradingState(TradingState::kActive, "new IST day");
  EXPECT_EQ(State(), TradingState::kHalted);
  EXPECT_EQ(k().risk_engine().trading_state_reason(), "manual halt: operator");
  ASSERT_TRUE(ks_->Resume().ok());
  // The kill file still there when trading was made ACTIVE again: it halts again.
  const std::string path = (dir_ / "KILL").string();
  { std::ofstream(path) << "stop\n"; }
  ks_->CheckKillFile(path);
  ASSERT_EQ(State(), TradingState::kHalted);
  k().risk_engine().SetTradingState(TradingState::kActive, "lifted by someone else");
  ks_->CheckKillFile(path);
  EXPECT_EQ(State(), TradingState::kHalted);
  EXPECT_EQ(k().risk_engine().trading_state_reason(), "manual halt: kill file " + path);
}

TEST_F(KillSwitchTest, CancelAllAlsoCancelsAnOtoChildHeldForAFilledParent) {
  // As a restart leaves it until its start is through: the parent's fill applied (the journal's
  // replay, contingencies still), the child held, never sent. Cancel-all cancels it (before, it
  // was not a working order, and the start's end released it after everything was cancelled).
  OrderInitialized p = testkit::MakeInit(long_, "O-P", OrderSide::kBuy, 65, "70.50");
  OrderInitialized c = testkit::MakeInit(long_, "O-C", OrderSide::kSell, 65, "90.00");
  p.order_list_id = c.order_list_id = OrderListId("OL-1");
  p.contingency = ContingencyType::kOto;
  p.linked_order_ids = {c.client_order_id};
  c.parent_order_id = p.client_order_id;
  const Order* parent = testkit::AddOrder(k(), p);
  const Order* child = testkit::AddOrder(k(), c);
  {
    const ExecutionEngine::ContingenciesSuspended replay(k().exec_engine());
    const std::int64_t ts = k().clock().Now().value;
    k().exec_engine().Process(testkit::MakeEvent<OrderSubmitted>(long_, "O-P", ts));
    k().exec_engine().Process(testkit::MakeEvent<OrderAccepted>(long_, "O-P", ts));
    k().exec_engine().Process(
        testkit::MakeFill(long_, "O-P", "T-1", OrderSide::kBuy, 65, "70.50", "0", ts));
  }
  ASSERT_EQ(parent->status(), OrderStatus::kFilled);
  ASSERT_EQ(child->status(), OrderStatus::kInitialized);
  ASSERT_TRUE(ks_->CancelAll("test").ok());
  EXPECT_EQ(child->status(), OrderStatus::kCanceled);
}

TEST_F(KillSwitchTest, KillFileHaltsOrFlattensOncePerAppearance) {
  const std::string path = (dir_ / "KILL").string();
  ks_->CheckKillFile(path);
  EXPECT_EQ(State(), TradingState::kActive);
  { std::ofstream(path) << "stop\n"; }
  ks_->CheckKillFile(path);
  EXPECT_EQ(State(), TradingState::kHalted);
  EXPECT_EQ(k().risk_engine().trading_state_reason(), "manual halt: kill file " + path);
  EXPECT_EQ(ks_->Resume().error(), "the kill file " + path + " exists: remove it first");
  std::filesystem::remove(path);
  ks_->CheckKillFile(path);
  ASSERT_TRUE(ks_->Resume().ok());
  // "flatten" in the file flattens.
  OpenBullPut();
  { std::ofstream(path) << "FLATTEN\n"; }
  ks_->CheckKillFile(path);
  EXPECT_EQ(State(), TradingState::kHalted);
  ASSERT_EQ(ks_->flatten_orders().size(), 1u);
  ks_->CheckKillFile(path);  // still there: nothing more
  EXPECT_EQ(ks_->flatten_orders().size(), 1u);
  Ack();
  Ack();
  EXPECT_EQ(ks_->flatten_phase(), KillSwitch::FlattenPhase::kDone);
  EXPECT_EQ(Net(short_), 0);
  EXPECT_EQ(Net(long_), 0);
}

TEST_F(KillSwitchTest, StatusListsStateOrdersAndNetPositions) {
  OpenBullPut();
  Send(s(1), short_, OrderSide::kBuy, 65, "80.00");
  Ack();
  ASSERT_TRUE(ks_->Halt("check").ok());
  const auto j = nlohmann::json::parse(ks_->StatusJson());
  EXPECT_EQ(j["trading_state"], "HALTED");
  EXPECT_EQ(j["reason"], "manual halt: check");
  EXPECT_EQ(j["halted_by"], "manual");
  ASSERT_EQ(j["open_orders"].size(), 1u);
  EXPECT_EQ(j["open_orders"][0]["strategy_id"], "S-002");
  EXPECT_EQ(j["open_orders"][0]["price"], "80.00");
  ASSERT_EQ(j["positions"].size(), 2u);
  EXPECT_EQ(j["positions"][0]["instrument_id"], long_.id.value());
  EXPECT_EQ(j["positions"][0]["side"], "LONG");
  EXPECT_EQ(j["positions"][1]["side"], "SHORT");
  EXPECT_EQ(j["positions"][1]["quantity"], "65");
  EXPECT_TRUE(j["kill_file"].is_null());
  EXPECT_EQ(j["flatten"]["phase"], "idle");
}

// The daily loss limits and the operator: a manual halt over REDUCING resumes to REDUCING, and
// the hard limit's halt is not the operator's to lift.
TEST(KillSwitchLossLimits, ResumeGoesBackToWhatTheDaysLossAllows) {
  KernelConfig config = testkit::QuietKernelConfig();
  config.risk_engine.live.daily_loss_soft = Inr("1000.00");
  config.risk_engine.live.daily_loss_hard = Inr("2000.00");
  testkit::TestKernel tk(config);
  tk->exec_engine().RegisterClient(std::make_unique<testkit::RecordingExecClient>("NFO", "NFO"));
  const Instrument call = testkit::NiftyOption();
  tk->cache().AddInstrument(call);
  testkit::AddMissingAccounts(tk.kernel());
  ASSERT_TRUE(tk->Start().ok());
  KillSwitch ks(tk.kernel());
  auto quote = [&](const char* bid) {
    tk.Advance(kNanosPerSecond);
    tk->data_engine().Process(MakeQuote(call.id, bid, "100.00", tk.now()));
  };
  quote("100.00");
  testkit::FillThroughEngine(tk.kernel(), call, "LONG", OrderSide::kBuy, 65, "100");
  quote("84.00");  // 65 × 16 = 1,040 lost
  ASSERT_EQ(tk->risk_engine().trading_state(), TradingState::kReducing);
  ASSERT_EQ(*ks.Halt("look"), "trading HALTED (manual halt: look)");
  EXPECT_EQ(*ks.Resume(),
            "trading REDUCING (LIVE_DAILY_LOSS_SOFT: loss=₹1,040.00 limit=₹1,000.00)");
  quote("69.00");  // 2,015 lost
  ASSERT_EQ(tk->risk_engine().trading_state(), TradingState::kHalted);
  EXPECT_EQ(*ks.Halt("again"),
            "trading HALTED (LIVE_DAILY_LOSS_HARD: loss=₹2,015.00 limit=₹2,000.00)");
  EXPECT_EQ(ks.Resume().error(),
            "trading is HALTED by LIVE_DAILY_LOSS_HARD: loss=₹2,015.00 limit=₹2,000.00, not by a "
            "manual halt: a resume cannot lift it");
  const auto status = nlohmann::json::parse(ks.StatusJson());
  EXPECT_EQ(status["halted_by"], "loss_limit");
  EXPECT_EQ(status["daily_pnl"], "-2015.00");
}

}  // namespace
}  // namespace nacre
