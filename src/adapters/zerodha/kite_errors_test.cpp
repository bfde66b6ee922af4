#include "adapters/zerodha/kite_errors.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "adapters/zerodha/kite_auth.h"

namespace nacre {
namespace {

TEST(KiteAuth, ChecksumIsSha256OfKeyTokenAndSecret) {
  // FIPS 180-2's test vector: SHA-256("abc").
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(KiteChecksum("a", "b", "c"), Sha256Hex("abc"));
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(KiteEnvelope, SuccessGivesTheData) {
  auto r = ParseKiteEnvelope(200, "application/json",
                             R"({"status":"success","data":{"order_id":"1914227164488687616"}})");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->data["order_id"], "1914227164488687616");  // 19 digits, kept as a string
}

TEST(KiteEnvelope, RefusalsAreDefinitiveAndClassified) {
  struct Case {
    int status;
    const char* type;
    ErrorCode code;
  };
  for (const Case& c : {Case{403, "TokenException", ErrorCode::kToken},
                        Case{400, "MarginException", ErrorCode::kMargin},
                        Case{400, "InputException", ErrorCode::kInvalidInput},
                        Case{400, "OrderException", ErrorCode::kRejected},
                        Case{429, "NetworkException", ErrorCode::kRateLimited}}) {
    KiteError e;
    auto r = ParseKiteEnvelope(c.status, "application/json", KiteErrorBody(c.type, "why"), &e);
    ASSERT_FALSE(r.ok()) << c.type;
    EXPECT_EQ(r.code(), c.code) << c.type;
    EXPECT_TRUE(e.definitive) << c.type;
    EXPECT_EQ(e.error_type, c.type);
    EXPECT_EQ(r.error(), fmt::format("kite: HTTP {} {}: why", c.status, c.type));
    EXPECT_EQ(KiteErrorStatus(c.type), c.status) << "the emulator answers with Kite's status";
  }
}

TEST(KiteEnvelope, ServerErrorsAndForeignBodiesAreAmbiguous) {
  KiteError e;
  auto gw = ParseKiteEnvelope(502, "text/html", "<html>Bad Gateway</html>", &e);
  ASSERT_FALSE(gw.ok());
  EXPECT_EQ(gw.code(), ErrorCode::kAmbiguous);
  EXPECT_FALSE(e.definitive);
  EXPECT_NE(gw.error().find("may have taken effect"), std::string::npos) << gw.error();
  EXPECT_NE(gw.error().find("Bad Gateway"), std::string::npos) << gw.error();
  auto oms = ParseKiteEnvelope(500, "application/json",
                               KiteErrorBody("GeneralException", "OMS error"), &e);
  EXPECT_EQ(oms.code(), ErrorCode::kAmbiguous);
  // A plain-text 429 (what a proxy may send) is still the rate limit.
  auto rate = ParseKiteEnvelope(429, "text/plain", "Too Many Requests", &e);
  EXPECT_EQ(rate.code(), ErrorCode::kRateLimited);
  // A 200 with an error envelope, or a cut body, is not a success.
  auto odd = ParseKiteEnvelope(200, "application/json", KiteErrorBody("InputException", "x"));
  EXPECT_FALSE(odd.ok());
  auto cut = ParseKiteEnvelope(200, "application/json", R"({"status":"succ)");
  EXPECT_EQ(cut.code(), ErrorCode::kAmbiguous);
}

}  // namespace
}  // namespace nacre
