// Kite Connect's order, trade, position and margin objects (KITE_CONNECT.md §2), parsed from
// the REST answers (and the ticker's order messages, which carry an order in postback format)
// into exact values: quantities as integers, prices as fixed-point Prices (exact at the
// instrument's precision; average prices, which Kite computes, to 6 decimals), rupee amounts
// as Money rounded to the paisa, times as UnixNanos from IST text. Every field Kite documents
// as possibly null is optional here; a field of the wrong kind is an error naming it and the
// object (the order id, the trade id, the symbol).
#pragma once

#include <cstdint>
#include <optional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/zerodha/kite_status.h"
#include "core/result.h"
#include "core/time.h"
#include "model/money.h"

namespace nacre {

struct KiteOrder {
  std::string order_id;
  std::string exchange_order_id;  // empty while Kite has none
  std::string parent_order_id;
  KiteStatus status = KiteStatus::kPutOrderReqReceived;
  std::string status_text;     // as sent
  std::string status_message;  // empty when null
  std::string tag;             // empty when null
  std::string variety;
  std::string exchange;
  std::string tradingsymbol;
  std::uint32_t instrument_token = 0;
  std::string order_type;        // MARKET, LIMIT, SL, SL-M
  std::string transaction_type;  // BUY, SELL
  std::string validity;          // DAY, IOC, TTL
  std::string product;           // NRML, MIS, CNC
  std::int64_t quantity = 0;
  std::int64_t filled_quantity = 0;
  std::int64_t pending_quantity = 0;
  std::int64_t cancelled_quantity = 0;
  Price price;          // 0 for MARKET
  Price trigger_price;  // 0 when none
  Price average_price;  // 0 before any fill
  UnixNanos order_timestamp;            // zero when null
  UnixNanos exchange_update_timestamp;  // zero when null
  UnixNanos exchange_timestamp;         // zero when null
};

struct KiteTrade {
  std::string trade_id;
  std::string order_id;
  std::string exchange_order_id;
  std::string exchange;
  std::string tradingsymbol;
  std::uint32_t instrument_token = 0;
  std::string product;
  std::string transaction_type;
  std::int64_t quantity = 0;
  Price average_price;  // the trade's price
  UnixNanos fill_timestamp;
  UnixNanos exchange_timestamp;
};

struct KitePosition {
  std::string tradingsymbol;
  std::string exchange;
  std::uint32_t instrument_token = 0;
  std::string product;
  std::int64_t quantity = 0;  // net, signed (negative: short)
  std::int64_t overnight_quantity = 0;
  std::int64_t multiplier = 1;
  Price average_price;
  Price last_price;
  Money pnl;
  Money realised;
  Money unrealised;
  std::int64_t buy_quantity = 0;
  std::int64_t sell_quantity = 0;
};

// One segment of GET /user/margins (the equity segment carries F&O).
struct KiteMarginSegment {
  bool enabled = false;
  Money net;
  Money cash;
  Money opening_balance;
  Money live_balance;
  Money collateral;
  Money span;
  Money exposure;
  Money option_premium;
  Money m2m_realised;
  Money m2m_unrealised;
  Money debits;
};

// `precision`: the price precision of the order's instrument (2 for NSE/NFO; 4 for CDS).
Result<KiteOrder> ParseKiteOrder(const nlohmann::json& o, int precision = 2);
Result<std::vector<KiteOrder>> ParseKiteOrders(const nlohmann::json& data, int precision = 2);
Result<KiteTrade> ParseKiteTrade(const nlohmann::json& t, int precision = 2);
Result<std::vector<KiteTrade>> ParseKiteTrades(const nlohmann::json& data, int precision = 2);
// GET /portfolio/positions: the "net" list.
Result<std::vector<KitePosition>> ParseKiteNetPositions(const nlohmann::json& data);
// GET /user/margins (both segments; `segment` picks one) or /user/margins/:segment.
Result<KiteMarginSegment> ParseKiteMarginSegment(const nlohmann::json& data,
                                                 std::string_view segment = "equity");

// GET /quote (full quotes): each instrument's top of book, keyed as asked ("NFO:SYMBOL").
// `bid`/`ask` are depth buy[0]/sell[0] (price 0 with quantity 0: that side is empty, and the
// side's price stays 0); `timestamp` is the quote's. An instrument Kite left out (unknown, or
// no data yet) is absent, as in Kite's answer.
struct KiteQuoteTop {
  std::uint32_t instrument_token = 0;
  Price bid, ask;
  std::int64_t bid_quantity = 0, ask_quantity = 0;
  UnixNanos timestamp;
  bool two_sided() const { return bid.raw() > 0 && ask.raw() > 0; }
};
Result<std::map<std::string, KiteQuoteTop>> ParseKiteQuoteTops(const nlohmann::json& data,
                                                               int precision = 2);

// A signed rupee amount (integer or float) rounded to the paisa; an error names `field`.
Result<Money> KiteAmount(const nlohmann::json& v, std::string_view field);
// A whole quantity sent as an integer or as a float with no fraction ("1" or "1.0").
Result<std::int64_t> KiteQuantity(const nlohmann::json& v, std::string_view field);

}  // namespace nacre
