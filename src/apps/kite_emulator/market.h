// The emulator's market (LIVE.md §10): a Nacre catalog replayed in time order, and what Kite
// shows of each instrument at the current virtual time. Every item is released once the
// virtual clock reaches its ts_init; the Market keeps, per instrument token, the touch (bid,
// ask and their sizes), the last trade, the day's open/high/low from the last price, the
// previous day's close, volume and the day's average traded price.
//
// Protocol decisions (KITE_CONNECT.md §4 leaves these to the emulator):
// - last_price is the last trade, else the quote's mid rounded to the instrument's tick (half
//   up), so it is on Kite's 0.01 wire grid; an index takes its quote's mid or its bar close.
// - A quote becomes a full packet with the bid/ask in depth[0] (quantities in units, orders =
//   the quantity in lots rounded up, at least 1 when there is size); levels 1–4 are empty,
//   as a catalog holds only the touch. buy_quantity/sell_quantity are those sizes.
// - ohlc.close is the previous IST day's last price (0 on the first day replayed); open, high
//   and low are the day's from the last price. Index packets carry change = last − close in
//   paise (every client recomputes it).
// - oi fields are 0 (the catalog has no open interest).
// - Circuit limits in /quote are the NSE LPP band around the last price (options ±₹20 up to a
//   ₹50 price, ±40% above; the lower limit never below one tick), the band the emulator's
//   exchange enforces.
// Bars are replayed only for instruments without quotes in the catalog (an index stored as
// bars): a bar becomes one update at its close.
// I/O thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/zerodha/kite_codec.h"
#include "adapters/zerodha/kite_instruments.h"
#include "core/result.h"
#include "model/data.h"
#include "model/instrument.h"
#include "persistence/data_stream.h"

namespace nacre::kite_emu {

struct TokenState {
  std::uint32_t token = 0;
  const Instrument* instrument = nullptr;
  std::string key;  // "EXCHANGE:TRADINGSYMBOL", as /quote names it
  bool index = false;
  std::optional<Price> bid, ask;
  std::uint32_t bid_qty = 0, ask_qty = 0;
  std::optional<Price> last_trade;
  std::uint32_t last_qty = 0;
  UnixNanos last_trade_time;
  std::uint64_t volume = 0;
  Int128 traded_value = 0;  // Σ trade price raw × units (average price = value / volume)
  CivilDate day{0, 0, 0};
  std::optional<Price> open, high, low, last;  // the day's, from the last price
  std::optional<Price> close;                  // the previous day's last price
  UnixNanos ts;                                // the last update
  bool seen() const { return last.has_value(); }
};

class Market {
 public:
  // `rows` is the instruments dump built from `instruments` (KiteInstrumentTable): each
  // instrument gets the row's token and "EXCHANGE:TRADINGSYMBOL" key.
  Market(std::vector<Instrument> instruments, const std::vector<KiteInstrumentRow>& rows);
  // The data to replay (several streams are merged by ts_init; at equal times the earlier
  // stream first).
  void AddSource(std::unique_ptr<DataStream> stream);
  // Releases, in time order, every item whose ts_init ≤ v: updates the state, then calls
  // `sink`. A stream error stops the replay and is returned (and kept in status()).
  using Sink = std::function<void(const MarketData& item, const TokenState& state)>;
  Status PumpTo(UnixNanos v, const Sink& sink);
  // The next item's time, if any (a paused replay steps to it).
  std::optional<UnixNanos> NextTs();
  const Status& status() const { return status_; }
  std::uint64_t released() const { return released_; }

  const TokenState* ByToken(std::uint32_t token) const;
  const TokenState* ByKey(std::string_view key) const;
  const TokenState* ByInstrument(const InstrumentId& id) const;
  const std::vector<Instrument>& instruments() const { return instruments_; }

  // The tick Kite would send for `s` in `mode` (indices: their 28/32-byte layouts).
  KiteTick Tick(const TokenState& s, KiteMode mode) const;
  // /quote, /quote/ohlc and /quote/ltp values of one instrument.
  nlohmann::json QuoteJson(const TokenState& s) const;
  nlohmann::json OhlcJson(const TokenState& s) const;
  nlohmann::json LtpJson(const TokenState& s) const;

 private:
  struct Cursor {
    std::unique_ptr<DataStream> stream;
    std::vector<MarketData> buf;
    std::size_t pos = 0;
    bool done = false;
  };
  // The cursor holding the earliest next item (nullptr at the end or on error).
  Cursor* Front();
  void Apply(const MarketData& item, TokenState& s);
  void SetLast(TokenState& s, Price px, UnixNanos ts);

  std::vector<Instrument> instruments_;
  std::vector<TokenState> states_;
  std::unordered_map<std::uint32_t, std::size_t> by_token_;
  std::unordered_map<std::string, std::size_t> by_key_;
  std::unordered_map<InstrumentId, std::size_t, IdHash> by_id_;
  std::vector<Cursor> cursors_;
  Status status_ = Status::Ok();
  std::uint64_t released_ = 0;
};

}  // namespace nacre::kite_emu
