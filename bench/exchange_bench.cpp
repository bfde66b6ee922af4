// The NSE simulated exchange under load: 100k option quotes (20 ms apart, the price moving on
// most of them) with index trades for margin, through a backtest with charges and margin on,
// while a strategy keeps limit orders resting, so every quote is matched against working
// orders. Items per second are data points per second of the run phase.
//
// BM_NseExchangeMarketMaker: a market maker that respects the limits it is tested against: one
//   lot bid and one lot offered at the touch, re-quoted by modify when the touch moves (at most
//   once per side per 400 ms: under the 400/min modify limit), no side quoted beyond a ±3 lot
//   position (a short lot blocks ₹3–4 lakh as the option's price drifts up: sized to a
//   ₹25 lakh account), at most one submit or modify per 200 ms (under the 10/s and 400/min
//   limits), and after a denial or rejection that side waits 5 s. Its orders rest and fill at their limits when the market trades
//   through them. Counters: orders, fills, modifies, cancels, denials and rejections.
//   orders:0 runs the same data and strategy without orders: the ceiling of the data path.
// BM_NseExchangeQuotes: the original scenario, kept for comparison: a quoter that resubmits
//   a missing side on every quote, a tick inside the spread, on a ₹10 crore account, so most
//   of its orders are denied by the rate limit or rejected for margin (order churn). It runs
//   the engine, resets it and runs it again, so each run's orders reuse the last run's memory
//   and client order ids.
// BM_NseExchangeQuotesFirstRun: the same scenario once, on a new engine: run it alone
//   (`--benchmark_filter=BM_NseExchangeQuotesFirstRun`) so that it is the process's first
//   run, with every id interned anew and every order in memory not used before; one iteration,
//   so compare several processes.
//
// BM_MarginCheck: the NSE margin book alone, as the exchange uses it when an order arrives: a
// working order checked against a book of `legs` option positions on one underlying, without a
// scenario cache (every check reprices the whole book), with the exchange's cache at one clock
// time (the book's instruments priced once; a check prices only the order's instrument) and
// with the cache while the clock moves on every check (each check misses: the cache's cost).
#include <benchmark/benchmark.h>

#include <cmath>
#include <map>

#include "backtest/backtest_engine.h"
#include "nse/margin_book.h"
#include "pricing/black.h"

namespace nacre {
namespace {

const InstrumentId kNifty = MustInstrumentId("NIFTY 50.NSE");

Instrument Option() {
  InstrumentSpec s;
  s.id = MustInstrumentId("NIFTY2610624000CE.NFO");
  s.lot_size = Quantity::FromInt(65);
  s.freeze_quantity = Quantity::FromInt(1800);
  s.tick_size = Price::Raw(5 * Pow10(kFixedPrecision - 2), 2);
  return *MakeOption(s, kNifty, OptionKind::kCall, Price::Raw(24000 * kFixedScale, 2),
                     FromIst(2025, 12, 1, 9, 15), FromIst(2099, 1, 6, 15, 30));
}

// Keeps one buy and one sell limit a tick inside the quote, 1 lot each, replacing filled ones.
class Quoter final : public Strategy {
 public:
  explicit Quoter(InstrumentId id) : Strategy(StrategyId("Quoter-001")), id_(id) {}
  std::uint64_t fills = 0;

 protected:
  void OnStart() override { SubscribeQuoteTicks(id_); }
  void OnOrderFilled(const OrderFilled&) override { ++fills; }
  void OnQuoteTick(const QuoteTick& q) override {
    OrderQuery oq;
    oq.strategy_id = strategy_id();
    bool buy = false;
    bool sell = false;
    for (const auto& orders : {cache().OrdersOpen(oq), cache().OrdersInflight(oq)}) {
      for (const Order* o : orders) (o->is_buy() ? buy : sell) = true;
    }
    const Price tick = Price::Raw(5 * Pow10(kFixedPrecision - 2), 2);
    if (!buy) {
      SubmitOrder(order_factory().Limit(id_, OrderSide::kBuy, Quantity::FromInt(65), q.bid_price));
    }
    if (!sell) {
      SubmitOrder(
          order_factory().Limit(id_, OrderSide::kSell, Quantity::FromInt(65), q.ask_price + tick));
    }
  }

 private:
  InstrumentId id_;
};

// Quotes one lot on each side at the touch and follows the touch with modifies, within the
// rate limits, a position limit and the account's margin (see the file comment).
class MarketMaker final : public Strategy {
 public:
  // `quoting` false: subscribed to the same quotes, no orders (the data path's ceiling).
  MarketMaker(InstrumentId id, bool quoting)
      : Strategy(StrategyId("MarketMaker-001")), id_(id), quoting_(quoting) {}
  std::uint64_t fills = 0;
  std::uint64_t submits = 0;
  std::uint64_t modifies = 0;
  std::uint64_t cancels = 0;
  std::uint64_t denied = 0;
  std::uint64_t rejected = 0;
  std::uint64_t modify_rejected = 0;

  static constexpr std::int64_t kMaxLots = 3;
  static constexpr DurationNs kRequoteEvery = 400 * kNanosPerMilli;
  // At most one command (submit or modify) per 200 ms: 5/s and 300/min, under the risk
  // engine's 10/s and 400/min.
  static constexpr DurationNs kCommandGap = 200 * kNanosPerMilli;
  static constexpr DurationNs kBackoff = 5 * kNanosPerSecond;

 protected:
  void OnStart() override {
    sides_[0] = sides_[1] = Side{};
    lots_ = 0;
    last_command_ = UnixNanos{};
    fills = submits = modifies = cancels = denied = rejected = modify_rejected = 0;
    SubscribeQuoteTicks(id_);
  }
  void OnOrderFilled(const OrderFilled& f) override {
    ++fills;
    const std::int64_t lots = f.last_qty.raw() / Quantity::FromInt(65).raw();
    lots_ += f.order_side == OrderSide::kBuy ? lots : -lots;
  }
  void OnOrderDenied(const OrderDenied&) override {
    ++denied;
    BackOffClosed();
  }
  void OnOrderRejected(const OrderRejected&) override {
    ++rejected;
    BackOffClosed();
  }
  // A modify that crossed the order's fill on the wire ("not open at venue"): the fill
  // replaces the order; no back-off.
  void OnOrderModifyRejected(const OrderModifyRejected&) override { ++modify_rejected; }
  void OnQuoteTick(const QuoteTick& q) override {
    if (!quoting_) return;
    const UnixNanos now = q.ts_event;
    Quote(sides_[0], OrderSide::kBuy, q.bid_price, lots_ < kMaxLots, now);
    Quote(sides_[1], OrderSide::kSell, q.ask_price, lots_ > -kMaxLots, now);
  }

 private:
  struct Side {
    const Order* order = nullptr;  // the side's working order (cached; null when none)
    UnixNanos last_change;         // when it was last submitted or modified
    UnixNanos wait_until;          // no new order before this (after a denial or rejection)
  };

  void BackOffClosed() {
    for (Side& s : sides_) {
      if (s.order != nullptr && s.order->is_closed()) s.wait_until = clock().Now() + kBackoff;
    }
  }

  void Quote(Side& s, OrderSide side, Price touch, bool wanted, UnixNanos now) {
    if (s.order != nullptr && s.order->is_closed()) s.order = nullptr;
    if (!wanted) {
      if (s.order != nullptr && !s.order->is_inflight()) {
        CancelOrder(*s.order);
        ++cancels;
      }
      return;
    }
    if (s.order == nullptr) {
      if (now < s.wait_until || !Paced(now)) return;
      s.order = SubmitOrder(order_factory().Limit(id_, side, Quantity::FromInt(65), touch));
      s.last_change = now;
      ++submits;
      return;
    }
    if (s.order->is_inflight() || *s.order->price() == touch || now < s.wait_until ||
        now - s.last_change < kRequoteEvery || !Paced(now)) {
      return;
    }
    ModifyOrder(*s.order, std::nullopt, touch);
    s.last_change = now;
    ++modifies;
  }

  // Claims the command slot at `now` when the last command is kCommandGap behind.
  bool Paced(UnixNanos now) {
    if (last_command_ != UnixNanos{} && now - last_command_ < kCommandGap) return false;
    last_command_ = now;
    return true;
  }

  InstrumentId id_;
  bool quoting_;
  Side sides_[2];
  std::int64_t lots_ = 0;
  UnixNanos last_command_;
};

struct ExchangeData {
  Instrument option;
  std::vector<QuoteTick> quotes;
  std::vector<TradeTick> trades;
};

ExchangeData MakeData(std::size_t n) {
  ExchangeData d{Option(), {}, {}};
  UnixNanos t = FromIst(2026, 1, 5, 9, 15);
  std::int64_t px = 150 * kFixedScale;
  std::uint64_t rng = 42;
  for (std::size_t i = 0; i < n; ++i) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    px += (static_cast<std::int64_t>(rng >> 61) - 3) * 5 * Pow10(kFixedPrecision - 2);
    if (px < 10 * kFixedScale) px = 10 * kFixedScale;
    QuoteTick q;
    q.instrument_id = d.option.id;
    q.bid_price = Price::Raw(px, 2);
    q.ask_price = Price::Raw(px + 10 * Pow10(kFixedPrecision - 2), 2);
    q.bid_size = q.ask_size = Quantity::FromInt(130);
    q.ts_event = q.ts_init = t;
    d.quotes.push_back(q);
    if (i % 10 == 0) {
      TradeTick x;
      x.instrument_id = kNifty;
      x.price = Price::Raw(24000 * kFixedScale + px - 150 * kFixedScale, 2);
      x.size = Quantity::FromInt(1);
      x.ts_event = x.ts_init = t;
      d.trades.push_back(x);
    }
    t += 20 * kNanosPerMilli;  // 100k quotes = 33 minutes, inside one session
  }
  return d;
}

// A backtest of `d` on the NSE exchange (charges and margin on) with `balance` to start.
std::unique_ptr<BacktestEngine> MakeEngine(const ExchangeData& d, Money balance) {
  KernelConfig kc;
  kc.log_sink = nullptr;
  auto engine = std::make_unique<BacktestEngine>(kc);
  BacktestVenueConfig vc;
  vc.venue.venue = Venue("NFO");
  vc.venue.account_id = AccountId("NFO-001");
  vc.starting_balance = balance;
  vc.exchange = SimulatedExchangeConfig{};
  vc.exchange->latency.submit = 50 * kNanosPerMilli;
  vc.exchange->latency.modify = 50 * kNanosPerMilli;
  vc.exchange->latency.cancel = 50 * kNanosPerMilli;
  (void)engine->AddVenue(vc);
  engine->AddInstrument(*MakeIndex(kNifty, 2, Price::Raw(5 * Pow10(kFixedPrecision - 2), 2)));
  engine->AddInstrument(d.option);
  engine->AddQuotes(d.quotes);
  engine->AddTrades(d.trades);
  return engine;
}

void BM_NseExchangeMarketMaker(benchmark::State& state) {
  const ExchangeData d = MakeData(static_cast<std::size_t>(state.range(0)));
  const auto engine_ptr = MakeEngine(d, Money::FromInt(2'500'000));
  BacktestEngine& engine = *engine_ptr;
  const bool quoting = state.range(1) != 0;
  auto s = std::make_unique<MarketMaker>(d.option.id, quoting);
  MarketMaker* mm = s.get();
  (void)engine.AddStrategy(std::move(s));
  for (auto _ : state) {
    const BacktestResult r = engine.Run();
    benchmark::DoNotOptimize(r.final_equity);
    state.PauseTiming();
    if (quoting && mm->fills == 0) state.SkipWithError("no fills");
    state.counters["fills"] = static_cast<double>(mm->fills);
    state.counters["orders"] = static_cast<double>(mm->submits);
    state.counters["modifies"] = static_cast<double>(mm->modifies);
    state.counters["cancels"] = static_cast<double>(mm->cancels);
    state.counters["denied"] = static_cast<double>(mm->denied);
    state.counters["rejected"] = static_cast<double>(mm->rejected);
    state.counters["mod_rejected"] = static_cast<double>(mm->modify_rejected);
    engine.Reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(d.quotes.size() + d.trades.size()));
}
BENCHMARK(BM_NseExchangeMarketMaker)
    ->ArgNames({"quotes", "orders"})
    ->Args({100'000, 1})
    ->Args({100'000, 0})
    ->Unit(benchmark::kMillisecond);

void BM_NseExchangeQuotes(benchmark::State& state) {
  const ExchangeData d = MakeData(static_cast<std::size_t>(state.range(0)));
  const auto engine_ptr = MakeEngine(d, Money::FromInt(100'000'000));
  BacktestEngine& engine = *engine_ptr;
  auto s = std::make_unique<Quoter>(d.option.id);
  Quoter* quoter = s.get();
  (void)engine.AddStrategy(std::move(s));
  std::uint64_t fills = 0;
  BacktestResult last;
  for (auto _ : state) {
    const BacktestResult r = engine.Run();
    benchmark::DoNotOptimize(r.final_equity);
    state.PauseTiming();
    fills = r.fills;
    last = r;
    if (quoter->fills == 0) state.SkipWithError("no fills");
    quoter->fills = 0;
    engine.Reset();
    state.ResumeTiming();
  }
  state.counters["fills"] = static_cast<double>(fills);
  state.counters["orders"] = static_cast<double>(last.orders);
  state.counters["denied"] = static_cast<double>(last.orders_denied);
  state.counters["rejected"] = static_cast<double>(last.orders_rejected);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(d.quotes.size() + d.trades.size()));
}
BENCHMARK(BM_NseExchangeQuotes)->Arg(100'000)->Unit(benchmark::kMillisecond);

// The same function, one iteration: the run is not followed by another (its reset is untimed).
BENCHMARK(BM_NseExchangeQuotes)
    ->Name("BM_NseExchangeQuotesFirstRun")
    ->Arg(100'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

void BM_MarginCheck(benchmark::State& state) {
  const auto legs = static_cast<int>(state.range(0));
  const int mode = static_cast<int>(state.range(1));  // 0 no cache, 1 cache, 2 cache, clock moving
  MapMarginMarket market;
  const UnixNanos expiry = FromIst(2026, 1, 13, 15, 30);
  UnixNanos now = FromIst(2026, 1, 5, 10, 0);
  const double spot = 24000;
  market.instruments.emplace(kNifty, *MakeIndex(kNifty, 2, Price::Raw(5 * Pow10(7), 2)));
  market.marks[kNifty] = Price::FromDouble(spot, 2);
  std::vector<InstrumentId> ids;
  for (int i = 0; i <= legs; ++i) {  // one more than the book: the order's instrument
    const OptionKind kind = i % 2 == 0 ? OptionKind::kPut : OptionKind::kCall;
    const std::int64_t strike = 22000 + 100 * i;
    InstrumentSpec s;
    s.id = MustInstrumentId(fmt::format("NIFTY26113{}{}.NFO", strike, i % 2 == 0 ? "PE" : "CE"));
    s.lot_size = Quantity::FromInt(65);
    const Instrument o = *MakeOption(s, kNifty, kind, Price::Raw(strike * kFixedScale, 2),
                                     now - 30 * kNanosPerDay, expiry);
    const double t = static_cast<double>(expiry - now) / (365.0 * kNanosPerDay);
    const double v = pricing::Black76Price(kind, spot, static_cast<double>(strike), t, 0.14, 0);
    market.instruments.emplace(o.id, o);
    market.marks[o.id] = Price::FromDouble(std::max(0.05, std::round(v * 20) / 20), 2);
    ids.push_back(o.id);
  }
  const Instrument& order_inst = market.instruments.at(ids.back());
  MarginBookConfig config;
  MarginScenarioCache cache;
  std::int64_t n = 0;
  for (auto _ : state) {
    if (mode == 2) now += kNanosPerMilli;
    MarginBook book(kNifty, market, config, now, mode == 0 ? nullptr : &cache);
    for (int i = 0; i < legs; ++i) {
      book.AddPosition(ids[static_cast<std::size_t>(i)], i % 3 == 0 ? 130 : -65);
    }
    auto c = book.Check(MakeWorkingLeg(ClientOrderId("O-" + std::to_string(++n)), order_inst,
                                       OrderSide::kSell, Quantity::FromInt(65),
                                       market.marks.at(order_inst.id)));
    if (!c.ok()) {
      state.SkipWithError(c.error().c_str());
      return;
    }
    benchmark::DoNotOptimize(c->required);
  }
  state.counters["cache_hits"] = static_cast<double>(cache.hits());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MarginCheck)
    ->ArgNames({"legs", "cache"})
    ->Args({4, 0})
    ->Args({4, 1})
    ->Args({20, 0})
    ->Args({20, 1})
    ->Args({20, 2});

}  // namespace
}  // namespace nacre
