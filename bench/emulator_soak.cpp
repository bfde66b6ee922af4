// The Kite emulator soak run: N NIFTY options in full mode at speed S over a virtual trading
// day, reporting packets/s and frames/s sent and received, heartbeat regularity, the release
// lag and memory (emulator_soak.h says what each figure is).
//   ./build/release/bench/nacre_emulator_soak                       # 500 × 375 min at speed 60
//   ./build/release/bench/nacre_emulator_soak --virtual-minutes 5   # a smoke check (seconds)
//   ./build/release/bench/nacre_emulator_soak --catalog /tmp/soak500 --json soak.json
// --catalog DIR reuses a catalog this program generated there (its soak.json must match the
// flags), or generates one there to be reused; without it the data goes to a temporary
// folder, removed at the end. Exit 0 when the run reached its end with every frame decoded,
// 1 when not, 2 on bad flags or a catalog that cannot be made.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "emulator_soak.h"
#include "persistence/catalog.h"

namespace {

namespace fs = std::filesystem;
using nacre::soak::SoakDataOptions;

bool Tty() { return isatty(STDOUT_FILENO) == 1; }

// A progress line redrawn in place on a terminal; nothing when stdout is not one.
void Progress(const std::string& line, bool done) {
  if (!Tty()) return;
  fmt::print("\r{:<110}", line);
  if (done) fmt::print("\n");
  std::fflush(stdout);
}

int Fail(const std::string& message) {
  fmt::print(stderr, "nacre_emulator_soak: {}\n", message);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Kite emulator soak: N options in full mode over a virtual trading day"};
  SoakDataOptions data;
  int minutes = 375;
  double speed = 60;
  int sample_ms = 1000;
  std::string catalog;
  std::string json_path;
  app.add_option("--instruments", data.instruments, "NIFTY options subscribed in full mode")
      ->capture_default_str();
  app.add_option("--speed", speed, "virtual seconds per wall second")->capture_default_str();
  app.add_option("--virtual-minutes", minutes, "virtual span from 09:15 (375: to 15:30)")
      ->capture_default_str();
  app.add_option("--interval-ms", data.interval_ms, "one quote per instrument every I virtual ms")
      ->capture_default_str();
  app.add_option("--catalog", catalog, "reuse (or generate once into) this catalog folder");
  app.add_option("--seed", data.seed, "random walk seed")->capture_default_str();
  app.add_option("--json", json_path, "also write the report as JSON here");
  app.add_option("--sample-ms", sample_ms, "wall ms between samples")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  data.virtual_minutes = minutes;

  // The catalog: reused when it holds a soak, else generated (into a temporary folder when no
  // --catalog).
  const bool temporary = catalog.empty();
  if (temporary) {
    catalog = (fs::temp_directory_path() / fmt::format("nacre_soak_{}", ::getpid())).string();
    fs::remove_all(catalog);
  }
  nlohmann::json generation{{"catalog", catalog}, {"reused", false}};
  if (!temporary && fs::exists(fs::path(catalog) / "soak.json")) {
    auto made = nacre::soak::ReadSoakManifest(catalog);
    if (!made.ok()) return Fail(made.error());
    if (made->instruments != data.instruments || made->interval_ms != data.interval_ms ||
        made->seed != data.seed || made->virtual_minutes < minutes) {
      return Fail(fmt::format(
          "catalog {} was generated with --instruments {} --interval-ms {} --seed {} "
          "--virtual-minutes {}; this run asks --instruments {} --interval-ms {} --seed {} "
          "--virtual-minutes {} (give matching flags, or another folder)",
          catalog, made->instruments, made->interval_ms, made->seed, made->virtual_minutes,
          data.instruments, data.interval_ms, data.seed, minutes));
    }
    data = *made;
    generation["reused"] = true;
    fmt::print("catalog          {} (reused: {} instruments, {} virtual minutes)\n", catalog,
               data.instruments, data.virtual_minutes);
  } else {
    const auto t0 = std::chrono::steady_clock::now();
    const std::uint64_t total =
        static_cast<std::uint64_t>(data.instruments) *
        static_cast<std::uint64_t>((static_cast<std::int64_t>(minutes) * 60'000 + data.interval_ms - 1) /
                                   data.interval_ms);
    auto stats = nacre::soak::GenerateSoakCatalog(
        catalog, data, [&](int done, std::uint64_t quotes) {
          const double secs =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          const double rate = secs > 0 ? static_cast<double>(quotes) / secs : 0;
          const double eta = rate > 0 ? static_cast<double>(total - quotes) / rate : 0;
          Progress(fmt::format("generating {}/{} instruments  {:.2f} M quotes  {:.0f} quotes/s  "
                               "ETA {:.0f}s",
                               done, data.instruments, static_cast<double>(quotes) / 1e6, rate, eta),
                   done == data.instruments);
        });
    if (!stats.ok()) {
      if (temporary) fs::remove_all(catalog);
      return Fail(stats.error());
    }
    generation["quotes"] = stats->quotes;
    generation["seconds"] = stats->seconds;
    generation["bytes_on_disk"] = stats->bytes_on_disk;
    fmt::print("catalog          {} generated: {} quotes in {:.1f} s ({:.0f} quotes/s), {:.1f} MiB\n",
               catalog, stats->quotes, stats->seconds,
               static_cast<double>(stats->quotes) / std::max(stats->seconds, 1e-9),
               static_cast<double>(stats->bytes_on_disk) / (1 << 20));
  }
  malloc_trim(0);  // the generation's memory back to the system before RSS is measured

  nacre::soak::SoakRunOptions run;
  run.catalog_dir = catalog;
  run.data = data;
  run.virtual_minutes = minutes;
  run.speed = speed;
  run.sample_ms = sample_ms;
  run.progress = [](double fraction, const std::string& line) { Progress(line, fraction >= 1.0); };
  fmt::print("run              {} instruments in full mode, speed {}, {} virtual minutes, a quote "
             "per instrument every {} ms\n",
             data.instruments, speed, minutes, data.interval_ms);
  std::fflush(stdout);
  auto report = nacre::soak::RunSoak(run);
  if (temporary) fs::remove_all(catalog);
  if (!report.ok()) return Fail(report.error());
  fmt::print("{}", report->ToText());
  if (!json_path.empty()) {
    nlohmann::json j = report->ToJson();
    j["generation"] = generation;
    j["options"] = {{"instruments", data.instruments}, {"speed", speed},
                    {"virtual_minutes", minutes}, {"interval_ms", data.interval_ms},
                    {"seed", data.seed}, {"sample_ms", sample_ms}};
    std::ofstream out(json_path);
    out << j.dump(2) << "\n";
    if (!out) return Fail("cannot write " + json_path);
  }
  return report->finished && report->failure.empty() ? 0 : 1;
}
