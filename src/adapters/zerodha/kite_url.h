// The small URL and form pieces the Kite adapter's login needs (KITE_CONNECT.md §1): a URL
// from the config split into scheme, host, port and path (http/https for REST and the login
// page, ws/wss for the ticker), form encoding of request bodies and query strings, and the
// decoding of a redirect's query. Pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace nacre {

struct KiteUrl {
  std::string scheme;  // "http", "https", "ws" or "wss"
  std::string host;
  std::uint16_t port = 0;  // the scheme's default (80, 443) when the URL gives none
  std::string path;        // "" or "/…" (with the query when one was given), no trailing '/'
  bool tls() const { return scheme == "https" || scheme == "wss"; }
  // 127.0.0.1, localhost or ::1: this machine (the Kite emulator), not Zerodha.
  bool loopback() const { return host == "127.0.0.1" || host == "localhost" || host == "::1"; }
  // "https://api.kite.trade" (the port only when not the scheme's default) + path.
  std::string Text() const;
};

// Parses "scheme://host[:port][/path][?query]" with a scheme among `schemes`; the error says
// what is wrong with `text` ("no scheme", "scheme ftp is not one of http, https", "port …").
Result<KiteUrl> ParseKiteUrl(std::string_view text, const std::vector<std::string>& schemes);

// "a b&c" → "a%20b%26c": everything but unreserved characters (RFC 3986) percent-encoded.
std::string PercentEncode(std::string_view text);
// "+" is a space, "%XX" a byte; a malformed escape is kept as written.
std::string PercentDecode(std::string_view text);
// {{"api_key","k"},{"v","3"}} → "api_key=k&v=3" (both sides percent-encoded).
std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields);
// "a=1&b=x%20y" → {{"a","1"},{"b","x y"}}; a repeated key keeps its last value.
std::map<std::string, std::string> ParseFormFields(std::string_view text);

}  // namespace nacre
