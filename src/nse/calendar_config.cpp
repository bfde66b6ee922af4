#include "nse/calendar_config.h"

#include <fmt/format.h>

#include <filesystem>

namespace nacre {

namespace {

Result<CivilDate> ParseAnyDate(std::string_view text) {
  if (auto d = ParseDate(text); d) return d;
  if (auto d = ParseDdMonYyyy(text); d) return d;
  return MakeError(fmt::format("invalid date '{}' (expected YYYY-MM-DD or DD-Mon-YYYY)", text));
}

int MinuteOf(const ConfigTable& t, const std::string& key, int def) {
  if (!t.Has(key)) return def;
  auto m = ParseMinuteOfDay(t.GetString(key));
  if (!m) t.Fail(key, m.error());
  return *m;
}

}  // namespace

NseCalendar LoadNseCalendar(const ConfigTable& table, const std::string& base_dir) {
  SessionHours normal;
  normal.open_minute = MinuteOf(table, "normal_open", normal.open_minute);
  normal.close_minute = MinuteOf(table, "normal_close", normal.close_minute);
  if (normal.open_minute >= normal.close_minute)
    table.Fail("normal_close", "the normal session must close after it opens");
  NseCalendar calendar(normal);

  for (const std::string& file : table.GetStringArray("holiday_files")) {
    std::filesystem::path path(file);
    if (!path.is_absolute() && !base_dir.empty()) path = std::filesystem::path(base_dir) / path;
    if (Status s = calendar.LoadHolidayFile(path.lexically_normal().string()); !s)
      table.Fail("holiday_files", s.error());
  }
  for (const std::string& text : table.GetStringArray("holidays")) {
    auto d = ParseAnyDate(text);
    if (!d) table.Fail("holidays", d.error());
    calendar.AddHoliday(*d);
  }
  for (const ConfigTable& s : table.GetTableArray("special_sessions")) {
    auto d = ParseAnyDate(s.GetString("date"));
    if (!d) s.Fail("date", d.error());
    const SessionHours hours{MinuteOf(s, "open", normal.open_minute),
                             MinuteOf(s, "close", normal.close_minute)};
    if (Status st = calendar.AddSpecialSession(*d, hours, s.GetString("name", "")); !st) {
      s.Fail("date", st.error());
    }
    s.Finish();
  }
  table.Finish();
  return calendar;
}

}  // namespace nacre
