#include "live/replay_data_client.h"

#include <algorithm>
#include <chrono>


namespace nacre {

namespace {
constexpr std::size_t kChunk = 4096;
// The longest single sleep while waiting for the clock (so a stop is seen promptly).
constexpr DurationNs kMaxSleep = 50 * kNanosPerMilli;
}  // namespace

std::string ReplayKey(const MarketData& item) {
  struct Key {
    std::string operator()(const QuoteTick& q) const { return "quote " + q.instrument_id.value(); }
    std::string operator()(const TradeTick& t) const { return "trade " + t.instrument_id.value(); }
    std::string operator()(const Bar& b) const { return "bar " + b.bar_type.ToString(); }
  };
  return std::visit(Key{}, item);
}

ReplayDataClient::ReplayDataClient(ReplayDataConfig config, const Clock& clock, Inbox& inbox)
    : config_(std::move(config)), clock_(clock), inbox_(inbox) {}

ReplayDataClient::~ReplayDataClient() { Disconnect(); }

Status ReplayDataClient::Open() {
  if (catalog_) return Status::Ok();
  auto cat = Catalog::Open(config_.catalog);
  if (!cat.ok()) return Error{"replay: catalog " + config_.catalog + ": " + cat.error()};
  std::vector<CatalogQuery> queries = config_.queries;
  if (queries.empty()) {
    for (CatalogDataType type : {CatalogDataType::kQuote, CatalogDataType::kTrade,
                                 CatalogDataType::kBar}) {
      CatalogQuery q;
      q.type = type;
      q.instruments = config_.instruments;
      queries.push_back(std::move(q));
    }
  }
  for (CatalogQuery q : queries) {
    auto files = (*cat)->Files(q.type, q.instruments, q.binary_cache);
    if (!files.ok()) return Error{"replay: catalog " + config_.catalog + ": " + files.error()};
    if (files->empty()) continue;
    if (config_.start && (!q.start || *q.start < *config_.start)) q.start = config_.start;
    if (config_.end && (!q.end || *q.end > *config_.end)) q.end = config_.end;
    auto stream = (*cat)->Read(q);
    if (!stream.ok()) return Error{"replay: catalog " + config_.catalog + ": " + stream.error()};
    streams_.push_back(std::move(*stream));
  }
  catalog_ = std::move(*cat);
  if (streams_.empty()) {
    return Error{"replay: catalog " + config_.catalog + " holds no data for the instruments"};
  }
  return Status::Ok();
}

void ReplayDataClient::Connect() {
  // Once per client: a feed that ended (or failed) is not started again by a second start.
  if (running_.load() || feeder_.joinable()) return;
  if (Status s = Open(); !s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = s;
    return;
  }
  stop_ = false;
  running_ = true;
  feeder_ = std::thread([this] { Feed(); });
}

void ReplayDataClient::Disconnect() {
  stop_ = true;
  if (feeder_.joinable()) feeder_.join();
  running_ = false;
}

Status ReplayDataClient::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

bool ReplayDataClient::WaitFor(UnixNanos ts) {
  for (;;) {
    if (stop_.load()) return false;
    const UnixNanos now = clock_.Now();
    if (now >= ts) return true;
    const auto wall = static_cast<DurationNs>(static_cast<double>(ts - now) / clock_.rate());
    std::this_thread::sleep_for(std::chrono::nanoseconds(std::clamp<DurationNs>(wall, 1, kMaxSleep)));
  }
}

void ReplayDataClient::Feed() {
  // A k-way merge of the streams by ts_init (at equal times the earlier stream: quotes, then
  // trades, then bars, as the catalog's own order within a type).
  struct Cursor {
    DataStream* stream;
    std::vector<MarketData> buf;
    std::size_t pos = 0;
    bool done = false;
  };
  std::vector<Cursor> cursors;
  for (auto& s : streams_) cursors.push_back(Cursor{s.get(), {}, 0, false});
  for (;;) {
    Cursor* best = nullptr;
    for (Cursor& c : cursors) {
      if (c.done) continue;
      if (c.pos >= c.buf.size()) {
        c.pos = 0;
        if (Status s = c.stream->Next(c.buf, kChunk); !s.ok()) {
          std::lock_guard<std::mutex> lock(mu_);
          status_ = s.WithContext("replay: ");
          finished_ = true;
          running_ = false;
          return;
        }
        if (c.buf.empty()) {
          c.done = true;
          continue;
        }
      }
      if (best == nullptr || TsInitOf(c.buf[c.pos]) < TsInitOf(best->buf[best->pos])) best = &c;
    }
    if (best == nullptr) break;
    const MarketData& item = best->buf[best->pos];
    if (!WaitFor(TsInitOf(item))) return;  // stopped
    while (config_.max_backlog > 0 && inbox_.data_size() >= config_.max_backlog) {
      if (stop_.load()) return;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    inbox_.PushData(item);
    ++pushed_;
    ++best->pos;
  }
  // Still connected: the data ran out, nothing failed.
  finished_ = true;
}

}  // namespace nacre
