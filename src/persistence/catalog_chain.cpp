#include "persistence/catalog_chain.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <system_error>

#include "persistence/catalog_layout.h"
#include "persistence/catalog_swap.h"
#include "persistence/duckdb.h"
#include "persistence/footer_cache.h"

namespace nacre {

namespace fs = std::filesystem;

Result<CatalogLayout> ParseCatalogLayout(std::string_view s) {
  if (s == "chain") return CatalogLayout::kChain;
  if (s == "instrument" || s == "per-instrument") return CatalogLayout::kPerInstrument;
  return MakeError(fmt::format("unknown layout '{}' (expected chain or instrument)", s));
}

std::string ChainGroupOf(const Instrument* def, const InstrumentId& id) {
  if (def != nullptr && !def->underlying.empty()) return CatalogIdentifier(def->underlying.value());
  return CatalogIdentifier(id.value());
}

// ------------------------------------------------------------------------------------------
// Listing

Status Catalog::ChainFiles(CatalogDataType type, const std::vector<std::string>& globs,
                           std::vector<CatalogFile>& out,
                           std::optional<std::pair<UnixNanos, UnixNanos>> within,
                           bool footer_cache) const {
  if (type == CatalogDataType::kBar) return Status::Ok();
  const std::string base = CatalogChainDir(root_, type);
  auto groups = ListCatalogDirs(base);
  if (!groups) return MakeError(groups.error());
  std::vector<CatalogFile> files;
  for (const std::string& group : *groups) {
    if (Status st = ListSeriesFiles(type, base + "/" + group, group, files); !st) return st;
  }
  if (within) {
    std::erase_if(files, [&](const CatalogFile& f) {
      return f.end < within->first || f.start > within->second;
    });
  }
  if (files.empty()) return Status::Ok();
  std::sort(files.begin(), files.end(),
            [](const CatalogFile& a, const CatalogFile& b) { return a.path < b.path; });
  std::vector<std::string> patterns;  // the globs as identifiers, made once
  patterns.reserve(globs.size());
  for (const std::string& g : globs) patterns.push_back(CatalogIdentifier(g));
  // Footers from the footer cache where it is current; the rest through DuckDB (recorded).
  std::optional<catalog_detail::FooterCache> cache;
  std::vector<std::optional<catalog_detail::ChainCacheSource>> sources;  // none: no stat
  std::vector<std::size_t> need;                                         // indices into files
  if (footer_cache) {
    cache.emplace(root_);
    cache->Load();
    sources.resize(files.size());
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (cache) {
      auto st = catalog_detail::StatChainCacheSource(files[i].path);
      if (st.ok()) {
        sources[i] = *st;
        if (const catalog_detail::FooterPairs* pairs = cache->Find(files[i].path, *st)) {
          files[i].meta = catalog_detail::MetaFromFooterPairs(*pairs);
          continue;
        }
      }
    }
    need.push_back(i);
  }
  if (!need.empty()) {
    std::vector<CatalogFile> read;
    read.reserve(need.size());
    for (std::size_t i : need) read.push_back(files[i]);
    std::vector<catalog_detail::FooterPairs> pairs;
    if (Status s = catalog_detail::ReadFooterPairsBatch(*con_, read, pairs); !s) {
      // Find the file at fault: one footer at a time names it.
      for (const CatalogFile& f : read) {
        auto meta = ReadParquetDataMeta(*con_, f.path);
        if (!meta) return MakeError(fmt::format("{}: {}", f.path, meta.error()));
      }
      return s;
    }
    for (std::size_t k = 0; k < need.size(); ++k) {
      CatalogFile& f = files[need[k]];
      f.meta = catalog_detail::MetaFromFooterPairs(pairs[k]);
      // Recorded only when the file did not change while it was read (the same file, size
      // and times).
      if (cache && sources[need[k]]) {
        auto after = catalog_detail::StatChainCacheSource(f.path);
        if (after.ok() && *after == *sources[need[k]]) {
          cache->Put(f.path, *after, std::move(pairs[k]));
        }
      }
    }
    // Written beside the run (a read-only catalog lists all the same).
    if (cache) cache->SaveIfChangedInBackground();
  }
  if (!within) {  // a listing for a read (not a write's overlap check): most members match
    std::size_t entries = 0;
    for (const CatalogFile& f : files) entries += f.meta ? f.meta->members.size() : 0;
    out.reserve(out.size() + entries);
  }
  for (const CatalogFile& f : files) {
    const ParquetDataMeta& m = *f.meta;
    if (!m.chain || m.chain_members_bad || m.members.empty()) {
      return MakeError(
          fmt::format("{}: not a chain file: its metadata lacks layout = 'chain' or a valid "
                      "chain_instruments list",
                      f.path));
    }
    if (m.price_precision < 0 || m.price_precision > kMaxPrecision || m.size_precision < 0 ||
        m.size_precision > kMaxPrecision) {
      return MakeError(
          fmt::format("{}: no valid price_precision / size_precision in its metadata", f.path));
    }
    std::uint64_t file_rows = 0;
    UnixNanos file_first = m.members.front().first, file_last = m.members.front().last;
    for (const ChainMember& member : m.members) {
      file_rows += member.rows;
      file_first = std::min(file_first, member.first);
      file_last = std::max(file_last, member.last);
    }
    for (const ChainMember& member : m.members) {
      std::string ident = CatalogIdentifier(member.instrument_id);
      bool match = globs.empty();
      for (const std::string& g : patterns) match = match || GlobMatch(g, ident);
      if (!match) continue;
      CatalogFile e;
      e.type = type;
      e.identifier = std::move(ident);
      e.path = f.path;
      e.start = member.first;
      e.end = member.last;
      ParquetDataMeta em;
      em.instrument_id = member.instrument_id;
      em.price_precision = m.price_precision;
      em.size_precision = m.size_precision;
      em.chain = true;
      e.meta = std::move(em);
      e.bytes = f.bytes;
      e.chain = true;
      e.rows = member.rows;
      e.chain_members = m.members.size();
      e.chain_rows = file_rows;
      e.chain_first = file_first;
      e.chain_last = file_last;
      out.push_back(std::move(e));
    }
  }
  return Status::Ok();
}

// ------------------------------------------------------------------------------------------
// One layout per quote

namespace {

// fnmatch pattern matching `id` exactly.
std::string ExactGlob(std::string_view id) {
  std::string out;
  for (char c : id) {
    if (c == '*' || c == '?' || c == '[' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

Status Catalog::CheckChainOverlap(CatalogDataType type, const InstrumentId& id,
                                  const std::string& what, UnixNanos start, UnixNanos end) const {
  std::vector<CatalogFile> chain;
  if (Status s = ChainFiles(type, {ExactGlob(id.value())}, chain, std::pair{start, end}); !s) {
    return s;
  }
  for (const CatalogFile& f : chain) {
    if (f.meta->instrument_id != id.value() || end < f.start || start > f.end) continue;
    return CatalogOverlapError(what, start, end, f.start, f.end,
                               fmt::format("the chain file {}", f.path));
  }
  return Status::Ok();
}

Status CheckLayoutsDisjoint(const std::vector<CatalogFile>& files, const CatalogQuery& query) {
  // Per layout, the file of the current identifier reaching latest so far; files come sorted
  // by (identifier, start), so a file overlaps the other layout iff it starts by that end.
  const CatalogFile* reach[2] = {nullptr, nullptr};  // [per-instrument, chain]
  for (const CatalogFile& f : files) {
    for (const CatalogFile*& r : reach) {
      if (r != nullptr && r->identifier != f.identifier) r = nullptr;
    }
    const CatalogFile* other = reach[f.chain ? 0 : 1];
    if (other != nullptr && f.start <= other->end) {
      const UnixNanos from = f.start;
      const UnixNanos to = std::min(f.end, other->end);
      if (!(query.start && to < *query.start) && !(query.end && from > *query.end)) {
        const CatalogFile& flat = f.chain ? *other : f;
        const CatalogFile& chain = f.chain ? f : *other;
        return MakeError(fmt::format(
            "catalog read refused: {} {} [{}, {}] is held in both layouts, in {} and in the "
            "chain file {}; reading both would return it twice (remove one copy)",
            CatalogDirName(query.type), f.identifier, FormatIsoUtc(from), FormatIsoUtc(to),
            flat.path, chain.path));
      }
    }
    const CatalogFile*& mine = reach[f.chain ? 1 : 0];
    if (mine == nullptr || f.end > mine->end) mine = &f;
  }
  return Status::Ok();
}

// ------------------------------------------------------------------------------------------
// Writing

void ChainWriter::Define(const Instrument& def) {
  groups_[&def.id.value()] = ChainGroupOf(&def, def.id);
}

const std::string& ChainWriter::GroupOf(const InstrumentId& id) {
  auto [it, added] = groups_.try_emplace(&id.value());
  if (added) it->second = ChainGroupOf(nullptr, id);
  return it->second;
}

Status ChainWriter::Add(const QuoteTick& q) {
  if (q.ts_init < last_) {
    return MakeError(fmt::format("chain write: {} at {} comes after {}", q.instrument_id.value(),
                                 FormatIsoUtc(q.ts_init), FormatIsoUtc(last_)));
  }
  last_ = q.ts_init;
  const std::int64_t day = IstDayNumber(q.ts_init);
  if (day != day_number_) {
    if (Status s = FlushDay(); !s) return s;
    day_number_ = day;
  }
  day_[GroupOf(q.instrument_id)].push_back(q);
  return Status::Ok();
}

Status ChainWriter::FlushDay() {
  for (auto& [group, quotes] : day_) {
    if (quotes.empty()) continue;
    if (Status s = catalog_.WriteChainQuotes(group, quotes); !s) return s;
    ++files_;
    rows_ += quotes.size();
    quotes.clear();
  }
  return Status::Ok();
}

Status ChainWriter::Finish() { return FlushDay(); }

// ------------------------------------------------------------------------------------------
// Compaction

namespace {

// Chain files of a staging catalog, as (group, file name).
Result<std::vector<std::pair<std::string, std::string>>> StagedFiles(const std::string& dir) {
  std::vector<std::pair<std::string, std::string>> out;
  auto groups = ListCatalogDirs(dir);
  if (!groups) return MakeError(groups.error());
  for (const std::string& g : *groups) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir + "/" + g, ec)) {
      if (e.path().extension() == ".parquet") out.emplace_back(g, e.path().filename().string());
    }
    if (ec) return MakeError(fmt::format("{}/{}: {}", dir, g, ec.message()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Refuses a staged file whose range overlaps a chain file already in `dir`.
Status CheckNoOverlap(const std::string& dir, const std::string& name) {
  auto range = ParseCatalogFileName(name);
  if (!range) return MakeError(range.error());
  std::error_code ec;
  if (!fs::exists(dir, ec)) return Status::Ok();
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() != ".parquet") continue;
    auto other = ParseCatalogFileName(e.path().filename().string());
    if (!other) return MakeError(fmt::format("{}: {}", e.path().string(), other.error()));
    if (!(range->second < other->first || range->first > other->second)) {
      return MakeError(fmt::format(
          "compact refused: the chain file {} would overlap {} (compact the group's quotes "
          "together, or remove one)",
          name, e.path().string()));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<CompactSummary> CompactCatalog(Catalog& catalog, const std::vector<std::string>& globs) {
  CompactSummary sum;
  auto recovered = RecoverCompactSwap(catalog.root());
  if (!recovered) return MakeError(recovered.error());
  sum.recovered = std::move(*recovered);
  auto listed = catalog.Files(CatalogDataType::kQuote, globs);
  if (!listed) return MakeError(listed.error());
  std::vector<CatalogFile> files;
  std::set<std::string> idents;
  for (CatalogFile& f : *listed) {
    if (f.chain) continue;
    idents.insert(f.identifier);
    files.push_back(std::move(f));
  }
  if (files.empty()) return sum;
  sum.files_read = files.size();
  sum.instruments = idents.size();
  auto defs = catalog.Instruments();
  if (!defs) return MakeError(defs.error());

  const std::string root = catalog.root();
  const std::string staging = CompactStagingDir(root);
  std::error_code ec;
  fs::remove_all(staging, ec);
  auto cleanup = [&] {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
  };
  {
    auto staged = Catalog::Open(staging);
    if (!staged) return MakeError(staged.error());
    CatalogQuery q;
    q.type = CatalogDataType::kQuote;
    auto stream = ReadParquetFiles(CatalogDataType::kQuote, files, q);
    if (!stream) {
      cleanup();
      return MakeError(stream.error());
    }
    ChainWriter writer(**staged);
    for (const Instrument& i : *defs) writer.Define(i);
    std::vector<MarketData> buf;
    for (;;) {
      if (Status s = (*stream)->Next(buf, 8192); !s) {
        cleanup();
        return MakeError(s.error());
      }
      if (buf.empty()) break;
      for (const MarketData& d : buf) {
        if (Status s = writer.Add(std::get<QuoteTick>(d)); !s) {
          cleanup();
          return MakeError(s.error());
        }
      }
    }
    if (Status s = writer.Finish(); !s) {
      cleanup();
      return MakeError(s.error());
    }
    sum.chain_files = writer.files_written();
    sum.rows = writer.rows_written();
  }
  const std::string from = CatalogChainDir(staging, CatalogDataType::kQuote);
  const std::string to = CatalogChainDir(root, CatalogDataType::kQuote);
  auto staged_files = StagedFiles(from);
  if (!staged_files) {
    cleanup();
    return MakeError(staged_files.error());
  }
  for (const auto& [group, name] : *staged_files) {
    if (Status s = CheckNoOverlap(to + "/" + group, name); !s) {
      cleanup();
      return MakeError(s.error());
    }
  }
  // The swap, crash-safe (catalog_swap.h): chain files into place, then the per-instrument
  // files out.
  CompactSwap swap;
  auto relative = [&](const std::string& path) -> Result<std::string> {
    if (path.rfind(root + "/", 0) != 0) {
      return MakeError(fmt::format("compact: {} is not inside the catalog {}", path, root));
    }
    return path.substr(root.size() + 1);
  };
  for (const auto& [group, name] : *staged_files) {
    auto src = relative(from + "/" + group + "/" + name);
    auto dst = relative(to + "/" + group + "/" + name);
    if (!src || !dst) {
      cleanup();
      return MakeError(!src ? src.error() : dst.error());
    }
    swap.moves.emplace_back(*src, *dst);
  }
  for (const CatalogFile& f : files) {
    auto rel = relative(f.path);
    if (!rel) {
      cleanup();
      return MakeError(rel.error());
    }
    swap.removes.push_back(*rel);
  }
  if (Status s = RunCompactSwap(root, swap); !s) return MakeError(s.error());
  return sum;
}

}  // namespace nacre
