// The Kite emulator soak run (bench/emulator_soak.cpp is its command line; the integration
// test tests/integration/emulator_soak_test.cpp runs it for two virtual minutes).
//
// Data: N NIFTY weekly options (lot 65, tick 0.05, expiring the day after the replayed day,
// Monday 5-Jan-2026) and the NIFTY 50 index definition, with one quote per option every
// `interval_ms` of the session from 09:15 IST: a seeded random walk on the 0.05 grid (integer
// ticks), bid < ask, sizes in lots. Each instrument's series depends only on (seed, its
// index), so a catalog is reproducible and a smaller N is a prefix of a bigger one. The
// generation parameters are kept beside the data (soak.json) so a reused catalog is checked
// against the run's flags.
//
// Run: the emulator's Runtime replays the catalog at `speed`; one WsClient subscribes every
// option in full mode. The clock starts paused one virtual second before the first quote and
// is resumed once the subscription is in place, so every quote of the span is released with
// the client listening. Every `sample_ms` of wall time the run reads, on the emulator's I/O
// thread, the virtual clock, the oldest quote due but not yet released (the release lag),
// the market's and ticker's counters, and how long the I/O thread took to pick the read up;
// and the process's RSS. It ends when the clock has passed the span's end with every quote
// of the span released, then waits (bounded) until the client holds every packet the ticker
// sent and has seen two heartbeats.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "core/time.h"
#include "model/data.h"
#include "model/instrument.h"

namespace nacre::soak {

struct SoakDataOptions {
  int instruments = 500;
  int virtual_minutes = 375;  // 09:15–15:30
  int interval_ms = 1000;     // one quote per instrument per interval
  std::uint64_t seed = 1;
  nlohmann::json ToJson() const;
  static Result<SoakDataOptions> FromJson(const nlohmann::json& j);
  bool operator==(const SoakDataOptions&) const = default;
};

// 09:15 IST on the replayed day.
UnixNanos SoakSessionStart();
// The NIFTY 50 index followed by `n` options: strikes 50 apart around 24,000, a call and a
// put at each.
std::vector<Instrument> SoakInstruments(int n);
// Option `index`'s quotes over the span (deterministic in (seed, index)).
std::vector<QuoteTick> SoakQuotes(const Instrument& option, int index, const SoakDataOptions& o);

struct GenerationStats {
  std::uint64_t quotes = 0;
  double seconds = 0;
  std::uint64_t bytes_on_disk = 0;
};
// Writes the instruments and quotes into a new catalog at `dir` (which must hold no quotes
// yet) and soak.json. `progress(done_instruments, quotes_so_far)` is called after each one.
using GenerationProgress = std::function<void(int done, std::uint64_t quotes)>;
Result<GenerationStats> GenerateSoakCatalog(const std::string& dir, const SoakDataOptions& o,
                                            const GenerationProgress& progress = {});
// The generation parameters of a catalog written by GenerateSoakCatalog (an error when `dir`
// holds no soak.json).
Result<SoakDataOptions> ReadSoakManifest(const std::string& dir);

struct SoakRunOptions {
  std::string catalog_dir;
  SoakDataOptions data;       // what the catalog holds
  int virtual_minutes = 375;  // the span run (at most the catalog's)
  double speed = 60;
  int sample_ms = 1000;
  // Called after each sample with a one-line status (for a terminal's progress line).
  std::function<void(double fraction, const std::string& line)> progress;
};

struct Distribution {
  std::size_t count = 0;
  double mean = 0, p50 = 0, p99 = 0, max = 0;
  static Distribution Of(std::vector<double> values);
  nlohmann::json ToJson() const;
};

struct SoakReport {
  bool finished = false;  // the virtual end was reached before the deadline
  std::string failure;    // why not, or what went wrong
  // Span.
  double speed = 0;
  double wall_seconds = 0;     // from resume to the virtual end
  double drain_seconds = 0;    // then until the client held every packet sent
  double virtual_seconds = 0;  // the clock's span covered
  std::uint64_t quotes_expected = 0;
  std::uint64_t quotes_released = 0;  // /__emu/health market.released
  // The ticker (sent) and the client (received).
  std::uint64_t packets_sent = 0, frames_sent = 0, heartbeats_sent = 0;
  std::uint64_t packets_received = 0, frames_received = 0, heartbeats_received = 0;
  std::uint64_t bytes_received = 0, text_messages = 0;
  std::uint64_t decode_errors = 0;  // frames DecodeKiteFrame refused
  std::uint64_t bad_packets = 0;    // decoded, but not a full packet of a subscribed token
  std::uint64_t connection_downs = 0;
  std::string first_error;
  // Heartbeats: intervals between arrivals (s), gaps over 2 s, the longest silence between
  // any two messages (s).
  Distribution heartbeat_interval;
  std::uint64_t heartbeat_gaps_over_2s = 0;
  double max_silence_seconds = 0;
  // Release lag (virtual seconds: the clock minus the oldest due quote not yet released, 0
  // when none is), the I/O thread's delay picking up a posted task (ms), and the lag over the
  // first and last tenth of the samples (a growing lag means it cannot keep up).
  Distribution lag_virtual_seconds;
  double lag_first_tenth_mean = 0, lag_last_tenth_mean = 0;
  Distribution io_delay_ms;
  // CPU: the emulator's I/O thread, the client's thread, the whole process (% of one core
  // over the wall seconds).
  double cpu_emulator_io = 0, cpu_client = 0, cpu_process = 0;
  // Memory (MiB): RSS when the run started and ended, the peak (VmHWM, reset before the run
  // when the kernel allows; `peak_includes_generation` otherwise) and the RSS trend per
  // virtual hour (least squares over the samples after the first tenth of the span).
  double rss_start_mib = 0, rss_end_mib = 0, peak_rss_mib = 0;
  bool peak_includes_generation = false;
  double rss_growth_mib_per_virtual_hour = 0;
  // The sampled RSS: its highest value and when (virtual seconds from the start), and the
  // series as [virtual seconds, MiB] (JSON only).
  double rss_max_sampled_mib = 0, rss_max_at_virtual_seconds = 0;
  std::vector<std::pair<double, double>> rss_series;
  std::size_t samples = 0;
  nlohmann::json health;  // /__emu/health at the end, as served

  nlohmann::json ToJson() const;
  std::string ToText() const;
};

// Runs the soak (the catalog must exist). Errors (a catalog that cannot be opened, a port, a
// subscription that does not take) are returned; a run that does not reach its end in time
// or whose client saw bad frames returns a report with `failure` set.
Result<SoakReport> RunSoak(const SoakRunOptions& o);

// Memory of this process from /proc/self/status (MiB; 0 when unreadable).
double ProcStatusMiB(const char* field);  // "VmRSS", "VmHWM"
// Resets VmHWM to the current RSS (Linux clear_refs "5"); false when not permitted.
bool ResetPeakRss();

}  // namespace nacre::soak
