// `nacre kite login | logout | session CONFIG.toml`: the Kite Connect session a live node uses
// (adapters/zerodha/kite_session.h; the [kite] section of the node config, keys in
// docs/config.md).
//
//   login    prints the login URL and waits (--timeout, default 300 s) on a one-shot listener
//            at http://127.0.0.1:{redirect_port}/ for Kite's redirect with the request token
//            (the app's redirect URL must be that address); or takes the token pasted with
//            --request-token TOKEN (`-`: one line from stdin, out of the shell's history), or
//            asked for on stdin with --no-listen. Then exchanges it (POST /session/token) and
//            writes the token file (0600). Prints the user and the expiry, never a token.
//   logout   ends the session at Kite (DELETE /session/token) and removes the token file.
//   session  shows the token file's user, login time, expiry, time left and mode; exit 1 when
//            it is missing, not private, malformed or expired.
// Exit codes: 0 done; 2 a bad config or input (no [kite], no secret); 1 the login failed.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "adapters/zerodha/kite_session.h"
#include "common/clock.h"
#include "cli/commands.h"
#include "core/secrets.h"
#include "net/http_server.h"
#include "net/io_thread.h"

namespace nacre::cli {
namespace {

constexpr DurationNs kHttpDeadline = 30 * kNanosPerSecond;

struct KiteLoginArgs {
  std::string config;
  std::string request_token;
  bool no_listen = false;
  int timeout_s = 300;
};


std::string Trimmed(std::string s) {
  while (!s.empty() &&
         (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) {
    s.pop_back();
  }
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

// A token pasted on stdin: the token itself, or the whole redirect URL holding it.
std::string ReadPastedToken() {
  if (::isatty(STDIN_FILENO) != 0) {
    fmt::print(stderr, "request_token (or the whole redirect URL): ");
    std::fflush(stderr);
  }
  std::string line;
  std::getline(std::cin, line);
  line = Trimmed(line);
  const std::size_t at = line.find("request_token=");
  if (at != std::string::npos) {
    const std::size_t q = line.find('?');
    const auto form = ParseFormFields(line.substr(q == std::string::npos ? 0 : q + 1));
    const auto it = form.find("request_token");
    line = it == form.end() ? "" : it->second;
  }
  RegisterSecret(line);
  return line;
}

// Exchanges the token and writes the session; the message to print either way (redacted).
struct LoginOutcome {
  Status status;
  std::string message;
};

LoginOutcome ExchangeAndSave(const KiteCredentials& c, const std::string& secret,
                             const std::string& request_token) {
  auto session = ExchangeRequestToken(c, secret, request_token, kHttpDeadline);
  if (!session.ok()) return {Status(std::move(session).take_error()), ""};
  if (Status w = WriteKiteSessionFile(c.token_file, *session); !w.ok()) {
    return {Status(MakeError(w.code(), Redact(w.error()))), ""};
  }
  return {Status::Ok(),
          fmt::format("Logged in to Kite as {} (api_key {}).\nSession written to {} (mode 0600); "
                      "valid until {}.",
                      session->user_id, c.api_key, c.token_file, FormatIst(session->expires_at))};
}

int Finish(const LoginOutcome& o) {
  if (!o.status.ok()) {
    fmt::print(stderr, "error: {}\n", Redact(o.status.error()));
    return o.status.code() == ErrorCode::kInvalidInput ? 2 : 1;
  }
  fmt::print("{}\n", o.message);
  return 0;
}

net::HttpResponse Page(int status, const std::string& title, const std::string& text) {
  net::HttpResponse r;
  r.status = status;
  r.headers = {{"Content-Type", "text/html; charset=utf-8"}, {"Cache-Control", "no-store"}};
  r.body = fmt::format(
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>nacre: {}</title></head>"
      "<body><h1>{}</h1><p>{}</p></body></html>\n",
      title, title, text);
  return r;
}

// Escapes the few characters HTML gives meaning to (an error message shown in the page).
std::string Html(const std::string& s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

int ListenForRedirect(const KiteCredentials& c, const std::string& secret, int timeout_s) {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  LoginOutcome outcome;
  std::uint64_t sent_before = 0;  // responses the server had written when the login came
  const net::HttpServer* self = nullptr;
  net::IoThread io;
  net::HttpServerOptions options;
  options.address = "127.0.0.1";
  options.port = c.redirect_port;
  options.idle_timeout = 10 * kNanosPerSecond;
  // The handler runs on the I/O thread; the exchange blocks it for one request, which is all
  // this one-shot listener serves.
  net::HttpServer server(
      io,
      [&](const net::HttpRequest& r) -> net::HttpResponse {
        const std::size_t q = r.target.find('?');
        const std::string path = r.target.substr(0, q);
        if (r.method != "GET" || path == "/favicon.ico") {
          net::HttpResponse nf;
          nf.status = 404;
          nf.headers = {{"Content-Type", "text/plain"}};
          nf.body = "not found\n";
          return nf;
        }
        const auto query = ParseFormFields(q == std::string::npos ? "" : r.target.substr(q + 1));
        const auto field = [&](const char* k) {
          const auto it = query.find(k);
          return it == query.end() ? std::string() : it->second;
        };
        const std::string token = field("request_token");
        RegisterSecret(token);
        const std::string status = field("status");
        if (!status.empty() && status != "success") {
          return Page(400, "Kite login did not succeed",
                      Html("Kite redirected here with status=" + Redact(status) +
                           ". Run `nacre kite login` again."));
        }
        if (token.empty()) {
          return Page(400, "No request token",
                      "This is the listener of <code>nacre kite login</code>: the address it was "
                      "opened with carries no <code>request_token</code>. Log in through the "
                      "login URL nacre printed.");
        }
        std::lock_guard lock(mu);
        if (done) {
          return Page(409, "Already handled", "nacre has already handled a login; close this tab.");
        }
        outcome = ExchangeAndSave(c, secret, token);
        sent_before = self != nullptr ? self->responses_sent() : 0;
        done = true;
        cv.notify_all();
        if (!outcome.status.ok()) {
          return Page(502, "Login failed",
                      Html(Redact(outcome.status.error())) + ". Run `nacre kite login` again.");
        }
        return Page(200, "Logged in", "Logged in to Kite, you may close this tab.");
      },
      options);
  self = &server;
  if (Status s = server.Start(); !s.ok()) {
    fmt::print(stderr,
               "error: cannot listen for Kite's redirect: {}\n(another login running? Set [kite] "
               "redirect_port, or paste the token: --request-token - or --no-listen)\n",
               s.error());
    return 1;
  }
  fmt::print("Open this URL in a browser and log in to Kite:\n  {}\n", KiteLoginUrl(c));
  fmt::print(
      "Waiting up to {} s for Kite's redirect to http://127.0.0.1:{}/ (the app's redirect "
      "URL) ...\n",
      timeout_s, server.port());
  std::fflush(stdout);
  bool got = false;
  {
    std::unique_lock lock(mu);
    got = cv.wait_for(lock, std::chrono::seconds(timeout_s), [&] { return done; });
  }
  if (got) {
    // Let the browser receive its page before the listener closes: until the server has
    // written it (at most 300 ms; the session is saved already).
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
    while (server.responses_sent() == sent_before && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  server.Stop();
  io.Stop();
  if (!got) {
    fmt::print(stderr,
               "error: no redirect with a request token reached http://127.0.0.1:{}/ within {} "
               "s; check the app's redirect URL, or paste the token with --request-token -\n",
               c.redirect_port, timeout_s);
    return 1;
  }
  return Finish(outcome);
}

int RunLogin(const KiteLoginArgs& a) {
  const KiteCredentials c = LoadKiteCredentialsFile(a.config);
  auto secret = KiteApiSecret(c);
  if (!secret.ok()) {
    fmt::print(stderr, "error: {}\n", secret.error());
    return 2;
  }
  if (a.timeout_s <= 0) {
    fmt::print(stderr, "error: --timeout must be a positive number of seconds\n");
    return 2;
  }
  std::string token = a.request_token;
  if (token == "-") {
    token = ReadPastedToken();
  } else if (token.empty() && a.no_listen) {
    fmt::print(
        "Open this URL in a browser and log in to Kite:\n  {}\nthen paste the "
        "request_token from the address Kite redirects to.\n",
        KiteLoginUrl(c));
    std::fflush(stdout);
    token = ReadPastedToken();
  } else if (token.empty()) {
    return ListenForRedirect(c, *secret, a.timeout_s);
  }
  RegisterSecret(token);
  if (token.empty()) {
    fmt::print(stderr, "error: no request token was given\n");
    return 2;
  }
  return Finish(ExchangeAndSave(c, *secret, token));
}

int RunLogout(const std::string& config) {
  const KiteCredentials c = LoadKiteCredentialsFile(config);
  auto session = LoadKiteSessionFile(c.token_file);
  if (!session.ok()) {
    fmt::print(stderr, "error: {}\n", session.error());
    return 1;
  }
  const Status s = KiteLogout(c, *session, kHttpDeadline);
  if (!s.ok() && s.code() != ErrorCode::kToken) {
    fmt::print(stderr, "error: {}\nThe session may still be live; {} is kept.\n", s.error(),
               c.token_file);
    return 1;
  }
  std::error_code ec;
  std::filesystem::remove(c.token_file, ec);
  if (ec) {
    fmt::print(stderr, "error: {}: cannot remove: {}\n", c.token_file, ec.message());
    return 1;
  }
  if (!s.ok()) {
    fmt::print("{}\n{} removed.\n", s.error(), c.token_file);
  } else {
    fmt::print("Logged out {} from Kite; {} removed.\n", session->user_id, c.token_file);
  }
  return 0;
}

int RunSession(const std::string& config) {
  const KiteCredentials c = LoadKiteCredentialsFile(config);
  auto session = LoadKiteSessionFile(c.token_file);
  if (!session.ok()) {
    fmt::print(stderr, "error: {}\n", session.error());
    return 1;
  }
  const UnixNanos now = SystemNow();
  const DurationNs left = session->expires_at - now;
  fmt::print("Kite session in {}\n", c.token_file);
  fmt::print("  user        {}\n", session->user_id);
  fmt::print("  api_key     {}\n", session->api_key);
  fmt::print("  logged in   {}\n", FormatIst(session->login_time));
  fmt::print("  expires     {}\n", FormatIst(session->expires_at));
  if (left > 0) {
    fmt::print("  remaining   {}h {:02}m\n", left / kNanosPerHour,
               (left % kNanosPerHour) / kNanosPerMinute);
  } else {
    fmt::print("  remaining   none\n");
  }
  // LoadKiteSessionFile refused a file others may read or change.
  const auto mode = FileMode(c.token_file);
  fmt::print("  file mode   {:04o} (private)\n", mode.ok() ? *mode : 0u);
  if (Status s = CheckKiteSession(*session, c.token_file, now, c.api_key); !s.ok()) {
    fmt::print(stderr, "error: {}\n", s.error());
    return 1;
  }
  return 0;
}

}  // namespace

void AddKiteCommands(CLI::App& app, Commands& out) {
  CLI::App* kite = app.add_subcommand(
      "kite",
      "Zerodha Kite Connect session: login, logout, session ([kite] keys in docs/config.md)");
  kite->require_subcommand(1);

  auto login = std::make_shared<KiteLoginArgs>();
  CLI::App* l = kite->add_subcommand(
      "login", "Log in to Kite and write the token file (mode 0600) a live node reads");
  l->add_option("config", login->config, "Node config (TOML) with the [kite] section")->required();
  l->add_option("--request-token", login->request_token,
                "The request_token from Kite's redirect (`-`: read one line from stdin)");
  l->add_flag("--no-listen", login->no_listen,
              "Do not listen for the redirect: print the login URL and read the token from stdin");
  l->add_option("--timeout", login->timeout_s, "Seconds to wait for the redirect (default 300)");
  out.emplace_back(l, [login] { return RunLogin(*login); });

  auto logout_config = std::make_shared<std::string>();
  CLI::App* lo = kite->add_subcommand("logout", "End the Kite session and remove the token file");
  lo->add_option("config", *logout_config, "Node config (TOML) with the [kite] section")
      ->required();
  out.emplace_back(lo, [logout_config] { return RunLogout(*logout_config); });

  auto session_config = std::make_shared<std::string>();
  CLI::App* s = kite->add_subcommand(
      "session", "Show the token file's session (exit 1 when missing, not private or expired)");
  s->add_option("config", *session_config, "Node config (TOML) with the [kite] section")
      ->required();
  out.emplace_back(s, [session_config] { return RunSession(*session_config); });
}

}  // namespace nacre::cli
