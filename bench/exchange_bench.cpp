// The NSE simulated exchange under load: option quotes (with index trades for margin) through
// a backtest with charges and margin on, while a strategy keeps limit orders resting on both
// sides and replaces them as they fill, so every quote is matched against working orders.
// Items per second are data points per second of the run phase.
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

void BM_NseExchangeQuotes(benchmark::State& state) {
  const Instrument opt = Option();
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<QuoteTick> quotes;
  std::vector<TradeTick> trades;
  UnixNanos t = FromIst(2026, 1, 5, 9, 15);
  std::int64_t px = 150 * kFixedScale;
  std::uint64_t rng = 42;
  for (std::size_t i = 0; i < n; ++i) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    px += (static_cast<std::int64_t>(rng >> 61) - 3) * 5 * Pow10(kFixedPrecision - 2);
    if (px < 10 * kFixedScale) px = 10 * kFixedScale;
    QuoteTick q;
    q.instrument_id = opt.id;
    q.bid_price = Price::Raw(px, 2);
    q.ask_price = Price::Raw(px + 10 * Pow10(kFixedPrecision - 2), 2);
    q.bid_size = q.ask_size = Quantity::FromInt(130);
    q.ts_event = q.ts_init = t;
    quotes.push_back(q);
    if (i % 10 == 0) {
      TradeTick x;
      x.instrument_id = kNifty;
      x.price = Price::Raw(24000 * kFixedScale + px - 150 * kFixedScale, 2);
      x.size = Quantity::FromInt(1);
      x.ts_event = x.ts_init = t;
      trades.push_back(x);
    }
    t += 20 * kNanosPerMilli;  // 100k quotes = 33 minutes, inside one session
  }
  KernelConfig kc;
  kc.log_sink = nullptr;
  BacktestEngine engine(kc);
  BacktestVenueConfig vc;
  vc.venue.venue = Venue("NFO");
  vc.venue.account_id = AccountId("NFO-001");
  vc.starting_balance = Money::FromInt(100'000'000);
  vc.exchange = SimulatedExchangeConfig{};
  vc.exchange->latency.submit = 50 * kNanosPerMilli;
  (void)engine.AddVenue(vc);
  engine.AddInstrument(*MakeIndex(kNifty, 2, Price::Raw(5 * Pow10(kFixedPrecision - 2), 2)));
  engine.AddInstrument(opt);
  engine.AddQuotes(quotes);
  engine.AddTrades(trades);
  auto s = std::make_unique<Quoter>(opt.id);
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
                          static_cast<std::int64_t>(quotes.size() + trades.size()));
}
BENCHMARK(BM_NseExchangeQuotes)->Arg(100'000)->Unit(benchmark::kMillisecond);

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
