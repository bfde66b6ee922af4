#include "persistence/csv_text.h"

#include <fmt/format.h>

#include <limits>

namespace nacre::csv_text {

std::vector<std::string> SplitQuoted(std::string_view line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  for (auto& f : out) {
    while (!f.empty() && (f.front() == ' ' || f.front() == '\t')) f.erase(f.begin());
    while (!f.empty() && (f.back() == ' ' || f.back() == '\t' || f.back() == '\r')) f.pop_back();
  }
  return out;
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    pos = end + 1;
  }
  return out;
}

std::string Ungroup(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != ',') out.push_back(c);
  }
  return out;
}

Result<std::int64_t> ParseInt(std::string_view s) {
  if (s.empty()) return MakeError("empty");
  std::int64_t v = 0;
  bool neg = false;
  std::size_t i = 0;
  if (s[0] == '-') {
    neg = true;
    i = 1;
    if (s.size() == 1) return MakeError("not a number");
  }
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return MakeError(fmt::format("'{}' is not an integer", s));
    if (v > (std::numeric_limits<std::int64_t>::max() - 9) / 10) return MakeError("overflow");
    v = v * 10 + (s[i] - '0');
  }
  return neg ? -v : v;
}

}  // namespace nacre::csv_text
