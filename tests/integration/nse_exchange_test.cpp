// End-to-end on the realistic NSE venue: a backtest over two days of seeded option quotes and
// index trades, with charges, margin and expiry settlement on. The account must satisfy
//   final equity = starting balance + Σ realized (net of charges) + unrealized,
// every fill's charges must add up to the exchange's and the portfolio's totals, positions
// left open at expiry must be settled, and a rerun must be identical. Also the [[venues]]
// model = "nse" config keys and their errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "apps/examples/sma_cross.h"
#include "backtest/backtest_config.h"
#include "backtest/backtest_engine.h"
#include "backtest/results_recorder.h"
#include "nse/calendar.h"
#include "testkit/testkit.h"

namespace nacre {
namespace {

using testkit::Px;

const InstrumentId kNifty = MustInstrumentId("NIFTY 50.NSE");

Instrument Option(OptionKind kind, const char* strike) {
  InstrumentSpec s;
  s.id = MustInstrumentId(std::string("NIFTY26106") + strike +
                          (kind == OptionKind::kCall ? "CE" : "PE") + ".NFO");
  s.lot_size = Quantity::FromInt(65);
  s.freeze_quantity = Quantity::FromInt(1800);
  s.tick_size = Px("0.05");
  return *MakeOption(s, kNifty, kind, Px(strike), FromIst(2025, 12, 1, 9, 15),
                     FromIst(2026, 1, 6, 15, 30));
}

// Buys calls and sells puts on a fixed rhythm, trims the call now and then, and leaves
// positions open into expiry.
class Churner final : public Strategy {
 public:
  Churner(InstrumentId call, InstrumentId put)
      : Strategy(StrategyId("CHURN-001")), call_(std::move(call)), put_(std::move(put)) {}
  void OnStart() override {
    SubscribeQuoteTicks(call_);
    SubscribeQuoteTicks(put_);
  }
  void OnReset() override { n_ = 0; }
  void OnQuoteTick(const QuoteTick& q) override {
    if (q.instrument_id != call_) return;
    ++n_;
    if (n_ % 97 == 0) {
      SubmitOrder(order_factory().Market(call_, OrderSide::kBuy, Quantity::FromInt(130)));
    } else if (n_ % 131 == 0) {
      SubmitOrder(order_factory().Market(put_, OrderSide::kSell, Quantity::FromInt(65)));
    } else if (n_ % 173 == 0) {
      const Position* p = cache().position(NettingPositionId(call_, strategy_id()));
      if (p != nullptr && p->is_open()) {
        SubmitOrder(
            order_factory().Limit(call_, OrderSide::kSell, Quantity::FromInt(65), q.bid_price));
      }
    }
  }

 private:
  InstrumentId call_;
  InstrumentId put_;
  int n_ = 0;
};

struct Fixture {
  std::unique_ptr<BacktestEngine> engine;
  Instrument call = Option(OptionKind::kCall, "24000");
  Instrument put = Option(OptionKind::kPut, "24000");
};

// One quote per instrument per minute, the index as trades, 2026-01-05 and 2026-01-06.
Fixture Build() {
  Fixture f;
  KernelConfig kc;
  kc.log_sink = nullptr;
  f.engine = std::make_unique<BacktestEngine>(kc);
  f.engine->SetMarketHours(std::make_unique<NseCalendar>());
  BacktestVenueConfig vc;
  vc.venue.venue = Venue("NFO");
  vc.venue.account_id = AccountId("NFO-001");
  vc.starting_balance = Money::FromInt(2'000'000);
  vc.exchange = SimulatedExchangeConfig{};
  vc.exchange->latency.submit = 250 * kNanosPerMilli;
  vc.exchange->fill.limit_touch_probability = 0.5;
  vc.exchange->fill.seed = 11;
  EXPECT_TRUE(f.engine->AddVenue(vc).ok());
  f.engine->AddInstrument(*MakeIndex(kNifty, 2, Px("0.05")));
  f.engine->AddInstrument(f.call);
  f.engine->AddInstrument(f.put);
  std::vector<QuoteTick> quotes;
  std::vector<TradeTick> trades;
  std::uint64_t state = 12345;
  double index = 24000;
  for (int day : {5, 6}) {
    for (int m = 0; m <= 375; ++m) {  // 09:15 .. 15:30 (the closing print)
      const UnixNanos t = FromIst(2026, 1, day, 9, 15) + m * kNanosPerMinute;
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      index += (static_cast<double>(state >> 40) / static_cast<double>(1 << 24) - 0.5) * 12;
      const Price ix = Price::FromDouble(std::round(index * 20) / 20, 2);
      trades.push_back(testkit::MakeTrade(kNifty, ix.ToString().c_str(), 1, t));
      const double left =
          static_cast<double>(FromIst(2026, 1, 6, 15, 30) - t) / static_cast<double>(kNanosPerDay);
      const double tv = 40 * std::sqrt(std::max(left, 0.01));
      const double c = std::max(index - 24000, 0.0) + tv;
      const double p = std::max(24000 - index, 0.0) + tv;
      auto q = [&](const Instrument& inst, double mid) {
        const Price bid = Price::FromDouble(std::floor(mid * 20) / 20, 2);
        const Price ask = Price::FromDouble(std::floor(mid * 20) / 20 + 0.10, 2);
        quotes.push_back(
            testkit::MakeQuote(inst.id, bid.ToString().c_str(), ask.ToString().c_str(), t, 65, 65));
      };
      q(f.call, c);
      q(f.put, p);
    }
  }
  f.engine->AddQuotes(quotes);
  f.engine->AddTrades(trades);
  EXPECT_TRUE(f.engine->AddStrategy(std::make_unique<Churner>(f.call.id, f.put.id)).ok());
  return f;
}

TEST(NseExchangeBacktest, AccountingInvariantChargesAndSettlement) {
  Fixture f = Build();
  const BacktestResult r = f.engine->Run();
  const Venue nfo("NFO");
  Kernel& k = f.engine->kernel();
  SimulatedExchange* ex = f.engine->exchange(nfo);
  ASSERT_NE(ex, nullptr);
  EXPECT_TRUE(ex->config().margin_check);  // the NSE exchange, not the simple configuration
  EXPECT_GT(r.fills, 10u);

  // Σ per-fill charges = the exchange's = the portfolio's commissions = the result's.
  Money fill_charges;
  std::size_t settlements = 0;
  for (const Order* o : k.cache().Orders()) {
    fill_charges += o->commission();
    if (o->client_order_id().value().find("SETTLE") != std::string::npos) ++settlements;
  }
  EXPECT_GT(fill_charges, Money::Zero());
  EXPECT_EQ(fill_charges, ex->total_charges().Total());
  EXPECT_EQ(fill_charges, r.commissions);

  // Everything expired: settled, no margin left blocked, equity = start + realized.
  EXPECT_EQ(settlements, 2u);
  EXPECT_TRUE(k.cache().PositionsOpen().empty());
  const Account* a = k.cache().AccountForVenue(nfo);
  EXPECT_EQ(a->balance_locked(), Money::Zero());
  EXPECT_EQ(r.final_equity, r.starting_balance + r.realized_pnl + r.unrealized_pnl);
  EXPECT_EQ(r.final_balance, r.starting_balance + r.realized_pnl);
  EXPECT_EQ(r.unrealized_pnl, Money::Zero());
}

TEST(NseExchangeBacktest, InvariantHoldsMidRunWithOpenPositions) {
  Fixture f = Build();
  const BacktestResult r = f.engine->Run({}, FromIst(2026, 1, 6, 12, 0));
  EXPECT_FALSE(f.engine->kernel().cache().PositionsOpen().empty());
  EXPECT_NE(r.unrealized_pnl, Money::Zero());
  EXPECT_EQ(r.final_equity, r.starting_balance + r.realized_pnl + r.unrealized_pnl);
  EXPECT_GT(f.engine->kernel().cache().AccountForVenue(Venue("NFO"))->balance_locked(),
            Money::Zero());
}

TEST(NseExchangeBacktest, RerunIsIdentical) {
  Fixture f = Build();
  const std::string a = f.engine->Run().Summary();
  const std::string b = f.engine->Run().Summary();
  EXPECT_EQ(a, b);
  Fixture g = Build();
  EXPECT_EQ(g.engine->Run().Summary(), a);
}

// Sells one put lot at a limit far above the market on the first put quote (it works, never
// fills) and cancels it at 10:00 IST.
class Rester final : public Strategy {
 public:
  explicit Rester(InstrumentId put) : Strategy(StrategyId("REST-002")), put_(std::move(put)) {}
  void OnStart() override { SubscribeQuoteTicks(put_); }
  void OnReset() override { order_ = nullptr; }
  void OnQuoteTick(const QuoteTick& q) override {
    if (order_ == nullptr) {
      auto o = order_factory().Limit(put_, OrderSide::kSell, Quantity::FromInt(65),
                                     q.ask_price + Px("500"));
      order_ = o.get();
      SubmitOrder(std::move(o));
    } else if (q.ts_event >= FromIst(2026, 1, 5, 10, 0) && order_->is_open()) {
      CancelOrder(*order_);
    }
  }

 private:
  InstrumentId put_;
  const Order* order_ = nullptr;
};

TEST(NseExchangeBacktest, AccountCsvShowsMarginBlockedForAWorkingOrder) {
  Fixture f = Build();
  const Status added = f.engine->AddStrategy(std::make_unique<Rester>(f.put.id));
  ASSERT_TRUE(added.ok()) << added.error();
  ResultsRecorder rec(f.engine->kernel());
  f.engine->Run({}, FromIst(2026, 1, 5, 10, 30));
  rec.Finish();
  const auto dir = std::filesystem::path(::testing::TempDir()) / "nacre_nse_working_margin";
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(rec.WriteFolder(dir.string()).ok());
  std::ifstream in(dir / "account.csv");
  std::string line;
  std::getline(in, line);
  ASSERT_EQ(line, "account_id,ts_ns,ts_ist,balance,margin_used,free,reported");
  // The REST order is the only one until 10:30 (the churner first trades at 10:51):
  // the rows reported until then block its margin, none before it and after the cancel.
  bool blocked = false;
  bool released = false;
  while (std::getline(in, line)) {
    std::vector<std::string> col;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) col.push_back(c);
    ASSERT_EQ(col.size(), 7u) << line;
    const Money used = *Money::Parse(col[4]);
    EXPECT_EQ(*Money::Parse(col[3]) - used, *Money::Parse(col[5])) << line;
    if (col[6] == "true" && used > Money::Zero() && !blocked) blocked = true;
    if (blocked && used.is_zero()) released = true;
  }
  EXPECT_TRUE(blocked);
  EXPECT_TRUE(released);
  const Order* rest = nullptr;
  for (const Order* o : f.engine->kernel().cache().Orders()) {
    if (o->strategy_id() == StrategyId("REST-002")) rest = o;
  }
  ASSERT_NE(rest, nullptr);
  EXPECT_EQ(rest->status(), OrderStatus::kCanceled);
}

// ---- config ----

const char* kNseConfig = R"(
[[venues]]
name = "NFO"
starting_balance = "100000"
model = "nse"
walk_ticks = 2
size_step = 130
limit_touch_probability = 0.25
stop_trigger = "last"
seed = 9
latency_submit_ms = 50
latency_modify_ms = 60
latency_cancel_ms = 70
latency_response_ms = 5
queue_position = true
charges = true
market_protection = "2.5"
stop_protection = "market"
margin = true
margin_default_vol = 0.2
underlying_vol = 0.12

[[instruments]]
id = "NIFTY-I.NFO"
kind = "future"
underlying = "NIFTY 50.NSE"
tick_size = "0.05"
expiry = "2099-12-31"
)";

ComponentRegistry Registry() {
  ComponentRegistry r;
  RegisterExampleComponents(r);
  return r;
}

std::string ErrorOf(const std::string& text) {
  try {
    LoadBacktestConfigString(text, "nse.toml", "", Registry(), nullptr);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  const auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return s.replace(pos, from.size(), to);
}

TEST(NseExchangeConfig, EveryKeyReachesTheExchange) {
  LoadedBacktest b = LoadBacktestConfigString(kNseConfig, "nse.toml", "", Registry(), nullptr);
  SimulatedExchange* ex = b.engine->exchange(Venue("NFO"));
  ASSERT_NE(ex, nullptr);
  const SimulatedExchangeConfig& c = ex->config();
  EXPECT_EQ(c.fill.walk_ticks, 2);
  EXPECT_EQ(c.fill.size_step, Quantity::FromInt(130));
  EXPECT_DOUBLE_EQ(c.fill.limit_touch_probability, 0.25);
  EXPECT_EQ(c.fill.stop_trigger, StopTriggerSource::kLast);
  EXPECT_EQ(c.fill.seed, 9u);
  EXPECT_EQ(c.latency.submit, 50 * kNanosPerMilli);
  EXPECT_EQ(c.latency.modify, 60 * kNanosPerMilli);
  EXPECT_EQ(c.latency.cancel, 70 * kNanosPerMilli);
  EXPECT_EQ(c.latency.response, 5 * kNanosPerMilli);
  EXPECT_TRUE(c.fill.queue_position);
  EXPECT_EQ(c.starting_balance, b.engine->kernel().cache().account(c.account_id)->starting_balance());
  // The risk engine's pre-trade SPAN check is off in a backtest unless asked for.
  EXPECT_FALSE(b.engine->kernel().risk_engine().config().pre_trade_nse_margin);
  const std::string with_risk = std::string(kNseConfig) + "\n[risk]\npre_trade_margin = true\n";
  LoadedBacktest r = LoadBacktestConfigString(with_risk, "nse.toml", "", Registry(), nullptr);
  EXPECT_TRUE(r.engine->kernel().risk_engine().config().pre_trade_nse_margin);
  EXPECT_EQ(c.market_protection_pct_raw, 2'500'000'000);
  EXPECT_EQ(c.stop_protection, StopProtectionReference::kMarket);
  EXPECT_DOUBLE_EQ(c.margin_default_vol, 0.2);
  EXPECT_DOUBLE_EQ(c.underlying_vol, 0.12);
  EXPECT_EQ(c.account_id, AccountId("NFO-001"));
}

TEST(NseExchangeConfig, MistakesNameTheFileAndKey) {
  const std::string typo = ErrorOf(Replace(kNseConfig, "walk_ticks = 2", "walk_tick = 2"));
  EXPECT_NE(typo.find("nse.toml"), std::string::npos) << typo;
  EXPECT_NE(typo.find("walk_tick"), std::string::npos) << typo;
  const std::string trig = ErrorOf(Replace(kNseConfig, "\"last\"", "\"mid\""));
  EXPECT_NE(trig.find("stop_trigger"), std::string::npos) << trig;
  const std::string ref = ErrorOf(Replace(kNseConfig, "\"market\"", "\"open\""));
  EXPECT_NE(ref.find("stop_protection"), std::string::npos) << ref;
  EXPECT_NE(ref.find("unknown value \"open\" (expected trigger, market)"), std::string::npos)
      << ref;
  const std::string prob = ErrorOf(Replace(kNseConfig, "0.25", "1.5"));
  EXPECT_NE(prob.find("limit_touch_probability"), std::string::npos) << prob;
  const std::string model = ErrorOf(Replace(kNseConfig, "\"nse\"", "\"bogus\""));
  EXPECT_NE(model.find("'venues[0].model': unknown value \"bogus\" (expected simple, nse)"),
            std::string::npos)
      << model;
  const std::string lat = ErrorOf(Replace(kNseConfig, "= 50", "= -5"));
  EXPECT_NE(lat.find("latency_submit_ms"), std::string::npos) << lat;
  const std::string file =
      ErrorOf(Replace(kNseConfig, "charges = true", "charges_file = \"missing.toml\""));
  EXPECT_NE(file.find("charges_file"), std::string::npos) << file;
  // The NSE keys are refused by the simple model, naming the model they need.
  const std::string simple = ErrorOf(Replace(kNseConfig, "model = \"nse\"", "model = \"simple\""));
  EXPECT_NE(simple.find("applies only with model = nse (this table has \"simple\")"),
            std::string::npos)
      << simple;
}

}  // namespace
}  // namespace nacre
