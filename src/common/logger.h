// Logger: writes lines stamped with the kernel clock's time (so a backtest's log is the same
// on every run), either human-readable or JSON lines. Components log through a LogAdapter
// that carries their name. Not thread-safe: kernel thread only (live I/O threads hand
// messages to the kernel rather than log directly).
#pragma once

#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"

namespace nacre {

enum class LogLevel : std::uint8_t { kDebug, kInfo, kWarning, kError, kOff };
enum class LogFormat : std::uint8_t { kText, kJson };
// The zone log timestamps are written in (always with the offset): IST by default.
enum class LogTimeZone : std::uint8_t { kIst, kUtc };

Result<LogLevel> ParseLogLevel(std::string_view s);

class Logger {
 public:
  // `sink` may be null to discard output (counts are still kept).
  Logger(const Clock& clock, std::FILE* sink, LogLevel level = LogLevel::kInfo,
         LogFormat format = LogFormat::kText)
      : clock_(clock), sink_(sink), level_(level), format_(format) {}

  // `kind`: what makes two warnings the same kind (the message's format string; empty: each
  // line is its own). Past `repeat_limit` lines of one WARN/ERROR kind, further ones are counted
  // and not printed (one line says so), and Summary() gives one line per kind with its count.
  void Log(LogLevel level, std::string_view component, std::string_view message,
           std::string_view kind = {});
  bool Enabled(LogLevel level) const { return level >= level_ && sink_ != nullptr; }
  // A WARN of a `kind` already seen that would be neither printed nor kept (the level is off,
  // or the kind is past its repeat limit): counted here, and true, so the caller need not
  // format it. False otherwise (nothing counted): the caller logs the line with Log.
  bool CountedOnly(LogLevel level, std::string_view component, std::string_view kind);
  void set_level(LogLevel l) { level_ = l; }
  void set_sink(std::FILE* sink) { sink_ = sink; }
  void set_format(LogFormat f) { format_ = f; }
  void set_time_zone(LogTimeZone z) { zone_ = z; }
  std::uint64_t warning_count() const { return warnings_; }
  std::uint64_t error_count() const { return errors_; }
  const std::string& last_error() const { return last_error_; }
  // Lines of one warning or error kind printed before the rest are only counted (0: all).
  void set_repeat_limit(std::uint64_t n) { repeat_limit_ = n; }
  // One line per warning/error kind that occurred more than once or was held back: the count,
  // the level, the component and the first such message. Empty when there is nothing to sum up.
  std::string Summary() const;

 private:
  struct Kind {
    LogLevel level;
    std::string component;
    std::string first;
    std::uint64_t count = 0;
  };
  std::vector<Kind> kinds_;  // in order of first occurrence
  std::unordered_map<std::string, std::size_t> kind_index_;
  std::string key_;  // the kind's key, built in place (no allocation per line)
  const std::string& KindKey(std::string_view component, std::string_view kind);
  // The kind CountedOnly found last, by its key: a warning repeated in a loop (a strategy
  // resubmitting into a denial) is found again without building and hashing its key.
  std::string last_key_;
  std::size_t last_index_ = 0;
  bool IsLastKind(std::string_view component, std::string_view kind) const;
  std::uint64_t repeat_limit_ = 5;
  const Clock& clock_;
  std::FILE* sink_;
  LogLevel level_;
  LogFormat format_;
  LogTimeZone zone_ = LogTimeZone::kIst;
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
    const fmt::string_view f_text = f;  // the format string: what makes two lines one kind
    const std::string_view kind(f_text.data(), f_text.size());
    if (logger_->CountedOnly(level, component_, kind)) return;
    logger_->Log(level, component_, fmt::format(f, std::forward<Args>(args)...), kind);
  }
  Logger* logger_ = nullptr;
  std::string component_;
};

}  // namespace nacre
