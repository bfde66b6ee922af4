#include "cli/build_id.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

// SHA-256 lives with the Kite login checksum (OpenSSL), which the tool links anyway.
#include "adapters/zerodha/kite_auth.h"

namespace nacre::cli {

std::string SelfPath() {
  std::error_code ec;
  const std::filesystem::path p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("nacre") : p.string();
}

std::string BuildId() {
  std::ifstream in("/proc/self/exe", std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  if (!in) return "unknown";
  return Sha256Hex(bytes.str()).substr(0, 16);
}

std::string VersionLine() { return fmt::format("nacre {} (build {})", NACRE_VERSION, BuildId()); }

}  // namespace nacre::cli
