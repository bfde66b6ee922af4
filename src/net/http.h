// Plain HTTP/1.1 messages for the net module's interfaces (no Beast in headers).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace nacre::net {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";  // GET, POST, PUT, DELETE
  std::string target = "/";    // path and query
  HttpHeaders headers;
  std::string body;
  // The first value of header `name` (case-insensitive), or "".
  std::string Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  HttpHeaders headers;
  std::string body;
  // Faults a server may play (the Kite emulator's fault plan): `drop` cuts the connection
  // without any answer (a reset: the client cannot tell whether the request took effect);
  // `delay_ns` holds the answer back that long (a stalled server) without blocking the
  // server's thread.
  bool drop = false;
  std::int64_t delay_ns = 0;
  std::string Header(std::string_view name) const;
};

}  // namespace nacre::net
