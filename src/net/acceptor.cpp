#include "net/acceptor.h"

#include <fmt/format.h>

namespace nacre::net {

Status OpenAcceptor(tcp::acceptor& acceptor, const std::string& address, std::uint16_t port,
                    const char* what) {
  beast::error_code ec;
  const auto addr = asio::ip::make_address(address, ec);
  if (ec) {
    return MakeError(ErrorCode::kInvalidInput,
                     fmt::format("{}: bad address '{}': {}", what, address, ec.message()));
  }
  const tcp::endpoint ep(addr, port);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return MakeError(ErrorCode::kUnavailable, fmt::format("{}: cannot listen on {}:{}: {}", what,
                                                          address, port, ec.message()));
  }
  return Status::Ok();
}

}  // namespace nacre::net
