// HttpClient: a blocking HTTP/1.1 client for one host (plain TCP or TLS), keeping its connection
// alive between requests and opening a new one when the server closed it. Every request has
// a deadline covering connect, write and read; past it the request fails with kDeadlineExceeded
// and the connection is dropped (a late answer is never read as the next request's). A request
// that may have reached the server is never resent here: the caller decides (an order
// placement is never retried blindly). Not thread-safe: one caller at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"
#include "core/time.h"
#include "net/http.h"

namespace nacre::net {

// TLS: the server's certificate is verified against the system's CAs (or `ca_file`) and must
// name the host (RFC 2818); a failure is an error saying so, never a silent plain fallback.
struct HttpClientTls {
  bool enabled = false;
  std::string ca_file;  // PEM; empty: the system's CA store
};

class HttpClient {
 public:
  HttpClient(std::string host, std::uint16_t port, HttpClientTls tls = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request` (Host and Content-Length set here) and reads the response.
  Result<HttpResponse> Send(const HttpRequest& request, DurationNs deadline);
  // Connections opened so far.
  std::uint64_t connections_opened() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nacre::net
