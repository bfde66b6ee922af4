#include "apps/kite_emulator/sessions.h"

#include "adapters/zerodha/kite_auth.h"
#include "adapters/zerodha/kite_session.h"

namespace nacre::kite_emu {

namespace {

SessionRefusal TokenRefusal(std::string message) {
  return SessionRefusal{403, "TokenException", std::move(message)};
}

}  // namespace

SessionStore::SessionStore(KiteUser user, std::uint64_t seed, DurationNs request_token_ttl)
    : user_(std::move(user)), rng_(seed), request_token_ttl_(request_token_ttl) {}

std::string SessionStore::NewToken() {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::uniform_int_distribution<std::size_t> pick(0, sizeof(kChars) - 2);
  std::string t(32, ' ');
  for (char& c : t) c = kChars[pick(rng_)];
  return t;
}

UnixNanos SessionStore::ExpiryAfter(UnixNanos t) { return KiteSessionExpiry(t); }

std::variant<std::string, SessionRefusal> SessionStore::Login(const std::string& api_key,
                                                              UnixNanos now) {
  if (api_key != user_.api_key) {
    return SessionRefusal{400, "InputException", "Invalid `api_key`."};
  }
  std::string token = NewToken();
  request_tokens_[token] = now;
  return token;
}

std::variant<std::string, SessionRefusal> SessionStore::Exchange(const std::string& api_key,
                                                                 const std::string& request_token,
                                                                 const std::string& checksum,
                                                                 UnixNanos now) {
  if (api_key != user_.api_key) {
    return SessionRefusal{400, "InputException", "Invalid `api_key`."};
  }
  auto it = request_tokens_.find(request_token);
  if (it == request_tokens_.end() || now - it->second > request_token_ttl_) {
    if (it != request_tokens_.end()) request_tokens_.erase(it);
    return TokenRefusal("Token is invalid or has expired.");
  }
  if (checksum != KiteChecksum(api_key, request_token, user_.api_secret)) {
    return TokenRefusal("Invalid checksum.");
  }
  request_tokens_.erase(it);  // single use
  std::string access = NewToken();
  sessions_[access] = ExpiryAfter(now);
  return access;
}

std::optional<SessionRefusal> SessionStore::Check(const std::string& api_key,
                                                  const std::string& access_token,
                                                  UnixNanos now) const {
  if (api_key != user_.api_key) return TokenRefusal("Incorrect `api_key` or `access_token`.");
  auto it = sessions_.find(access_token);
  if (it == sessions_.end() || now >= it->second) {
    return TokenRefusal("Incorrect `api_key` or `access_token`.");
  }
  return std::nullopt;
}

std::optional<SessionRefusal> SessionStore::Logout(const std::string& api_key,
                                                   const std::string& access_token,
                                                   UnixNanos now) {
  if (auto refused = Check(api_key, access_token, now)) return refused;
  sessions_.erase(access_token);
  return std::nullopt;
}

}  // namespace nacre::kite_emu
