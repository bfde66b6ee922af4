#include "adapters/zerodha/kite_errors.h"

#include <fmt/format.h>

namespace nacre {

int KiteErrorStatus(std::string_view t) {
  if (t == "TokenException" || t == "PermissionException") return 403;
  if (t == "InputException" || t == "OrderException" || t == "MarginException" ||
      t == "HoldingException" || t == "UserException") {
    return 400;
  }
  if (t == "NetworkException") return 429;  // as the emulator uses it: the rate limit
  if (t == "DataException") return 502;
  return 500;  // GeneralException and anything else
}

KiteError ClassifyKiteError(int http_status, std::string error_type, std::string message) {
  KiteError e;
  e.http_status = http_status;
  e.error_type = std::move(error_type);
  e.message = std::move(message);
  if (http_status == 429) {
    e.code = ErrorCode::kRateLimited;
    e.definitive = true;  // not processed; the limiter decides when to try again
    return e;
  }
  const bool client_error = http_status >= 400 && http_status < 500;
  const std::string& t = e.error_type;
  if (client_error && (t == "TokenException" || t == "PermissionException")) {
    e.code = ErrorCode::kToken;
  } else if (client_error && t == "MarginException") {
    e.code = ErrorCode::kMargin;
  } else if (client_error && t == "InputException") {
    e.code = ErrorCode::kInvalidInput;
  } else if (client_error && !t.empty()) {
    e.code = ErrorCode::kRejected;  // OrderException, UserException, HoldingException, …
  } else {
    // 5xx, gateway errors, or no error type: Kite did not say the request failed.
    e.code = ErrorCode::kAmbiguous;
    return e;
  }
  e.definitive = true;
  return e;
}

Result<KiteReply> ParseKiteEnvelope(int http_status, std::string_view content_type,
                                    std::string_view body, KiteError* error) {
  auto fail = [&](KiteError e) -> Result<KiteReply> {
    std::string msg = fmt::format("kite: HTTP {}{}{}", e.http_status,
                                  e.error_type.empty() ? "" : " " + e.error_type,
                                  e.message.empty() ? "" : ": " + e.message);
    if (!e.definitive && e.code == ErrorCode::kAmbiguous) {
      msg += " (no definitive answer: the request may have taken effect)";
    }
    const ErrorCode code = e.code;
    if (error != nullptr) *error = std::move(e);
    return MakeError(code, std::move(msg));
  };
  const bool json = content_type.rfind("application/json", 0) == 0;
  nlohmann::json doc;
  if (json) doc = nlohmann::json::parse(body, nullptr, false);
  if (!json || doc.is_discarded() || !doc.is_object()) {
    // Not Kite's envelope (a proxy page, a plain-text 429, a cut body).
    std::string snippet(body.substr(0, 120));
    return fail(ClassifyKiteError(http_status, http_status == 429 ? "NetworkException" : "",
                                  fmt::format("not a Kite JSON envelope ({}): {}",
                                              content_type.empty() ? "no content type"
                                                                   : std::string(content_type),
                                              snippet)));
  }
  const std::string status = doc.value("status", "");
  if (http_status < 400 && status == "success" && doc.contains("data")) {
    return KiteReply{doc["data"]};
  }
  const auto text = [&](const char* key) {
    const auto it = doc.find(key);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  return fail(ClassifyKiteError(http_status < 400 ? 500 : http_status, text("error_type"),
                                text("message")));
}

std::string KiteSuccessBody(const nlohmann::json& data) {
  return nlohmann::json{{"status", "success"}, {"data", data}}.dump();
}

std::string KiteErrorBody(std::string_view error_type, std::string_view message) {
  return nlohmann::json{{"status", "error"},
                        {"message", message},
                        {"error_type", error_type},
                        {"data", nullptr}}
      .dump();
}

}  // namespace nacre
