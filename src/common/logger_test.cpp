#include "common/logger.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"

namespace nacre {
namespace {

// An in-memory FILE* sink (open_memstream) whose text can be read back at any time.
class MemorySink {
 public:
  MemorySink() : file_(open_memstream(&buf_, &size_)) {}
  ~MemorySink() {
    std::fclose(file_);
    std::free(buf_);
  }
  MemorySink(const MemorySink&) = delete;
  MemorySink& operator=(const MemorySink&) = delete;

  std::FILE* file() { return file_; }
  std::string Text() {
    std::fflush(file_);
    return std::string(buf_, size_);
  }
  std::vector<std::string> Lines() {
    std::vector<std::string> lines;
    const std::string text = Text();
    std::size_t start = 0;
    while (start < text.size()) {
      const std::size_t nl = text.find('\n', start);
      if (nl == std::string::npos) {
        lines.push_back(text.substr(start) + "<no newline>");
        break;
      }
      lines.push_back(text.substr(start, nl - start));
      start = nl + 1;
    }
    return lines;
  }

 private:
  char* buf_ = nullptr;
  std::size_t size_ = 0;
  std::FILE* file_;
};

// A minimal strict JSON-object parser for flat objects of string values: returns the
// key/value pairs, or fails the test on any syntax the logger must never produce.
bool ParseFlatJson(const std::string& s, std::vector<std::pair<std::string, std::string>>* out) {
  std::size_t i = 0;
  auto parse_string = [&](std::string* dst) {
    if (i >= s.size() || s[i] != '"') return false;
    ++i;
    while (i < s.size() && s[i] != '"') {
      const unsigned char c = static_cast<unsigned char>(s[i]);
      if (c < 0x20) return false;  // raw control characters are invalid in JSON strings
      if (c == '\\') {
        if (++i >= s.size()) return false;
        switch (s[i]) {
          case '"':
            dst->push_back('"');
            break;
          case '\\':
            dst->push_back('\\');
            break;
          case '/':
            dst->push_back('/');
            break;
          case 'n':
            dst->push_back('\n');
            break;
          case 'r':
            dst->push_back('\r');
            break;
          case 't':
            dst->push_back('\t');
            break;
          case 'b':
            dst->push_back('\b');
            break;
          case 'f':
            dst->push_back('\f');
            break;
          case 'u': {
            if (i + 4 >= s.size()) return false;
            const std::string hex = s.substr(i + 1, 4);
            for (char h : hex) {
              if (!std::isxdigit(static_cast<unsigned char>(h))) return false;
            }
            dst->push_back(static_cast<char>(std::stoi(hex, nullptr, 16)));
            i += 4;
            break;
          }
          default:
            return false;
        }
        ++i;
      } else {
        dst->push_back(s[i++]);
      }
    }
    if (i >= s.size()) return false;
    ++i;  // closing quote
    return true;
  };
  if (s.empty() || s[i++] != '{') return false;
  while (true) {
    std::string key;
    std::string value;
    if (!parse_string(&key)) return false;
    if (i >= s.size() || s[i++] != ':') return false;
    if (!parse_string(&value)) return false;
    out->emplace_back(key, value);
    if (i < s.size() && s[i] == ',') {
      ++i;
      continue;
    }
    break;
  }
  return i + 1 == s.size() && s[i] == '}';
}

UnixNanos Noon() { return FromUtc(2024, 1, 2, 3, 45, 6) + 789; }

TEST(LoggerTest, TextLineHasClockTimeLevelComponentAndMessage) {
  TestClock clock(Noon());
  MemorySink sink;
  Logger logger(clock, sink.file());
  logger.Log(LogLevel::kInfo, "DataEngine", "subscribed NIFTY");
  clock.SetTime(Noon() + kNanosPerSecond);
  logger.Log(LogLevel::kWarning, "RiskEngine", "throttled");
  const std::vector<std::string> lines = sink.Lines();
  ASSERT_EQ(lines.size(), 2u) << sink.Text();
  // IST with its offset by default.
  EXPECT_EQ(lines[0], "2024-01-02T09:15:06.000000789+05:30 [INFO] DataEngine: subscribed NIFTY");
  EXPECT_EQ(lines[1], "2024-01-02T09:15:07.000000789+05:30 [WARN] RiskEngine: throttled");
  MemorySink utc;
  Logger u(clock, utc.file());
  u.set_time_zone(LogTimeZone::kUtc);
  u.Log(LogLevel::kInfo, "DataEngine", "subscribed NIFTY");
  EXPECT_EQ(utc.Lines()[0], "2024-01-02T03:45:07.000000789Z [INFO] DataEngine: subscribed NIFTY");
}

TEST(LoggerTest, JsonLinesAreValidAndEscaped) {
  TestClock clock(Noon());
  MemorySink sink;
  Logger logger(clock, sink.file(), LogLevel::kDebug, LogFormat::kJson);
  const std::string nasty = "say \"hi\"\nnext\tline\\path\r\x01 end";
  logger.Log(LogLevel::kError, "Strat\"1\"", nasty);
  logger.Log(LogLevel::kDebug, "A", "plain");
  const std::vector<std::string> lines = sink.Lines();
  ASSERT_EQ(lines.size(), 2u) << sink.Text();  // the newline in the message did not split it

  std::vector<std::pair<std::string, std::string>> fields;
  ASSERT_TRUE(ParseFlatJson(lines[0], &fields)) << lines[0];
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"ts", "2024-01-02T09:15:06.000000789+05:30"},
      {"level", "ERROR"},
      {"component", "Strat\"1\""},
      {"message", nasty},
  };
  EXPECT_EQ(fields, expected);
  EXPECT_NE(lines[0].find("\\u0001"), std::string::npos) << lines[0];

  fields.clear();
  ASSERT_TRUE(ParseFlatJson(lines[1], &fields)) << lines[1];
  ASSERT_EQ(fields.size(), 4u);
  EXPECT_EQ(fields[1].second, "DEBUG");
  EXPECT_EQ(fields[3].second, "plain");
}

TEST(LoggerTest, TextFormatCanBeSwitchedToJson) {
  TestClock clock(Noon());
  MemorySink sink;
  Logger logger(clock, sink.file());
  logger.set_format(LogFormat::kJson);
  logger.Log(LogLevel::kInfo, "C", "m");
  std::vector<std::pair<std::string, std::string>> fields;
  ASSERT_TRUE(ParseFlatJson(sink.Lines().at(0), &fields)) << sink.Text();
}

TEST(LoggerTest, LevelFilteringDropsLowerLevels) {
  TestClock clock(Noon());
  MemorySink sink;
  Logger logger(clock, sink.file(), LogLevel::kWarning);
  EXPECT_FALSE(logger.Enabled(LogLevel::kDebug));
  EXPECT_FALSE(logger.Enabled(LogLevel::kInfo));
  EXPECT_TRUE(logger.Enabled(LogLevel::kWarning));
  EXPECT_TRUE(logger.Enabled(LogLevel::kError));
  logger.Log(LogLevel::kDebug, "C", "debug");
  logger.Log(LogLevel::kInfo, "C", "info");
  logger.Log(LogLevel::kWarning, "C", "warn");
  logger.Log(LogLevel::kError, "C", "error");
  std::vector<std::string> lines = sink.Lines();
  ASSERT_EQ(lines.size(), 2u) << sink.Text();
  EXPECT_NE(lines[0].find("[WARN] C: warn"), std::string::npos);
  EXPECT_NE(lines[1].find("[ERROR] C: error"), std::string::npos);

  logger.set_level(LogLevel::kOff);
  logger.Log(LogLevel::kError, "C", "silenced");
  EXPECT_EQ(sink.Lines().size(), 2u);
  EXPECT_EQ(logger.error_count(), 2u);  // still counted
  EXPECT_EQ(logger.last_error(), "C: silenced");

  logger.set_level(LogLevel::kDebug);
  logger.Log(LogLevel::kDebug, "C", "now visible");
  lines = sink.Lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[2].find("[DEBUG] C: now visible"), std::string::npos);
}

TEST(LoggerTest, CountsWarningsAndErrorsAndKeepsLastError) {
  TestClock clock;
  Logger logger(clock, nullptr);  // discard output, keep counts
  EXPECT_FALSE(logger.Enabled(LogLevel::kError));
  EXPECT_EQ(logger.warning_count(), 0u);
  EXPECT_EQ(logger.error_count(), 0u);
  EXPECT_EQ(logger.last_error(), "");
  logger.Log(LogLevel::kInfo, "A", "info");
  logger.Log(LogLevel::kWarning, "A", "w1");
  logger.Log(LogLevel::kError, "B", "first failure");
  logger.Log(LogLevel::kWarning, "A", "w2");
  logger.Log(LogLevel::kError, "C", "second failure");
  EXPECT_EQ(logger.warning_count(), 2u);
  EXPECT_EQ(logger.error_count(), 2u);
  EXPECT_EQ(logger.last_error(), "C: second failure");
}

TEST(LoggerTest, SinkCanBeSetLater) {
  TestClock clock(Noon());
  MemorySink sink;
  Logger logger(clock, nullptr);
  logger.Log(LogLevel::kInfo, "A", "lost");
  logger.set_sink(sink.file());
  logger.Log(LogLevel::kInfo, "A", "kept");
  const std::vector<std::string> lines = sink.Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("kept"), std::string::npos);
}

TEST(LogAdapterTest, FormatsWithComponentNameAndRespectsLevel) {
  TestClock clock(Noon());
  MemorySink sink;
  Logger logger(clock, sink.file(), LogLevel::kInfo);
  LogAdapter log(&logger, "Trader");
  EXPECT_EQ(log.component(), "Trader");
  log.Debug("hidden {}", 1);
  log.Info("orders={} px={}", 3, "100.05");
  log.Warning("careful");
  log.Error("bad {}", "thing");
  const std::vector<std::string> lines = sink.Lines();
  ASSERT_EQ(lines.size(), 3u) << sink.Text();
  EXPECT_EQ(lines[0], "2024-01-02T09:15:06.000000789+05:30 [INFO] Trader: orders=3 px=100.05");
  EXPECT_EQ(lines[1], "2024-01-02T09:15:06.000000789+05:30 [WARN] Trader: careful");
  EXPECT_EQ(lines[2], "2024-01-02T09:15:06.000000789+05:30 [ERROR] Trader: bad thing");
  EXPECT_EQ(logger.warning_count(), 1u);
  EXPECT_EQ(logger.error_count(), 1u);
  EXPECT_EQ(logger.last_error(), "Trader: bad thing");
}

TEST(LogAdapterTest, WarningsAndErrorsAreCountedEvenWhenFiltered) {
  TestClock clock;
  Logger logger(clock, nullptr, LogLevel::kOff);
  LogAdapter log(&logger, "X");
  log.Warning("w");
  log.Error("e {}", 7);
  log.Info("i");
  EXPECT_EQ(logger.warning_count(), 1u);
  EXPECT_EQ(logger.error_count(), 1u);
  EXPECT_EQ(logger.last_error(), "X: e 7");
}

// Hundreds of the same warning: the first few are printed, then one line says the rest are
// counted, and the summary gives the count with the first message. Other kinds print as usual.
TEST(LogAdapterTest, RepeatedWarningsOfOneKindAreCountedAndSummedUp) {
  TestClock clock(Noon());
  MemorySink sink;
  Logger logger(clock, sink.file());
  logger.set_repeat_limit(3);
  LogAdapter spread(&logger, "OptionsSpread-001");
  for (int i = 1; i <= 8; ++i) spread.Warning("leg risk SP{:04}: leg {} unfilled", i, i % 2 + 1);
  spread.Warning("loss passed {}% of max loss", 80);
  const std::vector<std::string> lines = sink.Lines();
  ASSERT_EQ(lines.size(), 5u);  // 3 printed, 1 notice, the other kind
  EXPECT_NE(lines[0].find("leg risk SP0001"), std::string::npos) << lines[0];
  EXPECT_NE(lines[2].find("leg risk SP0003"), std::string::npos) << lines[2];
  EXPECT_NE(lines[3].find("further warnings of this kind are counted"), std::string::npos)
      << lines[3];
  EXPECT_NE(lines[4].find("loss passed 80%"), std::string::npos) << lines[4];
  EXPECT_EQ(logger.warning_count(), 9u);  // all counted
  const std::string summary = logger.Summary();
  EXPECT_NE(summary.find("8 x WARN OptionsSpread-001: leg risk SP0001: leg 2 unfilled (the first)"),
            std::string::npos)
      << summary;
  EXPECT_EQ(summary.find("loss passed"), std::string::npos) << summary;  // once: no summary line
  // 0: every line printed.
  MemorySink all;
  Logger unlimited(clock, all.file());
  unlimited.set_repeat_limit(0);
  LogAdapter a(&unlimited, "X");
  for (int i = 0; i < 8; ++i) a.Warning("same {}", i);
  EXPECT_EQ(all.Lines().size(), 8u);
}

// An argument that counts how often it is formatted.
struct FormatCounter {
  int* formatted;
};

}  // namespace
}  // namespace nacre

template <>
struct fmt::formatter<nacre::FormatCounter> : fmt::formatter<int> {
  auto format(const nacre::FormatCounter& c, fmt::format_context& ctx) const {
    return fmt::formatter<int>::format(++*c.formatted, ctx);
  }
};

namespace nacre {
namespace {

// A warning of a kind already seen that is neither printed (level off, no sink, or past the
// repeat limit) nor kept (only the first of a kind is) is counted without being formatted: a
// strategy denied on every quote pays for a counter, not a message. What is printed, the first
// of each kind and the summary are as before.
TEST(LogAdapterTest, AWarningNeitherPrintedNorKeptIsCountedWithoutBeingFormatted) {
  TestClock clock(Noon());
  int formatted = 0;
  {
    Logger quiet(clock, nullptr);  // no sink: nothing is printed
    LogAdapter log(&quiet, "Risk");
    for (int i = 0; i < 100; ++i) log.Warning("order denied: {}", FormatCounter{&formatted});
    EXPECT_EQ(formatted, 1);  // the first, kept for the summary
    EXPECT_EQ(quiet.warning_count(), 100u);
    EXPECT_NE(quiet.Summary().find("100 x WARN Risk: order denied: 1 (the first)"),
              std::string::npos)
        << quiet.Summary();
    // Another component's warning of the same text is its own kind.
    LogAdapter other(&quiet, "Exec");
    other.Warning("order denied: {}", FormatCounter{&formatted});
    EXPECT_EQ(formatted, 2);
    // Errors are always formatted: the last one is kept.
    log.Error("bad {}", FormatCounter{&formatted});
    log.Error("bad {}", FormatCounter{&formatted});
    EXPECT_EQ(formatted, 4);
    EXPECT_EQ(quiet.last_error(), "Risk: bad 4");
  }
  formatted = 0;
  MemorySink sink;
  Logger limited(clock, sink.file());
  limited.set_repeat_limit(2);
  LogAdapter log(&limited, "Risk");
  for (int i = 0; i < 10; ++i) log.Warning("order denied: {}", FormatCounter{&formatted});
  EXPECT_EQ(formatted, 3);  // two printed, and the one whose place the notice takes
  const std::vector<std::string> lines = sink.Lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[1].find("order denied: 2"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("further warnings of this kind are counted"), std::string::npos);
  EXPECT_EQ(limited.warning_count(), 10u);
  // The largest limit is as good as none (no wrap-around in the count's comparison).
  MemorySink every;
  Logger huge(clock, every.file());
  huge.set_repeat_limit(UINT64_MAX);
  LogAdapter h(&huge, "Risk");
  for (int i = 0; i < 10; ++i) h.Warning("order denied: {}", i);
  EXPECT_EQ(every.Lines().size(), 10u);
  // A level that prints nothing: only the first is formatted.
  formatted = 0;
  Logger off(clock, sink.file(), LogLevel::kError);
  LogAdapter o(&off, "Risk");
  for (int i = 0; i < 10; ++i) o.Warning("order denied: {}", FormatCounter{&formatted});
  EXPECT_EQ(formatted, 1);
  EXPECT_EQ(off.warning_count(), 10u);
}

// Kinds that alternate (same text in two components, two texts in one) are each counted as
// their own, whichever was seen just before.
TEST(LogAdapterTest, AlternatingKindsAreEachCountedAsTheirOwn) {
  TestClock clock(Noon());
  int formatted = 0;
  Logger quiet(clock, nullptr);
  LogAdapter risk(&quiet, "Risk");
  LogAdapter exec(&quiet, "Exec");
  LogAdapter ris(&quiet, "Ris");  // a prefix of another component's name
  for (int i = 0; i < 50; ++i) {
    risk.Warning("denied {}", FormatCounter{&formatted});
    exec.Warning("denied {}", FormatCounter{&formatted});
    risk.Warning("late {}", FormatCounter{&formatted});
    risk.Warning("late {}", FormatCounter{&formatted});
    ris.Warning("denied {}", FormatCounter{&formatted});
  }
  EXPECT_EQ(formatted, 4);  // the first of each kind only
  EXPECT_EQ(quiet.warning_count(), 250u);
  const std::string summary = quiet.Summary();
  EXPECT_NE(summary.find("    50 x WARN Risk: denied 1 (the first)"), std::string::npos) << summary;
  EXPECT_NE(summary.find("    50 x WARN Exec: denied 2 (the first)"), std::string::npos) << summary;
  EXPECT_NE(summary.find("   100 x WARN Risk: late 3 (the first)"), std::string::npos) << summary;
  EXPECT_NE(summary.find("    50 x WARN Ris: denied 4 (the first)"), std::string::npos) << summary;
}

TEST(LogAdapterTest, DefaultAdapterIsANoop) {
  LogAdapter log;
  log.Error("nobody listens {}", 1);  // must not crash
  EXPECT_EQ(log.component(), "");
}

TEST(ParseLogLevelTest, AcceptsKnownNamesAndRejectsOthers) {
  EXPECT_EQ(*ParseLogLevel("DEBUG"), LogLevel::kDebug);
  EXPECT_EQ(*ParseLogLevel("info"), LogLevel::kInfo);
  EXPECT_EQ(*ParseLogLevel("WARN"), LogLevel::kWarning);
  EXPECT_EQ(*ParseLogLevel("warning"), LogLevel::kWarning);
  EXPECT_EQ(*ParseLogLevel("ERROR"), LogLevel::kError);
  EXPECT_EQ(*ParseLogLevel("off"), LogLevel::kOff);
  const Result<LogLevel> bad = ParseLogLevel("verbose");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("verbose"), std::string::npos) << bad.error();
}

}  // namespace
}  // namespace nacre
