#include "persistence/catalog.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <limits>
#include <mutex>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <unordered_set>

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

// One key-value pair of a Parquet footer: Nacre's own keys, or NautilusTrader's inside the
// base64 Arrow schema.
void ApplyKv(ParquetDataMeta& m, const std::string& key, const std::string& value) {
  if (key == "ARROW:schema") {
    m.arrow_schema = true;
    for (const auto& [k, v] : ArrowSchemaMetadata(Base64Decode(value))) ApplyMeta(m, k, v);
  } else {
    ApplyMeta(m, key, value);
  }
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
      ApplyKv(m, std::string(c->String(0, i)), std::string(c->String(1, i)));
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
        ApplyKv(m, std::string(c->String(1, i)), std::string(c->String(2, i)));
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
      std::error_code size_ec;
      const auto bytes = e.file_size(size_ec);
      files.push_back(CatalogFile{type, ident, e.path().string(), range->first, range->second,
                                  std::nullopt, size_ec ? 0 : static_cast<std::uint64_t>(bytes)});
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
//
// The merge reads from scans. A big file is scanned alone and streamed chunk by chunk (its
// rows are already in time order). Small files - an option catalog holds thousands of
// per-contract files of a few hundred rows - are grouped into batches, each read by one
// query that returns its files' rows already merged (ORDER BY ts_init, file_index,
// file_row_number): one query per few hundred files instead of one per file. A batch holds
// files of distinct identifiers, consecutive in start order, at most kBatchFiles files and
// kBatchBytes on disk: DuckDB sorts and holds a batch's rows until it is exhausted, and
// Parquet quotes compress to a few bytes a row, so these caps keep a batch to about a million
// rows (tens of MiB) at worst. Bigger files stream alone through the k-way merge. A batch
// whose files cannot be scanned together (another layout, a damaged file) is split and its
// files scanned one by one, so errors still name the file at fault.

namespace {

constexpr std::int64_t kPow7 = 10'000'000;
constexpr std::uint64_t kBatchFileBytes = 256ULL << 10;  // bigger files are scanned alone
constexpr std::uint64_t kBatchBytes = 4ULL << 20;
constexpr std::size_t kBatchFiles = 512;

// How a fixed-point column is stored.
enum class RawKind : std::uint8_t { kInt64, kBin8, kBin16 };

// True when every raw in v[0, n) is a multiple of kUnit (no digits beyond the precision) and,
// with `non_negative`, not negative. A constant divisor per precision turns the modulo into
// multiplies: this checks a whole chunk column in a fraction of the per-value cost.
template <std::int64_t kUnit>
bool AllFit(const std::int64_t* v, std::size_t n, bool non_negative) {
  bool ok = true;
  for (std::size_t i = 0; i < n; ++i) {
    ok &= (v[i] % kUnit == 0) & (!non_negative | (v[i] >= 0));
  }
  return ok;
}

template <int... kDigits>
bool ColumnFitsImpl(const std::int64_t* v, std::size_t n, int precision, bool non_negative,
                    std::integer_sequence<int, kDigits...>) {
  bool ok = false;
  // Exactly one kDigits matches kFixedPrecision − precision (precision in [0, 9]).
  ((kFixedPrecision - precision == kDigits ? (ok = AllFit<Pow10(kDigits)>(v, n, non_negative))
                                           : false),
   ...);
  return ok;
}

bool ColumnFits(const std::int64_t* v, std::size_t n, int precision, bool non_negative) {
  if (precision < 0 || precision > kFixedPrecision) return false;
  return ColumnFitsImpl(v, n, precision, non_negative,
                        std::make_integer_sequence<int, kFixedPrecision + 1>{});
}

// True when the validity mask marks all n rows valid.
bool AllValid(const std::uint64_t* mask, std::size_t n) {
  if (mask == nullptr) return true;
  for (std::size_t w = 0; w < n / 64; ++w) {
    if (mask[w] != ~std::uint64_t{0}) return false;
  }
  const std::size_t rest = n % 64;
  return rest == 0 ||
         (mask[n / 64] & ((std::uint64_t{1} << rest) - 1)) == ((std::uint64_t{1} << rest) - 1);
}

// One file of a scan.
struct ScanFile {
  CatalogFile file;
  std::size_t index = 0;  // position in the reader's file list: the merge's tie-break
  ParquetDataMeta meta;   // resolved (defaults applied) when the scan opens
  InstrumentId id;
  BarType bar_type;
  std::int64_t last_row = -1;  // batches: the file row emitted last and its ts_init
  std::int64_t last_ts = 0;
};

// A scan of one file, or of a batch of files merged by DuckDB, read chunk by chunk through
// its own connection's streaming result.
class ScanCursor {
 public:
  explicit ScanCursor(std::vector<ScanFile> files) : files_(std::move(files)) {
    start_ = files_.front().file.start;
    first_index_ = files_.front().index;
    for (const ScanFile& f : files_) {
      start_ = std::min(start_, f.file.start);
      first_index_ = std::min(first_index_, f.index);
    }
  }

  UnixNanos start() const { return start_; }
  std::size_t first_index() const { return first_index_; }
  std::size_t file_count() const { return files_.size(); }
  bool batched() const { return files_.size() > 1; }
  UnixNanos ts() const { return UnixNanos(static_cast<std::int64_t>(ts_init_[row_])); }
  // The merge position of the current row's file.
  std::size_t index() const { return files_[Current()].index; }
  bool done() const { return done_; }
  // Gives the files back (to scan them one by one after the batch could not be scanned).
  std::vector<ScanFile> TakeFiles() {
    Close();
    return std::move(files_);
  }

  Status Open(duck::Database& db, const CatalogQuery& q) {
    auto con = duck::Connection::Connect(db);
    if (!con) return MakeError(con.error());
    con_ = std::move(*con);
    if (Status s = ReadMeta(q); !s) return s;
    price_precision_ = files_.front().meta.price_precision;
    size_precision_ = files_.front().meta.size_precision;
    for (const ScanFile& f : files_) {
      if (f.meta.price_precision != price_precision_ || f.meta.size_precision != size_precision_) {
        price_precision_ = -1;  // mixed precisions: values are checked row by row
      }
    }
    std::string cols;
    switch (files_.front().file.type) {
      case CatalogDataType::kQuote:
        cols = "bid_price, ask_price, bid_size, ask_size, ts_event, ts_init";
        break;
      case CatalogDataType::kTrade:
        cols = "price, size, aggressor_side, trade_id, ts_event, ts_init";
        break;
      case CatalogDataType::kBar:
        cols = "open, high, low, close, volume, ts_event, ts_init";
        break;
    }
    std::string where;
    if (q.start) where += " AND ts_init >= " + TsLiteral(*q.start);
    if (q.end) where += " AND ts_init <= " + TsLiteral(*q.end);
    std::string sql;
    if (batched()) {
      std::string list;
      for (const ScanFile& f : files_) {
        if (!list.empty()) list += ", ";
        list += duck::Quote(f.file.path);
      }
      sql = fmt::format(
          "SELECT {}, file_index, file_row_number FROM read_parquet([{}]) WHERE true{} "
          "ORDER BY ts_init, file_index, file_row_number",
          cols, list, where);
    } else {
      // With a time filter the rows' own numbers in the file come along for error messages.
      numbered_ = !where.empty();
      sql = fmt::format("SELECT {}{} FROM read_parquet({}) WHERE true{}", cols,
                        numbered_ ? ", file_row_number" : "", duck::Quote(files_.front().file.path),
                        where);
    }
    auto r = con_->Stream(sql);
    if (!r) return MakeError(fmt::format("{}: {}", What(), r.error()));
    result_.emplace(std::move(*r));
    const std::size_t ncols = result_->column_count();
    kinds_.assign(ncols, RawKind::kInt64);
    for (std::size_t c = 0; c < ncols; ++c) {
      const duckdb_type t = result_->column_type(c);
      const std::string name = result_->column_name(c);
      const bool int_col = name == "ts_event" || name == "ts_init" || name == "file_index" ||
                           name == "file_row_number";
      const bool small_col = name == "aggressor_side" || name == "trade_id";
      if (int_col) {
        if (t != DUCKDB_TYPE_UBIGINT && t != DUCKDB_TYPE_BIGINT) return BadType(name);
      } else if (!small_col) {
        if (t == DUCKDB_TYPE_BLOB) {
          kinds_[c] = RawKind::kBin8;  // refined per value by its length (8 or 16)
        } else if (t != DUCKDB_TYPE_BIGINT) {
          return BadType(name);
        }
      }
      if (name == "ts_init") ts_col_ = c;
      names_.push_back(name);
    }
    return Fetch();
  }

  // Moves to the next row; fetches the next chunk when needed. done() afterwards = exhausted.
  Status Advance() {
    const UnixNanos prev = ts();
    if (++row_ < size_) {
      if (!batched() && ts() < prev) return Decreasing(prev);
      return Status::Ok();
    }
    if (Status s = Fetch(); !s) return s;
    if (!done_ && !batched() && ts() < prev) return Decreasing(prev);
    return Status::Ok();
  }

  Status Emit(std::vector<MarketData>& out) {
    ScanFile& f = files_[Current()];
    if (batched()) {
      // Rows come sorted by time; a file's own rows must then come in row order, or the
      // file is not in time order.
      const std::int64_t rn = row_number_[row_];
      if (rn < f.last_row) {
        return MakeError(fmt::format("{}: row {}: ts_init {} is before row {}'s {}", f.file.path,
                                     f.last_row, f.last_ts, rn, ts().value));
      }
      f.last_row = rn;
      f.last_ts = ts().value;
    }
    // ts_event is the column before ts_init (ts_init was checked when the chunk came in).
    if (!fast_ && !Valid(ts_col_ - 1, row_)) return BadValue(ts_col_ - 1, "NULL");
    switch (f.file.type) {
      case CatalogDataType::kQuote: {
        QuoteTick q;
        q.instrument_id = f.id;
        if (Status s = PriceAt(f, 0, q.bid_price); !s) return s;
        if (Status s = PriceAt(f, 1, q.ask_price); !s) return s;
        if (Status s = SizeAt(f, 2, q.bid_size); !s) return s;
        if (Status s = SizeAt(f, 3, q.ask_size); !s) return s;
        q.ts_event = TsAt(4);
        q.ts_init = TsAt(5);
        out.emplace_back(q);
        return Status::Ok();
      }
      case CatalogDataType::kTrade: {
        TradeTick t;
        t.instrument_id = f.id;
        if (Status s = PriceAt(f, 0, t.price); !s) return s;
        if (Status s = SizeAt(f, 1, t.size); !s) return s;
        if (!chunk_.IsValid(2, row_)) return BadValue(2, "NULL");
        if (!chunk_.IsValid(3, row_)) return BadValue(3, "NULL");
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
        b.bar_type = f.bar_type;
        if (Status s = PriceAt(f, 0, b.open); !s) return s;
        if (Status s = PriceAt(f, 1, b.high); !s) return s;
        if (Status s = PriceAt(f, 2, b.low); !s) return s;
        if (Status s = PriceAt(f, 3, b.close); !s) return s;
        if (Status s = SizeAt(f, 4, b.volume); !s) return s;
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
  std::size_t Current() const {
    return batched() ? static_cast<std::size_t>(file_index_[row_]) : 0;
  }

  // The files' metadata (one footer query for a batch), defaults applied and checked. A batch
  // scans only files written in Nacre's own layout (plain key-value metadata, BIGINT raws).
  Status ReadMeta(const CatalogQuery& q) {
    std::vector<CatalogFile> need;
    for (const ScanFile& f : files_) {
      if (!f.file.meta) need.push_back(f.file);
    }
    if (need.size() == 1 && !batched()) {
      auto meta = ReadParquetDataMeta(*con_, need.front().path);
      if (!meta) return MakeError(meta.error());
      need.front().meta = *meta;
    } else if (!need.empty()) {
      if (Status s = ReadParquetDataMetaBatch(*con_, need); !s) return s;
    }
    std::size_t k = 0;
    for (ScanFile& f : files_) {
      if (!f.file.meta) f.file.meta = need[k++].meta;
      if (batched() && (f.file.meta->arrow_schema || f.file.meta->instrument_id.empty() ||
                        f.file.meta->price_precision < 0 || f.file.meta->size_precision < 0)) {
        return MakeError(fmt::format("{}: not in Nacre's layout: scanned alone", f.file.path));
      }
      if (Status s = Resolve(f, q); !s) return s;
    }
    return Status::Ok();
  }

  static Status Resolve(ScanFile& f, const CatalogQuery& q) {
    ParquetDataMeta& m = f.meta;
    m = *f.file.meta;
    const std::string& path = f.file.path;
    if (m.instrument_id.empty()) m.instrument_id = q.defaults.instrument_id;
    if (m.bar_type.empty()) m.bar_type = q.defaults.bar_type;
    if (m.price_precision < 0) m.price_precision = q.defaults.price_precision;
    if (m.size_precision < 0) m.size_precision = q.defaults.size_precision;
    if (m.price_precision < 0 || m.price_precision > kMaxPrecision) {
      return MakeError(
          fmt::format("{}: no valid price_precision in the file's metadata (give "
                      "one, e.g. --price-precision)",
                      path));
    }
    if (m.size_precision < 0 || m.size_precision > kMaxPrecision) {
      return MakeError(
          fmt::format("{}: no valid size_precision in the file's metadata (give "
                      "one, e.g. --size-precision)",
                      path));
    }
    if (f.file.type == CatalogDataType::kBar) {
      if (m.bar_type.empty()) {
        return MakeError(fmt::format("{}: no bar_type in the file's metadata (give one)", path));
      }
      auto bt = BarType::Parse(m.bar_type);
      if (!bt) return MakeError(fmt::format("{}: bar_type: {}", path, bt.error()));
      f.bar_type = *bt;
    } else {
      if (m.instrument_id.empty()) {
        return MakeError(fmt::format(
            "{}: no instrument_id in the file's metadata (give one, e.g. --instrument)", path));
      }
      auto id = InstrumentId::Parse(m.instrument_id);
      if (!id) return MakeError(fmt::format("{}: instrument_id: {}", path, id.error()));
      f.id = *id;
    }
    return Status::Ok();
  }

  Status Fetch() {
    auto c = result_->Fetch();
    if (!c) {
      Close();
      return MakeError(fmt::format("{}: {}", What(), c.error()));
    }
    if (c->empty()) {
      Close();
      return Status::Ok();
    }
    chunk_ = std::move(*c);
    size_ = chunk_.size();
    row_ = 0;
    data_.resize(names_.size());
    validity_.resize(names_.size());
    for (std::size_t k = 0; k < names_.size(); ++k) {
      data_[k] = chunk_.Column<void>(k);
      validity_[k] = chunk_.Validity(k);
    }
    ts_init_ = static_cast<const std::uint64_t*>(data_[ts_col_]);
    if (batched()) file_index_ = static_cast<const std::uint64_t*>(data_[names_.size() - 2]);
    if (batched() || numbered_) {
      row_number_ = static_cast<const std::int64_t*>(data_[names_.size() - 1]);
    }
    rows_before_ += size_;
    for (std::size_t r = 0; r < size_; ++r) {
      if (!Valid(ts_col_, r)) {
        row_ = r;
        return MakeError(fmt::format("{}: row {}: column ts_init is NULL",
                                     files_[Current()].file.path, RowNumber()));
      }
    }
    fast_ = ChunkIsClean();
    return Status::Ok();
  }

  // True when the chunk's price and size columns are plain raws, none NULL, all within the
  // scan's one price and size precision (sizes not negative): Emit then skips the per-value
  // checks. Otherwise Emit checks each value and names the row at fault.
  bool ChunkIsClean() const {
    if (price_precision_ < 0) return false;
    std::size_t prices = 0;
    std::size_t sizes = 0;
    switch (files_.front().file.type) {
      case CatalogDataType::kQuote:
        prices = 2;
        sizes = 2;
        break;
      case CatalogDataType::kTrade:
        prices = 1;
        sizes = 1;
        break;
      case CatalogDataType::kBar:
        prices = 4;
        sizes = 1;
        break;
    }
    for (std::size_t c = 0; c < prices + sizes; ++c) {
      if (kinds_[c] != RawKind::kInt64 || !AllValid(validity_[c], size_)) return false;
      const bool size = c >= prices;
      if (!ColumnFits(static_cast<const std::int64_t*>(data_[c]), size_,
                      size ? size_precision_ : price_precision_, size)) {
        return false;
      }
    }
    // ts_event is the column before ts_init.
    return AllValid(validity_[ts_col_ - 1], size_);
  }

  std::int64_t Int64At(std::size_t col) const {
    return static_cast<const std::int64_t*>(data_[col])[row_];
  }

  // The row's Price or Quantity in column `col` at `precision` (the file's): taken as is from a
  // clean chunk, else checked (NULL, raw form, precision, sign) with the row and column named.
  template <typename T>
  Status ValueAt(std::size_t col, int precision, T& out) const {
    if (fast_) {
      out = T::Raw(Int64At(col), precision);
      return Status::Ok();
    }
    std::int64_t raw = 0;
    if (Status s = RawAt(col, raw); !s) return s;
    auto v = T::FromRaw(raw, precision);
    if (!v) return BadValue(col, v.error());
    out = *v;
    return Status::Ok();
  }
  Status PriceAt(const ScanFile& f, std::size_t col, Price& out) const {
    return ValueAt(col, f.meta.price_precision, out);
  }
  Status SizeAt(const ScanFile& f, std::size_t col, Quantity& out) const {
    return ValueAt(col, f.meta.size_precision, out);
  }

  bool Valid(std::size_t col, std::size_t row) const {
    const std::uint64_t* v = validity_[col];
    return v == nullptr || ((v[row / 64] >> (row % 64)) & 1) != 0;
  }

  UnixNanos TsAt(std::size_t col) const {
    return UnixNanos(
        static_cast<std::int64_t>(static_cast<const std::uint64_t*>(data_[col])[row_]));
  }

  // The current row's number in its file (rows_before_ already counts the current chunk).
  std::int64_t RowNumber() const {
    if (row_number_ != nullptr) return row_number_[row_];
    return static_cast<std::int64_t>(rows_before_ - size_ + row_);
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

  // What the scan reads, for errors: the file, or the batch's first file and count.
  std::string What() const {
    if (!batched()) return files_.front().file.path;
    return fmt::format("{} and {} more files", files_.front().file.path, files_.size() - 1);
  }
  Status BadValue(std::size_t col, std::string_view why) const {
    return MakeError(fmt::format("{}: row {}: column {}: {}", files_[Current()].file.path,
                                 RowNumber(), names_[col], why));
  }
  Status BadType(const std::string& name) const {
    return MakeError(fmt::format("{}: column {} has an unsupported type", What(), name));
  }
  Status Decreasing(UnixNanos prev) const {
    return MakeError(fmt::format("{}: row {}: ts_init {} is before the previous row's {}",
                                 files_.front().file.path, RowNumber(), ts().value, prev.value));
  }

  std::vector<ScanFile> files_;
  UnixNanos start_;
  std::size_t first_index_ = 0;
  std::unique_ptr<duck::Connection> con_;
  std::optional<duck::QueryResult> result_;
  duck::Chunk chunk_;
  std::vector<RawKind> kinds_;
  std::vector<std::string> names_;
  std::vector<const void*> data_;               // column data of the current chunk
  std::vector<const std::uint64_t*> validity_;  // validity masks (nullptr = all valid)
  const std::uint64_t* ts_init_ = nullptr;
  const std::uint64_t* file_index_ = nullptr;  // batches: the row's file in files_
  const std::int64_t* row_number_ = nullptr;   // batches, filtered scans: the row's number
  bool numbered_ = false;                      // a single file's scan selects file_row_number
  std::size_t ts_col_ = 0;
  int price_precision_ = -1;  // the scan's files' one precision, or -1 when they differ
  int size_precision_ = -1;
  bool fast_ = false;  // the current chunk passed ChunkIsClean
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
    for (const CatalogFile& f : files) {
      if (!last_ts_ || f.end > *last_ts_) last_ts_ = f.end;
    }
    if (last_ts_ && query_.end && *query_.end < *last_ts_) last_ts_ = query_.end;
    // Files in start order (ties: file order) form the scans: big files alone, runs of small
    // files of distinct identifiers as batches.
    std::vector<std::size_t> by_start(files.size());
    for (std::size_t i = 0; i < files.size(); ++i) by_start[i] = i;
    std::stable_sort(by_start.begin(), by_start.end(),
                     [&](std::size_t a, std::size_t b) { return files[a].start < files[b].start; });
    std::vector<ScanFile> batch;
    std::uint64_t batch_bytes = 0;
    std::unordered_set<std::string> idents;  // a batch reads one file per identifier
    auto flush = [&] {
      if (batch.empty()) return;
      std::sort(batch.begin(), batch.end(),
                [](const ScanFile& a, const ScanFile& b) { return a.index < b.index; });
      sources_.push_back(std::make_unique<ScanCursor>(std::move(batch)));
      batch.clear();
      batch_bytes = 0;
      idents.clear();
    };
    for (std::size_t i : by_start) {
      ScanFile f;
      f.file = std::move(files[i]);
      f.index = i;
      const bool small =
          f.file.bytes > 0 && f.file.bytes <= kBatchFileBytes && !f.file.identifier.empty();
      if (!small) {
        std::vector<ScanFile> one;
        one.push_back(std::move(f));
        sources_.push_back(std::make_unique<ScanCursor>(std::move(one)));
        continue;
      }
      if (batch.size() >= kBatchFiles || batch_bytes + f.file.bytes > kBatchBytes ||
          idents.count(f.file.identifier) != 0) {
        flush();
      }
      batch_bytes += f.file.bytes;
      idents.insert(f.file.identifier);
      batch.push_back(std::move(f));
    }
    flush();
    for (std::size_t i = 0; i < sources_.size(); ++i) order_.push_back(i);
    SortPending();
  }

  Status Next(std::vector<MarketData>& out, std::size_t max_items) override {
    out.clear();
    if (failed_) return MakeError(error_);
    if (max_items == 0) max_items = 1;
    while (out.size() < max_items) {
      // Open every pending scan that may hold data at or before the earliest open row.
      while (pending_ < order_.size() &&
             (heap_.empty() || sources_[order_[pending_]]->start() <= heap_.top().ts)) {
        if (Status s = OpenSource(order_[pending_++]); !s) return Fail(s);
      }
      if (heap_.empty()) break;
      // The earliest scan emits until it passes the next one; it stays on top meanwhile and
      // then moves down once (or leaves when done).
      const Entry top = heap_.top();
      ScanCursor& c = *sources_[top.source];
      const UnixNanos pend_start =
          pending_ < order_.size() ? sources_[order_[pending_]]->start() : UnixNanos(kMaxTs);
      const Entry* second = heap_.second();
      const bool has_next = second != nullptr;
      const Entry next = has_next ? *second : Entry{UnixNanos(kMaxTs), 0, 0};
      for (;;) {
        if (Status s = c.Emit(out); !s) return Fail(s);
        ++stats_.rows;
        if (Status s = c.Advance(); !s) return Fail(s);
        if (c.done()) {
          stats_.open_files -= c.file_count();
          heap_.pop();
          break;
        }
        const UnixNanos t = c.ts();
        const std::size_t index = c.index();
        const bool after_next = has_next && (t > next.ts || (t == next.ts && index > next.index));
        if (t >= pend_start || after_next || out.size() >= max_items) {
          heap_.replace_top(Entry{t, index, top.source});
          break;
        }
      }
    }
    return Status::Ok();
  }

  CatalogReaderStats stats() const { return stats_; }
  std::optional<UnixNanos> LastTs() const override { return last_ts_; }

 private:
  struct Entry {
    UnixNanos ts;
    std::size_t index;   // the row's file position (tie-break)
    std::size_t source;  // its scan
    bool operator>(const Entry& o) const { return ts > o.ts || (ts == o.ts && index > o.index); }
  };

  // A binary min-heap of entries that can replace its top with one sift-down (the scan on top
  // usually moves on after a run of rows) and name the entry after the top.
  class EntryHeap {
   public:
    bool empty() const { return v_.empty(); }
    const Entry& top() const { return v_.front(); }
    // The smallest entry after the top (the top's smaller child), or nullptr.
    const Entry* second() const {
      if (v_.size() < 2) return nullptr;
      return v_.size() == 2 || !(v_[1] > v_[2]) ? &v_[1] : &v_[2];
    }
    void push(const Entry& e) {
      v_.push_back(e);
      std::push_heap(v_.begin(), v_.end(), std::greater<>());
    }
    void pop() {
      std::pop_heap(v_.begin(), v_.end(), std::greater<>());
      v_.pop_back();
    }
    void replace_top(const Entry& e) {
      const std::size_t n = v_.size();
      std::size_t i = 0;
      for (;;) {
        std::size_t child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && v_[child] > v_[child + 1]) ++child;
        if (!(e > v_[child])) break;
        v_[i] = v_[child];
        i = child;
      }
      v_[i] = e;
    }

   private:
    std::vector<Entry> v_;
  };

  // Pending scans in start order; ties by their first file's position.
  void SortPending() {
    std::stable_sort(order_.begin() + static_cast<std::ptrdiff_t>(pending_), order_.end(),
                     [&](std::size_t a, std::size_t b) {
                       const ScanCursor& x = *sources_[a];
                       const ScanCursor& y = *sources_[b];
                       return x.start() < y.start() ||
                              (x.start() == y.start() && x.first_index() < y.first_index());
                     });
  }

  Status OpenSource(std::size_t si) {
    ScanCursor& c = *sources_[si];
    if (Status s = c.Open(*db_, query_); !s) {
      if (!c.batched()) return s;
      // Scan the batch's files one by one instead (the one at fault is then named).
      std::vector<ScanFile> files = c.TakeFiles();
      for (ScanFile& f : files) {
        std::vector<ScanFile> one;
        one.push_back(std::move(f));
        sources_.push_back(std::make_unique<ScanCursor>(std::move(one)));
        order_.insert(order_.begin() + static_cast<std::ptrdiff_t>(pending_), sources_.size() - 1);
      }
      SortPending();
      ++stats_.batches_split;
      return Status::Ok();
    }
    if (c.batched()) ++stats_.batches;
    if (!c.done()) {
      heap_.push(Entry{c.ts(), c.index(), si});
      stats_.open_files += c.file_count();
      stats_.max_open_files = std::max(stats_.max_open_files, stats_.open_files);
    }
    return Status::Ok();
  }

  Status Fail(const Status& s) {
    failed_ = true;
    error_ = s.error();
    for (auto& c : sources_) {
      if (!c->done()) c->Close();
    }
    return s;
  }

  std::unique_ptr<duck::Database> db_;
  std::optional<UnixNanos> last_ts_;  // the files' latest end, within the query
  CatalogQuery query_;
  std::vector<std::unique_ptr<ScanCursor>> sources_;
  std::vector<std::size_t> order_;
  std::size_t pending_ = 0;
  EntryHeap heap_;
  CatalogReaderStats stats_;
  bool failed_ = false;
  std::string error_;
};

// Runs a MergeReader on its own thread a few chunks ahead of the consumer, so DuckDB's scans
// and the decoding overlap with the backtest (both cores busy). The chunks, their order and
// errors are exactly the inner reader's; the counters are those as of the chunk last handed
// out. The thread starts at the first Next and is stopped and joined on destruction.
class PrefetchReader final : public DataStream {
 public:
  static constexpr std::size_t kDepth = 4;  // chunks produced ahead

  explicit PrefetchReader(std::unique_ptr<MergeReader> inner) : inner_(std::move(inner)) {}
  ~PrefetchReader() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  PrefetchReader(const PrefetchReader&) = delete;
  PrefetchReader& operator=(const PrefetchReader&) = delete;

  Status Next(std::vector<MarketData>& out, std::size_t max_items) override {
    out.clear();
    if (max_items == 0) max_items = 1;
    if (finished_) return status_;
    if (!thread_.joinable()) {
      chunk_ = max_items;
      thread_ = std::thread([this] { Produce(); });
    }
    if (pos_ >= current_.size()) {
      Item item;
      {
        std::unique_lock<std::mutex> lock(mu_);
        if (current_.capacity() != 0) free_.push_back(std::move(current_));
        cv_.wait(lock, [&] { return !queue_.empty(); });
        item = std::move(queue_.front());
        queue_.pop_front();
      }
      cv_.notify_all();
      stats_ = item.stats;
      if (item.end) {
        finished_ = true;
        status_ = item.status;
        current_.clear();
        return status_;
      }
      current_ = std::move(item.data);
      pos_ = 0;
    }
    const std::size_t n = std::min(max_items, current_.size() - pos_);
    if (pos_ == 0 && n == current_.size()) {
      out.swap(current_);  // the whole chunk: no copy (out's old buffer is recycled)
      current_.clear();
      pos_ = 0;
      return Status::Ok();
    }
    out.assign(current_.begin() + static_cast<std::ptrdiff_t>(pos_),
               current_.begin() + static_cast<std::ptrdiff_t>(pos_ + n));
    pos_ += n;
    return Status::Ok();
  }

  std::optional<UnixNanos> LastTs() const override { return inner_->LastTs(); }
  CatalogReaderStats stats() const { return stats_; }

 private:
  struct Item {
    std::vector<MarketData> data;
    Status status = Status::Ok();
    CatalogReaderStats stats;
    bool end = false;
  };

  void Produce() {
    for (;;) {
      std::vector<MarketData> buf;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stop_ || queue_.size() < kDepth; });
        if (stop_) return;
        if (!free_.empty()) {
          buf = std::move(free_.back());
          free_.pop_back();
        }
      }
      Item item;
      item.status = inner_->Next(buf, chunk_);
      item.stats = inner_->stats();
      const bool end = !item.status || buf.empty();
      item.end = end;
      item.data = std::move(buf);
      {
        std::lock_guard<std::mutex> lock(mu_);
        queue_.push_back(std::move(item));
      }
      cv_.notify_all();
      if (end) return;
    }
  }

  std::unique_ptr<MergeReader> inner_;
  std::size_t chunk_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;                     // guarded by mu_
  std::vector<std::vector<MarketData>> free_;  // recycled buffers, guarded by mu_
  bool stop_ = false;                          // guarded by mu_
  // Consumer side.
  std::vector<MarketData> current_;
  std::size_t pos_ = 0;
  bool finished_ = false;
  Status status_ = Status::Ok();
  CatalogReaderStats stats_;
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
    if (f.bytes == 0 && !f.identifier.empty()) {  // without an identifier it is never batched
      const auto n = fs::file_size(f.path, ec);
      f.bytes = ec ? 0 : static_cast<std::uint64_t>(n);
    }
    kept.push_back(std::move(f));
  }
  auto db = duck::Database::Open("", query.threads);
  if (!db) return MakeError(db.error());
  {
    // DuckDB's buffers may otherwise grow to 80% of the machine's memory (a cap costs speed:
    // DuckDB then evicts more eagerly).
    auto con = duck::Connection::Connect(**db);
    if (!con) return MakeError(con.error());
    if (query.memory_limit_mb > 0) {
      if (Status s =
              (*con)->Execute(fmt::format("SET memory_limit = '{}MB'", query.memory_limit_mb));
          !s) {
        return MakeError(s.error());
      }
    }
  }
  auto merge = std::make_unique<MergeReader>(std::move(*db), std::move(kept), query);
  if (!query.prefetch) return std::unique_ptr<DataStream>(std::move(merge));
  return std::unique_ptr<DataStream>(std::make_unique<PrefetchReader>(std::move(merge)));
}

Result<std::unique_ptr<DataStream>> Catalog::Read(const CatalogQuery& query) const {
  auto files = Files(query.type, query.instruments);
  if (!files) return MakeError(files.error());
  return ReadParquetFiles(query.type, std::move(*files), query);
}

CatalogReaderStats ReaderStats(const DataStream& stream) {
  if (const auto* m = dynamic_cast<const MergeReader*>(&stream)) return m->stats();
  if (const auto* p = dynamic_cast<const PrefetchReader*>(&stream)) return p->stats();
  return {};
}

}  // namespace nacre
