// Kite order statuses (KITE_CONNECT.md §2, LIVE.md §7): parsing both spellings of the first
// transient state, what each says of a Nacre order, and the transitions Kite's order life
// cycle allows (the emulator follows them; the adapter never lets a terminal order move again).
#pragma once

#include <string_view>

#include "core/result.h"
#include "model/enums.h"

namespace nacre {

enum class KiteStatus : std::uint8_t {
  kPutOrderReqReceived,
  kValidationPending,
  kOpenPending,
  kAmoReqReceived,
  kOpen,
  kTriggerPending,
  kModifyValidationPending,
  kModifyPending,
  kModified,
  kNotModified,
  kCancelPending,
  kComplete,
  kCancelled,
  kRejected,
};

// "PUT ORDER REQ RECEIVED" (what the API sends; the docs' "PUT ORDER REQUEST RECEIVED" is read
// too), "OPEN", ...; anything else is an error quoting it.
Result<KiteStatus> ParseKiteStatus(std::string_view text);
std::string_view ToString(KiteStatus s);

bool IsTerminal(KiteStatus s);   // COMPLETE, CANCELLED, REJECTED
bool IsTransient(KiteStatus s);  // before OPEN, and the modify / cancel pending states
// The Nacre status an order in this Kite status is in, fills aside (a COMPLETE order's fills
// come from its trades): transient → SUBMITTED, OPEN / TRIGGER PENDING → ACCEPTED, modify
// pending → PENDING_UPDATE, CANCEL PENDING → PENDING_CANCEL, COMPLETE → FILLED, CANCELLED →
// CANCELED, REJECTED → REJECTED; MODIFIED / NOT MODIFIED (history rows) → ACCEPTED.
OrderStatus ToNacreStatus(KiteStatus s);
// Whether Kite's life cycle moves an order from `from` to `to`.
bool KiteTransitionAllowed(KiteStatus from, KiteStatus to);

}  // namespace nacre
