#include "adapters/zerodha/kite_status.h"

#include <fmt/format.h>

#include <array>
#include <utility>

namespace nacre {

namespace {

constexpr std::array<std::pair<KiteStatus, std::string_view>, 14> kNames = {{
    {KiteStatus::kPutOrderReqReceived, "PUT ORDER REQ RECEIVED"},
    {KiteStatus::kValidationPending, "VALIDATION PENDING"},
    {KiteStatus::kOpenPending, "OPEN PENDING"},
    {KiteStatus::kAmoReqReceived, "AMO REQ RECEIVED"},
    {KiteStatus::kOpen, "OPEN"},
    {KiteStatus::kTriggerPending, "TRIGGER PENDING"},
    {KiteStatus::kModifyValidationPending, "MODIFY VALIDATION PENDING"},
    {KiteStatus::kModifyPending, "MODIFY PENDING"},
    {KiteStatus::kModified, "MODIFIED"},
    {KiteStatus::kNotModified, "NOT MODIFIED"},
    {KiteStatus::kCancelPending, "CANCEL PENDING"},
    {KiteStatus::kComplete, "COMPLETE"},
    {KiteStatus::kCancelled, "CANCELLED"},
    {KiteStatus::kRejected, "REJECTED"},
}};

bool Live(KiteStatus s) { return s == KiteStatus::kOpen || s == KiteStatus::kTriggerPending; }

}  // namespace

Result<KiteStatus> ParseKiteStatus(std::string_view text) {
  for (const auto& [s, name] : kNames) {
    if (text == name) return s;
  }
  if (text == "PUT ORDER REQUEST RECEIVED") return KiteStatus::kPutOrderReqReceived;
  return MakeError(ErrorCode::kInvalidInput, fmt::format("unknown Kite order status '{}'", text));
}

std::string_view ToString(KiteStatus s) {
  for (const auto& [k, name] : kNames) {
    if (k == s) return name;
  }
  return "?";
}

bool IsTerminal(KiteStatus s) {
  return s == KiteStatus::kComplete || s == KiteStatus::kCancelled || s == KiteStatus::kRejected;
}

bool IsTransient(KiteStatus s) {
  switch (s) {
    case KiteStatus::kPutOrderReqReceived:
    case KiteStatus::kValidationPending:
    case KiteStatus::kOpenPending:
    case KiteStatus::kAmoReqReceived:
    case KiteStatus::kModifyValidationPending:
    case KiteStatus::kModifyPending:
    case KiteStatus::kCancelPending:
      return true;
    default:
      return false;
  }
}

OrderStatus ToNacreStatus(KiteStatus s) {
  switch (s) {
    case KiteStatus::kPutOrderReqReceived:
    case KiteStatus::kValidationPending:
    case KiteStatus::kOpenPending:
    case KiteStatus::kAmoReqReceived:
      return OrderStatus::kSubmitted;
    case KiteStatus::kOpen:
    case KiteStatus::kTriggerPending:
    case KiteStatus::kModified:
    case KiteStatus::kNotModified:
      return OrderStatus::kAccepted;
    case KiteStatus::kModifyValidationPending:
    case KiteStatus::kModifyPending:
      return OrderStatus::kPendingUpdate;
    case KiteStatus::kCancelPending:
      return OrderStatus::kPendingCancel;
    case KiteStatus::kComplete:
      return OrderStatus::kFilled;
    case KiteStatus::kCancelled:
      return OrderStatus::kCanceled;
    case KiteStatus::kRejected:
      return OrderStatus::kRejected;
  }
  return OrderStatus::kSubmitted;
}

bool KiteTransitionAllowed(KiteStatus from, KiteStatus to) {
  using K = KiteStatus;
  if (IsTerminal(from)) return false;  // terminal stays terminal
  switch (from) {
    case K::kPutOrderReqReceived:
    case K::kAmoReqReceived:
      return to == K::kValidationPending || to == K::kRejected;
    case K::kValidationPending:
      return to == K::kOpenPending || to == K::kRejected;
    case K::kOpenPending:
      return Live(to) || to == K::kComplete || to == K::kRejected || to == K::kCancelled;
    case K::kOpen:
    case K::kTriggerPending:
      return to == K::kComplete || to == K::kCancelled || to == K::kRejected ||
             to == K::kModifyValidationPending || to == K::kCancelPending ||
             (from == K::kTriggerPending && to == K::kOpen);
    case K::kModifyValidationPending:
      return to == K::kModifyPending || to == K::kNotModified || to == K::kRejected;
    case K::kModifyPending:
      return to == K::kModified || to == K::kNotModified;
    case K::kModified:
    case K::kNotModified:
      return Live(to) || to == K::kComplete || to == K::kCancelled;
    case K::kCancelPending:
      // A fill can win the race; a cancel the exchange refuses leaves the order live.
      return to == K::kCancelled || to == K::kComplete || Live(to);
    default:
      return false;
  }
}

}  // namespace nacre
