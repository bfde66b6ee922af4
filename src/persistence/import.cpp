#include "persistence/import.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "nse/calendar.h"
#include "nse/contracts.h"
#include "persistence/bar_csv.h"
#include "persistence/csv_text.h"
#include "persistence/duckdb.h"
#include "persistence/nse_option_chain_csv.h"
#include "persistence/tick_csv.h"

namespace nacre {

namespace fs = std::filesystem;

namespace {

using csv_text::Lines;
using csv_text::SplitQuoted;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Price at `precision` decimals (widened), or a message.
Result<Price> ParsePx(std::string_view text, int precision) {
  auto p = Price::Parse(text, precision);
  if (!p) return MakeError(p.error());
  return p;
}

std::string IndexIdFromFileName(const std::string& path) {
  const std::string name = fs::path(path).filename().string();
  if (name.rfind("BANKNIFTY", 0) == 0) return "NIFTY BANK.NSE";
  if (name.rfind("FINNIFTY", 0) == 0) return "NIFTY FIN SERVICE.NSE";
  if (name.rfind("NIFTY", 0) == 0) return "NIFTY 50.NSE";
  return "";
}

Result<Instrument> IndexInstrument(const std::string& id, int precision) {
  auto iid = InstrumentId::Parse(id);
  if (!iid) return MakeError(iid.error());
  return MakeIndex(*iid, precision, Price::Raw(5 * Pow10(kFixedPrecision - 2), 2));
}

// ---- formats ----

void Widen(Bar& b) {
  b.high = std::max({b.high, b.open, b.close, b.low});
  b.low = std::min({b.low, b.open, b.close, b.high});
}

Result<ImportBatch> ImportNseIndex(const std::string& path, const ImportOptions& o,
                                   BarCsvFormat format, const std::string& default_step) {
  ImportBatch b;
  std::string id = o.instrument.empty() ? IndexIdFromFileName(path) : o.instrument;
  if (id.empty() && o.bar_type.empty()) {
    return MakeError(
        fmt::format("{}: cannot tell the instrument from the file name; give "
                    "--instrument",
                    path));
  }
  const std::string bt_text = o.bar_type.empty() ? id + default_step : o.bar_type;
  auto bt = BarType::Parse(bt_text);
  if (!bt) return MakeError(fmt::format("{}: bar type: {}", path, bt.error()));
  BarCsvOptions opt;
  opt.format = format;
  opt.bar_type = *bt;
  opt.price_precision = o.price_precision < 0 ? 2 : o.price_precision;
  auto bars = LoadBarsCsv(path, opt);
  if (!bars) return MakeError(bars.error());
  auto ins = IndexInstrument(bt->instrument_id().value(), opt.price_precision);
  if (!ins) return MakeError(fmt::format("{}: {}", path, ins.error()));
  b.instruments.push_back(*ins);
  b.bars[bt->ToString()] = std::move(*bars);
  return b;
}

Result<ImportBatch> ImportMappedCsv(const std::string& path, const ImportOptions& o) {
  auto text = ReadWholeFile(path);
  if (!text) return MakeError(text.error());
  const std::string id = o.instrument.empty() ? IndexIdFromFileName(path) : o.instrument;
  if (o.bar_type.empty() && id.empty()) {
    return MakeError(fmt::format("{}: give --bar-type (or --instrument)", path));
  }
  // Default bar type: from the file name's "_15min_" / "_1min_" if present.
  std::string step = "-1-MINUTE-LAST-EXTERNAL";
  const std::string name = fs::path(path).filename().string();
  for (int m : {1, 3, 5, 10, 15, 30, 60}) {
    if (name.find(fmt::format("_{}min", m)) != std::string::npos) {
      step = fmt::format("-{}-MINUTE-LAST-EXTERNAL", m);
    }
  }
  auto bt = BarType::Parse(o.bar_type.empty() ? id + step : o.bar_type);
  if (!bt) return MakeError(fmt::format("{}: bar type: {}", path, bt.error()));
  const int prec = o.price_precision < 0 ? 2 : o.price_precision;
  const DurationNs interval = bt->spec().Interval();
  const auto lines = Lines(*text);
  if (lines.empty()) return MakeError(fmt::format("{}: empty file", path));
  const auto header = SplitQuoted(lines[0]);
  auto col = [&](const std::string& want, bool required) -> Result<std::size_t> {
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (Lower(header[i]) == Lower(want)) return i;
    }
    if (!required) return std::size_t(-1);
    return MakeError(fmt::format("{}:1: no column '{}' in the header", path, want));
  };
  const CsvBarMapping& m = o.csv;
  auto mapped = [&](const char* field, const std::string& def) {
    auto it = o.columns.find(field);
    return it == o.columns.end() ? def : it->second;
  };
  const std::string time_name =
      !m.time_column.empty() ? m.time_column : mapped("time", std::string());
  const std::size_t time_col = FindTimeColumn(header, time_name);
  if (time_col == kNoColumn) {
    return MakeError(fmt::format("{}:1: no time column{} in the header; give --time-column", path,
                                 time_name.empty() ? "" : " '" + time_name + "'"));
  }
  Result<std::size_t> ct = time_col;
  auto co = col(mapped("open", m.open), true);
  auto ch = col(mapped("high", m.high), true);
  auto cl = col(mapped("low", m.low), true);
  auto cc = col(mapped("close", m.close), true);
  const std::string vol = mapped("volume", m.volume);
  auto cv = col(vol.empty() ? "\x01none" : vol, !vol.empty());
  for (auto* r : {&ct, &co, &ch, &cl, &cc, &cv}) {
    if (!*r) return MakeError(r->error());
  }
  auto time_parser = CsvTimeParser::Make(m.time_format, m.utc_offset);
  if (!time_parser) return MakeError(fmt::format("{}: {}", path, time_parser.error()));
  std::vector<Bar> bars;
  std::uint64_t fixed = 0;
  for (std::size_t ln = 1; ln < lines.size(); ++ln) {
    if (lines[ln].empty()) continue;
    const auto f = SplitQuoted(lines[ln]);
    auto bad = [&](std::size_t c, std::string_view why) {
      return MakeError(fmt::format("{}:{}: column {} ({}): {}", path, ln + 1, c + 1,
                                   c < header.size() ? header[c] : "?", why));
    };
    const std::size_t need = std::max({*ct, *co, *ch, *cl, *cc}) + 1;
    if (f.size() < need) return bad(f.size(), fmt::format("expected at least {} fields", need));
    auto tp = time_parser->Parse(f[*ct]);
    if (!tp) return bad(*ct, tp.error());
    const UnixNanos t = *tp;
    Bar b;
    b.bar_type = *bt;
    Price* px[4] = {&b.open, &b.high, &b.low, &b.close};
    const std::size_t cols[4] = {*co, *ch, *cl, *cc};
    for (int k = 0; k < 4; ++k) {
      auto p = ParsePx(f[cols[k]], prec);
      if (!p) return bad(cols[k], p.error());
      *px[k] = *p;
    }
    b.volume = Quantity::Zero(o.size_precision < 0 ? 0 : o.size_precision);
    if (*cv != std::size_t(-1) && *cv < f.size() && !f[*cv].empty()) {
      auto q = Quantity::Parse(f[*cv]);
      if (!q) return bad(*cv, q.error());
      b.volume = *q;
    }
    b.ts_event = m.stamped_at_open ? t : t - interval;
    b.ts_init = b.ts_event + interval;
    if (Status s = ValidateBar(b); !s) {
      if (o.bad_bars == "skip") {
        ++fixed;
        continue;
      }
      if (o.bad_bars != "widen") {
        return bad(*co, s.error() + " (use --bad-bars skip|widen to import anyway)");
      }
      Widen(b);
      ++fixed;
    }
    if (!bars.empty() && b.ts_init <= bars.back().ts_init) {
      return bad(*ct, "time does not increase");
    }
    bars.push_back(b);
  }
  ImportBatch batch;
  batch.fixed = fixed;
  auto ins = IndexInstrument(bt->instrument_id().value(), prec);
  if (!ins) return MakeError(fmt::format("{}: {}", path, ins.error()));
  batch.instruments.push_back(*ins);
  batch.bars[bt->ToString()] = std::move(bars);
  return batch;
}

Result<ImportBatch> ImportNautilus(const std::string& path, const ImportOptions& o) {
  auto db = duck::Database::Open("", 1);
  if (!db) return MakeError(db.error());
  auto con = duck::Connection::Connect(**db);
  if (!con) return MakeError(con.error());
  auto r = (*con)->Query(fmt::format("DESCRIBE SELECT * FROM read_parquet({})", duck::Quote(path)));
  if (!r) return MakeError(fmt::format("{}: {}", path, r.error()));
  std::vector<std::string> cols;
  for (;;) {
    auto c = r->Fetch();
    if (!c) return MakeError(c.error());
    if (c->empty()) break;
    for (std::size_t i = 0; i < c->size(); ++i) cols.emplace_back(c->String(0, i));
  }
  auto has = [&](const char* n) { return std::find(cols.begin(), cols.end(), n) != cols.end(); };
  CatalogDataType type;
  if (has("bid_price")) {
    type = CatalogDataType::kQuote;
  } else if (has("price")) {
    type = CatalogDataType::kTrade;
  } else if (has("open")) {
    type = CatalogDataType::kBar;
  } else {
    return MakeError(
        fmt::format("{}: not quote, trade or bar data (columns: {})", path, fmt::join(cols, ", ")));
  }
  CatalogQuery q;
  q.defaults.instrument_id = o.instrument;
  q.defaults.bar_type = o.bar_type;
  q.defaults.price_precision = o.price_precision;
  q.defaults.size_precision = o.size_precision;
  CatalogFile file;
  file.type = type;
  file.path = path;
  auto s = ReadParquetFiles(type, {file}, q);
  if (!s) return MakeError(s.error());
  ImportBatch b;
  std::vector<MarketData> buf;
  for (;;) {
    if (Status st = (*s)->Next(buf, 8192); !st) return MakeError(st.error());
    if (buf.empty()) break;
    for (auto& d : buf) {
      if (auto* qt = std::get_if<QuoteTick>(&d)) {
        b.quotes[qt->instrument_id.value()].push_back(*qt);
      } else if (auto* tt = std::get_if<TradeTick>(&d)) {
        b.trades[tt->instrument_id.value()].push_back(*tt);
      } else {
        const Bar& bar = std::get<Bar>(d);
        b.bars[bar.bar_type.ToString()].push_back(bar);
      }
    }
  }
  return b;
}

Result<NseCalendar> LoadCalendar(const std::string& path, const ImportOptions& o) {
  NseCalendar cal;
  const fs::path dir =
      o.holidays_dir.empty() ? fs::path(path).parent_path() : fs::path(o.holidays_dir);
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("nse_fo_holidays_", 0) == 0 && e.path().extension() == ".csv") {
      if (Status s = cal.LoadHolidayFile(e.path().string()); !s) return MakeError(s.error());
    }
  }
  return cal;
}

// One NIFTY option contract (symbol, lot, expiry from src/nse).
Result<Instrument> NiftyOption(const CivilDate& expiry, Price strike, OptionKind kind,
                               const NseCalendar& cal) {
  const OptionUniverse u = OptionUniverse::Nifty();
  const ExpiryKind ek =
      u.expiry_rules.IsMonthlyExpiry(expiry, cal) ? ExpiryKind::kMonthly : ExpiryKind::kWeekly;
  ListedSeries s;
  s.expiry = Expiry{expiry, ek};
  s.listing = ListingDate(s.expiry, u, cal);
  auto lot = u.lot_sizes.LotSize(u.underlying, expiry, ek, s.listing);
  if (!lot) return MakeError(lot.error());
  s.lot = *lot;
  return MakeOptionContract(u, s, strike, kind, cal);
}

Result<ImportBatch> ImportOcParquet(const std::string& path, const ImportOptions& o) {
  auto cal = LoadCalendar(path, o);
  if (!cal) return MakeError(cal.error());
  auto db = duck::Database::Open("", 1);
  if (!db) return MakeError(db.error());
  auto con = duck::Connection::Connect(**db);
  if (!con) return MakeError(con.error());
  // Text casts keep the decimal digits as written (no binary rounding on our side).
  auto r = (*con)->Query(
      fmt::format("SELECT timestamp, symbol, expiry, CAST(strike AS VARCHAR), option_type, "
                  "CAST(spot AS DECIMAL(18,2))::VARCHAR, CAST(ltp AS DECIMAL(18,2))::VARCHAR, "
                  "CAST(volume AS BIGINT), CAST(oi AS BIGINT), iv, row_number() OVER () - 1 AS row "
                  "FROM read_parquet({})",
                  duck::Quote(path)));
  if (!r) return MakeError(fmt::format("{}: {}", path, r.error()));
  ImportBatch b;
  std::map<std::string, Instrument> instruments;
  std::map<std::string, std::map<std::int64_t, std::pair<Bar, ImportBatch::ChainStat>>> series;
  static const char* kNames[] = {"timestamp", "symbol", "expiry", "strike", "option_type",
                                 "spot",      "ltp",    "volume", "oi",     "iv"};
  for (;;) {
    auto c = r->Fetch();
    if (!c) return MakeError(fmt::format("{}: {}", path, c.error()));
    if (c->empty()) break;
    for (std::size_t i = 0; i < c->size(); ++i) {
      const std::int64_t row = c->Column<std::int64_t>(10)[i];
      auto bad = [&](std::size_t col, std::string_view why) {
        return MakeError(fmt::format("{}: row {}: column {}: {}", path, row, kNames[col], why));
      };
      for (std::size_t k = 0; k < 7; ++k) {
        if (!c->IsValid(k, i)) return bad(k, "NULL");
      }
      const std::string_view ts = c->String(0, i);
      int y, mo, d, h, mi;
      if (ts.size() != 12 ||
          std::sscanf(std::string(ts).c_str(), "%4d%2d%2d%2d%2d", &y, &mo, &d, &h, &mi) != 5) {
        return bad(0, fmt::format("'{}' is not YYYYMMDDHHMM", ts));
      }
      if (!IsValidDate(CivilDate{y, mo, d}) || h > 23 || mi > 59) {
        return bad(0, fmt::format("'{}' is not a valid time", ts));
      }
      const UnixNanos t = FromIst(y, mo, d, h, mi);
      if (c->String(1, i) != "NIFTY50" && c->String(1, i) != "NIFTY") {
        return bad(1, fmt::format("unsupported underlying '{}'", c->String(1, i)));
      }
      auto exp = ParseDdMonYyyy(c->String(2, i));
      if (!exp) return bad(2, exp.error());
      auto strike = Price::Parse(c->String(3, i));
      if (!strike) return bad(3, strike.error());
      const std::string_view ot = c->String(4, i);
      if (ot != "CE" && ot != "PE") return bad(4, fmt::format("'{}' is not CE or PE", ot));
      const OptionKind kind = ot == "CE" ? OptionKind::kCall : OptionKind::kPut;
      auto spot = Price::Parse(c->String(5, i), 2);
      if (!spot) return bad(5, spot.error());
      auto ltp = Price::Parse(c->String(6, i), 2);
      if (!ltp || !ltp->is_positive()) return bad(6, ltp ? "not positive" : ltp.error());
      const std::string key =
          fmt::format("{}|{}|{}", FormatDate(*exp), strike->raw(), static_cast<int>(kind));
      auto it = instruments.find(key);
      if (it == instruments.end()) {
        auto ins = NiftyOption(*exp, *strike, kind, *cal);
        if (!ins) return bad(2, ins.error());
        it = instruments.emplace(key, *ins).first;
      }
      const Instrument& ins = it->second;
      Bar bar;
      bar.bar_type = BarType(ins.id, BarSpecification{1, BarAggregation::kMinute, PriceType::kLast},
                             AggregationSource::kExternal);
      bar.open = bar.high = bar.low = bar.close = *ltp;
      bar.volume = Quantity::Zero(0);
      bar.ts_event = t;
      bar.ts_init = t + kNanosPerMinute;
      ImportBatch::ChainStat st;
      st.instrument_id = ins.id.value();
      st.ts = bar.ts_init;
      st.iv = c->IsValid(9, i) ? c->Column<double>(9)[i] : 0.0;
      st.oi = c->IsValid(8, i) ? c->Column<std::int64_t>(8)[i] : 0;
      st.volume = c->IsValid(7, i) ? c->Column<std::int64_t>(7)[i] : 0;
      st.spot_raw = spot->raw();
      // A later row for the same contract and minute replaces the earlier one.
      series[ins.id.value()][t.value] = {bar, st};
    }
  }
  for (auto& [k, ins] : instruments) b.instruments.push_back(ins);
  std::sort(b.instruments.begin(), b.instruments.end(),
            [](const Instrument& x, const Instrument& y) { return x.id < y.id; });
  for (auto& [id, by_ts] : series) {
    for (auto& [t, pair] : by_ts) {
      b.bars[pair.first.bar_type.ToString()].push_back(pair.first);
      b.chain_stats.push_back(pair.second);
    }
  }
  std::sort(b.chain_stats.begin(), b.chain_stats.end(),
            [](const ImportBatch::ChainStat& x, const ImportBatch::ChainStat& y) {
              return x.ts < y.ts || (x.ts == y.ts && x.instrument_id < y.instrument_id);
            });
  return b;
}

Result<ImportBatch> ImportOcCsv(const std::string& path, const ImportOptions& o) {
  auto text = ReadWholeFile(path);
  if (!text) return MakeError(text.error());
  if (!o.at) {
    return MakeError(
        fmt::format("{}: an NSE option-chain export has no time; give the "
                    "snapshot time with --at",
                    path));
  }
  std::optional<CivilDate> expiry = o.expiry;
  const std::string name = fs::path(path).filename().string();
  if (!expiry) {
    const auto p = name.find("exp");
    if (p != std::string::npos && p + 12 <= name.size()) {
      const std::string d = name.substr(p + 3, 9);  // 30Jun2026
      auto e = ParseDdMonYyyy(d.substr(0, 2) + "-" + d.substr(2, 3) + "-" + d.substr(5, 4));
      if (e) expiry = *e;
    }
  }
  if (!expiry) {
    return MakeError(
        fmt::format("{}: no expiry in the file name (…exp30Jun2026…); give "
                    "--expiry",
                    path));
  }
  auto cal = LoadCalendar(path, o);
  if (!cal) return MakeError(cal.error());
  auto chain = ParseNseOptionChainCsv(*text, path);
  if (!chain) return MakeError(chain.error());
  ImportBatch b;
  b.skipped = chain->empty_sides;
  b.one_sided = chain->one_sided;
  for (const NseChainRow& row : chain->rows) {
    for (std::size_t s = 0; s < 2; ++s) {
      const NseChainSide& side = row.side[s];
      if (!side.two_sided()) continue;  // empty or one-sided: counted by the parser
      const OptionKind kind = s == 0 ? OptionKind::kCall : OptionKind::kPut;
      auto ins = NiftyOption(*expiry, row.strike, kind, *cal);
      if (!ins) {
        return MakeError(
            fmt::format("{}: {}", chain->Where(row.line, chain->strike_col), ins.error()));
      }
      QuoteTick q;
      q.instrument_id = ins->id;
      q.bid_price = side.bid;
      q.ask_price = side.ask;
      q.bid_size = Quantity::FromInt(side.bid_qty);
      q.ask_size = Quantity::FromInt(side.ask_qty);
      q.ts_event = *o.at;
      q.ts_init = *o.at;
      b.instruments.push_back(*ins);
      b.quotes[ins->id.value()].push_back(q);
    }
  }
  // A QuoteTick has no empty side (a zero price would read as a real price of 0), so a
  // one-sided book is skipped, counted and named rather than invented.
  if (const std::string w = chain->OneSidedWarning(); !w.empty()) b.warnings.push_back(w);
  if (b.quotes.empty()) {
    b.warnings.push_back(fmt::format(
        "no two-sided quote in the file: {} strike sides without bid or ask, {} one-sided",
        b.skipped, b.one_sided));
  }
  std::sort(b.instruments.begin(), b.instruments.end(),
            [](const Instrument& x, const Instrument& y) { return x.id < y.id; });
  return b;
}

// Quotes or trades from a mapped CSV (tick_csv.h), with the instrument definition.
Result<ImportBatch> ImportMappedTicks(const std::string& path, const ImportOptions& o,
                                      CsvTickKind kind) {
  const std::string id = o.instrument.empty() ? IndexIdFromFileName(path) : o.instrument;
  if (id.empty()) {
    return MakeError(fmt::format("{}: give --instrument for the {} in this file", path,
                                 kind == CsvTickKind::kQuote ? "quotes" : "trades"));
  }
  auto iid = InstrumentId::Parse(id);
  if (!iid) return MakeError(fmt::format("{}: --instrument: {}", path, iid.error()));
  CsvTickOptions t;
  t.kind = kind;
  t.instrument_id = *iid;
  t.time_column = o.csv.time_column;
  t.time_format = o.csv.time_format;
  t.utc_offset = o.csv.utc_offset;
  t.columns = o.columns;
  t.price_precision = o.price_precision < 0 ? 2 : o.price_precision;
  t.size_precision = o.size_precision < 0 ? 0 : o.size_precision;
  auto ticks = LoadTicksCsv(path, t);
  if (!ticks) return MakeError(ticks.error());
  ImportBatch b;
  // A NIFTY option symbol on NFO is defined as its contract; anything else as an index.
  Result<Instrument> ins = MakeError("not an option");
  if (iid->venue().value() == "NFO") {
    const OptionUniverse u = OptionUniverse::Nifty();
    auto cal = LoadCalendar(path, o);
    if (!cal) return MakeError(cal.error());
    auto sym = ParseOptionSymbol(iid->symbol().value(), u.expiry_rules, *cal);
    if (sym) ins = NiftyOption(sym->expiry, sym->strike, sym->option_kind, *cal);
  }
  if (!ins) ins = IndexInstrument(id, t.price_precision);
  if (!ins) return MakeError(fmt::format("{}: {}", path, ins.error()));
  b.instruments.push_back(*ins);
  b.instruments_if_absent = true;
  if (kind == CsvTickKind::kQuote) {
    b.quotes[id] = std::move(ticks->quotes);
  } else {
    b.trades[id] = std::move(ticks->trades);
  }
  return b;
}

Result<ImportBatch> ImportCsv(const std::string& path, const ImportOptions& o) {
  static const char* kFields[] = {"time", "open",     "high",     "low",   "close",
                                  "volume", "bid",    "ask",      "bid_size", "ask_size",
                                  "price", "size",   "aggressor", "trade_id"};
  for (const auto& [field, name] : o.columns) {
    if (std::find_if(std::begin(kFields), std::end(kFields),
                     [&](const char* k) { return field == k; }) == std::end(kFields)) {
      return MakeError(fmt::format(
          "{}: unknown column field '{}' (time, open, high, low, close, volume, bid, ask, "
          "bid_size, ask_size, price, size, aggressor, trade_id)",
          path, field));
    }
  }
  if (o.data_type == "bar") return ImportMappedCsv(path, o);
  if (o.data_type == "quote") return ImportMappedTicks(path, o, CsvTickKind::kQuote);
  if (o.data_type == "trade") return ImportMappedTicks(path, o, CsvTickKind::kTrade);
  if (o.data_type != "auto") {
    return MakeError(
        fmt::format("unknown data type '{}' (auto, bar, quote, trade)", o.data_type));
  }
  auto kind = DetectCsvTickKind(path, o.columns);
  if (!kind) return ImportMappedCsv(path, o);
  return ImportMappedTicks(path, o, *kind);
}

// Kite candles via a SAX handler that keeps numbers as written (exact prices).
class CandleSax : public nlohmann::json_sax<nlohmann::json> {
 public:
  struct Row {
    std::vector<std::string> fields;
    std::size_t offset = 0;
  };
  std::vector<Row> rows;
  std::string status;

  bool null() override { return Field("null"); }
  bool boolean(bool v) override { return Field(v ? "true" : "false"); }
  bool number_integer(number_integer_t v) override { return Field(std::to_string(v)); }
  bool number_unsigned(number_unsigned_t v) override { return Field(std::to_string(v)); }
  bool number_float(number_float_t, const string_t& s) override { return Field(s); }
  bool string(string_t& v) override {
    if (depth_ == 1 && key_ == "status") status = v;
    return Field(v);
  }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    ++depth_;
    path_.push_back(key_);
    return true;
  }
  bool end_object() override {
    --depth_;
    path_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override {
    ++arr_depth_;
    if (in_candles() && arr_depth_ == 2) rows.push_back(Row{{}, pos_});
    if (key_ == "candles" && arr_depth_ == 1) candles_ = true;
    return true;
  }
  bool end_array() override {
    if (arr_depth_ == 1) candles_ = false;
    --arr_depth_;
    return true;
  }
  bool key(string_t& k) override {
    key_ = k;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    error = fmt::format("byte {}: {}", position, ex.what());
    return false;
  }
  std::string error;
  std::size_t pos_ = 0;

 private:
  bool in_candles() const { return candles_; }
  bool Field(std::string v) {
    if (in_candles() && arr_depth_ == 2 && !rows.empty())
      rows.back().fields.push_back(std::move(v));
    return true;
  }
  int depth_ = 0;
  int arr_depth_ = 0;
  bool candles_ = false;
  std::string key_;
  std::vector<std::string> path_;
};

Result<ImportBatch> ImportKiteJson(const std::string& path, const ImportOptions& o) {
  auto text = ReadWholeFile(path);
  if (!text) return MakeError(text.error());
  if (o.instrument.empty() && o.bar_type.empty()) {
    return MakeError(
        fmt::format("{}: Kite candles carry no instrument; give --instrument (and "
                    "--bar-type for intervals other than 1 minute)",
                    path));
  }
  auto bt =
      BarType::Parse(o.bar_type.empty() ? o.instrument + "-1-MINUTE-LAST-EXTERNAL" : o.bar_type);
  if (!bt) return MakeError(fmt::format("{}: bar type: {}", path, bt.error()));
  CandleSax sax;
  if (!nlohmann::json::sax_parse(*text, &sax) || !sax.error.empty()) {
    return MakeError(fmt::format("{}: invalid JSON: {}", path, sax.error));
  }
  if (sax.status != "success") {
    return MakeError(fmt::format("{}: status is '{}', not 'success'", path, sax.status));
  }
  const int prec = o.price_precision < 0 ? 2 : o.price_precision;
  const DurationNs interval = bt->spec().Interval();
  std::vector<Bar> bars;
  std::uint64_t fixed = 0;
  for (std::size_t i = 0; i < sax.rows.size(); ++i) {
    const auto& f = sax.rows[i].fields;
    auto bad = [&](std::size_t col, std::string_view why) {
      static const char* kCols[] = {"time", "open", "high", "low", "close", "volume", "oi"};
      return MakeError(fmt::format("{}: candle {}: field {} ({}): {}", path, i, col,
                                   col < 7 ? kCols[col] : "?", why));
    };
    if (f.size() < 5) return bad(f.size(), "expected [time, open, high, low, close, volume]");
    auto t = ParseDateTime(f[0], kIstOffset);
    if (!t) return bad(0, t.error());
    Bar b;
    b.bar_type = *bt;
    Price* px[4] = {&b.open, &b.high, &b.low, &b.close};
    for (std::size_t k = 0; k < 4; ++k) {
      auto p = ParsePx(f[k + 1], prec);
      if (!p) return bad(k + 1, p.error());
      *px[k] = *p;
    }
    b.volume = Quantity::Zero(0);
    if (f.size() > 5) {
      auto v = Quantity::Parse(f[5]);
      if (!v) return bad(5, v.error());
      b.volume = Quantity::Raw(v->raw(), 0);
      if (!FitsPrecision(v->raw(), 0)) return bad(5, "not a whole number");
    }
    b.ts_event = *t;
    b.ts_init = *t + interval;
    if (Status s = ValidateBar(b); !s) {
      if (o.bad_bars == "skip") {
        ++fixed;
        continue;
      }
      if (o.bad_bars != "widen") {
        return bad(1, s.error() + " (use --bad-bars skip|widen to import anyway)");
      }
      Widen(b);
      ++fixed;
    }
    if (!bars.empty() && b.ts_init <= bars.back().ts_init) return bad(0, "time does not increase");
    bars.push_back(b);
  }
  ImportBatch b;
  b.fixed = fixed;
  b.bars[bt->ToString()] = std::move(bars);
  return b;
}

Result<ImportBatch> ImportHolidays(const std::string& path) {
  auto text = ReadWholeFile(path);
  if (!text) return MakeError(text.error());
  NseCalendar cal;
  if (Status s = cal.LoadHolidays(*text, path); !s) return MakeError(s.error());
  ImportBatch b;
  b.holidays_text = *text;
  return b;
}

Result<std::string> Detect(const std::string& path) {
  const std::string ext = Lower(fs::path(path).extension().string());
  const std::string name = fs::path(path).filename().string();
  if (ext == ".json") return std::string("kite_json");
  if (ext == ".parquet") {
    return std::string(name.rfind("oc_", 0) == 0 ? "nse_oc_parquet" : "nautilus");
  }
  if (ext == ".csv") {
    std::ifstream in(path);
    if (!in) return MakeError(fmt::format("{}: cannot open", path));
    std::string first;
    std::getline(in, first);
    if (!first.empty() && first.back() == '\r') first.pop_back();
    if (IsNseOptionChainHeader(first)) return std::string("nse_oc_csv");
    if (first.rfind("Instrument,Date,Time", 0) == 0) return std::string("nse_index_1min");
    if (Lower(first).rfind("datetime,open,high,low,close", 0) == 0) {
      return std::string("ohlcv_csv");
    }
    if (first.rfind("Time,Open,High,Low,Close", 0) == 0) return std::string("csv");
    if (LooksLikeTickCsv(first)) return std::string("csv");
    if (ParseDdMonYyyy(first).ok()) return std::string("nse_holidays");
  }
  return MakeError(fmt::format("{}: cannot tell the format; give --format", path));
}

}  // namespace

std::uint64_t ImportBatch::rows() const {
  std::uint64_t n = 0;
  for (const auto& [k, v] : quotes) n += v.size();
  for (const auto& [k, v] : trades) n += v.size();
  for (const auto& [k, v] : bars) n += v.size();
  return n;
}

std::string ImportBatch::Describe() const {
  std::uint64_t q = 0, t = 0, b = 0;
  for (const auto& [k, v] : quotes) q += v.size();
  for (const auto& [k, v] : trades) t += v.size();
  for (const auto& [k, v] : bars) b += v.size();
  if (format == "nse_holidays") return fmt::format("{} [{}]: holiday list", path, format);
  return fmt::format(
      "{} [{}]: {} instruments, {} quotes, {} trades, {} bars{}{}{}{}{}", path, format,
      instruments.size(), q, t, b,
      chain_stats.empty() ? "" : fmt::format(", {} chain stats", chain_stats.size()),
      skipped ? fmt::format(", {} strike sides without a quote skipped", skipped) : "",
      one_sided ? fmt::format(", {} one-sided quotes skipped", one_sided) : "",
      fixed ? fmt::format(", {} bad bars fixed or skipped", fixed) : "",
      identical ? fmt::format(", {} series already present (identical)", identical) : "");
}

Result<ImportBatch> ImportFile(const std::string& path, const ImportOptions& o) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return MakeError(fmt::format("{}: no such file", path));
  std::string format = o.format;
  if (format == "auto" && (o.data_type != "auto" || !o.columns.empty())) {
    format = "csv";  // a data type or a column mapping only means something for csv
  }
  if (format == "auto") {
    auto d = Detect(path);
    if (!d) return MakeError(d.error());
    format = *d;
  }
  Result<ImportBatch> r = MakeError("unreachable");
  if (format == "nautilus") {
    r = ImportNautilus(path, o);
  } else if (format == "nse_index_1min") {
    r = ImportNseIndex(path, o, BarCsvFormat::kNseIndex1Min, "-1-MINUTE-LAST-EXTERNAL");
  } else if (format == "ohlcv_csv") {
    r = ImportNseIndex(path, o, BarCsvFormat::kGenericOhlcv, "-1-MINUTE-LAST-EXTERNAL");
  } else if (format == "csv") {
    r = ImportCsv(path, o);
  } else if (format == "nse_oc_parquet") {
    r = ImportOcParquet(path, o);
  } else if (format == "nse_oc_csv") {
    r = ImportOcCsv(path, o);
  } else if (format == "kite_json") {
    r = ImportKiteJson(path, o);
  } else if (format == "nse_holidays") {
    r = ImportHolidays(path);
  } else {
    return MakeError(
        fmt::format("unknown import format '{}' (auto, nautilus, nse_index_1min, ohlcv_csv, csv, "
                    "nse_oc_parquet, nse_oc_csv, kite_json, nse_holidays)",
                    format));
  }
  if (!r) return r;
  r->path = path;
  r->format = format;
  return r;
}

namespace {

bool Same(const QuoteTick& a, const QuoteTick& b) {
  return a.instrument_id == b.instrument_id && a.bid_price.raw() == b.bid_price.raw() &&
         a.ask_price.raw() == b.ask_price.raw() && a.bid_size.raw() == b.bid_size.raw() &&
         a.ask_size.raw() == b.ask_size.raw() && a.ts_event == b.ts_event &&
         a.ts_init == b.ts_init && a.bid_price.precision() == b.bid_price.precision() &&
         a.bid_size.precision() == b.bid_size.precision();
}
bool Same(const TradeTick& a, const TradeTick& b) {
  return a.instrument_id == b.instrument_id && a.price.raw() == b.price.raw() &&
         a.size.raw() == b.size.raw() && a.aggressor_side == b.aggressor_side &&
         a.trade_id == b.trade_id && a.ts_event == b.ts_event && a.ts_init == b.ts_init &&
         a.price.precision() == b.price.precision() && a.size.precision() == b.size.precision();
}
bool Same(const Bar& a, const Bar& b) {
  return a.bar_type == b.bar_type && a.open.raw() == b.open.raw() && a.high.raw() == b.high.raw() &&
         a.low.raw() == b.low.raw() && a.close.raw() == b.close.raw() &&
         a.volume.raw() == b.volume.raw() && a.ts_event == b.ts_event && a.ts_init == b.ts_init &&
         a.open.precision() == b.open.precision() && a.volume.precision() == b.volume.precision();
}

// True when the catalog already holds exactly `items` for the identifier over their range
// (re-importing the same data, e.g. the 64- and 128-bit variants of one file).
template <typename T>
bool Identical(Catalog& catalog, CatalogDataType type, const std::string& id,
               const std::vector<T>& items) {
  CatalogQuery q;
  q.type = type;
  q.instruments = {id};
  q.start = items.front().ts_init;
  q.end = items.back().ts_init;
  auto s = catalog.Read(q);
  if (!s) return false;
  std::vector<MarketData> buf;
  std::size_t i = 0;
  for (;;) {
    if (!(*s)->Next(buf, 8192).ok()) return false;
    if (buf.empty()) break;
    for (const auto& d : buf) {
      const T* x = std::get_if<T>(&d);
      if (x == nullptr || i >= items.size() || !Same(*x, items[i])) return false;
      ++i;
    }
  }
  return i == items.size();
}

}  // namespace

Status WriteImport(Catalog& catalog, ImportBatch& b) {
  std::uint64_t& identical = b.identical;
  if (!b.holidays_text.empty()) {
    const fs::path dir = fs::path(catalog.root()) / "reference";
    std::error_code ec;
    fs::create_directories(dir, ec);
    const fs::path out = dir / fs::path(b.path).filename();
    std::ofstream f(out, std::ios::binary | std::ios::trunc);
    f << b.holidays_text;
    if (!f) return MakeError(fmt::format("{}: cannot write", out.string()));
    return Status::Ok();
  }
  if (b.instruments_if_absent && !b.instruments.empty()) {
    auto known = catalog.Instruments();
    if (!known) return MakeError(known.error());
    std::vector<Instrument> fresh;
    for (const Instrument& i : b.instruments) {
      const bool defined = std::any_of(known->begin(), known->end(),
                                       [&](const Instrument& k) { return k.id == i.id; });
      if (!defined) fresh.push_back(i);
    }
    b.instruments = std::move(fresh);
  }
  if (Status s = catalog.WriteInstruments(b.instruments); !s) return s;
  for (const auto& [id, v] : b.quotes) {
    if (Status s = catalog.WriteQuotes(v[0].instrument_id, v); !s) {
      if (!Identical(catalog, CatalogDataType::kQuote, id, v)) return s;
      ++identical;
    }
  }
  for (const auto& [id, v] : b.trades) {
    if (Status s = catalog.WriteTrades(v[0].instrument_id, v); !s) {
      if (!Identical(catalog, CatalogDataType::kTrade, id, v)) return s;
      ++identical;
    }
  }
  for (const auto& [bt, v] : b.bars) {
    if (Status s = catalog.WriteBars(v[0].bar_type, v); !s) {
      if (!Identical(catalog, CatalogDataType::kBar, bt, v)) return s;
      ++identical;
    }
  }
  if (!b.chain_stats.empty()) {
    duck::Connection& con = catalog.connection();
    const std::string table = "nacre_w_chain";
    if (Status s = con.Execute("CREATE OR REPLACE TEMP TABLE " + table +
                               " (instrument_id VARCHAR, ts_init UBIGINT, iv DOUBLE, oi BIGINT, "
                               "volume BIGINT, spot BIGINT)");
        !s) {
      return s;
    }
    {
      auto app = con.MakeAppender(table);
      if (!app) return MakeError(app.error());
      for (const auto& st : b.chain_stats) {
        app->Varchar(st.instrument_id);
        app->UInt64(static_cast<std::uint64_t>(st.ts.value));
        app->Double(st.iv);
        app->Int64(st.oi);
        app->Int64(st.volume);
        app->Int64(st.spot_raw);
        app->EndRow();
      }
      if (Status s = app->Close(); !s) return s;
    }
    const fs::path dir = fs::path(catalog.root()) / "data/option_chain/NIFTY";
    std::error_code ec;
    fs::create_directories(dir, ec);
    const std::string out =
        (dir / CatalogFileName(b.chain_stats.front().ts, b.chain_stats.back().ts)).string();
    if (fs::exists(out)) return MakeError(fmt::format("{}: already exists", out));
    Status s = con.Execute(fmt::format("COPY {} TO {} (FORMAT parquet)", table, duck::Quote(out)));
    (void)con.Execute("DROP TABLE IF EXISTS " + table);
    if (!s) return s;
  }
  return Status::Ok();
}

}  // namespace nacre
