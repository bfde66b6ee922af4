#include "emulator_soak.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_set>

#include <fmt/format.h>

#include "adapters/zerodha/kite_auth.h"
#include "adapters/zerodha/kite_codec.h"
#include "apps/kite_emulator/instruments.h"
#include "apps/kite_emulator/runtime.h"
#include "net/http_client.h"
#include "net/ws.h"
#include "persistence/catalog.h"

namespace nacre::soak {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Steady = std::chrono::steady_clock;

constexpr std::int64_t kTickRaw = 5 * (kFixedScale / 100);  // ₹0.05
constexpr std::int64_t kLot = 65;
constexpr std::int64_t kAtmStrike = 24000;
constexpr std::int64_t kStrikeStep = 50;
constexpr const char* kManifest = "soak.json";
constexpr const char* kApiKey = "soak";
constexpr const char* kApiSecret = "soak-secret";

// splitmix64: a fully specified generator, so a seed gives the same data on every platform
// (the standard distributions are not specified bit for bit).
struct SplitMix {
  std::uint64_t state;
  std::uint64_t Next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) (the modulo bias is negligible for these small n).
  std::int64_t Below(std::int64_t n) { return static_cast<std::int64_t>(Next() % static_cast<std::uint64_t>(n)); }
};

double D(std::uint64_t v) { return static_cast<double>(v); }

double Seconds(Steady::duration d) { return std::chrono::duration<double>(d).count(); }

// utime + stime of one thread of this process (seconds; 0 when unreadable).
double ThreadCpuSeconds(long tid) {
  std::ifstream in(fmt::format("/proc/self/task/{}/stat", tid));
  std::string line;
  if (!std::getline(in, line)) return 0;
  const std::size_t close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  // Fields after the command: state is field 3; utime and stime are fields 14 and 15.
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::strtod(field.c_str(), nullptr);
    if (i == 15) stime = std::strtod(field.c_str(), nullptr);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

long ThisThreadId() { return static_cast<long>(::syscall(SYS_gettid)); }

std::uint64_t DirBytes(const std::string& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  }
  return total;
}

Status CheckData(const SoakDataOptions& o) {
  if (o.instruments < 1 || o.instruments > 3000) {
    return MakeError(fmt::format("instruments must be 1..3000 (one ticker connection), got {}",
                                 o.instruments));
  }
  if (o.virtual_minutes < 1 || o.virtual_minutes > 375) {
    return MakeError(fmt::format("virtual minutes must be 1..375 (09:15-15:30), got {}",
                                 o.virtual_minutes));
  }
  if (o.interval_ms < 1 || o.interval_ms > 60'000) {
    return MakeError(fmt::format("interval must be 1..60000 ms, got {}", o.interval_ms));
  }
  return Status::Ok();
}

std::uint64_t QuotesPerInstrument(const SoakDataOptions& o, int minutes) {
  const std::int64_t span_ms = static_cast<std::int64_t>(minutes) * 60'000;
  return static_cast<std::uint64_t>((span_ms + o.interval_ms - 1) / o.interval_ms);
}

// Everything the client sees, updated on its I/O thread.
struct ClientTally {
  std::mutex mu;
  std::condition_variable cv;
  int opens = 0;
  long tid = 0;
  std::uint64_t packets = 0, frames = 0, heartbeats = 0, bytes = 0, texts = 0;
  std::uint64_t decode_errors = 0, bad_packets = 0, downs = 0;
  std::string first_error;
  std::vector<Steady::time_point> heartbeat_at;
  std::optional<Steady::time_point> last_message;
  double max_silence = 0;
  std::unordered_set<std::uint32_t> tokens;  // set before the subscription, then read only

  void Note(std::string what) {
    if (first_error.empty()) first_error = std::move(what);
  }
  void OnMessage(const net::WsMessage& m) {
    const Steady::time_point at = Steady::now();
    std::optional<std::vector<KiteTick>> ticks;
    std::string error;
    if (m.binary && m.data.size() >= 2) {
      auto decoded = DecodeKiteFrame(m.data);
      if (decoded.ok()) {
        ticks = std::move(*decoded);
      } else {
        error = decoded.error();
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      if (last_message) max_silence = std::max(max_silence, Seconds(at - *last_message));
      last_message = at;
      bytes += m.data.size();
      if (!m.binary) {
        ++texts;
        Note("text message: " + m.data.substr(0, 200));
      } else if (m.data.size() < 2) {
        ++heartbeats;
        heartbeat_at.push_back(at);
      } else {
        ++frames;
        if (!ticks) {
          ++decode_errors;
          Note("decode: " + error);
        } else {
          for (const KiteTick& t : *ticks) {
            ++packets;
            if (t.mode != KiteMode::kFull || tokens.count(t.instrument_token) == 0 ||
                !t.last_price.is_positive()) {
              ++bad_packets;
              Note(fmt::format("unexpected packet: token {} mode {} last {}", t.instrument_token,
                               ToString(t.mode), t.last_price.ToString()));
            }
          }
        }
      }
    }
    cv.notify_all();
  }
  template <typename Pred>
  bool WaitUntil(Steady::time_point deadline, Pred pred) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_until(lock, deadline, pred);
  }
};

struct Sample {
  Steady::time_point wall;
  double io_delay_ms = 0;
  UnixNanos now;
  std::optional<UnixNanos> next;
  std::uint64_t released = 0, packets = 0, frames = 0, heartbeats = 0;
  double rss_mib = 0;
  double lag_s = 0;
};

double Slope(const std::vector<std::pair<double, double>>& xy) {
  if (xy.size() < 3) return 0;
  double mx = 0, my = 0;
  for (const auto& [x, y] : xy) {
    mx += x;
    my += y;
  }
  mx /= static_cast<double>(xy.size());
  my /= static_cast<double>(xy.size());
  double sxy = 0, sxx = 0;
  for (const auto& [x, y] : xy) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) * (x - mx);
  }
  return sxx > 0 ? sxy / sxx : 0;
}

}  // namespace

json SoakDataOptions::ToJson() const {
  return json{{"instruments", instruments}, {"virtual_minutes", virtual_minutes},
              {"interval_ms", interval_ms}, {"seed", seed}};
}

Result<SoakDataOptions> SoakDataOptions::FromJson(const json& j) {
  SoakDataOptions o;
  try {
    o.instruments = j.at("instruments").get<int>();
    o.virtual_minutes = j.at("virtual_minutes").get<int>();
    o.interval_ms = j.at("interval_ms").get<int>();
    o.seed = j.at("seed").get<std::uint64_t>();
  } catch (const json::exception& e) {
    return MakeError(std::string("soak manifest: ") + e.what());
  }
  if (Status s = CheckData(o); !s) return MakeError("soak manifest: " + s.error());
  return o;
}

UnixNanos SoakSessionStart() { return FromIst(2026, 1, 5, 9, 15); }

std::vector<Instrument> SoakInstruments(int n) {
  const InstrumentId nifty = MustInstrumentId("NIFTY 50.NSE");
  std::vector<Instrument> out;
  out.push_back(*MakeIndex(nifty, 2, Price::Raw(kTickRaw, 2)));
  // Weekly expiry on Tuesday 6-Jan-2026 ("NIFTY26106…"), listed a week before.
  const UnixNanos activation = FromIst(2025, 12, 30, 9, 15);
  const UnixNanos expiration = FromIst(2026, 1, 6, 15, 30);
  for (int i = 0; i < n; ++i) {
    // Strikes alternate outwards from the money: 24000, 24050, 23950, 24100, …
    const std::int64_t k = i / 2;
    const std::int64_t offset = (k + 1) / 2 * kStrikeStep * (k % 2 == 1 ? 1 : -1);
    const std::int64_t strike = kAtmStrike + offset;
    const OptionKind kind = i % 2 == 0 ? OptionKind::kCall : OptionKind::kPut;
    InstrumentSpec s;
    s.id = MustInstrumentId(fmt::format("NIFTY26106{}{}.NFO", strike,
                                        kind == OptionKind::kCall ? "CE" : "PE"));
    s.lot_size = Quantity::FromInt(kLot);
    s.freeze_quantity = Quantity::FromInt(1800);
    s.tick_size = Price::Raw(kTickRaw, 2);
    auto opt = MakeOption(s, nifty, kind, Price::Raw(strike * kFixedScale, 2), activation,
                          expiration);
    out.push_back(*opt);  // the spec above is valid by construction
  }
  return out;
}

std::vector<QuoteTick> SoakQuotes(const Instrument& option, int index, const SoakDataOptions& o) {
  SplitMix rng{o.seed * 0x100000001B3ULL ^ (static_cast<std::uint64_t>(index) + 1) * 0x9E3779B97F4A7C15ULL};
  // The opening bid in ticks: intrinsic value against 24,000 plus a time value falling off
  // with the distance from the money (75 points at the money), all in integer ticks.
  const std::int64_t strike = option.strike.raw() / kFixedScale;
  const std::int64_t intrinsic = option.option_kind == OptionKind::kCall
                                     ? std::max<std::int64_t>(kAtmStrike - strike, 0)
                                     : std::max<std::int64_t>(strike - kAtmStrike, 0);
  const std::int64_t d = strike - kAtmStrike;
  const std::int64_t time_ticks = 1500 * 62'500 / (62'500 + d * d);
  std::int64_t bid = std::max<std::int64_t>(1, intrinsic * 20 + time_ticks + rng.Below(20) - 10);
  const std::uint64_t n = QuotesPerInstrument(o, o.virtual_minutes);
  std::vector<QuoteTick> out;
  out.reserve(n);
  const UnixNanos start = SoakSessionStart();
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::int64_t unit = 1 + bid / 10'000;  // dearer options move more ticks
    bid = std::max<std::int64_t>(1, bid + (rng.Below(5) - 2) * unit);
    const std::int64_t spread = 1 + rng.Below(3) + unit / 2;
    const UnixNanos ts = start + static_cast<DurationNs>(i) * o.interval_ms * kNanosPerMilli;
    out.push_back(QuoteTick{option.id, Price::Raw(bid * kTickRaw, 2),
                            Price::Raw((bid + spread) * kTickRaw, 2),
                            Quantity::FromInt((1 + rng.Below(40)) * kLot),
                            Quantity::FromInt((1 + rng.Below(40)) * kLot), ts, ts});
  }
  return out;
}

Result<GenerationStats> GenerateSoakCatalog(const std::string& dir, const SoakDataOptions& o,
                                            const GenerationProgress& progress) {
  if (Status s = CheckData(o); !s) return MakeError(s.error());
  const Steady::time_point t0 = Steady::now();
  auto cat = Catalog::Open(dir);
  if (!cat.ok()) return MakeError("catalog " + dir + ": " + cat.error());
  auto files = (*cat)->Files(CatalogDataType::kQuote);
  if (!files.ok()) return MakeError("catalog " + dir + ": " + files.error());
  if (!files->empty()) {
    return MakeError(fmt::format("catalog {} already holds {} quote files (without {}); "
                                 "give an empty or new folder",
                                 dir, files->size(), kManifest));
  }
  const std::vector<Instrument> all = SoakInstruments(o.instruments);
  if (Status s = (*cat)->WriteInstruments(all); !s) return MakeError("catalog " + dir + ": " + s.error());
  GenerationStats st;
  for (int i = 0; i < o.instruments; ++i) {
    const Instrument& ins = all[static_cast<std::size_t>(i) + 1];
    const std::vector<QuoteTick> quotes = SoakQuotes(ins, i, o);
    if (Status s = (*cat)->WriteQuotes(ins.id, quotes); !s) {
      return MakeError("catalog " + dir + ": " + s.error());
    }
    st.quotes += quotes.size();
    if (progress) progress(i + 1, st.quotes);
  }
  std::ofstream(fs::path(dir) / kManifest) << o.ToJson().dump(2) << "\n";
  st.seconds = Seconds(Steady::now() - t0);
  st.bytes_on_disk = DirBytes(dir);
  return st;
}

Result<SoakDataOptions> ReadSoakManifest(const std::string& dir) {
  const fs::path p = fs::path(dir) / kManifest;
  std::ifstream in(p);
  if (!in) return MakeError(fmt::format("{}: not found (not a catalog written by this soak)", p.string()));
  const json j = json::parse(in, nullptr, false);
  if (j.is_discarded()) return MakeError(p.string() + ": not JSON");
  return SoakDataOptions::FromJson(j);
}

Distribution Distribution::Of(std::vector<double> v) {
  Distribution d;
  d.count = v.size();
  if (v.empty()) return d;
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  d.mean = sum / static_cast<double>(v.size());
  auto at = [&](double q) {
    const auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1;
    return v[std::min(i, v.size() - 1)];
  };
  d.p50 = at(0.50);
  d.p99 = at(0.99);
  d.max = v.back();
  return d;
}

json Distribution::ToJson() const {
  return json{{"count", count}, {"mean", mean}, {"p50", p50}, {"p99", p99}, {"max", max}};
}

double ProcStatusMiB(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string want = std::string(field) + ":";
  while (std::getline(in, line)) {
    if (line.rfind(want, 0) == 0) return std::strtod(line.c_str() + want.size(), nullptr) / 1024.0;
  }
  return 0;
}

bool ResetPeakRss() {
  std::ofstream out("/proc/self/clear_refs");
  if (!out) return false;
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

Result<SoakReport> RunSoak(const SoakRunOptions& o) {
  if (Status s = CheckData(o.data); !s) return MakeError(s.error());
  if (o.virtual_minutes < 1 || o.virtual_minutes > o.data.virtual_minutes) {
    return MakeError(fmt::format("virtual minutes must be 1..{} (what the catalog holds), got {}",
                                 o.data.virtual_minutes, o.virtual_minutes));
  }
  if (!(o.speed > 0) || o.speed > 100'000) {
    return MakeError(fmt::format("speed must be in (0, 100000], got {}", o.speed));
  }
  if (o.sample_ms < 10) return MakeError(fmt::format("sample period must be ≥ 10 ms, got {}", o.sample_ms));

  SoakReport r;
  r.speed = o.speed;
  r.peak_includes_generation = !ResetPeakRss();
  r.rss_start_mib = ProcStatusMiB("VmRSS");

  const std::vector<Instrument> all = SoakInstruments(o.data.instruments);
  const UnixNanos first = SoakSessionStart();
  const UnixNanos end = first + static_cast<DurationNs>(o.virtual_minutes) * 60 * kNanosPerSecond;
  r.quotes_expected = QuotesPerInstrument(o.data, o.virtual_minutes) *
                      static_cast<std::uint64_t>(o.data.instruments);

  kite_emu::LoadedEmulatorConfig c;
  c.emulator.user.api_key = kApiKey;
  c.emulator.user.api_secret = kApiSecret;
  c.catalog_dir = o.catalog_dir;
  c.instruments = all;
  c.emulator.instruments = kite_emu::KiteInstrumentTable(all);
  c.start = first - kNanosPerSecond;  // nothing released before the client listens
  c.speed = o.speed;
  c.paused = true;  // resumed once the subscription is in place
  kite_emu::Runtime rt(c);
  if (Status s = rt.Start(); !s) return MakeError("emulator: " + s.error());

  std::string access;
  long io_tid = 0;
  std::vector<std::uint32_t> tokens;
  std::string login_error;
  rt.OnIoThread([&] {
    io_tid = ThisThreadId();
    kite_emu::SessionStore& s = rt.emulator().sessions();
    const UnixNanos now = rt.clock().Now();
    auto request = s.Login(kApiKey, now);
    if (!std::holds_alternative<std::string>(request)) {
      login_error = std::get<kite_emu::SessionRefusal>(request).message;
      return;
    }
    const std::string& rtok = std::get<std::string>(request);
    auto token = s.Exchange(kApiKey, rtok, KiteChecksum(kApiKey, rtok, kApiSecret), now);
    if (!std::holds_alternative<std::string>(token)) {
      login_error = std::get<kite_emu::SessionRefusal>(token).message;
      return;
    }
    access = std::get<std::string>(token);
    for (std::size_t i = 1; i < all.size(); ++i) {
      const kite_emu::TokenState* st = rt.market()->ByInstrument(all[i].id);
      if (st == nullptr) {
        login_error = all[i].id.value() + " is not in the emulator's instruments";
        return;
      }
      tokens.push_back(st->token);
    }
  });
  if (!login_error.empty()) return MakeError("emulator login: " + login_error);

  ClientTally tally;
  tally.tokens.insert(tokens.begin(), tokens.end());
  net::IoThread client_io;
  net::WsClient::Handlers h;
  h.on_open = [&](int) {
    {
      std::lock_guard<std::mutex> lock(tally.mu);
      ++tally.opens;
      tally.tid = ThisThreadId();
    }
    tally.cv.notify_all();
  };
  h.on_message = [&](const net::WsMessage& m) { tally.OnMessage(m); };
  h.on_down = [&](const std::string& why, bool) {
    {
      std::lock_guard<std::mutex> lock(tally.mu);
      ++tally.downs;
      tally.Note("connection down: " + why);
    }
    tally.cv.notify_all();
  };
  net::WsClientOptions wo;
  wo.port = rt.ticker_port();
  wo.target = "/?api_key=" + std::string(kApiKey) + "&access_token=" + access;
  net::WsClient client(client_io, std::move(h), wo);
  client.Start();
  auto stop_all = [&] {
    client.Stop();
    rt.Stop();
  };
  if (!tally.WaitUntil(Steady::now() + std::chrono::seconds(10), [&] { return tally.opens >= 1; })) {
    stop_all();
    return MakeError("the ticker connection did not open within 10 s: " + tally.first_error);
  }
  client.SendText(json{{"a", "subscribe"}, {"v", tokens}}.dump());
  client.SendText(json{{"a", "mode"}, {"v", {"full", tokens}}}.dump());
  // The ticker applies messages on its I/O thread: wait (bounded) until every token is full.
  const Steady::time_point sub_deadline = Steady::now() + std::chrono::seconds(10);
  for (;;) {
    std::size_t full = 0;
    for (const auto& [conn, subs] : rt.ticker().Subscriptions()) {
      for (const auto& [token, mode] : subs) full += mode == KiteMode::kFull ? 1 : 0;
    }
    if (full == tokens.size()) break;
    if (Steady::now() > sub_deadline) {
      stop_all();
      return MakeError(fmt::format("subscription: {} of {} tokens in full mode after 10 s ({})",
                                   full, tokens.size(), tally.first_error));
    }
    tally.WaitUntil(Steady::now() + std::chrono::milliseconds(10), [] { return false; });
  }

  // Go: resume the clock and take the baselines.
  Sample base;
  rt.OnIoThread([&] {
    rt.clock().Resume();
    base.now = rt.clock().Now();
    base.packets = rt.ticker().packets_sent();
    base.frames = rt.ticker().frames_sent();
    base.heartbeats = rt.ticker().heartbeats_sent();
  });
  const Steady::time_point t0 = Steady::now();
  const double cpu_io0 = ThreadCpuSeconds(io_tid);
  long client_tid = 0;
  std::uint64_t client_packets0 = 0, client_frames0 = 0, client_bytes0 = 0;
  std::size_t heartbeats0 = 0;
  {
    std::lock_guard<std::mutex> lock(tally.mu);
    client_tid = tally.tid;
    client_packets0 = tally.packets;
    client_frames0 = tally.frames;
    client_bytes0 = tally.bytes;
    heartbeats0 = tally.heartbeat_at.size();
  }
  const double cpu_client0 = ThreadCpuSeconds(client_tid);
  const double cpu_proc0 = ProcessCpuSeconds();

  const double span_wall = static_cast<double>(end - base.now) / kNanosPerSecond / o.speed;
  const Steady::time_point deadline =
      t0 + std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(span_wall * 3 + 30));
  const auto period = std::chrono::milliseconds(o.sample_ms);
  std::vector<Sample> samples;
  Steady::time_point next_at = t0 + period;
  for (;;) {
    std::this_thread::sleep_until(next_at);  // the sampling period, not a wait for a condition
    Sample s;
    const Steady::time_point posted = Steady::now();
    bool at_end = false;
    rt.OnIoThread([&] {
      s.io_delay_ms = Seconds(Steady::now() - posted) * 1e3;
      s.now = rt.clock().Now();
      s.next = rt.market()->NextTs();
      at_end = s.now >= end && (!s.next || *s.next >= end);
      if (at_end) rt.clock().Pause();  // nothing more is released: the counters are final
      s.released = rt.market()->released();
      s.packets = rt.ticker().packets_sent();
      s.frames = rt.ticker().frames_sent();
      s.heartbeats = rt.ticker().heartbeats_sent();
    });
    s.wall = Steady::now();
    s.rss_mib = ProcStatusMiB("VmRSS");
    s.lag_s = s.next && *s.next <= s.now ? static_cast<double>(s.now - *s.next) / kNanosPerSecond : 0;
    samples.push_back(s);
    const double fraction =
        std::clamp(static_cast<double>(s.now - base.now) / static_cast<double>(end - base.now), 0.0, 1.0);
    if (o.progress) {
      const double secs = Seconds(s.wall - t0);
      o.progress(fraction,
                 fmt::format("virtual {} ({:5.1f}%)  wall {:.0f}s  packets/s {:.0f}  lag {:.2f}s  "
                             "rss {:.0f} MiB",
                             FormatIst(s.now).substr(11, 8), 100 * fraction, secs,
                             secs > 0 ? static_cast<double>(s.packets - base.packets) / secs : 0,
                             s.lag_s, s.rss_mib));
    }
    if (at_end) {
      r.finished = true;
      break;
    }
    if (s.wall > deadline) {
      r.failure = fmt::format("the virtual clock did not reach {} within {:.0f} s (at {}, lag {:.1f} s)",
                              FormatIst(end), Seconds(deadline - t0), FormatIst(s.now), s.lag_s);
      break;
    }
    // The next sample: one period on, or just after the span's end when that comes first.
    const double to_end = static_cast<double>(end - s.now) / kNanosPerSecond / o.speed;
    next_at = std::min(s.wall + period,
                       s.wall + std::chrono::duration_cast<Steady::duration>(
                                    std::chrono::duration<double>(std::max(to_end, 0.0) + 0.002)));
  }
  const Sample& last = samples.back();
  r.wall_seconds = Seconds(last.wall - t0);
  r.virtual_seconds = static_cast<double>(last.now - base.now) / kNanosPerSecond;
  r.packets_sent = last.packets - base.packets;
  r.frames_sent = last.frames - base.frames;
  r.heartbeats_sent = last.heartbeats - base.heartbeats;
  r.cpu_emulator_io = 100 * (ThreadCpuSeconds(io_tid) - cpu_io0) / std::max(r.wall_seconds, 1e-9);
  r.cpu_client = 100 * (ThreadCpuSeconds(client_tid) - cpu_client0) / std::max(r.wall_seconds, 1e-9);
  r.cpu_process = 100 * (ProcessCpuSeconds() - cpu_proc0) / std::max(r.wall_seconds, 1e-9);

  // Drain: the client holds every packet sent and has seen two heartbeats since the resume.
  const Steady::time_point drain0 = Steady::now();
  const bool drained = tally.WaitUntil(drain0 + std::chrono::seconds(15), [&] {
    return tally.packets - client_packets0 >= r.packets_sent &&
           tally.heartbeat_at.size() >= heartbeats0 + 2;
  });
  r.drain_seconds = Seconds(Steady::now() - drain0);

  net::HttpClient http("127.0.0.1", rt.http_port());
  net::HttpRequest hr;
  hr.target = "/__emu/health";
  auto health = http.Send(hr, 5 * kNanosPerSecond);
  if (health.ok()) {
    const json j = json::parse(health->body, nullptr, false);
    if (!j.is_discarded() && j.contains("data")) r.health = j["data"];
  }
  if (r.health.is_object() && r.health["market"].is_object()) {
    r.quotes_released = r.health["market"].value("released", std::uint64_t{0});
  } else {
    r.failure += std::string(r.failure.empty() ? "" : "; ") + "/__emu/health unreadable" +
                 (health.ok() ? "" : ": " + health.error());
  }
  r.rss_end_mib = ProcStatusMiB("VmRSS");
  r.peak_rss_mib = ProcStatusMiB("VmHWM");
  stop_all();

  {
    std::lock_guard<std::mutex> lock(tally.mu);
    r.packets_received = tally.packets - client_packets0;
    r.frames_received = tally.frames - client_frames0;
    r.bytes_received = tally.bytes - client_bytes0;
    r.text_messages = tally.texts;
    r.decode_errors = tally.decode_errors;
    r.bad_packets = tally.bad_packets;
    r.connection_downs = tally.downs;
    r.first_error = tally.first_error;
    r.max_silence_seconds = tally.max_silence;
    std::vector<double> intervals;
    for (std::size_t i = heartbeats0 + 1; i < tally.heartbeat_at.size(); ++i) {
      intervals.push_back(Seconds(tally.heartbeat_at[i] - tally.heartbeat_at[i - 1]));
    }
    r.heartbeats_received = tally.heartbeat_at.size() - heartbeats0;
    r.heartbeat_gaps_over_2s =
        static_cast<std::uint64_t>(std::count_if(intervals.begin(), intervals.end(), [](double x) { return x > 2.0; }));
    r.heartbeat_interval = Distribution::Of(std::move(intervals));
  }
  if (!drained) {
    r.failure += std::string(r.failure.empty() ? "" : "; ") +
                 fmt::format("after 15 s the client held {} of {} packets sent and {} heartbeats",
                             r.packets_received, r.packets_sent, r.heartbeats_received);
  }
  if (r.decode_errors != 0 || r.bad_packets != 0) {
    r.failure += std::string(r.failure.empty() ? "" : "; ") +
                 fmt::format("{} frames failed to decode, {} unexpected packets (first: {})",
                             r.decode_errors, r.bad_packets, r.first_error);
  }

  // Samples: lag, I/O delay, the RSS trend after the first tenth of the span.
  r.samples = samples.size();
  std::vector<double> lags, delays;
  std::vector<std::pair<double, double>> rss;
  const double span = static_cast<double>(end - base.now);
  for (const Sample& s : samples) {
    const double at = static_cast<double>(s.now - base.now) / kNanosPerSecond;
    r.rss_series.emplace_back(at, s.rss_mib);
    if (s.rss_mib > r.rss_max_sampled_mib) {
      r.rss_max_sampled_mib = s.rss_mib;
      r.rss_max_at_virtual_seconds = at;
    }
    lags.push_back(s.lag_s);
    delays.push_back(s.io_delay_ms);
    if (static_cast<double>(s.now - base.now) >= span / 10) {
      rss.emplace_back(static_cast<double>(s.now - base.now) / (3600.0 * kNanosPerSecond), s.rss_mib);
    }
  }
  const std::size_t tenth = std::max<std::size_t>(1, lags.size() / 10);
  auto mean = [](auto b, auto e) {
    double sum = 0;
    for (auto it = b; it != e; ++it) sum += *it;
    return e > b ? sum / static_cast<double>(e - b) : 0.0;
  };
  r.lag_first_tenth_mean = mean(lags.begin(), lags.begin() + static_cast<std::ptrdiff_t>(tenth));
  r.lag_last_tenth_mean = mean(lags.end() - static_cast<std::ptrdiff_t>(tenth), lags.end());
  r.lag_virtual_seconds = Distribution::Of(std::move(lags));
  r.io_delay_ms = Distribution::Of(std::move(delays));
  r.rss_growth_mib_per_virtual_hour = Slope(rss);
  return r;
}

json SoakReport::ToJson() const {
  const double w = std::max(wall_seconds, 1e-9);
  return json{
      {"finished", finished},
      {"failure", failure},
      {"speed", speed},
      {"wall_seconds", wall_seconds},
      {"drain_seconds", drain_seconds},
      {"virtual_seconds", virtual_seconds},
      {"quotes", {{"expected", quotes_expected}, {"released", quotes_released}}},
      {"sent",
       {{"packets", packets_sent}, {"frames", frames_sent}, {"heartbeats", heartbeats_sent},
        {"packets_per_second", D(packets_sent) / w}, {"frames_per_second", D(frames_sent) / w}}},
      {"received",
       {{"packets", packets_received}, {"frames", frames_received},
        {"heartbeats", heartbeats_received}, {"bytes", bytes_received},
        {"text_messages", text_messages}, {"packets_per_second", D(packets_received) / w},
        {"frames_per_second", D(frames_received) / w}, {"mbytes_per_second", D(bytes_received) / w / 1e6},
        {"decode_errors", decode_errors}, {"bad_packets", bad_packets},
        {"connection_downs", connection_downs}, {"first_error", first_error}}},
      {"heartbeat",
       {{"interval_seconds", heartbeat_interval.ToJson()}, {"gaps_over_2s", heartbeat_gaps_over_2s},
        {"max_silence_seconds", max_silence_seconds}}},
      {"lag",
       {{"virtual_seconds", lag_virtual_seconds.ToJson()},
        {"first_tenth_mean", lag_first_tenth_mean}, {"last_tenth_mean", lag_last_tenth_mean},
        {"io_delay_ms", io_delay_ms.ToJson()}}},
      {"cpu_percent_of_a_core",
       {{"emulator_io_thread", cpu_emulator_io}, {"client_thread", cpu_client}, {"process", cpu_process}}},
      {"memory_mib",
       {{"rss_start", rss_start_mib}, {"rss_end", rss_end_mib}, {"peak", peak_rss_mib},
        {"peak_includes_generation", peak_includes_generation},
        {"rss_growth_per_virtual_hour", rss_growth_mib_per_virtual_hour},
        {"rss_max_sampled", rss_max_sampled_mib},
        {"rss_max_at_virtual_seconds", rss_max_at_virtual_seconds},
        {"rss_series", rss_series}}},
      {"samples", samples},
      {"health", health},
  };
}

std::string SoakReport::ToText() const {
  const double w = std::max(wall_seconds, 1e-9);
  std::string t;
  auto add = [&](const std::string& line) {
    t += line;
    t += '\n';
  };
  auto dist = [](const Distribution& d, const char* unit) {
    return fmt::format("n {}  mean {:.3f}{}  p50 {:.3f}{}  p99 {:.3f}{}  max {:.3f}{}", d.count,
                       d.mean, unit, d.p50, unit, d.p99, unit, d.max, unit);
  };
  add(fmt::format("result           {}", finished && failure.empty() ? "ok" : "FAILED: " + failure));
  add(fmt::format("span             {:.0f} virtual s in {:.2f} wall s (speed {}; {:.1f}x achieved), "
                  "drain {:.2f} s",
                  virtual_seconds, wall_seconds, speed, virtual_seconds / w, drain_seconds));
  add(fmt::format("quotes           {} released of {} expected", quotes_released, quotes_expected));
  add(fmt::format("sent             {} packets ({:.0f}/s), {} frames ({:.1f}/s), {} heartbeats",
                  packets_sent, D(packets_sent) / w, frames_sent, D(frames_sent) / w, heartbeats_sent));
  add(fmt::format("received         {} packets ({:.0f}/s), {} frames ({:.1f}/s), {:.2f} MB/s, {} "
                  "heartbeats",
                  packets_received, D(packets_received) / w, frames_received, D(frames_received) / w,
                  D(bytes_received) / w / 1e6, heartbeats_received));
  add(fmt::format("errors           {} decode, {} unexpected packets, {} text messages, {} "
                  "connection downs{}",
                  decode_errors, bad_packets, text_messages, connection_downs,
                  first_error.empty() ? "" : " (first: " + first_error + ")"));
  add(fmt::format("heartbeat gap    {}; {} over 2 s; longest silence {:.3f}s",
                  dist(heartbeat_interval, "s"), heartbeat_gaps_over_2s, max_silence_seconds));
  add(fmt::format("release lag      {} (virtual); mean over the first tenth {:.3f}s, last tenth "
                  "{:.3f}s",
                  dist(lag_virtual_seconds, "s"), lag_first_tenth_mean, lag_last_tenth_mean));
  add(fmt::format("io thread delay  {}", dist(io_delay_ms, "ms")));
  add(fmt::format("cpu (% of core)  emulator I/O thread {:.1f}, client thread {:.1f}, process {:.1f}",
                  cpu_emulator_io, cpu_client, cpu_process));
  add(fmt::format("memory           rss {:.1f} -> {:.1f} MiB, peak {:.1f} MiB{}, highest sample "
                  "{:.1f} MiB at +{:.0f} virtual s, growth {:+.2f} MiB per virtual hour",
                  rss_start_mib, rss_end_mib, peak_rss_mib,
                  peak_includes_generation ? " (includes the generation)" : "",
                  rss_max_sampled_mib, rss_max_at_virtual_seconds,
                  rss_growth_mib_per_virtual_hour));
  add(fmt::format("samples          {}", samples));
  return t;
}

}  // namespace nacre::soak
