#include "synth/config.h"

#include <filesystem>

#include "nse/calendar_config.h"

namespace nacre::synth {

namespace {

CivilDate GetDate(const ConfigTable& t, const std::string& key, CivilDate def) {
  if (!t.Has(key)) return def;
  auto d = ParseDate(t.GetString(key));
  if (!d.ok()) t.Fail(key, d.error());
  return *d;
}

int GetSmallInt(const ConfigTable& t, const std::string& key, int def, int lo, int hi) {
  const std::int64_t v = t.GetInt(key, def);
  if (v < lo || v > hi) {
    t.Fail(key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  return static_cast<int>(v);
}

}  // namespace

LoadedSynthConfig LoadSynthConfig(const ConfigTable& t, const std::string& base_dir) {
  LoadedSynthConfig out;
  ChainConfig& c = out.chain;
  c.start = GetDate(t, "start", c.start);
  c.end = GetDate(t, "end", c.end);
  const std::int64_t seed = t.GetInt("seed", static_cast<std::int64_t>(c.seed));
  if (seed < 0) t.Fail("seed", "must be >= 0");
  c.seed = static_cast<std::uint64_t>(seed);
  c.interval_minutes = GetSmallInt(t, "interval_minutes", c.interval_minutes, 1, 375);
  c.strikes_each_side = GetSmallInt(t, "strikes_each_side", c.strikes_each_side, 1, 500);
  c.expiries = GetSmallInt(t, "expiries", c.expiries, 1, 8);
  c.rate = t.GetDouble("rate", c.rate);
  c.div_yield = t.GetDouble("div_yield", c.div_yield);
  if (t.Has("underlying_file")) {
    std::filesystem::path f = t.GetString("underlying_file");
    if (f.is_relative() && !base_dir.empty()) f = std::filesystem::path(base_dir) / f;
    c.underlying_file = f.string();
  }
  if (auto cal = t.GetOptionalTable("calendar")) out.calendar = LoadNseCalendar(*cal, base_dir);
  if (auto p = t.GetOptionalTable("path")) {
    PathConfig& x = c.path;
    x.start_price = p->GetDouble("start_price", x.start_price);
    x.annual_vol = p->GetDouble("annual_vol", x.annual_vol);
    x.annual_drift = p->GetDouble("annual_drift", x.annual_drift);
    x.garch_alpha = p->GetDouble("garch_alpha", x.garch_alpha);
    x.garch_beta = p->GetDouble("garch_beta", x.garch_beta);
    x.u_shape = p->GetDouble("u_shape", x.u_shape);
    x.overnight_vol = p->GetDouble("overnight_vol", x.overnight_vol);
    x.jump_prob_per_day = p->GetDouble("jump_prob_per_day", x.jump_prob_per_day);
    x.jump_vol = p->GetDouble("jump_vol", x.jump_vol);
    p->Finish();
  }
  if (auto v = t.GetOptionalTable("vol")) {
    VolConfig& x = c.vol;
    x.iv_base = v->GetDouble("iv_base", x.iv_base);
    x.iv_reversion_days = v->GetDouble("iv_reversion_days", x.iv_reversion_days);
    x.iv_return_beta = v->GetDouble("iv_return_beta", x.iv_return_beta);
    x.iv_noise = v->GetDouble("iv_noise", x.iv_noise);
    x.iv_floor = v->GetDouble("iv_floor", x.iv_floor);
    x.term_boost = v->GetDouble("term_boost", x.term_boost);
    x.term_decay_days = v->GetDouble("term_decay_days", x.term_decay_days);
    x.skew = v->GetDouble("skew", x.skew);
    x.smile = v->GetDouble("smile", x.smile);
    v->Finish();
  }
  if (auto q = t.GetOptionalTable("quotes")) {
    QuoteConfig& x = c.quotes;
    x.spread_pct = q->GetDouble("spread_pct", x.spread_pct);
    x.spread_wing = q->GetDouble("spread_wing", x.spread_wing);
    x.max_size_lots = GetSmallInt(*q, "max_size_lots", x.max_size_lots, 1, 10000);
    q->Finish();
  }
  t.Finish();
  if (Status s = ValidateChainConfig(c); !s.ok()) throw ConfigError(t.Where() + ": " + s.error());
  return out;
}

LoadedSynthConfig LoadSynthConfigFile(const std::string& path) {
  auto root = ConfigTable::ParseFile(path);
  const ConfigTable t(*root, path, "");
  return LoadSynthConfig(t, std::filesystem::path(path).parent_path().string());
}

}  // namespace nacre::synth
