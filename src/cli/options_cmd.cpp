// `nacre options price | iv | chain`: quick option calculations from the command line.
// Vols and rates are given in percent (14 = 14%); time either as calendar days or as an
// expiry date (settles 15:30 IST) seen from a valuation time in IST.
#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "cli/commands.h"
#include "core/time.h"
#include "persistence/nse_option_chain_csv.h"
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
  // CLI11 reads "nan" and "inf" as numbers: no option means them.
  const std::pair<const char*, double> numbers[] = {
      {"--strike", in.strike}, {"--forward", in.forward}, {"--spot", in.spot},
      {"--div", in.div_pct},   {"--days", in.days},       {"--rate", in.rate_pct},
      {"--vol", in.vol_pct},   {"--price", in.price}};
  for (const auto& [name, v] : numbers) {
    if (!std::isfinite(v))
      return MakeError(fmt::format("{} must be a finite number, got {}", name, v));
  }
  if (in.strike < 0) return MakeError(fmt::format("--strike must be positive, got {}", in.strike));
  if (in.rate_pct < -100 || in.rate_pct > 100) {
    return MakeError(
        fmt::format("--rate is a percentage between -100 and 100, got {}", in.rate_pct));
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

// Strikes each side of ATM a chain table may show: NSE lists about 100 NIFTY strikes a side.
constexpr int kMaxChainCount = 500;

int Fail(const std::string& msg) {
  fmt::print(stderr, "error: {}\n", msg);
  return 2;
}

// A quotes file for `options chain --quotes`, in one of two layouts told apart by the header:
// Nacre's own "strike,call_bid,call_ask,put_bid,put_ask" (empty or '-' for a missing side) or
// NSE's option-chain export (persistence/nse_option_chain_csv.h, the catalog importer's
// parser). Every row keeps its line and every field its column, so a bad quote found later
// (pricing::CheckChainQuotes) is named file:line and column.
struct QuotesFile {
  std::vector<pricing::ChainQuote> quotes;
  std::vector<std::size_t> lines;           // per quote
  std::array<std::string, 5> where_column;  // per ChainField: "column 3 (call_ask)"
  std::vector<std::string> warnings;
};

constexpr std::array<const char*, 5> kSimpleColumns = {"strike", "call_bid", "call_ask", "put_bid",
                                                       "put_ask"};

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

Result<QuotesFile> ReadNseExport(const std::string& path, const std::string& text) {
  auto chain = ParseNseOptionChainCsv(text, path);
  if (!chain) return MakeError(chain.error());
  QuotesFile out;
  const std::array<std::size_t, 5> cols = {chain->strike_col, chain->cols[0][1], chain->cols[0][2],
                                           chain->cols[1][1], chain->cols[1][2]};
  for (std::size_t i = 0; i < 5; ++i) out.where_column[i] = chain->Column(cols[i]);
  for (const NseChainRow& row : chain->rows) {
    pricing::ChainQuote q;
    q.strike = row.strike.AsDouble();
    // Only two-sided books: a one-sided side is skipped (counted and named below), never
    // completed with an invented price.
    if (row.side[0].two_sided()) {
      q.call_bid = row.side[0].bid.AsDouble();
      q.call_ask = row.side[0].ask.AsDouble();
    }
    if (row.side[1].two_sided()) {
      q.put_bid = row.side[1].bid.AsDouble();
      q.put_ask = row.side[1].ask.AsDouble();
    }
    out.quotes.push_back(q);
    out.lines.push_back(row.line);
  }
  if (const std::string w = chain->OneSidedWarning(); !w.empty()) {
    out.warnings.push_back(fmt::format("{}: {}", path, w));
  }
  return out;
}

Result<QuotesFile> ReadSimpleCsv(const std::string& path, const std::string& text) {
  QuotesFile out;
  for (std::size_t i = 0; i < 5; ++i) {
    out.where_column[i] = fmt::format("column {} ({})", i + 1, kSimpleColumns[i]);
  }
  std::stringstream in(text);
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line_no == 1) continue;  // the header, checked by the caller
    if (Trim(line).empty()) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(Trim(cell));
    if (line.back() == ',') cells.emplace_back();
    if (cells.size() != 5) {
      return MakeError(
          fmt::format("{}:{}: expected 5 columns (strike,call_bid,call_ask,put_bid,"
                      "put_ask), got {}",
                      path, line_no, cells.size()));
    }
    double v[5];
    for (std::size_t i = 0; i < 5; ++i) {
      const std::string& c = cells[i];
      if (i > 0 && (c.empty() || c == "-")) {
        v[i] = pricing::kNoQuote;
        continue;
      }
      const char* end = c.data() + c.size();
      auto [ptr, ec] = std::from_chars(c.data(), end, v[i]);
      if (c.empty() || ec == std::errc::result_out_of_range) {
        return MakeError(fmt::format("{}:{}: {}: {}", path, line_no, out.where_column[i],
                                     c.empty() ? "empty" : "'" + c + "' is out of range"));
      }
      if (ec != std::errc() || ptr != end) {
        return MakeError(
            fmt::format("{}:{}: {}: '{}' is not a number", path, line_no, out.where_column[i], c));
      }
      if (!std::isfinite(v[i])) {
        return MakeError(fmt::format("{}:{}: {}: '{}' is not a finite number", path, line_no,
                                     out.where_column[i], c));
      }
    }
    out.quotes.push_back({v[0], v[1], v[2], v[3], v[4]});
    out.lines.push_back(line_no);
  }
  return out;
}

// Reads and checks a quotes file; the layout comes from its first line.
Result<QuotesFile> ReadChainQuotes(const std::string& path, std::optional<double> forward) {
  if (std::filesystem::is_directory(path)) {
    return MakeError(fmt::format("{}: is a directory, not a quotes file", path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(fmt::format("{}: cannot open", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  std::string first = text.substr(0, text.find('\n'));
  if (!first.empty() && first.back() == '\r') first.pop_back();
  Result<QuotesFile> file = MakeError("");
  if (IsNseOptionChainHeader(first)) {
    file = ReadNseExport(path, text);
  } else {
    std::string header;
    for (char c : first) {
      if (c != ' ' && c != '\t') header.push_back(static_cast<char>(std::tolower(c)));
    }
    if (header != "strike,call_bid,call_ask,put_bid,put_ask") {
      return MakeError(fmt::format(
          "{}:1: unknown header '{}': expected strike,call_bid,call_ask,put_bid,put_ask or "
          "NSE's option-chain export (first row 'CALLS,,PUTS')",
          path, first));
    }
    file = ReadSimpleCsv(path, text);
  }
  if (!file) return file;
  if (file->quotes.empty()) return MakeError(fmt::format("{}: no quote rows", path));
  if (auto p = pricing::CheckChainQuotes(file->quotes, forward)) {
    return MakeError(fmt::format(
        "{}:{}: {}: {}{}", path, file->lines[p->index],
        file->where_column[static_cast<std::size_t>(p->field)], p->why,
        p->earlier ? fmt::format(" (first on line {})", file->lines[*p->earlier]) : ""));
  }
  return file;
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
    if (!(price_in->strike > 0)) return Fail("--strike must be positive");
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
    if (!(iv_in->strike > 0)) return Fail("--strike must be positive");
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
                    "Quotes CSV: strike,call_bid,call_ask,put_bid,put_ask, or NSE's option-chain "
                    "export (told apart by the header; forward implied by parity unless "
                    "--forward is given)");
  chain->add_option("--step", *chain_step, "Strike step (theoretical chain, default 50)");
  CLI::Option* count_opt = chain->add_option(
      "--count", *chain_count,
      fmt::format("Strikes each side of ATM, 1 to {} (default 10; with --quotes: all rows "
                  "unless given)",
                  kMaxChainCount));
  out.emplace_back(chain, [chain_in, chain_file, chain_step, chain_count, count_opt] {
    Inputs in = *chain_in;
    const bool from_quotes = !chain_file->empty();
    if (from_quotes && in.forward == 0 && in.spot == 0) in.forward = 1;  // replaced by parity
    auto r = Resolve(in);
    if (!r.ok()) return Fail(r.error());
    if (!r->black76) return Fail("chain works on a forward (Black-76): use --forward");
    if (*chain_count < 1 || *chain_count > kMaxChainCount) {
      return Fail(fmt::format("--count must be 1 to {} strikes each side of ATM, got {}",
                              kMaxChainCount, *chain_count));
    }
    const bool limit_rows = !from_quotes || count_opt->count() > 0;
    const double rate = in.rate_pct / 100;
    std::vector<pricing::ChainQuote> quotes;
    if (from_quotes) {
      auto q = ReadChainQuotes(
          *chain_file, chain_in->forward > 0 ? std::optional(chain_in->forward) : std::nullopt);
      if (!q.ok()) return Fail(q.error());
      for (const std::string& w : q->warnings) fmt::print(stderr, "warning: {}\n", w);
      quotes = std::move(q->quotes);
    } else {
      if (!(in.vol_pct > 0)) return Fail("a theoretical chain needs --vol (percent)");
      if (!std::isfinite(*chain_step) || !(*chain_step > 0) || *chain_step >= in.forward) {
        return Fail(fmt::format("--step must be a positive number below the forward ({}), got {}",
                                in.forward, *chain_step));
      }
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
    // --count strikes each side of the ATM strike (points are sorted by strike).
    std::size_t lo = 0, hi = analysis->points.size();
    if (limit_rows) {
      std::size_t atm = 0;
      while (atm < hi && analysis->points[atm].strike != analysis->atm_strike) ++atm;
      const auto n = static_cast<std::size_t>(*chain_count);
      lo = atm > n ? atm - n : 0;
      hi = std::min(hi, atm + n + 1);
    }
    for (std::size_t i = lo; i < hi; ++i) {
      const pricing::ChainPoint& p = analysis->points[i];
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
