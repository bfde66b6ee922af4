#include "adapters/zerodha/kite_session.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "adapters/zerodha/kite_auth.h"
#include "adapters/zerodha/kite_errors.h"
#include "adapters/zerodha/kite_json.h"
#include "core/secrets.h"
#include "net/http_client.h"

namespace nacre {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kDefaultBaseUrl = "https://api.kite.trade";
constexpr const char* kDefaultLoginUrl = "https://kite.zerodha.com/connect/login";
constexpr const char* kDefaultTickerUrl = "wss://ws.kite.trade";
constexpr const char* kDefaultTokenFile = "state/kite_session.json";

std::string Errno() { return std::strerror(errno); }

std::string ModeText(mode_t mode) { return fmt::format("{:04o}", mode & 07777); }

// Closes a descriptor on every path.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

// The whole content of an open file.
Result<std::string> ReadAll(int fd, const std::string& path) {
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return MakeError(ErrorCode::kIo, path + ": cannot read: " + Errno());
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// Opens `path` for reading and checks that only its owner may read or write it; `what` names
// the file in the error ("the Kite session file").
Result<std::string> ReadPrivateFile(const std::string& path, const std::string& what) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.fd < 0) {
    const ErrorCode code = errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo;
    return MakeError(code, fmt::format("{}: cannot open {}: {}", path, what, Errno()));
  }
  struct stat st {};
  if (::fstat(fd.fd, &st) != 0) {
    return MakeError(ErrorCode::kIo, fmt::format("{}: cannot stat {}: {}", path, what, Errno()));
  }
  if (!S_ISREG(st.st_mode)) {
    return MakeError(ErrorCode::kInvalidInput,
                     fmt::format("{}: {} is not a regular file", path, what));
  }
  if ((st.st_mode & 077) != 0) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("{}: {} has mode {}: others may read or change it, and it holds a "
                                 "secret; refused. Make it private: chmod 600 {}",
                                 path, what, ModeText(st.st_mode), path));
  }
  return ReadAll(fd.fd, path);
}

std::string Trim(std::string s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.back())) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && space(s[i])) ++i;
  return s.substr(i);
}

KiteUrl UrlKey(const Params& p, const std::string& key, const std::vector<std::string>& schemes) {
  auto url = ParseKiteUrl(p.GetString(key), schemes);
  if (!url.ok()) p.Fail(key, url.error());
  return *url;
}

std::string Resolve(const std::string& path, const std::string& base_dir) {
  fs::path p(path);
  if (p.is_relative() && !base_dir.empty()) p = fs::path(base_dir) / p;
  return p.lexically_normal().string();
}

// One request to Kite's REST base URL (X-Kite-Version 3), on a connection of its own.
Result<net::HttpResponse> SendToKite(const KiteCredentials& c, net::HttpRequest request,
                                     DurationNs deadline) {
  request.headers.emplace_back("X-Kite-Version", "3");
  request.headers.emplace_back("User-Agent", "nacre");
  net::HttpClient client(c.base_url.host, c.base_url.port,
                         net::HttpClientTls{c.base_url.tls(), ""});
  return client.Send(request, deadline);
}

Result<std::string> JsonString(const json& data, const char* field, bool required) {
  const auto it = data.find(field);
  if (it == data.end() || it->is_null()) {
    if (!required) return std::string();
    return MakeError(ErrorCode::kInvalidInput, fmt::format("has no `{}`", field));
  }
  if (!it->is_string() || (required && it->get<std::string>().empty())) {
    return MakeError(ErrorCode::kInvalidInput,
                     fmt::format("`{}` is not a non-empty string", field));
  }
  return it->get<std::string>();
}

}  // namespace

// ---- config ----

ParamSchema KiteSchema() {
  using P = ParamSpec;
  return {"[kite]",
          "Zerodha Kite Connect: the app's API key, where its secret is, the URLs and the "
          "token file (`nacre kite login` writes it, a live node reads it)",
          {
              P::String("api_key").Required().Doc("the Kite Connect app's API key"),
              P::String("api_secret_env", std::string(kKiteDefaultSecretEnv))
                  .Doc("the name of the environment variable holding the API secret (the "
                       "secret is never written in a config file: `api_secret` is refused)"),
              P::String("api_secret_file")
                  .Doc("instead of api_secret_env: a file (mode 0600, relative to the config "
                       "file) holding the API secret"),
              P::String("base_url", kDefaultBaseUrl).Doc("the REST API (http or https)"),
              P::String("login_url", kDefaultLoginUrl)
                  .Doc("the login page (`?api_key=…&v=3` is added; http or https)"),
              P::String("ticker_url", kDefaultTickerUrl).Doc("the WebSocket ticker (ws or wss)"),
              P::String("token_file", kDefaultTokenFile)
                  .Doc("the session `nacre kite login` writes (mode 0600, relative to the config "
                       "file)"),
              P::Int("redirect_port", 5010)
                  .Range(1, 65535)
                  .Doc("the port of `nacre kite login`'s one-shot listener on 127.0.0.1 (the "
                       "app's redirect URL: http://127.0.0.1:PORT/)"),
              // The live node's keys (kite_node.h); the login ignores them.
              P::Bool("allow_real_money", false)
                  .Doc("a live node refuses a base_url other than 127.0.0.1 (Zerodha's own "
                       "servers: real orders, real money) unless this is true"),
              P::Choice("underlying", "NIFTY", {"NIFTY"})
                  .Doc("whose contracts the node loads from Kite's instruments dump (the index "
                       "and its NFO options and futures)"),
              P::String("holidays")
                  .Doc("an NSE F&O holiday file (relative to the config file) for the "
                       "instruments' cross-check against Nacre's expiry calendar"),
              P::String("account_id", "KITE-001").Doc("the node's account id for the Kite account"),
              P::Choice("product", "NRML", {"NRML"}).Doc("Kite product of every order (NRML)"),
              P::String("market_protection", "-1")
                  .Doc("Kite market_protection (percent; -1: Kite's automatic) for MARKET and "
                       "SL-M orders that carry none; 0 is refused (Kite rejects unprotected "
                       "market orders)"),
              P::Choice("orphan_policy", "cancel", {"cancel", "keep"})
                  .Doc("an order with this node's tag that it does not know (placed, its "
                       "answer lost, found later): adopted and cancelled, or adopted and kept"),
              P::Number("ambiguity_window_secs", 10)
                  .AtLeast(0.1)
                  .AtMost(300)
                  .Doc("after a placement whose answer was lost, how long its tag is looked "
                       "for in Kite's order book before the order is rejected as not placed "
                       "(and its tag watched)"),
              P::Number("orders_poll_secs", 5)
                  .AtLeast(0)
                  .AtMost(600)
                  .Doc("the day's order book is read this often; an order that moved without "
                       "an update reaching the node is fetched (0: off)"),
              P::Number("account_poll_secs", 60)
                  .AtLeast(0)
                  .AtMost(3600)
                  .Doc("the account as Kite reports it (/user/margins) is read this often, as "
                       "well as at start and shortly after each batch of fills, and reported to "
                       "the kernel (0: only at start and after fills)"),
              P::Money("account_tolerance", "1")
                  .Doc("a WARN when Kite's account total (net + span + exposure) and Nacre's "
                       "own books differ by more than this (rupees)"),
              P::Number("positions_poll_secs", 30)
                  .AtLeast(0)
                  .AtMost(3600)
                  .Doc("Kite's net positions (/portfolio/positions) are read this often and "
                       "compared with the kernel's; the same difference on two consecutive "
                       "polls halts trading (0: off)"),
              P::Bool("basket_margin_check", false)
                  .Doc("before a spread's legs are sent, Kite's /margins/basket is asked for the "
                       "margin it requires, logged beside Nacre's own figure (informational: "
                       "the legs never wait for it)"),
              P::Number("basket_deadline_secs", 1)
                  .AtLeast(0.05)
                  .AtMost(10)
                  .Doc("how long the basket margin check waits for Kite's answer"),
              P::Money("starting_balance")
                  .Doc("the account's starting cash (default: Kite's account at start, from "
                       "/user/margins: net + span + exposure)"),
              P::String("ca_file")
                  .Doc("a PEM file of CAs the REST API's and the ticker's TLS certificates are "
                       "verified against (relative to the config file; default: the system's)"),
              P::Int("chain_days", 14)
                  .Range(0, 400)
                  .Doc("the ticker streams every contract of the underlying expiring within "
                       "this many days (and the index), whatever the strategies subscribe: a "
                       "strategy reads the chain's quotes from the cache, as in a backtest (0: "
                       "only what is subscribed)"),
              P::Int("warmup_bars", 0)
                  .Range(0, 10'000)
                  .Doc("EXTERNAL bars (Kite's candles) fetched from before the start, so bar "
                       "indicators are warm at once (0: from the start only, as a backtest "
                       "from the same start)"),
              P::Bool("clock_from_emulator", false)
                  .Doc("the node's clock follows the Kite emulator's virtual clock "
                       "(/__emu/clock: its time and speed); only with a 127.0.0.1 base_url"),
          }};
}

KiteCredentials LoadKiteCredentials(const ConfigTable& kite, const std::string& base_dir) {
  if (kite.Has("api_secret")) {
    kite.Fail("api_secret",
              fmt::format("a secret is never written in a config file: remove it, and put the "
                          "secret in the environment variable named by api_secret_env (default "
                          "{}) or in a file only you can read (chmod 600) named by "
                          "api_secret_file",
                          kKiteDefaultSecretEnv));
  }
  const Params p(kite, KiteSchema());
  KiteCredentials c;
  c.api_key = p.GetString("api_key");
  if (c.api_key.empty()) p.Fail("api_key", "must not be empty");
  if (p.Has("api_secret_env") && p.Has("api_secret_file")) {
    p.Fail("api_secret_file", "give api_secret_env or api_secret_file, not both");
  }
  c.api_secret_env = p.GetString("api_secret_env");
  if (c.api_secret_env.empty()) p.Fail("api_secret_env", "must name an environment variable");
  if (p.Has("api_secret_file")) {
    const std::string f = p.GetString("api_secret_file");
    if (f.empty()) p.Fail("api_secret_file", "must name a file");
    c.api_secret_file = Resolve(f, base_dir);
  }
  c.base_url = UrlKey(p, "base_url", {"http", "https"});
  c.login_url = UrlKey(p, "login_url", {"http", "https"});
  c.ticker_url = UrlKey(p, "ticker_url", {"ws", "wss"});
  const std::string token_file = p.GetString("token_file");
  if (token_file.empty()) p.Fail("token_file", "must name a file");
  c.token_file = Resolve(token_file, base_dir);
  c.redirect_port = static_cast<std::uint16_t>(p.GetInt("redirect_port"));
  return c;
}

KiteCredentials LoadKiteCredentialsFile(const std::string& config_path) {
  const auto root = ConfigTable::ParseFile(config_path);
  const ConfigTable top(*root, config_path, "");
  if (!top.Has("kite")) {
    throw ConfigError(config_path +
                      ": no [kite] section (api_key and where the API secret is; see "
                      "docs/config.md)");
  }
  return LoadKiteCredentials(top.GetTable("kite"), fs::path(config_path).parent_path().string());
}

std::optional<std::string> ProcessEnv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

Result<std::string> KiteApiSecret(const KiteCredentials& c, const EnvLookup& env) {
  std::string secret;
  std::string source;
  if (!c.api_secret_file.empty()) {
    auto text = ReadPrivateFile(c.api_secret_file, "the Kite API secret file");
    if (!text.ok()) return MakeError(ErrorCode::kInvalidInput, text.error());
    secret = Trim(*text);
    source = c.api_secret_file;
    if (secret.empty()) {
      return MakeError(ErrorCode::kInvalidInput,
                       c.api_secret_file + ": the Kite API secret file is empty");
    }
  } else {
    const auto value = env(c.api_secret_env);
    source = "the environment variable " + c.api_secret_env;
    if (!value || value->empty()) {
      return MakeError(
          ErrorCode::kInvalidInput,
          fmt::format("the Kite API secret: the environment variable {} is not set (export {}=… "
                      "before running, name another variable with [kite] api_secret_env, or "
                      "give a 0600 file with [kite] api_secret_file)",
                      c.api_secret_env, c.api_secret_env));
    }
    secret = Trim(*value);
  }
  if (secret.size() < 6) {
    return MakeError(ErrorCode::kInvalidInput, "the Kite API secret from " + source +
                                                   " is too short (under 6 characters) to be one");
  }
  RegisterSecret(secret);
  return secret;
}

std::string KiteLoginUrl(const KiteCredentials& c) {
  const std::string url = c.login_url.Text();
  const char sep = url.find('?') == std::string::npos ? '?' : '&';
  return url + sep + FormEncode({{"api_key", c.api_key}, {"v", "3"}});
}

// ---- the token file ----

UnixNanos KiteSessionExpiry(UnixNanos login_time) {
  const std::int64_t ist = login_time.value + kIstOffset;
  std::int64_t ist_day = ist / kNanosPerDay;
  if (ist % kNanosPerDay < 0) --ist_day;  // floor for instants before 1970
  UnixNanos six(ist_day * kNanosPerDay + 6 * kNanosPerHour - kIstOffset);
  if (six <= login_time) six += kNanosPerDay;
  return six;
}

std::string KiteSessionJson(const KiteSessionFile& s) {
  json j{{"api_key", s.api_key},
         {"user_id", s.user_id},
         {"access_token", s.access_token},
         {"public_token", s.public_token},
         {"login_time", FormatIsoIst(s.login_time)},
         {"expires_at", FormatIsoIst(s.expires_at)}};
  return j.dump(2) + "\n";
}

Result<KiteSessionFile> ParseKiteSessionJson(std::string_view text, const std::string& name) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return MakeError(ErrorCode::kInvalidInput,
                     name +
                         ": not a Kite session file (not a JSON object); log in again with "
                         "`nacre kite login CONFIG`");
  }
  auto field_error = [&](const char* field, const std::string& why) {
    return MakeError(ErrorCode::kInvalidInput,
                     fmt::format("{}: field `{}` {}; log in again with `nacre kite login CONFIG`",
                                 name, field, why));
  };
  KiteSessionFile s;
  const std::pair<const char*, std::string*> strings[] = {
      {"api_key", &s.api_key}, {"user_id", &s.user_id}, {"access_token", &s.access_token}};
  for (const auto& [field, out] : strings) {
    const auto it = j.find(field);
    if (it == j.end()) return field_error(field, "is missing");
    if (!it->is_string() || it->get<std::string>().empty()) {
      return field_error(field, "is not a non-empty string");
    }
    *out = it->get<std::string>();
  }
  if (const auto it = j.find("public_token"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return field_error("public_token", "is not a string");
    s.public_token = it->get<std::string>();
  }
  const std::pair<const char*, UnixNanos*> times[] = {{"login_time", &s.login_time},
                                                      {"expires_at", &s.expires_at}};
  for (const auto& [field, out] : times) {
    const auto it = j.find(field);
    if (it == j.end()) return field_error(field, "is missing");
    if (!it->is_string()) return field_error(field, "is not a time text");
    auto t = ParseDateTime(it->get<std::string>(), kIstOffset);
    if (!t.ok()) return field_error(field, "is not a time: " + t.error());
    *out = *t;
  }
  return s;
}

Status WriteKiteSessionFile(const std::string& path, const KiteSessionFile& session) {
  const fs::path target(path);
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return MakeError(ErrorCode::kIo,
                     fmt::format("{}: cannot create the folder: {}", dir.string(), ec.message()));
  }
  const std::string tmp =
      (dir / fmt::format(".{}.tmp.{}", target.filename().string(), ::getpid())).string();
  ::unlink(tmp.c_str());  // a leftover of a crashed login
  // Created private: the access token is never readable by others, not even for a moment.
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.fd < 0) return MakeError(ErrorCode::kIo, tmp + ": cannot create: " + Errno());
  const std::string text = KiteSessionJson(session);
  auto fail = [&](const std::string& what) {
    Status s = MakeError(ErrorCode::kIo, fmt::format("{}: {}: {}", tmp, what, Errno()));
    ::unlink(tmp.c_str());
    return s;
  };
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd.fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.fd) != 0) return fail("fsync");
  if (::close(fd.fd) != 0) {
    fd.fd = -1;
    return fail("close");
  }
  fd.fd = -1;
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("cannot rename to " + path);
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.fd < 0 || ::fsync(dfd.fd) != 0) {
    return MakeError(ErrorCode::kIo, dir.string() + ": fsync of the folder: " + Errno());
  }
  return Status::Ok();
}

Result<KiteSessionFile> LoadKiteSessionFile(const std::string& path) {
  auto text = ReadPrivateFile(path, "the Kite session file");
  if (!text.ok()) {
    if (text.code() == ErrorCode::kNotFound) {
      return MakeError(ErrorCode::kNotFound,
                       path + ": no Kite session (log in with `nacre kite login CONFIG`)");
    }
    return std::move(text).take_error();
  }
  auto session = ParseKiteSessionJson(*text, path);
  if (session.ok()) RegisterSecret(session->access_token);
  return session;
}

Status CheckKiteSession(const KiteSessionFile& session, const std::string& path, UnixNanos now,
                        std::string_view api_key) {
  if (!api_key.empty() && session.api_key != api_key) {
    return MakeError(ErrorCode::kToken,
                     fmt::format("{}: the session is for api_key {}, the config's is {}: log in "
                                 "again with `nacre kite login CONFIG`",
                                 path, session.api_key, api_key));
  }
  if (now >= session.expires_at) {
    return MakeError(ErrorCode::kToken,
                     fmt::format("{}: the Kite session of {} expired at {} (Kite ends sessions at "
                                 "about 06:00 IST): log in again with `nacre kite login CONFIG`",
                                 path, session.user_id, FormatIst(session.expires_at)));
  }
  return Status::Ok();
}

Result<KiteSessionFile> ReadKiteSessionFile(const std::string& path, UnixNanos now,
                                            std::string_view api_key) {
  auto session = LoadKiteSessionFile(path);
  if (!session.ok()) return session;
  if (Status s = CheckKiteSession(*session, path, now, api_key); !s.ok()) {
    return MakeError(s.code(), s.error());
  }
  return session;
}

Result<mode_t> FileMode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return MakeError(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                     path + ": " + Errno());
  }
  return static_cast<mode_t>(st.st_mode & 07777);
}

// ---- exchange and logout ----

Result<KiteSessionFile> ExchangeRequestToken(const KiteCredentials& c, std::string_view api_secret,
                                             std::string_view request_token, DurationNs deadline) {
  RegisterSecret(api_secret);
  RegisterSecret(request_token);
  const std::string where = "POST " + c.base_url.Text() + "/session/token";
  if (request_token.empty()) {
    return MakeError(ErrorCode::kInvalidInput, "no request token given: log in again");
  }
  net::HttpRequest r;
  r.method = "POST";
  r.target = c.base_url.path + "/session/token";
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  r.body = FormEncode({{"api_key", c.api_key},
                       {"request_token", std::string(request_token)},
                       {"checksum", KiteChecksum(c.api_key, request_token, api_secret)}});
  auto resp = SendToKite(c, std::move(r), deadline);
  if (!resp.ok()) {
    return MakeError(resp.code(),
                     Redact(fmt::format("{}: {} (the request token may be spent: log in again)",
                                        where, resp.error())));
  }
  KiteError kerr;
  auto reply = ParseKiteEnvelope(resp->status, resp->Header("Content-Type"), resp->body, &kerr);
  if (!reply.ok()) {
    if (kerr.error_type == "TokenException") {
      if (kerr.message.find("checksum") != std::string::npos) {
        return MakeError(ErrorCode::kToken,
                         Redact(fmt::format("{}: Kite refused the checksum ({}): the API secret "
                                            "is not the one of api_key {}",
                                            where, kerr.message, c.api_key)));
      }
      return MakeError(ErrorCode::kToken,
                       Redact(fmt::format("{}: the request token was refused (it is single-use "
                                          "and lasts minutes): log in again (Kite: {})",
                                          where, kerr.message)));
    }
    if (kerr.error_type == "InputException") {
      return MakeError(ErrorCode::kInvalidInput,
                       Redact(fmt::format("{}: Kite refused the login ({}); check [kite] api_key",
                                          where, kerr.message)));
    }
    return MakeError(reply.code(),
                     Redact(fmt::format("{}: {} (the request token may be spent: log in again)",
                                        where, reply.error())));
  }
  const json& data = reply->data;
  auto bad = [&](const std::string& why) {
    return MakeError(ErrorCode::kInvalidInput,
                     Redact(fmt::format("{}: Kite's session answer {}", where, why)));
  };
  if (!data.is_object()) return bad("is not an object");
  auto access = JsonString(data, "access_token", true);
  if (!access.ok()) return bad(access.error());
  RegisterSecret(*access);
  KiteSessionFile s;
  s.api_key = c.api_key;
  s.access_token = *access;
  auto user = JsonString(data, "user_id", true);
  if (!user.ok()) return bad(user.error());
  s.user_id = *user;
  auto pub = JsonString(data, "public_token", false);
  if (!pub.ok()) return bad(pub.error());
  s.public_token = *pub;
  auto login = JsonString(data, "login_time", true);
  if (!login.ok()) return bad(login.error());
  auto t = ParseKiteTime(*login);
  if (!t.ok()) return bad("has a bad login_time: " + t.error());
  s.login_time = *t;
  s.expires_at = KiteSessionExpiry(s.login_time);
  return s;
}

Status KiteLogout(const KiteCredentials& c, const KiteSessionFile& session, DurationNs deadline) {
  RegisterSecret(session.access_token);
  const std::string where = "DELETE " + c.base_url.Text() + "/session/token";
  net::HttpRequest r;
  r.method = "DELETE";
  r.target = c.base_url.path + "/session/token?" +
             FormEncode({{"api_key", session.api_key}, {"access_token", session.access_token}});
  auto resp = SendToKite(c, std::move(r), deadline);
  if (!resp.ok()) return MakeError(resp.code(), Redact(where + ": " + resp.error()));
  KiteError kerr;
  auto reply = ParseKiteEnvelope(resp->status, resp->Header("Content-Type"), resp->body, &kerr);
  if (!reply.ok()) {
    if (kerr.error_type == "TokenException") {
      return MakeError(ErrorCode::kToken,
                       Redact(fmt::format("{}: Kite says the session had already ended ({})", where,
                                          kerr.message)));
    }
    return MakeError(reply.code(), Redact(where + ": " + reply.error()));
  }
  return Status::Ok();
}

// ---- watcher ----

KiteSessionWatcher::KiteSessionWatcher(std::string path, std::string api_key,
                                       std::string last_access_token)
    : path_(std::move(path)),
      api_key_(std::move(api_key)),
      last_access_token_(std::move(last_access_token)) {}

std::optional<KiteSessionFile> KiteSessionWatcher::Poll(UnixNanos now) {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    seen_.clear();
    waiting_for_ = path_ + ": no session file yet (log in with `nacre kite login CONFIG`)";
    return std::nullopt;
  }
  std::string identity =
      fmt::format("{}:{}:{}:{}.{}:{}.{}", st.st_dev, st.st_ino, st.st_size, st.st_mtim.tv_sec,
                  st.st_mtim.tv_nsec, st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
  if (identity == seen_) return std::nullopt;  // unchanged: the last look's answer stands
  seen_ = std::move(identity);
  auto session = ReadKiteSessionFile(path_, now, api_key_);
  if (!session.ok()) {
    if (session.code() == ErrorCode::kIo) seen_.clear();  // a failed read is tried again
    waiting_for_ = session.error();
    return std::nullopt;
  }
  if (session->access_token == last_access_token_) {
    waiting_for_ =
        path_ + ": still the session Kite refused; log in again with `nacre kite login CONFIG`";
    return std::nullopt;
  }
  last_access_token_ = session->access_token;
  waiting_for_.clear();
  return std::move(session).value();
}

}  // namespace nacre
