#include "persistence/catalog.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>
#include <queue>
#include <system_error>
#include <unordered_map>

#include "persistence/duckdb.h"

namespace nacre {

namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kMaxTs = std::numeric_limits<std::int64_t>::max();

std::string DataDir(const std::string& root, CatalogDataType t) {
  return root + "/data/" + std::string(CatalogDirName(t));
}

// ---- base64 and a minimal FlatBuffers walk of an Arrow IPC Schema message ----

std::string Base64Decode(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = val(c);
    if (v < 0) continue;  // padding, whitespace
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

class FlatBuf {
 public:
  explicit FlatBuf(std::string_view b) : b_(b) {}
  bool U32(std::size_t pos, std::uint32_t& v) const {
    if (pos + 4 > b_.size()) return false;
    std::memcpy(&v, b_.data() + pos, 4);
    return true;
  }
  bool U16(std::size_t pos, std::uint16_t& v) const {
    if (pos + 2 > b_.size()) return false;
    std::memcpy(&v, b_.data() + pos, 2);
    return true;
  }
  // Position of field `i`'s data in the table at `table`, or 0 when absent/invalid.
  std::size_t Field(std::size_t table, int i) const {
    std::uint32_t soff = 0;
    if (!U32(table, soff)) return 0;
    const auto vt = static_cast<std::int64_t>(table) - static_cast<std::int32_t>(soff);
    if (vt < 0) return 0;
    std::uint16_t vsize = 0;
    if (!U16(static_cast<std::size_t>(vt), vsize)) return 0;
    const std::size_t slot = 4 + 2 * static_cast<std::size_t>(i);
    if (slot + 2 > vsize) return 0;
    std::uint16_t off = 0;
    if (!U16(static_cast<std::size_t>(vt) + slot, off) || off == 0) return 0;
    return table + off;
  }
  // Follows the uoffset stored at `pos`.
  std::size_t Deref(std::size_t pos) const {
    std::uint32_t off = 0;
    if (pos == 0 || !U32(pos, off) || pos + off >= b_.size()) return 0;
    return pos + off;
  }
  bool String(std::size_t pos, std::string& out) const {
    std::uint32_t n = 0;
    if (pos == 0 || !U32(pos, n) || pos + 4 + n > b_.size()) return false;
    out.assign(b_.data() + pos + 4, n);
    return true;
  }

 private:
  std::string_view b_;
};

// Custom metadata of the Schema in an Arrow IPC message (optionally with the 0xFFFFFFFF
// continuation marker and length prefix).
std::vector<std::pair<std::string, std::string>> ArrowSchemaMetadata(std::string_view msg) {
  std::vector<std::pair<std::string, std::string>> kv;
  std::uint32_t first = 0;
  if (msg.size() < 8) return kv;
  std::memcpy(&first, msg.data(), 4);
  msg.remove_prefix(first == 0xFFFFFFFFu ? 8 : 4);
  FlatBuf fb(msg);
  std::uint32_t root = 0;
  if (!fb.U32(0, root) || root == 0 || root >= msg.size()) return kv;
  const std::size_t message = root;
  const std::size_t schema = fb.Deref(fb.Field(message, 2));  // Message.header
  if (schema == 0) return kv;
  const std::size_t vec = fb.Deref(fb.Field(schema, 2));  // Schema.custom_metadata
  std::uint32_t n = 0;
  if (vec == 0 || !fb.U32(vec, n)) return kv;
  for (std::uint32_t i = 0; i < n && i < 1024; ++i) {
    const std::size_t item = fb.Deref(vec + 4 + 4 * static_cast<std::size_t>(i));
    if (item == 0) continue;
    std::string k;
    std::string v;
    if (fb.String(fb.Deref(fb.Field(item, 0)), k) && fb.String(fb.Deref(fb.Field(item, 1)), v)) {
      kv.emplace_back(std::move(k), std::move(v));
    }
  }
  return kv;
}

void ApplyMeta(ParquetDataMeta& m, const std::string& key, const std::string& value) {
  auto to_int = [](const std::string& s) {
    int v = -1;
    if (s.empty() || s.size() > 2) return -1;
    v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return -1;
      v = v * 10 + (c - '0');
    }
    return v;
  };
  if (key == "instrument_id") m.instrument_id = value;
  if (key == "bar_type") m.bar_type = value;
  if (key == "price_precision") m.price_precision = to_int(value);
  if (key == "size_precision") m.size_precision = to_int(value);
}

std::string TsLiteral(UnixNanos t) { return fmt::format("{}", t.value); }

Result<std::vector<std::string>> ListDirs(const std::string& dir) {
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

}  // namespace

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

Result<ParquetDataMeta> ReadParquetDataMeta(duck::Connection& con, const std::string& path) {
  auto r = con.Query(fmt::format("SELECT decode(key), decode(value) FROM parquet_kv_metadata({})",
                                 duck::Quote(path)));
  if (!r) return MakeError(r.error());
  ParquetDataMeta m;
  for (;;) {
    auto c = r->Fetch();
    if (!c) return MakeError(c.error());
    if (c->empty()) break;
    for (std::size_t i = 0; i < c->size(); ++i) {
      const std::string key(c->String(0, i));
      const std::string value(c->String(1, i));
      if (key == "ARROW:schema") {
        for (const auto& [k, v] : ArrowSchemaMetadata(Base64Decode(value))) ApplyMeta(m, k, v);
      } else {
        ApplyMeta(m, key, value);
      }
    }
  }
  return m;
}

Status ReadParquetDataMetaBatch(duck::Connection& con, std::vector<CatalogFile>& files) {
  constexpr std::size_t kBatch = 512;  // paths per query (keeps the SQL text modest)
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < files.size(); ++i) index.emplace(files[i].path, i);
  for (std::size_t from = 0; from < files.size(); from += kBatch) {
    const std::size_t to = std::min(files.size(), from + kBatch);
    std::string list;
    for (std::size_t i = from; i < to; ++i) {
      if (!list.empty()) list += ", ";
      list += duck::Quote(files[i].path);
      files[i].meta = ParquetDataMeta{};
    }
    auto r = con.Query(fmt::format(
        "SELECT file_name, decode(key), decode(value) FROM parquet_kv_metadata([{}])", list));
    if (!r) return MakeError(r.error());
    for (;;) {
      auto c = r->Fetch();
      if (!c) return MakeError(c.error());
      if (c->empty()) break;
      for (std::size_t i = 0; i < c->size(); ++i) {
        auto it = index.find(std::string(c->String(0, i)));
        if (it == index.end()) continue;
        ParquetDataMeta& m = *files[it->second].meta;
        const std::string key(c->String(1, i));
        const std::string value(c->String(2, i));
        if (key == "ARROW:schema") {
          for (const auto& [k, v] : ArrowSchemaMetadata(Base64Decode(value))) ApplyMeta(m, k, v);
        } else {
          ApplyMeta(m, key, value);
        }
      }
    }
  }
  return Status::Ok();
}

// ------------------------------------------------------------------------------------------
// Writing

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
  const std::string dir = DataDir(root_, type) + "/" + identifier;
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
  const std::string dir = DataDir(root_, type) + "/" + identifier;
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

// ------------------------------------------------------------------------------------------
// Instruments

namespace {

constexpr const char* kInstrumentColumns =
    "id VARCHAR, instrument_class VARCHAR, raw_symbol VARCHAR, currency VARCHAR, "
    "currency_precision INTEGER, price_precision INTEGER, tick_size BIGINT, "
    "tick_precision INTEGER, size_precision INTEGER, lot_size BIGINT, lot_precision INTEGER, "
    "multiplier BIGINT, freeze_quantity BIGINT, margin_init BIGINT, margin_maint BIGINT, "
    "underlying VARCHAR, activation BIGINT, expiration BIGINT, option_kind VARCHAR, "
    "strike BIGINT, strike_precision INTEGER";

// Every field, for "defined identically" checks.
std::string InstrumentKey(const Instrument& i) {
  return fmt::format(
      "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", i.id.value(),
      ToString(i.instrument_class), i.raw_symbol.value(), i.currency.Code(), i.currency.precision,
      i.price_precision, i.tick_size.raw(), i.tick_size.precision(), i.size_precision,
      i.lot_size.raw(), i.lot_size.precision(), i.multiplier,
      i.freeze_quantity ? fmt::format("{}", i.freeze_quantity->raw()) : "-", i.margin_init_raw,
      i.margin_maint_raw, i.underlying.value(), i.activation.value, i.expiration.value,
      ToString(i.option_kind), i.strike.raw(), i.strike.precision());
}

}  // namespace

Status Catalog::WriteInstruments(std::span<const Instrument> instruments) {
  if (instruments.empty()) return Status::Ok();
  auto existing = Instruments();
  if (!existing) return MakeError(existing.error());
  std::map<std::string, std::string> known;
  for (const Instrument& i : *existing) known[i.id.value()] = InstrumentKey(i);
  std::vector<const Instrument*> fresh;
  for (const Instrument& i : instruments) {
    if (i.id.empty()) return MakeError("catalog write of instruments: empty instrument id");
    const std::string key = InstrumentKey(i);
    auto it = known.find(i.id.value());
    if (it != known.end()) {
      if (it->second != key) {
        return MakeError(
            fmt::format("catalog write of instruments: {} is already defined differently in {}",
                        i.id.value(), root_ + "/data/instrument"));
      }
      continue;
    }
    known.emplace(i.id.value(), key);
    fresh.push_back(&i);
  }
  if (fresh.empty()) return Status::Ok();
  const std::string table = "nacre_w_instruments";
  if (Status s = con_->Execute(
          fmt::format("CREATE OR REPLACE TEMP TABLE {} ({})", table, kInstrumentColumns));
      !s) {
    return s;
  }
  {
    auto app = con_->MakeAppender(table);
    if (!app) return MakeError(app.error());
    for (const Instrument* p : fresh) {
      const Instrument& i = *p;
      app->Varchar(i.id.value());
      app->Varchar(ToString(i.instrument_class));
      app->Varchar(i.raw_symbol.value());
      app->Varchar(i.currency.Code());
      app->Int32(i.currency.precision);
      app->Int32(i.price_precision);
      app->Int64(i.tick_size.raw());
      app->Int32(i.tick_size.precision());
      app->Int32(i.size_precision);
      app->Int64(i.lot_size.raw());
      app->Int32(i.lot_size.precision());
      app->Int64(i.multiplier);
      if (i.freeze_quantity) {
        app->Int64(i.freeze_quantity->raw());
      } else {
        app->Null();
      }
      app->Int64(i.margin_init_raw);
      app->Int64(i.margin_maint_raw);
      app->Varchar(i.underlying.value());
      app->Int64(i.activation.value);
      app->Int64(i.expiration.value);
      app->Varchar(ToString(i.option_kind));
      app->Int64(i.strike.raw());
      app->Int32(i.strike.precision());
      app->EndRow();
    }
    if (Status s = app->Close(); !s) return s;
  }
  const std::string dir = root_ + "/data/instrument";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return MakeError(fmt::format("{}: cannot create: {}", dir, ec.message()));
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".parquet") ++n;
  }
  const std::string path = fmt::format("{}/instruments-{:06}.parquet", dir, n + 1);
  const std::string tmp = path + ".tmp";
  Status s = con_->Execute(fmt::format("COPY (SELECT * FROM {} ORDER BY id) TO {} (FORMAT parquet)",
                                       table, duck::Quote(tmp)));
  (void)con_->Execute("DROP TABLE IF EXISTS " + table);
  if (!s) return s;
  fs::rename(tmp, path, ec);
  if (ec) return MakeError(fmt::format("{}: cannot rename: {}", path, ec.message()));
  return Status::Ok();
}

Result<std::vector<Instrument>> Catalog::Instruments(const std::vector<std::string>& globs) {
  std::vector<Instrument> out;
  const std::string dir = root_ + "/data/instrument";
  std::error_code ec;
  bool any = false;
  if (fs::exists(dir, ec)) {
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      if (e.path().extension() == ".parquet") any = true;
    }
  }
  if (!any) return out;
  const std::string pattern = dir + "/*.parquet";
  auto r = con_->Query(fmt::format(
      "SELECT id, instrument_class, raw_symbol, currency, currency_precision, price_precision, "
      "tick_size, tick_precision, size_precision, lot_size, lot_precision, multiplier, "
      "freeze_quantity, margin_init, margin_maint, underlying, activation, expiration, "
      "option_kind, strike, strike_precision, filename FROM read_parquet({}, filename = true) "
      "ORDER BY id",
      duck::Quote(pattern)));
  if (!r) return MakeError(r.error());
  for (;;) {
    auto c = r->Fetch();
    if (!c) return MakeError(c.error());
    if (c->empty()) break;
    auto i32 = [&](std::size_t col) { return c->Column<std::int32_t>(col); };
    auto i64 = [&](std::size_t col) { return c->Column<std::int64_t>(col); };
    for (std::size_t row = 0; row < c->size(); ++row) {
      const std::string file(c->String(21, row));
      auto bad = [&](const char* field, std::string_view why) {
        return MakeError(fmt::format("{}: instrument row {} ({}): field {}: {}", file, row,
                                     c->String(0, row), field, why));
      };
      for (std::size_t col = 0; col < 21; ++col) {
        if (col != 12 && !c->IsValid(col, row)) return bad("?", "unexpected NULL");
      }
      const std::string id_text(c->String(0, row));
      bool match = globs.empty();
      for (const auto& g : globs) match = match || GlobMatch(g, id_text);
      if (!match) continue;
      Instrument ins;
      auto id = InstrumentId::Parse(id_text);
      if (!id) return bad("id", id.error());
      ins.id = *id;
      auto cls = ParseEnum<InstrumentClass>(c->String(1, row));
      if (!cls) return bad("instrument_class", "unknown value");
      ins.instrument_class = *cls;
      ins.raw_symbol = Symbol(c->String(2, row));
      auto cur = Currency::FromCode(c->String(3, row));
      if (!cur) return bad("currency", cur.error());
      ins.currency = *cur;
      ins.currency.precision = static_cast<std::uint8_t>(i32(4)[row]);
      ins.price_precision = i32(5)[row];
      auto tick = Price::FromRaw(i64(6)[row], i32(7)[row]);
      if (!tick) return bad("tick_size", tick.error());
      ins.tick_size = *tick;
      ins.size_precision = i32(8)[row];
      auto lot = Quantity::FromRaw(i64(9)[row], i32(10)[row]);
      if (!lot) return bad("lot_size", lot.error());
      ins.lot_size = *lot;
      ins.multiplier = i64(11)[row];
      if (c->IsValid(12, row)) {
        auto fq = Quantity::FromRaw(i64(12)[row], ins.size_precision);
        if (!fq) return bad("freeze_quantity", fq.error());
        ins.freeze_quantity = *fq;
      }
      ins.margin_init_raw = i64(13)[row];
      ins.margin_maint_raw = i64(14)[row];
      const std::string_view und = c->String(15, row);
      if (!und.empty()) {
        auto u = InstrumentId::Parse(und);
        if (!u) return bad("underlying", u.error());
        ins.underlying = *u;
      }
      ins.activation = UnixNanos(i64(16)[row]);
      ins.expiration = UnixNanos(i64(17)[row]);
      auto kind = ParseEnum<OptionKind>(c->String(18, row));
      if (!kind) return bad("option_kind", "unknown value");
      ins.option_kind = *kind;
      auto strike = Price::FromRaw(i64(19)[row], i32(20)[row]);
      if (!strike) return bad("strike", strike.error());
      ins.strike = *strike;
      out.push_back(std::move(ins));
    }
  }
  return out;
}

Result<std::vector<CatalogFile>> Catalog::Files(CatalogDataType type,
                                                const std::vector<std::string>& globs) const {
  const std::string base = DataDir(root_, type);
  auto dirs = ListDirs(base);
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
    std::error_code ec;
    const std::string dir = base + "/" + ident;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      const std::string name = e.path().filename().string();
      if (e.path().extension() != ".parquet") continue;
      auto range = ParseCatalogFileName(name);
      if (!range) return MakeError(fmt::format("{}: {}", dir, range.error()));
      files.push_back(
          CatalogFile{type, ident, e.path().string(), range->first, range->second, std::nullopt});
    }
    if (ec) return MakeError(fmt::format("{}: {}", dir, ec.message()));
    std::sort(files.begin(), files.end(),
              [](const CatalogFile& a, const CatalogFile& b) { return a.start < b.start; });
    out.insert(out.end(), files.begin(), files.end());
  }
  return out;
}

// ------------------------------------------------------------------------------------------
// Streaming reader

namespace {

constexpr std::int64_t kPow7 = 10'000'000;

// How a fixed-point column is stored.
enum class RawKind : std::uint8_t { kInt64, kBin8, kBin16 };

// One Parquet file read chunk by chunk through its own connection's streaming result.
class FileCursor {
 public:
  FileCursor(CatalogFile file, std::size_t index) : file_(std::move(file)), index_(index) {}

  const CatalogFile& file() const { return file_; }
  std::size_t index() const { return index_; }
  UnixNanos ts() const { return UnixNanos(static_cast<std::int64_t>(ts_init_[row_])); }
  bool done() const { return done_; }

  Status Open(duck::Database& db, const CatalogQuery& q) {
    auto con = duck::Connection::Connect(db);
    if (!con) return MakeError(con.error());
    con_ = std::move(*con);
    if (file_.meta) {
      meta_ = *file_.meta;
    } else {
      auto meta = ReadParquetDataMeta(*con_, file_.path);
      if (!meta) return MakeError(meta.error());
      meta_ = *meta;
    }
    if (meta_.instrument_id.empty()) meta_.instrument_id = q.defaults.instrument_id;
    if (meta_.bar_type.empty()) meta_.bar_type = q.defaults.bar_type;
    if (meta_.price_precision < 0) meta_.price_precision = q.defaults.price_precision;
    if (meta_.size_precision < 0) meta_.size_precision = q.defaults.size_precision;
    if (meta_.price_precision < 0 || meta_.price_precision > kMaxPrecision) {
      return MakeError(
          fmt::format("{}: no valid price_precision in the file's metadata (give "
                      "one, e.g. --price-precision)",
                      file_.path));
    }
    if (meta_.size_precision < 0 || meta_.size_precision > kMaxPrecision) {
      return MakeError(
          fmt::format("{}: no valid size_precision in the file's metadata (give "
                      "one, e.g. --size-precision)",
                      file_.path));
    }
    std::string cols;
    switch (file_.type) {
      case CatalogDataType::kQuote:
        cols = "bid_price, ask_price, bid_size, ask_size, ts_event, ts_init";
        if (meta_.instrument_id.empty()) return NoId();
        break;
      case CatalogDataType::kTrade:
        cols = "price, size, aggressor_side, trade_id, ts_event, ts_init";
        if (meta_.instrument_id.empty()) return NoId();
        break;
      case CatalogDataType::kBar:
        cols = "open, high, low, close, volume, ts_event, ts_init";
        if (meta_.bar_type.empty()) {
          return MakeError(
              fmt::format("{}: no bar_type in the file's metadata (give one)", file_.path));
        }
        break;
    }
    if (file_.type == CatalogDataType::kBar) {
      auto bt = BarType::Parse(meta_.bar_type);
      if (!bt) return MakeError(fmt::format("{}: bar_type: {}", file_.path, bt.error()));
      bar_type_ = *bt;
    } else {
      auto id = InstrumentId::Parse(meta_.instrument_id);
      if (!id) return MakeError(fmt::format("{}: instrument_id: {}", file_.path, id.error()));
      id_ = *id;
    }
    std::string where;
    if (q.start) where += " AND ts_init >= " + TsLiteral(*q.start);
    if (q.end) where += " AND ts_init <= " + TsLiteral(*q.end);
    const std::string sql = fmt::format("SELECT {} FROM read_parquet({}) WHERE true{}", cols,
                                        duck::Quote(file_.path), where);
    auto r = con_->Stream(sql);
    if (!r) return MakeError(fmt::format("{}: {}", file_.path, r.error()));
    result_.emplace(std::move(*r));
    const std::size_t ncols = result_->column_count();
    kinds_.assign(ncols, RawKind::kInt64);
    for (std::size_t c = 0; c < ncols; ++c) {
      const duckdb_type t = result_->column_type(c);
      const std::string name = result_->column_name(c);
      const bool ts_col = name == "ts_event" || name == "ts_init";
      const bool small_col = name == "aggressor_side" || name == "trade_id";
      if (ts_col) {
        if (t != DUCKDB_TYPE_UBIGINT && t != DUCKDB_TYPE_BIGINT) return BadType(name);
      } else if (!small_col) {
        if (t == DUCKDB_TYPE_BLOB) {
          kinds_[c] = RawKind::kBin8;  // refined per value by its length (8 or 16)
        } else if (t != DUCKDB_TYPE_BIGINT) {
          return BadType(name);
        }
      }
      names_.push_back(name);
    }
    return Fetch();
  }

  // Moves to the next row; fetches the next chunk when needed. done() afterwards = exhausted.
  Status Advance() {
    const UnixNanos prev = ts();
    if (++row_ < size_) {
      if (ts() < prev) return Decreasing(prev);
      return Status::Ok();
    }
    if (Status s = Fetch(); !s) return s;
    if (!done_ && ts() < prev) return Decreasing(prev);
    return Status::Ok();
  }

  Status Emit(std::vector<MarketData>& out) {
    switch (file_.type) {
      case CatalogDataType::kQuote: {
        QuoteTick q;
        q.instrument_id = id_;
        std::int64_t r[4];
        for (std::size_t c = 0; c < 4; ++c) {
          if (Status s = RawAt(c, r[c]); !s) return s;
        }
        auto bp = Price::FromRaw(r[0], meta_.price_precision);
        auto ap = Price::FromRaw(r[1], meta_.price_precision);
        auto bs = Quantity::FromRaw(r[2], meta_.size_precision);
        auto as = Quantity::FromRaw(r[3], meta_.size_precision);
        if (!bp) return BadValue(0, bp.error());
        if (!ap) return BadValue(1, ap.error());
        if (!bs) return BadValue(2, bs.error());
        if (!as) return BadValue(3, as.error());
        q.bid_price = *bp;
        q.ask_price = *ap;
        q.bid_size = *bs;
        q.ask_size = *as;
        q.ts_event = TsAt(4);
        q.ts_init = TsAt(5);
        out.emplace_back(q);
        return Status::Ok();
      }
      case CatalogDataType::kTrade: {
        TradeTick t;
        t.instrument_id = id_;
        std::int64_t r[2];
        for (std::size_t c = 0; c < 2; ++c) {
          if (Status s = RawAt(c, r[c]); !s) return s;
        }
        auto px = Price::FromRaw(r[0], meta_.price_precision);
        auto sz = Quantity::FromRaw(r[1], meta_.size_precision);
        if (!px) return BadValue(0, px.error());
        if (!sz) return BadValue(1, sz.error());
        t.price = *px;
        t.size = *sz;
        if (!chunk_.IsValid(2, row_) || !chunk_.IsValid(3, row_)) return BadValue(2, "NULL");
        const std::uint8_t side = chunk_.Column<std::uint8_t>(2)[row_];
        if (side > 2) return BadValue(2, fmt::format("aggressor side {} not 0, 1 or 2", side));
        t.aggressor_side =
            side == 1 ? OrderSide::kBuy : (side == 2 ? OrderSide::kSell : OrderSide::kNoSide);
        t.trade_id = TradeId(chunk_.String(3, row_));
        t.ts_event = TsAt(4);
        t.ts_init = TsAt(5);
        out.emplace_back(t);
        return Status::Ok();
      }
      case CatalogDataType::kBar: {
        Bar b;
        b.bar_type = bar_type_;
        std::int64_t r[5];
        for (std::size_t c = 0; c < 5; ++c) {
          if (Status s = RawAt(c, r[c]); !s) return s;
        }
        Price* px[4] = {&b.open, &b.high, &b.low, &b.close};
        for (std::size_t c = 0; c < 4; ++c) {
          auto p = Price::FromRaw(r[c], meta_.price_precision);
          if (!p) return BadValue(c, p.error());
          *px[c] = *p;
        }
        auto v = Quantity::FromRaw(r[4], meta_.size_precision);
        if (!v) return BadValue(4, v.error());
        b.volume = *v;
        b.ts_event = TsAt(5);
        b.ts_init = TsAt(6);
        out.emplace_back(b);
        return Status::Ok();
      }
    }
    return Status::Ok();
  }

  void Close() {
    chunk_ = duck::Chunk();
    result_.reset();
    con_.reset();
    done_ = true;
  }

 private:
  Status Fetch() {
    for (;;) {
      auto c = result_->Fetch();
      if (!c) {
        Close();
        return MakeError(fmt::format("{}: {}", file_.path, c.error()));
      }
      if (c->empty()) {
        Close();
        return Status::Ok();
      }
      chunk_ = std::move(*c);
      size_ = chunk_.size();
      row_ = 0;
      ts_col_ = names_.size() - 1;
      data_.resize(names_.size());
      validity_.resize(names_.size());
      for (std::size_t k = 0; k < names_.size(); ++k) {
        data_[k] = chunk_.Column<void>(k);
        validity_[k] = chunk_.Validity(k);
      }
      ts_init_ = static_cast<const std::uint64_t*>(data_[ts_col_]);
      for (std::size_t r = 0; r < size_; ++r) {
        if (!Valid(ts_col_, r)) {
          return MakeError(
              fmt::format("{}: row {}: column ts_init is NULL", file_.path, rows_before_ + r));
        }
      }
      rows_before_ += size_;
      return Status::Ok();
    }
  }

  bool Valid(std::size_t col, std::size_t row) const {
    const std::uint64_t* v = validity_[col];
    return v == nullptr || ((v[row / 64] >> (row % 64)) & 1) != 0;
  }

  UnixNanos TsAt(std::size_t col) const {
    return UnixNanos(
        static_cast<std::int64_t>(static_cast<const std::uint64_t*>(data_[col])[row_]));
  }

  Status RawAt(std::size_t col, std::int64_t& out) const {
    if (!Valid(col, row_)) return BadValue(col, "NULL");
    if (kinds_[col] == RawKind::kInt64) {
      out = static_cast<const std::int64_t*>(data_[col])[row_];
      return Status::Ok();
    }
    const auto* str = static_cast<const duckdb_string_t*>(data_[col]) + row_;
    const std::uint32_t len = str->value.inlined.length;
    const std::string_view b(len <= 12 ? str->value.inlined.inlined : str->value.pointer.ptr, len);
    if (b.size() == 8) {
      std::memcpy(&out, b.data(), 8);  // little-endian raw at scale 10^9
      return Status::Ok();
    }
    if (b.size() == 16) {  // little-endian 128-bit raw at scale 10^16
      std::uint64_t lo = 0;
      std::int64_t hi = 0;
      std::memcpy(&lo, b.data(), 8);
      std::memcpy(&hi, b.data() + 8, 8);
      const Int128 v = (static_cast<Int128>(hi) << 64) | static_cast<Int128>(lo);
      if (v % kPow7 != 0) {
        return BadValue(col, "128-bit raw has digits beyond 9 decimals");
      }
      const Int128 scaled = v / kPow7;
      if (scaled > std::numeric_limits<std::int64_t>::max() ||
          scaled < std::numeric_limits<std::int64_t>::min()) {
        return BadValue(col, "128-bit raw out of range");
      }
      out = static_cast<std::int64_t>(scaled);
      return Status::Ok();
    }
    return BadValue(col, fmt::format("fixed-size binary of {} bytes (expected 8 or 16)", b.size()));
  }

  Status BadValue(std::size_t col, std::string_view why) const {
    return MakeError(fmt::format("{}: row {}: column {}: {}", file_.path,
                                 rows_before_ - size_ + row_, names_[col], why));
  }
  Status BadType(const std::string& name) const {
    return MakeError(fmt::format("{}: column {} has an unsupported type", file_.path, name));
  }
  Status NoId() const {
    return MakeError(fmt::format(
        "{}: no instrument_id in the file's metadata (give one, e.g. --instrument)", file_.path));
  }
  Status Decreasing(UnixNanos prev) const {
    return MakeError(fmt::format("{}: row {}: ts_init {} is before the previous row's {}",
                                 file_.path, rows_before_ - size_ + row_, ts().value, prev.value));
  }

  CatalogFile file_;
  std::size_t index_;
  ParquetDataMeta meta_;
  InstrumentId id_;
  BarType bar_type_;
  std::unique_ptr<duck::Connection> con_;
  std::optional<duck::QueryResult> result_;
  duck::Chunk chunk_;
  std::vector<RawKind> kinds_;
  std::vector<std::string> names_;
  std::vector<const void*> data_;               // column data of the current chunk
  std::vector<const std::uint64_t*> validity_;  // validity masks (nullptr = all valid)
  const std::uint64_t* ts_init_ = nullptr;
  std::size_t ts_col_ = 0;
  std::size_t row_ = 0;
  std::size_t size_ = 0;
  std::uint64_t rows_before_ = 0;
  bool done_ = false;
};

class MergeReader final : public DataStream {
 public:
  MergeReader(std::unique_ptr<duck::Database> db, std::vector<CatalogFile> files,
              CatalogQuery query)
      : db_(std::move(db)), query_(std::move(query)) {
    // Pending files in start order; ties keep file order.
    for (std::size_t i = 0; i < files.size(); ++i) order_.push_back(i);
    std::stable_sort(order_.begin(), order_.end(),
                     [&](std::size_t a, std::size_t b) { return files[a].start < files[b].start; });
    for (std::size_t i = 0; i < files.size(); ++i) {
      cursors_.push_back(std::make_unique<FileCursor>(std::move(files[i]), i));
    }
  }

  Status Next(std::vector<MarketData>& out, std::size_t max_items) override {
    out.clear();
    if (failed_) return MakeError(error_);
    if (max_items == 0) max_items = 1;
    while (out.size() < max_items) {
      // Open every pending file that may hold data at or before the earliest open row.
      while (pending_ < order_.size() &&
             (heap_.empty() || cursors_[order_[pending_]]->file().start <= heap_.top().ts)) {
        FileCursor& c = *cursors_[order_[pending_++]];
        if (Status s = c.Open(*db_, query_); !s) return Fail(s);
        if (!c.done()) {
          heap_.push(Entry{c.ts(), c.index()});
          ++stats_.open_files;
          stats_.max_open_files = std::max(stats_.max_open_files, stats_.open_files);
        }
      }
      if (heap_.empty()) break;
      const Entry top = heap_.top();
      heap_.pop();
      FileCursor& c = *cursors_[top.index];
      const UnixNanos pend_start =
          pending_ < order_.size() ? cursors_[order_[pending_]]->file().start : UnixNanos(kMaxTs);
      const bool has_next = !heap_.empty();
      const Entry next = has_next ? heap_.top() : Entry{UnixNanos(kMaxTs), 0};
      for (;;) {
        if (Status s = c.Emit(out); !s) return Fail(s);
        ++stats_.rows;
        if (Status s = c.Advance(); !s) return Fail(s);
        if (c.done()) {
          --stats_.open_files;
          break;
        }
        const UnixNanos t = c.ts();
        const bool after_next =
            has_next && (t > next.ts || (t == next.ts && c.index() > next.index));
        if (t >= pend_start || after_next || out.size() >= max_items) {
          heap_.push(Entry{t, c.index()});
          break;
        }
      }
    }
    return Status::Ok();
  }

  CatalogReaderStats stats() const { return stats_; }

 private:
  struct Entry {
    UnixNanos ts;
    std::size_t index;
    bool operator>(const Entry& o) const { return ts > o.ts || (ts == o.ts && index > o.index); }
  };

  Status Fail(const Status& s) {
    failed_ = true;
    error_ = s.error();
    for (auto& c : cursors_) {
      if (!c->done()) c->Close();
    }
    return s;
  }

  std::unique_ptr<duck::Database> db_;
  CatalogQuery query_;
  std::vector<std::unique_ptr<FileCursor>> cursors_;
  std::vector<std::size_t> order_;
  std::size_t pending_ = 0;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap_;
  CatalogReaderStats stats_;
  bool failed_ = false;
  std::string error_;
};

}  // namespace

Result<std::unique_ptr<DataStream>> ReadParquetFiles(CatalogDataType type,
                                                     std::vector<CatalogFile> files,
                                                     const CatalogQuery& query) {
  std::vector<CatalogFile> kept;
  for (CatalogFile& f : files) {
    f.type = type;
    if (query.start && f.end < *query.start) continue;
    if (query.end && f.start > *query.end) continue;
    std::error_code ec;
    if (!fs::exists(f.path, ec)) return MakeError(fmt::format("{}: no such file", f.path));
    kept.push_back(std::move(f));
  }
  auto db = duck::Database::Open("", query.threads);
  if (!db) return MakeError(db.error());
  if (kept.size() > 1) {
    auto con = duck::Connection::Connect(**db);
    if (!con) return MakeError(con.error());
    if (Status s = ReadParquetDataMetaBatch(**con, kept); !s) return MakeError(s.error());
  }
  return std::unique_ptr<DataStream>(
      std::make_unique<MergeReader>(std::move(*db), std::move(kept), query));
}

Result<std::unique_ptr<DataStream>> Catalog::Read(const CatalogQuery& query) const {
  auto files = Files(query.type, query.instruments);
  if (!files) return MakeError(files.error());
  return ReadParquetFiles(query.type, std::move(*files), query);
}

CatalogReaderStats ReaderStats(const DataStream& stream) {
  if (const auto* m = dynamic_cast<const MergeReader*>(&stream)) return m->stats();
  return {};
}

}  // namespace nacre
