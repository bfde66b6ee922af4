#include "nse/calendar_config.h"

#include <fmt/format.h>

#include <filesystem>
#include <optional>

namespace nacre {

namespace {

Result<CivilDate> ParseAnyDate(std::string_view text) {
  if (auto d = ParseDate(text); d) return d;
  if (auto d = ParseDdMonYyyy(text); d) return d;
  return MakeError(fmt::format("invalid date '{}' (expected YYYY-MM-DD or DD-Mon-YYYY)", text));
}

// The key's HH:MM, or `def` when it is not given and has no default in the schema.
int MinuteOf(const Params& t, const std::string& key, std::optional<int> def) {
  if (def && !t.Has(key)) return *def;
  auto m = ParseMinuteOfDay(t.GetString(key));
  if (!m) t.Fail(key, m.error());
  return *m;
}

}  // namespace

ParamSchema NseCalendarSchema(const std::string& section) {
  using P = ParamSpec;
  return {section,
          "NSE trading days and session hours (optional): orders outside them are refused by "
          "the risk engine and the NSE venue; DAY orders expire at the day's close",
          {
              P::StringList("holiday_files")
                  .Doc("NSE holiday lists, one date a line (e.g. "
                       "../shared/data/real/nse_fo_holidays_2024.csv)"),
              P::StringList("holidays").Doc("more holidays, YYYY-MM-DD or DD-Mon-YYYY"),
              P::String("normal_open", "09:15").Doc("HH:MM IST: the regular session opens"),
              P::String("normal_close", "15:30").Doc("HH:MM IST: the regular session closes"),
              P::TableList("special_sessions")
                  .Doc(fmt::format("[[{}.special_sessions]]: sessions on other days or hours "
                                   "(see below)",
                                   section.substr(1, section.size() - 2))),
          }};
}

ParamSchema SpecialSessionSchema(const std::string& section) {
  using P = ParamSpec;
  return {section,
          "one special session (e.g. Muhurat trading, a Saturday drill); one table per segment",
          {
              P::String("date").Required().Doc("YYYY-MM-DD or DD-Mon-YYYY"),
              P::String("open").DefaultNote("normal_open").Doc("HH:MM IST"),
              P::String("close").DefaultNote("normal_close").Doc("HH:MM IST"),
              P::String("name", "").Doc("names the session in rejections"),
          }};
}

NseCalendar LoadNseCalendar(const ConfigTable& config, const std::string& base_dir) {
  const Params table(config, NseCalendarSchema("[calendar]"));
  SessionHours normal;
  normal.open_minute = MinuteOf(table, "normal_open", std::nullopt);
  normal.close_minute = MinuteOf(table, "normal_close", std::nullopt);
  if (normal.open_minute >= normal.close_minute)
    table.Fail("normal_close", "the normal session must close after it opens");
  NseCalendar calendar(normal);

  for (const std::string& file : table.GetStrings("holiday_files")) {
    std::filesystem::path path(file);
    if (!path.is_absolute() && !base_dir.empty()) path = std::filesystem::path(base_dir) / path;
    if (Status s = calendar.LoadHolidayFile(path.lexically_normal().string()); !s)
      table.Fail("holiday_files", s.error());
  }
  for (const std::string& text : table.GetStrings("holidays")) {
    auto d = ParseAnyDate(text);
    if (!d) table.Fail("holidays", d.error());
    calendar.AddHoliday(*d);
  }
  for (const ConfigTable& session : table.GetTableList("special_sessions")) {
    const Params s(session, SpecialSessionSchema("[[calendar.special_sessions]]"));
    auto d = ParseAnyDate(s.GetString("date"));
    if (!d) s.Fail("date", d.error());
    const SessionHours hours{MinuteOf(s, "open", normal.open_minute),
                             MinuteOf(s, "close", normal.close_minute)};
    if (Status st = calendar.AddSpecialSession(*d, hours, s.GetString("name")); !st) {
      s.Fail("date", st.error());
    }
    session.Finish();
  }
  config.Finish();
  return calendar;
}

}  // namespace nacre
