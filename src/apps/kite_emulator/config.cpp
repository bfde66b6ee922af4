#include "apps/kite_emulator/config.h"

#include <filesystem>

#include "apps/kite_emulator/instruments.h"
#include "persistence/catalog.h"

namespace nacre::kite_emu {

ParamSchema EmulatorSchema() {
  using P = ParamSpec;
  return {"[emulator]",
          "the Kite Connect emulator (nacre kite-emu): who may log in and where it listens",
          {
              P::String("api_key").Required().Doc("the API key clients log in with"),
              P::String("api_secret")
                  .Required()
                  .Doc("the secret the session checksum is made with (an emulator's own, never "
                       "a real Zerodha secret)"),
              P::String("user_id", "AB1234").Doc("the user the profile and orders name"),
              P::String("address", "127.0.0.1").Doc("address to listen on"),
              P::Int("port", 0).Range(0, 65535).Doc("port to listen on (0: any free one, printed)"),
              P::Int("ticker_port", 0)
                  .Range(0, 65535)
                  .Doc("port of the ticker WebSocket (0: any free one, printed)"),
              P::String("redirect_url", "http://127.0.0.1/kite-redirect")
                  .Doc("where /connect/login redirects with ?request_token=…"),
              P::Money("cash", "400000").Doc("the equity segment's opening balance, ₹"),
              P::Int("seed", 1).AtLeast(0).Doc("seeds the tokens (same seed, same run)"),
              P::String("catalog").Doc(
                  "a Nacre catalog folder whose instruments the dump lists and whose data the "
                  "market replays (relative to the config file); none: an empty dump and no "
                  "market"),
              P::String("start").Doc(
                  "the virtual clock's start, a market time in IST (\"2025-01-06 09:15\"); "
                  "none: the catalog's first data"),
              P::Number("speed", 1.0)
                  .Range(0.001, 100000.0)
                  .Doc("virtual seconds per wall second (1: real time, 60: an hour a minute)"),
              P::String("faults").Doc(
                  "a fault plan (TOML, LIVE.md §10; relative to the config file) loaded at "
                  "start; /__emu/faults replaces it at run time"),
              P::Bool("paused", false)
                  .Doc("start with the replay paused (/__emu/resume or /__emu/step move it)"),
              P::Bool("skip_closed", false)
                  .Doc("virtual time runs only through trading sessions (09:15-15:30 IST on "
                       "weekdays), jumping from a close to the next open, so a replayed week "
                       "takes its session hours; published in /__emu/clock for a node's clock"),
          }};
}

LoadedEmulatorConfig LoadEmulatorConfigFile(const std::string& path) {
  auto root = ConfigTable::ParseFile(path);
  const ConfigTable top(*root, path, "");
  const ParamSchema file_schema{"kite-emu config", "", {ParamSpec::Table("emulator").Required()}};
  const Params file(top, file_schema);
  const ConfigTable section = file.GetTable("emulator");
  const Params p(section, EmulatorSchema());
  LoadedEmulatorConfig out;
  out.emulator.user.api_key = p.GetString("api_key");
  out.emulator.user.api_secret = p.GetString("api_secret");
  out.emulator.user.user_id = p.GetString("user_id");
  out.emulator.redirect_url = p.GetString("redirect_url");
  out.emulator.cash = p.GetMoney("cash");
  out.emulator.seed = static_cast<std::uint64_t>(p.GetInt("seed"));
  out.address = p.GetString("address");
  out.port = static_cast<std::uint16_t>(p.GetInt("port"));
  out.ticker_port = static_cast<std::uint16_t>(p.GetInt("ticker_port"));
  if (out.emulator.user.api_key.empty()) p.Fail("api_key", "must not be empty");
  if (out.emulator.user.api_secret.empty()) p.Fail("api_secret", "must not be empty");
  if (out.emulator.cash.raw() < 0) p.Fail("cash", "must not be negative");
  out.speed = p.GetNumber("speed");
  out.paused = p.GetBool("paused");
  out.skip_closed = p.GetBool("skip_closed");
  if (p.Has("faults")) {
    std::filesystem::path f = p.GetString("faults");
    if (f.is_relative()) f = std::filesystem::path(path).parent_path() / f;
    if (!std::filesystem::is_regular_file(f)) p.Fail("faults", f.string() + ": no such file");
    out.faults_path = f.string();
  }
  if (p.Has("start")) {
    auto t = ParseIstBound(p.GetString("start"), RangeBound::kStart);
    if (!t.ok()) p.Fail("start", t.error());
    out.start = *t;
  }
  if (p.Has("catalog")) {
    std::filesystem::path dir = p.GetString("catalog");
    if (dir.is_relative()) dir = std::filesystem::path(path).parent_path() / dir;
    if (!std::filesystem::is_directory(dir)) p.Fail("catalog", dir.string() + ": no such folder");
    auto catalog = Catalog::Open(dir.string());
    if (!catalog.ok()) p.Fail("catalog", catalog.error());
    auto instruments = (*catalog)->Instruments();
    if (!instruments.ok()) p.Fail("catalog", instruments.error());
    out.catalog_dir = dir.string();
    out.instruments = *instruments;
    out.emulator.instruments = KiteInstrumentTable(std::move(*instruments));
  }
  return out;
}

}  // namespace nacre::kite_emu
