// HttpServer: an HTTP/1.1 server on 127.0.0.1 (or a given address) run by an IoThread. Each
// connection is served in order with keep-alive; a handler turns a request into a response on
// the I/O thread (it must not block it for long). A request that is not valid HTTP gets 400 and
// the connection is closed; a connection idle past `idle_timeout` is closed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "core/time.h"
#include "net/http.h"
#include "net/io_thread.h"

namespace nacre::net {

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port (see port())
  DurationNs idle_timeout = 30 * kNanosPerSecond;
  std::size_t max_body_bytes = 8 << 20;
  // The server's own error answers (a request that is not HTTP 400, a body too large 413, a
  // handler that threw 500), given the status and what went wrong; default: text/plain. An
  // API server answers them in its own error format (the Kite emulator: Kite's envelope).
  std::function<HttpResponse(int status, const std::string& message)> error_answer;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  HttpServer(IoThread& io, Handler handler, HttpServerOptions options = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting; the error names the address and port.
  Status Start();
  // Stops accepting and closes every connection (blocks until done on the I/O thread).
  void Stop();
  std::uint16_t port() const;
  // Connections accepted so far (keep-alive tests count them).
  std::uint64_t connections_accepted() const;
  // Responses written whole to their connections (any thread).
  std::uint64_t responses_sent() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace nacre::net
