// Config: a checked view of a TOML table. Every accessor records the key it read, and
// Finish() rejects any key nobody read, so a misspelt or unknown key is an error naming the
// file, line and key. Wrong types and bad values are errors naming the same. Errors are
// thrown as ConfigError: config is read at the edge, before the kernel runs, and the CLI
// turns the exception into one clear message.
#pragma once

#include <toml++/toml.h>

#include <memory>
#include <limits>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/time.h"
#include "model/money.h"

namespace nacre {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ConfigTable {
 public:
  // `path` names the table for messages ("" for the root, "strategies[0]" ...).
  ConfigTable(const toml::table& table, std::string file, std::string path);
  // Parses a TOML file; syntax errors become ConfigError with line and column.
  static std::shared_ptr<toml::table> ParseFile(const std::string& file);
  static std::shared_ptr<toml::table> ParseString(std::string_view text, const std::string& name);

  bool Has(const std::string& key) const;
  std::string GetString(const std::string& key) const;
  std::string GetString(const std::string& key, const std::string& def) const;
  std::int64_t GetInt(const std::string& key) const;
  std::int64_t GetInt(const std::string& key, std::int64_t def) const;
  // A number; NaN and infinities are refused with the key (no setting means them).
  double GetDouble(const std::string& key, double def) const;
  // An integer that must lie in [min, max]: a value outside is refused with the key and the
  // range, never wrapped or clamped.
  std::int64_t GetIntIn(const std::string& key, std::int64_t def, std::int64_t min,
                        std::int64_t max) const;
  // An integer stored as `int`: refused when it does not fit (4294967297 never becomes 1).
  int GetInt32(const std::string& key, int def) const {
    return static_cast<int>(
        GetIntIn(key, def, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
  }
  bool GetBool(const std::string& key, bool def) const;
  // Decimal values may be written as TOML strings ("0.05") or numbers; strings are exact.
  Price GetPrice(const std::string& key) const;
  Money GetMoney(const std::string& key) const;
  std::optional<Money> GetOptionalMoney(const std::string& key) const;
  // "2024-01-01T09:15:00+05:30", TOML date-times, or TOML dates.
  UnixNanos GetTime(const std::string& key, DurationNs default_offset) const;
  // As GetTime, for the inclusive end of a range: a date alone means through that whole day
  // (its last nanosecond in the default zone), as a trader writing end = 2025-03-31 means.
  UnixNanos GetEndTime(const std::string& key, DurationNs default_offset) const;
  std::vector<std::string> GetStringArray(const std::string& key) const;
  std::vector<std::int64_t> GetIntArray(const std::string& key) const;

  ConfigTable GetTable(const std::string& key) const;
  std::optional<ConfigTable> GetOptionalTable(const std::string& key) const;
  std::vector<ConfigTable> GetTableArray(const std::string& key) const;

  // Throws if any key was never read.
  void Finish() const;
  // "file:line" of the table or key.
  std::string Where(const std::string& key = "") const;
  std::string KeyPath(const std::string& key) const;
  // "file:line: 'path.key'" (Where and KeyPath), for messages about a key after loading.
  std::string Locate(const std::string& key) const {
    return Where(key) + ": '" + KeyPath(key) + "'";
  }
  const std::string& file() const { return file_; }
  const toml::table& raw() const { return table_; }
  [[noreturn]] void Fail(const std::string& key, const std::string& message) const;

 private:
  const toml::node& Node(const std::string& key) const;
  const toml::node* Find(const std::string& key) const;

  const toml::table& table_;
  std::string file_;
  std::string path_;
  mutable std::set<std::string> used_;
};

// Parses durations like "500ms", "2s", "1m", "1h", "1d", or an integer of nanoseconds.
Result<DurationNs> ParseDuration(std::string_view text);

}  // namespace nacre
