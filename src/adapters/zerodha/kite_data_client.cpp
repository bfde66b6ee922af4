#include "adapters/zerodha/kite_data_client.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>

#include "core/secrets.h"

namespace nacre {

namespace {

constexpr std::size_t kMaxNotices = 1000;
constexpr std::size_t kMaxNoticeText = 300;

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string Shorten(std::string s) {
  if (s.size() > kMaxNoticeText) s = s.substr(0, kMaxNoticeText) + "...";
  return s;
}

}  // namespace

std::optional<QuoteTick> KiteTickConverter::ToQuote(const KiteTick& t, const InstrumentId& id,
                                                    UnixNanos ts_init, bool* one_sided) {
  if (one_sided) *one_sided = false;
  const UnixNanos ts_event =
      t.exchange_timestamp != 0
          ? UnixNanos(static_cast<std::int64_t>(t.exchange_timestamp) * kNanosPerSecond)
          : ts_init;
  if (!t.tradable) {
    // An index: its level as both sides, no size (as the catalog stores index quotes).
    if (!t.last_price.is_positive()) return std::nullopt;
    return QuoteTick{
        id,       t.last_price, t.last_price, Quantity::FromInt(0), Quantity::FromInt(0),
        ts_event, ts_init};
  }
  if (t.mode != KiteMode::kFull) return std::nullopt;  // no depth: no touch
  const KiteDepthLevel& bid = t.buy[0];
  const KiteDepthLevel& ask = t.sell[0];
  if (!bid.price.is_positive() || !ask.price.is_positive()) {
    if (one_sided) *one_sided = true;
    return std::nullopt;
  }
  return QuoteTick{id,
                   bid.price,
                   ask.price,
                   Quantity::FromInt(bid.quantity),
                   Quantity::FromInt(ask.quantity),
                   ts_event,
                   ts_init};
}

KiteTickConverter::Output KiteTickConverter::Convert(const KiteTick& t, const InstrumentId& id,
                                                     UnixNanos ts_init) {
  Output out;
  out.quote = ToQuote(t, id, ts_init, &out.one_sided);
  // Trades: the cumulative volume grew since this token's previous packet.
  if (!t.tradable || t.mode == KiteMode::kLtp) return out;
  auto [prev, first] = volume_.try_emplace(t.instrument_token, t.volume);
  const bool traded =
      !first && t.volume > prev->second && t.last_quantity > 0 && t.last_price.is_positive();
  prev->second = t.volume;
  if (!traded) return out;
  const UnixNanos ts_event =
      t.last_trade_time != 0
          ? UnixNanos(static_cast<std::int64_t>(t.last_trade_time) * kNanosPerSecond)
          : ts_init;
  out.trade = TradeTick{id,
                        t.last_price,
                        Quantity::FromInt(t.last_quantity),
                        OrderSide::kNoSide,
                        TradeId(fmt::format("{}-{}", t.instrument_token, t.volume)),
                        ts_event,
                        ts_init};
  return out;
}

ZerodhaDataClient::ZerodhaDataClient(ZerodhaDataConfig config, const Clock& clock, Inbox& inbox,
                                     net::IoThread& io)
    : config_(std::move(config)), clock_(clock), inbox_(inbox), io_(io) {
  // The token is a secret from the moment it is read; only the handshake target holds it.
  RegisterSecret(config_.access_token);
  access_token_ = std::move(config_.access_token);
  config_.access_token.clear();
}

ZerodhaDataClient::~ZerodhaDataClient() {
  Disconnect();
  io_.PostAndWait([] {});  // a flush posted earlier has run: nothing on the I/O thread sees us
}

Status ZerodhaDataClient::Validate(const ZerodhaDataConfig& c) {
  if (!c.instruments) return MakeError("ticker: no instrument map");
  if (c.api_key.empty()) return MakeError("ticker: api_key is empty");
  if (c.access_token.empty()) return MakeError("ticker: access_token is empty");
  if (c.host.empty() || c.port == 0) return MakeError("ticker: host and port are required");
  if (c.max_tokens_per_connection == 0 || c.max_connections == 0) {
    return MakeError("ticker: max_tokens_per_connection and max_connections must be positive");
  }
  if (c.read_timeout <= 0) return MakeError("ticker: read_timeout must be positive");
  std::error_code ignored;
  if (c.tls && !c.ca_file.empty() && !std::filesystem::is_regular_file(c.ca_file, ignored)) {
    return MakeError(fmt::format("ticker: ca_file {} is not a file", c.ca_file));
  }
  return Status::Ok();
}

std::string ZerodhaDataClient::Target() const {
  const char sep = config_.path.find('?') == std::string::npos ? '?' : '&';
  return fmt::format("{}{}api_key={}&access_token={}", config_.path, sep, config_.api_key,
                     access_token_);
}

UnixNanos ZerodhaDataClient::Wall() const {
  if (config_.wall) return config_.wall();
  return UnixNanos(std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::steady_clock::now().time_since_epoch())
                       .count());
}

void ZerodhaDataClient::Notice(std::string text) {
  if (notices_.size() >= kMaxNotices) notices_.erase(notices_.begin());
  notices_.push_back(Redact(text));
}

void ZerodhaDataClient::MakeClient(std::size_t i) {
  net::WsClientOptions o;
  o.host = config_.host;
  o.port = config_.port;
  o.target = Target();
  o.tls = net::WsClientTls{config_.tls, config_.ca_file};
  o.read_timeout = config_.read_timeout;
  o.initial_backoff = config_.initial_backoff;
  o.max_backoff = config_.max_backoff;
  o.jitter = config_.jitter;
  o.seed = config_.seed + i;  // each connection its own (repeatable) jitter
  // A 403 needs a new login, a certificate that fails verification a look at the setup:
  // neither is helped by a flood of handshakes.
  o.reconnect_after_refusal = false;
  net::WsClient::Handlers h;
  h.on_open = [this, i](int n) { OnOpen(i, n); };
  h.on_message = [this, i](const net::WsMessage& m) { OnMessage(i, m); };
  h.on_down = [this, i](const std::string& why, bool again) { OnDown(i, why, again); };
  Shard& s = *shards_[i];
  s.client = std::make_unique<net::WsClient>(io_, std::move(h), std::move(o));
  s.stopped = false;
}

void ZerodhaDataClient::StartShard(std::size_t i) {
  net::WsClient* c = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (i >= shards_.size() || !shards_[i]->client) return;
    c = shards_[i]->client.get();
  }
  c->Start();  // posts; the client lives until Disconnect/Reconnect on this thread
}

void ZerodhaDataClient::Connect() {
  ZerodhaDataConfig check = config_;
  check.access_token = access_token_;
  if (Status s = Validate(check); !s) {
    std::lock_guard<std::mutex> lock(mu_);
    Notice(fmt::format("{}: not connected: {}", config_.id.value(), s.error()));
    return;
  }
  std::vector<std::size_t> start;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (connected_) return;
    connected_ = true;
    if (shards_.empty()) {
      shards_.push_back(std::make_unique<Shard>());
      shards_.back()->number = 1;
    }
    for (std::size_t i = 0; i < shards_.size(); ++i) {
      if (i == 0 || !shards_[i]->tokens.empty()) {
        MakeClient(i);
        start.push_back(i);
      }
    }
  }
  for (std::size_t i : start) StartShard(i);
}

void ZerodhaDataClient::Disconnect() {
  std::vector<std::unique_ptr<net::WsClient>> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    connected_ = false;
    for (auto& s : shards_) {
      if (s->client) old.push_back(std::move(s->client));
      s->open = false;
    }
  }
  // Stop waits for the I/O thread, whose handlers take mu_: never under the lock.
  for (auto& c : old) c->Stop();
}

void ZerodhaDataClient::Reconnect(const std::string& new_access_token) {
  RegisterSecret(new_access_token);
  std::vector<std::unique_ptr<net::WsClient>> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    access_token_ = new_access_token;
    stats_.token_refused = false;
    for (auto& s : shards_) {
      if (s->client) old.push_back(std::move(s->client));
      s->open = false;
    }
  }
  for (auto& c : old) c->Stop();
  std::vector<std::size_t> start;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!connected_) return;
    for (std::size_t i = 0; i < shards_.size(); ++i) {
      if (i == 0 || !shards_[i]->tokens.empty()) {
        MakeClient(i);
        start.push_back(i);
      }
    }
  }
  for (std::size_t i : start) StartShard(i);
}

bool ZerodhaDataClient::is_connected() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (shards_.empty()) return false;
  bool any_tokens = false;
  for (const auto& s : shards_) {
    if (s->tokens.empty()) continue;
    any_tokens = true;
    if (!s->open) return false;
  }
  return any_tokens || shards_.front()->open;
}

void ZerodhaDataClient::SetOrderUpdateHandler(std::function<void(std::string json)> handler) {
  std::lock_guard<std::mutex> lock(mu_);
  order_handler_ = std::move(handler);
}

void ZerodhaDataClient::SetInstrumentMap(std::shared_ptr<const KiteInstrumentMap> map) {
  if (!map) return;
  std::lock_guard<std::mutex> lock(mu_);
  config_.instruments = std::move(map);
}

ZerodhaDataStats ZerodhaDataClient::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

std::vector<std::string> ZerodhaDataClient::TakeNotices() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  out.swap(notices_);
  return out;
}

std::vector<std::vector<std::uint32_t>> ZerodhaDataClient::Shards() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::vector<std::uint32_t>> out;
  for (const auto& s : shards_) out.emplace_back(s->tokens.begin(), s->tokens.end());
  return out;
}

void ZerodhaDataClient::SendTokens(std::size_t i, const char* action,
                                   const std::vector<std::uint32_t>& tokens) {
  // mu_ held; SendText only posts to the I/O thread.
  Shard& s = *shards_[i];
  if (tokens.empty() || !s.client || !s.open) return;
  s.client->SendText(nlohmann::json{{"a", action}, {"v", tokens}}.dump());
  if (std::string_view(action) == "subscribe") {
    s.client->SendText(nlohmann::json{{"a", "mode"}, {"v", {"full", tokens}}}.dump());
  }
}

void ZerodhaDataClient::PostFlush() {
  if (flush_posted_) return;
  flush_posted_ = true;
  io_.Post([this] { Flush(); });
}

void ZerodhaDataClient::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  flush_posted_ = false;
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    Shard& s = *shards_[i];
    std::vector<std::uint32_t> sub, unsub;
    // A token subscribed and unsubscribed again before the flush goes nowhere.
    for (std::uint32_t t : s.pending_subscribe) {
      if (s.tokens.count(t) != 0) sub.push_back(t);
    }
    for (std::uint32_t t : s.pending_unsubscribe) {
      if (s.tokens.count(t) == 0) unsub.push_back(t);
    }
    s.pending_subscribe.clear();
    s.pending_unsubscribe.clear();
    SendTokens(i, "unsubscribe", unsub);
    SendTokens(i, "subscribe", sub);
  }
}

void ZerodhaDataClient::Subscribe(const DataSubscription& cmd) {
  if (cmd.kind != DataKind::kQuotes && cmd.kind != DataKind::kTrades) {
    if (cmd.kind == DataKind::kBars) {
      std::lock_guard<std::mutex> lock(mu_);
      Notice(
          fmt::format("{}: {} not streamed: the Kite ticker sends ticks, not bars (aggregate "
                      "them from quotes or trades)",
                      config_.id.value(), cmd.bar_type.ToString()));
    }
    return;
  }
  std::optional<std::uint32_t> token;
  {
    std::lock_guard<std::mutex> lock(mu_);  // the map may be replaced (SetInstrumentMap)
    if (config_.instruments) token = config_.instruments->TokenOf(cmd.instrument_id);
  }
  std::optional<std::size_t> start;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!token) {
      Notice(fmt::format("{}: {} is not in the Kite instrument map: not subscribed",
                         config_.id.value(), cmd.instrument_id.value()));
      return;
    }
    auto it = wanted_.find(*token);
    if (it != wanted_.end()) {
      (cmd.kind == DataKind::kQuotes ? it->second.quotes : it->second.trades) = true;
      return;
    }
    std::optional<std::size_t> at;
    for (std::size_t i = 0; i < shards_.size() && !at; ++i) {
      if (shards_[i]->tokens.size() < config_.max_tokens_per_connection) at = i;
    }
    if (!at && shards_.size() < config_.max_connections) {
      shards_.push_back(std::make_unique<Shard>());
      shards_.back()->number = static_cast<int>(shards_.size());
      at = shards_.size() - 1;
    }
    if (!at) {
      ++stats_.unfitted;
      Notice(
          fmt::format("{}: {} not subscribed: the ticker's {} connections × {} tokens are full ({} "
                      "instrument(s) did not fit so far)",
                      config_.id.value(), cmd.instrument_id.value(), config_.max_connections,
                      config_.max_tokens_per_connection, stats_.unfitted));
      return;
    }
    Wanted w;
    w.shard = *at;
    (cmd.kind == DataKind::kQuotes ? w.quotes : w.trades) = true;
    wanted_.emplace(*token, w);
    Shard& s = *shards_[*at];
    s.tokens.insert(*token);
    if (connected_ && !s.client) {
      MakeClient(*at);
      start = *at;
    } else {
      // Sent with the others subscribed before the I/O thread next runs (when closed, the
      // open sends every token).
      s.pending_subscribe.push_back(*token);
      PostFlush();
    }
  }
  if (start) StartShard(*start);
}

void ZerodhaDataClient::Unsubscribe(const DataSubscription& cmd) {
  if (cmd.kind != DataKind::kQuotes && cmd.kind != DataKind::kTrades) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (!config_.instruments) return;
  const std::optional<std::uint32_t> token = config_.instruments->TokenOf(cmd.instrument_id);
  if (!token) return;
  auto it = wanted_.find(*token);
  if (it == wanted_.end()) return;
  (cmd.kind == DataKind::kQuotes ? it->second.quotes : it->second.trades) = false;
  if (it->second.quotes || it->second.trades) return;
  const std::size_t i = it->second.shard;
  wanted_.erase(it);
  shards_[i]->tokens.erase(*token);
  shards_[i]->pending_unsubscribe.push_back(*token);
  PostFlush();
}

void ZerodhaDataClient::OnOpen(std::size_t i, int connection_number) {
  std::lock_guard<std::mutex> lock(mu_);
  if (i >= shards_.size()) return;
  Shard& s = *shards_[i];
  s.open = true;
  ++stats_.connections;
  // Kite forgets a connection's subscriptions with it: every open (re)subscribes, full mode.
  const std::vector<std::uint32_t> tokens(s.tokens.begin(), s.tokens.end());
  if (!tokens.empty() && (connection_number > 1 || s.opens > 0)) ++stats_.resubscribes;
  s.pending_subscribe.clear();  // sent below with every other token
  s.pending_unsubscribe.clear();
  ++s.opens;
  if (!s.awaiting_gap) s.last_message = Wall();  // a sign of life, should it drop at once
  SendTokens(i, "subscribe", tokens);
}

void ZerodhaDataClient::OnDown(std::size_t i, const std::string& reason, bool reconnecting) {
  // A message sent while closed is only dropped; the next open sends every token again.
  if (StartsWith(reason, "not connected")) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (i >= shards_.size()) return;
  Shard& s = *shards_[i];
  const bool was_open = s.open;
  s.open = false;
  if (was_open) s.awaiting_gap = true;
  if (reconnecting) {
    ++stats_.reconnects;
    if (was_open) {
      Notice(fmt::format("{}: ticker connection {} down ({}); reconnecting", config_.id.value(),
                         s.number, Shorten(reason)));
    }
    return;
  }
  s.stopped = true;
  if (StartsWith(reason, "refused:")) {
    ++stats_.refused_handshakes;
    if (StartsWith(reason, "refused: 403")) {
      stats_.token_refused = true;
      Notice(fmt::format(
          "{}: token_refused: ticker connection {} handshake refused with 403 (the access "
          "token expired or was revoked); not reconnecting until a new login "
          "(Reconnect with the new token)",
          config_.id.value(), s.number));
      return;
    }
  }
  Notice(fmt::format("{}: ticker connection {} stopped: {}", config_.id.value(), s.number,
                     Shorten(reason)));
}

void ZerodhaDataClient::OnMessage(std::size_t i, const net::WsMessage& m) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (i < shards_.size()) {
      Shard& s = *shards_[i];
      const UnixNanos now = Wall();
      if (s.awaiting_gap) {
        const DurationNs gap = now - s.last_message;
        ++stats_.gaps;
        stats_.gap_total += gap;
        if (gap > stats_.gap_max) stats_.gap_max = gap;
        s.awaiting_gap = false;
        Notice(fmt::format("{}: ticker connection {} back after a gap of {} ms", config_.id.value(),
                           s.number, gap / kNanosPerMilli));
      }
      s.last_message = now;
    }
  }
  if (m.binary) {
    OnFrame(m.data);
  } else {
    OnText(m.data);
  }
}

void ZerodhaDataClient::OnFrame(const std::string& data) {
  if (data.size() < 2) {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.heartbeats;
    return;
  }
  auto ticks = DecodeKiteFrame(data);
  const UnixNanos ts_init = clock_.Now();
  std::vector<MarketData> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!ticks) {
      ++stats_.decode_errors;
      Notice(fmt::format("{}: undecodable ticker frame ({} bytes): {}", config_.id.value(),
                         data.size(), Shorten(ticks.error())));
      return;
    }
    ++stats_.frames;
    stats_.ticks += ticks->size();
    for (const KiteTick& t : *ticks) {
      const std::optional<InstrumentId> id = config_.instruments->ByToken(t.instrument_token);
      if (!id) {
        ++stats_.unknown_tokens;
        continue;
      }
      auto w = wanted_.find(t.instrument_token);
      const bool quotes = w != wanted_.end() && w->second.quotes;
      const bool trades = w != wanted_.end() && w->second.trades;
      const KiteTickConverter::Output o = converter_.Convert(t, *id, ts_init);
      if (o.one_sided) ++stats_.one_sided;
      if (o.quote && quotes) {
        out.emplace_back(*o.quote);
        ++stats_.quotes;
      }
      if (o.trade && trades) {
        out.emplace_back(*o.trade);
        ++stats_.trades;
      }
    }
  }
  for (const MarketData& d : out) inbox_.PushData(d);
}

void ZerodhaDataClient::OnText(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  const std::string type = j.is_object() && j.contains("type") && j["type"].is_string()
                               ? j["type"].get<std::string>()
                               : "";
  std::function<void(std::string)> handler;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (type == "order") {
      ++stats_.order_updates;
      handler = order_handler_;
    } else if (type == "error") {
      ++stats_.error_messages;
      Notice(fmt::format("{}: ticker error: {}", config_.id.value(),
                         Shorten(j.contains("data") ? j["data"].dump() : text)));
    } else if (type == "message") {
      ++stats_.info_messages;
      Notice(fmt::format("{}: ticker message: {}", config_.id.value(),
                         Shorten(j.contains("data") ? j["data"].dump() : text)));
    } else {
      ++stats_.decode_errors;
      Notice(
          fmt::format("{}: unexpected ticker text frame: {}", config_.id.value(), Shorten(text)));
    }
  }
  if (handler) handler(text);
}

}  // namespace nacre
