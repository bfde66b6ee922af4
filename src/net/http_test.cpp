// The HTTP server and client over real sockets on 127.0.0.1: round trips, keep-alive,
// a server closing the connection, deadlines (the answer withheld until the client has given
// up, never a sleep), a refused connection and a request that is not HTTP.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <string>

#include "net/http_client.h"
#include "net/http_server.h"

namespace nacre::net {
namespace {

constexpr DurationNs kDeadline = 5 * kNanosPerSecond;

HttpResponse Echo(const HttpRequest& r) {
  HttpResponse out;
  out.headers = {{"Content-Type", "text/plain"}, {"X-Method", r.method}};
  out.body = r.method + " " + r.target + " " + r.Header("x-api-key") + " " + r.body;
  return out;
}

TEST(Http, RoundTripWithHeadersAndBody) {
  IoThread io;
  HttpServer server(io, Echo);
  ASSERT_TRUE(server.Start().ok());
  ASSERT_NE(server.port(), 0);
  HttpClient client("127.0.0.1", server.port());
  HttpRequest req;
  req.method = "POST";
  req.target = "/orders/regular?x=1";
  req.headers = {{"X-Api-Key", "k1"}, {"Content-Type", "application/x-www-form-urlencoded"}};
  req.body = "tradingsymbol=NIFTY&quantity=75";
  auto r = client.Send(req, kDeadline);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("x-method"), "POST");  // names are case-insensitive
  EXPECT_EQ(r->body, "POST /orders/regular?x=1 k1 tradingsymbol=NIFTY&quantity=75");
}

TEST(Http, KeepAliveReusesOneConnection) {
  IoThread io;
  HttpServer server(io, Echo);
  ASSERT_TRUE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port());
  for (int i = 0; i < 5; ++i) {
    HttpRequest req;
    req.target = "/quote?i=" + std::to_string(i);
    auto r = client.Send(req, kDeadline);
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(r->body, "GET /quote?i=" + std::to_string(i) + "  ");
  }
  EXPECT_EQ(client.connections_opened(), 1u);
  EXPECT_EQ(server.connections_accepted(), 1u);
}

TEST(Http, AConnectionTheServerClosedIsReopenedForTheNextRequest) {
  IoThread io;
  HttpServer server(io, [](const HttpRequest& r) {
    HttpResponse out = Echo(r);
    if (r.target == "/close") out.headers.emplace_back("Connection", "close");
    return out;
  });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port());
  HttpRequest close;
  close.target = "/close";
  ASSERT_TRUE(client.Send(close, kDeadline).ok());
  HttpRequest next;
  next.target = "/after";
  auto r = client.Send(next, kDeadline);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->body, "GET /after  ");
  EXPECT_EQ(client.connections_opened(), 2u);
  EXPECT_EQ(server.connections_accepted(), 2u);
}

TEST(Http, NoAnswerWithinTheDeadlineIsAmbiguousAndTheLateAnswerIsNeverReadAsTheNext) {
  IoThread io;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  HttpServer server(io, [released](const HttpRequest& r) {
    if (r.target == "/slow") released.wait();  // held until the client has given up
    return Echo(r);
  });
  // Released however the test ends (a failed assertion returns early), or the I/O thread would
  // stay blocked in the handler and the server's destructor wait for it.
  struct Release {
    std::promise<void>& p;
    bool done = false;
    void operator()() {
      if (!done) p.set_value();
      done = true;
    }
    ~Release() { (*this)(); }
  } release_handler{release};
  ASSERT_TRUE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port());
  HttpRequest slow;
  slow.method = "POST";
  slow.target = "/slow";
  auto r = client.Send(slow, 200 * kNanosPerMilli);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), ErrorCode::kAmbiguous);
  EXPECT_NE(r.error().find("no answer within the deadline"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("POST http://127.0.0.1:"), std::string::npos) << r.error();
  release_handler();
  HttpRequest next;
  next.target = "/next";
  auto n = client.Send(next, kDeadline);
  ASSERT_TRUE(n.ok()) << n.error();
  EXPECT_EQ(n->body, "GET /next  ");  // not the slow request's late answer
  EXPECT_EQ(client.connections_opened(), 2u);
}

TEST(Http, ARefusedConnectionIsUnavailable) {
  std::uint16_t port = 0;
  {
    IoThread io;
    HttpServer server(io, Echo);
    ASSERT_TRUE(server.Start().ok());
    port = server.port();
  }  // closed: nothing listens there now
  HttpClient client("127.0.0.1", port);
  auto r = client.Send(HttpRequest{}, kDeadline);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), ErrorCode::kUnavailable);
  EXPECT_NE(r.error().find("cannot connect"), std::string::npos) << r.error();
}

TEST(Http, ARequestThatIsNotHttpGets400AndTheServerCarriesOn) {
  IoThread io;
  HttpServer server(io, Echo);
  ASSERT_TRUE(server.Start().ok());
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const std::string junk = "NOT HTTP AT ALL\r\n\r\n";
  ASSERT_EQ(::send(fd, junk.data(), junk.size(), 0), static_cast<ssize_t>(junk.size()));
  std::string got;
  char buf[512];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof(buf), 0)) > 0;) {
    got.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  EXPECT_EQ(got.rfind("HTTP/1.1 400", 0), 0u) << got;
  HttpClient client("127.0.0.1", server.port());
  auto r = client.Send(HttpRequest{}, kDeadline);
  ASSERT_TRUE(r.ok()) << r.error();
}

TEST(Http, AnAddressInUseIsReportedWithTheAddress) {
  IoThread io;
  HttpServer first(io, Echo);
  ASSERT_TRUE(first.Start().ok());
  HttpServerOptions o;
  o.port = first.port();
  HttpServer second(io, Echo, o);
  const Status s = second.Start();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("cannot listen on 127.0.0.1:" + std::to_string(first.port())),
            std::string::npos)
      << s.error();
}

}  // namespace
}  // namespace nacre::net
