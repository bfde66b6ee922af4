// `nacre options price | iv | chain`: quick option calculations from the command line.
// Vols and rates are given in percent (14 = 14%); time either as calendar days or as an
// expiry date (settles 15:30 IST) seen from a valuation time in IST.
#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "core/time.h"
#include "pricing/black.h"
#include "pricing/chain.h"

namespace nacre::cli {
namespace {

struct Inputs {
  std::string type = "call";
  double strike = 0;
  double forward = 0;
  double spot = 0;
  double div_pct = 0;
  double days = 0;
  std::string expiry;
  std::string at;
  double vol_pct = 0;
  double rate_pct = 6.5;
  double price = 0;
};

void AddCommon(CLI::App* c, Inputs& in, bool need_strike) {
  auto* strike = c->add_option("--strike,-k", in.strike, "Strike");
  if (need_strike) strike->required();
  c->add_option("--forward,-f", in.forward, "Forward or futures price (Black-76)");
  c->add_option("--spot,-s", in.spot, "Spot price (Black-Scholes)");
  c->add_option("--div", in.div_pct, "Dividend yield, percent (Black-Scholes)");
  c->add_option("--days,-d", in.days, "Calendar days to expiry (fractions allowed)");
  c->add_option("--expiry", in.expiry, "Expiry date YYYY-MM-DD (settles 15:30 IST)");
  c->add_option("--at", in.at, "Valuation time 'YYYY-MM-DD HH:MM' IST (with --expiry)");
  c->add_option("--rate,-r", in.rate_pct, "Risk-free rate, percent (default 6.5)");
}

struct Resolved {
  OptionKind kind = OptionKind::kCall;
  double t = 0;
  bool black76 = true;
  double underlying = 0;
};

Result<Resolved> Resolve(const Inputs& in) {
  Resolved r;
  if (in.type == "call" || in.type == "CE" || in.type == "ce") {
    r.kind = OptionKind::kCall;
  } else if (in.type == "put" || in.type == "PE" || in.type == "pe") {
    r.kind = OptionKind::kPut;
  } else {
    return MakeError(fmt::format("--type must be call or put (or CE/PE), got '{}'", in.type));
  }
  if ((in.forward > 0) == (in.spot > 0)) {
    return MakeError("give exactly one of --forward (Black-76) or --spot (Black-Scholes), > 0");
  }
  r.black76 = in.forward > 0;
  r.underlying = r.black76 ? in.forward : in.spot;
  if (!in.expiry.empty()) {
    if (in.days != 0) return MakeError("give either --days or --expiry, not both");
    auto date = ParseDate(in.expiry);
    if (!date.ok()) return MakeError("--expiry: " + date.error());
    if (in.at.empty()) return MakeError("--expiry needs --at 'YYYY-MM-DD HH:MM' (IST)");
    auto at = ParseDateTime(in.at, kIstOffset);
    if (!at.ok()) return MakeError("--at: " + at.error());
    const UnixNanos settle = FromIst({*date, 15, 30, 0, 0});
    r.t = static_cast<double>(settle - *at) / static_cast<double>(365 * kNanosPerDay);
  } else {
    r.t = in.days / 365.0;
  }
  if (!(r.t > 0)) return MakeError("time to expiry must be positive (--days or --expiry/--at)");
  return r;
}

void PrintGreeks(const pricing::Greeks& g) {
  fmt::print(
      "price   {:>14.4f}\ndelta   {:>14.6f}\ngamma   {:>14.8f}\nvega    {:>14.4f}  per vol "
      "point\ntheta   {:>14.4f}  per day\nrho     {:>14.4f}  per rate point\n",
      g.price, g.delta, g.gamma, g.vega, g.theta, g.rho);
}

int Fail(const std::string& msg) {
  fmt::print(stderr, "error: {}\n", msg);
  return 2;
}

// CSV with header strike,call_bid,call_ask,put_bid,put_ask; empty or '-' for a missing side.
Result<std::vector<pricing::ChainQuote>> ReadChainCsv(const std::string& path) {
  std::ifstream in(path);
  if (!in) return MakeError(fmt::format("{}: cannot open", path));
  std::string line;
  std::vector<pricing::ChainQuote> out;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line_no == 1 || line.empty()) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    if (line.back() == ',') cells.emplace_back();
    if (cells.size() != 5) {
      return MakeError(
          fmt::format("{}:{}: expected 5 columns (strike,call_bid,call_ask,put_bid,"
                      "put_ask), got {}",
                      path, line_no, cells.size()));
    }
    double v[5];
    static constexpr const char* kNames[] = {"strike", "call_bid", "call_ask", "put_bid",
                                             "put_ask"};
    for (int i = 0; i < 5; ++i) {
      if (cells[i].empty() || cells[i] == "-") {
        v[i] = pricing::kNoQuote;
        continue;
      }
      std::size_t used = 0;
      try {
        v[i] = std::stod(cells[i], &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != cells[i].size()) {
        return MakeError(fmt::format("{}:{}: column {} is not a number: '{}'", path, line_no,
                                     kNames[i], cells[i]));
      }
    }
    out.push_back({v[0], v[1], v[2], v[3], v[4]});
  }
  return out;
}

}  // namespace

void AddOptionsCommands(CLI::App& app, Commands& out) {
  CLI::App* options = app.add_subcommand("options", "Option prices, greeks and implied vols");
  options->require_subcommand(1);

  auto price_in = std::make_shared<Inputs>();
  CLI::App* price = options->add_subcommand("price", "Price and greeks of one option");
  price->add_option("--type,-t", price_in->type, "call or put")->required();
  AddCommon(price, *price_in, true);
  price->add_option("--vol,-v", price_in->vol_pct, "Volatility, percent")->required();
  out.emplace_back(price, [price_in] {
    auto r = Resolve(*price_in);
    if (!r.ok()) return Fail(r.error());
    if (!(price_in->vol_pct > 0)) return Fail("--vol must be positive (percent)");
    const double vol = price_in->vol_pct / 100, rate = price_in->rate_pct / 100;
    const pricing::Greeks g =
        r->black76
            ? pricing::Black76Greeks(r->kind, r->underlying, price_in->strike, r->t, vol, rate)
            : pricing::BlackScholesGreeks(r->kind, r->underlying, price_in->strike, r->t, vol, rate,
                                          price_in->div_pct / 100);
    fmt::print("{} {} {} strike {} T {:.6f} years\n", r->black76 ? "Black-76" : "Black-Scholes",
               r->kind == OptionKind::kCall ? "call" : "put",
               r->black76 ? "forward " + fmt::format("{}", r->underlying)
                          : "spot " + fmt::format("{}", r->underlying),
               price_in->strike, r->t);
    PrintGreeks(g);
    return 0;
  });

  auto iv_in = std::make_shared<Inputs>();
  CLI::App* iv = options->add_subcommand("iv", "Implied volatility of an option price");
  iv->add_option("--type,-t", iv_in->type, "call or put")->required();
  AddCommon(iv, *iv_in, true);
  iv->add_option("--price,-p", iv_in->price, "Option price")->required();
  out.emplace_back(iv, [iv_in] {
    auto r = Resolve(*iv_in);
    if (!r.ok()) return Fail(r.error());
    const double rate = iv_in->rate_pct / 100;
    auto vol = r->black76 ? pricing::ImpliedVolBlack76(r->kind, iv_in->price, r->underlying,
                                                       iv_in->strike, r->t, rate)
                          : pricing::ImpliedVolBlackScholes(r->kind, iv_in->price, r->underlying,
                                                            iv_in->strike, r->t, rate,
                                                            iv_in->div_pct / 100);
    if (!vol.ok()) return Fail(vol.error());
    fmt::print("implied vol {:.6f}%\n", *vol * 100);
    const pricing::Greeks g =
        r->black76 ? pricing::Black76Greeks(r->kind, r->underlying, iv_in->strike, r->t, *vol, rate)
                   : pricing::BlackScholesGreeks(r->kind, r->underlying, iv_in->strike, r->t, *vol,
                                                 rate, iv_in->div_pct / 100);
    PrintGreeks(g);
    return 0;
  });

  auto chain_in = std::make_shared<Inputs>();
  auto chain_file = std::make_shared<std::string>();
  auto chain_step = std::make_shared<double>(50);
  auto chain_count = std::make_shared<int>(10);
  CLI::App* chain = options->add_subcommand(
      "chain", "A chain table: theoretical at one vol, or IVs and greeks from a quotes CSV");
  AddCommon(chain, *chain_in, false);
  chain->add_option("--vol,-v", chain_in->vol_pct, "Volatility, percent (theoretical chain)");
  chain->add_option("--quotes", *chain_file,
                    "CSV strike,call_bid,call_ask,put_bid,put_ask (forward implied by parity "
                    "unless --forward is given)");
  chain->add_option("--step", *chain_step, "Strike step (theoretical chain, default 50)");
  chain->add_option("--count", *chain_count, "Strikes each side of ATM (default 10)");
  out.emplace_back(chain, [chain_in, chain_file, chain_step, chain_count] {
    Inputs in = *chain_in;
    const bool from_quotes = !chain_file->empty();
    if (from_quotes && in.forward == 0 && in.spot == 0) in.forward = 1;  // replaced by parity
    auto r = Resolve(in);
    if (!r.ok()) return Fail(r.error());
    if (!r->black76) return Fail("chain works on a forward (Black-76): use --forward");
    const double rate = in.rate_pct / 100;
    std::vector<pricing::ChainQuote> quotes;
    if (from_quotes) {
      auto q = ReadChainCsv(*chain_file);
      if (!q.ok()) return Fail(q.error());
      quotes = std::move(*q);
    } else {
      if (!(in.vol_pct > 0)) return Fail("a theoretical chain needs --vol (percent)");
      if (!(*chain_step > 0) || *chain_count < 1) return Fail("--step and --count must be > 0");
      const double atm = std::round(in.forward / *chain_step) * *chain_step;
      for (int i = -*chain_count; i <= *chain_count; ++i) {
        const double k = atm + *chain_step * i;
        if (k <= 0) continue;
        const double c =
            pricing::Black76Price(OptionKind::kCall, in.forward, k, r->t, in.vol_pct / 100, rate);
        const double p =
            pricing::Black76Price(OptionKind::kPut, in.forward, k, r->t, in.vol_pct / 100, rate);
        quotes.push_back({k, c, c, p, p});
      }
    }
    auto analysis = pricing::AnalyzeChain(
        quotes, r->t, rate,
        from_quotes && chain_in->forward == 0 ? std::nullopt : std::optional(in.forward));
    if (!analysis.ok()) return Fail(analysis.error());
    fmt::print("forward {:.2f}  ATM {:.2f}  ATM IV {:.2f}%  T {:.6f} years\n", analysis->forward,
               analysis->atm_strike, analysis->atm_iv * 100, analysis->t_years);
    fmt::print("{:>10} {:>10} {:>8} {:>10} {:>8} {:>8} {:>9} {:>9}\n", "strike", "call", "delta",
               "put", "delta", "iv %", "gamma", "vega");
    for (const pricing::ChainPoint& p : analysis->points) {
      if (std::isnan(p.iv)) {
        fmt::print("{:>10.2f}  {}\n", p.strike, p.iv_error);
        continue;
      }
      fmt::print("{:>10.2f} {:>10.2f} {:>8.4f} {:>10.2f} {:>8.4f} {:>8.2f} {:>9.6f} {:>9.4f}\n",
                 p.strike, p.call.price, p.call.delta, p.put.price, p.put.delta, p.iv * 100,
                 p.call.gamma, p.call.vega);
    }
    return 0;
  });
}

}  // namespace nacre::cli
