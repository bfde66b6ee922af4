// The Kite login's pieces: the [kite] config (secrets never inline), the token file (0600,
// atomic, refused when others may read it, malformed or expired), the 06:00 IST expiry rule,
// the watcher a halted node polls, and the exchange's errors (against a local server).
#include "adapters/zerodha/kite_session.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include "adapters/zerodha/kite_auth.h"
#include "adapters/zerodha/kite_errors.h"
#include "core/secrets.h"
#include "net/http_server.h"
#include "net/io_thread.h"

namespace nacre {
namespace {

namespace fs = std::filesystem;

class KiteSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("nacre_kite_session_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ClearSecretsForTest();
  }
  void TearDown() override {
    fs::remove_all(dir_);
    ClearSecretsForTest();
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::string Write(const std::string& name, const std::string& text, mode_t mode) const {
    const std::string p = Path(name);
    std::ofstream(p) << text;
    ::chmod(p.c_str(), mode);
    return p;
  }
  static KiteSessionFile Session(UnixNanos login, const std::string& token = "access-token-1") {
    return KiteSessionFile{"key1", "AB1234", token, "pub-1", login, KiteSessionExpiry(login)};
  }
  // Loads a [kite] table from TOML text (the config file named kite.toml in the test folder).
  KiteCredentials Load(const std::string& text) const {
    const std::string file = Path("kite.toml");
    auto root = ConfigTable::ParseString(text, file);
    const ConfigTable top(*root, file, "");
    return LoadKiteCredentials(top.GetTable("kite"), dir_.string());
  }
  fs::path dir_;
};

TEST(KiteSessionExpiry, TheNextSixOClockIstAfterLogin) {
  // A morning login lasts until 06:00 IST the next day.
  EXPECT_EQ(KiteSessionExpiry(FromIst(2026, 12, 4, 9, 0)), FromIst(2026, 12, 5, 6, 0));
  EXPECT_EQ(KiteSessionExpiry(FromIst(2026, 12, 4, 23, 59)), FromIst(2026, 12, 5, 6, 0));
  // After midnight and before 06:00, the session ends that same morning.
  EXPECT_EQ(KiteSessionExpiry(FromIst(2026, 12, 5, 1, 30)), FromIst(2026, 12, 5, 6, 0));
  // Strictly after: a login at 06:00 sharp lasts a day; a second later, too.
  EXPECT_EQ(KiteSessionExpiry(FromIst(2026, 12, 5, 6, 0)), FromIst(2026, 12, 6, 6, 0));
  EXPECT_EQ(KiteSessionExpiry(FromIst(2026, 12, 5, 5, 59, 59)), FromIst(2026, 12, 5, 6, 0));
  // Across a month and a year end.
  EXPECT_EQ(KiteSessionExpiry(FromIst(2026, 12, 31, 18, 0)), FromIst(2027, 1, 1, 6, 0));
}

TEST_F(KiteSessionTest, RoundTripAndCreatedPrivate) {
  // Even with a permissive umask the file is created 0600 (never chmod-ed afterwards).
  const mode_t old = ::umask(0);
  const std::string p = Path("state/kite_session.json");
  const KiteSessionFile s = Session(FromIst(2026, 12, 4, 9, 0, 7));
  ASSERT_TRUE(WriteKiteSessionFile(p, s).ok());
  ::umask(old);
  auto mode = FileMode(p);
  ASSERT_TRUE(mode.ok()) << mode.error();
  EXPECT_EQ(*mode, 0600u);
  auto back = ReadKiteSessionFile(p, FromIst(2026, 12, 4, 10, 0), "key1");
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back->api_key, "key1");
  EXPECT_EQ(back->user_id, "AB1234");
  EXPECT_EQ(back->access_token, "access-token-1");
  EXPECT_EQ(back->public_token, "pub-1");
  EXPECT_EQ(back->login_time, s.login_time);
  EXPECT_EQ(back->expires_at, FromIst(2026, 12, 5, 6, 0));
  // Reading registers the access token: it never reaches a log line.
  EXPECT_EQ(Redact("token access-token-1"), "token ***");
  // No temp file is left beside it; a rewrite replaces it whole.
  ASSERT_TRUE(WriteKiteSessionFile(p, Session(FromIst(2026, 12, 4, 9, 30), "access-token-2")).ok());
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "state"), fs::directory_iterator{}), 1);
  EXPECT_EQ(ReadKiteSessionFile(p, FromIst(2026, 12, 4, 10, 0))->access_token, "access-token-2");
}

TEST_F(KiteSessionTest, RefusesAFileOthersMayRead) {
  const std::string p = Path("kite_session.json");
  ASSERT_TRUE(WriteKiteSessionFile(p, Session(FromIst(2026, 12, 4, 9, 0))).ok());
  for (const mode_t mode : {0644, 0640, 0604, 0620}) {
    ::chmod(p.c_str(), mode);
    auto r = ReadKiteSessionFile(p, FromIst(2026, 12, 4, 10, 0));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.code(), ErrorCode::kFailedPrecondition);
    EXPECT_NE(r.error().find(p), std::string::npos) << r.error();
    EXPECT_NE(r.error().find(fmt::format("{:04o}", mode)), std::string::npos) << r.error();
    EXPECT_NE(r.error().find("chmod 600 " + p), std::string::npos) << r.error();
    EXPECT_EQ(r.error().find("access-token-1"), std::string::npos) << r.error();
  }
  ::chmod(p.c_str(), 0400);
  EXPECT_TRUE(ReadKiteSessionFile(p, FromIst(2026, 12, 4, 10, 0)).ok());
}

TEST_F(KiteSessionTest, RefusesMissingMalformedAndExpired) {
  auto missing = ReadKiteSessionFile(Path("none.json"), FromIst(2026, 12, 4, 10, 0));
  EXPECT_EQ(missing.code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.error().find("nacre kite login"), std::string::npos) << missing.error();

  const std::string good = KiteSessionJson(Session(FromIst(2026, 12, 4, 9, 0)));
  for (const char* field : {"api_key", "user_id", "access_token", "login_time", "expires_at"}) {
    auto j = nlohmann::json::parse(good);
    j.erase(field);
    const std::string p = Write(std::string(field) + ".json", j.dump(), 0600);
    auto r = ReadKiteSessionFile(p, FromIst(2026, 12, 4, 10, 0));
    ASSERT_FALSE(r.ok()) << field;
    EXPECT_EQ(r.code(), ErrorCode::kInvalidInput);
    EXPECT_NE(r.error().find(p), std::string::npos) << r.error();
    EXPECT_NE(r.error().find(std::string("`") + field + "`"), std::string::npos) << r.error();
  }
  auto bad_time = nlohmann::json::parse(good);
  bad_time["expires_at"] = "tomorrow";
  EXPECT_NE(ReadKiteSessionFile(Write("t.json", bad_time.dump(), 0600), FromIst(2026, 12, 4, 10, 0))
                .error()
                .find("`expires_at`"),
            std::string::npos);
  EXPECT_FALSE(
      ReadKiteSessionFile(Write("x.json", "not json", 0600), FromIst(2026, 12, 4, 10, 0)).ok());

  // Expired: at 06:00 IST the next morning the session is over; the error says when and what
  // to do.
  const std::string p = Path("s.json");
  ASSERT_TRUE(WriteKiteSessionFile(p, Session(FromIst(2026, 12, 4, 9, 0))).ok());
  EXPECT_TRUE(ReadKiteSessionFile(p, FromIst(2026, 12, 5, 5, 59, 59)).ok());
  auto expired = ReadKiteSessionFile(p, FromIst(2026, 12, 5, 6, 0));
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.code(), ErrorCode::kToken);
  EXPECT_NE(expired.error().find("expired at 2026-12-05 06:00:00 IST"), std::string::npos)
      << expired.error();
  EXPECT_NE(expired.error().find("nacre kite login"), std::string::npos) << expired.error();
  // Another app's session is refused too.
  auto other = ReadKiteSessionFile(p, FromIst(2026, 12, 4, 10, 0), "key2");
  EXPECT_EQ(other.code(), ErrorCode::kToken);
}

TEST_F(KiteSessionTest, CredentialsDefaultsAndPaths) {
  const KiteCredentials c = Load("[kite]\napi_key = \"key1\"\n");
  EXPECT_EQ(c.api_key, "key1");
  EXPECT_EQ(c.api_secret_env, "NACRE_KITE_API_SECRET");
  EXPECT_EQ(c.base_url.Text(), "https://api.kite.trade");
  EXPECT_EQ(c.base_url.port, 443);
  EXPECT_TRUE(c.base_url.tls());
  EXPECT_EQ(c.login_url.host, "kite.zerodha.com");
  EXPECT_EQ(c.login_url.path, "/connect/login");
  EXPECT_EQ(c.ticker_url.scheme, "wss");
  EXPECT_EQ(c.token_file, (dir_ / "state/kite_session.json").string());
  EXPECT_EQ(c.redirect_port, 5010);
  EXPECT_EQ(KiteLoginUrl(c), "https://kite.zerodha.com/connect/login?api_key=key1&v=3");

  const KiteCredentials e = Load(
      "[kite]\napi_key = \"k2\"\nbase_url = \"http://127.0.0.1:8123/\"\n"
      "login_url = \"http://127.0.0.1:8123/connect/login\"\nticker_url = \"ws://127.0.0.1:8124\"\n"
      "token_file = \"/tmp/x/s.json\"\nredirect_port = 6001\n");
  EXPECT_EQ(e.base_url.host, "127.0.0.1");
  EXPECT_EQ(e.base_url.port, 8123);
  EXPECT_EQ(e.base_url.path, "");
  EXPECT_FALSE(e.base_url.tls());
  EXPECT_EQ(e.ticker_url.port, 8124);
  EXPECT_EQ(e.token_file, "/tmp/x/s.json");
  EXPECT_EQ(e.redirect_port, 6001);
}

TEST_F(KiteSessionTest, CredentialsRefuseAnInlineSecretAndBadUrls) {
  try {
    Load("[kite]\napi_key = \"key1\"\napi_secret = \"sekrit-value\"\n");
    FAIL() << "an inline secret was accepted";
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("kite.api_secret"), std::string::npos) << m;
    EXPECT_NE(m.find("api_secret_env"), std::string::npos) << m;
    EXPECT_NE(m.find("api_secret_file"), std::string::npos) << m;
    EXPECT_EQ(m.find("sekrit-value"), std::string::npos) << m;
  }
  const std::pair<std::string, std::string> bad[] = {
      {"base_url = \"ftp://h\"", "kite.base_url"},
      {"base_url = \"api.kite.trade\"", "no scheme"},
      {"ticker_url = \"https://ws.kite.trade\"", "kite.ticker_url"},
      {"login_url = \"http://h:99999/x\"", "port"},
      {"redirect_port = 0", "kite.redirect_port"},
      {"api_secret_env = \"A\"\napi_secret_file = \"f\"", "not both"},
      {"secret = \"x\"", "kite.secret"},
  };
  for (const auto& [line, want] : bad) {
    try {
      Load("[kite]\napi_key = \"key1\"\n" + line + "\n");
      ADD_FAILURE() << line << " was accepted";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << line << ": " << e.what();
    }
  }
}

TEST_F(KiteSessionTest, SecretFromTheEnvironmentOrAPrivateFile) {
  const KiteCredentials c =
      Load("[kite]\napi_key = \"key1\"\napi_secret_env = \"MY_KITE_SECRET\"\n");
  std::map<std::string, std::string> env;
  auto lookup = [&](const std::string& n) -> std::optional<std::string> {
    auto it = env.find(n);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  auto missing = KiteApiSecret(c, lookup);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("MY_KITE_SECRET is not set"), std::string::npos)
      << missing.error();
  env["MY_KITE_SECRET"] = "the-secret-1\n";
  auto s = KiteApiSecret(c, lookup);
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(*s, "the-secret-1");
  EXPECT_EQ(Redact("x the-secret-1 y"), "x *** y");

  const std::string f = Write("secret.txt", "the-secret-2\n", 0600);
  const KiteCredentials fc = Load("[kite]\napi_key = \"key1\"\napi_secret_file = \"secret.txt\"\n");
  EXPECT_EQ(fc.api_secret_file, f);
  auto fs2 = KiteApiSecret(fc, lookup);
  ASSERT_TRUE(fs2.ok()) << fs2.error();
  EXPECT_EQ(*fs2, "the-secret-2");
  ::chmod(f.c_str(), 0644);
  auto loose = KiteApiSecret(fc, lookup);
  ASSERT_FALSE(loose.ok());
  EXPECT_NE(loose.error().find("0644"), std::string::npos) << loose.error();
  EXPECT_NE(loose.error().find("chmod 600 " + f), std::string::npos) << loose.error();
  EXPECT_EQ(loose.error().find("the-secret-2"), std::string::npos) << loose.error();
}

TEST_F(KiteSessionTest, WatcherReturnsOnlyANewValidSession) {
  const std::string p = Path("kite_session.json");
  const UnixNanos now = FromIst(2026, 12, 4, 11, 0);
  KiteSessionWatcher w(p, "key1", "access-token-1");
  EXPECT_FALSE(w.Poll(now).has_value());
  EXPECT_NE(w.waiting_for().find("no session file"), std::string::npos) << w.waiting_for();
  // The refused session is still the one in the file.
  ASSERT_TRUE(WriteKiteSessionFile(p, Session(FromIst(2026, 12, 4, 9, 0))).ok());
  EXPECT_FALSE(w.Poll(now).has_value());
  EXPECT_NE(w.waiting_for().find("still the session Kite refused"), std::string::npos);
  // An expired new session is not taken either.
  ASSERT_TRUE(WriteKiteSessionFile(p, Session(FromIst(2026, 12, 3, 9, 0), "access-token-0")).ok());
  EXPECT_FALSE(w.Poll(now).has_value());
  EXPECT_NE(w.waiting_for().find("expired"), std::string::npos) << w.waiting_for();
  // A new login: taken once.
  ASSERT_TRUE(
      WriteKiteSessionFile(p, Session(FromIst(2026, 12, 4, 10, 59), "access-token-2")).ok());
  auto got = w.Poll(now);
  ASSERT_TRUE(got.has_value()) << w.waiting_for();
  EXPECT_EQ(got->access_token, "access-token-2");
  EXPECT_TRUE(w.waiting_for().empty());
  EXPECT_FALSE(w.Poll(now).has_value());
  // A new file others may read is refused until it is made private (chmod changes ctime).
  ASSERT_TRUE(
      WriteKiteSessionFile(p, Session(FromIst(2026, 12, 4, 10, 59), "access-token-3")).ok());
  ::chmod(p.c_str(), 0644);
  EXPECT_FALSE(w.Poll(now).has_value());
  EXPECT_NE(w.waiting_for().find("chmod 600"), std::string::npos) << w.waiting_for();
  ::chmod(p.c_str(), 0600);
  auto fixed = w.Poll(now);
  ASSERT_TRUE(fixed.has_value()) << w.waiting_for();
  EXPECT_EQ(fixed->access_token, "access-token-3");
}

TEST(KiteUrl, ParsesAndEncodes) {
  auto u = ParseKiteUrl("HTTPS://kite.zerodha.com/connect/login?x=1", {"http", "https"});
  ASSERT_TRUE(u.ok()) << u.error();
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->path, "/connect/login?x=1");
  EXPECT_EQ(u->Text(), "https://kite.zerodha.com/connect/login?x=1");
  EXPECT_EQ(ParseKiteUrl("ws://h:81", {"ws", "wss"})->Text(), "ws://h:81");
  EXPECT_FALSE(ParseKiteUrl("http://:80", {"http"}).ok());
  EXPECT_FALSE(ParseKiteUrl("http://h:x", {"http"}).ok());
  EXPECT_FALSE(ParseKiteUrl("http://u@h", {"http"}).ok());
  EXPECT_EQ(FormEncode({{"a b", "x&y=z"}, {"c", "~._-"}}), "a%20b=x%26y%3Dz&c=~._-");
  const auto f = ParseFormFields("request_token=abc%2B1&action=login&status=success&e=");
  EXPECT_EQ(f.at("request_token"), "abc+1");
  EXPECT_EQ(f.at("status"), "success");
  EXPECT_EQ(f.at("e"), "");
  EXPECT_EQ(PercentDecode("a+b%2"), "a b%2");
}

// The exchange against a local server answering as Kite does.
class KiteExchangeTest : public KiteSessionTest {
 protected:
  void Serve(int status, std::string body) {
    server_ =
        std::make_unique<net::HttpServer>(io_, [this, status, body](const net::HttpRequest& r) {
          {
            std::lock_guard lock(mu_);
            last_ = r;
          }
          net::HttpResponse resp;
          resp.status = status;
          resp.headers = {{"Content-Type", "application/json"}};
          resp.body = body;
          return resp;
        });
    ASSERT_TRUE(server_->Start().ok());
    creds_ = Load("[kite]\napi_key = \"key1\"\nbase_url = \"http://127.0.0.1:" +
                  std::to_string(server_->port()) + "/api\"\n");
  }
  void TearDown() override {
    if (server_) server_->Stop();
    io_.Stop();
    KiteSessionTest::TearDown();
  }
  net::IoThread io_;
  std::unique_ptr<net::HttpServer> server_;
  std::mutex mu_;
  net::HttpRequest last_;
  KiteCredentials creds_;
};

TEST_F(KiteExchangeTest, SendsTheChecksumAndReadsTheSession) {
  Serve(200, KiteSuccessBody({{"user_id", "AB1234"},
                              {"access_token", "acc-token-77"},
                              {"public_token", "pub-77"},
                              {"login_time", "2026-12-05 01:30:00"}}));
  auto s = ExchangeRequestToken(creds_, "secret-42", "req-token-9", 5 * kNanosPerSecond);
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(s->api_key, "key1");
  EXPECT_EQ(s->user_id, "AB1234");
  EXPECT_EQ(s->access_token, "acc-token-77");
  EXPECT_EQ(s->login_time, FromIst(2026, 12, 5, 1, 30));
  EXPECT_EQ(s->expires_at, FromIst(2026, 12, 5, 6, 0));
  std::lock_guard lock(mu_);
  EXPECT_EQ(last_.method, "POST");
  EXPECT_EQ(last_.target, "/api/session/token");
  EXPECT_EQ(last_.Header("X-Kite-Version"), "3");
  EXPECT_EQ(last_.Header("Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(last_.body, "api_key=key1&request_token=req-token-9&checksum=" +
                            KiteChecksum("key1", "req-token-9", "secret-42"));
  // Both tokens are secrets from now on.
  EXPECT_EQ(Redact("req-token-9 acc-token-77"), "*** ***");
}

TEST_F(KiteExchangeTest, ARefusedRequestTokenSaysLogInAgain) {
  Serve(403, KiteErrorBody("TokenException", "Token is invalid or has expired."));
  auto s = ExchangeRequestToken(creds_, "secret-42", "req-token-9", 5 * kNanosPerSecond);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kToken);
  EXPECT_NE(s.error().find("the request token was refused (it is single-use and lasts minutes): "
                           "log in again"),
            std::string::npos)
      << s.error();
  EXPECT_EQ(s.error().find("req-token-9"), std::string::npos) << s.error();
}

TEST_F(KiteExchangeTest, AServerErrorEchoingSecretsIsRedacted) {
  // A server (or a proxy) that echoes the request in its error must not leak it.
  Serve(503, KiteErrorBody("NetworkException",
                           "upstream failed for request_token=req-token-9 secret-42"));
  auto s = ExchangeRequestToken(creds_, "secret-42", "req-token-9", 5 * kNanosPerSecond);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("503"), std::string::npos) << s.error();
  EXPECT_EQ(s.error().find("req-token-9"), std::string::npos) << s.error();
  EXPECT_EQ(s.error().find("secret-42"), std::string::npos) << s.error();
}

}  // namespace
}  // namespace nacre
