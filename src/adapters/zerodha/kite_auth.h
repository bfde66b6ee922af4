// Kite Connect login pieces (KITE_CONNECT.md §1). The session exchange sends
// checksum = hex SHA-256(api_key + request_token + api_secret); the emulator recomputes it to
// verify. The secret only ever enters this function: never a log, an error or a file.
#pragma once

#include <string>
#include <string_view>

namespace nacre {

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
std::string KiteChecksum(std::string_view api_key, std::string_view request_token,
                         std::string_view api_secret);

}  // namespace nacre
