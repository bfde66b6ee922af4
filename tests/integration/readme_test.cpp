// The README tells the truth about the data it names: the date range and bar count of the real
// NIFTY file the SMA example reads, and the first and last date of the holiday file it
// mentions, are computed here from the files themselves (skipped when ../shared is absent).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

fs::path Shared(const std::string& name) {
  return fs::path(NACRE_SOURCE_DIR) / ".." / "shared" / "data" / "real" / name;
}

// 58127 -> "58,127".
std::string Grouped(std::size_t n) {
  std::string digits = std::to_string(n);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) {
    digits.insert(static_cast<std::size_t>(i), ",");
  }
  return digits;
}

TEST(Readme, StatesTheRealNiftyFilesDateRangeAndBarCount) {
  const fs::path file = Shared("NIFTY_2024_1min.csv");
  if (!fs::exists(file)) GTEST_SKIP() << file << " not present";
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);  // Instrument,Date,Time,Open,High,Low,Close
  std::string first;
  std::string last;
  std::size_t bars = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto a = line.find(',');
    const std::string date = line.substr(a + 1, 8);  // YYYYMMDD
    const std::string iso = date.substr(0, 4) + "-" + date.substr(4, 2) + "-" + date.substr(6, 2);
    if (first.empty()) first = iso;
    last = iso;
    ++bars;
  }
  const std::string readme = ReadFile(fs::path(NACRE_SOURCE_DIR) / "README.md");
  const std::string range = "from " + first + " to " + last;
  EXPECT_NE(readme.find(range), std::string::npos) << "README should say: " << range;
  EXPECT_NE(readme.find(Grouped(bars) + " bars"), std::string::npos) << Grouped(bars) << " bars";
  const std::string example =
      ReadFile(fs::path(NACRE_SOURCE_DIR) / "examples/sma_cross_nifty.toml");
  EXPECT_NE(example.find(range), std::string::npos) << "examples/sma_cross_nifty.toml: " << range;
}

TEST(Readme, StatesTheHolidayFilesFirstAndLastDate) {
  const fs::path file = Shared("nse_fo_holidays_2024.csv");
  if (!fs::exists(file)) GTEST_SKIP() << file << " not present";
  std::ifstream in(file);
  std::string line;
  std::string first;
  std::string last;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (first.empty()) first = line;
    last = line;
  }
  const std::string readme = ReadFile(fs::path(NACRE_SOURCE_DIR) / "README.md");
  const std::string range = "from " + first + " to " + last;
  EXPECT_NE(readme.find(range), std::string::npos) << "README should say: " << range;
}

TEST(Readme, SaysHowToRunTheSandboxAndLiveNodes) {
  const std::string readme = ReadFile(fs::path(NACRE_SOURCE_DIR) / "README.md");
  EXPECT_NE(readme.find("nacre run"), std::string::npos);
  // Live trading exists (the Zerodha adapter): the README no longer says otherwise, and names
  // the login, the live environment and the script that runs it against the emulator.
  EXPECT_EQ(readme.find("Not built yet: **live** trading"), std::string::npos);
  EXPECT_NE(readme.find("nacre kite login"), std::string::npos);
  EXPECT_NE(readme.find("environment = \"live\""), std::string::npos);
  EXPECT_NE(readme.find("./scripts/live-emulator"), std::string::npos);
  EXPECT_TRUE(fs::exists(fs::path(NACRE_SOURCE_DIR) / "scripts/live-emulator"));
}

}  // namespace
