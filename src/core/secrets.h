// Secrets (LIVE.md §11): the Kite API secret, access tokens and request tokens must never
// reach a log line, an error, a journal entry, a results file, a config dump or a URL shown to
// anyone. Every secret is registered here the moment it is read or received; Redact() replaces
// each registered value (and every `access_token=`, `api_secret=`, `request_token=` and
// `refresh_token=` query or form value, and an `Authorization: token k:t` header's token,
// registered or not) with "***". Whatever leaves the process as text passes through Redact():
// the logger, error messages built from URLs or server bodies, the journal's writer, results.
// Process-wide and thread-safe (any thread may register or redact).
#pragma once

#include <string>
#include <string_view>

namespace nacre {

inline constexpr std::string_view kRedacted = "***";

// Registers `value` as a secret from now on (values shorter than 6 characters are refused:
// they would redact ordinary text; such a secret is a configuration error elsewhere).
void RegisterSecret(std::string_view value);
// Forgets every registered secret (tests only).
void ClearSecretsForTest();
// `text` with every registered secret and every secret-named parameter's value replaced.
std::string Redact(std::string_view text);
// Whether `text` holds a registered secret (or a secret-named parameter's value).
bool ContainsSecret(std::string_view text);

}  // namespace nacre
