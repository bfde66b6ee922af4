#include "common/params.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace nacre {

std::string_view ParamTypeName(ParamType type) {
  switch (type) {
    case ParamType::kInt:
      return "integer";
    case ParamType::kNumber:
      return "number";
    case ParamType::kDecimal:
      return "decimal";
    case ParamType::kMoney:
      return "money";
    case ParamType::kBool:
      return "boolean";
    case ParamType::kString:
      return "string";
    case ParamType::kStringList:
      return "list of strings";
    case ParamType::kIntList:
      return "list of integers";
    case ParamType::kStringOrList:
      return "string or list of strings";
    case ParamType::kTime:
      return "date-time";
    case ParamType::kTable:
      return "table";
    case ParamType::kTableList:
      return "array of tables";
  }
  return "value";
}

namespace {

ParamSpec Make(std::string key, ParamType type, ParamSpec::Value def) {
  ParamSpec s;
  s.key = std::move(key);
  s.type = type;
  s.def = std::move(def);
  return s;
}

// Bounds print as written: 86400, 0.5, 1e+06 never appears for the integers used here.
std::string Num(double v) { return fmt::format("{}", v); }

std::string Quoted(const std::string& s) { return fmt::format("\"{}\"", s); }

}  // namespace

ParamSpec ParamSpec::Int(std::string key, std::optional<std::int64_t> def) {
  return Make(std::move(key), ParamType::kInt, def ? Value(*def) : Value(std::monostate{}));
}

ParamSpec ParamSpec::Number(std::string key, std::optional<double> def) {
  return Make(std::move(key), ParamType::kNumber, def ? Value(*def) : Value(std::monostate{}));
}

ParamSpec ParamSpec::Decimal(std::string key, std::string def) {
  return Make(std::move(key), ParamType::kDecimal,
              def.empty() ? Value(std::monostate{}) : Value(std::move(def)));
}

ParamSpec ParamSpec::Money(std::string key, std::string def) {
  return Make(std::move(key), ParamType::kMoney,
              def.empty() ? Value(std::monostate{}) : Value(std::move(def)));
}

ParamSpec ParamSpec::Bool(std::string key, bool def) {
  return Make(std::move(key), ParamType::kBool, Value(def));
}

ParamSpec ParamSpec::String(std::string key, std::optional<std::string> def) {
  return Make(std::move(key), ParamType::kString,
              def ? Value(std::move(*def)) : Value(std::monostate{}));
}

ParamSpec ParamSpec::Choice(std::string key, std::string def, std::vector<std::string> choices) {
  ParamSpec s = Make(std::move(key), ParamType::kString, Value(std::move(def)));
  s.choices = std::move(choices);
  return s;
}

ParamSpec ParamSpec::StringList(std::string key, std::vector<std::string> def) {
  return Make(std::move(key), ParamType::kStringList,
              def.empty() ? Value(std::monostate{}) : Value(std::move(def)));
}

ParamSpec ParamSpec::IntList(std::string key, std::vector<std::int64_t> def) {
  return Make(std::move(key), ParamType::kIntList,
              def.empty() ? Value(std::monostate{}) : Value(std::move(def)));
}

ParamSpec ParamSpec::StringOrList(std::string key) {
  return Make(std::move(key), ParamType::kStringOrList, Value(std::monostate{}));
}

ParamSpec ParamSpec::Time(std::string key) {
  return Make(std::move(key), ParamType::kTime, Value(std::monostate{}));
}

ParamSpec ParamSpec::Table(std::string key) {
  return Make(std::move(key), ParamType::kTable, Value(std::monostate{}));
}

ParamSpec ParamSpec::TableList(std::string key) {
  return Make(std::move(key), ParamType::kTableList, Value(std::monostate{}));
}

ParamSpec ParamSpec::Removed(std::string key, std::string why) {
  ParamSpec s = Make(std::move(key), ParamType::kString, Value(std::monostate{}));
  s.removed = std::move(why);
  return s;
}

ParamSpec ParamSpec::Required() const {
  ParamSpec s = *this;
  s.required = true;
  return s;
}

ParamSpec ParamSpec::Range(double lo, double hi) const {
  ParamSpec s = *this;
  s.min = ParamBound{lo, false};
  s.max = ParamBound{hi, false};
  return s;
}

ParamSpec ParamSpec::AtLeast(double lo) const {
  ParamSpec s = *this;
  s.min = ParamBound{lo, false};
  return s;
}

ParamSpec ParamSpec::Above(double lo) const {
  ParamSpec s = *this;
  s.min = ParamBound{lo, true};
  return s;
}

ParamSpec ParamSpec::AtMost(double hi) const {
  ParamSpec s = *this;
  s.max = ParamBound{hi, false};
  return s;
}

ParamSpec ParamSpec::Below(double hi) const {
  ParamSpec s = *this;
  s.max = ParamBound{hi, true};
  return s;
}

ParamSpec ParamSpec::Choices(std::vector<std::string> allowed) const {
  ParamSpec s = *this;
  s.choices = std::move(allowed);
  return s;
}

ParamSpec ParamSpec::Doc(std::string text) const {
  ParamSpec s = *this;
  s.doc = std::move(text);
  return s;
}

ParamSpec ParamSpec::DefaultNote(std::string text) const {
  ParamSpec s = *this;
  s.default_note = std::move(text);
  return s;
}

ParamSpec ParamSpec::Only(std::vector<std::string> variants) const {
  ParamSpec s = *this;
  s.only = std::move(variants);
  return s;
}

std::string ParamSpec::DocText(const std::string& variant_key) const {
  if (only.empty()) return doc;
  const std::string when = fmt::format("(only with {} = {})", variant_key, fmt::join(only, " or "));
  return doc.empty() ? when : doc + " " + when;
}

std::string ParamSpec::DefaultText() const {
  if (!default_note.empty()) return default_note;
  if (required) return "required";
  struct Show {
    const ParamSpec& spec;
    std::string operator()(std::monostate) const { return ""; }
    std::string operator()(std::int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return Num(v); }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(const std::string& v) const {
      // Decimals and money are numbers in the docs; text is quoted as TOML writes it.
      if (spec.type == ParamType::kDecimal || spec.type == ParamType::kMoney) return v;
      return Quoted(v);
    }
    std::string operator()(const std::vector<std::string>& v) const {
      std::vector<std::string> q;
      for (const std::string& s : v) q.push_back(Quoted(s));
      return fmt::format("[{}]", fmt::join(q, ", "));
    }
    std::string operator()(const std::vector<std::int64_t>& v) const {
      return fmt::format("[{}]", fmt::join(v, ", "));
    }
  };
  return std::visit(Show{*this}, def);
}

std::string ParamSpec::AllowedText() const {
  if (!choices.empty()) return fmt::format("{}", fmt::join(choices, " | "));
  if (min && max) {
    return fmt::format("{}{}, {}{}", min->open ? "(" : "[", Num(min->value), Num(max->value),
                       max->open ? ")" : "]");
  }
  if (min) return fmt::format("{} {}", min->open ? ">" : "≥", Num(min->value));
  if (max) return fmt::format("{} {}", max->open ? "<" : "≤", Num(max->value));
  return "";
}

const ParamSpec* ParamSchema::Find(std::string_view key) const {
  for (const ParamSpec& p : params) {
    if (p.key == key && p.removed.empty()) return &p;
  }
  return nullptr;
}

std::vector<std::string> ParamSchema::Keys() const {
  std::vector<std::string> out;
  for (const ParamSpec& p : params) {
    if (p.removed.empty()) out.push_back(p.key);
  }
  return out;
}

Params::Params(const ConfigTable& table, ParamSchema schema)
    : table_(table), schema_(std::move(schema)) {
  // Removed and unknown keys first, in the table's order, so a misspelling is named as such
  // rather than as a missing required key.
  for (const auto& [k, v] : table_.raw()) {
    const std::string key(k.str());
    for (const ParamSpec& p : schema_.params) {
      if (p.key == key && !p.removed.empty()) table_.Fail(key, p.removed);
    }
    if (schema_.Find(key) == nullptr) {
      throw ConfigError(fmt::format("{}:{}: unknown key '{}' (known: {})", table_.file(),
                                    k.source().begin.line, table_.KeyPath(key),
                                    fmt::join(schema_.Keys(), ", ")));
    }
  }
  for (const ParamSpec& p : schema_.params) {
    if (!p.removed.empty()) continue;
    if (table_.raw().contains(p.key)) {
      Check(p, p.key);
    } else if (p.required) {
      throw ConfigError(
          fmt::format("{}: missing required key '{}'", table_.Where(), table_.KeyPath(p.key)));
    }
  }
  if (schema_.variant_key.empty()) return;
  const ParamSpec* selector = schema_.Find(schema_.variant_key);
  std::string variant;
  if (table_.raw().contains(schema_.variant_key)) {
    variant = table_.GetString(schema_.variant_key);
  } else if (selector != nullptr && std::holds_alternative<std::string>(selector->def)) {
    variant = std::get<std::string>(selector->def);
  }
  for (const ParamSpec& p : schema_.params) {
    if (p.only.empty() || !table_.raw().contains(p.key)) continue;
    if (std::find(p.only.begin(), p.only.end(), variant) == p.only.end()) {
      table_.Fail(p.key, fmt::format("applies only with {} = {} (this table has {})",
                                     schema_.variant_key, fmt::join(p.only, " or "),
                                     variant.empty() ? "none" : "\"" + variant + "\""));
    }
  }
}

void Params::CheckRange(const ParamSpec& spec, const std::string& key, double value,
                        const std::string& shown) const {
  const bool low =
      spec.min && (spec.min->open ? !(value > spec.min->value) : !(value >= spec.min->value));
  const bool high =
      spec.max && (spec.max->open ? !(value < spec.max->value) : !(value <= spec.max->value));
  if (!low && !high) return;
  std::string want;
  if (spec.min && spec.max && !spec.min->open && !spec.max->open) {
    want = fmt::format("between {} and {}", Num(spec.min->value), Num(spec.max->value));
  } else {
    std::vector<std::string> parts;
    if (spec.min) {
      parts.push_back(
          fmt::format("{} {}", spec.min->open ? "above" : "at least", Num(spec.min->value)));
    }
    if (spec.max) {
      parts.push_back(
          fmt::format("{} {}", spec.max->open ? "below" : "at most", Num(spec.max->value)));
    }
    want = fmt::format("{}", fmt::join(parts, " and "));
  }
  table_.Fail(key, fmt::format("must be {}, got {}", want, shown));
}

void Params::Check(const ParamSpec& p, const std::string& key) const {
  switch (p.type) {
    case ParamType::kInt: {
      const std::int64_t v = table_.GetInt(key);
      CheckRange(p, key, static_cast<double>(v), std::to_string(v));
      break;
    }
    case ParamType::kNumber: {
      const double v = table_.GetDouble(key, 0);
      CheckRange(p, key, v, Num(v));
      break;
    }
    case ParamType::kDecimal: {
      const Price v = table_.GetPrice(key);
      CheckRange(p, key, v.AsDouble(), v.ToString());
      break;
    }
    case ParamType::kMoney: {
      const nacre::Money v = table_.GetMoney(key);
      CheckRange(p, key, v.AsDouble(), v.ToString());
      break;
    }
    case ParamType::kBool:
      (void)table_.GetBool(key, false);
      break;
    case ParamType::kString: {
      const std::string v = table_.GetString(key);
      if (!p.choices.empty() &&
          std::find(p.choices.begin(), p.choices.end(), v) == p.choices.end()) {
        table_.Fail(
            key, fmt::format("unknown value \"{}\" (expected {})", v, fmt::join(p.choices, ", ")));
      }
      break;
    }
    case ParamType::kStringList:
      for (const std::string& v : table_.GetStringArray(key)) {
        if (!p.choices.empty() &&
            std::find(p.choices.begin(), p.choices.end(), v) == p.choices.end()) {
          table_.Fail(key, fmt::format("unknown value \"{}\" (expected {})", v,
                                       fmt::join(p.choices, ", ")));
        }
      }
      break;
    case ParamType::kIntList:
      for (const std::int64_t v : table_.GetIntArray(key)) {
        CheckRange(p, key, static_cast<double>(v), std::to_string(v));
      }
      break;
    case ParamType::kStringOrList: {
      const toml::node* n = table_.raw().get(key);
      if (n != nullptr && n->is_string()) {
        (void)table_.GetString(key);
      } else {
        (void)table_.GetStringArray(key);
      }
      break;
    }
    case ParamType::kTime:
      (void)table_.GetTime(key, 0);
      break;
    case ParamType::kTable:
      (void)table_.GetTable(key);
      break;
    case ParamType::kTableList:
      (void)table_.GetTableArray(key);
      break;
  }
}

const ParamSpec& Params::Spec(const std::string& key, ParamType type) const {
  const ParamSpec* p = schema_.Find(key);
  if (p == nullptr) {
    throw std::logic_error(
        fmt::format("{}: '{}' is read but not declared in the schema", schema_.name, key));
  }
  if (p->type != type) {
    throw std::logic_error(fmt::format("{}: '{}' is declared as {} but read as {}", schema_.name,
                                       key, ParamTypeName(p->type), ParamTypeName(type)));
  }
  return *p;
}

bool Params::Has(const std::string& key) const {
  if (schema_.Find(key) == nullptr) {
    throw std::logic_error(
        fmt::format("{}: '{}' is tested but not declared in the schema", schema_.name, key));
  }
  return table_.Has(key);
}

namespace {

[[noreturn]] void NoDefault(const ConfigTable& t, const ParamSpec& p) {
  throw ConfigError(fmt::format("{}: missing required key '{}'", t.Where(), t.KeyPath(p.key)));
}

}  // namespace

std::int64_t Params::GetInt(const std::string& key) const {
  const ParamSpec& p = Spec(key, ParamType::kInt);
  if (table_.Has(key)) return table_.GetInt(key);
  if (const auto* d = std::get_if<std::int64_t>(&p.def)) return *d;
  NoDefault(table_, p);
}

int Params::GetInt32(const std::string& key) const {
  const ParamSpec& p = Spec(key, ParamType::kInt);
  constexpr double kMin = std::numeric_limits<int>::min();
  constexpr double kMax = std::numeric_limits<int>::max();
  if (!p.min || !p.max || p.min->value < kMin || p.max->value > kMax) {
    throw std::logic_error(
        fmt::format("{}: '{}' is read as an int: declare a range within int's", schema_.name, key));
  }
  return static_cast<int>(GetInt(key));
}

double Params::GetNumber(const std::string& key) const {
  const ParamSpec& p = Spec(key, ParamType::kNumber);
  if (table_.Has(key)) return table_.GetDouble(key, 0);
  if (const auto* d = std::get_if<double>(&p.def)) return *d;
  NoDefault(table_, p);
}

Price Params::GetDecimal(const std::string& key) const {
  const ParamSpec& p = Spec(key, ParamType::kDecimal);
  if (table_.Has(key)) return table_.GetPrice(key);
  if (const auto* d = std::get_if<std::string>(&p.def)) {
    auto v = Price::Parse(*d);
    if (!v) throw std::logic_error(fmt::format("{}: bad default of '{}'", schema_.name, key));
    return *v;
  }
  NoDefault(table_, p);
}

Money Params::GetMoney(const std::string& key) const {
  const ParamSpec& p = Spec(key, ParamType::kMoney);
  if (table_.Has(key)) return table_.GetMoney(key);
  if (const auto* d = std::get_if<std::string>(&p.def)) {
    auto v = nacre::Money::Parse(*d);
    if (!v) throw std::logic_error(fmt::format("{}: bad default of '{}'", schema_.name, key));
    return *v;
  }
  NoDefault(table_, p);
}

bool Params::GetBool(const std::string& key) const {
  const ParamSpec& p = Spec(key, ParamType::kBool);
  const bool* d = std::get_if<bool>(&p.def);
  return table_.GetBool(key, d != nullptr && *d);
}

std::string Params::GetString(const std::string& key) const {
  const ParamSpec* p = schema_.Find(key);
  if (p != nullptr && p->type == ParamType::kStringOrList) {
    throw std::logic_error(fmt::format("{}: read '{}' with GetStrings", schema_.name, key));
  }
  const ParamSpec& spec = Spec(key, ParamType::kString);
  if (table_.Has(key)) return table_.GetString(key);
  if (const auto* d = std::get_if<std::string>(&spec.def)) return *d;
  NoDefault(table_, spec);
}

std::vector<std::string> Params::GetStrings(const std::string& key) const {
  const ParamSpec* p = schema_.Find(key);
  if (p != nullptr && p->type == ParamType::kStringOrList) {
    if (!table_.Has(key)) return {};
    const toml::node* n = table_.raw().get(key);
    if (n->is_string()) return {table_.GetString(key)};
    return table_.GetStringArray(key);
  }
  const ParamSpec& spec = Spec(key, ParamType::kStringList);
  if (table_.Has(key)) return table_.GetStringArray(key);
  if (const auto* d = std::get_if<std::vector<std::string>>(&spec.def)) return *d;
  return {};
}

std::vector<std::int64_t> Params::GetInts(const std::string& key) const {
  const ParamSpec& p = Spec(key, ParamType::kIntList);
  if (table_.Has(key)) return table_.GetIntArray(key);
  if (const auto* d = std::get_if<std::vector<std::int64_t>>(&p.def)) return *d;
  return {};
}

UnixNanos Params::GetTime(const std::string& key, DurationNs default_offset) const {
  (void)Spec(key, ParamType::kTime);
  return table_.GetTime(key, default_offset);
}

UnixNanos Params::GetEndTime(const std::string& key, DurationNs default_offset) const {
  (void)Spec(key, ParamType::kTime);
  return table_.GetEndTime(key, default_offset);
}

ConfigTable Params::GetTable(const std::string& key) const {
  (void)Spec(key, ParamType::kTable);
  return table_.GetTable(key);
}

std::vector<ConfigTable> Params::GetTableList(const std::string& key) const {
  (void)Spec(key, ParamType::kTableList);
  return table_.GetTableArray(key);
}

}  // namespace nacre
