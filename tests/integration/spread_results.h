// The same-code proof's reading of spread_results.csv (tests/integration/same_code_test.cpp,
// tests/live/same_code_live_test.cpp): each spread's decisions (kind, legs without their
// prices, lots, final state, the rule that closed it) and its times and P&L, and the
// comparison of two runs' spreads by those rules.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tmp_files.h"

namespace nacre::testing {

// One CSV line, with RFC 4180 quoting.
inline std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

struct SpreadRow {
  std::string state, kind, legs, lots, exit_reason;
  std::int64_t opened = 0, closed = 0;
  double pnl = 0;
};

inline std::vector<SpreadRow> ReadSpreads(const std::filesystem::path& csv) {
  std::istringstream in(Slurp(csv));
  std::string line;
  std::getline(in, line);
  const auto header = SplitCsv(line);
  auto col = [&header](const std::string& name) {
    const auto it = std::find(header.begin(), header.end(), name);
    EXPECT_NE(it, header.end()) << name;
    return static_cast<std::size_t>(it - header.begin());
  };
  const std::size_t state = col("state"), legs = col("legs"), lots = col("lots"),
                    kind = col("tags"), exit = col("exit_reason"), opened = col("ts_opened_ns"),
                    closed = col("ts_closed_ns"), pnl = col("realized_pnl");
  std::vector<SpreadRow> out;
  const std::regex leg_re(R"((BUY|SELL) (\d+)x (\S+))");
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto f = SplitCsv(line);
    SpreadRow r;
    r.state = f[state];
    r.kind = f[kind];
    // The legs without their prices: side, ratio and contract.
    for (std::sregex_iterator it(f[legs].begin(), f[legs].end(), leg_re), end; it != end; ++it) {
      r.legs += (*it)[0].str() + "; ";
    }
    r.lots = f[lots];
    // The rule that closed it (its figures may differ with the fill prices).
    r.exit_reason = f[exit].substr(0, f[exit].find(':'));
    r.opened = f[opened].empty() ? 0 : std::stoll(f[opened]);
    r.closed = f[closed].empty() ? 0 : std::stoll(f[closed]);
    r.pnl = std::stod(f[pnl]);
    out.push_back(std::move(r));
  }
  return out;
}

// One quote interval of the demo data: how far apart two runs' entries and exits may be.
inline constexpr std::int64_t kOneDataInterval = 300'000'000'000;

struct SpreadComparison {
  double pnl_a = 0, pnl_b = 0;
  std::int64_t worst = 0;  // the largest gap between matching entries or exits, ns
};

// Expects the same spreads in the same order (kind, legs, lots, final state, exit rule) with
// entries and exits within `bound` of each other; returns the P&Ls and the largest gap.
inline SpreadComparison CompareSpreads(const std::vector<SpreadRow>& a,
                                       const std::vector<SpreadRow>& b, std::int64_t bound) {
  SpreadComparison out;
  EXPECT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    SCOPED_TRACE(fmt::format("spread {}", i + 1));
    EXPECT_EQ(a[i].kind, b[i].kind);
    EXPECT_EQ(a[i].legs, b[i].legs);
    EXPECT_EQ(a[i].lots, b[i].lots);
    EXPECT_EQ(a[i].state, b[i].state);
    EXPECT_EQ(a[i].exit_reason, b[i].exit_reason);
    for (auto [x, y] : {std::pair{a[i].opened, b[i].opened}, std::pair{a[i].closed, b[i].closed}}) {
      EXPECT_EQ(x == 0, y == 0);
      if (x != 0 && y != 0) {
        const auto gap = static_cast<std::int64_t>(std::llabs(x - y));
        EXPECT_LE(gap, bound) << x << " vs " << y;
        out.worst = std::max(out.worst, gap);
      }
    }
    out.pnl_a += a[i].pnl;
    out.pnl_b += b[i].pnl;
  }
  return out;
}

// The spreads of a run, one line each, for the report.
inline std::string Describe(const std::vector<SpreadRow>& rows) {
  std::string out;
  for (const SpreadRow& r : rows) {
    out += fmt::format("    {} {} x{} {}opened {} closed {} {} P&L {:.2f}\n", r.kind, r.state, r.lots,
                       r.legs, r.opened, r.closed, r.exit_reason.empty() ? "-" : r.exit_reason,
                       r.pnl);
  }
  return out;
}

}  // namespace nacre::testing
