#include "persistence/nse_option_chain_csv.h"

#include <fmt/format.h>

#include "persistence/csv_text.h"

namespace nacre {

namespace {
constexpr std::size_t kNamedOneSided = 20;
constexpr std::size_t kNone = static_cast<std::size_t>(-1);
}  // namespace

std::string NseChainCsv::Where(std::size_t line, std::size_t col) const {
  return fmt::format("{}:{}: {}", path, line, Column(col));
}

std::string NseChainCsv::Column(std::size_t col) const {
  // BID, ASK, ... appear once per side: name the side too.
  const char* side = col < strike_col ? ", calls" : col > strike_col ? ", puts" : "";
  return fmt::format("column {} ({}{})", col + 1, col < header.size() ? header[col] : "?", side);
}

std::string NseChainCsv::OneSidedWarning() const {
  if (one_sided == 0) return {};
  return fmt::format("{} one-sided quote{} skipped (bid or ask missing; a quote needs both): {}{}",
                     one_sided, one_sided == 1 ? "" : "s", fmt::join(one_sided_names, ", "),
                     one_sided > one_sided_names.size()
                         ? fmt::format(" and {} more", one_sided - one_sided_names.size())
                         : "");
}

bool IsNseOptionChainHeader(std::string_view first_line) {
  return first_line.rfind("CALLS", 0) == 0;
}

Result<NseChainCsv> ParseNseOptionChainCsv(std::string_view text, const std::string& path) {
  using csv_text::ParseInt;
  using csv_text::SplitQuoted;
  using csv_text::Ungroup;
  NseChainCsv out;
  out.path = path;
  const auto lines = csv_text::Lines(text);
  if (lines.size() < 2 || !IsNseOptionChainHeader(lines[0])) {
    return MakeError(fmt::format("{}:1: expected the NSE two-row header starting 'CALLS'", path));
  }
  out.header = SplitQuoted(lines[1]);
  auto find = [&](const std::string& n, int nth) -> std::size_t {
    int seen = 0;
    for (std::size_t i = 0; i < out.header.size(); ++i) {
      if (out.header[i] == n && seen++ == nth) return i;
    }
    return kNone;
  };
  out.strike_col = find("STRIKE", 0);
  if (out.strike_col == kNone) return MakeError(fmt::format("{}:2: no STRIKE column", path));
  for (int s = 0; s < 2; ++s) {
    out.cols[s] = {find("BID QTY", s), find("BID", s), find("ASK", s), find("ASK QTY", s)};
    for (std::size_t c : out.cols[s]) {
      if (c == kNone) {
        return MakeError(
            fmt::format("{}:2: expected BID QTY, BID, ASK, ASK QTY for calls and puts", path));
      }
    }
  }
  std::size_t last_col = out.strike_col;
  for (const auto& side : out.cols) {
    for (std::size_t c : side) last_col = std::max(last_col, c);
  }
  for (std::size_t ln = 2; ln < lines.size(); ++ln) {
    if (lines[ln].empty()) continue;
    const auto f = SplitQuoted(lines[ln]);
    auto bad = [&](std::size_t c, std::string_view why) {
      return MakeError(fmt::format("{}: {}", out.Where(ln + 1, c), why));
    };
    if (f.size() <= last_col) return bad(f.size(), "too few fields");
    NseChainRow row;
    row.line = ln + 1;
    auto strike = Price::Parse(Ungroup(f[out.strike_col]));
    if (!strike || !strike->is_positive()) {
      return bad(out.strike_col, strike ? "not positive" : strike.error());
    }
    row.strike = *strike;
    for (int s = 0; s < 2; ++s) {
      const auto& c = out.cols[static_cast<std::size_t>(s)];
      NseChainSide& side = row.side[static_cast<std::size_t>(s)];
      // Each of BID QTY, BID, ASK, ASK QTY is '-' (absent) or a non-negative number; a side
      // of the book is there when its price and quantity are both positive.
      std::int64_t qty[2] = {0, 0};
      Price px[2];
      for (int k = 0; k < 2; ++k) {  // 0 = bid, 1 = ask
        const std::size_t qc = k == 0 ? c[0] : c[3];
        const std::size_t pc = k == 0 ? c[1] : c[2];
        if (f[qc] != "-") {
          auto q = ParseInt(Ungroup(f[qc]));
          if (!q || *q < 0) return bad(qc, q ? "negative" : q.error());
          qty[k] = *q;
        }
        if (f[pc] != "-") {
          auto p = Price::Parse(Ungroup(f[pc]), 2);
          if (!p) return bad(pc, p.error());
          if (p->raw() < 0) return bad(pc, "negative");
          px[k] = *p;
        }
      }
      side.bid = px[0];
      side.ask = px[1];
      side.bid_qty = qty[0];
      side.ask_qty = qty[1];
      side.has_bid = px[0].is_positive() && qty[0] > 0;
      side.has_ask = px[1].is_positive() && qty[1] > 0;
      if (!side.has_bid && !side.has_ask) {
        ++out.empty_sides;
      } else if (!side.two_sided()) {
        ++out.one_sided;
        if (out.one_sided_names.size() < kNamedOneSided) {
          out.one_sided_names.push_back(fmt::format(
              "line {} strike {} {} ({}; {} {})", ln + 1, strike->ToString(), s == 0 ? "CE" : "PE",
              side.has_bid ? "no ask" : "no bid", side.has_bid ? "bid" : "ask",
              side.has_bid ? px[0].ToString() : px[1].ToString()));
        }
      } else if (px[1] < px[0]) {
        return bad(
            c[2], fmt::format("ask {} below bid {} (crossed)", px[1].ToString(), px[0].ToString()));
      }
    }
    out.rows.push_back(row);
  }
  return out;
}

}  // namespace nacre
