#include "net/http.h"

#include <algorithm>
#include <cctype>

namespace nacre::net {

namespace {

bool EqualNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string Find(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (EqualNoCase(k, name)) return v;
  }
  return {};
}

}  // namespace

std::string HttpRequest::Header(std::string_view name) const { return Find(headers, name); }
std::string HttpResponse::Header(std::string_view name) const { return Find(headers, name); }

}  // namespace nacre::net
