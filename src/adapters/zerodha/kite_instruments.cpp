#include "adapters/zerodha/kite_instruments.h"

#include <fmt/format.h>

#include <charconv>

#include "core/time.h"

namespace nacre {

namespace {

std::vector<std::string_view> SplitComma(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t c = line.find(',', start);
    out.push_back(line.substr(start, c == std::string_view::npos ? std::string_view::npos
                                                                 : c - start));
    if (c == std::string_view::npos) break;
    start = c + 1;
  }
  return out;
}

template <typename T>
bool ParseUnsigned(std::string_view s, T& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

}  // namespace

std::uint32_t KiteSegmentId(std::string_view segment) {
  const std::string_view exch = segment.substr(0, segment.find('-'));
  if (segment == "INDICES") return 9;
  if (exch == "NSE") return 1;
  if (exch == "NFO") return 2;
  if (exch == "CDS") return 3;
  if (exch == "BSE") return 4;
  if (exch == "BFO") return 5;
  if (exch == "BCD") return 6;
  if (exch == "MCX") return 7;
  if (exch == "MCXSX") return 8;
  return 0;
}

std::string KiteNumberText(const Price& p) {
  std::string s = FormatFixedRaw(p.raw(), 9);
  const auto dot = s.find('.');
  std::size_t keep = s.size();
  while (keep > dot + 2 && s[keep - 1] == '0') --keep;  // at least one decimal
  s.resize(keep);
  return s;
}

Result<std::vector<KiteInstrumentRow>> ParseKiteInstrumentsCsv(std::string_view text,
                                                               std::string_view source) {
  std::vector<KiteInstrumentRow> rows;
  std::size_t pos = 0;
  int line_no = 0;
  static constexpr const char* kColumns[] = {
      "instrument_token", "exchange_token", "tradingsymbol", "name",
      "last_price",       "expiry",         "strike",        "tick_size",
      "lot_size",         "instrument_type", "segment",      "exchange"};
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto fail = [&](int col, const std::string& why) {
      return MakeError(ErrorCode::kInvalidInput,
                       col < 0 ? fmt::format("{}:{}: {}", source, line_no, why)
                               : fmt::format("{}:{}: column {} ({}): {}", source, line_no,
                                             col + 1, kColumns[col], why));
    };
    if (line_no == 1) {
      if (line != kKiteInstrumentsHeader) {
        return fail(-1, fmt::format("header '{}', expected '{}'", line, kKiteInstrumentsHeader));
      }
      continue;
    }
    if (line.empty()) continue;  // a trailing newline
    const std::vector<std::string_view> f = SplitComma(line);
    if (f.size() != 12) return fail(-1, fmt::format("{} columns, expected 12", f.size()));
    KiteInstrumentRow r;
    if (!ParseUnsigned(f[0], r.instrument_token)) return fail(0, "not a token number");
    if (!ParseUnsigned(f[1], r.exchange_token)) return fail(1, "not a token number");
    r.tradingsymbol = std::string(f[2]);
    if (r.tradingsymbol.empty()) return fail(2, "empty");
    r.name = std::string(f[3]);
    const std::pair<int, Price*> prices[] = {{4, &r.last_price}, {6, &r.strike}, {7, &r.tick_size}};
    for (const auto& [col, out] : prices) {
      auto p = Price::Parse(f[static_cast<std::size_t>(col)]);
      if (!p.ok()) return fail(col, p.error());
      if (p->raw() < 0) return fail(col, "negative");
      *out = *p;
    }
    const bool index = f[10] == "INDICES";  // Kite lists indices with tick 0 and lot 0
    if (r.tick_size.raw() <= 0 && !index) return fail(7, "must be positive");
    r.expiry = std::string(f[5]);
    if (!r.expiry.empty() && !ParseDate(r.expiry).ok()) return fail(5, "not a YYYY-MM-DD date");
    if (!ParseUnsigned(f[8], r.lot_size) || (r.lot_size <= 0 && !index)) {
      return fail(8, "not a positive whole number");
    }
    r.instrument_type = std::string(f[9]);
    r.segment = std::string(f[10]);
    r.exchange = std::string(f[11]);
    const std::uint32_t seg = KiteSegmentId(r.segment);
    if (seg == 0) return fail(10, fmt::format("unknown segment '{}'", r.segment));
    if (r.instrument_token != ((r.exchange_token << 8) | seg)) {
      return fail(0, fmt::format("{} is not exchange_token {} << 8 | segment {} ({})",
                                 r.instrument_token, r.exchange_token, seg, r.segment));
    }
    rows.push_back(std::move(r));
  }
  if (line_no == 0) return MakeError(ErrorCode::kInvalidInput, fmt::format("{}: empty", source));
  return rows;
}

std::string WriteKiteInstrumentsCsv(const std::vector<KiteInstrumentRow>& rows) {
  std::string out(kKiteInstrumentsHeader);
  out += "\r\n";
  for (const KiteInstrumentRow& r : rows) {
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\r\n", r.instrument_token,
                       r.exchange_token, r.tradingsymbol, r.name, KiteNumberText(r.last_price),
                       r.expiry, KiteNumberText(r.strike), KiteNumberText(r.tick_size),
                       r.lot_size, r.instrument_type, r.segment, r.exchange);
  }
  return out;
}

}  // namespace nacre
