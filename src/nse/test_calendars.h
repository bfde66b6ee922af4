// Test-only helpers for the nse tests (needs NACRE_SOURCE_DIR, defined for nacre_nse_tests):
// a calendar read from the shared NSE holiday files, which are never copied into the project,
// and small inline holiday lists for tests that must run without them.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>

#include "nse/calendar.h"

namespace nacre::nse_test {

inline std::filesystem::path RealDataDir() {
  return std::filesystem::path(NACRE_SOURCE_DIR) / ".." / "shared" / "data" / "real";
}

inline std::string HolidayFile(int year) {
  return (RealDataDir() / ("nse_fo_holidays_" + std::to_string(year) + ".csv"))
      .lexically_normal()
      .string();
}

inline bool RealHolidayFilesPresent() {
  for (int y : {2024, 2025, 2026}) {
    if (!std::filesystem::exists(HolidayFile(y))) return false;
  }
  return true;
}

// The 2024-2026 holiday files loaded; a load failure is a test failure.
inline NseCalendar RealCalendar() {
  NseCalendar cal;
  for (int y : {2024, 2025, 2026}) {
    const Status s = cal.LoadHolidayFile(HolidayFile(y));
    EXPECT_TRUE(s.ok()) << s.error();
  }
  return cal;
}

// A calendar from inline DD-Mon-YYYY lines.
inline NseCalendar InlineCalendar(std::string_view lines) {
  NseCalendar cal;
  const Status s = cal.LoadHolidays(lines, "inline");
  EXPECT_TRUE(s.ok()) << s.error();
  return cal;
}

}  // namespace nacre::nse_test

#define NSE_SKIP_WITHOUT_REAL_HOLIDAYS()                                                        \
  do {                                                                                          \
    if (!::nacre::nse_test::RealHolidayFilesPresent())                                          \
      GTEST_SKIP() << "shared NSE holiday files not found under "                               \
                   << ::nacre::nse_test::RealDataDir().lexically_normal().string()              \
                   << " (nse_fo_holidays_{2024,2025,2026}.csv); this test reads the real data"; \
  } while (0)
