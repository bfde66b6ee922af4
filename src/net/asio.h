// The one include of Boost.Asio and Boost.Beast in Nacre. Only .cpp files of the net module
// include it (Beast's templates take minutes to compile; nothing includes them from a header).
// <utility> comes first: Boost 1.74's Asio with libstdc++ 12 fails to compile otherwise (asio
// issue #944).
#pragma once

#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace nacre::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;
}  // namespace nacre::net
