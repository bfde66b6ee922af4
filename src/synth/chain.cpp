#include "synth/chain.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "pricing/black.h"

namespace nacre::synth {

namespace {

constexpr std::int64_t kTickRaw = 5 * Pow10(kFixedPrecision - 2);  // ₹0.05
constexpr double kTick = 0.05;
constexpr double kNanosPerYear = 365.0 * static_cast<double>(kNanosPerDay);

double AsDouble(Price p) { return static_cast<double>(p.raw()) / static_cast<double>(kFixedScale); }
Price Ticks(std::int64_t n) { return Price::Raw(n * kTickRaw, 2); }

struct Contract {
  InstrumentId call;
  InstrumentId put;
};

struct ActiveSeries {
  ListedSeries series;
  UnixNanos expiration;
  std::map<std::int64_t, Contract> by_strike;  // strike raw -> ids
};

Instrument IndexInstrument(const OptionUniverse& universe) {
  Instrument index;
  index.id = universe.underlying_id;
  index.instrument_class = InstrumentClass::kIndex;
  index.raw_symbol = universe.underlying_id.symbol();
  index.price_precision = 2;
  return index;
}

}  // namespace

Status ValidateChainConfig(const ChainConfig& c) {
  auto bad = [](const std::string& what) { return Status(MakeError("synth: " + what)); };
  if (!IsValidDate(c.start) || !IsValidDate(c.end)) return bad("invalid start or end date");
  if (c.end < c.start)
    return bad("end " + FormatDate(c.end) + " is before start " + FormatDate(c.start));
  if (c.interval_minutes < 1 || c.interval_minutes > 375)
    return bad("interval_minutes must be 1..375");
  if (c.strikes_each_side < 1 || c.strikes_each_side > 500)
    return bad("strikes_each_side must be 1..500");
  if (c.expiries < 1 || c.expiries > 8) return bad("expiries must be 1..8");
  if (!(c.vol.iv_base > 0) || !(c.vol.iv_floor > 0) || !(c.vol.iv_reversion_days > 0)) {
    return bad("iv_base, iv_floor and iv_reversion_days must be positive");
  }
  if (!(c.vol.term_decay_days > 0)) return bad("term_decay_days must be positive");
  if (!(c.quotes.spread_pct >= 0) || !(c.quotes.spread_wing >= 0))
    return bad("spreads must be >= 0");
  if (c.quotes.max_size_lots < 1) return bad("max_size_lots must be >= 1");
  if (!(c.path.start_price > 0) || !(c.path.annual_vol > 0)) {
    return bad("start_price and annual_vol must be positive");
  }
  if (c.path.garch_alpha < 0 || c.path.garch_beta < 0 ||
      c.path.garch_alpha + c.path.garch_beta >= 1) {
    return bad("garch_alpha and garch_beta must be >= 0 with alpha + beta < 1");
  }
  return Status::Ok();
}

Result<ChainStats> GenerateChains(
    const ChainConfig& config, const NseCalendar& calendar, ChainSink& sink,
    const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  if (Status s = ValidateChainConfig(config); !s.ok()) return MakeError(s.error());
  const OptionUniverse universe = OptionUniverse::Nifty();
  const BarType bar_type(
      universe.underlying_id,
      BarSpecification{config.interval_minutes, BarAggregation::kMinute, PriceType::kLast},
      AggregationSource::kExternal);
  std::unique_ptr<UnderlyingPath> path;
  if (config.underlying_file.empty()) {
    path = MakeSimulatedPath(config.path, calendar, config.start, config.end,
                             config.interval_minutes, bar_type, config.seed);
  } else {
    auto p = MakeFilePath(config.underlying_file, calendar, config.start, config.end,
                          config.interval_minutes, bar_type);
    if (!p.ok()) return MakeError(p.error());
    path = std::move(*p);
  }

  ChainStats stats;
  if (Status s = sink.OnInstrument(IndexInstrument(universe)); !s.ok()) return MakeError(s.error());
  ++stats.instruments;

  Rng rng(config.seed * 0x9E3779B97F4A7C15ULL + 0x0C0FFEEULL);
  const VolConfig& vc = config.vol;
  const double dt_step = config.interval_minutes / (375.0 * 252.0);
  const double reversion = std::min(1.0, dt_step * 252.0 / vc.iv_reversion_days);
  const double ln_base = std::log(vc.iv_base);
  const double ln_floor = std::log(vc.iv_floor);
  double ln_iv = ln_base;
  double prev_spot = 0;

  std::vector<ActiveSeries> active;
  std::vector<QuoteTick> quotes;
  std::vector<QuoteModel> models;
  std::vector<InstrumentId> retired;
  CivilDate day{0, 1, 1};
  const std::uint64_t total = path->TotalSteps();

  while (true) {
    auto next = path->Next();
    if (!next.ok()) return MakeError(next.error());
    if (!next->has_value()) break;
    const PathStep& ps = **next;
    const UnixNanos t = ps.bar.ts_event;
    const CivilDate date = IstDate(t);
    if (date != day) {
      day = date;
      auto listed = SeriesOn(date, universe, calendar);
      if (!listed.ok()) return MakeError(listed.error());
      std::vector<ListedSeries> wanted(
          listed->begin(),
          listed->begin() + std::min<std::ptrdiff_t>(config.expiries,
                                                     static_cast<std::ptrdiff_t>(listed->size())));
      retired.clear();
      std::vector<ActiveSeries> kept;
      for (ActiveSeries& a : active) {
        const bool still = std::any_of(wanted.begin(), wanted.end(), [&](const ListedSeries& w) {
          return w.expiry == a.series.expiry;
        });
        if (still) {
          kept.push_back(std::move(a));
        } else {
          for (const auto& [k, c] : a.by_strike) {
            retired.push_back(c.call);
            retired.push_back(c.put);
          }
        }
      }
      if (!retired.empty()) {
        if (Status s = sink.OnRetired(retired); !s.ok()) return MakeError(s.error());
      }
      for (const ListedSeries& w : wanted) {
        const bool have = std::any_of(kept.begin(), kept.end(), [&](const ActiveSeries& a) {
          return a.series.expiry == w.expiry;
        });
        if (have) continue;
        ActiveSeries a;
        a.series = w;
        a.expiration =
            SessionClose(w.expiry.date, calendar.SessionFor(w.expiry.date).value_or(kNseFnoHours));
        kept.push_back(std::move(a));
      }
      std::sort(kept.begin(), kept.end(), [](const ActiveSeries& a, const ActiveSeries& b) {
        return a.series.expiry.date < b.series.expiry.date;
      });
      active = std::move(kept);
      if (progress) progress(stats.steps, total);
    }

    const Price spot_px = ps.bar.open;
    const double spot = AsDouble(spot_px);
    if (prev_spot > 0) {
      const double ret = std::log(spot / prev_spot);
      ln_iv += reversion * (ln_base - ln_iv) + vc.iv_return_beta * ret +
               vc.iv_noise * std::sqrt(dt_step) * rng.Normal();
      ln_iv = std::clamp(ln_iv, ln_floor, std::log(2.0));
    }
    prev_spot = spot;
    const double atm = std::exp(ln_iv);

    quotes.clear();
    models.clear();
    const std::vector<Price> strikes =
        universe.strikes.StrikesAround(spot_px, config.strikes_each_side);
    for (ActiveSeries& a : active) {
      const double t_years = static_cast<double>(a.expiration - t) / kNanosPerYear;
      if (t_years <= 0) continue;
      const double t_days = t_years * 365.0;
      const double atm_t = atm * (1 + vc.term_boost * std::exp(-t_days / vc.term_decay_days));
      const double fwd = spot * std::exp((config.rate - config.div_yield) * t_years);
      const double sd = atm_t * std::sqrt(t_years);
      const double discount = std::exp(-config.rate * t_years);
      const std::int64_t lot_raw = a.series.lot * kFixedScale;
      for (const Price& k : strikes) {
        auto it = a.by_strike.find(k.raw());
        if (it == a.by_strike.end()) {
          Contract c;
          for (OptionKind kind : {OptionKind::kCall, OptionKind::kPut}) {
            auto inst = MakeOptionContract(universe, a.series, k, kind, calendar);
            if (!inst.ok()) return MakeError(inst.error());
            if (Status s = sink.OnInstrument(*inst); !s.ok()) return MakeError(s.error());
            ++stats.instruments;
            (kind == OptionKind::kCall ? c.call : c.put) = inst->id;
          }
          it = a.by_strike.emplace(k.raw(), std::move(c)).first;
        }
        const double strike = AsDouble(k);
        const double x = std::clamp(std::log(strike / fwd) / sd, -3.0, 3.0);
        const double vol = atm_t * (1 + vc.skew * x + vc.smile * x * x);
        const double widen = 1 + config.quotes.spread_wing * std::fabs(x) / 3.0;
        for (OptionKind kind : {OptionKind::kCall, OptionKind::kPut}) {
          const double price = pricing::Black76Price(kind, fwd, strike, t_years, vol, config.rate);
          // Nearest tick, but never below the discounted intrinsic value (a mid under it
          // would be an arbitrage) and never below one tick.
          const double intrinsic =
              std::max(0.0, kind == OptionKind::kCall ? fwd - strike : strike - fwd) * discount;
          const std::int64_t mid = std::max<std::int64_t>(
              {1, std::llround(price / kTick),
               static_cast<std::int64_t>(std::ceil(intrinsic / kTick - 1e-9))});
          const std::int64_t half = std::max<std::int64_t>(
              1, std::llround(static_cast<double>(mid) * config.quotes.spread_pct / 2 * widen));
          QuoteTick q;
          q.instrument_id = kind == OptionKind::kCall ? it->second.call : it->second.put;
          q.bid_price = Ticks(std::max<std::int64_t>(1, mid - half));
          q.ask_price = Ticks(mid + half);
          const auto max_lots = static_cast<std::uint64_t>(config.quotes.max_size_lots);
          q.bid_size =
              Quantity::Raw(static_cast<std::int64_t>(1 + rng.Below(max_lots)) * lot_raw, 0);
          q.ask_size =
              Quantity::Raw(static_cast<std::int64_t>(1 + rng.Below(max_lots)) * lot_raw, 0);
          q.ts_event = t;
          q.ts_init = t;
          quotes.push_back(q);
          models.push_back(QuoteModel{fwd, t_years, vol, config.rate, price});
        }
      }
    }

    ChainStep step;
    step.ts = t;
    step.atm_vol = atm;
    step.underlying_bar = ps.bar;
    step.underlying_quote.instrument_id = universe.underlying_id;
    step.underlying_quote.bid_price = spot_px;
    step.underlying_quote.ask_price = spot_px;
    step.underlying_quote.bid_size = Quantity::Zero();
    step.underlying_quote.ask_size = Quantity::Zero();
    step.underlying_quote.ts_event = t;
    step.underlying_quote.ts_init = t;
    step.quotes = quotes;
    step.models = models;
    if (Status s = sink.OnStep(step); !s.ok()) return MakeError(s.error());
    ++stats.steps;
    stats.quotes += quotes.size();
  }
  retired.clear();
  for (const ActiveSeries& a : active) {
    for (const auto& [k, c] : a.by_strike) {
      retired.push_back(c.call);
      retired.push_back(c.put);
    }
  }
  if (!retired.empty()) {
    if (Status s = sink.OnRetired(retired); !s.ok()) return MakeError(s.error());
  }
  if (Status s = sink.Finish(); !s.ok()) return MakeError(s.error());
  if (progress) progress(total, total);
  return stats;
}

}  // namespace nacre::synth
