// `nacre catalog synth`: writes a synthetic NIFTY option-chain catalog (synth/chain.h) into a
// new folder. Options override the config file; without a config the defaults are one year
// (2024) of 1-minute quotes, +-20 strikes, the two nearest weeklies, a simulated index on a
// weekday calendar (give [calendar] holiday_files for NSE holidays).
#include <fmt/format.h>

#include <chrono>

#include "cli/commands.h"
#include "cli/progress.h"
#include "synth/catalog_sink.h"
#include "synth/config.h"

namespace nacre::cli {
namespace {

struct SynthArgs {
  std::string out;
  std::string config;
  std::int64_t seed = -1;
  std::string start;
  std::string end;
  std::string underlying_file;
  int interval = 0;
  int strikes = 0;
  int expiries = 0;
  std::string layout = "chain";
};

int RunSynth(const SynthArgs& a) {
  synth::LoadedSynthConfig cfg;
  if (!a.config.empty()) cfg = synth::LoadSynthConfigFile(a.config);
  auto date = [](const std::string& text, const char* flag) -> std::optional<CivilDate> {
    auto d = ParseDate(text);
    if (!d.ok()) {
      fmt::print(stderr, "error: {} '{}': {}\n", flag, text, d.error());
      return std::nullopt;
    }
    return *d;
  };
  if (!a.start.empty()) {
    auto d = date(a.start, "--start");
    if (!d) return 2;
    cfg.chain.start = *d;
  }
  if (!a.end.empty()) {
    auto d = date(a.end, "--end");
    if (!d) return 2;
    cfg.chain.end = *d;
  }
  if (a.seed >= 0) cfg.chain.seed = static_cast<std::uint64_t>(a.seed);
  if (!a.underlying_file.empty()) cfg.chain.underlying_file = a.underlying_file;
  if (a.interval > 0) cfg.chain.interval_minutes = a.interval;
  if (a.strikes > 0) cfg.chain.strikes_each_side = a.strikes;
  if (a.expiries > 0) cfg.chain.expiries = a.expiries;

  auto layout = ParseCatalogLayout(a.layout);
  if (!layout.ok()) {
    fmt::print(stderr, "error: --layout: {}\n", layout.error());
    return 2;
  }
  auto sink = synth::CatalogSink::Open(a.out, 1'000'000, *layout);
  if (!sink.ok()) {
    fmt::print(stderr, "error: {}\n", sink.error());
    return 2;
  }
  ProgressBar bar("steps");
  const auto t0 = std::chrono::steady_clock::now();
  auto stats = synth::GenerateChains(
      cfg.chain, cfg.calendar, **sink,
      [&bar](std::uint64_t done, std::uint64_t total) { bar.Update(done, total); });
  if (!stats.ok()) {
    fmt::print(stderr, "error: {}\n", stats.error());
    return 2;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fmt::print("{} to {}: {} steps, {} option quotes, {} instruments, {} files, {:.1f} MiB in {}\n",
             FormatDate(cfg.chain.start), FormatDate(cfg.chain.end), stats->steps, stats->quotes,
             stats->instruments, (*sink)->files_written(),
             static_cast<double>((*sink)->BytesOnDisk()) / (1024.0 * 1024.0), a.out);
  fmt::print(stderr, "{:.1f} s, {:.0f} quotes/s\n", secs,
             secs > 0 ? static_cast<double>(stats->quotes) / secs : 0.0);
  return 0;
}

}  // namespace

CLI::App* CatalogCommand(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands({})) {
    if (sub->get_name() == "catalog") return sub;
  }
  CLI::App* catalog = app.add_subcommand("catalog", "Market-data catalog (Parquet)");
  catalog->require_subcommand(1);
  return catalog;
}

void AddSynthCommands(CLI::App& app, Commands& out) {
  auto args = std::make_shared<SynthArgs>();
  CLI::App* c = CatalogCommand(app)->add_subcommand(
      "synth", "Write a synthetic NIFTY option-chain catalog into a new folder");
  c->add_option("--out,-o", args->out, "Catalog folder to create")->required();
  c->add_option("--config,-c", args->config, "Synth config (TOML; keys in docs/config.md)");
  c->add_option("--seed", args->seed, "Random seed (overrides the config)");
  c->add_option("--start", args->start, "First IST date YYYY-MM-DD");
  c->add_option("--end", args->end, "Last IST date YYYY-MM-DD");
  c->add_option("--underlying-file", args->underlying_file,
                "NSE 1-minute index CSV to drive the chain instead of a simulated path");
  c->add_option("--interval", args->interval, "Minutes between quotes (default 1)");
  c->add_option("--strikes", args->strikes, "Strikes each side of ATM (default 20)");
  c->add_option("--expiries", args->expiries, "Nearest series quoted (default 2)");
  c->add_option("--layout", args->layout,
                "Quotes as chain files, one per underlying per IST day (chain, the default), or "
                "one folder per instrument (instrument)");
  out.emplace_back(c, [args] { return RunSynth(*args); });
}

}  // namespace nacre::cli
