// Internal to the net module (included by its .cpp files only, never by a public header):
// opening a listening socket the same way for the HTTP and WebSocket servers.
#pragma once

#include <string>

#include "core/result.h"
#include "net/asio.h"

namespace nacre::net {

// Opens, binds (reuse_address) and listens on address:port; the error names `what`, the
// address and the port.
Status OpenAcceptor(tcp::acceptor& acceptor, const std::string& address, std::uint16_t port,
                    const char* what);

}  // namespace nacre::net
