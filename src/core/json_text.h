// JSON string literals for the text Nacre writes itself (stats.json, JSON log lines, the data
// embedded in report.html). One escaper, so every writer escapes the same way.
#pragma once

#include <string>
#include <string_view>

namespace nacre {

// `s` escaped for the inside of a JSON string: quote, backslash, \n \r \t, other control
// characters as \u00XX. With `html_safe`, also < > & as \u003c \u003e \u0026, so the JSON can
// sit inside an HTML <script> element.
std::string JsonEscape(std::string_view s, bool html_safe = false);
// The same between quotes.
inline std::string JsonString(std::string_view s, bool html_safe = false) {
  return "\"" + JsonEscape(s, html_safe) + "\"";
}

}  // namespace nacre
