#include "synth/catalog_sink.h"

#include <fmt/format.h>

#include <algorithm>
#include <system_error>

namespace nacre::synth {

namespace fs = std::filesystem;

namespace {

Status FsError(const std::string& what, const fs::path& p, const std::error_code& ec) {
  return MakeError(what + " " + p.string() + ": " + ec.message());
}

}  // namespace

Result<std::unique_ptr<CatalogSink>> CatalogSink::Open(const std::string& root,
                                                       std::size_t max_rows_per_file) {
  if (root.empty()) return MakeError("synth: empty output folder");
  if (max_rows_per_file == 0) return MakeError("synth: max_rows_per_file must be positive");
  std::error_code ec;
  const fs::path data = fs::path(root) / "data";
  if (fs::exists(data, ec) && !fs::is_empty(data, ec)) {
    return MakeError("synth: " + data.string() +
                     " already holds data; write a synthetic catalog into a new folder");
  }
  fs::create_directories(data, ec);
  if (ec) return MakeError("synth: cannot create " + data.string() + ": " + ec.message());
  auto db = duck::Database::Open("", 1);
  if (!db.ok()) return MakeError(db.error());
  auto con = duck::Connection::Connect(**db);
  if (!con.ok()) return MakeError(con.error());
  auto sink = std::unique_ptr<CatalogSink>(
      new CatalogSink(fs::path(root), max_rows_per_file, std::move(*db), std::move(*con)));
  sink->bars_.kind = "bar";
  return sink;
}

CatalogSink::Buffer& CatalogSink::QuoteBuffer(const InstrumentId& id) {
  auto it = quotes_.find(id.value());
  if (it == quotes_.end()) {
    Buffer b;
    b.kind = "quote_tick";
    b.key = id.value();
    it = quotes_.emplace(id.value(), std::move(b)).first;
  }
  return it->second;
}

Status CatalogSink::OnInstrument(const Instrument& instrument) {
  instruments_.push_back(instrument);
  Buffer& b = QuoteBuffer(instrument.id);
  b.price_precision = instrument.price_precision;
  b.size_precision = instrument.size_precision;
  return Status::Ok();
}

Status CatalogSink::Append(Buffer& buffer, const Row& row) {
  buffer.rows.push_back(row);
  if (buffer.rows.size() >= max_rows_) return Flush(buffer);
  return Status::Ok();
}

Status CatalogSink::OnStep(const ChainStep& step) {
  const Bar& bar = step.underlying_bar;
  if (bars_.key.empty()) bars_.key = bar.bar_type.ToString();
  if (Status s = Append(bars_, Row{bar.open.raw(), bar.high.raw(), bar.low.raw(), bar.close.raw(),
                                   bar.volume.raw(), bar.ts_event.value, bar.ts_init.value});
      !s.ok()) {
    return s;
  }
  auto quote_row = [](const QuoteTick& q) {
    return Row{q.bid_price.raw(), q.ask_price.raw(), q.bid_size.raw(), q.ask_size.raw(), 0,
               q.ts_event.value,  q.ts_init.value};
  };
  const QuoteTick& uq = step.underlying_quote;
  if (Status s = Append(QuoteBuffer(uq.instrument_id), quote_row(uq)); !s.ok()) return s;
  // Consecutive quotes of one step mostly change instrument; look each up once.
  for (const QuoteTick& q : step.quotes) {
    if (Status s = Append(QuoteBuffer(q.instrument_id), quote_row(q)); !s.ok()) return s;
  }
  return Status::Ok();
}

Status CatalogSink::OnRetired(std::span<const InstrumentId> ids) {
  for (const InstrumentId& id : ids) {
    auto it = quotes_.find(id.value());
    if (it == quotes_.end()) continue;
    if (Status s = Flush(it->second); !s.ok()) return s;
    quotes_.erase(it);
  }
  return Status::Ok();
}

// Appends whole columns a data chunk at a time (a per-value appender costs several times more
// than the Parquet encoding).
Status CatalogSink::AppendRows(const std::string& table, const std::vector<Row>& rows,
                               int value_columns) {
  duckdb_appender app = nullptr;
  if (duckdb_appender_create(con_->raw(), nullptr, table.c_str(), &app) != DuckDBSuccess) {
    std::string msg = app ? duckdb_appender_error(app) : "cannot create appender";
    duckdb_appender_destroy(&app);
    return MakeError("DuckDB: " + msg + " (appender for " + table + ")");
  }
  const int ncols = value_columns + 2;
  std::vector<duckdb_logical_type> types(static_cast<std::size_t>(ncols));
  for (auto& t : types) t = duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
  duckdb_data_chunk chunk = duckdb_create_data_chunk(types.data(), static_cast<idx_t>(ncols));
  for (auto& t : types) duckdb_destroy_logical_type(&t);
  const std::size_t cap = duckdb_vector_size();
  std::string error;
  for (std::size_t off = 0; off < rows.size() && error.empty(); off += cap) {
    const std::size_t n = std::min(cap, rows.size() - off);
    std::int64_t* col[7];
    for (int c = 0; c < ncols; ++c) {
      col[c] = static_cast<std::int64_t*>(
          duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk, static_cast<idx_t>(c))));
    }
    for (std::size_t i = 0; i < n; ++i) {
      const Row& r = rows[off + i];
      const std::int64_t values[5] = {r.a, r.b, r.c, r.d, r.e};
      for (int c = 0; c < value_columns; ++c) col[c][i] = values[c];
      col[value_columns][i] = r.ts_event;
      col[value_columns + 1][i] = r.ts_init;
    }
    duckdb_data_chunk_set_size(chunk, n);
    if (duckdb_append_data_chunk(app, chunk) != DuckDBSuccess) error = duckdb_appender_error(app);
    duckdb_data_chunk_reset(chunk);
  }
  duckdb_destroy_data_chunk(&chunk);
  if (error.empty() && duckdb_appender_close(app) != DuckDBSuccess) {
    error = duckdb_appender_error(app);
  }
  duckdb_appender_destroy(&app);
  if (!error.empty()) return MakeError("DuckDB: " + error + " (appending to " + table + ")");
  return Status::Ok();
}

Status CatalogSink::Flush(Buffer& buffer) {
  if (buffer.rows.empty()) return Status::Ok();
  const bool bar = buffer.kind == "bar";
  const std::string table = bar ? "bars" : "quotes";
  const std::string columns =
      bar ? "open BIGINT, high BIGINT, low BIGINT, close BIGINT, volume BIGINT"
          : "bid_price BIGINT, ask_price BIGINT, bid_size BIGINT, ask_size BIGINT";
  if (Status s = con_->Execute("CREATE OR REPLACE TEMP TABLE " + table + " (" + columns +
                               ", ts_event BIGINT, ts_init BIGINT)");
      !s.ok()) {
    return s;
  }
  if (Status s = AppendRows(table, buffer.rows, bar ? 5 : 4); !s.ok()) return s;
  const fs::path dir = root_ / "data" / buffer.kind / buffer.key;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return FsError("synth: cannot create", dir, ec);
  const fs::path file =
      dir / fmt::format("{}_{}.parquet", buffer.rows.front().ts_init, buffer.rows.back().ts_init);
  if (fs::exists(file, ec)) {
    return MakeError("synth: " + file.string() + " already exists (overlapping data)");
  }
  const fs::path tmp = file.string() + ".tmp";
  const std::string key_name = bar ? "bar_type" : "instrument_id";
  const std::string sql = fmt::format(
      "COPY {} TO {} (FORMAT parquet, COMPRESSION snappy, KV_METADATA {{{}: {}, price_precision: "
      "'{}', size_precision: '{}'}})",
      table, duck::Quote(tmp.string()), key_name, duck::Quote(buffer.key), buffer.price_precision,
      buffer.size_precision);
  if (Status s = con_->Execute(sql); !s.ok()) return s;
  fs::rename(tmp, file, ec);
  if (ec) return FsError("synth: cannot rename to", file, ec);
  bytes_ += fs::file_size(file, ec);
  ++files_;
  rows_ += buffer.rows.size();
  buffer.rows.clear();
  buffer.rows.shrink_to_fit();
  return Status::Ok();
}

Status CatalogSink::WriteInstruments() {
  if (Status s = con_->Execute(
          "CREATE OR REPLACE TEMP TABLE instruments (id VARCHAR, raw_symbol VARCHAR, "
          "instrument_class VARCHAR, underlying VARCHAR, option_kind VARCHAR, strike BIGINT, "
          "price_precision INTEGER, size_precision INTEGER, tick_size BIGINT, lot_size BIGINT, "
          "multiplier BIGINT, freeze_quantity BIGINT, activation BIGINT, expiration BIGINT)");
      !s.ok()) {
    return s;
  }
  {
    auto app = con_->MakeAppender("instruments");
    if (!app.ok()) return MakeError(app.error());
    for (const Instrument& i : instruments_) {
      const bool option = i.instrument_class == InstrumentClass::kOption;
      app->Varchar(i.id.value());
      app->Varchar(i.raw_symbol.value());
      app->Varchar(ToString(i.instrument_class));
      if (i.underlying.empty()) {
        app->Null();
      } else {
        app->Varchar(i.underlying.value());
      }
      if (option) {
        app->Varchar(i.option_kind == OptionKind::kCall ? "CE" : "PE");
        app->Int64(i.strike.raw());
      } else {
        app->Null();
        app->Null();
      }
      app->Int32(i.price_precision);
      app->Int32(i.size_precision);
      app->Int64(i.tick_size.raw());
      app->Int64(i.lot_size.raw());
      app->Int64(i.multiplier);
      if (i.freeze_quantity) {
        app->Int64(i.freeze_quantity->raw());
      } else {
        app->Null();
      }
      app->Int64(i.activation.value);
      app->Int64(i.expiration.value);
      app->EndRow();
    }
    if (Status s = app->Close(); !s.ok()) return s;
  }
  const fs::path file = root_ / "instruments.parquet";
  const fs::path tmp = file.string() + ".tmp";
  if (Status s = con_->Execute("COPY instruments TO " + duck::Quote(tmp.string()) +
                               " (FORMAT parquet, COMPRESSION zstd)");
      !s.ok()) {
    return s;
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) return FsError("synth: cannot rename to", file, ec);
  bytes_ += fs::file_size(file, ec);
  ++files_;
  return Status::Ok();
}

Status CatalogSink::Finish() {
  // Remaining buffers in id order, so the write order (and thus timing) is deterministic too.
  std::vector<std::string> keys;
  keys.reserve(quotes_.size());
  for (const auto& [k, b] : quotes_) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  for (const std::string& k : keys) {
    if (Status s = Flush(quotes_[k]); !s.ok()) return s;
  }
  quotes_.clear();
  if (Status s = Flush(bars_); !s.ok()) return s;
  return WriteInstruments();
}

}  // namespace nacre::synth
