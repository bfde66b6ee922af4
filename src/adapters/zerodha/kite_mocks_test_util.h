// Test helper: Zerodha's fixtures in ../shared/data/kite-mocks (present in CI; tests skip
// with a clear message when absent). Never copied into the project.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace nacre::kite_mocks {

inline std::filesystem::path Dir() {
  return std::filesystem::path(NACRE_SOURCE_DIR) / "../shared/data/kite-mocks";
}

inline std::string Read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace nacre::kite_mocks
