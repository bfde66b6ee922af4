// Builds an NseCalendar from a TOML table, so holidays files, extra holidays and special
// sessions are configuration, not code. Shape (every key optional):
//
//   holiday_files = ["../shared/data/real/nse_fo_holidays_2024.csv"]  # relative to base_dir
//   holidays = ["2024-01-22"]                  # YYYY-MM-DD or DD-Mon-YYYY
//   normal_open = "09:15"                      # the regular session, HH:MM IST
//   normal_close = "15:30"
//   [[special_sessions]]                       # one table per segment
//   date = "2024-03-02"
//   open = "09:15"
//   close = "10:00"
//   name = "DR drill"                        # optional: names the session in rejections
//
// Errors are ConfigError naming the file, line and key (see common/config.h); a bad holiday
// file line is reported as "{holiday file}:{line}: ..." after the config location.
#pragma once

#include <string>

#include "common/config.h"
#include "common/params.h"
#include "nse/calendar.h"

namespace nacre {

// The keys of the calendar table and of each [[special_sessions]] table: LoadNseCalendar
// checks against them, docs/config.md prints them. `section` names the table in the docs
// ("[calendar]").
ParamSchema NseCalendarSchema(const std::string& section);
ParamSchema SpecialSessionSchema(const std::string& section);

NseCalendar LoadNseCalendar(const ConfigTable& table, const std::string& base_dir);

}  // namespace nacre
