#include "adapters/zerodha/kite_url.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace nacre {

namespace {

std::uint16_t DefaultPort(std::string_view scheme) {
  return scheme == "https" || scheme == "wss" ? 443 : 80;
}

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string KiteUrl::Text() const {
  std::string out = scheme + "://" + host;
  if (port != DefaultPort(scheme)) out += ":" + std::to_string(port);
  return out + path;
}

Result<KiteUrl> ParseKiteUrl(std::string_view text, const std::vector<std::string>& schemes) {
  const std::string allowed = fmt::format("{}", fmt::join(schemes, ", "));
  auto fail = [&](const std::string& why) {
    return MakeError(ErrorCode::kInvalidInput,
                     fmt::format("\"{}\" is not a usable URL: {}", text, why));
  };
  const std::size_t colon = text.find("://");
  if (colon == std::string_view::npos || colon == 0) {
    return fail("no scheme (expected " + allowed + "://host[:port][/path])");
  }
  KiteUrl url;
  url.scheme = std::string(text.substr(0, colon));
  std::transform(url.scheme.begin(), url.scheme.end(), url.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (std::find(schemes.begin(), schemes.end(), url.scheme) == schemes.end()) {
    return fail("the scheme " + url.scheme + " is not one of " + allowed);
  }
  std::string_view rest = text.substr(colon + 3);
  const std::size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    return fail("user information (user@host) is not accepted");
  }
  const std::size_t port_colon = authority.rfind(':');
  std::string_view host = authority.substr(0, port_colon);
  if (host.empty()) return fail("no host");
  if (host.find_first_of("[]") != std::string_view::npos)
    return fail("IPv6 hosts are not supported");
  url.host = std::string(host);
  url.port = DefaultPort(url.scheme);
  if (port_colon != std::string_view::npos) {
    const std::string_view p = authority.substr(port_colon + 1);
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || value == 0 ||
        value > 65535) {
      return fail(fmt::format("the port \"{}\" is not a number from 1 to 65535", p));
    }
    url.port = static_cast<std::uint16_t>(value);
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  url.path = std::string(path);
  return url;
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && Hex(text[i + 1]) >= 0 &&
               Hex(text[i + 2]) >= 0) {
      out += static_cast<char>(Hex(text[i + 1]) * 16 + Hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [key, value] : fields) {
    if (!out.empty()) out += '&';
    out += PercentEncode(key);
    out += '=';
    out += PercentEncode(value);
  }
  return out;
}

std::map<std::string, std::string> ParseFormFields(std::string_view text) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('&', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view pair = text.substr(start, end - start);
    if (!pair.empty()) {
      const std::size_t eq = pair.find('=');
      out[PercentDecode(pair.substr(0, eq))] =
          eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1));
    }
    start = end + 1;
  }
  return out;
}

}  // namespace nacre
