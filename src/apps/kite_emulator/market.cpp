#include "apps/kite_emulator/market.h"

#include <algorithm>

#include "adapters/zerodha/kite_json.h"
#include "core/fixed.h"

namespace nacre::kite_emu {

namespace {

using nlohmann::json;

constexpr std::size_t kChunk = 4096;

std::uint32_t Units(const Quantity& q) {
  const std::int64_t u = q.raw() / kFixedScale;
  return u <= 0 ? 0u : static_cast<std::uint32_t>(std::min<std::int64_t>(u, UINT32_MAX));
}

// `p` on the tick grid (half up), at the wire's two decimals.
Price OnTick(Price p, const Instrument& ins) {
  std::int64_t tick = ins.tick_size.raw();
  if (tick <= 0) tick = kFixedScale / 100;
  const std::int64_t r = static_cast<std::int64_t>(DivRound(p.raw(), tick)) * tick;
  return Price::Raw(r, 2);
}

Price At2(Price p) { return Price::Raw(p.raw(), 2); }

json Px(const std::optional<Price>& p) { return KitePriceJson(p ? At2(*p) : Price::Raw(0, 2)); }

std::uint32_t Secs(UnixNanos t) {
  return t.value <= 0 ? 0u : static_cast<std::uint32_t>(t.value / kNanosPerSecond);
}

// Orders shown at a level: the quantity in lots rounded up (1 when any size).
std::uint16_t OrdersAt(std::uint32_t qty, const Instrument& ins) {
  if (qty == 0) return 0;
  const std::int64_t lot = std::max<std::int64_t>(1, ins.lot_size.raw() / kFixedScale);
  return static_cast<std::uint16_t>(std::min<std::int64_t>((qty + lot - 1) / lot, 65535));
}

// The NSE LPP band around `ref` (options; indices get ±10% only for display).
std::pair<Price, Price> Band(const TokenState& s) {
  if (!s.last) return {Price::Raw(0, 2), Price::Raw(0, 2)};
  const std::int64_t r = s.last->raw();
  std::int64_t band = 0;
  if (s.instrument->instrument_class == InstrumentClass::kOption) {
    band = r <= 50 * kFixedScale ? 20 * kFixedScale : static_cast<std::int64_t>(static_cast<Int128>(r) * 40 / 100);
  } else {
    band = static_cast<std::int64_t>(static_cast<Int128>(r) / 10);
  }
  std::int64_t tick = s.instrument->tick_size.raw();
  if (tick <= 0) tick = kFixedScale / 100;
  const std::int64_t low = std::max(r - band, tick) / tick * tick;
  const std::int64_t high = (r + band) / tick * tick;
  return {Price::Raw(low, 2), Price::Raw(high, 2)};
}

}  // namespace

Market::Market(std::vector<Instrument> instruments, const std::vector<KiteInstrumentRow>& rows)
    : instruments_(std::move(instruments)) {
  std::unordered_map<std::string, const KiteInstrumentRow*> by_symbol;
  for (const KiteInstrumentRow& r : rows) by_symbol[r.tradingsymbol] = &r;
  states_.reserve(instruments_.size());
  for (const Instrument& ins : instruments_) {
    const std::string symbol =
        ins.raw_symbol.value().empty() ? ins.id.symbol().value() : ins.raw_symbol.value();
    auto it = by_symbol.find(symbol);
    if (it == by_symbol.end()) continue;  // not in the dump: not served
    TokenState s;
    s.token = it->second->instrument_token;
    s.instrument = &ins;
    s.key = it->second->exchange + ":" + symbol;
    s.index = ins.instrument_class == InstrumentClass::kIndex;
    by_token_[s.token] = states_.size();
    by_key_[s.key] = states_.size();
    by_id_[ins.id] = states_.size();
    states_.push_back(std::move(s));
  }
}

void Market::AddSource(std::unique_ptr<DataStream> stream) {
  Cursor c;
  c.stream = std::move(stream);
  cursors_.push_back(std::move(c));
}

Market::Cursor* Market::Front() {
  if (!status_.ok()) return nullptr;
  Cursor* best = nullptr;
  for (Cursor& c : cursors_) {
    if (c.done) continue;
    if (c.pos >= c.buf.size()) {
      c.pos = 0;
      if (Status s = c.stream->Next(c.buf, kChunk); !s.ok()) {
        status_ = s.WithContext("market replay: ");
        c.done = true;
        return nullptr;
      }
      if (c.buf.empty()) {
        c.done = true;
        continue;
      }
    }
    if (best == nullptr || TsInitOf(c.buf[c.pos]) < TsInitOf(best->buf[best->pos])) best = &c;
  }
  return best;
}

std::optional<UnixNanos> Market::NextTs() {
  Cursor* c = Front();
  if (c == nullptr) return std::nullopt;
  return TsInitOf(c->buf[c->pos]);
}

Status Market::PumpTo(UnixNanos v, const Sink& sink) {
  while (Cursor* c = Front()) {
    const MarketData& item = c->buf[c->pos];
    if (TsInitOf(item) > v) break;
    const InstrumentId& id = std::visit(
        [](const auto& d) -> const InstrumentId& {
          if constexpr (std::is_same_v<std::decay_t<decltype(d)>, Bar>) {
            return d.bar_type.instrument_id();
          } else {
            return d.instrument_id;
          }
        },
        item);
    auto it = by_id_.find(id);
    if (it != by_id_.end()) {
      TokenState& s = states_[it->second];
      Apply(item, s);
      ++released_;
      if (sink) sink(item, s);
    }
    ++c->pos;
  }
  return status_;
}

void Market::SetLast(TokenState& s, Price px, UnixNanos ts) {
  const CivilDate day = IstDate(ts);
  if (day != s.day) {
    if (s.last) s.close = s.last;
    s.day = day;
    s.open = s.high = s.low = px;
    s.volume = 0;
    s.traded_value = 0;
  }
  s.last = px;
  if (!s.high || px > *s.high) s.high = px;
  if (!s.low || px < *s.low) s.low = px;
  s.ts = ts;
}

void Market::Apply(const MarketData& item, TokenState& s) {
  const Instrument& ins = *s.instrument;
  if (const auto* q = std::get_if<QuoteTick>(&item)) {
    s.bid = q->bid_price;
    s.ask = q->ask_price;
    s.bid_qty = Units(q->bid_size);
    s.ask_qty = Units(q->ask_size);
    const bool have_trade = s.last_trade && IstDate(s.last_trade_time) == IstDate(q->ts_event);
    SetLast(s, have_trade ? *s.last_trade : OnTick(q->Mid(), ins), q->ts_event);
  } else if (const auto* t = std::get_if<TradeTick>(&item)) {
    SetLast(s, At2(t->price), t->ts_event);
    s.last_trade = At2(t->price);
    s.last_qty = Units(t->size);
    s.last_trade_time = t->ts_event;
    s.volume += s.last_qty;
    s.traded_value += static_cast<Int128>(t->price.raw()) * s.last_qty;
  } else if (const auto* b = std::get_if<Bar>(&item)) {
    SetLast(s, At2(b->close), b->ts_init);
  }
}

const TokenState* Market::ByToken(std::uint32_t token) const {
  auto it = by_token_.find(token);
  return it == by_token_.end() ? nullptr : &states_[it->second];
}

const TokenState* Market::ByKey(std::string_view key) const {
  auto it = by_key_.find(std::string(key));
  return it == by_key_.end() ? nullptr : &states_[it->second];
}

const TokenState* Market::ByInstrument(const InstrumentId& id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &states_[it->second];
}

KiteTick Market::Tick(const TokenState& s, KiteMode mode) const {
  KiteTick t;
  t.mode = mode;
  t.instrument_token = s.token;
  t.tradable = !s.index;
  const Price zero = Price::Raw(0, 2);
  t.last_price = s.last ? At2(*s.last) : zero;
  if (mode == KiteMode::kLtp) return t;
  t.open = s.open ? At2(*s.open) : zero;
  t.high = s.high ? At2(*s.high) : zero;
  t.low = s.low ? At2(*s.low) : zero;
  t.close = s.close ? At2(*s.close) : zero;
  if (s.index) {
    t.index_change_raw = s.close ? static_cast<std::int32_t>((t.last_price.raw() - t.close.raw()) /
                                                             (kFixedScale / 100))
                                 : 0;
    if (mode == KiteMode::kFull) t.exchange_timestamp = Secs(s.ts);
    return t;
  }
  t.last_quantity = s.last_qty;
  t.average_price =
      s.volume == 0 ? zero
                    : Price::Raw(static_cast<std::int64_t>(DivRound(
                                     s.traded_value / static_cast<Int128>(s.volume),
                                     kFixedScale / 100)) * (kFixedScale / 100), 2);
  t.volume = static_cast<std::uint32_t>(std::min<std::uint64_t>(s.volume, UINT32_MAX));
  t.buy_quantity = s.bid_qty;
  t.sell_quantity = s.ask_qty;
  if (mode == KiteMode::kQuote) return t;
  t.last_trade_time = Secs(s.last_trade_time);
  t.exchange_timestamp = Secs(s.ts);
  if (s.bid) t.buy[0] = KiteDepthLevel{s.bid_qty, At2(*s.bid), OrdersAt(s.bid_qty, *s.instrument)};
  if (s.ask) t.sell[0] = KiteDepthLevel{s.ask_qty, At2(*s.ask), OrdersAt(s.ask_qty, *s.instrument)};
  for (auto* side : {&t.buy, &t.sell}) {
    for (KiteDepthLevel& l : *side) {
      if (l.quantity == 0) l.price = zero;
    }
  }
  return t;
}

json Market::LtpJson(const TokenState& s) const {
  return json{{"instrument_token", s.token}, {"last_price", Px(s.last)}};
}

json Market::OhlcJson(const TokenState& s) const {
  return json{{"instrument_token", s.token},
              {"last_price", Px(s.last)},
              {"ohlc", {{"open", Px(s.open)}, {"high", Px(s.high)}, {"low", Px(s.low)},
                        {"close", Px(s.close)}}}};
}

json Market::QuoteJson(const TokenState& s) const {
  const KiteTick full = Tick(s, s.index ? KiteMode::kFull : KiteMode::kFull);
  json out = OhlcJson(s);
  out["timestamp"] = KiteTimeText(s.ts);
  out["last_trade_time"] = s.last_trade_time.value == 0 ? json(nullptr) : json(KiteTimeText(s.last_trade_time));
  out["last_quantity"] = full.last_quantity;
  out["buy_quantity"] = full.buy_quantity;
  out["sell_quantity"] = full.sell_quantity;
  out["volume"] = full.volume;
  out["average_price"] = KitePriceJson(full.average_price);
  out["oi"] = 0;
  out["oi_day_high"] = 0;
  out["oi_day_low"] = 0;
  out["net_change"] = s.close && s.last ? KitePriceJson(Price::Raw(s.last->raw() - s.close->raw(), 2))
                                        : json(0);
  const auto [low, high] = Band(s);
  out["lower_circuit_limit"] = KitePriceJson(low);
  out["upper_circuit_limit"] = KitePriceJson(high);
  auto levels = [&](const std::array<KiteDepthLevel, 5>& side) {
    json a = json::array();
    for (const KiteDepthLevel& l : side) {
      a.push_back({{"price", KitePriceJson(l.quantity == 0 ? Price::Raw(0, 2) : l.price)},
                   {"quantity", l.quantity},
                   {"orders", l.orders}});
    }
    return a;
  };
  out["depth"] = {{"buy", levels(full.buy)}, {"sell", levels(full.sell)}};
  return out;
}

}  // namespace nacre::kite_emu
