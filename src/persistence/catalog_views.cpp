#include "persistence/catalog_views.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>
#include <utility>

namespace nacre {

namespace {

namespace fs = std::filesystem;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// True when `sql` names `view` as a whole word.
bool Mentions(const std::string& sql, std::string_view view) {
  for (std::size_t p = sql.find(view); p != std::string::npos; p = sql.find(view, p + 1)) {
    auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    const bool left = p == 0 || !word(sql[p - 1]);
    const bool right = p + view.size() >= sql.size() || !word(sql[p + view.size()]);
    if (left && right) return true;
  }
  return false;
}

// The finest price and size precision the files declare (9 when none does).
std::pair<int, int> Precisions(duck::Connection& con, const std::string& glob) {
  auto r = con.Query(fmt::format(
      "SELECT coalesce(max(TRY_CAST(decode(value) AS INTEGER)) FILTER (WHERE decode(key) = "
      "'price_precision'), 9), coalesce(max(TRY_CAST(decode(value) AS INTEGER)) FILTER (WHERE "
      "decode(key) = 'size_precision'), 9) FROM parquet_kv_metadata({})",
      duck::Quote(glob)));
  if (!r) return {9, 9};
  auto c = r->Fetch();
  if (!c || c->empty()) return {9, 9};
  return {std::clamp(c->Column<std::int32_t>(0)[0], 0, 9),
          std::clamp(c->Column<std::int32_t>(1)[0], 0, 9)};
}

// Raw fixed point (scale 10^9) as an exact DECIMAL(38, p).
std::string Dec(std::string_view col, int p) {
  return fmt::format("CAST({0} * 0.000000001 AS DECIMAL(38,{1})) AS {0}", col, p);
}

std::string Ist(std::string_view ns_col) {
  return fmt::format("make_timestamp(CAST({} // 1000 AS BIGINT)) + INTERVAL 330 MINUTE", ns_col);
}

constexpr const char* kIdentifier =
    "regexp_extract(filename, '([^/]+)/[^/]+$', 1) AS identifier";

// True when some sub-folder of `dir` holds a Parquet file (read_parquet refuses a glob that
// matches nothing).
bool HasParquet(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return false;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (e.path().extension() == ".parquet") return true;
  }
  return false;
}

// The raw view of quotes or trades over both layouts: per-instrument files (the identifier
// from the folder name) and chain files (from their instrument_id column), with the finest
// precisions the files declare. Empty when neither layout holds any.
struct TickSource {
  std::string select;  // "SELECT *, ... AS identifier FROM read_parquet(...)"
  int price_precision = 0;
  int size_precision = 0;
};
std::optional<TickSource> TickSourceOf(duck::Connection& con, const std::string& data,
                                       const std::string& type_dir) {
  const bool flat = HasParquet(data + type_dir);
  const bool chain = HasParquet(data + "chain/" + type_dir);
  if (!flat && !chain) return std::nullopt;
  std::vector<std::string> globs;
  if (flat) globs.push_back(data + type_dir + "/*/*.parquet");
  if (chain) globs.push_back(data + "chain/" + type_dir + "/*/*.parquet");
  TickSource out;
  std::string list;
  for (const std::string& g : globs) {
    const auto [p, s] = Precisions(con, g);
    out.price_precision = std::max(out.price_precision, p);
    out.size_precision = std::max(out.size_precision, s);
    list += (list.empty() ? "" : ", ") + duck::Quote(g);
  }
  const std::string from_chain = "replace(instrument_id, '/', '')";
  const std::string from_dir = "regexp_extract(filename, '([^/]+)/[^/]+$', 1)";
  const std::string ident = !chain  ? from_dir
                            : !flat ? from_chain
                                    : fmt::format("coalesce({}, {})", from_chain, from_dir);
  out.select = fmt::format(
      "SELECT *, {} AS identifier FROM read_parquet([{}], filename = true, "
      "union_by_name = true)",
      ident, list);
  return out;
}

}  // namespace

const char* CatalogViewsHelp() {
  return R"(Views (created when the SQL names them; prices and sizes exact DECIMALs, times as
UBIGINT nanoseconds ts_event/ts_init plus time_ist = ts_event as an IST TIMESTAMP):
  quote_tick     instrument_id, bid_price, ask_price, bid_size, ask_size, ts_event, ts_init,
                 time_ist, identifier
  trade_tick     instrument_id, price, size, aggressor_side (BUY|SELL|NO_AGGRESSOR), trade_id,
                 ts_event, ts_init, time_ist, identifier
  bar            bar_type, instrument_id, open, high, low, close, volume, ts_event (bar open),
                 ts_init (bar close), time_ist (bar open), identifier
  instrument     id, instrument_class, raw_symbol, underlying, option_kind (CALL|PUT), strike,
                 expiry (IST date), expiration_ist, activation_ist, tick_size, lot_size,
                 multiplier, freeze_quantity, price_precision, size_precision, currency
  option_quote   quotes of option contracts with their contract: instrument_id, underlying,
                 expiry, option_kind, strike, bid_price, ask_price, mid, bid_size, ask_size,
                 ts_init, time_ist
  option_bar     bars of option contracts: instrument_id, bar_type, underlying, expiry,
                 option_kind, strike, open, high, low, close, volume, ts_init, time_ist
  chain_quote    one row per underlying, expiry, strike and quote time, calls and puts side by
                 side: call_bid, call_ask, call_bid_size, call_ask_size, put_bid, put_ask,
                 put_bid_size, put_ask_size, ts_init, time_ist
  option_chain   imported option-chain snapshot figures (nse_oc_parquet): instrument_id,
                 underlying, expiry, option_kind, strike, ts_init, time_ist, iv, oi, volume,
                 spot
  quote_tick_raw, trade_tick_raw, bar_raw, instrument_raw, option_chain_raw
                 the files as stored: raw integers at scale 10^9
Example: SELECT strike, call_bid, call_ask, put_bid, put_ask FROM chain_quote
         WHERE expiry = DATE '2026-06-30' ORDER BY strike)";
}

Status CreateCatalogViews(duck::Connection& con, const std::string& root, std::string_view sql_in) {
  const std::string sql = Lower(sql_in);
  const std::string data = root + "/data/";
  auto has_dir = [&](const std::string& d) {
    std::error_code ec;
    return fs::is_directory(data + d, ec);
  };
  // Which views the SQL needs, following what each view is built on.
  const bool chain_quote = Mentions(sql, "chain_quote");
  const bool option_quote = chain_quote || Mentions(sql, "option_quote");
  const bool option_bar = Mentions(sql, "option_bar");
  const bool option_chain = Mentions(sql, "option_chain") || Mentions(sql, "option_chain_raw");
  const bool quote =
      option_quote || Mentions(sql, "quote_tick") || Mentions(sql, "quote_tick_raw");
  const bool trade = Mentions(sql, "trade_tick") || Mentions(sql, "trade_tick_raw");
  const bool bar = option_bar || Mentions(sql, "bar") || Mentions(sql, "bar_raw");
  const bool instrument = option_quote || option_bar || option_chain ||
                          Mentions(sql, "instrument") || Mentions(sql, "instrument_raw");
  auto exec = [&](const std::string& s) { return con.Execute(s); };

  bool quote_view = false;
  if (auto src = quote ? TickSourceOf(con, data, "quote_tick") : std::nullopt) {
    quote_view = true;
    const int p = src->price_precision;
    const int s = src->size_precision;
    if (Status st = exec("CREATE OR REPLACE VIEW quote_tick_raw AS " + src->select); !st) {
      return st;
    }
    if (Status st = exec(fmt::format(
            "CREATE OR REPLACE VIEW quote_tick AS SELECT identifier AS instrument_id, {}, {}, {}, "
            "{}, ts_event, ts_init, {} AS time_ist, identifier FROM quote_tick_raw",
            Dec("bid_price", p), Dec("ask_price", p), Dec("bid_size", s), Dec("ask_size", s),
            Ist("ts_event")));
        !st) {
      return st;
    }
  }
  if (auto src = trade ? TickSourceOf(con, data, "trade_tick") : std::nullopt) {
    const int p = src->price_precision;
    const int s = src->size_precision;
    if (Status st = exec("CREATE OR REPLACE VIEW trade_tick_raw AS " + src->select); !st) {
      return st;
    }
    if (Status st = exec(fmt::format(
            "CREATE OR REPLACE VIEW trade_tick AS SELECT identifier AS instrument_id, {}, {}, "
            "CASE aggressor_side WHEN 1 THEN 'BUY' WHEN 2 THEN 'SELL' ELSE 'NO_AGGRESSOR' END "
            "AS aggressor_side, trade_id, ts_event, ts_init, {} AS time_ist, identifier FROM "
            "trade_tick_raw",
            Dec("price", p), Dec("size", s), Ist("ts_event")));
        !st) {
      return st;
    }
  }
  if (bar && has_dir("bar")) {
    const std::string glob = data + "bar/*/*.parquet";
    const auto [p, s] = Precisions(con, glob);
    if (Status st = exec(fmt::format(
            "CREATE OR REPLACE VIEW bar_raw AS SELECT *, {} FROM read_parquet({}, "
            "filename = true, union_by_name = true)",
            kIdentifier, duck::Quote(glob)));
        !st) {
      return st;
    }
    if (Status st = exec(fmt::format(
            "CREATE OR REPLACE VIEW bar AS SELECT identifier AS bar_type, "
            "regexp_extract(identifier, '^(.*)-[0-9]+-[A-Z_]+-[A-Z_]+-[A-Z_]+$', 1) AS "
            "instrument_id, {}, {}, {}, {}, {}, ts_event, ts_init, {} AS time_ist, identifier "
            "FROM bar_raw",
            Dec("open", p), Dec("high", p), Dec("low", p), Dec("close", p), Dec("volume", s),
            Ist("ts_event")));
        !st) {
      return st;
    }
  }
  if (instrument && has_dir("instrument")) {
    const std::string glob = data + "instrument/*.parquet";
    if (Status st = exec(fmt::format(
            "CREATE OR REPLACE VIEW instrument_raw AS SELECT * FROM read_parquet({})",
            duck::Quote(glob)));
        !st) {
      return st;
    }
    int p = 2;
    int s = 0;
    if (auto r = con.Query("SELECT coalesce(max(price_precision), 9), coalesce(greatest(max("
                           "size_precision), max(lot_precision)), 9) FROM instrument_raw");
        r) {
      if (auto c = r->Fetch(); c && !c->empty()) {
        p = std::clamp(c->Column<std::int32_t>(0)[0], 0, 9);
        s = std::clamp(c->Column<std::int32_t>(1)[0], 0, 9);
      }
    }
    if (Status st = exec(fmt::format(
            "CREATE OR REPLACE VIEW instrument AS SELECT id, instrument_class, raw_symbol, "
            "NULLIF(underlying, '') AS underlying, NULLIF(option_kind, '') AS option_kind, "
            "CASE WHEN instrument_class = 'OPTION' THEN CAST(strike * 0.000000001 AS "
            "DECIMAL(38,{0})) END AS strike, "
            "CASE WHEN expiration > 0 THEN CAST({2} AS DATE) END AS expiry, "
            "CASE WHEN expiration > 0 THEN {2} END AS expiration_ist, "
            "CASE WHEN activation > 0 THEN {3} END AS activation_ist, {4}, {5}, multiplier, "
            "CAST(freeze_quantity * 0.000000001 AS DECIMAL(38,{1})) AS freeze_quantity, "
            "price_precision, size_precision, currency FROM instrument_raw",
            p, s, Ist("expiration"), Ist("activation"), Dec("tick_size", p), Dec("lot_size", s)));
        !st) {
      return st;
    }
  }
  if (option_chain && has_dir("option_chain")) {
    if (Status st = exec(fmt::format(
            "CREATE OR REPLACE VIEW option_chain_raw AS SELECT * FROM read_parquet({})",
            duck::Quote(data + "option_chain/*/*.parquet")));
        !st) {
      return st;
    }
    if (has_dir("instrument")) {
      if (Status st = exec(fmt::format(
              "CREATE OR REPLACE VIEW option_chain AS SELECT c.instrument_id, i.underlying, "
              "i.expiry, i.option_kind, i.strike, c.ts_init, {} AS time_ist, c.iv, c.oi, "
              "c.volume, CAST(c.spot * 0.000000001 AS DECIMAL(38,2)) AS spot FROM "
              "option_chain_raw c LEFT JOIN instrument i ON i.id = c.instrument_id",
              Ist("c.ts_init")));
          !st) {
        return st;
      }
    }
  }
  const bool have_instruments = has_dir("instrument");
  if (option_quote && have_instruments && quote_view) {
    if (Status st = exec(
            "CREATE OR REPLACE VIEW option_quote AS SELECT q.instrument_id, i.underlying, "
            "i.expiry, i.option_kind, i.strike, q.bid_price, q.ask_price, "
            "(q.bid_price + q.ask_price) * 0.5 AS mid, q.bid_size, q.ask_size, q.ts_init, "
            "q.time_ist FROM quote_tick q JOIN instrument i ON i.id = q.instrument_id WHERE "
            "i.instrument_class = 'OPTION'");
        !st) {
      return st;
    }
  }
  if (chain_quote && have_instruments && quote_view) {
    if (Status st = exec(
            "CREATE OR REPLACE VIEW chain_quote AS SELECT underlying, expiry, strike, ts_init, "
            "any_value(time_ist) AS time_ist, "
            "max(bid_price) FILTER (WHERE option_kind = 'CALL') AS call_bid, "
            "max(ask_price) FILTER (WHERE option_kind = 'CALL') AS call_ask, "
            "max(bid_size) FILTER (WHERE option_kind = 'CALL') AS call_bid_size, "
            "max(ask_size) FILTER (WHERE option_kind = 'CALL') AS call_ask_size, "
            "max(bid_price) FILTER (WHERE option_kind = 'PUT') AS put_bid, "
            "max(ask_price) FILTER (WHERE option_kind = 'PUT') AS put_ask, "
            "max(bid_size) FILTER (WHERE option_kind = 'PUT') AS put_bid_size, "
            "max(ask_size) FILTER (WHERE option_kind = 'PUT') AS put_ask_size "
            "FROM option_quote GROUP BY underlying, expiry, strike, ts_init");
        !st) {
      return st;
    }
  }
  if (option_bar && have_instruments && has_dir("bar")) {
    if (Status st = exec(
            "CREATE OR REPLACE VIEW option_bar AS SELECT b.instrument_id, b.bar_type, "
            "i.underlying, i.expiry, i.option_kind, i.strike, b.open, b.high, b.low, b.close, "
            "b.volume, b.ts_init, b.time_ist FROM bar b JOIN instrument i ON i.id = "
            "b.instrument_id WHERE i.instrument_class = 'OPTION'");
        !st) {
      return st;
    }
  }
  return Status::Ok();
}

}  // namespace nacre
