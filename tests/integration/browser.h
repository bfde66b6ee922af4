// Headless Chromium for report tests: loads a page and returns the DOM after its scripts ran
// and the browser's log.
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace nacre::testing {

inline std::string SlurpFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Loads a page in headless Chromium; returns the DOM after scripts ran and the browser log.
struct Browser {
  int exit_code = -1;
  std::string dom;
  std::string log;
};

inline Browser Load(const std::filesystem::path& page) {
  const std::filesystem::path log = page.string() + ".log";
  const std::string cmd =
      "timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu --no-first-run "
      "--user-data-dir='" +
      (page.parent_path() / "chromium-profile").string() +
      "' --enable-logging=stderr --v=0 --dump-dom 'file://" + page.string() + "' 2>'" +
      log.string() + "'";
  Browser b;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return b;
  char buf[65536];
  std::size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) b.dom.append(buf, n);
  b.exit_code = pclose(p);
  b.log = SlurpFile(log);
  return b;
}

// Console messages from the page (Chromium logs them as "CONSOLE(line)").
inline std::string ConsoleLines(const std::string& log) {
  std::string out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.find("CONSOLE") != std::string::npos) out += line + "\n";
  }
  return out;
}

// The value of attribute `name` on the element with id `id` in a dumped DOM; "<no element>" or
// "<no attribute>" when missing.
inline std::string Attr(const std::string& dom, const std::string& id, const std::string& name) {
  const auto at = dom.find("id=\"" + id + "\"");
  if (at == std::string::npos) return "<no element>";
  const auto open = dom.rfind('<', at);
  const std::string tag = dom.substr(open, dom.find('>', at) - open);
  const auto v = tag.find(" " + name + "=\"");
  if (v == std::string::npos) return "<no attribute>";
  const auto from = v + name.size() + 3;
  return tag.substr(from, tag.find('"', from) - from);
}

// Every chart of `charts` drew at least one point (its canvas has data-drawn > 0); the
// failures, one a line, else "".
inline std::string UndrawnCharts(const std::string& dom, const std::vector<std::string>& charts) {
  std::string out;
  for (const std::string& id : charts) {
    const std::string drawn = Attr(dom, id, "data-drawn");
    if (drawn.empty() || drawn[0] < '1' || drawn[0] > '9') out += id + ": " + drawn + "\n";
  }
  return out;
}

}  // namespace nacre::testing
