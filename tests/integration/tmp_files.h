// Temporary files for integration tests: a folder per test process (other worktrees run the
// same tests on this machine at the same time), read and written whole.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace nacre::testing {

inline std::filesystem::path PrivateTmp() {
  const auto p =
      std::filesystem::path(::testing::TempDir()) / ("nacre-" + std::to_string(getpid()));
  std::filesystem::create_directories(p);
  return p;
}

inline std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// PrivateTmp()/name, removed if it exists.
inline std::filesystem::path Fresh(const std::string& name) {
  const std::filesystem::path p = PrivateTmp() / name;
  std::filesystem::remove_all(p);
  return p;
}

// Writes PrivateTmp()/name and returns its path.
inline std::string WriteTmp(const std::string& name, const std::string& text) {
  const std::filesystem::path p = PrivateTmp() / name;
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

}  // namespace nacre::testing
