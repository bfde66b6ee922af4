// Test helper: Zerodha's fixtures in ../shared/data/kite-mocks (present in CI; tests skip
// with a clear message when absent). Never copied into the project.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

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

// The `data` of mock `name` (the whole file when it has no `data`), or null when the mocks
// are absent (the caller skips).
inline nlohmann::json Data(const char* name) {
  const std::filesystem::path p = Dir() / name;
  if (!std::filesystem::exists(p)) return nullptr;
  nlohmann::json j = nlohmann::json::parse(Read(p));
  return j.is_object() && j.contains("data") ? j["data"] : j;
}

// A JSON value's kind, numbers as one kind (Kite sends integers or floats for them).
inline std::string Kind(const nlohmann::json& v) {
  return v.is_number() ? "number" : v.type_name();
}

}  // namespace nacre::kite_mocks
