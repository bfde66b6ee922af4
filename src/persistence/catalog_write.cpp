// Opening a catalog and writing its data files (one Parquet file per write, refused when it
// overlaps a file of the same identifier).
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <system_error>

#include "persistence/catalog.h"
#include "persistence/catalog_layout.h"
#include "persistence/catalog_swap.h"
#include "persistence/duckdb.h"
#include "persistence/footer_cache.h"

namespace nacre {

namespace fs = std::filesystem;

// A listing's footer cache is saved beside the run; the catalog's end waits for it, so whoever
// closed the catalog (a test removing its folder, a tool moving it) finds no write still going.
Catalog::~Catalog() { catalog_detail::FooterCache::WaitForWrites(root_); }

Result<std::unique_ptr<Catalog>> Catalog::Open(const std::string& root) {
  std::error_code ec;
  fs::create_directories(root + "/data", ec);
  if (ec) return MakeError(fmt::format("catalog {}: cannot create: {}", root, ec.message()));
  auto recovered = RecoverCompactSwap(root);
  if (!recovered) return MakeError(recovered.error());
  for (const std::string& note : *recovered) fmt::print(stderr, "note: {}\n", note);
  auto db = duck::Database::Open("", 1);
  if (!db) return MakeError(db.error());
  auto con = duck::Connection::Connect(**db);
  if (!con) return MakeError(con.error());
  std::unique_ptr<Catalog> c(new Catalog());
  c->root_ = root;
  c->db_ = std::move(*db);
  c->con_ = std::move(*con);
  c->recovered_ = std::move(*recovered);
  return c;
}

Status Catalog::CheckOverlap(const std::string& dir, const std::string& what, UnixNanos start,
                             UnixNanos end) const {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return Status::Ok();
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() < 8 || name.substr(name.size() - 8) != ".parquet") continue;
    auto range = ParseCatalogFileName(name);
    if (!range) return MakeError(fmt::format("{}: {}", dir, range.error()));
    if (!(end < range->first || start > range->second)) {
      return CatalogOverlapError(what, start, end, range->first, range->second, e.path().string());
    }
  }
  if (ec) return MakeError(fmt::format("{}: {}", dir, ec.message()));
  return Status::Ok();
}

Status CatalogOverlapError(const std::string& what, UnixNanos start, UnixNanos end,
                           UnixNanos other_start, UnixNanos other_end, const std::string& where) {
  return MakeError(
      fmt::format("catalog write refused: {} [{}, {}] overlaps existing data [{}, {}] in {}", what,
                  FormatIsoUtc(start), FormatIsoUtc(end), FormatIsoUtc(other_start),
                  FormatIsoUtc(other_end), where));
}

Status Catalog::WriteFile(const std::string& dir, const std::string& table, const std::string& kv,
                          UnixNanos start, UnixNanos end) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return MakeError(fmt::format("{}: cannot create: {}", dir, ec.message()));
  const std::string final_path = dir + "/" + CatalogFileName(start, end);
  const std::string tmp = final_path + ".tmp";
  Status s = con_->Execute(
      fmt::format("COPY {} TO {} (FORMAT parquet, COMPRESSION snappy, KV_METADATA {{{}}})", table,
                  duck::Quote(tmp), kv));
  (void)con_->Execute("DROP TABLE IF EXISTS " + table);
  if (!s) {
    fs::remove(tmp, ec);
    return s;
  }
  fs::rename(tmp, final_path, ec);
  if (ec) return MakeError(fmt::format("{}: cannot rename: {}", final_path, ec.message()));
  return Status::Ok();
}

namespace {

template <typename T, typename Get>
Status CheckSeries(std::span<const T> items, const std::string& what, Get ts) {
  if (items.empty()) return MakeError(fmt::format("catalog write of {}: no data", what));
  for (std::size_t i = 1; i < items.size(); ++i) {
    if (ts(items[i]) < ts(items[i - 1])) {
      return MakeError(fmt::format("catalog write of {}: ts_init decreases at item {} ({} < {})",
                                   what, i, FormatIsoUtc(ts(items[i])),
                                   FormatIsoUtc(ts(items[i - 1]))));
    }
  }
  return Status::Ok();
}

// The key-value metadata of a per-instrument file.
std::string PlainKv(const ParquetDataMeta& meta) {
  std::string kv =
      fmt::format("instrument_id: {}, price_precision: '{}', size_precision: '{}'",
                  duck::Quote(meta.instrument_id), meta.price_precision, meta.size_precision);
  if (!meta.bar_type.empty()) kv += fmt::format(", bar_type: {}", duck::Quote(meta.bar_type));
  return kv;
}

Status PrecisionMismatch(const std::string& what, std::size_t i, const char* field, int got,
                         int want) {
  return MakeError(fmt::format("catalog write of {}: item {} {} has precision {}, expected {}",
                               what, i, field, got, want));
}

}  // namespace

namespace {

// Checks that every quote has the first one's price and size precision (and, given `id`, is
// for it); fills meta's precisions.
Status CheckQuotes(std::span<const QuoteTick> quotes, const std::string& what,
                   const InstrumentId* id, ParquetDataMeta& meta) {
  meta.price_precision = quotes[0].bid_price.precision();
  meta.size_precision = quotes[0].bid_size.precision();
  for (std::size_t i = 0; i < quotes.size(); ++i) {
    const QuoteTick& q = quotes[i];
    if (id != nullptr && q.instrument_id != *id) {
      return MakeError(
          fmt::format("catalog write of {}: item {} is for {}", what, i, q.instrument_id.value()));
    }
    if (q.bid_price.precision() != meta.price_precision) {
      return PrecisionMismatch(what, i, "bid_price", q.bid_price.precision(), meta.price_precision);
    }
    if (q.ask_price.precision() != meta.price_precision) {
      return PrecisionMismatch(what, i, "ask_price", q.ask_price.precision(), meta.price_precision);
    }
    if (q.bid_size.precision() != meta.size_precision) {
      return PrecisionMismatch(what, i, "bid_size", q.bid_size.precision(), meta.size_precision);
    }
    if (q.ask_size.precision() != meta.size_precision) {
      return PrecisionMismatch(what, i, "ask_size", q.ask_size.precision(), meta.size_precision);
    }
  }
  return Status::Ok();
}

// Stages quotes in the temporary table `table`, with an instrument_id column first when
// `chain`.
Status StageQuotes(duck::Connection& con, const std::string& table,
                   std::span<const QuoteTick> quotes, bool chain) {
  if (Status s = con.Execute(fmt::format(
          "CREATE OR REPLACE TEMP TABLE {} ({}bid_price BIGINT, ask_price BIGINT, bid_size "
          "BIGINT, ask_size BIGINT, ts_event UBIGINT, ts_init UBIGINT)",
          table, chain ? "instrument_id VARCHAR, " : ""));
      !s) {
    return s;
  }
  auto app = con.MakeAppender(table);
  if (!app) return MakeError(app.error());
  for (const QuoteTick& q : quotes) {
    if (chain) app->Varchar(q.instrument_id.value());
    app->Int64(q.bid_price.raw());
    app->Int64(q.ask_price.raw());
    app->Int64(q.bid_size.raw());
    app->Int64(q.ask_size.raw());
    app->UInt64(static_cast<std::uint64_t>(q.ts_event.value));
    app->UInt64(static_cast<std::uint64_t>(q.ts_init.value));
    app->EndRow();
  }
  return app->Close();
}

}  // namespace

Status Catalog::WriteQuotes(const InstrumentId& id, std::span<const QuoteTick> quotes) {
  const std::string what = "quotes " + id.value();
  if (Status s = CheckSeries(quotes, what, [](const QuoteTick& q) { return q.ts_init; }); !s) {
    return s;
  }
  ParquetDataMeta meta;
  meta.instrument_id = id.value();
  if (Status s = CheckQuotes(quotes, what, &id, meta); !s) return s;
  const std::string ident = CatalogIdentifier(id.value());
  const UnixNanos start = quotes.front().ts_init;
  const UnixNanos end = quotes.back().ts_init;
  const std::string dir = CatalogDataDir(root_, CatalogDataType::kQuote) + "/" + ident;
  const std::string series = fmt::format("{} {}", CatalogDirName(CatalogDataType::kQuote), ident);
  if (Status s = CheckOverlap(dir, series, start, end); !s) return s;
  if (Status s = CheckChainOverlap(CatalogDataType::kQuote, id, series, start, end); !s) return s;
  const std::string table = "nacre_w_quotes";
  if (Status s = StageQuotes(*con_, table, quotes, false); !s) return s;
  return WriteFile(dir, table, PlainKv(meta), start, end);
}

Status Catalog::WriteChainQuotes(const std::string& group, std::span<const QuoteTick> quotes) {
  const std::string what = "chain quotes of " + group;
  if (quotes.empty()) return MakeError(fmt::format("catalog write of {}: no data", what));
  ParquetDataMeta meta;
  if (Status s = CheckQuotes(quotes, what, nullptr, meta); !s) return s;
  // The merge order: ts_init, then identifier, then each instrument's own order.
  std::vector<std::uint32_t> order(quotes.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::map<InstrumentId, std::string> idents;
  std::map<InstrumentId, ChainMember> members;
  for (std::size_t i = 0; i < quotes.size(); ++i) {
    const QuoteTick& q = quotes[i];
    auto [it, added] = members.try_emplace(q.instrument_id);
    ChainMember& m = it->second;
    if (added) {
      m.instrument_id = q.instrument_id.value();
      m.first = q.ts_init;
      idents.emplace(q.instrument_id, CatalogIdentifier(q.instrument_id.value()));
    } else if (q.ts_init < m.last) {
      return MakeError(fmt::format("catalog write of {}: {} ts_init decreases at item {} ({} < {})",
                                   what, m.instrument_id, i, FormatIsoUtc(q.ts_init),
                                   FormatIsoUtc(m.last)));
    }
    m.last = q.ts_init;
    ++m.rows;
  }
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    const QuoteTick& x = quotes[a];
    const QuoteTick& y = quotes[b];
    if (x.ts_init != y.ts_init) return x.ts_init < y.ts_init;
    if (x.instrument_id == y.instrument_id) return false;
    return idents.at(x.instrument_id) < idents.at(y.instrument_id);
  });
  std::vector<QuoteTick> sorted;
  sorted.reserve(quotes.size());
  for (std::uint32_t i : order) sorted.push_back(quotes[i]);
  const UnixNanos start = sorted.front().ts_init;
  const UnixNanos end = sorted.back().ts_init;
  const std::string dir = CatalogChainDir(root_, CatalogDataType::kQuote) + "/" + group;
  if (Status s = CheckOverlap(dir, "chain quote_tick " + group, start, end); !s) return s;
  // No member's quotes may already be held per instrument, or in another group's chain files.
  std::vector<CatalogFile> others;
  if (Status s = ChainFiles(CatalogDataType::kQuote, {}, others, std::pair{start, end}); !s) {
    return s;
  }
  for (const auto& [id, m] : members) {
    const std::string& ident = idents.at(id);
    const std::string series = fmt::format("chain quote_tick {}: {}", group, m.instrument_id);
    if (Status s = CheckOverlap(CatalogDataDir(root_, CatalogDataType::kQuote) + "/" + ident,
                                series, m.first, m.last);
        !s) {
      return s;
    }
    for (const CatalogFile& f : others) {
      if (f.meta->instrument_id != m.instrument_id || m.last < f.start || m.first > f.end) continue;
      return CatalogOverlapError(series, m.first, m.last, f.start, f.end,
                                 fmt::format("the chain file {}", f.path));
    }
  }
  const std::string table = "nacre_w_chain";
  if (Status s = StageQuotes(*con_, table, sorted, true); !s) return s;
  std::vector<ChainMember> list;
  list.reserve(members.size());
  for (auto& [id, m] : members) list.push_back(std::move(m));
  std::sort(list.begin(), list.end(), [](const ChainMember& a, const ChainMember& b) {
    return a.instrument_id < b.instrument_id;
  });
  const std::string kv = fmt::format(
      "layout: 'chain', price_precision: '{}', size_precision: '{}', chain_instruments: {}",
      meta.price_precision, meta.size_precision, duck::Quote(FormatChainMembers(list)));
  return WriteFile(dir, table, kv, start, end);
}

Status Catalog::WriteTrades(const InstrumentId& id, std::span<const TradeTick> trades) {
  const std::string what = "trades " + id.value();
  if (Status s = CheckSeries(trades, what, [](const TradeTick& t) { return t.ts_init; }); !s) {
    return s;
  }
  ParquetDataMeta meta;
  meta.instrument_id = id.value();
  meta.price_precision = trades[0].price.precision();
  meta.size_precision = trades[0].size.precision();
  for (std::size_t i = 0; i < trades.size(); ++i) {
    const TradeTick& t = trades[i];
    if (t.instrument_id != id) {
      return MakeError(
          fmt::format("catalog write of {}: item {} is for {}", what, i, t.instrument_id.value()));
    }
    if (t.price.precision() != meta.price_precision) {
      return PrecisionMismatch(what, i, "price", t.price.precision(), meta.price_precision);
    }
    if (t.size.precision() != meta.size_precision) {
      return PrecisionMismatch(what, i, "size", t.size.precision(), meta.size_precision);
    }
  }
  const std::string ident = CatalogIdentifier(id.value());
  const UnixNanos start = trades.front().ts_init;
  const UnixNanos end = trades.back().ts_init;
  const std::string dir = CatalogDataDir(root_, CatalogDataType::kTrade) + "/" + ident;
  const std::string series = fmt::format("{} {}", CatalogDirName(CatalogDataType::kTrade), ident);
  if (Status s = CheckOverlap(dir, series, start, end); !s) return s;
  if (Status s = CheckChainOverlap(CatalogDataType::kTrade, id, series, start, end); !s) return s;
  const std::string table = "nacre_w_trades";
  if (Status s = con_->Execute("CREATE OR REPLACE TEMP TABLE " + table +
                               " (price BIGINT, size BIGINT, aggressor_side UTINYINT, "
                               "trade_id VARCHAR, ts_event UBIGINT, ts_init UBIGINT)");
      !s) {
    return s;
  }
  {
    auto app = con_->MakeAppender(table);
    if (!app) return MakeError(app.error());
    for (const TradeTick& t : trades) {
      app->Int64(t.price.raw());
      app->Int64(t.size.raw());
      const std::int32_t side =
          t.aggressor_side == OrderSide::kBuy ? 1 : (t.aggressor_side == OrderSide::kSell ? 2 : 0);
      app->UInt8(static_cast<std::uint8_t>(side));
      app->Varchar(t.trade_id.value());
      app->UInt64(static_cast<std::uint64_t>(t.ts_event.value));
      app->UInt64(static_cast<std::uint64_t>(t.ts_init.value));
      app->EndRow();
    }
    if (Status s = app->Close(); !s) return s;
  }
  return WriteFile(dir, table, PlainKv(meta), start, end);
}

Status Catalog::WriteBars(const BarType& bar_type, std::span<const Bar> bars) {
  const std::string bt = bar_type.ToString();
  const std::string what = "bars " + bt;
  if (Status s = CheckSeries(bars, what, [](const Bar& b) { return b.ts_init; }); !s) return s;
  ParquetDataMeta meta;
  meta.instrument_id = bar_type.instrument_id().value();
  meta.bar_type = bt;
  meta.price_precision = bars[0].open.precision();
  meta.size_precision = bars[0].volume.precision();
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    if (b.bar_type != bar_type) {
      return MakeError(
          fmt::format("catalog write of {}: item {} is for {}", what, i, b.bar_type.ToString()));
    }
    for (const auto& [p, name] : {std::pair{b.open, "open"}, std::pair{b.high, "high"},
                                  std::pair{b.low, "low"}, std::pair{b.close, "close"}}) {
      if (p.precision() != meta.price_precision) {
        return PrecisionMismatch(what, i, name, p.precision(), meta.price_precision);
      }
    }
    if (b.volume.precision() != meta.size_precision) {
      return PrecisionMismatch(what, i, "volume", b.volume.precision(), meta.size_precision);
    }
  }
  const std::string ident = CatalogIdentifier(bt);
  const UnixNanos start = bars.front().ts_init;
  const UnixNanos end = bars.back().ts_init;
  const std::string dir = CatalogDataDir(root_, CatalogDataType::kBar) + "/" + ident;
  const std::string series = fmt::format("{} {}", CatalogDirName(CatalogDataType::kBar), ident);
  if (Status s = CheckOverlap(dir, series, start, end); !s) return s;
  const std::string table = "nacre_w_bars";
  if (Status s = con_->Execute("CREATE OR REPLACE TEMP TABLE " + table +
                               " (open BIGINT, high BIGINT, low BIGINT, close BIGINT, "
                               "volume BIGINT, ts_event UBIGINT, ts_init UBIGINT)");
      !s) {
    return s;
  }
  {
    auto app = con_->MakeAppender(table);
    if (!app) return MakeError(app.error());
    for (const Bar& b : bars) {
      app->Int64(b.open.raw());
      app->Int64(b.high.raw());
      app->Int64(b.low.raw());
      app->Int64(b.close.raw());
      app->Int64(b.volume.raw());
      app->UInt64(static_cast<std::uint64_t>(b.ts_event.value));
      app->UInt64(static_cast<std::uint64_t>(b.ts_init.value));
      app->EndRow();
    }
    if (Status s = app->Close(); !s) return s;
  }
  return WriteFile(dir, table, PlainKv(meta), start, end);
}

}  // namespace nacre
