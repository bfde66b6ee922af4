// Logger: writes lines stamped with the kernel clock's time (so a backtest's log is the same
// on every run), either human-readable or JSON lines. Components log through a LogAdapter
// that carries their name. Not thread-safe: kernel thread only (live I/O threads hand
// messages to the kernel rather than log directly).
#pragma once

#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace nacre {

enum class LogLevel : std::uint8_t { kDebug, kInfo, kWarning, kError, kOff };
enum class LogFormat : std::uint8_t { kText, kJson };

Result<LogLevel> ParseLogLevel(std::string_view s);

class Logger {
 public:
  // `sink` may be null to discard output (counts are still kept).
  Logger(const Clock& clock, std::FILE* sink, LogLevel level = LogLevel::kInfo,
         LogFormat format = LogFormat::kText)
      : clock_(clock), sink_(sink), level_(level), format_(format) {}

  void Log(LogLevel level, std::string_view component, std::string_view message);
  bool Enabled(LogLevel level) const { return level >= level_ && sink_ != nullptr; }
  void set_level(LogLevel l) { level_ = l; }
  void set_sink(std::FILE* sink) { sink_ = sink; }
  void set_format(LogFormat f) { format_ = f; }
  std::uint64_t warning_count() const { return warnings_; }
  std::uint64_t error_count() const { return errors_; }
  const std::string& last_error() const { return last_error_; }

 private:
  const Clock& clock_;
  std::FILE* sink_;
  LogLevel level_;
  LogFormat format_;
  std::uint64_t warnings_ = 0;
  std::uint64_t errors_ = 0;
  std::string last_error_;
};

// A component's view of the logger: formats only when the level is enabled.
class LogAdapter {
 public:
  LogAdapter() = default;
  LogAdapter(Logger* logger, std::string component)
      : logger_(logger), component_(std::move(component)) {}

  template <typename... Args>
  void Debug(fmt::format_string<Args...> f, Args&&... args) {
    Write(LogLevel::kDebug, f, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void Info(fmt::format_string<Args...> f, Args&&... args) {
    Write(LogLevel::kInfo, f, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void Warning(fmt::format_string<Args...> f, Args&&... args) {
    Write(LogLevel::kWarning, f, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void Error(fmt::format_string<Args...> f, Args&&... args) {
    Write(LogLevel::kError, f, std::forward<Args>(args)...);
  }
  const std::string& component() const { return component_; }

 private:
  template <typename... Args>
  void Write(LogLevel level, fmt::format_string<Args...> f, Args&&... args) {
    if (logger_ == nullptr) return;
    if (!logger_->Enabled(level) && level < LogLevel::kWarning) return;
    logger_->Log(level, component_, fmt::format(f, std::forward<Args>(args)...));
  }
  Logger* logger_ = nullptr;
  std::string component_;
};

}  // namespace nacre
