#include "common/param_docs.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace nacre {

namespace {

// Display width in characters (UTF-8 continuation bytes do not count), for alignment.
std::size_t Width(const std::string& s) {
  std::size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

std::string Pad(const std::string& s, std::size_t width) {
  const std::size_t w = Width(s);
  return w >= width ? s : s + std::string(width - w, ' ');
}

std::string Cell(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string Code(const std::string& s) { return s.empty() ? "" : "`" + s + "`"; }

}  // namespace

std::string ParamsText(const ParamSchema& schema, const std::string& kind) {
  std::string out = fmt::format("{} ({}): {}\n", schema.name, kind, schema.summary);
  std::vector<std::vector<std::string>> rows;
  for (const ParamSpec& p : schema.params) {
    if (!p.removed.empty()) continue;
    rows.push_back({p.key, std::string(ParamTypeName(p.type)), p.DefaultText(), p.AllowedText(),
                    p.DocText(schema.variant_key)});
  }
  std::vector<std::size_t> width(4, 0);
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < width.size(); ++i) width[i] = std::max(width[i], Width(r[i]));
  }
  for (const auto& r : rows) {
    std::string line = "  ";
    for (std::size_t i = 0; i < width.size(); ++i) line += Pad(r[i], width[i]) + "  ";
    line += r[4];
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  if (rows.empty()) out += "  (no parameters)\n";
  for (const ParamSpec& p : schema.params) {
    if (!p.removed.empty()) out += fmt::format("  {}: removed: {}\n", p.key, p.removed);
  }
  return out;
}

std::string ParamsMarkdown(const ParamSchema& schema) {
  std::string out;
  bool any = false;
  for (const ParamSpec& p : schema.params) {
    if (!p.removed.empty()) continue;
    if (!any) {
      out += "| key | type | default | allowed | description |\n|---|---|---|---|---|\n";
      any = true;
    }
    const std::string def = p.DefaultText();
    const bool literal = !def.empty() && p.default_note.empty() && !p.required;
    out += fmt::format("| `{}` | {} | {} | {} | {} |\n", p.key, ParamTypeName(p.type),
                       Cell(literal ? Code(def) : def), Cell(p.AllowedText()),
                       Cell(p.DocText(schema.variant_key)));
  }
  if (!any) out += "No parameters.\n";
  for (const ParamSpec& p : schema.params) {
    if (p.removed.empty()) continue;
    out += fmt::format("\nRemoved: `{}`: {}\n", p.key, Cell(p.removed));
  }
  return out;
}

}  // namespace nacre
