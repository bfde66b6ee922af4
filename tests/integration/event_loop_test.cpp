// The event loop as a strategy meets it, through the backtest engine and the NSE exchange:
// latency is delivered at exactly submit + latency (never at the next quote), resting orders
// fill at their own limit as the maker within the displayed size, timers run before data of
// the same time, a modify that crosses a fill is an expected race (no warning), and the same
// quotes fed through the inbox by another thread give the same events as the backtest.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "backtest/backtest_engine.h"
#include "testkit/kernel_harness.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::Px;
using testkit::Qty;

const InstrumentId kNifty = MustInstrumentId("NIFTY 50.NSE");
constexpr DurationNs kLatency = 50 * kNanosPerMilli;
constexpr DurationNs kInterval = 5 * kNanosPerMinute;
constexpr DurationNs kResponse = 20 * kNanosPerMilli;  // for the response-latency tests

Instrument Call() {
  InstrumentSpec s;
  s.id = MustInstrumentId("NIFTY2610624000CE.NFO");
  s.lot_size = Quantity::FromInt(65);
  s.freeze_quantity = Quantity::FromInt(1800);
  s.tick_size = Px("0.05");
  return *MakeOption(s, kNifty, OptionKind::kCall, Px("24000"), FromIst(2025, 12, 1, 9, 15),
                     FromIst(2026, 1, 6, 15, 30));
}

UnixNanos T0() { return FromIst(2026, 1, 5, 10, 0); }

// Quotes every 5 minutes from T0: (bid, ask, ask size).
std::vector<QuoteTick> Quotes(const InstrumentId& id,
                              const std::vector<std::tuple<const char*, const char*, int>>& rows) {
  std::vector<QuoteTick> out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& [bid, ask, ask_size] = rows[i];
    out.push_back(testkit::MakeQuote(id, bid, ask, T0() + static_cast<DurationNs>(i) * kInterval,
                                     65, ask_size));
  }
  return out;
}

// Records every order event with the clock time the strategy saw it, and runs a script.
class Scripted final : public Strategy {
 public:
  explicit Scripted(InstrumentId id) : Strategy(StrategyId("SCRIPT-001")), id_(std::move(id)) {}
  using Strategy::clock;
  using Strategy::ModifyOrder;
  using Strategy::order_factory;
  using Strategy::SubmitOrder;
  std::function<void(Scripted&, const QuoteTick&)> on_quote;
  std::function<void(Scripted&)> on_start;
  std::vector<std::string> log;
  std::vector<OrderEvent> events;

  void OnStart() override {
    SubscribeQuoteTicks(id_);
    if (on_start) on_start(*this);
  }
  void OnQuoteTick(const QuoteTick& q) override {
    log.push_back(fmt::format("quote {} @{}", q.bid_price.ToString(), Since()));
    if (on_quote) on_quote(*this, q);
  }
  void OnOrderEvent(const OrderEvent& e) override {
    events.push_back(e);
    std::string extra;
    if (const auto* f = std::get_if<OrderFilled>(&e)) {
      extra = fmt::format(" {}x{} {}", f->last_qty.ToString(), f->last_px.ToString(),
                          f->liquidity_side == LiquiditySide::kMaker ? "MAKER" : "TAKER");
    }
    log.push_back(fmt::format("{} {}{} @{}", EventName(KindOf(e)),
                              HeaderOf(e).client_order_id.value(), extra, Since()));
  }
  // Milliseconds since T0 by the kernel clock.
  std::int64_t Since() { return (clock().Now() - T0()) / kNanosPerMilli; }
  const InstrumentId& id() const { return id_; }

 private:
  InstrumentId id_;
};

std::unique_ptr<BacktestEngine> Engine(const Instrument& inst, DurationNs response = 0) {
  KernelConfig kc;
  kc.log_sink = nullptr;
  auto engine = std::make_unique<BacktestEngine>(kc);
  BacktestVenueConfig vc;
  vc.venue.venue = Venue("NFO");
  vc.venue.account_id = AccountId("NFO-001");
  vc.exchange = SimulatedExchangeConfig{};
  vc.exchange->charges = false;
  vc.exchange->margin_check = false;
  vc.exchange->latency.submit = kLatency;
  vc.exchange->latency.modify = kLatency;
  vc.exchange->latency.cancel = kLatency;
  vc.exchange->latency.response = response;
  EXPECT_TRUE(engine->AddVenue(vc).ok());
  engine->AddInstrument(*MakeIndex(kNifty, 2, Px("0.05")));
  engine->AddInstrument(inst);
  return engine;
}

// A scripted strategy on `call`, added to `engine` (which owns it).
Scripted* AddScripted(BacktestEngine& engine, const Instrument& call) {
  auto s = std::make_unique<Scripted>(call.id);
  Scripted* st = s.get();
  EXPECT_TRUE(engine.AddStrategy(std::move(s)).ok());
  return st;
}

TEST(EventLoopBacktest, AckAndFillArriveAtSubmitPlusLatencyNotAtTheNextQuote) {
  const Instrument call = Call();
  auto engine = Engine(call);
  auto s = std::make_unique<Scripted>(call.id);
  Scripted* st = s.get();
  int n = 0;
  st->on_quote = [&n](Scripted& self, const QuoteTick& q) {
    if (n++ != 0) return;
    // Marketable buy (takes the 100.10 ask) and a resting buy at 99 below the market.
    self.SubmitOrder(self.order_factory().Limit(self.id(), OrderSide::kBuy, Qty(65), Px("100.10")));
    self.SubmitOrder(self.order_factory().Limit(self.id(), OrderSide::kBuy, Qty(130), Px("99")));
    (void)q;
  };
  ASSERT_TRUE(engine->AddStrategy(std::move(s)).ok());
  // 10:00 ask 100.10; 10:05 ask 98.50 for 65 (crosses the resting 99); 10:10 again.
  engine->AddQuotes(Quotes(call.id, {{"100", "100.10", 65}, {"98", "98.50", 65}, {"98", "98.50", 65}}));
  engine->Run();
  const auto& log = st->log;
  const std::string O1 = "O-20260105-043000-001-001-1";
  const std::string O2 = "O-20260105-043000-001-001-2";
  // Submitted at once; accepted and filled 50 ms later, long before the 10:05 quote.
  std::vector<std::string> expect = {
      "quote 100 @0",
      "OrderInitialized " + O1 + " @0",
      "OrderInitialized " + O2 + " @0",
      "OrderSubmitted " + O1 + " @0",
      "OrderSubmitted " + O2 + " @0",
      "OrderAccepted " + O1 + " @50",
      "OrderFilled " + O1 + " 65x100.10 TAKER @50",
      "OrderAccepted " + O2 + " @50",
      // The venue sees each quote before strategies do. The 10:05 quote crosses the resting
      // buy: filled at its limit 99 (not the 98.50 ask), as the maker, for the 65 displayed;
      // the rest waits for the next quote.
      "OrderFilled " + O2 + " 65x99 MAKER @300000",
      "quote 98 @300000",
      "OrderFilled " + O2 + " 65x99 MAKER @600000",
      "quote 98 @600000",
  };
  EXPECT_EQ(log, expect);
}

TEST(EventLoopBacktest, TimerAtAQuotesTimeRunsFirstAndAModifyCrossingTheFillIsAnExpectedRace) {
  const Instrument call = Call();
  auto engine = Engine(call);
  auto s = std::make_unique<Scripted>(call.id);
  Scripted* st = s.get();
  const Order* resting = nullptr;
  int n = 0;
  st->on_quote = [&](Scripted& self, const QuoteTick&) {
    if (n++ != 0) return;
    resting =
        self.SubmitOrder(self.order_factory().Limit(self.id(), OrderSide::kBuy, Qty(65), Px("99")));
    // A re-price timer due exactly when the next quote comes (10:05).
    ASSERT_TRUE(self.clock().SetTimeAlert("reprice", T0() + kInterval, [&self, &resting](const TimeEvent&) {
      self.log.push_back(fmt::format("timer @{}", self.Since()));
      self.ModifyOrder(*resting, std::nullopt, Px("99.50"));
    }));
  };
  ASSERT_TRUE(engine->AddStrategy(std::move(s)).ok());
  engine->AddQuotes(Quotes(call.id, {{"98", "100", 65}, {"97", "98.50", 65}, {"97", "98.50", 65}}));
  engine->Run();
  const std::string O1 = "O-20260105-043000-001-001-1";
  const std::vector<std::string> expect = {
      "quote 98 @0",
      "OrderInitialized " + O1 + " @0",
      "OrderSubmitted " + O1 + " @0",
      "OrderAccepted " + O1 + " @50",
      "timer @300000",  // before the data of the same time
      "OrderPendingUpdate " + O1 + " @300000",
      "OrderFilled " + O1 + " 65x99 MAKER @300000",  // the 10:05 quote reaches the venue
      "quote 97 @300000",
      // The modify reaches the venue 50 ms later: the order is gone.
      "OrderModifyRejected " + O1 + " @300050",
      "quote 97 @600000",
  };
  EXPECT_EQ(st->log, expect);
  ASSERT_NE(resting, nullptr);
  EXPECT_EQ(resting->status(), OrderStatus::kFilled);
  EXPECT_EQ(resting->avg_px(), Px("99"));
  // An expected race: told to the strategy, but no warning anywhere.
  EXPECT_EQ(engine->kernel().logger().warning_count(), 0u);
  EXPECT_EQ(engine->kernel().exec_engine().refused_event_count(), 0u);
}

// The venue acts 50 ms after the submit; the kernel hears of it 20 ms later. Meanwhile the
// kernel still has the order SUBMITTED while the venue's ledger has it filled.
TEST(EventLoopBacktest, ResponseLatencyDelaysWhatTheKernelHearsNotWhatTheVenueDid) {
  const Instrument call = Call();
  auto engine = Engine(call, kResponse);
  SimulatedExchange* venue = engine->exchange(Venue("NFO"));
  ASSERT_NE(venue, nullptr);
  Scripted* st = AddScripted(*engine, call);
  int n = 0;
  st->on_quote = [&](Scripted& self, const QuoteTick&) {
    if (n++ != 0) return;
    const Order* o =
        self.SubmitOrder(self.order_factory().Limit(self.id(), OrderSide::kBuy, Qty(65), Px("100.10")));
    ASSERT_TRUE(self.clock().SetTimeAlert("peek", T0() + 60 * kNanosPerMilli,
                                          [&self, o, venue](const TimeEvent&) {
      const VenueOrder* v = venue->order(o->client_order_id());
      self.log.push_back(fmt::format("peek @{}: kernel {}, venue {}", self.Since(),
                                     ToString(o->status()),
                                     v != nullptr ? ToString(v->status) : "none"));
    }));
  };
  engine->AddQuotes(Quotes(call.id, {{"100", "100.10", 65}, {"98", "98.50", 65}}));
  engine->Run();
  const std::string O1 = "O-20260105-043000-001-001-1";
  const std::vector<std::string> expect = {
      "quote 100 @0",
      "OrderInitialized " + O1 + " @0",
      "OrderSubmitted " + O1 + " @0",
      "peek @60: kernel SUBMITTED, venue FILLED",
      "OrderAccepted " + O1 + " @70",
      "OrderFilled " + O1 + " 65x100.10 TAKER @70",
      "quote 98 @300000",
  };
  EXPECT_EQ(st->log, expect);
  // The fill says when the venue filled it and when the kernel received it.
  const OrderFilled* fill = nullptr;
  for (const OrderEvent& e : st->events) {
    if (const auto* f = std::get_if<OrderFilled>(&e)) fill = f;
  }
  ASSERT_NE(fill, nullptr);
  EXPECT_EQ(fill->ts_event, T0() + kLatency);
  EXPECT_EQ(fill->ts_init, T0() + kLatency + kResponse);
}

// Several responses in flight at once share the client's delay slots; a run that ends with
// responses still in flight leaves them to the reset, and the rerun hears exactly the same.
TEST(EventLoopBacktest, ResponsesInFlightTogetherArriveInTheVenuesOrderRunAfterRun) {
  const Instrument call = Call();
  auto engine = Engine(call, kResponse);
  Scripted* st = AddScripted(*engine, call);
  // At the first two quotes: a buy at the ask (accepted and filled) and one resting far below.
  int n = 0;
  st->on_quote = [&n](Scripted& self, const QuoteTick& q) {
    if (n++ >= 2) return;
    self.SubmitOrder(self.order_factory().Limit(self.id(), OrderSide::kBuy, Qty(65), q.ask_price));
    self.SubmitOrder(self.order_factory().Limit(self.id(), OrderSide::kBuy, Qty(65), Px("90")));
  };
  std::vector<QuoteTick> quotes = Quotes(call.id, {{"100", "100.10", 65}, {"99", "99.50", 65}});
  // The last data 60 ms after the second quote: its orders reached the venue at 50 ms and
  // were answered, but the answers reach the kernel at 70 ms, past the run's end.
  quotes.push_back(testkit::MakeQuote(call.id, "98", "98.50", T0() + kInterval + 60 * kNanosPerMilli,
                                      65, 65));
  engine->AddQuotes(quotes);
  SimulatedExchange* venue = engine->exchange(Venue("NFO"));
  ASSERT_NE(venue, nullptr);
  const std::string O1 = "O-20260105-043000-001-001-1";
  const std::string O2 = "O-20260105-043000-001-001-2";
  const std::string O3 = "O-20260105-043500-001-001-3";
  const std::string O4 = "O-20260105-043500-001-001-4";
  const std::vector<std::string> expect = {
      "quote 100 @0",
      "OrderInitialized " + O1 + " @0",
      "OrderInitialized " + O2 + " @0",
      "OrderSubmitted " + O1 + " @0",
      "OrderSubmitted " + O2 + " @0",
      "OrderAccepted " + O1 + " @70",
      "OrderFilled " + O1 + " 65x100.10 TAKER @70",
      "OrderAccepted " + O2 + " @70",
      "quote 99 @300000",
      "OrderInitialized " + O3 + " @300000",
      "OrderInitialized " + O4 + " @300000",
      "OrderSubmitted " + O3 + " @300000",
      "OrderSubmitted " + O4 + " @300000",
      "quote 98 @300060",
  };
  for (int run = 0; run < 2; ++run) {
    n = 0;
    st->log.clear();
    st->events.clear();
    engine->Run();
    EXPECT_EQ(st->log, expect) << "run " << run;
    // What the venue did at 50 ms reached the kernel 20 ms later, each with its own ids.
    int delayed = 0;
    for (const OrderEvent& e : st->events) {
      const OrderEventHeader& h = HeaderOf(e);
      if (h.ts_init == h.ts_event) continue;  // the kernel's own (initialized, submitted)
      ++delayed;
      EXPECT_EQ(h.ts_event, T0() + kLatency) << EventName(KindOf(e));
      EXPECT_EQ(h.ts_init, T0() + kLatency + kResponse) << EventName(KindOf(e));
    }
    EXPECT_EQ(delayed, 3) << "run " << run;
    // The venue already answered the second quote's orders; the kernel hears it after the end.
    EXPECT_EQ(venue->delayed_pending(), 3u) << "run " << run;
    if (run == 1) {
      // The venue reset alone (the loop still holds the deliveries): they deliver nothing.
      venue->Reset();
      EXPECT_EQ(venue->delayed_pending(), 0u);
      const std::size_t heard = st->log.size();
      // Their deliveries are still in the loop, due at 70 ms.
      EXPECT_EQ(engine->kernel().loop().NextScheduled(), T0() + kInterval + 70 * kNanosPerMilli);
      engine->kernel().loop().AdvanceTo(T0() + kInterval + kNanosPerSecond);
      EXPECT_EQ(st->log.size(), heard);
      for (const std::string& id : {O3, O4}) {
        const Order* o = engine->kernel().cache().order(ClientOrderId(id));
        ASSERT_NE(o, nullptr) << id;
        EXPECT_EQ(o->status(), OrderStatus::kSubmitted) << id;  // the kernel heard nothing
      }
    }
    engine->Reset();
    EXPECT_EQ(venue->delayed_pending(), 0u) << "run " << run;
  }
}

TEST(EventLoopBacktest, QuotesFedThroughTheInboxByAnotherThreadGiveTheBacktestsEvents) {
  const Instrument call = Call();
  std::vector<QuoteTick> quotes;
  for (int i = 0; i < 60; ++i) {
    const char* bid = i % 3 == 0 ? "98" : (i % 3 == 1 ? "100" : "101");
    const char* ask = i % 3 == 0 ? "98.50" : (i % 3 == 1 ? "100.50" : "101.50");
    quotes.push_back(testkit::MakeQuote(call.id, bid, ask, T0() + i * kNanosPerMinute, 65, 65));
  }
  // Every 4th quote: a resting buy at 99 and a marketable sell at the bid.
  auto script = [](Scripted& self, const QuoteTick& q) {
    static_cast<void>(q);
    if (self.log.size() % 4 != 1) return;
    self.SubmitOrder(self.order_factory().Limit(self.id(), OrderSide::kBuy, Qty(65), Px("99")));
    self.SubmitOrder(self.order_factory().Limit(self.id(), OrderSide::kSell, Qty(65), q.bid_price));
  };

  // Backtest.
  auto engine = Engine(call);
  auto bs = std::make_unique<Scripted>(call.id);
  Scripted* backtest = bs.get();
  backtest->on_quote = script;
  ASSERT_TRUE(engine->AddStrategy(std::move(bs)).ok());
  engine->AddQuotes(quotes);
  engine->Run();

  // The same kernel parts driven by the inbox, as a sandbox's I/O thread would feed it.
  KernelConfig kc;
  kc.log_sink = nullptr;
  testkit::TestKernel tk(kc, T0());
  Kernel& k = tk.kernel();
  SimulatedExchangeConfig ec;
  ec.venue = Venue("NFO");
  ec.account_id = AccountId("NFO-001");
  ec.charges = false;
  ec.margin_check = false;
  ec.latency.submit = ec.latency.modify = ec.latency.cancel = kLatency;
  ec.starting_balance = Money::FromInt(1'000'000);
  auto ex = std::make_unique<SimulatedExchange>(ec);
  SimulatedExchange* venue = ex.get();
  venue->AttachLoop(&k.loop());
  k.exec_engine().RegisterClient(std::move(ex));
  for (const Instrument& i : {*MakeIndex(kNifty, 2, Px("0.05")), call}) {
    k.cache().AddInstrument(i);
    venue->AddInstrument(i);
  }
  k.cache().AddAccount(std::make_unique<Account>(AccountId("NFO-001"), AccountType::kMargin,
                                                 Money::FromInt(1'000'000), T0()),
                       Venue("NFO"));
  k.portfolio().ManageAccount(AccountId("NFO-001"));
  auto ls = std::make_unique<Scripted>(call.id);
  Scripted* replay = ls.get();
  replay->on_quote = script;
  ASSERT_TRUE(k.trader().AddStrategy(std::move(ls)).ok());
  k.loop().SetDataHandler([&](const MarketData& d) {
    const auto& q = std::get<QuoteTick>(d);
    venue->OnQuote(q);
    k.data_engine().Process(q);
  });
  ASSERT_TRUE(k.Start().ok()) << k.halt_reason();
  InboxConfig ic;
  ic.conflate_above = 1'000'000;
  Inbox inbox(ic);
  std::thread io([&] {
    for (const QuoteTick& q : quotes) inbox.PushData(q);
    inbox.Close();
  });
  k.loop().RunInbox(inbox);
  io.join();
  k.loop().AdvanceTo(quotes.back().ts_init);

  ASSERT_GT(backtest->log.size(), 100u);
  EXPECT_EQ(replay->log, backtest->log);
}

}  // namespace
}  // namespace nacre
