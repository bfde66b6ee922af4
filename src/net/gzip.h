// gzip bodies (RFC 1952) through zlib: Kite sends the instruments dump gzip-encoded to clients
// that ask for it (every official client sends "Accept-Encoding: gzip"), so the emulator
// compresses it, and a client may meet a gzip body it must expand.
//
// GzipCompress writes one gzip member (deflate, default level, zlib's default header: no file
// name, mtime 0) so the same input always gives the same bytes. GzipDecompress reads one or
// more concatenated members (as `gzip -d` does) and refuses anything that is not gzip, is cut
// short, fails its CRC or length check, or would expand beyond `max_size` (a guard against
// compression bombs; 1 GiB unless given).
//
// AcceptsGzip reads a request's Accept-Encoding (RFC 9110 §12.5.3): true when "gzip" (or the
// legacy alias "x-gzip", or "*" when gzip itself is not listed) appears with a quality above 0.
// Names and parameters are case-insensitive; "gzip;q=0", "gzip; q=0.000" refuse it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"
#include "net/http.h"

namespace nacre::net {

std::string GzipCompress(std::string_view data);
Result<std::string> GzipDecompress(std::string_view gz, std::size_t max_size = std::size_t{1} << 30);

bool AcceptsGzip(const HttpRequest& request);
// The same for a header value (e.g. "deflate, gzip;q=0.5").
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace nacre::net
