#include "apps/kite_emulator/ticker.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "adapters/zerodha/kite_errors.h"
#include "apps/kite_emulator/emulator.h"

namespace nacre::kite_emu {

Ticker::Ticker(net::IoThread& io, SessionStore& sessions, std::function<UnixNanos()> clock,
               TickerOptions options)
    : io_(io), sessions_(sessions), clock_(std::move(clock)), options_(std::move(options)) {
  net::WsServer::Handlers h;
  h.on_handshake = [this](const std::string& target) { return Handshake(target); };
  h.on_open = [this](std::uint64_t conn, const std::string& target) {
    conns_[conn] = Conn{ApiKeyOf(target), {}};
  };
  h.on_message = [this](std::uint64_t conn, const net::WsMessage& m) { OnMessage(conn, m); };
  h.on_close = [this](std::uint64_t conn) {
    conns_.erase(conn);
    deferred_.erase(conn);
    stalled_until_.erase(conn);
  };
  net::WsServerOptions o;
  o.address = options_.address;
  o.port = options_.port;
  server_ = std::make_unique<net::WsServer>(io_, std::move(h), o);
}

Ticker::~Ticker() { Stop(); }

Status Ticker::Start() {
  if (Status s = server_->Start(); !s) return s;
  heartbeat_ = io_.Every(options_.heartbeat, [this] {
    const UnixNanos wall = Wall();
    for (const auto& [conn, c] : conns_) {
      if (auto st = stalled_until_.find(conn); st != stalled_until_.end() && wall < st->second) {
        continue;  // a stalled connection gets nothing, heartbeats included
      }
      server_->Send(conn, net::WsMessage{true, KiteHeartbeat()});
      ++heartbeats_sent_;
    }
  });
  return Status::Ok();
}

void Ticker::Stop() {
  if (heartbeat_ != 0) io_.Cancel(heartbeat_);
  heartbeat_ = 0;
  if (server_) server_->Stop();
}

std::uint16_t Ticker::port() const { return server_->port(); }

void Ticker::Publish(const std::vector<std::uint32_t>& tokens,
                     const std::function<KiteTick(std::uint32_t, KiteMode)>& tick) {
  if (tokens.empty()) return;
  // A frame holds at most 65,535 packets (its uint16 count); Kite's own frames are far smaller.
  constexpr std::size_t kMaxPackets = 1000;
  static constexpr FaultAction kFrameFaults[] = {FaultAction::kWsDrop, FaultAction::kWsStall,
                                                 FaultAction::kWsErrorFrame};
  const UnixNanos wall = Wall();
  std::vector<std::uint64_t> drop;
  for (const auto& [conn, c] : conns_) {
    if (auto st = stalled_until_.find(conn); st != stalled_until_.end() && wall < st->second) {
      continue;
    }
    // A slow reader: keep its tokens for later (latest state then), send nothing now.
    std::set<std::uint32_t>& later = deferred_[conn];
    if (server_->Queued(conn) > options_.max_backlog_frames) {
      for (std::uint32_t token : tokens) {
        if (c.tokens.count(token) != 0) later.insert(token);
      }
      ++frames_deferred_;
      continue;
    }
    std::vector<KiteTick> ticks;
    for (std::uint32_t token : later) {
      auto s = c.tokens.find(token);
      if (s != c.tokens.end()) ticks.push_back(tick(token, s->second));
    }
    for (std::uint32_t token : tokens) {
      auto s = c.tokens.find(token);
      if (s != c.tokens.end() && later.count(token) == 0) ticks.push_back(tick(token, s->second));
    }
    later.clear();
    if (ticks.empty()) continue;  // nothing for this connection: no frame, no frame fault
    if (auto f = Fault(std::to_string(conn), kFrameFaults)) {
      if (f->action == FaultAction::kWsDrop) {
        drop.push_back(conn);
        continue;
      }
      if (f->action == FaultAction::kWsStall) {
        stalled_until_[conn] = wall + f->delay_ms * kNanosPerMilli;
        continue;
      }
      Error(conn, fmt::format("emulated error frame (fault plan rule {})", f->rule));
    }
    std::vector<KiteTick> batch;
    auto flush = [&] {
      if (batch.empty()) return;
      auto frame = EncodeKiteFrame(batch);
      if (frame.ok()) {
        server_->Send(conn, net::WsMessage{true, std::move(*frame)});
        packets_sent_ += batch.size();
        ++frames_sent_;
      } else {
        Error(conn, "emulator could not encode a tick: " + frame.error());
      }
      batch.clear();
    };
    for (KiteTick& t : ticks) {
      last_sent_[{t.instrument_token, t.mode}] = t;
      batch.push_back(std::move(t));
      if (batch.size() == kMaxPackets) flush();
    }
    flush();
  }
  for (std::uint64_t conn : drop) server_->Drop(conn);
}

std::optional<FiredFault> Ticker::Fault(std::string_view subject,
                                        std::span<const FaultAction> can) {
  if (faults_ == nullptr || faults_->empty()) return std::nullopt;
  auto f = faults_->Check(FaultArea::kWs, "ws", subject, clock_(), can);
  if (f && fired_) fired_(*f);
  return f;
}

void Ticker::Deliver(const std::string& api_key, const std::string& text) {
  const UnixNanos wall = Wall();
  for (const auto& [conn, c] : conns_) {
    if (c.api_key != api_key) continue;
    if (auto st = stalled_until_.find(conn); st != stalled_until_.end() && wall < st->second) {
      continue;  // lost, as Kite never replays an update a socket missed
    }
    server_->Send(conn, net::WsMessage{false, text});
  }
}

void Ticker::SendOrder(const std::string& api_key, const std::string& order_id,
                       const std::string& order_json) {
  static constexpr FaultAction kUpdateFaults[] = {FaultAction::kWsDelay, FaultAction::kWsDuplicate,
                                                  FaultAction::kWsReorder, FaultAction::kWsOmit};
  const std::string text = R"({"type":"order","data":)" + order_json + "}";
  // An update held back by `reorder` goes out right after the order's next one.
  auto release_held = [this, order_id](std::uint64_t only = 0) {
    auto h = held_.find(order_id);
    if (h == held_.end() || (only != 0 && h->second.seq != only)) return;
    const Held held = h->second;
    held_.erase(h);
    Deliver(held.api_key, held.text);
  };
  const std::optional<FiredFault> f = Fault(order_id, kUpdateFaults);
  if (!f) {
    Deliver(api_key, text);
    release_held();
    return;
  }
  switch (f->action) {
    case FaultAction::kWsOmit:
      release_held();
      return;
    case FaultAction::kWsDuplicate:
      Deliver(api_key, text);
      Deliver(api_key, text);
      release_held();
      return;
    case FaultAction::kWsDelay:
      io_.After(f->delay_ms * kNanosPerMilli, [this, api_key, text] { Deliver(api_key, text); });
      release_held();
      return;
    case FaultAction::kWsReorder: {
      release_held();
      const std::uint64_t seq = ++next_hold_;
      held_[order_id] = Held{api_key, text, seq};
      // Not held forever: an order with no later update gets it after 5 s (wall time).
      io_.After(5 * kNanosPerSecond, [release_held, seq] { release_held(seq); });
      return;
    }
    default:
      Deliver(api_key, text);
      return;
  }
}

std::size_t Ticker::Broadcast(const std::string& text) {
  const std::string frame = nlohmann::json{{"type", "message"}, {"data", text}}.dump();
  for (const auto& [conn, c] : conns_) server_->Send(conn, net::WsMessage{false, frame});
  return conns_.size();
}

std::size_t Ticker::DropAll() {
  std::vector<std::uint64_t> ids;
  for (const auto& [conn, c] : conns_) ids.push_back(conn);
  for (std::uint64_t id : ids) server_->Drop(id);
  return ids.size();
}

std::map<std::uint64_t, std::map<std::uint32_t, KiteMode>> Ticker::Subscriptions() {
  std::map<std::uint64_t, std::map<std::uint32_t, KiteMode>> out;
  io_.PostAndWait([&] {
    for (const auto& [conn, c] : conns_) out[conn] = c.tokens;
  });
  return out;
}

namespace {

// The handshake query's fields ("/?api_key=…&access_token=…&uid=…").
std::map<std::string, std::string> QueryOf(const std::string& target) {
  const std::size_t q = target.find('?');
  return ParseForm(q == std::string::npos ? std::string_view() : std::string_view(target).substr(q + 1));
}

std::optional<KiteMode> ParseMode(std::string_view m) {
  if (m == "full") return KiteMode::kFull;
  if (m == "quote") return KiteMode::kQuote;
  if (m == "ltp") return KiteMode::kLtp;
  return std::nullopt;
}

}  // namespace

std::string Ticker::ApiKeyOf(const std::string& target) {
  const auto query = QueryOf(target);
  auto it = query.find("api_key");
  return it == query.end() ? std::string() : it->second;
}

std::optional<net::WsRefusal> Ticker::Handshake(const std::string& target) {
  const auto query = QueryOf(target);
  auto get = [&](const char* k) {
    auto it = query.find(k);
    return it == query.end() ? std::string() : it->second;
  };
  const std::string key = get("api_key");
  if (auto refused = sessions_.Check(key, get("access_token"), clock_())) {
    return net::WsRefusal{refused->status, KiteErrorBody(refused->error_type, refused->message)};
  }
  std::size_t open = 0;
  for (const auto& [conn, c] : conns_) open += c.api_key == key ? 1 : 0;
  if (open >= options_.max_connections_per_key) {
    return net::WsRefusal{
        429, KiteErrorBody("NetworkException",
                           fmt::format("Maximum {} connections per api_key",
                                       options_.max_connections_per_key))};
  }
  return std::nullopt;
}

void Ticker::Error(std::uint64_t conn, const std::string& text) {
  server_->Send(conn, net::WsMessage{false, nlohmann::json{{"type", "error"}, {"data", text}}.dump()});
}

void Ticker::OnMessage(std::uint64_t conn, const net::WsMessage& m) {
  auto it = conns_.find(conn);
  if (it == conns_.end() || m.binary) return;
  Conn& c = it->second;
  const nlohmann::json msg = nlohmann::json::parse(m.data, nullptr, false);
  if (msg.is_discarded() || !msg.is_object() || !msg.contains("a") || !msg["a"].is_string() ||
      !msg.contains("v")) {
    return Error(conn, "Invalid message: expected {\"a\": action, \"v\": value}");
  }
  const std::string a = msg["a"];
  const nlohmann::json& v = msg["v"];
  auto tokens_of = [&](const nlohmann::json& arr, std::vector<std::uint32_t>& out) {
    if (!arr.is_array()) return false;
    for (const auto& t : arr) {
      if (!t.is_number_unsigned() && !t.is_number_integer()) return false;
      out.push_back(t.get<std::uint32_t>());
    }
    return true;
  };
  std::vector<std::uint32_t> tokens;
  if (a == "subscribe" || a == "unsubscribe") {
    if (!tokens_of(v, tokens)) return Error(conn, "Invalid " + a + ": v must be a token list");
    for (std::uint32_t t : tokens) {
      if (a == "unsubscribe") {
        c.tokens.erase(t);
      } else if (c.tokens.count(t) == 0) {
        if (c.tokens.size() >= options_.max_tokens_per_connection) {
          return Error(conn, fmt::format("Maximum {} instruments per connection",
                                         options_.max_tokens_per_connection));
        }
        c.tokens[t] = KiteMode::kQuote;  // a plain subscribe is quote mode
      }
    }
    return;
  }
  if (a == "mode") {
    if (!v.is_array() || v.size() != 2 || !v[0].is_string() || !tokens_of(v[1], tokens)) {
      return Error(conn, "Invalid mode: v must be [mode, [tokens]]");
    }
    const std::string mode = v[0];
    const std::optional<KiteMode> km = ParseMode(mode);
    if (!km) return Error(conn, "Invalid mode '" + mode + "' (ltp, quote, full)");
    for (std::uint32_t t : tokens) {
      auto s = c.tokens.find(t);
      if (s != c.tokens.end()) s->second = *km;
    }
    return;
  }
  Error(conn, "Unknown action '" + a + "'");
}

}  // namespace nacre::kite_emu
