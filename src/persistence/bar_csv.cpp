#include "persistence/bar_csv.h"

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

namespace nacre {

namespace {

// Splits a CSV line into at most kMaxFields trimmed fields without allocating; returns the
// field count (more than kMaxFields fields: the count, the extra ones are not stored).
constexpr std::size_t kMaxFields = 12;
std::size_t SplitCsv(std::string_view line, std::array<std::string_view, kMaxFields>& out) {
  std::size_t n = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= line.size(); ++i) {
    if (i == line.size() || line[i] == ',') {
      std::string_view f = line.substr(start, i - start);
      while (!f.empty() && (f.front() == ' ' || f.front() == '\t')) f.remove_prefix(1);
      while (!f.empty() && (f.back() == ' ' || f.back() == '\t')) f.remove_suffix(1);
      if (n < kMaxFields) out[n] = f;
      ++n;
      start = i + 1;
    }
  }
  return n;
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

// Parses one file's rows, line by line, in either format. Shared by the whole-file loader and
// the streaming reader so both accept and refuse exactly the same input.
class BarCsvRowParser {
 public:
  BarCsvRowParser(std::string name, const BarCsvOptions& opt)
      : name_(std::move(name)),
        opt_(opt),
        interval_(opt.bar_type.spec().Interval()),
        nse_(opt.format == BarCsvFormat::kNseIndex1Min),
        price_col_(nse_ ? 3 : 1) {}

  bool header_seen() const { return header_seen_; }
  std::uint64_t rows() const { return rows_; }

  // One line (without its newline). Sets `has_bar` when the line was a data row.
  Status Line(std::string_view line, std::size_t line_no, Bar& bar, bool& has_bar) {
    has_bar = false;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return Status::Ok();
    std::array<std::string_view, kMaxFields> fields;
    const std::size_t nf = SplitCsv(line, fields);
    auto fail = [&](std::size_t col, const std::string& why) {
      return Status(MakeError(fmt::format("{}:{}: column {}: {}", name_, line_no, col + 1, why)));
    };
    const char* expected_header =
        nse_ ? "Instrument,Date,Time,Open,High,Low,Close" : "datetime,open,high,low,close[,volume]";
    if (!header_seen_) {
      header_seen_ = true;
      const std::string_view first = nf == 0 ? "" : fields[0];
      const bool is_header = nse_
                                 ? (first == "Instrument")
                                 : (first == "datetime" || first == "date" || first == "timestamp");
      if (!is_header) return fail(0, fmt::format("expected header '{}'", expected_header));
      return Status::Ok();
    }
    const std::size_t min_fields = nse_ ? 7 : 5;
    if (nf < min_fields) {
      return fail(nf,
                  fmt::format("expected {} fields ({}), got {}", min_fields, expected_header, nf));
    }
    UnixNanos ts;
    if (nse_) {
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
      auto parsed = ParseDateTime(fields[0], opt_.utc_offset);
      if (!parsed) return fail(0, parsed.error());
      ts = *parsed;
      if (opt_.timestamp == BarTimestamp::kClose) ts = ts - interval_;
    }
    Price px[4];
    static constexpr const char* kNames[] = {"open", "high", "low", "close"};
    for (std::size_t k = 0; k < 4; ++k) {
      auto p = Price::Parse(fields[price_col_ + k], opt_.price_precision);
      if (!p) return fail(price_col_ + k, fmt::format("{}: {}", kNames[k], p.error()));
      if (!p->is_positive()) {
        return fail(price_col_ + k, fmt::format("{} must be positive", kNames[k]));
      }
      px[k] = *p;
    }
    Quantity volume = Quantity::Zero(opt_.size_precision);
    if (!nse_ && nf > 5 && !fields[5].empty()) {
      auto v = Quantity::Parse(fields[5]);
      if (!v) return fail(5, v.error());
      if (v->precision() > opt_.size_precision) return fail(5, "volume has too many decimals");
      volume = Quantity::Raw(v->raw(), opt_.size_precision);
    }
    bar = Bar{opt_.bar_type, px[0], px[1], px[2], px[3], volume, ts, ts + interval_};
    if (Status s = ValidateBar(bar); !s) return fail(price_col_, s.error());
    if (rows_ > 0 && bar.ts_event <= last_ts_) {
      return fail(nse_ ? 1 : 0, fmt::format("timestamp {} not after previous {}",
                                            FormatIsoUtc(bar.ts_event), FormatIsoUtc(last_ts_)));
    }
    last_ts_ = bar.ts_event;
    ++rows_;
    has_bar = true;
    return Status::Ok();
  }

  Status Finish() const {
    if (!header_seen_) return MakeError(fmt::format("{}: empty file", name_));
    if (rows_ == 0) return MakeError(fmt::format("{}: no data rows after the header", name_));
    return Status::Ok();
  }

 private:
  std::string name_;
  BarCsvOptions opt_;
  DurationNs interval_;
  bool nse_;
  std::size_t price_col_;
  bool header_seen_ = false;
  std::uint64_t rows_ = 0;
  UnixNanos last_ts_;
};

Result<std::vector<Bar>> ParseBarsCsv(std::string_view text, const std::string& name,
                                      const BarCsvOptions& opt) {
  std::vector<Bar> bars;
  BarCsvRowParser parser(name, opt);
  std::size_t line_no = 0;
  std::size_t pos = 0;
  Bar bar;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    bool has_bar = false;
    if (Status s = parser.Line(line, ++line_no, bar, has_bar); !s) return MakeError(s.error());
    if (has_bar) bars.push_back(bar);
  }
  if (Status s = parser.Finish(); !s) return MakeError(s.error());
  return bars;
}

namespace {

// Reads the file in large blocks and parses whole lines into chunks of bars.
class BarCsvStream final : public DataStream {
 public:
  BarCsvStream(std::string path, std::FILE* file, const BarCsvOptions& opt)
      : path_(std::move(path)), file_(file), parser_(path_, opt) {}
  ~BarCsvStream() override {
    if (file_ != nullptr) std::fclose(file_);
  }

  Status Next(std::vector<MarketData>& out, std::size_t max_items) override {
    out.clear();
    if (!pending_.ok()) return Fail(std::exchange(pending_, Status::Ok()));
    if (done_) return Status::Ok();
    Bar bar;
    while (out.size() < max_items) {
      if (pos_ >= buf_.size() || buf_.find('\n', pos_) == std::string::npos) {
        if (eof_) {
          if (pos_ < buf_.size()) {  // a last line without a newline
            const std::string_view line(buf_.data() + pos_, buf_.size() - pos_);
            pos_ = buf_.size();
            bool has_bar = false;
            if (Status s = parser_.Line(line, ++line_no_, bar, has_bar); !s) return Fail(s, out);
            if (has_bar) out.emplace_back(bar);
            continue;
          }
          if (Status s = parser_.Finish(); !s) return Fail(s, out);
          done_ = true;
          break;
        }
        if (Status s = Fill(); !s) return Fail(s, out);
        continue;
      }
      const std::size_t end = buf_.find('\n', pos_);
      const std::string_view line(buf_.data() + pos_, end - pos_);
      pos_ = end + 1;
      bool has_bar = false;
      if (Status s = parser_.Line(line, ++line_no_, bar, has_bar); !s) return Fail(s, out);
      if (has_bar) out.emplace_back(bar);
    }
    return Status::Ok();
  }

  // Reads and checks the header line (so a wrong file fails when the config is loaded).
  Status Prime() {
    Bar bar;
    while (!parser_.header_seen()) {
      const std::size_t end = buf_.find('\n', pos_);
      if (end == std::string::npos) {
        if (eof_) return parser_.Finish();
        if (Status s = Fill(); !s) return s;
        continue;
      }
      bool has_bar = false;
      const std::string_view line(buf_.data() + pos_, end - pos_);
      pos_ = end + 1;
      if (Status s = parser_.Line(line, ++line_no_, bar, has_bar); !s) return s;
    }
    return Status::Ok();
  }

 private:
  static constexpr std::size_t kBlock = 1 << 20;

  Status Fill() {
    buf_.erase(0, pos_);
    pos_ = 0;
    const std::size_t old = buf_.size();
    buf_.resize(old + kBlock);
    const std::size_t got = std::fread(buf_.data() + old, 1, kBlock, file_);
    buf_.resize(old + got);
    if (got < kBlock) {
      if (std::ferror(file_)) {
        return MakeError(fmt::format("{}: read error: {}", path_, std::strerror(errno)));
      }
      eof_ = true;
    }
    return Status::Ok();
  }
  Status Fail(const Status& s) {
    done_ = true;
    return s;
  }
  // Rows parsed before a bad one are delivered first; the error comes with the next call.
  Status Fail(const Status& s, std::vector<MarketData>& out) {
    if (out.empty()) return Fail(s);
    pending_ = s;
    return Status::Ok();
  }

  std::string path_;
  std::FILE* file_;
  BarCsvRowParser parser_;
  std::string buf_;
  std::size_t pos_ = 0;
  std::size_t line_no_ = 0;
  bool eof_ = false;
  bool done_ = false;
  Status pending_;
};

}  // namespace

Result<std::unique_ptr<DataStream>> OpenBarsCsvStream(const std::string& path,
                                                      const BarCsvOptions& options) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr)
    return MakeError(fmt::format("cannot open '{}': {}", path, std::strerror(errno)));
  auto stream = std::make_unique<BarCsvStream>(path, f, options);
  if (Status s = stream->Prime(); !s) return MakeError(s.error());
  return std::unique_ptr<DataStream>(std::move(stream));
}

Result<std::vector<Bar>> LoadBarsCsv(const std::string& path, const BarCsvOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(fmt::format("cannot open '{}': {}", path, std::strerror(errno)));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseBarsCsv(ss.str(), path, options);
}

}  // namespace nacre
