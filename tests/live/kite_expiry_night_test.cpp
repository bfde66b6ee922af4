// A live node through an expiry night against the Kite emulator (issue 15 items 3 and 6): the
// emulator's clock skips closed hours (skip_closed) at 300x, and the node continues it
// (clock_from_emulator), so Tuesday 6-Jan-2026's last half hour, the night and Wednesday's
// first half hour pass in about 14 s of wall time.
//
// The market: NIFTY 50 and the 6-Jan-2026 weekly 24000 call quoted every 5 minutes from 15:00
// to 15:25 on the expiry day (the index's last print 24101.35 at 15:25, so the call settles at
// an intrinsic value of 101.35); on Wednesday from 09:30 the index and two contracts of the
// 13-Jan weekly that are listed that day (one with Kite's lot of 65, one whose dump row says
// 75 where Nacre's NSE rules say 65).
//
// What is checked, all through a real node and the real emulator over sockets:
//   - the expiry: a test strategy buys one lot of the call at the ask and holds it into the
//     close; the kernel settles it (NFO-SETTLE-1 at 101.35), the emulator's exchange settles it
//     too (its ledger's `settlements`), and the next Kite day's /portfolio/positions no longer
//     lists it, nor do /orders and /trades (Kite's day starts empty). The node takes the
//     morning's login (halted on the 06:00 refusal, resumed after a clean reconciliation),
//     its position poll compares the contract again, and nothing halts. The settlement cash,
//     realised P&L and charges the kernel booked equal the emulator's, to the paisa. A node
//     restarted on Wednesday reconciles the Kite day clean at start.
//   - Kite still listing the expired contract the next day (the emulator's control): the
//     node's reconciliation reports the mismatch naming the contract and trading stays HALTED.
//   - the daily instrument refresh at the next morning: the emulator's dump of Wednesday lists
//     the new weekly and no longer the expired call; the node's map gains the new contracts
//     (cache, execution client, ticker chain), drops the expired one, and logs the lot-size
//     mismatch with Nacre's rules; a failed fetch (5xx), a garbled dump and the previous
//     day's dump (read before Kite replaced it: it lists a contract expired before today) are
//     logged, the previous map kept, and the refresh retried until it succeeds; a previous
//     day's dump served all morning is taken after 12 reads (an hour) with an ERROR.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <thread>

#include "adapters/zerodha/kite_auth.h"
#include "adapters/zerodha/kite_node.h"
#include "adapters/zerodha/kite_session.h"
#include "apps/kite_emulator/instruments.h"
#include "apps/kite_emulator/oms.h"
#include "apps/kite_emulator/runtime.h"
#include "live/node_config.h"
#include "live_node_fixture.h"
#include "net/http_client.h"
#include "persistence/catalog.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

namespace fs = std::filesystem;
using live_test::LiveNodeConfig;
using live_test::LiveNodeToml;
using live_test::LoginToTokenFile;
using live_test::ReadLog;
using nlohmann::json;
using testkit::Px;
using testkit::Qty;

// Buys one lot at the ask on its 2nd quote of the instrument and holds it (a restart on the
// next day finds the contract expired: no quote, nothing bought again).
class HoldIntoExpiry final : public live_test::OnOneOption {
 public:
  using OnOneOption::OnOneOption;
  static constexpr const char* kType = "HoldIntoExpiry";
  static constexpr const char* kDoc = "test: buys one lot at the ask on quote 2 and holds it";
  std::optional<Price> bought_at;

 protected:
  void OnQuote(int n, const QuoteTick& q) override {
    if (n != 2) return;
    bought_at = q.ask_price;
    SubmitOrder(order_factory().Limit(instrument(), OrderSide::kBuy, Qty(65), q.ask_price));
  }
};

// Places one buy 20 below the bid on its 2nd quote of the instrument: it never fills.
class RestBelow final : public live_test::OnOneOption {
 public:
  using OnOneOption::OnOneOption;
  static constexpr const char* kType = "RestBelow";
  static constexpr const char* kDoc = "test: one buy 20 below the bid on quote 2, left working";

 protected:
  void OnQuote(int n, const QuoteTick& q) override {
    if (n != 2) return;
    SubmitOrder(
        order_factory().Limit(instrument(), OrderSide::kBuy, Qty(65), q.bid_price - Px("20.00")));
  }
};

Instrument Weekly13Jan(const char* strike, std::int64_t lot) {
  InstrumentSpec s;
  s.id = InstrumentId::Parse(std::string("NIFTY26113") + strike + "CE.NFO").value();
  s.lot_size = Qty(lot);
  s.freeze_quantity = Qty(1800);
  s.tick_size = Px("0.05");
  return *MakeOption(s, *InstrumentId::Parse("NIFTY 50.NSE"), OptionKind::kCall, Px(strike),
                     FromIst(2026, 1, 7, 9, 15), FromIst(2026, 1, 13, 15, 30));
}

// A Kite JSON number (rupees, up to two decimals) as Money.
Money MoneyOf(const json& v) {
  auto m = Money::Parse(v.dump());
  EXPECT_TRUE(m.ok()) << v.dump();
  return m.ok() ? *m : Money::Zero();
}

bool Has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

class ExpiryNight : public ::testing::Test {
 protected:
  const Instrument index_ = testkit::NiftyIndex();
  const Instrument call_ = testkit::NiftyOption(OptionKind::kCall, "24000");  // 6-Jan-2026
  const Instrument next_ = Weekly13Jan("24000", 65);
  const Instrument odd_lot_ = Weekly13Jan("24100", 75);  // Nacre's rules: 65 for Jan-2026
  static constexpr double kSpeed = 300;

  void SetUp() override {
    RegisterKiteLiveAdapter();
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = fs::temp_directory_path() /
           ("nacre_xn_" + std::to_string(::getpid()) + "_" +
            std::to_string(std::hash<std::string>{}(test) % 1'000'000));
    fs::remove_all(dir_);
    auto cat = Catalog::Open((dir_ / "catalog").string());
    ASSERT_TRUE(cat.ok()) << cat.error();
    const std::vector<Instrument> all{index_, call_, next_, odd_lot_};
    ASSERT_TRUE((*cat)->WriteInstruments(all).ok());
    std::vector<QuoteTick> calls, idx, nexts, odds;
    for (int i = 0; i < 6; ++i) {
      const UnixNanos t = FromIst(2026, 1, 6, 15, 0) + i * 5 * kNanosPerMinute;
      const std::string bid = std::to_string(100 + i) + ".00";
      const std::string ask = std::to_string(100 + i) + ".20";
      calls.push_back(QuoteTick{call_.id, Px(bid.c_str()), Px(ask.c_str()), Qty(650), Qty(650), t, t});
      const std::string level = std::to_string(24096 + i) + ".35";
      idx.push_back(QuoteTick{index_.id, Px(level.c_str()), Px(level.c_str()), Qty(0), Qty(0), t, t});
    }
    for (int i = 0; i < 6; ++i) {
      const UnixNanos t = FromIst(2026, 1, 7, 9, 30) + i * 5 * kNanosPerMinute;
      idx.push_back(QuoteTick{index_.id, Px("24150.00"), Px("24150.00"), Qty(0), Qty(0), t, t});
      nexts.push_back(QuoteTick{next_.id, Px("180.00"), Px("180.20"), Qty(650), Qty(650), t, t});
      odds.push_back(QuoteTick{odd_lot_.id, Px("130.00"), Px("130.20"), Qty(750), Qty(750), t, t});
    }
    ASSERT_TRUE((*cat)->WriteQuotes(call_.id, calls).ok());
    ASSERT_TRUE((*cat)->WriteQuotes(index_.id, idx).ok());
    ASSERT_TRUE((*cat)->WriteQuotes(next_.id, nexts).ok());
    ASSERT_TRUE((*cat)->WriteQuotes(odd_lot_.id, odds).ok());
    live_test::OnOneOption::Register<HoldIntoExpiry>(registry_, &strategy_);
    kite_emu::LoadedEmulatorConfig c;
    c.emulator.user.api_key = "livekey";
    c.emulator.user.api_secret = "live-secret-123";
    c.catalog_dir = (dir_ / "catalog").string();
    c.instruments = all;
    c.emulator.instruments = kite_emu::KiteInstrumentTable(c.instruments);
    c.speed = kSpeed;
    c.skip_closed = true;
    c.start = FromIst(2026, 1, 6, 14, 58);
    rt_ = std::make_unique<kite_emu::Runtime>(c);
    ASSERT_TRUE(rt_->Start().ok());
    Login();
  }
  void TearDown() override {
    if (rt_) rt_->Stop();
    fs::remove_all(dir_);
  }

  UnixNanos EmulatorNow() {
    UnixNanos now;
    rt_->OnIoThread([&] { now = rt_->clock().Now(); });
    return now;
  }
  // A session at the emulator's virtual now, in the token file (as `nacre kite login` leaves it).
  void Login() {
    access_ = LoginToTokenFile(*rt_, "livekey", "live-secret-123", dir_ / "kite_session.json");
  }
  // Installs the emulator's fault plan `body` (its /__emu/faults JSON).
  void PlanFaults(const std::string& body) { live_test::PlanFaults(*rt_, body); }
  // The morning's login, as a user does it before trading: once the emulator's clock is in
  // Wednesday's session, `before` (e.g. a fault plan) and then a new session in the token file.
  std::thread MorningLogin(std::function<void()> before = {}) {
    return std::thread([this, before] {
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (EmulatorNow() < FromIst(2026, 1, 7, 9, 15)) {
        if (std::chrono::steady_clock::now() > until) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      if (before) before();
      Login();
    });
  }
  std::string Config(const std::string& end) {
    LiveNodeToml t;
    t.end = end;
    t.starting_balance = "400000";  // the emulator's
    t.kite_extra = "positions_poll_secs = 0.3";
    t.strategies = "[[strategies]]\ntype = \"HoldIntoExpiry\"\nid = \"HOLD-001\"\n"
                   "[strategies.params]\ninstrument = \"" + call_.id.value() + "\"\n";
    return LiveNodeConfig(dir_, rt_.get(), t);
  }
  json Ledger() { return live_test::Ledger(*rt_); }
  // The faults the emulator fired (its control plane's log).
  json KiteGetFaults() {
    net::HttpClient http("127.0.0.1", rt_->http_port());
    net::HttpRequest r;
    r.target = "/__emu/faults";
    auto resp = http.Send(r, 5 * kNanosPerSecond);
    EXPECT_TRUE(resp.ok() && resp->status == 200) << (resp.ok() ? resp->body : resp.error());
    if (!resp.ok()) return json::array();
    const json j = json::parse(resp->body, nullptr, false);
    return j.is_object() && j.contains("data") ? j["data"]["log"] : json::array();
  }
  // A Kite route as a client reads it with the current session (its `data`).
  json KiteGet(const std::string& target) {
    net::HttpClient http("127.0.0.1", rt_->http_port());
    net::HttpRequest r;
    r.target = target;
    r.headers = {{"X-Kite-Version", "3"}, {"Authorization", "token livekey:" + access_}};
    auto resp = http.Send(r, 5 * kNanosPerSecond);
    EXPECT_TRUE(resp.ok() && resp->status == 200) << target << ": "
                                                  << (resp.ok() ? resp->body : resp.error());
    if (!resp.ok()) return nullptr;
    const json j = json::parse(resp->body, nullptr, false);
    return j.is_object() && j.contains("data") ? j["data"] : json();
  }
  std::string Symbol(const Instrument& i) { return i.raw_symbol.value().empty() ? i.id.symbol().value() : i.raw_symbol.value(); }
  bool ListsNet(const json& positions, const Instrument& i) {
    for (const json& p : positions["net"]) {
      if (p["tradingsymbol"] == Symbol(i)) return true;
    }
    return false;
  }
  // The ticker's subscribed tokens (every connection).
  std::set<std::uint32_t> Subscribed() {
    std::set<std::uint32_t> out;
    rt_->OnIoThread([&] {
      for (const auto& [conn, tokens] : rt_->ticker().Subscriptions()) {
        for (const auto& [token, mode] : tokens) out.insert(token);
      }
    });
    return out;
  }
  std::uint32_t TokenOf(const Instrument& i) {
    std::uint32_t t = 0;
    rt_->OnIoThread([&] { t = rt_->market()->ByInstrument(i.id)->token; });
    return t;
  }

  fs::path dir_;
  ComponentRegistry registry_;
  std::unique_ptr<kite_emu::Runtime> rt_;
  std::string access_;
  HoldIntoExpiry* strategy_ = nullptr;
};

TEST_F(ExpiryNight, TheKernelSettlesTheExpiredCallAndTheNextKiteDayAgrees) {
  std::FILE* log = std::tmpfile();
  std::set<std::uint32_t> subscribed;
  {
    LoadedNode n =
        LoadNodeConfigString(Config("2026-01-07T09:50"), "live.toml", dir_.string(), registry_, log);
    std::thread morning = MorningLogin();
    const NodeRunResult r = n.node->Run();
    morning.join();
    ASSERT_TRUE(r.start_status.ok()) << r.start_status.error();
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    subscribed = Subscribed();
    const std::string text = ReadLog(log);
    // The morning's login taken (at once, or after the 06:00 refusal halted trading and a
    // clean reconciliation resumed it); the position poll compares the expired call again on
    // Wednesday: nothing halts.
    EXPECT_TRUE(Has(text, "the new login in") || Has(text, "reconciled clean, trading resumed"))
        << text;
    // Taken at once, the new Kite day is reconciled all the same (its ticker reconnected).
    if (Has(text, "the new login in")) {
      EXPECT_TRUE(Has(text, "new Kite session taken: the Kite day reconciled")) << text;
    }
    EXPECT_EQ(n.node->kernel().halt_reason(), "") << text;
    EXPECT_EQ(n.node->kernel().risk_engine().trading_state(), TradingState::kActive) << text;

    // The kernel: the strategy's buy and the settlement, the position flat.
    const Cache& cache = n.node->kernel().cache();
    ASSERT_TRUE(strategy_->bought_at);
    const Order* settle = cache.order(ClientOrderId("NFO-SETTLE-1"));
    ASSERT_NE(settle, nullptr) << text;
    EXPECT_EQ(settle->status(), OrderStatus::kFilled);
    EXPECT_EQ(settle->side(), OrderSide::kSell);
    EXPECT_EQ(*settle->avg_px(), Px("101.35"));  // 24101.35 − 24000
    EXPECT_TRUE(cache.PositionsOpen().empty());
    std::vector<const Position*> positions = cache.Positions();
    ASSERT_EQ(positions.size(), 1u);
    const Position& p = *positions.front();
    EXPECT_EQ(p.instrument_id(), call_.id);
    EXPECT_TRUE(p.is_closed());

    // The emulator's exchange settled it too, and its ledger booked the same.
    const json ledger = Ledger();
    ASSERT_EQ(ledger["settlements"].size(), 1u) << ledger.dump();
    const json& st = ledger["settlements"][0];
    EXPECT_EQ(st["tradingsymbol"], Symbol(call_));
    EXPECT_EQ(st["quantity"], 65);
    EXPECT_EQ(MoneyOf(st["settlement_price"]), Money::Notional(Px("101.35"), Qty(1), 1));
    const Money settled = Money::Notional(Px("101.35"), Qty(65), 1);
    EXPECT_EQ(MoneyOf(st["value"]), settled);  // 6,587.75 received
    // Realised P&L before charges, to the paisa: the kernel's (net of its commissions, added
    // back) and the ledger's (its trades and the settlement cash).
    const Money gross = p.realized_pnl() + p.commissions();
    EXPECT_EQ(MoneyOf(st["realised"]), gross) << ledger.dump();
    EXPECT_EQ(gross, settled - Money::Notional(*strategy_->bought_at, Qty(65), 1));
    // The settlement's charges (STT on an exercised long in the money) and all charges.
    EXPECT_EQ(MoneyOf(st["charges"]), settle->commission());
    EXPECT_GT(settle->commission(), Money::Zero());
    EXPECT_EQ(MoneyOf(ledger["charges"]), p.commissions()) << ledger.dump();
    // The new weekly listed on Wednesday: in the cache, and quoted through the ticker.
    EXPECT_NE(cache.instrument(next_.id), nullptr);
    EXPECT_NE(cache.quote(next_.id), nullptr);
  }
  // The next Kite day as a client reads it: no position in the expired call, an empty order
  // book and trade book (the ledger keeps Tuesday's).
  const json positions = KiteGet("/portfolio/positions");
  EXPECT_FALSE(ListsNet(positions, call_)) << positions.dump();
  EXPECT_TRUE(KiteGet("/orders").empty());
  EXPECT_TRUE(KiteGet("/trades").empty());
  EXPECT_EQ(Ledger()["orders"].size(), 1u);

  // The morning's instrument refresh: Wednesday's dump lists the 13-Jan weekly and no longer
  // the expired call; the new contracts are subscribed, the odd lot reported.
  std::string text = ReadLog(log);
  EXPECT_TRUE(Has(text, "instruments refreshed for 2026-01-07")) << text;
  EXPECT_TRUE(Has(text, "(+2 listed, -1 gone, 0 kept while held)")) << text;
  EXPECT_TRUE(Has(text, "daily instrument refresh: ")) << text;
  EXPECT_TRUE(Has(text, Symbol(odd_lot_))) << text;
  EXPECT_TRUE(subscribed.count(TokenOf(next_)) == 1) << "the new weekly is in the ticker's chain";
  EXPECT_TRUE(subscribed.count(TokenOf(call_)) == 0) << "the expired call left the chain";

  // Restarted on Wednesday: the journal's Tuesday and Kite's Wednesday reconcile clean.
  {
    LoadedNode n =
        LoadNodeConfigString(Config("2026-01-07T10:00"), "live.toml", dir_.string(), registry_, log);
    const NodeRunResult r = n.node->Run();
    EXPECT_TRUE(r.recovered);
    ASSERT_TRUE(r.start_status.ok()) << r.start_status.error() << ReadLog(log);
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    EXPECT_EQ(n.node->kernel().halt_reason(), "");
    EXPECT_TRUE(n.node->kernel().cache().PositionsOpen().empty());
    EXPECT_NE(n.node->kernel().cache().instrument(next_.id), nullptr);
  }
  EXPECT_EQ(Ledger()["orders"].size(), 1u);  // nothing placed again
  std::fclose(log);
}

TEST_F(ExpiryNight, AnOrderLeftWorkingAtTheStopExpiresWithItsDayAtTheNextDaysStart) {
  // Tuesday: the node stops at 15:20 leaving its buy working (on_stop = "leave"); Kite's
  // exchange ends it at the close. Wednesday: Kite's order book starts empty. The restarted
  // node's reconciliation expires the journal's working order with its day (LIVE.md §8) and
  // trades on; before, "absent at venue" halted every start of the day.
  live_test::OnOneOption::Register<RestBelow>(registry_);
  LiveNodeToml t;
  t.starting_balance = "400000";
  t.on_stop = "leave";
  t.strategies = "[[strategies]]\ntype = \"RestBelow\"\nid = \"REST-001\"\n"
                 "[strategies.params]\ninstrument = \"" + call_.id.value() + "\"\n";
  std::FILE* log = std::tmpfile();
  ClientOrderId left;
  {
    t.end = "2026-01-06T15:20";
    LoadedNode n = LoadNodeConfigString(LiveNodeConfig(dir_, rt_.get(), t), "live.toml",
                                        dir_.string(), registry_, log);
    const NodeRunResult r = n.node->Run();
    ASSERT_TRUE(r.start_status.ok()) << r.start_status.error();
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    const std::vector<const Order*> open = n.node->kernel().cache().OrdersOpen();
    ASSERT_EQ(open.size(), 1u) << ReadLog(log);
    EXPECT_EQ(open.front()->status(), OrderStatus::kAccepted);
    left = open.front()->client_order_id();
  }
  ASSERT_EQ(Ledger()["orders"].size(), 1u);
  std::thread morning = MorningLogin();
  morning.join();
  ASSERT_GE(EmulatorNow(), FromIst(2026, 1, 7, 9, 15));
  EXPECT_TRUE(KiteGet("/orders").empty());
  {
    t.end = "2026-01-07T09:40";
    LoadedNode n = LoadNodeConfigString(LiveNodeConfig(dir_, rt_.get(), t), "live.toml",
                                        dir_.string(), registry_, log);
    const NodeRunResult r = n.node->Run();
    const std::string text = ReadLog(log);
    EXPECT_TRUE(r.recovered);
    ASSERT_TRUE(r.start_status.ok()) << r.start_status.error() << text;
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    EXPECT_EQ(n.node->kernel().halt_reason(), "") << text;
    EXPECT_EQ(n.node->kernel().risk_engine().trading_state(), TradingState::kActive);
    const Order* o = n.node->kernel().cache().order(left);
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->status(), OrderStatus::kExpired);
    EXPECT_TRUE(o->filled_qty().is_zero());
    EXPECT_TRUE(Has(text, "order " + left.value() + " was ACCEPTED from a previous day and "
                          "venue NFO's day does not list it: expired with its day"))
        << text;
    EXPECT_TRUE(n.node->kernel().cache().PositionsOpen().empty());
  }
  EXPECT_EQ(Ledger()["orders"].size(), 1u);  // nothing placed again
  std::fclose(log);
}

TEST_F(ExpiryNight, KiteStillListingTheExpiredCallIsAMismatchThatHalts) {
  // Kite's Wednesday positions still hold the expired call (as if never settled).
  rt_->OnIoThread([&] { rt_->oms()->SetKeepExpiredPositions(true); });
  std::FILE* log = std::tmpfile();
  {
    LoadedNode n = LoadNodeConfigString(Config("2026-01-07T09:50"), "live.toml", dir_.string(),
                                        registry_, log);
    std::thread morning = MorningLogin();
    const NodeRunResult r = n.node->Run();
    morning.join();
    ASSERT_TRUE(r.start_status.ok()) << r.start_status.error();
    const std::string text = ReadLog(log);
    // The kernel settled it; on Wednesday Kite lists +65 where the kernel holds nothing: the
    // running node's position poll names the contract and trading is HALTED.
    EXPECT_NE(n.node->kernel().cache().order(ClientOrderId("NFO-SETTLE-1")), nullptr);
    EXPECT_TRUE(Has(text, "position poll: Kite's net positions differ from ours on two "
                          "consecutive polls: position " + call_.id.value() + ": Kite +65, ours 0"))
        << text;
    EXPECT_EQ(n.node->kernel().risk_engine().trading_state(), TradingState::kHalted);
  }
  // Restarted on Wednesday: the start's reconciliation finds the same and stays HALTED.
  {
    LoadedNode n = LoadNodeConfigString(Config("2026-01-07T10:00"), "live.toml", dir_.string(),
                                        registry_, log);
    const NodeRunResult r = n.node->Run();
    EXPECT_FALSE(r.start_status.ok());
    EXPECT_TRUE(Has(r.start_status.error(), "position " + call_.id.value() + ": venue +65, ours 0"))
        << r.start_status.error();
    EXPECT_EQ(n.node->kernel().risk_engine().trading_state(), TradingState::kHalted);
  }
  std::fclose(log);
}

// The same, with the morning's login written only after Kite's 06:00 refusal halted the node:
// the token watch takes it and the new session's reconciliation finds the mismatch. Trading
// stays HALTED as a fault (as `nacre ctl reconcile` halts), not by the token's halt, which is
// withdrawn: the session works, and the halt must not read as waiting for a login.
TEST_F(ExpiryNight, AMismatchFoundWithALoginAfterTheRefusalHaltsAsAFaultNotAsTheTokens) {
  rt_->OnIoThread([&] { rt_->oms()->SetKeepExpiredPositions(true); });
  const fs::path log_path = dir_ / "node.log";
  std::FILE* log = std::fopen(log_path.c_str(), "w+");
  ASSERT_NE(log, nullptr);
  std::setvbuf(log, nullptr, _IOLBF, 0);  // whole lines reach the file (read beside the node)
  LoadedNode n = LoadNodeConfigString(Config("2026-01-07T09:50"), "live.toml", dir_.string(),
                                      registry_, log);
  bool refused = false;
  std::thread morning = MorningLogin([&] {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < until) {
      std::ifstream in(log_path);
      const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (Has(text, "Kite session refused (TokenException)")) {
        refused = true;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // polling what is watched
    }
  });
  const NodeRunResult r = n.node->Run();
  morning.join();
  ASSERT_TRUE(r.start_status.ok()) << r.start_status.error();
  const std::string text = ReadLog(log);
  ASSERT_TRUE(refused) << text;
  std::size_t found = text.find("new Kite session for AB1234: reconciliation found a mismatch: ");
  EXPECT_NE(found, std::string::npos) << text;
  if (found == std::string::npos) found = 0;
  EXPECT_FALSE(Has(text, "reconciled clean, trading resumed")) << text;
  // The session works, and the node uses it: the day's instrument refresh, refused at 09:15,
  // is read with it (before, Kite's token halt stayed set: the refresh, the reconnect watch,
  // the next morning's login and Kite's later refusals were all passed over until a restart).
  EXPECT_NE(text.find("instruments refreshed for 2026-01-07", found), std::string::npos) << text;
  const RiskEngine& risk = n.node->kernel().risk_engine();
  EXPECT_EQ(risk.trading_state(), TradingState::kHalted);
  // A fault's halt (the position poll may name the same difference after it): a resume cannot
  // lift it, and nothing says the node waits for a login.
  EXPECT_FALSE(n.node->kernel().halt_reason().empty());
  EXPECT_TRUE(Has(n.node->kernel().halt_reason(), call_.id.value())) << n.node->kernel().halt_reason();
  EXPECT_FALSE(Has(risk.trading_state_reason(), "TokenException")) << risk.trading_state_reason();
  EXPECT_FALSE(Has(n.node->kill_switch()->StatusJson(), "TokenException"))
      << n.node->kill_switch()->StatusJson();
  std::fclose(log);
}

TEST_F(ExpiryNight, AFailedOrGarbledDumpKeepsThePreviousMapAndIsRetried) {
  std::FILE* log = std::tmpfile();
  LoadedNode n =
      LoadNodeConfigString(Config("2026-01-07T09:50"), "live.toml", dir_.string(), registry_, log);
  // Wednesday's first dump read fails (503), the second is cut short, the third is Tuesday's
  // (Kite's dump read before it was replaced: it still lists the expired call); the fourth is
  // Wednesday's.
  std::thread morning = MorningLogin([this] {
    PlanFaults(R"({"rule": [{"route": "GET /instruments", "action": "5xx_before", "nth": 1},
                            {"route": "GET /instruments", "action": "garble", "nth": 2},
                            {"route": "GET /instruments", "action": "old_dump", "nth": 3}]})");
  });
  const NodeRunResult r = n.node->Run();
  morning.join();
  ASSERT_TRUE(r.start_status.ok()) << r.start_status.error();
  ASSERT_TRUE(r.status.ok()) << r.status.error();
  const std::string text = ReadLog(log);
  std::fclose(log);
  const std::size_t failed = text.find("Gateway error 503");
  const std::size_t garbled = text.find("/instruments:4:");
  const std::size_t old = text.find("Kite's instruments dump is not 2026-01-07's yet (it still "
                                    "lists " + call_.id.value() + ", expired 2026-01-06");
  const std::size_t done = text.find("instruments refreshed for 2026-01-07");
  ASSERT_NE(failed, std::string::npos) << text;
  ASSERT_NE(garbled, std::string::npos) << text;
  ASSERT_NE(old, std::string::npos) << text;
  ASSERT_NE(done, std::string::npos) << text;
  EXPECT_LT(failed, garbled);
  EXPECT_LT(garbled, old);
  EXPECT_LT(old, done);
  EXPECT_TRUE(Has(text, "running on the previous map")) << text;
  // The garbled dump's error names its last line (the header is line 1, then three rows).
  EXPECT_TRUE(Has(text, "daily instrument refresh: http://127.0.0.1:")) << text;
  EXPECT_EQ(n.node->kernel().halt_reason(), "") << text;
  EXPECT_NE(n.node->kernel().cache().instrument(next_.id), nullptr);
}

// Kite keeping the previous day's dump all morning (or an expired row for good): the node
// reads it 12 times, 5 minutes apart, running on its previous map with one WARN, then takes it
// all the same with an ERROR naming the contract, so an expired row can never stop every later
// listing.
TEST_F(ExpiryNight, APreviousDaysDumpIsTakenAfterAnHourOfReadsWithAnError) {
  std::FILE* log = std::tmpfile();
  LoadedNode n =
      LoadNodeConfigString(Config("2026-01-07T10:30"), "live.toml", dir_.string(), registry_, log);
  std::thread morning = MorningLogin([this] {
    PlanFaults(R"({"rule": [{"route": "GET /instruments", "action": "old_dump", "every": 1}]})");
  });
  const NodeRunResult r = n.node->Run();
  morning.join();
  ASSERT_TRUE(r.start_status.ok()) << r.start_status.error();
  ASSERT_TRUE(r.status.ok()) << r.status.error();
  const std::string text = ReadLog(log);
  std::fclose(log);
  const std::string stale = "Kite's instruments dump is not 2026-01-07's yet (it still lists " +
                            call_.id.value() + ", expired 2026-01-06";
  const std::size_t first = text.find(stale + "); running on the previous map");
  const std::size_t taken = text.find(stale + ", on 12 reads over an hour); taken all the same");
  const std::size_t done = text.find("instruments refreshed for 2026-01-07");
  ASSERT_NE(first, std::string::npos) << text;
  ASSERT_NE(taken, std::string::npos) << text;
  ASSERT_NE(done, std::string::npos) << text;
  EXPECT_LT(first, taken);
  EXPECT_LT(taken, done);
  // One WARN for the whole hour, not one per read.
  EXPECT_EQ(text.find("running on the previous map", taken), std::string::npos) << text;
  EXPECT_EQ(text.find("running on the previous map",
                      text.find("running on the previous map", first) + 1),
            std::string::npos)
      << text;
  // The dump taken is Tuesday's: Wednesday's new weekly is not listed; the node did not halt.
  EXPECT_EQ(n.node->kernel().cache().instrument(next_.id), nullptr);
  EXPECT_EQ(n.node->kernel().halt_reason(), "") << text;
  // The emulator decided old_dump on every read of the morning: at least the 12 the node
  // counted (a read refused before the morning's login reached the node is in its log too).
  const json fired = KiteGetFaults();
  int old_dumps = 0;
  for (const json& f : fired) old_dumps += f["action"] == "old_dump" ? 1 : 0;
  EXPECT_GE(old_dumps, 12) << fired.dump();
}

// A node started on Wednesday morning whose first read of the dump gets Tuesday's (read before
// Kite replaced it: it still lists the call expired on Tuesday): it starts on that map, says so,
// and reads the dump again 5 minutes later through the daily refresh, which brings Wednesday's
// new weekly (and drops the expired call) without a restart.
TEST_F(ExpiryNight, ANodeStartedOnAPreviousDaysDumpRunsOnItAndReadsTheDaysFiveMinutesLater) {
  // The emulator's clock into Wednesday's session (the night skipped), then the morning's
  // login and the fault on the node's first read of the dump.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (EmulatorNow() < FromIst(2026, 1, 7, 9, 16)) {
    ASSERT_LT(std::chrono::steady_clock::now(), until) << "the emulator's clock did not move";
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  PlanFaults(R"({"rule": [{"route": "GET /instruments", "action": "old_dump", "nth": 1}]})");
  Login();
  std::FILE* log = std::tmpfile();
  ::testing::internal::CaptureStderr();
  LoadedNode n =
      LoadNodeConfigString(Config("2026-01-07T09:35"), "live.toml", dir_.string(), registry_, log);
  const NodeRunResult r = n.node->Run();
  const std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(r.start_status.ok()) << r.start_status.error() << err;
  ASSERT_TRUE(r.status.ok()) << r.status.error();
  const std::string text = ReadLog(log);
  std::fclose(log);
  EXPECT_TRUE(Has(err, "kite: instruments: Kite's instruments dump is not 2026-01-07's yet (it "
                       "still lists " + call_.id.value() + ", expired 2026-01-06); running on "
                       "it, read again in 5 minutes"))
      << err;
  // The refresh took Wednesday's dump: the new weekly listed, the expired call gone.
  EXPECT_TRUE(Has(text, "instruments refreshed for 2026-01-07")) << text;
  EXPECT_TRUE(Has(text, "(+2 listed, -1 gone, 0 kept while held)")) << text;
  EXPECT_NE(n.node->kernel().cache().instrument(next_.id), nullptr);
  EXPECT_EQ(n.node->kernel().halt_reason(), "") << text;
  // One old_dump fired (the start's read), and the refresh read the dump again.
  int old_dumps = 0;
  for (const json& f : KiteGetFaults()) old_dumps += f["action"] == "old_dump" ? 1 : 0;
  EXPECT_EQ(old_dumps, 1);
}

}  // namespace
}  // namespace nacre
