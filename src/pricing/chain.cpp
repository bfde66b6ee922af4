#include "pricing/chain.h"

#include <fmt/format.h>

#include <algorithm>

namespace nacre::pricing {

double QuoteMid(double bid, double ask) {
  if (!(bid > 0) || !(ask > 0) || ask < bid) return kNoQuote;
  return 0.5 * (bid + ask);
}

Result<ChainAnalysis> AnalyzeChain(std::span<const ChainQuote> quotes, double t_years, double rate,
                                   std::optional<double> forward) {
  if (quotes.empty()) return MakeError("option chain: no quotes");
  if (!(t_years > 0)) {
    return MakeError(fmt::format("option chain: time to expiry must be positive, got {}", t_years));
  }
  ChainAnalysis out;
  out.t_years = t_years;
  out.rate = rate;
  out.points.reserve(quotes.size());
  for (const ChainQuote& q : quotes) {
    if (!(q.strike > 0)) {
      return MakeError(fmt::format("option chain: strike must be positive, got {}", q.strike));
    }
    ChainPoint p;
    p.strike = q.strike;
    p.call_mid = QuoteMid(q.call_bid, q.call_ask);
    p.put_mid = QuoteMid(q.put_bid, q.put_ask);
    out.points.push_back(std::move(p));
  }
  std::sort(out.points.begin(), out.points.end(),
            [](const ChainPoint& a, const ChainPoint& b) { return a.strike < b.strike; });
  for (std::size_t i = 1; i < out.points.size(); ++i) {
    if (out.points[i].strike == out.points[i - 1].strike) {
      return MakeError(fmt::format("option chain: strike {} appears twice", out.points[i].strike));
    }
  }

  if (forward) {
    if (!(*forward > 0)) return MakeError("option chain: forward must be positive");
    out.forward = *forward;
  } else {
    // Parity forward from the strike where call and put are closest in price (the money)
    // and its two-sided neighbours: averaging damps one stale quote.
    std::size_t best = out.points.size();
    for (std::size_t i = 0; i < out.points.size(); ++i) {
      const ChainPoint& p = out.points[i];
      if (std::isnan(p.call_mid) || std::isnan(p.put_mid)) continue;
      if (best == out.points.size() ||
          std::abs(p.call_mid - p.put_mid) <
              std::abs(out.points[best].call_mid - out.points[best].put_mid)) {
        best = i;
      }
    }
    if (best == out.points.size()) {
      return MakeError(
          "option chain: no strike has both a call and a put quote to imply the "
          "forward; give the forward explicitly");
    }
    double sum = 0;
    int n = 0;
    const std::size_t lo = best == 0 ? 0 : best - 1;
    const std::size_t hi = std::min(best + 1, out.points.size() - 1);
    for (std::size_t i = lo; i <= hi; ++i) {
      const ChainPoint& p = out.points[i];
      if (std::isnan(p.call_mid) || std::isnan(p.put_mid)) continue;
      sum += ParityForward(p.call_mid, p.put_mid, p.strike, t_years, rate);
      ++n;
    }
    out.forward = sum / n;
  }

  double best_dist = 0;
  for (ChainPoint& p : out.points) {
    const bool call_otm = p.strike >= out.forward;
    // The out-of-the-money side first; the other side when it is missing or fails.
    const double first = call_otm ? p.call_mid : p.put_mid;
    const double second = call_otm ? p.put_mid : p.call_mid;
    const OptionKind first_kind = call_otm ? OptionKind::kCall : OptionKind::kPut;
    const OptionKind second_kind = call_otm ? OptionKind::kPut : OptionKind::kCall;
    std::string errors;
    for (auto [mid, kind] : {std::pair{first, first_kind}, std::pair{second, second_kind}}) {
      if (std::isnan(mid)) continue;
      auto iv = ImpliedVolBlack76(kind, mid, out.forward, p.strike, t_years, rate);
      if (iv.ok()) {
        p.iv = *iv;
        break;
      }
      errors += (errors.empty() ? "" : "; ") + iv.error();
    }
    if (std::isnan(p.iv)) {
      p.iv_error = errors.empty() ? "no two-sided quote" : errors;
    } else {
      p.call = Black76Greeks(OptionKind::kCall, out.forward, p.strike, t_years, p.iv, rate);
      p.put = Black76Greeks(OptionKind::kPut, out.forward, p.strike, t_years, p.iv, rate);
    }
    const double dist = std::abs(p.strike - out.forward);
    if (out.atm_strike == 0 || dist < best_dist) {
      best_dist = dist;
      out.atm_strike = p.strike;
      out.atm_iv = p.iv;
    }
  }
  return out;
}

}  // namespace nacre::pricing
