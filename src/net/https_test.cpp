// The HTTP client over TLS against a real TLS server (the openssl command's s_server on
// 127.0.0.1, with certificates made for the test): a certificate issued for the host and trusted
// through `ca_file` is accepted; the same server checked against the system's CAs, or a
// certificate naming another host, is refused with a TLS error, never answered in plain text.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "net/http_client.h"

namespace nacre::net {
namespace {

namespace fs = std::filesystem;

class Https : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "the openssl command is not installed (scripts/setup.sh installs it)";
    }
    dir_ = fs::temp_directory_path() / ("nacre_https_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (server_ != nullptr) pclose(server_);
    fs::remove_all(dir_);
  }
  // A self-signed certificate for `name` (also its subjectAltName).
  void MakeCert(const std::string& name) {
    const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -keyout '" +
                            (dir_ / "key.pem").string() + "' -out '" + (dir_ / "cert.pem").string() +
                            "' -subj /CN=" + name + " -addext subjectAltName=DNS:" + name +
                            " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  // Starts s_server for `connections` connections and returns its port (read from its
  // "ACCEPT host:port" line: the wait is for that line, not a sleep).
  std::uint16_t Serve(int connections) {
    const std::string cmd = "timeout 30 openssl s_server -accept 127.0.0.1:0 -www -naccept " +
                            std::to_string(connections) + " -cert '" +
                            (dir_ / "cert.pem").string() + "' -key '" +
                            (dir_ / "key.pem").string() + "' 2>&1";
    server_ = popen(cmd.c_str(), "r");
    if (server_ == nullptr) return 0;
    char line[256];
    while (fgets(line, sizeof(line), server_) != nullptr) {
      const std::string l(line);
      const auto at = l.find("ACCEPT 127.0.0.1:");
      if (at != std::string::npos) {
        return static_cast<std::uint16_t>(std::stoi(l.substr(at + 17)));
      }
    }
    return 0;
  }
  std::string Cert() const { return (dir_ / "cert.pem").string(); }

  fs::path dir_;
  FILE* server_ = nullptr;
};

TEST_F(Https, ATrustedCertificateForTheHostIsAcceptedAndAnUntrustedOneRefused) {
  MakeCert("localhost");
  const std::uint16_t port = Serve(2);
  ASSERT_NE(port, 0);
  HttpClient trusted("localhost", port, HttpClientTls{true, Cert()});
  auto ok = trusted.Send(HttpRequest{}, 10 * kNanosPerSecond);
  ASSERT_TRUE(ok.ok()) << ok.error();
  EXPECT_EQ(ok->status, 200);
  EXPECT_NE(ok->body.find("s_server"), std::string::npos);  // s_server's status page
  HttpClient system_cas("localhost", port, HttpClientTls{true, ""});
  auto refused = system_cas.Send(HttpRequest{}, 10 * kNanosPerSecond);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), ErrorCode::kUnavailable);
  EXPECT_NE(refused.error().find("GET https://localhost:"), std::string::npos) << refused.error();
  EXPECT_NE(refused.error().find("TLS handshake failed"), std::string::npos) << refused.error();
  EXPECT_NE(refused.error().find("not trusted or does not name the host"), std::string::npos)
      << refused.error();
}

TEST_F(Https, ACertificateForAnotherHostIsRefused) {
  MakeCert("other.example");
  const std::uint16_t port = Serve(1);
  ASSERT_NE(port, 0);
  HttpClient client("localhost", port, HttpClientTls{true, Cert()});  // trusted, wrong name
  auto r = client.Send(HttpRequest{}, 10 * kNanosPerSecond);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("TLS handshake failed"), std::string::npos) << r.error();
}

TEST_F(Https, AMissingCaFileIsSaidBeforeAnyConnection) {
  HttpClient client("localhost", 1, HttpClientTls{true, (dir_ / "none.pem").string()});
  auto r = client.Send(HttpRequest{}, kNanosPerSecond);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("cannot load the CA certificates from"), std::string::npos)
      << r.error();
  EXPECT_EQ(client.connections_opened(), 0u);
}

}  // namespace
}  // namespace nacre::net
