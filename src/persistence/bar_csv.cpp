#include "persistence/bar_csv.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace nacre {

namespace {

std::vector<std::string_view> SplitCsv(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= line.size(); ++i) {
    if (i == line.size() || line[i] == ',') {
      std::string_view f = line.substr(start, i - start);
      while (!f.empty() && (f.front() == ' ' || f.front() == '\t')) f.remove_prefix(1);
      while (!f.empty() && (f.back() == ' ' || f.back() == '\t')) f.remove_suffix(1);
      out.push_back(f);
      start = i + 1;
    }
  }
  return out;
}

bool Digits(std::string_view s, std::size_t pos, std::size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

Result<std::vector<Bar>> ParseBarsCsv(std::string_view text, const std::string& name,
                                      const BarCsvOptions& opt) {
  std::vector<Bar> bars;
  const DurationNs interval = opt.bar_type.spec().Interval();
  const bool nse = opt.format == BarCsvFormat::kNseIndex1Min;
  const std::size_t price_col = nse ? 3 : 1;
  const char* expected_header =
      nse ? "Instrument,Date,Time,Open,High,Low,Close" : "datetime,open,high,low,close[,volume]";
  std::size_t line_no = 0;
  std::size_t pos = 0;
  UnixNanos last_ts;
  bool header_seen = false;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const auto fields = SplitCsv(line);
    auto fail = [&](std::size_t col, const std::string& why) {
      return MakeError(fmt::format("{}:{}: column {}: {}", name, line_no, col + 1, why));
    };
    if (!header_seen) {
      header_seen = true;
      const std::string_view first = fields.empty() ? "" : fields[0];
      const bool is_header = nse ? (first == "Instrument")
                                 : (first == "datetime" || first == "date" || first == "timestamp");
      if (!is_header) return fail(0, fmt::format("expected header '{}'", expected_header));
      continue;
    }
    const std::size_t min_fields = nse ? 7 : 5;
    if (fields.size() < min_fields) {
      return fail(fields.size(), fmt::format("expected {} fields ({}), got {}", min_fields,
                                             expected_header, fields.size()));
    }
    UnixNanos ts;
    if (nse) {
      const std::string_view d = fields[1];
      const std::string_view t = fields[2];
      CivilDateTime c;
      if (d.size() != 8 || !Digits(d, 0, 4, &c.date.year) || !Digits(d, 4, 2, &c.date.month) ||
          !Digits(d, 6, 2, &c.date.day) || !IsValidDate(c.date)) {
        return fail(1, fmt::format("invalid date '{}' (expected YYYYMMDD)", d));
      }
      if (t.size() != 5 || t[2] != ':' || !Digits(t, 0, 2, &c.hour) ||
          !Digits(t, 3, 2, &c.minute) || c.hour > 23 || c.minute > 59) {
        return fail(2, fmt::format("invalid time '{}' (expected HH:MM)", t));
      }
      ts = FromIst(c);  // bar-open minute in IST
    } else {
      auto parsed = ParseDateTime(fields[0], opt.utc_offset);
      if (!parsed) return fail(0, parsed.error());
      ts = *parsed;
      if (opt.timestamp == BarTimestamp::kClose) ts = ts - interval;
    }
    Price px[4];
    static constexpr const char* kNames[] = {"open", "high", "low", "close"};
    for (int k = 0; k < 4; ++k) {
      auto p = Price::Parse(fields[price_col + k], opt.price_precision);
      if (!p) return fail(price_col + k, fmt::format("{}: {}", kNames[k], p.error()));
      if (!p->is_positive())
        return fail(price_col + k, fmt::format("{} must be positive", kNames[k]));
      px[k] = *p;
    }
    Quantity volume = Quantity::Zero(opt.size_precision);
    if (!nse && fields.size() > 5 && !fields[5].empty()) {
      auto v = Quantity::Parse(fields[5]);
      if (!v) return fail(5, v.error());
      if (v->precision() > opt.size_precision) return fail(5, "volume has too many decimals");
      volume = Quantity::Raw(v->raw(), opt.size_precision);
    }
    Bar bar{opt.bar_type, px[0], px[1], px[2], px[3], volume, ts, ts + interval};
    if (Status s = ValidateBar(bar); !s) return fail(price_col, s.error());
    if (!bars.empty() && bar.ts_event <= last_ts) {
      return fail(nse ? 1 : 0, fmt::format("timestamp {} not after previous {}",
                                           FormatIsoUtc(bar.ts_event), FormatIsoUtc(last_ts)));
    }
    last_ts = bar.ts_event;
    bars.push_back(bar);
  }
  if (!header_seen) return MakeError(fmt::format("{}: empty file", name));
  if (bars.empty()) return MakeError(fmt::format("{}: no data rows after the header", name));
  return bars;
}

Result<std::vector<Bar>> LoadBarsCsv(const std::string& path, const BarCsvOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(fmt::format("cannot open '{}': {}", path, std::strerror(errno)));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseBarsCsv(ss.str(), path, options);
}

}  // namespace nacre
