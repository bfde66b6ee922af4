// The Kite emulator's logins (KITE_CONNECT.md §1), pure and on the emulator's clock:
// a login issues a request token (single use, valid `request_token_ttl`); POST /session/token
// exchanges it, with checksum = SHA-256(api_key + request_token + api_secret), for an access
// token valid until the next 06:00 IST (or logout). Every refusal is Kite's TokenException
// (403) with Kite's wording, except an unknown api_key (InputException, 400). Tokens come from
// a seeded generator, so runs repeat. The secret is compared, never logged or returned.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <variant>

#include "core/time.h"

namespace nacre::kite_emu {

struct KiteUser {
  std::string api_key;
  std::string api_secret;
  std::string user_id = "AB1234";
  std::string user_name = "Nacre Emulator";
  std::string user_shortname = "Nacre";
  std::string email = "emulator@127.0.0.1";
};

struct SessionRefusal {
  int status = 403;
  std::string error_type = "TokenException";
  std::string message;
};

class SessionStore {
 public:
  SessionStore(KiteUser user, std::uint64_t seed,
               DurationNs request_token_ttl = 5 * kNanosPerMinute);

  const KiteUser& user() const { return user_; }
  // A new request token for a login of `api_key`, or the refusal.
  std::variant<std::string, SessionRefusal> Login(const std::string& api_key, UnixNanos now);
  // The access token for a request token, or the refusal.
  std::variant<std::string, SessionRefusal> Exchange(const std::string& api_key,
                                                     const std::string& request_token,
                                                     const std::string& checksum, UnixNanos now);
  // Whether `access_token` is a live session of `api_key`.
  std::optional<SessionRefusal> Check(const std::string& api_key, const std::string& access_token,
                                      UnixNanos now) const;
  std::optional<SessionRefusal> Logout(const std::string& api_key, const std::string& access_token,
                                       UnixNanos now);
  // Ends every session (the control plane's "expire token").
  void ExpireAll() { sessions_.clear(); }
  // The first 06:00 IST strictly after `t` (Kite ends every session then; the same rule as
  // the token file's, KiteSessionExpiry).
  static UnixNanos ExpiryAfter(UnixNanos t);

 private:
  std::string NewToken();
  KiteUser user_;
  std::mt19937_64 rng_;
  DurationNs request_token_ttl_;
  std::map<std::string, UnixNanos> request_tokens_;  // token -> issued at
  std::map<std::string, UnixNanos> sessions_;        // access token -> expires at
};

}  // namespace nacre::kite_emu
