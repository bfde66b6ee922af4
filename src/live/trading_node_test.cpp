// The sandbox TradingNode through its own loop: a small catalog replayed on the node's replay
// clock into a node with the sandbox venue and a strategy that trades on fixed quotes.
// Covered: orders journaled and matched (the write-ahead mechanism itself, commands held until
// the commit releases them, is tested in execution_engine_test.cpp), cancel-on-stop, a restart
// that resumes with its orders, positions and strategy state and issues no client order id
// twice, a kill between an intent's commit and its send (rejected as lost in flight at
// restart, never duplicated), a second node on the same state refused, a corrupt sandbox
// ledger or journal refused with the reason; the start's waits (a client that never connects,
// one that connects late, an open position with no price, then `ctl reconcile`), flatten at
// stop, spreads in flight reported, and recovery from the journal cut after every entry.
#include "live/trading_node.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "persistence/catalog.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

namespace fs = std::filesystem;
using testkit::Px;
using testkit::Qty;

// Subscribes to one instrument's quotes and counts them; the count is its saved state, so a
// restarted node continues a plan keyed on it instead of repeating it.
class QuoteCounter : public Strategy {
 public:
  QuoteCounter(const StrategyId& id, InstrumentId instrument)
      : Strategy(id), instrument_(std::move(instrument)) {}
  int quotes() const { return quotes_; }
  int starts() const { return starts_; }

 protected:
  void OnStart() override {
    ++starts_;
    SubscribeQuoteTicks(instrument_);
  }
  SavedState OnSave() override { return {{"quotes", std::to_string(quotes_)}}; }
  void OnLoad(const SavedState& s) override {
    if (auto it = s.find("quotes"); it != s.end()) quotes_ = std::stoi(it->second);
  }

  InstrumentId instrument_;
  int quotes_ = 0;

 private:
  int starts_ = 0;
};

// Buys one lot at the ask on its 2nd quote, sells it at the bid on its 4th and leaves a buy
// resting far below the market on its 6th.
class PlanTrader final : public QuoteCounter {
 public:
  using QuoteCounter::QuoteCounter;

 protected:
  void OnQuoteTick(const QuoteTick& q) override {
    ++quotes_;
    if (quotes_ == 2) {
      SubmitOrder(order_factory().Limit(instrument_, OrderSide::kBuy, Qty(65), q.ask_price));
    } else if (quotes_ == 4) {
      SubmitOrder(order_factory().Limit(instrument_, OrderSide::kSell, Qty(65), q.bid_price));
    } else if (quotes_ == 6) {
      SubmitOrder(order_factory().Limit(instrument_, OrderSide::kBuy, Qty(65), Px("50.00")));
    }
  }
};

class NodeTest : public ::testing::Test {
 protected:
  const Instrument call_ = testkit::NiftyOption(OptionKind::kCall, "24000");
  const Instrument put_ = testkit::NiftyOption(OptionKind::kPut, "23900");
  const UnixNanos t0_ = FromIst(2025, 12, 30, 10, 0);
  static constexpr int kQuotes = 10;

  void SetUp() override {
    // Short: the control socket's path must fit a Unix socket address (108 bytes).
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = fs::temp_directory_path() /
           ("nacre_node_" + std::to_string(::getpid()) + "_" +
            std::to_string(std::hash<std::string>{}(test) % 1'000'000));
    fs::remove_all(dir_);
    auto cat = Catalog::Open((dir_ / "catalog").string());
    ASSERT_TRUE(cat.ok()) << cat.error();
    ASSERT_TRUE((*cat)->WriteInstruments(std::vector<Instrument>{call_}).ok());
    std::vector<QuoteTick> quotes;
    for (int i = 0; i < kQuotes; ++i) {
      const UnixNanos t = t0_ + i * kNanosPerMinute;
      quotes.push_back(QuoteTick{call_.id, Px("100.00"), Px("100.10"), Qty(650), Qty(650), t, t});
    }
    ASSERT_TRUE((*cat)->WriteQuotes(call_.id, quotes).ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A node over the catalog: at 6000x a virtual minute every 10 ms of wall time.
  std::unique_ptr<TradingNode> MakeNode(std::optional<UnixNanos> end = std::nullopt,
                                        bool cancel_on_stop = true, double speed = 6000,
                                        const std::function<void(KernelConfig&)>& tweak = {}) {
    NodeSettings s;
    s.state_dir = (dir_ / "state").string();
    s.start = t0_ - kNanosPerSecond;
    s.speed = speed;
    s.end = end;
    s.on_stop = cancel_on_stop ? NodeSettings::OnStop::kCancel : NodeSettings::OnStop::kLeave;
    s.journal_sync = JournalSync::kNormal;
    if (node_tweak_) node_tweak_(s);
    KernelConfig kc;
    kc.log_sink = nullptr;
    if (tweak) tweak(kc);
    auto node = std::make_unique<TradingNode>(s, kc);
    BacktestVenueConfig vc;
    vc.venue.venue = call_.id.venue();
    vc.venue.account_id = AccountId("NFO-001");
    vc.starting_balance = Money::FromInt(1'000'000);
    if (venue_tweak_) venue_tweak_(vc);
    EXPECT_TRUE(node->AddSandboxVenue(vc).ok());
    node->AddInstrument(call_);
    for (const Instrument& i : extra_instruments_) node->AddInstrument(i);
    ReplayDataConfig rc;
    rc.catalog = (dir_ / "catalog").string();
    node->AddReplayClient(rc);
    if (strategy_factory_) {
      EXPECT_TRUE(node->AddStrategy(strategy_factory_()).ok());
      return node;
    }
    auto strategy = std::make_unique<PlanTrader>(StrategyId("PLAN-001"), call_.id);
    strategy_ = strategy.get();
    EXPECT_TRUE(node->AddStrategy(std::move(strategy)).ok());
    return node;
  }

  // `put` in the catalog: 50.00/50.10 for eight minutes, then offered at 48.90 (a buy resting
  // at 49.00 fills at its limit), `offered` at a time, for `offered_minutes` (back to
  // 50.00/50.10 after), for `minutes` minutes.
  void WritePutQuotes(const Instrument& put, Quantity offered = Qty(650),
                      int offered_minutes = kQuotes, int minutes = kQuotes) {
    auto cat = Catalog::Open((dir_ / "catalog").string());
    ASSERT_TRUE(cat.ok()) << cat.error();
    ASSERT_TRUE((*cat)->WriteInstruments(std::vector<Instrument>{call_, put}).ok());
    std::vector<QuoteTick> quotes;
    for (int i = 0; i < minutes; ++i) {
      const UnixNanos t = t0_ + i * kNanosPerMinute;
      const bool on = i >= 8 && i < 8 + offered_minutes;
      quotes.push_back(QuoteTick{put.id, Px(on ? "48.80" : "50.00"), Px(on ? "48.90" : "50.10"),
                                 Qty(650), on ? offered : Qty(650), t, t});
    }
    ASSERT_TRUE((*cat)->WriteQuotes(put.id, quotes).ok());
  }

  // The ListTrader (below) trading `put_` with `contingency` (WritePutQuotes writes its quotes).
  void TradeLists(const char* id, ContingencyType contingency, const char* sell,
                  std::int64_t lots = 1);

  std::unique_ptr<Journal> OpenJournal() {
    JournalOptions o;
    o.create_if_missing = false;
    auto j = Journal::Open((dir_ / "state" / "TRADER-001" / "journal.sqlite").string(), o);
    EXPECT_TRUE(j.ok()) << j.error();
    return j.ok() ? std::move(*j) : nullptr;
  }

  fs::path dir_;
  PlanTrader* strategy_ = nullptr;
  // Set before MakeNode: node settings changed, more instruments, another strategy.
  std::function<void(NodeSettings&)> node_tweak_;
  std::function<void(BacktestVenueConfig&)> venue_tweak_;
  std::vector<Instrument> extra_instruments_;
  std::function<std::unique_ptr<Strategy>()> strategy_factory_;
};

TEST_F(NodeTest, TradesThroughTheSandboxVenueAndJournalsEveryOrder) {
  auto node = MakeNode();
  const NodeRunResult r = node->Run();
  ASSERT_TRUE(r.status.ok()) << r.status.error();
  ASSERT_TRUE(r.start_status.ok()) << r.start_status.error();
  EXPECT_EQ(r.stop_reason, "the replayed data ran out");
  EXPECT_EQ(strategy_->quotes(), kQuotes);
  const Cache& cache = node->kernel().cache();
  ASSERT_EQ(cache.orders_total(), 3u);
  std::size_t filled = 0, canceled = 0;
  for (const Order* o : cache.Orders()) {
    filled += o->status() == OrderStatus::kFilled;
    canceled += o->status() == OrderStatus::kCanceled;
  }
  EXPECT_EQ(filled, 2u);
  EXPECT_EQ(canceled, 1u) << "the resting order is cancelled at stop (on_stop = cancel)";
  // The venue's ledger agrees: flat, and the resting order cancelled there too.
  const SimulatedExchange* venue = node->sandbox_venue(call_.id.venue());
  ASSERT_NE(venue, nullptr);
  for (const auto& [id, p] : venue->positions()) EXPECT_EQ(p.net_raw, 0) << id.value();
  node.reset();
  auto journal = OpenJournal();
  ASSERT_NE(journal, nullptr);
  auto v = journal->Verify();
  ASSERT_TRUE(v.ok()) << v.error();
  EXPECT_TRUE(v->ok()) << v->first_problem;
  EXPECT_EQ(v->orders, 3);
  EXPECT_EQ(v->open_orders, 0);
  EXPECT_EQ(v->fills, 2);
  // Write-ahead order: each order's submit is journaled before anything the venue said of it.
  auto entries = journal->ReadEntries(0);
  ASSERT_TRUE(entries.ok());
  std::map<std::string, std::int64_t> submit_seq;
  for (const StoredEntry& e : *entries) {
    if (e.entry.kind == "SubmitOrder") submit_seq[e.entry.client_order_id] = e.seq;
    if (e.entry.kind == "OrderAccepted" || e.entry.kind == "OrderFilled") {
      ASSERT_TRUE(submit_seq.count(e.entry.client_order_id)) << e.entry.kind;
      EXPECT_LT(submit_seq[e.entry.client_order_id], e.seq);
    }
  }
  auto runs = journal->Runs();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_TRUE(runs->front().clean_stop);
}

TEST_F(NodeTest, RestartResumesOrdersPositionsAndStrategyStateWithoutReissuingIds) {
  std::set<std::string> first_ids;
  UnixNanos first_stopped_at;
  {
    // Stops half a minute after the 7th quote (50 ms of wall time at 600x) with the resting
    // order left working and a position of zero.
    auto node = MakeNode(t0_ + 6 * kNanosPerMinute + 30 * kNanosPerSecond,
                         /*cancel_on_stop=*/false, /*speed=*/600);
    const NodeRunResult r = node->Run();
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    EXPECT_EQ(r.stop_reason, "the configured end time was reached");
    EXPECT_EQ(strategy_->quotes(), 7);
    first_stopped_at = r.stopped_at;
    ASSERT_EQ(node->kernel().cache().orders_open_count(), 1u);
    for (const Order* o : node->kernel().cache().Orders()) first_ids.insert(o->client_order_id().value());
  }
  auto node = MakeNode();
  const NodeRunResult r = node->Run();
  ASSERT_TRUE(r.status.ok()) << r.status.error();
  ASSERT_TRUE(r.start_status.ok()) << "reconciliation with the restored ledger: "
                                   << r.start_status.error();
  EXPECT_TRUE(r.recovered);
  EXPECT_GT(r.entries_replayed, 0);
  EXPECT_GE(r.resumed_at, t0_ + 6 * kNanosPerMinute) << "the clock resumes where it stopped";
  EXPECT_GE(r.resumed_at, first_stopped_at) << "the clock never goes back";
  // The strategy continued its plan with the quotes after the restart (nothing replayed twice:
  // the 7th, at minute 6, was delivered before the stop, and the clock resumed no earlier; no
  // new order). Before, one at the very time it resumed at was delivered again.
  int later = 0;
  for (int i = 0; i < kQuotes; ++i) {
    const UnixNanos t = t0_ + i * kNanosPerMinute;
    later += t >= r.resumed_at && t > t0_ + 6 * kNanosPerMinute;
  }
  EXPECT_EQ(strategy_->quotes(), 7 + later);
  const Cache& cache = node->kernel().cache();
  EXPECT_EQ(cache.orders_total(), 3u) << "the restored orders, none issued again";
  for (const Order* o : cache.Orders()) EXPECT_TRUE(first_ids.count(o->client_order_id().value()));
  // The working order came back open from the journal and was cancelled at this stop.
  EXPECT_EQ(cache.orders_open_count(), 0u);
  std::size_t filled = 0;
  for (const Order* o : cache.Orders()) filled += o->status() == OrderStatus::kFilled;
  EXPECT_EQ(filled, 2u);
}

// On its 2nd quote: a list of a buy resting at 49.00 and a sell at `sell`, `lots` each (OTO:
// the buy is the parent, the sell released when it fills; OCO: either cancels the other; OUO:
// a fill of one reduces the other).
class ListTrader final : public QuoteCounter {
 public:
  ListTrader(const StrategyId& id, InstrumentId instrument, ContingencyType contingency,
             const char* sell, std::int64_t lots = 1)
      : QuoteCounter(id, std::move(instrument)),
        contingency_(contingency),
        sell_(Px(sell)),
        qty_(Qty(65 * lots)) {}

 protected:
  void OnQuoteTick(const QuoteTick&) override {
    if (++quotes_ != 2) return;
    std::vector<std::unique_ptr<Order>> list;
    list.push_back(order_factory().Limit(instrument_, OrderSide::kBuy, qty_, Px("49.00")));
    list.push_back(order_factory().Limit(instrument_, OrderSide::kSell, qty_, sell_));
    SubmitOrderList(std::move(list), contingency_);
  }

 private:
  ContingencyType contingency_;
  Price sell_;
  Quantity qty_;
};

void NodeTest::TradeLists(const char* id, ContingencyType contingency, const char* sell,
                          std::int64_t lots) {
  extra_instruments_ = {put_};
  strategy_factory_ = [this, id, contingency, sell, lots] {
    return std::make_unique<ListTrader>(StrategyId(id), put_.id, contingency, sell, lots);
  };
}

TEST_F(NodeTest, AnOtoChildHeldForItsParentSurvivesARestartAndIsReleasedByItsFill) {
  WritePutQuotes(put_);
  TradeLists("OTO-001", ContingencyType::kOto, "60.00");
  ClientOrderId parent, child;
  {
    // Stops after the 5th quote, the parent working, the child held (on_stop = "leave").
    auto node = MakeNode(t0_ + 4 * kNanosPerMinute + 30 * kNanosPerSecond,
                         /*cancel_on_stop=*/false, /*speed=*/600);
    const NodeRunResult r = node->Run();
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    const Cache& cache = node->kernel().cache();
    ASSERT_EQ(cache.orders_total(), 2u);
    for (const Order* o : cache.Orders()) {
      (o->parent_order_id().empty() ? parent : child) = o->client_order_id();
    }
    ASSERT_EQ(cache.order(parent)->status(), OrderStatus::kAccepted);
    ASSERT_EQ(cache.order(child)->status(), OrderStatus::kInitialized);
  }
  // Restarted: the child is still held (before, it was rejected as lost in flight at the
  // recovery, and the parent's fill released nothing); the fill at minute 8 releases it and
  // the venue gets it.
  auto node = MakeNode(t0_ + 9 * kNanosPerMinute + 30 * kNanosPerSecond,
                       /*cancel_on_stop=*/false, /*speed=*/600);
  const NodeRunResult r = node->Run();
  ASSERT_TRUE(r.status.ok()) << r.status.error();
  ASSERT_TRUE(r.start_status.ok()) << r.start_status.error();
  EXPECT_TRUE(r.recovered);
  const Cache& cache = node->kernel().cache();
  EXPECT_EQ(cache.orders_total(), 2u);
  EXPECT_EQ(cache.order(parent)->status(), OrderStatus::kFilled);
  EXPECT_EQ(*cache.order(parent)->avg_px(), Px("49.00"));
  EXPECT_EQ(cache.order(child)->status(), OrderStatus::kAccepted);
  const SimulatedExchange* venue = node->sandbox_venue(put_.id.venue());
  ASSERT_NE(venue, nullptr);
  EXPECT_NE(venue->order(child), nullptr);
  const std::uint64_t commands = node->kernel().exec_engine().command_count();
  node.reset();
  // Restarted once more: the journal's replay of the parent's fill releases nothing again
  // (before, the replay re-ran the contingency and submitted the child a second time, outside
  // the journal); the child comes back as it was, working.
  auto again = MakeNode(t0_ + 9 * kNanosPerMinute + 45 * kNanosPerSecond,
                        /*cancel_on_stop=*/false, /*speed=*/600);
  const NodeRunResult r2 = again->Run();
  ASSERT_TRUE(r2.status.ok()) << r2.status.error();
  ASSERT_TRUE(r2.start_status.ok()) << r2.start_status.error();
  const Cache& c2 = again->kernel().cache();
  EXPECT_EQ(c2.orders_total(), 2u);
  EXPECT_EQ(c2.order(parent)->status(), OrderStatus::kFilled);
  EXPECT_EQ(c2.order(child)->status(), OrderStatus::kAccepted);
  EXPECT_EQ(again->kernel().exec_engine().command_count(), 0u) << "after " << commands;
  EXPECT_EQ(again->kernel().risk_engine().denied_count(), 0u);
}

// On its 2nd quote: an OTO list (a buy resting at 49.00, the parent; a sell at 60.00, its
// child, protecting what the buy opens) and an exit: a sell resting at 51.00 that closes the
// position once the buy has filled.
class ExitingListTrader final : public QuoteCounter {
 public:
  using QuoteCounter::QuoteCounter;

 protected:
  void OnQuoteTick(const QuoteTick&) override {
    if (++quotes_ != 2) return;
    std::vector<std::unique_ptr<Order>> list;
    list.push_back(order_factory().Limit(instrument_, OrderSide::kBuy, Qty(65), Px("49.00")));
    list.push_back(order_factory().Limit(instrument_, OrderSide::kSell, Qty(65), Px("60.00")));
    SubmitOrderList(std::move(list), ContingencyType::kOto);
    SubmitOrder(order_factory().Limit(instrument_, OrderSide::kSell, Qty(65), Px("51.00")));
  }
};

TEST_F(NodeTest, AnOtoChildHeldWhileHaltedIsNotSentByARestartOnceItsPositionClosed) {
  // The put: 50.00/50.10, offered at 48.90 at minutes 8-9 (the parent buy fills), bid at
  // 51.00 at minutes 10-11 (the exit sell fills, the position is flat), 50.00/50.10 after.
  {
    auto cat = Catalog::Open((dir_ / "catalog").string());
    ASSERT_TRUE(cat.ok()) << cat.error();
    ASSERT_TRUE((*cat)->WriteInstruments(std::vector<Instrument>{call_, put_}).ok());
    std::vector<QuoteTick> quotes;
    for (int i = 0; i < 14; ++i) {
      const UnixNanos t = t0_ + i * kNanosPerMinute;
      const bool low = i == 8 || i == 9;
      const bool high = i == 10 || i == 11;
      quotes.push_back(QuoteTick{put_.id, Px(low ? "48.80" : high ? "51.00" : "50.00"),
                                 Px(low ? "48.90" : high ? "51.10" : "50.10"), Qty(650),
                                 Qty(650), t, t});
    }
    ASSERT_TRUE((*cat)->WriteQuotes(put_.id, quotes).ok());
  }
  extra_instruments_ = {put_};
  strategy_factory_ = [this] {
    return std::make_unique<ExitingListTrader>(StrategyId("EXIT-001"), put_.id);
  };
  ClientOrderId parent, child;
  {
    // Stops after the 5th quote with the parent and the exit working, the child unsent.
    auto node = MakeNode(t0_ + 4 * kNanosPerMinute + 30 * kNanosPerSecond,
                         /*cancel_on_stop=*/false, /*speed=*/600);
    const NodeRunResult r = node->Run();
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    for (const Order* o : node->kernel().cache().Orders()) {
      if (!o->parent_order_id().empty()) {
        child = o->client_order_id();
        parent = o->parent_order_id();
      }
    }
    ASSERT_FALSE(parent.empty() || child.empty());
    ASSERT_EQ(node->kernel().cache().order(child)->status(), OrderStatus::kInitialized);
  }
  // Halted through the next run (the kill file, there at its launch): the parent fills while
  // trading is HALTED, so the child, which would close that lot, is held; then the exit
  // closes the position.
  std::ofstream(dir_ / "state" / "KILL") << "stop\n";
  {
    auto node = MakeNode(t0_ + 11 * kNanosPerMinute + 30 * kNanosPerSecond,
                         /*cancel_on_stop=*/false, /*speed=*/600);
    const NodeRunResult r = node->Run();
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    const Cache& cache = node->kernel().cache();
    ASSERT_EQ(node->kernel().risk_engine().trading_state(), TradingState::kHalted);
    ASSERT_EQ(cache.order(parent)->status(), OrderStatus::kFilled);
    ASSERT_EQ(cache.order(child)->status(), OrderStatus::kInitialized);
    ASSERT_TRUE(cache.PositionsOpen().empty()) << "the exit closed the lot";
  }
  // The node's last snapshot says the child is held and must still reduce its position.
  {
    auto journal = OpenJournal();
    ASSERT_NE(journal, nullptr);
    auto snap = journal->LatestSnapshot();
    ASSERT_TRUE(snap.ok() && snap->has_value());
    const auto j = nlohmann::json::parse((*snap)->body);
    ASSERT_TRUE(j.contains("oto_held")) << (*snap)->body;
    EXPECT_EQ(j["oto_held"], nlohmann::json::parse(fmt::format(
                                 R"([{{"id": "{}", "must_reduce": true}}])", child.value())));
  }
  // Restarted with the kill file still there: halted from the launch, the child stays held
  // (the start's pass checks its day only while trading is HALTED) and the snapshot keeps it.
  {
    auto node = MakeNode(t0_ + 12 * kNanosPerMinute + 30 * kNanosPerSecond,
                         /*cancel_on_stop=*/false, /*speed=*/600);
    const NodeRunResult r = node->Run();
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    ASSERT_TRUE(r.recovered);
    EXPECT_EQ(node->kernel().risk_engine().trading_state(), TradingState::kHalted);
    EXPECT_EQ(node->kernel().cache().order(child)->status(), OrderStatus::kInitialized);
    ASSERT_EQ(node->kernel().exec_engine().HeldWhileHalted().size(), 1u);
    EXPECT_TRUE(node->kernel().exec_engine().HeldWhileHalted()[0].must_reduce);
  }
  // Restarted the same day without the kill file, so not halted: the start's pass over the
  // lists refuses the child, which would now open a short (before, the snapshot did not hold
  // the hold and the pass checked the day only: the child went to the venue).
  fs::remove(dir_ / "state" / "KILL");
  auto node = MakeNode(t0_ + 13 * kNanosPerMinute + 30 * kNanosPerSecond,
                       /*cancel_on_stop=*/false, /*speed=*/600);
  const NodeRunResult r = node->Run();
  ASSERT_TRUE(r.status.ok()) << r.status.error();
  ASSERT_TRUE(r.start_status.ok()) << r.start_status.error();
  EXPECT_NE(node->kernel().risk_engine().trading_state(), TradingState::kHalted);
  EXPECT_TRUE(node->kernel().exec_engine().HeldWhileHalted().empty());
  const Cache& cache = node->kernel().cache();
  EXPECT_EQ(cache.order(child)->status(), OrderStatus::kCanceled);
  EXPECT_EQ(node->sandbox_venue(put_.id.venue())->order(child), nullptr);
  EXPECT_TRUE(cache.PositionsOpen().empty());
}

TEST_F(NodeTest, ASnapshotWithAMalformedFieldIsRefusedNamingIt) {
  {
    auto node = MakeNode(t0_ + 2 * kNanosPerMinute + 30 * kNanosPerSecond,
                         /*cancel_on_stop=*/false);
    ASSERT_TRUE(node->Run().status.ok());
  }
  std::string saved;
  {
    auto journal = OpenJournal();
    ASSERT_NE(journal, nullptr);
    auto snap = journal->LatestSnapshot();
    ASSERT_TRUE(snap.ok() && snap->has_value());
    saved = (*snap)->body;
  }
  struct Case {
    const char* key;
    const char* value;
    const char* expected;
  };
  for (const Case& c : std::vector<Case>{
           {"oto_held", R"("x")", "oto_held: not an array"},
           {"oto_held", R"([{"id": 5, "must_reduce": true}])", "oto_held[0]: not"},
           {"oto_held", R"([{"id": "O-1", "must_reduce": "yes"}])", "oto_held[0]: not"},
           {"oto_held", R"([{"id": "", "must_reduce": true}])", "oto_held[0]: not"},
           {"oto_held", R"([{"id": "O-1", "must_reduce": true}, 3])", "oto_held[1]: not"},
           {"risk_baseline", "5", "risk_baseline: not a string"},
           {"components", "[]", "components: not an object"},
           {"components", R"({"PLAN-001": {"quotes": 3}})", "components.PLAN-001.quotes"}}) {
    {
      // Each case on the run's own snapshot, saved again as the latest.
      auto journal = OpenJournal();
      ASSERT_NE(journal, nullptr);
      auto j = nlohmann::json::parse(saved);
      j[c.key] = nlohmann::json::parse(c.value);
      ASSERT_TRUE(journal->SaveSnapshot(j.dump()).ok());
      ASSERT_TRUE(journal->Commit().ok());
    }
    auto node = MakeNode();
    const NodeRunResult r = node->Run();
    ASSERT_FALSE(r.status.ok()) << c.value;
    EXPECT_NE(r.status.error().find(c.expected), std::string::npos) << r.status.error();
    EXPECT_NE(r.status.error().find("journal.sqlite"), std::string::npos) << r.status.error();
  }
}

TEST_F(NodeTest, TheDailyLossBaselineSurvivesARestartTheSameDay) {
  // Loss limits on (never reached): the day's loss is measured from the P&L at the day's first
  // check, before the plan's round trip lost the spread.
  auto limits = [](KernelConfig& kc) {
    kc.risk_engine.live.daily_loss_soft = Money::FromInt(1'000'000);
    kc.risk_engine.live.daily_loss_hard = Money::FromInt(2'000'000);
  };
  std::optional<Money> baseline;
  std::optional<Money> pnl_at_stop;
  {
    auto node = MakeNode(t0_ + 6 * kNanosPerMinute + 30 * kNanosPerSecond, false, 6000, limits);
    const NodeRunResult r = node->Run();
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    baseline = node->kernel().risk_engine().daily_pnl_baseline();
    pnl_at_stop = node->kernel().risk_engine().daily_pnl();
  }
  ASSERT_TRUE(baseline && pnl_at_stop);
  ASSERT_NE(*pnl_at_stop, Money::Zero(pnl_at_stop->currency())) << "the round trip lost the spread";
  auto node = MakeNode(std::nullopt, true, 6000, limits);
  const NodeRunResult r = node->Run();
  ASSERT_TRUE(r.status.ok()) << r.status.error();
  ASSERT_TRUE(r.recovered);
  // Not the P&L at the restart's first check: the day's own baseline.
  EXPECT_EQ(node->kernel().risk_engine().daily_pnl_baseline(), baseline);
}

TEST_F(NodeTest, ASecondNodeOnTheSameStateIsRefused) {
  auto journal_holder = MakeNode();
  // Hold the journal's lock as a running node would.
  fs::create_directories(dir_ / "state" / "TRADER-001");
  auto held = Journal::Open((dir_ / "state" / "TRADER-001" / "journal.sqlite").string());
  ASSERT_TRUE(held.ok()) << held.error();
  const NodeRunResult r = journal_holder->Run();
  ASSERT_FALSE(r.status.ok());
  EXPECT_NE(r.status.error().find("pid"), std::string::npos) << r.status.error();
}

TEST_F(NodeTest, ACorruptSandboxLedgerIsRefusedWithTheReason) {
  {
    auto store = SandboxStateStore::Open((fs::create_directories(dir_ / "state" / "TRADER-001"),
                                          dir_ / "state" / "TRADER-001" / "sandbox_venue.sqlite")
                                             .string());
    ASSERT_TRUE(store.ok()) << store.error();
    ASSERT_TRUE((*store)->Save("NFO", "{\"not\": \"a ledger\"}").ok());
  }
  auto node = MakeNode();
  const NodeRunResult r = node->Run();
  ASSERT_FALSE(r.status.ok());
  EXPECT_NE(r.status.error().find("sandbox venue NFO"), std::string::npos) << r.status.error();
  EXPECT_NE(r.status.error().find("recovery"), std::string::npos) << r.status.error();
}

// Runs a node in a child process that SIGKILLs itself at `failpoint`; returns its wait status.
int RunChildUntilKilled(const std::function<std::unique_ptr<TradingNode>()>& make,
                        const char* failpoint) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("NACRE_FAILPOINT", failpoint, 1);
    auto node = make();
    (void)node->Run();
    std::_Exit(0);  // the failpoint never fired
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

TEST_F(NodeTest, AKillBetweenAnIntentsCommitAndItsSendLosesNothingAndDuplicatesNothing) {
  // The first intent (the buy on the 2nd quote) is durable, then the process dies before
  // sending it: the venue never saw it.
  const int status = RunChildUntilKilled([this] { return MakeNode(); }, "after_intent_commit:1");
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  auto node = MakeNode();
  const NodeRunResult r = node->Run();
  ASSERT_TRUE(r.status.ok()) << r.status.error();
  ASSERT_TRUE(r.start_status.ok()) << r.start_status.error();
  EXPECT_EQ(r.lost_in_flight, 1u);
  const Cache& cache = node->kernel().cache();
  std::size_t rejected = 0;
  for (const Order* o : cache.Orders()) rejected += o->status() == OrderStatus::kRejected;
  EXPECT_EQ(rejected, 1u) << "the intent is accounted for: rejected as never received";
  // Every order at the venue is one of ours, once; positions agree with the venue's ledger.
  const SimulatedExchange* venue = node->sandbox_venue(call_.id.venue());
  for (const Order* o : cache.Orders()) {
    if (o->status() == OrderStatus::kRejected) {
      EXPECT_EQ(venue->order(o->client_order_id()), nullptr);
    } else {
      EXPECT_NE(venue->order(o->client_order_id()), nullptr) << o->client_order_id().value();
    }
  }
  std::int64_t ours = 0;
  for (const Position* p : cache.PositionsOpen()) ours += p->signed_qty_raw();
  std::int64_t theirs = 0;
  for (const auto& [id, p] : venue->positions()) theirs += p.net_raw;
  EXPECT_EQ(ours, theirs);
  node.reset();
  auto journal = OpenJournal();
  auto v = journal->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok()) << v->first_problem;
}

TEST_F(NodeTest, AKillBetweenAnOcoPeersCancelCommitAndItsSendStillCancelsItAfterTheRestart) {
  // The buy fills at minute 8; its OCO peer's cancel (the node's second intent) is journaled,
  // then the process dies before sending it. The restarted node finds the peer PENDING_CANCEL
  // and sends the cancel again: the venue does not keep it working (before, the journal had
  // the command but the peer ACCEPTED, and the sell stayed working at the venue beside the
  // filled buy).
  WritePutQuotes(put_);
  TradeLists("OCO-001", ContingencyType::kOco, "55.00");
  const int status = RunChildUntilKilled([this] { return MakeNode(); }, "after_intent_commit:2");
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  auto node = MakeNode(std::nullopt, /*cancel_on_stop=*/false);  // no cancel at the stop
  const NodeRunResult r = node->Run();
  ASSERT_TRUE(r.status.ok()) << r.status.error();
  ASSERT_TRUE(r.start_status.ok()) << r.start_status.error();
  const Cache& cache = node->kernel().cache();
  ASSERT_EQ(cache.orders_total(), 2u);
  const SimulatedExchange* venue = node->sandbox_venue(put_.id.venue());
  for (const Order* o : cache.Orders()) {
    const VenueOrder* v = venue->order(o->client_order_id());
    ASSERT_NE(v, nullptr);
    if (o->is_buy()) {
      EXPECT_EQ(o->status(), OrderStatus::kFilled);
    } else {
      EXPECT_EQ(o->status(), OrderStatus::kCanceled);
      EXPECT_EQ(v->status, OrderStatus::kCanceled);
    }
  }
}

TEST_F(NodeTest, AKillBetweenAnOuoPeersReductionCommitAndItsSendStillReducesItAfterTheRestart) {
  // Two lots each way, one-updates-the-other. At minute 8 one lot is offered at 48.90: the
  // buy fills one lot, and its OUO peer's reduction to one lot (the node's second intent) is
  // journaled, then the process dies before sending it. The restarted node finds the sell
  // PENDING_UPDATE with two lots at the venue: the lost modify is rejected, and the start
  // reduces the sell again (before, it stayed PENDING_UPDATE with two lots working at the
  // venue against one bought).
  WritePutQuotes(put_, Qty(65), /*offered_minutes=*/1, /*minutes=*/12);
  venue_tweak_ = [](BacktestVenueConfig& vc) {  // fills bounded by the displayed size
    vc.exchange = SimulatedExchangeConfig::Simple(vc.venue);
    vc.exchange->fill.use_displayed_size = true;
  };
  TradeLists("OUO-001", ContingencyType::kOuo, "55.00", /*lots=*/2);
  const int status = RunChildUntilKilled([this] { return MakeNode(); }, "after_intent_commit:2");
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  // The restart resumes at minute 8, the time of the data last delivered: the quote then is
  // not delivered again (before, it was: it filled the second lot, and that fill's own
  // reduction hid the lost one; the test had to start the restart half a minute later).
  {
    // The snapshot names what was delivered at minute 8, its latest data time.
    auto journal = OpenJournal();
    ASSERT_NE(journal, nullptr);
    auto snap = journal->LatestSnapshot();
    ASSERT_TRUE(snap.ok() && *snap);
    auto j = nlohmann::json::parse((*snap)->body);
    EXPECT_EQ(j["data"]["ts"].get<std::int64_t>(), (t0_ + 8 * kNanosPerMinute).value);
    EXPECT_EQ(j["data"]["seen"]["quote " + put_.id.value()], 1) << j["data"].dump();
  }
  auto node = MakeNode(t0_ + 11 * kNanosPerMinute + 30 * kNanosPerSecond,
                       /*cancel_on_stop=*/false);  // no cancel at the stop
  const NodeRunResult r = node->Run();
  ASSERT_TRUE(r.status.ok()) << r.status.error();
  ASSERT_TRUE(r.start_status.ok()) << r.start_status.error();
  ASSERT_TRUE(r.recovered);
  EXPECT_EQ(r.resumed_at, t0_ + 8 * kNanosPerMinute);
  const Cache& cache = node->kernel().cache();
  ASSERT_EQ(cache.orders_total(), 2u);
  const SimulatedExchange* venue = node->sandbox_venue(put_.id.venue());
  for (const Order* o : cache.Orders()) {
    const VenueOrder* v = venue->order(o->client_order_id());
    ASSERT_NE(v, nullptr);
    if (o->is_buy()) {
      EXPECT_EQ(o->status(), OrderStatus::kPartiallyFilled);
      EXPECT_EQ(o->filled_qty(), Qty(65));
    } else {
      EXPECT_EQ(o->status(), OrderStatus::kAccepted);
      EXPECT_EQ(o->quantity(), Qty(65));
      EXPECT_EQ(v->quantity, Qty(65)) << "the venue works the reduced sell";
    }
  }
}

TEST_F(NodeTest, AKillBeforeTheCommitForgetsTheIntentAndTheStrategyIssuesItAgain) {
  const int status = RunChildUntilKilled([this] { return MakeNode(); }, "before_commit:1");
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  auto node = MakeNode();
  const NodeRunResult r = node->Run();
  ASSERT_TRUE(r.status.ok()) << r.status.error();
  ASSERT_TRUE(r.start_status.ok()) << r.start_status.error();
  EXPECT_EQ(r.lost_in_flight, 0u);
  // Nothing of the first run's intent survived, so the plan ran whole in the second run.
  std::size_t filled = 0;
  for (const Order* o : node->kernel().cache().Orders()) filled += o->status() == OrderStatus::kFilled;
  EXPECT_EQ(filled, 2u);
}

}  // namespace
}  // namespace nacre

namespace nacre {
namespace {

TEST_F(NodeTest, AKillFileThereAtLaunchHaltsBeforeTheStartSendsAnything) {
  // The kill switch's timer looks about once a wall second, a hundred market minutes at 6000x:
  // without the look before the start, the plan's buy on the 2nd quote would reach the venue.
  fs::create_directories(dir_ / "state");
  std::ofstream(dir_ / "state" / "KILL") << "stop\n";
  auto node = MakeNode();
  const NodeRunResult r = node->Run();
  ASSERT_TRUE(r.status.ok()) << r.status.error();
  ASSERT_TRUE(r.start_status.ok()) << r.start_status.error();
  const RiskEngine& risk = node->kernel().risk_engine();
  EXPECT_EQ(risk.trading_state(), TradingState::kHalted);
  EXPECT_NE(risk.trading_state_reason().find("KILL"), std::string::npos)
      << risk.trading_state_reason();
  const Cache& cache = node->kernel().cache();
  ASSERT_EQ(cache.orders_total(), 3u);
  for (const Order* o : cache.Orders()) {
    EXPECT_EQ(o->status(), OrderStatus::kDenied) << o->client_order_id().value();
  }
  EXPECT_TRUE(node->sandbox_venue(call_.id.venue())->positions().empty());
}

TEST_F(NodeTest, AFlattenKillFileAtARestartHaltsUntilTheStartHasReconciledThenFlattens) {
  // The first run stops holding the lot its plan bought on the 2nd quote.
  {
    auto node = MakeNode(t0_ + 2 * kNanosPerMinute + 30 * kNanosPerSecond,
                         /*cancel_on_stop=*/false);
    const NodeRunResult r = node->Run();
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    ASSERT_EQ(node->kernel().cache().PositionsOpen().size(), 1u);
  }
  std::ofstream(dir_ / "state" / "KILL") << "flatten\n";
  // Restarted with "flatten" in the kill file: halted before the start (nothing flattened on
  // books not yet reconciled), flattened as soon as the start has reconciled them. The
  // replayed data runs out in well under the timer's first look: without the look after the
  // start nothing would flatten, and the lot would stay held.
  auto node = MakeNode();
  const NodeRunResult r = node->Run();
  ASSERT_TRUE(r.status.ok()) << r.status.error();
  ASSERT_TRUE(r.start_status.ok()) << r.start_status.error();
  const Cache& cache = node->kernel().cache();
  EXPECT_TRUE(cache.PositionsOpen().empty());
  std::size_t flatten_sells = 0, plan_orders = 0;
  for (const Order* o : cache.Orders()) {
    if (o->client_order_id().value().find("KILL") != std::string::npos) {
      EXPECT_EQ(o->status(), OrderStatus::kFilled) << o->client_order_id().value();
      EXPECT_GE(o->ts_init(), r.resumed_at);
      flatten_sells += o->is_buy() ? 0 : 1;
    } else if (o->ts_init() >= r.resumed_at) {
      // The plan's orders of this run (its sell and resting buy, counted from the strategy's
      // start) are all denied: trading stays halted after the flatten.
      ++plan_orders;
      EXPECT_EQ(o->status(), OrderStatus::kDenied) << o->client_order_id().value();
    }
  }
  EXPECT_EQ(flatten_sells, 1u);
  // At 6000x a market minute is 10 ms of wall time: a start slowed by a loaded machine misses
  // quotes (a paced feed replays none it has passed), so the plan's steps this run are those
  // its quote count (saved at the first run's stop, after its 3rd quote) passed: the sell at
  // the 4th, the resting buy at the 6th. Every one was denied and none reached the venue.
  const int q = strategy_->quotes();
  EXPECT_EQ(plan_orders, (q >= 4 ? 1u : 0u) + (q >= 6 ? 1u : 0u)) << q << " quotes";
  EXPECT_EQ(node->kernel().risk_engine().denied_count(), plan_orders);
  for (const Order* o : cache.Orders()) {
    const bool kill = o->client_order_id().value().find("KILL") != std::string::npos;
    if (o->ts_init() >= r.resumed_at && !kill) {
      EXPECT_EQ(node->sandbox_venue(call_.id.venue())->order(o->client_order_id()), nullptr)
          << o->client_order_id().value();
    }
  }
  EXPECT_NE(node->kernel().risk_engine().trading_state_reason().find("KILL"), std::string::npos)
      << node->kernel().risk_engine().trading_state_reason();
  EXPECT_EQ(node->kernel().risk_engine().trading_state(), TradingState::kHalted);
  for (const auto& [id, p] : node->sandbox_venue(call_.id.venue())->positions()) {
    EXPECT_EQ(p.net_raw, 0) << id.value();
  }
}

// Rests a buy far below the market on its 2nd quote; with `buy_on_start`, buys one lot at the
// market as it starts.
class StartBuyer final : public QuoteCounter {
 public:
  StartBuyer(const StrategyId& id, InstrumentId instrument, bool buy_on_start)
      : QuoteCounter(id, std::move(instrument)), buy_on_start_(buy_on_start) {}

 protected:
  void OnStart() override {
    QuoteCounter::OnStart();
    if (buy_on_start_) {
      SubmitOrder(order_factory().Market(instrument_, OrderSide::kBuy, Qty(65)));
    }
  }
  void OnQuoteTick(const QuoteTick&) override {
    if (++quotes_ == 2) {
      SubmitOrder(order_factory().Limit(instrument_, OrderSide::kBuy, Qty(65), Px("50.00")));
    }
  }

 private:
  bool buy_on_start_;
};

TEST_F(NodeTest, ARestartAtItsLastDataTimeGivesTheVenueThosePricesForOrdersSentSince) {
  // The resting buy (the first intent) is journaled, then the process dies before sending it.
  strategy_factory_ = [this] {
    return std::make_unique<StartBuyer>(StrategyId("START-001"), call_.id, false);
  };
  const int status = RunChildUntilKilled([this] { return MakeNode(); }, "after_intent_commit:1");
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  // Restarted at the time of the quote it last delivered: that quote is not delivered again,
  // but the venue takes its prices, so a market buy sent as the strategy starts fills at once
  // at its ask (before, with nothing at the venue, it waited for the next quote).
  strategy_factory_ = [this] {
    return std::make_unique<StartBuyer>(StrategyId("START-001"), call_.id, true);
  };
  auto node = MakeNode(t0_ + 5 * kNanosPerMinute);
  const NodeRunResult r = node->Run();
  ASSERT_TRUE(r.status.ok()) << r.status.error();
  ASSERT_TRUE(r.start_status.ok()) << r.start_status.error();
  ASSERT_TRUE(r.recovered);
  const UnixNanos resumed = r.resumed_at;
  EXPECT_EQ((resumed - t0_) % kNanosPerMinute, 0) << "resumed at a quote's time";
  std::size_t market = 0;
  for (const Order* o : node->kernel().cache().Orders()) {
    if (o->order_type() != OrderType::kMarket) continue;
    ++market;
    EXPECT_EQ(o->status(), OrderStatus::kFilled);
    EXPECT_LT(o->ts_last(), resumed + kNanosPerMinute) << "filled before the next quote";
    ASSERT_TRUE(o->avg_px());
    EXPECT_EQ(*o->avg_px(), Px("100.10")) << "the ask of the quote delivered before the restart";
  }
  EXPECT_EQ(market, 1u);
}

TEST_F(NodeTest, TheControlSocketHaltsTheRunningNodeAndReportsIt) {
  // A node at 60x (its ten minutes of data take ten seconds) asked through the socket.
  auto node = MakeNode(FromIst(2026, 1, 30, 15, 30), true, /*speed=*/60);
  std::thread runner;
  NodeRunResult r;
  runner = std::thread([&] { r = node->Run(); });
  const std::string path = node->control_socket_path();
  // Wait (bounded) for the socket to appear, then ask through it as `nacre ctl` does.
  Result<std::string> halted = MakeError("not tried");
  for (int i = 0; i < 500 && !halted; ++i) {
    if (fs::exists(path)) {
      halted = SendControlRequest(path, R"({"cmd":"halt","reason":"test"})",
                                  std::chrono::milliseconds(5000));
    }
    if (!halted) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(halted.ok()) << halted.error();
  EXPECT_NE(halted->find("\"ok\":true"), std::string::npos) << *halted;
  auto status = SendControlRequest(path, R"({"cmd":"status"})", std::chrono::milliseconds(5000));
  ASSERT_TRUE(status.ok()) << status.error();
  EXPECT_NE(status->find("HALTED"), std::string::npos) << *status;
  node->RequestStop("test over");
  runner.join();
  ASSERT_TRUE(r.status.ok()) << r.status.error();
  EXPECT_FALSE(fs::exists(path)) << "the socket is removed at stop";
}

}  // namespace
}  // namespace nacre

namespace nacre {
namespace {

// A data client that connects only when told (its Connect starts nothing): the start's wait.
class SlowClient final : public DataClient {
 public:
  explicit SlowClient(std::chrono::milliseconds delay) : delay_(delay) {}
  ~SlowClient() override {
    if (thread_.joinable()) thread_.join();
  }
  const ClientId& id() const override { return id_; }
  const Venue& venue() const override { return venue_; }
  void Connect() override {
    if (delay_.count() < 0 || thread_.joinable()) return;  // never
    thread_ = std::thread([this] {
      std::this_thread::sleep_for(delay_);  // a handshake's round trip
      connected_ = true;
    });
  }
  void Disconnect() override {}
  bool is_connected() const override { return connected_.load(); }
  void Subscribe(const DataSubscription&) override {}
  void Unsubscribe(const DataSubscription&) override {}

 private:
  ClientId id_{"SLOW"};
  Venue venue_{"NFO"};
  std::chrono::milliseconds delay_;
  std::atomic<bool> connected_{false};
  std::thread thread_;
};

TEST_F(NodeTest, AClientThatNeverConnectsStopsTheNodeNamingItAndTheTimeout) {
  node_tweak_ = [](NodeSettings& s) { s.connect_timeout = 200 * kNanosPerMilli; };
  // At 60x the replayed ten minutes outlast the wait.
  auto node = MakeNode(std::nullopt, true, /*speed=*/60);
  node->AddDataClient(std::make_unique<SlowClient>(std::chrono::milliseconds(-1)));
  const auto t = std::chrono::steady_clock::now();
  const NodeRunResult r = node->Run();
  EXPECT_LT(std::chrono::steady_clock::now() - t, std::chrono::seconds(30));
  ASSERT_FALSE(r.status.ok()) << "a client down past its timeout is fatal (LIVE.md §5)";
  EXPECT_NE(r.status.error().find("data client SLOW not connected within 0.20 s ([node.timeouts] "
                                  "connect_secs)"),
            std::string::npos)
      << r.status.error();
  EXPECT_NE(r.status.error().find("connect phase"), std::string::npos) << r.status.error();
  EXPECT_EQ(strategy_->starts(), 0) << "the trader never started";
  EXPECT_EQ(node->kernel().cache().orders_total(), 0u);
  // The journal is closed cleanly: the next start is a normal one.
  node.reset();
  auto runs = OpenJournal()->Runs();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_TRUE(runs->front().clean_stop);
}

TEST_F(NodeTest, TheStartWaitsForAClientThatConnectsLate) {
  auto node = MakeNode();
  node->AddDataClient(std::make_unique<SlowClient>(std::chrono::milliseconds(50)));
  const NodeRunResult r = node->Run();
  ASSERT_TRUE(r.status.ok()) << r.status.error();
  ASSERT_TRUE(r.start_status.ok()) << r.start_status.error();
  // The data flowed while the start waited (as a live feed does): the strategy saw the rest.
  EXPECT_GT(strategy_->quotes(), 0);
  EXPECT_LE(strategy_->quotes(), kQuotes);
}

TEST_F(NodeTest, AnOpenPositionWithNoPriceHaltsTheStartUntilReconcileFindsOne) {
  // A put quoting every 10 s: the first run's clock reaches its end (half a minute past the
  // call's 3rd quote), so the restart resumes between two quotes of the call.
  const Instrument put = testkit::NiftyOption(OptionKind::kPut, "24000");
  {
    auto cat = Catalog::Open((dir_ / "catalog").string());
    ASSERT_TRUE(cat.ok());
    ASSERT_TRUE((*cat)->WriteInstruments(std::vector<Instrument>{call_, put}).ok());
    std::vector<QuoteTick> q;
    for (int i = 0; i < kQuotes * 6; ++i) {
      const UnixNanos t = t0_ + i * 10 * kNanosPerSecond;
      q.push_back(QuoteTick{put.id, Px("90.00"), Px("90.10"), Qty(650), Qty(650), t, t});
    }
    ASSERT_TRUE((*cat)->WriteQuotes(put.id, q).ok());
  }
  extra_instruments_ = {put};
  {
    // The buy on the 2nd quote fills; the node stops before the sell, the position open.
    auto node = MakeNode(t0_ + 2 * kNanosPerMinute + 30 * kNanosPerSecond, /*cancel=*/false);
    const NodeRunResult r = node->Run();
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    ASSERT_EQ(node->kernel().cache().PositionsOpen().size(), 1u);
    ASSERT_EQ(r.open_positions.size(), 1u);
    EXPECT_NE(r.open_positions[0].find(call_.id.value()), std::string::npos) << r.open_positions[0];
  }
  // The restart resumes at the put's 10:02:30 quote (nothing of the call's is at or after it
  // until 10:03). At 60x the call's next quote comes half a wall second after the start: past
  // the 0.1 s the portfolio phase waits for a price.
  node_tweak_ = [](NodeSettings& s) { s.portfolio_timeout = 100 * kNanosPerMilli; };
  auto node = MakeNode(std::nullopt, true, /*speed=*/60);
  NodeRunResult r;
  std::thread runner([&] { r = node->Run(); });
  const std::string path = node->control_socket_path();
  auto ask = [&path](const char* line) {
    return SendControlRequest(path, line, std::chrono::milliseconds(10'000));
  };
  // The start fails its portfolio phase: HALTED, naming the instrument.
  std::string halted, last;
  for (int i = 0; i < 1000 && halted.empty(); ++i) {
    if (fs::exists(path)) {
      auto st = ask(R"({"cmd":"status"})");
      last = st.ok() ? *st : st.error();
      if (st.ok() && st->find("no price for") != std::string::npos) halted = *st;
    }
    if (halted.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_FALSE(halted.empty()) << "the start never reported the missing price: " << last;
  EXPECT_NE(halted.find("\"trading_state\":\"HALTED\""), std::string::npos) << halted;
  EXPECT_NE(halted.find(call_.id.value()), std::string::npos) << halted;
  EXPECT_NE(halted.find("portfolio_secs"), std::string::npos) << halted;
  // Data keeps flowing; once the call quotes, a reconcile passes and the trader starts.
  std::string started;
  std::vector<std::string> refusals;
  for (int i = 0; i < 200 && started.empty(); ++i) {
    auto rep = ask(R"({"cmd":"reconcile"})");
    ASSERT_TRUE(rep.ok()) << rep.error();
    if (rep->find("\"ok\":true") != std::string::npos) {
      started = *rep;
    } else {
      refusals.push_back(*rep);
      EXPECT_NE(rep->find("no price for"), std::string::npos) << *rep;
    }
  }
  ASSERT_FALSE(started.empty()) << (refusals.empty() ? "" : refusals.back());
  EXPECT_NE(started.find("\"trading_state\":\"ACTIVE\""), std::string::npos) << started;
  node->RequestStop("test over");
  runner.join();
  ASSERT_TRUE(r.status.ok()) << r.status.error();
  EXPECT_TRUE(r.start_status.ok()) << r.start_status.error();
  EXPECT_TRUE(node->kernel().halt_reason().empty()) << node->kernel().halt_reason();
  EXPECT_EQ(strategy_->starts(), 1) << "the trader started once, after the price came";
}

TEST_F(NodeTest, OnStopFlattenClosesThePositionAtTheTouch) {
  node_tweak_ = [](NodeSettings& s) { s.on_stop = NodeSettings::OnStop::kFlatten; };
  auto node = MakeNode(t0_ + 2 * kNanosPerMinute + 30 * kNanosPerSecond);
  const NodeRunResult r = node->Run();
  ASSERT_TRUE(r.status.ok()) << r.status.error();
  EXPECT_TRUE(r.open_positions.empty()) << r.open_positions.front();
  const Cache& cache = node->kernel().cache();
  EXPECT_TRUE(cache.PositionsOpen().empty());
  ASSERT_EQ(node->kill_switch()->flatten_orders().size(), 1u);
  const Order* sell = cache.order(node->kill_switch()->flatten_orders().front());
  ASSERT_NE(sell, nullptr);
  EXPECT_EQ(sell->side(), OrderSide::kSell);
  EXPECT_EQ(sell->status(), OrderStatus::kFilled);
  // A protected limit below the bid fills at the bid, never better for the user.
  ASSERT_TRUE(sell->avg_px().has_value());
  EXPECT_EQ(*sell->avg_px(), Px("100.00"));
  for (const auto& [id, p] : node->sandbox_venue(call_.id.venue())->positions()) {
    EXPECT_EQ(p.net_raw, 0) << id.value();
  }
}

// Opens a bull put for a credit the market does not give: the wing fills, the short leg rests.
class HopefulSeller final : public Strategy {
 public:
  HopefulSeller(InstrumentId short_put, InstrumentId wing)
      : Strategy(StrategyId("HOPE-001")), short_(std::move(short_put)), wing_(std::move(wing)) {}

 protected:
  void OnStart() override {
    SubscribeQuoteTicks(short_);
    SubscribeQuoteTicks(wing_);
  }
  void OnQuoteTick(const QuoteTick& q) override {
    if (q.instrument_id != short_ || ++quotes_ != 2) return;
    SpreadOrderSpec spec;
    spec.legs = {{short_, OrderSide::kSell, 1}, {wing_, OrderSide::kBuy, 1}};
    spec.net_limit = Px("-35.00");
    spec.policy.leg_timeout = 3600 * kNanosPerSecond;
    spec.policy.max_reprices = 0;
    ASSERT_TRUE(SubmitSpread(spec).ok());
  }

 private:
  InstrumentId short_, wing_;
  int quotes_ = 0;
};

TEST_F(NodeTest, SpreadsInFlightAtStopAreReportedLegByLeg) {
  const Instrument shrt = testkit::NiftyOption(OptionKind::kPut, "24000");
  const Instrument wing = testkit::NiftyOption(OptionKind::kPut, "23900");
  {
    auto cat = Catalog::Open((dir_ / "catalog").string());
    ASSERT_TRUE(cat.ok());
    ASSERT_TRUE((*cat)->WriteInstruments(std::vector<Instrument>{call_, shrt, wing}).ok());
    std::vector<QuoteTick> s, w;
    for (int i = 0; i < kQuotes; ++i) {
      const UnixNanos t = t0_ + i * kNanosPerMinute;
      s.push_back(QuoteTick{shrt.id, Px("100.00"), Px("100.10"), Qty(650), Qty(650), t, t});
      w.push_back(QuoteTick{wing.id, Px("70.90"), Px("71.00"), Qty(650), Qty(650), t, t});
    }
    ASSERT_TRUE((*cat)->WriteQuotes(shrt.id, s).ok());
    ASSERT_TRUE((*cat)->WriteQuotes(wing.id, w).ok());
  }
  extra_instruments_ = {shrt, wing};
  strategy_factory_ = [&] { return std::make_unique<HopefulSeller>(shrt.id, wing.id); };
  auto node = MakeNode(std::nullopt, /*cancel_on_stop=*/false);
  const NodeRunResult r = node->Run();
  ASSERT_TRUE(r.status.ok()) << r.status.error();
  ASSERT_EQ(r.spreads_in_flight.size(), 1u);
  const std::string& line = r.spreads_in_flight[0];
  EXPECT_NE(line.find("HOPE-001"), std::string::npos) << line;
  EXPECT_NE(line.find("(OPENING)"), std::string::npos) << line;
  EXPECT_NE(line.find(wing.id.value() + " 65/65"), std::string::npos) << line;
  EXPECT_NE(line.find(shrt.id.value() + " 0/65"), std::string::npos) << line;
  EXPECT_NE(line.find("resumes after a restart"), std::string::npos) << line;
  ASSERT_EQ(r.open_positions.size(), 1u);
  EXPECT_NE(r.open_positions[0].find(wing.id.value()), std::string::npos) << r.open_positions[0];
}

}  // namespace
}  // namespace nacre

namespace nacre {
namespace {

// Copies `from` (a state folder) to `to` and cuts its journal after entry `keep` as a crash
// that lost the later entries would: the entries, snapshots and tag rows after it are gone.
void CopyStateCut(const fs::path& from, const fs::path& to, std::int64_t keep) {
  fs::remove_all(to);
  fs::copy(from, to, fs::copy_options::recursive);
  const std::string db = (to / "TRADER-001" / "journal.sqlite").string();
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  const std::string sql = fmt::format(
      "DROP TRIGGER entries_no_delete;"
      "DELETE FROM entries WHERE seq > {0};"
      "DELETE FROM snapshots WHERE seq > {0};"
      "DELETE FROM tags WHERE client_order_id NOT IN (SELECT client_order_id FROM entries "
      "  WHERE kind = 'OrderInitialized');"
      "UPDATE tags SET venue_order_id = NULL WHERE client_order_id NOT IN (SELECT "
      "  client_order_id FROM entries WHERE kind = 'OrderAccepted');"
      "DELETE FROM runs WHERE run_id NOT IN (SELECT run_id FROM entries);",
      keep);
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_close(h);
}

TEST_F(NodeTest, AJournalCutAtEveryEntryRecoversAndReconcilesWithTheVenue) {
  // A whole session with the resting order left working: the venue's ledger holds its final
  // state. Each cut of the journal is what a crash could leave of the node's side while the
  // venue went on (a broker always knows at least as much as the node).
  {
    auto node = MakeNode(std::nullopt, /*cancel_on_stop=*/false);
    const NodeRunResult r = node->Run();
    ASSERT_TRUE(r.status.ok()) << r.status.error();
  }
  std::int64_t entries = 0;
  {
    auto journal = OpenJournal();
    auto all = journal->ReadEntries(0);
    ASSERT_TRUE(all.ok());
    entries = static_cast<std::int64_t>(all->size());
  }
  ASSERT_GT(entries, 10);
  for (std::int64_t keep = 0; keep <= entries; ++keep) {
    SCOPED_TRACE(fmt::format("journal cut after entry {} of {}", keep, entries));
    const fs::path cut = dir_ / "cut";
    CopyStateCut(dir_ / "state", cut, keep);
    node_tweak_ = [&cut](NodeSettings& s) { s.state_dir = cut.string(); };
    auto node = MakeNode(std::nullopt, /*cancel_on_stop=*/false);
    const NodeRunResult r = node->Run();
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    EXPECT_TRUE(r.start_status.ok()) << r.start_status.error();
    // The node's view equals the venue's: every venue order known once, positions equal.
    const Cache& cache = node->kernel().cache();
    const SimulatedExchange* venue = node->sandbox_venue(call_.id.venue());
    std::set<std::string> ids;
    for (const Order* o : cache.Orders()) {
      EXPECT_TRUE(ids.insert(o->client_order_id().value()).second) << o->client_order_id().value();
      const auto* at_venue = venue->order(o->client_order_id());
      if (at_venue == nullptr) continue;
      EXPECT_EQ(o->filled_qty(), at_venue->filled) << o->client_order_id().value();
    }
    // Nothing the restarted strategies sent was refused for an id the venue already had.
    EXPECT_EQ(node->kernel().logger().error_count(), 0u) << node->kernel().logger().last_error();
    std::int64_t ours = 0, theirs = 0;
    for (const Position* p : cache.PositionsOpen()) ours += p->signed_qty_raw();
    for (const auto& [id, p] : venue->positions()) theirs += p.net_raw;
    EXPECT_EQ(ours, theirs);
    node.reset();
    JournalOptions o;
    o.create_if_missing = false;
    auto j = Journal::Open((cut / "TRADER-001" / "journal.sqlite").string(), o);
    ASSERT_TRUE(j.ok()) << j.error();
    auto v = (*j)->Verify();
    ASSERT_TRUE(v.ok()) << v.error();
    EXPECT_TRUE(v->ok()) << v->first_problem;
  }
}

TEST_F(NodeTest, ACorruptJournalIsRefusedNamingItBeforeAnythingRuns) {
  fs::create_directories(dir_ / "state" / "TRADER-001");
  std::ofstream(dir_ / "state" / "TRADER-001" / "journal.sqlite", std::ios::binary)
      << std::string(8192, 'x');
  auto node = MakeNode();
  const NodeRunResult r = node->Run();
  ASSERT_FALSE(r.status.ok());
  EXPECT_NE(r.status.error().find("journal.sqlite"), std::string::npos) << r.status.error();
  EXPECT_EQ(strategy_->starts(), 0);
  EXPECT_EQ(r.data_items, 0u);
}

TEST_F(NodeTest, ASnapshotWhoseDataIsMalformedIsRefusedNamingItBeforeAnythingRuns) {
  {
    auto node = MakeNode(t0_ + 2 * kNanosPerMinute + 30 * kNanosPerSecond);
    ASSERT_TRUE(node->Run().status.ok());
  }
  const fs::path path = dir_ / "state" / "TRADER-001" / "journal.sqlite";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(
      db, "UPDATE snapshots SET body = json_set(body, '$.data.seen', json('{\"quote X\": 0}'))",
      nullptr, nullptr, &err);
  const std::string why = err != nullptr ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << why;
  auto node = MakeNode();
  const NodeRunResult r = node->Run();
  ASSERT_FALSE(r.status.ok());
  EXPECT_NE(r.status.error().find("journal.sqlite"), std::string::npos) << r.status.error();
  EXPECT_NE(r.status.error().find("data: seen[\"quote X\"] is not a positive count"),
            std::string::npos)
      << r.status.error();
  EXPECT_EQ(strategy_->starts(), 0);
}

// Adapters stop their own threads in a teardown hook (OnTeardown) because those threads read
// the kernel (the Kite glue's timers read its clock): the hooks run first, with the kernel and
// its clock whole, then the kernel goes, then what the node owns.
class DestructionRecorder final : public Strategy {
 public:
  explicit DestructionRecorder(std::vector<std::string>* order)
      : Strategy(StrategyId("RECORDER-001")), order_(order) {}
  ~DestructionRecorder() override { order_->push_back("kernel"); }

 private:
  std::vector<std::string>* order_;
};

TEST_F(NodeTest, TeardownHooksRunWithTheKernelWholeBeforeItAndWhatTheNodeOwnsGo) {
  std::vector<std::string> order;
  strategy_factory_ = [&] { return std::make_unique<DestructionRecorder>(&order); };
  auto node = MakeNode();
  TradingNode* n = node.get();
  node->Own(std::shared_ptr<void>(new int(0), [&](void* p) {
    order.push_back("owned");
    delete static_cast<int*>(p);
  }));
  UnixNanos seen{};
  node->OnTeardown([&] {
    seen = n->clock().Now();  // the kernel's clock is still there
    order.push_back("hook 1");
  });
  node->OnTeardown([&] { order.push_back("hook 2"); });
  node.reset();
  EXPECT_EQ(order, (std::vector<std::string>{"hook 1", "hook 2", "kernel", "owned"}));
  EXPECT_GT(seen.value, 0);
}

}  // namespace
}  // namespace nacre
