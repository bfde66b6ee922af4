// Opening a catalog and writing its data files (one Parquet file per write, refused when it
// overlaps a file of the same identifier).
#include <fmt/format.h>

#include <filesystem>
#include <system_error>

#include "persistence/catalog.h"
#include "persistence/catalog_layout.h"
#include "persistence/duckdb.h"

namespace nacre {

namespace fs = std::filesystem;

Catalog::~Catalog() = default;

Result<std::unique_ptr<Catalog>> Catalog::Open(const std::string& root) {
  std::error_code ec;
  fs::create_directories(root + "/data", ec);
  if (ec) return MakeError(fmt::format("catalog {}: cannot create: {}", root, ec.message()));
  auto db = duck::Database::Open("", 1);
  if (!db) return MakeError(db.error());
  auto con = duck::Connection::Connect(**db);
  if (!con) return MakeError(con.error());
  std::unique_ptr<Catalog> c(new Catalog());
  c->root_ = root;
  c->db_ = std::move(*db);
  c->con_ = std::move(*con);
  return c;
}

Status Catalog::CheckOverlap(CatalogDataType type, const std::string& identifier, UnixNanos start,
                             UnixNanos end) const {
  const std::string dir = CatalogDataDir(root_, type) + "/" + identifier;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return Status::Ok();
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() < 8 || name.substr(name.size() - 8) != ".parquet") continue;
    auto range = ParseCatalogFileName(name);
    if (!range) return MakeError(fmt::format("{}: {}", dir, range.error()));
    if (!(end < range->first || start > range->second)) {
      return MakeError(
          fmt::format("catalog write refused: {} {} [{}, {}] overlaps existing data [{}, {}] in {}",
                      CatalogDirName(type), identifier, FormatIsoUtc(start), FormatIsoUtc(end),
                      FormatIsoUtc(range->first), FormatIsoUtc(range->second), e.path().string()));
    }
  }
  if (ec) return MakeError(fmt::format("{}: {}", dir, ec.message()));
  return Status::Ok();
}

Status Catalog::WriteFile(CatalogDataType type, const std::string& identifier,
                          const std::string& table, const ParquetDataMeta& meta, UnixNanos start,
                          UnixNanos end) {
  const std::string dir = CatalogDataDir(root_, type) + "/" + identifier;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return MakeError(fmt::format("{}: cannot create: {}", dir, ec.message()));
  const std::string final_path = dir + "/" + CatalogFileName(start, end);
  const std::string tmp = final_path + ".tmp";
  std::string kv =
      fmt::format("instrument_id: {}, price_precision: '{}', size_precision: '{}'",
                  duck::Quote(meta.instrument_id), meta.price_precision, meta.size_precision);
  if (!meta.bar_type.empty()) kv += fmt::format(", bar_type: {}", duck::Quote(meta.bar_type));
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

Status PrecisionMismatch(const std::string& what, std::size_t i, const char* field, int got,
                         int want) {
  return MakeError(fmt::format("catalog write of {}: item {} {} has precision {}, expected {}",
                               what, i, field, got, want));
}

}  // namespace

Status Catalog::WriteQuotes(const InstrumentId& id, std::span<const QuoteTick> quotes) {
  const std::string what = "quotes " + id.value();
  if (Status s = CheckSeries(quotes, what, [](const QuoteTick& q) { return q.ts_init; }); !s) {
    return s;
  }
  ParquetDataMeta meta{id.value(), "", quotes[0].bid_price.precision(),
                       quotes[0].bid_size.precision()};
  for (std::size_t i = 0; i < quotes.size(); ++i) {
    const QuoteTick& q = quotes[i];
    if (q.instrument_id != id) {
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
  const std::string ident = CatalogIdentifier(id.value());
  const UnixNanos start = quotes.front().ts_init;
  const UnixNanos end = quotes.back().ts_init;
  if (Status s = CheckOverlap(CatalogDataType::kQuote, ident, start, end); !s) return s;
  const std::string table = "nacre_w_quotes";
  if (Status s = con_->Execute("CREATE OR REPLACE TEMP TABLE " + table +
                               " (bid_price BIGINT, ask_price BIGINT, bid_size BIGINT, "
                               "ask_size BIGINT, ts_event UBIGINT, ts_init UBIGINT)");
      !s) {
    return s;
  }
  {
    auto app = con_->MakeAppender(table);
    if (!app) return MakeError(app.error());
    for (const QuoteTick& q : quotes) {
      app->Int64(q.bid_price.raw());
      app->Int64(q.ask_price.raw());
      app->Int64(q.bid_size.raw());
      app->Int64(q.ask_size.raw());
      app->UInt64(static_cast<std::uint64_t>(q.ts_event.value));
      app->UInt64(static_cast<std::uint64_t>(q.ts_init.value));
      app->EndRow();
    }
    if (Status s = app->Close(); !s) return s;
  }
  return WriteFile(CatalogDataType::kQuote, ident, table, meta, start, end);
}

Status Catalog::WriteTrades(const InstrumentId& id, std::span<const TradeTick> trades) {
  const std::string what = "trades " + id.value();
  if (Status s = CheckSeries(trades, what, [](const TradeTick& t) { return t.ts_init; }); !s) {
    return s;
  }
  ParquetDataMeta meta{id.value(), "", trades[0].price.precision(), trades[0].size.precision()};
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
  if (Status s = CheckOverlap(CatalogDataType::kTrade, ident, start, end); !s) return s;
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
  return WriteFile(CatalogDataType::kTrade, ident, table, meta, start, end);
}

Status Catalog::WriteBars(const BarType& bar_type, std::span<const Bar> bars) {
  const std::string bt = bar_type.ToString();
  const std::string what = "bars " + bt;
  if (Status s = CheckSeries(bars, what, [](const Bar& b) { return b.ts_init; }); !s) return s;
  ParquetDataMeta meta{bar_type.instrument_id().value(), bt, bars[0].open.precision(),
                       bars[0].volume.precision()};
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
  if (Status s = CheckOverlap(CatalogDataType::kBar, ident, start, end); !s) return s;
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
  return WriteFile(CatalogDataType::kBar, ident, table, meta, start, end);
}

}  // namespace nacre
