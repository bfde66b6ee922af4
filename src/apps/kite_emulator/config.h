// `nacre kite-emu CONFIG.toml`: the emulator's config, checked by its schema (common/params.h)
// before anything listens; a bad value names the file, line and key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "apps/kite_emulator/emulator.h"
#include "common/params.h"
#include "model/instrument.h"

namespace nacre::kite_emu {

struct LoadedEmulatorConfig {
  EmulatorConfig emulator;
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port (printed when listening)
  std::uint16_t ticker_port = 0;
  // The market replay: the catalog folder (empty: no market data), the virtual clock's
  // start (none: the catalog's first item) and speed, and whether it starts paused.
  std::string catalog_dir;
  std::vector<Instrument> instruments;
  std::optional<UnixNanos> start;
  double speed = 1.0;
  bool paused = false;
  bool skip_closed = false;  // virtual time through trading sessions only (clock.h)
  DurationNs heartbeat = kNanosPerSecond;
  std::string faults_path;  // a fault plan (TOML) loaded at start; empty: none
};

// The [emulator] section's keys.
ParamSchema EmulatorSchema();
// Throws ConfigError naming the file and key.
LoadedEmulatorConfig LoadEmulatorConfigFile(const std::string& path);

}  // namespace nacre::kite_emu
