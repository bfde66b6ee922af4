#include "apps/spreads/greeks_actor.h"

#include <cmath>

#include "apps/spreads/listed_chains.h"

namespace nacre {

const ContractGreeks* ChainGreeks::Find(const InstrumentId& id) const {
  for (const ContractGreeks& c : contracts) {
    if (c.instrument == id) return &c;
  }
  return nullptr;
}

GreeksActor::GreeksActor(std::string id, GreeksActorConfig config)
    : Actor(std::move(id)), config_(std::move(config)), topic_(Topic(config_.underlying)) {}

ParamSchema GreeksActor::Schema() {
  return {"GreeksActor",
          "per-contract implied vol and greeks, forward, ATM and smile of an underlying's "
          "nearest expiries from quotes, published on data.greeks.{underlying}",
          {
              ParamSpec::String("underlying")
                  .Required()
                  .Doc("the index whose options are valued, e.g. \"NIFTY 50.NSE\""),
              ParamSpec::Int("expiries", 2).Range(1, 52).Doc("nearest expiries valued"),
              ParamSpec::Int("interval_secs", 60).Range(1, 86'400).Doc("seconds between valuations"),
              ParamSpec::Number("rate_pct", 6.5)
                  .Range(0, 50)
                  .Doc("risk-free rate, percent a year (Black-76 discounting)"),
              ParamSpec::Int("max_quote_age_secs", 300)
                  .Range(1, 30 * 86'400)
                  .Doc("quotes older than this are ignored"),
          }};
}

std::unique_ptr<Actor> GreeksActor::FromParams(const std::string& id, const Params& p) {
  GreeksActorConfig c;
  auto underlying = InstrumentId::Parse(p.GetString("underlying"));
  if (!underlying.ok()) p.Fail("underlying", underlying.error());
  c.underlying = *underlying;
  c.expiries = static_cast<std::uint32_t>(p.GetInt("expiries"));
  c.interval = p.GetInt("interval_secs") * kNanosPerSecond;
  c.rate = p.GetNumber("rate_pct") / 100.0;
  c.max_quote_age = p.GetInt("max_quote_age_secs") * kNanosPerSecond;
  return std::make_unique<GreeksActor>(id, c);
}

std::unique_ptr<Actor> GreeksActor::FromConfig(const std::string& id, const ConfigTable& table) {
  return FromParams(id, Params(table, Schema()));
}

void GreeksActor::OnStart() {
  if (Status st = SetTimer("greeks", config_.interval); !st) {
    log().Error("greeks timer: {}", st.error());
  }
}

void GreeksActor::OnTimer(const TimeEvent& /*event*/) { ComputeNow(); }

const ContractGreeks* GreeksActor::Find(const InstrumentId& id) const {
  for (const ChainGreeks& chain : latest_) {
    if (const ContractGreeks* c = chain.Find(id)) return c;
  }
  return nullptr;
}

std::size_t GreeksActor::ComputeNow() {
  const UnixNanos now = clock().Now();
  std::vector<ChainGreeks> out;
  for (const auto& [expiry, strikes] : ListedChains(cache(), config_.underlying, now)) {
    if (out.size() >= config_.expiries) break;
    const std::vector<pricing::ChainQuote> quotes =
        ChainQuotes(strikes, cache(), now, config_.max_quote_age);
    const double t_years =
        static_cast<double>(expiry - now) / static_cast<double>(365 * kNanosPerDay);
    auto analysis = pricing::AnalyzeChain(quotes, t_years, config_.rate);
    if (!analysis.ok()) {
      log().Debug("chain {} expiring {}: {}", config_.underlying.value(), FormatIst(expiry),
                  analysis.error());
      continue;
    }
    ChainGreeks chain;
    chain.ts = now;
    chain.underlying = config_.underlying;
    chain.expiry = expiry;
    chain.t_years = t_years;
    chain.forward = analysis->forward;
    chain.atm_iv = analysis->atm_iv;
    std::size_t k = 0;
    for (const auto& [strike_raw, pair] : strikes) {
      const pricing::ChainPoint& p = analysis->points[k++];
      const Instrument* any = pair.call ? pair.call : pair.put;
      const Price strike = any->strike;
      if (p.strike == analysis->atm_strike) chain.atm_strike = strike;
      if (pair.call)
        chain.contracts.push_back({pair.call->id, OptionKind::kCall, strike, p.iv, p.call});
      if (pair.put)
        chain.contracts.push_back({pair.put->id, OptionKind::kPut, strike, p.iv, p.put});
    }
    out.push_back(std::move(chain));
  }
  latest_ = std::move(out);
  for (const ChainGreeks& chain : latest_) PublishData(topic_, chain);
  return latest_.size();
}

}  // namespace nacre
