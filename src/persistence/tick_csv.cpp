#include "persistence/tick_csv.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/fixed.h"

namespace nacre {

namespace {

constexpr std::size_t kNone = std::size_t(-1);

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view Trim(std::string_view f) {
  while (!f.empty() && (f.front() == ' ' || f.front() == '\t')) f.remove_prefix(1);
  while (!f.empty() && (f.back() == ' ' || f.back() == '\t' || f.back() == '\r')) {
    f.remove_suffix(1);
  }
  return f;
}

// Splits one line into views (a field in double quotes loses its quotes; commas inside quotes
// stay in the field). `out` is reused across lines.
void Split(std::string_view line, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t i = 0;
  for (;;) {
    const std::size_t start = i;
    if (i < line.size() && line[i] == '"') {
      const std::size_t close = line.find('"', i + 1);
      const std::size_t stop = close == std::string_view::npos ? line.size() : close;
      out.push_back(line.substr(i + 1, stop - i - 1));
      i = line.find(',', stop);
      if (i == std::string_view::npos) return;
      ++i;
      continue;
    }
    const std::size_t end = line.find(',', i);
    if (end == std::string_view::npos) {
      out.push_back(Trim(line.substr(start)));
      return;
    }
    out.push_back(Trim(line.substr(start, end - start)));
    i = end + 1;
  }
}

// Next line of `text` from `pos` (without its '\n' / "\r\n"); false at the end.
bool NextLine(std::string_view text, std::size_t& pos, std::string_view& line) {
  if (pos >= text.size()) return false;
  std::size_t end = text.find('\n', pos);
  if (end == std::string_view::npos) end = text.size();
  line = text.substr(pos, end - pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  pos = end + 1;
  return true;
}

bool IsNanOrInf(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return EqualsNoCase(s, "nan") || EqualsNoCase(s, "inf") || EqualsNoCase(s, "infinity");
}

Result<std::int64_t> ParseEpoch(std::string_view s) {
  if (s.empty()) return MakeError("empty time");
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return MakeError(fmt::format("'{}' is not an epoch time", s));
    if (v > (std::numeric_limits<std::int64_t>::max() - 9) / 10) {
      return MakeError(fmt::format("'{}' is out of range", s));
    }
    v = v * 10 + (c - '0');
  }
  return v;
}

enum class TimeFormat : std::uint8_t { kAuto, kDateTime, kS, kMs, kUs, kNs };

Result<TimeFormat> ParseTimeFormat(std::string_view s) {
  if (s == "auto" || s.empty()) return TimeFormat::kAuto;
  if (s == "datetime") return TimeFormat::kDateTime;
  if (s == "epoch_s") return TimeFormat::kS;
  if (s == "epoch_ms") return TimeFormat::kMs;
  if (s == "epoch_us") return TimeFormat::kUs;
  if (s == "epoch_ns") return TimeFormat::kNs;
  return MakeError(fmt::format(
      "unknown time format '{}' (auto, datetime, epoch_s, epoch_ms, epoch_us, epoch_ns)", s));
}

TimeFormat Guess(std::string_view v) {
  if (v.find_first_of("-: T") != std::string_view::npos) return TimeFormat::kDateTime;
  if (v.size() <= 10) return TimeFormat::kS;
  if (v.size() <= 13) return TimeFormat::kMs;
  if (v.size() <= 16) return TimeFormat::kUs;
  return TimeFormat::kNs;
}

Result<UnixNanos> ParseTime(std::string_view v, TimeFormat f, DurationNs offset) {
  if (f == TimeFormat::kDateTime) return ParseDateTime(v, offset);
  auto e = ParseEpoch(v);
  if (!e) return MakeError(e.error());
  const std::int64_t mult = f == TimeFormat::kS    ? kNanosPerSecond
                            : f == TimeFormat::kMs ? kNanosPerMilli
                            : f == TimeFormat::kUs ? 1000
                                                   : 1;
  std::int64_t ns = 0;
  if (__builtin_mul_overflow(*e, mult, &ns)) {
    return MakeError(fmt::format("'{}' is out of range for its unit", v));
  }
  return UnixNanos(ns);
}

constexpr std::array<std::string_view, 6> kTimeNames = {"time",      "datetime", "timestamp",
                                                        "date_time", "ts_event", "ts"};

// The header name a field is read from.
std::string_view NameOf(const std::map<std::string, std::string>& columns, std::string_view field) {
  auto it = columns.find(std::string(field));
  return it == columns.end() ? field : std::string_view(it->second);
}

std::size_t Find(const std::vector<std::string_view>& header, std::string_view name) {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (EqualsNoCase(header[i], name)) return i;
  }
  return kNone;
}

struct Header {
  std::string text;  // owns the views
  std::vector<std::string_view> names;
};

Result<Header> ReadHeader(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(fmt::format("{}: cannot open", path));
  Header h;
  std::getline(in, h.text);
  Split(h.text, h.names);
  return h;
}

}  // namespace

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(fmt::format("{}: cannot open", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<CsvTimeParser> CsvTimeParser::Make(std::string_view format, DurationNs utc_offset) {
  auto f = ParseTimeFormat(format);
  if (!f) return MakeError(f.error());
  return CsvTimeParser(static_cast<std::uint8_t>(*f), utc_offset);
}

Result<UnixNanos> CsvTimeParser::Parse(std::string_view value) {
  auto f = static_cast<TimeFormat>(format_);
  if (f == TimeFormat::kAuto) {
    f = Guess(value);
    format_ = static_cast<std::uint8_t>(f);
  }
  return ParseTime(value, f, utc_offset_);
}

std::size_t FindTimeColumn(const std::vector<std::string>& header, const std::string& name) {
  std::vector<std::string_view> h(header.begin(), header.end());
  if (!name.empty()) return Find(h, name);
  for (std::string_view n : kTimeNames) {
    if (const std::size_t c = Find(h, n); c != kNone) return c;
  }
  return kNone;
}

bool LooksLikeTickCsv(const std::string& header_line) {
  std::vector<std::string_view> h;
  Split(header_line, h);
  return (Find(h, "bid") != kNone && Find(h, "ask") != kNone) ||
         (Find(h, "price") != kNone && Find(h, "size") != kNone);
}

Result<CsvTickKind> DetectCsvTickKind(const std::string& path,
                                      const std::map<std::string, std::string>& columns) {
  auto h = ReadHeader(path);
  if (!h) return MakeError(h.error());
  if (Find(h->names, NameOf(columns, "bid")) != kNone &&
      Find(h->names, NameOf(columns, "ask")) != kNone) {
    return CsvTickKind::kQuote;
  }
  if (Find(h->names, NameOf(columns, "price")) != kNone) return CsvTickKind::kTrade;
  return MakeError(fmt::format(
      "{}:1: neither quote columns (bid, ask) nor a trade column (price) in the header '{}'; "
      "map them with --column FIELD=NAME",
      path, h->text));
}

Result<CsvTicks> LoadTicksCsv(const std::string& path, const CsvTickOptions& o) {
  if (o.price_precision < 0 || o.price_precision > kMaxPrecision || o.size_precision < 0 ||
      o.size_precision > kMaxPrecision) {
    return MakeError(fmt::format("{}: precisions must be 0..9", path));
  }
  auto time_parser = CsvTimeParser::Make(o.time_format, o.utc_offset);
  if (!time_parser) return MakeError(fmt::format("{}: {}", path, time_parser.error()));
  auto text_r = ReadWholeFile(path);
  if (!text_r) return MakeError(text_r.error());
  const std::string_view text = *text_r;
  std::size_t pos = 0;
  std::string_view line;
  if (!NextLine(text, pos, line)) return MakeError(fmt::format("{}: empty file", path));
  std::vector<std::string_view> header;
  Split(line, header);
  const std::string header_text(line);

  auto column = [&](std::string_view field, bool required) -> Result<std::size_t> {
    const std::string_view name = NameOf(o.columns, field);
    const std::size_t c = Find(header, name);
    if (c == kNone && required) {
      return MakeError(fmt::format(
          "{}:1: no column '{}' for {} in the header '{}' (map it with --column {}=NAME)", path,
          name, field, header_text, field));
    }
    return c;
  };
  std::size_t tc = kNone;
  std::string time_name = o.time_column;
  if (time_name.empty() && o.columns.count("time")) time_name = o.columns.at("time");
  if (!time_name.empty()) {
    tc = Find(header, time_name);
    if (tc == kNone) {
      return MakeError(fmt::format("{}:1: no time column '{}' in the header '{}'", path,
                                   time_name, header_text));
    }
  } else {
    for (std::string_view n : kTimeNames) {
      if ((tc = Find(header, n)) != kNone) break;
    }
    if (tc == kNone) {
      return MakeError(fmt::format(
          "{}:1: no time column (time, datetime, timestamp, ts_event, ...) in the header '{}'; "
          "give --time-column",
          path, header_text));
    }
  }
  const bool quotes = o.kind == CsvTickKind::kQuote;
  // Value columns in the order they are parsed.
  std::array<std::size_t, 4> vc{kNone, kNone, kNone, kNone};
  std::size_t aggressor_col = kNone;
  std::size_t trade_id_col = kNone;
  const std::array<std::string_view, 4> fields =
      quotes ? std::array<std::string_view, 4>{"bid", "ask", "bid_size", "ask_size"}
             : std::array<std::string_view, 4>{"price", "size", "", ""};
  for (std::size_t k = 0; k < 4; ++k) {
    if (fields[k].empty()) continue;
    auto c = column(fields[k], true);
    if (!c) return MakeError(c.error());
    vc[k] = *c;
  }
  if (!quotes) {
    auto a = column("aggressor", false);
    aggressor_col = a ? *a : kNone;
    if (aggressor_col == kNone && !o.columns.count("aggressor")) {
      aggressor_col = Find(header, "aggressor_side");
    }
    auto t = column("trade_id", false);
    trade_id_col = t ? *t : kNone;
    for (std::string_view f : {std::string_view("aggressor"), std::string_view("trade_id")}) {
      if (o.columns.count(std::string(f)) &&
          Find(header, NameOf(o.columns, f)) == kNone) {
        return MakeError(fmt::format("{}:1: no column '{}' for {} in the header '{}'", path,
                                     NameOf(o.columns, f), f, header_text));
      }
    }
  }
  std::size_t need = tc;
  for (std::size_t c : vc) {
    if (c != kNone) need = std::max(need, c);
  }
  ++need;

  CsvTicks out;
  // One row per line is an upper bound; reserving avoids regrowth on big files.
  const std::size_t estimate = static_cast<std::size_t>(
      std::count(text.begin() + static_cast<std::ptrdiff_t>(pos), text.end(), '\n') + 1);
  if (quotes) {
    out.quotes.reserve(estimate);
  } else {
    out.trades.reserve(estimate);
  }
  std::vector<std::string_view> f;
  f.reserve(header.size() + 1);
  UnixNanos last(std::numeric_limits<std::int64_t>::min());
  std::size_t ln = 1;
  std::string_view last_time_text;
  while (NextLine(text, pos, line)) {
    ++ln;
    if (Trim(line).empty()) continue;
    Split(line, f);
    auto bad = [&](std::size_t c, std::string_view why) {
      return MakeError(fmt::format("{}:{}: column {} ({}): {}", path, ln, c + 1,
                                   c < header.size() ? header[c] : std::string_view("?"), why));
    };
    if (f.size() < need) {
      return MakeError(fmt::format("{}:{}: expected at least {} fields, found {}", path, ln, need,
                                   f.size()));
    }
    auto t = time_parser->Parse(f[tc]);
    if (!t) return bad(tc, t.error());
    if (*t < last) {
      return bad(tc, fmt::format("time {} is earlier than the row before ({}); rows must be in "
                                 "time order",
                                 f[tc], last_time_text));
    }
    last = *t;
    last_time_text = f[tc];
    auto price = [&](std::size_t c) -> Result<Price> {
      const std::string_view v = f[c];
      if (v.empty()) return MakeError("empty price");
      if (IsNanOrInf(v)) return MakeError(fmt::format("'{}' is not a price", v));
      auto p = Price::Parse(v, o.price_precision);
      if (!p) return MakeError(p.error());
      if (!p->is_positive()) {
        return MakeError(fmt::format("price {} must be positive", v));
      }
      return p;
    };
    auto size = [&](std::size_t c) -> Result<Quantity> {
      const std::string_view v = f[c];
      if (v.empty()) return MakeError("empty size");
      if (IsNanOrInf(v)) return MakeError(fmt::format("'{}' is not a size", v));
      int decimals = 0;
      auto raw = ParseFixedRaw(v, &decimals);
      if (!raw) return MakeError(fmt::format("invalid size '{}': {}", v, raw.error()));
      if (*raw < 0) return MakeError(fmt::format("size {} is negative", v));
      if (decimals > o.size_precision) {
        return MakeError(fmt::format("size {} has more than {} decimals (--size-precision)", v,
                                     o.size_precision));
      }
      return Quantity::Raw(*raw, o.size_precision);
    };
    if (quotes) {
      QuoteTick q;
      q.instrument_id = o.instrument_id;
      auto bid = price(vc[0]);
      if (!bid) return bad(vc[0], bid.error());
      auto ask = price(vc[1]);
      if (!ask) return bad(vc[1], ask.error());
      if (*ask < *bid) {
        return bad(vc[1], fmt::format("crossed quote: bid {} is above ask {}", f[vc[0]], f[vc[1]]));
      }
      auto bs = size(vc[2]);
      if (!bs) return bad(vc[2], bs.error());
      auto as = size(vc[3]);
      if (!as) return bad(vc[3], as.error());
      q.bid_price = *bid;
      q.ask_price = *ask;
      q.bid_size = *bs;
      q.ask_size = *as;
      q.ts_event = q.ts_init = *t;
      out.quotes.push_back(q);
    } else {
      TradeTick tr;
      tr.instrument_id = o.instrument_id;
      auto px = price(vc[0]);
      if (!px) return bad(vc[0], px.error());
      auto sz = size(vc[1]);
      if (!sz) return bad(vc[1], sz.error());
      if (sz->is_zero()) return bad(vc[1], "a trade needs a positive size");
      tr.price = *px;
      tr.size = *sz;
      if (aggressor_col != kNone && aggressor_col < f.size()) {
        const std::string_view a = f[aggressor_col];
        if (a.empty() || EqualsNoCase(a, "NO_AGGRESSOR") || EqualsNoCase(a, "NONE") ||
            EqualsNoCase(a, "N") || EqualsNoCase(a, "NO_SIDE")) {
          tr.aggressor_side = OrderSide::kNoSide;
        } else if (EqualsNoCase(a, "BUY") || EqualsNoCase(a, "B") || EqualsNoCase(a, "BUYER")) {
          tr.aggressor_side = OrderSide::kBuy;
        } else if (EqualsNoCase(a, "SELL") || EqualsNoCase(a, "S") ||
                   EqualsNoCase(a, "SELLER")) {
          tr.aggressor_side = OrderSide::kSell;
        } else {
          return bad(aggressor_col,
                     fmt::format("aggressor '{}' is not BUY, SELL or NO_AGGRESSOR", a));
        }
      }
      if (trade_id_col != kNone && trade_id_col < f.size() && !f[trade_id_col].empty()) {
        tr.trade_id = TradeId(f[trade_id_col]);
      }
      tr.ts_event = tr.ts_init = *t;
      out.trades.push_back(tr);
    }
  }
  if (out.quotes.empty() && out.trades.empty()) {
    return MakeError(fmt::format("{}: no data rows after the header", path));
  }
  return out;
}

}  // namespace nacre
