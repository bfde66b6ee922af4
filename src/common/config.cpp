#include "common/config.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>

namespace nacre {

namespace {

std::string TypeName(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    default:
      return "value";
  }
}

}  // namespace

ConfigTable::ConfigTable(const toml::table& table, std::string file, std::string path)
    : table_(table), file_(std::move(file)), path_(std::move(path)) {}

std::shared_ptr<toml::table> ConfigTable::ParseFile(const std::string& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) {
    throw ConfigError(fmt::format("{}: is a directory, not a config file", file));
  }
  if (!std::filesystem::exists(file, ec)) throw ConfigError(fmt::format("{}: file not found", file));
  try {
    return std::make_shared<toml::table>(toml::parse_file(file));
  } catch (const toml::parse_error& e) {
    if (e.source().begin.line == 0) throw ConfigError(fmt::format("{}: {}", file, e.description()));
    throw ConfigError(fmt::format("{}:{}:{}: {}", file, e.source().begin.line,
                                  e.source().begin.column, e.description()));
  }
}

std::shared_ptr<toml::table> ConfigTable::ParseString(std::string_view text,
                                                      const std::string& name) {
  try {
    return std::make_shared<toml::table>(toml::parse(text, name));
  } catch (const toml::parse_error& e) {
    throw ConfigError(fmt::format("{}:{}:{}: {}", name, e.source().begin.line,
                                  e.source().begin.column, e.description()));
  }
}

std::string ConfigTable::KeyPath(const std::string& key) const {
  if (path_.empty()) return key;
  return key.empty() ? path_ : path_ + "." + key;
}

std::string ConfigTable::Where(const std::string& key) const {
  const toml::node* n = key.empty() ? static_cast<const toml::node*>(&table_) : Find(key);
  if (n == nullptr) n = &table_;
  const auto line = n->source().begin.line;
  if (line == 0) return file_;
  return fmt::format("{}:{}", file_, line);
}

void ConfigTable::Fail(const std::string& key, const std::string& message) const {
  throw ConfigError(fmt::format("{}: '{}': {}", Where(key), KeyPath(key), message));
}

const toml::node* ConfigTable::Find(const std::string& key) const { return table_.get(key); }

bool ConfigTable::Has(const std::string& key) const {
  used_.insert(key);
  return Find(key) != nullptr;
}

const toml::node& ConfigTable::Node(const std::string& key) const {
  used_.insert(key);
  const toml::node* n = Find(key);
  if (n == nullptr) {
    throw ConfigError(fmt::format("{}: missing required key '{}'", Where(), KeyPath(key)));
  }
  return *n;
}

std::string ConfigTable::GetString(const std::string& key) const {
  const toml::node& n = Node(key);
  if (!n.is_string()) Fail(key, fmt::format("expected a string, got {}", TypeName(n)));
  return std::string(*n.value<std::string_view>());
}

std::string ConfigTable::GetString(const std::string& key, const std::string& def) const {
  return Has(key) ? GetString(key) : def;
}

std::int64_t ConfigTable::GetInt(const std::string& key) const {
  const toml::node& n = Node(key);
  if (!n.is_integer()) Fail(key, fmt::format("expected an integer, got {}", TypeName(n)));
  return *n.value<std::int64_t>();
}

std::int64_t ConfigTable::GetInt(const std::string& key, std::int64_t def) const {
  return Has(key) ? GetInt(key) : def;
}

double ConfigTable::GetDouble(const std::string& key, double def) const {
  if (!Has(key)) return def;
  const toml::node& n = Node(key);
  if (!n.is_number()) Fail(key, fmt::format("expected a number, got {}", TypeName(n)));
  const double v = *n.value<double>();
  if (!std::isfinite(v)) Fail(key, fmt::format("must be a finite number, got {}", v));
  return v;
}

std::int64_t ConfigTable::GetIntIn(const std::string& key, std::int64_t def, std::int64_t min,
                                   std::int64_t max) const {
  const std::int64_t v = GetInt(key, def);
  if (v < min || v > max) {
    Fail(key, fmt::format("must be between {} and {}, got {}", min, max, v));
  }
  return v;
}

bool ConfigTable::GetBool(const std::string& key, bool def) const {
  if (!Has(key)) return def;
  const toml::node& n = Node(key);
  if (!n.is_boolean()) Fail(key, fmt::format("expected true or false, got {}", TypeName(n)));
  return *n.value<bool>();
}

namespace {

std::string DecimalText(const ConfigTable& t, const std::string& key, const toml::node& n) {
  if (n.is_string()) return std::string(*n.value<std::string_view>());
  if (n.is_integer()) return std::to_string(*n.value<std::int64_t>());
  if (n.is_floating_point()) {
    // Shortest round-trip representation of the written number, in plain decimal notation:
    // the default shortest form would turn 10000000.0 into "1e+07", which no decimal parser
    // here accepts.
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof(buf), *n.value<double>(), std::chars_format::fixed);
    if (r.ec != std::errc()) t.Fail(key, "decimal number out of range");
    return std::string(buf, r.ptr);
  }
  t.Fail(key, fmt::format("expected a decimal number or string, got {}", TypeName(n)));
}

}  // namespace

Price ConfigTable::GetPrice(const std::string& key) const {
  const toml::node& n = Node(key);
  auto p = Price::Parse(DecimalText(*this, key, n));
  if (!p) Fail(key, p.error());
  return *p;
}

Money ConfigTable::GetMoney(const std::string& key) const {
  const toml::node& n = Node(key);
  auto m = Money::Parse(DecimalText(*this, key, n));
  if (!m) Fail(key, m.error());
  return *m;
}

std::optional<Money> ConfigTable::GetOptionalMoney(const std::string& key) const {
  if (!Has(key)) return std::nullopt;
  return GetMoney(key);
}

UnixNanos ConfigTable::GetEndTime(const std::string& key, DurationNs default_offset) const {
  const toml::node& n = Node(key);
  const bool date_only =
      n.is_date() || (n.is_string() && !ParseDateTime(*n.value<std::string_view>(), default_offset) &&
                      ParseDate(*n.value<std::string_view>()));
  const UnixNanos t = GetTime(key, default_offset);
  return date_only ? t + kNanosPerDay - 1 : t;
}

UnixNanos ConfigTable::GetTime(const std::string& key, DurationNs default_offset) const {
  const toml::node& n = Node(key);
  if (n.is_string()) {
    auto t = ParseDateTime(*n.value<std::string_view>(), default_offset);
    if (!t) {
      auto d = ParseDate(*n.value<std::string_view>());
      if (!d) Fail(key, t.error());
      return FromUtc(CivilDateTime{*d, 0, 0, 0, 0}) - default_offset;
    }
    return *t;
  }
  if (n.is_date()) {
    const toml::date d = *n.value<toml::date>();
    return FromUtc(CivilDateTime{{d.year, d.month, d.day}, 0, 0, 0, 0}) - default_offset;
  }
  if (n.is_date_time()) {
    const toml::date_time dt = *n.value<toml::date_time>();
    CivilDateTime c{{dt.date.year, dt.date.month, dt.date.day},
                    dt.time.hour,
                    dt.time.minute,
                    dt.time.second,
                    dt.time.nanosecond};
    const DurationNs off =
        dt.offset ? static_cast<DurationNs>(dt.offset->minutes) * kNanosPerMinute : default_offset;
    return FromUtc(c) - off;
  }
  Fail(key, fmt::format("expected a date or date-time, got {}", TypeName(n)));
}

std::vector<std::string> ConfigTable::GetStringArray(const std::string& key) const {
  std::vector<std::string> out;
  if (!Has(key)) return out;
  const toml::node& n = Node(key);
  const toml::array* arr = n.as_array();
  if (arr == nullptr) Fail(key, fmt::format("expected an array of strings, got {}", TypeName(n)));
  for (const toml::node& item : *arr) {
    if (!item.is_string()) Fail(key, "expected an array of strings");
    out.emplace_back(*item.value<std::string_view>());
  }
  return out;
}

std::vector<std::int64_t> ConfigTable::GetIntArray(const std::string& key) const {
  std::vector<std::int64_t> out;
  if (!Has(key)) return out;
  const toml::node& n = Node(key);
  const toml::array* arr = n.as_array();
  if (arr == nullptr) Fail(key, fmt::format("expected an array of integers, got {}", TypeName(n)));
  for (const toml::node& item : *arr) {
    if (!item.is_integer()) Fail(key, fmt::format("expected integers, got {}", TypeName(item)));
    out.push_back(*item.value<std::int64_t>());
  }
  return out;
}

ConfigTable ConfigTable::GetTable(const std::string& key) const {
  const toml::node& n = Node(key);
  const toml::table* t = n.as_table();
  if (t == nullptr) Fail(key, fmt::format("expected a table, got {}", TypeName(n)));
  return ConfigTable(*t, file_, KeyPath(key));
}

std::optional<ConfigTable> ConfigTable::GetOptionalTable(const std::string& key) const {
  if (!Has(key)) return std::nullopt;
  return GetTable(key);
}

std::vector<ConfigTable> ConfigTable::GetTableArray(const std::string& key) const {
  std::vector<ConfigTable> out;
  if (!Has(key)) return out;
  const toml::node& n = Node(key);
  const toml::array* arr = n.as_array();
  if (arr == nullptr)
    Fail(key, fmt::format("expected an array of tables ([[{}]]), got {}", key, TypeName(n)));
  std::size_t i = 0;
  for (const toml::node& item : *arr) {
    const toml::table* t = item.as_table();
    if (t == nullptr) Fail(key, fmt::format("element {} is not a table", i));
    out.emplace_back(*t, file_, fmt::format("{}[{}]", KeyPath(key), i));
    ++i;
  }
  return out;
}

void ConfigTable::Finish() const {
  for (const auto& [k, v] : table_) {
    const std::string key(k.str());
    if (!used_.count(key)) {
      throw ConfigError(
          fmt::format("{}:{}: unknown key '{}'", file_, k.source().begin.line, KeyPath(key)));
    }
  }
}

Result<DurationNs> ParseDuration(std::string_view text) {
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || n < 0) {
    return MakeError(fmt::format("invalid duration '{}': expected e.g. 500ms, 2s, 1m, 1h", text));
  }
  const std::string_view unit(ptr, static_cast<std::size_t>(text.data() + text.size() - ptr));
  struct Unit {
    std::string_view name;
    DurationNs scale;
  };
  static constexpr Unit kUnits[] = {
      {"", 1},
      {"ns", 1},
      {"us", kNanosPerMicro},
      {"ms", kNanosPerMilli},
      {"s", kNanosPerSecond},
      {"m", kNanosPerMinute},
      {"min", kNanosPerMinute},
      {"h", kNanosPerHour},
      {"d", kNanosPerDay},
  };
  DurationNs scale = 0;
  for (const Unit& u : kUnits) {
    if (u.name == unit) scale = u.scale;
  }
  if (scale == 0) {
    return MakeError(fmt::format("invalid duration '{}': unknown unit '{}'", text, unit));
  }
  if (n > std::numeric_limits<DurationNs>::max() / scale) {
    return MakeError(fmt::format("invalid duration '{}': out of range", text));
  }
  return n * scale;
}

}  // namespace nacre
