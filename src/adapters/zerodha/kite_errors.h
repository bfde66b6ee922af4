// Kite Connect's response envelope and error types (KITE_CONNECT.md §2): success is
// {"status":"success","data":…}; an error is {"status":"error","message":…,"error_type":…,
// "data":null} with a 4xx/5xx status. Parsing is strict (what the official clients require of
// a server) and classifies every failure for the caller:
//   - definitive: Kite answered and refused (InputException, OrderException, MarginException,
//     TokenException, …, with a 4xx status): the request did not take effect;
//   - ambiguous: a 5xx, a gateway error or a body that is not Kite's envelope: for an order
//     placement the order may exist, so the caller must look (by tag) before anything else;
//   - rate limited: 429 (NetworkException): not processed, retry after the limiter allows.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace nacre {

struct KiteError {
  int http_status = 0;
  std::string error_type;  // "TokenException", … ("" when the body had none)
  std::string message;
  bool definitive = false;  // Kite refused: the request did not take effect
  ErrorCode code = ErrorCode::kUnknown;
};

// The `data` of a success envelope; otherwise the classified error (its message names the
// status, the error type and Kite's message).
struct KiteReply {
  nlohmann::json data;
};
Result<KiteReply> ParseKiteEnvelope(int http_status, std::string_view content_type,
                                    std::string_view body, KiteError* error = nullptr);

// How an error response with `error_type` and `http_status` is classified.
KiteError ClassifyKiteError(int http_status, std::string error_type, std::string message);

// The envelopes the emulator sends.
std::string KiteSuccessBody(const nlohmann::json& data);
std::string KiteErrorBody(std::string_view error_type, std::string_view message);
// The HTTP status Kite uses for an error type (TokenException 403, InputException 400, …).
int KiteErrorStatus(std::string_view error_type);

}  // namespace nacre
