// `nacre catalog ls | info | query | import | export`: the Parquet data catalog from the
// command line (persistence/catalog.h, persistence/import.h).
//   ls DIR                      data series: type, identifier, files, rows, first and last time
//   info DIR                    instruments and totals per type
//   query DIR "SQL"             DuckDB SQL over decimal views (persistence/catalog_views.h)
//   import DIR FILE...          files of any supported format (auto-detected); --layout chain
//                               writes the imported quotes as chain files
//   compact DIR [--instruments GLOB]  per-instrument quote files -> chain files
//   export DIR --type T --out F [--instruments GLOB] [--start] [--end]   merged CSV
#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "cli/commands.h"
#include "persistence/catalog.h"
#include "persistence/catalog_chain.h"
#include "persistence/catalog_views.h"
#include "persistence/duckdb.h"
#include "persistence/import.h"

namespace nacre::cli {
namespace {

namespace fs = std::filesystem;

int Fail(const std::string& msg, int code = 2) {
  fmt::print(stderr, "error: {}\n", msg);
  return code;
}

Result<std::unique_ptr<Catalog>> OpenExisting(const std::string& root) {
  if (!fs::is_directory(fs::path(root) / "data")) {
    return MakeError(fmt::format("{} is not a catalog (no data/ folder)", root));
  }
  return Catalog::Open(root);
}

std::string Time(std::int64_t ns) { return FormatIstExact(UnixNanos(ns)); }

void PrintCompact(const CompactSummary& s) {
  for (const std::string& note : s.recovered) fmt::print(stderr, "note: {}\n", note);
  if (s.files_read == 0) {
    fmt::print("compact: no per-instrument quote files to convert\n");
    return;
  }
  fmt::print("compact: {} quotes of {} instruments from {} files into {} chain files\n", s.rows,
             s.instruments, s.files_read, s.chain_files);
}

int RunQuery(const std::string& root, const std::string& sql) {
  auto db = duck::Database::Open();
  if (!db) return Fail(db.error(), 1);
  auto con = duck::Connection::Connect(**db);
  if (!con) return Fail(con.error(), 1);
  if (Status s = CreateCatalogViews(**con, root, sql); !s) return Fail(s.error());
  duckdb_result res;
  if (duckdb_query((*con)->raw(), sql.c_str(), &res) != DuckDBSuccess) {
    std::string msg = duckdb_result_error(&res);
    duckdb_destroy_result(&res);
    return Fail(fmt::format("DuckDB: {} (query: {})", msg, sql));
  }
  duckdb_result& r2 = res;
  const idx_t cols = duckdb_column_count(&res);
  for (idx_t c = 0; c < cols; ++c) fmt::print("{}{}", c ? "\t" : "", duckdb_column_name(&res, c));
  fmt::print("\n");
  const idx_t rows = duckdb_row_count(&r2);
  for (idx_t i = 0; i < rows; ++i) {
    for (idx_t c = 0; c < cols; ++c) {
      char* v = duckdb_value_varchar(&r2, c, i);
      fmt::print("{}{}", c ? "\t" : "", v ? v : "NULL");
      duckdb_free(v);
    }
    fmt::print("\n");
  }
  duckdb_destroy_result(&r2);
  return 0;
}

struct ImportArgs {
  std::string root;
  std::vector<std::string> files;
  ImportOptions opt;
  std::string at;
  std::string expiry;
  std::string time_format;
  std::string time_column;
  std::string utc_offset;
  std::vector<std::string> columns;
  std::string layout = "instrument";
};

struct ExportArgs {
  std::string root;
  std::string type = "quote";
  std::vector<std::string> instruments;
  std::string start;
  std::string end;
  std::string out;
};

int RunExport(const ExportArgs& a) {
  auto cat = OpenExisting(a.root);
  if (!cat) return Fail(cat.error());
  CatalogQuery q;
  auto t = ParseCatalogDataType(a.type);
  if (!t) return Fail(t.error());
  q.type = *t;
  q.instruments = a.instruments;
  if (!a.start.empty()) {
    auto s = ParseIstBound(a.start, RangeBound::kStart);
    if (!s) return Fail("--start: " + s.error());
    q.start = *s;
  }
  if (!a.end.empty()) {
    auto e = ParseIstBound(a.end, RangeBound::kEnd);
    if (!e) return Fail("--end: " + e.error());
    q.end = *e;
  }
  if (q.start && q.end && *q.end < *q.start) {
    return Fail(
        fmt::format("--end {} is before --start {}", Time(q.end->value), Time(q.start->value)));
  }
  auto stream = (*cat)->Read(q);
  if (!stream) return Fail(stream.error());
  std::ofstream out(a.out, std::ios::binary | std::ios::trunc);
  if (!out) return Fail(fmt::format("{}: cannot write", a.out), 1);
  switch (q.type) {
    case CatalogDataType::kQuote:
      out << "instrument_id,bid_price,ask_price,bid_size,ask_size,ts_event,ts_init,ts_event_ist\n";
      break;
    case CatalogDataType::kTrade:
      out << "instrument_id,price,size,aggressor_side,trade_id,ts_event,ts_init,ts_event_ist\n";
      break;
    case CatalogDataType::kBar:
      out << "bar_type,open,high,low,close,volume,ts_event,ts_init,ts_event_ist\n";
      break;
  }
  std::vector<MarketData> buf;
  std::uint64_t n = 0;
  std::int64_t first = 0;
  std::int64_t last = 0;
  for (;;) {
    if (Status s = (*stream)->Next(buf, 8192); !s) return Fail(s.error());
    if (buf.empty()) break;
    for (const auto& d : buf) {
      const std::int64_t ts = std::visit([](const auto& x) { return x.ts_init.value; }, d);
      if (n++ == 0) first = ts;
      last = ts;
      if (const auto* x = std::get_if<QuoteTick>(&d)) {
        out << fmt::format("{},{},{},{},{},{},{},{}\n", x->instrument_id.value(),
                           x->bid_price.ToString(), x->ask_price.ToString(), x->bid_size.ToString(),
                           x->ask_size.ToString(), x->ts_event.value, x->ts_init.value,
                           Time(x->ts_event.value));
      } else if (const auto* y = std::get_if<TradeTick>(&d)) {
        out << fmt::format("{},{},{},{},{},{},{},{}\n", y->instrument_id.value(),
                           y->price.ToString(), y->size.ToString(), ToString(y->aggressor_side),
                           y->trade_id.value(), y->ts_event.value, y->ts_init.value,
                           Time(y->ts_event.value));
      } else {
        const Bar& b = std::get<Bar>(d);
        out << fmt::format("\"{}\",{},{},{},{},{},{},{},{}\n", b.bar_type.ToString(),
                           b.open.ToString(), b.high.ToString(), b.low.ToString(),
                           b.close.ToString(), b.volume.ToString(), b.ts_event.value,
                           b.ts_init.value, Time(b.ts_event.value));
      }
    }
  }
  out.close();
  if (!out) return Fail(fmt::format("{}: write failed", a.out), 1);
  if (n == 0) {
    fmt::print("0 rows -> {}\n", a.out);
  } else {
    fmt::print("{} rows -> {} (ts_init {} to {})\n", n, a.out, Time(first), Time(last));
  }
  return 0;
}

}  // namespace

void AddCatalogCommands(CLI::App& app, Commands& out) {
  CLI::App* catalog = CatalogCommand(app);

  auto ls_root = std::make_shared<std::string>();
  CLI::App* ls = catalog->add_subcommand("ls", "List data series: type, identifier, files, rows");
  ls->add_option("catalog", *ls_root, "Catalog folder")->required();
  out.emplace_back(ls, [ls_root] {
    auto cat = OpenExisting(*ls_root);
    if (!cat) return Fail(cat.error());
    fmt::print("{:<10} {:<45} {:>6} {:>10}  {:<30}  {}\n", "type", "identifier", "files", "rows",
               "first ts_init", "last ts_init");
    for (auto t : {CatalogDataType::kQuote, CatalogDataType::kTrade, CatalogDataType::kBar}) {
      auto files = (*cat)->Files(t);
      if (!files) return Fail(files.error());
      for (std::size_t i = 0; i < files->size();) {
        std::size_t j = i;
        std::uint64_t rows = 0;
        for (; j < files->size() && (*files)[j].identifier == (*files)[i].identifier; ++j) {
          if ((*files)[j].chain) {
            rows += (*files)[j].rows;
            continue;
          }
          auto r = (*cat)->connection().Query(
              fmt::format("SELECT count(*) FROM read_parquet({})", duck::Quote((*files)[j].path)));
          if (!r) return Fail(r.error());
          auto c = r->Fetch();
          if (!c) return Fail(c.error());
          rows += static_cast<std::uint64_t>(c->Column<std::int64_t>(0)[0]);
        }
        fmt::print("{:<10} {:<45} {:>6} {:>10}  {:<30}  {}\n", CatalogDirName(t),
                   (*files)[i].identifier, j - i, rows, Time((*files)[i].start.value),
                   Time((*files)[j - 1].end.value));
        i = j;
      }
    }
    return 0;
  });

  auto info_root = std::make_shared<std::string>();
  CLI::App* info = catalog->add_subcommand("info", "Instruments and totals");
  info->add_option("catalog", *info_root, "Catalog folder")->required();
  out.emplace_back(info, [info_root] {
    auto cat = OpenExisting(*info_root);
    if (!cat) return Fail(cat.error());
    auto ins = (*cat)->Instruments();
    if (!ins) return Fail(ins.error());
    fmt::print("catalog {}\ninstruments: {}\n", *info_root, ins->size());
    for (const Instrument& i : *ins) {
      fmt::print("  {:<32} {:<7} tick {} lot {}{}\n", i.id.value(), ToString(i.instrument_class),
                 i.tick_size.ToString(), i.lot_size.ToString(),
                 i.instrument_class == InstrumentClass::kOption
                     ? fmt::format(" {} {} expires {}", ToString(i.option_kind),
                                   i.strike.ToString(), Time(i.expiration.value))
                     : std::string());
    }
    for (auto t : {CatalogDataType::kQuote, CatalogDataType::kTrade, CatalogDataType::kBar}) {
      auto files = (*cat)->Files(t);
      if (!files) return Fail(files.error());
      std::size_t series = 0;
      for (std::size_t i = 0; i < files->size(); ++i) {
        if (i == 0 || (*files)[i].identifier != (*files)[i - 1].identifier) ++series;
      }
      if (files->empty()) {
        fmt::print("{}: 0 series, 0 files\n", CatalogDirName(t));
        continue;
      }
      UnixNanos first = files->front().start;
      UnixNanos last = files->front().end;
      for (const CatalogFile& f : *files) {
        first = std::min(first, f.start);
        last = std::max(last, f.end);
      }
      fmt::print("{}: {} series, {} files, ts_init {} to {}\n", CatalogDirName(t), series,
                 files->size(), Time(first.value), Time(last.value));
    }
    return 0;
  });

  auto q_root = std::make_shared<std::string>();
  auto q_sql = std::make_shared<std::string>();
  CLI::App* query = catalog->add_subcommand(
      "query",
      "DuckDB SQL over views quote_tick, trade_tick, bar, instrument, option_quote, "
      "option_bar, chain_quote, option_chain (decimal prices, IST times) and *_raw");
  query->footer(CatalogViewsHelp());
  query->add_option("catalog", *q_root, "Catalog folder")->required();
  query->add_option("sql", *q_sql, "SQL")->required();
  out.emplace_back(query, [q_root, q_sql] {
    if (!fs::is_directory(fs::path(*q_root) / "data")) {
      return Fail(fmt::format("{} is not a catalog (no data/ folder)", *q_root));
    }
    return RunQuery(*q_root, *q_sql);
  });

  auto im = std::make_shared<ImportArgs>();
  CLI::App* imp =
      catalog->add_subcommand("import", "Import files into a catalog (created if needed)");
  imp->add_option("catalog", im->root, "Catalog folder")->required();
  imp->add_option("files", im->files, "Files to import")->required();
  imp->add_option("--format", im->opt.format,
                  "auto, nautilus, nse_index_1min, ohlcv_csv, csv, nse_oc_parquet, nse_oc_csv, "
                  "kite_json, nse_holidays");
  imp->add_option("--instrument", im->opt.instrument, "Instrument id (files without one)");
  imp->add_option("--bar-type", im->opt.bar_type, "Bar type (bars)");
  imp->add_option("--price-precision", im->opt.price_precision, "Price decimals");
  imp->add_option("--size-precision", im->opt.size_precision, "Size decimals");
  imp->add_option("--at", im->at, "Snapshot time 'YYYY-MM-DD HH:MM' IST (nse_oc_csv)");
  imp->add_option("--expiry", im->expiry, "Expiry YYYY-MM-DD (nse_oc_csv without one in the name)");
  imp->add_option("--holidays", im->opt.holidays_dir, "Folder with nse_fo_holidays_*.csv");
  imp->add_option("--bad-bars", im->opt.bad_bars,
                  "Bars whose high/low do not contain open/close: error (default), skip, widen");
  imp->add_option("--type", im->opt.data_type,
                  "csv: bar, quote or trade (default auto: quotes when the header has bid and "
                  "ask, trades when it has price, else bars)");
  imp->add_option("--column", im->columns,
                  "csv: FIELD=NAME maps a field to a header name (repeatable or comma-separated); "
                  "fields: time, open, high, low, close, volume, bid, ask, bid_size, ask_size, "
                  "price, size, aggressor, trade_id");
  imp->add_option("--time-column", im->time_column,
                  "csv: time column (default the first of Time, datetime, timestamp, ts_event)");
  imp->add_option("--time-format", im->time_format,
                  "csv: auto (default), epoch_s, epoch_ms, epoch_us, epoch_ns or datetime");
  imp->add_option("--utc-offset", im->utc_offset, "csv: offset of naive datetimes (+05:30)");
  imp->add_option("--layout", im->layout,
                  "Quotes per instrument (instrument, the default) or as chain files (chain: "
                  "the imported instruments' quotes are then compacted)");
  out.emplace_back(imp, [im] {
    auto layout = ParseCatalogLayout(im->layout);
    if (!layout) return Fail("--layout: " + layout.error());
    ImportOptions opt = im->opt;
    if (!im->at.empty()) {
      auto t = ParseDateTime(im->at, kIstOffset);
      if (!t) return Fail("--at: " + t.error());
      opt.at = *t;
    }
    if (!im->expiry.empty()) {
      auto d = ParseDate(im->expiry);
      if (!d) return Fail("--expiry: " + d.error());
      opt.expiry = *d;
    }
    if (!im->time_column.empty()) opt.csv.time_column = im->time_column;
    for (const std::string& list : im->columns) {
      std::size_t pos = 0;
      while (pos <= list.size()) {
        std::size_t end = list.find(',', pos);
        if (end == std::string::npos) end = list.size();
        const std::string item = list.substr(pos, end - pos);
        const std::size_t eq = item.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
          return Fail(fmt::format("--column '{}': expected FIELD=NAME", item));
        }
        opt.columns[item.substr(0, eq)] = item.substr(eq + 1);
        pos = end + 1;
      }
    }
    if (!im->time_format.empty()) opt.csv.time_format = im->time_format;
    if (!im->utc_offset.empty()) {
      auto p = ParseDateTime("2000-01-01T00:00" + im->utc_offset, 0);
      if (!p) return Fail("--utc-offset: " + p.error());
      opt.csv.utc_offset = -(p->value - FromUtc(2000, 1, 1, 0, 0).value);
    }
    // Every file is read and checked before anything is written: one bad row anywhere
    // leaves the catalog untouched.
    std::vector<ImportBatch> batches;
    int failures = 0;
    for (const std::string& f : im->files) {
      auto batch = ImportFile(f, opt);
      if (!batch) {
        fmt::print(stderr, "error: {}\n", batch.error());
        ++failures;
        continue;
      }
      batches.push_back(std::move(*batch));
    }
    if (failures > 0) {
      fmt::print(stderr, "error: nothing imported ({} of {} files failed)\n", failures,
                 im->files.size());
      return 2;
    }
    auto cat = Catalog::Open(im->root);
    if (!cat) return Fail(cat.error());
    std::vector<std::string> quoted;  // instruments whose quotes were imported
    for (ImportBatch& batch : batches) {
      for (const auto& [id, q] : batch.quotes) quoted.push_back(id);
      if (Status s = WriteImport(**cat, batch); !s) {
        fmt::print(stderr, "error: {}: {}\n", batch.path, s.error());
        ++failures;
        continue;
      }
      fmt::print("{}\n", batch.Describe());
      for (const std::string& w : batch.warnings) fmt::print("  warning: {}\n", w);
    }
    if (*layout == CatalogLayout::kChain && !quoted.empty() && failures == 0) {
      auto sum = CompactCatalog(**cat, quoted);
      if (!sum) return Fail(sum.error());
      PrintCompact(*sum);
    }
    return failures == 0 ? 0 : 2;
  });

  auto cp_root = std::make_shared<std::string>();
  auto cp_globs = std::make_shared<std::vector<std::string>>();
  CLI::App* compact = catalog->add_subcommand(
      "compact",
      "Convert per-instrument quote files into chain files (one per underlying per IST day)");
  compact->add_option("catalog", *cp_root, "Catalog folder")->required();
  compact->add_option("--instruments", *cp_globs, "Instrument ids or globs (default all)");
  out.emplace_back(compact, [cp_root, cp_globs] {
    auto cat = OpenExisting(*cp_root);
    if (!cat) return Fail(cat.error());
    auto sum = CompactCatalog(**cat, *cp_globs);
    if (!sum) return Fail(sum.error());
    PrintCompact(*sum);
    return 0;
  });

  auto ex = std::make_shared<ExportArgs>();
  CLI::App* exp = catalog->add_subcommand("export", "Export merged data as CSV");
  exp->add_option("catalog", ex->root, "Catalog folder")->required();
  exp->add_option("--type", ex->type, "quote, trade or bar (default quote)");
  exp->add_option("--instruments", ex->instruments, "Instrument ids or globs");
  exp->add_option("--start", ex->start,
                  "From ts_init: YYYY-MM-DD (00:00 IST that day) or YYYY-MM-DD HH:MM[:SS] "
                  "(IST unless an offset is given)");
  exp->add_option("--end", ex->end,
                  "Through ts_init, inclusive: YYYY-MM-DD (the whole IST day) or a time");
  exp->add_option("--out", ex->out, "Output CSV")->required();
  out.emplace_back(exp, [ex] { return RunExport(*ex); });
}

}  // namespace nacre::cli
