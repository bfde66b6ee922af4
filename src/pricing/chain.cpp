#include "pricing/chain.h"

#include <fmt/format.h>

#include <algorithm>

namespace nacre::pricing {

double QuoteMid(double bid, double ask) {
  if (!(bid > 0) || !(ask > 0) || ask < bid) return kNoQuote;
  return 0.5 * (bid + ask);
}

std::optional<double> RoughParityForward(std::span<const ChainQuote> quotes) {
  std::vector<double> f;
  for (const ChainQuote& q : quotes) {
    const double c = QuoteMid(q.call_bid, q.call_ask);
    const double p = QuoteMid(q.put_bid, q.put_ask);
    if (std::isfinite(c) && std::isfinite(p) && std::isfinite(q.strike)) {
      f.push_back(q.strike + c - p);
    }
  }
  if (f.empty()) return std::nullopt;
  std::sort(f.begin(), f.end());
  const std::size_t m = f.size() / 2;
  return f.size() % 2 == 1 ? f[m] : 0.5 * (f[m - 1] + f[m]);
}

std::optional<ChainQuoteProblem> CheckChainQuotes(std::span<const ChainQuote> quotes,
                                                  std::optional<double> forward) {
  auto problem = [](std::size_t i, ChainField f, std::string why) {
    return std::optional<ChainQuoteProblem>(ChainQuoteProblem{i, f, std::move(why), {}});
  };
  struct Side {
    ChainField bid_field, ask_field;
    double ChainQuote::*bid;
    double ChainQuote::*ask;
    const char* name;
  };
  static constexpr Side kSides[] = {{ChainField::kCallBid, ChainField::kCallAsk,
                                     &ChainQuote::call_bid, &ChainQuote::call_ask, "call"},
                                    {ChainField::kPutBid, ChainField::kPutAsk, &ChainQuote::put_bid,
                                     &ChainQuote::put_ask, "put"}};
  std::vector<std::pair<double, std::size_t>> strikes;
  for (std::size_t i = 0; i < quotes.size(); ++i) {
    const ChainQuote& q = quotes[i];
    if (!std::isfinite(q.strike) || !(q.strike > 0)) {
      return problem(i, ChainField::kStrike,
                     fmt::format("strike must be a positive number, got {}", q.strike));
    }
    for (const auto& [k, first] : strikes) {
      if (k == q.strike) {
        auto p = problem(i, ChainField::kStrike, fmt::format("strike {} appears twice", q.strike));
        p->earlier = first;
        return p;
      }
    }
    strikes.emplace_back(q.strike, i);
    for (const Side& s : kSides) {
      for (auto [field, value] :
           {std::pair{s.bid_field, q.*s.bid}, std::pair{s.ask_field, q.*s.ask}}) {
        if (std::isnan(value)) continue;  // missing side
        if (std::isinf(value)) return problem(i, field, "not a finite number");
        if (value < 0) return problem(i, field, fmt::format("negative price {}", value));
        if (value == 0) {
          return problem(i, field, "zero price (leave the cell empty or '-' for a missing side)");
        }
      }
      const double bid = q.*s.bid, ask = q.*s.ask;
      if (!std::isnan(bid) && !std::isnan(ask) && bid > ask) {
        return problem(i, s.ask_field,
                       fmt::format("{} ask {} below bid {} (crossed)", s.name, ask, bid));
      }
    }
    for (auto [field, value] :
         {std::pair{ChainField::kPutBid, q.put_bid}, std::pair{ChainField::kPutAsk, q.put_ask}}) {
      if (value > q.strike) {
        return problem(i, field,
                       fmt::format("put price {} above the strike {} (a put is worth at most "
                                   "its strike)",
                                   value, q.strike));
      }
    }
  }
  const std::optional<double> f = forward ? forward : RoughParityForward(quotes);
  if (!f || !(*f > 0)) return std::nullopt;
  for (std::size_t i = 0; i < quotes.size(); ++i) {
    const ChainQuote& q = quotes[i];
    for (const Side& s : kSides) {
      const double intrinsic = s.bid_field == ChainField::kCallBid ? std::max(0.0, *f - q.strike)
                                                                   : std::max(0.0, q.strike - *f);
      for (auto [field, value] :
           {std::pair{s.bid_field, q.*s.bid}, std::pair{s.ask_field, q.*s.ask}}) {
        if (std::isnan(value)) continue;
        if (s.bid_field == ChainField::kCallBid && value > *f) {
          return problem(i, field,
                         fmt::format("call price {} above the underlying ({} forward {:.2f}): a "
                                     "call is worth at most the underlying",
                                     value, forward ? "given" : "parity", *f));
        }
        if (value - intrinsic > 0.5 * *f) {
          return problem(
              i, field,
              fmt::format("{} price {} has a time value of {:.2f}, over half the "
                          "underlying ({} forward {:.2f}): not a real quote",
                          s.name, value, value - intrinsic, forward ? "given" : "parity", *f));
        }
      }
    }
  }
  return std::nullopt;
}

Result<ChainAnalysis> AnalyzeChain(std::span<const ChainQuote> quotes, double t_years, double rate,
                                   std::optional<double> forward, ChainScope scope) {
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
  double guess = kNoQuote;  // the last strike's vol: the next search starts there
  for (ChainPoint& p : out.points) {
    const double dist = std::abs(p.strike - out.forward);
    const bool atm = out.atm_strike == 0 || dist < best_dist;
    if (atm) {
      best_dist = dist;
      out.atm_strike = p.strike;
    }
    bool call_greeks = true;
    bool put_greeks = true;
    if (scope != ChainScope::kAll) {
      call_greeks = p.strike > out.forward && scope != ChainScope::kOtmPuts;
      put_greeks = p.strike < out.forward && scope != ChainScope::kOtmCalls;
      if (!call_greeks && !put_greeks) {
        p.iv_error = "outside the scope asked";
        if (atm) out.atm_iv = kNoQuote;
        continue;
      }
    }
    const bool call_otm = p.strike >= out.forward;
    // The out-of-the-money side first; the other side when it is missing or fails.
    const double first = call_otm ? p.call_mid : p.put_mid;
    const double second = call_otm ? p.put_mid : p.call_mid;
    const OptionKind first_kind = call_otm ? OptionKind::kCall : OptionKind::kPut;
    const OptionKind second_kind = call_otm ? OptionKind::kPut : OptionKind::kCall;
    std::string errors;
    for (auto [mid, kind] : {std::pair{first, first_kind}, std::pair{second, second_kind}}) {
      if (std::isnan(mid)) continue;
      auto iv = ImpliedVolBlack76(kind, mid, out.forward, p.strike, t_years, rate, guess);
      if (iv.ok()) {
        p.iv = *iv;
        guess = *iv;
        break;
      }
      errors += (errors.empty() ? "" : "; ") + iv.error();
    }
    if (std::isnan(p.iv)) {
      p.iv_error = errors.empty() ? "no two-sided quote" : errors;
    } else {
      if (call_greeks) {
        p.call = Black76Greeks(OptionKind::kCall, out.forward, p.strike, t_years, p.iv, rate);
      }
      if (put_greeks) {
        p.put = Black76Greeks(OptionKind::kPut, out.forward, p.strike, t_years, p.iv, rate);
      }
    }
    if (atm) out.atm_iv = p.iv;
  }
  return out;
}

}  // namespace nacre::pricing
