// The catalog's layout: directory and file names, globs, and listing a type's files.
#include "persistence/catalog_layout.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <iterator>
#include <string_view>
#include <system_error>
#include <unordered_map>

namespace nacre {

namespace fs = std::filesystem;

std::string CatalogDataDir(const std::string& root, CatalogDataType t) {
  return root + "/data/" + std::string(CatalogDirName(t));
}

std::string CatalogChainDir(const std::string& root, CatalogDataType t) {
  return root + "/data/chain/" + std::string(CatalogDirName(t));
}

Status ListSeriesFiles(CatalogDataType type, const std::string& dir, const std::string& identifier,
                       std::vector<CatalogFile>& out) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() != ".parquet") continue;
    auto range = ParseCatalogFileName(e.path().filename().string());
    if (!range) return MakeError(fmt::format("{}: {}", dir, range.error()));
    std::error_code size_ec;
    const auto bytes = e.file_size(size_ec);
    CatalogFile f;
    f.type = type;
    f.identifier = identifier;
    f.path = e.path().string();
    f.start = range->first;
    f.end = range->second;
    f.bytes = size_ec ? 0 : static_cast<std::uint64_t>(bytes);
    out.push_back(std::move(f));
  }
  if (ec) return MakeError(fmt::format("{}: {}", dir, ec.message()));
  return Status::Ok();
}

Result<std::vector<std::string>> ListCatalogDirs(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory()) out.push_back(e.path().filename().string());
  }
  if (ec) return MakeError(fmt::format("{}: {}", dir, ec.message()));
  std::sort(out.begin(), out.end());
  return out;
}

std::string_view CatalogDirName(CatalogDataType t) {
  switch (t) {
    case CatalogDataType::kQuote:
      return "quote_tick";
    case CatalogDataType::kTrade:
      return "trade_tick";
    case CatalogDataType::kBar:
      return "bar";
  }
  return "?";
}

Result<CatalogDataType> ParseCatalogDataType(std::string_view s) {
  if (s == "quote" || s == "quotes" || s == "quote_tick") return CatalogDataType::kQuote;
  if (s == "trade" || s == "trades" || s == "trade_tick") return CatalogDataType::kTrade;
  if (s == "bar" || s == "bars") return CatalogDataType::kBar;
  return MakeError(fmt::format("unknown data type '{}' (expected quote, trade or bar)", s));
}

std::string CatalogIdentifier(std::string_view id) {
  std::string out;
  out.reserve(id.size());
  for (char c : id) {
    if (c != '/') out.push_back(c);
  }
  return out;
}

std::string CatalogFileName(UnixNanos start, UnixNanos end) {
  auto one = [](UnixNanos t) {
    const CivilDateTime c = ToUtc(t);
    return fmt::format("{:04}-{:02}-{:02}T{:02}-{:02}-{:02}-{:09}Z", c.date.year, c.date.month,
                       c.date.day, c.hour, c.minute, c.second, c.nanos);
  };
  return one(start) + "_" + one(end) + ".parquet";
}

Result<std::pair<UnixNanos, UnixNanos>> ParseCatalogFileName(std::string_view name) {
  auto bad = [&] {
    return MakeError(
        fmt::format("catalog file name '{}' is not '{{start}}_{{end}}.parquet' with "
                    "YYYY-MM-DDTHH-MM-SS-NNNNNNNNNZ times",
                    name));
  };
  constexpr std::size_t kLen = 30;  // 2024-01-01T03-45-00-000000000Z
  if (name.size() != 2 * kLen + 1 + 8 || name.substr(2 * kLen + 1) != ".parquet" ||
      name[kLen] != '_') {
    return bad();
  }
  auto one = [&](std::string_view s, UnixNanos& out) {
    auto num = [&](std::size_t pos, std::size_t n, std::int64_t& v) {
      v = 0;
      for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
      }
      return true;
    };
    std::int64_t y, mo, d, h, mi, se, ns;
    if (!num(0, 4, y) || s[4] != '-' || !num(5, 2, mo) || s[7] != '-' || !num(8, 2, d) ||
        s[10] != 'T' || !num(11, 2, h) || s[13] != '-' || !num(14, 2, mi) || s[16] != '-' ||
        !num(17, 2, se) || s[19] != '-' || !num(20, 9, ns) || s[29] != 'Z') {
      return false;
    }
    CivilDateTime c;
    c.date = CivilDate{static_cast<int>(y), static_cast<int>(mo), static_cast<int>(d)};
    if (!IsValidDate(c.date) || h > 23 || mi > 59 || se > 59) return false;
    c.hour = static_cast<int>(h);
    c.minute = static_cast<int>(mi);
    c.second = static_cast<int>(se);
    c.nanos = ns;
    out = FromUtc(c);
    return true;
  };
  UnixNanos a, b;
  if (!one(name.substr(0, kLen), a) || !one(name.substr(kLen + 1, kLen), b) || b < a) {
    return bad();
  }
  return std::make_pair(a, b);
}

bool GlobMatch(std::string_view pattern, std::string_view text) {
  return fnmatch(std::string(pattern).c_str(), std::string(text).c_str(), 0) == 0;
}

Result<std::vector<CatalogFile>> Catalog::Files(CatalogDataType type,
                                                const std::vector<std::string>& globs,
                                                bool footer_cache) const {
  const std::string base = CatalogDataDir(root_, type);
  auto dirs = ListCatalogDirs(base);
  if (!dirs) return MakeError(dirs.error());
  std::vector<CatalogFile> out;
  for (const std::string& ident : *dirs) {
    bool match = globs.empty();
    for (const auto& g : globs) {
      if (match) break;
      const std::string g2 = CatalogIdentifier(g);
      match = GlobMatch(g2, ident);
      if (!match && type == CatalogDataType::kBar) {
        // A bar type "{instrument_id}-{step}-{agg}-{price}-{source}": match its instrument.
        std::string_view inst = ident;
        for (int k = 0; k < 4 && !inst.empty(); ++k) {
          const auto dash = inst.rfind('-');
          inst = dash == std::string_view::npos ? std::string_view() : inst.substr(0, dash);
        }
        match = !inst.empty() && GlobMatch(g2, inst);
      }
    }
    if (!match) continue;
    std::vector<CatalogFile> files;
    if (Status st = ListSeriesFiles(type, base + "/" + ident, ident, files); !st) {
      return MakeError(st.error());
    }
    std::sort(files.begin(), files.end(),
              [](const CatalogFile& a, const CatalogFile& b) { return a.start < b.start; });
    out.insert(out.end(), files.begin(), files.end());
  }
  std::vector<CatalogFile> chain;
  if (Status s = ChainFiles(type, globs, chain, std::nullopt, footer_cache); !s) {
    return MakeError(s.error());
  }
  if (!chain.empty()) {
    if (out.empty()) {
      out = std::move(chain);
    } else {
      out.insert(out.end(), std::make_move_iterator(chain.begin()),
                 std::make_move_iterator(chain.end()));
    }
    // Sorted through an index (a chain catalog lists hundreds of thousands of entries: each
    // entry then moves once, not at every step of the sort).
    // Identifiers are ranked once (a few thousand distinct names), then entries sorted by
    // (rank, start) with no string compares.
    std::unordered_map<std::string_view, std::uint32_t> rank_of;
    for (const CatalogFile& f : out) rank_of.try_emplace(f.identifier, 0);
    std::vector<std::string_view> names;
    names.reserve(rank_of.size());
    for (const auto& [name, rank] : rank_of) names.push_back(name);
    std::sort(names.begin(), names.end());
    for (std::size_t i = 0; i < names.size(); ++i) {
      rank_of[names[i]] = static_cast<std::uint32_t>(i);
    }
    std::vector<std::uint32_t> rank(out.size());
    for (std::size_t i = 0; i < out.size(); ++i) rank[i] = rank_of[out[i].identifier];
    std::vector<std::uint32_t> order(out.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::uint32_t>(i);
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t x, std::uint32_t y) {
      return rank[x] < rank[y] || (rank[x] == rank[y] && out[x].start < out[y].start);
    });
    // Applied in place, cycle by cycle: position k takes the entry at order[k].
    for (std::size_t k = 0; k < order.size(); ++k) {
      if (order[k] == k) continue;
      CatalogFile held = std::move(out[k]);
      std::size_t at = k;
      while (order[at] != k) {
        const std::size_t from = order[at];
        out[at] = std::move(out[from]);
        order[at] = static_cast<std::uint32_t>(at);
        at = from;
      }
      out[at] = std::move(held);
      order[at] = static_cast<std::uint32_t>(at);
    }
  }
  return out;
}

}  // namespace nacre
