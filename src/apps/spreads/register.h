// Registers the options-spread application's actors and strategies with a registry, so a
// TOML config can create them by type name ("CapitalManager", "GreeksActor", ...).
#pragma once

#include "trading/registry.h"

namespace nacre {

void RegisterSpreadComponents(ComponentRegistry& registry);

}  // namespace nacre
