// WebSocket over TLS (wss://) between WsServer and WsClient on 127.0.0.1: real TLS handshakes
// and real frames, with certificates made for each test by the openssl command (a throwaway CA
// and leaf certificates it signs). A certificate from the CA given as `ca_file` that names the
// host (a DNS name, or an IP address entry for an address) is accepted and messages flow both
// ways; a certificate naming another host, one from a CA the client does not trust, or a plain
// server are refused with a reason, and a verification failure is not retried unless asked; a
// dropped TLS connection is reopened.
// Waits are on events with a failure bound, never sleeps.
#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "net/tls_test_certs.h"
#include "net/ws.h"
#include "net/ws_client_log.h"

namespace nacre::net {
namespace {

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class Wss : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!TlsTestCerts::available()) {
      GTEST_SKIP() << "the openssl command is not installed (scripts/setup.sh installs it)";
    }
    certs_ = std::make_unique<TlsTestCerts>(
        std::string("wss_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override {
    client_.reset();
    server_.reset();
    certs_.reset();
  }

  std::string Path(const std::string& name) const { return certs_->Path(name); }
  void MakeCa(const std::string& name) { ASSERT_TRUE(certs_->MakeCa(name)) << name; }
  void MakeLeaf(const std::string& host, const std::string& ca) {
    ASSERT_TRUE(certs_->MakeServer(host, ca)) << host;
  }

  // An echo server (each message answered by "echo:<text>", then a 3-byte binary frame) that
  // refuses access_token=bad with 403; TLS with server.pem unless `tls` is false.
  void Serve(bool tls = true) {
    WsServer::Handlers h;
    h.on_handshake = [](const std::string& target) -> std::optional<WsRefusal> {
      if (Contains(target, "access_token=bad")) {
        return WsRefusal{403, R"({"status":"error","error_type":"TokenException"})"};
      }
      return std::nullopt;
    };
    h.on_open = [this](std::uint64_t conn, const std::string&) {
      std::lock_guard<std::mutex> lock(mu_);
      opened_.push_back(conn);
    };
    h.on_message = [this](std::uint64_t conn, const WsMessage& m) {
      server_->Send(conn, WsMessage{false, "echo:" + m.data});
      server_->Send(conn, WsMessage{true, std::string("\x00\x01\x02", 3)});
    };
    WsServerOptions o;
    o.tls = WsServerTls{tls, Path("server.pem"), Path("server.key")};
    server_ = std::make_unique<WsServer>(io_, std::move(h), o);
    const Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.error();
  }
  // A wss:// client of the server as "localhost", trusting `ca_file` (empty: the system store).
  WsClientOptions ClientOptions(const std::string& ca_file,
                                const std::string& target = "/?api_key=k&access_token=t") {
    WsClientOptions o;
    o.host = "localhost";
    o.port = server_->port();
    o.target = target;
    o.tls = WsClientTls{true, ca_file};
    o.initial_backoff = 20 * kNanosPerMilli;
    o.max_backoff = 200 * kNanosPerMilli;
    return o;
  }
  void Connect(const WsClientOptions& o) {
    client_ = std::make_unique<WsClient>(io_, log_.Handlers(), o);
    client_->Start();
  }
  std::size_t ServerOpens() {
    std::lock_guard<std::mutex> lock(mu_);
    return opened_.size();
  }

  std::unique_ptr<TlsTestCerts> certs_;
  IoThread io_;
  std::mutex mu_;
  std::vector<std::uint64_t> opened_;
  std::unique_ptr<WsServer> server_;
  WsClientLog log_;
  std::unique_ptr<WsClient> client_;
};

TEST_F(Wss, MessagesFlowBothWaysWithACertificateFromTheGivenCa) {
  MakeCa("ca");
  MakeLeaf("localhost", "ca");
  Serve();
  Connect(ClientOptions(Path("ca.pem")));
  ASSERT_TRUE(log_.WaitFor([&] { return log_.opens == 1; }));
  client_->SendText(R"({"a":"subscribe","v":[408065]})");
  ASSERT_TRUE(log_.WaitFor([&] { return log_.messages.size() == 2; }));
  std::lock_guard<std::mutex> lock(log_.mu);
  EXPECT_FALSE(log_.messages[0].binary);
  EXPECT_EQ(log_.messages[0].data, R"(echo:{"a":"subscribe","v":[408065]})");
  EXPECT_TRUE(log_.messages[1].binary);
  EXPECT_EQ(log_.messages[1].data, std::string("\x00\x01\x02", 3));
  EXPECT_TRUE(log_.downs.empty());
}

TEST_F(Wss, ARefusedHandshakeOverTlsKeepsItsStatus) {
  MakeCa("ca");
  MakeLeaf("localhost", "ca");
  Serve();
  Connect(ClientOptions(Path("ca.pem"), "/?api_key=k&access_token=bad"));
  ASSERT_TRUE(log_.WaitFor([&] { return !log_.downs.empty(); }));
  client_->Stop();
  std::lock_guard<std::mutex> lock(log_.mu);
  ASSERT_EQ(log_.downs.size(), 1u);
  EXPECT_EQ(log_.downs[0].rfind("refused: 403", 0), 0u) << log_.downs[0];
  EXPECT_FALSE(log_.reconnecting[0]);
}

TEST_F(Wss, ACertificateForAnotherHostIsRefusedAndNotRetried) {
  MakeCa("ca");
  MakeLeaf("other.example", "ca");  // trusted CA, wrong name
  Serve();
  Connect(ClientOptions(Path("ca.pem")));
  ASSERT_TRUE(log_.WaitFor([&] { return !log_.downs.empty(); }));
  client_->Stop();  // after Stop nothing more can happen: the counts are final
  std::lock_guard<std::mutex> lock(log_.mu);
  ASSERT_EQ(log_.downs.size(), 1u) << log_.downs.back();
  const std::string& why = log_.downs[0];
  EXPECT_EQ(
      why.rfind("TLS handshake failed: the server's certificate did not pass verification: ", 0),
      0u)
      << why;
  EXPECT_TRUE(Contains(why, "hostname mismatch")) << why;
  EXPECT_TRUE(Contains(why, "host localhost")) << why;
  EXPECT_FALSE(log_.reconnecting[0]);
  EXPECT_EQ(log_.opens, 0);
  EXPECT_EQ(ServerOpens(), 0u);
}

TEST_F(Wss, ACertificateFromAnUntrustedCaIsRefused) {
  MakeCa("ca");
  MakeCa("stranger");
  MakeLeaf("localhost", "stranger");  // right name, a CA the client was not given
  Serve();
  Connect(ClientOptions(Path("ca.pem")));
  ASSERT_TRUE(log_.WaitFor([&] { return !log_.downs.empty(); }));
  client_->Stop();
  {
    std::lock_guard<std::mutex> lock(log_.mu);
    ASSERT_EQ(log_.downs.size(), 1u);
    EXPECT_TRUE(Contains(log_.downs[0],
                         "did not pass verification: unable to get local issuer "
                         "certificate"))
        << log_.downs[0];
    EXPECT_TRUE(Contains(log_.downs[0], "CAs from " + Path("ca.pem"))) << log_.downs[0];
    EXPECT_FALSE(log_.reconnecting[0]);
  }
  // Nor does the system's store know a throwaway CA.
  WsClientLog system_log;
  WsClient system_cas(io_, system_log.Handlers(), ClientOptions(""));
  system_cas.Start();
  ASSERT_TRUE(system_log.WaitFor([&] { return !system_log.downs.empty(); }));
  system_cas.Stop();
  std::lock_guard<std::mutex> lock(system_log.mu);
  EXPECT_TRUE(Contains(system_log.downs[0], "did not pass verification")) << system_log.downs[0];
  EXPECT_TRUE(Contains(system_log.downs[0], "CAs from the system store")) << system_log.downs[0];
  EXPECT_EQ(ServerOpens(), 0u);
}

TEST_F(Wss, AVerificationFailureIsRetriedAfterTheBackoffOnlyWhenAsked) {
  MakeCa("ca");
  MakeLeaf("other.example", "ca");
  Serve();
  WsClientOptions o = ClientOptions(Path("ca.pem"));
  o.reconnect_after_refusal = true;
  Connect(o);
  ASSERT_TRUE(log_.WaitFor([&] { return log_.downs.size() >= 2; }));
  client_->Stop();
  std::lock_guard<std::mutex> lock(log_.mu);
  EXPECT_TRUE(log_.reconnecting[0]);
  EXPECT_TRUE(Contains(log_.downs[1], "hostname mismatch")) << log_.downs[1];
  EXPECT_EQ(log_.opens, 0);
}

TEST_F(Wss, AnIpAddressHostIsCheckedAgainstTheCertificatesAddresses) {
  MakeCa("ca");
  MakeLeaf("127.0.0.1", "ca");
  Serve();
  WsClientOptions o = ClientOptions(Path("ca.pem"));
  o.host = "127.0.0.1";
  Connect(o);
  ASSERT_TRUE(log_.WaitFor([&] { return log_.opens == 1; }));
  // The same certificate does not name "localhost".
  WsClientLog named_log;
  WsClient named(io_, named_log.Handlers(), ClientOptions(Path("ca.pem")));
  named.Start();
  ASSERT_TRUE(named_log.WaitFor([&] { return !named_log.downs.empty(); }));
  named.Stop();
  std::lock_guard<std::mutex> lock(named_log.mu);
  EXPECT_TRUE(Contains(named_log.downs[0], "hostname mismatch")) << named_log.downs[0];
}

TEST_F(Wss, ADroppedTlsConnectionIsReopened) {
  MakeCa("ca");
  MakeLeaf("localhost", "ca");
  Serve();
  Connect(ClientOptions(Path("ca.pem")));
  ASSERT_TRUE(log_.WaitFor([&] { return log_.opens == 1; }));
  std::uint64_t first = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    first = opened_.at(0);
  }
  server_->Drop(first);
  ASSERT_TRUE(log_.WaitFor([&] { return log_.opens == 2; }));
  {
    std::lock_guard<std::mutex> lock(log_.mu);
    ASSERT_GE(log_.downs.size(), 1u);
    EXPECT_EQ(log_.downs[0].rfind("connection lost", 0), 0u) << log_.downs[0];
    EXPECT_TRUE(log_.reconnecting[0]);
  }
  client_->SendText("after");
  ASSERT_TRUE(log_.WaitFor([&] { return log_.messages.size() == 2; }));
  std::lock_guard<std::mutex> lock(log_.mu);
  EXPECT_EQ(log_.messages[0].data, "echo:after");
  EXPECT_EQ(ServerOpens(), 2u);
}

TEST_F(Wss, APlainServerIsNeverSpokenToInPlainText) {
  Serve(/*tls=*/false);
  Connect(ClientOptions(""));
  ASSERT_TRUE(log_.WaitFor([&] { return !log_.downs.empty(); }));
  client_->Stop();
  std::lock_guard<std::mutex> lock(log_.mu);
  EXPECT_EQ(log_.downs[0].rfind("TLS handshake failed: ", 0), 0u) << log_.downs[0];
  EXPECT_EQ(log_.opens, 0);
  EXPECT_EQ(ServerOpens(), 0u);
}

TEST_F(Wss, AMissingCaFileIsSaidOnceAndNotRetried) {
  MakeCa("ca");
  MakeLeaf("localhost", "ca");
  Serve();
  Connect(ClientOptions(Path("none.pem")));
  ASSERT_TRUE(log_.WaitFor([&] { return !log_.downs.empty(); }));
  client_->Stop();
  std::lock_guard<std::mutex> lock(log_.mu);
  ASSERT_EQ(log_.downs.size(), 1u);
  EXPECT_EQ(log_.downs[0].rfind("cannot load the CA certificates from " + Path("none.pem"), 0), 0u)
      << log_.downs[0];
  EXPECT_FALSE(log_.reconnecting[0]);
  EXPECT_EQ(ServerOpens(), 0u);
}

TEST_F(Wss, TheServerNamesACertificateOrKeyItCannotLoad) {
  WsServerOptions o;
  o.tls = WsServerTls{true, Path("missing.pem"), Path("missing.key")};
  WsServer server(io_, {}, o);
  const Status s = server.Start();
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s.error(), "cannot load the certificate " + Path("missing.pem")))
      << s.error();
  MakeCa("ca");
  MakeLeaf("localhost", "ca");
  o.tls.cert_file = Path("server.pem");
  WsServer no_key(io_, {}, o);
  const Status k = no_key.Start();
  ASSERT_FALSE(k.ok());
  EXPECT_TRUE(Contains(k.error(), "cannot load the private key " + Path("missing.key")))
      << k.error();
}

}  // namespace
}  // namespace nacre::net
