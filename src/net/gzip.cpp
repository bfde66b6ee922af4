#include "net/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <optional>
#include <stdexcept>

namespace nacre::net {

namespace {

// windowBits 15 + 16: a gzip wrapper instead of zlib's.
constexpr int kGzipWindow = 15 + 16;
// zlib counts in uInt; feed it at most this much at a time.
constexpr std::size_t kChunk = std::size_t{1} << 20;

Bytef* In(std::string_view s) {
  // zlib's next_in is not const-qualified but is never written through.
  return reinterpret_cast<Bytef*>(const_cast<char*>(s.data()));
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A qvalue ("0", "0.5", "1.000"): true when above zero. Malformed values count as 1 (the
// coding was listed; a sender that garbles q= most likely meant to accept it).
bool PositiveQuality(std::string_view q) {
  q = Trim(q);
  if (q.empty()) return true;
  bool any_nonzero = false;
  for (char c : q) {
    if (c == '.') continue;
    if (c < '0' || c > '9') return true;
    if (c != '0') any_nonzero = true;
  }
  return any_nonzero;
}

}  // namespace

std::string GzipCompress(std::string_view data) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindow, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    throw std::runtime_error("gzip: deflateInit2 failed");  // out of memory only
  }
  std::string out;
  out.resize(deflateBound(&z, static_cast<uLong>(std::min(data.size(), kChunk))) + 64);
  std::size_t written = 0;
  std::string_view rest = data;
  int rc = Z_OK;
  do {
    const std::size_t take = std::min(rest.size(), kChunk);
    z.next_in = In(rest);
    z.avail_in = static_cast<uInt>(take);
    rest.remove_prefix(take);
    const int flush = rest.empty() ? Z_FINISH : Z_NO_FLUSH;
    do {
      if (written == out.size()) out.resize(out.size() * 2);
      const std::size_t room = std::min(out.size() - written, kChunk);
      z.next_out = reinterpret_cast<Bytef*>(out.data() + written);
      z.avail_out = static_cast<uInt>(room);
      rc = deflate(&z, flush);
      written += room - z.avail_out;
    } while (z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
  } while (!rest.empty());
  deflateEnd(&z);
  out.resize(written);
  return out;
}

Result<std::string> GzipDecompress(std::string_view gz, std::size_t max_size) {
  if (gz.size() < 2 || static_cast<unsigned char>(gz[0]) != 0x1f ||
      static_cast<unsigned char>(gz[1]) != 0x8b) {
    return MakeError(ErrorCode::kInvalidInput, "gzip: not a gzip stream (bad magic bytes)");
  }
  std::string out;
  std::string_view rest = gz;
  char buf[16384];
  // One member after another, as `gzip -d` reads concatenated files.
  while (!rest.empty()) {
    z_stream z{};
    if (inflateInit2(&z, kGzipWindow) != Z_OK) {
      return MakeError(ErrorCode::kInternal, "gzip: inflateInit2 failed");
    }
    int rc = Z_OK;
    std::size_t consumed = 0;
    while (rc != Z_STREAM_END) {
      const std::size_t take = std::min(rest.size() - consumed, kChunk);
      z.next_in = In(rest.substr(consumed));
      z.avail_in = static_cast<uInt>(take);
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof buf;
      rc = inflate(&z, Z_NO_FLUSH);
      consumed += take - z.avail_in;
      const std::size_t got = sizeof buf - z.avail_out;
      if (rc != Z_OK && rc != Z_STREAM_END && !(rc == Z_BUF_ERROR && got > 0)) {
        const std::string why = z.msg != nullptr ? z.msg : "corrupt data";
        inflateEnd(&z);
        if (rc == Z_BUF_ERROR) return MakeError(ErrorCode::kInvalidInput, "gzip: truncated stream");
        return MakeError(ErrorCode::kInvalidInput, "gzip: " + why);
      }
      if (out.size() + got > max_size) {
        inflateEnd(&z);
        return MakeError(ErrorCode::kInvalidInput,
                         "gzip: expands beyond " + std::to_string(max_size) + " bytes");
      }
      out.append(buf, got);
      if (rc != Z_STREAM_END && got == 0 && consumed == rest.size()) {
        inflateEnd(&z);
        return MakeError(ErrorCode::kInvalidInput, "gzip: truncated stream");
      }
    }
    inflateEnd(&z);
    rest.remove_prefix(consumed);
    // Trailing zero padding (tape-style) ends the input, as gzip allows.
    if (std::all_of(rest.begin(), rest.end(), [](char c) { return c == '\0'; })) break;
    if (rest.size() < 2 || static_cast<unsigned char>(rest[0]) != 0x1f ||
        static_cast<unsigned char>(rest[1]) != 0x8b) {
      return MakeError(ErrorCode::kInvalidInput, "gzip: trailing garbage after the stream");
    }
  }
  return out;
}

bool AcceptsGzip(std::string_view accept_encoding) {
  std::optional<bool> gzip;  // set when gzip (or x-gzip) is listed: its quality decides
  bool star = false;
  std::string_view rest = accept_encoding;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const std::size_t semi = item.find(';');
    const std::string coding = Lower(Trim(item.substr(0, semi)));
    bool positive = true;
    std::string_view params =
        semi == std::string_view::npos ? std::string_view() : item.substr(semi + 1);
    while (!params.empty()) {
      const std::size_t next = params.find(';');
      const std::string_view p = Trim(params.substr(0, next));
      params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
      const std::size_t eq = p.find('=');
      if (eq != std::string_view::npos && Lower(Trim(p.substr(0, eq))) == "q") {
        positive = PositiveQuality(p.substr(eq + 1));
      }
    }
    if (coding == "gzip" || coding == "x-gzip") {
      gzip = gzip.value_or(false) || positive;
    } else if (coding == "*") {
      star = positive;
    }
  }
  return gzip.has_value() ? *gzip : star;
}

bool AcceptsGzip(const HttpRequest& request) {
  return AcceptsGzip(std::string_view(request.Header("Accept-Encoding")));
}

}  // namespace nacre::net
