// Instrument definitions: {root}/data/instrument/*.parquet, one row per instrument.
#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <system_error>

#include "persistence/catalog.h"
#include "persistence/duckdb.h"

namespace nacre {

namespace fs = std::filesystem;

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
      // Precisions outside [0, 9] are no fixed-point grid (amounts would be scaled by nonsense).
      for (const auto& [col, field] : {std::pair<std::size_t, const char*>{4, "currency_precision"},
                                       {5, "price_precision"},
                                       {8, "size_precision"}}) {
        const std::int32_t p = i32(col)[row];
        if (p < 0 || p > kMaxPrecision) {
          return bad(field, fmt::format("{} outside [0, {}]", p, kMaxPrecision));
        }
      }
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

}  // namespace nacre
