#include "core/secrets.h"

#include <algorithm>
#include <mutex>
#include <vector>

namespace nacre {
namespace {

struct Registry {
  std::mutex mu;
  std::vector<std::string> values;  // longest first, so a secret inside another goes second
};

Registry& Reg() {
  static Registry r;
  return r;
}

// Names whose value is a secret wherever it appears as `name=value` (query, form, text) or
// `"name":"value"` (JSON).
constexpr std::string_view kSecretNames[] = {"access_token", "api_secret", "request_token",
                                             "refresh_token", "enctoken", "checksum"};

bool ValueChar(char c) {
  return c != '&' && c != ' ' && c != '"' && c != '\'' && c != '\r' && c != '\n' &&
         c != ',' && c != ';' && c != '}' && c != '\t';
}

// Replaces the value after each `name=` / `name": "` / `name":"`.
void RedactNamed(std::string& s) {
  for (std::string_view name : kSecretNames) {
    std::size_t pos = 0;
    while ((pos = s.find(name, pos)) != std::string::npos) {
      std::size_t v = pos + name.size();
      if (v < s.size() && s[v] == '"') ++v;  // JSON key's closing quote
      while (v < s.size() && s[v] == ' ') ++v;
      if (v >= s.size() || (s[v] != '=' && s[v] != ':')) {
        pos = pos + name.size();
        continue;
      }
      ++v;
      while (v < s.size() && s[v] == ' ') ++v;
      if (v < s.size() && s[v] == '"') ++v;
      std::size_t end = v;
      while (end < s.size() && ValueChar(s[end])) ++end;
      if (end > v && s.compare(v, end - v, kRedacted) != 0) {
        s.replace(v, end - v, kRedacted);
      }
      pos = v + kRedacted.size();
    }
  }
  // Authorization: token api_key:access_token
  constexpr std::string_view kAuth = "token ";
  std::size_t pos = 0;
  while ((pos = s.find(kAuth, pos)) != std::string::npos) {
    std::size_t colon = pos + kAuth.size();
    while (colon < s.size() && s[colon] != ':' && ValueChar(s[colon])) ++colon;
    if (colon >= s.size() || s[colon] != ':') {
      pos += kAuth.size();
      continue;
    }
    std::size_t v = colon + 1, end = v;
    while (end < s.size() && ValueChar(s[end])) ++end;
    if (end > v && s.compare(v, end - v, kRedacted) != 0) s.replace(v, end - v, kRedacted);
    pos = v + kRedacted.size();
  }
}

}  // namespace

void RegisterSecret(std::string_view value) {
  if (value.size() < 6) return;
  Registry& r = Reg();
  std::lock_guard lock(r.mu);
  if (std::find(r.values.begin(), r.values.end(), value) != r.values.end()) return;
  r.values.emplace_back(value);
  std::stable_sort(r.values.begin(), r.values.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

void ClearSecretsForTest() {
  Registry& r = Reg();
  std::lock_guard lock(r.mu);
  r.values.clear();
}

std::string Redact(std::string_view text) {
  std::string s(text);
  {
    Registry& r = Reg();
    std::lock_guard lock(r.mu);
    for (const std::string& v : r.values) {
      std::size_t pos = 0;
      while ((pos = s.find(v, pos)) != std::string::npos) {
        s.replace(pos, v.size(), kRedacted);
        pos += kRedacted.size();
      }
    }
  }
  RedactNamed(s);
  return s;
}

bool ContainsSecret(std::string_view text) { return Redact(text) != text; }

}  // namespace nacre
