// The emulator's login and account routes over real sockets on 127.0.0.1, checked the way a
// Kite client sees them: the checksum exchange, single-use and short-lived request tokens,
// 403 TokenException for bad, used, expired (the next 06:00 IST) and logged-out tokens, and
// answers carrying every field of Zerodha's mocks with the same JSON types.
#include "apps/kite_emulator/emulator.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "adapters/zerodha/kite_auth.h"
#include "adapters/zerodha/kite_mocks_test_util.h"
#include "net/http_client.h"
#include "net/http_server.h"

namespace nacre::kite_emu {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
constexpr DurationNs kDeadline = 5 * kNanosPerSecond;

// Every key of `mock` is in `ours` with the same kind (recursively into objects).
void ExpectSameShape(const json& mock, const json& ours, const std::string& where) {
  for (const auto& [key, value] : mock.items()) {
    ASSERT_TRUE(ours.contains(key)) << where << "." << key << " missing";
    if (value.is_null()) continue;  // a null in the mock says nothing of the type
    EXPECT_EQ(kite_mocks::Kind(ours[key]), kite_mocks::Kind(value)) << where << "." << key;
    if (value.is_object()) ExpectSameShape(value, ours[key], where + "." + key);
  }
}

class Emulator : public ::testing::Test {
 protected:
  void SetUp() override {
    EmulatorConfig c;
    c.user.api_key = "key123";
    c.user.api_secret = "sec456";
    emu_ = std::make_unique<KiteEmulator>(c, [this] { return UnixNanos(now_.load()); });
    server_ = std::make_unique<net::HttpServer>(
        io_, [this](const net::HttpRequest& r) { return emu_->Handle(r); });
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<net::HttpClient>("127.0.0.1", server_->port());
  }
  net::HttpResponse Call(const std::string& method, const std::string& target,
                         const std::string& body = "", const std::string& access = "") {
    net::HttpRequest r;
    r.method = method;
    r.target = target;
    r.body = body;
    r.headers = {{"X-Kite-Version", "3"},
                 {"Content-Type", "application/x-www-form-urlencoded"}};
    if (!access.empty()) r.headers.emplace_back("Authorization", "token key123:" + access);
    auto resp = client_->Send(r, kDeadline);
    EXPECT_TRUE(resp.ok()) << resp.error();
    return resp.ok() ? *resp : net::HttpResponse{};
  }
  std::string RequestToken() {
    const net::HttpResponse r = Call("GET", "/connect/login?api_key=key123&v=3");
    EXPECT_EQ(r.status, 302);
    const std::string loc = r.Header("Location");
    const auto at = loc.find("request_token=");
    EXPECT_NE(at, std::string::npos) << loc;
    return loc.substr(at + 14, loc.find('&', at) - at - 14);
  }
  std::string Exchange(const std::string& rt, const std::string& checksum, int want_status) {
    const net::HttpResponse r = Call(
        "POST", "/session/token", "api_key=key123&request_token=" + rt + "&checksum=" + checksum);
    EXPECT_EQ(r.status, want_status) << r.body;
    if (r.status != 200) return r.body;
    return json::parse(r.body)["data"]["access_token"];
  }

  std::atomic<std::int64_t> now_{FromIst(2026, 1, 5, 8, 30).value};
  net::IoThread io_;
  std::unique_ptr<KiteEmulator> emu_;
  std::unique_ptr<net::HttpServer> server_;
  std::unique_ptr<net::HttpClient> client_;
};

TEST_F(Emulator, LoginExchangesAChecksummedRequestTokenOnce) {
  const std::string rt = RequestToken();
  ASSERT_EQ(rt.size(), 32u);
  const std::string access = Exchange(rt, KiteChecksum("key123", rt, "sec456"), 200);
  ASSERT_EQ(access.size(), 32u);
  // Single use: the same request token again is refused as Kite refuses it.
  const std::string again = Exchange(rt, KiteChecksum("key123", rt, "sec456"), 403);
  EXPECT_EQ(json::parse(again)["error_type"], "TokenException");
  // The session answers, with the profile's fields as Zerodha's mock has them.
  const net::HttpResponse p = Call("GET", "/user/profile", "", access);
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(p.Header("Content-Type"), "application/json");
  const json profile = json::parse(p.body);
  EXPECT_EQ(profile["status"], "success");
  if (const json mock = kite_mocks::Data("profile.json"); !mock.is_null()) {
    ExpectSameShape(mock, profile["data"], "profile");
  }
}

TEST_F(Emulator, TheSessionAnswerHasEveryFieldOfZerodhasMock) {
  const std::string rt = RequestToken();
  const net::HttpResponse r =
      Call("POST", "/session/token",
           "api_key=key123&request_token=" + rt + "&checksum=" + KiteChecksum("key123", rt, "sec456"));
  ASSERT_EQ(r.status, 200) << r.body;
  const json data = json::parse(r.body)["data"];
  EXPECT_EQ(data["login_time"], "2026-01-05 08:30:00");  // the emulator's clock, IST, no zone
  const json mock = kite_mocks::Data("generate_session.json");
  if (mock.is_null()) GTEST_SKIP() << "kite-mocks not present (../shared)";
  ExpectSameShape(mock, data, "session");
}

TEST_F(Emulator, BadChecksumsStaleRequestTokensAndForeignKeysAreRefused) {
  const std::string rt = RequestToken();
  EXPECT_EQ(json::parse(Exchange(rt, KiteChecksum("key123", rt, "wrong"), 403))["message"],
            "Invalid checksum.");
  now_ += 5 * kNanosPerMinute + 1;  // request tokens last minutes
  EXPECT_EQ(json::parse(Exchange(rt, KiteChecksum("key123", rt, "sec456"), 403))["message"],
            "Token is invalid or has expired.");
  const net::HttpResponse foreign = Call("GET", "/connect/login?api_key=other&v=3");
  EXPECT_EQ(foreign.status, 400);
  EXPECT_EQ(json::parse(foreign.body)["error_type"], "InputException");
  const net::HttpResponse missing = Call("POST", "/session/token", "api_key=key123");
  EXPECT_EQ(missing.status, 400);
}

TEST_F(Emulator, AccessTokensEndAtSixIstNextDayAndOnLogout) {
  const std::string rt = RequestToken();
  const std::string access = Exchange(rt, KiteChecksum("key123", rt, "sec456"), 200);
  EXPECT_EQ(Call("GET", "/user/margins", "", access).status, 200);
  EXPECT_EQ(Call("GET", "/user/profile").status, 403);  // no Authorization header
  EXPECT_EQ(Call("GET", "/user/profile", "", "notatoken").status, 403);
  now_ = FromIst(2026, 1, 6, 5, 59).value;
  EXPECT_EQ(Call("GET", "/user/profile", "", access).status, 200);
  now_ = FromIst(2026, 1, 6, 6, 0).value;
  const net::HttpResponse expired = Call("GET", "/user/profile", "", access);
  EXPECT_EQ(expired.status, 403);
  EXPECT_EQ(json::parse(expired.body)["error_type"], "TokenException");
  // A new login, then logout ends it at once.
  const std::string rt2 = RequestToken();
  const std::string access2 = Exchange(rt2, KiteChecksum("key123", rt2, "sec456"), 200);
  const net::HttpResponse out =
      Call("DELETE", "/session/token?api_key=key123&access_token=" + access2);
  EXPECT_EQ(out.status, 200);
  EXPECT_EQ(json::parse(out.body)["data"], true);
  EXPECT_EQ(Call("GET", "/user/profile", "", access2).status, 403);
  // A login after midnight lasts only until 06:00 that same morning.
  now_ = FromIst(2026, 1, 7, 1, 30).value;
  const std::string rt3 = RequestToken();
  const std::string access3 = Exchange(rt3, KiteChecksum("key123", rt3, "sec456"), 200);
  now_ = FromIst(2026, 1, 7, 5, 59).value;
  EXPECT_EQ(Call("GET", "/user/profile", "", access3).status, 200);
  now_ = FromIst(2026, 1, 7, 6, 0).value;
  EXPECT_EQ(Call("GET", "/user/profile", "", access3).status, 403);
}

TEST_F(Emulator, MarginsHaveEveryFieldOfZerodhasMock) {
  const std::string rt = RequestToken();
  const std::string access = Exchange(rt, KiteChecksum("key123", rt, "sec456"), 200);
  const net::HttpResponse all = Call("GET", "/user/margins", "", access);
  ASSERT_EQ(all.status, 200) << all.body;
  const json data = json::parse(all.body)["data"];
  EXPECT_EQ(data["equity"]["available"]["cash"], 400000);
  const net::HttpResponse eq = Call("GET", "/user/margins/equity", "", access);
  EXPECT_EQ(json::parse(eq.body)["data"], data["equity"]);
  EXPECT_EQ(Call("GET", "/user/margins/forex", "", access).status, 400);
  const json mock = kite_mocks::Data("margins.json");
  if (mock.is_null()) GTEST_SKIP() << "kite-mocks not present (../shared)";
  ExpectSameShape(mock, data, "margins");
}

TEST_F(Emulator, MoreThanTenRequestsASecondGet429AndAreNotProcessed) {
  const std::string rt = RequestToken();
  const std::string access = Exchange(rt, KiteChecksum("key123", rt, "sec456"), 200);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Call("GET", "/user/profile", "", access).status, 200) << i;
  const net::HttpResponse limited = Call("GET", "/user/margins", "", access);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(json::parse(limited.body)["error_type"], "NetworkException");
  now_ += 100 * kNanosPerMilli;  // a token back, on the emulator's clock
  EXPECT_EQ(Call("GET", "/user/margins", "", access).status, 200);
}

TEST(EmulatorForm, DecodesPlusesAndPercentEscapes) {
  const auto f = ParseForm("a=1&b=x%20y+z&c=&d");
  EXPECT_EQ(f.at("a"), "1");
  EXPECT_EQ(f.at("b"), "x y z");
  EXPECT_EQ(f.at("c"), "");
  EXPECT_EQ(f.at("d"), "");
}

}  // namespace
}  // namespace nacre::kite_emu
