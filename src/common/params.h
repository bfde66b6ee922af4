// Parameter schemas: one declarative list of the keys a config table accepts (a strategy's or
// actor's parameters, or a section of the backtest config): name, type, default, allowed range
// or choices and a one-line description. The same list
//   - checks a table before anything is read (`Params`: unknown keys, refused with the known
//     ones listed; removed keys, with what replaced them; wrong types; NaN and infinities;
//     values out of range or not among the choices; missing required keys),
//   - supplies the defaults (a getter of a key that was not given returns the schema's
//     default), and
//   - is printed by `nacre components` and in docs/config.md (common/param_docs.h),
// so the documentation and the checks cannot drift apart. A getter of a key the schema does
// not declare, or with another type, is a programming error (std::logic_error), which the
// tests that load every component catch. Cross-field rules (slow_period > fast_period) stay
// with the code that reads the values, using Params::Fail.
// Config-time only; not thread-safe (like ConfigTable).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/config.h"

namespace nacre {

enum class ParamType {
  kInt,           // TOML integer (int64)
  kNumber,        // TOML integer or float, finite (double)
  kDecimal,       // exact decimal, "0.05" or 0.05 (Price)
  kMoney,         // exact rupees and paise, "400000.00" (Money)
  kBool,          // true / false
  kString,        // text; with choices, one of them
  kStringList,    // array of strings; with choices, each one of them
  kIntList,       // array of integers; the range applies to each
  kStringOrList,  // one string or an array of strings
  kTime,          // "2024-01-01T09:15:00+05:30", a TOML date-time or a date
  kTable,         // a sub-table ([section.key]); its own schema checks it
  kTableList,     // an array of tables ([[section.key]]); its own schema checks each
};

// "integer", "decimal", ... as printed in the docs.
std::string_view ParamTypeName(ParamType type);

struct ParamBound {
  double value = 0;
  bool open = false;  // excluded from the range
};

// One key. Built with the named constructors and chained setters:
//   ParamSpec::Int("fast_period", 10).Range(1, 1'000'000).Doc("bars in the fast average")
struct ParamSpec {
  using Value = std::variant<std::monostate, std::int64_t, double, bool, std::string,
                             std::vector<std::string>, std::vector<std::int64_t>>;

  std::string key;
  ParamType type = ParamType::kString;
  Value def;                 // std::monostate: no default (optional or required)
  std::string default_note;  // shown instead of `def` when the default is computed
  bool required = false;
  std::optional<ParamBound> min;
  std::optional<ParamBound> max;
  std::vector<std::string> choices;
  std::string doc;
  std::string removed;  // non-empty: no longer accepted; says what to use instead
  // Non-empty: the key applies only when the schema's variant key has one of these values
  // (e.g. an NSE venue's keys only with model = "nse"); given otherwise, it is refused.
  std::vector<std::string> only;

  static ParamSpec Int(std::string key, std::optional<std::int64_t> def = std::nullopt);
  static ParamSpec Number(std::string key, std::optional<double> def = std::nullopt);
  // Decimal and money defaults are written as exact decimal text ("0.1", "400000").
  static ParamSpec Decimal(std::string key, std::string def = "");
  static ParamSpec Money(std::string key, std::string def = "");
  static ParamSpec Bool(std::string key, bool def);
  static ParamSpec String(std::string key, std::optional<std::string> def = std::nullopt);
  static ParamSpec Choice(std::string key, std::string def, std::vector<std::string> choices);
  static ParamSpec StringList(std::string key, std::vector<std::string> def = {});
  static ParamSpec IntList(std::string key, std::vector<std::int64_t> def = {});
  static ParamSpec StringOrList(std::string key);
  static ParamSpec Time(std::string key);
  static ParamSpec Table(std::string key);
  static ParamSpec TableList(std::string key);
  // A key that used to exist: giving it is refused with `why`.
  static ParamSpec Removed(std::string key, std::string why);

  ParamSpec Required() const;
  ParamSpec Range(double lo, double hi) const;  // [lo, hi]
  ParamSpec AtLeast(double lo) const;           // [lo, ∞)
  ParamSpec Above(double lo) const;             // (lo, ∞)
  ParamSpec AtMost(double hi) const;            // upper bound included
  ParamSpec Below(double hi) const;             // upper bound excluded
  ParamSpec Choices(std::vector<std::string> allowed) const;
  ParamSpec Doc(std::string text) const;
  ParamSpec DefaultNote(std::string text) const;
  ParamSpec Only(std::vector<std::string> variants) const;

  bool has_default() const { return !std::holds_alternative<std::monostate>(def); }
  // The default as written in the docs ("10", "0.1", "\"nse\"", "[50, 75]"), the note when
  // the default is computed, "required", or "" when the key is optional without one.
  std::string DefaultText() const;
  // "[1, 86400]", "≥ 1", "> 0", "[0, 0.5)", "nse | max_loss", or "".
  std::string AllowedText() const;
  // The description, with "(only with kind = future or option)" when the key is a variant's.
  std::string DocText(const std::string& variant_key) const;
};

// The keys of one component or config section, in the order the docs list them.
struct ParamSchema {
  ParamSchema() = default;
  ParamSchema(std::string schema_name, std::string one_line, std::vector<ParamSpec> specs,
              std::string variant = "")
      : name(std::move(schema_name)),
        summary(std::move(one_line)),
        params(std::move(specs)),
        variant_key(std::move(variant)) {}

  std::string name;     // "SmaCross", "[engine]"
  std::string summary;  // one line: what it is
  std::vector<ParamSpec> params;
  // The key whose value selects which `only` keys apply ("kind", "model"), or "".
  std::string variant_key;

  // The accepted (not removed) spec of `key`, or nullptr.
  const ParamSpec* Find(std::string_view key) const;
  // Accepted keys in declaration order.
  std::vector<std::string> Keys() const;
};

// A config table checked against its schema. Construction checks every key; getters return
// the given value or the schema's default.
class Params {
 public:
  // Throws ConfigError (file:line, key path, reason) for the first key at fault.
  Params(const ConfigTable& table, ParamSchema schema);

  // True when the key was given in the table.
  bool Has(const std::string& key) const;
  std::int64_t GetInt(const std::string& key) const;
  // The key's declared range must lie within int's (checked: a logic error otherwise).
  int GetInt32(const std::string& key) const;
  double GetNumber(const std::string& key) const;
  Price GetDecimal(const std::string& key) const;
  Money GetMoney(const std::string& key) const;
  bool GetBool(const std::string& key) const;
  std::string GetString(const std::string& key) const;
  std::vector<std::string> GetStrings(const std::string& key) const;
  std::vector<std::int64_t> GetInts(const std::string& key) const;
  UnixNanos GetTime(const std::string& key, DurationNs default_offset) const;
  UnixNanos GetEndTime(const std::string& key, DurationNs default_offset) const;
  ConfigTable GetTable(const std::string& key) const;
  std::vector<ConfigTable> GetTableList(const std::string& key) const;

  [[noreturn]] void Fail(const std::string& key, const std::string& message) const {
    table_.Fail(key, message);
  }
  const ConfigTable& table() const { return table_; }
  const ParamSchema& schema() const { return schema_; }

 private:
  const ParamSpec& Spec(const std::string& key, ParamType type) const;
  void Check(const ParamSpec& spec, const std::string& key) const;
  void CheckRange(const ParamSpec& spec, const std::string& key, double value,
                  const std::string& shown) const;

  const ConfigTable& table_;
  ParamSchema schema_;
};

}  // namespace nacre
