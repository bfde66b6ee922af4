#include "persistence/journal_codec.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace nacre {
namespace {

Uuid4 TestUuid(std::uint64_t seed) { return UuidGenerator(seed).Next(); }

template <typename E>
E WithHeader(E e, std::uint64_t seed = 1) {
  e.trader_id = TraderId("TRADER-001");
  e.strategy_id = StrategyId("Straddle-001");
  e.instrument_id = MustInstrumentId("NIFTY2610624000CE.NFO");
  e.client_order_id = ClientOrderId("O-20260105-091500-001-001-1");
  e.event_id = TestUuid(seed);
  e.ts_event = UnixNanos(1'767'584'700'123'456'789);
  e.ts_init = UnixNanos(1'767'584'700'223'456'789);
  return e;
}

template <typename C>
C WithCommandHeader(C c) {
  c.trader_id = TraderId("TRADER-001");
  c.strategy_id = StrategyId("Straddle-001");
  c.client_id = ClientId("ZERODHA");
  c.command_id = TestUuid(99);
  c.ts_init = UnixNanos(1'767'584'700'000'000'001);
  return c;
}

bool HasFloat(const nlohmann::json& j) {
  if (j.is_number_float()) return true;
  if (j.is_structured()) {
    for (const auto& v : j) {
      if (HasFloat(v)) return true;
    }
  }
  return false;
}

Money Inr(std::int64_t paise) { return Money::FromRaw(paise * 10'000'000); }

// One of every order event, every field set away from its default.
std::vector<OrderEvent> AllEvents() {
  std::vector<OrderEvent> out;
  const VenueOrderId voi("260105000123456");
  const AccountId acct("ZERODHA-AB1234");
  OrderInitialized init = WithHeader(OrderInitialized{}, 1);
  init.side = OrderSide::kSell;
  init.order_type = OrderType::kStopLimit;
  init.quantity = Quantity::Raw(75'000'000'000, 0);
  init.price = Price::Raw(123'450'000'000, 2);
  init.trigger_price = Price::Raw(124'000'000'000, 1);
  init.time_in_force = TimeInForce::kGtd;
  init.expire_time = UnixNanos(1'767'600'000'000'000'000);
  init.reduce_only = true;
  init.market_protection_pct_raw = 2'500'000'000;
  init.order_list_id = OrderListId("OL-1");
  init.contingency = ContingencyType::kOco;
  init.linked_order_ids = {ClientOrderId("O-2"), ClientOrderId("O-3")};
  init.parent_order_id = ClientOrderId("O-0");
  init.tags = "leg=short-call, \"quoted\" \\ ünïcode";
  init.venue_tag = "NCR1A2B3C";
  out.emplace_back(init);
  OrderDenied denied = WithHeader(OrderDenied{}, 2);
  denied.reason_code = "QUANTITY_EXCEEDS_FREEZE";
  denied.message = "quantity=1950 freeze=1800";
  out.emplace_back(denied);
  OrderSubmitted submitted = WithHeader(OrderSubmitted{}, 3);
  submitted.account_id = acct;
  out.emplace_back(submitted);
  OrderAccepted accepted = WithHeader(OrderAccepted{}, 4);
  accepted.venue_order_id = voi;
  accepted.account_id = acct;
  out.emplace_back(accepted);
  OrderRejected rejected = WithHeader(OrderRejected{}, 5);
  rejected.account_id = acct;
  rejected.reason = "Insufficient funds. Required margin is 95417.84";
  out.emplace_back(rejected);
  auto venue_event = [&](auto e, std::uint64_t seed) {
    e = WithHeader(e, seed);
    e.venue_order_id = voi;
    e.account_id = acct;
    return e;
  };
  out.emplace_back(venue_event(OrderCanceled{}, 6));
  out.emplace_back(venue_event(OrderExpired{}, 7));
  out.emplace_back(venue_event(OrderTriggered{}, 8));
  out.emplace_back(venue_event(OrderPendingUpdate{}, 9));
  out.emplace_back(venue_event(OrderPendingCancel{}, 10));
  OrderModifyRejected mrej = venue_event(OrderModifyRejected{}, 11);
  mrej.reason = "Order cannot be modified";
  mrej.quantity = Quantity::Raw(50'000'000'000, 0);
  mrej.price = Price::Raw(-5'050'000'000, 2);  // spreads can be negative
  mrej.trigger_price = std::nullopt;
  out.emplace_back(mrej);
  OrderCancelRejected crej = venue_event(OrderCancelRejected{}, 12);
  crej.reason = "Order already completed";
  out.emplace_back(crej);
  OrderUpdated upd = venue_event(OrderUpdated{}, 13);
  upd.quantity = Quantity::Raw(150'000'000'000, 0);
  upd.price = Price::Raw(99'950'000'000, 2);
  upd.trigger_price = Price::Raw(100'000'000'000, 2);
  out.emplace_back(upd);
  OrderFilled fill = venue_event(OrderFilled{}, 14);
  fill.trade_id = TradeId("T-00000123456789");
  fill.position_id = PositionId("NIFTY2610624000CE.NFO-Straddle-001");
  fill.order_side = OrderSide::kSell;
  fill.order_type = OrderType::kLimit;
  fill.last_qty = Quantity::Raw(25'000'000'000, 0);
  fill.last_px = Price::Raw(123'450'000'000, 2);
  fill.currency = Currency::INR();
  fill.charges.brokerage = Inr(2000);
  fill.charges.stt = Inr(309);
  fill.charges.exchange = Inr(109);
  fill.charges.sebi = Inr(1);
  fill.charges.ipft = Inr(2);
  fill.charges.stamp = Inr(3);
  fill.charges.gst = Inr(380);
  fill.commission = fill.charges.Total();
  fill.liquidity_side = LiquiditySide::kMaker;
  out.emplace_back(fill);
  return out;
}

std::vector<TradingCommand> AllCommands() {
  std::vector<TradingCommand> out;
  SubmitOrder submit = WithCommandHeader(SubmitOrder{});
  submit.instrument_id = MustInstrumentId("NIFTY26JANFUT.NFO");
  submit.client_order_id = ClientOrderId("O-1");
  submit.position_id = PositionId("P-1");
  out.emplace_back(submit);
  SubmitOrderList list = WithCommandHeader(SubmitOrderList{});
  list.instrument_id = MustInstrumentId("NIFTY26JANFUT.NFO");
  list.order_list_id = OrderListId("OL-7");
  list.client_order_ids = {ClientOrderId("O-1"), ClientOrderId("O-2")};
  out.emplace_back(list);
  ModifyOrder modify = WithCommandHeader(ModifyOrder{});
  modify.instrument_id = MustInstrumentId("NIFTY26JANFUT.NFO");
  modify.client_order_id = ClientOrderId("O-1");
  modify.venue_order_id = VenueOrderId("260105000123456");
  modify.quantity = Quantity::Raw(75'000'000'000, 0);
  modify.price = Price::Raw(2'450'050'000'000, 2);
  out.emplace_back(modify);
  CancelOrder cancel = WithCommandHeader(CancelOrder{});
  cancel.instrument_id = MustInstrumentId("NIFTY26JANFUT.NFO");
  cancel.client_order_id = ClientOrderId("O-1");
  cancel.venue_order_id = VenueOrderId("260105000123456");
  out.emplace_back(cancel);
  CancelAllOrders all = WithCommandHeader(CancelAllOrders{});
  all.instrument_id = MustInstrumentId("NIFTY26JANFUT.NFO");
  all.side = OrderSide::kBuy;
  out.emplace_back(all);
  QueryOrder query = WithCommandHeader(QueryOrder{});
  query.instrument_id = MustInstrumentId("NIFTY26JANFUT.NFO");
  query.client_order_id = ClientOrderId("O-1");
  query.venue_order_id = VenueOrderId("260105000123456");
  out.emplace_back(query);
  return out;
}

TEST(JournalCodec, EveryOrderEventRoundTripsExactly) {
  const auto events = AllEvents();
  ASSERT_EQ(events.size(), std::variant_size_v<OrderEvent>);
  for (std::size_t i = 0; i < events.size(); ++i) {
    const OrderEvent& e = events[i];
    ASSERT_EQ(e.index(), i);  // one of each, in variant order
    const std::string kind(EventName(KindOf(e)));
    const std::string body = EncodeOrderEvent(e);
    auto back = DecodeOrderEvent(kind, body);
    ASSERT_TRUE(back.ok()) << kind << ": " << back.error() << "\n" << body;
    EXPECT_EQ(*back, e) << kind << "\n" << body;
    // Same bytes again: precisions and every field survive (== compares raw values only).
    EXPECT_EQ(EncodeOrderEvent(*back), body) << kind;
    EXPECT_FALSE(HasFloat(nlohmann::json::parse(body))) << "a double in " << body;
  }
}

TEST(JournalCodec, EveryCommandRoundTripsExactly) {
  const auto commands = AllCommands();
  ASSERT_EQ(commands.size(), std::variant_size_v<TradingCommand>);
  for (const TradingCommand& c : commands) {
    const std::string kind(CommandName(c));
    EXPECT_TRUE(IsCommandKind(kind));
    EXPECT_FALSE(IsOrderEventKind(kind));
    const std::string body = EncodeCommand(c);
    auto back = DecodeCommand(kind, body);
    ASSERT_TRUE(back.ok()) << kind << ": " << back.error() << "\n" << body;
    EXPECT_EQ(*back, c) << kind << "\n" << body;
    EXPECT_EQ(EncodeCommand(*back), body) << kind;
  }
}

TEST(JournalCodec, PricesAreRawIntegersWithPrecision) {
  const auto events = AllEvents();
  const auto j = nlohmann::json::parse(EncodeOrderEvent(events.back()));
  EXPECT_EQ(j["last_px"], nlohmann::json::array({123'450'000'000, 2}));
  EXPECT_EQ(j["last_qty"], nlohmann::json::array({25'000'000'000, 0}));
  EXPECT_EQ(j["commission"], nlohmann::json::array({28'040'000'000, "INR"}));
  EXPECT_EQ(j["order_side"], "SELL");
  EXPECT_EQ(j["ts_event"], 1'767'584'700'123'456'789);
  // Precision survives even where == does not look: 100.0 and 100.00 differ in the bytes.
  OrderUpdated a = std::get<OrderUpdated>(events[12]);
  OrderUpdated b = a;
  b.price = Price::Raw(a.price->raw(), 4);
  EXPECT_NE(EncodeOrderEvent(a), EncodeOrderEvent(b));
  auto back = DecodeOrderEvent("OrderUpdated", EncodeOrderEvent(b));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(std::get<OrderUpdated>(*back).price->precision(), 4);
}

TEST(JournalCodec, EncodingIsDeterministic) {
  for (const OrderEvent& e : AllEvents()) EXPECT_EQ(EncodeOrderEvent(e), EncodeOrderEvent(e));
}

TEST(JournalCodec, EntriesCarryTheSearchableIds) {
  const auto events = AllEvents();
  const JournalEntry fill = EventEntry(events.back(), UnixNanos(5));
  EXPECT_EQ(fill.kind, "OrderFilled");
  EXPECT_EQ(fill.client_order_id, "O-20260105-091500-001-001-1");
  EXPECT_EQ(fill.venue_order_id, "260105000123456");
  EXPECT_EQ(fill.trade_id, "T-00000123456789");
  EXPECT_EQ(fill.ts_wall, UnixNanos(5));
  EXPECT_EQ(fill.ts_kernel, UnixNanos(1'767'584'700'223'456'789));
  const JournalEntry init = EventEntry(events.front(), UnixNanos(5));
  EXPECT_EQ(init.venue_order_id, "");
  EXPECT_EQ(init.trade_id, "");
  const JournalEntry submit = CommandEntry(AllCommands().front(), UnixNanos(6));
  EXPECT_EQ(submit.kind, "SubmitOrder");
  EXPECT_EQ(submit.client_order_id, "O-1");
  const JournalEntry cancel = CommandEntry(AllCommands()[3], UnixNanos(6));
  EXPECT_EQ(cancel.venue_order_id, "260105000123456");
}

TEST(JournalCodec, DecodingIsStrictAndNamesTheField) {
  const std::string body = EncodeOrderEvent(AllEvents().back());
  auto j = nlohmann::json::parse(body);
  auto decode = [](const nlohmann::json& v) { return DecodeOrderEvent("OrderFilled", v.dump()); };

  auto missing = j;
  missing.erase("trade_id");
  EXPECT_EQ(decode(missing).error(), "OrderFilled: missing field 'trade_id'");
  auto extra = j;
  extra["surprise"] = 1;
  EXPECT_EQ(decode(extra).error(), "OrderFilled: unknown field 'surprise'");
  auto dbl = j;
  dbl["last_px"] = 1234.5;
  EXPECT_EQ(decode(dbl).error(),
            "OrderFilled: field 'last_px': expected [raw, precision] integers");
  auto precision = j;
  precision["last_px"] = nlohmann::json::array({123'450'000'000, 12});
  EXPECT_NE(decode(precision).error().find("precision 12"), std::string::npos);
  auto unfit = j;
  unfit["last_px"] = nlohmann::json::array({123'456'789'000, 2});  // 123.456789 at 2 decimals
  EXPECT_NE(decode(unfit).error().find("field 'last_px'"), std::string::npos);
  auto side = j;
  side["order_side"] = "SIDEWAYS";
  EXPECT_EQ(decode(side).error(), "OrderFilled: field 'order_side': unknown value 'SIDEWAYS'");
  auto money = j;
  money["commission"] = nlohmann::json::array({1, "INR"});  // finer than a paisa
  EXPECT_NE(decode(money).error().find("field 'commission'"), std::string::npos);
  auto nested = j;
  nested["charges"].erase("gst");
  EXPECT_EQ(decode(nested).error(), "OrderFilled: field 'charges': missing field 'gst'");
  auto uuid = j;
  uuid["event_id"] = "not-a-uuid";
  EXPECT_NE(decode(uuid).error().find("field 'event_id': not a UUID"), std::string::npos);
  auto negative_qty = j;
  negative_qty["last_qty"] = nlohmann::json::array({-1'000'000'000, 0});
  EXPECT_NE(decode(negative_qty).error().find("field 'last_qty'"), std::string::npos);

  EXPECT_EQ(DecodeOrderEvent("OrderFilled", "{not json").code(), ErrorCode::kCorruption);
  EXPECT_EQ(DecodeOrderEvent("OrderFilled", "[1]").error(), "OrderFilled: not a JSON object");
  EXPECT_EQ(DecodeOrderEvent("Nonsense", "{}").code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(DecodeCommand("OrderFilled", "{}").code(), ErrorCode::kInvalidInput);
}

}  // namespace
}  // namespace nacre
