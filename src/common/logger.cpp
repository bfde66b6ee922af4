#include "common/logger.h"

namespace nacre {

namespace {

constexpr std::string_view kLevelNames[] = {"DEBUG", "INFO", "WARN", "ERROR", "OFF"};

std::string JsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<int>(c));
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

}  // namespace

Result<LogLevel> ParseLogLevel(std::string_view s) {
  if (s == "DEBUG" || s == "debug") return LogLevel::kDebug;
  if (s == "INFO" || s == "info") return LogLevel::kInfo;
  if (s == "WARN" || s == "WARNING" || s == "warn" || s == "warning") return LogLevel::kWarning;
  if (s == "ERROR" || s == "error") return LogLevel::kError;
  if (s == "OFF" || s == "off") return LogLevel::kOff;
  return MakeError(fmt::format("unknown log level '{}' (DEBUG, INFO, WARN, ERROR, OFF)", s));
}

void Logger::Log(LogLevel level, std::string_view component, std::string_view message) {
  if (level == LogLevel::kWarning) ++warnings_;
  if (level == LogLevel::kError) {
    ++errors_;
    last_error_ = fmt::format("{}: {}", component, message);
  }
  if (!Enabled(level)) return;
  const std::string ts = FormatIsoUtc(clock_.Now());
  const std::string_view lvl = kLevelNames[static_cast<int>(level)];
  if (format_ == LogFormat::kJson) {
    fmt::print(sink_,
               "{{\"ts\":\"{}\",\"level\":\"{}\",\"component\":\"{}\",\"message\":\"{}\"}}\n", ts,
               lvl, JsonEscape(component), JsonEscape(message));
  } else {
    fmt::print(sink_, "{} [{}] {}: {}\n", ts, lvl, component, message);
  }
}

}  // namespace nacre
