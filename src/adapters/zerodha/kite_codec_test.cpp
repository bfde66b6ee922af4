// The ticker's binary layouts: Zerodha's own golden packets (../shared/data/kite-mocks, the
// 184-byte full and 44-byte quote packets with their decoded JSON twins) decode to the twins'
// values and are re-encoded byte for byte; index packets, frames, heartbeats, currency price
// divisors and malformed input.
#include "adapters/zerodha/kite_codec.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/time.h"

#include "adapters/zerodha/kite_mocks_test_util.h"

namespace nacre {
namespace {

namespace fs = std::filesystem;
const fs::path kMocks = kite_mocks::Dir();


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
    if (v < 0) continue;  // '=', newlines
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

Price Px(const nlohmann::json& v) { return Price::FromDouble(v.get<double>(), 2); }

std::uint32_t EpochSeconds(const nlohmann::json& v) {
  auto t = ParseDateTime(v.get<std::string>(), kIstOffset);
  EXPECT_TRUE(t.ok());
  return static_cast<std::uint32_t>(t->value / kNanosPerSecond);
}

// The tick a JSON twin describes (the fields the packet carries).
KiteTick FromTwin(const nlohmann::json& j) {
  KiteTick t;
  const std::string mode = j.at("mode");
  t.mode = mode == "full" ? KiteMode::kFull : mode == "quote" ? KiteMode::kQuote : KiteMode::kLtp;
  t.instrument_token = j.at("instrument_token");
  t.tradable = j.at("tradable");
  t.last_price = Px(j.at("last_price"));
  if (t.mode == KiteMode::kLtp) return t;
  t.last_quantity = j.at("last_quantity");
  t.average_price = Px(j.at("average_price"));
  t.volume = j.at("volume");
  t.buy_quantity = j.at("buy_quantity");
  t.sell_quantity = j.at("sell_quantity");
  t.open = Px(j.at("ohlc").at("open"));
  t.high = Px(j.at("ohlc").at("high"));
  t.low = Px(j.at("ohlc").at("low"));
  t.close = Px(j.at("ohlc").at("close"));
  if (t.mode == KiteMode::kQuote) return t;
  t.last_trade_time = EpochSeconds(j.at("last_trade_time"));
  t.oi = j.at("oi");
  t.oi_day_high = j.at("oi_day_high");
  t.oi_day_low = j.at("oi_day_low");
  t.exchange_timestamp = EpochSeconds(j.at("timestamp"));
  for (std::size_t i = 0; i < 5; ++i) {
    const auto& b = j.at("depth").at("buy").at(i);
    const auto& s = j.at("depth").at("sell").at(i);
    t.buy[i] = {b.at("quantity"), Px(b.at("price")), b.at("orders")};
    t.sell[i] = {s.at("quantity"), Px(s.at("price")), s.at("orders")};
  }
  return t;
}

class KiteGolden : public ::testing::TestWithParam<const char*> {};

TEST_P(KiteGolden, DecodesToItsTwinAndReencodesByteForByte) {
  const fs::path packet_file = kMocks / (std::string(GetParam()) + ".packet");
  const fs::path twin_file = kMocks / (std::string(GetParam()) + ".json");
  if (!fs::exists(packet_file) || !fs::exists(twin_file)) {
    GTEST_SKIP() << packet_file.string() << " not present (../shared)";
  }
  const std::string packet = Base64Decode(kite_mocks::Read(packet_file));
  const KiteTick twin = FromTwin(nlohmann::json::parse(kite_mocks::Read(twin_file)));
  auto decoded = DecodeKitePacket(packet);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(*decoded, twin);
  auto encoded = EncodeKitePacket(twin);
  ASSERT_TRUE(encoded.ok()) << encoded.error();
  EXPECT_EQ(*encoded, packet) << "the encoder must reproduce Zerodha's packet exactly";
}

INSTANTIATE_TEST_SUITE_P(Mocks, KiteGolden, ::testing::Values("ticker_full", "ticker_quote"));

TEST(KiteCodec, TheGoldenFullPacketHasTheDocumentedValues) {
  const fs::path f = kMocks / "ticker_full.packet";
  if (!fs::exists(f)) GTEST_SKIP() << f.string() << " not present (../shared)";
  const std::string packet = Base64Decode(kite_mocks::Read(f));
  ASSERT_EQ(packet.size(), 184u);
  auto t = DecodeKitePacket(packet);
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ(t->instrument_token, 408065u);
  EXPECT_EQ(t->last_price, Price::Raw(157370 * (kFixedScale / 100), 2));  // 1573.70
  EXPECT_EQ(t->sell[0].quantity, 172u);
  EXPECT_EQ(t->sell[0].price, t->last_price);
  EXPECT_EQ(t->sell[0].orders, 3u);
}

KiteTick Nifty50(KiteMode mode) {
  KiteTick t;
  t.mode = mode;
  t.instrument_token = 256265;  // NIFTY 50: segment 9, an index
  t.tradable = false;
  t.last_price = Price::Raw(2'395'015 * (kFixedScale / 100), 2);  // 23950.15
  t.high = Price::Raw(2'401'000 * (kFixedScale / 100), 2);
  t.low = Price::Raw(2'388'050 * (kFixedScale / 100), 2);
  t.open = Price::Raw(2'390'000 * (kFixedScale / 100), 2);
  t.close = Price::Raw(2'389'500 * (kFixedScale / 100), 2);
  t.index_change_raw = -12;
  if (mode == KiteMode::kFull) t.exchange_timestamp = 1'767'600'000;
  return t;
}

TEST(KiteCodec, IndexPacketsAre28And32BytesWithHighLowOpenCloseOrder) {
  auto quote = EncodeKitePacket(Nifty50(KiteMode::kQuote));
  auto full = EncodeKitePacket(Nifty50(KiteMode::kFull));
  ASSERT_TRUE(quote.ok() && full.ok());
  EXPECT_EQ(quote->size(), 28u);
  EXPECT_EQ(full->size(), 32u);
  // Bytes 8-12 are the high (the index order is H, L, O, C): 2,401,000 = 0x0024A2E8.
  EXPECT_EQ(quote->substr(8, 4), std::string("\x00\x24\xA2\xE8", 4));
  auto back = DecodeKitePacket(*full);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, Nifty50(KiteMode::kFull));
  EXPECT_FALSE(back->tradable);
  EXPECT_EQ(EncodeKitePacket(Nifty50(KiteMode::kLtp))->size(), 8u);
}

TEST(KiteCodec, CurrencySegmentsUseTheirOwnDivisors) {
  KiteTick cds;
  cds.mode = KiteMode::kLtp;
  cds.instrument_token = (1234u << 8) | 3u;  // CDS: / 10,000,000
  cds.last_price = Price::Raw(83'4567125 * (kFixedScale / 10'000'000), 7);  // 83.4567125
  auto p = EncodeKitePacket(cds);
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_EQ(p->substr(4, 4), std::string("\x31\xBE\x7B\xD5", 4));  // 834,567,125 = 0x31BE7BD5
  auto back = DecodeKitePacket(*p);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->last_price, cds.last_price);
  EXPECT_EQ(back->last_price.precision(), 7);
  EXPECT_EQ(KitePricePrecision((1u << 8) | 6u), 4);  // BCD: / 10,000
  EXPECT_EQ(KitePricePrecision(408065), 2);
}

TEST(KiteCodec, FramesCarryPacketsAndAHeartbeatCarriesNone) {
  KiteTick ltp;  // an ltp packet carries the token and the last price only
  ltp.mode = KiteMode::kLtp;
  ltp.instrument_token = 256265;
  ltp.tradable = false;
  ltp.last_price = Nifty50(KiteMode::kLtp).last_price;
  KiteTick idx = Nifty50(KiteMode::kQuote);
  KiteTick opt;
  opt.mode = KiteMode::kFull;
  opt.instrument_token = (52'000u << 8) | 2u;  // an NFO option
  opt.last_price = Price::Raw(12'345 * (kFixedScale / 100), 2);
  opt.buy[0] = {75, Price::Raw(12'340 * (kFixedScale / 100), 2), 2};
  opt.sell[0] = {150, Price::Raw(12'350 * (kFixedScale / 100), 2), 1};
  auto frame = EncodeKiteFrame({ltp, idx, opt});
  ASSERT_TRUE(frame.ok()) << frame.error();
  EXPECT_EQ(frame->size(), 2u + (2 + 8) + (2 + 28) + (2 + 184));
  auto ticks = DecodeKiteFrame(*frame);
  ASSERT_TRUE(ticks.ok()) << ticks.error();
  ASSERT_EQ(ticks->size(), 3u);
  EXPECT_EQ((*ticks)[0], ltp);
  EXPECT_EQ((*ticks)[1], idx);
  EXPECT_EQ((*ticks)[2], opt);
  auto hb = DecodeKiteFrame(KiteHeartbeat());
  ASSERT_TRUE(hb.ok());
  EXPECT_TRUE(hb->empty());
  EXPECT_EQ(KiteHeartbeat().size(), 1u);
}

TEST(KiteCodec, MalformedInputIsAnErrorNamingWhere) {
  auto odd = DecodeKitePacket(std::string(30, '\0'));
  ASSERT_FALSE(odd.ok());
  EXPECT_NE(odd.error().find("30 bytes"), std::string::npos) << odd.error();
  auto frame = EncodeKiteFrame({Nifty50(KiteMode::kQuote), Nifty50(KiteMode::kQuote)});
  ASSERT_TRUE(frame.ok());
  auto cut = DecodeKiteFrame(frame->substr(0, frame->size() - 5));
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.error().find("packet 2 of 2 declares 28 bytes"), std::string::npos) << cut.error();
  KiteTick bad = Nifty50(KiteMode::kQuote);
  bad.open = Price::Raw(2'390'000'5 * (kFixedScale / 1000), 3);  // 23900.005: not in paise
  auto e = EncodeKitePacket(bad);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().find("open 23900.005"), std::string::npos) << e.error();
}

}  // namespace
}  // namespace nacre
