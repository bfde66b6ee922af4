#include "backtest/sweep.h"

#include <fmt/format.h>

#include <cmath>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/config.h"
#include "persistence/duckdb.h"

namespace nacre {

namespace {

std::vector<std::string> Split(const std::string& key) {
  std::vector<std::string> out;
  std::string part;
  std::istringstream in(key);
  while (std::getline(in, part, '.')) out.push_back(part);
  return out;
}

bool IsIndex(const std::string& s, std::size_t* index) {
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), *index);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

std::string Keys(const toml::table& t) {
  std::string out;
  for (const auto& [k, v] : t) {
    if (!out.empty()) out += ", ";
    out += std::string(k.str());
  }
  return out.empty() ? "nothing" : out;
}

std::string ValueText(const toml::node& value) {
  if (value.is_floating_point()) {
    // Shortest round-trip form (0.15, not 0.14999999999999999), always with a decimal point or
    // exponent so it stays a TOML float.
    const double v = *value.value<double>();
    std::string text = fmt::format("{}", v);
    if (std::isfinite(v) && text.find_first_of(".eE") == std::string::npos) text += ".0";
    return text;
  }
  toml::table t;
  t.insert("v", value);
  std::ostringstream os;
  os << t;
  std::string s = os.str();
  return s.rfind("v = ", 0) == 0 ? s.substr(4) : s;
}

toml::node_type TypeOf(const toml::node& n) { return n.type(); }

}  // namespace

void ApplyConfigOverride(toml::table& root, const std::string& key, const toml::node& value,
                         const std::string& where) {
  const std::vector<std::string> parts = Split(key);
  auto fail = [&](const std::string& why) {
    throw ConfigError(fmt::format("{}: key '{}': {}", where, key, why));
  };
  if (parts.empty()) fail("empty key");
  toml::node* node = &root;
  std::string at;
  std::size_t i = 0;
  while (i < parts.size()) {
    const std::string& part = parts[i];
    if (auto* arr = node->as_array()) {
      std::size_t index = 0;
      if (IsIndex(part, &index)) {
        if (index >= arr->size()) {
          fail(fmt::format("{} has {} entries, no index {}", at, arr->size(), index));
        }
        node = arr->get(index);
        at += fmt::format("[{}]", index);
        ++i;
        continue;
      }
      if (arr->size() != 1) {
        fail(fmt::format("{} has {} entries: name one by index (e.g. {}.0.{})", at, arr->size(), at,
                         part));
      }
      node = arr->get(0);
      at += "[0]";
      continue;
    }
    auto* table = node->as_table();
    if (table == nullptr) fail(fmt::format("{} is a value, not a table", at));
    const bool last = i + 1 == parts.size();
    toml::node* next = table->get(part);
    if (next == nullptr && last) {
      if (auto* params = table->get_as<toml::table>("params")) {
        if (params->get(part) != nullptr) {
          table = params;
          next = params->get(part);
          at += ".params";
        }
      }
    }
    if (next == nullptr) {
      std::string has = Keys(*table);
      if (const auto* params = table->get_as<toml::table>("params")) {
        has += "; params: " + Keys(*params);
      }
      fail(fmt::format("no such setting in {} (it has: {})", at.empty() ? "the config" : at, has));
    }
    if (last) {
      const bool same =
          TypeOf(*next) == TypeOf(value) || (next->is_floating_point() && value.is_integer());
      if (!same) {
        fail(fmt::format("{} is {} in the config, the grid gives {}", ValueText(*next),
                         toml::impl::node_type_friendly_names[static_cast<int>(next->type())],
                         ValueText(value)));
      }
      table->insert_or_assign(part, value);
      return;
    }
    node = next;
    at += (at.empty() ? "" : ".") + part;
    ++i;
  }
  fail("does not name a setting");
}

void ApplyConfigOverride(toml::table& root, const ConfigOverride& o, const std::string& where) {
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + o.second);
  } catch (const toml::parse_error& e) {
    throw ConfigError(fmt::format("{}: key '{}': value '{}' is not a TOML value: {}", where,
                                  o.first, o.second, e.description()));
  }
  ApplyConfigOverride(root, o.first, *parsed.get("v"), where);
}

ConfigOverride ParseOverrideOption(const std::string& option) {
  const auto eq = option.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw ConfigError(fmt::format("--set '{}': expected KEY=VALUE", option));
  }
  return {option.substr(0, eq), option.substr(eq + 1)};
}

SweepGrid LoadSweepGrid(const std::string& grid_path, const std::string& config_path) {
  if (!std::filesystem::exists(grid_path)) {
    throw ConfigError(fmt::format("{}: grid file not found", grid_path));
  }
  const auto grid = ConfigTable::ParseFile(grid_path);
  if (!std::filesystem::exists(config_path)) {
    throw ConfigError(fmt::format("{}: config file not found", config_path));
  }
  const auto config = ConfigTable::ParseFile(config_path);
  SweepGrid out;
  // Leaves in file order (toml++ tables iterate by key, so order by source position).
  struct Leaf {
    std::string key;
    const toml::node* node;
  };
  std::vector<Leaf> leaves;
  auto walk = [&](auto&& self, const toml::table& t, const std::string& prefix) -> void {
    for (const auto& [k, v] : t) {
      const std::string key =
          prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
      if (const auto* sub = v.as_table()) {
        self(self, *sub, key);
      } else {
        leaves.push_back({key, &v});
      }
    }
  };
  walk(walk, *grid, "");
  std::stable_sort(leaves.begin(), leaves.end(), [](const Leaf& a, const Leaf& b) {
    const auto& sa = a.node->source().begin;
    const auto& sb = b.node->source().begin;
    return sa.line != sb.line ? sa.line < sb.line : sa.column < sb.column;
  });
  if (leaves.empty()) throw ConfigError(fmt::format("{}: the grid has no settings", grid_path));
  for (const Leaf& leaf : leaves) {
    const std::string where = fmt::format("{}:{}", grid_path, leaf.node->source().begin.line);
    const auto* arr = leaf.node->as_array();
    if (arr == nullptr || arr->empty()) {
      throw ConfigError(
          fmt::format("{}: key '{}': expected a non-empty list of values", where, leaf.key));
    }
    std::vector<std::string> values;
    for (const toml::node& v : *arr) {
      if (v.is_table() || v.is_array()) {
        throw ConfigError(
            fmt::format("{}: key '{}': values must be plain values", where, leaf.key));
      }
      toml::table copy = *config;
      ApplyConfigOverride(copy, leaf.key, v, where);  // checks key and type
      values.push_back(ValueText(v));
    }
    out.keys.push_back(leaf.key);
    out.values.push_back(std::move(values));
    out.where.push_back(where);
  }
  return out;
}

std::vector<std::vector<ConfigOverride>> ExpandGrid(const SweepGrid& grid) {
  std::vector<std::vector<ConfigOverride>> runs(1);
  for (std::size_t k = 0; k < grid.keys.size(); ++k) {
    std::vector<std::vector<ConfigOverride>> next;
    for (const auto& run : runs) {
      for (const std::string& v : grid.values[k]) {
        auto r = run;
        r.emplace_back(grid.keys[k], v);
        next.push_back(std::move(r));
      }
    }
    runs = std::move(next);
  }
  return runs;
}

std::vector<std::pair<std::string, std::string>> ParseStatsJson(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto q1 = line.find('"');
    if (q1 == std::string::npos) continue;
    const auto q2 = line.find('"', q1 + 1);
    const auto colon = line.find(':', q2);
    if (q2 == std::string::npos || colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.back() == ',' || value.back() == ' ')) value.pop_back();
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    if (value == "null") value.clear();
    out.emplace_back(line.substr(q1 + 1, q2 - q1 - 1), value);
  }
  return out;
}

std::string LastLine(const std::string& text) {
  std::istringstream in(text);
  std::string last;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) last = line;
  }
  return last;
}

void FinishSweepRun(SweepRun& run, int exit_code, const std::optional<std::string>& stats_json,
                    const std::string& stderr_text) {
  run.exit_code = exit_code;
  run.ok = exit_code == 0 && stats_json.has_value();
  if (run.ok) {
    run.stats = ParseStatsJson(*stats_json);
    return;
  }
  run.error = LastLine(stderr_text);
  if (run.error.empty()) run.error = fmt::format("exit code {}", exit_code);
}

namespace {

std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
  std::string o = "\"";
  for (char c : s) {
    if (c == '"') o += '"';
    o += c;
  }
  return o + "\"";
}

// The statistics columns, from the first successful run (every run writes the same keys).
std::vector<std::string> StatKeys(const std::vector<SweepRun>& runs) {
  for (const SweepRun& r : runs) {
    if (!r.ok) continue;
    std::vector<std::string> keys;
    for (const auto& kv : r.stats) keys.push_back(kv.first);
    return keys;
  }
  return {};
}

}  // namespace

std::string SweepCsv(const SweepGrid& grid, const std::vector<SweepRun>& runs) {
  const std::vector<std::string> stat_keys = StatKeys(runs);
  std::string o = "run";
  for (const std::string& k : grid.keys) o += "," + CsvField(k);
  o += ",status,exit_code";
  for (const std::string& k : stat_keys) o += "," + k;
  o += ",folder,error\n";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const SweepRun& r = runs[i];
    o += fmt::format("{}", i + 1);
    for (const auto& p : r.params) {
      std::string v = p.second;
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      o += "," + CsvField(v);
    }
    o += fmt::format(",{},{}", r.ok ? "ok" : "failed", r.exit_code);
    for (const std::string& k : stat_keys) {
      std::string v;
      for (const auto& kv : r.stats) {
        if (kv.first == k) v = kv.second;
      }
      o += "," + CsvField(v);
    }
    o += "," + CsvField(std::filesystem::path(r.folder).filename().string()) + "," +
         CsvField(r.error) + "\n";
  }
  return o;
}

Status WriteSweepParquet(const std::string& csv_path, const std::string& parquet_path) {
  auto db = duck::Database::Open();
  if (!db.ok()) return MakeError(db.error());
  auto con = duck::Connection::Connect(**db);
  if (!con.ok()) return MakeError(con.error());
  static const char* kMoney[] = {"starting_balance", "final_equity", "pnl_total",    "max_winner",
                                 "avg_winner",       "min_winner",   "max_loser",    "avg_loser",
                                 "min_loser",        "max_drawdown", "total_charges"};
  // Only columns present in the file may be typed (a sweep whose runs all failed has none).
  std::ifstream in(csv_path);
  std::string header;
  std::getline(in, header);
  std::string types;
  for (const char* m : kMoney) {
    if (("," + header + ",").find(std::string(",") + m + ",") == std::string::npos) continue;
    if (!types.empty()) types += ", ";
    types += fmt::format("'{}': 'DECIMAL(18,2)'", m);
  }
  const std::string sql = fmt::format(
      "COPY (SELECT * FROM read_csv({}, header = true{}) ORDER BY run) TO {} (FORMAT PARQUET)",
      duck::Quote(csv_path), types.empty() ? "" : ", types = {" + types + "}",
      duck::Quote(parquet_path));
  Status s = (*con)->Execute(sql);
  if (!s.ok()) return MakeError(fmt::format("{}: {}", parquet_path, s.error()));
  return Status::Ok();
}

}  // namespace nacre
