// `nacre kite-emu`: a bad config is refused before anything listens, naming the file and key.
// (The running emulator is exercised by the conformance run with Zerodha's own client,
// tests/conformance/run.sh.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cli_exec.h"

namespace nacre {
namespace {

namespace fs = std::filesystem;

std::string WriteConfig(const std::string& name, const std::string& text) {
  const fs::path p = fs::temp_directory_path() / (name + "_" + std::to_string(::getpid()) + ".toml");
  std::ofstream(p) << text;
  return p.string();
}

TEST(KiteEmuCli, BadConfigsExitTwoNamingFileAndKey) {
  const std::pair<std::string, std::string> cases[] = {
      {"[emulator]\napi_secret = \"s\"\n", "'emulator.api_key'"},
      {"[emulator]\napi_key = \"k\"\napi_secret = \"s\"\nport = 70000\n", "'emulator.port'"},
      {"[emulator]\napi_key = \"k\"\napi_secret = \"s\"\nsecret = \"x\"\n", "'emulator.secret'"},
      {"api_key = \"k\"\n", "emulator"},
  };
  int i = 0;
  for (const auto& [text, key] : cases) {
    const std::string path = WriteConfig("kite_emu_bad_" + std::to_string(i++), text);
    const testing::CliRun r = testing::Exec("kite-emu '" + path + "'", true);
    EXPECT_EQ(r.exit_code, 2) << text << r.out;
    EXPECT_NE(r.out.find(key), std::string::npos) << text << " -> " << r.out;
    EXPECT_NE(r.out.find(path), std::string::npos) << r.out;
    fs::remove(path);
  }
}

}  // namespace
}  // namespace nacre
