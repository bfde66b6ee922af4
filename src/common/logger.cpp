#include "common/logger.h"

#include "core/json_text.h"
#include "core/secrets.h"

namespace nacre {

namespace {

constexpr std::string_view kLevelNames[] = {"DEBUG", "INFO", "WARN", "ERROR", "OFF"};

}  // namespace

Result<LogLevel> ParseLogLevel(std::string_view s) {
  if (s == "DEBUG" || s == "debug") return LogLevel::kDebug;
  if (s == "INFO" || s == "info") return LogLevel::kInfo;
  if (s == "WARN" || s == "WARNING" || s == "warn" || s == "warning") return LogLevel::kWarning;
  if (s == "ERROR" || s == "error") return LogLevel::kError;
  if (s == "OFF" || s == "off") return LogLevel::kOff;
  return MakeError(fmt::format("unknown log level '{}' (DEBUG, INFO, WARN, ERROR, OFF)", s));
}

void Logger::Log(LogLevel level, std::string_view component, std::string_view message_in,
                 std::string_view kind) {
  // A line that is neither printed nor counted is not looked at.
  if (level < LogLevel::kWarning && !Enabled(level)) return;
  // No secret reaches a log line or the summary (core/secrets.h), whatever built the message.
  const std::string redacted = Redact(message_in);
  std::string_view message = redacted;
  if (level == LogLevel::kWarning) ++warnings_;
  if (level == LogLevel::kError) {
    ++errors_;
    last_error_ = fmt::format("{}: {}", component, message);
  }
  bool held_back = false;
  bool first_held = false;
  if (level >= LogLevel::kWarning && level != LogLevel::kOff && !kind.empty()) {
    auto [it, fresh] = kind_index_.try_emplace(KindKey(component, kind), kinds_.size());
    if (fresh) kinds_.push_back(Kind{level, std::string(component), std::string(message), 0});
    const std::uint64_t n = ++kinds_[it->second].count;
    held_back = repeat_limit_ > 0 && n > repeat_limit_;
    first_held = held_back && n == repeat_limit_ + 1;
  }
  if (!Enabled(level)) return;
  if (held_back) {
    if (!first_held) return;
    message = "further warnings of this kind are counted, not printed (summary at the end)";
  }
  const std::string ts =
      zone_ == LogTimeZone::kIst ? FormatIsoIst(clock_.Now()) : FormatIsoUtc(clock_.Now());
  const std::string_view lvl = kLevelNames[static_cast<int>(level)];
  if (format_ == LogFormat::kJson) {
    fmt::print(sink_,
               "{{\"ts\":\"{}\",\"level\":\"{}\",\"component\":\"{}\",\"message\":\"{}\"}}\n", ts,
               lvl, JsonEscape(component), JsonEscape(message));
  } else {
    fmt::print(sink_, "{} [{}] {}: {}\n", ts, lvl, component, message);
  }
}

const std::string& Logger::KindKey(std::string_view component, std::string_view kind) {
  key_.clear();
  key_.append(component).push_back('\x1f');
  key_.append(kind);
  return key_;
}

bool Logger::IsLastKind(std::string_view component, std::string_view kind) const {
  const std::size_t n = component.size();
  return !last_key_.empty() && last_key_.size() == n + 1 + kind.size() &&
         std::string_view(last_key_).substr(0, n) == component && last_key_[n] == '\x1f' &&
         std::string_view(last_key_).substr(n + 1) == kind;
}

bool Logger::CountedOnly(LogLevel level, std::string_view component, std::string_view kind) {
  if (level != LogLevel::kWarning || kind.empty()) return false;
  std::size_t index = last_index_;
  if (!IsLastKind(component, kind)) {
    auto it = kind_index_.find(KindKey(component, kind));
    if (it == kind_index_.end()) return false;  // a first line: its text is kept
    index = it->second;
    last_key_ = key_;
    last_index_ = index;
  }
  Kind& k = kinds_[index];
  // Log prints the line numbered n = count + 1 while n <= limit + 1 (the last one a notice).
  const bool printed = Enabled(level) && (repeat_limit_ == 0 || k.count <= repeat_limit_);
  if (printed) return false;
  ++warnings_;
  ++k.count;
  return true;
}

std::string Logger::Summary() const {
  std::string out;
  for (const Kind& k : kinds_) {
    if (k.count < 2) continue;
    out += fmt::format("{:>6} x {} {}: {} (the first)\n", k.count,
                       kLevelNames[static_cast<int>(k.level)], k.component, k.first);
  }
  return out;
}

}  // namespace nacre
