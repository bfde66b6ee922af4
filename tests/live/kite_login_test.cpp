// `nacre kite login | session | logout` against the Kite emulator (in this process, over
// 127.0.0.1): the browser's login is played here (GET the emulator's /connect/login, follow its
// 302 to the CLI's one-shot listener), then the token file must be 0600 and its session must
// work at the emulator, and neither the API secret nor a token may appear in what the CLI
// prints (nor the secret and the request token in the file). Also: a reused request token, a
// token pasted on stdin, an expired file, logout, and a failing exchange that must not leak.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "../integration/tmp_files.h"
#include "adapters/zerodha/kite_session.h"
#include "adapters/zerodha/kite_url.h"
#include "apps/kite_emulator/runtime.h"
#include "net/http_client.h"

namespace nacre {
namespace {

namespace fs = std::filesystem;
constexpr DurationNs kDeadline = 10 * kNanosPerSecond;
constexpr const char* kKey = "login_test_key";
constexpr const char* kSecret = "login-test-secret-5f2a9c";
constexpr const char* kSecretEnv = "NACRE_KITE_LOGIN_TEST_SECRET";

// A port free right now on 127.0.0.1 (for the CLI's listener; the emulator redirects there).
std::uint16_t FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr
};

// A running `nacre` (stdout and stderr merged) whose output is read as it comes.
class Cli {
 public:
  explicit Cli(const std::string& args, const std::string& stdin_text = "") {
    std::string cmd = "'" + std::string(NACRE_CLI_PATH) + "' " + args + " 2>&1";
    if (!stdin_text.empty())
      cmd = "printf '%s\\n' '" + stdin_text + "' | " + cmd;
    else
      cmd += " </dev/null";
    pipe_ = ::popen(cmd.c_str(), "r");
  }
  ~Cli() {
    if (pipe_ != nullptr) ::pclose(pipe_);
  }
  // Reads until a line containing `text` (true) or the end of the output (false).
  bool ReadUntil(const std::string& text) {
    std::array<char, 4096> line{};
    while (std::fgets(line.data(), line.size(), pipe_) != nullptr) {
      out_ += line.data();
      if (std::string(line.data()).find(text) != std::string::npos) return true;
    }
    return false;
  }
  CliResult Wait() {
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), pipe_)) > 0) out_.append(buf.data(), n);
    const int status = ::pclose(pipe_);
    pipe_ = nullptr;
    return CliResult{WIFEXITED(status) ? WEXITSTATUS(status) : -1, out_};
  }

 private:
  FILE* pipe_ = nullptr;
  std::string out_;
};

class KiteLogin : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("nacre_kite_login_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    listen_port_ = FreePort();
    kite_emu::LoadedEmulatorConfig c;
    c.emulator.user.api_key = kKey;
    c.emulator.user.api_secret = kSecret;
    c.emulator.redirect_url = "http://127.0.0.1:" + std::to_string(listen_port_) + "/";
    emu_ = std::make_unique<kite_emu::Runtime>(c);
    ASSERT_TRUE(emu_->Start().ok());
    http_ = std::make_unique<net::HttpClient>("127.0.0.1", emu_->http_port());
    ::setenv(kSecretEnv, kSecret, 1);
    config_ = WriteConfig("");
  }
  void TearDown() override {
    emu_->Stop();
    fs::remove_all(dir_);
  }
  // The node config's [kite] section pointing at the emulator (`extra`: more lines).
  std::string WriteConfig(const std::string& extra) const {
    const std::string base = "http://127.0.0.1:" + std::to_string(emu_->http_port());
    const fs::path p = dir_ / "node.toml";
    std::ofstream(p) << "[kite]\napi_key = \"" << kKey << "\"\napi_secret_env = \"" << kSecretEnv
                     << "\"\nbase_url = \"" << base << "\"\nlogin_url = \"" << base
                     << "/connect/login\"\nticker_url = \"ws://127.0.0.1:" << emu_->ticker_port()
                     << "\"\nredirect_port = " << listen_port_ << "\n"
                     << extra;
    return p.string();
  }
  fs::path TokenFile() const { return dir_ / "state" / "kite_session.json"; }
  net::HttpResponse Get(const std::string& target, const std::string& access = "") {
    net::HttpRequest r;
    r.target = target;
    r.headers = {{"X-Kite-Version", "3"}};
    if (!access.empty())
      r.headers.emplace_back("Authorization", std::string("token ") + kKey + ":" + access);
    auto resp = http_->Send(r, kDeadline);
    EXPECT_TRUE(resp.ok()) << resp.error();
    return resp.ok() ? *resp : net::HttpResponse{};
  }
  // The browser's login at the emulator: its redirect (302 Location) with the request token.
  std::string LoginRedirect() {
    const net::HttpResponse r = Get(std::string("/connect/login?api_key=") + kKey + "&v=3");
    EXPECT_EQ(r.status, 302) << r.body;
    return r.Header("Location");
  }
  static std::string RequestToken(const std::string& location) {
    return ParseFormFields(location.substr(location.find('?') + 1)).at("request_token");
  }
  std::string AccessToken() const {
    const std::string text = testing::Slurp(TokenFile());
    return nlohmann::json::parse(text).at("access_token").get<std::string>();
  }
  // What must never be printed or written: the secret and the request token.
  static void ExpectNoSecret(const std::string& text, const std::string& request_token,
                             const std::string& what) {
    EXPECT_EQ(text.find(kSecret), std::string::npos) << what << ": " << text;
    EXPECT_EQ(text.find(request_token), std::string::npos) << what << ": " << text;
  }

  fs::path dir_;
  std::uint16_t listen_port_ = 0;
  std::unique_ptr<kite_emu::Runtime> emu_;
  std::unique_ptr<net::HttpClient> http_;
  std::string config_;
};

TEST_F(KiteLogin, TheBrowserFlowWritesAPrivateWorkingSession) {
  Cli cli("kite login '" + config_ + "' --timeout 60");
  ASSERT_TRUE(cli.ReadUntil("Waiting up to")) << cli.Wait().out;
  // The browser: log in at the emulator, follow its redirect to the CLI's listener.
  const std::string location = LoginRedirect();
  ASSERT_EQ(location.rfind("http://127.0.0.1:" + std::to_string(listen_port_) + "/?", 0), 0u)
      << location;
  const std::string request_token = RequestToken(location);
  net::HttpClient browser("127.0.0.1", listen_port_);
  net::HttpRequest follow;
  follow.target = location.substr(location.find('/', 7));
  auto page = browser.Send(follow, kDeadline);
  ASSERT_TRUE(page.ok()) << page.error();
  EXPECT_EQ(page->status, 200) << page->body;
  EXPECT_NE(page->body.find("Logged in to Kite, you may close this tab"), std::string::npos)
      << page->body;
  const CliResult run = cli.Wait();
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find(std::string("/connect/login?api_key=") + kKey + "&v=3"), std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("Logged in to Kite as AB1234"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("valid until"), std::string::npos) << run.out;

  // The token file: private, and its session works at the emulator.
  struct stat st {};
  ASSERT_EQ(::stat(TokenFile().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string access = AccessToken();
  EXPECT_EQ(Get("/user/profile", access).status, 200);
  // No secret anywhere: not in the output (nor the access token), not in the file.
  ExpectNoSecret(run.out, request_token, "output");
  EXPECT_EQ(run.out.find(access), std::string::npos) << run.out;
  ExpectNoSecret(testing::Slurp(TokenFile()), request_token, "token file");
  EXPECT_EQ(page->body.find(access), std::string::npos) << page->body;

  // `nacre kite session` shows it.
  Cli session("kite session '" + config_ + "'");
  const CliResult shown = session.Wait();
  EXPECT_EQ(shown.exit_code, 0) << shown.out;
  EXPECT_NE(shown.out.find("AB1234"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("0600"), std::string::npos) << shown.out;
  EXPECT_EQ(shown.out.find(access), std::string::npos) << shown.out;
}

TEST_F(KiteLogin, TheListenerRefusesARedirectWithoutATokenAndKeepsWaiting) {
  Cli cli("kite login '" + config_ + "' --timeout 60");
  ASSERT_TRUE(cli.ReadUntil("Waiting up to")) << cli.Wait().out;
  net::HttpClient browser("127.0.0.1", listen_port_);
  net::HttpRequest bad;
  bad.target = "/?action=login&status=cancelled";
  auto r = browser.Send(bad, kDeadline);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("status=cancelled"), std::string::npos) << r->body;
  bad.target = "/?action=login";
  r = browser.Send(bad, kDeadline);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("request_token"), std::string::npos) << r->body;
  // The real redirect still logs in.
  const std::string location = LoginRedirect();
  net::HttpRequest follow;
  follow.target = location.substr(location.find('/', 7));
  net::HttpClient browser2("127.0.0.1", listen_port_);
  r = browser2.Send(follow, kDeadline);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(cli.Wait().exit_code, 0);
}

TEST_F(KiteLogin, AReusedRequestTokenIsRefusedClearly) {
  const std::string token = RequestToken(LoginRedirect());
  Cli first("kite login '" + config_ + "' --request-token " + token);
  const CliResult ok = first.Wait();
  ASSERT_EQ(ok.exit_code, 0) << ok.out;
  const std::string access = AccessToken();
  Cli again("kite login '" + config_ + "' --request-token " + token);
  const CliResult refused = again.Wait();
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  EXPECT_NE(refused.out.find("the request token was refused (it is single-use and lasts minutes): "
                             "log in again"),
            std::string::npos)
      << refused.out;
  ExpectNoSecret(ok.out + refused.out, token, "output");
  EXPECT_EQ(ok.out.find(access), std::string::npos) << ok.out;
  // The first session is untouched.
  EXPECT_EQ(AccessToken(), access);
  EXPECT_EQ(Get("/user/profile", access).status, 200);
}

TEST_F(KiteLogin, ATokenPastedOnStdin) {
  const std::string token = RequestToken(LoginRedirect());
  Cli cli("kite login '" + config_ + "' --request-token -", token);
  const CliResult run = cli.Wait();
  ASSERT_EQ(run.exit_code, 0) << run.out;
  ExpectNoSecret(run.out, token, "output");
  EXPECT_EQ(Get("/user/profile", AccessToken()).status, 200);
  // The whole redirect URL pasted works too (--no-listen asks for it).
  const std::string location = LoginRedirect();
  Cli pasted("kite login '" + config_ + "' --no-listen", location);
  const CliResult run2 = pasted.Wait();
  ASSERT_EQ(run2.exit_code, 0) << run2.out;
  ExpectNoSecret(run2.out, RequestToken(location), "output");
  EXPECT_EQ(Get("/user/profile", AccessToken()).status, 200);
}

TEST_F(KiteLogin, SessionRefusesAnExpiredOrLooseFile) {
  Cli missing("kite session '" + config_ + "'");
  const CliResult none = missing.Wait();
  EXPECT_EQ(none.exit_code, 1) << none.out;
  EXPECT_NE(none.out.find("nacre kite login"), std::string::npos) << none.out;

  const UnixNanos login = FromIst(2026, 1, 5, 9, 0);
  ASSERT_TRUE(WriteKiteSessionFile(TokenFile().string(),
                                   KiteSessionFile{kKey, "AB1234", "old-access-token", "", login,
                                                   KiteSessionExpiry(login)})
                  .ok());
  Cli expired("kite session '" + config_ + "'");
  const CliResult run = expired.Wait();
  EXPECT_EQ(run.exit_code, 1) << run.out;
  EXPECT_NE(run.out.find("expired at 2026-01-06 06:00:00 IST"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("nacre kite login"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("old-access-token"), std::string::npos) << run.out;

  ::chmod(TokenFile().c_str(), 0644);
  Cli loose("kite session '" + config_ + "'");
  const CliResult l = loose.Wait();
  EXPECT_EQ(l.exit_code, 1) << l.out;
  EXPECT_NE(l.out.find("chmod 600"), std::string::npos) << l.out;
}

TEST_F(KiteLogin, LogoutEndsTheSessionAtKite) {
  const std::string token = RequestToken(LoginRedirect());
  ASSERT_EQ(Cli("kite login '" + config_ + "' --request-token " + token).Wait().exit_code, 0);
  const std::string access = AccessToken();
  ASSERT_EQ(Get("/user/profile", access).status, 200);
  Cli logout("kite logout '" + config_ + "'");
  const CliResult run = logout.Wait();
  EXPECT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("Logged out AB1234"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find(access), std::string::npos) << run.out;
  EXPECT_FALSE(fs::exists(TokenFile()));
  EXPECT_EQ(Get("/user/profile", access).status, 403);
}

TEST_F(KiteLogin, AFailingExchangeLeaksNoSecret) {
  // The emulator processes the exchange, then answers 503 (the session it made is lost).
  net::HttpRequest plan;
  plan.method = "POST";
  plan.target = "/__emu/faults";
  plan.headers = {{"Content-Type", "application/json"}};
  plan.body = R"({"rule": [{"route": "POST /session/token", "action": "5xx_after", "nth": 1}]})";
  auto loaded = http_->Send(plan, kDeadline);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  ASSERT_EQ(loaded->status, 200) << loaded->body;
  const std::string token = RequestToken(LoginRedirect());
  Cli cli("kite login '" + config_ + "' --request-token " + token);
  const CliResult run = cli.Wait();
  EXPECT_EQ(run.exit_code, 1) << run.out;
  EXPECT_NE(run.out.find("503"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("log in again"), std::string::npos) << run.out;
  ExpectNoSecret(run.out, token, "output");
  EXPECT_FALSE(fs::exists(TokenFile()));
}

TEST_F(KiteLogin, SecretsStayOutOfTheConfig) {
  const std::string inline_secret = WriteConfig(std::string("api_secret = \"") + kSecret + "\"\n");
  const CliResult inl = Cli("kite login '" + inline_secret + "' --request-token x").Wait();
  EXPECT_EQ(inl.exit_code, 2) << inl.out;
  EXPECT_NE(inl.out.find("kite.api_secret"), std::string::npos) << inl.out;
  EXPECT_EQ(inl.out.find(kSecret), std::string::npos) << inl.out;
  ::unsetenv(kSecretEnv);
  const CliResult unset = Cli("kite login '" + WriteConfig("") + "' --request-token x").Wait();
  EXPECT_EQ(unset.exit_code, 2) << unset.out;
  EXPECT_NE(unset.out.find(std::string(kSecretEnv) + " is not set"), std::string::npos)
      << unset.out;
}

}  // namespace
}  // namespace nacre
