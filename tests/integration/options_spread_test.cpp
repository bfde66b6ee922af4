// OptionsSpreadStrategy end to end on crafted data: a NIFTY index path and a Black-76 option
// chain quoted around it every minute, through the BacktestEngine, the simulated venue, the
// CapitalManager and the SpreadMonitor. Each scenario drives one exit rule.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <functional>

#include "apps/spreads/capital_manager.h"
#include "apps/spreads/options_spread_strategy.h"
#include "apps/spreads/spread_monitor.h"
#include "backtest/backtest_engine.h"
#include "backtest/results_recorder.h"
#include "browser.h"
#include "pricing/black.h"
#include "common/config.h"
#include "nse/calendar.h"
#include "testkit/testkit.h"
#include "venue/simulated_exchange.h"

namespace nacre {
namespace {

using testkit::Inr;
using testkit::Px;

const UnixNanos kExpiry = FromIst(2026, 1, 6, 15, 30);  // testkit options: Tuesday weekly
const BarType kSignal = *BarType::Parse("NIFTY 50.NSE-1-MINUTE-LAST-EXTERNAL");

// Forward path: minutes since 09:15 on Monday 5-Jan-2026 (day 2 continues from 375).
using Path = std::function<double(int minute)>;

struct Scenario {
  Path path;
  std::int64_t profit_target_pct = 50;
  std::string exit_time = "15:15";
  const char* stop_multiple = "2";
  bool nse_exchange = false;  // the realistic exchange (charges, margin, settlement)
  bool calendar = false;      // NSE trading hours for the risk engine and the strategy
};

Price Tick(double v) {
  const double ticks = std::max(1.0, std::round(v / 0.05));
  return Price::FromDouble(ticks * 0.05, 2);
}

struct ScenarioRun {
  std::unique_ptr<BacktestEngine> engine;
  OptionsSpreadStrategy* strategy = nullptr;
  CapitalManager* capital = nullptr;
  SpreadMonitor* monitor = nullptr;
  std::unique_ptr<ResultsRecorder> recorder;  // destroyed before the engine
  BacktestResult result;
};

const Cache* s_cache = nullptr;

ScenarioRun RunScenario(const Scenario& sc) {
  ScenarioRun run;
  KernelConfig kc;
  kc.log_sink = nullptr;
  run.engine = std::make_unique<BacktestEngine>(kc);
  BacktestVenueConfig vc;
  vc.venue.venue = Venue("NFO");
  vc.venue.account_id = AccountId("NFO-001");
  vc.starting_balance = Inr("400000");
  if (sc.nse_exchange) {
    SimulatedExchangeConfig ex;
    ex.venue = Venue("NFO");
    ex.account_id = AccountId("NFO-001");
    vc.exchange = ex;
  }
  EXPECT_TRUE(run.engine->AddVenue(vc).ok());
  if (sc.calendar) run.engine->SetMarketHours(std::make_unique<NseCalendar>());
  run.engine->AddInstrument(testkit::NiftyIndex());
  std::vector<Instrument> options;
  for (int k = 23500; k <= 24500; k += 50) {
    for (OptionKind kind : {OptionKind::kCall, OptionKind::kPut}) {
      options.push_back(testkit::NiftyOption(kind, std::to_string(k).c_str()));
      run.engine->AddInstrument(options.back());
    }
  }
  std::vector<Bar> bars;
  std::vector<QuoteTick> quotes;
  for (int day = 0; day < 2; ++day) {
    for (int m = 0; m <= 375; ++m) {
      const int minute = day * 376 + m;
      const UnixNanos ts = FromIst(2026, 1, 5 + day, 9, 15) + m * kNanosPerMinute;
      const double f = sc.path(minute);
      const Price px = Tick(f);
      Bar b;
      b.bar_type = kSignal;
      b.open = b.high = b.low = b.close = px;
      b.volume = Quantity::FromInt(0);
      b.ts_event = b.ts_init = ts;
      bars.push_back(b);
      const double t = static_cast<double>(kExpiry - ts) / static_cast<double>(365 * kNanosPerDay);
      for (const Instrument& o : options) {
        const double mid =
            pricing::Black76Price(o.option_kind, f, o.strike.AsDouble(), t, 0.13, 0.0);
        QuoteTick q;
        q.instrument_id = o.id;
        q.bid_price = Tick(mid - 0.10);
        q.ask_price = Price::Raw(q.bid_price.raw() + Px("0.20").raw(), 2);
        q.bid_size = q.ask_size = Quantity::FromInt(6500);
        q.ts_event = q.ts_init = ts;
        quotes.push_back(q);
      }
    }
  }
  run.engine->AddBars(bars);
  run.engine->AddQuotes(quotes);

  CapitalManagerConfig cc;
  cc.initial_capital = Inr("400000");
  auto cm = std::make_unique<CapitalManager>("CapitalManager", cc);
  run.capital = cm.get();
  EXPECT_TRUE(run.engine->AddActor(std::move(cm)).ok());
  auto mon = std::make_unique<SpreadMonitor>("SpreadMonitor", SpreadMonitorConfig{});
  run.monitor = mon.get();
  EXPECT_TRUE(run.engine->AddActor(std::move(mon)).ok());

  OptionsSpreadConfig c;
  c.signal_bar_type = kSignal;
  c.fast_period = 2;
  c.slow_period = 3;
  c.trend_band_pct = Px("0.0001");
  c.entry.underlying = MustInstrumentId("NIFTY 50.NSE");
  c.entry.short_delta = 0.20;
  c.entry.wing_width = Px("100");
  c.entry.min_dte = 0;
  c.entry.max_dte = 7;
  c.entry.min_credit = Px("5");
  c.entry_start_min = 9 * 60 + 20;
  c.profit_target_pct = sc.profit_target_pct;
  c.stop_loss_multiple = Px(sc.stop_multiple);
  c.exit_time_min = sc.exit_time == "never" ? 24 * 60
                                            : std::stoi(sc.exit_time.substr(0, 2)) * 60 +
                                                  std::stoi(sc.exit_time.substr(3));
  c.max_lots = 10;
  // Patient enough to get the short leg filled while the market drifts a tick a minute.
  c.exec.max_reprices = 8;
  auto s = std::make_unique<OptionsSpreadStrategy>(StrategyId("OptionsSpread-001"), c);
  run.strategy = s.get();
  EXPECT_TRUE(run.engine->AddStrategy(std::move(s)).ok());
  run.recorder = std::make_unique<ResultsRecorder>(run.engine->kernel());
  run.result = run.engine->Run();
  run.recorder->Finish();
  s_cache = &run.engine->kernel().cache();
  return run;
}

std::string Decisions(const OptionsSpreadStrategy& s) {
  std::string out;
  if (std::getenv("NACRE_DEBUG_ORDERS")) {
    for (const Order* o : s_cache->Orders()) {
      out += fmt::format("{} {} {} {} px={} filled={} avg={} {}\n", o->client_order_id().value(),
                         o->tags(), ToString(o->side()), o->instrument_id().value(),
                         o->price() ? o->price()->ToString() : "-", o->filled_qty().ToString(),
                         o->avg_px() ? o->avg_px()->ToString() : "-", ToString(o->status()));
    }
  }
  for (const std::string& d : s.decisions()) out += d + "\n";
  return out;
}

// Capital history ends at initial + Σ spread P&L, which is the account's equity change. The
// account is premium style: its balance is the start plus every fill's premium (sales +,
// buys −, settlement at intrinsic) less the fill's charges, and when everything is flat it is
// the start plus Σ spread P&L.
// The spread's lots are what the CapitalManager's rules give for the figures it recorded:
// min(risk budget / max loss per lot, free deployment / margin per lot, max_lots), where the
// budgets are 5% and 80% of the capital at entry.
void ExpectSizedByTheRules(const ScenarioRun& run, const SpreadEvent& e) {
  const CapitalUpdated* row = nullptr;
  for (const CapitalUpdated& u : run.capital->history()) {
    if (u.trade_id == e.spread_id.value()) row = &u;
  }
  ASSERT_NE(row, nullptr);
  ASSERT_TRUE(row->sizing.has_value());
  const TradeSizing& z = *row->sizing;
  EXPECT_EQ(z.lots, e.lots);
  EXPECT_EQ(z.risk_budget, Money::FromRaw(row->previous_capital.raw() / 20));
  EXPECT_EQ(z.lots_by_risk, z.risk_budget.raw() / z.risk_per_lot.raw());
  EXPECT_EQ(z.lots_by_deployment, z.deployment_free.raw() / z.margin_per_lot.raw());
  EXPECT_EQ(static_cast<std::int64_t>(z.lots),
            std::min<std::int64_t>({z.lots_by_risk, z.lots_by_deployment, z.max_lots}));
  EXPECT_LT(z.risk_per_lot, z.margin_per_lot);  // a hedged spread: loss below NSE margin
  EXPECT_GT(e.lots, 1u);
}

void ExpectCapitalInvariant(const ScenarioRun& run) {
  Money sum = Money::Zero();
  for (const auto& [id, r] : run.monitor->records()) sum += r.last.realized_pnl;
  EXPECT_EQ(run.capital->current_capital(), Inr("400000") + sum);
  EXPECT_EQ(run.result.final_equity - run.result.starting_balance, sum);
  const Cache& cache = run.engine->kernel().cache();
  Money cash = run.result.starting_balance;
  std::vector<const Position*> cycles = cache.AllPositionSnapshots();
  bool flat = true;
  for (const Position* p : cache.Positions()) {
    cycles.push_back(p);
    flat = flat && p->is_closed();
  }
  for (const Position* p : cycles) {
    for (const OrderFilled& f : p->fills()) {
      const Money premium = Money::Notional(f.last_px, f.last_qty, p->multiplier());
      cash += (f.order_side == OrderSide::kSell ? premium : -premium) - f.commission;
    }
  }
  EXPECT_EQ(run.result.final_balance, cash);
  EXPECT_EQ(run.result.final_equity, run.result.final_balance + run.result.open_value);
  EXPECT_TRUE(flat);  // every scenario ends flat (closed or settled)
  EXPECT_EQ(run.result.final_balance, Inr("400000") + sum);
}

TEST(OptionsSpreadStrategy, UptrendSellsABullPutAndTakesProfit) {
  // Rising from 24000: a bull put at the first check inside the window once the signal is
  // warm, then a slow drift up while the puts decay to half the credit.
  Scenario sc;
  sc.path = [](int m) { return m < 5 ? 24000.0 + 2.0 * m : 24010.0 + 0.2 * (m - 5); };
  ScenarioRun run = RunScenario(sc);
  const std::string log = Decisions(*run.strategy);
  // One entry a day: a spread on each of the two days, both taken off at the profit target.
  ASSERT_EQ(run.monitor->records().size(), 2u) << log;
  const auto& rec = run.monitor->records().begin()->second;
  const SpreadEvent& e = rec.last;
  EXPECT_EQ(e.state, SpreadState::kClosed) << log;
  ASSERT_EQ(e.legs.size(), 2u);
  const Instrument* shrt = run.engine->kernel().cache().instrument(e.legs[0].instrument);
  const Instrument* wing = run.engine->kernel().cache().instrument(e.legs[1].instrument);
  EXPECT_EQ(shrt->option_kind, OptionKind::kPut);
  EXPECT_EQ(e.legs[0].side, OrderSide::kSell);
  EXPECT_EQ(wing->strike.raw(), shrt->strike.raw() - Px("100").raw());
  // Sent at 09:20 IST, the first check inside the window with a warm signal; opened within
  // minutes (hedge first, then the short at the net limit, re-priced a few times).
  EXPECT_GE(e.ts_opened, FromIst(2026, 1, 5, 9, 20)) << log;
  EXPECT_LE(e.ts_opened, FromIst(2026, 1, 5, 9, 30)) << log;
  // Sized on what one lot can lose, not on its margin: the plan's credit is 13.00, so one lot of
  // the 100-point spread (65 units) can lose (100 - 13) x 65 = ₹5,655 and the 5% risk budget
  // (₹20,000) takes 3 lots; NSE SPAN + ELM (~₹37k a lot) allows 8 of the ₹3,20,000 limit.
  EXPECT_NE(log.find("enter OptionsSpread-001-SP0001 x3 lots (max loss/lot 5655.00"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("credit 13.00"), std::string::npos) << log;
  ExpectSizedByTheRules(run, e);
  EXPECT_NE(log.find("exit OptionsSpread-001-SP0001: profit target"), std::string::npos) << log;
  EXPECT_NE(log.find("exit OptionsSpread-001-SP0002: profit target"), std::string::npos) << log;
  // Kept at least half the credit.
  EXPECT_GE(e.realized_pnl.raw() * 2, e.net_premium.raw());
  EXPECT_GT(e.realized_pnl, Money::Zero());
  EXPECT_GT(e.net_premium, Money::Zero());
  ExpectCapitalInvariant(run);
}

TEST(OptionsSpreadStrategy, CrossingTheShortStrikeStopsOut) {
  // Up for the entry, then a fall of 8 points a minute through the short put.
  Scenario sc;
  sc.path = [](int m) {
    if (m < 5) return 24000.0 + 2.0 * m;
    if (m < 30) return 24010.0 + 0.2 * (m - 5);
    return 24015.0 - 8.0 * (m - 30);
  };
  sc.stop_multiple = "10";  // only the strike cross can stop it
  ScenarioRun run = RunScenario(sc);
  const std::string log = Decisions(*run.strategy);
  ASSERT_GE(run.monitor->records().size(), 1u) << log;
  const SpreadEvent& e = run.monitor->records().begin()->second.last;
  EXPECT_EQ(e.state, SpreadState::kClosed) << log;
  EXPECT_NE(log.find("exit OptionsSpread-001-SP0001: stop: underlying 23847.00 crossed short "
                     "strike 23850"),
            std::string::npos)
      << log;
  EXPECT_LT(e.realized_pnl, Money::Zero());
  ExpectCapitalInvariant(run);
}

TEST(OptionsSpreadStrategy, HeldSpreadExitsAtTheTimeExitOnExpiryDay) {
  Scenario sc;
  sc.path = [](int m) {
    if (m < 5) return 24000.0 + 2.0 * m;
    return m < 40 ? 24010.0 + 0.2 * (m - 5) : 24017.0;
  };
  sc.profit_target_pct = 100;  // unreachable: the market never pays to take risk away
  ScenarioRun run = RunScenario(sc);
  const std::string log = Decisions(*run.strategy);
  ASSERT_EQ(run.monitor->records().size(), 1u) << log;
  const SpreadEvent& e = run.monitor->records().begin()->second.last;
  EXPECT_EQ(e.state, SpreadState::kClosed) << log;
  EXPECT_NE(log.find("time exit at 2026-01-06 15:15"), std::string::npos) << log;
  EXPECT_EQ(FormatIst(e.ts_closed).substr(0, 10), "2026-01-06");
  ExpectCapitalInvariant(run);
  ExpectSizedByTheRules(run, e);
}

// The results folder and report.html of a spread run: the recorder's spreads are the
// monitor's final SpreadEvents, its capital curve is the CapitalManager's history, the
// statistics follow from them, and the Spreads section renders in headless Chromium.
TEST(OptionsSpreadStrategy, ResultsFolderAndReportShowTheSpreads) {
  // Two days: a winner on the first (profit target), a stop-out through the short strike on
  // the second.
  Scenario sc;
  sc.path = [](int m) {
    if (m < 376) return m < 5 ? 24000.0 + 2.0 * m : 24010.0 + 0.2 * (m - 5);
    const int d = m - 376;
    if (d < 30) return 24085.0 + 0.2 * d;
    return 24091.0 - 8.0 * (d - 30);
  };
  ScenarioRun run = RunScenario(sc);
  const std::string log = Decisions(*run.strategy);
  const ResultsRecorder& rec = *run.recorder;
  const auto& records = run.monitor->records();
  ASSERT_GE(records.size(), 2u) << log;
  ASSERT_EQ(rec.spreads().size(), records.size());

  SpreadStatistics want;
  Money credit;
  for (const SpreadEvent& e : rec.spreads()) {
    const SpreadEvent& m = records.at(e.spread_id).last;
    EXPECT_EQ(e.state, m.state) << e.spread_id.value();
    EXPECT_EQ(e.realized_pnl, m.realized_pnl) << e.spread_id.value();
    EXPECT_EQ(e.net_premium, m.net_premium) << e.spread_id.value();
    EXPECT_EQ(e.charges, m.charges) << e.spread_id.value();
    EXPECT_EQ(e.ts_closed, m.ts_closed) << e.spread_id.value();
    EXPECT_EQ(e.legs.size(), 2u);
    want.charges_total += e.charges;
    if (e.state != SpreadState::kClosed && e.state != SpreadState::kFailed) continue;
    want.pnl_total += e.realized_pnl;
    if (e.state == SpreadState::kFailed) {
      ++want.failed;
      continue;
    }
    ++want.completed;  // completed spreads are the trades: won, lost or even
    want.won += e.realized_pnl > Money() ? 1 : 0;
    want.lost += e.realized_pnl < Money() ? 1 : 0;
    want.completed_pnl += e.realized_pnl;
    credit += e.net_premium;
  }
  ASSERT_GE(want.won, 1u) << log;
  ASSERT_GE(want.lost, 1u) << log;

  // Capital after each close is the CapitalManager's history.
  const std::vector<CapitalPoint> curve = rec.CapitalCurve();
  const auto& history = run.capital->history();
  ASSERT_EQ(curve.size(), history.size());
  ASSERT_EQ(curve.size(), want.completed + want.failed);
  for (std::size_t i = 0; i < curve.size(); ++i) {
    EXPECT_EQ(curve[i].ts, history[i].ts);
    EXPECT_EQ(curve[i].trade_id, history[i].trade_id);
    EXPECT_EQ(curve[i].previous, history[i].previous_capital);
    EXPECT_EQ(curve[i].pnl, history[i].trade_pnl);
    EXPECT_EQ(curve[i].capital, history[i].new_capital);
  }

  const std::optional<SpreadStatistics> st = rec.spread_statistics();
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->attempted, records.size());
  EXPECT_EQ(st->completed, want.completed);
  EXPECT_EQ(st->failed, want.failed);
  EXPECT_EQ(st->won, want.won);
  EXPECT_EQ(st->lost, want.lost);
  ASSERT_TRUE(st->win_rate.has_value());
  EXPECT_DOUBLE_EQ(*st->win_rate,
                   static_cast<double>(want.won) / static_cast<double>(want.completed));
  EXPECT_EQ(st->pnl_total, want.pnl_total);
  EXPECT_EQ(st->completed_pnl, want.completed_pnl);
  const auto n = static_cast<std::int64_t>(want.completed);
  EXPECT_EQ(st->completed_pnl_avg, want.completed_pnl.MulRatio(1, n));
  EXPECT_EQ(st->completed_credit_avg, credit.MulRatio(1, n));
  // The strategy's exit reasons reach the statistics (not only generic ones).
  bool strategy_reason = false;
  for (const SpreadGroup& g : st->by_exit_reason) {
    strategy_reason = strategy_reason || g.label == "Profit target" || g.label == "Stop loss" ||
                      g.label.rfind("Short strike", 0) == 0 || g.label.rfind("Time exit", 0) == 0;
  }
  EXPECT_TRUE(strategy_reason) << log;
  EXPECT_EQ(st->charges_total, want.charges_total);
  EXPECT_EQ(st->initial_capital, Inr("400000"));
  EXPECT_EQ(st->final_capital, run.capital->current_capital());
  EXPECT_EQ(st->final_capital, Inr("400000") + want.pnl_total);
  EXPECT_DOUBLE_EQ(st->capital_return_pct, want.pnl_total.AsDouble() / 400000.0 * 100.0);

  // The folder: one spread_results.csv row per spread, with its P&L and capital after close;
  // stats.json carries the spread statistics.
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::path(::testing::TempDir()) / ("nacre-spreads-" + std::to_string(getpid()));
  fs::remove_all(dir);
  ASSERT_TRUE(rec.WriteFolder(dir.string()).ok());
  const std::string csv = testing::SlurpFile(dir / "spread_results.csv");
  EXPECT_EQ(static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n')),
            rec.spreads().size() + 1);
  for (const CapitalPoint& p : curve) {
    const auto line_at = csv.find("\n" + p.trade_id + ",");
    ASSERT_NE(line_at, std::string::npos) << p.trade_id << "\n" << csv;
    const std::string line = csv.substr(line_at + 1, csv.find('\n', line_at + 1) - line_at - 1);
    EXPECT_NE(line.find(",CLOSED,"), std::string::npos) << line;
    EXPECT_NE(line.find("," + p.pnl.ToString() + ","), std::string::npos) << line;
    EXPECT_NE(line.find("," + p.capital.ToString() + ","), std::string::npos) << line;
  }
  for (const SpreadEvent& e : rec.spreads()) {
    const std::string legs = SpreadLegsText(e);
    EXPECT_EQ(legs.rfind("SELL 1x " + e.legs[0].instrument.value() + " ", 0), 0u) << legs;
    EXPECT_NE(legs.find("; BUY 1x " + e.legs[1].instrument.value() + " "), std::string::npos)
        << legs;
    EXPECT_EQ(legs.find("000000"), std::string::npos) << "prices trimmed to the paisa: " << legs;
    EXPECT_NE(csv.find(legs), std::string::npos) << legs;
  }
  const std::string stats = testing::SlurpFile(dir / "stats.json");
  const auto sp = stats.find("\"spreads\": {");
  ASSERT_NE(sp, std::string::npos) << stats;
  const std::string obj = stats.substr(sp);
  EXPECT_NE(obj.find(fmt::format("\"completed\": {},", want.completed)), std::string::npos) << obj;
  EXPECT_NE(obj.find(fmt::format("\"failed\": {},", want.failed)), std::string::npos) << obj;
  EXPECT_NE(obj.find(fmt::format("\"won\": {},", want.won)), std::string::npos) << obj;
  EXPECT_NE(obj.find(fmt::format("\"lost\": {},", want.lost)), std::string::npos) << obj;
  EXPECT_NE(obj.find("\"pnl_total\": " + want.pnl_total.ToString() + ","), std::string::npos)
      << obj;
  EXPECT_NE(obj.find("\"final_capital\": " + run.capital->current_capital().ToString() + ","),
            std::string::npos)
      << obj;

  // Determinism: the same scenario again writes the same spread file, statistics and page.
  {
    const ScenarioRun again = RunScenario(sc);
    EXPECT_EQ(again.recorder->SpreadsCsv(), csv);
    EXPECT_EQ(StatisticsJson(again.recorder->statistics()), stats);
    EXPECT_EQ(again.recorder->ReportHtml(), testing::SlurpFile(dir / "report.html"));
  }

  // report.html: every chart renders (the equity with the NIFTY buy-and-hold line: this run
  // has the index's bars), one bar per spread, the capital curve from the initial capital
  // through every close, the spread tables. Two days are too few for a rolling Sharpe: a
  // note says so instead of an empty chart.
  if (!fs::exists("/usr/bin/chromium")) {
    GTEST_SKIP() << "/usr/bin/chromium not installed (scripts/setup.sh installs it)";
  }
  const testing::Browser b = testing::Load(dir / "report.html");
  ASSERT_EQ(b.exit_code, 0) << b.log;
  const std::vector<std::string> charts = {"equity-chart", "drawdown-chart", "daily-chart",
                                           "returns-hist", "margin-chart",   "spread-pnl-chart",
                                           "capital-chart"};
  EXPECT_NE(b.dom.find(fmt::format("<div id=\"render-status\" hidden=\"\">ok {} charts</div>",
                                   charts.size())),
            std::string::npos)
      << b.dom.substr(0, 2000);
  EXPECT_EQ(testing::UndrawnCharts(b.dom, charts), "");
  EXPECT_EQ(testing::ConsoleLines(b.log), "");
  EXPECT_EQ(testing::Attr(b.dom, "equity-chart", "data-series"), "2");
  EXPECT_NE(b.dom.find("NIFTY 50 buy &amp; hold"), std::string::npos);
  EXPECT_NE(b.dom.find("id=\"rolling-sharpe-note\""), std::string::npos);
  EXPECT_EQ(b.dom.find("id=\"rolling-sharpe-chart\""), std::string::npos);
  EXPECT_EQ(testing::Attr(b.dom, "spread-pnl-chart", "data-drawn"),
            std::to_string(rec.spreads().size()));
  EXPECT_EQ(testing::Attr(b.dom, "capital-chart", "data-drawn"), std::to_string(curve.size() + 1));
  EXPECT_EQ(testing::Attr(b.dom, "spreads-table", "data-rows"),
            std::to_string(rec.spreads().size()));
  const auto table = b.dom.find("id=\"spreads-table\"");
  ASSERT_NE(table, std::string::npos);
  for (const SpreadEvent& e : rec.spreads()) {
    EXPECT_NE(b.dom.find("<span title=\"" + e.spread_id.value() + "\">", table), std::string::npos)
        << e.spread_id.value();
  }
  // What entering cost and the P&L tables by kind, exit reason and days to expiry.
  for (const char* id :
       {"failed-entry-cost", "spreads-by-kind", "spreads-by-exit", "spreads-by-dte"}) {
    EXPECT_NE(b.dom.find(std::string("id=\"") + id + "\""), std::string::npos) << id;
  }
  // This scenario trades bull puts (two put legs, the short strike above the long one).
  EXPECT_NE(b.dom.find("<td>Bull put</td>", b.dom.find("id=\"spreads-by-kind\"")),
            std::string::npos);
  const auto completed =
      std::count_if(rec.spreads().begin(), rec.spreads().end(),
                    [](const SpreadEvent& e) { return e.state == SpreadState::kClosed; });
  EXPECT_NE(b.dom.find(fmt::format("<span>Completed</span><b>{}</b>", completed)),
            std::string::npos);
}

TEST(OptionsSpreadStrategy, SpreadHeldToExpiryIsSettledByTheExchange) {
  // No exit fires (profit target unreachable, no time exit): the NSE exchange cash-settles both
  // legs at 15:30 on expiry day against the index's closing print, with its charges.
  Scenario sc;
  sc.path = [](int m) {
    if (m < 5) return 24000.0 + 2.0 * m;
    return m < 40 ? 24010.0 + 0.2 * (m - 5) : 24017.0;
  };
  sc.profit_target_pct = 100;
  sc.exit_time = "never";
  sc.nse_exchange = true;
  ScenarioRun run = RunScenario(sc);
  const std::string log = Decisions(*run.strategy);
  ASSERT_GE(run.monitor->records().size(), 1u) << log;
  bool settled = false;
  for (const auto& [id, r] : run.monitor->records()) {
    if (r.last.message == "settled at expiry") {
      settled = true;
      EXPECT_EQ(r.last.state, SpreadState::kClosed);
      EXPECT_EQ(FormatIst(r.last.ts_closed).substr(0, 16), "2026-01-06 15:30") << log;
      EXPECT_GT(r.last.charges, Money::Zero());  // the exchange charged the entry fills
    }
  }
  EXPECT_TRUE(settled) << log;
  EXPECT_TRUE(run.strategy->decisions().size() > 0);
  ExpectCapitalInvariant(run);
  EXPECT_EQ(run.result.commissions, run.engine->exchange(Venue("NFO"))->total_charges().Total());
}

// The regression of a time exit at the 15:30 closing print: the strategy asked to close into a
// closed market, every leg was denied MARKET_CLOSED and the spread stayed CLOSING overnight.
// Now it asks MarketHours first: the exit waits, and the exchange settles the spread at expiry.
TEST(OptionsSpreadStrategy, ExitAtTheCloseWaitsForAnOpenMarketInsteadOfBeingDenied) {
  Scenario sc;
  sc.path = [](int m) {
    if (m < 5) return 24000.0 + 2.0 * m;
    return m < 40 ? 24010.0 + 0.2 * (m - 5) : 24017.0;
  };
  sc.profit_target_pct = 100;
  sc.exit_time = "15:30";
  sc.nse_exchange = true;
  sc.calendar = true;
  ScenarioRun run = RunScenario(sc);
  const std::string log = Decisions(*run.strategy);
  EXPECT_EQ(run.result.orders_denied, 0u) << log;
  EXPECT_EQ(log.find("time exit"), std::string::npos) << log;
  bool settled = false;
  for (const auto& [id, r] : run.monitor->records()) {
    if (r.last.message == "settled at expiry") settled = true;
  }
  EXPECT_TRUE(settled) << log;
  ExpectCapitalInvariant(run);
}

// The executor's new keys are read and checked, with the file, line and key at fault.
TEST(OptionsSpreadStrategy, MarketProtectionAndCloseRetryKeysAreChecked) {
  auto build = [](const std::string& extra) -> std::string {
    const std::string text = "underlying = \"NIFTY 50.NSE\"\n"
                             "signal_bar_type = \"NIFTY 50.NSE-5-MINUTE-LAST-EXTERNAL\"\n" +
                             extra;
    auto table = ConfigTable::ParseString(text, "spread.toml");
    try {
      (void)OptionsSpreadStrategy::FromConfig(StrategyId("OptionsSpread-001"),
                                              ConfigTable(*table, "spread.toml", "params"));
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(build("market_protection_pct = 3\nclose_retry_secs = 30\n"), "");
  const std::string zero = build("market_protection_pct = 0\n");
  EXPECT_NE(zero.find("spread.toml:3"), std::string::npos) << zero;
  EXPECT_NE(zero.find("market_protection_pct"), std::string::npos) << zero;
  EXPECT_NE(zero.find("must be above 0"), std::string::npos) << zero;
  const std::string retry = build("close_retry_secs = 0\n");
  EXPECT_NE(retry.find("close_retry_secs"), std::string::npos) << retry;
  EXPECT_NE(retry.find("must be between 1 and 86400, got 0"), std::string::npos) << retry;
}

}  // namespace
}  // namespace nacre
