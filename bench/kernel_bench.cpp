// Hot-path micro-benchmarks: bus publish (1 and 10 subscribers), cache quote update, order
// state transition, position fill. Targets live here, never in unit tests; the figures go
// into the issue notes.
#include <benchmark/benchmark.h>

#include "common/cache.h"
#include "common/message_bus.h"
#include "model/order.h"
#include "model/position.h"

namespace nacre {
namespace {

struct Tick {
  std::int64_t v;
};

void BusPublish(benchmark::State& state) {
  MessageBus bus;
  std::int64_t sink = 0;
  const auto n = static_cast<int>(state.range(0));
  for (int i = 0; i < n; ++i) {
    bus.Subscribe<Tick>("data.quotes.*", [&sink](const Tick& t) { sink += t.v; });
  }
  auto topic = bus.Topic("data.quotes.NIFTY2610624000CE.NFO");
  Tick t{1};
  for (auto _ : state) {
    bus.Publish(topic, t);
    benchmark::DoNotOptimize(sink);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BusPublish)->Arg(1)->Arg(10);

Instrument Option() {
  InstrumentSpec s;
  s.id = MustInstrumentId("NIFTY2610624000CE.NFO");
  s.lot_size = Quantity::FromInt(65);
  return *MakeOption(s, MustInstrumentId("NIFTY 50.NSE"), OptionKind::kCall, *Price::Parse("24000"),
                     UnixNanos(0), FromIst(2026, 1, 6, 15, 30));
}

void CacheQuoteUpdate(benchmark::State& state) {
  Cache cache;
  const Instrument inst = Option();
  cache.AddInstrument(inst);
  QuoteTick q{inst.id,
              *Price::Parse("101.05"),
              *Price::Parse("101.10"),
              Quantity::FromInt(650),
              Quantity::FromInt(1300),
              UnixNanos(1),
              UnixNanos(1)};
  for (auto _ : state) {
    q.ts_init.value += 1;
    cache.AddQuote(q);
    benchmark::DoNotOptimize(cache.quote(inst.id));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(CacheQuoteUpdate);

template <typename E>
E Ev(const Instrument& inst, const char* id) {
  E e;
  e.trader_id = TraderId("TRADER-001");
  e.strategy_id = StrategyId("S-001");
  e.instrument_id = inst.id;
  e.client_order_id = ClientOrderId(id);
  return e;
}

void OrderStateTransition(benchmark::State& state) {
  const Instrument inst = Option();
  OrderInitialized init = Ev<OrderInitialized>(inst, "O-1");
  init.order_type = OrderType::kLimit;
  init.quantity = Quantity::FromInt(65);
  init.price = *Price::Parse("100");
  Order order(init);
  (void)order.Apply(Ev<OrderSubmitted>(inst, "O-1"));
  (void)order.Apply(Ev<OrderAccepted>(inst, "O-1"));
  const OrderEvent pending = Ev<OrderPendingUpdate>(inst, "O-1");
  OrderUpdated upd = Ev<OrderUpdated>(inst, "O-1");
  upd.quantity = Quantity::FromInt(65);
  const OrderEvent updated = upd;
  for (auto _ : state) {
    benchmark::DoNotOptimize(order.Apply(pending).ok());
    benchmark::DoNotOptimize(order.Apply(updated).ok());
  }
  state.SetItemsProcessed(state.iterations() * 2);  // two transitions per iteration
}
BENCHMARK(OrderStateTransition);

void PositionFill(benchmark::State& state) {
  // A realistic position life: open, then 15 more fills alternately adding and reducing.
  const Instrument inst = Option();
  OrderFilled f = Ev<OrderFilled>(inst, "O-1");
  f.last_qty = Quantity::FromInt(65);
  f.last_px = *Price::Parse("100.05");
  f.order_side = OrderSide::kBuy;
  f.commission = *Money::Parse("20.00");
  constexpr int kFills = 16;
  for (auto _ : state) {
    f.order_side = OrderSide::kBuy;
    Position pos(inst, f);
    for (int i = 1; i < kFills; ++i) {
      f.order_side = (i & 1) ? OrderSide::kSell : OrderSide::kBuy;
      benchmark::DoNotOptimize(pos.Apply(f).ok());
    }
    benchmark::DoNotOptimize(pos.realized_pnl());
  }
  state.SetItemsProcessed(state.iterations() * kFills);
}
BENCHMARK(PositionFill);

}  // namespace
}  // namespace nacre
