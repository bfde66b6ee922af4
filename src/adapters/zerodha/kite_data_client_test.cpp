// The ticker client without sockets: sharding of subscriptions over connections (3,000 tokens
// each, 3 connections, the overflow reported), config validation, and the conversion of
// decoded packets to quotes and trades (Zerodha's golden full packet, a side with price 0, an
// index packet, volume-driven trades). The client against the emulator over real sockets:
// tests/live/kite_data_client_test.cpp.
#include "adapters/zerodha/kite_data_client.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "adapters/zerodha/kite_mocks_test_util.h"
#include "core/secrets.h"

namespace nacre {
namespace {

Price Px(const char* s) { return *Price::Parse(s); }

std::string Base64Decode(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  int bits = 0;
  unsigned acc = 0;
  for (char c : in) {
    const int v = val(c);
    if (v < 0) continue;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

// NIFTY 50 and `options` NIFTY options of the 6-Jan-2026 weekly (strikes 10000, 10001, ...,
// call then put), option n with exchange token n + 1 (instrument token 256 n + 258).
std::uint32_t Token(int n) { return (static_cast<std::uint32_t>(n + 1) << 8) | 2u; }

std::shared_ptr<const KiteInstrumentMap> BigMap(int options) {
  std::string text = std::string(kKiteInstrumentsHeader) +
                     "\r\n256265,1001,NIFTY 50,NIFTY 50,0.0,,0.0,0.0,0,EQ,INDICES,NSE\r\n";
  for (int n = 0; n < options; ++n) {
    const int strike = 10000 + n / 2;
    const char* kind = n % 2 == 0 ? "CE" : "PE";
    text += fmt::format("{},{},NIFTY26106{}{},NIFTY,0.0,2026-01-06,{}.0,0.05,65,{},NFO-OPT,NFO\r\n",
                        Token(n), n + 1, strike, kind, strike, kind);
  }
  auto rows = ParseKiteInstrumentsCsv(text, "big.csv");
  EXPECT_TRUE(rows.ok()) << rows.error();
  auto m = KiteInstrumentMap::Build(*rows, "big.csv", {});
  EXPECT_TRUE(m.ok()) << m.error();
  return std::make_shared<const KiteInstrumentMap>(std::move(*m));
}

ZerodhaDataConfig Config(std::shared_ptr<const KiteInstrumentMap> map) {
  ZerodhaDataConfig c;
  c.host = "127.0.0.1";
  c.port = 9;  // never connected in these tests
  c.tls = false;
  c.api_key = "k";
  c.access_token = "unit-test-token-1";
  c.instruments = std::move(map);
  return c;
}

DataSubscription Sub(const Instrument& i, DataKind kind = DataKind::kQuotes, bool on = true) {
  DataSubscription s;
  s.kind = kind;
  s.instrument_id = i.id;
  s.subscribe = on;
  return s;
}

TEST(ZerodhaDataClient, ShardsThreeThousandTokensPerConnectionOverThreeAndReportsTheRest) {
  auto map = BigMap(9002);  // 9,003 instruments with the index
  TestClock clock;
  Inbox inbox;
  net::IoThread io;
  ZerodhaDataClient client(Config(map), clock, inbox, io);
  for (const Instrument& i : map->instruments()) client.Subscribe(Sub(i));
  // Trades of a subscribed instrument share its token: nothing more to place.
  client.Subscribe(Sub(map->instruments()[5], DataKind::kTrades));
  auto shards = client.Shards();
  ASSERT_EQ(shards.size(), 3u);
  for (const auto& s : shards) EXPECT_EQ(s.size(), 3000u);
  EXPECT_EQ(shards[0].front(), Token(0));  // the index (subscribed first) and options 0-2998
  EXPECT_EQ(shards[0].back(), Token(2998));
  EXPECT_EQ(shards[1].front(), Token(2999));
  EXPECT_EQ(shards[2].back(), Token(8998));
  EXPECT_EQ(std::count(shards[0].begin(), shards[0].end(), 256265u), 1);
  ZerodhaDataStats st = client.stats();
  EXPECT_EQ(st.unfitted, 3u);
  const std::vector<std::string> notices = client.TakeNotices();
  ASSERT_EQ(notices.size(), 3u);
  EXPECT_EQ(notices.back(),
            "ZERODHA: NIFTY2610614500PE.NFO not subscribed: the ticker's 3 connections × 3000 "
            "tokens are full (3 instrument(s) did not fit so far)");
  EXPECT_FALSE(client.is_connected());  // never connected

  // An unsubscribe frees room: the next subscription takes it; quotes and trades are released
  // one by one (the token goes when neither is wanted).
  const Instrument& five = map->instruments()[5];
  client.Unsubscribe(Sub(five, DataKind::kQuotes, false));
  EXPECT_EQ(client.Shards()[0].size(), 3000u);  // trades still wanted
  client.Unsubscribe(Sub(five, DataKind::kTrades, false));
  EXPECT_EQ(client.Shards()[0].size(), 2999u);
  client.Subscribe(Sub(map->instruments().back()));
  EXPECT_EQ(client.Shards()[0].size(), 3000u);
  EXPECT_EQ(client.stats().unfitted, 3u);
}

TEST(ZerodhaDataClient, SmallLimitsShardTheSameWay) {
  auto map = BigMap(10);
  TestClock clock;
  Inbox inbox;
  net::IoThread io;
  ZerodhaDataConfig c = Config(map);
  c.max_tokens_per_connection = 4;
  c.max_connections = 2;
  ZerodhaDataClient client(c, clock, inbox, io);
  for (const Instrument& i : map->instruments()) client.Subscribe(Sub(i));
  auto shards = client.Shards();
  ASSERT_EQ(shards.size(), 2u);
  EXPECT_EQ(shards[0], (std::vector<std::uint32_t>{Token(0), Token(1), Token(2), 256265}));
  EXPECT_EQ(shards[1], (std::vector<std::uint32_t>{Token(3), Token(4), Token(5), Token(6)}));
  EXPECT_EQ(client.stats().unfitted, 3u);
  // Unknown instruments and bar subscriptions are reported, not silently dropped.
  DataSubscription unknown;
  unknown.instrument_id = MustInstrumentId("NOSUCH.NFO");
  client.Subscribe(unknown);
  DataSubscription bars;
  bars.kind = DataKind::kBars;
  bars.bar_type = *BarType::Parse("NIFTY 50.NSE-1-MINUTE-LAST-EXTERNAL");
  client.Subscribe(bars);
  const auto notices = client.TakeNotices();
  ASSERT_EQ(notices.size(), 5u);
  EXPECT_EQ(notices[3], "ZERODHA: NOSUCH.NFO is not in the Kite instrument map: not subscribed");
  EXPECT_NE(notices[4].find("NIFTY 50.NSE-1-MINUTE-LAST-EXTERNAL not streamed"), std::string::npos);
}

TEST(ZerodhaDataClient, ConfigIsValidatedAndTheTokenIsASecret) {
  auto map = BigMap(2);
  ZerodhaDataConfig c = Config(map);
  EXPECT_TRUE(ZerodhaDataClient::Validate(c).ok());
  c.tls = true;  // wss://, the system's CAs
  EXPECT_TRUE(ZerodhaDataClient::Validate(c).ok());
  c.ca_file = "/nonexistent/kite-ca.pem";
  EXPECT_EQ(ZerodhaDataClient::Validate(c).error(),
            "ticker: ca_file /nonexistent/kite-ca.pem is not a file");
  c.tls = false;  // plain ws:// never reads it
  EXPECT_TRUE(ZerodhaDataClient::Validate(c).ok());
  c = Config(map);
  c.instruments = nullptr;
  EXPECT_EQ(ZerodhaDataClient::Validate(c).error(), "ticker: no instrument map");
  c = Config(map);
  c.access_token.clear();
  EXPECT_EQ(ZerodhaDataClient::Validate(c).error(), "ticker: access_token is empty");

  ClearSecretsForTest();
  TestClock clock;
  Inbox inbox;
  net::IoThread io;
  c = Config(map);
  c.tls = true;
  c.ca_file = "/nonexistent/kite-ca.pem";
  ZerodhaDataClient client(c, clock, inbox, io);
  EXPECT_TRUE(ContainsSecret("unit-test-token-1"));
  client.Connect();  // refused: the CA file is missing
  const auto notices = client.TakeNotices();
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0],
            "ZERODHA: not connected: ticker: ca_file /nonexistent/kite-ca.pem is not a file");
  EXPECT_FALSE(client.is_connected());
  ClearSecretsForTest();
}

TEST(KiteTickConverter, ZerodhasFullPacketGivesTheTouchAsAQuote) {
  const auto f = kite_mocks::Dir() / "ticker_full.packet";
  if (!std::filesystem::exists(f)) GTEST_SKIP() << f.string() << " not present (../shared)";
  auto t = DecodeKitePacket(Base64Decode(kite_mocks::Read(f)));
  ASSERT_TRUE(t.ok()) << t.error();
  const InstrumentId id = MustInstrumentId("INFY.NSE");
  const UnixNanos init(42);
  KiteTickConverter conv;
  KiteTickConverter::Output o = conv.Convert(*t, id, init);
  ASSERT_TRUE(o.quote);
  EXPECT_EQ(o.quote->instrument_id, id);
  EXPECT_EQ(o.quote->bid_price, Px("1573.4"));
  EXPECT_EQ(o.quote->ask_price, Px("1573.7"));
  EXPECT_EQ(o.quote->bid_size, Quantity::FromInt(5));
  EXPECT_EQ(o.quote->ask_size, Quantity::FromInt(172));
  // exchange_timestamp 2021-07-05 10:41:27 IST.
  EXPECT_EQ(o.quote->ts_event, FromIst(2021, 7, 5, 10, 41, 27));
  EXPECT_EQ(o.quote->ts_init, init);
  EXPECT_FALSE(o.trade);  // the first packet is the baseline
  EXPECT_FALSE(o.one_sided);

  // The volume grows by a trade of 7 at 1573.75: one TradeTick with a deterministic id.
  KiteTick next = *t;
  next.volume += 7;
  next.last_quantity = 7;
  next.last_price = Px("1573.75");
  next.last_trade_time += 2;
  o = conv.Convert(next, id, init);
  ASSERT_TRUE(o.trade);
  EXPECT_EQ(o.trade->price, Px("1573.75"));
  EXPECT_EQ(o.trade->size, Quantity::FromInt(7));
  EXPECT_EQ(o.trade->aggressor_side, OrderSide::kNoSide);
  EXPECT_EQ(o.trade->trade_id.value(), "408065-1192478");
  EXPECT_EQ(o.trade->ts_event, FromIst(2021, 7, 5, 10, 41, 29));
  // The same packet again (a duplicate): no new trade.
  o = conv.Convert(next, id, init);
  EXPECT_FALSE(o.trade);

  // No offers: the sell side's price is 0, so no quote (counted by the client).
  KiteTick no_ask = next;
  no_ask.sell[0] = KiteDepthLevel{};
  o = conv.Convert(no_ask, id, init);
  EXPECT_FALSE(o.quote);
  EXPECT_TRUE(o.one_sided);
  KiteTick no_bid = next;
  no_bid.buy[0].price = Price::Raw(0, 2);
  EXPECT_FALSE(KiteTickConverter::ToQuote(no_bid, id, init));

  // A quote-mode packet has no depth: trades only.
  KiteTick quote_mode = next;
  quote_mode.mode = KiteMode::kQuote;
  EXPECT_FALSE(KiteTickConverter::ToQuote(quote_mode, id, init));
}

TEST(KiteTickConverter, AnIndexPacketIsAQuoteAtItsLevel) {
  KiteTick idx;
  idx.mode = KiteMode::kFull;
  idx.instrument_token = 256265;
  idx.tradable = false;
  idx.last_price = Px("24001.25");
  idx.close = Px("23950.10");
  idx.exchange_timestamp =
      static_cast<std::uint32_t>(FromIst(2025, 12, 30, 10, 0).value / kNanosPerSecond);
  auto encoded = EncodeKitePacket(idx);
  ASSERT_TRUE(encoded.ok()) << encoded.error();
  ASSERT_EQ(encoded->size(), 32u);
  auto t = DecodeKitePacket(*encoded);
  ASSERT_TRUE(t.ok());
  const InstrumentId id = MustInstrumentId("NIFTY 50.NSE");
  KiteTickConverter conv;
  const KiteTickConverter::Output o = conv.Convert(*t, id, UnixNanos(7));
  ASSERT_TRUE(o.quote);
  EXPECT_EQ(o.quote->bid_price, Px("24001.25"));
  EXPECT_EQ(o.quote->ask_price, Px("24001.25"));
  EXPECT_EQ(o.quote->bid_size, Quantity::FromInt(0));
  EXPECT_EQ(o.quote->ask_size, Quantity::FromInt(0));
  EXPECT_EQ(o.quote->ts_event, FromIst(2025, 12, 30, 10, 0));
  EXPECT_FALSE(o.trade);
  // The 28-byte index quote has no timestamp: ts_event is ts_init.
  idx.mode = KiteMode::kQuote;
  auto q = DecodeKitePacket(*EncodeKitePacket(idx));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(KiteTickConverter::ToQuote(*q, id, UnixNanos(7))->ts_event, UnixNanos(7));
}

}  // namespace
}  // namespace nacre
