#include "apps/spreads/register.h"

#include "apps/spreads/capital_manager.h"
#include "apps/spreads/greeks_actor.h"
#include "apps/spreads/options_spread_strategy.h"
#include "apps/spreads/spread_monitor.h"

namespace nacre {

void RegisterSpreadComponents(ComponentRegistry& registry) {
  registry.RegisterActor("CapitalManager", CapitalManager::Schema(), &CapitalManager::FromParams);
  registry.RegisterActor("GreeksActor", GreeksActor::Schema(), &GreeksActor::FromParams);
  registry.RegisterActor("SpreadMonitor", SpreadMonitor::Schema(), &SpreadMonitor::FromParams);
  RegisterOptionsSpreadStrategy(registry);
}

}  // namespace nacre
