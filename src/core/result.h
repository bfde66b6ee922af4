// Result<T>: a value or an error message, for fallible construction and parsing at the edges.
// Domain failures inside the kernel are events, not Results; Results are for bad input
// (config, files, network) and checked construction. Never throws.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace nacre {

// What kind of failure an error is, so callers can branch on it (retry a rate limit, halt on
// an ambiguous send, re-login on a token error) without parsing messages (leveldb style).
enum class ErrorCode : std::uint8_t {
  kUnknown = 0,       // not classified (the default for MakeError(message))
  kInvalidInput,      // bad config, file content, argument or network message
  kNotFound,          // a named thing does not exist (file, order, instrument, endpoint)
  kIo,                // reading or writing failed (disk, socket)
  kCorruption,        // stored data is damaged (journal, catalog)
  kTimeout,           // a deadline passed with no answer
  kRateLimited,       // refused for rate; retry later
  kToken,             // authentication expired or refused (Kite TokenException)
  kAmbiguous,         // the outcome is unknown (a send whose answer was lost)
  kMargin,            // refused for margin
  kRejected,          // refused by the venue or broker for another stated reason
  kUnavailable,       // the peer or service is down or not connected
  kFailedPrecondition,  // refused in the current state (e.g. not started, halted)
  kInternal,          // a bug: an invariant broke
};

constexpr const char* ErrorCodeName(ErrorCode c) {
  switch (c) {
    case ErrorCode::kUnknown: return "unknown";
    case ErrorCode::kInvalidInput: return "invalid input";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kIo: return "I/O error";
    case ErrorCode::kCorruption: return "corruption";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kRateLimited: return "rate limited";
    case ErrorCode::kToken: return "token";
    case ErrorCode::kAmbiguous: return "ambiguous";
    case ErrorCode::kMargin: return "margin";
    case ErrorCode::kRejected: return "rejected";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kFailedPrecondition: return "failed precondition";
    case ErrorCode::kInternal: return "internal";
  }
  return "unknown";
}

struct Error {
  std::string message;
  ErrorCode code = ErrorCode::kUnknown;
};

inline Error MakeError(std::string message) { return Error{std::move(message)}; }
inline Error MakeError(ErrorCode code, std::string message) {
  return Error{std::move(message), code};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  T* operator->() { return &value(); }

  const std::string& error() const { return std::get<1>(v_).message; }
  ErrorCode code() const { return ok() ? ErrorCode::kUnknown : std::get<1>(v_).code; }
  Error take_error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

// Status: success, or an error message with its code.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error)  // NOLINT(google-explicit-constructor)
      : error_(std::move(error.message)), code_(error.code), failed_(true) {}
  static Status Ok() { return Status(); }

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const std::string& error() const { return error_; }
  // kUnknown when ok() or unclassified.
  ErrorCode code() const { return code_; }
  bool Is(ErrorCode c) const { return failed_ && code_ == c; }
  // The same error with more context in front ("loading config.toml: " + message).
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return Status(Error{context + error_, code_});
  }

 private:
  std::string error_;
  ErrorCode code_ = ErrorCode::kUnknown;
  bool failed_ = false;
};

}  // namespace nacre
