#include "adapters/zerodha/kite_auth.h"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

namespace nacre {

std::string Sha256Hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed in OpenSSL");  // only on a broken library
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xF]);
  }
  return out;
}

std::string KiteChecksum(std::string_view api_key, std::string_view request_token,
                         std::string_view api_secret) {
  std::string joined;
  joined.reserve(api_key.size() + request_token.size() + api_secret.size());
  joined.append(api_key).append(request_token).append(api_secret);
  return Sha256Hex(joined);
}

}  // namespace nacre
