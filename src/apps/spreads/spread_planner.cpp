#include "apps/spreads/spread_planner.h"

#include <fmt/format.h>

#include <cmath>
#include <map>

#include "apps/spreads/listed_chains.h"

namespace nacre {
namespace {

std::int64_t DaysBetween(UnixNanos from, UnixNanos to) {
  return IstDayNumber(to) - IstDayNumber(from);
}

double Mid(const QuoteTick* q) {
  if (q == nullptr || q->bid_price.raw() <= 0 || q->ask_price.raw() <= 0) return pricing::kNoQuote;
  return 0.5 * (q->bid_price.AsDouble() + q->ask_price.AsDouble());
}

}  // namespace

std::string_view ToString(SpreadKind k) {
  switch (k) {
    case SpreadKind::kBullPut:
      return "bull_put";
    case SpreadKind::kBearCall:
      return "bear_call";
    case SpreadKind::kIronCondor:
      return "iron_condor";
  }
  return "?";
}

std::optional<SpreadKind> ParseSpreadKind(std::string_view s) {
  if (s == "bull_put") return SpreadKind::kBullPut;
  if (s == "bear_call") return SpreadKind::kBearCall;
  if (s == "iron_condor") return SpreadKind::kIronCondor;
  return std::nullopt;
}

std::optional<UnixNanos> SpreadPlanner::ChooseExpiry(const Cache& cache, UnixNanos now) const {
  // Expiries come in order, so days to expiry only grow: stop past max_dte.
  return NearestListedExpiry(
      cache, rules_.underlying, now,
      [&](UnixNanos expiry) { return DaysBetween(now, expiry) >= rules_.min_dte; },
      [&](UnixNanos expiry) { return DaysBetween(now, expiry) > rules_.max_dte; });
}

Result<EntryPlan> SpreadPlanner::Plan(const Cache& cache, UnixNanos now, SpreadKind kind) const {
  const std::optional<UnixNanos> expiry = ChooseExpiry(cache, now);
  if (!expiry) {
    return MakeError(fmt::format("no {} expiry with {} to {} days to expiry",
                                 rules_.underlying.value(), rules_.min_dte, rules_.max_dte));
  }
  const ListedChain chain = ListedChainOf(cache, rules_.underlying, *expiry, now);
  const std::vector<pricing::ChainQuote> quotes = ChainQuotes(chain, cache, now);
  const double t_years =
      static_cast<double>(*expiry - now) / static_cast<double>(365 * kNanosPerDay);
  // Implied vols only where a short or wing strike can be: the out-of-the-money side(s).
  const pricing::ChainScope scope = kind == SpreadKind::kBullPut    ? pricing::ChainScope::kOtmPuts
                                    : kind == SpreadKind::kBearCall ? pricing::ChainScope::kOtmCalls
                                                                    : pricing::ChainScope::kOtmBoth;
  auto analysis = pricing::AnalyzeChain(quotes, t_years, rules_.rate, std::nullopt, scope);
  if (!analysis.ok()) return MakeError("chain: " + analysis.error());

  EntryPlan plan;
  plan.kind = kind;
  plan.expiry = *expiry;
  plan.forward = analysis->forward;
  plan.t_years = t_years;
  // Short strike on one side: by |delta| closest to the target among OTM strikes, or the
  // listed strike nearest forward ∓ points.
  auto pick_short = [&](bool puts) -> const Instrument* {
    const Instrument* best = nullptr;
    double best_score = 0;
    std::size_t k = 0;
    for (const auto& [raw, pair] : chain) {
      const pricing::ChainPoint& p = analysis->points[k++];
      const Instrument* ins = puts ? pair.put : pair.call;
      if (ins == nullptr || std::isnan(p.iv)) continue;
      const double strike = static_cast<double>(raw) / kFixedScale;
      if (puts ? strike >= analysis->forward : strike <= analysis->forward) continue;  // OTM only
      double score;
      if (rules_.short_delta > 0) {
        score = std::abs(std::abs(puts ? p.put.delta : p.call.delta) - rules_.short_delta);
      } else {
        const double pts = rules_.short_otm_points->AsDouble();
        score = std::abs(strike - (puts ? analysis->forward - pts : analysis->forward + pts));
      }
      if (best == nullptr || score < best_score) {
        best = ins;
        best_score = score;
      }
    }
    return best;
  };
  auto add_side = [&](bool puts) -> Status {
    const Instrument* shrt = pick_short(puts);
    if (shrt == nullptr) {
      return MakeError(
          fmt::format("no out-of-the-money {} with a usable quote", puts ? "put" : "call"));
    }
    const std::int64_t wing_raw = puts ? shrt->strike.raw() - rules_.wing_width.raw()
                                       : shrt->strike.raw() + rules_.wing_width.raw();
    auto it = chain.find(wing_raw);
    const Instrument* wing =
        it == chain.end() ? nullptr : (puts ? it->second.put : it->second.call);
    if (wing == nullptr) {
      return MakeError(fmt::format("wing strike {} not listed for {}", FormatFixedRaw(wing_raw, 2),
                                   shrt->id.value()));
    }
    const double short_mid = Mid(cache.quote(shrt->id));
    const double wing_mid = Mid(cache.quote(wing->id));
    if (std::isnan(short_mid) || std::isnan(wing_mid)) {
      return MakeError(
          fmt::format("no two-sided quote for {} or {}", shrt->id.value(), wing->id.value()));
    }
    auto iv_at = [&](const Instrument* ins) {
      std::size_t k = 0;
      for (const auto& [raw, pair] : chain) {
        if (raw == ins->strike.raw()) return analysis->points[k].iv;
        ++k;
      }
      return pricing::kNoQuote;
    };
    plan.legs.push_back({shrt->id, OrderSide::kSell, 1});
    plan.legs.push_back({wing->id, OrderSide::kBuy, 1});
    plan.leg_iv.push_back(iv_at(shrt));
    plan.leg_iv.push_back(iv_at(wing));
    plan.leg_mid.push_back(short_mid);
    plan.leg_mid.push_back(wing_mid);
    plan.instruments.push_back(*shrt);
    plan.instruments.push_back(*wing);
    plan.short_strikes.push_back(shrt->strike);
    return Status::Ok();
  };
  if (kind == SpreadKind::kBullPut || kind == SpreadKind::kIronCondor) {
    if (Status st = add_side(true); !st) return MakeError(st.error());
  }
  if (kind == SpreadKind::kBearCall || kind == SpreadKind::kIronCondor) {
    if (Status st = add_side(false); !st) return MakeError(st.error());
  }
  // Credit at mid, exactly: Σ (bid + ask) of shorts − Σ (bid + ask) of wings, halved.
  std::int64_t twice = 0;
  for (std::size_t i = 0; i < plan.legs.size(); ++i) {
    const QuoteTick* q = cache.quote(plan.legs[i].instrument);
    const std::int64_t sum = q->bid_price.raw() + q->ask_price.raw();
    twice += plan.legs[i].side == OrderSide::kSell ? sum : -sum;
  }
  plan.credit_mid = Price::Raw(twice / 2, 3);
  const Instrument& first = plan.instruments.front();
  const std::int64_t tick = first.tick_size.raw();
  const std::int64_t limit = (twice / 2 - rules_.entry_edge_ticks * tick) / tick * tick;
  plan.limit_credit = Price::Raw(limit, first.price_precision);
  if (plan.credit_mid < rules_.min_credit || limit <= 0) {
    return MakeError(fmt::format("credit {} at mid is below the minimum {}",
                                 plan.credit_mid.ToString(), rules_.min_credit.ToString()));
  }
  std::string legs;
  for (const SpreadLeg& l : plan.legs) {
    legs +=
        fmt::format("{}{} {}", legs.empty() ? "" : ", ", ToString(l.side), l.instrument.value());
  }
  plan.description =
      fmt::format("{} forward {:.2f} credit {} (mid {}) [{}]", ToString(kind), plan.forward,
                  plan.limit_credit.ToString(), plan.credit_mid.ToString(), legs);
  return plan;
}

Result<std::optional<Money>> MaxLossPerLot(const EntryPlan& plan, UnixNanos now) {
  if (plan.legs.empty() || plan.instruments.size() != plan.legs.size()) {
    return MakeError("plan has no legs");
  }
  SpreadPosition one(SpreadId("max-loss-estimate"), StrategyId("sizing"), plan.legs,
                     plan.instruments, 1, now);
  auto loss = one.MaxLoss();
  if (!loss) return std::optional<Money>();
  // MaxLoss of an empty book is the loss before premium; take the credit off.
  const Money credit = Money::Notional(plan.limit_credit, plan.instruments.front().lot_size,
                                       plan.instruments.front().multiplier);
  const Money net = *loss - credit;
  if (net.raw() <= 0) return MakeError("spread has no risk at the planned credit");
  return std::optional<Money>(net);
}

Result<Money> MaxLossMarginModel::MarginPerLot(const EntryPlan& plan, const Cache& /*cache*/,
                                               UnixNanos now) const {
  auto loss = MaxLossPerLot(plan, now);
  if (!loss.ok()) return MakeError(loss.error());
  if (!loss->has_value()) return MakeError("spread has unbounded loss: no defined-risk margin");
  return **loss;
}

Result<Money> NseSpanMarginModel::MarginPerLot(const EntryPlan& plan, const Cache& /*cache*/,
                                               UnixNanos now) const {
  MarginInput in;
  // The planner's doubles become the margin's fixed-point prices here (to the paisa).
  in.underlying = Price::FromDouble(plan.forward, 2);
  for (std::size_t i = 0; i < plan.legs.size(); ++i) {
    const Instrument& ins = plan.instruments[i];
    MarginLeg leg;
    leg.kind = MarginLegKind::kOption;
    leg.option_kind = ins.option_kind;
    leg.strike = ins.strike.AsDouble();
    leg.t_years = plan.t_years;
    const double iv = i < plan.leg_iv.size() ? plan.leg_iv[i] : pricing::kNoQuote;
    leg.vol = std::isnan(iv) ? 0.15 : iv;
    const double mid = i < plan.leg_mid.size() ? plan.leg_mid[i] : 0.0;
    leg.price = Price::FromDouble(std::isfinite(mid) && mid > 0 ? mid : 0.0, 2);
    const std::int64_t units = ins.lot_size.raw() / kFixedScale * plan.legs[i].ratio;
    leg.quantity = plan.legs[i].side == OrderSide::kBuy ? units : -units;
    leg.expires_today = IstDate(ins.expiration) == IstDate(now);
    in.legs.push_back(leg);
  }
  auto r = ComputeMargin(in, params_);
  if (!r.ok()) return MakeError("NSE margin: " + r.error());
  if (r->total.raw() <= 0) return MakeError("NSE margin is zero for this spread");
  return r->total;
}

}  // namespace nacre
