#include "apps/spreads/register.h"

#include "apps/spreads/capital_manager.h"
#include "apps/spreads/greeks_actor.h"
#include "apps/spreads/options_spread_strategy.h"
#include "apps/spreads/spread_monitor.h"

namespace nacre {

void RegisterSpreadComponents(ComponentRegistry& registry) {
  registry.RegisterActor("CapitalManager", &CapitalManager::FromConfig);
  registry.RegisterActor("GreeksActor", &GreeksActor::FromConfig);
  registry.RegisterActor("SpreadMonitor", &SpreadMonitor::FromConfig);
  RegisterOptionsSpreadStrategy(registry);
}

}  // namespace nacre
