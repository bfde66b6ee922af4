#include "synth/chain.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "pricing/black.h"

namespace nacre::synth {
namespace {

constexpr std::int64_t kTickRaw = 5 * Pow10(kFixedPrecision - 2);
constexpr double kTick = 0.05;

double D(Price p) { return static_cast<double>(p.raw()) / static_cast<double>(kFixedScale); }

// Keeps everything the generator emits, in order.
class RecordingSink : public ChainSink {
 public:
  Status OnInstrument(const Instrument& instrument) override {
    if (!instruments.emplace(instrument.id.value(), instrument).second) {
      return MakeError("instrument announced twice: " + instrument.id.value());
    }
    return Status::Ok();
  }
  Status OnStep(const ChainStep& step) override {
    if (!steps.empty() && step.ts <= steps.back()) return MakeError("steps out of time order");
    steps.push_back(step.ts);
    bars.push_back(step.underlying_bar);
    spots.push_back(step.underlying_quote.bid_price);
    atm_vols.push_back(step.atm_vol);
    for (const QuoteTick& q : step.quotes) {
      if (!instruments.count(q.instrument_id.value())) {
        return MakeError("quote before its instrument: " + q.instrument_id.value());
      }
      if (retired.count(q.instrument_id.value())) {
        return MakeError("quote after retirement: " + q.instrument_id.value());
      }
    }
    quotes.insert(quotes.end(), step.quotes.begin(), step.quotes.end());
    models.insert(models.end(), step.models.begin(), step.models.end());
    return Status::Ok();
  }
  Status OnRetired(std::span<const InstrumentId> ids) override {
    for (const InstrumentId& id : ids) retired.insert(id.value());
    return Status::Ok();
  }
  Status Finish() override {
    finished = true;
    return Status::Ok();
  }

  std::map<std::string, Instrument> instruments;
  std::set<std::string> retired;
  std::vector<UnixNanos> steps;
  std::vector<Bar> bars;
  std::vector<Price> spots;
  std::vector<double> atm_vols;
  std::vector<QuoteTick> quotes;
  std::vector<QuoteModel> models;
  bool finished = false;
};

ChainConfig SmallConfig(CivilDate start, CivilDate end) {
  ChainConfig c;
  c.start = start;
  c.end = end;
  c.interval_minutes = 5;
  c.seed = 42;
  return c;
}

RecordingSink Generate(const ChainConfig& config, const NseCalendar& calendar = NseCalendar()) {
  RecordingSink sink;
  auto stats = GenerateChains(config, calendar, sink);
  EXPECT_TRUE(stats.ok()) << stats.error();
  if (stats.ok()) {
    EXPECT_EQ(stats->quotes, sink.quotes.size());
    EXPECT_EQ(stats->steps, sink.steps.size());
    EXPECT_EQ(stats->instruments, sink.instruments.size());
  }
  EXPECT_TRUE(sink.finished);
  return sink;
}

TEST(SynthChain, QuotesAreOnTheGridUncrossedAndInLots) {
  RecordingSink sink = Generate(SmallConfig({2024, 1, 1}, {2024, 1, 12}));
  ASSERT_FALSE(sink.quotes.empty());
  // 10 weekdays x 75 five-minute steps, 41 strikes x 2 kinds x 2 series per step.
  EXPECT_EQ(sink.steps.size(), 10u * 75u);
  EXPECT_EQ(sink.quotes.size(), sink.steps.size() * 41u * 2u * 2u);
  for (const QuoteTick& q : sink.quotes) {
    const Instrument& inst = sink.instruments.at(q.instrument_id.value());
    ASSERT_TRUE(inst.OnTickGrid(q.bid_price)) << q.bid_price.ToString();
    ASSERT_TRUE(inst.OnTickGrid(q.ask_price)) << q.ask_price.ToString();
    ASSERT_GE(q.bid_price.raw(), kTickRaw);
    ASSERT_GT(q.ask_price, q.bid_price);
    ASSERT_GT(q.bid_size.raw(), 0);
    ASSERT_GT(q.ask_size.raw(), 0);
    ASSERT_TRUE(inst.IsLotMultiple(q.bid_size));
    ASSERT_TRUE(inst.IsLotMultiple(q.ask_size));
    ASSERT_LT(q.ts_event, inst.expiration);
    ASSERT_GE(q.ts_event, inst.activation);
  }
}

TEST(SynthChain, ExpiriesFallOnTheRightWeekdayWithTheRightLot) {
  struct Case {
    CivilDate start, end;
    int weekday;
    std::map<std::string, std::int64_t> lot_by_expiry;  // YYYY-MM-DD -> lot
  };
  const std::vector<Case> cases = {
      {{2024, 1, 1},
       {2024, 1, 5},
       kThursday,
       {{"2024-01-04", 50}, {"2024-01-11", 50}, {"2024-01-18", 50}}},
      {{2025, 9, 1},
       {2025, 9, 3},
       kTuesday,
       {{"2025-09-02", 75}, {"2025-09-09", 75}, {"2025-09-16", 75}}},
      {{2025, 12, 29},
       {2025, 12, 31},
       kTuesday,
       {{"2025-12-30", 75}, {"2026-01-06", 65}, {"2026-01-13", 65}}},
  };
  for (const Case& c : cases) {
    RecordingSink sink = Generate(SmallConfig(c.start, c.end));
    std::set<std::string> seen;
    for (const auto& [id, inst] : sink.instruments) {
      if (inst.instrument_class != InstrumentClass::kOption) continue;
      const CivilDate expiry = IstDate(inst.expiration);
      EXPECT_EQ(Weekday(expiry), c.weekday) << id;
      const std::string key = FormatDate(expiry);
      ASSERT_TRUE(c.lot_by_expiry.count(key)) << id << " expires " << key;
      EXPECT_EQ(inst.lot_size, Quantity::FromInt(c.lot_by_expiry.at(key))) << id;
      seen.insert(key);
    }
    EXPECT_GE(seen.size(), 2u) << FormatDate(c.start);
  }
}

TEST(SynthChain, A2018ChainHoldsOnlyMonthlies) {
  // NIFTY weeklies began in Feb-2019: a 2018 chain lists the monthly contracts only.
  ChainConfig c = SmallConfig({2018, 12, 3}, {2018, 12, 31});
  c.expiries = 3;
  RecordingSink sink = Generate(c);
  ASSERT_FALSE(sink.quotes.empty());
  const ExpiryRules rules = ExpiryRules::Nifty();
  const NseCalendar cal;
  std::set<std::string> expiries;
  for (const auto& [id, ins] : sink.instruments) {
    if (ins.instrument_class != InstrumentClass::kOption) continue;
    const CivilDate expiry = IstDate(ins.expiration);
    expiries.insert(FormatDate(expiry));
    EXPECT_TRUE(rules.IsMonthlyExpiry(expiry, cal)) << id << " expires " << FormatDate(expiry);
    // Monthly symbols carry the month, not the day: NIFTY18DEC..., NIFTY19JAN...
    EXPECT_TRUE(id.rfind("NIFTY18DEC", 0) == 0 || id.rfind("NIFTY19JAN", 0) == 0 ||
                id.rfind("NIFTY19FEB", 0) == 0 || id.rfind("NIFTY19MAR", 0) == 0)
        << id;
  }
  EXPECT_GE(expiries.size(), 3u);
  // Across the launch the first weekly (14-Feb-2019) is quoted from 11-Feb-2019 on, not before.
  RecordingSink launch = Generate(SmallConfig({2019, 2, 4}, {2019, 2, 12}));
  UnixNanos first_weekly(0);
  for (const QuoteTick& q : launch.quotes) {
    const Instrument& ins = launch.instruments.at(q.instrument_id.value());
    if (ins.instrument_class == InstrumentClass::kOption &&
        !rules.IsMonthlyExpiry(IstDate(ins.expiration), cal)) {
      first_weekly = q.ts_event;
      break;
    }
  }
  ASSERT_NE(first_weekly.value, 0);
  EXPECT_EQ(IstDate(first_weekly), (CivilDate{2019, 2, 11}));
}

TEST(SynthChain, PutCallParityHoldsWithinATick) {
  RecordingSink sink = Generate(SmallConfig({2024, 3, 4}, {2024, 3, 8}));
  // Quotes come in pairs: call then put of one strike and series at one time.
  int checked = 0;
  for (std::size_t i = 0; i + 1 < sink.quotes.size(); i += 2) {
    const QuoteTick& c = sink.quotes[i];
    const QuoteTick& p = sink.quotes[i + 1];
    const Instrument& ci = sink.instruments.at(c.instrument_id.value());
    const Instrument& pi = sink.instruments.at(p.instrument_id.value());
    ASSERT_EQ(ci.option_kind, OptionKind::kCall);
    ASSERT_EQ(pi.option_kind, OptionKind::kPut);
    ASSERT_EQ(ci.strike, pi.strike);
    ASSERT_EQ(ci.expiration, pi.expiration);
    ASSERT_EQ(c.ts_event, p.ts_event);
    // A floored bid moves the quote's mid off the model; parity is claimed for the rest.
    if (c.bid_price.raw() == kTickRaw || p.bid_price.raw() == kTickRaw) continue;
    const QuoteModel& m = sink.models[i];
    const double rhs = (m.forward - D(ci.strike)) * std::exp(-m.rate * m.t_years);
    const double lhs = D(c.Mid()) - D(p.Mid());
    ASSERT_LE(std::fabs(lhs - rhs), kTick + 1e-9)
        << c.instrument_id.value() << " at " << FormatIst(c.ts_event);
    ++checked;
  }
  EXPECT_GT(checked, 10000);
}

TEST(SynthChain, ImpliedVolOfTheMidRecoversTheModelVol) {
  RecordingSink sink = Generate(SmallConfig({2024, 3, 4}, {2024, 3, 8}));
  int checked = 0;
  for (std::size_t i = 0; i < sink.quotes.size(); ++i) {
    const QuoteTick& q = sink.quotes[i];
    const QuoteModel& m = sink.models[i];
    if (q.bid_price.raw() == kTickRaw) continue;
    const Instrument& inst = sink.instruments.at(q.instrument_id.value());
    const double strike = D(inst.strike);
    const pricing::Greeks g =
        pricing::Black76Greeks(inst.option_kind, m.forward, strike, m.t_years, m.vol, m.rate);
    const double vega_per_unit = g.vega * 100;
    if (vega_per_unit < 1.0) continue;  // too little time value to invert from a 0.05 grid
    const double mid = D(q.Mid());
    if (mid - m.model_price > kTick / 2 + 1e-9) {
      // Lifted to the first tick at or above the discounted intrinsic value.
      const double intrinsic =
          std::max(0.0, inst.option_kind == OptionKind::kCall ? m.forward - strike
                                                              : strike - m.forward) *
          std::exp(-m.rate * m.t_years);
      ASSERT_GE(mid + 1e-9, intrinsic);
      ASSERT_LT(mid - kTick, intrinsic) << q.instrument_id.value();
      continue;
    }
    ASSERT_LE(std::fabs(mid - m.model_price), kTick / 2 + 1e-9) << q.instrument_id.value();
    auto iv =
        pricing::ImpliedVolBlack76(inst.option_kind, mid, m.forward, strike, m.t_years, m.rate);
    ASSERT_TRUE(iv.ok()) << iv.error();
    // The model price lies within half a tick of the mid, and IV is increasing in price, so
    // the model vol lies between the IVs of mid -/+ half a tick.
    auto lo = pricing::ImpliedVolBlack76(inst.option_kind, mid - kTick / 2, m.forward, strike,
                                         m.t_years, m.rate);
    auto hi = pricing::ImpliedVolBlack76(inst.option_kind, mid + kTick / 2, m.forward, strike,
                                         m.t_years, m.rate);
    ASSERT_TRUE(hi.ok()) << hi.error();
    // Below the mid by half a tick may be under intrinsic value (no IV): then the bound is 0.
    const double lo_vol = lo.ok() ? *lo : 0.0;
    ASSERT_LE(lo_vol - 1e-9, m.vol) << q.instrument_id.value() << " at " << FormatIst(q.ts_event);
    ASSERT_GE(*hi + 1e-9, m.vol) << q.instrument_id.value() << " at " << FormatIst(q.ts_event);
    ASSERT_LE(std::fabs(*iv - m.vol), *hi - lo_vol + 1e-9);
    // Where vega is large the error is the linear one: half a tick over vega.
    if (vega_per_unit > 20) {
      ASSERT_NEAR(*iv, m.vol, 0.5 * kTick / vega_per_unit * 1.1) << q.instrument_id.value();
    }
    ++checked;
  }
  EXPECT_GT(checked, 10000);
}

TEST(SynthChain, VolSurfaceHasSkewSmileAndRisesIntoExpiry) {
  RecordingSink sink = Generate(SmallConfig({2024, 1, 1}, {2024, 1, 2}));
  // First step: both series, strikes ascending.
  const UnixNanos t0 = sink.steps.front();
  std::map<std::int64_t, std::map<std::int64_t, double>> vol;  // expiration -> strike -> vol
  double fwd = 0;
  for (std::size_t i = 0; i < sink.quotes.size() && sink.quotes[i].ts_event == t0; ++i) {
    const Instrument& inst = sink.instruments.at(sink.quotes[i].instrument_id.value());
    vol[inst.expiration.value][inst.strike.raw()] = sink.models[i].vol;
    fwd = sink.models[i].forward;
  }
  ASSERT_EQ(vol.size(), 2u);
  const auto& near = vol.begin()->second;
  const auto& far = vol.rbegin()->second;
  const double lowest = near.begin()->second;
  const double highest = near.rbegin()->second;
  auto atm_it = near.lower_bound(static_cast<std::int64_t>(fwd) * kFixedScale);
  ASSERT_NE(atm_it, near.end());
  EXPECT_GT(lowest, highest);                        // skew: low strikes (puts) richer
  EXPECT_GT(highest, atm_it->second * 0.99);         // smile: wings not below the money
  EXPECT_GT(atm_it->second, far.at(atm_it->first));  // term: nearer expiry higher
}

TEST(SynthChain, AtmVolMovesAgainstReturns) {
  ChainConfig c = SmallConfig({2024, 1, 1}, {2024, 6, 28});
  c.strikes_each_side = 1;
  c.expiries = 1;
  c.interval_minutes = 15;
  RecordingSink sink = Generate(c);
  double sxy = 0, sxx = 0, syy = 0;
  double lo = 1, hi = 0;
  for (std::size_t i = 1; i < sink.steps.size(); ++i) {
    const double r = std::log(D(sink.spots[i]) / D(sink.spots[i - 1]));
    const double dv = std::log(sink.atm_vols[i] / sink.atm_vols[i - 1]);
    sxy += r * dv;
    sxx += r * r;
    syy += dv * dv;
    lo = std::min(lo, sink.atm_vols[i]);
    hi = std::max(hi, sink.atm_vols[i]);
  }
  EXPECT_LT(sxy / std::sqrt(sxx * syy), -0.4);
  // It moves (a VIX-like range), and stays in a plausible band.
  EXPECT_LT(lo, 0.12);
  EXPECT_GT(hi, 0.14);
  EXPECT_GE(lo, c.vol.iv_floor);
  EXPECT_LT(hi, 0.6);
}

TEST(SynthChain, SimulatedIndexLooksLikeNifty) {
  ChainConfig c = SmallConfig({2024, 1, 1}, {2024, 12, 31});
  c.strikes_each_side = 1;
  c.expiries = 1;
  c.interval_minutes = 15;
  RecordingSink sink = Generate(c);
  // Daily close-to-close log returns: annualised vol 10-20%.
  std::vector<double> closes;
  for (std::size_t i = 0; i < sink.bars.size(); ++i) {
    if (i + 1 == sink.bars.size() ||
        IstDate(sink.bars[i + 1].ts_event) != IstDate(sink.bars[i].ts_event)) {
      closes.push_back(D(sink.bars[i].close));
    }
  }
  ASSERT_EQ(closes.size(),
            static_cast<std::size_t>(NseCalendar().CountTradingDays({2024, 1, 1}, {2024, 12, 31})));
  double s = 0, ss = 0;
  for (std::size_t i = 1; i < closes.size(); ++i) {
    const double r = std::log(closes[i] / closes[i - 1]);
    s += r;
    ss += r * r;
  }
  const double n = static_cast<double>(closes.size() - 1);
  const double vol = std::sqrt((ss / n - (s / n) * (s / n)) * 252);
  EXPECT_GT(vol, 0.10);
  EXPECT_LT(vol, 0.20);
  // Intraday U-shape: the first and last steps of a day move more than the midday ones.
  double edge = 0, mid = 0;
  int ne = 0, nm = 0;
  for (const Bar& b : sink.bars) {
    const double r = std::fabs(std::log(D(b.close) / D(b.open)));
    const int minute = IstMinuteOfDay(b.ts_event);
    if (minute < 9 * 60 + 45 || minute >= 15 * 60) {
      edge += r;
      ++ne;
    } else if (minute >= 12 * 60 && minute < 13 * 60) {
      mid += r;
      ++nm;
    }
  }
  EXPECT_GT(edge / ne, 1.3 * mid / nm);
  for (const Bar& b : sink.bars) {
    ASSERT_TRUE(ValidateBar(b).ok()) << ValidateBar(b).error();
  }
}

TEST(SynthChain, SameSeedSameOutputDifferentSeedDiffers) {
  ChainConfig c = SmallConfig({2024, 2, 5}, {2024, 2, 6});
  const RecordingSink a = Generate(c);
  const RecordingSink b = Generate(c);
  c.seed = 43;
  const RecordingSink other = Generate(c);
  ASSERT_EQ(a.quotes.size(), b.quotes.size());
  bool differs = false;
  for (std::size_t i = 0; i < a.quotes.size(); ++i) {
    ASSERT_EQ(a.quotes[i].instrument_id, b.quotes[i].instrument_id);
    ASSERT_EQ(a.quotes[i].bid_price.raw(), b.quotes[i].bid_price.raw());
    ASSERT_EQ(a.quotes[i].ask_price.raw(), b.quotes[i].ask_price.raw());
    ASSERT_EQ(a.quotes[i].bid_size.raw(), b.quotes[i].bid_size.raw());
    if (i < other.quotes.size() && other.quotes[i].bid_price != a.quotes[i].bid_price)
      differs = true;
  }
  EXPECT_TRUE(differs);
}

TEST(SynthChain, HolidaysAreSkippedAndExpiryMovesBefore) {
  NseCalendar cal;
  cal.AddHoliday({2024, 3, 29});  // Good Friday
  cal.AddHoliday({2024, 4, 11});  // a Thursday holiday (Id-ul-Fitr): expiry moves to Wednesday
  RecordingSink sink = Generate(SmallConfig({2024, 3, 28}, {2024, 4, 12}), cal);
  std::set<std::string> days;
  for (UnixNanos t : sink.steps) days.insert(FormatDate(IstDate(t)));
  EXPECT_FALSE(days.count("2024-03-29"));
  EXPECT_FALSE(days.count("2024-04-11"));
  std::set<std::string> expiries;
  for (const auto& [id, inst] : sink.instruments) {
    if (inst.instrument_class == InstrumentClass::kOption)
      expiries.insert(FormatDate(IstDate(inst.expiration)));
  }
  EXPECT_TRUE(expiries.count("2024-04-10")) << "Thursday holiday moves expiry to Wednesday";
  EXPECT_FALSE(expiries.count("2024-04-11"));
}

TEST(SynthChain, RealIndexFileDrivesTheChain) {
  const std::filesystem::path file =
      std::filesystem::path(NACRE_SOURCE_DIR) / "../shared/data/real/NIFTY_2024_1min.csv";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "../shared/data/real not present";
  ChainConfig c = SmallConfig({2024, 1, 1}, {2024, 1, 2});
  c.underlying_file = file.string();
  RecordingSink sink = Generate(c);
  ASSERT_EQ(sink.steps.size(), 2u * 75u);
  EXPECT_EQ(sink.steps.front(), FromUtc(2024, 1, 1, 3, 45));
  // The first 5-minute bar aggregates 09:15-09:19: open of the first line of the file.
  EXPECT_EQ(sink.bars.front().open, Price::Parse("21727.75").value());
  EXPECT_EQ(sink.spots.front(), sink.bars.front().open);
}

TEST(SynthChain, BadInputIsAClearError) {
  RecordingSink sink;
  ChainConfig c = SmallConfig({2024, 1, 5}, {2024, 1, 1});
  auto r = GenerateChains(c, NseCalendar(), sink);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("before start"), std::string::npos) << r.error();
  c = SmallConfig({2024, 1, 1}, {2024, 1, 2});
  c.path.garch_alpha = 0.5;
  c.path.garch_beta = 0.6;
  r = GenerateChains(c, NseCalendar(), sink);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("alpha + beta"), std::string::npos) << r.error();
  c = SmallConfig({2024, 1, 1}, {2024, 1, 2});
  c.underlying_file = "/nonexistent/nifty.csv";
  r = GenerateChains(c, NseCalendar(), sink);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("/nonexistent/nifty.csv"), std::string::npos) << r.error();
  EXPECT_TRUE(sink.quotes.empty());
}

}  // namespace
}  // namespace nacre::synth
