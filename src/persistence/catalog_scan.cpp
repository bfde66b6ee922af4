#include "persistence/catalog_scan.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

namespace nacre::catalog_detail {

namespace {

constexpr std::int64_t kPow7 = 10'000'000;

std::string TsLiteral(UnixNanos t) { return fmt::format("{}", t.value); }

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

}  // namespace

bool ScanCursor::UseCache(const CatalogQuery& q, CatalogReaderStats& stats) {
  const CatalogFile& file = files_.front().file;
  cache_path_ = ChainCachePath(q.catalog_root, file.path);
  if (cache_path_.empty()) return false;
  auto source = StatChainCacheSource(file.path);
  if (!source) return false;
  cache_source_ = *source;
  slots_.clear();
  for (std::size_t i = 0; i < files_.size(); ++i) slots_.emplace(files_[i].id.value(), i);
  if (cache_.Open(cache_path_, cache_source_)) {
    // Each cached instrument's entry, when selected; a precision that differs from the one
    // resolved now (other defaults) makes the cache unusable for this read.
    cache_slot_.assign(cache_.members().size(), -1);
    bool usable = true;
    for (std::size_t m = 0; m < cache_.members().size() && usable; ++m) {
      const ChainCacheMember& cm = cache_.members()[m];
      auto it = slots_.find(cm.id);
      if (it == slots_.end()) continue;
      const ParquetDataMeta& meta = files_[it->second].meta;
      usable = cm.price_precision == meta.price_precision &&
               cm.size_precision == meta.size_precision;
      cache_slot_[m] = static_cast<std::int32_t>(it->second);
    }
    if (usable) {
      cached_ = true;
      cached_entries_.clear();
      for (const ScanFile& f : files_) {
        cached_entries_.push_back({f.id, f.meta.price_precision, f.meta.size_precision});
      }
      ++stats.cache_hits;
      names_ = {"bid_price", "ask_price", "bid_size", "ask_size", "ts_event", "ts_init"};
      kinds_.assign(names_.size(), RawKind::kInt64);
      data_.assign(names_.size(), nullptr);
      for (std::size_t k = 0; k < 4; ++k) data_[k] = cache_.raws(k);
      data_[4] = cache_.ts_event();
      data_[5] = cache_.ts_init();
      validity_.assign(names_.size(), nullptr);
      ts_col_ = 5;
      ts_init_ = cache_.ts_init();
      fast_ = true;  // every value passed the checks when the cache was written
      const std::uint64_t* end = ts_init_ + cache_.rows();
      const std::uint64_t* lo = ts_init_;
      const std::uint64_t* hi = end;
      if (q.start) lo = std::lower_bound(ts_init_, end, static_cast<std::uint64_t>(q.start->value));
      if (q.end) hi = std::upper_bound(lo, end, static_cast<std::uint64_t>(q.end->value));
      row_ = static_cast<std::size_t>(lo - ts_init_);
      size_ = static_cast<std::size_t>(hi - ts_init_);
      rows_before_ = size_;  // RowNumber() is then the row's number in the file
      return true;
    }
    cache_ = ChainCacheView();
  }
  // No usable cache: write one while reading, when this read covers the file's whole time
  // range (rows of instruments the scan does not select are cached too).
  if (file.chain_members == 0 || file.chain_rows == 0) return false;
  if ((q.start && *q.start > file.chain_first) || (q.end && *q.end < file.chain_last)) {
    return false;
  }
  std::vector<ChainCacheMember> members;
  for (const ScanFile& f : files_) {
    members.push_back({f.id.value(), f.meta.price_precision, f.meta.size_precision});
  }
  writer_ = std::make_unique<ChainCacheWriter>(std::move(members));
  writer_rows_ = file.chain_rows;
  unselected_.clear();
  return false;
}

void ScanCursor::CommitCache() {
  if (!writer_) return;
  // A file whose rows are not all the listing said (it changed under us) gets no cache.
  if (writer_->rows() == writer_rows_ && stats_ != nullptr) {
    if (writer_->Commit(cache_path_, cache_source_).ok()) {
      ++stats_->cache_built;
    } else {
      ++stats_->cache_write_failures;
    }
  }
  writer_.reset();
}

Status ScanCursor::Open(const DatabaseOf& db_of, const CatalogQuery& q,
                        CatalogReaderStats& stats) {
  stats_ = &stats;
  if (!entries_.empty()) {
    files_.resize(entries_.size());
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      files_[i].file = std::move(entries_[i]);
      files_[i].index = entry_indices_[i];
    }
    std::vector<CatalogFile>().swap(entries_);
    std::vector<std::size_t>().swap(entry_indices_);
  }
  if (mode_ == ScanMode::kChain && files_.front().file.type == CatalogDataType::kQuote &&
      q.binary_cache && !q.catalog_root.empty() && files_.front().file.meta) {
    bool resolved = true;
    for (ScanFile& f : files_) {
      if (!f.file.meta || !Resolve(f, q).ok()) resolved = false;
    }
    if (resolved && UseCache(q, stats)) {
      if (row_ >= size_) {
        Close();
        return Status::Ok();
      }
      return SelectRow();
    }
  }
  auto db = db_of();
  if (!db) return MakeError(db.error());
  auto con = duck::Connection::Connect(**db);
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
  if (mode_ == ScanMode::kChain) {
    slots_.clear();
    for (std::size_t i = 0; i < files_.size(); ++i) slots_.emplace(files_[i].id.value(), i);
    numbered_ = !where.empty();
    sql = fmt::format("SELECT {}, instrument_id{} FROM read_parquet({}) WHERE true{}", cols,
                      numbered_ ? ", file_row_number" : "", duck::Quote(files_.front().file.path),
                      where);
  } else if (batched()) {
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
    if (name == "instrument_id") {
      if (t != DUCKDB_TYPE_VARCHAR) return BadType(name);
      instrument_col_ = c;
    } else if (int_col) {
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
  if (Status s = Fetch(); !s) return s;
  if (mode_ == ScanMode::kChain && !done_) return SelectRow();
  return Status::Ok();
}

std::string_view ScanCursor::StringAt(std::size_t col) const {
  const auto* str = static_cast<const duckdb_string_t*>(data_[col]) + row_;
  const std::uint32_t len = str->value.inlined.length;
  return {len <= 12 ? str->value.inlined.inlined : str->value.pointer.ptr, len};
}

Status ScanCursor::SelectRow() {
  if (cached_) {
    const std::uint32_t* member = cache_.member();
    for (;;) {
      const std::uint32_t m = member[row_];
      if (m >= cache_slot_.size()) {
        return MakeError(fmt::format("{}: row {}: member {} of {}: a damaged cache (delete it)",
                                     cache_path_, row_, m, cache_slot_.size()));
      }
      if (const std::int32_t slot = cache_slot_[m]; slot >= 0) {
        slot_ = static_cast<std::size_t>(slot);
        return Status::Ok();
      }
      if (++row_ >= size_) {
        Close();
        return Status::Ok();
      }
    }
  }
  for (;;) {
    if (!Valid(instrument_col_, row_)) return BadValue(instrument_col_, "NULL");
    const std::string_view id = StringAt(instrument_col_);
    auto it = slots_.find(id);
    if (it != slots_.end()) {
      slot_ = it->second;
      return Status::Ok();
    }
    if (writer_) CacheUnselected(id);
    if (++row_ >= size_) {
      if (Status s = Fetch(); !s) return s;
      if (done_) return Status::Ok();
    }
  }
}

void ScanCursor::CacheUnselected(std::string_view id) {
  // A clean chunk's values all passed the column checks; other rows were never checked here.
  if (!fast_ || files_.front().file.type != CatalogDataType::kQuote) {
    writer_.reset();
    return;
  }
  auto it = unselected_.find(std::string(id));
  if (it == unselected_.end()) {
    // A chain file has one price and one size precision: its selected instruments'.
    const ParquetDataMeta& m = files_.front().meta;
    const std::uint32_t k =
        writer_->AddMember({std::string(id), m.price_precision, m.size_precision});
    it = unselected_.emplace(std::string(id), k).first;
  }
  writer_->Add(it->second, Int64At(0), Int64At(1), Int64At(2), Int64At(3),
               static_cast<const std::uint64_t*>(data_[4])[row_], ts_init_[row_]);
}

Status ScanCursor::Emit(std::vector<MarketData>& out) {
  if (cached_) {
    // Values were checked when the cache was written.
    const CachedEntry& e = cached_entries_[slot_];
    const std::size_t r = row_;
    out.emplace_back(std::in_place_type<QuoteTick>,
                     QuoteTick{e.id, Price::Raw(cache_.raws(0)[r], e.price_precision),
                               Price::Raw(cache_.raws(1)[r], e.price_precision),
                               Quantity::Raw(cache_.raws(2)[r], e.size_precision),
                               Quantity::Raw(cache_.raws(3)[r], e.size_precision),
                               UnixNanos(static_cast<std::int64_t>(cache_.ts_event()[r])),
                               UnixNanos(static_cast<std::int64_t>(cache_.ts_init()[r]))});
    return Status::Ok();
  }
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
      if (writer_) {
        writer_->Add(static_cast<std::uint32_t>(slot_), q.bid_price.raw(), q.ask_price.raw(),
                     q.bid_size.raw(), q.ask_size.raw(),
                     static_cast<std::uint64_t>(q.ts_event.value),
                     static_cast<std::uint64_t>(q.ts_init.value));
      }
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

void ScanCursor::Close() {
  cache_ = ChainCacheView();
  cached_ = false;
  writer_.reset();
  chunk_ = duck::Chunk();
  result_.reset();
  con_.reset();
  done_ = true;
}

void ScanCursor::Release() {
  Close();
  std::vector<ScanFile>().swap(files_);
  std::vector<CatalogFile>().swap(entries_);
  std::vector<std::size_t>().swap(entry_indices_);
  decltype(slots_)().swap(slots_);
  std::vector<CachedEntry>().swap(cached_entries_);
  std::vector<std::int32_t>().swap(cache_slot_);
}

Status ScanCursor::ReadMeta(const CatalogQuery& q) {
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
  if (mode_ == ScanMode::kChain && !need.empty()) {
    return MakeError(
        fmt::format("{}: a chain file is read through the catalog's listing of its "
                    "instruments",
                    files_.front().file.path));
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

Status ScanCursor::Resolve(ScanFile& f, const CatalogQuery& q) {
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

Status ScanCursor::Fetch() {
  if (cached_) {  // the cache is one chunk
    Close();
    return Status::Ok();
  }
  auto c = result_->Fetch();
  if (!c) {
    Close();
    return MakeError(fmt::format("{}: {}", What(), c.error()));
  }
  if (c->empty()) {
    CommitCache();
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

bool ScanCursor::ChunkIsClean() const {
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

Status ScanCursor::RawAt(std::size_t col, std::int64_t& out) const {
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

std::string ScanCursor::What() const {
  if (!batched()) return files_.front().file.path;
  return fmt::format("{} and {} more files", files_.front().file.path, files_.size() - 1);
}

Status ScanCursor::BadValue(std::size_t col, std::string_view why) const {
  return MakeError(fmt::format("{}: row {}: column {}: {}", files_[Current()].file.path,
                               RowNumber(), names_[col], why));
}

Status ScanCursor::BadType(const std::string& name) const {
  return MakeError(fmt::format("{}: column {} has an unsupported type", What(), name));
}

Status ScanCursor::Decreasing(UnixNanos prev) const {
  return MakeError(fmt::format("{}: row {}: ts_init {} is before the previous row's {}",
                               files_.front().file.path, RowNumber(), ts().value, prev.value));
}

}  // namespace nacre::catalog_detail
