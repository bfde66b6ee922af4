// Command families of the `nacre` tool. Each Add*Commands registers its subcommands on the
// app and appends a runner per subcommand; main() runs the runner of the one that was given.
// Runners return the process exit code: 0 success, 2 bad configuration or input, 1 other.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <utility>
#include <vector>

#include "trading/registry.h"

namespace nacre::cli {

using Runner = std::function<int()>;
using Commands = std::vector<std::pair<CLI::App*, Runner>>;

void AddOptionsCommands(CLI::App& app, Commands& out);
// `nacre catalog ls | info | query | import | export` (catalog_cmd.cpp).
void AddCatalogCommands(CLI::App& app, Commands& out);
// `nacre catalog synth` (synth_cmd.cpp).
void AddSynthCommands(CLI::App& app, Commands& out);
// The `catalog` command family, created on first use so several files can add to it.
CLI::App* CatalogCommand(CLI::App& app);
// `nacre sweep CONFIG --grid GRID --workers N [--out DIR]`.
void AddSweepCommands(CLI::App& app, Commands& out);
// `nacre components [--format text|markdown]` (components_cmd.cpp).
void AddComponentsCommands(CLI::App& app, Commands& out);
// `nacre kite-emu CONFIG.toml [--port N]` (kite_emu_cmd.cpp).
void AddKiteEmuCommands(CLI::App& app, Commands& out);
// `nacre kite login | logout | session CONFIG.toml` (kite_cmd.cpp).
void AddKiteCommands(CLI::App& app, Commands& out);
// `nacre journal ls | show | verify | export PATH` (journal_cmd.cpp).
void AddJournalCommands(CLI::App& app, Commands& out);
// `nacre run CONFIG.toml` (run_cmd.cpp): a sandbox trading node.
void AddRunCommands(CLI::App& app, Commands& out);
// `nacre ctl status | halt | resume | cancel-all | flatten` (ctl_cmd.cpp).
void AddCtlCommands(CLI::App& app, Commands& out);
// Every strategy and actor the `nacre` tool knows (examples and the spreads app).
void RegisterAllComponents(ComponentRegistry& registry);

}  // namespace nacre::cli
