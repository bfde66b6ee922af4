#include "synth/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <initializer_list>

#include "nse/calendar_config.h"

namespace nacre::synth {

namespace {

using P = ParamSpec;

CivilDate GetDate(const Params& t, const std::string& key) {
  auto d = ParseDate(t.GetString(key));
  if (!d.ok()) t.Fail(key, d.error());
  return *d;
}

// The key to blame for a rule between keys: the first one the table gives (else the first).
std::string Blame(const Params& t, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    if (t.Has(k)) return k;
  }
  return *keys.begin();
}

// The smallest of 1 + skew x + smile x^2 over |x| <= 3, the moneyness clip of chain.h.
double SmileFactorMin(double skew, double smile) {
  auto f = [&](double x) { return 1 + skew * x + smile * x * x; };
  double lowest = std::min(f(-3.0), f(3.0));
  if (smile > 0) {
    const double vertex = -skew / (2 * smile);
    if (vertex > -3.0 && vertex < 3.0) lowest = std::min(lowest, f(vertex));
  }
  return lowest;
}

}  // namespace

ParamSchema SynthRootSchema() {
  const ChainConfig d;
  return {"top level",
          "the run's dates, grid and rates; [calendar] is the backtest config's [calendar] "
          "(weekdays 09:15-15:30 when absent)",
          {
              P::String("start", FormatDate(d.start)).Doc("first IST date generated, YYYY-MM-DD"),
              P::String("end", FormatDate(d.end))
                  .Doc("last IST date generated, inclusive, YYYY-MM-DD; not before start"),
              P::Int("seed", static_cast<std::int64_t>(d.seed))
                  .AtLeast(0)
                  .Doc("seeds the simulated index, the IV noise and the quote sizes (same seed, "
                       "same data)"),
              P::Int("interval_minutes", d.interval_minutes)
                  .Range(1, 375)
                  .Doc("minutes between quote snapshots (the regular session is 375 minutes)"),
              P::Int("strikes_each_side", d.strikes_each_side)
                  .Range(1, 500)
                  .Doc("listed strikes quoted on each side of the at-the-money strike"),
              P::Int("expiries", d.expiries)
                  .Range(1, 8)
                  .Doc("nearest listed series quoted (weeklies and the monthly)"),
              P::Number("rate", d.rate)
                  .Range(0, 0.25)
                  .Doc("risk-free rate: annual, continuously compounded, a fraction (0.065 = "
                       "6.5%, not 6.5)"),
              P::Number("div_yield", d.div_yield)
                  .Range(0, 0.1)
                  .Doc("index dividend yield: annual, continuously compounded, a fraction "
                       "(0.012 = 1.2%)"),
              P::String("underlying_file")
                  .Doc("NSE 1-minute index CSV (NIFTY_2024_1min.csv format) that drives the "
                       "chain instead of [path], relative to the config's folder (unset: "
                       "simulated)"),
              P::Table("calendar")
                  .Doc("NSE holidays and sessions: the keys of the backtest config's [calendar]"),
              P::Table("path").Doc("the simulated index (see [path])"),
              P::Table("vol").Doc("the implied-volatility surface (see [vol])"),
              P::Table("quotes").Doc("bid/ask spreads and sizes (see [quotes])"),
          }};
}

ParamSchema SynthPathSchema() {
  const PathConfig d;
  return {"[path]",
          "the simulated index (ignored with underlying_file): GARCH(1,1) vol clustering around "
          "annual_vol, an intraday U-shape, overnight gaps and jumps; vols and sizes are "
          "fractions of 1 (0.14 = 14%)",
          {
              P::Number("start_price", d.start_price)
                  .Above(0)
                  .AtMost(500000)
                  .Doc("index level at the first step, in index points"),
              P::Number("annual_vol", d.annual_vol)
                  .Above(0)
                  .AtMost(2)
                  .Doc("long-run annualised volatility of the index's log returns, a fraction"),
              P::Number("annual_drift", d.annual_drift)
                  .Range(-1, 1)
                  .Doc("expected log growth per year, a fraction (0.08 = 8%)"),
              P::Number("garch_alpha", d.garch_alpha)
                  .AtLeast(0)
                  .Below(1)
                  .Doc("GARCH weight of the last squared shock, per step; garch_alpha + "
                       "garch_beta < 1"),
              P::Number("garch_beta", d.garch_beta)
                  .AtLeast(0)
                  .Below(1)
                  .Doc("GARCH persistence of the variance, per step; garch_alpha + garch_beta "
                       "< 1"),
              P::Number("u_shape", d.u_shape)
                  .Range(0, 10)
                  .Doc("extra vol at the open and close: vol × (1 + u_shape × edge) with edge 1 "
                       "at the session's ends, 0 mid-day (0: flat)"),
              P::Number("overnight_vol", d.overnight_vol)
                  .Range(0, 0.2)
                  .Doc("standard deviation of the overnight log gap, a fraction (0.005 = 0.5%)"),
              P::Number("jump_prob_per_day", d.jump_prob_per_day)
                  .Range(0, 1)
                  .Doc("probability of a jump on a trading day (a tenth of them intraday)"),
              P::Number("jump_vol", d.jump_vol)
                  .Range(0, 0.5)
                  .Doc("standard deviation of a jump's log size, a fraction (0.012 = 1.2%)"),
          }};
}

ParamSchema SynthVolSchema() {
  const VolConfig d;
  return {
      "[vol]",
      "the implied-volatility surface: a VIX-like ATM level, term structure and smile; vols "
      "are annualised fractions (0.13 = 13%, VIX 13)",
      {
          P::Number("iv_base", d.iv_base)
              .Above(0)
              .AtMost(2)
              .Doc("long-run ATM implied vol the level reverts to (the level is capped at 2)"),
          P::Number("iv_reversion_days", d.iv_reversion_days)
              .Above(0)
              .AtMost(365)
              .Doc("e-folding time of the log-IV mean reversion, in trading days"),
          P::Number("iv_return_beta", d.iv_return_beta)
              .Range(-20, 20)
              .Doc("change of ln(ATM IV) per unit log return of the index (negative: vol "
                   "rises as the index falls)"),
          P::Number("iv_noise", d.iv_noise).Range(0, 5).Doc("annualised volatility of ln(ATM IV)"),
          P::Number("iv_floor", d.iv_floor)
              .Above(0)
              .AtMost(2)
              .Doc("lowest ATM implied vol; at most iv_base"),
          P::Number("term_boost", d.term_boost)
              .Range(0, 5)
              .Doc("extra ATM vol at expiry, relative (0.35 = +35%), fading with "
                   "term_decay_days"),
          P::Number("term_decay_days", d.term_decay_days)
              .Above(0)
              .AtMost(365)
              .Doc("calendar days to expiry over which term_boost fades (e-folding)"),
          P::Number("skew", d.skew)
              .Range(-1, 1)
              .Doc("vol × (1 + skew·x + smile·x²), x = ln(K/F) in standard deviations "
                   "clipped to ±3: negative skew makes puts richer"),
          P::Number("smile", d.smile)
              .Range(0, 1)
              .Doc("smile curvature (see skew); the factor must stay positive for |x| ≤ 3"),
      }};
}

ParamSchema SynthQuotesSchema() {
  const QuoteConfig d;
  return {"[quotes]",
          "bid/ask around the Black-76 mid on the ₹0.05 grid, sizes in whole lots",
          {
              P::Number("spread_pct", d.spread_pct)
                  .Above(0)
                  .AtMost(1)
                  .Doc("bid/ask width near the money as a fraction of the mid (0.01 = 1%, not a "
                       "percent despite the name); at least one tick each side"),
              P::Number("spread_wing", d.spread_wing)
                  .Range(0, 10)
                  .Doc("relative widening at 3 standard deviations: width × (1 + spread_wing × "
                       "|x| / 3)"),
              P::Int("max_size_lots", d.max_size_lots)
                  .Range(1, 10000)
                  .Doc("largest bid or ask size in lots (each drawn from 1 to this)"),
          }};
}

std::vector<ParamSchema> SynthConfigSections() {
  return {SynthRootSchema(), SynthPathSchema(), SynthVolSchema(), SynthQuotesSchema()};
}

LoadedSynthConfig LoadSynthConfig(const ConfigTable& config, const std::string& base_dir) {
  const Params t(config, SynthRootSchema());
  LoadedSynthConfig out;
  ChainConfig& c = out.chain;
  c.start = GetDate(t, "start");
  c.end = GetDate(t, "end");
  if (c.end < c.start) {
    t.Fail(Blame(t, {"end", "start"}),
           fmt::format("end {} is before start {}", FormatDate(c.end), FormatDate(c.start)));
  }
  c.seed = static_cast<std::uint64_t>(t.GetInt("seed"));
  c.interval_minutes = t.GetInt32("interval_minutes");
  c.strikes_each_side = t.GetInt32("strikes_each_side");
  c.expiries = t.GetInt32("expiries");
  c.rate = t.GetNumber("rate");
  c.div_yield = t.GetNumber("div_yield");
  if (t.Has("underlying_file")) {
    std::filesystem::path f = t.GetString("underlying_file");
    if (f.is_relative() && !base_dir.empty()) f = std::filesystem::path(base_dir) / f;
    c.underlying_file = f.string();
  }
  if (t.Has("calendar")) out.calendar = LoadNseCalendar(t.GetTable("calendar"), base_dir);
  if (t.Has("path")) {
    const ConfigTable table = t.GetTable("path");
    const Params p(table, SynthPathSchema());
    PathConfig& x = c.path;
    x.start_price = p.GetNumber("start_price");
    x.annual_vol = p.GetNumber("annual_vol");
    x.annual_drift = p.GetNumber("annual_drift");
    x.garch_alpha = p.GetNumber("garch_alpha");
    x.garch_beta = p.GetNumber("garch_beta");
    x.u_shape = p.GetNumber("u_shape");
    x.overnight_vol = p.GetNumber("overnight_vol");
    x.jump_prob_per_day = p.GetNumber("jump_prob_per_day");
    x.jump_vol = p.GetNumber("jump_vol");
    if (!(x.garch_alpha + x.garch_beta < 1)) {
      p.Fail(Blame(p, {"garch_alpha", "garch_beta"}),
             fmt::format("garch_alpha + garch_beta must be below 1 (a stationary variance), got "
                         "{} + {} = {}",
                         x.garch_alpha, x.garch_beta, x.garch_alpha + x.garch_beta));
    }
  }
  if (t.Has("vol")) {
    const ConfigTable table = t.GetTable("vol");
    const Params v(table, SynthVolSchema());
    VolConfig& x = c.vol;
    x.iv_base = v.GetNumber("iv_base");
    x.iv_reversion_days = v.GetNumber("iv_reversion_days");
    x.iv_return_beta = v.GetNumber("iv_return_beta");
    x.iv_noise = v.GetNumber("iv_noise");
    x.iv_floor = v.GetNumber("iv_floor");
    x.term_boost = v.GetNumber("term_boost");
    x.term_decay_days = v.GetNumber("term_decay_days");
    x.skew = v.GetNumber("skew");
    x.smile = v.GetNumber("smile");
    if (x.iv_floor > x.iv_base) {
      v.Fail(Blame(v, {"iv_floor", "iv_base"}),
             fmt::format("iv_floor ({}) must not exceed iv_base ({})", x.iv_floor, x.iv_base));
    }
    if (const double lowest = SmileFactorMin(x.skew, x.smile); !(lowest > 0)) {
      v.Fail(Blame(v, {"skew", "smile"}),
             fmt::format("skew {} with smile {} gives a vol factor 1 + skew·x + smile·x² of {} "
                         "within |x| ≤ 3 (it must stay positive)",
                         x.skew, x.smile, lowest));
    }
  }
  if (t.Has("quotes")) {
    const ConfigTable table = t.GetTable("quotes");
    const Params q(table, SynthQuotesSchema());
    QuoteConfig& x = c.quotes;
    x.spread_pct = q.GetNumber("spread_pct");
    x.spread_wing = q.GetNumber("spread_wing");
    x.max_size_lots = q.GetInt32("max_size_lots");
  }
  if (Status s = ValidateChainConfig(c); !s.ok()) {
    throw ConfigError(config.Where() + ": " + s.error());
  }
  return out;
}

LoadedSynthConfig LoadSynthConfigFile(const std::string& path) {
  auto root = ConfigTable::ParseFile(path);
  const ConfigTable t(*root, path, "");
  return LoadSynthConfig(t, std::filesystem::path(path).parent_path().string());
}

}  // namespace nacre::synth
