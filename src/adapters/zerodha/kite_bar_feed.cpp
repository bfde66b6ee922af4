#include "adapters/zerodha/kite_bar_feed.h"

#include <algorithm>

#include <fmt/format.h>

#include "adapters/zerodha/kite_historical.h"
#include "adapters/zerodha/kite_json.h"
#include "net/io_thread.h"

namespace nacre {

std::optional<std::string> KiteIntervalOf(const BarSpecification& spec) {
  if (spec.price_type != PriceType::kLast) return std::nullopt;
  if (spec.aggregation == BarAggregation::kDay && spec.step == 1) return "day";
  int minutes = 0;
  if (spec.aggregation == BarAggregation::kMinute) minutes = spec.step;
  if (spec.aggregation == BarAggregation::kHour) minutes = 60 * spec.step;
  switch (minutes) {
    case 1: return "minute";
    case 3: case 5: case 10: case 15: case 30: case 60: return fmt::format("{}minute", minutes);
    default: return std::nullopt;
  }
}

namespace {

// The last close at or before `t` of `interval`-long bars counted from 09:15 IST (NSE's open:
// Kite's candles start there).
UnixNanos LastCloseAtOrBefore(UnixNanos t, DurationNs interval) {
  const CivilDate day = IstDate(t);
  const UnixNanos open = FromIst(CivilDateTime{day, 9, 15, 0, 0});
  if (t < open) return open;  // nothing closed yet today: the day's first bar closes later
  return open + ((t - open) / interval) * interval;
}

}  // namespace

KiteBarFeed::KiteBarFeed(KiteBarFeedConfig config, KiteRestClient& rest,
                         std::shared_ptr<const KiteInstrumentMap> instruments, DataClient* ticker,
                         const Clock& clock, Inbox& inbox, net::IoThread& io)
    : config_(std::move(config)),
      rest_(rest),
      instruments_(std::move(instruments)),
      ticker_(ticker),
      clock_(clock),
      inbox_(inbox),
      io_(io) {
  alive_->self = this;
}

KiteBarFeed::~KiteBarFeed() {
  {
    std::lock_guard lock(alive_->mu);
    alive_->self = nullptr;
  }
  if (timer_ != 0) io_.Cancel(timer_);
}

void KiteBarFeed::Connect() {
  std::lock_guard lock(mu_);
  connected_ = true;
  if (timer_ != 0) return;
  const double rate = clock_.rate() > 1 ? clock_.rate() : 1.0;
  const DurationNs period = std::max<DurationNs>(
      static_cast<DurationNs>(static_cast<double>(config_.poll_period) / rate), kNanosPerMilli);
  timer_ = io_.Every(period, [alive = alive_] {
    std::lock_guard l(alive->mu);
    if (alive->self != nullptr) alive->self->Poll();
  });
}

void KiteBarFeed::Disconnect() {
  std::lock_guard lock(mu_);
  connected_ = false;
}

bool KiteBarFeed::is_connected() const {
  std::lock_guard lock(mu_);
  return connected_;
}

void KiteBarFeed::Subscribe(const DataSubscription& cmd) {
  if (cmd.kind != DataKind::kBars || cmd.bar_type.source() != AggregationSource::kExternal) {
    if (ticker_ != nullptr) ticker_->Subscribe(cmd);
    return;
  }
  const std::optional<std::string> interval = KiteIntervalOf(cmd.bar_type.spec());
  const std::optional<std::uint32_t> token =
      instruments_ ? instruments_->TokenOf(cmd.bar_type.instrument_id()) : std::nullopt;
  std::lock_guard lock(mu_);
  if (!interval || !token) {
    ++stats_.failures;
    stats_.last_error = fmt::format("{}: Kite has no such candle ({})", cmd.bar_type.ToString(),
                                    !interval ? "interval" : "instrument");
    return;
  }
  for (const Feed& f : feeds_) {
    if (f.bar_type == cmd.bar_type) return;
  }
  Feed f;
  f.bar_type = cmd.bar_type;
  f.token = *token;
  f.interval = *interval;
  const DurationNs step = cmd.bar_type.spec().Interval();
  f.last_close = LastCloseAtOrBefore(clock_.Now(), step) - config_.warmup_bars * step;
  f.serial = ++next_serial_;
  feeds_.push_back(std::move(f));
}

void KiteBarFeed::Unsubscribe(const DataSubscription& cmd) {
  if (cmd.kind != DataKind::kBars || cmd.bar_type.source() != AggregationSource::kExternal) {
    if (ticker_ != nullptr) ticker_->Unsubscribe(cmd);
    return;
  }
  std::lock_guard lock(mu_);
  // A call still out for it is answered into nothing (OnCandles finds no feed of its serial).
  std::erase_if(feeds_, [&](const Feed& f) { return f.bar_type == cmd.bar_type; });
}

KiteBarFeed::Stats KiteBarFeed::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void KiteBarFeed::Poll() {
  const UnixNanos now = clock_.Now();
  std::vector<std::pair<std::uint64_t, KiteCall>> calls;  // by the feed's serial
  {
    std::lock_guard lock(mu_);
    if (!connected_) return;
    for (Feed& f : feeds_) {
      const DurationNs step = f.bar_type.spec().Interval();
      if (f.in_flight || now < f.last_close + step + config_.publish_lag) continue;
      f.in_flight = true;
      ++stats_.requests;
      KiteCall c;
      c.path = fmt::format("/instruments/historical/{}/{}", f.token, f.interval);
      c.params = {{"from", KiteTimeText(f.last_close)}, {"to", KiteTimeText(now)}};
      c.budget = 5 * kNanosPerSecond;
      calls.emplace_back(f.serial, std::move(c));
    }
  }
  // Sent outside mu_: a stopping REST client answers inline, and OnCandles takes mu_.
  for (auto& [serial, c] : calls) {
    rest_.Post(std::move(c), [alive = alive_, serial = serial, now](KiteOutcome out) {
      std::lock_guard l(alive->mu);
      if (alive->self != nullptr) alive->self->OnCandles(serial, out, now);
    });
  }
}

void KiteBarFeed::OnCandles(std::uint64_t serial, const KiteOutcome& out, UnixNanos asked_at) {
  std::lock_guard lock(mu_);
  auto it = std::find_if(feeds_.begin(), feeds_.end(),
                         [&](const Feed& f) { return f.serial == serial; });
  if (it == feeds_.end()) return;  // unsubscribed while its call was out
  Feed& f = *it;
  f.in_flight = false;
  auto fail = [&](std::string why) {
    ++stats_.failures;
    stats_.last_error = f.bar_type.ToString() + ": " + why;
  };
  if (!out.ok()) return fail(out.message);
  auto candles = ParseKiteCandles(out.data, "GET " + f.bar_type.ToString());
  if (!candles) return fail(candles.error());
  auto bars = KiteCandlesToBars(*candles, f.bar_type);
  if (!bars) return fail(bars.error());
  for (const Bar& b : *bars) {
    // Only completed bars, each once, in order.
    if (b.ts_init <= f.last_close || b.ts_init > asked_at) continue;
    inbox_.PushData(b);
    f.last_close = b.ts_init;
    ++stats_.bars;
  }
}

}  // namespace nacre
