// The live environment end to end: `environment = "live"` with a [kite] table, loaded by the
// node config loader through the registered Zerodha adapter, against the running Kite emulator
// over 127.0.0.1 (its replay running on its own virtual clock, the node's clock taken from it).
// A strategy buys one lot at the ask on its 2nd quote and sells it at the bid on its 4th: the
// ticker brings the quotes, the orders go through the REST client, Kite's answers and the
// order history become the kernel's events, the journal records them. Checked against the
// emulator's ledger (the test oracle): each intent placed once with this node's tag, fills at
// the touch, positions flat at both ends; a restart reconciles clean with the Kite day; no
// secret in the journal, the results folder or the log. And the refusals before anything runs:
// a missing token file, Zerodha's URL without allow_real_money, a paused emulator's clock.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

#include "adapters/zerodha/kite_auth.h"
#include "adapters/zerodha/kite_node.h"
#include "adapters/zerodha/kite_session.h"
#include "apps/examples/sma_cross.h"
#include "apps/spreads/register.h"
#include "apps/kite_emulator/instruments.h"
#include "apps/kite_emulator/runtime.h"
#include "common/config.h"
#include "core/secrets.h"
#include "live/node_config.h"
#include "live_node_fixture.h"
#include "net/http_client.h"
#include "persistence/catalog.h"
#include "persistence/journal.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testkit::Px;
using testkit::Qty;

// Buys one lot at the ask on its 2nd quote and sells it at the bid on its 4th; keeps the
// index's 5-minute bars (EXTERNAL) as they come.
class TwoTrades final : public live_test::OnOneOption {
 public:
  using OnOneOption::OnOneOption;
  static constexpr const char* kType = "TwoTrades";
  static constexpr const char* kDoc =
      "test: buys at the ask on quote 2, sells at the bid on quote 4";
  // The touch each order was sent at (which quotes reach the strategy first depends on when
  // its subscription reached the ticker).
  std::optional<Price> bought_at, sold_at;
  std::vector<Bar> bars;  // the index's 5-minute bars, as they came

 protected:
  void OnStart() override {
    OnOneOption::OnStart();
    SubscribeBars(*BarType::Parse("NIFTY 50.NSE-5-MINUTE-LAST-EXTERNAL"));
  }
  void OnBar(const Bar& b) override { bars.push_back(b); }
  void OnQuote(int n, const QuoteTick& q) override {
    if (n == 2) {
      bought_at = q.ask_price;
      SubmitOrder(order_factory().Limit(instrument(), OrderSide::kBuy, Qty(65), q.ask_price));
    } else if (n == 4) {
      sold_at = q.bid_price;
      SubmitOrder(order_factory().Limit(instrument(), OrderSide::kSell, Qty(65), q.bid_price));
    }
  }
  SavedState OnSave() override { return {{"quotes", std::to_string(quotes_)}}; }
  void OnLoad(const SavedState& s) override {
    if (auto it = s.find("quotes"); it != s.end()) quotes_ = std::stoi(it->second);
  }
};

// On its 2nd quote of the instrument, an OCO pair of buys: one lot at the ask (it fills at
// once) and one 20 below the bid (it rests, and the first's fill cancels it).
class OcoAtTheTouch final : public live_test::OnOneOption {
 public:
  using OnOneOption::OnOneOption;
  static constexpr const char* kType = "OcoAtTheTouch";
  static constexpr const char* kDoc =
      "test: an OCO pair of buys on quote 2, 20 and 25 below the bid; once Kite has "
      "acknowledged both, the first is moved to the ask";

 protected:
  void OnQuote(int n, const QuoteTick& q) override {
    if (n != 2) return;
    ask_ = q.ask_price;
    std::vector<std::unique_ptr<Order>> pair;
    pair.push_back(
        order_factory().Limit(instrument(), OrderSide::kBuy, Qty(65), q.bid_price - Px("20.00")));
    pair.push_back(
        order_factory().Limit(instrument(), OrderSide::kBuy, Qty(65), q.bid_price - Px("25.00")));
    first_ = pair.front()->client_order_id();
    SubmitOrderList(std::move(pair), ContingencyType::kOco);
  }
  // The first fills only when its peer is known to work at Kite: the peer's cancel is then
  // sent to an acknowledged order (an unacknowledged one waits for Kite's word, which the
  // ended session cannot give, and the engine has nothing to retry).
  void OnOrderAccepted(const OrderAccepted&) override {
    if (++accepted_ != 2) return;
    if (const Order* first = cache().order(first_)) ModifyOrder(*first, std::nullopt, ask_);
  }

 private:
  Price ask_;
  ClientOrderId first_;
  int accepted_ = 0;
};

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

using live_test::ReadAndClose;

class LiveNode : public ::testing::Test {
 protected:
  const Instrument index_ = testkit::NiftyIndex();
  const Instrument call_ = testkit::NiftyOption(OptionKind::kCall, "24000");
  const UnixNanos t0_ = FromIst(2025, 12, 30, 10, 0);
  static constexpr double kSpeed = 300;  // 5 market minutes a wall second

  void SetUp() override {
    RegisterKiteLiveAdapter();
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = fs::temp_directory_path() /
           ("nacre_ln_" + std::to_string(::getpid()) + "_" +
            std::to_string(std::hash<std::string>{}(test) % 1'000'000));
    fs::remove_all(dir_);
    auto cat = Catalog::Open((dir_ / "catalog").string());
    ASSERT_TRUE(cat.ok()) << cat.error();
    const std::vector<Instrument> all{index_, call_};
    ASSERT_TRUE((*cat)->WriteInstruments(all).ok());
    std::vector<QuoteTick> quotes;
    for (int i = 0; i < 6; ++i) {
      const UnixNanos t = t0_ + i * 5 * kNanosPerMinute;
      const std::string bid = std::to_string(100 + i) + ".00";
      const std::string ask = std::to_string(100 + i) + ".10";
      quotes.push_back(QuoteTick{call_.id, Px(bid.c_str()), Px(ask.c_str()), Qty(650), Qty(650), t, t});
    }
    ASSERT_TRUE((*cat)->WriteQuotes(call_.id, quotes).ok());
    const std::vector<QuoteTick> idx{
        QuoteTick{index_.id, Px("24001.25"), Px("24001.25"), Qty(0), Qty(0), t0_, t0_}};
    ASSERT_TRUE((*cat)->WriteQuotes(index_.id, idx).ok());
    // The index's 5-minute bars from 09:15 to 10:40 (the strategy's EXTERNAL bars).
    const BarType five = *BarType::Parse("NIFTY 50.NSE-5-MINUTE-LAST-EXTERNAL");
    for (int i = 0; i < 18; ++i) {
      const UnixNanos open = FromIst(2025, 12, 30, 9, 15) + i * 5 * kNanosPerMinute;
      const std::string o = std::to_string(24000 + i) + ".00";
      const std::string h = std::to_string(24010 + i) + ".50";
      const std::string l = std::to_string(23990 + i) + ".25";
      const std::string c = std::to_string(24005 + i) + ".75";
      bars_.push_back(Bar{five, Px(o.c_str()), Px(h.c_str()), Px(l.c_str()), Px(c.c_str()),
                          Qty(0), open, open + 5 * kNanosPerMinute});
    }
    ASSERT_TRUE((*cat)->WriteBars(five, bars_).ok());
    live_test::OnOneOption::Register<TwoTrades>(registry_, &strategy_);
    live_test::OnOneOption::Register<OcoAtTheTouch>(registry_);
  }
  void TearDown() override {
    if (rt_) rt_->Stop();
    fs::remove_all(dir_);
  }

  // The emulator on the catalog, its replay running from `from` at kSpeed on the real wall.
  void StartEmulator(UnixNanos from, bool paused = false) {
    kite_emu::LoadedEmulatorConfig c;
    c.emulator.user.api_key = "livekey";
    c.emulator.user.api_secret = "live-secret-123";
    c.catalog_dir = (dir_ / "catalog").string();
    c.instruments = {index_, call_};
    c.emulator.instruments = kite_emu::KiteInstrumentTable(c.instruments);
    c.paused = paused;
    c.speed = kSpeed;
    c.start = from;
    rt_ = std::make_unique<kite_emu::Runtime>(c);
    ASSERT_TRUE(rt_->Start().ok());
  }
  // A session at the emulator's virtual now, in the token file (as `nacre kite login` leaves it).
  void Login() {
    access_ = live_test::LoginToTokenFile(*rt_, "livekey", "live-secret-123",
                                          dir_ / "kite_session.json");
  }
  // `strategy`: its type (TwoTrades or OcoAtTheTouch), on the call.
  std::string Config(const std::string& kite_extra = "", const std::string& end = "10:21",
                     const std::string& orders_poll_secs = "1",
                     const std::string& strategy = "TwoTrades") {
    live_test::LiveNodeToml t;
    t.end = "2025-12-30T" + end;
    t.kite_extra = kite_extra;
    t.orders_poll_secs = orders_poll_secs;
    t.strategies = "[[strategies]]\ntype = \"" + strategy + "\"\nid = \"S-001\"\n"
                   "[strategies.params]\ninstrument = \"" + call_.id.value() + "\"\n";
    return live_test::LiveNodeConfig(dir_, rt_.get(), t);
  }
  std::string ErrorOf(const std::string& text) {
    try {
      (void)LoadNodeConfigString(text, "live.toml", dir_.string(), registry_, nullptr);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  }
  json Ledger() { return live_test::Ledger(*rt_); }
  // Runs the node with `user` beside it on its own thread (what it sets in its argument fails
  // the test, with the node's log at `log_path`); the run must start and end cleanly, unhalted.
  void RunBeside(LoadedNode& n, const fs::path& log_path,
                 const std::function<void(std::string&)>& user) {
    std::string user_error;
    std::thread beside([&] { user(user_error); });
    const NodeRunResult r = n.node->Run();
    beside.join();
    ASSERT_TRUE(user_error.empty()) << user_error << "\n" << Slurp(log_path);
    ASSERT_TRUE(r.start_status.ok()) << r.start_status.error();
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    EXPECT_TRUE(n.node->kernel().halt_reason().empty()) << n.node->kernel().halt_reason();
  }

  fs::path dir_;
  ComponentRegistry registry_;
  std::unique_ptr<kite_emu::Runtime> rt_;
  std::string access_;
  TwoTrades* strategy_ = nullptr;
  std::vector<Bar> bars_;
};

TEST_F(LiveNode, TradesThroughKiteAndReconcilesCleanAfterARestart) {
  StartEmulator(t0_ - 60 * kNanosPerSecond);
  Login();
  std::FILE* log = std::tmpfile();
  {
    LoadedNode n = LoadNodeConfigString(Config(), "live.toml", dir_.string(), registry_, log);
    const NodeRunResult r = n.node->Run();
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    ASSERT_TRUE(r.start_status.ok()) << r.start_status.error();
    const Cache& cache = n.node->kernel().cache();
    std::vector<const Order*> orders = cache.Orders();
    ASSERT_EQ(orders.size(), 2u);
    for (const Order* o : orders) {
      EXPECT_EQ(o->status(), OrderStatus::kFilled) << o->client_order_id().value();
    }
    // Filled at the touch the orders were sent at: the ask bought, the bid sold.
    ASSERT_TRUE(strategy_->bought_at && strategy_->sold_at);
    EXPECT_EQ(*orders[0]->avg_px(), *strategy_->bought_at);
    EXPECT_EQ(*orders[1]->avg_px(), *strategy_->sold_at);
    EXPECT_TRUE(cache.PositionsOpen().empty());
    // The index's bars came from Kite's candles: each bar that closed while the node ran,
    // once, in order, equal to the catalog's (the emulator's candles come from them).
    ASSERT_GE(strategy_->bars.size(), 3u);
    std::size_t at = 0;
    while (at < bars_.size() && bars_[at].ts_init != strategy_->bars.front().ts_init) ++at;
    ASSERT_LT(at, bars_.size());
    for (const Bar& got : strategy_->bars) {
      ASSERT_LT(at, bars_.size());
      const Bar& want = bars_[at++];
      EXPECT_EQ(got.ts_init, want.ts_init);
      EXPECT_EQ(got.open, want.open);
      EXPECT_EQ(got.high, want.high);
      EXPECT_EQ(got.low, want.low);
      EXPECT_EQ(got.close, want.close);
    }
    EXPECT_LE(strategy_->bars.back().ts_init, FromIst(2025, 12, 30, 10, 21));
  }
  // The emulator's ledger: exactly the two orders, with this node's tags, complete.
  const json ledger = Ledger();
  ASSERT_EQ(ledger["orders"].size(), 2u) << ledger.dump();
  for (const json& o : ledger["orders"]) {
    EXPECT_EQ(o["status"], "COMPLETE");
    EXPECT_EQ(o["tag"].get<std::string>().rfind("N01", 0), 0u) << o.dump();
  }
  // A restart reads the Kite day, finds the journal's orders there and starts clean.
  {
    // (Its clock is the emulator's, now past the first run's end: it runs a few minutes more.)
    LoadedNode n =
        LoadNodeConfigString(Config("", "10:35"), "live.toml", dir_.string(), registry_, log);
    const NodeRunResult r = n.node->Run();
    EXPECT_TRUE(r.recovered);
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    EXPECT_TRUE(r.start_status.ok()) << r.start_status.error();
    EXPECT_EQ(n.node->kernel().cache().Orders().size(), 2u);  // nothing adopted, nothing new
  }
  EXPECT_EQ(Ledger()["orders"].size(), 2u);
  // No secret anywhere the node wrote.
  const std::string log_text = ReadAndClose(log);
  EXPECT_EQ(log_text.find(access_), std::string::npos);
  for (const auto& e : fs::recursive_directory_iterator(dir_ / "state")) {
    if (!e.is_regular_file()) continue;
    EXPECT_EQ(Slurp(e.path()).find(access_), std::string::npos) << e.path();
  }
  for (const auto& e : fs::recursive_directory_iterator(dir_ / "results")) {
    if (!e.is_regular_file()) continue;
    EXPECT_EQ(Slurp(e.path()).find(access_), std::string::npos) << e.path();
  }
}

TEST_F(LiveNode, ReportsKitesAccountAndHaltsOnAPositionChangedBehindItsBack) {
  StartEmulator(t0_ - 60 * kNanosPerSecond);
  Login();
  std::FILE* log = std::tmpfile();
  // No order-book poll: it would find the web order (since the poll fetches orders it does
  // not track) and record it as EXTERNAL, so the books would agree; the test is about an
  // order nothing told the node of. Until 10:40: the difference stands from the web order
  // (about 10:05) on, so a machine busy with other tests still has seconds of polls in which
  // to see it twice.
  LoadedNode n = LoadNodeConfigString(Config("positions_poll_secs = 0.3", "10:40", "0"),
                                      "live.toml", dir_.string(), registry_, log);
  // Once the node's first order is at Kite, someone buys the call on Kite's web page, and the
  // update about it is lost.
  std::thread web([&] {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (Ledger()["orders"].empty()) {
      if (std::chrono::steady_clock::now() > until) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::string symbol;
    rt_->OnIoThread([&] {
      const std::string key = rt_->market()->ByInstrument(call_.id)->key;
      symbol = key.substr(key.find(':') + 1);
    });
    // Kite's order update about it never reaches the node (else the node records it as an
    // EXTERNAL order and its books agree).
    live_test::PlanFaults(*rt_, R"({"rule": [{"stream": "ws", "action": "omit", "every": 1}]})");
    net::HttpClient http("127.0.0.1", rt_->http_port());
    net::HttpRequest req;
    req.method = "POST";
    req.target = "/orders/regular";
    req.body = "exchange=NFO&tradingsymbol=" + symbol +
               "&transaction_type=BUY&order_type=LIMIT&quantity=65&product=NRML&validity=DAY"
               "&price=105&tag=WEBUI";
    req.headers = {{"X-Kite-Version", "3"},
                   {"Authorization", "token livekey:" + access_},
                   {"Content-Type", "application/x-www-form-urlencoded"}};
    auto resp = http.Send(req, 5 * kNanosPerSecond);
    EXPECT_TRUE(resp.ok() && resp->status == 200) << (resp.ok() ? resp->body : resp.error());
  });
  const NodeRunResult r = n.node->Run();
  web.join();
  ASSERT_TRUE(r.start_status.ok()) << r.start_status.error();
  // Two polls saw Kite's +65 more than the kernel's: trading HALTED, naming both (checked
  // below, with the node's log).
  const std::string why = n.node->kernel().halt_reason();
  // The account as Kite reports it reached the kernel (at connect and after the fills).
  const Account* a = n.node->kernel().cache().account(AccountId("KITE-001"));
  ASSERT_NE(a, nullptr);
  std::size_t reported = 0;
  for (const AccountState& st : a->states()) reported += st.reported ? 1 : 0;
  EXPECT_GE(reported, 2u);
  // The config's starting_balance (500000) is not Kite's (the emulator's 400000): WARNed.
  n.node.reset();  // its I/O threads may write to `log` until they have stopped
  const std::string log_text = ReadAndClose(log);
  EXPECT_NE(why.find("position poll"), std::string::npos) << why << "\n" << log_text;
  EXPECT_NE(why.find("position " + call_.id.value() + ": Kite +"), std::string::npos) << why;
  EXPECT_NE(log_text.find("[WARN] Kite: account KITE-001: Kite reports a total of"),
            std::string::npos)
      << log_text;
}

// Kite refuses the session while the token file still holds it (the user has not logged in
// again yet): the node halts, takes the file's session (it cannot tell a refused session from
// one written since), cannot read the Kite day with it, and watches the file again, skipping
// that session; the user's new login is then taken, reconciled and trading resumed.
TEST_F(LiveNode, ARefusedSessionStillInTheTokenFileIsSkippedUntilTheNextLogin) {
  StartEmulator(t0_ - 60 * kNanosPerSecond);
  Login();
  const std::string refused = access_;
  const fs::path log_path = dir_ / "node.log";
  std::FILE* log = std::fopen(log_path.c_str(), "w+");
  ASSERT_NE(log, nullptr);
  std::setvbuf(log, nullptr, _IOLBF, 0);  // whole lines reach the file (read beside the node)
  LoadedNode n = LoadNodeConfigString(Config(), "live.toml", dir_.string(), registry_, log);
  RunBeside(n, log_path, [&](std::string& user_error) {
    auto wait = [&](const std::function<bool()>& cond, const char* what) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (!cond()) {
        if (std::chrono::steady_clock::now() > until) {
          user_error = std::string("waited in vain for ") + what;
          return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));  // polling what is watched
      }
      return true;
    };
    // The node's first order complete at Kite; then Kite ends the session, and its update
    // about the order makes the node ask Kite (refused).
    std::string order_id;
    if (!wait([&] {
          const json orders = Ledger()["orders"];
          if (orders.empty() || orders[0]["status"] != "COMPLETE") return false;
          order_id = orders[0]["order_id"].get<std::string>();
          return true;
        }, "the first order")) {
      return;
    }
    rt_->OnIoThread([&] { rt_->emulator().sessions().ExpireAll(); });
    const std::string update =
        json{{"type", "order"}, {"data", {{"order_id", order_id}, {"status", "COMPLETE"}}}}.dump();
    rt_->OnIoThread([&] { (void)rt_->ticker().Broadcast(update); });
    // The node took the refused session from the file and could not read the day with it.
    if (!wait([&] { return Slurp(log_path).find("but the Kite day could not be read: ") !=
                           std::string::npos; },
              "the refused session to be taken and fail")) {
      return;
    }
    Login();  // the user's new login
  });
  if (HasFatalFailure()) return;
  n.node.reset();  // its I/O threads may write to `log` until they have stopped
  const std::string text = ReadAndClose(log);
  const std::size_t halted = text.find("Kite session refused (TokenException)");
  const std::size_t failed = text.find("but the Kite day could not be read: ");
  const std::size_t resumed = text.find("reconciled clean, trading resumed");
  ASSERT_NE(halted, std::string::npos) << text;
  ASSERT_NE(failed, std::string::npos) << text;
  ASSERT_NE(resumed, std::string::npos) << text;
  EXPECT_LT(halted, failed);
  EXPECT_LT(failed, resumed);
  // The new session owes the reconnect watch a pass, which acts on the contingent lists Kite's
  // refusals left (as after a ticker gap; before, nothing passed over them).
  EXPECT_NE(text.find("new Kite session: the Kite day reconciled", resumed), std::string::npos)
      << text;
  // Taken once: the watch skipped the refused session still in the file afterwards.
  EXPECT_EQ(text.find("but the Kite day could not be read: ", failed + 1), std::string::npos)
      << text;
  EXPECT_NE(access_, refused);
  EXPECT_EQ(text.find(refused), std::string::npos);  // no secret in the log
  EXPECT_EQ(text.find(access_), std::string::npos);
}

// Kite ends the session as the node cancels an OCO peer (the first order's fill at 10:05): the
// cancel is refused with a TokenException, trading halts, and the engine's retries are refused
// too until they stand. The user's new login is reconciled clean, and the peer is cancelled as
// the session is taken, not left working until the reconnect watch's next pass (a second
// later, after a second read of the Kite day, which may fail and defer it).
TEST_F(LiveNode, AnOcoPeerWhoseCancelTheEndedSessionRefusedIsCancelledWithTheNewSession) {
  StartEmulator(t0_ - 60 * kNanosPerSecond);
  Login();
  live_test::PlanFaults(
      *rt_, R"({"rule": [{"route": "DELETE /orders/regular/*", "action": "403_now", "nth": 1}]})");
  const fs::path log_path = dir_ / "node.log";
  std::FILE* log = std::fopen(log_path.c_str(), "w+");
  ASSERT_NE(log, nullptr);
  std::setvbuf(log, nullptr, _IOLBF, 0);  // whole lines reach the file (read beside the node)
  LoadedNode n = LoadNodeConfigString(Config("", "10:21", "1", "OcoAtTheTouch"), "live.toml",
                                      dir_.string(), registry_, log);
  RunBeside(n, log_path, [&](std::string& user_error) {
    // The engine's attempts at the peer's cancel are spent (the refusals stand): then the
    // user logs in again.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (Slurp(log_path).find("still works after 3 attempts") == std::string::npos) {
      if (std::chrono::steady_clock::now() > until) {
        user_error = "waited in vain for the list's retries to be spent";
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // polling what is watched
    }
    Login();
  });
  if (HasFatalFailure()) return;
  // The peer was cancelled well before the node's stop at 10:21 (which cancels what works).
  std::vector<const Order*> canceled;
  for (const Order* o : n.node->kernel().cache().Orders()) {
    if (o->status() == OrderStatus::kCanceled) canceled.push_back(o);
  }
  ASSERT_EQ(canceled.size(), 1u);
  EXPECT_LT(canceled[0]->ts_last(), FromIst(2025, 12, 30, 10, 21));
  n.node.reset();  // its I/O threads may write to `log` until they have stopped
  const std::string text = ReadAndClose(log);
  const std::size_t halted = text.find("Kite session refused (TokenException)");
  const std::size_t spent = text.find("still works after 3 attempts");
  const std::size_t resumed = text.find("reconciled clean, trading resumed");
  const std::string acted_line =
      "new Kite session for AB1234: 1 contingent order(s) acted on again";
  const std::size_t acted = text.find(acted_line);
  ASSERT_NE(halted, std::string::npos) << text;
  ASSERT_NE(spent, std::string::npos) << text;
  ASSERT_NE(resumed, std::string::npos) << text;
  ASSERT_NE(acted, std::string::npos) << text;
  EXPECT_LT(halted, spent);
  EXPECT_LT(spent, resumed);
  EXPECT_LT(resumed, acted);
  // Acted on once: the watch's pass after it finds the cancel on its way.
  EXPECT_EQ(text.find("contingent order(s) acted on again", acted + acted_line.size()),
            std::string::npos)
      << text;
  // At Kite: the first bought, the peer cancelled.
  const json orders = Ledger()["orders"];
  ASSERT_EQ(orders.size(), 2u) << orders.dump();
  EXPECT_EQ(orders[0]["status"], "COMPLETE");
  EXPECT_EQ(orders[1]["status"], "CANCELLED");
}

TEST_F(LiveNode, RefusesBeforeAnythingRuns) {
  StartEmulator(t0_ - 30 * kNanosPerSecond);
  // No token file yet.
  std::string e = ErrorOf(Config());
  EXPECT_NE(e.find("token_file"), std::string::npos) << e;
  EXPECT_NE(e.find("nacre kite login"), std::string::npos) << e;
  Login();
  // Zerodha's URL without allow_real_money.
  std::string real = Config();
  real = std::regex_replace(real, std::regex("base_url = \"[^\"]*\""),
                            "base_url = \"https://api.kite.trade\"");
  e = ErrorOf(real);
  EXPECT_NE(e.find("kite.base_url"), std::string::npos) << e;
  EXPECT_NE(e.find("real money"), std::string::npos) << e;
  // Unprotected market orders.
  e = ErrorOf(Config("market_protection = \"0\""));
  EXPECT_NE(e.find("market_protection"), std::string::npos) << e;
  // A sandbox node with a [kite] table, a live node with an [[exec_clients]] table.
  std::string sandbox = Config();
  sandbox = std::regex_replace(sandbox, std::regex("environment = \"live\""),
                               "environment = \"sandbox\"");
  e = ErrorOf(sandbox);
  EXPECT_NE(e.find("[kite] is for environment = \"live\""), std::string::npos) << e;
  e = ErrorOf(Config() + "\n[[exec_clients]]\nclient = \"sandbox\"\nname = \"NFO\"\n");
  EXPECT_NE(e.find("remove [[exec_clients]]"), std::string::npos) << e;
}

TEST_F(LiveNode, APausedEmulatorsClockIsRefused) {
  StartEmulator(t0_ - 30 * kNanosPerSecond, /*paused=*/true);
  Login();
  const std::string e = ErrorOf(Config());
  EXPECT_NE(e.find("clock_from_emulator"), std::string::npos) << e;
  EXPECT_NE(e.find("paused"), std::string::npos) << e;
}

}  // namespace
}  // namespace nacre

namespace nacre {
namespace {

std::string Block(const std::string& text, const std::string& header) {
  const std::size_t at = text.find("\n" + header + "\n");
  if (at == std::string::npos) return "";
  const std::size_t end = text.find("\n\n", at + 1);
  return text.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

// The live examples run the application unchanged: their [engine], [calendar], [[actors]] and
// [[strategies]] blocks are the sandbox's and the backtest's, byte for byte; and they load (the
// real-account one as far as its missing token file).
TEST(LiveExamples, ShareTheApplicationsBlocksAndLoad) {
  const fs::path ex = fs::path(NACRE_SOURCE_DIR) / "examples";
  const std::string sandbox = Slurp(ex / "nifty_spreads_sandbox.toml");
  const std::string backtest = Slurp(ex / "nifty_spreads_backtest.toml");
  const std::string apps = sandbox.substr(sandbox.find("\n[[actors]]\ntype"));
  ASSERT_NE(backtest.find(apps), std::string::npos) << "the sandbox's blocks are the backtest's";
  for (const char* name : {"nifty_spreads_live.toml", "nifty_spreads_live_emulator.toml"}) {
    const std::string live = Slurp(ex / name);
    EXPECT_EQ(live.substr(live.find("\n[[actors]]\ntype")), apps) << name;
    EXPECT_EQ(Block(live, "[engine]"), Block(sandbox, "[engine]")) << name;
    EXPECT_EQ(Block(live, "[calendar]"), Block(sandbox, "[calendar]")) << name;
  }
  RegisterKiteLiveAdapter();
  ComponentRegistry registry;
  RegisterSpreadComponents(registry);
  RegisterExampleComponents(registry);
  std::string error;
  try {
    (void)LoadNodeConfig((ex / "nifty_spreads_live.toml").string(), registry, nullptr);
  } catch (const ConfigError& e) {
    error = e.what();
  }
  // Everything before the session is valid: the missing token file is what stops it.
  EXPECT_NE(error.find("kite.token_file"), std::string::npos) << error;
  EXPECT_NE(error.find("nacre kite login"), std::string::npos) << error;
}

}  // namespace
}  // namespace nacre
