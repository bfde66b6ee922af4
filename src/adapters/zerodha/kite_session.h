// Kite Connect login state (KITE_CONNECT.md §1, LIVE.md §11): the `[kite]` config section, the
// token file `nacre kite login` writes and a live node reads, the request-token exchange and
// logout, and the watcher a halted node polls for a new login.
//
// Secrets: the API secret is never in a config file (an inline `api_secret` is refused) but in
// an environment variable named by `api_secret_env` or in a 0600 file named by
// `api_secret_file`; it is read only by the login, registered with RegisterSecret and never
// written anywhere. Request and access tokens are registered the moment they are received or
// read; every error built from a URL, a body or a server message passes through Redact().
//
// The token file is JSON {api_key, user_id, access_token, public_token, login_time,
// expires_at} (times ISO 8601 in IST), written atomically (a temp file in the same folder
// created 0600, fsync, rename, fsync of the folder) and refused when group- or
// world-accessible, malformed or expired. Kite ends every session at about 06:00 IST, so a
// session expires at the first 06:00 IST strictly after its login time.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/zerodha/kite_url.h"
#include "common/params.h"
#include "core/result.h"
#include "core/time.h"

namespace nacre {

// ---- config: [kite] ----

inline constexpr std::string_view kKiteDefaultSecretEnv = "NACRE_KITE_API_SECRET";

struct KiteCredentials {
  std::string api_key;
  // Where the secret is: the name of an environment variable, or a file (mode 0600) when
  // api_secret_file was given. The secret itself is read by KiteApiSecret(), only to log in.
  std::string api_secret_env = std::string(kKiteDefaultSecretEnv);
  std::string api_secret_file;  // absolute, or relative to the process; "" when not given
  KiteUrl base_url;             // REST (http/https)
  KiteUrl login_url;            // the browser's login page (http/https)
  KiteUrl ticker_url;           // the WebSocket ticker (ws/wss)
  std::string token_file;       // resolved against the config file's folder
  std::uint16_t redirect_port = 5010;
};

// The [kite] section's keys (docs/config.md).
ParamSchema KiteSchema();
// Reads a [kite] table; relative paths resolve against `base_dir`. Throws ConfigError naming
// the file, line and key (an inline api_secret, a bad URL, both secret sources).
KiteCredentials LoadKiteCredentials(const ConfigTable& kite, const std::string& base_dir);
// The [kite] section of a node config file (the other sections are not read here).
KiteCredentials LoadKiteCredentialsFile(const std::string& config_path);

// Looks an environment variable up (std::getenv by default; tests pass their own).
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
std::optional<std::string> ProcessEnv(const std::string& name);
// The API secret from where the credentials say (registered as a secret); the error names the
// variable or file and says how to provide it. Never the secret's value.
Result<std::string> KiteApiSecret(const KiteCredentials& credentials,
                                  const EnvLookup& env = ProcessEnv);

// "{login_url}?api_key=KEY&v=3": where the user logs in.
std::string KiteLoginUrl(const KiteCredentials& credentials);

// ---- the token file ----

struct KiteSessionFile {
  std::string api_key;
  std::string user_id;
  std::string access_token;
  std::string public_token;  // "" when Kite sent none
  UnixNanos login_time;
  UnixNanos expires_at;
};

// The first 06:00 IST strictly after `login_time` (a 09:00 login lasts until 06:00 the next
// day, a 01:30 login until 06:00 the same morning).
UnixNanos KiteSessionExpiry(UnixNanos login_time);

// The file's JSON text, and back (the error names `name` and the field at fault).
std::string KiteSessionJson(const KiteSessionFile& session);
Result<KiteSessionFile> ParseKiteSessionJson(std::string_view text, const std::string& name);

// Writes `path` atomically with mode 0600 (its folder is created when missing).
Status WriteKiteSessionFile(const std::string& path, const KiteSessionFile& session);
// Reads `path`, refusing a missing file (kNotFound), a group- or world-accessible one
// (kFailedPrecondition: the mode and `chmod 600 path`) and a malformed one (kInvalidInput,
// naming the field). Registers the access token. Does not look at the expiry.
Result<KiteSessionFile> LoadKiteSessionFile(const std::string& path);
// kToken "… expired at 2026-12-05 06:00:00 IST …" when `now` ≥ expires_at, or when `api_key`
// (when given) is not the one the session was made for.
Status CheckKiteSession(const KiteSessionFile& session, const std::string& path, UnixNanos now,
                        std::string_view api_key = {});
// LoadKiteSessionFile, then CheckKiteSession.
Result<KiteSessionFile> ReadKiteSessionFile(const std::string& path, UnixNanos now,
                                            std::string_view api_key = {});
// Mode bits of `path` (the low 12), or an error naming it.
Result<mode_t> FileMode(const std::string& path);

// ---- the exchange and logout (blocking; over net::HttpClient, TLS verified when https) ----

// POST /session/token with api_key, request_token and the checksum: the new session (its
// expiry from Kite's login_time). Errors are redacted and say what to do: a refused request
// token (single use, minutes) is kToken "… log in again"; a refused checksum names the secret.
Result<KiteSessionFile> ExchangeRequestToken(const KiteCredentials& credentials,
                                             std::string_view api_secret,
                                             std::string_view request_token, DurationNs deadline);
// DELETE /session/token?api_key=…&access_token=…: Kite ends the session (kToken when Kite
// says it had already ended).
Status KiteLogout(const KiteCredentials& credentials, const KiteSessionFile& session,
                  DurationNs deadline);

// ---- the watcher a halted node polls ----

// After a 403 TokenException the node halts and polls Poll() until `nacre kite login` writes
// a new session: the file is read only when it changed (inode, size, mtime or ctime) or the
// last read failed on I/O, and a session is returned only when it is valid (mode, fields,
// api_key, not expired) and its access token differs from the last one seen (the refused
// one). Not thread-safe.
class KiteSessionWatcher {
 public:
  KiteSessionWatcher(std::string path, std::string api_key, std::string last_access_token);
  std::optional<KiteSessionFile> Poll(UnixNanos now);
  // Why the last look found nothing usable ("" once a session was returned), for the node's
  // status and alert: "no file", the read's error, or "still the refused session".
  const std::string& waiting_for() const { return waiting_for_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string api_key_;
  std::string last_access_token_;
  std::string seen_;  // the file's identity when last read ("" none)
  std::string waiting_for_;
};

}  // namespace nacre
